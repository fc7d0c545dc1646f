"""Delivery, round 62: a tile server published under a proxy's sub-path (``public_url:
https://maps.example.org/prospect``) whose proxy passes the sub-path on answered every
request a 404, and the access-log line of a request refused at the edge (a POST, a URL over
the limit, a body) whose path names a layer and tile had ``layer``, ``z``, ``x`` and ``y``
``null`` (round 61b left it).

Every link the server makes is under ``public_url``; a proxy that passes its sub-path on
(nginx's ``proxy_pass`` without a URI, Traefik's ``PathPrefix`` without ``StripPrefix``)
sent each back as ``/prospect/tiles/...``, "no such endpoint" (in JSON, to WMS and WMTS
clients too). The proxy is played by the test: it sends the path of each link the server
made. The edge answers before routing, and its line was written from the bare request, so
an agency's refused tile requests counted from the log under no layer. The servers are a
live ``prospect serve`` (uvicorn on loopback, httpx) of round 44's SYNTHETIC zarr v3 cube
with ``access_log:``. All data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from prospect.config.tiles import load_serve_config
from tests.robustness.test_serving_round44 import DATES, _cube
from tiles.server import MAX_URL_LENGTH, create_app
from tiles.source import WEB_MERCATOR
from tiles.testing import live_server

T = WEB_MERCATOR.tile(5.5, 52.5, 8)
TILE = f"/tiles/heat/8/{T.x}/{T.y}.png"
WMTS_REST = f"/wmts/1.0.0/heat/default/WebMercatorQuad/8/{T.y}/{T.x}.png"
PAD = "?pad=" + "x" * MAX_URL_LENGTH


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """``prospect serve`` of ``heat`` over the SYNTHETIC cube with ``access_log:``: the
    client and the log file."""
    root = tmp_path_factory.mktemp("round62log")
    _cube(root / "cube.zarr", DATES)
    (root / "serve.yaml").write_text(
        "title: Round 62 (synthetic)\naccess_log: logs/access.log\n"
        "layers:\n  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n")
    with live_server(root / "serve.yaml") as live, live.client() as client:
        yield client, root / "logs" / "access.log"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _new_lines(logged: tuple[Any, Path], ask: Callable[[Any], Any]) -> tuple[Any, list[Any]]:
    """The response to ``ask(client)`` and the access-log lines written meanwhile."""
    client, log = logged
    before = len(_lines(log))
    r = ask(client)
    return r, _lines(log)[before:]


Z, X, Y = "8", str(T.x), str(T.y)
REFUSED: dict[str, tuple[Callable[[Any], Any], str, int, tuple[Any, ...]]] = {
    "XYZ tile by POST": (lambda c: c.post(TILE), TILE, 405, ("heat", Z, X, Y)),
    "XYZ tile URL too long": (lambda c: c.get(TILE + PAD), TILE, 414, ("heat", Z, X, Y)),
    "XYZ tile with a body": (lambda c: c.request("GET", TILE, content=b"x" * 10), TILE, 413,
                             ("heat", Z, X, Y)),
    "tile of a named matrix set by POST": (
        lambda c: c.post(f"/tiles/heat/WebMercatorQuad/8/{T.x}/{T.y}.png"),
        f"/tiles/heat/WebMercatorQuad/8/{T.x}/{T.y}.png", 405, ("heat", Z, X, Y)),
    "WMTS REST tile by POST": (lambda c: c.post(WMTS_REST), WMTS_REST, 405,
                               ("heat", Z, X, Y)),
    "WMTS REST tile URL too long": (lambda c: c.get(WMTS_REST + PAD), WMTS_REST, 414,
                                    ("heat", Z, X, Y)),
    "TileJSON by POST": (lambda c: c.post("/tilejson/heat.json"), "/tilejson/heat.json", 405,
                         ("heat", None, None, None)),
    "legend by POST": (lambda c: c.post("/legend/heat.png"), "/legend/heat.png", 405,
                       ("heat", None, None, None)),
}


def _tile_fields(line: dict[str, Any]) -> tuple[Any, ...]:
    return line["layer"], line["z"], line["x"], line["y"]


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_tile_refused_at_the_edge_has_its_layer_and_tile_in_the_access_log(
    logged: tuple[Any, Path], case: str
) -> None:
    """A request refused before routing (405, 413, 414) whose path names a layer and tile
    had ``layer``, ``z``, ``x``, ``y`` ``null`` in its line: an agency's refused tiles
    were counted under no layer. Now they are the path's, as the endpoint logs them (a
    WMTS tile's row is ``y``, its column ``x``)."""
    ask, path, status, want = REFUSED[case]
    r, lines = _new_lines(logged, ask)
    assert r.status_code == status, r.text[:300]
    assert [(x["method"], x["path"], x["status"]) for x in lines] == [
        (r.request.method, path, status)], lines
    assert _tile_fields(lines[0]) == want, lines[0]


def test_control_requests_naming_no_tile_keep_null_fields(logged: tuple[Any, Path]) -> None:
    """control: a refused request whose path names no layer (a POST of ``/layers``, an
    unknown endpoint, a viewer file) keeps ``null`` fields; a WMS POST keeps the layer its
    query names, as before."""
    for ask, want in (
            (lambda c: c.post("/layers"), (None, None, None, None)),
            (lambda c: c.get("/tiles/heat/8/x"), (None, None, None, None)),
            (lambda c: c.post("/static/viewer.css"), (None, None, None, None)),
            (lambda c: c.post("/wms?SERVICE=WMS&REQUEST=GetMap&LAYERS=heat"),
             ("heat", None, None, None))):
        r, lines = _new_lines(logged, ask)
        assert r.status_code in (404, 405), r.text[:300]
        assert len(lines) == 1 and _tile_fields(lines[0]) == want, lines


def test_control_a_served_tile_has_one_line_as_before(logged: tuple[Any, Path]) -> None:
    """control: a tile answered by its endpoint (XYZ, WMTS REST) has one line with its
    layer and tile, as before."""
    for path in (TILE, WMTS_REST):
        r, lines = _new_lines(logged, lambda c, p=path: c.get(p))
        assert r.status_code == 200, r.text[:300]
        assert [(x["path"], x["status"], *_tile_fields(x)) for x in lines] == [
            (path, 200, "heat", Z, X, Y)], lines


# -- 2. a server under a proxy's sub-path that the proxy passes on ---------------------------


PUBLIC = "https://maps.example.org/prospect"


def _serve_yaml(root: Path, *extra: str) -> Path:
    if not (root / "cube.zarr").exists():
        _cube(root / "cube.zarr", DATES)
    path = root / "serve.yaml"
    path.write_text("title: Round 62 (synthetic)\naccess_log: logs/access.log\n"
                    + "".join(f"{line}\n" for line in extra)
                    + "layers:\n  - {name: heat, cube: cube.zarr, variable: heat, "
                    "public: true}\n")
    return path


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """``prospect serve`` with ``public_url`` under ``/prospect``: the client (the proxy,
    sending paths as it received them) and the access log."""
    root = tmp_path_factory.mktemp("round62proxy")
    with live_server(_serve_yaml(root, f"public_url: {PUBLIC}")) as live, \
            live.client() as client:
        yield client, root / "logs" / "access.log"


def _via_proxy(url: str) -> str:
    """The path and query the proxy passes on for a link ``url`` of the server's."""
    parts = urlsplit(url)
    assert url.startswith(PUBLIC + "/"), url
    return parts.path + (f"?{parts.query}" if "?" in url else "")


def test_links_under_a_sub_path_the_proxy_passes_on_are_answered(
    proxied: tuple[Any, Path]
) -> None:
    """The TileJSON's tile and legend, the WMTS capabilities' KVP and the WMS
    capabilities' GetMap links, each sent as the proxy passes it on (``/prospect/...``),
    were 404 "no such endpoint". Now each is answered as its path without the sub-path:
    the tile is the plain path's byte for byte, the WMS map a PNG."""
    client, _log = proxied
    doc = client.get("/prospect/tilejson/heat.json")
    assert doc.status_code == 200, doc.text[:300]
    tile = doc.json()["tiles"][0].format(z=8, x=T.x, y=T.y)
    r = client.get(_via_proxy(tile))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:300]
    assert r.content == client.get(TILE).content
    legend = client.get(_via_proxy(doc.json()["prospect"]["legend"]))
    assert legend.status_code == 200 and legend.content[:4] == b"\x89PNG", legend.text[:300]
    wmts = client.get("/prospect/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
    assert wmts.status_code == 200, wmts.text[:300]
    links = re.findall(r'xlink:href="([^"]*)"', wmts.text)
    assert len(links) >= 3, wmts.text[:600]
    for link in links:  # the KVP and REST capabilities, the legend
        if not link.endswith("/"):
            got = client.get(_via_proxy(link.replace("&amp;", "&")) + (
                "SERVICE=WMTS&REQUEST=GetCapabilities" if link.endswith("?") else ""))
            assert got.status_code == 200, (link, got.text[:300])
    rest = client.get("/prospect/wmts/1.0.0/WMTSCapabilities.xml")
    template = re.search(r'template="([^"]*)"', rest.text)
    assert template is not None, rest.text[:600]
    got = client.get(_via_proxy(template.group(1).format(
        Style="default", Time=DATES[0], TileMatrixSet="WebMercatorQuad", TileMatrix=8,
        TileRow=T.y, TileCol=T.x)))
    assert got.status_code == 200 and got.headers["content-type"] == "image/png", \
        got.text[:300]
    wms = client.get("/prospect/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
    assert wms.status_code == 200, wms.text[:300]
    href = re.search(r'<GetMap>.*?xlink:href="([^"]*)"', wms.text, re.S)
    assert href is not None, wms.text[:600]
    img = client.get(_via_proxy(href.group(1).replace("&amp;", "&")) + (
        "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=heat&STYLES=&CRS=EPSG:3857"
        "&BBOX=550000,6850000,650000,6950000&WIDTH=64&HEIGHT=64&FORMAT=image/png"))
    assert img.status_code == 200 and img.headers["content-type"] == "image/png", \
        img.text[:300]


@pytest.mark.parametrize(("path", "status", "want"), [
    ("/prospect/viewer/", 200, "text/html"),
    ("/prospect/static/viewer.css", 200, "text/css"),
    ("/prospect/layers", 200, "application/json"),
    ("/prospect", 307, PUBLIC + "/viewer/"),
    ("/prospect/layers/", 307, PUBLIC + "/layers"),
    ("/prospect/wms?SERVICE=WMS&REQUEST=GetMapp", 400, "text/xml"),
])
def test_the_viewer_redirects_and_refusals_under_the_sub_path(
    proxied: tuple[Any, Path], path: str, status: int, want: str
) -> None:
    """The viewer and its files, ``/layers``, the root and a slash redirect under the
    sub-path were 404s in JSON (a WMS client's refusal too). Now they are answered as
    without it: the redirects under ``public_url``, a WMS refusal in WMS's XML."""
    client, _log = proxied
    r = client.get(path)
    assert r.status_code == status, r.text[:300]
    got = r.headers["location"] if status == 307 else r.headers["content-type"]
    assert got.startswith(want), (got, r.text[:300])


def test_the_access_log_names_the_path_sent_and_the_tile(proxied: tuple[Any, Path]) -> None:
    """A tile refused at the edge under the sub-path (a POST) has the path as sent and its
    layer and tile in its line."""
    r, lines = _new_lines(proxied, lambda c: c.post("/prospect" + TILE))
    assert r.status_code == 405, r.text[:300]
    assert [(x["path"], x["status"], *_tile_fields(x)) for x in lines] == [
        ("/prospect" + TILE, 405, "heat", Z, X, Y)], lines


def test_control_paths_without_the_sub_path_are_served_as_before(
    proxied: tuple[Any, Path]
) -> None:
    """control: a proxy that strips the sub-path sends the server's own paths: a tile, the
    TileJSON (its links under ``public_url``) and the root's redirect, as before."""
    client, _log = proxied
    r = client.get(TILE)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:300]
    doc = client.get("/tilejson/heat.json").json()
    assert doc["tiles"] == [PUBLIC + "/tiles/heat/{z}/{x}/{y}.png"]
    assert client.get("/").headers["location"] == PUBLIC + "/viewer/"


@pytest.fixture(scope="module")
def under_tiles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app of a serve config whose ``public_url`` has the sub-path ``/tiles``, an
    endpoint's own first segment (in process: no socket needed)."""
    cfg = _serve_yaml(tmp_path_factory.mktemp("round62tiles"),
                      "public_url: https://maps.example.org/tiles")
    with TestClient(create_app(load_serve_config(cfg), config_path=cfg)) as client:
        yield client


def test_a_sub_path_named_as_an_endpoint_is_read_without_it_too(
    under_tiles: TestClient
) -> None:
    """Under ``public_url: .../tiles`` the proxy passes a tile on as
    ``/tiles/tiles/heat/8/x/y.png``: it read as layer ``tiles`` of matrix set ``heat``
    (404 "unknown layer"). Now it is the tile ``/tiles/heat/8/x/y.png``, byte for byte."""
    r = under_tiles.get("/tiles" + TILE)
    assert r.status_code == 200, r.text
    assert r.content == under_tiles.get(TILE).content


def test_control_a_sub_path_that_is_an_endpoints_path_keeps_its_meaning(
    under_tiles: TestClient, tmp_path: Path
) -> None:
    """control: under ``public_url: .../tiles`` a path that names an endpoint only as sent
    (``/tiles/heat/8/x/y.png``) is that endpoint's; an unknown path under the sub-path is
    a 404; a server without ``public_url`` still answers ``/prospect/...`` 404."""
    r = under_tiles.get(TILE)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text
    assert under_tiles.get("/tiles/nothing/here").status_code == 404
    cfg = _serve_yaml(tmp_path)
    with TestClient(create_app(load_serve_config(cfg), config_path=cfg)) as client:
        r = client.get("/prospect" + TILE)
        assert r.status_code == 404 and "no such endpoint" in r.text, r.text
    cfg = _serve_yaml(tmp_path)
    with TestClient(create_app(load_serve_config(cfg), config_path=cfg)) as client:
        r = client.get("/prospect" + TILE)
        assert r.status_code == 404 and "no such endpoint" in r.text, r.text
