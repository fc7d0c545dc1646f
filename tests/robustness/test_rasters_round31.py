"""Survey layers of other numbers or places than their inputs hold: IDW and kriging
surfaces of a region in degrees weighed by degrees, 32-bit integer bands whose fill
float32 shares with their neighbours, and GeoPackage coverages whose values lie at their
cells' corners.

Found by planning (``plan_points``, ``plan_raster``) and reading (``Layer.compute``)
SYNTHETIC point tables and grids written into ``tmp_path`` with pandas-free CSV text,
rasterio and sqlite3, as a user's wells, integer survey grids and GeoPackage elevation
coverages come, on the tiny UTM region or a small region at 52 N in EPSG:4326, and
comparing the layer with what the inputs hold (2026-12-05).
"""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_point_tables import X0, Y0
from .test_rasters_round16 import _write

# --- point surfaces of a region in degrees ------------------------------------------------

CENTRE = (5.0205, 52.0205)
"""A cell centre of the degree region :func:`_degree_grid`."""


def _degree_grid() -> Any:
    from prospect.grid import RegionGrid

    return RegionGrid(
        name="deg",
        crs="EPSG:4326",
        resolution=0.001,
        bounds=(5.0, 52.0, 5.04, 52.04),
        chunks=(20, 20),
    )


def _surface(
    grid: Any, table: Path, crs: str, interpolate: list[str], **more: Any
) -> tuple[list[Any], np.ndarray, list[str]]:
    """The layers of a points source of ``table`` on ``grid``, the first one's values on
    the whole grid, and the planning's warnings."""
    from prospect.config.sources import PointSource
    from prospect.ingest.surfaces import plan_points

    source = PointSource(
        name="wells",
        path=str(table),
        x="x",
        y="y",
        crs=crs,
        columns=["li"],
        interpolate=interpolate,
        units={"li": "mg/L"},
        **more,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_points(source, grid)
    out = np.full(grid.shape, np.nan, "f4")
    for window in grid.chunk_windows():
        out[window.rows, window.cols] = layers[0].compute(grid, window)
    return layers, out, [" ".join(str(w.message).split()) for w in caught]


def _table(path: Path, rows: list[tuple[float, float, float]]) -> Path:
    path.write_text("x,y,li\n" + "".join(f"{x:.6f},{y:.6f},{z:.4f}\n" for x, y, z in rows))
    return path


def test_idw_of_a_region_in_degrees_weighs_by_ground_distance(tmp_path: Path) -> None:
    """Before: a cell at 52 N between a well 0.010 degrees east (686 m) holding 10 and
    one 0.007 degrees north (779 m) holding 20 took 16.7 (the north well nearer by
    degrees, weighed 2:1), exit 0, with a warning only. Now the wells are weighed by
    their distances on the ground (`surfaces.ground_frame`): the east one is nearer,
    14.37, as IDW of the geodesic distances gives."""
    from pyproj import Geod

    table = _table(
        tmp_path / "w.csv",
        [
            (CENTRE[0] + 0.010, CENTRE[1], 10.0),
            (CENTRE[0], CENTRE[1] + 0.007, 20.0),
            (CENTRE[0] - 0.03, CENTRE[1] - 0.03, 15.0),
        ],
    )
    grid = _degree_grid()
    layers, out, said = _surface(grid, table, "EPSG:4326", ["idw"], neighbours=2)
    row = int(np.argmin(np.abs(grid.y - CENTRE[1])))
    col = int(np.argmin(np.abs(grid.x - CENTRE[0])))
    _, _, east = Geod(ellps="WGS84").inv(CENTRE[0], CENTRE[1], CENTRE[0] + 0.010, CENTRE[1])
    _, _, north = Geod(ellps="WGS84").inv(CENTRE[0], CENTRE[1], CENTRE[0], CENTRE[1] + 0.007)
    weights = np.array([east**-2.0, north**-2.0])
    expected = float((weights * [10.0, 20.0]).sum() / weights.sum())
    assert out[row, col] == pytest.approx(expected, rel=1e-4), (out[row, col], expected)
    assert "metres on the ground" in layers[0].settings["distances"]
    assert not [s for s in said if "weigh their points by distances in degrees" in s], said


def test_kriging_of_a_region_in_degrees_is_kriging_on_the_ground(tmp_path: Path) -> None:
    """Before: kriging of 40 wells at 52 N fitted its variogram in degrees (a range of
    0.04 "degrees" in both directions) and solved in degrees: the surface was off the
    same wells kriged in metres (UTM 31N) by 0.29 on average, up to 2.0, exit 0, with a
    warning only. Now fitted and solved in metres on the ground: the variogram's range
    is the one fitted in UTM (4 445 m) and the surface within 0.01 of UTM's on average."""
    from pykrige.ok import OrdinaryKriging
    from pyproj import Transformer

    from prospect.grid import RegionGrid

    grid = RegionGrid(
        name="deg",
        crs="EPSG:4326",
        resolution=0.002,
        bounds=(5.0, 52.0, 5.08, 52.04),
        chunks=(20, 40),
    )
    rng = np.random.default_rng(3)
    lon, lat = 5.0 + rng.random(40) * 0.08, 52.0 + rng.random(40) * 0.04
    utm = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    ex, ny = utm.transform(lon, lat)
    z = np.sin(ex / 900.0) * 10 + np.cos(ny / 1300.0) * 10 + 50
    table = _table(tmp_path / "w.csv", list(zip(lon, lat, z, strict=True)))
    layers, out, _ = _surface(grid, table, "EPSG:4326", ["kriging"], variogram="gaussian")
    xx, yy = np.meshgrid(grid.x, grid.y)
    qx, qy = utm.transform(xx.ravel(), yy.ravel())
    # the table's numbers as the source reads them (4 decimals), kriged in UTM metres
    ref = OrdinaryKriging(ex, ny, np.round(z, 4), variogram_model="gaussian")
    want, _ = ref.execute("points", qx, qy, n_closest_points=layers[0].neighbours, backend="C")
    off = np.abs(out - np.asarray(want).reshape(grid.shape))
    assert float(off.mean()) < 0.01, float(off.mean())
    fitted_range = layers[0].settings["variogram_parameters"][1]
    assert fitted_range == pytest.approx(float(ref.variogram_model_parameters[1]), rel=0.01)


def test_points_east_of_180_take_part_in_a_region_across_it(tmp_path: Path) -> None:
    """Before: in a region across the antimeridian (Fiji, longitudes 179.8..180.2) the
    wells east of 180, given as -179.95 and -179.85, lay 360 degrees from it: dropped as
    "far outside" with the hint that west longitudes are negative, and the IDW of the two
    wells left refused ("2 numeric values; at least 3 are needed"), exit 2. Now each
    point's longitude is the one nearest the region (`surfaces.around_region`): the
    surface east of 180 is the IDW of all four wells by ground distance, and the distance
    layer measures to the wells east of 180."""
    from pyproj import Geod

    from prospect.grid import RegionGrid

    wells = [
        (179.85, -17.0, 10.0),
        (179.95, -16.95, 12.0),
        (-179.95, -17.05, 30.0),
        (-179.85, -16.95, 32.0),
    ]
    table = _table(tmp_path / "w.csv", wells)
    grid = RegionGrid(
        name="fiji",
        crs="EPSG:4326",
        resolution=0.01,
        bounds=(179.8, -17.1, 180.2, -16.9),
        chunks=(20, 40),
    )
    layers, _, said = _surface(grid, table, "EPSG:4326", ["idw"], neighbours=4, distance=True)
    assert not [s for s in said if "far outside" in s], said
    row, col = int(np.argmin(np.abs(grid.y + 17.055))), int(np.argmin(np.abs(grid.x - 180.155)))
    x, y = float(grid.x[col]), float(grid.y[row])
    geod = Geod(ellps="WGS84")
    far = np.array([geod.inv(x, y, lon, lat)[2] for lon, lat, _ in wells])
    weights = far**-2.0
    expected = float((weights * [z for _, _, z in wells]).sum() / weights.sum())
    idw = next(i for i, layer in enumerate(layers) if layer.name == "wells_li")
    dist = next(i for i, layer in enumerate(layers) if layer.name == "wells_dist")
    window = next(
        w
        for w in grid.chunk_windows()
        if w.rows.start <= row < w.rows.stop and w.cols.start <= col < w.cols.stop
    )
    at = (row - window.rows.start, col - window.cols.start)
    assert layers[idw].compute(grid, window)[at] == pytest.approx(expected, rel=1e-4)
    nearest = float(np.hypot(x - 180.15, y + 16.95))  # to -179.85 (180.15), in degrees
    assert layers[dist].compute(grid, window)[at] == pytest.approx(nearest, rel=1e-5)


def test_a_table_in_longitudes_0_to_360_makes_the_surfaces_west_of_0(tmp_path: Path) -> None:
    """Before: wells at 354.97..354.99 E (5.03..5.01 W, as tables of longitudes 0..360
    give them) under a region at 5 W were refused, "none of its 3 points lies in the
    region", exit 2, though rasters and outlines on 0..360 are read. Now they are the
    region's wells (`surfaces.around_region`): the distance layer measures to them."""
    from prospect.grid import RegionGrid

    wells = [(354.97, 52.01, 10.0), (354.98, 52.03, 12.0), (354.99, 52.02, 30.0)]
    table = _table(tmp_path / "w.csv", wells)
    grid = RegionGrid(
        name="w",
        crs="EPSG:4326",
        resolution=0.001,
        bounds=(-5.04, 52.0, -5.0, 52.04),
        chunks=(20, 20),
    )
    layers, out, _ = _surface(grid, table, "EPSG:4326", ["idw"], distance=True)
    assert [layer.name for layer in layers] == ["wells_dist", "wells_li"]
    x, y = float(grid.x[0]), float(grid.y[0])
    nearest = min(float(np.hypot(x - (lon - 360.0), y - lat)) for lon, lat, _ in wells)
    assert out[0, 0] == pytest.approx(nearest, rel=1e-5)


def test_control_surfaces_of_a_projected_region_are_as_before(tmp_path: Path) -> None:
    """Control: in the tiny UTM region the IDW surface is :func:`idw_estimate` of the
    table's own coordinates to the last bit, the kriging surface pykrige's of them, and
    neither records a distance frame."""
    from pykrige.ok import OrdinaryKriging

    from prospect.ingest.surfaces import idw_estimate

    from .test_rasters_round22 import _grid

    grid = _grid()
    rows = [
        (X0 + 5 + 20.0 * i, Y0 + 5 + 20.0 * ((7 * i) % 20), 10.0 + (i * 13) % 17) for i in range(20)
    ]
    table = _table(tmp_path / "w.csv", rows)
    xy = np.array([(x, y) for x, y, _ in rows])
    z = np.array([v for _, _, v in rows])
    xx, yy = np.meshgrid(grid.x, grid.y)
    query = np.column_stack([xx.ravel(), yy.ravel()])
    layers, idw, _ = _surface(grid, table, "EPSG:32619", ["idw"])
    want = idw_estimate(xy, z, query, power=layers[0].power, neighbours=layers[0].neighbours)
    np.testing.assert_array_equal(idw, want.astype("f4").reshape(grid.shape))
    layers, kriged, _ = _surface(grid, table, "EPSG:32619", ["kriging"])
    model = OrdinaryKriging(xy[:, 0], xy[:, 1], z, variogram_model=layers[0].model.variogram_model)
    est, _ = model.execute(
        "points", query[:, 0], query[:, 1], backend="C", n_closest_points=layers[0].neighbours
    )
    np.testing.assert_array_equal(kriged, np.asarray(est).astype("f4").reshape(grid.shape))
    assert all("distances" not in layer.settings for layer in layers)


# --- 32-bit integer bands whose fill float32 shares with a neighbour -----------------------


def _read(path: Path, **more: Any) -> tuple[list[Any], np.ndarray]:
    """The layers of a raster source of ``path`` on the tiny grid, and the first one's
    values on it."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    from .test_rasters_round22 import _grid

    grid = _grid()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = plan_raster(RasterSource(name="grid", path=str(path), **more), grid)
    out = np.full(grid.shape, np.nan, "f4")
    for window in grid.chunk_windows():
        out[window.rows, window.cols] = layers[0].compute(grid, window)
    return layers, out


@pytest.mark.parametrize(
    ("dtype", "fill", "value"),
    [
        ("uint32", 4294967295, 4294967294),
        ("int32", -2147483648, -2147483647),
        ("int32", 16777216, 16777217),
    ],
    ids=["uint32-max", "int32-min", "int32-2**24"],
)
def test_cells_one_apart_from_a_32_bit_fill_are_values(
    tmp_path: Path, dtype: str, fill: int, value: int
) -> None:
    """Before: a uint32 band of nodata 4294967295 (its type's largest, a common fill)
    dropped its 4294967294 cells too, and an int32 band of nodata -2147483648 its
    -2147483647 cells (float32, which GDAL's warper compares the nodata in, holds each
    pair as one number): 1 000 of the 1 600 cells lost as no data, exit 0. Now a band
    whose planning sample holds such neighbours of its fill is read in its own type
    (`raster.fill_neighbours_held`, `BandRef.exact_fill`): the 200 fill cells alone are
    no data."""
    data = np.full((40, 40), value, dtype=dtype)
    data[:5] = fill
    data[10:20] = 7
    _, out = _read(_write(tmp_path / "g.tif", data, nodata=fill), units="nT")
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_array_equal(out[20:], np.float32(value))
    np.testing.assert_array_equal(out[10:20], np.float32(7))


def test_control_integer_bands_of_small_fills_and_class_codes_read_as_before(
    tmp_path: Path,
) -> None:
    """Control: a uint32 band of nodata 0 and a uint32 class map of nodata 4294967295
    on cells half the region's (each cube cell the mode of 2 x 2) read as before."""
    data = np.full((40, 40), 4000000000, dtype="uint32")
    data[:5] = 0
    _, out = _read(_write(tmp_path / "z.tif", data, nodata=0), units="nT")
    assert int(np.isnan(out).sum()) == 200 and float(np.nanmin(out)) == 4e9

    from .test_rasters_round22 import _grid

    codes = np.repeat(
        np.repeat(np.arange(1600, dtype="uint32").reshape(40, 40) % 5 + 1, 2, axis=0), 2, axis=1
    )
    codes[:4] = 4294967295
    src = _write(
        tmp_path / "c.tif", codes, nodata=4294967295, transform=_grid().transform @ _scale(0.5)
    )
    layers, out = _read(src, values="categorical")
    assert layers[0].categorical
    got = np.where(out == layers[0].fill_value, np.nan, out).astype("f8")
    np.testing.assert_array_equal(got[2:], codes[::2, ::2][2:])
    assert np.isnan(got[:2]).all()


def test_control_a_32_bit_fill_no_other_cell_shares_reads_as_before(tmp_path: Path) -> None:
    """Control: an int32 band of NetCDF's default fill -2147483647 whose other cells lie
    far from it, on 7 m cells off the region's grid (bilinear), reads as the same band of
    fill -9999 does, to the last bit: GDAL's warper as before."""
    from rasterio.transform import from_origin

    rng = np.random.default_rng(1)
    data = rng.integers(-500, 3000, (50, 50)).astype("int32")
    data[3:6, 7:12] = -2147483647
    other = np.where(data == -2147483647, -9999, data).astype("int32")
    grid = from_origin(X0 - 40 + 1.3, Y0 + 440 - 1.3, 7, 7)
    _, big = _read(
        _write(tmp_path / "big.tif", data, nodata=-2147483647, transform=grid), units="m"
    )
    _, small = _read(_write(tmp_path / "small.tif", other, nodata=-9999, transform=grid), units="m")
    np.testing.assert_array_equal(big, small)


def _scale(k: float) -> Any:
    from affine import Affine

    return Affine.scale(k)


# --- GeoPackage coverages of values at their cells' corners --------------------------------


def _gpkg(folder: Path, encoding: str) -> Path:
    """A float32 GeoPackage gridded coverage of 0..1599 on the tiny region's grid whose
    ``gpkg_2d_gridded_coverage_ancillary`` states ``grid_cell_encoding: encoding``."""
    import rasterio

    source = _write(folder / "src.tif", np.arange(1600, dtype="float32").reshape(40, 40))
    path = folder / f"{encoding}.gpkg"
    with rasterio.open(source) as src:
        profile = {**src.profile, "driver": "GPKG"}
        profile.pop("tiled", None)
        profile.pop("blockxsize", None)
        profile.pop("blockysize", None)
        profile.pop("interleave", None)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(src.read())
    con = sqlite3.connect(path)
    with con:
        con.execute(
            "UPDATE gpkg_2d_gridded_coverage_ancillary SET grid_cell_encoding = ?", (encoding,)
        )
    con.close()
    return path


def test_a_geopackage_coverage_of_values_at_corners_is_placed_at_its_corners(
    tmp_path: Path,
) -> None:
    """Before: a GeoPackage elevation coverage of ``grid_cell_encoding:
    grid-value-is-corner`` (each value at its cell's upper-left corner) read as
    ``AREA_OR_POINT=Point`` on the tile matrix's grid, like one of
    ``grid-value-is-center``: every value went into the cube half a cell south-east of
    its place, exit 0. Now its grid is moved half a cell north-west
    (`raster._gpkg_cell_encoding`, `_corner_shifted`): a cube cell centred between four
    values is their mean."""
    layers, out = _read(_gpkg(tmp_path, "grid-value-is-corner"), units="m")
    stored = np.arange(1600, dtype="float64").reshape(40, 40)
    between = (stored[:-1, :-1] + stored[:-1, 1:] + stored[1:, :-1] + stored[1:, 1:]) / 4
    np.testing.assert_allclose(out[:-1, :-1], between, rtol=1e-6)
    assert "grid-value-is-corner" in layers[0].refs[0].describe()["area_or_point"]


@pytest.mark.parametrize("encoding", ["grid-value-is-center", "grid-value-is-area"])
def test_control_geopackage_coverages_of_centres_and_areas_read_as_before(
    tmp_path: Path, encoding: str
) -> None:
    """Control: coverages of values at their cells' centres or over their areas read on
    the tile matrix's grid, cell for cell."""
    _, out = _read(_gpkg(tmp_path, encoding), units="m")
    np.testing.assert_array_equal(out, np.arange(1600, dtype="float32").reshape(40, 40))


# --- a DEM whose .prj states its heights in feet -------------------------------------------

VERTCS_FEET = (
    'VERTCS["NAVD_1988",VDATUM["North_American_Vertical_Datum_1988"],'
    'PARAMETER["Vertical_Shift",0.0],PARAMETER["Direction",1.0],'
    'UNIT["Foot_US",0.3048006096012192]]'
)
"""The vertical CRS ArcGIS writes after a DEM's ``PROJCS`` in its ``.prj``."""

KEYWORDS = (
    "Projection    UTM\nZone          19\nDatum         WGS84\nZunits        {z}\n"
    "Units         METERS\nSpheroid      WGS84\nXshift        0.0000000000\n"
    "Yshift        0.0000000000\nParameters\n"
)
"""An ArcInfo keyword ``.prj`` of UTM 19N whose heights are in ``Zunits``."""


def _esri_wkt(vertcs: str) -> str:
    import pyproj

    return str(pyproj.CRS("EPSG:32619").to_wkt(version="WKT1_ESRI")) + vertcs


def _ascii_dem(folder: Path, prj: str) -> Path:
    """An ESRI ASCII grid of heights 100..178 on the tiny region's grid, with ``prj`` as
    its ``.prj``."""
    rows = "\n".join(" ".join(str(100 + r + c) for c in range(40)) for r in range(40))
    path = folder / "dem.asc"
    path.write_text(
        f"ncols 40\nnrows 40\nxllcorner {X0}\nyllcorner {Y0}\ncellsize 10\n"
        f"NODATA_value -9999\n{rows}\n"
    )
    path.with_suffix(".prj").write_text(prj)
    return path


def _planned_said(path: Path, **more: Any) -> list[str]:
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    from .test_rasters_round22 import _grid

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_raster(RasterSource(name="dem", path=str(path), **more), _grid())
    return [" ".join(str(w.message).split()) for w in caught]


@pytest.mark.parametrize("form", ["vertcs", "zunits"])
def test_a_dem_whose_prj_states_heights_in_feet_is_warned_against_metres(
    tmp_path: Path, form: str
) -> None:
    """Before: an ASCII DEM whose ``.prj`` ends in ``VERTCS[... UNIT["Foot_US", ...]]``
    (as ArcGIS writes it), or is ArcInfo's keyword ``.prj`` with ``Zunits FEET``,
    configured as ``units: m``, was ingested as metres without a word: GDAL reads the
    horizontal CRS and drops the heights' unit. Now that unit is read from the ``.prj``
    (`raster._prj_vertical_unit`) and warned of as a compound CRS's is, with the scale
    that converts feet to metres; nothing is converted."""
    prj = _esri_wkt(VERTCS_FEET) if form == "vertcs" else KEYWORDS.format(z="FEET")
    said = _planned_said(_ascii_dem(tmp_path, prj), units="m")
    told = [s for s in said if "heights in 'US survey foot'" in s]
    assert len(told) == 1 and "units: m" in told[0] and "scale: 0.3048006096" in told[0], said


@pytest.mark.parametrize(
    "prj",
    [
        _esri_wkt(VERTCS_FEET.replace('UNIT["Foot_US",0.3048006096012192]', 'UNIT["Meter",1.0]')),
        _esri_wkt(""),
        KEYWORDS.format(z="NO"),
        KEYWORDS.format(z="METERS"),
    ],
    ids=["vertcs-metres", "no-vertcs", "zunits-no", "zunits-metres"],
)
def test_control_a_dem_whose_prj_states_no_feet_says_nothing(tmp_path: Path, prj: str) -> None:
    """Control: the same DEM whose ``.prj`` states heights in metres, or none, configured
    as ``m``, plans without a word of heights."""
    said = _planned_said(_ascii_dem(tmp_path, prj), units="m")
    assert not [s for s in said if "heights" in s], said


# --- grids of formats GDAL has no driver for -----------------------------------------------


def _geosoft(path: Path) -> Path:
    """A Geosoft GRD v2 grid as Oasis montaj writes one: a 512-byte binary header
    (element size, storage, elements, vectors, then cell sizes and origin as doubles)
    and 40 x 40 float32 cells; no magic bytes."""
    import struct

    header = struct.pack("<iiiiii", 4, 0, 40, 40, 0, 0)
    header += struct.pack("<dddddd", 10.0, 10.0, X0, Y0, 0.0, 1.0)
    path.write_bytes(header.ljust(512, b"\0") + np.arange(1600, dtype="<f4").tobytes())
    return path


@pytest.mark.parametrize(
    ("name", "said"),
    [("mag.grd", "Geosoft (Oasis montaj) grid"), ("ortho.ecw", "no ECW driver")],
)
def test_a_grid_of_a_format_gdal_has_no_driver_for_says_what_it_is(
    tmp_path: Path, name: str, said: str
) -> None:
    """Before: a Geosoft ``.grd`` (the usual form of a magnetic survey's grids) and an
    ECW image were refused as "cannot read as a raster (corrupt, truncated or not a
    raster): ... not recognized as being in a supported file format", exit 2: the user
    went looking for a damaged file. Now the refusal names the format, that GDAL has no
    driver for it, and the export to give instead (`raster._refuse_unread_format`)."""
    from prospect.errors import InputFileError

    path = tmp_path / name
    if name.endswith(".grd"):
        _geosoft(path)
    else:
        path.write_bytes(b"\x00\x01" * 256)  # not an image GDAL can tell apart
    with pytest.raises(InputFileError) as caught:
        _read(path, units="nT")
    text = " ".join(str(caught.value).split())
    assert said in text and "GeoTIFF" in text and "corrupt" not in text, text


def test_control_a_surfer_grd_reads_as_before(tmp_path: Path) -> None:
    """Control: a Surfer 7 ``.grd`` (GDAL's GS7BG driver) is read as its cells."""
    stored = np.arange(1600, dtype="float32").reshape(40, 40)
    _, out = _read(_write(tmp_path / "mag.grd", stored, driver="GS7BG"), units="nT")
    np.testing.assert_array_equal(out, stored)
