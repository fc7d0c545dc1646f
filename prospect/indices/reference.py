"""Reference backend: formula trees evaluated with any array-API namespace.

Written once against the array API standard, so it runs on numpy, cupy,
``array_api_strict`` and any other compliant namespace (found with
:func:`array_namespace`). It is the semantic reference the fused kernels are tested
against: inputs are promoted to float64, the tree is evaluated with IEEE semantics
(division by zero gives +-inf or NaN, NaN propagates), a ratio at the root of the tree is
divided in float32 from operands rounded to float32 (as in every backend; see
:func:`prospect.indices.codegen.root_division`), non-finite float32 results become NaN
("undefined"), and the output is float32.

A power is computed as the fused kernels compute it (:func:`_power`): ``x ** 0.5`` is
``sqrt(x)``, ``x ** 1`` is ``x``, ``x ** 2``, ``** 3`` and ``** 4`` are products, and any
other power, whether its exponent is a number or reads a band (``N ** R``), is the C
library's ``pow`` on numpy arrays (numpy's own ``power`` is a SIMD routine that differs
from it in the last bit of about 5 % of float64 results, enough to move a float32 result
by one ulp now and then). On numpy the reference and the numba kernel therefore agree bit
for bit; other namespaces (cupy, ``array_api_strict``) use their own ``pow``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prospect.errors import FormulaError
from prospect.indices.codegen import nodata_literals, root_division
from prospect.indices.formula import BinOp, Call, Const, Expr, Neg, Var

__all__ = ["array_namespace", "evaluate", "evaluate_many"]


def array_namespace(*arrays: Any) -> Any:
    """The array-API namespace of ``arrays`` (numpy, cupy, array_api_strict...)."""
    first = arrays[0]
    module = type(first).__module__.split(".")[0]
    if module == "cupy":
        import cupy

        return cupy
    if hasattr(first, "__array_namespace__"):
        return first.__array_namespace__()
    import numpy

    return numpy


def _astype(x: Any, dtype: Any, xp: Any) -> Any:
    if hasattr(xp, "astype"):
        return xp.astype(x, dtype)
    return x.astype(dtype)  # cupy < 14 has no namespace-level astype


def _numpy_dtype(x: Any) -> Any:
    import numpy

    name = str(x.dtype).rsplit(".", 1)[-1]  # array_api_strict prints 'array_api_strict.float32'
    return numpy.dtype(name)


def _pow(a: Any, b: Any, xp: Any) -> Any:
    return (xp.pow if hasattr(xp, "pow") else xp.power)(a, b)


def _eval(expr: Expr, env: Mapping[str, Any], xp: Any) -> Any:
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Var):
        if expr.name not in env:
            raise FormulaError(f"no input array for {expr.name!r}")
        return env[expr.name]
    if isinstance(expr, Neg):
        return -_eval(expr.operand, env, xp)
    if isinstance(expr, BinOp):
        a, b = _eval(expr.left, env, xp), _eval(expr.right, env, xp)
        if expr.op == "+":
            return a + b
        if expr.op == "-":
            return a - b
        if expr.op == "*":
            return a * b
        if expr.op == "/":
            return a / b
        return _power(a, b, xp)
    if isinstance(expr, Call):
        args = [_eval(a, env, xp) for a in expr.args]
        return _call(expr.func, args, xp)
    raise FormulaError(f"unknown formula node {expr!r}")  # pragma: no cover


def _as_array(value: Any, like: Any, xp: Any) -> Any:
    if isinstance(value, float):
        return xp.full_like(like, value)
    return value


_LIBM_POW: Any = None


def _libm_pow(a: Any, b: Any) -> Any:
    """``pow`` of the C library, element by element, on float64 numpy arrays: what the
    numba kernel calls (compiled once, cached on disk)."""
    global _LIBM_POW
    if _LIBM_POW is None:
        import numba

        def pow_(x: float, y: float) -> float:
            return x ** y  # pragma: no cover - compiled

        _LIBM_POW = numba.vectorize(["float64(float64, float64)"], nopython=True,
                                    cache=True)(pow_)
    return _LIBM_POW(a, b)


def _power(a: Any, b: Any, xp: Any) -> Any:
    """``a ** b``: on float64 numpy arrays (the reference semantics) in the fused kernels'
    forms (see the module and :func:`prospect.indices.codegen._int_power`): small integer
    and square-root powers are products and ``sqrt``, every other one the C library's
    ``pow``; elsewhere (other namespaces, the benchmark's plain float32 peer) the
    namespace's own ``**``, as before."""
    import numpy

    if isinstance(a, float) and isinstance(b, float):
        return float(_libm_pow(a, b))
    like = b if isinstance(a, float) else a
    if xp is numpy and isinstance(like, numpy.ndarray) and like.dtype == numpy.float64 \
            and (isinstance(b, float) or b.dtype == numpy.float64):
        if isinstance(b, float) and b in (0.5, 1.0, 2.0, 3.0, 4.0):
            if b == 0.5:
                return numpy.sqrt(a)
            if b == 1.0:
                return a
            square = a * a
            return square if b == 2.0 else square * a if b == 3.0 else square * square
        return _libm_pow(a, b)
    if isinstance(b, float) and b == 2.0:
        return a * a
    if isinstance(a, float):
        return _pow(_as_array(a, b, xp), b, xp)
    if isinstance(b, float):
        return a ** b
    return _pow(a, b, xp)


def _call(func: str, args: Sequence[Any], xp: Any) -> Any:
    arrays = [a for a in args if not isinstance(a, float)]
    if not arrays:  # constant arguments only: fold_constants leaves none, but be total
        import numpy

        return float(getattr(numpy, func)(*args))
    like = arrays[0]
    args = [_as_array(a, like, xp) for a in args]
    if func in ("minimum", "maximum"):
        a, b = args
        pick = xp.minimum(a, b) if func == "minimum" else xp.maximum(a, b)
        return xp.where(xp.isnan(a) | xp.isnan(b), xp.asarray(xp.nan, dtype=a.dtype), pick)
    return getattr(xp, func)(args[0])


def evaluate(expr: Expr, env: Mapping[str, Any], *, xp: Any = None,
             dtype: str = "float32", keep_overflow: bool = False) -> Any:
    """Evaluate one tree over the arrays in ``env`` (variable name -> array).

    Parameters
    ----------
    expr
        A resolved formula tree (see :func:`prospect.indices.plan.plan_indices`).
    env
        Input arrays by variable name, all the same shape.
    xp
        Array namespace; found from the inputs when ``None``.
    dtype
        Output dtype name (``float32`` or ``float64``).
    keep_overflow
        Keep an infinite result as it is, a value beyond float64 (an overflow: NaN stays
        NaN), told from one undefined (0 / 0, a log of a negative); a division by 0 or a
        log of 0 (numpy's divide flag), whose infinity is no overflow, raises
        :class:`FloatingPointError` instead (numpy only).

    Returns
    -------
    array
        The index, non-finite values replaced by NaN (infinite ones kept under
        ``keep_overflow``).
    """
    return evaluate_many([expr], env, xp=xp, dtype=dtype, keep_overflow=keep_overflow)[0]


def evaluate_many(exprs: Sequence[Expr], env: Mapping[str, Any], *, xp: Any = None,
                  dtype: str = "float32", compute_dtype: str | None = "float64",
                  nodata: float | None = None, keep_overflow: bool = False) -> list[Any]:
    """Evaluate several trees over the same inputs (each input promoted once).

    ``compute_dtype=None`` computes in the inputs' own dtype (plain numpy-style evaluation,
    used as a peer in the benchmark); the default float64 is the reference semantics.
    ``nodata``: an input value read as NaN, compared in each input's own dtype.
    ``keep_overflow``: see :func:`evaluate`
    (:func:`~prospect.indices.ranges.beyond_float32` tells an overflow by it).
    """
    if not env:
        raise FormulaError("no input arrays: every formula needs at least one band")
    arrays = list(env.values())
    xp = xp if xp is not None else array_namespace(*arrays)
    if compute_dtype is None:
        wide = dict(env)
    else:
        wide = {k: _astype(v, getattr(xp, compute_dtype), xp) for k, v in env.items()}
    literals = nodata_literals(nodata, [_numpy_dtype(v) for v in env.values()])
    for (k, v), literal in zip(env.items(), literals, strict=True):
        if literal is not None:
            value = float(literal.replace("math.inf", "inf"))
            wide[k] = xp.where(_astype(v, xp.float64, xp) == value,
                               xp.asarray(xp.nan, dtype=wide[k].dtype), wide[k])
    like = next(iter(wide.values()))
    out_dtype = getattr(xp, dtype)
    results = []
    import numpy

    # IEEE results are wanted; affects numpy only
    with numpy.errstate(all="ignore", divide="raise" if keep_overflow else "ignore"):
        for expr in exprs:
            parts = root_division(expr) if compute_dtype is not None else None
            if parts is None:
                value = _astype(_as_array(_eval(expr, wide, xp), like, xp), out_dtype, xp)
            else:  # a ratio at the root: float32 division of rounded operands (all backends)
                num, den = (_astype(_as_array(_eval(e, wide, xp), like, xp), out_dtype, xp)
                            for e in parts)
                value = num / den
            results.append(value if keep_overflow else xp.where(
                xp.isfinite(value), value, xp.asarray(xp.nan, dtype=value.dtype)))
    return results
