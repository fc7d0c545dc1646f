"""Round 12: raster and NetCDF survey layers in the forms survey scientists have them.

Found by feeding ``prospect ingest`` real raster forms one at a time (2026-12-02): a NetCDF
variable of several time steps refused as "has 3 bands; name each with band_names"
without a word of time, palette and 1-bit class rasters averaged as continuous values,
VRTs whose sources are relative to the folder Prospect runs in, rasters as downloaded in
a zip or gzip archive called "corrupt", and formats that keep their CRS beside them (an
ESRI ASCII grid's ``.prj``, a world file) refused without naming the file that was
missing. Each case runs the real CLI and holds it to the corpus's rules; the controls
(ESRI ASCII, Surfer and XYZ grids, LERC/ZSTD bands, pixel-is-point GeoTIFFs, stale
overviews, time steps named with ``band_names``...) must keep reading as before. Every
file here is small and SYNTHETIC.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from .conftest import TINY_REGION, Sandbox, assert_clean_error, write_tiny_raster
from .test_point_tables import X0, Y0, _ingest

VALUES = np.arange(1600, dtype="f4").reshape(40, 40)  # row 0 north, as the cube's
COARSE = {**TINY_REGION, "resolution": 15.0, "bounds": [X0, Y0, X0 + 390.0, Y0 + 390.0],
          "chunks": [26, 26]}
"""The tiny region on 15 m cells: every cube cell mixes source cells."""

needs_gdal_cli = pytest.mark.skipif(shutil.which("gdal_translate") is None,
                                    reason="GDAL command line tools not installed")


def _cube(box: Sandbox, variable: str = "heat") -> np.ndarray:
    import xarray as xr

    return np.asarray(xr.open_zarr(box.out / "cube.zarr")[variable].values)


def _source(path: str, **more: object) -> list[dict[str, object]]:
    return [{"kind": "raster", "name": "heat", "path": path, "units": "1", **more}]


def _gdal(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def _stepped_netcdf(path: Path, *, dims: tuple[tuple[str, str, list[float]], ...] = (
        ("time", "days since 2000-01-01", [0.0, 366.0, 731.0]),),
        variables: tuple[str, ...] = ("heat",)) -> Path:
    """A CF NetCDF-3 file (SYNTHETIC) of ``variables`` on the tiny region's grid, with
    leading non-spatial ``dims`` (name, units, values) before ``(y, x)``."""
    import rasterio.crs
    from scipy.io import netcdf_file

    ds = netcdf_file(str(path), "w", version=2)
    shape = []
    for name, units, values in dims:
        ds.createDimension(name, len(values))
        coord = ds.createVariable(name, "f8", (name,))
        coord[:] = values
        coord.units = units
        shape.append(len(values))
    ds.createDimension("x", 40)
    ds.createDimension("y", 40)
    x = ds.createVariable("x", "f8", ("x",))
    x[:] = X0 + 5 + 10 * np.arange(40)
    x.standard_name, x.units = "projection_x_coordinate", "m"
    y = ds.createVariable("y", "f8", ("y",))
    y[:] = Y0 + 395 - 10 * np.arange(40)
    y.standard_name, y.units = "projection_y_coordinate", "m"
    crs = ds.createVariable("crs", "i4", ())
    crs.crs_wkt = crs.spatial_ref = rasterio.crs.CRS.from_epsg(32619).to_wkt()
    steps = int(np.prod(shape)) if shape else 1
    for name in variables:
        var = ds.createVariable(name, "f4", (*(d[0] for d in dims), "y", "x"))
        var.grid_mapping = "crs"
        var[:] = (np.arange(steps)[:, None, None] * 10000 + VALUES).reshape(
            (*shape, 40, 40)).astype("f4")
    ds.close()
    return path


# --- a NetCDF variable of several time (or depth) steps --------------------------------------

@pytest.mark.parametrize("layout", ["path", "variable", "bands"])
def test_a_netcdf_of_time_steps_names_the_dimension_its_dates_and_the_fix(
        sandbox: Sandbox, cli, scheduler: str, layout: str) -> None:
    """Before: "has 3 bands; name each one with 'band_names: [...]'" (or "needs a
    single-band file"): nothing said the bands were time steps, which ones, or how to
    pick one."""
    _stepped_netcdf(sandbox.root / "heat.nc")
    source = {"path": _source("heat.nc"), "variable": _source("heat.nc", variable="heat"),
              "bands": [{"kind": "raster", "name": "heat", "units": "1",
                         "bands": {"heat": "heat.nc"}}]}[layout]
    result = _ingest(sandbox, cli, scheduler, sources=source)
    line = assert_clean_error(result, 1, "heat.nc", "'time' dimension", "3 steps",
                              "2000-01-01, 2001-01-01, 2002-01-01", "gdal_translate -b 1",
                              "ncks -d time,0", "band_names: [heat_2000_01_01")
    if layout == "variable":
        assert "NETCDF:heat.nc:heat" in line
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


def test_a_netcdf_of_depth_slices_names_the_depths(sandbox: Sandbox, cli,
                                                   scheduler: str) -> None:
    """Before: "has 3 bands; name each one with 'band_names'" for resistivity at three
    depths (a stack of depth slices, as AEM inversions are delivered)."""
    _stepped_netcdf(sandbox.root / "heat.nc", dims=(("depth", "m", [50.0, 100.0, 200.0]),))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    line = assert_clean_error(result, 1, "heat.nc", "'depth' dimension",
                              "50 m, 100 m, 200 m", "ncks -d depth,0")
    assert "seltimestep" not in line
    assert sandbox.untouched()


def test_a_netcdf_of_time_and_depth_names_both(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: "has 6 bands": two dimensions of steps, neither named."""
    _stepped_netcdf(sandbox.root / "heat.nc", dims=(
        ("time", "hours since 2020-06-01 12:00:00", [0.0, 6.0]),
        ("depth", "m", [10.0, 20.0, 30.0])))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert_clean_error(result, 1, "its 6 bands", "'time' dimension (2 steps: "
                       "2020-06-01T12:00, 2020-06-01T18:00)", "'depth' dimension (3 steps",
                       "ncks -d time,0 -d depth,0")


def test_band_names_of_another_count_than_the_time_steps_names_the_steps(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: "has 3 band(s) but the config names 2": the steps were not named."""
    _stepped_netcdf(sandbox.root / "heat.nc")
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("heat.nc", band_names=["y2000", "y2001"]))
    assert_clean_error(result, 1, "heat.nc", "names 2 band(s) (y2000, y2001)",
                       "'time' dimension (3 steps")


def test_time_steps_named_with_band_names_read_each_step(sandbox: Sandbox, cli,
                                                         scheduler: str) -> None:
    """Control: one name per time step ingests each step as a layer of its own."""
    _stepped_netcdf(sandbox.root / "heat.nc")
    names = ["heat_2000", "heat_2001", "heat_2002"]
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc", band_names=names))
    assert result.code == 0, result.err[-3000:]
    for i, name in enumerate(names):
        np.testing.assert_array_equal(_cube(sandbox, name), VALUES + 10000 * i)


def test_a_netcdf_of_one_time_step_reads(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: a time dimension of length 1 is one band, read as the layer."""
    _stepped_netcdf(sandbox.root / "heat.nc",
                    dims=(("time", "days since 2000-01-01", [10.0]),))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


@pytest.mark.parametrize(("variable", "needles"), [
    (None, ["several variables (heat, cond)", "'variable:'"]),
    ("hflow", ["no variable 'hflow'", "variables are heat, cond"]),
], ids=["unnamed", "absent"])
def test_a_multi_variable_netcdf_names_its_variables(sandbox: Sandbox, cli, scheduler: str,
                                                     variable: str | None,
                                                     needles: list[str]) -> None:
    """Control (sound before): a file of several variables read without 'variable:', or
    with one it lacks, lists the variables it holds."""
    _stepped_netcdf(sandbox.root / "heat.nc", dims=(), variables=("heat", "cond"))
    extra = {"variable": variable} if variable else {}
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc", **extra))
    assert_clean_error(result, 1, "heat.nc", *needles)


# --- class rasters read as continuous values -------------------------------------------------

def _palette(path: Path) -> Path:
    import rasterio

    codes = (np.arange(1600).reshape(40, 40) // 400 * 3).astype("uint8")  # classes 0, 3, 6, 9
    write_tiny_raster(path, values=codes)
    with rasterio.open(path, "r+") as dst:
        dst.write_colormap(1, {0: (200, 0, 0, 255), 3: (0, 200, 0, 255), 6: (0, 0, 200, 255),
                               9: (90, 90, 90, 255)})
    return path


def _one_bit(path: Path) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    bits = (np.arange(1600).reshape(40, 40) % 3 == 0).astype("uint8")
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype="uint8",
                       crs="EPSG:32619", transform=from_origin(X0, Y0 + 400, 10, 10),
                       nbits=1) as dst:
        dst.write(bits, 1)
    return path


def _thematic(path: Path) -> Path:
    """An ERDAS Imagine file of class codes (``LAYER_TYPE=thematic``)."""
    import rasterio

    tif = _palette(path.with_suffix(".tif"))
    with rasterio.open(tif) as src:
        codes = src.read(1)
        profile = {**src.profile, "driver": "HFA"}
    for key in ("blockxsize", "blockysize", "tiled", "interleave", "compress"):
        profile.pop(key, None)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(codes, 1)
        dst.update_tags(1, LAYER_TYPE="thematic")
    tif.unlink()
    return path


@pytest.mark.parametrize(("make", "name", "why"), [
    (_palette, "heat.tif", "a colour table"),
    (_one_bit, "heat.tif", "1-bit values"),
    (_thematic, "heat.img", "LAYER_TYPE=thematic"),
], ids=["palette", "one-bit", "thematic"])
def test_class_codes_by_the_files_word_are_not_averaged_by_default(
        sandbox: Sandbox, cli, scheduler: str, make, name: str, why: str) -> None:
    """Before: exit 0, codes 0 and 3 of a palette raster averaged to 0.37 and 2.63, a 1-bit
    mask to fractions: a class map read as continuous values (the default) without a
    word."""
    make(sandbox.root / name)
    result = _ingest(sandbox, cli, scheduler, region=dict(COARSE), sources=_source(name))
    assert_clean_error(result, 1, name, why, "'values: categorical'")
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


@pytest.mark.parametrize("values", ["categorical", "continuous"])
def test_class_codes_read_as_declared(sandbox: Sandbox, cli, scheduler: str,
                                      values: str) -> None:
    """Control: a palette raster declared categorical keeps its codes; declared continuous
    on purpose, it is read so."""
    _palette(sandbox.root / "heat.tif")
    result = _ingest(sandbox, cli, scheduler, region=dict(COARSE),
                     sources=_source("heat.tif", values=values))
    assert result.code == 0, result.err[-3000:]
    found = set(np.unique(_cube(sandbox)).tolist())
    assert found <= {0, 3, 6, 9} if values == "categorical" else len(found) > 4


# --- VRTs, archives, and CRSs kept beside the file ----------------------------------------

def _vrt(path: Path, source: str, *, relative: bool) -> Path:
    path.write_text(
        '<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
        f'<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>'
        '<VRTRasterBand dataType="Float32" band="1"><SimpleSource>'
        f'<SourceFilename relativeToVRT="{int(relative)}">{source}</SourceFilename>'
        '<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>')
    return path


@pytest.mark.parametrize("in_cwd", [False, True], ids=["missing-here", "another-file-here"])
def test_a_vrt_source_relative_to_the_working_folder_is_refused(
        sandbox: Sandbox, cli, scheduler: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, in_cwd: bool) -> None:
    """Before: "cannot read as a raster (corrupt, truncated or not a raster): data/heat.tif:
    No such file or directory" (gdalbuildvrt run in another folder writes
    ``relativeToVRT="0"``); and where the folder Prospect ran in held a file of that name,
    that other file was ingested without a word."""
    write_tiny_raster(sandbox.root / "data" / "heat.tif", values=VALUES)
    _vrt(sandbox.root / "heat.vrt", "data/heat.tif", relative=False)
    elsewhere = tmp_path / "elsewhere"
    if in_cwd:
        write_tiny_raster(elsewhere / "data" / "heat.tif", values=VALUES * 0 + 7)
    elsewhere.mkdir(exist_ok=True)
    monkeypatch.chdir(elsewhere)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.vrt"))
    assert_clean_error(result, 1, "heat.vrt", "'data/heat.tif'", 'relativeToVRT="0"',
                       "is there", "gdalbuildvrt")
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


def test_a_vrt_with_sources_relative_to_itself_reads(sandbox: Sandbox, cli,
                                                     scheduler: str) -> None:
    """Control: ``relativeToVRT="1"`` sources read wherever Prospect runs."""
    write_tiny_raster(sandbox.root / "data" / "heat.tif", values=VALUES)
    _vrt(sandbox.root / "heat.vrt", "data/heat.tif", relative=True)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.vrt"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


@pytest.mark.parametrize("kind", ["zip", "gzip"])
def test_a_raster_in_an_archive_is_named_as_one(sandbox: Sandbox, cli, scheduler: str,
                                                kind: str) -> None:
    """Before: "cannot read as a raster (corrupt, truncated or not a raster): ... not
    recognized as being in a supported file format" for a GeoTIFF as downloaded, zipped or
    gzipped."""
    tif = write_tiny_raster(sandbox.root / "grid.tif", values=VALUES)
    if kind == "zip":
        name = "grid.zip"
        with zipfile.ZipFile(sandbox.root / name, "w") as zf:
            zf.write(tif, "grid.tif")
        needles = ["grid.zip: a zip archive (grid.tif)", "unzip grid.zip"]
    else:
        name = "grid.tif.gz"
        (sandbox.root / name).write_bytes(gzip.compress(tif.read_bytes()))
        needles = ["grid.tif.gz: a gzip-compressed file", "gunzip -k grid.tif.gz",
                   "give grid.tif"]
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    line = assert_clean_error(result, 1, *needles)
    assert "corrupt" not in line
    assert sandbox.untouched()


def _ascii_grid(path: Path, *, corner: bool = True) -> Path:
    origin = (f"xllcorner {X0:.0f}\nyllcorner {Y0:.0f}" if corner else
              f"xllcenter {X0 + 5:.0f}\nyllcenter {Y0 + 5:.0f}")
    path.write_text(f"ncols 40\nnrows 40\n{origin}\ncellsize 10\nNODATA_value -9999\n"
                    + "\n".join(" ".join(f"{v:g}" for v in row) for row in VALUES) + "\n")
    return path


def test_an_esri_ascii_grid_without_its_prj_names_the_prj(sandbox: Sandbox, cli,
                                                          scheduler: str) -> None:
    """Before: "no CRS GDAL can read (it may sit in a non-standard attribute)": an ESRI
    ASCII grid keeps its CRS in a ``.prj`` beside it, which was not named."""
    _ascii_grid(sandbox.root / "heat.asc")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.asc"))
    line = assert_clean_error(result, 1, "heat.asc", "ESRI ASCII grid", "heat.prj is not there",
                              "crs:")
    assert "non-standard attribute" not in line


@needs_gdal_cli
def test_a_world_file_raster_without_a_crs_names_the_world_file(sandbox: Sandbox, cli,
                                                                scheduler: str) -> None:
    """Before: "it may sit in a non-standard attribute" for a plain TIFF placed by a
    ``.tfw``, which never holds a CRS."""
    write_tiny_raster(sandbox.root / "g.tif", values=VALUES)
    _gdal("gdal_translate", "-q", "-co", "TFW=YES", "-co", "PROFILE=BASELINE",
          sandbox.root / "g.tif", sandbox.root / "heat.tif")
    for extra in (sandbox.root / "g.tif", sandbox.root / "heat.tif.aux.xml"):
        extra.unlink(missing_ok=True)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert_clean_error(result, 1, "heat.tif", "world file heat.tfw", "crs:")


@pytest.mark.parametrize("corner", [True, False], ids=["xllcorner", "xllcenter"])
def test_an_esri_ascii_grid_with_its_prj_reads(sandbox: Sandbox, cli, scheduler: str,
                                               corner: bool) -> None:
    """Control: an ESRI ASCII grid with its ``.prj`` (corner or centre origin) reads."""
    import rasterio.crs

    _ascii_grid(sandbox.root / "heat.asc", corner=corner)
    (sandbox.root / "heat.prj").write_text(rasterio.crs.CRS.from_epsg(32619).to_wkt())
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.asc"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


@needs_gdal_cli
@pytest.mark.parametrize(("driver", "name"), [
    ("GSAG", "heat.grd"), ("GS7BG", "heat.grd"), ("XYZ", "heat.xyz")])
def test_surfer_and_xyz_grids_with_crs_read(sandbox: Sandbox, cli, scheduler: str,
                                            driver: str, name: str) -> None:
    """Control: Surfer ASCII and binary grids and an XYZ grid, given 'crs:', read exactly
    (Surfer stores rows south first)."""
    write_tiny_raster(sandbox.root / "g.tif", values=VALUES)
    _gdal("gdal_translate", "-q", "-of", driver, sandbox.root / "g.tif", sandbox.root / name)
    result = _ingest(sandbox, cli, scheduler, sources=_source(name, crs="EPSG:32619"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


# --- encodings and georeferencing that must keep reading ----------------------------------

@pytest.mark.parametrize("compress", ["LERC", "ZSTD", "LERC_ZSTD"])
def test_lerc_and_zstd_bands_read(sandbox: Sandbox, cli, scheduler: str,
                                  compress: str) -> None:
    """Control: LERC (lossless: no MAX_Z_ERROR) and ZSTD compressed bands read exactly."""
    from rasterio.shutil import copy as rio_copy

    write_tiny_raster(sandbox.root / "g.tif", values=VALUES)
    rio_copy(str(sandbox.root / "g.tif"), str(sandbox.root / "heat.tif"), driver="GTiff",
             compress=compress)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


@needs_gdal_cli
def test_a_pixel_is_point_geotiff_is_placed_by_its_cell_centres(sandbox: Sandbox, cli,
                                                                scheduler: str) -> None:
    """Control: a GeoTIFF whose tie point is its first cell's centre (``PixelIsPoint``, as
    many DEMs are written) is shifted by half a cell, onto the same cells."""
    write_tiny_raster(sandbox.root / "g.tif", values=VALUES)
    _gdal("gdal_translate", "-q", "--config", "GTIFF_POINT_GEO_IGNORE", "TRUE", "-mo",
          "AREA_OR_POINT=Point", "-a_ullr", X0 + 5, Y0 + 395, X0 + 405, Y0 - 5,
          sandbox.root / "g.tif", sandbox.root / "heat.tif")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


@needs_gdal_cli
def test_stale_overviews_are_not_read_as_the_data(sandbox: Sandbox, cli,
                                                  scheduler: str) -> None:
    """Control: overviews left from before the band was rewritten are not warped from
    when coarsening (the cube averages the full-resolution cells)."""
    import rasterio

    write_tiny_raster(sandbox.root / "heat.tif", values=VALUES)
    _gdal("gdaladdo", "-q", "-r", "nearest", sandbox.root / "heat.tif", "2", "4")
    with rasterio.open(sandbox.root / "heat.tif", "r+") as dst:
        dst.write(VALUES + 5000, 1)
    region = {**TINY_REGION, "resolution": 20.0, "chunks": [20, 20]}
    result = _ingest(sandbox, cli, scheduler, region=region, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-3000:]
    expected = (VALUES + 5000).reshape(20, 2, 20, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(_cube(sandbox), expected, rtol=1e-6)


@needs_gdal_cli
def test_a_dem_in_feet_by_its_vertical_crs_is_warned_against_metres(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: a DEM whose compound CRS is in US survey feet vertically (NAVD88 height
    (ftUS)), configured as metres, is warned of; nothing is converted."""
    write_tiny_raster(sandbox.root / "g.tif", values=VALUES)
    _gdal("gdal_translate", "-q", "-a_srs", "EPSG:32619+6360", sandbox.root / "g.tif",
          sandbox.root / "heat.tif")
    result = _ingest(sandbox, cli, scheduler,
                     sources=[{"kind": "raster", "name": "heat", "path": "heat.tif",
                               "units": "m"}])
    assert result.code == 0, result.err[-3000:]
    said = " ".join((result.out + result.err).split())
    assert "US survey foot" in said and "units: m" in said
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


# --- a read that fails on a worker ---------------------------------------------------------

def test_a_damaged_tile_read_on_a_worker_is_one_line_not_an_internal_error(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: exit 70, "internal error: Exception: InputFileError(...)": a tile the
    planning's sample did not read failed on a worker, and the error came back as a bare
    ``Exception`` (dask pickles an error with the rasterio error it chained, which does not
    pickle)."""
    import rasterio
    from rasterio.transform import from_origin

    path = sandbox.root / "heat.tif"
    with rasterio.open(path, "w", driver="GTiff", width=1024, height=1024, count=1,
                       dtype="float32", crs="EPSG:32619",
                       transform=from_origin(X0, Y0 + 10240, 10, 10), tiled=True,
                       blockxsize=128, blockysize=128, compress="deflate") as dst:
        dst.write(np.random.default_rng(1).random((1024, 1024)).astype("f4"), 1)
    with rasterio.open(path) as src:  # a tile neither sampled nor a corner's
        offset = int(src.get_tag_item("BLOCK_OFFSET_2_0", "TIFF", bidx=1))
        size = int(src.get_tag_item("BLOCK_SIZE_2_0", "TIFF", bidx=1))
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(b"\xff" * size)
    region = {**TINY_REGION, "bounds": [X0 + 2560, Y0 + 8960, X0 + 3840, Y0 + 10240],
              "chunks": [64, 64]}
    result = _ingest(sandbox, cli, scheduler, region=region, sources=_source("heat.tif"))
    # round 38: a block that fails the read is said as damaged, with the fix
    assert_clean_error(result, 1, "heat.tif", "band 1 has a damaged block (GDAL, while warping",
                       "TIFFReadEncodedTile", "download or copy the file again")
    assert sandbox.untouched()
