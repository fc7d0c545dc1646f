"""Generate fused-kernel source from formula trees (shared by the numba and cupy backends).

The source is built only from the validated :class:`~prospect.indices.formula.Expr` trees:
inputs become positional locals ``v0, v1, ...``, numbers are written with ``repr(float)``,
and the only operators and functions are the whitelisted ones. No text a user wrote is
copied into it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from prospect.indices.formula import BinOp, Const, Expr, Neg, Var

__all__ = ["c_expr", "c_index", "nodata_literals", "py_expr", "py_index", "root_division"]

_PY_FUNCS = {"sqrt": "math.sqrt", "abs": "abs", "exp": "math.exp", "log": "_log",
             "log10": "_log10", "minimum": "_nanmin", "maximum": "_nanmax"}
_C_FUNCS = {"sqrt": "sqrt", "abs": "fabs", "exp": "exp", "log": "log", "log10": "log10",
            "minimum": "_pmin", "maximum": "_pmax"}


def _py_const(value: float) -> str:
    if math.isnan(value):
        return "math.nan"
    if math.isinf(value):
        return "math.inf" if value > 0 else "(-math.inf)"
    return f"({value!r})"


def _int_power(base: str, exponent: float, sqrt: str = "math.sqrt") -> str | None:
    """Fast forms of common powers, else ``None``.

    Small integer powers become helper calls (``_p2(x)`` = ``x * x``) and ``x ** 0.5``
    becomes ``sqrt(x)``, as numpy does for ``**`` with those exponents. ``sqrt`` differs from
    ``pow(x, 0.5)`` only at -0.0 (sign of a zero result) and -inf (NaN instead of inf, and
    non-finite results are stored as NaN anyway).
    """
    if exponent == 0.5:
        return f"{sqrt}({base})"
    if exponent == 1.0:
        return base
    if exponent in (2.0, 3.0, 4.0):
        return f"_p{int(exponent)}({base})"
    return None


def py_expr(expr: Expr, names: dict[str, str]) -> str:
    """Python (numba) source of ``expr``; ``names`` maps input variables to locals."""
    if isinstance(expr, Const):
        return _py_const(expr.value)
    if isinstance(expr, Var):
        return names[expr.name]
    if isinstance(expr, Neg):
        return f"(-{py_expr(expr.operand, names)})"
    if isinstance(expr, BinOp):
        left = py_expr(expr.left, names)
        if expr.op == "**" and isinstance(expr.right, Const):
            fast = _int_power(left, expr.right.value)
            if fast is not None:
                return fast
        right = py_expr(expr.right, names)
        if expr.op == "**":
            return f"_pow({left}, {right})"
        return f"({left} {expr.op} {right})"
    args = ", ".join(py_expr(a, names) for a in expr.args)
    return f"{_PY_FUNCS[expr.func]}({args})"


def _c_const(value: float) -> str:
    if math.isnan(value):
        return "_NAN"
    if math.isinf(value):
        return "_INF" if value > 0 else "(-_INF)"
    return f"({value!r})"


def c_expr(expr: Expr, names: dict[str, str]) -> str:
    """CUDA C (double precision) source of ``expr``; ``names`` maps inputs to locals."""
    if isinstance(expr, Const):
        return _c_const(expr.value)
    if isinstance(expr, Var):
        return names[expr.name]
    if isinstance(expr, Neg):
        return f"(-{c_expr(expr.operand, names)})"
    if isinstance(expr, BinOp):
        left = c_expr(expr.left, names)
        if expr.op == "**" and isinstance(expr.right, Const):
            fast = _int_power(left, expr.right.value, sqrt="sqrt")
            if fast is not None:
                return fast
        right = c_expr(expr.right, names)
        if expr.op == "**":
            return f"pow({left}, {right})"
        return f"({left} {expr.op} {right})"
    args = ", ".join(c_expr(a, names) for a in expr.args)
    return f"{_C_FUNCS[expr.func]}({args})"


def local_names(inputs: Sequence[str]) -> dict[str, str]:
    """Input variable -> generated local name (``v0``, ``v1``, ...)."""
    return {name: f"v{i}" for i, name in enumerate(inputs)}


def root_division(expr: Expr) -> tuple[Expr, Expr] | None:
    """``(numerator, denominator)`` when the index is a ratio at its root, else ``None``.

    Every backend computes such a final division in float32 from float64 operands rounded
    to float32 (intermediates stay float64): the float32 result then carries at most about
    1.5 ulp of error instead of 0.5, and the division vectorises twice as wide.
    """
    if isinstance(expr, BinOp) and expr.op == "/":
        return expr.left, expr.right
    return None


def py_index(expr: Expr, names: dict[str, str]) -> str:
    """numba source of one index's value as a float32 expression (see :func:`root_division`)."""
    parts = root_division(expr)
    if parts is not None:
        return f"np.float32({py_expr(parts[0], names)}) / np.float32({py_expr(parts[1], names)})"
    return f"np.float32({py_expr(expr, names)})"


def c_index(expr: Expr, names: dict[str, str]) -> str:
    """CUDA C source of one index's value as a float expression (see :func:`root_division`).

    ``_d2f`` rounds a double to float32 and ``_fdiv`` divides two float32 values, both IEEE
    with subnormals (the cupy backend's preamble defines them).
    """
    parts = root_division(expr)
    if parts is not None:
        return f"_fdiv(_d2f({c_expr(parts[0], names)}), _d2f({c_expr(parts[1], names)}))"
    return f"_d2f({c_expr(expr, names)})"


def nodata_literals(nodata: float | None, dtypes: Sequence[object]) -> list[str | None]:
    """The no-data value as each input's dtype holds it, written as a float64 literal.

    Comparing in the input's own precision (``float32(0.1)``, not ``0.1``) is what numpy
    does for ``array == 0.1``; ``None`` (no literal) for inputs that cannot hold the value.
    """
    import numpy as np

    out: list[str | None] = []
    for dtype in dtypes:
        if nodata is None or math.isnan(nodata):
            out.append(None)
            continue
        kind = np.dtype(dtype)  # type: ignore[call-overload]
        if kind.kind in "iu" and (float(nodata) != int(nodata)
                                  or not np.iinfo(kind).min <= nodata <= np.iinfo(kind).max):
            out.append(None)
            continue
        value = float(kind.type(nodata)) if kind.kind == "f" else float(int(nodata))
        out.append(repr(value) if math.isfinite(value) else
                   ("math.inf" if value > 0 else "(-math.inf)"))
    return out
