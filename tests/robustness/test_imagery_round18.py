"""Imagery products: Landsat radiometric saturation (QA_RADSAT), MSS reflectance, an
item's unreachable stated CRS, and the new classes found ingesting real scenes.

Real scenes cut small in ``tmp_path`` (the Wageningen Landsat 8 scene, the real Parana
Collection 2 Level-2 MTL with a band named for it, the Para Landsat 5 MTL); QA_RADSAT
layers are written with the product's bit layout (USGS Collection 2 product guides) on the
cut band's own grid. Each defect case failed before its fix; the controls keep reading.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from prospect.config.sources import RasterSource
from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.landsat import read_mtl
from prospect.ingest.rasters import plan_raster

from .test_calibration_round15 import L2_ID, S2_MTD, _dn, _grid, _read
from .test_calibration_round15 import l2 as l2  # the fixture
from .test_imagery_inputs import _collection, cut_scene, scene_grid

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8r18"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


def _warned(fn: Any, source: dict[str, Any], grid: RegionGrid) -> tuple[list[Any], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = fn(RasterSource.model_validate(source), grid)
    return layers, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


# --- 1. QA_RADSAT: saturated pixels are no data ----------------------------------------------

def _radsat(band_file: Path, dst: Path) -> tuple[Path, np.ndarray]:
    """A QA_RADSAT layer on ``band_file``'s grid: band 4 saturated (bit 3) in rows 0-4,
    terrain occlusion (bit 11) in rows 5-6, band 1 saturated (bit 0, not band 4's) in rows
    7-9, both bits 3 and 0 in row 10. Returns the file and the codes."""
    with rasterio.open(band_file) as s:
        profile = {**s.profile, "dtype": "uint16", "nodata": None, "count": 1}
        shape = (s.height, s.width)
    codes = np.zeros(shape, np.uint16)
    codes[0:5, :] = 1 << 3
    codes[5:7, :] = 1 << 11
    codes[7:10, :] = 1 << 0
    codes[10, :] = (1 << 3) | 1
    with rasterio.open(dst, "w", **profile) as d:
        d.write(codes, 1)
    return dst, codes


def _l2_source(l2: dict[str, Path]) -> dict[str, Any]:
    return {"name": "c2", "bands": {"red": str(l2["red"])}, "metadata": str(l2["mtl"])}


def test_a_level2_scene_with_qa_radsat_warns_how_many_pixels_are_saturated(l2):
    # before: saturated pixels went in as values, without a word
    path, codes = _radsat(l2["red"], l2["red"].parent / f"{L2_ID}_QA_RADSAT.TIF")
    _, warned = _warned(plan_raster, _l2_source(l2), _grid(l2["red"]))
    width = codes.shape[1]
    n = 8 * width  # rows 0-4 and 10 (bit 3), rows 5-6 (bit 11); rows 7-9 are band 1's
    said = [w for w in warned if "QA_RADSAT" in w]
    assert len(said) == 1, warned
    assert re.search(rf"{re.escape(str(path))}: QA_RADSAT marks {n} pixel\(s\) of band 4 of "
                     rf"{L2_ID} \(L2SP\) \({n / codes.size:.2%} of the scene; band 4 "
                     r"saturation, terrain occlusion\): they are no data", said[0]), said


def test_a_level2_mtl_calibration_carries_its_scenes_saturation_bits(l2):
    path, _ = _radsat(l2["red"], l2["red"].parent / f"{L2_ID}_QA_RADSAT.TIF")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        cal = read_mtl(l2["mtl"]).calibrate("red", str(l2["red"]))
    assert cal.saturation is not None
    assert (cal.saturation.path, cal.saturation.bits) == (str(path), (1 << 3) | (1 << 11))


def test_a_level2_scene_reads_its_saturated_pixels_as_no_data(l2):
    _radsat(l2["red"], l2["red"].parent / f"{L2_ID}_QA_RADSAT.TIF")
    grid = _grid(l2["red"])
    layers, _ = _warned(plan_raster, _l2_source(l2), grid)
    got = _read(layers[0], grid)
    assert np.isnan(got[0:7]).all() and np.isnan(got[10]).all()
    dn = _dn(l2["red"])
    np.testing.assert_allclose(got[7:10], dn[7:10] * 2.75e-5 - 0.2, atol=1e-5)


def test_a_level2_mtl_whose_qa_radsat_is_absent_says_so_once(l2):
    # two bands of one scene, one warning naming the missing layer
    nir = l2["red"].parent / f"{L2_ID}_SR_B5.TIF"
    nir.write_bytes(l2["red"].read_bytes())
    source = {"name": "c2", "bands": {"red": str(l2["red"]), "nir": str(nir)},
              "metadata": str(l2["mtl"])}
    _, warned = _warned(plan_raster, source, _grid(l2["red"]))
    said = [w for w in warned if "QA_RADSAT" in w]
    assert len(said) == 1, warned
    assert re.search(rf"the QA_RADSAT layer the MTL lists \({L2_ID}_QA_RADSAT\.TIF\) is not "
                     rf"beside it or the band files, so the saturated pixels of {L2_ID} "
                     r"\(L2SP\) are not masked", said[0]), said


def test_a_band_the_mtl_says_never_saturated_needs_no_qa_radsat(l2, tmp_path):
    mtl = tmp_path / l2["mtl"].name
    mtl.write_text(l2["mtl"].read_text().replace('SATURATION_BAND_4 = "Y"',
                                                 'SATURATION_BAND_4 = "N"'))
    _, warned = _warned(plan_raster, {**_l2_source(l2), "metadata": str(mtl)},
                        _grid(l2["red"]))
    assert not [w for w in warned if "QA_RADSAT" in w], warned


def test_a_qa_radsat_that_is_not_one_band_of_flags_is_refused(l2):
    bad = l2["red"].parent / f"{L2_ID}_QA_RADSAT.TIF"
    with rasterio.open(l2["red"]) as s:
        profile = {**s.profile, "dtype": "float32", "nodata": None}
    with rasterio.open(bad, "w", **profile) as d:
        d.write(np.zeros((profile["height"], profile["width"]), np.float32), 1)
    with pytest.raises(DataError, match=r"QA_RADSAT\.TIF: not a QA_RADSAT layer \(1 band\(s\) "
                                        r"of float32"):
        _warned(plan_raster, _l2_source(l2), _grid(l2["red"]))


def _l2_item(scene: dict[str, Path], root: Path, *, radsat: bool = True,
             platform: str = "landsat-8") -> tuple[str, np.ndarray, np.ndarray]:
    """The real red band as Collection 2 Level-2 DNs in a Landsat item with a qa_radsat
    asset; the DNs and the QA_RADSAT codes."""
    with rasterio.open(scene["red"]) as s:
        dn, profile = s.read(1).astype(np.float64), s.profile
    root.mkdir(parents=True, exist_ok=True)
    path = root / "LC08_SR_B4.tif"
    c2 = np.round(np.where(dn == -9999, 0, np.clip((dn * 1e-4 + 0.2) / 2.75e-5, 1, 65000)))
    with rasterio.open(path, "w", **{**profile, "dtype": "uint16", "nodata": 0}) as d:
        d.write(c2.astype(np.uint16), 1)
    qa, codes = _radsat(path, root / "LC08_QA_RADSAT.tif")
    assets: dict[str, Any] = {
        "red": {"href": str(path), "roles": ["data"],
                "eo:bands": [{"name": "SR_B4", "common_name": "red"}],
                "raster:bands": [{"nodata": 0, "data_type": "uint16", "scale": 2.75e-5,
                                  "offset": -0.2}]}}
    if radsat:
        assets["qa_radsat"] = {"href": str(qa), "roles": ["saturation"]}
    item = {"type": "Feature", "stac_version": "1.0.0", "id": "l2", "geometry": None,
            "properties": {"datetime": "2020-05-18T13:30:00Z", "proj:epsg": 32631,
                           "platform": platform, "landsat:correction": "L2SP"},
            "assets": assets, "links": []}
    return _collection(root / "items.json", item), c2, codes


def test_a_composite_of_landsat_items_drops_what_qa_radsat_marks(scene, grid, tmp_path):
    # before: the qa_radsat asset was ignored: saturated DNs went into the median
    stac, dn, _ = _l2_item(scene, tmp_path / "a")
    layers, _ = _warned(plan_composite, {"name": "l2", "stac": stac, "assets": {"red": "red"},
                                         "composite": {"method": "median"}}, grid)
    got = _read(layers[0], grid)
    assert np.isnan(got[0:7]).all() and np.isnan(got[10]).all()
    good = dn[7:10] > 0
    np.testing.assert_allclose(got[7:10][good], dn[7:10][good] * 2.75e-5 - 0.2, atol=1e-5)
    said = layers[0].settings["scenes"][0]["saturation"]  # the provenance names the layer
    assert said["bits"] == [3, 11] and said["file"].endswith("LC08_QA_RADSAT.tif")


def test_a_composite_item_without_qa_radsat_reads_as_before_and_says_so(scene, grid,
                                                                        tmp_path):
    stac, dn, _ = _l2_item(scene, tmp_path / "b", radsat=False)
    layers, warned = _warned(plan_composite, {"name": "l2", "stac": stac,
                                              "assets": {"red": "red"},
                                              "composite": {"method": "median"}}, grid)
    got = _read(layers[0], grid)
    good = dn > 0
    np.testing.assert_allclose(got[good], dn[good] * 2.75e-5 - 0.2, atol=1e-5)
    said = [w for w in warned if "qa_radsat" in w]
    assert len(said) == 1 and re.search(r"1 Landsat Collection 2 Level-2 item\(s\) \('l2'\) "
                                        r"have no qa_radsat asset, so their saturated "
                                        r"pixels are not masked", said[0]), warned
    stac, _, _ = _l2_item(scene, tmp_path / "c")  # with the asset: not a word
    _, warned = _warned(plan_composite, {"name": "l2", "stac": stac, "assets": {"red": "red"},
                                         "composite": {"method": "median"}}, grid)
    assert not [w for w in warned if "qa_radsat" in w], warned


@pytest.mark.parametrize(("satellite", "band", "sensor", "high", "bits"), [
    (8, 4, "C", False, [3, 11]), (9, 9, "C", False, [8, 11]), (8, 10, "C", False, [11]),
    (5, 7, "T", False, [6, 9]), (7, 6, "E", True, [8, 9]), (7, 6, "E", False, [5, 9]),
    (2, 4, "M", False, [0, 9]), (5, 4, "M", False, [3, 9])])
def test_the_qa_radsat_bits_follow_the_product_guides(satellite, band, sensor, high, bits):
    from prospect.ingest.landsat import radsat_bits

    got = radsat_bits(satellite, band, sensor=sensor, high_gain=high)
    assert got is not None
    assert [b for b in range(16) if got[0] >> b & 1] == bits


# --- 2. MSS: no solar irradiance table, said, not guessed -------------------------------------

TM = "LT52240631988227CUB02"


@pytest.mark.parametrize(("spacecraft", "sensor", "match"), [
    ("LANDSAT_2", None, r"an MSS scene without REFLECTANCE_MULT/ADD for band 1: .*no MSS "
                        r"solar irradiance table"),
    ("LANDSAT_5", None, None),  # taken as TM, said
    ("LANDSAT_5", "TM", None),  # control: TM, Chander et al.'s TM ESUN, as before
])
def test_radiance_of_a_scene_that_may_be_mss_is_not_made_reflectance(shared_data, tmp_path,
                                                                     spacecraft, sensor,
                                                                     match):
    # before: a Landsat 1-3 MTL was "no reflectance or radiance coefficients" (not why);
    # a Landsat 5 MTL that names no sensor (nor scene id) took TM's ESUN: if MSS, 7-20 % off
    src = shared_data / "landsat5_tm_para_rstoolbox"
    text = (src / f"{TM}_MTL.txt").read_bytes().decode("latin-1")
    text = text.replace('SPACECRAFT_ID = "LANDSAT_5"', f'SPACECRAFT_ID = "{spacecraft}"')
    text = text.replace('    SENSOR_ID = "TM"\n', "" if sensor is None else
                        f'    SENSOR_ID = "{sensor}"\n')
    text = text.replace(f'LANDSAT_SCENE_ID = "{TM}"', 'LANDSAT_SCENE_ID = ""')
    text = text.replace(f"{TM}_B1.TIF", "b1.tif")
    mtl = tmp_path / "scene_MTL.txt"
    mtl.write_text(text, encoding="latin-1")
    band = tmp_path / "b1.tif"
    band.write_bytes((src / f"{TM}_B1.TIF").read_bytes())
    meta = read_mtl(mtl)
    if match is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cal = meta.calibrate("b1", str(band))
            meta.calibrate("b1", str(band))  # said once per scene
        assert cal.quantity == "toa_reflectance"
        said = [str(w.message) for w in caught if "SENSOR_ID" in str(w.message)]
        assert len(said) == (1 if sensor is None else 0), said
        assert not said or re.search(r"a LANDSAT_5 scene whose MTL states neither SENSOR_ID "
                                     r"nor a scene or product id: taken as TM.*if it is MSS",
                                     said[0]), said
        return
    with pytest.raises(DataError, match=match):
        meta.calibrate("b1", str(band))


# --- 3. an item's stated CRS that PROJ knows but cannot reach ----------------------------------

def test_an_item_stating_a_crs_off_the_earth_is_placed_by_its_file(scene, grid, tmp_path):
    # before: the stated grid was taken, and the composite refused it as "its CRS 'Moon
    # (2015) - Sphere / Ocentric'" of the file, whose header says EPSG:32631
    from .test_imagery_inputs import _item

    with rasterio.open(scene["red"]) as d:
        transform = list(d.transform)[:6]
    item = _item(scene, "moon", assets={"red": {"proj:shape": [100, 100],
                                                "proj:transform": transform}})
    item["properties"].pop("proj:epsg")
    item["properties"]["proj:code"] = "IAU_2015:30100"
    stac = _collection(tmp_path / "items.json", item)
    layers, warned = _warned(plan_composite, {"name": "l8", "stac": stac,
                                              "assets": {"red": "red"},
                                              "composite": {"method": "median"}}, grid)
    assert any(re.search(r"item 'moon' states IAU_2015:30100 .* is in EPSG:32631; the "
                         r"file's CRS is used", w) for w in warned), warned
    assert np.nanmedian(_read(layers[0], grid)) == pytest.approx(0.0348, abs=0.002)


# --- 4. coefficients that give no physical quantity -------------------------------------------

@pytest.mark.parametrize(("old", "new", "match"), [
    ("REFLECTANCE_MULT_BAND_4 = 2.75e-05", "REFLECTANCE_MULT_BAND_4 = 2.75e-03",
     r"REFLECTANCE_MULT 0\.00275 and REFLECTANCE_ADD -0\.2 of band 4 make its DNs "
     r"1\.\.65535 into -0\.19725\.\.180\.021, which no reflectance is"),
    ("REFLECTANCE_ADD_BAND_4 = -0.2", "REFLECTANCE_ADD_BAND_4 = -2.0",
     r"REFLECTANCE_ADD -2 of band 4 .*which no reflectance is"),
    ("REFLECTANCE_MULT_BAND_4 = 2.75e-05", "REFLECTANCE_MULT_BAND_4 = -2.75e-05",
     r"REFLECTANCE_MULT -2\.75e-05 .* which no reflectance is"),
    ("TEMPERATURE_ADD_BAND_ST_B10 = 149.0", "TEMPERATURE_ADD_BAND_ST_B10 = 0.0",
     r"TEMPERATURE_MULT 0\.00341802 and TEMPERATURE_ADD 0 of band 10 make its DNs 1\.\.65535 "
     r"into 0\.00341802\.\.224 K, which no surface temperature is"),
    ("TEMPERATURE_ADD_BAND_ST_B10 = 149.0", "TEMPERATURE_ADD_BAND_ST_B10 = -124.15",
     r"TEMPERATURE_ADD -124\.15 of band 10 .* K, which no surface temperature is"),
])
def test_a_level2_mtl_whose_rescaling_gives_no_physical_value_is_refused(l2, tmp_path, old,
                                                                         new, match):
    # before: reflectance up to 180 (a digit lost), or temperature from 0 K (an offset
    # of 0, or one in degrees Celsius), went in without a word
    text = l2["mtl"].read_text()
    assert old in text
    mtl = tmp_path / l2["mtl"].name
    mtl.write_text(text.replace(old, new))
    band = "red" if "BAND_4" in old else "st"
    file = l2["red"] if band == "red" else l2["red"].with_name(f"{L2_ID}_ST_B10.TIF")
    if band == "st":
        file.write_bytes(l2["red"].read_bytes())
    with pytest.raises(DataError, match=match):
        read_mtl(mtl).calibrate(band, str(file))


def test_a_level2_mtl_as_delivered_gives_reflectance_and_kelvin(l2):  # control
    meta = read_mtl(l2["mtl"])
    st = l2["red"].with_name(f"{L2_ID}_ST_B10.TIF")
    st.write_bytes(l2["red"].read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        red, temp = meta.calibrate("red", str(l2["red"])), meta.calibrate("st", str(st))
    assert (red.scale, red.offset, red.quantity) == (2.75e-5, -0.2, "surface_reflectance")
    assert (temp.scale, temp.offset, temp.units) == (0.00341802, 149.0, "K")


L1_ID = "LC08_L1TP_224078_20200518_20200518_01_RT"


def test_a_level1_mtl_whose_reflectance_rescaling_is_off_by_100_is_refused(l2, tmp_path):
    # before: REFLECTANCE_MULT 2e-3 (for 2e-5) made TOA reflectance up to 155, exit 0
    from .test_imagery_round16 import L1_MTL

    mtl = tmp_path / f"{L1_ID}_MTL.txt"
    mtl.write_text(L1_MTL.format(sun=41.27393).replace("2.0000E-05", "2.0000E-03"))
    band = tmp_path / f"{L1_ID}_B4.TIF"
    band.write_bytes(l2["red"].read_bytes())
    with pytest.raises(DataError, match=r"REFLECTANCE_MULT 0\.002 and REFLECTANCE_ADD -0\.1 "
                                        r"of band 4 make its DNs 1\.\.65535 into .*, which "
                                        r"no reflectance is"):
        read_mtl(mtl).calibrate("red", str(band))


@pytest.mark.parametrize(("value", "ok"), [("1000", False), ("100", False), ("10000", True)])
def test_a_sentinel2_xml_quantifying_otherwise_than_esa_is_refused(tmp_path, value, ok):
    # before: BOA_QUANTIFICATION_VALUE 1000 (the AOT layer's) made every reflectance 10 x
    from prospect.ingest.sentinel2 import read_sentinel2

    mtd = tmp_path / "MTD_MSIL2A.xml"
    mtd.write_text(S2_MTD.replace('"none">10000<', f'"none">{value}<'))
    if ok:
        assert read_sentinel2(mtd).quantification == 10000.0
        return
    with pytest.raises(DataError, match=rf"BOA_QUANTIFICATION_VALUE {value}, but ESA "
                                        r"quantifies Sentinel-2 reflectance by 10000"):
        read_sentinel2(mtd)


# --- 5. scene dates and time zones; odd MTL values --------------------------------------------

def _dated(scene: dict[str, Path], item_id: str, when: str) -> dict[str, Any]:
    from .test_imagery_inputs import _item

    return _item(scene, item_id, props={"datetime": when, "platform": "landsat-8",
                                        "landsat:wrs_path": 197, "landsat:wrs_row": 24})


def test_an_item_time_with_a_zone_offset_is_dated_in_utc(scene, tmp_path):
    # before: 23:30 at -05:00 (04:30 UTC the next day) was dated the day before
    from prospect.ingest.stac import read_stac_scenes

    stac = _collection(tmp_path / "items.json",
                       _dated(scene, "local", "2014-04-19T23:30:00-05:00"))
    (got,) = read_stac_scenes(stac, {"red": "red"})
    assert str(got.date) == "2014-04-20"
    assert got.overpass is not None and got.overpass[1] == "2014-04-20"


def test_one_acquisition_written_in_two_time_zones_is_read_once(scene, tmp_path):
    # before: 10:30Z and 12:30+02:00 (the same instant) were two acquisitions: the
    # composite counted the scene twice
    from prospect.ingest.stac import read_stac_scenes

    stac = _collection(tmp_path / "items.json",
                       _dated(scene, "utc", "2014-04-19T10:30:00Z"),
                       _dated(scene, "cest", "2014-04-19T12:30:00+02:00"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = read_stac_scenes(stac, {"red": "red"})
    assert [s.item_id for s in got] == ["utc"]
    assert any("'cest' (as 'utc')" in str(w.message) for w in caught)


@pytest.mark.parametrize(("value", "expected"), [("-1", None), ("7.24", 7.24),
                                                 ("150", "not a percentage")])
def test_an_mtl_cloud_cover_of_minus_one_is_unknown_not_clearest(l2, tmp_path, value,
                                                                  expected):
    # before: USGS's -1 ("not computed") was a cloud cover, the lowest of all: least_cloudy
    # put that scene first
    from prospect.errors import InputFileError

    mtl = tmp_path / l2["mtl"].name
    mtl.write_text(l2["mtl"].read_text().replace("    CLOUD_COVER = 7.24",
                                                 f"    CLOUD_COVER = {value}"))
    if isinstance(expected, str):
        with pytest.raises(InputFileError, match=rf"CLOUD_COVER {value} is {expected}"):
            read_mtl(mtl)
        return
    assert read_mtl(mtl).cloud_cover == expected


# --- 6. Landsat 7's two thermal gains ----------------------------------------------------------

L7_ID = "LE07_L1TP_197024_20020419_20200916_02_T1"
L7_MTL = f"""GROUP = LANDSAT_METADATA_FILE
  GROUP = PRODUCT_CONTENTS
    LANDSAT_PRODUCT_ID = "{L7_ID}"
    PROCESSING_LEVEL = "L1TP"
    FILE_NAME_BAND_4 = "{L7_ID}_B4.TIF"
    FILE_NAME_BAND_6_VCID_1 = "{L7_ID}_B6_VCID_1.TIF"
    FILE_NAME_BAND_6_VCID_2 = "{L7_ID}_B6_VCID_2.TIF"
  END_GROUP = PRODUCT_CONTENTS
  GROUP = IMAGE_ATTRIBUTES
    SPACECRAFT_ID = "LANDSAT_7"
    SENSOR_ID = "ETM"
    DATE_ACQUIRED = 2002-04-19
    SUN_ELEVATION = 45.1
    EARTH_SUN_DISTANCE = 1.0045
  END_GROUP = IMAGE_ATTRIBUTES
  GROUP = LEVEL1_MIN_MAX_PIXEL_VALUE
    QUANTIZE_CAL_MAX_BAND_6_VCID_1 = 255
    QUANTIZE_CAL_MAX_BAND_6_VCID_2 = 255
  END_GROUP = LEVEL1_MIN_MAX_PIXEL_VALUE
  GROUP = LEVEL1_RADIOMETRIC_RESCALING
    RADIANCE_MULT_BAND_6_VCID_1 = 6.7087E-02
    RADIANCE_MULT_BAND_6_VCID_2 = 3.7205E-02
    RADIANCE_ADD_BAND_6_VCID_1 = -0.06709
    RADIANCE_ADD_BAND_6_VCID_2 = 3.16280
  END_GROUP = LEVEL1_RADIOMETRIC_RESCALING
END_GROUP = LANDSAT_METADATA_FILE
END
"""


@pytest.mark.parametrize(("key", "gain", "expected"), [
    ("B6_VCID_1", 1, (6.7087e-2, -0.06709)), ("B6_VCID_2", 2, (3.7205e-2, 3.16280)),
    ("B6", 2, (3.7205e-2, 3.16280)),  # the file tells its gain
    ("B6_VCID_2", 1, "the config names it 'B6_VCID_2', but it is band 6 VCID_1 \\(low gain\\)"),
    ("B6", None, "band 6 of .* is two bands, low gain \\(VCID_1\\) and high gain"),
])
def test_landsat7_thermal_gains_take_each_their_own_coefficients(shared_data, tmp_path, key,
                                                                 gain, expected):
    # before: 'B6_VCID_1' (a band name the config allows) was "cannot tell the Landsat band
    # number", and the MTL's _VCID_ coefficients were never found
    mtl = tmp_path / f"{L7_ID}_MTL.txt"
    mtl.write_text(L7_MTL)
    name = f"{L7_ID}_B6_VCID_{gain}.TIF" if gain else "thermal.tif"
    band = tmp_path / name
    band.write_bytes((shared_data / "landsat5_tm_para_rstoolbox" / f"{TM}_B6.TIF")
                     .read_bytes())
    meta = read_mtl(mtl)
    if isinstance(expected, str):
        with pytest.raises(DataError, match=expected):
            meta.calibrate(key, str(band))
        return
    cal = meta.calibrate(key, str(band))
    assert (cal.scale, cal.offset, cal.quantity) == (*expected, "toa_radiance")
    assert cal.saturate == 255.0


# --- 7. Sentinel-2 BOA_ADD_OFFSET per band: ESA's, and only from baseline 04.00 ------------------

@pytest.mark.parametrize(("old", "new", "match"), [
    ('band_id="3">-1000<', 'band_id="3">1000<',
     r"BOA_ADD_OFFSET 1000 for B04, but ESA shifts DNs by -1000 .*\(reflectance would be "
     r"\+0\.2 off\)"),
    ("<PROCESSING_BASELINE>04.00<", "<PROCESSING_BASELINE>02.14<",
     r"BOA_ADD_OFFSET -1000 for B04, but the processing baseline 02\.14 is older than "
     r"04\.00, whose DNs carry no offset"),
    ("", "", None),  # control: ESA's XML as delivered
])
def test_a_sentinel2_offset_esa_never_writes_is_refused(tmp_path, old, new, match):
    # before: +1000 read every reflectance 0.2 high; a baseline 02.14 XML listing offsets
    # was read without them, whichever was wrong
    from prospect.ingest.sentinel2 import read_sentinel2

    mtd = tmp_path / "MTD_MSIL2A.xml"
    mtd.write_text(S2_MTD.replace(old, new) if old else S2_MTD)
    meta = read_sentinel2(mtd)
    file = str(tmp_path / "T31UFT_20220301T104021_B04_10m.tif")
    if match is None:
        cal = meta.calibrate("B04", file)
        assert (cal.scale, cal.offset) == (1e-4, -0.1)
        return
    with pytest.raises(DataError, match=match):
        meta.calibrate("B04", file)


@pytest.mark.parametrize(("value", "ok"), [("147098074", False), ("1.5", False),
                                           ("0.9846597", True)])
def test_an_earth_sun_distance_in_other_units_is_refused(l2, tmp_path, value, ok):
    # before: a distance in km (or another key's value) scaled every reflectance made from
    # radiance by its square, without a word
    from prospect.errors import InputFileError

    mtl = tmp_path / l2["mtl"].name
    mtl.write_text(l2["mtl"].read_text().replace("EARTH_SUN_DISTANCE = 0.9846597",
                                                 f"EARTH_SUN_DISTANCE = {value}"))
    if ok:
        assert read_mtl(mtl).earth_sun_distance == pytest.approx(0.9846597)
        return
    with pytest.raises(InputFileError, match=rf"EARTH_SUN_DISTANCE {value} is no Earth-Sun "
                                             r"distance in astronomical units"):
        read_mtl(mtl)


def test_an_angle_coefficient_file_given_as_the_mtl_is_named(l2, tmp_path):
    # before: "the MTL has no SUN_ELEVATION; cannot compute reflectance", as if an MTL
    from prospect.errors import InputFileError

    ang = tmp_path / f"{L2_ID}_ANG.txt"
    ang.write_text(f'GROUP = FILE_HEADER\n  LANDSAT_SCENE_ID = "{L2_ID}"\n'
                   '  SPACECRAFT_ID = "LANDSAT_8"\n  BAND_LIST = (1, 2, 3, 4)\n'
                   "END_GROUP = FILE_HEADER\nGROUP = PROJECTION\n  ELLIPSOID_AXES = "
                   "(6378137.0, 6356752.3142)\nEND_GROUP = PROJECTION\nEND\n")
    with pytest.raises(InputFileError, match=r"_ANG\.txt: an ODL file whose groups "
                                             r"\(FILE_HEADER, PROJECTION\) are not a Landsat "
                                             r"MTL's"):
        _warned(plan_raster, {**_l2_source(l2), "metadata": str(ang)}, _grid(l2["red"]))


# --- 8. a Level-2 item stating the other quantity's pair -------------------------------------

@pytest.mark.parametrize(("name", "common", "pair", "match"), [
    ("SR_B4", "red", (0.00341802, 149.0),
     r"are Landsat Collection 2 Level-2's surface temperature \(K\) pair, but the asset "
     r"holds surface reflectance .* whose pair is 2\.75e-05 and -0\.2"),
    ("ST_B10", "lwir11", (2.75e-5, -0.2),
     r"are Landsat Collection 2 Level-2's surface reflectance pair, but the asset holds "
     r"surface temperature \(K\) .* whose pair is 0\.00341802 and 149"),
    ("ST_B10", "lwir11", (0.00341802, 149.0), None),  # control: the band's own pair
])
def test_a_level2_item_stating_the_other_quantitys_pair_is_refused(scene, grid, tmp_path,
                                                                   name, common, pair,
                                                                   match):
    # before: either of the product's two pairs passed on any band: a red band read
    # 149-373 "reflectance", a temperature band -0.2-1.6 "K"
    import json

    stac, _, _ = _l2_item(scene, tmp_path / "p")
    doc = json.loads(Path(stac).read_text())
    asset = doc["features"][0]["assets"]["red"]
    asset["eo:bands"] = [{"name": name, "common_name": common}]
    asset["raster:bands"][0].update(scale=pair[0], offset=pair[1])
    Path(stac).write_text(json.dumps(doc))
    source = {"name": "l2", "stac": stac, "assets": {"v": "red"},
              "composite": {"method": "median"}}
    if match is None:
        layers, _ = _warned(plan_composite, source, grid)
        assert layers[0].units == "K"
        return
    with pytest.raises(DataError, match=match):
        _warned(plan_composite, source, grid)


@pytest.mark.parametrize(("mtl_of", "old", "new", "match"), [
    ("l2", "REFLECTANCE_MULT_BAND_4 = 2.75e-05", "REFLECTANCE_MULT_BAND_4 = 2.57e-05",
     r"REFLECTANCE_MULT_BAND_4 2\.57e-05 and REFLECTANCE_ADD_BAND_4 -0\.2 make its DNs "
     r"1\.\.65535 into .*, but the MTL states REFLECTANCE_MINIMUM/MAXIMUM_BAND_4 "
     r"-0\.199972\.\.1\.60221"),
    ("l2", "TEMPERATURE_MULT_BAND_ST_B10 = 0.00341802", "TEMPERATURE_MULT_BAND_ST_B10 = "
     "0.00314802", r"TEMPERATURE_MULT_BAND_ST_B10 0\.00314802 .* but the MTL states "
     r"TEMPERATURE_MINIMUM/MAXIMUM_BAND_ST_B10 149\.003\.\.373"),
    ("tm", "RADIANCE_MULT_BAND_1 = 0.671", "RADIANCE_MULT_BAND_1 = 0.617",
     r"RADIANCE_MULT_BAND_1 0\.617 and RADIANCE_ADD_BAND_1 -2\.19134 make its DNs 1\.\.255 "
     r"into .*, but the MTL states RADIANCE_MINIMUM/MAXIMUM_BAND_1"),
    ("tm", "", "", None),  # control: the real MTL, rounded as USGS rounds it
])
def test_a_coefficient_contradicting_the_mtls_own_extremes_is_refused(l2, shared_data,
                                                                      tmp_path, mtl_of, old,
                                                                      new, match):
    # before: a digit changed (2.57e-5 for 2.75e-5: reflectance 7 % low, still in range)
    # went in; the MTL states the values its DN range makes, which tell
    if mtl_of == "l2":
        text, src = l2["mtl"].read_text(), l2["mtl"]
        band = l2["red"] if "BAND_4" in old else l2["red"].with_name(f"{L2_ID}_ST_B10.TIF")
        band.write_bytes(l2["red"].read_bytes())
    else:
        src = shared_data / "landsat5_tm_para_rstoolbox" / f"{TM}_MTL.txt"
        text = src.read_bytes().decode("latin-1")
        band = tmp_path / f"{TM}_B1.TIF"
        band.write_bytes((src.parent / f"{TM}_B1.TIF").read_bytes())
    assert old in text
    mtl = tmp_path / src.name
    mtl.write_text(text.replace(old, new) if old else text, encoding="latin-1")
    meta = read_mtl(mtl)
    key = "B1" if mtl_of == "tm" else "red" if "BAND_4" in old else "st"
    if match is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            assert meta.calibrate(key, str(band)).quantity == "toa_reflectance"
        return
    with pytest.raises(DataError, match=match):
        meta.calibrate(key, str(band))
