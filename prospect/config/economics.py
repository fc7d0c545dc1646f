"""Economic screening config: brine lithium as t LCE per year per geothermal doublet."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from prospect.config._base import KeyRefused, PlainName, StrictModel
from prospect.economics import LI_TO_LCE, lce_factor

__all__ = [
    "CONCENTRATION_CUTOFF_KEYS",
    "CONFIDENCE_Z_RANGE",
    "CUTOFF_COMPOUND_KEYS",
    "DENSITY_KEYS",
    "DENSITY_UNITS",
    "LCE_PER_T_LIOH",
    "LCE_PER_T_LIOH_H2O",
    "MAX_DENSITY_KG_PER_L",
    "MAX_DOUBLET_FLOW_M3_PER_H",
    "MAX_FLOW_M3_PER_H",
    "MAX_HOURS_PER_YEAR",
    "MAX_LITHIUM_MG_PER_L",
    "MIN_CUTOFF_T_LCE_PER_YEAR",
    "MIN_DENSITY_KG_PER_L",
    "MIN_DOUBLET_FLOW_M3_PER_H",
    "MIN_DOUBLET_HOURS_PER_YEAR",
    "MIN_FLOW_M3_PER_H",
    "MIN_HOURS_PER_YEAR",
    "MONEY_WORDS",
    "OTHER_UNIT_KEYS",
    "STATED_UNITS",
    "EconomicsConfig",
]

MAX_DENSITY_KG_PER_L = 3.0
"""Densest brine accepted, kg/L (brines are 1.0-1.3 kg/L): ``density_kg_per_l: 1000`` (the
density in kg/m3) multiplied a ppm surface's tonnages by 1000 without a word."""

MIN_DENSITY_KG_PER_L = 0.8
"""Lightest brine accepted, kg/L (water is 0.87 kg/L at 200 C, brines 1.0-1.3):
``density_kg_per_l: 0.0012`` or ``0.5`` multiplied a ppm surface's tonnages by that
figure without a word (round 52)."""

DENSITY_UNITS: dict[str, float] = {
    "kg/m3": 0.001, "g/L": 0.001, "lb/US gal (ppg)": 0.119826427, "lb/ft3": 0.0160184634,
}
"""Units a brine density is written in -> the factor to kg/L: ``density_kg_per_l: 9.5``
(pounds per US gallon, as oilfield brines are weighed) or ``75`` (lb/ft3) were "a
density in kg/m3 divided by 1000 is kg/L", 0.0095 and 0.075 (round 52)."""

MAX_FLOW_M3_PER_H = 2000.0
"""Largest brine flow accepted per doublet, m3/h. Geothermal doublets produce about 50-500
m3/h; ``flow_m3_per_h: 3600`` (150 m3/h written per day) multiplied every tonnage by 24
without a word."""

MIN_FLOW_M3_PER_H = 1.0
"""Least brine flow accepted per doublet, m3/h (0.28 L/s; doublets produce about 50-500
m3/h, 0.014-0.14 m3/s). ``flow_m3_per_h: 0.042`` (151 m3/h written in m3/s, as engineers
give a well's rate) was refused as a cut-off "in kg" out of every brine's reach, the flow
not named (round 50)."""

MIN_CUTOFF_T_LCE_PER_YEAR = 1.0
"""Least economic cut-off accepted, t LCE per doublet and year: no extraction plant is
built for less than a tonne a year. ``cutoff_t_lce_per_year: 0.5`` (500 t written in
kilotonnes, as market studies give production) needed 0.1 mg/L, which nearly every
geothermal water holds, and classed the whole region "above" without a word (round 50)."""

MIN_DOUBLET_FLOW_M3_PER_H = 100.0
"""Least brine flow of a geothermal doublet's ordinary range, m3/h (Dutch doublets produce
about 100-400 m3/h). A flow under it given as ``flow_m3_per_h`` may be one in L/s (28-110
L/s for those doublets), every tonnage 3.6 times low: the screening warns
(:func:`prospect.screening.plan_economics`), and ``flow_l_per_s`` states a flow in L/s."""

STATED_UNITS: dict[str, tuple[str, Fraction, str]] = {
    "flow_l_per_s": ("flow_m3_per_h", Fraction("3.6"), "L/s"),
    "flow_m3_per_day": ("flow_m3_per_h", Fraction(1, 24), "m3/day"),
    "cutoff_t_li_per_year": ("cutoff_t_lce_per_year", Fraction(repr(LI_TO_LCE)), "t Li/yr"),
}
"""Keys of a figure in another unit -> the key it gives, the exact factor to its unit and
the unit: a flow in L/s (x 3.6 is m3/h) or in m3/day (/ 24, as production logs and
water permits give it) and a cut-off in tonnes of lithium (x 5.323 is t LCE) were in
range under the m3/h and t LCE keys and could not be told apart."""

LCE_PER_T_LIOH = 73.891 / (2 * 23.948)
"""Tonnes of lithium carbonate equivalent per tonne of anhydrous lithium hydroxide (LiOH,
23.948 g/mol; Li2CO3 73.891 g/mol holds two lithium)."""

LCE_PER_T_LIOH_H2O = 73.891 / (2 * 41.963)
"""Tonnes of lithium carbonate equivalent per tonne of lithium hydroxide monohydrate
(LiOH.H2O, 41.963 g/mol: the battery-grade product markets quote as "lithium hydroxide")."""

CUTOFF_COMPOUND_KEYS: tuple[tuple[tuple[str, ...], float, str], ...] = (
    (("cutoff_t_li2co3_per_year", "cutoff_t_lc_per_year"), 1.0,
     "t Li2CO3/yr (LCE itself)"),
    (("cutoff_t_lioh_per_year", "cutoff_t_lithium_hydroxide_per_year"), LCE_PER_T_LIOH,
     "t LiOH/yr (anhydrous)"),
    (("cutoff_t_lhm_per_year", "cutoff_t_lioh_h2o_per_year", "cutoff_t_lioh_h20_per_year"),
     LCE_PER_T_LIOH_H2O, "t LiOH.H2O/yr"),
)
"""Keys of a cut-off in tonnes of another lithium product -> the factor to t LCE and its
unit: ``cutoff_t_lioh_per_year: 600`` was "unknown key (did you mean
'cutoff_t_li_per_year'?)", and 600 moved there, read as tonnes of lithium, was a cut-off of
3194 t LCE where 600 t of the monohydrate is 528 (round 53)."""

DENSITY_KEYS: tuple[tuple[tuple[str, ...], float, str], ...] = (
    (("density_kg_per_m3", "density_kg_m3"), DENSITY_UNITS["kg/m3"], "kg/m3"),
    (("density_g_per_l", "density_g_l"), DENSITY_UNITS["g/L"], "g/L"),
    (("density_g_per_cm3", "density_g_cm3", "density_g_per_cc", "density_g_per_ml",
      "density_g_ml"), 1.0, "g/cm3"),
    (("density_ppg", "density_lb_per_gal", "density_lb_gal"),
     DENSITY_UNITS["lb/US gal (ppg)"], "lb/US gal"),
    (("density_lb_per_ft3", "density_lb_ft3", "density_pcf"), DENSITY_UNITS["lb/ft3"],
     "lb/ft3"),
    (("specific_gravity", "sg", "density_sg", "brine_sg", "brine_specific_gravity"), 1.0,
     "(specific gravity)"),
)
"""Keys of a brine density in another unit -> the factor to kg/L and its unit:
``density_kg_per_m3: 1200`` was "unknown key (did you mean 'density_kg_per_l'?)", and
``specific_gravity: 1.2`` was told to be removed, which screened a ppm surface at fresh
water's 1 kg/L (round 53)."""

OTHER_UNIT_KEYS: dict[str, tuple[str, float, str]] = {
    "flow_m3_per_s": ("flow_m3_per_h", 3600.0, "m3/s"),
    "flow_m3_per_min": ("flow_m3_per_h", 60.0, "m3/min"),
    "flow_l_per_min": ("flow_m3_per_h", 0.06, "L/min"),
    "flow_l_per_h": ("flow_m3_per_h", 0.001, "L/h"),
    "flow_bbl_per_day": ("flow_m3_per_h", 0.158987294928 / 24, "bbl/day"),
    "flow_gpm": ("flow_m3_per_h", 0.003785411784 * 60, "US gal/min"),
    "cutoff_kt_lce_per_year": ("cutoff_t_lce_per_year", 1000.0, "kt LCE/yr"),
    "cutoff_kg_lce_per_year": ("cutoff_t_lce_per_year", 0.001, "kg LCE/yr"),
    "cutoff_kt_li_per_year": ("cutoff_t_li_per_year", 1000.0, "kt Li/yr"),
    **{key: ("cutoff_t_lce_per_year", factor, unit)
       for keys, factor, unit in CUTOFF_COMPOUND_KEYS for key in keys},
    **{key: ("density_kg_per_l", factor, unit)
       for keys, factor, unit in DENSITY_KEYS for key in keys},
}
"""Keys a job may write for a flow, a cut-off or (round 53) a density in a unit the
screening has no key of -> the key of the unit to give it in, the factor to that unit and
the unit: each was
"unknown key (did you mean 'flow_m3_per_h'?)", and the figure moved under that key as
written was 3600 times low (m3/s), 60 times off (L/min) or 1000 times off (kt) (round
50). Refused naming the key to write and the figure in its unit
(:meth:`EconomicsConfig._in_other_units`)."""

CONCENTRATION_CUTOFF_KEYS: dict[str, float] = {
    "cutoff_mg_per_l": 1.0, "cutoff_mg_l": 1.0, "cutoff_ppm": 1.0, "cutoff_mg_per_kg": 1.0,
    "cutoff_ug_per_l": 0.001, "cutoff_g_per_l": 1000.0, "cutoff_grade": 1.0,
    "cutoff_concentration": 1.0, "cutoff_li_mg_per_l": 1.0, "cutoff_grade_mg_per_l": 1.0,
}
"""Keys of a cut-off given as a lithium concentration, as geochemists and resource
statements give one -> the factor to mg/L (a grade or a ppm taken as mg/L, brines being
about 1 kg/L): ``cutoff_mg_per_l: 100`` was "unknown key (did you mean
'cutoff_t_li_per_year'?)", a key of tonnes, and 100 moved there was a cut-off of 532 t
LCE, no concentration's (round 51). Refused naming the tonnes it makes at the job's flow,
hours and recovery (:meth:`EconomicsConfig._cutoff_as_a_concentration`)."""

MONEY_WORDS = ("price", "capex", "opex", "cost", "discount", "npv", "irr", "wacc", "royalt",
               "revenue", "tax", "usd", "eur", "dollar", "payback", "interest")
"""Words of an economic study's money keys (``price_usd_per_t``, ``discount_rate``,
``capex_musd``): each was "unknown key; keys allowed here", not a word that the screening
is a tonnage cut-off per doublet with no price, cost or discounting (round 51)."""

MAX_DOUBLET_FLOW_M3_PER_H = 600.0
"""Most brine flow of a geothermal doublet's ordinary range, m3/h (the most productive
wells, in the Bavarian Molasse, about 150 L/s, 540 m3/h). A flow above it given as
``flow_m3_per_h`` may be one per day (1200 m3/day is 50 m3/h, every tonnage 24 times
high): the screening warns (:func:`prospect.screening.plan_economics`), and
``flow_m3_per_day`` states a flow per day."""

MAX_HOURS_PER_YEAR = 8784.0
"""Most operating hours a year accepted (a leap year's): ``hours_per_year: 525600`` (the
minutes of a year) was "Input should be less than or equal to 8784", no word of the unit
meant (round 52)."""

MIN_HOURS_PER_YEAR = 24.0
"""Fewest operating hours a year accepted: ``hours_per_year: 0.91`` (the uptime as a share of
the year) divided every tonnage by about 8 800 without a word."""

MIN_DOUBLET_HOURS_PER_YEAR = 366.0
"""Fewest operating hours a year of a producing doublet accepted: a figure up to 366 is
the uptime as a percentage (91) or the days of operation a year (350), not hours (a
doublet run 15 days a year produces for no plant)."""

MAX_LITHIUM_MG_PER_L = 10_000.0
"""Most lithium a brine holds, mg/L (1 %). The richest natural brines, of the Andean salars,
hold a few thousand mg/L; geothermal and oilfield waters 0.01 to a few hundred. A surface
above it is one in ug/L labelled mg/L (every tonnage x 1000), and a cut-off that needs more
is one in kg LCE (every cell "too low")."""

CONFIDENCE_Z_RANGE = (1.0, 6.0)
"""z values accepted for the one-sided bounds: 1 (84.1 %) to 6 (99.9999999 %).
``confidence_z: 0.95`` (the level, not its z) classed at 82.9 %, ``confidence_z: 95`` (a
percentage) left every cell "uncertain"."""


def _stated_flow_in_range(key: str, number: float, target: str, converted: float,
                          unit: str) -> None:
    """Refuse a flow given under a key of another unit (:data:`STATED_UNITS`) that is no
    doublet's in m3/h, naming that key: ``flow_l_per_s: 3600`` was refused as
    "12960 m3/h" at ``flow_m3_per_h``, a key the job does not hold, with "in L/s times
    3.6 is m3/h" for the fix.

    Raises
    ------
    ValueError
        The converted flow is outside :data:`MIN_FLOW_M3_PER_H` to
        :data:`MAX_FLOW_M3_PER_H`.
    """
    if target != "flow_m3_per_h" or MIN_FLOW_M3_PER_H <= converted <= MAX_FLOW_M3_PER_H:
        return
    raise ValueError(
        f"{key} {number:g} ({unit}) is {converted:g} m3/h, no doublet's brine flow "
        f"(doublets produce about 50-500 m3/h; from {MIN_FLOW_M3_PER_H:g} to "
        f"{MAX_FLOW_M3_PER_H:g} accepted): give the figure under the key of its unit, "
        "flow_m3_per_h (m3/h), flow_l_per_s (L/s) or flow_m3_per_day (m3/day)")


def _recovery_unsigned(size: float) -> str:
    if size <= 1:
        share, lost = f"{size:g}", f"{1 - size:.6g}"
    elif size <= 100:  # a percentage
        share, lost = f"{size / 100:g}", f"{1 - size / 100:.6g}"
    else:
        share = lost = ""
    meant = (f": give recovery: {share} if {size:g}{' %' if size > 1 else ''} is "
             "recovered" if share else ": give the share recovered")
    if share and float(lost) > 0:
        meant += f", or recovery: {lost} if it is the share lost"
    return ("recovery is the share of the dissolved lithium the extraction recovers, from 0 "
            f"to 1 (0.8 is 80 %), with no sign{meant}")


def _hours_unsigned(size: float) -> str:
    down = (f", or hours_per_year: {8760 - size:g} if {size:g} hours are the downtime of a "
            "year of 8760" if size < 8760 / 2 else "")
    return ("hours_per_year is the hours one doublet operates a year (8000 is about 91 % "
            f"uptime), with no sign: give hours_per_year: {size:g}{down}")


def _cutoff_unsigned(key: str, unit: str) -> Callable[[float], str]:
    def meaning(size: float) -> str:
        return (f"{key} is the tonnes of {unit} one doublet must produce a year to pay for "
                "itself, a positive figure (a loss or deficit has no sign here: the "
                f"screening has no prices or costs): give {key}: {size:g}")
    return meaning


_UNSIGNED_MEANING: dict[str, Callable[[float], str]] = {
    "recovery": _recovery_unsigned,
    "hours_per_year": _hours_unsigned,
    "cutoff_t_lce_per_year": _cutoff_unsigned("cutoff_t_lce_per_year",
                                              "lithium carbonate equivalent"),
    "cutoff_t_li_per_year": _cutoff_unsigned("cutoff_t_li_per_year", "lithium"),
    "density_kg_per_l": lambda size: (
        "density_kg_per_l is the brine's density in kg/L (brines are 1.0-1.3), with no "
        f"sign: give density_kg_per_l: {size:g}"),
    "confidence_z": lambda size: (
        "confidence_z is the one-sided z of both bounds (a cell is too low where the "
        "estimate plus z standard deviations stays under the cut-off, above where the "
        "estimate minus them reaches it), so it is given positive (the lower bound's "
        f"quantile, -{size:g}, is the same z): give confidence_z: {size:g}"),
}
"""The key of a figure the screening takes unsigned -> the words saying what it is and
the figure to give for a negative one of that size (:meth:`EconomicsConfig._figure_not_signed`)."""


class EconomicsConfig(StrictModel):
    """Turn a lithium concentration surface into t LCE/yr per doublet (see prospect.economics).

    Attributes
    ----------
    concentration
        Cube variable of lithium in the brine (a kriged surface); its ``units`` must be a
        lithium concentration: mg/L, ug/L, g/L, mmol/L, umol/L, ppm or mg/kg, and the
        surface at most :data:`MAX_LITHIUM_MG_PER_L` mg/L.
    variance
        Its kriging variance (default ``<concentration>_variance``), in the square of a
        concentration unit.
    density_kg_per_l
        Brine density: mg/L = mg/kg (ppm) x density. Used only for a surface in ppm or
        mg/kg (a warning when such a surface is screened without it); a surface per litre
        needs none. From :data:`MIN_DENSITY_KG_PER_L` to :data:`MAX_DENSITY_KG_PER_L`: a
        figure in kg/m3, lb/US gal or lb/ft3 is refused naming it in kg/L.
    density_surface
        Cube variable giving each cell's brine density instead of the one
        ``density_kg_per_l``: a density (kg/L, g/cm3, kg/m3), a salinity (g/kg, ‰, psu) or
        total dissolved solids (mg/L, g/L, mg/kg, ppm, %) surface, read as
        :func:`prospect.screening.plan_economics` says. Used only for a surface in a mass
        fraction; each cell's mg/kg (and its variance) is made per litre by that cell's
        density. Not given with ``density_kg_per_l``.
    flow_m3_per_h
        Brine flow per doublet, m3/h (1 to 2000). Default 150 m3/h: the production
        tested at the Den Haag Zuidwest doublet (2010), a Dutch geothermal well of ordinary
        size.
    flow_l_per_s
        The flow in L/s instead (x 3.6 gives ``flow_m3_per_h``, which it sets).
    flow_m3_per_day
        The flow in m3/day instead (/ 24 gives ``flow_m3_per_h``, which it sets).
    hours_per_year
        Operating hours a year (8000: about 91 % uptime; an assumption), above 366 (a
        percentage or days a year refused) to 8784.
    recovery
        Share of the dissolved lithium the extraction recovers (0.8: an assumption for
        direct lithium extraction; set your process's figure).
    cutoff_t_lce_per_year
        Economic cut-off per doublet (t LCE/yr, at least 1: a figure in kilotonnes is
        refused); an assumption to set per study. One that needs more than
        :data:`MAX_LITHIUM_MG_PER_L` mg/L at the flow, hours and recovery given is
        refused (a cut-off in kg).
    cutoff_t_li_per_year
        The cut-off in tonnes of lithium instead (x 5.323 gives ``cutoff_t_lce_per_year``,
        which it sets).
    confidence_z
        One-sided z of the too-low / above classes (1.645: 95 %, 3.09: 99.9 %; the report
        states ``ndtr(z)``), from 1 to 6: a level (0.95) or a percentage (95) is refused.
    """

    concentration: PlainName
    variance: PlainName | None = None
    density_kg_per_l: float = Field(default=1.0, gt=0)  # 0.8 to 3
    density_surface: PlainName | None = Field(default=None, exclude_if=lambda v: v is None)
    flow_m3_per_h: float = Field(default=150.0, gt=0)
    hours_per_year: float = Field(default=8000.0, gt=0)  # to MAX_HOURS_PER_YEAR
    recovery: float = Field(default=0.8, gt=0)
    cutoff_t_lce_per_year: float = Field(default=500.0, gt=0)
    confidence_z: float = Field(default=1.645, gt=0)
    flow_l_per_s: float | None = Field(default=None, gt=0,
                                       exclude_if=lambda v: v is None)
    flow_m3_per_day: float | None = Field(default=None, gt=0,
                                          exclude_if=lambda v: v is None)
    cutoff_t_li_per_year: float | None = Field(default=None, gt=0,
                                               exclude_if=lambda v: v is None)

    @model_validator(mode="before")
    @classmethod
    def _in_other_units(cls, data: Any) -> Any:
        """Refuse a flow or a cut-off under a key of a unit the screening has no key of
        (:data:`OTHER_UNIT_KEYS`), naming the key of its quantity and the figure in its
        unit: ``flow_m3_per_s: 0.042`` is ``flow_m3_per_h: 151.2``."""
        if not isinstance(data, dict):
            return data
        for key, value in data.items():
            other = OTHER_UNIT_KEYS.get(str(key).lower())
            if other is None:
                continue
            target, factor, unit = other
            try:
                number = float(value) if not isinstance(value, bool) else math.nan
            except (TypeError, ValueError):
                number = math.nan
            figure = (f": {number:g} {unit} is {target}: {number * factor:.6g}"
                      if math.isfinite(number) else "")
            if unit.startswith("t LiOH"):  # which hydroxide is meant decides the figure
                figure += (f" (1 t of anhydrous LiOH is {LCE_PER_T_LIOH:.4g} t LCE, 1 t of "
                           f"the monohydrate LiOH.H2O {LCE_PER_T_LIOH_H2O:.4g})")
            same = [k for k, (t, _, _) in STATED_UNITS.items() if t == target]
            keys = " or ".join([target, *same])
            raise KeyRefused(key, f"{key} is no key of the screening, which takes this figure "
                             f"under {keys}; give it converted{figure}")
        return data

    @model_validator(mode="before")
    @classmethod
    def _cutoff_as_a_concentration(cls, data: Any) -> Any:
        """Refuse a cut-off given as a lithium concentration
        (:data:`CONCENTRATION_CUTOFF_KEYS`) naming the ``cutoff_t_lce_per_year`` it makes
        at the flow, hours and recovery given (or their defaults), and a money key
        (:data:`MONEY_WORDS`) saying that the screening has no price or cost: the cut-off
        is the tonnage a doublet must produce a year to pay for itself."""
        if not isinstance(data, dict):
            return data
        for key, value in data.items():
            low = str(key).lower()
            to_mg_per_l = CONCENTRATION_CUTOFF_KEYS.get(low)
            if to_mg_per_l is not None:
                raise KeyRefused(key, cls._concentration_cutoff(data, str(key), value,
                                                                to_mg_per_l))
            if str(key) not in cls.model_fields and any(w in low for w in MONEY_WORDS):
                raise KeyRefused(key, (
                    f"{key} is no key of the screening: it classes each cell by the tonnes "
                    "of lithium carbonate equivalent (LCE) one doublet would produce a year "
                    "against cutoff_t_lce_per_year, with no price, cost, tax or discounting; "
                    "work the price and costs into the cut-off (the t LCE a year a doublet "
                    "must produce to pay for itself) and give that as "
                    "cutoff_t_lce_per_year"))
        return data

    @classmethod
    def _concentration_cutoff(cls, data: dict[Any, Any], key: str, value: Any,
                              to_mg_per_l: float) -> str:
        """The refusal of a cut-off as a concentration, with the t LCE/yr it makes at
        ``data``'s flow, hours and recovery where they are numbers (each field's default
        where not given)."""
        def number(name: str) -> float | None:
            given = data.get(name)
            if isinstance(given, bool) or not isinstance(given, int | float):
                return None
            return float(given) if math.isfinite(given) and given > 0 else None

        flow = number("flow_m3_per_h")
        for stated, (target, to_unit, _) in STATED_UNITS.items():
            if flow is None and target == "flow_m3_per_h" and number(stated) is not None:
                flow = float(number(stated) or 0.0) * float(to_unit)
        defaults = cls.model_fields
        flow = flow if flow is not None else float(defaults["flow_m3_per_h"].default)
        hours = number("hours_per_year") or float(defaults["hours_per_year"].default)
        recovery = number("recovery") or float(defaults["recovery"].default)
        concentration = number(key)
        figure = ""
        if concentration is not None and recovery <= 1:
            factor = lce_factor(flow_m3_per_h=flow, hours_per_year=hours, recovery=recovery)
            mg_per_l = concentration * to_mg_per_l
            figure = (f": {value!r} ({mg_per_l:g} mg/L) at {flow:g} m3/h, {hours:g} h/yr and "
                      f"recovery {recovery:g} is cutoff_t_lce_per_year: "
                      f"{mg_per_l * factor:.4g}")
        return (f"{key} is no key of the screening: its cut-off is a tonnage, the t of "
                "lithium carbonate equivalent one doublet produces a year "
                "(cutoff_t_lce_per_year, or cutoff_t_li_per_year in t of lithium), not a "
                "concentration; the concentration it needs follows from the flow, hours "
                f"and recovery{figure}")

    @model_validator(mode="before")
    @classmethod
    def _in_stated_units(cls, data: Any) -> Any:
        """A figure given in another unit (:data:`STATED_UNITS`) sets the key of its unit:
        ``flow_l_per_s: 42`` gives ``flow_m3_per_h: 151.2``. Both keys given must agree (a
        config written back holds both)."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for key, (target, factor, unit) in STATED_UNITS.items():
            value = out.get(key)
            if value is None:
                continue
            try:  # (a boolean or a word is refused at its own key)
                number = float(value) if not isinstance(value, bool) else math.nan
            except (TypeError, ValueError):
                continue
            if not math.isfinite(number) or number <= 0:
                continue
            # exactly: 42 L/s is 151.2 m3/h, not 151.20000000000002; 3600 m3/day is 150
            converted = float(Fraction(repr(number)) * factor)
            given = out.get(target)
            if given is not None and not (
                    isinstance(given, int | float) and not isinstance(given, bool)
                    and math.isclose(given, converted, rel_tol=1e-9)):
                raise ValueError(
                    f"give either {key} ({unit}) or {target}, not both: {key} {number:g} is "
                    f"{converted:g} in {target}'s unit, and {target} is {given!r}")
            _stated_flow_in_range(key, number, target, converted, unit)
            out[target] = converted
        return out

    @field_validator("flow_m3_per_h", "flow_l_per_s", "flow_m3_per_day", mode="before")
    @classmethod
    def _flow_not_signed(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse a negative flow naming its sign's meaning: ``flow_m3_per_h: -150`` (an
        injection rate, as a reservoir model or a well test's sheet signs the brine put
        back) was pydantic's "Input should be greater than 0", no word of what a negative
        flow is or which figure the screening takes."""
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value) or value >= 0:
            return value
        unit = {"flow_l_per_s": "L/s", "flow_m3_per_day": "m3/day"}.get(
            str(info.field_name), "m3/h")
        raise ValueError(
            f"{value:g} {unit} is a negative flow: a minus sign is an injection's (the "
            "brine a doublet puts back into the reservoir, as reservoir models and well "
            "tests sign it); the screening takes the brine one doublet produces, a "
            f"positive figure: give {info.field_name}: {-value:g} (the same rate, "
            "produced)")

    @field_validator("recovery", "hours_per_year", "cutoff_t_lce_per_year",
                     "cutoff_t_li_per_year", "density_kg_per_l", "confidence_z",
                     mode="before")
    @classmethod
    def _figure_not_signed(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse a negative recovery, hours, cut-off, density or z naming what the figure
        is and the one to give: ``recovery: -0.8``, ``hours_per_year: -8000`` or
        ``cutoff_t_lce_per_year: -500`` were pydantic's "Input should be greater than 0",
        no word of what a sign could have meant there or of the figure the screening
        takes (round 56; a flow's sign is :meth:`_flow_not_signed`'s, 0 keeps pydantic's
        words)."""
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value) or value >= 0:
            return value
        key = str(info.field_name)
        size = -float(value)
        raise ValueError(f"{value:g} is negative: {_UNSIGNED_MEANING[key](size)}")

    @field_validator("density_kg_per_l")
    @classmethod
    def _density_in_kg_per_l(cls, value: float) -> float:
        """From :data:`MIN_DENSITY_KG_PER_L` to :data:`MAX_DENSITY_KG_PER_L`, the refusal
        naming the units a figure outside is one of (:data:`DENSITY_UNITS`)."""
        if MIN_DENSITY_KG_PER_L <= value <= MAX_DENSITY_KG_PER_L:
            return value
        meant = [f"{value:g} {unit} is density_kg_per_l: {value * factor:.4g}"
                 for unit, factor in DENSITY_UNITS.items()
                 if MIN_DENSITY_KG_PER_L <= value * factor <= MAX_DENSITY_KG_PER_L]
        fix = (f"give it in kg/L ({', '.join(meant)})" if meant
               else "give the brine's density in kg/L (g/cm3 and a specific gravity are "
               "the same figure; kg/m3 divided by 1000 is kg/L)")
        raise ValueError(
            f"{value:g} kg/L is no brine density (brines are 1.0-1.3 kg/L, hot reservoir "
            f"water down to about 0.9; from {MIN_DENSITY_KG_PER_L:g} to "
            f"{MAX_DENSITY_KG_PER_L:g} accepted): {fix}")

    @field_validator("flow_m3_per_h")
    @classmethod
    def _flow_in_m3_per_h(cls, value: float) -> float:
        if value < MIN_FLOW_M3_PER_H:
            raise ValueError(
                f"{value:g} m3/h is no doublet's brine flow (doublets produce about 50-500 "
                f"m3/h; at least {MIN_FLOW_M3_PER_H:g}): a flow in m3/s times 3600 is m3/h "
                f"({value:g} m3/s is {value * 3600:g} m3/h), one in L/s is given as "
                "flow_l_per_s")
        if value > MAX_FLOW_M3_PER_H:
            raise ValueError(
                f"{value:g} m3/h is no doublet's brine flow (doublets produce about 50-500 "
                f"m3/h; at most {MAX_FLOW_M3_PER_H:g}): a flow in m3/day divided by 24, or "
                "in L/s times 3.6, is m3/h")
        return value

    @field_validator("recovery")
    @classmethod
    def _recovery_a_share(cls, value: float) -> float:
        """A share of 1 at most; ``recovery: 80`` (a percentage) was "Input should be less
        than or equal to 1", no word of the form meant."""
        if value > 1:
            share = f": {value:g} % is {value / 100:g}" if value <= 100 else ""
            raise ValueError(f"{value:g} is no share of the lithium recovered: give it from "
                             f"0 to 1, not as a percentage{share}")
        return value

    @field_validator("hours_per_year")
    @classmethod
    def _hours_not_a_share(cls, value: float) -> float:
        """Hours, not the uptime as a share (0.91) or a percentage (91) of the year, nor
        the days a year (350): ``hours_per_year: 91`` screened every tonnage 88 times low
        and ``350`` 24 times low, without a word (only a share was refused)."""
        if value > MAX_HOURS_PER_YEAR:
            units = [f"{value:g} {unit} a year are {value / per:.6g} hours"
                     for unit, per in (("minutes", 60.0), ("seconds", 3600.0))
                     if MAX_HOURS_PER_YEAR / 2 <= value / per <= MAX_HOURS_PER_YEAR]
            raise ValueError(
                f"{value:g} hours a year is more than a year holds (8760 hours, "
                f"{MAX_HOURS_PER_YEAR:g} in a leap year): give the hours one doublet "
                "operates a year (8000 is about 91 % uptime)"
                + (f"; {', '.join(units)}" if units else ""))
        if value < MIN_HOURS_PER_YEAR:
            raise ValueError(
                f"{value:g} hours a year is less than a day of operation: give hours, not "
                f"the uptime as a share of the year (an uptime of 0.91 is "
                f"{0.91 * 8760:g} hours)")
        if value <= MIN_DOUBLET_HOURS_PER_YEAR:
            meant = (f"an uptime of {value:g} % is {value / 100 * 8760:g} hours, "
                     if value <= 100 else "")
            raise ValueError(
                f"{value:g} hours a year is less than {MIN_DOUBLET_HOURS_PER_YEAR / 24:g} "
                "days of operation, no producing doublet's: give hours, not the uptime as "
                f"a percentage or the days a year ({meant}{value:g} days are "
                f"{value * 24:g} hours)")
        return value

    @field_validator("confidence_z")
    @classmethod
    def _z_not_a_level(cls, value: float) -> float:
        from scipy.special import ndtr

        low, high = CONFIDENCE_Z_RANGE
        if value < low:
            raise ValueError(
                f"{value:g} is a one-sided confidence of only {100 * float(ndtr(value)):.3g} %; "
                f"confidence_z is a z, from {low:g} to {high:g}, not the level: 95 % is "
                "1.645, 99 % is 2.326")
        if value > high:
            raise ValueError(
                f"{value:g} is past any confidence a screening states (z at most {high:g}, "
                "99.9999999 %): confidence_z is a z, not a percentage: 95 % is 1.645, 99 % "
                "is 2.326")
        return value

    @model_validator(mode="after")
    def _one_density(self) -> EconomicsConfig:
        """Refuse ``density_kg_per_l`` beside ``density_surface``: which converts the
        cells would be a guess."""
        if self.density_surface is not None and "density_kg_per_l" in self.model_fields_set:
            raise ValueError(
                f"give either density_kg_per_l ({self.density_kg_per_l:g} kg/L, one density "
                f"for every cell) or density_surface ({self.density_surface!r}, each cell's "
                "own), not both")
        return self

    @model_validator(mode="after")
    def _cutoff_a_plants(self) -> EconomicsConfig:
        """A cut-off under :data:`MIN_CUTOFF_T_LCE_PER_YEAR` is refused: one in kilotonnes
        (``0.5`` for 500 t) made nearly every cell "above" without a word."""
        cutoff = self.cutoff_t_lce_per_year
        if cutoff >= MIN_CUTOFF_T_LCE_PER_YEAR:
            return self
        li = self.cutoff_t_li_per_year
        key, given = (("cutoff_t_li_per_year", li) if li is not None
                      else ("cutoff_t_lce_per_year", cutoff))
        said = f" ({cutoff:.4g} t LCE)" if li is not None else ""
        factor = lce_factor(flow_m3_per_h=self.flow_m3_per_h,
                            hours_per_year=self.hours_per_year, recovery=self.recovery)
        raise ValueError(
            f"{key} {given:g}{said} is under {MIN_CUTOFF_T_LCE_PER_YEAR:g} t of lithium "
            "carbonate equivalent a year per doublet, less than any extraction plant is "
            f"built for, and every cell of {cutoff / factor:.3g} mg/L or more would be "
            f"'above' it: the cut-off is in tonnes a year (a figure in kilotonnes times "
            f"1000 is t: {given:g} kt is {given * 1000:g} t)")

    @model_validator(mode="after")
    def _cutoff_within_reach(self) -> EconomicsConfig:
        """A cut-off no brine can reach is refused: ``cutoff_t_lce_per_year: 500000`` (500 t
        written in kg) classed every cell "too low", and the report called the whole region
        not economic, without a word."""
        factor = lce_factor(flow_m3_per_h=self.flow_m3_per_h,
                            hours_per_year=self.hours_per_year, recovery=self.recovery)
        needed = self.cutoff_t_lce_per_year / factor
        if needed > MAX_LITHIUM_MG_PER_L:
            raise ValueError(
                f"cutoff_t_lce_per_year {self.cutoff_t_lce_per_year:g} needs {needed:.4g} mg/L "
                f"of lithium in the brine at {self.flow_m3_per_h:g} m3/h, "
                f"{self.hours_per_year:g} h/yr and recovery {self.recovery:g} (1 mg/L gives "
                f"{factor:.4g} t LCE/yr), more than any brine holds (at most "
                f"{MAX_LITHIUM_MG_PER_L:g} mg/L): the cut-off is in tonnes of lithium "
                "carbonate equivalent per doublet and year (a figure in kg divided by 1000 "
                "is t), and the flow, hours and recovery are one doublet's")
        return self

    @property
    def variance_variable(self) -> str:
        """The cube variable holding the concentration's kriging variance."""
        return self.variance or f"{self.concentration}_variance"
