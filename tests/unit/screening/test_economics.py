"""Brine lithium economics: t LCE per doublet, its uncertainty and the screening classes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from prospect.economics import (
    CLASS_ABOVE,
    CLASS_NODATA,
    CLASS_TOO_LOW,
    CLASS_UNCERTAIN,
    LI_TO_LCE,
    lce_factor,
    lce_per_year,
    lce_sd,
    merge_counts,
    probability_above,
    screening_class,
    screening_counts,
    shares,
)

KW = {"flow_m3_per_h": 150.0, "hours_per_year": 8000.0, "recovery": 0.8}


def test_lce_by_hand() -> None:
    # 100 mg/L = 100 g/m3; 150 m3/h * 8000 h = 1.2e6 m3; 120 t Li; 96 t recovered
    assert lce_per_year(100.0, **KW) == pytest.approx(96 * 5.323)
    assert pytest.approx(73.89 / (2 * 6.941), rel=1e-3) == LI_TO_LCE
    assert lce_factor(**KW) == pytest.approx(5.323 * 0.96)
    assert lce_per_year(-3.0, **KW) == 0.0  # a kriged value below zero is no lithium


def test_sd_carries_the_kriging_variance_linearly() -> None:
    assert lce_sd(25.0, **KW) == pytest.approx(5 * lce_factor(**KW))
    with pytest.raises(ValueError, match="recovery"):
        lce_factor(flow_m3_per_h=150, hours_per_year=8000, recovery=1.5)


def test_classes_and_probability() -> None:
    mean = np.array([100.0, 480.0, 900.0, np.nan, 500.0])
    sd = np.array([10.0, 50.0, 100.0, 1.0, 0.0])
    cls = screening_class(mean, sd, 500.0)
    assert cls.tolist() == [CLASS_TOO_LOW, CLASS_UNCERTAIN, CLASS_ABOVE, CLASS_NODATA,
                            CLASS_ABOVE]
    p = probability_above(mean, sd, 500.0)
    assert p[0] < 1e-6 and 0.3 < p[1] < 0.5 and p[2] > 0.999 and np.isnan(p[3])
    assert p[4] == 1.0


def test_counts_of_blocks_add_up() -> None:
    mean = np.array([[100.0, 480.0], [900.0, np.nan]])
    sd = np.full((2, 2), 50.0)
    whole = screening_counts(mean, sd, 500.0)
    parts = merge_counts([screening_counts(mean[:1], sd[:1], 500.0),
                          screening_counts(mean[1:], sd[1:], 500.0)])
    assert parts == whole
    s = shares(whole)
    assert s["cells"] == 3 and s["share_too_low"] == pytest.approx(1 / 3)
    assert s["share_mean_above_cutoff"] == pytest.approx(1 / 3)
    assert s["max_lce_t_per_year"] == 900.0


@given(st.floats(0, 1e4), st.floats(1e-3, 1e3) | st.just(0.0), st.floats(1, 1e4))
def test_classes_agree_with_the_probability(mean: float, sd: float, cutoff: float) -> None:
    cls = int(screening_class(np.array([mean]), np.array([sd]), cutoff)[0])
    p = float(probability_above(np.array([mean]), np.array([sd]), cutoff)[0])
    if cls == CLASS_TOO_LOW:
        assert p <= 0.05 + 1e-6
    if cls == CLASS_ABOVE:
        assert p >= 0.95 - 1e-6
