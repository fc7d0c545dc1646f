"""Spectral and mineral indices: catalogue, band mappings, safe formulas, fused kernels.

Public API::

    from prospect.indices import compute_indices, list_indices
    out = compute_indices(cube, ["NDVI", "CLAY_HYDROXYL", "FERROUS_IRON"], sensor="sentinel2")

Formulas are parsed with :mod:`ast` against a whitelist (:mod:`.formula`) and computed by
one of the backends, all from the same tree: the array-API reference (:mod:`.reference`),
a fused numba CPU kernel (:mod:`.numba_backend`) or a fused cupy GPU kernel
(:mod:`.cupy_backend`), block by block over dask arrays (:mod:`.blocks`).
"""

from prospect.indices.api import available_on, compute_indices, list_indices
from prospect.indices.bands import list_sensors, load_sensor
from prospect.indices.blocks import BACKENDS
from prospect.indices.catalogue import CATALOGUE_VERSION, IndexEntry, load_catalogue
from prospect.indices.formula import parse_formula
from prospect.indices.plan import IndexPlan, plan_indices

__all__ = [
    "BACKENDS",
    "CATALOGUE_VERSION",
    "IndexEntry",
    "IndexPlan",
    "available_on",
    "compute_indices",
    "list_indices",
    "list_sensors",
    "load_catalogue",
    "load_sensor",
    "parse_formula",
    "plan_indices",
]
