"""Round 61b: rasters whose datum was read as none or taken as another's without a word,
and float64 values the float32 cube rounds apart from their differences.

Round 61's first wave left three things: a CRS whose datum is spelled the ESRI way
(``D_Unknown_based_on_International_1924_ellipsoid``, as ArcGIS writes a ``.prj`` of an
ellipsoid and no datum) was taken as a datum, so an ASCII grid of such a ``.prj`` was put
on a WGS 84 region by PROJ's "ballpark" shift of nothing (hundreds of metres off) and a
region's ``crs`` of such an ESRI WKT1 was accepted where its WKT2 twin is refused; a
file's datum that contradicts the EPSG code it states was not measured when both datums
share an ellipsoid (VN-2000 geokeys under EPSG:32648, WGS 84 / UTM 48N: 223 m); and a
float64 band of whole numbers past 2^24, or of a small spread far from zero, was rounded
by the float32 cube without a word unless its sampled values fell to under half. A
sphere's null shift (MODIS's sinusoidal grid) is taken as the one meant, however written.

Found with ``plan_raster``, ``raster_info``, ``check_grid_crs`` and ``warn_fills`` on the
tiny region (10 m cells, EPSG:32619) and on SYNTHETIC GeoTIFFs in UTM 48N whose
``ProjectedCSTypeGeoKey`` was set in the file's bytes (2026-12-07). Every file here is
small and SYNTHETIC.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS as RioCRS
from rasterio.transform import from_origin

from prospect.errors import CRSError

from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round48 import HEAT, _plan

ESRI_NO_DATUM = (
    'PROJCS["PSAD_1956_UTM_Zone_19N",GEOGCS["GCS_International_1924",DATUM['
    '"D_Unknown_based_on_International_1924_ellipsoid",SPHEROID["International_1924",'
    '6378388.0,297.0]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER['
    '"False_Northing",0.0],PARAMETER["Central_Meridian",-69.0],PARAMETER["Scale_Factor",'
    '0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')
"""UTM 19N on the International 1924 ellipsoid and no datum, as ArcGIS writes it (ESRI
WKT1)."""

ESRI_PSAD56 = ESRI_NO_DATUM.replace("D_Unknown_based_on_International_1924_ellipsoid",
                                    "D_Provisional_S_American_1956")
"""The same with its datum: PSAD56 / UTM zone 19N (EPSG:24819) as ESRI writes it."""

_NO_DATUM_WORDS = "has an ellipsoid (International 1924) but no datum"


def _ascii_grid(folder: Path, prj: str) -> Path:
    """``a.asc``: SYNTHETIC :data:`HEAT` as an ESRI ASCII grid on the tiny region, its
    ``.prj`` the ESRI WKT1 ``prj``."""
    rows = [" ".join(f"{v:g}" for v in row) for row in HEAT]
    path = folder / "a.asc"
    path.write_text("\n".join([
        "ncols 40", "nrows 40", f"xllcorner {X0}", f"yllcorner {Y0}", "cellsize 10",
        "NODATA_value -9999", *rows]) + "\n")
    (folder / "a.prj").write_text(prj)
    return path


# --- a datum that is none, spelled the ESRI way ------------------------------------------------


def test_an_esri_prj_of_an_ellipsoid_and_no_datum_is_refused_as_its_wkt2_twin(
    tmp_path: Path,
) -> None:
    """Before: the SYNTHETIC ``a.asc``, whose ArcGIS ``.prj`` names the datum
    ``D_Unknown_based_on_International_1924_ellipsoid``, was planned onto the WGS 84 /
    UTM 19N region without a word: PROJ's "ballpark" shift of nothing from International
    1924 put it hundreds of metres from where any datum of that ellipsoid lies (PSAD56:
    about 500 m). The same file with the datum as PROJ spells a missing one was refused.
    Now refused alike, in one line naming the file, the ellipsoid and the fix."""
    path = _ascii_grid(tmp_path, ESRI_NO_DATUM)
    with pytest.raises(CRSError) as caught:
        _plan(path, units="mW/m2")
    text = str(caught.value)
    assert text.startswith(str(path)) and _NO_DATUM_WORDS in text, text
    assert "'crs:'" in text and "gdal_edit.py -a_srs" in text and "\n" not in text


def test_a_region_crs_of_esri_wkt1_without_a_datum_is_refused_as_its_wkt2_is() -> None:
    """Before: a region's ``crs`` given as the ESRI WKT1 of UTM 19N on International 1924
    without a datum was accepted, every source with a datum then put on it by a guessed
    shift, while the same CRS written as WKT2 was refused for its missing datum. Now one
    rule: both refused with the same reason."""
    from pyproj import CRS

    from prospect.config.region import check_grid_crs

    wkt2 = CRS.from_wkt(ESRI_NO_DATUM).to_wkt()
    reasons = []
    for value in (ESRI_NO_DATUM, wkt2):
        with pytest.raises(ValueError, match="a region's grid needs a CRS with a datum") as e:
            check_grid_crs(value)
        reasons.append(str(e.value))
    assert "it has an ellipsoid (International 1924) but no datum" in reasons[0], reasons[0]
    assert reasons[0] == reasons[1]


def test_control_an_esri_prj_with_its_datum_reads_as_before(tmp_path: Path) -> None:
    """Control: the SYNTHETIC ``a.asc`` whose ESRI ``.prj`` names its datum
    (``D_Provisional_S_American_1956``) is planned without a refusal, and a region's
    ``crs`` of that ESRI WKT1 is accepted."""
    from prospect.config.region import check_grid_crs

    layers, said = _plan(_ascii_grid(tmp_path, ESRI_PSAD56), units="mW/m2")
    assert layers and not any("no datum" in s for s in said), said
    assert check_grid_crs(ESRI_PSAD56) == ESRI_PSAD56


MODIS_SINUSOIDAL = (
    'PROJCS["unnamed",GEOGCS["Unknown datum based upon the custom spheroid",DATUM['
    '"Not specified (based on custom spheroid)",SPHEROID["Custom spheroid",6371007.181,0]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Sinusoidal"],'
    'PARAMETER["longitude_of_center",0],PARAMETER["false_easting",0],PARAMETER['
    '"false_northing",0],UNIT["Meter",1]]')
"""MODIS's sinusoidal grid as GDAL writes it (a sphere; EPSG's "Not specified" datum)."""


def test_control_a_modis_sinusoidal_geotiff_on_its_sphere_is_planned(tmp_path: Path) -> None:
    """Control: a SYNTHETIC int16 GeoTIFF on MODIS's sinusoidal grid (463 m cells over the
    tiny region), its sphere's datum "Not specified", is planned onto the WGS 84 region
    as before: a sphere's longitudes and latitudes are WGS 84's, the null shift meant."""
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:32619", MODIS_SINUSOIDAL, always_xy=True).transform(
        X0 + 200, Y0 + 200)
    path = _write(tmp_path / "m.tif", np.arange(16, dtype="int16").reshape(4, 4) + 1,
                  crs=RioCRS.from_wkt(MODIS_SINUSOIDAL),
                  transform=from_origin(x - 926, y + 926, 463, 463))
    layers, said = _plan(path, units="1")
    assert layers and not any("no datum" in s for s in said), said


# --- a datum the file's EPSG code contradicts --------------------------------------------------

_VN_ORIGIN = (440000.0, 2400400.0)
"""The upper-left corner of the SYNTHETIC UTM 48N files: near Thai Nguyen."""


def _coded(folder: Path, name: str, geographic: int, code: int) -> Path:
    """``name``: a SYNTHETIC 40 x 40 float32 GeoTIFF of 10 m cells in UTM zone 48N's
    projection on the geographic CRS EPSG:``geographic`` (its ``GeographicTypeGeoKey``)
    whose ``ProjectedCSTypeGeoKey`` states EPSG:``code``: written as a user-defined
    projection (false easting 499 999 m), the code and 500 000 m then set in the file's
    bytes, as a tag editor or an exporter that writes the zone's code whatever the datum
    leaves it."""
    from pyproj import CRS
    from pyproj.crs import ProjectedCRS
    from pyproj.crs.coordinate_operation import TransverseMercatorConversion

    conversion = TransverseMercatorConversion(
        latitude_natural_origin=0, longitude_natural_origin=105, false_easting=499999,
        false_northing=0, scale_factor_natural_origin=0.9996)
    crs = ProjectedCRS(conversion=conversion, geodetic_crs=CRS.from_epsg(geographic))
    path = folder / name
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs=RioCRS.from_wkt(crs.to_wkt("WKT1_GDAL")),
                       transform=from_origin(*_VN_ORIGIN, 10, 10)) as dst:
        dst.write(HEAT[None])
    data = path.read_bytes()
    user_defined = struct.pack("<4H", 3072, 0, 1, 32767)
    easting = struct.pack("<d", 499999.0)
    assert data.count(user_defined) == 1 and data.count(easting) == 1
    assert data.count(struct.pack("<4H", 2048, 0, 1, geographic)) == 1
    path.write_bytes(data.replace(user_defined, struct.pack("<4H", 3072, 0, 1, code))
                     .replace(easting, struct.pack("<d", 500000.0)))
    return path


@pytest.mark.parametrize(
    ("geographic", "code", "datums"),
    [(4756, 32648, "the datum Vietnam 2000 where EPSG:32648 has World Geodetic System 1984"),
     (4326, 3405, "the datum World Geodetic System 1984 where EPSG:3405 has Vietnam 2000")],
    ids=["vn2000-under-wgs84-code", "wgs84-under-vn2000-code"])
def test_a_datum_that_contradicts_the_stated_code_on_one_ellipsoid_is_refused(
    tmp_path: Path, geographic: int, code: int, datums: str
) -> None:
    """Before: a SYNTHETIC GeoTIFF whose geokeys give VN-2000 under
    ``ProjectedCSTypeGeoKey`` 32648 (WGS 84 / UTM 48N), or WGS 84 under 3405 (VN-2000 /
    UTM 48N), was described as the file defines it, with GDAL's advice on
    ``GTIFF_SRS_SOURCE`` only: both datums lie on WGS 84's ellipsoid, so the two readings
    were taken each to its own geographic CRS and found the same, though they place the
    cells 223 m apart. Now refused in one line naming the datums, the distance and the
    ``crs:`` that chooses."""
    from prospect.io.raster import raster_info

    path = _coded(tmp_path, "d.tif", geographic, code)
    with pytest.raises(CRSError) as caught:
        raster_info(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: its CRS is stated as EPSG:{code} "), text
    assert datums in text and "223 m apart" in text, text
    assert f"'crs: EPSG:{code}' for the code" in text and "\n" not in text


def test_control_a_file_of_its_code_datum_reads_as_before(tmp_path: Path) -> None:
    """Control: WGS 84 geokeys under EPSG:32648, and a GeoTIFF written in EPSG:3405
    itself, are described by their codes, as before."""
    from prospect.io.raster import raster_info

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's words on the user-defined keys
        assert raster_info(_coded(tmp_path, "w.tif", 4326, 32648)).crs == "EPSG:32648"
    path = _write(tmp_path / "v.tif", HEAT, crs="EPSG:3405",
                  transform=from_origin(*_VN_ORIGIN, 10, 10))
    assert raster_info(path).crs == "EPSG:3405"


# --- float64 values the float32 cube rounds ----------------------------------------------------

_K = np.arange(1600).reshape(40, 40) % 97
"""97 SYNTHETIC steps over the tiny region's 40 x 40 cells."""


def _float32_notes(path: Path) -> list[str]:
    """The float32 warnings ``warn_fills`` (the ingest stage's check) gives of ``path``
    as a raster source on the tiny region."""
    from prospect.ingest.fills import warn_fills

    from .test_rasters_round22 import _grid

    layers, _ = _plan(path, units="m")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_fills(layers, grid=_grid())
    return [" ".join(str(w.message).split()) for w in caught
            if "float32" in str(w.message)]


def test_float64_whole_numbers_past_2_24_are_warned_as_integers_are(tmp_path: Path) -> None:
    """Before: a SYNTHETIC float64 grid of depths in millimetres below a datum 6 378 137
    km off (6 378 137 000 + 1 000 k: 97 distinct values a metre apart) was ingested with
    each rounded to float32's steps of 512 mm (6378233000 read 6378232832), without a
    word: the same values as int64 were warned. Now warned alike, naming the largest
    such value, what the cube holds for it and the step."""
    values = (6378137000.0 + 1000.0 * _K).astype("float64")
    notes = _float32_notes(_write(tmp_path / "d.tif", values))
    assert len(notes) == 1, notes
    assert "holds float64 whole numbers past float32's 16777216 (2^24)" in notes[0]
    assert "rounds to steps of 512" in notes[0] and "(6378233000 reads 6378232832)" in notes[0]


def test_float64_values_of_a_small_spread_far_from_zero_are_warned(tmp_path: Path) -> None:
    """Before: a SYNTHETIC float64 grid of Unix times with fractions (1.7e9 s + 100.5 s k:
    97 values over 2 h 41 min) was ingested rounded to float32's steps of 128 s, each cell
    up to 64 s off, without a word: its 97 distinct values fell to 76, not under half.
    Now warned with the values, the step and how many steps the spread spans."""
    values = (1.7e9 + 100.5 * _K).astype("float64")
    notes = _float32_notes(_write(tmp_path / "t.tif", values))
    assert notes == [
        f"{tmp_path / 't.tif'}: band 1 ('heat') holds float64 values 1700000000.0 .. "
        "1700009648.0, a spread of 9648 far from zero, where the float32 cube keeps steps "
        "of 128 only (75 across the spread): each cell is rounded by up to 64; subtract a "
        "base value in the file first (e.g. gdal_calc.py --calc 'A - <base>' --type "
        "Float32) or give the values in other units"], notes


@pytest.mark.parametrize("values", [
    (250.0 + 70.0 * np.random.default_rng(61).random((40, 40))),
    (980000.0 + 100.0 * np.random.default_rng(62).random((40, 40))),
    (1000.0 + 30.0 * _K).astype("float64"),
    (1e20 * (1 + np.random.default_rng(63).random((40, 40)))),
], ids=["kelvin", "absolute-gravity-mgal", "whole-metres", "1e20"])
def test_control_float64_values_float32_keeps_apart_are_not_warned(
    tmp_path: Path, values: np.ndarray
) -> None:
    """Control: SYNTHETIC float64 temperatures in kelvin, absolute gravity in mGal (a
    spread of 100 over 980 000: 1 600 steps), whole metres below 2^24 and values of 1e20
    and more (float64's whole numbers, rounded by float32 to its 7 digits) give no float32
    warning, as before."""
    assert _float32_notes(_write(tmp_path / "c.tif", values.astype("float64"))) == []


def test_a_region_on_modis_sinusoidal_sphere_as_a_proj_string_is_taken() -> None:
    """Before: a region's ``crs`` of MODIS's sinusoidal grid as a PROJ string
    (``+proj=sinu +R=6371007.181``) was refused: "it has an ellipsoid (unknown) but no
    datum", though a sphere has no datum of its own and the same grid as GDAL's WKT was
    taken. Now taken: a sphere's null shift is the one meant, however it is written."""
    from prospect.config.region import check_grid_crs

    value = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
    assert check_grid_crs(value) == value
    assert check_grid_crs(MODIS_SINUSOIDAL) == MODIS_SINUSOIDAL
