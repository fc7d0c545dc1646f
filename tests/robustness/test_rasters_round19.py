"""Survey rasters whose no data, size, grid, codec or class names GDAL reads without a word:
VRTs inside VRTs and archives, many-source mosaics, grids cut short inside a zip, GeoTIFFs
cut short, geotransforms that place no cell, codecs GDAL lacks and class-coded maps with
attribute tables.

Found by writing geophysics and geology grids (GeoTIFF, hand-written VRTs, ENVI, zip and
gzip copies, ``.aux.xml`` attribute tables, world files) with rasterio and by hand into
``tmp_path`` and feeding them to the real ``prospect`` CLI (2026-12-03). Every file here
is small and SYNTHETIC.
"""

from __future__ import annotations

import gzip
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write
from .test_rasters_round17 import VALUES
from .test_rasters_round18 import _envi, _mosaic_vrt, _tile

FIX = "NoDataValue"


def _vrt(path: Path, sources: str, *, width: int = 40, nodata: str = "") -> Path:
    """A one-band float32 VRT on the tiny region's grid holding ``sources`` (XML)."""
    path.write_text(
        f'<VRTDataset rasterXSize="{width}" rasterYSize="40"><SRS>EPSG:32619</SRS>'
        f"<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
        f'<VRTRasterBand dataType="Float32" band="1">{nodata}{sources}</VRTRasterBand>'
        "</VRTDataset>")
    return path


def _whole(name: str, *, tag: str = "SimpleSource", extra: str = "", cols: int = 40,
           at: int = 0) -> str:
    """A source reading ``cols`` columns of ``name`` (relative to the VRT) at column ``at``."""
    return (f'<{tag}><SourceFilename relativeToVRT="1">{name}</SourceFilename>'
            f'<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="{cols}" ySize="40"/>'
            f'<DstRect xOff="{at}" yOff="0" xSize="{cols}" ySize="40"/>{extra}</{tag}>')


# --- VRTs: nested, many sources, another nodata, inside archives ------------------------------

@pytest.mark.parametrize("outer", ["states-nodata", "states-none"])
def test_a_vrt_whose_source_vrt_has_gaps_is_refused(
        sandbox: Sandbox, cli, scheduler: str, outer: str) -> None:
    """Before: a VRT whose source is a VRT of two tiles with a two-column gap between them
    (and no ``NoDataValue``) had the gap read by the inner VRT as 0, which the outer VRT
    copied as values, exit 0, whether the outer VRT stated a ``NoDataValue`` or not (the
    check read the outer VRT's own sources only). Now refused naming both VRTs."""
    _tile(sandbox.root / "west.tif", VALUES[:, :20], X0, None)
    _tile(sandbox.root / "east.tif", VALUES[:, 20:], X0 + 200, None)
    _mosaic_vrt(sandbox.root / "inner.vrt", [("west.tif", 0, ""), ("east.tif", 22, "")])
    _vrt(sandbox.root / "heat.vrt", _whole("inner.vrt"),
         nodata="<NoDataValue>-9999</NoDataValue>" if outer == "states-nodata" else "")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.vrt"))
    assert_clean_error(result, 1, "heat.vrt: its source", "inner.vrt", "band 1",
                       "under none of its sources", FIX)
    assert sandbox.untouched()


@pytest.mark.parametrize("how", ["simple-source", "complex-source-of-another-nodata",
                                 "control-complex-source-of-its-own"])
def test_a_vrt_stating_nodata_never_copies_a_sources_other_nodata(
        sandbox: Sandbox, cli, scheduler: str, how: str) -> None:
    """Before: a VRT stating ``NoDataValue`` -9999 over a file whose nodata is -32768
    through a ``SimpleSource`` (a hand-written mosaic), or a ``ComplexSource`` skipping
    another value (``<NODATA>0``, ``gdalbuildvrt -srcnodata 0`` over files of their own
    -32768), had GDAL copy the -32768 collar as values, exit 0 (the check looked at VRTs
    stating no nodata only). Control: a ``ComplexSource`` skipping the file's own nodata,
    as ``gdalbuildvrt`` writes it."""
    west = VALUES[:, :20].copy()
    west[:, :5] = -32768
    _tile(sandbox.root / "west.tif", west, X0, -32768)
    _tile(sandbox.root / "east.tif", VALUES[:, 20:], X0 + 200, None)
    extra = {"simple-source": "", "complex-source-of-another-nodata": "<NODATA>0</NODATA>",
             "control-complex-source-of-its-own": "<NODATA>-32768</NODATA>"}[how]
    tag = "SimpleSource" if how == "simple-source" else "ComplexSource"
    _vrt(sandbox.root / "heat.vrt", _whole("west.tif", tag=tag, extra=extra, cols=20)
         + _whole("east.tif", cols=20, at=20), nodata="<NoDataValue>-9999</NoDataValue>")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.vrt"))
    if not how.startswith("control"):
        assert_clean_error(result, 1, "heat.vrt", "band 1", "west.tif",
                           "states nodata -32768", "-srcnodata -32768")
        assert sandbox.untouched()
        return
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:, :5]).all()
    np.testing.assert_allclose(cube[:, 5:], VALUES[:, 5:], rtol=1e-6)


def test_a_source_past_a_vrts_64th_with_its_own_nodata_is_refused(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: the headers of a band's first 64 source files were opened for a nodata the
    VRT does not state: in a mosaic of 80 one-column tiles, the 80th tile's -9999 cells
    were ingested as -9999, exit 0. Every distinct source file's header is now opened
    once (about 1 ms each)."""
    parts = []
    for i in range(80):
        column = VALUES[:, i // 2:i // 2 + 1].copy()
        if i == 79:
            column[:5] = -9999
        _tile(sandbox.root / f"t{i}.tif", column, X0 + 10 * (i // 2),
              -9999 if i == 79 else None)
        parts.append(_whole(f"t{i}.tif", cols=1, at=i // 2))
    _vrt(sandbox.root / "heat.vrt", "".join(parts))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.vrt"))
    assert_clean_error(result, 1, "heat.vrt", "t79.tif", "states nodata -9999", FIX)


@pytest.mark.parametrize("how", ["vsizip-gap", "vsigzip-own-nodata", "control-vsizip"])
def test_a_vrt_read_from_an_archive_is_checked_as_one_outside_it(
        sandbox: Sandbox, cli, scheduler: str, how: str) -> None:
    """Before: a VRT given as ``/vsizip/grids.zip/heat.vrt`` (a mosaic as a survey
    publishes it, tiles beside it in the zip) or ``/vsigzip/heat.vrt.gz`` was not checked
    for cells GDAL reads as values: the gap between its tiles was ingested as 0, a
    source's -9999 collar as -9999, exit 0. Control: the zipped VRT stating its nodata."""
    west = VALUES[:, :20].copy()
    if how == "vsigzip-own-nodata":
        west[:, :5] = -9999
    _tile(sandbox.root / "west.tif", west, X0, -9999 if how == "vsigzip-own-nodata" else None)
    _tile(sandbox.root / "east.tif", VALUES[:, 20:], X0 + 200, None)
    gap = 22 if how == "vsizip-gap" else 20
    if how == "vsigzip-own-nodata":  # a gzipped VRT names its sources absolutely
        sources = (_whole(str(sandbox.root / "west.tif"), cols=20).replace(
            'relativeToVRT="1"', 'relativeToVRT="0"')
            + _whole(str(sandbox.root / "east.tif"), cols=20, at=20).replace(
            'relativeToVRT="1"', 'relativeToVRT="0"'))
        vrt = _vrt(sandbox.root / "heat.vrt", sources)
        (sandbox.root / "heat.vrt.gz").write_bytes(gzip.compress(vrt.read_bytes()))
        name = f"/vsigzip/{sandbox.root / 'heat.vrt.gz'}"
    else:
        stated = "<NoDataValue>-9999</NoDataValue>" if how == "control-vsizip" else ""
        vrt = _vrt(sandbox.root / "heat.vrt", _whole("west.tif", cols=20)
                   + _whole("east.tif", cols=18 if gap == 22 else 20, at=gap), nodata=stated)
        with zipfile.ZipFile(sandbox.root / "grids.zip", "w") as archive:
            for part in ("heat.vrt", "west.tif", "east.tif"):
                archive.write(sandbox.root / part, part)
                (sandbox.root / part).unlink()
        name = f"/vsizip/{sandbox.root / 'grids.zip'}/heat.vrt"
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    if how == "control-vsizip":
        assert result.code == 0, result.err[-2000:]
        np.testing.assert_allclose(_cube(sandbox), VALUES, rtol=1e-6)
        return
    words = "under none of its sources" if how == "vsizip-gap" else "states nodata -9999"
    assert_clean_error(result, 1, "heat.vrt", "band 1", words, FIX)
    assert sandbox.untouched()


def _scaled(path: Path, scale: float, left: float) -> Path:
    """A 20-column int16 tile of DNs ``VALUES / scale`` stating ``scale`` (GDAL does not
    apply it when it reads)."""
    import rasterio

    cols = slice(0, 20) if left == X0 else slice(20, 40)
    _tile(path, VALUES[:, cols], left, None)
    with rasterio.open(path) as src:
        transform = src.transform
    _write(path, np.round(VALUES[:, cols] / scale).astype("i2"), transform=transform)
    with rasterio.open(path, "r+") as dst:
        dst.scales, dst.offsets = (scale,), (0.0,)
    return path


@pytest.mark.parametrize("how", ["vrt-states-no-scale", "tiles-of-two-scales",
                                 "control-vrt-states-the-scale"])
def test_a_vrt_over_scaled_files_never_ingests_their_raw_numbers(
        sandbox: Sandbox, cli, scheduler: str, how: str) -> None:
    """Before: a hand-written VRT over int16 tiles stating scale 0.01 (which GDAL does not
    apply) and no ``<Scale>`` of its own had the tiles' DNs ingested as values, 100 x too
    large; a mosaic VRT stating the west tile's scale over an east tile of scale 0.1
    ingested the east half 10 x off; exit 0 both (``gdalbuildvrt`` copies the scale and
    skips a file of another one). Control: the VRT band stating the tiles' scale."""
    _scaled(sandbox.root / "west.tif", 0.01, X0)
    _scaled(sandbox.root / "east.tif", 0.1 if how == "tiles-of-two-scales" else 0.01,
            X0 + 200)
    stated = "" if how == "vrt-states-no-scale" else "<Scale>0.01</Scale>"
    (_vrt(sandbox.root / "heat.vrt", _whole("west.tif", cols=20)
          + _whole("east.tif", cols=20, at=20), nodata=stated)
     .write_text((sandbox.root / "heat.vrt").read_text().replace('"Float32"', '"Int16"')))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.vrt"))
    if how == "control-vrt-states-the-scale":
        assert result.code == 0, result.err[-2000:]
        np.testing.assert_allclose(_cube(sandbox), np.round(VALUES * 100) / 100, atol=1e-4)
        return
    tile, scale = ("west.tif", "0.01") if how == "vrt-states-no-scale" else ("east.tif", "0.1")
    assert_clean_error(result, 1, "heat.vrt", "band 1", tile, f"states scale {scale}",
                       "<Scale>")
    assert sandbox.untouched()


# --- grids cut short ----------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["cut-short", "longer", "control"])
def test_an_envi_grid_in_a_zip_is_checked_for_its_size(
        sandbox: Sandbox, cli, scheduler: str, how: str) -> None:
    """Before: an ENVI grid read from a zip (``/vsizip/grids.zip/heat.dat``) skipped the
    size checks a local one has: cut to three quarters (a download that stopped), its
    missing rows were ingested as 0; 80 bytes longer than its header (another grid's
    header) skewed every row; exit 0 both. Control: the whole file."""
    path = _envi(sandbox.root / "heat.dat", driver="ENVI")
    data = path.read_bytes()
    data = {"cut-short": data[:len(data) * 3 // 4], "longer": data + bytes(80),
            "control": data}[how]
    with zipfile.ZipFile(sandbox.root / "grids.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("heat.dat", data)
        archive.write(path.with_suffix(".hdr"), "heat.hdr")
    path.unlink()
    path.with_suffix(".hdr").unlink()
    name = f"/vsizip/{sandbox.root / 'grids.zip'}/heat.dat"
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    if how == "cut-short":
        assert_clean_error(result, 1, "heat.dat", "2400 bytes", "3200", "cut short")
        return
    if how == "longer":
        assert_clean_error(result, 1, "heat.dat", "3280 bytes", "heat.hdr")
        return
    assert result.code == 0, result.err[-2000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:, :5]).all()
    np.testing.assert_array_equal(cube[:, 5:], (VALUES * 10).astype("i2")[:, 5:])


def test_a_geotiff_cut_short_is_refused_before_any_block_is_read(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a tiled GeoTIFF cut short by 1 % of its bytes (a copy that stopped), whose
    middle row of tiles was written last (as a writer finishing blocks out of order
    does), opened, its corner blocks read, and the fill check's sample of whole blocks
    passed: the ingest failed part way, in a worker, with GDAL's "TIFFReadEncodedTile()
    failed" and no word of why. Now refused at planning from the blocks' offsets and the
    file's size, GDAL's words for the lost block kept."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    size, block = 528, 16
    values = (np.arange(size * size, dtype="f4").reshape(size, size) % 97) + 1
    path = sandbox.root / "heat.tif"
    blocks = [(r, c) for r in range(size // block) for c in range(size // block)]
    blocks.sort(key=lambda rc: rc[0] == 16)  # the middle row of tiles last
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1,
                       dtype="float32", crs="EPSG:32619", tiled=True, blockxsize=block,
                       blockysize=block, compress="deflate",
                       transform=from_origin(X0, Y0 + 400, 400 / size, 400 / size)) as dst:
        for r, c in blocks:
            dst.write(values[r * block:(r + 1) * block, c * block:(c + 1) * block][None],
                      window=Window(c * block, r * block, block, block))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) * 99 // 100])
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert_clean_error(result, 1, "heat.tif", "blocks reach byte", "cut short",
                       "download or copy it again")
    assert not (sandbox.out / "cube.zarr").exists()


# --- geotransforms that place no cell -----------------------------------------------------------

@pytest.mark.parametrize("how", ["cell-size-0", "nan-origin", "world-file-cell-size-0",
                                 "one-tie-point"])
def test_a_geotransform_that_places_no_cell_is_refused_naming_it(
        sandbox: Sandbox, cli, scheduler: str, how: str) -> None:
    """Before: a GeoTIFF whose geotransform has cells of size 0 or a NaN origin (a bad
    export, a hand-edited header) was said to overlap nothing ("none of its files overlap
    the region ... check the files, their CRS or the region"); a PNG whose world file says
    cell size 0 (which GDAL ignores) to have no georeferencing at all; a tie point without
    a cell size (GDAL reads one ground control point) was told to be warped, which needs
    3. Each now names the geotransform or the world file and how to give the grid."""
    import rasterio
    from rasterio.transform import Affine

    if how == "world-file-cell-size-0":
        with rasterio.open(sandbox.root / "heat.png", "w", driver="PNG", width=40,
                           height=40, count=1, dtype="uint8") as dst:
            dst.write((VALUES * 2).astype("u1"), 1)
        for aux in sandbox.root.glob("heat.png.aux.xml"):
            aux.unlink()
        (sandbox.root / "heat.pgw").write_text(f"0\n0\n0\n0\n{X0 + 5}\n{Y0 + 395}\n")
        name, words = "heat.png", ("its world file heat.pgw", "places no cells", "cell size is 0")
    else:
        transform = {"cell-size-0": Affine(0, 0, X0, 0, 0, Y0 + 400),
                     "nan-origin": Affine(10, 0, float("nan"), 0, -10, Y0 + 400),
                     "one-tie-point": Affine(0, 0, X0, 0, -10, Y0 + 400)}[how]
        _write(sandbox.root / "heat.tif", VALUES, transform=transform)
        name = "heat.tif"
        words = {"cell-size-0": ("cell 0 x 0", "no area", "gdal_edit.py -a_ullr"),
                 "nan-origin": ("origin nan", "not a number", "gdal_edit.py -a_ullr"),
                 "one-tie-point": ("1 ground control point", "fewer than the 3",
                                   "-a_ullr")}[how]
    result = _ingest(sandbox, cli, scheduler, sources=_source(name, crs="EPSG:32619"))
    line = assert_clean_error(result, 1, name, *words)
    assert "overlap" not in line
    assert sandbox.untouched()


# --- a codec GDAL lacks -------------------------------------------------------------------------

def test_a_geotiff_of_a_codec_gdal_lacks_is_named_not_called_corrupt(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a GeoTIFF compressed with JPEG-XL (TIFF compression 50002, as GDAL 3.6+
    built with libjxl writes it) was "cannot read as a raster (corrupt, truncated or not a
    raster)". Now named as a sound file of a codec this GDAL cannot decode, with the
    rewrite."""
    path = _write(sandbox.root / "heat.tif", VALUES, compress="deflate", tiled=True,
                  blockxsize=16, blockysize=16)
    data = bytearray(path.read_bytes())
    assert data[:2] == b"II"
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * i
        if struct.unpack_from("<H", data, entry)[0] == 259:  # Compression
            struct.pack_into("<H", data, entry + 8, 50002)  # JPEG-XL
    path.write_bytes(bytes(data))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    line = assert_clean_error(result, 1, "heat.tif", "JXL", "cannot decode",
                              "COMPRESS=DEFLATE")
    assert "corrupt" not in line


# --- class names of a coded map -----------------------------------------------------------------

_RAT = ('<PAMDataset><PAMRasterBand band="1"><GDALRasterAttributeTable tableType="thematic">'
        '<FieldDefn index="0"><Name>Value</Name><Type>0</Type><Usage>5</Usage></FieldDefn>'
        '<FieldDefn index="1"><Name>Class</Name><Type>2</Type><Usage>2</Usage></FieldDefn>'
        "{rows}</GDALRasterAttributeTable></PAMRasterBand></PAMDataset>")


def _geology(path: Path, names: list[str], *, left: float = X0, width: int = 40) -> Path:
    """A uint8 geology map of codes 1..3 (nodata 0) with an ``.aux.xml`` attribute table
    naming code ``i + 1`` ``names[i]``, as ArcGIS and QGIS write one."""
    import rasterio
    from rasterio.transform import from_origin

    codes = (np.arange(40 * width).reshape(40, width) // 7 % 3 + 1).astype("u1")
    with rasterio.open(path, "w", driver="GTiff", width=width, height=40, count=1,
                       dtype="uint8", nodata=0, crs="EPSG:32619",
                       transform=from_origin(left, Y0 + 400, 10, 10)) as dst:
        dst.write(codes, 1)
    rows = "".join(f'<Row index="{i}"><F>{i + 1}</F><F>{n}</F></Row>'
                   for i, n in enumerate(names))
    path.with_name(path.name + ".aux.xml").write_text(_RAT.format(rows=rows))
    return path


def test_a_coded_maps_class_names_are_its_code_table(sandbox: Sandbox, cli,
                                                     scheduler: str) -> None:
    """Before: a categorical geology raster whose attribute table names its codes (1
    granite, 2 basalt, 3 shale) made a cube variable of bare codes: a model trained on it
    recorded no code table, so a cube of another survey's map, whose code 1 is basalt,
    was scored without a word. The file's table is now the variable's ``categories``, and
    the model's schema check names the changed codes."""
    import xarray as xr

    from prospect.registry.schema import schema_differences, schema_from_cube

    source = _source("geology.tif", values="categorical")
    cubes = []
    for run, names in enumerate((["granite", "basalt", "shale"],
                                 ["basalt", "granite", "shale"])):
        _geology(sandbox.root / "geology.tif", names)
        sandbox.out = sandbox.root / f"out{run}"
        result = _ingest(sandbox, cli, scheduler, sources=source)
        assert result.code == 0, result.err[-2000:]
        cubes.append(xr.open_zarr(sandbox.out / "cube.zarr"))
    assert json.loads(cubes[0]["heat"].attrs["categories"]) == {
        "1": "granite", "2": "basalt", "3": "shale"}
    diffs = schema_differences(cubes[1], schema_from_cube(cubes[0], ["heat"]))
    assert any("code 1 was 'granite', is 'basalt'" in d for d in diffs), diffs


def test_a_mosaic_of_maps_naming_a_code_two_ways_is_refused(sandbox: Sandbox, cli,
                                                            scheduler: str) -> None:
    """Before: two map sheets whose attribute tables give code 2 different classes
    (basalt in the west sheet, shale in the east) were mosaicked into one variable of
    codes that meant one class on one side and another on the other, exit 0."""
    _geology(sandbox.root / "west.tif", ["granite", "basalt", "shale"], width=20)
    _geology(sandbox.root / "east.tif", ["granite", "shale", "basalt"], left=X0 + 200,
             width=20)
    result = _ingest(sandbox, cli, scheduler, sources=[{
        "kind": "raster", "name": "geology", "units": "1", "values": "categorical",
        "scenes": [{"path": "west.tif"}, {"path": "east.tif"}]}])
    assert_clean_error(result, 1, "source 'geology'", "class code 2", "'basalt' in west.tif",
                       "'shale' in east.tif")
    assert sandbox.untouched()
