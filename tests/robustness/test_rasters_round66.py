"""Round 66: the sparse-GeoTIFF check (``prospect/io/raster.py::_missing_blocks``) asked
GDAL for each block's offset (``BLOCK_OFFSET_x_y``, one tag look-up a block, up to
1 000 000 a band) though the TIFF's own index, read as bytes once for the blocks' end
since round 65b, holds every block's byte count: about 1.1 s of the 1.2 s that describing
a Sentinel-2-sized (10980 x 10980) GeoTIFF in 16 x 16 tiles took, every time it was
planned; and past 1 000 000 blocks a band it counted every other block, so one block
written of 2 097 152 was said as "2097152 of its 2097152 blocks are not in the file"
(round 65b left it). A NetCDF on the region's own cells but for float noise in its
coordinates (``np.arange``) was read bilinear with a kernel a tenth too wide (176 of 400
cells smeared, exit 0); and longitudes kept 0 to 360 across the prime meridian were
refused as "not evenly spaced", told to resample.

Found with ``raster_info`` and ``plan_raster`` on the tiny region (10 m cells,
EPSG:32619) and a region of 0.01 degrees at 5 E 52 N (2026-12-08). Every file here is
SYNTHETIC, written with rasterio (GDAL) or xarray's netCDF writer (scipy engine).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from .test_rasters_round16 import X0, Y0
from .test_rasters_round31 import _read

if TYPE_CHECKING:
    from prospect.grid import RegionGrid

# --- the sparse check from the TIFF's index ---------------------------------------------


def _tiles(path: Path, *, count: int = 1, interleave: str = "band",
           nodata: float | None = None, skip_band: int | None = None,
           top: int = 16) -> np.ndarray:
    """A SYNTHETIC 40 x 40 float32 GeoTIFF of ``count`` bands on the tiny region in 16 x
    16 tiles written with ``SPARSE_OK=TRUE``, heat flow 100.125 to 149.125 (band b plus
    b - 1), its rows above ``top`` never written (16: the first row of tiles, 3 of 9),
    band ``skip_band`` never written at all; returns the values as GDAL reads them with
    0 for unwritten cells."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    more = {"nodata": nodata} if nodata is not None else {}
    data = np.zeros((count, 40, 40), "float32")
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=count,
                       dtype="float32", crs="EPSG:32619", tiled=True, blockxsize=16,
                       blockysize=16, SPARSE_OK=True, interleave=interleave,
                       transform=from_origin(X0, Y0 + 400, 10, 10), **more) as dst:
        for band in range(1, count + 1):
            if band == skip_band:
                continue
            values = (np.arange(1600).reshape(40, 40) % 50 + 100.125 + band - 1)
            data[band - 1, top:] = values[top:]
            dst.write(values[top:].astype("float32"), band,
                      window=Window(0, top, 40, 40 - top))
    return data


def test_the_sparse_check_asks_gdal_of_no_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: describing a SYNTHETIC GeoTIFF asked GDAL for every block's offset
    (``BLOCK_OFFSET_x_y``) to find blocks left out of it: 1.1 s of the 1.2 s that
    ``raster_info`` of a 10980 x 10980 file in 16 x 16 tiles took (471 969 look-ups).
    Now the byte counts of the index, read once, answer for every block; a sparse file's
    refusal says the same (round 18's words, "3 of its 9 blocks")."""
    from prospect.errors import DataError
    from prospect.io import raster

    asked: list[object] = []
    kept = raster._gdal_missing_blocks
    monkeypatch.setattr(raster, "_gdal_missing_blocks",
                        lambda *args: asked.append(args) or kept(*args))
    path = tmp_path / "heat.tif"
    _tiles(path, nodata=-9999.0)
    raster.raster_info(path)
    _tiles(path)
    with pytest.raises(DataError) as raised:
        raster.raster_info(path)
    assert str(raised.value).startswith(
        f"{path}: band 1: 3 of its 9 blocks are not in the file (a sparse GeoTIFF) and it "
        "states no nodata"), str(raised.value)
    assert asked == []


def test_a_band_of_two_million_blocks_has_its_unwritten_ones_counted_exactly(
    tmp_path: Path,
) -> None:
    """Before: a band of more blocks than the check's sample (1 000 000) was counted at
    every other block, each standing for two: a SYNTHETIC 32768 x 16384 uint8 GeoTIFF in
    16 x 16 tiles (2 097 152 blocks) of which one block (the second) was written was
    refused as "2097152 of its 2097152 blocks are not in the file", as if nothing were,
    after 2 s of look-ups. Now every block is counted from the index: 2097151."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from prospect.errors import DataError
    from prospect.io import raster

    path = tmp_path / "huge.tif"
    with rasterio.open(path, "w", driver="GTiff", width=32768, height=16384, count=1,
                       dtype="uint8", crs="EPSG:32619", tiled=True, blockxsize=16,
                       blockysize=16, SPARSE_OK=True,
                       transform=from_origin(X0, Y0 + 163840, 10, 10)) as dst:
        dst.write(np.full((16, 16), 7, "uint8"), 1, window=Window(16, 0, 16, 16))
    with pytest.raises(DataError) as raised:
        raster.raster_info(path)
    assert str(raised.value).startswith(
        f"{path}: band 1: 2097151 of its 2097152 blocks are not in the file (a sparse "
        "GeoTIFF)"), str(raised.value)


def test_control_each_band_of_separate_planes_is_counted_as_its_own(tmp_path: Path) -> None:
    """Control: a SYNTHETIC three-band GeoTIFF of separate planes (``INTERLEAVE=BAND``,
    the index holds each band's blocks in turn) stating no nodata is refused naming the
    first band with blocks left out and its own count: band 1's 3 of 9 where every band
    lacks its top row of tiles, band 2's 9 of 9 where bands 1 and 3 are whole and band 2
    was never written."""
    from prospect.errors import DataError
    from prospect.io import raster

    path = tmp_path / "heat.tif"
    for top, said in ((16, "band 1: 3 of its 9 blocks"), (0, "band 2: 9 of its 9 blocks")):
        _tiles(path, count=3, skip_band=2, top=top)
        with pytest.raises(DataError) as raised:
            raster.raster_info(path)
        assert str(raised.value).startswith(
            f"{path}: {said} are not in the file"), str(raised.value)


@pytest.mark.parametrize("interleave", ["band", "pixel"])
def test_control_a_sparse_geotiff_with_a_nodata_reads_its_unwritten_blocks_as_no_data(
    tmp_path: Path, interleave: str,
) -> None:
    """Control: the SYNTHETIC sparse file stating nodata -9999 (one band and three
    bands of either interleave) reads its written cells exactly and its unwritten tiles
    as no data."""
    path = tmp_path / "heat.tif"
    data = _tiles(path, count=1 if interleave == "band" else 3, interleave=interleave,
                  nodata=-9999.0)
    names = {} if interleave == "band" else {"band_names": ["a", "b", "c"]}
    _, out = _read(path, units="mW/m2", **names)
    expected = data[0].copy()
    expected[:16] = np.nan
    np.testing.assert_array_equal(out, expected)


def test_control_a_geotiff_of_one_strip_is_read_as_before(tmp_path: Path) -> None:
    """Control: a SYNTHETIC uncompressed GeoTIFF of one strip (one entry in its index,
    which GDAL reads line by line) reads exactly, as before."""
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(1600).reshape(40, 40) % 50 + 100.125).astype("float32")
    path = tmp_path / "heat.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs="EPSG:32619", blockysize=40,
                       transform=from_origin(X0, Y0 + 400, 10, 10)) as dst:
        dst.write(data, 1)
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, data)


# --- a NetCDF on the region's own grid but for float noise ---------------------------------

LON = np.arange(4.905, 5.3, 0.01)
"""Longitudes of cell centres as ``np.arange`` makes them (4.905, 4.915...: a last bit
off here and there, as most NetCDFs' coordinates are)."""
LAT = np.arange(51.905, 52.3, 0.01)
CELLS = (np.arange(1600).reshape(40, 40) % 50 + 100.5)
"""Heat flow 100.5 to 149.5, rows south first (as LAT), a step of 49 every 50 cells."""


def _degree_grid() -> RegionGrid:
    """The region of these cases: 20 x 20 cells of 0.01 degrees from 5 E 52 N (EPSG:4326),
    in chunks of 20 x 20 cells (the file's cells 10 to 29 across and down)."""
    from prospect.grid import RegionGrid

    return RegionGrid(name="deg", crs="EPSG:4326", resolution=0.01,
                      bounds=(5.0, 52.0, 5.2, 52.2), chunks=(20, 20))


def _degree_read(path: Path, **more: object) -> np.ndarray:
    """The values of raster source ``path`` (``crs: EPSG:4326``) on :func:`_degree_grid`."""
    import warnings

    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    grid = _degree_grid()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = plan_raster(RasterSource(name="heat", path=str(path), units="mW/m2",
                                          crs="EPSG:4326", **more), grid)
    out = np.full(grid.shape, np.nan, "f4")
    for window in grid.chunk_windows():
        out[window.rows, window.cols] = layers[0].compute(grid, window)
    return out


def _netcdf(path: Path, values: np.ndarray, lon: np.ndarray = LON) -> None:
    """A SYNTHETIC netCDF (classic, written by xarray) of ``values`` (rows south first)
    on ``lon`` x :data:`LAT`, without ``grid_mapping``."""
    import xarray as xr

    ds = xr.Dataset({"heat": (("lat", "lon"), values)}, coords={"lat": LAT, "lon": lon})
    ds.lat.attrs.update(units="degrees_north", standard_name="latitude")
    ds.lon.attrs.update(units="degrees_east", standard_name="longitude")
    ds.heat.attrs.update(units="mW/m2")
    ds.to_netcdf(path, engine="scipy")


def test_a_netcdf_on_the_regions_grid_but_for_float_noise_reads_its_cells(
    tmp_path: Path,
) -> None:
    """Before: a SYNTHETIC netCDF whose cells are the region's (0.01 degrees from 4.9 E
    51.9 N), its coordinates from ``np.arange`` (GDAL's geotransform 1e-13 of a cell off),
    read bilinear (the default) had 176 of its 400 cells smeared by up to 7.1 mW/m2: GDAL
    sized the kernel from each chunk's source window, one column and row wider at the
    noise, 9 % of each neighbour. Now the kernel is stated at the source's own cell size
    and the cells read as the file's, exactly (as a GeoTIFF on the exact grid does)."""
    path = tmp_path / "heat.nc"
    _netcdf(path, CELLS)
    out = _degree_read(path)
    np.testing.assert_array_equal(out, CELLS[::-1][10:30, 10:30].astype("f4"))


def test_control_a_geotiff_on_the_regions_exact_grid_reads_its_cells(tmp_path: Path) -> None:
    """Control: the same SYNTHETIC cells in a GeoTIFF on the exact grid read as they are,
    bilinear and cubic, as before."""
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "heat.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(4.9, 52.3, 0.01, 0.01)) as dst:
        dst.write(CELLS[::-1].astype("float32"), 1)
    for resampling in ("bilinear", "cubic"):
        out = _degree_read(path, resampling=resampling)
        np.testing.assert_array_equal(out, CELLS[::-1][10:30, 10:30].astype("f4"))


# --- longitudes that go round the Earth ---------------------------------------------------

WRAPPED = np.concatenate([np.arange(359.905, 360.0, 0.01), np.arange(0.005, 5.3, 0.01)])
"""Longitudes 359.905 .. 359.995 then 0.005 .. 5.295: 540 columns across the prime
meridian in 0 to 360 (a subset of a global 0-360 product, as ``ncks -d lon,359.9,5.3``
cuts one), the region's 5 E to 5.2 E in columns 510 to 529."""
WIDE = (np.arange(40 * 540).reshape(40, 540) % 50 + 100.5)


def test_longitudes_kept_0_to_360_across_the_prime_meridian_are_named(
    tmp_path: Path,
) -> None:
    """Before: a SYNTHETIC netCDF whose longitudes run 359.905 .. 359.995 then 0.005 ..
    5.295 (evenly spaced but for the turn of 360 degrees) under a region at 5 E was
    refused as "its x
    coordinates are not evenly spaced (a stretched or Gaussian grid, or a coordinate with
    a gap or a repeat) ...; resample it onto a regular grid first (e.g. xarray's interp,
    or cdo remapbil)": a fix that resamples nothing. Now the turn is named, with the fix
    that states the longitudes -180 to 180; the file so fixed reads exactly."""
    import xarray as xr

    from prospect.errors import DataError

    path = tmp_path / "heat.nc"
    _netcdf(path, WIDE, lon=WRAPPED)
    with pytest.raises(DataError) as raised:
        _degree_read(path)
    said = str(raised.value)
    assert said == (
        f"{path}: its x coordinates are longitudes that go round the Earth between "
        "neighbouring columns (359.995 then 0.005: a grid across the prime meridian kept "
        "in 0 to 360), which GDAL cannot place on one even grid, so most cells would land "
        "elsewhere; state the longitudes -180 to 180 (cdo sellonlatbox,-180,180,-90,90 "
        "in.nc out.nc, or xarray's ds.assign_coords(lon=(ds.lon + 180) % 360 - "
        "180).sortby('lon'))"), said
    with xr.open_dataset(path, engine="scipy") as ds:
        fixed = ds.assign_coords(lon=(ds.lon + 180) % 360 - 180).sortby("lon").load()
    fixed.to_netcdf(tmp_path / "fixed.nc", engine="scipy")
    np.testing.assert_array_equal(_degree_read(tmp_path / "fixed.nc"),
                                  WIDE[::-1][10:30, 510:530].astype("f4"))


def test_control_unevenly_spaced_longitudes_keep_their_words(tmp_path: Path) -> None:
    """Control: SYNTHETIC longitudes with a gap (4.905 .. 5.095, then 5.205 on) are
    refused in round 11's words, "not evenly spaced"."""
    from prospect.errors import DataError

    path = tmp_path / "heat.nc"
    _netcdf(path, CELLS, lon=np.where(LON > 5.1, LON + 0.1, LON))
    with pytest.raises(DataError) as raised:
        _degree_read(path)
    assert "its x coordinates are not evenly spaced (a stretched" in str(raised.value)
