"""Temporal composites: a series of scenes, cloud-masked per pixel, reduced per cell.

:func:`plan_composite` returns one :class:`CompositeLayer` per band plus a count of valid
observations. It takes each asset's grid from the item's projection metadata
(``proj:shape``, ``proj:transform``, ``proj:code``/``proj:epsg``) and its calibration from
``raster:bands``, so planning makes no HTTP request; only assets whose items do not state
their grid have their headers read (an item whose header cannot be read is skipped and
named). An asset that cannot be read when a chunk needs it (HTTP 403/404/500, a truncated
file) is skipped in that chunk and named in what the chunk reports
(:meth:`CompositeLayer.compute_reported`); a chunk that loses more than
``remote.max_failed_share`` of the items fails with a clear error. Each chunk reads,
for every scene, only the source pixels under it; the scene's quality layer drops cloudy
pixels (grown by the buffer) in the source's own pixels, *before* resampling; then the
masked scenes are warped onto the chunk, the scenes of one overpass (one platform, one
day: adjacent tiles or WRS rows) mosaicked into one observation, and reduced: median, a
percentile, or the geometric median over all bands (``geomad``, the implementation
odc-algo uses). Memory is one chunk per scene and band, whatever the scene size.
Planning samples one band and the quality layer of every scene on a lattice over the
region (remote items too: decimated reads), so a source without a value or a clear pixel
there is refused before any chunk, and a large share without one is warned of.
"""

from __future__ import annotations

import functools
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import rasterio

from prospect.config.sources import RasterSource
from prospect.config.stac import ordinal
from prospect.errors import (
    ConfigError,
    DataError,
    DataWarning,
    InputFileError,
    ProspectError,
)
from prospect.grid import ChunkWindow, RegionGrid, parse_crs
from prospect.ingest.cloudmask import drop_names, kind_fits_product
from prospect.ingest.landsat import BandCalibration, Saturation, slc_off_fill
from prospect.ingest.layers import Layer
from prospect.ingest.masked import (
    GAP_SHARE,
    LossyBandWarning,
    SceneMask,
    check_clear_cover,
    check_layer_of_each_scene,
    check_mask_name,
    check_scene_mask,
    read_masked_band,
    warn_lossy_stated,
)
from prospect.ingest.products import (
    _unit_word,
    band_coefficients,
    check_one_band,
    dn_formula,
    level1_fill,
    product_limits,
)
from prospect.ingest.rasters import (
    _overlaps,
    _res_in_grid_units,
    _seam_resampling,
    band_nodata,
    check_lossy,
    check_nodata,
    file_coefficients,
    infinite_cell,
    stac_header,
    stated_by,
    warn_stated_crs,
)
from prospect.ingest.stac import (
    RESIGN,
    AssetGrid,
    StacScene,
    check_day_and_night,
    expired_signature,
    read_stac_scenes,
)
from prospect.io.raster import RasterInfo, gdal_settings, value_fits
from prospect.io.remote import (
    SIGN_AZURE,
    SIGN_OR_CHECK_AZURE,
    forget_cached,
    gdal_http_options,
    is_network_name,
    read_failure,
    refusal_fix,
    refused_keys,
    unsigned_azure,
)
from prospect.io.warp import check_stated_grid, choose_resampling, current_name, data_bands
from prospect.recorded import recording
from prospect.redact import redact
from prospect.registry.units import same_units

__all__ = ["CompositeLayer", "ScenePart", "merge_overpasses", "plan_composite",
           "reduce_stack"]

HEADER_THREADS = 8
"""Item headers read at once while planning (remote reads wait on the network)."""

_UNREADABLE: dict[tuple[str, ...], str] = {}
"""A scene's files (in a layer) -> why they could not be read, in this process: an HTTP
error or a timeout answers every chunk the same, so later chunks skip the scene at once
(a timed-out asset would otherwise cost each chunk the whole timeout)."""
_WHOLE_FILE = frozenset({"timeout", "not found", "not a raster", "host not found",
                         "no connection"})


@dataclass(frozen=True)
class ScenePart:
    """One band of one scene: its file, calibration and resampling onto the grid."""

    item_id: str
    info: RasterInfo
    scale: float
    offset: float
    nodata: float | None
    resampling: str
    valid_range: tuple[float, float] | None = None
    """DNs the product clips to (either end, or beyond, is no data), if it has one."""
    saturate: float | None = None
    """The product's saturated DN (no data), if it has one."""
    other_nodata: float | None = None
    """A second fill, where the item and the file state different ones (both no data)."""
    quantity: str = ""
    """What the calibrated values are (``surface_reflectance``...), where the item's
    product tells; empty otherwise."""
    units: str = ""
    """The units the item states (or its product implies), if any."""
    saturation: Saturation | None = None
    """The item's ``QA_RADSAT`` layer and the band's bits in it (those pixels: no data)."""

    @property
    def band(self) -> int:
        """The band's index in its file: an item's asset is one band (its first)."""
        return 1

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary for provenance (credentials removed from URLs)."""
        out = {"item": self.item_id, "file": redact(self.info.path), "scale": self.scale,
               "offset": self.offset, "nodata": self.nodata, "resampling": self.resampling}
        if self.valid_range is not None:
            out["valid_range"] = list(self.valid_range)
        if self.saturate is not None:
            out["saturate"] = self.saturate
        if self.other_nodata is not None:
            out["other_nodata"] = self.other_nodata
        if self.quantity:
            out["quantity"] = self.quantity
        if self.saturation is not None:
            out["saturation"] = {**self.saturation.describe(),
                                 "file": redact(self.saturation.path)}
        return out


def reduce_stack(stack: np.ndarray, method: str, *, percentile: float | None = None,
                 min_count: int = 1, overwrite: bool = False) -> np.ndarray:
    """Reduce ``stack`` (scenes, bands, rows, cols; NaN: no data) over its scenes.

    ``median`` and ``percentile`` reduce each band on its own; ``geomedian`` is the
    multi-band geometric median of the scenes valid in every band. Cells with fewer than
    ``min_count`` valid scenes are NaN. Returns (bands, rows, cols) float32.
    ``overwrite``: ``stack`` may be sorted in place (no second copy of it in memory).
    """
    _n, _bands, _rows, _cols = stack.shape
    if method == "geomedian":
        valid = ~np.isnan(stack).any(axis=1)  # a scene counts only when every band is valid
        stack = np.where(valid[:, None], stack, np.nan)
        count = valid.sum(axis=0)
    else:
        count = (~np.isnan(stack)).sum(axis=0)
    if method == "median":
        out = _nan_quantile(stack, 0.5, count, overwrite=overwrite)
    elif method == "percentile":
        out = _nan_quantile(stack, float(percentile) / 100.0,  # type: ignore[arg-type]
                            count, overwrite=overwrite)
    elif method == "geomedian":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells stay NaN
            out = _geomedian(stack, count)
    else:
        raise ValueError(f"unknown composite method {method!r}")
    out = np.where(count >= min_count, out, np.nan)
    return out.astype(np.float32)


def _nan_quantile(stack: np.ndarray, q: float, count: np.ndarray, *,
                  overwrite: bool = False) -> np.ndarray:
    """``np.nanquantile(stack, q, axis=0)`` (linear interpolation) by one sort.

    NaN sorts last, so the valid values of a cell are the first ``count`` of its column;
    the quantile sits at position ``q * (count - 1)`` between two of them. The same
    definition as numpy's default, without its masked-array path for small axes.
    """
    if overwrite:
        stack.sort(axis=0)
        ordered = stack
    else:
        ordered = np.sort(stack, axis=0)
    pos = q * np.maximum(count - 1, 0)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    frac = (pos - lo).astype(np.float32)
    below = np.take_along_axis(ordered, lo[None], axis=0)[0]
    above = np.take_along_axis(ordered, hi[None], axis=0)[0]
    out = below + (above - below) * frac
    return np.where(count > 0, np.where(frac == 0, below, out), np.nan)


def _geomedian(stack: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Geometric median over the first axis of (scenes, bands, rows, cols), per cell;
    ``count``: the scenes valid in every band, per cell (NaN elsewhere in ``stack``).

    Where the geometric median is not one point it is the one of the cell's own scenes
    alone: the midpoint of two looks (every point between them is a geometric median of
    two), and the median of one band (the middle of the two middle values of an even
    count). geomad starts each cell from the result of the cell before it in its row
    (and afresh at a chunk's first column), so such a cell took a point set by its
    neighbour: two looks of 0.1 and 0.2 gave 0.15 in a chunk's first column and 0.133
    beside it, the map striped by the chunking and a rerun of other chunks another
    value, without a word.
    """
    if stack.shape[1] == 1:  # one band: the median, one value for every count
        return _nan_quantile(stack[:, 0], 0.5, count)[None]
    from geomad import nangeomedian_pcm

    x = np.ascontiguousarray(np.moveaxis(stack, (0, 1), (3, 2)), dtype=np.float32)
    result = nangeomedian_pcm(x, num_threads=1, eps=1e-6)  # (rows, cols, bands)
    out = np.moveaxis(np.asarray(result), 2, 0)
    two = count == 2
    if two.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # cells without a look
            mid = np.nanmean(stack, axis=0)
        out = np.where(two[None], mid, out)
    return out


def merge_overpasses(stack: np.ndarray, overpasses: tuple[int, ...]) -> np.ndarray:
    """``stack`` (scenes, bands, rows, cols) with the scenes of one overpass mosaicked
    into one observation (each cell: the first scene of the overpass with a value there,
    band by band): adjacent Sentinel-2 tiles of one datatake, or WRS rows of one Landsat
    path on one day, overlap, and the same observation counted twice there weighed the
    median towards that day and doubled ``<source>_count`` (``min_count`` met by one
    look). Scenes of no shared overpass are passed as they are."""
    if not overpasses or len(set(overpasses)) == len(overpasses):
        return stack
    order = list(dict.fromkeys(overpasses))
    out = np.full((len(order), *stack.shape[1:]), np.nan, dtype=stack.dtype)
    for s, key in enumerate(overpasses):
        g = order.index(key)
        empty = np.isnan(out[g])
        out[g][empty] = stack[s][empty]
    return out


def valid_count(stack: np.ndarray, method: str) -> np.ndarray:
    """Valid scenes per cell of ``stack`` (scenes, bands, rows, cols): for ``geomedian``
    the scenes valid in every band (those it reduces), else the fewest any band has (each
    band's median or percentile is of its own valid scenes), so a count of ``n`` says
    every band's value is of ``n`` observations or more, and ``count >= min_count`` that
    every band has one. The first band's alone was the count: a band with gaps of its own
    (a saturated SWIR band, its own fill) was counted by another band's looks."""
    if method == "geomedian":
        return (~np.isnan(stack).any(axis=1)).sum(axis=0)
    return (~np.isnan(stack)).sum(axis=0).min(axis=0)


@dataclass(frozen=True, kw_only=True)
class CompositeLayer(Layer):
    """One band (or the valid-observation count) of a temporal composite.

    ``bands`` holds, per band of the composite, the scenes in item order; a band layer
    reads only its own band unless the method is ``geomedian`` (which needs every band).
    """

    bands: tuple[tuple[ScenePart, ...], ...]
    masks: tuple[SceneMask | None, ...]
    band_index: int | None
    method: str
    percentile: float | None
    min_count: int
    gdal_options: tuple[tuple[str, str | int], ...]
    source: str = ""
    item_count: int = 0
    """Items of the source, read or not (what ``max_failed_share`` is a share of)."""
    failed_at_plan: tuple[tuple[str, str], ...] = ()
    max_failed_share: float = 1.0
    overpasses: tuple[int, ...] = ()
    """Per scene, the index of its overpass (:attr:`StacScene.overpass`): scenes of one
    overpass are mosaicked (first valid) into one observation before the reduction;
    empty: every scene is an observation of its own."""

    cost: ClassVar[float] = 4.0

    def _read(self, part: ScenePart, mask: SceneMask | None, grid: RegionGrid,
              window: ChunkWindow) -> np.ndarray:
        """One scene's band on the chunk, cloudy pixels dropped before resampling.

        Raises
        ------
        DataError
            A cell is infinite (:func:`_refuse_infinite`).
        """
        # a DN x scale beyond float32 is an infinity, refused below naming the cell:
        # numpy's own "overflow encountered" line (a library path) is not printed
        with np.errstate(over="ignore"):
            block = read_masked_band(part.info, 1, mask, grid, window, nodata=part.nodata,
                                     scale=part.scale, offset=part.offset,
                                     resampling=part.resampling,
                                     valid_range=part.valid_range, saturate=part.saturate,
                                     other_nodata=part.other_nodata,
                                     saturation=part.saturation)
        _refuse_infinite(block, part, self.source, grid, window)
        return block

    def stack_reported(self, grid: RegionGrid, window: ChunkWindow
                       ) -> tuple[np.ndarray, dict[str, str]]:
        """(scenes, bands, rows, cols) of the bands this layer needs, and the items that
        could not be read for this chunk (id -> why; their scenes are NaN)."""
        # a geomedian needs every band, and so does the count (each band's own looks)
        wanted = list(range(len(self.bands))) if (
            self.method == "geomedian" or self.band_index is None) else [self.band_index]
        n = len(self.bands[0])
        out = np.empty((n, len(wanted), *window.shape), dtype=np.float32)
        lost: dict[str, str] = {}
        with gdal_settings(**dict(self.gdal_options)):
            for s in range(n):
                mask = self.masks[s]
                files = (*(self.bands[b][s].info.path for b in wanted),
                         mask.info.path if mask is not None else "")
                known = _UNREADABLE.get(files)
                try:
                    if known is not None:  # no second wait for the same answer
                        raise InputFileError(known)
                    for j, b in enumerate(wanted):
                        out[s, j] = self._read(self.bands[b][s], mask, grid, window)
                except InputFileError as exc:
                    why = known or _read_failure(_said_of(exc), files)
                    lost[self.bands[0][s].item_id] = why
                    out[s] = np.nan
                    if why.startswith("HTTP ") or why in _WHOLE_FILE:
                        if len(_UNREADABLE) > 4096:
                            _UNREADABLE.clear()
                        _UNREADABLE[files] = why
        if lost:
            _check_losses(self.source, self.max_failed_share, self.item_count,
                          {**dict(self.failed_at_plan), **lost})
        return merge_overpasses(out, self.overpasses), lost

    def stack(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """(scenes, bands, rows, cols) of the bands this layer needs (NaN: not read)."""
        return self.stack_reported(grid, window)[0]

    def compute_reported(self, grid: RegionGrid, window: ChunkWindow
                         ) -> tuple[np.ndarray, dict[str, str]]:
        """The composite (or the count) on one chunk, and the items it could not read.

        Raises
        ------
        DataError
            More than ``remote.max_failed_share`` of the items are lost (at planning
            or in this chunk).
        """
        stack, lost = self.stack_reported(grid, window)
        if self.band_index is None:
            return valid_count(stack, self.method).astype(np.float32), lost
        result = reduce_stack(stack, self.method, percentile=self.percentile,
                              min_count=self.min_count, overwrite=True)
        return result[self.band_index if self.method == "geomedian" else 0], lost

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """The composite (or the count) on one chunk."""
        return self.compute_reported(grid, window)[0]


def _refuse_infinite(block: np.ndarray, part: ScenePart, source: str, grid: RegionGrid,
                     window: ChunkWindow) -> None:
    """An infinite cell is no observation: an infinity in the file, or a DN the scale
    takes past float32 (a float64 fill such as -1.8e308 with no nodata stated). The
    composite took it as one: a median of -inf and a value is NaN (the count still saying
    two looks), of three looks the value beside it, a percentile NaN or the infinity
    itself (plain raster sources refuse it as :class:`~prospect.ingest.rasters.BandRef`
    does).

    Raises
    ------
    DataError
        Naming the item, the file, the cell, its value in the file and the fix.
    """
    cell = infinite_cell(block, part.info, 1, grid, window)
    if cell is None:
        return
    scaled = f" x scale {part.scale:g}" if part.scale != 1.0 else ""
    fix = (f"if {cell.fill!r} marks no data, set 'nodata: {cell.fill!r}' in source "
           f"{source!r} (or the item's raster:bands nodata)" if cell.fill is not None
           else f"if it marks no data, give that value as 'nodata:' in source {source!r}")
    raise DataError(
        f"item {part.item_id!r}: {redact(part.info.path)}: band 1 gives the infinite value "
        f"{cell.value:g} at x={cell.x:.10g}, y={cell.y:.10g} ({cell.count} cell(s) of this "
        f"chunk): an infinity in the file, or a value{scaled} beyond what float32 holds "
        f"(+-3.4e38, e.g. a float64 fill of -1.8e308), which the composite would take as "
        f"an observation; {fix}, else rescale with 'scale:' or fix the file")


def _part(scene: StacScene, var: str, info: RasterInfo, source: RasterSource,
          grid: RegionGrid, told: set[tuple[str, str]]) -> ScenePart:
    """One scene's band: ``value = scale * (product_scale * DN + product_offset) + offset``
    as one pair, no data (:func:`~prospect.ingest.rasters.band_nodata`, as a mosaic's: the
    config's, else the item's and the file's) and the product's clipped and saturated
    DNs."""
    _check_one_band_file(scene, var, info, source)
    cal = scene.calibration.get(var) or BandCalibration(1.0, 0.0, "", "")
    check_nodata(source, info, 1, fill=cal.fill)
    if source.nodata is None and cal.fill is not None and not value_fits(
            cal.fill, info.dtype, info.band_nbits(1)):
        raise DataError(
            f"item {scene.item_id!r}: raster:bands nodata {cal.fill:g} cannot occur in "
            f"{info.path} ({info.dtype}), so it would mark no pixel and the band's fill "
            "would read as values; fix the item, or give the fill with 'nodata:' in source "
            f"{source.name!r}")
    if cal.unstated is not None and (source.scale, source.offset) == (1.0, 0.0):
        a, b = cal.unstated
        raise DataError(
            f"item {scene.item_id!r}: the {var!r} asset holds the product's DNs ("
            f"{dn_formula(a, b)}), but neither the item's raster:bands nor source "
            f"{source.name!r} gives a scale, so the DNs would be read as values; give "
            f"'scale: {a:g}' and 'offset: {b:g}' in the source (or items that state "
            "raster:bands scale and offset)")
    nodata, other_nodata = band_nodata(source, info, 1, cal.fill,
                                       stated_by=f"item {scene.item_id!r}", told=told)
    gaps = slc_off_fill(info.path, source.name, sensor=source.sensor,
                        date=scene.date) if nodata is None and other_nodata is None else None
    if gaps is not None:  # Landsat 7 SLC-off gaps read as dark data
        raise DataError(gaps)
    if nodata is None and other_nodata is None:  # a Level-1 band's fill, by its name
        nodata = level1_fill(str(info.path))
    stated = scene.calibration.get(var)
    who, ignore = stated_by(None, scene.item_id, info, 1, stated)
    scale, offset = band_coefficients(  # plan_raster's rule, the file's tags too
        source, var, file_coefficients(source, info, 1, stated, f"item {scene.item_id!r}"),
        who, info.path, ignore, dtype=info.dtype)
    # the item's clipped and saturated DNs, else those the file's name states (an ESPA
    # file's 16000 and 20000 went in as reflectance 1.6 and 2.0)
    valid_range, saturate = product_limits(cal, info.path)
    return ScenePart(
        item_id=scene.item_id, info=info, scale=scale, offset=offset, nodata=nodata,
        other_nodata=other_nodata,
        # a -180..180 file under a region across 180: no footprint read across the seam
        resampling=_seam_resampling(
            str(info.path), info, grid,
            choose_resampling("continuous", source_res=_res_in_grid_units(info, grid),
                              target_res=grid.resolution, override=source.resampling),
            source),
        valid_range=valid_range, saturate=saturate, quantity=cal.quantity,
        saturation=cal.saturation,
        units=cal.units if (scale, offset) == (cal.scale, cal.offset) or cal.unstated else "")


def _check_stated_file(info: RasterInfo) -> None:
    """Refuse a local file of several bands whose item states its grid (as one band)
    while planning, in the words of the check of the first chunk read
    (:func:`prospect.io.warp.check_stated_grid`). A stated grid is planned without its
    header so that remote items cost no round trip, and was refused only when a chunk
    read the file; but a local file's band 1 is sampled for its fills while planning
    anyway, so a 4-band file under a stated grid was warned of ("declared nodata 0 never
    occurs while 1000 fills ...", its blue band) before it was refused. The stated
    grid's other checks (another grid, giant blocks, the file's own scale) stay with the
    first read and ``prospect plan``'s block check; a remote file is left to its first
    read, and one that cannot be opened to the read that names it.

    Raises
    ------
    DataError
        The file holds more bands than its item states.
    """
    if info.stated_by is None or is_network_name(info.path):
        return
    try:
        with rasterio.open(current_name(info.path)) as src:
            if data_bands(src) > info.count:
                check_stated_grid(info, src)
    except rasterio.errors.RasterioError:
        return  # missing or damaged: the chunk read names it in its own words


def _check_one_band_file(scene: StacScene, var: str, info: RasterInfo,
                         source: RasterSource) -> None:
    """Refuse an asset whose file holds several bands (less its alpha bands) where the item
    lists none (:attr:`StacScene.unlisted`) or one (a list of several is refused by
    :func:`prospect.ingest.stac._check_one_band_asset`): each asset of an item is read as
    its band 1, so ``{red: image}`` of a blue, green, red and NIR GeoTIFF held the blue
    band (0.1 for a red of 0.3), exit 0, and so it did where the item listed ``red``
    alone (the item's list taken for the file's). An asset whose item states its grid in
    full is planned without its header; its file's bands are counted when it is opened
    for pixels (:func:`prospect.io.warp.check_stated_grid`).

    Raises
    ------
    DataError
        Naming the item, the asset, the file's band count and how to read one band.
    """
    if info.data_count <= 1:
        return
    key = (source.assets or {}).get(var, var)
    listed = ("the item does not list its bands" if var in scene.unlisted else
              "the item lists one band for it, which does not say which of them it is")
    raise DataError(
        f"item {scene.item_id!r}: asset {key!r} ({var!r} in source {source.name!r}) is a "
        f"file of {info.data_count} bands ({info.path}) and {listed}, but each asset of an "
        f"item is read as one band (its first), so {var!r} would hold band 1 whatever it "
        "names; map each variable to an asset of one band (a catalogue's per-band "
        "assets), or read the file in a plain source with 'path:' and 'band_names:'")


def _units(source: RasterSource, parts: list[ScenePart]) -> str:
    """The config's ``units:`` where given, else the one the items state for every scene
    of the band (a Collection 2 temperature in K was labelled ``1``), in the first
    scene's spelling where they spell it apart (Planetary Computer's ``kelvin`` beside
    another catalogue's ``K``: a median of temperatures was labelled ``1``), else the
    default."""
    found = [p.units for p in parts]
    if "units" in source.model_fields_set or not found or "" in found or not all(
            same_units(found[0], u) for u in found[1:]):
        return source.units
    return found[0]


def _check_one_product(source: RasterSource, scenes: list[StacScene],
                       opened: list[Any], variables: list[str]) -> None:
    """Refuse items whose band files, calibrated by their names alone (the items state no
    scale), are of products of other calibrations: ESPA's pre-Collection surface
    reflectance (value = 1e-4 x DN) beside Collection 2's (2.75e-5 x DN - 0.2), as a
    user's catalogue of scenes downloaded over the years holds them. One source has one
    ``scale:``, so the refusal of one file asked for its product's scale, and that scale
    given, the other file's asked for the first one back, without saying why.

    Passes where the config's ``scale`` is a change of units of both products' values
    (``scale: 100`` with ``units: "%"``), or none is given and every file's data type
    makes its product certain (each read at its own scale).

    Raises
    ------
    ConfigError
        Naming a file of each product and the fix.
    """
    from prospect.ingest.products import mixed_products_message, named_product

    scale, offset = source.scale, source.offset
    converts = "units" in source.model_fields_set and abs(scale) >= 1.0
    for var in variables:
        seen: dict[float, tuple[str, Any, str | None]] = {}  # by scale: each file's
        # offset applies at the config's scale (a Sentinel-2 baseline's -0.1 beside 0)
        for scene, got in zip(scenes, opened, strict=True):
            cal = scene.calibration.get(var)
            if isinstance(got, str) or (cal is not None and (
                    (cal.scale, cal.offset) != (1.0, 0.0) or cal.unstated is not None)):
                continue  # unread, or calibrated by its item
            path = got[0][var].path
            named = named_product(str(path))
            if named is None or named.scale is None:
                continue
            seen.setdefault(float(f"{named.scale:.9g}"),
                            (str(path), named, got[0][var].dtype))
        if len(seen) < 2 or converts:
            continue
        found = list(seen.values())
        if (scale, offset) == (1.0, 0.0) and all(
                n.dtype is not None and dtype == n.dtype for _, n, dtype in found):
            continue  # each file's name and type make its product certain

        raise ConfigError(mixed_products_message(source.name, var, found[0][:2],
                                                 found[1][:2]))


_SENSOR_OF_PRODUCT = {"landsat-l1": "Landsat", "landsat-l2": "Landsat",
                      "sentinel-2": "Sentinel-2"}
"""The sensor family of an item's product (:attr:`StacScene.product`); HLS granules are
of no product (NASA has made them one sensor's)."""


def _warn_two_sensors(source: str, scenes: list[StacScene]) -> None:
    """Say once when a composite's items are Landsat's and Sentinel-2's products: their
    bands differ in spectral response and in the processing that made them reflectance
    (USGS's, ESA's), and a median of both took them unadjusted without a word, where
    NASA's HLS adjusts them to one response and one grid for this very use. The values
    stay as computed."""
    found: dict[str, list[str]] = {}
    for scene in scenes:
        sensor = _SENSOR_OF_PRODUCT.get(scene.product or "")
        if sensor is not None:
            found.setdefault(sensor, []).append(scene.item_id)
    if len(found) < 2:
        return
    said = "; ".join(f"{len(ids)} {sensor} item(s), e.g. {ids[0]!r}"
                     for sensor, ids in found.items())
    warnings.warn(DataWarning(
        f"source {source!r}: its composite takes the products of two sensors ({said}) as "
        "one: their bands differ in spectral response and in the processing that made "
        "them reflectance (USGS's, ESA's), and go into one value unadjusted; composite "
        "NASA's Harmonized Landsat Sentinel-2 (HLS: HLSL30 and HLSS30, adjusted to one "
        "response on one 30 m grid), or make one source per sensor"), stacklevel=3)


def _check_one_unit(source: str, parts: dict[str, list[ScenePart]]) -> None:
    """Refuse a geometric median of bands in other units: it minimises the sum of
    Euclidean distances over the bands, so a surface temperature in K (about 300) beside
    reflectances (0-1) decided alone which scene each cell took; the median and
    percentiles reduce each band on its own and take any units.

    Raises
    ------
    ConfigError
        Naming the variables of each unit.
    """
    units: list[tuple[str, list[str]]] = []  # each unit's first spelling, its variables
    for var, ps in parts.items():
        for p in ps:
            if p.units:
                named = _unit_group(units, p.units)
                if var not in named:
                    named.append(var)
    if len(units) > 1:
        said = "; ".join(f"{', '.join(vs)} in {u!r}" for u, vs in units)
        raise ConfigError(
            f"source {source!r}: composite.method 'geomedian' takes the scene nearest to "
            f"every band at once, but its items state the bands in other units ({said}), "
            "so the band of the largest numbers would choose alone; composite the bands of "
            "one unit by geomedian (e.g. the reflectances) and the others in a source of "
            "their own, or use method 'median'")


def _unit_group(groups: list[tuple[str, list[str]]], units: str) -> list[str]:
    """The variables of the group of ``groups`` whose unit ``units`` spells (one spelling
    of a unit, ``W m-2 sr-1 um-1`` and ``W/(m2 sr um)``, or of unitless, ``1`` and
    ``reflectance``), a new group's where none does."""
    for label, named in groups:
        if _unit_word(label) == _unit_word(units) or same_units(label, units):
            return named
    groups.append((units, []))
    return groups[-1][1]


def _quantity(parts: list[ScenePart]) -> dict[str, str]:
    """``{"quantity": ...}`` where every scene of a band holds one known quantity (top of
    atmosphere or surface reflectance, temperature), for the variable's provenance."""
    found = {p.quantity for p in parts}
    return {"quantity": found.pop()} if len(found) == 1 and "" not in found else {}


def plan_composite(source: RasterSource, grid: RegionGrid) -> list[Layer]:
    """The layers of a composite source: one per band, plus ``<source>_count``.

    Raises
    ------
    DataError
        No readable item overlaps the region, more than ``remote.max_failed_share``
        of the items cannot be read (the message names them and why), no scene holds a
        value (or a clear pixel) in the region, or ``composite.min_count`` is above the
        overpasses there.
    ConfigError
        ``cloud_mask.kind`` is not the quality layer of an item's product (SCL read as
        ``QA_PIXEL`` bits drops and keeps pixels at random), or the source reads
        ``values: categorical`` (class codes reduced as numbers).
    """
    assert source.stac is not None and source.assets is not None
    assert source.composite is not None
    if source.values == "categorical":
        # every method reduces numbers: the median of classes 20 and 40 was class 30
        raise ConfigError(
            f"source {source.name!r}: 'values: categorical' with 'composite:': a median, "
            "percentile or geomedian of class codes is no class of any item (classes 20 "
            "and 40 give 30); remove 'composite:' to take one item's class per cell with "
            "'mosaic:' (first_valid, most_recent or least_cloudy)")
    comp, cm, remote = source.composite, source.cloud_mask, source.remote
    drop = drop_names(cm.kind, cm.drop) if cm is not None else ()
    scenes = read_stac_scenes(source.stac, dict(source.assets),
                              mask_asset=cm.asset if cm is not None else None,
                              timeout_s=remote.timeout_s, reduced=True)
    check_day_and_night(f"source {source.name!r}", scenes, comp.method)
    if cm is not None:
        for scene in scenes:
            why = kind_fits_product(cm.kind, scene.product)
            if why is not None:
                raise ConfigError(f"source {source.name!r}: item {scene.item_id!r}: {why}")
            if scene.mask:  # by its name, before its header (a GML mask is no raster)
                check_mask_name(cm.kind, scene.mask,
                                where=f"source {source.name!r}: item {scene.item_id!r}")
        check_layer_of_each_scene(f"source {source.name!r}", [
            (s.item_id, str(s.date), s.mask, s.overpass or str(s.date),
             frozenset(s.bands.values())) for s in scenes if s.mask])
    options = gdal_http_options(timeout_s=remote.timeout_s, retries=remote.retries,
                                retry_delay_s=remote.retry_delay_s)
    variables = list(source.assets)
    parts: dict[str, list[ScenePart]] = {v: [] for v in variables}
    masks: list[SceneMask | None] = []
    failed: dict[str, str] = {}
    outside: list[str] = []
    told: set[tuple[str, str]] = set()  # fills that disagreed, warned of once
    lossy_told: set[str] = set()  # lossy codecs, warned of once per source and codec
    # what GDAL kept of the items' remote files (from an earlier plan in this process) is
    # dropped: a file replaced on its server is read as it is now, not as it was
    forget_cached([f for s in scenes for f in (*(s.bands[v] for v in variables), s.mask)
                   if f])

    def headers(scene: StacScene) -> tuple[dict[str, RasterInfo], RasterInfo | None] | str:
        """The scene's grids from its item, else its headers, or why they cannot be read
        (one HTTP round trip each)."""
        stated = _stated_infos(scene, variables, source.crs, with_mask=cm is not None,
                               assets=dict(source.assets or {}),
                               mask_asset=cm.asset if cm is not None else None)
        if stated is not None:
            return stated
        try:
            with gdal_settings(**options):  # GDAL's settings are per thread
                infos = {v: stac_header(scene.bands[v], source.crs, scene.crs)
                         for v in variables}
                minfo = stac_header(scene.mask, source.crs, scene.crs) \
                    if cm is not None and scene.mask else None
        except InputFileError as exc:
            return _read_failure(_said_of(exc), (*scene.bands.values(), scene.mask or ""))
        return infos, minfo

    # Remote headers are latency-bound: read them side by side, in item order.
    if all(_stated_infos(s, variables, source.crs, with_mask=cm is not None)
           is not None for s in scenes):
        opened = [headers(scene) for scene in scenes]  # no HTTP: no threads either
    else:
        with ThreadPoolExecutor(max_workers=HEADER_THREADS) as pool:
            opened = list(pool.map(headers, scenes))
    _check_one_product(source, scenes, opened, variables)
    for scene, got in zip(scenes, opened, strict=True):
        if isinstance(got, str):
            failed[scene.item_id] = got
            continue
        infos, minfo = got
        warn_stated_crs(scene, infos, source)
        if not _overlaps(infos[variables[0]], grid):
            outside.append(scene.item_id)
            continue
        for v in variables:
            # the plain rasters' rule: codes of a lossy file refused, values warned of
            check_lossy(infos[v].path, infos[v], source, lossy_told)
            _check_stated_file(infos[v])
            parts[v].append(_part(scene, v, infos[v], source, grid, told))
        mask = (SceneMask(info=minfo, kind=cm.kind, drop=drop, buffer_m=cm.buffer_m)
                if cm is not None and minfo is not None else None)
        if mask is not None:
            check_scene_mask(mask, infos, grid,
                             where=f"source {source.name!r}: item {scene.item_id!r}")
        masks.append(mask)
    _check_losses(source.name, remote.max_failed_share, len(scenes), failed)
    if not parts[variables[0]]:
        raise DataError(
            f"source {source.name!r}: none of its {len(scenes)} STAC item(s) overlap the "
            f"region {grid.name!r}" + (f" ({len(failed)} could not be read)" if failed else "")
        )
    for v in variables:  # a band number of two sensors' items: two bands in one median
        check_one_band(source.name, v, [str(p.info.path) for p in parts[v]], "composites")
    if comp.method == "geomedian":
        _check_one_unit(source.name, parts)
    used = [p.item_id for p in parts[variables[0]]]
    by_id = {scene.item_id: scene for scene in scenes}
    _warn_two_sensors(source.name, [by_id[i] for i in used])
    dates = sorted({d.isoformat() for i in used if (d := by_id[i].date) is not None})
    # items that are mosaics of weeks (dated by their midpoint): their ranges
    spans = {i: list(span) for i in used if (span := by_id[i].span) is not None}
    keys = [by_id[i].overpass or ("item", i) for i in used]
    index = {k: n for n, k in enumerate(dict.fromkeys(keys))}
    overpasses = tuple(index[k] for k in keys) if len(index) < len(keys) else ()
    if comp.min_count > len(index):
        shared = f" in {len(index)} overpass(es)" if overpasses else ""
        raise DataError(
            f"source {source.name!r}: composite.min_count is {comp.min_count}, but only "
            f"{len(used)} item(s){shared} overlap the region {grid.name!r} "
            f"({', '.join(used[:8])}{' ...' if len(used) > 8 else ''}), so no cell could "
            "reach it and every variable would be all no data; lower composite.min_count "
            "or add items")

    def run_all(jobs: list[Any]) -> list[Any]:
        def in_env(job: Any) -> Any:
            with gdal_settings(**options):  # GDAL's settings are per thread
                return job()

        files = [m.info.path for m in masks if m is not None] + [
            p.info.path for p in parts[variables[0]]]
        if len(jobs) == 1 or all("://" not in str(f) for f in files):
            return [in_env(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=HEADER_THREADS) as pool:
            return list(pool.map(in_env, jobs))

    # a region without an observation (clouds, outside every scene, or the scenes' fill:
    # one decimated read of a band per scene, remote items too): warned of, or refused;
    # each variable's share goes into its provenance too (in the place of the first
    # variable's, which the settings hold), any variable's into the count's
    with recording(DataWarning, others=True) as caught:  # the pool's threads' too
        warnings.simplefilter("always", DataWarning)
        cover = check_clear_cover(
            f"source {source.name!r}", list(zip(used, masks, strict=True)), grid,
            min_count=comp.min_count, read=run_all,
            extents=[p.info for p in parts[variables[0]]], bands=parts[variables[0]],
            overpasses=overpasses, other_bands={v: parts[v] for v in variables[1:]})
        # the sample read above told the first variable's lossy codec; the others' assets
        # of stated grids are opened for theirs (a JPEG nir beside a DEFLATE red)
        run_all([functools.partial(warn_lossy_stated, p.info)
                 for v in variables[1:] for p in parts[v] if p.info.stated_by is not None])
    count_name = f"{source.name}_count"
    lossy = _lossy_groups(caught)
    for w in caught:
        text = str(w.message)
        if isinstance(w.message, LossyBandWarning):  # once per source and asset and codec
            same = lossy[w.message.group]
            if w is not same[0]:
                continue
            if len(same) > 1:
                text += f" ({len(same) - 1} more item(s) of source {source.name!r} likewise)"
        elif issubclass(w.category, DataWarning) and not comp.count_variable \
                and cover.any_short >= GAP_SHARE:
            text += (f"; the variable {count_name!r} (valid observations per cell) is "
                     "written to show where, though composite.count_variable is false")
        warnings.warn_explicit(text if issubclass(w.category, DataWarning) else w.message,
                               w.category, w.filename, w.lineno)
    settings = {
        "source": source.name, "composite": comp.method, "percentile": comp.percentile,
        "min_count": comp.min_count, "items": used, "dates": dates,
        **({"date_ranges": spans} if spans else {}),
        "items_failed": failed,
        "items_outside": outside,
        "cloud_mask": {"kind": cm.kind, "asset": cm.asset, "drop": list(drop),
                       "buffer_m": cm.buffer_m} if cm is not None else None,
        "gdal_http": options, "no_observation_share": round(cover.short, 4),
        "overpasses": len(index),
    }
    inputs = tuple(sorted({redact(p.info.path) for ps in parts.values() for p in ps}
                          | {redact(m.info.path) for m in masks if m is not None}))
    common: dict[str, Any] = dict(
        kind="continuous", inputs=inputs,
        bands=tuple(tuple(parts[v]) for v in variables), masks=tuple(masks),
        method=comp.method, percentile=comp.percentile, min_count=comp.min_count,
        gdal_options=tuple(sorted(options.items())), source=source.name,
        item_count=len(scenes), failed_at_plan=tuple(failed.items()),
        max_failed_share=remote.max_failed_share, overpasses=overpasses,
    )
    label = (f"{ordinal(comp.percentile)} percentile" if comp.percentile is not None
             else {"median": "median", "geomedian": "geometric median"}[comp.method])
    if len(index) == 1:  # nothing to reduce: the one overpass's own values, said so
        label = (f"one overpass's own values ({len(used)} scene"
                 f"{'s' if len(used) > 1 else ''}, no {label} of several dates)")
        label_of = label
    else:
        label_of = f"{label} of {len(used)} scenes"
    layers: list[Layer] = [
        CompositeLayer(
            name=v, units=_units(source, parts[v]),
            long_name=source.long_name or f"{label_of}, {v}",
            settings={**settings, "band": v,
                      "no_observation_share": round(cover.of(v), 4),
                      **_quantity(parts[v]), "scenes": [p.describe() for p in parts[v]]},
            band_index=i, **common,
        )
        for i, v in enumerate(variables)
    ]
    if comp.count_variable or cover.any_short >= GAP_SHARE:  # where cells lack one: shown
        layers.append(CompositeLayer(
            name=count_name, units="1",
            long_name=f"valid observations per cell ({len(used)} scenes"
                      + (f", {cm.kind} mask" if cm is not None else "") + ")",
            settings={**settings, "band": "count",
                      "no_observation_share": round(cover.any_short, 4)},
            band_index=None, **common,
        ))
    return layers


def _lossy_groups(caught: list[warnings.WarningMessage]
                  ) -> dict[tuple[str, str], list[warnings.WarningMessage]]:
    """The lossy-codec warnings of a plan (:class:`LossyBandWarning`) by asset and codec:
    each group is told once, with how many more items share it."""
    groups: dict[tuple[str, str], list[warnings.WarningMessage]] = {}
    for w in caught:
        if isinstance(w.message, LossyBandWarning):
            groups.setdefault(w.message.group, []).append(w)
    return groups


def _same_crs(a: str, b: str) -> bool:
    """Whether two CRS texts name one CRS (an unknown one: not the same)."""
    if a == b:
        return True
    try:
        return bool(parse_crs(a) == parse_crs(b))
    except ProspectError:
        return False


def _stated_infos(scene: StacScene, variables: list[str], crs: str | None, *,
                  with_mask: bool, assets: dict[str, str] | None = None,
                  mask_asset: str | None = None
                  ) -> tuple[dict[str, RasterInfo], RasterInfo | None] | None:
    """The scene's assets described from its item alone, or ``None`` when it does not
    state every grid (or its CRS) in full: then the headers must be read.

    The CRS is the asset's, else the item's, checked against the file's when it is opened;
    with a config ``crs`` (for files without one,
    :func:`~prospect.ingest.rasters.stac_header`) an item that
    states none or another is ``None`` too, so its header tells (a zone-32 item of a
    composite whose config says zone 31 was read in zone 31, a zone away). No data is
    ``raster:bands`` ``nodata`` where stated, else the file's, which the reader takes.
    Each description names its item and asset (``assets``: variable -> asset key;
    ``mask_asset``), and the stated grid is checked against the file when the file is
    opened for pixels (:func:`prospect.io.warp.check_stated_grid`).
    """
    assets = assets or {}
    def info(path: str | None, g: AssetGrid | None, var: str | None,
             asset: str | None) -> RasterInfo | None:
        use_crs = (g.crs if g is not None else None) or scene.crs
        if crs is not None and (use_crs is None or not _same_crs(crs, use_crs)):
            return None  # the config's CRS is for files without one: the header tells
        if path is None or g is None or use_crs is None:
            return None
        cal = scene.calibration.get(var) if var else None
        nodata = cal.fill if cal is not None else None
        # the item states the band's scale too (none: 1, 0); the file's own tags are
        # checked against it when it is opened for pixels
        coef = (cal.scale, cal.offset) if cal is not None and cal.unstated is None else (
            1.0, 0.0)
        return RasterInfo(path=path, crs=use_crs, transform=g.transform, width=g.shape[1],
                          height=g.shape[0], count=1, dtype=g.dtype or "float32",
                          nodata=(nodata,), descriptions=(None,), scales=(coef[0],),
                          offsets=(coef[1],),
                          stated_by=f"item {scene.item_id!r} asset {asset!r}",
                          stated_crs=True)

    infos: dict[str, RasterInfo] = {}
    for v in variables:
        got = info(scene.bands[v], scene.grids.get(v), v, assets.get(v, v))
        if got is None:
            return None
        infos[v] = got
    minfo = info(scene.mask, scene.mask_grid, None, mask_asset) if with_mask else None
    if with_mask and minfo is None:
        return None
    return infos, minfo


def _said_of(exc: InputFileError) -> str:
    """What a failed read said, for :func:`_read_failure`: GDAL's reason where a network
    failure was already put in a sentence (its fix's ``remote.timeout_s`` read as a
    timeout: a dead host's item counted "timeout", not "no connection")."""
    why = getattr(exc, "why", None)
    return why if isinstance(why, str) and why else str(exc)


def _read_failure(message: str, files: tuple[str, ...]) -> str:
    """Why a scene's ``files`` could not be read (:func:`read_failure` of GDAL's
    ``message``), with the expiry of their signed URLs where the server refused them
    (HTTP 401 or 403 of a signature that expired during the run: "HTTP 403", and the
    advice to check the network, said nothing of it), or that they are Azure Blob Storage
    URLs without a signature (HTTP 409 or 403: Planetary Computer's items as its API
    serves them; HTTP 404, which Azure answers an anonymous read of a private container
    with, as it answers a blob that is not there), or that an object store refused the
    credentials GDAL read them with, or an unsigned read (:func:`refused_keys`)."""
    why = read_failure(message)
    if why in ("HTTP 401", "HTTP 403"):
        for path in files:
            expired = expired_signature(path) if path else None
            if expired is not None:
                return f"{why}: {expired}"
    if why in ("HTTP 401", "HTTP 403", "HTTP 404", "HTTP 409"):
        for path in files:
            unsigned = unsigned_azure(path, why) if path else None
            if unsigned is not None:
                return f"{why}: {unsigned}"
        for path in files:
            refused = refused_keys(path, why) if path else None
            if refused is not None:
                return f"{why}: {refused[0]}"
    return why


def _check_losses(source: str, max_share: float, total: int, failed: dict[str, str]
                  ) -> None:
    if not failed:
        return
    share = len(failed) / max(total, 1)
    if share > max_share:
        named = ", ".join(f"{k} ({v})" for k, v in list(failed.items())[:5])
        unsigned = [v for v in failed.values() if "no shared access signature" in v]
        refused = [fix for v in failed.values()
                   if (fix := refusal_fix(v.partition(": ")[2])) is not None]
        fix = (RESIGN if any("signed URL expired" in v for v in failed.values()) else
               SIGN_AZURE if any(not v.startswith("HTTP 404") for v in unsigned) else
               SIGN_OR_CHECK_AZURE if unsigned else refused[0] if refused else
               "check the network or the catalogue")
        raise DataError(
            f"source {source!r}: {len(failed)} of {total} STAC item(s) could not be "
            f"read ({share:.0%} > remote.max_failed_share {max_share:.0%})"
            f": {named}" + (" ..." if len(failed) > 5 else "")
            + f"; {fix}, or raise remote.max_failed_share"
        )
