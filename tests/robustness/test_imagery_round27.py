"""Imagery as survey scientists ingest it, fuzzed again (2026-12-04): ASTER Level-2 granules,
Landsat 4-7 surface temperature, ASTER time series and Sentinel-2 products of two
processings of one datatake (see each case).

Band files are SYNTHETIC (small uint16 rasters written into ``tmp_path``, tagged
``SYNTHETIC``) under the names the real products carry; the Sentinel-2 XML is ESA's
layout cut to the elements the reader uses. Each defect case failed before its fix; the
controls keep reading.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import ConfigError, DataError
from prospect.grid import RegionGrid
from prospect.ingest.rasters import plan_raster
from prospect.io.cube import provenance_attr
from prospect.timeseries import stack_dates

GRID = RegionGrid(
    crs="EPSG:32631",
    resolution=30.0,
    bounds=(600000.0, 5799400.0, 600600.0, 5800000.0),
    chunks=(20, 20),
    name="r27",
)
DN = 3000


def _band(path: Path, value: int = DN) -> str:
    """A 20 x 20 uint16 band of one DN on :data:`GRID` (SYNTHETIC)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=20,
        height=20,
        count=1,
        dtype="uint16",
        crs=GRID.crs,
        transform=from_origin(600000.0, 5800000.0, 30.0, 30.0),
    ) as d:
        d.write(np.full((20, 20), value, np.uint16), 1)
        d.update_tags(SYNTHETIC="round 27 test band, not a measurement")
    return str(path)


def _plan(source: dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (layer,) = plan_raster(RasterSource.model_validate(source), GRID)
    return layer


def _value(layer: Any) -> float:
    return float(layer.compute(GRID, next(iter(GRID.chunk_windows())))[0, 0])


# --- 1. ASTER Level-2 granules whose DNs are scaled ---------------------------------------------

ASTER_L2 = [
    ("AST_08", "tkin", 0.1, "K", "surface kinetic temperature"),
    ("AST_05", "B13", 1e-3, "1", "surface emissivity"),
    ("AST_09T", "B13", 1e-3, "W m-2 sr-1 um-1", "TIR surface radiance"),
]


def _granule(code: str) -> str:
    layer = "SKT" if code == "AST_08" else "B13"
    return f"{code}_00306202006183523_20150101000000_12345_{layer}.tif"


@pytest.mark.parametrize(("code", "var", "scale", "units", "what"), ASTER_L2)
def test_an_aster_level2_granule_without_its_scale_is_refused(
    tmp_path, code, var, scale, units, what
):
    """Before: an AST_08 kinetic temperature of 300 K (DN 3000) went in as 3000 labelled
    '1' (reflectance), an AST_05 emissivity of 0.97 as 970, without a word (AST_07XT was
    refused so). Now each is named with the scale its product defines."""
    path = _band(tmp_path / _granule(code))
    with pytest.raises(DataError) as err:
        _plan({"name": "ast", "bands": {var: path}})
    msg = str(err.value)
    assert f"source 'ast', band '{var}': {Path(path).name} is an ASTER {code} {what} granule" in msg
    assert f"give 'scale: {scale:g}'" in msg


@pytest.mark.parametrize(
    ("code", "var", "scale", "units", "what"), [p for p in ASTER_L2 if p[3] != "1"]
)
def test_an_aster_level2_granule_with_its_scale_takes_its_units(
    tmp_path, code, var, scale, units, what
):
    """Before: 'scale: 0.1' on AST_08 made 300 labelled '1'; now the product's units (K)
    label it, as a Collection 2 ST_B10's do."""
    layer = _plan({"name": "ast", "bands": {var: _band(tmp_path / _granule(code))}, "scale": scale})
    assert layer.units == units
    assert _value(layer) == pytest.approx(DN * scale, rel=1e-6)


def test_aster_surface_reflectance_and_level1_read_as_before(tmp_path):
    """Controls: AST_07XT with its 0.001 reads as reflectance, AST_05 with its 0.001 as
    emissivity; AST_L1T DNs without 'units:' are still refused (no one pair makes them
    radiance)."""
    emis = _band(tmp_path / _granule("AST_05"))
    layer = _plan({"name": "ast", "bands": {"B13": emis}, "scale": 0.001})
    assert layer.units == "1" and _value(layer) == pytest.approx(3.0)
    refl = _band(tmp_path / "AST_07XT_00306202006183523_20150101000000_12345_B3N.tif")
    layer = _plan({"name": "ast", "bands": {"B3N": refl}, "scale": 0.001})
    assert layer.units == "1" and _value(layer) == pytest.approx(3.0)
    l1t = _band(tmp_path / "AST_L1T_00306202006183523_20150101000000_12345_B3N.tif")
    with pytest.raises(ConfigError, match="an ASTER AST_L1T granule, which holds DNs"):
        _plan({"name": "ast", "bands": {"B3N": l1t}})


# --- 1b. ASTER bands by number, under the names of another sensor's numbering ------------------

AST_07 = "AST_07XT_00306202006183523_20150101000000_12345"


@pytest.mark.parametrize(
    ("band", "var", "extra"),
    [
        ("B3N", "red", {"scale": 0.001}),
        ("B02", "nir", {"scale": 0.001}),
        ("B06", "swir1", {"scale": 0.001}),
        ("ImageData3N", "red", {"units": "DN"}),
    ],
)
def test_an_aster_band_named_for_another_band_is_refused(tmp_path, band, var, extra):
    """Before: ASTER's band 3N (NIR) named 'red' (band 3 is red on TM), its band 2 (red)
    named 'nir', a band 6 (2.2 um) named 'swir1' went in as the band named, without a word
    (Landsat and Sentinel-2 files so named were refused). Now refused naming the band."""
    code = "AST_L1T" if band.startswith("ImageData") else "AST_07XT"
    path = _band(tmp_path / f"{AST_07.replace('AST_07XT', code)}_{band}.tif")
    with pytest.raises(
        DataError,
        match=rf"the config names it '{var}', but it is band "
        rf"\w+ of ASTER, which is .*band 3 is NIR",
    ):
        _plan({"name": "ast", "bands": {var: path}, **extra})


@pytest.mark.parametrize(
    ("band", "var"),
    [
        ("B3N", "nir"),
        ("B02", "ast_red"),
        ("B06", "swir2"),
        ("B04", "swir_1"),
        ("B3N", "B3N"),
        ("B13", "tir"),
    ],
)
def test_an_aster_band_under_its_own_name_reads(tmp_path, band, var):
    """Controls: each ASTER band under its own words, or its number, reads."""
    layer = _plan(
        {"name": "ast", "bands": {var: _band(tmp_path / f"{AST_07}_{band}.tif")}, "scale": 0.001}
    )
    assert _value(layer) == pytest.approx(3.0)


def test_a_time_series_band_of_an_aster_file_of_another_band_is_refused():
    """Before: 'red' stacked from ASTER band 3N (NIR) in 2003 and OLI's red in 2014: its
    change was OLI red minus ASTER NIR. Now refused naming the date and the band."""
    cube = xr.Dataset(
        {
            "a": _dated("a", "/d/AST_07XT_00304182003183523_20150101000000_12345_B3N.tif"),
            "b": _dated("b", "/d/LC08_L2SP_198024_20140419_20200911_02_T1_SR_B4.TIF"),
        }
    )
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2003-04-18", "bands": {"red": "a"}},
                {"date": "2014-04-19", "bands": {"red": "b"}},
            ]
        }
    )
    with pytest.raises(
        DataError,
        match=r"band 'red' of 2003-04-18 is 'a', whose file "
        r"\S+_B3N\.tif is band 3N of ASTER",
    ):
        stack_dates(cube, cfg)


# --- 2. Landsat 4-7 surface temperature under the names band 10's goes by ------------------------

TM_ST = "LT05_L2SP_198024_19900408_20200916_02_T1_ST_B6.TIF"
ETM_ST = "LE07_L2SP_198024_20020518_20200916_02_T1_ST_B6.TIF"


@pytest.mark.parametrize(
    ("name", "var"), [(TM_ST, "lst"), (TM_ST, "tm_st"), (ETM_ST, "lst_2002"), (TM_ST, "lwir11")]
)
def test_a_tm_or_etm_surface_temperature_named_lst_reads(tmp_path, name, var):
    """Before: a Collection 2 Level-2 ST_B6 of Landsat 5 or 7 named 'lst' (or 'st', or
    STAC's 'lwir11', which the STAC reader maps to TM band 6) was refused as "band 6 ...
    not lst (band numbers differ between sensors)", though band 6 is the thermal band and
    OLI's ST_B10 under the same name reads. Now it reads, in K."""
    layer = _plan(
        {"name": "st", "bands": {var: _band(tmp_path / name)}, "scale": 0.00341802, "offset": 149.0}
    )
    assert layer.units == "K"
    assert _value(layer) == pytest.approx(DN * 0.00341802 + 149.0, rel=1e-6)


def _dated(
    var: str, file: str, quantity: str = "surface_reflectance", units: str = "1"
) -> xr.DataArray:
    return xr.DataArray(
        np.zeros((4, 4), np.float32),
        dims=("y", "x"),
        name=var,
        attrs={
            "units": units,
            "prospect_kind": "continuous",
            "provenance": provenance_attr(
                {"quantity": quantity, "scenes": [{"file": file, "band": 1}]}
            ),
        },
    )


def test_a_time_series_of_tm_and_oli_surface_temperature_named_lst_stacks():
    """Before: 'lst' stacked from a TM ST_B6 (1990) and an OLI ST_B10 (2014) was refused
    at the TM date as 'not lst'. Now it stacks (SYNTHETIC cube, real product names)."""
    oli = "/d/LC08_L2SP_198024_20140419_20200911_02_T1_ST_B10.TIF"
    cube = xr.Dataset(
        {
            "a": _dated("a", f"/d/{TM_ST}", "surface_temperature", "K"),
            "b": _dated("b", oli, "surface_temperature", "K"),
        }
    )
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "1990-04-08", "bands": {"lst": "a"}},
                {"date": "2014-04-19", "bands": {"lst": "b"}},
            ]
        }
    )
    assert stack_dates(cube, cfg)["lst"].sizes["time"] == 2


@pytest.mark.parametrize("var", ["red", "nir"])
def test_a_tm_surface_temperature_named_for_another_band_is_still_refused(tmp_path, var):
    """Control: the band-word check still refuses TM's band 6 under a reflective name."""
    with pytest.raises(
        DataError,
        match=rf"the config names it '{var}', but it is band 6 of "
        rf"Landsat 5, which is \S*thermal\S*, not {var}",
    ):
        _plan(
            {
                "name": "st",
                "bands": {var: _band(tmp_path / TM_ST)},
                "scale": 0.00341802,
                "offset": 149.0,
            }
        )


# --- 3. ASTER scenes listed under another date in a time series ---------------------------------

AST_2003 = "/d/AST_07XT_00304182003183523_20150101000000_12345_B3N.tif"
AST_2006 = "/d/AST_07XT_00306202006183523_20150101000000_12345_B3N.tif"


def test_an_aster_scene_listed_under_another_date_is_refused():
    """Before: an AST_07XT granule of 2006-06-20 listed under 2009-06-20 stacked without a
    word (a Landsat or Sentinel-2 file so listed was refused), and the change layer said
    '2003-04-18 to 2009-06-20'. Now refused naming the granule and its date."""
    cube = xr.Dataset({"a": _dated("a", AST_2003), "b": _dated("b", AST_2006)})
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2003-04-18", "bands": {"nir": "a"}},
                {"date": "2009-06-20", "bands": {"nir": "b"}},
            ]
        }
    )
    with pytest.raises(
        DataError,
        match=r"'b' is listed under 2009-06-20, but its file "
        r"AST_07XT_00306202006183523\S* \(an ASTER granule\) "
        r"was acquired on 2006-06-20",
    ):
        stack_dates(cube, cfg)


def test_aster_scenes_under_their_own_dates_stack():
    """Control: the same granules under their own dates stack, in date order."""
    cube = xr.Dataset({"a": _dated("a", AST_2003), "b": _dated("b", AST_2006)})
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2006-06-20", "bands": {"nir": "b"}},
                {"date": "2003-04-18", "bands": {"nir": "a"}},
            ]
        }
    )
    out = stack_dates(cube, cfg)["nir"]
    assert [str(t)[:10] for t in out.time.values] == ["2003-04-18", "2006-06-20"]


# --- 4. Sentinel-2 band files of one processing with the XML of another --------------------------

S2_XML = """<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
<n1:General_Info><Product_Info>
<PRODUCT_START_TIME>2019-03-01T10:40:21.024Z</PRODUCT_START_TIME>
<PRODUCT_URI>{product}.SAFE</PRODUCT_URI>
<PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
</Product_Info>
<Product_Image_Characteristics>
<QUANTIFICATION_VALUES_LIST>
<BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
</QUANTIFICATION_VALUES_LIST>
{offsets}
<Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT>
<SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
<Spectral_Information_List>
<Spectral_Information bandId="3" physicalBand="B4"/>
</Spectral_Information_List>
</Product_Image_Characteristics></n1:General_Info>
</n1:Level-2A_User_Product>
"""
OFFSETS = (
    '<BOA_ADD_OFFSET_VALUES_LIST><BOA_ADD_OFFSET band_id="3">-1000</BOA_ADD_OFFSET>'
    "</BOA_ADD_OFFSET_VALUES_LIST>"
)
FIRST = "S2A_MSIL2A_20190301T104021_N0211_R008_T31UFT_20190301T135500"
"""The datatake as first processed (baseline 02.11: no offset)."""
REPROCESSED = "S2A_MSIL2A_20190301T104021_N0500_R008_T31UFT_20230615T101010"
"""The same datatake in ESA's reprocessed archive (baseline 05.00: DN offset -1000)."""
BAND = "GRANULE/L2A_T31UFT_A019306_20190301T104021/IMG_DATA/R10m/T31UFT_20190301T104021_B04_10m.tif"


def _product(root: Path, product: str, value: int) -> tuple[str, str]:
    """A ``.SAFE`` folder of ``product`` with its XML and a B04 of ``value`` (SYNTHETIC)."""
    baseline = f"{product.split('_N')[1][:2]}.{product.split('_N')[1][2:4]}"
    safe = root / f"{product}.SAFE"
    band = _band(safe / BAND, value)
    xml = safe / "MTD_MSIL2A.xml"
    xml.write_text(
        S2_XML.format(
            product=product, baseline=baseline, offsets=OFFSETS if float(baseline) >= 4 else ""
        )
    )
    return band, str(xml)


@pytest.mark.parametrize(("band_of", "xml_of"), [(FIRST, REPROCESSED), (REPROCESSED, FIRST)])
def test_a_sentinel2_band_with_the_xml_of_another_processing_is_refused(tmp_path, band_of, xml_of):
    """Before: the first processing's B04 (no offset) with the reprocessed product's XML of
    the same tile and datatake passed every check and read (DN - 1000) / 10000: every
    reflectance 0.1 low; the reverse 0.1 high. Now refused naming both baselines."""
    band, _ = _product(tmp_path, band_of, 2000)
    _, xml = _product(tmp_path, xml_of, 2000)
    with pytest.raises(
        DataError,
        match=r"its \.SAFE folder is of processing baseline "
        r"(02\.11|05\.00) .* another processing of the same "
        r"datatake .* 0\.1 off; give the MTD XML of the "
        r"band's own \.SAFE product",
    ):
        _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": band}, "metadata": xml})


@pytest.mark.parametrize(("product", "want"), [(FIRST, 0.2), (REPROCESSED, 0.1)])
def test_a_sentinel2_band_with_its_own_xml_reads_its_own_offset(tmp_path, product, want):
    """Control: each processing's band with its own XML: (DN + offset) / 10000."""
    band, xml = _product(tmp_path, product, 2000)
    layer = _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": band}, "metadata": xml})
    assert _value(layer) == pytest.approx(want, rel=1e-5)


def test_a_sentinel2_band_outside_a_safe_folder_or_of_the_same_side_reads(tmp_path):
    """Controls: a band file whose path names no .SAFE product is not compared; a band of
    baseline 04.00 with the XML of 05.00 (both carry the offset) reads."""
    _, xml = _product(tmp_path, REPROCESSED, 2000)
    plain = _band(tmp_path / "T31UFT_20190301T104021_B04_10m.tif", 2000)
    layer = _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": plain}, "metadata": xml})
    assert _value(layer) == pytest.approx(0.1, rel=1e-5)
    other = _band(tmp_path / REPROCESSED.replace("N0500", "N0400") / f"{BAND}", 2000)
    layer = _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": other}, "metadata": xml})
    assert _value(layer) == pytest.approx(0.1, rel=1e-5)
