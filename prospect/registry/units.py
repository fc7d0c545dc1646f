"""Units strings as UDUNITS-2 and the CF conventions spell them, in one canonical form.

Two spellings of one unit (``mW/m2``, ``mW m-2``, ``mW/m^2``, ``mW·m⁻²``; ``mg/L``,
``mg l-1``, ``mg L^-1``) name the same quantity on the same scale, and a model trained
on one takes a cube holding the other. This module reads a units string as UDUNITS-2's
grammar writes a product of powers (terms joined by spaces, ``.``, ``*`` or ``·``;
``/`` or ``per`` divides by the next term or a parenthesised group; exponents as ``2``,
``^2``, ``**2``, ``-1``, ``^-1`` or superscripts, also after a parenthesised group:
``(mg/L)2``; ``µ``/``μ``/``u`` for micro) and gives
each a canonical form: a numeric factor and the symbols with their summed powers, in
order. Spelling aliases of one symbol (``l``/``L``/``litre``, ``%``/``percent``,
``°C``/``degC``/``degree_Celsius``) are one symbol.

Nothing is converted: ``mW m-2`` and ``W m-2`` (a factor of 1000), ``mg/L`` and ``ppm``
(a mass concentration and a mass fraction, which differ by the density of the water,
1.0-1.3 kg/L for brines), ``K`` and ``degC`` stay different, as do prefixes (``km`` is
not ``1000 m`` here). Units that differ in fact are refused by the schema check; only
spellings of one unit are taken as one. A string this grammar does not read is compared
as it is written.
"""

from __future__ import annotations

import math
import re

__all__ = ["Canonical", "canonical_units", "same_units", "units_hint"]

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_MICRO = ("\u00b5", "\u03bc")
_ALIASES: dict[str, str] = {
    "l": "L", "litre": "L", "liter": "L", "litres": "L", "liters": "L", "ltr": "L",
    "%": "percent", "pct": "percent",
    "°C": "degC", "℃": "degC", "deg_C": "degC", "degree_C": "degC", "degree_Celsius": "degC",
    "degrees_Celsius": "degC", "celsius": "degC", "Celsius": "degC", "°F": "degF",
    "degree_Kelvin": "K", "kelvin": "K", "Kelvin": "K",
    "metre": "m", "meter": "m", "metres": "m", "meters": "m",
    "second": "s", "seconds": "s", "sec": "s",
    "gram": "g", "grams": "g", "gramme": "g",
    "watt": "W", "watts": "W", "Watt": "W",
    "degree": "degree", "degrees": "degree", "deg": "degree", "°": "degree",
    "degrees_north": "degrees_north", "degrees_east": "degrees_east",
    "ohm": "ohm", "ohms": "ohm", "Ohm": "ohm", "Ohms": "ohm", "\u03a9": "ohm", "\u2126": "ohm",
    "tesla": "T", "nanotesla": "nT", "nanoteslas": "nT",
    "mgal": "mGal", "milligal": "mGal", "milligals": "mGal",
    "feet": "ft", "foot": "ft",
    **dict.fromkeys(("milligram", "milligrams", "milligramme", "milligrammes"), "mg"),
    **dict.fromkeys(("microgram", "micrograms", "microgramme", "microgrammes", "mcg"), "µg"),
    **dict.fromkeys(("nanogram", "nanograms"), "ng"),
    **dict.fromkeys(("kilogram", "kilograms", "kilogramme", "kilogrammes", "Kg"), "kg"),
    **dict.fromkeys(("millilitre", "milliliter", "millilitres", "milliliters"), "mL"),
    **dict.fromkeys(("mole", "moles"), "mol"),
    **dict.fromkeys(("millimole", "millimoles"), "mmol"),
    **dict.fromkeys(("micromole", "micromoles"), "µmol"),
    **dict.fromkeys(("milliequivalent", "milliequivalents", "mEq"), "meq"),
    # words and capitals of survey and logging exports, each one unit's only
    **dict.fromkeys(("gAPI", "GAPI", "api"), "API"),
    **dict.fromkeys(("hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("msec", "millisecond", "milliseconds"), "ms"),
    **dict.fromkeys(("radian", "radians"), "rad"),
    "siemens": "S", "Feet": "ft", "FEET": "ft", "Foot": "ft", "FOOT": "ft",
    "PPM": "ppm", "PPB": "ppb", "wt%": "percent", "Wt%": "percent", "WT%": "percent",
}
"""Spellings of one symbol (UDUNITS-2 names and plurals, the CF degree forms; the words
of a mass or an amount, ``milligrams per litre`` and ``micrograms per liter``, as USGS
water-quality exports write them; ``Kg`` and ``mEq`` as spreadsheets capitalise them, and
``mcg`` and ``ltr`` as US and Indian laboratories abbreviate micrograms and litres, no
other unit being spelt so). A name of five letters or more is read in any case
(``Milligrams per Liter``); a symbol's case is kept (``Mg`` is megagrams)."""
_SPELLINGS: dict[str, str] = {
    **dict.fromkeys(("ohm-m", "ohmm", "ohm-metre", "ohm-meter", "ohm-metres", "ohm-meters",
                     "ωm", "ω-m", "ω.m"), "ohm m"),
    **dict.fromkeys(("deg c", "degrees c", "degree c", "° c", "degrees celsius",
                     "degree celsius", "deg celsius", "degrees centigrade",
                     "degree centigrade", "centigrade", "deg. c", "deg.c"), "degC"),
    **dict.fromkeys(("degrees kelvin", "degree kelvin", "deg k"), "K"),
    **dict.fromkeys(("degrees fahrenheit", "degree fahrenheit", "deg f", "deg. f", "deg.f"),
                    "degF"),
    # thermal conductivity as logging and laboratory tables write it (W/m.K is read
    # W/(m K), as ingest reads it, not UDUNITS-2's (W/m) K, which measures nothing)
    **dict.fromkeys(("w/mk", "w/m.k", "w/m·k", "w/m k", "w/m-k", "w/m*k", "w m-1 k-1",
                     "w/m/k", "w/(m.k)", "w/(m k)", "w/(m·k)", "w/(m*k)"), "W m-1 K-1"),
    # the gravity unit (1 g.u. = 1 µm/s², 0.1 mGal) of older gravity surveys
    **dict.fromkeys(("g.u.", "gu", "g.u", "gravity unit", "gravity units"), "um s-2"),
    **dict.fromkeys(("wt.%", "wt %", "wt. %", "weight %", "weight percent", "mass %",
                     "mass percent", "% wt", "%wt"), "percent"),
    **dict.fromkeys(("nanotesla", "nanoteslas", "nano tesla", "gamma", "gammas", "\u03b3"),
                    "nT"),
    "parts per million": "ppm", "parts per billion": "ppb", "dimensionless": "1",
    # a share in a thousand or a hundred in words, as ingest's unit_key reads them (``per
    # mil`` was the reciprocal of ``mil``, a thousandth of an inch; ``per cent`` of ``cent``)
    **dict.fromkeys(("per mil", "per mill", "per mille", "permille", "permill", "\u2030",
                     "per thousand", "parts per thousand"), "permil"),
    **dict.fromkeys(("per cent", "pct"), "percent"),
    # density as logging and core tables write it (the cubic centimetre as "cc")
    **dict.fromkeys(("g/cc", "gm/cc", "g cc-1", "g/ccm"), "g/cm3"),
    # heights above a datum: metres (the datum is a CRS's, not a unit's)
    **dict.fromkeys(("m a.s.l.", "m asl", "masl", "m a.s.l", "m amsl", "m above sea level",
                     "metres above sea level", "meters above sea level", "m nap",
                     "m +nap", "m msl", "m.a.s.l.", "m.a.s.l", "m.a.m.s.l.", "m ahd",
                     "m above msl", "m above mean sea level", "metres amsl",
                     "meters amsl", "m above datum", "m a.m.s.l.", "mamsl", "m ellipsoidal",
                     "m above ellipsoid"), "m"),
}
"""Whole units strings, spaces collapsed and case folded, that geophysical and
geochemical tables write for a unit the grammar reads otherwise: resistivity as
``ohm-m`` or ``Ωm`` (``ohm m``), ``deg C``, ``nanoTesla``, ``parts per million``
(``mgal`` for ``mGal`` is a symbol's spelling, :data:`_ALIASES`: ``MGal`` stays apart).
A model trained on ``ohm m`` refused a cube in ``ohm-m`` as of other units."""
_PREFIXED_LITRE = re.compile(r"^([munpcdkµ])l$")
_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<div>/|\bper\b|\bPER\b)|(?P<mul>[*.·\u22c5])"
    r"|(?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)"
    r"|(?P<sym>[A-Za-zµμ°%℃_\u03a9\u2126]+[A-Za-z_]*)"
    r"(?P<exp>(?:\^|\*\*)?[-+]?[0-9]+)?)")
_EXPONENT = re.compile(r"\s*(?:\^|\*\*)\s*([-+]?[0-9]+)|([-+]?[0-9]+)")
"""A parenthesised group's exponent: ``^2``, ``**2``, or (UDUNITS-2's ``basic_exp INT``)
digits right after the ``)``: ``(mg/L)2``."""

Canonical = tuple[float, tuple[tuple[str, int], ...]]
_HIGHEST_POWER = 12
_LONGEST = 200
"""Longer units strings are not read (compared as written)."""


def _symbol(text: str) -> str:
    # the ohm as Greek capital omega or the ohm sign, also after a prefix (``kΩ``)
    text = text.replace("\u03a9", "ohm").replace("\u2126", "ohm")
    for mu in _MICRO:
        text = text.replace(mu, "u")
    if text.startswith("u") and len(text) > 1 and text not in _ALIASES:
        text = "µ" + text[1:]  # u as micro only before a symbol (uL, ug); 'u' alone is u
    text = _ALIASES.get(text, _ALIASES.get(text.lower(), text) if len(text) >= 5 else text)
    m = _PREFIXED_LITRE.match(text)
    return f"{m.group(1)}L" if m else text


class _Unreadable(ValueError):
    """A units string outside the grammar."""


def _parse(text: str) -> tuple[float, dict[str, int]]:
    tokens = _tokens(text)
    factor, powers, pos = _product(tokens, 0)
    if pos != len(tokens):
        raise _Unreadable(text)
    return factor, powers


def _tokens(text: str) -> list[tuple[str, str]]:
    text = text.translate(_SUPERSCRIPTS).strip()
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _Unreadable(text)
        kind = m.lastgroup  # "exp" only follows a "sym", which comes first here
        if m.group("sym") is not None:
            out.append(("sym", m.group("sym") + (m.group("exp") or "")))
        elif kind is not None:
            out.append((kind, m.group(kind)))
        pos = m.end()
        if out and out[-1][0] == "close":
            e = _EXPONENT.match(text, pos)
            if e:
                out.append(("gexp", e.group(1) or e.group(2)))
                pos = e.end()
    return out


def _term(tokens: list[tuple[str, str]], pos: int) -> tuple[float, dict[str, int], int]:
    kind, value = tokens[pos]
    if kind == "open":
        factor, powers, pos = _product(tokens, pos + 1)
        if pos >= len(tokens) or tokens[pos][0] != "close":
            raise _Unreadable(value)
        pos += 1
        if pos < len(tokens) and tokens[pos][0] == "gexp":
            n = int(tokens[pos][1])
            if abs(n) > _HIGHEST_POWER:
                raise _Unreadable(tokens[pos][1])
            factor, powers = factor ** n, {k: v * n for k, v in powers.items()}
            pos += 1
        return factor, powers, pos
    if kind == "num":
        return float(value), {}, pos + 1
    if kind == "sym":
        m = re.fullmatch(r"(.*?[^0-9^*+-])(?:\^|\*\*)?([-+]?[0-9]+)?", value)
        if not m:
            raise _Unreadable(value)
        name, power = m.group(1), int(m.group(2)) if m.group(2) else 1
        if abs(power) > _HIGHEST_POWER:
            raise _Unreadable(value)
        return 1.0, {_symbol(name): power}, pos + 1
    raise _Unreadable(value)


def _product(tokens: list[tuple[str, str]], pos: int) -> tuple[float, dict[str, int], int]:
    factor, powers = 1.0, dict[str, int]()
    divide = False
    first = True
    while pos < len(tokens) and tokens[pos][0] != "close":
        kind = tokens[pos][0]
        if kind == "div":
            if divide:
                raise _Unreadable("//")
            divide, pos = True, pos + 1
            continue
        if kind == "mul":
            if first or divide:
                raise _Unreadable("*")
            pos += 1
            continue
        f, p, pos = _term(tokens, pos)
        sign = -1 if divide else 1
        factor *= f ** sign
        for k, v in p.items():
            powers[k] = powers.get(k, 0) + sign * v
        divide, first = False, False
    if divide:
        raise _Unreadable("/")
    return factor, powers, pos


_DEGREE_SIGNS = str.maketrans({"\u00ba": "\u00b0", "\u02da": "\u00b0", "\u1d52": "\u00b0"})
"""Characters written for the degree sign where none is at hand: the masculine ordinal
``º`` (a Spanish or Portuguese keyboard's), the ring above ``˚`` (a Mac's option-k) and
the modifier letter ``ᵒ``. ``˚C`` was unreadable, so a band stating it beside a config's
``°C`` was warned of as other units, and a cube of it refused by a model of ``°C``."""


def canonical_units(units: object) -> Canonical | None:
    """The canonical form of a units string; ``None`` when the grammar does not read it.

    Parameters
    ----------
    units
        A variable's ``units`` attribute (``mW m-2``, ``mg/L``, ``1``, ``%``, ...).

    Returns
    -------
    tuple or None
        ``(factor, ((symbol, power), ...))`` with the symbols sorted and powers of 0
        dropped; ``None`` for an empty string or one outside UDUNITS-2's product grammar.
    """
    text = str(units).strip().translate(_DEGREE_SIGNS)
    if not text or len(text) > _LONGEST:
        return None
    text = _SPELLINGS.get(" ".join(text.split()).casefold(), text)
    from prospect.ingest.layers import DEPTH_BELOW_REFERENCE, HEIGHT_ABOVE_DATUM

    # a height above a named datum (``m ODN``, ``ft NAVD88``) or a depth below its reference
    # (``ft KB``, ``m TVDSS``, ``mbgl``: a well log's, as ingest's ``unit_key`` reads them):
    # the length alone (``ft KB`` was ``KB`` times ``ft``, ``mbgl`` a unit of its own)
    height = HEIGHT_ABOVE_DATUM.fullmatch(text) or DEPTH_BELOW_REFERENCE.fullmatch(text)
    if height is not None:
        unit = height["unit"].lower()  # ``M.A.S.L.``: metres, not mega
        text = "ftUS" if unit == "ftus" else unit
    try:
        factor, powers = _parse(text)
    except (ValueError, ArithmeticError, RecursionError):  # _Unreadable is a ValueError
        return None
    if not math.isfinite(factor) or factor == 0:
        return None
    return float(f"{factor:.12g}"), tuple(sorted((k, v) for k, v in powers.items() if v))


_EXPORT_CASES: dict[str, str] = {"NT": "nT", "MGAL": "mGal", "MGALS": "mGal",
                                 "UGAL": "µGal", "FT": "ft", "Ft": "ft",
                                 "oC": "degC", "o C": "degC", "oF": "degF", "o F": "degF"}
"""Whole units strings in capitals as survey exports write them (Geosoft grids' ``NT``
and ``MGAL``, a DEM's ``FT``; a spreadsheet's ``oC``, the degree as a small letter
o), which no other unit is spelt as; ingest reads them as
their unit (:func:`prospect.ingest.layers.unit_key`) and records them as written."""

_EXPORT_WORDS: dict[str, str] = {
    **dict.fromkeys(("us survey foot", "us survey feet", "us_survey_foot", "survey foot",
                     "survey feet", "ftus", "us ft", "us_ft", "us-ft", "usft"), "ftUS"),
    **dict.fromkeys(("hfu", "heat flow unit", "heat flow units"), "HFU"),
    **dict.fromkeys(("cps", "c/s", "counts per second", "count per second", "counts/s",
                     "count/s", "cts/s", "cnt/s", "cnts/s"), "counts/s"),
    **dict.fromkeys(("cpm", "c/min", "counts per minute", "count per minute", "counts/min",
                     "count/min", "cts/min", "cnt/min", "cnts/min"), "counts/min"),
}
"""Whole units strings, spaces collapsed and case folded, that ingest takes for one unit
(:func:`prospect.ingest.layers.unit_key`: the US survey foot of a North American DEM, the
heat-flow unit of older surveys, a radiometric survey's counts per second, and per
minute: ``cpm``)."""


def _as_exported(text: str) -> str:
    """``text`` in the spelling :func:`canonical_units` reads where it is one of
    :data:`_EXPORT_CASES` or :data:`_EXPORT_WORDS`, else as it is."""
    text = text.strip()
    return _EXPORT_CASES.get(text) or _EXPORT_WORDS.get(" ".join(text.split()).casefold(),
                                                        text)


_ONE_UNIT: tuple[tuple[str, ...], ...] = (
    ("ppm", "mg/kg", "ug/g", "g/t"),
    ("ppb", "ug/kg", "ng/g", "mg/t"),
    ("mg/L", "g/m3", "mg/dm3", "ug/mL"),
    ("ug/L", "mg/m3", "ug/dm3", "ng/mL"),
)
"""Units of one quantity on one scale that no prefix rule makes one: mass fractions
(``ppm`` is ``mg/kg``, ``ug/g`` and ``g/t``) and amounts per volume (``mg/L`` is
``g/m3``), as :data:`prospect.screening.CONCENTRATION_UNITS` converts them. A model
trained on a cube in ``ppm`` refused one in ``mg/kg`` as of other units."""


def _one_unit(c: Canonical | None) -> int | None:
    """The :data:`_ONE_UNIT` group ``c`` spells, if any."""
    if c is None:
        return None
    for i, group in enumerate(_ONE_UNIT):
        if c in {canonical_units(u) for u in group}:
            return i
    return None


def same_units(a: object, b: object) -> bool:
    """Whether two units strings spell the same unit (no conversion: scale counts).

    Parameters
    ----------
    a, b
        Units strings. Equal text is always the same; otherwise both must read as
        UDUNITS-2 products with the same canonical form (:func:`canonical_units`), or
        as spellings of one concentration on one scale (:data:`_ONE_UNIT`: ``ppm`` and
        ``mg/kg``).
    """
    sa, sb = str(a).strip(), str(b).strip()
    if sa == sb:
        return True
    # a survey export's spelling (``NT``, ``FT``, ``US survey foot``, ``cps``) is the unit
    # ingest took it for: a model trained on a cube of ``nT`` refused one of ``NT``
    ca, cb = canonical_units(_as_exported(sa)), canonical_units(_as_exported(sb))
    if ca is not None and cb is not None and (
            _as_difference(ca) == _as_difference(cb)
            or (_one_unit(ca) is not None and _one_unit(ca) == _one_unit(cb))):
        return True
    # the units ingest took for one (its unit_key and unit_factor: a sheet's or a file's
    # units beside the config's) are one here: a cube the ingest made of a file stating
    # ``K/km`` under ``units: degC/km`` was refused by the model trained on the other
    from prospect.ingest.layers import unit_factor, unit_key

    if not sa or not sb:
        return False  # no units is not ``1``
    ka, kb = unit_key(sa), unit_key(sb)
    if sa.casefold() == sb.casefold():
        # spellings that differ only in case are one unit where ingest reads them as one
        # and no symbol's first letter (a prefix: ``MGal``, ``mGal``) is in another case:
        # a model trained on ``ML/d`` refused a cube in ``Ml/d``, both megalitres a day
        return bool(ka) and not isinstance(ka, str) and ka == kb and \
            not _prefix_case_differs(sa, sb)
    return (bool(ka) and not isinstance(ka, str) and ka == kb) or \
        unit_factor(sa, sb) == 1.0


_SYMBOL = re.compile(r"[^\s/.*·()0-9^+-]+")
_SI_PREFIXES = frozenset("yzafpnuµmcdhkMGTPEZY")


def _prefix_case_differs(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` (equal but for case) differ in the case of a letter that
    may be a prefix: a symbol's first letter, an SI prefix in either case, before a unit a
    prefix scales or alone (``MGal`` and ``mGal``, ``M`` and ``m``; not ``ML`` and ``Ml``,
    ``PERCENT`` and ``percent``, ``DegC`` and ``degC``)."""
    from prospect.ingest.layers import _BASES

    bases = {base.casefold() for base in _BASES}
    for m in _SYMBOL.finditer(a):
        first, rest = a[m.start()], m.group()[1:]
        if first != b[m.start()] and (
                first.lower() in _SI_PREFIXES or first.upper() in _SI_PREFIXES) and (
                not rest or rest.casefold() in bases):
            return True
    return False


def _as_difference(c: Canonical) -> Canonical:
    """``c`` with ``degC`` as ``K`` where it is a factor of a compound unit (a gradient's
    ``degC/km``, a conductivity's ``W m-1 degC-1``): a temperature difference, one kelvin
    in size, with no offset. A temperature alone keeps its scale (``degC`` is not ``K``)."""
    if len(c[1]) < 2 or "degC" not in dict(c[1]):
        return c
    powers: dict[str, int] = {}
    for sym, power in c[1]:
        key = "K" if sym == "degC" else sym
        powers[key] = powers.get(key, 0) + power
    return c[0], tuple(sorted((k, v) for k, v in powers.items() if v))


_PAIR_HINTS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"mass concentration", "mass fraction"}),
     "a mass concentration (per litre) and a mass fraction (ppm, per kg) differ by the "
     "water's density (1.0-1.3 kg/L for brines): convert the layer with the density and "
     "ingest again"),
)


_TEMPERATURES = frozenset(((("K", 1),), (("degC", 1),), (("degF", 1),)))
"""The temperature scales as :func:`canonical_units` writes them: one another's numbers
only with an offset, which no factor gives (a layer in K scored by a model of °C)."""


def _quantity(c: Canonical | None) -> str | None:
    if c is None:
        return None
    symbols = dict(c[1])
    if symbols.get("L") == -1 or symbols.get("mL") == -1 or symbols.get("m") == -3:
        return "mass concentration"
    if set(symbols) in ({"ppm"}, {"ppb"}) or (symbols.get("kg") == -1 and len(symbols) == 2):
        return "mass fraction"
    return None


_PREFIXES: dict[str, float] = {
    "Y": 1e24, "Z": 1e21, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3,
    "h": 1e2, "da": 1e1, "d": 1e-1, "c": 1e-2, "m": 1e-3, "µ": 1e-6, "n": 1e-9, "p": 1e-12,
    "f": 1e-15, "a": 1e-18,
}
_SI_BASES = frozenset({"m", "g", "L", "W", "T", "s", "Pa", "V", "A", "J", "Hz", "S", "mol",
                       "Bq", "Gy", "Sv", "ohm", "N"})


def _base(sym: str) -> tuple[str, float]:
    """``sym`` with its SI prefix taken off, and the prefix's factor (``km`` -> m, 1000)."""
    if sym not in _SI_BASES:
        for prefix, factor in _PREFIXES.items():
            if sym.startswith(prefix) and sym[len(prefix):] in _SI_BASES:
                return sym[len(prefix):], factor
    return sym, 1.0


_IN_SI: dict[str, tuple[float, tuple[tuple[str, int], ...]]] = {
    "Gal": (1e-2, (("m", 1), ("s", -2))), "mGal": (1e-5, (("m", 1), ("s", -2))),
    "µGal": (1e-8, (("m", 1), ("s", -2))), "gamma": (1e-9, (("T", 1),)),
    "percent": (1e-2, ()), "ppm": (1e-6, ()), "ppb": (1e-9, ()),
}
"""Symbols outside SI as a factor of SI base symbols, for a hint's factor only: gravity in
gal (1 mGal = 10 µm/s², the gravity unit g.u.), magnetics in gamma (1 nT), shares in
percent, ppm and ppb of one (``1`` against ``%``, a factor of 100)."""


def _prefixed(c: Canonical) -> tuple[float, tuple[tuple[str, int], ...]]:
    """``c`` with SI prefixes taken off its symbols and the symbols of :data:`_IN_SI` in
    SI: (scale, base symbols), for a hint."""
    scale, out = c[0], dict[str, int]()
    for sym, power in c[1]:
        if sym in _IN_SI:
            f, bases = _IN_SI[sym]
            scale *= f ** power
            for base, p in bases:
                out[base] = out.get(base, 0) + p * power
            continue
        base, f = _base(sym)
        scale *= f ** power
        out[base] = out.get(base, 0) + power
    return scale, tuple(sorted((k, v) for k, v in out.items() if v))


_OTHER_SYMBOLS = frozenset({*_ALIASES.values(), "ppm", "ppb", "ppt", "percent", "degF",
                            "mGal", "Gal", "nT", "ft", "in", "t", "1", "API", "meq", "gamma",
                            "\u00b5Gal", "yr", "year", "cps"})
"""Symbols other than :data:`_SI_BASES` (prefixed or not) that a table's unit names: also
microgravity's ``µGal``, an InSAR or uplift rate's year (``mm/yr``) and a radiometric
count rate's ``cps``, which were no unit to :func:`reads_as_unit` (a band described
``Gravity µGal`` or ``LOS velocity mm/yr`` said nothing of its unit)."""


def reads_as_unit(text: object) -> bool:
    """Whether ``text`` names a unit: the grammar reads it and each of its symbols is a
    known one (an SI base, prefixed or not, or :data:`_OTHER_SYMBOLS`). The grammar alone
    reads any word as a symbol of its own: a geological unit's code (``Qal``, ``Tv``) in
    a table's ``Unit`` column was taken for a unit of measure.

    Parameters
    ----------
    text
        A cell of a units column, a header's unit.
    """
    c = canonical_units(text)
    if c is None:
        return False
    return all(sym in _OTHER_SYMBOLS or _base(sym)[0] in _SI_BASES for sym, _ in c[1])


def units_hint(have: object, want: object) -> str:
    """Why two units strings that are not :func:`same_units` differ, when it is known.

    Returns an empty string when there is nothing more to say than that they differ.
    """
    ca, cb = canonical_units(have), canonical_units(want)
    if ca is not None and cb is not None and {ca[1], cb[1]} <= _TEMPERATURES:
        return ("one temperature on scales with an offset (K = °C + 273.15, °F = °C x 9/5 "
                "+ 32): the cube's values are not the model's numbers; convert the layer "
                "(its source's scale and offset) and ingest again, nothing is converted "
                "here")
    kinds = {_quantity(ca), _quantity(cb)}
    for pair, words in _PAIR_HINTS:
        if kinds == pair:
            return words
    factor: float | None = None
    if ca is not None and cb is not None:
        (fa, sa), (fb, sb) = _prefixed(ca), _prefixed(cb)
        if sa == sb and not math.isclose(fa, fb, rel_tol=1e-9):
            factor = fa / fb
    if factor is None:
        # the units ingest converts (its unit_factor: ``lps`` and ``m3/s``, ``rad`` and
        # ``degrees``, ``microsiemens/cm`` and ``mS/m``), as its warnings give the factor
        from prospect.ingest.layers import unit_factor

        found = unit_factor(str(have), str(want)) if str(have).strip() and \
            str(want).strip() else None
        if found is not None and not math.isclose(found, 1.0, rel_tol=1e-9):
            factor = found
    if factor is not None:
        return (f"one quantity scaled by a factor of {factor:g}: the cube's values "
                "are not the model's numbers; convert the layer (or its source's "
                "scale) and ingest again, nothing is converted here")
    return ""
