"""Round 46: survey rasters and vectors (a file's two vertical datums, glossed units).

A DEM whose band states its heights above one vertical datum (``m ODN``) and whose
compound CRS is another's (``EPSG:32619+5773``, EGM96) was ingested, exit 0, without a
word: round 45 compared the datums of a mosaic's sheets only, and within one file the
band's units were taken and the CRS's vertical part never compared. Which datum the
values are above is not known (a metre or more apart): it is now refused, naming both
and the ``gdal_edit.py`` that makes either right.

A heat-flow grid stating ``mW/m2 (HFU)`` (a gravity grid ``mGal (g.u.)``) names two
sizes of one quantity, 41.868 (10) apart: without ``units:`` the cube recorded the label
whole, a unit nothing downstream reads, exit 0; under ``units: mW/m2`` or ``units: HFU``
it was warned "set 'units: mW/m2 (HFU)'", the label that says neither. Now the former is
refused with the two ``units:`` to choose from, the latter taken as the config says.

Found by ``plan_raster`` and an in-process ``prospect ingest`` on the corpus's shared
loopback cluster of SYNTHETIC one-band float32 GeoTIFFs written with rasterio (their
band's units and compound CRS set) (2026-12-06). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.crs import CRS
from rasterio.transform import from_origin

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round33 import _plan  # plan_raster of one source, its warnings

GRID = (np.arange(1600, dtype="float32").reshape(40, 40) / 40 + 40).astype("float32")
"""SYNTHETIC values, 40 to 80 (heights in metres, heat flow in mW/m2)."""


def _tif(folder: Path, stated: str, crs: str = "EPSG:32619", name: str = "grid.tif") -> Path:
    """Write :data:`GRID` as ``name`` in ``crs`` whose band states ``stated``; its path."""
    path = folder / name
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs=CRS.from_user_input(crs),
                       transform=from_origin(500000, 1350400, 10, 10)) as dst:
        dst.write(GRID, 1)
        dst.units = (stated,)
    return path


@pytest.mark.parametrize(("stated", "crs", "said"), [
    ("m ODN", "EPSG:32619+5773",
     "its band's units 'm ODN' say heights above ODN, but its compound CRS's vertical CRS "
     "'EGM96 height' is above EGM96 (source 'dem'); a place's height differs between "
     "datums, so one of the two is wrong and which the values are above is not known; if "
     "the CRS is right, gdal_edit.py -units 'm EGM96' grid.tif; if the units are right, "
     "gdal_edit.py -a_srs EPSG:32619+5701 grid.tif"),
    ("ft NAVD88", "EPSG:32619+5702",
     "its band's units 'ft NAVD88' say heights above NAVD88, but its compound CRS's "
     "vertical CRS 'NGVD29 height (ftUS)' is above NGVD29 (source 'dem'); a place's height "
     "differs between datums, so one of the two is wrong and which the values are above "
     "is not known; if the CRS is right, gdal_edit.py -units 'ft NGVD29' grid.tif; if the "
     "units are right, give grid.tif the compound CRS of NAVD88 heights in ft (gdal_edit.py "
     "-a_srs)"),
], ids=["ODN-units-EGM96-crs", "NAVD88-units-NGVD29-crs"])
def test_a_file_whose_units_and_compound_crs_name_two_datums_is_refused(
        tmp_path: Path, stated: str, crs: str, said: str) -> None:
    """Before: one DEM stating ``m ODN`` in a compound CRS of EGM96 heights (``ft
    NAVD88`` in one of NGVD29's) was planned as one layer without a word. Now it is
    refused, naming the file, both datums and the fix for either being wrong."""
    from prospect.errors import DataError

    with pytest.raises(DataError) as caught:
        _plan(path=str(_tif(tmp_path, stated, crs)))
    text = " ".join(str(caught.value).split())
    assert text == f"{tmp_path / 'grid.tif'}: {said}", text


def test_a_file_whose_units_and_compound_crs_name_two_datums_is_refused_by_ingest(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: ``prospect ingest`` of that DEM under ``units: m`` exited 0 with a cube of
    heights above a datum the file contradicts. Now it exits 1 with one ``error:`` line,
    and writes no cube."""
    _tif(sandbox.root, "m ODN", "EPSG:32619+5773")
    sandbox.write_job(sources=[{"kind": "raster", "name": "dem", "path": "grid.tif",
                                "units": "m"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "grid.tif", "'m ODN'", "EGM96",
                       "gdal_edit.py -units 'm EGM96' grid.tif",
                       "gdal_edit.py -a_srs EPSG:32619+5701 grid.tif")
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


@pytest.mark.parametrize(("stated", "crs"), [
    ("m EGM96", "EPSG:32619+5773"), ("m a.s.l.", "EPSG:32619+5773"),
    ("m NAVD88", "EPSG:32619+5714"), ("m ODN", "EPSG:32619"),
], ids=["one-datum", "sea-level-units", "msl-crs", "no-vertical-crs"])
def test_control_a_file_of_one_datum_or_none_compared_is_planned(
        tmp_path: Path, stated: str, crs: str) -> None:
    """Control: units and a compound CRS of one datum, units of "sea level" (any datum),
    a CRS of ``MSL height`` (any datum) and no vertical CRS are planned as before."""
    layers, _ = _plan(path=str(_tif(tmp_path, stated, crs)))
    assert len(layers) == 1


@pytest.mark.parametrize(("stated", "needles"), [
    ("mW/m2 (HFU)", ("'mW/m2 (HFU)'", "1 HFU = 41.868 mW/m2", "'units: mW/m2' or "
                     "'units: HFU' in source 'heat'", "gdal_edit.py -units mW/m2 grid.tif")),
    ("mGal (g.u.)", ("'mGal (g.u.)'", "1 mGal = 10 g.u.", "'units: mGal' or "
                     "'units: g.u.' in source 'heat'")),
], ids=["HFU", "gravity-units"])
def test_a_band_in_two_glossed_sizes_without_units_is_refused(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str,
        needles: tuple[str, ...]) -> None:
    """Before: a heat-flow grid stating ``mW/m2 (HFU)`` without ``units:`` was ingested,
    exit 0, the cube recording the label whole (which of two sizes 41.868 apart, unsaid).
    Now it exits 1 with one ``error:`` line naming both and the ``units:`` to set."""
    _tif(sandbox.root, stated)
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "grid.tif"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "grid.tif", *needles)
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


@pytest.mark.parametrize("units", ["mW/m2", "HFU", "mW m-2"])
def test_a_band_in_two_glossed_sizes_is_taken_as_the_config_says(
        tmp_path: Path, units: str) -> None:
    """Before: ``mW/m2 (HFU)`` under ``units: mW/m2`` (or ``units: HFU``) was warned
    "states its units as 'mW/m2 (HFU)' ... set 'units: mW/m2 (HFU)'": the config's unit
    is one of the two the label names, and says which. Now no warning, the config's unit."""
    layers, said = _plan(path=str(_tif(tmp_path, "mW/m2 (HFU)")), units=units)
    assert layers[0].units == units
    assert not [w for w in said if "states its units" in w], said


def test_a_band_in_two_glossed_sizes_under_a_third_unit_is_told_the_two(
        tmp_path: Path) -> None:
    """Before: ``mW/m2 (HFU)`` under ``units: W/m2`` was told "set 'units: mW/m2
    (HFU)'" (a label of neither size). Now the warning names the two to choose from."""
    _, said = _plan(path=str(_tif(tmp_path, "mW/m2 (HFU)")), units="W/m2")
    text = " ".join(w for w in said if "states its units" in w)
    assert "two sizes of one quantity (1 HFU = 41.868 mW/m2)" in text, said
    assert "set 'units: mW/m2' or 'units: HFU', whichever the values hold" in text, said


def test_control_a_unit_glossed_with_its_own_name_is_ingested(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: a band stating ``mGal (Bouguer)`` (a gloss that is no unit) without
    ``units:`` is ingested as before, its values as read."""
    _tif(sandbox.root, "mGal (Bouguer)")
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "grid.tif"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    np.testing.assert_allclose(xr.open_zarr(sandbox.out / "cube.zarr")["heat"].values, GRID,
                               rtol=1e-6)
    assert sandbox.untouched()
