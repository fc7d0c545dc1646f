"""The training report: one Markdown file with PNG plots (matplotlib, Agg backend).

Spatial-block and random cross-validation are shown side by side: ROC and
precision-recall curves, success-rate (capture-efficiency) curves, the prediction-area
plot, a reliability diagram, permutation importance and partial dependence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

from prospect.io.files import staged_dir, write_text

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["write_quicklook", "write_report", "write_score_report"]

_LABEL = {"spatial_block": "spatial blocks", "random": "random folds"}
_COLOR = {"spatial_block": "#1b6ca8", "random": "#d1495b"}


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return "n/a" if v is None else str(v)


def _plots(out: Path, facts: dict[str, Any]) -> dict[str, str]:
    curves = facts.get("curves", {})
    files: dict[str, str] = {}
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for scheme, c in curves.items():
        lab, col = _LABEL.get(scheme, scheme), _COLOR.get(scheme, "k")
        axes[0].plot(c["roc"]["fpr"], c["roc"]["tpr"], color=col, label=lab)
        axes[1].plot(c["pr"]["recall"], c["pr"]["precision"], color=col, label=lab)
        axes[2].plot(c["success"]["area"], c["success"]["captured"], color=col, label=lab)
    axes[0].plot([0, 1], [0, 1], "k:", lw=0.8)
    axes[2].plot([0, 1], [0, 1], "k:", lw=0.8)
    axes[0].set(title="ROC (out of fold)", xlabel="false positive rate",
                ylabel="true positive rate")
    axes[1].set(title="Precision-recall", xlabel="recall", ylabel="precision")
    axes[2].set(title="Success rate (capture efficiency)", xlabel="share of area (ranked)",
                ylabel="share of occurrences captured")
    for ax in axes:
        ax.legend(loc="best", fontsize=8)
    files["curves"] = _save(fig, out / "cv_curves.png")

    pa = curves.get("spatial_block", {}).get("prediction_area")
    if pa and pa.get("thresholds"):
        fig, ax = plt.subplots(figsize=(5.5, 4))
        ax.plot(pa["thresholds"], pa["occurrence_pct"], color="#1b6ca8",
                label="occurrences predicted (%)")
        ax.set_xlabel("probability threshold")
        ax.set_ylabel("occurrences predicted (%)")
        ax2 = ax.twinx()
        ax2.plot(pa["thresholds"], [100 - a for a in pa["area_pct"]], color="#d1495b",
                 label="100 - area (%)")
        ax2.set_ylabel("area outside the prospective class (%)")
        ax.axvline(pa["intersection_threshold"], color="k", ls=":", lw=0.8)
        ax.set_title(f"Prediction-area plot (spatial CV): "
                     f"{pa['intersection_occurrence_pct']:.0f}% / "
                     f"{100 - pa['intersection_occurrence_pct']:.0f}%")
        files["prediction_area"] = _save(fig, out / "prediction_area.png")

    cal = facts.get("calibration", {}).get("spatial_oof_before", {})
    if cal.get("mean_predicted"):
        fig, ax = plt.subplots(figsize=(4.5, 4))
        ax.plot(cal["mean_predicted"], cal["fraction_positive"], "o-", label="spatial OOF")
        after = facts.get("calibration", {}).get("spatial_oof_after")
        if after and after.get("mean_predicted"):
            ax.plot(after["mean_predicted"], after["fraction_positive"], "s--",
                    label="after calibration")
        ax.plot([0, 1], [0, 1], "k:", lw=0.8)
        ax.set(title="Reliability", xlabel="mean predicted probability",
               ylabel="observed share of positives")
        ax.legend(fontsize=8)
        files["reliability"] = _save(fig, out / "reliability.png")

    imp = facts.get("cv", {}).get("spatial_block", {}).get("importance") or {}
    if imp:
        names = sorted(imp, key=lambda n: imp[n]["mean"])[-20:]
        fig, ax = plt.subplots(figsize=(6, 0.3 * len(names) + 1.2))
        ax.barh(names, [imp[n]["mean"] for n in names], xerr=[imp[n]["std"] for n in names],
                color="#1b6ca8")
        ax.set(title="Permutation importance (drop in ROC AUC, spatial folds)",
               xlabel="mean over folds")
        files["importance"] = _save(fig, out / "importance.png")

    pdp = facts.get("partial_dependence") or {}
    if pdp:
        n = len(pdp)
        fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3), squeeze=False)
        for ax, (name, curve) in zip(axes[0], pdp.items(), strict=True):
            ax.plot(curve["values"], curve["average"], color="#1b6ca8")
            ax.set(title=name, xlabel="value", ylabel="mean probability")
        files["partial_dependence"] = _save(fig, out / "partial_dependence.png")
    return files


def write_report(directory: Path, facts: dict[str, Any]) -> Path:
    """Write ``report.md`` and its PNGs to ``directory``; returns the Markdown path.

    The directory is written in a staging folder and renamed into place.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with staged_dir(directory) as staging:
        _write_report(staging, facts)
    return directory / "report.md"


def _write_report(staging: Path, facts: dict[str, Any]) -> None:
    files = _plots(staging, facts)
    lines = [f"# Prospectivity model report: {facts.get('mineral')} ({facts.get('job')})", ""]
    if facts.get("synthetic"):
        lines += ["> **SYNTHETIC DATA**: this run used synthetic inputs; the figures say "
                  "nothing about any real deposit.", ""]
    region = facts.get("region", {})
    lines += [
        f"- Estimator: `{facts.get('estimator')}`; deposit type: "
        f"{facts.get('deposit_type') or 'n/a'}",
        f"- Region: {region.get('name')} ({region.get('crs')}, {region.get('resolution')} "
        f"units per cell, {region.get('shape')} cells)",
        f"- Config hash: `{facts.get('config_hash')}`",
        "", "## Labels", "", "| item | value |", "|---|---|",
    ]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in facts.get("labels", {}).items()]
    lines += ["", f"## Features ({len(facts.get('features', []))})", "",
              ", ".join(f"`{f}`" for f in facts.get("features", [])), ""]
    cvc = facts.get("cv_config", {})
    lines += ["## Validation: spatial blocks vs random folds", "",
              f"Spatial blocks of {cvc.get('block_size')} CRS units, buffer "
              f"{cvc.get('buffer')}, {cvc.get('n_splits')} folds balanced by positives. "
              "Random folds put neighbouring cells on both sides of a split and are "
              "optimistic; the spatial figures are the honest estimate.", "",
              "| metric | spatial blocks | random folds |", "|---|---|---|"]
    cv = facts.get("cv", {})
    sp = cv.get("spatial_block", {}).get("metrics", {})
    rd = cv.get("random", {}).get("metrics", {})
    for key in ("roc_auc", "pr_auc", "success_rate_auc", "top5_capture", "top10_capture",
                "top20_capture", "pa_intersection_pct", "fold_roc_auc_mean",
                "fold_roc_auc_std", "n", "n_positive"):
        lines.append(f"| {key} | {_fmt(sp.get(key))} | {_fmt(rd.get(key))} |")
    lines += ["", "Top-k capture: share of held-out occurrences in the top k % of the area "
              "(estimated by the held-out background sample).", ""]
    if "curves" in files:
        lines += [f"![ROC, precision-recall and success-rate curves]({files['curves']})", ""]
    if "prediction_area" in files:
        lines += ["## Prediction-area plot", "",
                  f"![prediction-area plot]({files['prediction_area']})", ""]
    lines += ["## Folds (spatial)", "", "| fold | n_train | n | n_positive | ROC AUC | PR AUC |",
              "|---|---|---|---|---|---|"]
    for f in cv.get("spatial_block", {}).get("folds", []):
        lines.append(f"| {_fmt(f.get('fold'))} | {_fmt(f.get('n_train'))} | {_fmt(f.get('n'))} "
                     f"| {_fmt(f.get('n_positive'))} | {_fmt(f.get('roc_auc'))} "
                     f"| {_fmt(f.get('pr_auc'))} |")
    cal = facts.get("calibration", {})
    lines += ["", "## Calibration", "", f"Method: {cal.get('method')}. Brier score of the "
              f"spatial out-of-fold probabilities: "
              f"{_fmt(cal.get('spatial_oof_before', {}).get('brier'))}. {cal.get('note', '')}",
              ""]
    if "reliability" in files:
        lines += [f"![reliability diagram]({files['reliability']})", ""]
    if "importance" in files:
        lines += ["## Permutation importance", "", f"![importance]({files['importance']})", ""]
    if "partial_dependence" in files:
        lines += ["## Partial dependence", "",
                  f"![partial dependence]({files['partial_dependence']})", ""]
    lines += _woe_section(staging, facts.get("weights_of_evidence") or {})
    (staging / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _w(row: dict[str, Any], key: str) -> str:
    """A weight, or 'undefined' (an empty 2x2 cell: no finite value, not in the posterior)."""
    v = row.get(key)
    return "undefined" if v is None or (isinstance(v, float) and v != v) else _fmt(v)


def _woe_section(out: Path, woe: dict[str, Any]) -> list[str]:
    """Weights in use, every cumulative table (drawn and listed), and the CI checks."""
    if not woe:
        return []
    lines = ["## Weights of evidence (Bonham-Carter 1994)", "",
             f"Unit cell {_fmt(woe.get('unit_cell_area'))} CRS units² (grid cell "
             f"{_fmt(woe.get('cell_area'))}); study area {_fmt(woe.get('area_unit_cells'))} "
             f"unit cells; {_fmt(woe.get('n_deposits'))} deposits, counted "
             f"{'every occurrence point' if woe.get('count') == 'points' else 'one per cell'}"
             f"; prior logit {_fmt(woe.get('prior_logit'))}. A weight is *undefined* where a "
             "cell of its 2x2 table is empty (a class without deposits, no area or no deposit "
             "outside a pattern): it is not estimated and adds nothing to the posterior.", "",
             "| feature | kind | threshold / class | area | deposits | W+ | s(W+) | W- | "
             "s(W-) | C | s(C) | stud. C | defined |", "|" + "---|" * 13]
    for r in woe.get("weights", []):
        tc = r.get("group") or r.get("threshold", r.get("class"))
        kind = r["kind"]
        if r.get("selection") == "manual":
            kind += " (manual)"
        elif "significant" in r and not r["significant"]:
            kind += " (stud. C < 2)"
        defined = "yes" if r.get("defined") else (
            "W+ only" if r.get("defined_plus") else "W- only" if r.get("defined_minus")
            else "no")
        lines.append(
            f"| {r['feature']} | {kind} | {_fmt(tc)} | {_fmt(r['area'])} | "
            f"{_fmt(r['deposits'])} | {_w(r, 'w_plus')} | {_w(r, 's_w_plus')} | "
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
                        f"| {_fmt(r['threshold'])} | {_fmt(r['area'])} | {_fmt(r['deposits'])} "
                        f"| {_w(r, 'w_plus')} | {_w(r, 's_w_plus')} | {_w(r, 'w_minus')} | "
                        f"{_w(r, 's_w_minus')} | {_w(r, 'contrast')} | {_w(r, 's_contrast')} | "
                        f"{_w(r, 'studentized_contrast')} | {mark} |")
                lines.append("")
    ci = woe.get("conditional_independence", {})
    lines += ["", f"Conditional independence: observed/predicted deposits "
              f"{_fmt(ci.get('ratio'))} (below ~0.85 suggests a violation); Agterberg-Cheng "
              f"test over {_fmt(ci.get('n_combinations'))} unique evidence combinations: "
              f"z {_fmt(ci.get('agterberg_cheng_z'))}, one-sided p "
              f"{_fmt(ci.get('agterberg_cheng_p'))} (CI rejected at 5 % when p < 0.05).", ""]
    return lines


def write_quicklook(directory: Path, name: str, arr: Any) -> str:
    """Save ``<name>_quicklook.png`` (a decimated 2-D map with a colour bar); returns its name."""
    fig, ax = plt.subplots(figsize=(6, 5))
    cmap = "magma" if name == "probability" else "viridis"
    im = ax.imshow(arr, cmap=cmap, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label=name)
    ax.set(title=name, xticks=[], yticks=[])
    return _save(fig, Path(directory) / f"{name}_quicklook.png")


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
    lines = [f"# Prospectivity map: {facts.get('mineral')} ({facts.get('job')})", ""]
    if facts.get("synthetic"):
        lines += ["> **SYNTHETIC DATA**: a map of synthetic inputs.", ""]
    grid = facts.get("region", {})
    lines += [f"Grid {grid.get('name')} ({grid.get('crs')}, {grid.get('resolution')} units "
              f"per cell, {grid.get('shape')} cells). Model: `{facts.get('model')}`.", "",
              "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in facts.get("metrics", {}).items()]
    for problem in facts.get("problems") or []:
        lines += ["", f"> **Not computed**: {problem}"]
    lines += ["", "`map_top*_capture` are in-sample (the training occurrences against the whole "
              "map); the cross-validated figures are in the training report.", ""]
    for name, png in quicklooks.items():
        lines += [f"## {name}", "", f"![{name}]({png})", "",
                  f"COG: `{facts.get('outputs', {}).get(name, '')}`", ""]
    return write_text(directory / "score.md", "\n".join(lines) + "\n")
