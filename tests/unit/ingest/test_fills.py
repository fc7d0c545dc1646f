"""Undeclared fill values: the sampler and the rule (SYNTHETIC rasters)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling
from rasterio.transform import from_origin

from prospect.ingest.fills import dominant_fill
from prospect.io.raster import sample_band


def _scene(collar: int, n: int = 100, fill: float = 0.0, dtype: str = "float32") -> np.ndarray:
    data = (np.random.default_rng(3).random((n, n)) * 500 + 1).astype(dtype)
    data[:collar, :] = data[-collar:, :] = data[:, :collar] = data[:, -collar:] = fill
    return data


def _corners(a: np.ndarray) -> np.ndarray:
    return np.array([a[0, 0], a[0, -1], a[-1, 0], a[-1, -1]])


def test_a_fill_on_the_corners_is_found_when_the_declared_nodata_never_occurs() -> None:
    data = _scene(10)  # 36 % collar of zeros
    found = dominant_fill(data, _corners(data), nodata=-9999.0)
    assert found is not None and found.value == 0 and found.corners == 4
    assert found.share == pytest.approx(1 - 80 * 80 / 100**2)


def test_the_declared_nodata_occurring_clears_the_band() -> None:
    data = _scene(10)
    data[50, 50] = -9999
    assert dominant_fill(data, _corners(data), nodata=-9999.0) is None


@pytest.mark.parametrize(("fill", "dtype"), [(-32768, "int16"), (65535, "uint16"),
                                             (255, "uint8"), (-3.4028234663852886e38, "float32")])
def test_common_fills_from_five_percent(fill: float, dtype: str) -> None:
    data = _scene(2, fill=fill, dtype=dtype)  # 7.8 % collar
    found = dominant_fill(data, _corners(data), nodata=None if dtype == "uint8" else 1.5)
    assert found is not None and found.value == pytest.approx(float(np.array(fill, dtype)))


def test_no_warning_for_ordinary_data_or_a_small_collar() -> None:
    rng = np.random.default_rng(0)
    smooth = rng.random((100, 100)).astype("float32")
    assert dominant_fill(smooth, _corners(smooth), nodata=-9999.0) is None
    data = _scene(1)  # 4 % collar: below every threshold
    assert dominant_fill(data, _corners(data), nodata=-9999.0) is None
    # without a declared nodata a value that is no usual fill is data (a flat area)
    flat = _scene(20, fill=137.0)
    assert dominant_fill(flat, _corners(flat), nodata=None) is None


def test_a_dominant_class_of_a_categorical_band_is_not_a_fill() -> None:
    codes = np.ones((100, 100), dtype="uint8")
    codes[40:60] = 7
    assert dominant_fill(codes, _corners(codes), nodata=255.0, categorical=True) is None
    assert dominant_fill(codes, _corners(codes), nodata=255.0) is not None  # as continuous
    clear = np.zeros((100, 100), dtype="uint8")  # a cloud mask: 0 is "clear", 255 no data
    clear[30:40] = 4
    assert dominant_fill(clear, _corners(clear), nodata=255.0, categorical=True) is None
    collar = clear.astype("int16")  # a class map whose collar is -32768, nodata 255
    collar[:3] = collar[-3:] = collar[:, :3] = collar[:, -3:] = -32768
    found = dominant_fill(collar, _corners(collar), nodata=255.0, categorical=True)
    assert found is not None and found.value == -32768


def _write(path: Path, data: np.ndarray, *, tiled: bool, overviews: bool = False) -> Path:
    profile = {"driver": "GTiff", "width": data.shape[1], "height": data.shape[0], "count": 1,
               "dtype": str(data.dtype), "crs": "EPSG:32619", "nodata": -9999.0,
               "transform": from_origin(500000, 1400000, 10, 10)}
    if tiled:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        if overviews:
            dst.build_overviews([2, 4, 8, 16], Resampling.nearest)
    return path


@pytest.mark.parametrize("overviews", [False, True], ids=["blocks", "overviews"])
def test_a_large_band_is_sampled_not_read_whole(tmp_path: Path, overviews: bool) -> None:
    data = _scene(512, n=2048)  # 4.2 M cells in 64 tiles, a 75 % collar
    path = _write(tmp_path / "big.tif", data, tiled=True, overviews=overviews)
    values, corners = sample_band(str(path), 1, cells=16384)
    # 16 of the 64 tiles (one per stratum), with or without overviews: an overview may
    # hold other values than its band (built before an edit in place), so none is read
    assert values.size == 16 * 256 * 256
    assert (corners == 0).all()
    found = dominant_fill(values, corners, nodata=-9999.0)
    assert found is not None and found.value == 0
    assert found.share == pytest.approx(1 - 1024 * 1024 / 2048**2, abs=0.05)


def test_a_small_band_is_read_whole(tmp_path: Path) -> None:
    data = _scene(5)
    values, corners = sample_band(str(_write(tmp_path / "s.tif", data, tiled=False)), 1)
    np.testing.assert_array_equal(values, data.ravel())
    np.testing.assert_array_equal(corners, _corners(data))


@pytest.mark.parametrize("path", ["/vsicurl/http://127.0.0.1:9/scene.tif",
                                  "https://example.invalid/scene.tif",
                                  'NETCDF:"/vsis3/bucket/x.nc":band'])
def test_remote_files_are_not_sampled(path: str) -> None:
    assert sample_band(path, 1) is None  # returns before any request


@pytest.mark.parametrize(("value", "dtype", "fits"), [
    (1e308, "float32", False), (-1e39, "float32", False), (3e38, "float32", True),
    (1e308, "float64", True), (float("nan"), "float32", True), (300, "uint8", False),
])
def test_a_nodata_beyond_a_float_band_is_judged_without_numpys_overflow_warning(
        value: float, dtype: str, fits: bool) -> None:
    # 'nodata: 1e308' on a float32 band printed numpy's 'overflow encountered in cast'
    import warnings

    from prospect.io.raster import value_fits

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert value_fits(value, dtype) is fits
