"""Round 51, models and reuse: a model published before round 48 whose training rows were
mostly an undeclared fill (a survey covering part of the region, its margin of -9999 or
65535 sampled as background) kept the fill as the median of its schema's training
record, which was read as telling no range: its maps scored the fill as evidence, without
a word. A categorical layer of one class code besides a fill (``[1, 255]``) kept 255 as a
class, in the map and in training.

All data are SYNTHETIC: round 49's factory (:func:`.test_models_round49._published`) makes
a one-hot logistic regression on ``a`` (0..1) and ``geo`` (codes 1-3) fitted on 600
seeded rows, of which 400 hold the fill in ``a`` as an older Prospect read them, published
in a temporary registry with the training record those rows give, and 32 x 32 cubes of
16 x 16 chunks on its grid, scored by the real CLI in this process; round 48's 40 x 40
scene for the train stage's reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_models_round49 import CELLS, RECORD_LINE, _published, _score


@pytest.fixture(scope="module")
def mostly(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Registries of SYNTHETIC models trained on 400 rows of 600 holding -9999 (the
    record's ``min`` to ``q50`` -9999) or 65535 (``q50`` to ``max`` 65535) in ``a``."""
    root = tmp_path_factory.mktemp("r51models")
    return {str(f): _published(root / str(int(f)), 51, f, 400) for f in (-9999.0, 65535.0)}


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A registry holding ``logit`` (SYNTHETIC, clean training record) and its cube maker."""
    return _published(tmp_path_factory.mktemp("r51plain"), 50, None, 0)


@pytest.mark.parametrize("fill", [-9999.0, 65535.0])
def test_a_model_trained_mostly_on_a_fill_leaves_cells_of_that_fill_unscored(
    cli: Any, mostly: dict[str, dict[str, Any]], tmp_path: Path, fill: float
) -> None:
    """SYNTHETIC: a model whose training record of ``a`` is the fill from its end to its
    median (400 of 600 rows) scores a cube whose ``a`` holds that fill on 4 cells.
    Before, the record was read as telling no range: the cells were scored as evidence
    (a probability there), no word. Now the record's fill is said with the values it
    still knows, the cells are left unscored (NaN) and counted as the fill."""
    found = mostly[str(fill)]
    assert found["record"]["q50"] == fill, found["record"]
    a = found["a"].copy()
    a[CELLS] = fill
    text, p = _score(cli, found, tmp_path, a)
    assert np.isnan(p[CELLS]).all(), p[CELLS]
    assert int(np.isnan(p).sum()) == 4, int(np.isnan(p).sum())
    side = "q95" if fill < 0 else "min"
    assert (
        f"variable 'a': {RECORD_LINE} {fill:.10g}, a common fill value far outside "
        f"its other training values ({side} "
    ) in text, text
    assert f"(nodata: {fill:.10g})" in text, text
    assert (
        f"variable 'a': 4 cell(s) of the cube hold {fill:.10g}, a common fill value far "
        "outside the model's training range"
    ) in text, text
    # the record does not tell its range on the fill's side: no units or extrapolation
    assert "not like the model's training values" not in text, text
    assert "extrapolated" not in text, text


def test_recorded_fill_rule_on_records_mostly_of_a_fill() -> None:
    """SYNTHETIC records: a fill from ``min`` to ``q50`` beside 0.9..1 is found with the
    range of the values left (no quantile is taken as interpolated: they are one tail),
    and the record without it keeps no quantile on the fill's side. A record of the fill
    and one other value, or of two fills with no value between, tells no range
    (controls)."""
    from prospect.registry.applicability import recorded_fills, without_recorded_fills

    record = {
        "n": 600,
        "min": -9999.0,
        "q01": -9999.0,
        "q05": -9999.0,
        "q50": -9999.0,
        "q95": 0.9,
        "q99": 0.99,
        "max": 1.0,
    }
    found = recorded_fills(record)
    assert (found["fills"], found["lo"], found["hi"]) == ([-9999.0], 0.9, 1.0), found
    clean = without_recorded_fills(record)
    assert (clean["min"], clean["max"]) == (0.9, 1.0), clean
    assert not {"q01", "q05", "q50"} & set(clean), clean
    one = {**record, "q95": 1.0, "q99": 1.0}
    assert recorded_fills(one) == {}
    two = {**record, "q95": 65535.0, "q99": 65535.0, "max": 65535.0}
    assert recorded_fills(two) == {}


def test_a_model_trained_on_one_code_besides_a_fill_leaves_the_fill_unscored() -> None:
    """SYNTHETIC: a model published before round 49 whose ``geo`` codes were ``[1, 255]``
    (a layer of one unit in the scene, its margin 255 learnt as a class). Before, one code
    told no range: 255 stayed a class, scored, nothing said. Now the record's fill is said
    ("its other codes (1 only)") and the map takes such cells as no data (the fills it
    masks hold 255, not code 1); an unseen code 2 stays an unseen class."""
    import xarray as xr

    from prospect.registry.applicability import far_fill_values, recorded_fill_lines

    seen = {"n": 600, "codes": [1, 255]}
    (line,) = recorded_fill_lines("geo", seen)
    assert "variable 'geo': the model's training record holds 255, a common fill" in line
    assert "its other codes (1 only)" in line and "not as a class" in line, line
    codes = np.ones((32, 32), "f4")
    codes[CELLS] = 255.0
    codes[0, 0] = 2.0
    cube = xr.Dataset({"geo": (("y", "x"), codes)})
    values, lo, hi = far_fill_values(cube, {"variables": [{"name": "geo", "training": seen}]})[
        "geo"
    ]
    assert 255.0 in values.tolist() and not {1.0, 2.0} & set(values.tolist()), values
    assert lo < 1.0 < hi < 2.0, (lo, hi)


def test_control_a_mask_of_0_and_255_and_several_codes_keep_their_classes() -> None:
    """Control, SYNTHETIC: ``[0, 255]`` (an 8-bit mask's two states) tells no fill, as
    before; ``[1, 2, 3]`` holds none; a layer of one code and no fill holds none."""
    from prospect.registry.applicability import fills_among, recorded_fill_lines

    assert recorded_fill_lines("mask", {"n": 600, "codes": [0, 255]}) == []
    assert recorded_fill_lines("geo", {"n": 600, "codes": [1, 2, 3]}) == []
    assert recorded_fill_lines("geo", {"n": 600, "codes": [1]}) == []
    # a continuous layer of one value besides a fill tells no range, as before
    assert fills_among(np.r_[np.ones(9), -9999.0])[0] == {}


@pytest.mark.parametrize("code", [255.0, 4.0])
def test_training_rows_on_a_fill_beside_one_code_are_left_out(tmp_path: Path, code: float) -> None:
    """SYNTHETIC: 40 x 40 ``heat`` (0..1) and ``geo`` (categorical) of one unit, code 1,
    whose every seventh row's every fifth cell and 3 wells' cells hold ``code``, not
    declared. Before, 255 was a class of the training rows beside code 1. Now those rows
    are no data, as the map takes them, and the count is recorded and said; code 4 (no
    fill) stays a class (control)."""
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
    geo = np.where(scene["on"], code, 1.0)
    ds = _cube(tmp_path / "c.zarr", {"heat": scene["heat"], "geo": geo})
    ds["geo"].attrs["prospect_kind"] = "categorical"
    spec = training.select_features(ds, cfg, labels_path=wells)
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        ts = training.read_training_set(ds, spec, grid=grid, source=source, cfg=cfg)
    said = " ".join(" ".join(str(w.message) for w in heard).split())
    assert "Traceback" not in said
    j = spec.variables.index("geo")
    col = np.asarray(ts.X[:, j], "f8")
    if code == 255.0:
        assert not np.isclose(col, 255.0).any(), "255 was a class of the training rows"
        taken = ts.counts["training_rows_on_fills"]["geo"]
        assert taken["values"] == {"255": taken["rows"]} and taken["rows"] > 0, taken
        assert "cube variable 'geo' holds 255 at" in said, said
    else:
        assert np.isclose(col, 4.0).any()
        assert "training_rows_on_fills" not in ts.counts
        assert "common fill value" not in said, said


def test_export_takes_the_resampling_model_score_takes(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: ``model export --cube fine.zarr --reproject --resampling nearest`` (a
    50 m cube for a model of 100 m cells, warped as ``model score --reproject
    --resampling nearest`` warps it). Before: "No such option: --resampling", exit 2.
    Now the export is checked on the cube's cells warped so; an unknown resampling or one
    without ``--reproject`` is one line as ``model score`` says it, nothing written."""
    from .test_models_round50 import _export, _fine_cube

    found = plain
    cube = _fine_cube(tmp_path / "fine.zarr")
    out = tmp_path / "r.onnx"
    code, text = _export(
        cli, found, out, "--cube", cube, "--reproject", "--resampling", "nearest", "--samples", 200
    )
    assert code == 0, text
    assert "on 200 rows" in text and out.is_file(), text
    # the rows are the cube's own values (nearest), not the default's averages
    from pipelines.commands.model import _sample_inputs
    from prospect.io.cube import open_cube
    from prospect.registry import ModelRegistry

    model = ModelRegistry(str(found["reg"])).load("logit", "1")
    own = set(np.asarray(open_cube(cube)["a"].values, "f4").ravel().tolist())
    for resampling, inside in (("nearest", True), (None, False)):
        X = _sample_inputs(model, cube, 50, 0, reproject=True, resampling=resampling)
        assert set(X[:, 0].tolist()) <= own if inside else not set(X[:, 0].tolist()) <= own
    code, text = _export(cli, found, tmp_path / "u.onnx", "--cube", cube, "--resampling", "mode")
    assert code == 1, text
    assert "--resampling mode: only --reproject resamples; add --reproject" in text, text
    code, text = _export(
        cli, found, tmp_path / "v.onnx", "--cube", cube, "--reproject", "--resampling", "cubic2"
    )
    assert code == 1 and "--resampling 'cubic2': unknown; use one of" in text, text
    assert not (tmp_path / "u.onnx").exists() and not (tmp_path / "v.onnx").exists()


def test_training_keeps_an_unsigned_layers_0_as_the_class_the_map_scores(tmp_path: Path) -> None:
    """SYNTHETIC: a uint8 geology layer (categorical) of codes 0, 5 and 6 whose every
    seventh row's every fifth cell and 3 wells' cells hold 255. The map takes an unsigned
    type's 0 as a class, never a fill; before, training took 0 (the type's least, 5 codes
    below 5..6) as a fill too and left every row on it out. Now only the rows on 255 are
    left out, and the rows on 0 kept."""
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
    geo = np.random.default_rng(53).choice([0.0, 5.0, 6.0], grid.shape)
    geo[scene["on"]] = 255.0
    ds = _cube(tmp_path / "c.zarr", {"heat": scene["heat"], "geo": geo})
    ds["geo"] = ds["geo"].fillna(0).astype("u1")
    ds["geo"].attrs["prospect_kind"] = "categorical"
    spec = training.select_features(ds, cfg, labels_path=wells)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        ts = training.read_training_set(ds, spec, grid=grid, source=source, cfg=cfg)
    col = np.asarray(ts.X[:, spec.variables.index("geo")], "f8")
    assert not np.isclose(col, 255.0).any(), "255 was a class of the training rows"
    assert ts.counts["training_rows_on_fills"]["geo"]["values"].keys() == {"255"}, ts.counts
    assert (col == 0.0).sum() > 0, "the rows on class 0 were left out as a fill"


def test_export_is_checked_on_cells_spread_over_the_cube(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: ``geo`` holds codes 1-3 on the cube's top half and 2.5 (a code the
    model never saw, as a bilinear warp of codes leaves) on its bottom half, where the
    ONNX file's one-hot encoding and scikit-learn's part ways. Before, ``--samples 50``
    read the first 7 rows only: "exported ... max |diff| = 1.1e-07", the file written
    though it gives another map on half the cube. Now the rows are spread over the
    cube's chunks: the export is refused ("not written: ONNX predictions differ"),
    nothing written; the rows come from every chunk of a small cube."""
    from pipelines.commands.model import _sample_inputs
    from prospect.registry import ModelRegistry

    from .test_models_round50 import _export

    found = plain
    codes = np.random.default_rng(3).integers(1, 4, (32, 32)).astype("f4")
    codes[16:, :] = 2.5
    cube = found["make_cube"](tmp_path / "c.zarr", found["a"], codes)
    out = tmp_path / "m.onnx"
    code, text = _export(cli, found, out, "--cube", cube, "--samples", 50)
    assert code == 1, text
    assert "not written: ONNX predictions differ from scikit-learn's" in text, text
    assert not out.exists()
    model = ModelRegistry(str(found["reg"])).load("logit", "1")
    X = _sample_inputs(model, cube, 50, seed=0)
    assert (X[:, 1] == 2.5).any() and (X[:, 1] != 2.5).any(), X[:, 1]
