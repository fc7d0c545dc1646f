"""One band of one scene with its quality layer applied in the source's own pixels.

The scene's quality layer (CFmask classes, Sentinel-2 SCL, Landsat ``QA_PIXEL`` flags;
:mod:`prospect.ingest.cloudmask`) is read on the band's own pixels, the dropped pixels
(grown by the buffer) become no data, and only then is the band warped onto the chunk, so
a cloud never reaches a neighbouring cell through resampling weights. Single scenes
(:mod:`prospect.ingest.rasters`) and composites (:mod:`prospect.ingest.composite`) read
masked bands through :func:`read_masked_band`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from affine import Affine

from prospect.errors import DataError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.cloudmask import FILL_CODE, dropped, foreign_codes, foreign_name, grow, is_fill
from prospect.io.raster import RasterInfo
from prospect.io.warp import (
    _aligned_offset,
    read_aligned,
    read_source_block,
    resampling_enum,
    warp_block,
)

__all__ = ["SceneMask", "read_masked_band"]


@dataclass(frozen=True)
class SceneMask:
    """A scene's quality layer and what it drops."""

    info: RasterInfo
    kind: str
    drop: tuple[str, ...]
    buffer_m: float

    def describe(self) -> dict[str, object]:
        """JSON-friendly summary for provenance."""
        return {"file": self.info.path, "kind": self.kind, "drop": list(self.drop),
                "buffer_m": self.buffer_m}


def metres_per_unit(info: RasterInfo) -> float:
    """Metres per CRS unit of ``info`` (degrees: at the equator, for a buffer)."""
    return _metres_per_unit(info.crs)


@functools.lru_cache(maxsize=64)
def _metres_per_unit(crs_text: str) -> float:  # every chunk of every scene asks
    from pyproj import CRS

    crs = CRS.from_user_input(crs_text)
    if crs.is_geographic:
        return 111_320.0  # metres per degree at the equator: a buffer, not a measurement
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return float(unit) or 1.0


def read_masked_band(info: RasterInfo, band: int, mask: SceneMask | None, grid: RegionGrid,
                     window: ChunkWindow, *, nodata: float | None, scale: float,
                     offset: float, resampling: str,
                     valid_range: tuple[float, float] | None = None,
                     saturate: float | None = None,
                     other_nodata: float | None = None) -> np.ndarray:
    """``scale * DN + offset`` of ``band`` on one chunk, dropped pixels NaN before resampling.

    No data (``nodata``, else the file's, and ``other_nodata``: the second of two fills
    the product's metadata and the file disagree on), DNs outside ``valid_range`` or at
    either end of it (the product clips to it), the ``saturate`` DN and the pixels
    ``mask`` drops (and the quality layer's fill) are NaN in the source block; the block
    is then warped onto the chunk (copied when on the same pixel grid).

    Raises
    ------
    DataError
        The quality layer holds codes its kind does not have
        (:func:`~prospect.ingest.cloudmask.foreign_codes`).
    """
    grow_px = mask.buffer_m / metres_per_unit(info) / info.resolution if mask else 0.0
    # On the grid's own pixels the block is copied, not resampled: no kernel margin, so a
    # chunk reads only the source blocks under it (a margin touched up to nine of them).
    aligned = _aligned_offset(Affine(*info.transform[:6]), info.crs,
                              grid.window_transform(window), grid.crs) is not None
    got = read_source_block(info, band, grid, window, nodata=nodata,
                            other_nodata=other_nodata,
                            margin=(0 if aligned else 2) + math.ceil(grow_px))
    if got is None:
        return np.full(window.shape, np.nan, dtype=np.float32)
    block, transform = got
    if valid_range is not None:
        lo, hi = valid_range
        with np.errstate(invalid="ignore"):
            block[~((block > lo) & (block < hi))] = np.nan  # NaN stays NaN
    if saturate is not None:
        block[block == saturate] = np.nan
    if mask is not None:
        codes = read_aligned(mask.info, 1, info.crs, transform, block.shape,
                             nodata=FILL_CODE[mask.kind])
        wrong = foreign_name(mask.kind, mask.info.path) or foreign_codes(
            mask.kind, codes, mask.info.nodata[0])
        if wrong is not None:
            raise DataError(
                f"{mask.info.path}: not a {mask.kind} quality layer: {wrong}; name the "
                "product's own quality layer in "
                "cloud_mask.asset, or its encoding in cloud_mask.kind (scl, qa_pixel, "
                "cfmask)")
        block[grow(dropped(mask.kind, codes, mask.drop), grow_px)] = np.nan
        block[is_fill(mask.kind, codes)] = np.nan  # no quality known: dropped, not grown
    if scale != 1.0 or offset != 0.0:  # in place: the block is this call's own
        block *= np.float32(scale)
        block += np.float32(offset)
    return warp_block(block, transform, info.crs, grid, window,
                      resampling=resampling_enum(resampling))
