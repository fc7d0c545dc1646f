"""Safe formula compiler: index formulas parsed with :mod:`ast` into a small expression tree.

A formula is an arithmetic expression over band and constant names, e.g.
``"(N - R) / (N + R + L) * (1.0 + L)"``. It is parsed with :func:`ast.parse` in ``eval``
mode and walked against a whitelist; any other syntax (attributes, subscripts, lambdas,
comparisons, strings, unknown functions, keyword arguments...) is refused with a
:class:`~prospect.errors.FormulaError` naming the token and the formula. The formula text
is never executed: every backend works from the :class:`Expr` tree built here.

Allowed: numbers, names (``[A-Za-z_][A-Za-z0-9_]*``), ``+ - * / **``, unary ``-``/``+``,
parentheses and the functions in :data:`FUNCTIONS`.
"""

from __future__ import annotations

import ast
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
    return _convert(tree.body, formula, name, 0)


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


def _refuse_non_ascii(formula: str, name: str) -> None:
    """Refuse a character outside ASCII: Python reads identifiers in NFKC form, so a
    formula's ``ℕ`` or full-width ``Ｒ`` silently became band ``N`` or ``R``; a typeset
    minus or times sign was a bare "invalid character"."""
    import unicodedata

    for column, char in enumerate(formula, start=1):
        if ord(char) < 128:
            continue
        meant = _LOOKALIKES.get(char) or unicodedata.normalize("NFKC", char)
        hint = (f"write {meant!r}" if meant.isascii() and meant.strip()
                else "use ASCII band names, numbers and + - * / **")
        raise FormulaError(
            f"index {name!r}: character {char!r} (U+{ord(char):04X}) at column {column} of "
            f"formula {_shown(formula)} is not ASCII; {hint}"
        )


def _refuse(node: ast.AST, formula: str, name: str, why: str) -> FormulaError:
    return FormulaError(
        f"index {name!r}: {why} {_token(node)!r} is not allowed in formula {formula!r}; "
        f"allowed are numbers, band/constant names, + - * / **, parentheses and "
        f"{', '.join(sorted(FUNCTIONS))}"
    )


def _convert(node: ast.AST, formula: str, name: str, depth: int) -> Expr:
    if depth > _MAX_DEPTH:
        raise FormulaError(f"index {name!r}: formula {_shown(formula)} is nested too deeply "
                           f"(at most {_MAX_DEPTH} levels; each operator of a chain such as "
                           "a + b + c and each function call is one level): group long sums "
                           "in parentheses, e.g. (a + b) + (c + d)")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _refuse(node, formula, name, "constant")
        try:
            number = float(value)
        except OverflowError:  # an integer literal beyond float64: was an internal error
            raise _refuse(node, formula, name, "constant beyond float64's range") from None
        if not math.isfinite(number):
            raise _refuse(node, formula, name, "non-finite constant")
        return Const(number)
    if isinstance(node, ast.Name):
        return Var(node.id)
    if isinstance(node, ast.UnaryOp):
        operand = _convert(node.operand, formula, name, depth + 1)
        if isinstance(node.op, ast.USub):
            return Const(-operand.value) if isinstance(operand, Const) else Neg(operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        raise _refuse(node, formula, name, "operator")
    if isinstance(node, ast.BinOp):
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise _refuse(node, formula, name, "operator in")
        return BinOp(op, _convert(node.left, formula, name, depth + 1),
                     _convert(node.right, formula, name, depth + 1))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise _refuse(node.func, formula, name, "function")
        if node.keywords:
            raise _refuse(node, formula, name, "keyword argument in")
        arity = FUNCTIONS[node.func.id]
        if len(node.args) != arity or any(isinstance(a, ast.Starred) for a in node.args):
            raise FormulaError(
                f"index {name!r}: {node.func.id}() takes {arity} argument(s) in formula "
                f"{formula!r}"
            )
        return Call(node.func.id,
                    tuple(_convert(a, formula, name, depth + 1) for a in node.args))
    raise _refuse(node, formula, name, "expression")


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
