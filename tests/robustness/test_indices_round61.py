"""Indices and kriging fuzzed by a researcher's library calls and a survey's well fields,
round 61 (2026-12-07).

``compute_indices`` (the library) set an index's values outside its valid range to NaN
without counting them, and said nothing of the values it kept beside a band below 0
(FERROUS_IRON of a negative SWIR2 over water), which the indices stage says; an index
infinite in float64 (``N * 1e300 * 1e300``, ``exp(N * 3000)``) was said in the generic
words of cells undefined (a division by 0, a log of a negative) by the library and the
stage alike, its overflow unnamed; and a variogram fitted to many wells in groups far
apart (three well fields, no pair of wells between 2 and 21 km) was kriged without a word,
its curve between the groups the fit's guess.

Each non-control case failed before the round: checked in a copy of the tree at ``HEAD``
(``git archive``) holding this file (see ``docs/robustness.md``, round 61's indices
section). All data are SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from prospect.errors import ConfigError, DataWarning
from prospect.indices import compute_indices, plan_indices
from prospect.indices.blocks import compute_arrays

from .test_indices_round60 import _bands, _ferrous, _stage
from .test_labels_round36 import FEW, _plan

# -- the library counts what it drops outside a range, and says what it keeps beside a
#    negative band ---------------------------------------------------------------------


def _said(recwarn: pytest.WarningsRecorder) -> list[str]:
    """The data warnings' texts, each on one line."""
    return [" ".join(str(w.message).split()) for w in recwarn.list
            if issubclass(w.category, DataWarning)]


def _dataset(bands: dict[str, np.ndarray]) -> xr.Dataset:
    """The SYNTHETIC bands in memory, 2-D or stacked over dates."""
    return xr.Dataset({k: (("time", "y", "x") if v.ndim == 3 else ("y", "x"), v)
                       for k, v in bands.items()})


@pytest.mark.parametrize(("backend", "stacked"),
                         [("numba", False), ("reference", False), ("numba", True)],
                         ids=["numba", "reference", "stacked-dates"])
def test_the_library_counts_what_it_drops_outside_a_range_and_says_what_it_kept(
    recwarn: pytest.WarningsRecorder, backend: str, stacked: bool
) -> None:
    """SYNTHETIC: SWIR2 -0.08 to -0.03 in 5 rows of 30 (water), the near infrared dark in 2
    of them: ``compute_indices`` stored FERROUS_IRON (``S2 / N + G / R``, range ``>= 0``)
    NaN in the 2 rows where it is negative and a value in the other 3, a ratio of a
    negative reflectance, without a word; now both counted, in the indices stage's words
    (counts computed here in float64 from the bands)."""
    bands = _bands(stacked=stacked, dark_nir_rows=2, water_rows=5)
    wide = _ferrous(bands)
    dropped = int((wide < 0).sum())
    kept = int(((bands["B12"] < 0) & (wide >= 0)).sum())
    assert (dropped, kept) == ((60, 90) if not stacked else (120, 180))
    out = compute_indices(_dataset(bands), ["FERROUS_IRON"], backend=backend)
    said = [s for s in _said(recwarn) if "FERROUS_IRON" in s]
    assert said == [
        f"index 'FERROUS_IRON' (S2 / N + G / R) fell outside its valid range >= 0 in "
        f"{dropped} of the {wide.size} cells where its bands hold data "
        f"({100 * dropped / wide.size:.3g} %), which are stored as no data (NaN): its bands "
        f"hold values below 0 in them (cells below 0 among them: 'B12' (S2) in {dropped}): "
        "negative reflectance (water, shadow, a product's offset) or a wrong scale/offset "
        f"at ingest; it holds a value in {kept} other cells though a band it reads is below "
        f"0 there (cells below 0: 'B12' (S2) in {kept}), a value that reads a negative "
        "reflectance (water, shadow, a product's offset) as a reflectance and lies in the "
        "index's range, so it is kept: read the index there as not measured, or mask those "
        "cells before the index (a water or shadow mask, the source's nodata)"], said
    values = out["FERROUS_IRON"].values
    assert int(np.isnan(values).sum()) == dropped  # the values are as before
    plan = plan_indices(["FERROUS_IRON"], sensor="sentinel2")
    direct = compute_arrays(plan, [bands[v] for v in plan.inputs], backend)
    assert values.tobytes() == np.asarray(direct[0]).tobytes()


def test_the_library_says_an_index_kept_beside_a_negative_band_where_none_is_dropped(
    recwarn: pytest.WarningsRecorder,
) -> None:
    """SYNTHETIC: SWIR2 below 0 in 5 rows of 30, the near infrared bright: FERROUS_IRON holds
    0.1 to 5 in every cell, 150 of them a ratio of a negative reflectance, returned by the
    library without a word; now said with the share, as the stage says it."""
    bands = _bands(stacked=False, dark_nir_rows=0, water_rows=5)
    assert (_ferrous(bands) >= 0).all()
    out = compute_indices(_dataset(bands), ["FERROUS_IRON"])
    said = _said(recwarn)
    assert [s for s in said if s.startswith(
        "index 'FERROUS_IRON' (S2 / N + G / R): it holds a value in 150 of the 600 cells "
        "where its bands hold data (25 %) though a band it reads is below 0 there (cells "
        "below 0: 'B12' (S2) in 150)")], said
    assert not [s for s in said if "fell outside" in s], said
    assert not np.isnan(out["FERROUS_IRON"].values).any()


# -- an index infinite in float64 said as the overflow it is ------------------------------


@pytest.mark.parametrize("formula", ["N * 1e300 * 1e300", "exp(N * 3000)"],
                         ids=["infinite-product", "infinite-exp"])
def test_the_library_says_an_index_infinite_in_float64_in_every_cell_as_an_overflow(
    recwarn: pytest.WarningsRecorder, formula: str
) -> None:
    """SYNTHETIC near infrared 0.2 to 0.5: ``N * 1e300 * 1e300`` and ``exp(N * 3000)`` are
    infinite in float64 in every cell. The library said "undefined there (a division by 0,
    a log or square root of a negative, a value beyond float32)" (the evaluator stored the
    infinity as NaN, told from 0 / 0 no longer); now the overflow, in round 57's words."""
    bands = _bands(stacked=False, dark_nir_rows=0, water_rows=0)
    out = compute_indices(_dataset(bands), [], custom={"X": formula})
    said = _said(recwarn)
    assert said == [
        f"index 'X' ({formula}) is NaN (no data) in 600 of the 600 cells where its bands "
        "hold data (100 %) because its value there lies beyond float32's 3.4e+38, the "
        "largest number its float32 layer holds (computed in float64, infinite: beyond "
        "float64's 1.8e+308 too); check the formula's factors and the bands' values (their "
        "scale), or give the index in a smaller unit (a factor of 1e-3 in the formula)"], said
    assert np.isnan(out["X"].values).all()


def test_the_stage_says_an_index_infinite_in_float64_in_part_of_the_cells_as_an_overflow(
    tmp_path: Path, scheduler: str
) -> None:
    """SYNTHETIC near infrared 0.8 to 0.9 in 5 rows of 30 cells, 0.01 to 0.05 elsewhere:
    ``exp(N * 1000)`` is infinite in float64 in those 150 cells and a number float32
    holds in the rest. The indices stage said them "undefined (NaN) in 150 of the 600
    cells ...: a division by 0, a log or square root of a negative, or a value beyond
    float32"; now the overflow, with no word of cells undefined."""
    bands = _bands(stacked=False, dark_nir_rows=0, water_rows=0)
    rng = np.random.default_rng(61)
    bands["B08"][...] = rng.uniform(0.01, 0.05, bands["B08"].shape).astype("f4")
    bands["B08"][:5] = rng.uniform(0.8, 0.9, bands["B08"][:5].shape).astype("f4")
    _, text = _stage(tmp_path, scheduler, bands, [], {"X": "exp(N * 1000)"})
    assert ("index 'X' (exp(N * 1000)) is NaN (no data) in 150 of the 600 cells where its "
            "bands hold data (25 %) because its value there lies beyond float32's "
            "3.4e+38") in text, text[-3000:]
    assert "(computed in float64, infinite: beyond float64's 1.8e+308 too)" in text
    assert "is undefined (NaN)" not in text, text[-3000:]


# -- a variogram of wells in groups far apart ---------------------------------------------


def _fields(centres: list[tuple[float, float]], per_field: int, seed: int = 61) -> str:
    """A SYNTHETIC table of ``per_field`` wells in each field (about 1.4 km across) around
    ``centres`` (lon, lat) in the Dutch region, lithium rising 5 mg/L a field."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, (lon, lat) in enumerate(centres):
        rows += [f"W{k}-{i},{lon + 0.02 * rng.random():.6f},{lat + 0.015 * rng.random():.6f},"
                 f"{10 + 5 * k + 5 * rng.random():.2f}" for i in range(per_field)]
    return "site,lon,lat,li\n" + "\n".join(rows)


GROUPED = "distance classes"
"""What the warning of a variogram of places in groups says."""


def test_a_variogram_of_wells_in_three_fields_far_apart_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: 45 wells in three fields 20 to 30 km apart, kriged. pykrige's six
    distance classes hold pairs at about 0.8 km and 21 to 30 km, none between 2 and 21 km,
    so the spherical variogram's rise and range there is the fit's guess; the surface and
    its variance were written without a word (45 places, no "few places" warning). Now
    said, with the pairs of each class and the span no pair measures."""
    layers, said, error = _plan(tmp_path / "w.csv", _fields(
        [(5.08, 51.95), (5.40, 51.95), (5.24, 52.20)], 15), interpolate=("kriging",))
    assert error is None and layers, error
    grouped = [s for s in said if GROUPED in s]
    assert len(grouped) == 1, said
    line = grouped[0]
    assert ("w.csv: the spherical variogram of 'li' is fitted to 45 places whose 990 pairs "
            "fill only 4 of its 6 distance classes (315 at about 843, 6 at about 21009, 219 "
            "at about 22200, 450 at about 29964, in m on the ground; no pair between 2048 "
            "and 20954): the places lie in groups far apart") in line, line
    assert "'w_li' and 'w_li_variance'" in line and "interpolate: [idw]" in line, line
    assert "krige each group as a source of its own" in line, line
    assert not any(FEW in s or "pure nugget" in s for s in said), said


def test_a_variogram_of_two_fields_is_said_to_fit_its_classes_whatever_the_data(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: 40 wells in two fields 38 km apart: pairs in 2 classes, fewer than the
    spherical variogram's 3 parameters, so its curve passes through them whatever the
    data. Before: said only as wells on one line."""
    _, said, error = _plan(tmp_path / "w.csv", _fields([(5.05, 51.95), (5.40, 52.22)], 20),
                           interpolate=("kriging",))
    assert error is None, error
    grouped = [s for s in said if GROUPED in s]
    assert len(grouped) == 1 and "fill only 2 of its 6 distance classes" in grouped[0], said
    assert ("no more than its 3 parameters, so the curve passes through them whatever the "
            "data") in grouped[0], grouped


# -- an ASTER ratio written with the literature's band names ------------------------------


@pytest.mark.parametrize("formula", ["(band4 + band6) / band5", "Band_4 / Band_05"],
                         ids=["envi-band-math", "underscored"])
def test_an_aster_ratio_of_spelled_out_band_numbers_names_the_common_name(formula: str) -> None:
    """SYNTHETIC: the ASTER alunite/kaolinite ratio as ENVI's band math and the literature
    write it (``(band4 + band6) / band5``) was refused as needing a band 'band4' "which
    sensor 'aster' does not map", with no word of what to write (``b4 / b5`` was told
    "write S1"); now the same hint: ASTER's band 4 is read as its common name S1."""
    with pytest.raises(ConfigError) as caught:
        plan_indices([], sensor="aster", custom={"X": formula})
    text = str(caught.value)
    assert "(the sensor's band 'B4' is read under its common name 'S1' in a formula: write " \
           "S1)" in text, text


# -- controls --------------------------------------------------------------------------------


def test_control_the_library_says_nothing_of_land_or_a_custom_difference(
    recwarn: pytest.WarningsRecorder,
) -> None:
    """SYNTHETIC: land (every band above 0): FERROUS_IRON and NDVI say nothing of ranges or
    negative bands; a custom difference ``S2 - N`` (no valid range) over water says
    nothing either; the values are the kernel's, byte for byte."""
    land = _bands(stacked=False, dark_nir_rows=0, water_rows=0)
    out = compute_indices(_dataset(land), ["FERROUS_IRON", "NDVI"])
    water = _bands(stacked=False, dark_nir_rows=2, water_rows=5)
    diff = compute_indices(_dataset(water), [], custom={"SWIRDIFF": "S2 - N"})
    said = _said(recwarn)
    assert not [s for s in said if "below 0" in s or "fell outside" in s], said
    plan = plan_indices(["FERROUS_IRON", "NDVI"], sensor="sentinel2")
    direct = compute_arrays(plan, [land[v] for v in plan.inputs], "numba")
    for k, name in enumerate(plan.names):
        assert out[name].values.tobytes() == direct[k].tobytes(), name
    plan = plan_indices([], sensor="sentinel2", custom={"SWIRDIFF": "S2 - N"})
    direct = compute_arrays(plan, [water[v] for v in plan.inputs], "numba")
    assert diff["SWIRDIFF"].values.tobytes() == direct[0].tobytes()


@pytest.mark.parametrize(("formula", "words"), [
    ("(N - R) / (0 * N)", "undefined there (a division by 0, a log or square root of a "
                          "negative, a value beyond float32)"),
    ("log(N - N)", "undefined there (a division by 0, a log or square root of a negative, "
                   "a value beyond float32)"),
    ("N * 1e38 * 1e38", "(computed in float64, up to "),
], ids=["zero-divisor", "log-of-zero", "finite-in-float64"])
def test_control_a_division_by_zero_keeps_its_words_and_a_finite_overflow_its_largest(
    recwarn: pytest.WarningsRecorder, formula: str, words: str
) -> None:
    """SYNTHETIC: a division by 0 and a log of 0 (infinite in float64 too, but no overflow)
    keep the words of an index undefined; an overflow finite in float64 keeps its
    largest value (round 60)."""
    bands = _bands(stacked=False, dark_nir_rows=0, water_rows=0)
    compute_indices(_dataset(bands), [], custom={"X": formula})
    said = _said(recwarn)
    assert len(said) == 1 and words in said[0], said
    assert "infinite: beyond float64" not in said[0], said


def test_control_aster_band_names_keep_their_hint_and_common_names_plan() -> None:
    """SYNTHETIC: ``b4 / b5`` keeps its hint, and the ratio in common names
    (``(S1 + SW6) / SW5``) plans, reading B4, B6 and B5."""
    with pytest.raises(ConfigError, match="common name 'S1' in a formula: write S1"):
        plan_indices([], sensor="aster", custom={"X": "b4 / b5"})
    plan = plan_indices([], sensor="aster", custom={"X": "(S1 + SW6) / SW5"})
    assert sorted(plan.inputs) == ["B4", "B5", "B6"]


def test_control_wells_spread_over_the_region_say_nothing_of_groups(tmp_path: Path) -> None:
    """SYNTHETIC: 45 wells spread over the region fill every distance class: nothing said
    of groups; five wells keep round 36's words of too few places (no word of groups)."""
    rng = np.random.default_rng(61)
    rows = [f"W{i},{5.02 + 0.46 * rng.random():.6f},{51.92 + 0.36 * rng.random():.6f},"
            f"{10 + 5 * rng.random():.2f}" for i in range(45)]
    layers, said, error = _plan(tmp_path / "a.csv", "site,lon,lat,li\n" + "\n".join(rows),
                                interpolate=("kriging",))
    assert error is None and layers, error
    assert not any(GROUPED in s or FEW in s for s in said), said
    _, said, error = _plan(tmp_path / "b.csv", "site,lon,lat,li\n" + "\n".join(rows[:5]),
                           interpolate=("kriging",))
    assert error is None, error
    assert [s for s in said if FEW in s] and not any(GROUPED in s for s in said), said
