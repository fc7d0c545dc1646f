"""Round 62: a large GeoTIFF cut short in its index of blocks, and a file's CRS of no code
named by a page of WKT in a one-line warning.

A GeoTIFF whose header states 60 000 x 60 000 cells (or 70 000 x 70 000 in a BigTIFF) and
no nodata, copied or downloaded part way, opened: GDAL's error on its index of block
offsets (``_TIFFPartialReadStripArray: Cannot read offset/size for strile``), raised
unwrapped by rasterio from a band's colour interpretation, was a traceback
(``CPLE_AppDefinedError``) where every other file cut short is refused naming the file
and the fix; the same file with a nodata was "GDAL could not read its header whole ...
may hold the bands' scale", not that it was cut short. And the cell-size warning of a
file in a CRS of no EPSG code named the CRS by its whole WKT in a one-line message
(round 61b's "found and left"): now by ``crs_short``'s PROJ string, as ``prospect plan``
names a region's.

Found with ``raster_info`` and ``plan_raster`` on the tiny region (10 m cells, EPSG:32619)
and on SYNTHETIC GeoTIFFs written with rasterio (2026-12-07). Every file here is small
(under 1 MiB) and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin
from rasterio.windows import Window

from prospect.errors import CorruptFileError

from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round48 import HEAT, _plan

_CUT = "the file was cut short (a download or copy that stopped); download or copy it again"


def _large(folder: Path, *, bigtiff: bool, nodata: float | None = None,
           block: bool = False, keep: float = 0.5) -> Path:
    """``l.tif``: a SYNTHETIC tiled, sparse GeoTIFF on the tiny region's corner whose
    header states 60 000 x 60 000 uint8 cells (a BigTIFF: 70 000 x 70 000 float32), no
    block written (``block``: one of ones at tile 100,100), cut to ``keep`` of its bytes
    as a download that stopped."""
    side, dtype = (70000, "float32") if bigtiff else (60000, "uint8")
    path = folder / "l.tif"
    with rasterio.open(path, "w", driver="GTiff", width=side, height=side, count=1,
                       dtype=dtype, crs="EPSG:32619", nodata=nodata,
                       transform=from_origin(X0, Y0 + 400, 10, 10), tiled=True,
                       blockxsize=256, blockysize=256, SPARSE_OK="TRUE",
                       BIGTIFF="YES" if bigtiff else "NO") as dst:
        if block:
            dst.write(np.ones((1, 256, 256), dtype), window=Window(25600, 25600, 256, 256))
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    return path


@pytest.mark.parametrize(("bigtiff", "nodata", "block", "keep"), [
    (False, None, False, 0.5),
    (True, None, False, 0.1),
    (True, None, True, 0.4),
    (False, 0.0, False, 0.5),
], ids=["classic-no-nodata", "bigtiff-no-nodata", "bigtiff-a-block-written",
        "classic-with-nodata"])
def test_a_large_geotiff_cut_short_in_its_block_index_is_refused_as_cut_short(
    tmp_path: Path, bigtiff: bool, nodata: float | None, block: bool, keep: float,
) -> None:
    """Before: without a nodata, ``raster_info`` raised GDAL's
    ``CPLE_AppDefinedError: _TIFFPartialReadStripArray:Cannot read offset/size for
    strile around ~55224`` unwrapped (a traceback, exit 70 from the CLI); with one,
    "GDAL could not read its header whole ... may hold the bands' scale, offset, nodata
    or units; repair the file", not that it was cut short; and each took 10 to 30 s
    first, GDAL logging an error for each of 55 225 blocks' places. Now one line, at
    once, naming the file, its size, where its index reaches (read from the TIFF's first
    directory) and the fix."""
    from prospect.io.raster import raster_info

    path = _large(tmp_path, bigtiff=bigtiff, nodata=nodata, block=block, keep=keep)
    with pytest.raises(CorruptFileError) as caught:
        raster_info(path)
    text = str(caught.value)
    size, index_end = path.stat().st_size, 442006 if not bigtiff else 901264
    if nodata is not None:
        index_end += 12 if not bigtiff else 20  # the nodata tag's text before the index
    assert text == (f"{path}: its index of blocks lies past the end of the file ({size} "
                    f"bytes), which reaches byte {index_end}: {_CUT}"), text


def test_a_cut_index_is_refused_by_plan_raster_not_a_traceback(tmp_path: Path) -> None:
    """Before: planning a source of such a file (no nodata) raised
    ``CPLE_AppDefinedError``, which the CLI reports as a bug. Now a
    :class:`CorruptFileError` (an ``InputFileError``: exit 1) naming the file."""
    path = _large(tmp_path, bigtiff=False)
    with pytest.raises(CorruptFileError, match="its index of blocks lies past the end"):
        _plan(path, units="mW/m2")


def test_control_a_geotiff_cut_short_in_its_blocks_is_refused_as_before(
    tmp_path: Path,
) -> None:
    """Control: the same large file with its index whole and its one block cut off
    (kept to 90 %) is refused by round 48's check of its blocks' end, as before."""
    from prospect.io.raster import raster_info

    path = _large(tmp_path, bigtiff=False, nodata=0.0, block=True, keep=0.9)
    with pytest.raises(CorruptFileError, match="but its blocks reach byte") as caught:
        raster_info(path)
    assert str(caught.value).startswith(str(path))


def test_control_a_large_sparse_geotiff_whole_opens(tmp_path: Path) -> None:
    """Control: the large sparse file (nodata -9999) kept whole is described as before."""
    from prospect.io.raster import raster_info

    info = raster_info(_large(tmp_path, bigtiff=True, nodata=-9999.0, keep=1.0))
    assert (info.width, info.height, info.crs) == (70000, 70000, "EPSG:32619")


# --- a CRS of no code, named in one line ---------------------------------------------------------

_OWN_TMERC = ("+proj=tmerc +lat_0=0 +lon_0=-68.5 +k=1 +x_0=200000 +y_0=0 +datum=WGS84 "
              "+units=m +no_defs +type=crs")
"""A user-defined transverse Mercator (no EPSG code) over the tiny region."""


def _coarse(folder: Path, crs: str) -> Path:
    """``c.tif``: SYNTHETIC 8 x 8 cells of :data:`HEAT` of 80 m in ``crs``, over the tiny
    region and 100 m beyond it (eight times the region's cells: a cell-size warning)."""
    x, y = Transformer.from_crs("EPSG:32619", crs, always_xy=True).transform(X0 - 100,
                                                                            Y0 + 500)
    return _write(folder / "c.tif", HEAT[:8, :8].copy(), transform=from_origin(x, y, 80, 80),
                  crs=crs)


def test_the_cell_size_warning_of_a_crs_without_a_code_names_its_proj_string(
    tmp_path: Path,
) -> None:
    """Before: "its cells are about 79.97 m (in PROJCRS["unknown",BASEGEOGCRS[...",
    the whole WKT2 (over 1 500 characters) inside the one-line warning. Now the CRS's
    PROJ string, as ``prospect plan`` and the region errors name a CRS of no code."""
    _, said = _plan(_coarse(tmp_path, _OWN_TMERC), units="mW/m2")
    coarse = [s for s in said if "its cells are about" in s]
    assert len(coarse) == 1, said
    assert ("its cells are about 79.97 m (in +proj=tmerc +lat_0=0 +lon_0=-68.5 +k=1 "
            "+x_0=200000 +y_0=0 +datum=WGS84 +units=m, measured in the region's CRS), 8 "
            "times the cells of region 'tiny'") in coarse[0], coarse[0]
    assert "PROJCRS" not in coarse[0] and len(coarse[0]) < 600


def test_control_the_cell_size_warning_of_a_coded_crs_names_its_code(tmp_path: Path) -> None:
    """Control: a file in EPSG:32620 (UTM 20N, another CRS with a code) is named by its
    code in the same warning, as before."""
    _, said = _plan(_coarse(tmp_path, "EPSG:32620"), units="mW/m2")
    coarse = [s for s in said if "its cells are about" in s]
    assert len(coarse) == 1 and "(in EPSG:32620, measured in the region's CRS)" in coarse[0], \
        said
