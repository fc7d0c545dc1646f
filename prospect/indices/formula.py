"""Safe formula compiler: index formulas parsed with :mod:`ast` into a small expression tree.

A formula is an arithmetic expression over band and constant names, e.g.
``"(N - R) / (N + R + L) * (1.0 + L)"``. It is parsed with :func:`ast.parse` in ``eval``
mode and walked against a whitelist; any other syntax (attributes, subscripts, lambdas,
comparisons, strings, unknown functions, keyword arguments...) is refused with a
:class:`~prospect.errors.FormulaError` naming the token and the formula. The formula text
is never executed: every backend works from the :class:`Expr` tree built here.

Allowed: numbers, names (``[A-Za-z_][A-Za-z0-9_]*``), ``+ - * / **``, unary ``-``/``+``,
parentheses and the functions in :data:`FUNCTIONS`. A cast to a floating-point type, as
band math copied from ENVI (``float(b4)``), ArcGIS (``Float(...)``) or numpy
(``N.astype(float)``, ``float32(N)``) writes it, is read as its operand (:data:`CASTS`):
every backend computes in floating point already.
"""

from __future__ import annotations

import ast
import builtins
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from prospect.errors import FormulaError

__all__ = [
    "FUNCTIONS",
    "BinOp",
    "Call",
    "Const",
    "Expr",
    "Neg",
    "Var",
    "parse_formula",
    "substitute",
    "variables",
]

FUNCTIONS: dict[str, int] = {
    "sqrt": 1,
    "abs": 1,
    "exp": 1,
    "log": 1,
    "log10": 1,
    "minimum": 2,
    "maximum": 2,
}
"""Whitelisted functions and their arity (NaN-propagating ``minimum``/``maximum``)."""

CASTS = frozenset({"float", "double", "float32", "float64", "single", "float_",
                   "as_float", "to_float"})
"""Casts to a floating-point type (compared case-blind: ENVI's ``float(b4)``, ArcGIS's
``Float("B4")``, IDL's ``double()``, numpy's ``np.float32(N)``), and ``astype``'s
arguments that name one (``N.astype(float)``, ``b4.astype('float32')``, ``'f8'``): read as
their operand, since every backend computes in floating point (the integer division
they guard against in ENVI and ArcGIS never happens here). They were refused, ``float``
as a "numpy, math or Python function that no index formula calls" and ``Float``,
``double`` or ``float32`` as "if 'Float' is a band, a product is written with '*'"."""

_CAST_DTYPES = frozenset({"f4", "f8", "float", "double", "float32", "float64", "single",
                          "float_"})
"""``astype``'s arguments (a name, ``np.<name>`` or a string) that name a float type."""

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}
_MAX_LENGTH = 4000
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Const:
    """A numeric literal."""

    value: float


@dataclass(frozen=True)
class Var:
    """A band or constant name."""

    name: str


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True)
class BinOp:
    """A binary operation; ``op`` is one of ``+ - * / **``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    """A call of a whitelisted function."""

    func: str
    args: tuple[Expr, ...]


Expr = Const | Var | Neg | BinOp | Call
"""A node of a parsed formula."""


def _token(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every node parse can make
        return type(node).__name__


def parse_formula(formula: str, *, name: str = "formula") -> Expr:
    """Parse ``formula`` into an :class:`Expr` tree, refusing anything off the whitelist.

    Parameters
    ----------
    formula
        Arithmetic expression over band and constant names.
    name
        Index name, used in error messages.

    Returns
    -------
    Expr
        The expression tree (integers become floats).

    Raises
    ------
    FormulaError
        Naming the index, the offending token and the formula.
    """
    if not isinstance(formula, str) or not formula.strip():
        raise FormulaError(f"index {name!r}: empty formula; write e.g. '(N - R) / (N + R)'")
    if len(formula) > _MAX_LENGTH:
        raise FormulaError(
            f"index {name!r}: formula is {len(formula)} characters; the limit is {_MAX_LENGTH}"
        )
    _refuse_non_ascii(formula, name)
    if "#" in formula:  # Python's comment: the rest of the formula was dropped
        raise FormulaError(
            f"index {name!r}: '#' at column {formula.index('#') + 1} of formula "
            f"{_shown(formula)}: a formula holds no comments (the text after '#' would be "
            "dropped); write the comment in the YAML file after the value")
    # line breaks (a YAML block scalar) and tabs read as spaces, column for column
    text = "".join(" " if c.isspace() else c for c in formula)
    lead = len(text) - len(text.lstrip())
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(
            f"index {name!r}: cannot parse formula {_shown(formula)}: "
            f"{_syntax_where(text, exc, lead)}; use numbers, band names, + - * / ** and "
            "parentheses") from None
    except (RecursionError, MemoryError):
        # Python's parser gives up on thousands of unary signs or chained powers (a
        # RecursionError or MemoryError, which reached the user as an internal error)
        raise FormulaError(
            f"index {name!r}: formula {_shown(formula)} is nested too deeply for Python's "
            f"parser (at most {_MAX_DEPTH} levels are allowed); write it without repeated "
            "signs or chained powers"
        ) from None
    expr = _convert(tree.body, formula, name, 0, lead)
    _refuse_doubled_signs(text, formula, name)
    return expr


_DOUBLED_SIGN = re.compile(r"--|\+-|-\+")
"""Two signs written together: Python reads ``N -- R`` as ``N - (-R)``, a sum."""


def _refuse_doubled_signs(text: str, formula: str, name: str) -> None:
    """Refuse two signs written together (``N -- R``, ``N +- R``): Python reads them as a
    sign of the operand, so ``N -- R`` (LaTeX's en dash, a key pressed twice) computed
    ``N + R`` and ``N +- R`` (a ``±``) computed ``N - R``, without a word. ``N - -R``,
    written apart, and ``N - (-R)`` are taken as written."""
    found = _DOUBLED_SIGN.search(text)
    if found is None:
        return
    pair = found.group()
    reads = "a plus (minus minus)" if pair == "--" else "a minus"
    fix = ("write - for a difference (LaTeX's '--' is an en dash, a minus in a formula), "
           "or -(-x) where the double sign is meant" if pair == "--" else
           "write - for a difference; a formula is one number per cell, without a '±'")
    raise FormulaError(
        f"index {name!r}: {pair!r} at column {found.start() + 1} of formula "
        f"{_shown(formula)} reads as {reads}, not as written; {fix}")


def _implied_product(node: ast.Call, formula: str, lead: int) -> str:
    """The fix for a bracket written after a number, a bracket or a band (``2(N + R)``,
    ``(N - R)(N + R)``, ``N(R)``), which Python reads as a call of what stands before it:
    the product with ``*``; ``""`` where the call's text is not on one line."""
    start = node.col_offset + lead
    end = (node.end_col_offset or 0) + lead
    after = (node.func.end_col_offset or 0) + lead
    bracket = formula.find("(", after, end)
    if bracket < 0 or getattr(node, "end_lineno", 1) != 1:
        return ""
    product = f"{formula[start:bracket].rstrip()} * {formula[bracket:end]}"
    return f"a product is written with '*': write {' '.join(product.split())}"


def _syntax_where(text: str, exc: SyntaxError, lead: int) -> str:
    """Python's reason for a syntax error and where in the formula as written: the column
    and the text on either side, or that the formula ends too early (Python's offset 0 or
    past the end: ``N +`` was "invalid syntax at column 0")."""
    reason = exc.msg.split(". Perhaps")[0]
    column = (exc.offset or 0) + lead if (exc.lineno or 1) == 1 else 0
    body = text.rstrip()
    if not exc.offset or column > len(body):
        last = body.split()[-1] if body.split() else ""
        return (f"{reason}: the formula ends after {last!r}; an operand or a closing "
                "parenthesis is missing")
    before, after = text[:column - 1].rstrip(), text[column - 1:].strip()
    hint = ""
    dotted = re.search(r"(?<![\w.])[A-Za-z_]\w*(?:\.\w+)+", text)
    if dotted and re.search(r"\.\d", dotted.group()):  # 'nir.2': a band named with a dot
        name = dotted.group()
        return (f"{reason}: a formula cannot read {name!r} as one name (a name in a formula "
                "is letters, digits and '_'): where it names a band, write "
                f"{name.replace('.', '_')} here and in indices.bands")
    if "decimal literal" in reason:  # '2N': a number and a name run together
        run = re.search(r"(?<![\w.])(\d+\.?\d*(?:[eE][-+]?\d+)?)([A-Za-z_]\w*)", text)
        if run:
            hint = (f"; a number and a name run together ({run.group(0)!r}): write "
                    f"{run.group(1)} * {run.group(2)}")
    elif before and (before[-1].isalnum() or before[-1] in "_.)") and (
            after[:1].isalnum() or after[:1] in "_(."):
        hint = f"; an operator (+ - * / **) is missing before {after.split()[0]!r}"
    shown = f"after {before[-20:]!r}, at {after[:20]!r}" if before else f"at {after[:20]!r}"
    return f"{reason} at column {column} ({shown}){hint}"


def _shown(formula: str, limit: int = 80) -> str:
    """``formula`` quoted for a message, cut to ``limit`` characters."""
    return repr(formula if len(formula) <= limit else formula[:limit] + "...")


_LOOKALIKES = {"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "*", "\u22c5": "*",
               "\u00b7": "*", "\u00f7": "/", "\u2215": "/"}
"""Non-ASCII operators a word processor or a paper writes, and the ASCII one meant."""


def _superscript(char: str) -> bool:
    """Whether ``char`` is a superscript (``²``, ``³``, ``⁻``, ``⁽``...): Unicode's
    ``<super>`` compatibility form."""
    import unicodedata

    return unicodedata.decomposition(char).startswith("<super>")


def _power_hint(formula: str, start: int) -> str:
    """The fix for the superscript at ``formula[start]``: the power it writes, with ``**``.

    Told "write '2'" (its NFKC digit), ``N²`` became ``N2``: another band's name (Sentinel-2's
    narrow near infrared, ``N2``), a formula that loads and computes without a word.
    """
    import unicodedata

    end = start
    while end < len(formula) and _superscript(formula[end]):
        end += 1
    power = "".join(_LOOKALIKES.get(c, c) for c in
                    unicodedata.normalize("NFKC", formula[start:end]))
    power = power if power.isascii() and power.strip() else "2"
    base = formula[:start].rstrip()
    if base.endswith("**"):  # ``R ** ²``: the power is written already
        return f"write {power!r}"
    power = power if power.isdigit() else f"({power})"
    name = re.search(r"[A-Za-z0-9_.]+$", base)
    operand = "(...)" if base.endswith(")") else name.group() if name else "x"
    return (f"a superscript is a power: write {operand} ** {power}; written as a plain "
            "digit it joins the name before it (N2, another band)")


def _refuse_non_ascii(formula: str, name: str) -> None:
    """Refuse a character outside ASCII: Python reads identifiers in NFKC form, so a
    formula's ``ℕ`` or full-width ``Ｒ`` silently became band ``N`` or ``R``; a typeset
    minus or times sign was a bare "invalid character"."""
    import unicodedata

    for column, char in enumerate(formula, start=1):
        if ord(char) < 128:
            continue
        meant = _LOOKALIKES.get(char) or unicodedata.normalize("NFKC", char)
        hint = (_power_hint(formula, column - 1) if _superscript(char) else
                f"write {meant!r}" if meant.isascii() and meant.strip()
                else "use ASCII band names, numbers and + - * / **")
        raise FormulaError(
            f"index {name!r}: character {char!r} (U+{ord(char):04X}) at column {column} of "
            f"formula {_shown(formula)} is not ASCII; {hint}"
        )


def _refuse(node: ast.AST, formula: str, name: str, why: str, *, lead: int = 0,
            column: int | None = None, hint: str = "") -> FormulaError:
    """The error for a node off the whitelist: what it is, its column in the formula as
    written (``lead``: the blanks Python's parse did not see) and, when known, the fix."""
    offset = getattr(node, "col_offset", None)
    end = getattr(node, "end_col_offset", None)
    if column is None and offset is not None:
        column = offset + lead + 1
    token = (" ".join(formula[offset + lead:end + lead].split())
             if offset is not None and end is not None and getattr(node, "lineno", 1) == 1
             and getattr(node, "end_lineno", 1) == 1 else _token(node))
    where = f" at column {column}" if column is not None else ""
    fix = f"; {hint}" if hint else ""
    return FormulaError(
        f"index {name!r}: {why} {token or _token(node)!r}{where} is not allowed in formula "
        f"{formula!r}{fix}; allowed are numbers, band/constant names, + - * / **, "
        f"parentheses and {', '.join(sorted(FUNCTIONS))}"
    )


_OPERATOR_FIXES: dict[type[ast.AST], tuple[str, str]] = {
    ast.BitXor: ("^", "write ** for a power (N ** 2); '^' is Python's bitwise xor"),
    ast.FloorDiv: ("//", "write / (a floor division drops the fraction of a ratio)"),
    ast.Mod: ("%", "a remainder is no index operation; write / for a ratio"),
    ast.MatMult: ("@", "write * for a product"),
    ast.BitAnd: ("&", "write * for a product, or minimum(a, b)"),
    ast.BitOr: ("|", "write maximum(a, b)"),
    ast.LShift: ("<<", "write * 2 ** k for a scale"),
    ast.RShift: (">>", "write / 2 ** k for a scale"),
    ast.Invert: ("~", "write - for a negative"),
    ast.Not: ("not", "write 1 - x for a complement"),
}
"""Operators off the whitelist: their symbol as written, and the fix."""

_FUNCTION_FIXES = {
    "ln": "write log(x): log is the natural logarithm",
    "log2": "write log(x) / log(2)", "log1p": "write log(1 + x)",
    "min": "write minimum(a, b)", "max": "write maximum(a, b)",
    "pow": "write a ** b", "power": "write a ** b", "sqr": "write x ** 2 (sqrt(x) is "
    "the square root)", "square": "write x ** 2", "fabs": "write abs(x)",
    "exp10": "write 10 ** x", "amin": "write minimum(a, b)", "amax": "write maximum(a, b)",
    "fmin": "write minimum(a, b)", "fmax": "write maximum(a, b)",
    "hypot": "write sqrt(a ** 2 + b ** 2)", "cbrt": "write x ** (1 / 3)",
    "exp2": "write 2 ** x", "expm1": "write exp(x) - 1", "absolute": "write abs(x)",
    "reciprocal": "write 1 / x", "negative": "write -x", "mean": "write (a + b) / 2",
    "average": "write (a + b) / 2", "float_power": "write a ** b",
}
"""Functions written as another language or library names them, and the whitelist's form."""

_CHOICE_FUNCTIONS = frozenset({"where", "iif", "ifelse", "if_else", "select", "piecewise",
                               "choose", "clip", "clamp"})
"""Functions of a choice between values per cell (``where(N > R, N, R)``, numpy's and
Earth Engine's): refused with :data:`_CHOICE_FIX`, as a comparison is; they were "if
'where' is a band, a product is written with '*': write where * (N > R, N, R)"."""


def _operator_column(node: ast.BinOp, formula: str, symbol: str, lead: int) -> int | None:
    """The column of ``node``'s operator ``symbol`` in ``formula`` as written: the first
    one between its two operands (the ast gives no position for an operator)."""
    start = getattr(node.left, "end_col_offset", None)
    end = getattr(node.right, "col_offset", None)
    if start is None or end is None:
        return None
    found = formula.find(symbol, start + lead, end + lead)
    return found + 1 if found >= 0 else None


def _function_fix(node: ast.AST) -> str:
    """The fix for a call of a function off the whitelist: the whitelist's form
    (``ln`` -> ``log``), a library prefix dropped (``np.log`` -> ``log``), or the nearest
    name (``sqr`` is ``x ** 2``, ``sqrtt`` is ``sqrt``)."""
    import difflib

    called = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    if called in _CHOICE_FUNCTIONS:  # 'where(N > R, N, R)': no band called 'where'
        return _CHOICE_FIX
    if called in _FUNCTION_FIXES:
        return _FUNCTION_FIXES[called]
    if called == "astype":  # 'N.astype(int)': a cast to other than a float type
        return ("an index is computed in floating point: write the band alone (a cast to "
                "an integer type would drop each value's fraction)")
    if called in FUNCTIONS:  # np.log, math.sqrt: no prefixes
        return f"write {called}(...) without the prefix"
    if _library_function(str(called)):  # 'arctan(N)': no band called 'arctan'
        return (f"{called}() is a numpy, math or Python function that no index formula "
                "calls (there are no trigonometric, rounding or other functions beyond "
                "those listed after this): write the index with them")
    near = difflib.get_close_matches(str(called).lower(), list(FUNCTIONS), n=1, cutoff=0.6)
    return f"did you mean {near[0]}()?" if near else ""


def _library_function(called: str) -> bool:
    """Whether ``called`` is a numpy ufunc, a function of Python's ``math`` or a builtin
    (``arctan``, ``sin``, ``floor``, ``tanh``, ``atan2``, ``round``): a function the user
    meant, off the whitelist.
    These were told "if 'arctan' is a band, a product is written with '*': write arctan *
    (N)", as if a band were named after a function."""
    import numpy as np

    return (isinstance(getattr(np, called, None), np.ufunc)
            or callable(getattr(math, called, None))
            or callable(getattr(builtins, called, None)))


def _written_nonzero(node: ast.AST, formula: str, lead: int) -> bool:
    """True when the literal ``node`` is written with a digit other than 0 before its
    exponent (``1e-400``, ``0.5e-330``): a number too small for float64, not a zero."""
    offset = getattr(node, "col_offset", None)
    end = getattr(node, "end_col_offset", None)
    if offset is None or end is None or getattr(node, "end_lineno", 1) != 1:
        return False
    mantissa = re.split("[eE]", formula[offset + lead:end + lead])[0]
    return re.search("[1-9]", mantissa) is not None


def _convert(node: ast.AST, formula: str, name: str, depth: int, lead: int = 0) -> Expr:
    if depth > _MAX_DEPTH:
        raise FormulaError(f"index {name!r}: formula {_shown(formula)} is nested too deeply "
                           f"(at most {_MAX_DEPTH} levels; each operator of a chain such as "
                           "a + b + c and each function call is one level): group long sums "
                           "in parentheses, e.g. (a + b) + (c + d)")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str):  # ArcGIS's and QGIS's raster calculators: '"B08@1"'
            raise _refuse(node, formula, name, "constant", lead=lead,
                          hint=_quoted_name_fix(value))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _refuse(node, formula, name, "constant", lead=lead)
        try:
            number = float(value)
        except OverflowError:  # an integer literal beyond float64: was an internal error
            raise _refuse(node, formula, name, "constant beyond float64's range",
                          lead=lead) from None
        if not math.isfinite(number):
            raise _refuse(node, formula, name, "non-finite constant", lead=lead)
        if number == 0.0 and _written_nonzero(node, formula, lead):
            # '1e-400' is 0.0 to Python: 'N * 1e-400' was 0 in every cell, 'N / 1e-400'
            # "divides by 0" of a constant written as no zero
            raise _refuse(node, formula, name, "constant", lead=lead,
                          hint="it is below float64's smallest number (about 5e-324) and "
                          "reads as 0: write 0 where zero is meant, or a constant of at "
                          "least 1e-300 (scale the formula's other terms instead)")
        return Const(number)
    if isinstance(node, ast.Name):
        return Var(node.id)
    if isinstance(node, ast.UnaryOp):
        operand = _convert(node.operand, formula, name, depth + 1, lead)
        if isinstance(node.op, ast.USub):
            return Const(-operand.value) if isinstance(operand, Const) else Neg(operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        symbol, fix = _OPERATOR_FIXES.get(type(node.op), ("", ""))
        raise _refuse(node, formula, name, f"operator {symbol!r} in" if symbol else
                      "operator", lead=lead, hint=fix)
    if isinstance(node, ast.BinOp):
        op = _BINOPS.get(type(node.op))
        if op is None:
            symbol, fix = _OPERATOR_FIXES.get(type(node.op), ("", ""))
            column = _operator_column(node, formula, symbol, lead) if symbol else None
            raise _refuse(node, formula, name,
                          f"operator {symbol!r} in" if symbol else "operator in",
                          lead=lead, column=column, hint=fix)
        return BinOp(op, _convert(node.left, formula, name, depth + 1, lead),
                     _convert(node.right, formula, name, depth + 1, lead))
    if isinstance(node, ast.Call):
        cast = _cast_operand(node)
        if cast is not None:  # 'float(b4)', 'N.astype(float)': the operand, in floats
            return _convert(cast, formula, name, depth + 1, lead)
        if not isinstance(node.func, ast.Name | ast.Attribute):
            # '2(N + R)', '(N - R)(N + R)': "function '2' is not allowed", of no function
            product = _implied_product(node, formula, lead)
            after = (node.func.end_col_offset or 0) + lead
            bracket = formula.find("(", after)
            raise _refuse(node.func, formula, name, "a bracket after", lead=lead,
                          column=bracket + 1 if bracket >= 0 else None,
                          hint=product or "a product is written with '*'")
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            fix = _function_fix(node.func)
            if not fix and isinstance(node.func, ast.Name) and not node.keywords:
                product = _implied_product(node, formula, lead)  # 'N(R)': a band
                fix = f"if {node.func.id!r} is a band, {product}" if product else ""
            raise _refuse(node.func, formula, name, "function", lead=lead, hint=fix)
        if node.keywords:
            raise _refuse(node, formula, name, "keyword argument in", lead=lead)
        arity = FUNCTIONS[node.func.id]
        if len(node.args) != arity or any(isinstance(a, ast.Starred) for a in node.args):
            raise FormulaError(
                f"index {name!r}: {node.func.id}() at column {node.col_offset + lead + 1} "
                f"takes {arity} argument(s), not {len(node.args)}, in formula {formula!r}"
                + ("; for another base write log(x) / log(b)" if node.func.id == "log" else "")
            )
        return Call(node.func.id,
                    tuple(_convert(a, formula, name, depth + 1, lead) for a in node.args))
    if isinstance(node, ast.Tuple) and node.elts:  # '1,5 * N': a decimal comma
        first = getattr(node.elts[0], "end_col_offset", 0) + lead
        comma = formula.find(",", first)
        raise _refuse(node, formula, name, "comma in", lead=lead,
                      column=comma + 1 if comma >= 0 else None,
                      hint="write decimals with a point (1.5, not 1,5); a formula is one "
                      "expression, without commas outside a function's arguments")
    hint = _CHOICE_FIX if isinstance(node, ast.Compare | ast.IfExp | ast.BoolOp) else ""
    dotted = _dotted_name(node)
    constant = {"pi": repr(math.pi), "e": repr(math.e)}.get(dotted.rpartition(".")[2])
    if constant and dotted.partition(".")[0] in ("np", "numpy", "math"):  # 'np.pi * N'
        hint = f"write the number, {constant}"
    elif dotted:  # 'red.edge / R': a band named with a dot, read as an attribute
        hint = (f"a formula reads {dotted!r} as an attribute, not as one name (a name in a "
                "formula is letters, digits and '_'): where it names a band, write "
                f"{dotted.replace('.', '_')} here and in indices.bands; a product is written "
                "with '*'")
    raise _refuse(node, formula, name, "expression", lead=lead, hint=hint)


def _quoted_name_fix(text: str) -> str:
    """The fix for a band written in quotes, as ArcGIS's Raster Calculator (``"B4"``,
    ``"band4.tif"``) and QGIS's (``"B08@1"``: band 1 of layer B08) name layers: the name
    without quotes, or what a name is. Such a band was "constant '"B08"' is not allowed"
    without a word of the quotes."""
    bare = re.sub(r"@\d+$", "", text.strip())
    bare = re.sub(r"\.(?:tiff?|jp2|img|vrt|nc)$", "", bare, flags=re.IGNORECASE)
    said = (f": write {bare}" if bare.isidentifier() and bare.isascii() else
            ": write its name (letters, digits and '_') without them")
    return ("a band is named without quotes (raster calculators, ArcGIS's and QGIS's, quote "
            f"a layer's name, \"B08@1\"){said} (or the band's common name, N, R, S1, ...; a "
            "variable named otherwise is mapped in indices.bands)")


def _cast_operand(node: ast.Call) -> ast.AST | None:
    """The operand of a cast to a floating-point type (:data:`CASTS`): ``float(x)``,
    ``Float(x)``, ``np.float32(x)``, ``x.astype(float)``, ``x.astype('f8')``; ``None`` for
    any other call (and for a cast given keywords or other than one operand)."""
    if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id.lower() in CASTS:
        return node.args[0]
    if isinstance(func, ast.Attribute) and func.attr == "astype":
        if _dtype_name(node.args[0]).lower() in _CAST_DTYPES:
            return func.value
        return None
    prefix = _dotted_name(func).partition(".")[0]
    if isinstance(func, ast.Attribute) and prefix in ("np", "numpy") \
            and func.attr.lower() in CASTS:
        return node.args[0]
    return None


def _dtype_name(node: ast.AST) -> str:
    """The type ``astype`` is given, as a name: ``float``, ``np.float32`` (``float32``),
    ``'f4'``; ``""`` for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.strip()
    if isinstance(node, ast.Name):
        return node.id
    dotted = _dotted_name(node)
    head, _, attr = dotted.partition(".")
    return attr if head in ("np", "numpy") and "." not in attr else ""


def _dotted_name(node: ast.AST) -> str:
    """``a.b.c`` for an attribute chain over a name (``red.edge``); ``""`` otherwise."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not parts or not isinstance(node, ast.Name):
        return ""
    return ".".join([node.id, *reversed(parts)])


_CHOICE_FIX = ("an index is one number per cell, without comparisons or conditions: for a "
               "cap write minimum(x, 1), for a floor maximum(x, 0), for the larger of two "
               "maximum(a, b)")
"""The fix for a comparison, a conditional or a boolean operator in a formula."""


def _walk(expr: Expr) -> Iterator[Expr]:
    yield expr
    if isinstance(expr, Neg):
        yield from _walk(expr.operand)
    elif isinstance(expr, BinOp):
        yield from _walk(expr.left)
        yield from _walk(expr.right)
    elif isinstance(expr, Call):
        for arg in expr.args:
            yield from _walk(arg)


def variables(expr: Expr) -> list[str]:
    """Names used in ``expr``, in order of first appearance."""
    seen: dict[str, None] = {}
    for node in _walk(expr):
        if isinstance(node, Var):
            seen.setdefault(node.name)
    return list(seen)


def substitute(expr: Expr, values: Mapping[str, float | Expr]) -> Expr:
    """Replace the names in ``values`` by constants (``L`` -> 1.0) or sub-expressions."""
    if isinstance(expr, Var):
        if expr.name not in values:
            return expr
        value = values[expr.name]
        return Const(float(value)) if isinstance(value, int | float) else value
    if isinstance(expr, Neg):
        return Neg(substitute(expr.operand, values))
    if isinstance(expr, BinOp):
        return BinOp(expr.op, substitute(expr.left, values), substitute(expr.right, values))
    if isinstance(expr, Call):
        return Call(expr.func, tuple(substitute(a, values) for a in expr.args))
    return expr
