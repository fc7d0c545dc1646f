"""Round 58: survey rasters (more GDAL settings in the user's environment or GDAL
configuration file that change what a read of a local file gives).

``GDAL_NETCDF_BOTTOMUP=NO`` read a NetCDF whose rows run south to north (as CF files are
mostly written) upside down on its own grid: every heat-flow value in its mirror row's
place, exit 0, without a word (and ``YES`` one written north to south).
``GDAL_GEOREF_SOURCES`` placed a GeoTIFF by a stale world file beside it over its own tags
(``WORLDFILE,INTERNAL``: 10 columns east), or left its own grid and CRS unread (``NONE``,
``WORLDFILE``), refused as a world file "places no cells" or a raster with "no CRS GDAL
can read". ``GDAL_SKIP`` naming the driver of a sound file had it called "corrupt,
truncated or not a raster".

Found by ``plan_raster`` and reads of the planned layer on the tiny region, and Pythons
started with the setting in their environment or a GDAL configuration file, of SYNTHETIC
GeoTIFFs and NetCDF files written with rasterio and xarray (2026-12-07). Every file here
is small and SYNTHETIC.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .test_point_tables import X0, Y0
from .test_rasters_round16 import _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _plan

_TESTS = Path(__file__).resolve().parents[1]
"""The ``tests`` folder: a fresh Python imports this file's helpers from there."""


def _netcdf(folder: Path, *, south_up: bool = True) -> Path:
    """``h.nc``: SYNTHETIC heat flow :data:`HEAT` on the tiny region's 10 m grid, its rows
    stored south to north (``y`` ascending, as CF files are mostly written), or with
    ``south_up=False`` north to south."""
    import xarray as xr
    from rasterio.crs import CRS

    x = X0 + 5 + 10 * np.arange(40)
    y = Y0 + 5 + 10 * np.arange(40)  # south to north
    values = HEAT[::-1].copy()
    if not south_up:
        y, values = y[::-1].copy(), HEAT.copy()
    wkt = CRS.from_epsg(32619).to_wkt()
    ds = xr.Dataset(
        {"heat": (("y", "x"), values, {"units": "mW/m2", "grid_mapping": "crs"})},
        coords={
            "y": ("y", y, {"standard_name": "projection_y_coordinate", "units": "m"}),
            "x": ("x", x, {"standard_name": "projection_x_coordinate", "units": "m"}),
        },
    )
    ds["crs"] = xr.DataArray(np.int32(0), attrs={"spatial_ref": wkt, "crs_wkt": wkt})
    path = folder / "h.nc"
    ds.to_netcdf(path, engine="scipy")
    return path


def _with_world(folder: Path, *, east: float = 100.0, internal: bool = True) -> Path:
    """``h.tif``: SYNTHETIC heat flow on the tiny region's grid, and ``h.tfw`` beside it
    placing it ``east`` metres east (a stale world file); with ``internal=False`` the
    GeoTIFF states no grid or CRS of its own and the world file is its only grid."""
    import rasterio

    if internal:
        path = _write(folder / "h.tif", HEAT)
    else:
        path = folder / "h.tif"
        with rasterio.open(
            path, "w", driver="GTiff", width=40, height=40, count=1, dtype="float32"
        ) as dst:
            dst.write(HEAT[None])
    (folder / "h.tfw").write_text(f"10\n0\n0\n-10\n{X0 + 5 + east}\n{Y0 + 400 - 5}\n")
    return path


def _fresh(code: str, folder: Path, key: str, value: str, where: str) -> list[str]:
    """The lines a fresh Python running ``code`` (with this file's helpers importable)
    prints, with ``key=value`` in its environment or its GDAL configuration file (or
    ``key`` nowhere)."""
    env = {k: v for k, v in os.environ.items() if k not in (key, "GDAL_CONFIG_FILE")}
    if where == "environment":
        env[key] = value
    elif where == "gdal-config-file":
        config = folder / "gdalrc"
        config.write_text(f"[configoptions]\n{key}={value}\n")
        env["GDAL_CONFIG_FILE"] = str(config)
    prelude = f"import sys, warnings\nsys.path.insert(0, {str(_TESTS)!r})\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout.splitlines()


_READ = (
    "from robustness.test_rasters_round31 import _read\n"
    "from robustness.test_rasters_round48 import HEAT, _plan\n"
    "import numpy as np\n"
    "_, said = _plan({path!r}, units='mW/m2')\n"
    "_, out = _read({path!r}, units='mW/m2')\n"
    "print(float(np.nanmax(np.abs(out - HEAT))), int(np.isnan(out).sum()))\n"
    "print(' | '.join(said))\n"
)
"""A fresh Python's plan and read of a SYNTHETIC file of :data:`HEAT` on the tiny
region: the largest difference from :data:`HEAT` and the cells missing, then the
warnings."""


# --- a NetCDF's rows ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "where", "south_up"),
    [("NO", "environment", True), ("YES", "gdal-config-file", False)],
    ids=["no-south-up-file-env", "yes-north-up-file-gdalrc"],
)
def test_a_netcdf_is_read_the_right_way_up_whatever_the_environment_says(
    tmp_path: Path, value: str, where: str, south_up: bool
) -> None:
    """Before: a fresh Python reading through Prospect with ``GDAL_NETCDF_BOTTOMUP=NO`` in
    its environment read a SYNTHETIC NetCDF whose rows are stored south to north upside
    down on its own grid (its northern row 40.0 ... read as 79.0 ..., 39 mW/m2 off at the
    worst, exit 0, no warning), and with ``YES`` in its GDAL configuration file one stored
    north to south. Now both are read as written, without a word."""
    path = _netcdf(tmp_path, south_up=south_up)
    lines = _fresh(_READ.format(path=str(path)), tmp_path, "GDAL_NETCDF_BOTTOMUP", value, where)
    assert lines[0].split() == ["0.0", "0"], lines
    assert lines[1:] == [""], lines


@pytest.mark.parametrize("south_up", [True, False], ids=["south-up", "north-up"])
def test_control_a_netcdf_is_read_the_right_way_up_by_default(
    tmp_path: Path, south_up: bool
) -> None:
    """Control: without the setting the SYNTHETIC NetCDF is read as written, its rows
    stored either way."""
    _, out = _read(_netcdf(tmp_path, south_up=south_up), units="mW/m2")
    np.testing.assert_array_equal(out, HEAT)


# --- where a GeoTIFF's grid is taken from -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("WORLDFILE,INTERNAL", "environment"),
        ("NONE", "gdal-config-file"),
    ],
    ids=["worldfile-first-env", "none-gdalrc"],
)
def test_a_geotiff_is_placed_by_its_own_tags_whatever_the_environment_says(
    tmp_path: Path, value: str, where: str
) -> None:
    """Before: with ``GDAL_GEOREF_SOURCES`` in a fresh Python's environment or GDAL
    configuration file, a SYNTHETIC GeoTIFF on the region's grid beside a stale world file
    placing it 100 m east was read 10 columns off (``WORLDFILE,INTERNAL``: 100 cells
    missing, the rest 0.25 mW/m2 off), or refused: "its world file h.tfw places no cells"
    (``NONE``) or "the raster has no CRS GDAL can read" (``WORLDFILE``) of a file stating
    both. Now it is placed by its own tags, its own values, and the stale world file is
    warned of as without the setting ("GDAL takes the GeoTIFF's own tags")."""
    path = _with_world(tmp_path)
    lines = _fresh(_READ.format(path=str(path)), tmp_path, "GDAL_GEOREF_SOURCES", value, where)
    assert lines[0].split() == ["0.0", "0"], lines
    assert "GDAL takes the GeoTIFF's own tags" in lines[1], lines


def test_control_a_geotiff_placed_by_its_world_file_alone_is_read_by_default(
    tmp_path: Path,
) -> None:
    """Control: a SYNTHETIC GeoTIFF stating no grid of its own is still placed by the
    world file beside it (every driver's own default keeps world files), under ``crs:``."""
    path = _with_world(tmp_path, east=0.0, internal=False)
    _, out = _read(path, units="mW/m2", crs="EPSG:32619")
    np.testing.assert_array_equal(out, HEAT)


def test_control_a_stale_world_file_is_warned_of_by_default(tmp_path: Path) -> None:
    """Control: without the setting, the SYNTHETIC GeoTIFF is placed by its own tags and
    the stale world file beside it warned of (round 22's words), as before."""
    path = _with_world(tmp_path)
    _, said = _plan(path, units="mW/m2")
    assert [s for s in said if "GDAL takes the GeoTIFF's own tags" in s], said
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, HEAT)


# --- a driver left out by GDAL_SKIP -------------------------------------------------------------


_PLAN = (
    "from robustness.test_rasters_round48 import _plan\n"
    "try:\n"
    "    _plan({path!r}, units='mW/m2')\n"
    "    print('read')\n"
    "except Exception as exc:\n"
    "    print(type(exc).__name__, ' '.join(str(exc).split()))\n"
)
"""A fresh Python's plan of a SYNTHETIC file: ``read``, or the error's class and words."""


@pytest.mark.parametrize(
    ("kind", "value", "where", "fix"),
    [
        ("netcdf", "netCDF", "environment", "unset GDAL_SKIP"),
        ("geotiff", "PNG GTiff", "gdal-config-file", "set GDAL_SKIP=PNG"),
        ("vrt", "GTiff", "environment", "unset GDAL_SKIP"),
    ],
    ids=["netcdf-env", "geotiff-gdalrc", "vrt-of-a-geotiff-env"],
)
def test_a_file_whose_driver_gdal_skip_leaves_out_is_told_the_setting(
    tmp_path: Path, kind: str, value: str, where: str, fix: str
) -> None:
    """Before: with ``GDAL_SKIP`` naming the driver that reads it (in a fresh Python's
    environment or GDAL configuration file), a sound SYNTHETIC NetCDF or GeoTIFF was
    refused as "cannot read as a raster (corrupt, truncated or not a raster): ... not
    recognized as being in a supported file format", and the user went looking for a
    damaged file, and so was a VRT of a GeoTIFF under ``GDAL_SKIP=GTiff``. Now the
    setting and the driver it leaves out are named (and the VRT's source file), and the
    fix."""
    path = _netcdf(tmp_path) if kind == "netcdf" else _write(tmp_path / "h.tif", HEAT)
    driver = "netCDF" if kind == "netcdf" else "GTiff"
    opened = "it"
    if kind == "vrt":
        opened, path = f"its source file {path}", tmp_path / "v.vrt"
        path.write_text(
            '<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
            f"<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
            '<VRTRasterBand dataType="Float32" band="1"><SimpleSource>'
            '<SourceFilename relativeToVRT="1">h.tif</SourceFilename>'
            "<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"
        )
    lines = _fresh(_PLAN.format(path=str(path)), tmp_path, "GDAL_SKIP", value, where)
    assert lines[0].startswith("InputFileError "), lines
    said = f"{path}: GDAL could not open {opened}, and the setting GDAL_SKIP={value}"
    assert said in lines[0], lines
    assert f"leaves out GDAL's {driver} driver" in lines[0] and fix in lines[0], lines
    assert "corrupt" not in lines[0], lines


def test_control_a_file_that_is_no_raster_is_still_called_so(tmp_path: Path) -> None:
    """Control: without ``GDAL_SKIP``, a ``.tif`` of text (no raster) is still refused as
    "corrupt, truncated or not a raster"."""
    from prospect.errors import CorruptFileError

    path = tmp_path / "h.tif"
    path.write_text("this is not a raster\n" * 20)
    with pytest.raises(CorruptFileError, match="corrupt, truncated or not a raster"):
        _plan(path, units="mW/m2")
