"""A cube layer to ingest: what it is called, how it is stored and how one chunk is made."""

from __future__ import annotations

import abc
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from prospect.grid import ChunkWindow, RegionGrid
from prospect.io.files import file_sha256
from prospect.redact import redact_tree
from prospect.registry.units import _DEGREE_SIGNS

__all__ = ["ELEMENT_SYMBOLS", "Layer", "distance_units", "height_datum", "provenance_json",
           "unit_factor", "unit_key", "unit_shift"]


_UNIT_WORDS: dict[str, str] = {
    **dict.fromkeys(("kelvin", "kelvins", "degk", "degreek", "degreesk", "degreekelvin",
                     "degreeskelvin"), "K"),
    **dict.fromkeys(("degc", "celsius", "degreec", "degreesc", "degreecelsius",
                     "degreescelsius", "centigrade"), "degC"),
    **dict.fromkeys(("degf", "fahrenheit", "degreef", "degreesf", "degreefahrenheit",
                     "degreesfahrenheit"), "degF"),
    **dict.fromkeys(("metre", "metres", "meter", "meters", "mtr", "mtrs"), "m"),
    **dict.fromkeys(("kilometre", "kilometres", "kilometer", "kilometers"), "km"),
    **dict.fromkeys(("centimetre", "centimetres", "centimeter", "centimeters"), "cm"),
    **dict.fromkeys(("millimetre", "millimetres", "millimeter", "millimeters"), "mm"),
    **dict.fromkeys(("micrometre", "micrometres", "micrometer", "micrometers", "micron",
                     "microns"), "um"),
    **dict.fromkeys(("sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), "min"),
    **dict.fromkeys(("hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("day", "days"), "d"),
    **dict.fromkeys(("yr", "yrs", "year", "years"), "yr"),
    **dict.fromkeys(("wk", "wks", "week", "weeks"), "wk"),
    **dict.fromkeys(("month", "months", "mth", "mths"), "month"),
    **dict.fromkeys(("myr", "myrs", "megayear", "megayears", "megaannum", "megaanna"), "Myr"),
    **dict.fromkeys(("kyr", "kyrs", "kiloyear", "kiloyears", "kiloannum", "kiloanna"), "kyr"),
    **dict.fromkeys(("gyr", "gyrs", "gigayear", "gigayears", "gigaannum", "gigaanna"), "Gyr"),
    **dict.fromkeys(("l", "litre", "litres", "liter", "liters"), "L"),
    **dict.fromkeys(("megalitre", "megalitres", "megaliter", "megaliters"), "ML"),
    **dict.fromkeys(("gigalitre", "gigalitres", "gigaliter", "gigaliters"), "GL"),
    "ml": "mL", "ul": "uL", "percent": "%", "pct": "%", "ppm": "ppm", "ppb": "ppb",
    "partspermillion": "ppm", "partsperbillion": "ppb",
    **dict.fromkeys(("nt", "nanotesla", "nanoteslas", "ntesla", "nteslas", "gamma",
                     "gammas", "\u03b3"), "nT"),
    **dict.fromkeys(("tonne", "tonnes"), "t"),
    **dict.fromkeys(("mgal", "mgals", "milligal", "milligals"), "mGal"),
    **dict.fromkeys(("ugal", "ugals", "microgal", "microgals"), "uGal"),
    **dict.fromkeys(("foot", "feet"), "ft"),
    **dict.fromkeys(("ftus", "usft", "ussurveyfoot", "ussurveyfeet"), "ftUS"),
    "wt%": "wt%",
    **dict.fromkeys(("ohm", "ohms", "\u03c9", "\u2126"), "ohm"),
    **dict.fromkeys(("hfu", "heatflowunit", "heatflowunits"), "HFU"),
    **dict.fromkeys(("count", "counts", "cts", "cnt", "cnts"), "counts"),
    **dict.fromkeys(("gu", "g.u.", "gravityunit", "gravityunits"), "gu"),
    **dict.fromkeys(("eo", "eotvos", "e\u00f6tv\u00f6s", "eotvoes", "eotvosunit",
                     "eotvosunits"), "E"),
    **dict.fromkeys(("1", "-", "none", "dimensionless", "unitless"), ""),
    **dict.fromkeys(("permil", "permill", "permille", "\u2030", "perthousand",
                     "partsperthousand"), "permil"),
    **dict.fromkeys(("deg", "degs", "degree", "degrees", "\u00b0", "\u00ba", "arcdeg"),
                    "deg"),
    **dict.fromkeys(("rad", "rads", "radian", "radians"), "rad"),
    **dict.fromkeys(("gallon", "gallons", "gals", "usgal", "usgallon", "usgallons"), "gal"),
    **dict.fromkeys(("inch", "inches"), "in"),
    **dict.fromkeys(("mile", "miles"), "mi"),
    **dict.fromkeys(("lb", "lbs", "pound", "pounds"), "lb"),
    **dict.fromkeys(("acre", "acres"), "acre"),
    **dict.fromkeys(("ha", "hectare", "hectares"), "ha"),
    **dict.fromkeys(("ton", "tons", "shortton", "shorttons", "uston", "ustons"), "ton"),
    **dict.fromkeys(("oz", "ozs", "ozt", "ounce", "ounces", "troyoz", "troyounce",
                     "troyounces", "oztroy"), "ozt"),
}
"""Unit words and symbols (lower case, spaces and ``_`` dropped) -> one spelling (lengths
and times as words or abbreviations: ``millimetres`` is ``mm``, ``day`` ``d``, ``hr``
``h``, ``year`` ``yr``, as rainfall, uplift and flow grids write them; ``HFU``:
the heat-flow unit of older surveys, 1 ucal/cm2/s; ``gu``: the gravity unit, 1 um/s2;
``NT`` and ``mgal`` as upper- or lower-case exports (Geosoft, older survey grids) write
``nT`` and ``mGal``: no other unit is spelt so; ``nTesla``, as magnetic survey exports
spell the nanotesla; an angle's ``degrees``, ``°`` and ``radians``, a slope's, an
aspect's or an IP phase's, as ``deg`` and ``rad``; US customary units as US water-use,
precipitation and density exports write them: ``gallons`` as ``gal``, ``inches`` as
``in``, ``miles`` as ``mi``, ``pounds`` and ``lbs`` as ``lb``; a climate grid's
``month`` (``mm/month``, a twelfth of the year) and ``week``; geological time as age and
rate grids write it: ``Myr``, ``kyr``, ``Gyr`` (and ``Ma``, ``ka``, :data:`_CASED_WORDS`);
areas as land and water
records write them: ``acres`` as ``acre``, ``hectares`` as ``ha``; gold and silver grades
as North American assays write them: the ounce is the troy ounce, ``ozt``, and ``ton``
the US short ton, 2000 lb (a metric tonne is ``t``))."""

_PREFIX_WORDS: dict[str, str] = {"pico": "p", "nano": "n", "micro": "u", "milli": "m",
                                 "centi": "c", "deci": "d", "kilo": "k", "mega": "M",
                                 "giga": "G"}
"""SI prefixes as words, before a unit's name of :data:`_NAMED_UNITS` (``microsiemens``,
``millivolts``)."""

_NAMED_UNITS: dict[str, str] = {
    **dict.fromkeys(("siemens", "mho", "mhos"), "S"),
    **dict.fromkeys(("volt", "volts"), "V"),
    **dict.fromkeys(("watt", "watts"), "W"),
    **dict.fromkeys(("ampere", "amperes", "amp", "amps"), "A"),
    **dict.fromkeys(("pascal", "pascals"), "Pa"),
    **dict.fromkeys(("hertz",), "Hz"),
    **dict.fromkeys(("second", "seconds"), "s"),
    **dict.fromkeys(("gram", "grams", "gramme", "grammes"), "g"),
    **dict.fromkeys(("tesla", "teslas"), "T"),
    **dict.fromkeys(("litre", "litres", "liter", "liters"), "L"),
    **dict.fromkeys(("metre", "metres", "meter", "meters"), "m"),
    **dict.fromkeys(("ohm", "ohms"), "ohm"),
}
"""Units' names (lower case) a prefix's word may scale, and their symbols: a water's
conductivity in ``microsiemens/cm`` is ``uS/cm``, an IP survey's chargeability in
``millivolts per volt`` ``mV/V``. Alone they are the unit (``siemens`` is ``S``)."""


def _named_unit(word: str) -> str | None:
    """``word`` (a unit's name, perhaps after an SI prefix's word: ``millisiemens``) as a
    symbol (``mS``); ``None`` where it is no such name."""
    lower = word.lower()
    if lower in _NAMED_UNITS:
        return _NAMED_UNITS[lower]
    for prefix, symbol in _PREFIX_WORDS.items():
        if lower.startswith(prefix) and lower[len(prefix):] in _NAMED_UNITS:
            return symbol + _NAMED_UNITS[lower[len(prefix):]]
    return None


_COMPOUND_WORDS: dict[str, tuple[tuple[str, int], ...]] = dict.fromkeys(
    ("ohm-m", "ohmm", "ohm-metre", "ohm-metres", "ohm-meter", "ohm-meters", "ohmmetre",
     "ohmmeter", "\u03c9-m", "\u2126-m", "\u03c9m", "\u2126m"), (("m", 1), ("ohm", 1)))
_COMPOUND_WORDS.update(dict.fromkeys(
    ("cps", "c/s", "countspersecond", "countpersecond", "countspersec"),
    (("counts", 1), ("s", -1))))
_COMPOUND_WORDS.update(dict.fromkeys(
    ("cpm", "c/min", "countsperminute", "countperminute", "countspermin"),
    (("counts", 1), ("min", -1))))
_COMPOUND_WORDS.update(dict.fromkeys(
    ("lps", "l/s", "litrespersecond", "literspersecond", "litrepersecond",
     "literpersecond"), (("L", 1), ("s", -1))))
_COMPOUND_WORDS.update(dict.fromkeys(
    ("cumec", "cumecs"), (("m", 3), ("s", -1))))
"""Spellings of a product of units written as one word (resistivity's ``ohm-m``, as
geophysics exports write it; a radiometric survey's ``cps``, counts per second, and a
Geiger or older radiometric survey's ``cpm``, counts per minute; a spring,
bore or stream flow's ``lps``, litres per second, and ``cumecs``, cubic metres per second,
as hydrology exports write them) -> :func:`unit_key`'s key. A one-word spelling is also
read as a factor of a longer string (``lps/km2``, a specific discharge)."""

_COMPOUND_WORDS.update(dict.fromkeys(("gpm",), (("gal", 1), ("min", -1))))
_COMPOUND_WORDS.update(dict.fromkeys(("gph",), (("gal", 1), ("h", -1))))
_COMPOUND_WORDS.update(dict.fromkeys(("gpd",), (("gal", 1), ("d", -1))))
_COMPOUND_WORDS.update(dict.fromkeys(("mgd",), (("Mgal", 1), ("d", -1))))
_COMPOUND_WORDS.update(dict.fromkeys(("cfs", "cusec", "cusecs"), (("ft", 3), ("s", -1))))
"""US water use's and streamflow's one-word rates: gallons a minute, an hour or a day
(``gpm``, ``gph``, ``gpd``), million gallons a day (``MGD``, as utilities write it; USGS
writes ``Mgal/d``), cubic feet a second (``cfs``, ``cusecs``)."""

_COMPOUND_WORDS.update(dict.fromkeys(
    ("af", "acft", "acreft", "acrefoot", "acrefeet"), (("acre", 1), ("ft", 1))))
_COMPOUND_WORDS.update(dict.fromkeys(("kaf", "taf"), (("10", 3), ("acre", 1), ("ft", 1))))
_COMPOUND_WORDS.update(dict.fromkeys(("maf",), (("10", 6), ("acre", 1), ("ft", 1))))
"""US water volumes: the acre-foot (``AF``, ``acre-ft``, ``ac-ft``, ``acre-feet``, as US
water rights, storage and recharge grids state them: ``AF/yr``), an acre of water a foot
deep, 1233.48 m3; ``KAF``/``TAF`` thousand and ``MAF`` million acre-feet (western US
reservoirs and basins)."""

_COMPOUND_WORDS.update(dict.fromkeys(("opt", "ozpt", "ozperton"), (("ozt", 1), ("ton", -1))))
_COMPOUND_WORDS.update(dict.fromkeys(("gpt",), (("ppm", 1),)))
"""A gold or silver grade in troy ounces per short ton (``opt``, as North American assays
and grade grids write it; ``oz/ton``): 34.2857 g/t; in grams per tonne as one word
(``gpt``), ``g/t``, a part per million."""

_ACRE_FOOT = re.compile(r"\b(?:acre|ac)[-\s]*(?:ft|feet|foot)\b", re.IGNORECASE)
"""The acre-foot written with a hyphen or a space (``acre-ft/yr``, ``ac-ft``), read as
the one word ``acft`` before a unit is taken apart."""

_COMPOUND_WORDS.update(dict.fromkeys(("cc", "ccm"), (("cm", 3),)))
"""The cubic centimetre as density logs and core tables write it (``g/cc``)."""

_PER_ANNUM = frozenset({"a", "y", "annum"})
"""Symbols of the year in a denominator (``mm/a``, ``mm a-1``, per annum, as geodesy and
uplift-rate grids write it; ``mm/y``): ``yr``. Alone or as a numerator's factor ``a`` is
the are (100 m2) and stays as written."""

_CASED_WORDS: dict[str, str] = {"FT": "ft", "Ft": "ft", "ML": "ML", "Ml": "ML", "gm": "g",
                                 "Mgal": "Mgal", "Ma": "Myr", "ka": "kyr", "mt": "t"}
"""Symbols matched with their case before the lower-case words: capitals that name one
unit only (a DEM's ``FT``, as older exports write feet: lower case they would take
femtotesla's ``fT`` for feet), and a capital ``M`` that is mega, not milli (``ML`` and
``Ml``, megalitres, as water allocations and the UK water industry's ``Ml/d`` write them:
lower-cased they were ``mL``, millilitres, a factor of 10^9 apart), and a density log's
``gm`` (``gm/cc``), the gram, in lower case only (``Gm`` stays a gigametre), and
``Mgal``, million US gallons, as USGS water-use data write it (``Mgal/d``): lower-cased
it was ``mgal``, the milligal of gravity (``mgal``, ``MGAL`` and ``mGal`` stay that), and
geological time's mega- and kilo-annum, ``Ma`` and ``ka`` (an age grid's, an uplift
rate's ``m/Ma``), ``Myr`` and ``kyr``, in this case only (``mA`` stays the milliampere;
``Ga``, gallium as a grade's element, is not the giga-annum), and a grade's ``g/mt``,
the metric ton as US exports write it, in lower case only (``Mt`` stays the megatonne)."""

_SYSTEM_WORDS = frozenset({"unit", "units"})
"""The word that may follow a system of units' name (``SI units``, ``10^-6 cgs units``,
as susceptibility grids state it): the system alone. It is dropped only after another
factor (``units`` alone stays as written)."""

_MASS_RATIOS: dict[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]] = {
    (("kg", -1), ("mg", 1)): (("ppm", 1),),  # mg/kg
    (("g", -1), ("ug", 1)): (("ppm", 1),),  # ug/g
    (("g", 1), ("t", -1)): (("ppm", 1),),  # g/t (assays)
    (("kg", -1), ("ug", 1)): (("ppb", 1),),  # ug/kg
    (("g", -1), ("ng", 1)): (("ppb", 1),),  # ng/g
    (("mg", 1), ("t", -1)): (("ppb", 1),),  # mg/t
}
"""Mass ratios that are parts per million or billion (concentrations in solids: rock,
soil, till); ``mg/L`` is not (a water's ppm only at a density of 1)."""

_SUPERSCRIPTS = str.maketrans("\u207b\u207a\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076"
                              "\u2077\u2078\u2079", "-+0123456789")
_TEN_POWER = re.compile(
    r"(?:(?<=\s)|^|(?=[\u00d7*]))(?:[x\u00d7*]\s*)?(?:10\s*(?:\^|\*\*)\s*(?P<a>[-+\u2212]?\d+)"
    r"|10\s*(?P<b>[-+\u2212]\d+)|1[eE](?P<c>[-+]?\d+))(?=\s|$)")
"""A power of ten written as a unit's scale: ``10^-3``, ``x10^-3``, ``× 10⁻³`` (the
superscripts already read as ``10-3``), ``10**-5``, ``1e-3``, a word of its own."""
HEIGHT_ABOVE_DATUM = re.compile(
    r"(?P<unit>m|metres?|meters?|ft|feet|foot|ftus)\.?(?:(?=[\s(\[])|(?=(?:aod|odn|asl|amsl|"
    r"msl|ahd|nap|nn|nhn|hae)\b)|(?=a\.\s*(?:m\.?\s*)?s\.?\s*l\b)|(?=m\.\s*s\.?\s*l\b))"
    r"\s*(?:above\s+(?:the\s+)?|a\.?\s*|\u00fc\.?\s*)?[(\[]?\s*"
    r"(?P<datum>odn|aod|nn|nhn|dhhn\s*\d*|navd\s*88|ngvd\s*29|egm\s*\d+|msl|amsl|ahd|nap|"
    r"hae|ellipsoid(?:al)?|wgs\s*-?\s*84|grs\s*-?\s*80|"
    r"lat|cd|asl|ngf|ign\s*69|nzvd\s*2016|cgvd\s*\d+|evrf\s*\d*|s\.?\s*l\.?|"
    r"m\.?\s*s\.?\s*l\.?|(?:mean\s+)?sea\s+level)\s*[)\]]?", re.IGNORECASE)
"""A height unit followed by its vertical datum's name (a DEM's band: ``m ODN`` and
``mAOD`` in Britain, ``m NN``/``m ü. NHN`` in Germany, ``ft NAVD88`` in the US, ``m
EGM96``, ``m (MSL)``, ``m AHD``, ``m NAP``; with dots and no space, ``m.a.s.l.`` and
``m.a.m.s.l.``, as spreadsheets and older survey exports write it; above the ellipsoid,
``m HAE``, ``m ellipsoidal``, ``m WGS84``, as LiDAR and GNSS surveys write it): the datum is a
CRS's, not a unit's, so the unit is the length alone (:func:`unit_key`, and the model check's
:func:`prospect.registry.units.canonical_units`)."""
_DEPTH_REFERENCE = (
    r"r?kb|rt|df|gl|bgl|bsl|bsf|bml|bkb|brt|bdf|md|md\s*(?:r?kb|rt|df|gl)|tvd|"
    r"tvd\s*(?:ss|r?kb|rt|df|gl)|ss|sub\s*-?\s*sea|mv|maaiveld|gok|nap|nn|nhn|msl|"
    r"b\.\s*g\.\s*l\.?|b\.\s*s\.\s*l\.?|g\.\s*l\.?|"
    r"(?:the\s+)?(?:ground(?:\s+level|\s+surface)?|surface|sea\s*level|sea\s*floor|"
    r"seabed|mud\s*line|kelly\s*bushing|rotary\s*table|derrick\s*floor|collar)")
DEPTH_BELOW_REFERENCE = re.compile(
    r"(?P<unit>m|metres?|meters?|ft|feet|foot|ftus)\.?"
    r"(?:\s*[-+]\s*|\s*(?:below|under|beneath|from|re|rel(?:\.|ative)?(?:\s+to)?|onder|"
    r"unter|u\.|t\.\s*o\.\s*v\.?|sous|bajo)\s+|\s+|\s*[-+]?\s*(?=[(\[])"
    r"|(?=(?:bgl|bsl|bsf|r?kb|tvd|nap|gok|b\.)))"
    rf"[(\[]?\s*(?:{_DEPTH_REFERENCE})\s*[)\]]?", re.IGNORECASE)
"""A length followed by the reference a depth is measured from (a well log's ``ft KB``,
``m RT``, ``m MD``, ``ft TVDSS``, ``m TVD SS``; a borehole's ``m bgl``, ``mbgl``, ``m
b.g.l.``, ``m below ground level``; Dutch ``m -NAP``, ``m t.o.v. NAP``, ``m-mv`` (below
ground level), ``m onder maaiveld``; German ``m u. GOK``): the reference is where the
depth is counted from, not a factor of its unit, so the unit is the length alone
(:func:`unit_key`). ``TD (ft KB)`` was ``KB`` times ``ft`` and ``mbgl`` a unit of its own,
so such a surface was of other units than a ``ft`` or ``m`` one (round 50). Written
glued to the length (``mbgl``, ``ftKB``, ``mTVD``) only for ``kb`` and references of
three letters or more (``mgl`` may be a concentration, ``mmd`` a rate)."""
_SEA_LEVEL = frozenset({"asl", "amsl", "msl", "sl", "sealevel", "meansealevel"})
"""Datums named only as "sea level" (``m a.s.l.``, ``m MSL``): no realisation is said,
so they are taken for any named one."""
_DATUM_NAMES: dict[str, str] = {
    "aod": "ODN", "odn": "ODN", "nhn": "DHHN92", "dhhn92": "DHHN92", "dhhn": "DHHN92",
    "nn": "NN", "dhhn85": "NN", "dhhn2016": "DHHN2016", "navd88": "NAVD88",
    "ngvd29": "NGVD29", "ahd": "AHD", "nap": "NAP", "lat": "LAT", "cd": "CD", "ngf": "NGF",
    "ign69": "IGN69", "nzvd2016": "NZVD2016",
}
"""A datum's name in :data:`HEIGHT_ABOVE_DATUM` (lower case, no spaces or dots) -> one
spelling (Ordnance Datum Newlyn is also written ``AOD``, above ordnance datum; Germany's
``NHN`` heights are DHHN92's); others (``EGM96``, ``CGVD2013``, ``EVRF2007``) are
written in capitals."""
VERTICAL_DATUM_EPSG: dict[str, int] = {
    "ODN": 5701, "NAVD88": 5703, "NAP": 5709, "AHD": 5711, "EGM96": 5773,
    "EGM2008": 3855, "DHHN92": 5783, "NN": 5784, "DHHN2016": 7837, "IGN69": 5720,
    "NZVD2016": 7839, "CGVD2013": 6647, "CGVD28": 5713, "EVRF2007": 5621, "EVRF2000": 5730,
}
"""EPSG codes of the vertical CRSs of :func:`height_datum`'s datums (the heights'
``gdalwarp -s_srs``/``-t_srs`` after a ``+``)."""
NAMED_DATUMS: frozenset[str] = frozenset(VERTICAL_DATUM_EPSG) | frozenset(
    _DATUM_NAMES.values()) | frozenset({"ellipsoid"})
"""The vertical datums :func:`height_datum` names in one spelling (not "sea level")."""


def height_datum(units: str) -> str | None:
    """The vertical datum a height's units name (``m ODN`` and ``mAOD``: ``ODN``; ``ft
    NAVD88``: ``NAVD88``; ``m EGM96``: ``EGM96``), in one spelling; ``None`` where none
    is named or only "sea level" (``m a.s.l.``, ``m MSL``).

    Parameters
    ----------
    units
        A band's units string.
    """
    height = HEIGHT_ABOVE_DATUM.fullmatch(units.strip())
    if height is None:
        return None
    name = re.sub(r"[\s.-]+", "", height["datum"]).lower()
    if name in _SEA_LEVEL or name in ("wgs84", "grs80"):
        return None  # no realisation; WGS 84's heights may be EGM96's (SRTM's, loosely)
    if name in ("hae", "ellipsoid", "ellipsoidal"):
        return "ellipsoid"
    return _DATUM_NAMES.get(name, name.upper())


ELEMENT_SYMBOLS = frozenset({
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S",
    "Cl", "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga",
    "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh",
    "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr",
    "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta",
    "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr",
    "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md",
    "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc",
    "Lv", "Ts", "Og"})
"""Chemical element symbols (a band described ``Potassium (K)`` names its element,
not kelvin; ``mg/L Li`` is milligrams of lithium per litre: :func:`unit_key`)."""
_SPECIES_AFTER = ELEMENT_SYMBOLS - {"K", "S", "W", "V", "H", "F", "C", "N", "B", "P", "Pa",
                                    "Mt", "Ts"}
"""Element symbols read as the species a concentration counts where written after its
quotient (``mg/L Li``, ``mg/kg Li``, ``g/t Au``: milligrams of lithium per litre), as a
factor of the numerator, not the denominator (:func:`unit_key`); not those that are also
unit symbols a denominator ends in (``W/m K``, a conductivity; ``mS/m S`` nothing)."""

_AMOUNTS = frozenset({"g", "mg", "ug", "ng", "pg", "kg", "mol", "mmol", "umol", "nmol",
                      "eq", "meq", "mEq", "ueq"})
"""A concentration's amount of its species (mass, amount of substance, equivalents), as
the numerator of one stated ``mg/L K``."""
_AMOUNT_PER = frozenset({"L", "l", "mL", "ml", "uL", "ul", "dL", "dl", "m3", "cm3", "dm3",
                         "kg", "g", "mg", "t", "Mt"})
"""A concentration's volume or mass of its medium, as its denominator (``mg/L``,
``g/t``)."""


def _species_after(numerator: list[str], denominator: list[str]) -> bool:
    """Whether the last factor of ``denominator`` is the species a concentration counts
    (``mg/L Li``: milligrams of lithium per litre), not a factor below the quotient: an
    element symbol that is no unit symbol (:data:`_SPECIES_AFTER`), or any element symbol
    (``K``, ``S``, ``N``...) after an amount per volume or mass of one factor each
    (``mg/L K``, ``meq/L Na``, ``g/t C``: potassium, not kelvin; ``W/m K`` and ``J/kg K``
    keep kelvin)."""
    if len(denominator) < 2 or denominator[-1] not in ELEMENT_SYMBOLS:
        return False
    if denominator[-1] in _SPECIES_AFTER:
        return True
    return (len(numerator) == 1 and numerator[0] in _AMOUNTS
            and len(denominator) == 2 and denominator[0] in _AMOUNT_PER)


_GLOSSED = re.compile(r"(?P<unit>[^()\[\]]*[^\s()\[\]/*^.\u00b7])\s*"
                      r"[(\[]\s*(?P<gloss>[^()\[\]]+?)\s*[)\]]")
"""A unit followed by its name or symbol in brackets, as survey grids and NetCDF files
label a band (``m (metres)``, ``nT (nanotesla)``, ``K (kelvin)``, ``metres [m]``); not a
denominator's brackets (``W/(m K)``: the unit before them ends in ``/``)."""
_PERCENT_OF = re.compile(r"%([A-Z][a-z]?)|([A-Z][a-z]?)%")
"""A share of an element written as one word (``%K``, ``K%``: a radiometric survey's
potassium), read as ``% K``, as other exports write it."""
_UNIT_FACTOR = re.compile(r"([A-Za-z%\u03c9\u2126]+)(?:\^|\*\*)?([-+]?\d+)?")


def unit_key(units: str) -> tuple[tuple[str, int], ...] | str:
    """``units`` in one spelling, to compare two: each factor's symbol (``K`` for
    ``kelvin``, ``degC`` for ``°C``...) with its power, so ``mW/m2``, ``mW m-2``,
    ``mW/m^2`` and ``mW·m⁻²`` are one key, and so are ``ppm``, ``mg/kg``, ``ug/g`` and
    ``g/t`` (``ppb``, ``ug/kg``, ``ng/g``: concentrations in solids); a unit this cannot
    take apart is its text, lower case and without spaces. Case is kept otherwise
    (``mW`` is not ``MW``; ``ML``, megalitres, is not ``mL``). A power of ten written as
    the unit's scale (``10^-3 SI``, ``x10^-3 SI``, ``1e-3 SI``) is the factor ``10`` with
    that power; a share of an element as one word (``%K``) is ``% K``. A unit followed
    by its own name or symbol in brackets (``m (metres)``, ``K (kelvin)``) is that unit,
    not its square; a height above a datum (``m ODN``, ``ft NAVD88``:
    :data:`HEIGHT_ABOVE_DATUM`) and a depth below a reference (``ft KB``, ``m TVDSS``,
    ``mbgl``: :data:`DEPTH_BELOW_REFERENCE`) are their length."""
    height = HEIGHT_ABOVE_DATUM.fullmatch(units.strip()) or \
        DEPTH_BELOW_REFERENCE.fullmatch(units.strip())
    if height is not None:  # ``m ODN``, ``ft NAVD88``, ``ft KB``, ``mbgl``: the length
        return unit_key(height["unit"].lower())  # ``M.A.S.L.``: metres, not mega
    glossed = _GLOSSED.fullmatch(units.strip())
    if glossed is not None:
        unit, gloss = unit_key(glossed["unit"]), unit_key(glossed["gloss"])
        if not isinstance(unit, str) and unit and unit == gloss:
            return unit
    # the degree sign's look-alikes (``˚C``, a Mac's ring above; ``ᵒC``; ``ºC``) as the
    # degree sign, as :func:`prospect.registry.units.canonical_units` reads them
    text = units.strip().translate(_DEGREE_SIGNS).replace("\u00b5", "u").replace("\u03bc", "u")
    # the ohm as Greek capital omega or the ohm sign, also as a factor (``Ω·m``, ``kΩ·m``)
    text = text.replace("\u03a9", "ohm").replace("\u2126", "ohm")
    text = text.replace("(", " ").replace(")", " ")  # W/(m K): a denominator's factors
    text = _ACRE_FOOT.sub("acft", text)  # ``acre-ft/yr``: the acre-foot, one word
    # ``per`` as a word divides, as UDUNITS-2 reads it (``megalitres per day``, ``mm per
    # year``); a unit written as one phrase with it is looked up first (``parts per
    # million``, ``counts per second``)
    if _UNIT_WORDS.get(re.sub(r"[\s_]+", "", text).lower()) is None and \
            _COMPOUND_WORDS.get(re.sub(r"[\s_]+", "", text).lower()) is None:
        text = re.sub(r"\s+per\s+", "/", text, flags=re.IGNORECASE)
    # the degree Celsius and Fahrenheit as one character (``℃``, ``℉``, as East Asian
    # grids write them), and kelvin with a degree sign (``°K``, as before 1968)
    text = text.replace("\u2103", "degC").replace("\u2109", "degF")
    text = re.sub(r"[\u00b0\u00ba]\s*K\b", "K", text)
    # the degree as a spreadsheet types it where no ``°`` is at hand: an abbreviation's
    # dot (``deg. C``, ``Deg.F``) or a small letter o (``oC``, ``o F``, ``W/m/oC``)
    text = re.sub(r"\b[Dd][Ee][Gg]\.\s*([CFcf])\b", r"deg\1", text)
    text = re.sub(r"(?<![A-Za-z])o\s?([CF])\b", r"deg\1", text)
    text = re.sub(r"[\u00b0\u00ba]\s*([CFcf])\b", r"deg\1", text).translate(_SUPERSCRIPTS)
    word = _CASED_WORDS.get(text) or _UNIT_WORDS.get(re.sub(r"[\s_]+", "", text).lower())
    if word is not None:
        return ((word, 1),) if word else ()
    compound = _COMPOUND_WORDS.get(re.sub(r"[\s_]+", "", text).lower())
    if compound is not None:
        return compound
    powers: dict[str, int] = {}
    # a power of ten written before or after the unit (a susceptibility's ``10^-3 SI``,
    # ``x10^-3 SI``, ``SI x 10-3``, ``1e-3 SI``): a factor of its own, ``10`` to the power
    head, slash, tail = text.partition("/")
    scaled = _TEN_POWER.search(head)
    if scaled is not None and _UNIT_FACTOR.search(_TEN_POWER.sub(" ", head)):
        power = scaled.group("a") or scaled.group("b") or scaled.group("c")
        powers["10"] = int(power.replace("\u2212", "-"))
        text = _TEN_POWER.sub(" ", head) + slash + tail
    numerator: list[str] = []
    for i, part in enumerate(text.split("/")):
        if i and not part.strip():  # ``mW //m2``, ``mW/``: a denominator missing
            return re.sub(r"\s+", "", units).lower()
        # a product's ``*``, ``.`` or ``·``, not a power's ``**`` (``W/m**2``)
        factors = [f for f in re.split(r"(?:\s|(?<!\*)\*(?!\*)|[\u00b7.])+", part.strip())
                   if f]
        if not i and len(factors) > 1 and factors[-1].lower() in _SYSTEM_WORDS:
            factors.pop()  # ``SI units``: the system's name, then the word
        # the species after a concentration's quotient (``mg/L Li``): the numerator's
        if not i:
            numerator = factors
        species = factors[-1] if i and _species_after(numerator, factors) else None
        for at, factor in enumerate(factors):
            m = _UNIT_FACTOR.fullmatch(factor)
            if m is None:
                return re.sub(r"\s+", "", units).lower()
            power = int(m.group(2) or 1) * (
                -1 if i and not (species and at == len(factors) - 1) else 1)
            element = _PERCENT_OF.fullmatch(m.group(1))
            if element is not None:  # a radiometric survey's ``%K``: ``% K``, one key
                name = element.group(1) or element.group(2)
                for part_symbol in ("%", name):
                    powers[part_symbol] = powers.get(part_symbol, 0) + power
                continue
            compound = _COMPOUND_WORDS.get(m.group(1).lower()) \
                if m.group(1).lower() not in _UNIT_WORDS else None
            if compound is not None:  # a one-word product as a factor: ``lps/km2``
                for part_symbol, part_power in compound:
                    powers[part_symbol] = powers.get(part_symbol, 0) + part_power * power
                continue
            symbol = (_CASED_WORDS.get(m.group(1))
                      or _UNIT_WORDS.get(m.group(1).lower())
                      or (_named_unit(m.group(1)) if len(m.group(1)) > 3 else None)
                      or m.group(1))
            if m.group(1).lower() in _UNIT_WORDS and not _UNIT_WORDS[m.group(1).lower()]:
                symbol = ""  # ``1``, ``none``: no unit
            if power < 0 and symbol.lower() in _PER_ANNUM:  # ``mm/a``: per annum
                symbol = "yr"
            if symbol:
                powers[symbol] = powers.get(symbol, 0) + power
    key = tuple(sorted((k, v) for k, v in powers.items() if v))
    return _MASS_RATIOS.get(key, key)


_PREFIXES = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "c": 1e-2, "d": 1e-1, "": 1.0,
             "k": 1e3, "M": 1e6, "G": 1e9}
"""SI prefixes a unit symbol may carry (``u`` for micro, as :func:`unit_key` spells it)."""

_BASES: dict[str, tuple[float, tuple[tuple[str, int], ...]]] = {
    "T": (1.0, (("T", 1),)), "Gal": (1e-2, (("m", 1), ("s", -2))),
    "m": (1.0, (("m", 1),)), "s": (1.0, (("s", 1),)), "g": (1e-3, (("kg", 1),)),
    "W": (1.0, (("W", 1),)), "Pa": (1.0, (("Pa", 1),)), "S": (1.0, (("S", 1),)),
    "V": (1.0, (("V", 1),)), "A": (1.0, (("A", 1),)), "Hz": (1.0, (("s", -1),)),
    "ohm": (1.0, (("ohm", 1),)), "L": (1e-3, (("m", 3),)), "K": (1.0, (("K", 1),)),
    "HFU": (4.1868e-2, (("W", 1), ("m", -2))), "gu": (1e-6, (("m", 1), ("s", -2))),
    "ft": (0.3048, (("m", 1),)), "ftUS": (1200 / 3937, (("m", 1),)),
    "mho": (1.0, (("S", 1),)), "mhos": (1.0, (("S", 1),)),
    "E": (1e-9, (("s", -2),)),
    "t": (1e3, (("kg", 1),)),
    "rad": (1.0, (("rad", 1),)), "deg": (math.pi / 180.0, (("rad", 1),)),
    "cgs": (4.0 * math.pi, (("SI", 1),)),
    "gal": (3.785411784e-3, (("m", 3),)), "in": (0.0254, (("m", 1),)),
    "mi": (1609.344, (("m", 1),)), "lb": (0.45359237, (("kg", 1),)),
    "acre": (4046.8564224, (("m", 2),)), "ha": (1e4, (("m", 2),)),
    "ton": (907.18474, (("kg", 1),)), "ozt": (31.1034768e-3, (("kg", 1),)),
    "Gy": (1.0, (("Gy", 1),)), "Sv": (1.0, (("Sv", 1),)), "Bq": (1.0, (("Bq", 1),)),
}
"""Unit symbols a prefix may scale: the factor to SI and the SI dimensions (``Gal`` is
cm/s2, a gravity survey's unit; ``ft`` the international foot and ``ftUS`` the US survey
foot, a DEM's heights in North American data; ``mho``, ohm spelt backwards, is the
siemens of older electromagnetic surveys: their conductivity grids state ``mmho/m``, one
unit with ``mS/m``; ``E``, the Eotvos, 1e-9 s-2, the unit of a gravity gradiometry
survey's tensor grids, which state it ``E``, ``Eo`` or ``Eotvos``; ``t``, the tonne, a
density's ``t/m3``, one unit with ``g/cm3``, scaled only by the prefixes of
:data:`_FEW_PREFIXES`; ``rad`` and ``deg``, a plane angle, a dimension of its own: a
slope in ``%`` is a tangent, no factor from an angle; ``cgs``, a volume magnetic
susceptibility in cgs (emu) units, 4 pi times the same in ``SI``, as older surveys' grids
state it: ``10^-6 cgs``; US customary units, each scaled only by the prefixes of
:data:`_FEW_PREFIXES`: ``gal``, the US gallon (``Mgal/d``, ``gpm``, as US water use
states its rates), ``in``, the inch (a precipitation grid's ``in/yr``), ``mi``, the
mile, ``lb``, the pound (``lb/ft3``); ``acre`` and ``ha``, areas (an acre-foot is
``acre ft``); ``ton``, the short ton, and ``ozt``, the troy ounce, a gold grade's
``opt``, troy ounces per short ton, 34.2857 ``g/t``; none of these four takes a
prefix); ``Gy``, ``Sv`` and ``Bq``, a radiometric survey's dose rate (``nGy/h``) and
an activity (``Bq/kg``, a fallout map's ``kBq/m2``), each with every prefix."""

_FEW_PREFIXES: dict[str, frozenset[str]] = {
    "t": frozenset({"", "k", "M", "G"}), "gal": frozenset({"", "k", "M"}),
    "in": frozenset({""}), "mi": frozenset({""}), "lb": frozenset({""}),
    "acre": frozenset({""}), "ha": frozenset({""}), "ton": frozenset({""}),
    "ozt": frozenset({""}),
}
"""The prefixes some units take: the tonne (``kt``, ``Mt``: ``mt`` is how US exports
write a metric ton, not a millitonne, so a small prefix leaves it a unit of its own), the
gallon (``kgal``, ``Mgal``: ``mgal`` is the milligal), and no prefix on the inch, the mile
and the pound (``min`` is the minute)."""

_RATIOS = {"%": 1e-2, "wt%": 1e-2, "ppm": 1e-6, "ppb": 1e-9, "permil": 1e-3}
"""Dimensionless ratios, as parts of one."""

_TIMES = {"min": 60.0, "h": 3600.0, "d": 86400.0, "yr": 31557600.0, "wk": 604800.0,
          "month": 31557600.0 / 12, "kyr": 31557600.0e3, "Myr": 31557600.0e6,
          "Gyr": 31557600.0e9}
"""Times other than the second, in seconds (``yr`` the Julian year, ``month`` a twelfth of
it, as monthly climate grids mean it; ``kyr``, ``Myr``, ``Gyr`` geological time's
thousand, million and billion years), taken as written: no other prefix scales them
(``md`` is a millidarcy, ``pH`` no picohour)."""

_DEGREES = {"degC": 1.0, "degF": 5.0 / 9.0}
"""Degrees of a temperature scale with an offset, as kelvins of a difference: their size
where they are a factor of a compound unit (a gradient's ``degC/km``, ``W/(m K)``)."""


def _in_si(key: tuple[tuple[str, int], ...]) -> tuple[float, tuple[tuple[str, int], ...]] | None:
    """A :func:`unit_key` as a factor to SI and SI dimensions; ``None`` for a temperature
    alone (its scales have offsets). A symbol not known here is a dimension of its own
    (``10^-3 SI`` is 0.001 ``SI``; ``SI`` is not ``uSI``, no prefix is taken off it)."""
    factor, dims = 1.0, dict[str, int]()
    for symbol, power in key:
        if symbol == "10":  # a power of ten written as the unit's scale
            factor *= 10.0 ** power
            continue
        if symbol in _RATIOS:
            factor *= _RATIOS[symbol] ** power
            continue
        if symbol in _TIMES:
            factor *= _TIMES[symbol] ** power
            dims["s"] = dims.get("s", 0) + power
            continue
        if symbol in _DEGREES and len(key) > 1:  # a temperature difference: no offset
            factor *= _DEGREES[symbol] ** power
            dims["K"] = dims.get("K", 0) + power
            continue
        for prefix, scale in sorted(_PREFIXES.items(), key=lambda kv: -len(kv[0])):
            base = symbol[len(prefix):] if symbol.startswith(prefix) else None
            if base in _BASES and (prefix or base == symbol) and (
                    prefix in _FEW_PREFIXES.get(base, _PREFIXES)):
                to_si, base_dims = _BASES[base]
                factor *= (scale * to_si) ** power
                for dim, p in base_dims:
                    dims[dim] = dims.get(dim, 0) + p * power
                break
        else:
            if symbol in _DEGREES:  # a temperature: its scales have offsets
                return None
            # a unit not known here (a susceptibility's ``SI``, ``Bq``) is a dimension
            # of its own: ``10^-3 SI`` is 0.001 ``SI``, and ``Bq/kg`` 0.001 ``Bq/g``
            dims[symbol] = dims.get(symbol, 0) + power
    return factor, tuple(sorted((k, v) for k, v in dims.items() if v))


def unit_factor(stated: str, wanted: str) -> float | None:
    """The factor that turns values in ``stated`` units into ``wanted`` units where the
    two measure one quantity in other sizes (``pT`` -> ``nT``: 0.001; ``mGal`` ->
    ``um/s2``: 10; ``ppb`` -> ``ppm``: 0.001; ``%`` -> ``ppm``: 10 000), else ``None``
    (other quantities, one unit, or a unit not known here, such as a temperature)."""
    a, b = unit_key(stated), unit_key(wanted)
    if isinstance(a, str) or isinstance(b, str) or a == b:
        return None
    sa, sb = _in_si(a), _in_si(b)
    if sa is None or sb is None or sa[1] != sb[1]:
        return None
    return float(f"{sa[0] / sb[0]:.12g}")


def glossed_sizes(units: str) -> tuple[str, str, float] | None:
    """A unit glossed in brackets with another size of the same quantity (a heat-flow
    grid's ``mW/m2 (HFU)``, 1 HFU = 41.868 mW/m2; a gravity grid's ``mGal (g.u.)``; a
    DEM's ``m (ft)``): as (the unit, the gloss, the factor from the gloss to the unit);
    ``None`` for one unit glossed with its own name (``m (metres)``, ``nT
    (nanotesla)``), a gloss that is no unit (``mGal (Bouguer)``) or no gloss. Which of
    the two the values hold such a label does not say.

    Parameters
    ----------
    units
        A band's units string.
    """
    text = units.strip()
    glossed = _GLOSSED.fullmatch(text)
    if glossed is None or HEIGHT_ABOVE_DATUM.fullmatch(text) is not None:
        return None
    unit, gloss = glossed["unit"].strip(), glossed["gloss"].strip()
    factor = unit_factor(gloss, unit)
    if factor is None or math.isclose(factor, 1.0):
        return None
    return unit, gloss, factor


_TO_KELVIN = {"K": (1.0, 0.0), "degC": (1.0, 273.15), "degF": (5.0 / 9.0, 273.15 - 160.0 / 9.0)}
"""Temperature scales as the scale and offset that turn their values into kelvins (a
temperature, not a difference: K = °C + 273.15, K = (°F - 32) x 5/9 + 273.15)."""


def unit_shift(stated: str, wanted: str) -> tuple[float, float] | None:
    """The ``(scale, offset)`` that turn temperatures in ``stated`` units into ``wanted``
    units (``K`` -> ``degC``: ``(1, -273.15)``; ``degF`` -> ``degC``: ``(0.5556,
    -17.7778)``), as a source's ``scale:`` and ``offset:`` apply them (value x scale +
    offset), where both are one of the temperature scales kelvin, degrees Celsius and
    degrees Fahrenheit in other spellings; else ``None`` (one scale, or no temperature:
    :func:`unit_factor` has no offset, so it knows no temperature alone)."""
    a, b = unit_key(stated), unit_key(wanted)
    if isinstance(a, str) or isinstance(b, str) or a == b or len(a) != 1 or len(b) != 1 or \
            a[0][1] != 1 or b[0][1] != 1:
        return None
    into, out = _TO_KELVIN.get(a[0][0]), _TO_KELVIN.get(b[0][0])
    if into is None or out is None:
        return None
    return (float(f"{into[0] / out[0]:.12g}"),
            float(f"{(into[1] - out[1]) / out[0]:.12g}"))


_CRS_UNIT_SYMBOLS = {"metre": "m", "meter": "m", "foot": "ft", "US survey foot": "ftUS",
                     "degree": "degree", "kilometre": "km"}
"""A CRS axis unit's name (pyproj's) -> the symbol a cube variable's ``units`` gives it."""


def distance_units(grid: RegionGrid) -> str:
    """The ``units`` of a distance measured on ``grid``'s coordinates: its CRS's axis unit
    (``m``; ``ftUS`` in a State Plane CRS of US survey feet; ``degree`` in a geographic
    CRS).

    A distance layer of a region in EPSG:4326 (degrees) or EPSG:2230 (US survey feet)
    was labelled ``m``: 0.03 degrees or 1002 feet read as metres, without a word.
    """
    return _CRS_UNIT_SYMBOLS.get(grid.unit, grid.unit)


def provenance_json(**items: Any) -> str:
    """A stable JSON string for a variable's ``provenance`` attribute (:func:`provenance_attr`)."""
    from prospect.provenance import provenance_attr

    return provenance_attr(redact_tree(items))


@dataclass(frozen=True, kw_only=True)
class Layer(abc.ABC):
    """One 2-D cube variable made chunk by chunk.

    Subclasses hold only small, picklable descriptions of their inputs (paths, fitted
    parameters) so a chunk can be computed on any dask worker; :meth:`compute` reads
    just what that chunk needs.
    """

    name: str
    units: str
    long_name: str
    kind: str
    inputs: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict, hash=False)

    dtype: str = "float32"
    fill_value: float = float("nan")

    #: Rough compute cost per cell relative to a resampled raster band. Ingest submits
    #: the costliest layers' chunks first, so a cluster's workers finish together
    #: (longest-task-first) instead of one of them ending on a long chunk.
    cost: ClassVar[float] = 1.0

    #: Bytes per chunk cell that computing one chunk holds at its peak (the window read,
    #: temporaries and the output), for the memory per worker that ``prospect plan``
    #: predicts; measured on a 2048 x 2048 chunk (a resampled float32 band: about 8).
    memory_per_cell: ClassVar[float] = 8.0

    def task_bytes(self, cells: int) -> int:
        """Bytes one task holds at its peak computing a chunk of ``cells`` cells: the
        working set (:attr:`memory_per_cell`) and what reading the inputs holds besides
        (:meth:`read_bytes`), for the memory per worker ``prospect plan`` predicts."""
        return int(self.memory_per_cell * cells) + self.read_bytes()

    def read_bytes(self) -> int:
        """Memory reading one chunk's inputs holds whatever the chunk's size (a source
        file's decoded block: :attr:`prospect.io.raster.RasterInfo.read_bytes`); 0 for
        inputs read cell by cell."""
        return 0

    @abc.abstractmethod
    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """The values of one chunk (shape ``window.shape``, dtype :attr:`dtype`)."""

    def compute_reported(self, grid: RegionGrid, window: ChunkWindow
                         ) -> tuple[np.ndarray, dict[str, str]]:
        """:meth:`compute`, and the inputs skipped in this chunk because they could not be
        read (name -> why; a remote composite's lost items). Most layers skip nothing."""
        return self.compute(grid, window), {}

    def extra_attrs(self) -> dict[str, Any]:
        """Attributes beyond the standard ones (e.g. a categorical code table)."""
        return {}

    def checksums(self) -> dict[str, str]:
        """Input file -> SHA-256 (of the archive a ``/vsizip/`` or ``/vsitar/`` name reads);
        a file read over a network -> the version its server states (``ETag``,
        ``Last-Modified``, size: :func:`prospect.io.remote.network_version`), so a map
        replaced on its server is another input, as a local file rewritten is."""
        from prospect.config.vsi import archive_file
        from prospect.io.remote import network_versions

        files = {p: archive_file(p) or p for p in self.inputs}
        out = {p: file_sha256(f) for p, f in files.items() if Path(f).is_file()}
        options = tuple(getattr(self, "gdal_options", None) or ())
        found = network_versions([p for p in self.inputs if p not in out], options)
        return out | {p: version for p, version in found.items() if version}

    def provenance(self) -> dict[str, Any]:
        """Source files with checksums and the settings used (resampling, method...)."""
        return {"sources": self.checksums(), **self.settings}

    def attrs(self) -> dict[str, Any]:
        """Every attribute the cube variable gets."""
        return {
            "units": self.units,
            "long_name": self.long_name,
            "prospect_kind": self.kind,
            "provenance": provenance_json(**self.provenance()),
            **self.extra_attrs(),
        }

    def fingerprint(self, grid: RegionGrid) -> str:
        """Hash of everything that determines the layer's values on ``grid``."""
        text = json.dumps(
            {"layer": type(self).__name__, "name": self.name, "dtype": self.dtype,
             "grid": grid.describe() | {"name": ""}, "attrs": self.attrs()},
            sort_keys=True, default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()
