"""Class 9: a broken registry entry is contained; every other version is still listed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import SmallDisk, assert_clean_error


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with model ``li`` in versions 1..3 (a small SYNTHETIC random forest)."""
    from sklearn.ensemble import RandomForestClassifier

    from prospect.registry import ModelRegistry, save_model

    root = tmp_path_factory.mktemp("registry")
    rng = np.random.default_rng(0)
    X = rng.random((60, 2)).astype("float32")
    est = RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0).fit(
        X, (X[:, 0] > 0.5).astype(int))
    schema = {"variables": [{"name": n, "units": "1", "dtype": "float32",
                             "prospect_kind": "continuous", "provenance": {}} for n in "ab"],
              "crs": "EPSG:32619", "resolution": 10.0, "feature_order": ["a", "b"]}
    card = {"mineral": "lithium", "synthetic": True, "limitations": ["SYNTHETIC test model"]}
    reg = ModelRegistry(root / "reg")
    for version in ("1", "2", "3"):
        reg.publish(save_model(est, root / f"m{version}", card=card, schema=schema), "li",
                    version=version)
    return root / "reg"


def _rewrite(version_dir: Path, file: str, change: Any, *, keep_checksums: bool) -> None:
    """Edit ``file`` of a published version (and, unless told, its checksum too)."""
    for path in version_dir.iterdir():
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    data = json.loads((version_dir / file).read_text())
    change(data)
    (version_dir / file).write_text(json.dumps(data))
    if keep_checksums:
        from prospect.io.files import file_sha256

        sums = json.loads((version_dir / "checksums.json").read_text())
        sums["files"][file] = file_sha256(version_dir / file)
        (version_dir / "checksums.json").write_text(json.dumps(sums))


BROKEN: list[tuple[str, str, Any, bool, list[str]]] = [
    ("card-estimator-string", "card.json", lambda d: d.update(estimator="oops"), True,
     ["li version 3", "'estimator'", "an object"]),
    ("card-synthetic-string", "card.json", lambda d: d.update(synthetic="yes"), True,
     ["li version 3", "'synthetic'", "true or false"]),
    ("card-mineral-list", "card.json", lambda d: d.update(mineral=["li"]), True,
     ["li version 3", "'mineral'"]),
    ("schema-variables-string", "schema.json", lambda d: d.update(variables="a,b"), True,
     ["li version 3", "'variables'", "a list"]),
    ("schema-feature-numbers", "schema.json", lambda d: d.update(feature_order=[1, 2]),
     True, ["li version 3", "feature_order"]),
    ("schema-resolution-string", "schema.json", lambda d: d.update(resolution="10 m"),
     True, ["li version 3", "'resolution'", "a number"]),
    ("card-edited-no-checksum", "card.json", lambda d: d.update(mineral="gold"), False,
     ["li version 3", "checksum verification failed"]),
]


@pytest.mark.parametrize(("file", "change", "keep", "needles"), [c[1:] for c in BROKEN],
                         ids=[c[0] for c in BROKEN])
def test_a_broken_version_is_named_and_the_others_still_listed(
    registry: Path, tmp_path: Path, cli, file: str, change: Any, keep: bool,
    needles: list[str],
) -> None:
    import shutil

    reg = tmp_path / "reg"
    shutil.copytree(registry, reg)
    _rewrite(reg / "li" / "3", file, change, keep_checksums=keep)
    listed = cli("model", "list", "--registry", reg)
    assert listed.code == 1, listed.err[-2000:]  # every version listed, and not a success
    assert "Traceback" not in listed.err + listed.out
    assert "(broken)" in listed.out and "lithium" in listed.out
    warnings = [line for line in listed.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and all(n in warnings[0] for n in needles[:1]), listed.err
    shown = cli("model", "show", "li", "--version", "3", "--json", "--registry", reg)
    assert_clean_error(shown, shown.code, *needles)
    assert shown.code != 0
    fine = cli("model", "show", "li", "--version", "2", "--json", "--registry", reg)
    assert fine.code == 0 and json.loads(fine.out)["mineral"] == "lithium"


@pytest.mark.parametrize(("file", "change", "needles"),
                         [(c[1], c[2], c[4][1:]) for c in BROKEN if c[3]],
                         ids=[c[0] for c in BROKEN if c[3]])
def test_a_model_with_a_broken_card_or_schema_is_not_imported(
    registry: Path, tmp_path: Path, cli, file: str, change: Any, needles: list[str],
) -> None:
    """Before: 'model import' published it (its checksums agree), and only a later list,
    show or score of the registry found the broken version."""
    import shutil

    model = tmp_path / "model"
    shutil.copytree(registry / "li" / "1", model)
    _rewrite(model, file, change, keep_checksums=True)
    reg = tmp_path / "fresh"
    result = cli("model", "import", model, "--name", "li", "--registry", reg)
    assert_clean_error(result, 1, str(model / file), *needles)
    assert not (reg / "li").exists() or not any((reg / "li").iterdir())


def test_a_registry_that_is_a_file_is_one_line(tmp_path: Path, cli) -> None:
    """Before: 'no models in <file>' and exit 0, as if the registry were empty."""
    path = tmp_path / "notes.txt"
    path.write_text("not a registry\n")
    assert_clean_error(cli("model", "list", "--registry", path), 1, str(path),
                       "is a file, not a directory")


def test_an_export_onto_a_folder_is_one_line_and_writes_nothing(
        registry: Path, tmp_path: Path, cli) -> None:
    """``model export --out FOLDER`` converted and checked the model, wrote it beside the
    folder's parent as a hidden temporary file and then failed with 'ERROR -> FOLDER: Is a
    directory' naming that temporary path (for --out /tmp: a file in /)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli("model", "export", "li", "--registry", registry, "--out", folder)
    line = assert_clean_error(result, 74, str(folder), "a folder is where a file is to be "
                              "written")
    assert ".tmp-" not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before and not any(folder.iterdir())


# How the registry was chosen -> what the hint must name. The read-only hint said "give an
# -o on a writable disk" for every one of them (-o is no option of 'prospect model').
GIVEN = [("option", "-r/--registry"), ("environment", "$PROSPECT_REGISTRY"),
         ("default", "-r/--registry or $PROSPECT_REGISTRY")]


def _registry_given(how: str, target: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.delenv("PROSPECT_REGISTRY", raising=False)
    if how == "option":
        return ["--registry", str(target)]
    if how == "environment":
        monkeypatch.setenv("PROSPECT_REGISTRY", str(target))
    else:  # ~/.local/share/prospect/models
        monkeypatch.setenv("HOME", str(target))
    return []


@pytest.mark.parametrize(("how", "named"), GIVEN, ids=[g[0] for g in GIVEN])
def test_a_read_only_registry_names_how_it_was_given(
    registry: Path, small_disk: SmallDisk, cli, monkeypatch: pytest.MonkeyPatch, how: str,
    named: str,
) -> None:
    small_disk.remount("ro")
    args = _registry_given(how, small_disk.root / "reg", monkeypatch)
    result = cli("model", "import", registry / "li" / "1", "--name", "li", *args)
    line = assert_clean_error(result, 74, str(small_disk.root), "read-only",
                              f"point {named} to a folder on a writable disk")
    assert " -o" not in line and "--out" not in line


@pytest.mark.parametrize(("how", "named"), GIVEN, ids=[g[0] for g in GIVEN])
def test_a_registry_below_a_file_names_how_it_was_given(
    registry: Path, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch, how: str,
    named: str,
) -> None:
    """The same class without a mount: a registry path that runs through a file."""
    (tmp_path / "notes.txt").write_text("not a folder\n")
    args = _registry_given(how, tmp_path / "notes.txt" / "reg", monkeypatch)
    result = cli("model", "import", registry / "li" / "1", "--name", "li", *args)
    line = assert_clean_error(result, 74, str(tmp_path / "notes.txt"), "is a file",
                              f"point {named} elsewhere")
    assert " -o" not in line
    if how == "default":  # the default is a folder below $HOME, never $HOME itself
        return
    # a registry that is a file names it too
    args = _registry_given(how, tmp_path / "notes.txt", monkeypatch)
    assert_clean_error(cli("model", "list", *args), 1, "is a file, not a directory",
                       f"({named})")


def test_an_export_to_a_read_only_disk_names_out_and_the_file(
        registry: Path, small_disk: SmallDisk, cli) -> None:
    """It named the writer's hidden temporary file (.m.onnx.tmp-1a2b3c4d) and '-o' alone."""
    small_disk.remount("ro")
    out = small_disk.root / "m.onnx"
    line = assert_clean_error(cli("model", "export", "li", "--registry", registry, "--out", out),
                              74, f"{out}: the file system is read-only",
                              "point -o/--out to a folder")
    assert ".tmp-" not in line
