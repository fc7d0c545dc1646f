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
give it, so its reflectance is not 0.1 too high; an item that states neither its baseline
nor an offset is refused (the date does not tell: a reprocessed 05.xx product of 2018 has
the offset, a harmonised one of 2023 not). Coefficients that give no values (a scale
of 0, NaN or infinity), a ``raster:bands`` that is not a list of band objects, and a nodata
the asset's ``data_type`` cannot hold are refused naming the item. An item listed twice (a catalogue
that pages badly), or two items of one acquisition (Earth Search's ``_0_L2A`` and
``_1_L2A`` reprocessings, one scene in two collections), is read once, with a warning: a
composite counted the scene twice. An asset its server would refuse is refused at
planning, before any request: a signed href past its expiry (:func:`expired_signature`)
and a requester-pays bucket read unsigned or without agreeing to pay
(:func:`requester_pays`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pystac
from pystac.stac_io import DefaultStacIO

from prospect.errors import DataError, DataWarning, InputFileError
from prospect.ingest import stac_parquet
from prospect.ingest.landsat import (
    LOW_SUN,
    LOW_SUN_FIX,
    BandCalibration,
    Saturation,
    daytime_sine,
    file_level,
    landsat_id,
    low_sun,
    radsat_bits,
)
from prospect.ingest.sentinel2 import s2_band_key
from prospect.io.files import one_spelling
from prospect.io.raster import value_fits
from prospect.io.remote import (
    REQUESTER_PAYS,
    azure_account_refusal,
    expired_signature,
    is_network_name,
    read_failure,
    read_store_text,
    requester_pays,
    signed_expiry,
    store_name,
)
from prospect.redact import redact

__all__ = ["REQUESTER_PAYS", "RESIGN", "AssetGrid", "StacScene", "asset_calibration",
           "check_day_and_night", "expired_signature", "item_span", "offset_applied",
           "read_stac_scenes", "requester_pays", "signed_expiry"]

LANDSAT_L2_CLIP = (1.0, 65535.0)
"""Collection 2 Level-2 ``QUANTIZE_CAL_MIN/MAX`` of every reflectance and temperature band
(Landsat 4-9): the product clips to this range, so a DN at either end is not a measurement."""
LANDSAT_L2_COEFFICIENTS = {"surface reflectance": (2.75e-5, -0.2),
                           "surface temperature (K)": (0.00341802, 149.0)}
"""Collection 2 Level-2 ``scale * DN + offset`` of every Landsat 4-9 band, as the MTL and
USGS's own STAC items state them: an item stating another pair (ESPA's 1e-4, a reflectance
scale on the temperature band) is not describing these DNs."""
SENTINEL2_SATURATED = 65535.0
"""Sentinel-2 L1C/L2A ``Special_Values`` ``SATURATED`` DN."""
S2_REFLECTANCE_SCALE = 1e-4
"""Sentinel-2's quantification: reflectance = DN / 10 000 (after the baseline's offset)."""
S2_ADD_OFFSET_DN = -1000.0
"""Sentinel-2 ``BOA_ADD_OFFSET`` / ``RADIO_ADD_OFFSET`` of every band from processing
baseline 04.00 on, in DN."""
S2_BASELINE_04_START = dt.date(2022, 1, 25)
"""First acquisitions ESA processed with baseline 04.00: every product acquired since
carries the offset; earlier ones do when reprocessed (05.xx), not as first processed."""
STAC_TIMEOUT_S = 60.0
"""Seconds a remote STAC document may take to answer (connect and each read)."""


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
    product: str | None = None
    """``landsat-l2``, ``landsat-l1`` or ``sentinel-2`` when the item says so (what its
    quality layer encodes), else ``None``."""
    level: str | None = None
    """``L1`` (top of atmosphere) or ``L2`` (surface) when the item says so (:func:`_level`)."""
    overpass: tuple[str, str] | None = None
    """``(platform/orbit, UTC date)`` where the item states its platform: items of one
    platform and orbit on one day are one overpass (adjacent tiles or WRS rows of it
    overlap, holding the same observation twice), and so are those of a pass that
    crosses midnight UTC (:func:`_join_midnight`: the later item takes the earlier's
    key); ``None`` where not stated."""
    span: tuple[str, str] | None = None
    """``(start, end)`` (ISO 8601, UTC) of an item that is a mosaic of acquisitions over
    more than a day (:func:`item_span`): ``date`` is its midpoint."""
    sun_elevation: float | None = None
    """``view:sun_elevation`` in degrees where the item states it, or 90 less its
    ``s2:mean_solar_zenith`` (at or below 0: a night acquisition)."""
    unlisted: frozenset[str] = frozenset()
    """The variables whose asset lists no band (no ``eo:bands`` or ``bands``): its file's
    header says how many it holds, and a file of several is refused (each asset is read as
    its band 1, :func:`prospect.ingest.composite.plan_composite`)."""


def _gdal_href(href: str) -> str:
    """The name GDAL opens an asset ``href`` by: ``/vsicurl/`` for HTTP(S), ``/vsis3/``,
    ``/vsigs/``, ``/vsiaz/``, ``/vsiadls/`` for buckets and containers
    (:func:`~prospect.io.remote.store_name`: an ``az://`` or ``abfs://`` href was "raster
    file not found"), a local path for ``file:`` URLs and paths. A local href is a
    URI: percent-encoded (``red%20band.tif``) where its name has spaces and other such
    characters; it is decoded where the name as written is not there but the decoded one
    is (it was "raster file not found")."""
    if href.startswith(("http://", "https://")):
        return f"/vsicurl/{href}"
    if (stored := store_name(href)) is not None:  # s3://, gs://, az://, abfs://...
        return stored
    if href.startswith("file://"):
        href = href[7:]
        if href.startswith("localhost/"):
            href = href[9:]
    if "%" in href and not href.startswith("/vsi") and not Path(href).exists():
        from urllib.parse import unquote

        decoded = unquote(href)
        if Path(decoded).exists():
            return decoded
    return href


class _TimeoutStacIO(DefaultStacIO):
    """pystac's reader with a timeout on remote documents: its own waits for ever on a
    server that accepts the connection and never answers."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def read_text_from_href(self, href: str) -> str:
        """The document at ``href`` (a URL with a timeout, else a local file).

        A catalog's links are URIs, percent-encoded where a folder or name has spaces
        (``./my%20scenes/item.json``); a local one is decoded as asset hrefs are
        (:func:`_gdal_href`). Before, such a catalog was refused "an item or child of the
        catalog cannot be read: ... does not resolve to a STAC object" beside the file."""
        if not href.startswith(("http://", "https://")):
            if (stored := _store_document(href)) is not None:  # a catalogue in a bucket
                return read_store_text(stored, timeout_s=self.timeout_s)
            return super().read_text_from_href(_gdal_href(href))
        import urllib3

        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=self.timeout_s,
                                                           read=self.timeout_s),
                                   retries=urllib3.Retry(
                                       connect=2, read=0, status=2, backoff_factor=0.5,
                                       status_forcelist=(429, 502, 503, 504)))
        response = http.request("GET", href, headers={
            "User-Agent": f"pystac/{pystac.__version__}", **self.headers})
        if response.status >= 400:
            raise OSError(f"HTTP {response.status} {response.reason or ''}".strip())
        return str(response.data.decode("utf-8"))


def _store_document(href: str) -> str | None:
    """The GDAL name of a STAC document in an object store (``s3://``, ``gs://``,
    ``az://``, ``abfs://``... or its ``/vsis3/``... name), else ``None``: such a document
    (a survey's ``items.json`` beside its scenes) was read as a local path, "STAC file not
    found"."""
    stored = store_name(href)
    if stored is None and href.startswith("/vsi") and is_network_name(href):
        stored = href
    return stored


def _items(href: str, timeout_s: float = STAC_TIMEOUT_S) -> list[pystac.Item]:
    io = _TimeoutStacIO(timeout_s)
    if (refused := azure_account_refusal(href)) is not None:
        raise InputFileError(f"{href}: {refused}")
    if href.lower().endswith((".parquet", ".geoparquet")) and (
            href.startswith(("http://", "https://")) or _store_document(href) is not None):
        raise InputFileError(f"{href}: a stac-geoparquet catalogue is read from a local "
                             "file only; copy it here, or " + stac_parquet.CONVERT)
    if not href.startswith(("http://", "https://")) and stac_parquet.is_parquet(href):
        return [_item_from_dict(href, i, f)
                for i, f in enumerate(stac_parquet.parquet_features(href))]
    try:
        if href.startswith(("http://", "https://")) or _store_document(href) is not None:
            data: Any = json.loads(io.read_text(href))
        else:
            data = json.loads(Path(href).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{href}: STAC file not found; check 'stac:' in the config"
                             ) from None
    except InputFileError:  # an object store's refusal or the network's, said whole
        raise
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{href}: cannot read as STAC JSON: {exc}") from None
    except Exception as exc:  # urllib3/requests errors of a remote catalog are not OSErrors
        raise InputFileError(f"{href}: cannot fetch the STAC document ({type(exc).__name__}: "
                             f"{read_failure(str(exc))}); check the URL and the network"
                             ) from None
    if not isinstance(data, dict):
        raise InputFileError(f"{href}: not a STAC object (a JSON mapping expected)")
    if data.get("type") == "FeatureCollection":
        features = data.get("features", [])
        if not isinstance(features, list):
            raise InputFileError(f"{href}: 'features' is not a list of STAC items")
        return [_item_from_dict(href, i, f) for i, f in enumerate(features)]
    try:
        stac_obj = pystac.read_file(href, stac_io=io)
    except Exception as exc:  # pystac raises several kinds for invalid documents
        raise InputFileError(f"{href}: not a valid STAC document: {exc}") from None
    if isinstance(stac_obj, pystac.Item):
        return [stac_obj]
    if isinstance(stac_obj, pystac.Catalog):
        try:
            return list(stac_obj.get_items(recursive=True))
        except RecursionError:
            raise InputFileError(f"{href}: the catalog's child links form a loop (a child "
                                 "links back to a parent); fix the catalog's links") from None
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
    """The first band object of the asset's ``keys`` lists (``raster:bands``...), else {}.

    Raises
    ------
    ValueError
        The key holds something else than a list of band objects: read as absent, its
        scale and offset were dropped without a word (DN read as reflectance).
    """
    for key in keys:
        bands = asset.extra_fields.get(key)
        if bands is None or bands == []:
            continue
        if not isinstance(bands, list) or not isinstance(bands[0], dict):
            example = ('{"scale": ..., "nodata": ...}' if key == "raster:bands" else
                       '{"name": "B04", "common_name": "red"}')
            raise ValueError(f"{key} is {json.dumps(bands)[:60]}, not a list of band "
                             f"objects ([{example}])")
        return bands[0]
    return {}


_RASTER_V2 = {"raster:scale": "scale", "raster:offset": "offset", "nodata": "nodata",
              "data_type": "data_type", "unit": "unit"}
"""STAC 1.1 fields (raster extension 2.0 and common band metadata) of a band's
calibration, on the asset or in its ``bands`` objects, and their ``raster:bands`` names."""


def _raster_fields(asset: pystac.Asset) -> dict[str, Any]:
    """The first band's ``scale``, ``offset``, ``nodata``, ``data_type`` and ``unit`` as the
    asset states them: STAC 1.0's ``raster:bands`` objects, or STAC 1.1's ``raster:scale``,
    ``raster:offset``, ``nodata``, ``data_type`` and ``unit`` in the first of its ``bands``
    objects or on the asset itself (the band's over the asset's). Only the keys stated.

    Read as ``raster:bands`` alone, an item in STAC 1.1 form lost its scale, offset and
    nodata without a word (DNs read as reflectance, fill as values).

    Raises
    ------
    ValueError
        Either list holds something else than band objects, or the two forms state one
        key with different values (which one the file's DNs follow is not known).
    """
    old = _first_band(asset, "raster:bands")
    fields = asset.extra_fields
    band = _first_band(asset, "bands")
    new: dict[str, Any] = {}
    for where in (fields, band):  # the band's own values over the asset's
        for key, name in _RASTER_V2.items():
            if where.get(key) is not None:
                new[name] = where[key]
    for name, value in new.items():
        if name in old and old[name] != value and not (
                isinstance(value, int | float) and isinstance(old[name], int | float)
                and float(value) == float(old[name])):
            v2 = next(k for k, n in _RASTER_V2.items() if n == name)
            raise ValueError(
                f"raster:bands {name} {old[name]!r} and the STAC 1.1 {v2!r} {value!r} "
                "state one band differently; keep one of them (the one the file's DNs "
                "follow)")
    return {**new, **old}


def _raster_band(asset: pystac.Asset) -> tuple[float, float, float | None]:
    """``(scale, offset, nodata)`` of a one-band asset's ``raster:bands`` or STAC 1.1
    ``raster:scale``/``raster:offset``/``nodata`` (:func:`_raster_fields`; else 1, 0, None).

    Raises
    ------
    ValueError
        A scale, offset or nodata that is not a number (the caller names the item).
    """
    first = _raster_fields(asset)
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
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"raster:bands {key} {value!r} is not a number") from None
        if key != "nodata" and not math.isfinite(number):
            raise ValueError(f"raster:bands {key} {value!r} is not a finite number: every "
                             "value of the band would be NaN or infinite")
        values.append(number)
    scale, offset = values[0], values[1]
    if scale == 0:
        raise ValueError("raster:bands scale 0 would make every value of the band equal "
                         "its offset")
    return (1.0 if scale is None else scale, 0.0 if offset is None else offset, values[2])


def _data_type(asset: pystac.Asset) -> str | None:
    dtype = _raster_fields(asset).get("data_type")
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


_OFFSET_APPLIED = ("earthsearch:boa_offset_applied", "sentinel:boa_offset_applied")
"""Earth Search's item property (v1; v0's name) saying its COGs' DNs were shifted back by
the product's ``BOA_ADD_OFFSET`` (harmonised with the baselines before 04.00)."""


def offset_applied(props: dict[str, Any]) -> bool:
    """Whether a Sentinel-2 item says its catalogue already applied ``BOA_ADD_OFFSET`` to
    its DNs (:data:`_OFFSET_APPLIED` true): then ``DN / 10000`` is the reflectance and no
    offset is applied again.

    Raises
    ------
    ValueError
        The property is neither a boolean nor ``"true"``/``"false"``.
    """
    for key in _OFFSET_APPLIED:
        value = props.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "false"):
            return text == "true"
        raise ValueError(f"{key} {value!r} is not true or false")
    return False


def _baseline(item: pystac.Item) -> float | None:
    """A Sentinel-2 item's processing baseline as a number, from
    ``s2:processing_baseline`` ("05.10"; Earth Search v0: ``sentinel:processing_baseline``),
    else the processing extension's ``processing:version`` in ESA's form (``05.12``: the
    Copernicus Data Space catalogue's only field for it), else the ``N0512`` of the ESA
    product the item names (``s2:product_uri``, Planetary Computer's and Earth Search's, or
    its own id: :data:`_ESA_BASELINE`); ``None`` when the item states none. The
    Copernicus Data Space items (no ``raster:bands`` offsets: the collection holds them)
    were refused for want of ``s2:processing_baseline``, stating their baseline twice.

    Raises
    ------
    DataError
        Two of those fields state baselines on either side of 04.00 (:func:`_one_baseline`).
    """
    stated = _stated_baselines(item)
    if not stated:
        return None
    _one_baseline(stated)
    _baseline_of_its_date(item, *stated[0])
    return stated[0][1]


def _baseline_of_its_date(item: pystac.Item, key: str, baseline: float) -> None:
    """Refuse an item stating a processing baseline older than 04.00 but acquired on or
    after :data:`S2_BASELINE_04_START`, when every product ESA made was of 04.00 or later
    (its DNs carry +1000): the item contradicts itself. Before, the stated baseline won
    without a word and every reflectance read 0.1 high.

    Raises
    ------
    DataError
        Naming the item's date, its stated baseline and the fix.
    """
    when = _item_date(item)
    if baseline >= 4.0 or when is None or when < S2_BASELINE_04_START:
        return
    raise DataError(
        f"the item, acquired {when.isoformat()}, states processing baseline "
        f"{baseline:05.2f} ({key}), but every Sentinel-2 product of an acquisition since "
        f"{S2_BASELINE_04_START.isoformat()} is of baseline 04.00 or later, whose DNs "
        "carry +1000 (reflectance 0.1 apart), so the item's reflectance cannot be told; "
        "correct the catalogue's baseline to the product's own (the ESA product name's "
        "N-number: N0510 is 05.10), or, where that is not known, leave the field out and "
        "state raster:bands offset -0.1 (0 where the catalogue removed the offset)")


def _stated_baselines(item: pystac.Item) -> list[tuple[str, float]]:
    """Every ``(field, baseline)`` an item states, first the one :func:`_baseline` takes."""
    props = item.properties
    stated = [
        (key, _baseline_number(key, props[key]))
        for key in ("s2:processing_baseline", "sentinel:processing_baseline")
        if props.get(key) is not None
    ]
    version = props.get("processing:version")
    if isinstance(version, str) and re.fullmatch(r"\d{2}\.\d{2}", version.strip()):
        stated.append(("processing:version", _baseline_number("processing:version", version)))
    for key, name in (("s2:product_uri", props.get("s2:product_uri")), ("id", item.id)):
        named = _ESA_BASELINE.search(str(name or ""))
        if named:
            stated.append((f"{key} {name}", int(named.group(1)) + int(named.group(2)) / 100))
    for folder in _safe_folders(item):
        named = _ESA_BASELINE.search(folder)
        if named:
            stated.append((f"the folder {folder} of its band files",
                           int(named.group(1)) + int(named.group(2)) / 100))
    return stated


def _safe_folders(item: pystac.Item) -> list[str]:
    """The ESA product folders (``S2A_MSIL2A_..._N0500_....SAFE``) the hrefs of an
    item's data assets lie in, each once: a user's own catalogue of unzipped products
    states its baseline there alone (it was refused as stating none, its fix "add
    s2:processing_baseline" beside the product's own name of it)."""
    found: dict[str, None] = {}
    for asset in item.assets.values():
        if not asset.href or "data" not in (asset.roles or ["data"]):
            continue
        for part in PurePosixPath(str(asset.href).replace("\\", "/")).parts[:-1]:
            if part.upper().endswith(".SAFE") and _ESA_BASELINE.match(part):
                found.setdefault(part)
    return list(found)


def _one_baseline(stated: list[tuple[str, float]]) -> None:
    """Refuse an item whose fields state baselines on either side of 04.00 (its DNs carry
    +1000 by one and not by the other). Before, the first field won without a word: an
    ``s2:processing_baseline`` of 05.09 in an item of product ``..._N0300_...`` read
    every reflectance 0.1 low, one of 03.00 in an item of ``N0510`` 0.1 high."""
    recent = [(key, number) for key, number in stated if number >= 4.0]
    older = [(key, number) for key, number in stated if number < 4.0]
    if recent and older:
        (new_key, new), (old_key, old) = recent[0], older[0]
        raise DataError(
            f"the item states processing baseline {new:05.2f} ({new_key}) and {old:05.2f} "
            f"({old_key}): from 04.00 on every DN carries +1000 (reflectance 0.1 apart), so "
            "the item's reflectance cannot be told; correct the field that is not the "
            "product's (the ESA product name's N-number, e.g. N0510, is 05.10)")


def _baseline_number(key: str, value: Any) -> float:
    """``value`` of the field ``key`` as a baseline number (``ValueError`` if none)."""
    try:
        number = float(str(value))
    except ValueError:
        raise ValueError(f"{key} {value!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{key} {value!r} is not a baseline (e.g. '05.10')")
    return number


_ESA_BASELINE = re.compile(r"^S2[A-D]_MSI(?:L1C|L2A)_\d{8}T\d{6}_N(\d{2})(\d{2})_")
"""The processing baseline in an ESA product id or ``s2:product_uri``
(``S2A_MSIL2A_20240613T100031_N0510_..._.SAFE``)."""


ACQUISITION_SPAN = dt.timedelta(days=1)
"""An item whose ``start_datetime``..``end_datetime`` (and no ``datetime``) spans more than
this is a mosaic of many acquisitions (a monthly or seasonal product), not one overpass."""


def _stac_time(value: object) -> dt.datetime:
    return _utc(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def item_span(item: pystac.Item) -> tuple[dt.datetime, dt.datetime] | None:
    """``(start, end)`` in UTC of an item that states no ``datetime`` but a
    ``start_datetime``..``end_datetime`` range longer than :data:`ACQUISITION_SPAN` (a
    mosaic of weeks or months); ``None`` for an item of one acquisition.

    Raises
    ------
    DataError
        ``end_datetime`` before ``start_datetime``.
    """
    props = item.properties
    if item.datetime is not None or not props.get("start_datetime") \
            or not props.get("end_datetime"):
        return None
    start, end = _stac_time(props["start_datetime"]), _stac_time(props["end_datetime"])
    if end < start:
        raise DataError(
            f"item {item.id!r}: end_datetime {props['end_datetime']} is before "
            f"start_datetime {props['start_datetime']}; fix the item (the range of its "
            "acquisitions is start..end)")
    return (start, end) if end - start > ACQUISITION_SPAN else None


def _item_date(item: pystac.Item) -> dt.date | None:
    """The item's acquisition date in UTC (``datetime``, else ``start_datetime``; the
    midpoint of a range longer than :data:`ACQUISITION_SPAN`, :func:`item_span`).

    RFC 3339 lets a time carry its zone's offset: ``2020-05-18T23:30:00-05:00`` is 19 May
    in UTC, the day every other item, the overpass key and the recorded dates count in
    (it was read as 18 May: one overpass counted as two looks, a date a day off). A time
    without an offset is UTC, as STAC states. A mosaic of weeks (``datetime: null``,
    ``2020-06-01``..``2020-06-30``) was dated by its first day: a ``most_recent`` mosaic
    and a time series took June's product for 1 June; it is dated by its midpoint, and its
    range is recorded (:attr:`StacScene.span`)."""
    span = item_span(item)
    if span is not None:
        return (span[0] + (span[1] - span[0]) / 2).date()
    when = item.datetime
    if when is None and item.properties.get("start_datetime"):
        when = _stac_time(item.properties["start_datetime"])
    return _utc(when).date() if when is not None else None


FUTURE_SLACK = dt.timedelta(days=1)
"""How far past the clock's now an item's acquisition time may lie (clocks and time zones
set wrong) before it is refused as in the future (:func:`_in_future`)."""


def _in_future(item: pystac.Item) -> str | None:
    """Why the item's acquisition (``datetime``, else ``start_datetime``) cannot be, or
    ``None``: a time after now (:data:`FUTURE_SLACK`) is no acquisition, but a typo in a
    user's own catalogue (``2204`` for ``2024``; rio-stac dates an item from its file's
    tags or the caller). Taken, it was recorded as the composite's date, counted as its
    own overpass and won every cell of a ``most_recent`` mosaic, without a word. A mosaic
    of weeks may end after now (a month in progress): its start is checked."""
    when = item.datetime
    if when is None and item.properties.get("start_datetime"):
        when = _stac_time(item.properties["start_datetime"])
    if when is None:
        return None
    now = dt.datetime.now(dt.UTC)
    if _utc(when) <= now + FUTURE_SLACK:
        return None
    key = "datetime" if item.datetime is not None else "start_datetime"
    return (f"item {item.id!r}: {key} {_utc(when).isoformat()} is in the future (now is "
            f"{now:%Y-%m-%dT%H:%MZ}), which no acquisition is; fix the item's {key} (its "
            "year mistyped?) or leave the item out")


RESIGN = ("sign the items again (Planetary Computer: planetary_computer.sign, or a search "
          "with its modifier) or search the catalogue again, and run again; a signature "
          "lasts about an hour, so sign just before the run")
"""How a catalogue of expired signed hrefs is read again."""


def _named_days(name: str) -> tuple[str, tuple[dt.date, ...]] | None:
    """The acquisition a product name states (a band file's, or an item id: a Landsat
    product or scene id, a Sentinel-2 band file name, ESA product id or Earth Search id,
    an HLS granule id, an ASTER granule id) and the UTC days its scene can be of (a
    Sentinel-2 or HLS S30 tile sensed after midnight is named by its datatake's start,
    the day before), else ``None``."""
    from prospect.ingest.products import file_acquisition_days

    found = file_acquisition_days(name)
    if found is not None:
        return found
    named = _pass_of_name(name)
    if named is None:
        return None
    day = dt.date.fromisoformat(named[1])
    if named[0].startswith(("sentinel-2", "hls-s30")):
        return name, (day, day + dt.timedelta(days=1))
    return name, (day,)


def _item_named_days(item: pystac.Item, files: Iterable[str]
                     ) -> tuple[str, tuple[dt.date, ...]] | None:
    """The acquisition the item's id, else the first of its ``files`` whose product name
    states one, names (:func:`_named_days`), or ``None``."""
    for name in (str(item.id), *(PurePosixPath(str(f).replace("\\", "/").split("?")[0]).name
                                 for f in files if f)):
        named = _named_days(name)
        if named is not None:
            return named
    return None


def _check_named_days(href: str, dated: list[tuple[pystac.Item, StacScene]]) -> None:
    """Refuse items dated on one UTC day whose ids or files name acquisitions of other
    days than each other (:func:`_item_named_days`): a catalogue dated when it was
    written, not by its scenes (``rio stac`` without ``--datetime`` dates each item
    now).

    Read by their dates, three scenes of three months were one overpass where the items
    state their platform (the first scene in every cell: a "median" of one look, count
    1), and without one a composite dated by the catalogue's day, a ``most_recent``
    mosaic ordered by it, without a word. Items whose names state no acquisition, or
    one day each (a scene re-dated alone), are not compared. A mosaic of a range (no
    ``datetime``) is not compared.

    Raises
    ------
    DataError
        Naming two such items, their day and the days their products name.
    """
    by_day: dict[dt.date, list[tuple[pystac.Item, str, tuple[dt.date, ...]]]] = {}
    for item, scene in dated:
        if scene.date is None or item.datetime is None:
            continue
        named = _item_named_days(item, [*scene.bands.values(), scene.mask or ""])
        if named is not None:
            by_day.setdefault(scene.date, []).append((item, *named))
    for day, group in by_day.items():
        for n, (item, ident, days) in enumerate(group):
            other = next(((o, i, d) for o, i, d in group[:n] if not set(d) & set(days)),
                         None)
            if other is None:
                continue
            if day in days:  # name the one dated otherwise than its product
                item, ident, days, other = other[0], other[1], other[2], (item, ident, days)
            stamp = _utc(item.datetime).isoformat() if item.datetime is not None else ""
            raise DataError(
                f"{href}: item {item.id!r} is dated {day.isoformat()} (its datetime "
                f"{stamp}), as is item {other[0].id!r}, but "
                f"{ident} was acquired on {days[0].isoformat()} and {other[1]} on "
                f"{other[2][0].isoformat()}: scenes of other days dated one day are read as "
                "one overpass and dated wrong (rio stac without --datetime dates each item "
                "when it is written); give each item its acquisition time, e.g. rio stac "
                f"--datetime {days[0].isoformat()}")


def _utc(when: dt.datetime) -> dt.datetime:
    """``when`` in UTC (a time without an offset is UTC, as STAC states)."""
    return when.astimezone(dt.UTC) if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _s2_offset_dn(item: pystac.Item) -> float:
    """The DN offset of a Sentinel-2 item that states no ``raster:bands`` offset, by its
    processing baseline (see the module doc).

    Raises
    ------
    DataError
        The item states no baseline: the offset cannot be told (not from the date either:
        a reprocessed 05.xx product of 2018 has it, a harmonised product of 2023 not); or
        it states Sen2Cor's 99.xx, a user's own processing, which tells no offset either
        (:func:`prospect.ingest.sentinel2.user_baseline`: it was taken as 04.00's -1000,
        reflectance 0.1 low for Sen2Cor 2.8 and 2.9 products).
    """
    from prospect.ingest.sentinel2 import USER_BASELINE_WHY, user_baseline

    baseline = _baseline(item)
    if baseline is not None and user_baseline(baseline):
        field = _stated_baselines(item)[0][0]
        raise DataError(
            f"a Sentinel-2 band without a raster:bands offset in an item of processing "
            f"baseline {baseline:05.2f} ({field}): {USER_BASELINE_WHY}, so its "
            "reflectance cannot be told; state the raster:bands offset, -0.1 where the "
            "product's MTD_MSIL2A.xml lists BOA_ADD_OFFSET -1000, 0 where it lists none")
    if baseline is not None:
        return S2_ADD_OFFSET_DN if baseline >= 4.0 else 0.0
    when = _item_date(item)
    recent = ", as this one was" if when and when >= S2_BASELINE_04_START else ""
    raise DataError(
        "a Sentinel-2 band without a raster:bands offset in an item without "
        "a processing baseline (s2:processing_baseline, processing:version or the "
        "N0400 of an ESA product id or s2:product_uri): its DNs carry +1000 from "
        "baseline 04.00 on (every product "
        f"acquired since 2022-01-25{recent}, and reprocessed older ones), not before and "
        "not in harmonised products, so its "
        "reflectance cannot be told; add the product's s2:processing_baseline (or the "
        "raster:bands offset: -0.1, or 0 for harmonised DNs) to the item")


def _product(item: pystac.Item, *, by_id: bool = True) -> str | None:
    """``landsat-l2``, ``landsat-l1`` or ``sentinel-2`` when the item says so, else None.

    Sentinel-2 by its ``platform`` in any spelling (``sentinel-2a``, ``Sentinel2A``,
    ``S2A``), constellation, collection, ``s2:`` fields or an ESA product id
    (:data:`_ESA_PRODUCT`): an item of a user's own catalogue stating none of the first,
    its id ``S2A_MSIL2A_..._N0510_...``, was no Sentinel-2 item, so baseline 04.00's
    -1000 DN offset was not applied to its bands (reflectance 0.1 high, exit 0).

    Landsat by its collection or ``landsat:correction``, else by a Landsat Collection
    product id as its own id (``LC08_L2SP_198024_20210301_20210310_02_T1``, its level the
    id's ``L2SP``, or a Collection 2 ``L1TP``: ESPA's surface reflectance of Collection 1
    kept its Level-1 id), or by a Landsat ``platform`` beside assets named as only
    Level-2 names them (``SR_B4``, ``ST_B10``): such an item of a user's catalogue
    (USGS's id or platform, no collection) was of no product, so its ``ST_B10``
    (0.00341802 x DN + 149 K) was labelled ``1``, and its Level-1 items went beside
    Level-2 ones into one median, without a word; a Landsat sensor's ``instruments``
    (``["oli", "tirs"]``, no platform) beside such names stand for the platform (its
    ``ST_B10``, 289 K, was labelled ``1`` too). ``by_id=False``: the product the
    item's catalogue fields state alone, not its id or names (whose coefficients
    :func:`asset_calibration` assumes where the item states none)."""
    props = item.properties
    collection = str(item.collection_id or props.get("collection") or "").lower()
    platform = re.sub(r"[^a-z0-9]", "", str(props.get("platform") or "").lower())
    constellation = str(props.get("constellation") or "").lower()
    correction = str(props.get("landsat:correction") or "").upper()
    if "hls" in collection or _hls_item(item):
        return None  # Harmonized Landsat Sentinel-2: NASA's own product, not ESA's or USGS's
    if correction.startswith("L2") or "c2-l2" in collection or "c2l2" in collection or \
            _LANDSAT_ARD_L2.search(collection):
        return "landsat-l2"
    if correction.startswith("L1") or "c2-l1" in collection or "c2l1" in collection:
        return "landsat-l1"
    if by_id and _LANDSAT_ARD_L2_ID.match(str(item.id)):
        return "landsat-l2"  # LC08_CU_003009_20190718_20190801_02_SR: a Collection 2 ARD tile's
    ident = landsat_id(str(item.id)) if by_id else None  # LC08_L2SP_..._02_T1: USGS's
    if ident is not None and ident.level is not None and \
            str(item.id).upper().startswith(ident.text.upper()):
        if ident.level.upper().startswith("L2"):
            return "landsat-l2"
        if ident.level.upper().startswith("L1") and ident.processing.split()[1:2] == ["02"]:
            return "landsat-l1"  # not Collection 1's: ESPA named its reflectance so
    landsat = re.fullmatch(r"landsat\d{1,2}", platform) or _landsat_sensor(item) in (
        "TM", "ETM+", "OLI")  # instruments: [tm] or ["oli", "tirs"] with no platform
    if by_id and landsat and any(
            _LANDSAT_L2_NAME.match(name) for key, asset in item.assets.items()
            for name in (key, str(_first_band(asset, "eo:bands", "bands").get("name") or ""))):
        return "landsat-l2"  # a Landsat platform's SR_B4/ST_B10: names of Level-2 alone
    if platform.startswith("sentinel2") or re.fullmatch(r"s2[a-d]", platform) or \
            constellation == "sentinel-2" or "sentinel-2" in collection or \
            any(k.startswith("s2:") for k in props) or _ESA_PRODUCT.match(str(item.id)):
        return "sentinel-2"
    return None


def _hls_item(item: pystac.Item) -> bool:
    """Whether the item is an HLS granule by its id (``HLS.S30.T31UFT.2022075T104021.v2.0``)
    or its assets' file names (``HLS.L30.T31UFT.2022075T104021.v2.0.B04.tif``), whatever
    its other fields say: a user's catalogue of HLS S30 granules stating ``platform:
    sentinel-2b`` (the satellite HLS took the scene from) and no HLS collection was read
    as ESA's Sentinel-2, refused for want of a processing baseline, and with the one its
    advice asked for, given baseline 04.00's -1000 DN offset, which HLS's DNs (0.0001 x
    DN, no offset) do not carry: every reflectance 0.1 low."""
    from prospect.ingest.products import hls_file_date

    if hls_file_date(str(item.id)) is not None:
        return True
    return any(hls_file_date(str(asset.href)) is not None for asset in item.assets.values())


_LANDSAT_ARD_L2 = re.compile(r"c2[-_]?ard[-_](?:sr|st|ta|bt)\b")
"""USGS's STAC collections of Landsat Collection 2 U.S. ARD surface reflectance and
temperature (``landsat-c2ard-sr``, ``landsat-c2ard-st``) and top-of-atmosphere reflectance
and brightness temperature (``landsat-c2ard-ta``, ``landsat-c2ard-bt``), whose DNs are all
scaled as Collection 2 Level-2's (2.75e-5 x DN - 0.2; 0.00341802 x DN + 149 K). They were
of no product: an item whose file is not named as the product's (a copy renamed
``red.tif``) went in as DNs (20000 labelled reflectance) without a ``scale:``, and with
``scale: 2.75e-5`` alone lost its -0.2 (0.55 for 0.35), exit 0; their ``raster:bands``
were not checked. The ``-ta``/``-bt`` tiles are of the top of the atmosphere
(:data:`_LANDSAT_ARD_TOA`): :func:`_level` says so, so they go into no median beside
surface reflectance."""

_LANDSAT_ARD_L2_ID = re.compile(
    r"^L[CEOT]0\d_(?:CU|AK|HI)_\d{6}_\d{8}_\d{8}_02_(?:SR|ST|TA|BT)$", re.IGNORECASE)
"""A Collection 2 U.S. ARD tile's item id in USGS's STAC
(``LC08_CU_003009_20190718_20190801_02_SR``; ``_ST``, ``_TA``, ``_BT``)."""

_LANDSAT_ARD_TOA = (re.compile(r"c2[-_]?ard[-_](?:ta|bt)\b"),
                    re.compile(r"_02_(?:TA|BT)$", re.IGNORECASE))
"""A Collection 2 ARD top-of-atmosphere reflectance or brightness temperature item, by
its collection or its USGS id: scaled as Level-2's DNs are, but of the top of the
atmosphere, not the surface."""


def _ard_toa(item: pystac.Item) -> bool:
    """Whether ``item`` is of a Collection 2 ARD top-of-atmosphere tile
    (:data:`_LANDSAT_ARD_TOA`)."""
    collection = str(item.collection_id or item.properties.get("collection") or "").lower()
    return bool(_LANDSAT_ARD_TOA[0].search(collection)) or (
        bool(_LANDSAT_ARD_L2_ID.match(str(item.id)))
        and bool(_LANDSAT_ARD_TOA[1].search(str(item.id))))

_LANDSAT_L2_NAME = re.compile(r"^(?:SR|ST)_B\d{1,2}$", re.IGNORECASE)
"""A band's name in Landsat Collection 2 Level-2 alone (``SR_B4``, ``ST_B10``)."""

_ESA_PRODUCT = re.compile(
    r"^S2[A-D]_(?:MSI(?:L1C|L2A)_\d{8}T\d{6}_"
    r"|T?\d{2}[A-Z]{3}_\d{8}(?:T\d{6})?_(?:\d+_)?L(?:1C|2A)$)"
)
"""An ESA Sentinel-2 product id (``S2A_MSIL2A_20240613T100031_N0510_R122_T31UFT_...``) or
an Earth Search item id of one (``S2A_31UFT_20240613_0_L2A``;
``S2A_T31UFT_20240613T100031_L2A`` in its collection 1). Before, an Earth Search item
copied into a user's catalogue without its ``platform`` was no Sentinel-2 item: a band
of baseline 04.00 on was read without its -1000 DN offset (0.1 high, exit 0)."""


def asset_calibration(item: pystac.Item, asset: pystac.Asset, key: str = "") -> BandCalibration:
    """The calibration of one band asset: ``value = scale * DN + offset`` with the asset's
    ``raster:bands`` scale, offset and nodata (``fill``), plus the DNs its product marks as
    clipped or saturated (see the module doc). Units are ``raster:bands`` ``unit`` where
    stated, else empty (the config's apply).

    Raises
    ------
    DataError
        A Sentinel-2 band whose DN offset neither the item's baseline nor its
        ``raster:bands`` states; a Landsat Collection 2 Level-2 band stating other
        coefficients than the product's.
    ValueError
        A malformed, non-finite or zero scale, a malformed offset or nodata, a
        ``raster:bands`` that is not a list of band objects, or a nodata the asset's
        ``data_type`` cannot hold (the caller names the item).
    """
    scale, offset, nodata = _raster_band(asset)
    first = _raster_fields(asset)
    units = str(first.get("unit") or "")
    spectral = _is_spectral(asset) or _is_band_key(_product(item), key)
    product = _product(item) if spectral or _is_measurement(asset, scale, offset) else None
    valid_range: tuple[float, float] | None = None
    saturate: float | None = None
    dtype = _data_type(asset)
    unstated: tuple[float, float] | None = None
    dn_only = ""
    if spectral and scale < 0:
        raise ValueError(f"raster:bands scale {scale:g} is negative: every bright pixel "
                         "would read dark and the reverse (no product scales its bands so)")
    if product == "landsat-l2":
        valid_range = LANDSAT_L2_CLIP
        if ("scale" in first or "offset" in first) and spectral:
            # not the ST_* helper layers: scaled otherwise
            _check_landsat_l2(scale, offset, _landsat_l2_kind(asset, key))
        elif spectral and (_product(item, by_id=False) == product
                           or not _named_file(asset)):
            # the product's own pair where its catalogue fields state the product, or its
            # USGS id (LC08_L2SP_..._02_T1) and no file name does: an item known by its id
            # alone, its file not named as the product's (SR_B4.tif), went in as DNs
            # (11000 labelled reflectance '1') without a word; a named file's product is
            # read by its name (:func:`prospect.ingest.products.named_product`), which
            # also tells two products' files apart in one source
            unstated = LANDSAT_L2_COEFFICIENTS[
                "surface temperature (K)" if _is_thermal(asset, key) else "surface reflectance"]
    elif product == "landsat-l1":
        if dtype is not None:
            eight_bit = dtype == "uint8"
        else:  # OLI (Landsat 8, 9) writes 16 bits; MSS, TM and ETM+ 8
            digits = "".join(ch for ch in str(item.properties.get("platform", "")) if
                             ch.isdigit())
            eight_bit = not digits or int(digits) < 8
        saturate = 255.0 if eight_bit else 65535.0
        if spectral and not _is_thermal(asset, key) and (scale, offset) != (1.0, 0.0):
            scale, offset = _toa_sun_corrected(item, scale, offset)
        elif spectral and "scale" not in first and "offset" not in first:
            # each scene and band has its own Level-1 coefficients (the MTL's), so no one
            # pair can be assumed: the DNs went in as values (labelled reflectance, '1')
            dn_only = (
                "holds Landsat Level-1 DNs, which no one pair makes values: TOA "
                "reflectance is (REFLECTANCE_MULT x DN + REFLECTANCE_ADD) / sin(sun "
                "elevation) and radiance RADIANCE_MULT x DN + RADIANCE_ADD, with the "
                "scene's own MTL coefficients for each band")
    elif product == "sentinel-2" and dtype in (None, "uint16"):
        saturate = SENTINEL2_SATURATED
        if spectral:  # a baseline its fields or its date contradict, refused either way
            _baseline(item)
        if "scale" in first and "offset" in first and spectral:
            _check_sentinel2(scale, offset)
        if "offset" in first and spectral and offset != 0:
            _check_s2_baseline_offset(item, offset)
        if spectral and offset_applied(item.properties):
            # the catalogue shifted the DNs back by BOA_ADD_OFFSET itself (harmonised to
            # the older baselines): no offset is left to apply, whatever raster:bands
            # says (Earth Search's items state -0.1 either way: 0.1 low, applied twice)
            offset = 0.0
        elif "offset" not in first and spectral:
            # From baseline 04.00 every DN carries +1000 (BOA_ADD_OFFSET / RADIO_ADD_OFFSET
            # -1000 in the product XML). Earth Search states it as raster:bands offset
            # -0.1; catalogues that leave it out (Planetary Computer) serve the same DNs.
            offset = _s2_offset_dn(item) * scale
        if "scale" not in first and spectral:
            unstated = (1e-4, offset * 1e-4)
    if nodata is not None and dtype is not None and _known_dtype(dtype) and \
            not value_fits(nodata, dtype):
        raise ValueError(f"raster:bands nodata {nodata:g} cannot occur in a {dtype} band, so "
                         "it would mark no pixel and the band's fill would read as values")
    quantity, units = _quantity(item, asset, product, units, key=key, spectral=spectral,
                                calibrated=unstated is not None or (scale, offset) != (1, 0))
    return BandCalibration(scale, offset, quantity, units, fill=nodata,
                           valid_range=valid_range, saturate=saturate, unstated=unstated,
                           dn_only=dn_only)


def _named_file(asset: pystac.Asset) -> bool:
    """Whether the asset's file is named as a product that defines its DNs names its
    files (:func:`prospect.ingest.products.named_product`)."""
    from prospect.ingest.products import named_product

    href = asset.get_absolute_href() or asset.href or ""
    return bool(href) and named_product(href) is not None


def _quantity(item: pystac.Item, asset: pystac.Asset, product: str | None, units: str, *,
              calibrated: bool, key: str = "", spectral: bool = False) -> tuple[str, str]:
    """``(quantity, units)`` a calibrated spectral asset of a known product holds:
    Collection 2 Level-2 surface reflectance (``1``) or temperature (``K``), Sentinel-2
    reflectance (``1``; surface or top of atmosphere by the item's level). The units the
    item states win; ``("", units)`` where the product or the calibration is not known.
    A config that restates the calibration under other ``units:`` is then refused
    (:func:`prospect.ingest.products.band_coefficients`)."""
    if not calibrated or not spectral or product not in ("landsat-l2", "sentinel-2"):
        return "", units
    if product == "landsat-l2" and _is_thermal(asset, key):
        return ("brightness_temperature" if _ard_toa(item) else "surface_temperature",
                units or "K")
    level = _level(item, product)
    quantity = {"L2": "surface_reflectance", "L1": "toa_reflectance"}.get(level or "", "")
    return quantity, units or "1"


OLI_REFLECTANCE_RESCALING = (2.0e-5, -0.1)
"""The Level-1 ``REFLECTANCE_MULT``/``ADD`` of every OLI reflective band: reflectance
*without* the sun's angle; TOA reflectance is that divided by sin(sun elevation)."""


def _toa_sun_corrected(item: pystac.Item, scale: float, offset: float) -> tuple[float, float]:
    """A Landsat Level-1 asset stating the MTL's OLI reflectance rescaling in
    ``raster:bands`` (2e-5, -0.1): those give TOA reflectance only divided by the sine of
    the sun's elevation (USGS), so they are divided by the item's ``view:sun_elevation``.
    Before, they were applied as they were: reflectance 1 / sin(e) times too low (1.5 x at
    41 degrees). Other pairs are taken as stated.

    Raises
    ------
    DataError
        The item states no sun elevation, or one at or below the horizon (a night scene).
    """
    a, b = OLI_REFLECTANCE_RESCALING
    if not (math.isclose(scale, a, rel_tol=1e-6) and math.isclose(offset, b, abs_tol=1e-9)):
        return scale, offset
    sun = item.properties.get("view:sun_elevation")
    try:
        elevation = float(sun) if sun is not None and not isinstance(sun, bool) else None
    except (TypeError, ValueError):
        elevation = None
    if elevation is None or not math.isfinite(elevation):
        raise DataError(
            f"raster:bands scale {scale:g} and offset {offset:g} are the Level-1 reflectance "
            "rescaling of the MTL, which gives top-of-atmosphere reflectance only divided by "
            "sin(sun elevation), and the item states no view:sun_elevation; add it to the "
            "item, or ingest the scene with its MTL ('metadata:')")
    sin_e = daytime_sine(elevation, said="view:sun_elevation", what="its reflective bands "
                         "have", daytime="a daytime scene")
    return scale / sin_e, offset / sin_e


def _is_band_key(product: str | None, key: str) -> bool:
    """An asset key that names a spectral band of the item's product (``B04``, ``SR_B4``,
    ``ST_B10``) or a common band name (``red``, ``nir08``): an item without ``eo:bands``
    (hand-made, or a catalogue that leaves them out) still holds that band. Before, such a
    Sentinel-2 asset of baseline 04.00 lost its -1000 DN offset (reflectance 0.1 high)."""
    if not key or product is None:
        return False
    return _band_id(product, key) is not None or key.lower() in COMMON_NAMES


def _is_thermal(asset: pystac.Asset, key: str = "") -> bool:
    """A thermal infrared band (``lwir``, ``lwir11``...) by its common name, or by an asset
    key ``ST_B10``/``lwir11`` where the asset lists no bands."""
    if re.match(r"^(?:ST_B\d{1,2}|lwir\d*)$", key, re.IGNORECASE):
        return True
    fields = asset.extra_fields
    bands = [*(fields.get("eo:bands") or []), *(fields.get("bands") or [])]
    return any(isinstance(b, dict) and str(b.get("common_name", b.get("eo:common_name", "")))
               .lower().startswith("lwir") for b in bands)


_LANDSAT_COMMON: dict[str, dict[str, int]] = {
    "oli": {"coastal": 1, "blue": 2, "green": 3, "red": 4, "nir08": 5, "nir": 5,
            "swir16": 6, "swir22": 7, "pan": 8, "cirrus": 9, "lwir11": 10, "lwir12": 11},
    "tm": {"blue": 1, "green": 2, "red": 3, "nir08": 4, "nir": 4, "swir16": 5, "lwir": 6,
           "lwir11": 6, "swir22": 7, "pan": 8}}
"""Landsat band numbers by STAC ``eo`` common name: OLI/TIRS (Landsat 8, 9), TM/ETM+."""


_REFLECTIVE = frozenset(name for numbers in _LANDSAT_COMMON.values() for name in numbers
                        if not name.startswith("lwir"))
"""The common names of Landsat's reflective bands (every one but the thermal ``lwir*``)."""


def _landsat_l2_kind(asset: pystac.Asset, key: str) -> str | None:
    """Which Collection 2 Level-2 quantity an asset holds (a key of
    :data:`LANDSAT_L2_COEFFICIENTS`), where its key, ``eo:bands`` name or common name
    tells (``ST_B10``/``lwir11``: temperature; ``SR_B4``/``red``: reflectance); else
    ``None``."""
    first = _first_band(asset, "eo:bands", "bands")
    name = str(first.get("name") or "")
    common = str(first.get("common_name") or first.get("eo:common_name") or "").lower()
    if _is_thermal(asset, key) or re.match(r"^ST_B\d{1,2}$", name, re.IGNORECASE):
        return "surface temperature (K)"
    if common in _REFLECTIVE or key.lower() in _REFLECTIVE or any(
            re.match(r"^SR_B\d{1,2}$", n, re.IGNORECASE) for n in (name, key)):
        return "surface reflectance"
    return None


def _check_landsat_l2(scale: float, offset: float, kind: str | None = None) -> None:
    """Refuse a Collection 2 Level-2 asset whose stated ``raster:bands`` scale and offset
    are not the product's (:data:`LANDSAT_L2_COEFFICIENTS`): ESPA's 1e-4 copied into an
    item made reflectance 0.55 x too low and 0.2 too high, without a word. Where the
    asset's ``kind`` is known, the pair must be that quantity's: the temperature pair on
    a reflectance band read 149 to 373 as reflectance, the reflectance pair on the
    temperature band -0.2 to 1.6 as kelvin.

    Raises
    ------
    DataError
        Naming the stated pair and the product's (the caller names the item).
    """
    for what, (a, b) in LANDSAT_L2_COEFFICIENTS.items():
        if math.isclose(scale, a, rel_tol=1e-4) and math.isclose(offset, b, abs_tol=1e-6):
            if kind is None or kind == what:
                return
            own = LANDSAT_L2_COEFFICIENTS[kind]
            raise DataError(
                f"raster:bands scale {scale:g} and offset {offset:g} are Landsat Collection "
                f"2 Level-2's {what} pair, but the asset holds {kind} (its band name says "
                f"so), whose pair is {own[0]:g} and {own[1]:g}: every value would be "
                "another quantity's; fix raster:bands, or map the variable to the asset of "
                "its own band")
    pairs = ", ".join(f"{a:g} and {b:g} ({what})" for what, (a, b) in
                      LANDSAT_L2_COEFFICIENTS.items())
    raise DataError(
        f"raster:bands scale {scale:g} and offset {offset:g}, but Landsat Collection 2 "
        f"Level-2 DNs are scaled {pairs}; the item misstates them (ESPA's pre-Collection "
        "1e-4 is another product): fix raster:bands, or leave them out and give "
        "'scale:'/'offset:' in the source")


def _check_sentinel2(scale: float, offset: float) -> None:
    """Refuse a Sentinel-2 asset whose stated ``raster:bands`` pair is not one ESA's DNs
    have: 1e-4 with an offset of -0.1 (baseline 04.00 on) or 0 (earlier baselines,
    harmonised products). An offset stated in DN (-1000) or another product's pair (Landsat
    Collection 2's 2.75e-5, -0.2) was applied as stated without a word.

    Raises
    ------
    DataError
        Naming the stated pair and ESA's.
    """
    a, b = S2_REFLECTANCE_SCALE, S2_ADD_OFFSET_DN * S2_REFLECTANCE_SCALE
    if math.isclose(scale, a, rel_tol=1e-4) and any(
            math.isclose(offset, o, abs_tol=1e-6) for o in (0.0, b)):
        return
    raise DataError(
        f"raster:bands scale {scale:g} and offset {offset:g}, but Sentinel-2 DNs are "
        f"reflectance x {1 / a:g}, with an offset of {b:g} from processing baseline 04.00 "
        f"on (0 before, and in harmonised products): the item misstates them (an offset in "
        "DN, another product's pair?): fix raster:bands, or leave them out and give "
        "'scale:' in the source")


def _check_s2_baseline_offset(item: pystac.Item, offset: float) -> None:
    """Refuse a Sentinel-2 asset stating an offset its item's processing baseline has
    not: DNs carry +1000 (offset -0.1) only from baseline 04.00 on, so a baseline 03.01
    item stating -0.1 was read 0.1 too low everywhere, without a word.

    Raises
    ------
    DataError
        Naming the baseline, the stated offset and the fix.
    """
    baseline = _baseline(item)
    if baseline is None or baseline >= 4.0:
        return
    raise DataError(
        f"raster:bands offset {offset:g}, but the item's processing baseline "
        f"{baseline:05.2f} is older than 04.00, whose DNs carry no offset (every "
        f"reflectance would read {-offset:g} too low); fix the item's offset (0) or its "
        "baseline (a reprocessed product's)")


def _level(item: pystac.Item, product: str | None) -> str | None:
    """``L1`` (top of atmosphere) or ``L2`` (surface) when the item says which, else None.

    A Collection 2 ARD top-of-atmosphere tile (``landsat-c2ard-ta``, :func:`_ard_toa`),
    whose DNs are scaled as Level-2's, is ``L1``: of the top of the atmosphere."""
    if product == "landsat-l2" and _ard_toa(item):
        return "L1"
    if product in ("landsat-l1", "landsat-l2"):
        return product[-2:].upper()
    if product is None:  # no field names a product: its band files' names may
        return _level_of_files(item, None)
    if product != "sentinel-2":
        return None
    props = item.properties
    said = " ".join(str(v) for v in (item.collection_id, props.get("collection"),
                                     props.get("s2:product_type"),
                                     props.get("processing:level"),
                                     item.id if _ESA_PRODUCT.match(str(item.id)) else None)
                    if v).upper()
    if "L2A" in said or "MSI2A" in said:
        return "L2"
    if "L1C" in said or "MSI1C" in said:
        return "L1"
    return _level_of_files(item, props.get("s2:product_uri"))


def _level_of_files(item: pystac.Item, uri: Any) -> str | None:
    """``L1`` or ``L2`` where the item's ``s2:product_uri`` or its assets' files tell one
    level (:func:`_named_file_level`), else ``None``.

    A user's own catalogue (rio-stac, ids of its own, no collection or product type) of
    band files in their ``.SAFE`` folders said no level, so an L1C item (top of
    atmosphere) beside L2A ones (surface) went into one median without a word; so did
    an L1C granule's ``T31UDQ_20210301T104021_B04.jp2`` copied out of its folder, and,
    in items stating no product, a Landsat ``LC08_L1TP_..._B4.TIF`` beside an
    ``LC08_L2SP_..._SR_B4.TIF`` (each at its item's pair: a median of the two, count 2),
    which a plain source reads as of two levels."""
    from prospect.ingest.sentinel2 import _file_level

    found = {_named_file_level(str(asset.href)) for asset in item.assets.values()
             if asset.href and "data" in (asset.roles or ["data"])}
    if uri:
        found.add({"L1C": "L1", "L2A": "L2"}.get(_file_level(str(uri)) or ""))
    levels = {level for level in found if level is not None}
    return levels.pop() if len(levels) == 1 else None


def _named_file_level(href: str) -> str | None:
    """``L1`` (top of atmosphere) or ``L2`` (surface) as a band file's name or product
    folder states it: a Sentinel-2 ``.SAFE`` folder or band name
    (:func:`~prospect.ingest.sentinel2.named_level`: ``_B04_10m`` L2A, ``_B04`` L1C), a
    Landsat Collection 2 name (``_SR_B4``/``_ST_B10`` Level-2, ``LC08_L1TP_..._B4``
    Level-1) or ESPA's (``sr_band4`` surface, ``toa_band4`` top of atmosphere); else
    ``None``."""
    from prospect.ingest.sentinel2 import named_level

    s2 = named_level(href)
    if s2 is not None:
        return {"L1C": "L1", "L2A": "L2"}[s2]
    level = file_level(href)
    if level == "ESPA":
        return "L1" if re.search(r"_toa_band\d", PurePosixPath(href).name, re.I) else "L2"
    return level if level in ("L1", "L2") else None


def _check_levels(href: str, scenes: list[StacScene]) -> None:
    """Refuse items of Level-1 (top of atmosphere) and Level-2 (surface) products in one
    source: a composite's median and a mosaic mixed TOA with surface reflectance (a
    search of two collections, an item collection merged by hand).

    Raises
    ------
    DataError
        Naming an item of each level and the fix.
    """
    first: dict[str, StacScene] = {}
    for scene in scenes:
        if scene.level is not None:
            first.setdefault(scene.level, scene)
    if len(first) > 1:
        l1, l2 = first["L1"], first["L2"]
        n1 = sum(s.level == "L1" for s in scenes)
        named = "by its band files' names"  # items that state no product
        raise DataError(
            f"{href}: {n1} of {len(scenes)} STAC items are Level-1 (top of atmosphere), "
            f"e.g. {l1.item_id!r} ("
            + ("a Collection 2 ARD top-of-atmosphere tile" if l1.product == "landsat-l2"
               else str(l1.product or named))
            + "), and the others Level-2 (surface), e.g. "
            f"{l2.item_id!r} ({l2.product or named}): one source holds "
            "one product level; search "
            "one collection (landsat-c2-l2, sentinel-2-l2a), or make two sources")


def _known_dtype(dtype: str) -> bool:
    try:
        np.dtype(dtype)
    except TypeError:
        return False  # a raster extension type numpy lacks ("cint16", "other")
    return True


def _crs_of(fields: dict[str, Any]) -> str | None:
    """The CRS ``proj:code`` (else ``proj:epsg``) states, or ``None`` (the file's header is
    read and holds): where neither is stated, or the one stated is not a CRS PROJ knows
    (``EPSG:abc``: an error blaming the config's CRS before)."""
    code = fields.get("proj:code")
    epsg = fields.get("proj:epsg")
    try:  # a whole number, as STAC writes it (32631, 32631.0 or "32631")
        from_epsg = f"EPSG:{int(float(epsg))}" if epsg else None
    except (TypeError, ValueError):
        from_epsg = None  # malformed: the header's CRS is used
    if not code:
        return from_epsg
    text = str(code).strip()
    return text if _known_crs(text) else None


def _two_crs(fields: dict[str, Any]) -> bool:
    """Whether ``proj:code`` and ``proj:epsg`` both state a CRS, and not the same one: a
    grid stated with them is not taken (its file's header is read), since which of the two
    the file is in is not known (``proj:code`` won: a scene stated in another zone than
    its ``proj:epsg``, and its file, was placed off the region)."""
    code, epsg = fields.get("proj:code"), fields.get("proj:epsg")
    if not code or not epsg:
        return False
    try:
        return str(code).strip().upper() != f"EPSG:{int(float(epsg))}"
    except (TypeError, ValueError):
        return False


@functools.lru_cache(maxsize=256)
def _known_crs(text: str) -> bool:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(text)
    except (CRSError, TypeError, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=256)
def _earth_crs(text: str) -> bool:
    """Whether PROJ can put the CRS ``text`` on the earth (a transformation to WGS 84):
    ``IAU_2015:30100`` (the Moon) parses, but no Earth region can be reached from it. A
    grid stated in such a CRS is not taken: read as the file's, the composite's error
    named it the file's CRS, though the file's own header may hold another."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError, ProjError

    try:
        crs = CRS.from_user_input(text)
        if crs.is_engineering:
            return False
        Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    except (CRSError, ProjError, TypeError, ValueError):
        return False
    return True


def _asset_grid(item: pystac.Item, asset: pystac.Asset) -> AssetGrid | None:
    """The asset's grid from ``proj:*`` (asset fields over item properties), else ``None``.

    The shape and the transform come from one place: an asset that states either states
    its own grid, and the other is not taken from the item (a 20 m band's own
    ``proj:transform`` under the item's 10 m ``proj:shape`` made a grid twice the tile,
    refused only when a chunk read it, in a worker); an asset stating a CRS of its own,
    other than the item's, takes no grid of the item's (whose numbers are in the item's
    CRS). Where the asset leaves
    part of its grid out, its file's header decides.
    """
    fields = {**item.properties, **asset.extra_fields}
    own = asset.extra_fields
    if ("proj:shape" in own) != ("proj:transform" in own):
        return None
    if "proj:shape" not in own and any(k in own for k in _CRS_KEYS) and (
            _crs_of(own) != _crs_of(item.properties) or _crs_of(own) is None):
        return None
    shape, transform = fields.get("proj:shape"), fields.get("proj:transform")
    if not isinstance(shape, list | tuple) or not isinstance(transform, list | tuple):
        return None
    try:
        rows, cols = (int(v) for v in shape)
        a, b, c, d, e, f = (float(v) for v in list(transform)[:6])
    except (TypeError, ValueError):
        return None
    if rows <= 0 or cols <= 0 or a == 0 or e == 0 or _two_crs(fields):
        return None
    if not _own_grid(item, asset, abs(a)):
        return None  # another resolution than the item's grid: the file's header decides
    crs = _crs_of(fields)
    if crs is not None and not _earth_crs(crs):
        return None  # the file's header says where it is; the item's word is warned of
    try:
        dtype = _raster_fields(asset).get("data_type")
    except ValueError:  # refused, naming the item, where its calibration is read
        dtype = None
    return AssetGrid(crs=crs, transform=(a, b, c, d, e, f), shape=(rows, cols),
                     dtype=str(dtype) if dtype else None)


_CRS_KEYS = ("proj:epsg", "proj:code", "proj:wkt2", "proj:projjson")
"""The projection extension's fields that state a CRS."""


PAN_CELL_M = 15.0
"""The cell of Landsat 7 ETM+ and 8-9 OLI panchromatic bands (the others: 30 m)."""


def _own_grid(item: pystac.Item, asset: pystac.Asset, size: float) -> bool:
    """Whether a grid of ``size`` cells can be the asset's: the asset states it itself, or
    takes the item's ``proj:*`` and neither its ``gsd`` nor its band (a Landsat
    panchromatic band: 15 m beside 30 m) says it has other pixels. An item stating one
    grid for assets of several resolutions gave the 15 m pan band the 30 m bands' grid
    (refused only when a chunk read it, in a worker)."""
    own = asset.extra_fields
    if "proj:shape" in own and "proj:transform" in own:
        return True
    gsd = own.get("gsd")
    if isinstance(gsd, int | float) and not isinstance(gsd, bool) and gsd > 0 and \
            size > 0.5 and not math.isclose(float(gsd), size, rel_tol=0.01):  # metres
        return False
    first = _first_band(asset, "eo:bands", "bands")
    common = str(first.get("common_name") or first.get("eo:common_name") or "").lower()
    name = str(first.get("name") or "").upper()
    pan = common == "pan" or (_product(item) in ("landsat-l1", "landsat-l2")
                              and name in ("B8", "B08"))
    return not pan or math.isclose(size, PAN_CELL_M, rel_tol=0.01)


FOOTPRINT_SLACK_DEG = 0.5
"""Degrees a stated grid may lie beyond its item's ``bbox`` and still be on it (a UTM zone
is 6 degrees wide: a grid stated in a neighbouring zone lands several degrees away)."""


def _on_footprint(grid: AssetGrid, item_crs: str | None, bbox: Any) -> bool:
    """Whether the grid an item states for an asset lies on the item's own ``bbox``
    (longitude/latitude), within :data:`FOOTPRINT_SLACK_DEG`.

    A grid whose CRS is unstated or unknown, an item without a usable ``bbox`` (or one
    across the antimeridian) cannot be checked and passes: the files' headers are checked
    against stated grids when their pixels are read
    (:func:`prospect.io.warp.check_stated_grid`).
    """
    crs = grid.crs or item_crs
    if crs is None or not isinstance(bbox, list | tuple) or len(bbox) not in (4, 6):
        return True
    try:
        west, south = float(bbox[0]), float(bbox[1])
        east, north = (float(bbox[3]), float(bbox[4])) if len(bbox) == 6 else \
            (float(bbox[2]), float(bbox[3]))
    except (TypeError, ValueError):
        return True
    if not all(map(math.isfinite, (west, south, east, north))) or west > east:
        return True
    from rasterio.errors import RasterioError
    from rasterio.warp import transform_bounds

    a, b, c, d, e, f = grid.transform
    rows, cols = grid.shape
    xs = [c + a * i + b * j for i, j in ((0, 0), (cols, 0), (0, rows), (cols, rows))]
    ys = [f + d * i + e * j for i, j in ((0, 0), (cols, 0), (0, rows), (cols, rows))]
    try:
        lon0, lat0, lon1, lat1 = transform_bounds(crs, "EPSG:4326", min(xs), min(ys),
                                                  max(xs), max(ys))
    except (RasterioError, ValueError):
        return True  # a CRS GDAL does not know: the header read says what is wrong
    if not all(map(math.isfinite, (lon0, lat0, lon1, lat1))):
        return False  # coordinates the stated CRS cannot place on Earth
    slack = FOOTPRINT_SLACK_DEG
    return lon0 <= east + slack and lon1 >= west - slack and \
        lat0 <= north + slack and lat1 >= south - slack


def read_stac_scenes(href: str, assets: dict[str, str], *, mask_asset: str | None = None,
                     timeout_s: float = STAC_TIMEOUT_S,
                     reduced: bool = False) -> list[StacScene]:
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
    timeout_s
        Seconds a remote STAC document may take to answer.
    reduced
        The assets' values are reduced across items (a composite's median): a quality
        layer of class codes or bit flags among ``assets`` is refused
        (:func:`_check_not_coded`); a mosaic picks one item's codes and may read one.

    Raises
    ------
    DataError
        No items, an item lacks one of the asset keys, a malformed value in an item, an
        item acquired in the future, items of Level-1 and Level-2 products together, or
        (``reduced``) a quality layer of codes or flags named as a band.
    InputFileError
        The STAC document cannot be read (or a remote one does not answer in time).

    Warns
    -----
    DataWarning
        An item listed more than once (read once), or items holding one acquisition
        (the same platform, tile or WRS path/row and time: only the first is read).
    """
    items = _items(href, timeout_s)
    if not items:
        raise DataError(f"{href}: the STAC catalog holds no items")
    scenes = []
    read: list[pystac.Item] = []  # the item of each scene
    bands_of = _bands_of_keys(items, [*assets.values(), *([mask_asset] if mask_asset else [])])
    keys_of: dict[str, dict[str, str]] = {}  # each item's own keys, where others
    seen: dict[tuple[str | None, str], int] = {}
    acquired: dict[tuple[str, ...], str] = {}
    twins: list[tuple[str, str]] = []
    for item in items:
        key = (item.collection_id, item.id)
        if key in seen:
            seen[key] += 1
            continue
        seen[key] = 1
        when = _acquisition(item)
        if when is not None and when in acquired:
            twins.append((item.id, acquired[when]))
            continue
        if when is not None:
            acquired[when] = item.id
        try:
            item_span(item)  # a range that ends before it starts dates nothing
            future = _in_future(item)
            if future is not None:
                raise DataError(future)
        except DataError as exc:
            raise DataError(f"{href}: {exc}") from None
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"{href}: item {item.id!r}: a malformed start_datetime or end_datetime "
                f"({exc}); give RFC 3339 times, e.g. 2024-04-01T00:00:00Z") from None
        own = {var: _own_key(item, key, bands_of) for var, key in assets.items()}
        own_mask = _own_key(item, mask_asset, bands_of) if mask_asset else None
        if own != assets:
            keys_of[item.id] = own
        why = _aster_swir(item, own)
        if why is not None:
            raise DataError(f"{href}: item {item.id!r}: {why}")
        scenes.append(_scene(href, item, own, own_mask, reduced=reduced))
        read.append(item)
    dated = list(zip(read, scenes, strict=True))
    try:
        scenes = _join_midnight(read, _join_passes(read, scenes))
    except DataError as exc:
        raise DataError(f"{href}: {exc}") from None
    repeated = {k[1]: n for k, n in seen.items() if n > 1}
    if repeated:
        named = ", ".join(f"{k!r} ({n} times)" for k, n in list(repeated.items())[:5])
        warnings.warn(DataWarning(
            f"{href}: {len(repeated)} STAC item(s) listed more than once, each read once: "
            f"{named}{' ...' if len(repeated) > 5 else ''}; a composite would have counted "
            "them twice (remove the repeats, or search again)"), stacklevel=2)
    if twins:
        named = ", ".join(f"{a!r} (as {b!r})" for a, b in twins[:5])
        warnings.warn(DataWarning(
            f"{href}: {len(twins)} STAC item(s) are an acquisition another item already "
            f"holds (same tile or path/row, platform and time; a reprocessing or another "
            f"collection), left out: {named}{' ...' if len(twins) > 5 else ''}; a composite "
            "would have counted the scene twice (search one collection, or remove the "
            "repeats)"), stacklevel=2)
    _check_levels(href, scenes)
    _check_named_days(href, dated)
    _warn_unsaturated(href, scenes)
    _warn_spans(href, scenes)
    _warn_low_sun(href, dated, assets, keys_of)
    _warn_offset_applied(href, items, scenes, assets, keys_of)
    _warn_systematic(href, read)
    return scenes


def _correction(item: pystac.Item) -> str:
    """An item's Landsat processing level: its ``landsat:correction``, else its id's
    (``LC08_L1GT_...``); ``""`` where neither states one."""
    stated = str(item.properties.get("landsat:correction") or "").strip()
    if stated:
        return stated
    ident = landsat_id(str(item.id))
    return ident.level if ident is not None and ident.level is not None and \
        str(item.id).upper().startswith(ident.text.upper()) else ""


def _warn_systematic(href: str, items: list[pystac.Item]) -> None:
    """Warn of the items whose Landsat processing level places their pixels without
    ground control (``L1GT``, ``L1GS``: :func:`~prospect.ingest.landsat.systematic_level`):
    a search of a Level-1 collection returns them beside ``L1TP`` ones, and they went
    into the composite without a word, a few pixels off the others."""
    from prospect.ingest.landsat import systematic_level

    off = [(item.id, _correction(item)) for item in items
           if systematic_level(_correction(item)) is not None]
    if not off:
        return
    named = ", ".join(f"{i!r} ({level})" for i, level in off[:5])
    said = systematic_level(off[0][1])
    warnings.warn(DataWarning(
        f"{href}: item(s) {named}{' ...' if len(off) > 5 else ''} ({len(off)} of "
        f"{len(items)}) are of {said}; leave them out of the catalogue, or "
        "search with stac_search.properties {landsat:correction: {eq: L1TP}}"),
        stacklevel=3)


_COMMON_NAMES = frozenset((
    "coastal", "blue", "green", "red", "yellow", "pan", "rededge", "rededge071",
    "rededge075", "rededge078", "nir", "nir08", "nir09", "cirrus", "swir16", "swir22",
    "lwir", "lwir11", "lwir12"))
"""The STAC ``eo`` extension's common band names (an asset key of Earth Search v1)."""


def _band_names(asset: pystac.Asset) -> tuple[str, str]:
    """The asset's first ``eo:bands``/``bands`` object's ``name`` and common name (lower
    case; ``""`` where unstated or malformed)."""
    try:
        first = _first_band(asset, "eo:bands", "bands")
    except ValueError:  # refused where the band is checked
        return "", ""
    common = first.get("common_name") or first.get("eo:common_name") or ""
    return str(first.get("name") or "").lower(), str(common).lower()


def _one_band(asset: pystac.Asset) -> bool:
    """Whether the asset states at most one band (a true-colour ``visual`` asset, whose
    first band is red too, is no band's)."""
    listed = [asset.extra_fields.get(k) for k in ("eo:bands", "bands")]
    return all(not isinstance(b, list) or len(b) <= 1 for b in listed)


def _bands_of_keys(items: list[pystac.Item], keys: list[str]) -> dict[str, str]:
    """Each asset ``key``'s common band name, as the items holding it state it (or the key
    itself where it is one: Earth Search v1's ``red``), for :func:`_own_key`."""
    out: dict[str, str] = {}
    for key in keys:
        if key.lower() in _COMMON_NAMES:
            out[key] = key.lower()
            continue
        said = {_band_names(item.assets[key])[1] for item in items if key in item.assets}
        said.discard("")
        if len(said) == 1:
            out[key] = said.pop()
    return out


def _own_key(item: pystac.Item, key: str, bands_of: dict[str, str]) -> str:
    """The item's own key of the asset the source names ``key``: ``key`` where the item has
    it, else the one asset spelling it in another case (Earth Search v0's ``SCL``, v1's
    ``scl``), else the one data asset of the band ``key`` is (its common name,
    :func:`_bands_of_keys`: Planetary Computer's ``B04`` and Earth Search v1's ``red``),
    a COG before its JPEG 2000 twin (``red-jp2``); ``key`` where none or several are
    (refused as before, naming the item's keys).

    A catalogue merging items of two catalogues (Earth Search v0's or Planetary
    Computer's ``B04`` beside Earth Search v1's ``red``) was refused whichever key the
    source named, its items holding one band under two keys, and no config could read
    them together."""
    if key in item.assets:
        return key
    same = [k for k in item.assets if k.lower() == key.lower()]
    if len(same) == 1:
        return same[0]
    common = bands_of.get(key)
    if common is None:
        return key
    found = [k for k, a in item.assets.items()
             if (k.lower() == common or _band_names(a)[1] == common
                 or _band_names(a)[0] == common)
             and "data" in (a.roles or ["data"]) and _one_band(a)]
    cogs = [k for k in found if "jp2" not in str(item.assets[k].media_type or "").lower()
            and not str(item.assets[k].href or "").lower().endswith(".jp2")]
    found = cogs or found
    return found[0] if len(found) == 1 else key


def _same_files_key(item: pystac.Item, scene: StacScene
                    ) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The item's acquisition time and the files its bands are read from, each by its
    real path where local (:func:`prospect.io.files.one_spelling`): items of one time
    and the same files are one scene under two ids.
    Two such items (a user's catalogue listing a scene as ``scene-1`` and as
    ``wageningen``) were two looks of the same pixels in a composite's count and median,
    without a word."""
    when = _utc(item.datetime).isoformat() if item.datetime is not None else str(scene.date)
    return when, tuple(sorted(
        (var, one_spelling(href)) for var, href in scene.bands.items()))


OVERPASS_GAP = dt.timedelta(minutes=30)
"""Items of one platform and orbit this close in time are one pass: a pass over a region
takes minutes (WRS rows 24 s apart, Sentinel-2 granules seconds), the next orbit comes
about 100 minutes later and the same orbit days later."""


def _join_midnight(items: list[pystac.Item], scenes: list[StacScene]) -> list[StacScene]:
    """``scenes`` with the overpass key of a pass that crosses midnight UTC made one.

    Overpasses are keyed by the UTC date (:func:`_overpass`), so two WRS rows of one
    Landsat path over eastern Australia (10:00 local is 00:00 UTC at 150 E), acquired at
    23:59:50 and 00:00:14 UTC, were two overpasses: one look counted twice in
    ``<source>_count`` (``min_count`` met by it) and weighed twice in the median. Items
    of one platform and orbit less than :data:`OVERPASS_GAP` apart take the key of the
    earliest of them; every other key is left as it is.
    """
    timed = sorted(
        ((scene.overpass[0], _utc(item.datetime), n) for n, (item, scene) in
         enumerate(zip(items, scenes, strict=True))
         if scene.overpass is not None and item.datetime is not None and scene.span is None),
        key=lambda t: (t[0], t[1]))
    out = list(scenes)
    for (orbit, when, n), (prev_orbit, prev_when, m) in zip(timed[1:], timed, strict=False):
        if orbit == prev_orbit and when - prev_when < OVERPASS_GAP and \
                out[n].overpass != out[m].overpass:
            out[n] = dataclasses.replace(out[n], overpass=out[m].overpass)
    return out


def _warn_offset_applied(href: str, items: list[pystac.Item], scenes: list[StacScene],
                         assets: dict[str, str],
                         keys_of: dict[str, dict[str, str]] | None = None) -> None:
    """Say once which Sentinel-2 items state a ``raster:bands`` offset that their own
    ``earthsearch:boa_offset_applied: true`` says was applied to the DNs already: the
    offset is not applied again (it was: every reflectance 0.1 low)."""
    read = {s.item_id for s in scenes}

    def said(item: pystac.Item) -> bool:
        try:
            return offset_applied(item.properties)
        except ValueError:  # a malformed flag: its spectral assets were refused
            return False

    both = [item.id for item in items if item.id in read
            and _product(item) == "sentinel-2" and said(item)
            and any(_raster_band(item.assets[k])[1] != 0
                    for k in (keys_of or {}).get(item.id, assets).values()
                    if k in item.assets and "offset" in _raster_fields(item.assets[k]))]
    if not both:
        return
    shown = ", ".join(repr(i) for i in both[:3]) + (" ..." if len(both) > 3 else "")
    warnings.warn(DataWarning(
        f"{href}: {len(both)} Sentinel-2 item(s) ({shown}) say earthsearch:"
        "boa_offset_applied: true (the catalogue shifted their DNs back by BOA_ADD_OFFSET) "
        "but state a raster:bands offset too; it is not applied again, so reflectance is "
        "DN x 1e-4 (both would read every reflectance 0.1 low). If their DNs still carry "
        "the +1000 (the property is wrong), fix the items' property"), stacklevel=3)


def _warn_spans(href: str, scenes: list[StacScene]) -> None:
    """Say once which items are mosaics of acquisitions over more than a day, and the
    date each is given (its range's midpoint; it was dated by its first day)."""
    spread = [s for s in scenes if s.span is not None]
    if not spread:
        return
    shown = ", ".join(f"{s.item_id!r} ({s.span[0][:10]}..{s.span[1][:10]}, dated "
                      f"{s.date})" for s in spread[:3] if s.span is not None)
    warnings.warn(DataWarning(
        f"{href}: {len(spread)} STAC item(s) state no datetime but a start_datetime.."
        f"end_datetime range of more than a day, so each is a mosaic of acquisitions over "
        f"that range, not one scene: {shown}{' ...' if len(spread) > 3 else ''}; each is "
        "dated by its range's midpoint (for 'most_recent', time series and the recorded "
        "dates) and its range is recorded"), stacklevel=3)


def _warn_low_sun(href: str, dated: list[tuple[pystac.Item, StacScene]],
                  assets: dict[str, str], keys_of: dict[str, dict[str, str]]) -> None:
    """Say once which Level-1 (top-of-atmosphere) items read for a reflective band have
    a sun above the horizon but under :data:`~prospect.ingest.landsat.LOW_SUN` degrees
    (``view:sun_elevation``; :func:`~prospect.ingest.landsat.low_sun`): their reflectance
    is the rescaled DNs divided by a small sine (11.5 times them at 5 degrees) and went
    in without a word. Items of thermal bands alone, and night items (refused where
    reflective), are not named."""
    low: list[str] = []
    for item, scene in dated:
        sun = scene.sun_elevation
        factor = low_sun(sun) if scene.level == "L1" else None
        keys = keys_of.get(item.id, assets).values()
        if factor is not None and sun is not None and any(
                k in item.assets and not _is_thermal(item.assets[k], k) for k in keys):
            low.append(f"{item.id!r} ({_sun_said(item, sun)}, "
                       f"x {factor:.1f})")
    if not low:
        return
    warnings.warn(DataWarning(
        f"{href}: {len(low)} Level-1 STAC item(s) put the sun under {LOW_SUN:g} degrees "
        f"above the horizon: {', '.join(low[:3])}{' ...' if len(low) > 3 else ''}; their "
        "top-of-atmosphere reflectance is the rescaled DNs divided by sin(sun elevation), "
        f"the factor given, and {LOW_SUN_FIX}"), stacklevel=3)


def _warn_unsaturated(href: str, scenes: list[StacScene]) -> None:
    """Say once when Landsat Collection 2 Level-2 items have no ``qa_radsat`` asset: their
    saturated pixels cannot be told (Level-2 has no saturated DN of its own, as Level-1's
    65535 or 255 is) and go in as values, as before."""
    bare = [s.item_id for s in scenes if s.product == "landsat-l2" and s.calibration
            and all(c.saturation is None for c in s.calibration.values())]
    if not bare:
        return
    shown = ", ".join(repr(b) for b in bare[:3]) + (" ..." if len(bare) > 3 else "")
    warnings.warn(DataWarning(
        f"{href}: {len(bare)} Landsat Collection 2 Level-2 item(s) ({shown}) have no "
        "qa_radsat asset, so their saturated pixels are not masked and go in as values (as "
        "before); items with the product's qa_radsat asset read them as no data"),
        stacklevel=3)


def _aster_swir(item: pystac.Item, assets: dict[str, str]) -> str | None:
    """Why the ``assets`` of an ASTER item (``instruments: [aster]`` or an ASTER
    collection) acquired on or after 2008-04-01 cannot be read: the SWIR ones (asset key,
    variable or ``eo:bands`` name ``SWIR``, ``B04``..``B09``, ``swir16``...) hold no usable
    data since the SWIR detector failed (:data:`prospect.config.sources.ASTER_SWIR_FAILED`);
    ``None`` otherwise."""
    from prospect.config.sources import ASTER_SWIR_FAILED, is_aster_swir_name

    props = item.properties
    instruments = [str(i).lower() for i in props.get("instruments") or []]
    if "aster" not in instruments and "aster" not in str(item.collection_id or "").lower():
        return None
    when = _item_date(item)
    if when is None or when < ASTER_SWIR_FAILED:
        return None
    swir = []
    for var, key in assets.items():
        asset = item.assets.get(key)
        bands = asset.extra_fields.get("eo:bands") if asset is not None else None
        names = [var, key] + [str(b.get("name") or b.get("common_name") or "")
                              for b in (bands if isinstance(bands, list) else [])
                              if isinstance(b, dict)]
        if any(is_aster_swir_name(n) for n in names):
            swir.append(var)
    if not swir:
        return None
    return (f"ASTER SWIR asset(s) {swir} acquired on {when}, after ASTER's SWIR detector "
            f"failed (bands 4-9 unusable, saturated and striped, from {ASTER_SWIR_FAILED}; "
            "USGS/JAXA); drop the SWIR assets (VNIR and TIR are sound) or search for "
            "scenes acquired before April 2008")


def _acquisition(item: pystac.Item) -> tuple[str, ...] | None:
    """What names one acquisition (platform, tile or WRS path/row, time), when the item
    states all of it; ``None`` otherwise."""
    props = item.properties
    tile = props.get("s2:mgrs_tile") or props.get("grid:code")
    if not tile and props.get("landsat:wrs_path") is not None and \
            props.get("landsat:wrs_row") is not None:
        tile = f"WRS {props['landsat:wrs_path']}/{props['landsat:wrs_row']}"
    if not tile or item.datetime is None:
        return None
    return (str(props.get("platform") or ""), str(tile), _utc(item.datetime).isoformat())


COMMON_NAMES = frozenset({
    "coastal", "blue", "green", "red", "yellow", "rededge", "rededge071", "rededge075",
    "rededge078", "nir", "nir08", "nir09", "cirrus", "swir16", "swir22", "lwir", "lwir11",
    "lwir12", "pan"})
"""STAC ``eo`` common band names: a variable so named must hold that band."""
_LANDSAT_BAND = re.compile(r"^(?:SR_|ST_)?B(\d{1,2})$", re.IGNORECASE)
_S2_RESOLUTION = re.compile(r"_\d{2}m$", re.IGNORECASE)
"""The resolution ending a Sentinel-2 band's name (``B04_10m``)."""


def _band_id(product: str | None, name: str) -> str | None:
    """A band name as the product numbers it (``B04`` for Sentinel-2, ``4`` for Landsat).

    A Sentinel-2 name may end in its resolution (``B04_10m``, ``B8A_20m``: the asset keys
    of the Copernicus Data Space catalogue, as ESA names the band files): such an asset
    without ``eo:bands`` was no band, so a baseline 04.00 item's -1000 DN offset was not
    applied (reflectance 0.1 high, without a word)."""
    if product == "sentinel-2":
        return s2_band_key(_S2_RESOLUTION.sub("", name))
    if product in ("landsat-l1", "landsat-l2"):
        m = _LANDSAT_BAND.match(name)
        return str(int(m.group(1))) if m else None
    return None


def _held_words(item: pystac.Item, product: str | None, key: str,
                held: str | None, name: str = "") -> frozenset[str] | None:
    """The band words (``red``, ``nir``...) of the band an asset holds: its ``eo:bands``
    name (``held``), else its key, numbered as the item's product numbers bands."""
    from prospect.ingest.landsat import band_words
    from prospect.ingest.sentinel2 import S2_WORDS

    band = held or _band_id(product, key)
    if band is None:
        return None
    if product == "sentinel-2":  # ESA's own spelling only: "B5" may be Landsat's numbering
        text = _S2_RESOLUTION.sub("", name if held else key)
        padded = re.fullmatch(r"B(?:0\d|1[0-2]|8A)", text, re.IGNORECASE)
        return S2_WORDS.get(band) if padded else None
    satellite = _landsat_satellite(item)
    if satellite is None:
        digits = "".join(ch for ch in str(item.properties.get("platform", "")) if ch.isdigit())
        satellite = int(digits) if digits else None
    if satellite is None or _landsat_sensor(item) == "MSS":
        return None  # MSS numbers bands otherwise (its band 2 is red, TM's green)
    return band_words(satellite, int(band))


_LANDSAT_SENSORS = {"mss": "MSS", "tm": "TM", "etm": "ETM+", "etm+": "ETM+",
                    "oli": "OLI", "tirs": "OLI", "olitirs": "OLI", "oli_tirs": "OLI",
                    "oli-tirs": "OLI"}
"""STAC ``instruments`` of Landsat's sensors (their band numbering: TIRS beside OLI)."""
_SENSOR_SATELLITE = {"TM": 5, "ETM+": 7, "OLI": 8}
"""A satellite of each numbering (TM's is Landsat 4's and 5's, OLI's Landsat 9's)."""
_ID_SENSORS = {"M": "MSS", "T": "TM", "E": "ETM+", "C": "OLI", "O": "OLI"}


def _landsat_sensor(item: pystac.Item) -> str | None:
    """The Landsat sensor (``MSS``, ``TM``, ``ETM+``, ``OLI``) an item states by its
    ``instruments`` (``[tm]``, ``["oli", "tirs"]``) or its id's sensor letter, else
    ``None``."""
    stated = {_LANDSAT_SENSORS.get(str(i).strip().lower())
              for i in item.properties.get("instruments") or []} - {None}
    if len(stated) == 1:
        return stated.pop()
    ident = landsat_id(str(item.id))
    if ident is not None and ident.sensor in _ID_SENSORS and \
            not (ident.sensor == "T" and ident.satellite >= 8):  # LT08: TIRS alone
        return _ID_SENSORS[ident.sensor]
    return None


def _landsat_satellite(item: pystac.Item) -> int | None:
    """The Landsat satellite (5, 7, 8, 9...) an item states by its ``platform``
    (``landsat-5``, ``LANDSAT_5``) or its id (a Landsat product or scene id,
    ``LT05_L2SP_...``), whatever its collection and ``landsat:correction`` say, else one
    whose sensor numbers bands as the ``instruments`` it states (``[tm]``: 5, ``[etm+]``:
    7, ``["oli", "tirs"]``: 8); else ``None``.

    An item of a user's catalogue stating its sensor alone (``instruments: [tm]``, no
    platform, no Landsat id) was of no satellite, so its band names were not read as
    band numbers: ``red: SR_B4`` took TM's near infrared beside OLI's red into one
    composite without a word."""
    platform = re.sub(r"[^a-z0-9]", "", str(item.properties.get("platform") or "").lower())
    found = re.fullmatch(r"landsat(\d{1,2})", platform)
    if found:
        return int(found.group(1))
    ident = landsat_id(str(item.id))
    if ident is not None:
        return ident.satellite
    return _SENSOR_SATELLITE.get(_landsat_sensor(item) or "")


def _landsat_named(item: pystac.Item) -> str:
    """How an item states its Landsat (``Landsat 5``; ``Landsat TM`` for one stating its
    instruments alone), for messages."""
    platform = re.sub(r"[^a-z0-9]", "", str(item.properties.get("platform") or "").lower())
    if re.fullmatch(r"landsat\d{1,2}", platform) or landsat_id(str(item.id)) is not None:
        return f"Landsat {_landsat_satellite(item)}"
    stated = ", ".join(str(i) for i in item.properties.get("instruments") or [])
    return f"Landsat {_landsat_sensor(item)} (instruments: {stated})"


def _numbering(item: pystac.Item | None, product: str | None) -> str | None:
    """The product whose band numbers an item's band names follow: its own
    (:func:`_product`), else Landsat's where the item states a Landsat satellite
    (:func:`_landsat_satellite`).

    A Landsat item of a user's catalogue stating its platform (``landsat-5``) or its id
    (``LT05_L2SP_...``) but not its collection or ``landsat:correction`` was of no
    product, so its band names (``SR_B4``) were not read as band numbers: ``red: SR_B4``
    took TM's near infrared beside OLI's red into one composite without a word."""
    if product is None and item is not None and _landsat_satellite(item) is not None:
        return "landsat-l2"  # Level-1 and Level-2 number bands alike
    return product


def _common_words(common: str) -> frozenset[str]:
    """The band words (``swir``, ``swir1``, ``swir16``) of the band a STAC common name
    (``swir16``) names, in any sensor's tables; empty for a name no table holds."""
    from prospect.ingest.landsat import _OLI_WORDS, _TM_WORDS
    from prospect.ingest.sentinel2 import S2_WORDS

    tables = (*_TM_WORDS.values(), *_OLI_WORDS.values(), *S2_WORDS.values())
    return frozenset().union(*(t for t in tables if common in t))


_NOT_NIR = frozenset({"nir09"})
"""Common names beginning ``nir`` of no near-infrared band a variable ``nir`` takes:
``nir09`` is Sentinel-2's water vapour band (B09, 945 nm, 60 m; Earth Search's asset
``nir09``), which a variable ``nir`` took without a word (NDVI of water vapour)."""

_LANDSAT_NIR = frozenset({"nir", "nir08"})
"""The common names of Landsat's one near-infrared band (OLI's band 5, TM's band 4): STAC
1.0 catalogues call it ``nir``, later ones ``nir08``; Sentinel-2 has both (B08 ``nir``,
B8A ``nir08``), which differ."""


def _check_one_band_asset(var: str, key: str, asset: pystac.Asset) -> None:
    """Refuse an asset whose ``eo:bands``, ``bands`` or ``raster:bands`` list several bands
    (one GeoTIFF of blue, green, red and NIR): each asset of an item is read as one band,
    its first, so ``{b4: image}`` went in as the blue band (0.1 for a red of 0.3), exit 0, and
    ``{red: image}`` was told "the asset holds band B2 (blue) ... bands in the wrong
    order", where no other asset held red.

    Raises
    ------
    DataError
        Naming the asset, its bands and how to read one of them.
    """
    listed = [b for k in ("eo:bands", "bands", "raster:bands")
              if isinstance(b := asset.extra_fields.get(k), list)]
    if not listed or max(len(b) for b in listed) <= 1:
        return
    bands = max(listed, key=len)
    names = [str(b.get("common_name") or b.get("eo:common_name") or b.get("name") or
                 f"band {n}") if isinstance(b, dict) else f"band {n}"
             for n, b in enumerate(bands, 1)]
    raise DataError(
        f"the config names asset {key!r} {var!r}, but the asset lists {len(bands)} bands "
        f"({', '.join(names)}), and each asset of an item is read as one band (its first, "
        f"{names[0]}), so {var!r} would hold it whatever it names; map each variable to an "
        "asset of one band (a catalogue's per-band assets), or read the file in a plain "
        "source with 'path:' and 'band_names:'")


def _check_band(var: str, key: str, asset: pystac.Asset, product: str | None,
                item: pystac.Item | None = None) -> None:
    """Refuse a variable named as one band (``B04``, ``red``) given the asset of another
    (its ``eo:bands`` name or common name): bands in the wrong order went in silently.

    Raises
    ------
    DataError
        Naming the variable, the asset and the band it holds; or an asset that lists
        several bands (:func:`_check_one_band_asset`).
    """
    _check_one_band_asset(var, key, asset)
    first = _first_band(asset, "eo:bands", "bands")
    name = str(first.get("name") or "")
    common = str(first.get("common_name") or first.get("eo:common_name") or "").lower()
    product = _numbering(item, product)
    wanted, held = _band_id(product, var), _band_id(product, name)
    low = var.lower()
    wrong = (wanted is not None and held is not None and wanted != held) or (
        low in COMMON_NAMES and common and low != common
        and not (low in ("nir", "rededge") and common.startswith(low)
                 and common not in _NOT_NIR)
        and not (product in ("landsat-l1", "landsat-l2") and {low, common} <= _LANDSAT_NIR))
    if not wrong and item is not None and not common and wanted is None:
        # a variable named for a band (red, nir, swir16) given an asset whose eo:bands (or
        # key) names another band by number only: B08 is NIR, not red
        from prospect.ingest.landsat import band_words_in

        words = band_words_in(low)
        known = _held_words(item, product, key, held, name)
        wrong = bool(words and known and not words & known)
        if wrong and not name:
            name = key
        if wrong and known:
            common = "/".join(sorted(known))
    if not wrong and common and low not in COMMON_NAMES:
        # a variable named for a band in words (swir_2, red_edge) given an asset whose
        # common name is another band's (Earth Search's swir16 is SWIR 1)
        from prospect.ingest.landsat import band_words_in

        words, known = band_words_in(low), _common_words(common)
        wrong = bool(words and known and not words & known)
    if wrong:
        satellite = _landsat_named(item) if item is not None and product in (
            "landsat-l1", "landsat-l2") and _landsat_satellite(item) is not None else None
        of = (f" of {satellite} (band numbers differ between sensors: band 4 is "
              "red on Landsat 8/9, near infrared on Landsat 4-7: a catalogue of both "
              "takes a source for each)") if satellite else ""
        shown = " ".join(x for x in (name, f"({common})" if common else "") if x)
        raise DataError(
            f"the config names asset {key!r} {var!r}, but the asset holds band {shown}{of}; "
            "map each variable to the asset of its own band (bands in the wrong order)")


_CODED_UNITS = frozenset({"bit index", "bit_index", "bitfield", "bitfields", "bit field",
                          "bit fields", "flags", "class", "classes"})
"""``raster:bands`` ``unit`` values that say an asset holds flags or class codes
(Planetary Computer's Landsat ``qa_pixel``, ``qa_radsat``, ``qa_aerosol``: "bit index")."""


def _coded_asset(asset: pystac.Asset, href: str) -> tuple[str | None, str] | None:
    """``(kind, what)`` where the asset is a quality layer of class codes or bit flags:
    by its file name (:func:`~prospect.ingest.cloudmask.coded_layer`, with the
    ``cloud_mask.kind`` that reads it), its ``classification:classes`` or
    ``classification:bitfields``, or a ``raster:bands`` unit of "bit index" (kind
    ``None``); else ``None``."""
    from prospect.ingest.cloudmask import coded_layer

    file = href.split("?")[0]
    named = coded_layer(file)
    if named is not None:
        return named[0], f"{named[1]}, by its file name {PurePosixPath(file).name}"
    wheres = [asset.extra_fields,
              *(b for key in ("raster:bands", "bands")
                if isinstance(bands := asset.extra_fields.get(key), list)
                for b in bands if isinstance(b, dict))]
    for where in wheres:
        for field_ in ("classification:bitfields", "classification:classes"):
            if where.get(field_):
                kind = "bit flags" if field_.endswith("bitfields") else "class codes"
                return None, f"a layer of {kind}, as its {field_} states"
        unit = where.get("unit")
        if isinstance(unit, str) and unit.strip().lower() in _CODED_UNITS:
            return None, f"a layer of flags or class codes, as its unit {unit!r} states"
    return None


def _check_not_coded(var: str, key: str, asset: pystac.Asset, href: str,
                     mask_asset: str | None) -> None:
    """Refuse a quality layer of class codes or bit flags (an SCL, a QA_PIXEL, a
    QA_RADSAT...) named as a band of a composite: every method reduces its codes as
    numbers (the median of SCL's 4, vegetation, and 8, cloud, is 6, water; of two
    QA_PIXEL words, flags of neither scene) and the cube held them as a continuous band,
    exit 0.

    Raises
    ------
    DataError
        Naming the variable, what the asset is and what to do instead.
    """
    coded = _coded_asset(asset, href)
    if coded is None:
        return
    kind, what = coded
    if key == mask_asset:
        instead = f"it is the cloud_mask.asset already: remove {var!r} from assets"
    elif kind is not None:
        instead = (f"to drop its cloudy pixels, name it in cloud_mask.asset with 'kind: "
                   f"{kind}', and remove {var!r} from assets")
    else:
        instead = (f"remove {var!r} from assets (a composite reduces numbers; read a class "
                   "map as a source of its own with 'values: categorical')")
    raise DataError(
        f"the config names asset {key!r} {var!r}, a band of the composite, but it is "
        f"{what}: a median of codes is no class of any scene (SCL's 4, vegetation, and 8, "
        f"cloud, give 6, water); {instead}")


def _asset_href(doc: str, asset: pystac.Asset) -> str:
    """The asset's file: a relative href of an item without a self link (an item
    collection's features) is relative to the document holding it, as in a catalog; it
    became "" and was reported as "a folder, not a raster file"."""
    absolute = asset.get_absolute_href()
    if absolute:
        return absolute
    raw = asset.href
    if not raw or raw.startswith(("http://", "https://", "s3://", "file://", "/")):
        return raw
    if doc.startswith(("http://", "https://")):
        from urllib.parse import urljoin

        return urljoin(doc, raw)
    if "://" in doc and _store_document(doc) is not None:  # beside a catalogue in a bucket
        import posixpath

        scheme, _, key = doc.partition("://")
        return f"{scheme}://{posixpath.normpath(posixpath.join(posixpath.dirname(key), raw))}"
    return str((Path(doc).parent / raw).resolve())


def _scene(href: str, item: pystac.Item, assets: dict[str, str],
           mask_asset: str | None, *, reduced: bool = False) -> StacScene:
    """One item as a :class:`StacScene` (see :func:`read_stac_scenes`)."""
    wanted = [*assets.values(), *([mask_asset] if mask_asset else [])]
    missing = [key for key in wanted if key not in item.assets]
    if missing:
        raise DataError(
            f"{href}: item {item.id!r} has no asset(s) {missing}; it has "
            f"{sorted(item.assets)}"
        )
    empty = [key for key in wanted if not str(item.assets[key].href or "").strip()]
    if empty:
        raise DataError(
            f"{href}: item {item.id!r}: asset(s) {empty} have an empty href, so no file "
            "can be read for them; fix the item (each asset's href names its file)")
    for key in dict.fromkeys(wanted):  # refused by its server: said before any request
        target = _asset_href(href, item.assets[key])
        expired = expired_signature(target)
        if expired is not None:
            raise DataError(
                f"{href}: item {item.id!r}, asset {key!r}: {expired}, so its server refuses "
                f"it (HTTP 403); {RESIGN}")
        unpaid = requester_pays(target)
        if unpaid is not None:
            raise DataError(f"{href}: item {item.id!r}, asset {key!r}: {unpaid}")
        accountless = azure_account_refusal(target, written=False)
        if accountless is not None:  # the config's path: refuses it so too (one mapping)
            raise DataError(f"{href}: item {item.id!r}, asset {key!r}: {redact(target)} is "
                            f"{accountless}, and run again")
    bands = {var: _gdal_href(_asset_href(href, item.assets[key]))
             for var, key in assets.items()}
    props = item.properties
    code = _crs_of(props)
    grids = {var: g for var, key in assets.items()
             if (g := _asset_grid(item, item.assets[key])) is not None}
    mask_grid = _asset_grid(item, item.assets[mask_asset]) if mask_asset else None
    if not all(_on_footprint(g, code, item.bbox) for g in [*grids.values(), mask_grid]
               if g is not None):
        # a stated grid that lies elsewhere than the item's own footprint (a wrong
        # proj:epsg, a transform of another zone): the files' headers say where they are
        grids, mask_grid = {}, None
    try:
        when = _item_date(item)
        cloud_cover = _cloud_cover(props.get("eo:cloud_cover"))
        calibration = {}
        product = _product(item)
        for var, key in assets.items():
            try:
                if reduced:
                    _check_not_coded(var, key, item.assets[key],
                                     _asset_href(href, item.assets[key]), mask_asset)
                _check_band(var, key, item.assets[key], product, item)
                calibration[var] = asset_calibration(item, item.assets[key], key)
            except DataError as exc:
                raise DataError(f"{href}: item {item.id!r}, asset {key!r}: {exc}") from None
            except ValueError as exc:
                raise DataError(
                    f"{href}: item {item.id!r}: a malformed value ({exc}) in asset {key!r}; "
                    "fix the item or leave the field out") from None
        calibration = _with_mtl(href, item, product, assets, calibration)
        calibration = _with_radsat(href, item, product, assets, calibration)
        _check_own_files(href, item.id, assets, bands)
        span = item_span(item)
    except DataError:
        raise
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{href}: item {item.id!r}: a malformed value ({exc}); fix the item or "
            "leave the field out") from None
    return StacScene(
        item_id=item.id, bands=bands, date=when,
        cloud_cover=cloud_cover, crs=code, calibration=calibration,
        mask=_gdal_href(_asset_href(href, item.assets[mask_asset]))
        if mask_asset else None, grids=grids,
        mask_grid=mask_grid,
        product=product, level=_level(item, product),
        overpass=_overpass(item, when) or _named_pass(item, bands.values(), when),
        span=(span[0].isoformat(), span[1].isoformat()) if span is not None else None,
        sun_elevation=_sun_elevation(props),
        unlisted=frozenset(var for var, key in assets.items()
                           if not _lists_bands(item.assets[key])),
    )


def _check_own_files(href: str, item_id: str, assets: dict[str, str],
                     files: dict[str, str]) -> None:
    """Refuse two variables of one item read from one file: each asset is read as its
    band 1, so ``{red: image, nir: image}``, or assets ``B04`` and ``B08`` whose hrefs name
    one file (a catalogue's copy-paste), gave ``nir`` the red values (an NDVI of 0
    everywhere), exit 0.

    Parameters
    ----------
    href
        The document holding the item, for the message.
    item_id
        The item's id.
    assets
        Variable -> asset key, as the config maps them.
    files
        Variable -> the file each is read from (:func:`_gdal_href`).

    Raises
    ------
    DataError
        Naming the item, both variables, their assets, the file and the fix.
    """
    import os.path

    seen: dict[str, str] = {}
    for var, file in files.items():
        local = file if file.startswith("/vsi") else os.path.normpath(file)
        first = seen.setdefault(local, var)
        if first == var:
            continue
        one, two = assets[first], assets[var]
        how = (f"the config maps both to asset {one!r}" if one == two else
               f"its assets {one!r} and {two!r} name one file")
        raise DataError(
            f"{href}: item {item_id!r}: {first!r} and {var!r} would be read from one file "
            f"({redact(file)}): {how}, and each asset is read as one band (its first), so "
            f"both would hold the same values ({var!r} those of {first!r}); map each "
            "variable to the asset of its own band or fix the item's hrefs (a file of "
            "several bands: read it in a plain source with 'path:' and 'band_names:')")


def _lists_bands(asset: pystac.Asset) -> bool:
    """Whether the asset lists its bands (``eo:bands`` or STAC 1.1's ``bands``, one or
    more); ``raster:bands`` alone states a calibration, not which band a file holds."""
    return any(isinstance(b := asset.extra_fields.get(k), list) and len(b) > 0
               for k in ("eo:bands", "bands"))


_UNKNOWN_WORDS = frozenset({"", "null", "none", "nan", "n/a", "na", "unknown", "-"})
"""What catalogues written from tables put for a value not known (an empty cell,
pandas' ``NaN``, ``null`` quoted)."""


def _cloud_cover(value: object) -> float | None:
    """An item's ``eo:cloud_cover`` in percent, or ``None`` where it states none it knows:
    missing, ``null``, a word for unknown (``""``, ``"NaN"``, ``"n/a"``), USGS's -1 or
    another number outside 0..100 (NaN sorted anywhere).

    A percentage written as text, ``"12.5%"`` or ``"12,5"`` (catalogues written from
    spreadsheets), is read; it stopped the composite of every method (the cloud cover
    only ranks ``least_cloudy`` mosaics) as "a malformed value (could not convert string
    to float: '12,5')", without the field's name, as did an empty cell.

    Raises
    ------
    ValueError
        Any other value (``"cloudy"``, a list), naming the field."""
    if value is None:
        return None
    number: float | None = None
    if isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        if text.lower() in _UNKNOWN_WORDS:
            return None
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # a decimal comma
        try:
            number = float(text)
        except ValueError:
            number = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    if number is None:
        raise ValueError(f"eo:cloud_cover {value!r} is not a percentage (a number 0..100, "
                         "-1 or null where unknown)")
    return number if 0.0 <= number <= 100.0 else None


def _sun_elevation(props: dict[str, Any]) -> float | None:
    """``view:sun_elevation`` as a number of degrees (-90..90), else 90 less the
    ``s2:mean_solar_zenith`` (0..180) that Sentinel-2 items of the Planetary Computer
    and stactools' ``sentinel2`` state in its place, else ``None``.

    An L1C item stating its sun by ``s2:mean_solar_zenith`` alone had no sun, so a zenith
    of 85 degrees (a sun 5 degrees high, its reflectance 11.5 times the radiance) went in
    without the word a ``view:sun_elevation`` of 5 gets."""
    sun, zenith = props.get("view:sun_elevation"), False
    if sun is None:
        sun, zenith = props.get("s2:mean_solar_zenith"), True
    if sun is None or isinstance(sun, bool):
        return None
    try:
        value = float(sun)
    except (TypeError, ValueError):
        return None
    if zenith:
        return 90.0 - value if math.isfinite(value) and 0.0 <= value <= 180.0 else None
    return value if math.isfinite(value) and -90.0 <= value <= 90.0 else None


def _sun_said(item: pystac.Item, elevation: float) -> str:
    """The item's field that states its sun, and its value, for messages."""
    if item.properties.get("view:sun_elevation") is None:
        return f"s2:mean_solar_zenith {90.0 - elevation:g}"
    return f"view:sun_elevation {elevation:g}"


def check_day_and_night(where: str, scenes: list[StacScene], method: str) -> None:
    """Refuse a composite of day and night acquisitions (items whose
    ``view:sun_elevation`` lies on both sides of the horizon, such as Landsat's night
    thermal scenes found by a search with the day's): a median or percentile of their
    temperatures mixes the surface at noon and at night (10-30 K apart), a number no one
    acquisition or season holds; night scenes hold no reflectance at all.

    Raises
    ------
    DataError
        Naming the items of each side.
    """
    day = [s.item_id for s in scenes if s.sun_elevation is not None and s.sun_elevation > 0]
    night = [s.item_id for s in scenes if s.sun_elevation is not None
             and s.sun_elevation <= 0]
    if not (day and night):
        return

    def some(ids: list[str]) -> str:
        return ", ".join(repr(i) for i in ids[:3]) + (" ..." if len(ids) > 3 else "")

    raise DataError(
        f"{where}: its items hold day and night acquisitions ({len(day)} with the sun "
        f"above the horizon: {some(day)}; {len(night)} at or below it: {some(night)}), so "
        f"a {method} of their values would mix day and night surface temperatures (night "
        "scenes hold no reflectance); composite them as two sources, or search with a "
        "filter on the sun (stac_search.properties: {'view:sun_elevation': {gt: 0}})")


def _landsat_band(item: pystac.Item, asset: pystac.Asset, key: str, satellite: int
                  ) -> int | None:
    """The Landsat band number an asset holds: its ``eo:bands`` name (``SR_B4``), its key,
    else its common name as the satellite numbers it; ``None`` where none tells."""
    first = _first_band(asset, "eo:bands", "bands")
    for name in (str(first.get("name") or ""), key):
        number = _band_id("landsat-l2", re.sub(r"_VCID_[12]$", "", name, flags=re.I))
        if number is not None:
            return int(number)
    common = str(first.get("common_name") or first.get("eo:common_name") or key).lower()
    return _LANDSAT_COMMON["oli" if satellite >= 8 else "tm"].get(common)


_MTL_ASSET = re.compile(r"(?:^|_)MTL(?:\.(?:txt|json|xml))?$", re.IGNORECASE)


def _mtl_asset(href: str, item: pystac.Item) -> str | None:
    """The local file of a Landsat item's MTL asset (``mtl.txt``, ``MTL``, a href ending in
    ``_MTL.txt``/``.json``/``.xml``), or ``None`` (none, or a remote one: planning reads no
    file over the network for it).

    Its href is a URI, percent-encoded where a folder or name has spaces
    (``my%20scenes/..._MTL.txt``), and may be a ``file://localhost/`` URL: it is decoded
    as the band assets' are (:func:`_gdal_href`). Before, such an MTL was taken for none,
    so a Level-1 item was refused "add the scene's MTL to the item as a local asset"
    beside the very MTL it listed, and a Level-2 item's stated pair went unchecked."""
    for key, asset in item.assets.items():
        target = str(asset.href or "").strip()
        name = PurePosixPath(target.split("?")[0]).name
        if not (_MTL_ASSET.search(key) or re.search(r"_MTL\.(?:txt|json|xml)$", name,
                                                     re.IGNORECASE)):
            continue
        path = _gdal_href(_asset_href(href, asset))
        if "://" not in path and not path.startswith("/vsi") and Path(path).is_file():
            return path
    return None


def _with_mtl(href: str, item: pystac.Item, product: str | None, assets: dict[str, str],
              calibration: dict[str, BandCalibration]) -> dict[str, BandCalibration]:
    """Each spectral band's calibration checked against (or, where the item states none,
    taken from) the item's own MTL asset, where it is a local file: the MTL is the
    product's metadata, so an item whose ``raster:bands`` state other coefficients
    (another scene's Level-1 gains, a sun elevation other than the MTL's, ESPA's 1e-4)
    describes other DNs than its files hold. Before, the item's pair was applied without
    a look at the MTL beside it.

    Raises
    ------
    DataError
        The item's pair is not the MTL's, or a band file is not of the MTL's scene and
        level (:meth:`~prospect.ingest.landsat.MtlMetadata.check_file`).
    """
    if product not in ("landsat-l1", "landsat-l2"):
        return calibration
    path = _mtl_asset(href, item)
    if path is None:
        return calibration
    from prospect.ingest.landsat import read_mtl

    try:
        mtl = read_mtl(path)
    except (DataError, InputFileError) as exc:
        raise DataError(f"{href}: item {item.id!r}: its MTL asset: {exc}") from None
    out = dict(calibration)
    for var, key in assets.items():
        asset = item.assets[key]
        if var not in out or not (_is_spectral(asset) or _is_band_key(product, key)):
            continue
        first = _first_band(asset, "eo:bands", "bands")
        band_key = next((n for n in (str(first.get("name") or ""), key, var)
                         if re.search(r"(?:^|_)B\d{1,2}(?:_VCID_[12])?$", n, re.I)), var)
        file = _gdal_href(_asset_href(href, asset))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # its QA_RADSAT: the item's asset
            try:
                own = mtl.calibrate(band_key, file)
            except DataError as exc:
                raise DataError(f"{href}: item {item.id!r}, asset {key!r} against its MTL "
                                f"asset: {exc}") from None
        cal = out[var]
        stated = cal.unstated is None and (cal.scale, cal.offset) != (1.0, 0.0)
        if not stated:
            out[var] = dataclasses.replace(
                cal, scale=own.scale, offset=own.offset, quantity=own.quantity,
                units=cal.units or own.units, unstated=None, dn_only="",
                valid_range=cal.valid_range or own.valid_range,
                saturate=cal.saturate if cal.saturate is not None else own.saturate)
        elif not (math.isclose(cal.scale, own.scale, rel_tol=1e-4)
                  and math.isclose(cal.offset, own.offset, rel_tol=1e-4, abs_tol=1e-6)):
            from prospect.ingest.products import dn_formula

            raise DataError(
                f"{href}: item {item.id!r}, asset {key!r}: the item's raster:bands give "
                f"{dn_formula(cal.scale, cal.offset)}, but its own MTL asset {path} "
                f"({mtl.describe()}) gives {dn_formula(own.scale, own.offset)} "
                f"({own.quantity.replace('_', ' ')}) "
                "for this band: the item describes other DNs than the product's (another "
                "scene's or product's coefficients, or another sun elevation); fix the "
                "item's raster:bands, or leave them out and the MTL's apply")
    return out


def _with_radsat(href: str, item: pystac.Item, product: str | None, assets: dict[str, str],
                 calibration: dict[str, BandCalibration]) -> dict[str, BandCalibration]:
    """Each spectral band's calibration with the item's ``qa_radsat`` asset (Landsat
    Collection 2's radiometric saturation flags) and the band's bits in it
    (:func:`~prospect.ingest.landsat.radsat_bits`): those pixels are no data. Items
    without the asset, or of other products, are read as before."""
    if product not in ("landsat-l1", "landsat-l2"):
        return calibration
    key = next((k for k in item.assets if k.lower() == "qa_radsat"), None)
    if key is None or not str(item.assets[key].href or "").strip():
        return calibration
    props = item.properties
    digits = "".join(ch for ch in str(props.get("platform", "")) if ch.isdigit())
    if not digits:
        return calibration
    satellite = int(digits)
    instruments = " ".join(str(i) for i in props.get("instruments") or []).lower()
    layer = _gdal_href(_asset_href(href, item.assets[key]))
    out = dict(calibration)
    for var, akey in assets.items():
        asset = item.assets[akey]
        if var not in out or not (_is_spectral(asset) or _is_band_key(product, akey)):
            continue
        band = _landsat_band(item, asset, akey, satellite) or 0
        name = str(_first_band(asset, "eo:bands", "bands").get("name") or "")
        bits = radsat_bits(satellite, band, sensor="M" if "mss" in instruments else "",
                           high_gain="VCID_2" in f"{name} {akey}".upper())
        if bits is not None:
            out[var] = dataclasses.replace(out[var], saturation=Saturation(
                path=layer, bits=bits[0], what=bits[1]))
    return out


_ESA_ORBIT = re.compile(r"^S2[ABCD]_MSI(?:L1C|L2A)_\d{8}T\d{6}_N\d{4}_R(\d{3})_")
"""The relative orbit in ESA's Sentinel-2 product id."""
_S2_DATATAKE = re.compile(r"(?:^|[_/])(?:S2[ABCD]_MSI(?:L1C|L2A)|T\d{2}[A-Z]{3})_"
                          r"(\d{8}T\d{6})_", re.IGNORECASE)
"""The datatake's sensing start in a Sentinel-2 product id or band file name
(``S2A_MSIL2A_20220301T104021_...``, ``T31UFT_20220301T104021_B04_10m``): the same in
every tile of one pass."""
_EARTH_SEARCH_PASS = re.compile(r"^(S2[A-D])_\d{2}[A-Z]{3}_(\d{8})_\d+_L(?:1C|2A)$")
"""An Earth Search item id of Sentinel-2 (``S2A_31UFT_20240613_0_L2A``): its satellite and
day, one pass of every tile (one satellite passes over a place once a day; its datatake
time is not in the id). Without a platform, two tiles of one pass were two looks."""
_HLS_PASS = re.compile(r"^HLS\.(L30|S30)\.T\d{2}[A-Z]{3}\.(\d{7}T\d{6})\.", re.IGNORECASE)
"""An HLS granule id's product and acquisition time (``HLS.S30.T31UFT.2022060T104021``)."""


def _named_pass(item: pystac.Item, files: Iterable[str],
                when: dt.date | None) -> tuple[str, str] | None:
    """The overpass of an item that states no platform (a user's own catalogue, as
    rio-stac writes it; NASA's CMR-STAC HLS items), from the pass its id or its files'
    product names state (:func:`_pass_of_name`) on the item's own date ``when``; ``None``
    where none does (or names another day: the item's date is kept, a look of its own).
    Two tiles of one datatake, or two WRS rows of one path, overlap, holding one look
    twice: without a platform they were two overpasses, that look counted twice in
    ``<source>_count`` and weighed twice in the median, without a word."""
    for name in (str(item.id), *(PurePosixPath(str(f).replace("\\", "/")).name
                                 for f in files)):
        found = _pass_of_name(name)
        if found is not None:
            return found if when is not None and found[1] == when.isoformat() else None
    return None


def _pass_of_name(name: str) -> tuple[str, str] | None:
    """``(pass, UTC date)`` a product name states: a Landsat product or scene id (its
    satellite and WRS path on its date: the rows of one path), an HLS granule id (L30:
    its day, as one Landsat satellite sees a place once a day; S30: its sensing time) or
    a Sentinel-2 product id or band file name (the datatake's sensing start, the same in
    every tile of one pass; an Earth Search id's satellite and day,
    :data:`_EARTH_SEARCH_PASS`); ``None`` for any other name or a time the calendar has
    not."""
    ident = landsat_id(name)
    if ident is not None:
        return f"landsat-{ident.satellite}/{ident.path}", ident.date.isoformat()
    try:
        if (m := _HLS_PASS.search(name)) is not None:
            taken = dt.datetime.strptime(m.group(2), "%Y%jT%H%M%S")
            if taken.year != int(m.group(2)[:4]):  # day 366 of a year of 365
                return None
            day, kind = taken.date().isoformat(), m.group(1).lower()
            return f"hls-{kind}/{day if kind == 'l30' else m.group(2)}", day
        if (m := _S2_DATATAKE.search(name)) is not None:
            taken = dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%S")
            return f"sentinel-2/{m.group(1)}", taken.date().isoformat()
        if (m := _EARTH_SEARCH_PASS.match(name)) is not None:
            day = dt.datetime.strptime(m.group(2), "%Y%m%d").date().isoformat()
            return f"sentinel-2/{m.group(1).lower()}/{day}", day
    except ValueError:  # a time the calendar has not
        return None
    return None


def _overpass(item: pystac.Item, when: dt.date | None) -> tuple[str, str] | None:
    """``(platform and orbit, UTC date)``: the items of one overpass (see
    :attr:`StacScene.overpass`). The orbit (``sat:relative_orbit``, a Landsat WRS path,
    else the relative orbit an ESA product id states, ``_R051_``) keeps apart two passes
    of one day (consecutive orbits overlap at high latitudes): items stating no orbit
    field but ESA's ids were one overpass, and their two looks counted one."""
    props = item.properties
    if not props.get("platform") or when is None or item.datetime is None:
        return None
    orbit = props.get("sat:relative_orbit", props.get("landsat:wrs_path", ""))
    if orbit == "" and (m := _ESA_ORBIT.search(str(item.id))) is not None:
        orbit = int(m.group(1))
    return f"{str(props['platform']).lower()}/{orbit}", when.isoformat()


@dataclass(frozen=True)
class _PassMarks:
    """What an item says of its pass, from its properties and the product names it
    carries (:func:`_pass_marks`): ``None`` where it says nothing of that."""

    family: str
    """``sentinel-2``, ``landsat``, ``hls-l30``, ``hls-s30``, or another platform."""
    day: str
    satellite: str | None = None
    orbit: int | None = None
    """Sentinel-2's relative orbit or a Landsat WRS path."""
    datatake: str | None = None
    """Sentinel-2's datatake sensing start (``20210301T104021``) or an HLS S30 time."""

    def firm(self) -> bool:
        """Whether the item states its pass itself: satellite and orbit, or a datatake
        (a satellite alone is one of the day's passes of it)."""
        return self.datatake is not None or None not in (self.satellite, self.orbit)

    def decides(self, other: _PassMarks) -> bool | None:
        """Whether both items are one pass by their orbits or datatakes; ``None`` where
        those do not tell (the satellite alone would)."""
        if (self.family, self.day) != (other.family, other.day):
            return False
        if None not in (self.satellite, self.orbit, other.satellite, other.orbit):
            return (self.satellite, self.orbit) == (other.satellite, other.orbit)
        if self.datatake is not None and other.datatake is not None:
            return self.datatake == other.datatake
        return None

    def same_pass(self, other: _PassMarks) -> bool:
        """Whether both items are one pass by what both of them state: satellite and
        orbit where both state those, else the datatake, else the satellite."""
        if (self.family, self.day) != (other.family, other.day):
            return False
        if None not in (self.satellite, self.orbit, other.satellite, other.orbit):
            return (self.satellite, self.orbit) == (other.satellite, other.orbit)
        if self.datatake is not None and other.datatake is not None:
            return self.datatake == other.datatake
        return self.satellite is not None and self.satellite == other.satellite


_PLATFORM_FAMILY = ((re.compile(r"^(?:sentinel2|s2)([a-d])$"), "sentinel-2", "s2{}"),
                    (re.compile(r"^landsat0?(\d)$"), "landsat", "{}"))
"""A platform in any spelling (``sentinel-2a``, ``Sentinel2A``, ``S2A``; ``landsat-8``,
``LANDSAT_8``) as its family and satellite, as the product names state them."""
_S2_DATATAKE_ID = re.compile(r"^G(S2[A-D])_(\d{8}T\d{6})_")
"""Sentinel-2's ``s2:datatake_id`` (``GS2A_20210301T104021_029713_N05.00``)."""


def _platform_marks(props: dict[str, Any], day: str) -> _PassMarks | None:
    """The pass marks an item's ``platform`` and orbit fields state, or ``None``."""
    platform = re.sub(r"[^a-z0-9]", "", str(props.get("platform") or "").lower())
    if not platform:
        return None
    family, satellite = platform, platform
    for pattern, name, form in _PLATFORM_FAMILY:
        if (m := pattern.match(platform)) is not None:
            family, satellite = name, form.format(m.group(1))
    orbit = props.get("sat:relative_orbit", props.get("landsat:wrs_path"))
    try:
        number = int(str(orbit)) if orbit is not None else None
    except ValueError:
        number = None
    return _PassMarks(family, day, satellite, number)


DATATAKE_SPAN = dt.timedelta(minutes=50)
"""The longest a Sentinel-2 datatake lasts: it images the day side of one orbit, less than
half of its 100 minutes. A tile sensed this long after its datatake began is of it."""


def _began_before(taken: str, day: str, when: dt.datetime | None) -> bool:
    """Whether a datatake that began at ``taken`` (``20210301T235951``, or HLS's
    ``2021060T235951``) on the day before the item's ``day`` holds the item acquired at
    ``when``: a pass crossing midnight UTC (Sentinel-2 at about 157 E) names the day it
    began in its product names, and its tiles sensed after midnight are dated the next
    day."""
    try:
        start = dt.datetime.strptime(
            taken, "%Y%jT%H%M%S" if re.fullmatch(r"\d{7}T\d{6}", taken) else "%Y%m%dT%H%M%S"
        ).replace(tzinfo=dt.UTC)
    except ValueError:
        return False
    return when is not None and (start + dt.timedelta(days=1)).date().isoformat() == day \
        and dt.timedelta(0) <= when - start < DATATAKE_SPAN


def _name_marks(name: str, day: str, taken_at: dt.datetime | None = None) -> _PassMarks | None:
    """The pass marks a product name states on the item's ``day``, or ``None`` (another
    name, or another day: such an item keeps a look of its own). A datatake that began
    on the day before and holds the item's time ``taken_at`` (:func:`_began_before`) is the
    item's: its two tiles on either side of midnight UTC were two looks."""
    found = _pass_of_name(name)
    if found is not None and found[1] != day and found[0].startswith(
            ("sentinel-2/", "hls-s30/")) and _began_before(
                found[0].rpartition("/")[2], day, taken_at):
        found = (found[0], day)
    if found is None or found[1] != day:
        m = _S2_DATATAKE_ID.match(name)
        if m is None or (f"{m.group(2)[:4]}-{m.group(2)[4:6]}-{m.group(2)[6:8]}" != day
                         and not _began_before(m.group(2), day, taken_at)):
            return None
        return _PassMarks("sentinel-2", day, m.group(1).lower(), datatake=m.group(2))
    ident = landsat_id(name)
    if ident is not None:
        return _PassMarks("landsat", day, str(ident.satellite), ident.path)
    kind, _, when = found[0].partition("/")
    if kind.startswith("hls-"):
        return _PassMarks(kind, day, datatake=when)
    if (m := _EARTH_SEARCH_PASS.match(name)) is not None:
        return _PassMarks("sentinel-2", day, m.group(1).lower())
    esa = _ESA_ORBIT.search(name)
    return _PassMarks("sentinel-2", day, name[:3].lower() if esa else None,
                      int(esa.group(1)) if esa else None, when)


def _pass_marks(item: pystac.Item, files: Iterable[str],
                when: dt.date | None) -> _PassMarks | None:
    """What an item states of its pass: its ``platform`` and orbit fields, completed by
    the product names of its id, ``s2:product_uri``, ``s2:datatake_id`` and files where
    those name the same family (:func:`_name_marks`); ``None`` for an item of no date,
    a mosaic of weeks, or one that states nothing of its pass."""
    if when is None or item.datetime is None:
        return None
    day = when.isoformat()
    props = item.properties
    marks = _platform_marks(props, day)
    names = [str(item.id), str(props.get("s2:product_uri") or ""),
             str(props.get("s2:datatake_id") or ""),
             *(PurePosixPath(str(f).replace("\\", "/")).name for f in files)]
    for name in names:
        named = _name_marks(name, day, _utc(item.datetime)) if name else None
        if named is None:
            continue
        if marks is None:
            marks = named
        elif named.family == marks.family:
            marks = dataclasses.replace(
                marks, satellite=marks.satellite or named.satellite,
                orbit=marks.orbit if marks.orbit is not None else named.orbit,
                datatake=marks.datatake or named.datatake)
    return marks


def _pass_time(item: pystac.Item, mark: _PassMarks | None) -> dt.datetime | None:
    """An item's acquisition time, else its datatake's (``20210301T104021``, HLS's
    ``2021060T104021``), else the one its HLS id states (L30's, whose mark is its day), or
    ``None`` where it states only its day (midnight) or a span.

    HLS times (year and day of the year) were not read: two HLS tiles of one pass across
    midnight UTC whose items state only their days stayed two looks."""
    when = _utc(item.datetime) if item.datetime is not None else None
    if when is not None and when.time() != dt.time(0):
        return when
    hls = _HLS_PASS.search(str(item.id))
    for text in (mark.datatake if mark is not None else None, hls and hls.group(2)):
        for pattern, form in ((r"\d{8}T\d{6}", "%Y%m%dT%H%M%S"), (r"\d{7}T\d{6}", "%Y%jT%H%M%S")):
            if text and re.fullmatch(pattern, text):
                try:
                    return dt.datetime.strptime(text, form).replace(tzinfo=dt.UTC)
                except ValueError:  # a time the calendar has not
                    return None
    return None


def _one_orbit_apart(a: dt.datetime | None, b: dt.datetime | None) -> bool | None:
    """Whether two items' times are two passes (:data:`OVERPASS_GAP` or more apart: at
    high latitudes one satellite passes twice a day on adjacent orbits, about 100 minutes
    apart); ``None`` where either states no time."""
    if a is None or b is None:
        return None
    return abs(a - b) >= OVERPASS_GAP


def _across_midnight(mark: _PassMarks, other: _PassMarks, when: dt.datetime | None,
                     then: dt.datetime | None) -> bool:
    """Whether items of consecutive UTC days (``mark`` the earlier, acquired at ``when``;
    ``other`` at ``then``) are one pass crossing midnight UTC (Landsat at about 150 E,
    Sentinel-2 at about 157 E): the same satellite and orbit or datatake less than a day
    apart by less than :data:`OVERPASS_GAP` (as :func:`_join_midnight`), or of one
    datatake (less than :data:`DATATAKE_SPAN` apart: a tile of a long one is sensed
    minutes after another), or the same satellite, told by it alone, less than
    :data:`OVERPASS_GAP` apart.

    Items were joined only within a day (and :func:`_join_midnight` only items of one
    platform-and-orbit key), so two tiles of one pass at 23:59:58 and 00:00:03 UTC were
    two looks wherever the item did not state its platform and orbit (Earth Search ids,
    ESA product names, Landsat ids, ``s2:datatake_id``) or stated it another way than its
    neighbour: counted twice in ``<source>_count`` and weighed twice in the median.

    One satellite flies an orbit again only after its repeat cycle (Sentinel-2's relative
    orbit after 10 days, a Landsat WRS path after 16), so the same satellite and orbit on
    consecutive days is one pass across midnight, told without a time: items stating
    only their day (``00:00:00``) were never joined. HLS L30 ids name no satellite
    (Landsat 8 and 9 see a place on consecutive days from adjacent paths) and L30 items
    are keyed by their day (:func:`_name_marks`), so two L30 tiles are one pass by their
    times alone: they were two looks, their day keys never equal."""
    if _same_orbit(mark, other):
        return when is None or then is None or dt.timedelta(0) <= then - when < DATATAKE_SPAN
    if when is None or then is None or not dt.timedelta(0) <= then - when < DATATAKE_SPAN:
        return False
    other = dataclasses.replace(other, day=mark.day)
    if mark.family == other.family == "hls-l30":
        return then - when < OVERPASS_GAP
    if mark.datatake is not None and other.datatake is not None:
        return mark.datatake == other.datatake
    return mark.decides(other) is not False and mark.same_pass(other) and \
        then - when < OVERPASS_GAP


def _same_orbit(mark: _PassMarks, other: _PassMarks) -> bool:
    """Whether two items state the same satellite and orbit (a Sentinel-2 relative orbit,
    a Landsat WRS path) and no datatakes that differ."""
    if None in (mark.satellite, mark.orbit, other.satellite, other.orbit):
        return False
    if mark.datatake is not None and other.datatake is not None \
            and mark.datatake != other.datatake:
        return False
    return (mark.satellite, mark.orbit) == (other.satellite, other.orbit)


def _which_pass(items: list[pystac.Item], marks: list[_PassMarks | None], n: int,
                firm: list[int]) -> str:
    """The refusal of item ``n``, which states its satellite but not its orbit nor a
    time, on a day of two or more passes of it (items ``firm``)."""
    mark = marks[n]
    assert mark is not None
    seen = []
    for m in firm:
        other = marks[m]
        assert other is not None
        how = (f"orbit {other.orbit}" if other.orbit is not None
               else f"datatake {other.datatake}")
        seen.append(f"{how} (item {items[m].id!r})")
    return (f"item {items[n].id!r} states satellite {mark.satellite} on {mark.day} but "
            f"not its orbit or acquisition time, and the catalogue holds {len(seen)} passes "
            f"of {mark.satellite} that day: {', '.join(seen)}; one pass is one look, so "
            "state its sat:relative_orbit (or s2:datatake_id) or its datetime to the second "
            "in the item")


def _join_passes(items: list[pystac.Item], scenes: list[StacScene]) -> list[StacScene]:
    """``scenes`` with one overpass key for the items of one pass, whichever way each
    states it (:meth:`_PassMarks.same_pass`), and for items of one time naming the same
    band files (:func:`_same_files_key`: one scene listed under two ids).

    An item's key came from its ``platform`` and orbit where it states a platform, else
    from its product names (:func:`_named_pass`): in a catalogue of two merged (Earth
    Search's items, with a platform, and a user's own of the same pass, without), one
    look had two keys, and a scene listed twice (``scene-1`` and ``wageningen``, one
    file) two looks, so it was counted twice in ``<source>_count`` and weighed twice in
    the median, without a word. Keys are only joined, never split.

    Items that state their pass (:meth:`_PassMarks.firm`) are joined first; an item
    stating its satellite alone then joins the items of its satellite and day not
    :data:`OVERPASS_GAP` from its time: an Earth Search id (no orbit) beside items of two
    orbits of one day (high latitudes) joined both passes into one look, counted once
    and mosaicked (the second pass's values lost), exit 0. Without a time to tell them,
    it is refused naming the passes.

    Raises
    ------
    DataError
        An item stating only its satellite and day beside two passes of it that day."""
    marks = [_pass_marks(item, scene.bands.values(), scene.date) if scene.span is None
             else None for item, scene in zip(items, scenes, strict=True)]
    parent = list(range(len(scenes)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def join(n: int, m: int) -> None:
        a, b = root(n), root(m)
        parent[max(a, b)] = min(a, b)

    by_day: dict[tuple[str, str], list[tuple[int, _PassMarks]]] = {}
    by_files: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    for n, (item, scene) in enumerate(zip(items, scenes, strict=True)):
        if (mark := marks[n]) is not None:
            by_day.setdefault((mark.family, mark.day), []).append((n, mark))
        if scene.span is None:
            join(n, by_files.setdefault(_same_files_key(item, scene), n))
    times = [_pass_time(item, marks[n]) for n, item in enumerate(items)]
    for group in by_day.values():
        for i, (n, mark) in enumerate(group):
            for m, other in group[i + 1:]:
                if mark.decides(other) is True:
                    join(n, m)
        # told by the satellite alone: the pass of its time, if one
        near = {n: [m for m, other in group if m != n and mark.decides(other) is None
                    and mark.same_pass(other)
                    and _one_orbit_apart(times[n], times[m]) is not True]
                for n, mark in group}
        for n, mark in group:  # items that state a pass of their own first
            for m in near[n]:
                if mark.firm() and (said := marks[m]) is not None and said.firm():
                    join(n, m)
        for n, mark in group:  # then each that does not, to the one pass it can be
            if mark.firm():
                continue
            passes = {root(m): m for m in near[n] if (said := marks[m]) is not None
                      and said.firm()}
            if len(passes) > 1:
                raise DataError(_which_pass(items, marks, n, sorted(passes.values())))
            for m in near[n]:
                join(n, m)
    for (family, day), group in by_day.items():  # one pass across midnight UTC
        after = by_day.get((family, (dt.date.fromisoformat(day) + dt.timedelta(days=1))
                            .isoformat()), [])
        for n, mark in group:
            for m, other in after:
                if _across_midnight(mark, other, times[n], times[m]):
                    join(n, m)
    keys: dict[int, tuple[str, str]] = {}
    for n in range(len(scenes)):
        first = root(n)
        if first != n and first not in keys:
            mark, scene = marks[first], scenes[first]
            keys[first] = scene.overpass or (
                (f"{mark.family}/{mark.satellite or mark.datatake}", mark.day)
                if mark is not None else (f"item/{scene.item_id}", str(scene.date)))
    return [dataclasses.replace(scene, overpass=keys[first]) if (
                first := root(n)) in keys and scene.overpass != keys[first] else scene
            for n, scene in enumerate(scenes)]
