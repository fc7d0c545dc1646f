"""The vectorised power path of the fused kernel gives the scalar ``pow`` path's bytes."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from prospect.indices import plan_indices
from prospect.indices.formula import parse_formula
from prospect.indices.interval import fast_pow_nodes
from prospect.indices.numba_backend import _load, compute_numba, kernel_source

POWERS = {
    "ROOT3": "N ** 0.3333333333333333",
    "RWI_LIKE": "(G ** 0.36787968862663156 * 0.2 - R) / (G ** 0.36787968862663156 * 0.2 + R)",
    "AVI_LIKE": "(N * (1.0 - R) * (N - R)) ** 0.3333333333333333",
    "SQRT_ABS": "sqrt(N ** 1.5 + R) * abs(G ** 0.7 - 0.5)",
    "MINMAX": "minimum(N ** 0.4, R) - maximum(G ** 2.5, 0.01)",
    "NEG_CUBE": "-(N ** -0.7) + (N ** 0.3 - R) ** 3",
}


def _bands(shape: tuple[int, int], seed: int) -> dict[str, np.ndarray]:
    """Reflectances with every special value a power meets sprinkled in."""
    rng = np.random.default_rng(seed)
    special = np.array([np.nan, 0.0, -0.0, -0.2, -np.inf, np.inf, 1e-39, 1e-45, 3e38,
                        1e-30, 1e30, 1.0, -1.0], np.float32)
    out = {}
    for name in ("N", "R", "G"):
        band = rng.uniform(-0.05, 0.9, shape).astype(np.float32)
        mask = rng.random(shape) < 0.1
        band[mask] = rng.choice(special, int(mask.sum()))
        out[name] = band
    return out


def test_the_formulas_take_the_fast_path(allbands) -> None:
    plan = plan_indices([], custom=POWERS, sensor=allbands)
    assert all(fast_pow_nodes(e) for e in plan.exprs)
    for formula in ("exp(N ** 0.5 + R ** 0.3)", "N ** R", "N ** 5", "2 ** N", "(N ** 0.3) ** 0.3",
                    "((((((N ** 0.3 + R) * G) - R) / G) + R) * G - N) * R"):
        assert not fast_pow_nodes(parse_formula(formula))


def test_fast_powers_are_byte_identical_to_scalar_pow(allbands) -> None:
    nodata = 0.0  # read as NaN, like the NaN sprinkled in
    plan = plan_indices(["NDVI"], custom=POWERS, sensor=allbands)
    bands = _bands((37, 3001), seed=3)  # tiles of 2048 and a ragged last one
    arrays = [bands[v] if v in bands else bands["N"] for v in plan.inputs]
    fast = compute_numba(plan.exprs, plan.inputs, arrays, parallel=False, nodata=nodata)
    slow = compute_numba(plan.exprs, plan.inputs, arrays, parallel=False, nodata=nodata,
                         fast_pow=False)
    for k, name in enumerate(plan.names):
        assert fast[k].tobytes() == slow[k].tobytes(), name
    assert np.isfinite(fast).mean() > 0.3


@pytest.mark.slow
def test_fast_powers_agree_on_a_large_uniform_scene(allbands) -> None:
    plan = plan_indices(["RWI", "AVI", "SI"], custom=POWERS, sensor=allbands)
    rng = np.random.default_rng(8)
    arrays = [rng.uniform(0.0, 1.0, (512, 2048)).astype(np.float32) for _ in plan.inputs]
    fast = compute_numba(plan.exprs, plan.inputs, arrays)
    slow = compute_numba(plan.exprs, plan.inputs, arrays, fast_pow=False)
    assert fast.tobytes() == slow.tobytes()


def test_fpow_bounds_hold_the_c_library_pow_with_a_wide_margin(allbands) -> None:
    plan = plan_indices([], custom={"P": POWERS["ROOT3"]}, sensor=allbands)
    fpow = _load(kernel_source(plan.exprs, plan.inputs))._fpow

    @numba.njit
    def worst_ratio(xs: np.ndarray, c: float) -> tuple[float, int]:
        worst, outside = 0.0, 0
        for x in xs:
            lo, hi, state = fpow(x, c)
            if state != 0:
                continue
            ref = x ** c
            outside += not (lo <= ref <= hi)
            half = 0.5 * (hi - lo)
            worst = max(worst, abs(0.5 * (lo + hi) - ref) / half)
        return worst, outside

    rng = np.random.default_rng(1)
    for c in (0.36787968862663156, 1 / 3, -0.7, 2.5, 1e-3, 17.5):
        span = min(690 / abs(c), 700.0)  # results up to e**690, bases within float64
        xs = np.concatenate([rng.uniform(0.0, 2.0, 200_000),
                             10.0 ** rng.uniform(-300, 300, 200_000),
                             np.exp(rng.uniform(-span, span, 200_000)),
                             1.0 + rng.normal(0.0, 1e-8, 20_000)])
        worst, outside = worst_ratio(xs, c)
        assert outside == 0 and worst < 0.2, (c, worst)  # the bound is 5x the worst error


def test_fpow_states_follow_c99_pow(allbands) -> None:
    plan = plan_indices([], custom={"P": POWERS["ROOT3"]}, sensor=allbands)
    fpow = _load(kernel_source(plan.exprs, plan.inputs))._fpow
    for x, state in ((2.0, 0), (1e-300, 0), (-1.0, 1), (-1e-300, 1), (math.nan, 1),
                     (0.0, 2), (-0.0, 2), (math.inf, 2), (-math.inf, 2), (1e-310, 2)):
        assert fpow(x, 0.3333) [2] == state, x
    assert fpow(1e300, 3.5)[2] == 2  # beyond exp's range: left to the C library


def test_fcbrt_bounds_hold_the_c_library_pow_for_a_third(allbands) -> None:
    """AVI's and SI's ``** 0.3333333333333333`` take the Newton cube root: its interval holds
    the C library's ``pow`` with the exponent as written (not 1/3) over the whole float64
    range, every exponent residue mod 3 and the edges of the mantissa range."""
    plan = plan_indices([], custom={"P": POWERS["ROOT3"]}, sensor=allbands)
    module = _load(kernel_source(plan.exprs, plan.inputs))
    assert "_fcbrt(" in kernel_source(plan.exprs, plan.inputs)
    fcbrt = module._fcbrt

    @numba.njit
    def worst_ratio(xs: np.ndarray) -> tuple[float, int, int]:
        worst, outside, n = 0.0, 0, 0
        for x in xs:
            lo, hi, state = fcbrt(x)
            if state != 0:
                continue
            n += 1
            ref = x ** 0.3333333333333333
            outside += not (lo <= ref <= hi)
            worst = max(worst, abs(0.5 * (lo + hi) - ref) / (0.5 * (hi - lo)))
        return worst, outside, n

    rng = np.random.default_rng(5)
    powers_of_two = np.ldexp(1.0, np.arange(-1022, 1024))
    xs = np.concatenate([rng.uniform(0.0, 2.0, 300_000),
                         10.0 ** rng.uniform(-307.5, 308.0, 300_000),
                         np.exp(rng.uniform(-708.0, 709.0, 300_000)),
                         powers_of_two, np.nextafter(powers_of_two, 0.0),
                         np.nextafter(powers_of_two, np.inf),
                         rng.uniform(0.0, 1.0, 100_000).astype(np.float32).astype(float) ** 3])
    worst, outside, n = worst_ratio(xs)
    assert outside == 0 and worst < 0.2 and n > 0.99 * xs.size, (worst, outside, n)
    for x, state in ((8.0, 0), (1e-300, 0), (-1.0, 1), (math.nan, 1), (0.0, 2), (-0.0, 2),
                     (math.inf, 2), (-math.inf, 2), (1e-310, 2)):
        assert fcbrt(x)[2] == state, x
