"""STAC catalogs, collections, items and item collections (local or remote) to scenes.

Each asset's radiometry comes from its ``raster:bands`` (scale, offset, nodata) as a
:class:`~prospect.ingest.landsat.BandCalibration`, the same record a product metadata file
gives, so mosaics and composites of STAC items read DNs exactly as the product's own
metadata would have them read. STAC states no valid DN range or saturated DN, so for the
products that define them (:func:`asset_calibration`) they come from the product's
specification: Landsat Collection 2 Level-2 reflectance and temperature are clipped to
``QUANTIZE_CAL_MIN..MAX`` (1..65535, either end no data, as the MTL states it), a Level-1
band's maximum DN is a saturated detector (65535 for OLI, 255 for 8-bit sensors), and
Sentinel-2 (L1C and L2A) writes 65535 for a saturated pixel (the product XML's
``Special_Values``, ``SATURATED``). From Sentinel-2 processing baseline 04.00 on every DN
carries an offset of +1000; an item whose ``raster:bands`` do not state an ``offset``
(Planetary Computer's) gets it from ``s2:processing_baseline``, as the product XML would
give it, so its reflectance is not 0.1 too high.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pystac

from prospect.errors import DataError, InputFileError
from prospect.ingest.landsat import BandCalibration

__all__ = ["AssetGrid", "StacScene", "asset_calibration", "read_stac_scenes"]

LANDSAT_L2_CLIP = (1.0, 65535.0)
"""Collection 2 Level-2 ``QUANTIZE_CAL_MIN/MAX`` of every reflectance and temperature band
(Landsat 4-9): the product clips to this range, so a DN at either end is not a measurement."""
SENTINEL2_SATURATED = 65535.0
"""Sentinel-2 L1C/L2A ``Special_Values`` ``SATURATED`` DN."""
S2_ADD_OFFSET_DN = -1000.0
"""Sentinel-2 ``BOA_ADD_OFFSET`` / ``RADIO_ADD_OFFSET`` of every band from processing
baseline 04.00 on, in DN."""


@dataclass(frozen=True)
class AssetGrid:
    """An asset's pixel grid as its STAC item states it (projection extension)."""

    crs: str | None
    """``proj:code`` / ``proj:epsg`` of the asset, else of the item (``None``: unstated)."""
    transform: tuple[float, float, float, float, float, float]
    shape: tuple[int, int]
    """Rows and columns (``proj:shape``)."""
    dtype: str | None
    """``raster:bands`` ``data_type``."""


@dataclass(frozen=True)
class StacScene:
    """One STAC item reduced to what ingest needs."""

    item_id: str
    bands: dict[str, str]
    date: dt.date | None
    cloud_cover: float | None
    crs: str | None
    calibration: dict[str, BandCalibration] = field(default_factory=dict)
    """Variable -> the asset's calibration (:func:`asset_calibration`): ``raster:bands``
    scale, offset and nodata (``fill``), and the product's clipped and saturated DNs."""
    mask: str | None = None
    """The quality layer's file (the ``mask_asset``), as a GDAL name."""
    grids: dict[str, AssetGrid] = field(default_factory=dict)
    """Variable -> the asset's grid, where the item states it in full (``proj:shape`` and
    ``proj:transform``): reading the asset then needs no look at its header first."""
    mask_grid: AssetGrid | None = None
    """The quality layer's grid, likewise."""


def _gdal_href(href: str) -> str:
    if href.startswith(("http://", "https://")):
        return f"/vsicurl/{href}"
    if href.startswith("s3://"):
        return f"/vsis3/{href[5:]}"
    if href.startswith("file://"):
        return href[7:]
    return href


def _items(href: str) -> list[pystac.Item]:
    try:
        if href.startswith(("http://", "https://")):
            data: Any = json.loads(pystac.StacIO.default().read_text(href))
        else:
            data = json.loads(Path(href).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{href}: STAC file not found; check 'stac:' in the config"
                             ) from None
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{href}: cannot read as STAC JSON: {exc}") from None
    except Exception as exc:  # urllib3/requests errors of a remote catalog are not OSErrors
        raise InputFileError(f"{href}: cannot fetch the STAC document ({type(exc).__name__}); "
                             "check the URL and the network") from None
    if not isinstance(data, dict):
        raise InputFileError(f"{href}: not a STAC object (a JSON mapping expected)")
    if data.get("type") == "FeatureCollection":
        features = data.get("features", [])
        if not isinstance(features, list):
            raise InputFileError(f"{href}: 'features' is not a list of STAC items")
        return [_item_from_dict(href, i, f) for i, f in enumerate(features)]
    try:
        stac_obj = pystac.read_file(href)
    except Exception as exc:  # pystac raises several kinds for invalid documents
        raise InputFileError(f"{href}: not a valid STAC document: {exc}") from None
    if isinstance(stac_obj, pystac.Item):
        return [stac_obj]
    if isinstance(stac_obj, pystac.Catalog):
        try:
            return list(stac_obj.get_items(recursive=True))
        except Exception as exc:  # a child or item link that is missing or malformed
            raise InputFileError(f"{href}: an item or child of the catalog cannot be read: "
                                 f"{exc}") from None
    raise InputFileError(f"{href}: unsupported STAC object {type(stac_obj).__name__}")


def _item_from_dict(href: str, index: int, feature: Any) -> pystac.Item:
    """One feature of an item collection as a STAC item, or a one-line error naming it."""
    name = f"item {index + 1}" + (f" ({feature.get('id')!r})" if isinstance(feature, dict)
                                  and feature.get("id") else "")
    if not isinstance(feature, dict):
        raise InputFileError(f"{href}: {name} is not a JSON object")
    for key, kind in (("id", str), ("properties", dict), ("assets", dict)):
        if not isinstance(feature.get(key), kind):
            raise InputFileError(
                f"{href}: {name} has no valid '{key}' (a {kind.__name__} is required); "
                "this is not a STAC item")
    try:
        # parsed in place (the JSON was read for this): no copy of every dict, and no
        # migration of items already at STAC 1.x
        return pystac.Item.from_dict(
            feature, preserve_dict=False,
            migrate=not str(feature.get("stac_version", "")).startswith("1."))
    except Exception as exc:  # pystac raises several kinds (dates, geometry, STACError)
        raise InputFileError(f"{href}: {name} is not a valid STAC item: {exc}") from None


def _first_band(asset: pystac.Asset, *keys: str) -> dict[str, Any]:
    """The first band object of the asset's ``keys`` lists (``raster:bands``...), else {}."""
    for key in keys:
        bands = asset.extra_fields.get(key)
        if isinstance(bands, list) and bands:
            return bands[0] if isinstance(bands[0], dict) else {}
    return {}


def _raster_band(asset: pystac.Asset) -> tuple[float, float, float | None]:
    """``(scale, offset, nodata)`` of a one-band asset's ``raster:bands`` (else 1, 0, None).

    Raises
    ------
    ValueError
        A scale, offset or nodata that is not a number (the caller names the item).
    """
    first = _first_band(asset, "raster:bands")
    nodata = first.get("nodata")
    values: list[float | None] = []
    for key, value in (("scale", first.get("scale", 1.0)),
                       ("offset", first.get("offset", 0.0)), ("nodata", nodata)):
        if value is None or (key == "nodata" and value == "nan"):
            values.append(None)
            continue
        try:
            if isinstance(value, bool):
                raise TypeError
            values.append(float(value))
        except (TypeError, ValueError):
            raise ValueError(f"raster:bands {key} {value!r} is not a number") from None
    scale, offset = values[0], values[1]
    return (1.0 if scale is None else scale, 0.0 if offset is None else offset, values[2])


def _data_type(asset: pystac.Asset) -> str | None:
    first = _first_band(asset, "raster:bands", "bands")
    dtype = first.get("data_type") or asset.extra_fields.get("data_type")
    return str(dtype) if dtype else None


def _is_measurement(asset: pystac.Asset, scale: float, offset: float) -> bool:
    """A spectral or thermal measurement (not a quality, class or angle layer): the asset
    is scaled, lists ``eo:bands`` (STAC 1.0) or bands with a wavelength or common name
    (STAC 1.1), or has a reflectance/temperature/radiance role."""
    if scale != 1.0 or offset != 0.0 or _is_spectral(asset):
        return True
    return bool({"reflectance", "temperature", "radiance"} & set(asset.roles or []))


def _is_spectral(asset: pystac.Asset) -> bool:
    """A band with a wavelength: ``eo:bands`` (STAC 1.0) or bands with ``eo:*`` (1.1)."""
    fields = asset.extra_fields
    bands = fields.get("bands")
    return bool(fields.get("eo:bands")) or (isinstance(bands, list) and any(
        isinstance(b, dict) and ("eo:center_wavelength" in b or "eo:common_name" in b)
        for b in bands))


def _baseline(value: Any) -> float:
    """``s2:processing_baseline`` ("05.10") as a number; 0 when the item leaves it out."""
    if value is None:
        return 0.0
    try:
        return float(str(value))
    except ValueError:
        raise ValueError(f"s2:processing_baseline {value!r} is not a number") from None


def _product(item: pystac.Item) -> str | None:
    """``landsat-l2``, ``landsat-l1`` or ``sentinel-2`` when the item says so, else None."""
    props = item.properties
    collection = str(item.collection_id or props.get("collection") or "").lower()
    platform = str(props.get("platform") or "").lower()
    constellation = str(props.get("constellation") or "").lower()
    correction = str(props.get("landsat:correction") or "").upper()
    if correction.startswith("L2") or "c2-l2" in collection or "c2l2" in collection:
        return "landsat-l2"
    if correction.startswith("L1") or "c2-l1" in collection or "c2l1" in collection:
        return "landsat-l1"
    if platform.startswith("sentinel-2") or constellation == "sentinel-2" or \
            "sentinel-2" in collection or any(k.startswith("s2:") for k in props):
        return "sentinel-2"
    return None


def asset_calibration(item: pystac.Item, asset: pystac.Asset) -> BandCalibration:
    """The calibration of one band asset: ``value = scale * DN + offset`` with the asset's
    ``raster:bands`` scale, offset and nodata (``fill``), plus the DNs its product marks as
    clipped or saturated (see the module doc). Units are ``raster:bands`` ``unit`` where
    stated, else empty (the config's apply)."""
    scale, offset, nodata = _raster_band(asset)
    first = _first_band(asset, "raster:bands")
    units = str(first.get("unit") or "")
    product = _product(item) if _is_measurement(asset, scale, offset) else None
    valid_range: tuple[float, float] | None = None
    saturate: float | None = None
    dtype = _data_type(asset)
    if product == "landsat-l2":
        valid_range = LANDSAT_L2_CLIP
    elif product == "landsat-l1":
        if dtype is not None:
            eight_bit = dtype == "uint8"
        else:  # OLI (Landsat 8, 9) writes 16 bits; MSS, TM and ETM+ 8
            digits = "".join(ch for ch in str(item.properties.get("platform", "")) if
                             ch.isdigit())
            eight_bit = not digits or int(digits) < 8
        saturate = 255.0 if eight_bit else 65535.0
    elif product == "sentinel-2" and dtype in (None, "uint16"):
        saturate = SENTINEL2_SATURATED
        if "offset" not in first and _is_spectral(asset) and \
                _baseline(item.properties.get("s2:processing_baseline")) >= 4.0:
            # From baseline 04.00 every DN carries +1000 (BOA_ADD_OFFSET / RADIO_ADD_OFFSET
            # -1000 in the product XML). Earth Search states it as raster:bands offset
            # -0.1; catalogues that leave it out (Planetary Computer) serve the same DNs.
            offset = S2_ADD_OFFSET_DN * scale
    return BandCalibration(scale, offset, "", units, fill=nodata,
                           valid_range=valid_range, saturate=saturate)


def _crs_of(fields: dict[str, Any]) -> str | None:
    code = fields.get("proj:code")
    epsg = fields.get("proj:epsg")
    if code:
        return str(code)
    try:  # a whole number, as STAC writes it (32631, 32631.0 or "32631")
        return f"EPSG:{int(float(epsg))}" if epsg else None
    except (TypeError, ValueError):
        return None  # malformed: the header's CRS is used


def _asset_grid(item: pystac.Item, asset: pystac.Asset) -> AssetGrid | None:
    """The asset's grid from ``proj:*`` (asset fields over item properties), else ``None``."""
    fields = {**item.properties, **asset.extra_fields}
    shape, transform = fields.get("proj:shape"), fields.get("proj:transform")
    if not isinstance(shape, list | tuple) or not isinstance(transform, list | tuple):
        return None
    try:
        rows, cols = (int(v) for v in shape)
        a, b, c, d, e, f = (float(v) for v in list(transform)[:6])
    except (TypeError, ValueError):
        return None
    if rows <= 0 or cols <= 0 or a == 0 or e == 0:
        return None
    dtype = _first_band(asset, "raster:bands").get("data_type")
    return AssetGrid(crs=_crs_of(fields), transform=(a, b, c, d, e, f), shape=(rows, cols),
                     dtype=str(dtype) if dtype else None)


def read_stac_scenes(href: str, assets: dict[str, str], *, mask_asset: str | None = None
                     ) -> list[StacScene]:
    """Every item under ``href`` with the files of the requested ``assets``.

    Parameters
    ----------
    href
        Path or URL of a STAC catalog, collection, item or item collection (e.g. the
        GeoJSON answer of a STAC API ``/search``). Remote asset hrefs are read through
        GDAL's ``/vsicurl/``.
    assets
        Cube variable -> asset key.
    mask_asset
        Asset key of a quality layer every item must have (a cloud mask).

    Raises
    ------
    DataError
        No items, or an item lacks one of the asset keys.
    """
    items = _items(href)
    if not items:
        raise DataError(f"{href}: the STAC catalog holds no items")
    scenes = []
    for item in items:
        wanted = [*assets.values(), *([mask_asset] if mask_asset else [])]
        missing = [key for key in wanted if key not in item.assets]
        if missing:
            raise DataError(
                f"{href}: item {item.id!r} has no asset(s) {missing}; it has "
                f"{sorted(item.assets)}"
            )
        bands = {var: _gdal_href(item.assets[key].get_absolute_href() or "")
                 for var, key in assets.items()}
        props = item.properties
        code = _crs_of(props)
        grids = {var: g for var, key in assets.items()
                 if (g := _asset_grid(item, item.assets[key])) is not None}
        try:
            when = item.datetime or (
                dt.datetime.fromisoformat(str(props["start_datetime"]).replace("Z", "+00:00"))
                if props.get("start_datetime") else None
            )
            cloud = props.get("eo:cloud_cover")
            cloud_cover = float(cloud) if cloud is not None else None
            calibration = {var: asset_calibration(item, item.assets[key])
                           for var, key in assets.items()}
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"{href}: item {item.id!r}: a malformed value ({exc}); fix the item or "
                "leave the field out") from None
        scenes.append(StacScene(
            item_id=item.id, bands=bands, date=when.date() if when else None,
            cloud_cover=cloud_cover, crs=code, calibration=calibration,
            mask=_gdal_href(item.assets[mask_asset].get_absolute_href() or "")
            if mask_asset else None, grids=grids,
            mask_grid=_asset_grid(item, item.assets[mask_asset]) if mask_asset else None,
        ))
    return scenes
