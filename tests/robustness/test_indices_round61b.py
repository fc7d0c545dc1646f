"""Screening and indices fuzzed by a survey's well fields and a researcher's formulas,
round 61b (2026-12-07).

The screen report of a variogram fitted to many wells in groups far apart (three well
fields 20 to 30 km apart, no pair of wells between 2 and 21 km) showed its curve, MSDR and
"kriging predicts better than IDW" as for wells spread over the region: only the ingest
warning said the curve between the fields was the fit's guess. A custom formula calling
numpy's ``arctan`` or ``hypot`` was told "if 'arctan' is a band, a product is written with
'*'". A lithium surface in ``mg/kg (water)`` (per kilogram of water, PHREEQC's ``mg/kgw``
in words) was screened as mg/kg of brine, every tonnage high by 1 / (1 - salinity).

Each non-control case failed before the round: checked in a copy of the tree at ``HEAD``
(``git archive``) holding this file (see ``docs/robustness.md``, round 61b's indices
section). All data are SYNTHETIC.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from pipelines.screen_report import write_screen_report
from prospect.config.economics import EconomicsConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError, FormulaError
from prospect.indices import compute_indices, plan_indices
from prospect.ingest.surfaces import KrigingLayer, plan_points
from prospect.screening import plan_economics

from .test_indices_round61 import _fields
from .test_labels_round35 import DUTCH
from .test_labels_round36 import _wells
from .test_screening_round27 import _cube
from .test_vectors_round22 import _caught

# -- the screen report of a variogram of places in groups far apart ------------------------

GROUPED = "**Points in groups far apart**"
"""The screen report's paragraph of a variogram of places in groups far apart."""


def _report(tmp_path: Path, text: str) -> str:
    """The screen report (its text, on one line) of the kriged SYNTHETIC table ``text``
    in the Dutch region, checked as the screen stage checks it."""
    from pipelines.stages.screen import check_surface

    path = tmp_path / "w.csv"
    path.write_text(text, "utf-8")
    src = PointSource(kind="points", name="w", path=str(path), x="lon", y="lat",
                      crs="EPSG:4326", columns=["li"], interpolate=["kriging"])
    layers, _, error = _caught(lambda: plan_points(src, DUTCH))
    assert error is None and layers, error
    surface = next(la for la in layers if isinstance(la, KrigingLayer) and not la.variance)
    check: dict[str, Any] = check_surface(src, surface, DUTCH)
    cube, _ = _cube(tmp_path / "c.zarr", 12.0, "mg/L")
    check["variable"] = "li"  # (the small cube's surface, for the report's maps)
    facts = {"job": "unit", "synthetic": True, "region": {}, "surfaces": [check]}
    return " ".join(write_screen_report(tmp_path / "screen", facts, cube=cube)
                    .read_text().split())


def test_the_screen_report_says_a_variogram_of_wells_in_three_fields_far_apart(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: 45 wells in three fields 20 to 30 km apart (round 61's table), kriged
    and checked by the screen stage. Before: the report showed the variogram, its MSDR and
    the comparison with IDW without a word of the groups (its paragraph spoke only of
    fewer than 10 places); now a paragraph gives the pairs of each filled class and the
    span no pair measures, in the ingest warning's figures."""
    text = _report(tmp_path, _fields([(5.08, 51.95), (5.40, 51.95), (5.24, 52.20)], 15))
    assert (f"{GROUPED}: the variogram of li was fitted to 45 places whose 990 pairs fill "
            "only 4 of its 6 distance classes (315 at about 843, 6 at about 21009, 219 at "
            "about 22200, 450 at about 29964, in m on the ground; no pair between 2048 and "
            "20954), so its curve at the distances between the groups") in text, text
    assert "`li` and `li_variance` between and around the groups" in text, text
    assert "Krige each group as a source of its own" in text, text
    assert "Too few points" not in text and "**Pure nugget**" not in text, text


def test_the_screen_report_says_a_variogram_of_two_fields_fits_whatever_the_data(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: 40 wells in two fields 38 km apart: pairs in 2 classes, fewer than the
    spherical variogram's 3 parameters. Before: nothing in the report; now said, with the
    curve passing through them whatever the data."""
    text = _report(tmp_path, _fields([(5.05, 51.95), (5.40, 52.22)], 20))
    assert f"{GROUPED}: the variogram of li was fitted to 40 places" in text, text
    assert "fill only 2 of its 6 distance classes" in text, text
    assert ("no more than its 3 parameters, so the curve passes through them whatever the "
            "data") in text, text


@pytest.mark.parametrize(("wells", "words"), [(45, None), (5, "Too few points")],
                         ids=["spread", "five"])
def test_control_the_screen_report_of_wells_spread_or_few_says_nothing_of_groups(
    tmp_path: Path, wells: int, words: str | None
) -> None:
    """SYNTHETIC: 45 wells spread over the region fill every distance class: no paragraph
    of groups (nor of few places); five wells keep round 36's paragraph of too few places."""
    text = _report(tmp_path, _wells(wells, seed=61))
    assert GROUPED not in text, text
    assert (words in text) if words else "Too few points" not in text, text


# -- a numpy, math or Python function off the whitelist, called a band ----------------------


@pytest.mark.parametrize(("formula", "fix"), [
    ("arctan(N / R)", "arctan() is a numpy, math or Python function that no index formula "
                      "calls"),
    ("sin(N) * R", "sin() is a numpy, math or Python function"),
    ("round(N - R)", "round() is a numpy, math or Python function"),
    ("hypot(N, R)", "write sqrt(a ** 2 + b ** 2)"),
    ("cbrt(N)", "write x ** (1 / 3)"),
    ("expm1(N)", "write exp(x) - 1"),
], ids=["arctan", "sin", "round", "hypot", "cbrt", "expm1"])
def test_a_library_function_off_the_list_is_not_called_a_band(formula: str, fix: str) -> None:
    """A custom formula calling numpy's, math's or Python's function (``arctan(N / R)``,
    ``hypot(N, R)``). Before: "if 'arctan' is a band, a product is written with '*': write
    arctan * (N / R)", as if a band were named after a function; now the function is named
    as one, with the whitelist's form where there is one."""
    with pytest.raises(FormulaError) as caught:
        plan_indices([], sensor="sentinel2", custom={"X": formula})
    said = str(caught.value)
    assert fix in said and "is a band" not in said, said
    assert "\n" not in said and "allowed are numbers" in said, said


@pytest.mark.parametrize(("formula", "words"), [
    ("N(R + 1)", "if 'N' is a band, a product is written with '*': write N * (R + 1)"),
    ("ln(N)", "write log(x): log is the natural logarithm"),
    ("np.sqrt(N)", "write sqrt(...) without the prefix"),
    ("sqrtt(N)", "did you mean sqrt()?"),
], ids=["band-before-bracket", "ln", "prefixed", "typo"])
def test_control_other_calls_off_the_list_keep_their_words(formula: str, words: str) -> None:
    """Control: a band before a bracket, ``ln``, a prefixed ``np.sqrt`` and a typo keep
    their earlier fixes."""
    with pytest.raises(FormulaError, match=re.escape(words)):
        plan_indices([], sensor="sentinel2", custom={"X": formula})


def test_control_formulas_of_the_listed_functions_compute_as_before() -> None:
    """Control (SYNTHETIC bands): ``sqrt``, ``log10``, ``minimum``/``maximum`` (a clip),
    ``exp`` and constants compute the reference evaluator's bytes on the numba backend."""
    rng = np.random.default_rng(61)
    bands = xr.Dataset({k: (("y", "x"), rng.uniform(0.02, 0.5, (20, 30)).astype("f4"))
                        for k in ("B04", "B08", "B11")})
    custom = {"A": "sqrt(N) - log10(R)", "B": "minimum(maximum((N - R) / (N + R), 0), 1)",
              "C": "exp(-2.5 * S1) * 1e-3 + N ** 0.5"}
    fast = compute_indices(bands, [], custom=custom, backend="numba")
    slow = compute_indices(bands, [], custom=custom, backend="reference")
    for name in custom:
        assert fast[name].dtype == np.float32, name
        assert fast[name].values.tobytes() == slow[name].values.tobytes(), name


# -- lithium per kilogram of water, written in words, screened as per kilogram of brine ------


@pytest.mark.parametrize("units", ["mg/kg (water)", "mg/kg of water", "ug/g (solvent)",
                                   "mg/kg (kgw)", "[mg/kg] (H2O)"],
                         ids=["water-note", "of-water", "solvent", "kgw-note", "h2o"])
def test_lithium_per_kilogram_of_water_in_words_is_refused_as_a_molality(
    tmp_path: Path, units: str
) -> None:
    """SYNTHETIC surface of 20 in ``mg/kg (water)`` (a laboratory's or PHREEQC's mg/kgw in
    words). Before: read as mg/kg of brine (the note as a method's words), made mg/L by
    the density alone, every tonnage high by 1 / (1 - salinity) (a third for a brine of 25
    % salt) without a word; now refused as ``mg/kgw`` is, with the conversion to make."""
    cube, grid = _cube(tmp_path / "c.zarr", 20.0, units)
    with pytest.raises(DataError) as caught:
        plan_economics(EconomicsConfig(concentration="li", density_kg_per_l=1.2), cube, grid)
    said = str(caught.value)
    assert said.startswith(f"economics: concentration 'li' has units {units!r}, not a "
                           "lithium concentration; "), said
    assert (f"{units} is per kilogram of water (a molality, as PHREEQC writes it), not per "
            "litre or per kilogram of brine: mg/L = mg/kgw x density x (1 - the brine's "
            "salinity as a mass fraction)") in said, said
    assert "\n" not in said, said


@pytest.mark.parametrize("units", ["mg/kg", "mg/kg (brine)", "mg/kg (ICP-MS)", "ppm (water)",
                                   "mg/L (water)"],
                         ids=["plain", "brine", "method", "ppm-of-a-water", "per-litre"])
def test_control_per_kilogram_of_brine_and_per_litre_screen_as_before(
    tmp_path: Path, units: str
) -> None:
    """SYNTHETIC control: mg/kg plain, of brine or with a method, ppm of a water sample
    and mg/L of one keep their reading (the density applied to the mass fractions)."""
    cube, grid = _cube(tmp_path / "c.zarr", 20.0, units)
    layers = plan_economics(EconomicsConfig(concentration="li", density_kg_per_l=1.2),
                            cube, grid)
    expected = 1.0 if units.startswith("mg/L") else 1.2
    assert layers and layers[0].scale == pytest.approx(expected), layers
