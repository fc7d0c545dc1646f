"""Round 48, models and reuse: training rows on a common fill value that no one declared as
a layer's nodata (-9999, -32768, 65535) were trained on as evidence, while the map of the
same cube leaves such cells unscored.

All data are SYNTHETIC: round 31's 40 x 40 grid with a continuous layer ``heat`` (0..1,
seeded) holding a fill on a few cells, among them some of 20 SYNTHETIC wells where
``heat`` is high, and a layer ``depth`` (0..1); the training rows read as the train stage
reads them, and one real ``prospect train`` run of the tiny SYNTHETIC job of the corpus.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from .conftest import Sandbox, write_tiny_raster
from .test_models_round31 import _cube, _grid


def _scene(fill: float | None, *, seed: int = 48) -> dict[str, Any]:
    """SYNTHETIC ``heat`` (0..1) and ``depth`` on round 31's grid, 20 well cells where
    ``heat`` is above 0.8, and ``fill`` (when given) on 3 of the wells' cells and on every
    seventh row's every fifth cell (the cube as another tool writes it: no nodata
    declared)."""
    grid = _grid()
    rng = np.random.default_rng(seed)
    heat = rng.random(grid.shape)
    hot = np.argwhere(heat > 0.8)
    pick = hot[rng.choice(len(hot), 20, replace=False)]
    on = np.zeros(grid.shape, bool)
    on[pick[:3, 0], pick[:3, 1]] = True
    on[::7, ::5] = True
    if fill is not None:
        heat = np.where(on, fill, heat)
    return {"grid": grid, "heat": heat, "depth": rng.random(grid.shape), "pick": pick, "on": on}


def _read(
    root: Path, scene: dict[str, Any], estimator: str, heat: np.ndarray, **more: Any
) -> dict[str, Any]:
    """The training rows of the SYNTHETIC cube (``heat`` as given) as the train stage reads
    them (its reader; before round 48, :func:`build_training_set` on the cube's stack),
    with the warnings said and the cube; ``more``: more model config, and ``heard``: a
    list to put the warnings in (kept where the reader refuses)."""
    from prospect.config.model import ModelConfig
    from prospect.config.sources import PointSource
    from prospect.features import build_stack
    from prospect.models import training

    heard: list[str] = more.pop("heard", [])
    root.mkdir(parents=True, exist_ok=True)
    grid, pick = scene["grid"], scene["pick"]
    ds = _cube(root / "cube.zarr", {"heat": heat, "depth": scene["depth"]})
    wells = root / "wells.csv"
    pd.DataFrame({"x": grid.x[pick[:, 1]], "y": grid.y[pick[:, 0]]}).to_csv(wells, index=False)
    source = PointSource(name="wells", path=wells, x="x", y="y", crs="EPSG:32619")
    cfg = ModelConfig(
        mineral="lithium",
        estimator=estimator,
        features=["heat", "depth"],
        labels={"source": "wells", "background_ratio": 10},
        cv={"n_splits": 3, "block_size": 100.0, "seeds": 1, "bootstrap": 0},
        permutation_repeats=0,
        partial_dependence=0,
        **more,
    )
    spec = training.select_features(ds, cfg, labels_path=wells)
    reader = getattr(training, "read_training_set", None)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            if reader is None:
                ts = training.build_training_set(
                    build_stack(ds, spec), spec, grid=grid, source=source, cfg=cfg
                )
            else:
                ts = reader(ds, spec, grid=grid, source=source, cfg=cfg)
        finally:  # what was said, also where the reader refused the rows
            heard += [" ".join(str(w.message).split()) for w in said]
    return {"ts": ts, "spec": spec, "cfg": cfg, "ds": ds, "said": heard}


@pytest.mark.parametrize("fill", [-9999.0, -32768.0, 65535.0])
def test_training_rows_on_an_undeclared_fill_are_left_out_as_the_map_leaves_them(
    tmp_path: Path, fill: float
) -> None:
    """SYNTHETIC: ``heat`` (0..1) holds ``fill`` on 3 wells' cells and on every seventh
    row's every fifth cell, declared as no one's nodata. Before, those rows were trained
    on (13 rows of ``fill`` in the logistic regression's rows, 4 of them positives), and
    the training range the input schema recorded (``fill`` to 1) let the map score such
    cells as inside it, while a map of a model trained without them leaves them unscored.
    Now they are no data, as the map takes them: the rows are the very rows of the same
    cube with NaN (declared nodata) there (focal means and spreads of ``heat`` too: a
    window holding a fill read it as evidence), the schema's range is the other rows', the
    map's mask of the cube takes those cells out, and the count is recorded and said."""
    from prospect.models.summary import fill_warnings, input_schema
    from prospect.registry.applicability import mask_far_fills

    scene = _scene(fill)
    focal = {"focal": {"radii": [20.0], "variables": ["heat"]}}
    got = _read(tmp_path / "fill", scene, "logistic_regression", scene["heat"], **focal)
    want = _read(
        tmp_path / "nan",
        scene,
        "logistic_regression",
        np.where(scene["on"], np.nan, scene["heat"]),
        **focal,
    )
    ts = got["ts"]
    assert got["spec"].names()[2:] == ["heat__focal_mean_r20", "heat__focal_std_r20"]
    assert not np.isclose(ts.X[:, 0], fill).any(), "a fill was trained on"
    np.testing.assert_array_equal(ts.X, want["ts"].X)
    np.testing.assert_array_equal(ts.y, want["ts"].y)
    on_wells = int(scene["on"][scene["pick"][:, 0], scene["pick"][:, 1]].sum())
    assert on_wells >= 3
    assert (
        ts.counts["positives_without_data"]
        == want["ts"].counts["positives_without_data"]
        == on_wells
    )
    taken = ts.counts["training_rows_on_fills"]
    assert list(taken) == ["heat"]
    assert taken["heat"]["values"] == {f"{fill:.10g}": taken["heat"]["rows"]}
    assert taken["heat"]["positives"] == on_wells
    schema = input_schema(got["ds"], got["spec"], got["cfg"], ts.X)
    seen = {v["name"]: v["training"] for v in schema["variables"]}["heat"]
    assert 0.0 <= seen["min"] < seen["max"] <= 1.0
    masked = mask_far_fills(got["ds"], schema)["heat"].values
    assert np.isnan(masked[scene["on"]]).all() and np.isfinite(masked[~scene["on"]]).all()
    lines = fill_warnings(ts.X, got["spec"].names(), taken=taken)
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        f"training rows: cube variable 'heat' holds {fill:.10g} at {taken['heat']['rows']} "
        f"of them ({taken['heat']['positives']} positive), a common fill value far outside "
        "the other rows' values (0.00"
    ), lines
    assert (
        "taken as no data, as the map takes such cells, not learnt as evidence; those "
        "rows are left out of training" in lines[0]
    ), lines
    assert (
        f"declare it as the source's nodata (nodata: {fill:.10g}) and ingest again" in lines[0]
    ), lines
    assert (
        f"{on_wells} of 20 positive cells have no data in the evidence (heat at "
        f"{on_wells})" in " ".join(got["said"])
    ), got["said"]


def test_a_layer_mostly_of_an_undeclared_fill_in_the_training_rows_is_no_data(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: ``heat`` holds -9999 on the left 60 % of the region (a scene's margin, no
    nodata declared), 3 wells among it, most background rows there. The training rows'
    middle value was the fill itself, so it was not set apart: no word, the model learnt
    -9999 as evidence and the schema's range (-9999 to 1) had the map score every margin
    cell. Now it is no data as in the cube with NaN there: the rows are that cube's."""
    scene = _scene(None)
    pick = scene["pick"]
    wells = np.zeros(scene["on"].shape, bool)
    wells[pick[:, 0], pick[:, 1]] = True
    on = np.zeros(scene["on"].shape, bool)
    on[:, :24] = True
    on &= ~wells
    on[pick[:3, 0], pick[:3, 1]] = True
    got = _read(
        tmp_path / "fill", scene, "logistic_regression", np.where(on, -9999.0, scene["heat"])
    )
    want = _read(
        tmp_path / "nan", scene, "logistic_regression", np.where(on, np.nan, scene["heat"])
    )
    ts = got["ts"]
    assert not np.isclose(ts.X[:, 0], -9999.0).any(), "a fill was trained on"
    np.testing.assert_array_equal(ts.X, want["ts"].X)
    assert ts.counts["positives_without_data"] == 3
    assert ts.counts["training_rows_on_fills"]["heat"]["positives"] == 3


def test_weights_of_evidence_keeps_rows_on_an_undeclared_fill_without_that_layer(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: weights of evidence on the same cube (-9999 on 4 wells' cells and on a
    grid of others). Before, -9999 was the lowest class of ``heat``'s evidence, weighted as a
    measurement; the map of a cube holding it scores such a cell without the layer
    (W = 0). Now the rows are those of the cube with NaN there: kept, on ``heat``'s gap,
    and the weights are the declared nodata's to the last digit."""
    from prospect.models import make_estimator
    from prospect.models.training import fit_final

    scene = _scene(-9999.0)
    got = _read(tmp_path / "fill", scene, "weights_of_evidence", scene["heat"])
    want = _read(
        tmp_path / "nan", scene, "weights_of_evidence", np.where(scene["on"], np.nan, scene["heat"])
    )
    ts = got["ts"]
    np.testing.assert_array_equal(ts.X, want["ts"].X)
    assert ts.counts["positives_on_gaps"] == want["ts"].counts["positives_on_gaps"]
    assert ts.counts["positives_on_gaps"]["heat"] == int(
        scene["on"][scene["pick"][:, 0], scene["pick"][:, 1]].sum()
    )
    assert ts.counts["training_rows_on_fills"]["heat"]["kept"] is True

    def weights(found: dict[str, Any]) -> list[Any]:
        est = make_estimator(
            found["cfg"],
            n_features=2,
            categorical=[],
            cell_area=100.0,
            feature_names=["heat", "depth"],
        )
        final = fit_final(est, found["ts"].X, found["ts"].y, found["ts"].weight)
        model = final.steps[-1][1] if hasattr(final, "steps") else final
        return [
            (ev["kind"], float(ev["threshold"]), tuple(np.round(ev["weights"], 12)))
            for ev in model.evidence_
        ]

    assert weights(got) == weights(want)


def test_control_clean_rows_are_read_as_before(tmp_path: Path) -> None:
    """Control: the same cube without a fill (and 255 among values of 0..300, no fill
    there): the reader gives :func:`build_training_set`'s rows and counts, no fill record,
    and the same warnings."""
    from prospect.features import build_stack
    from prospect.models.training import build_training_set

    scene = _scene(None)
    heat = scene["heat"] * 300.0
    heat[scene["on"]] = 255.0
    got = _read(tmp_path / "new", scene, "logistic_regression", heat)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        old = build_training_set(
            build_stack(got["ds"], got["spec"]),
            got["spec"],
            grid=scene["grid"],
            source=_source(tmp_path / "new"),
            cfg=got["cfg"],
        )
    np.testing.assert_array_equal(got["ts"].X, old.X)
    assert got["ts"].counts == old.counts
    assert "training_rows_on_fills" not in got["ts"].counts
    assert got["said"] == [" ".join(str(w.message).split()) for w in said]


def _source(root: Path) -> Any:
    from prospect.config.sources import PointSource

    return PointSource(name="wells", path=root / "wells.csv", x="x", y="y", crs="EPSG:32619")


def test_prospect_train_leaves_out_wells_on_an_undeclared_fill(
    cli: Any, sandbox: Sandbox, scheduler: str
) -> None:
    """SYNTHETIC tiny job: ``heat.tif`` (0..1, no nodata tag) holds -9999 on 3 of 24 wells'
    cells and on 6 other cells; ``prospect train``. Before, the model learnt -9999 as
    evidence (its schema's training range -9999 to 1, so the map scored such cells) and
    the card's limitations said it "learnt it as evidence". Now the 3 wells are left out
    (21 positives), the schema's range is the other rows', and the card says why."""
    rng = np.random.default_rng(48)
    heat = rng.random((40, 40)).astype("f4")
    hot = np.argwhere(heat > 0.8)
    pick = hot[rng.choice(len(hot), 24, replace=False)]
    heat[pick[:3, 0], pick[:3, 1]] = -9999.0
    heat[5:7, 30:33] = -9999.0
    write_tiny_raster(sandbox.root / "heat.tif", values=heat)
    rows = [f"w{i},{500005 + 10 * c},{1350395 - 10 * r}" for i, (r, c) in enumerate(pick)]
    (sandbox.root / "wells.csv").write_text("id,x,y\n" + "\n".join(rows) + "\n")
    sandbox.write_job(
        sources=[
            {"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
            {
                "kind": "points",
                "name": "wells",
                "path": "wells.csv",
                "x": "x",
                "y": "y",
                "crs": "EPSG:32619",
            },
        ],
        model={
            "mineral": "lithium",
            "labels": {"source": "wells"},
            "cv": {"n_splits": 3, "block_size": 100.0, "seeds": 1, "bootstrap": 0},
            "permutation_repeats": 0,
            "partial_dependence": 0,
        },
    )
    assert cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler).code == 0
    result = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text and "internal error" not in text.lower(), text[-3000:]
    assert result.code == 0, text[-3000:]
    assert "training rows: cube variable 'heat' holds -9999 at 3 of them (3 positive)" in text, (
        text[-3000:]
    )
    # said once among the run's warnings, though the reader and the stage both say it
    assert "train.data_warnings = 2 2 data warning(s):" in text, text[-3000:]
    model = sandbox.out / "model"
    metrics = json.loads((model / "metrics.json").read_text())
    assert metrics["metrics"]["n_positive"] == 21
    schema = json.loads((model / "schema.json").read_text())
    seen = {v["name"]: v.get("training") for v in schema["variables"]}["heat"]
    assert 0.0 <= seen["min"] < seen["max"] <= 1.0
    card = json.loads((model / "card.json").read_text())
    assert any(
        line.startswith("training rows: cube variable 'heat' holds -9999")
        for line in card["limitations"]
    ), card["limitations"]
    assert sandbox.untouched()


def test_control_a_common_fill_value_among_the_others_is_no_fill_however_many_hold_it() -> None:
    """Control (SYNTHETIC rows): 255 held by most rows of a layer of 0..254 (a saturated
    band), and -99 among values of -200..200, are values: no fill is found or said, as
    before; -9999 beside them is."""
    from prospect.models.summary import fill_warnings

    rng = np.random.default_rng(48)
    band = np.round(rng.random(600) * 254)
    band[:400] = 255.0
    spread = rng.random(600) * 400 - 200
    spread[:5] = -99.0
    X = np.column_stack([band, spread])
    assert fill_warnings(X, ["band", "spread"]) == []
    X[:2, 1] = -9999.0
    lines = fill_warnings(X, ["band", "spread"])
    assert len(lines) == 1 and lines[0].startswith(
        "train: feature 'spread': 2 of the 600 training rows hold -9999 (2 row(s))"
    ), lines


# -- model score --reproject of a cube holding an undeclared fill ------------------------------


@pytest.fixture(scope="module")
def reuse(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Round 46's SYNTHETIC one-hot logistic regression ``logit`` on ``a`` (0..1) and
    ``geo`` (1-3), published in a temporary registry, on a 16 x 16 grid of 100 m."""
    from .test_models_round46 import published_logit

    return published_logit(tmp_path_factory.mktemp("r48reuse"), 48, 16)


def _finer_cube(found: dict[str, Any], path: Path, a: np.ndarray) -> Path:
    """A SYNTHETIC cube of ``a`` (as given, its dtype kept, no nodata declared) and ``geo``
    on a 32 x 32 grid of 50 m shifted by a quarter of the model's cell: a cube another
    tool made at another resolution, scored with ``--reproject``."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    g = found["grid"]
    x0, y0 = g.bounds[0] + 25.0, g.bounds[1] + 25.0
    grid = RegionGrid(
        "EPSG:32619", 50.0, (x0, y0, x0 + 1600.0, y0 + 1600.0), chunks=(32, 32), name="finer"
    )
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(482)
    geo = float_layer(
        rng.integers(1, 4, grid.shape),
        name="geo",
        units="1",
        long_name="geology unit code",
        provenance={"source": "synthetic"},
        like=like,
    )
    geo.attrs["prospect_kind"] = "categorical"
    layer = float_layer(
        a, name="a", units="1", long_name="a", provenance={"source": "synthetic"}, like=like
    ).astype(a.dtype)
    add_variables(path, xr.Dataset({"a": layer, "geo": geo}))
    return path


def _scored(cli: Any, found: dict[str, Any], cube: Path, out: Path) -> tuple[str, np.ndarray]:
    """``prospect model score logit --reproject`` of ``cube``: its words on one line, and
    the map."""
    import xarray as xr

    result = cli(
        "model", "score", "logit", "-c", cube, "-o", out, "-r", found["reg"], "--reproject"
    )
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text and "internal error" not in text.lower(), text[-3000:]
    assert result.code == 0, text[-3000:]
    with xr.open_zarr(out) as maps:
        return text, maps["probability"].values


def test_reproject_does_not_average_an_undeclared_fill_into_the_cells_around_it(
    cli: Any, reuse: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: a finer, shifted cube whose ``a`` (trained on 0..1) holds -9999 on 4
    cells, undeclared, scored with ``--reproject``. The warp averaged the fill with its
    neighbours into values of -1874.6, -624.5 and -5624.3 on the model's grid: no fill any
    check knows, scored as evidence 5 000 times beyond the training range (probability 0),
    "100.0% of the cells scored" and not a word. Now the fill is no data before the warp:
    the map is that of the same cube with those cells declared no data (NaN), and the
    cells are said."""
    a = np.random.default_rng(48).random((32, 32)).astype("f4")
    on = np.zeros(a.shape, bool)
    on[10:12, 10:12] = True
    fill = _finer_cube(reuse, tmp_path / "fill.zarr", np.where(on, -9999.0, a).astype("f4"))
    text, got = _scored(cli, reuse, fill, tmp_path / "fill_s.zarr")
    nan = _finer_cube(reuse, tmp_path / "nan.zarr", np.where(on, np.nan, a).astype("f4"))
    _, want = _scored(cli, reuse, nan, tmp_path / "nan_s.zarr")
    np.testing.assert_array_equal(got, want)
    assert (
        "variable 'a': 4 cell(s) of the cube hold -9999, a common fill value far outside "
        "the model's training range, not declared as the layer's nodata: taken as no "
        "data before --reproject warps the cube to the model's grid" in text
    ), text
    assert "declare it as the source's nodata (nodata: -9999) and ingest again" in text, text


def test_an_integer_layers_undeclared_fill_is_its_warp_nodata(
    reuse: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: the finer cube's ``a`` as int16 (0 and 1) holding -9999 on 4 cells,
    aligned to the model's grid (:func:`prospect.registry.align_to_schema`, what
    ``--reproject`` runs): the fill was averaged into the model cells around it (-2499, -4999). Now
    it is the layer's warp fill (-32768, int16's, which the stack reads as no data) before
    the warp: the aligned layer is that of the cube holding -32768 there."""
    from prospect.io.cube import open_cube
    from prospect.registry import ModelRegistry, align_to_schema

    schema = ModelRegistry(str(reuse["reg"])).load("logit", "1").schema
    a = (np.random.default_rng(48).random((32, 32)) * 2).astype("i2")
    on = np.zeros(a.shape, bool)
    on[10:12, 10:12] = True
    fill = _finer_cube(reuse, tmp_path / "fill.zarr", np.where(on, -9999, a).astype("i2"))
    own = _finer_cube(reuse, tmp_path / "own.zarr", np.where(on, -32768, a).astype("i2"))
    got = align_to_schema(open_cube(fill), schema)["a"]
    want = align_to_schema(open_cube(own), schema)["a"]
    assert got.dtype == want.dtype == np.dtype("i2")
    np.testing.assert_array_equal(got.values, want.values)
    assert ((got.values >= 0) | (got.values == -32768)).all(), got.values.min()


def test_control_reproject_of_a_cube_without_a_fill_is_scored_as_before(
    cli: Any, reuse: dict[str, Any], tmp_path: Path
) -> None:
    """Control: the same finer cube without a fill (37.5 on the 4 cells: far outside, no
    common fill) is scored everywhere with ``--reproject``, no fill said, the 4 cells
    averaged into their model cells as before."""
    a = np.random.default_rng(48).random((32, 32)).astype("f4")
    a[10:12, 10:12] = 37.5
    text, got = _scored(cli, reuse, _finer_cube(reuse, tmp_path / "c.zarr", a), tmp_path / "s.zarr")
    assert "common fill value" not in text, text
    assert "100.0% of the cells scored" in text, text
    assert np.isfinite(got).all()


def test_too_few_wells_left_off_the_fill_are_refused_with_the_fill_said(tmp_path: Path) -> None:
    """SYNTHETIC: 19 of the 20 wells' cells hold -9999 (``heat`` undeclared), the others
    not. Before, the model was trained on 19 positives of -9999 (exit 0, the fill learnt as
    the deposits' evidence). Now they are no data: 1 positive is left, refused as too few
    (``DataError``), and the fill that took them is said before the refusal."""
    from prospect.errors import DataError

    scene = _scene(None)
    pick = scene["pick"]
    on = np.zeros(scene["on"].shape, bool)
    on[pick[1:, 0], pick[1:, 1]] = True
    on[::7, ::5] = True
    on[pick[0, 0], pick[0, 1]] = False
    heard: list[str] = []
    with pytest.raises(DataError, match=r"1 positive\(s\) remain \(at least 2 are needed\)"):
        _read(
            tmp_path,
            scene,
            "logistic_regression",
            np.where(on, -9999.0, scene["heat"]),
            heard=heard,
        )
    text = " ".join(heard)
    assert "training rows: cube variable 'heat' holds -9999 at " in text, text
    assert "(19 positive), a common fill value far outside the other rows' values" in text, text
