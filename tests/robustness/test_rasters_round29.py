"""Survey rasters read by other numbers than they hold: a world or continental grid whose
box in the region's CRS missed the region (refused) or measured other cells than its own,
a ``nodata`` given as the scaled value of a band's fill, point surfaces of a region in
degrees weighed by degrees, and zarr stores given as rasters.

Found by writing grids into ``tmp_path`` with rasterio (a sparse 30 arc-second world grid
of 43 200 x 21 600 cells, as SRTM30/GMTED/EMAG2 come; int16 grids with GDAL scales and
offsets; zarr stores written by xarray) and planning or ingesting them as a user does
(2026-12-04). Every file here is small or sparse and SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round15 import _source
from .test_rasters_round16 import _write

# --- a world grid in longitude and latitude under a projected region ------------------------

REGIONS = {
    # a 10 km region in Zeeland (RD New), west of RD's box of a world file
    "rd-new-zeeland": ("EPSG:28992", 30000.0, 380000.0),
    # a 10 km region in Lapland (TM35FIN), west of its central meridian
    "tm35fin-lapland": ("EPSG:3067", 450000.0, 7500000.0),
    # a region in UTM 31N east of its central meridian (the Netherlands' east)
    "utm31n": ("EPSG:32631", 680000.0, 5760000.0),
    # RD New's centre (Utrecht)
    "rd-new-utrecht": ("EPSG:28992", 150000.0, 450000.0),
}
"""``crs, left, bottom`` of 10 km regions."""

HEIGHT = 100
"""The value the world grid holds around each region (no data elsewhere)."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC world grid of 30 arc-seconds (43 200 x 21 600 int16 cells, sparse:
    only 512 x 512 cells around each of :data:`REGIONS` are written, :data:`HEIGHT`)."""
    import rasterio
    from pyproj import Transformer
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    path = tmp_path_factory.mktemp("world") / "world_dem_30s.tif"
    profile = {
        "driver": "GTiff",
        "width": 43200,
        "height": 21600,
        "count": 1,
        "dtype": "int16",
        "crs": "EPSG:4326",
        "transform": from_origin(-180, 90, 1 / 120, 1 / 120),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "sparse_ok": True,
        "compress": "deflate",
        "nodata": -32768,
    }
    with rasterio.open(path, "w", **profile) as dst:
        for crs, left, bottom in REGIONS.values():
            lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
                left + 5000, bottom + 5000
            )
            row, col = dst.index(lon, lat)
            dst.write(
                np.full((1, 512, 512), HEIGHT, "int16"),
                window=Window(col - 256, row - 256, 512, 512),
            )
    return path


def _region(key: str, resolution: float) -> object:
    from prospect.grid import RegionGrid

    crs, left, bottom = REGIONS[key]
    return RegionGrid(
        name=key,
        crs=crs,
        resolution=resolution,
        bounds=(left, bottom, left + 10000, bottom + 10000),
        chunks=(50, 50),
    )


def _plan(path: Path | str, grid: object, **more: object) -> tuple[list, list[str]]:
    """The layers of planning a raster source of ``path`` on ``grid``, and the data
    warnings said."""
    from prospect.config.sources import RasterSource
    from prospect.errors import DataWarning
    from prospect.ingest.rasters import plan_raster

    source = RasterSource(name="dem", path=str(path), units="m", **more)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_raster(source, grid)
    return layers, [
        " ".join(str(w.message).split()) for w in caught if issubclass(w.category, DataWarning)
    ]


@pytest.mark.parametrize("key", ["rd-new-zeeland", "tm35fin-lapland"])
def test_a_world_grid_in_degrees_covers_a_projected_region_west_of_its_box(
    world: Path, key: str
) -> None:
    """Before: a world DEM in longitude and latitude, for a 10 km region in Zeeland (RD
    New) or Lapland (TM35FIN), was refused: "none of its files overlap the region", exit
    1 (in RD New with "the region's bounds, read with their two axes swapped, cover the
    files"): the world's edges, taken into those CRSs, bound a box that misses their
    interior (`RasterInfo.bounds_in`). Now the region's box in the file's CRS is looked
    at too, and the layer holds the file's values."""
    grid = _region(key, 100.0)
    layers, _ = _plan(world, grid)
    window = next(iter(grid.chunk_windows()))
    values = layers[0].compute(grid, window)
    np.testing.assert_array_equal(values, np.full(window.shape, HEIGHT, "f4"))


@pytest.mark.parametrize(
    ("key", "resolution", "resampling"),
    [
        ("utm31n", 250.0, "bilinear"),  # 250 m from 730 m cells: not a coarsening
        ("rd-new-utrecht", 2000.0, "average"),  # 2 km from 730 m cells: a coarsening
    ],
)
def test_a_world_grids_resampling_is_chosen_by_its_cells_at_the_region(
    world: Path, key: str, resolution: float, resampling: str
) -> None:
    """Before: the file's cell size was its whole box in the region's CRS over its cell
    count: 118 m in UTM 31N, 10 186 m in RD New for cells of about 730 m there, so a
    250 m UTM region was read by ``average`` (a coarsening of 118 m cells) and a 2 km RD
    region by ``bilinear`` (no coarsening of 10 km cells: every cube cell one point of
    the DEM, not its mean), exit 0, no word. Now the cell is measured where the file
    meets the region."""
    layers, _ = _plan(world, _region(key, resolution))
    assert [ref.resampling for ref in layers[0].refs] == [resampling]


def test_a_world_grids_coarse_warning_names_its_cells_at_the_region(world: Path) -> None:
    """Before: a 100 m RD New region from the world DEM was warned of with cells "about
    10190 m, 102 times the cells of the region, so each file cell spans about 10375 cube
    cells". Now the cells it names are those at the region (about 728 m, 7.3 times)."""
    _, said = _plan(world, _region("rd-new-utrecht", 100.0))
    coarse = [s for s in said if "its cells are about" in s]
    assert len(coarse) == 1 and "about 727" in coarse[0] and "7.28 times" in coarse[0], said


def test_control_a_file_of_the_regions_size_in_degrees_keeps_its_cell_size(
    tmp_path: Path,
) -> None:
    """Control: a grid in longitude and latitude about the size of a UTM region is
    measured as before (its cells, within a per cent), and keeps its resampling."""
    from pyproj import Transformer
    from rasterio.transform import from_origin

    from prospect.grid import RegionGrid
    from prospect.ingest.rasters import _res_in_grid_units
    from prospect.io.raster import raster_info

    lon, lat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True).transform(
        X0, Y0 + 400
    )
    step = 0.0001  # about 11 m
    path = _write(
        tmp_path / "small.tif",
        np.ones((60, 60), "f4"),
        crs="EPSG:4326",
        transform=from_origin(lon - 10 * step, lat + 10 * step, step, step),
    )
    grid = RegionGrid(
        name="tiny",
        crs="EPSG:32619",
        resolution=10.0,
        bounds=(X0, Y0, X0 + 400, Y0 + 400),
        chunks=(20, 20),
    )
    info = raster_info(path)
    left, bottom, right, top = info.bounds_in(grid.crs_obj)
    whole = float(np.sqrt((right - left) * (top - bottom) / (info.width * info.height)))
    assert _res_in_grid_units(info, grid) == pytest.approx(whole, rel=0.01)
    layers, _ = _plan(path, grid)
    assert [ref.resampling for ref in layers[0].refs] == ["bilinear"]


def test_control_a_file_beside_the_region_is_still_refused(tmp_path: Path) -> None:
    """Control: a grid in longitude and latitude 1 degree east of the region overlaps
    nothing and is refused as before."""
    from pyproj import Transformer
    from rasterio.transform import from_origin

    from prospect.errors import DataError

    from .test_rasters_round22 import _grid

    lon, lat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True).transform(
        X0, Y0 + 400
    )
    path = _write(
        tmp_path / "beside.tif",
        np.ones((60, 60), "f4"),
        crs="EPSG:4326",
        transform=from_origin(lon + 1, lat, 0.001, 0.001),
    )
    with pytest.raises(DataError, match="none of its files overlap"):
        _plan(path, _grid())


# --- a nodata given as the scaled value of a fill the band holds ----------------------------

PACKED = (np.arange(1600).reshape(40, 40) % 50 + 100).astype("int16")
"""A SYNTHETIC int16 grid of packed values (100..149)."""


def _holed(path: Path, fill: int, *, scale: float = 1.0, offset: float = 0.0) -> Path:
    """:data:`PACKED` with scattered holes of ``fill`` (2 % of the cells, none at a
    corner: the fill check's corners and shares see nothing), and the file's GDAL
    ``scale``/``offset``."""
    import rasterio

    grid = PACKED.copy()
    grid[5:35:6, 5:35:5] = fill
    _write(path, grid)
    if (scale, offset) != (1.0, 0.0):
        with rasterio.open(path, "r+") as dst:
            dst.scales, dst.offsets = (scale,), (offset,)
    return path


@pytest.mark.parametrize(
    ("fill", "nodata", "scale", "offset", "whose"),
    [
        (-10000, -5000, 0.5, 0.0, "file"),  # the fill as a viewer shows it
        (-10000, -5000, 0.5, 0.0, "config"),  # the config's scale
        (-1000, 0, 1.0, 1000.0, "file"),  # an offset alone: the fill shows as 0
    ],
    ids=["file-scale", "config-scale", "file-offset"],
)
def test_a_nodata_given_as_the_scaled_fill_the_band_could_hold_is_refused(
    tmp_path: Path, fill: int, nodata: float, scale: float, offset: float, whose: str
) -> None:
    """Before: ``nodata: -5000`` for an int16 grid whose holes hold -10000 under a scale
    of 0.5 (the file's or the config's), or ``nodata: 0`` for holes of -1000 under an
    offset of 1000, was taken as the stored number: it marked no cell, and every hole went
    into the cube as -5000 (or 0), exit 0, without a word (round 28 told only a scaled
    nodata the band cannot hold). Now refused, naming the stored fill to give."""
    from prospect.errors import ConfigError

    path = _holed(
        tmp_path / "grid.tif",
        fill,
        **({"scale": scale, "offset": offset} if whose == "file" else {}),
    )
    more = {"scale": scale, "offset": offset} if whose == "config" else {}
    with pytest.raises(ConfigError) as caught:
        _plan(path, _tiny(), nodata=nodata, **more)
    said = " ".join(str(caught.value).split())
    assert f"'nodata: {fill}'" in said and "grid.tif" in said and f"scale {scale:g}" in said


def test_a_scaled_nodata_is_refused_by_the_command_with_exit_2(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """Before: ``prospect ingest`` wrote the holes as -5000, exit 0. Now exit 2 and one
    clean line, nothing written."""
    _holed(sandbox.root / "grid.tif", -10000, scale=0.5)
    result = _ingest(sandbox, cli, scheduler, sources=_source("grid.tif", nodata=-5000))
    assert_clean_error(result, 2, "nodata -5000", "scale 0.5", "'nodata: -10000'")
    assert not (sandbox.out / "cube.zarr" / "heat").exists()


def _tiny() -> object:
    from .test_rasters_round22 import _grid

    return _grid()


@pytest.mark.parametrize(
    ("fill", "nodata"),
    [(-10000, -10000), (-5000, -5000)],
    ids=["stored-fill", "fill-held-as-given"],
)
def test_control_a_nodata_the_band_holds_marks_its_cells(
    tmp_path: Path, fill: int, nodata: float
) -> None:
    """Control: under the file's scale 0.5, ``nodata: -10000`` marks holes of -10000,
    and ``nodata: -5000`` marks holes that hold -5000 itself: both read as no data."""
    path = _holed(tmp_path / "grid.tif", fill, scale=0.5)
    grid = _tiny()
    layers, _ = _plan(path, grid, nodata=nodata)
    window = next(iter(grid.chunk_windows()))
    values = layers[0].compute(grid, window)
    holes = np.zeros((40, 40), bool)
    holes[5:35:6, 5:35:5] = True
    np.testing.assert_array_equal(np.isnan(values), holes[window.rows, window.cols])


def test_control_a_nodata_whose_stored_number_is_a_measurement_is_kept(tmp_path: Path) -> None:
    """Control: ``nodata: 0`` for a uint16 reflectance band under ``scale: 0.0001``,
    ``offset: -0.1`` (Sentinel-2 since baseline 04.00), whose DN 1000 (reflectance 0)
    occurs among its values and no DN 0 does: 0 is the stored fill as written, not
    refused."""
    dn = (np.arange(1600).reshape(40, 40) % 500 + 990).astype("uint16")
    path = _write(tmp_path / "b04.tif", dn)
    layers, _ = _plan(path, _tiny(), nodata=0, scale=0.0001, offset=-0.1)
    assert [ref.nodata for ref in layers[0].refs] == [0]


# --- IDW and kriging surfaces of a region in degrees ------------------------------------------


def _degree_told(tmp_path: Path, crs: str, interpolate: list[str]) -> list[str]:
    """The degree warnings of planning a points source of 20 SYNTHETIC wells with
    ``interpolate`` in a region of ``crs`` (a small box at 52 N in EPSG:4326, or the
    tiny UTM region)."""
    from prospect.config.sources import PointSource
    from prospect.errors import DataWarning
    from prospect.grid import RegionGrid
    from prospect.ingest.surfaces import plan_points

    if crs == "EPSG:4326":
        grid = RegionGrid(
            name="deg", crs=crs, resolution=0.001, bounds=(5.0, 52.0, 5.04, 52.04), chunks=(20, 20)
        )
        x0, y0, step = 5.0005, 52.0005, 0.002
    else:
        grid = _tiny()
        x0, y0, step = X0 + 5, Y0 + 5, 20.0
    rows = [
        f"{x0 + step * i:.6f},{y0 + step * ((7 * i) % 20):.6f},{10 + (i * 13) % 17}"
        for i in range(20)
    ]
    (tmp_path / "wells.csv").write_text("x,y,li\n" + "\n".join(rows) + "\n")
    source = PointSource(
        name="wells",
        path=str(tmp_path / "wells.csv"),
        x="x",
        y="y",
        crs=crs,
        columns=["li"],
        interpolate=interpolate,
        units={"li": "mg/L"},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_points(source, grid)
    return [
        " ".join(str(w.message).split())
        for w in caught
        if issubclass(w.category, DataWarning) and "degree" in str(w.message)
    ]


@pytest.mark.parametrize("interpolate", [["idw"], ["kriging"]])
def test_point_surfaces_of_a_region_in_degrees_are_no_longer_warned_of(
    tmp_path: Path, interpolate: list[str]
) -> None:
    """Before: IDW and kriging surfaces of a region in EPSG:4326 weighed their points by
    distances in degrees (at 52 N an east-west neighbour counts 1.6 times as far as one
    as far north), exit 0, without a word (round 28 warned of the distance layer only).
    Round 29 warned of it; since round 31 they weigh by distances on the ground
    (`surfaces.ground_frame`, tests/robustness/test_rasters_round31.py), so nothing is
    left to warn of."""
    assert _degree_told(tmp_path, "EPSG:4326", interpolate) == []


def test_control_point_surfaces_of_a_projected_region_say_nothing_of_degrees(
    tmp_path: Path,
) -> None:
    """Control: the same surfaces in the UTM region are not warned of."""
    assert _degree_told(tmp_path, "EPSG:32619", ["idw", "kriging"]) == []


# --- zarr stores given as rasters -----------------------------------------------------------


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """SYNTHETIC zarr stores of two gridded variables (``mag``, ``grav``) on the tiny
    region's cells, as xarray writes them: zarr v2 and v3."""
    import xarray as xr

    root = tmp_path_factory.mktemp("stores")
    values = (np.arange(1600, dtype="f4").reshape(40, 40) % 97) + 1
    ds = xr.Dataset(
        {"mag": (("y", "x"), values), "grav": (("y", "x"), values * 2)},
        coords={"x": X0 + 5 + 10 * np.arange(40), "y": Y0 + 395 - 10 * np.arange(40)},
    )
    out = {}
    for version in (2, 3):
        out[f"v{version}"] = root / f"survey_v{version}.zarr"
        ds.to_zarr(out[f"v{version}"], zarr_format=version, consolidated=False)
    return out


@pytest.mark.parametrize(
    ("store", "inner", "variable"),
    [("v2", "", None), ("v3", "", "mag"), ("v3", "grav", None)],
    ids=["v2-store", "v3-store-variable", "v3-array"],
)
def test_a_zarr_store_given_as_a_raster_is_named_with_the_fix(
    stores: dict[str, Path], store: str, inner: str, variable: str | None
) -> None:
    """Before: a zarr store (or one of its arrays) given as a raster source's path was
    "a folder, not a raster file; give the path of the file inside it in the config",
    and no file inside a zarr store is a raster (its chunks). Now the store and its
    arrays are named, with the GeoTIFF to write of the one meant (``gdal_translate
    'ZARR:"<store>":/<array>'``, which reads the store's x/y grid, where GDAL reads the
    store; from Python where it does not: GDAL 3.10 reads no zarr v3 array of zarr-python
    3's ``bytes`` codec)."""
    from prospect.errors import InputFileError
    from prospect.io.raster import raster_info

    path = stores[store] / inner if inner else stores[store]
    with pytest.raises(InputFileError) as caught:
        raster_info(path, variable=variable)
    said = " ".join(str(caught.value).split())
    meant = inner or variable or "grav"
    assert "zarr store" in said and "file inside it" not in said, said
    by_gdal = f"gdal_translate 'ZARR:\"{stores[store]}\":/{meant}' {meant}.tif" in said
    by_python = f"xarray.open_zarr('{stores[store]}')['{meant}']" in said  # GDAL < 3.11, v3
    assert by_gdal if store == "v2" else (by_gdal or by_python), said


def test_gdals_name_of_a_zarr_array_is_refused_with_the_fix_that_works(
    stores: dict[str, Path],
) -> None:
    """Before: ``path: 'ZARR:"survey.zarr":/mag'`` was told to "give 'path: survey.zarr'
    (its first dataset)", which is then refused as a folder. Now the fix is the GeoTIFF
    of the array."""
    from prospect.errors import ConfigError
    from prospect.io.raster import raster_info

    name = f'ZARR:"{stores["v2"]}":/mag'
    with pytest.raises(ConfigError) as caught:
        raster_info(name)
    said = " ".join(str(caught.value).split())
    assert "its first dataset" not in said and f"gdal_translate '{name}' mag.tif" in said


def test_control_a_plain_folder_is_still_a_folder(tmp_path: Path) -> None:
    """Control: a folder that is no zarr store is told as before."""
    from prospect.errors import InputFileError
    from prospect.io.raster import raster_info

    (tmp_path / "grids").mkdir()
    with pytest.raises(InputFileError, match="a folder, not a raster file"):
        raster_info(tmp_path / "grids")


def test_control_a_geotiff_of_a_zarr_array_is_read(stores: dict[str, Path], tmp_path: Path) -> None:
    """Control: the fix works: the GeoTIFF GDAL writes of the store's array (as
    ``gdal_translate`` does), with the CRS given, is read on its cells."""
    from rasterio.shutil import copy as rio_copy

    rio_copy(f'ZARR:"{stores["v2"]}":/grav', str(tmp_path / "grav.tif"), driver="GTiff")
    grid = _tiny()
    layers, _ = _plan(tmp_path / "grav.tif", grid, crs="EPSG:32619")
    window = next(iter(grid.chunk_windows()))
    values = (np.arange(1600, dtype="f4").reshape(40, 40) % 97 + 1) * 2
    np.testing.assert_array_equal(layers[0].compute(grid, window), values[window.rows, window.cols])
