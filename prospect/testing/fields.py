"""Spatially correlated random fields and the hidden prospectivity field (pure numpy/scipy)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["correlated_field", "line_distance", "sigmoid"]


def correlated_field(
    shape: tuple[int, int], *, length_cells: float, rng: np.random.Generator
) -> np.ndarray:
    """A zero-mean, unit-variance Gaussian random field with correlation length ``length_cells``."""
    noise = rng.standard_normal(shape)
    field = ndimage.gaussian_filter(noise, sigma=length_cells, mode="wrap")
    field -= field.mean()
    std = field.std()
    return field / std if std > 0 else field


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def line_distance(mask: np.ndarray, resolution: float) -> np.ndarray:
    """Euclidean distance (CRS units) from every cell to the nearest ``True`` cell of ``mask``."""
    if not mask.any():
        return np.full(mask.shape, np.inf)
    return ndimage.distance_transform_edt(~mask) * resolution
