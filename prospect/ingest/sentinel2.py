"""Sentinel-2 product metadata (``MTD_MSIL2A.xml`` / ``MTD_MSIL1C.xml``): DN -> reflectance.

From processing baseline 04.00 (25 January 2022) on, ESA shifts every DN by a per-band
offset so that dark surfaces keep their noise: reflectance is
``(DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE`` for Level-2A (``RADIO_ADD_OFFSET`` and
``QUANTIFICATION_VALUE`` for Level-1C), with offsets of -1000 and a quantification of
10000. Earlier baselines have no offset. The product's ``Special_Values`` name the fill
DN (``NODATA``, 0) and the saturated DN (``SATURATED``, 65535); both read as no data (0 when
the XML lists none, as in every product ESA ships). Band files
(``T31UFT_20220101T104439_B04_10m.jp2``) are checked against the product's tile and
datatake time; a band file renamed without its tile (``red.tif``) is checked against the
tile's extent, which the tile's MGRS id defines (:func:`tile_extent`).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from prospect.errors import DataError, DataWarning, InputFileError
from prospect.ingest.landsat import (
    LOW_SUN,
    LOW_SUN_WHY,
    BandCalibration,
    check_band_word,
    check_footprint,
    file_level,
    finite,
    landsat_id,
    low_sun,
)

__all__ = ["USER_BASELINE_WHY", "Sentinel2Metadata", "granule_sun_zeniths", "named_level",
           "read_sentinel2", "s2_band_key", "s2_file_date", "tile_extent", "user_baseline"]

S2_QUANTIFICATION = 10000.0
"""ESA's ``QUANTIFICATION_VALUE`` (L1C) and ``BOA_QUANTIFICATION_VALUE`` (L2A), every
processing baseline."""
S2_ADD_OFFSETS = (-1000.0, 0.0)
"""The ``BOA_ADD_OFFSET`` / ``RADIO_ADD_OFFSET`` values of ESA's products from baseline
04.00 on: -1000 (every band so far), 0 where a band carries none."""
ESA_BAND_IDS = {str(i): band for i, band in enumerate(
    ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11",
     "B12"))}
"""The ``band_id`` (``bandId``) of each MSI band in every product XML ESA ships (0: B01,
8: B8A, 12: B12): fixed by the product format, its ``Spectral_Information`` list says the
same. An XML cut down to its offsets (no ``Spectral_Information``) was told it listed
offsets "for 13 band(s), not B04"; its ids are read in this order
(:func:`_parse`), a ``Spectral_Information`` present decides for the ids it lists."""
_URI = re.compile(r"(S2[ABCD])_MSI(L1C|L2A)_(\d{8}T\d{6})_N(\d{4})_R\d{3}_T(\w{5})_")
_BAND_FILE = re.compile(r"T(\w{5})_(\d{8}T\d{6})_(B\d[\dA])")


def user_baseline(baseline: float) -> bool:
    """Whether ``baseline`` is no ESA processing baseline but the ``99.xx`` Sen2Cor writes
    when a user runs it (``N9999`` in the product's name; Sen2Cor 3: 99.33).

    Such a baseline says nothing of the DN offset: Sen2Cor from 2.10 on shifts DNs by
    +1000 and lists ``BOA_ADD_OFFSET`` -1000 in ``MTD_MSIL2A.xml``, as ESA's baselines
    from 04.00 on do; Sen2Cor 2.8 and 2.9 shift none and list none.
    """
    return 99.0 <= baseline < 100.0


USER_BASELINE_WHY = (
    "no ESA baseline but the one Sen2Cor writes when a user runs it, whose DNs carry "
    "+1000 from Sen2Cor 2.10 on and not before (reflectance 0.1 apart)")
"""Why a :func:`user_baseline` tells no DN offset, for messages."""


def s2_file_date(name: str) -> tuple[str, dt.date] | None:
    """The acquisition a Sentinel-2 band file's name states (``T31UFT_20220101T104439_B04``)
    and its date, or ``None`` when the name states none."""
    m = _BAND_FILE.search(Path(name).name)
    if m is None:
        return None
    try:
        return m.group(0), dt.datetime.strptime(m.group(2)[:8], "%Y%m%d").date()
    except ValueError:  # a date the calendar has not
        return None


S2_WORDS: dict[str, frozenset[str]] = {
    "B01": frozenset({"coastal", "aerosol"}), "B02": frozenset({"blue"}),
    "B03": frozenset({"green"}), "B04": frozenset({"red"}),
    "B05": frozenset({"rededge"}), "B06": frozenset({"rededge"}),
    "B07": frozenset({"rededge"}), "B08": frozenset({"nir"}),
    "B8A": frozenset({"nir", "nir08"}), "B09": frozenset({"nir09", "wv"}),
    "B10": frozenset({"cirrus", "swir"}), "B11": frozenset({"swir", "swir1", "swir16"}),
    "B12": frozenset({"swir", "swir2", "swir22"})}
"""Sentinel-2 MSI bands by the names users give them (B08 is NIR; Landsat 8's B4 is red)."""


def s2_band_key(name: str) -> str | None:
    """``B01``..``B12``/``B8A`` from a band key or name (``B4``, ``b04``, ``B8A``)."""
    m = re.fullmatch(r"[Bb]0?(\d{1,2}|8[Aa])", name)
    if not m:
        return None
    num = m.group(1).upper()
    return "B8A" if num == "8A" else f"B{int(num):02d}"


@dataclass(frozen=True)
class Sentinel2Metadata:
    """What reflectance scaling and the file checks need from an S2 product XML."""

    path: str
    level: str
    baseline: float
    quantification: float
    offsets: dict[str, float]
    tile: str | None
    datatake: str | None
    date: dt.date | None
    cloud_cover: float | None
    nodata: float = 0.0
    saturated: float | None = None
    told: set[str] = field(default_factory=set, compare=False, repr=False)
    """What this product's warnings have said (once per product read)."""

    @functools.cached_property
    def sun_zeniths(self) -> tuple[tuple[str, float], ...]:
        """Each granule's ``MTD_TL.xml`` beside a Level-1C XML (``GRANULE/*/``, a
        ``.SAFE`` folder) and its ``Tile_Angles/Mean_Sun_Angle/ZENITH_ANGLE`` in degrees
        (:func:`granule_sun_zeniths`); empty where the XML lies alone or is Level-2A.
        Read when a band is first calibrated, not with the XML: the plan reads a
        product's XML for its date and cloud cover too, and an old multi-tile product
        holds up to about 100 granule XMLs."""
        return granule_sun_zeniths(Path(self.path)) if self.level == "L1C" else ()

    def describe(self) -> str:
        """Tile, time, level and baseline, for messages."""
        return (f"T{self.tile}_{self.datatake} (Level-{self.level[1:]}, baseline "
                f"{self.baseline:05.2f})")

    def calibrate(self, band_key: str, file: str) -> BandCalibration:
        """``(DN + offset) / quantification`` as one scale and offset for ``band_key``.

        Raises
        ------
        DataError
            ``file`` belongs to another tile, datatake or product level (an L2A file
            with an L1C XML) or is a Landsat file, or a baseline >= 04.00 product lacks
            the band's offset.
        """
        fid = landsat_id(Path(file).name)
        if fid is not None or file_level(file) in ("L1", "L2", "ESPA"):
            raise DataError(
                f"{file}: a Landsat file{f' ({fid.text})' if fid else ''}, but its metadata "
                f"file {self.path} is a Sentinel-2 product XML ({self.describe()}); give "
                "the scene's own MTL or ESPA XML with 'metadata:'")
        level = _file_level(file)
        if level is None and self.level == "L2A" and _L1C_BAND_NAME.search(
                Path(file).name.split(".")[0]):
            raise DataError(
                f"{file}: named as a Level-1C band file (Level-2A names end in the "
                f"resolution, _10m/_20m/_60m), but its metadata file {self.path} describes "
                f"{self.describe()}: surface reflectance coefficients would calibrate "
                "top-of-atmosphere DNs; give the product's MTD_MSIL1C.xml, or the L2A "
                "product's own band files")
        if level is not None and level != self.level:
            raise DataError(
                f"{file}: a Level-{level[1:]} band file ("
                + ("its name ends in a resolution, as L2A's do" if "MSIL" not in file.upper()
                   else f"in an MSI{level} product")
                + f"), but its metadata file {self.path} describes {self.describe()}: "
                f"{'TOA' if self.level == 'L1C' else 'surface'} reflectance coefficients "
                "would calibrate it; give the product XML of the same level")
        m = _BAND_FILE.search(Path(file).name)
        if m and self.tile and (m.group(1), m.group(2)) != (self.tile, self.datatake):
            raise DataError(
                f"{file}: the file is T{m.group(1)}_{m.group(2)} but its metadata file "
                f"{self.path} describes {self.describe()}; give the product XML of the same "
                "tile and datatake"
            )
        self._check_processing(file)
        if not m and self.tile:  # renamed: its header must lie on the product's tile
            check_footprint(file, tile_extent(self.tile), f"{self.describe()}, tile "
                            f"T{self.tile}", "product XML")
        named = s2_band_key(band_key)
        held = s2_band_key(m.group(3)) if m else s2_band_key(Path(file).name.split(".")[0])
        if named is not None and held is not None and named != held:
            raise DataError(
                f"{file}: the config names it {band_key!r}, but the file is band {held} of "
                f"{self.describe()}; map each band name to its own file")
        key = named or held
        if held is not None:
            check_band_word(band_key, file, S2_WORDS.get(held), f"band {held}",
                            f"Sentinel-2 ({self.describe()})",
                            "B08 is NIR and B04 red on Sentinel-2, band 4 NIR on Landsat 4-7")
        if key is None:
            raise DataError(f"cannot tell the Sentinel-2 band of {band_key!r} ({file}); "
                            "name bands B01..B12, B8A")
        offset = 0.0
        name = f"{'BOA' if self.level == 'L2A' else 'RADIO'}_ADD_OFFSET"
        if self.baseline >= 4.0 and key not in self.offsets and not self.offsets \
                and user_baseline(self.baseline):
            pass  # Sen2Cor run by its user before 2.10 lists no offset: its DNs carry none
        elif self.baseline >= 4.0:
            if key not in self.offsets:
                raise DataError(self._no_offset(name, key))
            offset = self.offsets[key]
            if offset not in S2_ADD_OFFSETS:
                raise DataError(
                    f"{self.path}: {name} {offset:g} for {key}, but ESA shifts DNs by "
                    f"{S2_ADD_OFFSETS[0]:g} from processing baseline 04.00 on (reflectance "
                    f"would be {(offset - S2_ADD_OFFSETS[0]) / self.quantification:+g} "
                    "off); use the product XML as ESA delivers it")
        elif self.offsets.get(key, 0.0) != 0.0:
            raise DataError(
                f"{self.path}: {name} {self.offsets[key]:g} for {key}, but the processing "
                f"baseline {self.baseline:05.2f} is older than 04.00, whose DNs carry no "
                "offset: the XML contradicts itself (a baseline or offsets edited in?); "
                "use the product XML as ESA delivers it")
        if self.level == "L1C":
            self._warn_low_sun(file)
        q = self.quantification
        quantity = "surface_reflectance" if self.level == "L2A" else "toa_reflectance"
        return BandCalibration(1.0 / q, offset / q, quantity, "1", fill=self.nodata,
                               saturate=self.saturated)

    def _warn_low_sun(self, file: str) -> None:
        """Warn once where the band's granule puts the sun above the horizon but under
        :data:`~prospect.ingest.landsat.LOW_SUN` degrees. ESA's Level-1C reflectance is
        the radiance divided by cos(sun zenith) (11.5 times it at a zenith of 85); the
        product XML states no sun, its granule's ``MTD_TL.xml`` does, so such a product
        was read without a word where a Landsat Level-1 MTL of the same sun is warned
        of."""
        if "low_sun" in self.told or not self.sun_zeniths:
            return
        own = [(tl, z) for tl, z in self.sun_zeniths if Path(tl).parent in
               Path(file).parents]
        if not own and len(self.sun_zeniths) > 1:
            return  # a multi-tile product and a band file outside its GRANULE folders
        tl, zenith = (own or list(self.sun_zeniths))[0]
        factor = low_sun(90.0 - zenith)
        if factor is None:
            return
        self.told.add("low_sun")
        warnings.warn(DataWarning(
            f"{self.path}: the granule's {tl} states the mean sun ZENITH_ANGLE {zenith:g} "
            f"for {self.describe()}, a sun {90.0 - zenith:g} degrees above the horizon, "
            f"under {LOW_SUN:g}: ESA's top-of-atmosphere reflectance is the radiance "
            f"divided by cos({zenith:g}), {factor:.1f} times it, and {LOW_SUN_WHY}; use the "
            "scene's Level-2A (MSIL2A) product where ESA made one, or leave the scene "
            "out"), stacklevel=4)

    def _no_offset(self, name: str, key: str) -> str:
        """The refusal of a product XML of baseline 04.00 or later that lists no DN offset
        for band ``key``: it said "processing baseline 05.10 but no BOA_ADD_OFFSET for
        B04", neither what is missing where nor what to do (ESA lists -1000 for every band
        from 04.00 on; an XML without it is edited or cut down)."""
        listing = "BOA_ADD_OFFSET_VALUES_LIST" if self.level == "L2A" else \
            "Radiometric_Offset_List"
        listed = (f"lists {name} for {len(self.offsets)} band(s), not {key}" if self.offsets
                  else f"lists no {name} (no {listing})")
        user = (f" ({USER_BASELINE_WHY})" if user_baseline(self.baseline) else "")
        return (
            f"{self.path}: {self.describe()}{user}: from processing baseline 04.00 on "
            f"ESA shifts every DN by +1000 and lists {name} -1000 per band in "
            f"{listing}, but this XML {listed}, so the DNs' offset cannot be told (read "
            f"without it every reflectance of {key} would be 0.1 high); use the product "
            "XML as ESA delivers it with the scene (an edited or cut-down copy?), or "
            "leave 'metadata:' out and give 'scale: 0.0001' and 'offset: -0.1' in the "
            "source")

    def _check_processing(self, file: str) -> None:
        """Refuse a band file whose ``.SAFE`` folder states a processing baseline on the
        other side of 04.00 than this XML's: ESA reprocessed its archive (baseline 05.00
        and later) under the same tile and datatake, so the tile check passes, but the
        reprocessed product's DNs carry the -1000 offset and the first processing's do
        not; a band of one with the XML of the other read every reflectance 0.1 off,
        without a word. A locally processed product (Sen2Cor's ``N9999``, ``N9933``) states no
        ESA baseline and is not compared.

        Raises
        ------
        DataError
            Naming both baselines and the fix.
        """
        safe = _SAFE_BASELINE.search(str(file).replace("\\", "/"))
        if safe is None or user_baseline(int(safe.group(1)) / 100):
            return
        held = int(safe.group(1)) / 100
        if (held >= 4.0) == (self.baseline >= 4.0):
            return
        shifted, plain = (held, self.baseline) if held >= 4.0 else (self.baseline, held)
        raise DataError(
            f"{file}: its .SAFE folder is of processing baseline {held:05.2f} "
            f"(N{safe.group(1)}), but its metadata file {self.path} describes "
            f"{self.describe()}: another processing of the same datatake (ESA reprocessed "
            f"the archive), and the DNs of baseline {shifted:05.2f} carry the -1000 offset "
            f"that those of {plain:05.2f} do not, so every reflectance would be 0.1 off; "
            "give the MTD XML of the band's own .SAFE product")


_SAFE_BASELINE = re.compile(r"S2[A-D]_MSI(?:L1C|L2A)_\d{8}T\d{6}_N(\d{4})_", re.IGNORECASE)
"""A ``.SAFE`` product name in a band file's path and its processing baseline
(``N0500``: 05.00)."""
_LEVEL_IN_PATH = re.compile(r"MSI(L1C|L2A)", re.IGNORECASE)
_L2A_BAND_NAME = re.compile(r"_B\d[\dA]_\d{2}m$")
"""An L2A band file's name ends in its resolution (``..._B04_10m``); L1C's do not."""
_L1C_BAND_NAME = re.compile(r"(?:^|_)T\d{2}[A-Z]{3}_\d{8}T\d{6}_B\d[\dA]$")
"""An L1C granule's band file (``T31UFT_20220301T104021_B04``): no resolution suffix."""


_MGRS_BANDS = "CDEFGHJKLMNPQRSTUVWX"
"""MGRS latitude bands, 8 degrees each from 80 S (X: 72-84 N)."""
_MGRS_COLUMNS = ("STUVWXYZ", "ABCDEFGH", "JKLMNPQR")
"""100 km column letters by UTM zone modulo 3: eastings 100 000..800 000."""
_MGRS_ROWS = "ABCDEFGHJKLMNPQRSTUV"
"""100 km row letters, repeating every 2 000 km of northing (the AA scheme of WGS 84:
row A at northing 0 in odd zones, row F in even ones)."""
S2_TILE_SIDE_M = 109800.0
"""A Sentinel-2 tile's side: its 100 km MGRS square and 9.8 km of overlap to the south
and east (origin at the square's north-west corner)."""


def tile_extent(tile: str) -> tuple[str, tuple[float, float, float, float]] | None:
    """The UTM CRS and extent ``(left, bottom, right, top)`` of a Sentinel-2 tile
    (``31UFT``), from its MGRS id alone; ``None`` for an id that is no MGRS square.

    The zone number gives the CRS, the latitude band the hemisphere and the 2 000 km
    cycle of the row letter, the column and row letters the 100 km square; the tile spans
    :data:`S2_TILE_SIDE_M` east and south from the square's north-west corner.
    """
    m = re.fullmatch(r"(\d{1,2})([C-X])([A-Z])([A-V])", tile.upper())
    if not m or not 1 <= int(m.group(1)) <= 60 or m.group(2) not in _MGRS_BANDS:
        return None
    zone, band = int(m.group(1)), m.group(2)
    columns = _MGRS_COLUMNS[zone % 3]
    if m.group(3) not in columns or m.group(4) not in _MGRS_ROWS:
        return None
    import math

    from pyproj import Transformer

    south = band < "N"
    epsg = (32700 if south else 32600) + zone
    lat = -80.0 + 8.0 * _MGRS_BANDS.index(band) + 4.0  # the band's middle
    _, north_mid = Transformer.from_crs(4326, epsg, always_xy=True).transform(
        zone * 6 - 183, lat)
    if not math.isfinite(north_mid):
        return None
    row = (_MGRS_ROWS.index(m.group(4)) - (0 if zone % 2 else 5)) % 20 * 100000.0
    cycle = round((north_mid - row - 50000.0) / 2000000.0)
    south_edge = row + cycle * 2000000.0
    left = (columns.index(m.group(3)) + 1) * 100000.0
    top = south_edge + 100000.0
    return (f"EPSG:{epsg}", (left, top - S2_TILE_SIDE_M, left + S2_TILE_SIDE_M, top))


def _file_level(file: str) -> str | None:
    """``L1C`` or ``L2A`` when the band file's name or product folder tells, else None."""
    name = Path(file).name.split(".")[0]
    if _L2A_BAND_NAME.search(name):
        return "L2A"
    m = _LEVEL_IN_PATH.search(str(file))
    return m.group(1).upper() if m else None


def named_level(file: str) -> str | None:
    """``L1C`` or ``L2A`` as :func:`_file_level` tells, or ``L1C`` for a band file named
    as an L1C granule names its bands (``T31UFT_20220301T104021_B04``: no resolution
    suffix, :data:`_L1C_BAND_NAME`) outside any ``.SAFE`` folder, else ``None``.

    A plain source reads such a name as top-of-atmosphere reflectance
    (:func:`~prospect.ingest.products.named_product`); a STAC item of the user's own
    (no collection, product type or ESA id) listing it was of no level, so its scene went
    into one median with Level-2A scenes without a word."""
    level = _file_level(file)
    if level is None and _L1C_BAND_NAME.search(Path(file).name.split(".")[0]):
        return "L1C"
    return level


def _strip(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_MAX_GRANULES = 200
"""The most ``GRANULE/*/MTD_TL.xml`` read beside a product XML (a multi-tile product of
before December 2016 holds up to about 100 granules; one-tile products one)."""


def granule_sun_zeniths(path: Path) -> tuple[tuple[str, float], ...]:
    """The mean sun zenith of each granule beside the product XML ``path``: its
    ``GRANULE/<granule>/MTD_TL.xml``'s ``Tile_Angles/Mean_Sun_Angle/ZENITH_ANGLE`` in
    degrees, as ``(MTD_TL.xml path, zenith)``; empty where ``path`` lies outside a
    ``.SAFE`` folder's layout. A granule XML that cannot be read, or states no finite
    angle in 0..180, is passed over: the angle informs a warning only."""
    try:
        found = sorted((path.parent / "GRANULE").glob("*/MTD_TL.xml"))[:_MAX_GRANULES]
    except OSError:
        return ()
    zeniths: list[tuple[str, float]] = []
    for tl in found:
        try:
            root = ET.parse(tl).getroot()
        except (OSError, ET.ParseError):
            continue
        for el in root.iter():
            if _strip(el.tag) != "Mean_Sun_Angle":
                continue
            angle = next((k.text for k in el if _strip(k.tag) == "ZENITH_ANGLE"), None)
            try:
                zenith = float((angle or "").strip())
            except ValueError:
                break
            if math.isfinite(zenith) and 0.0 <= zenith <= 180.0:
                zeniths.append((str(tl), zenith))
            break
    return tuple(zeniths)


def read_sentinel2(path: Path | str) -> Sentinel2Metadata:
    """Parse a Sentinel-2 ``MTD_MSIL2A.xml`` or ``MTD_MSIL1C.xml``.

    Raises
    ------
    InputFileError
        Unreadable, not a Sentinel-2 product XML, or a malformed number or date in it.
    DataError
        No quantification value or processing baseline.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputFileError(f"{path}: cannot read as Sentinel-2 metadata XML: {exc}") from None
    tag = _strip(root.tag)
    if tag not in ("Level-2A_User_Product", "Level-1C_User_Product"):
        raise InputFileError(f"{path}: not a Sentinel-2 product XML (root <{tag}>)")
    try:
        return _parse(root, path, "L2A" if tag.startswith("Level-2A") else "L1C")
    except DataError:
        raise
    except ValueError as exc:
        raise InputFileError(
            f"{path}: a malformed number or date ({exc}); use the product XML as ESA "
            "delivers it"
        ) from None


def _parse(root: ET.Element, path: Path, level: str) -> Sentinel2Metadata:
    """The parsed XML (``ValueError`` on a malformed number or date)."""
    text: dict[str, str] = {}
    band_ids: dict[str, str] = {}
    raw_offsets: dict[str, float] = {}
    special: dict[str, float] = {}
    for el in root.iter():
        name = _strip(el.tag)
        if name == "Special_Values":
            kids = {_strip(k.tag): (k.text or "").strip() for k in el}
            if kids.get("SPECIAL_VALUE_TEXT") and kids.get("SPECIAL_VALUE_INDEX"):
                special[kids["SPECIAL_VALUE_TEXT"]] = finite(kids["SPECIAL_VALUE_INDEX"])
        elif name in ("BOA_ADD_OFFSET", "RADIO_ADD_OFFSET"):
            raw_offsets[el.get("band_id", "")] = finite((el.text or "0").strip())
        elif name == "Spectral_Information":
            band_ids[el.get("bandId", "")] = el.get("physicalBand", "")
        elif el.text and el.text.strip() and name not in text:
            text[name] = el.text.strip()
    q = text.get("BOA_QUANTIFICATION_VALUE" if level == "L2A" else "QUANTIFICATION_VALUE")
    base = text.get("PROCESSING_BASELINE")
    if q is None or base is None:
        raise DataError(f"{path}: no quantification value or PROCESSING_BASELINE")
    quantification = finite(q)
    if quantification <= 0:
        raise ValueError(f"the quantification value {q} is not a positive number")
    if quantification != S2_QUANTIFICATION:
        key = "BOA_QUANTIFICATION_VALUE" if level == "L2A" else "QUANTIFICATION_VALUE"
        raise DataError(
            f"{path}: {key} {q}, but ESA quantifies Sentinel-2 reflectance by "
            f"{S2_QUANTIFICATION:g} in every baseline (1000 is the AOT and water vapour "
            f"layers'): every reflectance would be {S2_QUANTIFICATION / quantification:g} "
            "times the product's; use the product XML as ESA delivers it")
    offsets = {s2_band_key(band_ids.get(i, "")) or ESA_BAND_IDS.get(i.strip(), i): v
               for i, v in raw_offsets.items()}
    uri = _URI.search(text.get("PRODUCT_URI", ""))
    start = text.get("PRODUCT_START_TIME") or text.get("DATATAKE_SENSING_START")
    cloud = text.get("Cloud_Coverage_Assessment")
    return Sentinel2Metadata(
        path=str(path), level=level, baseline=finite(base), quantification=quantification,
        offsets=offsets, tile=uri.group(5) if uri else None,
        datatake=uri.group(3) if uri else None,
        date=dt.date.fromisoformat(start[:10]) if start else None,
        cloud_cover=finite(cloud) if cloud else None,
        nodata=special.get("NODATA", 0.0), saturated=special.get("SATURATED"),
    )
