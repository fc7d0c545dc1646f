"""Static XYZ pyramids: render every tile of a layer over a zoom range into ``{z}/{x}/{y}.png``.

Tile maths come from morecantile (WebMercatorQuad); pixels come from rio-tiler. Instead of
warping each tile on its own, tiles are read in *metatiles* (blocks of up to 4 x 4 tiles,
1024 px square): one warp per block, then the block is coloured once and cut into tiles.

Only the deepest zoom is warped from the source. The :data:`AVERAGED_ZOOMS` zooms above it
are built from the float values of the zoom below by 2 x 2 averaging (NaN-aware), the way
gdal2tiles builds overview tiles from child tiles: the warp, most of the cost, is done once
instead of once per zoom. A layer read with ``nearest`` resampling (a class map) takes
the 2 x 2 mode instead, so its lower zooms hold only its own codes (:data:`DOWNSAMPLERS`). The
work is cut into jobs, one per tile of the shallowest averaged zoom, each rendering its own
sub-pyramid depth first (memory: one block per zoom level); zooms shallower still are few
small blocks, each its own job warped from the COG's overviews. Jobs run in a thread pool
(or a process pool on request). Memory is bounded by the block size times the pyramid depth
of one job times the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import morecantile
import numpy as np

from prospect.io.files import remove_aside, staged_dir, temp_name
from tiles.colormap import (
    WEBP_QUALITY,
    ImageFormat,
    encode_indexed,
    render_indexed,
    webp_quality,
)
from tiles.grids import (
    DEFAULT_TMS,
    crosses_antimeridian,
    matrix_shape,
    tile_matrix_set,
    world_span,
    wrapped_lon,
)
from tiles.grids import tile_matrix_set as _grid
from tiles.source import WEB_MERCATOR, LayerSource

__all__ = [
    "Metatile", "PyramidResult", "metatiles", "pyramid_jobs", "tile_ranges", "write_pyramid",
]

METATILE_PX = 1024
"""Edge of one metatile read in pixels (4 tiles of 256 px, 2 tiles of 512 px)."""

AVERAGED_ZOOMS = 3
"""Zooms above the deepest one that are built by 2 x 2 averaging instead of warping.

More would save little warping (each zoom has a quarter of the pixels of the one below) and
leave too few, too big jobs to share between workers.
"""


@dataclass(frozen=True)
class Metatile:
    """A block of tiles at one zoom: columns ``x0..x1`` and rows ``y0..y1`` (inclusive)."""

    z: int
    x0: int
    y0: int
    x1: int
    y1: int
    tms: str = DEFAULT_TMS

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """Bounds of the whole block in its tile matrix set's CRS."""
        grid = tile_matrix_set(self.tms)
        ul = grid.xy_bounds(morecantile.Tile(self.x0, self.y0, self.z))
        lr = grid.xy_bounds(morecantile.Tile(self.x1, self.y1, self.z))
        return (ul.left, lr.bottom, lr.right, ul.top)

    @property
    def n_tiles(self) -> int:
        """Tiles in the block."""
        return (self.x1 - self.x0 + 1) * (self.y1 - self.y0 + 1)


@dataclass
class PyramidResult:
    """What :func:`write_pyramid` wrote."""

    path: Path
    min_zoom: int
    max_zoom: int
    tile_size: int
    format: str
    bounds: tuple[float, float, float, float]
    tiles_written: int = 0
    tiles_empty: int = 0
    bytes_written: int = 0
    per_zoom: dict[int, int] = field(default_factory=dict)


def tile_ranges(
    bounds: tuple[float, float, float, float], min_zoom: int, max_zoom: int,
    tms: str = DEFAULT_TMS, native_bounds: tuple[float, float, float, float] | None = None,
) -> dict[int, tuple[int, int, int, int]]:
    """Per zoom, the inclusive tile range ``(x0, y0, x1, y1)`` covering lon/lat ``bounds``.

    For a grid other than Web Mercator, ``native_bounds`` (the data's bounds in that grid's
    CRS) are used; ranges are clipped to the grid's matrix.
    """
    west, south, east, north = bounds
    grid = tile_matrix_set(tms)
    # data across the antimeridian: columns counted on past the matrix's east edge (its
    # first columns again), so one range holds both sides (:func:`_wrapped_column`)
    across = crosses_antimeridian(bounds) and world_span(grid.rasterio_crs.to_wkt()) is not None
    out = {}
    for z in range(min_zoom, max_zoom + 1):
        m = grid.matrix(z)
        # a hair inside the east/south edges, so an edge on a tile boundary adds no column
        if tms == DEFAULT_TMS or native_bounds is None:
            eps = 1e-9
            tiler = WEB_MERCATOR if tms == DEFAULT_TMS else grid
            ul = tiler.tile(wrapped_lon(west), north, z)
            lr = tiler.tile(wrapped_lon(east) - eps, south + eps, z)
            x1 = lr.x + (m.matrixWidth if across else 0)
        else:
            left, bottom, right, top = native_bounds
            span = world_span(grid.rasterio_crs.to_wkt()) if across else None
            ul = grid._tile(left, top, z)
            # past the world's east edge the tile maths clamp: its first columns again
            wrap = span[1] - span[0] if span is not None and right > span[1] else 0.0
            lr = grid._tile(right - wrap - 1e-6, bottom + 1e-6, z)
            x1 = lr.x + (m.matrixWidth if wrap else 0)
        x0 = max(0, ul.x)
        if across and x1 - x0 + 1 >= m.matrixWidth:  # the whole world at this zoom
            x0, x1 = 0, m.matrixWidth - 1
        out[z] = (x0, max(0, ul.y), x1 if across else min(m.matrixWidth - 1, x1),
                  min(m.matrixHeight - 1, lr.y))
    return out


def _wrapped_column(tms: str, z: int, x: int) -> int:
    """Tile column ``x`` of zoom ``z`` within the matrix: a column counted on past its east
    edge (data across the antimeridian, :func:`tile_ranges`) is the world's first again."""
    return x % matrix_shape(tms, z)[0]


def metatiles(
    bounds: tuple[float, float, float, float], min_zoom: int, max_zoom: int, *, block: int,
    tms: str = DEFAULT_TMS, native_bounds: tuple[float, float, float, float] | None = None,
) -> Iterator[Metatile]:
    """Blocks of at most ``block`` x ``block`` tiles covering ``bounds`` at each zoom."""
    ranges = tile_ranges(bounds, min_zoom, max_zoom, tms, native_bounds)
    for z, (x0, y0, x1, y1) in ranges.items():
        for by in range(y0, y1 + 1, block):
            for bx in range(x0, x1 + 1, block):
                yield Metatile(z, bx, by, min(bx + block - 1, x1), min(by + block - 1, y1),
                               tms)


def downsample_2x2(values: np.ndarray) -> np.ndarray:
    """Halve a float array (even shape) by 2 x 2 means of its finite cells; none finite: NaN.

    This is how a lower zoom is built from the zoom below, as gdal2tiles builds overview
    tiles from their children: no second warp from the source.
    """
    quads = (values[0::2, 0::2], values[0::2, 1::2], values[1::2, 0::2], values[1::2, 1::2])
    out = quads[0] + quads[1]
    out += quads[2]
    out += quads[3]
    out *= np.float32(0.25)
    partial = np.isnan(out)  # a NaN child somewhere: average only the finite ones
    if partial.any():
        children = np.stack([q[partial] for q in quads])
        finite = np.isfinite(children)
        with np.errstate(invalid="ignore"):  # 0 / 0: no finite child, the cell stays NaN
            out[partial] = np.where(finite, children, 0).sum(axis=0) / finite.sum(axis=0)
    return out


def downsample_2x2_mode(values: np.ndarray) -> np.ndarray:
    """Halve a float array (even shape) by the most common finite value of each 2 x 2
    block, a tie going to the first of them (top left, top right, bottom left, bottom
    right); none finite: NaN.

    The lower zooms of a layer read with ``nearest`` resampling (a class map): every
    value is one of the zoom below's, as GDAL's ``mode`` overviews keep class codes. The
    2 x 2 mean (:func:`downsample_2x2`) drew "too low" (0) beside "above" (2) as
    "uncertain" (1), a class that is not there.
    """
    quads = np.stack((values[0::2, 0::2], values[0::2, 1::2], values[1::2, 0::2],
                      values[1::2, 1::2]))
    # how many of the four each child equals (NaN equals none, itself included)
    votes = (quads[:, None] == quads[None, :]).sum(axis=1)
    first = votes.argmax(axis=0)  # argmax: the first of the most common
    return np.take_along_axis(quads, first[None], axis=0)[0]


DOWNSAMPLERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "bilinear": downsample_2x2, "nearest": downsample_2x2_mode,
}
"""How a zoom is built from the zoom below, by the layer's resampling."""


@dataclass(frozen=True)
class _Job:
    """One metatile and its sub-blocks down to ``warp_zoom``: warped there, averaged above."""

    meta: Metatile
    warp_zoom: int


def _children(meta: Metatile, ranges: dict[int, tuple[int, int, int, int]],
              block: int) -> Iterator[Metatile]:
    """The blocks at ``meta.z + 1`` (at most 2 x 2) inside the tile range covering ``meta``."""
    z = meta.z + 1
    rx0, ry0, rx1, ry1 = ranges[z]
    x_lo, x_hi = max(2 * meta.x0, rx0), min(2 * meta.x1 + 1, rx1)
    y_lo, y_hi = max(2 * meta.y0, ry0), min(2 * meta.y1 + 1, ry1)
    for by in range(y_lo, y_hi + 1, block):
        for bx in range(x_lo, x_hi + 1, block):
            yield Metatile(z, bx, by, min(bx + block - 1, x_hi), min(by + block - 1, y_hi),
                           meta.tms)


def _block_values(
    meta: Metatile, warp_zoom: int, source: LayerSource, write: Callable[[Metatile, np.ndarray],
    None], ranges: dict[int, tuple[int, int, int, int]], *, tile_size: int, resampling: str,
) -> np.ndarray:
    """Float values of ``meta`` (NaN: no data), writing its tiles and those of its sub-blocks.

    At ``warp_zoom`` the block is warped from the source; above it, the block is the
    2 x 2 average (mode, for ``nearest``: :data:`DOWNSAMPLERS`) of its children, rendered
    first (depth first, so memory holds one
    block per zoom level).
    """
    nx, ny = meta.x1 - meta.x0 + 1, meta.y1 - meta.y0 + 1
    if meta.z >= warp_zoom:
        data = source.read_mercator(
            meta.bbox, width=nx * tile_size, height=ny * tile_size, resampling=resampling,
            crs=None if meta.tms == DEFAULT_TMS else tile_matrix_set(meta.tms).rasterio_crs,
        )
        values = data.filled(np.nan).astype(source.value_dtype, copy=False)
    else:
        mosaic = np.full((2 * ny * tile_size, 2 * nx * tile_size), np.nan,
                         dtype=source.value_dtype)
        block = METATILE_PX // tile_size
        for child in _children(meta, ranges, block):
            r0, c0 = (child.y0 - 2 * meta.y0) * tile_size, (child.x0 - 2 * meta.x0) * tile_size
            part = _block_values(child, warp_zoom, source, write, ranges,
                                 tile_size=tile_size, resampling=resampling)
            mosaic[r0:r0 + part.shape[0], c0:c0 + part.shape[1]] = part
        values = DOWNSAMPLERS.get(resampling, downsample_2x2)(mosaic)
    write(meta, values)
    return values


def _render_job(
    job: _Job, source: LayerSource, root: Path, *, colormap: str, vmin: float,
    vmax: float, tile_size: int, fmt: ImageFormat, resampling: str,
    ranges: dict[int, tuple[int, int, int, int]], rgba: bool = False,
    stops: tuple[float, ...] | None = None, palette: np.ndarray | None = None,
) -> list[tuple[int, int, int, int]]:
    """Render one job; per block written, ``(zoom, tiles written, tiles empty, bytes)``."""
    counts: list[tuple[int, int, int, int]] = []

    def write(meta: Metatile, values: np.ndarray) -> None:
        counts.append(_write_tiles(meta, values, root, colormap=colormap, vmin=vmin,
                                   vmax=vmax, tile_size=tile_size, fmt=fmt, rgba=rgba,
                                   quality=webp_quality(resampling), stops=stops,
                                   palette=palette))

    _block_values(job.meta, job.warp_zoom, source, write, ranges, tile_size=tile_size,
                  resampling=resampling)
    return counts


def _write_tiles(
    meta: Metatile, values: np.ndarray, root: Path, *, colormap: str, vmin: float,
    vmax: float, tile_size: int, fmt: ImageFormat, rgba: bool = False,
    quality: int = WEBP_QUALITY, stops: tuple[float, ...] | None = None,
    palette: np.ndarray | None = None,
) -> tuple[int, int, int, int]:
    """Colour one block's values, cut them into tiles and write the tiles holding data
    (WebP at ``quality``: :func:`tiles.colormap.webp_quality`)."""
    if not np.isfinite(values).any():
        return meta.z, 0, meta.n_tiles, 0
    index = render_indexed(values, vmin=vmin, vmax=vmax, stops=stops)
    nx, ny = meta.x1 - meta.x0 + 1, meta.y1 - meta.y0 + 1
    written = empty = nbytes = 0
    for j in range(ny):
        for i in range(nx):
            tile = index[j * tile_size:(j + 1) * tile_size, i * tile_size:(i + 1) * tile_size]
            if not tile.any():  # index 0 everywhere: no data in this tile
                empty += 1
                continue
            payload = encode_indexed(tile, colormap, fmt, rgba=rgba, quality=quality,
                                     palette=palette)
            column = str(_wrapped_column(meta.tms, meta.z, meta.x0 + i))
            _write_tile(root, (str(meta.z), column, f"{meta.y0 + j}.{fmt}"), payload)
            written += 1
            nbytes += len(payload)
    return meta.z, written, empty, nbytes


def _tile_scratch(root: Path) -> Path:
    """The folder of the temporary files of the tiles written under the staging folder
    ``root``: beside it (same file system), hidden, named from it (``..pyr.staging-<hex>.
    tmp-<hex>``, a leftover :func:`sweep_leftovers` removes), made and removed by
    :func:`write_pyramid` only."""
    return root.parent / f".{root.name}.tmp-{root.name[-8:]}"


def _write_tile(root: Path, parts: tuple[str, str, str], payload: bytes) -> None:
    """Write one tile, ``root/{z}/{x}/{y}.{fmt}`` (``parts``), whole or not at all.

    The bytes go to a hidden temporary file in the pyramid's scratch folder beside ``root``
    (:func:`_tile_scratch`, :func:`temp_name`), renamed onto the tile once written: a tile
    was written in place, so a task that wrote it again (one whose worker the cluster had
    given up on, still running beside its retry, then killed) emptied the finished tile
    and left it cut short in the published pyramid and archives. A writer killed mid-write
    leaves only its temporary file, never inside ``root``: the scratch folder is removed
    before the pyramid is published (:func:`write_pyramid`), so a writer killed between
    that and the publish leaves nothing in the pyramid either (a temporary file beside the
    tile, swept before the publish, was published when written after the sweep).
    Neither ``root`` nor the scratch folder is ever made here: a task still running once
    the pyramid was published or given up fails instead of writing beside the output."""
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        folder.mkdir(exist_ok=True)
    target = folder / parts[-1]
    tmp = _tile_scratch(root) / temp_name(target).name
    try:
        tmp.write_bytes(payload)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_WORKER_SOURCES: dict[tuple[str, str | None, str | None, Path], LayerSource] = {}


def _job_in_worker(
    job: _Job, path: str, variable: str | None, date: str | None, root: Path,
    kwargs: dict[str, Any]
) -> list[tuple[int, int, int, int]]:
    """Pool or cluster task: render one job with this process's own open source.

    A source stays open for the jobs of one pyramid (one staging folder ``root``) only: a
    long-lived worker must not read an old, replaced COG through a handle it kept.
    """
    key = (path, variable, date, root)
    if key not in _WORKER_SOURCES:
        _WORKER_SOURCES.clear()
        _WORKER_SOURCES[key] = LayerSource(path=Path(path), variable=variable, date=date)
    return _render_job(job, _WORKER_SOURCES[key], root, **kwargs)


def _executor(kind: str, workers: int) -> Executor:
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pyramid")
    # forkserver: workers start from a clean server process (no inherited threads, locks or
    # open GDAL handles from the caller, e.g. a dask client); the imports are preloaded once
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tiles.pyramid"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def pyramid_jobs(
    bounds: tuple[float, float, float, float], min_zoom: int, max_zoom: int, *, block: int,
    tms: str = DEFAULT_TMS, native_bounds: tuple[float, float, float, float] | None = None,
) -> list[_Job]:
    """The pyramid as independent jobs, biggest first.

    The deepest zoom is warped from the source; the :data:`AVERAGED_ZOOMS` zooms above it
    are averaged from it inside one job per tile of the shallowest of them; zooms shallower
    still (a few small blocks) are warped on their own from the COG's overviews.
    """
    top = max(min_zoom, max_zoom - AVERAGED_ZOOMS)
    if crosses_antimeridian(bounds):
        # a zoom drawn whole-world wide numbers its columns 0..n-1, the zoom below counts
        # on past the east edge: such a zoom is warped, never averaged from the one below
        ranges = tile_ranges(bounds, top, max_zoom, tms, native_bounds)
        while top < max_zoom and ranges[top][::2] == (0, matrix_shape(tms, top)[0] - 1):
            top += 1
    kw: dict[str, Any] = {"tms": tms, "native_bounds": native_bounds}
    jobs = [_Job(m, max_zoom) for m in metatiles(bounds, top, top, block=1, **kw)]
    if top > min_zoom:
        jobs += [_Job(m, m.z) for m in metatiles(bounds, min_zoom, top - 1, block=block, **kw)]
    # biggest first, so the last jobs to finish are small
    jobs.sort(key=lambda j: -j.meta.n_tiles * 4 ** (j.warp_zoom - j.meta.z))
    return jobs


def write_pyramid(
    source: LayerSource, out_dir: str | Path, *, colormap: str, vmin: float, vmax: float,
    min_zoom: int, max_zoom: int, tile_size: int = 256, fmt: ImageFormat = "png",
    resampling: str = "bilinear", workers: int | None = None,
    executor: Literal["process", "thread"] | Executor = "thread",
    progress: Callable[[int, int], None] | None = None, tile_matrix_set: str = DEFAULT_TMS,
    rgba: bool = False, stops: tuple[float, ...] | None = None,
    palette: np.ndarray | None = None,
) -> PyramidResult:
    """Render ``source`` into an XYZ pyramid ``out_dir/{z}/{x}/{y}.{fmt}``, atomically.

    Parameters
    ----------
    source
        The layer's data (COG or cube variable). Its readers and dataset handles are
        closed (:meth:`tiles.source.LayerSource.close`) when the pyramid is written or
        has failed; the source opens its files again if read after.
    out_dir
        Pyramid root; replaced as a whole once every tile is written (a half-written
        pyramid is never left where a reader could take it for a result).
    colormap, vmin, vmax, stops
        Rendering (see :func:`tiles.colormap.render_rgba`; ``stops``: a class map's codes
        coloured by rank, :attr:`prospect.config.tiles.TileLayerConfig.colour_stops`).
    min_zoom, max_zoom
        Inclusive zoom range.
    tile_size
        256 or 512 pixels.
    fmt
        ``png`` or ``webp``.
    resampling
        ``bilinear`` or ``nearest`` (for the warp to Web Mercator and overview reads, and
        how a zoom is built from the one below: 2 x 2 mean or mode).
    workers
        Blocks rendered in parallel (default: CPU count); 1 renders in this thread.
    executor
        ``thread`` (default: no start-up cost; the GDAL warps run in parallel, PNG
        encoding holds the GIL) or ``process`` (a forkserver pool: every step runs in
        parallel, worth its start-up for pyramids of thousands of tiles; the calling
        script needs an ``if __name__ == "__main__":`` guard), or an executor to submit
        the jobs to, e.g. a dask client's ``get_executor()``: each job then opens the
        source in the process that runs it, and ``workers`` is ignored.
    progress
        Called as ``progress(done_blocks, total_blocks)``.
    rgba
        RGBA PNG tiles instead of paletted ones (same colours).
    palette
        A class map's own colours (:func:`tiles.colormap.class_palette`) in place of
        ``colormap``'s palette.
    tile_matrix_set
        The grid (see :mod:`tiles.grids`): ``WebMercatorQuad`` (XYZ, default),
        ``NetherlandsRDNewQuad`` (EPSG:28992) or ``UTM{zone}WGS84Quad``.

    Tiles with no data at all are not written (XYZ clients treat a missing tile as empty).
    """
    if tile_size not in (256, 512):
        raise ValueError(f"tile_size must be 256 or 512, got {tile_size}")
    if not 0 <= min_zoom <= max_zoom <= 24:
        raise ValueError(f"need 0 <= min_zoom <= max_zoom <= 24, got {min_zoom}..{max_zoom}")
    # the source's readers and handles (this thread's and the pool's) are closed when
    # the pyramid is done or failed: left open, they outlived the call
    with source:
        out_dir = Path(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        bounds = source.lonlat_bounds
        tms_name = tile_matrix_set
        grid = _grid(tms_name)
        if not grid.minzoom <= min_zoom <= max_zoom <= grid.maxzoom:
            raise ValueError(f"zooms {min_zoom}..{max_zoom} outside {tms_name}'s "
                             f"{grid.minzoom}..{grid.maxzoom}")
        native = None if tms_name == DEFAULT_TMS else source.native_footprint(grid.rasterio_crs)[0]
        jobs = pyramid_jobs(bounds, min_zoom, max_zoom, block=METATILE_PX // tile_size,
                            tms=tms_name, native_bounds=native)
        result = PyramidResult(
            path=out_dir, min_zoom=min_zoom, max_zoom=max_zoom, tile_size=tile_size, format=fmt,
            bounds=bounds, per_zoom={z: 0 for z in range(min_zoom, max_zoom + 1)},
        )
        n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
        kwargs: dict[str, Any] = dict(colormap=colormap, vmin=vmin, vmax=vmax, stops=stops,
                                      palette=palette, tile_size=tile_size,
                                      fmt=fmt, resampling=resampling, rgba=rgba,
                                      ranges=tile_ranges(bounds, min_zoom, max_zoom, tms_name,
                                                         native))

        def record(done: int, counts: list[tuple[int, int, int, int]]) -> None:
            for z, written, empty, nbytes in counts:
                result.tiles_written += written
                result.tiles_empty += empty
                result.bytes_written += nbytes
                result.per_zoom[z] += written
            if progress is not None:
                progress(done, len(jobs))

        with staged_dir(out_dir) as staging, _scratch_for(staging):
            if isinstance(executor, Executor):
                futures = [executor.submit(_job_in_worker, j, str(source.path), source.variable,
                                           source.date, staging, kwargs) for j in jobs]
                for done, fut in enumerate(_completed(futures), start=1):
                    record(done, fut.result())
            elif n_workers == 1:
                for done, job in enumerate(jobs, start=1):
                    record(done, _render_job(job, source, staging, **kwargs))
            else:
                with _executor(executor, n_workers) as pool:
                    if executor == "thread":
                        futures = [pool.submit(_render_job, j, source, staging, **kwargs)
                                   for j in jobs]
                    else:
                        futures = [pool.submit(_job_in_worker, j, str(source.path),
                                               source.variable, source.date, staging, kwargs)
                                   for j in jobs]
                    for done, fut in enumerate(as_completed(futures), start=1):
                        record(done, fut.result())
        return result


@contextmanager
def _scratch_for(staging: Path) -> Iterator[Path]:
    """The tiles' scratch folder of ``staging`` (:func:`_tile_scratch`), removed when the
    block ends (before the publish) by renaming it aside first: a task still writing (of a
    worker the cluster gave up on) then finds no folder to write its temporary file into
    or rename it from, and what a task killed mid-write left goes with the folder."""
    scratch = _tile_scratch(staging)
    scratch.mkdir()
    try:
        yield scratch
    finally:
        remove_aside(scratch)


def _completed(futures: list[Any]) -> Iterator[Any]:
    """``futures`` as they finish: concurrent.futures' or dask's (a cluster executor)."""
    if futures and not isinstance(futures[0], Future):
        from distributed import as_completed as cluster_completed

        return iter(cluster_completed(futures))
    return as_completed(futures)

