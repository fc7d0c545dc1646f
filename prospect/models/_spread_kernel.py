"""The per-tree accumulation of :func:`prospect.models.uncertainty._member_spread`, compiled.

One pass over a tree's leaf indices adds each row's leaf probability and its square to the
running sums, in place. In numpy that is a gather into a temporary, an add, a square into
another temporary and a second add: four passes and two arrays per tree and block, about
5 % of a random forest's prediction of a 256 x 256 block. The arithmetic is the same IEEE
double operations in the same order (no fused multiply-add, no reassociation), so the
sums are bit for bit the ones numpy gives. Compiled once and cached on disk by numba.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["accumulate_leaves"]


@numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")
def accumulate_leaves(values: np.ndarray, leaves: np.ndarray, total: np.ndarray,
                      total_sq: np.ndarray) -> None:  # pragma: no cover - compiled
    """``total += values[leaves]`` and ``total_sq += values[leaves] ** 2``, in place."""
    for i in range(leaves.shape[0]):
        p = values[leaves[i]]
        total[i] += p
        total_sq[i] += p * p
