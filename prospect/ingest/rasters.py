"""Raster sources (single/multi-band, NetCDF, per-band files, mosaics, STAC, product metadata).

Planning (:func:`plan_raster`) reads only headers: it checks every file, picks each
band's resampling from its value kind and cell size, orders the scenes of a mosaic by
the stated rule, and returns one :class:`RasterLayer` per cube variable. Pixels are
read later, chunk by chunk, by :meth:`RasterLayer.compute`, each band with its own nodata
(:func:`prospect.io.warp.read_warped_window`); with a ``cloud_mask`` the scene's quality
layer drops pixels too (:func:`prospect.ingest.masked.read_masked_band`). Categorical
sources are the exception to "headers only": their codes are scanned once to pick an
integer type that holds them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import re
import shlex
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prospect.config.region import crs_short
from prospect.config.sources import RasterScene, RasterSource
from prospect.errors import ConfigError, CRSError, DataError, DataWarning
from prospect.grid import ChunkWindow, RegionGrid, parse_crs
from prospect.indices.bands import load_sensor
from prospect.ingest.cloudmask import drop_names
from prospect.ingest.fills import stands_apart, stored_forms
from prospect.ingest.landsat import BandCalibration, Saturation, landsat_id, slc_off_fill
from prospect.ingest.layers import (
    DEPTH_BELOW_REFERENCE,
    ELEMENT_SYMBOLS,
    HEIGHT_ABOVE_DATUM,
    NAMED_DATUMS,
    VERTICAL_DATUM_EPSG,
    Layer,
    glossed_sizes,
    height_datum,
    unit_factor,
    unit_key,
    unit_shift,
)
from prospect.ingest.masked import (
    SceneMask,
    check_clear_cover,
    check_layer_of_each_scene,
    check_mask_name,
    check_scene_mask,
    read_masked_band,
)
from prospect.ingest.products import (
    band_coefficients,
    check_one_band,
    check_same_quantity,
    level1_fill,
    level1_saturate,
    mixed_products_message,
    named_product,
    other_product,
    read_product_metadata,
    scene_date_conflict,
)
from prospect.ingest.stac import StacScene, read_stac_scenes
from prospect.io.raster import (
    RasterInfo,
    code_range,
    fill_neighbours_held,
    gdal_settings,
    gpkg_grey_fix,
    pixel_at,
    raster_info,
    region_window,
    value_fits,
)
from prospect.io.remote import gdal_http_options, is_network_name
from prospect.io.warp import (
    CODE_RESAMPLINGS,
    WARP_CACHE_BYTES,
    choose_resampling,
    kernel_margin,
    kernel_scales,
    read_source_block,
    read_warped_window,
    resampling_enum,
)
from prospect.redact import redact

__all__ = ["SENSOR_BANDS", "BandRef", "RasterLayer", "band_nodata", "check_lossy", "plan_raster",
           "stac_header", "warn_stated_crs"]

SENSOR_BANDS: dict[str, tuple[str, ...]] = {
    "sentinel2": ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09",
                  "B10", "B11", "B12"),
    "landsat5": ("B1", "B2", "B3", "B4", "B5", "B6", "B7"),
    "landsat7": ("B1", "B2", "B3", "B4", "B5", "B6", "B6_VCID_1", "B6_VCID_2", "B7", "B8"),
    "landsat8": ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11"),
    "landsat9": ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11"),
    "aster": ("B1", "B2", "B3N", "B3B", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11",
              "B12", "B13", "B14"),
}
"""Band names a sensor's source may use (an unknown name is a config error); a sensor's
aliases (``s2``, ``landsat-8``, ``terra-aster``) use its names."""


@dataclass(frozen=True)
class BandRef:
    """One band of one file, with its calibration and resampling onto the grid.

    ``value = scale * DN + offset`` where ``DN`` is not ``nodata``, lies strictly inside
    ``valid_range`` (when the product states one, which it clips to), is not the product's
    ``saturate`` value and, with a ``mask`` (the scene's quality layer), where the mask
    keeps the pixel. Invalid DNs are dropped before resampling, as masked pixels are.
    """

    info: RasterInfo
    band: int
    scale: float
    offset: float
    nodata: float | None
    resampling: str
    mask: SceneMask | None = None
    quantity: str | None = None
    valid_range: tuple[float, float] | None = None
    saturate: float | None = None
    other_nodata: float | None = None
    """A second fill, where the product's metadata and the file state different ones
    (:func:`band_nodata`): both are no data."""
    saturation: Saturation | None = None
    """The product's ``QA_RADSAT`` layer and the band's bits in it: those pixels are no
    data (:attr:`BandCalibration.saturation`)."""
    exact_fill: bool = False
    """Whether the band holds numbers float32 reads as one of its fills
    (:func:`~prospect.io.raster.fill_neighbours_held`): it is then read in its own type,
    its fills dropped before the cast (the source-block read), not by GDAL's warper after
    it, which dropped those numbers too."""
    saturate_named: bool = False
    """Whether ``saturate`` is the one the file's name states, no metadata
    (:func:`~prospect.ingest.products.level1_saturate`): a chunk whose source pixels hold
    no such DN is read as a band without it is (the plain warp, its values as before)."""
    kernel_scale: tuple[tuple[str, str], ...] = ()
    """The resampling kernel's scales stated to GDAL where the file covers part of the
    grid (:func:`~prospect.io.warp.kernel_scales`); recorded so that a cube made before
    (a kernel narrowed by the part of each block the file covered) is made again."""

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary for provenance."""
        out = {"file": self.info.path, "band": self.band, "scale": self.scale,
               "offset": self.offset, "nodata": self.nodata, "resampling": self.resampling,
               "source_crs": self.info.crs, "source_resolution": self.info.resolution}
        unit = _crs_unit(self.info.crs)
        if unit not in ("", "m"):  # metres as before; a foot or a degree said beside it
            out["source_resolution_unit"] = unit
        if self.other_nodata is not None:
            out["other_nodata"] = self.other_nodata
        if self.quantity:
            out["quantity"] = self.quantity
        if self.mask is not None:
            out["cloud_mask"] = self.mask.describe()
        if self.valid_range is not None:
            out["valid_range"] = list(self.valid_range)
        if self.saturate is not None:
            out["saturate"] = self.saturate
        if self.saturation is not None:
            out["saturation"] = self.saturation.describe()
        if self.exact_fill:
            out["fill_compared"] = "in the band's own type, before float32"
        if self.kernel_scale:
            out["kernel_scale"] = dict(self.kernel_scale)
        if self.info.lossy:  # what the values are: the codec's approximation
            out["lossy_compression"] = self.info.lossy
        if self.info.area_or_point.lower() == "point":  # where GDAL placed its cells
            out["area_or_point"] = "Point"
        elif self.info.area_or_point == "Corner":  # moved onto its values' corners
            out["area_or_point"] = "Corner (GeoPackage grid-value-is-corner)"
        return out

    def read(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """``scale * DN + offset`` on one chunk; no data and masked pixels NaN.

        Raises
        ------
        DataError
            A cell is infinite: an infinity in the file, or a value beyond float32's
            +-3.4e38 (a float64 fill such as -1.8e308), which the cube cannot hold.
        """
        # a value x scale beyond float32 is an infinity, refused below naming the cell:
        # numpy's own "overflow encountered" line (a library path) is not printed
        with np.errstate(over="ignore"):
            block = self._scaled(grid, window)
        _refuse_infinite(block, self, grid, window)
        return block

    def _scaled(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """:meth:`read` before its check for infinite cells."""
        if self.mask is not None or self.valid_range is not None \
                or self.other_nodata is not None or self.saturation is not None \
                or self.exact_fill or self._saturated(grid, window):
            block = read_masked_band(self.info, self.band, self.mask, grid, window,
                                     nodata=self.nodata, scale=self.scale, offset=self.offset,
                                     resampling=self.resampling, valid_range=self.valid_range,
                                     saturate=self.saturate, other_nodata=self.other_nodata,
                                     saturation=self.saturation)
        else:
            block = read_warped_window(self.info, self.band, grid, window,
                                       resampling=resampling_enum(self.resampling),
                                       nodata=self.nodata)
            if self.scale != 1.0 or self.offset != 0.0:
                block = (block * np.float32(self.scale) + np.float32(self.offset)).astype(
                    np.float32)
        return block

    def _saturated(self, grid: RegionGrid, window: ChunkWindow) -> bool:
        """Whether the chunk's read drops a saturated DN: always where the product's
        metadata states one, and where only the file's name does, where the source pixels
        under the chunk (and its kernel's reach) hold it."""
        if self.saturate is None:
            return False
        if not self.saturate_named:
            return True
        kernel = resampling_enum(self.resampling)
        got = read_source_block(self.info, self.band, grid, window, nodata=self.nodata,
                                margin=kernel_margin(self.info, grid, kernel) + 1)
        return got is not None and bool((got[0] == np.float32(self.saturate)).any())


@dataclass(frozen=True)
class InfiniteCell:
    """The first infinite cell of a chunk (:func:`infinite_cell`): where, its value, how
    many the chunk holds, and the file's value there when it is a finite one beyond what
    float32 holds (a float64 fill such as -1.8e308: the ``nodata:`` to give)."""

    x: float
    y: float
    value: float
    count: int
    fill: float | None


def infinite_cell(block: np.ndarray, info: RasterInfo, band: int, grid: RegionGrid,
                  window: ChunkWindow) -> InfiniteCell | None:
    """The first infinite cell of ``block`` (a chunk read from band ``band`` of ``info``),
    or ``None``: what plain raster sources and composites refuse alike."""
    bad = np.isinf(block)
    if not bad.any():
        return None
    r, c = (int(i) for i in np.argwhere(bad)[0])
    x, y = float(grid.x[window.cols][c]), float(grid.y[window.rows][r])
    raw = pixel_at(info, band, x, y, grid.crs_obj)
    fill = (raw if raw is not None and np.isfinite(raw)
            and abs(raw) > float(np.finfo("float32").max) else None)
    return InfiniteCell(x, y, float(block[r, c]), int(bad.sum()), fill)


def _refuse_infinite(block: np.ndarray, ref: BandRef, grid: RegionGrid,
                     window: ChunkWindow) -> None:
    """An infinite cell is no value: the cube (float32) would hold it as one, and it would
    pass for no data downstream (every model drops non-finite cells) without a word."""
    cell = infinite_cell(block, ref.info, ref.band, grid, window)
    if cell is None:
        return
    scaled = f" x scale {ref.scale:g}" if ref.scale != 1.0 else ""
    fix = (f"if {cell.fill!r} marks no data, set 'nodata: {cell.fill!r}' in the source config"
           if cell.fill is not None
           else "if it marks no data, give that value as 'nodata:' in the source config")
    raise DataError(
        f"{ref.info.path}: band {ref.band} gives the infinite value {cell.value:g} at "
        f"x={cell.x:.10g}, y={cell.y:.10g} ({cell.count} cell(s) of this chunk): an infinity "
        f"in the file, or a value{scaled} beyond what float32 holds (+-3.4e38, e.g. a float64 "
        f"fill of -1.8e308); {fix}, else rescale with 'scale:' or fix the file")


@dataclass(frozen=True, kw_only=True)
class RasterLayer(Layer):
    """A cube variable from one band of one or more (mosaicked) raster files.

    ``refs`` are in mosaic priority order: a cell takes the first valid value.
    """

    refs: tuple[BandRef, ...]
    categorical: bool = False
    code_span: tuple[int, ...] = ()
    """``(lowest, highest)`` class code found in the files (categorical layers)."""
    classes: tuple[tuple[int, str], ...] = ()
    """The class name of each code the files state (their raster attribute tables or
    category names), as ``(code, name)`` pairs (categorical layers)."""
    gdal_options: tuple[tuple[str, str | int], ...] = ()
    """GDAL's HTTP settings (timeouts, retries: :func:`~prospect.io.remote.gdal_http_options`
    of the source's ``remote:``) for a layer read over a network; empty for local files."""
    versions: tuple[tuple[str, str], ...] = ()
    """Each file read over a network, with the version its server stated when the layer was
    planned (:func:`~prospect.io.remote.network_version`); a task drops what its process
    keeps of a file whose planned version it has not read yet
    (:func:`~prospect.io.remote.read_as_planned`)."""

    def extra_attrs(self) -> dict[str, Any]:
        """Categorical layers: the code range as a CF ``valid_range`` pair, and the code
        table the files state (``categories``, JSON code -> class name, as geology layers
        write theirs; a model records it and refuses a cube whose codes name other
        classes)."""
        attrs: dict[str, Any] = {}
        if self.categorical and self.code_span:
            attrs["valid_range"] = [int(v) for v in self.code_span]
        if self.categorical and self.classes:
            attrs["categories"] = json.dumps({str(c): n for c, n in self.classes})
        return attrs

    def read_bytes(self) -> int:
        """The largest block one of the scenes (or their quality layers) is read in, when
        it is larger than the block cache the warp keeps (:data:`WARP_CACHE_BYTES`, part
        of the process's own memory): a task then holds it beside the cache."""
        infos = [r.info for r in self.refs] + [r.mask.info for r in self.refs
                                                if r.mask is not None]
        largest = max((i.read_bytes for i in infos), default=0)
        return largest if largest > WARP_CACHE_BYTES else 0

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """Warp each scene onto the chunk and keep the first valid value per cell (under
        the source's HTTP settings where its files are read over a network: GDAL's are per
        thread, and without a timeout a server that never answers held the task forever).

        A worker of a cluster that outlives a run (``--scheduler``) kept GDAL's ranges and
        its open handles of a remote file from an earlier run: a grid replaced on its
        server was ingested again (``--force``) with its old values. The versions planned
        (:attr:`versions`) drop them first where they differ from those this process read.
        """
        if self.versions:
            from prospect.io.remote import read_as_planned

            read_as_planned(self.versions)
        if self.gdal_options:
            with gdal_settings(**dict(self.gdal_options)):
                return self._compute(grid, window)
        return self._compute(grid, window)

    def _compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        out = np.asarray(self.refs[0].read(grid, window), dtype=np.float32)
        for ref in self.refs[1:]:  # a mosaic: later scenes fill the gaps left so far
            gap = np.isnan(out)
            if not gap.any():
                break
            out[gap] = ref.read(grid, window)[gap]
        if self.categorical:
            # codes up to 2**24 are exact in float32; wider codes are refused at planning
            return np.where(np.isnan(out), self.fill_value, np.rint(out)).astype(self.dtype)
        return out


@dataclass(frozen=True)
class _Scene:
    """A scene with its files as GDAL names (URLs keep their ``//``, unlike ``Path``)."""

    files: dict[str, tuple[str, int]]
    multiband: bool
    band_names: list[str] | None
    variable: str | None
    mtl: Path | None
    mask_file: str | None
    crs: str | None
    date: Any
    cloud_cover: float | None
    calibration: dict[str, BandCalibration] | None = None
    """Variable -> the product calibration its STAC item states (:mod:`prospect.ingest.stac`),
    used as a metadata file's would be."""
    item: StacScene | None = None
    """The STAC item the scene comes from (its stated CRS yields to its files')."""


def _from_config(source: RasterSource, scene: RasterScene) -> _Scene:
    mask_key = source.cloud_mask.asset if source.cloud_mask is not None else None
    mask_file = None
    if scene.bands is not None:
        files = {name: (str(p), 1) for name, p in scene.bands.items()}
        if mask_key is not None:
            if mask_key not in files:
                raise ConfigError(
                    f"source {source.name!r}: cloud_mask.asset {mask_key!r} is not a key of "
                    f"the scene's 'bands' ({', '.join(files)}); add the quality layer file "
                    "under that key"
                )
            mask_file = files.pop(mask_key)[0]
    elif mask_key is not None:
        raise ConfigError(f"source {source.name!r}: 'cloud_mask' needs the quality layer as a "
                          "file of its own under 'bands:'")
    else:
        assert scene.path is not None
        names = scene.band_names or source.band_names or [source.name]
        files = {name: (str(scene.path), i + 1) for i, name in enumerate(names)}
    return _Scene(files=files, multiband=scene.path is not None,
                  band_names=scene.band_names or source.band_names,
                  variable=scene.variable or source.variable, mtl=scene.mtl,
                  mask_file=mask_file, crs=scene.crs or source.crs, date=scene.date,
                  cloud_cover=scene.cloud_cover)


def _one_unit(a: str, b: str) -> bool:
    """Whether two units strings spell one unit: ingest's reading (:func:`unit_key`, or
    one size spelt two ways, ``mK/m`` and ``degC/km``) or the model check's
    (:func:`prospect.registry.units.same_units`: ``m a.s.l.`` is ``m``, ``g/cc`` is
    ``g/cm3``), so that what a model takes as one unit is not said here as two."""
    from prospect.registry.units import same_units

    return unit_key(a) == unit_key(b) or unit_factor(a, b) == 1.0 or same_units(a, b)


def _shift_keys(shift: tuple[float, float]) -> str:
    """A temperature conversion (:func:`unit_shift`) as the source keys that make it:
    ``'offset: -273.15'``, or ``'scale: 0.555555555556' and 'offset: -17.7777777778'``."""
    scale, offset = shift
    keys = f"'offset: {offset:.12g}'"
    return keys if scale == 1.0 else f"'scale: {scale:.12g}' and {keys}"


def _shift_formula(stated: str, wanted: str, shift: tuple[float, float]) -> str:
    """A temperature conversion as a formula: ``degC = K - 273.15``, ``degC = degF x
    0.555555555556 - 17.7777777778``."""
    scale, offset = shift
    times = "" if scale == 1.0 else f" x {scale:.12g}"
    sign = "-" if offset < 0 else "+"
    return f"{wanted} = {stated}{times} {sign} {abs(offset):.12g}"


def _warn_other_units(path: str, band: int, source: RasterSource, stated: str) -> None:
    """Warn when a file states other units for a band than the config's ``units`` (the
    cube records the config's, and no value is converted); spellings of one unit (``K``
    and ``kelvin``, ``mW/m2`` and ``mW m-2``) are the same. The warning gives the
    ``scale:`` that converts one size into the other, or for two temperature scales
    (``K``, ``degC``, ``degF``) the ``scale:`` and ``offset:`` (:func:`unit_shift`)."""
    if _one_unit(stated, source.units):
        return
    glossed = glossed_sizes(stated)
    if glossed is not None and any(_one_unit(part, source.units) for part in glossed[:2]):
        return  # ``mW/m2 (HFU)`` under ``units: HFU``: the config says which of the two
    if glossed is not None:
        unit, gloss, size = glossed
        warnings.warn(DataWarning(
            f"{path}: band {band} states its units as {stated!r}, two sizes of one "
            f"quantity ({_sizes(unit, gloss, size)}), but source {source.name!r} says "
            f"'units: {source.units}'; the cube records {source.units!r} and no value is "
            f"converted: set 'units: {unit}' or 'units: {gloss}', whichever the values "
            "hold, else fix the file's units"), stacklevel=3)
        return
    factor = unit_factor(stated, source.units)
    shift = unit_shift(stated, source.units)
    convert = (f"'scale: {factor:.12g}' to convert them to {source.units} (1 {stated} = "
               f"{factor:.12g} {source.units})" if factor is not None else
               f"{_shift_keys(shift)} to convert them to {source.units} "
               f"({_shift_formula(stated, source.units, shift)})" if shift is not None else
               "'scale:' and 'offset:' to convert them")
    warnings.warn(DataWarning(
        f"{path}: band {band} states its units as {stated!r}, but source {source.name!r} "
        f"says 'units: {source.units}'; the cube records {source.units!r} and no value is "
        f"converted: if the file is right, set 'units: {stated}' (or {convert}), else "
        "fix the file's units"), stacklevel=3)


def _sizes(unit: str, gloss: str, factor: float) -> str:
    """How two sizes of one quantity compare, the larger first: ``1 HFU = 41.868
    mW/m2`` (``factor`` turns values in ``gloss`` into ``unit``)."""
    return (f"1 {gloss} = {factor:.12g} {unit}" if factor >= 1.0 else
            f"1 {unit} = {1.0 / factor:.12g} {gloss}")


def _check_glossed(path: str, band: int, source: RasterSource, stated: str) -> None:
    """Refuse a band whose units name two sizes of one quantity (``mW/m2 (HFU)``, 1 HFU =
    41.868 mW/m2: :func:`glossed_sizes`) where the config gives no ``units``: the cube
    recorded the label whole, a unit no model or conversion knows, and which of the two
    the values hold (a factor of 41.868 apart) was said nowhere. The config's ``units:``
    says which."""
    glossed = glossed_sizes(stated)
    if glossed is None:
        return
    unit, gloss, factor = glossed
    raise DataError(
        f"{path}: band {band} states its units as {stated!r}, two sizes of one quantity "
        f"({_sizes(unit, gloss, factor)}), and which the values hold is not said; set "
        f"'units: {unit}' or 'units: {gloss}' in source {source.name!r}, whichever the "
        f"values hold (or fix the file: gdal_edit.py -units {shlex.quote(unit)} "
        f"{shlex.quote(Path(path).name)})")


def _check_sheet_units(source: RasterSource, var: str, path: str, stated: str,
                       seen: dict[str, tuple[str, str]]) -> None:
    """Refuse the files of one variable (a mosaic's sheets, a time series' scenes) that
    state other units, where the config gives none: the layer took the units of the last
    file, and the sheets' values were mixed in it (a DEM sheet in feet beside one in
    metres, labelled ``ft``), exit 0, without a word. Spellings of one unit (``m`` and
    ``metre``) are the same. ``seen`` holds the first file's units of each variable."""
    first = seen.setdefault(var, (path, stated))
    if _one_unit(first[1], stated):
        return
    factor = unit_factor(stated, first[1])
    shift = unit_shift(stated, first[1])  # a sheet in K beside one in degC
    calc = (f"A*{factor:.12g}" if factor is not None else None if shift is None else
            f"A{'' if shift[0] == 1.0 else f'*{shift[0]:.12g}'}{shift[1]:+.12g}")
    token = re.sub(r"[^\w.-]+", "_", first[1])  # 'US survey foot' -> US_survey_foot
    made = shlex.quote(f"{Path(path).stem}_{token}.tif")
    convert = (f"gdal_calc.py -A {shlex.quote(Path(path).name)} --calc \"{calc}\" "
               f"--outfile {made}, then gdal_edit.py -units {shlex.quote(first[1])} on it"
               if calc is not None else
               "convert one of them to the other's units")
    raise DataError(
        f"source {source.name!r}: its files of {var!r} state other units: {first[0]} "
        f"{first[1]!r}, {path} {stated!r}; one layer holds one unit, and no value is "
        f"converted, so the cube would mix them under one label; {convert}, or ingest "
        "them as sources of their own")


def _sheet_datum(stated: str, crs: str) -> tuple[str, str, int | None] | None:
    """The vertical datum of a file's heights: the one its band's units name (``m ODN``:
    :func:`height_datum`), else its compound CRS's vertical CRS (``EPSG:32619+5773``); as
    (the datum, what says it, the vertical CRS's EPSG code if known), or ``None``."""
    datum = height_datum(stated) if stated else None
    if datum is not None:
        return datum, repr(stated), VERTICAL_DATUM_EPSG.get(datum)
    return _crs_datum(crs)


def _crs_datum(crs: str) -> tuple[str, str, int | None] | None:
    """The vertical datum of a compound CRS (``EPSG:32619+5773``: EGM96), as (the datum,
    what says it, the vertical CRS's EPSG code if known), or ``None`` for a CRS of no
    vertical part."""
    if "COMPOUNDCRS" not in crs.upper() and "COMPD_CS" not in crs.upper():
        return None
    try:
        from pyproj import CRS

        vertical = CRS.from_user_input(crs).sub_crs_list[1]
        code = vertical.to_epsg()
    except Exception:  # not read: the horizontal CRS's checks say why
        return None
    names = {epsg: name for name, epsg in VERTICAL_DATUM_EPSG.items()}
    name = names.get(code) if code is not None else None
    if name is None:  # ``NAVD88 height (ftUS)``: NAVD88
        name = re.sub(r"\s+height\b.*$", "", vertical.name).strip() or vertical.name
    return name, f"vertical CRS {vertical.name!r}", code


def _check_sheet_datums(source: RasterSource, var: str, path: str, stated: str, crs: str,
                        seen: dict[str, tuple[str, str, str, int | None]]) -> None:
    """Refuse the files of one variable (a DEM mosaic's sheets) whose heights are above
    two vertical datums, as their units say (``m ODN`` beside ``m EGM96``, ``m HAE`` beside
    ``m EGM96``) or their compound CRSs (``+5703``, NAVD88, beside ``+5773``, EGM96): one
    unit, so :func:`_check_sheet_units` and the config's ``units:`` took them for one
    layer, and a place's heights differ between datums (by a metre between geoids, tens of
    metres above the ellipsoid): the mosaic stepped at the seam, exit 0, without a word.
    A datum named only as sea level (``m a.s.l.``) is any datum. ``seen`` holds the first
    file saying a datum of each variable: (file, what says it, the datum, its EPSG)."""
    _check_file_datum(source, path, stated, crs)
    found = _sheet_datum(stated, crs)
    if found is None:
        return
    datum, said, have = found
    first = seen.setdefault(var, (path, said, datum, have))
    if first[2] == datum:
        return
    want = first[3]
    horizontal = _horizontal_epsg(crs)
    name = Path(path).name
    made = shlex.quote(f"{Path(path).stem}_{first[2]}.tif")
    units = first[1][1:-1] if height_datum(first[1][1:-1]) else ""  # the units said it
    relabel = f", then gdal_edit.py -units {shlex.quote(units)} on it" if units else ""
    command = (f"gdalwarp -s_srs EPSG:{horizontal}+{have} -t_srs EPSG:{horizontal}+{want} "
               f"{shlex.quote(name)} {made}{relabel}"
               if None not in (have, want, horizontal) else
               f"transform {name}'s heights to "
               f"{'the ellipsoid' if first[2] == 'ellipsoid' else first[2]} (gdalwarp with "
               "-s_srs and -t_srs naming the two vertical CRSs)")
    raise DataError(
        f"source {source.name!r}: its files of {var!r} hold heights above other vertical "
        f"datums: {first[0]} {first[1]} ({first[2]}), {path} {said} ({datum}); a "
        "place's height differs between datums and no value is converted, so the layer "
        f"would step at the sheets' seams; {command}, or ingest them as sources of their "
        "own")


def _horizontal_epsg(crs: str) -> int | None:
    """The EPSG code of ``crs``'s horizontal part (the first of a compound CRS), or
    ``None`` where it has none (the fix's command is then said in words)."""
    try:
        from pyproj import CRS

        parsed = CRS.from_user_input(crs)
        return (parsed.sub_crs_list[0] if parsed.is_compound else parsed).to_epsg()
    except Exception:  # no code to give
        return None


def _check_file_datum(source: RasterSource, path: str, stated: str, crs: str) -> None:
    """Refuse one file whose band's units name one vertical datum (``m ODN``) and whose
    compound CRS another (``EPSG:32619+5773``, EGM96): its heights were read as the units
    said (the CRS's datum never compared), so the layer was above a datum the file itself
    contradicts, without a word. Only datums both known by name are compared (a CRS's
    ``MSL height`` or a unit's ``m a.s.l.`` is any datum)."""
    said = height_datum(stated) if stated else None
    found = _crs_datum(crs) if said is not None else None
    if said is None or found is None:
        return
    datum, vertical, _ = found
    if datum == said or datum not in NAMED_DATUMS or said not in NAMED_DATUMS:
        return
    name = Path(path).name
    horizontal = _horizontal_epsg(crs)
    height = HEIGHT_ABOVE_DATUM.fullmatch(stated.strip())
    length = height["unit"] if height is not None else "m"
    unit_fix = f"gdal_edit.py -units {shlex.quote(f'{length} {datum}')} {shlex.quote(name)}"
    metres = length.lower() in ("m", "metre", "metres", "meter", "meters")
    want = VERTICAL_DATUM_EPSG.get(said) if metres else None  # the codes are metres'
    crs_fix = (f"gdal_edit.py -a_srs EPSG:{horizontal}+{want} {shlex.quote(name)}"
               if horizontal is not None and want is not None else
               f"give {name} the compound CRS of {said} heights in {length} (gdal_edit.py "
               "-a_srs)")
    raise DataError(
        f"{path}: its band's units {stated!r} say heights above {said}, but its compound "
        f"CRS's {vertical} is above {datum} (source {source.name!r}); a place's height differs "
        "between datums, so one of the two is wrong and which the values are above is "
        f"not known; if the CRS is right, {unit_fix}; if the units are right, {crs_fix}")


def _warn_unstated_sheets(source: RasterSource, var: str, said: tuple[str, str],
                          unstated: list[str]) -> None:
    """Warn when some files of one variable (a mosaic's sheets) state a unit and others
    none, where the config gives no ``units``: the layer took the unit of the last file
    read, ``1`` or the other's by the order of the sheets, without a word. Now it records
    the unit a file states (the first's), and names the files that state none."""
    path, unit = said
    names = ", ".join(unstated[:3]) + (f" and {len(unstated) - 3} more"
                                       if len(unstated) > 3 else "")
    first = shlex.quote(Path(unstated[0]).name)
    warnings.warn(DataWarning(
        f"source {source.name!r}: {names} state(s) no unit of '{var}', beside {path} "
        f"stating {unit!r}; the layer records {unit!r} and no value is converted: if "
        f"they hold {unit} too, state it in them (gdal_edit.py -units {shlex.quote(unit)} "
        f"{first}) or set 'units: {unit}' in the source, else convert them or ingest "
        "them as a source of their own"), stacklevel=3)


def _warn_inverted_scale(path: str, band: int, info: RasterInfo, source: RasterSource,
                         stated: str) -> None:
    """Warn when the config's ``scale:`` converts the units a band states into the
    config's ``units`` the wrong way round: ``scale: 0.1`` for a grid stating ``mGal``
    under ``units: um/s2`` (1 mGal = 10 um/s2) made every value a hundred times too
    small, exit 0, without a word (the units check is silent where a scale is given).

    Only where the stated units are those of the values read: a float band, or one the
    file calibrates itself (an integer band of packed 0.01 mGal may state ``mGal`` and
    rightly be given ``scale: 0.1``). Two temperature scales are checked by their
    ``scale:`` and ``offset:`` (:func:`_warn_wrong_shift`). A label glossed with another
    size (``mW/m2 (HFU)``) is checked by either size (:func:`_stated_sizes`): ``scale:
    0.0238845896627`` for it under ``units: mW/m2`` made every value 1 753 times too small,
    without a word."""
    if np.dtype(info.band_dtype(band)).kind not in "fc" and \
            info.coefficients(band) == (1.0, 0.0):
        return
    shift = unit_shift(stated, source.units)
    if shift is not None:
        _warn_wrong_shift(path, band, source, stated, shift)
        return
    if source.offset != 0.0 or source.scale == 1.0:
        return
    factors = {size: unit_factor(size, source.units) for size in _stated_sizes(stated)}
    if any(f is not None and math.isclose(source.scale, f, rel_tol=1e-6)
           for f in factors.values()):
        return  # the scale converts one of a glossed label's sizes the right way
    inverse = [(size, f) for size, f in factors.items() if f is not None and f != 1.0
               and math.isclose(source.scale * f, 1.0, rel_tol=1e-6)]
    if not inverse:
        return
    size, factor = inverse[0]
    off = factor * factor
    how = (f"{off:.6g} times too small" if off > 1 else f"{1 / off:.6g} times too large")
    warnings.warn(DataWarning(
        f"{path}: band {band} states its units as {stated!r}, and source {source.name!r} "
        f"converts them to {source.units} with 'scale: {source.scale:.12g}', but 1 {size} "
        f"= {factor:.12g} {source.units}: the scale is the inverse, which makes every "
        f"value {how}; set 'scale: {factor:.12g}' (or fix the file's units if they are "
        "not what the band holds)"), stacklevel=3)


def _warn_wrong_shift(path: str, band: int, source: RasterSource, stated: str,
                      shift: tuple[float, float]) -> None:
    """Warn when the config's ``scale:`` and ``offset:`` convert a band's temperatures in
    ``stated`` into the config's ``units`` otherwise than ``shift`` (:func:`unit_shift`):
    ``offset: 273.15`` (the sign the other way round) for a grid in ``K`` under ``units:
    degC`` made 20 °C read 566.3, and ``scale: 1.8`` with ``offset: 32`` (°C to °F) for one
    in ``degF``, without a word."""
    if _same_shift(shift, source):
        return
    back = unit_shift("degC", stated)
    sample = 20.0 if back is None else 20.0 * back[0] + back[1]  # 20 °C, as stated
    right = sample * shift[0] + shift[1]
    got = sample * source.scale + source.offset
    how = (f"'scale: {source.scale:.12g}' and " if source.scale != 1.0 else "") + \
        f"'offset: {source.offset:.12g}'"
    warnings.warn(DataWarning(
        f"{path}: band {band} states its units as {stated!r}, and source {source.name!r} "
        f"converts them to {source.units} with {how}, but "
        f"{_shift_formula(stated, source.units, shift)}: {sample:.6g} {stated} is read as "
        f"{got:.6g} {source.units}, not {right:.6g}; set {_shift_keys(shift)} (or fix the "
        "file's units if they are not what the band holds)"), stacklevel=3)


_SCALED_TO = ("m", "km", "cm", "mm", "nT", "mGal", "um/s2", "m/s2", "mW/m2", "W/m2",
              "ppm", "ppb", "%", "mS/m", "S/m", "ohm m", "s", "ms", "degrees", "m3/s",
              "kg/m3", "mm/yr", "L/s", "ML/d", "m2", "ha", "m3", "ML")
"""Units a config's ``scale:`` may convert a band's stated units into (a DEM's ``ft`` by
0.3048 into ``m``, a gravity grid's ``mGal`` by 10 into ``um/s2``, a slope's ``rad`` by
57.2957795 into ``degrees``, a flow's ``lps`` by 0.001 into ``m3/s``, a density's
``g/cc`` by 1000 into ``kg/m3``, an uplift rate's ``m/a`` by 1000 into ``mm/yr``, a
precipitation's ``in/yr`` by 25.4 into ``mm/yr``, a well's ``gpm`` by 0.0630901964 into
``L/s``, a water use's ``Mgal/d`` by 3.785411784 into ``ML/d``, a gold grade's ``opt`` by
34.2857142857 into ``ppm`` (g/t), an area's ``acres`` by 0.40468564224 into ``ha``, a
water volume's ``acre-ft`` by 1233.48183755 into ``m3``)."""


_TEMPERATURES = ("K", "degC", "degF")
"""The temperature scales a config's ``scale:`` and ``offset:`` may convert a band's into
(a land surface temperature's ``K`` by ``offset: -273.15`` into ``degC``)."""


def _same_shift(shift: tuple[float, float], source: RasterSource) -> bool:
    """Whether a source's ``scale:`` and ``offset:`` are the temperature conversion
    ``shift`` (to the digits a config writes: ``offset: -17.78``)."""
    return math.isclose(source.scale, shift[0], rel_tol=1e-3) and \
        math.isclose(source.offset, shift[1], rel_tol=1e-3, abs_tol=0.01)


def _stated_sizes(stated: str) -> tuple[str, ...]:
    """The units a band's stated label may hold its values in: the label itself, or for
    one glossed with another size of its quantity (``mW/m2 (HFU)``:
    :func:`glossed_sizes`) the two sizes it names, either of which a config's ``scale:``
    may convert (the whole label is no unit a factor is known of)."""
    glossed = glossed_sizes(stated)
    return (stated,) if glossed is None else glossed[:2]


def _scaled_units(path: str, band: int, info: RasterInfo, source: RasterSource,
                  stated: str, told: set[str]) -> str | None:
    """The units of a band that states its units where the config converts its values
    with ``scale:`` (and ``offset: 0``) and gives no ``units:``: the one unit that scale
    converts the stated units into (a DEM stating ``ft`` under ``scale: 0.3048`` is in
    ``m``). It was recorded as ``1`` without a word: a DEM in metres, or a gravity grid in
    um/s2, labelled dimensionless. Where no one unit is so found (an integer band of packed
    values, whose stated unit may be the unpacked values', or a scale that is no unit's
    factor) the cube records ``1`` as before, and this warns, asking for ``units:``.
    A temperature converted to another scale (a grid stating ``K`` under ``offset:
    -273.15``) is in that scale (``degC``: :data:`_TEMPERATURES`). A label glossed with
    another size (``mW/m2 (HFU)`` under ``scale: 41.868``) is looked up by either size
    (:func:`_stated_sizes`): it was recorded as ``1``, told to set ``units:`` to the
    label that says neither."""
    values_stated = np.dtype(info.band_dtype(band)).kind in "fc" or \
        info.coefficients(band) != (1.0, 0.0)
    sizes = _stated_sizes(stated)
    if values_stated and source.offset == 0.0:
        found = list(dict.fromkeys(
            u for size in sizes for u in _SCALED_TO
            if (f := unit_factor(size, u)) is not None
            and math.isclose(f, source.scale, rel_tol=1e-6)))
        if len(found) == 1:
            return found[0]
    if values_stated:  # a temperature converted to another scale: 'offset: -273.15'
        found = [u for u in _TEMPERATURES if (shift := unit_shift(stated, u)) is not None
                 and _same_shift(shift, source)]
        if len(found) == 1:
            return found[0]
    if stated not in told:
        told.add(stated)
        how = (f"'scale: {source.scale:.12g}'" + (f" and 'offset: {source.offset:.12g}'"
                                                  if source.offset != 0.0 else ""))
        warnings.warn(DataWarning(
            f"{path}: band {band} states its units as {stated!r}, and source "
            f"{source.name!r} converts its values with {how} but gives no 'units:'; the "
            f"cube records '1' (no unit): set 'units:' to the unit of the converted values "
            + (f"(or 'units: {stated}' if the scale unpacks values stated in {stated})"
               if len(sizes) == 1 else
               f"(or 'units: {sizes[0]}' or 'units: {sizes[1]}' if the scale unpacks "
               "values stated in one of the two sizes the label names)")),
            stacklevel=3)
    return None


_LENGTHS = frozenset({"m", "km", "cm", "mm", "dm", "ft", "foot", "feet", "ftUS", "us_ft",
                      "yd", "yard", "mi", "fathom", "inch", "in"})
"""Symbols of a unit of length (:func:`unit_key`'s), which a band of heights may be in."""


def _heights_unit(source: RasterSource, vertical: str) -> bool:
    """Whether a band that states no unit holds heights in its CRS's vertical unit
    ``vertical`` (a compound CRS's, or a ``.prj``'s ``VERTCS``/``Zunits``), a length,
    where the config gives no ``units``, ``scale`` or ``offset``.

    Such a band is recorded in that unit where it is not metres (a DEM in NAVD88 height
    (ftUS) was recorded as ``1``, without a word; one in metres keeps ``1``, as every
    cube made so far records it), and a mosaic's sheets are checked against each other
    by it (:func:`_check_sheet_units`): a sheet in feet beside one in metres was mixed
    into one layer."""
    if not vertical or "units" in source.model_fields_set or \
            (source.scale, source.offset) != (1.0, 0.0):
        return False
    key = unit_key(vertical)
    return not isinstance(key, str) and len(key) == 1 and key[0][1] == 1 and \
        key[0][0] in _LENGTHS


_ELEMENT_SYMBOLS = ELEMENT_SYMBOLS
"""Chemical element symbols: a band described ``Potassium (K)`` or ``Tungsten (W)``
names its element, not kelvin or watts (:func:`_described_unit`)."""

_DESCRIBED_UNIT = re.compile(r".*\S\s*[(\[]\s*(?P<unit>[^()\[\]]+?)\s*[)\]]\s*")
"""A band description ending in a unit in brackets: ``Heat flow (mW/m2)``,
``Bouguer anomaly [mGal]``, ``Heat flow [mW m-2]``."""

_DESCRIBED_AFTER = re.compile(r".*\S(?:\s*,\s*|\s+in\s+)(?P<unit>[^,()\[\]]*?[^\s,()\[\]])\s*")
"""A band description ending in a unit after a comma or the word ``in``: ``Heat flow,
mW/m2``, ``Heat flow in mW/m2``, ``Depth to basement, m``."""

_DESCRIBED_BARE = re.compile(r"(?P<name>.*?\S)\s+(?P<unit>(?:[^\W\d_][^\s,()\[\]]*\s+){0,3}"
                             r"[^\W\d_][^\s,()\[\]]*)\s*")
"""A band description ending in a unit after a space alone (``Heat flow mW/m2``, ``Heat
flow mW/m²``, ``Heat flow mW m-2``): its last one to four words, each beginning with a
letter, taken only where the unit is written in symbols a word has not
(:data:`_UNIT_MARKS`), as a name's last word (``Elevation min``, ``Gamma ray s``) is
no unit; the most words that name a unit are taken (``mW m-2``, not ``m-2``), none after
a number (``2.67 g/cm3``, a Bouguer grid's reduction density, is a quantity)."""

_QUANTITY = re.compile(r"[-+]?(?:\d+[.,]?\d*|[.,]\d+)")
"""A number written before a unit in a description (``2.67`` of ``2.67 g/cm3``)."""

_INDEX_WORDS = frozenset(("layer", "band", "slice", "level", "channel", "horizon",
                          "component", "no", "nr", "#"))
"""Words a whole number after them counts (``Layer 2 mW/m2``, ``Band 3 nT``): such a
number is the band's index, not a quantity of the unit after it
(:func:`_quantity_before`)."""


def _quantity_before(preceding: list[str]) -> bool:
    """Whether the words ``preceding`` a unit in a description end in a quantity of it
    (:data:`_QUANTITY`: ``2.67`` of ``2.67 g/cm3``, ``2670`` of ``Density 2670 kg/m3``),
    not a whole number that counts after an index word (``2`` of ``Layer 2 mW/m2``:
    :data:`_INDEX_WORDS`)."""
    if not preceding or not _QUANTITY.fullmatch(preceding[-1]):
        return False
    return not (preceding[-1].isdigit() and len(preceding) > 1 and
                preceding[-2].lower().rstrip(".:") in _INDEX_WORDS)

_DESCRIBED_WITHIN = re.compile(
    r"(?<=\S)\s*[(\[]\s*(?P<bracketed>[^()\[\]]+?)\s*[)\]]"
    r"|(?<=\S)(?:\s*,\s*|\s+in\s+)(?P<listed>[^,()\[\]]*?[^\s,()\[\]])\s*(?=,)")
"""A unit within a band's description, words after it: in brackets (``Heat flow (mW/m2),
kriged``, ``Depth (m) below surface``) or after the word ``in`` or a comma and before a
comma (``Magnetics in nT, RTP``, ``Heat flow, mW/m2, kriged``)."""

_PREFIXED_SYMBOL = re.compile(r"[pnuµμmkMG][A-Z][^\s,;()\[\]]*")
"""A word written as an SI prefix before a unit symbol's capital (``nT``, ``mGal``,
``µGal``, ``kPa``, ``nT/m``), which no word of a name is: read as a unit between words
(``TMI nT RTP``, ``Residual mGal terrain corrected``) or at the end without a symbol
mark (``TMI nT``) by :func:`_described_unit`, where the grammar knows it (``pH`` and
``mNDWI`` it does not)."""

_SYMBOLS_BETWEEN = re.compile(r"[^\s,;()\[\]]*(?:/|[²³\u00b5\u03bc]|[A-Za-z]-\d)[^\s,;()\[\]]*")
"""A word written in unit symbols marked as no word of a name is: a quotient (``S/m``,
``m/s2``, ``W/m2``), a superscript power or a micro sign (``W/m²``, ``µS``), a negative
power (``m-2``). Read as a unit between words (``Conductivity S/m kriged``, ``Gravity
m/s2 Bouguer``) by :func:`_described_unit`, as :data:`_PREFIXED_SYMBOL` is; a power
alone (``S2``, ``T1``: a satellite, a tier) is not such a mark."""

_UNIT_MARKS = re.compile(r"[/\d²³¹⁰-⁹⁻·^%\u00b5\u03bc]")
"""A character that marks a word as a unit written in symbols (``mW/m2``, ``g/cm³``,
``µGal``)."""


_NO_UNIT_WORDS = frozenset(("none", "unitless", "dimensionless", "-", "n/a", "na", "s/n", ""))
"""Metadata texts that say a band has no unit (nothing to warn of)."""


def _is_one(unit: str) -> bool:
    """Whether ``unit`` reads as the unit ``1`` (no unit): ``1``, ``m/m``."""
    from prospect.registry.units import canonical_units

    return canonical_units(unit) == (1.0, ())


def _described_unit(description: str) -> str:
    """The unit a band's description (or a netCDF variable's ``long_name``) names at its
    end: in brackets (``Heat flow (mW/m2)``, ``Heat flow [mW m-2]``), after a comma or
    the word ``in`` (``Heat flow, mW/m2``, ``Heat flow in mW/m2``) or, written in
    symbols, after a space (``Heat flow mW/m²``, ``Heat flow mW m-2``), else within it
    (``Magnetics in nT, RTP``, ``Depth (m) below surface``: :data:`_DESCRIBED_WITHIN`),
    else a prefixed symbol or one marked as symbols between words after the first (``TMI
    nT RTP``, ``Conductivity S/m kriged``: :data:`_PREFIXED_SYMBOL`,
    :data:`_SYMBOLS_BETWEEN`), where it names a unit of measure (:func:`_names_unit`);
    ``""`` otherwise.
    Descriptions also hold band and class names (``Red (B4)``, ``Granite (Gr)``, ``Band
    4, Red``): those read as no unit."""
    for form in (_DESCRIBED_UNIT, _DESCRIBED_AFTER):
        found = form.fullmatch(description or "")
        unit = found["unit"] if found is not None else ""
        if _names_unit(unit):
            return unit
    found = _DESCRIBED_BARE.fullmatch(description or "")
    words = found["unit"].split() if found is not None else []
    before = [*found["name"].split(), *words] if found is not None else []
    for first in range(len(words)):  # the most words that name a unit: ``mW m-2``
        unit = " ".join(words[first:])
        if _UNIT_MARKS.search(unit) and _names_unit(unit) and \
                not _quantity_before(before[:len(before) - len(words) + first]):
            return unit
    for within in reversed(list(_DESCRIBED_WITHIN.finditer(description or ""))):
        unit = within["bracketed"] or within["listed"] or ""
        if _names_unit(unit):  # the unit nearest the end: ``Heat flow (mW/m2), kriged``
            return unit
    words = [w for w in re.split(r"[\s,;()\[\]]+", description or "") if w]
    for at in range(len(words) - 1, 0, -1):  # a length and its reference: ``m below surface``
        for end in range(min(len(words), at + 5), at, -1):
            unit = " ".join(words[at:end])
            if (HEIGHT_ABOVE_DATUM.fullmatch(unit) or DEPTH_BELOW_REFERENCE.fullmatch(unit)) \
                    and _names_unit(unit) and not _quantity_before(words[:at]):
                return unit
    for at in range(len(words) - 1, 0, -1):  # a symbol between words: ``TMI nT RTP``
        if not (_PREFIXED_SYMBOL.fullmatch(words[at]) or _SYMBOLS_BETWEEN.fullmatch(words[at])):
            continue
        for first in range(max(1, at - 3), at + 1):  # the most words: ``mW m-2``, not ``m-2``
            unit = " ".join(words[first:at + 1])
            if _names_unit(unit) and not _quantity_before(words[:first]):
                return unit
    return ""


def _names_unit(unit: str) -> bool:
    """Whether the end of a band's description (:func:`_described_unit`) names a unit
    of measure: the grammar reads it and knows each symbol
    (:func:`prospect.registry.units.reads_as_unit`), it has a symbol (``2020``, a
    survey's year, has none) and is not ``1`` (``m/m``), a no-unit word (``N/A``, which
    reads as newtons per ampere), an element symbol (``Potassium (K)``) nor a quantity (a
    number other than a power of ten before it: a Bouguer grid's reduction density
    ``2.67 g/cm3``; ``1e-3 SI`` is a unit)."""
    from prospect.registry.units import canonical_units, reads_as_unit

    if not unit or unit in _ELEMENT_SYMBOLS or unit.lower() in _NO_UNIT_WORDS:
        return False
    read = canonical_units(unit)
    return read is not None and bool(read[1]) and reads_as_unit(unit) and \
        not _is_one(unit) and read[0] > 0 and math.log10(read[0]).is_integer()


def _said_elsewhere(info: RasterInfo, band: int) -> str:
    """The unit a band that states none says elsewhere: a metadata item
    (:attr:`~prospect.io.raster.RasterInfo.tagged_units`), else its description's or
    netCDF ``long_name``'s (:func:`_described_unit`), as :func:`_warn_described_unit`
    reads them; ``""`` where it says none."""
    tagged = info.tagged_units[band - 1] if band <= len(info.tagged_units) else ""
    if tagged and tagged.lower() not in _NO_UNIT_WORDS and not _is_one(tagged):
        return tagged
    described = info.descriptions[band - 1] if band <= len(info.descriptions) else ""
    long_name = info.long_names[band - 1] if band <= len(info.long_names) else ""
    return _described_unit(described or "") or _described_unit(long_name or "")


def _says_other_than_heights(info: RasterInfo, band: int, vertical: str) -> bool:
    """Whether a band that states no unit says elsewhere (:func:`_said_elsewhere`) a unit
    other than its CRS's vertical unit ``vertical``: another quantity (``Heat flow
    (mW/m2)``, ``Magnetics in nT, RTP``) or another length (``Depth to basement (m)``
    under heights in US survey feet). Such a band holds no heights in ``vertical``, and
    :func:`_heights_unit`'s rule would record that unit for it without a word; a length
    within 1 % of it (``Elevation (ft)`` under ``US survey foot``) says the same unit."""
    said = _said_elsewhere(info, band)
    if not said or unit_key(said) == unit_key(vertical):
        return False
    factor = unit_factor(said, vertical)
    return factor is None or abs(factor - 1.0) > 1e-2


def _warn_described_unit(path: str, band: int, info: RasterInfo, source: RasterSource,
                         told: set[str]) -> None:
    """Warn when a band states no units but says one elsewhere, and the config gives no
    ``units``: in a metadata item (``UNITS=mW/m2``, rasterio's ``update_tags(1,
    units=...)``: :attr:`~prospect.io.raster.RasterInfo.tagged_units`) or at the end of
    its description or netCDF ``long_name`` (``Heat flow (mW/m2)``, ``Heat flow in
    mW/m2``: :func:`_described_unit`). The cube
    recorded ``1`` (no unit), without a word, and a model or index downstream could not
    tell heat flow from a count. Neither is taken for the unit (a description is a name;
    GDAL and QGIS read a band's unit from its unit type alone): the warning says how to
    state it."""
    tagged = info.tagged_units[band - 1] if band <= len(info.tagged_units) else ""
    described = info.descriptions[band - 1] if band <= len(info.descriptions) else ""
    named, long_name = "description", band <= len(info.long_names) and bool(
        info.long_names[band - 1]) and not _described_unit(described or "")
    if long_name:  # a netCDF variable's CF long_name, which GDAL gives as no description
        named, described = "long_name", info.long_names[band - 1]
    if tagged.lower() in _NO_UNIT_WORDS or _is_one(tagged):
        tagged = ""
    unit = tagged or _described_unit(described or "")
    key = f"said\0{unit}"  # once per unit, as the other units warnings
    if not unit or key in told:
        return
    told.add(key)
    where = (f"a metadata item of it names {tagged!r} as its units, which GDAL does not "
             "read as the band's unit" if tagged else
             f"its {named} {described!r} names {unit!r}")
    in_file = (f"give its variable the CF attribute units = \"{unit}\"" if long_name
               and not tagged else f"gdal_edit.py -units {shlex.quote(unit)} "
               f"{shlex.quote(Path(path).name)}")
    warnings.warn(DataWarning(
        f"{path}: band {band} states no units, but {where}; source {source.name!r} gives "
        f"no 'units:', so the cube records '1' (no unit): if the values are in {unit}, set "
        f"'units: {unit}' in source {source.name!r} (or state it in the file: {in_file})"),
        stacklevel=3)


def _warn_other_heights(path: str, vertical: str, source: RasterSource) -> None:
    """Warn when a band that states no unit lies in a compound CRS whose heights are in
    another length than the config's ``units`` (a DEM in NAVD88 height (ftUS) configured
    as ``m``): such a band likely holds heights in its CRS's unit. A config unit that is
    no length (``mW/m2``, ``nT``) is another quantity than heights: nothing to say (GDAL
    gave such a band the vertical unit as its own, and it was warned as one the file
    states)."""
    key = unit_key(source.units)
    if isinstance(key, str) or len(key) != 1 or key[0][1] != 1 or \
            key[0][0] not in _LENGTHS or unit_key(vertical) == key:
        return
    factor = unit_factor(vertical, source.units)
    convert = (f"'scale: {factor:.12g}' to convert them to {source.units}"
               if factor is not None else "'scale:' to convert them")
    warnings.warn(DataWarning(
        f"{path}: its CRS measures heights in {vertical!r} and the file states no unit of "
        f"its bands, but source {source.name!r} says 'units: {source.units}'; the cube "
        f"records {source.units!r} and no value is converted: if the bands hold heights in "
        f"the CRS's unit, set 'units: {vertical}' (or {convert}), else state "
        "the bands' unit in the file (gdal_edit.py -units)"), stacklevel=3)


def _check_band_names(source: RasterSource, names: list[str]) -> None:
    if source.sensor is None:
        return
    key = source.sensor.lower()
    if key not in SENSOR_BANDS:  # an alias: the shipped sensor it names
        key = load_sensor(source.sensor).name.lower()
    known = SENSOR_BANDS.get(key)
    if known is None:  # a sensor of the user's own YAML: its bands are not known here
        return
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"source {source.name!r}: unknown {source.sensor} band name(s) {unknown}; "
            f"{source.sensor} bands are {', '.join(known)}"
        )


def _res_in_grid_units(info: RasterInfo, grid: RegionGrid) -> float:
    """A file's cell size in the region's CRS units, where the file meets the region
    (:meth:`~prospect.io.raster.RasterInfo.cell_size_in`); the whole file's box over its
    cells where they do not meet."""
    if info.crs == grid.crs:
        return info.resolution
    local = info.cell_size_in(grid.crs_obj, grid.bounds)
    if local is not None:
        return local
    left, bottom, right, top = info.bounds_in(grid.crs_obj)
    return float(np.sqrt((right - left) * (top - bottom) / (info.width * info.height)))


def _cell_sides(info: RasterInfo, grid: RegionGrid, res: float) -> tuple[float, float]:
    """A file's cell width and height (east-west, north-south) in the region's CRS units:
    its geotransform's steps where it is north-up in the region's CRS, else ``res`` (the
    side of a square of one cell's area, :func:`_res_in_grid_units`) for both."""
    a, b, _, d, e = info.transform[:5]
    if a and e and not b and not d and abs(a) != abs(e) and _same_crs(info, grid):
        return abs(a), abs(e)
    return res, res


def check_nodata(source: RasterSource, info: RasterInfo, band: int, *,
                 fill: float | None = None) -> None:
    """Refuse a configured ``nodata`` that band ``band`` of ``info`` cannot hold: it would
    mark no pixel, and the band's real fill would read as values. A nodata the file states
    that its band cannot hold (-9999 in uint8) is a :class:`~prospect.errors.DataWarning`
    when nothing else declares one (the config's ``nodata``, a product's ``fill``); it
    names the number a writer stored that nodata as (55537 for -9999 in uint16) where the
    band holds it on two or more corners (:func:`_stored_fill_found`).

    A configured ``nodata`` the band can hold that is, by the band's sample, the scaled
    value of its fill is refused too (:func:`_refuse_scaled_nodata`).

    Raises
    ------
    ConfigError
        Naming the source, the file, its type and the nodata the file itself states; or
        the stored number to give for a scaled nodata.
    """
    unheld = info.unheld_nodata[band - 1] if band <= len(info.unheld_nodata) else None
    dtype = info.band_dtype(band)
    bits = info.band_nbits(band)
    if source.nodata is None and fill is None and unheld is not None:
        kind = f"{dtype} band" if not bits else (
            f"{dtype} band of {bits} bits (NBITS={bits}: values 0..{2**bits - 1}; GDAL "
            f"writes a larger value as {2**bits - 1})")
        warnings.warn(DataWarning(
            f"{info.path}: band {band} is {dtype}, and the nodata it states ({_said(unheld)}) "
            f"cannot occur in a {kind}, so no pixel is marked as no data; if the "
            f"file has a fill value, set 'nodata: <that value>' in source {source.name!r}"
            + _stored_fill_found(info, band, unheld)),
            stacklevel=2)
    if source.nodata is None:
        return
    if value_fits(source.nodata, dtype, info.band_nbits(band)):
        _refuse_scaled_nodata(source, info, band)
        return
    stated = info.nodata[band - 1] if band <= len(info.nodata) else None
    bits = info.band_nbits(band)
    held = f"{dtype} of {bits} bits" if bits else dtype
    raise ConfigError(
        f"source {source.name!r}: nodata {_said(source.nodata)} cannot occur in {info.path} "
        f"(band {band} is {held}), so it would mark no pixel; "
        + _nodata_as_stored(source, info, band)
        + _nodata_as_infinity(source.nodata, dtype)
        + "give the value the file uses for no data"
        + (f" (the file states {_said(stated)})" if stated is not None else
           ", or leave 'nodata' out")
    )


def _stored_fill_found(info: RasterInfo, band: int, stated: float) -> str:
    """Where band ``band`` of ``info`` holds, on two or more of its corners, the number a
    writer stored its unheld nodata ``stated`` as
    (:func:`~prospect.ingest.fills.stored_forms`: 55537 for -9999 in uint16), the words
    naming it, the writer, its share and the ``nodata`` to give, for the end of the
    warning of :func:`check_nodata`; ``""`` where none is found (or
    the file is not sampled: a remote one). The fill was ingested as values with no word
    of the number to give."""
    from prospect.io.raster import sample_band

    forms = stored_forms(stated, info.band_dtype(band), info.band_nbits(band))
    if not forms:
        return ""
    sample = sample_band(info.path, band)
    if sample is None:
        return ""
    values, corners = (np.asarray(part) for part in sample)
    for form, how in forms:
        on_corners = int(np.count_nonzero(corners == form))
        if on_corners >= 2:
            share = 100 * np.count_nonzero(values == form) / max(values.size, 1)
            return (f": the band holds {form}, what {how} makes of {_said(stated)} in a "
                    f"{info.band_dtype(band)} band, on {on_corners} of its 4 corners and in "
                    f"{share:.1f} % of the sampled cells ('nodata: {form}' if it marks no "
                    "data)")
    return ""


def _nodata_as_infinity(nodata: float, dtype: str) -> str:
    """What to say of a config ``nodata`` a float band holds only as an infinity
    (``-1e39`` in a float32 band): a writer that casts it to the band's type fills the
    cells with ``-inf``, and GDAL reads such a file's own nodata so; ``""`` otherwise."""
    if np.dtype(dtype).kind != "f" or not math.isfinite(nodata):
        return ""
    with np.errstate(over="ignore"):
        held = float(np.array(float(nodata)).astype(dtype))
    if math.isfinite(held):
        return ""
    infinity = "-.inf" if held < 0 else ".inf"
    return (f"a {dtype} band holds {_said(nodata)} only as {held:g} (a writer that casts it "
            f"fills the cells so): if its fill cells read {held:g}, set 'nodata: "
            f"{infinity}'; else ")


def _said(value: float) -> str:
    """A config's ``nodata`` as written: an exact whole number past 2**53 in full (``%g``
    printed 2**64 and 2**64 - 1 both as 1.84467e+19), a number that ``%g`` would print
    as another one in the fewest digits that read back as it (``%g`` printed
    -3.4028236e+38, past float32's lowest, as -3.40282e+38, which a float32 holds, and
    -9999.5 in an int16 band as -9999.5 but -9999.0001 as -9999), any other as ``%g``."""
    if isinstance(value, int):
        return str(value)
    short = f"{value:g}"
    return short if not math.isfinite(value) or float(short) == value else repr(float(value))


def _stored_of_scaled(source: RasterSource, info: RasterInfo, band: int
                      ) -> tuple[int, float, float, str] | None:
    """``(stored, scale, offset, whose)`` where band ``band`` is scaled (the file's
    scale/offset, else the config's) and the config's ``nodata`` is what that scale makes
    of a whole number the band can hold, ``stored`` (another number than the nodata);
    else ``None``."""
    assert source.nodata is not None
    for scale, offset, whose in (
            (*info.coefficients(band), "the file's"), (source.scale, source.offset, "the")):
        if (scale, offset) == (1.0, 0.0) or scale == 0 or not math.isfinite(source.nodata):
            continue
        raw = (source.nodata - offset) / scale
        whole = round(raw)
        if abs(raw - whole) <= 1e-6 * max(1.0, abs(raw)) and whole != source.nodata and \
                value_fits(float(whole), info.band_dtype(band), info.band_nbits(band)):
            return whole, scale, offset, whose
    return None


def _nodata_as_stored(source: RasterSource, info: RasterInfo, band: int) -> str:
    """Where a band is scaled (the file's scale/offset, else the config's) and the
    config's ``nodata`` is a scaled value of a number the band holds, what to say: the
    nodata is compared with the stored numbers (``nodata: -999.9`` for a fill of -9999
    under scale 0.1 was refused as "cannot occur", with no word of the scale)."""
    found = _stored_of_scaled(source, info, band)
    if found is None:
        return ""
    whole, scale, offset, whose = found
    assert source.nodata is not None  # a scaled nodata was found of it
    return (f"'nodata' is a number as the file stores it, before {whose} scale "
            f"{scale:g} and offset {offset:g}, which store {_said(source.nodata)} as "
            f"{whole}: if that is the fill, set 'nodata: {whole}'; else ")


def _refuse_scaled_nodata(source: RasterSource, info: RasterInfo, band: int) -> None:
    """Refuse a config ``nodata`` the band could hold as a stored number but that is, by
    the band's sample, the scaled value of its fill: the stored equivalent occurs and the
    number itself never does (``nodata: -5000`` for an int16 band of fill -10000 under
    scale 0.5, the fill as a viewer shows it). The nodata is compared with the stored
    numbers, so it marked no cell and every fill cell went into the cube as -5000, exit
    0, without a word. Only where both readings are possible and the sample tells them
    apart: the stored number occurs as a fill does (the file's nodata, a common fill, or
    a value apart from all the others, :func:`~prospect.ingest.fills.stands_apart`) and
    the nodata never does; a nodata the band holds, or a stored number among the band's
    values (``nodata: 0`` of a reflectance under offset -0.1, where DN 1000 is
    reflectance 0), is left as it is.

    Raises
    ------
    ConfigError
        Naming the source, the file, the band, the scale and the ``nodata`` to give.
    """
    from prospect.io.raster import sample_band

    if source.nodata is None:
        return
    found = _stored_of_scaled(source, info, band)
    if found is None:
        return
    whole, scale, offset, whose = found
    sample = sample_band(info.path, band)
    if sample is None:
        return
    values = np.asarray(sample[0])
    if np.isin(values, info.stored(band, source.nodata)).any() or not (values == whole).any():
        return
    stated = info.nodata[band - 1] if band <= len(info.nodata) else None
    if stated != whole and not stands_apart(values, whole, info.band_dtype(band)):
        return  # a value among the band's others (a reflectance of 0): not a fill
    raise ConfigError(
        f"source {source.name!r}: nodata {source.nodata:g} is compared with the numbers "
        f"{info.path} stores (band {band}, {info.band_dtype(band)}), before {whose} scale "
        f"{scale:g} and offset {offset:g}; no sampled cell holds {source.nodata:g}, but "
        f"{int(np.count_nonzero(values == whole))} of {values.size} hold {whole}, which "
        f"that scale reads as {source.nodata:g}, so the fill would go into the cube as "
        f"values: if {whole} marks no data, set 'nodata: {whole}'"
        + (" (the file states it as its nodata: leaving 'nodata' out does the same)"
           if stated == whole else ""))


def _wrapped_longitudes(info: RasterInfo, grid: RegionGrid) -> RasterInfo:
    """``info`` read on longitudes wrapped to 0..360 where it is a lon/lat file on 0..360
    longitudes and the region reaches west of longitude 0 or across 180.

    PROJ gives the region's longitudes in -180..180, and GDAL's warped view of the file
    (and the source windows of masked reads) then look for them left of the file:
    a region in its part beyond 180 came out as no data (it was refused, with a
    ``gdalwarp --config CENTER_LONG 0`` line, where gdalwarp itself reads it), and one
    across 180 read the file's part west of 180 and left the rest no data, exit 0,
    without a word. The file's CRS with PROJ's ``+lon_wrap=180`` gives them in 0..360,
    where the file's cells are. Any other file is returned as it is (its reads unchanged).
    """
    crs = parse_crs(info.crs) if info.crs else None
    if crs is None or not crs.is_geographic:
        return info
    left, _, right, _ = info.extent()
    if right <= 180:
        return info
    west, _, east, _ = grid.lonlat_bounds()
    if west <= east and (west >= 0 or left <= west):
        # the region lies east of 0, or in the file's -180..180 part (a file a half cell
        # over 180): the file's own longitudes reach it
        return info
    if west > east and left <= east and right >= west:
        # a region across 180 over a -180..180 file a half cell over each end (a world
        # grid of cells centred on -180 and 180, GMT's gridline registration): the file's
        # own longitudes reach both of its parts, and its wrapped ones only the one west
        # of 180 (the rest of the region was read as no data, exit 0, without a word)
        return info
    with warnings.catch_warnings():  # pyproj: "You will likely lose ... information"
        warnings.simplefilter("ignore", UserWarning)
        proj4 = crs.to_proj4()
    if not proj4 or "+proj=longlat" not in proj4 or "+lon_wrap" in proj4:
        return info
    wrapped = proj4.replace(" +type=crs", "") + " +lon_wrap=180"
    return dataclasses.replace(info, crs=wrapped)


def _touching(headers: list[RasterInfo], grid: RegionGrid) -> str:
    """Say which file only touches the region, an edge or corner in common and no cell
    inside (a map sheet of the neighbouring area; a region drawn to the sheet's edge on
    the wrong side), with the region's edge and the file's span; ``""`` where none
    does."""
    g = grid.bounds
    for info in headers:
        if not info.crs:
            continue
        try:
            left, bottom, right, top = info.bounds_in(grid.crs_obj)
        except Exception:  # a CRS PROJ cannot transform: said by the caller's hint
            continue
        near = 1e-3 * grid.resolution  # the same line, as a reprojection leaves it
        if not (left <= g[2] + near and right >= g[0] - near and bottom <= g[3] + near
                and top >= g[1] - near):
            continue
        edges = [name for name, hit in (
            (f"east (x = {g[2]:.10g})", abs(left - g[2]) <= near),
            (f"west (x = {g[0]:.10g})", abs(right - g[0]) <= near),
            (f"north (y = {g[3]:.10g})", abs(bottom - g[3]) <= near),
            (f"south (y = {g[1]:.10g})", abs(top - g[1]) <= near)) if hit]
        if not edges:
            continue
        return (f"{info.path} only touches the region's {' and '.join(edges)} edge: the "
                f"two share an edge or corner, and no cell of the file lies inside the "
                f"region (the file spans {left:.10g}, {bottom:.10g} .. {right:.10g}, "
                f"{top:.10g} in the region's CRS); if the file is the one meant, move the "
                f"region's bounds onto it, else name the file of the region's area")
    return ""


def _sliver(info: RasterInfo, grid: RegionGrid) -> str:
    """Say how a file that overlaps the region (:func:`_overlaps`) holds no cell of it:
    its box in the region's CRS overlaps the region by less than reaches a cell's centre
    (a sheet of the neighbouring area 4 m in on a region of 10 m cells; a region drawn
    half a cell short of the sheet's edge), so every cell read from it is no data; the
    edges, the overlap's width and the file's span are said. ``""`` where a cell's
    centre lies in the file's box, on its edge included (GDAL reads such a cell), or
    where the file meets the region other than by its box (a world DEM in longitude and
    latitude under a projected region: :meth:`~prospect.io.raster.RasterInfo.part_in`)."""
    left, bottom, right, top = info.bounds_in(grid.crs_obj)
    g, res = grid.bounds, grid.resolution
    if not (left < g[2] and right > g[0] and bottom < g[3] and top > g[1]):
        return ""
    near = 1e-6 * res  # a centre on the file's edge, as a reprojection leaves it
    short: list[str] = []
    for lo, hi, start, end, low_edge, high_edge, axis in (
            (max(left, g[0]), min(right, g[2]), g[0], g[2], "west", "east", "x"),
            (max(bottom, g[1]), min(top, g[3]), g[1], g[3], "south", "north", "y")):
        centre = start + (math.ceil((lo - start) / res - 0.5 - 1e-6) + 0.5) * res
        if centre <= hi + near:
            continue
        unit = f"{hi - lo:.6g} {_grid_unit(grid)}".strip()
        if hi >= end - near or lo <= start + near:  # a sheet beside the region
            edge, at = (high_edge, end) if hi >= end - near else (low_edge, start)
            short.append(f"{unit} along its {edge} edge ({axis} = {at:.10g})")
        else:  # a small file inside the region, between two cells' centres
            short.append(f"{unit} across {axis} = {lo:.10g} .. {hi:.10g}, between two of "
                         f"its cells' centres")
    if not short:
        return ""
    return (f"{info.path} overlaps the region by only {' and '.join(short)}, too little to "
            f"reach the centre of any of its cells ({res:g} {_grid_unit(grid)} "
            f"wide), so every cell read from the file is no data (the file spans "
            f"{left:.10g}, {bottom:.10g} .. {right:.10g}, {top:.10g} in the region's "
            f"CRS); if the file is the one meant, move the region's bounds onto it, else "
            f"name the file of the region's area")


def _overlaps(info: RasterInfo, grid: RegionGrid) -> bool:
    """Whether a file and the region share cells: the file's box in the region's CRS
    meets the region, or the region's box in the file's CRS meets the file's extent (a
    file far larger than the region, a world DEM in longitude and latitude under a region
    in RD New or TM35FIN, has a box in the region's CRS that misses its interior: "none
    of its files overlap the region", exit 1)."""
    left, bottom, right, top = info.bounds_in(grid.crs_obj)
    g = grid.bounds
    if left < g[2] and right > g[0] and bottom < g[3] and top > g[1]:
        return True
    return not _same_crs(info, grid) and info.part_in(grid.crs_obj, g) is not None


def band_nodata(
    source: RasterSource, info: RasterInfo, band: int, fill: float | None, *,
    stated_by: str, told: set[tuple[str, str]],
) -> tuple[float | None, float | None]:
    """``(nodata, other_nodata)`` of band ``band``: the one rule of mosaics and composites.

    The config's ``nodata`` alone, when given (``NaN`` on a float band whose file states
    a number keeps the file's too: NaN is no data in any float read). Else the file's own
    nodata and the fill its
    product states (``fill``: a STAC item's ``raster:bands`` nodata, a metadata file's
    fill): where only one is stated, that one; where both are and differ, both are no
    data, those the band's type can hold (each marks pixels the other misses, and which
    one is wrong cannot be told), with one :class:`~prospect.errors.DataWarning` per pair
    of values (``told`` holds the pairs warned of). Mosaics once took the file's, and
    composites the product's: one scene read two ways.

    Parameters
    ----------
    source
        The source config (its ``nodata`` and name).
    info, band
        The file and 1-based band.
    fill
        The fill the product's metadata states, if any.
    stated_by
        Who states ``fill``, for the warning (an item, a metadata file).
    told
        ``repr`` of the ``(file's, product's)`` pairs already warned of; updated.
    """
    own = info.nodata[band - 1] if band <= len(info.nodata) else None
    stated = fill  # the reads mark every value the band holds for it (RasterInfo.dropped)
    if fill is not None and value_fits(fill, info.band_dtype(band), info.band_nbits(band)):
        fill = info.stored(band, fill)[0]  # compared as the band holds it, as ``own`` is
    if source.nodata is not None and np.isnan(source.nodata) and own is not None and \
            not np.isnan(own) and np.dtype(info.band_dtype(band)).kind == "f":
        # 'nodata: NaN' on a float band whose file states -9999: NaN is no data in every
        # float read already, and the file's -9999 cells had become values, without a word
        return own, None
    if source.nodata is not None:
        held = info.stored(band, source.nodata)  # as the band holds it (a half float)
        return held[0], (held[1] if len(held) > 1 else None)
    if fill is None or own is None or own == fill or (np.isnan(own) and np.isnan(fill)):
        return (own if own is not None else fill), None
    pair = (repr(own), repr(fill))  # NaN: one key, though NaN != NaN
    if pair not in told:
        told.add(pair)
        warnings.warn(DataWarning(
            f"{info.path}: band {band} states nodata {own:g}, but {stated_by} states "
            f"{fill:g} for it; both are read as no data: fix the one that is wrong, or give "
            f"the fill with 'nodata:' in source {source.name!r}"), stacklevel=3)
    dtype = info.band_dtype(band)
    return own, (stated if value_fits(fill, dtype, info.band_nbits(band)) else None)


def _cf_missing(source: RasterSource, info: RasterInfo, band: int, nodata: float | None,
                other_nodata: float | None, valid_range: tuple[float, float] | None
                ) -> tuple[float | None, tuple[float, float] | None]:
    """``(other_nodata, valid_range)`` with a NetCDF variable's CF missing data that GDAL
    leaves as values (:attr:`RasterInfo.missing`, :attr:`RasterInfo.valid`): a
    ``missing_value`` beside a ``_FillValue`` is a second fill (unless the config gives
    ``nodata``, which is the one fill); ``valid_min``/``valid_max`` drop the raw values
    outside them (inclusive, as CF says; ``valid_range`` here is exclusive at both ends,
    a product's clipped ends, so the bounds move out by one float32 step)."""
    if other_nodata is None and source.nodata is None:
        dtype = info.band_dtype(band)
        fits = [v for v in info.cf_missing(band)
                if v != nodata and value_fits(v, dtype, info.band_nbits(band))]
        other_nodata = fits[0] if fits else None
    bounds = info.cf_valid(band)
    if valid_range is None and bounds is not None:
        lo, hi = (np.float32(b) for b in bounds)
        valid_range = (float(np.nextafter(lo, np.float32(-np.inf))),
                       float(np.nextafter(hi, np.float32(np.inf))))
    return other_nodata, valid_range


def stac_header(path: str, config_crs: str | None, item_crs: str | None) -> RasterInfo:
    """The header of a STAC asset in the file's own CRS; a file without one in the
    config's ``crs`` (what the key is for: "a CRS to assume when a file carries none"),
    else in the CRS its item states. Neither overrides the file's CRS: the config's put
    the scenes of another UTM zone (zone 32 under a config of zone 31, the Netherlands'
    WRS-2 paths 197/198) a zone away, and an item's ``proj:epsg`` of another zone than its
    files did the same; both were dropped as outside the region without a word (see
    :func:`warn_stated_crs`)."""
    fallback = config_crs if config_crs is not None else item_crs
    if fallback is None:
        return raster_info(path)
    try:
        return raster_info(path)
    except CRSError:
        return raster_info(path, crs=fallback)


def warn_stated_crs(scene: StacScene, infos: dict[str, RasterInfo],
                    source: RasterSource) -> None:
    """A warning when an item states another CRS than its files' own (which are used).

    ``infos``: variable -> the header of its asset (:func:`stac_header`).
    """
    if source.crs is not None or scene.crs is None:
        return
    for var, info in infos.items():
        stated = (scene.grids[var].crs if var in scene.grids and scene.grids[var].crs
                  else scene.crs)
        if stated and info.crs != stated and parse_crs(info.crs) != parse_crs(stated):
            warnings.warn(DataWarning(
                f"source {source.name!r}: item {scene.item_id!r} states {stated} "
                f"(proj:epsg/proj:code), but its file {redact(info.path)} is in "
                f"{crs_short(info.crs)}; "
                "the file's CRS is used: fix the item"), stacklevel=3)
            return


def _scenes(source: RasterSource) -> list[_Scene]:
    if source.stac is None:
        return [_from_config(source, sc) for sc in source.scene_list()]
    assert source.assets is not None
    return [
        _Scene(files={k: (v, 1) for k, v in s.bands.items()}, multiband=False,
               band_names=None, variable=None, mtl=None, mask_file=None,
               crs=source.crs,  # the item's proj:epsg only for a file without a CRS
               date=s.date, cloud_cover=s.cloud_cover, calibration=s.calibration, item=s)
        for s in read_stac_scenes(source.stac, dict(source.assets))
    ]


def _order(source: RasterSource, scenes: list[_Scene]) -> list[_Scene]:
    """Scenes in priority order for the mosaic rule (MTL dates/cloud cover fill gaps)."""
    if source.mosaic == "first_valid" or len(scenes) == 1:
        return scenes
    keyed = []
    for i, scene in enumerate(scenes):
        meta = read_product_metadata(scene.mtl) if scene.mtl else None
        date = scene.date or (meta.date if meta else None)
        cloud = scene.cloud_cover if scene.cloud_cover is not None else (
            meta.cloud_cover if meta else None)
        if source.mosaic == "most_recent" and date is None:
            raise ConfigError(
                f"source {source.name!r}: mosaic 'most_recent' needs a date for scene {i + 1}; "
                "give 'date:' or a 'metadata:' file"
            )
        if source.mosaic == "most_recent" and scene.date is not None and scene.item is None:
            # a scene's 'date:' ranks it: one its files or metadata contradict won the mosaic
            stated = scene.date.date() if isinstance(scene.date, dt.datetime) else scene.date
            why = scene_date_conflict(stated, [f for f, _ in scene.files.values()], meta)
            if why:
                raise ConfigError(f"source {source.name!r}, scene {i + 1}: {why}")
        if source.mosaic == "least_cloudy" and cloud is None:
            raise ConfigError(
                f"source {source.name!r}: mosaic 'least_cloudy' needs 'cloud_cover:' (or a "
                f"'metadata:' file) for scene {i + 1}"
            )
        keyed.append((date, cloud, i, scene))
    if source.mosaic == "most_recent":
        keyed.sort(key=lambda k: (-(k[0].toordinal() if k[0] else 0), k[2]))
    else:
        keyed.sort(key=lambda k: (k[1] if k[1] is not None else 101.0, k[2]))
    return [k[3] for k in keyed]


def _check_scene_layers(source: RasterSource, scenes: list[_Scene]) -> None:
    """Refuse one quality layer named by scenes of two dates of a ``scenes:`` mosaic
    (:func:`~prospect.ingest.masked.check_layer_of_each_scene`, the composites' rule;
    ``scenes`` in the config's order, numbered from 1). A scene's date is its ``date:``,
    else its metadata file's; scenes of no date are not compared."""
    if source.cloud_mask is None:
        return
    layers = []
    for number, scene in enumerate(scenes, start=1):
        date = scene.date if scene.date is not None or scene.mask_file is None or (
            scene.mtl is None) else read_product_metadata(scene.mtl).date
        if scene.mask_file is None or date is None:
            continue
        day = str(date)[:10]
        layers.append((str(number), day, scene.mask_file, day,
                       frozenset(path for path, _ in scene.files.values())))
    check_layer_of_each_scene(
        f"source {source.name!r}", layers, noun="scene",
        asset=f"its 'bands:' key {source.cloud_mask.asset!r} (a scene's block copied?)")


def _mask_of(source: RasterSource, scene: _Scene, meta: Any) -> SceneMask | None:
    """The scene's quality layer and what it drops, checked against the scene's metadata."""
    cm = source.cloud_mask
    if cm is None or scene.mask_file is None:
        return None
    path = scene.mask_file
    # a layer no kind reads, by its name, before its header (a GML mask is no raster)
    check_mask_name(cm.kind, str(path), where=f"source {source.name!r}")
    minfo = raster_info(path, crs=scene.crs)
    if minfo.count != 1:
        raise DataError(f"{path}: a quality layer is one band; this file has {minfo.count}")
    ident = getattr(meta, "ident", None)
    fid = landsat_id(Path(path).name)
    if ident is not None and fid is not None and not fid.same_scene(ident):
        raise DataError(f"{path}: the quality layer is of {fid.text} but the metadata file "
                        f"{meta.path} describes {meta.describe()}; give the same scene's mask")
    return SceneMask(info=minfo, kind=cm.kind, drop=drop_names(cm.kind, cm.drop),
                     buffer_m=cm.buffer_m)


def _categorical_dtype(lo: int, hi: int) -> tuple[str, int]:
    """The smallest signed integer type holding ``lo..hi`` and a fill value outside them."""
    fill = -1 if lo >= 0 else None
    for dtype in ("int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        if fill is None and lo > info.min:
            return dtype, int(info.min)
        if fill is not None and info.min <= fill and hi <= info.max:
            return dtype, fill
    raise DataError(f"class codes {lo}..{hi} do not fit a signed 64-bit integer")


def _codes_past_float32(source: RasterSource, ranges: list[tuple[BandRef, int, int]],
                        lo: int, hi: int) -> str:
    """What to say of class codes past 2**24 (which float32 resampling no longer keeps
    apart): the file and band that hold the code, and how to renumber them. Codes within
    a span of 2**24 are renumbered by subtracting the lowest (a ``gdal_calc.py`` command,
    keeping the nodata); a wider span needs a lookup of the distinct codes (it was only
    "renumber the codes", naming neither the file nor how)."""
    peak = hi if abs(hi) >= abs(lo) else lo
    ref = next(r for r, a, b in ranges if peak in (a, b))
    name = shlex.quote(Path(ref.info.path).name)
    made = shlex.quote(f"{Path(ref.info.path).stem}_renumbered.tif")
    nodata = ref.nodata if ref.nodata is not None else ref.info.nodata[ref.band - 1]
    keep = " --NoDataValue=-1" if nodata is not None and math.isfinite(nodata) else ""
    if hi - lo < 2**24:
        how = (f"subtract the lowest, {lo}, from every code (gdal_calc.py -A {name} "
               f"--A_band={ref.band} --calc \"A-{lo}\" --type=Int32{keep} --outfile {made}) "
               "and the same from the codes of any class table")
    else:
        how = (f"their span ({lo}..{hi}) is wider than 2**24 too, so map each distinct "
               "code to 0, 1, 2, ... with a lookup (e.g. numpy.unique(codes, "
               "return_inverse=True)) and keep the table of old codes beside the file")
    return (f"source {source.name!r}: class code {peak} in {ref.info.path} band {ref.band} "
            "is beyond 2**24 "
            "(16777216), where resampling in float32 no longer keeps the codes apart; "
            f"renumber them: {how}")


def _codes_layer_type(source: RasterSource, refs: list[BandRef]) -> tuple[str, int, list[int]]:
    """Scan the codes of every scene of a categorical variable: dtype, fill and code range."""
    lo, hi = None, None
    ranges: list[tuple[BandRef, int, int]] = []
    for ref in refs:
        rng = code_range(ref.info, ref.band, nodata=ref.nodata, missing=(
            (ref.other_nodata,) if ref.other_nodata is not None else ()),
            valid_range=ref.valid_range)
        if rng is None:
            continue
        ranges.append((ref, int(rng[0]), int(rng[1])))
        lo = rng[0] if lo is None else min(lo, rng[0])
        hi = rng[1] if hi is None else max(hi, rng[1])
    if lo is None or hi is None:
        return "int8", -1, []
    if max(abs(lo), abs(hi)) > 2**24:
        raise DataError(_codes_past_float32(source, ranges, int(lo), int(hi)))
    dtype, fill = _categorical_dtype(lo, hi)
    return dtype, fill, [lo, hi]


def _class_table(source: RasterSource, refs: list[BandRef]) -> tuple[tuple[int, str], ...]:
    """The class name of each code of a categorical variable, from its files' raster
    attribute tables or category names (:meth:`RasterInfo.band_classes`).

    Raises
    ------
    DataError
        Two files of the variable name one code as different classes: a mosaic of them
        would mix the classes under one code without a word.
    """
    table: dict[int, tuple[str, str]] = {}
    for ref in refs:
        here = Path(str(ref.info.path)).name
        for code, name in ref.info.band_classes(ref.band):
            seen = table.setdefault(code, (name, here))
            if seen[0] != name:
                raise DataError(
                    f"source {source.name!r}: class code {code} is {seen[0]!r} in "
                    f"{seen[1]} but {name!r} in {here} (their attribute tables or "
                    "category names), so the mosaic would give one code two classes; "
                    "renumber one file's codes to the other's classes (e.g. gdal_calc.py, "
                    "or gdal_translate with a lookup VRT) and state the same table in both")
    return tuple(sorted((code, name) for code, (name, _) in table.items()))


_UNCLASSIFIED = re.compile(r"(un|not|no)[ _-]?class(ified)?|no[ _-]?data|null|none|"
                           r"masked|background|unknown|undefined", re.IGNORECASE)
"""Class names a classifier gives the cells it put in no class (ENVI's class 0
``Unclassified``, a raster attribute table's ``NoData`` or ``Background`` row)."""


def _warn_unclassified(source: RasterSource, refs: list[BandRef],
                       classes: tuple[tuple[int, str], ...], span: list[int]) -> None:
    """Warn when a categorical variable's class table names a code as no class
    (:data:`_UNCLASSIFIED`) that none of its files drops as no data: an ENVI
    classification's class 0 ``Unclassified`` (GDAL reads its class names, and no nodata)
    was ingested as a class of its own, one a model then learns from like any rock unit,
    without a word. GDAL and QGIS keep it a value, so it stays one; the warning names the
    code and ``nodata:``, which makes it no data. A code outside the codes the files hold
    (``span``: lowest and highest) is not said."""
    dropped = {ref.nodata for ref in refs} | {ref.other_nodata for ref in refs}
    for code, name in classes:
        if len(span) == 2 and not span[0] <= code <= span[1]:
            continue
        if _UNCLASSIFIED.fullmatch(name.strip()) and float(code) not in dropped:
            files = sorted({Path(str(ref.info.path)).name for ref in refs})
            warnings.warn(DataWarning(
                f"{', '.join(files)}: class code {code} is named {name!r}, the cells a "
                f"classifier put in no class, but layer {source.name!r} reads them as a "
                f"class of their own (a model learns from it like any unit); to make them "
                f"no data set 'nodata: {code}' in source {source.name!r}"), stacklevel=3)


def _steps_message(path: str, info: RasterInfo, source: RasterSource,
                   names: list[str] | None) -> str:
    """The error for a NetCDF/HDF variable whose bands are steps of a non-spatial
    dimension (time, depth), read where one 2-D layer (or another count) is needed: which
    dimension, its values, and how to pick a step or ingest each one as a layer."""
    import re

    given = (f"the config names {len(names)} band(s) ({', '.join(names)})"
             if names is not None else "a layer is one 2-D grid")
    dims = [dim for dim, _ in info.steps]
    if len(dims) == 1:
        pick = (("cdo seltimestep,1 in.nc step.nc, " if dims == ["time"] else "")
                + f"ncks -d {dims[0]},0 in.nc step.nc")
    else:
        pick = "ncks " + " ".join(f"-d {d},0" for d in dims) + " in.nc step.nc"
    labels = info.steps[0][1] if len(info.steps) == 1 else ()
    suggested = [f"{source.name}_{re.sub(r'[^0-9A-Za-z]+', '_', label).strip('_')}"
                 for label in labels[:2]] if len(labels) == info.count else \
        [f"{source.name}_{i}" for i in (1, 2)]
    listed = ", ".join(suggested) + (", ..." if info.count > 2 else "")
    name = Path(path).name
    if info.path.startswith("NETCDF:"):  # 'variable:' names one of several
        name = f"NETCDF:{name}:{info.path.rsplit(':', 1)[-1]}"
    return (f"{path}: its {info.count} bands are the steps of {info.steps_text()}, and "
            f"{given}; pick one step first (e.g. gdal_translate -b 1 {name} step.tif, or "
            f"{pick}), "
            f"or ingest each step as its own layer with 'path:' and 'band_names: [{listed}]' "
            f"({info.count} names) in source {source.name!r}")


def _check_coded(path: str, info: RasterInfo, band: int, source: RasterSource) -> None:
    """Refuse a band whose file says it holds class codes (a colour table, 1-bit values,
    ``LAYER_TYPE=thematic``) read as continuous values by default: bilinear or average
    resampling made codes 3 and 6 into 4.5, a class no map has, without a word. A config
    that says ``values: continuous`` on purpose reads it so."""
    why = info.band_codes(band)
    if why is None or source.values != "continuous" or "values" in source.model_fields_set:
        return
    raise DataError(
        f"{path}: band {band} holds class codes by the file's own word ({why}), but source "
        f"{source.name!r} would read them as continuous values, and resampling would "
        "average codes into values no class has; declare 'values: categorical' (or "
        "'values: continuous' if its numbers are measurements)")


def _same_crs(info: RasterInfo, grid: RegionGrid) -> bool:
    """Whether a file's CRS is the region's (by name, else as PROJ compares them)."""
    if info.crs == grid.crs:
        return True
    from pyproj import CRS

    try:
        return bool(CRS.from_user_input(info.crs) == grid.crs_obj)
    except Exception:  # a CRS PROJ cannot read: not the region's
        return False


_SAME_DATUM_SHIFT_M = 0.01
"""How far (metres; about 1e-7 degrees on a region in degrees) PROJ may move a point of
the region from a file's CRS bound to WGS 84 (``+towgs84``) into the region's own CRS for
the two to be read as one CRS (:func:`_region_crs`): two estimates of one datum's
relation to WGS 84 differ by millimetres, two datums by metres."""


def _unbound(crs: Any) -> Any:
    """A pyproj CRS without its binding to WGS 84 (a PROJ string's ``+towgs84``): the
    bound CRS's own CRS; any other as it is."""
    return crs.source_crs if crs.is_bound and crs.source_crs is not None else crs


def _region_crs(info: RasterInfo, grid: RegionGrid) -> RasterInfo:
    """``info`` read in the region's CRS where one of the two is the other bound to WGS 84.

    A file whose CRS is a PROJ string with ``+towgs84`` (RD New as GDAL long wrote it:
    ``+proj=sterea ... +ellps=bessel +towgs84=565.417,...``) is a PROJ bound CRS: PROJ
    took a region in EPSG:28992 through WGS 84 and back, by the file's parameters one
    way and EPSG's transformation the other, and moved every cell by about 1e-5 of a
    cell, so a grid on the region's own lattice was resampled (a continuous layer read
    1.0000064 for 1, without a word); a region stated so, a file in EPSG:28992 alike.
    Where the bound CRS's own CRS is identified as the other's (:meth:`pyproj.CRS.to_epsg`)
    and PROJ moves no corner nor the centre of the region by more than
    :data:`_SAME_DATUM_SHIFT_M`, the file is read in the region's CRS (no datum shift,
    as gdalwarp reads two equal CRSs); a datum of its own (VN-2000's parameters on WGS
    84's ellipsoid: 200 m) is still warped through WGS 84. Any other file, and one whose
    CRS a STAC item states, is returned as it is.
    """
    if not info.crs or info.stated_crs or _same_crs(info, grid):
        return info
    from pyproj import Transformer

    try:
        crs = parse_crs(info.crs)
        if not (crs.is_bound or grid.crs_obj.is_bound):
            return info
        code = _unbound(crs).to_epsg()
        if code is None or code != _unbound(grid.crs_obj).to_epsg():
            return info
        left, bottom, right, top = grid.bounds
        xs = [left, right, left, right, (left + right) / 2]
        ys = [bottom, bottom, top, top, (bottom + top) / 2]
        # the region's corners and centre, as the file's numbers, moved into the region's
        gx, gy = Transformer.from_crs(crs, grid.crs_obj, always_xy=True).transform(xs, ys)
    except Exception:  # a CRS PROJ cannot read or transform: read as it is
        return info
    axes = grid.crs_obj.axis_info
    factor = axes[0].unit_conversion_factor if axes and not grid.crs_obj.is_geographic \
        else 1.0
    tolerance = (_SAME_DATUM_SHIFT_M / factor if not grid.crs_obj.is_geographic
                 else _SAME_DATUM_SHIFT_M / 111_000)
    moved = max(float(np.hypot(float(x) - a, float(y) - b))
                for x, y, a, b in zip(gx, gy, xs, ys, strict=True))
    if not np.isfinite(moved) or moved > tolerance:
        return info
    return dataclasses.replace(info, crs=grid.crs)


def _grid_unit(grid: RegionGrid) -> str:
    """The unit of the region's CRS as the warnings write it (``m``, ``degrees``)."""
    return _axis_unit(grid.crs_obj)


def _axis_unit(crs: Any) -> str:
    """The unit of a pyproj CRS's first axis as the warnings write it (``m``,
    ``degrees``, else PROJ's name: ``US survey foot``); ``""`` where it has none."""
    axes = crs.axis_info
    return {"metre": "m", "degree": "degrees"}.get(axes[0].unit_name, axes[0].unit_name) \
        if axes else ""


@functools.lru_cache(maxsize=256)
def _crs_unit(crs: str) -> str:
    """The unit a file's CRS measures its cells in (:func:`_axis_unit`), for the
    provenance's ``source_resolution``: a 10 ft EPSG:2227 grid's 10 is ``US survey
    foot``, a geographic file's cell size ``degrees``; ``""`` for a CRS PROJ cannot
    read or none."""
    if not crs:
        return ""
    try:
        read = parse_crs(crs)
        axes = read.axis_info
        if axes and not read.is_geographic and axes[0].unit_conversion_factor == 1.0:
            return "m"  # a metre by any name (an ESRI WKT's ``Meter``, ``meters``)
        return _axis_unit(read)
    except Exception:  # a CRS PROJ cannot read: no unit to say
        return ""


def _warn_off_grid(path: str, info: RasterInfo, grid: RegionGrid, resampling: str,
                   source: RasterSource, told: set[str]) -> None:
    """Warn when a file of the region's CRS and cell size lies off the region's grid by
    part of a cell: every value is then resampled (bilinear interpolates between four
    cells, nearest moves each by up to half a cell) where an aligned region would read
    the file's own numbers. A GeoTIFF flagged ``AREA_OR_POINT=Point`` is the usual cause
    of half a cell: GDAL places its tie point at a cell centre, half a cell from where an
    ``Area`` file of the same numbers lies; the warning names the flag and how to read a
    mislabelled file as ``Area``. Once per source and offset (the tiles of a mosaic
    share one)."""
    a, b, c, d, e, f = info.transform
    res = grid.resolution
    same_size = np.isclose(abs(a), res, rtol=1e-9, atol=0) and \
        np.isclose(abs(e), res, rtol=1e-9, atol=0)
    if b or d or not same_size:
        return
    if not _same_crs(info, grid):
        return
    left, _, _, top = grid.bounds
    shift = [(c - left) / res, (top - f) / res]
    off = [float(v - round(v)) for v in shift]
    if max(abs(v) for v in off) <= 1e-3:
        return
    east, south = off[0] * res, off[1] * res
    key = f"off-grid {source.name} {east:.6g} {south:.6g}"
    if key in told:
        return
    told.add(key)
    unit = _grid_unit(grid)
    said = " and ".join(f"{abs(v):g} {unit} {way}".replace("  ", " ") for v, way in (
        (east, "east" if east > 0 else "west"), (south, "south" if south > 0 else "north"))
        if abs(v) > 1e-3 * res)
    far = f"{np.hypot(east, south):.3g} {unit}".strip()
    how = (f"each cell of the cube takes the number of a file cell whose centre lies up to "
           f"{far} from its own ({resampling})" if resampling in CODE_RESAMPLINGS else
           f"every value in the cube is interpolated between the file's cells around it "
           f"({resampling}), none of them a number of the file")
    bounds = ", ".join(f"{v:.15g}" for v in (
        grid.bounds[0] + east, grid.bounds[1] - south, grid.bounds[2] + east,
        grid.bounds[3] - south))
    point = ""
    if info.area_or_point == "Corner":
        point = (" The file is a GeoPackage coverage of values at its cells' corners "
                 "(grid_cell_encoding: grid-value-is-corner): they are placed there, half a "
                 "cell north-west of its tile grid.")
    elif info.area_or_point.lower() == "point":
        point = (" The file states AREA_OR_POINT=Point: GDAL puts its tie point at a cell "
                 "centre, half a cell from where a file of the same numbers stating Area "
                 "lies; if its tie point is in fact a cell corner, rewrite it as Area "
                 "without that shift (gdal_translate --config GTIFF_POINT_GEO_IGNORE TRUE "
                 "-mo AREA_OR_POINT=Area in.tif fixed.tif).")
    warnings.warn(DataWarning(
        f"{path}: its cells are the region's size ({res:g} {unit}) but lie {said} of the "
        f"grid of region {grid.name!r} ({max(abs(v) for v in off):.2f} of a cell), so {how}; "
        f"to read the file's own numbers on its own cells, move the region's bounds onto "
        f"the file's grid (bounds: [{bounds}]), or regrid the file once onto the region's "
        f"on purpose (gdalwarp -te <the region's bounds> -tr {res:g} {res:g})."
        + point), stacklevel=3)


COARSE_RATIO = 4.0
"""File cells this many times the region's (per side) or more are said to be
interpolated (:func:`_warn_coarse`): 16 cube cells or more per file cell."""


_POINT_RESAMPLINGS = ("nearest", "bilinear", "cubic", "cubic_spline", "lanczos")
"""GDAL resamplings that weigh the source cells around a target cell's centre (a kernel
GDAL widens by the ratio of cell sizes), not those under its footprint."""


def _seam_resampling(path: str, info: RasterInfo, grid: RegionGrid, resampling: str,
                     source: RasterSource) -> str:
    """``resampling``, or one that weighs cells around a target cell's centre where
    ``info`` is a -180..180 file read on both sides of 180 under a region across it
    (:meth:`~prospect.io.raster.RasterInfo.parts_in` finds two parts) and ``resampling``
    reads a cell's footprint: GDAL's footprint of a cube cell across 180 runs from the
    file's east end to its west end, so ``average`` gave that column of cells the whole
    world's mean (``mode``, ``max``: its mode, its maximum), exit 0, without a word.

    A coarsening's own choice (``average``; ``mode`` for class codes) becomes ``bilinear``
    (``nearest``), whose kernel GDAL widens by the ratio of cell sizes
    (:func:`~prospect.io.warp.kernel_scales`); a config's ``resampling:`` of the kind is
    refused, naming the 0..360 copy of the file that reads as it asks.

    Raises
    ------
    ConfigError
        The source's ``resampling:`` reads footprints across 180.
    """
    if resampling in _POINT_RESAMPLINGS or len(info.parts_in(grid.crs_obj, grid.bounds)) < 2:
        return resampling
    if source.resampling is None:
        return "nearest" if source.values == "categorical" else "bilinear"
    _, south, _, north = info.extent()
    raise ConfigError(
        f"source {source.name!r}: 'resampling: {resampling}' reads each cube cell from the "
        f"file cells under it, and {path} is a grid of longitudes -180..180 read on both "
        f"sides of 180 under region {grid.name!r} (which crosses it): GDAL takes the cells "
        f"under a cube cell across 180 from the file's whole row, east end to west end, so "
        f"that column of cells would hold the {resampling} of the whole world's row; set "
        f"'resampling: {'nearest' if source.values == 'categorical' else 'bilinear'}', or "
        f"give the file on longitudes 0..360 (gdalwarp --config CENTER_LONG 180 -te 0 "
        f"{south:.10g} 360 {north:.10g} {shlex.quote(path)} out_0_360.tif)")


def _warn_coarse(path: str, info: RasterInfo, grid: RegionGrid, resampling: str,
                 source: RasterSource, told: set[str]) -> None:
    """Warn when a file's cells are :data:`COARSE_RATIO` or more times the region's and a
    blending resampling fills the cube's cells between them: every cube value is then
    interpolated, detail the file does not hold. A file of the region's CRS and cell
    size off its grid is said by :func:`_warn_off_grid`; a 1 km grid of another CRS in a
    100 m region had every value interpolated across 100 cube cells a file cell, exit
    0, without a word (its cells compared in the region's CRS, as the resampling's
    choice compares them). Once per source (the tiles of a mosaic share one). A source
    that states its ``resampling:`` has chosen it: a survey's 1 km geophysics blended onto
    a 30 m grid on purpose is not warned of on every run."""
    if resampling in CODE_RESAMPLINGS or source.resampling is not None:
        return
    res = _res_in_grid_units(info, grid)
    ratio = res / grid.resolution
    wide, high = _cell_sides(info, grid, res)
    if not ratio >= COARSE_RATIO and not max(wide, high) / grid.resolution >= COARSE_RATIO:
        return
    key = f"coarse {source.name}"
    if key in told:
        return
    told.add(key)
    unit = _grid_unit(grid)
    other = "" if _same_crs(info, grid) else \
        f" (in {crs_short(info.crs)}, measured in the region's CRS)"
    if not math.isclose(wide, high, rel_tol=0.01):  # oblong cells: each side said
        across, side = ("east-west", wide) if wide > high else ("north-south", high)
        warnings.warn(DataWarning(
            f"{path}: its cells are {wide:.4g} x {high:.4g} {unit} (east-west x "
            f"north-south), {side / grid.resolution:.3g} times the cells of region "
            f"{grid.name!r} ({grid.resolution:g} {unit}) {across}, so each file cell spans "
            f"about {wide * high / grid.resolution ** 2:.0f} cube cells whose values are "
            f"interpolated between the file's cells ({resampling}): detail finer than "
            f"{side:.4g} {unit} {across} in layer {source.name!r} is the interpolation's, "
            f"not the file's. To read the file's own numbers, set 'resampling: nearest' "
            f"in source {source.name!r}, or give the region cells nearer the file's"),
            stacklevel=3)
        return
    warnings.warn(DataWarning(
        f"{path}: its cells are about {res:.4g} {unit}{other}, {ratio:.3g} times the cells "
        f"of region {grid.name!r} ({grid.resolution:g} {unit}), so each file cell spans "
        f"about {ratio * ratio:.0f} cube cells whose values are interpolated between the "
        f"file's cells ({resampling}): detail finer than {res:.4g} {unit} in layer "
        f"{source.name!r} is the interpolation's, not the file's. To read the file's own "
        f"numbers, set 'resampling: nearest' in source {source.name!r}, or give the region "
        f"cells nearer the file's"), stacklevel=3)


_OVERLAP_SIDE = 256
"""Cells per side of the sample :func:`_warn_sheet_overlaps` compares of an overlap
(every n-th row and column of both files alike beyond it)."""


def _sheet_values(ref: BandRef, bounds: tuple[float, float, float, float],
                  shape: tuple[int, int]) -> np.ndarray | None:
    """``ref``'s values (scale and offset applied, no data NaN) over ``bounds`` of its
    file's CRS, read as ``shape`` cells (every n-th cell); ``None`` where unreadable.

    Opened without its overviews (``OVERVIEW_LEVEL=NONE``): GDAL serves a decimated read
    from them, and an overview may hold other values than its band (built before the
    band was edited in place), so two sheets were compared by their old values."""
    import rasterio
    from rasterio.windows import from_bounds

    try:
        with rasterio.open(ref.info.path, OVERVIEW_LEVEL="NONE") as src:
            win = from_bounds(*bounds, transform=src.transform).round_offsets().round_lengths()
            raw = src.read(ref.band, window=win, out_shape=shape, boundless=False)
            masked = src.read_masks(ref.band, window=win, out_shape=shape) == 0 \
                if ref.info.has_mask(ref.band) else None
    except Exception:  # any reading failure is the read's to name, not this check's
        return None
    out = raw.astype(np.float64) * ref.scale + ref.offset
    for value in ref.info.dropped(ref.band, ref.nodata, ref.other_nodata):
        out[raw == value] = np.nan
    if masked is not None:
        out[masked] = np.nan
    return out


def _warn_sheet_overlaps(source: RasterSource, refs: list[BandRef], grid: RegionGrid) -> None:
    """Warn when two files of one mosaic (adjacent map sheets, surveys flown apart) lie
    on one grid, overlap inside the region and hold different values there: the mosaic
    takes the first listed (``mosaic: first_valid``) where it has a value, so a
    seam runs along its edge, and which sheet won was not said (two magnetic sheets 1 nT
    and 2 nT apart over 20 columns, exit 0). One warning per pair, naming both files,
    how many of the cells compared differ and by how much, and which one the cube holds.
    Files of different CRS or cell sizes, or not on one grid, and files read over a
    network are not compared (their cells are not the same cells)."""
    from rasterio.warp import transform_bounds

    local = [r for r in refs if not is_network_name(r.info.path) and r.info.crs]
    extents = [r.info.extent() for r in local]
    regions: dict[str, tuple[float, float, float, float] | None] = {}
    for i, first in enumerate(local):
        for j in range(i + 1, len(local)):
            later, ea, eb = local[j], extents[i], extents[j]
            if not (ea[0] < eb[2] and eb[0] < ea[2] and ea[1] < eb[3] and eb[1] < ea[3]):
                continue  # apart (most pairs of a large mosaic): nothing to compare
            a, b = first.info, later.info
            if a.crs != b.crs or a.transform[1] or a.transform[3] or b.transform[1] or \
                    b.transform[3] or not np.isclose(a.transform[0], b.transform[0]) or \
                    not np.isclose(a.transform[4], b.transform[4]):
                continue
            cell_x, cell_y = abs(a.transform[0]), abs(a.transform[4])
            shift = ((b.transform[2] - a.transform[2]) / cell_x,
                     (b.transform[5] - a.transform[5]) / cell_y)
            if any(abs(v - round(v)) > 1e-3 for v in shift):
                continue
            if a.crs not in regions:
                try:
                    regions[a.crs] = tuple(transform_bounds(grid.crs, a.crs, *grid.bounds,
                                                            densify_pts=21))
                except Exception:  # the planning names a CRS it cannot transform
                    regions[a.crs] = None
            region = regions[a.crs]
            if region is None:
                continue
            left, bottom = max(ea[0], eb[0], region[0]), max(ea[1], eb[1], region[1])
            right, top = min(ea[2], eb[2], region[2]), min(ea[3], eb[3], region[3])
            cols, rows = round((right - left) / cell_x), round((top - bottom) / cell_y)
            if cols < 1 or rows < 1:
                continue
            left = a.transform[2] + round((left - a.transform[2]) / cell_x) * cell_x
            top = a.transform[5] - round((a.transform[5] - top) / cell_y) * cell_y
            right, bottom = left + cols * cell_x, top - rows * cell_y
            step = max(1, -(-max(rows, cols) // _OVERLAP_SIDE))
            shape = (-(-rows // step), -(-cols // step))
            va = _sheet_values(first, (left, bottom, right, top), shape)
            vb = _sheet_values(later, (left, bottom, right, top), shape)
            if va is None or vb is None:
                continue
            both = np.isfinite(va) & np.isfinite(vb)
            if not both.any():
                continue
            diff = np.abs(va[both] - vb[both])
            off = diff > 1e-6 * np.maximum(1.0, np.maximum(np.abs(va[both]), np.abs(vb[both])))
            if not off.any():
                continue
            warnings.warn(DataWarning(
                f"source {source.name!r}: {a.path} and {b.path} overlap over {rows} x "
                f"{cols} of their cells inside the region and disagree there: "
                f"{int(off.sum())} of {int(both.sum())} cells compared differ, by up to "
                f"{float(diff.max()):.6g} (median {float(np.median(diff[off])):.6g}); the "
                f"cube holds {a.path}'s value wherever it has one (mosaic: first_valid, the "
                "scene listed first wins), so a seam runs along its edge. If the sheets "
                "should agree, level one to the other (or clip the overlap from the one "
                "that is wrong); to take the other's values, list it first"), stacklevel=3)


def check_lossy(path: str, info: RasterInfo, source: RasterSource, told: set[str]) -> None:
    """Refuse class codes, and warn of measurements, that a lossy codec stored
    (:attr:`RasterInfo.lossy`: JPEG, lossy WebP or JPEG 2000, LERC with an error): a JPEG
    geology map had most of its codes changed into other classes, and a JPEG geophysics
    grid read values tens of units off, exit 0, without a word. Codes are refused (no
    value read can tell which class a cell was); measurements are read, with a warning
    naming the codec and the error it guarantees where it states one (once per source
    and codec: the tiles of a mosaic share one)."""
    if not info.lossy:
        return
    fix = ("get the data stored losslessly (e.g. gdal_translate -co COMPRESS=DEFLATE from "
           "the original; recompressing this file cannot restore its values)")
    if source.values == "categorical":
        raise DataError(
            f"{path}: stored with {info.lossy}, which changes values, so its class codes "
            f"are not the codes written (a cell of one class reads as another); source "
            f"{source.name!r} is 'values: categorical': {fix}")
    key = f"lossy {source.name} {info.lossy}"  # once per source: a mosaic's tiles share it
    if key in told:
        return
    told.add(key)
    bound = (f"up to {info.lossy_error:g} off per cell" if info.lossy_error is not None
             else "off by an error the codec does not bound (tens of units of a byte "
                  "band are common)")
    warnings.warn(DataWarning(
        f"{path}: stored with {info.lossy}: its values are the codec's approximation of "
        f"those written, {bound}, and source {source.name!r} reads them as measurements; "
        f"if they must be exact, {fix}"), stacklevel=3)


def _band_key(text: str) -> str:
    """A band's name or description as :func:`_check_band_order` compares them: lower
    case, each run of other characters than letters and digits one ``_``
    (``Total magnetic intensity`` and ``total_magnetic_intensity`` are one band)."""
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def _check_band_order(path: str, names: list[str],
                      descriptions: tuple[str | None, ...]) -> None:
    """Refuse ``band_names`` that give a band the name the file gives another band (its
    band descriptions, compared by :func:`_band_key`): each such band would be read as
    the other (red read as near-infrared, gravity as magnetics).

    All names the file's descriptions in another order was refused; a name that is
    another band's description beside names the file does not use (``[gravity,
    magnetics, thorium]`` over bands described ``magnetics, gravity, potassium``), or
    with bands the file leaves undescribed, was read so without a word."""
    own = [_band_key(d or "") for d in descriptions]
    keys = [_band_key(n) for n in names]
    if len(own) != len(names):
        return
    at = {key: i for i, key in enumerate(own) if key}
    crossed = [(i, at[key]) for i, key in enumerate(keys)
               if key in at and at[key] != i and key != own[i]]
    if not crossed:
        return
    i, j = crossed[0]
    shown = ", ".join(d.strip() if d and d.strip() else "(none)" for d in descriptions)
    raise DataError(
        f"{path}: 'band_names' are [{', '.join(names)}], but the file names its bands "
        f"[{shown}] in that order: band {i + 1} would be named {names[i]!r}, the file's "
        f"name of band {j + 1}; list band_names in the file's order")


def _file_names(path: str, band: int, info: RasterInfo | None) -> set[str]:
    """The names a file gives the band it is read for (:func:`_band_key`): its name
    without the suffix, and the band's description."""
    names = {_band_key(Path(path).name.split(".")[0])}
    if info is not None and band <= len(info.descriptions):
        names.add(_band_key(info.descriptions[band - 1] or ""))
    return names - {""}


def _check_files_crossed(source: RasterSource, files: dict[str, tuple[str, int]],
                         infos: dict[str, RasterInfo]) -> None:
    """Refuse ``bands:`` that give a variable the file of another: a variable named as
    another variable's file is (by its name or its band's description, compared by
    :func:`_band_key`) and not as its own. ``bands: {magnetics: gravity.tif, gravity:
    magnetics.tif}`` read each survey as the other, exit 0, without a word."""
    named = {var: _file_names(path, band, infos.get(path))
             for var, (path, band) in files.items()}
    for var in files:
        key = _band_key(var)
        if key in named[var]:
            continue
        other = next((w for w in files if w != var and key in named[w]), None)
        if other is None:
            continue
        mine, theirs = files[var][0], files[other][0]
        if mine == theirs:
            continue
        raise DataError(
            f"source {source.name!r}: 'bands:' gives {var!r} the file {Path(mine).name}, "
            f"but {Path(theirs).name}, given to {other!r}, is named as {var!r} (by its "
            "name or its band's description), so each would be read as the other; give "
            f"each variable its own file ({var}: {Path(theirs).name})")


def file_coefficients(source: RasterSource, info: RasterInfo, band: int,
                      cal: BandCalibration | None, where: str) -> BandCalibration | None:
    """The band's calibration: the product's (``cal``), else the file's own coefficients.

    A band the file scales (a GeoTIFF's scale/offset tags, a packed NetCDF's
    ``scale_factor``/``add_offset``) holds ``DN * file_scale + file_offset``; read as plain
    DN its values were silently wrong. Product metadata that states other coefficients for
    the same band, or a categorical source the file scales, cannot be told apart from a
    mistake and are refused. ``where`` names what states ``cal`` (a metadata file, ``the
    STAC item``). A ``cal`` that states a fill or units only (scale 1, offset 0) states no
    calibration. One rule for plain rasters and composites' assets.
    """
    _refuse_unapplied_tags(source, info, band, cal)
    fscale, foffset = info.coefficients(band)
    if (fscale, foffset) == (1.0, 0.0):
        return cal
    if not (np.isfinite(fscale) and np.isfinite(foffset)) or fscale == 0:
        raise DataError(f"{info.path}: band {band} has the scale {fscale:g} and offset "
                        f"{foffset:g}, which give no values; fix or remove the file's "
                        "scale/offset (e.g. gdal_edit.py -unsetstats -scale 1 -offset 0)")
    if source.values == "categorical":
        raise DataError(
            f"{info.path}: band {band} is declared categorical, but the file scales it "
            f"(scale {fscale:g}, offset {foffset:g}): class codes are kept exactly; remove "
            "the file's scale/offset or declare the source 'values: continuous'")
    if cal is not None and cal.unstated is None and (cal.scale, cal.offset) == (1.0, 0.0):
        cal = None  # a fill or units only: the file's coefficients calibrate the band
    if cal is not None:
        if not (np.isclose(cal.scale, fscale, rtol=1e-6, atol=0)
                and np.isclose(cal.offset, foffset, rtol=1e-6, atol=1e-12)):
            raise DataError(
                f"{info.path}: band {band} states scale {fscale:g} and offset {foffset:g}, "
                f"but {where} gives {cal.scale:g} and {cal.offset:g} for it; which one "
                "holds cannot be told: remove the file's scale/offset or the metadata")
        return cal  # the product's coefficients are the file's: applied once
    return BandCalibration(fscale, foffset, "", info.band_units(band) or "")


def _refuse_unapplied_tags(source: RasterSource, info: RasterInfo, band: int,
                           cal: BandCalibration | None) -> None:
    """Refuse an integer band whose metadata states a ``scale_factor`` or ``add_offset``
    that GDAL does not apply (:attr:`RasterInfo.unapplied`) where neither the config nor
    the product's metadata says how to read it: its packed integers were ingested as
    values (``scale_factor=0.1``: ten times too large), exit 0. A categorical source's
    codes are kept as they are; a config ``scale:``/``offset:`` or a product's
    calibration says how the band is read."""
    held = info.unapplied[band - 1] if band <= len(info.unapplied) else ()
    if not held or source.values == "categorical" or (source.scale, source.offset) != (
            1.0, 0.0) or (cal is not None and (cal.scale, cal.offset) != (1.0, 0.0)):
        return
    stated = ", ".join(f"{tag} = {value:g} ({where} metadata)" for tag, where, value in held)
    values = {tag.rpartition("#")[2]: value for tag, _, value in held}
    scale, offset = values.get("scale_factor", 1.0), values.get("add_offset", 0.0)
    fscale, foffset = info.coefficients(band)
    scale, offset = (fscale if "scale_factor" not in values else scale,
                     foffset if "add_offset" not in values else offset)
    name = Path(info.path).name
    drop = " ".join(f"-mo {tag}=" for tag, where, _ in held if where == "dataset")
    raise DataError(
        f"{info.path}: band {band} ({info.band_dtype(band)}) states {stated}, which GDAL "
        f"does not apply, so its stored integers would be read as the values; if they "
        f"are packed, have GDAL apply it (gdal_edit.py -scale {scale:g} -offset "
        f"{offset:g} {name}) or give 'scale: {scale:g}'"
        + (f" and 'offset: {offset:g}'" if offset else "")
        + f" in source {source.name!r}; if they are values already, remove the "
        + ("tags" if len(held) > 1 else "tag")
        + (f" (gdal_edit.py {drop} {name})" if drop else " from the band's metadata"))


def stated_by(mtl: Path | str | None, item_id: str | None, info: RasterInfo, band: int,
              cal: BandCalibration | None) -> tuple[str, str]:
    """What states a band's calibration (its metadata file ``mtl``, the item ``item_id``,
    or the file's own scale/offset), and how the config could ignore it (for
    :func:`~prospect.ingest.products.band_coefficients`' message)."""
    if mtl is not None:
        return (f"its metadata file {mtl}",
                "drop 'metadata:' to calibrate the DNs with the config alone")
    if item_id is not None and cal is not None and cal.unstated is not None:
        return f"item {item_id!r} (its product's DN offset)", ""
    if item_id is not None and info.coefficients(band) == (1.0, 0.0):
        return f"item {item_id!r} (raster:bands scale/offset)", ""
    return (f"the file's own band {band} scale/offset",
            "unset them in the file (gdal_edit.py -scale 1 -offset 0) to calibrate with "
            "the config alone")


def _network_options(source: RasterSource, scenes: list[_Scene]) -> dict[str, str | int] | None:
    """GDAL's HTTP settings of ``source.remote`` where a file of ``scenes`` (or their
    quality layers) is read over a network; ``None`` for local files."""
    names = [f for sc in scenes for f, _ in sc.files.values()]
    names += [sc.mask_file for sc in scenes if sc.mask_file]
    if not any(is_network_name(n) for n in names):
        return None
    remote = source.remote
    return gdal_http_options(timeout_s=remote.timeout_s, retries=remote.retries,
                             retry_delay_s=remote.retry_delay_s)


def plan_raster(source: RasterSource, grid: RegionGrid) -> list[RasterLayer]:
    """One :class:`RasterLayer` per band of ``source``, checked against ``grid``.

    Files read over a network (URLs, ``/vsicurl/``...) are opened under the source's
    ``remote:`` timeout and retries, at planning and in every task
    (:attr:`RasterLayer.gdal_options`): GDAL's own default waits for ever on a server that
    accepts a connection and never answers.

    A band's value is ``source.scale * (product_scale * DN + product_offset) +
    source.offset``: the product's own coefficients (from ``metadata:``, a STAC item's
    ``raster:bands``, or else the file's own scale/offset) first, then the config's. Its
    nodata is the config's ``nodata``, else the file's and the product's fill value (both,
    with a warning, where they differ: :func:`band_nodata`, as in composites). A STAC
    item's stated CRS yields to its files' own (:func:`stac_header`).

    Raises
    ------
    InputFileError, CRSError, DataError, ConfigError
        A missing/corrupt file, a missing or unknown CRS, a wrong band count, unknown band
        names, a metadata file of another scene or product level, a float raster declared
        categorical, or a source that does not overlap the region.
    """
    listed = _scenes(source)
    _check_scene_layers(source, listed)
    scenes = _order(source, listed)
    options = _network_options(source, scenes)
    if options is None:
        return _plan_scenes(source, grid, scenes)
    from prospect.io.remote import forget_cached

    # what the server holds now, not GDAL's ranges of an earlier plan of this process
    forget_cached([str(name) for scene in scenes for name in (
        *(path for path, _ in scene.files.values()), scene.mask_file, scene.mtl) if name])
    with gdal_settings(**options):
        layers = _plan_scenes(source, grid, scenes)
    frozen = tuple(sorted(options.items()))
    from prospect.io.remote import network_versions

    versions = network_versions([n for layer in layers for n in layer.inputs], frozen)
    return [dataclasses.replace(layer, gdal_options=frozen, versions=tuple(
        (name, versions[name]) for name in layer.inputs if name in versions))
        for layer in layers]


def _refuse_mixed_products(source: RasterSource, var: str, path: str,
                           stated: BandCalibration | None, scenes: list[_Scene]) -> None:
    """Where the config's scale was refused for ``path`` (of a product its name states;
    ``stated``: what its item or metadata says, none or nothing) and another scene's file
    of ``var`` names a product of another scale, refuse both at once
    (:func:`~prospect.ingest.products.mixed_products_message`): an ESPA scene beside a
    Collection 2 one asked for each other's scale in turn."""
    if stated is not None and ((stated.scale, stated.offset) != (1.0, 0.0)
                               or stated.unstated is not None):
        return  # calibrated by its item or metadata, not by its name
    named = named_product(path)
    if named is None or named.scale is None:
        return
    files = [scene.files[var][0] for scene in scenes
             if var in scene.files and scene.files[var][0] != path]
    other = other_product(files, named)
    if other is not None:
        raise ConfigError(mixed_products_message(source.name, var, (path, named),
                                                 other)) from None


def _plan_scenes(source: RasterSource, grid: RegionGrid, scenes: list[_Scene]
                 ) -> list[RasterLayer]:
    """:func:`plan_raster` of ``source``'s ordered ``scenes``."""
    per_var: dict[str, list[BandRef]] = {}
    units: dict[str, str] = {}
    told: set[str] = set()  # units files stated that were warned of (once each: a mosaic)
    told_nodata: set[tuple[str, str]] = set()  # fills that disagreed, warned of once
    sheet_units: dict[str, tuple[str, str]] = {}  # variable -> (file, the units it states)
    sheet_datums: dict[str, tuple[str, str, str, int | None]] = {}  # variable -> datum's
    said_by: dict[str, tuple[str, str]] = {}  # variable -> (file, the unit it gave)
    unstated: dict[str, list[str]] = {}  # variable -> its files that state no unit
    quantities: dict[str, str] = {}
    first_quantity: dict[str, tuple[str | None, str]] = {}  # one quantity per mosaic
    inputs: dict[str, set[str]] = {}
    any_overlap = False
    any_cell = False  # a file holding the centre of a cell of the region (:func:`_sliver`)
    slivers: list[str] = []  # how each file that overlaps holds none
    masked: list[tuple[str, SceneMask | None]] = []
    masked_bands: list[BandRef | None] = []  # a masked scene's first band, for its fill
    # and its other variables' own files, for their own gaps (a fill beside a clear sky)
    masked_others: list[dict[str, BandRef]] = []
    headers: list[RasterInfo] = []  # every scene's files, for the no-overlap hint
    # an unmasked scene of a satellite observes where its band holds values: a scene over
    # a sliver of the region was ingested without a word (sheets of a survey are not told)
    imagery = bool(source.sensor) or any(sc.date or sc.mtl or sc.cloud_cover is not None
                                         or sc.calibration or sc.item for sc in scenes)
    plain: list[BandRef | None] = []
    plain_others: list[dict[str, BandRef]] = []  # their variables' bands, as masked
    for scene in scenes:
        first: BandRef | None = None
        refs_here: dict[str, BandRef] = {}
        _check_band_names(source, list(scene.files))
        meta = read_product_metadata(scene.mtl) if scene.mtl else None
        mask = _mask_of(source, scene, meta)
        infos: dict[str, RasterInfo] = {}
        if scene.item is not None:  # the files' CRS over the item's, as in composites
            for path, _ in scene.files.values():
                infos[path] = stac_header(path, source.crs, scene.item.crs)
            warn_stated_crs(scene.item, {v: infos[p] for v, (p, _) in scene.files.items()},
                            source)
        for var, (path, band) in scene.files.items():
            if path not in infos:
                infos[path] = raster_info(path, crs=scene.crs, variable=scene.variable)
            for extra in (scene.mtl, scene.mask_file):
                if extra is not None:
                    inputs.setdefault(var, set()).add(str(extra))
            inputs.setdefault(var, set()).add(path)
            info = infos[path]
            inputs[var].update(info.companions)  # a raw grid's header, a grid's .prj
            names = scene.band_names
            if info.steps and info.count > 1 and (
                    not scene.multiband or names is None or info.count != len(names)):
                raise DataError(_steps_message(path, info, source, names))
            count = info.data_count  # an alpha band masks the others: no layer
            alpha = (f" and {info.count - count} alpha band(s) masking them"
                     if count < info.count else "")
            if count > 1 and not (scene.multiband and names is not None
                                  and count == len(names)):
                grey = gpkg_grey_fix(path, info.count, count)
                if grey:  # not three bands to name: one, opened as RGBA
                    raise DataError(f"{path}: {grey} (source {source.name!r})")
            if not scene.multiband and count != 1:
                raise DataError(
                    f"{path}: has {count} bands{alpha}, but '{var}' in source {source.name!r} "
                    "needs a single-band file, and which band is meant is not said; for a "
                    "multi-band file use 'path:' with 'band_names:' (a layer each), or take "
                    f"the one band out first (gdal_translate -b <n> {Path(path).name} "
                    f"{Path(path).stem}_b<n>.tif)"
                )
            if scene.multiband and names is None and count > 1:
                raise DataError(
                    f"{path}: has {count} bands{alpha}; name each one with 'band_names: "
                    f"[...]' in source {source.name!r} (or use 'bands:' for one file per band; "
                    f"for one band alone: gdal_translate -b <n> {Path(path).name} "
                    f"{Path(path).stem}_b<n>.tif)"
                )
            if scene.multiband and names is not None and count != len(names):
                raise DataError(
                    f"{path}: has {count} band(s){alpha} but the config names {len(names)} "
                    f"({', '.join(names)}); list one name per band"
                )
            if scene.multiband and names is not None:
                _check_band_order(path, list(names), info.descriptions[:count])
            if band > count:
                raise DataError(f"{path}: has {count} band(s){alpha}, band {band} requested")
            _check_coded(path, info, band, source)
            check_lossy(path, info, source, told)
            unit = source.units
            said = False  # whether the unit is the file's (its band's, CRS's, product's)
            stated = info.band_units(band)  # the file's own (a NetCDF's 'units')
            # heights above two datums (their units', their CRSs'): one unit, not one layer
            _check_sheet_datums(source, var, path, stated, info.crs, sheet_datums)
            if stated and (source.scale, source.offset) == (1.0, 0.0):
                if "units" not in source.model_fields_set:
                    _check_glossed(path, band, source, stated)  # ``mW/m2 (HFU)``: which?
                    unit, said = stated, True
                    _check_sheet_units(source, var, path, stated, sheet_units)
                elif stated not in told:
                    told.add(stated)
                    _warn_other_units(path, band, source, stated)
            elif stated and "units" in source.model_fields_set and stated not in told:
                told.add(stated)
                _warn_inverted_scale(path, band, info, source, stated)
            elif stated and "units" not in source.model_fields_set:
                scaled = _scaled_units(path, band, info, source, stated, told)
                if scaled is not None:
                    unit, said = scaled, True
                    _check_sheet_units(source, var, path, scaled, sheet_units)
            elif not stated and _heights_unit(source, info.vertical_unit) and \
                    not _says_other_than_heights(info, band, info.vertical_unit):
                if unit_key(info.vertical_unit) != unit_key("m"):  # metres: '1', as before
                    unit = info.vertical_unit
                said = True
                _check_sheet_units(source, var, path, info.vertical_unit, sheet_units)
            elif not stated and info.vertical_unit and info.vertical_unit not in told and \
                    "units" in source.model_fields_set:  # else said by its description
                told.add(info.vertical_unit)
                _warn_other_heights(path, info.vertical_unit, source)
            elif not stated and "units" not in source.model_fields_set:
                _warn_described_unit(path, band, info, source, told)
            quantity, valid_range, saturate = None, None, None
            cal = meta.calibrate(var, path) if meta is not None else (
                scene.calibration or {}).get(var)
            check_nodata(source, info, band, fill=cal.fill if cal is not None else None)
            if cal is not None:
                quantity, valid_range, saturate = (cal.quantity or None, cal.valid_range,
                                                   cal.saturate)
                if cal.units and "units" not in source.model_fields_set:
                    unit, said = cal.units, True
            nodata, other_nodata = band_nodata(
                source, info, band, cal.fill if cal is not None else None,
                stated_by=(str(scene.mtl) if scene.mtl is not None else
                           f"item {scene.item.item_id!r}" if scene.item is not None
                           else "the product metadata"), told=told_nodata)
            other_nodata, valid_range = _cf_missing(source, info, band, nodata, other_nodata,
                                                    valid_range)
            gaps = slc_off_fill(path, source.name, sensor=source.sensor,
                                date=scene.date or (meta.date if meta else None)) if (
                nodata is None and other_nodata is None) else None
            if gaps is not None:  # Landsat 7 SLC-off gaps would read as dark data
                raise DataError(gaps)
            if nodata is None and other_nodata is None:  # a Level-1 band's fill, by name
                nodata = level1_fill(path)
            who, ignore = stated_by(scene.mtl, scene.item.item_id if scene.item else None,
                                    info, band, cal)
            stated_cal = file_coefficients(
                source, info, band, cal,
                str(scene.mtl) if scene.mtl is not None else "the STAC item")
            try:
                scale, offset = band_coefficients(  # the one rule, every product path
                    source, var, stated_cal, who, path, ignore, dtype=info.band_dtype(band))
            except ConfigError:
                _refuse_mixed_products(source, var, path, stated_cal, scenes)
                raise
            named = named_product(path) if stated_cal is None else None
            if named is not None and named.scale is not None:
                # the file's name states the product: its quantity for provenance, and its
                # units where the config gives none (an ST_B10 given only 'scale:' was '1')
                quantity = quantity or named.quantity
                if "units" not in source.model_fields_set:
                    unit, said = named.units, True
                # and its DN limits, as its metadata would state them (an ESPA band read
                # without its XML: a clipped 16000 went in as reflectance 1.6)
                valid_range = valid_range if valid_range is not None else named.valid_range
                saturate = saturate if saturate is not None else named.saturate
            named_saturate = saturate is None and level1_saturate(path) is not None
            if named_saturate:  # a Level-1 band's saturated DN, by name, as its MTL's
                saturate = level1_saturate(path)
            info = _region_crs(_wrapped_longitudes(info, grid), grid)
            if not _overlaps(info, grid):  # refuses a CRS PROJ can only guess a shift of
                continue
            any_overlap = True
            sliver = _sliver(info, grid)  # overlaps by less than a cell's centre: no data
            any_cell = any_cell or not sliver
            slivers.append(sliver)
            try:
                resampling = choose_resampling(
                    source.values, source_res=_res_in_grid_units(info, grid),
                    target_res=grid.resolution, override=source.resampling,
                )
            except ConfigError as exc:
                raise ConfigError(f"source {source.name!r} (values: {source.values}): "
                                  f"{exc}") from None
            resampling = _seam_resampling(path, info, grid, resampling, source)
            if not sliver:  # a file holding no cell has no value to interpolate
                _warn_off_grid(path, info, grid, resampling, source, told)
            _warn_coarse(path, info, grid, resampling, source, told)
            exact = fill_neighbours_held(
                info, band, info.dropped(band, nodata, other_nodata),
                within=region_window(info, grid))
            per_var.setdefault(var, []).append(
                BandRef(info=info, band=band, scale=scale, offset=offset, nodata=nodata,
                        resampling=resampling, mask=mask, quantity=quantity,
                        valid_range=valid_range, saturate=saturate,
                        other_nodata=other_nodata,
                        saturation=cal.saturation if cal is not None else None,
                        exact_fill=exact, saturate_named=named_saturate,
                        kernel_scale=tuple(sorted(kernel_scales(
                            info, grid, resampling_enum(resampling)).items())))
            )
            if first is None:  # the cover check samples each band as the chunks read it
                first = per_var[var][-1]
            refs_here[var] = per_var[var][-1]
            if said or var not in units:  # a file's unit over a sheet that states none
                units[var] = unit
            if said:
                said_by.setdefault(var, (path, unit))
            elif "units" not in source.model_fields_set:
                unstated.setdefault(var, []).append(path)
            check_same_quantity(source.name, var, quantity, path, first_quantity)
            if quantity:
                quantities[var] = quantity
        if not scene.multiband:
            _check_files_crossed(source, scene.files, infos)
        headers.extend(infos.values())
        if mask is not None:  # what a mask without product metadata can show
            check_scene_mask(mask, {v: infos[p] for v, (p, _) in scene.files.items()}, grid,
                             where=f"source {source.name!r}")
            masked.append((Path(mask.info.path).name, mask))
            masked_bands.append(first)
            # the first band is sampled as `bands`, each variable's (its own band of a
            # file; a scene without a file of one observes none of it) as `other_bands`
            masked_others.append(refs_here)
        elif imagery and refs_here:
            plain.append(first)
            plain_others.append(refs_here)
    for var, refs in per_var.items():  # a band number of two sensors' scenes: two bands
        check_one_band(source.name, var, [str(r.info.path) for r in refs], "mosaics")
    if not any_overlap:
        from prospect.config.region import bounds_written_in

        lo = grid.lonlat_bounds()
        # the region's numbers written in the files' own CRS (Saba's UTM 20N metres in a
        # UTM 19N region lie in the sea 600 km west): name the CRS to set
        zone = bounds_written_in(grid, [(i.crs, i.extent()) for i in headers if i.crs])
        raise DataError(
            f"source {source.name!r}: none of its files overlap the region {grid.name!r} "
            f"(lon/lat {lo[0]:.3f},{lo[1]:.3f} .. {lo[2]:.3f},{lo[3]:.3f}); "
            + (f"{zone}" if zone else _touching(headers, grid)
               or "check the files, their CRS or the region")
        )
    if not any_cell:  # every file overlaps by a sliver: it would write a layer of no data
        raise DataError(
            f"source {source.name!r}: none of its files holds a cell of the region "
            f"{grid.name!r}: " + "; ".join(dict.fromkeys(s for s in slivers if s)))
    lead = next(iter(per_var))  # the source's first variable (each scene's first band's)
    if not masked and None not in plain:  # each variable's bands, as a masked source's
        masked = [(Path(b.info.path).name, None) for b in plain if b is not None]
        masked_bands = list(plain)
        masked_others = plain_others
    cover = check_clear_cover(
        f"source {source.name!r}", masked, grid, what="mosaic",
        extents=[b.info if b is not None else None for b in masked_bands], bands=masked_bands,
        other_bands={v: [refs.get(v) for refs in masked_others]
                     for v in dict.fromkeys(v for r in masked_others for v in r)
                     if v != lead or any(lead not in r for r in masked_others)},
        first_variable=lead)  # sampled as another where a scene lacks it
    sheets = source.mosaic == "first_valid" and not source.sensor and not any(
        sc.date or sc.mtl or sc.cloud_cover is not None or sc.calibration for sc in scenes)
    for refs in per_var.values():
        if len(refs) > 1 and sheets:  # scenes of dates differ by nature: sheets should not
            _warn_sheet_overlaps(source, refs, grid)
    for var in per_var:
        if var in said_by and unstated.get(var) and unit_key(said_by[var][1]) != ():
            _warn_unstated_sheets(source, var, said_by[var], unstated[var])
            units[var] = said_by[var][1]
    layers = []
    categorical = source.values == "categorical"
    for var, refs in per_var.items():
        dtype, fill, code_span = "float32", float("nan"), list[int]()
        classes: tuple[tuple[int, str], ...] = ()
        if categorical:
            dtype, fill, code_span = _codes_layer_type(source, refs)
            classes = _class_table(source, refs)
            _warn_unclassified(source, refs, classes, code_span)
        settings: dict[str, Any] = {
            "source": source.name, "mosaic": source.mosaic if len(refs) > 1 else None,
            "scenes": [r.describe() for r in refs]}
        if var in quantities:
            settings["quantity"] = quantities[var]
        dates = sorted({str(sc.date)[:10] for sc in scenes if sc.date})
        if dates:  # the scenes' configured dates (the index stage reads them: ASTER SWIR)
            settings["dates"] = dates
        if masked:  # the sampled share no scene observes (clear), as a composite's
            settings["no_observation_share"] = round(cover.of(var), 4)
        layers.append(RasterLayer(
            name=var, units=units[var],
            long_name=source.long_name or (f"{source.sensor} {var}" if source.sensor else var),
            kind="categorical" if categorical else "continuous",
            inputs=tuple(sorted(inputs[var])),
            settings=settings, refs=tuple(refs), categorical=categorical,
            code_span=tuple(code_span), classes=classes, dtype=dtype, fill_value=fill,
        ))
    return layers
