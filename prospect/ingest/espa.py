"""USGS ESPA metadata (``espa_metadata`` XML): the pre-Collection surface-reflectance product.

ESPA's LEDAPS / LaSRC surface reflectance (Landsat 4-8, before Collection 1) ships one
GeoTIFF per band (``<scene>_sr_band4.tif``) and an XML that states, per band, its
``scale_factor`` (1e-4), ``add_offset`` (0 when absent), ``fill_value`` (-9999),
``valid_range`` (-2000..16000) and ``saturate_value`` (20000); the CFmask band lists its
classes (0 clear, 1 water, 2 cloud shadow, 3 snow, 4 cloud, 255 fill). Reflectance is
``scale_factor * DN + add_offset``. LEDAPS and LaSRC clip reflectance to the valid range, so
a DN at either end of it is a clipped value, not a measurement: with the saturate value,
those DNs read as no data (:attr:`BandCalibration.valid_range`). Everything comes from the
XML, nothing is assumed.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from prospect.errors import DataError, InputFileError
from prospect.ingest.landsat import (
    BandCalibration,
    LandsatId,
    band_number,
    band_words,
    check_band_word,
    check_footprint,
    file_level,
    finite,
    landsat_id,
)

__all__ = ["EspaBand", "EspaMetadata", "read_espa"]


@dataclass(frozen=True)
class EspaBand:
    """One ``<band>`` of an ESPA XML."""

    name: str
    product: str
    file_name: str
    data_units: str
    scale: float
    offset: float
    fill: float | None
    valid_range: tuple[float, float] | None
    classes: dict[int, str] = field(default_factory=dict)
    saturate: float | None = None


@dataclass(frozen=True)
class EspaMetadata:
    """An ESPA XML: scene, date, and each band's scaling and fill."""

    path: str
    satellite: str
    date: dt.date | None
    ident: LandsatId | None
    bands: dict[str, EspaBand]
    cloud_cover: float | None = None
    footprint: tuple[str, tuple[float, float, float, float]] | None = None
    """The product's UTM CRS and extent of pixel centres (``projection_information``'s
    UL and LR corners), or ``None`` where the XML states no UTM grid."""

    def describe(self) -> str:
        """The scene id and product, for messages."""
        name = self.ident.text if self.ident else Path(self.path).name
        return f"{name} (ESPA surface reflectance)"

    def band_for(self, band_key: str, file: str) -> EspaBand:
        """The XML band describing ``file`` (by file name, else by band number).

        Raises
        ------
        DataError
            The file belongs to another scene or another product (a Collection or
            Sentinel-2 file name), or the XML has no such band.
        """
        check_footprint(file, self.footprint, self.describe(), "ESPA XML")
        name = Path(file).name
        fid = landsat_id(name)
        other = {"L1": f"a Landsat Level-1 file ({fid.text if fid else name})",
                 "L2": f"a Landsat Collection 2 Level-2 file ({fid.text if fid else name})",
                 "S2": "a Sentinel-2 band file"}.get(file_level(name) or "")
        if other is not None:
            raise DataError(
                f"{file}: {other}, but its metadata file {self.path} is an ESPA XML, whose "
                "coefficients are the pre-Collection product's (sr_band files, scale 1e-4); "
                "give the file's own metadata (its MTL or MTD_MSIL2A.xml) with 'metadata:'")
        if fid is not None and self.ident is not None and not fid.same_scene(self.ident):
            raise DataError(
                f"{file}: the file is {fid.text} but its metadata file {self.path} describes "
                f"{self.describe()}; give the ESPA XML of the same scene"
            )
        for band in self.bands.values():
            if band.file_name == name:
                return band
        try:
            key = f"sr_band{band_number(band_key, file)}"
        except DataError:
            key = ""
        if key in self.bands:
            return self.bands[key]
        raise DataError(
            f"{file}: {self.path} has no band for this file (bands: "
            f"{', '.join(sorted(self.bands))}); name the band files as the XML does"
        )

    def calibrate(self, band_key: str, file: str) -> BandCalibration:
        """``scale_factor`` and ``add_offset`` of the band holding ``file``.

        Raises
        ------
        DataError
            Besides :meth:`band_for`'s: a QA band, or a reflectance band whose scale
            cannot be (values beyond 2 over its valid range, or no scale at all).
        """
        band = self.band_for(band_key, file)
        number = re.search(r"band(\d{1,2})$", band.name)
        if number is not None:
            digits = re.sub(r"\D", "", self.satellite)
            sat = int(digits) if digits else (self.ident.satellite if self.ident else None)
            check_band_word(band_key, file, band_words(
                sat, int(number.group(1)), self.ident.sensor if self.ident else ""),
                f"band {number.group(1)} ({band.name})",
                self.satellite.replace("_", " ").title() or self.describe())
        if band.name.startswith("sr_") and band.data_units == "reflectance":
            quantity, units = "surface_reflectance", "1"
        elif band.name.startswith("toa_") and band.data_units == "reflectance":
            quantity, units = "toa_reflectance", "1"
        elif band.data_units in ("temperature (kelvin)", "kelvin"):
            quantity, units = ("surface_temperature" if _is_surface_temperature(band)
                               else "brightness_temperature"), "K"
        else:
            raise DataError(
                f"{file}: ESPA band {band.name!r} holds {band.data_units!r}, not reflectance "
                "or temperature; QA bands go under 'cfmask:', not as image bands"
            )
        top = band.valid_range[1] if band.valid_range is not None else None
        if units == "1" and ((band.scale == 1.0 and band.offset == 0.0) or (top is not None
                             and top * band.scale + band.offset > 2.0)):
            raise DataError(
                f"{file}: ESPA band {band.name!r} is reflectance, but its scale_factor "
                f"{band.scale:g} (add_offset {band.offset:g}) gives values up to "
                f"{(top if top is not None else 10000) * band.scale + band.offset:g} "
                f"from its {'valid range' if top is not None else 'integer DNs'}; "
                f"{self.path} lacks or misstates scale_factor (ESPA's is 0.0001)")
        return BandCalibration(band.scale, band.offset, quantity, units, fill=band.fill,
                               valid_range=band.valid_range, saturate=band.saturate)


def _is_surface_temperature(band: EspaBand) -> bool:
    """Whether a kelvin band is ESPA's (provisional) surface temperature, product ``st``
    (``surface_temperature``: emissivity- and atmosphere-corrected), not the top of
    atmosphere brightness temperature of product ``toa_bt`` (``bt_band10``): the surface
    temperature was labelled ``brightness_temperature``, so a time series refused it
    beside Collection 2's ``ST_B10`` as another quantity, and it was delivered under the
    name of what it is not."""
    words = f"{band.product} {band.name}".lower().replace("-", "_")
    return band.product.lower() in ("st", "lst") or any(
        w in words for w in ("surface_temperature", "surface_temp", "land_surface_temp"))


def _strip(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _float(text: str | None) -> float | None:
    return None if text in (None, "") else finite(text)


def _range(el: ET.Element | None) -> tuple[float, float] | None:
    """A ``<valid_range min= max=/>`` with both ends, else None (no range is applied)."""
    if el is None:
        return None
    lo, hi = _float(el.get("min")), _float(el.get("max"))
    if lo is not None and hi is not None and lo >= hi:
        raise ValueError(f"valid_range min {lo:g} is not below max {hi:g}")
    return (lo, hi) if lo is not None and hi is not None else None


def _scale(text: str | None) -> float:
    """A band's ``scale_factor`` (1 when absent); 0 would erase the band: refused."""
    scale = _float(text)
    if scale == 0:
        raise ValueError("scale_factor 0 would make every pixel 0")
    return 1.0 if scale is None else scale


def _band(el: ET.Element) -> EspaBand:
    """One ``<band>`` element (``ValueError`` on a malformed number)."""
    kids = {_strip(k.tag): k for k in el}
    classes = {}
    if "class_values" in kids:
        classes = {int(c.get("num", "-1")): (c.text or "").strip()
                   for c in kids["class_values"]}
    return EspaBand(
        name=el.get("name", ""), product=el.get("product", ""),
        file_name=(kids["file_name"].text or "").strip() if "file_name" in kids else "",
        data_units=(kids["data_units"].text or "").strip() if "data_units" in kids else "",
        scale=_scale(el.get("scale_factor")),
        offset=_float(el.get("add_offset")) or 0.0,
        fill=_float(el.get("fill_value")),
        valid_range=_range(kids.get("valid_range")),
        classes=classes,
        saturate=_float(el.get("saturate_value")),
    )


def read_espa(path: Path | str) -> EspaMetadata:
    """Parse an ESPA metadata XML (``espa_metadata`` schema v1.x).

    Raises
    ------
    InputFileError
        The file is missing, is not an ESPA XML, or holds a malformed number or date.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputFileError(f"{path}: cannot read as ESPA metadata XML: {exc}") from None
    if _strip(root.tag) != "espa_metadata":
        raise InputFileError(f"{path}: not an ESPA metadata XML (root <{_strip(root.tag)}>)")
    glob = {_strip(e.tag): e for e in root.iter() if _strip(e.tag) in (
        "satellite", "acquisition_date", "lpgs_metadata_file")}
    bands: dict[str, EspaBand] = {}
    for el in root.iter():
        if _strip(el.tag) != "band":
            continue
        try:
            band = _band(el)
        except ValueError as exc:
            raise InputFileError(
                f"{path}: band {el.get('name', '?')!r} has a malformed number ({exc}); "
                "use the ESPA XML as delivered with the scene"
            ) from None
        bands[band.name] = band
    when = glob.get("acquisition_date")
    lpgs = glob.get("lpgs_metadata_file")
    ident = landsat_id(lpgs.text or "") if lpgs is not None else None
    if ident is None:
        ident = next((i for b in bands.values() if (i := landsat_id(b.file_name))), None)
    when_text = (when.text or "").strip() if when is not None else ""
    try:
        date = dt.date.fromisoformat(when_text) if when is not None else None
    except ValueError:
        raise InputFileError(
            f"{path}: acquisition_date {when_text!r} is not a date (YYYY-MM-DD); use the "
            "ESPA XML as delivered with the scene"
        ) from None
    return EspaMetadata(
        path=str(path), satellite=(glob["satellite"].text or "").strip()
        if "satellite" in glob else "",
        date=date,
        ident=ident, bands=bands, footprint=_footprint(root),
    )


def _footprint(root: ET.Element) -> tuple[str, tuple[float, float, float, float]] | None:
    """The global ``projection_information``: its UTM zone (negative in the south) and
    UL/LR corner points, as ``(CRS, (left, bottom, right, top))``; ``None`` otherwise."""
    info = next((e for e in root.iter() if _strip(e.tag) == "projection_information"),
                None)
    if info is None or (info.get("projection") or "").upper() != "UTM":
        return None
    corners = {c.get("location"): c for c in info.iter() if _strip(c.tag) == "corner_point"}
    zone = next((e.text for e in info.iter() if _strip(e.tag) == "zone_code"), None)
    try:
        z = int(str(zone).strip())
        ul, lr = corners["UL"], corners["LR"]
        left, top = float(ul.get("x", "")), float(ul.get("y", ""))
        right, bottom = float(lr.get("x", "")), float(lr.get("y", ""))
    except (KeyError, TypeError, ValueError):
        return None
    if not 1 <= abs(z) <= 60:
        return None
    return f"EPSG:{(32700 if z < 0 else 32600) + abs(z)}", (left, bottom, right, top)
