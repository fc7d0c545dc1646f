"""Reproject or resample cube variables to a model's CRS and resolution, chunk by chunk.

Each output chunk is warped by GDAL (:func:`rasterio.warp.reproject`) from the source
window that covers it (plus a margin for the resampling kernel), as one dask task whose
input is just that source window. Memory is bounded by the chunk size, not by the cube.
"""

from __future__ import annotations

import math
from typing import Any

import dask
import dask.array as dsa
import numpy as np
import xarray as xr
from affine import Affine
from rasterio.enums import Resampling
from rasterio.warp import reproject, transform_bounds

from prospect.grid import ChunkWindow, RegionGrid

__all__ = ["reproject_variable", "target_grid"]


def target_grid(
    source: RegionGrid, *, crs: str, resolution: float, chunks: tuple[int, int] | None = None
) -> RegionGrid:
    """The grid in ``crs`` at ``resolution`` that covers ``source``, snapped to whole cells."""
    left, bottom, right, top = transform_bounds(
        source.crs_obj, crs, *source.bounds, densify_pts=21
    )
    res = float(resolution)
    snapped = (math.floor(left / res) * res, math.floor(bottom / res) * res,
               math.ceil(right / res) * res, math.ceil(top / res) * res)
    return RegionGrid(crs=crs, resolution=res, bounds=snapped,
                      chunks=chunks or source.chunks, name=source.name)


def _warp(block: np.ndarray, src_transform: Affine, src_crs: str, dst_transform: Affine,
          dst_crs: str, shape: tuple[int, int], resampling: Resampling,
          nodata: float) -> np.ndarray:
    out = np.full(shape, nodata, dtype=block.dtype)
    if block.size == 0:
        return out
    reproject(
        source=np.ascontiguousarray(block), destination=out, src_transform=src_transform,
        src_crs=src_crs, src_nodata=nodata, dst_transform=dst_transform, dst_crs=dst_crs,
        dst_nodata=nodata, resampling=resampling,
    )
    return out


def _source_window(src: RegionGrid, dst: RegionGrid, window: ChunkWindow,
                   margin: int) -> tuple[slice, slice]:
    t = dst.window_transform(window)
    h, w = window.shape
    left, top = t.c, t.f
    right, bottom = left + w * dst.resolution, top - h * dst.resolution
    sl, sb, sr, st = transform_bounds(dst.crs_obj, src.crs_obj, left, bottom, right, top,
                                      densify_pts=21)
    c0 = math.floor((sl - src.bounds[0]) / src.resolution) - margin
    c1 = math.ceil((sr - src.bounds[0]) / src.resolution) + margin
    r0 = math.floor((src.bounds[3] - st) / src.resolution) - margin
    r1 = math.ceil((src.bounds[3] - sb) / src.resolution) + margin
    r0, r1 = max(0, min(r0, src.height)), max(0, min(r1, src.height))
    c0, c1 = max(0, min(c0, src.width)), max(0, min(c1, src.width))
    return slice(r0, r1), slice(c0, c1)


def reproject_variable(
    data: Any, src: RegionGrid, dst: RegionGrid, *, resampling: Resampling,
    nodata: float = np.nan,
) -> dsa.Array:
    """Lazy ``dst``-shaped dask array of the 2-D ``data`` (on ``src``) warped to ``dst``.

    Parameters
    ----------
    data
        A 2-D numpy or dask array on ``src``.
    src, dst
        Source and target grids.
    resampling
        GDAL resampling.
    nodata
        Value for missing cells (NaN for float data, the fill value for integer codes).
    """
    arr = data if isinstance(data, dsa.Array) else dsa.from_array(np.asarray(data),
                                                                  chunks=src.chunks)
    ratio = max(1.0, dst.resolution / src.resolution)
    margin = math.ceil(ratio) + 2
    rows: list[list[dsa.Array]] = []
    current: list[dsa.Array] = []
    last_iy = 0
    for window in dst.chunk_windows():
        if window.iy != last_iy:
            rows.append(current)
            current, last_iy = [], window.iy
        rs, cs = _source_window(src, dst, window, margin)
        src_transform = src.transform @ Affine.translation(cs.start, rs.start)
        task = dask.delayed(_warp, pure=True)(
            arr[rs, cs], src_transform, src.crs, dst.window_transform(window), dst.crs,
            window.shape, resampling, nodata,
        )
        current.append(dsa.from_delayed(task, shape=window.shape, dtype=arr.dtype))
    rows.append(current)
    return dsa.block(rows)


def reprojected_dataarray(da: xr.DataArray, src: RegionGrid, dst: RegionGrid, like: xr.Dataset,
                          *, resampling: Resampling) -> xr.DataArray:
    """``da`` warped onto ``dst`` as a DataArray with ``like``'s coordinates and its attrs."""
    nodata = np.nan if np.issubdtype(da.dtype, np.floating) else float(
        da.attrs.get("_FillValue", da.encoding.get("_FillValue", -1)))
    data = reproject_variable(da.data, src, dst, resampling=resampling, nodata=nodata)
    return xr.DataArray(data, dims=("y", "x"), coords={"y": like.y, "x": like.x},
                        name=da.name, attrs=dict(da.attrs))
