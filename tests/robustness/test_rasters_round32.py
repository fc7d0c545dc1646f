"""Round 32: survey grids and distance layers of other numbers than their inputs hold: a
float64 band's cells beside its fill dropped with it, an Int64 band's nodata past 2**53
taken as its float neighbour, and the contact and fault distances of a region in Web
Mercator measured in its stretched metres.

Found by planning (``plan_raster``, ``plan_vector``) and reading (``Layer.compute``)
SYNTHETIC grids written into ``tmp_path`` with rasterio and ``gdal_translate``, and fault
and unit maps written with geopandas, on the tiny UTM region and a small region in
EPSG:3857 at 52 N, and comparing the layer with what the inputs hold (the distances with
geodesic ones, ``pyproj.Geod``) (2026-12-05).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from .conftest import plan_vector_cells
from .test_rasters_round16 import _write
from .test_rasters_round31 import _read

# --- a float64 band whose cells float32 reads as its fill ---------------------------------


def test_float64_cells_beside_their_fill_are_values(tmp_path: Path) -> None:
    """Before: a float64 band of nodata -9999 whose other cells hold -9999.0001 (float32,
    which GDAL's warper compares the nodata in, holds both as -9999) lost them all: 1 200
    of 1 600 cells no data for 200 fills, exit 0. Now a float64 band whose planning sample
    holds such neighbours is read in its own type (`raster.float32_merges` for float64,
    `fill_neighbours_held`): the fills alone are no data."""
    data = np.full((40, 40), -9999.0001, "f8")
    data[:5] = -9999.0
    data[10:20] = 7.0
    layers, out = _read(_write(tmp_path / "g.tif", data, nodata=-9999.0), units="nT")
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_array_equal(out[20:], np.float32(-9999.0001))
    np.testing.assert_array_equal(out[10:20], np.float32(7))
    assert layers[0].refs[0].exact_fill


def test_control_a_float64_band_of_values_far_from_its_fill_is_warped_as_before(
    tmp_path: Path,
) -> None:
    """Control: a float64 band of nodata -9999 whose values lie far from it, on 7 m cells
    off the region's grid (bilinear), is warped by GDAL as before (not read in its own
    type), to the same values as the float32 band of the same numbers."""
    from rasterio.transform import from_origin

    rng = np.random.default_rng(3)
    data = rng.uniform(-500, 3000, (50, 50))
    data[3:6, 7:12] = -9999.0
    at = from_origin(500000.0 - 40 + 1.3, 1350000.0 + 440 - 1.3, 7, 7)
    layers, wide = _read(_write(tmp_path / "d.tif", data, nodata=-9999.0, transform=at), units="nT")
    assert not layers[0].refs[0].exact_fill
    _, single = _read(
        _write(tmp_path / "s.tif", data.astype("f4"), nodata=-9999.0, transform=at), units="nT"
    )
    assert int(np.isnan(wide).sum()) == int(np.isnan(single).sum()) > 0
    np.testing.assert_allclose(wide, single, rtol=1e-5, atol=1e-3)


# --- a 64-bit integer band's nodata past 2**53 --------------------------------------------


def _with_nodata(tmp_path: Path, data: np.ndarray, nodata: int) -> Path:
    """``data`` as a GeoTIFF whose nodata ``gdal_translate -a_nodata`` states exactly (as
    GDAL writes a 64-bit band's; rasterio's writer states it as a float)."""
    if shutil.which("gdal_translate") is None:
        pytest.skip("gdal_translate is not installed")
    bare = _write(tmp_path / "bare.tif", data)
    out = tmp_path / "g.tif"
    subprocess.run(
        ["gdal_translate", "-q", "-a_nodata", str(nodata), str(bare), str(out)], check=True
    )
    return out


@pytest.mark.parametrize(
    ("dtype", "fill", "value"),
    [("int64", 2**60 + 1, 2**60), ("uint64", 2**64 - 1, 2**64 - 2)],
    ids=["int64-2**60+1", "uint64-max"],
)
def test_a_64_bit_fill_past_2_53_drops_only_its_own_cells(
    tmp_path: Path, dtype: str, fill: int, value: int
) -> None:
    """Before: an Int64 band of nodata 1152921504606846977 (2**60 + 1), which rasterio
    states as the float 2**60, dropped its 2**60 cells too (1 200 of 1 600 cells no data
    for 200 fills), exit 0; a UInt64 band of nodata 2**64 - 1 its 2**64 - 2 cells. Now
    the exact nodata GDAL holds is read (`raster.exact_nodata`, `_gdal_nodata`) and
    compared in the band's own type (`stored_values`, `RasterInfo.dropped`,
    `fill_neighbours_held`): the fills alone are no data."""
    data = np.full((40, 40), value, dtype=dtype)
    data[:5] = fill
    data[10:20] = 7
    layers, out = _read(_with_nodata(tmp_path, data, fill), units="nT")
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_array_equal(out[20:], np.float32(value))
    assert layers[0].refs[0].info.nodata == (fill,)


def test_control_a_64_bit_band_of_a_small_fill_reads_as_before(tmp_path: Path) -> None:
    """Control: an Int64 band of nodata -9999 keeps its float nodata and GDAL's warp."""
    data = np.full((40, 40), 2**40, dtype="int64")
    data[:5] = -9999
    layers, out = _read(_with_nodata(tmp_path, data, -9999), units="nT")
    assert int(np.isnan(out).sum()) == 200
    assert layers[0].refs[0].info.nodata == (-9999.0,)
    assert isinstance(layers[0].refs[0].info.nodata[0], float)
    assert not layers[0].refs[0].exact_fill


# --- contact and fault distances of a region in Web Mercator ------------------------------


def _mercator_grid() -> Any:
    from pyproj import Transformer

    from prospect.grid import RegionGrid

    x0, y0 = Transformer.from_crs(4326, 3857, always_xy=True).transform(5.0, 52.0)
    x0, y0 = round(x0, -2), round(y0, -2)
    return RegionGrid(
        name="merc",
        crs="EPSG:3857",
        resolution=200.0,
        bounds=(x0, y0, x0 + 4000, y0 + 4000),
        chunks=(10, 10),
    )


def _geodesic_to(grid: Any, line: shapely.LineString) -> np.ndarray:
    """Metres on the ellipsoid from each cell centre to the nearest of ``line``'s densely
    spaced points (in the grid's CRS)."""
    from pyproj import Geod, Transformer

    back = Transformer.from_crs(grid.crs, 4326, always_xy=True)
    dense = shapely.get_coordinates(shapely.segmentize(line, 5.0))
    llon, llat = back.transform(dense[:, 0], dense[:, 1])
    xx, yy = np.meshgrid(grid.x, grid.y)
    lon, lat = back.transform(xx.ravel(), yy.ravel())
    geod = Geod(ellps="WGS84")
    each = [
        geod.inv(np.full(len(llon), a), np.full(len(llon), b), llon, llat)[2].min()
        for a, b in zip(lon, lat, strict=True)
    ]
    return np.array(each).reshape(grid.shape)


@pytest.fixture(scope="module")
def mercator_map(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, np.ndarray]:
    """The Web Mercator region, a GeoPackage of units ``a | b`` meeting along an oblique
    line across it (layer ``units``) and that line as a fault (layer ``faults``), and each
    cell's geodesic distance to the line."""
    grid = _mercator_grid()
    x0, y0, x1, y1 = grid.bounds
    line = shapely.LineString([(x0 + 900, y0 - 500), (x0 + 2900, y1 + 500)])
    west = shapely.Polygon([(x0 - 1000, y0 - 500), *line.coords, (x0 - 1000, y1 + 500)])
    east = shapely.Polygon([*line.coords, (x1 + 1000, y1 + 500), (x1 + 1000, y0 - 500)])
    path = tmp_path_factory.mktemp("merc") / "map.gpkg"
    gpd.GeoDataFrame({"unit": ["a", "b"]}, geometry=[west, east], crs=grid.crs).to_file(
        path, layer="units"
    )
    gpd.GeoDataFrame({"id": [1]}, geometry=[line], crs=grid.crs).to_file(path, layer="faults")
    return grid, path, _geodesic_to(grid, line)


@pytest.mark.parametrize("which", ["contact", "fault"])
def test_distances_of_a_web_mercator_region_are_on_the_ground(
    mercator_map: tuple[Any, Path, np.ndarray], which: str
) -> None:
    """Before: the contact and fault distances of a region in EPSG:3857 at 52 N were
    measured in Mercator metres, 1.62 times the ground's, and recorded as ``m`` (with a
    warning only), exit 0. Now they are measured on the ground as a point source's
    ``<name>_dist`` is (`geology._ground_of`, `LineDistanceLayer.ground`,
    `_ground_distances`): within 0.5 % of the geodesic distance, and the settings say so."""
    grid, path, truth = mercator_map
    more = (
        {"attribute": "unit", "layer": "units", "distance_to_contacts": True}
        if which == "contact"
        else {"faults_layer": "faults"}
    )
    out, _ = plan_vector_cells(path, grid, **more)
    layer, cells = out[f"geology_dist_{which}"]
    far = truth > 300
    np.testing.assert_allclose(cells[far], truth[far], rtol=5e-3)
    assert np.abs(cells - truth).max() < 15  # beside the line: within a few metres
    assert layer.units == "m"
    assert "metres on the ground" in layer.settings["distances"]


def test_control_fault_distances_of_a_utm_region_are_as_before(tmp_path: Path) -> None:
    """Control: a fault and a fault zone on the tiny UTM region: measured in its own
    coordinates (no ground frame, nothing more in the settings), as before."""
    from .test_vectors_round31b import GRID, X0, Y0

    line = shapely.LineString([(X0 + 200, Y0 - 100), (X0 + 200, Y0 + 500)])
    zone = shapely.box(X0 + 50, Y0 + 50, X0 + 80, Y0 + 80)
    path = tmp_path / "f.gpkg"
    gpd.GeoDataFrame({"id": [1, 2]}, geometry=[line, zone], crs=GRID.crs).to_file(
        path, layer="faults"
    )
    out, _ = plan_vector_cells(path, GRID, faults_layer="faults")
    layer, cells = out["geology_dist_fault"]
    assert getattr(layer, "ground", None) is None and "distances" not in layer.settings
    np.testing.assert_array_equal(cells[20, 15:25], [45, 35, 25, 15, 5, 5, 15, 25, 35, 45])
    assert cells[33, 6] == 0.0  # inside the zone


def test_fault_distances_of_a_region_in_degrees_say_they_are_degrees(tmp_path: Path) -> None:
    """Before: the fault distances of a region in EPSG:4326 at 52 N held degrees
    (recorded as ``degree``), a fault due east of a cell counted 1.6 times nearer than
    one as far due north, without a word (a point source's ``_dist`` is warned of). Now
    the same warning is given (`geology._warn_degree_distances`); the values are as
    before."""
    from prospect.grid import RegionGrid

    grid = RegionGrid(
        name="deg",
        crs="EPSG:4326",
        resolution=0.001,
        bounds=(5.0, 52.0, 5.04, 52.04),
        chunks=(20, 20),
    )
    line = shapely.LineString([(5.0205, 51.99), (5.0205, 52.05)])
    path = tmp_path / "f.gpkg"
    gpd.GeoDataFrame({"id": [1]}, geometry=[line], crs=grid.crs).to_file(path, layer="faults")
    out, said = plan_vector_cells(path, grid, faults_layer="faults")
    layer, cells = out["geology_dist_fault"]
    assert layer.units == "degree"
    np.testing.assert_allclose(cells[20, 18:23], [0.002, 0.001, 0.0, 0.001, 0.002], atol=1e-6)
    text = " ".join(said)
    assert "'geology_dist_fault' holds distances in degrees" in text, said
    assert "give the region a projected CRS" in text, said
