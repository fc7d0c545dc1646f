"""Models, round 27: weights of evidence fitted on the cells its map scores (deposits on a
layer's gap counted in N(D) and the prior, as Bonham-Carter 1994 and ArcSDM count them),
a deposit on the region's east or south edge counted as no point, spatial CV blocks
smaller than a cell, and the score stage's coverage lines said twice.

Library cases on small SYNTHETIC cubes (zarr, written with the cube writer) and label
files (GeoJSON written with geopandas); one module fixture runs the real ``prospect
ingest``, ``train`` and ``score`` on the tiny SYNTHETIC job (GeoTIFFs written with
rasterio, one with a nodata gap) through the CLI's entry point in this process.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from prospect.config.model import ModelConfig
from prospect.config.sources import PointSource
from prospect.errors import ConfigError, DataWarning
from prospect.features import build_stack
from prospect.grid import RegionGrid
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.models.training import build_training_set, resolve_cv, select_features
from prospect.testing import float_layer

from .conftest import Sandbox, run_in_process, write_tiny_raster

GRID = RegionGrid(
    crs="EPSG:32619",
    resolution=10.0,
    bounds=(500_000, 1_000_000, 501_000, 1_001_000),
    chunks=(50, 50),
)
INSIDE = [(500_055.0 + 100 * k, 1_000_105.0 + 85 * ((3 * k) % 10)) for k in range(8)]
ON_EDGES = [(501_000.0, 1_000_505.0), (500_505.0, 1_000_000.0)]  # east edge, south edge


def _labels(path: Path, points: list[tuple[float, float]]) -> Path:
    import geopandas as gpd
    from shapely.geometry import Point

    gpd.GeoDataFrame(
        {"name": [f"occ{k}" for k in range(len(points))]},
        geometry=[Point(x, y) for x, y in points],
        crs="EPSG:32619",
    ).to_file(path, driver="GeoJSON")
    return path


def _cube(path: Path, layers: dict[str, np.ndarray]) -> Path:
    """A SYNTHETIC cube on :data:`GRID` holding ``layers``."""
    create_cube(path, GRID, attrs={"synthetic": True})
    like = open_cube(path)
    add_variables(
        path,
        xr.Dataset(
            {
                k: float_layer(v, name=k, units="1", long_name=k, like=like)
                for k, v in layers.items()
            }
        ),
    )
    return path


def _config(estimator: str, *, features: list[str], **params: Any) -> ModelConfig:
    return ModelConfig(
        mineral="lithium",
        estimator=estimator,
        params=params,
        permutation_repeats=0,
        partial_dependence=0,
        features=features,
        cv={"n_splits": 3, "block_size": 300.0, "seeds": 1, "bootstrap": 0},
        labels={"source": "mines"},
    )


def _training_set(cube: Path, labels: Path, cfg: ModelConfig) -> Any:
    ds = open_cube(cube)
    spec = select_features(ds, cfg, labels_path=labels)
    return build_training_set(
        build_stack(ds, spec),
        spec,
        grid=GRID,
        source=PointSource(name="mines", path=labels),
        cfg=cfg,
    )


@pytest.fixture(scope="module")
def noise_cube(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SYNTHETIC: two layers of noise without a gap."""
    rng = np.random.default_rng(27)
    return _cube(
        tmp_path_factory.mktemp("models27") / "cube.zarr",
        {"a": rng.random(GRID.shape), "b": rng.random(GRID.shape)},
    )


@pytest.fixture(scope="module")
def gap_cube(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SYNTHETIC: layer ``b`` has no data over the east fifth of the region; ``a`` none in
    its north-east corner (there no layer has data)."""
    rng = np.random.default_rng(28)
    a, b = rng.random(GRID.shape), rng.random(GRID.shape)
    b[:, 80:] = np.nan
    a[:20, 80:] = np.nan
    return _cube(tmp_path_factory.mktemp("models27gap") / "cube.zarr", {"a": a, "b": b})


# points in the gap of b only (kept by weights of evidence) and in the corner of no data
ON_GAP = [(500_855.0 + 30 * k, 1_000_105.0 + 150 * k) for k in range(4)]
NO_LAYER = [(500_905.0, 1_000_905.0)]


# -- 1. a deposit on the region's east or south edge -------------------------------------


def test_a_deposit_on_the_east_or_south_edge_is_a_point_of_its_cell(
    noise_cube: Path,
    tmp_path: Path,
) -> None:
    """Before: the labels put a point on the region's east or south edge (a well at the
    round coordinate the bounds were drawn on) in the last cell, but the train stage's
    count of points per cell (``training._points_per_cell``) used ``RegionGrid.rowcol``,
    which put it one cell outside: its positive row counted 0 points. With weights of
    evidence ``count: points`` N(D) was 8 for 10 deposits, the prior and every weight
    off, without a word. Now the grid's ``rowcol(..., closed=True)`` is the labels' rule,
    and every cell-of-a-point caller of the models (the points per cell, the leakage
    check's shared sites) asks for it."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    labels = _labels(tmp_path / "mines.geojson", INSIDE + ON_EDGES)
    cfg = _config("weights_of_evidence", features=["a", "b"], count="points", ci_draws=0)
    ts = _training_set(noise_cube, labels, cfg)
    assert ts.counts["on_closing_edge"] == 2
    assert ts.n_points[ts.y == 1].tolist() == [1.0] * 10
    model = WeightsOfEvidenceClassifier(count="points", ci_draws=0).fit(
        ts.X, ts.y, sample_weight=ts.weight, n_points=ts.n_points
    )
    assert model.n_deposits_ == 10.0


def test_the_grid_puts_a_point_on_its_closing_edges_in_the_last_cell_when_asked() -> None:
    """``RegionGrid.rowcol(closed=True)``: a point on the east or south edge (to 1e-6 of a
    cell) is in the last column or row; one a metre beyond stays outside, and without
    ``closed`` the half-open cells are unchanged (the labels count their own edge
    points from them)."""
    xs = np.array([501_000.0, 500_505.0, 501_001.0, 500_000.0])
    ys = np.array([1_000_505.0, 1_000_000.0, 1_000_505.0, 1_001_000.0])
    rows, cols = GRID.rowcol(xs, ys, closed=True)
    assert (rows.tolist(), cols.tolist()) == ([49, 99, 49, 0], [99, 50, 100, 0])
    assert GRID.contains(rows, cols).tolist() == [True, True, False, True]
    rows, cols = GRID.rowcol(xs, ys)
    assert (rows.tolist(), cols.tolist()) == ([49, 100, 49, 0], [100, 50, 100, 0])


# -- 2. weights of evidence fitted on the cells its map scores ----------------------------


def test_weights_of_evidence_keeps_a_deposit_on_a_layers_gap_and_says_so(
    gap_cube: Path,
    tmp_path: Path,
) -> None:
    """Before: the train stage dropped every row where one layer had no data, for weights
    of evidence too, while its map (round 26) scores such cells with W = 0 for the
    missing layer. Published procedure (Bonham-Carter 1994; ArcSDM): a deposit on missing
    data counts in N(D) and the prior, and each layer is weighed on the cells where it
    has data. Now the rows with at least one layer are kept for weights of evidence
    (``models.factory.fits_missing_evidence``, ``training.with_data``), the background
    too, and a data warning names the layers and counts (``positives_on_gaps``); a cell
    without any layer is still left out, and said as such."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    labels = _labels(tmp_path / "mines.geojson", INSIDE + ON_GAP + NO_LAYER)
    cfg = _config("weights_of_evidence", features=["a", "b"], ci_draws=0)
    with pytest.warns(DataWarning) as seen:
        ts = _training_set(gap_cube, labels, cfg)
    said = " ".join(str(w.message) for w in seen)
    assert "4 of 13 positive cells have no data in some layers (b at 4)" in said
    assert "weights of evidence keeps them" in said and "in N(D) and the prior" in said
    assert "1 of 13 positive cells have no data in any layer of the evidence" in said
    assert ts.counts["positives_on_gaps"] == {"b": 4}
    assert ts.counts["positives_with_a_gap"] == 4
    assert ts.counts["positives_without_data"] == 1
    assert int(ts.y.sum()) == 12
    # background rows on the gap of b are kept too, and N(T) is every cell with a layer
    assert np.isnan(ts.X[ts.y == 0, 1]).any()
    model = WeightsOfEvidenceClassifier(feature_names=["a", "b"], ci_draws=0).fit(
        ts.X, ts.y, sample_weight=ts.weight
    )
    assert model.n_deposits_ == 12.0
    assert model.area_total_ == pytest.approx(100 * 100 - 20 * 20, rel=0.02)


def test_other_models_still_leave_out_the_rows_with_a_gap_and_say_how_many(
    gap_cube: Path,
    tmp_path: Path,
) -> None:
    """Control: a forest has no value for a missing layer; its rows with a gap are left
    out as before, counted and said ("left out of training")."""
    labels = _labels(tmp_path / "mines.geojson", INSIDE + ON_GAP + NO_LAYER)
    cfg = _config("random_forest", features=["a", "b"], n_estimators=10)
    with pytest.warns(
        DataWarning,
        match=r"5 of 13 positive cells have no data in the "
        r"evidence \(b at 5, a at 1\) and are left out of training",
    ):
        ts = _training_set(gap_cube, labels, cfg)
    assert ts.counts["positives_without_data"] == 5
    assert np.isfinite(ts.X).all() and int(ts.y.sum()) == 8


def test_weights_of_evidence_without_gaps_trains_on_the_same_rows(
    noise_cube: Path,
    tmp_path: Path,
) -> None:
    """Control: on a cube without gaps weights of evidence's rows are what they were
    (the forest's, the same draw): its weights cannot move."""
    labels = _labels(tmp_path / "mines.geojson", INSIDE)
    woe = _training_set(
        noise_cube, labels, _config("weights_of_evidence", features=["a", "b"], ci_draws=0)
    )
    rf = _training_set(
        noise_cube, labels, _config("random_forest", features=["a", "b"], n_estimators=10)
    )
    assert np.array_equal(woe.X, rf.X) and np.array_equal(woe.weight, rf.weight)
    assert np.array_equal(woe.y, rf.y)


# -- 3. spatial CV blocks smaller than a cell ---------------------------------------------


def test_a_block_size_smaller_than_a_cell_is_refused_in_the_grids_unit(
    noise_cube: Path,
    tmp_path: Path,
) -> None:
    """Before: ``model.cv.block_size: 0.05`` (degrees, on a grid in metres) made every
    cell a block of its own: the "spatial" CV was a random split of cells, reported as
    spatial without a word (no labels' range to compare when their variogram is a
    nugget). Now a config error names the key, the cell, the unit and the fix, before
    any feature is read in the train stage (``training.refuse_subcell_blocks``)."""
    labels = _labels(tmp_path / "mines.geojson", INSIDE)
    cfg = _config("random_forest", features=["a", "b"], n_estimators=10)
    ts = _training_set(noise_cube, labels, cfg)
    bad = cfg.model_copy(update={"cv": cfg.cv.model_copy(update={"block_size": 0.05})})
    with pytest.raises(ConfigError, match="smaller than one cell of the grid"):
        resolve_cv(ts, bad, resolution=GRID.resolution)
    with pytest.raises(ConfigError) as err:  # the train stage names the grid's unit
        resolve_cv(ts, bad, resolution=GRID.resolution, unit=GRID.unit)
    text = str(err.value)
    for part in (
        "'model.cv.block_size' = 0.05",
        "smaller than one cell of the grid (10 metres)",
        "random split of cells",
        "give the size in metres",
        "'auto'",
    ):
        assert part in text, text
    # control: a block of one cell and more, and auto, are kept
    one = cfg.model_copy(update={"cv": cfg.cv.model_copy(update={"block_size": 10.0})})
    assert resolve_cv(ts, one, resolution=10.0, unit=GRID.unit)["block_size"] == 10.0
    assert resolve_cv(ts, cfg, resolution=10.0)["block_size"] == 300.0


# -- 4. the real train and score stages on a layer with a gap ----------------------------

GAP_POINTS = [(500_015.0 + 38.8 * k, 1_350_385.0 - 36.0 * k) for k in range(8)]
GAP_POINTS += [(500_355.0, 1_350_015.0 + 40.0 * k) for k in range(5)]  # in signal's gap


@pytest.fixture(scope="module")
def woe_job(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> dict[str, Any]:
    """The tiny SYNTHETIC job, ``signal`` without data in its east quarter, five of the
    thirteen wells there; ingested, trained with weights of evidence and scored."""
    box = Sandbox(tmp_path_factory.mktemp("models27job") / "box")
    signal = np.random.default_rng(2).random((40, 40)).astype("float32")
    signal[:, 30:] = -9999.0
    write_tiny_raster(box.root / "signal.tif", values=signal, nodata=-9999.0)
    (box.root / "wells.csv").write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in GAP_POINTS))
    box.write_job(
        sources=[
            {"kind": "raster", "name": "heat", "path": "heat.tif"},
            {"kind": "raster", "name": "signal", "path": "signal.tif"},
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
            "estimator": "weights_of_evidence",
            "params": {"ci_draws": 0},
            "permutation_repeats": 0,
            "partial_dependence": 0,
            "features": ["heat", "signal"],
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
    said = {}
    for stage in ("ingest", "train", "score"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = run_in_process(stage, box.job_path, "-o", box.out, "--scheduler", scheduler)
        assert got.code == 0, (got.out + got.err)[-3000:]
        said[stage] = got.out + got.err
    metrics = json.loads((box.out / "model" / "metrics.json").read_text())
    return {"said": said, "metrics": metrics, "out": box.out}


def test_the_train_stage_fits_weights_of_evidence_on_the_deposits_its_map_scores(
    woe_job: dict[str, Any],
) -> None:
    """Before: the five wells on ``signal``'s gap were dropped from training: N(D) 8 and
    N(T) the 1 200 cells with both layers, while the map scored all 1 600 cells and its
    in-sample capture counted 13 wells. Now N(D) is 13 and N(T) 1 600 (each layer weighed
    on its own cells: ``signal`` on the 8 wells where it has data), the wells on the gap
    are in the CV figures, and the run says why."""
    woe = woe_job["metrics"]["weights_of_evidence"]
    assert woe["n_deposits"] == 13.0
    assert woe["area_unit_cells"] == pytest.approx(1600.0)
    per = {w["feature"]: w for w in woe["weights"]}
    assert per["signal"]["area"] < 0.8 * woe["area_unit_cells"]
    labels = woe_job["metrics"]["labels"]
    assert labels["positives_on_gaps"] == {"signal": 5}
    assert labels["positives_without_data"] == 0
    assert woe_job["metrics"]["metrics"]["n_positive"] == 13
    said = " ".join(woe_job["said"]["train"].split())
    assert "weights of evidence keeps them" in said
    assert "13 positive cells, 5 on a layer's gap (kept: weights of evidence" in said


def test_the_score_stage_says_each_coverage_line_once(woe_job: dict[str, Any]) -> None:
    """Before: the score stage printed its coverage lines (and its map's problems) on the
    console itself, and the runner printed them again with the stage's notes: "weights
    of evidence scored cells without a layer: signal at 400 cells ..." came twice. Now
    the runner says them once."""
    said = " ".join(woe_job["said"]["score"].split())
    assert said.count("weights of evidence scored cells without a layer: signal at 400") == 1
