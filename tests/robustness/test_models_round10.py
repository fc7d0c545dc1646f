"""Round 10, models: label tables, CV folds, estimator parameters and scoring that trained
or published the wrong thing without a word.

Each CLI case ingests a tiny SYNTHETIC job and runs the real ``prospect train`` (or
``score``) on it; the fold dealing is checked on the splitter itself.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from .conftest import Sandbox, assert_clean_error

X0, Y0 = 500000.0, 1350000.0
PLACES = [(X0 + 20 + 360 * a, Y0 + 20 + 360 * b)
          for a, b in np.random.default_rng(0).random((30, 2))]
FAST = {"n_estimators": 10}
FAST_CV = {"seeds": 1, "bootstrap": 0, "compare_random": False}


def _job(box: Sandbox, table: str, labels: dict, *, cv: dict | None = None,
         params: dict | None = None, mineral: str = "lithium") -> None:
    (box.root / "wells.csv").write_text(table)
    box.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                 {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
                  "crs": "EPSG:32619"}],
        model={"mineral": mineral, "estimator": "random_forest", "params": params or FAST,
               "permutation_repeats": 0, "partial_dependence": 0,
               "labels": {"source": "wells", **labels},
               "cv": {"kind": "spatial_block", "n_splits": 3, **FAST_CV, **(cv or {})}})


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> Path:
    """The output folder of the tiny job ingested once (the label table makes no layer, so
    every case's cube is this one; each case trains on a copy)."""
    from .conftest import run_in_process

    box = Sandbox(tmp_path_factory.mktemp("models10") / "box")
    _job(box, "x,y\n" + "\n".join(f"{x},{y}" for x, y in PLACES) + "\n", {})
    result = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return box.out


def _train(box: Sandbox, cli, scheduler: str, ingested: Path):
    shutil.copytree(ingested, box.out)
    return cli("train", box.job_path, "-o", box.out, "--scheduler", scheduler)


# -- every positive in one spatial fold --------------------------------------------------

@pytest.mark.parametrize("buffer", [0, "auto"], ids=["no-buffer", "auto-buffer"])
def test_every_positive_in_one_spatial_fold_is_refused_naming_the_block_size(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path, buffer: float | str,
) -> None:
    """Before: with ``cv.buffer: 0`` the fold holding every positive had no positive to
    train on; its fit was skipped without a word and train exited 0 with "n_positive = 0",
    an undefined pooled ROC AUC printed as "nan" and the baseline verdict on nan. With the
    automatic buffer the same folds were blamed on the buffer ("lower model.cv.buffer")."""
    corner = [f"{X0 + 315 + 12 * (i % 3)},{Y0 + 315 + 12 * (i // 3)}" for i in range(6)]
    _job(sandbox, "x,y\n" + "\n".join(corner) + "\n", {},
         cv={"block_size": 150, "buffer": buffer})
    result = _train(sandbox, cli, scheduler, ingested)
    line = assert_clean_error(result, 1, "spatial CV", "training rows hold no positive",
                              "all 6 positives lie in its test blocks",
                              "model.cv.block_size")
    assert "model.cv.buffer" not in line
    assert not (sandbox.out / "model").exists()
    assert sandbox.untouched()


def test_blocks_without_positives_are_dealt_so_that_every_fold_has_negatives() -> None:
    """Before: blocks without a positive went to the fold with the fewest positives, so the
    fold with most got none: with blocks of one cell (``cv.block_size`` under the cell
    size) a test fold held positives only, had no ROC AUC, and the others split every
    negative between them."""
    from prospect.models import SpatialBlockCV

    xs, ys = np.meshgrid(np.arange(12) * 40.0, np.arange(12) * 40.0)
    coords = np.column_stack([xs.ravel(), ys.ravel()])
    y = np.zeros(len(coords), int)
    y[np.random.default_rng(1).choice(len(y), 13, replace=False)] = 1
    for block_size in (1.0, 40.0, 80.0):
        folds = list(SpatialBlockCV(n_splits=4, block_size=block_size).split(coords, y))
        negatives = [int((y[test] == 0).sum()) for _, test in folds]
        positives = [int(y[test].sum()) for _, test in folds]
        assert min(negatives) > 0, (block_size, negatives)
        assert max(positives) - min(positives) <= 1, (block_size, positives)
        assert max(negatives) - min(negatives) <= 4 * (block_size // 40 + 1) ** 2, \
            (block_size, negatives)


# -- presence flags as the label column ----------------------------------------------------

def _flags(words: tuple[str, str]) -> str:
    rows = [f"{x},{y},{words[0] if i % 3 == 0 else words[1]}"
            for i, (x, y) in enumerate(PLACES)]
    return "x,y,hit\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("words", [("1", "0"), ("yes", "no"), ("True", "False")],
                         ids=["0-1", "yes-no", "true-false"])
def test_a_flag_column_without_a_threshold_is_refused_not_every_record_positive(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path, words: tuple[str, str],
) -> None:
    """Before: ``value_column`` without a threshold made every record a positive, the 0s
    (and nos, falses) too: 150 positives from 16 hits on the Meuse samples, exit 0."""
    _job(sandbox, _flags(words), {"value_column": "hit"})
    result = _train(sandbox, cli, scheduler, ingested)
    assert_clean_error(result, 1, "wells.csv", "'hit'", "20 record(s) of 0 or less",
                       "threshold: 1")
    assert not (sandbox.out / "model").exists()
    assert sandbox.untouched()


def test_a_yes_no_column_with_a_threshold_trains_on_its_yeses(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path,
) -> None:
    """Before: a yes/no column was "no numeric grade in any record; check ... the table's
    decimal separator" (exit 1), while the same flags written True/False trained."""
    _job(sandbox, _flags(("yes", "no")), {"value_column": "hit", "threshold": 1,
                                          "negatives": "both"})
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    facts = json.loads((sandbox.out / "model" / "metrics.json").read_text())
    seen = facts["labels"]
    assert seen["positive_cells"] == 10  # the yeses (a cell of a yes and a no is positive)
    assert seen["positive_cells"] + seen["negative_cells"] + \
        seen["merged_into_shared_cell"] == 30
    assert sandbox.untouched()


def test_line_occurrences_left_out_of_the_labels_are_a_warning_naming_them(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path,
) -> None:
    """Before: occurrences given as lines (fault traces, veins) beside points were dropped
    without a word: the train stage's note said "8 records" of a file of 16, and the
    skill figures were those of the points alone."""
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    geoms = [Point(x, y) for x, y in PLACES[:20]] + [
        LineString([(x, y), (x + 30, y + 10)]) for x, y in PLACES[20:25]]
    gpd.GeoDataFrame({"geometry": geoms}, crs="EPSG:32619").to_file(
        sandbox.root / "wells.geojson", driver="GeoJSON")
    _job(sandbox, "x,y\n", {})
    job = yaml.safe_load(sandbox.job_path.read_text())
    job["sources"][1] = {"kind": "points", "name": "wells", "path": "wells.geojson"}
    sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    squash = "".join((result.out + result.err).split())
    for needle in ("wells.geojson: 5 of 25 occurrence feature(s) are LineString",
                   "left out of the labels (features [21, 22, 23, 24, 25])",
                   "as points (e.g. each line's midpoint)"):
        assert "".join(needle.split()) in squash, needle
    assert sandbox.untouched()


# -- background draws and their exclusion zone -------------------------------------------

def test_a_background_exclusion_that_leaves_no_cell_is_named_not_blamed_on_the_data(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path,
) -> None:
    """Before: ``background_exclusion: 1e6`` said "13 positives and 0 negatives remain ...
    the occurrences may lie outside the evidence layers"."""
    _job(sandbox, "x,y\n" + "\n".join(f"{x},{y}" for x, y in PLACES) + "\n",
         {"background_exclusion": 1e6})
    result = _train(sandbox, cli, scheduler, ingested)
    assert_clean_error(result, 1, "background", "region 'tiny'",
                       "model.labels.background_exclusion = 1e+06",
                       "lower model.labels.background_exclusion")
    assert not (sandbox.out / "model").exists()
    assert sandbox.untouched()


def test_a_background_draw_is_not_short_while_the_region_holds_enough_cells() -> None:
    """Before: the draw took 2 n + 64 random cells and dropped those inside the exclusion
    zone; with a zone over most of the region it returned 7 of the 40 cells asked for (48
    were free), and train went on with a fifth of ``background_ratio`` without a word."""
    from prospect.grid import RegionGrid
    from prospect.models import sample_background

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0,
                      bounds=(500_000, 1_000_000, 500_400, 1_000_400), chunks=(20, 20))
    rows, cols = np.array([5, 6, 7, 5]), np.array([35, 35, 36, 37])  # the NE corner
    free, _ = sample_background(grid, None, exclude_rows=rows, exclude_cols=cols,
                                exclusion=420.0)
    assert free.size == 48
    for seed in range(3):
        r, c = sample_background(grid, 40, exclude_rows=rows, exclude_cols=cols,
                                 exclusion=420.0, seed=seed)
        assert r.size == 40
        assert np.unique(r * grid.width + c).size == 40
    r, _ = sample_background(grid, 100, exclude_rows=rows, exclude_cols=cols,
                             exclusion=420.0)
    assert r.size == 48  # every free cell, no more


# -- class weights ----------------------------------------------------------------------

@pytest.mark.parametrize(("weights", "needles"), [
    ({2: 5}, ["class 2 is not a class of the labels"]),
    ({1: 0}, ["weight of class 1 must be a positive number"]),
    ({0: 1, 1: -2}, ["weight of class 1 must be a positive number"]),
    ([1, 2], ["give a mapping of the classes 0"]),
], ids=["unknown-class", "zero-positives", "negative", "list"])
def test_class_weights_of_other_classes_or_not_positive_are_refused_at_load(
    sandbox: Sandbox, cli, weights: object, needles: list[str],
) -> None:
    """Before: ``class_weight: {2: 5}`` ended train in ``internal error: ValueError`` (exit
    70) after ingest; ``{1: 0}`` trained and saved a constant map (ROC AUC 0.500), exit 0."""
    _job(sandbox, "x,y\n" + "\n".join(f"{x},{y}" for x, y in PLACES) + "\n", {},
         params={**FAST, "class_weight": weights})
    result = cli("train", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", "model.params.class_weight", *needles)
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


# -- scoring with a model of another commodity -----------------------------------------------

def test_score_refuses_a_model_trained_for_another_mineral(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path,
) -> None:
    """Before: a lithium model left in ``model/`` (a config edited since training, or
    another job's output folder) was published as a tungsten map: COG tags, STAC items and
    the map's long name said tungsten, with only an "out of date" warning."""
    _job(sandbox, "x,y\n" + "\n".join(f"{x},{y}" for x, y in PLACES) + "\n", {})
    assert _train(sandbox, cli, scheduler, ingested).code == 0
    job = yaml.safe_load(sandbox.job_path.read_text())
    job["model"]["mineral"] = "tungsten"
    sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    result = cli("score", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, str(sandbox.out / "model"), "'lithium'", "'tungsten'",
                       "prospect train")
    assert not (sandbox.out / "score").exists()
    assert not (sandbox.out / "cube.zarr" / "probability").exists()
    assert sandbox.untouched()
