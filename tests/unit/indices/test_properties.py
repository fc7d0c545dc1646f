"""Property tests (hypothesis): ranges, NaN propagation and backend agreement."""

from __future__ import annotations

import numpy as np
import pytest
from _index_inputs import all_bands_sensor
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from prospect.indices import load_catalogue, plan_indices
from prospect.indices.blocks import compute_arrays

SENSOR = all_bands_sensor()
CONSTANTS = {"PAR": 1.0}
ND = sorted(n for n, e in load_catalogue().items() if e.valid_range == (-1.0, 1.0))
FUSED = ["NDVI", "EVI", "SAVI", "NBR", "CLAY_HYDROXYL", "FERROUS_IRON", "IRON_OXIDE",
         "QUARTZ_QI", "kNDVI", "MNDWI"]
ALL = sorted(n for n, e in load_catalogue().items())

reflectance = st.floats(min_value=0.0, max_value=1.0, width=32, allow_subnormal=False)


def _band_set(names: list[str]) -> list[str]:
    return list(plan_indices(names, sensor=SENSOR, constants=CONSTANTS).inputs)


@st.composite
def band_stack(draw: st.DrawFn, names: list[str], n: int = 24) -> dict[str, np.ndarray]:
    return {b: draw(arrays(np.float32, (1, n), elements=reflectance)) for b in _band_set(names)}


def test_normalized_difference_entries_are_found() -> None:
    assert len(ND) >= 40 and "NDVI" in ND and "CLAY_HYDROXYL_ND" in ND


@settings(max_examples=25, deadline=None)
@given(band_stack(ND))
def test_normalized_differences_stay_in_unit_range(bands: dict[str, np.ndarray]) -> None:
    plan = plan_indices(ND, sensor=SENSOR, constants=CONSTANTS)
    out = compute_arrays(plan, [bands[v] for v in plan.inputs], "reference")
    finite = out[np.isfinite(out)]
    assert ((finite >= -1.0) & (finite <= 1.0)).all()


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_nan_in_any_band_gives_nan_in_every_index_reading_it(data: st.DataObject) -> None:
    # random index sets on the reference; the fused kernel on one fixed set (one compile)
    names = data.draw(st.one_of(
        st.just(FUSED), st.lists(st.sampled_from(ALL), min_size=1, max_size=12, unique=True)))
    plan = plan_indices(names, sensor=SENSOR, constants=CONSTANTS)
    bands = data.draw(band_stack(names, n=8))
    victim = data.draw(st.sampled_from(list(plan.inputs)))
    col = data.draw(st.integers(0, 7))
    bands[victim][0, col] = np.nan
    for backend in ("reference", "numba") if names == FUSED else ("reference",):
        out = compute_arrays(plan, [bands[v] for v in plan.inputs], backend)
        for k, item in enumerate(plan.indices):
            if victim in dict(item.bands).values():
                assert np.isnan(out[k, 0, col]), (item.name, victim, backend)


@settings(max_examples=25, deadline=None)
@given(band_stack(FUSED, n=32))
def test_fused_kernel_agrees_with_reference(bands: dict[str, np.ndarray]) -> None:
    plan = plan_indices(FUSED, sensor=SENSOR, constants=CONSTANTS)
    arrays_ = [bands[v] for v in plan.inputs]
    ref = compute_arrays(plan, arrays_, "reference")
    fused = compute_arrays(plan, arrays_, "numba")
    np.testing.assert_array_equal(np.isnan(fused), np.isnan(ref))
    np.testing.assert_allclose(fused, ref, rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", ["FERRIC_IRON", "CLAY_HYDROXYL", "IRON_OXIDE"])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_ratios_are_non_negative_for_reflectances(name: str, data: st.DataObject) -> None:
    bands = data.draw(band_stack([name]))
    plan = plan_indices([name], sensor=SENSOR)
    out = compute_arrays(plan, [bands[v] for v in plan.inputs], "numba")
    assert (out[np.isfinite(out)] >= 0).all()
