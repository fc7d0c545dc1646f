"""Round 35: survey layers given as users hand them over: a GML geology map that made GDAL
write a ``.gfs`` schema file beside it (outside the output directory), vector files given
as rasters and raster GeoPackages given as vector sources called corrupt, an overview file
(``dem.tif.ovr``) given as the raster told to be gridded, a DEM in feet converted with
``scale: 0.3048`` recorded as ``1``, and class codes past 2**24 refused without saying
which file holds them or how to renumber them.

Found by an in-process ``prospect ingest`` of SYNTHETIC files written into the sandbox,
and by planning (``plan_raster``, ``plan_vector``) SYNTHETIC grids and maps written with
rasterio and geopandas on the tiny UTM region (2026-12-05). Every file here is small and
SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely

from .conftest import Sandbox, assert_clean_error, plan_vector_cells
from .test_rasters_round16 import _write
from .test_rasters_round22 import _grid
from .test_rasters_round31 import _read


def _plan(**source: Any) -> tuple[list[Any], list[str]]:
    """The layers of a raster source on the tiny grid, and every warning's text."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_raster(RasterSource(name="survey", **source), _grid())
    return layers, [" ".join(str(w.message).split()) for w in caught]


def _halves(path: Path, driver: str, **kw: Any) -> Path:
    """A SYNTHETIC geology map of units ``A`` (west half) and ``B`` (east half) of the
    tiny region, written by GDAL's ``driver``."""
    left, bottom, right, top = _grid().bounds
    mid = (left + right) / 2
    gpd.GeoDataFrame(
        {"unit": ["A", "B"]},
        geometry=[shapely.box(left, bottom, mid, top), shapely.box(mid, bottom, right, top)],
        crs="EPSG:32619",
    ).to_file(path, driver=driver, **kw)
    return path


def _gml(path: Path) -> Path:
    """A GML map as a WFS or a survey's download delivers it: the ``.gml`` alone (the
    ``.xsd`` GDAL writes beside it removed)."""
    _halves(path, "GML")
    for other in path.parent.glob(path.stem + ".*"):
        if other != path:
            other.unlink()
    return path


# --- a GML source and GDAL's .gfs --------------------------------------------------------


def test_a_gml_geology_map_ingests_without_writing_beside_it(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of a geology map in GML (no ``.xsd``) made GDAL's GML
    driver write ``geo.gfs`` (its schema guess) into the map's folder, outside ``-o``, exit
    0. Now no ``.gfs`` is left beside it, and the units are read (800 cells each)."""
    import xarray as xr

    _gml(sandbox.root / "geo.gml")
    sandbox.write_job(sources=[{"kind": "vector", "name": "geology", "path": "geo.gml",
                                "attribute": "unit"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert not (sandbox.root / "geo.gfs").exists()
    assert sandbox.untouched()
    with xr.open_zarr(sandbox.out / "cube.zarr") as cube:
        cells = np.asarray(cube["geology"].values)
    assert sorted(np.unique(cells, return_counts=True)[1].tolist()) == [800, 800]


def test_a_gml_map_planned_leaves_only_itself_in_its_folder(tmp_path: Path) -> None:
    """Before: planning a GML map (its layers listed, its fields and features read) left
    ``geo.gfs`` beside it. Now the folder holds the map alone; units A and B read."""
    path = _gml(tmp_path / "geo.gml")
    out, _ = plan_vector_cells(path, _grid(), attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("A", "B")
    assert (cells == 0).sum() == 800 and (cells == 1).sum() == 800
    assert sorted(p.name for p in tmp_path.iterdir()) == ["geo.gml"]


def test_control_a_gfs_the_user_keeps_is_kept_and_read(tmp_path: Path) -> None:
    """Control: a ``.gfs`` that was there before (the user's, or a data provider's) is
    left in place, unchanged, and the map reads as before."""
    import pyogrio

    path = _gml(tmp_path / "geo.gml")
    pyogrio.read_info(path)  # GDAL writes the .gfs, as QGIS's first open would
    gfs = tmp_path / "geo.gfs"
    assert gfs.exists()
    before = gfs.read_bytes()
    out, _ = plan_vector_cells(path, _grid(), attribute="unit")
    assert out["geology"][0].codes == ("A", "B")
    assert gfs.read_bytes() == before


# --- a vector file given as a raster, and a raster GeoPackage as a vector -----------------


@pytest.mark.parametrize(("name", "driver", "said"), [
    ("geo.shp", "ESRI Shapefile", "ESRI Shapefile"),
    ("geo.gpkg", "GPKG", "GPKG"),
    ("geo.geojson", "GeoJSON", "GeoJSON"),
], ids=["shapefile", "geopackage", "geojson"])
def test_a_vector_map_given_as_a_raster_is_said_to_be_one(
    sandbox: Sandbox, cli, scheduler: str, name: str, driver: str, said: str
) -> None:
    """Before: a geology map given under ``kind: raster`` (a config copied from a raster
    source) was "cannot read as a raster (corrupt, truncated or not a raster): ... not
    recognized as being in a supported file format", exit 1, and the user went looking
    for a damaged file. Now: a vector file, its format and layer, and ``kind: vector``."""
    _halves(sandbox.root / name, driver)
    sandbox.write_job(sources=[{"kind": "raster", "name": "geology", "path": name,
                                "units": "1"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, name, "a vector file", said, "geo",
                              "'kind: vector'", "gdal_rasterize")
    assert "corrupt" not in line


def test_control_a_damaged_geotiff_is_still_called_corrupt(tmp_path: Path) -> None:
    """Control: a GeoTIFF cut to its first 100 bytes is neither a raster GDAL opens nor a
    vector file: still "cannot read as a raster (corrupt, truncated or not a raster)"."""
    from prospect.errors import CorruptFileError

    whole = _write(tmp_path / "whole.tif", np.ones((40, 40), "f4"))
    cut = tmp_path / "cut.tif"
    cut.write_bytes(whole.read_bytes()[:100])
    with pytest.raises(CorruptFileError, match="corrupt, truncated or not a raster"):
        _read(cut, units="1")


def test_a_raster_geopackage_given_as_a_vector_source_is_said_to_be_one(
    tmp_path: Path,
) -> None:
    """Before: a GeoPackage of raster tiles (a DEM or a gridded map exported to GPKG)
    given as a vector source was "cannot read as a vector file (corrupt?): ... not
    recognized as being in a supported file format". Now: a GPKG raster, its bands and
    cells, with no vector layer, and ``kind: raster``."""
    from prospect.errors import InputFileError

    path = tmp_path / "units.gpkg"
    left, _, _, top = _grid().bounds
    with rasterio.open(path, "w", driver="GPKG", width=40, height=40, count=1,
                       dtype="uint8", crs="EPSG:32619",
                       transform=rasterio.transform.from_origin(left, top, 10, 10)) as dst:
        dst.write(np.full((1, 40, 40), 3, "uint8"))
    with pytest.raises(InputFileError) as caught:
        plan_vector_cells(path, _grid(), attribute="unit")
    text = str(caught.value)
    assert "GPKG raster" in text and "40 x 40 cells" in text
    assert "'kind: raster'" in text and "corrupt" not in text


# --- an overview file given as the raster --------------------------------------------------


def test_an_overview_file_given_as_the_raster_names_its_raster(tmp_path: Path) -> None:
    """Before: ``dem.tif.ovr`` (the external overviews ``gdaladdo -ro`` builds, picked in
    a file dialog beside ``dem.tif``) was "the raster has no georeferencing ...; give it
    its grid first (gdal_translate -a_ullr ...)": a fix that grids a half-resolution copy.
    Now: the overviews of ``dem.tif``; give that raster."""
    from prospect.errors import DataError

    dem = _write(tmp_path / "dem.tif", np.arange(1600, dtype="f4").reshape(40, 40))
    with rasterio.Env(TIFF_USE_OVR=True), rasterio.open(dem, "r+") as src:
        src.build_overviews([2], rasterio.enums.Resampling.average)
    ovr = tmp_path / "dem.tif.ovr"
    assert ovr.exists()
    with pytest.raises(DataError) as caught:
        _read(ovr, units="m")
    text = str(caught.value)
    assert "the overviews of dem.tif" in text and str(dem) in text
    assert "gdal_translate -a_ullr" not in text


# --- a DEM in feet converted by scale ----------------------------------------------------


def _feet(path: Path, dtype: str = "float32") -> Path:
    """A SYNTHETIC DEM stating its heights in ``ft`` (1000 ft everywhere)."""
    _write(path, np.full((40, 40), 1000, dtype))
    with rasterio.open(path, "r+") as src:
        src.units = ("ft",)
    return path


def test_a_dem_in_feet_converted_by_scale_records_metres(tmp_path: Path) -> None:
    """Before: a DEM stating ``ft`` given ``scale: 0.3048`` (to metres) and no
    ``units:`` was recorded as ``1`` (no unit), exit 0, without a word, though without
    the scale it records ``ft``. Now it records ``m``, and the values are 304.8."""
    layers, out = _read(_feet(tmp_path / "dem.tif"), scale=0.3048)
    assert layers[0].units == "m"
    assert np.allclose(out, 304.8)


def test_a_stated_unit_scaled_to_no_known_unit_is_said(tmp_path: Path) -> None:
    """Before: an integer band stating ``ft`` given ``scale: 0.1`` and no ``units:`` (a
    packed DEM: the stated unit may be the unpacked values') was recorded as ``1``
    without a word. Now the cube still records ``1``, and a warning names the stated
    unit, the scale and ``units:``."""
    layers, said = _plan(path=str(_feet(tmp_path / "dem.tif", "int16")), scale=0.1)
    assert layers[0].units == "1"
    assert any("states its units as 'ft'" in w and "'scale: 0.1'" in w and "'units:'" in w
               for w in said), said


def test_control_a_dem_in_feet_given_units_and_scale_is_as_told(tmp_path: Path) -> None:
    """Control: ``scale: 0.3048`` with ``units: m`` records ``m`` and says nothing; no
    scale records the file's ``ft``."""
    path = _feet(tmp_path / "dem.tif")
    layers, said = _plan(path=str(path), scale=0.3048, units="m")
    assert layers[0].units == "m" and not said
    layers, said = _plan(path=str(path))
    assert layers[0].units == "ft" and not said


# --- class codes past 2**24 ----------------------------------------------------------------


def test_class_codes_past_2_24_name_the_file_and_how_to_renumber(tmp_path: Path) -> None:
    """Before: parcel-style class codes 100000001..100000005 (a uint32 class raster)
    were refused as "class codes reach 100000005, beyond 2**24 ...; renumber the codes",
    naming neither the file nor how. Now the file and band, and the ``gdal_calc.py``
    command that subtracts the lowest code."""
    from prospect.errors import DataError

    codes = (np.arange(1600).reshape(40, 40) % 5 + 100000001).astype("uint32")
    codes[0] = 0
    path = _write(tmp_path / "parcels.tif", codes, nodata=0)
    with pytest.raises(DataError) as caught:
        _plan(path=str(path), values="categorical")
    text = str(caught.value)
    assert f"{path} band 1" in text
    assert 'gdal_calc.py -A parcels.tif --A_band=1 --calc "A-100000001"' in text
    assert "--NoDataValue=-1" in text


def test_class_codes_spanning_past_2_24_ask_for_a_lookup(tmp_path: Path) -> None:
    """Before: int64 codes 0..4 and 3 000 000 000 were refused with "renumber the codes"
    alone. Now subtracting the lowest is not offered (it would not bring them under
    2**24); a lookup of the distinct codes is asked for, naming the file."""
    from prospect.errors import DataError

    codes = (np.arange(1600).reshape(40, 40) % 5).astype("int64")
    codes[1] = 3_000_000_000
    codes[0] = -1
    path = _write(tmp_path / "wide.tif", codes, nodata=-1)
    with pytest.raises(DataError) as caught:
        _plan(path=str(path), values="categorical")
    text = str(caught.value)
    assert f"{path} band 1" in text and "numpy.unique" in text
    assert "gdal_calc.py" not in text
