"""Raster and NetCDF survey layers: damaged tiles, files rewritten in place, grids stated
by an item, headers `prospect plan` cannot read, and georeferencing as GDAL allows it.

Found by writing rasters with rasterio into ``tmp_path`` (and damaging their bytes) and
feeding them to the real ``prospect`` CLI (2026-12-02). Every file here is small and
SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round15 import _cube, _source


def _write(path: Path, data: np.ndarray, *, transform: Any = None, **profile: Any) -> Path:
    """A GeoTIFF (SYNTHETIC) on the tiny region's 10 m grid unless ``transform`` says
    otherwise."""
    import rasterio
    from rasterio.transform import from_origin

    count, height, width = (1, *data.shape) if data.ndim == 2 else data.shape
    prof = {"driver": "GTiff", "width": width, "height": height, "count": count,
            "dtype": str(data.dtype), "crs": "EPSG:32619",
            "transform": transform or from_origin(X0, Y0 + 400, 10, 10), **profile}
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(data if data.ndim == 3 else data[None])
    return path


BIG = 528
VALUES = (np.arange(BIG * BIG, dtype="f4").reshape(BIG, BIG) % 97) + 1
"""Larger than the fill check's whole-band sample (262 144 cells): planning reads a few
blocks of it, not every one."""


def _tile(path: Path, row: int, col: int) -> tuple[int, int]:
    import rasterio

    with rasterio.open(path) as src:
        return (int(src.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=1)),
                int(src.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=1)))


def _damaged(box: Sandbox, how: str, compress: str) -> Path:
    """``heat.tif`` in 16 x 16 tiles, one of them damaged: ``truncated`` cuts the file
    inside its last tile, ``scrambled`` rewrites the second half of the bytes of a tile in
    the middle (planning's sample reads a few blocks and the corners, not this one)."""
    from rasterio.transform import from_origin

    path = _write(box.root / "heat.tif", VALUES, tiled=True, blockxsize=16, blockysize=16,
                  compress=compress, nodata=-9999,
                  transform=from_origin(X0, Y0 + 400, 400 / BIG, 400 / BIG))
    data = bytearray(path.read_bytes())
    if how == "truncated":
        n = BIG // 16
        off, size = max(_tile(path, r, c) for r in range(n) for c in range(n))
        assert off + size == len(data)
        data = data[:off + size // 3]
    else:
        off, size = _tile(path, 17, 23)
        for i in range(off + size // 2, off + size):
            data[i] = (data[i] * 7 + 13) & 255
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(("how", "compress", "said"), [
    ("scrambled", "packbits", "band 1 has a damaged block"),
    ("scrambled", "deflate", "band 1 has a damaged block"),  # round 38: with the fix
    ("truncated", "lzw", "TIFFReadEncodedTile() failed"),
], ids=["warned-by-the-codec", "failed-read", "cut-short"])
def test_a_damaged_tile_deep_in_a_file_is_refused_not_read_as_values(
        sandbox: Sandbox, cli, scheduler: str, how: str, compress: str, said: str) -> None:
    """Before: a tile whose bytes were rewritten (a bad copy, a bad sector) in a PackBits
    file read as garbage with exit 0: libtiff's codec warns ("Discarding N bytes to avoid
    buffer overrun") and hands back what it decoded; the warning went to the dask worker's
    log. Controls: a codec that fails the read (deflate), and a file cut short inside its
    last tile (the fill check's corner read at planning), were refused before too."""
    _damaged(sandbox, how, compress)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    line = assert_clean_error(result, 1, "heat.tif", said)
    if compress == "packbits":
        assert "Discarding" in line and "gdalinfo -checksum" in line
    assert sandbox.untouched()


# --- a file rewritten between runs on the same cluster --------------------------------------

def _rewrite_keeping_mtime(path: Path, write: Any) -> None:
    """Write ``path`` anew through ``write(tmp)`` and a rename (a new inode, as ``cp``,
    ``rsync`` or a download tool does) and give it the old modification time (``cp -p``,
    ``rsync -t``, ``tar x`` or a coarse file system)."""
    import os

    old = path.stat()
    tmp = path.with_name("new-" + path.name)
    write(tmp)
    os.utime(tmp, ns=(old.st_atime_ns, old.st_mtime_ns))
    tmp.replace(path)


def test_a_geotiff_rewritten_between_runs_is_read_anew_by_long_lived_workers(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: the cluster's workers keep warped views open between runs, keyed by path and
    modification time: a file replaced under the same name with its old time kept had its
    old pixels ingested by the second run, exit 0 (the run itself saw the new checksum
    and recomputed every chunk)."""
    first, second = VALUES[:40, :40].copy(), VALUES[:40, :40] + 1000
    _write(sandbox.root / "heat.tif", first)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-2000:]
    np.testing.assert_array_equal(_cube(sandbox), first)
    _rewrite_keeping_mtime(sandbox.root / "heat.tif", lambda tmp: _write(tmp, second))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-2000:]
    np.testing.assert_array_equal(_cube(sandbox), second)


@pytest.mark.parametrize("kind", ["netcdf-variable", "vrt-source"])
def test_a_view_kept_open_follows_its_file_or_sources_rewritten(
        tmp_path: Path, kind: str) -> None:
    """Before: a ``NETCDF:"f.nc":var`` name had no stamp at all (``Path`` cannot stat
    it), and a VRT's stamp was its own, not its sources': a view kept open by a thread
    read the old file after either was replaced, whatever its time. The netCDF library
    also shares an open file by name, so the old handle is closed first."""
    import rasterio.shutil

    from prospect.grid import ChunkWindow, RegionGrid
    from prospect.io.raster import raster_info
    from prospect.io.warp import close_warped_views, read_warped_window, resampling_enum

    from .conftest import TINY_REGION
    from .test_inputs_round11 import _netcdf

    grid = RegionGrid(name="tiny", crs=str(TINY_REGION["crs"]), resolution=10.0,
                      bounds=tuple(TINY_REGION["bounds"]), chunks=(40, 40))
    window = ChunkWindow(iy=0, ix=0, rows=slice(0, 40), cols=slice(0, 40))
    first, second = VALUES[:40, :40].copy(), VALUES[:40, :40] + 1000
    if kind == "netcdf-variable":
        def write(path: Path, data: np.ndarray) -> None:
            _netcdf(path, data)
        target, info_of = tmp_path / "heat.nc", lambda: raster_info(
            tmp_path / "heat.nc", variable="heat")
    else:
        def write(path: Path, data: np.ndarray) -> None:
            _write(path, data)
        target = tmp_path / "heat.tif"
        write(target, first)
        with rasterio.open(target) as src:
            rasterio.shutil.copy(src, tmp_path / "heat.vrt", driver="VRT")
        info_of = lambda: raster_info(tmp_path / "heat.vrt")  # noqa: E731
    write(target, first)
    info = info_of()
    near = resampling_enum("nearest")
    try:
        got = read_warped_window(info, 1, grid, window, resampling=near)
        np.testing.assert_array_equal(got, first)
        _rewrite_keeping_mtime(target, lambda tmp: write(tmp, second))
        got = read_warped_window(info_of(), 1, grid, window, resampling=near)
        np.testing.assert_array_equal(got, second)
    finally:
        close_warped_views()


# --- prospect plan with a header it cannot read ---------------------------------------------

def test_plan_says_it_did_not_check_variables_when_a_header_is_unreadable(
        sandbox: Sandbox, cli) -> None:
    """Before: with one raster's header unreadable (not a raster yet: a download in
    progress), ``prospect plan`` counted its layers from the config and skipped checking
    the tile layers against what ingest makes: a tile layer of a variable no stage makes
    passed, exit 0, no word (with the header readable, the same config is refused). Since
    the plan reads a local file as the run does, a header the reader refuses stops the plan
    with the run's own error (exit 1), naming the file and the stage it would stop."""
    (sandbox.root / "cold.tif").write_bytes(b"<html>503 Service Unavailable</html>")
    sources = [*_source("heat.tif"), {"kind": "raster", "name": "cold", "path": "cold.tif",
                                      "units": "1"}]
    sandbox.write_job(sources=sources, tiles={"layers": [{"variable": "nope"}]})
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 1, "cold.tif", "stops at ingest")
    _write(sandbox.root / "cold.tif", VALUES[:40, :40].copy())
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "nope")


# --- a grid stated in full by a STAC item -----------------------------------------------------

def test_a_file_of_giant_blocks_behind_a_stated_grid_is_refused_before_a_block_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: an asset whose STAC item states its grid in full (``proj:shape``,
    ``proj:transform``) is planned without its header, so the block check of
    ``raster_info`` never saw it: a file of one 8208 x 8208 tile was decoded whole (257
    MiB) by every chunk task of a composite. Now the file's blocks are checked when it is
    first opened for pixels, before a block is read."""
    import rasterio
    from rasterio.transform import from_origin

    from prospect.errors import DataError
    from prospect.grid import ChunkWindow, RegionGrid
    from prospect.io.raster import RasterInfo
    from prospect.io.warp import close_warped_views, read_source_block

    monkeypatch.setenv("PROSPECT_MAX_BLOCK_BYTES", str(2**20))
    path = tmp_path / "huge.tif"
    transform = from_origin(X0, Y0 + 400, 1, 1)
    with rasterio.open(path, "w", driver="GTiff", width=1024, height=1024, count=1,
                       dtype="float32", crs="EPSG:32619", transform=transform, tiled=True,
                       blockxsize=1024, blockysize=1024, sparse_ok=True):
        pass
    info = RasterInfo(path=str(path), crs="EPSG:32619", transform=tuple(transform)[:6],
                      width=1024, height=1024, count=1, dtype="float32", nodata=(None,),
                      descriptions=(None,), scales=(1.0,), offsets=(0.0,),
                      stated_by="item 'scene' asset 'red'", stated_crs=True)
    grid = RegionGrid(name="tiny", crs="EPSG:32619", resolution=10.0,
                      bounds=(X0, Y0, X0 + 400, Y0 + 400), chunks=(20, 20))
    window = ChunkWindow(iy=0, ix=0, rows=slice(0, 20), cols=slice(0, 20))
    try:
        with pytest.raises(DataError, match=r"huge\.tif: the file is stored as one block .*"
                                            r"\(1024 x 1024 cells\).*TILED=YES"):
            read_source_block(info, 1, grid, window)
    finally:
        close_warped_views()


@pytest.mark.parametrize("stated", [False, True], ids=["no-properties", "stated-blocks"])
def test_a_giant_tile_past_the_64th_source_of_a_vrt_read_through_gdal_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stated: bool) -> None:
    """Before: a VRT read through GDAL (``/vsizip/``, ``/vsicurl/``) had the first 64 of
    its sources checked for giant blocks, so an 80th source of one 1024 x 1024 tile (over
    the limit set here) read with every chunk decoding it whole. Its XML now comes from
    GDAL (``xml:VRT``) and every source is screened as a local VRT's are."""
    import zipfile

    import rasterio
    from rasterio.transform import from_origin

    from prospect.errors import DataError
    from prospect.io.raster import raster_info

    monkeypatch.setenv("PROSPECT_MAX_BLOCK_BYTES", str(2**20))
    names = []
    for i in range(80):
        big = i == 79
        size = 1024 if big else 16
        prof = {"driver": "GTiff", "width": size, "height": size, "count": 1,
                "dtype": "float32", "crs": "EPSG:32619",
                "transform": from_origin(X0 + 16 * i, Y0 + 400, 16 / size, 16 / size)}
        if big:
            prof.update(tiled=True, blockxsize=1024, blockysize=1024, sparse_ok=True)
        with rasterio.open(tmp_path / f"t{i}.tif", "w", **prof) as dst:
            if not big:
                dst.write(np.ones((1, size, size), "f4"))
        names.append(f"t{i}.tif")
    sources = []
    for i, name in enumerate(names):
        size = 1024 if i == 79 else 16
        props = (f'<SourceProperties RasterXSize="{size}" RasterYSize="{size}" '
                 f'DataType="Float32" BlockXSize="{size}" BlockYSize="{size}"/>'
                 if stated else "")
        sources.append(
            f'<SimpleSource><SourceFilename relativeToVRT="1">{name}</SourceFilename>'
            f"<SourceBand>1</SourceBand>{props}"
            f'<SrcRect xOff="0" yOff="0" xSize="{size}" ySize="{size}"/>'
            f'<DstRect xOff="{16 * i}" yOff="0" xSize="16" ySize="16"/></SimpleSource>')
    vrt = ('<VRTDataset rasterXSize="1280" rasterYSize="16"><SRS>EPSG:32619</SRS>'
           f"<GeoTransform>{X0}, 1, 0, {Y0 + 400}, 0, -1</GeoTransform>"
           '<VRTRasterBand dataType="Float32" band="1">' + "".join(sources)
           + "</VRTRasterBand></VRTDataset>")
    with zipfile.ZipFile(tmp_path / "mosaic.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mosaic.vrt", vrt)
        for name in names:
            z.write(tmp_path / name, name)
    for name in names:
        (tmp_path / name).unlink()
    with pytest.raises(DataError, match=r"mosaic\.vrt: its source .*t79\.tif: the file is "
                                        r"stored as one block .*\(1024 x 1024 cells\)"):
        raster_info(f"/vsizip/{tmp_path}/mosaic.zip/mosaic.vrt")


def test_plan_refuses_a_composite_scene_of_giant_blocks_its_item_states_in_full(
        sandbox: Sandbox, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: ``prospect plan`` of a composite whose STAC items state each asset's grid in
    full said OK (exit 0) for scenes stored as one giant tile, which the run decoded whole
    for every chunk task; the items are planned without the files' headers."""
    import json

    import rasterio
    from rasterio.transform import from_origin

    monkeypatch.setenv("PROSPECT_MAX_BLOCK_BYTES", str(2**20))
    transform = from_origin(X0, Y0 + 400, 400 / 1024, 400 / 1024)
    items = []
    for i in range(2):
        with rasterio.open(sandbox.root / f"s{i}.tif", "w", driver="GTiff", width=1024,
                           height=1024, count=1, dtype="float32", crs="EPSG:32619",
                           transform=transform, tiled=True, blockxsize=1024,
                           blockysize=1024, sparse_ok=True):
            pass
        items.append({
            "type": "Feature", "stac_version": "1.0.0", "id": f"scene{i}", "geometry": None,
            "properties": {"datetime": f"2020-05-1{i}T10:00:00Z", "proj:epsg": 32619},
            "assets": {"red": {"href": str(sandbox.root / f"s{i}.tif"), "roles": ["data"],
                               "proj:shape": [1024, 1024],
                               "proj:transform": list(transform)[:6]}},
            "links": []})
    (sandbox.root / "items.json").write_text(json.dumps(
        {"type": "FeatureCollection", "features": items}))
    sandbox.write_job(sources=[{"kind": "raster", "name": "c", "stac": "items.json",
                                "assets": {"red": "red"}, "composite": {"method": "median"},
                                "units": "1"}])
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 1, "s0.tif", "one block", "(1024 x 1024 cells)", "TILED=YES")


# --- a CRS of an ellipsoid without a datum ----------------------------------------------------

RD_NO_DATUM = ("+proj=sterea +lat_0=52.15616055555555 +lon_0=5.38763888888889 +k=0.9999079 "
               "+x_0=155000 +y_0=463000 +ellps=bessel +units=m +no_defs")
RD_TOWGS84 = RD_NO_DATUM.replace(" +units", " +towgs84=565.417,50.3319,465.552,-0.398957,"
                                 "0.343988,-1.8774,4.0725 +units")
RD_REGION = {"name": "rd", "crs": "EPSG:28992", "resolution": 10.0,
             "bounds": [155000.0, 463000.0, 155400.0, 463400.0], "chunks": [20, 20]}
UTM31_REGION = {"name": "utm", "crs": "EPSG:32631", "resolution": 10.0,
                "bounds": [670000.0, 5780000.0, 670400.0, 5780400.0], "chunks": [20, 20]}


@pytest.mark.parametrize(("crs", "region", "refused"), [
    ("+proj=utm +zone=19 +ellps=intl +units=m +no_defs", None, True),
    ("+proj=utm +zone=19 +ellps=clrk66 +units=m +no_defs", None, True),
    (RD_NO_DATUM, UTM31_REGION, False),
    (RD_NO_DATUM, RD_REGION, False),
    (RD_TOWGS84, UTM31_REGION, False),
    ("+proj=utm +zone=19 +ellps=WGS84 +units=m +no_defs", None, False),
], ids=["hayford-without-datum", "clarke-without-datum", "rd-without-datum-on-utm",
        "rd-without-datum-on-rd",
        "rd-with-towgs84-on-utm", "wgs84-ellipsoid-without-datum"])
def test_a_crs_of_an_ellipsoid_without_a_datum_is_refused_off_its_own_ellipsoid(
        sandbox: Sandbox, cli, scheduler: str, crs: str, region: dict[str, Any] | None,
        refused: bool) -> None:
    """Before: a raster whose CRS names an ellipsoid but no datum (a UTM zone on the
    International 1924 or Clarke 1866 ellipsoid, as a .prj without its datum says it) was
    put on a WGS 84 UTM region with PROJ's "ballpark" offset of nothing between the
    datums: 100 m or more off, exit 0. Controls: RD New without +towgs84 (GDAL finds it
    is EPSG:28992, read with its datum shift) on a UTM and an RD region, RD New with
    +towgs84, and a WGS 84 ellipsoid without a datum."""
    from pyproj import CRS, Transformer
    from rasterio.crs import CRS as RioCRS
    from rasterio.transform import from_origin

    region = region or {"name": "tiny", "crs": "EPSG:32619", "resolution": 10.0,
                        "bounds": [X0, Y0, X0 + 400, Y0 + 400], "chunks": [20, 20]}
    left, bottom, right, top = region["bounds"]
    to_file = Transformer.from_crs(CRS(region["crs"]), CRS(crs), always_xy=True)
    fx, fy = to_file.transform((left + right) / 2, (bottom + top) / 2)
    _write(sandbox.root / "heat.tif", np.ones((80, 80), "f4"), crs=RioCRS.from_string(crs),
           transform=from_origin(fx - 400, fy + 400, 10, 10))
    result = _ingest(sandbox, cli, scheduler, region=region, sources=_source("heat.tif"))
    if refused:
        assert_clean_error(result, 1, "heat.tif", "no datum", "ballpark", "'crs:'")
        assert not (sandbox.out / "cube.zarr").exists()
    else:
        assert result.code == 0, result.err[-2000:]
        assert np.isfinite(_cube(sandbox)).all()


# --- a packed NetCDF variable's fill in unpacked units ----------------------------------------

@pytest.mark.parametrize("attrs", [
    {"_FillValue": np.float32(-99.99)},
    {"missing_value": np.float32(-99.99)},
    {"_FillValue": np.int16(-9999)},
], ids=["fill-unpacked", "missing-value-unpacked", "fill-packed"])
def test_a_packed_variables_fill_in_unpacked_units_is_no_data(
        sandbox: Sandbox, cli, scheduler: str, attrs: dict[str, Any]) -> None:
    """Before: an int16 variable packed with ``scale_factor = 0.01`` whose ``_FillValue``
    or ``missing_value`` is written unpacked (-99.99, where CF has the packed -9999, as
    several writers do) had its fill cells ingested as -99.99, exit 0, with a warning that
    -99.99 "cannot occur in an int16 band". Control: the packed fill, as CF has it."""
    from .test_inputs_round11 import _netcdf

    raw = (np.arange(1600).reshape(40, 40) % 500).astype("i2")
    raw[0, 0] = raw[5, 7] = -9999
    _netcdf(sandbox.root / "heat.nc", raw, dtype="i2",
            attrs={"scale_factor": np.float32(0.01), "add_offset": np.float32(0), **attrs})
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[0, 0]) and np.isnan(cube[5, 7])
    assert np.isnan(cube).sum() == 2
    np.testing.assert_allclose(cube[1:, 1:][raw[1:, 1:] != -9999],
                               raw[1:, 1:][raw[1:, 1:] != -9999] * np.float32(0.01),
                               rtol=1e-6)


# --- nodata: NaN in the config ----------------------------------------------------------------

@pytest.mark.parametrize("nodata", [".nan", "NaN", "nan"])
def test_nodata_nan_in_the_config_keeps_the_files_own_nodata(
        sandbox: Sandbox, cli, scheduler: str, nodata: str) -> None:
    """Before: ``nodata: NaN`` (YAML's ``.nan`` or the text ``NaN``) on a float file that
    states -9999 replaced the file's nodata by NaN, which every float read drops anyway:
    the -9999 collar became values, exit 0. NaN is no data whatever the config says; the
    file's -9999 stays no data too."""
    values = np.random.default_rng(2).random((40, 40)).astype("f4")
    values[:, :4] = -9999
    values[10, 10] = np.nan
    _write(sandbox.root / "heat.tif", values, nodata=-9999)
    import yaml

    job = sandbox.job(sources=_source("heat.tif"))
    body = yaml.safe_dump(job, sort_keys=False).replace(
        "units: '1'", f"units: '1'\n  nodata: {nodata}")
    assert f"nodata: {nodata}" in body
    sandbox.write_job(body)
    result = _ingest_written(sandbox, cli, scheduler)
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:, :4]).all() and np.isnan(cube[10, 10])
    assert np.nanmin(cube) >= 0


def _ingest_written(box: Sandbox, cli, scheduler: str):
    return cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
