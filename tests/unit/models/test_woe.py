"""Weights of evidence against tables computed by hand (Bonham-Carter 1994, ch. 9)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prospect.models import WeightsOfEvidenceClassifier, binary_weights

# Hand computation for N(T)=100 unit cells, N(D)=10 deposits, pattern B of 20 cells
# holding 6 deposits:
#   N(B&D)=6, N(B&~D)=14, N(~B&D)=4, N(~B&~D)=76
#   W+ = ln[(6/10)/(14/90)] = ln 3.857143 = 1.349927
#   W- = ln[(4/10)/(76/90)] = ln 0.473684 = -0.747214
#   s(W+) = sqrt(1/6 + 1/14) = 0.487950 ; s(W-) = sqrt(1/4 + 1/76) = 0.512989
#   C = 2.097141 ; s(C) = sqrt(0.238095 + 0.263158) = 0.707992 ; C/s(C) = 2.962096
HAND = {"w_plus": 1.349927, "w_minus": -0.747214, "s_w_plus": 0.487950,
        "s_w_minus": 0.512989, "contrast": 2.097141, "s_contrast": 0.707992,
        "studentized_contrast": 2.962096}


def _raster_case() -> tuple[np.ndarray, np.ndarray]:
    """100 cells: pattern B = first 20 cells, deposits in 6 of them and 4 outside."""
    b = np.zeros(100)
    b[:20] = 1
    y = np.zeros(100, int)
    y[[0, 3, 5, 7, 11, 19]] = 1
    y[[40, 55, 70, 99]] = 1
    return b, y


def test_binary_weights_match_hand_table() -> None:
    got = binary_weights(20, 6, 100, 10)
    for key, value in HAND.items():
        assert got[key] == pytest.approx(value, abs=1e-6), key


def test_estimator_on_cells_reproduces_table_and_bayes_posterior() -> None:
    b, y = _raster_case()
    woe = WeightsOfEvidenceClassifier(categorical_features=[0]).fit(b[:, None], y)
    table = {row["class"]: row for row in woe.weights_table(["B"])}
    # the weight of class 1 is W+ of B; the weight of class 0 is W+ of ~B, i.e. W- of B
    assert table[1.0]["w_plus"] == pytest.approx(HAND["w_plus"], abs=1e-6)
    assert table[0.0]["w_plus"] == pytest.approx(HAND["w_minus"], abs=1e-6)
    assert woe.prior_logit_ == pytest.approx(math.log(10 / 90))
    p = woe.predict_proba(np.array([[1.0], [0.0]]))[:, 1]
    # one binary evidence layer: the posterior is the deposit density of each class
    assert p == pytest.approx([6 / 20, 4 / 80])
    sd = woe.predict_proba_std(np.array([[1.0]]))[0]
    assert sd == pytest.approx(math.sqrt((1 / 10 + HAND["s_w_plus"] ** 2) * (6 / 20) ** 2))


def test_cumulative_descending_picks_the_pattern_and_its_weights() -> None:
    b, y = _raster_case()
    x = np.where(b == 1, 5.0, 1.0)  # two levels: the only cumulative pattern is x >= 5
    woe = WeightsOfEvidenceClassifier(continuous="descending", n_thresholds=50).fit(x[:, None], y)
    row = woe.weights_table(["x"])[0]
    assert row["kind"] == "descending" and row["threshold"] == 5.0
    assert row["w_plus"] == pytest.approx(HAND["w_plus"], abs=1e-6)
    assert row["studentized_contrast"] == pytest.approx(HAND["studentized_contrast"], abs=1e-6)
    auto = WeightsOfEvidenceClassifier(continuous="auto", n_thresholds=50).fit(-x[:, None], y)
    assert auto.weights_table()[0]["kind"] == "ascending"  # distance-like: low is good


def test_sampled_background_with_area_weights_gives_the_same_weights() -> None:
    b, y = _raster_case()
    full = WeightsOfEvidenceClassifier(categorical_features=[0]).fit(b[:, None], y)
    # keep the deposits, and half of the background cells with weight 2 (same area)
    bg = np.flatnonzero(y == 0)
    keep_bg = bg[::2] if bg.size % 2 == 0 else bg[:-1][::2]
    extra = np.setdiff1d(bg, keep_bg)
    rows = np.concatenate([np.flatnonzero(y == 1), keep_bg])
    w = np.concatenate([np.ones(10), np.full(keep_bg.size, 2.0)])
    # make the sampled areas per class exactly those of the full table
    assert b[keep_bg].sum() * 2 == b[bg].sum() and extra.size == keep_bg.size
    sampled = WeightsOfEvidenceClassifier(categorical_features=[0]).fit(
        b[rows, None], y[rows], sample_weight=w)
    np.testing.assert_allclose(sampled.predict_proba(b[:, None]), full.predict_proba(b[:, None]))


def test_unit_cell_area_scales_areas_not_deposits() -> None:
    b, y = _raster_case()
    woe = WeightsOfEvidenceClassifier(categorical_features=[0], cell_area=4.0,
                                      unit_cell_area=2.0).fit(b[:, None], y)
    assert woe.area_total_ == pytest.approx(200.0) and woe.n_deposits_ == pytest.approx(10.0)
    row = {r["class"]: r for r in woe.weights_table()}[1.0]
    assert row["w_plus"] == pytest.approx(binary_weights(40, 6, 200, 10)["w_plus"])


def test_conditional_independence_ratio_is_one_for_a_single_layer() -> None:
    b, y = _raster_case()
    woe = WeightsOfEvidenceClassifier(categorical_features=[0]).fit(b[:, None], y)
    ci = woe.conditional_independence(b[:, None], y)
    assert ci["predicted_deposits"] == pytest.approx(10.0)
    assert ci["ratio"] == pytest.approx(1.0)


def test_duplicated_layer_violates_conditional_independence() -> None:
    b, y = _raster_case()
    X = np.column_stack([b, b]) * 10.0
    woe = WeightsOfEvidenceClassifier(continuous="descending").fit(X, y)
    ci = woe.conditional_independence(X, y)
    assert ci["ratio"] < 0.85  # the same evidence counted twice over-predicts deposits
    assert ci["agterberg_cheng_z"] > 0


def test_missing_evidence_weighs_zero() -> None:
    b, y = _raster_case()
    woe = WeightsOfEvidenceClassifier(categorical_features=[0]).fit(b[:, None], y)
    assert woe.posterior_logit(np.array([[np.nan], [7.0]])) == pytest.approx(
        [woe.prior_logit_, woe.prior_logit_])


def test_zero_counts_stay_finite() -> None:
    got = binary_weights(20, 0, 100, 10)
    assert all(math.isfinite(v) for v in got.values())
    assert got["w_plus"] < 0


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), st.integers(0, 50), st.integers(2, 60), st.integers(1000, 5000))
def test_weights_of_a_pattern_and_its_complement_mirror(area_b: int, dep_b: int,
                                                        dep_total: int, area_total: int) -> None:
    dep_b = min(dep_b, dep_total, area_b)
    got = binary_weights(area_b, dep_b, area_total, dep_total)
    comp = binary_weights(area_total - area_b, dep_total - dep_b, area_total, dep_total)
    # ~B's W+ is B's W- and vice versa; the contrast flips sign
    assert comp["w_plus"] == pytest.approx(got["w_minus"], abs=1e-9)
    assert comp["w_minus"] == pytest.approx(got["w_plus"], abs=1e-9)
    assert comp["contrast"] == pytest.approx(-got["contrast"], abs=1e-9)
    # a pattern richer in deposits than the area average has W+ > 0 > W-
    if 0.5 <= dep_b < area_b and dep_b / area_b > dep_total / area_total * 1.01:
        assert got["w_plus"] > 0 > got["w_minus"]


@pytest.mark.parametrize("selection", ["max_contrast", "max_studentized_contrast"])
def test_cumulative_cut_off_follows_the_selection_rule(selection: str) -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-(2.5 * x - 4.5)))).astype(int)
    woe = WeightsOfEvidenceClassifier(continuous="descending", selection=selection,
                                      n_thresholds=30).fit(x[:, None], y)
    table = woe.evidence_[0]["table"]
    chosen = woe.weights_table()[0]
    defined = np.array([r["defined"] > 0 for r in table])  # no empty 2x2 cell
    sc = np.array([r["studentized_contrast"] for r in table])[defined]
    c = np.array([r["contrast"] for r in table])[defined]
    assert chosen["significant"] and chosen["defined"]
    if selection == "max_studentized_contrast":
        assert chosen["studentized_contrast"] == pytest.approx(sc.max())
    else:
        assert chosen["contrast"] == pytest.approx(c[sc >= 2].max())
    assert chosen["w_plus"] > 0 > chosen["w_minus"]
