"""Helpers shared by the ingest tests (imported by name; the test folders are not packages)."""

from __future__ import annotations

import numpy as np

from prospect.grid import RegionGrid

CRS = "EPSG:32619"
LEFT, TOP = 500_000.0, 1_500_000.0


def ramp(shape: tuple[int, int], *, dtype: str = "float32") -> np.ndarray:
    """A smooth, non-symmetric test surface."""
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    return (0.01 * xx + 0.003 * yy + 0.1).astype(dtype)


def assemble(layer: object, grid: RegionGrid) -> np.ndarray:
    """Compute every chunk of ``layer`` and stitch the full array (what the cube would hold)."""
    out = np.empty(grid.shape, dtype=layer.dtype)  # type: ignore[attr-defined]
    for w in grid.chunk_windows():
        block = layer.compute(grid, w)  # type: ignore[attr-defined]
        assert block.shape == w.shape
        out[w.rows, w.cols] = block
    return out
