"""Validation metrics for prospectivity maps.

Besides ROC and precision-recall AUC (scikit-learn), the measures of the mineral
prospectivity literature:

* capture curves: the share of occurrences captured against the share of the area ranked
  most prospective, and their area (Chung & Fabbri, 2003): the *prediction-rate* curve for
  held-out (out-of-fold) occurrences, the *success-rate* curve for the occurrences the
  model was fitted on (in-sample; the score stage's map figures);
* prediction-area plot (Yousefi & Carranza, 2015): occurrence share and area share against
  the score threshold; at their intersection a map captures ``p`` % of occurrences in
  ``100 - p`` % of the area;
* the share of occurrences in the top 5, 10 and 20 % of the area.

"Area" is the score distribution of the study area: every cell, or a uniform random sample
of cells (the background), which estimates it without bias.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = [
    "AREA_FIGURES",
    "bootstrap_auc_ci",
    "capture_curve",
    "classification_metrics",
    "percent",
    "prediction_area",
    "shared_capture",
    "success_rate_area",
    "top_area_capture",
    "top_capture_binned",
]


def percent(share: float, decimals: int = 1) -> str:
    """``share`` as a percentage (without its sign) to ``decimals`` places, or to the
    places that keep a share strictly between 0 and 1 off ``0`` and ``100``.

    ``f"{share:.1%}"`` wrote 12 unscored cells of 250 000 as ``100.0% of the cells
    scored`` beside ``12 of 250000 cells (0.0%) are left unscored``, and 199 of 200 points
    as ``100%`` of them: a part read as all, or a few as none (as the score stage's shares
    keep their digits, :func:`pipelines.stages.score._share`).

    Parameters
    ----------
    share
        A share in [0, 1] (NaN is written ``n/a``).
    decimals
        Places written where they suffice.

    Returns
    -------
    str
        ``"99.995"`` for 0.99995 with one decimal asked, ``"0.004"`` for 4e-5, ``"50.0"``
        for 0.5.
    """
    if not np.isfinite(share):
        return "n/a"
    pct = 100.0 * float(share)
    digits = max(0, int(decimals))
    text = f"{pct:.{digits}f}"
    while 0.0 < share < 1.0 and digits < 12 and float(text) in (0.0, 100.0):
        digits += 1
        text = f"{pct:.{digits}f}"
    return text


def _clean(scores: np.ndarray) -> np.ndarray:
    s = np.asarray(scores, dtype="f8").ravel()
    return s[np.isfinite(s)]


def capture_curve(
    positive_scores: np.ndarray, area_scores: np.ndarray, *, n_points: int = 201,
) -> tuple[np.ndarray, np.ndarray]:
    """Capture curve (success rate in-sample, prediction rate out-of-fold): (area fraction,
    captured fraction), from 0 to 1.

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
    """Area under a capture curve (0.5: no better than chance; 1: perfect).

    Chung & Fabbri (2003) call it the *success-rate* curve when the scores are in-sample
    (the occurrences the model was fitted on) and the *prediction-rate* curve when they
    are not (held-out occurrences, out-of-fold scores); the arithmetic is the same.

    Computed exactly: the area under the capture curve, cells tied at a score shared in
    proportion, is the share of (positive, area cell) pairs the scores order, a tie
    counting half (the Mann-Whitney statistic). The 201-point curve of
    :func:`capture_curve` (for plots) integrated by trapezoids was up to 0.002 off.
    """
    pos, area = _clean(positive_scores), _clean(area_scores)
    if pos.size == 0 or area.size == 0:
        return 0.5  # the diagonal capture_curve draws for nothing to rank
    return _pair_auc(pos, area)


def top_area_capture(
    positive_scores: np.ndarray, area_scores: np.ndarray,
    fractions: tuple[float, ...] = (0.05, 0.10, 0.20),
) -> dict[str, float]:
    """Share of positives in the top ``f`` of the area, ties shared in proportion.

    The top ``f`` of the area is every cell scoring above the cut-off plus the share of
    the cells *tied at* the cut-off that makes the area exactly ``f``; positives tied at
    the cut-off are counted in that same proportion (:func:`shared_capture`). The score
    stage applies the same rule to its histogram of the map (:func:`top_capture_binned`).
    """
    pos = _clean(positive_scores)
    area = _clean(area_scores)
    if pos.size == 0 or area.size == 0:
        return {_key(f): float("nan") for f in fractions}
    levels = np.unique(np.concatenate([pos, area]))[::-1]  # classes, highest first
    area_n = np.bincount(np.searchsorted(-levels, -area), minlength=levels.size)
    pos_n = np.bincount(np.searchsorted(-levels, -pos), minlength=levels.size)
    return shared_capture(pos_n, area_n, fractions)


def top_capture_binned(
    positive_scores: np.ndarray, area_hist: np.ndarray, edges: np.ndarray,
    fractions: tuple[float, ...] = (0.05, 0.10, 0.20),
) -> dict[str, float]:
    """:func:`top_area_capture` with the area given as a histogram over ``edges``.

    Cells of one bin are tied (their order inside the bin is unknown); positives are put in
    the same bins, so a bin split by the cut-off counts its positives in proportion.
    """
    pos = _clean(positive_scores)
    hist = np.asarray(area_hist, "f8")
    if pos.size == 0 or not hist.sum() > 0:
        return {_key(f): float("nan") for f in fractions}
    k = np.clip(np.searchsorted(edges, pos, side="right") - 1, 0, hist.size - 1)
    pos_n = np.bincount(k, minlength=hist.size)
    return shared_capture(pos_n[::-1], hist[::-1], fractions)


def shared_capture(
    pos_counts: np.ndarray, area_counts: np.ndarray, fractions: tuple[float, ...],
) -> dict[str, float]:
    """Captured share per area fraction, over score classes ordered from the highest.

    For fraction ``f``: the classes above the one where the cumulative area reaches ``f``
    count fully; that class counts by ``q = (f - area above) / its area`` (ties shared in
    proportion), for the area and for the positives alike.
    """
    pos_counts = np.asarray(pos_counts, "f8")
    area_share = np.asarray(area_counts, "f8") / float(np.sum(area_counts))
    cum = np.cumsum(area_share)
    n_pos = float(pos_counts.sum())
    out = {}
    for f in fractions:
        k = min(int(np.searchsorted(cum, f - 1e-12, side="left")), cum.size - 1)
        above = cum[k] - area_share[k]
        q = (f - above) / area_share[k] if area_share[k] > 0 else 0.0
        captured = pos_counts[:k].sum() + min(max(q, 0.0), 1.0) * pos_counts[k]
        out[_key(f)] = float(captured / n_pos)
    return out


def _key(f: float) -> str:
    return f"top{round(f * 100):d}_capture"


def prediction_area(
    positive_scores: np.ndarray, area_scores: np.ndarray, *, n_points: int = 101,
) -> dict[str, Any]:
    """Prediction-area curves and their intersection (Yousefi and Carranza 2015).

    Returns ``thresholds``, ``occurrence_pct`` (share of positives ``>= t``) and
    ``area_pct`` (share of area ``>= t``) at up to ``n_points`` quantiles, for the plot,
    and the intersection, where occurrence % meets 100 - area %:
    ``intersection_occurrence_pct`` and ``intersection_threshold`` (the score at which it
    is reached). The intersection is exact: on the success-rate curve with cells tied at
    a score shared in proportion (as :func:`top_area_capture` shares them), the point
    where captured share + area share = 1. It was the nearest of the plot's quantile
    thresholds, its two sides averaged: up to 4 points off where scores are tied (a
    classed map, weights of evidence).
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
    level, pct = _pa_intersection(pos, area)
    return {
        "thresholds": thresholds.tolist(), "occurrence_pct": occ.tolist(),
        "area_pct": ar.tolist(), "intersection_threshold": level,
        "intersection_occurrence_pct": pct,
    }


def _pa_intersection(pos: np.ndarray, area: np.ndarray) -> tuple[float, float]:
    """(score, occurrence %) where the share of positives captured plus the share of area
    taken reaches 1, cells and positives tied at a score taken in the same proportion."""
    levels = np.unique(np.concatenate([pos, area]))[::-1]  # highest first
    pos_share = np.bincount(np.searchsorted(-levels, -pos), minlength=levels.size) / pos.size
    area_share = np.bincount(np.searchsorted(-levels, -area),
                             minlength=levels.size) / area.size
    captured = np.concatenate([[0.0], np.cumsum(pos_share)])
    gap = captured + np.concatenate([[0.0], np.cumsum(area_share)]) - 1.0  # -1 .. 1, rising
    k = max(int(np.searchsorted(gap, 0.0, side="left")), 1)  # gap[0] = -1 < 0
    step = gap[k] - gap[k - 1]
    q = -gap[k - 1] / step if step > 0 else 1.0  # share of class k - 1 taken
    return float(levels[k - 1]), float(100.0 * (captured[k - 1] + q * pos_share[k - 1]))


AREA_FIGURES: tuple[str, ...] = ("prediction_rate_auc", "top5_capture", "top10_capture",
                                 "top20_capture", "pa_intersection_pct")
"""The figures whose axis is a share of the study area (Chung & Fabbri 2003): they need
rows that sample the area, never the labelled sample sites."""


def classification_metrics(
    y: np.ndarray, scores: np.ndarray, *, area_scores: np.ndarray | None = None,
    area_rows: np.ndarray | None = None,
) -> dict[str, float]:
    """ROC AUC, PR AUC, prediction-rate area, top 5/10/20 % capture and the P-A intersection.

    ``area_scores`` defaults to the scores of the negative rows that sample the area:
    ``area_rows`` (one flag per row, the background cells drawn at random over the
    region), or every negative row when it is ``None`` (every negative a background cell).
    The area figures (:data:`AREA_FIGURES`) are shares of the study area; low-grade sample
    sites (``negatives: below_threshold`` or ``both``) are no area sample -- they lie where
    someone sampled -- so they are left out of the area axis, and without any area row
    those figures are NaN (``area_rows`` 0), not shares of sites read as shares of area.
    """
    y = np.asarray(y).ravel()
    s = np.asarray(scores, dtype="f8").ravel()
    ok = np.isfinite(s)
    sampled = None if area_rows is None else np.asarray(area_rows, bool).ravel()[ok]
    y, s = y[ok], s[ok]
    out: dict[str, float] = {"n": float(y.size), "n_positive": float((y > 0).sum())}
    if np.unique(y).size < 2:
        out.update(roc_auc=float("nan"), pr_auc=float("nan"))
        return out
    out["roc_auc"] = float(roc_auc_score(y, s))
    out["pr_auc"] = float(average_precision_score(y, s))
    out["prevalence"] = float(np.mean(y > 0))
    if area_scores is not None:
        area = np.asarray(area_scores, "f8")
    else:
        area = s[(y == 0) & (True if sampled is None else sampled)]
    if sampled is not None:
        out["area_rows"] = float(area.size)
    if area.size == 0:  # nothing samples the area: shares of it are unknown
        out.update({name: float("nan") for name in AREA_FIGURES})
        return out
    # out-of-fold scores: the area under the prediction-rate curve (Chung & Fabbri, 2003)
    out["prediction_rate_auc"] = success_rate_area(s[y > 0], area)
    out.update(top_area_capture(s[y > 0], area))
    out["pa_intersection_pct"] = prediction_area(s[y > 0], area)["intersection_occurrence_pct"]
    return out


def _pair_auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic: the share of (positive, negative) pairs the
    scores order correctly, a tie counting half.

    ``roc_auc_score``'s value (to the last bit or two: its trapezoids are summed in another
    order) without its input checks, which took ~8 ms a call: 1000 bootstrap replicates
    cost ~8 s of every train, ~0.1 s now.
    """
    neg = np.sort(neg)
    pairs = (np.searchsorted(neg, pos, side="left")
             + np.searchsorted(neg, pos, side="right")).sum()  # twice the ordered pairs
    return float(pairs / (2 * pos.size * neg.size))


def least_resampling_units(level: float = 0.95) -> int:
    """Fewest resampling units holding positives for a percentile bootstrap interval.

    A replicate draws ``k`` units among ``k`` with replacement; all ``k`` draws are one
    unit with probability ``k * k**-k = k**(1 - k)``. When that is at least the tail
    ``(1 - level) / 2``, the interval's ends are set by replicates holding the positives
    of a single unit: the interval is the range of the units' own ROC AUCs, not an
    interval of the pooled one. At 95 %: 2 units (1/2 of the replicates) and 3 (1/9) fall
    short, 4 (1/64 < 1/40) is the least. In SYNTHETIC clustered scores (30 blocks, 6
    positives each in ``k`` of them) the nominal 95 % interval covered the population ROC
    AUC in 60 % of 200 data sets with 2 blocks holding positives, 80 % with 3 and 86 % with 4.
    """
    tail = (1.0 - level) / 2.0
    k = 2
    while k ** (1 - k) >= tail:
        k += 1
    return k


def _too_few_units(k: int, what: str, one: str, level: float) -> str:
    """Why a percentile interval over ``k`` units ``what`` is left undefined."""
    least = least_resampling_units(level)
    return (f"only {k} {what}: a bootstrap replicate draws one of them {k} times with "
            f"probability {k ** (1 - k):.3g}, not below the {(1 - level) / 2:g} tail, so a "
            f"{100 * level:g} % percentile interval would span the ROC AUCs of {one} alone, "
            f"not an interval of the pooled ROC AUC; at least {least} are needed")


def least_replicates(level: float = 0.95) -> int:
    """Fewest bootstrap replicates whose percentile interval can be a ``level`` interval.

    The ends of a percentile interval are the replicates' ``(1 - level) / 2`` and
    ``(1 + level) / 2`` quantiles; below ``2 / (1 - level)`` replicates (40 at 95 %) no
    replicate lies beyond either end on average, and the quantiles are interpolated
    inside the range of the replicates, which covers ``(R - 1) / (R + 1)`` of their
    distribution on average (82 % for 10 replicates; one replicate gave an interval of
    no width, "0.812-0.812"), yet ``cv.bootstrap: 10`` was written as a 95 % interval.
    """
    return math.ceil(2.0 / (1.0 - level) - 1e-9)


def replicates_problem(n_boot: int, level: float = 0.95) -> str | None:
    """Why ``n_boot`` replicates cannot give a ``level`` percentile interval (0: none is
    asked for), or ``None``."""
    least = least_replicates(level)
    if 0 < n_boot < least:
        tail = (1.0 - level) / 2.0
        return (f"a {100 * level:g} % percentile interval's ends are the replicates' "
                f"{100 * tail:g} % and {100 * (1 - tail):g} % points, and among {n_boot} "
                f"replicate(s) fewer than one lies beyond each on average, so the ends would "
                f"be read between the lowest and highest replicates (narrower than "
                f"{100 * level:g} %; one replicate gives an interval of no width); give 0 (no "
                f"interval) or at least {least} (default 1000)")
    return None


def bootstrap_auc_ci(
    y: np.ndarray, scores: np.ndarray, *, n_boot: int = 1000, level: float = 0.95,
    seed: int = 0, blocks: np.ndarray | None = None,
) -> dict[str, Any]:
    """Percentile bootstrap interval of the ROC AUC.

    With ``blocks`` (the spatial CV block of each row), a stratified *block* bootstrap:
    each replicate draws whole blocks with replacement, as many as there are, the blocks
    holding a positive among themselves and the others among themselves (where every
    block holds a positive: those holding both classes apart from those of positives
    only), so that every replicate has positives, and negatives whenever the data have
    any (none is left out), and pools the rows of the blocks drawn. Spatially
    autocorrelated rows are not independent, and resampling them one by one makes the
    interval too narrow; resampling the blocks keeps each block's dependence inside the
    replicate (the moving/block bootstrap of Künsch 1989 and Lahiri 2003 for dependent
    data; blocks as the independent units of spatial CV, Roberts et al. 2017). Fewer
    than two blocks holding a positive leave the interval undefined (NaN). Without
    ``blocks``, rows are resampled independently (the positives and negatives
    separately).

    Returns
    -------
    dict
        ``low``, ``high``, ``level``, ``n_boot`` and ``unit`` (``"spatial_block"`` or
        ``"row"``: what was resampled); with blocks also ``n_units`` (blocks holding a
        scored row), ``n_units_with_positives``, ``n_boot_one_class`` (replicates
        without a negative, left out: none since the strata above) and, where the blocks
        of positives only were a stratum of their own, ``n_units_positives_only``.
    """
    problem = replicates_problem(n_boot, level)
    if problem:
        raise ValueError(f"n_boot = {n_boot}: {problem}")
    y = np.asarray(y).ravel()
    s = np.asarray(scores, "f8").ravel()
    ok = np.isfinite(s)
    y, s = y[ok], s[ok]
    if blocks is not None:
        return _block_bootstrap(y, s, np.asarray(blocks).ravel()[ok], n_boot=n_boot,
                                level=level, seed=seed)
    pos, neg = s[y > 0], s[y <= 0]
    least = least_resampling_units(level)
    if pos.size < max(2, least) or neg.size < 2:
        out = {"low": float("nan"), "high": float("nan"), "level": level, "n_boot": 0,
               "unit": "row"}
        if 2 <= pos.size < least:
            out["undefined_because"] = _too_few_units(
                int(pos.size), "positive rows", "single positives", level)
        return out
    rng = np.random.default_rng(seed)
    aucs = np.empty(n_boot)
    for b in range(n_boot):
        p = pos[rng.integers(0, pos.size, pos.size)]
        n = neg[rng.integers(0, neg.size, neg.size)]
        aucs[b] = _pair_auc(p, n)
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(aucs, [tail, 1.0 - tail])
    return {"low": float(lo), "high": float(hi), "level": level, "n_boot": n_boot,
            "unit": "row"}


def _block_bootstrap(y: np.ndarray, s: np.ndarray, blocks: np.ndarray, *, n_boot: int,
                     level: float, seed: int) -> dict[str, Any]:
    """The stratified block bootstrap of :func:`bootstrap_auc_ci`.

    A replicate is a count of draws per block; each row weighs its block's count, and the
    replicate's AUC is the Mann-Whitney pair count of the weighted rows (the AUC of the
    pooled rows of the blocks drawn, each copy of a block counted), from the positives'
    ranks among the sorted negatives, found once.
    """
    _, b = np.unique(blocks, return_inverse=True)
    b = b.ravel()
    n_units = int(b.max()) + 1 if b.size else 0
    pos = y > 0
    has_pos = np.bincount(b[pos], minlength=n_units) > 0
    has_neg = np.bincount(b[~pos], minlength=n_units) > 0
    with_pos, without = np.flatnonzero(has_pos), np.flatnonzero(~has_pos)
    # the blocks holding positives, drawn among themselves. Where every block holds a
    # positive (no stratum of negatives) and some hold no negative (a block of deposits
    # and no background or low-grade row), those holding both classes are a stratum of
    # their own: a replicate drawing only blocks of positives had no negative, was left
    # out, and the interval was read from the rest (up to 37 % of the replicates gone,
    # those drawing few blocks of negatives: the interval of another resampling)
    split = not without.size and (has_pos & ~has_neg).any() and (has_pos & has_neg).any()
    strata = ([np.flatnonzero(has_pos & has_neg), np.flatnonzero(has_pos & ~has_neg)]
              if split else [with_pos])

    def result(low: float, high: float, n: int, one_class: int) -> dict[str, Any]:
        out = {"low": low, "high": high, "level": level, "n_boot": n,
               "unit": "spatial_block", "n_units": n_units,
               "n_units_with_positives": int(with_pos.size), "n_boot_one_class": one_class}
        if len(strata) > 1:  # said by the report: the blocks of positives only apart
            out["n_units_positives_only"] = int(strata[1].size)
        return out

    if with_pos.size < 2 or (~pos).sum() < 2:
        return result(float("nan"), float("nan"), 0, 0)
    if with_pos.size < least_resampling_units(level):
        return {**result(float("nan"), float("nan"), 0, 0), "undefined_because":
                _too_few_units(int(with_pos.size), "spatial CV blocks holding positives",
                               "single blocks", level)}
    order = np.argsort(s[~pos], kind="stable")
    neg_s, neg_b = s[~pos][order], b[~pos][order]
    pos_s, pos_b = s[pos], b[pos]
    left = np.searchsorted(neg_s, pos_s, side="left")
    right = np.searchsorted(neg_s, pos_s, side="right")
    rng = np.random.default_rng(seed)
    aucs = np.full(n_boot, np.nan)
    cum = np.zeros(neg_s.size + 1)
    for r in range(n_boot):
        count = np.zeros(n_units)
        for stratum in strata:
            count += np.bincount(stratum[rng.integers(0, stratum.size, stratum.size)],
                                 minlength=n_units)
        if without.size:
            count += np.bincount(without[rng.integers(0, without.size, without.size)],
                                 minlength=n_units)
        wn, wp = count[neg_b], count[pos_b]
        total_n = wn.sum()
        if not total_n > 0:
            continue
        np.cumsum(wn, out=cum[1:])
        pairs = (wp * (cum[left] + cum[right])).sum()  # twice the ordered pairs
        aucs[r] = pairs / (2.0 * wp.sum() * total_n)
    done = aucs[np.isfinite(aucs)]
    if done.size == 0:
        return result(float("nan"), float("nan"), 0, n_boot)
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(done, [tail, 1.0 - tail])
    return result(float(lo), float(hi), int(done.size), int(n_boot - done.size))
