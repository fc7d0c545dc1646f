"""Round 37: survey rasters as GIS tools and survey portals deliver them.

A GeoPackage of several raster tables given ``variable:`` (as the error asked) was refused
as "no variable 'heat'; variables are dem, heat"; a class map exported from ArcGIS, whose
units are named in its value attribute table (``geology.tif.vat.dbf``, which GDAL does
not read), was ingested as continuous values (codes resampled into codes of no unit) or,
declared categorical, without its class names (and a name edited there was not seen by
the next run); and a survey grid or geology map replaced on its server kept the cube's old
values when the job was run again with ``--force`` on a cluster that outlives the run (its
workers kept GDAL's ranges and the readers' caches of the old file), and its layer's
fingerprint held nothing of a remote file, so a resumed run could mix old and new chunks.

Found by an in-process ``prospect ingest`` and by planning (``plan_raster``) SYNTHETIC
grids written with rasterio and pyogrio into ``tmp_path``, some served by a local HTTP
server with range requests (2026-12-05). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from .conftest import Sandbox, assert_clean_error
from .test_imagery_round21 import served
from .test_rasters_round22 import _grid

__all__ = ["served"]  # the loopback server of ranges, as a fixture of this file

HEAT = np.arange(1600, dtype="float32").reshape(40, 40)
"""A SYNTHETIC 40 x 40 grid on the sandbox's region (10 m cells)."""


def _write(path: Path, data: np.ndarray, **profile: Any) -> Path:
    """``data`` as a one-band raster on the tiny region's grid (GeoTIFF unless
    ``driver`` is given)."""
    base = {"driver": "GTiff", "width": data.shape[1], "height": data.shape[0], "count": 1,
            "dtype": str(data.dtype), "crs": "EPSG:32619",
            "transform": from_origin(500000, 1350400, 10, 10)}
    with rasterio.open(path, "w", **{**base, **profile}) as dst:
        dst.write(data, 1)
    return path


def _ingest(box: Sandbox, cli: Any, scheduler: str, source: dict[str, Any], *args: str
            ) -> Any:
    box.write_job(sources=[{"kind": "raster", "name": "layer", "units": "1", **source}])
    return cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler, *args)


def _cube(box: Sandbox) -> Any:
    import xarray as xr

    return xr.open_zarr(box.out / "cube.zarr")["layer"]


# --- a GeoPackage of several raster tables ------------------------------------------------


@pytest.fixture()
def two_tables(sandbox: Sandbox) -> Path:
    """A GeoPackage of two raster tables, ``dem`` and ``heat`` (twice dem's values), as
    QGIS and ``gdal_translate -co APPEND_SUBDATASET=YES`` write one: SYNTHETIC."""
    path = sandbox.root / "survey.gpkg"
    for table, factor in (("dem", 1), ("heat", 2)):
        _write(path, HEAT * factor, driver="GPKG", RASTER_TABLE=table,
               APPEND_SUBDATASET="YES" if table == "heat" else "NO")
    return path


def test_a_raster_table_of_a_geopackage_of_several_is_read_by_its_variable(
        sandbox: Sandbox, cli: Any, scheduler: str, two_tables: Path) -> None:
    """Before: a GeoPackage of two raster tables was refused as "holds several variables
    (dem, heat); name one with 'variable:'", and given ``variable: heat`` it was refused
    as "no variable 'heat'; variables are dem, heat" (the table was looked up as a NetCDF
    variable, ``NETCDF:"survey.gpkg":heat``). Now ``variable:`` names the table
    (``GPKG:survey.gpkg:heat``) and its values are ingested."""
    result = _ingest(sandbox, cli, scheduler, {"path": two_tables.name, "variable": "heat"})
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox).values, HEAT * 2)
    assert sandbox.untouched()


def test_a_geopackage_table_it_does_not_hold_is_named_with_those_it_does(
        sandbox: Sandbox, cli: Any, scheduler: str, two_tables: Path) -> None:
    """Control: a table the GeoPackage lacks is refused with the tables it holds, as
    before."""
    result = _ingest(sandbox, cli, scheduler, {"path": two_tables.name, "variable": "gravity"})
    assert_clean_error(result, 1, "survey.gpkg", "no variable 'gravity'", "dem, heat")


# --- a class map named in an ArcGIS value attribute table -----------------------------------

UNITS = np.repeat(np.array([[1, 3] * 20], dtype="uint8"), 40, axis=0)
"""A SYNTHETIC map of two rock units, codes 1 and 3 in alternate columns."""


def _vat(path: Path, names: dict[str, list[Any]]) -> None:
    """An ArcGIS value attribute table beside ``path`` (``path.vat.dbf``), written as a
    plain dBASE table (pyogrio's Shapefile driver without geometry): SYNTHETIC."""
    import pandas as pd
    import pyogrio

    pyogrio.write_dataframe(pd.DataFrame(names), f"{path}.vat.dbf", driver="ESRI Shapefile")


@pytest.fixture()
def arcgis_map(sandbox: Sandbox) -> Path:
    """An integer class map with its units named in ``geology.tif.vat.dbf`` (``Value``,
    ``Count``, ``UNIT``), as ArcGIS's Export Raster writes one: SYNTHETIC."""
    path = _write(sandbox.root / "geology.tif", UNITS, nodata=0)
    _vat(path, {"Value": [1, 3], "Count": [800, 800], "UNIT": ["granite", "shale"]})
    return path


def test_a_class_map_named_in_an_arcgis_vat_dbf_is_not_read_as_values(
        sandbox: Sandbox, cli: Any, scheduler: str, arcgis_map: Path) -> None:
    """Before: the map's units named in ``geology.tif.vat.dbf`` (which GDAL 3.10 does not
    read) were not seen, and it was ingested as continuous values, exit 0 (resampled
    onto another grid, codes 1 and 3 became 2, a unit no map has). Now it is refused as
    class codes, naming them, with ``values: categorical``, as a map whose ``.aux.xml``
    names its classes is."""
    result = _ingest(sandbox, cli, scheduler, {"path": arcgis_map.name})
    assert_clean_error(result, 1, "geology.tif", "1 granite", "3 shale",
                       "values: categorical")
    assert sandbox.untouched()


def test_a_class_map_named_in_an_arcgis_vat_dbf_records_its_names(
        sandbox: Sandbox, cli: Any, scheduler: str, arcgis_map: Path) -> None:
    """Before: declared ``values: categorical``, the map was ingested with no class
    names (the layer's ``categories`` absent: legends and ``/point`` said codes 1 and 3).
    Now the ``.vat.dbf``'s names are its categories."""
    result = _ingest(sandbox, cli, scheduler, {"path": arcgis_map.name,
                                                "values": "categorical"})
    assert result.code == 0, result.err[-3000:]
    layer = _cube(sandbox)
    assert json.loads(layer.attrs["categories"]) == {"1": "granite", "3": "shale"}
    np.testing.assert_array_equal(layer.values, UNITS)


def test_class_names_edited_in_a_vat_dbf_are_taken_by_the_next_run(
        sandbox: Sandbox, cli: Any, scheduler: str, arcgis_map: Path) -> None:
    """Before: the ``.vat.dbf`` was no input of the layer: a unit renamed there (shale
    to mudstone) after a run was not seen by the next. Now the table is one of the
    layer's files: the next run into the same ``-o`` records the new name."""
    source = {"path": arcgis_map.name, "values": "categorical"}
    assert _ingest(sandbox, cli, scheduler, source).code == 0
    _vat(arcgis_map, {"Value": [1, 3], "Count": [800, 800], "UNIT": ["granite", "mudstone"]})
    result = _ingest(sandbox, cli, scheduler, source)
    assert result.code == 0, result.err[-3000:]
    names = json.loads(_cube(sandbox).attrs["categories"])
    assert names == {"1": "granite", "3": "mudstone"}


def test_a_vat_dbf_without_names_leaves_a_map_read_as_values(sandbox: Sandbox) -> None:
    """Control: a value attribute table of codes and counts alone (no column of names)
    says nothing of classes: the map is read as before."""
    from prospect.io.raster import raster_info

    path = _write(sandbox.root / "counts.tif", UNITS, nodata=0)
    _vat(path, {"Value": [1, 3], "Count": [800, 800]})
    info = raster_info(path)
    assert info.classes == ()
    assert info.codes == (None,)


# --- a survey grid replaced on its server ---------------------------------------------------


def test_a_survey_grid_replaced_on_its_server_is_ingested_again_on_a_running_cluster(
        sandbox: Sandbox, cli: Any, scheduler: str, served: tuple[Path, str]) -> None:
    """Before: a heat-flow grid read from a URL was ingested on a cluster that outlives
    the run (``--scheduler``), the survey republished it under the same URL (new values,
    new ``Last-Modified``), and the job run again with ``--force`` computed every chunk
    and kept the old values, exit 0: the workers read the ranges GDAL had kept of the old
    file and their open handles of it (round 36 dropped the planning process's caches
    only), and the layer's fingerprint held nothing of the remote file. Now the version
    the server states is planned with the layer and its provenance, and a worker drops
    what it kept of a file whose version changed."""
    root, url = served
    _write(root / "heat.tif", HEAT)
    source = {"path": f"{url}/heat.tif", "remote": {"timeout_s": 5, "retries": 0}}
    first = _ingest(sandbox, cli, scheduler, source)
    assert first.code == 0, first.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox).values, HEAT)
    _write(root / "heat.tif", HEAT + 100)
    later = time.time() + 120
    os.utime(root / "heat.tif", (later, later))
    second = _ingest(sandbox, cli, scheduler, source, "--force")
    assert second.code == 0, second.err[-3000:]
    layer = _cube(sandbox)
    np.testing.assert_array_equal(layer.values, HEAT + 100)
    sources = json.loads(layer.attrs["provenance"])["sources"]
    assert "last-modified" in sources[f"/vsicurl/{url}/heat.tif"]


def _fingerprint(url: str) -> str:
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    grid = _grid()
    source = RasterSource(name="heat", path=url, units="1")
    return plan_raster(source, grid)[0].fingerprint(grid)


def test_a_remote_grid_replaced_on_its_server_changes_its_layers_fingerprint(
        served: tuple[Path, str]) -> None:
    """Before: a remote grid planned, replaced on its server (new ``Last-Modified``) and
    planned again gave its layer the same fingerprint: a run interrupted before the
    replacement and resumed after it kept the chunks computed of the old grid beside
    those of the new one, and a finished layer was "already up to date". Now the
    fingerprints differ (the server's version is in the layer's provenance)."""
    root, url = served
    _write(root / "heat.tif", HEAT)
    before = _fingerprint(f"{url}/heat.tif")
    _write(root / "heat.tif", HEAT + 100)
    later = time.time() + 120
    os.utime(root / "heat.tif", (later, later))
    assert _fingerprint(f"{url}/heat.tif") != before


def test_a_remote_grid_planned_twice_unchanged_keeps_its_fingerprint(
        served: tuple[Path, str]) -> None:
    """Control: planned twice with nothing changed on the server, a remote grid's layer
    has one fingerprint (a rerun resumes, nothing is ingested again)."""
    root, url = served
    _write(root / "heat.tif", HEAT)
    assert _fingerprint(f"{url}/heat.tif") == _fingerprint(f"{url}/heat.tif")


def _halves(path: Path, units: list[str]) -> None:
    """A SYNTHETIC GeoJSON geology map: ``units[0]`` west, ``units[1]`` east of the tiny
    region (its modification time a minute later than before, as a new upload's)."""
    import geopandas as gpd
    import shapely

    left, bottom, right, top = _grid().bounds
    mid = (left + right) / 2
    stamp = path.stat().st_mtime + 60 if path.exists() else time.time()
    gpd.GeoDataFrame({"unit": units}, geometry=[
        shapely.box(left, bottom, mid, top), shapely.box(mid, bottom, right, top)],
        crs="EPSG:32619").to_file(path, driver="GeoJSON")
    os.utime(path, (stamp, stamp))


def test_a_geology_map_replaced_on_its_server_is_ingested_again_on_a_running_cluster(
        sandbox: Sandbox, cli: Any, scheduler: str, served: tuple[Path, str]) -> None:
    """Before: a geology map read from a URL (granite west, shale east) was ingested on a
    cluster that outlives the run, the survey swapped the two units on its server, and
    the job run again with ``--force`` kept granite west: the workers read the map from
    pyogrio's GDAL's ranges and the reader's caches of the first run. Now the version
    planned reaches the workers, which drop what they kept of the old map."""
    root, url = served
    _halves(root / "geology.geojson", ["granite", "shale"])
    sandbox.write_job(sources=[{"kind": "vector", "name": "geology", "attribute": "unit",
                                "path": f"{url}/geology.geojson",
                                "remote": {"timeout_s": 5, "retries": 0}}])
    first = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    _halves(root / "geology.geojson", ["shale", "granite"])
    second = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler,
                 "--force")
    assert second.code == 0, second.err[-3000:]
    import xarray as xr

    layer = xr.open_zarr(sandbox.out / "cube.zarr")["geology"]
    names = json.loads(layer.attrs["categories"])
    assert names[str(int(layer.values[0, 0]))] == "shale"  # the west, now shale
    assert names[str(int(layer.values[0, -1]))] == "granite"
