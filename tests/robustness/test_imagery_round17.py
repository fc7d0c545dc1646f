"""Imagery products: composites of scenes that are fill over the region (remote items
too), and the new classes found by fuzzing real scenes as survey scientists ingest them.

Real scenes cut small in ``tmp_path`` (the Wageningen Landsat 8 ESPA scene and its CFmask),
served over a real HTTP server on loopback (range requests, as a catalogue's COGs) where
the case is a remote item. Each defect case failed before its fix; the controls keep
reading.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from prospect.config.sources import RasterSource
from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.composite import plan_composite

from .test_calibration_round15 import _read
from .test_imagery_inputs import L8, _collection, _cut, _item, cut_scene, scene_grid

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8r17"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A folder and the URL a real HTTP server (range requests) serves it under."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.staticfiles import StaticFiles

    from prospect.testing.servers import bound_socket, serving

    root = tmp_path_factory.mktemp("served")
    app = Starlette()
    app.mount("/data", StaticFiles(directory=root), name="data")
    sock = bound_socket()
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    with serving(server, name="the round-17 file server", sock=sock):
        yield root, f"http://127.0.0.1:{port}/data"


def _plan(source: dict[str, Any], grid: RegionGrid) -> tuple[list[Any], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_composite(RasterSource.model_validate(source), grid)
    return layers, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _source(stac: str, **extra: Any) -> dict[str, Any]:
    return {"name": "l8", "stac": stac, "assets": {"red": "red"},
            "composite": {"method": "median"}, **extra}


def _remote(scene: dict[str, Path], served: tuple[Path, str], name: str, *,
            fill_rows: int = 0, fill: int = -9999, **changes: Any) -> str:
    """The real red band cut small, its first ``fill_rows`` rows set to ``fill``, served
    over HTTP: the asset href of a remote item."""
    root, url = served
    path = _cut(scene["dir"] / f"{L8}_sr_band4.tif", root / name / f"{L8}_sr_band4.tif",
                **changes)
    if fill_rows:
        with rasterio.open(path, "r+") as d:
            data = d.read(1)
            data[:fill_rows] = fill
            d.write(data, 1)
    return f"{url}/{name}/{path.name}"


# --- 1. composite items that are fill over the region (remote ones too) ---------------------

def test_remote_items_all_fill_over_the_region_are_refused_at_planning(scene, grid, tmp_path,
                                                                       served):
    # before: planned (the items' bounding boxes cover the region), every variable then
    # written all NaN with count 0, exit 0, without a word
    hrefs = [_remote(scene, served, f"fill{k}", fill_with=-9999) for k in range(2)]
    stac = _collection(tmp_path / "items.json",
                       *[_item(scene, f"empty{k}", assets={"red": {"href": h}})
                         for k, h in enumerate(hrefs)])
    with pytest.raises(DataError) as err:
        _plan(_source(stac), grid)
    text = str(err.value)
    assert re.search(r"source 'l8': no value in region 'wageningen-cut': the band of every "
                     r"one of the 2 scene\(s\) used \(empty0, empty1\) is no data there",
                     text), text
    assert "\n" not in text


def test_local_items_all_fill_over_the_region_are_refused_at_planning(scene, grid, tmp_path):
    empty = _cut(scene["dir"] / f"{L8}_sr_band4.tif", tmp_path / "e" / f"{L8}_sr_band4.tif",
                 fill_with=-9999)
    stac = _collection(tmp_path / "items.json",
                       _item(scene, "empty", assets={"red": {"href": str(empty)}}))
    with pytest.raises(DataError, match=r"no value in region .* \(empty\) is no data there"):
        _plan(_source(stac), grid)


def test_a_masked_composite_whose_bands_are_fill_is_refused_too(scene, grid, tmp_path):
    # a clear CFmask does not make a band of fill hold values
    empty = _cut(scene["dir"] / f"{L8}_sr_band4.tif", tmp_path / "e" / f"{L8}_sr_band4.tif",
                 fill_with=-9999)
    stac = _collection(tmp_path / "items.json",
                       _item(scene, "empty", assets={"red": {"href": str(empty)}}))
    with pytest.raises(DataError, match=r"no value in region"):
        _plan(_source(stac, cloud_mask={"kind": "cfmask", "asset": "cfmask"}), grid)


def test_remote_items_mostly_fill_warn_with_the_share(scene, grid, tmp_path, served):
    # before: the share counted the bounding box only: 0 %, no warning, 60 % of the cube
    # no data
    hrefs = [_remote(scene, served, f"collar{k}", fill_rows=60) for k in range(2)]
    stac = _collection(tmp_path / "items.json",
                       *[_item(scene, f"edge{k}", assets={"red": {"href": h}})
                         for k, h in enumerate(hrefs)])
    layers, warned = _plan(_source(stac), grid)
    assert len(warned) == 1, warned
    assert re.search(r"source 'l8': [56]\d% of the region's cells .* lack an observation: they "
                     r"lie outside the extent of, or are no data \(fill\) in, the 2 scene",
                     warned[0]), warned
    assert layers[0].settings["no_observation_share"] == pytest.approx(0.6, abs=0.03)
    assert [la.name for la in layers] == ["red", "l8_count"]
    count = _read(layers[1], grid)  # the share the plan says is the cube's
    assert (count == 0).mean() == pytest.approx(0.6, abs=0.03)


def test_masked_items_mostly_fill_warn_naming_the_fill(scene, grid, tmp_path):
    collar = _cut(scene["dir"] / f"{L8}_sr_band4.tif", tmp_path / "c" / f"{L8}_sr_band4.tif")
    with rasterio.open(collar, "r+") as d:
        data = d.read(1)
        data[:, :50] = -9999
        d.write(data, 1)
    stac = _collection(tmp_path / "items.json",
                       _item(scene, "half", assets={"red": {"href": str(collar)}}))
    layers, warned = _plan(_source(stac, cloud_mask={"kind": "cfmask", "asset": "cfmask"}),
                           grid)
    assert len(warned) == 1 and "or no data (fill) in their bands" in warned[0], warned
    assert layers[0].settings["no_observation_share"] >= 0.5


@pytest.mark.parametrize(("rows", "needle"), [
    (100, r"declares no nodata in the region while 0 fills 100% .* set 'nodata: 0' in the "
          r"source \(every sampled cell holds it: an empty or failed scene\?\)"),
    (40, r"declares no nodata in the region while 0 fills 40% .* set 'nodata: 0'"),
])
def test_a_remote_item_with_an_undeclared_fill_is_warned_of_at_planning(scene, grid, tmp_path,
                                                                        served, rows, needle):
    # before: warn_fills samples local scenes only: the remote item's 0s went into the
    # median as reflectance 0 without a word
    good = _remote(scene, served, f"good{rows}")
    zero = _remote(scene, served, f"zero{rows}", fill_rows=rows, fill=0, nodata=None)
    stac = _collection(tmp_path / "items.json",
                       _item(scene, "good", assets={"red": {"href": good}}),
                       _item(scene, "zeros", assets={"red": {
                           "href": zero, "raster:bands": [{"scale": 0.0001,
                                                           "data_type": "int16"}]}}))
    _, warned = _plan(_source(stac), grid)
    said = [w for w in warned if "item 'zeros'" in w]
    assert len(said) == 1 and re.search(needle, said[0]), warned
    assert not any("item 'good'" in w for w in warned)


def test_a_clean_remote_composite_plans_without_a_word(scene, grid, tmp_path, served):
    hrefs = [_remote(scene, served, f"clean{k}") for k in range(2)]  # control
    stac = _collection(tmp_path / "items.json",
                       *[_item(scene, f"clean{k}", assets={"red": {"href": h}})
                         for k, h in enumerate(hrefs)])
    layers, warned = _plan(_source(stac), grid)
    assert warned == [] and layers[0].settings["no_observation_share"] < 0.05
    got = _read(layers[0], grid)
    with rasterio.open(scene["red"]) as d:
        dn = d.read(1).astype(np.float64)
    ok = dn != -9999
    assert np.allclose(got[ok], dn[ok] * 1e-4, rtol=1e-5)


def test_an_unreadable_remote_item_is_not_taken_for_fill(scene, grid, tmp_path, served):
    # control: a band that cannot be read now is unknown, not "no value": the chunks name it
    _, url = served
    stac = _collection(tmp_path / "items.json", _item(scene, "gone", assets={"red": {
        "href": f"{url}/missing/{L8}_sr_band4.tif", "proj:shape": [100, 100],
        "proj:transform": list(rasterio.open(scene["red"]).transform)[:6]}}))
    layers, warned = _plan(_source(stac, remote={"retries": 0}), grid)
    assert warned == [] and layers[0].settings["items"] == ["gone"]


# --- 2. STAC 1.1 items: raster:scale, raster:offset and nodata on the asset or its bands -----

def _v11(scene: dict[str, Path], item_id: str, **asset: Any) -> dict[str, Any]:
    """The real scene's item in STAC 1.1 form: ``bands`` instead of eo:/raster:bands."""
    item = _item(scene, item_id, assets={"red": {"bands": [{"name": "B4",
                                                            "eo:common_name": "red"}]}})
    item["stac_version"] = "1.1.0"
    red = item["assets"]["red"]
    del red["raster:bands"], red["eo:bands"]
    for key, value in asset.items():
        if key == "band":
            red["bands"][0].update(value)
        else:
            red[key] = value
    return item


@pytest.mark.parametrize("planner", ["composite", "mosaic"])
@pytest.mark.parametrize("form", [
    {"band": {"raster:scale": 0.0001, "nodata": -9999, "data_type": "int16"}},
    {"raster:scale": 0.0001, "nodata": -9999, "data_type": "int16"},
])
def test_a_stac_1_1_item_keeps_its_scale(scene, grid, tmp_path, planner, form):
    # before: only raster:bands was read: DN 348 went in as reflectance, exit 0
    from prospect.ingest.rasters import plan_raster

    stac = _collection(tmp_path / "items.json", _v11(scene, "v11", **form))
    source = _source(stac) if planner == "composite" else {
        "name": "l8", "stac": stac, "assets": {"red": "red"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = (plan_composite if planner == "composite" else plan_raster)(
            RasterSource.model_validate(source), grid)
    got = _read(layers[0], grid)
    with rasterio.open(scene["red"]) as d:
        dn = d.read(1).astype(np.float64)
    ok = dn != -9999
    assert np.allclose(got[ok], dn[ok] * 1e-4, rtol=1e-5)
    assert np.isnan(got[~ok]).all()


def test_a_stac_1_1_nodata_not_in_the_file_is_applied(scene, grid, tmp_path):
    # the file declares no nodata; the item's STAC 1.1 nodata marks its 0 collar
    bare = _cut(scene["dir"] / f"{L8}_sr_band4.tif", tmp_path / "b" / "red.tif", nodata=None)
    with rasterio.open(bare, "r+") as d:
        data = d.read(1)
        data[:, :20] = 0
        d.write(data, 1)
    item = _v11(scene, "v11", href=str(bare), band={"raster:scale": 0.0001, "nodata": 0})
    stac = _collection(tmp_path / "items.json", item)
    layers, _ = _plan(_source(stac), grid)
    got = _read(layers[0], grid)
    assert np.isnan(got[:, :20]).all() and np.isfinite(got[:, 25:]).mean() > 0.9


def test_raster_bands_and_stac_1_1_fields_that_disagree_are_refused(scene, grid, tmp_path):
    item = _item(scene, "both", assets={"red": {"raster:scale": 2.75e-5}})
    stac = _collection(tmp_path / "items.json", item)
    with pytest.raises(DataError) as err:
        _plan(_source(stac), grid)
    text = str(err.value)
    assert "item 'both'" in text and "raster:bands scale 0.0001" in text, text
    assert "'raster:scale' 2.75e-05" in text and "\n" not in text


def test_raster_bands_and_stac_1_1_fields_that_agree_read(scene, grid, tmp_path):
    item = _item(scene, "both", assets={"red": {"raster:scale": 0.0001, "nodata": -9999}})
    stac = _collection(tmp_path / "items.json", item)  # control
    layers, warned = _plan(_source(stac), grid)
    assert warned == [] and np.nanmedian(_read(layers[0], grid)) < 1


# --- 3. proj:code and proj:epsg: two CRSs, or one PROJ does not know -------------------------

@pytest.mark.parametrize("props", [
    {"proj:code": "EPSG:32632", "proj:epsg": 32631},  # two zones: the header decides
    {"proj:code": "EPSG:abc"},  # no CRS: was an error blaming the config's crs
])
def test_an_items_unusable_stated_crs_gives_way_to_the_files(scene, grid, tmp_path, props):
    # before: placed off the region ("none ... overlap") or "unknown CRS 'EPSG:abc'"
    with rasterio.open(scene["red"]) as d:
        transform = list(d.transform)[:6]
    item = _item(scene, "crs", assets={"red": {"proj:shape": [100, 100],
                                               "proj:transform": transform}})
    item["properties"].pop("proj:epsg")
    item["properties"].update(props)
    stac = _collection(tmp_path / "items.json", item)
    layers, _ = _plan(_source(stac), grid)
    assert np.nanmedian(_read(layers[0], grid)) == pytest.approx(0.0348, abs=0.002)


# --- 4. a sun elevation that is no elevation --------------------------------------------------

@pytest.mark.parametrize("elevation", [131.3, 400.0, -120.0])
def test_a_level1_item_with_an_elevation_beyond_90_degrees_is_refused(scene, grid, tmp_path,
                                                                      elevation):
    # before: sin(131.3) = sin(48.7): read as a daytime scene at another angle (a zenith
    # or azimuth given as the elevation), TOA reflectance silently off
    from .test_imagery_round16 import _l1_item

    stac = _l1_item(scene, tmp_path, **{"view:sun_elevation": elevation})
    with pytest.raises(DataError) as err:
        _plan({"name": "l1", "stac": stac, "assets": {"red": "B4"},
               "composite": {"method": "median"}}, grid)
    assert re.search(rf"view:sun_elevation {elevation:g} is no sun elevation \(-90 to 90 "
                     r"degrees", str(err.value)), str(err.value)


def test_a_level1_item_with_the_sun_at_the_zenith_reads():  # control: sin(90) = 1
    from prospect.ingest.landsat import daytime_sine

    assert daytime_sine(90.0, said="x", what="y", daytime="z") == pytest.approx(1.0)


# --- 5. composites of several dates listed in another order than their scenes ---------------

def _composite_var(dates: list[str]) -> Any:
    import xarray as xr

    from prospect.io.cube import provenance_attr

    return xr.DataArray(np.full((4, 4), 0.1, np.float32), dims=("y", "x"), attrs={
        "units": "1", "prospect_kind": "continuous", "provenance": provenance_attr({
            "source": "s2", "composite": "median", "dates": dates, "items": []})})


@pytest.mark.parametrize(("spring", "autumn", "bad"), [
    (["2021-09-02", "2021-10-20"], ["2021-04-01", "2021-05-30"], True),  # swapped
    (["2021-04-01", "2021-05-30"], ["2021-09-02", "2021-10-20"], False),  # control
])
def test_composites_listed_against_their_scenes_dates_are_refused(spring, autumn, bad):
    # before: the single-date check passes over composites (several dates): listed under
    # the wrong dates, every change was reversed without a word
    import xarray as xr

    from prospect.config.timeseries import TimeSeriesConfig
    from prospect.timeseries import stack_dates

    cube = xr.Dataset({"spring_red": _composite_var(spring),
                       "autumn_red": _composite_var(autumn)})
    cfg = TimeSeriesConfig.model_validate({"dates": [
        {"date": "2021-05-01", "bands": {"red": "spring_red"}},
        {"date": "2021-10-01", "bands": {"red": "autumn_red"}}]})
    if not bad:
        assert stack_dates(cube, cfg)["red"].sizes["time"] == 2
        return
    with pytest.raises(DataError) as err:
        stack_dates(cube, cfg)
    assert str(err.value) == (
        "timeseries: 'spring_red' is listed under 2021-05-01, before 'autumn_red' "
        "(2021-10-01), but its scenes were acquired from 2021-09-02 to 2021-10-20, after "
        "those of 'autumn_red' (from 2021-04-01 to 2021-05-30): swapped? give each date the "
        "variables of its own scenes (dates mixed up reverse every change)")


# --- 6. a Sentinel-2 offset its processing baseline has not -----------------------------------

@pytest.mark.parametrize(("baseline", "offset", "bad"), [
    ("03.01", -0.1, True), ("02.14", -0.1, True),
    ("04.00", -0.1, False), ("03.01", 0.0, False),  # controls: ESA's own pairs
])
def test_a_sentinel2_offset_older_baselines_never_had_is_refused(scene, grid, tmp_path,
                                                                baseline, offset, bad):
    # before: a 03.01 item stating -0.1 (DNs without the +1000) read 0.1 too low, exit 0
    from .test_imagery_round16 import _s2_dn, _s2_item

    item = _s2_item(_s2_dn(scene, tmp_path, "s2", 1000 if offset else 0), "s2", baseline,
                    "2021-06-01T10:40:00Z")
    item["assets"]["red"]["raster:bands"][0].update(scale=0.0001, offset=offset)
    stac = _collection(tmp_path / "items.json", item)
    source = {"name": "s2", "stac": stac, "assets": {"red": "red"},
              "composite": {"method": "median"}}
    if not bad:
        layers, _ = _plan(source, grid)
        with rasterio.open(scene["red"]) as d:
            dn = d.read(1).astype(np.float64)
        good = (dn > 0) & (dn < 50000)
        np.testing.assert_allclose(_read(layers[0], grid)[good], dn[good] * 1e-4, atol=2e-5)
        return
    with pytest.raises(DataError) as err:
        _plan(source, grid)
    assert re.search(rf"item 's2'.*raster:bands offset -0\.1, but the item's "
                     rf"processing baseline {baseline} is older than 04\.00",
                     str(err.value)), str(err.value)


# --- 7. asset hrefs as catalogues write them: empty, percent-encoded, buckets ----------------

def test_an_empty_asset_href_is_named(scene, grid, tmp_path):
    # before: "<nothing>: a folder, not a raster file; give the path of the file inside it"
    item = _item(scene, "blank", assets={"red": {"href": ""}})
    stac = _collection(tmp_path / "items.json", item)
    with pytest.raises(DataError) as err:
        _plan(_source(stac), grid)
    assert re.search(r"item 'blank': asset\(s\) \['red'\] have an empty href",
                     str(err.value)), str(err.value)


@pytest.mark.parametrize("form", ["relative", "file-url"])
def test_a_percent_encoded_href_of_a_local_file_reads(scene, grid, tmp_path, form):
    # before: "my%20scenes/red%20band.tif: raster file not found" (an href is a URI)
    import shutil

    folder = tmp_path / "my scenes"
    folder.mkdir()
    shutil.copy(scene["red"], folder / "red band.tif")
    href = ("my%20scenes/red%20band.tif" if form == "relative"
            else "file://" + str(folder / "red band.tif").replace(" ", "%20"))
    stac = _collection(tmp_path / "items.json", _item(scene, "enc", assets={"red": {
        "href": href}}))
    layers, _ = _plan(_source(stac), grid)
    assert np.nanmedian(_read(layers[0], grid)) == pytest.approx(0.0348, abs=0.002)


def test_a_bucket_read_without_credentials_is_named_so_not_truncated():
    # GDAL's own words for an s3:// asset without AWS settings; before: "truncated"
    from prospect.io.remote import read_failure

    gdal = ("/vsis3/bucket/key/red.tif: cannot read as a raster (corrupt, truncated or not a "
            "raster): AWS_SECRET_ACCESS_KEY and AWS_NO_SIGN_REQUEST configuration options not "
            "defined, and /root/.aws/credentials not filled")
    assert read_failure(gdal).startswith("no credentials (a public bucket: set "
                                         "AWS_NO_SIGN_REQUEST=YES")
    assert read_failure("HTTP response code: 404") == "HTTP 404"  # control
    assert read_failure("file is truncated at byte 12") == "truncated"  # control


# --- 8. an MSS scene's radiance made reflectance with TM's solar irradiance -------------------

TM = "LT52240631988227CUB02"


@pytest.mark.parametrize(("sensor", "bad"), [("MSS", True), ("TM", False)])
def test_an_mss_mtl_without_reflectance_rescaling_is_refused(shared_data, tmp_path, sensor,
                                                             bad):
    # before: Landsat 5 MSS band 1 (green) took TM band 1's (blue) ESUN: 7-20 % off, exit 0
    from prospect.ingest.rasters import plan_raster

    src = shared_data / "landsat5_tm_para_rstoolbox"
    scene = TM.replace("LT5", "LM5") if sensor == "MSS" else TM
    text = (src / f"{TM}_MTL.txt").read_bytes().decode("latin-1")
    mtl = tmp_path / f"{scene}_MTL.txt"
    mtl.write_text(text.replace('SENSOR_ID = "TM"', f'SENSOR_ID = "{sensor}"')
                   .replace(TM, scene), encoding="latin-1")
    band = tmp_path / f"{scene}_B1.TIF"
    band.write_bytes((src / f"{TM}_B1.TIF").read_bytes())
    with rasterio.open(band) as d:
        left, bottom, right, top = d.bounds
        res = d.res[0]
    grid = RegionGrid(crs="EPSG:32622", resolution=res, bounds=(left, bottom, right, top),
                      chunks=(256, 256), name="para")
    source = RasterSource.model_validate({"name": "l5", "bands": {"b1": str(band)},
                                          "metadata": str(mtl)})
    if not bad:  # control: TM band 1 with TM's ESUN, as before
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = plan_raster(source, grid)[0]
        assert layer.settings.get("quantity", "toa_reflectance") == "toa_reflectance"
        return
    with pytest.raises(DataError) as err:
        plan_raster(source, grid)
    assert re.search(r"an MSS scene without REFLECTANCE_MULT/ADD for band 1: .* ESUN values "
                     r"are TM's", str(err.value)), str(err.value)


# --- 9. adjacent tiles (WRS rows) of one overpass: one observation, not two ------------------

@pytest.mark.parametrize("second_path", [197, 198])  # 198: another orbit that day (control)
def test_overlapping_scenes_of_one_overpass_count_once(scene, grid, tmp_path, second_path):
    # before: the overlap of two WRS rows of one pass held the same observation twice: the
    # median leaned to that day and _count said 3 looks where there were 2
    from rasterio.windows import Window

    src = scene["dir"] / f"{L8}_sr_band4.tif"
    north = _cut(src, tmp_path / "n" / f"{L8}_sr_band4.tif", window=Window(240, 320, 60, 100))
    south = _cut(src, tmp_path / "s" / f"{L8}_sr_band4.tif", window=Window(280, 320, 60, 100))
    later = _cut(src, tmp_path / "l" / f"{L8}_sr_band4.tif")
    with rasterio.open(later, "r+") as d:
        dn = d.read(1)
        d.write(np.where(dn == -9999, dn, dn * 3 // 2).astype(dn.dtype), 1)
    def pass_item(item_id: str, path: Path, day: str, row: int, wrs: int = 197
                  ) -> dict[str, Any]:
        return _item(scene, item_id, assets={"red": {"href": str(path)}}, props={
            "platform": "landsat-8", "datetime": f"{day}T10:30:{row:02d}Z",
            "landsat:wrs_path": wrs, "landsat:wrs_row": row})

    stac = _collection(tmp_path / "items.json", pass_item("row24", north, "2014-04-19", 24),
                       pass_item("row25", south, "2014-04-19", 25, second_path),
                       pass_item("may", later, "2014-05-05", 24))
    layers, _ = _plan(_source(stac, composite={"method": "median", "count_variable": True}),
                      grid)
    count, got = _read(layers[1], grid), _read(layers[0], grid)
    with rasterio.open(scene["red"]) as d:
        first = d.read(1).astype(np.float64)
    overlap = (slice(None), slice(40, 60))
    ok = first[overlap] != -9999
    if second_path != 197:  # two passes of one day: two looks, as before
        assert layers[0].settings.get("overpasses", 3) == 3 and (count[overlap][ok] == 3).all()
        return
    assert layers[0].settings["overpasses"] == 2
    assert (count[overlap][ok] == 2).all()  # before: 3
    want = (first[overlap][ok] * 1e-4 + (first[overlap][ok] * 3 // 2) * 1e-4) / 2
    np.testing.assert_allclose(got[overlap][ok], want, rtol=1e-4)  # before: the April value


def test_scenes_of_other_days_or_platforms_stay_apart():  # control
    from prospect.ingest.composite import merge_overpasses

    stack = np.arange(12, dtype=np.float32).reshape(3, 1, 2, 2)
    assert merge_overpasses(stack, ()) is stack
    assert merge_overpasses(stack, (0, 1, 2)) is stack
    stack[0, 0, 0, 0] = np.nan
    merged = merge_overpasses(stack, (0, 0, 1))
    assert merged.shape == (2, 1, 2, 2)
    assert merged[0, 0, 0, 0] == stack[1, 0, 0, 0] and merged[0, 0, 1, 1] == stack[0, 0, 1, 1]
