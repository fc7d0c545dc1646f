"""Imagery reads and the warp, fuzzed again (round 31, second pass, 2026-12-05).

A band read through its source pixels (a cloud-masked band, a band of a CF
``valid_min``/``valid_max``, a second fill, ``exact_fill``: :func:`read_masked_band`)
must give the cells the plain warped view gives (:func:`read_warped_window`) where no
pixel is dropped; a geometric median of one radiance spelt two ways is one unit; a model
grid's warp of an unsigned code layer without ``_FillValue`` works.

All rasters are SYNTHETIC, written into ``tmp_path`` with rasterio (random DNs of a
50 x 50 int32 band on 7 m or 13 m cells that covers part of a 40 x 40 grid of 10 m
cells, as a scene covers part of a region). Each defect case failed before its fix; the
controls keep reading as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.enums import Resampling
from rasterio.shutil import copy as rio_copy
from rasterio.transform import from_origin
from rasterio.warp import reproject

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError
from prospect.grid import RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.masked import read_masked_band
from prospect.ingest.rasters import plan_raster
from prospect.io.cube import grid_template
from prospect.io.raster import raster_info
from prospect.io.warp import (
    read_warped_window,
    reproject_variable,
    reprojected_dataarray,
    resampling_enum,
)

X0, Y0 = 500000.0, 1350000.0
GRID = RegionGrid(
    crs="EPSG:32619",
    resolution=10.0,
    bounds=(X0, Y0, X0 + 400, Y0 + 400),
    chunks=(20, 20),
    name="tiny31b",
)


def _band(path: Path, res: float, n: int = 50, **tags: str) -> Path:
    """A SYNTHETIC int32 band of random DNs (-500..3000) on ``res`` m cells whose corner
    lies 38.7 m west and north of the grid's, covering part of :data:`GRID`."""
    values = np.random.default_rng(0).integers(-500, 3000, (n, n)).astype("int32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="int32",
        crs="EPSG:32619",
        nodata=-9999,
        transform=from_origin(X0 - 40 + 1.3, Y0 + 440 - 1.3, res, res),
    ) as f:
        f.write(values, 1)
        if tags:
            f.update_tags(1, **tags)
    return path


def _both(path: Path, resampling: str) -> tuple[np.ndarray, np.ndarray]:
    """The whole grid read through the source block and through the warped view."""
    info = raster_info(path)
    block, view = np.empty(GRID.shape, np.float32), np.empty(GRID.shape, np.float32)
    for w in GRID.chunk_windows():
        block[w.rows, w.cols] = read_masked_band(
            info, 1, None, GRID, w, nodata=None, scale=1.0, offset=0.0, resampling=resampling
        )
        view[w.rows, w.cols] = read_warped_window(
            info, 1, GRID, w, resampling=resampling_enum(resampling)
        )
    return block, view


def _same(block: np.ndarray, view: np.ndarray) -> None:
    assert np.array_equal(np.isnan(block), np.isnan(view))
    assert (~np.isnan(view)).sum() > 500  # the scene covers most of the grid
    np.testing.assert_allclose(block, view, rtol=2e-7, atol=2e-4, equal_nan=True)


# -- 1. a kernel resampled to coarser cells: source block against the warped view ------


@pytest.mark.parametrize(
    "resampling", ["bilinear", "cubic", "cubic_spline", "lanczos", "nearest", "average", "mode"]
)
def test_a_coarsened_band_reads_the_same_through_its_source_block(
    tmp_path: Path, resampling: str
) -> None:
    """Before: a band of 7 m cells covering part of a 10 m grid, read bilinear through its
    source block (as every cloud-masked or valid-range band is) differed from the plain
    warped view in 961 of its 961 covered cells, by up to 582 of 3000 (cubic 685, lanczos
    969), exit 0: GDAL's warper sized the kernel from the source pixels inside the file
    of the region it warped (the whole grid for the view, one chunk for the block). Now
    both state the whole grid's scale. nearest, average and mode are controls."""
    block, view = _both(_band(tmp_path / "b.tif", 7.0), resampling)
    _same(block, view)


@pytest.mark.parametrize("resampling", ["bilinear", "cubic", "lanczos"])
def test_a_refined_band_reads_the_same_through_its_source_block(
    tmp_path: Path, resampling: str
) -> None:
    """Control: a band of 13 m cells warped onto 10 m (upsampling) read the same both
    ways before and after."""
    block, view = _both(_band(tmp_path / "b.tif", 13.0, n=40), resampling)
    _same(block, view)


def test_a_band_covering_the_grid_keeps_its_values(tmp_path: Path) -> None:
    """Control: a band of 7 m cells covering the whole grid and more reads the same both
    ways, and its warped view equals one GDAL warp of the whole grid (no scale stated)."""
    path = _band(tmp_path / "b.tif", 7.0, n=80)
    block, view = _both(path, "bilinear")
    _same(block, view)
    whole = np.full(GRID.shape, np.nan, np.float32)
    with rasterio.open(path) as src:
        reproject(
            rasterio.band(src, 1),
            whole,
            dst_transform=GRID.transform,
            dst_crs="EPSG:32619",
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
    assert np.array_equal(whole, view)


def test_a_netcdf_of_valid_bounds_reads_as_its_plain_band(tmp_path: Path) -> None:
    """Before: a NetCDF band of CF ``valid_min``/``valid_max`` (read through its source
    block to drop values outside them) on 7 m cells, ingested bilinear onto a 10 m grid,
    differed from the same band in a GeoTIFF by up to 582, exit 0. Now equal."""
    tif = _band(tmp_path / "b.tif", 7.0, valid_min="-10000", valid_max="100000")
    nc = tmp_path / "b.nc"
    rio_copy(str(tif), str(nc), driver="netCDF")
    out = {}
    for name, path in (("tif", tif), ("nc", nc)):
        src = RasterSource.model_validate(
            {"name": name, "path": str(path), "resampling": "bilinear"}
        )
        layer = plan_raster(src, GRID)[0]
        out[name] = np.empty(GRID.shape, np.float32)
        for w in GRID.chunk_windows():
            out[name][w.rows, w.cols] = layer.compute(GRID, w)
    _same(out["nc"], out["tif"])


# -- 2. a geometric median of one radiance spelt two ways ----------------------------------


def _radiance_item(tmp_path: Path, n: int, units: dict[str, str]) -> dict[str, Any]:
    assets = {}
    for key, unit in units.items():
        path = tmp_path / f"r{n}_{key}.tif"
        with rasterio.open(
            path,
            "w",
            driver="GTiff",
            width=40,
            height=40,
            count=1,
            dtype="float32",
            crs="EPSG:32619",
            nodata=np.nan,
            transform=GRID.transform,
        ) as f:
            f.write(np.full((40, 40), 80.0 + n + len(key), "float32"), 1)
        assets[key] = {
            "href": str(path),
            "roles": ["data"],
            "raster:bands": [{"unit": unit, "data_type": "float32"}],
        }
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"rad{n}",
        "geometry": None,
        "properties": {"datetime": f"2024-06-0{n + 1}T10:30:00Z", "proj:epsg": 32619},
        "assets": assets,
        "links": [],
    }


def _geomedian(tmp_path: Path, units: dict[str, str]) -> list[Any]:
    stac = tmp_path / "c.json"
    stac.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [_radiance_item(tmp_path, n, units) for n in range(3)],
            }
        )
    )
    src = RasterSource.model_validate(
        {
            "name": "rad",
            "stac": str(stac),
            "assets": {k: k for k in units},
            "composite": {"method": "geomedian"},
        }
    )
    return plan_composite(src, GRID)


def test_a_geomedian_of_one_radiance_spelt_two_ways_is_read(tmp_path: Path) -> None:
    """Before: bands stating ``W m-2 sr-1 um-1`` and ``W/(m2 sr um)``, one unit, were
    refused "its items state the bands in other units", exit 1. Now composited."""
    layers = _geomedian(tmp_path, {"b1": "W m-2 sr-1 um-1", "b2": "W/(m2 sr um)"})
    assert [la.name for la in layers][:2] == ["b1", "b2"]
    w = next(iter(GRID.chunk_windows()))
    assert layers[1].compute(GRID, w)[0, 0] == pytest.approx(83.0)


def test_a_geomedian_of_radiance_and_temperature_is_still_refused(tmp_path: Path) -> None:
    """Control: a radiance beside a temperature (K) is refused as before, naming both."""
    with pytest.raises(ConfigError, match=r"b1 in 'W m-2 sr-1 um-1'; b2 in 'K'"):
        _geomedian(tmp_path, {"b1": "W m-2 sr-1 um-1", "b2": "K"})


# -- 3. a model grid's warp of unsigned codes without _FillValue ---------------------------


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int16"])
def test_unsigned_codes_without_a_fill_warp_onto_a_model_grid(dtype: str) -> None:
    """Before: ``reprojected_dataarray`` of a uint8/uint16 layer stating no
    ``_FillValue`` warped with nodata -1, which GDAL refused with a bare ValueError. Now
    warped; int16 (nodata -1 as before) is the control."""
    codes = np.arange(1600, dtype="int64").reshape(40, 40) % 7 + 1
    da = xr.DataArray(codes.astype(dtype), dims=("y", "x"), name="unit")
    dst = RegionGrid(
        crs="EPSG:32619", resolution=20.0, bounds=GRID.bounds, chunks=(10, 10), name="model"
    )
    out = reprojected_dataarray(
        da, GRID, dst, grid_template(dst), resampling=Resampling.nearest
    ).values
    assert out.dtype == np.dtype(dtype) and out.shape == (20, 20)
    assert set(np.unique(out)) <= set(range(1, 8))


# -- 4. a cell's value depends on the pixels under its kernel, not on where the file ends --


def _cropped(path: Path, out: Path, cols: int) -> Path:
    with rasterio.open(path) as src:
        profile = {**src.profile, "width": cols}
        data = src.read(1, window=rasterio.windows.Window(0, 0, cols, src.height))
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data, 1)
    return out


@pytest.mark.parametrize("resampling", ["bilinear", "lanczos"])
def test_a_scene_ending_inside_the_grid_keeps_its_inner_values(
    tmp_path: Path, resampling: str
) -> None:
    """Before: a 7 m band covering the whole 10 m grid and the same band cut to its first
    44 columns (ending 27 cells into the grid, as a scene's edge does), read plainly,
    gave other values in every cell 17 cells and more inside the cut's edge (GDAL's
    warper sized the kernel by the part of the warped block the file covered), by up to
    620 of 3000 (bilinear; lanczos 1040), exit 0. Now the cells away from the cut's edge
    equal the whole band's."""
    whole = _band(tmp_path / "whole.tif", 7.0, n=80)
    cut = _cropped(whole, tmp_path / "cut.tif", 44)
    a, b = _both(whole, resampling)[1], _both(cut, resampling)[1]
    inner = slice(0, 10)  # the cut ends at x = 269.3 m, cell 26.9; its kernel reaches 4 cells
    np.testing.assert_allclose(b[:, inner], a[:, inner], rtol=2e-7, atol=2e-4)


def test_a_model_grid_warp_keeps_its_values_in_the_cubes_last_chunk() -> None:
    """Before: ``reproject_variable`` of a cube of 7 m cells onto a model's 10 m grid
    (bilinear, chunks of 20) gave the chunks reaching past the cube's end a narrower
    kernel than the chunks inside: 910 cells of the cube's interior differed from the
    same cube's warp with 20 more columns by up to 83 of 1000. Now equal."""
    rng = np.random.default_rng(1)
    a = (rng.random((100, 100)) * 1000).astype("float32")
    dst = RegionGrid(
        crs="EPSG:32619",
        resolution=10.0,
        bounds=(X0, Y0, X0 + 700, Y0 + 700),
        chunks=(20, 20),
        name="model",
    )
    out = []
    for cols in (100, 80):
        src = RegionGrid(
            crs="EPSG:32619",
            resolution=7.0,
            bounds=(X0 + 1.3, Y0, X0 + 1.3 + 7 * cols, Y0 + 700),
            chunks=(20, 20),
            name="cube",
        )
        out.append(
            reproject_variable(a[:, :cols], src, dst, resampling=Resampling.bilinear).compute()
        )
    # the 80 columns end at x = 561.3 m (cell 56.1); a kernel of 1.43 px reaches 2 cells
    np.testing.assert_allclose(out[1][:, :53], out[0][:, :53], rtol=2e-7, atol=2e-4)
