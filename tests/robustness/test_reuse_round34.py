"""Round 34, model reuse: model folders as a researcher receives them through the tools
that move folders about, and the damage those tools do.

A ``model.skops`` left as a Git LFS pointer by a clone without ``git lfs``, files of no
bytes from a copy that stopped (or a cloud folder's placeholders), files a copy left
behind, names whose case a copy through Windows changed, JSON files saved again by
Windows tools (a byte-order mark, UTF-16), zips made on Windows, a cube whose layer is
the model's but for case, ONNX exports of models ONNX cannot carry, and model folders on
a server uploaded in part.

Every model here is tiny and SYNTHETIC (fitted on random rows in the test).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import assert_clean_error

SCHEMA: dict[str, Any] = {
    "variables": [{"name": n, "units": "1", "dtype": "float32",
                   "prospect_kind": "continuous", "provenance": {}} for n in ("a", "b")],
    "crs": "EPSG:32619", "resolution": 100.0, "feature_order": ["a", "b"],
}
CARD = {"mineral": "lithium", "synthetic": True, "limitations": ["SYNTHETIC model"]}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SYNTHETIC model folder, copied by each test before it is damaged."""
    from sklearn.linear_model import LogisticRegression

    from prospect.registry import save_model

    rng = np.random.default_rng(34)
    X = rng.random((60, 2))
    y = (X[:, 1] > 0.5).astype(int)
    return save_model(LogisticRegression().fit(X, y),
                      tmp_path_factory.mktemp("r34reuse") / "m", card=CARD, schema=SCHEMA)


def _copy(saved: Path, tmp_path: Path) -> Path:
    model = tmp_path / "received"
    shutil.copytree(saved, model)
    for path in model.iterdir():
        path.chmod(0o644)
    return model


def _lfs_pointer(path: Path) -> None:
    """Replace ``path`` with the Git LFS pointer a clone without ``git lfs`` leaves."""
    data = path.read_bytes()
    path.write_text("version https://git-lfs.github.com/spec/v1\n"
                    f"oid sha256:{hashlib.sha256(data).hexdigest()}\nsize {len(data)}\n")


def _import(cli, model: Path, tmp_path: Path) -> Any:
    return cli("model", "import", model, "--name", "li", "-r", tmp_path / "reg")


# -- files never downloaded: Git LFS pointers and cloud placeholders ----------------------

def test_a_git_lfs_pointer_for_model_skops_is_named(cli, saved: Path,
                                                    tmp_path: Path) -> None:
    """A clone of a repository keeping ``*.skops`` in Git LFS, made without ``git lfs``:
    was "not a skops model file (format: unknown)", as if the model were of another
    kind."""
    model = _copy(saved, tmp_path)
    _lfs_pointer(model / "model.skops")
    line = assert_clean_error(_import(cli, model, tmp_path), 1, str(model / "model.skops"),
                              "Git LFS pointer", "git lfs pull")
    assert "tampered" not in line
    assert not (tmp_path / "reg" / "li").exists()


def test_a_git_lfs_pointer_for_a_card_is_named(cli, saved: Path, tmp_path: Path) -> None:
    """``card.json`` kept in Git LFS too (a repository's ``* filter=lfs``): its pointer,
    whose ``oid`` is the very SHA-256 recorded, was "changed after saving (tampered or
    corrupt)"."""
    model = _copy(saved, tmp_path)
    _lfs_pointer(model / "card.json")
    result = _import(cli, model, tmp_path)
    assert result.code == 1
    text = result.out + result.err
    assert "tampered" not in text and "Traceback" not in text
    assert "Git LFS pointer" in text and "git lfs pull" in text
    assert "card.json" in text


def test_an_empty_model_skops_is_named_as_a_copy_that_stopped(cli, saved: Path,
                                                              tmp_path: Path) -> None:
    """A ``model.skops`` of no bytes (a copy that stopped, a synced folder's placeholder):
    was "not a skops model file (format: empty)", as if it were another kind of file."""
    model = _copy(saved, tmp_path)
    (model / "model.skops").write_bytes(b"")
    line = assert_clean_error(_import(cli, model, tmp_path), 1, str(model / "model.skops"),
                              "0 bytes", "copy")
    assert "not a skops model file" not in line


def test_an_empty_card_is_named_as_a_copy_that_stopped(cli, saved: Path,
                                                       tmp_path: Path) -> None:
    """A ``card.json`` of no bytes was "changed after saving (tampered or corrupt)"."""
    model = _copy(saved, tmp_path)
    (model / "card.json").write_bytes(b"")
    result = _import(cli, model, tmp_path)
    text = result.out + result.err
    assert result.code == 1 and "Traceback" not in text
    assert "tampered" not in text
    assert "card.json" in text and "0 bytes" in text


# -- files a copy left behind or renamed -----------------------------------------------

def test_files_left_behind_by_a_copy_are_not_called_tampered(cli, saved: Path,
                                                             tmp_path: Path) -> None:
    """A folder copied in part (``card.md`` and ``schema.json`` not there): was "the
    model files were changed after saving (tampered or corrupt)"."""
    model = _copy(saved, tmp_path)
    (model / "card.md").unlink()
    (model / "schema.json").unlink()
    result = _import(cli, model, tmp_path)
    text = result.out + result.err
    assert result.code == 1 and "Traceback" not in text
    assert "tampered" not in text
    assert "card.md: missing" in text and "schema.json: missing" in text
    assert "copy the folder again" in text


def test_a_card_renamed_in_another_case_is_named(cli, saved: Path, tmp_path: Path) -> None:
    """``card.json`` arrived as ``Card.JSON`` (a copy through Windows, a zip tool):
    was "card.json: missing" and "tampered or corrupt"."""
    model = _copy(saved, tmp_path)
    (model / "card.json").rename(model / "Card.JSON")
    result = _import(cli, model, tmp_path)
    text = result.out + result.err
    assert result.code == 1 and "Traceback" not in text
    assert "tampered" not in text
    assert "Card.JSON" in text and "rename" in text


def test_model_skops_renamed_in_another_case_is_named(cli, saved: Path,
                                                      tmp_path: Path) -> None:
    """``model.skops`` arrived as ``Model.skops``: was "no model.skops; files there:
    [...]", leaving the user to spot the capital."""
    model = _copy(saved, tmp_path)
    (model / "model.skops").rename(model / "Model.skops")
    assert_clean_error(_import(cli, model, tmp_path), 1, "Model.skops is there",
                       "rename it to model.skops")


# -- JSON saved again by Windows tools ---------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_checksums_saved_by_windows_tools_are_read(cli, saved: Path, tmp_path: Path,
                                                   encoding: str) -> None:
    """``checksums.json`` saved again by Notepad or PowerShell 5's ``Out-File`` (a UTF-8
    byte-order mark, or UTF-16): was "not a valid checksum file (Unexpected UTF-8 BOM
    (decode using utf-8-sig) ...)" or "'utf-8' codec can't decode byte 0xff"."""
    model = _copy(saved, tmp_path)
    text = (model / "checksums.json").read_text(encoding="utf-8")
    (model / "checksums.json").write_bytes(text.encode(encoding))
    result = _import(cli, model, tmp_path)
    assert result.code == 0, result.out + result.err
    assert (tmp_path / "reg" / "li" / "1" / "model.skops").is_file()


def test_a_byte_order_mark_added_to_a_card_is_named(cli, saved: Path,
                                                    tmp_path: Path) -> None:
    """``card.json`` opened and saved in Notepad (which adds a UTF-8 byte-order mark):
    was "tampered or corrupt", though its content is the one saved."""
    model = _copy(saved, tmp_path)
    data = (model / "card.json").read_bytes()
    (model / "card.json").write_bytes(b"\xef\xbb\xbf" + data)
    result = _import(cli, model, tmp_path)
    text = result.out + result.err
    assert result.code == 1 and "Traceback" not in text
    assert "tampered" not in text
    assert "byte-order mark" in text and "card.json" in text


def test_an_edited_card_is_still_tampered(cli, saved: Path, tmp_path: Path) -> None:
    """control: a card whose content was changed is refused as changed after saving,
    whatever the copy did besides."""
    model = _copy(saved, tmp_path)
    card = json.loads((model / "card.json").read_text())
    card["mineral"] = "gold"
    (model / "card.json").write_text(json.dumps(card))
    (model / "schema.json").unlink()
    result = _import(cli, model, tmp_path)
    text = result.out + result.err
    assert result.code == 1 and "tampered or corrupt" in text
    assert not (tmp_path / "reg" / "li").exists()


# -- a cube's layers named otherwise ---------------------------------------------------

def _cube(path: Path, names: tuple[str, ...]) -> Path:
    """A 10 x 10 SYNTHETIC cube of continuous layers ``names`` on the schema's grid."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 561000.0, 1331000.0),
                      chunks=(10, 10), name="r34reuse")
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(7)
    add_variables(path, xr.Dataset({
        n: float_layer(rng.random(grid.shape), name=n, units="1", long_name=n,
                       provenance={"source": "synthetic"}, like=like) for n in names}))
    return path


def test_a_layer_named_in_another_case_is_named(cli, saved: Path, tmp_path: Path) -> None:
    """The model's ``a`` is the cube's ``A`` (another job's config): was "variable 'a':
    missing from the cube", with ``A`` beside it never named."""
    reg = tmp_path / "reg"
    assert cli("model", "import", saved, "--name", "li", "-r", reg).code == 0
    cube = _cube(tmp_path / "cube.zarr", ("A", "b"))
    result = cli("model", "score", "li", "-r", reg, "-c", cube, "-o", tmp_path / "s.zarr")
    text = result.out + result.err
    assert result.code != 0 and "Traceback" not in text
    assert "variable 'a': missing from the cube, whose layer 'A' differs" in text
    assert "name that layer 'a'" in text
    assert not (tmp_path / "s.zarr").exists()


def test_a_layer_of_another_name_is_still_just_missing(cli, saved: Path,
                                                      tmp_path: Path) -> None:
    """control: a cube without the model's ``a`` nor any name like it says it is
    missing, naming no other layer."""
    reg = tmp_path / "reg"
    assert cli("model", "import", saved, "--name", "li", "-r", reg).code == 0
    cube = _cube(tmp_path / "cube.zarr", ("c", "b"))
    result = cli("model", "score", "li", "-r", reg, "-c", cube, "-o", tmp_path / "s.zarr")
    text = result.out + result.err
    assert result.code != 0 and "Traceback" not in text
    assert "variable 'a': missing from the cube" in text
    assert "whose layer" not in text and "differs from it only in case" not in text


# -- ONNX exports of models ONNX cannot carry ----------------------------------------------

def _registered(cli, tmp_path: Path, estimator: Any) -> Path:
    """A registry holding ``estimator`` (fitted on SYNTHETIC rows) as ``e``."""
    from prospect.registry import save_model

    rng = np.random.default_rng(34)
    X = rng.random((60, 2))
    y = (X[:, 1] > 0.5).astype(int)
    model = save_model(estimator.fit(X, y), tmp_path / "m", card=CARD, schema=SCHEMA)
    reg = tmp_path / "reg"
    assert cli("model", "import", model, "--name", "e", "-r", reg).code == 0
    return reg


def test_an_export_onnxruntime_cannot_run_names_the_model(cli, tmp_path: Path) -> None:
    """A Gaussian process classifier, which skl2onnx writes with an operator onnxruntime
    lacks: was "<out>/.e.onnx.tmp-1a2b3c4d: not a readable ONNX model ...; export the
    model again with 'prospect model export'": a hidden file the user never named, and
    a fix that fails the same way."""
    pytest.importorskip("skl2onnx")
    from sklearn.gaussian_process import GaussianProcessClassifier

    reg = _registered(cli, tmp_path, GaussianProcessClassifier(random_state=0))
    out = tmp_path / "out" / "e.onnx"
    line = assert_clean_error(cli("model", "export", "e", "-r", reg, "-o", out), 1,
                              "cannot export", "GaussianProcessClassifier",
                              "onnxruntime cannot run", "keep using the skops file")
    assert ".tmp-" not in line and "export the model again" not in line
    assert not out.exists()
    assert not out.parent.exists() or not list(out.parent.iterdir())


def test_an_export_that_disagrees_says_nothing_was_written(cli, tmp_path: Path) -> None:
    """An isotonic calibration, whose steps ONNX reproduces only roughly: was "e.onnx:
    ONNX predictions differ ...; do not use this export", of a file never written."""
    pytest.importorskip("skl2onnx")
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import RandomForestClassifier

    reg = _registered(cli, tmp_path, CalibratedClassifierCV(
        RandomForestClassifier(5, random_state=0), method="isotonic", cv=3))
    out = tmp_path / "e.onnx"
    line = assert_clean_error(cli("model", "export", "e", "-r", reg, "-o", out), 1,
                              str(out), "not written", "--atol")
    assert "do not use this export" not in line
    assert not out.exists()


def test_an_export_onnx_carries_is_written(cli, tmp_path: Path) -> None:
    """control: a logistic regression exports, and the file is there."""
    pytest.importorskip("skl2onnx")
    from sklearn.linear_model import LogisticRegression

    reg = _registered(cli, tmp_path, LogisticRegression())
    out = tmp_path / "e.onnx"
    result = cli("model", "export", "e", "-r", reg, "-o", out)
    assert result.code == 0, result.out + result.err
    assert out.is_file() and out.stat().st_size > 0


# -- archives made on Windows --------------------------------------------------------------

@pytest.mark.parametrize("member", ["m\\{}", "M/{}"], ids=["backslashes", "capitals"])
def test_a_zip_of_a_model_made_on_windows_is_named_as_one(cli, saved: Path, tmp_path: Path,
                                                          member: str) -> None:
    """A model folder zipped on Windows, its members named ``m\\\\card.json`` (older
    Windows tools, PowerShell 5's ``Compress-Archive``) or in capitals: was "a bare zip
    file; give the model directory", as if it held no model."""
    import zipfile

    archive = tmp_path / "m.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(saved.iterdir()):
            name = path.name.upper() if member.startswith("M/") else path.name
            zf.writestr(member.format(name), path.read_bytes())
    line = assert_clean_error(_import(cli, archive, tmp_path), 1, str(archive),
                              "a zip archive of a model directory", "unpack it")
    assert "bare zip" not in line
    assert not (tmp_path / "reg" / "li").exists()


def test_a_zip_of_other_files_is_still_a_bare_zip(cli, tmp_path: Path) -> None:
    """control: a zip holding no ``checksums.json`` under any name is a bare zip file."""
    import zipfile

    archive = tmp_path / "m.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("docs\\readme.txt", b"SYNTHETIC")
    assert_clean_error(_import(cli, archive, tmp_path), 1, str(archive), "a bare zip file")


# -- checksums.json itself never downloaded --------------------------------------------

@pytest.mark.parametrize("damage", ["empty", "lfs"])
def test_a_checksums_file_never_downloaded_is_named(cli, saved: Path, tmp_path: Path,
                                                    damage: str) -> None:
    """``checksums.json`` of no bytes, or a Git LFS pointer: was "not a valid checksum
    file (Expecting value: line 1 column 1 (char 0))", Python's parser's words."""
    model = _copy(saved, tmp_path)
    sums = model / "checksums.json"
    if damage == "empty":
        sums.write_bytes(b"")
        needles = ("empty (0 bytes)", "copy the model folder again")
    else:
        _lfs_pointer(sums)
        needles = ("a Git LFS pointer", "git lfs pull")
    line = assert_clean_error(_import(cli, model, tmp_path), 1, str(sums), *needles)
    assert "Expecting value" not in line


# -- model folders on a server, uploaded in part -----------------------------------------

def _uploaded(saved: Path, tmp_path: Path, *, leave_out: str = "",
              empty: str = "") -> str:
    """``saved`` put on an in-memory fsspec server (as on a bucket) under a name of this
    test's own, less ``leave_out`` and with ``empty`` of no bytes; its URL."""
    import fsspec

    fs = fsspec.filesystem("memory")
    root = f"/r34reuse/{tmp_path.name}/m"
    for path in saved.iterdir():
        if path.name != leave_out:
            fs.pipe(f"{root}/{path.name}", b"" if path.name == empty else path.read_bytes())
    return f"memory://{root}"


@pytest.mark.parametrize("left_out", ["card.md", "checksums.json"])
def test_a_model_folder_uploaded_in_part_is_named(cli, saved: Path, tmp_path: Path,
                                                  left_out: str) -> None:
    """A model folder on a bucket whose upload stopped: was "no card.md; not a Prospect
    model directory (nor a job's output folder ...)", as if it were another folder."""
    url = _uploaded(saved, tmp_path, leave_out=left_out)
    line = assert_clean_error(cli("model", "import", url, "--name", "li", "-r",
                                  tmp_path / "reg"), 1, url, f"no {left_out}, though",
                              "uploaded or copied in part")
    assert "not a Prospect model directory" not in line


def test_a_remote_models_damage_names_its_url(cli, saved: Path, tmp_path: Path) -> None:
    """A remote model whose ``card.json`` arrived empty: the error named the temporary
    folder it was downloaded to (``/tmp/prospect-import-...``), removed before the user
    read it, instead of the URL given."""
    url = _uploaded(saved, tmp_path, empty="card.json")
    result = cli("model", "import", url, "--name", "li", "-r", tmp_path / "reg")
    text = result.out + result.err
    assert result.code == 1 and "Traceback" not in text
    assert "prospect-import-" not in text
    assert f"error: {url}: checksum verification failed" in text
    assert "card.json" in text and "0 bytes" in text


def test_a_whole_remote_model_is_imported(cli, saved: Path, tmp_path: Path) -> None:
    """control: the whole folder on the server is imported."""
    url = _uploaded(saved, tmp_path)
    result = cli("model", "import", url, "--name", "li", "-r", tmp_path / "reg")
    assert result.code == 0, result.out + result.err
    assert (tmp_path / "reg" / "li" / "1" / "checksums.json").is_file()


# -- model files kept as links (git-annex, DVC) ----------------------------------------

def test_a_model_file_kept_as_an_unfetched_link_says_how_to_fetch(cli, saved: Path,
                                                                  tmp_path: Path) -> None:
    """A clone of a git-annex (or DVC) repository whose ``model.skops`` is a link to
    content not fetched: was "model.skops is a symbolic link(s); a model directory must
    hold plain files; refused", with no way to a folder that loads."""
    model = _copy(saved, tmp_path)
    (model / "model.skops").unlink()
    (model / "model.skops").symlink_to("../.git/annex/objects/SHA256E-s9186--ab.skops")
    line = assert_clean_error(_import(cli, model, tmp_path), 1, "model.skops",
                              "symbolic link", "git annex get", "cp -rL")
    assert not (tmp_path / "reg" / "li").exists(), line
