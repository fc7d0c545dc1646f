"""STAC catalogs and items, read from disk and from a real HTTP server (GDAL /vsicurl/)."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import multiprocessing

import numpy as np
import pystac
import pytest
from ingest_helpers import LEFT, assemble

from prospect.config.sources import RasterSource
from prospect.errors import DataError
from prospect.ingest.rasters import plan_raster


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with HTTP Range support (what GDAL's /vsicurl/ needs)."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        rng = self.headers.get("Range")
        path = self.translate_path(self.path)
        if not rng or not rng.startswith("bytes="):
            return super().do_GET()
        try:
            data = open(path, "rb").read()  # noqa: SIM115
        except OSError:
            self.send_error(404)
            return
        start_s, _, end_s = rng[6:].partition("-")
        start = int(start_s)
        end = min(int(end_s) if end_s else len(data) - 1, len(data) - 1)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.wfile.write(data[start:end + 1])


def make_catalog(root, write_tif):
    cat = pystac.Catalog(id="scenes", description="two overlapping test scenes")
    for i, (value, cloud, left) in enumerate([(1.0, 40.0, LEFT), (2.0, 3.0, LEFT + 100)]):
        tif = write_tif(f"scene{i}.tif", np.full((40, 30), value, np.float32), left=left)
        target = root / "items" / f"s{i}"
        target.mkdir(parents=True)
        dest = target / "B04.tif"
        dest.write_bytes(tif.read_bytes())
        item = pystac.Item(
            id=f"s{i}", geometry=None, bbox=None,
            datetime=dt.datetime(2020 + i, 1, 1, tzinfo=dt.UTC),
            properties={"eo:cloud_cover": cloud, "proj:epsg": 32619},
        )
        item.add_asset("red", pystac.Asset(href=str(dest), media_type=pystac.MediaType.GEOTIFF))
        cat.add_item(item)
    cat.normalize_hrefs(str(root))
    cat.make_all_asset_hrefs_relative()
    cat.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    return root / "catalog.json"


def check(layer, grid):
    out = assemble(layer, grid)
    assert (out[:, :10] == 1).all() and (out[:, 30:] == 2).all()
    assert (out[:, 10:30] == 2).all()  # least cloudy scene wins the overlap


def test_local_stac_catalog_mosaic(grid, write_tif, tmp_path):
    catalog = make_catalog(tmp_path / "stac", write_tif)
    src = RasterSource(name="s2", stac=str(catalog), assets={"B04": "red"},
                       mosaic="least_cloudy")
    (layer,) = plan_raster(src, grid)
    check(layer, grid)
    with pytest.raises(DataError, match=r"item 's0' has no asset\(s\) \['nir'\]"):
        plan_raster(RasterSource(name="s2", stac=str(catalog), assets={"B08": "nir"}), grid)


def test_stac_over_http(grid, write_tif, tmp_path):
    root = tmp_path / "stac"
    make_catalog(root, write_tif)
    handler = functools.partial(RangeHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # A separate process: GDAL holds the GIL while it fetches, so an in-process server
    # thread could never answer.
    proc = multiprocessing.get_context("fork").Process(target=server.serve_forever, daemon=True)
    proc.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/catalog.json"
        src = RasterSource(name="s2", stac=url, assets={"B04": "red"}, mosaic="least_cloudy")
        (layer,) = plan_raster(src, grid)
        assert all(ref.info.path.startswith("/vsicurl/http://127.0.0.1") for ref in layer.refs)
        check(layer, grid)
        # a STAC API /search answer (an item collection) with absolute asset URLs
        base = url.rsplit("/", 1)[0]
        items = []
        for item in pystac.Catalog.from_file(str(root / "catalog.json")).get_items(
                recursive=True):
            item.assets["red"].href = f"{base}/items/{item.id}/B04.tif"
            items.append(item)
        search = pystac.ItemCollection(items).to_dict(transform_hrefs=False)
        (root / "search").write_text(json.dumps(search))
        api = RasterSource(name="s2", stac=f"{base}/search", assets={"B04": "red"},
                           mosaic="least_cloudy")
        (layer,) = plan_raster(api, grid)
        check(layer, grid)
    finally:
        proc.kill()
        proc.join(5)
        server.server_close()


def test_asset_grids_come_from_proj_metadata_asset_over_item(tmp_path):
    from prospect.ingest.stac import read_stac_scenes

    def item(item_id: str, props: dict, asset: dict) -> dict:
        return {"type": "Feature", "stac_version": "1.1.0", "id": item_id,
                "geometry": None, "properties": {"datetime": "2024-01-05T00:00:00Z",
                                                 **props},
                "links": [], "assets": {"red": {"href": "red.tif", **asset}}}

    grid = {"proj:shape": [4, 6], "proj:transform": [20, 0, 100.0, 0, -20, 900.0, 0, 0, 1]}
    features = [
        item("asset-level", {"proj:code": "EPSG:32619"},
             {**grid, "proj:code": "EPSG:32620",
              "raster:bands": [{"data_type": "uint16", "nodata": 0}]}),
        item("item-level", {"proj:epsg": 32619, **grid}, {}),
        item("no-shape", {"proj:epsg": 32619}, {"proj:transform": grid["proj:transform"]}),
        item("bad-shape", {"proj:epsg": 32619}, {"proj:shape": "4x6",
                                                "proj:transform": grid["proj:transform"]}),
    ]
    path = tmp_path / "items.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    scenes = {s.item_id: s for s in read_stac_scenes(str(path), {"B04": "red"})}
    first = scenes["asset-level"].grids["B04"]
    assert first.crs == "EPSG:32620" and first.shape == (4, 6) and first.dtype == "uint16"
    assert first.transform == (20.0, 0.0, 100.0, 0.0, -20.0, 900.0)
    second = scenes["item-level"].grids["B04"]
    assert second.crs == "EPSG:32619" and second.dtype is None
    assert scenes["no-shape"].grids == {} and scenes["bad-shape"].grids == {}


def test_proj_epsg_as_float_or_text_reads_as_one_code():
    from prospect.ingest.stac import _crs_of

    for given in (32619, 32619.0, "32619"):
        assert _crs_of({"proj:epsg": given}) == "EPSG:32619"
    assert _crs_of({"proj:epsg": "utm"}) is None  # malformed: the file header decides
    assert _crs_of({"proj:code": "EPSG:4326", "proj:epsg": 32619}) == "EPSG:4326"


def _stac_item(item_id: str, props: dict, assets: dict, *, collection: str | None = None,
               when: str = "2024-01-05T00:00:00Z") -> dict:
    out = {"type": "Feature", "stac_version": "1.1.0", "id": item_id, "geometry": None,
           "properties": {"datetime": when, "proj:epsg": 32619, **props}, "links": [],
           "assets": assets}
    if collection:
        out["collection"] = collection
    return out


def test_asset_calibration_states_each_products_clipped_and_saturated_dns():
    import pystac

    from prospect.ingest.stac import asset_calibration

    def cal(props: dict, asset: dict, collection: str | None = None):
        item = pystac.Item.from_dict(_stac_item("x", props, {"a": {"href": "a.tif", **asset}},
                                                collection=collection))
        return asset_calibration(item, item.assets["a"])

    sr = {"raster:bands": [{"data_type": "uint16", "nodata": 0, "scale": 2.75e-05,
                            "offset": -0.2, "unit": "1"}]}
    qa = {"raster:bands": [{"data_type": "uint16", "nodata": 1}], "roles": ["cloud"]}
    l2 = cal({"platform": "landsat-8", "landsat:correction": "L2SP"}, sr)
    assert (l2.scale, l2.offset, l2.fill) == (2.75e-05, -0.2, 0.0)
    assert l2.valid_range == (1.0, 65535.0) and l2.saturate is None and l2.units == "1"
    # told by the collection alone, as Earth Search and Planetary Computer name it
    assert cal({"platform": "landsat-9"}, sr, "landsat-c2-l2").valid_range == (1.0, 65535.0)
    assert cal({"landsat:correction": "L2SP"}, qa).valid_range is None  # bit flags: as is
    oli = {"raster:bands": [{"data_type": "uint16"}], "eo:bands": [{"name": "B4"}]}
    assert cal({"platform": "landsat-8", "landsat:correction": "L1TP"}, oli).saturate == 65535
    mss = {"eo:bands": [{"name": "B4"}]}  # no data type stated: MSS writes 8 bits
    assert cal({"platform": "landsat-5", "landsat:correction": "L1GS"}, mss).saturate == 255
    s2 = {"raster:bands": [{"data_type": "uint16", "scale": 1e-4, "offset": -0.1}]}
    got = cal({"platform": "sentinel-2b", "s2:processing_baseline": "05.10"}, s2)
    assert got.saturate == 65535 and got.valid_range is None
    scl = {"raster:bands": [{"data_type": "uint8", "nodata": 0}]}
    assert cal({"constellation": "sentinel-2"}, scl).saturate is None
    # baseline >= 04.00 DNs carry +1000: stated as offset -0.1 (Earth Search) or, where
    # raster:bands leave the offset out (Planetary Computer), taken from the baseline
    mpc = {"raster:bands": [{"data_type": "uint16", "scale": 1e-4}], "eo:bands": [{}]}
    assert cal({"s2:processing_baseline": "05.11"}, mpc).offset == pytest.approx(-0.1)
    assert cal({"s2:processing_baseline": "03.01", "datetime": "2021-06-01T00:00:00Z"},
               mpc).offset == 0.0  # before 2022-01-25: a 2024 item of 03.01 is refused
    assert cal({"s2:processing_baseline": "05.11"}, {**mpc, "raster:bands": [
        {"scale": 1e-4, "offset": 0}]}).offset == 0.0  # stated: as stated
    bare = cal({"s2:processing_baseline": "04.00"}, {"eo:bands": [{}]})  # config scales
    assert (bare.scale, bare.offset) == (1.0, -1000.0)
    aot = {"raster:bands": [{"data_type": "uint16", "scale": 0.001}]}  # not a band
    assert cal({"s2:processing_baseline": "05.11"}, aot).offset == 0.0
    plain = cal({"platform": "worldview-3"}, s2)  # a product with no stated special DNs
    assert plain.saturate is None and plain.valid_range is None and plain.scale == 1e-4


def _one_item_collection(tmp_path, write_tif, dn: np.ndarray, props: dict,
                         raster_band: dict) -> str:
    tif = write_tif("B04.tif", dn)
    items = [_stac_item("scene", props, {"red": {
        "href": str(tif), "raster:bands": [raster_band], "eo:bands": [{"name": "B4"}]}})]
    path = tmp_path / "items.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    return str(path)


@pytest.mark.parametrize("composite", [False, True])
def test_stac_sources_read_raster_bands_and_drop_clipped_dns(grid, write_tif, tmp_path,
                                                              composite):
    """A STAC mosaic used to ignore ``raster:bands`` (the cube held raw DNs where the same
    item in a composite gave reflectance), and neither dropped the DNs a Landsat C2 L2
    product clips to (1, 65535: reflectance -0.2 and 1.6) or Sentinel-2's saturated 65535."""
    from prospect.config.stac import Composite
    from prospect.ingest.composite import plan_composite

    def run(props: dict, band: dict, dn: np.ndarray) -> np.ndarray:
        href = _one_item_collection(tmp_path, write_tif, dn, props, band)
        src = RasterSource(name="ls", stac=href, assets={"red": "red"},
                           composite=Composite(method="median", count_variable=False)
                           if composite else None)
        layer = plan_composite(src, grid)[0] if composite else plan_raster(src, grid)[0]
        return assemble(layer, grid)

    dn = np.full((40, 40), 10000, np.uint16)
    dn[0, 0], dn[0, 1], dn[0, 2], dn[0, 3] = 1, 65535, 0, 7273
    out = run({"landsat:correction": "L2SP", "platform": "landsat-8"},
              {"data_type": "uint16", "nodata": 0, "scale": 2.75e-05, "offset": -0.2}, dn)
    assert np.isnan(out[0, :3]).all()  # clipped low, clipped high, fill
    assert out[0, 3] == np.float32(np.float32(7273) * np.float32(2.75e-05) - np.float32(0.2))
    assert np.allclose(out[1:], 10000 * 2.75e-05 - 0.2)
    out = run({"platform": "sentinel-2a", "s2:processing_baseline": "05.10"},
              {"data_type": "uint16", "nodata": 0, "scale": 1e-4, "offset": -0.1}, dn)
    assert np.isnan(out[0, 1]) and np.isnan(out[0, 2])  # saturated, no data
    assert np.isclose(out[0, 0], 1e-4 - 0.1) and np.allclose(out[1:], 0.9)


@pytest.mark.parametrize(("feature", "message"), [
    ("not an item", r"item 1 is not a JSON object"),
    ({"type": "Feature", "properties": {}, "assets": {}}, r"item 1 has no valid 'id'"),
    (_stac_item("s", {}, [1, 2]), r"item 1 \('s'\) has no valid 'assets'"),
    (_stac_item("s", {}, {"red": {"href": "a.tif"}}, when="yesterday"),
     r"item 1 \('s'\) is not a valid STAC item"),
    (_stac_item("s", {"eo:cloud_cover": "cloudy"}, {"red": {"href": "a.tif"}}),
     r"item 's': a malformed value \(eo:cloud_cover 'cloudy' is not a percentage"),
    (_stac_item("s", {}, {"red": {"href": "a.tif", "raster:bands": [{"scale": "1e-4x"}]}}),
     r"item 's': a malformed value \(raster:bands scale '1e-4x' is not a number\)"),
    (_stac_item("s", {"s2:processing_baseline": "N0510"},
                {"red": {"href": "a.tif", "eo:bands": [{"name": "B04"}]}}),
     r"item 's': a malformed value \(s2:processing_baseline 'N0510' is not a number\)"),
])
def test_malformed_items_are_one_line_errors_naming_the_item(tmp_path, feature, message):
    """Each used to reach the user as an internal error (ValueError, AttributeError), or, for
    a scale that is not a number, to be read silently with scale 1."""
    from prospect.errors import InputFileError
    from prospect.ingest.stac import read_stac_scenes

    path = tmp_path / "items.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises((InputFileError, DataError), match=message):
        read_stac_scenes(str(path), {"B04": "red"})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": "none"}))
    with pytest.raises(InputFileError, match="'features' is not a list"):
        read_stac_scenes(str(path), {"B04": "red"})
