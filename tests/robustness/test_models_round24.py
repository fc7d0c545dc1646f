"""Models, round 24: the Agterberg-Cheng test where evidence is missing, logistic
regression on separated classes, and the within-fold PR AUC beside the pooled one.

Library cases on small in-memory SYNTHETIC estimators and folds; no subprocess.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

# -- 1. the Agterberg-Cheng s(T) with missing evidence ------------------------------------


def _woe_half_missing(missing: float) -> tuple[object, np.ndarray, np.ndarray]:
    """SYNTHETIC: 20 000 cells, two binary layers conditionally independent given the
    deposits, the first missing over a share ``missing`` of the cells."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(1)
    n = 20_000
    a, b = rng.random(n) < 0.3, rng.random(n) < 0.4
    y = (rng.random(n) < 1 / (1 + np.exp(5 - 1.2 * a - 0.8 * b))).astype(int)
    X = np.column_stack([a, b]).astype(float)
    X[rng.random(n) < missing, 0] = np.nan
    model = WeightsOfEvidenceClassifier(feature_names=["a", "b"], continuous="descending",
                                        ci_draws=99, random_state=0).fit(X, y)
    return model, X, y


def _s_t_by_hand(model: object, X: np.ndarray, sd: np.ndarray) -> float:
    """``s(T) = sqrt(sum_k A_k^2 s2(P_k))`` over the unique combinations of states."""
    states = model._states(X)  # type: ignore[attr-defined]
    _, first, inverse = np.unique(states, axis=0, return_index=True, return_inverse=True)
    area = np.bincount(inverse.ravel())
    return math.sqrt(float(((area**2) * sd[first] ** 2).sum()))


def test_agterberg_cheng_sd_of_t_takes_the_missing_data_variance_where_evidence_lacks(
) -> None:
    """SYNTHETIC. Agterberg & Cheng's (2002) ``s2(T) = sum A_k^2 s2(P_k)`` takes the
    posterior's variance, which where a layer has no evidence is the weights' plus the
    missing-data variance (Agterberg, Bonham-Carter & Wright 1990; ArcSDM's test reads
    Calculate Response's total s.d.), as the uncertainty map's since round 23. Before,
    s(T) kept the weights' variance only: 17.3 where the map's own s.d. gives 45.9 with
    40 % of a layer missing, so z read 2.7 times too large."""
    model, X, y = _woe_half_missing(0.4)
    ci = model.conditional_independence(X, y)  # type: ignore[attr-defined]
    sd = model.predict_proba_std(X)  # type: ignore[attr-defined]
    assert ci["agterberg_cheng_sd"] == pytest.approx(_s_t_by_hand(model, X, sd), rel=1e-9)
    p = model.predict_proba(X)[:, 1]  # type: ignore[attr-defined]
    _, var = model._weights(X)  # type: ignore[attr-defined]
    weights_only = np.sqrt((1.0 / model.n_deposits_ + var) * p**2)  # type: ignore
    assert ci["agterberg_cheng_sd"] > 2 * _s_t_by_hand(model, X, weights_only)
    # the calibrated test refits with the same variance: CI holds and is not rejected
    assert ci["ci_rejected_at_5pct"] is False


def test_agterberg_cheng_sd_of_t_without_missing_evidence_is_unchanged() -> None:
    """SYNTHETIC control: with every layer known the missing-data variance is 0 and
    ``s(T)`` is the weights' as published (bit for bit the figure before)."""
    model, X, y = _woe_half_missing(0.0)
    ci = model.conditional_independence(X, y)  # type: ignore[attr-defined]
    p = model.predict_proba(X)[:, 1]  # type: ignore[attr-defined]
    _, var = model._weights(X)  # type: ignore[attr-defined]
    weights_only = np.sqrt((1.0 / model.n_deposits_ + var) * p**2)  # type: ignore
    assert ci["agterberg_cheng_sd"] == pytest.approx(_s_t_by_hand(model, X, weights_only),
                                                     rel=1e-12)


def test_the_monte_carlo_refit_of_the_observed_counts_gives_the_observed_sd_of_t() -> None:
    """SYNTHETIC. The calibrated test's refit, given the observed counts per combination
    of states (missing evidence one state), returns the model's own ``T``, ``n`` and
    ``s(T)``: ``z`` and its simulated ``z_r`` are one statistic. Before, the observed
    s(T) and the refit's both lacked the missing-data variance; with only one of them
    given it, the p-value would compare two statistics."""
    model, X, y = _woe_half_missing(0.4)
    states = model._states(X)  # type: ignore[attr-defined]
    combos, inverse = np.unique(states, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    area = np.bincount(inverse, minlength=combos.shape[0]).astype("f8")
    d = np.bincount(inverse, weights=y.astype("f8"), minlength=combos.shape[0])
    t, n, sd = model._refit_predicted(combos, area[None, :], d[None, :])  # type: ignore
    ci = model.conditional_independence(X, y)  # type: ignore[attr-defined]
    assert n[0] == pytest.approx(ci["observed_deposits"])
    assert t[0] == pytest.approx(ci["predicted_deposits"], rel=1e-9)
    assert sd[0] == pytest.approx(ci["agterberg_cheng_sd"], rel=1e-9)


# -- 2. logistic regression on separated classes ------------------------------------------


def _separable() -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC: 400 cells, the label a step of the first feature (complete separation)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    return X, (X[:, 0] > 0.5).astype(int)


def _logistic(C: float, X: np.ndarray, y: np.ndarray) -> object:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=C)).fit(X, y)


def test_logistic_regression_on_separated_classes_is_warned_of_as_r_does() -> None:
    """SYNTHETIC. With a weak penalty (``model.params.C: 1e6``) separated classes drive
    a coefficient to 197 per s.d. and 353 of 400 fitted probabilities to exactly 0 or 1;
    scikit-learn says nothing, and the map was a step of 0s and 1s read as certainties.
    R's glm.fit warns ("fitted probabilities numerically 0 or 1 occurred"); the train
    stage's warnings (and the card's limitations) now say it, with the count, the
    separation, the penalty and the fix."""
    from prospect.models.summary import separation_warnings

    X, y = _separable()
    said = separation_warnings(_logistic(1e6, X, y), X, y)  # type: ignore[arg-type]
    assert len(said) == 1
    line = said[0]
    assert "numerically 0 or 1" in line and "of 400 training cells" in line
    assert "separates the training classes completely" in line
    assert "model.params.C = 1e+06" in line and "C: 1.0" in line


def test_logistic_regression_with_the_default_penalty_says_nothing() -> None:
    """SYNTHETIC control: the default penalty (C = 1) keeps every fitted probability off
    0 and 1 (the smallest 7e-12) on the same separated classes: no warning; other
    estimators none either."""
    from sklearn.ensemble import RandomForestClassifier

    from prospect.models.summary import separation_warnings

    X, y = _separable()
    assert separation_warnings(_logistic(1.0, X, y), X, y) == []  # type: ignore[arg-type]
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    assert separation_warnings(forest, X, y) == []


def test_the_train_stage_warns_of_separation() -> None:
    """The train stage passes its training rows to the separation check beside the
    spread check (its warnings become the card's limitations and the report's)."""
    import inspect

    from pipelines.stages import train

    source = inspect.getsource(train)
    assert "separation_warnings(final, ts.X, ts.y)" in source


# -- 3. the PR AUC within folds beside the pooled one -------------------------------------


def _two_folds_on_two_scales() -> tuple[np.ndarray, list]:
    """SYNTHETIC: two folds, each ranked perfectly by its own model, the first model
    scoring everything near 0.05, the second near 0.95 (as round 23's)."""
    from prospect.models.evaluate import FoldResult
    from prospect.models.metrics import classification_metrics

    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0])
    s0 = np.array([0.09, 0.08, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06])
    folds = []
    for k, (test, s) in enumerate(((np.arange(8), s0), (np.arange(8, 16), s0 + 0.9))):
        m = classification_metrics(y[test], s)
        folds.append(FoldResult(k=k, test=test, oof=s, metrics={**m, "fold": float(k)}))
    return y, folds


def test_the_pr_auc_has_its_within_fold_figure_beside_the_pooled_one() -> None:
    """SYNTHETIC. Each fold model ranks its own held-out rows perfectly (PR AUC 1.0
    each); the pooled PR AUC ranks fold 0's occurrences below fold 1's background (0.68)
    and was the only PR AUC, unlabelled as pooled, where the ROC AUC had its fold mean
    beside it. ``fold_pr_auc_mean`` (and its no-skill value) is in the metrics, the
    headline (so the card) and the report's table, and ``roc_auc_is`` says which is
    which, as ``prediction_rate_auc_is`` does."""
    from prospect.models.evaluate import pool_folds
    from prospect.models.summary import headline

    y, folds = _two_folds_on_two_scales()
    res = pool_folds(folds, y, scheme="spatial_block")
    assert res.metrics["pr_auc"] < 0.8
    assert res.metrics["fold_pr_auc_mean"] == pytest.approx(1.0)
    assert res.metrics["fold_pr_auc_no_skill_mean"] == pytest.approx(0.25)
    head = headline({"spatial_block": res})
    assert head["cv_spatial_fold_pr_auc_mean"] == 1.0
    assert head["cv_spatial_fold_pr_auc_no_skill_mean"] == 0.25
    assert "pool the folds" in head["roc_auc_is"] and "fold_pr_auc_mean" in head["roc_auc_is"]


def test_the_training_report_shows_the_within_fold_pr_auc(tmp_path: Path) -> None:
    """SYNTHETIC. The training report's table of out-of-fold figures has a
    ``fold_pr_auc_mean`` row (1.000 here, beside the pooled 0.68) and says the fold
    means are within-fold figures; its headline, which showed no PR AUC, gives both."""
    from pipelines.report import write_report
    from prospect.models.evaluate import pool_folds
    from prospect.models.summary import headline

    y, folds = _two_folds_on_two_scales()
    res = pool_folds(folds, y, scheme="spatial_block")
    out = write_report(tmp_path / "report",
                       {"cv": {"spatial_block": {"metrics": res.metrics}}, "curves": {},
                        "metrics": headline({"spatial_block": res})})
    text = "\n".join(p.read_text() for p in sorted(Path(out).parent.rglob("*.md")))
    assert "| fold_pr_auc_mean | 1.000 |" in text
    assert "`fold_pr_auc_mean` are the ROC and PR AUCs within each fold" in text
    assert "- Fold-mean PR AUC 1.000 (no skill 0.250); pooled out-of-fold PR AUC 0.683 " \
        "(no skill 0.250)" in text
