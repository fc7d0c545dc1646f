"""Round 15: raster sources stored, georeferenced and valued the ways GDAL allows, and the
tile server asked what clients may ask.

Found by writing rasters with rasterio into ``tmp_path`` one property at a time (block
layout, georeferencing, data type, nodata, masks, scale/offset, units, extent) and feeding
them to the real ``prospect`` CLI, and by sending odd requests to a real ``prospect serve``
(2026-12-02). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import TINY_REGION, Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest


def _write(path: Path, data: np.ndarray | None, *, shape: tuple[int, ...] | None = None,
           dtype: str = "float32", transform: Any = None, **profile: Any) -> Path:
    """A GeoTIFF (SYNTHETIC) on the tiny region's 10 m grid unless ``transform`` says
    otherwise; ``data`` ``None`` writes no block at all (a sparse file: GDAL reads its
    blocks as zeros), so a file of huge blocks costs nothing on disk."""
    import rasterio
    from rasterio.transform import from_origin

    count, height, width = (1, *data.shape) if data is not None and data.ndim == 2 else \
        data.shape if data is not None else (1, *(shape or (40, 40)))
    prof = {"driver": "GTiff", "width": width, "height": height, "count": count,
            "dtype": str(data.dtype) if data is not None else dtype, "crs": "EPSG:32619",
            "transform": transform or from_origin(X0, Y0 + 400, 10, 10), **profile}
    with rasterio.open(path, "w", **prof) as dst:
        if data is not None:
            dst.write(data if data.ndim == 3 else data[None])
    return path


def _source(path: str, **more: object) -> list[dict[str, object]]:
    return [{"kind": "raster", "name": "heat", "path": path, "units": "1", **more}]


def _cube(box: Sandbox, variable: str = "heat") -> np.ndarray:
    import xarray as xr

    return np.asarray(xr.open_zarr(box.out / "cube.zarr")[variable].values)


# --- a source stored in blocks no task can hold ---------------------------------------------

@pytest.mark.parametrize("through", ["file", "vrt"])
def test_a_geotiff_of_one_giant_tile_is_refused_naming_the_block_and_the_fix(
        sandbox: Sandbox, cli, scheduler: str, through: str) -> None:
    """Before: a file written as one 8208 x 8208 float32 tile (257 MiB), or a VRT over it
    (whose own blocks are 128 x 128), was ingested with every chunk task decoding the
    whole tile for its 20 x 20 cells (memory and time that grow with the file, not the
    chunk), exit 0, no word."""
    import rasterio
    from rasterio.transform import from_origin

    _write(sandbox.root / "huge.tif", None, shape=(8208, 8208), tiled=True,
           blockxsize=8208, blockysize=8208, sparse_ok=True,
           transform=from_origin(X0, Y0 + 400, 0.05, 0.05))
    name = "huge.tif"
    if through == "vrt":
        from rasterio.shutil import copy as rio_copy

        with rasterio.open(sandbox.root / "huge.tif") as src:
            rio_copy(src, sandbox.root / "mosaic.vrt", driver="VRT")
        name = "mosaic.vrt"
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    line = assert_clean_error(result, 1, "huge.tif", "of the whole image (8208 x 8208",
                              "257.0 MiB", "per thread", "TILED=YES", "BLOCKXSIZE=512",
                              "PROSPECT_MAX_BLOCK_BYTES")
    if through == "vrt":
        assert "mosaic.vrt: its source" in line
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


@pytest.mark.parametrize(("shape", "dtype", "said"), [
    ((800, 800), "float32", "one block (a strip or tile) of the whole image (800 x 800"),
    ((2400, 600), "uint8", "one strip of the whole image (2400 x 600"),
], ids=["decoded-whole", "read-line-by-line"])
def test_a_compressed_single_strip_geotiff_over_the_limit_is_refused(
        sandbox: Sandbox, cli, scheduler: str, monkeypatch: pytest.MonkeyPatch,
        shape: tuple[int, int], dtype: str, said: str) -> None:
    """Before: a one-strip file was read with its whole strip in memory for any chunk:
    decoded whole (up to 2000 rows), or, taller, read line by line by GDAL while libtiff
    loads the strip's compressed bytes whole (a 40 000 x 40 000 float DEM deflated:
    gigabytes per task); no limit was asked."""
    from rasterio.transform import from_origin

    monkeypatch.setenv("PROSPECT_MAX_BLOCK_BYTES", str(2**20))
    noise = np.random.default_rng(1).integers(0, 250, shape).astype(dtype)
    _write(sandbox.root / "strip.tif", noise, blockysize=shape[0], compress="deflate",
           transform=from_origin(X0, Y0 + 400, 400 / shape[1], 400 / shape[0]))
    result = _ingest(sandbox, cli, scheduler, sources=_source("strip.tif"))
    assert_clean_error(result, 1, "strip.tif", said, "over the limit of 1.0 MiB",
                       "gdal_translate -co TILED=YES")
    assert sandbox.untouched()


def test_a_single_strip_of_few_bytes_and_strips_of_a_few_rows_still_read(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: an uncompressed one-strip file (GDAL reads it line by line, nothing whole)
    and a file of 4-row deflate strips read as before."""
    values = np.arange(1600, dtype="f4").reshape(40, 40)
    _write(sandbox.root / "one.tif", values, blockysize=40)
    _write(sandbox.root / "rows.tif", values + 1, blockysize=4, compress="deflate")
    sources = [*_source("one.tif"), {"kind": "raster", "name": "rows", "path": "rows.tif",
                                     "units": "1"}]
    result = _ingest(sandbox, cli, scheduler, sources=sources)
    assert result.code == 0, result.err[-2000:]
    np.testing.assert_array_equal(_cube(sandbox), values)
    np.testing.assert_array_equal(_cube(sandbox, "rows"), values + 1)


def test_plan_counts_the_decoded_block_in_the_memory_per_task(
        sandbox: Sandbox, cli) -> None:
    """Before: ``prospect plan`` said 3 KiB per ingest task for 20 x 20 chunks of a file of
    4096 x 4096 float32 tiles, every one of which a task decodes whole (64 MiB, beyond the
    warp's 32 MiB block cache)."""
    from rasterio.transform import from_origin

    _write(sandbox.root / "big.tif", None, shape=(8192, 8192), tiled=True,
           blockxsize=4096, blockysize=4096, sparse_ok=True, nodata=float("nan"),
           transform=from_origin(X0, Y0 + 400, 0.05, 0.05))
    sandbox.write_job(sources=_source("big.tif"))
    result = cli("plan", sandbox.job_path, "--json")
    assert result.code == 0, result.err[-2000:]
    plan = json.loads(result.out)
    ingest = next(s for s in plan["stages"] if s["name"] == "ingest")
    assert ingest["bytes_per_task"] >= 4096 * 4096 * 4
    assert plan["memory_per_worker"] >= 4096 * 4096 * 4


def test_serve_refuses_a_cog_of_one_giant_tile_at_start(sandbox: Sandbox, cli) -> None:
    """Before: ``prospect serve --check`` said OK for a layer file of one 8208 x 8208 tile;
    every tile request would then decode 257 MiB."""
    import yaml

    _write(sandbox.root / "huge.tif", None, shape=(8208, 8208), tiled=True,
           blockxsize=8208, blockysize=8208, sparse_ok=True, nodata=float("nan"))
    config = sandbox.root / "serve.yaml"
    config.write_text(yaml.safe_dump({"layers": [{"name": "p", "cog": "huge.tif"}]}))
    assert_clean_error(cli("serve", config, "--check"), 1, "huge.tif", "8208 x 8208",
                       "TILED=YES")


# --- masks: an alpha band, and a mask band beside a nodata value ----------------------------

def _with_alpha(path: Path, values: np.ndarray, alpha: np.ndarray) -> Path:
    import rasterio
    from rasterio.enums import ColorInterp

    _write(path, np.stack([values, alpha]).astype("uint8"))
    with rasterio.open(path, "r+") as dst:
        dst.colorinterp = (ColorInterp.gray, ColorInterp.alpha)
    return path


OPAQUE = np.where(np.arange(1600).reshape(40, 40) < 400, 0, 255)
"""An alpha band or mask hiding the first 10 rows (a collar)."""


def test_an_alpha_band_is_the_mask_of_its_band_not_a_band_of_its_own(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a grey + alpha file (GDAL's usual way to mask a collar) was "has 2 bands;
    name each one with band_names", and named so, its alpha band became a layer of 0 and
    255 beside the data. The alpha band is the data band's mask: one layer, the masked
    cells no data."""
    values = np.arange(1600).reshape(40, 40) % 200
    _with_alpha(sandbox.root / "grey.tif", values, OPAQUE)
    result = _ingest(sandbox, cli, scheduler, sources=_source("grey.tif"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:10]).all()
    np.testing.assert_array_equal(cube[10:], values[10:])


def test_naming_an_alpha_band_as_a_band_is_refused_saying_it_is_the_mask(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: ``band_names: [heat, alpha]`` made a layer 'alpha' of the mask's 0 and 255
    values, exit 0, no word."""
    _with_alpha(sandbox.root / "grey.tif", np.ones((40, 40)), OPAQUE)
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("grey.tif", band_names=["heat", "alpha"]))
    assert_clean_error(result, 1, "grey.tif", "has 1 band(s) and 1 alpha band(s) masking",
                       "names 2 (heat, alpha)")
    assert not (sandbox.out / "cube.zarr").exists()


@pytest.mark.parametrize("resolution", [10.0, 15.0], ids=["same-grid", "resampled"])
def test_a_mask_band_beside_a_nodata_value_masks_its_cells(
        sandbox: Sandbox, cli, scheduler: str, resolution: float) -> None:
    """Before: a file with an internal mask (a collar masked) and a nodata value (-9999
    cells) had its masked cells read as values: GDAL's warper reads a mask band only where
    the source has no nodata. Both now mark no data, on the same grid and resampled."""
    import rasterio

    values = np.arange(1600, dtype="f4").reshape(40, 40)
    values[-1] = -9999
    path = _write(sandbox.root / "masked.tif", values, nodata=-9999)
    with rasterio.open(path, "r+") as dst:
        dst.write_mask(OPAQUE.astype("uint8"))
    region = {**TINY_REGION, "resolution": resolution,
              "bounds": [X0, Y0, X0 + 390.0, Y0 + 390.0] if resolution == 15.0
              else TINY_REGION["bounds"]}
    result = _ingest(sandbox, cli, scheduler, sources=_source("masked.tif"), region=region)
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    valid = cube[np.isfinite(cube)]
    assert valid.size and valid.min() >= 400 and valid.max() < 1560, (valid.min(), valid.max())
    if resolution == 10.0:
        assert np.isnan(cube[:10]).all() and np.isnan(cube[-1]).all()
        np.testing.assert_array_equal(cube[10:-1], values[10:-1])


def test_a_mask_band_without_nodata_still_masks(sandbox: Sandbox, cli,
                                                scheduler: str) -> None:
    """Control: an internal mask alone (no nodata) masked before and after."""
    import rasterio

    values = np.arange(1600, dtype="f4").reshape(40, 40)
    path = _write(sandbox.root / "masked.tif", values)
    with rasterio.open(path, "r+") as dst:
        dst.write_mask(OPAQUE.astype("uint8"))
    result = _ingest(sandbox, cli, scheduler, sources=_source("masked.tif"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:10]).all()
    np.testing.assert_array_equal(cube[10:], values[10:])


# --- controls: what was checked and found sound ------------------------------------------

def test_band_scale_and_offset_are_applied_once(sandbox: Sandbox, cli,
                                                scheduler: str) -> None:
    """Control: a band's GDAL scale/offset (0.5, 10) is applied once, after the nodata
    (in DN) is dropped."""
    import rasterio

    dn = np.arange(1600, dtype="int16").reshape(40, 40)
    path = _write(sandbox.root / "scaled.tif", dn, nodata=0)
    with rasterio.open(path, "r+") as dst:
        dst.scales, dst.offsets = (0.5,), (10.0,)
    result = _ingest(sandbox, cli, scheduler, sources=_source("scaled.tif"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[0, 0])
    np.testing.assert_allclose(cube.ravel()[1:], dn.ravel()[1:] * 0.5 + 10)


def test_a_uint64_fill_at_its_type_limit_is_no_data(sandbox: Sandbox, cli,
                                                    scheduler: str) -> None:
    """Control: a uint64 band whose nodata is 2**64 - 1 (beyond float64's exact range)."""
    import shutil
    import subprocess

    if shutil.which("gdal_edit.py") is None:
        pytest.skip("GDAL command line tools not installed")
    values = np.arange(1600, dtype="uint64").reshape(40, 40)
    values[:5] = 2**64 - 1
    path = _write(sandbox.root / "u64.tif", values)
    subprocess.run(["gdal_edit.py", "-a_nodata", str(2**64 - 1), str(path)], check=True,
                   capture_output=True)
    result = _ingest(sandbox, cli, scheduler, sources=_source("u64.tif"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:5]).all()
    np.testing.assert_array_equal(cube[5:], values[5:].astype("f4"))


# --- a NetCDF of non-square cells read with its CF missing data ----------------------------

def _netcdf(path: Path, *, dy: float, attrs: dict[str, float]) -> np.ndarray:
    """A CF NetCDF-3 file (SYNTHETIC) over the tiny region of 10 m x ``dy`` cells, row 0
    (north) filled with 99999; returns its values."""
    import rasterio.crs
    from scipy.io import netcdf_file

    ny = int(400 / dy)
    values = np.arange(ny * 40, dtype="f4").reshape(ny, 40)
    values[0] = 99999
    ds = netcdf_file(str(path), "w", version=2)
    ds.createDimension("x", 40)
    ds.createDimension("y", ny)
    x = ds.createVariable("x", "f8", ("x",))
    x[:] = X0 + 5 + 10 * np.arange(40)
    x.standard_name, x.units = "projection_x_coordinate", "m"
    y = ds.createVariable("y", "f8", ("y",))
    y[:] = Y0 + 400 - dy / 2 - dy * np.arange(ny)
    y.standard_name, y.units = "projection_y_coordinate", "m"
    crs = ds.createVariable("crs", "i4", ())
    crs.crs_wkt = crs.spatial_ref = rasterio.crs.CRS.from_epsg(32619).to_wkt()
    var = ds.createVariable("heat", "f4", ("y", "x"))
    var.grid_mapping = "crs"
    for key, value in attrs.items():
        setattr(var, key, np.float32(value))
    var[:] = values
    ds.close()
    return values


@pytest.mark.parametrize("attrs", [{"valid_max": 90000.0},
                                   {"_FillValue": -1.0, "missing_value": 99999.0}],
                         ids=["valid_max", "missing_value"])
def test_a_netcdf_of_non_square_cells_is_read_with_its_missing_data(
        sandbox: Sandbox, cli, scheduler: str, attrs: dict[str, float]) -> None:
    """Before: a NetCDF of 10 x 5 m cells whose missing data GDAL leaves as values
    (``valid_max``, a ``missing_value`` beside a ``_FillValue``) ended, after ingest had
    started, in "cells must be square, got 10.0 x 5.0; resample the reference raster to
    square cells" (there is no reference raster): the source's window under a chunk was
    found through a region grid of the file, which takes square north-up cells only."""
    values = _netcdf(sandbox.root / "heat.nc", dy=5.0, attrs=attrs)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isfinite(cube).all()  # the 99999 row is dropped, its cells from row 1
    assert cube.max() < 99999
    # each 10 m cell lies between its two 5 m rows' values (bilinear in y)
    rows = values[0::2][1:-1, 1:-1], values[1::2][1:-1, 1:-1]
    inner = cube[1:-1, 1:-1]
    assert (inner >= np.minimum(*rows) - 1e-3).all() and (inner <= np.maximum(*rows) + 1e-3).all()
