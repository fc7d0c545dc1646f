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

import datetime as dt
from pathlib import Path
from typing import Protocol

from prospect.errors import DataError, InputFileError
from prospect.ingest.espa import read_espa
from prospect.ingest.landsat import BandCalibration, read_mtl
from prospect.ingest.sentinel2 import read_sentinel2

__all__ = ["ProductMetadata", "check_same_quantity", "read_product_metadata"]

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
