"""Model reuse under faults: other library versions, card text with Rich markup, a stop
request mid-score and output paths inside a cube or a busy job directory."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn
from registry_helpers import make_cube

from pipelines.cli import main
from prospect.io.cube import open_cube
from prospect.registry import save_model, schema_from_cube
from prospect.registry.card import card_markdown

FEATURES = ["B04", "ndvi", "dist_fault"]


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    """stderr with whitespace collapsed (rich wraps long lines at the console width)."""
    return " ".join(capsys.readouterr().err.split())


@pytest.fixture
def setup(tmp_path: Path, card: dict[str, Any]) -> dict[str, Path]:
    from sklearn.ensemble import RandomForestClassifier

    cube = make_cube(tmp_path / "cube.zarr")
    ds = open_cube(cube)
    X = np.stack([ds[f].values.ravel() for f in FEATURES], axis=1)
    est = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(
        X, (X[:, 1] > 0.5).astype(int))
    model = save_model(est, tmp_path / "trained", card=card,
                       schema=schema_from_cube(ds, FEATURES))
    return {"cube": cube, "model": model, "reg": tmp_path / "reg", "root": tmp_path}


def _rewrite(model: Path, dest: Path, *, card_version: str | None = None,
             file_version: str | None = None, **card_keys: Any) -> Path:
    """A copy of ``model`` as another author's would be: another scikit-learn version in
    its card and/or its skops file, other card text; consistently checksummed."""
    shutil.copytree(model, dest)
    for path in dest.iterdir():
        path.chmod(0o644)
    if file_version is not None:
        here = f'\\"{sklearn.__version__}\\"'.encode()
        with zipfile.ZipFile(model / "model.skops") as src, \
                zipfile.ZipFile(dest / "model.skops", "w", zipfile.ZIP_DEFLATED) as out:
            for name in src.namelist():
                data = src.read(name)
                if name == "schema.json":
                    assert here in data
                    data = data.replace(here, f'\\"{file_version}\\"'.encode())
                out.writestr(name, data)
    card = json.loads((dest / "card.json").read_text())
    if card_version is not None:
        card["versions"]["scikit-learn"] = card_version
    card.update(card_keys)
    (dest / "card.json").write_text(json.dumps(card, indent=2, sort_keys=True))
    (dest / "card.md").write_text(card_markdown(card))  # the author's card.md says it too
    sums = json.loads((dest / "checksums.json").read_text())
    for name in sums["files"]:
        sums["files"][name] = hashlib.sha256((dest / name).read_bytes()).hexdigest()
    (dest / "checksums.json").write_text(json.dumps(sums))
    return dest


def _main_recording(argv: list[str]) -> tuple[int, list[warnings.WarningMessage]]:
    """``main(argv)`` and every warning that escaped the command (to the user)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(argv)
    return code, list(caught)


def test_a_model_of_another_sklearn_version_warns_once_and_is_recorded(setup, capsys) -> None:
    """Saved with scikit-learn 1.2.0 (card and skops file): import and score said nothing,
    score let six raw InconsistentVersionWarnings (site-packages paths) reach the user,
    and nothing recorded the mismatch. Now one line at import, at score, in the output
    cube's attrs and provenance, and in 'model show'."""
    other = _rewrite(setup["model"], setup["root"] / "other", card_version="1.2.0",
                     file_version="1.2.0")
    reg = str(setup["reg"])
    code, caught = _main_recording(["model", "import", str(other), "-n", "old", "-r", reg])
    assert code == 0
    err = _err(capsys)
    assert err.count("warning:") == 1, err
    assert f"model old/1: saved with scikit-learn 1.2.0, running scikit-learn " \
           f"{sklearn.__version__}" in err and "install scikit-learn==1.2.0" in err, err
    out = setup["root"] / "scored.zarr"
    code, caught = _main_recording(["model", "score", "old", "-r", reg, "--cube",
                                    str(setup["cube"]), "-o", str(out)])
    assert code == 0, _err(capsys)
    assert not [w for w in caught if "Version" in w.category.__name__], \
        [str(w.message) for w in caught]
    err = _err(capsys)
    # the version said once; the other warning is round 26's "not compared" (a schema
    # saved outside 'prospect train' records no training values)
    assert err.count("saved with scikit-learn 1.2.0") == 1, err
    assert err.count("warning:") == 2 and "not compared with the model's training" in err, err
    ds = open_cube(out)
    assert "saved with scikit-learn 1.2.0" in ds.attrs["model_warning"]
    prov = json.loads(ds["probability"].attrs["provenance"])
    assert "saved with scikit-learn 1.2.0" in prov["version_warning"]
    assert main(["model", "show", "old", "-r", reg]) == 0
    assert "saved with scikit-learn 1.2.0" in capsys.readouterr().out
    assert main(["model", "show", "old", "-r", reg, "--json"]) == 0
    assert "1.2.0" in json.loads(capsys.readouterr().out)["version_warning"]


def test_the_skops_file_version_counts_when_the_card_does_not_say(setup, capsys) -> None:
    """Card says this version, the file another: the file's version is the one warned of."""
    other = _rewrite(setup["model"], setup["root"] / "other", file_version="1.2.0")
    reg = str(setup["reg"])
    assert main(["model", "import", str(other), "-n", "old", "-r", reg]) == 0
    capsys.readouterr()
    code, caught = _main_recording(["model", "score", "old", "-r", reg, "--cube",
                                    str(setup["cube"]), "-o", str(setup["root"] / "s.zarr")])
    assert code == 0
    assert not [w for w in caught if "Version" in w.category.__name__]
    err = _err(capsys)
    assert err.count("saved with scikit-learn 1.2.0") == 1, err  # and round 26's line
    assert err.count("warning:") == 2 and "not compared with the model's training" in err, err


def test_another_major_sklearn_version_needs_an_explicit_opt_in(setup, capsys) -> None:
    other = _rewrite(setup["model"], setup["root"] / "other", card_version="0.24.2")
    reg = str(setup["reg"])
    assert main(["model", "import", str(other), "-n", "old", "-r", reg]) == 0
    capsys.readouterr()
    out = setup["root"] / "s.zarr"
    argv = ["model", "score", "old", "-r", reg, "--cube", str(setup["cube"]), "-o", str(out)]
    assert main(argv) == 1
    err = _err(capsys)
    assert "another major version" in err and "--allow-version-mismatch" in err, err
    assert "Traceback" not in err and not out.exists()
    assert main([*argv, "--allow-version-mismatch"]) == 0
    assert "saved with scikit-learn 0.24.2" in _err(capsys)


def test_card_text_is_shown_literally_never_as_markup(setup, capsys) -> None:
    """'lithium [/bold]' in a card crashed 'model list' (internal error: MarkupError, exit
    70); '[b]' was read as bold and vanished."""
    reg = str(setup["reg"])
    for name, mineral in (("a", "[/bold]"), ("b", "[b]Li")):
        other = _rewrite(setup["model"], setup["root"] / name, mineral=mineral)
        assert main(["model", "import", str(other), "-n", name, "-r", reg]) == 0
    capsys.readouterr()
    assert main(["model", "list", "-r", reg]) == 0
    captured = capsys.readouterr()
    assert "internal error" not in captured.err
    assert "[/bold]" in captured.out and "[b]Li" in captured.out, captured.out


def test_a_stop_mid_score_leaves_no_output_and_promises_no_resume(
        setup, capsys, monkeypatch) -> None:
    """SIGTERM while the output cube was written left it with coordinates only, said "run
    the same command again to resume", and that command was then refused (output exists)."""
    import prospect.io.cube as cube_module

    def stopped(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises here

    reg = str(setup["reg"])
    assert main(["model", "import", str(setup["model"]), "-n", "m", "-r", reg]) == 0
    out = setup["root"] / "s.zarr"
    argv = ["model", "score", "m", "-r", reg, "--cube", str(setup["cube"]), "-o", str(out)]
    with monkeypatch.context() as patch:
        patch.setattr(cube_module, "add_variables", stopped)
        capsys.readouterr()
        assert main(argv) == 143
    err = _err(capsys)
    assert f"stopped by SIGTERM; {out} was not written; run the same command again" in err
    assert "resume" not in err, err
    assert not out.exists()
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(".s.zarr")]
    assert main(argv) == 0, _err(capsys)
    assert "probability" in open_cube(out).data_vars


def test_score_output_inside_a_cube_or_a_busy_job_directory(setup, capsys) -> None:
    """-o inside the input cube was accepted (a store inside the job's cube), and -o inside
    a job's output directory ignored the job's lock."""
    from pipelines.lock import output_lock

    reg = str(setup["reg"])
    assert main(["model", "import", str(setup["model"]), "-n", "m", "-r", reg]) == 0
    capsys.readouterr()
    inside = setup["cube"] / "scored.zarr"
    assert main(["model", "score", "m", "-r", reg, "--cube", str(setup["cube"]),
                 "-o", str(inside)]) == 1
    assert "inside the input cube" in _err(capsys)
    assert not inside.exists()
    job = setup["root"] / "job"
    job.mkdir()
    with output_lock(job):  # a job is writing there
        assert main(["model", "score", "m", "-r", reg, "--cube", str(setup["cube"]),
                     "-o", str(job / "scored.zarr")]) != 0
        assert "in use by" in _err(capsys)
    assert not (job / "scored.zarr").exists()
    assert main(["model", "score", "m", "-r", reg, "--cube", str(setup["cube"]),
                 "-o", str(job / "scored.zarr")]) == 0
