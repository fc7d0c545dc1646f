"""Landsat MTL metadata: DN -> the quantity the product holds, checked against the file.

Which coefficients apply depends on the product level the MTL describes:

* **Level-1** (``L1TP``, ``L1GT``, ``L1T``...): top-of-atmosphere reflectance
  ``(M * DN + A) / sin(sun_elevation)`` from the level-1 radiometric rescaling group. Older
  TM/ETM+ files carry only radiance gains; reflectance is then
  ``pi * L * d^2 / (ESUN * sin(sun_elevation))`` with ``L = M * DN + A``, Chander et al.
  (2009) ESUN values and the Earth-Sun distance ``d``. Thermal bands become TOA radiance.
* **Collection 2 Level-2** (``L2SP``, ``L2SR``): surface reflectance
  ``REFLECTANCE_MULT * DN + REFLECTANCE_ADD`` (2.75e-5, -0.2) from the level-2 surface
  reflectance group and surface temperature ``TEMPERATURE_MULT * DN + TEMPERATURE_ADD``
  (0.00341802, 149.0 K) for ``ST_B10``. An L2SP MTL also holds level-1 coefficients; they
  describe the level-1 DN the product was made from, not its pixels.

All are linear in DN, so a band's calibration is one ``scale`` and one ``offset``. Fill is
DN 0 in both levels. The MTL's ``QUANTIZE_CAL_MAX``/``MIN`` bound the DNs: at Level-1 the
maximum is a saturated detector (255 for TM/ETM+, 65535 for OLI) and at Level-2 the product
clips reflectance and temperature to the range, so both ends are clipped values; either
way they read as no data (:attr:`BandCalibration.saturate`, ``valid_range``). The file's
product id (or pre-collection scene id) in its name is checked against the MTL: another
scene's or another level's MTL is an error naming both.

Collection 2 products flag saturated pixels in ``QA_RADSAT`` (a bit per band, USGS's
layout per sensor: :func:`radsat_bits`; terrain occlusion on Landsat 8-9, dropped pixels
on 1-7). A band calibrated from an MTL that lists that layer, found beside the MTL or the
band, carries it (:attr:`BandCalibration.saturation`) and the pixels it marks are no data;
how many (of the scene) is said once per band. A Level-2 MTL whose layer is absent is
said once too, and its saturated pixels go in as before. Coefficients that make no
physical quantity over the band's DNs (reflectance beyond -0.5..2, temperature beyond
100..450 K) are refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prospect.errors import DataError, DataWarning, InputFileError

__all__ = [
    "BandCalibration",
    "LandsatId",
    "MtlMetadata",
    "Saturation",
    "band_number",
    "band_words",
    "band_words_in",
    "calibration",
    "check_band_word",
    "check_footprint",
    "check_not_gap_mask",
    "daytime_sine",
    "finite",
    "landsat_id",
    "low_sun",
    "radsat_bits",
    "radsat_count",
    "read_mtl",
    "slc_off_fill",
    "systematic_level",
]

# Chander, Markham & Helder (2009), Remote Sensing of Environment 113, table 2 (W m-2 um-1).
ESUN = {
    "LANDSAT_4": {1: 1983.0, 2: 1795.0, 3: 1539.0, 4: 1028.0, 5: 219.8, 7: 83.49},
    "LANDSAT_5": {1: 1983.0, 2: 1796.0, 3: 1536.0, 4: 1031.0, 5: 220.0, 7: 83.44},
    "LANDSAT_7": {1: 1997.0, 2: 1812.0, 3: 1533.0, 4: 1039.0, 5: 230.8, 7: 84.90, 8: 1362.0},
}
EARTH_SUN_AU = (0.98, 1.02)
"""The Earth-Sun distance in astronomical units over a year (perihelion 0.9833, aphelion
1.0167), with a margin."""
MSS_ONLY = frozenset({"LANDSAT_1", "LANDSAT_2", "LANDSAT_3"})
"""Spacecraft that carried MSS alone (Landsat 4 and 5 carried TM and MSS)."""
THERMAL = {"LANDSAT_4": {6}, "LANDSAT_5": {6}, "LANDSAT_7": {6}, "LANDSAT_8": {10, 11},
           "LANDSAT_9": {10, 11}}
_LINE = re.compile(r"^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$")
# LC08_L2SP_224078_20200127_20200823_02_T1 (Collection 1/2 product id)
_PRODUCT_ID = re.compile(
    r"(L[COTEM])(\d{2})_(L1TP|L1GT|L1GS|L2SP|L2SR)_(\d{3})(\d{3})_(\d{8})_(\d{8})_(\d{2})_"
    r"(T1|T2|RT)")
# LC81970242014109LGN00 (pre-collection scene id: sensor, satellite, path, row, year, doy)
_SCENE_ID = re.compile(r"(L[COTEM])(\d)(\d{3})(\d{3})(\d{4})(\d{3})([A-Z]{3}\d{2})")


def finite(text: str) -> float:
    """``float(text)`` for a metadata value, refusing NaN and infinities.

    Product metadata never states a non-finite coefficient: one read as such would turn
    every pixel of the band into NaN or infinity without a word.

    Raises
    ------
    ValueError
        Not a number, or not a finite one (the caller names the file and the key).
    """
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


@dataclass(frozen=True)
class LandsatId:
    """What a Landsat product id or scene id says: which scene, and which product level."""

    text: str
    satellite: int
    path: int
    row: int
    date: dt.date
    level: str | None
    """``L1TP``, ``L2SP``... for collection ids; ``None`` for pre-collection scene ids."""
    sensor: str = ""
    """``C`` (OLI/TIRS), ``O``, ``T`` (TIRS), ``E`` (ETM+), ``T`` (TM) or ``M`` (MSS)."""
    processing: str = ""
    """What a collection product id says of the product's making: its processing date,
    collection number and tier (``20200823 02 T1``); empty for pre-collection scene ids."""

    def same_scene(self, other: LandsatId) -> bool:
        """Same satellite, WRS path/row and acquisition date."""
        return (self.satellite, self.path, self.row, self.date) == (
            other.satellite, other.path, other.row, other.date)


def _processing(ident: LandsatId) -> str:
    """A product id's processing in words (``Collection 2, tier T1, processed 2020-08-23``)."""
    day, number, tier = ident.processing.split()
    return (f"Collection {int(number)}, tier {tier}, processed "
            f"{day[:4]}-{day[4:6]}-{day[6:]}")


def landsat_id(text: str) -> LandsatId | None:
    """The Landsat product id or pre-collection scene id inside ``text`` (a file name), if
    any: one whose acquisition day is a day of the calendar.

    A day that is none is no id (``None``): a product id of ``20210230`` stopped the job
    with "internal error: ValueError: day is out of range for month", and a scene id's day
    366 of a common year (or day 000) was read as the next year's 1 January (the last
    year's 31 December), a look put on another date of a time series without a word.
    """
    m = _PRODUCT_ID.search(text)
    if m:
        try:
            date = dt.datetime.strptime(m.group(6), "%Y%m%d").date()
        except ValueError:
            return None
        return LandsatId(text=m.group(0), satellite=int(m.group(2)), path=int(m.group(4)),
                         row=int(m.group(5)), date=date,
                         level=m.group(3), sensor=m.group(1)[1],
                         processing=f"{m.group(7)} {m.group(8)} {m.group(9)}")
    m = _SCENE_ID.search(text)
    if m:
        try:
            day = dt.datetime.strptime(f"{m.group(5)}{m.group(6)}", "%Y%j").date()
        except ValueError:
            return None
        if day.year != int(m.group(5)):  # %j takes 366 of a common year into the next
            return None
        return LandsatId(text=m.group(0), satellite=int(m.group(2)), path=int(m.group(3)),
                         row=int(m.group(4)), date=day, level=None, sensor=m.group(1)[1])
    return None


_TM_WORDS: dict[int, frozenset[str]] = {
    1: frozenset({"blue"}), 2: frozenset({"green"}), 3: frozenset({"red"}),
    4: frozenset({"nir", "nir08"}), 5: frozenset({"swir", "swir1", "swir16"}),
    6: frozenset({"thermal", "tir", "lwir", "lwir11", "st", "lst", "bt"}),
    7: frozenset({"swir", "swir2", "swir22"}), 8: frozenset({"pan"})}
"""TM (Landsat 4, 5) and ETM+ (Landsat 7) bands by the names users give them. Band 6 is
the thermal band OLI's TIRS band 10 continues: Collection 2 Level-2 makes it surface
temperature (``ST_B6``) as it makes band 10 (``ST_B10``), so ``lst``, ``st`` and STAC's
``lwir11`` (the TM common name table of :mod:`prospect.ingest.stac` maps it to 6) name it
too; a TM ``ST_B6`` named ``lst`` was refused as "another band"."""
_OLI_WORDS: dict[int, frozenset[str]] = {
    1: frozenset({"coastal", "aerosol"}), 2: frozenset({"blue"}), 3: frozenset({"green"}),
    4: frozenset({"red"}), 5: frozenset({"nir", "nir08"}),
    6: frozenset({"swir", "swir1", "swir16"}), 7: frozenset({"swir", "swir2", "swir22"}),
    8: frozenset({"pan"}), 9: frozenset({"cirrus"}),
    10: frozenset({"thermal", "tir", "lwir", "lwir11", "tirs1", "st", "lst", "bt"}),
    11: frozenset({"thermal", "tir", "lwir", "lwir12", "tirs2", "bt"})}
"""OLI/TIRS (Landsat 8, 9) bands: band 4 is red here but NIR on TM/ETM+."""
BAND_WORDS = frozenset().union(*_TM_WORDS.values(), *_OLI_WORDS.values(), {
    "rededge", "nir09", "wv", "swir11", "swir12"})
"""The words that name a band in a variable name (``tm_red``, ``oli_swir1``, ``nir``)."""

_PHRASES: dict[str, str] = {"nearinfrared": "nir", "thermalinfrared": "tir"}
"""Band names written as several words, joined, that are not :data:`BAND_WORDS` as such."""


def band_words_in(name: str) -> frozenset[str]:
    """The band words (:data:`BAND_WORDS`) a variable name holds, its words joined where
    the joined words name one band: ``s2_red_edge`` is ``rededge`` (not ``red``),
    ``swir_2`` is ``swir2`` (not any ``swir``), ``nir_08`` is ``nir08``; Earth Search's
    ``rededge1``..``rededge3`` are ``rededge``. The longest run of up to three words that
    names a band is taken first."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]
    found: set[str] = set()
    i = 0
    while i < len(tokens):
        for k in (3, 2, 1):
            if i + k > len(tokens):
                continue
            joined = "".join(tokens[i:i + k])
            word = _PHRASES.get(joined) or ("rededge" if re.fullmatch(
                r"rededge\d", joined) else joined if joined in BAND_WORDS else None)
            if word is not None:
                found.add(word)
                i += k
                break
        else:
            i += 1
    return frozenset(found)


def band_words(satellite: int | None, band: int, sensor: str = "") -> frozenset[str] | None:
    """The names a Landsat band goes by (``red`` for OLI band 4, ``nir`` for TM band 4), or
    ``None`` where the sensor is not known (or is MSS, numbered otherwise)."""
    if satellite is None or sensor.upper() == "M":
        return None
    table = _OLI_WORDS if satellite >= 8 else _TM_WORDS if satellite in (4, 5, 7) else None
    return table.get(band) if table is not None else None


LANDSAT_NUMBERING = "band 4 is red on Landsat 8/9, NIR on Landsat 4-7"


def check_band_word(var: str, file: str, held: frozenset[str] | None, band: str,
                    product: str, numbering: str = LANDSAT_NUMBERING) -> None:
    """Refuse a variable named for one band (``red``, ``tm_nir``, ``oli_swir1``) whose file
    holds another (``held``: the names of ``band`` of ``product``).

    Band numbers differ between sensors (band 4 is red on OLI and Sentinel-2's B04, NIR on
    TM and ETM+; B08 is Sentinel-2's NIR), so a file mapped by its number under another
    sensor's numbering went in as the wrong band, calibrated and named as the right one.
    A variable whose name has no band word (``B4``, ``sr4``) is not checked.

    Raises
    ------
    DataError
        Naming the variable, the file, the band it holds and what that band is.
    """
    if held is None:
        return
    words = band_words_in(var)
    if not words or words & held:
        return
    raise DataError(
        f"{file}: the config names it {var!r}, but it is {band} of {product}, which is "
        f"{'/'.join(sorted(held))}, not {'/'.join(sorted(words))} (band numbers differ "
        f"between sensors: {numbering}); map each variable to the file of its own band")


_AUX = re.compile(r"_(QA_PIXEL|QA_RADSAT|SR_QA_AEROSOL|SR_ATMOS_OPACITY|SR_CLOUD_QA|ST_QA|"
                  r"ST_TRAD|ST_URAD|ST_DRAD|ST_ATRAN|ST_EMIS|ST_EMSD|ST_CDIST|BQA)$",
                  re.IGNORECASE)
"""Quality and auxiliary layers of a Landsat product: not bands the MTL calibrates."""

C2_L2_AUX: dict[str, tuple[str, str, str, float]] = {
    "ST_ATRAN": ("atmospheric transmittance", "atmospheric_transmittance", "1", 1e-4),
    "ST_CDIST": ("distance to the nearest cloud", "cloud_distance", "km", 0.01),
    "ST_DRAD": ("downwelled radiance", "downwelled_radiance", "W m-2 sr-1 um-1", 1e-3),
    "ST_EMIS": ("emissivity", "emissivity", "1", 1e-4),
    "ST_EMSD": ("emissivity standard deviation", "emissivity_standard_deviation", "1",
                1e-4),
    "ST_QA": ("surface temperature uncertainty", "surface_temperature_uncertainty", "K",
              0.01),
    "ST_TRAD": ("thermal radiance", "thermal_radiance", "W m-2 sr-1 um-1", 1e-3),
    "ST_URAD": ("upwelled radiance", "upwelled_radiance", "W m-2 sr-1 um-1", 1e-3),
    "SR_ATMOS_OPACITY": ("atmospheric opacity", "atmospheric_opacity", "1", 1e-3),
}
"""Collection 2 Level-2 auxiliary layers of values (not flags): ``(what, quantity, units,
scale)``, ``value = scale * DN`` (int16, fill -9999; USGS Landsat 4-7 and 8-9 Collection 2
Level-2 Science Product Guides). Their MTL calibrates none of them, so a file read without
its scale went in as DNs (an emissivity of 9700 labelled '1')."""


_S2_FILE = re.compile(r"(?:^|_)T\d{2}[A-Z]{3}_\d{8}T\d{6}_B\d[\dA](?:_\d{2}m)?$")
"""A Sentinel-2 band file (``T31UFT_20220101T104439_B04_10m``)."""


SLC_FAILURE = dt.date(2003, 5, 31)
"""Landsat 7's scan-line corrector failed on this day: every later ETM+ scene has wedge
gaps (about 22 % of the scene) that hold the product's fill value."""


def slc_off_fill(path: str, source: str, *, sensor: str | None = None,
                 date: dt.date | None = None) -> str | None:
    """Why the band file ``path`` cannot be read without a declared nodata: a Landsat 7
    ETM+ scene acquired after :data:`SLC_FAILURE`, whose scan-line gaps hold the product's
    fill (0; -9999 for ESPA), read as dark data when no nodata is declared. ``None`` for
    any other file.

    The scene is Landsat 7 when its file name says so (a Collection product id or a
    pre-collection scene id, a Level-1, Collection 2 Level-2 or ESPA band, or a U.S. ARD
    tile's band: :func:`~prospect.ingest.products.ard_tile`), or, for a name
    that does not tell, when the config's ``sensor`` is Landsat 7 (``landsat7`` or an
    alias); its date is the name's, else the config's ``date``. A name of
    another satellite wins over the config's sensor. ``source`` names the source for the
    message. The caller asks only when no nodata is declared anywhere (the config, the
    file, the product's metadata)."""
    from prospect.indices.bands import is_sensor
    from prospect.ingest.products import ard_tile

    name = Path(str(path)).name
    ident = landsat_id(name)
    level = file_level(name)
    tile = ard_tile(name)
    if ident is not None and level in ("L1", "L2", "ESPA"):
        satellite, when, how = ident.satellite, ident.date, ""
    elif tile is not None:  # a U.S. ARD tile: Collection 1's fill is ESPA's
        satellite, when, how = tile.satellite, tile.date, ""
        level = "ESPA" if tile.collection == 1 else "L2"
    elif ident is None and is_sensor(sensor, "landsat7") and date is not None:
        satellite, when, how = 7, date, f" (sensor {sensor!r} and the scene's date)"
    else:
        return None
    if satellite != 7 or when <= SLC_FAILURE:
        return None
    fill = "-9999" if level == "ESPA" else "0"
    return (f"{path}: a Landsat 7 ETM+ band acquired {when.isoformat()}{how}, after "
            f"the scan-line corrector failed ({SLC_FAILURE.isoformat()}): its gaps (about a "
            f"fifth of the scene) hold the product's fill value {fill}, but no nodata is "
            f"declared (not in the file, no 'metadata:', no 'nodata:' in source "
            f"{source!r}), so the gaps would be read as dark data; set 'nodata: {fill}' in "
            "the source (USGS's fill for this product), or name the scene's metadata file "
            "with 'metadata:'")


_GAP_MASK = re.compile(r"(?:^|_)GM_B(\d{1,2})(?:_VCID_[12])?$", re.IGNORECASE)
"""A Landsat 7 SLC-off gap mask (``..._GM_B3.TIF``, the ``gap_mask`` folder of Collection 1
and pre-collection Level-1 products): which pixels of a band are scan-line gaps."""


def check_not_gap_mask(file: str, where: str = "") -> None:
    """Refuse a Landsat 7 gap-mask file given as a band file.

    Collection 1 and pre-collection ETM+ Level-1 products of SLC-off scenes ship a
    ``gap_mask`` folder of one file per band, named as the band with ``GM_`` before the
    band number (``..._GM_B3.TIF``). Its name ends as band 3's does, so it was read as
    band 3: the MTL's band-3 coefficients (or a config ``scale:``) turned its 0/1 gap flags
    into a reflectance, without a word (a glob of ``*_B3.TIF`` over an unpacked product
    finds both).

    Raises
    ------
    DataError
        Naming the file, the band it masks and the fix.
    """
    stem = Path(str(file)).name.split(".")[0]
    m = _GAP_MASK.search(stem)
    if m is None:
        return
    band = m.group(1)
    raise DataError(
        f"{where}{file}: a Landsat 7 scan-line gap mask (GM_B{band}: which pixels of band "
        f"{band} are SLC-off gaps), not band {band}'s DNs: its flags would be calibrated as "
        f"reflectance; give the band file (the same name without 'GM_'), whose fill marks "
        "the gaps (declare it with 'metadata:' or 'nodata: 0')")


def file_level(name: str) -> str | None:
    """The product level a band file's name shows: ``L2`` (``SR_B4``/``ST_B10``), ``L1``
    (``_B4``), ``ESPA`` (``sr_band4``), ``S2`` (a Sentinel-2 band file), or ``None`` when
    the name does not tell."""
    stem = Path(name).name.split(".")[0]
    if _S2_FILE.search(stem):
        return "S2"
    if re.search(r"_(SR|ST)_B\d{1,2}$", stem, re.IGNORECASE):
        return "L2"
    if re.search(r"_(sr|toa)_band\d{1,2}$", stem, re.IGNORECASE):
        return "ESPA"
    if re.search(r"_B\d{1,2}$", stem) and landsat_id(stem) is not None:
        return "L1"
    return None


@dataclass(frozen=True)
class Saturation:
    """A Landsat Collection 2 ``QA_RADSAT`` layer and the bits that make a band's pixel no
    data: the band's radiometric saturation (and, where the layer has them, terrain
    occlusion or a dropped pixel). A saturated Level-1 DN is no measurement, and the
    Level-2 product made from it keeps a value that is not one either."""

    path: str
    bits: int
    what: str
    """The bits, for messages (``band 4 saturation, terrain occlusion``)."""
    def drops(self, codes: Any) -> Any:
        """True where a block of the layer's codes has one of :attr:`bits` set."""
        import numpy as np

        return (np.asarray(codes).astype(np.uint32) & np.uint32(self.bits)) != 0

    def describe(self) -> dict[str, object]:
        """JSON-friendly summary for provenance."""
        return {"file": self.path, "bits": [b for b in range(16) if self.bits >> b & 1],
                "drops": self.what}


_OLI_RADSAT = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 9: 8}
"""Landsat 8-9 Collection 2 ``QA_RADSAT``: band -> its saturation bit (USGS, Landsat 8-9
Collection 2 Level-2 Science Product Guide, QA_RADSAT table; bit 7 and the pan and TIRS
bands have none); bit 11 is terrain occlusion, for every band."""
_TM_RADSAT = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6}
"""Landsat 4-7 Collection 2 ``QA_RADSAT``: band -> its saturation bit (USGS, Landsat 4-7
Collection 2 Level-2 Science Product Guide: bit 5 is TM's band 6, ETM+'s band 6 low gain
(VCID 1); bit 8 ETM+'s band 6 high gain (VCID 2); bit 9 a dropped pixel, for every band).
There is no terrain-occlusion bit."""
OLI_TERRAIN_OCCLUSION = 11
DROPPED_PIXEL = 9


def radsat_bits(satellite: int | None, band: int, *, sensor: str = "",
                high_gain: bool = False) -> tuple[int, str] | None:
    """``(bits, what)`` of the Collection 2 ``QA_RADSAT`` layer that make a pixel of
    ``band`` no data, or ``None`` where the layout of the satellite is not known.

    Landsat 8-9: the band's saturation bit (bands 1-7 bits 0-6, band 9 bit 8) and bit 11,
    terrain occlusion. Landsat 4-7 (TM, ETM+): bands 1-5 bits 0-4, band 6 bit 5 (ETM+ high
    gain, VCID 2: bit 8), band 7 bit 6, and bit 9, a dropped pixel. MSS (Landsat 1-5):
    its four bands in order on bits 0-3 (bands 4-7 of Landsat 1-3, 1-4 of Landsat 4-5),
    and bit 9."""
    if satellite is None:
        return None
    parts: list[tuple[int, str]] = []
    if sensor.upper() == "M" or satellite in (1, 2, 3):
        first = 4 if satellite in (1, 2, 3) else 1
        if first <= band < first + 4:
            parts.append((band - first, f"band {band} saturation"))
        parts.append((DROPPED_PIXEL, "dropped pixel"))
    elif satellite >= 8:
        if band in _OLI_RADSAT:
            parts.append((_OLI_RADSAT[band], f"band {band} saturation"))
        parts.append((OLI_TERRAIN_OCCLUSION, "terrain occlusion"))
    elif satellite in (4, 5, 7):
        bit = 8 if band == 6 and high_gain and satellite == 7 else _TM_RADSAT.get(band)
        if bit is not None:
            parts.append((bit, f"band {band}{' high gain' if bit == 8 else ''} saturation"))
        parts.append((DROPPED_PIXEL, "dropped pixel"))
    else:
        return None
    return sum(1 << bit for bit, _ in parts), ", ".join(what for _, what in parts)


@dataclass(frozen=True)
class BandCalibration:
    """``value = scale * DN + offset``, what the value is, and the product's fill DN."""

    scale: float
    offset: float
    quantity: str
    units: str
    fill: float | None = None
    valid_range: tuple[float, float] | None = None
    """Valid DN range stated by the product (before scaling), if any. The product clips
    to it, so a DN outside the range or at either end of it is no data (clipped or
    saturated, not measured)."""
    saturate: float | None = None
    """The DN the product writes for a saturated pixel, if it states one: no data."""
    unstated: tuple[float, float] | None = None
    """The ``(scale, offset)`` the product defines for these DNs where the item that
    describes them states none (a Collection 2 Level-2 or Sentinel-2 band without
    ``raster:bands`` scale): the config must give it, else DNs are read as values."""
    saturation: Saturation | None = None
    """The product's ``QA_RADSAT`` layer and this band's bits in it: pixels it marks are
    no data (read on the band's own pixels, before resampling)."""
    dn_only: str = ""
    """Where the item defines its DNs as no value without the product's own metadata (a
    Landsat Level-1 band whose item states no ``raster:bands`` scale and has no local MTL:
    each scene and band has its own coefficients, and reflectance needs the sun), what
    they are, for the refusal of DNs read as values; empty: no such rule."""


@dataclass(frozen=True)
class MtlMetadata:
    """The parts of an MTL file that calibration, checks and mosaicking use."""

    path: str
    spacecraft: str
    date: dt.date | None
    cloud_cover: float | None
    sun_elevation: float
    """``SUN_ELEVATION`` in degrees; NaN where a Level-2 MTL states none (its values are
    calibrated without the sun's angle; a Level-1 MTL without it is refused when read)."""
    earth_sun_distance: float
    groups: dict[str, dict[str, str]]
    level: str = ""
    """``PROCESSING_LEVEL`` (Collection 2) or ``DATA_TYPE`` (older): ``L1TP``, ``L2SP``..."""
    ident: LandsatId | None = None
    told: set[str] = field(default_factory=set, compare=False, repr=False)
    """What this MTL's scene was already warned of (once per scene, not per band)."""

    @property
    def level2(self) -> bool:
        """The MTL describes a Level-2 (surface reflectance / temperature) product."""
        return self.level.upper().startswith("L2")

    def value(self, key: str, groups: tuple[str, ...] = (
            "LEVEL1_RADIOMETRIC_RESCALING", "RADIOMETRIC_RESCALING")) -> str | None:
        """``key`` from ``groups`` first (in order), then from any group but, in a Level-1
        MTL, the Level-2 ones: a truncated MTL lacking ``LEVEL1_RADIOMETRIC_RESCALING``
        took ``REFLECTANCE_MULT_BAND_4`` (2.75e-5) from ``LEVEL2_SURFACE_REFLECTANCE_...``
        for Level-1 DN."""
        for group in groups:
            if key in self.groups.get(group, {}):
                return self.groups[group][key]
        for name, values in self.groups.items():
            if key in values and (self.level2 or not name.startswith("LEVEL2_")):
                return values[key]
        return None

    def describe(self) -> str:
        """The MTL's product id (or scene id) and level, for messages."""
        name = self.ident.text if self.ident else Path(self.path).name
        return f"{name} ({self.level or 'unknown level'})"

    def footprint(self) -> tuple[str, tuple[float, float, float, float]] | None:
        """The product's CRS and extent ``(left, bottom, right, top)`` of its pixel
        centres, from the MTL's ``UTM_ZONE`` and ``CORNER_UL/LR_PROJECTION_*_PRODUCT``
        (southern scenes in the northern zone, with negative northings, as USGS writes
        them); ``None`` where the MTL states no UTM grid."""
        where = ("PROJECTION_ATTRIBUTES", "PRODUCT_METADATA", "PROJECTION_PARAMETERS",
                 "LEVEL1_PROJECTION_PARAMETERS")
        texts = [self.value(k, where) for k in (
            "UTM_ZONE", "CORNER_UL_PROJECTION_X_PRODUCT", "CORNER_LR_PROJECTION_Y_PRODUCT",
            "CORNER_LR_PROJECTION_X_PRODUCT", "CORNER_UL_PROJECTION_Y_PRODUCT")]
        projection = (self.value("MAP_PROJECTION", where) or "UTM").strip('"').upper()
        if projection != "UTM" or any(t is None for t in texts):
            return None
        try:
            zone, *box = (float(str(t).strip('"')) for t in texts)
        except ValueError:
            return None
        if not (1 <= abs(zone) <= 60 and all(map(math.isfinite, box))):
            return None
        return f"EPSG:{(32700 if zone < 0 else 32600) + int(abs(zone))}", (
            box[0], box[1], box[2], box[3])

    def check_file(self, file: str) -> None:
        """Refuse a band file of another scene or another product level than this MTL's.

        Raises
        ------
        DataError
            Naming the file's id and level and the MTL's; a file whose name states no
            scene but which lies mostly outside the MTL's product (:func:`check_footprint`);
            a gap-mask file (:func:`check_not_gap_mask`).
        """
        check_not_gap_mask(file)
        check_footprint(file, self.footprint(), self.describe(), "MTL")
        name = Path(file).name
        fid, flevel = landsat_id(name), file_level(name)
        mismatch = False
        if fid is not None and self.ident is not None and not fid.same_scene(self.ident):
            mismatch = True
        if fid is not None and fid.level is not None and self.level and (
                fid.level[:2] != self.level[:2]):
            mismatch = True
        if not mismatch and fid is not None and self.ident is not None and \
                fid.processing and self.ident.processing and \
                fid.processing != self.ident.processing:
            raise DataError(
                f"{file}: the file is {fid.text}, but its metadata file {self.path} "
                f"describes {self.ident.text}: the same scene and level from another "
                f"processing ({_processing(fid)} against {_processing(self.ident)}), "
                "whose calibration, geometry and quality layers are another product's "
                "(Collection 2 recalibrated and re-registered Collection 1; a "
                "reprocessing changes them too); give the MTL delivered with the file (the "
                "one whose LANDSAT_PRODUCT_ID is the file's)")
        if (flevel == "L2" and not self.level2) or (flevel == "L1" and self.level2):
            mismatch = True
        if flevel == "S2":
            raise DataError(
                f"{file}: a Sentinel-2 band file, but the metadata file given is the Landsat "
                f"MTL {self.path} ({self.describe()}); give the product's MTD_MSIL2A.xml "
                "(or MTD_MSIL1C.xml) with 'metadata:'")
        if flevel == "ESPA":
            raise DataError(
                f"{file}: an ESPA surface-reflectance file, but the metadata file given is "
                f"the MTL {self.path} ({self.describe()}); give the ESPA .xml of the scene "
                "with 'metadata:'"
            )
        if mismatch:
            shown = fid.text if fid else name
            shown_level = (fid.level if fid and fid.level else
                           {"L2": "Level-2", "L1": "Level-1"}.get(flevel or "", "unknown"))
            raise DataError(
                f"{file}: the file is {shown} ({shown_level}) but its metadata file {self.path} "
                f"describes {self.describe()}; give the MTL of the same scene and product level"
            )

    def listed_band(self, file: str) -> int | None:
        """The band number this MTL lists ``file`` under (``FILE_NAME_BAND_4 = ...``)."""
        name = Path(file).name.lower()
        for values in self.groups.values():
            for key, value in values.items():
                m = _LISTED.match(key)
                if m and value.strip().lower() == name:
                    return int(m.group(1))
        return None

    def calibrate(self, band_key: str, file: str) -> BandCalibration:
        """Check ``file`` against this MTL, then its band's calibration (see module doc).

        Raises
        ------
        DataError
            Besides :meth:`check_file`'s: the config names the file as another band than
            the one the MTL lists it under (or its file name says), whose coefficients
            would calibrate it.
        """
        self.check_file(file)
        self._warn_geolocation()
        aux = _AUX.search(Path(file).name.split(".")[0])
        if aux is not None:
            layer = aux.group(1).upper()
            aux_scale = C2_L2_AUX.get(layer)
            how = ("name it in 'cloud_mask:' (kind qa_pixel)" if layer == "QA_PIXEL" else
                   "read it as its own source without 'metadata:', with the scale the "
                   "Collection 2 product guide gives it"
                   + (f" ('scale: {aux_scale[3]:g}', {aux_scale[0]} in "
                      f"{aux_scale[2]!r})" if aux_scale is not None else ""))
            raise DataError(
                f"{file}: the {layer} layer of {self.describe()}, not a spectral band the "
                f"MTL calibrates; {how}")
        band = band_number(band_key, file)
        actual = self.listed_band(file)
        if actual is None:
            try:
                actual = band_number("", file)
            except DataError:
                actual = None
        if actual is not None and actual != band:
            raise DataError(
                f"{file}: the config names it {band_key!r} (band {band}), but it is band "
                f"{actual} of {self.describe()}; map each band name to its own file "
                f"(band {band}'s coefficients would calibrate band {actual}'s numbers)")
        sat = self.ident.satellite if self.ident is not None else None
        if sat is None:
            digits = re.sub(r"\D", "", self.spacecraft)
            sat = int(digits) if digits else None
        sensor_id = (self.value("SENSOR_ID", ()) or "").upper()
        sensor = self.ident.sensor if self.ident is not None else (
            "M" if "MSS" in sensor_id else "")
        check_band_word(band_key, file, band_words(sat, band, sensor), f"band {band}",
                        self.spacecraft.replace("_", " ").title() or "a Landsat scene")
        vcid = self._vcid(band_key, file, band)
        cal = calibration(self, band, vcid=vcid)
        bits = radsat_bits(sat, band, sensor=sensor, high_gain=vcid == 2)
        if bits is None:
            return cal
        layer = self._radsat_layer(file, band)
        if layer is None:
            return cal
        mask = Saturation(path=layer, bits=bits[0], what=bits[1])
        self._warn_saturated(mask, band)
        return dataclasses.replace(cal, saturation=mask)

    def _vcid(self, band_key: str, file: str, band: int) -> int | None:
        """Which gain of Landsat 7's band 6 ``file`` holds (``1`` low, ``2`` high), from
        the MTL's listing or the file name, else the config's band name (``B6_VCID_2``);
        ``None`` for any other band.

        Raises
        ------
        DataError
            The config names the file as the other gain than it is.
        """
        said = re.search(r"_VCID_([12])$", band_key.upper())
        held = re.search(r"_VCID_([12])(?:\.|$)", Path(file).name.upper())
        for values in self.groups.values():
            for key, value in values.items():
                m = re.match(rf"^FILE_NAME_BAND_{band}_VCID_([12])$", key)
                if m and value.strip().lower() == Path(file).name.lower():
                    held = m
        if said and held and said.group(1) != held.group(1):
            raise DataError(
                f"{file}: the config names it {band_key!r}, but it is band {band} VCID_"
                f"{held.group(1)} ({'high' if held.group(1) == '2' else 'low'} gain) of "
                f"{self.describe()}; the two gains have their own coefficients: map each "
                "band name to its own file")
        got = held or said
        return int(got.group(1)) if got else None

    def _radsat_layer(self, file: str, band: int) -> str | None:
        """The scene's ``QA_RADSAT`` file (the one the MTL lists, beside the band file or
        the MTL), or ``None``: where the MTL lists one that is not there, or is a Level-2
        MTL, the scene is warned of once (its saturated pixels go in as values); a
        pre-Collection Level-1 scene has none and needs none (its saturated DN,
        ``QUANTIZE_CAL_MAX``, is no data already). A band the MTL states has no saturated
        pixel (``SATURATION_BAND_4 = "N"``) needs no layer."""
        name = (self.groups.get("PRODUCT_CONTENTS", {}).get(_RADSAT_KEY)
                or self.value(_RADSAT_KEY, ()) or "").strip()
        if (self.value(f"SATURATION_BAND_{band}", ()) or "").strip().upper() == "N":
            return None
        if not name and not self.level2:
            return None
        folders = [Path(self.path).parent]
        if "://" not in file and not file.startswith("/vsi"):
            folders.insert(0, Path(file).parent)
        for folder in folders:
            if name and (folder / Path(name).name).is_file():
                return str(folder / Path(name).name)
        if "radsat" not in self.told:
            self.told.add("radsat")
            listed = (f"the QA_RADSAT layer the MTL lists ({Path(name).name}) is not beside "
                      "it or the band files" if name else "the MTL lists no QA_RADSAT layer")
            warnings.warn(DataWarning(
                f"{self.path}: {listed}, so the saturated pixels of {self.describe()} are "
                "not masked and go in as values (as before); put the product's QA_RADSAT "
                "file beside its MTL to read them as no data"), stacklevel=4)
        return None

    def _warn_geolocation(self) -> None:
        """Warn once per scene whose processing level is not terrain-precision corrected
        (:func:`systematic_level`): its pixels went in beside the other layers as if
        they lay where the map says, without a word."""
        said = systematic_level(self.level)
        if said is None or "geolocation" in self.told:
            return
        self.told.add("geolocation")
        name = self.ident.text if self.ident else "the scene"
        warnings.warn(DataWarning(f"{self.path}: {name} is {said}"), stacklevel=4)

    def _warn_saturated(self, mask: Saturation, band: int) -> None:
        """Warn once per band of how many pixels of the scene ``mask`` drops."""
        key = f"radsat:{band}"
        if key in self.told:
            return
        self.told.add(key)
        dropped, total = radsat_count(mask)
        if dropped:
            warnings.warn(DataWarning(
                f"{mask.path}: QA_RADSAT marks {dropped} pixel(s) of band {band} of "
                f"{self.describe()} ({dropped / total:.2%} of the scene; {mask.what}): "
                "they are no data, not values"), stacklevel=4)


_RADSAT_KEY = "FILE_NAME_QUALITY_L1_RADIOMETRIC_SATURATION"

_SYSTEMATIC = {
    "L1GT": "systematic terrain correction without ground control points",
    "L1GS": "systematic correction without ground control points or terrain",
    "L1G": "systematic correction without ground control points or terrain",
}
"""Landsat processing levels placed without ground control (Collection ``L1GT``,
``L1GS``; pre-Collection ``L1Gt``, ``L1G``): what each is."""


def systematic_level(level: str) -> str | None:
    """Why a scene of processing level ``level`` (an MTL's ``PROCESSING_LEVEL`` or
    ``DATA_TYPE``, an item's ``landsat:correction``) may lie off the map, as a clause of a
    warning; ``None`` for a precision, terrain-corrected level (``L1TP``, ``L1T``,
    ``L2SP``...) or none stated.

    An ``L1GT`` or ``L1GS`` scene (cloud over the ground control points, night, polar or
    ocean scenes) is placed by the satellite's orbit and attitude alone: its pixels may
    lie tens to hundreds of metres off, where ``L1TP`` is within about 12 m; it went in
    beside the survey layers as if it fitted them."""
    what = _SYSTEMATIC.get(level.strip().upper())
    if what is None:
        return None
    return (f"processing level {level.strip()} ({what}): its pixels may lie tens to "
            "hundreds of metres from where the map puts them (L1TP is within about 12 m); "
            "use the scene's L1TP product where USGS made one, or check the scene against "
            "the other layers before reading values at points")


@functools.lru_cache(maxsize=32)
def _radsat_histogram(path: str, stamp: tuple[int, int]) -> tuple[Any, int]:
    """How many pixels of the ``QA_RADSAT`` file hold each 16-bit code, and how many
    pixels it has (read in blocks: memory bounded by a block, not the scene)."""
    import numpy as np
    import rasterio
    from rasterio.errors import RasterioError

    hist = np.zeros(1 << 16, dtype=np.int64)
    try:
        with rasterio.open(path) as src:
            bare = src.transform.is_identity and src.crs is None and not src.gcps[0]
            if src.count != 1 or src.dtypes[0] not in ("uint16", "uint8") or bare:
                raise DataError(
                    f"{path}: not a QA_RADSAT layer ({src.count} band(s) of "
                    f"{src.dtypes[0]}{', without georeferencing' if bare else ''}; "
                    "QA_RADSAT is one georeferenced band of 16-bit flags); put the "
                    "product's own QA_RADSAT file beside its MTL")
            for _, window in src.block_windows(1):
                codes = src.read(1, window=window)
                hist += np.bincount(codes.ravel(), minlength=1 << 16)[: 1 << 16]
            total = src.width * src.height
    except (OSError, RasterioError) as exc:
        raise InputFileError(f"{path}: cannot read the QA_RADSAT layer: {exc}") from None
    return hist, total


def radsat_count(mask: Saturation) -> tuple[int, int]:
    """``(pixels the layer drops, pixels of the layer)`` over the whole scene.

    Raises
    ------
    InputFileError
        The layer cannot be read.
    DataError
        It is not one band of 16-bit flags.
    """
    import numpy as np

    try:
        st = Path(mask.path).stat()
    except OSError as exc:
        raise InputFileError(f"{mask.path}: cannot read the QA_RADSAT layer: "
                             f"{exc.strerror}") from None
    hist, total = _radsat_histogram(mask.path, (st.st_mtime_ns, st.st_size))
    codes = np.arange(1 << 16, dtype=np.uint32)
    return int(hist[(codes & np.uint32(mask.bits)) != 0].sum()), int(total)


_LISTED = re.compile(r"^FILE_NAME_BAND_(?:ST_B)?(\d{1,2})(?:_VCID_\d)?$")
"""An MTL key listing a band's file: ``FILE_NAME_BAND_4``, ``FILE_NAME_BAND_ST_B10``..."""


def _structured_groups(path: Path, text: str) -> dict[str, dict[str, str]] | None:
    """The groups of an MTL in its JSON (``*_MTL.json``) or XML (``*_MTL.xml``) form, which
    Collection 2 delivers beside the text form with the same groups and keys; ``None`` for
    the text form.

    Raises
    ------
    InputFileError
        Malformed JSON or XML, or another document than a Landsat MTL.
    """
    head = text.lstrip("\ufeff \t\r\n")
    if not head.startswith(("{", "<")):
        return None
    groups: dict[str, dict[str, str]] = {}

    def add(name: str, values: dict[str, object]) -> None:
        flat = groups.setdefault(name, {})
        for key, value in values.items():
            if isinstance(value, dict):
                add(key, value)
            elif value is not None:
                flat[key] = str(value).strip()

    if head.startswith("{"):
        import json

        try:
            doc = json.loads(head)
        except ValueError as exc:
            raise InputFileError(f"{path}: not readable as JSON ({exc}); use the MTL as "
                                 "delivered with the scene") from None
        root = doc.get("LANDSAT_METADATA_FILE") if isinstance(doc, dict) else None
        if not isinstance(root, dict):
            raise InputFileError(f"{path}: a JSON file without LANDSAT_METADATA_FILE: not a "
                                 "Landsat MTL; give the scene's *_MTL.txt, .json or .xml")
        add("LANDSAT_METADATA_FILE", root)
        return groups
    import xml.etree.ElementTree as ET

    try:
        el = ET.fromstring(head)
    except ET.ParseError as exc:
        raise InputFileError(f"{path}: not readable as XML ({exc}); use the MTL as "
                             "delivered with the scene") from None

    def tree(node: ET.Element) -> dict[str, object]:
        return {child.tag.rsplit("}", 1)[-1]: tree(child) if len(child) else
                (child.text or "") for child in node}

    if el.tag.rsplit("}", 1)[-1] != "LANDSAT_METADATA_FILE":
        raise InputFileError(f"{path}: an XML file whose root is not LANDSAT_METADATA_FILE: "
                             "not a Landsat MTL")
    add("LANDSAT_METADATA_FILE", tree(el))
    return groups


def read_mtl(path: Path | str) -> MtlMetadata:
    """Parse a Landsat MTL: ``*_MTL.txt`` (ODL ``KEY = value`` lines in ``GROUP`` blocks), or
    the ``*_MTL.json`` / ``*_MTL.xml`` forms of Collection 2, which hold the same groups.

    Raises
    ------
    InputFileError
        Unreadable, not an MTL, or a malformed number or date in it.
    DataError
        No ``SUN_ELEVATION``.
    """
    path = Path(path)
    try:
        text = path.read_bytes().replace(b"\0", b"").decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the MTL file: {exc.strerror}") from None
    structured = _structured_groups(path, text)
    groups: dict[str, dict[str, str]] = structured or {}
    stack: list[str] = []
    for line in text.splitlines() if structured is None else ():
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
    if structured is None and not any(g.endswith("METADATA_FILE") for g in groups):
        shown = ", ".join(list(groups)[:4]) + (" ..." if len(groups) > 4 else "")
        raise InputFileError(
            f"{path}: an ODL file whose groups ({shown}) are not a Landsat MTL's (its "
            "outer group is LANDSAT_METADATA_FILE or L1_METADATA_FILE): an angle "
            "coefficient file (*_ANG.txt) or another product's?; give the scene's *_MTL.txt")

    def find(key: str) -> str | None:
        for values in groups.values():
            if key in values:
                return values[key]
        return None

    try:
        return _mtl(path, groups, find)
    except DataError:
        raise
    except ValueError as exc:
        raise InputFileError(
            f"{path}: a malformed number or date in the MTL ({exc}); use the MTL as "
            "delivered with the scene"
        ) from None


def _mtl(path: Path, groups: dict[str, dict[str, str]],
         find: Callable[[str], str | None]) -> MtlMetadata:
    """The MTL's parsed groups as :class:`MtlMetadata` (``ValueError`` if malformed)."""
    sun = find("SUN_ELEVATION")
    level = (groups.get("PRODUCT_CONTENTS", {}).get("PROCESSING_LEVEL")
             or find("PROCESSING_LEVEL") or find("DATA_TYPE") or "")
    if sun is None and not level.upper().startswith("L2"):
        raise DataError(f"{path}: the MTL has no SUN_ELEVATION; cannot compute reflectance")
    date_text = find("DATE_ACQUIRED") or find("ACQUISITION_DATE")
    date = dt.date.fromisoformat(date_text) if date_text else None
    cloud = find("CLOUD_COVER")
    dist = find("EARTH_SUN_DISTANCE")
    if dist is not None:
        d = finite(dist)
        if d <= 0:
            raise ValueError(f"EARTH_SUN_DISTANCE {dist} is not a positive number")
        if not EARTH_SUN_AU[0] <= d <= EARTH_SUN_AU[1]:
            raise ValueError(
                f"EARTH_SUN_DISTANCE {dist} is no Earth-Sun distance in astronomical units "
                f"({EARTH_SUN_AU[0]:g} to {EARTH_SUN_AU[1]:g}; kilometres, or another "
                "key's value?): reflectance from radiance scales with its square")
    elif date is not None:
        doy = date.timetuple().tm_yday
        d = 1.0 - 0.01672 * math.cos(math.radians(0.9856 * (doy - 4)))
    else:
        d = 1.0
    product = groups.get("PRODUCT_CONTENTS", {}).get("LANDSAT_PRODUCT_ID") or find(
        "LANDSAT_PRODUCT_ID")
    ident = landsat_id(product or "") or landsat_id(find("LANDSAT_SCENE_ID") or "")
    return MtlMetadata(
        path=str(path), spacecraft=(find("SPACECRAFT_ID") or "").upper(), date=date,
        cloud_cover=_cloud_cover(cloud),
        sun_elevation=finite(sun) if sun is not None else math.nan, earth_sun_distance=d,
        groups=groups, level=level.upper(),
        ident=ident,
    )


def _cloud_cover(text: str | None) -> float | None:
    """``CLOUD_COVER`` in percent, or ``None`` where the MTL states none or USGS's -1
    ("not computed": a night or ocean scene). -1 was taken as the clearest scene of all,
    so ``least_cloudy`` put a scene of unknown cloud first."""
    if text in (None, ""):
        return None
    value = finite(text)
    if value == -1.0:
        return None
    if not 0.0 <= value <= 100.0:
        raise ValueError(f"CLOUD_COVER {text} is not a percentage (0-100, or -1: unknown)")
    return value


def band_number(name: str, path: Path | str | None = None) -> int:
    """Landsat band number from a band key (``B4``, ``SR_B4``, ``ST_B10``, ``sr_band4``) or a
    file name (``..._B4.TIF``)."""
    for text in (name, Path(path).name.split(".")[0] if path else ""):
        m = re.search(r"(?:^|_)B(?:AND)?_?(\d{1,2})(?:_VCID_[12])?$", text, re.IGNORECASE)
        if m:
            return int(m.group(1))
    raise DataError(
        f"cannot tell the Landsat band number of {name!r}"
        + (f" ({path})" if path else "")
        + "; name bands B1..B11 in the config"
    )


def _clip_range(group: dict[str, str], high: str, low: str) -> tuple[float, float] | None:
    """The DN range a Level-2 group states (``QUANTIZE_CAL_MAX/MIN...``), if both ends."""
    hi, lo = group.get(high), group.get(low)
    return (finite(lo), finite(hi)) if hi is not None and lo is not None else None


def _level2(mtl: MtlMetadata, band: int) -> BandCalibration:
    if band in THERMAL.get(mtl.spacecraft, set()):
        groups = ("LEVEL2_SURFACE_TEMPERATURE_PARAMETERS",)
        m = mtl.value(f"TEMPERATURE_MULT_BAND_ST_B{band}", groups)
        a = mtl.value(f"TEMPERATURE_ADD_BAND_ST_B{band}", groups)
        if (m is None or a is None) and mtl.level.upper() == "L2SR":
            raise DataError(
                f"{mtl.path}: band {band} of {mtl.describe()}: an L2SR product holds surface "
                "reflectance only, no surface temperature (USGS makes L2SR where the "
                "temperature cannot be retrieved), so it has no ST_B"
                f"{band} and no TEMPERATURE_MULT/ADD_BAND_ST_B{band}; take the thermal band "
                "from an L2SP product, or leave it out")
        if m is None or a is None:
            raise DataError(
                f"{mtl.path}: Level-2 MTL without TEMPERATURE_MULT/ADD_BAND_ST_B{band}")
        st = mtl.groups.get(groups[0], {})
        clip = _clip_range(st, f"QUANTIZE_CAL_MAXIMUM_BAND_ST_B{band}",
                           f"QUANTIZE_CAL_MINIMUM_BAND_ST_B{band}")
        _check_physical(mtl, band, finite(m), finite(a), clip or (1.0, 65535.0),
                        "TEMPERATURE", TEMPERATURE_SPAN_K)
        _check_stated(mtl, f"BAND_ST_B{band}", finite(m), finite(a), clip, "TEMPERATURE",
                      st.get(f"TEMPERATURE_MINIMUM_BAND_ST_B{band}"),
                      st.get(f"TEMPERATURE_MAXIMUM_BAND_ST_B{band}"))
        return BandCalibration(finite(m), finite(a), "surface_temperature", "K", fill=0.0,
                               valid_range=clip)
    groups = ("LEVEL2_SURFACE_REFLECTANCE_PARAMETERS",)
    sr = mtl.groups.get(groups[0], {})
    m = sr.get(f"REFLECTANCE_MULT_BAND_{band}")
    a = sr.get(f"REFLECTANCE_ADD_BAND_{band}")
    if m is None or a is None:
        raise DataError(
            f"{mtl.path}: Level-2 MTL without REFLECTANCE_MULT/ADD_BAND_{band} in "
            "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"
        )
    clip = _clip_range(sr, f"QUANTIZE_CAL_MAX_BAND_{band}", f"QUANTIZE_CAL_MIN_BAND_{band}")
    _check_physical(mtl, band, finite(m), finite(a), clip or (1.0, 65535.0), "REFLECTANCE",
                    REFLECTANCE_SPAN)
    _check_stated(mtl, f"BAND_{band}", finite(m), finite(a), clip, "REFLECTANCE",
                  sr.get(f"REFLECTANCE_MINIMUM_BAND_{band}"),
                  sr.get(f"REFLECTANCE_MAXIMUM_BAND_{band}"))
    return BandCalibration(finite(m), finite(a), "surface_reflectance", "1", fill=0.0,
                           valid_range=clip)


REFLECTANCE_SPAN = (-0.5, 2.0)
"""Reflectance a product's rescaling may give over its DN range (Collection 2 Level-2:
-0.2 to 1.6; Level-1 OLI TOA before the sun's sine: -0.1 to 1.2; TM/ETM+ less): beyond it
the MTL misstates the coefficients (another product's, a digit lost)."""
TEMPERATURE_SPAN_K = (100.0, 450.0)
"""Kelvin a Level-2 surface temperature rescaling may give over its DN range (USGS's
0.00341802 x DN + 149.0: 149 to 373 K); an offset of 0, or one in degrees Celsius, is not
it."""


_L1_REFLECTANCE = ("LEVEL1_MIN_MAX_REFLECTANCE", "MIN_MAX_REFLECTANCE")
_L1_RADIANCE = ("LEVEL1_MIN_MAX_RADIANCE", "MIN_MAX_RADIANCE")
STATED_TOLERANCE = 0.02
"""Share of the stated value range by which ``MULT * QUANTIZE_CAL + ADD`` may miss the
MTL's own ``*_MAXIMUM``/``*_MINIMUM`` (older MTLs round the multiplier to 3 digits: up
to 0.7 %)."""


def _check_stated(mtl: MtlMetadata, suffix: str, mult: float, add: float,
                  dns: tuple[float, float] | None, key: str, low: str | None,
                  high: str | None) -> None:
    """Refuse a rescaling that contradicts the MTL's own extremes: USGS states, beside
    ``{key}_MULT/ADD_{suffix}``, the values its DN range makes (``{key}_MINIMUM`` and
    ``_MAXIMUM``), so a coefficient changed by a digit (2.57e-5 for 2.75e-5: 7 % off,
    still a reflectance) is told. Skipped where the MTL states no extremes or DN range."""
    if dns is None or low is None or high is None:
        return
    lo_s, hi_s = finite(low), finite(high)
    lo, hi = mult * dns[0] + add, mult * dns[1] + add
    slack = STATED_TOLERANCE * abs(hi_s - lo_s) + 1e-9
    if abs(lo - lo_s) <= slack and abs(hi - hi_s) <= slack:
        return
    raise DataError(
        f"{mtl.path}: {key}_MULT_{suffix} {mult:g} and {key}_ADD_{suffix} {add:g} make its "
        f"DNs {dns[0]:g}..{dns[1]:g} into {lo:g}..{hi:g}, but the MTL states "
        f"{key}_MINIMUM/MAXIMUM_{suffix} {lo_s:g}..{hi_s:g}: one of them is misstated (a "
        "digit changed?), so the values cannot be trusted; use the MTL as delivered with "
        "the scene")


def _check_physical(mtl: MtlMetadata, band: int, mult: float, add: float,
                    dns: tuple[float, float], key: str, span: tuple[float, float]) -> None:
    """Refuse a rescaling that gives values no surface or sensor has over the band's DNs
    (every value would be wrong by the same factor, without a word)."""
    lo, hi = mult * dns[0] + add, mult * dns[1] + add
    if mult > 0 and span[0] <= lo and hi <= span[1]:
        return
    unit = " K" if key == "TEMPERATURE" else ""
    raise DataError(
        f"{mtl.path}: {key}_MULT {mult:g} and {key}_ADD {add:g} of band {band} make its DNs "
        f"{dns[0]:g}..{dns[1]:g} into {lo:g}..{hi:g}{unit}, which no "
        f"{'surface temperature' if unit else 'reflectance'} is ({span[0]:g} to "
        f"{span[1]:g}{unit}): the MTL misstates them (USGS's Level-2 pair is "
        f"{'0.00341802 and 149.0' if unit else '2.75e-05 and -0.2'}); use the MTL as "
        "delivered with the scene")


def calibration(mtl: MtlMetadata, band: int, *, vcid: int | None = None) -> BandCalibration:
    """Scale and offset turning DN of ``band`` into what the MTL's product level holds.

    Level-2: surface reflectance (thermal: surface temperature in K). Level-1: TOA
    reflectance (thermal: TOA radiance). ``vcid`` picks Landsat 7's thermal band 6 low
    (1) or high (2) gain, whose Level-1 coefficients differ.

    Raises
    ------
    DataError
        The MTL lacks the band's coefficients or holds a malformed number.
    """
    try:
        return _calibration(mtl, band, vcid)
    except DataError:
        raise
    except ValueError as exc:
        raise DataError(
            f"{mtl.path}: a malformed number for band {band} ({exc}); use the MTL as "
            "delivered with the scene"
        ) from None


FOOTPRINT_OUTSIDE = 0.5
"""A band file whose name states no scene and of which more than this share lies outside
the product its metadata describes is of another scene (adjacent WRS rows and paths
overlap by about a tenth; a clip of the scene lies inside; a scene reprojected by the
user sticks out by its rotation, a few per cent)."""
FOOTPRINT_MARGIN_M = 1000.0
"""Metres the metadata's extent (of pixel centres) is grown by before the share outside
is taken."""


def check_footprint(file: str, footprint: tuple[str, tuple[float, float, float, float]]
                    | None, describe: str, what: str) -> None:
    """Refuse a band file whose name states no scene (``red.tif``, ``B4.TIF``) but whose
    header places it mostly outside the product its metadata file describes.

    A band file's name that carries a Landsat id is checked against the metadata's id
    (:meth:`MtlMetadata.check_file`); a renamed band had nothing checked, so another
    scene's band took this scene's coefficients, sun elevation and date (a wrong
    reflectance, not an error). Network files are not opened here (no request more).

    Parameters
    ----------
    file
        The band file.
    footprint
        The metadata's CRS and extent ``(left, bottom, right, top)``, or ``None``.
    describe
        The metadata's product, for the message.
    what
        The metadata file's kind (``MTL``, ``ESPA XML``), for the message.

    Raises
    ------
    DataError
        More than :data:`FOOTPRINT_OUTSIDE` of the file outside the footprint.
    """
    from prospect.io.remote import is_network_name

    if footprint is None or landsat_id(Path(file).name) is not None or \
            is_network_name(file) or str(file).lstrip().startswith("<"):
        return
    import rasterio
    from rasterio.warp import transform_bounds

    crs, (left, bottom, right, top) = footprint
    try:
        with rasterio.open(file) as src:
            if src.crs is None:
                return
            box = transform_bounds(src.crs, crs, *src.bounds)
    except Exception:  # unreadable or untransformable: the band's own read says why
        return
    area = (box[2] - box[0]) * (box[3] - box[1])
    if not (area > 0 and math.isfinite(area)):
        return
    m = FOOTPRINT_MARGIN_M
    inside_w = max(0.0, min(box[2], right + m) - max(box[0], left - m))
    inside_h = max(0.0, min(box[3], top + m) - max(box[1], bottom - m))
    outside = 1.0 - inside_w * inside_h / area
    if outside > FOOTPRINT_OUTSIDE:
        raise DataError(
            f"{file}: the file's name states no scene, and {outside:.0%} of it lies outside "
            f"the product its {what} describes ({describe}: {crs}, x {left:.0f}..{right:.0f},"
            f" y {bottom:.0f}..{top:.0f}), so it is another scene's band, which this "
            f"scene's coefficients, sun and date would calibrate wrongly; give the {what} "
            "delivered with the band (or the band of this scene)")


def daytime_sine(elevation: float, *, said: str, what: str, daytime: str) -> float:
    """``sin(elevation)``, the divisor that makes Level-1 reflectance rescaling TOA
    reflectance (USGS), of a scene whose sun is above the horizon.

    Raises
    ------
    DataError
        The sun at or below the horizon (a night scene), or an elevation beyond 90
        degrees (``sin`` of 120 is that of 60: no error, a wrong reflectance): ``said``
        names where the elevation is stated, ``what`` the bands, ``daytime`` what to use
        instead.
    """
    if not -90.0 <= elevation <= 90.0:
        raise DataError(
            f"{said} {elevation:g} is no sun elevation (-90 to 90 degrees above the "
            f"horizon; a zenith or azimuth angle, or another unit?): {what} no TOA "
            f"reflectance from it; give the sun's elevation in degrees, or {daytime}")
    sin_e = math.sin(math.radians(elevation))
    if sin_e <= 0:
        raise DataError(
            f"{said} {elevation:g} puts the sun at or below the horizon (a night scene): "
            f"{what} no TOA reflectance; use the thermal bands only, or {daytime}")
    return sin_e


LOW_SUN = 15.0
"""Degrees above the horizon under which a scene's top-of-atmosphere reflectance is told
unreliable (:func:`low_sun`): USGS makes no Collection 2 Level-2 product of a scene whose
solar zenith exceeds 76 degrees (a sun under 14), and Level-1 reflectance there is the
rescaled DNs divided by a sine of 0.26 or less (3.9 times them at 15 degrees, 11.5 at 5)."""

LOW_SUN_WHY = (
    "unreliable under so low a sun (long paths through the atmosphere, the terrain's "
    "shadows and slopes: no flat-surface model holds)")
"""Why a low sun's top-of-atmosphere reflectance is unreliable, any sensor's, for
messages (:data:`LOW_SUN_FIX`; Sentinel-2's product XML)."""

LOW_SUN_FIX = (
    f"{LOW_SUN_WHY}; use the scene's Level-2 (surface reflectance) product where one was "
    "made (USGS makes none of a scene whose solar zenith exceeds 76 degrees, a sun under "
    "14), or leave the scene out")
"""The end of a low sun's warning: why its reflectance is unreliable, and what to do."""


def low_sun(elevation: float | None) -> float | None:
    """The factor ``1 / sin(elevation)`` that a Level-1 scene's rescaled DNs are
    multiplied by to make top-of-atmosphere reflectance, where its sun stands above the
    horizon but under :data:`LOW_SUN` degrees; else ``None`` (a higher sun, none stated,
    or a night scene, which :func:`daytime_sine` refuses).

    Such a scene (high latitudes in winter, a dawn or dusk pass) was calibrated without a
    word: its reflectance is the rescaled DNs times 11.5 at 5 degrees, where the
    atmosphere's path, shadows and slopes dominate what the sensor saw.
    """
    if elevation is None or not math.isfinite(elevation) or not 0.0 < elevation < LOW_SUN:
        return None
    return 1.0 / math.sin(math.radians(elevation))


def _calibration(mtl: MtlMetadata, band: int, vcid: int | None = None) -> BandCalibration:
    if mtl.level2:
        return _level2(mtl, band)
    sfx = f"_VCID_{vcid}" if vcid else ""
    qmax = mtl.value(f"QUANTIZE_CAL_MAX_BAND_{band}{sfx}",
                     ("LEVEL1_MIN_MAX_PIXEL_VALUE", "MIN_MAX_PIXEL_VALUE"))
    saturate = finite(qmax) if qmax is not None else None  # a saturated detector
    rad_m, rad_a = (mtl.value(f"RADIANCE_MULT_BAND_{band}{sfx}"),
                    mtl.value(f"RADIANCE_ADD_BAND_{band}{sfx}"))
    qmin = mtl.value(f"QUANTIZE_CAL_MIN_BAND_{band}{sfx}",
                     ("LEVEL1_MIN_MAX_PIXEL_VALUE", "MIN_MAX_PIXEL_VALUE"))
    dns = (finite(qmin), finite(qmax)) if qmin is not None and qmax is not None else None
    if rad_m is not None and rad_a is not None:
        _check_stated(mtl, f"BAND_{band}{sfx}", finite(rad_m), finite(rad_a), dns,
                      "RADIANCE", mtl.value(f"RADIANCE_MINIMUM_BAND_{band}{sfx}", _L1_RADIANCE),
                      mtl.value(f"RADIANCE_MAXIMUM_BAND_{band}{sfx}", _L1_RADIANCE))
    if band in THERMAL.get(mtl.spacecraft, set()):
        if rad_m is None or rad_a is None:
            two = [k for k in (1, 2) if mtl.value(f"RADIANCE_MULT_BAND_{band}_VCID_{k}")]
            if two and not vcid:
                raise DataError(
                    f"{mtl.path}: band {band} of {mtl.describe()} is two bands, low gain "
                    "(VCID_1) and high gain (VCID_2), each with its own RADIANCE_MULT/ADD; "
                    f"name the band B{band}_VCID_1 or B{band}_VCID_2 as its file is")
            raise DataError(f"{mtl.path}: no RADIANCE_MULT/ADD{f' ({sfx[1:]})' if sfx else ''}"
                            f" for thermal band {band}")
        return BandCalibration(finite(rad_m), finite(rad_a), "toa_radiance", "W m-2 sr-1 um-1",
                               fill=0.0, saturate=saturate)
    sin_e = daytime_sine(mtl.sun_elevation, said=f"{mtl.path}: SUN_ELEVATION",
                         what=f"band {band} has", daytime="the MTL of a daytime scene")
    factor = low_sun(mtl.sun_elevation)
    if factor is not None and "low_sun" not in mtl.told:
        mtl.told.add("low_sun")
        warnings.warn(DataWarning(
            f"{mtl.path}: SUN_ELEVATION {mtl.sun_elevation:g} of {mtl.describe()} puts the "
            f"sun under {LOW_SUN:g} degrees above the horizon: its top-of-atmosphere "
            f"reflectance is the rescaled DNs divided by sin({mtl.sun_elevation:g}), "
            f"{factor:.1f} times them, and {LOW_SUN_FIX}"), stacklevel=4)
    ref_m, ref_a = (mtl.value(f"REFLECTANCE_MULT_BAND_{band}"),
                    mtl.value(f"REFLECTANCE_ADD_BAND_{band}"))
    if ref_m is not None and ref_a is not None:
        oli = mtl.ident.satellite >= 8 if mtl.ident is not None else \
            mtl.spacecraft in ("LANDSAT_8", "LANDSAT_9")
        _check_physical(mtl, band, finite(ref_m), finite(ref_a),
                        (1.0, saturate if saturate is not None else
                         65535.0 if oli else 255.0), "REFLECTANCE", REFLECTANCE_SPAN)
        _check_stated(mtl, f"BAND_{band}", finite(ref_m), finite(ref_a), dns, "REFLECTANCE",
                      mtl.value(f"REFLECTANCE_MINIMUM_BAND_{band}", _L1_REFLECTANCE),
                      mtl.value(f"REFLECTANCE_MAXIMUM_BAND_{band}", _L1_REFLECTANCE))
        return BandCalibration(finite(ref_m) / sin_e, finite(ref_a) / sin_e, "toa_reflectance",
                               "1", fill=0.0, saturate=saturate)
    sensor_id = (mtl.value("SENSOR_ID", ()) or "").upper()
    code = mtl.ident.sensor if mtl.ident is not None else ""
    mss = "MSS" in sensor_id or code == "M" or mtl.spacecraft in MSS_ONLY
    tm = sensor_id in ("TM", "ETM", "ETM+") or code in ("T", "E") or \
        mtl.spacecraft == "LANDSAT_7"
    if mss and (rad_m is not None and rad_a is not None):
        # ESUN is TM's for Landsat 4 and 5: an MSS band 1 (green) took TM band 1's (blue)
        # irradiance, its band 3 (NIR) TM band 3's (red): reflectance 7-20 % low
        raise DataError(
            f"{mtl.path}: an MSS scene without REFLECTANCE_MULT/ADD for band {band}: its "
            "radiance cannot be made reflectance here (no MSS solar irradiance table: "
            "Chander et al. (2009)'s ESUN values are TM's and ETM+'s, of other bands, and "
            "an MSS band given one would be 7-20 % off); use the scene's Collection 2 MTL, "
            "which states the reflectance rescaling, or ingest radiance without "
            "'metadata:' and give 'scale:'/'offset:' yourself")
    if not tm and mtl.spacecraft in ESUN and rad_m is not None and rad_a is not None and \
            "sensor" not in mtl.told:
        mtl.told.add("sensor")
        warnings.warn(DataWarning(
            f"{mtl.path}: a {mtl.spacecraft} scene whose MTL states neither SENSOR_ID nor "
            "a scene or product id: taken as TM, whose solar irradiance (Chander et al. "
            "2009) makes its radiance reflectance; if it is MSS (Landsat 4 and 5 carried "
            "both), its reflectance is 7-20 % off: use the MTL as delivered with the "
            "scene, which names the sensor"), stacklevel=4)
    esun = ESUN.get(mtl.spacecraft, {}).get(band)
    if rad_m is None or rad_a is None or esun is None:
        raise DataError(
            f"{mtl.path}: no reflectance or radiance coefficients for band {band} of "
            f"{mtl.spacecraft or 'an unknown spacecraft'}"
        )
    k = math.pi * mtl.earth_sun_distance**2 / (esun * sin_e)
    return BandCalibration(finite(rad_m) * k, finite(rad_a) * k, "toa_reflectance", "1",
                           fill=0.0, saturate=saturate)
