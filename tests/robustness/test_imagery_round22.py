"""Imagery as survey scientists ingest it, fuzzed again (2026-12-03): object-store files
replaced in their bucket, Sentinel-2 bands renamed without their tile, lossy quality layers
and composite bands, harmonised Sentinel-2 catalogues, per-asset grids and a misspelt
column under ``units:`` (see each case).

Real scenes cut small in ``tmp_path`` (the Wageningen Landsat 8 ESPA scene, through the
fixtures of earlier imagery rounds); the STAC items, the Sentinel-2 XMLs, the replaced and
recompressed layers are SYNTHETIC. Each defect case failed before its fix; the controls
keep reading.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from prospect.config.sources import PointSource, RasterSource
from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.rasters import plan_raster
from prospect.io.remote import forget_cached

from . import test_calibration_round15 as cal
from . import test_imagery_round21 as r21
from .test_calibration_round15 import S2_MTD, _dn, _grid, _read, _stac
from .test_calibration_round15 import _item as _s2_item
from .test_imagery_inputs import _collection, _item, cut_scene, in_utm32, scene_grid
from .test_imagery_round21 import _Ranges

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8r22"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


s2 = cal.s2
served = r21.served
"""A folder served over HTTP with range requests on localhost, and its URL (round 21's)."""
"""A baseline 04.00 ``MTD_MSIL2A.xml`` of tile T31UFT and a B04 of real Wageningen DNs
(+1000) on that tile (round 15's fixture)."""


def _plan(source: dict[str, Any], grid: RegionGrid) -> tuple[list[Any], list[str]]:
    """A composite's layers, and the data warnings given while planning it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_composite(RasterSource.model_validate(source), grid)
    return layers, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


# --- 1. an object-store file replaced in its bucket during one process ------------------------

@pytest.fixture()
def bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder served as an S3 endpoint on localhost (path-style, unsigned: GDAL's
    ``/vsis3/`` and ``s3://`` names read it as they read AWS), and the bucket's folder."""
    root = tmp_path / "s3"
    (root / "bucket22").mkdir(parents=True)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Ranges, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    for key, value in (("AWS_S3_ENDPOINT", f"127.0.0.1:{server.server_port}"),
                       ("AWS_HTTPS", "NO"), ("AWS_VIRTUAL_HOSTING", "FALSE"),
                       ("AWS_NO_SIGN_REQUEST", "YES"), ("AWS_REGION", "us-east-1")):
        monkeypatch.setenv(key, value)
    try:
        yield root / "bucket22"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_an_object_store_quality_layer_replaced_in_its_bucket_is_read_anew(scene, grid,
                                                                           tmp_path, bucket):
    # before: forget_cached cleared HTTP(S) names only, so GDAL's /vsis3/ cache served a
    # CFmask re-uploaded under its s3:// name (all cloud now) with the old codes, and the
    # composite was planned on them; object-store names are now cleared too
    shutil.copy(scene["cfmask"], bucket / "cfmask.tif")
    href = "s3://bucket22/cfmask.tif"
    source = {"name": "l8", "stac": _collection(tmp_path / "items.json", _item(
        scene, "a", assets={"cfmask": {"href": href}})), "assets": {"red": "red"},
        "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
        "composite": {"method": "median"}}
    (red, *_), _ = _plan(source, grid)
    assert np.isfinite(red.compute(grid, next(iter(grid.chunk_windows())))).any()
    with rasterio.open(bucket / "cfmask.tif", "r+") as d:
        d.write(np.full((d.height, d.width), 4, d.dtypes[0]), 1)  # all cloud now
    with pytest.raises(DataError, match="no clear pixel"):
        _plan(source, grid)


def test_forget_cached_clears_object_store_names_without_a_word(capfd):
    # before: 1 (HTTP only); an object store's clear where GDAL cannot build its URL
    # (/vsiaz/ without an account) printed "ERROR 1: URL rejected" on stderr
    assert forget_cached(["https://example.org/a.tif", "s3://bucket-name/k.tif",
                          "/vsigs/b/k.tif", "/vsiaz/container/k.tif", "/data/x.tif"]) == 4
    assert "URL rejected" not in capfd.readouterr().err


@pytest.mark.parametrize("form", ["/vsizip//vsicurl/{url}/scene.zip/red.tif",
                                  "/vsizip/{{/vsicurl/{url}/scene.zip}}/red.tif"])
def test_a_zip_replaced_on_its_server_is_read_anew_through_its_member(served, form):
    # before: a member's name was cleared as '/vsicurl/.../scene.zip/red.tif', longer than
    # the archive's URL GDAL keeps the ranges under, so nothing was dropped and a zip
    # re-uploaded under its URL was read as it was (round 21 said archives were cleared)
    import zipfile

    root, url = served
    name = form.format(url=url)

    def upload(value: int, pad: int) -> None:
        tif = root / "red.tif"
        with rasterio.open(tif, "w", driver="GTiff", width=8, height=8, count=1,
                           dtype="uint8", crs="EPSG:32631",
                           transform=rasterio.transform.from_origin(0, 80, 10, 10)) as d:
            d.write(np.full((8, 8), value, np.uint8), 1)
        with zipfile.ZipFile(root / "scene.zip", "w") as z:
            z.writestr("readme.txt", "x" * pad)  # the member moves within the archive
            z.write(tif, "red.tif")

    def first() -> int:
        with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"), rasterio.open(name) as d:
            return int(d.read(1)[0, 0])

    upload(1, 10)
    assert first() == 1
    upload(2, 5000)
    assert forget_cached([name]) == 1
    assert first() == 2


# --- 2. a Sentinel-2 band renamed without its tile --------------------------------------------

@pytest.mark.parametrize(("tile", "ok"), [("31UFT", True), ("31UGT", False), ("32ULC", False),
                                          ("31UFU", False)])
def test_a_renamed_sentinel2_band_is_checked_against_its_products_tile(s2, tile, ok):
    # before: only a band file named with its tile was checked against the product XML;
    # 'red.tif' of T31UFT took the coefficients, date and baseline of any other tile's XML
    # (the east and north neighbours, another zone's). The tile's MGRS id places it.
    red = s2["red"].with_name("red.tif")
    shutil.copy(s2["red"], red)
    mtd = s2["mtd"].with_name(f"MTD_{tile}.xml")
    mtd.write_text(S2_MTD.replace("T31UFT", f"T{tile}"))
    src = RasterSource.model_validate({"name": "s2", "sensor": "sentinel2",
                                       "bands": {"B04": str(red)}, "metadata": str(mtd)})
    grid = _grid(red)
    if ok:  # control: the band of the XML's own tile reads, once calibrated
        (layer,) = plan_raster(src, grid)
        dn = _dn(red)
        good = (dn > 0) & (dn < 65535)
        np.testing.assert_allclose(_read(layer, grid)[good], (dn[good] - 1000) / 1e4,
                                   rtol=1e-4, atol=1e-6)
        return
    with pytest.raises(DataError, match=rf"red\.tif: the file's name states no scene, and "
                       rf"100% of it lies outside the product its product XML describes "
                       rf"\(T{tile}_.*tile T{tile}: EPSG:326"):
        plan_raster(src, grid)


@pytest.mark.parametrize(("tile", "crs", "box"), [
    ("31UFT", "EPSG:32631", (600000, 5690200, 709800, 5800000)),
    ("10SEG", "EPSG:32610", (500000, 4090200, 609800, 4200000)),
    ("19HCD", "EPSG:32719", (300000, 6290200, 409800, 6400000)),
    ("31UFI", None, None), ("61UFT", None, None)])
def test_a_tiles_extent_from_its_mgrs_id(tile, crs, box):
    from prospect.ingest.sentinel2 import tile_extent

    got = tile_extent(tile)
    assert got == (None if crs is None else (crs, tuple(float(v) for v in box)))


# --- 3. lossy quality layers and composite bands ----------------------------------------------

def _recompressed(path: Path, dst: Path, **options: Any) -> Path:
    with rasterio.open(path) as s:
        profile = {**s.profile, **options, "tiled": True, "blockxsize": 64, "blockysize": 64}
        with rasterio.open(dst, "w", **profile) as d:
            d.write(s.read())
    return dst


def _scl_source(s2: dict[str, Path], tmp_path: Path, codes: np.ndarray, *,
                compress: str = "DEFLATE", drop: list[str] | None = None) -> RasterSource:
    """A composite of round 15's Sentinel-2 band with an SCL layer of ``codes`` on its
    grid, stored with ``compress``."""
    with rasterio.open(s2["red"]) as s:
        profile = {**s.profile, "dtype": "uint8", "nodata": 0, "compress": compress,
                   "tiled": True, "blockxsize": 64, "blockysize": 64}
    scl = tmp_path / "SCL_20m.tif"
    with rasterio.open(scl, "w", **profile) as d:
        d.write(codes, 1)
    item = _s2_item(s2["red"], "s2", {"s2:processing_baseline": "05.09",
                                      "platform": "sentinel-2a"},
                    {"nodata": 0, "data_type": "uint16", "scale": 1e-4, "offset": -0.1})
    item["assets"]["scl"] = {"href": str(scl), "roles": ["cloud"]}
    mask: dict[str, Any] = {"kind": "scl", "asset": "scl"}
    if drop is not None:
        mask["drop"] = drop
    return _stac(tmp_path, item, composite={"method": "median"}, cloud_mask=mask)


def _codes(s2: dict[str, Path], inside: int) -> np.ndarray:
    """Vegetation (SCL 4) with a block of ``inside``."""
    with rasterio.open(s2["red"]) as s:
        codes = np.full(s.shape, 4, np.uint8)
    codes[15:40, 10:45] = inside
    return codes


@pytest.mark.parametrize("compress", ["JPEG", "DEFLATE"])
def test_a_quality_layer_stored_as_jpeg_is_refused(s2, tmp_path, compress):
    # before: an SCL layer stored as JPEG was read as codes, in composites and plain
    # sources alike (the lossy check ran on plain rasters' bands only): a cloud (9) on
    # vegetation (4) blurred into 5-8 at its edges (not vegetated, water, unclassified,
    # medium probability), all SCL classes, so the codes check passed and cloud edges
    # were kept as clear land; now refused at planning (masked.check_scene_mask).
    # Control: the same layer stored losslessly plans.
    src = _scl_source(s2, tmp_path, _codes(s2, 9), compress=compress)
    grid = _grid(s2["red"])
    if compress == "DEFLATE":
        assert plan_composite(src, grid)
        return
    with pytest.raises(DataError, match=r"item 's2'.*the quality layer .*SCL_20m\.tif is "
                       r"stored with JPEG compression.*scl codes are not the codes written"):
        plan_composite(src, grid)


@pytest.mark.parametrize("drop", [None, ["cloud_high_probability"]])
def test_scl_saturated_or_defective_pixels_are_dropped_whatever_drop_lists(s2, tmp_path,
                                                                          drop):
    # before: a 'drop' list of the clouds only kept SCL's saturated or defective pixels
    # (class 1) as values; they hold no measurement and are dropped as the fill is
    src = _scl_source(s2, tmp_path, _codes(s2, 1), drop=drop)
    grid = _grid(s2["red"])
    red = next(ly for ly in plan_composite(src, grid) if ly.name == "red")
    got = _read(red, grid)
    assert np.isnan(got[15:40, 10:45]).all()
    assert np.isfinite(got[45:, 50:]).any()
    assert "saturated_or_defective" in red.settings["cloud_mask"]["drop"]


def test_a_composite_band_stored_lossily_is_warned_once(scene, grid, tmp_path):
    # before: an item's band stored with LERC of maximum error 50 (DN: 0.005 reflectance)
    # was composited without a word; plain sources warned (rasters.check_lossy, reused)
    lerc = _recompressed(scene["red"], tmp_path / scene["red"].name, compress="LERC",
                         max_z_error=50)
    items = [_item(scene, i, props={"datetime": f"2014-04-{d}T10:30:00Z"},
                   assets={"red": {"href": str(lerc)}}) for i, d in (("a", 19), ("b", 21))]
    source = {"name": "l8", "stac": _collection(tmp_path / "items.json", *items),
              "assets": {"red": "red"}, "composite": {"method": "median"}}
    layers, warned = _plan(source, grid)
    said = [w for w in warned if "LERC compression of maximum error 50" in w]
    assert len(said) == 1 and "source 'l8' reads them as measurements" in said[0]
    assert layers[0].name == "red"


# --- 4. harmonised Sentinel-2 catalogues: the offset applied once -------------------------------

@pytest.mark.parametrize("stated", [True, False])
@pytest.mark.parametrize("composite", [False, True])
def test_an_item_whose_catalogue_applied_the_offset_is_not_shifted_again(s2, tmp_path, stated,
                                                                         composite):
    # before: an Earth Search item saying earthsearch:boa_offset_applied: true (its COG's
    # DNs already shifted back by BOA_ADD_OFFSET) with the raster:bands offset -0.1 its
    # collection states anyway, or without an offset (then the baseline's -1000 DN), was
    # read DN x 1e-4 - 0.1: every reflectance 0.1 low, negative over water
    grid = _grid(s2["red"])
    band = {"nodata": 0, "data_type": "uint16", "scale": 1e-4}
    if stated:
        band["offset"] = -0.1
    item = _s2_item(s2["red"], "S2A_31UFT_20220301_0_L2A",
                    {"s2:processing_baseline": "05.09", "platform": "sentinel-2a",
                     "earthsearch:boa_offset_applied": True}, band)
    item["collection"] = "sentinel-2-l2a"
    extra = {"composite": {"method": "median"}} if composite else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        src = _stac(tmp_path, item, **extra)
        layers = plan_composite(src, grid) if composite else plan_raster(src, grid)
    got = _read(next(ly for ly in layers if ly.name == "red"), grid)
    dn = _dn(s2["red"])
    good = (dn > 0) & (dn < 65535)
    np.testing.assert_allclose(got[good], dn[good] / 1e4, rtol=1e-4, atol=1e-6)
    said = [str(w.message) for w in caught if "boa_offset_applied" in str(w.message)]
    assert len(said) == (1 if stated else 0)
    if stated:
        assert "'S2A_31UFT_20220301_0_L2A'" in said[0] and "not applied again" in said[0]


def test_an_item_whose_catalogue_did_not_apply_the_offset_reads_as_before(s2, tmp_path):
    # control: the flag false (or absent) keeps raster:bands' -0.1
    grid = _grid(s2["red"])
    item = _s2_item(s2["red"], "s2", {"s2:processing_baseline": "05.09",
                                      "platform": "sentinel-2a",
                                      "earthsearch:boa_offset_applied": False},
                    {"nodata": 0, "data_type": "uint16", "scale": 1e-4, "offset": -0.1})
    (layer,) = plan_raster(_stac(tmp_path, item), grid)
    dn = _dn(s2["red"])
    good = (dn > 0) & (dn < 65535)
    np.testing.assert_allclose(_read(layer, grid)[good], (dn[good] - 1000) / 1e4, rtol=1e-4,
                               atol=1e-6)


def test_a_malformed_offset_applied_flag_is_refused_naming_the_item(s2, tmp_path):
    grid = _grid(s2["red"])
    item = _s2_item(s2["red"], "s2", {"s2:processing_baseline": "05.09",
                                      "platform": "sentinel-2a",
                                      "earthsearch:boa_offset_applied": "maybe"},
                    {"nodata": 0, "data_type": "uint16", "scale": 1e-4, "offset": -0.1})
    with pytest.raises(DataError, match=r"item 's2': a malformed value \(earthsearch:"
                       r"boa_offset_applied 'maybe' is not true or false\)"):
        plan_raster(_stac(tmp_path, item), grid)


# --- 5. an asset stating half of its own grid ---------------------------------------------------

def test_an_asset_stating_its_transform_under_the_items_shape_is_read_by_its_header(
        scene, grid, tmp_path):
    # before: the red asset's own proj:transform (its 30 m grid) was joined with the
    # item's proj:shape (another asset's grid, here twice as many rows and columns), a
    # grid twice the file that no read could match: every chunk refused it, in a worker
    with rasterio.open(scene["red"]) as s:
        transform, (rows, cols) = list(s.transform)[:6], s.shape
    item = _item(scene, "a", props={"proj:shape": [rows * 2, cols * 2]},
                 assets={"red": {"proj:transform": transform}})
    source = {"name": "l8", "stac": _collection(tmp_path / "items.json", item),
              "assets": {"red": "red"}, "composite": {"method": "median"}}
    (red, *_), _ = _plan(source, grid)
    with rasterio.open(scene["red"]) as s:
        dn = s.read(1).astype(np.float64)
    got = _read(red, grid)
    good = dn != -9999
    np.testing.assert_allclose(got[good], dn[good] * 1e-4, rtol=1e-5)


def test_an_asset_stating_its_own_crs_takes_no_grid_of_the_items(scene, grid, tmp_path):
    # before: the red asset's own proj:epsg (32632: its file is in UTM 32) was joined with
    # the item's proj:shape/proj:transform (numbers of the UTM 31 grid of its other
    # assets): a grid 6 degrees west of the file, so the scene "did not overlap" the
    # region and the composite was refused though its file covers it
    with rasterio.open(scene["red"]) as s:
        transform, shape = list(s.transform)[:6], list(s.shape)
    moved = in_utm32(scene, tmp_path)
    item = _item(scene, "a", props={"proj:shape": shape, "proj:transform": transform},
                 assets={"red": {"href": str(moved["red"]), "proj:epsg": 32632}})
    source = {"name": "l8", "stac": _collection(tmp_path / "items.json", item),
              "assets": {"red": "red"}, "composite": {"method": "median"}}
    (red, *_), _ = _plan(source, grid)
    got = _read(red, grid)
    assert np.isfinite(got).mean() > 0.5
    with rasterio.open(scene["red"]) as s:
        dn = s.read(1).astype(np.float64)
    near = np.isfinite(got) & (dn != -9999)
    assert np.median(np.abs(got[near] - dn[near] * 1e-4)) < 0.02  # the same ground


# --- 6. a points source's units naming a misspelt column ----------------------------------------

def test_units_of_a_misspelt_column_name_the_nearest():
    # before: the columns were listed, the nearest not named
    with pytest.raises(ValueError, match=r"'units' names column\(s\) \['li_ppm', 'Lii_ppm'\].*"
                       r"did you mean 'li_ppm' -> 'Li_ppm', 'Lii_ppm' -> 'Li_ppm'\?"):
        PointSource.model_validate({
            "name": "till", "kind": "points", "path": "till.csv",
            "columns": ["Li_ppm", "Cs_ppm"], "units": {"li_ppm": "ppm", "Lii_ppm": "ppm"}})


# --- 7. a Landsat 7 gap mask given as a band --------------------------------------------------

GM = "LE07_L1TP_197024_20100308_20161215_01_T1"
"""A Collection 1 ETM+ SLC-off product id (path/row of the Wageningen scene)."""


@pytest.mark.parametrize("name", [f"{GM}_GM_B3.TIF", f"{GM}_GM_B6_VCID_1.TIF",
                                  "LE71970242010067ASN00_GM_B4.TIF"])
def test_a_gap_mask_given_as_a_band_is_refused(scene, grid, tmp_path, name):
    # before: '..._GM_B3.TIF' (the gap_mask folder of a Collection 1 or pre-collection
    # SLC-off product) ends as band 3's name does, so it was read as band 3: its 0/1 gap
    # flags went in as values (with 'scale:', as reflectance 0 and 1e-4), exit 0
    with rasterio.open(scene["red"]) as s:
        profile = {**s.profile, "dtype": "uint8", "nodata": None}
    flags = np.ones((profile["height"], profile["width"]), np.uint8)
    flags[:, ::7] = 0  # the scan-line gaps
    path = tmp_path / name
    with rasterio.open(path, "w", **profile) as d:
        d.write(flags, 1)
    src = RasterSource.model_validate({"name": "etm", "bands": {"red": str(path)},
                                       "nodata": 0})
    with pytest.raises(DataError, match=r"source 'etm', band 'red': .*_GM_B\d.*a Landsat 7 "
                       r"scan-line gap mask .*give the band file"):
        plan_raster(src, grid)


def test_a_gap_mask_given_as_a_cloud_mask_is_refused(scene, grid, tmp_path):
    # before: a gap mask read as CFmask classes was 0 (clear) and 1 (water) everywhere:
    # a composite masked no cloud at all, without a word
    gm = tmp_path / f"{GM}_GM_B4.TIF"
    with rasterio.open(scene["cfmask"]) as s:
        profile = {**s.profile, "nodata": None}
        flags = np.ones(s.shape, np.uint8)
    with rasterio.open(gm, "w", **profile) as d:
        d.write(flags, 1)
    source = {"name": "l8", "stac": _collection(tmp_path / "items.json", _item(
        scene, "a", assets={"cfmask": {"href": str(gm)}})), "assets": {"red": "red"},
        "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
        "composite": {"method": "median"}}
    with pytest.raises(DataError, match=r"_GM_B4\.TIF: not a cfmask quality layer: its name "
                       r"shows a Landsat 7 scan-line gap mask"):
        _plan(source, grid)


def test_the_band_beside_its_gap_mask_reads(scene, grid, tmp_path):
    # control: the band itself ('..._B3.TIF', 'B3.TIF') is no gap mask
    path = tmp_path / f"{GM}_B3.TIF"
    shutil.copy(scene["red"], path)
    src = RasterSource.model_validate({"name": "etm", "bands": {"red": str(path)},
                                       "nodata": -9999})
    assert plan_raster(src, grid)


# --- 8. a composite of one overpass -----------------------------------------------------------

@pytest.mark.parametrize(("days", "said"), [
    ((19,), "one overpass's own values (1 scene, no median of several dates), red"),
    ((19, 19), "one overpass's own values (2 scenes, no median of several dates), red"),
    ((19, 21), "median of 2 scenes, red")])
def test_a_composite_of_one_overpass_says_it_is_that_scene(scene, grid, tmp_path, days, said):
    # before: a search whose window held one scene (or two tiles of one pass) was
    # labelled 'median of 1 scenes': the cube's long_name now says it holds that
    # overpass's own values (control: two dates are a median)
    items = [_item(scene, f"i{n}", props={"datetime": f"2014-04-{d}T10:30:00Z",
                                          "platform": "landsat-8", "landsat:wrs_path": "197",
                                          "landsat:wrs_row": f"02{n + 3}"})
             for n, d in enumerate(days)]
    source = {"name": "l8", "stac": _collection(tmp_path / "items.json", *items),
              "assets": {"red": "red"}, "composite": {"method": "median"}}
    layers, _ = _plan(source, grid)
    assert layers[0].long_name == said


# --- 9. a quality layer of another date, named only by its item's folder --------------------

@pytest.mark.parametrize(("mask_folder", "ok"), [("S2A_31UFT_20220301_0_L2A", True),
                                                 ("S2B_31UFT_20220306_0_L2A", False)])
def test_a_quality_layer_of_another_dates_item_folder_is_refused(s2, tmp_path, mask_folder,
                                                                  ok):
    # before: Earth Search's COGs are named 'B04.tif' and 'SCL.tif' in their item's folder
    # (S2A_31UFT_20220301_0_L2A/), so an item whose SCL href pointed into another date's
    # folder (an item edited or merged by hand) masked this scene with that date's clouds
    # (same tile: the extent check passed); the folders' acquisitions are now compared
    band = tmp_path / "S2A_31UFT_20220301_0_L2A" / "B04.tif"
    band.parent.mkdir()
    shutil.copy(s2["red"], band)
    src = _scl_source({"red": band}, tmp_path, _codes({"red": band}, 9))
    scl = tmp_path / mask_folder / "SCL.tif"
    scl.parent.mkdir(exist_ok=True)
    shutil.move(tmp_path / "SCL_20m.tif", scl)
    stac = Path(str(src.stac))
    stac.write_text(stac.read_text().replace(str(tmp_path / "SCL_20m.tif"), str(scl)))
    grid = _grid(band)
    if ok:  # control: the item's own folder
        assert plan_composite(src, grid)
        return
    with pytest.raises(DataError, match=r"the quality layer .*SCL\.tif is of "
                       r"S2B_31UFT_20220306_0_L2A, but band 'red' .*B04\.tif\) is of "
                       r"S2A_31UFT_20220301_0_L2A"):
        plan_composite(src, grid)


# --- 10. two relative orbits of one day, named only by ESA's ids ------------------------------

@pytest.mark.parametrize(("orbits", "looks"), [(("R008", "R051"), 2), (("R008", "R008"), 1)])
def test_two_orbits_of_one_day_named_by_esa_ids_are_two_looks(s2, tmp_path, orbits, looks):
    # before: items without sat:relative_orbit (ESA's product ids state it: _R051_) were
    # one overpass when of one platform and day: two passes at high latitude, mosaicked
    # first valid, counted one look (count 1, min_count 2 refused). Control: one orbit
    # (adjacent tiles of one pass) stays one look.
    band = {"nodata": 0, "data_type": "uint16", "scale": 1e-4, "offset": -0.1}
    items = []
    for n, (orbit, hour) in enumerate(zip(orbits, ("10", "12"), strict=True)):
        item = _s2_item(s2["red"], f"S2A_MSIL2A_20220301T{hour}4021_N0400_{orbit}_T31UFT_"
                        f"2022030{n + 1}T140000", {"s2:processing_baseline": "04.00",
                                                   "platform": "sentinel-2a",
                                                   "datetime": f"2022-03-01T{hour}:40:21Z"},
                        band)
        item["collection"] = "sentinel-2-l2a"
        items.append(item)
    path = tmp_path / "items.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate({"name": "s2", "stac": str(path),
                                       "assets": {"red": "red"},
                                       "composite": {"method": "median"}})
    grid = _grid(s2["red"])
    layers = plan_composite(src, grid)
    count = _read(next(ly for ly in layers if ly.name == "s2_count"), grid)
    assert layers[0].settings["overpasses"] == looks
    assert np.nanmax(count) == looks
