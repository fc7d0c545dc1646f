"""Reports, round 27b: the figures the training report, ``score.md``, ``metrics.json``, the
model card and the baseline verdict state, recomputed from the rows they are made of.

A figure that is not 0 was stated as 0 (a PR AUC's no-skill level of 2 positives among
50 000 rows: ``0.000`` in the report, ``0.0`` in ``metrics.json``); counts were stated with
decimals they do not have (``12345.000``) or with digits lost (``1.234e+04`` rows on the
card); an undefined interval read ``n/a-n/a``; a model that beat its baseline by 0.0004
"beat" it at ``0.750 vs 0.750``; a comparison that could not be made read as "no skill".

Library cases on small SYNTHETIC score vectors (scikit-learn and numpy recompute every
figure); no subprocess.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score


def _rare(n: int = 50_000, positives: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC: ``positives`` occurrences among ``n`` background rows, scored so that
    the positives rank high but not first."""
    rng = np.random.default_rng(11)
    y = np.zeros(n, int)
    y[:positives] = 1
    s = rng.random(n)
    s[:positives] = 0.9995
    return y, s


def _spatial(y: np.ndarray, s: np.ndarray) -> object:
    """A spatial-block :class:`CVResult` of pooled scores ``s`` (two folds)."""
    from prospect.models.evaluate import CVResult
    from prospect.models.metrics import classification_metrics

    metrics = classification_metrics(y, s)
    metrics.update(fold_roc_auc_mean=metrics["roc_auc"], fold_roc_auc_std=0.01, n_folds=2.0)
    return CVResult("spatial_block", s, np.arange(y.size) % 2, metrics=metrics)


def _report(tmp_path: Path, cv_metrics: dict, **facts: object) -> str:
    from pipelines.report import write_report

    out = write_report(
        tmp_path / "report",
        {"cv": {"spatial_block": {"metrics": cv_metrics}}, "curves": {}, **facts},
    )
    return Path(out).read_text(encoding="utf-8")


def test_metrics_json_keeps_a_no_skill_level_below_a_thousandth(tmp_path: Path) -> None:
    """SYNTHETIC. 2 positives among 50 000 rows: PR AUC's no-skill level (the prevalence,
    Saito & Rehmsmeier 2015) is 4e-05; metrics.json recorded 0.0, a PR AUC read against
    nothing. Now four significant digits, as numpy recomputes it."""
    from prospect.models.summary import headline

    y, s = _rare()
    head = headline({"spatial_block": _spatial(y, s)})
    assert head["cv_spatial_pr_auc_no_skill"] == pytest.approx(y.mean(), rel=1e-3)
    assert head["cv_spatial_pr_auc"] == pytest.approx(average_precision_score(y, s), rel=1e-3)
    json.dumps(head)  # still plain JSON


def test_metrics_json_rounds_ordinary_figures_as_before() -> None:
    """SYNTHETIC control: a figure of 0.001 or more keeps its four decimals, to the bit."""
    from prospect.models.summary import headline

    rng = np.random.default_rng(2)
    y = (rng.random(400) < 0.2).astype(int)
    s = rng.random(400) + 0.3 * y
    head = headline({"spatial_block": _spatial(y, s)})
    assert head["cv_spatial_roc_auc"] == round(float(roc_auc_score(y, s)), 4)
    assert head["cv_spatial_pr_auc_no_skill"] == round(float(y.mean()), 4)


def test_the_report_does_not_state_a_rare_prevalence_as_zero(tmp_path: Path) -> None:
    """SYNTHETIC. The report's table read ``| pr_auc_no_skill | 0.000 |`` for a
    prevalence of 4e-05, and its PR AUC of 3e-4 as 0.000: now two significant digits."""
    from prospect.models.metrics import classification_metrics

    y, s = _rare()
    m = classification_metrics(y, s)
    text = _report(tmp_path, m)
    row = re.search(r"^\| pr_auc_no_skill \| ([^|]+) \|", text, re.M)
    assert row is not None and float(row.group(1)) == pytest.approx(y.mean(), rel=0.05)
    assert "| pr_auc_no_skill | 0.000 |" not in text


def test_the_report_states_counts_whole(tmp_path: Path) -> None:
    """SYNTHETIC. Rows and positives are counts: ``| n | 50000 |`` and ``| n_positive | 2
    |``, not ``50000.000`` and ``2.000`` (precision a count does not have); the fold table
    likewise."""
    from prospect.models.metrics import classification_metrics

    y, s = _rare()
    m = classification_metrics(y, s)
    text = _report(tmp_path, m)
    assert "| n | 50000 |" in text and "| n_positive | 2 |" in text
    text = _report(
        tmp_path / "b",
        m,
        cv={
            "spatial_block": {
                "metrics": m,
                "folds": [
                    {
                        "fold": 0.0,
                        "n_train": 25000.0,
                        "n": 25000.0,
                        "n_positive": 1.0,
                        "roc_auc": 0.9,
                        "pr_auc": 0.01,
                    }
                ],
            }
        },
    )
    assert "| 0 | 25000 | 25000 | 1 | 0.900 | 0.010 |" in text


def test_the_report_states_the_p_a_intersection_to_the_resolution_it_has(tmp_path: Path) -> None:
    """SYNTHETIC. 51 held-out occurrences against 510 background rows: the table read
    ``78.431`` (%), a hundred times the resolution of the shares beside it (0.490); now
    ``78.4``, the figure metrics.py computes rounded."""
    from prospect.models.metrics import prediction_area

    rng = np.random.default_rng(4)
    pos, area = rng.random(51) + 0.4, rng.random(510)
    pct = prediction_area(pos, area)["intersection_occurrence_pct"]
    text = _report(tmp_path, {"roc_auc": 0.8, "pa_intersection_pct": pct})
    row = re.search(r"^\| pa_intersection_pct \| ([^|]+) \|", text, re.M)
    assert row is not None and row.group(1).strip() == f"{pct:.1f}"


@pytest.mark.parametrize(
    ("crs", "unit"), [("EPSG:32619", "metres"), ("EPSG:2249", "US survey feet")]
)
def test_the_report_states_blocks_and_cells_in_the_grids_unit(
    tmp_path: Path, crs: str, unit: str
) -> None:
    """SYNTHETIC. A block of 1500 and a buffer of 15 on a UTM grid read "1500 CRS units",
    a unit nobody can quote (the plan says the grid's unit since round 27); now the unit
    the CRS names, for the cell size too."""
    text = _report(
        tmp_path,
        {"roc_auc": 0.8},
        region={"name": "r", "crs": crs, "resolution": 10.0, "shape": [4, 4]},
        cv_config={"block_size": 1500.0, "buffer": 15.0, "n_splits": 5},
    )
    assert f"Spatial blocks of 1500 {unit} " in text and f"buffer 15 {unit} " in text
    assert f"10.0 {unit} per cell" in text and "CRS units" not in text


def test_the_weights_of_evidence_unit_cell_is_stated_in_square_units(tmp_path: Path) -> None:
    """SYNTHETIC. A unit cell of 1 km² on a UTM grid read "1000000.000 CRS units²"; now
    "1000000 square metres", the figure whole and in the grid's unit."""
    text = _report(
        tmp_path,
        {"roc_auc": 0.8},
        region={"name": "r", "crs": "EPSG:32619"},
        weights_of_evidence={"unit_cell_area": 1e6, "cell_area": 100.0, "weights": []},
    )
    assert "Unit cell 1000000 square metres (grid cell 100)" in text


def test_the_report_without_a_readable_crs_still_says_crs_units(tmp_path: Path) -> None:
    """SYNTHETIC control: no CRS to name a unit by: "CRS units", as before."""
    text = _report(
        tmp_path,
        {"roc_auc": 0.8},
        region={"name": "r", "crs": None},
        cv_config={"block_size": 2.0, "buffer": 0.0, "n_splits": 5},
    )
    assert "Spatial blocks of 2" in text and "CRS units" in text


def test_the_report_keeps_three_decimals_for_ordinary_figures(tmp_path: Path) -> None:
    """SYNTHETIC control: AUCs of 1 and 0.75 read 1.000 and 0.750 as before."""
    text = _report(tmp_path, {"roc_auc": 1.0, "pr_auc": 0.75, "prevalence": 0.25})
    assert "| roc_auc | 1.000 |" in text and "| pr_auc | 0.750 |" in text
    assert "| pr_auc_no_skill | 0.250 |" in text


def test_the_score_report_says_why_the_interval_is_undefined(tmp_path: Path) -> None:
    """SYNTHETIC. With too few blocks holding positives the bootstrap interval is
    undefined (metrics.json says why); score.md read ``(bootstrap 95 % n/a-n/a)``."""
    from pipelines.report import write_score_report

    why = "only 3 spatial CV blocks holding positives"
    out = write_score_report(
        tmp_path,
        quicklooks={},
        facts={
            "headline": {
                "cv_spatial_fold_roc_auc_mean": 0.8,
                "cv_spatial_fold_roc_auc_std": 0.1,
                "cv_spatial_roc_auc": 0.79,
                "cv_spatial_roc_auc_ci95_low": None,
                "cv_spatial_roc_auc_ci95_high": None,
                "cv_spatial_roc_auc_ci95_undefined_because": why,
            }
        },
    )
    text = Path(out).read_text(encoding="utf-8")
    assert "n/a-n/a" not in text
    assert f"bootstrap 95 % interval not defined: {why}" in text


def test_the_score_report_states_a_defined_interval(tmp_path: Path) -> None:
    """SYNTHETIC control: a defined interval is stated with its ends."""
    from pipelines.report import write_score_report

    out = write_score_report(
        tmp_path,
        quicklooks={},
        facts={
            "headline": {
                "cv_spatial_roc_auc": 0.79,
                "cv_spatial_roc_auc_ci95_low": 0.7,
                "cv_spatial_roc_auc_ci95_high": 0.85,
            }
        },
    )
    assert "0.700-0.850" in Path(out).read_text(encoding="utf-8")


def _card(metrics: dict, **cv: object) -> str:
    from prospect.registry.card import card_markdown

    return card_markdown(
        {
            "mineral": "lithium",
            "synthetic": True,
            "cv": {"scheme": "spatial_block", **cv, "metrics": metrics},
        }
    )


def test_the_card_states_a_count_of_rows_with_every_digit() -> None:
    """SYNTHETIC. 12 345 rows and a 25 000.5 m block: the card read ``1.234e+04`` (5 rows
    off) and ``2.5e+04``; a NaN figure read ``nan``."""
    text = _card({"spatial_block": {"n": 12345.0, "roc_auc": float("nan")}}, block_size=25000.5)
    assert "| n | 12345 |" in text and "1.234e+04" not in text
    assert "- block_size: 25000.5" in text
    assert "| roc_auc | n/a |" in text


def test_the_card_keeps_four_significant_digits() -> None:
    """SYNTHETIC control: an AUC of 0.81234 reads 0.8123, a tiny p 1e-05, as before."""
    text = _card({"spatial_block": {"roc_auc": 0.81234, "p": 1e-05}})
    assert "| roc_auc | 0.8123 |" in text and "| p | 1e-05 |" in text


def _folds(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    idx = np.arange(n)
    return [(idx[idx % 2 == 1], idx[idx % 2 == 0]), (idx[idx % 2 == 0], idx[idx % 2 == 1])]


def test_a_model_that_beats_its_baseline_by_a_hair_says_figures_that_differ() -> None:
    """SYNTHETIC. The model's ROC AUC beats the baseline's by less than 0.0005: the
    verdict said "beats ... ROC AUC 0.750 vs 0.750"; now the decimals that tell them
    apart, each equal to scikit-learn's ROC AUC of the same rows."""
    from prospect.models.baselines import compare_to_baseline, nearest_positive_oof

    rng = np.random.default_rng(5)
    n = 600
    coords = rng.random((n, 2)) * 1000
    y = ((coords[:, 0] < 300) & (rng.random(n) < 0.6)).astype(int)  # clustered
    base = nearest_positive_oof(coords, y, _folds(n))
    auc_b = roc_auc_score(y, base)
    # a model whose scores order the rows as the baseline does, but for one pair swapped
    # the right way: its ROC AUC is above the baseline's by one pair in ~58 000
    order = np.argsort(base, kind="stable")
    ranks = np.empty(n)
    ranks[order] = np.arange(n, dtype=float)
    wrong = [
        (p, q) for p, q in itertools.pairwise(order) if y[p] == 1 and y[q] == 0
    ]  # a positive just below a negative
    assert wrong, "the synthetic baseline ranks every pair right"
    p, q = wrong[0]
    ranks[p], ranks[q] = ranks[q], ranks[p]
    out = compare_to_baseline(coords, y, _folds(n), ranks)
    auc_m = roc_auc_score(y, ranks)
    assert out["beats"] and 0 < auc_m - auc_b < 0.0005
    stated = re.search(r"ROC AUC ([0-9.]+) vs ([0-9.]+)", out["verdict"])
    assert stated is not None and stated.group(1) != stated.group(2)
    assert float(stated.group(1)) == pytest.approx(
        auc_m, abs=0.5 * 10 ** -len(stated.group(1).split(".")[1])
    )


def test_a_baseline_on_rows_of_one_class_is_not_compared_not_called_no_skill() -> None:
    """SYNTHETIC. The rows both scored hold no negative (ROC AUC undefined for both): the
    verdict said "The model shows no skill ... ROC AUC nan"; now that no comparison was
    possible, with the counts."""
    from prospect.models.baselines import compare_to_baseline

    n = 20
    coords = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    y = np.ones(n, int)
    out = compare_to_baseline(coords, y, _folds(n), np.linspace(0, 1, n))
    assert "no skill" not in out["verdict"] and "nan" not in out["verdict"]
    assert "not compared" in out["verdict"] and f"{n} positive(s)" in out["verdict"]
    assert out["beats"] is False


def test_a_baseline_verdict_of_clear_figures_reads_as_before() -> None:
    """SYNTHETIC control: figures that differ at three decimals keep three."""
    from prospect.models.baselines import compare_to_baseline

    rng = np.random.default_rng(1)
    n = 400
    coords = rng.random((n, 2)) * 1000
    y = (rng.random(n) < 0.25).astype(int)
    out = compare_to_baseline(coords, y, _folds(n), y + 0.1 * rng.random(n))
    assert re.search(
        r"ROC AUC \d\.\d{3} vs \d\.\d{3} \(PR AUC \d\.\d{3} vs \d\.\d{3}\)", out["verdict"]
    ), out["verdict"]
