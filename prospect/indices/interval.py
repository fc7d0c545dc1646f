"""Exact vectorised powers for the numba kernel: interval code generation.

Without Intel SVML, LLVM calls the C library's scalar ``pow`` for ``x ** c`` (``c`` not a
small integer or 0.5): about 20 ns a pixel, more than the rest of a 100-index kernel. The
kernel therefore computes such a power with a vectorisable ``exp(c * log(x))``
(:data:`PRELUDE`'s ``_fpow``, relative error far below its stated bound
:data:`POW_REL_ERR`; for the exponent ``0.3333333333333333`` a Newton cube root,
``_fcbrt``, within :data:`CBRT_REL_ERR`) and carries the interval that certainly holds the
C library's result (its error is under 1 ulp) through the rest of the formula with interval
arithmetic: each IEEE operation is monotone in each operand, so rounding the interval's
ends gives an interval that holds the float64 value the scalar code would compute. When
both ends round to the same float32 (the numerator and denominator of a root ratio each),
that float32 is the scalar code's result, bit for bit; otherwise (about one pixel in a
million, and bases that are zero, subnormal, infinite or give huge powers) the pixel is
recomputed with the scalar expression. A finite negative or NaN base gives NaN exactly as
``pow`` does (the exponent is not an integer), and NaN propagates through every operation
allowed above a power, so the result is NaN.

Only formulas whose powers have a constant, non-integer exponent, a power-free base, and
only ``+ - * /``, unary minus, small integer powers, ``sqrt``, ``abs``, ``minimum`` and
``maximum`` above them (at most :data:`MAX_INTERVAL_NODES` nodes, to bound compile time),
take this path; every other formula keeps the scalar code.
"""

from __future__ import annotations

import math

from prospect.indices.codegen import py_expr, root_division
from prospect.indices.formula import BinOp, Call, Const, Expr, Neg

__all__ = ["MAX_INTERVAL_NODES", "POW_REL_ERR", "PRELUDE", "fast_pow_nodes", "interval_index"]

POW_REL_ERR = "1e-14 * (1.0 + abs(y))"
"""Relative error bound used for ``_fpow`` (``y = c * log(x)``), as source text; the
analysis gives about ``2e-15 * (1 + |y|)`` and the unit tests check it on wide samples."""

CBRT_REL_ERR = "1e-13"
"""Relative error bound used for ``_fcbrt`` against the C library's
``pow(x, 0.3333333333333333)``: the Newton result is within about 1.2e-15 of the true cube
root (rounding after the third step), the exponent 0.3333333333333333 is 1/3 - 1.85e-17, so
``pow`` differs from the cube root by at most 1.85e-17 |ln x| <= 1.4e-14, and ``pow`` itself
is within 1 ulp (2.2e-16): 1.6e-14 in all, a 6x margin (checked against the C library in the
tests)."""

_CBRT_EXPONENT = 0.3333333333333333

_LOG_TERMS = 11  # log(m) = 2 atanh(s), |s| <= 0.1716: terms up to s**21 / 21
_EXP_TERMS = 14  # exp(r), |r| <= 0.35: Taylor terms up to r**13 / 13!
_LOG_COEFFS = [1.0 / (2 * k + 1) for k in range(_LOG_TERMS)]
_EXP_COEFFS = [1.0 / math.factorial(k) for k in range(_EXP_TERMS)]


def _estrin(result: str, coeffs: list[float], x: str, indent: str = "    ") -> str:
    """Statements setting ``result`` to the polynomial ``sum(coeffs[k] * x ** k)`` by
    Estrin's scheme: pairs ``a + b * x``, then pairs of those with ``x ** 2``, ``x ** 4``...
    The dependency chain is logarithmic in the degree instead of linear (Horner), so the
    vectorised loop is not held up by the latency of one long chain of multiply-adds; the
    rounding error stays a few ulp, far inside :data:`POW_REL_ERR`."""
    level = [f"{c!r}" for c in coeffs]
    power, lines, k = x, [], 0
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            if i + 1 < len(level):
                name = f"{result}{k}_{i // 2}"
                lines.append(f"{indent}{name} = _fma({level[i + 1]}, {power}, {level[i]})")
                nxt.append(name)
            else:
                nxt.append(level[i])
        level = nxt
        if len(level) > 1:
            lines.append(f"{indent}{result}x{k} = {power} * {power}")
            power = f"{result}x{k}"
        k += 1
    lines.append(f"{indent}{result} = {level[0]}")
    return "\n".join(lines) + "\n"

PRELUDE = f'''

from llvmlite import ir as _ir
from numba import types as _types
from numba.extending import intrinsic as _intrinsic


@_intrinsic
def _bits(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], _ir.IntType(64))
    return _types.int64(_types.float64), codegen


@_intrinsic
def _from_bits(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], _ir.DoubleType())
    return _types.float64(_types.int64), codegen


@_intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c, fused into one rounding where the CPU has a fast FMA (``llvm.fmuladd``),
    else a product and a sum: either way within the error analysis of ``_fpow``."""
    def codegen(context, builder, signature, args):
        f64 = _ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fmuladd", [f64],
                                              _ir.FunctionType(f64, [f64, f64, f64]))
        return builder.call(fn, args)
    return _types.float64(_types.float64, _types.float64, _types.float64), codegen


@numba.njit(inline="always", **_OPTS)
def _fpow(x, c):
    """(lo, hi, state) for x ** c, c a non-integer constant: state 0: lo <= pow(x, c) <= hi;
    1: pow(x, c) is NaN; 2: not computed here (zero, subnormal, infinite, huge result)."""
    b = _bits(x)
    e = (b >> 52) - 1023
    m = _from_bits((b & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = m > 1.4142135623730951
    m = 0.5 * m if big else m
    e = e + 1 if big else e
    s = (m - 1.0) / (m + 1.0)
    z = s * s
{_estrin("p", _LOG_COEFFS, "z")}\
    y = c * (np.float64(e) * 0.6931471805599453 + 2.0 * s * p)
    fast = (x >= 2.2250738585072014e-308) & (x <= 1.7976931348623157e308) & (y > -700.0) \\
        & (y < 700.0)
    y = y if fast else 0.0
    k = np.floor(y * 1.4426950408889634 + 0.5)
    r = (y - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
{_estrin("q", _EXP_COEFFS, "r")}\
    v = q * _from_bits((np.int64(k) + 1023) << 52)
    err = {POW_REL_ERR}
    nan = (x != x) | ((x < 0.0) & (x > -math.inf))
    state = 0 if fast else (1 if nan else 2)
    return v - v * err, v + v * err, state


@numba.njit(inline="always", **_OPTS)
def _fcbrt(x):
    """(lo, hi, state) for x ** 0.3333333333333333 (AVI's and SI's cube root), as
    ``_fpow(x, 0.3333333333333333)`` gives them but without a division, a logarithm or an
    exponential: x = m 2**e with m in [1, 2), e = 3 k + j; r0 = m ** (-1/3) from a quadratic
    (within 0.21 %) times 2 ** (-j / 3); three Newton steps r += r (1 - t r**3) / 3 for
    t = m 2**j (relative error e -> 2 e**2: 2.1e-3, 8.8e-6, 1.6e-10, 5e-20, then rounding);
    x ** (1/3) = t r**2 2**k. See CBRT_REL_ERR for the bound."""
    b = _bits(x)
    ef = np.float64((b >> 52) - 1023)
    m = _from_bits((b & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)
    k = np.floor((ef + 0.5) * 0.3333333333333333)
    j = ef - 3.0 * k
    t = m * (1.0 if j == 0.0 else (2.0 if j == 1.0 else 4.0))
    r = _fma(_fma(0.09161129954645345, m, -0.47790777898397047), m, 1.384274084252581)
    r = r * (1.0 if j == 0.0 else (0.7937005259840998 if j == 1.0 else 0.6299605249474366))
    w = r * r * r
    r = _fma(r * _fma(-t, w, 1.0), 0.3333333333333333, r)
    w = r * r * r
    r = _fma(r * _fma(-t, w, 1.0), 0.3333333333333333, r)
    w = r * r * r
    r = _fma(r * _fma(-t, w, 1.0), 0.3333333333333333, r)
    fast = (x >= 2.2250738585072014e-308) & (x <= 1.7976931348623157e308)
    kk = np.int64(k) if fast else 0
    v = t * r * r * _from_bits((kk + 1023) << 52)
    err = {CBRT_REL_ERR}
    nan = (x != x) | ((x < 0.0) & (x > -math.inf))
    state = 0 if fast else (1 if nan else 2)
    return v - v * err, v + v * err, state


@numba.njit(inline="always", **_OPTS)
def _iadd(al, ah, bl, bh):
    return al + bl, ah + bh


@numba.njit(inline="always", **_OPTS)
def _isub(al, ah, bl, bh):
    return al - bh, ah - bl


@numba.njit(inline="always", **_OPTS)
def _ilo(p1, p2, p3, p4):
    a = p1 if p1 < p2 else p2
    b = p3 if p3 < p4 else p4
    return a if a < b else b


@numba.njit(inline="always", **_OPTS)
def _ihi(p1, p2, p3, p4):
    a = p1 if p1 > p2 else p2
    b = p3 if p3 > p4 else p4
    return a if a > b else b


@numba.njit(inline="always", **_OPTS)
def _imul(al, ah, bl, bh):
    p1 = al * bl
    p2 = al * bh
    p3 = ah * bl
    p4 = ah * bh
    z = (p1 + p2 + p3 + p4) * 0.0  # NaN when any product is NaN or infinite
    return _ilo(p1, p2, p3, p4) + z, _ihi(p1, p2, p3, p4) + z


@numba.njit(inline="always", **_OPTS)
def _idiv(al, ah, bl, bh):
    p1 = al / bl
    p2 = al / bh
    p3 = ah / bl
    p4 = ah / bh
    z = (p1 + p2 + p3 + p4) * 0.0
    z = z if (bl > 0.0) | (bh < 0.0) else math.nan  # a divisor interval holding 0
    return _ilo(p1, p2, p3, p4) + z, _ihi(p1, p2, p3, p4) + z


@numba.njit(inline="always", **_OPTS)
def _isqrt(al, ah):
    return math.sqrt(al), math.sqrt(ah)


@numba.njit(inline="always", **_OPTS)
def _iabs(al, ah):
    z = (al + ah) * 0.0
    lo = al if al >= 0.0 else (-ah if ah <= 0.0 else 0.0)
    hi = ah if al >= 0.0 else (-al if ah <= 0.0 else (-al if -al > ah else ah))
    return lo + z, hi + z


@numba.njit(inline="always", **_OPTS)
def _imin(al, ah, bl, bh):
    return _nanmin(al, bl), _nanmin(ah, bh)


@numba.njit(inline="always", **_OPTS)
def _imax(al, ah, bl, bh):
    return _nanmax(al, bl), _nanmax(ah, bh)
'''
"""numba helpers for the interval path (appended to the kernel module's prelude)."""

_FAST_FORMS = (0.5, 1.0, 2.0, 3.0, 4.0)  # written as sqrt, identity, products (codegen)
_IV_CALLS = {"sqrt": "_isqrt", "abs": "_iabs", "minimum": "_imin", "maximum": "_imax"}
_IV_OPS = {"+": "_iadd", "-": "_isub", "*": "_imul", "/": "_idiv"}


def _is_fast_pow(expr: Expr) -> bool:
    return (isinstance(expr, BinOp) and expr.op == "**" and isinstance(expr.right, Const)
            and math.isfinite(expr.right.value) and expr.right.value not in _FAST_FORMS
            and expr.right.value != math.floor(expr.right.value)
            and not _has_pow(expr.left))


def _has_pow(expr: Expr) -> bool:
    """True when ``expr`` holds a power the scalar code writes as ``_pow``."""
    if isinstance(expr, BinOp):
        if expr.op == "**" and not (isinstance(expr.right, Const)
                                    and expr.right.value in _FAST_FORMS):
            return True
        return _has_pow(expr.left) or _has_pow(expr.right)
    if isinstance(expr, Neg):
        return _has_pow(expr.operand)
    if isinstance(expr, Call):
        return any(_has_pow(a) for a in expr.args)
    return False


def _eligible(expr: Expr) -> bool:
    """Every ``_pow`` in ``expr`` is a fast power under interval-safe operations only."""
    if _is_fast_pow(expr) or not _has_pow(expr):
        return True
    if isinstance(expr, Neg):
        return _eligible(expr.operand)
    if isinstance(expr, BinOp):
        if expr.op == "**":  # a small integer power or sqrt of a subtree holding a power
            return (isinstance(expr.right, Const) and expr.right.value in _FAST_FORMS
                    and _eligible(expr.left))
        return _eligible(expr.left) and _eligible(expr.right)
    if isinstance(expr, Call):
        return expr.func in _IV_CALLS and all(_eligible(a) for a in expr.args)
    return False  # pragma: no cover - leaves hold no power


MAX_INTERVAL_NODES = 8
"""Most nodes above or at a power per formula on this path: each becomes an inlined
interval operation, and compile time grows quickly with them (RWI has 6, AVI and SI 1)."""


def _interval_nodes(expr: Expr) -> int:
    if not _has_pow(expr):
        return 0
    if isinstance(expr, Neg):
        return 1 + _interval_nodes(expr.operand)
    if isinstance(expr, BinOp):
        return 1 + _interval_nodes(expr.left) + _interval_nodes(expr.right)
    if isinstance(expr, Call):
        return 1 + sum(_interval_nodes(a) for a in expr.args)
    return 0  # pragma: no cover - leaves hold no power


def fast_pow_nodes(expr: Expr) -> bool:
    """True when ``expr`` holds a power that :func:`interval_index` computes exactly fast."""
    return (_has_pow(expr) and _eligible(expr)
            and _interval_nodes(expr) <= MAX_INTERVAL_NODES)


class _Gen:
    """Statement writer: interval values become local pairs ``aL{n}, aH{n}``."""

    def __init__(self, names: dict[str, str], indent: str) -> None:
        self.names = names
        self.indent = indent
        self.lines: list[str] = []
        self.states: list[str] = []
        self.pows: dict[Expr, tuple[str, str]] = {}
        self.n = 0

    def _new(self) -> tuple[str, str]:
        self.n += 1
        return f"aL{self.n}", f"aH{self.n}"

    def pair(self, expr: Expr) -> tuple[str, str]:
        """Interval (or point as a pair) of ``expr``, as two local names or expressions."""
        if not _has_pow(expr):
            code = py_expr(expr, self.names)
            self.n += 1
            self.lines.append(f"{self.indent}aP{self.n} = {code}")
            return f"aP{self.n}", f"aP{self.n}"
        if _is_fast_pow(expr):
            assert isinstance(expr, BinOp) and isinstance(expr.right, Const)
            if expr not in self.pows:
                lo, hi = self._new()
                base = py_expr(expr.left, self.names)
                call = (f"_fcbrt({base})" if expr.right.value == _CBRT_EXPONENT
                        else f"_fpow({base}, {expr.right.value!r})")
                self.lines.append(f"{self.indent}{lo}, {hi}, aS{self.n} = {call}")
                self.states.append(f"aS{self.n}")
                self.pows[expr] = (lo, hi)
            return self.pows[expr]
        if isinstance(expr, Neg):
            lo, hi = self.pair(expr.operand)
            out = self._new()
            self.lines.append(f"{self.indent}{out[0]}, {out[1]} = -{hi}, -{lo}")
            return out
        if isinstance(expr, BinOp) and expr.op == "**":
            assert isinstance(expr.right, Const)
            x = self.pair(expr.left)
            if expr.right.value == 0.5:
                return self._call("_isqrt", [x])
            if expr.right.value == 1.0:
                return x
            sq = self._call("_imul", [x, x])
            if expr.right.value == 2.0:
                return sq
            return self._call("_imul", [sq, x] if expr.right.value == 3.0 else [sq, sq])
        if isinstance(expr, BinOp):
            return self._call(_IV_OPS[expr.op], [self.pair(expr.left), self.pair(expr.right)])
        assert isinstance(expr, Call)
        return self._call(_IV_CALLS[expr.func], [self.pair(a) for a in expr.args])

    def _call(self, func: str, args: list[tuple[str, str]]) -> tuple[str, str]:
        out = self._new()
        flat = ", ".join(f"{lo}, {hi}" for lo, hi in args)
        self.lines.append(f"{self.indent}{out[0]}, {out[1]} = {func}({flat})")
        return out


def interval_index(expr: Expr, names: dict[str, str], indent: str) -> list[str]:
    """Statements computing ``t`` (float32) and ``good`` (t is the scalar code's result).

    ``expr`` must satisfy :func:`fast_pow_nodes`.
    """
    gen = _Gen(names, indent)
    parts = root_division(expr)
    roots = [parts[0], parts[1]] if parts is not None else [expr]
    rounded = []
    for k, root in enumerate(roots):
        lo, hi = gen.pair(root)
        gen.lines.append(f"{indent}fL{k} = np.float32({lo})")
        gen.lines.append(f"{indent}fH{k} = np.float32({hi})")
        rounded.append(k)
    value = "fL0 / fL1" if parts is not None else "fL0"
    same = " & ".join(f"(fL{k} == fH{k})" for k in rounded)
    nan = " | ".join(f"({s} == 1)" for s in gen.states)
    slow = " | ".join(f"({s} == 2)" for s in gen.states)
    gen.lines += [
        f"{indent}nan = {nan}",
        f"{indent}t = np.float32(math.nan) if nan else {value}",
        f"{indent}good = nan | ({same} & (not ({slow})))",
    ]
    return gen.lines
