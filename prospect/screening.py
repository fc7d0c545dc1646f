"""Screening layers: cube variables derived from other cube variables, chunk by chunk.

:class:`EconomicLayer` turns a lithium concentration surface and its kriging variance
(both already in the cube) into t LCE/yr per doublet, its standard deviation, the
probability of reaching the cut-off and a too-low / uncertain / above class (see
:mod:`prospect.economics`). Each is an ingest :class:`~prospect.ingest.layers.Layer`, so it
is written resumably and published atomically like every other variable.
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import zarr
from scipy.special import ndtr

from prospect.config.economics import (
    MAX_DOUBLET_FLOW_M3_PER_H,
    MAX_LITHIUM_MG_PER_L,
    MIN_DOUBLET_FLOW_M3_PER_H,
    EconomicsConfig,
)
from prospect.economics import (
    BRINE_DENSITY_PER_G_PER_KG,
    CLASS_NAMES,
    CLASS_NODATA,
    brine_density,
    lce_factor,
    lce_per_year,
    lce_sd,
    probability_above,
    screening_class,
)
from prospect.errors import DataError, DataWarning
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.layers import Layer
from prospect.io.cube import zarr_store
from prospect.registry.units import Canonical, canonical_units, reads_as_unit

__all__ = [
    "CONCENTRATION_UNITS",
    "DENSITY_SURFACE_RANGE",
    "DENSITY_TOLERANCE",
    "ECONOMIC_OUTPUTS",
    "LITHIUM_COMPOUNDS",
    "MASS_FRACTION_UNITS",
    "OTHER_SPELLINGS",
    "PREFIXED_FACTORS",
    "EconomicLayer",
    "confidence_level",
    "confidence_text",
    "derived_figure",
    "is_mass_fraction",
    "plan_economics",
    "read_window",
    "surface_maximum",
    "to_mg_per_l",
]

Output = Literal["lce", "sd", "p_above", "class"]

ECONOMIC_OUTPUTS: dict[str, str] = {
    "lce": "lce_t_per_year", "sd": "lce_t_per_year_sd", "p_above": "lce_p_above_cutoff",
    "class": "lce_screening_class",
}
"""Output -> cube variable name."""

LI_MG_PER_MMOL = 6.941
"""Molar mass of lithium, g/mol (= mg/mmol), the figure :data:`prospect.economics.LI_TO_LCE`
is made from."""

CONCENTRATION_UNITS: dict[str, tuple[str, float | None]] = {
    "mg/L": ("mg/L", 1.0), "g/m3": ("mg/L", 1.0), "ug/L": ("ug/L", 1e-3),
    "g/L": ("g/L", 1e3), "mmol/L": ("mmol/L", LI_MG_PER_MMOL),
    "mol/m3": ("mmol/L", LI_MG_PER_MMOL), "umol/L": ("umol/L", LI_MG_PER_MMOL * 1e-3),
    "ppm": ("ppm", None), "mg/kg": ("mg/kg", None),
    "mg/dm3": ("mg/L", 1.0), "ug/dm3": ("ug/L", 1e-3), "ug/mL": ("mg/L", 1.0),
    "ng/mL": ("ug/L", 1e-3), "mg/m3": ("ug/L", 1e-3), "meq/L": ("mmol/L", LI_MG_PER_MMOL),
    "mol/L": ("mol/L", LI_MG_PER_MMOL * 1e3),
}
"""Lithium concentration units -> (name, factor to mg/L); ``None``: a mass fraction, times
the brine density (kg/L) (:data:`MASS_FRACTION_UNITS` holds every mass fraction, with its
factor to mg/kg). A cube's ``units`` match an entry when
:func:`prospect.registry.units.canonical_units` reads both as one unit (``mg l-1``,
``mg.L^-1`` and ``mg·L⁻¹`` are ``mg/L``; ``µg/L`` is ``ug/L``). Molar concentrations (a
hydrochemist's mmol/L, a model's mol/L) are lithium's: x 6.941 mg/mmol; they were refused
as "not a lithium concentration". So were the same units written per cubic decimetre
(``mg/dm3``, as European standards write them), per millilitre (``ug/mL``, ``ng/mL``) or
per cubic metre (``mg/m3``), and milliequivalents (``meq/L``: lithium's ion is monovalent,
one milliequivalent a millimole)."""

MASS_FRACTION_UNITS: dict[str, tuple[str, float]] = {
    "ppm": ("ppm", 1.0), "mg/kg": ("mg/kg", 1.0), "g/t": ("g/t", 1.0), "ug/g": ("ug/g", 1.0),
    "ppb": ("ppb", 1e-3), "ug/kg": ("ug/kg", 1e-3), "ng/g": ("ng/g", 1e-3),
    "%": ("%", 1e4), "wt%": ("wt%", 1e4), "g/kg": ("g/kg", 1e3), "mg/g": ("mg/g", 1e3),
}
"""Lithium mass fractions -> (name, factor to mg/kg); times the brine density (kg/L) they
are mg/L. Only ppm and mg/kg were read: a surface in ppb, ug/kg, g/t, ug/g or wt% (as
laboratories and geochemical models report brines) was refused as "not a lithium
concentration"; so were g/kg and mg/g (a salinity's unit, and a geochemical model's)
until round 62."""

_PER_WATER = "kgw"
"""The symbol of "per kilogram of water" (PHREEQC's ``mg/kgw``, ``mmol/kgw``): a molality,
which no density alone converts to mg/L (the brine's salinity is needed too)."""

_FIX = ("set the lithium column's units on its points source (`units: {column: mg/L}`; "
        f"{', '.join(dict.fromkeys([*CONCENTRATION_UNITS, *MASS_FRACTION_UNITS]))}) and "
        "ingest again, or name the lithium surface in economics.concentration")


_WATER_NOTE = re.compile(r"(?:of\s+)?(?:waters?|solvent|kgw|kg\s*w|h2o|molal(?:ity)?)",
                         re.IGNORECASE)
"""A note that names the kilogram of a per-kilogram unit as one of water, not of brine:
``mg/kg (water)``, ``ug/g (solvent)``, ``mg/kg (kgw)``, ``mg/kg (molal)``, ``mg/kg of
water`` (PHREEQC's ``mg/kgw`` in words). Such units were read as mg/kg of brine, a note of
method words, and made mg/L by the density alone: every tonnage high by 1 / (1 - the
brine's salinity), a third for a brine of 25 % salt."""

_PER_MASS = re.compile(
    r"^\s*(.*?/\s*(?:kg|g|t))(?![A-Za-z0-9])\)?\s*(?:\((.*)\)|(.*?))\s*$")
"""A per-mass unit and what follows it (a note in brackets, or words): the parts a
:data:`_WATER_NOTE` is looked for in."""


def _per_water(units: str) -> bool:
    """Whether ``units`` are a mass per kilogram of water: ``kgw`` in them (``mg/kgw``,
    read by the units grammar), or a per-mass unit whose note or trailing words name water
    (:data:`_WATER_NOTE`)."""
    form = canonical_units(units)
    if form is not None and any(symbol == _PER_WATER for symbol, _ in form[1]):
        return True
    if len(units) > _LONGEST_UNITS:  # (no units are so long; no regex over a page)
        return False
    found = _PER_MASS.match(units.translate(_BRACKETS))
    note = (found.group(2) or found.group(3) or "").strip() if found else ""
    return bool(note) and _WATER_NOTE.fullmatch(note) is not None


def _molality_hint(units: str) -> str:
    """What to do with a surface per kilogram of water (``mg/kgw``, ``mg/kg (water)``); ''
    for other units."""
    if not _per_water(units):
        return ""
    return (f"{units} is per kilogram of water (a molality, as PHREEQC writes it), not per "
            "litre or per kilogram of brine: mg/L = mg/kgw x density x (1 - the brine's "
            "salinity as a mass fraction), so convert the values with the brine's density "
            "and salinity first; then ")


OTHER_SPELLINGS: dict[str, str] = {
    "mM": "mmol/L", "uM": "umol/L", "wt %": "wt%", "wt.%": "wt%", "ppmw": "ppm",
    "ppbw": "ppb",
}
"""Units a hydrochemist writes for one of :data:`CONCENTRATION_UNITS` or
:data:`MASS_FRACTION_UNITS` that the units grammar reads as another unit: millimolar
``mM`` and micromolar ``µM`` (case kept: ``mm`` is millimetres), ``wt %`` with a space
(``wt`` times ``%``) and ``ppmw`` (parts per million by weight). A surface in any of
them was refused as "not a lithium concentration"."""


def _readings() -> tuple[dict[Canonical, tuple[str, float | None]],
                         dict[Canonical, tuple[str, float | None]]]:
    """Canonical forms of :data:`CONCENTRATION_UNITS` (and :data:`OTHER_SPELLINGS` of
    them) and of their squares."""
    plain, squared = {}, {}
    table = {**CONCENTRATION_UNITS, **MASS_FRACTION_UNITS}
    table |= {spelling: table[meant] for spelling, meant in OTHER_SPELLINGS.items()}
    for spelling, hit in table.items():
        form, square = canonical_units(spelling), canonical_units(f"({spelling})2")
        assert form is not None and square is not None, spelling  # written in the grammar
        plain[form], squared[square] = hit, hit
    return plain, squared


_PLAIN, _SQUARED = _readings()


_AS_LITHIUM = re.compile(r"\s*(?:\bas\s+)?(?<![A-Za-z])Li[+⁺]?(?![A-Za-z0-9+⁺])\s*")
"""The element a hydrochemist's unit names (``mg Li/L``, ``mg/L as Li``, ``ppm Li``), or
its ion (``mg/L Li+``, ``mg Li⁺/L``): lithium, the element screened; a compound
(``mg/L Li2O``) is no match."""


def _in_capitals(units: str) -> str | None:
    """``units`` written wholly in capitals (``MG/L``, ``PPM``, ``MMOL/L``, ``MG/L AS LI``:
    a laboratory's or an old database's export) in the spelling the units grammar reads,
    lithium named in them read as :data:`_AS_LITHIUM` does; ``None`` for units with a
    lower-case letter, whose case is kept (``Mg/L`` is megagrams). Such units were "not a
    lithium concentration"."""
    if units != units.upper() or units == units.lower():
        return None
    return re.sub(_AS_LITHIUM.pattern, " ", units, flags=re.IGNORECASE).strip().lower()


_BRACKETS = str.maketrans("[]{}", "()()")
"""Square and curly brackets, read as parentheses: ``[mg/L]`` (a header's unit, as
spreadsheets and data dictionaries write it) was "not a lithium concentration"."""

_NOTED = re.compile(r"(.*?\S)\s*\(([^()]*)\)")
"""Units followed by a parenthesised note: a method (``mg/L (ICP)``, ``mg/L (ICP-MS)``,
``mg/L (dissolved)``) or the same units again in another spelling (``ppm (mg/kg)``)."""

_LONGEST_UNITS = 200
"""Longer units strings are not read past their notes (the grammar reads none so long)."""

_WORDS_NOTE = re.compile(r"[A-Za-z][A-Za-z-]{2,}(?:[\s,;]+[A-Za-z][A-Za-z-]{2,})*")
"""A note of words of three letters or more (a method, a fraction: ``ICP-MS``,
``dissolved``, ``total``): no element's symbol (``(Na)``, ``(as B)``: another element's
concentration), no number (``(x1000)``), no unit (``(mmol/kgw)``)."""


_MEDIUM = re.compile(r"(?:(?:of|in)\s+(?:the\s+)?)?(?:brines?|solutions?|fluids?|samples?)",
                     re.IGNORECASE)
"""Words after units naming what the lithium is in (``mg/kg brine``, ``ug/g of brine``,
``mg/kg solution``, ``mg/L fluid``): the units are those before them, as written in
brackets (``mg/kg (brine)``) they were; unbracketed, they were "not a lithium
concentration"."""

_BY_MASS = re.compile(r"by\s+(?:weight|mass)|w\s*/\s*w|m\s*/\s*m|wt\.?", re.IGNORECASE)
"""Words after a mass fraction saying it is one (``ppm by weight``, ``ppm by mass``,
``ppm wt``): the mass fraction before them; after a unit per volume (``mg/L by weight``)
they contradict it, and it stays refused."""

_PERCENT_BY_MASS = re.compile(
    r"\s*(?:(?:w|wt|m)\s*/\s*(?:w|wt|m)\s*%|%\s*(?:w|wt|m)\s*/\s*(?:w|wt|m))\s*",
    re.IGNORECASE)
"""A percentage by mass written with its ``w/w`` before or glued after the sign (``w/w%``,
``wt/wt%``, ``%w/w``, ``m/m%``): ``wt%``. The units grammar read them as a quotient of
other symbols ("not a lithium concentration"; ``% w/w`` with a space read)."""


def _qualified(units: str) -> tuple[str, bool] | None:
    """(the units, whether they must be a mass fraction) of ``units`` that end in words of
    :data:`_MEDIUM` (any units) or :data:`_BY_MASS` (a mass fraction only), or are a
    :data:`_PERCENT_BY_MASS`; ``None`` for other units."""
    if len(units) > _LONGEST_UNITS:  # (no units are so long; no split over a page)
        return None
    if _PERCENT_BY_MASS.fullmatch(units):
        return "wt%", True
    for found in re.finditer(r"\s+", units.strip()):
        head, words = units.strip()[:found.start()], units.strip()[found.end():]
        if _MEDIUM.fullmatch(words):
            return head, False
        if _BY_MASS.fullmatch(words):
            return head, True
    return None


def _kind(name: str) -> str:
    """Whether the unit ``name`` (:data:`CONCENTRATION_UNITS`' names) is a mass fraction
    or an amount per volume."""
    return "mass fraction" if name in MASS_FRACTION_UNITS else "per volume"


def _noted(units: str, table: Mapping[Canonical, tuple[str, float | None]],
           density: float) -> tuple[str, float] | None:
    """(name, factor to mg/L) of ``units`` written in brackets (:data:`_BRACKETS`) or with
    a note after them (:data:`_NOTED`): a note of words (:data:`_WORDS_NOTE`) says how the
    lithium was measured, not in what, and a note that is units of the same kind and
    scale (``ppm (mg/kg)``) says them again; ``None`` where the note is units of another
    kind or scale (``ug/L (ppb)``: per litre or per kilogram, which differ by the brine's
    density, :func:`_two_units_hint`) or anything else. Each was "not a lithium
    concentration"."""
    text = units.translate(_BRACKETS).strip()
    if len(text) > _LONGEST_UNITS:  # (no units; each note is read in turn)
        return None
    if text != units.strip() and (hit := _lookup(text, table, density)) is not None:
        return hit
    found = _NOTED.fullmatch(text)
    if found is None:
        return None
    read = _lookup(found.group(1), table, density)
    note = found.group(2).strip()
    if read is None or _compound(note) is not None:
        return None
    said = _lookup(note, _PLAIN, density) if note else None
    if said is not None:
        same = _kind(said[0]) == _kind(read[0]) and math.isclose(said[1], read[1])
        return read if same else None
    words = bool(_WORDS_NOTE.fullmatch(note)) and not reads_as_unit(note)
    return read if not note or words else None


def _two_units_hint(units: str, density: float) -> str:
    """What to do with units stating two that differ (``ug/L (ppb)``, ``mg/L (ppm)``);
    '' for other units."""
    found = _NOTED.fullmatch(units.translate(_BRACKETS).strip())
    if found is None:
        return ""
    first, second = (to_mg_per_l(part, density) for part in found.groups())
    if first is None or second is None:
        return ""
    return (f"it states two units, {found.group(1).strip()} and {found.group(2).strip()}, "
            "which differ (a concentration per litre and a mass fraction per kilogram differ "
            "by the brine's density, 1.0-1.3 kg/L, and the screening converts each "
            "otherwise): give the one the values are in; ")


def _lookup(units: str, table: Mapping[Canonical, tuple[str, float | None]],
            density: float) -> tuple[str, float] | None:
    """(name, factor to mg/L) of ``units`` in ``table``; the lithium it names, if it does
    (:data:`_AS_LITHIUM`), read as the element screened: ``mg Li/L`` was "not a lithium
    concentration"; units in capitals (:func:`_in_capitals`) read as written lower-case;
    units in brackets or with a note (:func:`_noted`) read as the units they state."""
    if _per_water(units):  # 'mg/kg (water)': per kg of water, no mass fraction of brine
        return None
    named = _AS_LITHIUM.sub(" ", units).strip()
    form = canonical_units(named if named and named != units.strip() else units)
    hit = None if form is None else table.get(form)
    if hit is None and (lower := _in_capitals(units)):
        return _lookup(lower, table, density)
    if hit is None and table is _PLAIN and (bare := _qualified(units)) is not None:
        read = _lookup(bare[0], table, density)  # 'mg/kg brine', 'ppm by weight', 'w/w%'
        if read is not None and (not bare[1] or read[0] in MASS_FRACTION_UNITS):
            return read
    if hit is None and table is _PLAIN:
        return _noted(units, table, density)
    if hit is None:
        return None
    name, factor = hit
    if name in MASS_FRACTION_UNITS:
        return name, MASS_FRACTION_UNITS[name][1] * density
    assert factor is not None, name  # (a factor of None is a mass fraction's)
    return name, factor


PREFIXED_FACTORS = (1e-9, 1e3)
"""Least and most mg/L per unit of a lithium concentration per volume read at an SI
prefix of its own (:func:`_other_prefix`): from pg/mL to g/L; ``Mg/L`` (megagrams, 10^9
mg/L) stays refused."""


def _other_prefix(units: str) -> tuple[str, float] | None:
    """(``units`` as written, factor to mg/L) of a mass or an amount of lithium per volume
    at SI prefixes :data:`CONCENTRATION_UNITS` does not list (``ng/L``, ``mg/mL`` (g/L),
    ``kg/m3``, ``mg/dL``, ``nmol/L``, ``ug/cm3``), from the prefixes themselves
    (:func:`prospect.registry.units.canonical_units`: g/m3 is mg/L, mol/m3 is 6.941 mg/L
    of lithium), within :data:`PREFIXED_FACTORS`; ``None`` for other units (mass
    fractions need the brine's density: :data:`MASS_FRACTION_UNITS`). Each was refused as
    "not a lithium concentration", which it is (round 50)."""
    from prospect.registry.units import _prefixed

    named = _AS_LITHIUM.sub(" ", units).strip() or units
    form = canonical_units(named)
    if form is None:
        return None
    scale, symbols = _prefixed(form)
    per = dict(symbols)
    if per.get("L") == -1 and "m" not in per:  # per litre: 1000 per cubic metre
        del per["L"]
        scale *= 1e3
    elif per.get("m") == -3:
        del per["m"]
    else:
        return None
    if per == {"g": 1}:  # g/m3 is mg/L
        factor = scale
    elif per == {"mol": 1}:  # mol/m3 is mmol/L
        factor = scale * LI_MG_PER_MMOL
    else:
        return None
    factor = float(f"{factor:.12g}")  # (ug/cm3: 0.9999999999999999 is 1)
    low, high = PREFIXED_FACTORS
    return (units.strip(), factor) if low <= factor <= high else None


def is_mass_fraction(units: str) -> bool:
    """Whether ``units`` (a name :func:`to_mg_per_l` gives) is a mass fraction, which the
    brine density converts to mg/L."""
    return units in MASS_FRACTION_UNITS


def to_mg_per_l(units: str, density: float) -> tuple[str, float] | None:
    """The concentration units ``units`` as (name, factor to mg/L); None when not one.

    ``units`` is read as the model registry reads units (UDUNITS-2's product of powers,
    :func:`prospect.registry.units.canonical_units`), case and prefixes kept: ``Mg/L``
    (megagrams) or ``mg/mL`` is not ``mg/L``. Unlike the registry's schema check, which
    converts nothing, screening converts the concentrations of its table to mg/L.

    Parameters
    ----------
    units
        A cube variable's ``units`` attribute (``mg/L``, ``mg l-1``, ``µg/L``, ``ppm``, ...).
    density
        Brine density (kg/L), used only for mass fractions (:data:`MASS_FRACTION_UNITS`:
        ppm, mg/kg, ppb, wt%, ...).
    """
    return _lookup(units, _PLAIN, density)


def _variance_units(units: str, density: float) -> tuple[str, float] | None:
    """(name, factor to mg/L) of the concentration whose square ``units`` is (``(mg/L)2``,
    ``mg2 L-2``, ``(ug/L)^2``); None when ``units`` is not such a square."""
    hit = _lookup(units, _SQUARED, density)
    inner = re.fullmatch(r"\((.*)\)\s*(?:\^|\*\*)?2", units.strip())
    if hit is None and inner is not None:  # the square of units written otherwise
        hit = _lookup(inner.group(1), _PLAIN, density) or _other_prefix(inner.group(1))
    return hit


def confidence_level(z: float) -> float:
    """One-sided confidence of the bound ``mean +/- z sd`` (1.645 -> 0.95)."""
    return float(ndtr(z))


def confidence_text(z: float) -> str:
    """The confidence of ``z`` as a percentage to show (1.645 -> '95 %', 3.09 -> '99.9 %')."""
    pct = 100 * confidence_level(z)
    for digits in range(3, 8):
        text = f"{pct:.{digits}g}"
        if float(text) < 100:
            return f"{text} %"
    return f"{pct:.8g} %"


def read_window(cube: str | Path, name: str, window: ChunkWindow) -> np.ndarray:
    """One chunk window of a published cube variable, as float64 with NaN for no-data."""
    return _read(_array(cube, name), window)


def _array(cube: str | Path, name: str) -> zarr.Array:
    """The published cube variable ``name``, opened to read."""
    arr = zarr.open_group(zarr_store(cube, read_only=True), mode="r")[name]
    if not isinstance(arr, zarr.Array):
        raise DataError(f"{cube}: {name!r} is a group, not a variable")
    return arr


def _read(arr: zarr.Array, window: ChunkWindow) -> np.ndarray:
    """One chunk window of ``arr`` as float64, its fill value as NaN: the CF ``_FillValue``
    the cube's readers take (xarray), else the zarr array's (in cubes written before round 28
    a class layer's zarr fill is 0 beside a ``_FillValue`` of 255: "too low" was read as no
    data; both are now the no-data code)."""
    block = np.asarray(arr[window.rows, window.cols], dtype="f8")
    fill = arr.attrs.get("_FillValue")
    if isinstance(fill, bool) or not isinstance(fill, int | float):  # xarray's is base64
        fill = arr.metadata.fill_value
    if fill is not None and np.isfinite(float(fill)):
        block[block == float(fill)] = np.nan
    return block


def surface_maximum(cube: str | Path, name: str, grid: RegionGrid) -> float:
    """Highest value of the cube variable ``name`` (NaN when it holds no data), read chunk
    by chunk."""
    arr = _array(cube, name)
    top = float("nan")
    for window in grid.chunk_windows():
        block = _read(arr, window)
        if np.isfinite(block).any():
            top = float(np.fmax(top, np.nanmax(block)))
    return top


def _check_plausible(name: str, units: str, scale: float, top: float) -> None:
    """DataError when the surface's highest value, in mg/L, is more lithium than any brine
    holds (:data:`~prospect.config.economics.MAX_LITHIUM_MG_PER_L`): a surface of ug/L
    labelled mg/L made every tonnage 1000 times too large without a word."""
    if not np.isfinite(top) or top * scale <= MAX_LITHIUM_MG_PER_L:
        return
    as_mg = f" = {top * scale:.6g} mg/L" if units != "mg/L" else ""
    raise DataError(
        f"economics: concentration {name!r} reaches {top:.6g} {units}{as_mg} of lithium, more "
        f"than any brine holds (at most {MAX_LITHIUM_MG_PER_L:g} mg/L; the richest salar brines "
        "hold a few thousand): are its values in ug/L (or ppb)? "
        + _FIX.replace("units: {column: mg/L}", "units: {column: ug/L}"))


def _as_stored(values: np.ndarray) -> np.ndarray:
    """``values`` as the cube's float32 layers hold them, read back as float64."""
    return values.astype(np.float32).astype("f8")


@dataclass(frozen=True, kw_only=True)
class EconomicLayer(Layer):
    """One economic screening output computed from the cube's concentration and variance."""

    cost: ClassVar[float] = 2.0

    cube: str
    output: Output
    concentration: str
    variance: str
    scale: float
    variance_scale: float
    flow: float
    hours: float
    recovery: float
    cutoff: float
    z: float
    density: str | None = None
    density_what: str = ""
    density_units: str = ""

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """Read the chunk's concentration and variance and derive the output; with a
        ``density`` surface (``economics.density_surface``), each cell's mass fraction
        times that cell's brine density (its variance times the density squared)."""
        c = read_window(self.cube, self.concentration, window) * self.scale
        var = read_window(self.cube, self.variance, window) * self.variance_scale
        if self.density is not None:
            reader = _density_reader(self.density_what, self.density_units)
            assert reader is not None, self.density_units  # (checked when planned)
            rho = reader[0](read_window(self.cube, self.density, window))
            c, var = c * rho, var * rho ** 2
        kw = {"flow_m3_per_h": self.flow, "hours_per_year": self.hours,
              "recovery": self.recovery}
        mean = np.where(np.isfinite(c), lce_per_year(c, **kw), np.nan)
        sd = np.where(np.isfinite(var), lce_sd(var, **kw), np.nan)
        if self.output == "lce":
            return mean.astype(np.float32)
        if self.output == "sd":
            return sd.astype(np.float32)
        # the class (and the step of p where sd is 0) of the values the cube stores: from
        # the float64 ones, a cell whose stored LCE equals the cut-off was "too low" while
        # the report, counting the stored layers, had it above
        stored_mean, stored_sd = _as_stored(mean), _as_stored(sd)
        if self.output == "p_above":
            step_mean = np.where(sd > 0, mean, stored_mean)
            return probability_above(step_mean, sd, self.cutoff).astype(np.float32)
        return screening_class(stored_mean, stored_sd, self.cutoff, z=self.z)

    def extra_attrs(self) -> dict[str, Any]:
        """CF flags for the class layer."""
        if self.output != "class":
            return {}
        return {"flag_values": sorted(CLASS_NAMES),
                "flag_meanings": " ".join(CLASS_NAMES[k] for k in sorted(CLASS_NAMES))}


def _concentration_units(name: str, attrs: Any, density: float) -> tuple[str, float]:
    """(units name, factor to mg/L) of the concentration variable; DataError if not one."""
    units = str(attrs.get("units", ""))
    hit = to_mg_per_l(units, density) or _other_prefix(units)
    if hit is None:
        raise DataError(f"economics: concentration {name!r} has units {units!r}, not a lithium "
                        f"concentration; {_molality_hint(units)}"
                        f"{_two_units_hint(units, density)}{_FIX}")
    return hit


def _variance_scale(name: str, attrs: Any, concentration: str, density: float) -> float:
    """Factor from the variance variable's units to (mg/L)2; DataError unless its units are
    the square of a lithium concentration's (a kriging variance)."""
    units = str(attrs.get("units", ""))
    hit = _variance_units(units, density)
    if name == concentration or hit is None:
        plain = name != concentration and bool(units.strip()) and (
            to_mg_per_l(units, density) or _other_prefix(units)) is not None
        if plain:  # a standard deviation's units: its square root was taken as the sd
            raise DataError(
                f"economics: variance {name!r} has units {units!r}, a concentration's, not "
                "their square: a kriging standard deviation (as other tools write one "
                "beside their surface) is no variance, and the screening takes the square "
                "root of the variance as the standard deviation; give the variance (the "
                f"standard deviation squared, in '({units})2') in economics.variance, or "
                f"leave it out to use {concentration + '_variance'!r}")
        raise DataError(
            f"economics: variance {name!r} (units {units!r}) is not the kriging variance of "
            f"{concentration!r}; it needs units the square of a concentration, e.g. "
            f"'(mg/L)2': leave economics.variance out to use {concentration + '_variance'!r}, "
            f"or name that surface's variance")
    return hit[1] ** 2


def _surface_of(attrs: Any) -> tuple[str, str] | None:
    """(points source, column) a kriged layer was made from, from its provenance; None
    for a layer without such a record (another stage's, an older cube's)."""
    from prospect.provenance import read_provenance

    prov = read_provenance(attrs.get("provenance"))
    if "source" in prov and "column" in prov:
        return str(prov["source"]), str(prov["column"])
    return None


def _check_same_surface(cfg: EconomicsConfig, group: Any) -> None:
    """DataError when the variance is the kriging variance of another surface than the
    concentration (another column or source: ``variance: waters_B_PPM_variance`` beside a
    lithium surface passed the units check and gave every cell boron's uncertainty)."""
    conc = _surface_of(group[cfg.concentration].attrs)
    var = _surface_of(group[cfg.variance_variable].attrs)
    if conc is None or var is None or conc == var:
        return
    raise DataError(
        f"economics: variance {cfg.variance_variable!r} is the kriging variance of column "
        f"{var[1]!r} of source {var[0]!r}, not of the concentration {cfg.concentration!r} "
        f"(column {conc[1]!r} of source {conc[0]!r}); leave economics.variance out to use "
        f"{cfg.concentration + '_variance'!r}, or name that surface's variance")


LITHIUM_COMPOUNDS: dict[str, float] = {
    "Li2O": 2 * LI_MG_PER_MMOL / (2 * LI_MG_PER_MMOL + 15.999),
    "Li2CO3": 2 * LI_MG_PER_MMOL / (2 * LI_MG_PER_MMOL + 12.011 + 3 * 15.999),
    "LCE": 2 * LI_MG_PER_MMOL / (2 * LI_MG_PER_MMOL + 12.011 + 3 * 15.999),
    "LiCl": LI_MG_PER_MMOL / (LI_MG_PER_MMOL + 35.45),
    "LiOH": LI_MG_PER_MMOL / (LI_MG_PER_MMOL + 15.999 + 1.008),
}
"""Lithium compounds a grade column may be of -> lithium's mass share of each (Li2O
0.4646, Li2CO3 and LCE 0.1879, LiCl 0.1637, LiOH 0.2898; IUPAC atomic weights)."""


COMPOUND_WORDS: dict[str, str] = {
    "lithium oxide": "Li2O", "lithia": "Li2O", "lithium carbonate equivalent": "LCE",
    "lithium carbonate": "Li2CO3", "carbonate equivalent": "LCE",
    "lithium chloride": "LiCl", "lithium hydroxide": "LiOH",
}
"""Lithium compounds named in words (``lithium oxide (mg/L)``) -> their formula."""

_COMPOUND_GLUED = re.compile(
    r"(?<![A-Za-z0-9])(Li2CO3|Li2O|LiCl|LiOH|LCE)(?=(?:mg|ug|µg|g|ppm|ppb|pct|wt)"
    r"(?![A-Za-z]))", re.IGNORECASE)
"""A compound's formula glued to the unit after it (``Li2Omg/L``, ``Li2O%`` is split)."""


def _compound(name: str) -> str | None:
    """The lithium compound (:data:`LITHIUM_COMPOUNDS`) a column's name states its grade
    in (``Li2O_ppm``, ``LiCl (mg/L)``, ``lce_mg_l``), or ``None``; also written with
    subscript digits (``Li₂O``, ``Li₂CO₃``, as lab sheets write it), in words
    (``lithium oxide``, :data:`COMPOUND_WORDS`) or glued to its unit (``Li2Omg/L``): each
    was screened as lithium, every tonnage 2.15 or 5.3 times too high."""
    import unicodedata

    text = unicodedata.normalize("NFKC", name)  # (subscript and superscript digits)
    keys = {key.casefold(): key for key in LITHIUM_COMPOUNDS}
    for word in re.split(r"[^A-Za-z0-9]+", text):  # (in any case: LI2O, li2o)
        if word.casefold() in keys:
            return keys[word.casefold()]
    glued = _COMPOUND_GLUED.search(text)
    if glued:
        return keys[glued.group(1).casefold()]
    spaced = " ".join(re.split(r"[^a-z0-9]+", text.casefold()))
    for words, key in COMPOUND_WORDS.items():
        if re.search(rf"(?<![a-z0-9]){words}(?![a-z0-9])", spaced):
            return key
    return None


_NOT_A_GRADE_WORDS: dict[str, str] = {
    "tds": "total dissolved solids", "salinity": "salinity", "conductivity": "conductivity",
    "temperature": "temperature", "temp": "temperature", "density": "density",
    # the same in Dutch, German, French and Spanish, as well tables name them
    **dict.fromkeys(("zoutgehalte", "saliniteit", "salzgehalt", "salinitat", "salinite",
                     "salinidad"), "salinity"),
    **dict.fromkeys(("temperatuur", "temperatur", "temperatura"), "temperature"),
    **dict.fromkeys(("geleidbaarheid", "geleidendheid", "leitfahigkeit", "conductivite",
                     "conductividad", "ec"), "conductivity"),
    **dict.fromkeys(("dichtheid", "dichte", "densite", "densidad"), "density"),
    # the other ions and elements of a water analysis, by name (symbols are read below)
    **dict.fromkeys(("chloride", "chlorides", "chlorid", "chlorure", "cloruro", "chloor",
                     "chlorine"), "a grade of Cl"),
    **dict.fromkeys(("natrium", "sodio"), "a grade of Na"),
    **dict.fromkeys(("kalium", "potasio"), "a grade of K"),
    **dict.fromkeys(("calcium", "calcio", "kalzium"), "a grade of Ca"),
    **dict.fromkeys(("bromide", "bromid", "bromure", "broom"), "a grade of Br"),
    **dict.fromkeys(("fluoride", "fluorid", "fluorure"), "a grade of F"),
    **dict.fromkeys(("sulfate", "sulphate", "sulfaat", "sulfat", "sulfato"),
                    "a grade of sulphate"),
    **dict.fromkeys(("boor", "bor", "boro"), "a grade of boron"),
    **dict.fromkeys(("bicarbonate", "bicarbonaat", "hydrogencarbonate", "hydrogencarbonat",
                     "waterstofcarbonaat", "bicarbonato", "hco"), "a grade of bicarbonate"),
    **dict.fromkeys(("carbonate", "carbonaat", "carbonat", "carbonato"), "a grade of carbonate"),
    **dict.fromkeys(("nitrate", "nitraat", "nitrat", "nitrato"), "a grade of nitrate"),
    "silica": "a grade of silica",
    "alkalinity": "alkalinity", "hardness": "hardness", "ph": "pH",
    # figures of the well, not of the water
    **dict.fromkeys(("depth", "diepte", "tiefe", "profondeur", "profundidad", "md", "tvd"),
                    "a depth"),
    **dict.fromkeys(("flow", "debiet", "flowrate"), "a flow"),
    **dict.fromkeys(("heat", "heatflow", "warmtestroom", "warmestrom"), "a heat flow"),
    **dict.fromkeys(("porosity", "porositeit", "porositat", "porosite"), "a porosity"),
}
"""First words (lower case, without accents) of a brine table's columns that are no
lithium grade: bulk figures (``TDS_mg_l``, ``zoutgehalte``), the other ions of a water
analysis by name in English, Dutch, German, French or Spanish (``chloride``,
``natrium``, ``Chlorid``; ``HCO3`` by its first letters), and a
well's own figures (``diepte``, ``flow``). ``chloride (mg/L)`` or ``natrium_mg_l`` was
screened as lithium: only symbols (``Cl``, ``Na``) and English element names were read."""


_DERIVED_WORDS: dict[str, str] = {
    **dict.fromkeys(("log", "log10", "ln", "lg", "logarithm", "logtransformed"),
                    "a logarithm of a grade"),
    **dict.fromkeys(("zscore", "zscores", "standardised", "standardized", "normalised",
                     "normalized", "nscore", "rank", "ranked", "percentile", "pctl"),
                    "a score or a rank of a grade"),
    **dict.fromkeys(("sd", "std", "stdev", "stddev", "sigma", "1sigma", "2sigma", "err",
                     "error", "uncertainty", "unc", "rsd", "precision"),
                    "a grade's error (a standard deviation or uncertainty)"),
    **dict.fromkeys(("dl", "lod", "mdl", "lld", "detlim", "lor", "detection"),
                    "a detection limit"),
    **dict.fromkeys(("q", "qual", "qualifier", "flag", "flg", "rmk", "remark"),
                    "a qualifier (a flag)"),
}
"""Words of a column's name (lower case) saying it holds a figure derived from a grade or
about its analysis, not the grade: ``log_Li (mg/L)`` (a log-transform, as geostatistics
kriges skewed grades), ``Li_zscore``, ``Li_sd`` / ``Li_err``, ``Li_DL`` / ``Li_ppm_LOD``,
``Li_Q``. Such a surface, of a lithium column, was screened as lithium's concentration
(``log_Li (mg/L)``: 1.7 for 50 mg/L, recorded mg/L by its header), without a word."""

_LOG_GLUED = re.compile(r"\s*(?:log(?:10)?|ln|lg)(?=[A-Z(\[])")
"""A logarithm written glued to its element (``logLi``, ``log10Li``, ``ln(Li)``)."""


def derived_figure(column: str) -> str | None:
    """What ``column`` holds when its name says it is derived from a grade
    (:data:`_DERIVED_WORDS`), else ``None``; ``dl`` after a mass (``mg_dl``) is a
    decilitre, no detection limit, and ``Ln`` the lanthanides, no logarithm."""
    if _LOG_GLUED.match(column):
        return "a logarithm of a grade"
    written = [w for w in re.split(r"[^A-Za-z0-9]+", column) if w]
    words = [w.lower() for w in written]
    for i, word in enumerate(words):
        what = _DERIVED_WORDS.get(word)
        if what is None or (word == "dl" and i and words[i - 1] in ("mg", "ug", "g", "ng")) \
                or (word in ("ln", "lg") and written[i] != word):  # Ln: the lanthanides
            continue
        return f"{what}: {word!r} in its name"
    return None


def _not_lithium(column: str) -> str | None:
    """What ``column`` (the points column a surface was kriged from) is when it is no
    lithium grade: a ratio (``Mg/Li``, ``Mg_Li_ratio``), another commodity's grade
    (``B_PPM``, ``Boron (mg/L)``, ``Cs_ppm``), another element's written as its symbol
    (``CL_PPM``, ``Na_mg_l``, ``K``) or name (``sodium``), a bulk figure (``TDS_mg_l``,
    ``salinity``), or a physical figure its name gives the unit of (``HF_mW_m2``, ``K_mD``:
    :func:`~prospect.config.commodities.column_quantity`), or a figure derived from a grade
    (``log_Li``, ``Li_sd``, ``Li_DL``: :func:`derived_figure`); ``None`` for a lithium grade or
    a name that says nothing (``conc``)."""
    from prospect.config.commodities import (
        _SYMBOLS,
        _element,
        column_commodity,
        column_quantity,
        column_ratio,
    )

    # a unit first, in lower case ('mg_l', 'mg/L Li'), is no magnesium
    column = re.sub(r"^\s*(?:mg|ug|µg|mmol|umol)(?![A-Za-z])", "", column)
    ratio = column_ratio(column)
    if ratio is not None:
        return f"a ratio ({'/'.join(ratio)})" if all(ratio) else "a ratio"
    quantity = column_quantity(column)  # 'HF_mW_m2' (heat flow) was "a grade of hafnium"
    if quantity is not None:
        return quantity
    derived = derived_figure(column)  # 'log_Li (mg/L)', 'Li_sd', 'Li_DL': lithium, but no grade
    if derived is not None:
        return derived
    graded = column_commodity(column)
    if graded is not None:
        return None if graded == "lithium" else f"a grade of {graded}"
    words = [w for w in re.split(r"[^A-Za-zÀ-ÖØ-öø-ÿ]+", column) if w]
    if not words:
        return None
    first = words[0]
    plain = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode().lower()
    if plain in _NOT_A_GRADE_WORDS and (plain != "hco" or re.match(r"\s*HCO3", column)):
        return _NOT_A_GRADE_WORDS[plain]
    # a symbol in symbol case (Na, Cl, K) or in capitals (CL, NA), not a unit (mg)
    symbol = first if first in _SYMBOLS else (
        first.capitalize() if len(first) == 2 and first.isupper() else None)
    if symbol in _SYMBOLS and symbol != "Li" and first.lower() not in ("ph", "ec", "id", "no"):
        return f"a grade of {symbol}"
    element = _element(first)
    if element is not None and element != "Li" and len(first) > 2:
        return f"a grade of {element}"
    return None


def _lithium_surfaces(group: Any, but: str) -> list[str]:
    """The cube's surfaces (not variances) kriged from a lithium column, ``but`` left out."""
    out = []
    for name in sorted(str(k) for k in group.array_keys()):
        if name == but or name.endswith("_variance"):
            continue
        surface = _surface_of(group[name].attrs)
        if surface is not None and _not_lithium(surface[1]) is None and \
                _compound(surface[1]) is None:
            from prospect.config.commodities import column_commodity

            if column_commodity(surface[1]) == "lithium":
                out.append(name)
    return out


def _check_element(cfg: EconomicsConfig, group: Any) -> None:
    """DataError when the concentration surface was kriged from a column of another element,
    a ratio or a bulk figure (its provenance's column: ``B_PPM``, ``CL_PPM``, ``Mg/Li``,
    ``TDS_mg_l``): a brine table kriges several columns side by side (the Great Basin
    waters' ``B_PPM``, ``CL_PPM``, ``LI_PPM``), and naming the boron surface in
    ``economics.concentration`` screened boron as lithium, in mg/L as the units allow,
    without a word."""
    surface = _surface_of(group[cfg.concentration].attrs)
    if surface is None:
        return
    what = _not_lithium(surface[1])
    if what is None:
        return
    meant = _lithium_surfaces(group, cfg.concentration)
    raise DataError(
        f"economics: concentration {cfg.concentration!r} was kriged from column "
        f"{surface[1]!r} of source {surface[0]!r}, {what}, not a lithium concentration: the "
        "screening would take it as lithium's; name the surface of the lithium column in "
        "economics.concentration"
        + (f" ({', '.join(map(repr, meant[:3]))} in this cube)" if meant else
           " (krige the table's lithium column: add it to the source's 'columns')"))


def _check_lithium(cfg: EconomicsConfig, attrs: Any) -> None:
    """DataError when the concentration surface is a grade of a lithium compound, not of
    lithium (its column, the variable's name or its units say ``Li2O``, ``Li2CO3``,
    ``LCE``, ``LiCl`` or ``LiOH``: ``mg/L Li2O``): every tonnage was taken as lithium's,
    2.15 times too high for Li2O and 5.3 times for Li2CO3, without a word."""
    surface = _surface_of(attrs)
    column = surface[1] if surface is not None else cfg.concentration
    units = str(attrs.get("units", ""))
    compound = _compound(column) or _compound(cfg.concentration) or _compound(units)
    if compound is None:
        return
    share = LITHIUM_COMPOUNDS[compound]
    raise DataError(
        f"economics: concentration {cfg.concentration!r} is a grade of {compound} (column "
        f"{column!r}, units {units!r}), not of lithium: the screening takes it as lithium "
        f"and every tonnage would be {1 / share:.3g} times too high; convert the column to "
        f"lithium (Li = "
        f"{compound} x {share:.4f}) in the points table, krige it, and name that surface in "
        "economics.concentration")


DENSITY_TOLERANCE = 0.05
"""How far (a share of it) the brine density a kriged salinity, TDS or density surface of
the same waters implies may lie from the job's ``density_kg_per_l`` before it is said: 5 %,
about what temperature and the salt's make-up move a brine's density."""

_SALINITY_UNITS: dict[str, float] = {"g/kg": 1.0, "‰": 1.0, "permil": 1.0, "psu": 1.0,
                                     "kg/kg": 1000.0}
"""Salinity units per kg of brine that :func:`to_mg_per_l` does not read -> g/kg."""

_DENSITY_UNITS: dict[str, float] = {"kg/l": 1.0, "g/cm3": 1.0, "g/ml": 1.0, "g/cc": 1.0,
                                    "kg/dm3": 1.0, "t/m3": 1.0, "kg/m3": 1e-3}
"""Density units (spaces dropped, lower case, ``³`` as ``3``) -> kg/L."""


CHLORIDE = "a grade of Cl"
""":func:`_not_lithium`'s words for a chloride column (``CL_PPM``, ``chloride (mg/L)``)."""

NACL_PER_CL = 58.443 / 35.453
"""Grams of sodium chloride per gram of chloride (1.65): a chloride grade read as the NaCl
it would be, the least salt the brine holds (its other salts add to it)."""

_DENSITY_FIGURES = ("total dissolved solids", "salinity", "density", CHLORIDE)
"""The figures of a surface that :func:`_density_reader` reads a brine density from."""


def _same_waters(conc: Any, other: Any) -> bool:
    """Whether two surfaces' provenances (``conc``, ``other``: a cube variable's attrs)
    were made from the same waters: the same points source, or sources reading the same
    file (a checksum in common): the Great Basin job kriges ``LI_PPM`` from source
    ``brine`` and interpolates ``CL_PPM`` from source ``waters`` of one table."""
    from prospect.provenance import read_provenance

    a, b = read_provenance(conc.get("provenance")), read_provenance(other.get("provenance"))
    if a.get("source") == b.get("source"):
        return True
    files = [set(map(str, p["sources"].values())) if isinstance(p.get("sources"), dict)
             else set() for p in (a, b)]
    return bool(files[0] & files[1])


def _density_reader(what: str, units: str) -> tuple[Callable[[np.ndarray], np.ndarray],
                                                    str] | None:
    """(values of a surface of ``what`` (``total dissolved solids``, ``salinity``,
    ``density`` or chloride, as :func:`_not_lithium` names it) in ``units`` -> brine
    density in kg/L, how) or ``None`` where the units are not read (none, molar, another
    kind). Chloride is read as sodium chloride (:data:`NACL_PER_CL`), the least
    dissolved salt, so its density is the least the brine has."""
    plain = units.strip().replace(" ", "").replace("³", "3").lower()
    if what == "density":
        factor = _DENSITY_UNITS.get(plain)
        if factor is None:
            return None
        return (lambda v: v * factor), "as kriged"
    how = (f"1 + {BRINE_DENSITY_PER_G_PER_KG:g} x g of dissolved salt per kg of brine, "
           "as of NaCl brines")
    if plain in _SALINITY_UNITS:
        per_kg = _SALINITY_UNITS[plain]
        return (lambda v: brine_density(v * per_kg, per_litre=False)), how
    hit = to_mg_per_l(units, 1.0)  # mg/L or g/L (per litre), mg/kg or ppm (per kg)
    if hit is None or "mol" in hit[0] or "eq" in hit[0]:  # lithium's molar mass: not TDS's
        return None
    name, factor = hit
    per_litre = not is_mass_fraction(name)
    if what == CHLORIDE:
        factor *= NACL_PER_CL
        how = (f"its chloride as sodium chloride (x {NACL_PER_CL:.3g}), the least salt "
               f"dissolved, at 1 + {BRINE_DENSITY_PER_G_PER_KG:g} x g of salt per kg of "
               "brine: at least this dense")
    return (lambda v: brine_density(v * factor / 1000.0, per_litre=per_litre)), how


def _check_brine_density(cfg: EconomicsConfig, group: Any, cube: Path, grid: RegionGrid,
                         units: str) -> None:
    """A :class:`~prospect.errors.DataWarning` where a surface kriged from the same points
    source as the concentration (a mass fraction, made mg/L by ``density_kg_per_l``) is a
    salinity, a TDS or a density (its column: ``TDS_mg_l``, ``salinity``, ``density``, in
    units this reads) whose brine density lies more than :data:`DENSITY_TOLERANCE` from
    the job's in some cells: the Bonneville brines' ~300 g/L of dissolved salt weigh about
    1.2 kg/L, and their lithium per litre, and every tonnage, was screened a sixth low at
    the job's 1.0 without a word, the job's own TDS surface saying otherwise. Read chunk
    by chunk, at the cells where both surfaces hold data.

    The same waters are those of the same points source or of the same file
    (:func:`_same_waters`), and a chloride surface counts as sodium chloride, the least
    salt the brine holds (said only where it makes the brine denser than the job's): the
    Great Basin job's ``LI_PPM`` (source ``brine``) beside ``CL_PPM`` (source ``waters``
    of the same table) was not read (round 60)."""
    conc = _surface_of(group[cfg.concentration].attrs)
    if conc is None:
        return
    density = cfg.density_kg_per_l
    for name in sorted(str(k) for k in group.array_keys()):
        if name == cfg.concentration or name.endswith("_variance"):
            continue
        surface = _surface_of(group[name].attrs)
        if surface is None or not _same_waters(group[cfg.concentration].attrs,
                                               group[name].attrs):
            continue
        what = _not_lithium(surface[1])
        stated = str(group[name].attrs.get("units", ""))
        reader = _density_reader(what, stated) if what in _DENSITY_FIGURES else None
        if reader is None:
            continue
        convert, how = reader
        least = what == CHLORIDE  # the least density: no word of brines lighter than it
        cells = off = 0
        low, high, top, at_top = math.inf, -math.inf, -math.inf, math.nan
        li, other = _array(cube, cfg.concentration), _array(cube, name)
        for window in grid.chunk_windows():
            c, rho = _read(li, window), convert(_read(other, window))
            both = np.isfinite(c) & np.isfinite(rho)
            if not both.any():
                continue
            cells += int(both.sum())
            off += int((rho[both] / density - 1.0 > DENSITY_TOLERANCE).sum() if least else
                       (np.abs(rho[both] / density - 1.0) > DENSITY_TOLERANCE).sum())
            low, high = min(low, float(rho[both].min())), max(high, float(rho[both].max()))
            k = int(np.argmax(np.where(both, c, -np.inf)))
            if c.flat[k] > top:
                top, at_top = float(c.flat[k]), float(rho.flat[k])
        if not off:
            continue
        effects = []
        if high > density * (1 + DENSITY_TOLERANCE):
            effects.append(f"up to {100 * (1 - density / high):.0f} % low where denser")
        if low < density * (1 - DENSITY_TOLERANCE) and not least:
            effects.append(f"up to {100 * (density / low - 1):.0f} % high where lighter")
        warnings.warn(DataWarning(
            f"economics: {name!r} ({'chloride' if least else what} of the same waters as "
            f"{cfg.concentration!r}: "
            f"column {surface[1]!r} of source {surface[0]!r}, in {stated}) implies a brine "
            f"density of {low:.3g} to {high:.3g} kg/L ({how}), {at_top:.3g} kg/L where the "
            f"lithium is highest, more than {100 * DENSITY_TOLERANCE:g} % "
            f"{'above' if least else 'off'} the job's "
            f"density_kg_per_l {density:g} in {off} of the {cells} cells: "
            f"{cfg.concentration!r} is in {units}, a mass fraction, which that density makes "
            "mg/L, so the lithium per litre and every tonnage there are "
            f"{' and '.join(effects)}; give the brines' density in "
            f"economics.density_kg_per_l (about {at_top:.3g} for the richest)"
            + ("" if least else f", or each cell its own: economics.density_surface: {name}")
            + ", or krige lithium in mg/L"), stacklevel=3)
        return


DENSITY_SURFACE_RANGE = (0.95, 1.4)
"""Brine densities accepted from an ``economics.density_surface``, kg/L, in every cell
where the lithium surface has a value: fresh and hot reservoir water about 0.95-1.0,
brines up to about 1.3 (halite-saturated, CaCl2 brines a little more). A cell outside is
a density, salinity or TDS in another unit than its ``units`` say."""

_DENSITY_SURFACE_FIX = (
    "a density in kg/L, g/cm3 or kg/m3, a salinity in g/kg, ‰ or psu, or total dissolved "
    "solids in mg/L, g/L, mg/kg, ppm or %")


@dataclass(frozen=True)
class _DensitySurface:
    """An ``economics.density_surface`` as :func:`_density_surface` read it."""

    name: str
    what: str
    units: str
    how: str
    low: float
    high: float


def _density_kind(name: str, attrs: Any) -> str:
    """What the density surface ``name`` holds (:data:`_DENSITY_FIGURES`: a density, a
    salinity or total dissolved solids), from its provenance's column where it has one,
    else from its units; DataError for a surface of another figure (a chloride, which
    gives only the least density, lithium, another element)."""
    from prospect.config.commodities import column_commodity

    stated = str(attrs.get("units", ""))
    surface = _surface_of(attrs)
    what = _not_lithium(surface[1]) if surface is not None else None
    if surface is not None and (what not in _DENSITY_FIGURES or what == CHLORIDE or (
            what is None and column_commodity(surface[1]) == "lithium")):
        said = ("chloride, which gives only the least density the brine has (its chloride "
                "as sodium chloride)" if what == CHLORIDE else what or "lithium's grade")
        raise DataError(
            f"economics: density_surface {name!r} was kriged from column {surface[1]!r} of "
            f"source {surface[0]!r}, {said}, not a brine density, salinity or total "
            "dissolved solids: name a surface of the brines' density, salinity or TDS, or "
            "give one density_kg_per_l")
    if what is None:
        plain = stated.strip().replace(" ", "").replace("³", "3").lower()
        what = ("density" if plain in _DENSITY_UNITS else
                "salinity" if plain in _SALINITY_UNITS else "total dissolved solids")
    return what


def _density_surface(cfg: EconomicsConfig, group: Any, cube: Path, grid: RegionGrid,
                     units: str) -> _DensitySurface:
    """The ``economics.density_surface`` of a lithium surface in a mass fraction
    (``units``), read chunk by chunk where the lithium has values.

    Raises
    ------
    DataError
        The surface is not in the cube, is no density, salinity or TDS, has units that
        give no density (:func:`_density_reader`), holds no value in cells where the
        lithium has one, or gives a density outside :data:`DENSITY_SURFACE_RANGE`.
    """
    name = cfg.density_surface
    assert name is not None
    have = sorted(str(k) for k in group.array_keys())
    if name not in have:
        raise DataError(f"economics: no variable {name!r} (density_surface) in {cube}; it "
                        f"needs a surface of {_DENSITY_SURFACE_FIX}; variables are {have}")
    attrs = group[name].attrs
    stated = str(attrs.get("units", ""))
    what = _density_kind(name, attrs)
    reader = _density_reader(what, stated)
    if reader is None:
        raise DataError(
            f"economics: density_surface {name!r} has units {stated!r}, which give no brine "
            f"density: it needs {_DENSITY_SURFACE_FIX} (a conductivity or a molar salinity "
            "converted first); set the surface's units on its source and ingest again, or "
            "give one density_kg_per_l")
    convert, how = reader
    least, most = DENSITY_SURFACE_RANGE
    cells = missing = outside = 0
    low, high, first = math.inf, -math.inf, ""
    li, other = _array(cube, cfg.concentration), _array(cube, name)
    for window in grid.chunk_windows():
        c = _read(li, window)
        has = np.isfinite(c)
        if not has.any():
            continue
        rho = convert(_read(other, window))
        cells += int(has.sum())
        lost = has & ~np.isfinite(rho)
        if lost.any() and not missing:
            row, col = (int(i[0]) for i in np.nonzero(lost))
            x = grid.bounds[0] + (window.cols.start + col + 0.5) * grid.resolution
            y = grid.bounds[3] - (window.rows.start + row + 0.5) * grid.resolution
            first = f" (the first at x {x:.10g}, y {y:.10g})"
        missing += int(lost.sum())
        both = has & np.isfinite(rho)
        if both.any():
            low, high = min(low, float(rho[both].min())), max(high, float(rho[both].max()))
            outside += int(((rho[both] < least) | (rho[both] > most)).sum())
    if missing:
        raise DataError(
            f"economics: density_surface {name!r} holds no value in {missing} of the "
            f"{cells} cells where {cfg.concentration!r} has one{first}: each cell's "
            f"{units} is made per litre by its own density, and those cells have none "
            "(fresh water's 1 kg/L is not assumed); krige or fill the density over the "
            "lithium surface's extent (the same points, or more), or give one "
            "density_kg_per_l")
    if outside:
        if high > most:
            hint = (f"its values are not in {stated} ("
                    + ("a density in kg/m3 or g/L labelled kg/L is 1000 times high"
                       if what == "density" else
                       f"a {'salinity' if what == 'salinity' else 'TDS'} in mg labelled g "
                       "is 1000 times high")
                    + "); set the units the values are in on its source and ingest again")
        else:
            hint = ("lighter than a produced brine at the surface (a density at reservoir "
                    "temperature is no litre's the flow measures): give the brines' density "
                    "at surface conditions, or its units if they are not "
                    f"{stated}")
        raise DataError(
            f"economics: density_surface {name!r} (in {stated}, {what}: {how}) gives "
            f"{low:.4g} to {high:.4g} kg/L where {cfg.concentration!r} has values, "
            f"{outside} of the {cells} cells outside the {least:g}-{most:g} kg/L of waters "
            f"and brines: {hint}")
    return _DensitySurface(name=name, what=what, units=stated, how=how, low=low, high=high)


def _warn_low_flow(cfg: EconomicsConfig) -> None:
    """Warn of a ``flow_m3_per_h`` given outside a doublet's ordinary range: under
    :data:`~prospect.config.economics.MIN_DOUBLET_FLOW_M3_PER_H`, a flow in L/s written
    as m3/h (42 L/s is 151 m3/h) screened every tonnage 3.6 times low without a word;
    above :data:`~prospect.config.economics.MAX_DOUBLET_FLOW_M3_PER_H`, a flow per day
    (1200 m3/day is 50 m3/h) screened them 24 times high."""
    flow = cfg.flow_m3_per_h
    if cfg.flow_l_per_s is not None or cfg.flow_m3_per_day is not None:
        _warn_stated_flow(cfg)
        return
    if "flow_m3_per_h" not in cfg.model_fields_set:
        return
    if flow > MAX_DOUBLET_FLOW_M3_PER_H:
        warnings.warn(DataWarning(
            f"economics: flow_m3_per_h {flow:g} is above the 50-{MAX_DOUBLET_FLOW_M3_PER_H:g} "
            "m3/h that geothermal doublets produce (the most productive about 540 m3/h), "
            f"and every tonnage is screened at {flow:g} m3/h; if the figure is per day "
            f"({flow:g} m3/day is {flow / 24:.4g} m3/h, every tonnage 24 times lower), give "
            f"it as 'flow_m3_per_day: {flow:g}' instead; if the doublet's flow is that high, "
            "the screening stands"), stacklevel=3)
        return
    if flow >= MIN_DOUBLET_FLOW_M3_PER_H:
        return
    warnings.warn(DataWarning(
        f"economics: flow_m3_per_h {flow:g} is under the {MIN_DOUBLET_FLOW_M3_PER_H:g}-400 "
        "m3/h that geothermal doublets produce (the Dutch ones), and every tonnage is "
        f"screened at {flow:g} m3/h; if the figure is in L/s ({flow:g} L/s is "
        f"{flow * 3.6:g} m3/h, every tonnage 3.6 times higher), give it as 'flow_l_per_s: "
        f"{flow:g}' instead; if the doublet's flow is that low, the screening stands"),
        stacklevel=3)


_STATED_FLOW_MEANT: dict[tuple[str, bool], tuple[str, float, str]] = {
    ("flow_l_per_s", True): ("flow_m3_per_h", 1 / 3.6, "3.6 times lower"),
    ("flow_m3_per_day", False): ("flow_m3_per_h", 24.0, "24 times higher"),
}
"""(key given, above the range) -> the key the figure fits, the factor of every tonnage
from the key given to it, and those words: a figure in m3/h under ``flow_l_per_s`` (500,
1800 m3/h) or under ``flow_m3_per_day`` (150, 6.25 m3/h)."""


def _warn_stated_flow(cfg: EconomicsConfig) -> None:
    """Warn of a flow given in L/s or m3/day (``flow_l_per_s``, ``flow_m3_per_day``) that
    is outside a doublet's ordinary range in m3/h where the figure reads as one in m3/h
    (:data:`_STATED_FLOW_MEANT`), as :func:`_warn_low_flow` warns of one given in m3/h
    that reads as another unit's: ``flow_m3_per_day: 150`` (150 m3/h under the per-day
    key) screened every tonnage at 6.25 m3/h, 24 times low, and ``flow_l_per_s: 500``
    (500 m3/h) at 1800 m3/h, 3.6 times high, without a word. A small flow stated in L/s
    (20 L/s) stays silent (round 28)."""
    flow = cfg.flow_m3_per_h
    high = flow > MAX_DOUBLET_FLOW_M3_PER_H
    if not high and flow >= MIN_DOUBLET_FLOW_M3_PER_H:
        return
    key, unit = (("flow_l_per_s", "L/s") if cfg.flow_l_per_s is not None
                 else ("flow_m3_per_day", "m3/day"))
    given = cfg.flow_l_per_s if cfg.flow_l_per_s is not None else cfg.flow_m3_per_day
    meant = _STATED_FLOW_MEANT.get((key, high))
    if given is None or meant is None:
        return
    where = (f"above the 50-{MAX_DOUBLET_FLOW_M3_PER_H:g} m3/h that geothermal doublets "
             "produce (the most productive about 150 L/s, 540 m3/h)" if high else
             f"under the {MIN_DOUBLET_FLOW_M3_PER_H:g}-400 m3/h that geothermal doublets "
             "produce (the Dutch ones)")
    warnings.warn(DataWarning(
        f"economics: {key} {given:g} {unit} is {flow:.4g} m3/h, {where}, and every tonnage "
        f"is screened at {flow:.4g} m3/h; if the figure is in m3/h ({given:g} m3/h, every "
        f"tonnage {meant[2]}), give it as '{meant[0]}: {given:g}' instead; if the "
        f"doublet's flow is that {'high' if high else 'low'}, the screening stands"),
        stacklevel=4)


def plan_economics(cfg: EconomicsConfig, cube: Path, grid: RegionGrid) -> list[EconomicLayer]:
    """The four screening layers of a job's ``economics`` config on the cube at ``cube``.

    The concentration surface's ``units`` choose its conversion to mg/L: mg/L as is, ug/L
    / 1000, g/L x 1000, mmol/L x 6.941, ppm or mg/kg x ``density_kg_per_l``; the variance's
    the square of that. With ``density_surface``, a mass fraction is made per litre by
    each cell's own density (that surface's, kg/L: a density as is, a salinity or TDS by
    :func:`prospect.economics.brine_density`), its variance by the density squared.

    Raises
    ------
    DataError
        The concentration or variance variable is not in the cube, the concentration's
        units are not a lithium concentration or the variance's not their square, the
        surface holds more lithium than any brine (a surface in ug/L labelled mg/L), or the
        variance is another surface's (its provenance names another source or column),
        or the ``density_surface`` is missing, no density, in units that give none, has
        no value where the lithium has one, or is outside
        :data:`DENSITY_SURFACE_RANGE`.
    """
    group = zarr.open_group(zarr_store(cube, read_only=True), mode="r")
    have = sorted(str(k) for k in group.array_keys())
    fingerprints = {}
    for name in (cfg.concentration, cfg.variance_variable):
        if name not in have:
            raise DataError(f"economics: no variable {name!r} in {cube}; it needs a kriged "
                            "concentration surface and its variance (a points source with "
                            f"interpolate: [kriging]); variables are {have}")
        fingerprints[name] = group[name].attrs.get("prospect_fingerprint", "")
    _check_lithium(cfg, group[cfg.concentration].attrs)
    _check_element(cfg, group)
    units, scale = _concentration_units(cfg.concentration, group[cfg.concentration].attrs,
                                        cfg.density_kg_per_l)
    per_cell = None
    if cfg.density_surface is not None and is_mass_fraction(units):
        per_cell = _density_surface(cfg, group, cube, grid, units)
        fingerprints[per_cell.name] = group[per_cell.name].attrs.get("prospect_fingerprint",
                                                                     "")
    elif cfg.density_surface is not None:
        warnings.warn(DataWarning(
            f"economics: density_surface {cfg.density_surface!r} is not used: "
            f"{cfg.concentration!r} is in {units}, a concentration per litre already (a "
            "density converts mass fractions, ppm or mg/kg)"), stacklevel=2)
    _check_plausible(cfg.concentration, units, scale,
                     surface_maximum(cube, cfg.concentration, grid))
    if not is_mass_fraction(units) and "density_kg_per_l" in cfg.model_fields_set \
            and cfg.density_kg_per_l != 1.0:
        warnings.warn(DataWarning(
            f"economics: density_kg_per_l {cfg.density_kg_per_l:g} is not used: "
            f"{cfg.concentration!r} is in {units}, a concentration per litre already (a "
            "density converts mass fractions, ppm or mg/kg)"), stacklevel=2)
    if is_mass_fraction(units) and "density_kg_per_l" not in cfg.model_fields_set \
            and per_cell is None:
        # fresh water's 1 kg/L was taken without a word: a brine of 1.2 kg/L holds 20 %
        # more lithium per litre than its mg/kg, and every tonnage was that much low
        warnings.warn(DataWarning(
            f"economics: {cfg.concentration!r} is in {units}, a mass fraction, and "
            f"economics.density_kg_per_l is not given: {cfg.density_kg_per_l:g} kg/L (fresh "
            "water) is taken, and every tonnage is 1/density of a denser brine's (17 % low "
            "at 1.2 kg/L); give the brine's density (geothermal brines are 1.0-1.3 kg/L)"),
            stacklevel=2)
    if is_mass_fraction(units) and per_cell is None:
        _check_brine_density(cfg, group, cube, grid, units)
    _warn_low_flow(cfg)
    variance_scale = _variance_scale(cfg.variance_variable, group[cfg.variance_variable].attrs,
                                     cfg.concentration, cfg.density_kg_per_l)
    density: dict[str, Any] = {}
    if per_cell is not None:  # each cell's own density: the units' factors at 1 kg/L
        density = {"density_surface_units": per_cell.units,
                   "density_surface_reading": f"{per_cell.what}: {per_cell.how}",
                   "density_surface_kg_per_l": [per_cell.low, per_cell.high]}
    _check_same_surface(cfg, group)
    factor = lce_factor(flow_m3_per_h=cfg.flow_m3_per_h, hours_per_year=cfg.hours_per_year,
                        recovery=cfg.recovery)
    settings = {"method": "LCE = 5.323 * C * Q * hours * recovery * 1e-6",
                **cfg.model_dump(), "t_lce_per_year_per_mg_per_l": factor,
                "concentration_units": units, "mg_per_l_per_unit": scale,
                "variance_mg2_per_l2_per_unit": variance_scale, **density,
                "inputs_fingerprints": fingerprints}
    what = {
        "lce": ("t/yr", "lithium carbonate equivalent per doublet per year", "screening"),
        "sd": ("t/yr", "standard deviation of LCE per doublet (from the kriging variance)",
               "uncertainty"),
        "p_above": ("1", f"probability that LCE per doublet reaches {cfg.cutoff_t_lce_per_year:g}"
                    " t/yr", "screening"),
        "class": ("1", "economic screening: 0 too low, 1 uncertain, 2 above the cut-off "
                  f"(one-sided {confidence_text(cfg.confidence_z)})",
                  "screening"),
    }
    out = []
    for key, (units, long_name, kind) in what.items():
        out.append(EconomicLayer(
            name=ECONOMIC_OUTPUTS[key], units=units, long_name=long_name, kind=kind,
            inputs=(), settings={**settings, "output": key},
            dtype="uint8" if key == "class" else "float32",
            fill_value=CLASS_NODATA if key == "class" else float("nan"),
            cube=str(cube), output=key,  # type: ignore[arg-type]
            concentration=cfg.concentration, variance=cfg.variance_variable,
            scale=scale, variance_scale=variance_scale, flow=cfg.flow_m3_per_h,
            hours=cfg.hours_per_year, recovery=cfg.recovery,
            cutoff=cfg.cutoff_t_lce_per_year, z=cfg.confidence_z,
            **({"density": per_cell.name, "density_what": per_cell.what,
                "density_units": per_cell.units} if per_cell is not None else {}),
        ))
    return out
