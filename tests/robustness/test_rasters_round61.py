"""Round 61: survey rasters whose CRS states an EPSG code its own definition contradicts
(``GTIFF_SRS_SOURCE``: earlier rounds' "not probed").

A GeoTIFF's ``ProjectedCSTypeGeoKey`` may say EPSG:32619 (WGS 84 / UTM 19N) while its
other geokeys give another false easting (a hand edit with a tag editor, an old exporter
that writes the code beside its own parameters), and a ``.prj`` may carry
``AUTHORITY["EPSG","32619"]`` over parameters of its own. GDAL takes the file's parameters
and warns that the definition "is not the same as the one from the EPSG registry" and that
``GTIFF_SRS_SOURCE`` chooses. Prospect passed GDAL's words on and read the file by its
parameters: 100 km off, the source was "none of its files overlap", naming the region's
EPSG:32619 (WGS 84 / UTM zone 19N) beside the file's "(WGS 84 / UTM zone 19N)" in a page
of WKT; 40 m off, its cells were read four columns from where the code places them.

Found by ``raster_info`` and ``plan_raster`` with reads of the planned layer on the tiny
region (10 m cells, EPSG:32619) of SYNTHETIC GeoTIFFs written with rasterio whose
``ProjectedCSTypeGeoKey`` was then set to 32619 in the file's bytes, and of a SYNTHETIC
ESRI ASCII grid with a ``.prj`` written by hand (2026-12-07). Every file here is small
and SYNTHETIC.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS as RioCRS
from rasterio.transform import from_origin

from prospect.errors import CRSError

from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _plan

_GDAL_WORDS = "is not the same as the one from the EPSG registry"


def _contradicting(folder: Path, false_easting: float) -> Path:
    """``s.tif``: SYNTHETIC :data:`HEAT` on the tiny region's 10 m cells, whose geokeys
    define UTM 19N with the false easting ``false_easting`` and whose
    ``ProjectedCSTypeGeoKey`` states EPSG:32619 (500 000 m): written with a user-defined
    CRS, its code 32767 then set to 32619 in the file's bytes, as a tag editor does."""
    crs = RioCRS.from_proj4(f"+proj=tmerc +lat_0=0 +lon_0=-69 +k=0.9996 +x_0={false_easting} "
                            "+y_0=0 +datum=WGS84 +units=m +no_defs")
    path = folder / "s.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs=crs,
                       transform=from_origin(X0, Y0 + 400, 10, 10)) as dst:
        dst.write(HEAT[None])
    data = path.read_bytes()
    user_defined = struct.pack("<4H", 3072, 0, 1, 32767)  # ProjectedCSTypeGeoKey
    assert data.count(user_defined) == 1
    path.write_bytes(data.replace(user_defined, struct.pack("<4H", 3072, 0, 1, 32619)))
    return path


def _ascii_grid(folder: Path, false_easting: float) -> Path:
    """``a.asc``: SYNTHETIC :data:`HEAT` as an ESRI ASCII grid on the tiny region, its
    ``.prj`` (ESRI's WKT) stating ``AUTHORITY["EPSG","32619"]`` over a false easting of
    ``false_easting``."""
    rows = [" ".join(f"{v:g}" for v in row) for row in HEAT]
    path = folder / "a.asc"
    path.write_text("\n".join([
        "ncols 40", "nrows 40", f"xllcorner {X0}", f"yllcorner {Y0}", "cellsize 10",
        "NODATA_value -9999", *rows]) + "\n")
    (folder / "a.prj").write_text(
        'PROJCS["WGS 84 / UTM zone 19N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID['
        '"WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",'
        '0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER['
        '"latitude_of_origin",0],PARAMETER["central_meridian",-69],PARAMETER['
        f'"scale_factor",0.9996],PARAMETER["false_easting",{false_easting:g}],PARAMETER['
        '"false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","32619"]]')
    return path


def _own_crs(folder: Path, false_easting: float) -> Path:
    """``o.tif``: SYNTHETIC :data:`HEAT` on the tiny region's 10 m cells in UTM 19N's
    parameters with the false easting ``false_easting``, no EPSG code."""
    crs = RioCRS.from_proj4(f"+proj=tmerc +lat_0=0 +lon_0=-69 +k=0.9996 +x_0={false_easting} "
                            "+y_0=0 +datum=WGS84 +units=m +no_defs")
    return _write(folder / "o.tif", HEAT, crs=crs)


# --- a code contradicted by the file's own definition -------------------------------------------


@pytest.mark.parametrize(("false_easting", "apart"), [(400000, "100 km"), (500040, "40 m")],
                         ids=["100-km", "40-m"])
def test_a_geotiff_whose_geokeys_contradict_its_epsg_code_is_refused_naming_both(
    tmp_path: Path, false_easting: int, apart: str
) -> None:
    """Before: the SYNTHETIC ``s.tif``, whose ``ProjectedCSTypeGeoKey`` says EPSG:32619
    and whose geokeys a false easting of 400 000 m, was "none of its files overlap the
    region", naming "the region's EPSG:32619 (WGS 84 / UTM zone 19N)" against the file's
    "(WGS 84 / UTM zone 19N)" in a page of WKT; with 500 040 m it was read four columns
    off (40 m on 10 m cells), with GDAL's advice to set ``GTIFF_SRS_SOURCE`` only. Now
    refused at planning, in one line naming the code, the parameter that differs, how far
    apart the two place the cells, and the ``crs:`` that chooses."""
    path = _contradicting(tmp_path, false_easting)
    with pytest.raises(CRSError) as caught:
        _plan(path, units="mW/m2")
    text = str(caught.value)
    assert text.startswith(f"{path}: its CRS is stated as EPSG:32619 (WGS 84 / UTM zone 19N) "
                           "but the file defines it otherwise (False easting "
                           f"{false_easting} m where EPSG:32619 has 500000 m), and the two "
                           f"place its cells {apart} apart"), text
    assert "'crs: EPSG:32619' for the code" in text and "gdalsrsinfo -o proj4 s.tif" in text
    assert "\n" not in text and "PROJCRS" not in text


def test_an_ascii_grid_whose_prj_authority_contradicts_its_parameters_is_refused(
    tmp_path: Path,
) -> None:
    """Before: the SYNTHETIC ``a.asc``, whose ``.prj`` states ``AUTHORITY["EPSG","32619"]``
    over a false easting of 500 040 m, was read by its parameters, 40 m (four columns)
    from where its code places it, exit 0, without a word. Now refused as the GeoTIFF
    is: the check is of the CRS a file states, whatever its format."""
    path = _ascii_grid(tmp_path, 500040)
    with pytest.raises(CRSError, match=r"a\.asc: its CRS is stated as EPSG:32619 .*False "
                                       r"easting 500040 m where EPSG:32619 has 500000 m.* "
                                       r"40 m apart"):
        _plan(path, units="mW/m2")


def test_crs_of_the_stated_code_reads_such_a_file_by_the_code_without_a_word(
    tmp_path: Path,
) -> None:
    """Before: ``crs: EPSG:32619``, the code the SYNTHETIC ``s.tif`` states, read it by
    the code (the right cells) but with two warnings: GDAL's advice to set
    ``GTIFF_SRS_SOURCE``, and "the source's crs: 'EPSG:32619' replaces the CRS the file
    states (EPSG:32619)". Now read the same, without a word: the config chose."""
    path = _contradicting(tmp_path, 400000)
    _, said = _plan(path, units="mW/m2", crs="EPSG:32619")
    assert said == []
    _, out = _read(path, units="mW/m2", crs="EPSG:32619")
    np.testing.assert_array_equal(out, HEAT)


# --- a setting of GDAL's process-wide, read from a worker thread --------------------------------


def _in_a_thread(path: Path, key: str, value: str | None) -> np.ndarray:
    """``path`` read on the tiny grid from a worker thread (a library user's thread
    pool), after ``key`` was set to ``value`` with ``rasterio.env.set_gdal_config`` in the
    main thread (GDAL's process-wide setting; ``None``: not set)."""
    from concurrent.futures import ThreadPoolExecutor

    from rasterio._env import del_gdal_config
    from rasterio.env import set_gdal_config

    import prospect.io.raster  # noqa: F401  (the reader imported first, as in a session)

    if value is not None:
        set_gdal_config(key, value)
    try:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: _read(path, units="mW/m2")[1]).result()
    finally:
        del_gdal_config(key)


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [("GDAL_NETCDF_BOTTOMUP", "NO", "netcdf"),
     ("GDAL_GEOREF_SOURCES", "WORLDFILE,INTERNAL", "stale-world-file")],
    ids=["netcdf-upside-down", "geotiff-by-a-stale-world-file"])
def test_a_read_by_driver_setting_set_in_the_main_thread_rules_no_read_from_a_thread(
    tmp_path: Path, key: str, value: str, kind: str
) -> None:
    """Before: ``rasterio.env.set_gdal_config("GDAL_NETCDF_BOTTOMUP", "NO")`` in the main
    thread, then a read through Prospect from a worker thread, read a SYNTHETIC NetCDF
    whose rows run south to north upside down, and ``GDAL_GEOREF_SOURCES`` of
    ``WORLDFILE,INTERNAL`` placed a GeoTIFF by a stale world file 100 m east (rounds 58
    to 60's "found and left": rasterio takes a value out of GDAL's process-wide settings
    only from the main thread). Now the thread's read takes it out: the file as written."""
    from .test_rasters_round58 import _netcdf, _with_world

    path = _netcdf(tmp_path) if kind == "netcdf" else _with_world(tmp_path)
    np.testing.assert_array_equal(_in_a_thread(path, key, value), HEAT)


# --- controls ----------------------------------------------------------------------------------


def test_control_a_contradiction_under_half_a_cell_reads_as_before(tmp_path: Path) -> None:
    """Control: geokeys of a false easting of 500 000.5 m under EPSG:32619 (half a metre
    on 10 m cells) are read as before, by the geokeys: the values of a file of the same
    parameters without the code, GDAL's warning passed on."""
    path = _contradicting(tmp_path, 500000.5)
    _, said = _plan(path, units="mW/m2")
    assert any(_GDAL_WORDS in s for s in said), said
    _, out = _read(path, units="mW/m2")
    _, want = _read(_own_crs(tmp_path, 500000.5), units="mW/m2")
    np.testing.assert_array_equal(out, want)
    assert not np.isnan(out).any()


def test_control_a_file_of_its_code_reads_as_before(tmp_path: Path) -> None:
    """Control: a SYNTHETIC GeoTIFF in EPSG:32619 itself is described as EPSG:32619 and
    read cell for cell, without a word."""
    from prospect.io.raster import raster_info

    path = _write(tmp_path / "h.tif", HEAT)
    assert raster_info(path).crs == "EPSG:32619"
    _, said = _plan(path, units="mW/m2")
    assert said == []
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, HEAT)


def test_control_gtiff_srs_source_epsg_in_the_environment_reads_by_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: ``GTIFF_SRS_SOURCE=EPSG`` (GDAL's own advice) in the environment has GDAL
    read the SYNTHETIC ``s.tif`` by its code: the cells as the code places them."""
    path = _contradicting(tmp_path, 400000)
    monkeypatch.setenv("GTIFF_SRS_SOURCE", "EPSG")
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, HEAT)


def test_control_a_file_without_a_code_in_another_crs_is_placed_by_its_definition(
    tmp_path: Path,
) -> None:
    """Control: a SYNTHETIC GeoTIFF in a CRS of its own (UTM 19N's parameters with a
    false easting of 500 040 m, no code) is placed by them, 40 m (four columns) east,
    as before: the left four columns no data."""
    path = _own_crs(tmp_path, 500040)
    _, out = _read(path, units="mW/m2")
    want = np.full_like(HEAT, np.nan)
    want[:, :-4] = HEAT[:, 4:]
    np.testing.assert_array_equal(out, want)


def test_control_a_netcdf_read_from_a_thread_without_the_setting_reads_as_before(
    tmp_path: Path,
) -> None:
    """Control: the SYNTHETIC NetCDF whose rows run south to north, and one whose rows run
    north to south, read from a worker thread with nothing set: right side up, as before."""
    from .test_rasters_round58 import _netcdf

    np.testing.assert_array_equal(
        _in_a_thread(_netcdf(tmp_path), "GDAL_NETCDF_BOTTOMUP", None), HEAT)
    (tmp_path / "n").mkdir()
    np.testing.assert_array_equal(
        _in_a_thread(_netcdf(tmp_path / "n", south_up=False), "GDAL_NETCDF_BOTTOMUP", None),
        HEAT)
