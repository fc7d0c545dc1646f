"""Versions of Python, Prospect and the libraries whose behaviour shapes its outputs."""

from __future__ import annotations

import platform
from importlib import metadata

__all__ = ["LIBRARIES", "library_versions"]

LIBRARIES: tuple[str, ...] = (
    "prospect", "numpy", "scipy", "dask", "distributed", "xarray", "zarr", "rasterio",
    "rioxarray", "pyproj", "geopandas", "scikit-learn", "skops", "numba", "skl2onnx",
    "onnxruntime",
)


def library_versions() -> dict[str, str]:
    """Python's version and each of :data:`LIBRARIES` (``"not installed"`` when absent)."""
    versions = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = "not installed"
    return versions
