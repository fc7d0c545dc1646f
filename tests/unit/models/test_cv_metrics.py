"""Spatial block CV and the prospectivity metrics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from prospect.errors import ModelError
from prospect.models import (
    SpatialBlockCV,
    assign_blocks,
    capture_curve,
    classification_metrics,
    prediction_area,
    random_folds,
    success_rate_area,
    top_area_capture,
)


def _points(n: int = 800, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    coords = rng.uniform(0, 10_000, size=(n, 2))
    y = (rng.random(n) < 0.1).astype(int)
    return coords, y


def test_blocks_never_straddle_a_split_and_folds_cover_everything() -> None:
    coords, y = _points()
    cv = SpatialBlockCV(n_splits=5, block_size=1000.0, random_state=0)
    blocks = assign_blocks(coords, 1000.0)
    seen = np.zeros(len(y), int)
    for train, test in cv.split(coords, y):
        assert not set(blocks[train]) & set(blocks[test])
        seen[test] += 1
    assert (seen == 1).all()


def test_folds_are_balanced_by_positives() -> None:
    coords, y = _points(2000, 1)
    cv = SpatialBlockCV(n_splits=5, block_size=1000.0)
    per_fold = [int(y[test].sum()) for _, test in cv.split(coords, y)]
    blocks = assign_blocks(coords, 1000.0)
    biggest = np.bincount(blocks, weights=y).max()
    assert max(per_fold) - min(per_fold) <= biggest


def test_buffer_removes_training_rows_near_the_test_rows() -> None:
    coords, y = _points()
    cv = SpatialBlockCV(n_splits=4, block_size=2500.0, buffer=400.0)
    for train, test in cv.split(coords, y):
        dist, _ = cKDTree(coords[test]).query(coords[train])
        assert dist.min() > 400.0
    plain = SpatialBlockCV(n_splits=4, block_size=2500.0)
    n_buf = sum(len(t) for t, _ in cv.split(coords, y))
    n_plain = sum(len(t) for t, _ in plain.split(coords, y))
    assert n_buf < n_plain


def test_same_seed_same_folds_and_too_few_blocks_is_an_error() -> None:
    coords, y = _points()
    a = SpatialBlockCV(n_splits=5, block_size=1000.0, random_state=3).fold_of(coords, y)
    b = SpatialBlockCV(n_splits=5, block_size=1000.0, random_state=3).fold_of(coords, y)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ModelError, match="block_size"):
        list(SpatialBlockCV(n_splits=5, block_size=20_000.0).split(coords, y))


def test_random_folds_are_stratified() -> None:
    _, y = _points()
    for _, test in random_folds(y, n_splits=5, seed=0):
        assert abs(y[test].mean() - y.mean()) < 0.03


def test_perfect_ranking_captures_everything_in_the_top_area() -> None:
    area = np.linspace(0, 1, 10_001)
    pos = np.full(50, 0.999)  # all occurrences in the top 0.1 % of the area
    cap = top_area_capture(pos, area)
    assert cap == {"top5_capture": 1.0, "top10_capture": 1.0, "top20_capture": 1.0}
    assert success_rate_area(pos, area) > 0.99


def test_success_curve_of_a_known_distribution() -> None:
    # area scores uniform on [0, 1]; positives uniform on [0.5, 1]: every positive lies in
    # the top half of the area, so capture(f) = 2 f for f <= 0.5; the area is 0.75
    area = np.linspace(0, 1, 20_001)
    pos = np.linspace(0.5, 1, 5_001)
    x, y = capture_curve(pos, area)
    half = np.searchsorted(x, 0.25)
    assert y[half] == pytest.approx(2 * x[half], abs=0.01)
    assert success_rate_area(pos, area) == pytest.approx(0.75, abs=0.005)
    assert top_area_capture(pos, area)["top10_capture"] == pytest.approx(0.2, abs=0.005)
    # P-A: occurrence % = 100 - area %  where 2 (1 - t) = t  ->  t = 2/3, 66.7 %
    pa = prediction_area(pos, area, n_points=601)
    assert pa["intersection_occurrence_pct"] == pytest.approx(66.7, abs=0.5)
    assert pa["intersection_threshold"] == pytest.approx(2 / 3, abs=0.01)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=50),
       st.lists(st.floats(0, 1), min_size=2, max_size=200))
def test_capture_curve_is_monotone_and_bounded(pos: list[float], area: list[float]) -> None:
    x, y = capture_curve(np.array(pos), np.array(area))
    assert x[0] == 0 and y[0] == 0 and x[-1] == 1 and y[-1] == 1
    assert np.all(np.diff(y) >= -1e-12) and np.all(np.diff(x) >= -1e-12)
    assert 0.0 <= success_rate_area(np.array(pos), np.array(area)) <= 1.0


def test_classification_metrics_for_a_random_score_are_near_chance() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(20_000) < 0.1).astype(int)
    m = classification_metrics(y, rng.random(y.size))
    assert m["roc_auc"] == pytest.approx(0.5, abs=0.02)
    assert m["pr_auc"] == pytest.approx(0.1, abs=0.02)
    assert m["top10_capture"] == pytest.approx(0.1, abs=0.03)
    assert m["prediction_rate_auc"] == pytest.approx(0.5, abs=0.02)


def test_top_capture_shares_tied_cells_in_proportion_the_same_in_train_and_score() -> None:
    from prospect.models.metrics import top_capture_binned

    # 20 area cells: one at 0.9, eight tied at 0.5, eleven at 0.1; four positives
    area = np.array([0.9] + [0.5] * 8 + [0.1] * 11)
    pos = np.array([0.9, 0.5, 0.5, 0.1])
    # top 10 % = 2 cells: the 0.9 cell and 1/8 of the tied 0.5 cells, so the two tied
    # positives count 1/8 each: (1 + 2/8) / 4 = 0.3125 (">= cut-off" said 0.75, "> cut-off"
    # 0.25)
    assert top_area_capture(pos, area)["top10_capture"] == pytest.approx(0.3125)
    edges = np.linspace(0.0, 1.0, 2001)
    hist = np.histogram(area, bins=edges)[0]
    assert top_capture_binned(pos, hist, edges)["top10_capture"] == pytest.approx(0.3125)
    # without ties the share is the plain one: top 5 % = the 0.9 cell, one positive of four
    assert top_area_capture(pos, area)["top5_capture"] == pytest.approx(0.25)
    assert top_capture_binned(pos, hist, edges)["top5_capture"] == pytest.approx(0.25)
    assert top_area_capture(pos, area)["top20_capture"] == pytest.approx((1 + 2 * 3 / 8) / 4)


def _clustered(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC: 1500 rows on 20 km; positives within 1.5 km of 12 centres."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20_000, (1500, 2))
    centres = rng.uniform(0, 20_000, (12, 2))
    d = np.min(np.linalg.norm(xy[:, None] - centres[None], axis=2), axis=1)
    return xy, (d < 1500).astype(int)


def test_label_variogram_range_follows_the_cluster_size() -> None:
    from prospect.models.cv import auto_block_size, label_variogram

    xy, y = _clustered()
    vg = label_variogram(xy, y)
    # indicator of discs of radius 1.5 km: correlated up to about their diameter
    assert vg["fitted"] and vg["structured"] and 2000 < vg["range"] < 5000
    rng = np.random.default_rng(1)
    noise = label_variogram(xy, (rng.random(len(y)) < y.mean()).astype(int))
    assert not noise["structured"] and noise["range"] < 1000
    edge, facts = auto_block_size(xy, y, n_splits=5, resolution=100.0)
    assert edge >= vg["range"] and edge % 100 == 0 and not facts["capped"]
    # too few blocks at that edge: capped, and said so
    small, facts = auto_block_size(xy, y, n_splits=30, resolution=100.0)
    assert facts["capped"] and small < facts["range"]


def test_bootstrap_interval_brackets_the_pooled_auc_and_narrows_with_more_rows() -> None:
    from sklearn.metrics import roc_auc_score

    from prospect.models.metrics import bootstrap_auc_ci

    rng = np.random.default_rng(3)

    def case(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = (rng.random(n) < 0.2).astype(int)
        return y, y * 1.0 + rng.normal(0, 1.0, n)

    y, s = case(300)
    ci = bootstrap_auc_ci(y, s, n_boot=400)
    assert ci["low"] < roc_auc_score(y, s) < ci["high"] and ci["level"] == 0.95
    y2, s2 = case(3000)
    ci2 = bootstrap_auc_ci(y2, s2, n_boot=400)
    assert ci2["high"] - ci2["low"] < ci["high"] - ci["low"]


def test_bootstrap_replicates_take_roc_auc_scores_value_ties_and_all() -> None:
    """The bootstrap's pairwise AUC (Mann-Whitney, ties counting half) is scikit-learn's
    ``roc_auc_score`` on the same replicate, on continuous and heavily tied scores."""
    from sklearn.metrics import roc_auc_score

    from prospect.models.metrics import _pair_auc

    rng = np.random.default_rng(7)
    for k in range(200):
        pos, neg = rng.random(rng.integers(2, 80)), rng.random(rng.integers(2, 900)) * 0.9
        if k % 2:  # a few distinct values: most pairs tie
            pos, neg = np.round(pos * 4) / 4, np.round(neg * 4) / 4
        y = np.r_[np.ones(pos.size), np.zeros(neg.size)]
        assert _pair_auc(pos, neg) == pytest.approx(roc_auc_score(y, np.r_[pos, neg]),
                                                    abs=1e-12)


def test_oof_table_has_one_record_per_row_and_scheme() -> None:
    from prospect.models import CVResult
    from prospect.models.evaluate import oof_table

    y = np.array([1, 0, 0, 1])
    res = {"spatial_block": CVResult(scheme="spatial_block", oof=np.array([.9, .1, np.nan, .4]),
                                     fold=np.array([0, 1, -1, 1])),
           "random": CVResult(scheme="random", oof=np.array([.8, .2, .3, .6]),
                              fold=np.array([1, 0, 1, 0]))}
    t = oof_table(res, y, x=np.arange(4.0), y_coord=np.arange(4.0) * 2, rows=np.arange(4),
                  cols=np.arange(4) + 10)
    assert len(t["score"]) == 8 and list(t["scheme"][:4]) == ["spatial_block"] * 4
    assert t["fold"][2] == -1 and np.isnan(t["score"][2]) and t["col"][5] == 11
    assert list(t["label"][4:]) == [1, 0, 0, 1]


def test_a_fold_mean_over_some_folds_says_so_and_one_outside_its_interval_is_doubted() -> None:
    """Before: three positives in three spatial folds gave folds of AUC 0.75, 1.0 (two rows)
    and none (no positive); the headline "fold-mean ROC AUC 0.875" (of two folds) lay far
    outside the pooled ROC AUC's interval (0.094, 0.014-0.217), without a word."""
    from prospect.models.evaluate import FoldResult, pool_folds
    from prospect.models.summary import cv_warnings, headline

    y = np.array([1, 1, 0, 0, 0, 1, 0] + [0] * 26)  # SYNTHETIC: the fuzzing case's shape
    score = np.linspace(0, 1, y.size)
    score[[0, 1, 5]] = [0.05, 0.5, 0.95]
    folds = [np.arange(0, 5), np.arange(5, 7), np.arange(7, y.size)]
    results = [FoldResult(k=k, test=t, oof=score[t],
                          metrics={**classification_metrics(y[t], score[t]), "fold": k})
               for k, t in enumerate(folds)]
    pooled = pool_folds(results, y, scheme="spatial_block")
    assert pooled.metrics["n_folds"] == 3 and pooled.metrics["n_folds_scored"] == 2
    facts = headline({"spatial_block": pooled}, ci={"low": 0.0, "high": 0.3})
    assert facts["cv_spatial_folds"] == 3 and facts["cv_spatial_folds_scored"] == 2
    lines = cv_warnings(facts)
    assert any("1 of 3 test folds hold no positive" in line and "mean of the other 2" in line
               for line in lines)
    assert any("lies outside the pooled out-of-fold ROC AUC's bootstrap 95 % interval"
               in line for line in lines)
    # every fold scored, and the mean inside the interval: nothing to doubt
    steady = headline({"spatial_block": pool_folds(results[:2], y, scheme="spatial_block")},
                      ci={"low": 0.5, "high": 1.0})
    assert cv_warnings(steady) == []


def test_a_buffer_that_leaves_a_fold_nothing_to_fit_is_refused() -> None:
    """Before: ``cv.buffer: 3000`` on a 2 km scene removed every training row; the folds'
    fits were skipped and the run ended in ``internal error: ValueError`` (a ROC curve of
    no rows)."""
    coords, y = _points(200)
    cv = SpatialBlockCV(n_splits=3, block_size=2000.0, buffer=50_000.0)
    with pytest.raises(ModelError, match=r"buffer of 50000 CRS units .* leaves 0 training "
                                         r"rows \(0 positive\).*model\.cv\.buffer"):
        list(cv.split(coords, y))
    # a buffer the folds can afford still splits
    assert all(tr.size for tr, _ in SpatialBlockCV(n_splits=3, block_size=2000.0,
                                                   buffer=100.0).split(coords, y))
