"""Indices fuzzed by layers compared with their valid range more than once, round 65
(2026-12-08).

The in-memory :func:`~prospect.indices.compute_indices` compared each index's layer with
its valid range in ``warn_outside_ranges`` (to count the cells it sets to NaN) and again in
``mask_outside_ranges`` (to set them), and a third time where values fell out (the count
cell by cell): a full pass over the layer, and a boolean array of its size, for nothing
(rounds 62 and 62b left it). The count's compare is now handed to the mask: each ranged
layer is compared once, and the values and the warnings are those of before, byte for
byte.

Each non-control case failed before the round: checked in a copy of the tree at ``HEAD``
(``git archive``) holding this file (see ``docs/robustness.md``, round 65's indices
section). All data are SYNTHETIC.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import xarray as xr

import prospect.indices.blocks as blocks
from prospect.errors import DataWarning
from prospect.indices import compute_indices, plan_indices
from prospect.indices.blocks import compute_arrays

NAMES = ["NDVI", "FERRIC_IRON", "CLAY_HYDROXYL_ND"]
CUSTOM = {"RAW": "N - R"}  # no valid range: never compared
WATER = (slice(0, 6), slice(None))  # SYNTHETIC water: red below 0 on 6 of 32 rows


def _bands(water: bool) -> xr.Dataset:
    """SYNTHETIC Sentinel-2 L2A reflectances, 32 x 32, with NaN in three cells and, where
    ``water``, a red band below 0 (as L2A holds over water) that puts NDVI above 1 and
    FERRIC_IRON below 0."""
    rng = np.random.default_rng(65)
    names = ("B02", "B03", "B04", "B08", "B11", "B12")
    data = {n: rng.uniform(0.02, 0.4, (32, 32)).astype("f4") for n in names}
    data["B04"][10, :3] = np.nan
    if water:
        data["B04"][WATER] = -0.02
        data["B08"][WATER] = 0.01
    coords = {"y": np.arange(32.0), "x": np.arange(32.0)}
    return xr.Dataset({n: (("y", "x"), v) for n, v in data.items()}, coords=coords,
                      attrs={"synthetic": True})


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float | None, float | None]]:
    """Record each compare of a layer with a valid range (the one compare function both
    the count and the mask call)."""
    calls: list[tuple[float | None, float | None]] = []
    compare = blocks.outside_range

    def counted(values: Any, valid_range: tuple[float | None, float | None]) -> Any:
        calls.append(valid_range)
        return compare(values, valid_range)

    monkeypatch.setattr(blocks, "outside_range", counted)
    return calls


def _computed(ds: xr.Dataset, backend: str) -> tuple[xr.Dataset, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(ds, NAMES, custom=CUSTOM, backend=backend)
    return out, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


@pytest.mark.parametrize("water", [True, False], ids=["values-fall-out", "all-inside"])
@pytest.mark.parametrize("backend", ["numba", "reference"])
def test_each_ranged_layer_is_compared_with_its_range_once(
        monkeypatch: pytest.MonkeyPatch, backend: str, water: bool) -> None:
    """SYNTHETIC: three indices with a valid range and one without, in memory. Before:
    each ranged layer was compared twice (count, then mask), three times where values
    fell out (6 or 9 compares); now once each (3)."""
    ds = _bands(water)
    calls = _counted(monkeypatch)
    _computed(ds, backend)
    assert calls == [(-1.0, 1.0), (0.0, None), (-1.0, 1.0)]


# -- controls: the values and the words are those of before ----------------------------


@pytest.mark.parametrize("water", [True, False], ids=["values-fall-out", "all-inside"])
@pytest.mark.parametrize("backend", ["numba", "reference"])
def test_control_values_are_those_of_the_mask_alone(backend: str, water: bool) -> None:
    """SYNTHETIC: each layer's bytes are those of ``compute_arrays`` masking by itself
    (its own compare, as before), NaN exactly where a value fell out."""
    ds = _bands(water)
    out, _ = _computed(ds, backend)
    plan = plan_indices(NAMES, sensor="sentinel2", custom=CUSTOM)
    expected = compute_arrays(plan, [ds[v].values for v in plan.inputs], backend)
    for k, name in enumerate(plan.names):
        assert out[name].values.tobytes() == np.asarray(expected[k]).tobytes(), name
    if water:
        assert np.isnan(out["NDVI"].values[WATER]).all()
        assert np.isnan(out["FERRIC_IRON"].values[WATER]).all()
        assert not np.isnan(out["RAW"].values[WATER]).any()


def test_control_the_out_of_range_warnings_are_those_of_before() -> None:
    """SYNTHETIC: the cells counted out of range and below 0, word for word: 192 (6 rows
    of 32) of the 1021 cells where every band holds data (3 cells of red are NaN)."""
    _, said = _computed(_bands(True), "numba")
    tail = ("in 192 of the 1021 cells where its bands hold data (18.8 %), which are stored "
            "as no data (NaN): its bands hold values below 0 in them (cells below 0 among "
            "them: 'B04' (R) in 192): negative reflectance (water, shadow, a product's "
            "offset) or a wrong scale/offset at ingest")
    assert said == [
        f"index 'NDVI' ((N - R)/(N + R)) fell outside its valid range -1..1 {tail}",
        f"index 'FERRIC_IRON' (R / G) fell outside its valid range >= 0 {tail}"]
    _, calm = _computed(_bands(False), "numba")
    assert calm == []
