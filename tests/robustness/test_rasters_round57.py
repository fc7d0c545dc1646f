"""Round 57: survey rasters (GDAL settings in the user's environment or GDAL configuration
file that change what a read of a local file gives).

``GDAL_PAM_ENABLED=NO`` and ``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR`` (the second advised
by guides to cloud-optimised files as a setting for good) left out the ``.aux.xml`` beside
a GeoTIFF, so a nodata stated there was lost and -9999 ingested as heat flow, exit 0.
``GTIFF_POINT_GEO_IGNORE=YES`` placed a ``PixelIsPoint`` GeoTIFF half a cell off, every
cube value interpolated (up to 67 units from the file's) under a warning that blamed the
file.

Found by ``plan_raster`` and reads of the planned layer on the tiny region, ``prospect
ingest`` and Pythons started with the setting in their environment or a GDAL
configuration file, of SYNTHETIC GeoTIFFs written with rasterio (2026-12-07). Every file
here is small and SYNTHETIC.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox
from .test_rasters_round16 import _write
from .test_rasters_round21 import VALUES, _point
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _plan, _tif

_AUX = (
    '<PAMDataset><PAMRasterBand band="1"><NoDataValue>-9999</NoDataValue>'
    "</PAMRasterBand></PAMDataset>"
)
"""An ``.aux.xml`` stating the band's nodata, which the GeoTIFF's own tags leave unsaid
(what ``gdal_edit.py`` of a read-only file, or QGIS, leaves beside it)."""


def _heat_with_aux(folder: Path) -> Path:
    """``h.tif``: SYNTHETIC heat flow whose top-left 5 x 5 cells are -9999, a nodata that
    only its ``.aux.xml`` states."""
    data = HEAT.copy()
    data[:5, :5] = -9999
    path = _write(folder / "h.tif", data)
    (folder / "h.tif.aux.xml").write_text(_AUX)
    return path


_EXPECTED = HEAT.copy()
_EXPECTED[:5, :5] = np.nan
"""The file's values as they are meant: its -9999 cells missing."""


def _started_with(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    """Put ``key=value`` in the environment as a process started with it has it when it
    imports Prospect's reader (which then applies its settings: ``forbid_code_from_files``).
    Set after import alone, the value would meet whatever an earlier test of this worker
    left of GDAL's process-wide settings (a ``rasterio.Env`` of the key clears it on exit),
    not what a user's process meets."""
    from prospect.io.raster import forbid_code_from_files

    monkeypatch.setenv(key, value)
    forbid_code_from_files()


def test_a_nodata_stated_beside_the_file_is_read_whatever_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: with ``GDAL_PAM_ENABLED=NO`` in the environment, the SYNTHETIC file's
    ``.aux.xml`` was not read, and its 25 cells of -9999 were read as heat flow (the
    layer's minimum -9999, no cell missing). Now they are no data, as without it."""
    path = _heat_with_aux(tmp_path)
    _started_with(monkeypatch, "GDAL_PAM_ENABLED", "NO")
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, _EXPECTED)


def test_a_nodata_stated_beside_the_file_is_ingested_whatever_the_environment_says(
    sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``prospect ingest`` with ``GDAL_PAM_ENABLED=NO`` in the environment wrote a
    cube of -9999 heat flow in the SYNTHETIC file's no-data cells, exit 0. Now those
    cells are missing in the cube."""
    import xarray as xr

    _heat_with_aux(sandbox.root)
    _started_with(monkeypatch, "GDAL_PAM_ENABLED", "NO")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "h.tif", "units": "mW/m2"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = result.out + result.err
    assert result.code == 0, text
    assert "Traceback" not in text and "internal error" not in text
    values = xr.open_zarr(sandbox.out / "cube.zarr")["heat"].values
    np.testing.assert_array_equal(values, _EXPECTED)


def _with_mask(folder: Path) -> Path:
    """``m.tif``: SYNTHETIC heat flow whose first 5 rows its ``.msk`` beside it masks."""
    import rasterio

    path = _write(folder / "m.tif", HEAT)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=False), rasterio.open(path, "r+") as dst:
        mask = np.full(HEAT.shape, 255, "uint8")
        mask[:5] = 0
        dst.write_mask(mask)
    assert (folder / "m.tif.msk").exists()
    return path


@pytest.mark.parametrize(
    ("key", "value", "where"),
    [
        ("GDAL_PAM_ENABLED", "NO", "environment"),
        ("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR", "environment"),
        ("GDAL_PAM_ENABLED", "NO", "gdal-config-file"),
        ("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR", "gdal-config-file"),
    ],
    ids=["pam-env", "empty-dir-env", "pam-gdalrc", "empty-dir-gdalrc"],
)
def test_files_beside_a_file_are_read_by_a_process_whatever_its_settings_say(
    tmp_path: Path, key: str, value: str, where: str
) -> None:
    """Before: a fresh Python reading through Prospect with the setting in its environment
    or its GDAL configuration file (``GDAL_CONFIG_FILE``) lost the SYNTHETIC file's
    ``.aux.xml`` nodata (-9999 read as a value), and with ``EMPTY_DIR`` another file's
    ``.msk`` mask too. Now both are read."""
    path = _heat_with_aux(tmp_path)
    masked = _with_mask(tmp_path)
    code = (
        "from prospect.io.raster import raster_info\n"
        f"print(raster_info({str(path)!r}).nodata[0], raster_info({str(masked)!r}).has_mask(1))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in (key, "GDAL_CONFIG_FILE")}
    if where == "environment":
        env[key] = value
    else:
        config = tmp_path / "gdalrc"
        config.write_text(f"[configoptions]\n{key}={value}\n")
        env["GDAL_CONFIG_FILE"] = str(config)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["-9999.0", "True"], done.stdout


def test_a_point_file_is_placed_as_written_whatever_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: with ``GTIFF_POINT_GEO_IGNORE=YES`` in the environment, a SYNTHETIC
    ``AREA_OR_POINT=Point`` GeoTIFF written by GDAL on the region's grid was placed half a
    cell off, warned of as lying "5 m east and 5 m south" of the grid, and read 67 units
    off its own numbers. Now it is read on its cells, its own numbers, without a word."""
    path = _point(tmp_path / "p.tif", tie_point_is_corner=False)
    _started_with(monkeypatch, "GTIFF_POINT_GEO_IGNORE", "YES")
    _, said = _plan(path, units="mW/m2")
    assert not [s for s in said if "of a cell" in s], said
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, VALUES)


def test_control_a_nodata_stated_beside_the_file_is_read_by_default(tmp_path: Path) -> None:
    """Control: without any setting, the SYNTHETIC file's ``.aux.xml`` nodata is read."""
    _, out = _read(_heat_with_aux(tmp_path), units="mW/m2")
    np.testing.assert_array_equal(out, _EXPECTED)


def test_control_prospects_own_reads_keep_their_settings(tmp_path: Path) -> None:
    """Control: a read over a network still lists no folder (its own setting outranks the
    process-wide one), and a SYNTHETIC GeoTIFF whose tags state nodata -9999 beside an
    ``.aux.xml`` of -32768 is still warned of (the check reads the tags with
    ``GDAL_PAM_ENABLED=NO`` for itself)."""
    import rasterio
    from rasterio.env import get_gdal_config

    from prospect.io.remote import gdal_http_options

    options = gdal_http_options(timeout_s=5, retries=0, retry_delay_s=1)
    with rasterio.Env(**options):
        assert get_gdal_config("GDAL_DISABLE_READDIR_ON_OPEN") == "EMPTY_DIR"
    path = _write(tmp_path / "h.tif", HEAT, nodata=-9999)
    (tmp_path / "h.tif.aux.xml").write_text(_AUX.replace("-9999", "-32768"))
    _, said = _plan(path, units="mW/m2")
    assert [s for s in said if "nodata is stated twice and the two disagree" in s], said


def test_control_a_point_file_is_placed_as_written_by_default(tmp_path: Path) -> None:
    """Control: without the setting the SYNTHETIC Point file is read as its own numbers."""
    _, out = _read(_point(tmp_path / "p.tif", tie_point_is_corner=False), units="mW/m2")
    np.testing.assert_array_equal(out, VALUES)


# --- survey geophysics units written as their exports write them ------------------------------


@pytest.mark.parametrize(
    ("stated", "wanted"),
    [("\u03b3", "nT"), ("nT", "\u03b3"), ("cnt/s", "cps"), ("cps", "cnts/s")],
    ids=["gamma-symbol", "nT-under-gamma-symbol", "cnt-per-s", "cps-under-cnts-per-s"],
)
def test_a_survey_spelling_of_a_unit_is_that_unit(tmp_path: Path, stated: str, wanted: str) -> None:
    """Before: a SYNTHETIC magnetic grid stating its units as ``γ`` (the gamma, 1 nT, as
    older aeromagnetic grids write it) under ``units: nT``, or a count rate in ``cnt/s``
    under ``units: cps``, was warned that it "states its units as 'γ'" and told to set
    the other unit or a scale. Now they are one unit, said nothing of."""
    from prospect.registry.units import same_units

    _, said = _plan(_tif(tmp_path / "u.tif", stated), units=wanted)
    assert not [s for s in said if "states its units" in s], said
    assert same_units(stated, wanted)


def test_counts_per_minute_under_counts_per_second_is_told_its_factor(tmp_path: Path) -> None:
    """Before: a SYNTHETIC count rate stating ``cpm`` (counts per minute) under ``units:
    cps`` was told "'scale:' and 'offset:' to convert them", without the factor. Now the
    warning gives the scale 1/60 that converts it."""
    from prospect.registry.units import same_units

    _, said = _plan(_tif(tmp_path / "u.tif", "cpm"), units="cps")
    told = [s for s in said if "states its units as 'cpm'" in s]
    assert told and "'scale: 0.0166666666667' to convert them to cps" in told[0], said
    assert "(1 cpm = 0.0166666666667 cps)" in told[0]
    assert same_units("CPM", "counts per minute")


def test_control_counts_per_minute_and_per_second_stay_two_units(tmp_path: Path) -> None:
    """Control: ``cpm`` and ``cps`` are not taken for one unit, and ``counts/min`` under
    ``cps`` is told its factor as before."""
    from prospect.registry.units import same_units

    assert not same_units("cpm", "cps") and not same_units("\u03b3", "mGal")
    _, said = _plan(_tif(tmp_path / "u.tif", "counts/min"), units="cps")
    told = [s for s in said if "states its units as 'counts/min'" in s]
    assert told and "'scale: 0.0166666666667' to convert them to cps" in told[0], said
