"""Survey rasters whose files say less than GDAL reads: sparse GeoTIFF blocks, raw-grid
headers with words for numbers, ESRI ASCII rows of the wrong length and netCDF-4 bounds
told by their type.

Found by writing geophysics and geochemistry grids (GeoTIFF, ENVI, ``.hdr`` BIL, ESRI
ASCII, netCDF-4) with rasterio, GDAL and by hand into ``tmp_path`` and feeding them to the
real ``prospect`` CLI (2026-12-02). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import ctypes
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_inputs_round11 import _netcdf
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write
from .test_rasters_round17 import PACKING, RAW, VALUES, assert_raw_unpacked

# --- sparse GeoTIFF blocks --------------------------------------------------------------------

def _sparse(path: Path, *, nodata: float | None) -> Path:
    """A tiled GeoTIFF (SYNTHETIC) written with ``SPARSE_OK=TRUE`` whose first row of
    16 x 16 tiles was never written (a mosaic job that stopped, a clip of a survey)."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    more = {"nodata": nodata} if nodata is not None else {}
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs="EPSG:32619", tiled=True, blockxsize=16,
                       blockysize=16, SPARSE_OK=True,
                       transform=from_origin(X0, Y0 + 400, 10, 10), **more) as dst:
        dst.write(VALUES[16:] + 1, 1, window=Window(0, 16, 40, 24))
    return path


@pytest.mark.parametrize("nodata", [None, -9999.0], ids=["no-nodata", "control-nodata"])
def test_a_sparse_geotiffs_unwritten_blocks_are_never_values(
        sandbox: Sandbox, cli, scheduler: str, nodata: float | None) -> None:
    """Before: the three tiles of the first row, never written (``SPARSE_OK=TRUE``), of a
    file stating no nodata were read by GDAL as 0 and ingested as 0 heat flow, exit 0.
    Now refused naming the blocks and both fixes (a nodata, or writing them). Control:
    with a nodata GDAL reads them as no data."""
    _sparse(sandbox.root / "heat.tif", nodata=nodata)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    if nodata is None:
        assert_clean_error(result, 1, "heat.tif", "3 of its 9 blocks", "sparse",
                           "gdal_edit.py -a_nodata", "SPARSE_OK=FALSE")
        assert sandbox.untouched()
        return
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:16]).all()
    np.testing.assert_allclose(cube[16:], VALUES[16:] + 1, rtol=1e-6)


# --- raw-grid headers with a word for a number ------------------------------------------------

def _envi(path: Path, **profile: Any) -> Path:
    """An int16 ENVI grid (SYNTHETIC) of nodata -9999 in its first 5 columns, without the
    ``.aux.xml`` rasterio writes beside it (which would state the nodata again)."""
    import rasterio
    from rasterio.transform import from_origin

    values = (VALUES * 10).astype("i2")
    values[:, :5] = -9999
    with rasterio.open(path, "w", width=40, height=40, count=1, dtype="int16",
                       nodata=-9999, crs="EPSG:32619",
                       transform=from_origin(X0, Y0 + 400, 10, 10), **profile) as dst:
        dst.write(values, 1)
    for aux in path.parent.glob(path.name + ".aux.xml"):
        aux.unlink()
    return path


@pytest.mark.parametrize(("driver", "line", "word"), [
    ("ENVI", "data ignore value = -9999", "data ignore value = abc"),
    ("ENVI", "header offset = 0", "header offset = 1o"),
    ("ENVI", "byte order = 0", "byte order = big"),
    ("EHdr", "NODATA       -9999", "NODATA       none"),
    ("ENVI", None, None),
], ids=["envi-nodata", "envi-offset", "envi-byte-order", "ehdr-nodata", "control"])
def test_a_raw_grid_header_with_a_word_for_a_number_is_refused_naming_the_line(
        sandbox: Sandbox, cli, scheduler: str, driver: str, line: str | None,
        word: str | None) -> None:
    """Before: GDAL reads an ENVI or ``.hdr`` header's numbers with C's ``atof``/``atoi``:
    ``data ignore value = abc`` was nodata 0 (the -9999 collar ingested as values and
    every real 0 dropped), ``header offset = 1o`` read every cell one byte off (garbage
    values), ``byte order = big`` read little endian; exit 0 each. Control: the header as
    written."""
    name = "heat.dat" if driver == "ENVI" else "heat.bil"
    path = _envi(sandbox.root / name, driver=driver)
    header = path.with_suffix(".hdr")
    text = header.read_text()
    if line is not None:
        import re

        assert re.search(line.replace(" ", r"\s*"), text), text
        header.write_text(re.sub(line.replace(" ", r"\s*"), word, text, count=1))
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    if word is not None:
        at = next(i for i, ln in enumerate(header.read_text().splitlines(), 1) if word in ln)
        assert_clean_error(result, 1, name, f"line {at}", repr(word.split()[-1]),
                           "is meant")
        assert sandbox.untouched()
        return
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:, :5]).all()
    np.testing.assert_array_equal(cube[:, 5:], (VALUES * 10).astype("i2")[:, 5:])


# --- ESRI ASCII rows of the wrong length ------------------------------------------------------

ASCII_HEADER = ("ncols 40\nnrows 40\nxllcorner 500000\nyllcorner 1350000\ncellsize 10\n"
                "NODATA_value -9999\n")


def _ascii_rows() -> list[str]:
    return [" ".join(f"{VALUES[r, c]:.3f}" for c in range(40)) for r in range(40)]


@pytest.mark.parametrize("how", ["short", "long", "wrapped", "one-line"])
def test_an_ascii_grid_row_of_another_length_is_refused_naming_the_line(
        sandbox: Sandbox, cli, scheduler: str, how: str) -> None:
    """Before: GDAL reads an ESRI ASCII grid's cells as one stream: row 8 short of one
    value (a hand edit, an export that dropped an empty cell) moved every later cell one
    place left, and the last cell read as 0; long by one, one place right; exit 0 both.
    Controls: rows wrapped over lines of 10 values, and the whole grid on one line, as
    some writers put them."""
    rows = _ascii_rows()
    if how == "short":
        rows[7] = " ".join(rows[7].split()[:-1])
    elif how == "long":
        rows[7] += " 1.000"
    elif how == "wrapped":
        rows = [" ".join(row.split()[i:i + 10]) for row in rows for i in range(0, 40, 10)]
    else:
        rows = [" ".join(rows)]
    (sandbox.root / "heat.asc").write_text(ASCII_HEADER + "\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.asc", crs="EPSG:32619"))
    if how in ("short", "long"):
        assert_clean_error(result, 1, "heat.asc", "line 14",
                           "39 values" if how == "short" else "41 values", "ncols 40")
        return
    assert result.code == 0, result.err[-2000:]
    np.testing.assert_allclose(_cube(sandbox), np.round(VALUES, 3), atol=2e-3)


# --- netCDF-4 bounds told by their type -------------------------------------------------------

def _netcdf4(path: Path, data: np.ndarray, **kw: Any) -> Path:
    """A netCDF-4 (HDF5) copy of :func:`_netcdf`'s file made by GDAL's multidimensional
    translate, which keeps every attribute's type."""
    import rasterio

    classic = _netcdf(path.with_suffix(".nc3"), data, **kw)
    found = sorted((Path(rasterio.__file__).parent.parent / "rasterio.libs").glob("libgdal*"))
    if not found:
        pytest.skip("rasterio runs on a GDAL it does not bundle: no netCDF-4 writer here")
    lib = ctypes.CDLL(str(found[0]))
    vp = ctypes.c_void_p
    lib.GDALOpenEx.argtypes = [ctypes.c_char_p, ctypes.c_uint, vp, vp, vp]
    lib.GDALOpenEx.restype = vp
    lib.GDALClose.argtypes = [vp]
    with rasterio.open(classic):
        pass  # GDAL's drivers registered, as rasterio registers them
    lib.GDALMultiDimTranslateOptionsNew.argtypes = [ctypes.POINTER(ctypes.c_char_p), vp]
    lib.GDALMultiDimTranslateOptionsNew.restype = vp
    lib.GDALMultiDimTranslate.argtypes = [ctypes.c_char_p, vp, ctypes.c_int,
                                          ctypes.POINTER(vp), vp, vp]
    lib.GDALMultiDimTranslate.restype = vp
    lib.GDALMultiDimTranslateOptionsFree.argtypes = [vp]
    args = [b"-of", b"netCDF", b"-co", b"FORMAT=NC4", None]
    argv = (ctypes.c_char_p * len(args))(*args)
    options = lib.GDALMultiDimTranslateOptionsNew(argv, None)
    src = lib.GDALOpenEx(str(classic).encode(), 0x10, None, None, None)
    assert src
    sources = (vp * 1)(src)
    out = lib.GDALMultiDimTranslate(str(path).encode(), None, 1, sources, options, None)
    assert out
    lib.GDALClose(out)
    lib.GDALClose(src)
    lib.GDALMultiDimTranslateOptionsFree(options)
    classic.unlink()
    assert path.read_bytes()[:4] == b"\x89HDF"
    return path


@pytest.mark.parametrize(("bounds", "refused"), [
    ({"valid_range": np.array([0, 5], dtype="f4")}, True),
    ({"valid_max": np.float32(5)}, False),
    ({"valid_range": np.array([0, 500], dtype="i2")}, False),
], ids=["valid_range-float", "lone-valid_max-float", "control-valid_range-packed"])
def test_a_netcdf4_variables_bounds_are_told_by_their_type(
        sandbox: Sandbox, cli, scheduler: str, bounds: dict[str, Any],
        refused: bool) -> None:
    """Before: a netCDF-4 (HDF5) file's attribute types were not read (scipy reads
    netCDF-3 only), so float bounds on a packed int16 variable were taken as packed:
    ``valid_range = 0.f, 5.f`` had GDAL drop 1 577 of 1 600 cells, and a lone ``valid_max
    = 5.f`` Prospect 1 570, exit 0 both. The types now come from GDAL's multidimensional
    API, as netCDF-3's come from its header. Control: int16 bounds (packed)."""
    _netcdf4(sandbox.root / "heat.nc", RAW, dtype="i2", attrs={**PACKING, **bounds})
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    if refused:
        assert_clean_error(result, 1, "heat.nc", "packed", "unpacked units", "500")
        return
    assert result.code == 0, result.err[-2000:]
    assert_raw_unpacked(sandbox)


# --- class codes beside a CF missing_value ----------------------------------------------------

def test_a_categorical_variables_missing_value_is_no_code(sandbox: Sandbox, cli,
                                                           scheduler: str) -> None:
    """Before: the code span of a categorical layer counted a CF ``missing_value`` the read
    drops (a second fill beside ``_FillValue``): a geology map of units 1..9 whose
    unmapped cells are ``missing_value = -99999999`` was refused as "class codes reach
    -99999999, beyond 2**24", exit 1, though no such code is read."""
    codes = (np.arange(1600).reshape(40, 40) % 9 + 1).astype("i4")
    codes[:3] = -99999999
    codes[-1, -1] = -1
    _netcdf(sandbox.root / "units.nc", codes, dtype="i4", attrs={
        "_FillValue": np.int32(-1), "missing_value": np.int32(-99999999)})
    source = [{"kind": "raster", "name": "heat", "path": "units.nc", "units": "1",
               "values": "categorical"}]
    result = _ingest(sandbox, cli, scheduler, sources=source)
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    keep = codes > 0
    np.testing.assert_array_equal(cube[keep], codes[keep])
    assert not np.isin(cube[~keep], np.arange(1, 10)).any()


# --- a CRS of a local engineering datum -------------------------------------------------------

def test_a_raster_on_a_local_engineering_crs_is_refused(sandbox: Sandbox, cli,
                                                        scheduler: str) -> None:
    """A grid on a local engineering CRS (a mine grid, a survey's own origin:
    ``LOCAL_CS``/``ENGCRS``) has no known place on the Earth: it cannot be put on the
    region's grid, and must be refused naming the CRS and the fix."""
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(sandbox.root / "heat.tif", "w", driver="GTiff", width=40, height=40,
                       count=1, dtype="float32", crs='LOCAL_CS["mine grid",UNIT["metre",1]]',
                       transform=from_origin(X0, Y0 + 400, 10, 10)) as dst:
        dst.write(VALUES, 1)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert_clean_error(result, 1, "heat.tif")
    assert "engineering" in result.err.lower() or "local" in result.err.lower(), result.err


# --- every no-data value a band states ----------------------------------------------------------

def test_every_cf_missing_value_of_a_variable_is_no_data(sandbox: Sandbox, cli,
                                                          scheduler: str) -> None:
    """Before: a variable stating ``_FillValue = -1`` and ``missing_value = -9999, -8888``
    (two codes: not measured, below detection) had its -9999 cells dropped and its -8888
    cells ingested as values: the second fill is one value per band, and the first
    ``missing_value`` took it, exit 0."""
    values = VALUES.copy()
    values[:4] = -9999
    values[4:8] = -8888
    values[-1, -1] = -1
    _netcdf(sandbox.root / "heat.nc", values, attrs={
        "_FillValue": np.float32(-1), "missing_value": np.array([-9999, -8888], "f4")})
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:8]).all() and np.isnan(cube[-1, -1])
    assert np.isfinite(cube[8:]).sum() == 32 * 40 - 1
    np.testing.assert_allclose(cube[8:-1], VALUES[8:-1], rtol=1e-6)


def test_a_half_float_product_fill_is_no_data_as_either_writer_rounds_it(
        tmp_path: Path) -> None:
    """Before: a half-float band (``NBITS=16``) whose file states nodata 0 while its
    product (a STAC item's ``raster:bands``) states -9999 kept one neighbour of -9999 as
    the second fill: GDAL's -9992 was no data, numpy's -10000 (another writer's tiles)
    was read as a value. Both are now, as for the file's own nodata (round 17)."""
    from prospect.config.sources import RasterSource
    from prospect.grid import ChunkWindow, RegionGrid
    from prospect.ingest.rasters import BandRef, band_nodata
    from prospect.io.raster import raster_info
    from prospect.io.warp import close_warped_views

    from .conftest import TINY_REGION

    values = VALUES.copy()
    values[:, :3] = 0
    values[:, 3:5] = -9992  # GDAL's half float of -9999
    values[:, 5:7] = -10000  # numpy's
    path = _write(tmp_path / "heat.tif", values, nodata=0, NBITS=16)
    info = raster_info(path)
    source = RasterSource(kind="raster", name="heat", path=str(path), units="1")
    with pytest.warns(Warning, match="both are read as no data"):
        nodata, other = band_nodata(source, info, 1, -9999.0, stated_by="item 'x'",
                                    told=set())
    grid = RegionGrid(name="tiny", crs=str(TINY_REGION["crs"]), resolution=10.0,
                      bounds=tuple(TINY_REGION["bounds"]), chunks=(40, 40))
    ref = BandRef(info=info, band=1, scale=1.0, offset=0.0, nodata=nodata,
                  resampling="nearest", other_nodata=other)
    try:
        block = ref.read(grid, ChunkWindow(iy=0, ix=0, rows=slice(0, 40), cols=slice(0, 40)))
    finally:
        close_warped_views()
    assert np.isnan(block[:, :7]).all()
    np.testing.assert_allclose(block[:, 7:], VALUES[:, 7:].astype("f2"), rtol=1e-3)


# --- grids read through GDAL's archive names --------------------------------------------------

@pytest.mark.parametrize("how", ["vsizip", "vsigzip", "control-vsizip"])
def test_an_ascii_grid_in_an_archive_is_checked_as_one_outside_it(
        sandbox: Sandbox, cli, scheduler: str, how: str) -> None:
    """Before: the text checks of an ESRI ASCII grid (cells that are no number, rows of
    another length) read local files only: the same grid given as ``/vsizip/grids.zip/
    heat.asc`` or ``/vsigzip/heat.asc.gz`` (as surveys publish them) had its ``NA`` cell
    read as 0, exit 0. Control: a whole grid in a zip reads."""
    import gzip
    import zipfile

    rows = _ascii_rows()
    if not how.startswith("control"):
        rows[7] = rows[7].replace(rows[7].split()[3], "NA", 1)
    text = (ASCII_HEADER + "\n".join(rows) + "\n").encode()
    if how == "vsigzip":
        (sandbox.root / "heat.asc.gz").write_bytes(gzip.compress(text))
        name = f"/vsigzip/{sandbox.root / 'heat.asc.gz'}"
    else:
        with zipfile.ZipFile(sandbox.root / "grids.zip", "w") as zf:
            zf.writestr("heat.asc", text)
        name = f"/vsizip/{sandbox.root / 'grids.zip'}/heat.asc"
    result = _ingest(sandbox, cli, scheduler, sources=_source(name, crs="EPSG:32619"))
    if how.startswith("control"):
        assert result.code == 0, result.err[-2000:]
        np.testing.assert_allclose(_cube(sandbox), np.round(VALUES, 3), atol=2e-3)
        return
    assert_clean_error(result, 1, "heat.asc", "line 14", "'NA'", "as 0")


def test_an_envi_file_longer_than_its_header_says_is_refused(sandbox: Sandbox, cli,
                                                             scheduler: str) -> None:
    """Before: an ENVI header of ``samples = 39`` beside a 40-column file (another grid's
    header, a hand edit) had GDAL read each row one more cell off (a diagonal smear of
    values), exit 0; only a file shorter than its header was named (round 17)."""
    path = _envi(sandbox.root / "heat.dat", driver="ENVI")
    header = path.with_suffix(".hdr")
    text = header.read_text()
    assert "samples = 40" in text
    header.write_text(text.replace("samples = 40", "samples = 39"))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.dat"))
    assert_clean_error(result, 1, "heat.dat", "3200 bytes", "3120", "39 samples",
                       "not this file's")


# --- packing attributes GDAL does not apply -----------------------------------------------------

@pytest.mark.parametrize(("attrs", "refused"), [
    ({"scale_factor": "0.01"}, "scale_factor"),
    ({"scale_factor": np.float32(0.01), "add_offset": "5"}, "add_offset"),
    ({"scale_factor": np.float32(0.01), "add_offset": np.float32(5)}, None),
], ids=["text-scale_factor", "text-add_offset", "control-numbers"])
def test_a_packing_attribute_gdal_does_not_apply_is_refused(
        sandbox: Sandbox, cli, scheduler: str, attrs: dict[str, Any],
        refused: str | None) -> None:
    """Before: a netCDF variable whose ``scale_factor`` is a text attribute ("0.01", as
    some writers and hand edits leave it) is listed by GDAL but not applied: int16 heat
    flow in 0.01 units was ingested a hundred times too large, exit 0 (and a text
    ``add_offset`` lost its 5). Control: the same attributes as numbers."""
    raw = (np.arange(1600).reshape(40, 40) % 500).astype("i2")
    _netcdf(sandbox.root / "heat.nc", raw, dtype="i2", attrs=attrs)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    if refused:
        assert_clean_error(result, 1, "heat.nc", refused, "does not apply", "ncatted")
        assert sandbox.untouched()
        return
    assert result.code == 0, result.err[-2000:]
    np.testing.assert_allclose(_cube(sandbox), raw * np.float32(0.01) + 5, rtol=1e-5)


# --- VRT bands that state no nodata -----------------------------------------------------------

def _tile(path: Path, values: np.ndarray, left: float, nodata: float | None) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    more = {"nodata": nodata} if nodata is not None else {}
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=40, count=1,
                       dtype="float32", crs="EPSG:32619",
                       transform=from_origin(left, Y0 + 400, 10, 10), **more) as dst:
        dst.write(values.astype("f4"), 1)
    return path


def _mosaic_vrt(path: Path, sources: list[tuple[str, int, str]], nodata: str = "") -> Path:
    """A hand-written mosaic VRT of 40-row tiles: ``(file, column, extra source XML)``."""
    parts = "".join(
        f'<{"ComplexSource" if extra else "SimpleSource"}><SourceFilename relativeToVRT="1">'
        f"{name}</SourceFilename><SourceBand>1</SourceBand>"
        f'<SrcRect xOff="0" yOff="0" xSize="20" ySize="40"/>'
        f'<DstRect xOff="{col}" yOff="0" xSize="20" ySize="40"/>{extra}'
        f'</{"ComplexSource" if extra else "SimpleSource"}>' for name, col, extra in sources)
    path.write_text(
        f'<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
        f"<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
        f'<VRTRasterBand dataType="Float32" band="1">{nodata}{parts}</VRTRasterBand>'
        "</VRTDataset>")
    return path


@pytest.mark.parametrize("how", [
    "simple-source-of-a-nodata-file", "complex-source-nodata", "gap", "control-stated"])
def test_a_vrt_band_without_nodata_never_reads_no_data_as_values(
        sandbox: Sandbox, cli, scheduler: str, how: str) -> None:
    """Before: a hand-written mosaic VRT whose band states no ``NoDataValue`` had GDAL
    read cells that hold no data as values, exit 0: a ``SimpleSource`` copied its file's
    -9999 collar as -9999, a ``ComplexSource`` skipped its ``<NODATA>`` cells and left 0,
    and the columns under no tile (a gap between two tiles) read as 0. Control: the VRT
    stating ``NoDataValue`` (what gdalbuildvrt writes): the collar and the gap no data."""
    west = VALUES[:, :20].copy()
    if how != "gap":
        west[:, :5] = -9999
    _tile(sandbox.root / "west.tif", west, X0, nodata=None if how == "gap" else -9999)
    _tile(sandbox.root / "east.tif", VALUES[:, 20:], X0 + 200, nodata=None)
    complex_nodata = "<NODATA>-9999</NODATA>" if how in ("complex-source-nodata",
                                                         "control-stated") else ""
    sources = [("west.tif", 0, complex_nodata), ("east.tif", 22 if how == "gap" else 20, "")]
    _mosaic_vrt(sandbox.root / "heat.vrt", sources,
                "<NoDataValue>-9999</NoDataValue>" if how == "control-stated" else "")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.vrt"))
    if how != "control-stated":
        words = {"simple-source-of-a-nodata-file": "states nodata -9999",
                 "complex-source-nodata": "<NODATA>", "gap": "under none of its sources"}
        assert_clean_error(result, 1, "heat.vrt", "band 1", words[how], "NoDataValue")
        assert sandbox.untouched()
        return
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:, :5]).all()
    np.testing.assert_allclose(cube[:, 5:], VALUES[:, 5:], rtol=1e-6)


# --- a sentinel fill that passed through float32 ----------------------------------------------

def test_a_float64_sentinel_fill_written_through_float32_is_no_data(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a float64 NetCDF variable stating ``_FillValue = 1e37`` whose fill cells
    hold 1e37 as it passed through float32 (9.999999933815813e+36, a model's float32
    output saved as double) and a ``valid_min = 0`` (so Prospect, not GDAL's warper,
    drops the missing data, comparing in float64) had each fill cell ingested as the
    value 1e37, exit 0."""
    values = VALUES.astype("f8")
    values[:3, :10] = float(np.float32(1e37))
    _netcdf(sandbox.root / "heat.nc", values, dtype="f8",
            attrs={"_FillValue": np.float64(1e37), "valid_min": np.float64(0)})
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:3, :10]).all()
    assert np.isfinite(cube).sum() == 1600 - 30
    np.testing.assert_allclose(cube[3:], VALUES[3:], rtol=1e-6)


def test_a_surfer_grids_blank_written_through_float32_is_no_data(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: a Surfer ASCII grid (``DSAA``, read as float64, blank 1.70141e38) whose
    blanks were written as the float32 blank printed in full (1.701410009187828e+38)
    reads them as no data: GDAL's warper compares in float32."""
    lines = ["DSAA", "40 40", f"{X0 + 5} {X0 + 395}", f"{Y0 + 5} {Y0 + 395}", "0 100"]
    grid = [[f"{v:.4f}" for v in row] for row in VALUES[::-1]]  # south row first
    for r in range(3):
        grid[r][:10] = ["1.701410009187828e+38"] * 10
    lines += [" ".join(row) for row in grid]
    (sandbox.root / "heat.grd").write_text("\n".join(lines) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.grd", crs="EPSG:32619"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[-3:, :10]).all()
    assert np.isfinite(cube).sum() == 1600 - 30
    np.testing.assert_allclose(cube[:-3], VALUES[:-3], atol=1e-4)


def test_an_ascii_grid_without_a_nodata_line_takes_esris_default(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: an ESRI ASCII grid whose header leaves out the optional ``NODATA_value``
    line (ESRI's format: its default is -9999) had GDAL state no nodata, and its -9999
    cells were ingested as values, exit 0."""
    rows = _ascii_rows()
    rows[:3] = [" ".join(["-9999"] * 40)] * 3
    header = ASCII_HEADER.replace("NODATA_value -9999\n", "")
    (sandbox.root / "heat.asc").write_text(header + "\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.asc", crs="EPSG:32619"))
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:3]).all()
    np.testing.assert_allclose(cube[3:], np.round(VALUES[3:], 3), atol=2e-3)


# -- a sensor model beside a geotransform ------------------------------------------------------

_RPC = dict(height_off=0.0, height_scale=500.0, lat_off=51.3, lat_scale=0.1,
            line_den_coeff=[1.0] + [0.0] * 19, line_num_coeff=[0.0, 0.0, -1.0] + [0.0] * 17,
            line_off=50.0, line_scale=50.0,
            long_off=5.5, long_scale=0.1, samp_den_coeff=[1.0] + [0.0] * 19,
            samp_num_coeff=[0.0, 1.0] + [0.0] * 18, samp_off=50.0, samp_scale=50.0)


@pytest.mark.parametrize("with_rpcs", [True, False])
def test_rpcs_beside_a_geotransform_are_said(tmp_path: Path, with_rpcs: bool) -> None:
    """Before: a GeoTIFF holding RPC coefficients and a geotransform (an image that may not
    be orthorectified) was placed by its geotransform without a word; now a warning says
    which places it and how to orthorectify. The same file without RPCs says nothing."""
    import rasterio
    from rasterio.rpc import RPC
    from rasterio.transform import from_origin

    from prospect.errors import DataWarning
    from prospect.io.raster import raster_info

    path = tmp_path / "scene.tif"
    profile: dict[str, Any] = dict(driver="GTiff", width=100, height=100, count=1,
                                   dtype="float32", crs="EPSG:4326",
                                   transform=from_origin(5.45, 51.35, 0.001, 0.001))
    if with_rpcs:
        profile["rpcs"] = RPC(**_RPC)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ones((1, 100, 100), dtype="float32"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = raster_info(path)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)
            and "RPC" in str(w.message)]
    assert info.transform[0] == pytest.approx(0.001)
    if with_rpcs:
        assert len(said) == 1 and "orthorectif" in said[0] and "-unsetrpc" in said[0], said
    else:
        assert said == []
