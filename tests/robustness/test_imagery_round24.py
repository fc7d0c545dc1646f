"""Imagery as survey scientists ingest it, fuzzed again (2026-12-04): plain Landsat
Level-1 band files read without their MTL (see each case).

A parana_corner of the real Parana Landsat 8 L1TP band, cut small in ``tmp_path`` and renamed
where a case needs another product's name (the renamed copies are SYNTHETIC names over
real DNs). Each defect case failed before its fix; the controls keep reading.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from prospect.config.sources import RasterSource
from prospect.errors import DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.rasters import plan_raster

pytestmark = [pytest.mark.realdata]

L1 = "LC08_L1TP_224077_20200518_20200518_01_RT"


def _write(parana_corner: tuple[np.ndarray, dict[str, Any], RegionGrid], path: Path) -> Path:
    dn, profile, _ = parana_corner
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as d:
        d.write(dn, 1)
    return path


def _plan_warnings(source: dict[str, Any], grid: RegionGrid) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        (layer,) = plan_raster(RasterSource.model_validate(source), grid)
    return layer, [str(w.message) for w in seen if issubclass(w.category, DataWarning)]


def _whole(layer: Any, grid: RegionGrid) -> np.ndarray:
    out = np.empty(grid.shape, np.float32)
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out


# --- 1. a plain Landsat Level-1 band file without its MTL -------------------------------------

@pytest.mark.parametrize(("name", "what"), [
    (f"{L1}_B4.TIF", "a Landsat 8 L1TP band 4 file"),
    ("LC08_L1GT_224077_20200518_20200527_02_T2_B4.TIF", "a Landsat 8 L1GT band 4 file"),
    ("LE07_L1TP_224077_20020518_20200916_02_T1_B3.TIF", "a Landsat 7 L1TP band 3 file"),
    ("LT52240771990138CUB00_B3.TIF", "a Landsat 5 Level-1 band 3 file"),
])
def test_a_level1_band_without_its_mtl_is_warned_of(parana_corner, tmp_path, name, what):
    """Before: the real L1TP DNs (thousands) went in as values labelled '1' (reflectance),
    with no word, where a STAC item of the same band is refused (round 23). The values stay
    (configs read such files as DNs), but the warning names the file, what it is, and the
    three fixes."""
    path = _write(parana_corner, tmp_path / name)
    layer, told = _plan_warnings({"name": "oli", "bands": {"red": str(path)}}, parana_corner[2])
    (msg,) = [m for m in told if "'units: DN' to keep the DNs" in m]
    assert f"source 'oli', band 'red': {name} is {what}" in msg
    assert "labelled '1'" in msg and "'metadata:'" in msg
    assert "REFLECTANCE_MULT_BAND_n and REFLECTANCE_ADD_BAND_n, divided by the sine" in msg
    got = _whole(layer, parana_corner[2])
    np.testing.assert_array_equal(got, parana_corner[0].astype(np.float32))  # values as before


@pytest.mark.parametrize("extra", [{"units": "DN"},
                                   {"scale": 2e-5, "offset": -0.1},
                                   {"units": "W m-2 sr-1 um-1", "scale": 0.01}])
def test_a_level1_band_the_config_calibrates_or_names_reads_quietly(parana_corner, tmp_path, extra):
    """Control: 'units: DN', or the MTL's coefficients as 'scale:'/'offset:', say what the
    DNs become; no warning."""
    path = _write(parana_corner, tmp_path / f"{L1}_B4.TIF")
    layer, told = _plan_warnings({"name": "oli", "bands": {"red": str(path)}, **extra},
                                 parana_corner[2])
    assert not [m for m in told if "'units: DN' to keep the DNs" in m]
    got = _whole(layer, parana_corner[2])
    want = parana_corner[0] * extra.get("scale", 1.0) + extra.get("offset", 0.0)
    np.testing.assert_allclose(got, want.astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("name", ["red.tif", f"{L1}_BQA_x.TIF",
                                  "LC08_L2SP_224077_20200518_20200527_02_T1_QA_PIXEL.TIF"])
def test_files_not_named_as_level1_bands_are_not_warned_of(parana_corner, tmp_path, name):
    """Control: a file whose name states no Level-1 band is not this warning's."""
    path = _write(parana_corner, tmp_path / name)
    # a QA_PIXEL read as a band of continuous values is refused (round 42): as classes
    extra = {"values": "categorical"} if "QA_PIXEL" in name else {}
    _, told = _plan_warnings({"name": "x", "bands": {"v": str(path)}, **extra},
                             parana_corner[2])
    assert not [m for m in told if "'units: DN' to keep the DNs" in m]


@pytest.mark.parametrize("name", ["LE07_L1TP_224077_20020518_20200916_02_T1_B6_VCID_1.TIF",
                                  "LC08_L1TP_224077_20200518_20200518_01_RT_B10.TIF"])
def test_a_level1_thermal_band_is_sent_to_its_radiance_coefficients(parana_corner, tmp_path, name):
    """Before: no word. A thermal band's fix is the MTL's radiance coefficients and K1/K2,
    not its reflectance ones."""
    path = _write(parana_corner, tmp_path / name)
    _, told = _plan_warnings({"name": "t", "bands": {"bt": str(path)}}, parana_corner[2])
    (msg,) = [m for m in told if "'units: DN' to keep the DNs" in m]
    assert "RADIANCE_MULT_BAND_n" in msg and "K1/K2" in msg and "REFLECTANCE" not in msg


# --- 2. a composite band stored lossily under an item that states its grid --------------------

from . import test_calibration_round15 as cal  # noqa: E402

s2 = cal.s2
"""A baseline 04.00 ``MTD_MSIL2A.xml`` of tile T31UFT and a B04 of real Wageningen DNs
(+1000) on that tile (round 15's fixture)."""

STATED = {"proj:shape": [60, 60], "proj:transform": [30, 0, 680000, 0, -30, 5770000],
          "proj:epsg": 32631}


def _s2_items(s2: dict[str, Path], root: Path, compress: str, stated: bool
              ) -> RasterSource:
    """Two SYNTHETIC items of the real-DN B04 on two dates, stored with ``compress``."""
    import json

    with rasterio.open(s2["red"]) as s:
        dn, profile = s.read(1), s.profile
    profile.update(compress=compress, tiled=True, blockxsize=64, blockysize=64,
                   **({"max_z_error": 20} if compress == "LERC" else {}))
    features = []
    for n, day in enumerate(("20220301", "20220311")):
        path = root / f"d{n}" / f"T31UFT_{day}T104021_B04_10m.tif"
        path.parent.mkdir(parents=True)
        with rasterio.open(path, "w", **profile) as d:
            d.write(dn, 1)
        item = cal._item(path, f"s2_{n}", {"s2:processing_baseline": "05.09",
                                           "platform": "sentinel-2a",
                                           "datetime": f"{day[:4]}-{day[4:6]}-{day[6:]}"
                                                       "T10:40:21Z"},
                         {"nodata": 0, "data_type": "uint16", "scale": 1e-4,
                          "offset": -0.1})
        if stated:
            item["assets"]["red"].update(STATED)
        features.append(item)
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return RasterSource.model_validate({"name": "st", "stac": str(coll),
                                        "assets": {"red": "red"},
                                        "composite": {"method": "median"}})


def _lossy_told(source: RasterSource, grid: RegionGrid) -> list[str]:
    from prospect.ingest.composite import plan_composite

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        plan_composite(source, grid)
    return [str(w.message) for w in seen
            if issubclass(w.category, DataWarning) and "stored with" in str(w.message)]


def test_a_lossy_band_of_a_stated_grid_is_warned_of_once(s2, tmp_path):
    """Before: an item stating its band's grid in full is planned without the band's
    header, so round 22's codec check never saw a LERC band of error 20 (DNs, 0.002 of
    reflectance) and the composite read it without a word; a plain raster source, or an
    item without a stated grid, warns. Now the planning's sample read of the band (its
    header open there) warns, once per source for its items (SYNTHETIC items, real DNs)."""
    told = _lossy_told(_s2_items(s2, tmp_path, "LERC", stated=True), cal._grid(s2["red"]))
    (msg,) = told
    assert "item 's2_" in msg and "stored with LERC" in msg and "up to 20 off" in msg
    assert "1 more item(s) of source 'st' likewise" in msg and "COMPRESS=DEFLATE" in msg


@pytest.mark.parametrize(("compress", "stated", "count"), [("DEFLATE", True, 0),
                                                           ("LERC", False, 1)])
def test_a_lossless_band_or_one_read_by_its_header_is_told_as_before(s2, tmp_path, compress,
                                                                     stated, count):
    """Controls: a DEFLATE band of a stated grid plans quietly; a LERC band planned from
    its header keeps round 22's one warning (not two)."""
    told = _lossy_told(_s2_items(s2, tmp_path, compress, stated), cal._grid(s2["red"]))
    assert len(told) == count


# --- 3. a time-series band stacked from another band number's files -------------------------

L5_ID = "LT51980241990098KIS00"  # the Wageningen scenes' ids (files SYNTHETIC here)
L8_ID = "LC81970242014109LGN00"


def _dated(var: str, file: str) -> Any:
    import xarray as xr

    from prospect.io.cube import provenance_attr

    return xr.DataArray(np.zeros((4, 4), np.float32), dims=("y", "x"), name=var, attrs={
        "units": "1", "prospect_kind": "continuous", "provenance": provenance_attr({
            "quantity": "surface_reflectance", "scenes": [{"file": file, "band": 1}]})})


def _stack(band: str, first: tuple[str, str], second: tuple[str, str]) -> Any:
    import xarray as xr

    from prospect.config.timeseries import TimeSeriesConfig
    from prospect.timeseries import stack_dates

    cube = xr.Dataset({first[0]: _dated(*first), second[0]: _dated(*second)})
    cfg = TimeSeriesConfig.model_validate({"dates": [
        {"date": "1990-04-08", "bands": {band: first[0]}},
        {"date": "2014-04-19", "bands": {band: second[0]}}]})
    return stack_dates(cube, cfg)


@pytest.mark.parametrize(("band", "first", "second", "needle"), [
    ("nir", ("tm_b4", f"/d/{L5_ID}_sr_band4.tif"), ("oli_b4", f"/d/{L8_ID}_sr_band4.tif"),
     r"band 'nir' of 2014-04-19 is 'oli_b4', whose file LC81970242014109LGN00_sr_band4\.tif "
     r"is band 4 of Landsat 8, which is red, not nir"),
    ("red", ("tm_b4", f"/d/{L5_ID}_sr_band4.tif"), ("oli_b4", f"/d/{L8_ID}_sr_band4.tif"),
     r"band 'red' of 1990-04-08 is 'tm_b4', whose file .*band 4 of Landsat 5, which is "
     r"nir"),
    ("swir1", ("tm_b5", "/d/LT05_L2SP_198024_19900408_20200916_02_T1_SR_B5.TIF"),
     ("s2_b12", "/d/T31UFT_20140419T104021_B12_20m.tif"),
     r"'s2_b12', whose file T31UFT_20140419T104021_B12_20m\.tif is B12 of Sentinel-2"),
])
def test_a_time_series_band_of_another_band_number_is_refused(band, first, second, needle):
    """Before: a time-series band named 'nir' stacked TM band 4 (NIR) with OLI band 4
    (red), the variables named by number only (no band word for ingest to check), and
    its change was OLI red minus TM NIR, without a word. Now refused naming the date, the
    variable, its file and what its band is. SYNTHETIC cube, real product names."""
    from prospect.errors import DataError

    with pytest.raises(DataError, match=needle):
        _stack(band, first, second)


@pytest.mark.parametrize(("band", "first", "second"), [
    ("nir", ("tm_b4", f"/d/{L5_ID}_sr_band4.tif"), ("oli_b5", f"/d/{L8_ID}_sr_band5.tif")),
    ("b4", ("tm_b4", f"/d/{L5_ID}_sr_band4.tif"), ("oli_b5", f"/d/{L8_ID}_sr_band5.tif")),
    ("nir", ("tm", "/d/nir_1990.tif"), ("oli", "/d/nir_2014.tif")),
])
def test_a_time_series_of_its_own_bands_or_unnamed_ones_stacks(band, first, second):
    """Controls: NIR of both sensors by their own numbers; a band named by number (no band
    word) of one band's files (round 51 refuses TM's band 4 beside OLI's band 4 there);
    files whose names state no band."""
    assert _stack(band, first, second)[band].sizes["time"] == 2


# --- 4. a band file read by its product name under another band's name -----------------------

@pytest.mark.parametrize(("var", "name", "needle"), [
    ("red", "LT05_L2SP_224077_19900518_20200916_02_T1_SR_B4.TIF",
     r"it is band 4 of Landsat 5, which is nir/nir08, not red"),
    ("nir", "LC08_L2SP_224077_20200518_20200527_02_T1_SR_B4.TIF",
     r"it is band 4 of Landsat 8, which is red, not nir"),
    ("swir1", "LE07_L1TP_224077_20020518_20200916_02_T1_B7.TIF",
     r"band 7 of Landsat 7, which is swir/swir2/swir22, not swir1"),
    ("nir", "T21JYM_20200518T133231_B05_20m.tif", r"B05 of Sentinel-2, which is rededge"),
    ("nir", "HLS.L30.T21JYM.2020139T133231.v2.0.B04.tif", r"B04 of HLS L30"),
])
def test_a_named_band_file_under_another_bands_name_is_refused(parana_corner, tmp_path, var, name,
                                                               needle):
    """Before: a band file read by its product name alone (no MTL, ESPA XML or product
    XML, whose readers check band numbers) went in as the band the config named it: a TM
    scene's SR_B4 (NIR) as 'red', an OLI SR_B4 (red) as 'nir' (NDVI of red and red), an
    S2 B05 (red edge) as 'nir'. Now refused naming the file's band and what it is.
    SYNTHETIC names over real Parana DNs."""
    from prospect.errors import DataError

    path = _write(parana_corner, tmp_path / name)
    pair = ({"scale": 1e-4} if name.startswith(("T21", "HLS")) else
            {"scale": 2.75e-5, "offset": -0.2})  # each product's own: read before
    with pytest.raises(DataError, match=rf"source 'x': .*{needle}"):
        plan_raster(RasterSource.model_validate(
            {"name": "x", "bands": {var: str(path)}, "units": "1", **pair}), parana_corner[2])


@pytest.mark.parametrize(("var", "name"), [
    ("nir", "LT05_L2SP_224077_19900518_20200916_02_T1_SR_B4.TIF"),
    ("red", "LC08_L2SP_224077_20200518_20200527_02_T1_SR_B4.TIF"),
    ("b4", "LT05_L2SP_224077_19900518_20200916_02_T1_SR_B4.TIF"),
    ("nir", "T21JYM_20200518T133231_B8A_20m.tif"),
])
def test_a_named_band_file_under_its_own_name_reads(parana_corner, tmp_path, var, name):
    """Controls: each sensor's own numbering, and a variable named by number only."""
    path = _write(parana_corner, tmp_path / name)
    pair = {"scale": 1e-4} if name.startswith("T21") else {"scale": 2.75e-5, "offset": -0.2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (layer,) = plan_raster(RasterSource.model_validate(
            {"name": "x", "bands": {var: str(path)}, "units": "1", **pair}), parana_corner[2])
    assert np.isfinite(_whole(layer, parana_corner[2])).any()
