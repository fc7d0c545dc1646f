"""Resolve index names and custom formulas into an :class:`IndexPlan` for the backends.

Resolution substitutes every constant (catalogue defaults, sensor wavelengths, user
overrides), expands kernel terms (``kNR`` -> RBF kernel of N and R), folds constant
sub-expressions, and renames common bands (``N``) to the cube variables that hold them
(``B08``). The backends only ever see the resulting trees.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from prospect.config._base import repeated
from prospect.config.indices import SensorConfig
from prospect.errors import ConfigError, FormulaError
from prospect.indices.bands import (
    band_variables,
    band_words,
    load_sensor,
    sensors_with,
    wavelengths,
)
from prospect.indices.catalogue import (
    CATALOGUE_VERSION,
    IndexEntry,
    common_band_names,
    constant_defaults,
    is_kernel_term,
    is_wavelength_term,
    kernel_bands,
    load_catalogue,
    normalized_difference_range,
)
from prospect.indices.constants import SIGMA_FROM_DATA, check_constants
from prospect.indices.formula import (
    BinOp,
    Call,
    Const,
    Expr,
    Neg,
    Var,
    parse_formula,
    substitute,
    variables,
)

__all__ = ["IndexPlan", "PlannedIndex", "check_constant_keys", "check_distinct_case",
           "check_index_names", "check_job_constants", "constant_powers", "constant_value",
           "fold_constants", "plan_indices", "self_cancelling", "undefined_parts"]

_NAME_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
_STORE_FILES = frozenset({"zarr.json", ".zattrs", ".zgroup", ".zarray", ".zmetadata"})
"""Names of a zarr store's own metadata files (v3 ``zarr.json``; v2's ``.z*``, which
readers that try version 2 first look for: GDAL's Zarr driver took a ``.zgroup`` folder
for the cube's metadata and failed to load it): an index is a folder of the cube, so a
custom index named ``zarr.json`` stood where the cube's metadata is, and the stage stopped
after computing it with "a folder is where the command writes a file", naming no index."""


@dataclass(frozen=True)
class PlannedIndex:
    """One index ready to compute: its tree over cube variables and its provenance."""

    name: str
    long_name: str
    formula: str
    expr: Expr
    bands: tuple[tuple[str, str], ...]
    constants: tuple[tuple[str, float | str], ...]
    source: str
    valid_range: tuple[float | None, float | None]
    reference: str

    def provenance(self, *, backend: str, sensor: str) -> dict[str, Any]:
        """The provenance mapping recorded in the output variable's attributes."""
        return {
            "formula": self.formula,
            "bands": dict(self.bands),
            "constants": dict(self.constants),
            "catalogue": self.source,
            "catalogue_version": CATALOGUE_VERSION,
            "backend": backend,
            "sensor": sensor,
            "reference": self.reference,
        }


@dataclass(frozen=True)
class IndexPlan:
    """Indices to compute together and the cube variables they read, in kernel order."""

    indices: tuple[PlannedIndex, ...]
    inputs: tuple[str, ...]
    sensor: str

    @property
    def names(self) -> list[str]:
        """Output variable names, in order."""
        return [p.name for p in self.indices]

    @property
    def exprs(self) -> tuple[Expr, ...]:
        """The trees, over the variable names in :attr:`inputs`."""
        return tuple(p.expr for p in self.indices)

    def key(self) -> str:
        """A stable text key of what the kernels compute (trees and input order)."""
        return json.dumps([repr(self.exprs), self.inputs])


def fold_constants(expr: Expr) -> Expr:
    """Evaluate constant sub-expressions with IEEE float64 semantics (``1/0`` -> ``inf``)."""
    if isinstance(expr, Neg):
        inner = fold_constants(expr.operand)
        return Const(-inner.value) if isinstance(inner, Const) else Neg(inner)
    if isinstance(expr, BinOp):
        left, right = fold_constants(expr.left), fold_constants(expr.right)
        if isinstance(left, Const) and isinstance(right, Const):
            a, b = np.float64(left.value), np.float64(right.value)
            with np.errstate(all="ignore"):
                value = {"+": np.add, "-": np.subtract, "*": np.multiply,
                         "/": np.divide, "**": np.power}[expr.op](a, b)
            return Const(float(value))
        return BinOp(expr.op, left, right)
    if isinstance(expr, Call):
        args = tuple(fold_constants(a) for a in expr.args)
        values = [np.float64(a.value) for a in args if isinstance(a, Const)]
        if len(values) == len(args):
            with np.errstate(all="ignore"):
                return Const(float(_FOLD_FUNCS[expr.func](*values)))
        return Call(expr.func, args)
    return expr


_FOLD_FUNCS = {"sqrt": np.sqrt, "abs": np.abs, "exp": np.exp, "log": np.log,
               "log10": np.log10, "minimum": np.minimum, "maximum": np.maximum}
"""The whitelisted functions (:data:`prospect.indices.formula.FUNCTIONS`) in float64, for
folding: NaN-propagating ``minimum``/``maximum``, ``log`` of a negative is NaN."""


def _text(expr: Expr) -> str:
    """``expr`` written as a formula, for messages (operands of operators in parentheses)."""
    def inner(node: Expr) -> str:
        return f"({_text(node)})" if isinstance(node, BinOp | Neg) else _text(node)

    if isinstance(expr, Const):
        return f"{expr.value:g}"
    if isinstance(expr, Var):
        return expr.name
    if isinstance(expr, Neg):
        return f"-{inner(expr.operand)}"
    if isinstance(expr, BinOp):
        return f"{inner(expr.left)} {expr.op} {inner(expr.right)}"
    return f"{expr.func}({', '.join(_text(a) for a in expr.args)})"


def undefined_parts(expr: Expr) -> list[str]:
    """The parts of ``expr`` (constants already put in) that make every cell undefined,
    written out: a sub-expression without bands whose value is infinite or NaN
    (``10 ** 400``, ``log(-1)``, ``1 / 0``) and a division by such a sub-expression that is 0
    (``N / (2 - 2)``). Every backend stores a non-finite result as NaN, so the index was a
    layer of no data."""
    found: list[str] = []

    def walk(node: Expr) -> None:
        if not variables(node):  # a part without bands: its value is the same everywhere
            value = fold_constants(node)
            if isinstance(value, Const) and not math.isfinite(value.value):
                found.append(f"{_text(node)} is {value.value}")
            return
        if isinstance(node, BinOp) and node.op == "/" and not variables(node.right):
            divisor = fold_constants(node.right)
            if isinstance(divisor, Const) and divisor.value == 0:
                written = _text(node.right)
                found.append(f"it divides by {written}"
                             + ("" if written == "0" else ", which is 0"))
                return
        for child in _children(node):
            walk(child)

    walk(expr)
    return found


def constant_powers(expr: Expr) -> list[str]:
    """The powers in ``expr`` (constants already put in) whose value is 1 whatever the
    bands, written out: ``x ** 0`` and ``1 ** x`` with ``x`` reading a band. IEEE's
    ``pow`` gives 1 for them even where the band is NaN (no data), so such a part turned
    no data into a value in every backend, and made the index a constant (GDVI with
    ``nexp: 0`` was 0 in every cell, no-data cells included)."""
    def says(node: Expr) -> str | None:
        if isinstance(node, BinOp) and node.op == "**":
            base, exponent = fold_constants(node.left), fold_constants(node.right)
            if (isinstance(exponent, Const) and exponent.value == 0 and variables(base)) or (
                    isinstance(base, Const) and base.value == 1 and variables(exponent)):
                return f"{_text(node)} is 1 whatever the bands"
        return None

    return _parts_saying(expr, says)


def self_cancelling(expr: Expr) -> list[str]:
    """The parts of ``expr`` that subtract or divide a part reading bands by itself,
    written out: ``N - N`` is 0 and ``N / N`` is 1 wherever the band holds data, whatever
    its value (a typo for ``N - R``)."""
    def says(node: Expr) -> str | None:
        if isinstance(node, BinOp) and node.op in "-/" and node.left == node.right \
                and variables(node.left):
            return f"{_text(node)} is {0 if node.op == '-' else 1} whatever the bands"
        return None

    return _parts_saying(expr, says)


_SAMPLES = 96
"""How many band values :func:`constant_value` tries a formula at."""


def _sampled_bands(names: Sequence[str]) -> dict[str, np.ndarray]:
    """For each band of ``names``, :data:`_SAMPLES` values spread over reflectance and
    digital numbers, a quarter of them negative (magnitudes 1e-4..2e4 on a log scale), drawn
    from a fixed seed: the same values for a formula on every run."""
    rng = np.random.default_rng(20261206)
    drawn: dict[str, np.ndarray] = {}
    for name in names:
        magnitude = 10.0 ** rng.uniform(-4.0, 4.3, _SAMPLES)
        drawn[name] = np.where(rng.uniform(size=_SAMPLES) < 0.25, -magnitude, magnitude)
    return drawn


def _sampled(expr: Expr, env: Mapping[str, np.ndarray]) -> np.ndarray:
    """``expr`` in float64 at the band values of ``env`` (IEEE's results, NaN-propagating
    ``minimum``/``maximum`` as the backends compute them)."""
    if isinstance(expr, Const):
        return np.full(_SAMPLES, expr.value)
    if isinstance(expr, Var):
        return env[expr.name]
    if isinstance(expr, Neg):
        return -_sampled(expr.operand, env)
    if isinstance(expr, BinOp):
        a, b = _sampled(expr.left, env), _sampled(expr.right, env)
        return (a + b if expr.op == "+" else a - b if expr.op == "-" else a * b
                if expr.op == "*" else a / b if expr.op == "/" else np.power(a, b))
    args = [_sampled(arg, env) for arg in expr.args]
    if expr.func in ("minimum", "maximum"):
        return np.minimum(*args) if expr.func == "minimum" else np.maximum(*args)
    return getattr(np, expr.func)(args[0])


def constant_value(expr: Expr, *, positive: bool = False) -> float | None:
    """The one value ``expr`` (constants already put in) takes wherever its bands hold
    data, or ``None`` where it follows the bands.

    A formula such as ``N * 0``, ``0 / N``, ``(N + R) - (R + N)`` or WDRVI with
    ``alpha: 0`` (``-R / R``) is one number in every cell with data: no power of 0
    (:func:`constant_powers`) and no part minus itself (:func:`self_cancelling`) says so,
    and it was computed and stored without a word. The formula is evaluated in float64
    at :data:`_SAMPLES` values of each band (:func:`_sampled_bands`); it is constant when
    its finite results (at least half of them) differ by no more than 1e-12 of their
    largest magnitude.

    Parameters
    ----------
    expr
        A formula tree whose names are bands.
    positive
        Sample the bands at the magnitudes alone: the one value the formula takes
        wherever its bands are positive, as reflectance and digital numbers are
        (``abs(N) / N`` is 1 there, and -1 only on negative values no band holds).

    Returns
    -------
    float or None
        The constant value (rounded to 12 significant digits), or ``None``.
    """
    names = variables(expr)
    if not names:
        return None
    bands = _sampled_bands(names)
    if positive:
        bands = {name: np.abs(drawn) for name, drawn in bands.items()}
    with np.errstate(all="ignore"):
        values = np.asarray(_sampled(expr, bands), dtype="float64")
    finite = values[np.isfinite(values)]
    if finite.size < _SAMPLES // 2:
        return None
    spread = float(np.max(finite) - np.min(finite))
    if spread > 1e-12 * float(np.max(np.abs(finite))):
        return None
    return float(f"{float(np.median(finite)):.12g}") + 0.0


def undefined_on_data(expr: Expr, positive: Callable[[str], bool]) -> bool:
    """Whether ``expr`` (constants already put in) is infinite or NaN at every sampled
    value of its bands, the bands that ``positive`` names sampled at positive values
    alone (reflectance and digital numbers are positive): ``(N - R) / (0 * N)``,
    ``N / (N * 0)``, ``(-N) ** 0.5`` or ``log(-R)`` divide by a 0 or take a root or log
    of a negative wherever such bands hold data, which no constant part of the formula
    (:func:`undefined_parts`) says, and the index was stored NaN in every cell, said only
    after ingest by the indices stage. A band that ``positive`` does not name keeps its
    negative samples too (``sqrt(-VV)`` of a radar band in decibels is defined).

    Parameters
    ----------
    expr
        A formula tree whose names are bands (common names).
    positive
        Whether a band's values are positive (:func:`prospect.indices.ranges.reflective_band`).

    Returns
    -------
    bool
        True when no sampled value of the formula is finite.
    """
    names = variables(expr)
    if not names:
        return False
    bands = {name: np.abs(drawn) if positive(name) else drawn
             for name, drawn in _sampled_bands(names).items()}
    with np.errstate(all="ignore"):
        values = np.asarray(_sampled(expr, bands), dtype="float64")
    return not bool(np.isfinite(values).any())


FLOAT32_MAX = float(np.finfo(np.float32).max)
"""float32's largest number (3.4e38): an index layer is float32, and a value beyond it is
stored as NaN (:data:`prospect.indices.ranges.FLOAT32_MAX`, the same number)."""


def beyond_float32_on_data(expr: Expr, positive: Callable[[str], bool]) -> float | None:
    """The least magnitude of ``expr`` (constants already put in) at the sampled values of
    its bands (sampled as :func:`undefined_on_data` samples them), where no sampled value
    is a finite number that float32 holds and some lie beyond :data:`FLOAT32_MAX`
    (``inf`` where every such value is infinite in float64 too); ``None`` otherwise.

    ``N * 1e300 * 1e300`` is infinite wherever ``N`` is positive and ``N * 1e38 * 1e38``
    beyond float32 there: every cell of the index is NaN. The first was refused in the
    words of a divisor of 0 or a root of a negative, the second planned and ran ingest,
    its layer then NaN throughout (the indices stage said the overflow afterwards).
    """
    names = variables(expr)
    if not names:
        return None
    bands = {name: np.abs(drawn) if positive(name) else drawn
             for name, drawn in _sampled_bands(names).items()}
    raised: list[str] = []
    with np.errstate(all="ignore", divide="call",
                     call=lambda kind, _flag: raised.append(kind)):
        values = np.asarray(_sampled(expr, bands), dtype="float64")
        magnitude = np.abs(values)
        beyond = magnitude > FLOAT32_MAX
    if raised or not beyond.any() or (np.isfinite(values) & ~beyond).any():
        return None  # a division by 0 (``x / (0 * N)``) is infinite too, but no overflow
    return float(np.min(magnitude[beyond]))


def _parts_saying(expr: Expr, says: Callable[[Expr], str | None]) -> list[str]:
    """What ``says`` says of the parts of ``expr``, outermost first, each once; the parts
    inside a part it speaks of are not visited."""
    found: list[str] = []

    def walk(node: Expr) -> None:
        text = says(node)
        if text is not None:
            if text not in found:
                found.append(text)
            return
        for child in _children(node):
            walk(child)

    walk(expr)
    return found


def _children(node: Expr) -> tuple[Expr, ...]:
    """The operands of ``node`` (none for a constant or a band)."""
    if isinstance(node, BinOp):
        return node.left, node.right
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, Call):
        return tuple(node.args)
    return ()


def _rbf(a: str, b: str, *, sigma_from_data: bool = False) -> Expr:
    """spyndex's RBF kernel ``exp((-1.0 * (a - b) ** 2.0) / (2.0 * sigma ** 2.0))``.

    With ``sigma_from_data``, ``sigma = 0.5 * (a + b)`` per pixel (Camps-Valls et al. 2021,
    Science Advances 7(9), eabc7447: kNDVI then equals ``tanh(NDVI ** 2)``); the kernel of a
    band with itself is 1.
    """
    if sigma_from_data and a == b:
        return Const(1.0)
    sigma: Expr = (BinOp("*", Const(0.5), BinOp("+", Var(a), Var(b))) if sigma_from_data
                   else Var("sigma"))
    diff = BinOp("**", BinOp("-", Var(a), Var(b)), Const(2.0))
    return Call("exp", (BinOp("/", BinOp("*", Const(-1.0), diff),
                              BinOp("*", Const(2.0), BinOp("**", sigma, Const(2.0)))),))


def _constant_values(entries: Sequence[IndexEntry],
                     constants: Mapping[str, float | str | Mapping[str, float | str]] | None,
                     ) -> tuple[dict[str, float | str], dict[str, dict[str, float | str]]]:
    """Split ``constants`` into global values and per-index values, checked.

    A value that is a mapping belongs to the index of that name (``{"SAVI": {"L": 0.5}}``);
    the only text value is ``sigma: data``.
    """
    glob: dict[str, float | str] = {}
    per: dict[str, dict[str, float | str]] = {}
    names = {e.name for e in entries}
    for key, v in (constants or {}).items():
        if isinstance(v, Mapping) and key not in names:
            raise ConfigError(_constants_of_no_index(key, names))
    check_constants(constants or {}, {c: tuple(e.name for e in entries if c in e.constants)
                                      for c in constant_defaults()})
    for key, v in (constants or {}).items():
        if isinstance(v, Mapping):
            per[key] = {k: x if isinstance(x, str) else float(x) for k, x in v.items()}
        else:
            glob[key] = v if isinstance(v, str) else float(v)
    return glob, per


def _constants_of_no_index(key: str, names: set[str] | Sequence[str]) -> str:
    """The message for constants given under ``key``, no index the job computes.

    ``constants: {savi: {L: 0.5}}`` beside ``names: [SAVI]`` loaded and planned, ran
    ingest, then stopped the indices stage with "constants for index 'savi', which is not
    computed (indices: SAVI)", without the config file or that index names are
    case-sensitive.
    """
    computed = sorted(names)
    cased = [n for n in computed if n.lower() == str(key).lower()]
    if cased:
        hint = (f"index names are case-sensitive: did you mean {cased[0]!r}? write its "
                f"constants under {cased[0]}:")
    elif key in load_catalogue():
        hint = (f"{key} is a catalogue index this job does not compute: list it in "
                "indices.names, or remove its constants")
    else:
        near = difflib.get_close_matches(str(key), computed, n=1)
        hint = (f"did you mean {near[0]!r}? " if near else "") + \
            "remove the key, or list the index in indices.names"
    return (f"indices.constants.{key}: constants for index {key!r}, which this job does "
            f"not compute (its indices: {', '.join(computed) or 'none'}); {hint}")


def _renamed(name: str) -> str:
    """A name for a custom index named like a store file (``zarr.json`` -> ``zarr_json``)."""
    return name.strip(".").replace(".", "_") or "index"


def _custom_entry(name: str, formula: str) -> IndexEntry:
    if not name or not set(name) <= _NAME_OK:
        raise FormulaError(
            f"custom index name {name!r}: use letters, digits, '_', '-' or '.' only"
        )
    if name.lower() in _STORE_FILES:
        raise FormulaError(
            f"custom index name {name!r}: each index is a folder of the zarr cube, and "
            f"{name.lower()!r} is the name of a zarr store's own metadata file"
            f"{' (on a disk that ignores case, so is this name)' if name != name.lower() else ''}"
            ", so the index would stand where the cube's metadata is; give the index "
            f"another name (e.g. {_renamed(name)})")
    expr = parse_formula(formula, name=name)
    # a normalized difference lies in -1..1 whatever its name (as the catalogue's do)
    return IndexEntry(name=name, long_name=f"Custom index {name}", formula=formula,
                      bands=(), constants=(), domain="custom", source="custom", expr=expr,
                      valid_range=normalized_difference_range(expr))


def check_index_names(names: Sequence[str], *, distinct_case: bool = True) -> None:
    """:class:`ConfigError` naming the first name that is not in the catalogue, with the
    nearest names (``NDVII``: did you mean ``NDVI``?), or, with ``distinct_case`` (a job's
    names, written to a cube), two names that differ only in case (``BAI`` and ``BaI``:
    :func:`check_distinct_case`)."""
    catalogue = load_catalogue()
    twice = repeated(names)
    if twice:  # found by the indices stage, after ingest, as "catalogue and custom?"
        raise ConfigError(
            f"indices.names lists {', '.join(map(repr, twice))} more than once (names: "
            f"{', '.join(names)}); each index is computed once into one cube variable: "
            "list each name once")
    for n in names:
        if n not in catalogue:
            close = [c for c in catalogue if c.lower() == n.lower()] or \
                difflib.get_close_matches(n, list(catalogue), n=3, cutoff=0.75)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else (
                "; see 'prospect indices --list'")
            raise ConfigError(f"unknown index {n!r} in indices.names{hint}")
    if distinct_case:
        check_distinct_case(names)


def check_distinct_case(names: Sequence[str]) -> None:
    """Refuse index names that differ only in case (the catalogue's ``BAI`` and ``BaI``,
    ``MSR705`` and ``mSR705``, a custom ``x`` beside ``X``): each index is a folder of the
    zarr cube and of the tile tree, and on a disk that ignores case (macOS, Windows, many
    network shares) the second index's folder is the first's, so one index's chunks
    overwrote the other's without a word.

    Raises
    ------
    ConfigError
        Naming both names and the fix.
    """
    seen: dict[str, str] = {}
    for name in names:
        other = seen.setdefault(name.lower(), name)
        if other != name:
            raise ConfigError(
                f"indices: {other!r} and {name!r} differ only in case; each index is a "
                "folder of the cube, and a disk that ignores case (macOS, Windows, network "
                "shares) holds them as one, so one would overwrite the other: compute them "
                "in two jobs with separate outputs, or give a custom index another name")


def _zero_divisors(expr: Expr, values: Mapping[str, float]) -> list[str]:
    """The constants of each division in ``expr`` whose divisor is 0 (or not finite)
    whatever the bands once ``values`` are put in (``sla`` for SAVI2's ``slb / sla`` with
    ``sla = 0``); empty when every divisor can be non-zero."""
    found: list[str] = []

    def walk(node: Expr) -> None:
        if isinstance(node, BinOp) and node.op == "/":
            divisor = fold_constants(substitute(node.right, dict(values)))
            if isinstance(divisor, Const) and not (
                    math.isfinite(divisor.value) and divisor.value != 0):
                found.extend(n for n in variables(node.right)
                             if n in values and n not in found)
        for child in _children(node):
            walk(child)

    walk(expr)
    return found


def plan_indices(
    names: Sequence[str],
    *,
    sensor: str | SensorConfig = "sentinel2",
    custom: Mapping[str, str] | None = None,
    bands: Mapping[str, str] | None = None,
    constants: Mapping[str, float | str | Mapping[str, float | str]] | None = None,
    refuse_undefined: bool = False,
) -> IndexPlan:
    """Resolve catalogue ``names`` and ``custom`` formulas for ``sensor``.

    Parameters
    ----------
    names
        Catalogue index names (one name alone may be given as a string).
    sensor
        Sensor name, alias or path, or a loaded :class:`SensorConfig`.
    custom
        Extra indices, name -> formula over common band names and constants.
    bands
        Overrides of the sensor's band mapping (common name -> cube variable).
    constants
        Overrides of constant values (``L``, ``sigma``, ``PAR``, ``lambdaN``...) for every
        index, or for one index under its name (``{"SAVI": {"L": 0.5}}`` leaves EVI's ``L``
        alone). ``sigma: "data"`` sets the RBF length scale to ``0.5 * (a + b)`` per pixel
        (kNDVI: Camps-Valls et al. 2021).
    refuse_undefined
        Refuse an index a part of which makes every cell undefined whatever the bands
        (:func:`undefined_parts`: ``N * 10 ** 400``, ``N / (2 - 2)``), and a custom
        formula that subtracts or divides a part by itself (:func:`self_cancelling`:
        ``N - N``), as a job's config does; by default such a formula gets IEEE's values
        (NaN in every cell).

    Raises
    ------
    ConfigError
        Unknown index, a band the sensor lacks, or a constant with no value.
    FormulaError
        A custom formula outside the whitelist.
    """
    sensor_cfg = sensor if isinstance(sensor, SensorConfig) else load_sensor(sensor)
    catalogue = load_catalogue()
    if isinstance(names, str):  # one name ("NDVI"), not its letters ("unknown index 'N'")
        names = [names]
    names = _given_names(names)
    _check_mappings(custom=custom, bands=bands, constants=constants)
    check_index_names(names, distinct_case=False)  # in memory, BAI and BaI are two
    entries: list[IndexEntry] = [catalogue[n] for n in names]
    folded = {n.lower(): n for n in catalogue}
    for n in custom or {}:
        # the cube's 'NDVI' (or 'ndvi') would hold another formula, named as NDVI
        same = n if n in catalogue else folded.get(str(n).lower())
        if same is not None:
            case = "" if same == n else f" (the catalogue's {same!r}, but for case)"
            raise ConfigError(
                f"indices.custom.{n}: {n!r} is a catalogue index{case} "
                f"({catalogue[same].formula}); list {same} in indices.names to compute the "
                f"catalogue's formula, or give your formula another name (e.g. {n}_custom)")
    check_distinct_case(list(custom or {}))  # a job's custom names: found when it loads
    entries += [_custom_entry(n, f) for n, f in (custom or {}).items()]
    dupes = repeated(e.name for e in entries)
    if dupes:
        raise ConfigError(f"index names given twice (catalogue and custom?): {dupes}")

    _refuse_unnamed_variables(bands or {})
    band_map = band_variables(sensor_cfg, dict(bands or {}))
    values: dict[str, float | str | None] = {**constant_defaults(), **wavelengths(sensor_cfg)}
    glob, per_index = _constant_values(entries, constants)
    check_constant_keys(entries, constants or {}, band_map)
    values.update(glob)
    _refuse_unused_names(entries, bands or {}, glob, {
        *constant_defaults(), *wavelengths(sensor_cfg),
        *(c for e in catalogue.values() for c in e.constants)},
        sensor_bands=band_variables(sensor_cfg))
    known_bands = set(common_band_names()) | set(band_map) | set(values)
    planned: list[PlannedIndex] = []
    inputs: dict[str, None] = {}
    for entry in entries:
        given = {*glob, *per_index.get(entry.name, {})}
        if entry.source == "custom":
            _refuse_constants_for_bands(entry, band_map, values, given)
        planned.append(_plan_one(entry, sensor_cfg, band_map,
                                 {**values, **per_index.get(entry.name, {})}, known_bands,
                                 refuse_undefined=refuse_undefined,
                                 indices={**catalogue, **{e.name: e for e in entries}}))
        for _, variable in planned[-1].bands:
            inputs.setdefault(variable)
    return IndexPlan(indices=tuple(planned), inputs=tuple(inputs), sensor=sensor_cfg.name)


_NOT_BANDS = {
    **dict.fromkeys(("pi", "e", "tau"), " (a formula has no named constants: write the "
                    "number, e.g. 3.141592653589793 for pi or 2.718281828459045 for e)"),
    **dict.fromkeys(("inf", "nan", "infinity"), " (a formula cannot hold inf or nan: every "
                    "cell would be infinite or NaN, no data; a band's no-data value is "
                    "given as indices.nodata)"),
    **dict.fromkeys(("ln", "log2", "sin", "cos", "tan", "pow", "min", "max", "tanh"),
                    " (not one of the functions sqrt, abs, exp, log, log10, minimum, maximum;"
                    " a function is written with parentheses, e.g. log(N))"),
    **dict.fromkeys(("sqrt", "abs", "exp", "log", "log10", "minimum", "maximum"),
                    " (a function, written with its argument in parentheses, e.g. "
                    "log(N))"),
}
"""Names a formula reads as bands that the writer meant as a constant or a function."""

_SPELLED_BANDS = {"BLUE": "B", "GREEN": "G", "RED": "R", "NIR": "N", "SWIR1": "S1",
                  "SWIR2": "S2", "REDEDGE1": "RE1", "REDEDGE2": "RE2", "REDEDGE3": "RE3"}
"""Band names written out, and the common name meant."""


def _uses(entry: IndexEntry) -> set[str]:
    """The constants and names ``entry``'s formula reads: its variables, the catalogue's
    list of its constants, and ``sigma`` when it reads a kernel term (``kNR``)."""
    names = set(variables(entry.expr)) | set(entry.constants)
    if any(is_kernel_term(n) for n in names):
        names.add("sigma")
    return names


def check_constant_keys(entries: Sequence[IndexEntry],
                        constants: Mapping[str, object],
                        band_map: Mapping[str, str]) -> None:
    """Refuse keys of ``indices.constants`` that would be taken without effect, or in a
    band's place.

    A key that is a band (``constants: {N: 0.3}``, or ``{NDVI: {N: 0.3}}``) replaced the
    band's values by the number in every cell: NDVI became ``(0.3 - R) / (0.3 + R)``,
    without a word. A key under an index's name that its formula does not read
    (``{SAVI: {l: 0.5}}``, ``{EVI: {G: 2.0}}``: EVI's gain is ``g``) left the index at its
    default, without a word; the same key for every index was already refused
    (:func:`_refuse_unused_names`).

    Raises
    ------
    ConfigError
        Naming the key (``indices.constants.SAVI.l``), what the index reads and the fix.
    """
    common = set(common_band_names()) | set(band_map)
    by_name = {e.name: e for e in entries}
    for key, value in constants.items():
        inner = value.items() if isinstance(value, Mapping) else ()
        where = [(f"indices.constants.{key}", str(key), None)] if not inner else [
            (f"indices.constants.{key}.{name}", str(name), by_name.get(str(key)))
            for name, _ in inner]
        for path, name, entry in where:
            if name in common:
                held = f" (the sensor reads it from {band_map[name]!r})" \
                    if name in band_map else ""
                cased = [c for c in (entry.constants if entry else ())
                         if c.lower() == name.lower()]
                meant = (f"; index {entry.name!r}'s constant is {cased[0]!r} (names are "
                         f"case-sensitive)" if entry and cased else "")
                raise ConfigError(
                    f"{path}: {name!r} is a band{held}, not a constant: a number there "
                    f"would replace the band's values in every cell{meant}; map the band "
                    f"to a cube variable with indices.bands.{name}, or remove the key")
            if entry is None:
                continue
            uses = _uses(entry)
            if name in uses:
                continue
            own = sorted(n for n in uses if n not in common and not is_kernel_term(n))
            near = [a for a in own if a.lower() == name.lower()] or \
                difflib.get_close_matches(name, own, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise ConfigError(
                f"{path}: index {entry.name!r} ({entry.formula}) does not use {name!r}, so "
                f"the value would be ignored; {hint}"
                + (f"its constants: {', '.join(own)}" if own else "it has no constants"))


def check_job_constants(names: Sequence[str], custom: Mapping[str, str],
                        constants: Mapping[str, object], *, sensor: str | SensorConfig,
                        bands: Mapping[str, str] | None = None) -> None:
    """:func:`check_constant_keys` for a job's ``indices`` section when it loads (the
    catalogue indices are otherwise planned by the indices stage, after ingest)."""
    sensor_cfg = sensor if isinstance(sensor, SensorConfig) else load_sensor(sensor)
    catalogue = load_catalogue()
    entries = [catalogue[n] for n in names if n in catalogue]
    entries += [_custom_entry(n, f) for n, f in custom.items()]
    check_constant_keys(entries, constants, band_variables(sensor_cfg, dict(bands or {})))
    known = {*constant_defaults(), *wavelengths(sensor_cfg),
             *(c for e in catalogue.values() for c in e.constants)}
    computed = [*names, *custom]
    for key, value in constants.items():
        if isinstance(value, Mapping) and key not in computed:
            raise ConfigError(_constants_of_no_index(key, computed))
    read = {n for e in entries for n in _uses(e)}
    for key, value in constants.items():
        if isinstance(value, Mapping) or key not in known or key in read:
            continue  # a name no index knows is the stage's "no index uses" refusal
        readers = sorted(n for n, e in catalogue.items() if key in _uses(e))
        shown = ", ".join(readers[:6]) + (", ..." if len(readers) > 6 else "")
        raise ConfigError(
            f"indices.constants.{key}: no index of this job "
            f"({', '.join(e.name for e in entries)}) reads {key!r}, so the value would be "
            f"ignored; " + (f"indices that read it: {shown}; " if readers else "")
            + "remove the key, or list the index meant in indices.names")
    _refuse_shared_coefficients(entries, constants)


SHARED_CONSTANTS = frozenset({"PAR", "sigma"})
"""Constants that mean one thing for every index reading them (the scene's
photosynthetically active radiation, the kernels' length scale), which a job may give
once for all; a wavelength (``lambdaN``) is the sensor's, one for all too."""


def _refuse_shared_coefficients(entries: Sequence[IndexEntry],
                                constants: Mapping[str, object]) -> None:
    """Refuse a coefficient given once (``constants: {L: 0.5}``) that two or more of the
    job's indices read, at a value other than the catalogue's.

    A coefficient is part of each index's definition: ``L: 0.5`` written for SAVI (its
    customary soil line) also set EVI's L, which EVI defines as 1, so the job published an
    "EVI" of another formula without a word. Under the index's name
    (``{SAVI: {L: 0.5}}``) it is that index's alone; a value equal to the catalogue's
    changes none, and :data:`SHARED_CONSTANTS` and wavelengths are one for all.
    """
    defaults = constant_defaults()
    for key, value in constants.items():
        if isinstance(value, Mapping) or key in SHARED_CONSTANTS or is_wavelength_term(key):
            continue
        readers = [e.name for e in entries if key in _uses(e)]
        default = defaults.get(key)
        if len(readers) < 2 or isinstance(value, bool) or \
                not isinstance(value, int | float) or \
                (default is not None and float(value) == float(default)):
            continue
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        was = f" ({key} = {default:g} in the catalogue)" if isinstance(default, float) else ""
        first, *rest = readers
        raise ConfigError(
            f"indices.constants.{key}: {shown} given once is taken by every index of this "
            f"job that reads {key} ({', '.join(readers)}), and {key} is part of each one's "
            f"definition{was}; give it under the index meant, e.g. indices.constants: "
            f"{{{first}: {{{key}: {shown}}}}}, and under {' or '.join(rest)} too where "
            f"that index's {key} is meant to change as well")


def _refuse_constants_for_bands(entry: IndexEntry, band_map: Mapping[str, str],
                                values: Mapping[str, float | str | None],
                                given: set[str]) -> None:
    """Refuse a custom formula's name that is a catalogue constant differing from a band
    only in case, left at its default: ``(n - R) / (n + R)`` read spyndex's constant
    ``n`` = 5 for band ``N``, ``g - N`` EVI's gain 2.5 for band ``G``, without a word.
    A constant given in ``indices.constants`` is taken as meant."""
    folded = {b.lower(): b for b in band_map}
    for n in variables(entry.expr):
        band = folded.get(n.lower())
        if band is None or n == band or n not in values or n in given:
            continue
        value = values[n]
        shown = f" = {value:g}" if isinstance(value, float) else ""
        raise ConfigError(
            f"index {entry.name!r} ({entry.formula}): {n!r} is the catalogue constant "
            f"{n}{shown}, not band {band!r} (names are case-sensitive); write {band} for "
            f"the band, or set indices.constants.{n} to use the constant")


def _band_key(name: str) -> str:
    """A sensor band's name compared as written by hand: case, zero padding and a spelled
    out ``band`` aside (``B8``, ``b08``, ``B08``, ``band8`` and ``Band_08`` are one: ENVI's
    and the ASTER literature's band math write ``(band4 + band6) / band5``)."""
    spelled = re.sub(r"^band_?(?=\d)", "B", name, flags=re.IGNORECASE)
    return re.sub(r"(?<=[A-Za-z])0+(?=\d)", "", spelled).upper()


def _name_split_by_formula(name: str, key: str, entries: Sequence[IndexEntry]) -> str:
    """The message for a key of ``indices.bands`` or ``indices.constants`` that is no name
    a formula can hold (``SWIR-1``, ``red.edge``, ``swir 1``) and that a formula writes;
    ``""`` for any other key.

    ``bands: {SWIR-1: swir}`` with ``custom: {X: "SWIR-1 / R"}`` was "no index uses
    'SWIR-1'", of a band the next line uses: a formula reads ``SWIR-1`` as ``SWIR`` minus
    1, so the name can never be read, and nothing said why or what to write.
    """
    if name.isidentifier():
        return ""
    writing = [e for e in entries if e.source == "custom" and name in e.formula]
    if not writing:
        return ""
    entry = writing[0]
    fixed = re.sub(r"\W", "_", name)
    if not fixed.isidentifier():
        fixed = f"_{fixed}"
    read = " as more than one name"
    try:
        tree = ast.parse(name, mode="eval").body
    except SyntaxError:
        tree = None
    if isinstance(tree, ast.BinOp):  # SWIR-1: SWIR - 1
        read = f" as {ast.unparse(tree)}"
    return (f"indices.{key}.{name}: index {entry.name!r} ({entry.formula}) writes {name!r}, "
            f"which a formula reads{read}, not as one name (a "
            "name in a formula is letters, digits and '_'); rename it "
            f"{fixed} in indices.{key} and in the formula")


def _refuse_unused_names(entries: Sequence[IndexEntry], bands: Mapping[str, str],
                         glob: Mapping[str, float | str], known_constants: set[str], *,
                         sensor_bands: Mapping[str, str] | None = None) -> None:
    """A key of ``indices.bands`` or ``indices.constants`` that is no common band name or
    constant and that no formula uses was a typo passed over: ``bands: {RED: B04}`` left
    R on the sensor's band, ``constants: {l: 0.5}`` left SAVI's L at 1, without a word.

    A key of ``bands`` that is the sensor's own name of a band (``sensor_bands``: common
    name -> the sensor's variable) is told its common name: ``bands: {B8: nir_layer}`` on
    Sentinel-2 was asked "did you mean 'B'?", the blue band, which the hint's fix then
    replaced by the near infrared without a word.
    """
    used = {v for e in entries for v in variables(e.expr)}
    common = set(common_band_names())
    for key, known, what in (("bands", common, bands), ("constants", known_constants, glob)):
        for name in what:
            if name in used or name in known:
                continue
            allowed = sorted(known | (used & common if key == "bands" else used - common))
            near = [a for a in allowed if a.lower() == name.lower()
                    or a == _SPELLED_BANDS.get(name.upper())] or \
                difflib.get_close_matches(name, allowed, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            split = _name_split_by_formula(name, key, entries)
            if split:
                raise ConfigError(split)
            held = [(c, v) for c, v in (sensor_bands or {}).items()
                    if key == "bands" and _band_key(v) == _band_key(name)]
            if held:  # 'B8' or 'b08' for Sentinel-2's B08: the sensor's own band name
                meant, band = held[0]
                said = "the sensor's own name of" if band == name else \
                    f"the sensor's band {band!r}, read as"
                hint = (f"{name!r} is {said} common band {meant!r}: write {meant}: "
                        f"{what[name]}; ")
            raise ConfigError(
                f"indices.{key}.{name}: no index uses {name!r} ({hint}names here: "
                f"{', '.join(allowed)})")


def _lacking_band(entry: IndexEntry, band: str, sensor: SensorConfig,
                  band_map: Mapping[str, str]) -> str:
    """The message for an index that reads a common band ``band`` the sensor has no band
    for (Landsat 7's coastal aerosol, Sentinel-2's ASTER SWIR band 6): the old one, "map it
    with indices.bands", sent users to map another band of the sensor under that name, so
    the index read a wavelength it was not defined for, without a word."""
    having = [s for s in sensors_with(band) if s != sensor.name]
    published = (f"; {entry.name} is published for {', '.join(entry.platforms)}"
                 if entry.platforms and sensor.name not in entry.platforms else "")
    other = (f"compute {entry.name} on a sensor that has the band ("
             f"indices.sensor: {' or '.join(having)})" if having
             else "choose another sensor")
    title = f"{sensor.title} ({sensor.name!r})" if sensor.title else repr(sensor.name)
    return (f"index {entry.name!r} ({entry.formula}) needs band {band!r} ({band_words(band)}), "
            f"which {title} does not have{published}: {other}, or leave {entry.name} out of "
            f"the job (the sensor's bands: {', '.join(sorted(band_map))}); only if the cube "
            f"holds that band of another instrument, map it with indices.bands.{band}")


def _index_read_as_band(entry: IndexEntry, name: str,
                        indices: Mapping[str, IndexEntry]) -> str | None:
    """The message for a formula that reads another index (``E: "D * 2"`` beside ``D: "N -
    R"``, or ``NDVI * 2``) by its name, as though it were a band; ``None`` where ``name``
    names no index.

    It was "needs band 'D', which sensor 'sentinel2' does not map; map it with
    indices.bands.D: <cube variable>": a fix that maps some layer under the index's name,
    so the formula reads that layer, not the index.
    """
    other = indices.get(name)
    if other is None:  # 'ndvi * 2': the index in another case
        folded = [e for n, e in indices.items() if n.lower() == name.lower()]
        other = folded[0] if len(folded) == 1 else None
    if other is None or other.name == entry.name:
        return None
    whose = ("another index of this job" if other.source == "custom"
             else "a catalogue index")
    inlined = _text(substitute(entry.expr, {name: other.expr}))
    said = repr(name) if other.name == name else f"{name!r} ({other.name} in another case)"
    where = (f"indices.custom.{entry.name}" if entry.source == "custom"
             else f"the formula of {entry.name}")
    return (f"index {entry.name!r} ({entry.formula}) reads {said}, {whose} "
            f"({other.formula}), as a band: a formula reads bands and constants, not other "
            f"indices; write {other.name}'s formula in its place in {where}: {inlined} "
            f"(or, where a source makes a layer of that name, map it with indices.bands."
            f"{name}: <cube variable>)")


def _refuse_constant_through_mapping(entry: IndexEntry, resolved: Expr,
                                     used_bands: Mapping[str, str],
                                     sensor: SensorConfig) -> None:
    """Refuse an index that is one number only because two of its bands are read from one
    variable: Landsat 8's ``N`` and ``N2`` are both ``B5`` (OLI has one near-infrared
    band), so ``(N - N2) / (N + N2)`` is 0 and ``N * R / (R * N2)`` 1 in every cell; the
    formula was judged on its common names, and only a part minus or over itself was
    warned of when the bands were read (round 17), another shape not at all.

    Raises
    ------
    ConfigError
        The resolved formula is constant (:func:`constant_value`) and two of its bands
        share a variable.
    """
    shared: dict[str, list[str]] = {}
    for common, variable in used_bands.items():
        shared.setdefault(variable, []).append(common)
    twice = {v: c for v, c in shared.items() if len(c) > 1}
    if not twice:
        return
    constant = constant_value(resolved)
    if constant is None:
        return
    mapped = "; ".join(f"{' and '.join(c)} all read its variable {v!r}"
                       for v, c in twice.items())
    names = [c for commons in twice.values() for c in commons[1:]]
    raise ConfigError(
        f"index {entry.name!r} ({entry.formula}) is {constant:g} wherever its bands hold "
        f"data, whatever their values, on sensor {sensor.name!r}: {mapped}, so the index "
        "does not follow the bands; "
        + (f"fix the formula in indices.custom.{entry.name} (use one of them) or "
           if entry.source == "custom" else "")
        + "map " + " and ".join(f"indices.bands.{n}" for n in names)
        + " to a variable of its own")


def _given_names(names: object) -> list[str]:
    """``names`` as a list of text, read once: a generator of names
    (``(n for n in wanted)``) was read by the name check and then found empty, and
    :func:`~prospect.indices.compute_indices` returned an empty dataset without a word;
    ``None``, ``[5]`` or ``["NDVI", None]`` ended in ``TypeError`` or ``AttributeError``
    (round 56).

    Raises
    ------
    ConfigError
        Naming the value that is no index name.
    """
    if names is None or isinstance(names, Mapping | bytes) \
            or not isinstance(names, Iterable):
        raise ConfigError(
            f"indices.names: {names!r} ({type(names).__name__}) is no list of index names; "
            "give the catalogue's names as text, e.g. ['NDVI', 'CLAY_HYDROXYL'] (an empty "
            "list with custom formulas only)")
    listed = list(names)
    for n in listed:
        if not isinstance(n, str):
            raise ConfigError(
                f"indices.names: {n!r} ({type(n).__name__}) is no index name; give the "
                f"catalogue's names as text, e.g. ['NDVI'] (names given: {listed!r})")
    return listed


def _check_mappings(**given: object) -> None:
    """Refuse ``custom``, ``bands`` or ``constants`` that is no mapping, or whose key is no
    text: ``custom="N - R"``, ``bands="B04"`` or ``constants=[("L", 0.5)]`` ended in
    ``AttributeError: ... has no attribute 'items'``, ``custom={1: "N - R"}`` in ``'int'
    object has no attribute 'lower'``, and ``custom={"X": 5}`` was "empty formula"
    (round 56).

    Raises
    ------
    ConfigError
        Naming the argument, the value and the form it takes.
    """
    forms = {"custom": "{'X': '(N - R) / (N + R)'}", "bands": "{'R': 'B04', 'N': 'B08'}",
             "constants": "{'L': 0.5} or {'SAVI': {'L': 0.5}}"}
    for arg, value in given.items():
        if value is None:
            continue
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"indices.{arg}: {value!r} ({type(value).__name__}) is no mapping; give "
                f"{arg} as a dict, e.g. {arg}={forms[arg]}")
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigError(
                    f"indices.{arg}: the key {key!r} ({type(key).__name__}) is no name; "
                    f"give the keys as text, e.g. {arg}={forms[arg]}")
            if arg == "custom" and not isinstance(item, str):
                raise ConfigError(
                    f"indices.custom.{key}: {item!r} ({type(item).__name__}) is no formula; "
                    "give it as text over the common band names, e.g. "
                    f"custom={{{key!r}: '(N - R) / (N + R)'}}")


def _refuse_unnamed_variables(bands: Mapping[str, object]) -> None:
    """Refuse a band mapping whose variable is no name (text): ``bands={"R": 3}`` (the
    band's number in a dataset made by ``to_dataset(dim='band')``) ended in
    ``AttributeError: 'int' object has no attribute 'lower'``, ``{"R": ["B04"]}`` in
    ``TypeError: unhashable type`` (round 56; a job's config refuses them when it loads).

    Raises
    ------
    ConfigError
        Naming the common band, the value and the fix.
    """
    for common, variable in bands.items():
        if isinstance(variable, str) and variable:
            continue
        numbered = (" (a dataset of bands numbered 1, 2, ..., as to_dataset(dim='band') "
                    "makes one, is renamed first: ds.rename({3: 'B04', ...}))"
                    if isinstance(variable, int) and not isinstance(variable, bool) else "")
        raise ConfigError(
            f"indices.bands.{common}: {variable!r} is no variable name; map the common band "
            f"name to the name of the variable holding it, as text (bands={{{common!r}: "
            f"'B04'}}){numbered}")


def _give_constant(name: str, unit: str = "") -> str:
    """How to give constant ``name`` (``PAR``), in a job's config and to
    :func:`~prospect.indices.compute_indices`: the fix was "set indices.constants.PAR in the
    job config", a job's key, said to a library caller passing ``constants=`` (round 56)."""
    value = f"<{unit}>" if unit else "<value>"
    return (f"set indices.constants.{name} in a job's config, or pass "
            f"constants={{{name!r}: {value}}} to compute_indices")


def _constant_meaning(name: str) -> str:
    """`` (Photosynthetically Active Radiation)``: the catalogue's description of constant
    ``name``, or ``""``."""
    import json

    from prospect.indices.catalogue import _DATA

    said = json.loads((_DATA / "constants.json").read_text(encoding="utf-8")).get(name, {})
    description = said.get("description") if isinstance(said, dict) else None
    return f" ({description})" if description else ""


def _wavelength_missing(entry: IndexEntry, term: str, sensor: SensorConfig) -> str:
    """Why ``entry`` cannot read the wavelength ``term`` (``lambdaN``) on ``sensor``: the
    sensor maps no such band, or its file gives the band no ``wavelength_nm`` (a site's
    own sensor file written with variables alone). It was "the sensor mapping gives no
    wavelength for that band; set indices.constants.lambdaN", naming neither the sensor
    nor the band, nor the fix in the sensor's file."""
    band = term[len("lambda"):]
    mapped = sensor.bands.get(band)
    if mapped is None:
        return (f"index {entry.name!r} ({entry.formula}) reads the wavelength {term!r} of "
                f"band {band!r}, which sensor {sensor.name!r} does not map (its bands: "
                f"{', '.join(sorted(sensor.bands))}); compute {entry.name} on a sensor that "
                "has the band, or leave it out of the job")
    return (f"index {entry.name!r} ({entry.formula}) reads the central wavelength {term!r} "
            f"of band {band!r} ({mapped.variable}), which sensor {sensor.name!r} gives no "
            f"'wavelength_nm' for; add 'wavelength_nm: <nm>' to bands.{band} in the sensor's "
            f"file (the band's central wavelength in nanometres), or "
            f"{_give_constant(term, 'nm')}")


def _refuse_undefined_on_data(entry: IndexEntry, expr: Expr,
                              used_consts: Mapping[str, float | str]) -> None:
    """Refuse a custom index that is infinite or NaN wherever its reflective bands hold
    data (:func:`undefined_on_data`): a divisor that is 0 for every value of its bands
    (``0 * N``, ``N - N`` inside a product), or a root, fractional power or log of a part
    that is negative wherever the bands are positive (``(-N) ** 0.5``). Such a formula
    planned and ran ingest; the layer was then NaN in every cell.

    Raises
    ------
    ConfigError
        Naming the index, its formula and the fix.
    """
    from prospect.indices.ranges import reflective_band

    given = ", ".join(f"{k} = {v:g}" for k, v in used_consts.items() if not isinstance(v, str))
    least = beyond_float32_on_data(expr, reflective_band)
    if least is not None:  # N * 1e300 * 1e300: an overflow, not a 0 divisor or a root
        reached = (f"at least {least:.3g}" if math.isfinite(least) else
                   "infinite, beyond float64's 1.8e+308 too")
        raise ConfigError(
            f"index {entry.name!r} ({entry.formula}) lies beyond float32's "
            f"{FLOAT32_MAX:.2g}, the largest number an index layer holds, wherever its bands "
            "hold reflectance (positive values)" + (f" (with {given})" if given else "")
            + f" (computed in float64: {reached}), so every cell would be NaN (no data): "
            "a factor or power too large for the bands' values; give the index in a "
            "smaller unit (a smaller factor in the formula), or fix the formula in "
            f"indices.custom.{entry.name}")
    if not undefined_on_data(expr, reflective_band):
        return
    raise ConfigError(
        f"index {entry.name!r} ({entry.formula}) is infinite or NaN (no data) wherever its "
        "bands hold reflectance (positive values)" + (f" (with {given})" if given else "")
        + ": a divisor that is 0 whatever the bands (a factor of 0), or a square root, "
        "log or fractional power of a part that is negative wherever they are positive, "
        "so every cell would be NaN; fix the formula in "
        f"indices.custom.{entry.name}")


def _plan_one(entry: IndexEntry, sensor: SensorConfig, band_map: Mapping[str, str],
              values: Mapping[str, float | str | None], known_bands: set[str], *,
              refuse_undefined: bool = False,
              indices: Mapping[str, IndexEntry] | None = None) -> PlannedIndex:
    expr = entry.expr
    from_data = values.get("sigma") == SIGMA_FROM_DATA
    kernel_terms = [n for n in variables(expr) if is_kernel_term(n) and n not in values]
    kernels = {n: _rbf(*kernel_bands(n, known_bands), sigma_from_data=from_data)
               for n in kernel_terms}
    expr = substitute(expr, kernels)
    used_consts: dict[str, float | str] = {}
    if from_data and kernel_terms:
        used_consts["sigma"] = "0.5 * (a + b) per pixel (Camps-Valls et al. 2021)"
    used_bands: dict[str, str] = {}
    for n in variables(expr):
        if n in values or is_wavelength_term(n):
            value = values.get(n)
            if isinstance(value, str):
                raise ConfigError(f"index {entry.name!r}: 'sigma: {value}' applies to kernel "
                                  "indices (kNDVI...) only")
            if value is None and is_wavelength_term(n):
                raise ConfigError(_wavelength_missing(entry, n, sensor))
            if value is None:
                raise ConfigError(
                    f"index {entry.name!r} needs constant {n!r}{_constant_meaning(n)} but "
                    f"it has no default; {_give_constant(n)}"
                )
            used_consts[n] = value
        elif n in band_map:
            used_bands[n] = band_map[n]
        else:
            hint = _NOT_BANDS.get(n.lower(), "")
            cased = [b for b in band_map if b.lower() == n.lower()]
            if cased and not hint:  # 'r' for R: band names are case-sensitive
                hint = f" (band names are case-sensitive: did you mean {cased[0]!r}?)"
            held = [(c, v) for c, v in band_map.items() if _band_key(v) == _band_key(n)]
            if held and not hint:  # 'B8' or 'B08': the sensor's own band name
                c, v = held[0]
                hint = (f" (the sensor's band {v!r} is read under its common name {c!r} "
                        f"in a formula: write {c})")
            if not hint and band_words(n):
                raise ConfigError(_lacking_band(entry, n, sensor, band_map))
            reads_index = None if hint else _index_read_as_band(entry, n, indices or {})
            if reads_index:
                raise ConfigError(reads_index)
            if n.lower() in _NOT_BANDS:  # 'nan', 'pi', 'sin': no band to map
                raise ConfigError(
                    f"index {entry.name!r} ({entry.formula}) needs band {n!r}{hint}, which "
                    "is no band to map in indices.bands; fix the formula in "
                    + (f"indices.custom.{entry.name}" if entry.source == "custom"
                       else "the catalogue"))
            raise ConfigError(
                f"index {entry.name!r} ({entry.formula}) needs band {n!r}{hint}, which sensor "
                f"{sensor.name!r} does not map; map it with indices.bands.{n}: <cube variable>"
                f" or choose another sensor (available bands: {', '.join(sorted(band_map))})"
            )
    if not used_bands:
        raise FormulaError(
            f"index {entry.name!r}: formula {entry.formula!r} reads no band; an index must "
            f"use at least one band such as N or R"
        )
    renamed: dict[str, float | Expr] = {k: v for k, v in used_consts.items()
                                        if not isinstance(v, str)}
    zero = _zero_divisors(expr, {k: v for k, v in renamed.items() if isinstance(v, float)})
    if zero:
        given = ", ".join(f"{n} = {used_consts[n]:g}" for n in zero)
        raise ConfigError(
            f"index {entry.name!r} ({entry.formula}): with {given} a divisor is 0 whatever the "
            "bands, so every cell would be infinite or NaN; change "
            + " or ".join(f"indices.constants.{n}" for n in zero)
            + (" (or the sensor's band wavelengths)" if any(map(is_wavelength_term, zero))
               else ""))
    powers = constant_powers(substitute(expr, renamed))
    if powers:  # always: NaN (no data) became 1, whatever the caller asks
        given = ", ".join(f"{k} = {v:g}" for k, v in used_consts.items()
                          if not isinstance(v, str))
        raise ConfigError(
            f"index {entry.name!r} ({entry.formula}): {'; '.join(powers)}"
            + (f" (with {given})" if given else "")
            + ", and 1 where they hold no data (NaN), so the index would not follow the "
            "bands; " + (f"fix the formula in indices.custom.{entry.name}"
                         if entry.source == "custom" else "check indices.constants"))
    same = self_cancelling(expr) if entry.source == "custom" and refuse_undefined else []
    if same:  # '(N - N) / (N + R)': a layer of 0 where the bands hold data, no word
        raise ConfigError(
            f"index {entry.name!r} ({entry.formula}): {'; '.join(same)}, so that part "
            "does not follow the bands (a typo for another band?); fix the formula in "
            f"indices.custom.{entry.name}")
    judged = refuse_undefined or entry.source != "custom"
    constant = constant_value(substitute(expr, renamed)) if judged else None
    if constant is not None:  # 'N * 0', WDRVI with alpha 0: one number in every cell
        given = ", ".join(f"{k} = {v:g}" for k, v in used_consts.items()
                          if not isinstance(v, str))
        raise ConfigError(
            f"index {entry.name!r} ({entry.formula}) is {constant:g} wherever its bands hold "
            "data, whatever their values" + (f" (with {given})" if given else "")
            + ", so the index does not follow the bands; "
            + (f"fix the formula in indices.custom.{entry.name} (a factor of 0, or a part "
               "that cancels another?)" if entry.source == "custom" else
               "give " + (" or ".join(f"indices.constants.{k}" for k in used_consts)
                          or "indices.constants") + " another value"))
    undefined = undefined_parts(substitute(expr, renamed)) if refuse_undefined else []
    if undefined:
        raise ConfigError(
            f"index {entry.name!r} ({entry.formula}): {'; '.join(undefined)}, whatever the "
            "bands, so every cell would be NaN (no data); "
            + (f"fix the formula in indices.custom.{entry.name}" if entry.source == "custom"
               else "check indices.constants"))
    if refuse_undefined and entry.source == "custom":
        _refuse_undefined_on_data(entry, substitute(expr, renamed), used_consts)
    renamed.update({common: Var(variable) for common, variable in used_bands.items()})
    resolved = fold_constants(substitute(expr, renamed))
    if refuse_undefined:  # a job's: '(N - N2) / (N + N2)' on Landsat 8, N and N2 both B5
        _refuse_constant_through_mapping(entry, resolved, used_bands, sensor)
    return PlannedIndex(
        name=entry.name, long_name=entry.long_name, formula=entry.formula, expr=resolved,
        bands=tuple(used_bands.items()), constants=tuple(used_consts.items()),
        source=entry.source, valid_range=entry.valid_range, reference=entry.reference,
    )
