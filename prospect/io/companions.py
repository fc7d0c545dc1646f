"""Columns beside a value column that say how to read it.

Laboratory and survey exports do not always write a value below the detection limit as
``<0.5`` in the value column itself (:mod:`prospect.io.points` reads that as missing).
They write a number there and say what it is in a column beside it:

* a **qualifier** (flag) column: GTK's ``Zr_511P_T`` (``<``: below detection, the value
  written as 0) beside ``Zr_ppm_511``; USGS NURE/NGDB's ``Li_ppm_Q`` or ``Li_qual``
  (``<``, ``L``, ``N``, ``ND``, ``BDL``; ``>``/``G`` above the upper limit). The column
  is found by its name (the value column's name, or its first word, the element, then
  a qualifier word: ``Q``, ``qual``, ``flag``, ``T``, ``rmk``...) and its cells (short
  codes, not numbers), or named in the source's ``flags:``;
* a **detection-limit** column (``Li_DL``, ``Li_ppm_LOD``): a value under its row's limit
  is below detection;
* a **negative value in a concentration column** (``Li_ppm``, ``Li (mg/L)``: the header
  names a concentration unit): USGS exports write "below 0.5" as -0.5;
* a **unit** column (``unit``, ``Li_unit``) whose rows name different units (mg/L and
  µg/L): the values cannot be mixed, and are refused;
* an **analyte** column (``element``, ``analyte``, ``parameter``...) naming several
  analytes: a lab's long ("tidy") table, one row per sample and analyte, given where a
  wide one is expected; refused, naming the pivot.

A value below (or above) a limit gets the policy of ``<0.5``: it is missing, and a data
warning gives the count, the first lines and the fix. A flag that is neither (GTK's
``!``, "estimated") keeps the value, and the warning says so; but a concentration of 0
beside such a flag is missing (GTK's till data write 0 beside ``!`` as beside ``<``
where they give no number: Zr on 16 samples, Th on 7), named apart in the warning.

Qualifier codes stored as numbers (a database's remark code: 1 or -1 for "below the
limit", 0 for none) are never guessed: a number means different things in different
databases. They are read only where the source's ``flags`` names the column with its codes
(:class:`Qualifier`: ``below``, ``above``); a qualifier column ``flags`` names without codes
that holds numbers only is refused, naming the fix.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from prospect.errors import DataError, DataWarning

__all__ = ["Limited", "Qualifier", "below_limits", "companion_names", "concentration_unit",
           "is_concentration", "limited_values", "qualifier_column", "refuse_mixed_rows",
           "related_columns", "row_units", "stated_concentration"]

_SPLIT = re.compile(r"[\s_.\-()\[\]/,:;]+")
QUALIFIER_WORDS = frozenset({"q", "qual", "qualifier", "qualif", "flag", "flg", "f", "t",
                             "rmk", "remark", "remarks", "sign", "lt"})
"""Last words of a qualifier column's name (``Li_ppm_Q``, ``Li_qual``, ``Zr_511P_T``)."""
LIMIT_WORDS = frozenset({"dl", "lod", "mdl", "lld", "detlim", "rl", "lor"})
"""Last words of a detection-limit column's name (``Li_DL``, ``Li_ppm_LOD``)."""
UNIT_WORDS = frozenset({"unit", "units", "uom", "eenheid", "einheit", "unité", "unite",
                        "unidad", "unidade"})
"""A unit column's last word (``Li_unit``, ``UOM``), in the partners' languages too
(Dutch ``eenheid``, German ``Einheit``, French ``unité``, Spanish ``unidad``, Portuguese
``unidade``): a Dutch table's ``eenheid`` of ``mg/L`` and ``mg/kg`` row by row was not
read, one surface mixing them without a word (round 50)."""
ANALYTE_NAMES = frozenset({"element", "analyte", "parameter", "param", "determinand",
                           "constituent", "characteristic", "characteristicname",
                           "analyte_name", "element_name", "parameter_name", "species"})
"""Column names of the analyte in a long (tidy) lab table."""

BELOW = frozenset({"<", "<=", "≤", "l", "lt", "n", "nd", "n.d.", "bdl", "b.d.l.", "bld",
                   "u", "<dl", "<lod", "<mdl", "<lld", "<rl", "belowdetection",
                   "notdetected", "belowdl", "<d.l.", "dl", "d.l.", "ldl", "l.d.l.", "lld",
                   "mdl", "idl", "lod", "loq", "lor", "pql", "bql", "blq", "bloq"})
"""Qualifiers of a value below the detection limit (USGS NGDB: ``N`` not detected, ``L``
below the limit of determination; EPA: ``U``), and the names of the limit a laboratory
writes in the qualifier column of a value below it (``DL``, ``LDL``, ``LLD``, ``MDL``,
``LOD``, ``LOQ``, ``LOR``, ``PQL``; ``BQL``: below the limit of quantitation): each was
"other flags, which are no detection limit: read as measured", the limit in the value
column taken for a measured grade."""
ABOVE = frozenset({">", ">=", "≥", "g", "gt", ">ul", "abovelimit", "aboveupperlimit"})
"""Qualifiers of a value above the upper limit of determination (USGS NGDB: ``G``)."""

CONCENTRATION_UNITS = frozenset({"ppm", "ppb", "ppt", "pct", "percent", "%", "wt%",
                                 "wtpct", "mg/l", "µg/l", "μg/l", "ug/l", "ng/l", "g/l",
                                 "mg/kg", "µg/kg", "μg/kg", "ug/kg", "g/t", "mgl", "ugl",
                                 "mg/kg-1", "mgkg", "mg l-1", "µg l-1", "mg kg-1"})
"""Units a header can name for a concentration, which is never negative."""

Listed = Callable[[np.ndarray], str]
"""How a caller names rows (``'lines 3, 7'``) from their positions in the kept rows."""


def _words(name: str) -> list[str]:
    return [w for w in _SPLIT.split(name.casefold()) if w]


def companion_names(column: str, names: list[str]) -> tuple[list[str], list[str]]:
    """The columns among ``names`` whose names make them ``column``'s qualifier or
    detection-limit columns: ``(qualifiers, limits)``.

    A companion's name is ``column``'s own, or its first word (the element: ``Zr`` of
    ``Zr_ppm_511``), followed by a qualifier or limit word as its last (``Zr_511P_T``,
    ``Li_ppm_Q``, ``Li_qual``, ``Li_DL``). By the first word alone only while no other
    column starts with it (``Li_ppm_icp`` and ``Li_ppm_aas`` share ``Li_Q``: neither).
    """
    own = column.casefold()
    first = (_words(column) or [""])[0]
    words = {name: _words(name) for name in names if name != column}
    sharing = [n for n, w in words.items() if w and w[0] == first
               and w[-1] not in QUALIFIER_WORDS | LIMIT_WORDS | UNIT_WORDS]
    qualifiers: list[str] = []
    limits: list[str] = []
    for name, w in words.items():
        if len(w) < 2:
            continue
        kind = qualifiers if w[-1] in QUALIFIER_WORDS else limits if w[-1] in LIMIT_WORDS \
            else None
        if kind is None:
            continue
        rest = name.casefold()[len(own):]
        by_name = name.casefold().startswith(own) and bool(rest) and \
            _SPLIT.match(rest) is not None
        if by_name or (first and w[0] == first and not sharing):
            kind.append(name)
    return qualifiers, limits


def _code(cell: object) -> str:
    """A qualifier cell, lower case without spaces (``""`` where empty); a number as its
    float's text (``1``, ``1.0`` and ``"1"`` are one code: ``1.0``)."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    text = re.sub(r"\s+", "", str(cell)).casefold()
    if text in {"nan", "none", "<null>", "null"}:
        return ""
    if _NUMBER.fullmatch(text):
        return repr(float(text.replace(",", ".")))
    return text


_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:e[-+]?\d+)?")


@dataclass(frozen=True)
class Qualifier:
    """A qualifier column named in a source's ``flags``, with the codes that mean a value
    below (``below``) or above (``above``) the limit of determination.

    Without codes, the column's text codes are read (``<``, ``ND``, ``>``...); with them,
    a cell equal to one of them (as a number where both are numbers: ``1`` is ``1.0``) is
    below or above, and any other number is no flag (read as measured without a word).
    """

    column: str
    below: tuple[str, ...] = ()
    above: tuple[str, ...] = ()

    @classmethod
    def of(cls, column: str, below: Iterable[object] = (),
           above: Iterable[object] = ()) -> Qualifier:
        """A qualifier with its codes as :func:`_code` writes cells."""
        return cls(column, tuple(_code(c) for c in below), tuple(_code(c) for c in above))

    @property
    def coded(self) -> bool:
        """Whether the config gives the codes."""
        return bool(self.below or self.above)


def qualifier_column(flag: str | Qualifier | None) -> str | None:
    """The column of a ``flags`` entry (a column name, or a :class:`Qualifier`)."""
    return flag.column if isinstance(flag, Qualifier) else flag


def _is_flag_column(series: pd.Series) -> bool:
    """Cells that are short codes (``<``, ``ND``, ``!``), not numbers or sentences."""
    codes = [c for c in map(_code, series) if c]
    if not codes:
        return False
    numbers = sum(re.fullmatch(r"[-+]?\d+(?:[.,]\d*)?(?:e[-+]?\d+)?", c) is not None
                  for c in codes)
    return numbers * 2 < len(codes) and max(map(len, codes)) <= 16


def _kind(code: str, qualifier: Qualifier | None = None) -> str:
    if not code:
        return ""
    if qualifier is not None and code in qualifier.below:
        return "below"
    if qualifier is not None and code in qualifier.above:
        return "above"
    if qualifier is not None and qualifier.coded and _NUMBER.fullmatch(code):
        return ""  # a number the codes do not list: no flag (0 for "none")
    if code in BELOW or code[0] in "<≤":
        return "below"
    if code in ABOVE or code[0] in ">≥":
        return "above"
    return "other"


_PER_MASS = re.compile(r"[pnumck]?g|t|oz")
"""Masses a concentration in solids is given per (``g/t``, ``µg/g``, ``mg/kg``)."""
_PER_VOLUME = re.compile(r"[mud]?[lL]|m3")
"""Volumes a concentration in water is given per (``mg/L``, ``µg L-1``)."""
_AMOUNT = re.compile(r"[pnumk]?(?:g|mol|eq)|oz")
"""Amounts a concentration gives (``mg``, ``µg``, ``mmol``, ``meq``)."""


def is_concentration(unit: str) -> bool:
    """Whether ``unit`` is a concentration (which is never negative): a mass ratio
    (``ppm``, ``%``, ``µg/g``, ``mg kg-1``, ``g/t``) or an amount per volume (``mg/L``,
    ``µg L-1``, ``meq/L``), in any spelling :func:`prospect.ingest.layers.unit_key`
    reads."""
    from prospect.ingest.layers import unit_key

    if unit.casefold().replace(" ", "").replace("μ", "µ") in {
            u.replace(" ", "").replace("μ", "µ") for u in CONCENTRATION_UNITS}:
        return True
    key = unit_key(unit)
    if isinstance(key, str) or not key:
        return _screening_reads(unit)
    symbols = dict(key)
    if set(symbols) <= {"ppm", "ppb", "ppt", "%", "wt%", "wt"}:  # (wt.%: wt times %)
        return set(symbols) != {"wt"} and all(v == 1 for v in symbols.values())
    over = [s for s, v in symbols.items() if v == -1]
    amount = [s for s, v in symbols.items() if v == 1]
    return (len(symbols) == 2 and len(over) == 1 and len(amount) == 1
            and _AMOUNT.fullmatch(amount[0]) is not None
            and (_PER_MASS.fullmatch(over[0]) is not None
                 or _PER_VOLUME.fullmatch(over[0]) is not None)) or _screening_reads(unit)


def _screening_reads(unit: str) -> bool:
    """Whether screening reads ``unit`` as a concentration it converts to mg/L
    (:func:`prospect.screening.to_mg_per_l`): ``milligrams per litre``, ``mg/L (ICP)``,
    ``[mg/L]`` and ``mEq/L`` were no concentration here, so a ``-0.5`` (below 0.5) among
    such grades was kept as a value."""
    from prospect.screening import to_mg_per_l

    return to_mg_per_l(unit, 1.0) is not None


def stated_concentration(column: str, stated: str | None = None) -> str | None:
    """The concentration unit ``column``'s values are in, where its negative values mean
    "below the detection limit": the unit the table or config states (``stated``: a row
    of units, the cells' ``1.2 ppm``, percentage cells, ``units:``) when it states one,
    else one its header names (:func:`concentration_unit`, and ``Li (µg/g)``,
    ``Li_ug_g``, ``Li_mg_per_l``). ``None`` where neither is a concentration."""
    if stated is not None and stated.strip():
        return stated.strip() if is_concentration(stated) else None
    named = concentration_unit(column)
    if named is not None:
        return named
    found = re.search(r"[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$", column)
    if found and is_concentration(found.group(1)):
        return found.group(1)
    words = [w for w in _words(column)[1:] if w != "per"]
    for top, bottom in itertools.pairwise(words):
        if is_concentration(f"{top}/{bottom}"):
            return f"{top}/{bottom}"
    return None


def concentration_unit(column: str) -> str | None:
    """The concentration unit a header names (``Li_ppm`` -> ``ppm``; ``Li (mg/L)``)."""
    found = re.search(r"[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$", column)
    if found and found.group(1).casefold().replace(" ", "") in {
            u.replace(" ", "") for u in CONCENTRATION_UNITS}:
        return found.group(1)
    for word in _words(column)[1:]:
        if word in CONCENTRATION_UNITS:
            return word
    return None


class Limited(NamedTuple):
    """A value column read with its companions (:func:`limited_values`)."""

    values: np.ndarray
    """The values, NaN where missing (below or above a limit among them)."""
    limit: np.ndarray
    """Each row's detection limit where it is read below one and the limit is known (a
    detection-limit column's, or minus a negative concentration); NaN elsewhere."""
    above: np.ndarray | None = None
    """Which rows a companion column flags above an upper limit (``>``, ``G``): missing
    among the values, or at their value, the least they are, with ``above_as_limit``."""


def below_limits(frame: pd.DataFrame, column: str, values: np.ndarray, keep: np.ndarray,
                 path: Path, listed: Listed, *, flag: str | Qualifier | None = None,
                 read: Callable[[str], np.ndarray] | None = None,
                 fills: tuple[float, ...] = (), unit: str | None = None,
                 above_as_limit: bool = False) -> np.ndarray:
    """``values`` (all rows) with those a companion column marks below or above a limit
    read as missing, and one :class:`DataWarning` saying what was done: the values of
    :func:`limited_values`, which takes the same arguments."""
    return limited_values(frame, column, values, keep, path, listed, flag=flag, read=read,
                          fills=fills, unit=unit, above_as_limit=above_as_limit).values


def limited_values(frame: pd.DataFrame, column: str, values: np.ndarray, keep: np.ndarray,
                   path: Path, listed: Listed, *, flag: str | Qualifier | None = None,
                   read: Callable[[str], np.ndarray] | None = None,
                   fills: tuple[float, ...] = (), unit: str | None = None,
                   above_as_limit: bool = False, below_as_half: bool = False,
                   limit_columns: list[str] | None = None) -> Limited:
    """``values`` (all rows) with those a companion column marks below or above a limit
    read as missing, and one :class:`DataWarning` saying what was done; with each row's
    detection limit where it is read below a known one.

    The limit of a row below detection is its detection-limit column's (a value under
    it, or one its qualifier flags), or minus its negative concentration (``-5`` for
    ``<5``). A qualifier alone gives none: the number beside a flag is the limit in some
    databases (USGS NGDB), 0 in others (GTK's till data: Zr on 166 samples) and half the
    limit in others, which read as the limit would make a grade under a higher one a
    negative.

    Parameters
    ----------
    frame
        The table (every column: the companions are looked up in it).
    column
        The value column.
    values
        Its numbers, NaN where missing already.
    keep
        The rows read (those with coordinates).
    path
        The table, for messages.
    listed
        Names rows by their positions among all rows (``'lines 3, 7'``).
    flag
        The qualifier column the source names (``flags:``), with its codes where it gives
        them (:class:`Qualifier`); found by name otherwise.
    read
        Reads a column of ``frame`` as numbers in the table's notation (detection limits).
    fills
        Common fill values, which a negative concentration is not taken for.
    unit
        The column's units where the table or config states them (a row of units, the
        cells' unit, ``units:``); a header's are read from ``column``
        (:func:`stated_concentration`).
    above_as_limit
        Keep a value flagged above the upper limit (the limit: the least it is), as
        occurrence labels want it (a label's grade at least the limit), where a surface
        reads it as missing.
    below_as_half
        A surface's column: the caller reads a value below a known limit as half that
        limit (:func:`prospect.io.points.column_values_and_limits`); the warning says so.
    limit_columns
        The detection-limit columns to read, where the config names them (the points
        source's ``limits:``); ``None`` finds them by name (:func:`companion_names`).

    Returns
    -------
    Limited
        The values, and each row's limit where it is read below a known one.
    """
    names = [str(c) for c in frame.columns]
    named = Qualifier(flag) if isinstance(flag, str) else flag
    qualifiers: list[str] = [named.column] if named is not None else []
    if named is not None and not named.coded:
        _refuse_numeric_codes(frame[named.column], named.column, column, keep, path)
    limits: list[str] = []
    if named is None:
        qualifiers, limits = companion_names(column, names)
        qualifiers = [q for q in qualifiers if _is_flag_column(frame[q])]
    if limit_columns is not None:  # (the source's 'limits:': a column of no element's name)
        limits = list(limit_columns)
    measured = keep & np.isfinite(values)
    below = np.zeros(len(values), bool)
    above = np.zeros(len(values), bool)
    other_rows = np.zeros(len(values), bool)
    other_codes = np.full(len(values), "", dtype=object)
    shown: list[str] = []
    said: list[str] = []
    for name in qualifiers:
        codes = np.array([_code(c) for c in frame[name]], dtype=object)
        kinds = np.array([_kind(c, named) for c in codes], dtype=object)
        below |= measured & (kinds == "below")
        above |= measured & (kinds == "above")
        fresh = measured & (kinds == "other") & ~other_rows
        other_codes = np.where(fresh, codes, other_codes)
        other_rows |= fresh
        shown.append(name)
    at_limit = np.zeros(len(values), bool)
    row_limit = np.full(len(values), np.nan)  # each row's limit, the first column's given
    for name in limits:
        if read is None:
            break
        limit = read(name)
        if not np.isfinite(limit[keep]).any():
            continue
        with np.errstate(invalid="ignore"):
            below |= measured & (values < limit * (1 - 1e-9))
            at_limit |= measured & np.isclose(values, limit, rtol=1e-9, atol=0)
            row_limit = np.where(np.isnan(row_limit) & (limit > 0), limit, row_limit)
        shown.append(name)
    negative = np.zeros(len(values), bool)
    unit = stated_concentration(column, unit)
    # (a surface's column, or a label's grade: ``above_as_limit``; a '-0.5' under ``Li``
    # is '<0.5' to both, the USGS way; it was a label's grade of -0.5)
    element = _element_named(column, values, measured, unit,
                             below_as_half or above_as_limit)
    if unit is not None or element is not None:
        with np.errstate(invalid="ignore"):
            negative = measured & (values < 0) & ~below & ~above
        for fill in fills:
            negative &= ~np.isclose(values, fill, rtol=1e-6, atol=0)
        if negative.any():
            below |= negative
            example = float(values[negative.nonzero()[0][0]])
            said.append(
                f"{int(negative.sum())} are negative ({listed(negative.nonzero()[0])}; e.g. "
                f"{example:g}), which "
                + (f"a concentration in {unit}" if unit is not None else
                   str(element))
                + " never is: exports write a "
                f"value below the detection limit as minus the limit ({example:g} for "
                f"'<{-example:g}')")
    # a concentration of 0 beside a flag is the table's cell where it gives no number
    # (GTK's till data write 0 beside '<' and beside '!'): no measured concentration is 0
    other_rows &= ~below & ~above
    blank = other_rows & (values == 0) if unit is not None or element is not None else \
        np.zeros(len(values), bool)
    other = Counter(other_codes[other_rows & ~blank].tolist())
    known = np.where(below & np.isfinite(row_limit), row_limit, np.nan)
    known = np.where(negative & np.isnan(known), -values, known)
    if not (below.any() or above.any() or other or at_limit.any() or blank.any()):
        return Limited(values, known, above)
    where = f"column {' and '.join(repr(s) for s in shown)}" if shown else ""
    lead = f"{path}: of {int(keep.sum())} value(s) in column {column!r}"
    parts = []
    flagged = below & ~negative
    if flagged.any():
        parts.append(f"{int(flagged.sum())} are flagged below the detection limit by "
                     f"{where} ({listed(flagged.nonzero()[0])})")
    flagged_above = (f"{int(above.sum())} are flagged above the upper limit by {where} "
                     f"({listed(above.nonzero()[0])})")
    if above.any() and not above_as_limit:
        parts.append(flagged_above)
    parts += said
    text = "; ".join(parts)
    if below.any() and above_as_limit:  # (a label's grades: limits read, see the docs)
        text += (": they are read as missing, not as measurements, each with its limit "
                 "where it is known (a detection-limit column's, or minus a negative value; "
                 "a flag alone bounds the grade by twice the number beside it, which holds whether "
                 "that number is the limit, half of it or the limit over the square root of "
                 "two; for the limits themselves add a column such as "
                 f"'{column}_DL'): under a threshold, one below a limit at or under it is a "
                 "negative; do not put half the limit in its place (a made-up grade is "
                 "labelled as if measured)")
    elif below_as_half and below.any() and np.isfinite(known[below]).all() and not above.any():
        text += (": each is read as half its detection limit, the common substitution in "
                 "geochemistry (left out, they would lift the surface where low values "
                 "cluster); to use other values, give them as numbers without the flag")
    elif below_as_half and below.any() and np.isfinite(known[below]).any():
        text += (": those below a known detection limit are read as half that limit (the "
                 "common substitution in geochemistry), the others as missing, not as "
                 "measurements; give them as numbers without the flag to use them")
    elif below.any() or (above.any() and not above_as_limit):
        text += (": they are read as missing, not as measurements; give them as numbers "
                 "(e.g. half the limit) without the flag to use them")
    if above.any() and above_as_limit:
        text += ("; " if text else "") + (
            f"{flagged_above}: each is read as its value, the limit, the least it is")
    if blank.any():
        zeros = Counter(other_codes[blank].tolist())
        text += ("; " if text else "") + (
            f"{int(blank.sum())} are 0 beside another flag in {where} ("
            + ", ".join(f"{c!r} on {n}" for c, n in zeros.most_common(4))
            + f"; {listed(blank.nonzero()[0])}), which no measured concentration is (the "
            "table writes 0 where it gives no number): read as missing, not as 0; give the "
            "measured value in the cell to use it")
    if other:
        listing = ", ".join(f"{c!r} on {n}" for c, n in other.most_common(4))
        text += ("; " if text else "") + (
            f"{sum(other.values())} carry other flags in {where} ({listing}), which are no "
            "detection limit: read as measured")
    if at_limit.any():
        text += ("; " if text else "") + (
            f"{int(at_limit.sum())} equal their row's detection limit in {where}: read as "
            "measured (if they mean 'below the limit', flag them or leave them empty)")
    warnings.warn(DataWarning(f"{lead}, {text}"), stacklevel=5)
    return Limited(np.where(below | blank | (above & (not above_as_limit)), np.nan, values),
                   known, above)


_GRADE_NAMES = frozenset({"grade", "conc", "concentration", "assay"})
"""Column names that say a grade alone, without its element or unit (:func:`_element_named`)."""


def _element_named(column: str, values: np.ndarray, measured: np.ndarray, unit: str | None,
                   surface: bool) -> str | None:
    """What a surface's column is a grade of, where its name is an element's alone (``Li``,
    ``Cu``, ``lithium``: ``'a grade of lithium ...'``) or a grade's (``grade``, ``conc``,
    ``assay``), no unit is stated and fewer than half of its measured values are negative:
    its negative values are then values below a detection limit written as minus the
    limit, as under a header of a unit (``Li_ppm``). A surface of ``Li`` kriged a well's
    ``-5`` as lithium at -5, a negative concentration about it, without a word. ``surface``
    is also true for a label's grade column (round 62b: ``-0.5`` under ``Li`` was the
    grade -0.5, a number below every threshold, where ``<0.5`` is undecided under a
    threshold below 0.5). ``None`` elsewhere (a log-ratio, as compositional analyses
    write under the element's name, is negative on about half of its values)."""
    if not surface or unit is not None:
        return None
    from prospect.config.commodities import commodity_name

    name = column.strip()
    element = commodity_name(name)
    if element is not None:
        element = f"a grade of {element} (as the column's name says)"
    elif name.casefold() in _GRADE_NAMES:
        element = f"a grade (as the column's name, {name!r}, says)"
    else:
        return None
    with np.errstate(invalid="ignore"):
        negative = int((measured & (values < 0)).sum())
    return element if 0 < negative * 2 < int(measured.sum()) else None


def element_named(column: str, values: np.ndarray, measured: np.ndarray,
                  unit: str | None) -> str | None:
    """What a surface's column is a grade of where its name alone says so (``Li``,
    ``lithium``, ``grade``; no unit stated; fewer than half its measured values
    negative), as :func:`limited_values` reads its negative values; else ``None``.

    Parameters
    ----------
    column
        The column's name.
    values
        Its values as numbers (NaN where missing).
    measured
        True for each value read (kept and finite).
    unit
        The unit stated for it, if any (a column with one is a concentration by it).

    Returns
    -------
    str or None
        ``'a grade of lithium (as the column's name says)'``, or ``None``.
    """
    return _element_named(column, values, measured, stated_concentration(column, unit), True)


def _refuse_numeric_codes(series: pd.Series, name: str, column: str, keep: np.ndarray,
                          path: Path) -> None:
    """Refuse a qualifier column ``flags`` names without codes whose cells are numbers
    only (a database's remark code: 1 for "below the limit", 0 for none): no number is a
    code by itself, and each was "another flag, read as measured"."""
    codes = [c for c, k in zip(map(_code, series), keep, strict=True) if k and c]
    if not codes or not all(_NUMBER.fullmatch(c) for c in codes):
        return
    shown = ", ".join(f"{float(c):g} on {n}" for c, n in Counter(codes).most_common(3))
    example = float(Counter(codes).most_common(1)[0][0])
    raise DataError(
        f"{path}: column {name!r}, which 'flags' names as the qualifier column of "
        f"{column!r}, holds numbers ({shown}), not codes such as '<' or 'ND'; say which "
        f"numbers mean below (or above) the limit, e.g. flags: {{{column}: {{column: "
        f"{name}, below: [{example:g}]}}}}")


def _unit_columns(column: str, names: list[str]) -> list[str]:
    own = column.casefold()
    first = (_words(column) or [""])[0]
    out = []
    for name in names:
        w = _words(name)
        if name == column or not w or w[-1] not in UNIT_WORDS:
            continue
        if len(w) == 1 or name.casefold().startswith(own) or w[0] == first:
            out.append(name)
    return out


def _names_a_unit(cell: str) -> bool:
    """Whether a cell of a ``Unit`` column names a unit of measure (``mg/L``, ``wt%``,
    ``degC``), not a geological unit's code (``Qal``, ``Tv``): a sample table's ``Unit``
    column of the units sampled was refused as "in different units row by row"."""
    from prospect.registry.units import reads_as_unit

    return is_concentration(cell) or reads_as_unit(cell)


def row_units(frame: pd.DataFrame, column: str, keep: np.ndarray,
              *, unit_key: Callable[[str], str] | None = None
              ) -> tuple[str, list[str]] | None:
    """The unit column beside ``column`` that names several units row by row (``mg/L`` on
    some, ``µg/L`` on others) and each row's unit (``""`` where a row is not kept or names
    none); ``None`` where no unit column names several.

    Parameters
    ----------
    frame
        The table.
    column
        The value column.
    keep
        Which rows are records.
    unit_key
        What makes two spellings one unit (``mg/l`` and ``mg/L``); case and spaces alone
        by default.
    """
    names = [str(c) for c in frame.columns]
    key = unit_key or (lambda u: u.replace(" ", "").casefold())
    for name in _unit_columns(column, names):
        cells = [str(c).strip() if k and _code(c) else ""
                 for c, k in zip(frame[name], keep, strict=True)]
        filled = [c for c in cells if c]
        if len(_words(name)) == 1 and not all(map(_names_a_unit, filled)):
            continue  # a sample's geological unit (Qal, Tv), not a unit of measure
        if len({key(u) for u in filled}) > 1:
            return name, cells
    return None


def refuse_mixed_rows(frame: pd.DataFrame, column: str, keep: np.ndarray, path: Path,
                      *, unit_key: Callable[[str], str] | None = None,
                      converted: str | None = None) -> None:
    """Refuse a value column whose rows are not one quantity: a unit column naming several
    units (mg/L on some rows, mg/kg on others) the reader has not converted (``converted``:
    the unit column whose sizes of one unit it read, :func:`row_units`), or an analyte
    column naming several analytes (a long lab table: ``sample, element, value``). Each
    was interpolated as one surface."""
    names = [str(c) for c in frame.columns]
    key = unit_key or (lambda u: u.replace(" ", "").casefold())
    for name in _unit_columns(column, names):
        if name == converted:
            continue
        cells = [str(c).strip() for c, k in zip(frame[name], keep, strict=True)
                 if k and _code(c)]
        if len(_words(name)) == 1 and not all(map(_names_a_unit, cells)):
            continue  # a sample's geological unit (Qal, Tv), not a unit of measure
        units = Counter(cells)
        kinds = {key(u) for u in units}
        if len(kinds) > 1:
            shown = ", ".join(f"{u!r} on {n}" for u, n in units.most_common(4))
            raise DataError(
                f"{path}: column {column!r} is in different units row by row (column "
                f"{name!r}: {shown}), and one surface cannot mix them; convert the values to "
                "one unit, or split the table by unit")
    for name in names:
        if name == column or name.casefold().replace(" ", "_") not in ANALYTE_NAMES:
            continue
        cells = [str(c).strip() for c, k in zip(frame[name], keep, strict=True)
                 if k and _code(c)]
        analytes = Counter(cells)
        if len(analytes) > 1 and max(map(len, analytes)) <= 40:
            shown = ", ".join(f"{a!r} on {n}" for a, n in analytes.most_common(4))
            raise DataError(
                f"{path}: the table is in long form: column {name!r} names "
                f"{len(analytes)} analytes ({shown}), whose values all sit in column "
                f"{column!r}; make one column per analyte (a pivot: one row per sample, "
                f"e.g. pandas' df.pivot_table(index=[x, y], columns={name!r}, "
                f"values={column!r})) and name the analyte's column in 'columns'")


def related_columns(columns: list[str], names: list[str]) -> list[str]:
    """The columns among ``names`` that say how to read ``columns`` (qualifiers, limits,
    units, the analyte): what a reader of selected columns must read with them."""
    out: list[str] = []
    for column in columns:
        qualifiers, limits = companion_names(column, names)
        out += qualifiers + limits + _unit_columns(column, names)
    out += [n for n in names if n.casefold().replace(" ", "_") in ANALYTE_NAMES]
    return [n for n in dict.fromkeys(out) if n not in columns]
