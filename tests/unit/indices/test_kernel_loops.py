"""The fused kernel's loop plan: fast powers' loops take plain indices and shared values.

A fast power's loop (``numba_backend.plan_loops``) also computes plain indices and the
shared sub-expressions (``shared_subexpressions``) that later loops read back; the loops
run in order, so a shared value must be computed before any loop reads it. These tests
pin that order and compare the bytes with the kernel without fast powers (every shared
value then computed by ``_fill_shared``, every index in plain loops). SYNTHETIC inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_fast_pow import _bands

from prospect.indices import numba_backend, plan_indices
from prospect.indices.formula import variables
from prospect.indices.interval import fast_pow_nodes
from prospect.indices.numba_backend import compute_numba, plan_loops, shared_subexpressions

# powers reading shared sub-expressions ((N - R) / (N + R), G / R, sqrt(N + G)), and plain
# indices sharing them
FORMULAS = {
    "P_ND": "((N - R) / (N + R) + 1.0) ** 0.37",
    "P_GR": "(G / R) ** 0.3333333333333333 * ((N - R) / (N + R))",
    "P_SQ": "(sqrt(N + G) + R) ** 0.6",
    "A": "((N - R) / (N + R)) * G + G / R",
    "B": "(G / R) - sqrt(N + G) / 2.0",
    "C": "sqrt(N + G) * R",
    "D": "(N - G) / (N + G) * ((N - R) / (N + R))",
    "E": "(N - G) / ((N - R) / (N + R) + 2.0)",
    "F": "G / (N + 0.5)",
    "H": "(N - R) / (N + R + 0.1)",
}


def _plan(allbands):
    return plan_indices([], custom=FORMULAS, sensor=allbands)


def test_shared_values_are_computed_before_any_loop_reads_them(allbands) -> None:
    plan = _plan(allbands)
    shared, rewritten = shared_subexpressions(plan.exprs)
    assert len(shared) == 3
    fast = [fast_pow_nodes(e) for e in rewritten]
    assert sum(fast) == 3
    for per_loop in (None, 4, 2):
        loops, hosted = plan_loops(rewritten, fast, per_loop, shared)
        assert sorted(k for loop in loops for k in loop) == list(range(len(rewritten)))
        placed = [t for host in hosted for t in host]
        assert len(placed) == len(set(placed)) and placed  # each at most once, some hosted
        where = {f"_shared{t}": q for q, host in enumerate(hosted) for t in host}
        for q, (loop, host) in enumerate(zip(loops, hosted, strict=True)):
            assert not host or fast[loop[0]]  # only a fast power's loop computes them
            assert all(not fast[k] for k in loop[1:])
            for k in loop:
                for name in variables(rewritten[k]):
                    assert where.get(name, -1) <= q, (per_loop, loop, name)


@pytest.mark.parametrize("stream", [False, True])
def test_loops_with_fast_powers_give_the_bytes_of_plain_loops(
        allbands, stream: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if stream:  # the streaming path, forced on (rows of a multiple of 16 pixels)
        monkeypatch.setattr(numba_backend, "STREAM_MIN_INDICES", 1)
        monkeypatch.setattr(numba_backend, "STREAM_MIN_BYTES", 1)
        monkeypatch.setattr(numba_backend, "streaming_pays", lambda: True)
    plan = _plan(allbands)
    bands = _bands((23, 2992 if stream else 3001), seed=5)
    arrays = [bands[v] for v in plan.inputs]
    fast = compute_numba(plan.exprs, plan.inputs, arrays, parallel=False, nodata=0.0)
    if stream:
        assert numba_backend.streamable(fast)
    slow = compute_numba(plan.exprs, plan.inputs, arrays, parallel=False, nodata=0.0,
                         fast_pow=False)
    for k, name in enumerate(plan.names):
        assert fast[k].tobytes() == slow[k].tobytes(), name
    assert np.isfinite(fast).mean() > 0.3
