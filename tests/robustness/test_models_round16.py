"""Round 16, models: counts and skill figures that did not follow the published procedure.

A tiny SYNTHETIC cube (40 x 40 cells of 10 m: a layer with a signal and a categorical map of
four stripes) is ingested once per module; each CLI case writes its own occurrence table
and trains on a copy. The label readers, the background draw, the feature screen, the
weights-of-evidence tables and the CV headline are also checked on the library functions.
"""

from __future__ import annotations

import json
import math
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from .conftest import Sandbox, assert_clean_error, run_in_process, write_tiny_raster

X0, Y0 = 500000.0, 1350000.0
_RNG = np.random.default_rng(3)
CELLS = sorted({(int(r), int(c)) for r, c in zip(_RNG.integers(0, 40, 25),
                                                  _RNG.integers(0, 40, 25), strict=True)})
PLACES = [(X0 + 5 + 10 * c, Y0 + 400 - 5 - 10 * r) for r, c in CELLS]
FAST_CV = {"kind": "spatial_block", "n_splits": 3, "seeds": 1, "bootstrap": 0,
           "compare_random": False}


def _layers() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    label = np.zeros((40, 40))
    for r, c in CELLS:
        label[r, c] = 1.0
    return {"signal": rng.random((40, 40)) + 0.5 * label,
            "geo": np.repeat(np.arange(1, 5), 400).reshape(40, 40).astype("float64")}


def _job(box: Sandbox, table: str, **model: Any) -> None:
    (box.root / "wells.csv").write_text(table)
    for name, values in _layers().items():
        write_tiny_raster(box.root / f"{name}.tif", values=values.astype("float32"),
                          nodata=-9999.0)
    sources: list[dict[str, Any]] = [
        {"kind": "raster", "name": "signal", "path": "signal.tif"},
        {"kind": "raster", "name": "geo", "path": "geo.tif", "values": "categorical"},
        {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
         "crs": "EPSG:32619"}]
    settings: dict[str, Any] = {
        "mineral": "lithium", "estimator": "random_forest", "params": {"n_estimators": 10},
        "permutation_repeats": 0, "partial_dependence": 0, "labels": {"source": "wells"},
        "cv": FAST_CV, "features": ["signal"]}
    settings.update(model)
    box.write_job(sources=sources, model=settings)


def _table(places: list[tuple[float, float]], extra: str = "") -> str:
    return "x,y,id\n" + "".join(f"{x},{y},w{k}\n" for k, (x, y) in enumerate(places)) + extra


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> Path:
    """The output folder of the tiny job ingested once (each case trains on a copy)."""
    box = Sandbox(tmp_path_factory.mktemp("models16") / "box")
    _job(box, _table(PLACES))
    result = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return box.out


def _train(box: Sandbox, cli: Any, scheduler: str, ingested: Path) -> Any:
    shutil.copytree(ingested, box.out)
    return cli("train", box.job_path, "-o", box.out, "--scheduler", scheduler)


def _said(result: Any, *needles: str) -> bool:
    squash = "".join((result.out + result.err).split())
    return all("".join(n.split()) in squash for n in needles)


def _metrics(box: Sandbox) -> dict[str, Any]:
    return json.loads((box.out / "model" / "metrics.json").read_text())


# -- 1. a row pasted twice is one occurrence ---------------------------------------------

WOE_POINTS = {"estimator": "weights_of_evidence",
              "params": {"count": "points", "unit_cell_area": 25.0, "ci_draws": 0}}


def test_a_row_pasted_twice_is_one_deposit_when_counting_points(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,
) -> None:
    """Before: weights of evidence with ``count: points`` counted an exact duplicate row
    (same place, same value in every column) as a second deposit in its cell: N(D) 27
    for 26 occurrences, and every weight with it, without a word. A second record at the
    same place that differs (another sample id) is a second occurrence and still counts."""
    (x1, y1), (x0, y0) = PLACES[1], PLACES[0]
    table = _table(PLACES, f"{x1},{y1},other\n{x0},{y0},w0\n")  # lines 27 and 28
    _job(sandbox, table, **WOE_POINTS)
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    facts = _metrics(sandbox)
    assert facts["weights_of_evidence"]["n_deposits"] == len(PLACES) + 1
    seen = facts["labels"]
    assert seen["duplicate_records"] == 1
    assert seen["duplicate_records_at"] == [{"record": 28, "same_as": 2, "x": x0, "y": y0}]
    assert _said(result, "1 record(s) repeat an earlier record exactly",
                 "record 28 repeats 2", "counted once")
    assert sandbox.untouched()


def test_duplicates_are_found_in_vector_files_and_named_by_feature(tmp_path: Path) -> None:
    """The same rule for a GeoJSON (feature numbers) and a CSV (line numbers); a record
    differing in one attribute only, or a second point at one place, is no duplicate."""
    import geopandas as gpd
    from shapely.geometry import Point

    from prospect.grid import RegionGrid
    from prospect.models.labels import read_occurrences

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0,
                      bounds=(X0, Y0, X0 + 400, Y0 + 400), chunks=(20, 20))
    frame = gpd.GeoDataFrame(
        {"grade": [5.0, 5.0, 6.0, 5.0]},
        geometry=[Point(X0 + 5, Y0 + 5), Point(X0 + 5, Y0 + 5), Point(X0 + 5, Y0 + 5),
                  Point(X0 + 105, Y0 + 5)], crs="EPSG:32619")
    frame.to_file(tmp_path / "occ.geojson")
    occ = read_occurrences(tmp_path / "occ.geojson", grid, value_column="grade")
    assert occ.duplicate is not None and occ.duplicate.tolist() == [False, True, False, False]
    assert [(d["record"], d["same_as"]) for d in occ.duplicates] == [(2, 1)]
    (tmp_path / "occ.csv").write_text(f"x,y,g\n{X0 + 5},{Y0 + 5},1\n{X0 + 15},{Y0 + 5},1\n")
    clean = read_occurrences(tmp_path / "occ.csv", grid, x="x", y="y", crs="EPSG:32619")
    assert clean.duplicate is None and clean.duplicates == []


def test_more_points_than_unit_cells_in_a_cell_is_refused(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,
) -> None:
    """Before: two distinct occurrences in one cell of one unit cell (the default unit
    cell is the grid cell) were two deposits in an area of one unit cell, so the cell held
    -1 unit cell without deposit, and the model trained, exit 0. The published procedure
    puts each deposit in its own unit cell (ArcSDM stops); now refused naming the cell and
    the unit cell that would hold them."""
    x1, y1 = PLACES[1]
    _job(sandbox, _table(PLACES, f"{x1},{y1},other\n"), estimator="weights_of_evidence",
         params={"count": "points", "ci_draws": 0})
    result = _train(sandbox, cli, scheduler, ingested)
    assert_clean_error(result, 1, "count: points", f"2 at ({x1:.6g}, {y1:.6g})",
                       "unit_cell_area to at most 50", "count: cells")
    assert not (sandbox.out / "model").exists()
    assert sandbox.untouched()


# -- 2. folds that did not run ------------------------------------------------------------

def test_fewer_random_folds_than_asked_are_said(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,
) -> None:
    """Before: with 3 positive cells and ``n_splits: 4`` the random folds were cut to 3
    (stratified folds need a positive each) without a word. Round 16 said so in a warning;
    since round 17 train refuses it as ingest and ``prospect plan`` do (one rule, each test
    fold needs a positive: ``prospect.models.cv.refuse_unfilled_folds``), before any fit.
    The warning of a scheme that ran fewer folds stays (``cv_warnings``, next case)."""
    _job(sandbox, _table([PLACES[0], PLACES[len(PLACES) // 2], PLACES[-1]]),
         cv={**FAST_CV, "n_splits": 4, "block_size": 100, "compare_random": True})
    result = _train(sandbox, cli, scheduler, ingested)
    assert_clean_error(result, 2, "'model.cv.n_splits' = 4", "3 positive cell(s)",
                       "set model.cv.n_splits to at most 3")
    assert not (sandbox.out / "model").exists()
    assert sandbox.untouched()


def test_headline_names_the_folds_asked_and_run() -> None:
    """Any scheme whose folds ran short of ``n_splits`` (a fold skipped, folds cut) is a
    warning; folds as asked are not (control)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from prospect.models.evaluate import fit_fold, pool_folds
    from prospect.models.summary import cv_warnings, headline

    rng = np.random.default_rng(0)
    X = rng.random((60, 2))
    y = (rng.random(60) < 0.3).astype(int)
    est = Pipeline([("model", LogisticRegression())])
    splits = [(np.setdiff1d(np.arange(60), t), t) for t in np.array_split(np.arange(60), 3)]
    folds = [fit_fold(est, X, y, tr, te, k) for k, (tr, te) in enumerate(splits)]
    full = pool_folds(folds, y, scheme="spatial_block")
    short = pool_folds(folds[:2], y, scheme="random")
    facts = headline({"spatial_block": full, "random": short}, n_splits=3)
    assert facts["cv_folds_asked"] == 3 and facts["cv_random_folds"] == 2
    # only the folds' warnings: round 23 added one for pooled and within-fold prediction
    # rates that differ, which these random rows also meet
    lines = [line for line in cv_warnings(facts) if "folds ran" in line]
    assert len(lines) == 1 and lines[0].startswith("random CV: 2 folds ran of the 3 asked")
    assert not [line for line in cv_warnings(headline({"spatial_block": full}, n_splits=3))
                if "folds ran" in line]


# -- 3. the background exclusion zone is drawn around positives ---------------------------

def test_background_is_drawn_beside_low_grade_sites_not_beside_positives(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,
) -> None:
    """Before: ``background_exclusion`` kept the background away from every labelled cell,
    low-grade samples too (docs/models.md says positives), so a surveyed area of barren
    samples was left out of the background, a sample of the whole area. Now the zone is
    around the positives; labelled cells themselves are still never drawn."""
    lows = [(X0 + 305 + 20 * i, Y0 + 105 + 20 * j) for i in range(4) for j in range(4)]
    highs = [p for p in PLACES if p[0] < X0 + 250 or p[1] > Y0 + 250][:12]
    table = "x,y,li\n" + "".join(f"{x},{y},5\n" for x, y in highs) + \
        "".join(f"{x},{y},0\n" for x, y in lows)
    _job(sandbox, table, labels={"source": "wells", "value_column": "li", "threshold": 1,
                                 "background": "all", "background_exclusion": 25})
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    oof = pd.read_csv(sandbox.out / "model" / "oof_predictions.csv")
    rows = oof[oof["scheme"] == "spatial_block"]
    background = rows[rows["label"] == 0][["x", "y"]].to_numpy()

    def nearest(sites: list[tuple[float, float]]) -> np.ndarray:
        d = np.hypot(background[:, None, 0] - np.array(sites)[None, :, 0],
                     background[:, None, 1] - np.array(sites)[None, :, 1])
        return d.min(axis=1)

    assert (nearest(highs) > 25).all()  # the zone around the positives holds
    assert (nearest(lows) > 0).all()  # a labelled cell is never background
    assert ((nearest(lows) <= 25) & (nearest(highs) > 25)).sum() >= 30
    assert sandbox.untouched()


def test_a_background_ratio_asking_for_no_cell_names_the_ratio(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,
) -> None:
    """Before: ``background_ratio: 0.01`` (0.25 of a cell for 25 positives: 0) was "no cell
    of region 'tiny' can be drawn: the region holds no unlabelled cells with data; use
    negatives: below_threshold, or a larger region", on a region of 1575 free cells. Now
    the ratio is named with the least that gives two cells."""
    _job(sandbox, _table(PLACES), labels={"source": "wells", "background_ratio": 0.01})
    result = _train(sandbox, cli, scheduler, ingested)
    assert_clean_error(result, 1, "background_ratio 0.01", f"{len(PLACES)} positive cells",
                       f"at least {2 / len(PLACES):.2g}")
    assert not (sandbox.out / "model").exists()
    assert sandbox.untouched()


def test_the_draw_excludes_around_positives_only() -> None:
    """The library's rule, and its old rule when no labels are given (control)."""
    from prospect.grid import RegionGrid
    from prospect.models.labels import sample_background

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0,
                      bounds=(X0, Y0, X0 + 200, Y0 + 200), chunks=(20, 20))
    rows, cols = np.array([5, 15]), np.array([5, 15])
    r, c = sample_background(grid, None, exclude_rows=rows, exclude_cols=cols,
                             exclusion=30.0, labels=np.array([1, 0]))
    d_pos = np.hypot(r - 5, c - 5) * 10
    d_neg = np.hypot(r - 15, c - 15) * 10
    assert (d_pos > 30).all() and (d_neg > 0).all() and (d_neg <= 30).sum() == 28
    r, c = sample_background(grid, None, exclude_rows=rows, exclude_cols=cols, exclusion=30.0)
    assert (np.hypot(r - 15, c - 15) * 10 > 30).all()


# -- 4. a layer that is the label in disguise ---------------------------------------------

def _screen(column: np.ndarray, y: np.ndarray, *, categorical: bool) -> dict[str, Any]:
    from prospect.features import FeatureSpec
    from prospect.models.training import _screen_features

    spec = FeatureSpec(variables=("noise", "copy"), categorical=("copy",) if categorical else ())
    X = np.column_stack([np.random.default_rng(1).random(y.size), column])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _screen_features(X, y, spec)


def test_a_categorical_copy_of_the_labels_with_a_stray_cell_is_named() -> None:
    """Before: a categorical layer was named as separating the labels only when its
    classes holding positives held no negative at all: deposit numbers rasterised as
    codes (one class per deposit) with a single background cell inside one deposit's
    class passed unnamed, though it ranks the labels to a ROC AUC of 0.998 on its own."""
    y = np.r_[np.ones(30), np.zeros(300)].astype(int)
    codes = np.r_[np.arange(1, 31), np.zeros(300)].astype(float)
    codes[30] = 7.0  # one background cell in deposit 7's footprint
    facts = _screen(codes, y, categorical=True)
    assert list(facts["features_separating_alone"]) == ["copy"]
    assert facts["features_separating_alone"]["copy"] >= 0.99


def test_a_monotone_transform_of_a_copy_is_named_and_a_real_layer_is_not() -> None:
    """Controls: the screen ranks, so ``exp``/``-log`` of a near copy of the labels is
    named like the copy; a categorical map with a real but partial signal is not."""
    rng = np.random.default_rng(2)
    y = np.r_[np.ones(30), np.zeros(300)].astype(int)
    near = y + rng.normal(0.0, 0.01, y.size)
    for column in (np.exp(20 * near), -np.log(near + 1.0)):
        assert "copy" in _screen(column, y, categorical=False)["features_separating_alone"]
    geology = np.where(y == 1, rng.integers(1, 3, y.size), rng.integers(1, 6, y.size))
    facts = _screen(geology.astype(float), y, categorical=True)
    assert facts["features_separating_alone"] == {}


# -- 5. weights of evidence: a class without a deposit ------------------------------------

def test_a_barren_class_outranking_classes_with_deposits_is_said() -> None:
    """Before: a geology class holding no deposit has an undefined W+ and weighs 0 (the
    prior, the convention of Bonham-Carter 1994 and ArcSDM's weights tables), so its cells
    scored above those of a class holding deposits whose W+ is negative, without a word.
    Now a warning names both classes and the fix (group the barren class), and
    ``metrics.json`` lists them; a layer where no defined class weighs below 0 is not
    named (control)."""
    from sklearn.pipeline import Pipeline

    from prospect.models.summary import model_warnings
    from prospect.models.woe import WeightsOfEvidenceClassifier

    codes = np.r_[np.full(100, 1.0), np.full(800, 2.0), np.full(100, 3.0)]
    y = np.zeros(1000, int)
    y[:8] = 1  # class 1: 8 deposits in 100 cells
    y[100:102] = 1  # class 2: 2 deposits in 800 cells, W+ < 0
    model = Pipeline([("model", WeightsOfEvidenceClassifier(categorical_features=[0],
                                                            ci_draws=0))]).fit(codes[:, None], y)
    p = model.predict_proba(np.array([[2.0], [3.0]]))[:, 1]
    assert p[1] > p[0]  # the convention: the barren class scores above class 2
    lines = model_warnings(model, ["geo"])
    assert len(lines) == 1, lines
    assert "layer 'geo': class(es) 3 hold no deposit (100 unit cells)" in lines[0]
    w_plus = math.log((2 / 10) / (798 / 990))  # Bonham-Carter: ln[P(B|D) / P(B|~D)]
    assert f"class(es) 2 (W+ {w_plus:.3f}, 2 deposits)" in lines[0]
    assert "model.params.evidence.geo.groups" in lines[0]
    barren = model.named_steps["model"].barren_classes(["geo"])
    assert barren[0]["classes"] == [3.0] and math.isclose(barren[0]["area"], 100.0)
    y2 = np.zeros(1000, int)
    y2[:2] = 1  # class 1: 2 deposits in 100 cells
    y2[100:900:50] = 1  # class 2: 16 in 800 cells; both W+ > 0
    plain = Pipeline([("model", WeightsOfEvidenceClassifier(categorical_features=[0],
                                                            ci_draws=0))]).fit(codes[:, None], y2)
    assert model_warnings(plain, ["geo"]) == []


# -- 6. a copy of the label table padded with other points --------------------------------

def _survey_job(box: Sandbox, survey: list[tuple[float, float]]) -> None:
    rng = np.random.default_rng(4)
    (box.root / "survey.csv").write_text("x,y,li\n" + "".join(
        f"{x},{y},{v:.1f}\n" for (x, y), v in zip(survey, rng.random(len(survey)) * 100,
                                                   strict=True)))
    _job(box, _table(PLACES), features=None)
    config = yaml.safe_load(box.job_path.read_text())
    config["sources"].append({"kind": "points", "name": "survey", "path": "survey.csv",
                              "x": "x", "y": "y", "crs": "EPSG:32619", "columns": ["li"],
                              "interpolate": ["idw"]})
    box.write_job(text=yaml.safe_dump(config, sort_keys=False))


@pytest.mark.parametrize("at_labels", [True, False])
def test_a_padded_copy_of_the_label_sites_is_a_label_surface(
    sandbox: Sandbox, cli: Any, scheduler: str, at_labels: bool,
) -> None:
    """Before: a table holding every label site plus twice as many other points (29 % of
    its points in label cells, under the 50 % share) was no label surface, so its IDW
    surface, which passes through every label site, was a default feature. Now a table
    holding at least half the label records at their coordinates is one (left out by
    default, named in ``label_surfaces``); a survey of other sites is not (control)."""
    rng = np.random.default_rng(5)
    others = [(X0 + 2.5 + 395 * a, Y0 + 2.5 + 395 * b) for a, b in rng.random((60, 2))]
    _survey_job(sandbox, [*PLACES, *others] if at_labels else others)
    for stage in ("ingest", "train"):
        result = cli(stage, sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
        assert result.code == 0, (result.out + result.err)[-3000:]
    facts = _metrics(sandbox)
    surfaces = {s["variable"]: s for s in facts["label_surfaces"]}
    surveyed = [f for f in facts["features"] if "li" in f]
    if at_labels:
        assert len(surfaces) == 1, facts["label_surfaces"]
        (leak,) = surfaces.values()
        assert leak["source"] == "survey" and "100% of the label records" in leak["reason"]
        assert surveyed == []
    else:
        assert surfaces == {} and len(surveyed) == 1
    assert sandbox.untouched()


def test_cv_kind_random_keeps_the_spatial_headline_and_the_card_says_so(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,
) -> None:
    """Before: with ``cv.kind: random`` the card said scheme "random" above the spatial-block
    figures it headlines (random folds run beside them, as ``compare_random`` does)."""
    _job(sandbox, _table(PLACES), cv={**FAST_CV, "kind": "random", "compare_random": False})
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    card = json.loads((sandbox.out / "model" / "card.json").read_text())
    assert card["cv"]["scheme"] == "spatial_block" and card["cv"]["kind_asked"] == "random"
    assert card["cv"]["random_folds_beside"] is True
    assert card["cv"]["metrics"]["random"] is not None

