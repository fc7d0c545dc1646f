"""Plausible inputs and CF range attributes for index outputs.

A reflectance index fed raw digital numbers (a missing ``scale`` or product metadata in the
ingest config) gives numbers that look like an index but mean nothing: NDVI of DN 8000 and
9000 is still in -1..1. So before any index is computed, every reflective input band's
median is checked against :data:`REFLECTANCE_LIMITS`; outside it the job stops with the
band and the fix, unless ``allow_out_of_range`` says the user knows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from prospect.errors import DataError, DataWarning
from prospect.indices.plan import IndexPlan, PlannedIndex

__all__ = [
    "PLAUSIBLE_MEDIAN",
    "RADAR_LIMITS",
    "REFLECTANCE_LIMITS",
    "acquisition_dates",
    "beyond_float32",
    "cf_range_attrs",
    "check_aster_swir_dates",
    "check_band_scales",
    "check_input_kinds",
    "check_kernel_scale",
    "check_percent_units",
    "check_reflectance_levels",
    "check_reflectance_ranges",
    "check_scene_bands",
    "check_scene_dates",
    "coordinate_dates",
    "judge_samples",
    "radar_band",
    "reflectance_samples",
    "reflective_band",
    "reflective_inputs",
    "sample_block",
    "sample_step",
]

REFLECTANCE_LIMITS = (-0.5, 1.5)
"""A band whose median lies outside this is not reflectance (DN, percent, or no scale)."""

_SAMPLE = 250_000
_OPTICAL = frozenset({"A", "B", "G", "G1", "Y", "R", "RE1", "RE2", "RE3", "N", "N2", "WV",
                      "S1", "S2", "SW5", "SW6", "SW7", "SW8", "SW9"})


_THERMAL = frozenset({"T", "T1", "T2", "TIR10", "TIR11", "TIR12", "TIR13", "TIR14"})
_CELSIUS = frozenset({"degc", "°c", "celsius", "deg_c", "degree_c", "degrees_c",
                      "degree_celsius", "degrees_celsius", "c"})
_PERCENT = frozenset({"%", "percent", "pct"})

LIFT_RANGES = ("set indices.allow_out_of_range: true (allow_out_of_range=True in a "
               "compute_indices call)")
"""How to lift the reflectance and radar range checks, in a job's config and in the
library's call: the refusals said the job's key alone to a
:func:`~prospect.indices.compute_indices` caller (round 56)."""

PERCENT_TOP = 110.0
"""Largest sampled value of a band judged reflectance in percent (0..100, a bright cloud
or snow a little past 100) when its median is above :data:`REFLECTANCE_LIMITS`: such a
band was told "raw digital numbers or a missing scale", no word of percent (round 56)."""
_RADAR = frozenset({"VV", "VH", "HH", "HV"})
_DECIBEL = frozenset({"db", "decibel", "decibels"})
RADAR_LIMITS = (0.0, 1.5)
"""A radar band (linear backscatter, sigma0 or gamma0: 0.001..1 over land and water) whose
median is outside this is in decibels (a median below 0) or amplitude DN."""


def radar_band(common: str) -> bool:
    """A common band name of a radar polarisation (``VV``, ``VH``, ``HH``, ``HV``)."""
    return common in _RADAR
FLAT_SPREAD = 0.002
"""A reflective band whose 1st..99th percentiles of its sample lie closer than this is
warned about: a reflectance scale (or scale and offset) applied twice leaves 0..1e-4
(Sentinel-2's 1e-4 twice) or -0.2 +- 3e-5 (Landsat Collection 2's 2.75e-5, -0.2 twice),
which pass the median rule; no scene of land, water or cloud is that uniform."""


_BROADBAND_THERMAL = frozenset({"T", "T1", "T2"})
"""Landsat's thermal bands (TM/ETM+ band 6, TIRS 10 and 11), whose catalogue formulas take
kelvin; ASTER's TIR ratios (TIR10..TIR14) are ratios of radiance or emissivity."""
_RADIANCE_UNITS = frozenset({"w m-2 sr-1 um-1", "w m-2 sr-1 μm-1", "w m-2 sr-1 µm-1",
                             "w/(m2 sr um)", "w/(m2*sr*um)", "w/m2/sr/um", "w m^-2 sr^-1 um^-1"})


def _radiance(var: xr.DataArray, units: str) -> bool:
    """Whether a band's units or recorded quantity say radiance (a Level-1 thermal band
    calibrated with its MTL's ``RADIANCE_MULT``/``RADIANCE_ADD``)."""
    from prospect.timeseries import recorded_quantity

    return " ".join(units.lower().split()) in _RADIANCE_UNITS or \
        recorded_quantity(var) == "toa_radiance"


def thermal_band(common: str) -> bool:
    """A common band name of a thermal infrared band (a brightness temperature)."""
    return common in _THERMAL


def check_input_kinds(ds: xr.Dataset, plan: IndexPlan, *,
                      allow_out_of_range: bool = False) -> None:
    """Refuse input bands whose metadata say their values cannot be what an index reads:
    class codes (``prospect_kind: categorical``: a ratio of geology codes 3 and 4 is no
    reflectance), a thermal band in degrees Celsius read by a catalogue index (their
    formulas take kelvin: ``(R - T) / (R + T)`` and the ASTER TIR ratios change meaning
    when zero is 273.15 K away), and, unless ``allow_out_of_range``, a reflective band in
    percent (a dark scene in percent has a median under 1.5). Only attributes are read.

    A custom formula reading class codes (``N * mask``, a 0/1 mask) gets a
    :class:`~prospect.errors.DataWarning` instead of an error.

    Raises
    ------
    DataError
        Naming the variable, its band, the indices that read it and the fix.
    """
    import warnings

    for index in plan.indices:
        for common, variable in index.bands:
            attrs = ds[variable].attrs
            units = str(attrs.get("units", "")).strip()
            where = f"band {variable!r} ({common}, read by index {index.name!r})"
            if attrs.get("prospect_kind") == "categorical" or "flag_values" in attrs:
                text = (f"{where} holds class codes (a categorical layer): an index of "
                        "codes is a number without meaning; map "
                        f"{common} to a band of the sensor with indices.bands.{common}")
                if index.source != "custom":
                    raise DataError(text)
                warnings.warn(DataWarning(text + ", unless the codes are meant as numbers "
                                          "(a 0/1 mask)"), stacklevel=3)
            elif radar_band(common) and index.source != "custom" and \
                    units.lower() in _DECIBEL:
                raise DataError(
                    f"{where} is in decibels ({units!r}); the catalogue's radar indices "
                    "take linear backscatter (a ratio of dB values is no ratio of powers): "
                    "ingest the band as linear power (10 ** (dB / 10)) or write the formula "
                    "under indices.custom")
            elif thermal_band(common) and index.source != "custom" and \
                    units.lower() in _CELSIUS:
                raise DataError(
                    f"{where} is in degrees Celsius ({units!r}); the catalogue's formulas "
                    "take brightness temperature in kelvin: ingest the band in K (offset: "
                    "273.15 in the source's config) or write the formula under "
                    "indices.custom")
            elif common in _BROADBAND_THERMAL and index.source != "custom" and \
                    _radiance(ds[variable], units):
                raise DataError(
                    f"{where} holds top-of-atmosphere radiance ({units or 'toa_radiance'!r}"
                    "), not a temperature; the catalogue's formulas take brightness or "
                    "surface temperature in kelvin (NBRT1 reads T / 10000): ingest the "
                    "band in K (ESPA's bt_band6, Collection 2 Level-2 ST_B6/ST_B10 with "
                    "scale: 0.00341802 and offset: 149.0) or write the formula under "
                    "indices.custom")
    _warn_one_variable_twice(plan)
    _warn_constant_on_positive(plan)
    check_aster_swir_dates(ds, plan)
    check_scene_bands(ds, plan)
    check_scene_dates(ds, plan)
    check_reflectance_levels(ds, plan)
    if not allow_out_of_range:
        check_percent_units(ds, plan)
    else:  # (without the flag, _refuse_packed judges the packing from the sample)
        check_packing_lifted(ds, plan)


def _packing(attrs: Mapping[str, Any]) -> tuple[float, float] | None:
    """(scale, offset) a band's attributes state and its values do not have applied (CF's
    ``scale_factor``/``add_offset``, as ``rioxarray.open_rasterio`` and
    ``xarray.open_dataset(mask_and_scale=False)`` leave them); ``None`` where none is
    stated (or it is no number)."""
    scale, offset = attrs.get("scale_factor"), attrs.get("add_offset")
    if scale is None and offset is None:
        return None
    try:
        return float(1.0 if scale is None else scale), float(offset or 0.0)
    except (TypeError, ValueError):
        return None


def check_packing_lifted(ds: xr.Dataset, plan: IndexPlan) -> None:
    """Refuse, under ``allow_out_of_range`` (digital numbers let through where their
    ratios are reflectance's), an index whose reflective bands' own attributes state a
    packing not applied that no ratio cancels: an ``add_offset`` other than 0 (Landsat
    Collection 2's -0.2) or two bands at different ``scale_factor``. Their NDVI was
    computed from the packed digital numbers without a word (0.48 where the reflectances
    give 0.91). Only attributes are read.

    Raises
    ------
    DataError
        Naming the index, the band, its attributes and how to decode the bands.
    """
    for index in plan.indices:
        packed = [(common, variable, pack) for common, variable in index.bands
                  if not radar_band(common) and reflective_band(common)
                  and (pack := _packing(ds[variable].attrs)) is not None]
        scales = {pack[0] for _, _, pack in packed}
        for common, variable, (scale, offset) in packed:
            if offset == 0.0 and len(scales) < 2:
                continue
            why = (f"add_offset {offset:g}" if offset != 0.0 else
                   f"scale_factor {scale:g} while another of its bands states "
                   f"{next(s for s in sorted(scales) if s != scale):g}")
            raise DataError(
                f"band {variable!r} ({common}, read by index {index.name!r}) holds packed "
                f"values whose attributes state {why}, not applied: allow_out_of_range "
                "lets digital numbers through where their ratios are reflectance's, and "
                "these are not (an offset, or two scales, changes every ratio); decode the "
                "bands before the indices: xarray.decode_cf(ds), or open them with "
                "mask_and_scale=True (rioxarray.open_rasterio(path, mask_and_scale=True))")


_REFLECTANCES = {"surface_reflectance": "surface reflectance (Level-2)",
                 "toa_reflectance": "top-of-atmosphere reflectance (Level-1)"}


def check_reflectance_levels(ds: xr.Dataset, plan: IndexPlan) -> None:
    """Refuse an index whose bands hold reflectance of two processing levels, as their
    provenance records them (or their product file names state): NDVI of a Level-2A red
    and a Level-1C near infrared (surface against top-of-atmosphere reflectance: the
    atmosphere's path radiance is in one band and not the other) was computed as if they
    were one product. A custom formula gets a :class:`~prospect.errors.DataWarning`.

    Raises
    ------
    DataError
        Naming each band, its variable and level, the index and the fix.
    """
    import warnings

    from prospect.timeseries import recorded_quantity

    for index in plan.indices:
        levels: dict[str, list[str]] = {}
        for common, variable in index.bands:
            if variable not in ds:
                continue
            quantity = recorded_quantity(ds[variable])
            if quantity in _REFLECTANCES:
                levels.setdefault(quantity, []).append(f"{common} ({variable!r})")
        if len(levels) < 2:
            continue
        held = "; ".join(f"{_REFLECTANCES[q]}: {', '.join(bands)}"
                         for q, bands in sorted(levels.items()))
        text = (f"index {index.name!r} reads reflectance of two processing levels ({held}): "
                "a ratio of surface and top-of-atmosphere reflectance is neither; ingest "
                "every band the index reads from one product level (all Level-2 surface "
                "reflectance, or all Level-1)")
        if index.source != "custom":
            raise DataError(text)
        warnings.warn(DataWarning(text), stacklevel=3)


def _warn_one_variable_twice(plan: IndexPlan) -> None:
    """A :class:`~prospect.errors.DataWarning` for an index two of whose bands are mapped
    to one variable so that a part of it is that variable minus or over itself
    (``bands: {N: heat, R: heat}``: NDVI is 0 wherever ``heat`` holds data), or that is
    one number through that mapping in another shape (``N * R / (R * N2)`` on Landsat 8,
    :func:`~prospect.indices.plan.constant_value`)."""
    import warnings

    from prospect.indices.plan import constant_value, self_cancelling

    for index in plan.indices:
        shared: dict[str, list[str]] = {}
        for common, variable in index.bands:
            shared.setdefault(variable, []).append(common)
        twice = {v: c for v, c in shared.items() if len(c) > 1}
        parts = self_cancelling(index.expr) if twice else []
        constant = constant_value(index.expr) if twice and not parts else None
        if constant is not None:
            parts = [f"the index is {constant:g} wherever its bands hold data"]
        if parts:
            mapped = "; ".join(f"{', '.join(c[:-1])} and {c[-1]} are all {v!r}"
                               for v, c in twice.items())
            warnings.warn(DataWarning(
                f"index {index.name!r} ({index.formula}): {mapped}, so "
                f"{'; '.join(parts)}: the index does not follow the bands; map each band "
                "to its own variable with indices.bands"), stacklevel=3)


def _warn_constant_on_positive(plan: IndexPlan) -> None:
    """A :class:`~prospect.errors.DataWarning` for an index that is one number wherever
    its bands are positive (:func:`~prospect.indices.plan.constant_value` with
    ``positive``), as reflectance and digital numbers are but for atmospheric
    correction's slightly negative noise: ``abs(N) / N`` and ``maximum(N, 0) / N`` are 1
    there, ``minimum(N, 0)`` 0. It was computed and stored without a word (round 50's
    check samples negative values too). Such a formula follows the bands only where one
    is negative, which a flag of those cells may mean (round 50 plans ``minimum(N, 0)``),
    so it is said, not refused (round 51)."""
    import warnings

    from prospect.indices.plan import constant_value

    for index in plan.indices:
        if constant_value(index.expr) is not None:  # said by the plan or round 17's
            continue
        value = constant_value(index.expr, positive=True)
        if value is None:
            continue
        warnings.warn(DataWarning(
            f"index {index.name!r} ({index.formula}) is {value:g} wherever its bands are "
            "positive, whatever their values, and takes another value only where a band "
            "is negative (reflectance and digital numbers are not, but for atmospheric "
            "correction's noise): a layer of one number on most scenes; "
            + (f"check the formula in indices.custom.{index.name} (abs(), minimum() or "
               "maximum() of a band at 0?)" if index.source == "custom"
               else "check indices.constants")), stacklevel=3)


_FILE_BAND = re.compile(r"(?:_sr_band|_toa_band|_bt_band|_band|_SR_B|_ST_B|_B)0*(8A|\d{1,2})"
                        r"(?![0-9A-Za-z])", re.IGNORECASE)
"""The band a scene's file name states: ``..._sr_band4.tif`` (ESPA), ``..._SR_B4.TIF``
(Collection 2), ``..._B04_10m.jp2`` (Sentinel-2)."""
_S2_PRODUCT = re.compile(r"S2[A-D]_MSI(?:L1C|L2A)_\d{8}T\d{6}")
_PLATFORMS = {"landsat5": "Landsat 4/5 TM", "landsat7": "Landsat 7 ETM+",
              "landsat8": "Landsat 8/9 OLI-TIRS", "sentinel2": "Sentinel-2 MSI",
              "aster": "Terra ASTER"}
"""The shipped sensors a scene's file name or item id can name, and their instruments."""
_HLS = re.compile(r"^(HLS\.(L30|S30)\.T\d{2}[A-Z]{3}\.\d{7}T\d{6}\.v\d+\.\d+)"
                  r"(?:\.(B\d[\dA]))?(?![0-9A-Za-z])", re.IGNORECASE)
"""An HLS v2.0 granule id or band file (``HLS.L30.T31UFT.2022060T104021.v2.0``,
``....v2.0.B05.tif``): L30 numbers its bands as Landsat 8 OLI does (B05 is near
infrared), S30 as Sentinel-2 MSI (B05 is red edge 1, B8A narrow near infrared)."""
_HLS_SENSORS = {"L30": "landsat8", "S30": "sentinel2"}


_UNREAD_BANDS = {
    "landsat7": {"B8": "panchromatic band (520-900 nm)"},
    "landsat8": {"B8": "panchromatic band (500-680 nm)", "B9": "cirrus band (1370 nm)"},
    "sentinel2": {"B10": "cirrus band (1375 nm)"},
}
"""Bands of a shipped sensor's scenes that its mapping leaves out, as no index reads them:
Landsat 8's B8 (panchromatic) ingested as variable ``B08`` was read as Sentinel-2's near
infrared under the default ``indices.sensor: sentinel2`` (NDVI of red against a band
that holds red), and an HLS L30 or Landsat 8 ``B9`` (cirrus) as Sentinel-2's ``B09``
(water vapour), without a word: a band the mapping did not name was not judged."""

_NEAR_INFRARED = frozenset({"N", "N2"})
"""Common names of one region of the spectrum, the near infrared: an index may read either
where it reads one of them. Sentinel-2's B8A (N2, 865 nm, the near infrared HLS S30
harmonizes with Landsat's B5) mapped as N by hand was refused as "not N", though it is the
near infrared most 20 m and harmonized workflows read."""


def _hls(text: str) -> tuple[str, str, str | None] | None:
    """(shipped sensor whose numbering the granule's bands follow, granule id, the band the
    file states or ``None``) of an HLS v2.0 granule id or band file name, else ``None``."""
    m = _HLS.search(text.replace("\\", "/").rsplit("/", 1)[-1])
    if m is None:
        return None
    return _HLS_SENSORS[m.group(2).upper()], m.group(1), (m.group(3) or "").upper() or None


def scene_platform(text: str) -> tuple[str, str] | None:
    """(shipped sensor, the product or granule id) a file name or STAC item id names: a
    Landsat product or scene id (``LT05...``/``LT5...``: ``landsat5``), a Sentinel-2 band
    file or product, an ASTER granule, an HLS v2.0 granule (L30: ``landsat8``, S30:
    ``sentinel2``, whose band numbers each follows); ``None`` for any other name (and
    Landsat MSS)."""
    from prospect.config.sources import _ASTER_GRANULE
    from prospect.ingest.landsat import landsat_id
    from prospect.ingest.sentinel2 import s2_file_date

    name = text.replace("\\", "/").rsplit("/", 1)[-1]
    hls = _hls(name)
    if hls is not None:
        return hls[0], hls[1]
    found = _ASTER_GRANULE.search(name)
    if found:
        return "aster", found.group(0)
    ident = landsat_id(name)
    if ident is not None:
        sensor = {4: "landsat5", 5: "landsat5", 7: "landsat7", 8: "landsat8",
                  9: "landsat8"}.get(ident.satellite)
        return (sensor, ident.text) if sensor and ident.sensor != "M" else None
    s2 = s2_file_date(name)
    if s2 is not None:
        return "sentinel2", s2[0]
    product = _S2_PRODUCT.search(name)
    return ("sentinel2", product.group(0)) if product else None


_ASTER_BACKWARD = re.compile(r"(?:ImageData|Band|_B)0*3B(?![0-9A-Za-z])|VNIR_Backward",
                            re.IGNORECASE)
"""ASTER's band 3B as a granule's file or subdataset names it (``ImageData3B``,
``VNIR_Backward``, ``..._B3B.tif``): the backward-looking stereo view."""


def _file_band(platform: str, text: str) -> str | None:
    """The band variable (in ``platform``'s naming: ``B4`` for Landsat, ``B04`` or ``B8A``
    for Sentinel-2, ``B3B`` for ASTER's backward view) that a scene file's name states, or
    ``None``."""
    if platform == "aster":  # granule files name their bands in many ways: 3B only
        return "B3B" if _ASTER_BACKWARD.search(text) else None
    name = text.replace("\\", "/").rsplit("/", 1)[-1]
    hls = _hls(name)  # HLS names its band after the granule id: '...v2.0.B05.tif'
    found = _FILE_BAND.findall(name) if hls is None else [b[1:] for b in hls[2:] if b]
    if not found:
        return None
    band = found[-1].upper()
    if band == "8A":
        return "B8A" if platform == "sentinel2" else None
    return f"B{int(band):02d}" if platform == "sentinel2" else f"B{int(band)}"


def _scene_texts(attrs: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """A variable's scenes as its provenance records them: (file name or item id, whether
    it is a file that may state its band)."""
    from prospect.provenance import read_provenance

    prov = read_provenance(attrs.get("provenance"))
    out: list[tuple[str, bool]] = []
    scenes = prov.get("scenes")
    for scene in scenes if isinstance(scenes, list) else []:
        if isinstance(scene, dict):
            if scene.get("file"):
                out.append((str(scene["file"]), True))
            if scene.get("item"):
                out.append((str(scene["item"]), False))
    items = prov.get("items")
    out += [(str(item), False) for item in (items if isinstance(items, list) else [])]
    return out


def check_scene_bands(ds: xr.Dataset, plan: IndexPlan) -> None:
    """Refuse an index band whose scene, as its provenance records it, holds another band
    than the index reads: each band variable's scene files and item ids name their
    platform (a Landsat product id, a Sentinel-2 tile or product, an ASTER granule) and
    often their band (``_sr_band4``, ``_SR_B4``, ``_B04``). The common names that band is
    on that platform (the shipped sensor's mapping) must hold the one the index reads it
    as. Landsat 5's B4 (near infrared) read as Landsat 8's B4 (red) with ``indices.sensor:
    landsat8``, ASTER's B4 (SWIR) read as red, or band 5's file ingested as variable
    ``B4``, gave indices of other bands than their formulas say, without a word. Only
    attributes are read; a variable whose scenes name no platform, or whose band the
    platform's mapping does not name, is not judged.

    Raises
    ------
    DataError
        Naming the variable, the scene, what the band is there, the index and the fix.
    """
    from prospect.indices.bands import is_sensor, load_sensor

    for index in plan.indices:
        for common, variable in index.bands:
            if variable not in ds:
                continue
            if variable == "B3B" and is_sensor(plan.sensor, "aster"):
                _refuse_backward(variable, common, index.name, "")
            for text, is_file in _scene_texts(ds[variable].attrs):
                named = scene_platform(text)
                if named is None:
                    continue
                platform, ident = named
                other = load_sensor(platform)
                band = (_file_band(platform, text) if is_file else None) or variable
                if platform == "aster" and band == "B3B":
                    _refuse_backward(variable, common, index.name,
                                     f" (scene {ident}, {text.rsplit('/', 1)[-1]!r})")
                meant = [c for c, b in other.bands.items() if b.variable == band]
                unread = None if meant else _UNREAD_BANDS.get(platform, {}).get(band)
                if (not meant and unread is None) or common in meant or (
                        common in _NEAR_INFRARED and not _NEAR_INFRARED.isdisjoint(meant)):
                    continue
                which = f"{'/'.join(meant)} on that sensor" if meant else f"its {unread}"
                right = other.bands.get(common)
                where = (f"{text.replace(chr(92), '/').rsplit('/', 1)[-1]!r}"
                         if is_file else f"item {text!r}")
                fixes = [] if is_sensor(plan.sensor, platform) else \
                    [f"set indices.sensor: {platform}"]
                if right is not None:
                    fixes.append(f"map {common} to the variable holding the scene's "
                                 f"{right.variable} with indices.bands.{common}")
                fixes.append("give the band files their own band names in the ingest "
                             "config")
                raise DataError(
                    f"band {variable!r} (read as {common} by index {index.name!r}, sensor "
                    f"{plan.sensor!r}) holds band {band} of {_scene_kind(platform, ident)} "
                    f"{ident} ({where}), which is {which}, not {common}: "
                    f"{', or '.join(fixes)}")


def _scene_kind(platform: str, ident: str) -> str:
    """What a scene of ``platform`` named ``ident`` is, for a message: ``Terra ASTER
    scene``, or for an HLS granule ``HLS L30 granule (bands numbered as Landsat 8/9
    OLI-TIRS)``."""
    if ident.upper().startswith("HLS."):
        return (f"HLS {ident[4:7].upper()} granule (bands numbered as "
                f"{_PLATFORMS[platform]})")
    return f"{_PLATFORMS[platform]} scene"


def _refuse_backward(variable: str, common: str, index: str, where: str) -> None:
    """ASTER band 3B read by an index: refused (see :func:`check_scene_bands`)."""
    raise DataError(
        f"band {variable!r}{where} (read as {common} by index {index!r}) is ASTER band 3B, "
        "the backward-looking stereo view 27.6 degrees off nadir: over relief its cells lie "
        "tens of metres from the same cells of the nadir bands 1, 2 and 3N, so an index "
        "mixing them reads other ground; ingest the granule's band 3N (nadir) as B3N and "
        f"map {common} to it (indices.bands.{common})")


_ASTER_SWIR = frozenset({"S1", "S2", "SW5", "SW6", "SW7", "SW8", "SW9"})
"""The common names an index reads from ASTER's SWIR detector (bands 4-9)."""


def acquisition_dates(attrs: Mapping[str, Any]) -> list[dt.date]:
    """The acquisition dates a cube variable's attributes record: its provenance's
    ``date``/``dates`` (a composite's items; a scene's configured date), each scene's
    ``date``, and the dates its scenes' file names or item ids state (an ASTER granule id,
    a Landsat product id, a Sentinel-2 tile and datatake, an HLS granule's year and day of
    the year)."""
    from prospect.config.sources import aster_date
    from prospect.ingest.landsat import landsat_id
    from prospect.ingest.products import hls_file_date
    from prospect.ingest.sentinel2 import s2_file_date
    from prospect.provenance import read_provenance

    prov = read_provenance(attrs.get("provenance"))
    found: list[dt.date] = []

    def add(value: Any) -> None:
        if isinstance(value, list | tuple):
            for v in value:
                add(v)
            return
        with contextlib.suppress(ValueError):
            found.append(dt.date.fromisoformat(str(value)[:10]))

    def named(text: str) -> None:
        hls = _hls(text)
        granule = hls_file_date(hls[1]) if hls is not None else None
        if granule is not None:  # an HLS id ends at its version: no file name follows
            found.append(granule[1])
            return
        when = aster_date(text)
        ident = landsat_id(text) if when is None else None
        s2 = s2_file_date(text) if when is None and ident is None else None
        day = when or (ident.date if ident else None) or (s2[1] if s2 else None)
        if day is not None:
            found.append(day)

    add(prov.get("date") or [])
    add(prov.get("dates") or [])
    scenes = prov.get("scenes")
    for scene in scenes if isinstance(scenes, list) else []:
        if isinstance(scene, dict):
            add(scene.get("date") or [])
            named(str(scene.get("file", "")))
            named(str(scene.get("item", "")))
    items = prov.get("items")
    for item in items if isinstance(items, list) else []:
        named(str(item))
    return sorted(set(found))


def check_scene_dates(ds: xr.Dataset, plan: IndexPlan) -> None:
    """Refuse an index whose bands are scenes of different days, by the dates their
    variables' attributes record (:func:`acquisition_dates`): NDVI of a March red and an
    August near infrared (two Sentinel-2 band files of one tile, an HLS L30 and an S30
    granule, a scene's ``date:``) was computed as if one scene held both, without a
    word. Only a band of one recorded date (one scene, or tiles of one day) is judged: a
    composite's or a mosaic's dates span a period another band's may share. A custom
    formula (a change between two dates, ``N - N2`` by design) gets a
    :class:`~prospect.errors.DataWarning`.

    Raises
    ------
    DataError
        Naming each band, its variable and date, the index and the fix.
    """
    import warnings

    for index in plan.indices:
        days: dict[dt.date, list[str]] = {}
        for common, variable in index.bands:
            if variable not in ds:
                continue
            dates = acquisition_dates(ds[variable].attrs)
            if len(dates) == 1:
                days.setdefault(dates[0], []).append(f"{common} ({variable!r})")
        if len(days) < 2:
            continue
        held = "; ".join(f"{day.isoformat()}: {', '.join(bands)}"
                         for day, bands in sorted(days.items()))
        text = (f"index {index.name!r} ({index.formula}) reads bands of scenes acquired on "
                f"different days ({held}): the surface, its moisture and the light changed "
                "between them, so the index describes neither day; ingest every band the "
                "index reads from one scene (or composite), or map its bands to that "
                "scene's variables with indices.bands")
        if index.source != "custom":
            raise DataError(text)
        warnings.warn(DataWarning(text), stacklevel=3)


def coordinate_dates(var: xr.DataArray) -> list[dt.date]:
    """The dates of ``var``'s datetime coordinates (``time`` of a stack that stackstac,
    odc-stac or ``open_mfdataset`` built, a scalar ``time`` of one scene): a dataset made
    outside Prospect states its scenes' dates there, not in a provenance attribute."""
    found: set[dt.date] = set()
    for coord in var.coords.values():
        if coord.dtype.kind != "M":
            continue
        values = np.asarray(coord.values).ravel()
        for value in values[~np.isnat(values)]:
            found.add(dt.date.fromisoformat(str(np.datetime_as_string(value, unit="D"))))
    return sorted(found)


def check_aster_swir_dates(ds: xr.Dataset, plan: IndexPlan) -> None:
    """Refuse ASTER SWIR bands (bands 4-9: ``S1``, ``S2``, ``SW5``..``SW9``) acquired on or
    after :data:`~prospect.config.sources.ASTER_SWIR_FAILED` by the dates their variables'
    attributes record (:func:`acquisition_dates`) or their datetime coordinates hold
    (:func:`coordinate_dates`: a ``time`` coordinate was not read, so such a band was
    computed, with a warning that no date was recorded), and warn where they record none:
    the
    detector's values after its failure are present, and garbage, so every SWIR index
    (the clay, alunite and carbonate ratios) is a number without meaning. Ingest refuses
    such bands where the source states the date or the granule id; a cube made otherwise
    (another tool, ``sensor:`` not given) reaches the index stage with no other check.

    Raises
    ------
    DataError
        Naming the variable, its date, the indices that read it and the fix.
    """
    import warnings

    from prospect.config.sources import ASTER_SWIR_FAILED
    from prospect.indices.bands import is_sensor

    if not is_sensor(plan.sensor, "aster"):
        return
    readers: dict[str, list[str]] = {}
    for index in plan.indices:
        for common, variable in index.bands:
            if common in _ASTER_SWIR and variable in ds:
                readers.setdefault(variable, []).append(index.name)
    undated: list[str] = []
    for variable, names in readers.items():
        dates = sorted({*acquisition_dates(ds[variable].attrs), *coordinate_dates(ds[variable])})
        late = [d for d in dates if d >= ASTER_SWIR_FAILED]
        shown = ", ".join(sorted(set(names)))
        if late:
            raise DataError(
                f"band {variable!r} (ASTER SWIR, read by index(es) {shown}) was acquired on "
                f"{late[0].isoformat()}, after ASTER's SWIR detector failed "
                f"({ASTER_SWIR_FAILED.isoformat()}; bands 4-9 saturated and striped, "
                "unusable): its indices would be numbers without meaning; use VNIR/TIR "
                "indices, or ingest SWIR scenes acquired before April 2008")
        if not dates:
            undated.append(f"{variable!r} ({shown})")
    if undated:
        warnings.warn(DataWarning(
            f"ASTER SWIR band(s) {', '.join(undated)}: the cube records no acquisition date "
            f"for them, so whether they were acquired before ASTER's SWIR detector failed "
            f"({ASTER_SWIR_FAILED.isoformat()}; later SWIR values are garbage) cannot be "
            "checked; give the scene's 'date:' (or its granule file names) at ingest"),
            stacklevel=3)


def check_percent_units(ds: xr.Dataset, plan: IndexPlan) -> None:
    """Refuse a reflective input band whose ``units`` say percent (the part of
    :func:`check_input_kinds` that ``allow_out_of_range`` lifts).

    Raises
    ------
    DataError
        Naming the variable, its band, the index and the fix.
    """
    for index in plan.indices:
        for common, variable in index.bands:
            units = str(ds[variable].attrs.get("units", "")).strip()
            if reflective_band(common) and units.lower() in _PERCENT:
                raise DataError(
                    f"band {variable!r} ({common}, read by index {index.name!r}) is in "
                    f"percent ({units!r}); indices read reflectance as a fraction 0..1: "
                    "give the source 'scale: 0.01' in the ingest config (divide the "
                    f"bands by 100), or {LIFT_RANGES}")


def reflective_band(common: str) -> bool:
    """A common band name of a reflective (0.4-2.5 um) band, not thermal or radar."""
    return common in _OPTICAL


EMPTY_SAID = "is no data (NaN) in every cell"
"""The words, after an index's name and formula, of the warning that it holds no data in
any cell (:func:`no_common_cell_message`); the runner says no more of a variable a
stage's note says them of (``pipelines.runner._said_empty``)."""


def no_common_cell_message(index: PlannedIndex) -> str:
    """The warning for an index whose bands hold data together in no cell: a band without
    data (all NaN, or all its nodata), or bands of scenes that do not overlap (red of one,
    near infrared of another). One text for the library (:func:`warn_empty_indices`) and
    the indices stage."""
    shown = " and ".join(f"{variable!r} ({common})" for common, variable in index.bands)
    why = (f"its band {shown} holds data in no cell of the region" if len(index.bands) == 1
           else f"its bands {shown} hold data together in no cell of the region (one of "
           "them holds none, or their scenes do not overlap)")
    return (f"index {index.name!r} ({index.formula}) {EMPTY_SAID}: {why}; check that each "
            "band's source covers the region (its bounds, CRS and nodata value), or map the "
            "index's bands to variables that do (indices.bands)")


def held_cells(bands: Sequence[Any], nodata: float | None) -> list[np.ndarray]:
    """For each band (an array, on the host or a GPU), where it holds data (finite, not
    ``nodata``): one pass a band, shared by every index that reads it."""
    from prospect.indices.blocks import host_array

    out = []
    for band in bands:
        values = host_array(band)
        held = np.isfinite(values) if values.dtype.kind in "fc" else \
            np.ones(values.shape, dtype=bool)
        if nodata is not None:
            held &= values != nodata
        out.append(held)
    return out


FLOAT32_TINY = float(np.finfo(np.float32).tiny)
"""float32's smallest normal magnitude (1.2e-38): the kernels round each index's float64
value to float32, so a value nearer 0 is stored with fewer digits (a subnormal), or as 0
below 1.4e-45."""


def zero_everywhere_message(index: PlannedIndex, cells: int) -> str:
    """The warning for an index that is 0 (or nearer 0 than :data:`FLOAT32_TINY`) in every
    one of the ``cells`` its bands hold data in: ``N ** 2 ** 10`` or ``N * 1e-50`` underflow
    float32 and were stored as a layer of 0, a layer that tells no cell from another,
    without a word. One text for the indices stage and the library."""
    return (f"index {index.name!r} ({index.formula}) is 0, or nearer 0 than float32 holds "
            f"with all its digits ({FLOAT32_TINY:.2g}), in every one of the {cells} cells "
            "where its bands hold data, a layer that tells no cell from another: the index "
            "is stored in float32, which keeps fewer digits of a smaller value and stores "
            "one below 1.4e-45 as 0 (a reflectance below 1 raised to a large power, a tiny "
            "factor), or the formula is 0 wherever its bands hold data; check the formula "
            "(its powers and factors) and the bands' values (their scale)")


FLOAT32_MAX = float(np.finfo(np.float32).max)
"""float32's largest number (3.4e38): an index's float64 value beyond it is stored as NaN."""


def beyond_float32(index: PlannedIndex, bands: Mapping[str, Any],
                   where: np.ndarray) -> tuple[int, float]:
    """(cells of ``where`` at which ``index``, evaluated again in float64 (the reference
    evaluator), lies beyond :data:`FLOAT32_MAX`, the largest such value's magnitude or 0):
    a value beyond float32 is NaN in a float32 layer, as an undefined one (0 / 0, a log of
    a negative) is; float64 tells them apart. ``bands`` maps each of the index's band
    variables to its (host) array, shaped like ``where``; only the cells of ``where``
    (the layer's NaN where its bands hold data) are evaluated, so a layer without NaN
    costs nothing. One rule for the library (:func:`warn_empty_indices`) and the indices
    stage's chunk tasks, whose warnings then say the overflow alike
    (:func:`overflow_message`).

    A value infinite in float64 too (``N * 1e300 * R``, ``exp(N * 1000)``) counts, with
    ``inf`` as the largest, where no division by 0 (or log of 0) is met in the cells of
    ``where`` (the rule of :func:`~prospect.indices.plan.beyond_float32_on_data`): the
    evaluator stored it as NaN, so the library said such an index, NaN in every cell, in
    the generic words of one undefined there."""
    from prospect.indices.blocks import host_array
    from prospect.indices.reference import evaluate

    if not where.any():
        return 0, 0.0
    env = {variable: host_array(bands[variable])[where] for _, variable in index.bands}
    if not env or not all(v.size for v in env.values()):
        return 0, 0.0
    try:  # a value infinite in float64 too (N * 1e300 * 1e300) is beyond float32
        wide = np.asarray(evaluate(index.expr, env, xp=np, dtype="float64",
                                   keep_overflow=True))
    except FloatingPointError:  # a division by 0 here: its infinity is no overflow
        wide = np.asarray(evaluate(index.expr, env, xp=np, dtype="float64"))
    with np.errstate(invalid="ignore"):
        beyond = np.abs(wide) > FLOAT32_MAX
    count = int(beyond.sum())
    return count, float(np.max(np.abs(wide[beyond]))) if count else 0.0


def overflow_message(index: PlannedIndex, beyond: int, cells: int, largest: float) -> str:
    """The warning for an index NaN in ``beyond`` of the ``cells`` its bands hold data in
    because its value there (computed in float64, up to ``largest``) lies beyond float32:
    ``N / R * 1e38`` stored NaN in a quarter of a scene without a word from the library."""
    return (f"index {index.name!r} ({index.formula}) is NaN (no data) in {beyond} of the "
            f"{cells} cells where its bands hold data ({100 * beyond / cells:.3g} %) because "
            f"its value there lies beyond float32's {FLOAT32_MAX:.2g}, the largest number "
            f"its float32 layer holds (computed in float64, "
            + ("infinite: beyond float64's 1.8e+308 too" if math.isinf(largest) else
               f"up to {largest:.3g}")
            + "); check the "
            "formula's factors and the bands' values (their scale), or give the index in a "
            "smaller unit (a factor of 1e-3 in the formula)")


def tiny_cells(index: Any) -> Any:
    """Where the host array ``index`` holds 0 or a value nearer 0 than
    :data:`FLOAT32_TINY` (NaN is neither)."""
    with np.errstate(invalid="ignore"):
        return np.abs(index) < FLOAT32_TINY


SUBNORMAL_SHARE = 0.01
"""The share of the cells where an index's bands hold data above which an index stored as
a float32 subnormal there (:func:`subnormal_cells`) is said (:func:`underflow_message`),
as the indices stage says an index undefined in more than 1 % of them."""


def subnormal_cells(index: Any) -> Any:
    """Where the host array ``index`` holds a value other than 0 nearer 0 than
    :data:`FLOAT32_TINY` (a float32 subnormal, stored with fewer digits): the cells where a
    float32 layer shows it underflowed, which an exact 0 does not."""
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(index)
        return (magnitude > 0) & (magnitude < FLOAT32_TINY)


def underflow_message(index: PlannedIndex, subnormal: int, zero: int, cells: int) -> str:
    """The warning for an index stored as a float32 subnormal in ``subnormal`` of the
    ``cells`` its bands hold data in (and 0 in ``zero`` of them): ``N ** 100`` on
    reflectance 0.1-0.5 is normal in a fifth of a scene, subnormal in a sixth and 0 in the
    rest, and was stored so without a word (only a layer 0 everywhere was said). One text
    for the indices stage and the library."""
    zeros = (f", and is 0 in {zero} more, where its value may lie below 1.4e-45 too"
             if zero else "")
    return (f"index {index.name!r} ({index.formula}) is nearer 0 than float32 holds with "
            f"all its digits ({FLOAT32_TINY:.2g}) in {subnormal} of the {cells} cells where "
            f"its bands hold data ({100 * subnormal / cells:.3g} %), stored there with fewer "
            f"digits{zeros}: the index underflows float32 in part of the layer, so its "
            "smallest values are coarse or 0 and tell those cells apart no longer; check "
            "the formula (its powers and factors) and the bands' values (their scale), or "
            "give the index in a larger unit (a factor such as 1e30 in the formula) or as "
            "a logarithm (100 * log(N) for N ** 100)")


UNDEFINED_SHARE = 0.01
"""Share of an index's cells with data in its bands that may be undefined (NaN) without a
warning: NDVI is 0 / 0 where both bands are 0, a rare cell. Also the share of them in which
a catalogue index may hold a value beside a band below 0 unsaid
(:func:`outside_range_message`)."""


def outside_range_message(index: PlannedIndex, outside: int, cells: int,
                          below: Mapping[str, int], kept_below: Mapping[str, int],
                          kept: int) -> str:
    """The warning for an index whose value fell outside its valid range in ``outside`` of
    the ``cells`` its bands hold data in (stored as NaN), naming its bands' cells below 0
    among them (``below``: band variable -> such cells), and the ``kept`` cells where it
    holds a value though a band it reads is below 0 (``kept_below``: band variable -> its
    cells below 0 among them). One text for the indices stage and the library
    (:func:`warn_outside_ranges`)."""
    low, high = index.valid_range
    span = (f"{low:g}..{high:g}" if low is not None and high is not None
            else f">= {low:g}" if low is not None else f"<= {high:g}")
    bands = dict(index.bands)

    def shown(counts: Mapping[str, int]) -> str:
        return ", ".join(f"{v!r} ({next(c for c, x in bands.items() if x == v)}) in {n}"
                         for v, n in counts.items() if n)

    dropped = shown(below)
    held = shown(kept_below)
    share = f"{100 * kept / max(cells, 1):.3g} %"
    keeps = (f"it holds a value in {kept} "
             + ("other cells" if outside else
                f"of the {cells} cells where its bands hold data ({share})")
             + f" though a band it reads is below 0 there (cells below 0: {held}), a value that "
             "reads a negative reflectance (water, shadow, a product's offset) as a "
             "reflectance and lies in the index's range, so it is kept: read the index "
             "there as not measured, or mask those cells before the index (a water or "
             "shadow mask, the source's nodata)") if kept and held else ""
    if not outside:
        return f"index {index.name!r} ({index.formula}): {keeps}"
    cause = (f"its bands hold values below 0 in them (cells below 0 among them: {dropped}): "
             "negative reflectance (water, shadow, a product's offset) or a wrong "
             "scale/offset at ingest") if dropped else "its inputs are not reflectances there"
    return (f"index {index.name!r} ({index.formula}) fell outside its valid range {span} in "
            f"{outside} of the {cells} cells where its bands hold data "
            f"({100 * outside / max(cells, 1):.3g} %), which are stored as no data (NaN): "
            f"{cause}" + (f"; {keeps}" if keeps else ""))


def warn_outside_ranges(plan: IndexPlan, arrays: Sequence[Any], stacked: Any,
                        nodata: float | None) -> list[Any]:
    """A :class:`~prospect.errors.DataWarning` for each index of in-memory results
    ``stacked`` (``(n_indices, *shape)``, not yet masked, from ``arrays`` in the order of
    ``plan.inputs``) whose value falls outside its valid range in a cell where its bands
    hold data (set to NaN by :func:`~prospect.indices.blocks.mask_outside_ranges`), or
    that holds a value in more than :data:`UNDEFINED_SHARE` of those cells though a band
    it reads is below 0 there, in the indices stage's words
    (:func:`outside_range_message`).

    :func:`~prospect.indices.compute_indices` masked such values without counting them,
    and said nothing of those kept beside a negative band (FERROUS_IRON of a negative
    SWIR2 over water); the stage did. An index without a range (a custom formula) costs
    nothing; one with a range costs a compare of its layer where it stays in, and none of
    its bands is below 0 (a compare a band, shared by the indices that read it, on the
    device that holds it); only an index that falls outside or reads such a band is
    counted cell by cell, on the host.

    Returns
    -------
    list
        For each index of ``plan``, the cells of ``stacked`` outside its valid range (a
        boolean array on the device that holds ``stacked``) where it has any, else
        ``None``: handed to :func:`~prospect.indices.blocks.mask_outside_ranges` as
        ``outside``, so that each layer is compared with its range once (it was compared
        twice, three times where values fell out).
    """
    import warnings

    from prospect.indices.blocks import host_array, outside_range

    below_any: dict[str, bool] = {}

    def reads_below_0(variable: str) -> bool:  # a band's value below 0 where it holds data
        if variable not in below_any:
            band = arrays[plan.inputs.index(variable)]
            with np.errstate(invalid="ignore"):  # NaN is not below 0
                below = band < 0
                if nodata is not None and nodata < 0:
                    below &= band != nodata
                below_any[variable] = bool(below.any())
        return below_any[variable]

    held: dict[str, np.ndarray] = {}
    negative: dict[str, np.ndarray] = {}
    outsides: list[Any] = [None] * len(plan.indices)
    for k, index in enumerate(plan.indices):
        if index.valid_range == (None, None):
            continue
        with np.errstate(invalid="ignore"):
            beyond = outside_range(stacked[k], index.valid_range)
            falls_out = bool(beyond.any())
        if falls_out:
            outsides[k] = beyond
        if not falls_out and not any(reads_below_0(v) for _, v in index.bands):
            continue  # nothing to count: the layer stays in, no band below 0
        for _, variable in index.bands:
            if variable not in held:
                band = arrays[plan.inputs.index(variable)]
                held[variable] = held_cells([band], nodata)[0]
                with np.errstate(invalid="ignore"):
                    negative[variable] = held[variable] & (host_array(band) < 0)
        every = np.logical_and.reduce([held[v] for _, v in index.bands])
        values = host_array(stacked[k])
        outside = every & host_array(beyond) if falls_out else np.zeros_like(every)
        count = int(np.count_nonzero(outside))
        below = {v: int(np.count_nonzero(negative[v] & outside)) if count else 0
                 for _, v in index.bands}
        kept_cells = every & ~outside & np.isfinite(values)
        beside = np.logical_or.reduce([negative[v] for _, v in index.bands]) & kept_cells
        kept = int(np.count_nonzero(beside))
        cells = int(np.count_nonzero(every))
        if count or kept > UNDEFINED_SHARE * cells:
            kept_below = {v: int(np.count_nonzero(negative[v] & kept_cells))
                          for _, v in index.bands if negative[v].any()} if kept else {}
            warnings.warn(DataWarning(outside_range_message(
                index, count, cells, below, kept_below, kept)), stacklevel=3)
    return outsides


def warn_empty_indices(plan: IndexPlan, arrays: Sequence[Any], stacked: Any,
                       nodata: float | None) -> None:
    """A :class:`~prospect.errors.DataWarning` for each index of in-memory results
    ``stacked`` (``(n_indices, *shape)``, from ``arrays`` in the order of ``plan.inputs``)
    that is NaN in every cell: because its bands hold data together in no cell
    (:func:`no_common_cell_message`), or because the formula (or the valid range) leaves
    no cell where they do (``custom={"X": "(N - R) / (0 * N)"}``, which a job's config
    refuses). :func:`~prospect.indices.compute_indices` returned NDVI of an all-NaN red
    band as NaN throughout without a word (the reflectance checks skip a band whose
    sample holds no data). An index with a finite value in its strided sample costs
    nothing more; the bands are read only for an index without one.

    An index NaN where its value lies beyond float32 (:func:`overflow_message`:
    ``N * 1e38 * 10``, NaN in 40 % of the cells, was returned without a word) and one
    that is 0 in every cell where its bands hold data (:func:`zero_everywhere_message`:
    ``N ** 2 ** 10`` underflows float32) are said too.
    """
    import warnings

    from prospect.indices.blocks import host_array

    held: dict[str, np.ndarray] = {}

    def common_cells(index: PlannedIndex) -> np.ndarray:
        for _, variable in index.bands:
            if variable not in held:
                band = arrays[plan.inputs.index(variable)]
                held[variable] = held_cells([band], nodata)[0]
        return np.logical_and.reduce([held[v] for _, v in index.bands])

    bands = dict(zip(plan.inputs, arrays, strict=True))
    for k, index in enumerate(plan.indices):
        layer = stacked[k]
        sample = host_array(_sample(layer))
        if np.isfinite(sample).any() or np.isfinite(host_array(layer)).any():
            _warn_partly_undefined(index, host_array(layer), sample, common_cells, bands)
            continue
        where = common_cells(index)
        common = int(where.sum())
        if not common:
            warnings.warn(DataWarning(no_common_cell_message(index)), stacklevel=3)
            continue
        # N * 1e38 * 1e38: beyond float32 in every cell, said as the overflow it is
        beyond, largest = beyond_float32(index, bands, where)
        if beyond:
            warnings.warn(DataWarning(overflow_message(index, beyond, common, largest)),
                          stacklevel=3)
            if beyond == common:
                continue
        low, high = index.valid_range
        bounds = "" if low is None and high is None else (
            f" or outside its valid range {'' if low is None else f'{low:g}'}.."
            f"{'' if high is None else f'{high:g}'}")
        warnings.warn(DataWarning(
            f"index {index.name!r} ({index.formula}) is NaN (no data) in every one of the "
            f"{common} cells where its bands hold data: undefined there (a division by 0, a "
            f"log or square root of a negative"
            + (f"; beyond float32 in {beyond} of them" if beyond else
               ", a value beyond float32")
            + f"){bounds}; check the formula and the bands' values (their scale)"),
            stacklevel=3)


def _warn_partly_undefined(index: PlannedIndex, layer: np.ndarray, sample: np.ndarray,
                           common_cells: Any, bands: Mapping[str, Any]) -> None:
    """The words of :func:`warn_empty_indices` for an index with a finite value: NaN in
    cells where its value lies beyond float32 (:func:`overflow_message`), or 0 in every
    cell of its bands' data (:func:`zero_everywhere_message`). The bands (``bands``:
    variable -> array) are read only where the layer holds NaN, or where its sample holds
    no value as far from 0 as float32 holds; the formula is evaluated again, in float64
    (the reference evaluator), at its NaN cells alone, to tell a value beyond float32
    from one undefined (0 / 0, a log of a negative: NaN in float64 too). A layer whose
    strided sample holds no NaN is not read further (NaN in fewer cells than the sample's
    stride finds goes unsaid, as the indices stage's 1 % line leaves them)."""
    import warnings

    flat = not (np.abs(sample[np.isfinite(sample)]) >= FLOAT32_TINY).any()
    part = not flat and bool(subnormal_cells(sample).any())  # N ** 100: some subnormal
    if not flat and not part and not np.isnan(sample).any():
        return  # the common case costs the sample alone: no NaN in it, values in range
    nan = np.isnan(layer)
    common = common_cells(index)
    cells = int(common.sum())
    if not cells:
        return
    beyond, largest = beyond_float32(index, bands, common & nan)
    if beyond:
        warnings.warn(DataWarning(overflow_message(index, beyond, cells, largest)),
                      stacklevel=4)
    if flat and int(np.count_nonzero(common & tiny_cells(layer))) == cells:
        warnings.warn(DataWarning(zero_everywhere_message(index, cells)), stacklevel=4)
    if part:
        subnormal = int(np.count_nonzero(common & subnormal_cells(layer)))
        if subnormal > SUBNORMAL_SHARE * cells:
            zero = int(np.count_nonzero(common & (layer == 0)))
            warnings.warn(DataWarning(underflow_message(index, subnormal, zero, cells)),
                          stacklevel=4)


def sample_step(shape: tuple[int, ...]) -> int:
    """The stride of the sample of an array of ``shape``: at most ~:data:`_SAMPLE` cells."""
    size = int(np.prod(shape)) if shape else 1
    return max(1, math.ceil(math.sqrt(size / _SAMPLE)))


def sample_block(block: Any, start: tuple[int, int], step: int) -> Any:
    """The cells of ``data[..., ::step, ::step]`` that fall in ``block``, the block of
    ``data`` whose first row and column are ``start``, in the same order."""
    r0, c0 = start
    return block[..., -r0 % step::step, -c0 % step::step]


def _sample(data: Any) -> Any:
    """A strided sample of at most ~:data:`_SAMPLE` cells (still lazy for dask input).

    For a dask array of two or more dimensions the stride is taken block by block
    (:func:`_strided_blocks`): the same cells in the same order as ``data[..., ::s, ::s]``,
    in one task per block that also reads it (a slice of a dask array is a task of its own
    after each read).
    """
    step = sample_step(data.shape)
    if data.ndim >= 2 and hasattr(data, "map_blocks") and step > 1:
        return _strided_blocks(data, step)
    return data[..., ::step, ::step] if data.ndim >= 2 else data[::step]


def _strided_blocks(data: Any, step: int) -> Any:
    """``data[..., ::step, ::step]`` of a dask array as one blockwise task per block."""

    def counts(chunks: tuple[int, ...]) -> tuple[int, ...]:
        starts = np.cumsum((0, *chunks[:-1]))
        return tuple(len(range(-int(s) % step, n, step)) for s, n in zip(starts, chunks,
                                                                            strict=True))

    def take(block: np.ndarray, block_info: dict[Any, Any] | None = None) -> np.ndarray:
        assert block_info is not None
        (r0, _), (c0, _) = block_info[0]["array-location"][-2:]
        return sample_block(block, (r0, c0), step)

    return data.map_blocks(take, chunks=(*data.chunks[:-2], counts(data.chunks[-2]),
                                         counts(data.chunks[-1])), dtype=data.dtype)


def _data_cells(sample: Any, nodata: float | None) -> np.ndarray:
    """The finite cells of a computed sample, in float64, its ``nodata`` cells left out:
    ``nodata`` is compared in the sample's dtype, as the kernels compare it (float32's
    -0.2 is not float64's -0.2: a Landsat Collection 2 fill given as ``nodata: -0.2`` was
    judged as data)."""
    raw = np.asarray(sample).ravel()
    arr = raw.astype(np.float64)
    if nodata is not None and not math.isnan(nodata):
        if raw.dtype.kind == "f":
            with np.errstate(over="ignore"):
                arr = arr[raw != raw.dtype.type(nodata)]
        elif raw.dtype.kind in "iu":
            info = np.iinfo(raw.dtype)
            if math.isfinite(nodata) and nodata == int(nodata) \
                    and info.min <= nodata <= info.max:
                arr = arr[raw != int(nodata)]
        else:
            arr = arr[arr != nodata]
    return arr[np.isfinite(arr)]


def _median(sample: Any, nodata: float | None) -> float:
    """Median of the finite cells of a computed sample (``nodata`` cells left out)."""
    finite = _data_cells(sample, nodata)
    return float(np.median(finite)) if finite.size else math.nan


def reflective_inputs(plan: IndexPlan) -> dict[str, tuple[str, list[str]]]:
    """The input variables :func:`check_reflectance_ranges` checks: variable -> (its common
    band name, the indices that read it): reflective bands, and radar bands a catalogue
    index reads (a custom formula may take decibels)."""
    users: dict[str, tuple[str, list[str]]] = {}
    for index in plan.indices:
        for common, variable in index.bands:
            if reflective_band(common) or (radar_band(common) and index.source != "custom"):
                users.setdefault(variable, (common, []))[1].append(index.name)
    return users


def reflectance_samples(ds: xr.Dataset, plan: IndexPlan) -> list[Any]:
    """The strided sample of each input :func:`check_reflectance_ranges` checks, in the
    order of :func:`reflective_inputs` (lazy for dask input: ``prospect plan`` counts
    their tasks)."""
    return [_sample(ds[variable].data) for variable in reflective_inputs(plan)]


def check_reflectance_ranges(ds: xr.Dataset, plan: IndexPlan, *, nodata: float | None = None,
                             allow_out_of_range: bool = False) -> dict[str, float]:
    """Refuse reflective input bands whose median is outside :data:`REFLECTANCE_LIMITS`.

    When ``allow_out_of_range``, the ranges are not checked, but the bands of an index
    are still checked to share one scale (:func:`check_band_scales`: digital numbers
    beside reflectance made NDVI -1), from the same strided sample, read in one
    computation where they are dask-backed (lazy bands had been read not at all, and so
    checked for nothing).

    Returns
    -------
    dict
        Cube variable -> median, for every reflective input checked.

    Raises
    ------
    DataError
        Naming the band, its median and the fix (unless ``allow_out_of_range``).
    """
    if allow_out_of_range:
        check_band_scales(ds, plan, nodata=nodata)
        return {}
    users = reflective_inputs(plan)
    # every band's sample in one computation: one round trip to the cluster, the chunks
    # read side by side (one compute per band took 5 round trips for 5 bands)
    samples = reflectance_samples(ds, plan)
    if any(hasattr(s, "dask") for s in samples):
        import dask

        samples = list(dask.compute(*samples))
    from prospect.indices.blocks import host_array  # GPU samples: judged on the host

    hosted = [host_array(s) for s in samples]
    _refuse_packed(ds, users, hosted, nodata)
    _warn_declared_fills(ds, users, hosted, nodata)
    return judge_samples(users, hosted, nodata=nodata)


def check_band_scales(ds: xr.Dataset, plan: IndexPlan, *, nodata: float | None = None) -> None:
    """:func:`check_scales_agree` of the reflective input bands' strided samples
    (:func:`reflectance_samples`), read in one computation where they are dask-backed:
    where the ranges are lifted (``allow_out_of_range``) and no other sample is taken (the
    library's bands, in memory or dask-backed; the indices stage's stacked dates or chunks
    off the grid, whose red in digital numbers beside near infrared in reflectance stored
    NDVI -1.00).

    Raises
    ------
    DataError
        Naming the index, the two bands and their medians, and the fix.
    """
    samples = reflectance_samples(ds, plan)
    if any(hasattr(s, "dask") for s in samples):
        import dask

        samples = list(dask.compute(*samples))
    from prospect.indices.blocks import host_array  # GPU samples: judged on the host

    check_sample_scales(plan, reflective_inputs(plan), [host_array(s) for s in samples],
                        nodata=nodata)


SCALES_APART = 1000.0
"""Two reflective bands of one index whose medians lie this many times apart are on two
scales (digital numbers x 10 000 beside reflectance 0..1); the medians of bands of one
scene lie within about 100 times of each other (snow's SWIR beside its blue)."""


def check_sample_scales(plan: IndexPlan, users: Mapping[str, Any], samples: Sequence[Any], *,
                        nodata: float | None = None) -> None:
    """:func:`check_scales_agree` of the medians of computed samples (``samples``, in the
    order of ``users``, as :func:`judge_samples` takes them): where the ranges are lifted
    (``allow_out_of_range``), in the library and the indices stage alike."""
    check_scales_agree(plan, {variable: _median(sample, nodata)
                              for variable, sample in zip(users, samples, strict=True)})


def check_scales_agree(plan: IndexPlan, medians: Mapping[str, float]) -> None:
    """Refuse an index whose reflective bands' medians (``medians``: variable -> median)
    lie :data:`SCALES_APART` times apart or more: ``allow_out_of_range=True`` (set for
    bands of digital numbers, whose ratios need no scale) with red in digital numbers
    and near infrared in reflectance computed NDVI of -1.00 in every cell without a
    word.

    Raises
    ------
    DataError
        Naming the index, the two bands and their medians, and the fix.
    """
    for index in plan.indices:
        held = [(common, variable, medians[variable]) for common, variable in index.bands
                if reflective_band(common) and variable in medians
                and math.isfinite(medians[variable]) and medians[variable] > 0]
        if len(held) < 2:
            continue
        low = min(held, key=lambda band: band[2])
        high = max(held, key=lambda band: band[2])
        if high[2] < SCALES_APART * low[2]:
            continue
        raise DataError(
            f"index {index.name!r} ({index.formula}) reads band {high[1]!r} ({high[0]}) at a "
            f"median of {high[2]:.6g} and band {low[1]!r} ({low[0]}) at a median of "
            f"{low[2]:.6g}, {high[2] / low[2]:.3g} times apart: bands on two scales "
            "(digital numbers beside reflectance, a scale applied to one band and not the "
            "other), which make the index a figure of the scales, not of the surface "
            "(allow_out_of_range lifts the range check, not this one); give every band of "
            "the index one scale: the band's 'scale:' or product metadata ('metadata:') in "
            "the ingest config, or divide it by its scale (e.g. 10000) before "
            "compute_indices")


FILL_ATTRS = ("_FillValue", "missing_value", "nodata")
"""Attributes in which a band states its own no-data value (CF's, and GDAL's as
``rioxarray.open_rasterio`` and other readers leave them on an undecoded band)."""


def _warn_declared_fills(ds: xr.Dataset, users: dict[str, tuple[str, list[str]]],
                         samples: list[Any], nodata: float | None) -> None:
    """A :class:`~prospect.errors.DataWarning` for each reflective band whose own
    attributes state a fill (:data:`FILL_ATTRS`) other than ``nodata`` that its sampled
    cells hold (round 52). Bands of two fills (Sentinel-2's 0 beside a product's -9999)
    with ``nodata=-9999`` had the other band's fill cells computed as values (NDVI of
    -1 where the near infrared's fill 0 met red), without a word, its attribute saying
    that they are no data; ``nodata`` is one value for every band."""
    import warnings

    for (variable, (common, names)), sample in zip(users.items(), samples, strict=True):
        attrs = ds[variable].attrs
        stated = next(((k, attrs[k]) for k in FILL_ATTRS if attrs.get(k) is not None), None)
        if stated is None:
            continue
        try:
            fill = float(stated[1])
        except (TypeError, ValueError):
            continue
        if math.isnan(fill) or (nodata is not None and fill == nodata):
            continue
        arr = _data_cells(sample, nodata)
        held = int(np.count_nonzero(arr == fill))
        if not held:
            continue
        given = (f"nodata is {nodata:g}, one value for every band" if nodata is not None
                 else "no nodata is given")
        warnings.warn(DataWarning(
            f"band {variable!r} ({common}, read by {', '.join(names)}) states "
            f"{stated[0]} {fill:g} in its attributes, which {100 * held / max(arr.size, 1):.3g}"
            f" % of its sampled cells hold, and {given}, so those cells get index values: "
            "mask each band's own fill before the indices (xarray.decode_cf(ds), "
            "rioxarray.open_rasterio(path, masked=True), or "
            f"ds[{variable!r}].where(ds[{variable!r}] != {fill:g}))"), stacklevel=4)


def _refuse_packed(ds: xr.Dataset, users: dict[str, tuple[str, list[str]]],
                   samples: list[Any], nodata: float | None) -> None:
    """Refuse a reflective band whose values are packed integers its own attributes say
    how to scale (CF's ``scale_factor``/``add_offset``, as ``rioxarray.open_rasterio``
    and ``xarray.open_dataset(mask_and_scale=False)`` leave them) and whose median,
    scaled so, is reflectance: it was told "raw digital numbers or a missing scale" and
    to give ``scale:`` in the ingest config, a job's key, when the band states its scale
    (round 51).

    Raises
    ------
    DataError
        Naming the band, its attributes, the median they make and how to decode it.
    """
    lo, hi = REFLECTANCE_LIMITS
    for (variable, (common, names)), sample in zip(users.items(), samples, strict=True):
        attrs = ds[variable].attrs
        scale, offset = attrs.get("scale_factor"), attrs.get("add_offset")
        if radar_band(common) or (scale is None and offset is None):
            continue
        try:
            factor, shift = float(1.0 if scale is None else scale), float(offset or 0.0)
        except (TypeError, ValueError):
            continue
        fill = attrs.get("_FillValue", attrs.get("missing_value"))
        try:
            skip = nodata if nodata is not None else (None if fill is None else float(fill))
        except (TypeError, ValueError):
            skip = nodata
        m = _median(sample, skip)
        scaled = m * factor + shift
        if math.isnan(m) or lo <= m <= hi or not lo <= scaled <= hi:
            continue
        stated = " and ".join(f"{k} {attrs[k]}" for k in ("scale_factor", "add_offset")
                              if k in attrs)
        masked = (f" (which also takes its _FillValue {fill} for no data)"
                  if fill is not None and nodata is None else "")
        raise DataError(
            f"band {variable!r} ({common}, needed by {', '.join(names)}) holds packed "
            f"values (median {m:.6g}) whose attributes state {stated}, not applied: so "
            f"scaled its median is {scaled:.4g}, reflectance; decode the bands before the "
            f"indices{masked}: xarray.decode_cf(ds), or open them with mask_and_scale=True "
            "(rioxarray.open_rasterio(path, mask_and_scale=True))")


def _in_percent(sample: Any, nodata: float | None, median: float) -> str:
    """`` (... reflectance in percent ...)`` where a band's sampled cells above
    :data:`REFLECTANCE_LIMITS` lie within 0..:data:`PERCENT_TOP`, else ``""``."""
    cells = _data_cells(sample, nodata)
    if not cells.size or median <= REFLECTANCE_LIMITS[1]:
        return ""
    low, top = float(cells.min()), float(cells.max())
    if low < REFLECTANCE_LIMITS[0] or top > PERCENT_TOP:
        return ""
    return (f", or reflectance in percent: every sampled cell lies within {low:.4g}.."
            f"{top:.4g}, as a fraction times 100 does (a scale of 0.01: 'scale: 0.01' for "
            "the source, or the bands divided by 100)")


def judge_samples(users: dict[str, tuple[str, list[str]]], samples: list[Any], *,
                  nodata: float | None = None) -> dict[str, float]:
    """The medians of each variable's sample (``users`` as :func:`reflective_inputs` gives
    them, ``samples`` in the same order: the cells :func:`sample_step` picks, in any order),
    refusing the first outside :data:`REFLECTANCE_LIMITS` with a :class:`DataError`."""
    medians: dict[str, float] = {}
    for (variable, (common, names)), sample in zip(users.items(), samples, strict=True):
        m = _median(sample, nodata)
        medians[variable] = m
        if radar_band(common):
            _judge_radar(variable, common, names, m)
            continue
        lo, hi = REFLECTANCE_LIMITS
        _judge_fills(variable, common, names, sample, nodata, m)
        if math.isnan(m) or lo <= m <= hi:
            _warn_flat(variable, common, names, sample, nodata)
            _warn_implausible_median(variable, common, names, m)
            continue
        raise DataError(
            f"band {variable!r} ({common}) has a median of {m:.6g}, outside {lo}..{hi} for "
            f"reflectance (needed by {', '.join(names)}): these look like raw digital numbers "
            f"or a missing scale{_in_percent(sample, nodata, m)}; give the source its product "
            "metadata ('metadata:') or 'scale:'/'offset:' in the ingest config, or "
            f"{LIFT_RANGES}"
        )
    return medians


FILL_SHARE = 0.2
"""A share of a reflective band's sampled cells holding its lowest (or highest) value, from
which that value is taken as a fill that the cube does not mark as no data (0 outside a
scene's footprint)."""

STRAY_FILL_SHARE = 0.05
"""The share of a band's sampled cells from which a fill no reflectance takes (below -0.5
or above :data:`FILL_CODE_ABOVE`: -9999, -32768, 65535) is refused; a fill of fewer cells
is warned of."""

FILL_CODE_ABOVE = 100.0
"""A band's highest value above this is no reflectance, even scaled twice or saturated
(Sentinel-2's saturated 65535 scaled is 6.55): a fill code."""


def _fills(arr: np.ndarray) -> list[tuple[float, float]]:
    """The fill values of the finite sample ``arr``: (value, share of cells) of its lowest
    and highest value when one value holds :data:`FILL_SHARE` of the cells, or
    any share for a value no reflectance takes that more than one cell holds (or one in a
    thousand)."""
    if arr.size < 100:  # too few cells to judge a scene
        return []
    lo = REFLECTANCE_LIMITS[0]
    found: list[tuple[float, float]] = []
    for value in dict.fromkeys((float(arr.min()), float(arr.max()))):
        count = int(np.count_nonzero(arr == value))
        share = count / arr.size
        stray = value < lo or value > FILL_CODE_ABOVE
        if (count > 1 or share >= 1e-3) if stray else share >= FILL_SHARE:
            found.append((value, share))
    return found


def _apart(fills: list[tuple[float, float]], rest: np.ndarray) -> list[tuple[float, float]]:
    """The ``fills`` that stand apart from the band's other cells ``rest``: farther below
    their lowest or above their highest value than their interquartile range, as -9999 or
    65535 beside digital numbers. The lowest or highest digital number of a band of them
    (a sample's 12185 of 5000..12000, one cell in a hundred; a bright cloud's 23456 in two
    cells) is beyond any reflectance too, and was named as "a fill not marked as no data"
    with ``indices.nodata: 12185`` for the fix, which would take a value for no data
    (round 51)."""
    if not rest.size:
        return fills
    low, q1, q3, high = (float(q) for q in np.percentile(rest, [0, 25, 75, 100]))
    spread = q3 - q1
    return [(v, s) for v, s in fills if v < low - spread or v > high + spread]


def _judge_fills(variable: str, common: str, names: list[str], sample: Any,
                 nodata: float | None, median: float) -> None:
    """Refuse a reflective band holding an unmarked fill that hid what it is or that the
    indices would read as reflectance.

    A band of digital numbers with 0 outside its scene's footprint over half the region
    had a median of 0 and passed for reflectance: SAVI and EVI were computed on DN, and
    their fill cells were 0 (a value), without a word. A band of reflectance with a
    -9999 fill was refused as "raw digital numbers" (when the fill was most of it), or its
    fill cells got index values (NDVI of -9999 and -9999 is 0). The fill is left out and
    the rest judged; the message names the fill and ``indices.nodata``.

    Raises
    ------
    DataError
        Naming the band, the fill value and its share, the other cells' median and the fix.
    """
    arr = _data_cells(sample, nodata)
    fills = _fills(arr)
    if not fills:
        return
    lo, hi = REFLECTANCE_LIMITS
    rest = arr[~np.isin(arr, [v for v, _ in fills])]
    if not rest.size:
        return
    held = " and ".join(f"{value:g} ({100 * share:.3g} % of its sampled cells)"
                        for value, share in fills)
    given = f" (indices.nodata is {nodata:g})" if nodata is not None else ""
    fix = (f"set indices.nodata: {fills[0][0]:g} (the band's fill, its GDAL nodata) or "
           "ingest the band with its nodata")
    others = float(np.median(rest))
    if not lo <= others <= hi:
        fills = _apart(fills, rest)
        if not fills:  # a band of digital numbers: its own extremes are no fill
            return
        rest = arr[~np.isin(arr, [v for v, _ in fills])]
        held = " and ".join(f"{value:g} ({100 * share:.3g} % of its sampled cells)"
                            for value, share in fills)
        fix = (f"set indices.nodata: {fills[0][0]:g} (the band's fill, its GDAL nodata) "
               "or ingest the band with its nodata")
        others = float(np.median(rest))
    if not lo <= others <= hi:
        raise DataError(
            f"band {variable!r} ({common}, needed by {', '.join(names)}) holds {held}, a "
            f"fill not marked as no data{given}, and its other cells have a median of "
            f"{others:.6g}, outside {lo}..{hi} for reflectance: raw digital numbers or a "
            f"missing scale under a fill that made the median {median:.6g}; {fix}, and give "
            "the source its product metadata ('metadata:') or 'scale:'/'offset:' in the "
            f"ingest config (or {LIFT_RANGES})")
    # a value no reflectance takes, or one value below atmospheric correction's noise
    # over a fifth of the scene (a fill of 0 scaled with the band: Landsat Collection 2's
    # 0 x 2.75e-5 - 0.2, Sentinel-2's (0 - 1000) / 10000)
    stray = [(v, s) for v, s in fills if not lo <= v <= hi or v < PLAUSIBLE_MEDIAN[0]]
    if not stray:
        return
    shown = " and ".join(f"{v:g} ({100 * s:.3g} % of its sampled cells)" for v, s in stray)
    scaled = (" (a fill of 0 scaled with the band, as Landsat Collection 2's 0 x 2.75e-5 "
              "- 0.2 or Sentinel-2's (0 - 1000) / 10000)" if lo <= stray[0][0] < 0 else "")
    if max(s for _, s in stray) < STRAY_FILL_SHARE:
        import warnings

        warnings.warn(DataWarning(
            f"band {variable!r} ({common}, read by {', '.join(names)}) holds {shown}, no "
            f"reflectance: a fill not marked as no data{given}, whose cells get index "
            f"values; set indices.nodata: {stray[0][0]:g} (the band's fill, its GDAL "
            "nodata) or ingest the band with its nodata"), stacklevel=4)
        return
    raise DataError(
        f"band {variable!r} ({common}, needed by {', '.join(names)}) holds {shown}, no "
        f"reflectance of so many cells: a fill not marked as no data{scaled}{given}, whose "
        f"cells the indices would read as values (its other cells have a median of "
        f"{others:.6g}, reflectance); set indices.nodata: {stray[0][0]:g} (the band's "
        "fill, its GDAL nodata) or ingest the band with its nodata")


KERNEL_SCALE_RATIO = 100.0
"""How far (a factor either way) an RBF kernel's ``sigma`` may lie from the median of the
bands it reads before the kernel is a constant over the scene."""


def check_kernel_scale(plan: IndexPlan, medians: Mapping[str, float]) -> None:
    """Refuse a numeric ``sigma`` of a kernel index (kNDVI, kEVI...) that lies
    :data:`KERNEL_SCALE_RATIO` times or more above or below the median of the bands the
    index reads (``medians``: variable -> median, as :func:`check_reflectance_ranges` gives
    them).

    ``sigma`` is a length in the bands' units: a sigma of 5000 (a digital number's scale)
    over reflectance made the kernel ``exp(-(N - R) ** 2 / (2 sigma ** 2))`` 1 in every cell
    and kNDVI 0 everywhere; a sigma of 0.0005 made it 0 and kNDVI 1 everywhere, numbers of
    the right look and no meaning, without a word.

    Raises
    ------
    DataError
        Naming the index, sigma, the bands' medians and the fix.
    """
    for index in plan.indices:
        sigma = dict(index.constants).get("sigma")
        if not isinstance(sigma, float) or sigma <= 0:
            continue
        held = {v: medians[v] for _, v in index.bands
                if v in medians and math.isfinite(medians[v]) and medians[v] != 0}
        if not held:
            continue
        scale = max(abs(m) for m in held.values())
        ratio = sigma / scale
        if 1 / KERNEL_SCALE_RATIO < ratio < KERNEL_SCALE_RATIO:
            continue
        bands = dict(index.bands)
        shown = ", ".join(
            f"{v!r} ({next(c for c, x in bands.items() if x == v)}) {m:.3g}"
            for v, m in held.items())
        side = (f"{ratio:.3g} times the bands' scale: the kernel is 1 in every cell and "
                f"{index.name} near 0 everywhere" if ratio >= KERNEL_SCALE_RATIO else
                f"1/{1 / ratio:.3g} of the bands' scale: the kernel is 0 in almost every "
                f"cell and {index.name} near its limit everywhere")
        raise DataError(
            f"index {index.name!r} ({index.formula}): sigma = {sigma:g} is {side} (medians "
            f"of its bands: {shown}); sigma is a length in the bands' units (reflectance "
            f"0..1): set indices.constants.sigma (or indices.constants.{index.name}.sigma) "
            "near the bands' values, e.g. 0.5 (the catalogue's), or to 'data' for "
            "0.5 * (a + b) per pixel")


def _judge_radar(variable: str, common: str, names: list[str], median: float) -> None:
    """Refuse a radar band whose median is outside :data:`RADAR_LIMITS`: backscatter in
    decibels (-25..-5 over land) gave DpRVIVV = 4 VH / (VV + VH) of 2.5 and NDPolI in
    -1..1, numbers of the right look and no meaning."""
    lo, hi = RADAR_LIMITS
    if math.isnan(median) or lo <= median <= hi:
        return
    looks = ("decibels (linear backscatter is never below 0)" if median < lo
             else "amplitude or digital numbers")
    raise DataError(
        f"band {variable!r} ({common}) has a median of {median:.6g}, outside {lo}..{hi} for "
        f"linear radar backscatter (needed by {', '.join(names)}): these look like {looks}; "
        "ingest the band as linear power (sigma0 or gamma0; from dB: 10 ** (dB / 10)), "
        f"write the formula under indices.custom, or {LIFT_RANGES}")


PLAUSIBLE_MEDIAN = (-0.05, 1.0)
"""A reflective band whose median lies outside this, but inside :data:`REFLECTANCE_LIMITS`,
is warned of: reflectance is 0..1, and no scene is mostly above 1 (brighter than a white
reflector) or mostly below 0 (a little below 0 over water is atmospheric correction's
noise)."""


def _warn_implausible_median(variable: str, common: str, names: list[str],
                             median: float) -> None:
    """A :class:`~prospect.errors.DataWarning` when a reflective band's median is outside
    :data:`PLAUSIBLE_MEDIAN`: a band of median 1.2 or -0.1 passed the refusal's wide limits
    (meant for digital numbers) and its indices were computed without a word (NDWI of a
    green band of median 1.4 and NIR 0.4 is 0.56, "water" everywhere)."""
    import warnings

    lo, hi = PLAUSIBLE_MEDIAN
    if math.isnan(median) or lo <= median <= hi:
        return
    side = ("above 1: brighter than a white reflector over most of the scene"
            if median > hi else "below 0: reflectance is never negative over most of a scene")
    warnings.warn(DataWarning(
        f"band {variable!r} ({common}, read by {', '.join(names)}) has a median reflectance "
        f"of {median:.6g}, {side}; a wrong scale or offset in the ingest settings (an offset "
        "left out or applied twice, a scale of another product) would give this, and the "
        "indices read from it are not the band's; check the band's ingest settings"),
        stacklevel=3)


def _warn_flat(variable: str, common: str, names: list[str], sample: Any,
               nodata: float | None) -> None:
    """A :class:`~prospect.errors.DataWarning` when the 1st..99th percentiles of a
    reflective band's sample lie within :data:`FLAT_SPREAD` (a scale applied twice, or a
    fill value): the sample is already in memory, so this costs no read."""
    import warnings

    arr = _data_cells(sample, nodata)
    if arr.size < 100:  # too few cells to judge a scene
        return
    p01, p99 = (float(v) for v in np.percentile(arr, [1, 99]))
    if p99 - p01 < FLAT_SPREAD:
        warnings.warn(DataWarning(
            f"band {variable!r} ({common}, read by {', '.join(names)}) varies by less than "
            f"{FLAT_SPREAD:g} across the scene (1st..99th percentile {p01:.6g}..{p99:.6g}): "
            "no ground is that uniform in reflectance; a scale or offset applied twice "
            "(the product's metadata and 'scale:' both?) or a constant fill would give "
            "this; check the band's ingest settings"), stacklevel=3)


def cf_range_attrs(valid_range: tuple[float | None, float | None]) -> dict[str, Any]:
    """CF attributes for a range: ``valid_range`` as a numeric pair when both ends are
    known, else ``valid_min`` or ``valid_max`` (numbers, never JSON text)."""
    low, high = valid_range
    if low is not None and high is not None:
        return {"valid_range": [float(low), float(high)]}
    out: dict[str, Any] = {}
    if low is not None:
        out["valid_min"] = float(low)
    if high is not None:
        out["valid_max"] = float(high)
    return out
