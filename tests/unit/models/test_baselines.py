"""The distance-to-nearest-occurrence baseline, on the model's own folds."""

from __future__ import annotations

import numpy as np
import pytest

from prospect.models.baselines import compare_to_baseline, nearest_positive_oof


def test_scores_are_minus_the_distance_to_a_training_positive() -> None:
    coords = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 3.0], [50.0, 0.0], [11.0, 0.0]])
    y = np.array([1, 1, 0, 0, 1])
    splits = [(np.array([0, 1, 3]), np.array([2, 4])), (np.array([2, 4]), np.array([0, 1, 3]))]
    oof = nearest_positive_oof(coords, y, splits)
    # fold 0: positives 0 and 1 -> row 2 at 3 from row 0; row 4 at 1 from row 1
    # fold 1: the only positive is row 4 (the test rows' own labels are never used)
    assert oof.tolist() == pytest.approx([-11.0, -1.0, -3.0, -39.0, -1.0])


def test_rows_without_a_training_positive_get_no_score() -> None:
    coords = np.array([[0.0, 0.0], [1.0, 0.0]])
    oof = nearest_positive_oof(coords, np.array([1, 0]), [(np.array([1]), np.array([0]))])
    assert np.isnan(oof).all()


def test_verdict_says_when_the_model_does_not_beat_it() -> None:
    rng = np.random.default_rng(0)  # SYNTHETIC: positives cluster, a model of pure noise
    centres = rng.uniform(0, 100, size=(4, 2))
    pos = np.concatenate([c + rng.normal(0, 2, size=(10, 2)) for c in centres])
    neg = rng.uniform(0, 100, size=(200, 2))
    coords = np.vstack([pos, neg])
    y = np.r_[np.ones(40), np.zeros(200)].astype(int)
    idx = np.arange(len(y))
    splits = [(idx[idx % 4 != k], idx[idx % 4 == k]) for k in range(4)]
    noise = compare_to_baseline(coords, y, splits, rng.uniform(size=len(y)))
    assert not noise["beats"] and "does NOT beat" in noise["verdict"]
    assert noise["baseline"]["roc_auc"] > 0.8
    perfect = compare_to_baseline(coords, y, splits, y + rng.uniform(0, 0.1, len(y)))
    assert perfect["beats"] and perfect["model"]["roc_auc"] == 1.0


def test_a_model_below_chance_beats_no_baseline() -> None:
    """Before: an out-of-fold ROC AUC of 0.094 "beat" a baseline of 0.078, in words and in
    ``cv_spatial_beats_baseline``, though both rank worse than chance."""
    coords = np.array([[0.0, 0.0], [1.0, 0.0], [90.0, 0.0], [91.0, 0.0], [50.0, 0.0],
                       [0.5, 0.0], [90.5, 0.0], [51.0, 0.0]])
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    idx = np.arange(len(y))
    splits = [(idx[idx % 2 != k], idx[idx % 2 == k]) for k in range(2)]
    inverted = np.where(y == 1, 0.1, 0.9) + np.linspace(0, 0.01, len(y))  # SYNTHETIC
    result = compare_to_baseline(coords, y, splits, inverted)
    assert result["model"]["roc_auc"] < 0.5
    assert not result["beats"]
    assert "no skill" in result["verdict"] and "beats" not in result["verdict"]
