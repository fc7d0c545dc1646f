"""Tile delivery, round 51: an ETag sent without its quotes (``If-None-Match: 29d8...``, as
copied from ``curl -I`` into ``curl -H``), a ``TIME`` range ending at ``T24:00`` (the end
of its day), a legend asked at a print's or a high-density screen's dots per inch
(GeoServer's ``LEGEND_OPTIONS=dpi:180``, ``DPI=``, ``FORMAT_OPTIONS=dpi:``, MapServer's
``MAP_RESOLUTION=``), a class map's TileJSON and archives without its code-to-name
table, and the tiles stage's note on the viewer in a folder whose path holds ``#``,
``%``, a space or a letter outside ASCII.

The served cube is a SYNTHETIC zarr v3 store written here (``X`` stacked over three
dates, 1, 9 and 17 everywhere; ``heat`` one map of no date; ``units`` a unit map of codes
1, 2 and 7 of ``prospect_kind: categorical`` and no code table), served as layers x2020,
x2021, heat and units by a live ``prospect serve`` (uvicorn on loopback) asked by httpx.
The stage case runs ``prospect ingest`` and ``prospect tiles`` of the tiny SYNTHETIC job
(with a SYNTHETIC unit map) through the real CLI in this process. Each non-control case
failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.robustness.test_serving_round44 import DATES, _config
from tests.robustness.test_serving_round44 import _cube as _dated_cube
from tests.robustness.test_serving_round45 import _get_map
from tests.robustness.test_serving_round48 import _wms_refusal
from tests.robustness.test_tiles_round50 import _blocks
from tests.robustness.test_tiles_round50 import _cube as _unit_cube
from tiles.testing import live_server

from .conftest import Sandbox, write_tiny_raster

OGC = "{http://www.opengis.net/ogc}"
TILE = "/tiles/heat/7/65/41.png"
LEGEND = {
    "SERVICE": "WMS",
    "VERSION": "1.3.0",
    "REQUEST": "GetLegendGraphic",
    "FORMAT": "image/png",
    "LAYER": "heat",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An httpx client of ``prospect serve`` of SYNTHETIC X at 2020-06-01 (x2020) and
    2021-06-01 (x2021), ``heat`` (no date) and ``units`` (a class map of codes 1, 2, 7)."""
    root = tmp_path_factory.mktemp("round51serve")
    _dated_cube(root / "cube.zarr", DATES)
    _unit_cube(
        root / "units.zarr",
        _blocks((1.0, 2.0, 7.0)),
        prospect_kind="categorical",
        valid_range=[1, 7],
        units="1",
    )
    config = _config(
        root,
        "  - {name: x2020, cube: cube.zarr, variable: X, date: 2020-06-01, public: true}\n"
        "  - {name: x2021, cube: cube.zarr, variable: X, date: 2021-06-01, public: true}\n"
        "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n"
        "  - {name: units, cube: units.zarr, variable: geo, public: true}\n",
    )
    with live_server(config) as live, live.client() as client:
        yield client


def _png_size(content: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(content)) as img:
        assert img.format == "PNG"
        return img.size


def _exception(r: Any) -> Any:
    """The one ServiceException of a WMS 1.3.0 400."""
    assert r.status_code == 400, (r.status_code, r.text[:300])
    exc = ET.fromstring(r.content).find(f"{OGC}ServiceException")
    assert exc is not None, r.text
    text = exc.text or ""
    assert "Traceback" not in text and "internal error" not in text, text
    return exc


# -- 1. an ETag sent without its quotes -----------------------------------------------------


def _tag(served: Any, path: str) -> str:
    r = served.get(path)
    assert r.status_code == 200, r.text[:300]
    tag = str(r.headers["etag"])
    assert tag.startswith('"') and tag.endswith('"'), tag
    return tag


@pytest.mark.parametrize("form", ["bare", "weak-bare", "listed-bare"])
@pytest.mark.parametrize("path", [TILE, "/tilejson/heat.json"])
def test_an_unquoted_etag_in_if_none_match_is_matched(served: Any, path: str, form: str) -> None:
    """``If-None-Match: 29d8...`` (the ETag's value without its quotes, as a user copies
    it from ``curl -I`` into ``curl -H``, or a client stores it stripped), ``W/29d8...``
    and such a tag in a list were matched by nothing: 200 and the whole tile or document
    on every revalidation. Now each is the quoted tag it names: 304."""
    bare = _tag(served, path).strip('"')
    sent = {"bare": bare, "weak-bare": f"W/{bare}", "listed-bare": f'"other", {bare}'}[form]
    r = served.get(path, headers={"If-None-Match": sent})
    assert r.status_code == 304, (sent, r.status_code)
    assert r.content == b""


def test_an_unquoted_etag_in_if_match_is_the_current_version(served: Any) -> None:
    """``If-Match: 29d8...`` of the current version (a resumed download's precondition,
    typed without quotes) was a 412 "does not name the current version"; now the map."""
    tag = _tag(served, "/tilejson/heat.json")
    r = served.get("/tilejson/heat.json", headers={"If-Match": tag.strip('"')})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["name"] == "heat"


def test_control_other_tags_quoted_or_not_are_not_matched(served: Any) -> None:
    """control: a quoted tag is matched as before; another tag, quoted or not, and a tag
    of a stray quote are not (the whole tile); a weak tag never satisfies ``If-Match``
    (412, saying why)."""
    tag = _tag(served, TILE)
    assert served.get(TILE, headers={"If-None-Match": tag}).status_code == 304
    for other in ("abc", '"abc"', tag[:-1], "W/abc"):
        r = served.get(TILE, headers={"If-None-Match": other})
        assert r.status_code == 200 and r.content[:4] == b"\x89PNG", other
    r = served.get("/tilejson/heat.json", headers={"If-Match": f"W/{tag.strip(chr(34))}"})
    assert r.status_code == 412, r.status_code
    assert "does not name the current version" in r.json()["error"]


# -- 2. a TIME range ending at 24:00 --------------------------------------------------------


@pytest.mark.parametrize(
    "time", ["2021-05-31T00:00Z/2021-05-31T24:00Z", "2021-05-31/2021-05-31T24:00:00Z"]
)
def test_a_range_ending_at_24_00_holds_only_the_day_it_ends(served: Any, time: str) -> None:
    """``TIME=2021-05-31T00:00Z/2021-05-31T24:00Z`` (ISO 8601's whole day 2021-05-31, its
    end written as that day's 24:00) held 2021-06-01 too (24:00 read as the next day's
    first instant), so x2021 drew its map of 2021-06-01 for a day that has none. Now the
    range ends with 2021-05-31: "not one of its dates", by WMS and ``/point``."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    assert "holds none of its dates" in text, text  # a range's words since round 66
    r = served.get("/point/x2021", params={"lon": 5.5, "lat": 52.5, "time": time})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert "holds none of its dates" in r.json()["error"]


def test_control_ranges_to_a_midnight_or_through_the_day_are_read_as_before(
    served: Any,
) -> None:
    """control: a range through 2021-06-01's 24:00, or to 2021-06-01's own midnight
    (``T00:00``, a time on that day), is x2021's map, byte for byte that of
    ``TIME=2021-06-01``; 24:00 alone is still the next day's start."""
    plain = served.get("/wms", params=_get_map("1.3.0", TIME="2021-06-01"))
    assert plain.status_code == 200 and plain.headers["content-type"] == "image/png"
    for time in (
        "2021-06-01T00:00Z/2021-06-01T24:00Z",
        "2021-05-31T00:00Z/2021-06-01T00:00Z",
        "2021-05-31T24:00Z",
    ):
        r = served.get("/wms", params=_get_map("1.3.0", TIME=time))
        assert r.status_code == 200, (time, r.text[:300])
        assert r.content == plain.content, time


# -- 3. a legend asked at a dots per inch ---------------------------------------------------


@pytest.fixture(scope="module")
def legends(served: Any) -> dict[str, bytes]:
    """heat's 1x and 2x legends by their own URLs."""
    found = {}
    for name, path in (("1x", "/legend/heat.png"), ("2x", "/legend/heat@2x.png")):
        r = served.get(path)
        assert r.status_code == 200, r.text[:300]
        found[name] = bytes(r.content)
    return found


@pytest.mark.parametrize(
    "asked",
    [
        {"LEGEND_OPTIONS": "dpi:180"},
        {"LEGEND_OPTIONS": "fontSize:12;dpi:192;bgColor:0xFFFFFF"},
        {"DPI": "180"},
        {"dpi": "192"},
        {"FORMAT_OPTIONS": "dpi:180"},
        {"MAP_RESOLUTION": "180"},
    ],
    ids=["legend-options", "among-options", "dpi", "lower-dpi", "format-options", "mapserver"],
)
def test_a_legend_at_a_high_dpi_is_the_2x_legend(
    served: Any, legends: dict[str, bytes], asked: dict[str, str]
) -> None:
    """GetLegendGraphic with GeoServer's ``LEGEND_OPTIONS=dpi:180`` (a print or a
    high-density screen asking the legend beside its map), ``DPI=``, ``FORMAT_OPTIONS``'s
    ``dpi:`` or MapServer's ``MAP_RESOLUTION=`` was the 1x legend (320 x 84) without a
    word: half the size the client laid out. Now the 2x legend, byte for byte
    ``/legend/heat@2x.png``."""
    r = served.get("/wms", params={**LEGEND, **asked})
    assert r.status_code == 200, r.text[:300]
    assert "warning" not in r.headers, r.headers.get("warning")
    assert _png_size(r.content) == (640, 168)
    assert r.content == legends["2x"]


def test_a_legend_past_the_2x_dpi_says_it_is_the_2x_one(served: Any) -> None:
    """``DPI=300`` (a print) was the 1x legend without a word; now the 2x legend, its
    ``Warning`` saying the densities drawn."""
    r = served.get("/wms", params={**LEGEND, "DPI": "300"})
    assert r.status_code == 200, r.text[:300]
    assert _png_size(r.content) == (640, 168)
    warning = r.headers["warning"]
    assert "DPI=300" in warning and "drawn at 1x (90.7 dpi) and 2x (181.4 dpi)" in warning


@pytest.mark.parametrize(
    ("asked", "locator", "needle"),
    [
        ({"DPI": "abc"}, "DPI", "DPI='abc': the legend's dots per inch must be a number"),
        ({"LEGEND_OPTIONS": "dpi:0"}, "LEGEND_OPTIONS", "LEGEND_OPTIONS dpi:'0'"),
        (
            {"DPI": "96", "LEGEND_OPTIONS": "dpi:180"},
            "DPI",
            "LEGEND_OPTIONS dpi:180 and DPI=96 ask the legend at different dots per inch",
        ),
    ],
    ids=["no-number", "zero", "two-dpi"],
)
def test_a_legend_dpi_that_is_none_is_refused_naming_it(
    served: Any, asked: dict[str, str], locator: str, needle: str
) -> None:
    """A dpi that is no number above 0, or two parameters asking different dpi, drew the
    1x legend; now ``InvalidParameterValue`` naming the parameter."""
    exc = _exception(served.get("/wms", params={**LEGEND, **asked}))
    assert exc.attrib["code"] == "InvalidParameterValue" and exc.attrib["locator"] == locator
    assert needle in (exc.text or ""), exc.text


@pytest.mark.parametrize(
    "asked",
    [{}, {"DPI": "96"}, {"DPI": "90.7"}, {"LEGEND_OPTIONS": "fontSize:12"}, {"DPI": "72"}],
    ids=["none", "96", "ogc", "no-dpi-option", "72"],
)
def test_control_a_legend_at_a_screens_dpi_is_the_1x_legend(
    served: Any, legends: dict[str, bytes], asked: dict[str, str]
) -> None:
    """control: no dpi, a screen's (96, OGC's 90.7, 72) or options without ``dpi:`` are
    the 1x legend, byte for byte ``/legend/heat.png``."""
    r = served.get("/wms", params={**LEGEND, **asked})
    assert r.status_code == 200, r.text[:300]
    assert r.content == legends["1x"]


# -- 4. a class map's code table in its TileJSON --------------------------------------------


def _tile_colours(content: bytes) -> set[str]:
    from PIL import Image

    with Image.open(io.BytesIO(content)) as img:
        rgba = np.asarray(img.convert("RGBA")).reshape(-1, 4)
    from tiles.colormap import css_colour

    return {css_colour(c[:3]) for c in np.unique(rgba[rgba[:, 3] > 0], axis=0)}


def test_a_served_class_maps_tilejson_names_its_classes_and_colours(served: Any) -> None:
    """``/tilejson/units.json`` of a class map carried its colour stops but no class table:
    a client could tell the units apart by colour and name none. Now ``prospect.classes``
    gives each code's name and the colour its tiles draw it in; heat (values) has none."""
    doc = served.get("/tilejson/units.json").json()
    classes = doc["prospect"]["classes"]
    assert set(classes) == {"1", "2", "7"}
    assert all(entry["name"] == "" for entry in classes.values())
    tile = served.get("/tiles/units/7/65/41.png")
    assert tile.status_code == 200
    drawn = _tile_colours(tile.content)  # the tile holds two of the three units
    assert len(drawn) >= 2 and drawn <= {entry["colour"] for entry in classes.values()}
    assert "classes" not in served.get("/tilejson/heat.json").json()["prospect"]


# -- 5. the tiles stage: archives' class table, the viewer's note --------------------------


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Sandbox, Any]:
    """The tiny SYNTHETIC job with a unit map of codes 1, 2 and 7 (``values:
    categorical``, no code table) in a folder named ``Lot #3 é%20``, ingested and tiled
    once with PMTiles and MBTiles archives."""
    from .conftest import run_in_process

    box = Sandbox(tmp_path_factory.mktemp("round51tiles") / "Lot #3 é%20")
    codes = _blocks((1.0, 2.0, 7.0)).astype("int16")
    write_tiny_raster(box.root / "units.tif", values=codes, nodata=-1)
    sources = [
        *box.job()["sources"],
        {"kind": "raster", "name": "units", "path": "units.tif", "values": "categorical"},
    ]
    box.write_job(
        sources=sources,
        tiles={
            "min_zoom": 13,
            "max_zoom": 13,
            "archive_formats": ["pmtiles", "mbtiles"],
            "layers": [{"variable": "units"}],
        },
    )
    result = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.out + result.err
    tiled = run_in_process("tiles", box.job_path, "-o", box.out, "--scheduler", scheduler)
    return box, tiled


def test_the_stages_archives_of_a_class_map_hold_its_class_table(
    staged: tuple[Sandbox, Any],
) -> None:
    """The stage's ``tilejson.json``, its PMTiles metadata and its MBTiles ``prospect``
    row of a unit map held no class table: a partner given the ``.pmtiles`` alone could
    name no class. Now each holds ``prospect.classes``, the codes with the colours the
    archive's tiles draw them in."""
    from pmtiles.reader import MmapSource, Reader

    box, result = staged
    assert result.code == 0, result.out + result.err
    tiles = box.out / "tiles"
    doc = json.loads((tiles / "units" / "tilejson.json").read_text())
    classes = doc["prospect"]["classes"]
    assert set(classes) == {"1", "2", "7"}
    drawn: set[str] = set()
    for tile in (tiles / "units").rglob("*.png"):
        if tile.name.startswith("legend"):
            continue
        drawn |= _tile_colours(tile.read_bytes())
    assert drawn == {entry["colour"] for entry in classes.values()}
    with open(tiles / "units.pmtiles", "rb") as f:
        assert Reader(MmapSource(f)).metadata()["prospect"]["classes"] == classes
    db = sqlite3.connect(tiles / "units.mbtiles")
    try:
        row = db.execute("SELECT value FROM metadata WHERE name = 'prospect'").fetchone()
    finally:
        db.close()
    assert json.loads(row[0])["prospect"]["classes"] == classes


def test_the_stage_gives_the_viewers_file_url_where_its_path_reads_otherwise(
    staged: tuple[Sandbox, Any],
) -> None:
    """The stage printed "viewer: .../Lot #3 é%20/out/viewer/index.html (open it in a
    browser)": pasted into a browser, ``#`` began a fragment (file not found) and ``%20``
    read as a space. Now it also gives the ``file://`` URL, each escaped, which opens."""
    box, result = staged
    text = result.out + result.err
    assert result.code == 0, text
    assert "Traceback" not in text and "internal error" not in text
    index = box.out / "viewer" / "index.html"
    url = index.absolute().as_uri()
    assert "%23" in url and "%2520" in url and "%C3%A9" in url
    flat = re.sub(r"\s+", "", text)  # the console wraps long lines
    assert url in flat, text
    assert index.is_file()


def test_the_viewers_url_is_noted_only_where_its_path_needs_one(tmp_path: Path) -> None:
    """The note's rule (``tiles.viewer.viewer_note``, new): a viewer under a path a
    browser reads as written keeps the note it had, byte for byte; one with a space gets
    its URL."""
    from tiles.viewer import viewer_note

    plain = tmp_path / "out" / "viewer" / "index.html"
    assert viewer_note(plain) == f"viewer: {plain} (open it in a browser)"
    spaced = tmp_path / "my out" / "viewer" / "index.html"
    assert spaced.absolute().as_uri() in viewer_note(spaced)
