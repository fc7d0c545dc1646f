"""Round 46, models and reuse: a common fill below 1e30 (-9999, -32768, 65535) that no one
declared as a layer's nodata, on a few cells of a cube scored with a registry model or in
the training rows, and ``model score --cog`` onto the model's own folder or a cube's.

All data are SYNTHETIC: 600 training rows drawn from a seeded generator (a continuous
layer ``a`` in 0..1 and a geology code ``geo`` of units 1, 2 and 3), a one-hot logistic
regression made by Prospect's own factory (:func:`prospect.models.factory.make_estimator`)
published in a temporary registry, and 16 x 16 cubes on its grid written as another tool
writes them (no ``prospect_fingerprint``), scored by the real CLI in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest


def published_logit(root: Path, seed: int, side: int) -> dict[str, Any]:
    """A registry under ``root`` holding ``logit`` (a SYNTHETIC logistic regression on
    ``a`` and ``geo``, rows drawn with ``seed``) and a maker of SYNTHETIC cubes of ``side``
    x ``side`` cells (16 x 16 chunks) on its grid; round 47 builds its own the same way."""
    import xarray as xr

    from prospect.config.model import ModelConfig
    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.models.factory import make_estimator
    from prospect.registry import ModelRegistry, save_model
    from prospect.registry.applicability import training_values
    from prospect.registry.schema import schema_from_cube
    from prospect.testing import float_layer

    rng = np.random.default_rng(seed)
    n = 600
    geo = rng.integers(1, 4, n).astype(float)
    a = rng.random(n)
    X = np.column_stack([a, geo])
    y = (rng.random(n) < np.where(geo == 3, 0.4, 0.05) + 0.3 * a).astype(int)
    grid = RegionGrid("EPSG:32619", 100.0,
                      (560000.0, 1330000.0, 560000.0 + 100 * side, 1330000.0 + 100 * side),
                      chunks=(16, 16), name=f"r{seed}reuse")

    def make_cube(path: Path, a_cells: np.ndarray) -> Path:
        """A SYNTHETIC cube of ``a`` (as given, no nodata declared) and ``geo`` (1-3) as
        another tool writes one."""
        create_cube(path, grid, attrs={"synthetic": True})
        like = open_cube(path)
        codes = rng.integers(1, 4, grid.shape).astype("f4")
        layer = float_layer(codes, name="geo", units="1", long_name="geology unit code",
                            provenance={"source": "synthetic"}, like=like)
        layer.attrs["prospect_kind"] = "categorical"
        add_variables(path, xr.Dataset({
            "a": float_layer(a_cells, name="a", units="1", long_name="a",
                             provenance={"source": "synthetic"}, like=like),
            "geo": layer}))
        return path

    first = make_cube(root / "schema.zarr", rng.random(grid.shape))
    schema = schema_from_cube(open_cube(first), ["a", "geo"])
    seen = training_values(X, ["a", "geo"], ["geo"])
    for spec in schema["variables"]:
        spec["training"] = seen[spec["name"]]
    registry = ModelRegistry(str(root / "reg"))
    cfg = ModelConfig(estimator="logistic_regression", mineral="lithium",
                      labels={"source": "wells"})
    model = make_estimator(cfg, n_features=2, categorical=[1], cell_area=1e4,
                           feature_names=["a", "geo"]).fit(X, y)
    folder = save_model(model, root / "logit", schema=schema,
                        card={"mineral": "lithium", "synthetic": True,
                              "limitations": ["SYNTHETIC model"]})
    registry.publish(folder, "logit", version="1")
    return {"reg": root / "reg", "grid": grid, "make_cube": make_cube, "rng": rng}


@pytest.fixture(scope="module")
def reuse(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """:func:`published_logit` of 16 x 16 cells."""
    return published_logit(tmp_path_factory.mktemp("r46reuse"), 46, 16)


def _score(cli: Any, found: dict[str, Any], cube: Path, out: Path) -> str:
    """``prospect model score logit`` on ``cube``: its words, on one line."""
    result = cli("model", "score", "logit", "-c", cube, "-o", out, "-r", found["reg"])
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text, text[-3000:]
    assert "internal error" not in text.lower(), text[-3000:]
    assert result.code == 0, text[-2000:]
    return text


def _cube(found: dict[str, Any], path: Path, value: float, rows: int = 1) -> Path:
    """A SYNTHETIC cube whose ``a`` (0..1) holds ``value`` on 4 cells of row 8 (``rows``
    1) or on every cell of its first ``rows`` rows; no nodata declared."""
    a = found["rng"].random(found["grid"].shape).astype("f4")
    if rows == 1:
        a[8, 4:8] = value
    else:
        a[:rows, :] = value
    return found["make_cube"](path, a)


@pytest.mark.parametrize("fill", [-9999.0, -32768.0, 65535.0])
def test_a_few_cells_of_an_undeclared_common_fill_are_said(
        cli: Any, reuse: dict[str, Any], tmp_path: Path, fill: float) -> None:
    """4 cells of 256 hold ``fill`` (-9999 of many rasters, int16's -32768, uint16's 65535)
    in ``a``, trained on 0..1, declared as no one's nodata: they were scored as evidence
    (the logistic regression's slope taken 10 000 times beyond its range: probability 0 or
    1), 4 cells stayed below the extrapolated share and the spread checks, and nothing was
    said. Now the value, its cells, the training range and the nodata to declare are
    said."""
    cube = _cube(reuse, tmp_path / "c.zarr", fill)
    text = _score(cli, reuse, cube, tmp_path / "s.zarr")
    assert (f"variable 'a': 4 of the 256 sampled cells hold {fill:.10g} (4 cell(s)), a "
            "common fill value far outside the training range") in text, text
    assert f"declare it as the source's nodata (nodata: {fill:.10g}) and ingest again" \
        in text, text


def test_a_layer_mostly_of_an_undeclared_fill_is_said_as_a_fill_not_other_units(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """10 of 16 rows of ``a`` hold -9999 (a scene's no-data margin, undeclared): the
    comparison said "a layer in other units or scale (percent vs fraction, ppm vs %)
    ... check its source's units" of a spread 1e4 x the training spread, a wrong cause and
    a wrong remedy. Now the fill is said, and the spread is compared without it."""
    cube = _cube(reuse, tmp_path / "c.zarr", -9999.0, rows=10)
    text = _score(cli, reuse, cube, tmp_path / "s.zarr")
    assert "variable 'a': 160 of the 256 sampled cells hold -9999 (160 cell(s)), a " \
           "common fill value" in text, text
    assert "in other units or scale" not in text, text


def test_control_a_value_far_outside_that_is_no_common_fill_is_not_said_a_fill(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """Control: 37.5 on 4 cells of a layer trained on 0..1 is far outside but no common
    fill: no fill is said (before and after)."""
    cube = _cube(reuse, tmp_path / "c.zarr", 37.5)
    text = _score(cli, reuse, cube, tmp_path / "s.zarr")
    assert "common fill value" not in text, text


def test_control_a_layer_in_percent_is_still_said_in_other_units(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """Control: ``a`` in percent (0..100) with no fill: the other-units line is said as
    before, and no fill."""
    a = reuse["rng"].random(reuse["grid"].shape).astype("f4") * 100
    cube = reuse["make_cube"](tmp_path / "c.zarr", a)
    text = _score(cli, reuse, cube, tmp_path / "s.zarr")
    assert "in other units or scale" in text, text
    assert "common fill value" not in text, text


# -- the same fill in the training rows -------------------------------------------------------

def _training_rows() -> np.ndarray:
    """SYNTHETIC training rows: ``a`` (0..1), ``geo`` (codes 1-3), ``b`` (0..300)."""
    rng = np.random.default_rng(46)
    return np.column_stack([rng.random(600), rng.integers(1, 4, 600).astype(float),
                            rng.random(600) * 300])


def test_training_rows_holding_an_undeclared_fill_are_said() -> None:
    """3 of 600 training rows hold -9999 in ``a`` (0..1 elsewhere), no nodata declared:
    the train stage's warnings (``summary.*_warnings``, read by ``stages.train``) said
    nothing, the model learnt -9999 as evidence and the schema's training range
    (-9999 to 1) let a cube with the same fill pass as inside it. Now the feature, the
    rows, the value and the nodata to declare are said."""
    from prospect.models import summary

    X = _training_rows()
    X[:3, 0] = -9999.0
    lines = getattr(summary, "fill_warnings", lambda *a: [])(X, ["a", "geo", "b"], [1])
    assert len(lines) == 1, lines
    assert lines[0].startswith("train: feature 'a': 3 of the 600 training rows hold -9999 "
                               "(3 row(s)), a common fill value far outside the other "
                               "rows' values (0.00"), lines
    assert "declare it as the source's nodata (nodata: -9999), ingest again and retrain" \
        in lines[0], lines


def test_control_training_codes_and_values_among_the_others_are_not_said() -> None:
    """Control: a class code 255 in ``geo`` (categorical) and 255 in ``b`` among its
    values 0..300 are no fills: nothing is said."""
    from prospect.models import summary

    X = _training_rows()
    X[:3, 1] = 255.0
    X[3, 2] = 255.0
    lines = getattr(summary, "fill_warnings", lambda *a: [])(X, ["a", "geo", "b"], [1])
    assert lines == [], lines



# -- --cog onto a folder that is (or lies in) the model or a cube -----------------------------

def _cog_refused(cli: Any, found: dict[str, Any], tmp_path: Path, cog: Path) -> str:
    """``model score logit --cog COG``: refused (exit 74) in one line, nothing written at
    ``-o``; the error line."""
    from tests.robustness.conftest import assert_clean_error

    cube = found["make_cube"](tmp_path / "c.zarr",
                              found["rng"].random(found["grid"].shape).astype("f4"))
    cog = cog if cog.is_absolute() else cube / cog
    before = sorted(str(p) for p in found["reg"].rglob("*"))
    result = cli("model", "score", "logit", "-c", cube, "-o", tmp_path / "s.zarr",
                 "--cog", cog, "-r", found["reg"])
    text = assert_clean_error(result, 74, str(cog), "a folder is where a file is to be "
                              "written (--cog)")
    assert not (tmp_path / "s.zarr").exists()
    assert sorted(str(p) for p in found["reg"].rglob("*")) == before
    return " ".join(text.split())


def _suggested(text: str) -> Path:
    """The path an error line suggests (``such as PATH``)."""
    return Path(text.split("(such as ", 1)[1].split(")", 1)[0])


@pytest.mark.parametrize("where", ["model", "cube"])
def test_cog_onto_the_models_or_a_cubes_folder_suggests_a_path_the_next_run_takes(
        cli: Any, reuse: dict[str, Any], tmp_path: Path, where: str) -> None:
    """``--cog <registry>/logit/1`` (the model's own folder) or ``--cog c.zarr/a`` (a
    variable's folder in the input cube): refused, as a folder, with "give a file name
    (such as <registry>/logit/1/probability.tif)", a path the next run refused again
    ("inside the model directory" / "inside the input cube"). Now the line names the model
    or cube and suggests a path outside it."""
    cog = reuse["reg"] / "logit" / "1" if where == "model" else Path("a")
    text = _cog_refused(cli, reuse, tmp_path, cog)
    assert ("inside the model directory" if where == "model" else "inside the cube") \
        in text, text
    suggested = _suggested(text)
    holder = reuse["reg"] / "logit" / "1" if where == "model" else tmp_path / "c.zarr"
    assert holder.absolute() not in suggested.absolute().parents, text


def test_control_cog_onto_a_plain_folder_suggests_a_file_in_it(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """Control: ``--cog maps`` (a plain folder) is refused and a file in it suggested, as
    before."""
    (tmp_path / "maps").mkdir()
    text = _cog_refused(cli, reuse, tmp_path, tmp_path / "maps")
    assert _suggested(text) == tmp_path / "maps" / "probability.tif", text
