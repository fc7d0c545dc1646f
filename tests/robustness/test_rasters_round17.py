"""Survey rasters read as GDAL reads them: nodata as a band stores it, packed NetCDF bounds
by their type, class codes resampled, grids cut short or listed with gaps, GDAL's own
words, files beyond their own statistics and NetCDF files rewritten under a worker.

Found by writing geophysics, geochemistry and geology grids (GeoTIFF, NetCDF, XYZ, ENVI,
PNG) with rasterio, scipy and by hand into ``tmp_path`` and feeding them to the real
``prospect`` CLI (2026-12-02). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_inputs_round11 import _netcdf
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write

VALUES = np.random.default_rng(17).random((40, 40)).astype("f4") * 100


def _notes(box: Sandbox) -> list[str]:
    stage = json.loads((box.out / "manifest.json").read_text())["stages"]["ingest"]
    return [n for n in stage.get("notes", []) if n.startswith("warning:")]


# --- nodata as the band stores it ------------------------------------------------------------

@pytest.mark.parametrize(("stored", "config"), [
    (None, None), (-10000.0, None), (None, -9999.0),
], ids=["gdal-written", "numpy-written", "config-nodata"])
def test_a_half_float_geotiffs_nodata_is_no_data(
        sandbox: Sandbox, cli, scheduler: str, stored: float | None,
        config: float | None) -> None:
    """Before: a half-float GeoTIFF (``NBITS=16``, read by GDAL as float32) stating nodata
    -9999 holds no -9999: GDAL writes its fill as -9992 (it cuts toward zero), numpy and
    most other writers as -10000 (the nearest half float). The stated nodata never matched
    and the collar was ingested as -9992 or -10000, exit 0, with or without ``nodata:
    -9999`` in the config."""
    import rasterio

    values = VALUES.copy()
    values[:, :5] = -9999
    path = _write(sandbox.root / "heat.tif", values, nodata=-9999, NBITS=16)
    if stored is not None:  # the fill as another writer rounds it
        with rasterio.open(path, "r+") as dst:
            block = dst.read(1)
            block[:, :5] = stored
            dst.write(block, 1)
    more = {"nodata": config} if config is not None else {}
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif", **more))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:, :5]).all()
    assert np.isfinite(cube[:, 5:]).all() and np.nanmin(cube) >= 0


def test_a_nodata_beyond_a_bands_nbits_is_named(sandbox: Sandbox, cli,
                                                  scheduler: str) -> None:
    """Before: a 4-bit band (``NBITS=4``, read as uint8) stating nodata 255 holds it as
    15 (GDAL clamps): no pixel was marked, the fill was ingested as the class-free value
    15, exit 0, without a word (255 fits a uint8)."""
    codes = np.full((40, 40), 3, dtype="u1")
    codes[:, :5] = 255
    _write(sandbox.root / "heat.tif", codes, nodata=255, NBITS=4)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-2000:]
    note = next((n for n in _notes(sandbox) if "NBITS=4" in n), None)
    assert note is not None, _notes(sandbox)
    assert "heat.tif" in note and "255" in note and "values 0..15" in note


# --- packed NetCDF bounds told by their type --------------------------------------------------

RAW = (np.arange(1600).reshape(40, 40) % 500).astype("i2")
RAW[0, 0] = -9999
RAW[5, 7] = 700  # beyond the valid maximum 500 (packed), 5.0 (unpacked)
PACKING = {"scale_factor": np.float32(0.01), "add_offset": np.float32(0),
           "_FillValue": np.int16(-9999)}


def assert_raw_unpacked(sandbox: Sandbox) -> None:
    """The cube holds :data:`RAW` unpacked by :data:`PACKING` (0.01), its two fill cells
    (-9999 at 0, 0 and 700 at 5, 7) no data."""
    cube = _cube(sandbox)
    assert np.isnan(cube[0, 0]) and np.isnan(cube[5, 7])
    assert np.isnan(cube).sum() == 2
    keep = (RAW != -9999) & (RAW != 700)
    np.testing.assert_allclose(cube[keep], RAW[keep] * np.float32(0.01), rtol=1e-6)


@pytest.mark.parametrize("bounds", [
    {"valid_range": np.array([0, 5], dtype="f4")},
    {"valid_min": np.float32(0), "valid_max": np.float32(5)},
], ids=["valid_range", "valid_min-and-max"])
def test_unpacked_bounds_gdal_applies_to_packed_values_are_refused(
        sandbox: Sandbox, cli, scheduler: str, bounds: dict[str, Any]) -> None:
    """Before: an int16 variable packed by ``scale_factor`` 0.01 stating ``valid_range =
    0.f, 5.f`` (floats: unpacked units, as netCDF-Java and COARDS files read them; CF 1.11
    section 8.1 has the bounds of the packed type) had GDAL drop every cell whose packed
    number lay outside 0..5: 1 577 of 1 600 cells no data, exit 0. GDAL applies the bounds
    to the packed values and cannot be told otherwise; refused with the packed bounds to
    write."""
    _netcdf(sandbox.root / "heat.nc", RAW, dtype="i2", attrs={**PACKING, **bounds})
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert_clean_error(result, 1, "heat.nc", "packed", "unpacked units", "500")
    assert sandbox.untouched()


@pytest.mark.parametrize("bounds", [
    {"valid_max": np.float32(5)},
    {"valid_range": np.array([0, 500], dtype="i2")},
], ids=["lone-valid_max-unpacked", "valid_range-packed"])
def test_packed_bounds_by_their_type_keep_the_grid(
        sandbox: Sandbox, cli, scheduler: str, bounds: dict[str, Any]) -> None:
    """Before: a lone ``valid_max = 5.f`` (a float: unpacked units) was taken as packed and
    every cell of packed value over 5 dropped (1 570 cells), exit 0. Now a float bound is
    unpacked (500 packed). Control: ``valid_range`` of the packed type (int16) as before."""
    _netcdf(sandbox.root / "heat.nc", RAW, dtype="i2", attrs={**PACKING, **bounds})
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert result.code == 0, result.err[-2000:]
    assert_raw_unpacked(sandbox)


def test_unpacked_bounds_at_the_types_limits_still_read(sandbox: Sandbox, cli,
                                                        scheduler: str) -> None:
    """Control: a double ``valid_range = -32767., 32767.`` on int16 of fill -32768 (as
    several writers state the type's range) is in unpacked units by its type, but GDAL's
    packed reading drops no value the unpacked one keeps: read, not refused."""
    raw = RAW.copy()
    raw[raw == -9999] = -32768
    raw[5, 7] = 32767
    _netcdf(sandbox.root / "heat.nc", raw, dtype="i2", attrs={
        **PACKING, "_FillValue": np.int16(-32768),
        "valid_range": np.array([-32767.0, 32767.0], dtype="f8")})
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube).sum() == 1 and np.isnan(cube[0, 0])
    np.testing.assert_allclose(cube[5, 7], 327.67, rtol=1e-6)


# --- class codes resampled --------------------------------------------------------------------

@pytest.mark.parametrize(("resampling", "ok"), [
    ("bilinear", False), ("average", False), ("cubic", False), ("max", True),
])
def test_class_codes_are_never_blended_by_a_configured_resampling(
        sandbox: Sandbox, cli, scheduler: str, resampling: str, ok: bool) -> None:
    """Before: ``values: categorical`` with ``resampling: bilinear`` (or average, cubic)
    averaged codes 1 and 3 of a geology map on 5 m cells into 2, a unit the map has not
    got, on the 10 m grid, exit 0. Control: ``max`` keeps a code of the cells."""
    from rasterio.transform import from_origin

    codes = ((np.arange(80 * 80).reshape(80, 80) // 7) % 5 * 2 + 1).astype("u1")  # 1,3,..9
    _write(sandbox.root / "units.tif", codes, transform=from_origin(X0 + 2.5, Y0 + 400, 5, 5))
    source = [{"kind": "raster", "name": "heat", "path": "units.tif", "units": "1",
               "values": "categorical", "resampling": resampling}]
    result = _ingest(sandbox, cli, scheduler, sources=source)
    if not ok:
        assert_clean_error(result, 2, "heat", resampling, "class codes", "nearest")
        return
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert set(np.unique(cube[cube >= 0]).tolist()) <= {1, 3, 5, 7, 9}


# --- grids with gaps or cut short -------------------------------------------------------------

def test_an_xyz_grid_that_leaves_out_cells_is_refused(sandbox: Sandbox, cli,
                                                       scheduler: str) -> None:
    """Before: an XYZ export that leaves out its empty cells (most do) had each missing
    cell read by GDAL as 0, with no nodata: exit 0, zeros in the cube."""
    rows = ["x y z"] + [f"{X0 + 5 + 10 * c:.0f} {Y0 + 395 - 10 * r:.0f} {r * 40 + c + 1}"
                        for r in range(40) for c in range(40) if (r, c) != (20, 20)]
    (sandbox.root / "heat.xyz").write_text("\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("heat.xyz", crs="EPSG:32619"))
    assert_clean_error(result, 1, "heat.xyz", "1599 points", "1 cell(s)", "as 0")


@pytest.mark.parametrize(("cell", "refused"), [
    ("NA", True), ("n/a", True), ("*", True), ("nan", False), ("1,5", False),
], ids=["R-NA", "n/a", "star", "control-nan", "control-decimal-comma"])
def test_an_ascii_grid_cell_that_is_no_number_is_refused(
        sandbox: Sandbox, cli, scheduler: str, cell: str, refused: bool) -> None:
    """Before: an ESRI ASCII grid with ``NA`` in a cell (R's missing value), ``n/a`` or
    ``*`` had GDAL read that cell as 0, ingested as a value, exit 0. Controls: ``nan``
    (no data) and a decimal comma (1.5), which GDAL reads as such."""
    rows = [" ".join(f"{VALUES[r, c]:.3f}" for c in range(40)) for r in range(40)]
    rows[7] = rows[7].replace(rows[7].split()[3], cell, 1)
    header = ("ncols 40\nnrows 40\nxllcorner 500000\nyllcorner 1350000\ncellsize 10\n"
              "NODATA_value -9999\n")
    (sandbox.root / "heat.asc").write_text(header + "\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.asc", crs="EPSG:32619"))
    if refused:
        assert_clean_error(result, 1, "heat.asc", "line 14", repr(cell), "as 0")
        return
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert (np.isnan(cube[7, 3]) if cell == "nan" else cube[7, 3] == np.float32(1.5))
    assert np.isfinite(np.delete(cube.ravel(), 7 * 40 + 3)).all()


def _raw_grid(path: Path, driver: str, cells: int = 40) -> Path:
    """A byte grid (SYNTHETIC) over the tiny region in ``cells`` x ``cells`` cells."""
    import rasterio
    from rasterio.transform import from_origin

    codes = (np.random.default_rng(3).random((cells, cells)) * 250 + 1).astype("u1") \
        if cells != 40 else (VALUES + 1).astype("u1")
    with rasterio.open(path, "w", driver=driver, width=cells, height=cells, count=1,
                       dtype="uint8", crs="EPSG:32619",
                       transform=from_origin(X0, Y0 + 400, 400 / cells, 400 / cells)) as dst:
        dst.write(codes, 1)
    return path


@pytest.mark.parametrize(("driver", "name"), [
    ("ENVI", "heat.dat"), ("EHdr", "heat.bil"), ("PNG", "heat.png"),
])
def test_a_grid_cut_short_is_refused_not_read_as_zeros(
        sandbox: Sandbox, cli, scheduler: str, driver: str, name: str) -> None:
    """Before: an ENVI grid cut short (a download or copy that stopped) read its missing
    rows as 0: the header read's check of the last cell succeeded, exit 0, a third of the
    grid zeros. An ``.hdr`` BIL grid and a PNG map with its world file cut short failed
    that read, as "cannot read as a raster (corrupt, truncated or not a raster):
    IReadBlock failed"; all three are now named as cut short, before any cell is read."""
    path = _raw_grid(sandbox.root / name, driver, cells=200)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert_clean_error(result, 1, name, "cut short")
    assert sandbox.untouched()


# --- GDAL's own words ---------------------------------------------------------------------------

def test_a_gdal_metadata_tag_that_does_not_parse_is_refused(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a GeoTIFF whose ``GDAL_METADATA`` tag does not parse (an editor's or a bad
    copy's damage) lost the band's scale 0.01 that the tag held: GDAL signalled the error
    on ``rasterio._env``, went on, and the DNs were ingested a hundred times too large,
    exit 0."""
    import rasterio

    path = _write(sandbox.root / "heat.tif", (VALUES * 100).astype("i2"), nodata=-9999)
    with rasterio.open(path, "r+") as dst:
        dst.scales, dst.offsets = (0.01,), (0.0,)
    data = path.read_bytes()
    at = data.find(b"</GDALMetadata>")
    assert at > 0
    path.write_bytes(data[:at] + b"</GDALMetadaXa>" + data[at + 15:])
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert_clean_error(result, 1, "heat.tif", "header whole", "scale")


def _png_with_bad_text_crc(path: Path) -> Path:
    """A PNG map (SYNTHETIC) with a world file, and a ``tEXt`` chunk whose CRC is wrong:
    libpng warns and drops the chunk, the pixels are whole."""
    _raw_grid(path, "PNG")
    data = path.read_bytes()
    at = 8 + 8 + 13 + 4  # after the IHDR chunk
    text = b"Comment\x00exported by hand"
    crc = (zlib.crc32(b"tEXt" + text) + 1) & 0xFFFFFFFF
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", crc)
    path.write_bytes(data[:at] + chunk + data[at:])
    return path


def test_gdal_messages_of_any_driver_reach_the_warnings_with_the_file(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: only libtiff's messages during a read were looked at: the PNG driver's
    "libpng: tEXt: CRC error" went to rasterio's logger, printed bare (no file named) at
    planning and into the dask worker's log at each read. Now GDAL's messages at the
    header read are one data warning naming the file (the workers' reads hear the same
    message again: not warned twice)."""
    _png_with_bad_text_crc(sandbox.root / "map.png")
    result = _ingest(sandbox, cli, scheduler, sources=_source("map.png"))
    assert result.code == 0, result.err[-2000:]
    notes = [n for n in _notes(sandbox) if "CRC error" in n]
    assert len(notes) == 1, _notes(sandbox)
    assert "map.png" in notes[0] and "header" in notes[0]
    assert "libpng" not in result.err.replace(notes[0], "").split("warning:")[0]
    np.testing.assert_array_equal(_cube(sandbox), (VALUES + 1).astype("u1"))


def test_gdal_messages_during_a_pixel_read_in_a_worker_thread_are_kept_for_the_user(
        tmp_path: Path) -> None:
    """Before: a message GDAL gave while a worker thread read pixels (any driver but
    libtiff's codecs) was dropped: the read's collector kept damaged-block words only. Now
    each is kept per file (:func:`prospect.io.raster.gdal_said`), which every ingest chunk
    task returns to the stage for its data warnings."""
    from prospect.io.raster import gdal_said, gdal_said_message, sample_band

    path = _png_with_bad_text_crc(tmp_path / "map.png")
    gdal_said()  # nothing left from another case
    with ThreadPoolExecutor(1) as worker:
        got = worker.submit(sample_band, str(path), 1).result()
    assert got is not None
    said = gdal_said()
    key = next((k for k in said if k[0] == str(path) and "CRC error" in k[1]), None)
    assert key is not None, said
    text = gdal_said_message(*key, said[key])
    assert "map.png" in text and "libpng" in text and "gdalinfo -checksum" in text
    assert gdal_said() == {}


# --- values beyond a file's own statistics ----------------------------------------------------

def _with_stats(path: Path, values: np.ndarray) -> Path:
    """``values`` as an uncompressed tiled GeoTIFF that states its own statistics."""
    import rasterio

    _write(path, values, nodata=-9999, tiled=True, blockxsize=16, blockysize=16)
    valid = values[values != -9999]
    with rasterio.open(path, "r+") as dst:
        dst.update_tags(1, STATISTICS_MINIMUM=f"{valid.min():.14g}",
                        STATISTICS_MAXIMUM=f"{valid.max():.14g}")
    return path


@pytest.mark.parametrize("damaged", [True, False], ids=["garbage-tile", "whole"])
def test_an_uncompressed_tile_of_garbage_is_refused_by_the_files_statistics(
        sandbox: Sandbox, cli, scheduler: str, damaged: bool) -> None:
    """Before: an uncompressed tile whose bytes were rewritten (a bad copy) decodes without
    a word from any codec: -4.8e16 and 1e30 were ingested as heat flow, exit 0. A file that
    states its minimum and maximum (``gdalinfo -stats``, the COG driver) now has every
    value read checked against them. Control: the whole file reads."""
    import rasterio

    path = _with_stats(sandbox.root / "heat.tif", VALUES)
    if damaged:
        with rasterio.open(path) as src:
            off = int(src.get_tag_item("BLOCK_OFFSET_1_1", "TIFF", bidx=1))
            size = int(src.get_tag_item("BLOCK_SIZE_1_1", "TIFF", bidx=1))
        data = bytearray(path.read_bytes())
        for i in range(off + size // 2, off + size):
            data[i] = (data[i] * 7 + 13) & 255
        path.write_bytes(bytes(data))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    if damaged:
        assert_clean_error(result, 1, "heat.tif", "band 1", "minimum", "gdalinfo -checksum")
        return
    assert result.code == 0, result.err[-2000:]
    np.testing.assert_allclose(_cube(sandbox), VALUES, rtol=1e-6)


# --- a NetCDF file rewritten under a worker's other thread ------------------------------------

def test_a_netcdf_rewritten_is_read_anew_while_another_thread_holds_it(
        tmp_path: Path) -> None:
    """Before: the netCDF driver shares an open file by its name; a worker thread that
    kept a view of ``heat.nc`` open made every new open of that name, by any thread, read
    the old file after it was replaced: the other thread's chunks were the old values.
    (A thread closed only its own stale handles, round 16.)"""
    import os

    from prospect.grid import ChunkWindow, RegionGrid
    from prospect.io.raster import raster_info
    from prospect.io.warp import close_warped_views, read_warped_window, resampling_enum

    from .conftest import TINY_REGION

    grid = RegionGrid(name="tiny", crs=str(TINY_REGION["crs"]), resolution=10.0,
                      bounds=tuple(TINY_REGION["bounds"]), chunks=(40, 40))
    window = ChunkWindow(iy=0, ix=0, rows=slice(0, 40), cols=slice(0, 40))
    path = tmp_path / "heat.nc"
    _netcdf(path, VALUES)

    def read() -> np.ndarray:
        return read_warped_window(raster_info(path), 1, grid, window,
                                  resampling=resampling_enum("nearest"))

    with ThreadPoolExecutor(1) as holder, ThreadPoolExecutor(1) as other:
        try:
            np.testing.assert_array_equal(holder.submit(read).result(), VALUES)
            _netcdf(tmp_path / "new.nc", VALUES + 1000)
            os.replace(tmp_path / "new.nc", path)
            np.testing.assert_array_equal(other.submit(read).result(), VALUES + 1000)
            np.testing.assert_array_equal(holder.submit(read).result(), VALUES + 1000)
        finally:
            holder.submit(close_warped_views).result()
            other.submit(close_warped_views).result()
