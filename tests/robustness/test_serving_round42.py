"""Tile delivery as web maps set up for high-density screens, for TiTiler or for TMS meet
it, round 42: legends asked at a pixel density (``/legend/ramp@2x.png``, as a page names
the image for a high-density screen beside its ``@2x`` tiles) refused as a layer name of
characters not allowed ("got 'ramp@2x'"); a class map's legend asked at 320 x 84 answered
its taller default; tile sizes asked by query (``?tilesize=512``, TiTiler's parameter, and
Terracotta's ``?tile_size=[512,512]``, on tile URLs and TileJSON links) ignored: a 256 px
tile to a map laying 512 px ones, a TileJSON saying ``"tileSize": 256``; and tiles asked
in TMS's row order (Leaflet's ``tms: true``) answered as the blank tiles of the mirror
place without a word.

A live ``prospect serve`` (uvicorn on loopback, in this process) serves SYNTHETIC COGs in
EPSG:4326 over the Netherlands (5-6 E, 52-53 N): a west-to-east ramp in ppm as a public
layer (twice: ``ramp`` and ``mirror``) and as a private one (one SYNTHETIC agency key),
and a unit map of 12 classes (``LAYER_TYPE=thematic``). httpx asks for legends, tiles and
TileJSON as Leaflet, MapLibre and TiTiler-minded pages write their URLs. Each non-control
case failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.robustness.test_serving_round35 import _cog  # 200 x 200 cells, 5-6 E, 52-53 N
from tiles.auth import hash_key
from tiles.testing import live_server

KEY = "pk_" + "Synthetic0Round42Key_for-tests-only_0000000"
"""A SYNTHETIC agency key granted the private layer."""
TILE = "/tiles/ramp/8/131/84"
"""An XYZ tile over the ramp, without its extension."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``prospect serve`` of the SYNTHETIC ramp (public and private) and unit map."""
    root = tmp_path_factory.mktemp("round42")
    _cog(root / "ramp.tif", np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)),
         float("nan"))
    cells = np.arange(200 * 200).reshape(200, 200)
    _cog(root / "units.tif", (cells % 12 + 1).astype("i2"), -1)
    (root / "serve.yaml").write_text(
        "title: Round 42 (synthetic)\n"
        "layers:\n"
        "  - {name: ramp, cog: ramp.tif, public: true, title: Ramp, units: ppm}\n"
        "  - {name: private, cog: ramp.tif, title: Private}\n"
        "  - {name: units, cog: units.tif, public: true, title: Units}\n"
        "  - {name: mirror, cog: ramp.tif, public: true, title: Mirror}\n"
        "keys:\n"
        f"  - agency: Partner survey\n    key_sha256: {hash_key(KEY)}\n"
        "    layers: [private]\n")
    with live_server(root / "serve.yaml") as live, live.client() as client:
        yield client


def _size(answer: Any) -> tuple[int, int]:
    """Width and height of the PNG or WebP image in ``answer`` (a 200)."""
    assert answer.status_code == 200, answer.text[:300]
    with Image.open(io.BytesIO(answer.content)) as image:
        return image.size


def _error(answer: Any, status: int) -> str:
    """The one-line ``error`` of a JSON refusal ``answer`` of ``status``."""
    assert answer.status_code == status, (answer.status_code, answer.text[:300])
    text = str(answer.json()["error"])
    assert "\n" not in text and "Traceback" not in text
    return text


# -- legends at a pixel density ------------------------------------------------------------

def test_a_legend_at_2x_is_drawn_at_twice_the_pixels(served: Any) -> None:
    """``/legend/ramp@2x.png`` (the name a page gives the legend for a high-density
    screen, as it asks ``{y}@2x.png`` tiles) was refused 400 "layer names are ASCII
    letters, digits, '_' and '-' only ..., got 'ramp@2x'": the page was told its layer
    name was wrong. Now it is the same legend at twice the pixels (640 x 168), under its
    own ETag."""
    one = served.get("/legend/ramp.png")
    two = served.get("/legend/ramp@2x.png")
    assert _size(one) == (320, 84)
    assert _size(two) == (640, 168)
    assert two.headers["etag"] != one.headers["etag"]
    assert two.headers["cache-control"].startswith("public")


def test_a_class_map_legend_and_a_sized_legend_at_2x_are_twice_theirs(served: Any) -> None:
    """A class map's legend (as tall as its classes) and a legend asked ``?width=100&
    height=40`` at ``@2x`` were refused as the layer names ``units@2x`` and ``ramp@2x``.
    Now each is twice its 1x size."""
    width, height = _size(served.get("/legend/units.png"))
    assert _size(served.get("/legend/units@2x.png")) == (2 * width, 2 * height)
    assert _size(served.get("/legend/ramp@2x.png?width=100&height=40")) == (200, 80)


def test_a_private_layer_legend_at_2x_reads_with_its_key(served: Any) -> None:
    """``/legend/private@2x.png?key=...`` was refused 400 as a layer name, the key never
    looked at. Now the key's layer is drawn at 2x, private to the caller; without the key
    it is the 401 of the 1x legend."""
    answer = served.get("/legend/private@2x.png", params={"key": KEY})
    assert _size(answer) == (640, 168)
    assert answer.headers["cache-control"].startswith("private")
    assert "API key" in _error(served.get("/legend/private@2x.png"), 401)


@pytest.mark.parametrize("sent", ["ramp@1x.png", "ramp@1X.png"])
def test_a_legend_at_scale_one_is_sent_to_its_url(served: Any, sent: str) -> None:
    """``/legend/ramp@1x.png`` (TiTiler's scale 1, as its templates write it) was refused
    as a layer name. Now a 301 to the legend's one URL, ``/legend/ramp.png``."""
    answer = served.get(f"/legend/{sent}")
    assert answer.status_code == 301, answer.text[:300]
    assert answer.headers["location"] == "/legend/ramp.png"


@pytest.mark.parametrize("scale", ["3", "1.5"])
def test_a_legend_at_another_scale_is_told_to_ask_2x(served: Any, scale: str) -> None:
    """``/legend/ramp@3x.png`` and ``@1.5x`` were told the layer name ``ramp@3x`` was not
    one. Now the refusal names the scale and the two legends drawn, and says to ask
    ``@2x``."""
    text = _error(served.get(f"/legend/ramp@{scale}x.png"), 400)
    assert f"@{scale}x" in text and "/legend/ramp@2x.png" in text, text
    assert "layer names are" not in text, text


def test_a_legend_of_no_layer_at_2x_names_the_layer(served: Any) -> None:
    """``/legend/nope@2x.png`` was told "layer names are ASCII letters, ..., got
    'nope@2x'" where ``/legend/nope.png`` is told the layer is unknown. Now the same 404
    naming ``nope``."""
    assert "unknown layer 'nope'" in _error(served.get("/legend/nope@2x.png"), 404)


@pytest.mark.parametrize("url", [
    "/legend/units.png?width=320&height=84",
    "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER=units&FORMAT=image/png"
    "&SLD_VERSION=1.1.0&WIDTH=320&HEIGHT=84"])
def test_a_class_map_legend_asked_320_by_84_is_that_size(served: Any, url: str) -> None:
    """A class map's legend asked at 320 x 84 (the size of every ramp's legend here, as a
    client sizing all its legend boxes alike asks it) was answered its own default, as
    tall as its classes (320 x 148), as if no size were asked: 320 x 84 stood for "the
    default" inside the server. Now it is 320 x 84, in /legend and GetLegendGraphic."""
    assert _size(served.get(url)) == (320, 84)


def test_control_legend_sizes_left_out_are_the_layers_own(served: Any) -> None:
    """Control: a class map's legend without a size (in /legend and GetLegendGraphic) is
    as tall as its classes, one asked only its width keeps that height, and a ramp's
    legend asked at 320 x 84 is its default (the same ETag as without a size)."""
    own = _size(served.get("/legend/units.png"))
    assert own[0] == 320 and own[1] > 84
    assert _size(served.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic",
        "LAYER": "units", "FORMAT": "image/png", "SLD_VERSION": "1.1.0"})) == own
    assert _size(served.get("/legend/units.png?width=320")) == own
    sized = served.get("/legend/ramp.png?width=320&height=84")
    assert sized.headers["etag"] == served.get("/legend/ramp.png").headers["etag"]


# -- tile sizes asked by query (TiTiler's ?tilesize=) ---------------------------------------

@pytest.mark.parametrize(("query", "location"), [
    ("tilesize=512", f"{TILE}@2x.png"),
    ("TileSize=512&foo=1", f"{TILE}@2x.png?foo=1"),
    ("tilesize=256&foo=1", f"{TILE}.png?foo=1"),
    ("tile_size=[512,512]", f"{TILE}@2x.png"),
    ("tile_size=%5B256%2C%20256%5D", f"{TILE}.png")])
def test_a_tile_size_asked_by_query_is_sent_to_its_tile(
        served: Any, query: str, location: str) -> None:
    """``/tiles/ramp/8/131/84.png?tilesize=512`` (TiTiler's parameter: a map set up for
    TiTiler asks 512 px tiles so) was answered the 256 px tile, the parameter ignored: a
    map laying 512 px tiles stretched each to twice its pixels (blurred); Terracotta's
    ``?tile_size=[512,512]`` too. Now a 301 to the tile of that size (``@2x``), the rest of
    the query kept; 256 to the tile's one URL."""
    answer = served.get(f"{TILE}.png?{query}")
    assert answer.status_code == 301, answer.text[:300]
    assert answer.headers["location"] == location


def test_a_512_px_tile_by_query_arrives_512_px(served: Any) -> None:
    """The same, followed as a browser does: a WebP tile asked ``?tile_size=512`` was 256
    px; now the redirect ends at the 512 px tile."""
    answer = served.get(f"{TILE}.webp?tile_size=512", follow_redirects=True)
    assert _size(answer) == (512, 512)


def test_a_private_tile_size_keeps_its_key(served: Any) -> None:
    """A private tile asked ``?tilesize=512&key=...`` was the 256 px tile; now it is sent
    to its ``@2x`` URL with the key kept in the query, and read there with it."""
    answer = served.get(f"/tiles/private/8/131/84.png?tilesize=512&key={KEY}")
    assert answer.status_code == 301, answer.text[:300]
    assert answer.headers["location"] == f"/tiles/private/8/131/84@2x.png?key={KEY}"
    assert answer.headers["cache-control"].startswith("private")
    assert _size(served.get(answer.headers["location"])) == (512, 512)


@pytest.mark.parametrize(("url", "said"), [
    (f"{TILE}.png?tilesize=1024", "got '1024'"),
    (f"{TILE}.png?tilesize=abc", "got 'abc'"),
    (f"{TILE}.png?tile_size=[512,256]", "got '[512,256]'"),
    (f"{TILE}@2x.png?tilesize=256", "asks 256 px")])
def test_a_tile_size_not_drawn_is_refused_naming_the_sizes(
        served: Any, url: str, said: str) -> None:
    """``?tilesize=1024``, ``?tilesize=abc`` and ``?tile_size=[512,256]`` (not square) were
    answered a 256 px tile, and a 512 px ``@2x`` tile asked ``tilesize=256`` the 512 px
    one, without a word. Now each is a 400 naming the parameter, the value and the sizes
    drawn."""
    text = _error(served.get(url), 400)
    assert ("'tilesize'" in text or "'tile_size'" in text or "?tilesize=" in text), text
    assert said in text, text
    assert "256" in text and ("512" in text or "84.png" in text), text


def test_a_tilejson_of_512_px_tiles_names_them(served: Any) -> None:
    """``/tilejson/ramp.json?tilesize=512`` (a MapLibre source set up as TiTiler's
    documentation writes it) said ``"tileSize": 256`` and named the 256 px tiles: the map
    drew them stretched to twice their pixels (blurred). Now ``tileSize`` is 512 and the
    tiles and the legend are the ``@2x`` ones."""
    doc = served.get("/tilejson/ramp.json?tilesize=512").json()
    assert doc["tileSize"] == 512
    assert doc["tiles"][0].endswith("/tiles/ramp/{z}/{x}/{y}@2x.png"), doc["tiles"]
    assert doc["prospect"]["legend"].endswith("/legend/ramp@2x.png")
    text = _error(served.get("/tilejson/ramp.json?tilesize=300"), 400)
    assert "tilesize" in text and "got '300'" in text, text


def test_control_urls_without_a_size_or_scale_are_as_before(served: Any) -> None:
    """Control: a tile, its ``@2x``, the TileJSON and the legend without a size asked are
    as before (256 px, 512 px, ``"tileSize": 256``, 320 x 84), and a WMTS GetTile with a
    stray ``tilesize`` (no WMTS parameter) is its 256 px tile."""
    assert _size(served.get(f"{TILE}.png")) == (256, 256)
    assert _size(served.get(f"{TILE}@2x.png")) == (512, 512)
    doc = served.get("/tilejson/ramp.json").json()
    assert doc["tileSize"] == 256 and doc["tiles"][0].endswith("/{y}.png")
    assert _size(served.get("/legend/ramp.png")) == (320, 84)
    kvp = served.get("/wmts", params={
        "SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": "ramp",
        "STYLE": "default", "TILEMATRIXSET": "WebMercatorQuad", "TILEMATRIX": "8",
        "TILEROW": "84", "TILECOL": "131", "FORMAT": "image/png", "tilesize": "512"})
    assert _size(kvp) == (256, 256)


def test_control_legend_names_not_served_are_refused_as_before(served: Any) -> None:
    """Control: ``/legend/nope.png`` names the unknown layer ``nope`` (404), and a layer
    name of characters not allowed (``ra mp``, ``ramp@x``: no scale) is still 400."""
    assert "'nope'" in _error(served.get("/legend/nope.png"), 404)
    assert "layer names are" in _error(served.get("/legend/ra%20mp.png"), 400)
    assert "layer names are" in _error(served.get("/legend/ramp@x.png"), 400)


# -- tiles asked in TMS's row order ------------------------------------------------------

@pytest.mark.parametrize(("url", "meant"), [
    ("/tiles/ramp/8/131/171.png", "8/131/84"), ("/tiles/ramp/7/65/85@2x.png", "7/65/42")])
def test_a_tile_asked_in_tms_rows_says_the_row_meant(
        served: Any, url: str, meant: str) -> None:
    """A map set to TMS rows over these XYZ tiles (Leaflet's ``tms: true``, QGIS's
    ``{-y}``, as GeoServer's and MapProxy's TMS endpoints ask) asks the rows of the mirror
    place in the other hemisphere (8/131/171 for the ramp's 8/131/84, at 52 N): each was
    the blank tile of that place, 200, without a word, and the map stayed empty. The tile
    is still the one asked (a map may pan there), with a ``Warning`` naming the tile meant
    and the client setting to change."""
    answer = served.get(url)
    assert answer.status_code == 200, answer.text[:300]
    warning = answer.headers.get("warning", "")
    assert warning.startswith('299 prospect "'), answer.headers
    assert meant in warning and "tms: true" in warning and "{-y}" in warning, warning


def test_tms_rows_are_said_once_in_the_server_log(
        served: Any, caplog: pytest.LogCaptureFixture) -> None:
    """The server's operator (to whom a partner says "your map is empty") had nothing in
    the log. Now the first tile of a layer asked in TMS rows writes one warning naming the
    layer and the tile meant; the next tiles write none."""
    with caplog.at_level(logging.WARNING, logger="prospect.tiles"):
        for row in (171, 170, 171):
            assert served.get(f"/tiles/mirror/8/131/{row}.png").status_code == 200
    said = [r.getMessage() for r in caplog.records if "TMS rows" in r.getMessage()]
    assert len(said) == 1, said
    assert "layer 'mirror'" in said[0] and "8/131/84" in said[0], said


def test_control_tiles_over_the_layer_or_away_from_both_rows_carry_no_warning(
        served: Any) -> None:
    """Control: a tile over the layer (8/131/84), one beside it whose TMS row is no nearer
    (8/131/100: 52 S is not there either) and one in another column (8/140/171) carry no
    ``Warning``."""
    for url in ("/tiles/ramp/8/131/84.png", "/tiles/ramp/8/131/100.png",
                "/tiles/ramp/8/140/171.png"):
        answer = served.get(url)
        assert answer.status_code == 200 and "warning" not in answer.headers, url
