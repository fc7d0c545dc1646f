"""Imagery as survey scientists ingest it, fuzzed again (2026-12-04, round 26): band
names written as several words (``s2_red_edge``, ``swir_2``, ``near_infrared``) checked
against the band a file or asset holds (see each case).

A parana_corner of the real Parana Landsat 8 L1TP band, cut small in ``tmp_path`` and renamed
to other products' names (the renamed copies are SYNTHETIC names over real DNs); the
time-series cubes and STAC items are SYNTHETIC. Each defect case failed before its fix;
the controls keep reading.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from prospect.config.sources import RasterSource
from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.ingest.rasters import plan_raster

pytestmark = [pytest.mark.realdata]

L1 = "LC08_L1TP_224077_20200518_20200518_01_RT"
S2 = "T21JYM_20200518T133231"


def _plan(parana_corner: tuple[np.ndarray, dict[str, Any], RegionGrid], path: Path,
          var: str) -> Any:
    dn, profile, grid = parana_corner
    with rasterio.open(path, "w", **profile) as d:
        d.write(dn, 1)
    pair = ({"scale": 1e-4} if path.name.startswith("T21") else
            {"scale": 2.75e-5, "offset": -0.2})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (layer,) = plan_raster(RasterSource.model_validate(
            {"name": "x", "bands": {var: str(path)}, "units": "1", **pair}), grid)
    return layer


# --- 1. band words of several words, plain band files ----------------------------------------

@pytest.mark.parametrize(("var", "name", "needle"), [
    ("swir_2", f"{S2}_B11_20m.tif", r"B11 of Sentinel-2, which is swir/swir1/swir16, not "
                                    r"swir2"),
    ("swir_1", "LC08_L2SP_224077_20200518_20200527_02_T1_SR_B7.TIF",
     r"band 7 of Landsat 8, which is swir/swir2/swir22, not swir1"),
    ("nir_08", f"{S2}_B05_20m.tif", r"B05 of Sentinel-2, which is rededge, not nir08"),
    ("rededge1", f"{S2}_B04_10m.tif", r"B04 of Sentinel-2, which is red, not rededge"),
    ("near_infrared", "LC08_L2SP_224077_20200518_20200527_02_T1_SR_B4.TIF",
     r"band 4 of Landsat 8, which is red, not nir"),
])
def test_a_band_named_in_several_words_of_another_band_is_refused(parana_corner, tmp_path, var,
                                                                   name, needle):
    """Before: the band-word check split a variable name on non-alphanumerics and kept
    the pieces that are band words, so 'swir_2' given Sentinel-2's B11 (SWIR 1) was the
    word 'swir', which B11 is, and read as SWIR 2 without a word (a clay index of SWIR 1
    over SWIR 1); 'nir_08' was 'nir' (not checked against B05 as NIR), Earth Search's
    'rededge1' and 'near_infrared' held no word and were not checked at all. Now the words
    are joined where they name one band (landsat.band_words_in) and refused naming it.
    SYNTHETIC names over real Parana DNs."""
    with pytest.raises(DataError, match=rf"source 'x': .*{needle}"):
        _plan(parana_corner, tmp_path / name, var)


@pytest.mark.parametrize(("var", "name"), [
    ("s2_red_edge", f"{S2}_B05_20m.tif"),
    ("S2_Red_Edge", f"{S2}_B06_20m.tif"),
    ("red_edge_3", f"{S2}_B07_20m.tif"),
])
def test_a_red_edge_band_named_in_two_words_reads(parana_corner, tmp_path, var, name):
    """Before (round 24 left it): 's2_red_edge' given Sentinel-2's B05 was refused as
    'red' (the pieces 'red' and 'edge'), where 'rededge' passed. Now read as red edge.
    SYNTHETIC names over real Parana DNs."""
    layer = _plan(parana_corner, tmp_path / name, var)
    grid = parana_corner[2]
    assert np.isfinite(layer.compute(grid, next(iter(grid.chunk_windows())))).any()


@pytest.mark.parametrize(("var", "name"), [
    ("swir_1", f"{S2}_B11_20m.tif"),
    ("oli_swir2", "LC08_L2SP_224077_20200518_20200527_02_T1_SR_B7.TIF"),
    ("near_infrared", f"{S2}_B08_10m.tif"),
    ("red_2020", f"{S2}_B04_10m.tif"),
    ("b4", f"{S2}_B04_10m.tif"),
])
def test_a_band_named_in_several_words_of_its_own_band_reads(parana_corner, tmp_path, var, name):
    """Controls: each band under its own name in several words; a date after a band word
    is no part of it; a variable named by number only is not checked."""
    layer = _plan(parana_corner, tmp_path / name, var)
    grid = parana_corner[2]
    assert np.isfinite(layer.compute(grid, next(iter(grid.chunk_windows())))).any()


# --- 2. the same words in a time series and a STAC item --------------------------------------

def _dated(var: str, file: str) -> Any:
    import xarray as xr

    from prospect.io.cube import provenance_attr

    return xr.DataArray(np.zeros((4, 4), np.float32), dims=("y", "x"), name=var, attrs={
        "units": "1", "prospect_kind": "continuous", "provenance": provenance_attr({
            "quantity": "surface_reflectance", "scenes": [{"file": file, "band": 1}]})})


def test_a_time_series_band_named_in_two_words_is_checked_as_one():
    """Before: a time-series band 'swir_2' stacked from Sentinel-2 B11 (SWIR 1) files was
    'swir' to the check and passed: every change was one of SWIR 1. Now refused naming
    the date and the file's band. SYNTHETIC cube, real product names."""
    import xarray as xr

    from prospect.config.timeseries import TimeSeriesConfig
    from prospect.timeseries import stack_dates

    cube = xr.Dataset({"a": _dated("a", f"/d/{S2}_B12_20m.tif"),
                       "b": _dated("b", "/d/T21JYM_20210518T133231_B11_20m.tif")})
    cfg = TimeSeriesConfig.model_validate({"dates": [
        {"date": "2020-05-18", "bands": {"swir_2": "a"}},
        {"date": "2021-05-18", "bands": {"swir_2": "b"}}]})
    with pytest.raises(DataError, match=r"band 'swir_2' of 2021-05-18 is 'b', whose file "
                                        r".*B11 of Sentinel-2.*not swir2"):
        stack_dates(cube, cfg)


def _item(band: str) -> Any:
    import pystac

    item = pystac.Item(id="S2B_21JYM_20200518_0_L2A", geometry=None, bbox=None,
                       datetime=dt.datetime(2020, 5, 18, 13, 32, tzinfo=dt.UTC),
                       properties={"platform": "sentinel-2b"})
    asset = pystac.Asset(href=f"/d/{S2}_{band}_20m.tif",
                         extra_fields={"eo:bands": [{"name": band}]})
    item.add_asset(band, asset)
    return item


@pytest.mark.parametrize(("var", "band", "wrong"), [
    ("swir_2", "B11", True), ("swir_1", "B11", False), ("red_edge", "B05", False),
])
def test_a_stac_asset_of_a_band_named_in_two_words(var, band, wrong):
    """Before: 'swir_2' given an asset whose eo:bands names B11 (no common name) passed as
    'swir'; 'red_edge' given B05 was refused as 'red'. Now the joined word is checked.
    ('swir_1' given B11: control.) SYNTHETIC item."""
    from prospect.ingest.stac import _check_band

    item = _item(band)
    if wrong:
        with pytest.raises(DataError, match=rf"asset {band!r} {var!r}.*B11 \(swir/swir1"):
            _check_band(var, band, item.assets[band], "sentinel-2", item)
    else:
        _check_band(var, band, item.assets[band], "sentinel-2", item)


@pytest.mark.parametrize(("var", "common", "wrong"), [
    ("swir_2", "swir16", True), ("red_edge", "red", True), ("near_infrared", "red", True),
    ("swir_1", "swir16", False), ("s2_red_edge", "rededge", False), ("nir", "nir08", False),
    ("tm_swir2", "swir22", False),
])
def test_a_stac_asset_of_a_common_name_and_a_band_named_in_words(var, common, wrong):
    """Before: a variable named for a band in words ('swir_2', 'red_edge') given an asset
    whose eo:bands states a common name (Earth Search's 'swir16', SWIR 1) was not checked
    (only a variable that is itself a common name was): SWIR 1 read as SWIR 2. Now refused
    naming the asset's band. Controls: each band under its own words. SYNTHETIC item."""
    import pystac

    from prospect.ingest.stac import _check_band

    item = _item("B11")
    asset = pystac.Asset(href="/d/x.tif", extra_fields={
        "eo:bands": [{"name": "x", "common_name": common}]})
    if wrong:
        with pytest.raises(DataError, match=rf"asset 'x' {var!r}.*\({common}\)"):
            _check_band(var, "x", asset, "sentinel-2", item)
    else:
        _check_band(var, "x", asset, "sentinel-2", item)
