"""Fill values that are read as data: a declared nodata that never occurs while another
value fills the raster (its edges, a large share of its cells).

A scene whose header says ``nodata = -9999`` but whose collar is filled with ``0`` (or
``-32768``, ``65535``...) gets that collar ingested as real values, and resampling smears
it into the cells beside it. Nothing fails, so the user must be told. The ingest stage
calls :func:`warn_fills` once its sources are planned: each band of each raster file is
sampled cheaply (:func:`prospect.io.raster.sample_band`: overviews or a grid of small
windows, never a second full read) and :func:`dominant_fill` decides; a finding is a
:class:`~prospect.errors.DataWarning`, which the run puts in its summary and manifest
like every other data warning.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from prospect.errors import DataWarning
from prospect.ingest.layers import Layer

if TYPE_CHECKING:
    from rasterio.windows import Window

    from prospect.grid import RegionGrid
    from prospect.ingest.rasters import BandRef

__all__ = ["FillFinding", "dominant_fill", "merged_in_float32", "stands_apart",
           "stored_forms", "variable_has_data", "warn_fills"]

COMMON_FILLS = (0.0, -1.0, 255.0, -99.0, -999.0, -999.25, -9999.0, -99999.0, -32768.0,
                32767.0, 65535.0, -2147483648.0, 2147483647.0, 4294967295.0,
                -3.4028234663852886e38, 3.4028234663852886e38, -1e20, 1e20, -1e30, 1e30,
                9.969209968386869e36, -1.7976931348623157e308, 1.7976931348623157e308,
                -1e32, 1e32, 1.70141e38)
"""Values that data producers use to mark no data (plus each integer type's limits, and
float32's and float64's: ArcGIS fills a float64 raster with -1.8e308; -999.25 is the
LAS well-log fill, +-1e30 that of many gridding and modelling codes, -1e32 Geosoft's
dummy and 1.70141e38 Surfer's blank, as their XYZ and ASCII exports write them). Point
tables use them too (:data:`prospect.io.points.POINT_FILLS`)."""

FILL_SHARE = 0.05
"""A common fill value at the corners is reported from this share of the cells."""
CORNER_SHARE = 0.10
"""Any value holding two or more corners is reported from this share."""
ANY_SHARE = 0.5
"""Any single value of a continuous band is reported from this share."""
SHARE_CELLS = 65536
"""Shares are counted on about this many of the sampled values (every k-th one); whether
the declared nodata occurs is checked on all of them."""


@dataclass(frozen=True)
class FillFinding:
    """A value that looks like an undeclared fill: what it is and how much it covers."""

    value: float
    share: float
    corners: int
    cells: int


def stored_forms(stated: float, dtype: str, bits: int | None = None
                 ) -> list[tuple[int, str]]:
    """The numbers an integer band of ``dtype`` (``bits`` of it where ``NBITS`` says so)
    holds where a writer stored a fill ``stated`` it cannot hold: wrapped modulo 2**bits
    (numpy's ``astype``, a C cast: -9999 in uint16 is 55537), and clamped to the type's
    range (GDAL's conversion: ``gdal_translate -ot UInt16`` writes -9999 as 0, and NaN as
    0), each with the writer's name; none for a float band or a value the band holds.

    Parameters
    ----------
    stated
        The fill (a stated nodata, a common fill value).
    dtype
        The band's data type.
    bits
        The bits the band stores of each value (``NBITS``), where fewer than its type's.

    Returns
    -------
    list of (int, str)
        Each stored number, once, with the words naming the writer that makes it.
    """
    kind = np.dtype(dtype)
    if kind.kind not in "iu":
        return []
    size = bits or kind.itemsize * 8
    signed = kind.kind == "i"
    low, high = (-(2 ** (size - 1)), 2 ** (size - 1) - 1) if signed else (0, 2**size - 1)
    if not math.isfinite(stated):
        return [(0, "GDAL's conversion (gdal_translate -ot)")] if math.isnan(stated) else []
    if low <= stated <= high and float(stated).is_integer():
        return []
    forms: list[tuple[int, str]] = []
    if float(stated).is_integer():
        wrapped = int(stated) % 2**size
        if signed and wrapped > high:
            wrapped -= 2**size
        forms.append((wrapped, "a cast (numpy's astype, a C cast)"))
    clamped = int(min(max(math.floor(stated) if stated > 0 else math.ceil(stated), low),
                      high))
    if clamped not in (form for form, _ in forms):
        forms.append((clamped, "GDAL's conversion (gdal_translate -ot), clamping,"))
    return forms


_CAST_BITS = 16
"""The fewest bits of an integer band in which the cast forms of the common fills count as
fills (:func:`_cast_fills`): in 8 bits every number is a plausible class or DN (-999
wraps to 25 in uint8)."""


@functools.lru_cache(maxsize=32)
def _cast_fills(dtype: str) -> frozenset[int]:
    """The numbers an integer ``dtype`` band of 16 bits or more holds where a writer cast a
    common whole-number fill it cannot hold (:data:`COMMON_FILLS`, :func:`stored_forms`):
    55537 and 64537 for -9999 and -999 in uint16, 32768 for -32768, 4294957297 for -9999
    in uint32; none that is a fill already (-1 in uint16 is 65535, the type's limit; a
    clamped fill is the type's limit or 0)."""
    kind = np.dtype(dtype)
    if kind.kind not in "iu" or kind.itemsize * 8 < _CAST_BITS:
        return frozenset()
    info = np.iinfo(kind)
    return frozenset(form for fill in COMMON_FILLS
                     if fill.is_integer() and abs(fill) <= 2**32
                     for form, how in stored_forms(fill, dtype) if how.startswith("a cast")
                     and form not in (info.min, info.max) and float(form) not in COMMON_FILLS)


def _is_fill(value: float, dtype: str, also: Iterable[float] = ()) -> bool:
    """Whether ``value`` of a ``dtype`` band is a common fill (:data:`COMMON_FILLS`, the
    type's limits, what a cast makes of a common fill the type cannot hold:
    :func:`_cast_fills`) or one of ``also`` (the stored forms of the band's own unheld
    nodata)."""
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        if value in (info.min, info.max) or value in _cast_fills(dtype):
            return True
    if any(value == f for f in also):
        return True
    return any(math.isclose(value, f, rel_tol=1e-6) for f in COMMON_FILLS)


def stands_apart(values: np.ndarray, value: float, dtype: str) -> bool:
    """Whether ``value``, held by some of the sampled ``values`` of a ``dtype`` band,
    looks like a fill rather than a measurement: a common fill value or the type's limit
    (:data:`COMMON_FILLS`), or the band's lowest or highest value, apart from the others
    by more than their own spread (-10000 beside 100..149). A value among the others
    (a reflectance DN of 1000 beside 990..1500) does not."""
    if _is_fill(float(value), dtype):
        return True
    v = np.asarray(values, dtype="f8").ravel()
    rest = v[np.isfinite(v) & (v != value)]
    if rest.size == 0:
        return True
    lo, hi = float(rest.min()), float(rest.max())
    gap = lo - value if value < lo else value - hi if value > hi else -1.0
    return gap > hi - lo


def dominant_fill(values: np.ndarray, corners: np.ndarray, *, nodata: float | None,
                  categorical: bool = False, stored: Iterable[float] = ()
                  ) -> FillFinding | None:
    """The value that fills a band while its declared ``nodata`` never occurs, if any.

    Parameters
    ----------
    values
        A sample of the band's cells (raw values, before any scaling). Above twice
        :data:`SHARE_CELLS` values, the shares are counted on an even subsample of them.
    corners
        The band's four corner values.
    nodata
        The nodata in force for the band (file or config); ``None`` when none is.
    categorical
        Class codes: a class may cover most of a map, so only a common fill value other
        than 0 at the corners counts.
    stored
        The numbers the band holds for a nodata it states but cannot hold
        (:func:`stored_forms`: 55537 for -9999 in uint16), counted as common fills.

    Returns
    -------
    FillFinding or None
        ``None`` when the declared nodata occurs in the sample, or no value dominates in a
        way that marks a fill: a common fill value (or the type's limit) on two or more
        corners and 5 % of the cells; any value on two or more corners and 10 %; any value
        of a continuous band on half the cells. Without a declared nodata, only the first.
    """
    values = np.asarray(values).ravel()
    if values.size == 0:
        return None
    if nodata is not None:
        present = np.isnan(values) if np.isnan(nodata) else values == nodata
        if present.any():
            return None
    sampled = values.size  # the cells with a value
    if values.dtype.kind == "f":
        sampled -= int(np.count_nonzero(np.isnan(values)))
        if sampled == 0:
            return None
    if values.size > 2 * SHARE_CELLS:  # shares from every k-th value: sorting is the cost
        values = values[:: values.size // SHARE_CELLS]
    if values.dtype.kind == "f":
        values = values[~np.isnan(values)]
        if values.size == 0:
            return None
    uniq, counts = np.unique(values, return_counts=True)
    corners = np.asarray(corners)
    # candidates: the most common value, and the corners' values (a collar under a class)
    at = np.searchsorted(uniq, corners[corners == corners])  # NaN corners left out
    on_corner = [int(i) for i in at if i < uniq.size and (corners == uniq[i]).any()]
    found: list[FillFinding] = []
    for idx in dict.fromkeys([int(np.argmax(counts)), *on_corner]):
        finding = _finding(uniq[idx].item(), float(counts[idx]) / values.size, corners,
                           nodata=nodata, categorical=categorical, dtype=str(values.dtype),
                           cells=sampled, stored=tuple(stored))
        if finding is not None:
            found.append(finding)
    return max(found, key=lambda f: f.share) if found else None


def _finding(value: float, share: float, corners: np.ndarray, *, nodata: float | None,
             categorical: bool, dtype: str, cells: int, stored: tuple[float, ...] = ()
             ) -> FillFinding | None:
    on_corners = int(np.count_nonzero(corners == value))
    # a class code 0 is as common as a fill 0 (a cloud mask's "clear"): not a fill there
    fill = _is_fill(float(value), dtype, stored) and not (categorical and value == 0)
    found = fill and on_corners >= 2 and share >= FILL_SHARE
    if nodata is not None and not categorical:
        found = found or (on_corners >= 2 and share >= CORNER_SHARE) or share >= ANY_SHARE
    if not found:
        return None
    return FillFinding(value=float(value), share=share, corners=on_corners, cells=cells)


def _same(a: float | None, b: float) -> bool:
    return a is not None and (a == b or (math.isnan(a) and math.isnan(b)))


def _text(value: float, dtype: str | None = None) -> str:
    """``value`` as a config states it: a whole number as one, a float32 band's value as
    float32's shortest spelling (``-1e+32``, not ``-1.0000000331813535e+32``, which a
    ``nodata:`` of either spelling matches)."""
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    if dtype == "float32" and math.isfinite(value):
        return str(np.float32(value))
    return repr(value)


def warn_fills(layers: Iterable[Layer], *, configured: Mapping[str, float | None] = {},
               grid: RegionGrid | None = None) -> int:
    """Warn of every raster band of ``layers`` whose fill value would be read as data, or
    whose values the float32 cube cannot keep apart (:func:`merged_in_float32`).

    Each (file, band) is sampled once, whatever the number of layers reading it; a file
    larger than ``grid`` (the region) a second time where it lies under the region
    (:func:`~prospect.io.raster.region_window`), where the whole file's sample finds no
    fill: a national DEM's voids filled with -9999 under the region went into the cube
    without a word where its stated nodata -32768 (its sea) occurred elsewhere, or the
    voids lay on no corner of the file. Layers other than raster layers are passed over.
    ``configured`` maps source names to the ``nodata`` their config sets (to say where a
    nodata came from). Returns the number of warnings.
    """
    from prospect.io.raster import region_window, sample_band

    seen: set[tuple[str, int]] = set()
    count = 0
    for layer in layers:
        refs = _band_reads(layer)
        for ref in refs:
            key = (ref.info.path, ref.band)
            if key in seen:
                continue
            seen.add(key)
            sample = sample_band(ref.info.path, ref.band)
            if sample is None:
                continue
            categorical = bool(getattr(layer, "categorical", False))
            found = _fill_found(ref, sample, categorical)
            named = found is not None and ref.nodata is None and found.corners >= 2 and \
                found.value in _unheld_forms(ref)  # by the plan's warning (check_nodata)
            within = region_window(ref.info, grid) if grid is not None and \
                found is None else None
            if within is not None:
                part = _region_sample(ref.info.path, ref.band, within)
                found = _fill_found(ref, part, categorical) if part is not None else None
            # a fill found (in the file or under the region) is no value float32 must keep
            values = np.asarray(sample[0])
            lost = None if categorical else merged_in_float32(
                values if found is None else values[values != found.value],
                ref.info.band_dtype(ref.band), nodata=ref.nodata)
            if lost is not None:
                warnings.warn(DataWarning(f"{ref.info.path}: band {ref.band} ({layer.name!r}) "
                                          + lost), stacklevel=2)
                count += 1
            if named or found is None:
                continue
            warnings.warn(DataWarning(_message(layer, ref, found, configured,
                                               region=within is not None)), stacklevel=2)
            count += 1
    return count


def _region_sample(path: str, band: int, within: Window
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`~prospect.io.raster.sample_band` of the region's part of a band, ``None``
    where a block of it cannot be read: the chunk task that reads that block says so
    (once, naming the block), not this second look of a check that decides nothing."""
    from prospect.errors import InputFileError
    from prospect.io.raster import sample_band

    try:
        return sample_band(path, band, within=within)
    except InputFileError:
        return None


def _fill_found(ref: BandRef | _BandRead, sample: tuple[np.ndarray, np.ndarray],
                categorical: bool) -> FillFinding | None:
    """The fill ``sample`` (values, corners) of ``ref``'s band shows that its read does not
    drop anyway, if any (:func:`dominant_fill`)."""
    found = dominant_fill(*sample, nodata=ref.nodata, categorical=categorical,
                          stored=_unheld_forms(ref))
    return None if found is None or _dropped(ref, found.value) else found


def _unheld_stated(ref: BandRef | _BandRead) -> float | None:
    """The nodata the file states for ``ref``'s band that the band cannot hold, if any."""
    unheld = getattr(ref.info, "unheld_nodata", ())
    return unheld[ref.band - 1] if ref.band <= len(unheld) else None


def _unheld_forms(ref: BandRef | _BandRead) -> tuple[int, ...]:
    """The numbers ``ref``'s band holds where a writer stored the nodata the file states
    but the band cannot hold (:func:`stored_forms`: 55537 and 0 for -9999 in uint16)."""
    stated = _unheld_stated(ref)
    if stated is None:
        return ()
    return tuple(form for form, _ in stored_forms(
        stated, ref.info.band_dtype(ref.band), ref.info.band_nbits(ref.band)))


@dataclass(frozen=True)
class _BandRead:
    """One (file, band) a layer reads, as the fill check needs it."""

    info: Any
    band: int
    nodata: float | None
    other_nodata: float | None = None
    valid_range: tuple[float, float] | None = None
    saturate: float | None = None
    item: str = ""
    """The STAC item the band belongs to (a composite's scene), for the message."""


def _band_reads(layer: Layer) -> list[Any]:
    """The bands a raster layer reads (its refs), or a composite's scenes' local band files
    (a remote item is not sampled while planning: one HTTP read per scene). A composite's
    scene whose fill is read as data (a collar of 0 without ``raster:bands`` nodata, a
    band written all 0) put those values in the median without a word. Other layers: none."""
    from prospect.ingest.composite import CompositeLayer
    from prospect.ingest.rasters import RasterLayer

    if isinstance(layer, RasterLayer):
        return list(layer.refs)
    if isinstance(layer, CompositeLayer) and layer.band_index is not None:
        return [_BandRead(info=p.info, band=1, nodata=p.nodata, other_nodata=p.other_nodata,
                          valid_range=p.valid_range, saturate=p.saturate, item=p.item_id)
                for p in layer.bands[layer.band_index] if "://" not in str(p.info.path)]
    return []


_WIDE = frozenset({"float64", "int32", "uint32", "int64", "uint64"})
"""File data types whose values float32 (the cube's type for a continuous layer) cannot
all hold: 24 bits of mantissa."""


def merged_in_float32(values: np.ndarray, dtype: str, *, nodata: float | None = None
                      ) -> str | None:
    """Why a band of ``dtype`` loses what tells its values apart in the float32 cube, or
    ``None``: the sampled ``values`` (no data left out) whose distinct values fall to
    under half when cast to float32 (at least 16 distinct to begin with).

    Continuous layers are read as float32. A float64 or 32/64-bit integer band of large
    values and a small spread (Unix times around 1.7e9 a second apart, an elevation in
    millimetres above a datum 10 000 km off, coordinates stored as values) became a few
    steps of float32's rounding, or one value, without a word; a ``scale``/``offset`` in
    the config is applied after that cast and cannot help.
    """
    if dtype not in _WIDE or values.size == 0:
        return None
    v = np.asarray(values, dtype="f8") if dtype == "float64" else np.asarray(values)
    keep = np.isfinite(v) if v.dtype.kind == "f" else np.ones(v.shape, bool)
    if nodata is not None:
        keep &= v != nodata
    v = v[keep]
    distinct = np.unique(v)
    if distinct.size < 16:
        return _rounded_in_float32(distinct, dtype)
    kept = np.unique(distinct.astype("f4")).size
    if kept * 2 > distinct.size:
        return _rounded_in_float32(distinct, dtype)
    return (f"holds {dtype} values {_text(float(distinct[0]))} .. {_text(float(distinct[-1]))} "
            f"closer together than the float32 cube can keep: {distinct.size} distinct "
            f"values of a sample become {kept}; subtract a base value in the file first "
            "(e.g. gdal_calc.py --calc 'A - <base>' --type Float32) or give the values in "
            "coarser units")


_FLOAT32_WHOLE = 2**24
"""The largest whole number float32 holds with every smaller one: 24 bits of mantissa."""


def _rounded_in_float32(distinct: np.ndarray, dtype: str) -> str | None:
    """Why the sorted ``distinct`` values of a ``dtype`` band come out of the float32 cube
    as other numbers although few of them merge, or ``None``: a float64 value past
    float32's range (read as infinity) or a whole number float32 cannot hold (past 2^24 =
    16 777 216: a uint32 count of 16 777 217 read 16 777 216, an int64 identifier 255 off
    past 2^32), named with the largest such value, what the cube holds for it and the step
    float32 keeps there. Float64 fractions rounded to float32's 7 digits are no finding
    (every measurement the cube keeps is)."""
    if distinct.size == 0:
        return None
    if dtype == "float64":
        finite = distinct[np.isfinite(distinct)]
        big = finite[np.abs(finite) > float(np.finfo("f4").max)]
        if big.size:
            worst = float(big[np.argmax(np.abs(big))])
            return (f"holds float64 values past float32's range (+-3.4e38), up to "
                    f"{worst!r}, that the float32 cube holds as infinity; give the values "
                    "in other units (e.g. gdal_calc.py --calc 'A * 1e-30' --type Float32) "
                    "or state such cells as no data")
        if finite.size == 0:
            return None
        if np.abs(finite).max() >= 2**53 or not np.all(finite == np.round(finite)):
            return _offset_in_float32(finite)
        distinct = finite  # whole numbers written as float64: as an integer band's
    with np.errstate(invalid="ignore", over="ignore"):  # 2^63 rounds past int64
        changed = distinct[distinct.astype("f4").astype(distinct.dtype) != distinct]
    if changed.size == 0:
        return None
    worst = max(int(changed[0]), int(changed[-1]), key=abs)
    held = int(np.float32(worst))
    step = int(np.spacing(np.float32(abs(worst))))
    return (f"holds {dtype} whole numbers past float32's {_FLOAT32_WHOLE} (2^24) that the "
            f"float32 cube rounds to steps of {step}: {changed.size} distinct values of a "
            f"sample come out as other numbers ({worst} reads {held}); subtract a base "
            "value in the file first (e.g. gdal_calc.py --calc 'A - <base>' --type "
            "Float32), give the values in coarser units, or ingest the layer with "
            "'values: categorical' where they are codes")


_STEPS_ACROSS = 1000
"""The fewest steps of float32's rounding a float64 band's sampled spread must span: fewer,
and the cube keeps under three digits of the differences between its cells."""


def _offset_in_float32(finite: np.ndarray) -> str | None:
    """Why the sorted, finite, not all whole ``finite`` values of a float64 band lose their
    differences in the float32 cube, or ``None``: a spread small beside the values' size
    (Unix seconds with fractions, a depth below a datum thousands of kilometres off)
    spans fewer than :data:`_STEPS_ACROSS` of float32's steps there, so each cell is
    rounded by up to half a step, a large part of the differences the band is read for.
    (Where the steps merge most sampled values, :func:`merged_in_float32` says so.)"""
    lo, hi = float(finite[0]), float(finite[-1])
    spread = hi - lo
    step = float(np.spacing(np.float32(max(abs(lo), abs(hi)))))
    if spread <= 0 or spread / step >= _STEPS_ACROSS:
        return None
    return (f"holds float64 values {lo!r} .. {hi!r}, a spread of {spread:.6g} far from zero, "
            f"where the float32 cube keeps steps of {step:g} only ({spread / step:.0f} "
            f"across the spread): each cell is rounded by up to {step / 2:g}; subtract a "
            "base value in the file first (e.g. gdal_calc.py --calc 'A - <base>' --type "
            "Float32) or give the values in other units")


def _dropped(ref: BandRef | _BandRead, value: float) -> bool:
    """Whether the band's read drops ``value`` anyway: its second fill (a NetCDF's
    ``missing_value`` beside its ``_FillValue``), its saturated DN or a value outside its
    valid range."""
    if _same(ref.other_nodata, value) or value in ref.info.dropped(
            ref.band, ref.nodata, ref.other_nodata):  # the one rule of the reads
        return True
    if ref.saturate is not None and _same(ref.saturate, value):
        return True
    if ref.valid_range is not None:
        lo, hi = ref.valid_range
        return not lo < value < hi
    return False


def _message(layer: Layer, ref: BandRef | _BandRead, found: FillFinding,
             configured: Mapping[str, float | None], *, region: bool = False) -> str:
    info, band, nodata = ref.info, ref.band, ref.nodata
    source = str(layer.settings.get("source", layer.name))
    where = f"{found.corners} of 4 corners and " if found.corners else ""
    part = " under the region" if region else ""
    value = _text(found.value, info.band_dtype(band))
    unheld = _unheld_stated(ref)
    if nodata is None and unheld is not None:
        declared = (f"states nodata {_text(unheld)}, which a {info.band_dtype(band)} band "
                    "cannot hold, so no cell is marked as no data,")
    elif nodata is None:
        declared = "declares no nodata"
    else:
        origin = ("the config's" if configured.get(source) is not None else
                  "the file's" if _same(info.nodata[band - 1], nodata) else
                  "the product metadata's")
        declared = f"declared nodata {_text(nodata)} ({origin}) never occurs{part}"
    item = getattr(ref, "item", "")
    whole = (f"; every sampled cell holds {value} (an empty or failed scene?): drop it"
             + (f" (item {item!r})" if item else "") + ", or "
             if found.share >= 0.999 else "; ")
    cast = _cast_of(found.value, info.band_dtype(band), unheld, info.band_nbits(band))
    return ((f"item {item!r}: " if item else "")
            + f"{info.path} band {band}: {declared} while {value}{cast} fills {where}"
            f"{found.share:.0%} of {found.cells} sampled cells{part}, so it is read as data"
            + whole + f"if {value} marks no data, set 'nodata: {value}' in source "
            f"{source!r}")


def _cast_of(value: float, dtype: str, unheld: float | None = None,
             bits: int | None = None) -> str:
    """Words naming the writer that made ``value`` of a fill a ``dtype`` band cannot hold:
    the band's own ``unheld`` nodata (:func:`stored_forms`), else a common fill
    (:func:`_cast_fills`): ``" (what a cast (numpy's astype, a C cast) makes of -9999 in a
    uint16 band)"`` for 55537; ``""`` where ``value`` is no such form."""
    for fill in ([] if unheld is None else [unheld]) + [
            f for f in COMMON_FILLS if value in _cast_fills(dtype) and f.is_integer()
            and abs(f) <= 2**32]:
        for form, how in stored_forms(fill, dtype, bits if fill == unheld else None):
            if form == value:
                return f" (what {how} makes of {_text(fill)} in a {dtype} band)"
    return ""


def variable_has_data(array: str | os.PathLike[str], chunk_files: int) -> bool:
    """Whether a cube variable (the zarr array at ``array``, with ``chunk_files`` chunk
    files) holds a single data cell.

    A chunk zarr does not store is all of the array's ``fill_value``. Where that is the
    variable's no-data value (its ``_FillValue``: NaN for a float variable, the no-data
    code for an integer one since :func:`prospect.io.cube.begin_variable` writes it so), a
    variable without chunk files holds no data. An integer variable written before that
    has the ``fill_value`` 0 while its no-data value is another (-1 for unit codes, 255
    for the land mask): there a missing chunk is all 0, a value (the first unit of a
    one-unit map, sea in the land mask), and a stored chunk may be all no data; so a
    missing chunk means data, and with every chunk stored, the chunks are read (one at a
    time) until one holds a value other than the no-data value.
    """
    import zarr

    try:
        meta = json.loads((Path(array) / "zarr.json").read_text())
        fill = meta["fill_value"]
        nodata = meta.get("attributes", {}).get("_FillValue", fill)
        shape = meta["shape"]
        chunks = meta["chunk_grid"]["configuration"]["chunk_shape"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # damage is
        return chunk_files > 0  # reported by the resume checks, not here
    value = _number(nodata)
    if value is None or _same_value(fill, nodata):
        return chunk_files > 0
    grid = tuple(-(-int(n) // int(c)) for n, c in zip(shape, chunks, strict=True))
    if chunk_files < math.prod(grid):
        return True
    try:
        from prospect.io.cube import zarr_store  # (io.cube imports ingest)

        arr = zarr.open_array(zarr_store(array, read_only=True), mode="r")
        for block in np.ndindex(*grid):
            values = np.asarray(arr.get_block_selection(block))
            held = ~np.isnan(values) if math.isnan(value) else values != value
            if held.any():
                return True
    except (OSError, ValueError, RuntimeError, KeyError, TypeError):  # a damaged chunk:
        return True  # the resume checks name it; no warning that could mislead
    return False


def _number(value: Any) -> float | None:
    """A fill value as zarr's metadata writes it (a number, ``"NaN"``, ``"Infinity"``) or
    as xarray writes a float ``_FillValue`` attribute (base64 of its bytes)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        return None
    kinds = {8: "<f8", 4: "<f4", 2: "<f2"}
    return float(np.frombuffer(raw, kinds[len(raw)])[0]) if len(raw) in kinds else None


def _same_value(a: Any, b: Any) -> bool:
    """Whether two fill values are the same number (NaN is NaN)."""
    fa, fb = _number(a), _number(b)
    if fa is None or fb is None:
        return bool(a == b)
    return fa == fb or (math.isnan(fa) and math.isnan(fb))
