"""Landsat MTL metadata: DN -> top-of-atmosphere reflectance (or radiance for thermal bands).

Collection 1/2 MTL files carry ``REFLECTANCE_MULT/ADD_BAND_n`` in their (level-1)
radiometric rescaling group; TOA reflectance is ``(M * DN + A) / sin(sun_elevation)``.
Older TM/ETM+ files carry only radiance gains; reflectance is then
``pi * L * d^2 / (ESUN * sin(sun_elevation))`` with ``L = M * DN + A``, Chander et al.
(2009) ESUN values and the Earth-Sun distance ``d`` from the MTL or the day of year.
Both are linear in DN, so a band's calibration is one ``scale`` and one ``offset``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

from prospect.errors import DataError, InputFileError

__all__ = ["BandCalibration", "MtlMetadata", "band_number", "calibration", "read_mtl"]

# Chander, Markham & Helder (2009), Remote Sensing of Environment 113, table 2 (W m-2 um-1).
ESUN = {
    "LANDSAT_4": {1: 1983.0, 2: 1795.0, 3: 1539.0, 4: 1028.0, 5: 219.8, 7: 83.49},
    "LANDSAT_5": {1: 1983.0, 2: 1796.0, 3: 1536.0, 4: 1031.0, 5: 220.0, 7: 83.44},
    "LANDSAT_7": {1: 1997.0, 2: 1812.0, 3: 1533.0, 4: 1039.0, 5: 230.8, 7: 84.90, 8: 1362.0},
}
THERMAL = {"LANDSAT_4": {6}, "LANDSAT_5": {6}, "LANDSAT_7": {6}, "LANDSAT_8": {10, 11},
           "LANDSAT_9": {10, 11}}
_LINE = re.compile(r"^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True)
class MtlMetadata:
    """The parts of an MTL file that calibration and mosaicking use."""

    path: str
    spacecraft: str
    date: dt.date | None
    cloud_cover: float | None
    sun_elevation: float
    earth_sun_distance: float
    groups: dict[str, dict[str, str]]

    def value(self, key: str) -> str | None:
        """``key`` from the level-1 rescaling group first, then from any group."""
        for group in ("LEVEL1_RADIOMETRIC_RESCALING", "RADIOMETRIC_RESCALING"):
            if key in self.groups.get(group, {}):
                return self.groups[group][key]
        for values in self.groups.values():
            if key in values:
                return values[key]
        return None


@dataclass(frozen=True)
class BandCalibration:
    """``value = scale * DN + offset`` and what the value is."""

    scale: float
    offset: float
    quantity: str
    units: str


def read_mtl(path: Path | str) -> MtlMetadata:
    """Parse a Landsat ``*_MTL.txt`` (ODL ``KEY = value`` lines in ``GROUP`` blocks)."""
    path = Path(path)
    try:
        text = path.read_bytes().replace(b"\0", b"").decode("ascii", errors="replace")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the MTL file: {exc.strerror}") from None
    groups: dict[str, dict[str, str]] = {}
    stack: list[str] = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip('"')
        if key == "GROUP":
            stack.append(value)
            groups.setdefault(value, {})
        elif key == "END_GROUP":
            if stack:
                stack.pop()
        elif stack:
            groups[stack[-1]][key] = value
    if not groups:
        raise InputFileError(f"{path}: not a Landsat MTL file (no 'GROUP = ...' blocks)")

    def find(key: str) -> str | None:
        for values in groups.values():
            if key in values:
                return values[key]
        return None

    sun = find("SUN_ELEVATION")
    if sun is None:
        raise DataError(f"{path}: the MTL has no SUN_ELEVATION; cannot compute reflectance")
    date_text = find("DATE_ACQUIRED") or find("ACQUISITION_DATE")
    date = dt.date.fromisoformat(date_text) if date_text else None
    cloud = find("CLOUD_COVER")
    dist = find("EARTH_SUN_DISTANCE")
    if dist is not None:
        d = float(dist)
    elif date is not None:
        doy = date.timetuple().tm_yday
        d = 1.0 - 0.01672 * math.cos(math.radians(0.9856 * (doy - 4)))
    else:
        d = 1.0
    return MtlMetadata(
        path=str(path), spacecraft=(find("SPACECRAFT_ID") or "").upper(), date=date,
        cloud_cover=float(cloud) if cloud not in (None, "") else None,
        sun_elevation=float(sun), earth_sun_distance=d, groups=groups,
    )


def band_number(name: str, path: Path | str | None = None) -> int:
    """Landsat band number from a band key (``B4``, ``b10``) or a file name (``..._B4.TIF``)."""
    for text in (name, Path(path).stem if path else ""):
        m = re.search(r"(?:^|_)[Bb](?:AND)?_?(\d{1,2})$", text)
        if m:
            return int(m.group(1))
    raise DataError(
        f"cannot tell the Landsat band number of {name!r}"
        + (f" ({path})" if path else "")
        + "; name bands B1..B11 in the config"
    )


def calibration(mtl: MtlMetadata, band: int) -> BandCalibration:
    """Scale and offset turning DN of ``band`` into TOA reflectance (thermal: radiance)."""
    sin_e = math.sin(math.radians(mtl.sun_elevation))
    thermal = band in THERMAL.get(mtl.spacecraft, set())
    rad_m, rad_a = mtl.value(f"RADIANCE_MULT_BAND_{band}"), mtl.value(f"RADIANCE_ADD_BAND_{band}")
    if thermal:
        if rad_m is None or rad_a is None:
            raise DataError(f"{mtl.path}: no RADIANCE_MULT/ADD for thermal band {band}")
        return BandCalibration(float(rad_m), float(rad_a), "toa_radiance", "W m-2 sr-1 um-1")
    ref_m, ref_a = (mtl.value(f"REFLECTANCE_MULT_BAND_{band}"),
                    mtl.value(f"REFLECTANCE_ADD_BAND_{band}"))
    if ref_m is not None and ref_a is not None:
        return BandCalibration(float(ref_m) / sin_e, float(ref_a) / sin_e, "toa_reflectance",
                               "1")
    esun = ESUN.get(mtl.spacecraft, {}).get(band)
    if rad_m is None or rad_a is None or esun is None:
        raise DataError(
            f"{mtl.path}: no reflectance or radiance coefficients for band {band} of "
            f"{mtl.spacecraft or 'an unknown spacecraft'}"
        )
    k = math.pi * mtl.earth_sun_distance**2 / (esun * sin_e)
    return BandCalibration(float(rad_m) * k, float(rad_a) * k, "toa_reflectance", "1")
