"""Delivery, round 62b: a tile server published under a proxy's sub-path (``public_url:
https://maps.example.org/prospect``) whose proxy passes the sub-path on (round 62) wrote
one URL under two paths in its access log, and refused a browser page's CORS preflight of
its WMS and WMTS endpoints in JSON (round 62 left both).

An endpoint's own line had the path without the sub-path (``/tiles/heat/8/x/y.png``)
where the edge's line of the same URL refused (a POST) had it as sent
(``/prospect/tiles/...``): an agency's use counted from the log by path split one URL in
two. The CORS layer sits outside the edge that reads the sub-path, so a refused preflight
of ``/prospect/wms`` or ``/prospect/wmts/...`` was answered in the JSON of the XYZ
endpoints, which no WMS or WMTS client reads (without the sub-path: their XML, round 20).
The server is the app of a serve config of round 44's SYNTHETIC zarr v3 cube (``heat``,
three dates) with ``access_log:``, ``cors_origins:`` and ``public_url:``, in process
(Starlette's ``TestClient``: no socket is needed); the proxy that passes its sub-path on
is played by the test. All data here are SYNTHETIC.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import anyio
import pytest
from starlette.testclient import TestClient

from prospect.config.tiles import load_serve_config
from tests.robustness.test_serving_round44 import DATES, _cube
from tiles.server import create_app
from tiles.source import WEB_MERCATOR

T = WEB_MERCATOR.tile(5.5, 52.5, 8)
TILE = f"/tiles/heat/8/{T.x}/{T.y}.png"
WMTS_REST = f"/wmts/1.0.0/heat/default/WebMercatorQuad/8/{T.y}/{T.x}.png"
Z, X, Y = "8", str(T.x), str(T.y)
SUB = "/prospect"
ORIGIN = "https://atlas.example.org"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    """The app of a serve config under ``public_url: https://maps.example.org/prospect``
    whose pages may be read from :data:`ORIGIN`: the client and the access log."""
    root = tmp_path_factory.mktemp("round62b")
    _cube(root / "cube.zarr", DATES)
    cfg = root / "serve.yaml"
    cfg.write_text(
        "title: Round 62b (synthetic)\naccess_log: logs/access.log\n"
        "public_url: https://maps.example.org/prospect\n"
        f"cors_origins: ['{ORIGIN}']\n"
        "layers:\n  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n")
    with TestClient(create_app(load_serve_config(cfg), config_path=cfg)) as client:
        yield client, root / "logs" / "access.log"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _logged(server: tuple[TestClient, Path], method: str, path: str,
            **kw: Any) -> tuple[Any, list[dict[str, Any]]]:
    """The response to ``method path`` and the access-log lines written meanwhile."""
    client, log = server
    before = len(_lines(log)) if log.exists() else 0
    r = client.request(method, path, **kw)
    return r, _lines(log)[before:]


def _fields(line: dict[str, Any]) -> tuple[Any, ...]:
    return line["method"], line["path"], line["status"], line["layer"], line["z"], \
        line["x"], line["y"]


# -- 1. one URL, one path in the access log ---------------------------------------------------


ANSWERED = {
    "XYZ tile": (TILE, ("heat", Z, X, Y)),
    "WMTS REST tile": (WMTS_REST, ("heat", Z, X, Y)),
    "TileJSON": ("/tilejson/heat.json", ("heat", None, None, None)),
    "WMTS KVP tile": (
        f"/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=heat&STYLE=default"
        f"&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=8&TILEROW={T.y}&TILECOL={T.x}"
        "&FORMAT=image/png", ("heat", Z, X, Y)),
    "layer list": ("/layers", (None, None, None, None)),
}


@pytest.mark.parametrize("case", list(ANSWERED))
def test_an_endpoints_line_under_the_sub_path_has_the_path_as_sent(
    server: tuple[TestClient, Path], case: str
) -> None:
    """A request the proxy passed on as ``/prospect/...`` and an endpoint answered was
    logged as ``/tiles/...`` (the edge's lines, of a refused request, had ``/prospect``):
    now the path as sent, with the layer and tile as before."""
    path, tile = ANSWERED[case]
    r, lines = _logged(server, "GET", SUB + path)
    assert r.status_code == 200, r.text[:300]
    assert [_fields(x) for x in lines] == [("GET", SUB + path.split("?")[0], 200, *tile)], \
        lines


def test_a_served_and_a_refused_request_of_one_url_log_one_path(
    server: tuple[TestClient, Path]
) -> None:
    """The same tile URL under the sub-path, answered (GET) and refused at the edge (POST):
    both lines name ``/prospect/tiles/...``; the GET's was ``/tiles/...``."""
    got, lines = _logged(server, "GET", SUB + TILE)
    refused, more = _logged(server, "POST", SUB + TILE)
    assert (got.status_code, refused.status_code) == (200, 405), refused.text[:300]
    assert [x["path"] for x in lines + more] == [SUB + TILE, SUB + TILE], lines + more


async def _absolute(app: Any, method: str, target: str) -> int:
    """The status of ``method target`` sent in the absolute form (``GET http://host/...``,
    as clients configured for a proxy send it; RFC 9112 3.2.2), as uvicorn hands it on."""
    path = target.split("?")[0]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": [(b"host", b"maps")],
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 40000)}
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


def test_an_absolute_form_request_logs_the_target_as_sent_in_both_lines(
    server: tuple[TestClient, Path]
) -> None:
    """A TileJSON asked in the absolute form under the sub-path was logged as
    ``/tilejson/heat.json`` when answered and as the target sent when refused (a POST):
    now both lines have the target as sent."""
    client, log = server
    target = "http://maps.example.org/prospect/tilejson/heat.json"
    before = len(_lines(log))
    got = [anyio.run(_absolute, client.app, method, target) for method in ("GET", "POST")]
    assert got == [200, 405], got
    assert [(x["method"], x["path"], x["layer"]) for x in _lines(log)[before:]] == [
        ("GET", target, "heat"), ("POST", target, "heat")]


def test_control_a_path_without_the_sub_path_is_logged_as_before(
    server: tuple[TestClient, Path]
) -> None:
    """control: a proxy that strips the sub-path sends the server's own paths, logged as
    they are (a tile, a WMTS REST tile, an unknown endpoint)."""
    for path, status in ((TILE, 200), (WMTS_REST, 200), ("/nothing/here", 404)):
        r, lines = _logged(server, "GET", path)
        assert r.status_code == status, r.text[:300]
        assert [(x["path"], x["status"]) for x in lines] == [(path, status)], lines


# -- 2. a refused CORS preflight under the sub-path, in the endpoint's protocol ---------------


def _preflight(server: tuple[TestClient, Path], path: str, origin: str = ORIGIN,
               method: str = "GET") -> Any:
    client, _log = server
    return client.options(path, headers={"Origin": origin,
                                         "Access-Control-Request-Method": method})


def _xml_root(r: Any) -> ElementTree.Element:
    assert r.status_code == 400, r.text[:300]
    assert "xml" in r.headers["content-type"], (r.headers["content-type"], r.text[:300])
    return ElementTree.fromstring(r.content)


@pytest.mark.parametrize("prefix", [SUB, ""], ids=["under the sub-path", "control without it"])
@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_a_refused_wms_preflight_under_the_sub_path_is_a_service_exception(
    server: tuple[TestClient, Path], prefix: str, version: str
) -> None:
    """A page asking to POST a GetMap of ``/prospect/wms``: a JSON 400, which no WMS client
    reads (``/wms``'s was already WMS's XML, round 20). Now a ServiceExceptionReport of the
    request's version naming the method, as without the sub-path."""
    r = _preflight(server, f"{prefix}/wms?SERVICE=WMS&VERSION={version}&REQUEST=GetMap",
                   method="POST")
    root = _xml_root(r)
    assert root.tag.endswith("ServiceExceptionReport"), r.text[:300]
    assert root.get("version") == version, r.text[:300]
    text = "".join(root.itertext())
    assert "'POST'" in text and "GET and HEAD" in text, text


def test_a_refused_wmts_preflight_under_the_sub_path_is_an_ows_exception_report(
    server: tuple[TestClient, Path]
) -> None:
    """A page of an origin not listed asking for the REST capabilities and the KVP endpoint
    under the sub-path: JSON; now an OWS ExceptionReport naming the origin."""
    for path in (SUB + "/wmts/1.0.0/WMTSCapabilities.xml",
                 SUB + "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities",
                 SUB + WMTS_REST):
        r = _preflight(server, path, origin="https://evil.example")
        root = _xml_root(r)
        assert root.tag.endswith("ExceptionReport"), (path, r.text[:300])
        assert "'https://evil.example'" in "".join(root.itertext()), r.text[:300]


def test_control_refused_and_allowed_preflights_elsewhere_as_before(
    server: tuple[TestClient, Path]
) -> None:
    """control: a refused preflight of a tile under the sub-path stays JSON, and the listed
    origin's preflight of ``/prospect/wms`` passes (200, its origin allowed)."""
    r = _preflight(server, SUB + TILE, origin="https://evil.example")
    assert r.status_code == 400 and r.headers["content-type"] == "application/json", r.text
    assert "'https://evil.example'" in r.json()["error"]
    ok = _preflight(server, SUB + "/wms?SERVICE=WMS&REQUEST=GetMap")
    assert ok.status_code == 200, ok.text[:300]
    assert ok.headers["access-control-allow-origin"] == ORIGIN
