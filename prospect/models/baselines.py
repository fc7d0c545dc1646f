"""Baselines a prospectivity model must beat, scored on the model's own CV folds.

``nearest_positive``: the closer a cell is to a known occurrence of the fold's training
side, the more prospective it is (score = minus the distance). It is what a geologist
does with a map of known sites and no model; a model that does not beat it on spatial
blocks adds nothing that the occurrences' positions did not already say.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from prospect.models.metrics import classification_metrics
from prospect.models.summary import round_figure

__all__ = ["baseline_metrics", "compare_to_baseline", "nearest_positive_oof"]


def nearest_positive_oof(
    coords: np.ndarray, y: np.ndarray, splits: Sequence[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Out-of-fold baseline scores: minus the distance to the nearest training positive.

    Parameters
    ----------
    coords
        ``(n, 2)`` cell centres of the rows.
    y
        0/1 labels.
    splits
        ``(train, test)`` row indices per fold (the model's own folds, buffers included).

    Returns
    -------
    numpy.ndarray
        One score per row; NaN for rows never tested or in a fold without a training
        positive.
    """
    coords = np.asarray(coords, "f8")
    y = np.asarray(y).ravel()
    out = np.full(len(y), np.nan)
    for train, test in splits:
        train, test = np.asarray(train), np.asarray(test)
        pos = coords[train][y[train] > 0]
        if len(pos) == 0 or len(test) == 0:
            continue
        dist, _ = cKDTree(pos).query(coords[test], k=1)
        out[test] = -dist
    return out


def compare_to_baseline(
    coords: np.ndarray, y: np.ndarray, splits: Sequence[tuple[np.ndarray, np.ndarray]],
    model_oof: np.ndarray, *, area_rows: np.ndarray | None = None,
) -> dict[str, Any]:
    """The model's out-of-fold skill against the nearest-positive baseline on the same rows.

    Both are scored on the rows both have a score for, with the same metrics; ``beats``
    says whether the model's ROC AUC is higher and above chance (0.5),
    ``behind_on_pr_auc`` whether it beats it so while its PR AUC is lower,
    ``ahead_on_pr_auc`` whether it does not (but is above chance) while its PR AUC is
    higher, ``beats_on_pr_auc`` whether the model, above chance, has the higher PR AUC
    (the top of the ranking's verdict, beside ``beats``), and ``verdict`` says so in words
    (both figures where they disagree).
    ``area_rows`` flags the rows that sample the area (background cells), the area axis of
    the capture figures (see :func:`~prospect.models.metrics.classification_metrics`).
    """
    base = nearest_positive_oof(coords, y, splits)
    model_oof = np.asarray(model_oof, "f8")
    both = np.isfinite(base) & np.isfinite(model_oof)
    y = np.asarray(y).ravel()
    sampled = None if area_rows is None else np.asarray(area_rows, bool)[both]
    mb = classification_metrics(y[both], base[both], area_rows=sampled)
    mm = classification_metrics(y[both], model_oof[both], area_rows=sampled)
    auc_m, auc_b = mm.get("roc_auc", float("nan")), mb.get("roc_auc", float("nan"))
    pr_m, pr_b = mm.get("pr_auc", float("nan")), mb.get("pr_auc", float("nan"))
    # a model no better than chance beats nothing, whatever a worse baseline scored
    skilled = bool(np.isfinite(auc_m) and auc_m > 0.5)
    beats = bool(skilled and np.isfinite(auc_b) and auc_m > auc_b)
    roc, pr = _pair(auc_m, auc_b), _pair(pr_m, pr_b)
    prs = bool(np.isfinite(pr_m) and np.isfinite(pr_b))
    behind_pr = bool(beats and prs and pr_m < pr_b)
    ahead_pr = bool(skilled and not beats and prs and pr_m > pr_b)
    verdict = _not_compared(mm, int(both.sum())) if not np.isfinite(auc_m) else (
        _roc_only(roc, pr) + _below_chance(auc_b)
        if behind_pr else
        f"The model beats the distance-to-nearest-occurrence baseline on spatial blocks: "
        f"ROC AUC {roc} (PR AUC {pr})." + _below_chance(auc_b)
        if beats else
        f"The model shows no skill on spatial blocks: out-of-fold ROC AUC {auc_m:.3f}, no "
        f"better than chance (0.5); the distance-to-nearest-occurrence baseline has "
        f"{auc_b:.3f} (PR AUC {pr})."
        if not skilled else
        f"The model does NOT beat the distance-to-nearest-occurrence baseline on spatial "
        f"blocks by ROC AUC: ROC AUC {roc}, though its PR AUC is higher ({pr}): at the top "
        "of the ranking (the few cells a survey visits first) the model finds occurrences "
        "more often than closeness to the known occurrences does, over the whole ranking "
        "less often; judge the model by both."
        if ahead_pr else
        f"The model does NOT beat the distance-to-nearest-occurrence baseline on spatial "
        f"blocks: ROC AUC {roc} (PR AUC {pr}); "
        "ranking cells by closeness to the known occurrences does as well as the model or "
        "better.")
    return {"name": "distance to the nearest training-fold occurrence", "rows": int(both.sum()),
            "baseline": mb, "model": mm, "beats": beats, "behind_on_pr_auc": behind_pr,
            "ahead_on_pr_auc": ahead_pr,
            "beats_on_pr_auc": bool(skilled and prs and pr_m > pr_b), "verdict": verdict}


def baseline_metrics(record: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of :func:`compare_to_baseline`'s ``record`` for ``metrics.json``.

    ``cv_spatial_beats_baseline`` is the ROC AUC's verdict (as it always was);
    ``cv_spatial_beats_baseline_pr_auc`` is the PR AUC's, beside the baseline's own
    ``cv_spatial_baseline_pr_auc``: a model ahead over the whole ranking but behind at its
    top (where rare occurrences must be found) read as a plain ``true`` to a script or a
    CI gate that reads the metrics alone, though the verdict in words said otherwise.

    Parameters
    ----------
    record
        The comparison :func:`compare_to_baseline` returns.

    Returns
    -------
    dict
        ``cv_spatial_baseline_roc_auc``, ``cv_spatial_baseline_pr_auc`` (rounded; ``None``
        where undefined), ``cv_spatial_beats_baseline`` and
        ``cv_spatial_beats_baseline_pr_auc``.
    """
    base = record["baseline"]
    return {"cv_spatial_baseline_roc_auc": round_figure(base.get("roc_auc")),
            "cv_spatial_baseline_pr_auc": round_figure(base.get("pr_auc")),
            "cv_spatial_beats_baseline": bool(record["beats"]),
            "cv_spatial_beats_baseline_pr_auc": bool(record.get("beats_on_pr_auc", False))}


def _roc_only(roc: str, pr: str) -> str:
    """The verdict of a model ahead of the baseline on ROC AUC but behind it on PR AUC.

    "The model beats the distance-to-nearest-occurrence baseline on spatial blocks: ROC
    AUC 0.639 vs 0.590 (PR AUC 0.175 vs 0.190)" read as a test passed, though on PR AUC,
    which weighs the top of the ranking (the few cells a survey visits first, where rare
    occurrences must be found), ranking by closeness to the known occurrences did better.
    ``beats`` stays true (it is the ROC AUC's); the words say both.
    """
    return (f"The model beats the distance-to-nearest-occurrence baseline on spatial blocks "
            f"by ROC AUC only: ROC AUC {roc}, but PR AUC {pr}: at the top of the ranking "
            "(the few cells a survey visits first, which PR AUC weighs where occurrences are "
            "rare) ranking cells by closeness to the known occurrences finds them more "
            "often than the model; judge the model by both before preferring it to the map "
            "of known sites.")


def _below_chance(auc: float) -> str:
    """What a baseline below chance (ROC AUC under 0.5) makes of "beats": a model that
    ranks better than a coin beats it, so the comparison adds nothing to the model's own
    skill against chance. Nothing for a baseline at or above 0.5.

    The spatial blocks hold the occurrences of a cluster together, so a held-out
    occurrence lies farther from the training side's occurrences than most background
    cells do, and closeness ranks it low: seven occurrences in three blocks gave the
    baseline 0.112, and "the model beats the baseline: 0.800 vs 0.112" read as a test
    passed.
    """
    if not (np.isfinite(auc) and auc < 0.5):
        return ""
    return (f" The baseline ranks below chance ({auc:.3f} < 0.5): on these spatial blocks "
            "the held-out occurrences lie farther from the training side's occurrences than "
            "the background cells do (clusters of occurrences kept apart by the blocks), so "
            "beating it says no more than beating chance (0.5); judge the model by its own "
            "spatial figures.")


def _pair(model: float, baseline: float) -> str:
    """``model vs baseline`` with as many decimals (3 to 6) as it takes for two different
    figures to read differently: a model that beats its baseline by 0.0004 was stated as
    beating it at ``0.750 vs 0.750``."""
    digits = 3
    while digits < 6 and model != baseline and \
            f"{model:.{digits}f}" == f"{baseline:.{digits}f}":
        digits += 1
    return f"{model:.{digits}f} vs {baseline:.{digits}f}"


def _not_compared(metrics: dict[str, float], rows: int) -> str:
    """Why the model and the baseline could not be compared: the rows both scored hold
    one class (no ROC AUC), which said "no skill ... ROC AUC nan" before."""
    positives = int(metrics.get("n_positive", 0))
    return (f"The model was not compared with the distance-to-nearest-occurrence baseline: "
            f"the {rows} held-out row(s) both scored hold {positives} positive(s) and "
            f"{rows - positives} negative(s), one class only, so neither has a ROC AUC "
            "(a baseline scores no fold without a training positive); add occurrences in "
            "more spatial blocks.")
