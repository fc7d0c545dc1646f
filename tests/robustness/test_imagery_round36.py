"""Round 36: imagery.

1. One pass across midnight UTC whose items state only their day (``00:00:00``: a
   user's catalogue written from product ids) beside the same satellite and orbit, and
   HLS L30 tiles (keyed by their day, no satellite named): two looks, counted twice in
   ``s2_count`` and weighed twice in the median, exit 0.
2. A tile sensed after midnight UTC whose band files are named, as ESA names every file
   of a datatake, by the datatake's start the day before: a time series listing it under
   its own date (its STAC item's) and a ``most_recent`` mosaic's ``date:`` were refused
   as "acquired on" the day before.
3. A STAC API whose ``next`` link does not advance (it reads its paging token from
   elsewhere, pystac-client#617): its first page answered again and again, the repeats
   dropped as items seen, the composite of the first page's items alone, exit 0.
4. A STAC API that does not apply CQL2 ``filter`` (it reads only ``query``): items of 80
   and 95 % cloud kept under ``eo:cloud_cover: {lt: 30}``, exit 0.
5. An ``eo:cloud_cover`` written as text (``"12,5"``, ``"12.5%"``) or left unknown
   (``""``, ``"null"``) stopped every composite, the field unnamed.

SYNTHETIC 20 x 20 uint16 band files written into ``tmp_path`` with rasterio and listed in
item collections as a user's catalogue holds them, read through the real planning
(``plan_composite``, ``plan_raster``); SYNTHETIC STAC APIs on loopback (``http.server``).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from prospect.config.sources import RasterSource
from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import ConfigError, DataError, DataWarning, InputFileError
from prospect.ingest.stac_search import resolve_search
from prospect.timeseries import stack_dates
from tests.robustness.test_imagery_round30 import GRID, StacApi, _api_items, serving
from tests.robustness.test_imagery_round30 import _dn as _dn30
from tests.robustness.test_imagery_round30 import _read as _read30
from tests.robustness.test_imagery_round33 import (  # SYNTHETIC bands, items, planning
    PLAIN,
    _collection,
    _dated,
    _item,
    _plan,
    _write,
)
from tests.robustness.test_imagery_round35 import Tile, _across

# -- 1. one pass across midnight UTC stated by its day, and HLS L30 ----------------------------

DAY1, DAY2 = "2021-03-01T00:00:00Z", "2021-03-02T00:00:00Z"
"""Items stating only their day."""
S2A_30 = {"platform": "sentinel-2a", "sat:relative_orbit": 30}
L8_090 = {"platform": "landsat-8", "landsat:wrs_path": "090"}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            ("LC80900792021060LGN00", DAY1, {}),  # scene ids: 1e-4 DNs are no C2 L2's
            ("LC80900802021061LGN00", DAY2, {}),
        ),
        (
            ("scene-a", DAY1, L8_090),
            ("scene-b", DAY2, {"platform": "LANDSAT_8", "landsat:wrs_path": 90}),
        ),
        (("scene-a", DAY1, S2A_30), ("scene-b", DAY2, S2A_30)),
        (
            ("HLS.L30.T56KLA.2021060T235958.v2.0", "2021-03-01T23:59:58Z", {}),
            ("HLS.L30.T56KMA.2021061T000010.v2.0", "2021-03-02T00:00:10Z", {}),
        ),
        (
            ("HLS.L30.T56KLA.2021060T235958.v2.0", DAY1, {}),
            ("HLS.L30.T56KMA.2021061T000010.v2.0", DAY2, {}),
        ),
        (
            ("HLS.S30.T56KLA.2021060T235951.v2.0", DAY1, {}),
            ("HLS.S30.T56KMA.2021060T235951.v2.0", DAY2, {}),
        ),
    ],
    ids=["landsat-ids", "landsat-platform", "s2-orbit", "hls-l30", "hls-l30-days", "hls-s30-days"],
)
def test_one_pass_across_midnight_stated_by_its_day_is_one_look(
    tmp_path: Path, first: Tile, second: Tile
) -> None:
    """Two tiles of one pass on either side of midnight UTC whose items state only their
    day beside the same satellite and orbit (Landsat ids or a WRS path, a Sentinel-2
    relative orbit: each is flown again only after 16 or 10 days), or HLS L30 ids 12 s
    apart (keyed by their days, which never matched), or HLS items stating only their
    days (their ids' times, year and day of the year, were not read): two looks,
    ``s2_count`` 3 for 2 and the median this pass's 0.1 for 0.2, exit 0."""
    out = _across(tmp_path, first, second)
    assert (out["s2_count"][:, 6:14] == 2).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"][:, 6:14], 0.2, rtol=1e-5)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            ("scene-a", DAY1, L8_090),
            ("scene-b", DAY2, {"platform": "landsat-8", "landsat:wrs_path": 91}),
        ),
        (
            ("scene-a", DAY1, S2A_30),
            ("scene-b", DAY2, {"platform": "sentinel-2b", "sat:relative_orbit": 30}),
        ),
        (
            ("HLS.L30.T56KLA.2021060T222000.v2.0", "2021-03-01T22:20:00Z", {}),
            ("HLS.L30.T56KMA.2021061T000010.v2.0", "2021-03-02T00:00:10Z", {}),
        ),
        (
            ("HLS.L30.T56KLA.2021060T222000.v2.0", DAY1, {}),
            ("HLS.L30.T56KMA.2021061T000010.v2.0", DAY2, {}),
        ),
    ],
    ids=["other-path", "other-satellite", "l30-100-minutes", "l30-days-100-minutes"],
)
def test_two_passes_of_consecutive_days_stay_two_looks(
    tmp_path: Path, first: Tile, second: Tile
) -> None:
    """Control: another WRS path, another satellite on the same orbit, and L30 tiles 100
    minutes apart by their items' times or, for items stating only their days, by their
    ids' (the orbit before; L30 ids name no satellite, and Landsat 8 and 9 see one place
    on consecutive days from adjacent paths): three looks where the tiles overlap."""
    out = _across(tmp_path, first, second)
    assert (out["s2_count"][:, 6:14] == 3).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"][:, 6:14], 0.1, rtol=1e-5)


# -- 2. a tile after midnight named by its datatake's start the day before ----------------------

AFTER = {
    "s2-band-file": "/d/S2A_MSIL2A_20210301T235951_N0500_R030_T56KMA_20230101T000000.SAFE/"
    "T56KMA_20210301T235951_B04_10m.jp2",
    "hls-s30": "/d/HLS.S30.T56KMA.2021060T235951.v2.0.B04.tif",
}
"""A tile sensed at 00:00:03 UTC on 2021-03-02 of a datatake that began at 23:59:51."""
EARLIER = "/d/T56KMA_20200302T000510_B04_10m.jp2"
"""A tile of a datatake that began after midnight, listed under its day."""


def _series(later: str, day: str) -> None:
    cube = xr.Dataset({"red_a": _dated("red_a", EARLIER), "red_b": _dated("red_b", later)})
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2020-03-02", "bands": {"red": "red_a"}},
                {"date": day, "bands": {"red": "red_b"}},
            ],
            "difference": ["red"],
        }
    )
    stack_dates(cube, cfg)


@pytest.mark.parametrize("later", list(AFTER.values()), ids=list(AFTER))
def test_a_tile_after_midnight_is_listed_under_its_own_date(later: str) -> None:
    """A time series listing a tile sensed after midnight UTC under its own date
    (2021-03-02, as its STAC item and catalogue date it): refused as "acquired on
    2021-03-01", the datatake's start that names every band file, with no date it would
    take but the day before the tile was sensed."""
    _series(later, "2021-03-02")


@pytest.mark.parametrize(
    ("later", "day"),
    [
        (AFTER["s2-band-file"], "2021-03-03"),
        ("/d/T56KMA_20210301T221000_B04_10m.jp2", "2021-03-02"),
    ],
    ids=["two-days-after", "datatake-before-22-10"],
)
def test_a_tile_listed_a_day_past_its_datatake_is_refused(later: str, day: str) -> None:
    """Control: two days after the datatake, or the day after a datatake that began at
    22:10 (it ended before midnight), is another date: refused naming the file."""
    with pytest.raises(DataError, match=r"T56KMA_20210301T\d{6}_B04.*acquired on 2021-03-01"):
        _series(later, day)


def test_a_most_recent_mosaic_dates_a_tile_after_midnight_by_its_own_day(
    tmp_path: Path,
) -> None:
    """A ``most_recent`` mosaic whose scene of a tile sensed after midnight states its own
    ``date: 2021-03-02``: refused, "give 'date: 2021-03-01'"; now read, and the newer
    scene wins (0.2, not the older scene's 0.1)."""
    after = _dn30(tmp_path / "T56KMA_20210301T235951_B04_10m.tif", 2000)
    older = _dn30(tmp_path / "T56KMA_20210219T235951_B04_10m.tif", 1000)
    config = {
        "name": "s2",
        "mosaic": "most_recent",
        "scale": 1e-4,
        "scenes": [
            {"date": "2021-02-20", "bands": {"red": str(older)}},
            {"date": "2021-03-02", "bands": {"red": str(after)}},
        ],
    }
    out = _read30(config)
    np.testing.assert_allclose(out["red"], 0.2, rtol=1e-5)
    config["scenes"][1]["date"] = "2021-03-04"  # control: two days off stays refused
    with pytest.raises(ConfigError, match="give 'date: 2021-03-01'"):
        _read30(config)


# -- 3. and 4. STAC APIs that page or filter otherwise than they say --------------------------

FIVE = _api_items(5)
for n, it in enumerate(FIVE):
    it["properties"]["eo:cloud_cover"] = [10, 80, 20, 95, 5][n]


@pytest.fixture(scope="module")
def apis() -> Iterator[dict[str, str]]:
    """Three SYNTHETIC STAC APIs on loopback, answering five items in pages of two:
    ``stuck`` reads its page from the query string only while its ``next`` link is a
    POST body's ``token`` (pystac-client#617: the first page again and again); ``paged``
    reads the token it links; ``unfiltered`` answers every item whatever the ``filter``."""

    class Paged(StacApi):
        stuck = False
        filtered = True

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            start = 0 if self.stuck else int(body.get("token") or 0)
            items = FIVE
            if self.filtered and body.get("filter"):
                items = [i for i in FIVE if i["properties"]["eo:cloud_cover"] < 30]
            page = items[start : start + 2]
            root = f"http://127.0.0.1:{self.server.server_port}"
            links = []
            if start + 2 < len(items):
                links.append(
                    {
                        "rel": "next",
                        "href": f"{root}/search",
                        "method": "POST",
                        "body": {**body, "token": start + 2},
                    }
                )
            self._send({"type": "FeatureCollection", "features": page, "links": links})

    class Stuck(Paged):
        stuck = True

    class Unfiltered(Paged):
        filtered = False

    servers = [serving(Stuck), serving(Paged), serving(Unfiltered)]
    urls = [next(s) for s in servers]
    yield dict(zip(("stuck", "paged", "unfiltered"), urls, strict=True))
    for s in servers:
        s.close()


def _search(url: str, **extra: Any) -> RasterSource:
    return RasterSource.model_validate(
        {
            "name": "s2",
            "stac_search": {
                "url": url,
                "collections": ["sentinel-2-l2a"],
                "datetime": "2024-01-01/2024-03-31",
                **extra,
            },
            "assets": {"red": "red"},
            "composite": {"method": "median"},
        }
    )


def _ids(url: str, folder: Path, **extra: Any) -> tuple[list[str], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, ids, _ = resolve_search(_search(url, **extra), GRID, folder)
    return sorted(ids), [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def test_a_search_whose_next_link_repeats_its_page_is_refused(
    apis: dict[str, str], tmp_path: Path
) -> None:
    """An API answering its first page for every ``next`` link: the client took the
    repeats up to ``max_items``, they were dropped as seen, and two of five items made
    the composite, no warning, exit 0. Now refused in one line naming the API and why,
    and nothing is saved."""
    with pytest.raises(InputFileError) as err:
        _ids(apis["stuck"], tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert apis["stuck"] in message and "'next' link does not advance" in message, message
    assert "narrow stac_search.datetime" in message, message
    assert not (tmp_path / "s2.json").exists()


def test_a_search_paged_by_its_next_links_reads_every_page(
    apis: dict[str, str], tmp_path: Path
) -> None:
    """Control: the API that reads the token it links: all five items, no warning."""
    ids, told = _ids(apis["paged"], tmp_path)
    assert ids == [f"S2_{k}" for k in range(5)] and not told, (ids, told)


def test_a_filter_the_api_does_not_apply_is_applied_to_its_items(
    apis: dict[str, str], tmp_path: Path
) -> None:
    """``eo:cloud_cover: {lt: 30}`` sent to an API that does not apply CQL2 ``filter``:
    the items of 80 and 95 % cloud were kept (five of three), exit 0. Now they are
    dropped with a warning naming one, and the save holds the three."""
    ids, told = _ids(apis["unfiltered"], tmp_path, properties={"eo:cloud_cover": {"lt": 30}})
    assert ids == ["S2_0", "S2_2", "S2_4"], ids
    assert any("2 item(s)" in t and "eo:cloud_cover" in t and "'filter'" in t for t in told), told
    saved = json.loads((tmp_path / "s2.json").read_text())
    assert sorted(f["id"] for f in saved["features"]) == ids


def test_a_save_of_a_filter_the_api_did_not_apply_is_searched_again(
    apis: dict[str, str], tmp_path: Path
) -> None:
    """A run of before saved the unfiltered API's five items under the search's key: a
    rerun read the save, the items of 80 and 95 % cloud still in it. Now a save holding
    items its ``properties`` exclude is searched again."""
    from prospect.ingest.stac_search import search_key

    source = _search(apis["unfiltered"], properties={"eo:cloud_cover": {"lt": 30}})
    assert source.stac_search is not None
    key = search_key(source.stac_search, GRID.lonlat_bounds())
    (tmp_path / "s2.json").write_text(
        json.dumps({"type": "FeatureCollection", "features": FIVE, "prospect:search": key})
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, ids, reused = resolve_search(source, GRID, tmp_path)
    assert not reused and sorted(ids) == ["S2_0", "S2_2", "S2_4"], (reused, ids)


def test_a_filter_the_api_applies_is_read_as_before(apis: dict[str, str], tmp_path: Path) -> None:
    """Control: the API that applies the filter answers the three; no warning."""
    ids, told = _ids(apis["paged"], tmp_path, properties={"eo:cloud_cover": {"lt": 30}})
    assert ids == ["S2_0", "S2_2", "S2_4"] and not told, (ids, told)


# -- 5. eo:cloud_cover written as text or left unknown ------------------------------------------


def _clouded(root: Path, covers: list[Any], **spec: Any) -> dict[str, np.ndarray]:
    """Two items over the region (DN 1000 and 3000) stating ``covers``."""
    items = []
    for n, (cover, dn) in enumerate(zip(covers, (1000, 3000), strict=False)):
        band = _write(root / f"t{n}" / "B04.tif", dn)
        items.append(
            _item(
                f"scene-{n}",
                band,
                f"2021-03-0{n + 1}T10:40:21Z",
                {"eo:cloud_cover": cover},
                **{"raster:bands": [PLAIN]},
            )
        )
    return _plan(
        {"name": "s2", "stac": str(_collection(root, items)), "assets": {"red": "B04"}, **spec}
    )


@pytest.mark.parametrize(
    "covers", [["40,0", "12,5"], ["40.0 %", "12.5%"]], ids=["decimal-comma", "percent-sign"]
)
def test_a_least_cloudy_mosaic_reads_cloud_cover_written_as_text(
    tmp_path: Path, covers: list[str]
) -> None:
    """Items of a catalogue written from a spreadsheet, ``eo:cloud_cover: "12,5"`` or
    ``"12.5%"``: the mosaic stopped, "a malformed value (could not convert string to
    float...)". Now read: the scene of 12.5 % (0.3) is taken before that of 40 %."""
    out = _clouded(tmp_path, covers, mosaic="least_cloudy")
    np.testing.assert_allclose(out["red"], 0.3, rtol=1e-5)


@pytest.mark.parametrize("cover", ["", "null", "n/a"], ids=["empty", "null-quoted", "n-a"])
def test_a_composite_reads_items_whose_cloud_cover_is_unknown(tmp_path: Path, cover: str) -> None:
    """An empty cell, a quoted ``null`` or ``n/a`` for an unknown cloud cover stopped a
    median composite that never uses it. Now read as unknown (as USGS's -1)."""
    out = _clouded(tmp_path, [cover, cover], composite={"method": "median"})
    np.testing.assert_allclose(out["red"], 0.2, rtol=1e-5)
    assert (out["s2_count"] == 2).all()


def test_a_cloud_cover_that_is_no_percentage_is_refused_naming_the_field(tmp_path: Path) -> None:
    """``eo:cloud_cover: "cloudy"``: "a malformed value (could not convert string to
    float: 'cloudy')", without the field. Now the field and its value are named."""
    with pytest.raises(DataError) as err:
        _clouded(tmp_path, ["cloudy", 5], composite={"method": "median"})
    message = str(err.value)
    assert "item 'scene-0'" in message and "eo:cloud_cover 'cloudy'" in message, message
