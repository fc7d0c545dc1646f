"""Round 49, models and reuse: a registry model published before round 48 whose training
rows held an undeclared common fill (-9999, 65535) kept that fill in its schema's training
record (``min`` -9999 beside quantiles of 0..1), so its maps scored the fill as evidence
inside the training range, without a word.

All data are SYNTHETIC: 600 training rows drawn from a seeded generator (a continuous
layer ``a`` in 0..1 and a geology code ``geo`` of units 1, 2 and 3), 30 of them holding
the fill in ``a`` as an older Prospect read them, a one-hot logistic regression made by
Prospect's own factory (:func:`prospect.models.factory.make_estimator`) fitted on them and
published in a temporary registry with the training record those rows give, and 32 x 32
cubes of 16 x 16 chunks on its grid, scored by the real CLI in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

RECORD_LINE = "the model's training record holds"


def _published(root: Path, seed: int, fill: float | None, rows: int) -> dict[str, Any]:
    """A registry under ``root`` holding ``logit``: a SYNTHETIC logistic regression on
    ``a`` (0..1) and ``geo``, trained on 600 rows of which ``rows`` hold ``fill`` in ``a``
    (none where ``fill`` is None), its schema's training record made from those rows as
    the train stage made it; and a maker of SYNTHETIC 32 x 32 cubes on its grid."""
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
    y = (rng.random(n) < np.where(geo == 3, 0.4, 0.05) + 0.3 * a).astype(int)
    if fill is not None:
        a[:rows] = fill
    X = np.column_stack([a, geo])
    grid = RegionGrid(
        "EPSG:32619",
        100.0,
        (560000.0, 1330000.0, 563200.0, 1333200.0),
        chunks=(16, 16),
        name=f"r{seed}old",
    )

    def make_cube(
        path: Path, a_cells: np.ndarray, codes: np.ndarray | None = None, **attrs: Any
    ) -> Path:
        """A SYNTHETIC cube of ``a`` (as given, no nodata declared) and ``geo`` (``codes``,
        else 1-3; ``attrs`` on it)."""
        create_cube(path, grid, attrs={"synthetic": True})
        like = open_cube(path)
        if codes is None:
            codes = np.random.default_rng(seed + 1).integers(1, 4, grid.shape).astype("f4")
        layer = float_layer(
            codes,
            name="geo",
            units="1",
            long_name="geology unit code",
            provenance={"source": "synthetic"},
            like=like,
        )
        layer.attrs.update(prospect_kind="categorical", **attrs)
        add_variables(
            path,
            xr.Dataset(
                {
                    "a": float_layer(
                        a_cells,
                        name="a",
                        units="1",
                        long_name="a",
                        provenance={"source": "synthetic"},
                        like=like,
                    ),
                    "geo": layer,
                }
            ),
        )
        return path

    first = make_cube(root / "schema.zarr", rng.random(grid.shape))
    schema = schema_from_cube(open_cube(first), ["a", "geo"])
    seen = training_values(X, ["a", "geo"], ["geo"])
    for spec in schema["variables"]:
        spec["training"] = seen[spec["name"]]
    cfg = ModelConfig(
        estimator="logistic_regression", mineral="lithium", labels={"source": "wells"}
    )
    model = make_estimator(
        cfg, n_features=2, categorical=[1], cell_area=1e4, feature_names=["a", "geo"]
    ).fit(X, y)
    folder = save_model(
        model,
        root / "logit",
        schema=schema,
        card={"mineral": "lithium", "synthetic": True, "limitations": ["SYNTHETIC model"]},
    )
    ModelRegistry(str(root / "reg")).publish(folder, "logit", version="1")
    return {
        "reg": root / "reg",
        "grid": grid,
        "make_cube": make_cube,
        "a": np.random.default_rng(seed + 2).random(grid.shape).astype("f4"),
        "record": seen["a"],
    }


@pytest.fixture(scope="module")
def old(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Registries of SYNTHETIC models trained on -9999 in 30 rows of ``a`` (5 %: its
    record's ``q01`` is -9999 and ``q05`` -499.9) and on 65535 in 4 rows (its ``max``
    alone), and one trained on clean rows."""
    root = tmp_path_factory.mktemp("r49models")
    return {
        str(f): _published(root / str(f), 49, f, n)
        for f, n in ((-9999.0, 30), (65535.0, 4), (None, 0))
    }


def _score(
    cli: Any,
    found: dict[str, Any],
    tmp_path: Path,
    a: np.ndarray,
    codes: np.ndarray | None = None,
    **attrs: Any,
) -> tuple[str, np.ndarray]:
    """``prospect model score logit`` on a SYNTHETIC cube of ``a`` (and ``geo``
    ``codes``): its words on one line, and the probability map."""
    import xarray as xr

    cube = found["make_cube"](tmp_path / "c.zarr", a, codes, **attrs)
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "logit", "-c", cube, "-o", out, "-r", found["reg"])
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text, text[-3000:]
    assert "internal error" not in text.lower(), text[-3000:]
    assert result.code == 0, text[-2000:]
    with xr.open_zarr(out) as ds:
        probability = ds["probability"].values
    return text, probability


CELLS = (3, slice(20, 24))
"""4 cells of chunk (0, 1)."""


@pytest.mark.parametrize("fill", [-9999.0, 65535.0])
def test_a_model_trained_on_a_fill_leaves_cells_of_that_fill_unscored_and_says_it(
    cli: Any, old: dict[str, dict[str, Any]], tmp_path: Path, fill: float
) -> None:
    """SYNTHETIC: a model whose training record of ``a`` runs from -9999 (or to 65535)
    beside quantiles of 0..1 scores a cube whose ``a`` holds that fill on 4 cells. Before,
    the fill lay inside the recorded training range: the cells were scored as evidence
    (a probability there), "100.0% of the cells scored", no word. Now the record's fill
    is said, the cells are left unscored (NaN) and counted as the fill."""
    found = old[str(fill)]
    assert fill in (found["record"]["min"], found["record"]["max"])
    a = found["a"].copy()
    a[CELLS] = fill
    text, p = _score(cli, found, tmp_path, a)
    assert np.isnan(p[CELLS]).all(), p[CELLS]
    assert int(np.isnan(p).sum()) == 4, int(np.isnan(p).sum())
    assert (
        f"variable 'a': {RECORD_LINE} {fill:.10g}, a common fill value far outside "
        "its other training values" in text
    ), text
    assert (
        f"retrain the model (prospect train) with the fill declared as the source's "
        f"nodata (nodata: {fill:.10g})" in text
    ), text
    assert (
        f"variable 'a': 4 cell(s) of the cube hold {fill:.10g}, a common fill value far "
        "outside the model's training range"
    ) in text, text
    assert "not like the model's training values" not in text, text
    assert "extrapolated" not in text, text


def test_a_model_trained_on_a_fill_is_said_of_a_cube_without_it(
    cli: Any, old: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """SYNTHETIC: the same model on a cube of ``a`` in 0..1 only: every cell is scored as
    before (its map equals the clean-record path's: nothing masked), but the model's
    learnt fill is said (before: nothing)."""
    found = old["-9999.0"]
    text, p = _score(cli, found, tmp_path, found["a"])
    assert not np.isnan(p).any()
    assert f"{RECORD_LINE} -9999" in text, text
    # the range it still knows: below the median it held the fill or a value towards it
    assert "its other training values (q50 0.4371 to max 0.9997)" in text, text
    assert "cell(s) of the cube hold" not in text, text
    # its q05 of -499.9 (interpolated towards the fill) is no training spread
    assert "not like the model's training values" not in text, text


def test_a_reprojected_cube_does_not_average_the_fill_of_a_model_trained_on_it(
    cli: Any, old: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """SYNTHETIC: ``model score --reproject`` of a cube on a grid shifted by half a cell
    whose ``a`` holds -9999 on 4 cells, scored with the model trained on -9999: before,
    the warp averaged -9999 into the cells around (-4999.5, -2499.75: inside the recorded
    range -9999..1) and they were scored. Now the fill is the warp's nodata: no cell of
    the map lies between -9999 and 0 in ``a``, and the fill is said."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    found = old["-9999.0"]
    grid = RegionGrid(
        "EPSG:32619",
        100.0,
        (560050.0, 1330050.0, 563250.0, 1333250.0),
        chunks=(16, 16),
        name="r49shift",
    )
    path = tmp_path / "shift.zarr"
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    a = found["a"].copy()
    a[CELLS] = -9999.0
    geo = np.random.default_rng(50).integers(1, 4, grid.shape).astype("f4")
    layer = float_layer(
        geo,
        name="geo",
        units="1",
        long_name="geology unit code",
        provenance={"source": "synthetic"},
        like=like,
    )
    layer.attrs["prospect_kind"] = "categorical"
    add_variables(
        path,
        xr.Dataset(
            {
                "a": float_layer(
                    a,
                    name="a",
                    units="1",
                    long_name="a",
                    provenance={"source": "synthetic"},
                    like=like,
                ),
                "geo": layer,
            }
        ),
    )
    out = tmp_path / "s.zarr"
    result = cli(
        "model", "score", "logit", "-c", path, "-o", out, "-r", found["reg"], "--reproject"
    )
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text, text[-3000:]
    assert result.code == 0, text[-2000:]
    assert "taken as no data before --reproject warps the cube" in text, text
    with xr.open_zarr(out) as ds:
        p = ds["probability"].values
    # the warp's cells touching the 4 fill cells (rows 2-3 or 3-4, columns 19-24) are NaN
    assert int(np.isnan(p).sum()) >= 4, int(np.isnan(p).sum())
    assert not np.isfinite(p[2:5, 19:25]).all(), p[2:5, 19:25]


def test_recorded_fill_rule_on_training_records() -> None:
    """SYNTHETIC records: a fill at an end far outside the other recorded values is found
    (with their range); one among them (-99 beside -200..200) or none at all is not; a
    record mostly of the fill (its median the fill) is found since round 51."""
    from prospect.registry.applicability import recorded_fills, without_recorded_fills

    old = {
        "n": 600,
        "min": -9999.0,
        "q01": -9999.0,
        "q05": 0.04,
        "q50": 0.5,
        "q95": 0.95,
        "q99": 0.99,
        "max": 1.0,
    }
    found = recorded_fills(old)
    assert (found["fills"], found["lo"], found["hi"]) == ([-9999.0], 0.04, 1.0)
    clean = without_recorded_fills(old)
    assert (clean["min"], clean["max"], "q01" in clean) == (0.04, 1.0, False)
    # q05 interpolated between the fill and the first value is no value either
    towards = {
        "n": 600,
        "min": -9999.0,
        "q01": -9999.0,
        "q05": -499.9,
        "q50": 0.44,
        "q95": 0.93,
        "q99": 0.99,
        "max": 1.0,
    }
    assert recorded_fills(towards)["lo"] == 0.44
    high = {
        "n": 600,
        "min": 0.001,
        "q01": 0.01,
        "q05": 0.05,
        "q50": 0.5,
        "q95": 0.95,
        "q99": 0.99,
        "max": 65535.0,
    }
    assert without_recorded_fills(high) == {**high, "max": 0.99}
    among = {
        "n": 600,
        "min": -99.0,
        "q01": -180.0,
        "q05": -150.0,
        "q50": 0.0,
        "q95": 150.0,
        "q99": 190.0,
        "max": 200.0,
    }
    assert recorded_fills(among) == {}
    mostly = {
        "n": 600,
        "min": -9999.0,
        "q01": -9999.0,
        "q05": -9999.0,
        "q50": -9999.0,
        "q95": 0.9,
        "q99": 0.99,
        "max": 1.0,
    }
    # round 51: a record mostly of the fill is read too (the values left tell the range)
    assert recorded_fills(mostly)["fills"] == [-9999.0]
    assert without_recorded_fills(among) is among


def test_control_a_model_with_a_clean_record_is_scored_as_before(
    cli: Any, old: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """Control, SYNTHETIC: a model trained on clean rows scores a cube holding 37.5 (far
    outside 0..1, but no common fill) on 4 cells: every cell is scored, nothing is said
    of a recorded fill or of a fill in the cube."""
    found = old["None"]
    a = found["a"].copy()
    a[CELLS] = 37.5
    text, p = _score(cli, found, tmp_path, a)
    assert not np.isnan(p).any()
    assert RECORD_LINE not in text, text
    assert "common fill value" not in text, text


def _codes(value: float) -> np.ndarray:
    """SYNTHETIC geology codes 1-3 on the 32 x 32 grid, ``value`` on :data:`CELLS`."""
    codes = np.random.default_rng(51).integers(1, 4, (32, 32)).astype("f4")
    codes[CELLS] = value
    return codes


@pytest.mark.parametrize("fill", [255.0, 65535.0])
def test_a_categorical_layers_undeclared_fill_is_no_class_in_the_map(
    cli: Any, old: dict[str, dict[str, Any]], tmp_path: Path, fill: float
) -> None:
    """SYNTHETIC: ``geo`` (codes 1-3 in training) holds ``fill`` on 4 cells, not declared
    as its nodata (a scene's margin). Before, it was a class the model never saw, scored
    as none of the known classes (a probability there). Now those cells are left
    unscored and counted as the fill, not said as an unseen class."""
    found = old["None"]
    text, p = _score(cli, found, tmp_path, found["a"], _codes(fill))
    assert np.isnan(p[CELLS]).all(), p[CELLS]
    assert int(np.isnan(p).sum()) == 4, int(np.isnan(p).sum())
    assert (
        f"variable 'geo': 4 cell(s) of the cube hold {fill:.10g}, a common fill value "
        "far outside the model's training range"
    ) in text, text
    assert "never saw" not in text, text


def test_control_a_categorical_code_that_is_no_fill_or_is_a_named_class_is_scored(
    cli: Any, old: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """Control, SYNTHETIC: code 4 (no common fill) on 4 cells is an unseen class, said
    and scored as before; 255 that the layer's own code table names (``water``) is a
    class too, not a fill."""
    import json

    found = old["None"]
    text, p = _score(cli, found, tmp_path / "four", found["a"], _codes(4.0))
    assert not np.isnan(p).any()
    assert "common fill value" not in text, text
    assert "never saw" in text, text
    table = json.dumps({"1": "sand", "2": "clay", "3": "chalk", "255": "water"})
    text, p = _score(cli, found, tmp_path / "named", found["a"], _codes(255.0), categories=table)
    assert not np.isnan(p).any()
    assert "common fill value" not in text, text


def test_a_model_trained_on_a_categorical_fill_code_leaves_it_unscored(tmp_path: Path) -> None:
    """SYNTHETIC: a model published before round 49 whose ``geo`` codes were ``[1, 2, 3,
    255]`` (255 a scene's margin, learnt as a class): its record's fill is said and the
    map leaves such cells unscored; codes 1..3 are scored as before."""
    import xarray as xr

    from prospect.registry.applicability import far_fill_values, recorded_fill_lines

    seen = {"n": 600, "codes": [1, 2, 3, 255]}
    (line,) = recorded_fill_lines("geo", seen)
    assert "variable 'geo': the model's training record holds 255, a common fill" in line
    assert "its other codes (1 to 3)" in line and "not as a class" in line, line
    cube = xr.Dataset({"geo": (("y", "x"), _codes(255.0))})
    (values, lo, hi) = far_fill_values(cube, {"variables": [{"name": "geo", "training": seen}]})[
        "geo"
    ]
    assert 255.0 in values.tolist() and (lo, hi) == (-1.0, 5.0), (values, lo, hi)
    assert recorded_fill_lines("geo", {"n": 600, "codes": [1, 2, 3]}) == []
    # a uint8 layer of codes 5 and 6: its 255 is a fill, its 0 (the type's least) a class
    small = xr.Dataset({"geo": (("y", "x"), np.full((4, 4), 5, "u1"))})
    (values, _, _) = far_fill_values(
        small, {"variables": [{"name": "geo", "training": {"n": 9, "codes": [5, 6]}}]}
    )["geo"]
    assert set(values.tolist()) == {255}, values


def test_training_rows_on_a_categorical_fill_code_are_left_out(tmp_path: Path) -> None:
    """SYNTHETIC: 40 x 40 ``heat`` (0..1) and ``geo`` (codes 1-3, categorical) whose
    every seventh row's every fifth cell and 3 wells' cells hold 255, not declared.
    Before, 255 was a class of the training rows (and of the schema's codes). Now those
    rows are no data, as the map takes them: no row holds 255, the count is recorded and
    said; the same cube with 4 (no fill) keeps it as a class (control)."""
    import warnings

    import pandas as pd

    from prospect.config.model import ModelConfig
    from prospect.config.sources import PointSource
    from prospect.models import training

    from .test_models_round31 import _cube
    from .test_models_round48 import _scene

    scene = _scene(None)
    grid, pick = scene["grid"], scene["pick"]
    wells = tmp_path / "wells.csv"
    pd.DataFrame({"x": grid.x[pick[:, 1]], "y": grid.y[pick[:, 0]]}).to_csv(wells, index=False)
    source = PointSource(name="wells", path=wells, x="x", y="y", crs="EPSG:32619")
    cfg = ModelConfig(
        mineral="lithium",
        estimator="logistic_regression",
        features=["heat", "geo"],
        labels={"source": "wells", "background_ratio": 10},
        cv={"n_splits": 3, "block_size": 100.0, "seeds": 1, "bootstrap": 0},
        permutation_repeats=0,
        partial_dependence=0,
    )
    rows = {}
    for code in (255.0, 4.0):
        geo = np.random.default_rng(52).integers(1, 4, grid.shape).astype(float)
        geo[scene["on"]] = code
        path = tmp_path / f"c{int(code)}.zarr"
        ds = _cube(path, {"heat": scene["heat"], "geo": geo})
        ds["geo"].attrs["prospect_kind"] = "categorical"
        spec = training.select_features(ds, cfg, labels_path=wells)
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            ts = training.read_training_set(ds, spec, grid=grid, source=source, cfg=cfg)
        rows[code] = (ts, " ".join(" ".join(str(w.message) for w in said).split()), spec)
    ts, said, spec = rows[255.0]
    assert "geo" in spec.categorical, spec
    j = spec.variables.index("geo")
    assert not np.isclose(ts.X[:, j], 255.0).any(), "255 was a class of the training rows"
    assert ts.counts["training_rows_on_fills"]["geo"]["values"] == {
        "255": ts.counts["training_rows_on_fills"]["geo"]["rows"]
    }
    assert "cube variable 'geo' holds 255 at" in said, said
    ts4, said4, _ = rows[4.0]
    assert np.isclose(ts4.X[:, j], 4.0).any()
    assert "training_rows_on_fills" not in ts4.counts
    assert "common fill value" not in said4, said4
