"""Round 63b: a VRT's derived band whose source's fills past its first block of fills are
read as values, and a plain HDF4 image told to convert a subdataset it has none of.

A ``VRTDerivedRasterBand`` (``sum`` of one 10/3 m grid twice, nodata -9999) whose source
its rects resample onto the VRT's 10 m cells by nearest neighbour (``SrcRect`` of 120 x 120
cells, ``DstRect`` of 40 x 40, as ``gdalbuildvrt`` of grids of two resolutions writes):
round 60's check read the band at the first block of the source holding a fill only. A
fill there that the nearest-neighbour pick passes over (every third cell is taken) let
the band through, and a fill in a later block that the pick takes was ingested as
-19998 (the fill summed twice), exit 0, without a word (rounds 60 to 62b "found and left").

And an HDF4 file (the format's first bytes) was named "an HDF-EOS granule: ASTER, MODIS
or older Landsat" and told to "list its bands with gdalinfo, then gdal_translate -of GTiff
'<one SUBDATASET_n_NAME it lists>'": a plain HDF4 image (``gdal_translate -of HDF4Image``,
IDL's or MATLAB's ``hdfsd`` output of one data set) lists no subdataset; ``gdal_translate
-of GTiff plain.hdf band.tif`` converts it (probed with Debian's GDAL 3.6, which has the
driver; Prospect's rasterio GDAL 3.10 has none).

Found with ``plan_raster`` and reads of the planned layer on the tiny region (10 m cells,
EPSG:32619) and ``raster_info`` (2026-12-07). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasterio.transform import from_origin

from prospect.errors import DataError, InputFileError

from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import _plan
from .test_rasters_round56 import _GRID, _band

_FINE = 120
"""Cells a side of the SYNTHETIC source: 10/3 m cells over the tiny region's 400 m."""


def _fine(folder: Path, fills: list[tuple[int, int]]) -> np.ndarray:
    """``f.tif``: SYNTHETIC heat flow (10 to 59 mW/m2) on 10/3 m cells over the tiny
    region, in tiles of 16 x 16, -9999 (its stated nodata) at each cell of ``fills``;
    returns its values."""
    data = (np.arange(_FINE * _FINE, dtype="f4").reshape(_FINE, _FINE) % 50) + 10
    for row, col in fills:
        data[row, col] = -9999
    _write(folder / "f.tif", data, nodata=-9999, tiled=True, blockxsize=16, blockysize=16,
           transform=from_origin(X0, Y0 + 400, 400 / _FINE, 400 / _FINE))
    return data


def _vrt(folder: Path, function: str, times: int, *, nodata: str = "-9999") -> Path:
    """``v.vrt``: a derived band of ``function`` over ``f.tif`` ``times`` times, each
    resampled by its rects onto the tiny region's 40 x 40 cells (nearest neighbour: the
    VRT's cell ``i`` takes the file's cell ``3 i + 1``)."""
    source = (
        '<SimpleSource><SourceFilename relativeToVRT="1">f.tif</SourceFilename>'
        f'<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="{_FINE}" '
        f'ySize="{_FINE}"/><DstRect xOff="0" yOff="0" xSize="40" ySize="40"/>'
        "</SimpleSource>"
    )
    path = folder / "v.vrt"
    path.write_text(_GRID + _band(f"<PixelFunctionType>{function}</PixelFunctionType>",
                                  source * times, nodata=nodata))
    return path


_PASSED_OVER = (0, 0)
"""A fill in the source's first tile that the nearest-neighbour pick passes over."""

_TAKEN = (34, 34)
"""A fill in the source's tile (2, 2) that the VRT's cell (11, 11) takes."""


def test_a_derived_bands_fill_past_its_first_block_of_fills_is_refused(tmp_path: Path) -> None:
    """Before: the ``sum`` band was planned and read with -19998 (the fill -9999 summed
    twice) in the VRT's cell (11, 11), exit 0, without a word: its source's first tile
    holding a fill held one the nearest-neighbour pick passes over, and no later tile was
    looked at. Now every block holding a fill is looked at until the band reads one as a
    value: refused in round 56's words, counting the fills seen."""
    _fine(tmp_path, [_PASSED_OVER, _TAKEN])
    with pytest.raises(DataError) as caught:
        _plan(_vrt(tmp_path, "sum", 2), units="mW/m2")
    assert str(caught.value) == (
        f"{tmp_path / 'v.vrt'}: band 1 is derived by the pixel function 'sum' from its "
        "source f.tif, whose no-data cells (2 or more of -9999) GDAL hands the function as "
        "numbers, so the band's cells there would be computed from -9999 as a value and "
        "ingested; compute the band where no data stays no data (gdal_calc.py with each "
        "source as -A, -B ... and --NoDataValue=-9999, or give each source to Prospect as "
        "its own layer) and give that file, not v.vrt"), str(caught.value)


def test_control_a_derived_bands_fill_the_pick_passes_over_is_read(tmp_path: Path) -> None:
    """Control: the ``sum`` band of the source whose only fill the nearest-neighbour pick
    passes over is read as before: each VRT cell twice the file's cell ``3 i + 1``."""
    data = _fine(tmp_path, [_PASSED_OVER])
    _, out = _read(_vrt(tmp_path, "sum", 2), units="mW/m2")
    np.testing.assert_array_equal(out, 2 * data[1::3, 1::3])


def test_control_a_derived_band_keeping_its_fills_as_no_data_is_read(tmp_path: Path) -> None:
    """Control: the ``scale`` band under nodata -9999 keeps both fills as its no data (the
    taken one no data in cell (11, 11)), every block of fills read: read as before."""
    data = _fine(tmp_path, [_PASSED_OVER, _TAKEN])
    _, out = _read(_vrt(tmp_path, "scale", 1), units="mW/m2")
    want = data[1::3, 1::3].copy()
    want[want == -9999] = np.nan
    assert np.isnan(out[11, 11]) and np.isnan(out).sum() == 1
    np.testing.assert_array_equal(out, want)


# --- an HDF4 file that is no HDF-EOS granule -------------------------------------------------

_HDF4 = b"\x0e\x03\x13\x01" + b"\0" * 4000
"""An HDF4 file's first bytes and no more (what a GDAL without the HDF4 driver sees of a
plain HDF4 image: not a format it knows). SYNTHETIC."""


def test_a_plain_hdf4_image_is_told_the_conversion_of_one_image(tmp_path: Path) -> None:
    """Before: "an HDF4 file (an HDF-EOS granule: ASTER, MODIS or older Landsat ...) ...
    list its bands with gdalinfo plain.hdf, then gdal_translate -of GTiff '<one
    SUBDATASET_n_NAME it lists>' band.tif", where the file (``gdal_translate -of
    HDF4Image``) lists no subdataset. Now one line speaks of both kinds and gives each its
    conversion, the file's name quoted for the shell."""
    from prospect.io.raster import raster_info

    path = tmp_path / "heat flow.hdf"
    path.write_bytes(_HDF4)
    with pytest.raises(InputFileError) as caught:
        raster_info(path)
    said = str(caught.value)
    assert said.startswith(
        f"{path}: an HDF4 file (an HDF-EOS granule of ASTER, MODIS or older Landsat as LP "
        "DAAC or USGS deliver it, or a plain HDF4 image or set of scientific data sets), "
        "which the GDAL Prospect reads with"), said
    assert ("gdalinfo 'heat flow.hdf' lists subdatasets where it holds several (a "
            "granule's fields, several data sets): then gdal_translate -of GTiff '<one "
            "SUBDATASET_n_NAME it lists>' band.tif; where it lists none (one image), "
            "gdal_translate -of GTiff 'heat flow.hdf' band.tif; and give the GeoTIFF") \
        in said, said
    assert "\n" not in said and "corrupt" not in said, said


# --- a main-thread read's GDAL settings seen by another thread's read ------------------------

def test_a_local_read_in_another_thread_during_a_main_thread_remote_read_keeps_its_sidecars(
    tmp_path: Path,
) -> None:
    """Before (the lead's round 63 finding): while the main thread held a read over a
    network's own listing setting (``EMPTY_DIR``, as :func:`raster_info` of a URL holds
    it through ``gdal_settings``), rasterio set it process-wide, and ``raster_info`` of a
    local GeoTIFF in another thread at that moment (a tile server's, a notebook's thread
    pool) did not read the ``.aux.xml`` beside it: nodata ``None``, its -9999 cells
    values. Now the main thread's settings are its own, as rasterio makes any other
    thread's: the other thread reads nodata -9999, and the main thread still lists no
    folder."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from rasterio.env import get_gdal_config

    from prospect.io.raster import _REMOTE_LISTING, gdal_settings, raster_info

    from .test_rasters_round57 import _heat_with_aux

    path = _heat_with_aux(tmp_path)
    assert threading.current_thread() is threading.main_thread()
    with gdal_settings(**_REMOTE_LISTING), ThreadPoolExecutor(1) as pool:
        own = get_gdal_config("GDAL_DISABLE_READDIR_ON_OPEN", normalize=False)
        other = pool.submit(raster_info, path).result()
    assert own == "EMPTY_DIR"
    assert other.nodata == (-9999.0,), other.nodata
