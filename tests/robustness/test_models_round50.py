"""Round 50, models and reuse: ``prospect model export`` checked its ONNX file on rows the
map never scores, refused cubes that hold data below their first rows, and refused models
saved outside the train stage as "not faithful" because its random rows put noise in
their code columns.

All data are SYNTHETIC: round 49's factory (:func:`.test_models_round49._published`) makes
a one-hot logistic regression on ``a`` (0..1) and ``geo`` (codes 1-3) fitted on 600
seeded rows, saved with a plain input schema (``schema_from_cube``: no ``feature_spec``,
as a model saved with the library's API outside the train stage has) in a temporary
registry, and 32 x 32 cubes of 16 x 16 chunks on its grid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_models_round49 import _published


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A registry holding ``logit`` (SYNTHETIC, clean training record) and its cube maker."""
    return _published(tmp_path_factory.mktemp("r50models"), 50, None, 0)


def _export(cli: Any, found: dict[str, Any], out: Path, *extra: Any) -> tuple[int, str]:
    """``prospect model export logit -o OUT EXTRA``: its exit code and words on one line."""
    result = cli("model", "export", "logit", "-o", out, "-r", found["reg"], *extra)
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text, text[-3000:]
    assert "internal error" not in text.lower(), text[-3000:]
    return result.code, text


def _model(found: dict[str, Any]) -> Any:
    from prospect.registry import ModelRegistry

    return ModelRegistry(str(found["reg"])).load("logit", "1")


def test_export_checks_on_a_cube_whose_first_rows_hold_no_data(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: ``a`` is NaN on the cube's first 20 of 32 rows (an island's region: sea
    at the top), data below. Before, ``--cube`` read only the first ``4 * samples``
    cells (7 rows for 50 samples) and refused: "no cell with all features present to
    check the export", though 384 cells hold every feature. Now the next rows are read
    until enough are found: the export is written and checked on 50 rows."""
    a = plain["a"].copy()
    a[:20, :] = np.nan
    cube = plain["make_cube"](tmp_path / "c.zarr", a)
    out = tmp_path / "m.onnx"
    code, text = _export(cli, plain, out, "--cube", cube, "--samples", 50)
    assert code == 0, text
    assert "on 50 rows" in text, text
    assert out.is_file()


def test_export_check_rows_leave_out_a_fill_the_map_leaves_unscored(
    plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: ``a`` holds -9999 (not declared as nodata, far outside the training
    range 0..1) on the cube's first 8 rows. The map leaves those cells unscored
    (round 47's ``mask_far_fills``); before, ``model export --cube`` compared the export
    on them as values (every one of its 100 rows held -9999). Now the rows are the map's:
    none holds the fill, and 100 rows are still compared."""
    from pipelines.commands.model import _sample_inputs

    a = plain["a"].copy()
    a[:8, :] = -9999.0
    cube = plain["make_cube"](tmp_path / "c.zarr", a)
    X = _sample_inputs(_model(plain), cube, 100, seed=0)
    assert X.shape == (100, 2), X.shape
    assert not (X[:, 0] == -9999.0).any(), X[:5]
    assert ((X[:, 0] >= 0) & (X[:, 0] <= 1)).all(), X[:5]


def test_export_refuses_a_cube_without_any_cell_of_data_saying_what_to_do(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: every cell of ``a`` is -9999 (a fill far outside the training range):
    no cell is one the map scores. Before, the export was written, "checked" on 1024
    rows of the fill alone. Now refused in one line naming the cube, why (the fill taken
    as no data, as the map takes it) and what to do; nothing written."""
    cube = plain["make_cube"](tmp_path / "c.zarr", np.full((32, 32), -9999.0, "f4"))
    out = tmp_path / "m.onnx"
    code, text = _export(cli, plain, out, "--cube", cube)
    assert code == 1, text
    assert f"{cube}: no cell with all features present to check the export" in text, text
    assert "of 1024 cells" in text and "as the map takes it" in text, text
    assert "leave out --cube to check on random inputs" in text, text
    assert not out.exists()


def test_export_without_a_cube_of_a_model_with_a_plain_schema_and_a_code_layer(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: the model's schema is plain (no ``feature_spec``), its estimator one-hot
    encodes ``geo``. Before, the random check rows put normal noise in ``geo`` (the
    schema names no categorical column), where the two runtimes part ways (ONNX casts
    1.39 to code 1, scikit-learn calls it unknown): "not written: ONNX predictions differ
    from scikit-learn's by up to 0.178 ... does not convert to ONNX faithfully", exit 1.
    Now the encoder's own columns take its codes: written, agreeing to 1e-4."""
    out = tmp_path / "m.onnx"
    code, text = _export(cli, plain, out, "--samples", 500)
    assert code == 0, text
    assert "on 500 rows" in text and "does not convert" not in text, text
    assert out.is_file()


def test_check_rows_take_the_encoders_codes_without_being_told_the_columns(
    plain: dict[str, Any],
) -> None:
    """SYNTHETIC: ``check_rows`` told of no categorical column still puts the encoder's
    codes (1-3, and 4 it never saw) in ``geo``; told of it, the rows are as before
    (control: the same draws, byte for byte)."""
    from prospect.registry.onnx_export import check_rows

    est = _model(plain).estimator
    untold = check_rows(est, 2, [], 300, seed=0)
    assert set(np.unique(untold[:, 1]).tolist()) == {1.0, 2.0, 3.0, 4.0}
    told = check_rows(est, 2, [1], 300, seed=0)
    assert told.tobytes() == untold.tobytes()


def test_control_export_on_a_clean_cube_samples_its_first_rows_as_before(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """Control, SYNTHETIC: a cube with every cell of data gives rows that are its own
    cells, the same seeded draw each time, and the CLI writes the export. (Round 51: the
    rows are spread over the cube's chunks, no longer its first ``4 * n`` cells.)"""
    from pipelines.commands.model import _sample_inputs

    cube = plain["make_cube"](tmp_path / "c.zarr", plain["a"])
    X = _sample_inputs(_model(plain), cube, 40, seed=0)
    from prospect.io.cube import open_cube

    ds = open_cube(cube)
    cells = np.stack([np.asarray(ds[f].values) for f in ("a", "geo")]).astype("float32")
    own = {tuple(r) for r in cells.reshape(2, -1).T.tolist()}
    assert len(X) == 40 and {tuple(r) for r in X.tolist()} <= own
    assert X.tobytes() == _sample_inputs(_model(plain), cube, 40, seed=0).tobytes()
    code, text = _export(cli, plain, tmp_path / "m.onnx", "--cube", cube, "--samples", 40)
    assert code == 0 and "on 40 rows" in text, text


def _fine_cube(path: Path) -> Path:
    """A SYNTHETIC cube of ``a`` and ``geo`` on the model's region at 50 m (the model's
    cells are 100 m), 64 x 64 cells of 32 x 32 chunks."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    grid = RegionGrid(
        "EPSG:32619",
        50.0,
        (560000.0, 1330000.0, 563200.0, 1333200.0),
        chunks=(32, 32),
        name="r50fine",
    )
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(53)
    geo = float_layer(
        rng.integers(1, 4, grid.shape).astype("f4"),
        name="geo",
        units="1",
        long_name="geology unit code",
        provenance={"source": "synthetic"},
        like=like,
    )
    geo.attrs["prospect_kind"] = "categorical"
    a = float_layer(
        rng.random(grid.shape).astype("f4"),
        name="a",
        units="1",
        long_name="a",
        provenance={"source": "synthetic"},
        like=like,
    )
    add_variables(path, xr.Dataset({"a": a, "geo": geo}))
    return path


def test_export_takes_the_reproject_its_refusal_names(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: ``--cube`` at 50 m for a model of 100 m cells is refused with "fix: ...
    ask for reprojection (reproject=True, --reproject)"; before, ``model export`` had no
    such option (exit 2, "No such option: --reproject"). Now ``--reproject`` warps the
    cube as ``model score --reproject`` does and the export is checked on its cells;
    ``--reproject`` without ``--cube`` is one line saying what it needs."""
    cube = _fine_cube(tmp_path / "fine.zarr")
    code, text = _export(cli, plain, tmp_path / "m.onnx", "--cube", cube)
    assert code == 1 and "--reproject" in text, text
    out = tmp_path / "r.onnx"
    code, text = _export(cli, plain, out, "--cube", cube, "--reproject", "--samples", 500)
    assert code == 0, text
    assert "on 500 rows" in text and out.is_file(), text
    code, text = _export(cli, plain, tmp_path / "n.onnx", "--reproject")
    assert code == 1, text
    assert "no --cube was given; give --cube CUBE, or leave out --reproject" in text, text
    assert not (tmp_path / "n.onnx").exists()


def _tar(path: Path, members: dict[str, bytes | None]) -> Path:
    """A SYNTHETIC tar (gzipped for ``.tgz``/``.gz``) of ``members``: bytes, or ``None``
    for a symbolic link to ``/etc/passwd``."""
    import io
    import tarfile

    mode = "w:gz" if path.suffix in (".tgz", ".gz") else "w"
    with tarfile.open(path, mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    ("archive", "members", "has"),
    [
        (
            "m.tgz",
            {"m/model.skops": b"PK", "m/card.json": b"{}", "m/schema.json": b"{}"},
            "it has card.json, model.skops but no checksums.json",
        ),
        ("docs.tar", {"m/readme.txt": b"SYNTHETIC"}, "no checksums.json under any name"),
        (
            "evil.tar.gz",
            {"../evil.txt": b"x", "m/model.skops": None},
            "it has model.skops but no checksums.json",
        ),
    ],
)
def test_a_tar_without_checksums_is_said_as_an_archive_not_a_pickle(
    cli: Any, tmp_path: Path, archive: str, members: dict[str, bytes | None], has: str
) -> None:
    """SYNTHETIC: ``model import`` of a tar holding no ``checksums.json`` (a model's files
    tarred by hand; a tar of other files; one with a ``../`` member and a symbolic link
    to ``/etc/passwd``). Before, a gzipped one was "refused: this is a gzip (joblib
    compressed pickle?) file, and loading pickle or joblib files runs arbitrary code ...
    re-save the model", a plain one "not a skops model file (format: unknown)". Now it is
    said as a tar archive with its members and what it lacks; nothing is unpacked,
    nothing written (no registry, no ``evil.txt``)."""
    from .conftest import assert_clean_error

    (tmp_path / "in").mkdir()
    path = _tar(tmp_path / "in" / archive, members)
    reg = tmp_path / "reg"
    line = assert_clean_error(
        cli("model", "import", path, "--name", "li", "-r", reg),
        1,
        str(path),
        "a tar archive (",
        "holding no model directory",
        has,
        "Prospect does not unpack archives",
    )
    assert "pickle" not in line and "joblib" not in line and "skops model file" not in line
    assert not reg.exists()
    assert not (tmp_path / "evil.txt").exists()


def test_a_zip_of_a_models_files_without_checksums_is_said_as_such(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: a zip of a model's ``model.skops`` and ``card.json`` without
    ``checksums.json`` was "a bare zip file" (as if it held no model's files); now its
    members and what it lacks are said. Control: the lone ``model.skops`` (itself a zip)
    is still "a bare zip file", as before."""
    import zipfile

    from .conftest import assert_clean_error

    version = Path(plain["reg"]) / "logit" / "1"
    archive = tmp_path / "m.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("model.skops", "card.json"):
            zf.writestr(f"m/{name}", (version / name).read_bytes())
    reg = tmp_path / "reg"
    line = assert_clean_error(
        cli("model", "import", archive, "--name", "li", "-r", reg),
        1,
        "a zip archive (2 member(s)",
        "it has card.json, model.skops but no checksums.json",
    )
    assert "bare zip" not in line
    lone = tmp_path / "lone.skops"
    lone.write_bytes((version / "model.skops").read_bytes())
    assert_clean_error(
        cli("model", "import", lone, "--name", "li", "-r", reg), 1, "a bare zip file"
    )
    assert not reg.exists()


def test_control_a_tar_of_a_whole_model_directory_is_said_as_before(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """Control, SYNTHETIC: a gzipped tar of a whole model directory (``checksums.json``
    among its members) is still "a tar archive of a model directory; unpack it"."""
    from .conftest import assert_clean_error

    version = Path(plain["reg"]) / "logit" / "1"
    members = {f"m/{p.name}": p.read_bytes() for p in sorted(version.iterdir())}
    path = _tar(tmp_path / "m.tar.gz", dict(members))
    line = assert_clean_error(
        cli("model", "import", path, "--name", "li", "-r", tmp_path / "reg"),
        1,
        "a tar archive of a model directory; unpack it",
    )
    assert "holding no model directory" not in line
