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

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from prospect.errors import ConfigError, DataError, InputFileError
from prospect.ingest.espa import read_espa
from prospect.ingest.landsat import BandCalibration, read_mtl
from prospect.ingest.sentinel2 import read_sentinel2

if TYPE_CHECKING:
    from prospect.config.sources import RasterSource

__all__ = ["ProductMetadata", "band_coefficients", "check_same_quantity",
           "read_product_metadata"]

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


def read_product_metadata(path: Path | str) -> ProductMetadata:
    """Read a Landsat MTL, an ESPA XML or a Sentinel-2 product XML, told apart by content.

    Raises
    ------
    InputFileError
        Missing, unreadable, or none of the known kinds.
    """
    path = Path(path)
    try:
        head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the metadata file: {exc.strerror}") from None
    if head.startswith(b"<"):
        if b"espa_metadata" in head:
            return read_espa(path)
        if b"Level-2A_User_Product" in head or b"Level-1C_User_Product" in head:
            return read_sentinel2(path)
        if b"LANDSAT_METADATA_FILE" in head:
            return read_mtl(path)  # the MTL's XML form
        raise InputFileError(
            f"{path}: an XML file that is neither ESPA (espa_metadata) nor a Sentinel-2 "
            "product XML (MTD_MSIL2A/MTD_MSIL1C); give the product's metadata file"
        )
    return read_mtl(path)


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
        seen[var] = (quantity, file)
        return
    first, where = seen[var]
    if first == quantity:
        return

    def what(q: str | None) -> str:
        return q.replace("_", " ") if q else "values as read (no product metadata)"

    raise DataError(
        f"source {source!r}: variable {var!r} mosaics {where} ({what(first)}) with {file} "
        f"({what(quantity)}); one mosaic holds one quantity: use scenes of one product "
        "level (all Level-2, or all Level-1), each with its own 'metadata:', or put them in "
        "separate sources")


def _unit_word(units: str) -> str:
    """A units string compared loosely (``1``, empty and ``reflectance`` are one: unitless)."""
    word = units.strip().lower()
    word = _UNIT_ALIASES.get(word, word)
    return "1" if word in ("", "1", "none", "unitless", "reflectance", "dimensionless") \
        else word


_UNIT_ALIASES = {"kelvin": "k", "degrees kelvin": "k", "degk": "k", "percent": "%",
                 "pct": "%", "celsius": "degc", "°c": "degc", "deg c": "degc"}
"""Spellings of one unit (a config that restates the product's units is not a change)."""


def band_coefficients(source: RasterSource, var: str, cal: BandCalibration | None,
                      stated_by: str, file: str, ignore: str = "") -> tuple[float, float]:
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

    Raises
    ------
    ConfigError
        The config's ``scale``/``offset`` would apply on top of a calibration the metadata
        already applies.
    """
    s, o = source.scale, source.offset
    given_scale, given_offset = s != 1.0, o != 0.0
    if cal is not None and cal.unstated is None and (cal.scale, cal.offset) == (1.0, 0.0):
        cal = None  # states a fill or units only: no calibration
    if cal is None or not (given_scale or given_offset):
        if cal is None:
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
    converts = ("units" in source.model_fields_set
                and _unit_word(source.units) != _unit_word(cal.units)
                and not (given_scale and (abs(s) < DN_FACTOR
                                          or math.isclose(s, cal.scale, rel_tol=1e-6)))
                and not (given_offset and cal.offset != 0
                         and math.isclose(o, cal.offset, rel_tol=1e-6)))
    if converts:  # a change of units of the product's quantity, said with 'units:'
        return s * cal.scale, s * cal.offset + o
    keys = [k for k, g in (("scale", given_scale), ("offset", given_offset)) if g]
    _refuse(source, var, file, stated_by, ignore,
            f"value = {cal.scale:g} x DN + {cal.offset:g}"
            + (f" ({cal.quantity.replace('_', ' ')})" if cal.quantity else ""), keys, (s, o))
    raise AssertionError("unreachable")  # pragma: no cover


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
    what = f"value = {a:g} x DN + {b:g}" + (
        f" ({cal.quantity.replace('_', ' ')})" if cal.quantity else "")
    if s == 1.0:
        raise DataError(
            f"source {source.name!r}, band {var!r}: {Path(file).name} holds the product's DNs "
            f"({what}), but neither the raster:bands of {stated_by.split(' (')[0]} nor the source "
            f"gives a scale, so the DNs would be read as values; give 'scale: {a:g}'"
            + (f" and 'offset: {b:g}'" if b else "") + " in the source (or items that "
            "state raster:bands scale and offset)")
    same = math.isclose(s, a, rel_tol=1e-6)
    if same and _other_units(source, cal):
        _relabel(source, var, file, stated_by, dataclasses.replace(cal, scale=a, offset=b))
    item = stated_by.split(" (")[0]
    if not same and not ("units" in source.model_fields_set
                         and _unit_word(source.units) != _unit_word(cal.units)):
        raise ConfigError(
            f"source {source.name!r}, band {var!r}: {item} defines the DNs of "
            f"{Path(file).name} ({what}), but the config's 'scale: {s:g}' is another, so "
            f"every value would be {s / a:g} times the product's; give 'scale: {a:g}' (to "
            "change the units, state the new 'units:' as well, e.g. 'scale: "
            f"{a * 100:g}' with 'units: \"%\"')")
    expected = b * s / a  # the product's offset at the config's scale
    if o != 0.0 and not math.isclose(o, expected, rel_tol=1e-6, abs_tol=1e-9):
        if cal.offset != 0:  # the item states its DN offset (a Sentinel-2 baseline's)
            _refuse(source, var, file, stated_by, ignore, f"an offset of {cal.offset:g} DN, "
                    f"{expected:g} at scale {s:g}", ["offset"], (s, o))
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


def _other_units(source: RasterSource, cal: BandCalibration) -> bool:
    """The config states ``units:`` other than those the band's metadata states (an MTL,
    ESPA or Sentinel-2 XML, a STAC item's ``raster:bands`` ``unit`` or known product, the
    file's own units tag): with no conversion given, a wrong label."""
    return ("units" in source.model_fields_set and bool(cal.units)
            and _unit_word(source.units) != _unit_word(cal.units))


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
        f"the calibration {stated_by} already applies to {Path(file).name} (value = "
        f"{cal.scale:g} x DN + {cal.offset:g}: {what} in units {cal.units!r}), so it is "
        f"applied once and the values stay in {cal.units!r}, but 'units: {source.units}' "
        f"would label them otherwise; remove 'units:' (or state {cal.units!r}), or to "
        "change the units give only the conversion (e.g. 'scale: 100' with 'units: \"%\"')")


def _refuse(source: RasterSource, var: str, file: str, stated_by: str, ignore: str,
            applies: str, keys: list[str], config: tuple[float, float]) -> None:
    """Raise the :class:`ConfigError` of a calibration the config would apply twice."""
    given = " and ".join(f"'{k}: {v:g}'" for k, v in zip(("scale", "offset"), config, strict=True)
                         if k in keys)
    raise ConfigError(
        f"source {source.name!r}, band {var!r}: {stated_by} already calibrates "
        f"{Path(file).name} ({applies}), and the config's {given} would be applied on top "
        f"of it, a calibration applied twice; remove {' and '.join(repr(k) for k in keys)} "
        f"from source {source.name!r} (the metadata's calibration applies)"
        + (f", or {ignore}" if ignore else "")
        + "; to change the units of the product's quantity, state the new 'units:' as well"
        " (e.g. 'scale: 100' with 'units: \"%\"')")
