"""Product metadata files, one entry point: which calibration a band file gets.

A raster source's ``metadata:`` (also spelt ``mtl:``) names the product's own metadata
file; its kind is read from the content:

* a Landsat ``*_MTL.txt``, ``.json`` or ``.xml`` (:mod:`prospect.ingest.landsat`): Level-1
  TOA, or Collection 2 Level-2 surface reflectance / temperature, by the level the MTL states;
* a USGS ESPA XML (:mod:`prospect.ingest.espa`): the pre-Collection surface reflectance;
* a Sentinel-2 ``MTD_MSIL2A.xml`` / ``MTD_MSIL1C.xml`` (:mod:`prospect.ingest.sentinel2`).

Each kind answers ``calibrate(band_key, file)`` after checking that ``file`` belongs to
the scene and product level it describes, and gives ``date`` and ``cloud_cover`` for the
mosaic rules.

Quality layers (CFmask, SCL, ``QA_PIXEL``) are not calibrated: ``cloud_mask:`` names them
(:mod:`prospect.ingest.cloudmask`).
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import math
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple, Protocol

from prospect.errors import ConfigError, DataError, DataWarning, InputFileError
from prospect.ingest.espa import read_espa
from prospect.ingest.landsat import (
    C2_L2_AUX,
    LANDSAT_NUMBERING,
    BandCalibration,
    band_words,
    check_band_word,
    check_not_gap_mask,
    landsat_id,
    read_mtl,
)
from prospect.ingest.layers import unit_shift
from prospect.ingest.sentinel2 import S2_WORDS, read_sentinel2, s2_file_date
from prospect.io.files import product_lacks

if TYPE_CHECKING:
    import numpy as np

    from prospect.config.sources import RasterSource

__all__ = ["BAND_FAMILY_WORDS", "NamedProduct", "ProductMetadata", "band_coefficients",
           "check_one_band", "check_same_quantity", "dn_formula",
           "file_acquisition", "file_acquisition_days", "hls_file_date", "level1_fill",
           "level1_saturate", "mixed_products_message", "named_band", "named_product", "one_band",
           "other_product", "product_limits",
           "read_product_metadata", "scene_date_conflict"]

DN_FACTOR = 1e-3
"""A config ``scale`` below this (in magnitude) turns DNs into a quantity (reflectance's
1e-4, Collection 2's 2.75e-5); a change of units of a quantity (x100 for percent, x0.1 for
mW cm-2) is not that small."""

class ProductMetadata(Protocol):
    """What ingest asks of any product metadata file."""

    @property
    def path(self) -> str:
        """The metadata file."""
        ...

    @property
    def date(self) -> dt.date | None:
        """Acquisition date."""
        ...

    @property
    def cloud_cover(self) -> float | None:
        """Scene cloud cover in percent, when the product states it."""
        ...

    def calibrate(self, band_key: str, file: str) -> BandCalibration:
        """Check ``file`` belongs to this product, then its band's scale/offset/fill."""
        ...

    def describe(self) -> str:
        """The product id and level, for messages."""
        ...


def dn_formula(scale: float, offset: float) -> str:
    """``value = 2.75e-05 x DN - 0.2``: a band's calibration as messages write it, the
    offset's sign as the operator (it was ``x DN + -0.2``), no ``+ 0`` without one.

    Parameters
    ----------
    scale, offset
        ``value = scale * DN + offset``.

    Returns
    -------
    str
        The formula.
    """
    return f"value = {scale:g} x DN" + (
        f" {'-' if offset < 0 else '+'} {abs(offset):g}" if offset else "")


def read_product_metadata(path: Path | str) -> ProductMetadata:
    """Read a Landsat MTL, an ESPA XML or a Sentinel-2 product XML, told apart by content.

    Raises
    ------
    InputFileError
        Missing, unreadable, or none of the known kinds.
    """
    path = Path(path)
    if path.is_dir():
        raise InputFileError(_folder_given(path))
    try:
        head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the metadata file: {exc.strerror}"
                             f"{product_lacks(path)}") from None
    packed = _archive_given(path, head)
    if packed is not None:
        raise InputFileError(packed)
    if head.startswith(b"<"):
        if b"espa_metadata" in head:
            return read_espa(path)
        if b"Level-2A_User_Product" in head or b"Level-1C_User_Product" in head:
            return read_sentinel2(path)
        if b"LANDSAT_METADATA_FILE" in head:
            return read_mtl(path)  # the MTL's XML form
        tile = _S2_TILE_XML.search(head)
        if tile is not None:
            raise InputFileError(_granule_given(path, tile.group(1).decode()))
        raise InputFileError(
            f"{path}: an XML file that is neither ESPA (espa_metadata) nor a Sentinel-2 "
            "product XML (MTD_MSIL2A/MTD_MSIL1C); give the product's metadata file"
        )
    return read_mtl(path)


_S2_TILE_XML = re.compile(rb"Level-(1C|2A)_Tile_ID")
"""The root of a Sentinel-2 granule's ``MTD_TL.xml`` (tile geometry and angles)."""
_METADATA_NAME = re.compile(r"MTD_MSIL(?:1C|2A)\.xml|.+_MTL\.(?:txt|json|xml)|"
                            r"L[CTEMO]\d{14}[A-Z]{3}\d{2}\.xml", re.IGNORECASE)
"""The names product metadata files are delivered under (S2, Landsat MTL, ESPA XML)."""


def _folder_given(path: Path) -> str:
    """What to say of a folder given as a product's metadata file: its metadata file, or
    that it holds none (a ``.SAFE`` folder without its ``MTD_MSIL2A.xml``)."""
    try:
        found = sorted(p.name for p in path.iterdir() if _METADATA_NAME.fullmatch(p.name))
    except OSError:
        found = []
    if found:
        return (f"{path}: a folder, not a metadata file; give the product's metadata file "
                f"inside it with 'metadata:': {', '.join(str(path / f) for f in found[:3])}")
    safe = path.name.upper().endswith(".SAFE")
    level = "L1C" if "MSIL1C" in path.name.upper() else "L2A"
    return (f"{path}: a folder, not a metadata file, and it holds no product metadata file"
            + (f" (a .SAFE product's MTD_MSI{level}.xml lies at its top: this one is "
               "incomplete, an interrupted download or unzip? download the product again)"
               if safe else
               " (a Landsat *_MTL.txt, an ESPA .xml or a Sentinel-2 MTD_MSIL2A.xml)")
            + "; give the metadata file with 'metadata:'")


def _archive_given(path: Path, head: bytes) -> str | None:
    """What to say of a product as downloaded (a ``.SAFE.zip``, a Landsat ``.tar`` or
    ``.tar.gz`` bundle, an ESPA order's ``.tar.gz``) given as its metadata file: the
    archive and the metadata file inside it to give once unpacked; ``None`` for any other
    file.

    Such an archive was read as an MTL and refused as "not a Landsat MTL file (no 'GROUP =
    ...' blocks)", of a Sentinel-2 zip too: the user went looking for a damaged MTL."""
    import tarfile
    import zipfile

    members: list[str] | None = None  # None: not listed (a compressed tar: slow to)
    squeezed = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ": "xz"}
    try:
        if head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                members = [n for n in zf.namelist() if not n.endswith("/")]
            kind, unpack = "a zip archive", f"unzip {path.name}"
        elif head[257:262] == b"ustar" and tarfile.is_tarfile(path):
            with tarfile.open(path) as tf:  # a plain tar's headers are read by seeking
                members = [m.name for m in tf.getmembers() if m.isfile()]
            kind, unpack = "a tar archive", f"tar -xf {path.name}"
        elif any(head.startswith(m) for m in squeezed) and re.search(
                r"\.(?:tar\.(?:gz|bz2|xz)|tgz|tbz2?|txz)$", path.name, re.IGNORECASE):
            name = next(v for m, v in squeezed.items() if head.startswith(m))
            kind, unpack = f"a {name}-compressed tar archive", f"tar -xf {path.name}"
        else:
            return None
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError):
        return None
    found = [m for m in members or [] if _METADATA_NAME.fullmatch(PurePosixPath(m).name)]
    inside = ("" if members is None else
              f"; the metadata file inside it is {found[0]}" if len(found) == 1 else
              f"; its metadata files are {', '.join(found[:4])}" if found else
              "; it holds no product metadata file (a Landsat *_MTL.txt, an ESPA .xml or "
              "a Sentinel-2 MTD_MSIL2A.xml)")
    return (f"{path}: {kind} (the product as downloaded), not a metadata file{inside}; "
            f"unpack it (e.g. {unpack}) and give the metadata file with 'metadata:' and "
            "its band files with 'bands:'")


def _granule_given(path: Path, level: str) -> str:
    """What to say of a Sentinel-2 granule's ``MTD_TL.xml`` given as the product's XML."""
    safe = next((p for p in path.parents if p.name.upper().endswith(".SAFE")), None)
    product = safe / f"MTD_MSIL{level}.xml" if safe is not None else None
    where = (f" ({product})" if product is not None and product.is_file() else
             f" ({safe} holds none: an incomplete download? download the product again)"
             if safe is not None else "")
    return (f"{path}: a Sentinel-2 Level-{level} granule's tile metadata (MTD_TL.xml: its "
            "geometry and angles), which states no quantification or offsets; give the "
            f"product's MTD_MSIL{level}.xml at the top of the .SAFE folder{where} with "
            "'metadata:'")


def check_same_quantity(source: str, var: str, quantity: str | None, file: str,
                        seen: dict[str, tuple[str | None, str]]) -> None:
    """Refuse a mosaic whose scenes hold different quantities in one variable.

    ``quantity`` is what the scene's product metadata makes of ``file`` (``toa_reflectance``
    from a Level-1 MTL, ``surface_reflectance`` from a Level-2 MTL or an ESPA XML...), or
    ``None`` for a scene without metadata (read as it is). A mosaic fills one scene's gaps
    with another's pixels, so a Level-1 scene beside a Level-2 one, or DN beside
    reflectance, made one variable of two quantities; the layer was labelled with the last.
    ``seen`` holds each variable's first scene (updated here).

    Raises
    ------
    DataError
        Naming both files and what each holds.
    """
    if var not in seen:
        _check_one_level(source, var, quantity, file, seen)
        seen[var] = (quantity, file)
        return
    first, where = seen[var]
    if first == quantity:
        return
    what = _quantity_words
    raise DataError(
        f"source {source!r}: variable {var!r} mosaics {where} ({what(first)}) with {file} "
        f"({what(quantity)}); one mosaic holds one quantity: use scenes of one product "
        "level (all Level-2, or all Level-1), each with its own 'metadata:', or put them in "
        "separate sources")


def _quantity_words(quantity: str | None) -> str:
    return quantity.replace("_", " ") if quantity else "values as read (no product metadata)"


_REFLECTANCE_LEVELS = {"toa_reflectance": "Level-1C or Level-1",
                       "surface_reflectance": "Level-2A or Level-2"}
"""The reflectances of two processing levels, which no one source holds together."""


def _check_one_level(source: str, var: str, quantity: str | None, file: str,
                     seen: dict[str, tuple[str | None, str]]) -> None:
    """Refuse a variable whose reflectance is of another processing level than another
    variable's of the same source (``seen``: each variable's first scene).

    A source is one product: its bands are combined cell by cell (an index, a feature
    stack). A Sentinel-2 Level-2A ``B04_10m`` (surface reflectance) beside a Level-1C
    ``B08`` (top-of-atmosphere) in one source, or a Landsat ``SR_B4`` beside a Level-1
    ``B5``, made an NDVI of neither, without a word (each variable recorded its own
    quantity, the source none). A Landsat Level-1 band file read without its MTL holds
    no quantity but its name states its level (:func:`_level_by_name`): beside a
    ``SR_B4`` (or ESPA ``sr_band4``) its DNs were read at the surface reflectance's
    ``scale:`` (0.55 for a DN of 20000) and went into one index with it, exit 0.

    Raises
    ------
    DataError
        Naming both variables, their files and levels.
    """
    level = _level_by_name(quantity, file)
    if level is None:
        return
    for other, (held, where) in seen.items():
        theirs = _level_by_name(held, where)
        if theirs is not None and theirs != level:
            raise DataError(
                f"source {source!r}: variable {var!r} ({file}) holds "
                f"{_level_words(quantity, file, level)}, but "
                f"variable {other!r} ({where}) holds {_level_words(held, where, theirs)}: "
                "an index of the two (e.g. an NDVI of a "
                "surface-reflectance red and a top-of-atmosphere nir) is of neither; give "
                "every band of the source from one product level (all Level-2A/Level-2, "
                "or all Level-1C/Level-1), or put each level in a source of its own")


def _level_by_name(quantity: str | None, file: str) -> str | None:
    """The reflectance level (a key of :data:`_REFLECTANCE_LEVELS`) of a band that holds
    ``quantity``, or, where no metadata made it one, whose file's name states a Landsat
    Level-1 reflective band (:func:`level1_band`: top-of-atmosphere once its MTL
    calibrates it); else ``None`` (no reflectance, or a level nothing states)."""
    if quantity in _REFLECTANCE_LEVELS:
        return quantity
    named = level1_band(file) if quantity is None else None
    return "toa_reflectance" if named is not None and not named[1] else None


def _level_words(quantity: str | None, file: str, level: str) -> str:
    """What a band of ``level`` holds, for :func:`_check_one_level`'s refusal."""
    if quantity is not None:
        return f"{_quantity_words(quantity)} ({_REFLECTANCE_LEVELS[level]})"
    named = level1_band(file)
    what = named[0] if named is not None else "a Level-1 band file"
    return (f"the DNs of {what} (Level-1: top-of-atmosphere reflectance once its MTL "
            "calibrates them, read here without it)")


def _unit_word(units: str) -> str:
    """A units string compared loosely (``1``, empty and ``reflectance`` are one: unitless)."""
    word = units.strip().lower()
    word = _UNIT_ALIASES.get(word, word)
    return "1" if word in ("", "1", "none", "unitless", "reflectance", "dimensionless") \
        else word


_UNIT_ALIASES = {"kelvin": "k", "degrees kelvin": "k", "degk": "k", "percent": "%",
                 "pct": "%", "celsius": "degc", "°c": "degc", "deg c": "degc",
                 "degree_celsius": "degc", "degrees_celsius": "degc",
                 "degree celsius": "degc", "degrees celsius": "degc", "deg_c": "degc"}
"""Spellings of one unit (a config that restates the product's units is not a change)."""

_DIMENSIONAL = re.compile(r"\b(?:m?w|k|kelvin|deg ?[cf]|sr|um|nm|cm|mm)\b|[µμ]m|m-?\^?-?2\b|/m2")
"""Words of a physical unit (radiance's ``W m-2 sr-1 um-1``, temperature's ``K`` or
``degC``, a depth's ``cm``), none of which a scale or offset makes of a unitless
quantity."""


def _check_dimension(source: RasterSource, var: str, file: str, what: str,
                     units: str) -> None:
    """Refuse a config whose ``units:`` give a unitless product quantity (``units``:
    ``1``, a reflectance or an emissivity) the units of a physical quantity.

    A change of units of a reflectance is to ``%`` or ``1``; ``units: W m-2 sr-1 um-1``
    (or ``K``) on an AST_07XT, Collection 2 ``SR_B*``, ESPA ``sr_band*`` or Sentinel-2
    band labelled reflectance as radiance (or temperature), and its ``scale:`` (an ASTER
    Level-1 band's unit conversion coefficient, given to the source for a Level-1T band
    beside it) multiplied it: reflectance 0.2 went in as "radiance" 13.5, exit 0.

    The reverse too: ``units: "1"`` (or ``"%"``) on a physical quantity (a Collection 2
    ``ST_B10`` in K, its ``scale: 2.75e-5, offset: -0.2`` the ``SR_B*`` bands' of the
    same source) took the scale as a change of units and read 44000 as 2.2 "unitless",
    exit 0.

    Raises
    ------
    ConfigError
        Naming the band, its file, the product and the units.
    """
    if "units" in source.model_fields_set and _unit_word(source.units) in ("1", "%") \
            and _DIMENSIONAL.search(_unit_word(units)):
        raise ConfigError(
            f"source {source.name!r}, band {var!r}: {Path(file).name} is {what}, in "
            f"{units!r}, but the config's 'units: {source.units}' labels it unitless (a "
            "reflectance), which no 'scale:' or 'offset:' makes of it; remove 'units:' "
            "(and a 'scale:' that is not the product's), or, where the source also holds "
            "bands of another product (reflectance bands beside a thermal band), put "
            "each product in a source of its own with its own 'scale:' and 'units:'")
    if not units.strip() or _unit_word(units) != "1" or not _DIMENSIONAL.search(
            _unit_word(source.units)):  # unitless as stated, not for want of a unit
        return
    raise ConfigError(
        f"source {source.name!r}, band {var!r}: {Path(file).name} is {what}, whose values "
        f"are unitless, but the config's 'units: {source.units}' labels them a physical "
        "quantity, which no 'scale:' or 'offset:' makes of them (a change of units of a "
        "reflectance is to '%' or '1'); remove 'units:' (and a 'scale:' that is not the "
        "product's), or, where the source also holds bands of another product (an ASTER "
        "Level-1 radiance, a thermal band), put each product in a source of its own with "
        "its own 'scale:' and 'units:'")


def band_coefficients(source: RasterSource, var: str, cal: BandCalibration | None,
                      stated_by: str, file: str, ignore: str = "", *,
                      dtype: str | None = None) -> tuple[float, float]:
    """``(scale, offset)`` that turn a band's DNs into its values, the product's calibration
    and the config's ``scale``/``offset`` applied once between them.

    ``cal`` is what the band's metadata states (a product metadata file, a STAC item's
    ``raster:bands``, the file's own scale/offset tags), or ``None``. The rule is one for
    every product path:

    * no calibration stated: the config's ``scale`` and ``offset`` (1 and 0 unless given);
    * an item that defines the product's DNs but states no scale (``cal.unstated``): the
      config's ``scale`` is the product's, and the DN offset the item does state (a
      Sentinel-2 baseline's -1000) is applied once: a config ``offset`` must be the same
      value (``scale * DN offset``) or left out;
    * a calibration stated, and the config gives ``scale``/``offset`` too: the same values
      are the same calibration, applied once; a change of units of the product's quantity
      (``units:`` given and other than the product's, e.g. ``scale: 100, units: "%"`` or
      ``offset: -273.15, units: degC``) applies after it; anything else was the product's
      calibration applied twice (``scale: 0.0001`` on an ESPA or Collection 2 scene: every
      value 1e-4 times too small) and is refused.

    A config ``scale: 1`` or ``offset: 0`` changes nothing and counts as not given. A
    ``units:`` other than the product's with no conversion (none given, or the product's
    own scale/offset restated) labels the values of a product whose quantity its metadata
    states (an MTL, an ESPA XML, a Sentinel-2 XML) wrongly and is refused.

    Parameters
    ----------
    source
        The raster source (its ``name``, ``scale``, ``offset``, ``units``).
    var
        The band's variable, for messages.
    cal
        The calibration the band's metadata states, if any.
    stated_by
        What states ``cal`` (the metadata file, ``item 'x' raster:bands``, the file), for
        the message.
    file
        The band's file, for the message.
    ignore
        How to ignore the metadata's calibration instead, where the config can (``drop
        'metadata:'``), for the message.
    dtype
        The band's data type, where the caller has read the header (else it is read here
        when a file name states a product whose DNs need it, :func:`_by_name`).

    Raises
    ------
    ConfigError
        The config's ``scale``/``offset`` would apply on top of a calibration the metadata
        already applies.
    DataError
        DNs that no one pair makes values (``cal.dn_only``: a Landsat Level-1 item's band
        without its MTL) and neither a ``scale:`` nor other ``units:`` in the config; or
        a file whose product name states another band than the variable's name
        (:func:`named_band`: a TM ``SR_B4``, NIR, named ``red``); a file that its stated
        or named product's calibration reads as DNs but that holds values another tool
        calibrated (:func:`_check_stated_not_calibrated`) or rescaled
        (:func:`_check_not_rescaled`).

    Warns
    -----
    DataWarning
        A Landsat Level-1 band file read as DNs without its MTL, ``scale:`` or
        ``units:`` (:func:`level1_band`).
    """
    check_not_gap_mask(file, f"source {source.name!r}, band {var!r}: ")
    _check_not_coded(source, var, file)
    held = named_band(file)
    if held is not None:  # a band's file read by its name alone: its number is the sensor's
        check_band_word(var, f"source {source.name!r}: {file}", *held)
    s, o = source.scale, source.offset
    given_scale, given_offset = s != 1.0, o != 0.0
    if cal is not None and cal.dn_only and not (given_scale or given_offset) and not (
            "units" in source.model_fields_set and _unit_word(source.units) != "1"):
        raise DataError(
            f"source {source.name!r}, band {var!r}: {Path(file).name} "
            f"({stated_by.split(' (')[0]}) "
            f"{cal.dn_only}; neither the item's raster:bands nor the source gives a scale, "
            f"so the DNs would be read as values labelled {source.units!r}; add the "
            "scene's MTL to the item as a local asset (its coefficients apply), state "
            "raster:bands scale and offset (the MTL's, with view:sun_elevation), give "
            "'scale:' and 'offset:' in the source, or say 'units: DN' to take the DNs as "
            "they are")
    if cal is not None and cal.unstated is None and (cal.scale, cal.offset) == (1.0, 0.0):
        cal = None  # states a fill or units only: no calibration
    if named_product(file) is None:  # a product's own pairs are checked against it
        if cal is not None and cal.unstated is None:
            _check_dn_offset(source, var, file, stated_by.split(" (")[0], cal.scale,
                             cal.offset, cal.units or source.units, "state its offset as")
        elif cal is None and (given_scale or given_offset):
            _check_dn_offset(source, var, file, "the source's 'scale:'/'offset:'", s, o,
                             source.units, "give")
    if cal is not None and cal.unstated is None:
        _check_named_scale(source, var, file, stated_by, cal)
        if (dtype or "float").startswith("float"):  # a copy of values the metadata scales?
            _check_stated_not_calibrated(source, var, file, stated_by, ignore, cal)
        # values another tool rescaled (reflectance x 10000, or in percent)?
        _check_not_rescaled(source, var, file, stated_by, cal, dtype)
    if cal is None:  # nothing states it: the file's name may name a product that does
        named = named_product(file)
        if named is not None:
            if named.scale is not None and named.offset is not None:
                _check_not_rescaled(source, var, file, f"its name ({named.what})",
                                    BandCalibration(named.scale, named.offset,
                                                    named.quantity, named.units), dtype)
            return _by_name(source, var, file, named, dtype)
    if cal is None or not (given_scale or given_offset):
        if cal is None:
            if not (given_scale or given_offset):
                _warn_level1_dns(source, var, file)
            elif o < 0 and (dtype or "float").startswith("float"):  # a DN pair over values?
                # (a negative offset: every value would read about it; a scale alone may
                # change units of a small quantity, ppm to a fraction)
                _check_stated_not_calibrated(
                    source, var, file, "the source's 'scale:'/'offset:'",
                    "remove 'scale:' and 'offset:' from the source",
                    BandCalibration(s, o, "", source.units))
            return s, o
        if cal.unstated is None:
            if _other_units(source, cal):
                _relabel(source, var, file, stated_by, cal)  # units: "%" and no conversion
            return cal.scale, cal.offset
    if cal.unstated is not None:  # the config's scale is the product's, the DN offset the item's
        return _unstated(source, var, file, stated_by, ignore, cal, cal.unstated)
    same_scale = not given_scale or math.isclose(s, cal.scale, rel_tol=1e-6)
    same_offset = not given_offset or math.isclose(o, cal.offset, rel_tol=1e-6, abs_tol=1e-9)
    if same_scale and same_offset:  # the config restates the product's: applied once
        if _other_units(source, cal):
            _relabel(source, var, file, stated_by, cal)
        return cal.scale, cal.offset
    converted = _temperature_scale(source, var, file, f"calibrated by {stated_by}",
                                   cal.scale, cal.offset, cal.units)
    if converted is not None:  # a temperature in another scale, in one of its forms
        return converted
    converts = ("units" in source.model_fields_set
                and _unit_word(source.units) != _unit_word(cal.units)
                and not (given_scale and (abs(s) < DN_FACTOR
                                          or math.isclose(s, cal.scale, rel_tol=1e-6)))
                and not (given_offset and cal.offset != 0
                         and math.isclose(o, cal.offset, rel_tol=1e-6)))
    if converts:  # a change of units of the product's quantity, said with 'units:'
        _check_dimension(source, var, file, f"calibrated by {stated_by}"
                         + (f" as {cal.quantity.replace('_', ' ')}" if cal.quantity else ""),
                         cal.units)
        return s * cal.scale, s * cal.offset + o
    keys = [k for k, g in (("scale", given_scale), ("offset", given_offset)) if g]
    _refuse(source, var, file, stated_by, ignore,
            dn_formula(cal.scale, cal.offset)
            + (f" ({cal.quantity.replace('_', ' ')})" if cal.quantity else ""), keys, (s, o),
            cal.units)
    raise AssertionError("unreachable")  # pragma: no cover


def _check_dn_offset(source: RasterSource, var: str, file: str, said: str, scale: float,
                     offset: float, units: str, how: str) -> None:
    """Refuse a reflectance's pair (``scale`` at most :data:`DN_FACTOR`, units ``1``)
    whose offset is a whole number of DNs that makes every 16-bit DN read below -0.5: an
    offset in DNs (Sentinel-2's ``BOA_ADD_OFFSET`` -1000, as its XML writes it) given
    where the offset is added to values (``value = scale x DN + offset``: the item's
    ``raster:bands``, a file's tags, the source's ``offset:``).

    ``scale: 0.0001, offset: -1000`` over a ``red.tif`` of DN 3000 (reflectance 0.2) read
    -999.7, exit 0: a file of a product's name was told its product's offset, one of
    no product's name nothing.

    Raises
    ------
    DataError
        Naming what states the pair, the file and the offset to give.
    """
    if not (_unit_word(units or "1") == "1" and 0 < scale <= DN_FACTOR * (1 + 1e-9)
            and offset <= -1 and offset == round(offset)
            and scale * 65535 + offset < -0.5):
        return
    raise DataError(
        f"source {source.name!r}, band {var!r}: {said} reads {Path(file).name} as "
        f"{dn_formula(scale, offset)}, which makes every DN (0 to 65535) a value of "
        f"{scale * 65535 + offset:.4g} or less: the offset {offset:g} is in DNs (as a product's "
        "metadata writes BOA_ADD_OFFSET), but it is added to values; "
        f"{how} {offset * scale:g} (the DN offset x the scale)")


def _check_named_scale(source: RasterSource, var: str, file: str, stated_by: str,
                       cal: BandCalibration) -> None:
    """Refuse a stated calibration (a STAC item's ``raster:bands``, a file's scale tag)
    whose scale is not that of the product the band file's name states
    (:func:`named_product`), in the product's own units.

    Collection 2 Level-2's 2.75e-5 and -0.2 stated over a Collection 1 surface
    reflectance file (ESPA's ``..._01_T1_sr_band4.tif``, a Collection 1 ARD tile's
    ``..._C01_V01_SRB4.tif``: 1e-4, no offset) read DN 3000 as -0.12, not 0.3; 1e-4 over
    a Collection 2 ARD tile's ``SR_B4`` read 2.0 for 0.35, without a word: the stated
    pair was checked against the product the item's id or collection names, never
    against its file's. A stated pair in other units than the product's (``unit: "%"``,
    a temperature in degC) is a change of units, not compared.

    Raises
    ------
    DataError
        Naming the file, its product, both pairs and the fix.
    """
    named = named_product(file)
    if named is None or named.scale is None or named.offset_unknown:
        return
    if cal.units and _unit_word(cal.units) != _unit_word(named.units):
        return  # another unit's pair (reflectance in %): a conversion, not a misstatement
    if math.isclose(cal.scale, named.scale, rel_tol=1e-4):
        return
    where = stated_by.split(" (")[0]
    raise DataError(
        f"source {source.name!r}, band {var!r}: {where} states scale {cal.scale:g} and "
        f"offset {cal.offset:g}, but {Path(file).name} is {named.what} "
        f"({dn_formula(named.scale, named.offset or 0.0)}), so every value would be "
        f"{cal.scale / named.scale:.3g} times the product's (the pair of another "
        "product or collection); state the product's scale and offset there, or leave "
        "them out (the file's name states its product's)")


def _check_not_coded(source: RasterSource, var: str, file: str) -> None:
    """Refuse a quality layer of class codes or bit flags (an SCL, a QA_PIXEL, a
    QA_RADSAT, an HLS Fmask...: :func:`~prospect.ingest.cloudmask.coded_layer`, by its
    file name) given as a band of continuous values: its codes were read as numbers,
    resampled between classes (SCL's 4, vegetation, and 8, cloud, averaged to 6, water)
    and modelled as amounts, exit 0. A source of ``values: categorical`` reads it as the
    class map it is.

    Raises
    ------
    DataError
        Naming the source, the variable, the file, what it is and how to read it.
    """
    from prospect.ingest.cloudmask import coded_layer

    if getattr(source, "values", "continuous") == "categorical":
        return
    coded = coded_layer(file)
    if coded is None:
        return
    kind, what = coded
    mask = (f"; or, to drop its cloudy pixels, name its key in cloud_mask.asset with "
            f"'kind: {kind}'" if kind is not None else "")
    raise DataError(
        f"source {source.name!r}, band {var!r}: {Path(file).name} is {what}, by its name, "
        "but the source reads continuous values: its codes would be resampled and modelled "
        "as amounts (SCL's 4, vegetation, and 8, cloud, averaged to 6, water); read it in a "
        f"source of its own with 'values: categorical'{mask}")


def _unstated(source: RasterSource, var: str, file: str, stated_by: str, ignore: str,
              cal: BandCalibration, product: tuple[float, float]) -> tuple[float, float]:
    """``(scale, offset)`` of a band whose item defines its DNs but states no scale: the
    config gives the product's scale (or, with other ``units:``, a multiple of it: ``scale:
    0.01, units: "%"`` for Sentinel-2 in percent), and the product's offset applies at that
    scale, whether the config restates it or leaves it out.

    Before, Collection 2 Level-2's -0.2 was lost where the config gave only ``scale:
    2.75e-5`` (reflectance 0.2 high), another scale (``0.0001``) was taken as given, a
    config ``offset: -0.1`` (Sentinel-2 baseline 04.00's) was applied to items of earlier
    baselines too (reflectance 0.1 low in a composite of both), and without any ``scale:``
    the DNs were read as values.

    Raises
    ------
    DataError
        No ``scale:`` given (DNs would be read as values).
    ConfigError
        A scale that is neither the product's nor a change of units, or an offset that is
        not the product's at that scale.
    """
    a, b = product
    s, o = source.scale, source.offset
    what = dn_formula(a, b) + (
        f" ({cal.quantity.replace('_', ' ')})" if cal.quantity else "")
    if s == 1.0:
        raise DataError(
            f"source {source.name!r}, band {var!r}: {Path(file).name} holds the product's DNs "
            f"({what}), but neither the raster:bands of {stated_by.split(' (')[0]} nor the source "
            f"gives a scale, so the DNs would be read as values; give 'scale: {a:g}'"
            + (f" and 'offset: {b:g}'" if b else "") + " in the source (or items that "
            "state raster:bands scale and offset)")
    same = math.isclose(s, a, rel_tol=1e-6)
    converted = _temperature_scale(source, var, file,
                                   f"defined by {stated_by.split(' (')[0]}", a, b, cal.units)
    if converted is not None:  # a temperature in another scale, in one of its forms
        return converted[0] * cal.scale, converted[1]
    if same and _other_units(source, cal):
        _relabel(source, var, file, stated_by, dataclasses.replace(cal, scale=a, offset=b))
    item = stated_by.split(" (")[0]
    _check_dimension(source, var, file, f"defined by {item}" + (
        f" as {cal.quantity.replace('_', ' ')}" if cal.quantity else ""), cal.units)
    if not same and not ("units" in source.model_fields_set
                         and _unit_word(source.units) != _unit_word(cal.units)):
        raise ConfigError(
            f"source {source.name!r}, band {var!r}: {item} defines the DNs of "
            f"{Path(file).name} ({what}), but the config's 'scale: {s:g}' is another, so "
            f"every value would be {s / a:g} times the product's; give 'scale: {a:g}' (to "
            "change the units, state the new 'units:' as well, e.g. "
            f"{_conversion_example(cal.units, a, b)})")
    expected = b * s / a  # the product's offset at the config's scale
    if o != 0.0 and not math.isclose(o, expected, rel_tol=1e-6, abs_tol=1e-9):
        if cal.offset != 0:  # the item states its DN offset (a Sentinel-2 baseline's)
            _refuse(source, var, file, stated_by, ignore, f"an offset of {cal.offset:g} DN, "
                    f"{expected:g} at scale {s:g}", ["offset"], (s, o), cal.units)
        why = ("it has no DN offset (its processing baseline predates 04.00, or "
               "its product has none)" if b == 0 else
               f"the product's offset at scale {s:g} is {expected:g}")
        raise ConfigError(
            f"source {source.name!r}, band {var!r}: {item} defines the DNs of "
            f"{Path(file).name} ({what}) and {why}, but the config gives 'offset: {o:g}', "
            "which would shift every value by the difference; remove 'offset:' from the "
            "source: each item's own offset applies (a composite of baselines before "
            "and after 04.00 gets each its own)")
    return s * cal.scale, expected


def _whole_offset(scale: float, offset: float, product_scale: float, product_offset: float,
                  product_units: str, units: str) -> bool:
    """Whether a config's ``scale:`` and ``offset:`` under other ``units:`` are the whole
    formula, the product's calibration and the change of temperature scale in one
    (:func:`~prospect.ingest.layers.unit_shift`'s ``(k, c)``: ``scale = product scale x
    k``, ``offset = product offset x k + c``), as a product's guide writes the conversion:
    USGS's Collection 2 ``ST_B10`` in degrees Celsius is ``0.00341802 x DN + 149.0 -
    273.15``, so ``scale: 0.00341802, offset: -124.15, units: degC``; in degrees
    Fahrenheit ``scale: 0.00615244, offset: -191.47, units: degF``.

    The degC offset was taken for the shift alone and the product's 149 added once more (a
    surface of 26.2 degC read 175.2 degC); the degF pair, whose scale is not the product's,
    was taken for a factor on the product's values (79.2 degF read 347.4, or -189.6 over
    an item stating ``raster:bands`` in kelvin), exit 0: only K <-> degC had a zero. A
    shift alone (``offset: -273.15``) is not whole unless the product's own offset is 0,
    where the two are one."""
    pair = unit_shift(product_units, units) if product_units and units else None
    if pair is None:
        return False
    k, c = pair
    return (math.isclose(scale, product_scale * k, rel_tol=1e-4)
            and math.isclose(offset, product_offset * k + c, rel_tol=1e-4, abs_tol=0.01))


def _temperature_scale(source: RasterSource, var: str, file: str, what: str,
                       product_scale: float, product_offset: float,
                       product_units: str) -> tuple[float, float] | None:
    """``(scale, offset)`` from DNs to a temperature the config reads in another scale than
    the product's (``units: degC`` or ``degF`` on a product in ``K``...), where its
    ``scale:`` and ``offset:`` are one of the conversion's forms: the whole formula
    (:func:`_whole_offset`), the conversion alone after the product's calibration
    (:func:`~prospect.ingest.layers.unit_shift`'s pair: ``scale: 1.8, offset: -459.67``
    from K to degF), or the zero's shift alone (``offset: -273.15``, with or without the
    product's scale); ``None`` where the units are not two temperature scales, or no
    ``scale:`` or ``offset:`` is given.

    Any other pair was applied as a change of units without a word: ``scale: 1.8,
    offset: 32`` (degC to degF) on a product in K read 79.2 degF as 570.9, ``offset:
    273.15`` (the sign the other way round) read 26.2 degC as 572.5, ``offset: 32, units:
    degF`` over an item stating ``raster:bands`` in K 331.4, exit 0.

    Raises
    ------
    ConfigError
        A pair that is none of these forms, naming the band's file, both scales and the
        pairs to give.
    """
    s, o = source.scale, source.offset
    if "units" not in source.model_fields_set or (s, o) == (1.0, 0.0) or not product_units:
        return None
    pair = unit_shift(product_units, source.units)
    if pair is None:
        return None
    k, c = pair
    a, b = product_scale, product_offset
    if _whole_offset(s, o, a, b, product_units, source.units):
        return s, o  # the product's formula in the new units ('offset: -124.15')
    if math.isclose(s, k, rel_tol=1e-3) and math.isclose(o, c, rel_tol=1e-3, abs_tol=0.01):
        return s * a, s * b + o  # the conversion after the product's, to the config's digits
    if k == 1.0 and math.isclose(s, a, rel_tol=1e-6) and \
            math.isclose(o, c, rel_tol=1e-3, abs_tol=0.01):
        return a, b + o  # the product's, and the zero's shift
    given = " and ".join(f"'{key}: {v:g}'" for key, v, g in (
        ("scale", s, s != 1.0), ("offset", o, o != 0.0)) if g)
    raise ConfigError(
        f"source {source.name!r}, band {var!r}: {Path(file).name} is {what} in "
        f"{product_units!r} ({dn_formula(a, b)}), and {source.units} = {product_units}"
        + ("" if k == 1.0 else f" x {k:.6g}") + f" {'-' if c < 0 else '+'} {abs(c):.6g}, "
        f"but the config's {given} under "
        f"'units: {source.units}' is no such conversion, so every value would be read "
        "wrong; give " + ("" if k == 1.0 else f"'scale: {k:.6g}' and ")
        + f"'offset: {c:.6g}' (the conversion, after the product's calibration), or "
        f"'scale: {a * k:.6g}' and 'offset: {b * k + c:.6g}' "
        f"(the product's formula in {source.units}), or leave 'units:' out to read "
        f"{product_units}")


def _zero_shift(offset: float, product_units: str, units: str) -> bool:
    """Whether ``offset`` is the shift of a temperature's zero from the product's units to
    a config's, alone (``offset: -273.15`` from K to degC; between scales of one degree's
    size only: degrees Fahrenheit need a factor as well, :func:`_whole_offset`)."""
    pair = unit_shift(product_units, units) if product_units and units else None
    return pair is not None and pair[0] == 1.0 and math.isclose(offset, pair[1], rel_tol=1e-6)


def _other_units(source: RasterSource, cal: BandCalibration) -> bool:
    """The config states ``units:`` other than those the band's metadata states (an MTL,
    ESPA or Sentinel-2 XML, a STAC item's ``raster:bands`` ``unit`` or known product, the
    file's own units tag): with no conversion given, a wrong label."""
    return ("units" in source.model_fields_set and bool(cal.units)
            and _unit_word(source.units) != _unit_word(cal.units))


def _conversion_example(units: str, scale: float | None = None, offset: float = 0.0) -> str:
    """A change of units of a quantity in ``units``, as a refusal's hint gives it: percent
    for a reflectance (``'scale: 100' with 'units: "%"'``), degrees Celsius for a
    temperature in kelvin (kelvin for one in degrees Celsius).

    A Landsat ``ST_B10`` or ``BT_B10`` given another product's scale was told "e.g.
    'scale: 0.341802' with 'units: "%"'": a temperature in percent, which the next run
    refused as a unitless scale on kelvin.

    Parameters
    ----------
    units
        The quantity's units (the product's, its metadata's).
    scale, offset
        The product's DN calibration where the DNs are still to be calibrated (the example
        is then the product's whole formula in the new units); ``None``: the values are
        calibrated, and the example is the conversion alone.
    """
    for target in ("degC", "K"):
        pair = unit_shift(units, target) if units else None
        if pair is None:
            continue
        k, c = pair
        if scale is not None:
            return f"'scale: {scale * k:g}' and 'offset: {offset * k + c:g}' with 'units: {target}'"
        return (f"'offset: {c:g}'" if k == 1.0 else f"'scale: {k:g}' and 'offset: {c:g}'") \
            + f" with 'units: {target}'"
    return f"'scale: {100.0 if scale is None else scale * 100:g}' with 'units: \"%\"'"


def _relabel(source: RasterSource, var: str, file: str, stated_by: str,
             cal: BandCalibration) -> None:
    """Raise the :class:`ConfigError` of a config that restates the product's own
    calibration (applied once), or gives none, but labels the values in other ``units:``:
    ``scale: 0.0001, units: "%"`` on an ESPA scene gave reflectance 0-1 labelled as
    percent."""
    given = " and ".join(f"'{k}: {v:g}'" for k, v, g in (
        ("scale", source.scale, source.scale != 1.0),
        ("offset", source.offset, source.offset != 0.0)) if g) or "no scale or offset"
    what = cal.quantity.replace("_", " ") if cal.quantity else "its values"
    raise ConfigError(
        f"source {source.name!r}, band {var!r}: the config's {given} restates (or leaves) "
        f"the calibration {stated_by} already applies to {Path(file).name} ("
        f"{dn_formula(cal.scale, cal.offset)}: {what} in units {cal.units!r}), so it is "
        f"applied once and the values stay in {cal.units!r}, but 'units: {source.units}' "
        f"would label them otherwise; remove 'units:' (or state {cal.units!r}), or to "
        f"change the units give only the conversion (e.g. {_conversion_example(cal.units)})")


def _refuse(source: RasterSource, var: str, file: str, stated_by: str, ignore: str,
            applies: str, keys: list[str], config: tuple[float, float],
            units: str = "1") -> None:
    """Raise the :class:`ConfigError` of a calibration the config would apply twice
    (``units``: the calibrated quantity's, for the hint's change of units)."""
    given = " and ".join(f"'{k}: {v:g}'" for k, v in zip(("scale", "offset"), config, strict=True)
                         if k in keys)
    raise ConfigError(
        f"source {source.name!r}, band {var!r}: {stated_by} already calibrates "
        f"{Path(file).name} ({applies}), and the config's {given} would be applied on top "
        f"of it, a calibration applied twice; remove {' and '.join(repr(k) for k in keys)} "
        f"from source {source.name!r} (the metadata's calibration applies)"
        + (f", or {ignore}" if ignore else "")
        + "; to change the units of the product's quantity, state the new 'units:' as well"
        f" (e.g. {_conversion_example(units)})")


# --- products whose file names define their DNs --------------------------------------------

_NAMED_BAND = re.compile(r"_(?:SR_|ST_|TOA_|BT_)?B(?:AND)?(\d{1,2})(?:_VCID_[12])?$",
                         re.IGNORECASE)
_S2_NAMED_BAND = re.compile(r"_(B\d[\dA])(?:_\d{2}m)?$")
S2_NUMBERING = "B08 is NIR and B04 red on Sentinel-2, band 4 NIR on Landsat 4-7"
ASTER_WORDS: dict[str, frozenset[str]] = {
    "1": frozenset({"green"}), "2": frozenset({"red"}), "3N": frozenset({"nir", "nir08"}),
    "3B": frozenset({"nir", "nir08"}), "4": frozenset({"swir", "swir1", "swir16"}),
    **{str(b): frozenset({"swir", "swir2", "swir22"}) for b in range(5, 10)},
    **{str(b): frozenset({"thermal", "tir", "bt"}) for b in range(10, 13)},
    **{str(b): frozenset({"thermal", "tir", "lwir", "bt"}) for b in (13, 14)}}
"""ASTER bands by the names users give them: VNIR 1 green, 2 red, 3N/3B NIR (nadir and
backward); SWIR 4 at 1.65 um, 5-9 at 2.15-2.43 um (Landsat's SWIR 2 range); TIR 10-14
(13 and 14 in STAC's ``lwir`` range)."""
ASTER_NUMBERING = "band 3 is NIR and band 2 red on ASTER, band 3 red on Landsat 4-7"
_ASTER_NAMED_BAND = re.compile(r"(?:ImageData|_B|Band)0?(1[0-4]|[1-9]|3[NB])(?![\dA-Za-z])",
                               re.IGNORECASE)
"""An ASTER granule's band in its file name (``..._ImageData3N.tif``, ``..._B04.tif``,
``..._Band13.tif``)."""


def named_band(file: str) -> tuple[frozenset[str], str, str, str] | None:
    """What band a Landsat or Sentinel-2 band file's product name says it holds: ``(the
    names it goes by, the band, the product, how numberings differ)`` for
    :func:`~prospect.ingest.landsat.check_band_word`, or ``None`` where the name does not
    tell (a renamed file, a quality layer, MSS). Landsat by its product or scene id and
    band number (``..._SR_B4``, ``..._sr_band4``, ``..._B4``), Sentinel-2 by ESA's tile and
    time (``T31UFT_20220301T104021_B8A_20m``), HLS by its product (``L30`` numbered as OLI,
    ``S30`` as Sentinel-2), ASTER by its granule id and band (``AST_07XT_..._B3N``:
    :data:`ASTER_WORDS`; ``red`` given band 3N, NIR, read as red).

    Band numbers differ between sensors (band 4 is red on OLI, NIR on TM and ETM+), and a
    file read by its name alone (no MTL, ESPA XML or product XML, whose readers check
    it) was taken for the band the config named it: ``red`` of a TM scene's ``SR_B4`` was
    its NIR."""
    name = PurePosixPath(str(file).replace("\\", "/")).name
    stem = name.split(".")[0]
    hls = _HLS.search(name)
    if hls is not None:
        key = hls.group(2).upper()
        if hls.group(1).upper() == "S30":
            words = S2_WORDS.get("B8A" if key == "B8A" else f"B{int(key[1:]):02d}")
            return (words, key, "HLS S30", S2_NUMBERING) if words else None
        words = band_words(8, int(key[1:]), "C") if key[1:].isdigit() else None
        return (words, key, "HLS L30 (OLI numbering)", LANDSAT_NUMBERING) if words else None
    ident = landsat_id(stem)
    if ident is not None:
        m = _NAMED_BAND.search(stem)
        words = band_words(ident.satellite, int(m.group(1)), ident.sensor) if m else None
        if m is None or words is None:
            return None
        return words, f"band {int(m.group(1))}", f"Landsat {ident.satellite}", \
            LANDSAT_NUMBERING
    tile = ard_tile(name)
    if tile is not None:
        number = re.search(r"(\d{1,2})$", tile.layer) if tile.layer != "ST" else None
        words = band_words(tile.satellite, int(number.group(1)), tile.sensor
                           ) if number else None
        return (words, f"band {int(number.group(1))}", f"Landsat {tile.satellite}",
                LANDSAT_NUMBERING) if number and words else None
    if _ASTER.search(name):
        found = _ASTER_NAMED_BAND.findall(stem)  # the band is named last
        key = found[-1].upper() if found else ""
        return (ASTER_WORDS[key], f"band {key}", "ASTER", ASTER_NUMBERING
                ) if key in ASTER_WORDS else None
    m = _S2_NAMED_BAND.search(stem)
    if m is None or s2_file_date(name) is None or m.group(1).upper() not in S2_WORDS:
        return None
    return S2_WORDS[m.group(1).upper()], m.group(1).upper(), "Sentinel-2", S2_NUMBERING


BAND_FAMILY_WORDS = frozenset({"swir", "thermal", "tir", "lwir", "bt"})
"""Band words that name a family of bands (both SWIR bands, both TIRS bands), not one."""


def one_band(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether the band names ``a`` and ``b`` (:func:`named_band`'s) can be of one band:
    they share a name other than a family's (``swir`` is SWIR 1 and SWIR 2), or one of
    them has no other."""
    a_own, b_own = a - BAND_FAMILY_WORDS, b - BAND_FAMILY_WORDS
    return not a_own or not b_own or bool(a_own & b_own)


def check_one_band(source: str, var: str, files: Iterable[str], reduced: str) -> None:
    """Refuse one variable of a composite or a mosaic (``reduced``: how its files make
    it, ``"composites"``, ``"mosaics"``) whose files hold different bands by their product
    names (:func:`named_band`, :func:`one_band`).

    Each file is checked against a variable named by a band's own word (``nir``); one
    named by number (``b4``, ``b05``) or by a family's word (``swir``) took any band:
    ``b4`` of a TM ``SR_B4`` (near infrared) and an OLI ``SR_B4`` (red), or ``b05`` of an
    HLS S30 ``B05`` (red edge) and an L30 ``B05`` (near infrared), made one median (or
    mosaic) of two bands, exit 0: band numbers differ between sensors, and a catalogue
    of both sensors names their assets alike. The time series' own check of its dates
    is the same rule (:mod:`prospect.timeseries`).

    Raises
    ------
    DataError
        Naming the variable, a file of each band and how to map one band.
    """
    from prospect.ingest.landsat import band_words_in

    first: tuple[str, tuple[frozenset[str], str, str, str]] | None = None
    for file in files:
        held = named_band(file)
        if held is None:
            continue
        if first is None:
            first = (file, held)
            continue
        if one_band(first[1][0], held[0]):
            continue
        family = sorted(band_words_in(var) & BAND_FAMILY_WORDS)
        how = (f"{family[0]!r} names a family of bands, not one: name the variable by its "
               "band's own word (e.g. 'swir1', 'swir2', 'lwir11')" if family else
               "band numbers differ between sensors ("
               + "; ".join(dict.fromkeys((first[1][3], held[3])))
               + f"): give {var!r} one band "
               "of every scene (a source per sensor, each naming its own band's file or "
               "asset), or name the variable by its band's own word (e.g. 'nir', 'red'), "
               "which each file is checked against")
        raise DataError(
            f"source {source!r}: variable {var!r} {reduced} {_band_said(*first)} with "
            f"{_band_said(file, held)}: two bands in one variable, which is of neither; "
            f"{how}")


def _band_said(file: str, held: tuple[frozenset[str], str, str, str]) -> str:
    """A file's band as :func:`check_one_band` says it (``band 4 of Landsat 5 (nir/nir08,
    ..._SR_B4.TIF)``)."""
    words, which, product, _ = held
    name = PurePosixPath(str(file).replace("\\", "/")).name
    return f"{which} of {product} ({'/'.join(sorted(words))}, {name})"


_L1_BAND = re.compile(r"(?<!_SR)(?<!_ST)_B(\d{1,2})(?:_VCID_\d)?$", re.IGNORECASE)
"""A Level-1 band file's ending: ``_B4``, ``_B6_VCID_1``; not a Level-2 layer's
(``_SR_B4``, ``_ST_B10``: a surface reflectance or temperature, whatever the id says)."""


def level1_band(file: str) -> tuple[str, bool] | None:
    """What a Landsat Level-1 band file's name says it is (``a Landsat 8 L1TP band 4
    file``) and whether the band is thermal (TM/ETM+ band 6, TIRS 10/11), else ``None``:
    a collection product id of ``L1TP``/``L1GT``/``L1GS`` or a pre-collection scene id
    (``LE72240782010138EDC00``), followed by ``_B<n>``. Their DNs are calibrated counts,
    no quantity: TOA reflectance is the MTL's ``REFLECTANCE_MULT/ADD_BAND_n`` divided by
    the sine of the sun's elevation."""
    stem = PurePosixPath(str(file).replace("\\", "/")).name.split(".")[0]
    m = _L1_BAND.search(stem)
    ident = landsat_id(stem)
    if m is None or ident is None or ident.level not in (None, "L1TP", "L1GT", "L1GS"):
        return None
    band = int(m.group(1))
    thermal = band in ((10, 11) if ident.satellite >= 8 else (6,))
    return (f"a Landsat {ident.satellite} {ident.level or 'Level-1'} band {band} file",
            thermal)


LEVEL1_FILL = 0.0
"""The DN a Landsat Level-1 band holds where the scene has no image (its collar, a scan
gap): USGS's fill in every collection and sensor (``QUANTIZE_CAL_MIN`` is 1), as the
scene's MTL states it (:func:`~prospect.ingest.landsat.calibration` of a level-1 MTL)."""


def level1_fill(file: str) -> float | None:
    """The fill a Landsat Level-1 band file's name states (:func:`level1_band`: a
    ``L1TP``/``L1GT``/``L1GS`` product id or a pre-collection scene id, then ``_B<n>``):
    :data:`LEVEL1_FILL`, else ``None``. A band file that states no nodata, read without
    its MTL, read that fill as data (the real Parana scene's collar, 12 % of it, as DN 0:
    reflectance -0.1 over the other scene's values in a mosaic); its name states the
    product as a Level-2 file's does, and the product its fill."""
    return LEVEL1_FILL if level1_band(file) is not None else None


LEVEL1_SATURATE = {"oli": 65535.0, "tm": 255.0}
"""The DN a Landsat Level-1 band holds where its detector saturated, as the scene's MTL
states it (``QUANTIZE_CAL_MAX``): 65535 for Landsat 8-9 (OLI/TIRS, 16-bit), 255 for
Landsat 1-7 (MSS, TM, ETM+, 8-bit)."""


def level1_saturate(file: str) -> float | None:
    """The saturated DN a Landsat Level-1 band file's name states (:func:`level1_band`):
    :data:`LEVEL1_SATURATE` of its satellite, else ``None``.

    Read with its MTL, a Level-1 band's ``QUANTIZE_CAL_MAX`` is no data (a saturated
    detector: no measurement); read by its name alone, that DN went in as a value
    (reflectance 1.21 with Collection 1's 2e-5 and -0.1, 65535 x 2e-5 - 0.1). The name
    states the product and the product its saturated DN, as it states its fill
    (:func:`level1_fill`).

    Parameters
    ----------
    file
        The band file (its name may state a Landsat Level-1 product).

    Returns
    -------
    float or None
        The saturated DN, or ``None`` where the name states no Level-1 band.
    """
    if level1_band(file) is None:
        return None
    ident = landsat_id(PurePosixPath(str(file).replace("\\", "/")).name.split(".")[0])
    oli = ident is not None and ident.satellite >= 8
    return LEVEL1_SATURATE["oli" if oli else "tm"]


def _warn_level1_dns(source: RasterSource, var: str, file: str) -> None:
    """Warn that a Landsat Level-1 band read without its MTL and without ``scale:`` or
    ``units:`` goes in as its DNs (labelled as the source's default units, reflectance's
    ``'1'``): a STAC item of that band is refused (its ``dn_only``), but plain band files
    of the real Parana scene are read as DNs by configs that say nothing else, so the
    values stay and the warning names the fix."""
    if "units" in source.model_fields_set:
        return  # the config says what the DNs are ('units: DN')
    named = level1_band(file)
    if named is None:
        return
    what, thermal = named
    fix = ("the MTL's RADIANCE_MULT_BAND_n and RADIANCE_ADD_BAND_n (radiance; brightness "
           "temperature needs its K1/K2 constants too)" if thermal else
           "the MTL's REFLECTANCE_MULT_BAND_n and REFLECTANCE_ADD_BAND_n, divided by the "
           "sine of its SUN_ELEVATION")
    warnings.warn(DataWarning(
        f"source {source.name!r}, band {var!r}: {Path(file).name} is {what}, whose DNs "
        "(calibrated counts) are no values, but no 'metadata:' and no 'scale:' "
        f"calibrate it, so its DNs go in as values labelled {source.units!r}; give the "
        "scene's MTL as 'metadata:', or 'scale:' and 'offset:' (" + fix + "), or say "
        "'units: DN' to keep the DNs"), stacklevel=3)


@dataclass(frozen=True)
class NamedProduct:
    """What a band file's own name says its DNs are, where the product defines them."""

    what: str
    """The product, for messages (``a Landsat Collection 2 Level-2 SR_B4 file``)."""
    quantity: str
    units: str
    scale: float | None
    """``value = scale * DN + offset``, or ``None``: DNs that are no linear quantity
    (ASTER Level-1T: radiance needs each band's and gain's coefficient, reflectance the
    sun's angle)."""
    offset: float | None = 0.0
    """``None`` where the name cannot tell it (a Sentinel-2 band acquired before
    :data:`~prospect.ingest.stac.S2_BASELINE_04_START` whose path states no processing
    baseline)."""
    dn_offset: float = 0.0
    """The offset in DN (Sentinel-2 from baseline 04.00: -1000), for messages."""
    offset_unknown: bool = False
    """Whether the offset (:attr:`offset` ``None``) must be stated: a Sentinel-2 product
    of Sen2Cor run by its user (``N9999``), whose DNs carry the -1000 offset or not by the
    Sen2Cor version, so a config's ``scale:`` without ``offset:`` tells nothing of it."""
    dtype: str | None = None
    """The data type the product writes its DNs in, where a file of that type without a
    ``scale:`` is read at the product's documented scale (ESPA's ``int16``: the name and
    the type make the product certain); ``None``: DNs without a ``scale:`` are refused."""
    valid_range: tuple[float, float] | None = None
    """The DN range the product clips to (either end, and beyond, no data), as its own
    metadata would state it (ESPA's XML ``valid_range``; Collection 2's
    ``QUANTIZE_CAL_MIN/MAX``)."""
    saturate: float | None = None
    """The DN the product writes for a saturated pixel (ESPA's ``saturate_value`` 20000,
    Sentinel-2's ``SATURATED`` 65535): no data."""
    in_metadata: bool = True
    """Whether the product's metadata file calibrates it (a Collection 2 MTL does not
    calibrate its auxiliary layers), for the message's fix."""
    unscaled: str = ("radiance is (DN - 1) x the unit conversion coefficient of its band "
                     "and gain, and reflectance needs the sun's angle too")
    """Why DNs without a ``scale`` (:attr:`scale` ``None``) are no quantity, for the
    message (ASTER Level-1T's by default)."""
    instead: str = ("use the AST_07XT surface reflectance product, or state what you "
                    "ingest with 'units:' (e.g. 'units: DN', or 'units: W m-2 sr-1 um-1' "
                    "with the band's coefficient as 'scale:' and 'offset:')")
    """What to do instead with DNs that are no quantity (:attr:`scale` ``None``), for the
    message (ASTER Level-1T's by default)."""


ESPA_VALID_RANGE = {"sr": (-2000.0, 16000.0), "toa": (-2000.0, 16000.0),
                    "bt": (1500.0, 3500.0)}
"""ESPA's ``valid_range`` of its surface and top-of-atmosphere reflectance (1e-4) and
brightness temperature (0.1 K) bands (ESPA product guides for LEDAPS and LaSRC): the
product clips to it, so a DN at either end is no measurement."""
ESPA_SATURATE = 20000.0
"""ESPA's ``saturate_value`` of every image band."""


_C2_L2 = re.compile(r"_(SR|ST)_B(\d{1,2})$", re.IGNORECASE)
_C2_L2_AUX = re.compile(r"_(" + "|".join(C2_L2_AUX) + r")$", re.IGNORECASE)
_ESPA = re.compile(r"_(sr|toa|bt)_band(\d{1,2})$", re.IGNORECASE)
_S2_SAFE = re.compile(r"S2[A-D]_MSI(L1C|L2A)_\d{8}T\d{6}_N(\d{2})(\d{2})_", re.IGNORECASE)
_S2_BAND = re.compile(r"(?:^|_)T\d{2}[A-Z]{3}_\d{8}T\d{6}_(B\d[\dA])(?:_(\d{2})m)?$")
_S2_TCI = re.compile(r"(?:^|_)T\d{2}[A-Z]{3}_\d{8}T\d{6}_TCI(?:_\d{2}m)?$")
S2_TCI_WHY = ("an 8-bit true-colour preview of B04, B03 and B02 (ESA codes their "
              "reflectance 1-255, 0 no data, stretched and clipped for display: bright "
              "surfaces are all 255), no measurement")
"""What a Sentinel-2 ``TCI`` (true colour image) file holds, for the message: ESA's
8-bit RGB preview of the red, green and blue bands, which users download as the scene's
picture. Read as bands, its DNs went in as reflectance 0-255, without a word."""
_S2_AUX = re.compile(r"(?:^|_)T\d{2}[A-Z]{3}_\d{8}T\d{6}_(AOT|WVP)_\d{2}m$")
S2_AUX: dict[str, tuple[str, str, str, float]] = {
    "AOT": ("aerosol optical thickness at 550 nm", "aerosol_optical_thickness", "1", 1e-3),
    "WVP": ("water vapour", "water_vapour", "cm", 1e-3),
}
"""Sentinel-2 L2A ``AOT`` and ``WVP`` layers: ``(what, quantity, units, scale)``, DN /
``AOT_QUANTIFICATION_VALUE`` / ``WVP_QUANTIFICATION_VALUE`` (1000 in every baseline, no
offset; ESA's L2A product specification). Read without a scale, their DNs went in as
values (an aerosol optical thickness of 120)."""
_ASTER = re.compile(r"^AST_(L1T|L1B|07XT|07|05|08|09T|09XT|09)_", re.IGNORECASE)
ASTER_L2_SCALED: dict[str, tuple[str, str, str, float]] = {
    "05": ("surface emissivity", "surface_emissivity", "1", 1e-3),
    "08": ("surface kinetic temperature", "surface_temperature", "K", 0.1),
    "09T": ("TIR surface radiance", "surface_radiance", "W m-2 sr-1 um-1", 1e-3),
}
"""ASTER Level-2 products whose DNs are one linear quantity: ``(what, quantity, units,
scale)``, value = scale x DN (LP DAAC product pages: AST_05 emissivity 0.001, AST_08
kinetic temperature 0.1 K, AST_09T TIR radiance 0.001). Read without a scale, an AST_08
temperature of 300 K went in as 3000 labelled reflectance, without a word."""
ASTER_L2_UNSCALED: dict[str, str] = {"09": "VNIR/SWIR surface radiance",
                                     "09XT": "VNIR/SWIR surface radiance (crosstalk corrected)"}
"""ASTER Level-2 products whose DNs are a quantity at a scale of each band's own, which
the granule's HDF metadata states and its name does not (AST_09, AST_09XT: surface
radiance of the VNIR and SWIR bands). Read without a scale, their DNs went in as values
labelled reflectance (DN 1500 as reflectance 1500), without a word."""
ASTER_L2_UNSCALED_WHY = ("surface radiance at a scale factor of each band's own, which "
                         "the granule's HDF metadata states and its file name does not")
_HLS = re.compile(r"^HLS\.(L30|S30)\.T\d{2}[A-Z]{3}\.\d{7}T\d{6}\.v\d+\.\d+\.(B\d[\dA])\.",
                  re.IGNORECASE)
_HLS_GRANULE = re.compile(r"^(HLS\.(?:L30|S30)\.T\d{2}[A-Z]{3}\.(\d{4})(\d{3})T\d{6}\.v\d+\.\d+)"
                          r"(?:\.|$)", re.IGNORECASE)
"""An HLS granule's id, as a band file begins with it (``...v2.0.B04.tif``) or as a STAC
item names it alone (``HLS.S30.T31UFT.2022075T104021.v2.0``)."""


_ARD = re.compile(
    r"^(L[CETO](0[4-9])_(?:CU|AK|HI)_\d{6}_(\d{8})_\d{8}_(?:(02)|C(01)_V\d{2}))_"
    r"(SR_B\d{1,2}|ST_B\d{1,2}|TOA_B\d{1,2}|BT_B\d{1,2}|SRB\d{1,2}|TAB\d{1,2}|BTB\d{1,2}|ST)$",
    re.IGNORECASE)
"""A Landsat U.S. Analysis Ready Data tile's band file (USGS ARD, CONUS/Alaska/Hawaii
tiles of Landsat 4-9): ``LC08_CU_003008_20200101_20210504_02_SR_B4`` (Collection 2:
``SR_B*``, ``ST_B*``, and the top-of-atmosphere reflectance and brightness temperature
tiles' ``TOA_B*``, ``BT_B*``) or ``LC08_CU_003008_20200101_20200110_C01_V01_SRB4`` (Collection 1:
``SRB*`` surface and ``TAB*`` top-of-atmosphere reflectance, ``BTB*`` brightness
temperature, ``ST`` surface temperature). Its tile (``003008``, horizontal and vertical)
is no WRS path/row, so :func:`~prospect.ingest.landsat.landsat_id` reads no product id in
it."""


@dataclass(frozen=True)
class ArdTile:
    """What a Landsat ARD tile's band file name says (:data:`_ARD`)."""

    ident: str
    """The tile's id up to its collection (``LC08_CU_003008_20200101_20210504_02``)."""
    satellite: int
    sensor: str
    date: dt.date
    collection: int
    layer: str
    """The product layer, upper case (``SR_B4``, ``SRB4``, ``TAB4``, ``BTB10``, ``ST``)."""


def ard_tile(file: str) -> ArdTile | None:
    """What a Landsat U.S. ARD band file's name says (:data:`_ARD`), or ``None`` (another
    name, or an acquisition day the calendar has not)."""
    stem = PurePosixPath(str(file).replace("\\", "/")).name.split(".")[0]
    m = _ARD.match(stem)
    if m is None:
        return None
    try:
        day = dt.datetime.strptime(m.group(3), "%Y%m%d").date()
    except ValueError:
        return None
    return ArdTile(m.group(1), int(m.group(2)), m.group(1)[1].upper(), day,
                   int(m.group(4) or m.group(5)), m.group(6).upper())


def _ard_product(tile: ArdTile) -> NamedProduct:
    """What an ARD tile's layer holds and how its DNs read: Collection 2's as Collection 2
    Level-2's (2.75e-5 x DN - 0.2; 0.00341802 x DN + 149 K), its top-of-atmosphere
    reflectance (``TOA_B*``) and brightness temperature (``BT_B*``) scaled as its surface
    reflectance and temperature are (USGS's Collection 2 ARD format; before, they were of
    no product: DN 20000 went in as reflectance 20000 without a ``scale:``, and
    ``scale: 2.75e-5`` alone lost the -0.2, 0.55 for 0.35, exit 0), Collection 1's as
    ESPA's (LEDAPS/LaSRC: reflectance 1e-4 x DN, int16, fill -9999; temperature 0.1 K)."""
    from prospect.ingest.stac import LANDSAT_L2_CLIP, LANDSAT_L2_COEFFICIENTS

    what = f"a Landsat Collection {tile.collection} U.S. ARD tile's {tile.layer} file of"
    if tile.collection == 2:
        if tile.layer.startswith("SR_"):
            return NamedProduct(what + " surface reflectance", "surface_reflectance",
                                "1", *LANDSAT_L2_COEFFICIENTS["surface reflectance"],
                                valid_range=LANDSAT_L2_CLIP)
        if tile.layer.startswith("TOA_"):
            return NamedProduct(what + " top-of-atmosphere reflectance", "toa_reflectance",
                                "1", *LANDSAT_L2_COEFFICIENTS["surface reflectance"],
                                valid_range=LANDSAT_L2_CLIP)
        if tile.layer.startswith("BT_"):
            return NamedProduct(what + " brightness temperature", "brightness_temperature",
                                "K", *LANDSAT_L2_COEFFICIENTS["surface temperature (K)"],
                                valid_range=LANDSAT_L2_CLIP)
        return NamedProduct(what + " surface temperature", "surface_temperature", "K",
                            *LANDSAT_L2_COEFFICIENTS["surface temperature (K)"],
                            valid_range=LANDSAT_L2_CLIP)
    if tile.layer.startswith(("SRB", "TAB")):
        kind = "sr" if tile.layer.startswith("SR") else "toa"
        return NamedProduct(
            what + f" {'surface' if kind == 'sr' else 'top-of-atmosphere'} reflectance",
            f"{'surface' if kind == 'sr' else 'toa'}_reflectance", "1", 1e-4,
            dtype="int16", valid_range=ESPA_VALID_RANGE[kind], saturate=ESPA_SATURATE)
    if tile.layer.startswith("BTB"):
        return NamedProduct(what + " brightness temperature", "brightness_temperature",
                            "K", 0.1, dtype="int16", valid_range=ESPA_VALID_RANGE["bt"],
                            saturate=ESPA_SATURATE)
    return NamedProduct(what + " surface temperature", "surface_temperature", "K", 0.1,
                        dtype="int16")


def hls_file_date(name: str) -> tuple[str, dt.date] | None:
    """``(granule id, acquisition date)`` an HLS v2.0 file's name states
    (``HLS.S30.T31UFT.2022060T104021.v2.0.B04.tif``: year and day of the year), or
    ``None`` (another name, or a day the year has not)."""
    m = _HLS_GRANULE.search(PurePosixPath(str(name).replace("\\", "/")).name)
    if m is None:
        return None
    year, day = int(m.group(2)), int(m.group(3))
    if year < 1 or not 1 <= day <= 365 + calendar.isleap(year):
        return None
    return m.group(1), dt.date(year, 1, 1) + dt.timedelta(days=day - 1)


def file_acquisition(path: str) -> tuple[str, dt.date] | None:
    """The acquisition a band file's product name states: ``(its id, the date)``, from a
    Landsat product or scene id, an ASTER granule id (``AST_07XT_00306202006183523_...``),
    an HLS granule id (:func:`hls_file_date`) or a Sentinel-2 band file name
    (``T31UFT_20220301T104021_B04``); ``None`` for any other name."""
    from prospect.config.sources import aster_date

    name = PurePosixPath(str(path).replace("\\", "/")).name
    ident = landsat_id(name)
    if ident is not None:
        return ident.text, ident.date
    day = aster_date(name)
    if day is not None:
        return f"{name} (an ASTER granule)", day
    tile = ard_tile(name)
    if tile is not None:
        return f"{tile.ident} (a Landsat ARD tile)", tile.date
    return hls_file_date(name) or s2_file_date(name)


_DATATAKE_START = (
    (re.compile(r"(?:^|_)T\w{5}_(\d{8}T\d{6})_B\d[\dA]"), "%Y%m%dT%H%M%S"),
    (re.compile(r"^HLS\.S30\.T\d{2}[A-Z]{3}\.(\d{7}T\d{6})\.", re.IGNORECASE), "%Y%jT%H%M%S"))
"""The datatake's sensing start a Sentinel-2 band file's name (``T56KLA_20210301T235951_B04``)
or an HLS S30 granule id states: every tile of one datatake is named by it."""


def file_acquisition_days(path: str) -> tuple[str, tuple[dt.date, ...]] | None:
    """The acquisition a band file's product name states (:func:`file_acquisition`) and
    the UTC days its scene can be of: the day the name states, and for a Sentinel-2 (or
    HLS S30) datatake that began less than
    :data:`~prospect.ingest.stac.DATATAKE_SPAN` before midnight UTC the next day too.

    Every band file of a datatake is named by its start, but its tiles sensed after
    midnight (Sentinel-2 at about 157 E: eastern Australia, the Solomon Sea) are dated the
    next day by their STAC items and the catalogues users list them from: a time series
    or a ``date:`` giving a tile's own date was refused as "listed under another date"
    naming the day before, which no scene of that datatake could pass."""
    from prospect.ingest.stac import DATATAKE_SPAN

    found = file_acquisition(path)
    if found is None:
        return None
    ident, day = found
    name = PurePosixPath(str(path).replace("\\", "/")).name
    for pattern, form in _DATATAKE_START:
        if (m := pattern.search(name)) is None:
            continue
        try:
            start = dt.datetime.strptime(m.group(1), form)
        except ValueError:  # a time the calendar has not
            break
        if start.date() == day and (start + DATATAKE_SPAN).date() > day:
            return ident, (day, day + dt.timedelta(days=1))
        break
    return ident, (day,)


def scene_date_conflict(date: dt.date, files: Iterable[str],
                        meta: ProductMetadata | None = None) -> str | None:
    """``None`` unless a scene's stated ``date`` (a plain source's ``date:``) contradicts
    the acquisition its files' product names state (:func:`file_acquisition`) or its
    product metadata file states, else what contradicts it, for a message.

    A scene's ``date:`` was taken over both: under ``mosaic: most_recent`` a 2020-01-27
    Landsat scene listed as ``date: 2021-05-01`` won every cell from the scene of
    2020-06-01, without a word."""
    stated = [(f"its metadata file {meta.path}", meta.date)] if (
        meta is not None and meta.date is not None) else []
    for file in files:
        found = file_acquisition_days(file)
        if found is not None and date not in found[1]:  # a tile after midnight: either day
            stated.append((f"its file {PurePosixPath(str(file)).name} ({found[0]})",
                           found[1][0]))
    for what, day in stated:
        if day != date:
            return (f"its 'date: {date.isoformat()}' is not the date {what} states, "
                    f"{day.isoformat()}, so a 'most_recent' mosaic would rank it by the "
                    f"wrong date; give 'date: {day.isoformat()}' (the scene's own)")
    return None


HLS_SCALE = 1e-4
"""HLS v2.0 surface reflectance: ``int16`` DN x 1e-4, fill -9999 (HLS User Guide v2.0)."""
HLS_THERMAL_SCALE = 0.01
"""HLS v2.0 L30 thermal bands B10/B11: brightness temperature in degrees Celsius, DN x
0.01 (HLS User Guide v2.0), not reflectance."""
HLS_FILL = -9999.0
"""HLS v2.0's fill DN of every reflectance and thermal band (``int16``, HLS User Guide
v2.0)."""
HLS_VALID_RANGE = (HLS_FILL, 32767.0)
"""The DNs of an HLS band file that are measurements, exclusive at both ends: above its
fill (-9999) and below ``int16``'s top. An HLS file whose nodata tag was lost (a copy
clipped or converted by a tool that drops it, ``gdal_translate -a_nodata none``) read its
fill as reflectance -0.9999 (or -99.99 degC) and averaged it into every composite, median
and aggregate it touched, exit 0: the product's name was known but not its fill."""


def mixed_products_message(source: str, var: str, first: tuple[str, NamedProduct],
                           second: tuple[str, NamedProduct]) -> str:
    """The refusal of one source's band files that are of products of other calibrations
    (ESPA's pre-Collection surface reflectance, 1e-4 x DN, beside Collection 2's, 2.75e-5
    x DN - 0.2), their files stating no scale: one source has one ``scale:``, so a
    refusal of one file asked for its product's scale and, that scale given, the other
    file's asked for the first one back, without saying why. ``first`` and ``second``:
    a file of each product and what its name states."""
    def said(named: NamedProduct) -> str:  # products of no scale are not compared here
        return dn_formula(named.scale or 1.0, named.offset or 0.0)

    (f1, n1), (f2, n2) = first, second
    return (f"source {source!r}, band {var!r}: its files are of products of other "
            f"calibrations, {PurePosixPath(f1).name} ({n1.what}, {said(n1)}) and "
            f"{PurePosixPath(f2).name} ({n2.what}, {said(n2)}), and they state no scale, so "
            "no one 'scale:' of the source reads both; state each item's raster:bands scale "
            "and offset, or put each product's files in a source of its own")


def other_product(files: list[str], named: NamedProduct) -> tuple[str, NamedProduct] | None:
    """The first of ``files`` whose name states a product of another scale than
    ``named`` (:func:`mixed_products_message`), or ``None``."""
    for file in files:
        other = named_product(file)
        if other is not None and other.scale is not None and named.scale is not None \
                and f"{other.scale:.9g}" != f"{named.scale:.9g}":
            return file, other
    return None


def named_product(file: str) -> NamedProduct | None:
    """The product a band file's name states, where that product defines its DNs, else
    ``None``: a Landsat Collection 2 Level-2 ``SR_B*`` (2.75e-5, -0.2) or ``ST_B*``
    (0.00341802, +149 K) file or auxiliary layer of values (``ST_EMIS``, ``ST_QA``...:
    :data:`~prospect.ingest.landsat.C2_L2_AUX`), an ESPA ``sr_band*``/``toa_band*``
    (1e-4) or ``bt_band*`` (0.1 K) file, a Sentinel-2 L2A ``AOT``/``WVP`` layer (1e-3:
    :data:`S2_AUX`), a Sentinel-2 band file of ESA's naming (1e-4;
    the -1000 DN offset of baseline 04.00 where the ``.SAFE`` path states the baseline,
    or the acquisition is from :data:`~prospect.ingest.stac.S2_BASELINE_04_START` on), an
    HLS v2.0 ``L30``/``S30``
    band file (1e-4; the L30 thermal ``B10``/``B11`` 0.01 degrees Celsius), an ASTER
    ``AST_07``/``AST_07XT`` surface reflectance granule (0.001), an ASTER ``AST_05``,
    ``AST_08`` or ``AST_09T`` granule (:data:`ASTER_L2_SCALED`), ``AST_L1T``/``AST_L1B``
    DNs (no linear quantity), ``AST_09``/``AST_09XT`` DNs (a scale of each band's own
    that the name does not state: :data:`ASTER_L2_UNSCALED`) or a Sentinel-2 true colour
    image (``TCI``: a clipped 8-bit preview, :data:`S2_TCI_WHY`)."""
    from prospect.ingest.sentinel2 import USER_BASELINE_WHY, user_baseline
    from prospect.ingest.stac import (
        LANDSAT_L2_CLIP,
        LANDSAT_L2_COEFFICIENTS,
        S2_ADD_OFFSET_DN,
        S2_BASELINE_04_START,
        S2_REFLECTANCE_SCALE,
        SENTINEL2_SATURATED,
    )

    text = str(file).replace("\\", "/")
    name = PurePosixPath(text).name
    stem = name.split(".")[0]
    m = _C2_L2.search(stem)
    ident = landsat_id(stem)
    if m is not None and ident is not None and ident.level in ("L2SP", "L2SR"):
        if m.group(1).upper() == "SR":
            return NamedProduct("a Landsat Collection 2 Level-2 surface reflectance file",
                                "surface_reflectance", "1",
                                *LANDSAT_L2_COEFFICIENTS["surface reflectance"],
                                valid_range=LANDSAT_L2_CLIP)
        return NamedProduct("a Landsat Collection 2 Level-2 surface temperature file",
                            "surface_temperature", "K",
                            *LANDSAT_L2_COEFFICIENTS["surface temperature (K)"],
                            valid_range=LANDSAT_L2_CLIP)
    m = _C2_L2_AUX.search(stem)
    if m is not None and ident is not None and ident.level in ("L2SP", "L2SR"):
        what, quantity, units, scale = C2_L2_AUX[m.group(1).upper()]
        return NamedProduct(f"the Landsat Collection 2 Level-2 {m.group(1).upper()} layer "
                            f"({what})", quantity, units, scale, in_metadata=False)
    tile = ard_tile(name)
    if tile is not None:  # its XML is no metadata file read here: the name's scale holds
        return dataclasses.replace(_ard_product(tile), in_metadata=False)
    m = _ESPA.search(stem)
    if m is not None and ident is not None:
        kind = m.group(1).lower()
        if kind == "bt":
            return NamedProduct("an ESPA brightness temperature file",
                                "brightness_temperature", "K", 0.1, dtype="int16",
                                valid_range=ESPA_VALID_RANGE[kind], saturate=ESPA_SATURATE)
        return NamedProduct(
            f"an ESPA {'surface' if kind == 'sr' else 'top-of-atmosphere'} reflectance file",
            f"{'surface' if kind == 'sr' else 'toa'}_reflectance", "1", 1e-4,
            dtype="int16", valid_range=ESPA_VALID_RANGE[kind], saturate=ESPA_SATURATE)
    m = _S2_BAND.search(stem)
    if m is not None:
        safe = _S2_SAFE.search(text)
        dated = s2_file_date(name)
        level = (safe.group(1).upper() if safe else "L2A" if m.group(2) else "L1C")
        quantity = "surface_reflectance" if level == "L2A" else "toa_reflectance"
        if safe is not None:
            baseline = int(safe.group(2)) + int(safe.group(3)) / 100
            said = f"baseline {baseline:05.2f} (its .SAFE folder's N{safe.group(2)}" \
                   f"{safe.group(3)})"
            if user_baseline(baseline):  # Sen2Cor's own: with or without the offset
                return NamedProduct(
                    f"a Sentinel-2 {level} band file ({said}, {USER_BASELINE_WHY})",
                    quantity, "1", S2_REFLECTANCE_SCALE, None,
                    saturate=SENTINEL2_SATURATED, offset_unknown=True)
            _check_safe_date(text, said, baseline, dated[1] if dated else None)
        elif dated is not None and dated[1] >= S2_BASELINE_04_START:
            baseline, said = 4.0, f"acquired {dated[1]}, so of baseline 04.00 or later"
        else:
            return NamedProduct(f"a Sentinel-2 {level} band file", quantity, "1",
                                S2_REFLECTANCE_SCALE, None, saturate=SENTINEL2_SATURATED)
        dn = S2_ADD_OFFSET_DN if baseline >= 4.0 else 0.0
        return NamedProduct(f"a Sentinel-2 {level} band file ({said})", quantity,
                            "1", S2_REFLECTANCE_SCALE, dn * S2_REFLECTANCE_SCALE,
                            dn_offset=dn, saturate=SENTINEL2_SATURATED)
    if _S2_TCI.search(stem):
        return NamedProduct("a Sentinel-2 true colour image (TCI)", "dn", "", None,
                            unscaled=S2_TCI_WHY, instead=(
                                "use the product's band files (B04, B03, B02...: value = "
                                "1e-4 x DN, with baseline 04.00's offset) and their "
                                "metadata, or say 'units: DN' to take the preview's 8-bit "
                                "values as they are"))
    m = _S2_AUX.search(stem)
    if m is not None:
        what, quantity, units, scale = S2_AUX[m.group(1)]
        return NamedProduct(f"the Sentinel-2 L2A {m.group(1)} layer ({what})", quantity,
                            units, scale, in_metadata=False)
    m = _HLS.search(name)
    if m is not None:
        kind, band = m.group(1).upper(), m.group(2).upper()
        if kind == "L30" and band in ("B10", "B11"):
            return NamedProduct(f"an HLS {kind} thermal band file (brightness temperature "
                                "in degrees Celsius)", "brightness_temperature", "degC",
                                HLS_THERMAL_SCALE, valid_range=HLS_VALID_RANGE)
        return NamedProduct(f"an HLS {kind} surface reflectance file",
                            "surface_reflectance", "1", HLS_SCALE,
                            valid_range=HLS_VALID_RANGE)
    m = _ASTER.search(name)
    if m is not None:
        code = m.group(1).upper()
        if code in ("07", "07XT"):
            return NamedProduct(f"an ASTER AST_{code} surface reflectance granule",
                                "surface_reflectance", "1", 1e-3)
        if code in ("L1T", "L1B"):
            return NamedProduct(f"an ASTER AST_{code} granule", "dn", "", None)
        if code in ASTER_L2_UNSCALED:
            return NamedProduct(f"an ASTER AST_{code} {ASTER_L2_UNSCALED[code]} granule",
                                "surface_radiance", "W m-2 sr-1 um-1", None,
                                in_metadata=False, unscaled=ASTER_L2_UNSCALED_WHY)
        if code in ASTER_L2_SCALED:
            what, quantity, units, scale = ASTER_L2_SCALED[code]
            return NamedProduct(f"an ASTER AST_{code} {what} granule", quantity, units,
                                scale, in_metadata=False)
    return None


def _check_safe_date(file: str, said: str, baseline: float, when: dt.date | None) -> None:
    """Refuse a Sentinel-2 band file whose ``.SAFE`` folder states a processing baseline
    older than 04.00 but whose name states an acquisition on or after
    :data:`~prospect.ingest.stac.S2_BASELINE_04_START`, when every product ESA made was
    of 04.00 or later (DNs +1000): the path contradicts itself. Before, the folder's
    baseline won without a word and every reflectance read 0.1 high.

    Raises
    ------
    DataError
        Naming the file, its date, the folder's baseline and the fix.
    """
    from prospect.ingest.stac import S2_BASELINE_04_START

    if baseline >= 4.0 or when is None or when < S2_BASELINE_04_START:
        return
    raise DataError(
        f"{file}: a Sentinel-2 band file of {said}, but acquired {when.isoformat()}, and "
        "every Sentinel-2 product of an acquisition since "
        f"{S2_BASELINE_04_START.isoformat()} is of baseline 04.00 or later, whose DNs "
        "carry +1000 (reflectance 0.1 apart), so its reflectance cannot be told; give the "
        "band under its product's own .SAFE name (N0400 or later), or with the "
        "product's MTD XML as 'metadata:'")


def product_limits(cal: BandCalibration | None, file: str
                   ) -> tuple[tuple[float, float] | None, float | None]:
    """``(valid_range, saturate)`` of a band's DNs: what its metadata states (``cal``: a
    product metadata file, a STAC item), else what the product its file's name states
    defines (:func:`named_product`).

    An ESPA band file read without its XML took ESPA's scale from its name but not its
    ``valid_range`` (-2000..16000) or ``saturate_value`` (20000): a clipped DN of 16000
    went in as reflectance 1.6, a saturated 20000 as 2.0; a Collection 2 Level-2 file's
    clipped 65535 as 1.6 (and Sentinel-2's saturated 65535 as 6.5) in the same way.

    Parameters
    ----------
    cal
        The calibration the band's metadata states, if any.
    file
        The band's file (its name may state the product).

    Returns
    -------
    tuple
        The valid DN range (exclusive at both ends) and the saturated DN, each ``None``
        where neither the metadata nor the name states one.
    """
    valid_range = cal.valid_range if cal is not None else None
    saturate = cal.saturate if cal is not None else None
    if valid_range is not None and saturate is not None:
        return valid_range, saturate
    named = named_product(file)
    if named is None or named.scale is None:
        # a Level-1 band's saturated DN, by its name (as its MTL would state it)
        return valid_range, saturate if saturate is not None else level1_saturate(file)
    return (valid_range if valid_range is not None else named.valid_range,
            saturate if saturate is not None else named.saturate)


def _file_dtype(file: str) -> str | None:
    """The first band's data type of ``file`` (``None`` where it cannot be read: the read
    that follows names the fault)."""
    import rasterio

    try:
        with rasterio.open(file) as src:
            return str(src.dtypes[0])
    except Exception:  # the band's own read reports it
        return None


_CALIBRATED_SPANS = {"1": (-2.0, 2.0), "k": (-100.0, 400.0)}
"""The values a band file of a product of integer DNs in those units holds once another
tool has calibrated it: reflectance within -2..2 (the DNs of no scene are all that small:
Collection 2's 0..2 are below its clip, ESPA's and Sentinel-2's reflectance 0.0002), a
temperature in kelvin or degrees Celsius within -100..400 (150 K or less as any product's
DNs). A floating-point file whose sampled values all lie there holds no DNs; for a
product of DNs in degrees Celsius (HLS's 0.01 x DN), whose cold scenes' DNs lie there
too, only where they are not all whole numbers (:func:`_calibrated_degc`)."""


class _Span(NamedTuple):
    """What :func:`_sampled_span` read: the data type, the lowest and highest valid
    values, and whether every one of them is a whole number (as DNs are)."""

    dtype: str
    lo: float
    hi: float
    whole: bool


def _sampled_span(file: str) -> _Span | None:
    """``(dtype, lowest, highest, whole)`` of the valid values of ``file``'s first band,
    read at most 256 x 256 (an overview or a decimated read: bounded whatever the scene's
    size), its nodata and the common fills beyond either span of :data:`_CALIBRATED_SPANS`
    left out, for a floating-point file; ``None`` for an integer one, one without a valid
    value, or one that cannot be read (the band's own read names the fault)."""
    import numpy as np
    import rasterio

    try:
        with rasterio.open(file) as src:
            dtype = str(src.dtypes[0])
            if not dtype.startswith("float"):
                return None
            shape = (min(src.height, 256), min(src.width, 256))
            data = src.read(1, out_shape=shape, masked=True)
    except Exception:  # the band's own read reports it
        return None
    from prospect.ingest.fills import COMMON_FILLS

    values = np.asarray(data.compressed(), dtype="float64")
    # an untagged fill (-9999 around a clipped copy) is no value of either kind
    values = values[np.isfinite(values) & ~np.isin(
        values, [f for f in COMMON_FILLS if abs(f) > 400.0])]
    if not values.size:
        return None
    return _Span(dtype, float(values.min()), float(values.max()),
                 bool(np.all(values == np.round(values))))


def _calibrated_degc(units: str, scale: float, sampled: _Span) -> bool:
    """Whether ``sampled`` values read at ``scale`` in ``units`` are a temperature in
    degrees Celsius of a product whose DNs are hundredths of a degree (HLS L30's B10/B11,
    0.01 x DN) that another tool has already calibrated: values within
    :data:`_CALIBRATED_SPANS` (-100..400: degrees Celsius or kelvin) that are not all
    whole numbers, which a copy of the DNs is (a cold scene's DNs, -1..4 degC, lie in
    that span too, so the span alone tells nothing)."""
    lo, hi = _CALIBRATED_SPANS["k"]
    return (_unit_word(units) == "degc" and 0 < abs(scale) <= 0.01 * (1 + 1e-9)
            and lo <= sampled.lo and sampled.hi <= hi and not sampled.whole)


def _check_not_calibrated(source: RasterSource, var: str, file: str,
                          named: NamedProduct) -> None:
    """Refuse a floating-point band file named as a product of integer DNs whose values are
    that product's quantity already (:data:`_CALIBRATED_SPANS`): a copy another tool has
    calibrated (``SR_B4`` as float32 reflectance 0..1, ``ST_B10`` in degrees Celsius).

    Before, the product's calibration was applied to them again: with its ``scale:`` and
    ``offset:`` a reflectance of 0.35 read as a DN 0.35, below the product's clip, so every
    cell went in as no data (exit 0, "check its source's nodata value, CRS and bounds");
    without, the refusal asked for the product's scale, which did that.

    An HLS L30 thermal band (``...v2.0.B10.tif``, 0.01 x DN in degrees Celsius) copied
    in degrees Celsius (26.24) was not looked at (a cold scene's DNs lie in that span
    too): the refusal asked for ``scale: 0.01``, which read it 0.2624 degC. Such values
    are refused where they are not all whole numbers (:func:`_calibrated_degc`).

    Raises
    ------
    DataError
        Naming the file, its data type and values, and how to read them.
    """
    word = _unit_word(named.units)
    span = _CALIBRATED_SPANS.get("k" if word == "degc" else word)
    if span is None or named.scale is None:
        return
    sampled = _sampled_span(file)
    if sampled is None:
        return
    dtype, lo, hi, _ = sampled
    if lo < span[0] or hi > span[1]:
        return  # DNs written as floating point (a resampled copy): read as DNs
    if word == "degc" and not _calibrated_degc(named.units, named.scale, sampled):
        return  # HLS's DNs in hundredths of a degree, a cold scene's: whole numbers
    quantity = named.quantity.replace("_", " ")
    why, example = (", not whole numbers as DNs are", "bt10_celsius.tif") \
        if word == "degc" else ("", "red_reflectance.tif")
    raise DataError(
        f"source {source.name!r}, band {var!r}: {Path(file).name} is named as {named.what}, "
        f"whose DNs are integers ({dn_formula(named.scale, named.offset or 0.0)}), but it "
        f"holds {dtype} values from {lo:.4g} to {hi:.4g}{why}: {quantity} that another "
        "tool has already calibrated, which the product's calibration and DN limits would "
        "read as no data or calibrate twice; give the file a name of its own (not the "
        f"product's, e.g. {example!r}) to read its values as they are, with no 'scale:' or "
        "'offset:' and 'units:' of what they hold, or use the product's own file")


_COLDEST_SURFACE_K = 173.15
"""No surface of the Earth is colder (-100 degC): a stated temperature calibration that
makes every sampled value colder reads no DNs of a scene."""


def _dn_pair(cal: BandCalibration, span: _Span) -> bool:
    """Whether ``cal`` turns DNs into its quantity (a product's pair), so that a file whose
    sampled values ``span`` already lie in the quantity's calibrated span cannot be its
    DNs: a reflectance scale of at most :data:`DN_FACTOR` (1e-4, 2.75e-5, ASTER's 1e-3; not
    a percent's 0.01), or a temperature pair that makes the file's highest value colder
    than any surface (Collection 2's 0.00341802 and 149 K, ESPA's 0.1 K), or HLS's 0.01
    degC over values that are not all whole numbers (:func:`_calibrated_degc`: its cold
    scenes' DNs are -100..400 too, but whole)."""
    word = _unit_word(cal.units)
    if word == "1":
        return 0 < abs(cal.scale) <= DN_FACTOR * (1 + 1e-9)
    if word not in ("k", "degc"):
        return False
    if isinstance(span, _Span) and _calibrated_degc(cal.units, cal.scale, span):
        return True  # HLS's 0.01 degC over values that are no whole numbers
    highest = max(cal.scale * span[1], cal.scale * span[2]) + cal.offset
    return highest + (273.15 if word == "degc" else 0.0) < _COLDEST_SURFACE_K


def _check_stated_not_calibrated(source: RasterSource, var: str, file: str,
                                 stated_by: str, ignore: str, cal: BandCalibration) -> None:
    """Refuse a floating-point band file that a product's stated calibration (a STAC
    item's ``raster:bands``, an MTL, the file's own scale/offset tags) reads as DNs, whose
    values are that quantity already (:data:`_CALIBRATED_SPANS`, :func:`_dn_pair`): a copy
    another tool calibrated, described by an item of the product (``rio stac`` of the
    copy, a catalogue pointed at the copies) or keeping the product's scale tags.

    Before, the stated pair was applied to the values again: reflectance 0.35 under
    Collection 2's pair read as a DN below its clip, so the scene was no data (one scene:
    "no value in region ... check its nodata", several: left out of the composite without
    a word), and under ESPA's 1e-4 read 3.5e-5; a temperature in degrees Celsius 149 K.
    :func:`_check_not_calibrated` looked only at files no metadata calibrates.

    A pair that names no quantity (an item of the user's own id stating Collection 2's
    pair with no ``unit``, a ``red.tif`` keeping a scale tag of 2.75e-5 or 1e-4 and no
    units, a plain source's own ``scale:`` and negative ``offset:`` over a file of no
    product's name)
    at a reflectance's DN scale, or HLS's 0.01 in degrees Celsius, is looked at too,
    where the sampled values are not all whole numbers (as DNs, and copies of them,
    are): a float32 reflectance of 0.5 read -0.19999 (or 5e-5), and an HLS thermal
    band's copy in degrees Celsius (26.24) read 0.2624 degC, exit 0.

    Raises
    ------
    DataError
        Naming the file, what states the calibration, its values and how to read them.
    """
    named = named_product(file)
    if not cal.quantity and named is not None and named.scale is not None and (
            _unit_word(cal.units) == _unit_word(named.units) or not cal.units):
        # the file's own tags calibrate it: its name states the quantity
        cal = dataclasses.replace(cal, quantity=named.quantity, units=cal.units or named.units)
    key = "k" if _unit_word(cal.units) == "degc" else _unit_word(cal.units)
    bounds = _CALIBRATED_SPANS.get(key)
    # a pair of no quantity (an item of the user's own, a file's scale tag): at a
    # reflectance's DN scale, no units stated, or HLS's hundredths of a degree Celsius,
    # values that are not whole numbers are no DNs
    unnamed = not cal.quantity and (
        (key == "1" and _dn_pair(cal, _Span("", 0.0, 0.0, True)))
        or (key == "k" and _unit_word(cal.units) == "degc"
            and 0 < abs(cal.scale) <= 0.01 * (1 + 1e-9)))
    if bounds is None or not (cal.quantity or unnamed):
        return  # no product's quantity: nothing tells a DN from a value
    sampled = _sampled_span(file)
    if sampled is None:
        return
    dtype, lo, hi, whole = sampled
    if lo < bounds[0] or hi > bounds[1] or not _dn_pair(cal, sampled) or (
            unnamed and whole):
        return
    quantity = cal.quantity.replace("_", " ") or (
        "reflectance" if key == "1" else "temperature")
    why = (", not whole numbers as DNs are" if unnamed or _calibrated_degc(
        cal.units, cal.scale, sampled) else "")
    pair = f"{dn_formula(cal.scale, cal.offset)}, " + (
        quantity if cal.quantity else "a reflectance's DN scale, no quantity stated"
        if key == "1" else f"in {cal.units}")
    where = stated_by.split(" (")[0]
    how = ("describe it by an item of its own (not the product's id or collection) whose "
           "raster:bands state no scale or offset" if where.startswith("item ") else
           "drop 'metadata:'" if where.startswith("its metadata file") else
           "unset the file's scale/offset (gdal_edit.py -scale 1 -offset 0)"
           if where.startswith("the file's own") else ignore or "drop that calibration")
    renamed = " and give the file a name of its own (not the product's)" if named \
        is not None else ""
    raise DataError(
        f"source {source.name!r}, band {var!r}: {stated_by} reads {Path(file).name} as "
        f"DNs ({pair}), but it holds {dtype} values from {lo:.4g} to {hi:.4g}{why}: "
        f"{quantity} that another tool has already "
        "calibrated, which that calibration would read as no data or calibrate twice "
        f"(to {cal.scale * lo + cal.offset:.4g}); to read its values as they are, {how}"
        f"{renamed}, or point it at the product's own file")


_NEGATIVE_SCENE = -0.05
"""A calibrated reflectance that 90 % of a scene's sampled cells lie below is no scene's
(dark water and shadow read a few hundredths either side of 0, clouds and snow higher)."""


def _check_not_rescaled(source: RasterSource, var: str, file: str, stated_by: str,
                        cal: BandCalibration, dtype: str | None) -> None:
    """Refuse an integer band file named as a product (:func:`named_product`) but of
    another data type than the ``uint16`` its DNs are (``int16``, ``uint8``, 32-bit),
    whose values the product's reflectance pair (stated, or by its name) with a
    negative offset (Collection 2's 2.75e-5 and -0.2, Sentinel-2's -0.1) reads below
    :data:`_NEGATIVE_SCENE` over 90 % of its sampled cells: a copy another tool rescaled
    (reflectance x 10000 as ``int16``, a byte-stretched preview), not the product's DNs.

    Before, Collection 2's pair read an ``int16`` reflectance x 10000 of 0.35 (3500) as
    -0.104 and a ``uint8`` preview's 90 as -0.198, exit 0, where the name or the item
    states the product. The file is read at most 256 x 256, only for such data types.

    A floating-point file (whose DNs may be a float copy of the product's, read as
    before) is looked at too: a float32 ``SR_B4`` of reflectance in percent (35.27) or x
    10000 (3500.0) read -0.199 (-0.104), exit 0, for Collection 2 and Sentinel-2 names
    and items alike. Values all within reflectance's span are left to the checks of
    calibrated copies (:func:`_check_stated_not_calibrated`, :func:`_check_not_calibrated`).

    A ``uint16`` file, the product's own data type, is looked at too: a reflectance x
    10000 under ``SR_B4`` (3500) read -0.104, exit 0. Collection 2's DNs of a scene sit
    around 7273..43636 (reflectance 0..1), so 90 % of a scene's cells below 5455 (-0.05)
    are no scene's DNs. Every good scene's file is read in a few small windows where it
    has no overview (:func:`_sampled_values`), not whole.

    Raises
    ------
    DataError
        Naming the file, its data type, what reads it as DNs and how to read it.
    """
    import numpy as np

    if named_product(file) is None:
        return  # a file of the user's own name: its data type states no product's
    dtype = dtype or _file_dtype(file)
    if dtype is None or not (
            _unit_word(cal.units) == "1" and cal.quantity and 0 < cal.scale <= DN_FACTOR
            and cal.offset < 0):
        return
    floating = dtype.startswith("float")
    from prospect.ingest.fills import COMMON_FILLS

    values = _sampled_values(file, dtype == "uint16")
    if values is None:
        return  # the band's own read reports it
    drop = [f for f in (*COMMON_FILLS, cal.fill) if f is not None and f != 0.0]
    values = values[np.isfinite(values) & ~np.isin(values, drop) & (values != 0)]
    if not values.size:
        return
    span = _CALIBRATED_SPANS["1"]
    if floating and span[0] <= values.min() and values.max() <= span[1]:
        return  # reflectance already: the calibrated copies' checks tell those
    reads = cal.scale * values + cal.offset
    if float(np.percentile(reads, 90)) >= _NEGATIVE_SCENE:
        return
    quantity = cal.quantity.replace("_", " ")
    held = (f"90 % of its {dtype} values" if floating or dtype == "uint16" else
            f"it is {dtype} (the product's DNs are uint16) and 90 % of its values")
    raise DataError(
        f"source {source.name!r}, band {var!r}: {stated_by} reads {Path(file).name} as the "
        f"DNs of {quantity} ({dn_formula(cal.scale, cal.offset)}), but {held} (from "
        f"{values.min():.6g} to {values.max():.6g}) would read below {_NEGATIVE_SCENE:g}: "
        "values another tool has rescaled (e.g. reflectance x 10000"
        + (" or in percent" if floating else "" if dtype == "uint16"
           else ", or a stretched 8-bit preview")
        + "), not the product's DNs; use the product's own file, or give the copy a name "
        "of its own (not the product's, described by no item of it) and the 'scale:' "
        "that makes its values (e.g. 'scale: 0.0001' for reflectance x 10000"
        + (", 'scale: 0.01' for percent" if floating else "") + ")")


_WINDOW = 64
"""The side of each of the five windows :func:`_sampled_values` reads of a file in the
product's own data type with no overview."""


def _sampled_values(file: str, windows: bool) -> np.ndarray | None:
    """The first band's valid values of ``file`` as float64 (its nodata left out), read at
    most 256 x 256: an overview or a decimated read, or, with ``windows`` and no overview,
    five :data:`_WINDOW`-cell windows (the centre and the centres of the quarters), so that
    a scene in the product's own data type (``uint16``, every good scene's) costs a few
    blocks, not a pass over the whole band; ``None`` where it cannot be read."""
    import numpy as np
    import rasterio
    from rasterio.windows import Window

    try:
        with rasterio.open(file) as src:
            if not windows or src.overviews(1) or (
                    src.height <= 256 and src.width <= 256):
                shape = (min(src.height, 256), min(src.width, 256))
                return np.asarray(src.read(1, out_shape=shape, masked=True).compressed(),
                                  dtype="float64")
            parts = []
            side_y, side_x = min(_WINDOW, src.height), min(_WINDOW, src.width)
            for fy, fx in ((0.5, 0.5), (0.25, 0.25), (0.25, 0.75), (0.75, 0.25),
                           (0.75, 0.75)):
                row = max(0, min(src.height - side_y, int(src.height * fy) - side_y // 2))
                col = max(0, min(src.width - side_x, int(src.width * fx) - side_x // 2))
                block = src.read(1, window=Window(col, row, side_x, side_y), masked=True)
                parts.append(np.asarray(block.compressed(), dtype="float64"))
            return np.concatenate(parts)
    except Exception:  # the band's own read reports it
        return None


def _by_name(source: RasterSource, var: str, file: str, named: NamedProduct,
             dtype: str | None = None) -> tuple[float, float]:
    """``(scale, offset)`` of a band file that no metadata calibrates but whose name states
    a product that defines its DNs (:func:`named_product`): the config's ``scale`` must be
    the product's (or a change of units of it, said with ``units:``), and the product's
    offset applies at it, as for a STAC item that states none.

    Before, a Collection 2 Level-2 file given ``scale: 2.75e-5`` lost its -0.2 (reflectance
    0.2 high), ESPA's or Sentinel-2's ``scale: 0.0001`` on it was taken (3.6 x high), a
    Sentinel-2 band of baseline 04.00 given ``scale: 0.0001`` alone read 0.1 high, and an
    ASTER AST_L1T granule's DNs went in labelled as reflectance (``scale: 0.001``, AST_07's,
    made them look like one).

    An ESPA ``sr_band``/``toa_band``/``bt_band`` file without its XML and without a
    ``scale:`` went in as DNs labelled reflectance (``units: 1``, values to 10 000); where
    its data type is ESPA's own (``int16``, :attr:`NamedProduct.dtype`) it is read at
    ESPA's documented scale (1e-4, 0.1 K), else refused as other products' files are. A
    ``units:`` other than the product's with no ``scale:`` keeps the DNs, said to be what
    the config says they are (``units: DN``).

    Raises
    ------
    DataError
        No ``scale:`` for a product whose DNs are no values.
    ConfigError
        Another scale or offset than the product's, or ASTER Level-1 DNs labelled as a
        quantity they are not.
    """
    name = Path(file).name
    s, o = source.scale, source.offset
    converts = ("units" in source.model_fields_set
                and _unit_word(source.units) != _unit_word(named.units))
    if (dtype or "float").startswith("float"):  # a copy of values, not the product's DNs?
        _check_not_calibrated(source, var, file, named)
    if named.scale is None:  # DNs that no one pair makes a quantity
        if "units" in source.model_fields_set and _unit_word(source.units) != "1":
            return s, o  # what the DNs are made, said with 'units:'
        raise ConfigError(
            f"source {source.name!r}, band {var!r}: {name} is {named.what}, which holds "
            f"DNs: {named.unscaled}, so "
            + (f"'scale: {s:g}'" + (f" and 'offset: {o:g}'" if o else "") + " labelled "
               f"{source.units!r} would read them as a quantity they are not"
               if (s, o) != (1.0, 0.0) else
               f"read as they are they would be labelled {source.units!r} (reflectance)")
            + f"; {named.instead}")
    a, b = named.scale, named.offset
    if converts:  # a unitless quantity is made no physical one by a scale
        _check_dimension(source, var, file, named.what, named.units)
    if converts and s != 1.0 and math.isclose(s, a, rel_tol=1e-6) and (
            o == 0.0 or math.isclose(o, (b or 0.0), rel_tol=1e-6, abs_tol=1e-9)):
        _relabel(source, var, file, f"its name ({named.what})",
                 BandCalibration(a, b or 0.0, named.quantity, named.units))
    converted = _temperature_scale(source, var, file, named.what, a, b or 0.0, named.units) \
        if converts else None
    if converted is not None:  # a temperature in another scale, in one of its forms
        return converted
    if converts and s != 1.0:  # a change of units of the product's quantity, said
        if abs(s) >= 1.0:  # a factor on the product's values ('scale: 100' for percent)
            return s * a, s * (b or 0.0) + o
        # a factor on the DNs ('scale: 0.00275' for percent), the product's offset at it,
        # and a shift of the units' zero if given ('offset: -273.15' for degrees C)
        at = (b or 0.0) * s / a
        if _whole_offset(s, o, a, b or 0.0, named.units, source.units):
            return s, o  # the product's offset and the shift in one ('offset: -124.15')
        return s, at + (0.0 if math.isclose(o, at, rel_tol=1e-6, abs_tol=1e-9) else o)
    what = f"value = {a:g} x DN" + (f" {'-' if b < 0 else '+'} {abs(b):g}" if b else
                                    " + its baseline's offset" if b is None else "")
    if s == 1.0 and converts and b and _zero_shift(o, named.units, source.units):
        return a, b + o  # the product's calibration and a temperature's other zero
    if s == 1.0 and named.dtype is not None and converts:
        return s, o  # the DNs, labelled what the config says they are ('units: DN')
    if s == 1.0 and named.dtype is not None and o == 0.0 and (
            dtype or _file_dtype(file)) == named.dtype:
        return a, b or 0.0  # the product is certain: its name and its data type
    if s == 1.0:
        raise DataError(
            f"source {source.name!r}, band {var!r}: {name} is {named.what}, whose DNs are "
            f"no values ({what}), but no metadata and no 'scale:' calibrate it, so the DNs "
            f"would be read as {named.quantity.replace('_', ' ')}; give 'scale: {a:g}'"
            + (f" and 'offset: {b:g}'" if b else
               " and 'offset: -0.1' where its MTD_MSIL2A.xml lists BOA_ADD_OFFSET -1000, "
               "'offset: 0' where it lists none," if named.offset_unknown else
               " and, from processing baseline 04.00 on, 'offset: -0.1'" if b is None
               else "") + " in the source"
            + (", or the product's metadata file with 'metadata:'" if named.in_metadata
               else " (the product's guide's; its metadata file does not calibrate it)"))
    if not math.isclose(s, a, rel_tol=1e-6):
        raise ConfigError(
            f"source {source.name!r}, band {var!r}: {name} is {named.what} ({what}), but "
            f"the config's 'scale: {s:g}' is another product's, so every value would be "
            f"{s / a:.3g} times wrong; give 'scale: {a:g}' (to change the units, state the "
            f"new 'units:' as well, e.g. {_conversion_example(named.units, a, b or 0.0)})")
    if b is None and named.offset_unknown and "offset" not in source.model_fields_set:
        raise DataError(
            f"source {source.name!r}, band {var!r}: {name} is {named.what}, so its offset "
            f"cannot be told and 'scale: {s:g}' alone would read it as none; give "
            f"'offset: {-0.1 * s / a:g}' where the product's MTD_MSIL2A.xml lists "
            "BOA_ADD_OFFSET -1000, 'offset: 0' where it lists none, or that XML as "
            "'metadata:'")
    if b is None:  # the offset cannot be told from the name: the config's holds
        return s, o
    expected = b * s / a  # the product's offset at the config's scale
    if o != 0.0 and not math.isclose(o, expected, rel_tol=1e-6, abs_tol=1e-9):
        raise ConfigError(
            f"source {source.name!r}, band {var!r}: {name} is {named.what} ({what}), so "
            f"its offset at scale {s:g} is {expected:g}, but the config gives 'offset: "
            f"{o:g}', which would shift every value by the difference; remove 'offset:' "
            "from the source (the product's own offset applies)")
    return s, expected
