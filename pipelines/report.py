"""The training report: one Markdown file with PNG plots (matplotlib, Agg backend).

Spatial-block and random cross-validation are shown side by side: ROC and
precision-recall curves, success-rate (capture-efficiency) curves, the prediction-area
plot, a reliability diagram, permutation importance and partial dependence.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

from prospect.io.files import staged_dir, write_text
from prospect.models.summary import pr_auc_is
from prospect.registry.card import markdown_cell

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["PA_PERCENT_RANGE", "prediction_area_figure", "write_quicklook", "write_report",
           "write_score_report"]

_LABEL = {"spatial_block": "spatial blocks", "random": "random folds"}
_COLOR = {"spatial_block": "#1b6ca8", "random": "#d1495b"}


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name


def _fmt(v: Any) -> str:
    """A figure as the reports state it: three decimals, with no more precision than it
    has and none less than it needs.

    A whole number above 1 (a count, a block size, an area in unit cells), or one that
    is whole to the three decimals written (a float sum of 9999.999999999998), is written
    whole (``12345``, not ``12345.000``); a figure that is not 0 but would round to
    ``0.000`` (a PR AUC's no-skill level of 0.0002, a share of 0.0004, a p-value of
    3e-05) keeps two significant digits (``0.0002``, ``3e-05``) instead of reading as 0.
    Text is one table cell (:func:`~prospect.registry.card.markdown_cell`): a weights-of-
    evidence group named ``granite|gneiss`` or a label column's name of two lines split
    its row. A mapping is ``key: value; ...`` and a list ``a, b``, each value so written
    (``score.md`` showed the cells left unscored per layer as Python's
    ``{'B02': 300, ...}``).
    """
    if isinstance(v, float):
        if not math.isfinite(v):
            return "n/a"
        if abs(round(v)) > 1 and (v.is_integer() or f"{v:.3f}".endswith(".000")):
            # whole to the three decimals written: a study area summed from float cells
            # (9999.999999999998 unit cells) was "10000.000", as if measured to 0.001
            return f"{round(v)}"
        if v != 0 and abs(v) < 0.0005:
            return f"{v:.2g}"
        return f"{v:.3f}"
    if isinstance(v, Mapping):  # cells left unscored per layer: was Python's {'B02': 300}
        return "; ".join(f"{markdown_cell(k)}: {_fmt(x)}" for k, x in v.items()) or "none"
    if isinstance(v, list | tuple):
        return ", ".join(_fmt(x) for x in v) or "none"
    return "n/a" if v is None else markdown_cell(v)


def _pct(v: Any) -> str:
    """A percentage of held-out occurrences to one decimal: ``78.4``, not ``78.431`` (a
    hundred times the resolution of the shares beside it, for 51 occurrences)."""
    if isinstance(v, float) and math.isfinite(v):
        return f"{v:.1f}"
    return _fmt(v)


def zero_share_words(share: float) -> str:
    """The uncertainty map's zero share (``uncertainty_zero_share``) as the percentage
    ``score.md`` and ``model score`` write: ``50.0``, and ``0.004`` for a share of 4e-5
    (not ``0.0``).

    Parameters
    ----------
    share
        The share of the map's valued cells whose spread is 0, in [0, 1].

    Returns
    -------
    str
        The percentage without its sign.
    """
    from prospect.models.metrics import percent

    return percent(share)


def _units(region: dict[str, Any]) -> str:
    """The unit of the grid's distances (resolution, CV blocks, buffers) in the plural, as
    the CRS names it (``metres``, ``degrees``, ``US survey feet``; the plan says blocks
    so), or ``CRS units`` when the CRS cannot be read (:func:`prospect.grid.crs_units`)."""
    from prospect.grid import crs_units

    return crs_units(region.get("crs"))


def _count(v: Any) -> str:
    """A count (rows, positives, deposits): whole, ``0`` and ``1`` too, not ``1.000``."""
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return f"{v:.0f}"
    return _fmt(v)


def _interval(ci: dict[str, Any]) -> str:
    """The bootstrap interval as the headline states it, or why it is undefined."""
    low, high = ci.get("low"), ci.get("high")
    if isinstance(low, float) and isinstance(high, float) and math.isfinite(low) and \
            math.isfinite(high):
        return (f"bootstrap 95 % interval {low:.3f}-{high:.3f} ({ci.get('n_boot', 0)} "
                f"replicates{_resampled(ci)})")
    why = ci.get("undefined_because")
    return "bootstrap 95 % interval not defined" + (f": {why}" if why else "")


def _headline_interval(head: dict[str, Any]) -> str:
    """The pooled ROC AUC's bootstrap interval as ``metrics.json`` records it, or why it is
    undefined (too few blocks holding positives); never ``n/a-n/a``."""
    low = head.get("cv_spatial_roc_auc_ci95_low")
    high = head.get("cv_spatial_roc_auc_ci95_high")
    if isinstance(low, float) and isinstance(high, float) and math.isfinite(low) and \
            math.isfinite(high):
        return f"bootstrap 95 % interval {_fmt(low)}-{_fmt(high)}"
    why = head.get("cv_spatial_roc_auc_ci95_undefined_because")
    return "bootstrap 95 % interval not defined" + (f": {why}" if why else "")


def _resampled(ci: dict[str, Any]) -> str:
    """What the bootstrap resampled: whole spatial CV blocks (rows of a block are not
    independent), or rows (metrics of runs before the block bootstrap)."""
    if ci.get("unit") == "spatial_block":
        apart = ci.get("n_units_positives_only")
        if apart:  # every block holds a positive: those without a negative drawn apart
            return (f" of the {ci.get('n_units')} spatial CV blocks, each resampled whole, "
                    f"the {apart} holding positives only among themselves and those holding "
                    "both classes among themselves")
        return (f" of the {ci.get('n_units')} spatial CV blocks, each resampled whole, those "
                "holding a positive among themselves")
    return ", rows resampled independently" if ci else ""


def _fold_spread(head: dict[str, Any]) -> str:
    """The spread of the fold ROC AUCs as the headline states it: the sample s.d. and the
    folds it is over (``± 0.110 (sample s.d. over 5 folds)``), or why there is none (one
    fold scored has no spread: it read ``± 0.000``); a run's figures from before the
    sample s.d. (no ``fold_roc_auc_std_is``) as they were."""
    scored = head.get("cv_spatial_folds_scored")
    sd = head.get("cv_spatial_fold_roc_auc_std")
    if "fold_roc_auc_std_is" not in head:  # figures of a run before the sample s.d.
        return f"± {_fmt(sd)} (s.d. over folds)"
    if sd is None:
        n = "too few folds" if scored is None else f"{scored} fold" + (
            "" if scored == 1 else "s")
        return f"(s.d. over folds not defined: {n} with a ROC AUC, it needs two)"
    over = f"{scored} folds" if scored is not None else "folds"
    return f"± {_fmt(sd)} (sample s.d. over {over})"


def _headline_section(facts: dict[str, Any]) -> list[str]:
    """The skill figures a reader should quote, first: fold-mean spatial ROC AUC with its
    spread, the bootstrap interval of the pooled out-of-fold AUC, the seed spread."""
    m = facts.get("metrics", {})
    seeds = facts.get("seed_spread") or {}
    ci = facts.get("bootstrap_ci") or {}
    lines = ["## Headline (spatial cross-validation, out of fold)", "",
             f"- Fold-mean ROC AUC **{_fmt(m.get('cv_spatial_fold_roc_auc_mean'))}** "
             f"{_fold_spread(m)}",
             f"- Pooled out-of-fold ROC AUC {_fmt(m.get('cv_spatial_roc_auc'))}, "
             f"{_interval(ci)}"]
    if m.get("cv_spatial_fold_pr_auc_mean") is not None:  # within folds, then pooled
        lines.append(
            f"- Fold-mean PR AUC {_fmt(m.get('cv_spatial_fold_pr_auc_mean'))} (no skill "
            f"{_fmt(m.get('cv_spatial_fold_pr_auc_no_skill_mean'))}); pooled out-of-fold "
            f"PR AUC {_fmt(m.get('cv_spatial_pr_auc'))} (no skill "
            f"{_fmt(m.get('cv_spatial_pr_auc_no_skill'))})")
    asked = m.get("cv_folds_asked")
    if asked:
        ran = [f"{m[key]} {what}" for key, what in (("cv_spatial_folds", "spatial"),
                                                    ("cv_random_folds", "random"))
               if m.get(key) is not None]
        lines.append(f"- Folds: {asked} asked for (model.cv.n_splits); ran {', '.join(ran)}")
    if seeds:
        lines.append(f"- Over {len(seeds.get('seeds', []))} estimator seed(s): fold-mean ROC "
                     f"AUC {_fmt(seeds.get('min'))}-{_fmt(seeds.get('max'))} "
                     f"({'sample ' if seeds.get('std_is') == 'sample' else ''}s.d. "
                     f"{_fmt(seeds.get('std'))})")
    doubts = facts.get("warnings") or []
    if doubts:  # what makes the figures less than they read (also on the console)
        lines += ["", "**Read these figures with:**", "", *(f"- {line}" for line in doubts)]
    return [*lines, "", "In-sample figures (the success rate of the scored map) are in the "
            "score report; they are not skill estimates.", ""]


def _variogram_rows(vg: dict[str, Any]) -> str:
    """Whose pairs the labels' variogram counts: `` over every pair of the 1389 training
    rows``, or `` over every pair of a random 6325 of the 9000 training rows`` where
    :func:`prospect.models.cv.label_variogram` took a subset (its range then a subset's:
    before round 57 any training of more than 6 325 rows, now labels of more than eight
    values only); empty for a variogram of an older run, which does not say."""
    rows, used = vg.get("rows"), vg.get("rows_used")
    if rows is None or used is None:
        return ""
    if used < rows:
        return (f" over every pair of a random {used} of the {rows} training rows (a "
                "subset's range: another seed can give another)")
    return f" over every pair of the {rows} training rows"


def _plots(out: Path, facts: dict[str, Any]) -> dict[str, str]:
    curves = facts.get("curves", {})
    files: dict[str, str] = {}
    vg = facts.get("cv_config", {}).get("variogram")
    if vg and vg.get("lags"):
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(vg["lags"], vg["gamma"], "o", color="#1b6ca8", label="empirical")
        rng, c0, sill = vg.get("range"), vg.get("nugget"), vg.get("sill")
        if rng and c0 is not None and sill is not None and vg.get("fitted"):
            import numpy as np

            h = np.linspace(0, max(vg["lags"]), 100)
            r = np.minimum(h / rng, 1.0)
            ax.plot(h, c0 + (sill - c0) * (1.5 * r - 0.5 * r**3), color="#d1495b",
                    label=f"spherical, range {rng:.0f}")
        ax.set(title="Indicator variogram of the labels",
               xlabel=f"distance ({_units(facts.get('region') or {})})",
               ylabel="semivariance")
        ax.legend(fontsize=8)
        files["variogram"] = _save(fig, out / "label_variogram.png")
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for scheme, c in curves.items():
        lab, col = _LABEL.get(scheme, scheme), _COLOR.get(scheme, "k")
        axes[0].plot(c["roc"]["fpr"], c["roc"]["tpr"], color=col, label=lab)
        axes[1].plot(c["pr"]["recall"], c["pr"]["precision"], color=col, label=lab)
        rate = c.get("prediction_rate") or c.get("success") or {}
        axes[2].plot(rate.get("area", []), rate.get("captured", []), color=col,
                     label=f"{lab}, pooled")
        own = c.get("prediction_rate_within_folds") or {}
        if own:
            axes[2].plot(own["area"], own["captured"], color=col, ls="--",
                         label=f"{lab}, within folds")
    axes[0].plot([0, 1], [0, 1], "k:", lw=0.8)
    axes[2].plot([0, 1], [0, 1], "k:", lw=0.8)
    axes[0].set(title="ROC (out of fold)", xlabel="false positive rate",
                ylabel="true positive rate")
    axes[1].set(title="Precision-recall", xlabel="recall", ylabel="precision")
    axes[2].set(title="Prediction rate (out of fold)", xlabel="share of area (ranked)",
                ylabel="share of held-out occurrences captured")
    for ax in axes:
        ax.legend(loc="best", fontsize=8)
    files["curves"] = _save(fig, out / "cv_curves.png")

    pa = curves.get("spatial_block", {}).get("prediction_area")
    if pa and pa.get("thresholds"):
        files["prediction_area"] = _save(prediction_area_figure(pa),
                                         out / "prediction_area.png")

    cal = facts.get("calibration", {}).get("spatial_oof_before", {})
    if cal.get("mean_predicted"):
        fig, ax = plt.subplots(figsize=(4.5, 4))
        ax.plot(cal["mean_predicted"], cal["fraction_positive"], "o-", label="spatial OOF")
        after = facts.get("calibration", {}).get("spatial_oof_after")
        if after and after.get("mean_predicted"):
            ax.plot(after["mean_predicted"], after["fraction_positive"], "s--",
                    label="after calibration (in-sample)")
        ax.plot([0, 1], [0, 1], "k:", lw=0.8)
        ax.set(title="Reliability", xlabel="mean predicted probability",
               ylabel=_observed_axis(cal))
        ax.legend(fontsize=8)
        files["reliability"] = _save(fig, out / "reliability.png")

    imp = facts.get("cv", {}).get("spatial_block", {}).get("importance") or {}
    if imp:
        names = sorted(imp, key=lambda n: imp[n]["mean"])[-20:]
        fig, ax = plt.subplots(figsize=(6, 0.3 * len(names) + 1.2))
        ax.barh(names, [imp[n]["mean"] for n in names], xerr=[imp[n]["std"] for n in names],
                color="#1b6ca8")
        ax.set(title="Permutation importance (drop in ROC AUC, spatial folds)",
               xlabel="mean over folds (bars: sample s.d. over folds)")
        files["importance"] = _save(fig, out / "importance.png")

    pdp = facts.get("partial_dependence") or {}
    if pdp:
        n = len(pdp)
        fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3), squeeze=False)
        for ax, (name, curve) in zip(axes[0], pdp.items(), strict=True):
            if curve.get("kind") == "categorical":  # classes have no order: one bar each
                labels = [f"{v:g}" for v in curve["values"]]
                ax.bar(labels, curve["average"], color="#1b6ca8")
                ax.set(title=name, xlabel="class", ylabel="mean score")
            else:
                ax.plot(curve["values"], curve["average"], color="#1b6ca8")
                ax.set(title=name, xlabel="value", ylabel="mean score")
        files["partial_dependence"] = _save(fig, out / "partial_dependence.png")
    return files


PA_PERCENT_RANGE = (-2.0, 102.0)
"""The y range of both axes of the prediction-area plot: 0-100 % and a margin."""


def prediction_area_figure(pa: dict[str, Any]) -> Any:
    """The prediction-area plot (Yousefi & Carranza 2015) of
    :func:`prospect.models.metrics.prediction_area`'s curves: occurrences predicted (%) on
    the left axis and the area outside the prospective class (100 - area %) on the right,
    both over :data:`PA_PERCENT_RANGE`, so that the curves cross where the two shares
    meet, at the dotted intersection threshold.

    Each axis was scaled to its own curve: occurrences from 40 to 100 % against an area
    from 0 to 100 % drew the crossing at another threshold and share than the
    intersection the title and the dotted line state.
    """
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(pa["thresholds"], pa["occurrence_pct"], color="#1b6ca8",
            label="occurrences predicted (%)")
    ax.set_xlabel("score threshold (out-of-fold)")
    ax.set_ylabel("occurrences predicted (%)")
    ax2 = ax.twinx()
    ax2.plot(pa["thresholds"], [100 - a for a in pa["area_pct"]], color="#d1495b",
             label="100 - area (%)")
    ax2.set_ylabel("area outside the prospective class (%)")
    for axis in (ax, ax2):
        axis.set_ylim(*PA_PERCENT_RANGE)
    ax.axvline(pa["intersection_threshold"], color="k", ls=":", lw=0.8)
    ax.set_title(f"Prediction-area plot (spatial CV): "
                 f"{pa['intersection_occurrence_pct']:.0f}% / "
                 f"{100 - pa['intersection_occurrence_pct']:.0f}%")
    return fig


def write_report(directory: Path, facts: dict[str, Any]) -> Path:
    """Write ``report.md`` and its PNGs to ``directory``; returns the Markdown path.

    The directory is written in a staging folder and renamed into place.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with staged_dir(directory) as staging:
        _write_report(staging, facts)
    return directory / "report.md"


def _title(facts: Mapping[str, Any]) -> str:
    """``mineral (job)`` on one line, for a report's heading: a line break in either
    (a name written as a YAML block) ended the heading there."""
    mineral, job = (markdown_cell(facts.get(k)).strip() for k in ("mineral", "job"))
    return f"{mineral} ({job})"


def _write_report(staging: Path, facts: dict[str, Any]) -> None:
    files = _plots(staging, facts)
    lines = [f"# Prospectivity model report: {_title(facts)}", ""]
    if facts.get("synthetic"):
        lines += ["> **SYNTHETIC DATA**: this run used synthetic inputs; the figures say "
                  "nothing about any real deposit.", ""]
    region = facts.get("region", {})
    lines += [
        f"- Estimator: `{facts.get('estimator')}`; deposit type: "
        f"{markdown_cell(facts.get('deposit_type') or '').strip() or 'n/a'}",
        f"- Region: {region.get('name')} ({region.get('crs')}, {region.get('resolution')} "
        f"{_units(region)} per cell, {region.get('shape')} cells)",
        f"- Config hash: `{facts.get('config_hash')}`",
        "",
    ]
    lines += _headline_section(facts)
    lines += ["## Labels", "", "| item | value |", "|---|---|"]
    for k, v in facts.get("labels", {}).items():
        if k == "positives_without_data_at":
            shown = "; ".join(f"({x:.0f}, {y:.0f})" for x, y in v[:20])
            v = (shown + (f"; ... {len(v) - 20} more" if len(v) > 20 else "")) or "none"
        lines.append(f"| {k} | {_fmt(v)} |")
    lines += ["", f"## Features ({len(facts.get('features', []))})", "",
              ", ".join(f"`{f}`" for f in facts.get("features", [])), ""]
    for leak in facts.get("label_surfaces") or []:
        lines.append(f"- `{leak['variable']}` is made from the label points (points source "
                     f"`{leak['source']}`: {leak['reason']}): {leak['use']}.")
    if facts.get("label_surfaces"):
        lines.append("")
    cvc = facts.get("cv_config", {})
    lines += ["## Validation: spatial blocks vs random folds", "",
              f"Spatial blocks of {_fmt(cvc.get('block_size'))} {_units(region)} "
              f"({cvc.get('block_size_from', 'config')}"
              + (f"; fitted variogram range {_fmt(cvc.get('variogram_range'))}"
                 + _variogram_rows(cvc.get("variogram") or {})
                 if cvc.get("variogram_range") is not None else "")
              + (", capped so that every fold gets blocks" if cvc.get("block_size_capped")
                 else "")
              + f"), buffer {_fmt(cvc.get('buffer'))} {_units(region)} "
              f"({cvc.get('buffer_from', 'config')}), {cvc.get('n_splits')} folds balanced by "
              "positives. Random folds put neighbouring cells on both sides of a split and "
              "are optimistic; the spatial figures are the honest estimate.", "",
              "| metric | spatial blocks | random folds |", "|---|---|---|"]
    cv = facts.get("cv", {})
    sp = cv.get("spatial_block", {}).get("metrics", {})
    rd = cv.get("random", {}).get("metrics", {})
    for key in ("fold_roc_auc_mean", "fold_roc_auc_std", "roc_auc", "fold_pr_auc_mean",
                "fold_pr_auc_no_skill_mean", "pr_auc", "pr_auc_no_skill",
                "prediction_rate_auc", "top5_capture", "top10_capture", "top20_capture",
                "pa_intersection_pct", "n", "n_positive"):
        held = "prevalence" if key == "pr_auc_no_skill" else key  # what a PR AUC reads against
        say = _count if key in ("n", "n_positive") else _pct if key.endswith("_pct") else _fmt
        lines.append(f"| {key} | {say(sp.get(held))} | {say(rd.get(held))} |")
    for key in ("prediction_rate_auc", "top5_capture", "top10_capture", "top20_capture"):
        own = f"{key}_within_folds"  # each held-out occurrence against its own fold's area
        lines.append(f"| {own} | {_fmt(sp.get(own))} | {_fmt(rd.get(own))} |")
    lines += ["", "Out-of-fold figures: `roc_auc`, `pr_auc` and `prediction_rate_auc` pool the "
              "held-out scores of all folds, each scored by its own fold's model; "
              "`fold_roc_auc_mean` and `fold_pr_auc_mean` are the ROC and PR AUCs within "
              "each fold (its model ranking its own held-out rows), averaged over the folds; "
              "the `..._within_folds` figures rank each held-out occurrence against its "
              "own fold's held-out background only (dashed in the prediction-rate plot); "
              "top-k capture is the share of held-out "
              "occurrences in the top k % of the area (estimated by the held-out background "
              "sample; cells tied at the cut-off shared in proportion). Every held-out score "
              "is in `oof_predictions.csv` beside `metrics.json`. `fold_roc_auc_std` is the "
              "sample s.d. (n - 1) of the fold ROC AUCs, n/a below two folds scored.", "",
              f"`pr_auc` is {pr_auc_is(facts.get('labels', {}).get('negatives_from', ''))}.",
              ""]
    if "variogram" in files:
        lines += [f"![labels' variogram]({files['variogram']})", ""]
    if "curves" in files:
        lines += [f"![ROC, precision-recall and prediction-rate curves]({files['curves']})", ""]
    base = facts.get("baseline")
    if base:
        b, m = base["baseline"], base["model"]
        lines += ["## Baseline: distance to the nearest known occurrence", "",
                  "Each held-out cell scored by how close it is to the nearest positive of its "
                  "fold's training side, on the same spatial folds and rows as the model "
                  f"({base['rows']} rows).", "",
                  "| metric | model | baseline |", "|---|---|---|"]
        lines += [f"| {k} | {_fmt(m.get(k))} | {_fmt(b.get(k))} |"
                  for k in ("roc_auc", "pr_auc", "top10_capture")]
        lines += ["", f"**{base['verdict']}**", ""]
    if "prediction_area" in files:
        lines += ["## Prediction-area plot", "",
                  f"![prediction-area plot]({files['prediction_area']})", ""]
    lines += ["## Folds (spatial)", "", "| fold | n_train | n | n_positive | ROC AUC | PR AUC |",
              "|---|---|---|---|---|---|"]
    for f in cv.get("spatial_block", {}).get("folds", []):
        lines.append(f"| {_count(f.get('fold'))} | {_count(f.get('n_train'))} "
                     f"| {_count(f.get('n'))} | {_count(f.get('n_positive'))} "
                     f"| {_fmt(f.get('roc_auc'))} | {_fmt(f.get('pr_auc'))} |")
    cal = facts.get("calibration", {})
    lines += ["", "## Calibration", "", f"Method: {cal.get('method')}. Brier score of the "
              f"spatial out-of-fold probabilities: "
              f"{_fmt(cal.get('spatial_oof_before', {}).get('brier'))}. {cal.get('note', '')}",
              ""]
    if cal.get("base_rate_sample") is not None:
        lines += [f"Base rate of the training sample (positives among the rows): "
                  f"{_fmt(cal.get('base_rate_sample'))}"
                  + (f"; as the classifier sees it with `class_weight` "
                     f"{_fmt(cal.get('class_weight'))}: {_fmt(cal.get('base_rate_weighted'))} "
                     "(an uncalibrated map is centred there)"
                     if cal.get("base_rate_weighted") is not None else "") + ".", ""]
    for line in cal.get("warnings") or []:
        lines += [f"> **Warning**: {line}", ""]
    if "reliability" in files:
        lines += [f"![reliability diagram]({files['reliability']})", ""]
    after = cal.get("spatial_oof_after") or {}
    if after.get("mean_predicted"):  # on the rows the map was fitted on: near the diagonal
        lines += [_after_calibration(cal), ""]  # by construction, which went unsaid
    if "importance" in files:
        lines += ["## Permutation importance", "", f"![importance]({files['importance']})", ""]
        pairs = facts.get("correlated_features") or []
        if pairs:  # their importance is shared between them (it went unsaid)
            # classes (two copies of a geology map) are said by Cramér's V, codes having
            # no correlation: a column of its own, only where such a pair is listed
            classed = any("cramers_v" in d for d in pairs)
            # a layer of values set by a layer of classes: its correlation ratio, likewise
            ratio = any("correlation_ratio" in d for d in pairs)
            lines += ["Strongly correlated features share their importance: shuffling one "
                      "leaves its information in the other, so each understates it; read "
                      "each pair together.", "", "| features | Spearman r | Pearson r |"
                      + (" Cramér's V (classes) |" if classed else "")
                      + (" correlation ratio (values by classes) |" if ratio else ""),
                      "|---|---|---|" + ("---|" if classed else "")
                      + ("---|" if ratio else "")]
            lines += [f"| `{d['features'][0]}` and `{d['features'][1]}` | "
                      f"{_fmt(d.get('spearman'))} | {_fmt(d.get('pearson'))} |"
                      + (f" {_fmt(d.get('cramers_v'))} |" if classed else "")
                      + (f" {_fmt(d.get('correlation_ratio'))} |" if ratio else "")
                      for d in pairs]
            lines.append("")
    if "partial_dependence" in files:
        lines += ["## Partial dependence", "",
                  f"![partial dependence]({files['partial_dependence']})", ""]
    lines += _woe_section(staging, facts.get("weights_of_evidence") or {},
                          unit=_units(region))
    (staging / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _observed_axis(reliability: dict[str, Any]) -> str:
    """The reliability diagram's y axis: the share of positives among the rows, or, for
    figures weighed by area (weights of evidence's posterior per unit cell,
    :func:`prospect.models.evaluate.reliability`), the deposits per unit cell."""
    if reliability.get("weighted") == "area":
        return "observed deposits per unit cell (rows weighed by area)"
    return "observed share of positives"


def _after_calibration(cal: dict[str, Any]) -> str:
    """The words under the reliability diagram's "after calibration" curve: it is drawn
    on the spatial out-of-fold rows the calibration map was fitted on, so it lies near the
    diagonal by construction (an isotonic map puts each of its levels at the share of
    positives of its rows), not as evidence that the map is calibrated elsewhere."""
    after = cal.get("spatial_oof_after") or {}
    note = cal.get("note_after") or ("calibration map fitted on the spatial out-of-fold "
                                     "probabilities (its after-figures are in-sample)")
    return (f"After calibration (Brier score {_fmt(after.get('brier'))}): {note}; the "
            "curve lies near the diagonal because the map was fitted on these very rows, "
            "so it shows the map, not that it is calibrated on other cells or regions.")


def _w(row: dict[str, Any], key: str) -> str:
    """A weight, or 'undefined' (an empty 2x2 cell: no finite value, not in the posterior)."""
    v = row.get(key)
    return "undefined" if v is None or (isinstance(v, float) and v != v) else _fmt(v)


def _defined(row: dict[str, Any]) -> str:
    """Which of a weights row's weights are defined: ``yes`` (both), ``W+ only``, ``W- only``
    or ``no``. A class's ``defined`` is its W+ alone (the weight its cells take), so a
    class holding every deposit, its W- and contrast undefined, read "yes"."""
    plus, minus = row.get("defined_plus"), row.get("defined_minus")
    if plus is None and minus is None:  # a table of an older run: its one flag
        return "yes" if row.get("defined") else "no"
    return "yes" if plus and minus else "W+ only" if plus else "W- only" if minus else "no"


def _woe_section(out: Path, woe: dict[str, Any], *, unit: str = "CRS units") -> list[str]:
    """Weights in use, every cumulative table (drawn and listed), and the CI checks."""
    if not woe:
        return []
    lines = ["## Weights of evidence (Bonham-Carter 1994)", "",
             f"Unit cell {_fmt(woe.get('unit_cell_area'))} square {unit} (grid cell "
             f"{_fmt(woe.get('cell_area'))}); study area {_fmt(woe.get('area_unit_cells'))} "
             f"unit cells; {_fmt(woe.get('n_deposits'))} deposits, counted "
             f"{'every occurrence point' if woe.get('count') == 'points' else 'one per cell'}"
             f"; prior logit {_fmt(woe.get('prior_logit'))}. A weight is *undefined* where a "
             "cell of its 2x2 table is empty (a class without deposits, no area or no deposit "
             "outside a pattern): it is not estimated and adds nothing to the posterior.", "",
             "| feature | kind | threshold / class | area | deposits | W+ | s(W+) | W- | "
             "s(W-) | C | s(C) | stud. C | defined |", "|" + "---|" * 13]
    for r in woe.get("weights", []):
        # a class is a code, written as one (class 1, not "1.000" beside class 2)
        tc = r.get("group") or (_count(r["class"]) if "class" in r else r.get("threshold"))
        kind = r["kind"]
        if r.get("selection") == "manual":
            kind += " (manual)"
        elif "significant" in r and not r["significant"]:
            kind += " (stud. C < 2)"
        defined = _defined(r)
        lines.append(
            f"| {markdown_cell(r['feature'])} | {kind} | {_fmt(tc)} | {_fmt(r['area'])} | "
            f"{_count(r['deposits'])} | {_w(r, 'w_plus')} | {_w(r, 's_w_plus')} | "
            f"{_w(r, 'w_minus')} | {_w(r, 's_w_minus')} | {_w(r, 'contrast')} | "
            f"{_w(r, 's_contrast')} | {_w(r, 'studentized_contrast')} | {defined} |")
    tables = woe.get("cumulative_tables") or {}
    if tables:
        lines += ["", "### Cumulative tables", "",
                  "Every threshold tested (weighted quantiles of the training cells); the "
                  "chosen one is marked. Ascending: pattern x ≤ t; descending: x ≥ t.", ""]
        n = len(tables)
        fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.2), squeeze=False)
        for ax, (name, tab) in zip(axes[0], tables.items(), strict=True):
            for direction, rows in tab["tables"].items():
                t = [r["threshold"] for r in rows]
                ax.plot(t, [r["studentized_contrast"] for r in rows], "o-", ms=3,
                        label=f"stud. C ({direction})")
                ax.plot(t, [r["contrast"] for r in rows], "s--", ms=3, label=f"C ({direction})")
            if tab.get("chosen_threshold") is not None:
                ax.axvline(tab["chosen_threshold"], color="k", ls=":", lw=0.8)
            ax.set(title=name, xlabel="threshold")
            ax.legend(fontsize=6)
        lines += [f"![cumulative tables]({_save(fig, out / 'woe_cumulative.png')})", ""]
        for name, tab in tables.items():
            for direction, rows in tab["tables"].items():
                lines += [f"**{name}**, {direction} ({tab.get('selection')}):", "",
                          "| threshold | area | deposits | W+ | s(W+) | W- | s(W-) | C | s(C) "
                          "| stud. C | |", "|" + "---|" * 11]
                for r in rows:
                    mark = "chosen" if r["threshold"] == tab.get("chosen_threshold") and \
                        direction == tab.get("kind") else ""
                    lines.append(
                        f"| {_fmt(r['threshold'])} | {_fmt(r['area'])} | {_count(r['deposits'])} "
                        f"| {_w(r, 'w_plus')} | {_w(r, 's_w_plus')} | {_w(r, 'w_minus')} | "
                        f"{_w(r, 's_w_minus')} | {_w(r, 'contrast')} | {_w(r, 's_contrast')} | "
                        f"{_w(r, 'studentized_contrast')} | {mark} |")
                lines.append("")
    ci = woe.get("conditional_independence", {})
    if ci:
        lines += ["", *_ci_lines(ci), "", *_pairwise_lines(ci.get("pairwise") or [],
                                                       ci.get("pairwise_summary"))]
    return lines


def _pairwise_lines(pairs: list[dict[str, Any]],
                    summary: dict[str, Any] | None = None) -> list[str]:
    """The pairwise conditional-independence tests of the evidence layers (Bonham-Carter
    1994: a contingency table of the deposits over two layers' states), one row a pair,
    with each pair's Holm-adjusted p-value beside the published per-pair one."""
    if not pairs:
        return []
    lines = ["Pairwise tests of conditional independence (deposits over each pair of "
             "layers' states; chi-square, or Fisher's exact test for a 2 x 2 table with an "
             "expected count below 5). Each pair is tested at 5 % on its own, as published "
             "(Bonham-Carter 1994); with many pairs some reject by chance, so Holm's (1979) "
             "step-down correction over the pairs tested is given beside it."]
    if summary:
        lines[0] += (f" {_fmt(summary.get('pairs'))} pairs, {_fmt(summary.get('tested'))} "
                     f"tested; {_fmt(summary.get('rejected_at_5pct'))} reject at 5 % each on "
                     f"its own, {_fmt(summary.get('rejected_at_5pct_holm'))} after Holm's "
                     "correction.")
    lines += ["", "| layer a | layer b | deposits | test | p | rejected at 5 % | p (Holm) "
              "| rejected at 5 % (Holm) | note |", "|---|---|---|---|---|---|---|---|---|"]

    def verdict(rejected: Any) -> str:
        return "n/a" if rejected is None else ("**yes**" if rejected else "no")

    for p in pairs:
        lines.append(f"| `{p.get('feature_a')}` | `{p.get('feature_b')}` | "
                     f"{_count(p.get('deposits'))} | {p.get('test') or 'none'} | "
                     f"{_fmt(p.get('p_value'))} | {verdict(p.get('rejected_at_5pct'))} | "
                     f"{_fmt(p.get('p_holm'))} | {verdict(p.get('rejected_at_5pct_holm'))} | "
                     f"{str(p.get('why') or '').replace('|', '/')} |")
    return [*lines, ""]


def _ci_lines(ci: dict[str, Any]) -> list[str]:
    """The conditional-independence figures: published statistic, calibrated p, verdict."""
    rejected = ci.get("ci_rejected_at_5pct")
    verdict = ("**CI rejected at 5 %**" if rejected else "CI not rejected at 5 %") \
        if rejected is not None else "no verdict (the Monte Carlo test was not run)"
    return [
        f"Conditional independence: {verdict} (by the calibrated test below). Observed / "
        f"predicted deposits {_fmt(ci.get('ratio'))} (n {_count(ci.get('observed_deposits'))}, "
        f"T {_fmt(ci.get('predicted_deposits'))}; below ~0.85 suggests a violation).", "",
        f"- Agterberg & Cheng (2002) statistic over {_fmt(ci.get('n_combinations'))} unique "
        f"evidence combinations: z = (T - n) / s(T) = {_fmt(ci.get('agterberg_cheng_z'))} "
        f"(s(T) {_fmt(ci.get('agterberg_cheng_sd'))}), one-sided normal p "
        f"{_fmt(ci.get('agterberg_cheng_p'))}. As published, not calibrated: conservative "
        f"(T is fitted on the same deposits as n, so z varies far less than N(0, 1) under "
        f"CI), yet pushed up where evidence is missing (weight 0).",
        f"- Calibrated test of the same statistic: Monte Carlo p "
        f"{_fmt(ci.get('agterberg_cheng_mc_p'))} from R = "
        f"{_fmt(ci.get('agterberg_cheng_mc_draws'))} draws under the fitted CI model "
        f"(seed {ci.get('agterberg_cheng_mc_seed')}; simulated z has s.d. "
        f"{_fmt(ci.get('agterberg_cheng_mc_z_sd'))}){_note(ci)}. See docs/models.md.",
    ]


def _note(ci: dict[str, Any]) -> str:
    note = ci.get("agterberg_cheng_mc_note")
    return f"; {note}" if note else ""


def _scale_words(facts: dict[str, Any]) -> str:
    """What a probability layer is beyond its scale's name (its base rate, or weights of
    evidence's prior per unit cell), as its long name says: ``": ..."``, or nothing for a
    relative prospectivity (a ranking) or a report of an older run."""
    words = facts.get("scale_words")
    if not words or facts.get("scale", "relative prospectivity") == "relative prospectivity":
        return ""
    return f": {words}"


def write_quicklook(directory: Path, name: str, arr: Any) -> str:
    """Save ``<name>_quicklook.png`` (a decimated 2-D map with a colour bar); returns its name."""
    fig, ax = plt.subplots(figsize=(6, 5))
    cmap = "magma" if name == "probability" else "viridis"
    im = ax.imshow(arr, cmap=cmap, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label=name)
    ax.set(title=name, xticks=[], yticks=[])
    return _save(fig, Path(directory) / f"{name}_quicklook.png")


def _beside(path: object, directory: Path) -> str:
    """``path`` as ``score.md`` in ``directory`` names it: relative to ``directory``
    (``probability.tif``, ``../model``) when both lie in the output directory (its
    parent), else as given.

    ``score.md`` named the COGs beside it and the model by the run machine's folders
    (``/home/alice/runs/meuse/score/probability.tif``): a score folder handed on (to a
    partner, to a report) named folders of a machine the reader never saw, and the names
    led nowhere once the folder moved. Its quick-looks were already named beside it, and
    the STAC items' assets (``./probability.tif``) and the model card (round 59) are.
    """
    text = str(path)
    if not os.path.isabs(text):
        return text
    here = directory.resolve()
    there = Path(text).resolve()
    if not there.is_relative_to(here.parent):
        return text
    return os.path.relpath(there, here)


def write_score_report(directory: Path, *, quicklooks: dict[str, str],
                       facts: dict[str, Any]) -> Path:
    """Write ``score.md`` around the quick-look PNGs of the scored maps; returns its path.

    Parameters
    ----------
    directory
        The score stage's folder.
    quicklooks
        Map name -> its PNG's file name in ``directory`` (see :func:`write_quicklook`).
    facts
        Title, synthetic flag, grid, metrics and output paths.
    """
    directory = Path(directory)
    lines = [f"# Prospectivity map: {_title(facts)}", ""]
    if facts.get("synthetic"):
        lines += ["> **SYNTHETIC DATA**: a map of synthetic inputs.", ""]
    grid = facts.get("region", {})
    lines += [f"Grid {grid.get('name')} ({grid.get('crs')}, {grid.get('resolution')} "
              f"{_units(grid)} per cell, {grid.get('shape')} cells). Model: "
              f"`{_beside(facts.get('model'), directory)}`. The "
              f"`probability` layer is a {facts.get('scale', 'relative prospectivity')}"
              + _scale_words(facts) + ".", ""]
    head = facts.get("headline") or {}
    if head:
        lines += ["## Skill (spatial cross-validation, out of fold)", "",
                  f"Fold-mean ROC AUC {_fmt(head.get('cv_spatial_fold_roc_auc_mean'))} "
                  f"{_fold_spread(head)}; pooled "
                  f"{_fmt(head.get('cv_spatial_roc_auc'))} ({_headline_interval(head)}); the "
                  "training report has the rest.", ""]
    lines += ["## Map (in-sample success rate: not a skill estimate)", "",
              "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in facts.get("metrics", {}).items()]
    for problem in facts.get("problems") or []:
        lines += ["", f"> **Not computed**: {problem}"]
    for warning in facts.get("evidence_warnings") or []:
        lines += ["", f"> **Evidence**: {warning}"]
    for line in facts.get("coverage") or []:  # cells left unscored, or scored without a layer
        lines += ["", f"> **Coverage**: {line}"]
    if metrics_share := (facts.get("metrics") or {}).get("outside_training_range_share"):
        lines += ["", f"`outside_training_range_share` ({_fmt(metrics_share)}): the share of "
                  "the sampled cells whose value of some continuous layer lies outside that "
                  "layer's training minimum..maximum: the share with a negative MESS "
                  "(Elith et al. 2010), where the model extrapolates; not the area of "
                  "applicability of Meyer & Pebesma 2021, which can be larger or smaller)."]
    metrics = facts.get("metrics", {})
    lines += ["", "`map_top*_capture` are in-sample success-rate figures: the training "
              "occurrences against the map of the model fitted on them (cells tied at the "
              "cut-off shared in proportion)"
              + (f", as shares of the {metrics['map_capture_positives']} training "
                 "positive(s) with a value on the map"
                 if metrics.get("map_capture_positives") is not None else "")
              + (f"; {metrics['map_capture_positives_without_value']} positive(s) fall on "
                 "cells without a value and are left out"
                 if metrics.get("map_capture_positives_without_value") else "") + ".", ""]
    for name, png in quicklooks.items():
        lines += [f"## {name}", "", f"![{name}]({png})", "",
                  f"COG: `{_beside(facts.get('outputs', {}).get(name, ''), directory)}`",
                  ""]
        if name == "uncertainty" and facts.get("uncertainty_meaning"):
            # a spread of what, over how many members, in which units
            lines += [f"What this map is: {facts['uncertainty_meaning']}.", ""]
        zero = (facts.get("metrics") or {}).get("uncertainty_zero_share")
        if name == "uncertainty" and isinstance(zero, int | float) and zero > 0:
            from prospect.models.uncertainty import zero_spread_meaning

            why = zero_spread_meaning(str(facts.get("uncertainty_meaning") or ""))
            lines += [f"Its value is 0 on {zero_share_words(zero)} % of the cells with a value "
                      f"(`uncertainty_zero_share`): {why}.", ""]
    return write_text(directory / "score.md", "\n".join(lines) + "\n")
