"""Validation metrics for prospectivity maps.

Besides ROC and precision-recall AUC (scikit-learn), the measures of the mineral
prospectivity literature:

* success-rate / capture-efficiency curve: the share of occurrences captured against the
  share of the area ranked most prospective (Chung & Fabbri, 2003), and its area;
* prediction-area plot (Yousefi & Carranza, 2015): occurrence share and area share against
  the score threshold; at their intersection a map captures ``p`` % of occurrences in
  ``100 - p`` % of the area;
* the share of occurrences in the top 5, 10 and 20 % of the area.

"Area" is the score distribution of the study area: every cell, or a uniform random sample
of cells (the background), which estimates it without bias.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = [
    "capture_curve",
    "classification_metrics",
    "prediction_area",
    "success_rate_area",
    "top_area_capture",
]


def _clean(scores: np.ndarray) -> np.ndarray:
    s = np.asarray(scores, dtype="f8").ravel()
    return s[np.isfinite(s)]


def capture_curve(
    positive_scores: np.ndarray, area_scores: np.ndarray, *, n_points: int = 201,
) -> tuple[np.ndarray, np.ndarray]:
    """Success-rate curve: (area fraction, captured fraction), from 0 to 1.

    For each threshold ``t`` the area fraction is the share of area scores ``>= t`` and
    the captured fraction the share of positive scores ``>= t``.
    """
    pos = np.sort(_clean(positive_scores))
    area = np.sort(_clean(area_scores))
    if pos.size == 0 or area.size == 0:
        return np.array([0.0, 1.0]), np.array([0.0, 1.0])
    fractions = np.linspace(0.0, 1.0, n_points)
    # threshold at each area fraction: the (1 - f) quantile of area scores
    thresholds = np.quantile(area, 1.0 - fractions[1:-1])
    captured = 1.0 - np.searchsorted(pos, thresholds, side="left") / pos.size
    area_frac = 1.0 - np.searchsorted(area, thresholds, side="left") / area.size
    x = np.concatenate([[0.0], area_frac, [1.0]])
    y = np.concatenate([[0.0], captured, [1.0]])
    return x, y


def success_rate_area(positive_scores: np.ndarray, area_scores: np.ndarray) -> float:
    """Area under the success-rate curve (0.5: no better than chance; 1: perfect)."""
    x, y = capture_curve(positive_scores, area_scores)
    return float(np.trapezoid(y, x))


def top_area_capture(
    positive_scores: np.ndarray, area_scores: np.ndarray,
    fractions: tuple[float, ...] = (0.05, 0.10, 0.20),
) -> dict[str, float]:
    """Share of positives scoring at or above the top ``f`` area quantile, per fraction."""
    pos = _clean(positive_scores)
    area = _clean(area_scores)
    out = {}
    for f in fractions:
        key = f"top{round(f * 100):d}_capture"
        if pos.size == 0 or area.size == 0:
            out[key] = float("nan")
            continue
        t = np.quantile(area, 1.0 - f)
        out[key] = float(np.mean(pos >= t))
    return out


def prediction_area(
    positive_scores: np.ndarray, area_scores: np.ndarray, *, n_points: int = 101,
) -> dict[str, Any]:
    """Prediction-area curves and their intersection.

    Returns ``thresholds``, ``occurrence_pct`` (share of positives ``>= t``),
    ``area_pct`` (share of area ``>= t``) and, where occurrence % meets 100 - area %,
    ``intersection_threshold`` and ``intersection_occurrence_pct``.
    """
    pos = np.sort(_clean(positive_scores))
    area = np.sort(_clean(area_scores))
    both = np.concatenate([pos, area])
    if pos.size == 0 or area.size == 0:
        return {"thresholds": [], "occurrence_pct": [], "area_pct": [],
                "intersection_threshold": float("nan"),
                "intersection_occurrence_pct": float("nan")}
    thresholds = np.unique(np.quantile(both, np.linspace(0, 1, n_points)))
    occ = 100.0 * (1.0 - np.searchsorted(pos, thresholds, side="left") / pos.size)
    ar = 100.0 * (1.0 - np.searchsorted(area, thresholds, side="left") / area.size)
    gap = occ - (100.0 - ar)  # decreasing in t
    k = int(np.argmin(np.abs(gap)))
    return {
        "thresholds": thresholds.tolist(), "occurrence_pct": occ.tolist(),
        "area_pct": ar.tolist(), "intersection_threshold": float(thresholds[k]),
        "intersection_occurrence_pct": float((occ[k] + 100.0 - ar[k]) / 2.0),
    }


def classification_metrics(
    y: np.ndarray, scores: np.ndarray, *, area_scores: np.ndarray | None = None,
) -> dict[str, float]:
    """ROC AUC, PR AUC, success-rate area, top 5/10/20 % capture and the P-A intersection.

    ``area_scores`` defaults to the scores of the negative (background) rows.
    """
    y = np.asarray(y).ravel()
    s = np.asarray(scores, dtype="f8").ravel()
    ok = np.isfinite(s)
    y, s = y[ok], s[ok]
    out: dict[str, float] = {"n": float(y.size), "n_positive": float((y > 0).sum())}
    if np.unique(y).size < 2:
        out.update(roc_auc=float("nan"), pr_auc=float("nan"))
        return out
    out["roc_auc"] = float(roc_auc_score(y, s))
    out["pr_auc"] = float(average_precision_score(y, s))
    out["prevalence"] = float(np.mean(y > 0))
    area = s[y == 0] if area_scores is None else area_scores
    out["success_rate_auc"] = success_rate_area(s[y > 0], area)
    out.update(top_area_capture(s[y > 0], area))
    out["pa_intersection_pct"] = prediction_area(s[y > 0], area)["intersection_occurrence_pct"]
    return out
