"""Round 53, models and reuse: ``model export --cube`` refused on rows of codes the model
never saw and on rows of its own codes offered a ``--atol`` the size of the unseen codes'
difference and named no code; two copies of a geology map (unit codes and the same
polygons' lithology codes) had their permutation importance split between them unsaid;
and a sigmoid calibration fitted to a handful of positives was a step from 0 to 1, not
Platt's sigmoid.

All data are SYNTHETIC: round 49's factory (:func:`.test_models_round49._published`) makes
a one-hot logistic regression on ``a`` (0..1) and ``geo`` (codes 1-3) fitted on 600
seeded rows, published in a temporary registry, and 32 x 32 cubes on its grid; seeded
training rows and out-of-fold scores; the real CLI in this process.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_models_round49 import _published
from .test_models_round50 import _export


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A registry holding ``logit`` (SYNTHETIC) and its cube maker."""
    return _published(tmp_path_factory.mktemp("r53plain"), 53, None, 0)


def _half_unseen(plain: dict[str, Any], path: Path) -> Path:
    """A SYNTHETIC cube whose ``geo`` holds codes 1-3 on its top half and 2.5 (a bilinear
    warp of codes) on its bottom half."""
    codes = np.random.default_rng(3).integers(1, 4, (32, 32)).astype("f4")
    codes[16:, :] = 2.5
    return plain["make_cube"](path, plain["a"], codes)  # type: ignore[no-any-return]


# -- model export: rows of unseen codes beside rows of the model's own codes ---------------


def test_export_refused_on_unseen_and_own_codes_says_each_part(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: the half-2.5 cube checked at ``--atol 1e-9``, so rows of the model's
    own codes differ too (float32: about 1e-7). Before, every differing row had to hold
    an unseen code for the code to be named: it was "differ ... by up to 0.162 ... does
    not convert to ONNX faithfully; ..., or allow a larger difference (--atol) if one of
    this size is acceptable", a tolerance of 0.162 offered (which passes an export that
    scores the 2.5 cells otherwise) and the cube's code 2.5 not named. Now each part is
    said with its own largest difference: the model's codes' (the conversion's; the
    ``--atol`` offered is its size) and the unseen code's, named with the fix; nothing
    written."""
    cube = _half_unseen(plain, tmp_path / "c.zarr")
    out = tmp_path / "m.onnx"
    code, text = _export(cli, plain, out, "--cube", cube, "--samples", 50, "--atol", "1e-9")
    assert code == 1, text
    assert "not written: ONNX predictions differ from scikit-learn's (tolerance 1e-09)" in text
    assert "rows of the model's own codes, so this model does not convert to ONNX" in text
    assert "rows each holding a code the model never saw: 'geo' 2.5 (" in text, text
    assert "(fitted on codes 1, 2, 3)" in text, text
    assert "warp it with nearest or mode" in text, text
    assert "if one of this size is acceptable" not in text, text
    offered = re.search(r"allow a larger difference \(--atol\) if one of (\S+) is", text)
    assert offered is not None, text
    assert float(offered.group(1)) < 1e-4, text  # the conversion's, not the 2.5 rows'
    unseen = re.search(r"and by up to (\S+) on \d+ rows each holding a code", text)
    assert unseen is not None and float(unseen.group(1)) > 0.01, text
    assert not out.exists()


def test_control_export_refused_on_unseen_codes_alone_keeps_its_words(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC control: the same cube at the default tolerance, where only the 2.5
    rows differ, keeps round 52's words (the export agrees on the model's own codes)."""
    cube = _half_unseen(plain, tmp_path / "c.zarr")
    out = tmp_path / "m.onnx"
    code, text = _export(cli, plain, out, "--cube", cube, "--samples", 50)
    assert code == 1, text
    assert "each holding a code the model never saw: 'geo' 2.5 (" in text, text
    assert "the export agrees on the model's own codes, but ONNX's one-hot encoder" in text
    assert "--atol" not in text, text
    assert not out.exists()


# -- permutation importance: two copies of one geology map ---------------------------------


def _rows(seed: int = 53) -> tuple[np.ndarray, list[str], list[int]]:
    """SYNTHETIC training rows: ``a`` (0..1), ``geo`` (unit codes 1-4), ``lith`` (the
    same polygons' lithology codes 10-40, one per unit), ``fault`` (codes 1-3 drawn on
    their own) and ``b`` (``a`` doubled, a continuous twin)."""
    rng = np.random.default_rng(seed)
    n = 300
    a = rng.random(n)
    geo = rng.integers(1, 5, n).astype("f8")
    lith = np.array([10.0, 20.0, 30.0, 40.0])[geo.astype(int) - 1]
    lith[:7] = np.nan  # a few cells without the second map
    fault = rng.integers(1, 4, n).astype("f8")
    X = np.column_stack([a, geo, lith, fault, 2.0 * a + 1e-3 * rng.random(n)])
    return X, ["a", "geo", "lith", "fault", "b"], [1, 2, 3]


def test_two_copies_of_a_geology_map_are_said_to_share_their_importance(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: ``geo`` and ``lith`` are one map's polygons coded twice. Before, the
    pairs were looked for among continuous layers only, so permutation importance split
    between the copies went unsaid (in ``metrics.json``, the train stage's warning, the
    card and the report). Now the pair is listed with its Cramér's V (1: one class of each
    per class of the other), said in the warning and in the report's table."""
    from pipelines.report import write_report
    from prospect.models.summary import correlated_features, importance_warnings

    X, names, categorical = _rows()
    pairs = correlated_features(X, names, categorical)
    classed = [d for d in pairs if d["features"] == ["geo", "lith"]]
    assert classed == [
        {"features": ["geo", "lith"], "spearman": None, "pearson": None, "cramers_v": 1.0, "n": 293}
    ], pairs
    assert not any("fault" in d["features"] for d in pairs), pairs
    facts = {
        "job": "r53",
        "mineral": "lithium",
        "synthetic": True,
        "features": names,
        "correlated_features": pairs,
        "cv": {"spatial_block": {"importance": {n: {"mean": 0.1, "std": 0.01} for n in names}}},
    }
    (said,) = importance_warnings(facts)
    assert "(|r| or Cramér's V >= 0.9 on the training cells)" in said, said
    assert "'geo' and 'lith' (classes: Cramér's V 1.000)" in said, said
    assert "'a' and 'b' (Spearman r 1.000, Pearson r 1.000)" in said, said
    report = write_report(tmp_path / "report", facts).read_text(encoding="utf-8")
    assert "| features | Spearman r | Pearson r | Cramér's V (classes) |" in report, report
    assert "| `geo` and `lith` | n/a | n/a | 1.000 |" in report, report


def test_control_continuous_pairs_keep_their_words_and_unrelated_classes_none(
    tmp_path: Path,
) -> None:
    """SYNTHETIC control: without the map's second copy, the continuous pair keeps its
    words, record and report table as before, and two unrelated categorical layers
    (``geo``, ``fault``) are no pair."""
    from pipelines.report import write_report
    from prospect.models.summary import correlated_features, importance_warnings

    X, names, _ = _rows()
    keep = [0, 1, 3, 4]
    pairs = correlated_features(X[:, keep], [names[j] for j in keep], [1, 2])
    assert [d["features"] for d in pairs] == [["a", "b"]], pairs
    assert set(pairs[0]) == {"features", "spearman", "pearson", "n"}, pairs
    facts = {
        "job": "r53",
        "mineral": "lithium",
        "synthetic": True,
        "features": ["a", "geo", "fault", "b"],
        "correlated_features": pairs,
        "cv": {"spatial_block": {"importance": {"a": {"mean": 0.1, "std": 0.0}}}},
    }
    (said,) = importance_warnings(facts)
    assert said.startswith(
        "permutation importance: strongly correlated features (|r| >= 0.9 on the training "
        "cells): 'a' and 'b' (Spearman r 1.000, Pearson r 1.000); shuffling one leaves"
    ), said
    report = write_report(tmp_path / "report", facts).read_text(encoding="utf-8")
    assert "| features | Spearman r | Pearson r |\n|---|---|---|\n" in report, report
    assert "Cramér" not in report


# -- sigmoid calibration on a handful of positives ------------------------------------------


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt's (1999) sigmoid as published, fitted here on its own: slope and intercept on
    the score's logit minimising the log loss against the targets (N+ + 1) / (N+ + 2)
    and 1 / (N- + 2)."""
    from scipy.optimize import minimize
    from scipy.special import expit

    z = _logit(scores)
    n_pos, n_neg = float(y.sum()), float(y.size - y.sum())
    t = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(ab: np.ndarray) -> float:
        p = np.clip(expit(ab[0] * z + ab[1]), 1e-300, 1 - 1e-16)
        return float(-np.sum(t * np.log(p) + (1 - t) * np.log1p(-p)))

    fit = minimize(
        loss,
        np.array([1.0, 0.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    return float(fit.x[0]), float(fit.x[1])


def _calibrated(scores: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    from prospect.models.uncertainty import CalibratedModel

    X = np.random.default_rng(0).normal(size=(y.size, 2))
    model = CalibratedModel(model=LogisticRegression().fit(X, y), method="sigmoid")
    return model.fit(X, y, scores=scores)


def test_a_sigmoid_calibration_of_a_handful_of_positives_is_platts() -> None:
    """SYNTHETIC: out-of-fold scores of 97 background rows (0.01-0.3) and 3 positives
    above all of them (0.5, 0.6, 0.7). Before, the sigmoid was fitted on 0 and 1: a
    slope of 12.7, a step, a raw 0.5 calibrated to 0.988 and 0.6 to 0.99993 (a certainty
    three deposits cannot give), the map said to be Platt's. Now Platt's fit as
    published (and as scikit-learn's ``CalibratedClassifierCV`` fits it): on his targets,
    0.8 for a positive and 1/99 for a negative here, so 0.5 maps to about 0.37."""
    from scipy.special import expit

    rng = np.random.default_rng(1)
    scores = np.concatenate([rng.uniform(0.01, 0.3, 97), [0.5, 0.6, 0.7]])
    y = np.r_[np.zeros(97), np.ones(3)].astype(int)
    model = _calibrated(scores, y)
    slope, intercept = _platt(scores, y)
    raw = np.array([0.05, 0.2, 0.4, 0.5, 0.6, 0.7])
    want = expit(slope * _logit(raw) + intercept)
    got = model.calibrate(raw)
    np.testing.assert_allclose(got, want, rtol=5e-3)
    assert got[3] < 0.5 and got[4] < 0.8, got
    np.testing.assert_allclose(model.predict_proba(np.zeros((1, 2)))[:, 1].shape, (1,))


def test_a_sigmoid_on_many_rows_is_platts_too() -> None:
    """SYNTHETIC: 2000 rows (about 5 % positive). Platt's targets are 1 and 0 to a few
    parts in a thousand here, yet the fit on 0 and 1 was 1 % off his slope (0.2730 for
    0.2707 on these scores); now Platt's to the optimiser's tolerance."""
    from scipy.special import expit

    rng = np.random.default_rng(29)
    scores = rng.random(2000)
    y = (rng.random(2000) < 0.1 * scores).astype(int)
    model = _calibrated(scores, y)
    slope, intercept = _platt(scores, y)
    raw = np.linspace(0.001, 0.999, 50)
    np.testing.assert_allclose(
        model.calibrate(raw), expit(slope * _logit(raw) + intercept), rtol=2e-3
    )


def test_control_a_sigmoid_on_scores_of_one_value_maps_to_the_share() -> None:
    """SYNTHETIC control: scores of one value still map to the share of positives (round
    29's rule: no slope to fit)."""
    flat = _calibrated(np.full(50, 0.3), np.r_[np.zeros(45), np.ones(5)].astype(int))
    np.testing.assert_allclose(flat.calibrate(np.array([0.0, 0.3, 1.0])), 0.1)
