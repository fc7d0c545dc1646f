"""What a training run reports: headline metrics, curves, feature facts, limitations, the
model card and the facts behind ``metrics.json`` and the report.

Pure functions of the training set, the CV results and the config; writing them is the
caller's job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from prospect.config.model import ModelConfig
from prospect.features import FeatureSpec
from prospect.grid import RegionGrid
from prospect.models.cv import SpatialBlockCV
from prospect.models.evaluate import (
    FOLD_SPREAD_IS,
    CVResult,
    partial_dependence_curves,
    reliability,
    within_fold_rate_curve,
)
from prospect.models.metrics import bootstrap_auc_ci, capture_curve, prediction_area
from prospect.models.training import TrainingSet
from prospect.provenance import provenance_attr

__all__ = [
    "CORRELATED",
    "RELIABILITY_BY_AREA",
    "cell_area_warnings",
    "convergence_warnings",
    "correlated_features",
    "curves",
    "cv_warnings",
    "exclusion_facts",
    "feature_encoding",
    "feature_facts",
    "fill_warnings",
    "finite",
    "flat_warnings",
    "headline",
    "importance_warnings",
    "input_schema",
    "left_out_words",
    "limitations",
    "model_card",
    "model_warnings",
    "round_figure",
    "sample_size_warnings",
    "scale_facts",
    "separation_warnings",
    "spread_undefined",
    "spread_warnings",
    "training_facts",
    "without_data_layers",
]


CI_METHODS = {"spatial_block": "percentile bootstrap of spatial CV blocks",
              "row": "percentile bootstrap of rows"}
"""``cv_spatial_roc_auc_ci95_method`` by resampling unit (``bootstrap_ci['unit']``)."""


PR_AUC_IS = (
    "average precision (scikit-learn's average_precision_score: precision at each "
    "positive, weighted by the recall it adds; no interpolation); a model without skill "
    "scores the share of positives among the rows scored (..._pr_auc_no_skill), which "
    "model.labels.background_ratio sets, not the region's deposit density: compare it with "
    "that value, never with 0.5 or across background ratios")
"""What the headline's ``pr_auc`` figures are, said beside them (background negatives)."""

PR_AUC_OF_SITES = {
    "below_threshold": "the share of high-grade sites among the graded sample sites sets "
                       "(model.labels.negatives: below_threshold; no background cell is "
                       "drawn), not the region's deposit density: compare it with that "
                       "value, never with 0.5 or across other gradings",
    "both": "the graded sample sites and model.labels.background_ratio set, not the "
            "region's deposit density: compare it with that value, never with 0.5 or "
            "across background ratios",
}
"""What sets a PR AUC's no-skill level where the negatives are graded sites
(``model.labels.negatives``), not ``background_ratio`` alone."""


def pr_auc_is(negatives: str = "background") -> str:
    """:data:`PR_AUC_IS` for a model whose negatives are ``negatives``
    (``model.labels.negatives``): what sets the no-skill level said of its own rows."""
    if negatives not in PR_AUC_OF_SITES:
        return PR_AUC_IS
    head = PR_AUC_IS[:PR_AUC_IS.index("model.labels.background_ratio sets")]
    return head + PR_AUC_OF_SITES[negatives]


PREDICTION_RATE_IS = (
    "prediction_rate_auc pools the folds: every fold's held-out occurrences ranked against "
    "every fold's held-out background, each scored by its own fold's model, so it mixes "
    "the fold models' score scales (Forman & Scholz 2010); prediction_rate_auc_within_folds "
    "ranks each held-out occurrence against its own fold's held-out background only (the "
    "folds' own prediction-rate areas, Chung & Fabbri 2003, weighted by their "
    "occurrences), the figure one fold model over its own area gives; the top 5/10/20 % "
    "captures likewise (top5_capture pooled, top5_capture_within_folds within folds)")
"""What the two prediction-rate areas of the cross-validation are, said beside them."""

ROC_AUC_IS = (
    "roc_auc and pr_auc pool the folds: every fold's held-out occurrences ranked against "
    "every fold's held-out background, each scored by its own fold's model, so they mix "
    "the fold models' score scales (Forman & Scholz 2010); fold_roc_auc_mean and "
    "fold_pr_auc_mean are their within-fold figures, each fold model ranking its own "
    "held-out rows, averaged over the folds that hold both classes (the PR AUC's against "
    "fold_pr_auc_no_skill_mean, the folds' mean share of positives)")
"""What the pooled and the within-fold ROC and PR AUCs of the cross-validation are."""

RATE_GAP = 0.05
"""Pooled and within-fold prediction-rate areas further apart than this are warned of."""


def spread_undefined(scored: int) -> str:
    """Why the s.d. of the fold ROC AUCs is not given, ``scored`` folds having one."""
    return (f"{scored} fold{'' if scored == 1 else 's'} of the spatial CV "
            f"{'has' if scored == 1 else 'have'} a ROC AUC: a spread over folds needs two "
            "(one is no evidence of a steady figure); more positives, or fewer and larger "
            "folds (model.cv.n_splits, model.cv.block_size), give folds of both classes")


def headline(results: dict[str, CVResult], *, ci: dict[str, Any] | None = None,
             seeds: dict[str, Any] | None = None, n_splits: int | None = None,
             negatives: str = "background") -> dict[str, Any]:
    """The stage's headline metrics (Roberts et al., 2017: never one number from one seed).

    First the spatial-block fold-mean ROC AUC and its spread over folds, the bootstrap 95 %
    interval of the pooled out-of-fold ROC AUC (``ci``, :func:`bootstrap_auc_ci`; the
    blocks of the spatial CV resampled whole, named in ``..._ci95_method``) and the
    spread of the fold-mean over estimator seeds (``seeds``, from
    :func:`prospect.models.training.seed_spread`); then the pooled figures of each scheme
    (ROC and PR AUC, prediction-rate area), top-area captures and the positives.
    ``n_splits`` (``model.cv.n_splits``) is the number of folds asked for
    (``cv_folds_asked``), beside the folds each scheme ran (``cv_spatial_folds``,
    ``cv_random_folds``). ``negatives`` (``model.labels.negatives``) says what sets the
    PR AUC's no-skill level (``pr_auc_is``, :func:`pr_auc_is`).
    """
    out: dict[str, Any] = {}
    sm = results["spatial_block"].metrics
    for name in ("fold_roc_auc_mean", "fold_roc_auc_std"):
        out[f"cv_spatial_{name}"] = _round(sm.get(name))
    if n_splits is not None:
        out["cv_folds_asked"] = int(n_splits)
    out["cv_spatial_folds"] = int(sm.get("n_folds", 0))
    out["cv_spatial_folds_scored"] = int(sm.get("n_folds_scored", sm.get("n_folds", 0)))
    out["fold_roc_auc_std_is"] = FOLD_SPREAD_IS
    if out["cv_spatial_fold_roc_auc_std"] is None:  # one fold has no spread: unknown, not 0
        out["cv_spatial_fold_roc_auc_std_undefined_because"] = spread_undefined(
            out["cv_spatial_folds_scored"])
    if ci:
        out["cv_spatial_roc_auc_ci95_low"] = _round(ci.get("low"))
        out["cv_spatial_roc_auc_ci95_high"] = _round(ci.get("high"))
        out["cv_spatial_roc_auc_ci95_method"] = CI_METHODS.get(ci.get("unit", "row"), "")
        if ci.get("undefined_because"):  # too few units: said, not a range of one unit
            out["cv_spatial_roc_auc_ci95_undefined_because"] = ci["undefined_because"]
    if seeds:
        out["cv_spatial_seeds"] = len(seeds.get("seeds", []))
        out["cv_spatial_seed_fold_roc_auc_std"] = _round(seeds.get("std"))
        if seeds.get("std_undefined_because"):  # one seed has no spread: not 0, unknown
            out["cv_spatial_seed_fold_roc_auc_std_undefined_because"] = \
                seeds["std_undefined_because"]
        out["cv_spatial_seed_fold_roc_auc_min"] = _round(seeds.get("min"))
        out["cv_spatial_seed_fold_roc_auc_max"] = _round(seeds.get("max"))
    for scheme, key in (("spatial_block", "spatial"), ("random", "random")):
        if scheme not in results:
            continue
        m = results[scheme].metrics
        for name in ("roc_auc", "pr_auc", "prediction_rate_auc"):
            if name in m:
                out[f"cv_{key}_{name}"] = _round(m[name])
        if "prediction_rate_auc" in m and "prediction_rate_auc_within_folds" in m:
            out[f"cv_{key}_prediction_rate_auc_within_folds"] = \
                _round(m["prediction_rate_auc_within_folds"])
            out["prediction_rate_auc_is"] = PREDICTION_RATE_IS
        if "pr_auc" in m and "prevalence" in m:  # a PR AUC reads only against its no-skill
            # value, the share of positives among the rows scored (Saito & Rehmsmeier 2015)
            out[f"cv_{key}_pr_auc_no_skill"] = _round(m["prevalence"])
            out["pr_auc_is"] = pr_auc_is(negatives)
        if "roc_auc" in m and "fold_pr_auc_mean" in m:  # pooled and within-fold, named
            for name in ("fold_pr_auc_mean", "fold_pr_auc_no_skill_mean"):
                out[f"cv_{key}_{name}"] = _round(m[name])
            out["roc_auc_is"] = ROC_AUC_IS
        if scheme == "random":
            for name in ("fold_roc_auc_mean", "fold_roc_auc_std"):
                out[f"cv_random_{name}"] = _round(m.get(name))
            out["cv_random_folds"] = int(m.get("n_folds", 0))
    for name in ("top5_capture", "top10_capture", "top20_capture", "pa_intersection_pct"):
        if name in sm:
            out[name] = _round(sm[name])
        if name in sm and f"{name}_within_folds" in sm:
            out[f"{name}_within_folds"] = _round(sm[f"{name}_within_folds"])
    if sm.get("area_rows") == 0:  # no background cell: no share of the area is known
        out["cv_area_figures_undefined_because"] = AREA_UNDEFINED
    elif sm.get("area_rows"):  # the area sample the area figures rank, and how loosely
        out["cv_area_rows"] = int(sm["area_rows"])
        loose = area_sample_note(int(sm["area_rows"]))
        if loose:
            out["cv_area_figures_loose_because"] = loose
    out["n_positive"] = int(sm.get("n_positive", 0))
    return out


AREA_UNDEFINED = (
    "no background cell was drawn (model.labels.negatives: below_threshold): the prediction-"
    "rate area, the top 5/10/20 % captures and the P-A intersection are shares of the "
    "study area (Chung & Fabbri 2003), and the low-grade sample sites are no sample of it "
    "(they lie where someone sampled), so these figures are undefined here; use negatives: "
    "both for them, or read the score stage's success-rate figures over the whole map")
"""Why the area figures of the spatial CV are left undefined (headline and warning)."""


AREA_SHARES = (0.05, 0.10, 0.20)
"""The top shares of the area whose captures the headline reports."""


def area_sample_note(n: int) -> str | None:
    """Why the top-area captures read loosely on an area sample of ``n`` background
    cells, or ``None``.

    The area figures rank a sample of the area, not every cell (Chung & Fabbri 2003 rank
    the whole map): "the top 5 %" is the share above a cut-off among ``n`` cells, so the
    share of the *region* above that cut-off has the binomial standard error
    ``sqrt(f (1 - f) / n)``. Where that is more than half of ``f`` (``n`` below 76 for
    5 %, 36 for 10 %, 16 for 20 %: few positives at the default ``background_ratio``),
    the captures of those shares were printed as if exact; now said, with the error.
    """
    loose = [(f, math.sqrt(f * (1.0 - f) / n)) for f in AREA_SHARES if n > 0]
    loose = [(f, se) for f, se in loose if se > f / 2.0]
    if not loose:
        return None
    said = "the top " + ", the top ".join(
        f"{100 * f:g} %" + (" of it stands" if i == 0 else "") +
        f" for {100 * f:g} ± {100 * se:.2g} %" for i, (f, se) in enumerate(loose))
    return (f"the area figures rank {n} background cells, a sample of the area, not the "
            f"area: {said} of the region (binomial standard error of a share of {n} cells), "
            "so their captures and the P-A intersection read that loosely; draw more "
            "background (model.labels.background_ratio) for figures that hold")


def exclusion_facts(counts: dict[str, Any], *, units: str = "CRS units") -> dict[str, Any]:
    """The headline's note on area figures whose area sample lacks the ground around the
    positives (``background_exclusion``), from the training counts; ``{}`` without a
    zone. The background is the sample of the area the prediction-rate area, the top
    captures and the P-A intersection rank; a zone without background around the
    occurrences leaves out the cells that score highest, so "the top 10 % of the area"
    takes a lower cut-off than the whole area's and captures more: the figures read
    higher than over the whole region. ``units`` is the CRS's unit in the plural
    (:attr:`prospect.grid.RegionGrid.units`), as the zone's width is stated."""
    share = counts.get("background_exclusion_share")
    if not share:
        return {}
    return {"cv_area_figures_exclude": (
        f"the area figures (prediction-rate area, top 5/10/20 % captures, P-A intersection) "
        f"rank the background, which model.labels.background_exclusion "
        f"({counts.get('background_exclusion', 0):g} {units}) keeps off about "
        f"{100 * share:.3g} % of the region, the ground next to the positives where scores "
        "are highest: they are figures of the rest of the region and read higher than over "
        "all of it; set background_exclusion: 0 for figures of the whole area")}


def cv_warnings(metrics: dict[str, Any]) -> list[str]:
    """What makes the spatial-CV headline (:func:`headline`'s ``metrics``) less than it
    reads, in words: test folds of one class, which have no ROC AUC and are left out of
    the fold mean, and a fold mean outside the pooled ROC AUC's bootstrap interval (folds
    of a few positives each: a fold of one positive and one background cell scores 0 or 1).
    """
    out = []
    asked = metrics.get("cv_folds_asked")
    for key, what, why in (
            ("cv_spatial_folds", "spatial", "a fold without a training row of each class is "
             "refused, so a fold was left out"),
            ("cv_random_folds", "random", "stratified random folds need at least one "
             "positive and one background row in each, so there can be no more folds than "
             "the rarer class has rows")):
        ran = metrics.get(key)
        if asked and ran is not None and ran < asked:
            out.append(
                f"{what} CV: {ran} folds ran of the {asked} asked for (model.cv.n_splits): "
                f"{why} ({metrics.get('n_positive', 0)} positive cells); its figures are "
                f"{ran}-fold figures, each trained on about {100 * (ran - 1) / ran:.0f} % of "
                f"the rows instead of {100 * (asked - 1) / asked:.0f} %; add occurrences or "
                f"set model.cv.n_splits: {ran}")
    folds, scored = metrics.get("cv_spatial_folds", 0), metrics.get("cv_spatial_folds_scored", 0)
    mean, pooled = metrics.get("cv_spatial_fold_roc_auc_mean"), metrics.get("cv_spatial_roc_auc")
    shown = f"{pooled:.3f}" if pooled is not None else "undefined"
    if folds and scored < folds:
        out.append(
            f"spatial CV: {folds - scored} of {folds} test folds hold no positive (or no "
            f"background) and have no ROC AUC; the fold-mean ROC AUC is the mean of the other "
            f"{scored}" + (f" ({mean:.3f})" if mean is not None else "") + f", the pooled "
            f"out-of-fold ROC AUC ({shown}) counts every fold; more positives, or fewer and "
            "larger folds (model.cv.n_splits, model.cv.block_size), make both steadier")
    undefined = metrics.get("cv_spatial_roc_auc_ci95_undefined_because")
    if undefined:
        out.append(f"spatial CV: the pooled out-of-fold ROC AUC ({shown}) has no bootstrap "
                   f"95 % interval: {undefined}; its spread is unknown (add occurrences in more "
                   "places)")
    low, high = (metrics.get("cv_spatial_roc_auc_ci95_low"),
                 metrics.get("cv_spatial_roc_auc_ci95_high"))
    if mean is not None and low is not None and high is not None and not low <= mean <= high:
        out.append(
            f"spatial CV: the fold-mean ROC AUC {mean:.3f} lies outside the pooled "
            f"out-of-fold ROC AUC's bootstrap 95 % interval ({low:.3f} to {high:.3f}): the "
            "folds disagree (too few positives in each to rank); read the pooled ROC AUC "
            f"({shown}) and treat the skill as unknown")
    rate, within = (metrics.get("cv_spatial_prediction_rate_auc"),
                    metrics.get("cv_spatial_prediction_rate_auc_within_folds"))
    if rate is not None and within is not None and abs(rate - within) > RATE_GAP:
        out.append(
            f"spatial CV: the pooled prediction-rate area ({rate:.3f}) and the within-fold "
            f"one ({within:.3f}) differ by {abs(rate - within):.3f}: pooling ranks one "
            "fold's occurrences against the other folds' background, scored by other fold "
            "models whose scores need not share a scale; read the within-fold figure (each "
            "occurrence against its own fold's area; per fold in metrics.json), and the "
            "pooled ROC AUC and top-area captures (their within-fold figures: the fold-mean "
            "ROC AUC, top*_capture_within_folds) with the same doubt")
    if metrics.get("cv_area_figures_undefined_because"):
        out.append(f"spatial CV: {metrics['cv_area_figures_undefined_because']}")
    if metrics.get("cv_area_figures_loose_because"):
        out.append(f"spatial CV: {metrics['cv_area_figures_loose_because']}")
    if metrics.get("cv_area_figures_exclude"):
        out.append(f"spatial CV: {metrics['cv_area_figures_exclude']}")
    return out


def model_warnings(final: BaseEstimator, names: list[str]) -> list[str]:
    """What the fitted model ``final`` leaves out, in words: weights-of-evidence layers
    without a defined weight add nothing to the posterior (with none left the map was the
    prior in every cell, reported only as "no skill", exit 0), and categorical classes
    without a deposit, which weigh 0 and so outrank classes whose weight is negative."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    model = final.steps[-1][1] if isinstance(final, Pipeline) else final
    if not isinstance(model, WeightsOfEvidenceClassifier):
        return []
    lines = [_barren_line(b) for b in model.barren_classes(names)]
    lines += [_saturated_line(b) for b in model.saturated_classes(names)]
    lines += [_empty_groups_line(e) for e in model.empty_groups(names)]
    absent = model.layers_without_evidence(names)
    lines += [_no_evidence_line(a, model.n_deposits_) for a in absent]
    told = {a["feature"] for a in absent}  # no cut-off or type helps these: said so
    outside = [t for t in model.thresholds_outside(names) if t["feature"] not in told]
    left_out = model.layers_left_out(names)
    lines += [_threshold_outside_line(t) for t in outside]
    told |= {t["feature"] for t in outside}
    out = [n for n in left_out if n not in told]
    if told and not out and len(left_out) == len(names):
        lines[-1] += "; no layer is left: the map is the prior, one value in every cell"
    if out:
        every = len(left_out) == len(names)
        lines.append(
            f"weights of evidence: {'every layer' if len(out) == len(names) else 'layer(s)'}"
            f" {out} ha"
            f"{'s' if len(out) == 1 else 've'} no defined weight (no cut-off or class leaves "
            "deposits and area on both sides of its pattern: W+ or W- is ln 0, Bonham-Carter "
            "1994) and add nothing to the posterior"
            + ("; the map is the prior, one value in every cell" if every else "")
            + "; set model.params.evidence.<layer>.type (categorical classes) or .threshold, "
            "or check the layer against the occurrences (a layer drawn from them leaks)")
    return lines


def _no_evidence_line(found: Mapping[str, Any], deposits: float) -> str:
    """The line of a weights-of-evidence layer left out for a reason no type, cut-off or
    grouping changes (:meth:`~prospect.models.woe.WeightsOfEvidenceClassifier.
    layers_without_evidence`): it names the layer's extent or values, not those settings."""
    name, reason = found["feature"], found["reason"]
    if reason == "no_data":
        where = "has no data at any training cell (nodata everywhere): it has nothing to weigh"
        fix = "check the layer's extent and nodata"
    elif reason == "no_deposit":
        where = (f"has data at none of the {deposits:g} deposit(s): every one lies on its "
                 f"gaps (nodata), and its {found['area_known']:.6g} unit cells with data "
                 "hold none, so N(D) = 0 where it has evidence")
        fix = ("check its extent and nodata against the occurrences (metrics.json: "
               "labels.positives_on_gaps)")
    else:
        where = (f"holds one value ({found['value']:g}) at every training cell where it has "
                 "data: its only pattern is the whole area, which is no evidence")
        fix = "check the layer"
    return (f"weights of evidence: layer {name!r} {where}; none of its weights is defined, "
            "whatever its type, cut-off or groups (Bonham-Carter 1994 weighs each layer "
            "where it has data), and it adds nothing to the posterior; "
            f"{fix}, or leave it out of model.features")


def _empty_groups_line(found: Mapping[str, Any]) -> str:
    """The line of a categorical layer whose evidence groups hold none of its classes
    (:meth:`~prospect.models.woe.WeightsOfEvidenceClassifier.empty_groups`)."""
    name = found["feature"]
    groups = "; ".join(f"{g} [{_codes(codes)}]" for g, codes in found["groups"].items())
    return (f"weights of evidence: model.params.evidence.{name}.groups: {groups} hold(s) "
            f"none of the classes layer {name!r} has at the training cells "
            f"({_codes(found['codes'])}), so such a group is empty and weighs nothing, "
            "and the classes it was meant for are in 'other'; list the cube's class codes "
            "(its legend: the variable's flag_values and flag_meanings), not the source "
            "file's own")


def _threshold_outside_line(found: Mapping[str, Any]) -> str:
    """The line of a layer whose manual weights-of-evidence cut-off leaves every training
    cell on one side (:meth:`~prospect.models.woe.WeightsOfEvidenceClassifier.
    thresholds_outside`)."""
    name, t = found["feature"], found["threshold"]
    low, high = found["low"], found["high"]
    sign = "<=" if found["kind"] == "ascending" else ">="
    where = ("above every value" if t > high else "below every value" if t < low
             else "at an end of the values")
    holds = "no cell" if found["pattern"] == "empty" else "every cell"
    return (f"weights of evidence: model.params.evidence.{name}.threshold = {t:g} lies "
            f"{where} of layer {name!r} at the training cells ({low:.4g} to {high:.4g}): "
            f"its pattern {name} {sign} {t:g} holds {holds}, so neither weight is defined "
            "and the layer adds nothing to the posterior; give a threshold between "
            f"{low:.4g} and {high:.4g}, in the layer's units (not another unit or a "
            "percentage), or leave it out to choose the cut-off from the data")


SEPARATION_EPS = 10 * float(np.finfo("f8").eps)
"""A fitted probability within this of 0 or 1 is numerically 0 or 1 (R's ``glm.fit``)."""


def separation_warnings(final: BaseEstimator, X: np.ndarray, y: np.ndarray) -> list[str]:
    """A line when a logistic regression's fitted probabilities are numerically 0 or 1 at
    training rows, as R's ``glm.fit`` warns ("fitted probabilities numerically 0 or 1
    occurred"): the classes are (quasi-)separated (Albert & Anderson 1984), the
    maximum-likelihood coefficients grow without bound and only the penalty holds them,
    so with a weak penalty (``model.params.C`` large) the map is a step of 0s and 1s
    that read as certainties, without a warning from scikit-learn.

    Parameters
    ----------
    final
        The fitted model (a pipeline or classifier).
    X, y
        The training rows and their labels.
    """
    from sklearn.linear_model import LogisticRegression

    model = final.steps[-1][1] if isinstance(final, Pipeline) else final
    if not isinstance(model, LogisticRegression) or len(X) == 0:
        return []
    p = np.asarray(final.predict_proba(X))[:, 1]
    extreme = int(((p <= SEPARATION_EPS) | (p >= 1.0 - SEPARATION_EPS)).sum())
    if not extreme:
        return []
    y = np.asarray(y)
    pos, neg = p[y == model.classes_[1]], p[y != model.classes_[1]]
    complete = bool(pos.size and neg.size and pos.min() > neg.max())
    coef = float(np.abs(model.coef_).max()) if getattr(model, "coef_", None) is not None \
        else float("nan")
    return [f"logistic regression: {extreme} of {len(p)} training cells have fitted "
            "probabilities numerically 0 or 1 (as R's glm.fit warns), the largest "
            f"coefficient is {coef:.3g} per unit of its (scaled) feature"
            + (" and the score separates the training classes completely" if complete else
               " (quasi-complete separation, or extreme feature values)")
            + ": the likelihood has no finite maximum there, only the penalty "
            f"(model.params.C = {model.C:g}) bounds the coefficients, and the map's 0s and "
            "1s are no probabilities; keep the penalty (C: 1.0, the default, or lower) and "
            "check for a layer drawn from the occurrences (a leak)"]


def spread_warnings(final: BaseEstimator, X: np.ndarray) -> list[str]:
    """A line when the uncertainty of ``final`` (the spread of its members) is 0 at every
    training row: its members are one model repeated (a random forest without bootstrap
    whose splits see every column, members given one sample), so the uncertainty map would
    read "certain" in every cell.

    Parameters
    ----------
    final
        The fitted model (a pipeline or classifier).
    X
        The training rows.
    """
    from prospect.models.uncertainty import predict_with_uncertainty

    model = final.steps[-1][1] if isinstance(final, Pipeline) else final
    members = getattr(model, "estimators_", None)
    if not isinstance(members, list) or len(members) < 2 or len(X) == 0:
        return []
    _, s = predict_with_uncertainty(final, X)
    if not np.isfinite(s).any() or float(np.nanmax(s)) > 0.0:
        return []
    return [f"uncertainty: the {len(members)} members of {type(model).__name__} give the same "
            f"probability at every one of the {len(X)} training cells (their spread is 0): "
            "they are one model repeated, so the uncertainty map reads 0 (certain) where "
            "nothing is known of the spread; let the members differ (bootstrap: true, "
            "max_features below 1.0) or do not read the uncertainty map"]


def convergence_warnings(final: BaseEstimator) -> list[str]:
    """A line when the fitted logistic regression or MLP (each bagged member) stopped at
    ``max_iter`` before its optimiser converged (scikit-learn's ``ConvergenceWarning``,
    which the fits no longer print raw: :func:`~prospect.models.evaluate.
    convergence_said_later`): its weights, and so the map, are not the fit the data give.

    Parameters
    ----------
    final
        The fitted model (a pipeline or classifier).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    model = final.steps[-1][1] if isinstance(final, Pipeline) else final
    members = getattr(model, "estimators_", None)
    fits = list(members) if isinstance(members, list) else [model]
    fits = [m for m in fits if isinstance(m, LogisticRegression | MLPClassifier)]
    stopped = [m for m in fits if int(np.max(getattr(m, "n_iter_", 0))) >= int(m.max_iter)]
    if not stopped:
        return []
    name, limit = type(stopped[0]).__name__, int(stopped[0].max_iter)
    solver = getattr(stopped[0], "solver", "")
    return [f"model: {len(stopped)} of the {len(fits)} {name} fit(s) of the final model "
            f"stopped at max_iter = {limit} before the {solver} optimiser converged "
            "(scikit-learn's ConvergenceWarning): the weights, and so the map, are not yet "
            f"the fit the data give; raise model.params.max_iter (e.g. {limit * 5}), or "
            "check the layers' scales and the penalty (C, alpha)"]


def fill_warnings(X: np.ndarray, names: list[str],
                  categorical: list[int] | tuple[int, ...] = (), *,
                  taken: Mapping[str, Any] | None = None) -> list[str]:
    """A line per continuous feature whose training rows hold a common fill value not
    declared as its layer's nodata (-9999, -32768, 65535: :func:`~prospect.registry.
    applicability.fills_among`) far outside the other rows' values.

    A fill of 1e30 or more is no data in the feature stack; one below that (-9999 on a few
    cells of a layer of 0..1) entered training as evidence without a word: the model
    fitted it (a logistic regression's slope, a tree's split) and the training range
    recorded for scoring (the schema's ``training``) held it, so a cube with the same fill
    was compared as inside the range. The train stage now takes such values as no data
    (:func:`~prospect.models.training.read_training_set`), as the map does; ``taken`` is
    its record of them, said first.

    Parameters
    ----------
    X
        The training rows; column ``i`` is ``names[i]``.
    names
        The feature names.
    categorical
        Indices of class-code columns (not checked: a code is no measurement).
    taken
        ``TrainingSet.counts["training_rows_on_fills"]``: per cube variable, the fills
        taken as no data (``values``: value to rows), ``rows``, ``positives``, the other
        rows' range (``min``, ``max``) and what became of the rows (``kept``).
    """
    from prospect.registry.applicability import fills_among

    lines = [_taken_fill_line(name, f) for name, f in (taken or {}).items()]
    for j, name in enumerate(names):
        if j in categorical or j >= X.shape[1]:
            continue
        found, lo, hi = fills_among(X[:, j])
        if not found:
            continue
        said = ", ".join(f"{v:.10g} ({n} row(s))" for v, n in found.items())
        first = next(iter(found))
        lines.append(f"train: feature {name!r}: {sum(found.values())} of the "
                     f"{int(np.isfinite(np.asarray(X[:, j], 'f8')).sum())} "
                     f"training rows hold {said}, a common fill value far outside the other "
                     f"rows' values ({lo:.4g} to {hi:.4g}), "
                     "not declared as the layer's nodata: the model learnt it as evidence, "
                     "and scoring takes it as inside the training range; declare it as the "
                     f"source's nodata (nodata: {first:.10g}), ingest again and retrain")
    return lines


def _taken_fill_line(name: str, found: Mapping[str, Any]) -> str:
    """The line for cube variable ``name`` whose training rows held common fills, taken as
    no data (:func:`fill_warnings`' ``taken``)."""
    values = dict(found["values"])
    said = ", ".join(f"{v} ({n} row(s))" for v, n in values.items()) if len(values) > 1 \
        else next(iter(values))
    kept = ("kept without that layer (weights of evidence: W = 0 there, as the map scores "
            "such a cell)" if found.get("kept") else
            "left out of training and of every skill figure (the map leaves such cells "
            "unscored)")
    return (f"training rows: cube variable {name!r} holds {said} at {found['rows']} of them "
            f"({found['positives']} positive), a common fill value far outside the other "
            f"rows' values ({float(found['min']):.4g} to {float(found['max']):.4g}), not "
            "declared as the layer's nodata: taken as no data, as the map takes such cells, "
            f"not learnt as evidence; those rows are {kept}; declare it as the source's "
            f"nodata (nodata: {next(iter(values))}) and ingest again")


def flat_warnings(final: BaseEstimator, X: np.ndarray) -> list[str]:
    """A line when ``final`` gives one probability at every training row: whatever the
    layers say, the map is one value in every cell.

    Parameters scikit-learn takes without a word make such a model: a forest's
    ``min_samples_leaf`` or ``min_impurity_decrease`` too large for any split (every tree
    a leaf), a whole-number ``max_samples`` of a few rows. The spatial CV then read "no
    skill" (ROC AUC 0.5) and train ended 0 with a published map of one value, without a
    word. Only one value exactly: a model whose probabilities differ by little still ranks
    the cells (a logistic regression of ``C: 1e-12`` ranks them as one of ``C: 1``).
    Weights of evidence says it in its own words (:func:`model_warnings`: the map is the
    prior).

    Parameters
    ----------
    final
        The fitted model (a pipeline or classifier).
    X
        The training rows.
    """
    from sklearn.ensemble import BaggingClassifier

    from prospect.models.uncertainty import predict_with_uncertainty
    from prospect.models.woe import WeightsOfEvidenceClassifier

    model = final.steps[-1][1] if isinstance(final, Pipeline) else final
    if isinstance(model, WeightsOfEvidenceClassifier) or len(X) < 2:
        return []
    p, _ = predict_with_uncertainty(final, X)
    p = p[np.isfinite(p)]
    if p.size < 2 or float(np.ptp(p)) > 0.0:
        return []
    inner = getattr(model, "estimator", None)  # bagged for its uncertainty: name the model
    name = type(inner if isinstance(model, BaggingClassifier) and inner is not None
                else model).__name__
    return [f"model: {name} gives the same probability ({float(p[0]):.4g}) at every one of "
            f"the {p.size} training cells it scores: it learnt nothing from the layers, so "
            "the map is one value in every cell; check model.params for limits that leave "
            "no split or weight (min_samples_leaf, min_impurity_decrease, max_samples, "
            "alpha) and the layers against the labels"]


UNEQUAL_CELLS = 0.01
"""Spread of the cells' areas on the ground across the training rows (largest over least,
less 1) from which :func:`cell_area_warnings` says that weights of evidence counted them
as one size (a UTM zone's own scale spreads 0.2 % at most)."""


def _ground_factors(coords: np.ndarray, grid: RegionGrid
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's cell area on the ground relative to the grid's nominal cell (``cos(lat)``
    on a grid in degrees, the inverse areal scale of a projection), its longitude and its
    latitude."""
    from pyproj import Proj, Transformer

    crs = grid.crs_obj
    to_lonlat = Transformer.from_crs(crs, crs.geodetic_crs or "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(coords[:, 0], coords[:, 1])
    lon, lat = np.asarray(lon, "f8"), np.asarray(lat, "f8")
    if crs.is_geographic:
        return np.cos(np.radians(lat)), lon, lat
    factors = Proj(crs).get_factors(lon, lat, errcheck=False)
    return 1.0 / np.asarray(factors.areal_scale, "f8"), lon, lat


def _ground_area_km2(x: float, y: float, grid: RegionGrid) -> float:
    """Area on the ground (km², on the ellipsoid) of the cell of ``grid`` centred at ``x``,
    ``y``."""
    from pyproj import Geod, Transformer

    crs = grid.crs_obj
    geodetic = crs.geodetic_crs or crs
    half = grid.resolution / 2
    xs = [x - half, x + half, x + half, x - half]
    ys = [y - half, y - half, y + half, y + half]
    lon, lat = Transformer.from_crs(crs, geodetic, always_xy=True).transform(xs, ys)
    ellipsoid = geodetic.ellipsoid
    geod = Geod(a=ellipsoid.semi_major_metre, b=ellipsoid.semi_minor_metre) \
        if ellipsoid is not None else Geod(ellps="WGS84")
    area, _ = geod.polygon_area_perimeter(lon, lat)
    return abs(float(area)) / 1e6


def _latitude(lat: float) -> str:
    return f"{abs(lat):.3g}°{'N' if lat >= 0 else 'S'}"


def cell_area_warnings(final: BaseEstimator, coords: np.ndarray, grid: RegionGrid
                       ) -> list[str]:
    """Weights of evidence on a grid whose cells differ in area on the ground.

    Bonham-Carter (1994, ch. 9) measures every area (a pattern's ``N(B)``, the study
    area ``N(T)``, hence the weights and the prior) in unit cells of one size, and Prospect
    counts each cell as the same number of unit cells. A grid in degrees (EPSG:4326) has
    cells whose area shrinks with the cosine of latitude (7.5 % between 8.6°N and 23.4°N,
    Vietnam's span), Web Mercator's with its square: the areas, weights and prior came out
    off by as much, said nowhere (the card named a unit cell in "square degrees"). ArcSDM
    requires a projected map for the same reason.

    Parameters
    ----------
    final
        The fitted model (weights of evidence alone, or a pipeline ending in it).
    coords
        The training rows' cell centres in the grid's CRS (x, y).
    grid
        The region's grid.

    Returns
    -------
    list of str
        One line where the cells' ground areas across the rows spread by more than
        :data:`UNEQUAL_CELLS`, else none.
    """
    from pyproj.exceptions import CRSError, ProjError

    from prospect.models.woe import WeightsOfEvidenceClassifier

    model = final.steps[-1][1] if isinstance(final, Pipeline) else final
    if not isinstance(model, WeightsOfEvidenceClassifier) or not len(coords):
        return []
    try:
        factor, lon, lat = _ground_factors(np.asarray(coords, "f8"), grid)
    except (CRSError, ProjError, ValueError):  # a CRS without a known relation to the ground
        return []
    ok = np.isfinite(factor) & (factor > 0)
    if not ok.any():
        return []
    low, high = (int(np.flatnonzero(ok)[np.argmin(factor[ok])]),
                 int(np.flatnonzero(ok)[np.argmax(factor[ok])]))
    spread = float(factor[high] / factor[low] - 1.0)
    if spread <= UNEQUAL_CELLS:
        return []
    try:
        small = _ground_area_km2(float(coords[low, 0]), float(coords[low, 1]), grid)
        large = _ground_area_km2(float(coords[high, 0]), float(coords[high, 1]), grid)
    except (CRSError, ProjError, ValueError):  # as above
        return []
    epsg = grid.crs_obj.to_epsg()
    what = "a grid in degrees" if grid.crs_obj.is_geographic else "a projection whose " \
        "cells are not of one area on the ground"
    return [
        f"weights of evidence: the cells of region {grid.name!r} "
        f"({f'EPSG:{epsg}' if epsg else grid.crs_obj.name}, {what}) differ in area on the "
        f"ground across the training cells, from {small:.4g} km² at {_latitude(lat[low])} "
        f"to {large:.4g} km² at {_latitude(lat[high])} ({(large / small - 1) * 100:.3g} % "
        "apart), but "
        "weights of evidence counts every cell as the same number of unit cells "
        "(Bonham-Carter 1994 measures areas in unit cells of one size): the areas of its "
        "patterns, its weights and its prior are off by as much; train it on a region in a "
        f"projected CRS whose cells are of one area on the ground (the area's UTM zone: "
        f"{_utm_zone(lon, lat)})"]


def _utm_zone(lon: np.ndarray, lat: np.ndarray) -> str:
    """The WGS 84 UTM zone of the middle of the rows, as ``EPSG:32648 (UTM 48N)``."""
    from prospect.config.region import utm_epsg

    mid_lat = float((np.nanmin(lat) + np.nanmax(lat)) / 2)
    code = utm_epsg(float((np.nanmin(lon) + np.nanmax(lon)) / 2), mid_lat)
    return f"EPSG:{code} (UTM {code % 100}{'N' if mid_lat >= 0 else 'S'})"


def _barren_line(b: dict[str, Any]) -> str:
    """A categorical layer's classes without a deposit outranking classes with deposits
    (:meth:`~prospect.models.woe.WeightsOfEvidenceClassifier.barren_classes`), in words."""
    outranked = ", ".join(f"{_codes([o['class']])} (W+ {o['w_plus']:.3f}, "
                          f"{o['deposits']:g} deposits)" for o in b["outranks"])
    return (f"weights of evidence: layer {b['feature']!r}: class(es) {_codes(b['classes'])} "
            f"hold no deposit ({b['area']:.6g} unit cells), so W+ is ln 0, undefined, and "
            "weighs 0 (the prior: Bonham-Carter 1994, ArcSDM); their cells therefore score "
            f"above those of class(es) {outranked}, which hold deposits; group the barren "
            f"classes with like ones (model.params.evidence.{b['feature']}.groups), as ArcSDM "
            "generalizes classes of low confidence into one")


def _saturated_line(b: dict[str, Any]) -> str:
    """A categorical layer's classes whose every unit cell holds a deposit
    (:meth:`~prospect.models.woe.WeightsOfEvidenceClassifier.saturated_classes`), in
    words."""
    above = ", ".join(f"{_codes([o['class']])} (W+ {o['w_plus']:.3f})"
                      for o in b["outranked_by"])
    return (f"weights of evidence: layer {b['feature']!r}: class(es) {_codes(b['classes'])} "
            f"hold a deposit in every unit cell ({b['deposits']:g} deposit(s) in "
            f"{b['area']:.6g} unit cells), so N(B & ~D) = 0 and W+ is infinite, undefined: "
            "it weighs 0 (the prior), the strongest evidence taken as none"
            + (f", and their cells score below those of class(es) {above}" if above else "")
            + f"; group them with like classes (model.params.evidence.{b['feature']}.groups)"
            ", or give a smaller model.params.unit_cell_area so that the class holds cells "
            "without a deposit")


def _codes(classes: list[Any]) -> str:
    """Class codes as written in a config (``3``, not ``3.0``), group names as they are."""
    return ", ".join(f"{c:g}" if isinstance(c, float) else str(c) for c in classes)


CORRELATED = 0.9
"""Two features whose Spearman or Pearson correlation on the training rows reaches this
(in absolute value) share their permutation importance, and the report says so."""


def correlated_features(X: np.ndarray, names: list[str],
                        categorical: list[int] | None = None) -> list[dict[str, Any]]:
    """The pairs of continuous features correlated at :data:`CORRELATED` or more on the
    training rows ``X`` (Spearman or Pearson, each pair on the rows where both are set),
    strongest first: ``[{"features": [a, b], "spearman": r, "pearson": r, "n": rows}]``;
    and the pairs of ``categorical`` features associated at :data:`CORRELATED` or more
    (Cramér's V), ``{"features": [a, b], "spearman": None, "pearson": None,
    "cramers_v": v, "n": rows}``.

    Permutation importance shuffles one column at a time: the model still reads a shuffled
    layer's information from its correlated twin, so the pair's importance is split between
    them and each understates it (scikit-learn's user guide, "misleading values on strongly
    correlated features"); it went unsaid. A geology map given twice (as unit codes and
    as lithology codes of the same polygons) was left out as categorical, its importance
    split between the two copies unsaid: a correlation of codes means nothing, but
    Cramér's V of their contingency table (1 for one class of each per class of the
    other) says the same sharing. A categorical layer beside a continuous one that its
    classes set (a geology map beside a raster of its unit codes, or of a property given
    per unit, read as continuous) was sought by neither: their correlation ratio
    (:func:`_class_explained`) says it, ``{"features": [classes, values], "spearman":
    None, "pearson": None, "correlation_ratio": eta, "n": rows}``.
    """
    import pandas as pd

    skip = set(categorical or ())
    cols = [j for j in range(len(names)) if j not in skip]
    kinds = sorted(j for j in skip if j < len(names))
    classed = _associated_classes(X, names, kinds) + _class_explained(X, names, kinds, cols)
    if len(cols) < 2 or X.shape[0] < 3:
        return classed
    frame = pd.DataFrame(np.asarray(X, dtype="f8")[:, cols], columns=[names[j] for j in cols])
    frame = frame.loc[:, frame.nunique(dropna=True) > 1]  # constant: no correlation
    pearson, spearman = frame.corr("pearson"), frame.corr("spearman")
    count = frame.notna().astype("f8").T @ frame.notna().astype("f8")
    pairs = []
    for i, a in enumerate(frame.columns):
        for b in frame.columns[i + 1:]:
            p, r = float(pearson.loc[a, b]), float(spearman.loc[a, b])
            strongest = max(abs(v) for v in (p, r) if np.isfinite(v)) \
                if np.isfinite(p) or np.isfinite(r) else 0.0
            if strongest >= CORRELATED:
                pairs.append({"features": [a, b], "spearman": _round(r), "pearson": _round(p),
                              "n": int(count.loc[a, b])})
    return sorted(pairs + classed, key=lambda d: -max(
        abs(d["spearman"] or 0.0), abs(d["pearson"] or 0.0), d.get("cramers_v") or 0.0,
        d.get("correlation_ratio") or 0.0))


def _associated_classes(X: np.ndarray, names: list[str], cols: list[int]
                        ) -> list[dict[str, Any]]:
    """The pairs of categorical columns ``cols`` of ``X`` whose Cramér's V (Cramér 1946:
    ``sqrt(chi2 / (n * (min(r, c) - 1)))`` of their contingency table, no bias
    correction) reaches :data:`CORRELATED`, on the rows where both are set; a column of
    one class has no association."""
    pairs: list[dict[str, Any]] = []
    data = np.asarray(X, dtype="f8")
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            both = np.isfinite(data[:, a]) & np.isfinite(data[:, b])
            va, ia = np.unique(data[both, a], return_inverse=True)
            vb, ib = np.unique(data[both, b], return_inverse=True)
            k, n = min(va.size, vb.size) - 1, int(both.sum())
            if k < 1 or n < 3:
                continue
            table = np.zeros((va.size, vb.size))
            np.add.at(table, (ia.ravel(), ib.ravel()), 1.0)
            expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
            chi2 = float(np.sum((table - expected) ** 2 / expected))
            v = min(math.sqrt(chi2 / (n * k)), 1.0)
            if v >= CORRELATED:
                pairs.append({"features": [names[a], names[b]], "spearman": None,
                              "pearson": None, "cramers_v": _round(v), "n": n})
    return pairs


def _class_explained(X: np.ndarray, names: list[str], classes: list[int],
                     values: list[int]) -> list[dict[str, Any]]:
    """The pairs of a categorical column (of ``classes``) and a continuous one (of
    ``values``) whose correlation ratio reaches :data:`CORRELATED`, on the rows where both
    are set.

    The correlation ratio (Pearson 1903; eta, ``sqrt`` of the between-class sum of squares
    over the total) is 1 where the classes set the values (a raster of the map's unit
    codes, or of a property given per unit), 0 where every class has the same mean. Eta
    squared of ``k`` classes over ``n`` rows of unrelated values is about ``(k - 1) /
    (n - 1)``, so a pair is sought only where the rows are at least twice the classes
    (each row its own class makes any column "explained"); a column of one class or of one
    value has no association.
    """
    pairs: list[dict[str, Any]] = []
    data = np.asarray(X, dtype="f8")
    for c in classes:
        for j in values:
            both = np.isfinite(data[:, c]) & np.isfinite(data[:, j])
            codes, inverse = np.unique(data[both, c], return_inverse=True)
            v, n = data[both, j], int(both.sum())
            if codes.size < 2 or n < 3 or n < 2 * codes.size:
                continue
            total = float(np.sum((v - v.mean()) ** 2))
            if not total > 0:
                continue
            inverse = inverse.ravel()
            sums = np.bincount(inverse, weights=v, minlength=codes.size)
            counts = np.bincount(inverse, minlength=codes.size)
            between = float(np.sum(sums ** 2 / counts) - v.sum() ** 2 / n)
            eta = math.sqrt(min(max(between / total, 0.0), 1.0))
            if eta >= CORRELATED:
                pairs.append({"features": [names[c], names[j]], "spearman": None,
                              "pearson": None, "correlation_ratio": _round(eta), "n": n})
    return pairs


def sample_size_warnings(n_positive: int, features: list[str], estimator: str) -> list[str]:
    """A line when the model has more input features than positive cells to fit them on.

    With fewer occurrences than features a learner can tell each occurrence apart by some
    feature of its own (a logistic regression needs about 10 positives per feature,
    Peduzzi et al. 1996; below one, every learner fits noise), and its CV figures rest on
    a handful of held-out occurrences: the model trained, scored and reported without a
    word. Weights of evidence is left out: it weighs each layer on its own counts
    (Bonham-Carter 1994), and its conditional-independence test reads the layers together.

    Parameters
    ----------
    n_positive
        Positive cells of the training set.
    features
        The model's input features (focal statistics included).
    estimator
        ``model.estimator``.
    """
    if estimator == "weights_of_evidence" or n_positive >= len(features) or n_positive <= 0:
        return []
    return [f"model: {len(features)} features for {n_positive} positive cells, fewer "
            f"occurrences than features ({n_positive / len(features):.2g} per feature; a "
            "logistic regression needs about 10, Peduzzi et al. 1996): the model can tell "
            "each occurrence apart by some feature of its own, so its map fits noise and "
            f"its CV figures rest on {n_positive} held-out occurrences; use fewer features "
            "(model.features: the layers known to matter for the deposit type) or add "
            "occurrences"]


def importance_warnings(facts: dict[str, Any]) -> list[str]:
    """The strongly correlated feature pairs (:func:`correlated_features`, in ``facts``) of
    a run that reports permutation importance, in words."""
    pairs = facts.get("correlated_features") or []
    importance = ((facts.get("cv") or {}).get("spatial_block") or {}).get("importance")
    if not pairs or not importance:
        return []
    shown = "; ".join(
        f"{d['features'][0]!r} and {d['features'][1]!r} "
        + (f"(classes: Cramér's V {_r(d['cramers_v'])})" if "cramers_v" in d else
           f"(values by the classes: correlation ratio {_r(d['correlation_ratio'])})"
           if "correlation_ratio" in d else
           f"(Spearman r {_r(d['spearman'])}, Pearson r {_r(d['pearson'])})")
        for d in pairs[:10])
    more = f"; and {len(pairs) - 10} more pairs (metrics.json)" if len(pairs) > 10 else ""
    measure = ", ".join(["|r|"] + [word for key, word in (
        ("cramers_v", "Cramér's V"), ("correlation_ratio", "the correlation ratio"))
        if any(key in d for d in pairs)])
    measure = " or ".join(measure.rsplit(", ", 1))
    return [f"permutation importance: strongly correlated features ({measure} >= "
            f"{CORRELATED:g} on the training cells): {shown}{more}; shuffling one leaves its "
            "information in the "
            "other, so each pair's importance is shared between them and each one's "
            "understates it: read a pair's importance together, or leave one of each pair "
            "out of model.features to see it whole"]


def _r(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def round_figure(v: Any) -> float | None:
    """A headline figure for ``metrics.json``: four decimals, or four significant digits
    where four decimals would leave fewer (a PR AUC's no-skill level of 0.00004, the
    prevalence of 2 positives among 50 000 rows, was recorded as 0.0); ``None`` when not
    finite."""
    if v is None or not np.isfinite(v):
        return None
    v = float(v)
    if v != 0 and abs(v) < 0.001:
        return float(f"{v:.4g}")
    return round(v, 4)


_round = round_figure


def curves(y: np.ndarray, results: dict[str, CVResult],
           area_rows: np.ndarray | None = None) -> dict[str, Any]:
    """ROC, precision-recall, prediction-rate and prediction-area curves of the out-of-fold
    scores of every scheme (out-of-fold: the capture curve is the *prediction-rate* curve,
    pooled over the folds, and ``prediction_rate_within_folds`` the same with each
    occurrence ranked against its own fold's background only;
    the in-sample *success-rate* curve of the map is the score stage's). The area axis is
    the background rows (``area_rows``; ``None``: every negative), as in the figures
    (:func:`~prospect.models.metrics.classification_metrics`); without any, the two area
    curves are ``None``."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    out = {}
    for scheme, res in results.items():
        ok = res.fold >= 0
        yy, ss = y[ok], res.oof[ok]
        fpr, tpr, _ = roc_curve(yy, ss)
        prec, rec, _ = precision_recall_curve(yy, ss)
        area = ss[(yy == 0) & (True if area_rows is None else np.asarray(area_rows)[ok])]
        rate: dict[str, Any] | None = None
        pa: dict[str, Any] | None = None
        if area.size:
            ax, cy = capture_curve(ss[yy == 1], area)
            rate = {"area": ax.tolist(), "captured": cy.tolist()}
            pa = prediction_area(ss[yy == 1], area)
        within = within_fold_rate_curve(y, res.oof, res.fold, area_rows)
        out[scheme] = {"roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
                       "pr": {"precision": prec.tolist(), "recall": rec.tolist()},
                       "prediction_rate": rate, "prediction_area": pa,
                       "prediction_rate_within_folds": None if within is None else
                       {"area": within[0].tolist(), "captured": within[1].tolist()}}
    return out


def finite(d: dict[str, Any]) -> dict[str, Any]:
    """``d`` with non-finite float values as ``None``."""
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()}


def feature_encoding(cfg: ModelConfig, spec: FeatureSpec) -> dict[str, str]:
    """How the model takes each feature of ``spec``, in words (for the card).

    A categorical layer's codes are classes (one-hot or target encoded, or a weight per
    class in weights of evidence); every other feature is a number, ordered, which a class
    code is not: a geology map ingested without ``values: categorical`` is taken as one.
    """
    categorical = set(spec.categorical_indices())
    scaled = cfg.estimator in ("logistic_regression", "mlp")
    out = {}
    for j, name in enumerate(spec.names()):
        if cfg.estimator == "weights_of_evidence":
            out[name] = ("classes: a weight per class (weights of evidence)" if j in categorical
                         else "number: inside or outside a cumulative threshold (weights of "
                              "evidence)")
        elif j in categorical:
            out[name] = ("classes: target encoded (cross-fitted mean label per class)"
                         if cfg.categorical == "target" else
                         "classes: one-hot (a column per class seen in training)")
        else:
            out[name] = "number: ordered" + (", standardised" if scaled else "")
    return out


def feature_facts(ds: xr.Dataset, spec: FeatureSpec,
                  encoding: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Name, units, long name, kind and provenance of every feature of ``spec`` on ``ds``,
    and how the model takes it (``encoding``, :func:`feature_encoding`) when given."""
    facts = _feature_facts(ds, spec)
    for fact in facts if encoding else []:
        fact["encoding"] = encoding.get(fact["name"], "") if encoding else ""
    return facts


def _feature_facts(ds: xr.Dataset, spec: FeatureSpec) -> list[dict[str, Any]]:
    from prospect.features import distance_units

    units = distance_units(ds) if spec.focal_variables else "CRS units"
    facts = []
    for name in spec.names():
        if name in spec.variables:
            a = ds[name].attrs
            facts.append({"name": name, "units": a.get("units", ""),
                          "long_name": a.get("long_name", name),
                          "prospect_kind": a.get("prospect_kind", ""),
                          "provenance": a.get("provenance", "{}")})
        else:
            var, rest = name.split("__focal_")
            stat, radius = rest.split("_r")
            a = ds[var].attrs
            facts.append({"name": name, "units": a.get("units", "") if stat else "",
                          "long_name": f"focal {stat} of {var} within {radius} {units}",
                          "prospect_kind": a.get("prospect_kind", "continuous"),
                          "provenance": provenance_attr({
                              "focal": stat, "radius": float(radius), "variable": var,
                              "window": "square"})})
    return facts


RELIABILITY_BY_AREA = (
    "the reliability figures and the Brier score weigh each spatial out-of-fold row as "
    "the area it stands for (a background row as the unit cells it samples), so a bin's "
    "observed share is its deposits per unit cell, as the posterior is")
"""How weights of evidence's reliability figures count (:func:`scale_facts`)."""

SYNTHETIC_LIMITATION = "trained on SYNTHETIC data; not for real decisions"
"""The first of a synthetic model's limitations (:func:`limitations`): with the card's
``synthetic`` flag and its config's, a record that the model was trained on synthetic data
(:func:`prospect.registry.consistency.part_differences` compares them)."""


def _by_area(calibration: dict[str, Any]) -> bool:
    """Whether the reliability facts weigh the rows as the area they stand for."""
    before = calibration.get("spatial_oof_before")
    return isinstance(before, dict) and before.get("weighted") == "area"


def scale_facts(calibration: dict[str, Any], model: BaseEstimator, *,
                oof: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                ) -> dict[str, Any]:
    """The calibration facts of ``model`` (the model saved), with what its probabilities
    are where that is not a relative prospectivity nor a calibration
    (:func:`prospect.registry.scoring.output_scale`).

    Weights of evidence's probabilities are Bonham-Carter's posterior probabilities per
    unit cell, their prior the deposits per unit cell of the training area (the background
    rows weigh as the area they stand for): the facts' note said they were relative
    scores whose base rate was the training rows' share of positives (0.09 at 10
    background cells per positive, where the prior was 0.0075). Now the note says what
    they are, ``scale`` names it and ``prior_probability`` gives ``N(D) / N(T)``; other
    models' facts are returned as they are.

    The reliability figures (``spatial_oof_before``) are per unit cell of the area where
    :func:`prospect.models.training.calibrate` was given the rows' area weights (marked
    ``weighted: "area"``) and the note says so; ``oof`` (the spatial out-of-fold rows'
    labels, probabilities and area weights) redoes them so for facts made without them: by
    rows they set the posterior against the training rows' share of positives, so it read
    as under-forecast by construction.
    """
    from prospect.registry.scoring import POSTERIOR_SCALE, output_scale

    if output_scale(model)[0] != POSTERIOR_SCALE:
        return calibration
    woe = model.steps[-1][1] if isinstance(model, Pipeline) else model
    deposits, area = float(woe.n_deposits_), float(woe.area_total_)
    prior = deposits / area
    sample = calibration.get("base_rate_sample")
    rows = f", not the training rows' share of positives ({sample:.4g})" \
        if isinstance(sample, float) else ""
    note = (f"probabilities are weights of evidence's posterior probabilities of a deposit per "
            f"unit cell (Bonham-Carter 1994): the prior is the deposits per unit cell of the "
            f"training area, {deposits:g} in {area:g} = {prior:.4g} (each background row "
            f"weighs as the area it stands for){rows}, updated by the layers' weights; they "
            "overstate where the layers are not conditionally independent given the "
            "deposits (the conditional-independence tests); "
            + (RELIABILITY_BY_AREA if oof is not None or _by_area(calibration) else
               "the reliability figures compare them with the training rows, where "
               "positives are more frequent than in the area"))
    out = {**calibration, "note": note, "scale": POSTERIOR_SCALE,
           "prior_probability": round(prior, 6)}
    if oof is not None:
        y, scores, weight = oof
        out["spatial_oof_before"] = reliability(y, scores, sample_weight=weight)
    return out


NEGATIVES_ARE = {
    "background": "background cells are unlabelled, not proven barren (presence-background "
                  "learning)",
    "below_threshold": "the negatives are the sample sites graded below the threshold, no "
                       "background cell (presence-absence at the sampled sites): the map "
                       "ranks cells as those sites were graded and holds only where they "
                       "sample the region's conditions",
    "both": "the negatives are the sample sites graded below the threshold and background "
            "cells, which are unlabelled, not proven barren (presence-background learning)",
}
"""The model card's words for the training rows' negatives, by ``model.labels.negatives``
(``below_threshold`` was said to be background cells, "presence-background learning",
before)."""


def without_data_layers(counts: Mapping[str, Any]) -> str:
    """The layers without data at the labelled cells left out, as `` (twi: 3 positive,
    2 negative)``, from the training set's ``without_data_in`` (layer counts per side),
    or ``''`` where the counts hold none (a card saved before they were kept).

    The Meuse card said "3 of 16 positive cells ... have no data in the evidence" without
    the layer, ``twi``, whose no data covers 56 river-bank cells where the other layers
    have data; the run's warning named it, the card a researcher reads did not.
    """
    sides = counts.get("without_data_in")
    if not isinstance(sides, Mapping):
        return ""
    per: dict[str, list[str]] = {}
    for side in ("positive", "negative"):
        layers = sides.get(side)
        if not isinstance(layers, Mapping):
            continue
        for name, n in layers.items():
            if isinstance(n, int | float) and not isinstance(n, bool) and n:
                per.setdefault(str(name), []).append(f"{int(n)} {side}")
    shown = [f"{name}: {', '.join(said)}" for name, said in list(per.items())[:5]]
    more = f"; {len(per) - 5} more layer(s)" if len(per) > 5 else ""
    return f" ({'; '.join(shown)}{more})" if shown else ""


def left_out_words(counts: Mapping[str, Any]) -> str | None:
    """The card's words for the labelled cells left out of training for want of evidence,
    or ``None`` where none was.

    The metrics' ``n`` counts the training rows, and the Meuse card showed ``n`` 150 where
    155 samples were given without a word of the 5 left out (3 of 16 positive cells and 2
    of 139 negative cells on no data in ``twi``): the training report and the run's
    warnings said it, the card a researcher reuses the model by did not.

    Parameters
    ----------
    counts
        The training set's counts (:class:`~prospect.models.training.TrainingSet`'s
        ``counts``, the card's ``labels``).

    Returns
    -------
    str or None
        One sentence naming both counts, the rows kept and where the list is.
    """
    def count(key: str) -> int:
        value = counts.get(key)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) \
            else 0

    pos, neg = count("positives_without_data"), count("negatives_without_data")
    if not pos and not neg:
        return None
    parts = [f"{pos} of {count('positive_cells')} positive cells"] if pos else []
    if neg:
        parts.append(f"{neg} of {count('negative_cells')} negative cells")
    rows = count("samples")
    return (f"{' and '.join(parts)} have no data in the evidence"
            f"{without_data_layers(counts)} and are "
            f"left out of training and of every figure (n {rows} rows: "
            f"{count('positives')} positive, {count('negatives')} negative)"
            + ("; the card's labels.positives_without_data_at lists the positive cells"
               if pos else ""))


def limitations(cfg: ModelConfig, ts: TrainingSet, spatial: CVResult, *,
                synthetic: bool) -> list[str]:
    """The model card's limitations, in words."""
    out = []
    if synthetic:
        out.append(SYNTHETIC_LIMITATION)
    out.append(f"{ts.counts['positives']} positive cells; metrics from few positives are noisy")
    left_out = left_out_words(ts.counts)
    if left_out:
        out.append(left_out)
    posterior = cfg.estimator == "weights_of_evidence" and cfg.calibration == "none"
    out.append(NEGATIVES_ARE[cfg.labels.negatives] + "; the map is "
               + ("weights of evidence's posterior probability per unit cell, which holds "
                  "only where the layers are conditionally independent given the deposits"
                  if posterior else "a relative prospectivity")
               + ("" if cfg.calibration == "none" else
                  f", calibrated ({cfg.calibration}) to the training base rate only"))
    gap = spatial.metrics.get("roc_auc", np.nan)
    out.append(f"spatial-block CV ROC AUC {gap:.3f} is the honest skill estimate; random CV is "
               "shown only for comparison and is optimistic under spatial autocorrelation")
    out.append(f"valid only on the grid's CRS and resolution and for evidence built as in "
               f"the input schema ({len(cfg.features or []) or 'all'} cube variables)")
    return out


def model_card(
    *, cfg: ModelConfig, ts: TrainingSet, ds: xr.Dataset, spec: FeatureSpec,
    results: dict[str, CVResult], calibration: dict[str, Any], grid: RegionGrid,
    synthetic: bool, training_data: list[dict[str, str]], config: dict[str, Any],
    config_hash: str, cv: dict[str, Any], headline_metrics: dict[str, Any],
) -> dict[str, Any]:
    """The model card's facts (:func:`prospect.registry.save_model` completes them).

    ``cv`` holds the resolved block size and buffer (:func:`~prospect.models.training.
    resolve_cv`); ``headline_metrics`` the stage's headline (:func:`headline`).
    """
    spatial = results["spatial_block"]
    return {
        "mineral": cfg.mineral, "deposit_type": cfg.deposit_type,
        "synthetic": synthetic, "region": grid.describe(),
        "training_data": training_data,
        "labels": ts.counts,
        "features": feature_facts(ds, spec, feature_encoding(cfg, spec)),
        # the headline's scheme: spatial blocks whatever cv.kind says (kind: random runs
        # random folds beside them, as compare_random does; their figures are optimistic)
        "cv": {"scheme": "spatial_block", "kind_asked": cfg.cv.kind,
               "random_folds_beside": "random" in results, "block_size": cv["block_size"],
               "block_size_from": cv.get("block_size_from"),
               "variogram_range": cv.get("variogram_range"),
               "buffer": cv["buffer"], "buffer_from": cv.get("buffer_from"),
               "n_splits": cfg.cv.n_splits, "headline": headline_metrics,
               # what the metrics table's fold_roc_auc_std is, said in card.md under it
               "fold_roc_auc_std_is": FOLD_SPREAD_IS,
               "metrics": {"spatial_block": finite(spatial.metrics),
                           "random": finite(results["random"].metrics)
                           if "random" in results else None}},
        "calibration": {k: v for k, v in calibration.items() if not isinstance(v, dict)}
        | {"brier_spatial_oof": calibration["spatial_oof_before"].get("brier")},
        "output_scale": calibration.get("scale") or (
            "relative prospectivity" if cfg.calibration == "none" else "calibrated probability"),
        "limitations": limitations(cfg, ts, spatial, synthetic=synthetic),
        "config": config, "config_hash": config_hash,
    }


def input_schema(ds: xr.Dataset, spec: FeatureSpec, cfg: ModelConfig,
                 X: np.ndarray | None = None) -> dict[str, Any]:
    """The model's input schema: the cube variables it reads, its feature spec and names,
    and (given the training rows ``X``) what each variable held at them, which scoring
    compares a cube with (:mod:`prospect.registry.applicability`)."""
    from prospect.registry import schema_from_cube
    from prospect.registry.applicability import training_values

    schema = schema_from_cube(ds, list(spec.variables))
    if X is not None:
        seen = training_values(X, spec.variables, spec.categorical)
        for var in schema["variables"]:
            if var["name"] in seen:
                var["training"] = seen[var["name"]]
    schema["feature_spec"] = spec.to_dict()
    schema["feature_names"] = spec.names()
    schema["estimator"] = cfg.estimator
    return schema


def training_facts(
    *, final: BaseEstimator, cfg: ModelConfig, ts: TrainingSet, names: list[str],
    results: dict[str, CVResult], calibration: dict[str, Any], grid: RegionGrid,
    sample_weight: np.ndarray | None, job: str, synthetic: bool, config_hash: str,
    cv: dict[str, Any], seeds: dict[str, Any] | None = None,
    categorical: list[int] | None = None, leaks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything ``metrics.json`` and the training report show.

    Adds the partial dependence of the most important features (``cfg.partial_dependence``
    of them, by spatial-CV permutation importance) and, for weights of evidence, the
    weights table and the conditional-independence test.
    """
    spatial = results["spatial_block"]
    tested = spatial.fold >= 0
    # the spatial CV's own blocks (a polygon's cells in one) are the resampling unit:
    # rows of one block are not independent, and resampled one by one the interval was
    # too narrow for spatially clustered occurrences
    blocks = SpatialBlockCV(block_size=cv["block_size"]).blocks_of(ts.coords, ts.groups)
    ci = bootstrap_auc_ci(ts.y[tested], spatial.oof[tested], n_boot=cfg.cv.bootstrap,
                          seed=cfg.seed, blocks=blocks[tested]) if cfg.cv.bootstrap else None
    order = sorted(spatial.importance, key=lambda n: -spatial.importance[n]["mean"]) \
        if spatial.importance else names
    pd_features = [names.index(n) for n in order[: cfg.partial_dependence]]
    pdp = partial_dependence_curves(final, ts.X, pd_features, names, seed=cfg.seed,
                                    categorical=categorical or ())
    woe: dict[str, Any] = {}
    if cfg.estimator == "weights_of_evidence":
        est = final.named_steps["model"] if isinstance(final, Pipeline) else final
        cell_area = grid.resolution ** 2
        woe = {"weights": est.weights_table(names), "barren_classes": est.barren_classes(names),
               "saturated_classes": est.saturated_classes(names),
               "cumulative_tables": est.cumulative_tables(names),
               "conditional_independence": est.conditional_independence(
                   ts.X, ts.y, sample_weight, n_points=ts.n_points),
               "prior_logit": est.prior_logit_, "unit_cell_area": est.unit_cell_area or cell_area,
               "cell_area": cell_area, "count": est.count,
               "n_deposits": est.n_deposits_, "area_unit_cells": est.area_total_}
    return {
        "job": job, "synthetic": synthetic, "mineral": cfg.mineral,
        "deposit_type": cfg.deposit_type, "estimator": cfg.estimator,
        "config_hash": config_hash, "region": grid.describe(),
        "labels": ts.counts, "features": names,
        "cv_config": {**cfg.cv.model_dump(), **cv},
        "metrics": headline(results, ci=ci, seeds=seeds, n_splits=cfg.cv.n_splits,
                            negatives=cfg.labels.negatives)
        | exclusion_facts(ts.counts, units=grid.units),
        "seed_spread": seeds,
        "bootstrap_ci": ci, "label_surfaces": leaks or [],
        "fold_aware_interpolation": cfg.fold_aware_interpolation,
        "cv": {k: {"metrics": finite(v.metrics), "folds": [finite(f) for f in v.fold_metrics],
                   "importance": v.importance} for k, v in results.items()},
        "correlated_features": correlated_features(ts.X, names, categorical),
        "curves": curves(ts.y, results, ts.background), "calibration": calibration,
        "partial_dependence": pdp, "weights_of_evidence": woe,
    }
