"""Versions of Python, Prospect and the libraries whose behaviour shapes its outputs."""

from __future__ import annotations

import functools
import platform
from importlib import metadata

__all__ = ["LIBRARIES", "library_versions"]

LIBRARIES: tuple[str, ...] = (
    "prospect", "numpy", "scipy", "dask", "distributed", "xarray", "zarr", "rasterio",
    "rioxarray", "pyproj", "geopandas", "scikit-learn", "skops", "numba", "skl2onnx",
    "onnxruntime",
)


def library_versions() -> dict[str, str]:
    """Python's version and each of :data:`LIBRARIES` (``"not installed"`` when absent).

    Read once per process (a copy is returned): the libraries a process has imported do
    not change while it runs, and the package metadata on disk, which a later ``pip
    install`` rewrites, would then name versions this process is not running. Reading it
    costs about 10 ms, which every run's manifest paid again.
    """
    return dict(_installed_versions())


@functools.cache
def _installed_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = "not installed"
    return versions
