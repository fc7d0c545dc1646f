"""Tile delivery as partner agencies' clients meet it, round 40: WMS sizes written as
decimals (``WIDTH=64.0``), ``TRANSPARENT=1`` and ``BGCOLOR=#102030`` refused, GetFeatureInfo
pixels at fractional positions refused, a browser page sending ``Authorization`` refused
at the CORS preflight (so the 401 saying where to send the key never reached it), and
GeoServer's WMTS REST template without an extension (``.../{TileCol}?format=image/png``)
refused as no tile URL.

A live ``prospect serve`` (uvicorn on loopback, in this process) serves a SYNTHETIC COG in
EPSG:4326 over the Netherlands (5-6 E, 52-53 N, a west-to-east ramp in ppm) as a public
layer and as a private one, with one SYNTHETIC agency key and one allowed CORS origin.
httpx asks as Leaflet, OpenLayers, a browser page and clients moved from GeoServer do.
Each non-control case failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from tests.robustness.test_serving_round35 import _cog  # 200 x 200 cells, 5-6 E, 52-53 N
from tiles.auth import hash_key
from tiles.testing import live_server

KEY = "pk_" + "Synthetic0Round40Key_for-tests-only_0000000"
"""A SYNTHETIC agency key granted the private layer."""
ORIGIN = "https://viewer.partner.example"
"""The one page origin the SYNTHETIC serve config allows (``cors_origins``)."""
MAP = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "ramp",
       "STYLES": "", "CRS": "EPSG:4326", "BBOX": "52.1,5.1,52.6,5.6", "WIDTH": "64",
       "HEIGHT": "64", "FORMAT": "image/png"}
"""A WMS 1.3.0 GetMap of 64 x 64 pixels over 5.1-5.6 E, 52.1-52.6 N (north first)."""
INFO = {**MAP, "REQUEST": "GetFeatureInfo", "QUERY_LAYERS": "ramp", "I": "10", "J": "32",
        "INFO_FORMAT": "application/json"}
"""GetFeatureInfo of the pixel (10, 32) of :data:`MAP`."""
PNG = b"\x89PNG\r\n\x1a\n"
REST = "/wmts/1.0.0/ramp/default/WebMercatorQuad/8/84/131"
"""A WMTS REST tile (8/131/84, over the ramp) as GeoServer's template writes it, no
extension."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``prospect serve`` of the SYNTHETIC ramp, public and private, one CORS origin."""
    root = tmp_path_factory.mktemp("round40")
    _cog(root / "ramp.tif", np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)),
         float("nan"))
    layers = [{"name": "ramp", "cog": "ramp.tif", "public": True, "title": "Ramp",
               "units": "ppm"},
              {"name": "private", "cog": "ramp.tif", "title": "Private"}]
    keys = [{"agency": "Partner survey", "key_sha256": hash_key(KEY), "layers": ["private"]}]
    (root / "serve.yaml").write_text(yaml.safe_dump(
        {"title": "Round 40 (synthetic)", "layers": layers, "keys": keys,
         "cors_origins": [ORIGIN]}, sort_keys=False))
    with live_server(root / "serve.yaml") as live, live.client() as client:
        yield client


# -- WMS sizes and pixels written as decimals, TRANSPARENT written 1/0 -----------------------

@pytest.mark.parametrize("size", ["64.0", "64.", "64.00"])
def test_a_wms_size_written_as_a_decimal_draws_the_map(served: Any, size: str) -> None:
    """``WIDTH=64.0`` (OpenLayers' and Leaflet's WMS plugins sizing a map by arithmetic at
    a device pixel ratio) was refused "WIDTH must be an integer", though it names 64
    pixels exactly: every map of such a client a 400. Now the same map as ``WIDTH=64``."""
    answer = served.get("/wms", params={**MAP, "WIDTH": size, "HEIGHT": size})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.content.startswith(PNG)
    assert answer.content == served.get("/wms", params=MAP).content


def test_a_legend_size_written_as_a_decimal_draws_the_legend(served: Any) -> None:
    """The same in GetLegendGraphic's WIDTH and HEIGHT (``WIDTH=120.0``)."""
    params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic",
              "LAYER": "ramp", "FORMAT": "image/png"}
    answer = served.get("/wms", params={**params, "WIDTH": "120.0", "HEIGHT": "60.0"})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.content == served.get(
        "/wms", params={**params, "WIDTH": "120", "HEIGHT": "60"}).content


def test_a_fractional_wms_size_is_told_to_round_it(served: Any) -> None:
    """``WIDTH=64.5`` names no image: still refused, now saying to round it (64 or 65),
    the value and the parameter named."""
    answer = served.get("/wms", params={**MAP, "WIDTH": "64.5"})
    assert answer.status_code == 400
    assert "WIDTH must be an integer" in answer.text and "'64.5'" in answer.text
    assert "round it (64 or 65)" in answer.text, answer.text[:400]


@pytest.mark.parametrize("text", ["64e0", "-64.0", "0.0", "sixty"])
def test_control_a_size_that_is_no_pixel_count_is_refused(served: Any, text: str) -> None:
    """Control: a WIDTH that names no whole positive count (an exponent, a sign, zero, a
    word) is refused as before."""
    answer = served.get("/wms", params={**MAP, "WIDTH": text})
    assert answer.status_code == 400
    assert "WIDTH must be an integer 1..4096" in answer.text, answer.text[:400]


@pytest.mark.parametrize(("sent", "meant"), [("1", "TRUE"), ("0", "FALSE")])
def test_transparent_written_as_a_number_draws_the_map(
        served: Any, sent: str, meant: str) -> None:
    """``TRANSPARENT=1`` (``transparent: 1`` in a Leaflet WMS layer's options, copied into
    the query) was refused "TRANSPARENT must be TRUE or FALSE": every tile a 400. Now the
    map ``TRANSPARENT=TRUE`` (``0``: FALSE) draws."""
    answer = served.get("/wms", params={**MAP, "TRANSPARENT": sent})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.content == served.get("/wms", params={**MAP, "TRANSPARENT": meant}).content


@pytest.mark.parametrize("sent", ["maybe", "yes", "2"])
def test_control_transparent_meaning_neither_is_refused(served: Any, sent: str) -> None:
    """Control: ``TRANSPARENT=maybe`` (or ``yes``, ``2``) still refused, naming the value."""
    answer = served.get("/wms", params={**MAP, "TRANSPARENT": sent})
    assert answer.status_code == 400
    assert f"TRANSPARENT must be TRUE or FALSE, got {sent!r}" in answer.text


@pytest.mark.parametrize("colour", ["#102030", "#10203a", "#10203A"])
def test_a_css_background_colour_draws_the_map(served: Any, colour: str) -> None:
    """``BGCOLOR=#102030`` (a web client's layer option written as the CSS colour its
    page uses; GeoServer reads it) was refused "BGCOLOR must be a colour written
    0xRRGGBB": every map a 400. Now the map on that colour, as ``0x102030``."""
    opaque = {**MAP, "TRANSPARENT": "FALSE"}
    answer = served.get("/wms", params={**opaque, "BGCOLOR": colour})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.content == served.get(
        "/wms", params={**opaque, "BGCOLOR": "0x" + colour[1:]}).content


def test_a_bare_hex_background_colour_is_told_how_to_write_it(served: Any) -> None:
    """``BGCOLOR=102030`` (no prefix: decimal to some servers, hex to others) is still
    refused, now giving the value to write (``BGCOLOR=0x102030``)."""
    answer = served.get("/wms", params={**MAP, "BGCOLOR": "102030"})
    assert answer.status_code == 400
    assert "got '102030': write BGCOLOR=0x102030" in answer.text, answer.text[:400]


@pytest.mark.parametrize("colour", ["white", "0x1020304"])
def test_control_a_background_colour_in_no_form_read_is_refused(
        served: Any, colour: str) -> None:
    """Control: a colour name, seven digits: refused as before (CSS's 3-digit ``#fff`` is
    read since round 41, and a name's refusal now also gives its ``0xRRGGBB``)."""
    answer = served.get("/wms", params={**MAP, "BGCOLOR": colour})
    assert answer.status_code == 400
    assert f"BGCOLOR must be a colour written 0xRRGGBB (e.g. 0xFFFFFF for white), got " \
           f"{colour!r}" in answer.text, answer.text[:400]


@pytest.mark.parametrize(("i", "j"), [("10.0", "32.0"), ("10.4", "32.9")])
def test_a_feature_info_pixel_written_as_a_decimal_is_that_pixel(
        served: Any, i: str, j: str) -> None:
    """A GetFeatureInfo click at a fractional container point (Leaflet's at fractional
    zooms: ``I=10.4``) was refused "must be integer pixel positions", the click lost. Now
    the value of the pixel it falls in (10, 32), the same answer as ``I=10&J=32``."""
    answer = served.get("/wms", params={**INFO, "I": i, "J": j})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json() == served.get("/wms", params=INFO).json()


def test_a_fractional_feature_info_pixel_outside_the_map_names_the_range(served: Any) -> None:
    """``I=64.2`` falls in pixel 64, outside a 64-pixel map: still refused, now naming the
    pixels inside the map (it was "must be integer pixel positions")."""
    answer = served.get("/wms", params={**INFO, "I": "64.2"})
    assert answer.status_code == 400
    assert "must lie inside WIDTH x HEIGHT" in answer.text, answer.text[:400]


# -- a browser page sending a key in a header the server does not read -------------------------

@pytest.mark.parametrize("header", ["Authorization", "apikey", "X-Auth-Token"])
def test_a_page_sending_a_key_header_passes_the_preflight_and_is_told_where_to_send_it(
        served: Any, header: str) -> None:
    """A page of an allowed origin sending its key as ``Authorization: Bearer``
    (MapLibre's ``transformRequest``) or ``apikey`` had its CORS preflight refused: the
    request never left the browser, and the 401 saying "send it in X-API-Key" (round 39)
    reached no page, only a CORS line in the console. Now the preflight passes and the
    page reads the 401 that says where to send the key."""
    preflight = served.options("/tiles/private/8/131/84.png", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": header.lower()})
    assert preflight.status_code == 200, preflight.text[:400]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert header.lower() in allowed, allowed
    value = f"Bearer {KEY}" if header == "Authorization" else KEY
    answer = served.get("/tiles/private/8/131/84.png",
                        headers={"Origin": ORIGIN, header: value})
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "'X-API-Key'" in answer.json()["error"] and KEY not in answer.text


def test_control_a_preflight_of_another_header_is_still_refused(served: Any) -> None:
    """Control: a header neither read nor a key's (``X-Requested-With``) is refused at the
    preflight as before, naming the headers a page may send."""
    preflight = served.options("/tiles/ramp/8/131/84.png", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-requested-with"})
    assert preflight.status_code == 400
    assert "X-Requested-With" in preflight.text or "x-requested-with" in preflight.text
    assert "X-API-Key" in preflight.text


# -- GeoServer's REST tile template without an extension -------------------------------------

@pytest.mark.parametrize("query", [{"format": "image/png"}, {"FORMAT": "image/png8"},
                                   {"format": "image/png; mode=8bit"}])
def test_a_geoserver_rest_tile_without_extension_gets_the_tile(
        served: Any, query: dict[str, str]) -> None:
    """GeoServer's (GeoWebCache's) WMTS REST template is
    ``.../{TileMatrix}/{TileRow}/{TileCol}?format=image/png``, with no extension; clients
    moved from GeoServer keep it. It was refused as no tile URL. Now it is the tile, with no
    ``Warning`` of an unread dimension for ``format``."""
    answer = served.get(REST, params=query)
    assert answer.status_code == 200, answer.text[:400]
    assert answer.content == served.get("/tiles/ramp/8/131/84.png").content
    assert "warning" not in answer.headers, answer.headers


def test_a_geoserver_rest_tile_asking_jpeg_is_refused_naming_the_format(served: Any) -> None:
    """``?format=image/jpeg`` on such a URL: refused saying JPEG is not served and which
    formats are (it was refused as no tile URL, naming no format)."""
    answer = served.get(REST, params={"format": "image/jpeg"})
    assert answer.status_code == 400
    assert "format must be image/png or image/webp, got 'image/jpeg'" in answer.text, \
        answer.text[:400]
    assert 'locator="format"' in answer.text


def test_control_a_rest_tile_without_extension_or_format_is_refused(served: Any) -> None:
    """Control: no extension and no ``format``: refused as before, naming the URL form."""
    answer = served.get(REST)
    assert answer.status_code == 400
    assert "WMTS tile URLs are" in answer.text, answer.text[:400]
