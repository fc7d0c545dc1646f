"""Tile delivery, round 52: one layer holding every date of a cube variable, ``TIME=``
picking the map (a serve layer's ``dates: all``), over WMS 1.3.0 and 1.1.1 (GetCapabilities,
GetMap, GetFeatureInfo, GetLegendGraphic), WMTS (REST ``{Time}`` and KVP ``TIME``), XYZ
tiles' and ``/point``'s ``?time=`` and TileJSON, with GDAL's WMS and WMTS drivers.

A layer was one map: each date of a variable stacked over dates was a layer of its own, its
capabilities' ``Dimension`` holding that one date, and ``dates: all`` was "unknown key". A
time-aware client (QGIS's temporal controller, Leaflet's and OpenLayers' time plugins,
GDAL's WMS driver with ``TIME=``) expects one layer whose ``time`` dimension lists every
date, the latest its default.

The cube is a SYNTHETIC zarr v3 store written here (round 44's: ``X`` stacked over
2019-06-01, 2020-06-01 and 2021-06-01, 1, 9 and 17 everywhere, dims ``(time, y, x)``;
``heat`` one map of no date), served by a live ``prospect serve`` (uvicorn on loopback)
asked by httpx as layers ``xs`` (``dates: all``), ``x2020`` (``date: 2020-06-01``) and
``heat``. Each non-control case failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.robustness.conftest import assert_clean_error, run_in_process
from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tests.robustness.test_serving_round45 import _get_map
from tests.robustness.test_serving_round48 import KVP, _wms_refusal
from tiles.testing import live_server

WMS = "{http://www.opengis.net/wms}"
WMTS = "{http://www.opengis.net/wmts/1.0}"
OWS = "{http://www.opengis.net/ows/1.1}"
SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "ogc_schemas_wmts_wms"
EVERY = ",".join(DATES)
POINT = {"lon": 5.5, "lat": 52.5}
TILE = "WebMercatorQuad/7/41/65.png"  # REST: {TileMatrix}/{TileRow}/{TileCol}
VALUES = dict(zip(DATES, (1.0, 9.0, 17.0), strict=True))


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the SYNTHETIC cube."""
    folder = tmp_path_factory.mktemp("round52time")
    _cube(folder / "cube.zarr", DATES)
    return folder


@pytest.fixture(scope="module")
def served(root: Path) -> Iterator[Any]:
    """``prospect serve`` of xs (every date of X), x2020 (one date of X) and heat."""
    config = _config(
        root,
        "  - {name: xs, cube: cube.zarr, variable: X, dates: all, public: true}\n"
        "  - {name: x2020, cube: cube.zarr, variable: X, date: 2020-06-01, public: true}\n"
        "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n",
    )
    with live_server(config) as live, live.client() as client:
        yield client


@pytest.fixture(scope="module")
def plain(root: Path) -> Iterator[Any]:
    """``prospect serve`` of x2020 (one date of X) and heat alone, as before the round."""
    config = root / "plain.yaml"
    config.write_text(
        "title: Round 52 (synthetic)\nlayers:\n"
        "  - {name: x2020, cube: cube.zarr, variable: X, date: 2020-06-01, public: true}\n"
        "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n"
    )
    with live_server(config) as live, live.client() as client:
        yield client


def _png(r: Any) -> bytes:
    assert r.status_code == 200, (r.status_code, r.text[:400])
    assert r.headers["content-type"] == "image/png" and "warning" not in r.headers, r.headers
    return bytes(r.content)


def _xs_map(served: Any, version: str = "1.3.0", **extra: Any) -> Any:
    return served.get("/wms", params=_get_map(version, LAYERS="xs", **extra))


def _ows_refusal(r: Any, locator: str) -> str:
    """The text of a WMTS ``InvalidParameterValue`` at ``locator``."""
    assert r.status_code == 400, (r.status_code, r.text[:300])
    exc = ET.fromstring(r.content).find(f"{OWS}Exception")
    assert exc is not None and exc.attrib["exceptionCode"] == "InvalidParameterValue", r.text
    assert exc.attrib.get("locator") == locator, r.text
    text = exc.findtext(f"{OWS}ExceptionText") or ""
    assert "Traceback" not in text and "internal error" not in text, text
    return text


def _json_refusal(r: Any) -> str:
    assert r.status_code == 400, (r.status_code, r.text[:300])
    message = str(r.json().get("error", r.json()))
    assert "Traceback" not in message and "internal error" not in message, message
    return message


# -- 1. the capabilities: one layer, every date in its time dimension ---------------------


def test_wms_130_capabilities_list_every_date_of_one_layer(served: Any) -> None:
    """WMS 1.3.0: layer xs's ``<Dimension name="time">`` lists the three dates, its
    default the latest, and its title names no one date; the document is schema-valid."""
    r = served.get(
        "/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}
    )
    assert r.status_code == 200, r.text[:300]
    layers = {la.findtext(f"{WMS}Name"): la for la in ET.fromstring(r.content).iter(f"{WMS}Layer")}
    dim = layers["xs"].find(f"{WMS}Dimension")
    assert dim is not None and dim.attrib["name"] == "time", r.text[:3000]
    assert dim.attrib["units"] == "ISO8601" and dim.attrib["default"] == "2021-06-01"
    assert (dim.text or "").strip() == EVERY
    assert layers["xs"].findtext(f"{WMS}Title") == "Xs (synthetic data)"
    one = layers["x2020"].find(f"{WMS}Dimension")  # a layer of one date: as before
    assert one is not None and one.text == "2020-06-01" and one.attrib["default"] == "2020-06-01"
    if SCHEMAS.is_dir():
        from lxml import etree

        from tiles.testing import wms_130_schema

        xsd = wms_130_schema(SCHEMAS)
        doc = etree.fromstring(r.content, etree.XMLParser(no_network=True))
        assert xsd.validate(doc), xsd.error_log.last_error


def test_wms_111_capabilities_list_every_date_in_the_extent(served: Any) -> None:
    """WMS 1.1.1: ``<Extent name="time" default="2021-06-01">`` holds the three dates."""
    r = served.get(
        "/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.1.1"}
    )
    assert r.status_code == 200, r.text[:300]
    for layer in ET.fromstring(r.content).iter("Layer"):
        if layer.findtext("Name") == "xs":
            extent = layer.find("Extent")
            assert extent is not None and extent.attrib["default"] == "2021-06-01"
            assert extent.text == EVERY
            return
    raise AssertionError(r.text[:3000])


@pytest.mark.parametrize(
    "path", ["/wmts/1.0.0/WMTSCapabilities.xml", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities"]
)
def test_wmts_capabilities_list_every_date_of_one_layer(served: Any, path: str) -> None:
    """WMTS (REST and KVP): layer xs's ``Dimension`` ``time`` has a ``Value`` per date and
    the latest as ``Default``; the REST templates hold ``{Time}``; schema-valid."""
    r = served.get(path)
    assert r.status_code == 200, r.text[:300]
    for layer in ET.fromstring(r.content).iter(f"{WMTS}Layer"):
        if layer.findtext(f"{OWS}Identifier") != "xs":
            continue
        dim = layer.find(f"{WMTS}Dimension")
        assert dim is not None and dim.findtext(f"{OWS}Identifier") == "time"
        assert dim.findtext(f"{WMTS}Default") == "2021-06-01"
        assert [v.text for v in dim.findall(f"{WMTS}Value")] == DATES
        assert layer.findtext(f"{OWS}Title") == "Xs (synthetic data)"
        templates = [u.attrib["template"] for u in layer.findall(f"{WMTS}ResourceURL")]
        assert all("/xs/{Style}/{Time}/{TileMatrixSet}/" in t for t in templates), templates
        break
    else:
        raise AssertionError(r.text[:3000])
    if SCHEMAS.is_dir():
        from lxml import etree

        parser = etree.XMLParser(no_network=True)
        xsd = etree.XMLSchema(
            etree.parse(str(SCHEMAS / "wmts/1.0/wmtsGetCapabilities_response.xsd"), parser)
        )
        assert xsd.validate(etree.fromstring(r.content, parser)), xsd.error_log.last_error


# -- 2. TIME picks the map; none is the latest ----------------------------------------------


@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_a_getmap_time_picks_that_dates_map(served: Any, version: str) -> None:
    """GetMap of xs with ``TIME=2020-06-01`` is byte for byte x2020's map (one colour
    range over the dates); each date's map differs; a time on the day, its month and a
    range holding it alone are that map too."""
    mine = _png(_xs_map(served, version, TIME="2020-06-01"))
    theirs = _png(served.get("/wms", params=_get_map(version, LAYERS="x2020")))
    assert mine == theirs
    maps = {d: _png(_xs_map(served, version, TIME=d)) for d in DATES}
    assert len(set(maps.values())) == 3
    for time in ("2020-06-01T10:30:00Z", "2020-06", "2020", "2020-01-01/2020-12-31"):
        assert _png(_xs_map(served, version, TIME=time)) == mine, time


@pytest.mark.parametrize("time", [None, "", "default", "current", "2021-06-01"])
def test_a_getmap_without_a_time_is_the_latest_date(served: Any, time: str | None) -> None:
    """No ``TIME`` (and an empty one, ``default``, ``current``) is the dimension's default,
    2021-06-01: the same map and ETag as ``TIME=2021-06-01``."""
    plain = _xs_map(served)
    asked = _xs_map(served) if time is None else _xs_map(served, TIME=time)
    assert _png(asked) == _png(_xs_map(served, TIME="2021-06-01")) == _png(plain)
    assert asked.headers["etag"] == plain.headers["etag"]


def test_wmts_and_xyz_tiles_and_point_take_the_date(served: Any) -> None:
    """The REST ``{Time}`` segment, KVP ``TIME`` and an XYZ tile's ``?time=`` pick the
    date's tile (one tile for the three forms); ``/point?time=`` its value."""
    tiles = {}
    for day in DATES:
        rest = _png(served.get(f"/wmts/1.0.0/xs/default/{day}/{TILE}"))
        kvp = _png(
            served.get(
                "/wmts",
                params={
                    **KVP,
                    "LAYER": "xs",
                    "TILEMATRIX": 7,
                    "TILEROW": 41,
                    "TILECOL": 65,
                    "TIME": day,
                },
            )
        )
        xyz = _png(served.get("/tiles/xs/7/65/41.png", params={"time": day}))
        assert rest == kvp == xyz, day
        tiles[day] = rest
        r = served.get("/point/xs", params={**POINT, "time": day})
        assert r.status_code == 200 and r.json()["value"] == VALUES[day], r.text[:300]
    assert len(set(tiles.values())) == 3
    assert _png(served.get("/tiles/xs/7/65/41.png")) == tiles["2021-06-01"]
    assert served.get("/point/xs", params=POINT).json()["value"] == 17.0


def test_feature_info_reads_the_date_asked(served: Any) -> None:
    """GetFeatureInfo of xs at ``TIME=2019-06-01`` gives 2019's value (1), without one
    the latest's (17)."""
    query = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetFeatureInfo",
        "LAYERS": "xs",
        "QUERY_LAYERS": "xs",
        "STYLES": "",
        "CRS": "CRS:84",
        "BBOX": "5,52,6,53",
        "WIDTH": 32,
        "HEIGHT": 32,
        "I": 16,
        "J": 16,
        "INFO_FORMAT": "application/json",
    }
    for time, value in (("2019-06-01", 1.0), (None, 17.0)):
        r = served.get("/wms", params={**query, **({"TIME": time} if time else {})})
        assert r.status_code == 200, r.text[:300]
        assert r.json()["features"][0]["properties"]["value"] == value, r.text[:300]


# -- 3. a date the layer has not, and several dates on one map: refused ---------------------


@pytest.mark.parametrize(
    ("time", "nearest"),
    [("2020-07-01", "2020-06-01"), ("2018-01-01", "2019-06-01"), ("2030", "2021-06-01")],
)
def test_a_time_of_none_of_its_dates_is_refused_naming_them(
    served: Any, time: str, nearest: str
) -> None:
    """``TIME`` holding none of xs's dates is ``InvalidDimensionValue`` listing them and
    naming the nearest (by WMS); the REST ``{Time}`` and ``/point`` the same in their
    forms."""
    text = _wms_refusal(_xs_map(served, TIME=time))
    assert f"TIME={time!r} is not one of its dates" in text, text
    assert EVERY.replace(",", ", ") in text and f"the nearest is {nearest}" in text, text
    text = _ows_refusal(served.get(f"/wmts/1.0.0/xs/default/{time}/{TILE}"), "Time")
    assert f"the nearest is {nearest}" in text, text
    message = _json_refusal(served.get("/point/xs", params={**POINT, "time": time}))
    assert f"the nearest is {nearest}: time={nearest}" in message, message


@pytest.mark.parametrize(
    "time", ["2020-06-01/2021-06-01", "2020-06-01,2021-06-01", "2020/..", "xyz"]
)
def test_several_dates_or_none_on_one_map_are_refused(served: Any, time: str) -> None:
    """A range holding several of its dates, a list of times (WMS 1.3.0 annex C: a map is
    one date), or no date at all is ``InvalidDimensionValue`` naming its dates (it was
    "unknown key 'dates'": no such layer)."""
    text = _wms_refusal(_xs_map(served, TIME=time))
    assert "layer 'xs' holds the maps of 3 dates" in text, text
    if "/" in time:
        assert "holds 2 of its dates" in text and "ask one of them, e.g. TIME=" in text, text
    else:
        assert EVERY.replace(",", ", ") in text, text


def test_a_dates_layer_names_the_time_layer_for_another_date(served: Any) -> None:
    """x2020 (one date) asked ``TIME=2019-06-01`` names xs, which holds that date, and
    how to ask it (it said the dates were layers of their own)."""
    r = served.get("/wms", params=_get_map("1.3.0", LAYERS="x2020", TIME="2019-06-01"))
    text = _wms_refusal(r)
    assert "the map of 2019-06-01 is layer 'xs' at TIME=2019-06-01" in text, text


# -- 4. conditional requests, TileJSON and the legend per date -------------------------------


def test_each_date_has_its_own_etag(served: Any) -> None:
    """Each date's tile has its own ETag: one date's ETag revalidates that date's tile
    (304) and not another date's (200, the tile)."""
    tags = {d: served.get(f"/wmts/1.0.0/xs/default/{d}/{TILE}").headers["etag"] for d in DATES}
    assert len(set(tags.values())) == 3
    again = served.get(
        f"/wmts/1.0.0/xs/default/2019-06-01/{TILE}", headers={"If-None-Match": tags["2019-06-01"]}
    )
    assert again.status_code == 304
    other = served.get(
        f"/wmts/1.0.0/xs/default/2020-06-01/{TILE}", headers={"If-None-Match": tags["2019-06-01"]}
    )
    assert other.status_code == 200 and other.headers["etag"] == tags["2020-06-01"]


def test_a_tilejson_of_a_date_gives_that_dates_tile_urls(served: Any) -> None:
    """``/tilejson/xs.json?time=2019-06-01`` gives tile and legend URLs carrying the date
    (``{time}``-free, as TileJSON has no dimension), its tiles 2019's, and ``prospect.date``
    and ``prospect.dates`` (for a time control); without a time the URLs are the
    default's."""
    doc = served.get("/tilejson/xs.json", params={"time": "2019-06-01"}).json()
    url = doc["tiles"][0]
    assert url.endswith("/tiles/xs/{z}/{x}/{y}.png?time=2019-06-01"), url
    assert doc["prospect"]["legend"].endswith("/legend/xs.png?time=2019-06-01")
    assert doc["prospect"]["date"] == "2019-06-01" and doc["prospect"]["dates"] == DATES
    tile = _png(served.get(url.format(z=7, x=65, y=41)))
    assert tile == _png(served.get(f"/wmts/1.0.0/xs/default/2019-06-01/{TILE}"))
    plain = served.get("/tilejson/xs.json").json()
    assert plain["tiles"][0].endswith("/tiles/xs/{z}/{x}/{y}.png"), plain
    assert plain["prospect"]["date"] == "2021-06-01", plain
    text = _json_refusal(served.get("/tilejson/xs.json", params={"time": "2017-01-01"}))
    assert "the nearest is 2019-06-01" in text, text


def test_a_legend_of_a_time_layer_takes_its_dates(served: Any) -> None:
    """The legend (one colour range over the dates) is given at any of xs's dates, and a
    date it has not is refused as by GetMap (WMS and ``/legend``)."""
    legend = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetLegendGraphic",
        "FORMAT": "image/png",
        "LAYER": "xs",
    }
    first = _png(served.get("/wms", params={**legend, "TIME": "2019-06-01"}))
    assert first == _png(served.get("/wms", params=legend))
    assert "the nearest is" in _wms_refusal(served.get("/wms", params={**legend, "TIME": "2017"}))
    assert "the nearest is" in _json_refusal(served.get("/legend/xs.png", params={"time": "2017"}))


# -- 5. the config, and a real client -------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "code", "needles"),
    [
        (
            "{name: xs, cube: cube.zarr, variable: heat, dates: all}",
            1,
            ("variable 'heat' has no time axis", "remove dates:"),
        ),
        (
            "{name: xs, cube: cube.zarr, variable: X, dates: all, date: 2020-06-01}",
            2,
            ("'dates: all'", "not both"),
        ),
        ("{name: xs, cog: cube.zarr, dates: all}", 2, ("a COG is one map", "remove 'dates:'")),
    ],
)
def test_a_dates_layer_config_at_fault_is_refused_saying_why(
    root: Path, layer: str, code: int, needles: tuple[str, ...]
) -> None:
    """``prospect serve --check`` of ``dates: all`` on a variable of no time axis (exit 1,
    as its data), beside ``date:`` or on a COG (exit 2, the config's): one ``error:`` line
    saying why, no traceback."""
    path = root / "bad.yaml"
    path.write_text(f"title: t\nlayers:\n  - {layer}\n")
    assert_clean_error(run_in_process("serve", path, "--check"), code, *needles)


def test_a_variable_of_several_maps_a_day_is_refused_at_start_up(tmp_path: Path) -> None:
    """``dates: all`` on a SYNTHETIC variable of two maps on 2020-06-01 (10:00 and 14:00,
    as a cube of another tool holds scenes) is refused by ``serve --check`` naming the day
    and its times, with the resample to one map a day; not at the first request of it."""
    import warnings

    import numpy as np
    import pandas as pd
    import xarray as xr

    times = pd.to_datetime(["2020-06-01T10:00", "2020-06-01T14:00", "2021-06-01T00:00"])
    coords = {"time": times, "y": 52.995 - 0.01 * np.arange(20), "x": 5.005 + 0.01 * np.arange(20)}
    stacked = xr.DataArray(np.ones((3, 20, 20), "f4"), dims=("time", "y", "x"), coords=coords)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xr.Dataset({"X": stacked}).rio.write_crs("EPSG:4326").to_zarr(
            tmp_path / "c.zarr", zarr_format=3, consolidated=True, mode="w"
        )
    path = tmp_path / "s.yaml"
    path.write_text("title: t\nlayers:\n  - {name: xs, cube: c.zarr, variable: X, dates: all}\n")
    assert_clean_error(
        run_in_process("serve", path, "--check"), 1, "2020-06-01 at 10:00, 14:00", ".resample("
    )


def test_a_variable_of_dates_served_without_a_date_names_dates_all(root: Path) -> None:
    """A layer of X without ``date:`` is refused at start-up (it is three maps); the
    message now names ``dates: all`` beside ``date:``."""
    path = root / "nodate.yaml"
    path.write_text("title: t\nlayers:\n  - {name: x, cube: cube.zarr, variable: X}\n")
    assert_clean_error(
        run_in_process("serve", path, "--check"), 1, "has 3 maps", "date: 2021-06-01", "dates: all"
    )


def test_a_dates_all_config_checks_clean(root: Path) -> None:
    """``dates: all`` on X passes ``prospect serve --check`` (exit 0; it was "unknown key
    'layers.0.dates'")."""
    path = root / "good.yaml"
    path.write_text("title: t\nlayers:\n  - {name: xs, cube: cube.zarr, variable: X, dates: all}\n")
    result = run_in_process("serve", path, "--check")
    assert result.code == 0, result.out + result.err


@pytest.mark.skipif(
    shutil.which("gdal_translate") is None, reason="needs GDAL (Debian package gdal-bin)"
)
def test_gdal_reads_the_wms_at_each_time_and_the_wmts_layer(served: Any, tmp_path: Path) -> None:
    """GDAL's WMS driver given ``TIME=`` draws that date's map (viridis' purple at 1, its
    yellow at 17); its WMTS driver opens the layer, titled without a date."""
    import rasterio

    base = str(served.base_url).rstrip("/")
    colour = {}
    for day in ("2019-06-01", "2021-06-01"):
        out = tmp_path / f"{day}.tif"
        url = (
            f"WMS:{base}/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=xs"
            f"&SRS=EPSG:4326&BBOX=5,52,6,53&FORMAT=image/png&TIME={day}"
        )
        done = subprocess.run(
            [
                "gdal_translate",
                "-q",
                "-outsize",
                "8",
                "8",
                "-projwin",
                "5.1",
                "52.9",
                "5.9",
                "52.1",
                url,
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        with rasterio.open(out) as ds:
            colour[day] = tuple(int(ds.read(b)[4, 4]) for b in (1, 2, 3))
    assert colour == {"2019-06-01": (68, 1, 84), "2021-06-01": (253, 231, 37)}, colour
    info = subprocess.run(
        ["gdalinfo", f"WMTS:{base}/wmts/1.0.0/WMTSCapabilities.xml,layer=xs"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert info.returncode == 0, info.stderr[-2000:]
    assert "TITLE=Xs (synthetic data)" in info.stdout, info.stdout[-2000:]


# -- controls ------------------------------------------------------------------------------


def test_control_a_layer_of_one_date_is_served_as_before(plain: Any) -> None:
    """Control: where no layer has ``dates: all``, x2020 (``date:``) declares its one
    date, is its map at its date and without one, and another date is refused naming its
    date and that its other dates are layers of their own."""
    r = plain.get(
        "/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}
    )
    assert (
        '<Dimension name="time" units="ISO8601" default="2020-06-01" nearestValue="0">'
        "2020-06-01</Dimension>" in r.text
    ), r.text[:3000]
    untimed = _png(plain.get("/wms", params=_get_map("1.3.0", LAYERS="x2020")))
    asked = _png(plain.get("/wms", params=_get_map("1.3.0", LAYERS="x2020", TIME="2020-06-01")))
    assert untimed == asked
    text = _wms_refusal(
        plain.get("/wms", params=_get_map("1.3.0", LAYERS="x2020", TIME="2019-06-01"))
    )
    assert "layer 'x2020' is the map of 2020-06-01" in text, text
    assert "its other dates are served as layers of their own" in text, text


def test_control_a_map_of_no_date_ignores_a_time_with_a_warning(plain: Any) -> None:
    """Control: heat (one map) answers a ``TIME`` with its map and a ``Warning``."""
    r = plain.get("/wms", params=_get_map("1.3.0", LAYERS="heat", TIME="2020-06-01"))
    assert r.status_code == 200 and "ignored" in r.headers.get("warning", ""), r.headers
