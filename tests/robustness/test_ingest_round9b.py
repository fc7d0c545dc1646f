"""Round 9b: imagery defects round 9 found and left open (quality-layer fill, the mosaic's
stated CRS, one nodata rule for mosaics and composites, stated grids, ppm = mg/kg).

Each case cuts the REAL Wageningen Landsat 8 ESPA scene in ``../shared/data`` to 100 x 100
pixels in ``tmp_path`` (as ``test_imagery_inputs.py`` does) and feeds one bad variant to
the library; every case failed on ``a17bfa9`` (a silently wrong value, or a scene dropped
without a word) and the controls keep reading.
"""

from __future__ import annotations

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
from prospect.ingest.layers import unit_key
from prospect.ingest.rasters import plan_raster

from .test_imagery_inputs import (
    L8,
    WINDOW,
    _collection,
    _cut,
    _item,
    cut_scene,
    in_utm32,
    scene_grid,
)

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8b"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


def _run(layers: list[Any], grid: RegionGrid) -> dict[str, np.ndarray]:
    out = {}
    for layer in layers:
        arr = np.empty(grid.shape, np.float32)
        for w in grid.chunk_windows():
            arr[w.rows, w.cols] = layer.compute(grid, w)
        out[layer.name] = arr
    return out


def _ingest(source: dict[str, Any], grid: RegionGrid) -> tuple[dict[str, np.ndarray],
                                                                 list[str]]:
    """A mosaic (``plan_raster``) or composite (``plan_composite``) source on the whole
    grid, and the data warnings given while planning and reading."""
    src = RasterSource.model_validate({"name": "l8", **source})
    plan = plan_composite if src.composite is not None else plan_raster
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _run(plan(src, grid), grid)
    return out, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _red(scene: dict[str, Path]) -> np.ndarray:
    with rasterio.open(scene["red"]) as r:
        return r.read(1).astype(np.float32) * np.float32(1e-4)


# --- 1. quality layers: fill and pixels outside the layer's file are dropped ---------------

def test_an_all_fill_cfmask_drops_every_pixel_of_a_composite(scene, grid, tmp_path):
    # warped with nodata 0, CFmask's fill 255 read as 0, "clear": every pixel was kept
    fill = _cut(scene["dir"] / f"{L8}_cfmask.tif", tmp_path / f"{L8}_cfmask.tif",
                fill_with=255)
    stac = _collection(tmp_path / "items.json",
                       _item(scene, assets={"cfmask": {"href": str(fill)}}))
    # round 15: an all-NaN composite is refused at planning, naming the cloud test
    with pytest.raises(DataError, match=r"no clear pixel .*cfmask quality layer drops every"):
        _ingest({"stac": stac, "assets": {"red": "red", "nir": "nir"},
                 "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
                 "composite": {"method": "median"}}, grid)


def test_pixels_outside_a_smaller_cfmask_are_dropped_in_a_mosaic(scene, grid, tmp_path):
    # the layer covers the west half: the east half read 0 ("clear") and was kept
    half = _cut(scene["dir"] / f"{L8}_cfmask.tif", tmp_path / f"{L8}_cfmask.tif",
                window=rasterio.windows.Window(WINDOW.col_off, WINDOW.row_off, 50, 100))
    # round 15: a layer that leaves half its band uncovered is refused at planning
    with pytest.raises(DataError, match=r"covers only 50% of band 'red'"):
        _ingest({"bands": {"red": str(scene["red"]), "cfmask": str(half)},
                 "cloud_mask": {"kind": "cfmask", "asset": "cfmask"}}, grid)


def test_an_all_fill_qa_pixel_layer_drops_every_pixel(scene, grid, tmp_path):
    # QA_PIXEL fill is 1 (bit 0); its file's nodata 1 became the warp's 0: no bit, kept
    qa = _cut(scene["dir"] / f"{L8}_sr_band4.tif", tmp_path / "qa_pixel.tif",
              dtype="uint16", nodata=1, fill_with=1)
    red = tmp_path / "red.tif"  # no ESPA name: round 15 refuses QA_PIXEL on ESPA bands
    red.write_bytes(scene["red"].read_bytes())
    with pytest.raises(DataError, match=r"no clear pixel .*qa_pixel quality layer"):
        _ingest({"bands": {"red": str(red), "qa": str(qa)},
                 "cloud_mask": {"kind": "qa_pixel", "asset": "qa"}}, grid)


def test_fill_is_dropped_even_when_drop_leaves_it_out(scene, grid, tmp_path):
    # drop: [cloud] alone; the pixels outside the layer have no quality at all
    half = _cut(scene["dir"] / f"{L8}_cfmask.tif", tmp_path / f"{L8}_cfmask.tif",
                window=rasterio.windows.Window(WINDOW.col_off, WINDOW.row_off, 50, 100))
    with pytest.raises(DataError, match=r"covers only 50% of band 'red'"):  # round 15
        _ingest({"bands": {"red": str(scene["red"]), "cfmask": str(half)},
                 "cloud_mask": {"kind": "cfmask", "asset": "cfmask",
                                "drop": ["cloud"]}}, grid)


# --- 2. a mosaic of STAC items: the files' CRS over the item's ------------------------------

def test_a_mosaic_item_stating_another_utm_zone_is_placed_by_its_files(scene, grid,
                                                                       tmp_path):
    moved = in_utm32(scene, tmp_path)
    item = _item(scene, assets={k: {"href": str(v)} for k, v in moved.items()})
    stac = _collection(tmp_path / "items.json", item)
    # proj:epsg 32631 overrode the files' 32632: "none of its files overlap the region"
    out, warned = _ingest({"stac": stac, "assets": {"red": "red", "nir": "nir"}}, grid)
    assert np.isfinite(out["red"]).mean() > 0.8
    assert len(warned) == 1 and "states EPSG:32631" in warned[0] and "EPSG:32632" in warned[0]


# --- 3. one nodata rule for mosaics and composites ------------------------------------------

@pytest.fixture()
def two_fills(scene: dict[str, Path], tmp_path: Path) -> tuple[str, np.ndarray]:
    """Red stating nodata 0 with -9999 and 0 fills, in an item stating nodata -9999."""
    red = _cut(scene["dir"] / f"{L8}_sr_band4.tif", tmp_path / f"{L8}_sr_band4.tif",
               nodata=0)
    with rasterio.open(red, "r+") as d:
        data = d.read(1)
        data[:10] = -9999  # the product's fill
        data[-10:] = 0  # the file's
        d.write(data, 1)
    stac = _collection(tmp_path / "items.json",
                       _item(scene, assets={"red": {"href": str(red)}}))
    rows = np.arange(100)
    return stac, (rows < 10) | (rows >= 90)


@pytest.mark.parametrize("path", ["mosaic", "composite"])
def test_an_item_and_file_stating_different_nodata_mask_both_with_one_warning(
        scene, grid, two_fills, path):
    # the mosaic took the file's 0 (the item's -9999 read as -0.9999), the composite the
    # item's -9999 (the file's 0 read as reflectance 0): one scene, two readings
    stac, fill_rows = two_fills
    source: dict[str, Any] = {"stac": stac, "assets": {"red": "red", "nir": "nir"}}
    if path == "composite":
        source["composite"] = {"method": "median"}
    out, warned = _ingest(source, grid)
    assert np.isnan(out["red"][fill_rows]).all()
    np.testing.assert_allclose(out["red"][~fill_rows], _red(scene)[~fill_rows], rtol=1e-6)
    told = [w for w in warned if "nodata" in w]
    assert len(told) == 1, warned
    assert "states nodata 0" in told[0] and "item 'l8' states -9999" in told[0]


def test_a_fill_the_item_and_file_agree_on_is_read_without_a_warning(scene, grid, tmp_path):
    stac = _collection(tmp_path / "items.json", _item(scene))  # control: both -9999
    for extra in ({}, {"composite": {"method": "median"}}):
        out, warned = _ingest({"stac": stac, "assets": {"red": "red"}, **extra}, grid)
        assert warned == []
        np.testing.assert_allclose(out["red"], _red(scene), rtol=1e-6)


# --- units ---------------------------------------------------------------------------------

def test_ppm_and_mg_per_kg_are_one_unit():
    assert unit_key("ppm") == unit_key("mg/kg") == unit_key("mg kg-1") == unit_key("ug/g")
    assert unit_key("ppb") == unit_key("ug/kg") == unit_key("µg kg⁻¹")
    assert unit_key("ppm") != unit_key("mg/L")  # a water's: only at a density of 1
    assert unit_key("ppm") != unit_key("ppb")


def test_a_raster_in_mg_per_kg_under_a_ppm_config_is_not_warned(grid, scene, tmp_path):
    li = _cut(scene["dir"] / f"{L8}_sr_band4.tif", tmp_path / "li.tif", dtype="float32",
              nodata=-9999)
    with rasterio.open(li, "r+") as d:
        d.units = ("mg/kg",)
    _, warned = _ingest({"bands": {"li": str(li)}, "units": "ppm"}, grid)
    assert warned == []



# --- 4. items stating their grids in full: checked when the file is opened -----------------

def _stated(scene: dict[str, Path], shift_m: float = 0.0) -> dict[str, Any]:
    with rasterio.open(scene["red"]) as s:
        t = s.transform
    return {"proj:shape": [100, 100],
            "proj:transform": [t.a, t.b, t.c + shift_m, t.d, t.e, t.f, 0, 0, 1]}


def test_an_item_stating_a_wrong_grid_in_full_is_refused_when_read(scene, grid, tmp_path):
    # proj:transform 50 pixels east of the file's: no header was read, so every pixel
    # of the scene was placed 1.5 km away (half the region) without a word
    item = _item(scene, props=_stated(scene, shift_m=1500.0))
    stac = _collection(tmp_path / "items.json", item)
    with pytest.raises(DataError, match=r"item 'l8' asset 'red' states proj:transform "
                                        r"\[30\.0, 0\.0, 6\d+.*but the file's is") as err:
        _ingest({"stac": stac, "assets": {"red": "red", "nir": "nir"},
                 "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
                 "composite": {"method": "median"}}, grid)
    assert f"{L8}_sr_band4.tif" in str(err.value) and "\n" not in str(err.value)


def test_an_item_stating_its_grid_right_reads_as_its_headers(scene, grid, tmp_path):
    source = {"assets": {"red": "red", "nir": "nir"}, "composite": {"method": "median"},
              "cloud_mask": {"kind": "cfmask", "asset": "cfmask"}}
    stated, _ = _ingest({"stac": _collection(tmp_path / "a.json", _item(
        scene, props=_stated(scene))), **source}, grid)
    read, _ = _ingest({"stac": _collection(tmp_path / "b.json", _item(scene)), **source},
                      grid)
    for name in read:  # control: the stated grid is the file's, values the same
        np.testing.assert_array_equal(stated[name], read[name])
