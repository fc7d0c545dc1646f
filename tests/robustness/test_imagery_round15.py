"""Round 15: cloud masks, composites without a clear observation, and ASTER after 2008.

The real Wageningen Landsat 8 ESPA scene cut small in ``tmp_path`` (bands, its CFmask),
masked and composited the way users set it up: every scene clouded at a cell, a quality
layer given beside local bands without any product metadata (another product's layer,
another scene's, another extent, values that are no class or flag), and ASTER SWIR bands
acquired after the detector failed (April 2008). Each defect case failed before the round;
the controls keep reading.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from rasterio.windows import Window

from prospect.config.sources import RasterSource
from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.cloudmask import foreign_codes, foreign_name
from prospect.ingest.composite import plan_composite
from prospect.ingest.rasters import plan_raster

from .conftest import assert_clean_error
from .test_imagery_inputs import L8, WINDOW, _collection, _cut, _item, cut_scene, scene_grid

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8r15"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


def _clouded(scene: dict[str, Path], path: Path, rows: int) -> Path:
    """The real CFmask cut with its first ``rows`` rows (of 100) set to cloud (4)."""
    out = _cut(scene["dir"] / f"{L8}_cfmask.tif", path)
    with rasterio.open(out, "r+") as d:
        data = d.read(1)
        data[:rows] = 4
        d.write(data, 1)
    return out


def _stac(scene: dict[str, Path], root: Path, masks: dict[str, Path]) -> str:
    items = [_item(scene, name, props={"datetime": f"2014-0{4 + i}-19T10:30:00Z"},
                   assets={"cfmask": {"href": str(m)}})
             for i, (name, m) in enumerate(masks.items())]
    return _collection(root / "items.json", *items)


def _plan(stac: str, grid: RegionGrid, **composite: Any) -> tuple[list[Any], list[str]]:
    src = RasterSource.model_validate({
        "name": "l8", "stac": stac, "assets": {"red": "red", "nir": "nir"},
        "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
        "composite": {"method": "median", **composite}})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_composite(src, grid)
    return layers, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _mosaic(bands: dict[str, Path], grid: RegionGrid, kind: str = "cfmask",
            **extra: Any) -> list[Any]:
    src = RasterSource.model_validate({
        "name": "l8", "bands": {k: str(v) for k, v in bands.items()},
        "cloud_mask": {"kind": kind, "asset": "qa"}, **extra})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return plan_raster(src, grid)


# --- 1. a composite without a clear observation --------------------------------------------

def test_a_composite_every_scene_clouded_everywhere_is_refused(scene, grid, tmp_path):
    # before: NaN in every variable and a count of 0, exit 0 without a word
    stac = _stac(scene, tmp_path, {"spring": _clouded(scene, tmp_path / "a" / "m.tif", 100),
                                   "summer": _clouded(scene, tmp_path / "b" / "m.tif", 100)})
    with pytest.raises(DataError, match=r"no clear pixel in region .*cfmask quality layer "
                                        r"drops every pixel .*cloud.* 2 scene\(s\) used "
                                        r"\(spring, summer\)"):
        _plan(stac, grid)


def test_a_composite_clear_nowhere_by_a_drop_list_is_refused(scene, grid, tmp_path):
    stac = _stac(scene, tmp_path, {"l8": scene["cfmask"]})  # the real, mostly clear mask
    with pytest.raises(DataError, match=r"drop: fill, clear, water, cloud"):
        plan_composite(RasterSource.model_validate({
            "name": "l8", "stac": stac, "assets": {"red": "red"},
            "cloud_mask": {"kind": "cfmask", "asset": "cfmask",
                           "drop": ["fill", "clear", "water", "cloud"]},
            "composite": {"method": "median"}}), grid)


def test_a_composite_mostly_without_a_clear_observation_warns_with_the_share(scene, grid,
                                                                             tmp_path):
    stac = _stac(scene, tmp_path, {"spring": _clouded(scene, tmp_path / "a" / "m.tif", 70),
                                   "summer": _clouded(scene, tmp_path / "b" / "m.tif", 60)})
    layers, warned = _plan(stac, grid)
    assert len(warned) == 1, warned
    assert re.search(r"6[01]% of the region's cells", warned[0]), warned[0]
    assert "(spring, summer)" in warned[0] and "cfmask mask" in warned[0]
    count = np.empty(grid.shape, np.float32)  # the warning says what the count shows
    layer = next(la for la in layers if la.name == "l8_count")
    for w in grid.chunk_windows():
        count[w.rows, w.cols] = layer.compute(grid, w)
    assert (count[:60] == 0).all() and (count[60:] > 0).mean() > 0.9


def test_the_share_counts_cells_short_of_min_count(scene, grid, tmp_path):
    stac = _stac(scene, tmp_path, {"spring": _clouded(scene, tmp_path / "a" / "m.tif", 30),
                                   "summer": _clouded(scene, tmp_path / "b" / "m.tif", 0)})
    _, warned = _plan(stac, grid, min_count=2)
    assert len(warned) == 1 and re.search(r"3[01]% of the region's cells", warned[0])
    assert "the 2 clear observations min_count asks" in warned[0]


def test_min_count_above_the_scenes_is_refused(scene, grid, tmp_path):
    stac = _stac(scene, tmp_path, {"l8": scene["cfmask"]})
    with pytest.raises(DataError, match=r"min_count is 3, but only 1 item\(s\) overlap"):
        _plan(stac, grid, min_count=3)  # before: every cell NaN without a word


def test_a_real_mostly_clear_composite_plans_without_a_warning(scene, grid, tmp_path):
    layers, warned = _plan(_stac(scene, tmp_path, {"l8": scene["cfmask"]}), grid)  # control
    assert warned == [] and [la.name for la in layers] == ["red", "nir", "l8_count"]


def test_cli_an_all_clouded_composite_is_one_line_and_writes_no_cube(scene, grid, tmp_path,
                                                                     cli):
    stac = _stac(scene, tmp_path, {"l8": _clouded(scene, tmp_path / "a" / "m.tif", 100)})
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "r15", "region": {"name": "cut", "crs": "EPSG:32631", "resolution": 30,
                                  "bounds": list(grid.bounds), "chunks": [50, 50]},
        "sources": [{"kind": "raster", "name": "l8", "stac": stac,
                     "assets": {"red": "red"}, "composite": {"method": "median"},
                     "cloud_mask": {"kind": "cfmask", "asset": "cfmask"}}]}))
    result = cli("ingest", job, "-o", tmp_path / "out")
    assert_clean_error(result, 1, "no clear pixel", "cfmask", "(l8)")
    assert not (tmp_path / "out" / "cube.zarr").exists()


def test_a_masked_scene_clouded_everywhere_is_refused(scene, grid, tmp_path):
    cloud = _clouded(scene, tmp_path / f"{L8}_cfmask.tif", 100)
    with pytest.raises(DataError, match=r"no clear pixel .*mosaic variable would be all no "
                                        r"data"):
        _mosaic({"red": scene["red"], "qa": cloud}, grid)


# --- 2. a quality layer beside local bands, without product metadata ----------------------

def test_an_scl_file_given_as_cfmask_is_refused_by_its_name(scene, grid, tmp_path):
    scl = _cut(scene["dir"] / f"{L8}_cfmask.tif",
               tmp_path / "T31UFT_20140419T104021_SCL_20m.tif")
    with pytest.raises(DataError, match=r"its name shows the scene classification \(SCL\).*"
                                        r"kind 'scl' reads, not 'cfmask'"):
        _mosaic({"red": scene["red"], "qa": scl}, grid)


@pytest.mark.parametrize(("name", "needle"), [
    ("LC08_L1TP_197024_20140419_20170423_01_T1_pixel_qa.tif", "pixel_qa flags of the ESPA"),
    ("T31UFT_20140419T104021_MSK_CLDPRB_20m.tif", "probability or quality layer"),
    ("LC08_L2SP_197024_20140419_20200911_02_T1_QA_RADSAT.TIF", "probability or quality"),
], ids=["espa-c1-pixel-qa", "s2-cloud-probability", "radsat"])
def test_a_layer_no_kind_reads_is_named(name, needle):
    for kind in ("scl", "cfmask"):
        assert needle in str(foreign_name(kind, f"/d/{name}"))
    assert foreign_name("qa_pixel", f"/d/{name}") is not None
    assert foreign_name("cfmask", f"/d/{L8}_cfmask.tif") is None  # control


def test_espa_bands_masked_as_scl_are_refused(scene, grid, tmp_path):
    # CFmask read as SCL: its clear 0 is SCL's no data, its cloud 4 SCL's vegetation; a
    # layer without a nodata (and without a name that tells) was read so
    layer = _cut(scene["dir"] / f"{L8}_cfmask.tif", tmp_path / "quality.tif", nodata=None)
    with pytest.raises(DataError, match=r"pre-Collection ESPA Landsat file.*kind 'cfmask'.*"
                                        r"cloud_mask.kind is 'scl'"):
        _mosaic({"red": scene["red"], "qa": layer}, grid, kind="scl")


def test_a_mask_of_another_scene_is_refused(scene, grid, tmp_path):
    other = tmp_path / "LC81980242014116LGN00_cfmask.tif"  # path 198, a week later
    other.write_bytes(scene["cfmask"].read_bytes())
    with pytest.raises(DataError, match=r"is of LC81980242014116LGN00, but band 'red' .* is of "
                                        f"{L8}"):
        _mosaic({"red": scene["red"], "qa": other}, grid)


def test_a_mask_beside_the_band_is_refused(scene, grid, tmp_path):
    # 100 columns east of the band: every pixel read as fill and dropped, all NaN, exit 0
    east = _cut(scene["dir"] / f"{L8}_cfmask.tif", tmp_path / f"{L8}_cfmask.tif",
                window=Window(WINDOW.col_off + 100, WINDOW.row_off, 100, 100))
    with pytest.raises(DataError, match=r"covers only 0% of band 'red'"):
        _mosaic({"red": scene["red"], "qa": east}, grid)


def test_a_mask_on_a_grid_of_its_own_covering_the_band_reads(scene, grid, tmp_path):
    # control: a larger layer (another extent, the same scene) covers every band pixel
    wide = _cut(scene["dir"] / f"{L8}_cfmask.tif", tmp_path / f"{L8}_cfmask.tif",
                window=Window(WINDOW.col_off - 20, WINDOW.row_off - 20, 140, 140))
    layers = _mosaic({"red": scene["red"], "qa": wide}, grid)
    assert layers[0].refs[0].mask is not None


@pytest.mark.parametrize(("value", "needle"), [
    (322, "contradictory flags (e.g. 322"),  # ESPA Collection 1 pixel_qa clear land
    (None, "contradictory flags"),  # a reflectance band given as QA_PIXEL
], ids=["espa-pixel-qa-values", "reflectance-band"])
def test_values_that_are_no_qa_pixel_flags_are_refused(scene, grid, tmp_path, value, needle):
    qa = _cut(scene["dir"] / f"{L8}_sr_band4.tif", tmp_path / "qa.tif", dtype="uint16",
              nodata=1, **({"fill_with": value} if value is not None else {}))
    red = tmp_path / "red.tif"
    red.write_bytes(scene["red"].read_bytes())
    with pytest.raises(DataError, match=r"qa.tif: not a qa_pixel quality layer: .*"
                       + re.escape(needle)):
        _mosaic({"red": red, "qa": qa}, grid, kind="qa_pixel")


def test_real_qa_pixel_values_pass_the_flag_check():  # control: USGS's own codes
    l8 = np.array([1, 21824, 21952, 22080, 22280, 23888, 24088, 30048, 54596, 55052, 21762],
                  dtype=np.uint16)
    l7 = np.array([1, 5440, 5504, 5696, 5896, 7440, 13664], dtype=np.uint16)
    assert foreign_codes("qa_pixel", l8, 1) is None and foreign_codes("qa_pixel", l7, 1) is None


def test_a_resampled_float_mask_is_refused(scene, grid, tmp_path):
    smooth = _cut(scene["dir"] / f"{L8}_cfmask.tif", tmp_path / f"{L8}_cfmask.tif",
                  dtype="float32", nodata=255)
    with rasterio.open(smooth, "r+") as d:
        d.write(d.read(1) + np.float32(0.37), 1)  # bilinear resampling leaves fractions
    with pytest.raises(DataError, match=r"it holds fractions"):
        _mosaic({"red": scene["red"], "qa": smooth}, grid)


def test_the_real_cfmask_beside_espa_bands_without_metadata_reads(scene, grid):  # control
    layers = _mosaic({"red": scene["red"], "qa": scene["cfmask"]}, grid)
    w = next(iter(grid.chunk_windows()))
    red = layers[0].compute(grid, w)
    with rasterio.open(scene["cfmask"]) as m:
        cloud = np.isin(m.read(1)[:50, :50], [2, 3, 4, 255])
    assert np.isnan(red[cloud]).all() and np.isfinite(red[~cloud]).all()


# --- 3. ASTER SWIR after the detector failed --------------------------------------------------

GRANULE = "AST_L1T_00304182012103523_20150520000000_12345"


@pytest.mark.parametrize("source", [
    {"sensor": "aster", "scenes": [{"bands": {"B4": "/d/b4.tif"}, "date": "2012-04-18"}]},
    {"sensor": "terra-aster", "scenes": [{"bands": {"B3N": "/d/b3.tif", "SW6": "/d/b6.tif"},
                                          "date": "2008-04-01"}]},
    {"bands": {"swir1": f"/d/{GRANULE}_ImageData4.tif"}},
    {"bands": {"b": f"/d/{GRANULE}_ImageData7.tif"}},
], ids=["sensor-date", "alias-first-day", "granule-name", "granule-band-file"])
def test_aster_swir_after_april_2008_is_refused(source):
    with pytest.raises(ValueError, match=r"ASTER SWIR band\(s\) .* after ASTER's SWIR detector "
                                         r"failed"):
        RasterSource.model_validate({"name": "ast", **source})


@pytest.mark.parametrize("source", [
    {"sensor": "aster", "scenes": [{"bands": {"B4": "/d/b4.tif"}, "date": "2005-06-01"}]},
    {"sensor": "aster", "scenes": [{"bands": {"B3N": "/d/b.tif", "B13": "/d/t.tif"},
                                    "date": "2012-04-18"}]},
    {"bands": {"tir": f"/d/{GRANULE}_ImageData13.tif", "nir": f"/d/{GRANULE}_ImageData3N.tif"}},
    {"sensor": "landsat8", "bands": {"B4": "/d/LC08_B4.tif"}},
], ids=["before-2008", "vnir-tir-after", "granule-tir", "not-aster"])
def test_aster_vnir_tir_and_early_swir_load(source):  # controls
    assert RasterSource.model_validate({"name": "ast", **source}).name == "ast"


def test_cli_aster_swir_after_2008_is_a_config_error(grid, tmp_path, cli):
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "r15", "region": {"name": "cut", "crs": "EPSG:32631", "resolution": 30,
                                  "bounds": list(grid.bounds)},
        "sources": [{"kind": "raster", "name": "ast", "sensor": "aster",
                     "scenes": [{"bands": {"B5": str(tmp_path / "b5.tif")},
                                 "date": "2015-07-01"}]}]}))
    result = cli("plan", job)
    assert_clean_error(result, 2, "ASTER SWIR", "2015-07-01", "B5")


def test_an_aster_stac_item_after_2008_with_swir_assets_is_refused(scene, grid, tmp_path):
    # (B4 is red on Landsat 8 and SWIR on ASTER: the item's red asset is ASTER's B02)
    item = _item(scene, "AST_L1T_00307012015", props={"datetime": "2015-07-01T10:30:00Z",
                                                        "instruments": ["aster"],
                                                        "platform": "terra"},
                 assets={"red": {"eo:bands": [{"name": "B02", "common_name": "red"}]},
                         "nir": {"eo:bands": [{"name": "B04", "common_name": "swir16"}]}})
    stac = _collection(tmp_path / "items.json", item)
    with pytest.raises(DataError, match=r"item 'AST_L1T_00307012015': ASTER SWIR asset\(s\) "
                                        r"\['swir'\] acquired on 2015-07-01"):
        plan_composite(RasterSource.model_validate({
            "name": "ast", "stac": stac, "assets": {"red": "red", "swir": "nir"},
            "composite": {"method": "median"}}), grid)
