"""Ingest: sources (rasters, vector geology, point tables) onto the region grid, chunk by chunk.

Public facade; see :mod:`prospect.ingest.plan` for the flow. Every source becomes one or
more :class:`~prospect.ingest.layers.Layer` objects; a layer computes one chunk at a time
(reading only what the chunk needs) and is written resumably into the cube by
:mod:`prospect.io.cube`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names the facade serves, for type checkers
    from prospect.ingest.geology import GeologyCodesLayer, LineDistanceLayer, plan_vector
    from prospect.ingest.landsat import calibration, read_mtl
    from prospect.ingest.layers import Layer
    from prospect.ingest.plan import ingest_chunk, ingest_layer, plan_source, start_layer
    from prospect.ingest.products import read_product_metadata
    from prospect.ingest.rasters import SENSOR_BANDS, RasterLayer, plan_raster
    from prospect.ingest.stac import read_stac_scenes
    from prospect.ingest.surfaces import (
        DistanceToPointLayer,
        IdwLayer,
        KrigingLayer,
        plan_points,
    )
    from prospect.io.warp import choose_resampling

# Lazy facade (PEP 562): importing one ingest module (a composite, say) does not import
# every kind of source and its libraries (geopandas, pykrige, zarr).
_HOME = {
    "GeologyCodesLayer": "geology", "LineDistanceLayer": "geology", "plan_vector": "geology",
    "calibration": "landsat", "read_mtl": "landsat",
    "Layer": "layers",
    "ingest_chunk": "plan", "ingest_layer": "plan", "plan_source": "plan",
    "start_layer": "plan", "read_product_metadata": "products",
    "SENSOR_BANDS": "rasters", "RasterLayer": "rasters", "plan_raster": "rasters",
    "read_stac_scenes": "stac",
    "DistanceToPointLayer": "surfaces", "IdwLayer": "surfaces", "KrigingLayer": "surfaces",
    "plan_points": "surfaces",
}


def __getattr__(name: str) -> Any:
    if name == "choose_resampling":
        from prospect.io.warp import choose_resampling

        return choose_resampling
    if name in _HOME:
        return getattr(importlib.import_module(f"prospect.ingest.{_HOME[name]}"), name)
    raise AttributeError(f"module 'prospect.ingest' has no attribute {name!r}")


__all__ = [
    "SENSOR_BANDS",
    "DistanceToPointLayer",
    "GeologyCodesLayer",
    "IdwLayer",
    "KrigingLayer",
    "Layer",
    "LineDistanceLayer",
    "RasterLayer",
    "calibration",
    "choose_resampling",
    "ingest_chunk",
    "ingest_layer",
    "plan_points",
    "plan_raster",
    "plan_source",
    "plan_vector",
    "read_mtl",
    "read_product_metadata",
    "read_stac_scenes",
    "start_layer",
]
