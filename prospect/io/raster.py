"""GeoTIFF / COG reading and writing at the edges of the library."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import xarray as xr
from rasterio.errors import RasterioIOError
from rasterio.windows import Window
from rio_cogeo.cogeo import cog_translate
from rio_cogeo.profiles import cog_profiles

from prospect.errors import CRSError, InputFileError
from prospect.grid import RegionGrid

__all__ = ["grid_from_raster", "write_cog"]


def grid_from_raster(
    path: Path, *, chunks: tuple[int, int] = (512, 512), crs: str | None = None,
    name: str | None = None,
) -> RegionGrid:
    """A :class:`RegionGrid` with the CRS, transform and shape of a reference raster.

    Parameters
    ----------
    path
        Any raster GDAL opens.
    chunks
        Chunk shape for cubes on this grid.
    crs
        CRS to use when the file carries none (an explicit choice, never a guess).
    name
        Grid name; defaults to the file stem.
    """
    path = Path(path)
    try:
        with rasterio.open(path) as src:
            file_crs = src.crs
            transform, shape = src.transform, (src.height, src.width)
    except RasterioIOError as exc:
        raise InputFileError(f"{path}: cannot read as a raster: {exc}") from None
    if file_crs is None and crs is None:
        raise CRSError(
            f"{path}: the raster has no CRS; give one in the config (e.g. crs: 'EPSG:28992')"
        )
    use_crs = crs or file_crs.to_string()
    return RegionGrid.from_transform(
        crs=use_crs, transform=transform, shape=shape, chunks=chunks, name=name or path.stem
    )


def write_cog(
    da: xr.DataArray, path: Path, *, grid: RegionGrid, nodata: float = np.nan,
    resampling: str = "average", tags: dict[str, Any] | None = None,
    profile: str = "deflate", blocksize: int = 512,
) -> Path:
    """Write a 2-D array as a Cloud-Optimized GeoTIFF, chunk by chunk, atomically.

    The array is written window by window into a tiled GeoTIFF (memory bounded by the
    dask chunk size), then turned into a COG with internal overviews by rio-cogeo, and
    finally renamed into place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp_dir.mkdir()
    try:
        raw = tmp_dir / "raw.tif"
        dtype = np.dtype(da.dtype).name
        with rasterio.open(
            raw, "w", driver="GTiff", height=grid.height, width=grid.width, count=1,
            dtype=dtype, crs=grid.crs_obj.to_wkt(), transform=grid.transform, nodata=nodata,
            tiled=True, blockxsize=blocksize, blockysize=blocksize, compress="deflate",
            BIGTIFF="IF_SAFER",
        ) as dst:
            for window in grid.chunk_windows():
                block = np.asarray(da[window.rows, window.cols].values)
                dst.write(
                    block, 1,
                    window=Window(window.cols.start, window.rows.start,  # type: ignore[no-untyped-call]
                                  block.shape[1], block.shape[0]),
                )
            if tags:
                dst.update_tags(**{k: str(v) for k, v in tags.items()})
            if da.attrs.get("long_name"):
                dst.set_band_description(1, str(da.attrs["long_name"]))
        out_profile = cog_profiles.get(profile)
        out_profile.update({"blockxsize": blocksize, "blockysize": blocksize})
        staged = tmp_dir / "cog.tif"
        cog_translate(
            str(raw), str(staged), out_profile, nodata=nodata, overview_resampling=resampling,
            quiet=True, in_memory=False, additional_cog_metadata=tags or None,
        )
        os.replace(staged, path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return path
