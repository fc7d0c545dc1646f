"""A remote VRT's folder-listing setting left behind for the rest of the process: GDAL's
``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR`` in the environment while a VRT was read over
HTTP (a guide's advice for cloud files; a notebook's cell) stayed GDAL's process-wide
setting (or the reading thread's own) after the environment dropped it, and every local
read after it lost the ``.aux.xml`` beside its file (its nodata read as a value).

Found by running round 22's remote-VRT tests and round 24's sidecar tests in one process
(each passed alone; 9 of round 24 failed after round 22) and probing GDAL's process-wide
option after the remote read (2026-12-10). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from .test_imagery_round21 import served  # noqa: F401  (the HTTP folder fixture)
from .test_rasters_round16 import _write
from .test_rasters_round22 import _served_mosaic

LISTING = "GDAL_DISABLE_READDIR_ON_OPEN"


def _aux_nodata(folder: Path) -> Path:
    """A float GeoTIFF with -9999 cells whose nodata only its ``.aux.xml`` states."""
    values = np.full((40, 40), 12.5, dtype="f4")
    values[:5] = -9999
    path = _write(folder / "heat.tif", values)
    (folder / "heat.tif.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><NoDataValue>-9999</NoDataValue>'
        "</PAMRasterBand></PAMDataset>")
    return path


def _listing_options() -> tuple[bytes | None, str | None]:
    """GDAL's process-wide value of the listing setting, and the one this thread sees
    outside any ``rasterio.Env`` (its own, else the process-wide one, else the
    environment's)."""
    from rasterio.env import get_gdal_config

    from prospect.io.raster import _process_wide_options

    found = _process_wide_options()
    wide = found[0](LISTING.encode(), None) if found is not None else None
    return wide, get_gdal_config(LISTING, normalize=False)


def test_a_remote_vrt_read_under_empty_dir_leaves_local_sidecars_read(
        served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Before: after ``raster_info("/vsicurl/.../map.vrt")`` with ``EMPTY_DIR`` in the
    environment, rasterio's ``Env`` wrote the value it had found there (GDAL's look-up
    falls back to the environment) back as GDAL's process-wide setting on exit, so with
    the environment clean again a local GeoTIFF's ``.aux.xml`` nodata was not read (its
    -9999 cells read as values). Now the read leaves each setting as it found it."""
    from prospect.io.raster import raster_info

    root, url = served
    _served_mosaic(root, jpeg=70)
    local = _aux_nodata(tmp_path)
    with monkeypatch.context() as env:
        env.setenv(LISTING, "EMPTY_DIR")
        assert "t70.tif" in raster_info(f"/vsicurl/{url}/map.vrt").lossy
    assert _listing_options() == (None, None)
    assert raster_info(local).nodata == (-9999.0,)


def test_a_remote_vrt_read_in_a_worker_thread_leaves_that_thread_clean(
        served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Before: the same read from a long-lived worker thread (a tile server's, a dask
    worker's) left ``EMPTY_DIR`` as that thread's own GDAL setting, so each later local
    read on the thread lost its ``.aux.xml``. Now the thread's settings are as before."""
    from prospect.io.raster import raster_info

    root, url = served
    _served_mosaic(root, jpeg=70)
    local = _aux_nodata(tmp_path)
    with ThreadPoolExecutor(max_workers=1) as worker:
        with monkeypatch.context() as env:
            env.setenv(LISTING, "EMPTY_DIR")
            remote = worker.submit(raster_info, f"/vsicurl/{url}/map.vrt").result()
        assert "t70.tif" in remote.lossy
        assert worker.submit(_listing_options).result() == (None, None)
        assert worker.submit(raster_info, local).result().nodata == (-9999.0,)


def test_control_a_users_own_process_wide_listing_setting_is_kept(
        served) -> None:  # noqa: F811
    """A listing setting the user made GDAL's own (``rasterio.env.set_gdal_config``) is
    theirs: a remote read does not take it out."""
    from rasterio.env import set_gdal_config

    from prospect.io.raster import _process_wide_options, raster_info

    root, url = served
    _served_mosaic(root, jpeg=70)
    set_gdal_config(LISTING, "TRUE")
    try:
        raster_info(f"/vsicurl/{url}/map.vrt")
        assert _listing_options() == (b"TRUE", "TRUE")
    finally:
        found = _process_wide_options()
        if found is not None:
            found[1](LISTING.encode(), None)
