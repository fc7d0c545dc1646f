"""Round 14, models: polygon occurrences split between CV folds, and an AUC interval that
resampled spatially dependent rows as if independent.

Library cases train on one SYNTHETIC 100 x 100 cube (10 m cells) with a labels file of ten
points and one mine outline of 10 x 10 cells that straddles four spatial blocks; one CLI
case trains the tiny 40 x 40 job through ``prospect ingest`` and ``prospect train`` and
reads what it wrote (metrics.json, oof_predictions.csv, the report).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from prospect.config.model import ModelConfig
from prospect.config.sources import PointSource
from prospect.errors import DataWarning
from prospect.features import build_stack
from prospect.grid import RegionGrid
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.models.cv import SpatialBlockCV, assign_blocks
from prospect.models.metrics import bootstrap_auc_ci
from prospect.models.training import (
    TrainingSet,
    build_training_set,
    cv_schemes,
    fit_all,
    resolve_cv,
    select_features,
)
from prospect.testing import float_layer

from .conftest import Sandbox, write_tiny_raster

GRID = RegionGrid(crs="EPSG:32619", resolution=10.0,
                  bounds=(500_000, 1_000_000, 501_000, 1_001_000), chunks=(50, 50))
# a mine outline of 10 x 10 cells (centres 255..345 east, 555..645 north of the origin):
# across the block edges at about 305 m east and 605 m north of 300 m blocks
MINE = (500_250.0, 1_000_550.0, 500_350.0, 1_000_650.0)
SMALL = (500_820.0, 1_000_820.0, 500_850.0, 1_000_850.0)  # 3 x 3 cells, inside one block
POINTS = [(500_055 + 100 * k, 1_000_105 + 85 * ((3 * k) % 10)) for k in range(10)]
POINTS[2] = (500_255.0, 1_000_905.0)  # not in the outline


def _write_labels(path: Path, *, polygons: list[tuple[float, ...]],
                  points: list[tuple[float, float]]) -> Path:
    import geopandas as gpd
    from shapely.geometry import Point, box

    geoms = [Point(x, y) for x, y in points] + [box(*b) for b in polygons]
    gpd.GeoDataFrame({"name": [f"occ{k}" for k in range(len(geoms))]}, geometry=geoms,
                     crs="EPSG:32619").to_file(path, driver="GeoJSON")
    return path


@pytest.fixture(scope="module")
def cube(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC cube: a smooth field (higher near the occurrences) and noise."""
    root = tmp_path_factory.mktemp("models14")
    rng = np.random.default_rng(4)
    path = root / "cube.zarr"
    create_cube(path, GRID, attrs={"synthetic": True})
    like = open_cube(path)
    field = rng.normal(size=GRID.shape).cumsum(axis=0).cumsum(axis=1)
    field = (field - field.mean()) / field.std()
    ds = xr.Dataset({
        "field": float_layer(field, name="field", units="1", long_name="field", like=like),
        "noise": float_layer(rng.random(GRID.shape), name="noise", units="1",
                             long_name="noise", like=like),
    })
    add_variables(path, ds)
    return path


def _cfg(**labels: object) -> ModelConfig:
    return ModelConfig(mineral="lithium", estimator="random_forest",
                       params={"n_estimators": 10}, permutation_repeats=0,
                       partial_dependence=0,
                       cv={"n_splits": 3, "block_size": 300.0, "seeds": 1, "bootstrap": 200},
                       labels={"source": "mines", **labels})


def _training_set(cube: Path, labels: Path, **lab: object) -> tuple[TrainingSet, ModelConfig]:
    cfg = _cfg(**lab)
    ds = open_cube(cube)
    spec = select_features(ds, cfg, labels_path=labels)
    source = PointSource(name="mines", path=labels)
    ts = build_training_set(build_stack(ds, spec), spec, grid=GRID, source=source, cfg=cfg)
    return ts, cfg


def _in(box: tuple[float, ...], coords: np.ndarray) -> np.ndarray:
    return ((coords[:, 0] > box[0]) & (coords[:, 0] < box[2]) & (coords[:, 1] > box[1])
            & (coords[:, 1] < box[3]))


def _test_fold(folds: list[tuple[np.ndarray, np.ndarray]], n: int) -> np.ndarray:
    out = np.full(n, -1)
    for k, (_, test) in enumerate(folds):
        out[test] = k
    return out


@pytest.fixture(scope="module")
def mine(cube: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_labels(tmp_path_factory.mktemp("mine") / "mines.geojson",
                         polygons=[MINE], points=POINTS)


# -- polygon occurrences: one feature, one fold ----------------------------------------------

def test_a_mine_outlines_cells_are_never_split_between_spatial_folds(
    cube: Path, mine: Path,
) -> None:
    """Before: the outline's 100 cells fell in 4 spatial blocks dealt to different folds:
    a fold trained on part of the mine and tested on the rest (leakage lifting the AUC)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ts, cfg = _training_set(cube, mine)
    cv = resolve_cv(ts, cfg, resolution=GRID.resolution)
    cells = _in(MINE, ts.coords) & (ts.y == 1)
    assert cells.sum() == 100
    assert np.unique(assign_blocks(ts.coords, 300.0)[cells]).size == 4  # the case holds
    folds = _test_fold(cv_schemes(ts, cfg, cv=cv)["spatial_block"], ts.y.size)
    assert np.unique(folds[cells]).tolist() != [-1] and np.unique(folds[cells]).size == 1


def test_random_folds_keep_a_mine_outline_whole_too(cube: Path, mine: Path) -> None:
    """Before: the random folds of ``compare_random`` dealt the outline's cells one by one
    (about a third of the mine in each fold)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ts, cfg = _training_set(cube, mine)
    cv = resolve_cv(ts, cfg, resolution=GRID.resolution)
    folds = _test_fold(cv_schemes(ts, cfg, cv=cv)["random"], ts.y.size)
    assert np.unique(folds[_in(MINE, ts.coords) & (ts.y == 1)]).size == 1


def test_the_splitter_keeps_a_group_in_one_fold() -> None:
    """Before: ``SpatialBlockCV.split(..., groups=)`` took the argument and ignored it."""
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, (600, 2))
    y = (rng.random(600) < 0.1).astype(int)
    mine_rows = np.flatnonzero(_in((250.0, 250.0, 450.0, 450.0), xy))
    y[mine_rows] = 1
    groups = np.arange(600)
    groups[mine_rows] = -1
    folds = _test_fold(list(SpatialBlockCV(n_splits=3, block_size=200.0).split(
        xy, y, groups=groups)), 600)
    assert np.unique(assign_blocks(xy, 200.0)[mine_rows]).size > 1
    assert np.unique(folds[mine_rows]).size == 1


def test_a_polygon_that_swamps_the_points_is_a_data_warning_with_its_share(
    cube: Path, mine: Path,
) -> None:
    """Before: one outline made 100 of 110 positive cells (91 %) without a word."""
    with pytest.warns(DataWarning, match=r"covers 100 of the 110 positive cells \(91 %") as seen:
        ts, _ = _training_set(cube, mine)
    assert any("model.labels.polygons: centroid" in str(w.message) for w in seen)
    assert ts.counts["polygon_features"] == 1 and ts.counts["polygons"] == "cells"
    assert ts.counts["largest_polygon_positive_cells"] == 100
    assert ts.counts["largest_polygon_share"] == pytest.approx(100 / 110, abs=1e-4)


def test_a_polygon_pasted_twice_is_one_polygon_feature(cube: Path, tmp_path: Path) -> None:
    """Before (round 16): a mine outline written twice (one feature exported twice) counted
    as two polygon features in the training facts."""
    import geopandas as gpd
    from shapely.geometry import Point, box

    geoms = [Point(x, y) for x, y in POINTS] + [box(*MINE), box(*MINE)]
    names = [f"occ{k}" for k in range(len(POINTS))] + ["mine", "mine"]  # exported twice
    twice = tmp_path / "twice.geojson"
    gpd.GeoDataFrame({"name": names}, geometry=geoms, crs="EPSG:32619").to_file(
        twice, driver="GeoJSON")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ts, _ = _training_set(cube, twice)
    assert ts.counts["polygon_features"] == 1
    assert ts.counts["largest_polygon_positive_cells"] == 100


def test_polygons_centroid_gives_one_positive_per_polygon(cube: Path, mine: Path) -> None:
    """Before: ``labels.polygons`` was an unknown key; there was no way to weigh an
    outline as one occurrence."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # no share warning: one cell each
        ts, _ = _training_set(cube, mine, polygons="centroid")
    assert int((ts.y == 1).sum()) == 11 and ts.groups is None
    centre = ts.coords[(ts.y == 1) & _in(MINE, ts.coords)]
    assert centre.shape == (1, 2)
    np.testing.assert_allclose(centre[0], [500_305.0, 1_000_595.0])  # the cell of (300, 600)
    assert ts.counts["polygons"] == "centroid"


# -- controls --------------------------------------------------------------------------------

def test_point_labels_keep_their_folds_and_counts(cube: Path, tmp_path: Path) -> None:
    """Control: point occurrences have no groups; their folds are the splitter's without
    groups and the label counts carry no polygon keys (metrics.json as before)."""
    labels = _write_labels(tmp_path / "points.geojson", polygons=[], points=POINTS)
    ts, cfg = _training_set(cube, labels)
    assert getattr(ts, "groups", None) is None
    assert not [k for k in ts.counts if "polygon" in k]
    cv = resolve_cv(ts, cfg, resolution=GRID.resolution)
    got = cv_schemes(ts, cfg, cv=cv)
    plain = SpatialBlockCV(n_splits=3, block_size=cv["block_size"], buffer=cv["buffer"],
                           random_state=cfg.seed)
    for (a, b), (c, d) in zip(got["spatial_block"], plain.split(ts.coords, ts.y), strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)


def test_a_polygon_inside_one_block_leaves_the_folds_as_they_were(
    cube: Path, tmp_path: Path,
) -> None:
    """Control: a small outline inside one block (9 cells beside 10 points) moves no cell:
    the folds equal the splitter's without groups."""
    labels = _write_labels(tmp_path / "small.geojson", polygons=[SMALL], points=POINTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # 9 of 19 positives: warned of
        ts, cfg = _training_set(cube, labels)
    cv = resolve_cv(ts, cfg, resolution=GRID.resolution)
    plain = SpatialBlockCV(n_splits=3, block_size=cv["block_size"], buffer=cv["buffer"],
                           random_state=cfg.seed)
    for (a, b), (c, d) in zip(cv_schemes(ts, cfg, cv=cv)["spatial_block"],
                              plain.split(ts.coords, ts.y), strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)


def test_a_small_polygon_among_many_points_is_not_warned_of(cube: Path, tmp_path: Path) -> None:
    """Control: 9 cells of one outline beside 90 points (9 %) raise no share warning."""
    many = [(500_005 + 10 * (7 * k % 97), 1_000_005 + 10 * (13 * k % 97)) for k in range(90)]
    many = [p for p in many if not _in(SMALL, np.array([p], float))[0]]
    labels = _write_labels(tmp_path / "many.geojson", polygons=[SMALL], points=many)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", DataWarning)
        ts, _ = _training_set(cube, labels)
    assert not [w for w in seen if "occurrence polygon" in str(w.message)]
    assert int((ts.y == 1).sum()) == len(many) + 9


# -- the AUC interval: spatial blocks, not rows ------------------------------------------------

def _clustered(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """SYNTHETIC scores with a random offset per block (spatial autocorrelation): 30
    blocks of 26 cells, 6 of them positives in 15 blocks (a mining district); the
    population ROC AUC is Phi(1 / sqrt(2.5))."""
    blocks = np.repeat(np.arange(30), 26)
    y = np.zeros(blocks.size, int)
    for k in range(15):
        y[np.flatnonzero(blocks == k)[:6]] = 1
    score = y + rng.normal(0, 1.0, 30)[blocks] + rng.normal(0, 0.5, y.size)
    return y, score, blocks


def test_the_interval_of_clustered_scores_covers_the_auc_when_blocks_are_resampled() -> None:
    """Before: rows were resampled as if independent, so with scores clustered by block the
    95 % interval covered the population AUC in 67 % of 150 SYNTHETIC data sets; the block
    bootstrap (no ``blocks`` argument before) covers it in 88 %."""
    from scipy.stats import norm

    truth = float(norm.cdf(1.0 / np.sqrt(2.5)))
    rng = np.random.default_rng(11)
    rows = blocks_cover = 0
    for k in range(150):
        y, s, b = _clustered(rng)
        ci = bootstrap_auc_ci(y, s, n_boot=200, seed=k)
        rows += ci["low"] <= truth <= ci["high"]
        cb = bootstrap_auc_ci(y, s, n_boot=200, seed=k, blocks=b)
        blocks_cover += cb["low"] <= truth <= cb["high"]
        assert cb["unit"] == "spatial_block" and cb["n_units"] == 30
    assert rows / 150 < 0.75 and blocks_cover / 150 >= 0.85


def test_training_facts_resample_the_spatial_cv_blocks_and_say_so(
    cube: Path, mine: Path,
) -> None:
    """Before: metrics.json's interval resampled rows and did not say what it resampled."""
    from prospect.models import make_estimator
    from prospect.models.summary import training_facts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ts, cfg = _training_set(cube, mine)
        cv = resolve_cv(ts, cfg, resolution=GRID.resolution)
        schemes = cv_schemes(ts, cfg, cv=cv)
        names = ["field", "noise"]
        est = make_estimator(cfg, n_features=2, cell_area=100.0)
        results, final, _ = fit_all(est, ts, schemes, cfg, sample_weight=None,
                                    feature_names=names)
        facts = training_facts(final=final, cfg=cfg, ts=ts, names=names, results=results,
                               calibration={}, grid=GRID, sample_weight=None, job="t",
                               synthetic=True, config_hash="x", cv=cv)
    ci, m = facts["bootstrap_ci"], facts["metrics"]
    blocks = SpatialBlockCV(block_size=cv["block_size"]).blocks_of(ts.coords, ts.groups)
    assert ci["unit"] == "spatial_block" and ci["n_units"] == np.unique(blocks).size
    assert m["cv_spatial_roc_auc_ci95_method"] == "percentile bootstrap of spatial CV blocks"
    tested = results["spatial_block"].fold >= 0
    again = bootstrap_auc_ci(ts.y[tested], results["spatial_block"].oof[tested],
                             n_boot=200, seed=cfg.seed, blocks=blocks[tested])
    assert (again["low"], again["high"]) == (ci["low"], ci["high"])
    json.dumps(facts["metrics"])


def test_rows_resampled_without_blocks_give_the_interval_they_gave() -> None:
    """Control: without ``blocks`` (the library call of earlier rounds) the row bootstrap
    is unchanged: the same replicates, the same interval."""
    from prospect.models.metrics import _pair_auc

    rng = np.random.default_rng(8)
    y = (rng.random(500) < 0.2).astype(int)
    s = y * 0.7 + rng.normal(0, 1, y.size)
    pos, neg = s[y > 0], s[y <= 0]
    draw = np.random.default_rng(3)
    aucs = [_pair_auc(pos[draw.integers(0, pos.size, pos.size)],
                      neg[draw.integers(0, neg.size, neg.size)]) for _ in range(300)]
    ci = bootstrap_auc_ci(y, s, n_boot=300, seed=3)
    assert (ci["low"], ci["high"]) == tuple(np.quantile(aucs, [0.025, 0.975]))


def test_rows_of_independent_blocks_give_an_interval_like_the_row_bootstrap() -> None:
    """Without clustering (every block alike) the block interval brackets the
    pooled AUC and is about as wide as the row interval (within 40 %)."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(5)
    y = (rng.random(2000) < 0.15).astype(int)
    s = y * 0.8 + rng.normal(0, 1, y.size)
    blocks = rng.integers(0, 40, y.size)
    row = bootstrap_auc_ci(y, s, n_boot=400)
    blk = bootstrap_auc_ci(y, s, n_boot=400, blocks=blocks)
    assert blk["low"] < roc_auc_score(y, s) < blk["high"]
    width = (blk["high"] - blk["low"]) / (row["high"] - row["low"])
    assert 0.6 < width < 1.4 and row["unit"] == "row"


def test_one_block_holding_every_positive_leaves_the_interval_undefined() -> None:
    """Control: a block bootstrap needs two blocks holding positives, or it is no interval."""
    y = np.r_[np.ones(5), np.zeros(50)].astype(int)
    ci = bootstrap_auc_ci(y, np.linspace(0, 1, 55), blocks=np.r_[np.zeros(5), np.arange(50)])
    assert np.isnan(ci["low"]) and ci["n_boot"] == 0 and ci["n_units_with_positives"] == 1


# -- the CLI: what train writes ---------------------------------------------------------------

TINY_MINE = (500_150.0, 1_350_150.0, 500_250.0, 1_350_250.0)  # 10 x 10 cells, 4 blocks


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Sandbox, str]:
    """The tiny job, ingested and trained with a mine outline beside ten points."""
    from .conftest import run_in_process

    box = Sandbox(tmp_path_factory.mktemp("models14cli") / "box")
    points = [(500_015 + 37 * k, 1_350_385 - 9 * k) for k in range(10)]
    _write_labels(box.root / "mines.geojson", polygons=[TINY_MINE], points=points)
    rng = np.random.default_rng(2)
    write_tiny_raster(box.root / "signal.tif", values=rng.random((40, 40)).astype("float32"))
    box.write_job(sources=[
        {"kind": "raster", "name": "heat", "path": "heat.tif"},
        {"kind": "raster", "name": "signal", "path": "signal.tif"},
        {"kind": "points", "name": "mines", "path": "mines.geojson"}],
        model={"mineral": "lithium", "estimator": "random_forest",
               "params": {"n_estimators": 10}, "permutation_repeats": 0,
               "partial_dependence": 0,
               "labels": {"source": "mines", "background_ratio": 5},
               "features": ["heat", "signal"],
               "cv": {"n_splits": 3, "block_size": 100.0, "seeds": 1, "bootstrap": 200,
                      "compare_random": False}})
    got = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert got.code == 0, got.err[-3000:]
    got = run_in_process("train", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert got.code == 0, (got.out + got.err)[-3000:]
    return box, got.out + got.err


def test_train_keeps_the_mine_in_one_fold_and_says_what_the_interval_resampled(
    trained: tuple[Sandbox, str],
) -> None:
    """Before: oof_predictions.csv showed the outline's cells tested in several folds, and
    neither metrics.json nor the report said the interval resampled rows."""
    box, said = trained
    oof = pd.read_csv(box.out / "model" / "oof_predictions.csv")
    oof = oof[oof["scheme"] == "spatial_block"]
    cells = oof[(oof["label"] == 1) & _in(TINY_MINE, oof[["x", "y"]].to_numpy())]
    assert len(cells) == 100 and cells["fold"].nunique() == 1
    facts = json.loads((box.out / "model" / "metrics.json").read_text())
    assert facts["bootstrap_ci"]["unit"] == "spatial_block"
    assert facts["metrics"]["cv_spatial_roc_auc_ci95_method"] == \
        "percentile bootstrap of spatial CV blocks"
    assert facts["labels"]["largest_polygon_positive_cells"] == 100
    report = (box.out / "model" / "report" / "report.md").read_text()
    assert f"of the {facts['bootstrap_ci']['n_units']} spatial CV blocks, each resampled " \
        "whole" in " ".join(report.split())
    assert "covers 100 of the 110 positive cells" in " ".join(said.split())
    assert box.untouched()
