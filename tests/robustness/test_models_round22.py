"""Models, round 22: a map written outside its directory's lock, and the figures survey
scientists and researchers read off a trained model as the literature defines them.

Library cases on small in-memory estimators and round 10's 20 x 20 SYNTHETIC cube and
model (``test_registry_round10.world``); one CLI case scores it with ``prospect model
score`` in process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import assert_clean_error
from .test_registry_round10 import _files, _publish, world  # noqa: F401  (a module fixture)

# -- 1. model score's COG holds the lock of the job directory it is written into ----------


def test_model_score_cog_into_a_directory_another_job_holds_is_refused(
    cli, world: dict[str, Path], tmp_path: Path,  # noqa: F811
) -> None:
    """``prospect model score -o <new cube> --cog <job>/maps/li.tif``: the COG was
    written after the cube's lock was let go, and without the lock of the job directory
    it went into, so it was published into a directory another job held (over that
    job's own map, exit 0). Both locks are now taken before anything is written: the
    command is refused as the job's stages are (exit 75, the other job named), and
    neither the cube nor the COG is written."""
    from pipelines.lock import output_lock

    reg = tmp_path / "reg"
    _publish(world, reg)
    job = tmp_path / "job"
    job.mkdir()
    (job / "manifest.json").write_text("{}")
    cog = job / "maps" / "li.tif"
    out = tmp_path / "s.zarr"
    with output_lock(job):  # another job runs in the directory (its heartbeat beats)
        before = {k: v for k, v in _files(job).items() if k != ".prospect.lock"}
        result = cli("model", "score", "li", "-c", world["cube"], "-o", out, "--cog", cog,
                     "-r", reg)
        after = {k: v for k, v in _files(job).items() if k != ".prospect.lock"}
    assert_clean_error(result, 75, str(job), "in use by")
    assert not cog.exists() and not out.exists()
    assert after == before
    fine = cli("model", "score", "li", "-c", world["cube"], "-o", out, "--cog", cog,
               "-r", reg)  # the job over: written, and the lock let go
    assert fine.code == 0, fine.err[-2000:]
    assert cog.is_file() and out.is_dir()


# -- 2. the uncertainty map says what it is a spread of, over how many members ------------


def _estimator(kind: str, X: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.ensemble import BaggingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    from prospect.models.uncertainty import CalibratedModel
    from prospect.models.woe import WeightsOfEvidenceClassifier

    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0)
    if kind == "forest":
        return forest.fit(X, y)
    if kind == "bagged":
        return BaggingClassifier(LogisticRegression(), n_estimators=5, random_state=0).fit(X, y)
    if kind == "woe":
        return WeightsOfEvidenceClassifier(ci_draws=0, random_state=0).fit(X, y)
    if kind == "calibrated":
        return CalibratedModel(model=forest.fit(X, y)).fit(X, y)
    return LogisticRegression().fit(X, y)


@pytest.mark.parametrize(("kind", "needles", "members"), [
    ("forest", ("standard deviation of the 3 trees'", "units of the score"), 3),
    ("bagged", ("standard deviation of the 5 bootstrap members'",), 5),
    ("woe", ("posterior probability", "Bonham-Carter 1994", "no ensemble"), None),
    ("calibrated", ("3 trees'", "isotonic calibration curve", "probability units"), 3),
    ("plain", ("none: LogisticRegression has no members", "NaN"), None),
])
def test_the_uncertainty_map_says_what_it_is_a_spread_of_and_over_how_many_members(
    world: dict[str, Path], kind: str, needles: tuple[str, ...],  # noqa: F811
    members: int | None,
) -> None:
    """Every uncertainty map was named "standard deviation of the ensemble members'
    scores", whatever gave it: weights of evidence (no members: Bonham-Carter's s.d. of
    the posterior due to the weights' variances), a calibrated model (the members' spread
    mapped through the calibration curve), a plain classifier (NaN everywhere: no
    uncertainty at all), and it never said over how many members. The variable (and so
    the COG's description and the STAC item's title) now says which, the count
    (``prospect_uncertainty_members``) and the units."""
    from prospect.io.cube import open_cube
    from prospect.registry import load_model, score_model

    cube = open_cube(world["cube"])
    X = np.stack([cube[f].values.ravel() for f in ("a", "b", "unit")], axis=1)
    y = (X[:, 0] > 0.7).astype(int)
    schema = load_model(world["model"]).schema
    maps = score_model(_estimator(kind, X, y), schema, cube, mineral="lithium",
                       check_inputs=False)
    attrs = maps["uncertainty"].attrs
    for needle in needles:
        assert needle in attrs["long_name"], attrs["long_name"]
    assert attrs["long_name"].startswith("lithium uncertainty: ")
    assert attrs["prospect_uncertainty"] in attrs["long_name"]
    assert attrs.get("prospect_uncertainty_members") == members
    if kind in ("woe", "plain", "calibrated"):
        assert "ensemble members' scores" not in attrs["long_name"]


# -- 3. a fold-aware surface never gives a training row its own label ---------------------


def _clustered_sites(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SYNTHETIC: occurrences in 6 clusters on a 200 x 200 grid of 10 m cells, one per
    cell (at its centre), and background cells drawn over the grid: their coordinates,
    labels, and the occurrence points."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(200, 1800, (6, 2))
    occ = centres[rng.integers(0, 6, 80)] + rng.normal(0, 60, (80, 2))
    cells = np.unique(np.floor(np.clip(occ, 0, 1999) / 10), axis=0)
    occ = cells * 10 + 5.0
    bg = rng.integers(0, 200, (600, 2)) * 10 + 5.0
    bg = bg[~(bg[:, None, :] == occ[None, :, :]).all(axis=2).any(axis=1)]
    coords = np.vstack([occ, bg])
    y = np.r_[np.ones(len(occ)), np.zeros(len(bg))].astype(int)
    return coords, y, occ


@pytest.mark.parametrize("method", ["distance", "idw", "kriging"])
def test_training_rows_read_a_surface_of_the_labels_without_their_own_point(
    method: str,
) -> None:
    """``fold_aware_interpolation`` rebuilt a surface of the label points in each fold for
    the held-out rows only: every training row, in each fold and in the final model, read
    the value of the point that made its own label (the distance to the nearest
    occurrence was exactly 0 at each positive, never at a background cell; an IDW or
    kriged grade was the row's own grade). The model learnt "distance 0: an occurrence", a
    cut no unsampled cell meets: on clustered occurrences the final map ranked new
    occurrences of the same clusters at ROC AUC 0.53-0.60, nearly one value away from the
    known sites; 0.88-0.91 fitted without the own points (4 SYNTHETIC data sets, docs). A
    training row now reads the surface without the points of its own cell, in every fold
    (``fold_matrices``, the train stage's) and in the final model (``fit_matrix``); a
    held-out row reads it as before."""
    from prospect.models import training
    from prospect.models.cv import SpatialBlockCV
    from prospect.models.foldaware import PointSurface
    from prospect.models.training import TrainingSet, fold_matrices

    coords, y, occ = _clustered_sites()
    grade = np.random.default_rng(2).lognormal(3.0, 0.5, len(occ))
    surface = PointSurface(name="wells", method=method, xy=occ,  # type: ignore[arg-type]
                           z=None if method == "distance" else grade, neighbours=8)
    own = np.zeros(len(occ)) if method == "distance" else grade  # each positive's own value
    X = np.column_stack([np.random.default_rng(1).random(len(y)), surface.values(coords)])
    np.testing.assert_allclose(X[y == 1, 1], own, atol=1e-6)  # the cube's surface
    ts = TrainingSet(X=X, y=y, rows=np.zeros(len(y), int), cols=np.zeros(len(y), int),
                     coords=coords, weight=np.ones(len(y)), counts={})
    folds = list(SpatialBlockCV(n_splits=4, block_size=500.0).split(coords, y))
    fold_X = fold_matrices(ts, {"spatial_block": folds}, {1: surface},
                           cv={"block_size": 500.0, "buffer": 0.0}, resolution=10.0)
    assert fold_X is not None
    for (train, _test), Xf in zip(folds, fold_X["spatial_block"], strict=True):
        positives = train[y[train] == 1]
        read = Xf[positives, 1]
        assert not np.isclose(read, own[positives], atol=1e-6).any(), read[:5]
        if method == "distance":
            assert (read >= 10.0).all()  # the nearest *other* occurrence
        np.testing.assert_array_equal(Xf[:, 0], X[:, 0])
    final = training.fit_matrix(ts, {1: surface}, resolution=10.0)
    assert not np.isclose(final.X[y == 1, 1], own, atol=1e-6).any()
    np.testing.assert_array_equal(final.X[y == 0], X[y == 0])  # no point in their cells
    np.testing.assert_array_equal(ts.X, X)  # the cube's values are left as they were


# -- 4. area figures from a small area sample say how loosely they read -------------------


@pytest.mark.parametrize(("background", "loose"), [(30, ("5 ± 4", "10 ± 5.5")), (400, ())])
def test_area_figures_on_a_small_area_sample_say_their_standard_error(
    background: int, loose: tuple[str, ...],
) -> None:
    """Three positives and the default ``background_ratio`` of 10 give 30 background cells:
    "the top 5 % of the area" was the share above a cut-off among 30 cells (1.5 of them),
    printed beside the other figures as if the region had been ranked (Chung & Fabbri
    rank the whole map). The share of the region above that cut-off has a binomial
    standard error of sqrt(0.05 x 0.95 / 30) = 4 %: the headline now carries the area
    sample's size, and where that error is more than half the share, the shares with
    their errors and the fix (a warning and ``cv_area_figures_loose_because``)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from prospect.models.evaluate import fit_fold, pool_folds
    from prospect.models.summary import cv_warnings, headline

    rng = np.random.default_rng(0)
    y = np.r_[np.ones(12), np.zeros(background)].astype(int)
    X = rng.random((y.size, 2)) + y[:, None] * 0.5
    splits = [(np.setdiff1d(np.arange(y.size), t), t)
              for t in np.array_split(rng.permutation(y.size), 3)]
    est = Pipeline([("model", LogisticRegression())])
    folds = [fit_fold(est, X, y, tr, te, k) for k, (tr, te) in enumerate(splits)]
    pooled = pool_folds(folds, y, scheme="spatial_block", area_rows=y == 0)
    facts = headline({"spatial_block": pooled}, n_splits=3)
    assert facts["cv_area_rows"] == background
    said = [line for line in cv_warnings(facts) if "background cells, a sample" in line]
    if not loose:
        assert "cv_area_figures_loose_because" not in facts and not said
        return
    assert len(said) == 1, said
    for needle in (*loose, f"rank {background} background cells", "background_ratio"):
        assert needle in said[0], said[0]
    assert "top 20 %" not in said[0]  # 20 ± 7.3 %: within half of the share


# -- 5. model score names a calibrated probability's base rate, as the score stage does ----


def test_model_score_of_a_calibrated_model_names_the_base_rate_it_is_calibrated_to(
    cli: Any, world: dict[str, Path], tmp_path: Path,  # noqa: F811
) -> None:
    """The job's score stage names a calibrated map "probability calibrated (isotonic on
    spatial out-of-fold scores) to the training base rate 0.0909 (positives per training
    row)"; ``prospect model score`` of the same model named it "probability (calibrated,
    isotonic, on spatial out-of-fold scores)", a researcher's deposit probability, though
    the rate is set by the background drawn per positive. It now names the base rate,
    and that it is no chance of a deposit, here or in the training region."""
    from prospect.io.cube import open_cube
    from prospect.models.uncertainty import CalibratedModel
    from prospect.registry import ModelRegistry, load_model, save_model

    trained = load_model(world["model"])
    cube = open_cube(world["cube"])
    X = np.stack([cube[f].values.ravel() for f in ("a", "b", "unit")], axis=1)
    y = (X[:, 0] > 0.5).astype(int)
    card = {**trained.card, "calibration": {"method": "isotonic"},
            "labels": {"positives": 10, "samples": 110}}
    folder = save_model(CalibratedModel(model=trained.estimator).fit(X, y),
                        tmp_path / "calibrated", card=card, schema=trained.schema)
    reg = tmp_path / "reg"
    ModelRegistry(reg).publish(folder, "li", version="1")
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "li", "-c", world["cube"], "-o", out, "-r", reg)
    assert result.code == 0, result.err[-2000:]
    attrs = open_cube(out)["probability"].attrs
    assert attrs["prospect_scale"] == "calibrated probability"
    for needle in ("lithium probability calibrated (isotonic", "training base rate 0.0909",
                   "not the chance that a cell holds a deposit"):
        assert needle in attrs["long_name"], attrs["long_name"]
