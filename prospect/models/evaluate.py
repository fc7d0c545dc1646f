"""Cross-validated evaluation of a model: out-of-fold scores, per-fold and pooled metrics,
permutation importance on the held-out folds, calibration and partial dependence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import brier_score_loss

from prospect.models.metrics import classification_metrics

__all__ = ["CVResult", "cross_validate", "partial_dependence_curves", "reliability"]


@dataclass
class CVResult:
    """What one cross-validation scheme found.

    Attributes
    ----------
    scheme
        ``spatial_block`` or ``random``.
    oof
        Out-of-fold probability per row (NaN for rows never tested, e.g. buffered out).
    fold
        Test fold of each row (-1: never tested).
    fold_metrics
        Metrics of each fold.
    metrics
        Metrics of the pooled out-of-fold scores, plus the mean and std of fold ROC AUC.
    importance
        Permutation importance (drop in ROC AUC) per feature: mean and std over folds.
    """

    scheme: str
    oof: np.ndarray
    fold: np.ndarray
    fold_metrics: list[dict[str, float]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    importance: dict[str, dict[str, float]] = field(default_factory=dict)


def cross_validate(
    estimator: Any, X: np.ndarray, y: np.ndarray, splits: Sequence[tuple[np.ndarray, np.ndarray]],
    *, scheme: str, sample_weight: np.ndarray | None = None,
    feature_names: Sequence[str] | None = None, importance_repeats: int = 0, seed: int = 0,
) -> CVResult:
    """Fit a clone of ``estimator`` per split and score the held-out rows.

    Parameters
    ----------
    estimator
        A pipeline whose last step is named ``model``.
    X, y
        Feature rows and 0/1 labels.
    splits
        ``(train, test)`` index pairs.
    sample_weight
        Passed to the ``model`` step when given (area weights of weights of evidence).
    importance_repeats
        Repeats of permutation importance on each test fold (0: none).
    """
    from sklearn.inspection import permutation_importance

    y = np.asarray(y)
    oof = np.full(len(y), np.nan)
    fold = np.full(len(y), -1, dtype="i8")
    fold_metrics = []
    imps: list[np.ndarray] = []
    for k, (train, test) in enumerate(splits):
        if np.unique(y[train]).size < 2 or test.size == 0:
            continue
        model = clone(estimator)
        fit_kw = {} if sample_weight is None else {"model__sample_weight": sample_weight[train]}
        model.fit(X[train], y[train], **fit_kw)
        oof[test] = model.predict_proba(X[test])[:, 1]
        fold[test] = k
        m = classification_metrics(y[test], oof[test])
        m["fold"] = float(k)
        m["n_train"] = float(train.size)
        fold_metrics.append(m)
        if importance_repeats > 0 and np.unique(y[test]).size == 2:
            r = permutation_importance(model, X[test], y[test], scoring="roc_auc",
                                       n_repeats=importance_repeats, random_state=seed + k)
            imps.append(r.importances_mean)
    tested = fold >= 0
    metrics = classification_metrics(y[tested], oof[tested])
    aucs = [m["roc_auc"] for m in fold_metrics if np.isfinite(m.get("roc_auc", np.nan))]
    metrics["fold_roc_auc_mean"] = float(np.mean(aucs)) if aucs else float("nan")
    metrics["fold_roc_auc_std"] = float(np.std(aucs)) if aucs else float("nan")
    metrics["n_folds"] = float(len(fold_metrics))
    importance: dict[str, dict[str, float]] = {}
    if imps:
        names = list(feature_names or [f"x{j}" for j in range(X.shape[1])])
        arr = np.vstack(imps)
        importance = {n: {"mean": float(arr[:, j].mean()), "std": float(arr[:, j].std())}
                      for j, n in enumerate(names)}
    return CVResult(scheme=scheme, oof=oof, fold=fold, fold_metrics=fold_metrics,
                    metrics=metrics, importance=importance)


def reliability(y: np.ndarray, scores: np.ndarray, *, n_bins: int = 10) -> dict[str, Any]:
    """Reliability table (quantile bins) and Brier score of out-of-fold probabilities."""
    from sklearn.calibration import calibration_curve

    ok = np.isfinite(scores)
    y, scores = np.asarray(y)[ok], np.asarray(scores)[ok]
    if np.unique(y).size < 2:
        return {"brier": float("nan"), "mean_predicted": [], "fraction_positive": []}
    frac, mean = calibration_curve(y, scores, n_bins=n_bins, strategy="quantile")
    return {"brier": float(brier_score_loss(y, scores)), "mean_predicted": mean.tolist(),
            "fraction_positive": frac.tolist(), "prevalence": float(np.mean(y))}


def partial_dependence_curves(
    model: Any, X: np.ndarray, features: Sequence[int], names: Sequence[str], *,
    grid_resolution: int = 20, max_rows: int = 2000, seed: int = 0,
) -> dict[str, dict[str, list[float]]]:
    """Average partial dependence of the positive probability on each of ``features``."""
    from sklearn.inspection import partial_dependence

    rng = np.random.default_rng(seed)
    rows = rng.choice(len(X), size=min(max_rows, len(X)), replace=False)
    out = {}
    for j in features:
        try:
            pd_ = partial_dependence(model, X[rows], [j], grid_resolution=grid_resolution,
                                     kind="average")
        except ValueError:
            continue
        out[names[j]] = {"values": np.asarray(pd_["grid_values"][0]).tolist(),
                         "average": np.asarray(pd_["average"][0]).tolist()}
    return out
