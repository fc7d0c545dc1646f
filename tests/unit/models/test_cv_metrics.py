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
    assert m["success_rate_auc"] == pytest.approx(0.5, abs=0.02)
