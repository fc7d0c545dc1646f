"""Round 40, models and reuse: the quality-control records the labels left out counted in
the training counts, and the baseline's PR AUC verdict in the metrics beside the ROC AUC's.

Library cases on round 31's 40 x 40 SYNTHETIC cube (``heat``, ``depth``) and 12 SYNTHETIC
wells where ``heat`` is high, trained with the train stage's own functions; the baseline
cases on SYNTHETIC out-of-fold scores.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from .test_models_round31 import _cube, _grid


@pytest.fixture(scope="module")
def cube(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The SYNTHETIC cube and 12 SYNTHETIC well positions where ``heat`` is above 0.9."""
    root = tmp_path_factory.mktemp("models40")
    grid = _grid()
    rng = np.random.default_rng(40)
    heat = rng.random(grid.shape)
    ds = _cube(root / "cube.zarr", {"heat": heat, "depth": rng.random(grid.shape)})
    hot = np.argwhere(heat > 0.9)
    pick = hot[rng.choice(len(hot), 15, replace=False)]
    return {"root": root, "grid": grid, "ds": ds, "x": grid.x[pick[:, 1]],
            "y": grid.y[pick[:, 0]]}


def _counts(cube: dict[str, Any], types: list[str], name: str) -> dict[str, Any]:
    """The training counts of the SYNTHETIC wells typed ``types`` in ``sample_type``."""
    from prospect.config.model import ModelConfig
    from prospect.config.sources import PointSource
    from prospect.features import build_stack
    from prospect.models.training import build_training_set, select_features

    n = len(types)
    wells = cube["root"] / f"{name}.csv"
    pd.DataFrame({"x": cube["x"][:n], "y": cube["y"][:n], "sample_type": types}).to_csv(
        wells, index=False)
    source = PointSource(name="wells", path=wells, x="x", y="y", crs="EPSG:32619")
    cfg = ModelConfig(mineral="lithium", estimator="random_forest", features=["heat", "depth"],
                      labels={"source": "wells", "background_ratio": 5},
                      cv={"n_splits": 3, "block_size": 100.0, "seeds": 1, "bootstrap": 0},
                      permutation_repeats=0, partial_dependence=0)
    spec = select_features(cube["ds"], cfg, labels_path=wells)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = build_training_set(build_stack(cube["ds"], spec), spec, grid=cube["grid"],
                                source=source, cfg=cfg)
    return dict(ts.counts)


def test_the_quality_control_records_left_out_are_counted(cube: dict[str, Any]) -> None:
    """SYNTHETIC: 12 wells and 3 laboratory records (a standard, a blank, a duplicate)
    typed in ``sample_type``. The labels leave the 3 out (round 39) and the warning names
    them, but the training counts (the card's and the report's ``labels``) listed barren
    records and other commodities' and said nothing of these: the 15 rows of the file
    read as 12 records with no reason for the other 3. Now ``records_quality_control: 3``
    beside ``records_barren``."""
    counts = _counts(cube, ["SAMPLE"] * 12 + ["STD", "BLK", "DUP"], "qc")
    assert counts.get("records_quality_control") == 3, counts
    assert counts["records_barren"] == 0


def test_control_a_table_without_quality_control_records_keeps_its_counts(
        cube: dict[str, Any]) -> None:
    """Control: 12 wells all typed ``SAMPLE``: no ``records_quality_control`` key (the
    counts, and the cards written from them, keep their bytes)."""
    counts = _counts(cube, ["SAMPLE"] * 12, "plain")
    assert "records_quality_control" not in counts, counts
    assert counts["records_barren"] == 0


def test_too_few_positives_names_the_quality_control_records_left_out(
        cube: dict[str, Any]) -> None:
    """SYNTHETIC: a table of 13 rows, one sample and 12 laboratory records (standards,
    blanks, duplicates: a laboratory's batch export). Before: "wells.csv: 1 positive
    cell(s) on the grid of region 'r31' (1 record(s), 0 outside the region, 0 sharing a
    cell with another); training needs at least 2": 13 rows read as 1 record, with no
    reason for the other 12. Now the refusal says they were left out and why."""
    from prospect.errors import DataError

    kinds = ["STD", "BLK", "DUP"] * 4
    with pytest.raises(DataError) as caught:
        _counts(cube, ["SAMPLE", *kinds], "mostly_qc")
    text = str(caught.value)
    assert "1 positive cell(s)" in text, text
    assert ("and 12 left out before: 12 laboratory quality-control record(s) (standards, "
            "blanks, duplicates)") in text, text
    assert "training needs at least 2" in text, text


# -- 2. the baseline's PR AUC verdict in the metrics --------------------------------------------


def test_a_model_behind_the_baseline_on_pr_auc_is_not_a_plain_true_in_the_metrics() -> None:
    """SYNTHETIC rows of round 39 (30 background cells above every occurrence): ROC AUC
    0.850 vs 0.503 but PR AUC 0.400 vs 0.536. The verdict in words says "by ROC AUC only",
    but ``metrics.json`` (what a script or a CI gate reads) held only
    ``cv_spatial_beats_baseline: true`` and the baseline's ROC AUC. Now the train stage's
    metrics (``baselines.baseline_metrics``) carry the PR AUC's verdict beside it:
    ``cv_spatial_beats_baseline_pr_auc: false`` and ``cv_spatial_baseline_pr_auc``."""
    from prospect.models.baselines import baseline_metrics

    from .test_models_round39 import _mixed

    found = baseline_metrics(_mixed(30))
    assert found["cv_spatial_beats_baseline"] is True  # the ROC AUC's, as before
    assert found["cv_spatial_beats_baseline_pr_auc"] is False, found
    assert found["cv_spatial_baseline_pr_auc"] == pytest.approx(0.536, abs=5e-4), found
    assert found["cv_spatial_baseline_roc_auc"] == pytest.approx(0.503, abs=5e-4), found


def test_control_a_model_ahead_on_both_figures_beats_the_baseline_on_both() -> None:
    """Control: no background cell above the occurrences: the model is ahead on both
    figures and both verdicts are true."""
    from .test_models_round39 import _mixed

    found = _mixed(0)
    assert found["beats"] and found["model"]["pr_auc"] > found["baseline"]["pr_auc"]
    assert found["verdict"].startswith(
        "The model beats the distance-to-nearest-occurrence baseline on spatial blocks: ROC "
        "AUC ")
