"""Round 15b: what the raster round 15 left: the blocks of every source of a VRT (past
the 64th, and through a VRT of VRTs), and a job's mask outline given as a zip or a GDAL
archive name, as vector sources take it.

Every file here is small and SYNTHETIC (written into ``tmp_path``; a huge tile is a sparse
file that costs nothing on disk).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round15 import _source, _write


def _tile_xml(name: str, *, size: int, block: int | None, at: int, of: int) -> str:
    """A ``ComplexSource`` of a ``size``-square file placed at column ``at`` of ``of``
    tiles of the 400-cell mosaic; with ``SourceProperties`` when ``block`` is given."""
    cell = 400 // of
    props = (f'<SourceProperties RasterXSize="{size}" RasterYSize="{size}" '
             f'DataType="Float32" BlockXSize="{block}" BlockYSize="{block}"/>'
             if block else "")
    return (f'<ComplexSource><SourceFilename relativeToVRT="1">{name}</SourceFilename>'
            f"<SourceBand>1</SourceBand>{props}"
            f'<SrcRect xOff="0" yOff="0" xSize="{size}" ySize="{size}"/>'
            f'<DstRect xOff="{at * cell}" yOff="0" xSize="{cell}" ySize="400"/>'
            "</ComplexSource>")


def _vrt(path: Path, sources: list[str]) -> Path:
    """A one-band Float32 VRT of 400 x 400 cells of 1 m over the tiny region."""
    path.write_text(
        '<VRTDataset rasterXSize="400" rasterYSize="400"><SRS>EPSG:32619</SRS>'
        f"<GeoTransform>{X0}, 1, 0, {Y0 + 400}, 0, -1</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1">' + "".join(sources)
        + "</VRTRasterBand></VRTDataset>")
    return path


def _huge(box: Sandbox) -> Path:
    from rasterio.transform import from_origin

    return _write(box.root / "huge.tif", None, shape=(8208, 8208), tiled=True,
                  blockxsize=8208, blockysize=8208, sparse_ok=True,
                  transform=from_origin(X0, Y0 + 400, 0.05, 0.05))


@pytest.mark.parametrize("stated", [False, True], ids=["no-properties", "stated-blocks"])
def test_a_giant_tile_past_a_vrts_64th_source_is_refused(
        sandbox: Sandbox, cli, scheduler: str, stated: bool) -> None:
    """Before: a mosaic VRT's sources past the 64th were not checked: a giant tile as its
    80th source was ingested, every chunk task over it decoding the whole 257 MiB tile,
    exit 0. Now every source is checked (one whose ``SourceProperties`` state small
    blocks without opening it)."""
    values = np.ones((40, 40), dtype="f4")
    tiles = []
    for i in range(79):
        _write(sandbox.root / f"t{i:02d}.tif", values, tiled=True, blockxsize=16,
               blockysize=16)
        tiles.append(_tile_xml(f"t{i:02d}.tif", size=40, block=16 if stated else None,
                               at=i, of=80))
    _huge(sandbox)
    tiles.append(_tile_xml("huge.tif", size=8208, block=8208 if stated else None,
                           at=79, of=80))
    _vrt(sandbox.root / "mosaic.vrt", tiles)
    result = _ingest(sandbox, cli, scheduler, sources=_source("mosaic.vrt"))
    line = assert_clean_error(result, 1, "mosaic.vrt: its source", "huge.tif",
                              "of the whole image (8208 x 8208", "257.0 MiB", "TILED=YES")
    assert "t00.tif" not in line
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


def test_a_giant_tile_under_a_vrt_of_vrts_is_refused_naming_both(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a VRT whose source is a VRT over a giant tile was read, every chunk task
    decoding the whole tile; the nested VRT's sources were never looked at."""
    _huge(sandbox)
    (sandbox.root / "sub").mkdir()
    _vrt(sandbox.root / "sub" / "inner.vrt",
         [_tile_xml("../huge.tif", size=8208, block=None, at=0, of=1)])
    _vrt(sandbox.root / "outer.vrt",
         [_tile_xml("sub/inner.vrt", size=400, block=128, at=0, of=1)])
    result = _ingest(sandbox, cli, scheduler, sources=_source("outer.vrt"))
    assert_clean_error(result, 1, "outer.vrt: its source", "inner.vrt: its source",
                       "huge.tif", "8208 x 8208", "TILED=YES")
    assert sandbox.untouched()


def test_a_vrt_that_reads_itself_is_refused(sandbox: Sandbox, cli, scheduler: str) -> None:
    """A VRT naming a VRT that names the first (a loop) is named, not walked forever."""
    _vrt(sandbox.root / "a.vrt", [_tile_xml("b.vrt", size=400, block=128, at=0, of=1)])
    _vrt(sandbox.root / "b.vrt", [_tile_xml("a.vrt", size=400, block=128, at=0, of=1)])
    result = _ingest(sandbox, cli, scheduler, sources=_source("a.vrt"))
    assert_clean_error(result, 1, "a.vrt", "reads itself")
    assert sandbox.untouched()


def test_a_mosaic_of_small_tiles_and_a_vrt_of_vrts_still_read(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: 80 tiled sources with or without stated blocks, through a nested VRT,
    read their values."""
    tiles = []
    for i in range(80):
        _write(sandbox.root / f"t{i:02d}.tif", np.full((40, 40), i, dtype="f4"),
               tiled=True, blockxsize=16, blockysize=16)
        tiles.append(_tile_xml(f"t{i:02d}.tif", size=40, block=16 if i % 2 else None,
                               at=i, of=80))
    _vrt(sandbox.root / "inner.vrt", tiles)
    _vrt(sandbox.root / "outer.vrt", [_tile_xml("inner.vrt", size=400, block=128, at=0,
                                                of=1)])
    result = _ingest(sandbox, cli, scheduler, sources=_source("outer.vrt"))
    assert result.code == 0, result.err[-2000:]
    import xarray as xr

    cube = np.asarray(xr.open_zarr(sandbox.out / "cube.zarr")["heat"].values)
    assert cube.shape == (40, 40)
    np.testing.assert_allclose(cube[:, 0], 0, atol=1)
    assert cube[:, -1].mean() > 70


# --- a mask outline given as a zip or a GDAL archive name ------------------------------------

def _zipped_outline(box: Sandbox, *, folder: str = "") -> Path:
    """``land.zip``: a Shapefile (EPSG:32619) of the region's west half, in ``folder``."""
    import zipfile

    import geopandas as gpd
    from shapely.geometry import box as rect

    (box.root / "shp").mkdir()
    gpd.GeoDataFrame({"name": ["west"]}, geometry=[rect(X0, Y0, X0 + 200, Y0 + 400)],
                     crs="EPSG:32619").to_file(box.root / "shp" / "land.shp")
    path = box.root / "land.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in sorted((box.root / "shp").iterdir()):
            zf.write(part, f"{folder}{part.name}")
    return path


@pytest.mark.parametrize("given", ["zip", "zip-folder", "vsizip", "zip-url"])
def test_a_zipped_mask_outline_is_read_as_vector_sources_read_it(
        sandbox: Sandbox, cli, scheduler: str, given: str) -> None:
    """Before: a ``.zip`` outline in a folder of the zip was "cannot read" and
    ``/vsizip/land.zip/land.shp`` or ``zip://land.zip!land.shp`` was refused at load ("a
    GDAL virtual path, which only ... a vector source's 'path' are read through"): the
    mask took less than a vector source takes. Now the same reader and names."""
    _zipped_outline(sandbox, folder="data/" if given != "zip" else "")
    path = {"zip": "land.zip", "zip-folder": "land.zip",
            "vsizip": "/vsizip/land.zip/data/land.shp",
            "zip-url": "zip://land.zip!data/land.shp"}[given]
    sandbox.write_job(mask={"path": path})
    planned = cli("plan", sandbox.job_path)
    assert planned.code == 0, planned.err[-2000:]
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-2000:]
    import xarray as xr

    land = np.asarray(xr.open_zarr(sandbox.out / "cube.zarr")["land"].values)
    assert (land[:, :20] == 1).all() and (land[:, 20:] == 0).all()


def test_a_changed_zipped_mask_outline_is_read_again(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """The archive is the mask's digested input: a new outline in it is a new mask on
    rerun (not "inputs unchanged")."""
    import shutil
    import zipfile

    import geopandas as gpd
    from shapely.geometry import box as rect

    _zipped_outline(sandbox, folder="data/")
    sandbox.write_job(mask={"path": "/vsizip/land.zip/data/land.shp"})
    first = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-2000:]
    shutil.rmtree(sandbox.root / "shp")
    (sandbox.root / "shp").mkdir()
    gpd.GeoDataFrame({"name": ["east"]}, geometry=[rect(X0 + 200, Y0, X0 + 400, Y0 + 400)],
                     crs="EPSG:32619").to_file(sandbox.root / "shp" / "land.shp")
    with zipfile.ZipFile(sandbox.root / "land.zip", "w") as zf:
        for part in sorted((sandbox.root / "shp").iterdir()):
            zf.write(part, f"data/{part.name}")
    again = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-2000:]
    import xarray as xr

    land = np.asarray(xr.open_zarr(sandbox.out / "cube.zarr")["land"].values)
    assert (land[:, 20:] == 1).all() and (land[:, :20] == 0).all()


@pytest.mark.parametrize("given", ["missing.zip", "/vsizip/missing.zip/land.shp"])
def test_a_missing_zipped_mask_outline_is_named(
        sandbox: Sandbox, cli, scheduler: str, given: str) -> None:
    """An outline archive that is not there is named (a GDAL name at load, exit 2, as a
    vector source's; a ``.zip`` by ingest, exit 1), not a traceback."""
    result = _ingest(sandbox, cli, scheduler, mask={"path": given})
    assert_clean_error(result, 2 if given.startswith("/vsi") else 1, "missing.zip")
    assert sandbox.untouched()


def test_plan_reads_a_zipped_mask_outline_and_refuses_one_off_the_region(
        sandbox: Sandbox, cli) -> None:
    """Before (with the name taken at load): ``prospect plan`` took a ``/vsizip/`` outline
    for a file "not here yet" (``Path.exists`` of the GDAL name) and said nothing of an
    outline with no land in the region, which the run refuses."""
    import zipfile

    import geopandas as gpd
    from shapely.geometry import box as rect

    (sandbox.root / "shp").mkdir()
    gpd.GeoDataFrame({"name": ["far"]}, geometry=[rect(X0 + 5000, Y0, X0 + 6000, Y0 + 400)],
                     crs="EPSG:32619").to_file(sandbox.root / "shp" / "land.shp")
    with zipfile.ZipFile(sandbox.root / "land.zip", "w") as zf:
        for part in sorted((sandbox.root / "shp").iterdir()):
            zf.write(part, f"data/{part.name}")
    sandbox.write_job(mask={"path": "/vsizip/land.zip/data/land.shp"})
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "has no land in the region")
