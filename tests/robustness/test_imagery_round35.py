"""Round 35: imagery.

1. One pass crossing midnight UTC (Sentinel-2 at about 157 E, Landsat at about 150 E: the
   Solomon Sea, eastern Australia) in a catalogue whose items do not all state their
   platform and orbit the same way (Earth Search ids, ESA product names, Landsat ids,
   ``s2:datatake_id``, HLS ids): its tiles at 23:59:58 and 00:00:03 UTC were keyed by two
   days and stayed two looks, counted twice in ``s2_count`` and weighed twice in the
   median, exit 0. A tile sensed after midnight of a datatake that began before it was
   not even read as of that datatake.
2. A ``stac_search`` over a region across the antimeridian (Fiji, EPSG:32760): its bbox
   ``179.64 .. -179.98`` was sent as one box, which pgstac (Planetary Computer,
   stac-fastapi-pgstac) reads as ``-179.98 .. 179.64``: the items of the whole latitude
   band but the region's, exit 0.

SYNTHETIC 20 x 20 uint16 band files written into ``tmp_path`` with rasterio and listed in
item collections as a user's catalogue holds them, read through the composite's real
planning (``plan_composite``); a SYNTHETIC STAC API on loopback (``http.server``) that
reads a bbox as pgstac does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import RasterSource
from prospect.grid import RegionGrid
from tests.robustness.test_imagery_round30 import StacApi, serving
from tests.robustness.test_imagery_round33 import (  # SYNTHETIC bands, items, planning
    ORIGIN,
    PLAIN,
    _collection,
    _item,
    _plan,
    _write,
)

# -- 1. one pass across midnight UTC -------------------------------------------------------------

Tile = tuple[str, str, dict[str, Any]]
"""An item's id, datetime and properties."""


def _across(root: Path, first: Tile, second: Tile) -> dict[str, np.ndarray]:
    """A median composite of two overlapping tiles (DN 1000, columns 0-13 and 6-19), items
    ``first`` and ``second``, and a look of 2021-03-11 over the whole region (DN 3000):
    where the tiles overlap, one pass is one look (count 2, median 0.2); two passes are
    two (count 3, median 0.1)."""
    items = []
    for n, (item_id, when, props) in enumerate([first, second]):
        band = _write(root / f"t{n}" / "B04.tif", 1000, 14, ORIGIN[0] + 180.0 * n)
        items.append(_item(item_id, band, when, props, **{"raster:bands": [PLAIN]}))
    band = _write(root / "t2" / "B04.tif", 3000)
    items.append(
        _item(
            "S2A_56KLA_20210311_0_L2A",
            band,
            "2021-03-11T00:00:10Z",
            {"platform": "sentinel-2a", "sat:relative_orbit": 30},
            **{"raster:bands": [PLAIN]},
        )
    )
    spec = {
        "name": "s2",
        "stac": str(_collection(root, items)),
        "assets": {"red": "B04"},
        "composite": {"method": "median"},
    }
    return _plan(spec)


BEFORE, AFTER = "2021-03-01T23:59:58Z", "2021-03-02T00:00:03Z"
"""Two tiles of one pass, five seconds apart, on either side of midnight UTC."""
ESA = "S2A_MSIL2A_20210301T235951_N0500_R030_{}_20230101T000000"
"""ESA's product name: the datatake began at 23:59:51 on 2021-03-01, for both tiles."""
S2A_30 = {"platform": "sentinel-2a", "sat:relative_orbit": 30}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("S2A_56KLA_20210301_0_L2A", BEFORE, {}), ("S2A_56KMA_20210302_0_L2A", AFTER, {})),
        ((ESA.format("T56KLA"), BEFORE, {}), (ESA.format("T56KMA"), AFTER, {})),
        (("S2A_56KLA_20210301_0_L2A", BEFORE, S2A_30), ("S2A_56KMA_20210302_0_L2A", AFTER, {})),
        (
            ("scene-a", BEFORE, {"s2:datatake_id": "GS2A_20210301T235951_029713_N05.00"}),
            ("scene-b", AFTER, {"s2:datatake_id": "GS2A_20210301T235951_029713_N05.00"}),
        ),
        (
            ("HLS.S30.T56KLA.2021060T235951.v2.0", BEFORE, {}),
            ("HLS.S30.T56KMA.2021060T235951.v2.0", AFTER, {}),
        ),
        (
            ("scene-a", BEFORE, {"platform": "landsat-8", "landsat:wrs_path": "090"}),
            ("LC80900802021061LGN00", "2021-03-02T00:00:20Z", {}),  # a scene id
        ),
    ],
    ids=["earth-search-ids", "esa-names", "platform-and-id", "datatake-id", "hls-s30", "landsat"],
)
def test_one_pass_across_midnight_utc_is_one_look(
    tmp_path: Path, first: Tile, second: Tile
) -> None:
    """Two tiles of one pass at 23:59:58 and 00:00:03 UTC, stated by Earth Search ids, ESA
    product names (the datatake's start on the first day for both), an orbit beside an id,
    ``s2:datatake_id``, HLS ids, or a Landsat WRS path beside a product id: keyed by two
    days, two looks: ``s2_count`` 3 for 2 and the median this pass's 0.1 for 0.2, exit 0."""
    out = _across(tmp_path, first, second)
    assert (out["s2_count"][:, 6:14] == 2).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"][:, 6:14], 0.2, rtol=1e-5)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("S2A_56KLA_20210301_0_L2A", BEFORE, {}), ("S2B_56KMA_20210302_0_L2A", AFTER, {})),
        (
            ("S2A_56KLA_20210301_0_L2A", "2021-03-01T22:20:00Z", {}),
            ("S2A_56KMA_20210302_0_L2A", AFTER, {}),
        ),
        (
            (ESA.format("T56KLA"), BEFORE, {}),
            ("S2A_MSIL2A_20210301T222000_N0500_R029_T56KMA_20230101T000000", AFTER, {}),
        ),
        (
            ("scene-a", BEFORE, {**S2A_30}),
            ("scene-b", AFTER, {"platform": "sentinel-2a", "sat:relative_orbit": 31}),
        ),
    ],
    ids=["other-satellite", "orbit-before", "datatake-before", "other-orbit"],
)
def test_two_passes_across_midnight_utc_stay_two_looks(
    tmp_path: Path, first: Tile, second: Tile
) -> None:
    """Control: S2B beside S2A, the same satellite 100 minutes earlier (the orbit before),
    a datatake that began 100 minutes before the tile, another orbit: three looks where
    the tiles overlap (median 0.1)."""
    out = _across(tmp_path, first, second)
    assert (out["s2_count"][:, 6:14] == 3).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"][:, 6:14], 0.1, rtol=1e-5)


# -- 2. a STAC search over a region across the antimeridian ---------------------------------------

FIJI = RegionGrid(
    crs="EPSG:32760",
    resolution=1000.0,
    bounds=(780000.0, 8000000.0, 820000.0, 8040000.0),
    chunks=(20, 20),
    name="fiji",
)
"""A SYNTHETIC region across 180 (Fiji's Vanua Levu): lon/lat bounds 179.64 .. -179.98."""

ITEMS = {
    "fiji-west": [(179.7, 179.9)],
    "fiji-east": [(-179.99, -179.8)],
    "fiji-across": [(179.8, 180.0), (-180.0, -179.9)],
    "africa": [(20.0, 21.0)],
}
"""Each SYNTHETIC item's longitude ranges (one per side of 180); all at -18 .. -17.8."""


def _api_item(item_id: str) -> dict[str, Any]:
    west, east = ITEMS[item_id][0][0], ITEMS[item_id][-1][1]
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "bbox": [west, -18.0, east, -17.8],
        "geometry": None,
        "properties": {"datetime": "2024-03-10T22:40:21Z"},
        "assets": {"red": {"href": f"/d/{item_id}/B04.tif", "roles": ["data"]}},
        "links": [],
        "collection": "sentinel-2-l2a",
    }


@pytest.fixture(scope="module")
def pgstac_like() -> Iterator[str]:
    """A STAC API on loopback answering a search with the items whose longitudes meet
    the bbox's, reading ``west .. east`` as the box from the smaller to the larger (as
    pgstac's envelope does)."""

    class Api(StacApi):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            west, _, east, _ = body["bbox"]
            lo, hi = min(west, east), max(west, east)
            found = [
                _api_item(k)
                for k, ranges in ITEMS.items()
                if any(a <= hi and b >= lo for a, b in ranges)
            ]
            self._send({"type": "FeatureCollection", "features": found, "links": []})

    yield from serving(Api)


def _fiji_source(url: str) -> RasterSource:
    return RasterSource.model_validate(
        {
            "name": "s2",
            "stac_search": {
                "url": url,
                "collections": ["sentinel-2-l2a"],
                "datetime": "2024-03-01/2024-03-31",
            },
            "assets": {"red": "red"},
            "composite": {"method": "median"},
        }
    )


def test_a_save_of_the_one_box_searched_before_is_searched_again(
    pgstac_like: str, tmp_path: Path
) -> None:
    """A run of before saved the one box's items (Africa's and the one east of 180) under
    the search's key; a rerun reused that save, its region's items still missing. Now the
    key says the two sides were searched apart, and the old save is searched again."""
    from prospect.ingest.stac_search import resolve_search

    source = _fiji_source(pgstac_like)
    search = source.stac_search
    assert search is not None
    bbox = FIJI.lonlat_bounds()
    old_key = {
        "url": pgstac_like,
        "collections": ["sentinel-2-l2a"],
        "datetime": search.datetime,
        "filter": None,
        "bbox": [round(v, 6) for v in bbox],
        "max_items": search.max_items,
    }
    (tmp_path / "s2.json").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [_api_item("africa"), _api_item("fiji-east")],
                "prospect:search": old_key,
            }
        )
    )
    _, ids, reused = resolve_search(source, FIJI, tmp_path)
    assert not reused
    assert sorted(ids) == ["fiji-across", "fiji-east", "fiji-west"], ids


def test_a_search_across_the_antimeridian_finds_the_regions_items(
    pgstac_like: str, tmp_path: Path
) -> None:
    """Fiji's bbox ``179.64 .. -179.98`` sent as one box: the API answered the item of
    Africa and the one east of 180, and the item west of 180 over the region was missed,
    exit 0. Now both sides are searched, and an item across 180 found by both is kept
    once."""
    from prospect.ingest.stac_search import resolve_search

    west, _, east, _ = FIJI.lonlat_bounds()
    assert west > east  # the region crosses 180
    resolved, ids, _ = resolve_search(_fiji_source(pgstac_like), FIJI, tmp_path)
    assert sorted(ids) == ["fiji-across", "fiji-east", "fiji-west"], ids
    saved = json.loads(Path(str(resolved.stac)).read_text())
    assert sorted(f["id"] for f in saved["features"]) == sorted(ids)


# -- 3. a geometric median of looks that have no one geometric median -----------------------------


def _geomedian(root: Path, looks: list[tuple[int, ...]]) -> dict[str, np.ndarray]:
    """A ``geomedian`` composite of one item per look (DNs per band, over the whole
    region), each on its own day, its bands ``red`` (and ``nir``) read x 1e-4."""
    keys = ("B04", "B08")[: len(looks[0])]
    items = []
    for n, dns in enumerate(looks):
        item = _item(
            f"S2A_31UFT_202103{n + 1:02d}_0_L2A",
            _write(root / f"s{n}" / "B04.tif", dns[0]),
            f"2021-03-{n + 1:02d}T10:40:21Z",
            {"platform": "sentinel-2a", "sat:relative_orbit": 8},
            **{"raster:bands": [PLAIN]},
        )
        for key, dn in zip(keys[1:], dns[1:], strict=True):
            band = _write(root / f"s{n}" / f"{key}.tif", dn)
            item["assets"][key] = {"href": str(band), "roles": ["data"], "raster:bands": [PLAIN]}
        items.append(item)
    spec = {
        "name": "s2",
        "stac": str(_collection(root, items)),
        "assets": dict(zip(("red", "nir"), keys, strict=False)),
        "composite": {"method": "geomedian"},
    }
    return _plan(spec)


@pytest.mark.parametrize(
    ("looks", "want"),
    [
        ([(1000, 3000), (2000, 4000)], {"red": 0.15, "nir": 0.35}),
        ([(1000,), (2000,)], {"red": 0.15}),
        ([(1000,), (2000,), (3000,), (4000,)], {"red": 0.25}),
    ],
    ids=["two-looks-two-bands", "two-looks-one-band", "four-looks-one-band"],
)
def test_a_geomedian_without_one_geometric_median_is_the_midpoint(
    tmp_path: Path, looks: list[tuple[int, ...]], want: dict[str, float]
) -> None:
    """Two looks (every point between them a geometric median) or an even count of one
    band: geomad starts each cell from its left neighbour's result, so the same looks
    gave 0.15 in a chunk's first column and 0.133 (0.141 and 0.341 of two bands) beside
    it, striped by the chunking, exit 0. Now the midpoint (the median of one band) in
    every cell."""
    out = _geomedian(tmp_path, looks)
    for var, value in want.items():
        np.testing.assert_allclose(out[var], value, rtol=1e-5, err_msg=var)


def test_a_geomedian_of_three_looks_reads_as_before(tmp_path: Path) -> None:
    """Control: three looks, two of them alike: their value, the one geometric median
    (geomad's, as before)."""
    out = _geomedian(tmp_path, [(1000, 3000), (5000, 2000), (1000, 3000)])
    np.testing.assert_allclose(out["red"], 0.1, rtol=1e-4)
    np.testing.assert_allclose(out["nir"], 0.3, rtol=1e-4)


# -- 4. items of two products of other scales in one composite ------------------------------------

ESPA_ID = "LC08_L1TP_198024_20200301_20200314_01_T1"
C2_ID = "LC08_L2SP_198024_20200317_20200325_02_T1"


def _dn_file(path: Path, value: int, dtype: str, nodata: int) -> Path:
    """A SYNTHETIC band file of the region, every DN ``value``."""
    import rasterio
    from rasterio.transform import from_origin

    from tests.robustness.test_imagery_round31 import N

    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path, "w", driver="GTiff", width=N, height=N, count=1, dtype=dtype,
        crs="EPSG:32631", nodata=nodata, transform=from_origin(*ORIGIN, 30.0, 30.0),
    ) as dst:
        dst.write(np.full((1, N, N), value, dtype))
    return path


def _two_products(root: Path, stated: bool, **config: Any) -> dict[str, np.ndarray]:
    """A composite of a user's catalogue of two Landsat 8 scenes downloaded years apart:
    a pre-Collection ESPA surface reflectance (int16, 1e-4 x DN: 2000 is 0.2) and a
    Collection 2 Level-2 one (uint16, 2.75e-5 x DN - 0.2: 14545 is 0.2), the items
    stating their calibration in ``raster:bands`` or not."""
    espa = _dn_file(root / "a" / f"{ESPA_ID}_sr_band4.tif", 2000, "int16", -9999)
    c2 = _dn_file(root / "b" / f"{C2_ID}_SR_B4.TIF", 14545, "uint16", 0)
    bands = [
        {"scale": 0.0001, "offset": 0, "nodata": -9999, "data_type": "int16"},
        {"scale": 2.75e-5, "offset": -0.2, "nodata": 0, "data_type": "uint16"},
    ]
    items = [
        _item(
            item_id,
            href,
            day,
            {"platform": "landsat-8"},
            **({"raster:bands": [band]} if stated else {}),
        )
        for item_id, href, day, band in zip(
            (ESPA_ID, C2_ID),
            (espa, c2),
            ("2020-03-01T10:40:00Z", "2020-03-17T10:40:00Z"),
            bands,
            strict=True,
        )
    ]
    spec = {
        "name": "ls",
        "stac": str(_collection(root, items)),
        "assets": {"red": "B04"},
        "composite": {"method": "median"},
        **config,
    }
    return _plan(spec)


@pytest.mark.parametrize(
    "config",
    [{}, {"scale": 0.0001}, {"scale": 2.75e-5, "offset": -0.2}],
    ids=["no-scale", "espa-scale", "collection-2-scale"],
)
def test_items_of_two_products_of_other_scales_are_refused_in_one_line(
    tmp_path: Path, config: dict[str, float]
) -> None:
    """An ESPA and a Collection 2 scene whose items state no scale: the refusal named one
    file and asked for its product's scale ('give scale: 0.0001'); given it, the other
    file's refusal asked for 2.75e-05, and given that, the first again, never saying the
    items mix two products. Now one line names both files and the fix."""
    from prospect.errors import ConfigError

    with pytest.raises(
        ConfigError,
        match=r"source 'ls', band 'red': .*_sr_band4\.tif \(an ESPA .*0\.0001 x DN\) and "
        r".*_SR_B4\.TIF \(a Landsat Collection 2 .*2\.75e-05 x DN - 0\.2\).*no one 'scale:'"
        r".*raster:bands scale and offset.*source of its own",
    ):
        _two_products(tmp_path, stated=False, **config)


def test_items_of_two_products_stating_their_scales_read_as_before(tmp_path: Path) -> None:
    """Control: the same items stating ``raster:bands`` scale and offset: both 0.2."""
    out = _two_products(tmp_path, stated=True)
    np.testing.assert_allclose(out["red"], 0.2, atol=1e-4)
    assert (out["ls_count"] == 2).all()


# -- 5. one band under two asset keys in a merged catalogue ---------------------------------------


def _merged(root: Path) -> list[dict[str, Any]]:
    """A Planetary Computer item (key ``B04``, ``eo:bands`` name B04 / red, beside its
    three-band ``visual``) of 2021-03-01 (DN 1000) and an Earth Search v1 item (keys
    ``red`` and its JPEG 2000 twin ``red-jp2``, name and common name red) of 2021-03-11
    (DN 3000), SYNTHETIC, as a user's catalogue merging two searches holds them."""
    pc_band = _write(root / "pc" / "B04.tif", 1000)
    es_band = _write(root / "es" / "B04.tif", 3000)
    rgb = [{"name": b, "common_name": c} for b, c in (("B04", "red"), ("B03", "green"))]
    pc = _item(
        "S2A_MSIL2A_20210301T104021_R008_T31UFT_20210302T000000",
        pc_band,
        "2021-03-01T10:40:21Z",
        {"platform": "Sentinel-2A", "sat:relative_orbit": 8},
        **{"raster:bands": [PLAIN], "eo:bands": [rgb[0]]},
    )
    pc["assets"]["visual"] = {"href": str(_write(root / "pc" / "TCI.tif", 9000)),
                              "roles": ["data"], "eo:bands": rgb}
    es = _item(
        "S2A_31UFT_20210311_0_L2A",
        es_band,
        "2021-03-11T10:40:21Z",
        {"platform": "sentinel-2a", "sat:relative_orbit": 8},
    )
    red = {"name": "red", "common_name": "red"}
    es["assets"] = {
        "red": {"href": str(es_band), "roles": ["data", "reflectance"],
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "eo:bands": [red], "raster:bands": [PLAIN]},
        "red-jp2": {"href": str(root / "es" / "B04.jp2"), "type": "image/jp2",
                    "roles": ["data"], "eo:bands": [red]},
        **{f"rededge{n}": {"href": str(root / "es" / f"B0{n + 4}.tif"), "roles": ["data"],
                           "eo:bands": [{"name": f"rededge{n}", "common_name": "rededge"}]}
           for n in (1, 2)},
    }
    return [pc, es]


@pytest.mark.parametrize("key", ["B04", "red"])
def test_one_band_under_two_keys_of_a_merged_catalogue_is_read(tmp_path: Path, key: str) -> None:
    """Planetary Computer's ``B04`` beside Earth Search v1's ``red``: whichever key the
    source named, the other catalogue's item was refused ('has no asset(s)'), and no
    config could read them together. Now each item's asset of that band is read (the
    COG, not its JPEG 2000 twin nor the true-colour image): the median 0.2 of two looks."""
    spec = {
        "name": "s2",
        "stac": str(_collection(tmp_path, _merged(tmp_path))),
        "assets": {"red": key},
        "composite": {"method": "median"},
    }
    out = _plan(spec)
    np.testing.assert_allclose(out["red"], 0.2, rtol=1e-5)
    assert (out["s2_count"] == 2).all()


def test_a_key_of_several_bands_of_the_other_item_is_refused_as_before(tmp_path: Path) -> None:
    """Control: ``B05`` (red edge) where the Earth Search item has two red-edge assets of
    one common name: which is B05 is not told, so the item is refused naming its keys."""
    from prospect.errors import DataError

    items = _merged(tmp_path)
    items[0]["assets"]["B05"] = {
        "href": str(_write(tmp_path / "pc" / "B05.tif", 1000)),
        "roles": ["data"],
        "eo:bands": [{"name": "B05", "common_name": "rededge"}],
        "raster:bands": [PLAIN],
    }
    spec = {
        "name": "s2",
        "stac": str(_collection(tmp_path, items)),
        "assets": {"rededge": "B05"},
        "composite": {"method": "median"},
    }
    with pytest.raises(DataError, match=r"item 'S2A_31UFT_20210311_0_L2A' has no asset\(s\) "
                                        r"\['B05'\].*rededge1"):
        _plan(spec)


def test_the_search_key_of_a_region_off_180_is_as_before() -> None:
    """Control: a region that does not cross 180 keeps the key its saves were written
    under (a rerun reuses them)."""
    from prospect.config.stac import StacSearch
    from prospect.ingest.stac_search import search_key

    box = (4.0, 52.0, 4.1, 52.1)
    search = StacSearch.model_validate(
        {"url": "https://example.org/stac", "collections": ["c"],
         "datetime": "2024-03-01/2024-03-31"}
    )
    assert sorted(search_key(search, box)) == [
        "bbox", "collections", "datetime", "filter", "max_items", "url",
    ]
