"""Model files from others are refused unless provably safe: nothing executed, nothing written.

Covers issue #6 point 7: a pickle payload that would write a file on load, a skops file with
an untrusted type, path traversal in model names and versions, and tampered checksums.
Every refusal is checked two ways: the loader raises :class:`SecurityError` and the file the
payload would have written does not exist (nor anything else new).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import skops.io as sio
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

from pipelines.cli import main
from prospect.errors import SecurityError
from prospect.registry import ModelRegistry, load_model, save_model

SCHEMA = {
    "variables": [{"name": "a", "units": "1", "dtype": "float32", "prospect_kind": "continuous",
                   "provenance": {}},
                  {"name": "b", "units": "1", "dtype": "float32", "prospect_kind": "continuous",
                   "provenance": {}}],
    "crs": "EPSG:32619", "resolution": 10.0, "feature_order": ["a", "b"],
}
CARD = {"mineral": "lithium", "synthetic": True}
TRAVERSALS = ["../x", "../../etc/passwd", "/tmp/abs", "..\\x", "..\\..\\windows", "a/../b",
              "C:\\x", ".", "..", ".staging-x", "x\x00", "file:///tmp/x"]


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    """stderr with whitespace collapsed (rich wraps long lines at the console width)."""
    return " ".join(capsys.readouterr().err.split())


class WriteOnUnpickle:
    """Unpickling this calls ``open(marker, 'w')``: it creates a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.marker, "w"))


class SystemOnUnpickle:
    """Unpickling this runs a shell command that creates a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


class WriteOnSetState:
    """A type skops would rebuild with ``__setstate__``, which writes a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __getstate__(self) -> dict[str, Any]:
        return {"marker": self.marker}

    def __setstate__(self, state: dict[str, Any]) -> None:
        Path(state["marker"]).write_text("executed")
        self.marker = state["marker"]


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _fitted() -> RandomForestClassifier:
    rng = np.random.default_rng(0)
    X = rng.random((60, 2)).astype("float32")
    return RandomForestClassifier(n_estimators=3, random_state=0).fit(X, (X[:, 0] > 0.5))


def _rewrite_checksums(directory: Path) -> None:
    """What an attacker who controls the whole directory would do."""
    sums_path = directory / "checksums.json"
    os.chmod(sums_path, 0o644)
    data = json.loads(sums_path.read_text())
    for name in data["files"]:
        data["files"][name] = hashlib.sha256((directory / name).read_bytes()).hexdigest()
    sums_path.write_text(json.dumps(data))


def _crafted(directory: Path, estimator: Any) -> Path:
    """A model folder holding ``estimator`` as an attacker writes one: a good model saved,
    its ``model.skops`` replaced and its checksums rewritten (``save_model`` refuses an
    estimator without ``predict_proba``, as these are, since round 65b)."""
    save_model(_fitted(), directory, card=CARD, schema=SCHEMA)
    skops_file = directory / "model.skops"
    os.chmod(skops_file, 0o644)
    skops_file.write_bytes(sio.dumps(estimator))
    card_file = directory / "card.json"  # the card of the estimator written, as save did
    os.chmod(card_file, 0o644)
    card = json.loads(card_file.read_text())
    kind = type(estimator)
    card["estimator"] = {"class": f"{kind.__module__}.{kind.__qualname__}"}
    card_file.write_text(json.dumps(card))
    _rewrite_checksums(directory)
    return directory


@pytest.fixture
def no_unpickling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any call to pickle/joblib loading fail loudly (belt and braces)."""

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("something tried to unpickle")

    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(joblib, "load", boom)


@pytest.fixture
def good_model(tmp_path: Path) -> Path:
    return save_model(_fitted(), tmp_path / "good", card=CARD, schema=SCHEMA)


def _payload_files(tmp_path: Path, marker: Path) -> dict[str, bytes]:
    files = {}
    for proto in (0, 2, pickle.HIGHEST_PROTOCOL):
        files[f"open-p{proto}.pkl"] = pickle.dumps(WriteOnUnpickle(marker), protocol=proto)
    files["system.pkl"] = pickle.dumps(SystemOnUnpickle(marker))
    for compress in (0, 3, ("gzip", 3), ("bz2", 3), ("xz", 3)):
        buf = io.BytesIO()
        joblib.dump(WriteOnUnpickle(marker), buf, compress=compress)
        files[f"payload-{compress!s}.joblib"] = buf.getvalue()
    return files


# -- 1. pickle / joblib payloads ----------------------------------------------------------
def test_pickle_and_joblib_payloads_are_refused_unread(tmp_path: Path, no_unpickling) -> None:
    marker = tmp_path / "pwned"
    work = tmp_path / "work"
    work.mkdir()
    for fname, data in _payload_files(tmp_path, marker).items():
        path = work / fname
        path.write_bytes(data)
        before = _tree(tmp_path)
        with pytest.raises(SecurityError, match="refused") as info:
            load_model(path)
        assert "pickle" in str(info.value) or "joblib" in str(info.value), fname
        assert not marker.exists(), fname
        assert _tree(tmp_path) == before


def test_payload_disguised_as_model_skops_is_refused(tmp_path: Path, good_model: Path,
                                                     no_unpickling) -> None:
    marker = tmp_path / "pwned"
    target = good_model / "model.skops"
    for fname, data in _payload_files(tmp_path, marker).items():
        target.write_bytes(data)
        _rewrite_checksums(good_model)  # checksums match: only the sniffing stands in the way
        with pytest.raises(SecurityError, match="refused"):
            load_model(good_model)
        assert not marker.exists(), fname


def test_payload_is_refused_by_the_registry_and_cli(tmp_path: Path, good_model: Path,
                                                    no_unpickling, capsys) -> None:
    marker = tmp_path / "pwned"
    payload = tmp_path / "model.pkl"
    payload.write_bytes(pickle.dumps(WriteOnUnpickle(marker)))
    reg_root = tmp_path / "reg"
    with pytest.raises(SecurityError):
        ModelRegistry(reg_root).publish(payload, "li")
    code = main(["model", "import", str(payload), "--name", "li", "--registry", str(reg_root)])
    assert code != 0
    assert "refused" in _err(capsys)
    (good_model / "model.skops").write_bytes(payload.read_bytes())
    _rewrite_checksums(good_model)
    code = main(["model", "import", str(good_model), "--name", "li", "--registry",
                 str(reg_root)])
    assert code != 0
    assert not marker.exists()
    assert ModelRegistry(reg_root).names() == []
    assert not reg_root.exists() or not any(reg_root.rglob("*.skops"))


# -- 2. skops files with untrusted types --------------------------------------------------
def test_untrusted_type_is_refused_and_listed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    model = _crafted(tmp_path / "evil", WriteOnSetState(marker))
    type_path = f"{WriteOnSetState.__module__}.WriteOnSetState"
    with pytest.raises(SecurityError, match="not trusted") as info:
        load_model(model)
    assert type_path in str(info.value)
    assert not marker.exists()
    with pytest.raises(SecurityError):
        ModelRegistry(tmp_path / "reg").publish(model, "evil")
    assert ModelRegistry(tmp_path / "reg").names() == []
    assert not marker.exists()
    # the opt-in is real: trusting the type by name builds it (and its __setstate__ runs)
    load_model(model, trusted=[type_path])
    assert marker.read_text() == "executed"


def test_untrusted_function_reference_is_refused(tmp_path: Path, capsys) -> None:
    est = FunctionTransformer(func=os.system).fit(np.zeros((2, 2)))
    model = _crafted(tmp_path / "fn", est)
    untrusted = sio.get_untrusted_types(file=model / "model.skops")
    with pytest.raises(SecurityError, match="not trusted") as info:
        load_model(model)
    assert any(t in str(info.value) for t in untrusted if "system" in t)
    code = main(["model", "import", str(model), "--name", "fn", "--registry",
                 str(tmp_path / "reg")])
    assert code != 0
    assert "not trusted" in _err(capsys)


def test_untrusted_type_inside_a_trusted_estimator(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    est = LogisticRegression().fit(np.eye(2), [0, 1])
    est.sneaky_ = WriteOnSetState(marker)  # hidden in a trusted scikit-learn object
    model = save_model(est, tmp_path / "hidden", card=CARD, schema=SCHEMA)
    with pytest.raises(SecurityError, match="WriteOnSetState"):
        load_model(model)
    assert not marker.exists()


# -- 3. path traversal ---------------------------------------------------------------------
@pytest.mark.parametrize("bad", TRAVERSALS)
def test_path_traversal_in_names_and_versions(tmp_path: Path, good_model: Path,
                                              bad: str) -> None:
    reg = ModelRegistry(tmp_path / "reg")
    reg.publish(good_model, "ok", version="1")
    before = _tree(tmp_path)
    with pytest.raises(SecurityError):
        reg.publish(good_model, bad)
    with pytest.raises(SecurityError):
        reg.publish(good_model, "ok", version=bad)
    with pytest.raises(SecurityError):
        reg.load(bad)
    with pytest.raises(SecurityError):
        reg.load("ok", bad)
    with pytest.raises(SecurityError):
        reg.card(bad, "1")
    with pytest.raises(SecurityError):
        reg.location("ok", bad)
    assert _tree(tmp_path) == before
    assert reg.versions("ok") == ["1"]


def test_path_traversal_through_the_cli(tmp_path: Path, good_model: Path, capsys) -> None:
    reg_root = tmp_path / "reg"
    ModelRegistry(reg_root).publish(good_model, "ok", version="1")
    before = _tree(tmp_path)
    for bad in ("../x", "/tmp/abs", "..\\x"):
        for argv in (["model", "import", str(good_model), "--name", bad],
                     ["model", "import", str(good_model), "--name", "ok", "--version", bad],
                     ["model", "show", bad], ["model", "show", "ok", "--version", bad]):
            assert main([*argv, "--registry", str(reg_root)]) != 0, argv
            assert "refused" in _err(capsys)
    assert _tree(tmp_path) == before


# -- 4. tampering --------------------------------------------------------------------------
def test_tampered_model_file_is_refused(tmp_path: Path, good_model: Path) -> None:
    other = RandomForestClassifier(n_estimators=1, random_state=1).fit(np.eye(2), [0, 1])
    sio.dump(other, good_model / "model.skops")  # a valid skops file, but not the saved one
    with pytest.raises(SecurityError, match=r"model\.skops: sha256"):
        load_model(good_model)


def test_tampered_checksum_is_refused(tmp_path: Path, good_model: Path) -> None:
    sums = json.loads((good_model / "checksums.json").read_text())
    sums["files"]["card.json"] = "0" * 64
    (good_model / "checksums.json").write_text(json.dumps(sums))
    with pytest.raises(SecurityError, match=r"card\.json: sha256"):
        load_model(good_model)


def test_checksum_entry_removed_is_refused(tmp_path: Path, good_model: Path) -> None:
    sums = json.loads((good_model / "checksums.json").read_text())
    del sums["files"]["schema.json"]
    (good_model / "checksums.json").write_text(json.dumps(sums))
    with pytest.raises(SecurityError, match=r"no checksum for schema\.json"):
        load_model(good_model)


def test_tampered_registry_version_is_refused_everywhere(tmp_path: Path, good_model: Path,
                                                         capsys) -> None:
    reg_root = tmp_path / "reg"
    ModelRegistry(reg_root).publish(good_model, "li")
    skops_file = reg_root / "li" / "1" / "model.skops"
    os.chmod(skops_file, 0o644)
    data = bytearray(skops_file.read_bytes())
    data[-30] ^= 0xFF
    skops_file.write_bytes(bytes(data))
    for argv in (["model", "show", "li"], ["model", "list"],
                 ["model", "export", "li", "--out", str(tmp_path / "x.onnx")],
                 ["model", "import", str(reg_root / "li" / "1"), "--name", "copy"]):
        assert main([*argv, "--registry", str(reg_root)]) != 0, argv
        assert "checksum verification failed" in _err(capsys)
    assert not (tmp_path / "x.onnx").exists()
    assert ModelRegistry(reg_root).names() == ["li"]


def test_consistent_replacement_is_caught_by_the_fingerprint(tmp_path: Path,
                                                             good_model: Path, capsys) -> None:
    reg_root = tmp_path / "reg"
    reg = ModelRegistry(reg_root)
    reg.publish(good_model, "li")
    pinned = reg.fingerprint("li")
    version_dir = reg_root / "li" / "1"
    os.chmod(version_dir / "model.skops", 0o644)
    swapped = RandomForestClassifier(n_estimators=1, random_state=1).fit(np.eye(2), [0, 1])
    sio.dump(swapped, version_dir / "model.skops")
    _rewrite_checksums(version_dir)  # checksums alone cannot catch a writer who redoes them
    assert reg.load("li").estimator.n_estimators == 1
    with pytest.raises(SecurityError, match="not the expected"):
        reg.load("li", fingerprint=pinned)
    cube_args = ["--cube", str(tmp_path / "none.zarr"), "--out", str(tmp_path / "o.zarr")]
    code = main(["model", "score", "li", *cube_args, "--fingerprint", pinned,
                 "--registry", str(reg_root)])
    assert code != 0 and "not the expected" in _err(capsys)
    assert not (tmp_path / "o.zarr").exists()


def test_symlinked_model_files_are_refused(tmp_path: Path, good_model: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the registry")
    (good_model / "card.md").unlink()
    (good_model / "card.md").symlink_to(secret)
    _rewrite_checksums(good_model)
    with pytest.raises(SecurityError, match="symbolic"):
        load_model(good_model)
    with pytest.raises(SecurityError, match="symbolic"):
        ModelRegistry(tmp_path / "reg").publish(good_model, "li")
    assert not (tmp_path / "reg").exists() or not any((tmp_path / "reg").rglob("card.md"))


class Plain:
    """A harmless class, renamed below to live in a module with import side effects."""

    def __init__(self) -> None:
        self.a = 1


def test_audit_never_imports_modules_named_in_the_file(tmp_path: Path, good_model: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import zipfile

    marker = tmp_path / "imported"
    module = f"evil_import_{os.getpid()}"
    (tmp_path / f"{module}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\n"
        "class Plain:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    original = sio.dumps(Plain())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "schema.json":
                data = data.replace(f'"{Plain.__module__}"'.encode(), f'"{module}"'.encode())
            zout.writestr(item, data)
    (good_model / "model.skops").write_bytes(out.getvalue())
    _rewrite_checksums(good_model)
    with pytest.raises(SecurityError, match=f"{module}.Plain"):
        load_model(good_model)
    assert not marker.exists() and module not in sys.modules
