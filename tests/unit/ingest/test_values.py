"""Values in the cube are exact or refused: class codes, per-band nodata, product radiometry."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import rasterio
import zarr
from ingest_helpers import CRS, LEFT, TOP, assemble, ramp

from prospect.config.sources import RasterSource
from prospect.errors import DataError, InputFileError
from prospect.grid import RegionGrid
from prospect.ingest import ingest_layer
from prospect.ingest.landsat import calibration, read_mtl
from prospect.ingest.rasters import plan_raster
from prospect.io.cube import create_cube


def source(**kw):
    return RasterSource.model_validate({"kind": "raster", "name": "src", **kw})


# --- 1. class codes -----------------------------------------------------------------------

def test_codes_above_int16_are_kept_exactly_in_the_cube(grid, write_tif, tmp_path):
    codes = np.full((40, 40), 5, np.uint32)
    codes[:20, :20], codes[:20, 20:], codes[20:, :20] = 40000, 70000, 6
    codes[0, 0] = 0  # file nodata
    src = source(path=write_tif("units.tif", codes, nodata=0), values="categorical",
                 band_names=["units"])
    (layer,) = plan_raster(src, grid)
    assert layer.dtype == "int32" and layer.fill_value == -1
    assert layer.attrs()["valid_range"] == [5, 70000]
    out = assemble(layer, grid)
    expected = codes.astype(np.int32)
    expected[0, 0] = -1
    np.testing.assert_array_equal(out, expected)
    cube = tmp_path / "cube.zarr"
    create_cube(cube, grid, attrs={"synthetic": True})
    ingest_layer(cube, layer, grid)
    stored = zarr.open_array(str(cube / "units"))[:]
    assert stored.dtype == np.int32
    assert set(np.unique(stored)) == {-1, 5, 6, 40000, 70000}  # no wrap to -25536 / 4464


def test_negative_codes_get_a_fill_outside_them_and_reach_the_features(grid, write_tif,
                                                                       tmp_path):
    from prospect.features.stack import build_stack, make_spec
    from prospect.io.cube import open_cube

    codes = np.where(ramp((40, 40)) > 0.3, -5, 3).astype(np.int16)
    codes[0, 0] = 9999
    (layer,) = plan_raster(source(bands={"u": write_tif("neg.tif", codes, nodata=9999)},
                                  values="categorical"), grid)
    assert (layer.dtype, layer.fill_value) == ("int8", -128)
    expected = np.where(codes == 9999, -128, codes)
    np.testing.assert_array_equal(assemble(layer, grid), expected)
    cube = tmp_path / "cube.zarr"
    create_cube(cube, grid, attrs={"synthetic": True})
    ingest_layer(cube, layer, grid)
    ds = open_cube(cube)
    stack = build_stack(ds, make_spec(ds, variables=["u"], resolution=10.0)).values[0]
    assert np.isnan(stack[0, 0])  # the fill is missing
    np.testing.assert_array_equal(stack.ravel()[1:], codes.ravel()[1:])  # -5 is a unit


def test_float_raster_declared_categorical_is_refused_naming_the_value(grid, write_tif):
    data = np.full((40, 40), 3.0, np.float32)
    data[7, 9] = 2.5
    path = write_tif("lith.tif", data)
    with pytest.raises(DataError, match=r"lith\.tif: band 1 is declared categorical but "
                                        r"holds the non-integer value .*2\.5.*row 7, column 9"):
        plan_raster(source(bands={"lith": path}, values="categorical"), grid)
    with pytest.raises(ValueError, match="categorical source holds class codes"):
        source(bands={"lith": path}, values="categorical", scale=2.0)


# --- 2. per-band nodata -------------------------------------------------------------------

def _two_band(write_tif):
    data = np.stack([ramp((40, 40)) * 1000, ramp((40, 40)) * 500]).astype(np.float32)
    data[0, 5:9, 5:9] = -9999    # a hole in band 1 only
    data[1, 20:26, 30:35] = -9999  # another in band 2 only
    return data, write_tif("two.tif", data, nodata=-9999)


def test_each_band_keeps_its_own_nodata_holes(write_tif):
    _, path = _two_band(write_tif)
    grid = RegionGrid(crs=CRS, resolution=7.0, bounds=(LEFT + 3, TOP - 395, LEFT + 395, TOP - 3),
                      chunks=(16, 16))
    layers = {ly.name: ly for ly in plan_raster(source(path=path, band_names=["a", "b"]), grid)}
    a, b = assemble(layers["a"], grid), assemble(layers["b"], grid)
    assert np.nanmin(a) > 0 and np.nanmin(b) > 0  # -9999 never enters bilinear resampling
    assert np.isnan(a).any() and np.isnan(b).any()
    assert not (np.isnan(a) & np.isnan(b)).any()  # the holes are each band's own
    if shutil.which("gdalwarp") is None:
        pytest.skip("gdalwarp not installed")
    for i, out in ((1, a), (2, b)):
        vrt, warped = path.with_name(f"b{i}.vrt"), path.with_name(f"g{i}.tif")
        subprocess.run(["gdal_translate", "-q", "-of", "VRT", "-b", str(i), str(path), str(vrt)],
                       check=True)
        left, bottom, right, top = grid.bounds
        subprocess.run(["gdalwarp", "-q", "-r", "bilinear", "-te", str(left), str(bottom),
                        str(right), str(top), "-tr", "7", "7", "-ot", "Float32",
                        "-dstnodata", "nan", str(vrt), str(warped)], check=True)
        with rasterio.open(warped) as src:
            ref = src.read(1)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
        np.testing.assert_allclose(out, ref, rtol=1e-5)


# --- 3. product radiometry ----------------------------------------------------------------

L2SP_MTL = """GROUP = LANDSAT_METADATA_FILE
  GROUP = PRODUCT_CONTENTS
    LANDSAT_PRODUCT_ID = "LC08_L2SP_224078_20200127_20200823_02_T1"
    PROCESSING_LEVEL = "{level}"
  END_GROUP = PRODUCT_CONTENTS
  GROUP = IMAGE_ATTRIBUTES
    SPACECRAFT_ID = "LANDSAT_8"
    DATE_ACQUIRED = 2020-01-27
    SUN_ELEVATION = 30.0
  END_GROUP = IMAGE_ATTRIBUTES
  GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS
    REFLECTANCE_MULT_BAND_4 = 2.75e-05
    REFLECTANCE_ADD_BAND_4 = -0.2
    QUANTIZE_CAL_MAX_BAND_4 = 65535
    QUANTIZE_CAL_MIN_BAND_4 = 1
  END_GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS
  GROUP = LEVEL2_SURFACE_TEMPERATURE_PARAMETERS
    TEMPERATURE_MULT_BAND_ST_B10 = 0.00341802
    TEMPERATURE_ADD_BAND_ST_B10 = 149.0
    QUANTIZE_CAL_MAXIMUM_BAND_ST_B10 = 65535
    QUANTIZE_CAL_MINIMUM_BAND_ST_B10 = 1
  END_GROUP = LEVEL2_SURFACE_TEMPERATURE_PARAMETERS
  GROUP = LEVEL1_MIN_MAX_PIXEL_VALUE
    QUANTIZE_CAL_MAX_BAND_4 = 65535
    QUANTIZE_CAL_MIN_BAND_4 = 1
  END_GROUP = LEVEL1_MIN_MAX_PIXEL_VALUE
  GROUP = LEVEL1_RADIOMETRIC_RESCALING
    RADIANCE_MULT_BAND_10 = 3.342E-04
    RADIANCE_ADD_BAND_10 = 0.1
    REFLECTANCE_MULT_BAND_4 = 2.0000E-05
    REFLECTANCE_ADD_BAND_4 = -0.100000
  END_GROUP = LEVEL1_RADIOMETRIC_RESCALING
END_GROUP = LANDSAT_METADATA_FILE
END
"""
L2_ID = "LC08_L2SP_224078_20200127_20200823_02_T1"


def _l2_files(tmp_path, write_tif, level="L2SP"):
    mtl = tmp_path / f"{L2_ID}_MTL.txt"
    mtl.write_text(L2SP_MTL.format(level=level).replace(
        "L2SP_224078", f"{level}_224078") if level != "L2SP" else L2SP_MTL.format(level=level))
    dn = (ramp((40, 40)) * 20000 + 7000).astype(np.uint16)
    dn[0, :3] = 0
    dn[0, 3:5] = [65535, 1]  # the product's clipped ends (QUANTIZE_CAL_MAX/MIN)
    b4 = write_tif(f"{L2_ID}_SR_B4.TIF", dn)
    st = write_tif(f"{L2_ID}_ST_B10.TIF", (ramp((40, 40)) * 1000 + 44000).astype(np.uint16))
    return mtl, dn, b4, st


def test_level2_mtl_gives_surface_reflectance_and_temperature(grid, tmp_path, write_tif):
    mtl_path, dn, b4, st = _l2_files(tmp_path, write_tif)
    mtl = read_mtl(mtl_path)
    assert mtl.level == "L2SP" and mtl.level2
    sr = calibration(mtl, 4)
    assert (sr.scale, sr.offset, sr.quantity) == (2.75e-5, -0.2, "surface_reflectance")
    t = calibration(mtl, 10)
    assert (t.scale, t.offset, t.units) == (0.00341802, 149.0, "K")
    layers = {ly.name: ly for ly in plan_raster(
        source(sensor="landsat8", bands={"B4": b4, "B10": st}, metadata=mtl_path), grid)}
    out = assemble(layers["B4"], grid)
    expected = (dn * 2.75e-5 - 0.2).astype(np.float32)
    expected[0, :5] = np.nan  # DN 0 is the product's fill, 65535 and 1 are clipped
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    # what the Level-1 coefficients (the old behaviour) would have given
    toa = dn[dn > 0] * 2e-5 / 0.5 - 0.1 / 0.5
    assert abs(float(np.median(toa - dn[dn > 0] * 2.75e-5 + 0.2))) > 0.05
    assert layers["B10"].units == "K"
    assert 290 < float(np.nanmedian(assemble(layers["B10"], grid))) < 310


def test_config_scale_and_offset_apply_after_the_product_coefficients(grid, tmp_path,
                                                                      write_tif):
    mtl_path, _, b4, _ = _l2_files(tmp_path, write_tif)
    (layer,) = plan_raster(source(sensor="landsat8", bands={"B4": b4}, metadata=mtl_path,
                                  scale=100.0, offset=1.0, units="%"), grid)
    ref = layer.refs[0]
    assert ref.scale == pytest.approx(100 * 2.75e-5)
    assert ref.offset == pytest.approx(100 * -0.2 + 1.0)
    assert layer.units == "%"


def test_a_level1_mtl_for_a_level2_file_is_refused_naming_both(grid, tmp_path, write_tif):
    mtl_path, _, b4, _ = _l2_files(tmp_path, write_tif, level="L1TP")
    with pytest.raises(DataError, match=rf"{L2_ID}_SR_B4\.TIF: the file is {L2_ID} \(L2SP\) "
                                        r"but its metadata file .* describes "
                                        r"LC08_L1TP_224078_\S+ \(L1TP\)"):
        plan_raster(source(sensor="landsat8", bands={"B4": b4}, metadata=mtl_path), grid)


def test_another_scenes_mtl_is_refused(grid, tmp_path, write_tif):
    mtl_path, dn, _, _ = _l2_files(tmp_path, write_tif)
    other = write_tif("LC08_L2SP_224077_20200127_20200823_02_T1_SR_B4.TIF", dn)
    with pytest.raises(DataError, match=r"the file is LC08_L2SP_224077_\S+ \(L2SP\) but .*"
                                        rf"describes {L2_ID} \(L2SP\)"):
        plan_raster(source(sensor="landsat8", bands={"B4": other}, mtl=mtl_path), grid)


S2_MTD = """<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
<n1:General_Info><Product_Info>
<PRODUCT_START_TIME>2022-03-01T10:40:21.024Z</PRODUCT_START_TIME>
<PRODUCT_URI>S2A_MSIL2A_20220301T104021_N{base4}_R008_T31UFT_20220301T140000.SAFE</PRODUCT_URI>
<PROCESSING_BASELINE>{base}</PROCESSING_BASELINE>
</Product_Info>
<Product_Image_Characteristics>
<QUANTIFICATION_VALUES_LIST>
<BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
</QUANTIFICATION_VALUES_LIST>
{offsets}
<Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT>
<SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
<Special_Values><SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT>
<SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX></Special_Values>
<Spectral_Information_List>
<Spectral_Information bandId="3" physicalBand="B4"/>
<Spectral_Information bandId="8" physicalBand="B8A"/>
</Spectral_Information_List>
</Product_Image_Characteristics></n1:General_Info>
</n1:Level-2A_User_Product>
"""
OFFSETS = ('<BOA_ADD_OFFSET_VALUES_LIST><BOA_ADD_OFFSET band_id="3">-1000</BOA_ADD_OFFSET>'
           '<BOA_ADD_OFFSET band_id="8">-1000</BOA_ADD_OFFSET></BOA_ADD_OFFSET_VALUES_LIST>')


@pytest.mark.parametrize(("base", "offset"), [("04.00", -1000), ("05.09", -1000), ("03.01", 0)])
def test_sentinel2_l2a_boa_offset_from_baseline_04(grid, tmp_path, write_tif, base, offset):
    mtd = tmp_path / "MTD_MSIL2A.xml"
    mtd.write_text(S2_MTD.format(base=base, base4=base.replace(".", ""),
                                 offsets=OFFSETS if base >= "04" else ""))
    dn = (ramp((40, 40)) * 5000 + 900).astype(np.uint16)
    dn[0, :2] = [0, 65535]  # the XML's NODATA and SATURATED
    b4 = write_tif("T31UFT_20220301T104021_B04_10m.tif", dn)
    (layer,) = plan_raster(source(sensor="sentinel2", bands={"B04": b4}, metadata=mtd), grid)
    expected = (dn.astype(np.float64) + offset) / 1e4
    expected[0, :2] = np.nan
    np.testing.assert_allclose(assemble(layer, grid), expected, rtol=1e-5, atol=1e-7)
    other = write_tif("T31UGT_20220301T104021_B04_10m.tif", dn)
    with pytest.raises(DataError, match=r"the file is T31UGT_20220301T104021 but .* describes "
                                        r"T31UFT_20220301T104021 \(Level-2A, baseline"):
        plan_raster(source(sensor="sentinel2", bands={"B04": other}, metadata=mtd), grid)


def test_unknown_xml_metadata_is_refused(grid, tmp_path, write_tif):
    bad = tmp_path / "meta.xml"
    bad.write_text("<?xml version='1.0'?><something/>")
    b4 = write_tif("b4.tif", ramp((40, 40)))
    with pytest.raises(InputFileError, match=r"neither ESPA .* nor a Sentinel-2 product XML"):
        plan_raster(source(bands={"B4": b4}, metadata=bad), grid)


# --- ESPA surface reflectance: clipped and saturated DNs are no data -----------------------

L5_ID = "LT51980241990098KIS00"
ESPA_XML = """<?xml version="1.0" encoding="UTF-8"?>
<espa_metadata version="1.2" xmlns="http://espa.cr.usgs.gov/v1.2">
  <global_metadata><satellite>LANDSAT_5</satellite>
    <acquisition_date>{date}</acquisition_date></global_metadata>
  <bands>
    <band product="sr_refl" name="sr_band4" fill_value="-9999" saturate_value="20000"
          scale_factor="{scale}" add_offset="0.000000">
      <file_name>{ident}_sr_band4.tif</file_name><data_units>reflectance</data_units>
      <valid_range min="-2000" max="16000"/>
    </band>
  </bands>
</espa_metadata>
"""


def _espa(tmp_path, write_tif, *, date="1990-04-08", scale="0.000100"):
    xml = tmp_path / f"{L5_ID}.xml"
    xml.write_text(ESPA_XML.format(date=date, scale=scale, ident=L5_ID))
    dn = (ramp((40, 40)) * 8000 + 100).astype(np.int16)
    dn[0, :4] = [16000, 20000, -2000, -2500]   # clipped high, saturated, clipped low, below
    dn[1, 0] = -9999                           # the product's fill
    dn[2, 0] = 15999                           # inside the range: a measurement
    return xml, dn, write_tif(f"{L5_ID}_sr_band4.tif", dn)


def test_espa_clipped_and_saturated_dns_are_no_data_before_resampling(grid, tmp_path,
                                                                      write_tif):
    xml, dn, b4 = _espa(tmp_path, write_tif)
    (layer,) = plan_raster(source(sensor="landsat5", bands={"B4": b4}, metadata=xml), grid)
    ref = layer.refs[0]
    assert (ref.valid_range, ref.saturate, ref.nodata) == ((-2000.0, 16000.0), 20000.0, -9999.0)
    assert ref.describe()["valid_range"] == [-2000.0, 16000.0]  # part of the fingerprint
    out = assemble(layer, grid)
    expected = (dn * 1e-4).astype(np.float32)
    expected[0, :4] = np.nan
    expected[1, 0] = np.nan
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out[2, 0] == pytest.approx(1.5999)
    # off the file's pixel grid, no clipped value leaks into a neighbour through bilinear
    shifted = RegionGrid(crs=CRS, resolution=7.0, bounds=(LEFT + 3, TOP - 395, LEFT + 395,
                                                          TOP - 3), chunks=(16, 16))
    (moved,) = plan_raster(source(sensor="landsat5", bands={"B4": b4}, metadata=xml), shifted)
    near = assemble(moved, shifted)[:2, :8]  # rows that touch source rows 0-1 only
    assert np.nanmax(near) < 1.0 and np.nanmin(near) > 0  # no 1.6, 2.0, -0.2 blended in


@pytest.mark.parametrize(("kw", "what"), [({"scale": "1e-4x"}, r"band 'sr_band4' has a "
                                                               r"malformed number"),
                                          ({"date": "1990-13-45"}, r"acquisition_date "
                                                                   r"'1990-13-45' is not a date")])
def test_malformed_espa_xml_is_refused_naming_the_value(grid, tmp_path, write_tif, kw, what):
    xml, _, b4 = _espa(tmp_path, write_tif, **kw)
    with pytest.raises(InputFileError, match=what):
        plan_raster(source(sensor="landsat5", bands={"B4": b4}, metadata=xml), grid)


def test_malformed_sentinel2_xml_is_refused_naming_the_file(grid, tmp_path, write_tif):
    mtd = tmp_path / "MTD_MSIL2A.xml"
    mtd.write_text(S2_MTD.format(base="04.00", base4="0400", offsets=OFFSETS).replace(
        ">10000</BOA_QUANTIFICATION_VALUE>", ">1e4x</BOA_QUANTIFICATION_VALUE>"))
    b4 = write_tif("T31UFT_20220301T104021_B04_10m.tif", ramp((40, 40)))
    with pytest.raises(InputFileError, match=r"MTD_MSIL2A\.xml: a malformed number or date"):
        plan_raster(source(sensor="sentinel2", bands={"B04": b4}, metadata=mtd), grid)


def test_landsat_clipped_and_saturated_dns_come_from_the_mtl(tmp_path):
    mtl = tmp_path / "MTL.txt"
    mtl.write_text(L2SP_MTL.format(level="L2SP"))
    l2 = read_mtl(mtl)
    assert calibration(l2, 4).valid_range == (1.0, 65535.0)  # reflectance clipped to it
    assert calibration(l2, 10).valid_range == (1.0, 65535.0)
    assert calibration(l2, 4).saturate is None
    mtl.write_text(L2SP_MTL.format(level="L1TP"))
    l1 = read_mtl(mtl)
    assert (calibration(l1, 4).saturate, calibration(l1, 4).valid_range) == (65535.0, None)
    mtl.write_text(L2SP_MTL.format(level="L1TP").replace("2.0000E-05", "2.0000E-O5"))
    with pytest.raises(DataError, match=r"MTL\.txt: a malformed number for band 4"):
        calibration(read_mtl(mtl), 4)
    mtl.write_text(L2SP_MTL.format(level="L2SP").replace("SUN_ELEVATION = 30.0",
                                                         "SUN_ELEVATION = thirty"))
    with pytest.raises(InputFileError, match=r"MTL\.txt: a malformed number or date in the MTL"):
        read_mtl(mtl)
