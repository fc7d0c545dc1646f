"""Training from a cube with library functions only (no run context): feature selection
without leaking layers, the training set and its background, CV, calibration and the
card's facts; and the job-grid check on :class:`RegionGrid`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from prospect.config.model import ModelConfig
from prospect.config.sources import PointSource
from prospect.errors import ConfigError, GridError
from prospect.features import build_stack
from prospect.grid import RegionGrid
from prospect.io.cube import add_variables, create_cube, cube_grid, open_cube
from prospect.models import CalibratedModel, make_estimator
from prospect.models.leakage import leaks_grade
from prospect.models.summary import headline, model_card, training_facts
from prospect.models.training import (
    build_training_set,
    calibrate,
    cv_schemes,
    fit_all,
    labels_source,
    resolve_cv,
    seed_estimators,
    seed_spread,
    select_features,
)
from prospect.testing import float_layer

GRID = RegionGrid(crs="EPSG:32619", resolution=10.0,
                  bounds=(500_000, 1_000_000, 501_000, 1_001_000), chunks=(50, 50))


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("training")
    rng = np.random.default_rng(1)
    field = rng.normal(size=GRID.shape).cumsum(axis=0).cumsum(axis=1)
    field = (field - field.mean()) / field.std()
    # wells: more positives where the field is high (synthetic)
    rows, cols = rng.integers(0, GRID.height, 200), rng.integers(0, GRID.width, 200)
    li = np.where(field[rows, cols] > 0.5, 300.0, 50.0) + rng.normal(0, 10, 200)
    wells = root / "wells.csv"
    pd.DataFrame({"x": GRID.x[cols], "y": GRID.y[rows], "li": li}).to_csv(wells, index=False)
    cube = root / "cube.zarr"
    create_cube(cube, GRID, attrs={"synthetic": True})
    like = open_cube(cube)
    noise = rng.random(GRID.shape)
    noise[:5, :] = np.nan
    ds = xr.Dataset({
        "field": float_layer(field, name="field", units="1", long_name="field", like=like),
        "noise": float_layer(noise, name="noise", units="1", long_name="noise", like=like),
        # a grade surface of the labels file under another source name: leaks the target
        "li_idw": float_layer(field, name="li_idw", units="mg/L", long_name="li surface",
                              like=like, provenance={"source": "samples", "column": "li",
                                                     "sources": {str(wells): "sha"}}),
    })
    add_variables(cube, ds)
    return cube, wells


def _cfg(**labels: object) -> ModelConfig:
    return ModelConfig(mineral="lithium", estimator="random_forest",
                       params={"n_estimators": 20}, calibration="isotonic",
                       cv={"n_splits": 3, "block_size": 300.0},
                       labels={"source": "wells", "value_column": "li", "threshold": 200.0,
                               **labels})


def _source(wells: Path) -> PointSource:
    return PointSource(name="wells", path=wells, x="x", y="y", crs="EPSG:32619")


def test_grade_surface_of_the_labels_file_is_no_feature(case) -> None:
    cube, wells = case
    ds = open_cube(cube)
    assert leaks_grade(ds["li_idw"], value_column="li", labels_path=wells)
    assert not leaks_grade(ds["li_idw"], value_column="cu", labels_path=wells)
    assert not leaks_grade(ds["field"], value_column="li", labels_path=wells)
    spec = select_features(ds, _cfg(), labels_path=wells)
    assert spec.names() == ["field", "noise"]


def test_labels_source_is_found_by_name(case) -> None:
    _, wells = case
    assert labels_source([_source(wells)], _cfg()).path == wells
    with pytest.raises(ConfigError, match="not a points source"):
        labels_source([], _cfg())


def test_training_set_cv_calibration_and_card_without_a_run_context(case) -> None:
    cube, wells = case
    ds = open_cube(cube)
    cfg = _cfg()
    spec = select_features(ds, cfg, labels_path=wells)
    seen: list[str] = []

    def compute(lazy, what: str):
        seen.append(what)
        return lazy.compute()

    ts = build_training_set(build_stack(ds, spec), spec, grid=GRID, source=_source(wells),
                            cfg=cfg, compute=compute)
    assert seen[0].startswith("features of") and "background" in seen[-1]
    n_pos = ts.counts["positives"]
    assert n_pos >= 10 and ts.counts["negatives"] == 10 * n_pos
    assert ts.counts["background_without_data"] > 0  # the no-data strip is topped up
    assert np.all(np.isfinite(ts.X)) and ts.X.shape == (ts.y.size, 2)
    np.testing.assert_array_equal(ts.coords[:, 0], GRID.x[ts.cols])
    assert np.all(ts.weight[ts.y == 1] == 1) and np.all(ts.weight[ts.y == 0] > 1)
    # the weights add up to the valid area, low-grade wells (not rows here) included
    assert ts.counts["negative_cells"] > 20  # below the threshold: not rows here
    without = ts.counts["background_without_data"] / ts.counts["background_drawn"]
    valid = GRID.height * GRID.width * (1 - without)
    assert ts.weight.sum() == pytest.approx(valid)
    # the same draw again: seeded
    again = build_training_set(build_stack(ds, spec), spec, grid=GRID, source=_source(wells),
                               cfg=cfg)
    np.testing.assert_array_equal(again.rows, ts.rows)
    estimator = make_estimator(cfg, n_features=2, categorical=[], cell_area=100.0)
    cv = resolve_cv(ts, cfg, resolution=GRID.resolution)
    assert cv["buffer"] == 15.0 and cv["block_size"] == cfg.cv.block_size  # 1.5 cells (auto)
    schemes = cv_schemes(ts, cfg, cv=cv)
    assert set(schemes) == {"spatial_block", "random"} and len(schemes["spatial_block"]) == 3
    seeds = seed_estimators(cfg, lambda c: make_estimator(c, n_features=2, cell_area=100.0))
    assert list(seeds) == list(range(cfg.seed, cfg.seed + 5))
    results, final, by_seed = fit_all(estimator, ts, schemes, cfg, sample_weight=None,
                                      feature_names=spec.names(), seeds=seeds)
    spread = seed_spread(by_seed)
    assert len(spread["seeds"]) == 5 and spread["min"] <= spread["max"]
    head = headline(results, seeds=spread)
    assert head["cv_spatial_roc_auc"] > 0.7 and head["cv_spatial_seeds"] == 5
    assert head["cv_spatial_fold_roc_auc_mean"] == pytest.approx(
        results["spatial_block"].metrics["fold_roc_auc_mean"], abs=1e-4)
    assert next(iter(head)) == "cv_spatial_fold_roc_auc_mean"  # the fold mean leads
    model, calibration = calibrate(final, results["spatial_block"], ts.X, ts.y, cfg)
    assert isinstance(model, CalibratedModel) and "spatial_oof_after" in calibration
    card = model_card(cfg=cfg, ts=ts, ds=ds, spec=spec, results=results,
                      calibration=calibration, grid=GRID, synthetic=True, training_data=[],
                      config={}, config_hash="x", cv=cv, headline_metrics=head)
    assert card["limitations"][0].startswith("trained on SYNTHETIC")
    assert [f["name"] for f in card["features"]] == ["field", "noise"]
    facts = training_facts(final=final, cfg=cfg, ts=ts, names=spec.names(), results=results,
                           calibration=calibration, grid=GRID, sample_weight=None, job="t",
                           synthetic=True, config_hash="x", cv=cv, seeds=spread)
    ci = facts["bootstrap_ci"]
    assert ci["low"] < facts["metrics"]["cv_spatial_roc_auc"] < ci["high"]
    assert set(facts["curves"]) == {"spatial_block", "random"}
    assert len(facts["partial_dependence"]) == 2
    json.dumps(facts["metrics"])


def test_check_cube_refuses_a_cube_on_another_grid(case) -> None:
    cube, _ = case
    on_disk = cube_grid(open_cube(cube))
    assert GRID.check_cube(on_disk, path=cube) is GRID
    other = RegionGrid(crs="EPSG:32619", resolution=10.0,
                       bounds=(500_010, 1_000_000, 501_010, 1_001_000), chunks=(50, 50))
    assert not other.same_cells(on_disk)
    with pytest.raises(GridError, match=r"not on the job's grid.*re-run 'prospect ingest'"):
        other.check_cube(on_disk, path=cube)


def test_points_per_cell_counts_distinct_positive_records() -> None:
    from prospect.config.model import LabelsConfig
    from prospect.models.labels import Occurrences
    from prospect.models.training import _points_per_cell

    # three records in one 10 m cell (one below the grade threshold), one alone, and a
    # polygon record (id 4) giving two points in the same cell: counted once
    x = np.array([500_001.0, 500_002.0, 500_003.0, 500_055.0, 500_101.0, 500_102.0])
    y = np.full(6, 1_000_995.0)
    occ = Occurrences(x=x, y=y, values=np.array([300.0, 250.0, 100.0, 400.0, 500.0, 500.0]),
                      feature_id=np.array([0, 1, 2, 3, 4, 4]), n_records=5)
    lab = LabelsConfig(source="wells", value_column="li", threshold=200.0)
    rows, cols = GRID.rowcol(np.array([500_001.0, 500_055.0, 500_101.0, 500_505.0]),
                             np.full(4, 1_000_995.0))
    np.testing.assert_array_equal(_points_per_cell(occ, lab, GRID, rows, cols), [2, 1, 1, 0])


@pytest.mark.parametrize("damaged", [5, [1], "not json", '["a"]'])
def test_a_damaged_provenance_attribute_reads_as_none(damaged) -> None:
    """Before: a provenance attribute that was not text (5) ended training in 'internal
    error: TypeError' where the label-surface check read it."""
    import numpy as np
    import xarray as xr

    from prospect.models.leakage import _provenance

    var = xr.DataArray(np.zeros((2, 2)), dims=("y", "x"), attrs={"provenance": damaged})
    assert _provenance(var) == {}
    assert not leaks_grade(var, value_column="li", labels_path="wells.csv")
