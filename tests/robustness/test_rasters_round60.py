"""Round 60: survey rasters (GDAL settings put into the environment after Prospect's reader
was imported: round 59's "found and left").

``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR``, which guides to cloud-optimised files advise
putting into the environment, tells GDAL that a file's folder holds nothing else. Set in
a notebook's cell after Prospect's reader was imported (not when the process started,
which round 57 covers), it still hid a local file's ``.aux.xml`` (its nodata -9999 read
as heat flow) and ``.msk`` (its masked rows read as values), exit 0, without a word: round
59 left it so because a read of a remote VRT's header relied on the user's setting.

Found by ``plan_raster`` and reads of the planned layer on the tiny region (in process, the
reader imported before the setting, as in a notebook) of SYNTHETIC GeoTIFFs written with
rasterio, and ``raster_info`` of a VRT of 80 tiles served over HTTP by the corpus's
loopback server (2026-12-07). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rasterio.transform import from_origin

from prospect.errors import DataError

from .test_imagery_round21 import served  # noqa: F401  (the HTTP folder fixture)
from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round22 import _served_mosaic
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _plan
from .test_rasters_round56 import _GRID, _band
from .test_rasters_round57 import _EXPECTED, _heat_with_aux, _with_mask

_KEY = "GDAL_DISABLE_READDIR_ON_OPEN"


def _imported_without(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process as one started without the setting has it when it imports Prospect's
    reader (an earlier test of this worker may have applied round 57's start with it)."""
    from prospect.io.raster import forbid_code_from_files

    monkeypatch.delenv(_KEY, raising=False)
    forbid_code_from_files()


@pytest.mark.parametrize("kind", ["aux-xml-nodata", "msk-mask"])
def test_empty_dir_put_in_the_environment_after_import_hides_no_file_beside_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Before: ``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR`` put into ``os.environ`` after
    the reader was imported (a notebook's cell) hid the files beside a local GeoTIFF: the
    SYNTHETIC ``h.tif``'s 25 cells of -9999, a nodata its ``.aux.xml`` states, were read
    as heat flow, and ``m.tif``'s first 5 rows, which its ``.msk`` masks, as values, exit
    0, without a word. Now each read holds GDAL's default: the file as it is meant."""
    _imported_without(monkeypatch)
    if kind == "aux-xml-nodata":
        path, want = _heat_with_aux(tmp_path), _EXPECTED
    else:
        path = _with_mask(tmp_path)
        want = HEAT.copy()
        want[:5] = np.nan
    monkeypatch.setenv(_KEY, "EMPTY_DIR")
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, want)


def test_empty_dir_put_in_the_environment_after_import_hides_no_nodata_from_raster_info(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``raster_info`` of the SYNTHETIC ``h.tif`` under ``EMPTY_DIR`` put into the
    environment after the import said no nodata (``None``), and of ``m.tif`` no mask.
    Now the ``.aux.xml``'s -9999 and the ``.msk`` are read."""
    from prospect.io.raster import raster_info

    _imported_without(monkeypatch)
    path, masked = _heat_with_aux(tmp_path), _with_mask(tmp_path)
    monkeypatch.setenv(_KEY, "EMPTY_DIR")
    assert raster_info(path).nodata[0] == -9999
    assert raster_info(masked).has_mask(1)

# --- a derived band's source resampled by its rects ---------------------------------------------


def _coarse(folder: Path) -> np.ndarray:
    """``c.tif``: SYNTHETIC heat flow on 20 m cells (10 columns x 20 rows, the tiny
    region's right half), its first row -9999, its stated nodata; returns its values."""
    data = HEAT[::2, 20::2].copy()
    data[0] = -9999
    _write(folder / "c.tif", data, nodata=-9999,
           transform=from_origin(X0 + 200, Y0 + 400, 20, 20))
    return data


def _resampled(name: str, *, resampling: str = "") -> str:
    """A ``SimpleSource`` of the 10 x 20 file ``name`` resampled by its rects onto the
    VRT's right half (20 x 40 cells of 10 m)."""
    how = f' resampling="{resampling}"' if resampling else ""
    return (
        f'<SimpleSource{how}><SourceFilename relativeToVRT="1">{name}</SourceFilename>'
        '<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="10" ySize="20"/>'
        '<DstRect xOff="20" yOff="0" xSize="20" ySize="40"/></SimpleSource>'
    )


def _upsampled(values: np.ndarray) -> np.ndarray:
    """The tiny region's 40 x 40 cells of the 20 m ``values`` on its right half, each
    20 m cell over 2 x 2 cells of 10 m; -9999 and the left half no data."""
    want = np.full((40, 40), np.nan, "float32")
    want[:, 20:] = np.repeat(np.repeat(values, 2, axis=0), 2, axis=1)
    want[want == -9999] = np.nan
    return want


def test_a_derived_band_keeping_the_fills_of_a_source_resampled_by_its_rects_is_read(
    tmp_path: Path,
) -> None:
    """Before: a SYNTHETIC derived band (``scale`` under nodata -9999) of a 20 m grid
    whose first row is its fill -9999, placed on the 10 m VRT's right half by a
    ``SrcRect`` of 10 x 20 cells and a ``DstRect`` of 20 x 40 (resampled by its rects,
    nearest neighbour, as ``gdalbuildvrt`` of grids of two resolutions writes), was
    refused "whose no-data cells (10 or more of -9999) GDAL hands the function as
    numbers" without a cell of the band read, although the band reads them as its no
    data. Now the band's cells over the fills are read: the band is read, each 20 m cell
    on its 2 x 2 cells, the fills and the left half no data."""
    values = _coarse(tmp_path)
    path = tmp_path / "v.vrt"
    path.write_text(_GRID + _band("<PixelFunctionType>scale</PixelFunctionType>",
                                  _resampled("c.tif"), nodata="-9999"))
    _, out = _read(path, units="mW/m2")
    np.testing.assert_array_equal(out, _upsampled(values))


def test_control_a_sum_of_fills_resampled_by_its_rects_is_still_refused(tmp_path: Path) -> None:
    """Control: a ``sum`` of the SYNTHETIC 20 m grid (its first row -9999) twice, both
    resampled onto the right half, still computes -19998 from the fills: refused in
    round 56's words, as before."""
    _coarse(tmp_path)
    path = tmp_path / "v.vrt"
    path.write_text(_GRID + _band("<PixelFunctionType>sum</PixelFunctionType>",
                                  _resampled("c.tif") * 2, nodata="-9999"))
    with pytest.raises(DataError, match=r"from its source c\.tif, whose no-data cells"):
        _plan(path, units="mW/m2")


def test_control_a_derived_band_of_a_source_averaged_by_its_rects_is_still_refused(
    tmp_path: Path,
) -> None:
    """Control: the ``scale`` band of the SYNTHETIC 20 m grid resampled with
    ``resampling="average"`` (whose cells may mix a fill with its neighbours) is still
    refused without reading, as before."""
    _coarse(tmp_path)
    path = tmp_path / "v.vrt"
    path.write_text(_GRID + _band("<PixelFunctionType>scale</PixelFunctionType>",
                                  _resampled("c.tif", resampling="average"), nodata="-9999"))
    with pytest.raises(DataError, match=r"from its source c\.tif, whose no-data cells"):
        _plan(path, units="mW/m2")


# --- controls ----------------------------------------------------------------------------------


def test_control_a_remote_vrt_read_with_empty_dir_in_the_environment_lists_no_folder(
    served, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """Control: ``raster_info`` of a SYNTHETIC VRT of 80 tiles served over HTTP, with
    ``EMPTY_DIR`` in the environment (as round 22's tests have it), still names its JPEG
    70th tile: the read over the network holds its own setting (the test server's listing
    keeps GDAL waiting for its timeout where a read asks for one)."""
    from prospect.io.raster import raster_info

    _imported_without(monkeypatch)
    root, url = served
    _served_mosaic(root, jpeg=70)
    monkeypatch.setenv(_KEY, "EMPTY_DIR")
    info = raster_info(f"/vsicurl/{url}/map.vrt")
    assert "JPEG compression" in info.lossy and "t70.tif" in info.lossy, info.lossy


def test_control_files_beside_a_file_are_read_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: without the setting, the SYNTHETIC ``.aux.xml`` nodata is read as before."""
    _imported_without(monkeypatch)
    _, out = _read(_heat_with_aux(tmp_path), units="mW/m2")
    np.testing.assert_array_equal(out, _EXPECTED)


@pytest.mark.parametrize("value", ["TRUE", "FALSE"])
def test_control_another_listing_setting_put_in_the_environment_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """Control: ``TRUE`` (no listing, each file beside looked for by name) or ``FALSE``
    put into the environment after the import is left as it is, and the SYNTHETIC file's
    ``.aux.xml`` nodata read."""
    _imported_without(monkeypatch)
    monkeypatch.setenv(_KEY, value)
    _, out = _read(_heat_with_aux(tmp_path), units="mW/m2")
    np.testing.assert_array_equal(out, _EXPECTED)
    assert os.environ[_KEY] == value


def test_control_a_remote_vrt_is_read_by_a_fresh_process_without_the_setting(
    served,  # noqa: F811
) -> None:
    """Control: ``raster_info`` of a SYNTHETIC VRT of 80 tiles served over HTTP, in a
    fresh Python of a library user who set no ``GDAL_DISABLE_READDIR_ON_OPEN`` (nor a
    source's ``remote:`` settings), names its JPEG 70th tile, as before (the read over
    the network now sets its own ``EMPTY_DIR``)."""
    root, url = served
    _served_mosaic(root, jpeg=70)
    code = (
        "from prospect.io.raster import raster_info\n"
        f"print(raster_info('/vsicurl/{url}/map.vrt').lossy)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in (_KEY, "GDAL_CONFIG_FILE")}
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("raster_info of the served VRT was still waiting after 120 s")
    assert done.returncode == 0, done.stderr
    assert "JPEG compression" in done.stdout and "t70.tif" in done.stdout, done.stdout
