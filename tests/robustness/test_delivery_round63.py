"""Delivery, round 63: a tile server published under a proxy's sub-path (``public_url:
https://maps.example.org/prospect``) named its own paths without the sub-path in its
refusals (round 62b left it), and the MBTiles ``center`` row carried the binary error of
its sum (``-68.30000000000001``).

Behind such a proxy every link the server hands out is under ``/prospect`` (TileJSON,
capabilities, the viewer's page), but its refusals said "no such endpoint '/nothing/here';
see /viewer/, /layers, ..." of ``/prospect/nothing/here``, "GET /layers lists the layers",
"tile URLs are /tiles/{layer}/...", "legend URLs are /legend/{layer}.png": paths the proxy
does not publish (its own 404, or another site's pages on the same host). The server is
the app of a serve config of round 44's SYNTHETIC zarr v3 cube (``heat``, three dates)
with ``public_url:``, in process (Starlette's ``TestClient``: no socket is needed); the
proxy (passing the sub-path on, or stripping it) is played by the test. The MBTiles
archive is packed by :func:`tiles.archive.write_mbtiles` from a SYNTHETIC one-tile
pyramid over Bonaire's longitudes. All data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import anyio
import pytest
from PIL import Image
from starlette.testclient import TestClient

from prospect.config.tiles import load_serve_config
from tests.robustness.test_serving_round44 import DATES, _cube
from tiles.archive import write_mbtiles
from tiles.server import create_app
from tiles.source import WEB_MERCATOR

T = WEB_MERCATOR.tile(5.5, 52.5, 8)
SUB = "/prospect"
PUBLIC = "https://maps.example.org" + SUB


def _app(root: Path, name: str, extra: str) -> TestClient:
    cfg = root / name
    cfg.write_text(f"title: Round 63 (synthetic)\n{extra}"
                   "layers:\n  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n")
    return TestClient(create_app(load_serve_config(cfg), config_path=cfg))


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    """The app of a serve config under ``public_url: https://maps.example.org/prospect``
    (``published``) and of the same config without ``public_url`` (``plain``)."""
    root = tmp_path_factory.mktemp("round63")
    _cube(root / "cube.zarr", DATES)
    with _app(root, "published.yaml", f"public_url: {PUBLIC}\n") as published, \
            _app(root, "plain.yaml", "") as plain:
        yield {"published": published, "plain": plain}


_PATH = re.compile(r"(?:^|(?<=[\s('(]))(/[A-Za-z]\S*)")
"""A path a message names (after a space, a bracket or a quote)."""


def _paths(text: str) -> list[str]:
    return _PATH.findall(text)


def _error(r: Any) -> str:
    if "xml" in r.headers["content-type"]:
        return "".join(ElementTree.fromstring(r.content).itertext()).strip()
    return str(r.json()["error"])


# -- 1. the paths a refusal names, under the sub-path ---------------------------------------


ENDPOINTS = ("/viewer/, /layers, /tiles/{layer}/{z}/{x}/{y}.png, /tilejson/{layer}.json, "
             "/wmts/1.0.0/WMTSCapabilities.xml, /legend/{layer}.png, /point/{layer}?lon=&lat=, "
             "/health")


def _under(text: str) -> str:
    return ", ".join(SUB + p for p in text.split(", "))


def test_an_unknown_path_under_the_sub_path_is_named_as_sent_with_the_public_paths(
    servers: dict[str, TestClient]
) -> None:
    """``/prospect/nothing/here`` (the proxy passing the sub-path on) was "no such endpoint
    '/nothing/here'; see /viewer/, /layers, ...": the path without the sub-path the client
    sent, and paths the proxy does not publish. Now the path as sent and the endpoints
    under ``/prospect``."""
    r = servers["published"].get(SUB + "/nothing/here")
    assert r.status_code == 404, r.text
    assert r.json()["error"] == (
        f"no such endpoint '/prospect/nothing/here'; see {_under(ENDPOINTS)}")


def test_an_unknown_path_from_a_stripping_proxy_names_the_public_paths(
    servers: dict[str, TestClient]
) -> None:
    """A proxy that strips the sub-path sends ``/nothing/here``: the path is named as the
    server got it, and the endpoints as the client writes them (under ``/prospect``)."""
    r = servers["published"].get("/nothing/here")
    assert r.status_code == 404, r.text
    assert r.json()["error"] == f"no such endpoint '/nothing/here'; see {_under(ENDPOINTS)}"


async def _absolute(app: Any, target: str) -> tuple[int, bytes]:
    """The status and body of ``GET target`` sent in the absolute form (``GET
    http://host/...``, as clients configured for a proxy send it), as uvicorn hands it on."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": target, "raw_path": target.encode(),
             "query_string": b"", "root_path": "", "headers": [(b"host", b"maps")],
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 40000)}
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_an_unknown_path_in_the_absolute_form_is_named_by_its_path_as_sent(
    servers: dict[str, TestClient]
) -> None:
    """``GET https://maps.example.org/prospect/nothing/here`` (the absolute form) was named
    ``'/nothing/here'``: now its path as sent, the sub-path in it."""
    status, body = anyio.run(_absolute, servers["published"].app,
                             "https://maps.example.org/prospect/nothing/here")
    assert status == 404, body
    assert json.loads(body)["error"] == (
        f"no such endpoint '/prospect/nothing/here'; see {_under(ENDPOINTS)}")


def test_an_unknown_wmts_resource_under_the_sub_path_names_the_public_templates(
    servers: dict[str, TestClient]
) -> None:
    """The WMTS REST 404 of ``/prospect/wmts/1.0.0/nothing``: an OWS ExceptionReport that
    named ``'/wmts/1.0.0/nothing'`` and templates without the sub-path."""
    r = servers["published"].get(SUB + "/wmts/1.0.0/nothing")
    assert r.status_code == 404 and "xml" in r.headers["content-type"], r.text
    assert _error(r) == (
        "no such WMTS resource '/prospect/wmts/1.0.0/nothing'; tiles are /prospect/wmts/"
        "1.0.0/{Layer}/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png and the "
        "capabilities /prospect/wmts/1.0.0/WMTSCapabilities.xml")


def test_a_dot_segment_path_under_the_sub_path_is_named_as_sent(
    servers: dict[str, TestClient]
) -> None:
    """``/prospect/tiles/heat/13/4219/..%2F2700.png`` (an encoded ``/`` beside ``..``) was
    named ``'/tiles/heat/13/4219/../2700.png'``, read as ``'/tiles/heat/13/2700.png'``,
    with the paths to write without the sub-path."""
    r = servers["published"].get(SUB + "/tiles/heat/13/4219/..%2F2700.png")
    assert r.status_code == 404, r.text
    assert r.json()["error"] == (
        "no such endpoint '/prospect/tiles/heat/13/4219/../2700.png': a URL path with '.' or "
        "'..' segments, empty segments or an encoded '/' (%2F) reads as "
        "'/prospect/tiles/heat/13/2700.png', which names none; write the path without "
        "them, e.g. /prospect/tiles/{layer}/{z}/{x}/{y}.png, "
        "/prospect/wmts/1.0.0/WMTSCapabilities.xml or /prospect/layers")


HINTS = {
    "unknown layer": (f"/tiles/nope/8/{T.x}/{T.y}.png", 404,
                      "unknown layer 'nope'; GET /prospect/layers lists the layers"),
    "a name not allowed": (
        f"/tiles/h%C3%A9at/8/{T.x}/{T.y}.png", 400,
        "layer names are ASCII letters, digits, '_' and '-' only (at most 64), got 'héat'; "
        "GET /prospect/layers lists the layers"),
    "a JPEG tile": (
        f"/tiles/heat/8/{T.x}/{T.y}.jpg", 400,
        "JPEG: not served here (lossy colours no longer match the legend's values, and JPEG "
        "has no transparency); this URL serves PNG or WebP tiles; tile URLs are "
        "/prospect/tiles/{layer}/{z}/{x}/{y}.png (or .webp, or {y}@2x.png) with "
        "non-negative integers z, x, y"),
    "a tile matrix set as ?tms=": (
        f"/tiles/heat/8/{T.x}/{T.y}.png?tms=UTM31WGS84Quad", 400,
        "tile URLs take the tile matrix set in their path, not as ?tms='UTM31WGS84Quad': "
        f"write /prospect/tiles/heat/UTM31WGS84Quad/8/{T.x}/{T.y}.png (the tiles URL of "
        "/prospect/tilejson/heat.json?tms=UTM31WGS84Quad)"),
    "a WMTS REST row not a number": (
        f"/wmts/1.0.0/heat/default/WebMercatorQuad/8/{T.y}x/{T.x}.png", 400,
        "WMTS tile URLs are /prospect/wmts/1.0.0/{layer}/default/{TileMatrixSet}/"
        "{TileMatrix}/{TileRow}/{TileCol}.png (or .webp) with non-negative integers "
        "TileMatrix, TileRow, TileCol; 512 px (@2x) tiles are those of the TileMatrixSet "
        "named with 512 (WebMercatorQuad512)"),
    "a TileJSON as XML": (
        "/tilejson/heat.xml", 400,
        "XML: not served here; this URL serves TileJSON (JSON); TileJSON URLs are "
        "/prospect/tilejson/{layer}.json"),
    "a JPEG legend": (
        "/legend/heat.jpg", 400,
        "JPEG: not served here (lossy colours no longer match the legend's values, and JPEG "
        "has no transparency); this URL serves PNG; legend URLs are "
        "/prospect/legend/{layer}.png (or /prospect/legend/{layer}@2x.png)"),
    "a legend at 3x": (
        "/legend/heat@3x.png", 400,
        "legends at scale @3x are not drawn here, only at 1x (/prospect/legend/heat.png) and "
        "2x (/prospect/legend/heat@2x.png): ask the @2x legend in its place, which a page "
        "shows at any pixel ratio"),
    "a download as zip": (
        "/download/heat.zip", 400,
        "'.zip': not served here; this URL serves the layer's GeoTIFF (COG); URLs are "
        "/prospect/download/{layer}.tif and /prospect/stac/{layer}.json"),
    "a point as x and y": (
        "/point/heat?x=5.5&y=52.5", 400,
        "/prospect/point takes the point as lon= and lat= (WGS 84 degrees, longitude east), "
        "got x='5.5', y='52.5': write ?lon=...&lat=..."),
}


@pytest.mark.parametrize("prefix", [SUB, ""], ids=["passed on", "stripped"])
@pytest.mark.parametrize("case", list(HINTS))
def test_a_refusals_hint_names_the_paths_under_public_url(
    servers: dict[str, TestClient], case: str, prefix: str
) -> None:
    """The hints of the handlers' and the service's refusals named the server's own paths
    (``GET /layers``, ``/tiles/{layer}/...``, ``/legend/{layer}.png``): now each under
    ``/prospect``, whether the proxy passes the sub-path on or strips it."""
    path, status, words = HINTS[case]
    r = servers["published"].get(prefix + path)
    assert r.status_code == status, r.text
    text = _error(r)
    assert text == words, text
    assert all(p.startswith(SUB + "/") for p in _paths(text)), _paths(text)


# -- controls: links and a server without a sub-path, as before ------------------------------


def test_control_a_server_without_public_url_names_its_own_paths(
    servers: dict[str, TestClient]
) -> None:
    """control: without ``public_url`` the paths named are the server's own, as before."""
    client = servers["plain"]
    r = client.get("/nothing/here")
    assert r.status_code == 404
    assert r.json()["error"] == f"no such endpoint '/nothing/here'; see {ENDPOINTS}"
    r = client.get(f"/tiles/nope/8/{T.x}/{T.y}.png")
    assert r.json()["error"] == "unknown layer 'nope'; GET /layers lists the layers"
    r = client.get("/legend/heat.jpg")
    assert _error(r).endswith("legend URLs are /legend/{layer}.png (or "
                              "/legend/{layer}@2x.png)"), r.text


def test_control_every_link_handed_out_is_under_public_url(
    servers: dict[str, TestClient]
) -> None:
    """control: the TileJSON's tiles and legend, the WMTS ResourceURL and
    OperationsMetadata, the WMS OnlineResource and the viewer's links were already under
    ``public_url``."""
    client = servers["published"]
    doc = client.get(SUB + "/tilejson/heat.json").json()
    assert doc["tiles"] == [PUBLIC + "/tiles/heat/{z}/{x}/{y}.png"]
    wmts = client.get(SUB + "/wmts/1.0.0/WMTSCapabilities.xml").text
    wms = client.get(SUB + "/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0").text
    viewer = client.get(SUB + "/viewer/").text
    for text in (wmts, wms, viewer):
        links = re.findall(r'(?:template|xlink:href|href|src)="(https?://[^"]*)"', text)
        links += re.findall(r'"(https?://maps[^"]*)"', text)
        ours = [u for u in links if "example.org" in u]
        assert ours and all(u.startswith(PUBLIC + "/") for u in ours), ours


# -- 2. the MBTiles centre, to the decimals the bounds carry ---------------------------------


def _pyramid(root: Path) -> Path:
    """A SYNTHETIC one-tile pyramid (a transparent 256 px PNG at zoom 8)."""
    tile = root / "8" / "83" / "120.png"
    tile.parent.mkdir(parents=True)
    Image.new("RGBA", (256, 256)).save(tile)
    return root


def _center(path: Path) -> str:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return str(db.execute("SELECT value FROM metadata WHERE name = 'center'").fetchone()[0])


def test_the_mbtiles_center_is_written_to_the_bounds_decimals(tmp_path: Path) -> None:
    """Bounds -68.4..-68.2 E, 12.0..12.4 N (Bonaire's): the ``center`` row was
    ``-68.30000000000001,12.2,8``, the sum's binary error written out; now
    ``-68.3,12.2,8``."""
    path = write_mbtiles(_pyramid(tmp_path / "p"), tmp_path / "b.mbtiles",
                         bounds=(-68.4, 12.0, -68.2, 12.4), name="b (synthetic)")
    assert _center(path) == "-68.3,12.2,8"


def test_control_an_mbtiles_center_of_full_bounds_as_before(tmp_path: Path) -> None:
    """control: bounds written in full (a reprojected extent) keep the centre in full, as
    before."""
    bounds = (-68.42123456789012, 12.013456789012345, -68.19876543210987, 12.398765432109876)
    path = write_mbtiles(_pyramid(tmp_path / "p"), tmp_path / "b.mbtiles", bounds=bounds,
                         name="b (synthetic)")
    w, s, e, n = bounds
    assert _center(path) == f"{(w + e) / 2!r},{(s + n) / 2!r},8"
