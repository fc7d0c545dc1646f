"""Warping onto a grid, in one room: which resampling, and GDAL warps chunk by chunk.

Three jobs, one module:

* :func:`choose_resampling` picks the GDAL resampling of a layer from its value kind and
  the ratio of cell sizes (ingest and model alignment both ask it);
* :func:`read_warped_window` warps one band of a raster file onto one chunk of a grid
  (ingest), through a warped view kept open per thread;
* :func:`reproject_variable` warps an in-memory or dask 2-D array from one grid to another
  (a cube to a model's CRS and resolution): each output chunk is warped by GDAL
  (:func:`rasterio.warp.reproject`) from the source window that covers it (plus a margin
  for the resampling kernel), as one dask task whose input is just that source window.

Memory is bounded by the chunk size, not by the scene or the cube.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import warnings
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS as RioCRS
from rasterio.enums import ColorInterp, Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.vrt import WarpedVRT
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window

from prospect.errors import ConfigError, DataError, InputFileError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.io.bandview import band_view
from prospect.io.raster import (
    STAT_KEEPING_RESAMPLINGS,
    RasterInfo,
    check_blocks,
    check_within_stats,
    damaged_blocks_refused,
    driver_file,
    file_stamp,
    files_stamp,
    gdal_reason,
    gdal_settings,
    hold_read_settings,
    refuse_memory,
    value_fits,
)

if TYPE_CHECKING:  # dask and xarray only for whole-array reprojection, imported there
    import dask.array as dsa
    import xarray as xr

__all__ = [
    "COARSENING_RATIO",
    "CODE_RESAMPLINGS",
    "WARP_CACHE_BYTES",
    "ValueKind",
    "check_stated_grid",
    "choose_resampling",
    "close_warped_views",
    "kernel_margin",
    "kernel_scales",
    "read_aligned",
    "read_source_block",
    "read_warped_window",
    "reproject_variable",
    "reprojected_dataarray",
    "resampling_enum",
    "target_grid",
    "warp_block",
]

ValueKind = Literal["continuous", "categorical"]

CODE_RESAMPLINGS = ("nearest", "mode", "min", "max", "med", "q1", "q3")
"""GDAL resamplings whose every output cell is the value of one source cell: the only ones
class codes may be resampled with (bilinear, cubic, average, ... blend codes)."""

COARSENING_RATIO = 1.5
"""Grid cell / source cell size above which a warp counts as coarsening."""


def choose_resampling(
    kind: ValueKind, *, source_res: float, target_res: float, override: str | None = None
) -> str:
    """Name of the resampling for a layer of ``kind`` going from ``source_res`` to ``target_res``.

    Continuous values: ``bilinear``, or ``average`` when the target cells are more than
    :data:`COARSENING_RATIO` times larger than the source cells. Categorical values:
    ``nearest``, or ``mode`` when coarsening. ``override`` (a config choice) wins.

    Parameters
    ----------
    kind
        ``"continuous"`` or ``"categorical"``.
    source_res, target_res
        Cell sizes, both in the target grid's units.
    override
        A resampling name chosen explicitly in the config.
    """
    if override:
        resampling_enum(override)
        if kind == "categorical" and override not in CODE_RESAMPLINGS:
            raise ConfigError(
                f"resampling {override!r} averages or blends neighbouring cells, so class "
                "codes would become codes no class has (codes 1 and 3 read as 2); use "
                f"one that keeps a code ({', '.join(CODE_RESAMPLINGS)}), or leave "
                "'resampling' out (nearest, or mode when coarsening)")
        return override
    coarsening = target_res > COARSENING_RATIO * source_res
    if kind == "categorical":
        return "mode" if coarsening else "nearest"
    return "average" if coarsening else "bilinear"


def resampling_enum(name: str) -> Resampling:
    """The :class:`rasterio.enums.Resampling` member called ``name``."""
    try:
        return Resampling[name]
    except KeyError:
        allowed = ", ".join(m.name for m in Resampling)
        raise ConfigError(f"unknown resampling {name!r}; use one of {allowed}") from None


WARP_CACHE_BYTES = 32 * 2**20
"""GDAL block cache while warping: bounds what a long-lived source handle may hold.

Chunks are warped row after row, and the source blocks under one row of chunks are needed
again by the next row; the cache also holds the warped view's own output blocks. At 16 MiB
a 3400-pixel-wide float32 source (512-pixel blocks) was decompressed about twice over,
which cost 15 % of the warp's CPU time; 32 MiB holds it, whatever the scene's length."""

_MAX_OPEN = 16
_local = threading.local()


def _cached_vrt(info: RasterInfo, grid: RegionGrid, resampling: Resampling,
                src_nodata: float | None, origin: str,
                options: dict[str, str] | None = None) -> WarpedVRT:
    """A warped view of ``info`` (a band view of the file ``origin``) on the whole
    ``grid``, kept open per thread (LRU of 16); ``options`` are GDAL warp options
    (:func:`kernel_scales`).

    Reading chunk after chunk from one open view lets GDAL reuse its transformer and the
    source blocks shared by neighbouring chunks; the block cache is capped at
    :data:`WARP_CACHE_BYTES`, so memory stays bounded whatever the scene size.
    """
    cache: OrderedDict[tuple[object, ...], tuple[Any, WarpedVRT]] | None = getattr(
        _local, "vrts", None)
    if cache is None:
        cache = _local.vrts = OrderedDict()
    # a band view's XML carries its file's stamp; a VRT file's sources have theirs
    key = (origin, info.path, file_stamp(info.path), info.crs, repr(src_nodata), grid.crs,
           tuple(grid.transform), grid.shape, resampling,
           tuple(sorted((options or {}).items())))
    if key in cache:
        cache.move_to_end(key)
        return cache[key][1]
    _close_stale(origin, info.companions)
    hold_read_settings()
    src = rasterio.open(info.path)
    try:
        vrt = WarpedVRT(
            src, src_crs=RioCRS.from_user_input(info.crs), src_nodata=src_nodata,
            crs=RioCRS.from_user_input(grid.crs_obj.to_wkt()), transform=grid.transform,
            width=grid.width, height=grid.height, resampling=resampling, nodata=np.nan,
            dtype="float32", **_alpha_options(info), **(options or {}),
        )
    except Exception:
        src.close()
        raise
    cache[key] = (src, vrt)
    while len(cache) > _MAX_OPEN:
        _, (old_src, old_vrt) = cache.popitem(last=False)
        old_vrt.close()
        old_src.close()
    return vrt


def _alpha_options(info: RasterInfo) -> dict[str, Any]:
    """Warp options of a source with an alpha band (a band view of a masked band,
    :func:`prospect.io.bandview.band_view`): the alpha band, and each band's nodata on its
    own, which makes GDAL apply the nodata as well as the alpha (without it, a source with
    an alpha band had its nodata pixels resampled as values)."""
    if not info.alpha:
        return {}
    return {"src_alpha": info.alpha[0], "UNIFIED_SRC_NODATA": "NO"}


def _close_stale(path: str, companions: tuple[str, ...] = ()) -> None:
    """Close this thread's views and handles of ``path`` opened before it (or one of its
    ``companions``: a raw grid's header) was rewritten.

    Some drivers share an open file by its name (the netCDF library: a second open of
    ``f.nc`` while one is open reads the first one's file, even after ``f.nc`` was
    replaced), so a new stamp's handle is opened only once the old ones are closed.
    """
    stamp = files_stamp(path, companions)
    stamps: dict[str, object] = _local.__dict__.setdefault("stamps", {})
    if stamps.get(path, stamp) != stamp:
        vrts = getattr(_local, "vrts", None) or {}
        for key in [k for k in vrts if k[0] == path]:
            old_src, old_vrt = vrts.pop(key)
            old_vrt.close()
            old_src.close()
        sources = getattr(_local, "sources", None) or {}
        for key in [k for k in sources if k[0] == path]:
            sources.pop(key).close()
    if len(stamps) > 4096:
        stamps.clear()
    stamps[path] = stamp


_SHARED_SUFFIXES = (".nc", ".nc4", ".cdf", ".netcdf", ".h5", ".hdf5", ".he5", ".hdf")
_SPELLINGS: dict[str, tuple[object, int]] = {}
_SPELLINGS_LOCK = threading.Lock()


def current_name(path: str) -> str:
    """The name to open ``path`` by: itself, or for a netCDF/HDF file rewritten since this
    process first opened it, a spelling of its name no handle of the old file has.

    The netCDF driver shares an open file by the name it was opened with: while any
    thread of a worker still held a handle of the old file, every new open of that name,
    by any thread, read the old file, after it was replaced. A thread closes its own
    stale handles (:func:`_close_stale`), but not another's, which may be reading. The
    same file under another spelling (``dir/./f.nc``: one ``./`` more for each new
    version this process has seen) is opened anew.
    """
    file = driver_file(path)
    if not file.lower().endswith(_SHARED_SUFFIXES) or "://" in file or \
            file.startswith("/vsi"):
        return path
    stamp = file_stamp(path)
    with _SPELLINGS_LOCK:
        seen = _SPELLINGS.get(path)
        version = 0 if seen is None else seen[1] + (seen[0] != stamp)
        if len(_SPELLINGS) > 4096:
            _SPELLINGS.clear()
        _SPELLINGS[path] = (stamp, version)
    if not version:
        return path
    head, slash, tail = file.rpartition("/")
    return path.replace(file, f"{head}{slash}{'./' * version}{tail}", 1)


def close_warped_views() -> None:
    """Close the warped views and sources this thread keeps open (when a batch is done)."""
    cache = getattr(_local, "vrts", None)
    while cache:
        _, (src, vrt) = cache.popitem()
        vrt.close()
        src.close()
    sources = getattr(_local, "sources", None)
    while sources:
        sources.popitem()[1].close()


_MAX_OPEN_SOURCES = 256


def _open_source(path: str, companions: tuple[str, ...] = ()) -> Any:
    """``rasterio.open(path)``, kept open per thread (LRU of 256).

    A composite reads the same scenes for every chunk; over HTTP each open is a round
    trip, so the handles stay open like the warped views of :func:`read_warped_window`.
    """
    cache: OrderedDict[tuple[str, object], Any] | None = getattr(_local, "sources", None)
    if cache is None:
        cache = _local.sources = OrderedDict()
    key = (path, files_stamp(path, companions))
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    _close_stale(path, companions)
    src = cache[key] = rasterio.open(current_name(path))
    while len(cache) > _MAX_OPEN_SOURCES:
        cache.popitem(last=False)[1].close()
    return src


_CHECKED: dict[tuple[RasterInfo, object, bool], str | None] = {}
"""A stated grid, the file's stamp and whether it is read as a quality layer -> the refusal
of the file (``None``: they agree)."""


def _stated_grid_mismatch(info: RasterInfo, src: Any) -> str | None:
    """Why the grid ``info`` states (a STAC item's ``proj:*``) is not the file's, if so."""
    own = tuple(src.transform)[:6]
    res = max(abs(info.transform[0]), abs(info.transform[4]), 1e-12)
    if (src.height, src.width) != (info.height, info.width):
        return (f"proj:shape [{info.height}, {info.width}], but the file is "
                f"[{src.height}, {src.width}]")
    if not np.allclose(own, info.transform[:6], rtol=1e-9, atol=1e-6 * res):
        return (f"proj:transform {list(info.transform[:6])}, but the file's is "
                f"{list(own)}")
    if info.stated_crs and src.crs is not None:
        stated = RioCRS.from_user_input(info.crs)
        if src.crs != stated:
            from prospect.config.region import crs_short  # a CRS of no code: its PROJ string

            return (f"{crs_short(info.crs)} (proj:epsg/proj:code), but the file is in "
                    f"{crs_short(src.crs.to_wkt())}")
    if info.scales:  # a file's own scale tags are the calibration stated, if any
        own_scale = float(src.scales[0]) if src.scales and src.scales[0] is not None else 1.0
        own_offset = (float(src.offsets[0]) if src.offsets and src.offsets[0] is not None
                      else 0.0)
        scale, offset = info.coefficients(1)
        if (own_scale, own_offset) != (1.0, 0.0) and not (
                np.isclose(own_scale, scale, rtol=1e-6, atol=0)
                and np.isclose(own_offset, offset, rtol=1e-6, atol=1e-12)):
            return (f"raster:bands scale {scale:g} and offset {offset:g} (none: 1 and 0), "
                    f"but the file's own band scale/offset are {own_scale:g} and "
                    f"{own_offset:g}, so its values would be read as DN x {scale:g} + "
                    f"{offset:g}; state the file's scale/offset in the item's raster:bands "
                    "or unset them in the file (gdal_edit.py -scale 1 -offset 0)")
    return None


def check_stated_grid(info: RasterInfo, src: Any, *, quality_layer: bool = False) -> None:
    """Refuse a file opened for pixels whose grid is not the one ``info`` states.

    A STAC item that states an asset's grid in full (``proj:shape``, ``proj:transform``,
    ``proj:epsg``) is read without a look at the header; a wrong stated grid placed every
    pixel of the scene elsewhere without a word, and a file stored in giant blocks was
    decoded whole for every chunk (:func:`prospect.io.raster.check_blocks`), and a file
    of several bands was read as its band 1 (:func:`_stated_band_excess`). Checked once
    per file (the header is already open: no extra read).

    Parameters
    ----------
    info
        The file as its item states it.
    src
        The file, open.
    quality_layer
        Whether the file is read as a quality layer (a cloud mask's codes,
        :func:`read_aligned`), whose extra bands are told in a cloud mask's words.

    Raises
    ------
    DataError
        Naming who states the grid, what it states and what the file holds.
    """
    if info.stated_by is None:
        return
    key = (info, file_stamp(info.path), quality_layer)
    if key not in _CHECKED:
        if len(_CHECKED) > 4096:
            _CHECKED.clear()
        # planned without its header, so its blocks are checked here, before any is read
        check_blocks(src, info.path)
        why = _stated_grid_mismatch(info, src)
        _CHECKED[key] = (
            f"{info.stated_by} states {why} ({info.path}); fix the item's projection "
            "fields, or leave them out so the file's header is read" if why is not None
            else _stated_band_excess(info, src, quality_layer=quality_layer))
    message = _CHECKED[key]
    if message is not None:
        raise DataError(message)



def data_bands(src: Any) -> int:
    """The bands of the open file ``src`` that hold data: its count less the alpha bands
    after them, as :attr:`prospect.io.raster.RasterInfo.data_count` counts a header read
    at planning (for a file planned without its header: a stated grid)."""
    n = src.count
    while n and src.colorinterp[n - 1] == ColorInterp.alpha:
        n -= 1
    return n

def _stated_band_excess(info: RasterInfo, src: Any, *, quality_layer: bool = False
                        ) -> str | None:
    """Why a file described from its item as one band holds more (alpha bands aside).

    Each asset of an item is read as its band 1; one whose item states its grid in full
    is planned without its header, so a GeoTIFF of blue, green, red and NIR under
    ``{red: image}`` held the blue band (0.1 for a red of 0.3), exit 0. Counted here,
    where the header is open for the first pixels (no extra read). A ``quality_layer``
    (a cloud mask over the network: a local one is counted at planning,
    :func:`prospect.ingest.masked.check_scene_mask`) is told in a cloud mask's words; it
    was told "the variable would hold band 1", naming no variable of the config."""
    data = data_bands(src)
    if data <= info.count:
        return None
    if quality_layer:
        return (f"{info.stated_by} is a quality layer of {data} bands ({info.path}), but a "
                "cloud mask is read as one band of codes (its first), and the item states "
                "the layer's grid, so its header was not read at planning: the others (a "
                "cirrus or snow band, the colours of a rendering) would go unread and band 1 "
                "alone would mask the scene; give the scene's one-band quality layer in "
                "cloud_mask.asset, or write the band that holds the codes to a file of its "
                "own (gdal_translate -b N LAYER ONE_BAND.tif)")
    return (f"{info.stated_by} is a file of {data} bands ({info.path}), but each asset of "
            "an item is read as one band (its first), and the item states the asset's grid, "
            "so its header was not read at planning: the variable would hold band 1 "
            "whatever the item lists; map each variable to an asset of one band (a "
            "catalogue's per-band assets), or read the file in a plain source with "
            "'path:' and 'band_names:'")


def read_warped_window(
    info: RasterInfo, band: int, grid: RegionGrid, window: ChunkWindow, *,
    resampling: Resampling, nodata: float | None = None,
) -> np.ndarray:
    """Warp one band onto one chunk of ``grid`` with GDAL; no data becomes NaN.

    GDAL's warper reads only the source pixels under the chunk, so memory is bounded by
    the chunk (plus the capped block cache, :data:`WARP_CACHE_BYTES`). The values equal
    those of one warp of the whole grid: every chunk is a window of the same warped view.

    The band is warped through a one-band view of the file
    (:func:`prospect.io.bandview.band_view`), so its nodata is its own: GDAL's warper
    treats a multi-band dataset's nodata as one (a pixel is missing only where every band
    is), and a hole in one band would otherwise be resampled as a value.

    Parameters
    ----------
    info
        The source, from :func:`raster_info`.
    band
        1-based band index.
    grid, window
        The target grid and the chunk to fill.
    resampling
        GDAL resampling.
    nodata
        Source no-data value overriding the file's (``None``: the file's; NaN for floats).
    """
    src_nodata = nodata if nodata is not None else info.nodata[band - 1]
    if src_nodata is None and np.dtype(info.dtype).kind == "f":
        src_nodata = np.nan
    view = band_view(dataclasses.replace(info, path=current_name(info.path)), band,
                     nodata=src_nodata)
    rows, cols = window.shape
    try:
        with gdal_settings(GDAL_CACHEMAX=WARP_CACHE_BYTES), damaged_blocks_refused(
                info.path, band, "warping"):
            vrt = _cached_vrt(view, grid, resampling, src_nodata, info.path,
                              kernel_scales(info, grid, resampling))
            out = vrt.read(1, window=Window(window.cols.start, window.rows.start,
                                            cols, rows))
    except (RasterioIOError, rasterio.errors.RasterioError) as exc:
        refuse_memory(info.path, exc)
        _refuse_network_failure(info.path, exc)
        raise InputFileError(f"{info.path}: read failed while warping band {band}: "
                             f"{gdal_reason(exc)}") from None
    if resampling.name in STAT_KEEPING_RESAMPLINGS and _own_nodata(info, band, nodata):
        check_within_stats(info, band, out, what="warping")
    return np.asarray(out, dtype=np.float32)


def _own_nodata(info: RasterInfo, band: int, nodata: float | None) -> bool:
    """Whether a read drops the no data the file's statistics leave out: its own nodata
    (a config's other nodata reads the file's fill as values, beyond its statistics)."""
    own = info.nodata[band - 1] if band <= len(info.nodata) else None
    return nodata is None or (own is not None and (nodata == own or (
        np.isnan(nodata) and np.isnan(own))))


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
          nodata: float, options: dict[str, str] | None = None) -> np.ndarray:
    out = np.full(shape, nodata, dtype=block.dtype)
    if block.size == 0:
        return out
    # rasterio warned "Dataset has no geotransform ... identity matrix" from a worker,
    # about one of its in-memory datasets, when a block of non-square cells was warped
    # (the values are right): a filter, as raster_info's, not a catch_warnings block
    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)
    reproject(
        source=np.ascontiguousarray(block), destination=out, src_transform=src_transform,
        src_crs=src_crs, src_nodata=nodata, dst_transform=dst_transform, dst_crs=dst_crs,
        dst_nodata=nodata, resampling=resampling, **(options or {}),
    )
    return out


def _chunk_bounds(grid: RegionGrid, window: ChunkWindow, crs: str,
                  crs_obj: Any) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of one chunk of ``grid`` in ``crs`` (``crs_obj`` its
    rasterio CRS, or a callable making it: made only when the CRSs differ)."""
    t = grid.window_transform(window)
    h, w = window.shape
    left, top = t.c, t.f
    right, bottom = left + w * grid.resolution, top - h * grid.resolution
    if crs == grid.crs:
        return left, bottom, right, top
    target = crs_obj() if callable(crs_obj) else crs_obj
    return transform_bounds(grid.crs_obj, target, left, bottom, right, top, densify_pts=21)


def _source_window(src: RegionGrid, dst: RegionGrid, window: ChunkWindow,
                   margin: int) -> tuple[slice, slice]:
    sl, sb, sr, st = _chunk_bounds(dst, window, src.crs, src.crs_obj)
    c0 = math.floor((sl - src.bounds[0]) / src.resolution) - margin
    c1 = math.ceil((sr - src.bounds[0]) / src.resolution) + margin
    r0 = math.floor((src.bounds[3] - st) / src.resolution) - margin
    r1 = math.ceil((src.bounds[3] - sb) / src.resolution) + margin
    r0, r1 = max(0, min(r0, src.height)), max(0, min(r1, src.height))
    c0, c1 = max(0, min(c0, src.width)), max(0, min(c1, src.width))
    return slice(r0, r1), slice(c0, c1)


def _pixel_extent(transform: tuple[float, ...], bounds: tuple[float, float, float, float],
                  ) -> tuple[float, float, float, float]:
    """(first column, last column, first row, last row), in a file's fractional pixels
    (``transform``: its geotransform) and not clipped to the file, of ``bounds`` (left,
    bottom, right, top in the file's CRS), for any geotransform (the corners through the
    inverse geotransform)."""
    sl, sb, sr, st = bounds
    a, b, c, d, e, f = transform[:6]
    corners = [(x, y) for x in (sl, sr) for y in (sb, st)]
    if b == 0 and d == 0:  # the same arithmetic as a grid's own window
        cols = [(x - c) / a for x, _ in corners]
        rows = [(y - f) / e for _, y in corners]
    else:
        inverse = ~Affine(a, b, c, d, e, f)
        cols, rows = (list(v) for v in zip(*(inverse * xy for xy in corners), strict=True))
    return min(cols), max(cols), min(rows), max(rows)


KERNEL_RADII = {Resampling.bilinear: 1, Resampling.cubic: 2, Resampling.cubic_spline: 2,
                Resampling.lanczos: 3}
"""Source pixels either side of a target pixel's centre that GDAL's resampling kernels
weigh at the source's own cell size (wider by the ratio of cell sizes when coarsening)."""


def _whole_grid_scales(info: RasterInfo, grid: RegionGrid) -> tuple[float, float, bool]:
    """(target pixels per source pixel across, down, whether the file covers the grid)
    of ``info`` warped onto the whole ``grid`` (every chunk asks: kept per file and grid,
    the last :data:`_MAX_SCALES`)."""
    key = (tuple(info.transform[:6]), info.crs, info.width, info.height, grid.crs,
           grid.bounds, grid.resolution)
    got = _scales.get(key)
    if got is None:
        got = _scales[key] = _grid_scales(tuple(info.transform[:6]), info.crs,
                                          (info.height, info.width), grid)
        while len(_scales) > _MAX_SCALES:
            _scales.pop(next(iter(_scales)), None)
    return got


_MAX_SCALES = 256
_scales: dict[tuple[object, ...], tuple[float, float, bool]] = {}


def _grid_scales(transform: tuple[float, ...], crs: str, shape: tuple[int, int],
                 grid: RegionGrid, window: ChunkWindow | None = None,
                 ) -> tuple[float, float, bool]:
    """(target pixels per source pixel across, down, whether the source covers it) of a
    source of ``transform``, ``crs`` and ``shape`` warped onto ``window`` of ``grid``
    (``None``: the whole grid)."""
    whole = window or ChunkWindow(0, 0, slice(0, grid.height), slice(0, grid.width))
    bounds = _chunk_bounds(grid, whole, crs, lambda: RioCRS.from_user_input(crs))
    if bounds[0] > bounds[2]:  # across 180 in longitudes (GDAL's box): its true width
        # (the world's, 178 .. -178.5 read as -178.5 .. 178, sized the kernel 100 times too
        # wide: a -180..180 world grid under a region across 180 read smoothed everywhere)
        bounds = (bounds[0], bounds[1], bounds[2] + 360.0, bounds[3])
    cmin, cmax, rmin, rmax = _pixel_extent(transform, bounds)
    covers = cmin >= 0 and rmin >= 0 and cmax <= shape[1] and rmax <= shape[0]
    rows, cols = whole.shape
    sx = cols / (cmax - cmin) if cmax > cmin else math.inf
    sy = rows / (rmax - rmin) if rmax > rmin else math.inf
    return sx, sy, covers


def _scale_options(sx: float, sy: float) -> dict[str, str]:
    """GDAL warp options stating a kernel's scales (target pixels per source pixel)."""
    if not (math.isfinite(sx) and math.isfinite(sy)):
        return {}
    return {"XSCALE": repr(_gdal_scale(sx)), "YSCALE": repr(_gdal_scale(sy))}


def _gdal_scale(scale: float) -> float:
    """A kernel scale (target pixels per source pixel) as GDAL's warper rounds its own:
    1 when upsampling, the reciprocal of a whole number within 0.05 of one."""
    if not math.isfinite(scale) or scale >= 1.0:
        return 1.0
    whole = int(1.0 / scale + 0.5)
    return 1.0 / whole if abs(1.0 / scale - whole) < 0.05 else scale


def kernel_scales(info: RasterInfo, grid: RegionGrid,
                  resampling: Resampling) -> dict[str, str]:
    """GDAL warp options (``XSCALE``, ``YSCALE``) fixing a resampling kernel's width for
    ``info`` warped onto ``grid``, or none when GDAL's own estimate is right.

    GDAL's warper sizes a kernel by the target pixels per source pixel of the region it
    warps, counting only the source pixels inside the file: where a file covers part of
    the grid, the warped view (warped a block of the whole grid at a time) took a kernel
    narrower than the true one, the narrower the less of the block the file covered, and
    a source block (one chunk) another, so a band read with a cloud mask or a valid range
    differed from the same band read plainly (by up to 580 of 3000 under bilinear from
    7 m to 10 m cells). The scale of the whole grid, unclipped, is stated to both warps;
    where the file covers the grid and the target's cells are coarser, GDAL's estimate
    is that one and is left alone. Where they are the source's own size (or finer), the
    scale 1 is stated: GDAL counts whole source pixels, so a grid whose geotransform is
    the region's but for float noise (a NetCDF's coordinates from ``np.arange``, 1e-13
    of a cell off) had each chunk's edge take one more source column and row, and a
    kernel 1/N wider (N the chunk's pixels, a bilinear 9 % of each neighbour for 20 x 20
    chunks) smeared every step between cells, where an exact grid's cells are copied.
    """
    if resampling not in KERNEL_RADII:
        return {}
    sx, sy, covers = _whole_grid_scales(info, grid)
    if covers and min(_gdal_scale(sx), _gdal_scale(sy)) < 1.0:
        return {}
    return _scale_options(sx, sy)


def kernel_margin(info: RasterInfo, grid: RegionGrid, resampling: Resampling) -> int:
    """Source pixels a source block needs beyond a chunk's footprint for ``resampling``
    onto ``grid``: the kernel's radius, widened by the ratio of cell sizes when
    coarsening, plus one (2 for the other resamplings, which read a target pixel's
    footprint)."""
    radius = KERNEL_RADII.get(resampling)
    if radius is None:
        return 2
    sx, sy, _ = _whole_grid_scales(info, grid)
    return max(2, math.ceil(radius / min(_gdal_scale(sx), _gdal_scale(sy))) + 1)


def _file_window(info: RasterInfo, grid: RegionGrid, window: ChunkWindow,
                 margin: int) -> tuple[slice, slice]:
    """The rows and columns of the file ``info`` under one chunk of ``grid`` (plus
    ``margin`` pixels), for any geotransform: north-up or south-up, cells of any shape,
    rotated or sheared (the chunk's corners through the inverse geotransform). A
    :class:`RegionGrid` of the file refused all but square north-up cells ("cells must be
    square ... resample the reference raster"), on a worker, for a NetCDF of 10 x 5 m
    cells read with its ``valid_max``."""
    sl, sb, sr, st = _chunk_bounds(grid, window, info.crs,
                                   lambda: RioCRS.from_user_input(info.crs))
    cmin, cmax, rmin, rmax = _pixel_extent(tuple(info.transform), (sl, sb, sr, st))
    c0, c1 = math.floor(cmin) - margin, math.ceil(cmax) + margin
    if sl > sr:  # a chunk across 180 of a file in longitudes: its box runs from its east
        # end to its west end, and a masked read (a composite's, a cloud-masked scene's)
        # of a -180..180 world grid took the columns between, the rest no data, exit 0:
        # the file's whole rows hold both sides, and the warp takes each cell's own
        c0, c1 = 0, info.width
    r0, r1 = math.floor(rmin) - margin, math.ceil(rmax) + margin
    r0, r1 = max(0, min(r0, info.height)), max(0, min(r1, info.height))
    c0, c1 = max(0, min(c0, info.width)), max(0, min(c1, info.width))
    return slice(r0, r1), slice(c0, c1)


def _refuse_network_failure(path: str, exc: BaseException) -> None:
    """A chunk of a file read over a network that the network failed to bring (a timeout,
    an HTTP error status) is said as such, with the fix the URL tells where the server
    refused it (:func:`~prospect.io.remote.network_failure_message`: a signed URL past its
    expiry, a requester-pays bucket, an unsigned Azure URL): it was "read failed for band
    1: HTTP response code: 403 - Failure writing output to destination"."""
    from prospect.io.remote import NetworkReadError, network_failure_message, read_failure

    reason = gdal_reason(exc)
    said = network_failure_message(path, reason)
    if said:
        raise NetworkReadError(said, why=read_failure(reason, path)) from None


def read_source_block(
    info: RasterInfo, band: int, grid: RegionGrid, window: ChunkWindow, *, margin: int = 2,
    nodata: float | None = None, other_nodata: float | None = None,
) -> tuple[np.ndarray, Affine] | None:
    """The source pixels of ``band`` under one chunk of ``grid`` (plus ``margin`` pixels).

    For work that must happen in the source's own pixels before resampling (dropping
    cloudy pixels and growing the dropped areas): read the block, edit it, then
    :func:`warp_block` it onto the chunk. No data (``nodata``, else the file's, and
    ``other_nodata``: a second fill where the product's metadata and the file disagree)
    becomes NaN. Returns ``None`` when the chunk lies outside the file.
    """
    rows, cols = _file_window(info, grid, window, margin)
    if rows.stop <= rows.start or cols.stop <= cols.start:
        return None
    win = Window(cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start)
    try:
        src = _open_source(info.path, info.companions)
        check_stated_grid(info, src)
        with damaged_blocks_refused(info.path, band, "reading"):
            raw = src.read(band, window=win)
            masked = src.read_masks(band, window=win) == 0 if info.has_mask(band) else None
        transform = src.window_transform(win)
    except (RasterioIOError, rasterio.errors.RasterioError) as exc:
        refuse_memory(info.path, exc)
        _refuse_network_failure(info.path, exc)
        raise InputFileError(f"{info.path}: read failed for band {band}: "
                             f"{gdal_reason(exc)}") from None
    fill = nodata if nodata is not None else info.nodata[band - 1]
    if fill is None:  # a description from metadata that does not state it: the file's
        fill = src.nodatavals[band - 1]
    block = raw.astype(np.float32)
    for value in info.dropped(band, fill, other_nodata):
        block[raw == value] = np.nan
    if masked is not None:  # a mask band (internal, .msk, alpha): its 0 is no data
        block[masked] = np.nan
    if _own_nodata(info, band, nodata):
        check_within_stats(info, band, block, what="reading")
    return block, transform


def read_aligned(info: RasterInfo, band: int, crs: str, transform: Affine,
                 shape: tuple[int, int], *, nodata: float) -> np.ndarray:
    """Band ``band`` of ``info`` on another pixel grid, nearest neighbour, no rescaling.

    For class and bit-flag layers (quality masks) at another resolution or CRS than the
    bands they mask: each target pixel takes the code of the source pixel under its
    centre. Pixels outside the file are ``nodata`` (a quality layer's own fill code,
    :data:`prospect.ingest.cloudmask.FILL_CODE`: a fixed 0 read as CFmask's "clear" kept
    every pixel the layer did not cover). The file's own nodata is not applied: every
    code, fill included, is read as it is (a CFmask layer stated with nodata 0, its
    "clear", would otherwise turn clear pixels into fill).

    Parameters
    ----------
    info
        The quality layer, from :func:`raster_info`.
    band
        1-based band index.
    crs, transform, shape
        The target pixel grid (the band's source block).
    nodata
        The code for target pixels the file does not cover. A type that cannot hold it
        is read as ``int32``.
    """
    dtype = info.band_dtype(band)
    if not value_fits(nodata, dtype):
        dtype = "int32"
    try:
        src = _open_source(info.path, info.companions)
        check_stated_grid(info, src, quality_layer=True)
        with WarpedVRT(
            src, src_crs=RioCRS.from_user_input(info.crs), crs=RioCRS.from_user_input(crs),
            transform=transform, width=shape[1], height=shape[0],
            resampling=Resampling.nearest, src_nodata=nodata, nodata=nodata, dtype=dtype,
        ) as vrt, damaged_blocks_refused(info.path, band, "reading"):
            # src_nodata = nodata: a fill pixel stays its code, others theirs
            return np.asarray(vrt.read(band))
    except (RasterioIOError, rasterio.errors.RasterioError) as exc:
        refuse_memory(info.path, exc)
        _refuse_network_failure(info.path, exc)
        raise InputFileError(f"{info.path}: read failed for band {band}: "
                             f"{gdal_reason(exc)}") from None


def _aligned_offset(src_transform: Affine, src_crs: str, dst_transform: Affine,
                    dst_crs: str) -> tuple[int, int] | None:
    """``(row, col)`` of the destination's first pixel in the source's pixels, when both are
    the same pixel grid (same CRS and cell size, whole-pixel offset); else ``None``."""
    if (src_transform.b, src_transform.d, dst_transform.b, dst_transform.d) != (0, 0, 0, 0):
        return None
    if not (math.isclose(src_transform.a, dst_transform.a, rel_tol=1e-9)
            and math.isclose(src_transform.e, dst_transform.e, rel_tol=1e-9)):
        return None
    col = (dst_transform.c - src_transform.c) / src_transform.a
    row = (dst_transform.f - src_transform.f) / src_transform.e
    if abs(col - round(col)) > 1e-6 or abs(row - round(row)) > 1e-6:
        return None
    if src_crs != dst_crs and RioCRS.from_user_input(src_crs) != RioCRS.from_user_input(
            dst_crs):
        return None
    return round(row), round(col)


def warp_block(block: np.ndarray, src_transform: Affine, src_crs: str, grid: RegionGrid,
               window: ChunkWindow, *, resampling: Resampling,
               options: dict[str, str] | None = None) -> np.ndarray:
    """A float32 source block (NaN: no data) warped onto one chunk of ``grid``.

    When the block is on the grid's own pixel grid (same CRS and cell size, offsets in
    whole cells: a scene delivered on the region's grid) its cells are copied, which is
    what any resampling gives at coinciding pixel centres, without a GDAL warp.
    ``options`` are GDAL warp options (:func:`kernel_scales` of the block's file, so the
    block is resampled as :func:`read_warped_window` resamples the file).
    """
    block = block.astype(np.float32, copy=False)
    dst_transform = grid.window_transform(window)
    offset = _aligned_offset(src_transform, src_crs, dst_transform, grid.crs)
    if offset is None:
        return _warp(block, src_transform, src_crs, dst_transform, grid.crs, window.shape,
                     resampling, float("nan"), options)
    out = np.full(window.shape, np.nan, dtype=np.float32)
    r0, c0 = offset
    rs, cs = max(0, -r0), max(0, -c0)  # first destination row/col the block reaches
    r1 = min(window.shape[0], block.shape[0] - r0)
    c1 = min(window.shape[1], block.shape[1] - c0)
    if r1 > rs and c1 > cs:
        out[rs:r1, cs:c1] = block[r0 + rs:r0 + r1, c0 + cs:c0 + c1]
    return out


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
    import dask
    import dask.array as dsa

    arr = data if isinstance(data, dsa.Array) else dsa.from_array(np.asarray(data),
                                                                  chunks=src.chunks)
    ratio = max(1.0, dst.resolution / src.resolution)
    margin = math.ceil(KERNEL_RADII.get(resampling, 1) * ratio) + 2
    # a chunk reaching past the source states the whole grid's kernel scale (GDAL's own
    # estimate counts only the source inside: a narrower kernel, a seam at the chunk)
    kernel = resampling in KERNEL_RADII
    sx, sy, _ = _grid_scales(tuple(src.transform)[:6], src.crs, src.shape, dst) if kernel \
        else (1.0, 1.0, True)
    rows: list[list[dsa.Array]] = []
    current: list[dsa.Array] = []
    last_iy = 0
    for window in dst.chunk_windows():
        if window.iy != last_iy:
            rows.append(current)
            current, last_iy = [], window.iy
        rs, cs = _source_window(src, dst, window, margin)
        src_transform = src.transform @ Affine.translation(cs.start, rs.start)
        inside = not kernel or _grid_scales(tuple(src.transform)[:6], src.crs, src.shape,
                                            dst, window)[2]
        task = dask.delayed(_warp, pure=True)(
            arr[rs, cs], src_transform, src.crs, dst.window_transform(window), dst.crs,
            window.shape, resampling, nodata, {} if inside else _scale_options(sx, sy),
        )
        current.append(dsa.from_delayed(task, shape=window.shape, dtype=arr.dtype))
    rows.append(current)
    return dsa.block(rows)


def _integer_fill(da: xr.DataArray) -> float:
    """The fill of an integer variable's warp: its ``_FillValue``, else -1 where its type
    holds it, else the type's largest value (an unsigned layer: GDAL refused a nodata of
    -1 for it with a bare ``ValueError``)."""
    stated = da.attrs.get("_FillValue", da.encoding.get("_FillValue"))
    if stated is not None:
        return float(stated)
    return -1.0 if value_fits(-1, str(da.dtype)) else float(np.iinfo(da.dtype).max)


def reprojected_dataarray(da: xr.DataArray, src: RegionGrid, dst: RegionGrid, like: xr.Dataset,
                          *, resampling: Resampling) -> xr.DataArray:
    """``da`` warped onto ``dst`` as a DataArray with ``like``'s coordinates and its attrs."""
    import xarray as xr

    nodata = np.nan if np.issubdtype(da.dtype, np.floating) else _integer_fill(da)
    data = reproject_variable(da.data, src, dst, resampling=resampling, nodata=nodata)
    return xr.DataArray(data, dims=("y", "x"), coords={"y": like.y, "x": like.x},
                        name=da.name, attrs=dict(da.attrs))
