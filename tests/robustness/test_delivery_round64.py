"""Delivery, round 64: ``prospect serve`` under a ``public_url`` printed the socket's own
URLs (``viewer: http://127.0.0.1:8080/viewer/``: round 63 left it), and a layer asked by
its title (``LAYERS=Heat flow``, as QGIS's and ArcGIS's layer lists and ``/layers`` show
it) was refused saying only which characters a layer name has, or as an unknown layer.

A partner agency's GIS staff copy the URLs ``prospect serve`` prints into QGIS or a mail:
behind a proxy (``public_url: https://maps.example.org/prospect``) those were the
machine's loopback address, which no one else opens. They also write the layer they see
(its title) where a request wants its name. The server is a real ``prospect serve``
process for the printed lines, else the app of a serve config in process (Starlette's
``TestClient``: no socket is needed), over round 44's SYNTHETIC zarr v3 cube (``heat``).
All data here are SYNTHETIC.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from starlette.testclient import TestClient

from prospect.config.tiles import load_serve_config
from tests.robustness.test_serving_round44 import DATES, _cube
from tiles.server import create_app
from tiles.source import WEB_MERCATOR

T = WEB_MERCATOR.tile(5.5, 52.5, 8)
SUB = "/prospect"
PUBLIC = "https://maps.example.org" + SUB
LAYERS = ("layers:\n"
          "  - {name: heat, title: Heat flow, cube: cube.zarr, variable: heat, public: true}\n"
          "  - {name: li, title: Lithium, cube: cube.zarr, variable: heat, public: true}\n"
          "  - {name: hidden, title: Secret map, cube: cube.zarr, variable: heat}\n")


def _write(root: Path, name: str, extra: str) -> Path:
    cfg = root / name
    cfg.write_text(f"title: Round 64 (synthetic)\n{extra}{LAYERS}")
    return cfg


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC cube and two serve configs: ``published.yaml`` (under ``public_url``)
    and ``plain.yaml`` (without)."""
    root = tmp_path_factory.mktemp("round64")
    _cube(root / "cube.zarr", DATES)
    _write(root, "published.yaml", f"public_url: {PUBLIC}\n")
    _write(root, "plain.yaml", "")
    return root


@pytest.fixture(scope="module")
def client(site: Path) -> Iterator[TestClient]:
    cfg = site / "published.yaml"
    with TestClient(create_app(load_serve_config(cfg), config_path=cfg)) as c:
        yield c


# -- 1. the URLs `prospect serve` prints -----------------------------------------------------


def _printed(config: Path) -> list[str]:
    """The lines ``prospect serve CONFIG --port 0`` prints up to its ``XYZ:`` line (a real
    process: the printed lines are the point), after which it is stopped; each printed URL
    of the machine itself is checked to answer."""
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "serve", str(config),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=config.parent)
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        while not (lines and lines[-1].startswith("XYZ:")):
            line = proc.stderr.readline()
            assert line, "prospect serve exited before serving:\n" + "".join(lines)
            lines.append(line.rstrip("\n"))
        local = [m.group(1) for m in map(re.compile(r"\S+: +(http://127\S+/viewer/)").match,
                                         lines) if m]
        assert local, lines
        deadline = time.monotonic() + 30
        while True:  # the socket's URL is the viewer's, whatever was printed for the public
            try:
                assert httpx.get(local[0]).status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, lines
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return lines


def test_serve_under_a_public_url_prints_the_public_urls(site: Path) -> None:
    """``public_url: https://maps.example.org/prospect``: ``prospect serve`` printed
    ``viewer: http://127.0.0.1:PORT/viewer/``, the URL of the socket behind the proxy, for
    agencies to copy. Now the viewer, WMTS and XYZ URLs are the public ones, and the
    socket's URL is on a line of its own, labelled for the operator."""
    lines = _printed(site / "published.yaml")
    assert lines[-3:] == [f"viewer: {PUBLIC}/viewer/",
                          f"WMTS:   {PUBLIC}/wmts/1.0.0/WMTSCapabilities.xml",
                          f"XYZ:    {PUBLIC}/tiles/<layer>/{{z}}/{{x}}/{{y}}.png"]
    assert re.fullmatch(r"local:  http://127\.0\.0\.1:\d+/viewer/ \(on this machine, for the "
                        r"operator; agencies open the public_url's below\)", lines[-4]), lines


def test_control_serve_without_public_url_prints_the_sockets_urls(site: Path) -> None:
    """control: without ``public_url`` the three lines name the socket, as before, and no
    ``local:`` line is added."""
    lines = _printed(site / "plain.yaml")
    port = re.fullmatch(r"viewer: http://127\.0\.0\.1:(\d+)/viewer/", lines[-3])
    assert port is not None, lines
    root = f"http://127.0.0.1:{port.group(1)}"
    assert lines[-2:] == [f"WMTS:   {root}/wmts/1.0.0/WMTSCapabilities.xml",
                          f"XYZ:    {root}/tiles/<layer>/{{z}}/{{x}}/{{y}}.png"]
    assert not any(line.startswith("local:") for line in lines), lines


# -- 2. a layer asked by its title ------------------------------------------------------------


def _error(r: Any) -> str:
    if "xml" in r.headers["content-type"]:
        return "".join(ElementTree.fromstring(r.content).itertext()).strip()
    return str(r.json()["error"])


WMS = ("/wms?SERVICE=WMS&VERSION=1.3.0&CRS=EPSG:3857&BBOX=556597,6887893,634869,6966165"
       "&WIDTH=256&HEIGHT=256&STYLES=&FORMAT=image/png")
WMTS = ("/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&STYLE=default&FORMAT=image/png"
        f"&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=8&TILEROW={T.y}&TILECOL={T.x}")
NAMES = "layer names are ASCII letters, digits, '_' and '-' only (at most 64), got "
LIST = "; GET /prospect/layers lists the layers"


def _meant(title: str, name: str = "heat") -> str:
    return (f" (did you mean {name!r}? {title!r} is that layer's title; a request names a "
            "layer by its name)")


TITLES = {
    "WMS GetMap LAYERS": (
        WMS + "&REQUEST=GetMap&LAYERS=Heat%20flow", 400,
        f"LAYERS 'Heat flow': {NAMES}'Heat flow'{_meant('Heat flow')}{LIST}"),
    "WMS GetFeatureInfo QUERY_LAYERS": (
        WMS + "&REQUEST=GetFeatureInfo&LAYERS=Heat%20flow&QUERY_LAYERS=Heat%20flow"
              "&INFO_FORMAT=text/plain&I=128&J=128", 400,
        None),
    "WMS GetLegendGraphic LAYER": (
        "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&FORMAT=image/png"
        "&LAYER=Heat%20flow", 400,
        f"LAYER 'Heat flow': {NAMES}'Heat flow'{_meant('Heat flow')}{LIST}"),
    "WMTS KVP LAYER, the shown title": (
        WMTS + "&LAYER=Heat%20flow%20(synthetic%20data)", 400,
        f"{NAMES}'Heat flow (synthetic data)'{_meant('Heat flow (synthetic data)')}{LIST}"),
    "WMTS REST": (
        f"/wmts/1.0.0/Heat%20flow/default/WebMercatorQuad/8/{T.y}/{T.x}.png", 400,
        f"{NAMES}'Heat flow'{_meant('Heat flow')}{LIST}"),
    "XYZ tile, another case": (
        f"/tiles/heat%20FLOW/8/{T.x}/{T.y}.png", 400,
        f"{NAMES}'heat FLOW'{_meant('heat FLOW')}{LIST}"),
    "TileJSON": (
        "/tilejson/Heat%20flow.json", 400,
        f"{NAMES}'Heat flow'{_meant('Heat flow')}{LIST}"),
    "legend": (
        "/legend/Heat%20flow.png", 400,
        f"{NAMES}'Heat flow'{_meant('Heat flow')}{LIST}"),
    "a title that is a name's spelling": (
        f"/tiles/Lithium/8/{T.x}/{T.y}.png", 404,
        f"unknown layer 'Lithium'{_meant('Lithium', 'li')}{LIST}"),
    "WMS GetMap, a title that is a name's spelling": (
        WMS + "&REQUEST=GetMap&LAYERS=Lithium", 404,
        f"unknown layer 'Lithium'{_meant('Lithium', 'li')}{LIST}"),
}


@pytest.mark.parametrize("case", list(TITLES))
def test_a_layer_asked_by_its_title_names_the_layer(client: TestClient, case: str) -> None:
    """``LAYERS=Heat flow`` (the title QGIS lists) was refused "layer names are ASCII
    letters, digits, '_' and '-' only ... got 'Heat flow'", and ``/tiles/Lithium/...`` (a
    title that is spelled as a name could be) "unknown layer 'Lithium'": the layer meant
    was not named. Now the refusal names it and says the title is its title."""
    path, status, words = TITLES[case]
    r = client.get(path)
    assert r.status_code == status, r.text
    text = _error(r)
    if words is None:  # the message's head is GetFeatureInfo's own
        assert text.endswith(f"{_meant('Heat flow')}{LIST}"), text
    else:
        assert text == words, text


# -- controls: names serve, unknown names and private titles as before ------------------------


def test_control_the_layers_name_serves_the_map(client: TestClient) -> None:
    """control: the names themselves serve, as before."""
    assert client.get(f"/tiles/heat/8/{T.x}/{T.y}.png").status_code == 200
    assert client.get(WMS + "&REQUEST=GetMap&LAYERS=heat,li").status_code == 200
    assert client.get(WMTS + "&LAYER=li").status_code == 200


def test_control_an_unknown_name_is_refused_as_before(client: TestClient) -> None:
    """control: a name that is no layer's nor any title is refused in the same words."""
    r = client.get(f"/tiles/nope/8/{T.x}/{T.y}.png")
    assert (r.status_code, _error(r)) == (404, "unknown layer 'nope'" + LIST)
    r = client.get(f"/tiles/Heat%20map/8/{T.x}/{T.y}.png")
    assert (r.status_code, _error(r)) == (400, f"{NAMES}'Heat map'{LIST}")


def test_control_a_private_layers_title_is_not_named_without_its_key(
    client: TestClient
) -> None:
    """control: the title of a layer the caller may not read names nothing (a private
    layer is not found by its title any more than by its name)."""
    r = client.get(f"/tiles/Secret%20map/8/{T.x}/{T.y}.png")
    assert (r.status_code, _error(r)) == (400, f"{NAMES}'Secret map'{LIST}")
    r = client.get(WMS + "&REQUEST=GetMap&LAYERS=Secret%20map")
    assert r.status_code == 400
    assert "hidden" not in _error(r), _error(r)


# -- 3. the viewer under the sub-path asks nothing outside it ---------------------------------


def test_the_served_viewer_asks_no_url_outside_the_sub_path(client: TestClient) -> None:
    """The viewer page named no icon, so a browser asked ``/favicon.ico`` at the host's
    root (headless Chromium did, at every load of ``/prospect/viewer/``): outside the
    proxy's sub-path, another site's icon or a 404 in the console. The page now names its
    icon among the static files, and every URL it loads is under ``public_url``."""
    page = client.get(SUB + "/viewer/").text
    icon = f'<link rel="icon" type="image/png" href="{PUBLIC}/static/favicon.png">'
    assert icon in page
    r = client.get(SUB + "/static/favicon.png")
    assert (r.status_code, r.headers["content-type"], r.content[:8]) == (
        200, "image/png", b"\x89PNG\r\n\x1a\n")
    loaded = re.findall(r'<(?:link|script)[^>]*?(?:href|src)="([^"]*)"', page)
    assert loaded and all(u.startswith(PUBLIC + "/") for u in loaded), loaded


def test_control_the_viewer_page_loads_its_scripts_as_before(client: TestClient) -> None:
    """control: the page's styles and scripts are the server's static files, as before."""
    page = client.get(SUB + "/viewer/").text
    static = PUBLIC + "/static"
    for url in ("/leaflet/leaflet.css", "/viewer.css", "/leaflet/leaflet.js", "/basemap.js",
                "/viewer.js"):
        assert f'"{static}{url}"' in page, url
        assert client.get(SUB + "/static" + url).status_code == 200
