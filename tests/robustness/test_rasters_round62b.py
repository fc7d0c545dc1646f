"""Round 62b: a GeoTIFF cut short in its mask or overviews, and a map on a datum of its
own that states no shift to WGS 84.

A GeoTIFF whose image is whole and whose internal mask (``GDAL_TIFF_INTERNAL_MASK``) or
overviews (``gdaladdo``, ``build_overviews``) GDAL wrote after it, copied or downloaded part
way: round 62's check read the TIFF's first directory only, so the file planned as whole
and failed part way through the ingest as "band 1 has a damaged block ... its values would
be garbage or zeros" (its mask's blocks lost), planned and ingested without a word (its
overviews' blocks lost: Prospect never reads them, QGIS does), or was "GDAL could not read
its header whole ... may hold the bands' scale" / "cannot read as a raster (corrupt,
truncated or not a raster)" (a later directory lost), never that the file was cut short.

And a map whose ``.prj``/WKT names a datum of its own (``DATUM["PSAD56_local",SPHEROID[
"International 1924",...]]``) without ``TOWGS84`` was put on the region by PROJ's
"ballpark" shift of nothing, without a word, while the same CRS with the datum named
"unknown" (a PROJ string's ``+ellps=intl``) was refused since round 31b.

Found with ``raster_info`` and ``plan_raster`` on the tiny region (10 m cells, EPSG:32619)
and on SYNTHETIC GeoTIFFs written with rasterio (2026-12-07). Every file here is small
(about 1 MiB) and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling
from rasterio.transform import from_origin

from prospect.errors import CorruptFileError, CRSError

from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _plan

_CUT = "the file was cut short (a download or copy that stopped); download or copy it again"

_SIDE = 512
_VALUES = (np.arange(_SIDE * _SIDE, dtype="f4").reshape(_SIDE, _SIDE) % 97) + 1
"""SYNTHETIC values, 1 to 97."""


def _whole(path: Path, *, mask: bool) -> bytes:
    """``path``: a SYNTHETIC tiled float32 GeoTIFF of :data:`_VALUES` over the tiny region,
    with an internal mask (its north half masked) written after the image, or else
    overviews 2 and 4 built after it; its bytes."""
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(
            path, "w", driver="GTiff", width=_SIDE, height=_SIDE, count=1, dtype="float32",
            crs="EPSG:32619", transform=from_origin(X0, Y0 + 400, 400 / _SIDE, 400 / _SIDE),
            tiled=True, blockxsize=256, blockysize=256,
            nodata=None if mask else -9999.0) as dst:
        dst.write(_VALUES[None])
        if mask:
            keep = np.full((_SIDE, _SIDE), 255, "uint8")
            keep[: _SIDE // 2] = 0
            dst.write_mask(keep)
    if not mask:
        with rasterio.open(path, "r+") as dst:
            dst.build_overviews([2, 4], Resampling.average)
    return path.read_bytes()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The bytes of the masked file and of the file with overviews, written once."""
    folder = tmp_path_factory.mktemp("r62b_rasters")
    return {"mask": _whole(folder / "m.tif", mask=True),
            "overviews": _whole(folder / "o.tif", mask=False)}


def _cut(files: dict[str, bytes], kind: str, keep: int, folder: Path) -> Path:
    """``c.tif`` in ``folder``: the first ``keep`` bytes of the ``kind`` file (a negative
    ``keep``: all but the last ``-keep``), as a download that stopped."""
    data = files[kind]
    path = folder / "c.tif"
    path.write_bytes(data[:keep])
    return path


@pytest.mark.parametrize(("kind", "keep", "said"), [
    ("mask", -10, "the blocks of its mask (TIFF directory 2) reach byte 1049310"),
    ("mask", 1049170, "the index of blocks of its mask (TIFF directory 2) reaches byte "
                      "1049186"),
    ("mask", 1049000, "the directory of its mask (TIFF directory 2) reaches byte 1049154"),
    ("overviews", -3000, "the blocks of its overview (TIFF directory 3) reach byte 1573830"),
    ("overviews", 1311000, "the blocks of its overview (TIFF directory 2) reach byte "
                           "1311686"),
    ("overviews", 1049300, "the blocks of its overview (TIFF directory 2) reach byte "
                           "1311686"),
    ("overviews", 700000, "the blocks of its image (TIFF directory 1) reach byte 1048998"),
], ids=["mask-blocks", "mask-index", "mask-directory", "last-overview-blocks",
        "overview-blocks", "overviews-directories", "image-blocks-before-overviews"])
def test_a_geotiff_cut_short_in_its_mask_or_overviews_is_refused_as_cut_short(
    files: dict[str, bytes], tmp_path: Path, kind: str, keep: int, said: str,
) -> None:
    """Before: the file cut in its mask's or overviews' blocks or index was described as
    whole (the masked one then failed part way through an ingest as "band 1 has a damaged
    block ... its values would be garbage or zeros"); cut in the mask's directory,
    "GDAL could not read its header whole (...), and what it skipped may hold the bands'
    scale, offset, nodata or units"; cut in the image's blocks before its overviews,
    "cannot read as a raster (corrupt, truncated or not a raster): TIFFReadDirectory:
    Failed to read directory at offset 1048998". Now one line, at once, naming the file,
    what of it lies past its end (read from the TIFF's chain of directories) and the fix."""
    from prospect.io.raster import raster_info

    path = _cut(files, kind, keep, tmp_path)
    with pytest.raises(CorruptFileError) as caught:
        raster_info(path)
    size = path.stat().st_size
    assert str(caught.value) == (f"{path}: {said}, past the end of the file ({size} bytes): "
                                 f"{_CUT}"), str(caught.value)


def test_a_geotiff_cut_short_in_its_mask_is_refused_when_planned_not_mid_ingest(
    files: dict[str, bytes], tmp_path: Path,
) -> None:
    """Before: ``plan_raster`` planned the source, and its chunks failed as "band 1 has a
    damaged block" once read. Now planning refuses it, as cut short."""
    path = _cut(files, "mask", -10, tmp_path)
    with pytest.raises(CorruptFileError, match=r"its mask .* past the end of the file"):
        _plan(path, units="mW/m2")


def test_control_a_whole_geotiff_with_a_mask_or_overviews_reads_as_before(
    files: dict[str, bytes], tmp_path: Path,
) -> None:
    """Control: both files whole plan and read, the masked half as no data and the rest
    the same values as the file with overviews."""
    masked = tmp_path / "m.tif"
    masked.write_bytes(files["mask"])
    with_overviews = tmp_path / "o.tif"
    with_overviews.write_bytes(files["overviews"])
    _, a = _read(masked, units="mW/m2")
    _, b = _read(with_overviews, units="mW/m2")
    assert np.isnan(a[:20]).all() and not np.isnan(a[20:]).any()
    assert np.array_equal(a[20:], b[20:]) and not np.isnan(b).any()


def test_control_a_geotiff_cut_short_in_its_blocks_is_refused_as_before(
    tmp_path: Path,
) -> None:
    """Control: a file of no mask or overviews cut in its image's blocks is refused by
    round 48's check, in its words."""
    path = tmp_path / "p.tif"
    _write(path, _VALUES, transform=from_origin(X0, Y0 + 400, 400 / _SIDE, 400 / _SIDE),
           tiled=True, blockxsize=256, blockysize=256)
    path.write_bytes(path.read_bytes()[:700000])
    from prospect.io.raster import raster_info

    with pytest.raises(CorruptFileError, match="but its blocks reach byte 1048980"):
        raster_info(path)


# --- a datum of the map's own, without a shift to WGS 84 -----------------------------------------

def _own_datum(towgs84: str = "", ellipsoid: str = 'SPHEROID["International 1924",6378388,297]',
               datum: str = "PSAD56_local") -> str:
    """A WKT1 ``.prj`` of UTM 19N on a datum of its own (no authority), with ``towgs84``
    (``TOWGS84[...]``) where given."""
    shift = f",{towgs84}" if towgs84 else ""
    return (f'PROJCS["UTM 19N local",GEOGCS["{datum}",DATUM["{datum}",{ellipsoid}{shift}],'
            'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
            'PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],'
            'PARAMETER["central_meridian",-69],PARAMETER["scale_factor",0.9996],'
            'PARAMETER["false_easting",500000],PARAMETER["false_northing",0],'
            'UNIT["metre",1]]')


def _map(folder: Path, wkt: str, **more: Any) -> Path:
    """``d.tif``: SYNTHETIC :data:`HEAT` in the CRS of ``wkt``, its edges repeated 600 m
    beyond the tiny region on each side (a datum shift of a few hundred metres keeps it
    over the region)."""
    return _write(folder / "d.tif", np.pad(HEAT, 60, mode="edge"),
                  transform=from_origin(X0 - 600, Y0 + 1000, 10, 10),
                  crs=rasterio.crs.CRS.from_wkt(wkt), **more)


def test_a_map_on_a_datum_of_its_own_without_a_shift_to_wgs84_is_refused(
    tmp_path: Path,
) -> None:
    """Before: planned and read by PROJ's "ballpark" shift of nothing from International
    1924 to WGS 84 (PSAD56 lies about 300 m and more from WGS 84 in the Caribbean), exit 0.
    Now refused as a CRS without a datum PROJ can shift, naming the datum, the
    ellipsoid and the fix."""
    with pytest.raises(CRSError) as caught:
        _plan(_map(tmp_path, _own_datum()), units="mW/m2")
    text = str(caught.value)
    assert text.startswith(
        f"{tmp_path / 'd.tif'}: its CRS has a datum PROJ does not know ('PSAD56_local', on "
        "the International 1924 ellipsoid) and no shift from it to WGS 84 (no TOWGS84 in "
        "its WKT or .prj, no +towgs84 in its PROJ string)"), text
    assert ("so PROJ can only guess the datum shift to the region's WGS 84 / UTM zone 19N "
            "(World Geodetic System 1984 ensemble): a 'ballpark' shift of nothing, which "
            "places the data 100 m or more off; give the data's real CRS with 'crs:' in "
            "the source config") in text, text


@pytest.mark.parametrize(("wkt", "shifted"), [
    (_own_datum("TOWGS84[-288,175,-376,0,0,0,0]"), True),
    (_own_datum(ellipsoid='SPHEROID["WGS 84",6378137,298.257223563]', datum="WGS84_local"),
     False),
], ids=["with-towgs84", "wgs84-ellipsoid"])
def test_control_a_datum_of_its_own_with_a_shift_or_of_wgs84s_size_plans(
    tmp_path: Path, wkt: str, shifted: bool,
) -> None:
    """Controls: the same datum with its ``TOWGS84`` plans and is moved by that shift; a
    datum of its own on WGS 84's ellipsoid on a WGS 84 region plans, in place."""
    _, out = _read(_map(tmp_path, wkt), units="mW/m2")
    assert not np.isnan(out).any()
    assert np.array_equal(out, HEAT) is not shifted
