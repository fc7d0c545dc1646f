"""Cross-validated evaluation of a model: out-of-fold scores, per-fold and pooled metrics,
permutation importance on the held-out folds, calibration and partial dependence."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import brier_score_loss

from prospect.models.metrics import classification_metrics

__all__ = [
    "FOLD_SPREAD_IS",
    "CVResult",
    "FoldResult",
    "cross_validate",
    "fit_fold",
    "fold_spread",
    "oof_table",
    "partial_dependence_curves",
    "permutation_importance",
    "pool_folds",
    "reliability",
    "within_fold_prediction_rate",
    "within_fold_rate_curve",
]


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
        Metrics of the pooled out-of-fold scores, plus the mean of the fold ROC AUCs and
        their sample standard deviation (:func:`fold_spread`).
    importance
        Permutation importance (drop in ROC AUC) per feature: mean and std over folds.
    """

    scheme: str
    oof: np.ndarray
    fold: np.ndarray
    fold_metrics: list[dict[str, float]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    importance: dict[str, dict[str, float]] = field(default_factory=dict)


@contextlib.contextmanager
def convergence_said_later() -> Iterator[None]:
    """Within the block, scikit-learn's ``ConvergenceWarning`` is not shown.

    A logistic regression or MLP stopped at ``max_iter`` warned once per fit (each fold,
    seed and bagged member) on the worker that ran it, as raw Python warnings naming
    site-packages files (``warnings.warn(`` lines) among the job's own; the train stage
    says it once, in words, from the fitted model (``summary.convergence_warnings``).
    """
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@dataclass
class FoldResult:
    """One fitted and scored fold (see :func:`fit_fold`)."""

    k: int
    test: np.ndarray
    oof: np.ndarray
    metrics: dict[str, float]
    importance: np.ndarray | None = None


def fit_fold(
    estimator: Any, X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
    k: int, *, sample_weight: np.ndarray | None = None, importance_repeats: int = 0,
    seed: int = 0, fit_rows: dict[str, np.ndarray] | None = None,
) -> FoldResult | None:
    """Fit a clone of ``estimator`` on the ``train`` rows and score the ``test`` rows.

    A pure function of its arguments, so folds can run anywhere (a dask worker). Returns
    ``None`` for a fold that cannot be fitted (one class only) or has no test rows.
    ``fit_rows`` are further per-row fit arguments of the ``model`` step (e.g. the
    occurrence points per cell of weights of evidence), sliced like the rows.
    """
    y = np.asarray(y)
    if np.unique(y[train]).size < 2 or test.size == 0:
        return None
    model = clone(estimator)
    fit_kw = {} if sample_weight is None else {"model__sample_weight": sample_weight[train]}
    fit_kw |= {f"model__{name}": v[train] for name, v in (fit_rows or {}).items()}
    with convergence_said_later():  # said once by the train stage
        model.fit(X[train], y[train], **fit_kw)
    oof = model.predict_proba(X[test])[:, 1]
    m = classification_metrics(y[test], oof)
    m["fold"] = float(k)
    m["n_train"] = float(train.size)
    imp = None
    if importance_repeats > 0 and np.unique(y[test]).size == 2:
        imp = permutation_importance(model, X[test], y[test], n_repeats=importance_repeats,
                                     seed=seed + k)
    return FoldResult(k=k, test=np.asarray(test), oof=oof, metrics=m, importance=imp)


def pool_folds(
    folds: Sequence[FoldResult | None], y: np.ndarray, *, scheme: str,
    feature_names: Sequence[str] | None = None, area_rows: np.ndarray | None = None,
) -> CVResult:
    """Pool fitted folds (in split order) into out-of-fold scores and metrics.

    ``area_rows`` flags the rows that sample the study area (the background cells): the
    area figures of each fold and of the pool take their area axis from those only
    (:func:`~prospect.models.metrics.classification_metrics`); ``None``: every negative.
    """
    y = np.asarray(y)
    if area_rows is not None:  # each fold's area figures over the area sample only
        area_rows = np.asarray(area_rows, bool)
        folds = [None if f is None else FoldResult(
            k=f.k, test=f.test, oof=f.oof, importance=f.importance,
            metrics={**f.metrics, **classification_metrics(
                y[f.test], f.oof, area_rows=area_rows[f.test])})
            for f in folds]
    oof = np.full(len(y), np.nan)
    fold = np.full(len(y), -1, dtype="i8")
    fold_metrics = []
    imps: list[np.ndarray] = []
    for f in folds:
        if f is None:
            continue
        oof[f.test] = f.oof
        fold[f.test] = f.k
        fold_metrics.append(f.metrics)
        if f.importance is not None:
            imps.append(f.importance)
    tested = fold >= 0
    metrics = classification_metrics(
        y[tested], oof[tested], area_rows=None if area_rows is None else area_rows[tested])
    aucs = [m["roc_auc"] for m in fold_metrics if np.isfinite(m.get("roc_auc", np.nan))]
    metrics["fold_roc_auc_mean"] = float(np.mean(aucs)) if aucs else float("nan")
    metrics["fold_roc_auc_std"] = fold_spread(aucs)
    # the PR AUC's within-fold figure beside its pooled one, as the ROC AUC's (each fold
    # model ranks its own held-out rows); read against the folds' mean no-skill value
    scored = [m for m in fold_metrics if np.isfinite(m.get("pr_auc", np.nan))]
    metrics["fold_pr_auc_mean"] = float(np.mean([m["pr_auc"] for m in scored])) \
        if scored else float("nan")
    metrics["fold_pr_auc_no_skill_mean"] = float(np.mean([m["prevalence"] for m in scored])) \
        if scored else float("nan")
    metrics["n_folds"] = float(len(fold_metrics))
    metrics.update(within_fold_prediction_rate(fold_metrics))
    # a test fold of one class (no positive, or no background) has no ROC AUC: the fold
    # mean is over the others, and says so (prospect.models.summary.cv_warnings)
    metrics["n_folds_scored"] = float(len(aucs))
    importance: dict[str, dict[str, float]] = {}
    if imps:
        arr = np.vstack(imps)
        names = list(feature_names or [f"x{j}" for j in range(arr.shape[1])])
        # the folds' spread as the fold ROC AUCs' beside it (their sample s.d.): numpy's
        # population s.d. was 11 % narrower with 5 folds, and 0 (no spread) of one fold
        importance = {n: {"mean": float(arr[:, j].mean()), "std": fold_spread(arr[:, j].tolist())}
                      for j, n in enumerate(names)}
    return CVResult(scheme=scheme, oof=oof, fold=fold, fold_metrics=fold_metrics,
                    metrics=metrics, importance=importance)


FOLD_SPREAD_IS = (
    "sample standard deviation (n - 1 denominator) of the ROC AUCs of the folds scored, as "
    "R's sd(), caret's and mlr3's resampling summaries and the variance of k-fold "
    "estimates (Nadeau & Bengio 2003; Bengio & Grandvalet 2004) take it; not defined "
    "below two folds scored")
"""What ``fold_roc_auc_std`` is, said beside it in ``metrics.json``."""


def fold_spread(values: Sequence[float]) -> float:
    """The spread of per-fold figures: their sample standard deviation (``ddof=1``).

    The folds are a sample of the ways the data could have been split, and their s.d.
    estimates how much a fold's figure varies (Nadeau & Bengio 2003); the population
    s.d. (``ddof=0``, ``numpy.std``'s default) understates it by sqrt((k - 1) / k), 11 %
    with 5 folds. One fold has no spread to estimate: NaN, never 0.

    Parameters
    ----------
    values
        One figure per fold scored (finite).

    Returns
    -------
    float
        The sample s.d., NaN below two values.
    """
    arr = np.asarray(values, dtype="f8")
    return float(np.std(arr, ddof=1)) if arr.size > 1 else float("nan")


WITHIN_FOLDS: tuple[str, ...] = ("prediction_rate_auc", "top5_capture", "top10_capture",
                                 "top20_capture")
"""The area figures also given within folds (:func:`within_fold_prediction_rate`)."""


def within_fold_prediction_rate(fold_metrics: Sequence[dict[str, float]]) -> dict[str, float]:
    """Area under the prediction-rate curve with each held-out occurrence ranked against
    its own fold's held-out background, by its own fold's model.

    The pooled figure (``prediction_rate_auc``) ranks every fold's occurrences against
    every fold's background, scored by different fold models whose scores need not share
    a scale (Forman & Scholz 2010 show pooled AUCs of such folds off both ways). This one
    is the fold's own figure (Chung & Fabbri 2003) averaged over folds, each weighted by
    its held-out occurrences: the share of (occurrence, background cell of its fold) pairs
    ordered. NaN where no fold has both.

    The top 5/10/20 % captures are given likewise (``top5_capture_within_folds``...: the
    share of held-out occurrences within the top of their own fold's background).

    Returns
    -------
    dict
        ``prediction_rate_auc_within_folds``, ``top5/10/20_capture_within_folds`` and
        ``prediction_rate_within_folds_positives`` (the occurrences they rank).
    """
    out: dict[str, float] = {}
    for name in WITHIN_FOLDS:
        num, n = 0.0, 0.0
        for m in fold_metrics:
            value, pos = m.get(name, np.nan), m.get("n_positive", 0.0)
            if np.isfinite(value) and pos > 0:
                num, n = num + value * pos, n + pos
        out[f"{name}_within_folds"] = num / n if n else float("nan")
        if name == "prediction_rate_auc":
            out["prediction_rate_within_folds_positives"] = float(n)
    return out


def within_fold_rate_curve(
    y: np.ndarray, oof: np.ndarray, fold: np.ndarray, area_rows: np.ndarray | None = None,
    *, n_points: int = 201,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The prediction-rate curve of :func:`within_fold_prediction_rate`: the share of
    held-out occurrences within the top ``a`` of their own fold's background, cells tied
    at an occurrence's score shared in proportion (so its area is that figure). ``None``
    when no fold holds an occurrence and a background cell."""
    y, oof, fold = np.asarray(y), np.asarray(oof, "f8"), np.asarray(fold)
    sample = np.ones(len(y), bool) if area_rows is None else np.asarray(area_rows, bool)
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    for k in np.unique(fold[fold >= 0]):
        own = (fold == k) & np.isfinite(oof)
        area = np.sort(oof[own & (y == 0) & sample])
        pos = oof[own & (y > 0)]
        if not area.size or not pos.size:
            continue
        above = area.size - np.searchsorted(area, pos, side="right")
        tied = np.searchsorted(area, pos, side="right") - np.searchsorted(area, pos, "left")
        lo.append(above / area.size)
        hi.append((above + tied) / area.size)
    if not lo:
        return None
    a = np.linspace(0.0, 1.0, n_points)
    low, high = np.concatenate(lo)[:, None], np.concatenate(hi)[:, None]
    width = np.where(high > low, high - low, 1.0)
    taken = np.where(high > low, np.clip((a - low) / width, 0.0, 1.0), (a >= low) * 1.0)
    return a, taken.mean(axis=0)


def cross_validate(
    estimator: Any, X: np.ndarray, y: np.ndarray, splits: Sequence[tuple[np.ndarray, np.ndarray]],
    *, scheme: str, sample_weight: np.ndarray | None = None,
    feature_names: Sequence[str] | None = None, importance_repeats: int = 0, seed: int = 0,
    fold_X: Sequence[np.ndarray] | None = None, fit_rows: dict[str, np.ndarray] | None = None,
    area_rows: np.ndarray | None = None,
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
    fold_X
        One feature matrix per split, used instead of ``X`` in that fold (surfaces
        re-interpolated from the fold's training points:
        :func:`prospect.models.foldaware.fold_features`).
    area_rows
        Rows that sample the study area (background cells), for the area figures
        (:func:`pool_folds`).

    The folds run one after another here; a pipeline on a cluster submits
    :func:`fit_fold` per split and pools the results with :func:`pool_folds`.
    """
    folds = [fit_fold(estimator, X if fold_X is None else fold_X[k], y, train, test, k,
                      sample_weight=sample_weight, importance_repeats=importance_repeats,
                      seed=seed, fit_rows=fit_rows)
             for k, (train, test) in enumerate(splits)]
    return pool_folds(folds, y, scheme=scheme, feature_names=feature_names,
                      area_rows=area_rows)


def permutation_importance(
    model: Any, X: np.ndarray, y: np.ndarray, *, n_repeats: int = 3, seed: int = 0,
) -> np.ndarray:
    """Mean drop in ROC AUC when each column is shuffled (Breiman, 2001).

    Same definition as :func:`sklearn.inspection.permutation_importance` with
    ``scoring="roc_auc"``, but all repeats of a column go through one ``predict_proba``
    call (the repeats are stacked), which matters for forests on small held-out folds.
    """
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    base = roc_auc_score(y, model.predict_proba(X)[:, 1])
    n = len(X)
    out = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        stacked = np.tile(X, (n_repeats, 1))
        for r in range(n_repeats):
            stacked[r * n:(r + 1) * n, j] = X[rng.permutation(n), j]
        p = model.predict_proba(stacked)[:, 1]
        scores = [roc_auc_score(y, p[r * n:(r + 1) * n]) for r in range(n_repeats)]
        out[j] = base - float(np.mean(scores))
    return out


def reliability(y: np.ndarray, scores: np.ndarray, *, n_bins: int = 10,
                sample_weight: np.ndarray | None = None) -> dict[str, Any]:
    """Reliability table (quantile bins) and Brier score of out-of-fold probabilities.

    Parameters
    ----------
    y, scores
        Labels and out-of-fold probabilities of the rows (NaN scores are left out).
    n_bins
        Quantile bins of the table.
    sample_weight
        What each row stands for. ``None``: one row is one case (scikit-learn's
        ``calibration_curve`` and ``brier_score_loss``). Weights of evidence's posterior is
        a probability per unit cell, and its background rows stand for the area they
        sample: with their area weights the bins are quantiles of that area, each bin's
        ``fraction_positive`` the deposits per unit cell in it, the Brier score one of the
        area's unit cells and ``prevalence`` the prior ``N(D) / N(T)``; by rows they were
        the training rows' share of positives (0.09 where the area's was 0.0075), so the
        posterior read as under-forecast by construction.

    Returns
    -------
    dict
        ``brier``, ``mean_predicted``, ``fraction_positive`` (one value per non-empty
        bin), ``prevalence``; ``weighted: "area"`` where ``sample_weight`` was given.
    """
    from sklearn.calibration import calibration_curve

    ok = np.isfinite(scores)
    y, scores = np.asarray(y)[ok], np.asarray(scores)[ok]
    if np.unique(y).size < 2:
        return {"brier": float("nan"), "mean_predicted": [], "fraction_positive": []}
    if sample_weight is not None:
        return _weighted_reliability(y, scores, np.asarray(sample_weight, "f8")[ok],
                                     n_bins=n_bins)
    frac, mean = calibration_curve(y, scores, n_bins=n_bins, strategy="quantile")
    return {"brier": float(brier_score_loss(y, scores)), "mean_predicted": mean.tolist(),
            "fraction_positive": frac.tolist(), "prevalence": float(np.mean(y))}


def _weighted_reliability(y: np.ndarray, scores: np.ndarray, weight: np.ndarray, *,
                          n_bins: int) -> dict[str, Any]:
    """:func:`reliability` with each row weighing ``weight``: bins at weighted quantiles
    of the scores (equal shares of the weight), weighted means in each bin."""
    order = np.argsort(scores, kind="stable")
    cum = np.cumsum(weight[order]) / weight.sum()
    cuts = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    edges = np.unique(scores[order][np.minimum(np.searchsorted(cum, cuts), cum.size - 1)])
    bins = np.searchsorted(edges, scores, side="left")
    w = np.bincount(bins, weights=weight, minlength=edges.size + 1)
    wy = np.bincount(bins, weights=weight * (y > 0), minlength=edges.size + 1)
    wp = np.bincount(bins, weights=weight * scores, minlength=edges.size + 1)
    kept = w > 0
    positive = (y > 0).astype("f8")
    return {"brier": float(brier_score_loss(positive, scores, sample_weight=weight)),
            "mean_predicted": (wp[kept] / w[kept]).tolist(),
            "fraction_positive": (wy[kept] / w[kept]).tolist(),
            "prevalence": float(np.sum(weight * positive) / weight.sum()),
            "weighted": "area"}


def partial_dependence_curves(
    model: Any, X: np.ndarray, features: Sequence[int], names: Sequence[str], *,
    grid_resolution: int = 20, max_rows: int = 2000, seed: int = 0,
    categorical: Sequence[int] = (),
) -> dict[str, dict[str, Any]]:
    """Average partial dependence (Friedman, 2001) of the positive probability.

    For each feature, the grid is the 5-95 % percentile range (``grid_resolution`` values,
    or the distinct values when fewer); a ``categorical`` column's grid is every class it
    holds (``kind: categorical``: one value per class, drawn as bars, never a line between
    class codes). Every grid value is set in all rows and the mean probability taken, as
    :func:`sklearn.inspection.partial_dependence` does with ``method="brute"``, with the
    grid stacked into one ``predict_proba`` call.
    """
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(X), size=min(max_rows, len(X)), replace=False)
    Xs = X[rows]
    out = {}
    for j in features:
        col = Xs[:, j][np.isfinite(Xs[:, j])]
        if col.size == 0:
            continue
        uniq = np.unique(col)
        lo, hi = (float(v) for v in np.percentile(col, [5, 95]))
        is_cat = j in set(categorical)
        grid = uniq if is_cat or uniq.size <= grid_resolution else np.unique(
            np.linspace(lo, hi, grid_resolution))
        stacked = np.tile(Xs, (grid.size, 1))
        stacked[:, j] = np.repeat(grid, len(Xs))
        p = model.predict_proba(stacked)[:, 1].reshape(grid.size, len(Xs))
        out[names[j]] = {"values": grid.tolist(), "average": p.mean(axis=1).tolist(),
                         "kind": "categorical" if is_cat else "continuous"}
    return out


def oof_table(
    results: dict[str, CVResult], y: np.ndarray, *, x: np.ndarray, y_coord: np.ndarray,
    rows: np.ndarray, cols: np.ndarray,
) -> dict[str, np.ndarray]:
    """Out-of-fold predictions, one record per row and scheme, to recompute every figure.

    Columns: ``scheme``, ``x``, ``y`` (cell centre, grid CRS), ``row``, ``col``, ``fold``
    (-1: never tested, e.g. buffered out), ``label`` and ``score`` (NaN when untested).
    """
    parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                          ("scheme", "x", "y", "row", "col", "fold", "label",
                                           "score")}
    for scheme, res in results.items():
        n = len(res.fold)
        parts["scheme"].append(np.full(n, scheme, dtype=object))
        parts["x"].append(np.asarray(x, "f8"))
        parts["y"].append(np.asarray(y_coord, "f8"))
        parts["row"].append(np.asarray(rows, "i8"))
        parts["col"].append(np.asarray(cols, "i8"))
        parts["fold"].append(res.fold)
        parts["label"].append(np.asarray(y, "i8"))
        parts["score"].append(res.oof)
    return {k: np.concatenate(v) if v else np.array([]) for k, v in parts.items()}
