"""Product metadata files, one entry point: which calibration a band file gets.

A raster source's ``metadata:`` (also spelt ``mtl:``) names the product's own metadata
file; its kind is read from the content:

* a Landsat ``*_MTL.txt`` (:mod:`prospect.ingest.landsat`): Level-1 TOA, or Collection 2
  Level-2 surface reflectance / temperature, by the level the MTL states;
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

from prospect.errors import InputFileError
from prospect.ingest.espa import read_espa
from prospect.ingest.landsat import BandCalibration, read_mtl
from prospect.ingest.sentinel2 import read_sentinel2

__all__ = ["ProductMetadata", "read_product_metadata"]

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
            raise InputFileError(
                f"{path}: a Landsat MTL in XML form; Prospect reads the text MTL delivered "
                "beside it: give the *_MTL.txt with 'metadata:'")
        raise InputFileError(
            f"{path}: an XML file that is neither ESPA (espa_metadata) nor a Sentinel-2 "
            "product XML (MTD_MSIL2A/MTD_MSIL1C); give the product's metadata file"
        )
    return read_mtl(path)
