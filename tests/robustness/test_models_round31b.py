"""Round 31, second pass: weights of evidence's reliability figures made by rows where the
model was calibrated (``calibrate``), and a model folder named with square brackets said
as another folder by the train stage.

Library cases on the 40 x 40 SYNTHETIC cube and 12 wells of round 31 (trained with the
train stage's own functions); the real ``prospect`` command in this process on the tiny
SYNTHETIC job in a folder named ``survey [old]``.
"""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from .conftest import Sandbox, run_in_process, write_tiny_raster
from .test_models_round31 import _cube, _grid

WIDE = "400"
"""A console wide enough that no path is wrapped (``COLUMNS``)."""


def _area_weights(calibrate: Any, sw: np.ndarray | None) -> dict[str, Any]:
    """``sample_weight=sw`` where ``calibrate`` takes it (controls run on ``HEAD`` too)."""
    return (
        {"sample_weight": sw} if "sample_weight" in inspect.signature(calibrate).parameters else {}
    )


def _trained(root: Path, estimator: str) -> dict[str, Any]:
    """The round-31 SYNTHETIC cube and wells, ``estimator`` cross-validated and fitted as
    the train stage does, up to (not including) ``calibrate``."""
    from prospect.config.model import ModelConfig
    from prospect.config.sources import PointSource
    from prospect.features import build_stack
    from prospect.models import make_estimator, uses_area_weights
    from prospect.models.training import (
        build_training_set,
        cv_schemes,
        fit_all,
        resolve_cv,
        select_features,
    )

    grid = _grid()
    rng = np.random.default_rng(31)
    heat = rng.random(grid.shape)
    ds = _cube(root / "cube.zarr", {"heat": heat, "depth": rng.random(grid.shape)})
    hot = np.argwhere(heat > 0.9)
    pick = hot[rng.choice(len(hot), 12, replace=False)]
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
    )
    spec = select_features(ds, cfg, labels_path=wells)
    ts = build_training_set(build_stack(ds, spec), spec, grid=grid, source=source, cfg=cfg)
    names = spec.names()
    est = make_estimator(
        cfg, n_features=len(names), categorical=[], cell_area=100.0, feature_names=names
    )
    cv = resolve_cv(ts, cfg, resolution=grid.resolution)
    sw = ts.weight if uses_area_weights(cfg.estimator) else None
    results, final, _ = fit_all(
        est, ts, cv_schemes(ts, cfg, cv=cv), cfg, sample_weight=sw, feature_names=names
    )
    return {"cfg": cfg, "ts": ts, "final": final, "spatial": results["spatial_block"], "sw": sw}


@pytest.fixture(scope="module")
def woe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Weights of evidence on the round-31 SYNTHETIC cube, before ``calibrate``."""
    return _trained(tmp_path_factory.mktemp("models31b"), "weights_of_evidence")


# -- 1. calibrate: weights of evidence's reliability per unit cell --------------------------


def test_calibrate_weighs_weights_of_evidence_rows_as_their_area(woe: dict[str, Any]) -> None:
    """SYNTHETIC: ``calibrate`` made weights of evidence's ``spatial_oof_before`` by rows
    (the posterior per unit cell set against the training rows' share of positives,
    0.0909), and the train stage replaced it afterwards (``scale_facts(oof=)``): two
    paths, the first wrong for any other caller. Now ``calibrate`` takes the rows' area
    weights and its figures are the area's: ``prevalence`` the prior 12 / 1600, marked
    ``weighted: area``, equal to the train stage's figures before."""
    from prospect.models.evaluate import reliability
    from prospect.models.summary import RELIABILITY_BY_AREA, scale_facts
    from prospect.models.training import calibrate

    ts, spatial = woe["ts"], woe["spatial"]
    model, facts = calibrate(woe["final"], spatial, ts.X, ts.y, woe["cfg"], sample_weight=woe["sw"])
    before = facts["spatial_oof_before"]
    assert before.get("weighted") == "area", before
    assert before["prevalence"] == pytest.approx(12 / 1600, rel=1e-6), before
    tested = spatial.fold >= 0
    by_area = reliability(ts.y[tested], spatial.oof[tested], sample_weight=ts.weight[tested])
    assert before == by_area
    # one path: the facts the train stage writes need no correction after calibrate
    scaled = scale_facts(facts, model)
    assert scaled["spatial_oof_before"] == by_area
    assert RELIABILITY_BY_AREA in scaled["note"], scaled["note"]


def test_a_calibrated_posterior_is_read_by_rows(woe: dict[str, Any]) -> None:
    """Control: a weights-of-evidence posterior calibrated (Platt, fitted to the rows'
    labels) keeps its figures by rows, before and after, as before."""
    from prospect.models.evaluate import reliability
    from prospect.models.training import calibrate

    ts, spatial = woe["ts"], woe["spatial"]
    cfg = woe["cfg"].model_copy(update={"calibration": "sigmoid"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, facts = calibrate(
            woe["final"], spatial, ts.X, ts.y, cfg, **_area_weights(calibrate, woe["sw"])
        )
    tested = spatial.fold >= 0
    assert facts["spatial_oof_before"] == reliability(ts.y[tested], spatial.oof[tested])
    assert "weighted" not in facts["spatial_oof_before"]


def test_other_models_calibration_facts_are_by_rows(tmp_path: Path) -> None:
    """Control: a logistic regression's facts are scikit-learn's, by rows, as before."""
    from prospect.models.evaluate import reliability
    from prospect.models.training import calibrate

    got = _trained(tmp_path, "logistic_regression")
    ts, spatial = got["ts"], got["spatial"]
    assert got["sw"] is None
    _, facts = calibrate(
        got["final"], spatial, ts.X, ts.y, got["cfg"], **_area_weights(calibrate, got["sw"])
    )
    tested = spatial.fold >= 0
    assert facts["spatial_oof_before"] == reliability(ts.y[tested], spatial.oof[tested])


# -- 2. the train stage's console lines of a folder named with square brackets ---------------

WELLS = [
    (500_105.0, 1_350_295.0),
    (500_205.0, 1_350_195.0),
    (500_305.0, 1_350_095.0),
    (500_155.0, 1_350_145.0),
    (500_255.0, 1_350_245.0),
]
"""Five wells of the tiny region (``TINY_REGION``)."""


@pytest.fixture(scope="module")
def bracketed(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> dict[str, Any]:
    """The tiny SYNTHETIC job with wells in ``survey [old]/``, ingested and trained into
    ``out[bold]/`` through the CLI in this process."""
    mp = pytest.MonkeyPatch()
    mp.setenv("COLUMNS", WIDE)
    mp.delenv("PROSPECT_DEBUG", raising=False)
    box = Sandbox(tmp_path_factory.mktemp("models31b") / "survey [old]")
    box.out = box.root / "out[bold]"
    rng = np.random.default_rng(31)
    write_tiny_raster(box.root / "n1.tif", values=rng.random((40, 40)).astype("f4"))
    (box.root / "wells.csv").write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in WELLS))
    box.write_job(
        sources=[
            {"kind": "raster", "name": "heat", "path": "heat.tif"},
            {"kind": "raster", "name": "n1", "path": "n1.tif"},
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
            "estimator": "logistic_regression",
            "permutation_repeats": 0,
            "partial_dependence": 0,
            "features": ["heat", "n1"],
            "labels": {"source": "wells", "background_ratio": 10},
            "cv": {
                "n_splits": 3,
                "block_size": 100.0,
                "seeds": 1,
                "bootstrap": 0,
                "compare_random": False,
            },
        },
    )
    said = ""
    try:
        for stage in ("ingest", "train"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = run_in_process(stage, box.job_path, "-o", box.out, "--scheduler", scheduler)
            assert got.code == 0, (got.out + got.err)[-3000:]
            said += got.out + got.err
    finally:
        mp.undo()
    return {"box": box, "said": said}


def test_the_train_stage_names_the_model_folder_where_it_is(bracketed: dict[str, Any]) -> None:
    """Trained into ``survey [old]/out[bold]/``: "model saved to .../survey /out/model"
    (Rich read ``[old]`` and ``[bold]`` as its markup and took them out), a folder that
    does not exist, exit 0. Now the folder where it is."""
    box, said = bracketed["box"], bracketed["said"]
    model = box.out / "model"
    assert f"model saved to {model}" in said, said[-3000:]
    assert json.loads((model / "metrics.json").read_text())["metrics"]


# -- 3. fold-aware distance surfaces of a region whose metres are not the ground's -----------


def _rebuilt_and_cube(
    tmp_path: Path,
    crs: str,
    bounds: tuple[float, ...],
    resolution: float,
    points: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    column: str = "li",
    **kw: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """A points source's first surface as ingest makes it on a region (the cube's values)
    and as the fold-aware rebuild makes it from every point (``foldaware.surface_of``);
    ``points`` (x, y, li) default to 25 points inside the region."""
    from prospect.config.sources import PointSource
    from prospect.grid import RegionGrid
    from prospect.ingest.surfaces import plan_points
    from prospect.models.foldaware import surface_of

    grid = RegionGrid(name="r31b", crs=crs, resolution=resolution, bounds=bounds, chunks=(20, 40))
    if points is None:
        rng = np.random.default_rng(31)
        x0, y0, x1, y1 = bounds
        x, y = x0 + rng.random(25) * (x1 - x0), y0 + rng.random(25) * (y1 - y0)
        points = (x, y, np.sin(x * 0.01) * 10 + 50)
    table = tmp_path / "wells.csv"
    table.write_text(
        f"x,y,{column}\n"
        + "".join(f"{a:.6f},{b:.6f},{c:.4f}\n" for a, b, c in zip(*points, strict=True))
    )
    source = PointSource(name="wells", path=str(table), x="x", y="y", crs=crs, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = plan_points(source, grid)[0]
    cube = np.full(grid.shape, np.nan, "f4")
    for window in grid.chunk_windows():
        cube[window.rows, window.cols] = layer.compute(grid, window)
    xx, yy = np.meshgrid(grid.x, grid.y)
    rebuilt = surface_of(layer.settings, source, grid, name=layer.name).values(
        np.column_stack([xx.ravel(), yy.ravel()])
    )
    return rebuilt.reshape(grid.shape), cube


MERCATOR = (556_597.0, 6_800_125.0, 559_797.0, 6_801_725.0)
"""A Web Mercator (EPSG:3857) region at about 52 N, 5 E: 1.62 of its metres per metre on
the ground."""


def test_a_fold_aware_distance_of_a_web_mercator_region_is_the_cubes(tmp_path: Path) -> None:
    """Web Mercator at 52 N: ingest measures a distance layer on the ground (round 30), the
    fold-aware rebuild of it (distance to the label points, rebuilt inside each CV fold)
    in the CRS's metres: every training row's distance 1.62 times the cube's, the model
    fitted on one scale and scored on another, exit 0. Now measured as ingest measured it."""
    rebuilt, cube = _rebuilt_and_cube(tmp_path, "EPSG:3857", MERCATOR, 80.0, distance=True)
    assert np.nanmax(cube) > 100  # metres on the ground
    np.testing.assert_allclose(rebuilt, cube, rtol=1e-5, atol=0.05)


def test_a_fold_aware_distance_of_a_region_in_degrees_keeps_its_degrees(tmp_path: Path) -> None:
    """Control: a region in degrees keeps its distance layer in degrees (ingest's, as
    recorded), and the rebuild with it."""
    rebuilt, cube = _rebuilt_and_cube(
        tmp_path, "EPSG:4326", (5.0, 52.0, 5.08, 52.04), 0.002, distance=True
    )
    assert np.nanmax(cube) < 1  # degrees
    np.testing.assert_allclose(rebuilt, cube, rtol=1e-5, atol=1e-6)


def test_a_fold_aware_idw_of_a_web_mercator_region_is_the_cubes(tmp_path: Path) -> None:
    """Control: an IDW surface of the same Web Mercator region is rebuilt as the cube's."""
    rebuilt, cube = _rebuilt_and_cube(
        tmp_path,
        "EPSG:3857",
        MERCATOR,
        80.0,
        columns=["li"],
        interpolate=["idw"],
        units={"li": "mg/L"},
        neighbours=8,
    )
    np.testing.assert_allclose(rebuilt, cube, rtol=0, atol=1e-3)


# -- 4. a model scored on a cube whose point surface was measured in another frame ------------

GROUND = "metres on the ground (azimuthal equidistant about the region's centre), not degrees"


def _surface_cube(path: Path, distances: str | None, grid: Any = None) -> Any:
    """A SYNTHETIC zarr cube of one IDW surface ``wells_li`` (``mg/L``) as ingest records it,
    measured in ``distances`` (``None``: the grid's own coordinates, as before round 31),
    on ``grid`` (default: :data:`DEGREES`)."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    grid = grid or RegionGrid(**DEGREES)
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    prov = {"source": "wells", "method": "idw", "column": "li", "power": 2.0, "neighbours": 8}
    if distances:
        prov["distances"] = distances
    values = np.random.default_rng(31).random(grid.shape) * 50
    layer = float_layer(
        values,
        name="wells_li",
        units="mg/L",
        long_name="li of wells, IDW",
        like=like,
        provenance=prov,
    )
    add_variables(path, xr.Dataset({"wells_li": layer}))
    return open_cube(path)


DEGREES: dict[str, Any] = {
    "name": "deg",
    "crs": "EPSG:4326",
    "resolution": 0.002,
    "bounds": (5.0, 52.0, 5.08, 52.04),
    "chunks": (20, 20),
}
"""A region in degrees at 52 N."""


@pytest.fixture(scope="module")
def surfaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Cubes of the same IDW surface measured in degrees (before) and on the ground."""
    root = tmp_path_factory.mktemp("frames31b")
    return {
        "before": _surface_cube(root / "before.zarr", None),
        "ground": _surface_cube(root / "ground.zarr", GROUND),
        "utm": _surface_cube(root / "utm.zarr", None, grid=_grid()),
    }


@pytest.mark.parametrize(("trained", "scored"), [("before", "ground"), ("ground", "before")])
def test_a_surface_measured_in_another_frame_is_refused(
    surfaces: dict[str, Any], trained: str, scored: str
) -> None:
    """SYNTHETIC: a model trained on an IDW surface ingested before round 31 (weighed by
    degrees) scored on the same surface ingested now (weighed by ground distance), or the
    reverse: same name, units and points, other values (a Web Mercator distance layer
    1.62 times the ground's), scored without a word, exit 0. Now a schema difference that
    names both frames and says to retrain."""
    from prospect.errors import SchemaMismatchError
    from prospect.registry.schema import check_schema, schema_from_cube

    schema = schema_from_cube(surfaces[trained], ["wells_li"])
    with pytest.raises(SchemaMismatchError) as err:
        check_schema(surfaces[scored], schema)
    text = " ".join(str(err.value).split())
    assert "variable 'wells_li': ingest measured its distances" in text, text
    assert "in the grid's own coordinates" in text and "metres on the ground" in text, text
    fix = "retrain the model on this cube" if trained == "before" else "re-ingest the cube"
    assert fix in text, text


@pytest.mark.parametrize("frame", ["before", "ground"])
def test_a_surface_measured_in_its_own_frame_is_scored(
    surfaces: dict[str, Any], frame: str
) -> None:
    """Control: the surface scored in the frame it was trained in has no difference."""
    from prospect.registry.schema import schema_differences, schema_from_cube

    schema = schema_from_cube(surfaces[frame], ["wells_li"])
    assert schema_differences(surfaces[frame], schema) == []


UTM = (500_000.0, 1_350_000.0, 500_400.0, 1_350_400.0)
"""The tiny region (UTM 19N, 10 m cells)."""


def _wells(extra: tuple[list[float], list[float], list[float]] | None = None) -> tuple[Any, ...]:
    """30 wells in :data:`UTM` with a smooth ``li``, and ``extra`` rows."""
    rng = np.random.default_rng(3)
    x, y = 500_000 + rng.random(30) * 400, 1_350_000 + rng.random(30) * 400
    z = np.sin(x * 0.02) * 10 + np.cos(y * 0.03) * 10 + 50
    if extra:
        x, y, z = (np.append(a, b) for a, b in zip((x, y, z), extra, strict=True))
    return x, y, z


KRIGING: dict[str, Any] = {
    "columns": ["li"],
    "interpolate": ["kriging"],
    "units": {"li": "mg/L"},
    "neighbours": 8,
}


def test_a_fold_aware_kriging_without_the_far_points_ingest_dropped(tmp_path: Path) -> None:
    """A well whose northing lost its sign (-1 350 200 for 1 350 200) lies half a world
    away: ingest drops it from kriging (warned), the fold-aware rebuild fitted its
    variogram from it: each fold's feature off the cube's by 11 in a range of 37, exit 0.
    Now rebuilt from the points ingest kept."""
    x, y, z = _wells(([500_200.0], [-1_350_200.0], [500.0]))
    rebuilt, cube = _rebuilt_and_cube(tmp_path, "EPSG:32619", UTM, 10.0, (x, y, z), **KRIGING)
    np.testing.assert_allclose(rebuilt, cube, rtol=0, atol=1e-3)


def test_a_fold_aware_kriging_of_two_values_at_one_place_averages_them(tmp_path: Path) -> None:
    """Two wells logged twice at one place with other values: ingest averages each pair
    (kriging cannot take two values at one place), the rebuild kriged both: off by 3.6.
    Now averaged as ingest averages them."""
    x0, y0, z0 = _wells()
    x, y, z = _wells(([x0[0], x0[1]], [y0[0], y0[1]], [z0[0] + 5, z0[1] - 5]))
    rebuilt, cube = _rebuilt_and_cube(tmp_path, "EPSG:32619", UTM, 10.0, (x, y, z), **KRIGING)
    np.testing.assert_allclose(rebuilt, cube, rtol=0, atol=1e-3)


def test_a_fold_aware_kriging_of_wells_in_the_region_is_the_cubes(tmp_path: Path) -> None:
    """Control: wells all in the region, each at its own place: as before."""
    rebuilt, cube = _rebuilt_and_cube(tmp_path, "EPSG:32619", UTM, 10.0, _wells(), **KRIGING)
    np.testing.assert_allclose(rebuilt, cube, rtol=0, atol=1e-3)


def test_a_surface_of_another_crs_is_not_called_another_frame(surfaces: dict[str, Any]) -> None:
    """Control: a model of a UTM cube (whose metres are the ground's, no frame recorded)
    and a cube in degrees measured on the ground differ in CRS and resolution (the lines
    they had), not in the frame (a reprojected score is not refused for it)."""
    from prospect.registry.schema import schema_differences, schema_from_cube

    diffs = schema_differences(surfaces["ground"], schema_from_cube(surfaces["utm"], ["wells_li"]))
    assert any(d.startswith("CRS") for d in diffs), diffs
    assert not any("measured its distances" in d for d in diffs), diffs


def test_a_fold_aware_kriging_of_a_column_named_variance_is_its_estimate(tmp_path: Path) -> None:
    """A kriged column named ``li_variance``: its estimate is ``wells_li_variance`` (and
    its variance ``wells_li_variance_variance``); the rebuild took the estimate for a
    kriging variance by its name's ending: each fold's feature another quantity than the
    cube's, exit 0. Now told apart by ingest's naming."""
    kw = {**KRIGING, "columns": ["li_variance"], "units": {"li_variance": "mg/L"}}
    rebuilt, cube = _rebuilt_and_cube(
        tmp_path, "EPSG:32619", UTM, 10.0, _wells(), column="li_variance", **kw
    )
    np.testing.assert_allclose(rebuilt, cube, rtol=0, atol=1e-3)
