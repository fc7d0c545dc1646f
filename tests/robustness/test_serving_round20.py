"""The tile server as partner agencies' clients meet it, round 20 (refused CORS preflights,
the viewer's validator, a layer narrower than a pixel one way, tile URLs with leading zeros,
Web Mercator's other names, proxy headers, WMS refusals that name their parameter).

A real server (uvicorn on loopback, in this process; round 16's fixtures) answers real HTTP
requests from httpx and raw sockets. Each case failed before: a refused preflight was
Starlette's plain-text 400, the viewer page had no ETag, a map a whole world wide and a few
pixels tall (or the other way) was blank over a 2 km layer, ``/01/0/0.png`` was one tile
under many URLs, ``EPSG:102113`` and ``EPSG:41001`` were unknown CRSs, one request with
``X-Forwarded-Proto: https`` turned every link ``https://``, and WIDTH, STYLES,
TRANSPARENT, BGCOLOR, SERVICE and REQUEST refusals named no locator. All data here are
SYNTHETIC.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import socket
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import numpy as np
import pytest
import yaml
from pyproj import Transformer

from tests.robustness import test_serving_round16 as round16
from tests.robustness.test_serving_round16 import OGC, _exception, _rgba, _tile, _wms
from tests.robustness.test_serving_round17 import _kvp, _ows_exception
from tiles.testing import live_server

site = round16.site  # round 16's fixtures: the COGs and one server for read-only cases
served = round16.served

ORIGIN = "https://agency.example"
PROXY = "https://maps.example.org/prospect"


@pytest.fixture(scope="module")
def guarded(site: dict[str, Any]):
    """A server whose pages may be read only from :data:`ORIGIN` (``cors_origins``), behind
    a proxy that serves it under a path (``public_url``)."""
    config = yaml.safe_load(site["fx"].config.read_text())
    path = site["fx"].config.with_name("serve_cors.yaml")
    path.write_text(yaml.safe_dump({**config, "cors_origins": [ORIGIN], "public_url": PROXY},
                                   sort_keys=False))
    with live_server(path) as server, server.client(timeout=60) as c:
        yield c


# -- a refused CORS preflight, in the endpoint's own format ----------------------------------

def _preflight(c: httpx.Client, path: str, origin: str = ORIGIN, method: str = "GET",
               headers: str | None = None) -> httpx.Response:
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        asked["Access-Control-Request-Headers"] = headers
    return c.options(path, headers=asked)


def test_a_preflight_from_an_origin_not_listed_is_refused_in_json(
        guarded: httpx.Client) -> None:
    """A page of another origin: Starlette's plain-text "Disallowed CORS origin". Now the
    endpoint's JSON, saying the origin is not among ``cors_origins`` and what to do."""
    r = _preflight(guarded, "/tiles/probability/14/0/0.png", origin="https://evil.example")
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["status"] == 400
    assert "'https://evil.example'" in body["error"] and "cors_origins" in body["error"]
    assert "origin" in r.headers["vary"].lower()
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_a_refused_wms_preflight_is_a_service_exception(guarded: httpx.Client,
                                                        version: str) -> None:
    """A WMS client's page asking to POST: a ServiceExceptionReport of its version naming
    the method and the ones served (it was plain text no WMS client reads)."""
    r = _preflight(guarded, f"/wms?SERVICE=WMS&VERSION={version}&REQUEST=GetMap",
                   method="POST")
    exc = _exception(r, 400, "InvalidParameterValue", version=version)
    assert "'POST'" in (exc.text or "") and "GET and HEAD" in (exc.text or "")


def test_a_refused_preflight_of_an_inimage_map_is_no_image(guarded: httpx.Client) -> None:
    """The preflight of a GetMap asking ``EXCEPTIONS=INIMAGE`` is answered XML: an image
    refusal is a 200, which read as an allowed preflight."""
    r = _preflight(guarded, "/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&WIDTH=10&HEIGHT=10"
                   "&FORMAT=image/png&EXCEPTIONS=application/vnd.ogc.se_inimage",
                   origin="https://evil.example")
    exc = _exception(r, 400, "InvalidParameterValue", version="1.1.1")
    assert "'https://evil.example'" in (exc.text or "")


def test_a_refused_wmts_preflight_is_an_ows_exception_report(guarded: httpx.Client) -> None:
    """A header no page may send: an OWS ExceptionReport naming it and the ones allowed."""
    r = _preflight(guarded, "/wmts/1.0.0/WMTSCapabilities.xml", headers="X-Trace, x-api-key")
    text = _ows_exception(r, 400, "InvalidParameterValue", None)
    assert "X-Trace" in text and "X-API-Key" in text and "x-api-key" not in text


def test_an_allowed_preflight_is_still_answered(guarded: httpx.Client) -> None:
    """Control: the listed origin with GET and the key header passes."""
    r = _preflight(guarded, "/tiles/probability/14/0/0.png", headers="x-api-key")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ORIGIN


# -- the viewer page's validator ---------------------------------------------------------------

def test_the_viewer_page_has_a_validator(served: httpx.Client) -> None:
    """The page went out whole on every reload (no-cache, no ETag). It has an ETag now,
    and the same page asked again with it is a 304."""
    first = served.get("/viewer/")
    assert first.status_code == 200 and "etag" in first.headers
    assert first.headers["cache-control"] == "no-cache"
    again = served.get("/viewer/", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert served.get("/viewer/").headers["etag"] == first.headers["etag"]


# -- a layer under a pixel one way only ---------------------------------------------------------

@pytest.mark.parametrize("wide", ["x", "y"])
def test_a_layer_narrower_than_a_pixel_one_way_is_drawn(
        served: httpx.Client, site: dict[str, Any], wide: str) -> None:
    """A map the whole world wide (or pole to pole) over the layer's own latitudes (or
    longitudes), 16 x 16 pixels: the 2 km layer covered all 16 pixels one way and under one
    the other, fell between the column (row) centres the warp samples, and came back blank
    as if it had no data. It is drawn: one line of pixels, every pixel of it."""
    w, s, e, n = site["lonlat"]
    bbox = (-180.0, s, 180.0, n) if wide == "x" else (w, -90.0, e, 90.0)
    r = _wms(served, VERSION="1.3.0", REQUEST="GetMap", LAYERS="probability", STYLES="",
             CRS="CRS:84", BBOX=",".join(map(repr, bbox)), WIDTH=16, HEIGHT=16,
             FORMAT="image/png", TRANSPARENT="TRUE")
    drawn = _rgba(r)[..., 3] > 0
    along = drawn.any(axis=1 if wide == "x" else 0)  # the layer's own extent: every pixel
    across = drawn.any(axis=0 if wide == "x" else 1)  # the world: one pixel
    assert along.all(), drawn.astype(int)
    assert across.sum() == 1, drawn.astype(int)


# -- leading zeros in a tile URL: one URL per tile ----------------------------------------------

def _paths(site: dict[str, Any]) -> list[tuple[str, str]]:
    z, x, y = _tile(site)
    return [
        (f"/tiles/probability/0{z}/{x}/{y}.png", f"/tiles/probability/{z}/{x}/{y}.png"),
        (f"/tiles/probability/{z}/00{x}/{y}@2x.png", f"/tiles/probability/{z}/{x}/{y}@2x.png"),
        (f"/tiles/probability/{z}/{x}/0{y}.webp?key=pk_test_agency_key_0001",
         f"/tiles/probability/{z}/{x}/{y}.webp?key=pk_test_agency_key_0001"),
        (f"/wmts/1.0.0/probability/default/WebMercatorQuad/0{z}/0{y}/{x}.png",
         f"/wmts/1.0.0/probability/default/WebMercatorQuad/{z}/{y}/{x}.png"),
        ("/tiles/probability/00/0/0.png", "/tiles/probability/0/0/0.png"),
        (f"/tiles/probability/%31%34/{x}/{y}%402x.png", f"/tiles/probability/{z}/{x}/{y}@2x.png"),
    ]


@pytest.mark.parametrize("case", range(6))
def test_a_tile_coordinate_with_leading_zeros_is_sent_to_its_one_url(
        served: httpx.Client, site: dict[str, Any], case: int) -> None:
    """``/tiles/p/014/...`` was answered as tile 14, one tile under many URLs (each its
    own entry in every cache between; WMTS names TileMatrix ``14``, not ``014``), and so
    were percent-encoded digits. Every tile route now answers a 301 to the canonical URL,
    relative, query kept."""
    padded, canonical = _paths(site)[case]
    r = served.get(padded)
    assert r.status_code == 301, (r.status_code, r.text[:200])
    assert r.headers["location"] == canonical
    assert r.headers["cache-control"].startswith(("public", "private"))
    assert served.get(padded, follow_redirects=True).content == served.get(canonical).content


def test_a_wmts_kvp_tile_matrix_with_a_leading_zero_is_sent_to_its_one_url(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """The KVP binding follows the same rule: ``TILEMATRIX=014`` is a 301 to ``14``."""
    params = _kvp(site)
    r = served.get("/wmts", params={**params, "TILEMATRIX": "0" + str(params["TILEMATRIX"])})
    assert r.status_code == 301, r.text[:300]
    location = httpx.URL(r.headers["location"])
    assert location.path == "/wmts"
    assert location.params["TILEMATRIX"] == str(params["TILEMATRIX"])
    assert served.get(r.headers["location"]).content == \
        served.get("/wmts", params=params).content


@pytest.mark.parametrize(("path", "status"), [
    ("/tiles/nolayer/014/0/0.png", 404),         # an unknown layer: no redirect to it
    ("/tiles/probability/014/99999/0.png", 400),  # a tile that does not exist
    ("/tiles/uncertainty/014/0/0.png", 401),      # a key needed first
])
def test_a_padded_url_of_no_tile_is_refused_not_redirected(
        served: httpx.Client, path: str, status: int) -> None:
    """Control: only a tile that exists and may be read is redirected to."""
    r = served.get(path)
    assert r.status_code == status, r.text[:200]
    assert "location" not in r.headers


@pytest.mark.parametrize(("path", "status", "target"), [
    ("/tiles/probability/014/{x}/{y}.png?v=2", 301, "/tiles/probability/14/{x}/{y}.png?v=2"),
    ("/layers/", 307, "/layers"),
])
def test_a_redirect_behind_a_proxy_stays_under_its_path(
        guarded: httpx.Client, site: dict[str, Any], path: str, status: int,
        target: str) -> None:
    """A server published under a path (``public_url: https://maps.example.org/prospect``)
    redirected to ``/layers``, out of the proxy's path (a page of another site, or a 404).
    Redirects are made under ``public_url``, as its links are."""
    _, x, y = _tile(site)
    r = guarded.get(path.format(x=x, y=y))
    assert r.status_code == status, r.text[:200]
    assert r.headers["location"] == PROXY + target.format(x=x, y=y)


# -- Web Mercator under its other names ---------------------------------------------------------

def _mercator_map(c: httpx.Client, site: dict[str, Any], crs: str,
                  version: str) -> httpx.Response:
    w, s, e, n = site["lonlat"]
    t = Transformer.from_crs(4326, 3857, always_xy=True)
    (x0, x1), (y0, y1) = t.transform([w, e], [s, n])
    name = "SRS" if version == "1.1.1" else "CRS"
    return _wms(c, VERSION=version, REQUEST="GetMap", LAYERS="probability", STYLES="",
                **{name: crs}, BBOX=f"{x0 - 500},{y0 - 500},{x1 + 500},{y1 + 500}",
                WIDTH=48, HEIGHT=48, FORMAT="image/png", TRANSPARENT="TRUE")


@pytest.mark.parametrize(("crs", "version"), [
    ("EPSG:102113", "1.1.1"), ("EPSG:41001", "1.3.0"), ("OSGEO:41001", "1.1.1"),
    ("epsg:900913", "1.3.0"), ("EPSG:102100", "1.1.1")])
def test_web_mercator_under_another_name_is_drawn_as_epsg_3857(
        served: httpx.Client, site: dict[str, Any], crs: str, version: str,
        capfd: pytest.CaptureFixture[str]) -> None:
    """ArcGIS's ``EPSG:102113`` and OSGeo's ``41001`` were 400 "not a known CRS"; the
    names PROJ knows (``900913``, ``102100``) printed GDAL's "not a valid CRS code" and
    "deprecated" warnings into the server's log on every map. Each is drawn as EPSG:3857,
    pixel for pixel, without a word in the log."""
    base = _rgba(_mercator_map(served, site, "EPSG:3857", version))
    assert base[..., 3].any()
    capfd.readouterr()
    alias = _rgba(_mercator_map(served, site, crs, version))
    assert (alias == base).all()
    assert "Warning" not in capfd.readouterr().err


# -- proxy headers never make links ----------------------------------------------------------

def test_forwarded_headers_do_not_change_the_links(served: httpx.Client) -> None:
    """uvicorn read ``X-Forwarded-Proto`` from loopback peers: one request saying
    ``https`` got capabilities, TileJSON and a viewer whose every link was
    ``https://127.0.0.1:PORT`` (a server that speaks HTTP), cached as public for ten
    minutes. Links come from ``public_url`` or the socket, never from request headers."""
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "proxy.example",
             "Forwarded": "proto=https;host=proxy.example", "X-Forwarded-For": "203.0.113.9"}
    root = str(served.base_url).rstrip("/")
    for path in ("/wms?SERVICE=WMS&REQUEST=GetCapabilities", "/tilejson/probability.json",
                 "/wmts/1.0.0/WMTSCapabilities.xml", "/viewer/", "/layers"):
        plain, forwarded = served.get(path), served.get(path, headers=proxy)
        assert forwarded.status_code == 200
        assert forwarded.text == plain.text, path
        assert root in forwarded.text and "https://127.0.0.1" not in forwarded.text


# -- WMS refusals name their parameter ---------------------------------------------------------

@pytest.mark.parametrize(("extra", "code", "locator", "words"), [
    ({"WIDTH": "0"}, "InvalidParameterValue", "WIDTH", ("1..4096", "MaxWidth")),
    ({"HEIGHT": "-3"}, "InvalidParameterValue", "HEIGHT", ("1..4096", "MaxHeight")),
    ({"WIDTH": "4097"}, "InvalidParameterValue", "WIDTH", ("MaxWidth",)),
    ({"STYLES": "fancy"}, "StyleNotDefined", "STYLES", ("'fancy'",)),
    ({"STYLES": "default,default"}, "InvalidParameterValue", "STYLES", ("2 styles",)),
    ({"TRANSPARENT": "yes"}, "InvalidParameterValue", "TRANSPARENT", ("TRUE or FALSE",)),
    ({"BGCOLOR": "white"}, "InvalidParameterValue", "BGCOLOR", ("0xRRGGBB",)),
    ({"SERVICE": "WFS"}, "InvalidParameterValue", "SERVICE", ("'WFS'",)),
    ({"REQUEST": "GetMapp"}, "OperationNotSupported", "REQUEST", ("'GetMapp'",)),
    ({"BBOX": "1,2,3"}, "InvalidParameterValue", "BBOX", ("four numbers",)),
    ({"FORMAT": "image/jpeg", "TRANSPARENT": "TRUE"}, "InvalidFormat", "FORMAT",
     ("lossy", "no transparency", "BGCOLOR")),
])
def test_a_wms_refusal_names_the_parameter_at_fault(
        served: httpx.Client, site: dict[str, Any], extra: dict[str, str], code: str,
        locator: str, words: tuple[str, ...]) -> None:
    """These refusals had the right code but no ``locator`` (WMS 1.3.0 6.11: the
    parameter at fault), so a client could not point its user at the field to change; a
    size past MaxWidth did not say where the limit is published, and JPEG not why it is
    not served."""
    r = _wms(served, **round16._map_params(site, **extra))
    exc = _exception(r, 400, code)
    assert exc.attrib.get("locator") == locator, r.text
    for word in words:
        assert word in (exc.text or ""), exc.text


def test_a_legend_style_that_does_not_exist_names_style(served: httpx.Client) -> None:
    """GetLegendGraphic's STYLE refusal named no locator either."""
    r = _wms(served, VERSION="1.3.0", REQUEST="GetLegendGraphic", LAYER="probability",
             FORMAT="image/png", STYLE="fancy")
    exc = _exception(r, 400, "StyleNotDefined")
    assert exc.attrib.get("locator") == "STYLE"
    assert ET.fromstring(r.content).tag == f"{OGC}ServiceExceptionReport"


# -- many clients, slow clients, HTTP/1.0 ------------------------------------------------------

def test_fifty_clients_at_once_beside_slow_ones_are_all_answered(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """Control: 50 parallel tile and map requests while 10 clients hold connections with
    half-sent request heads are all answered 200; an HTTP/1.0 client gets a whole answer
    and the connection closed."""
    host, port = served.base_url.host, served.base_url.port
    assert port is not None
    slow = [socket.create_connection((host, port)) for _ in range(10)]
    try:
        for conn in slow:
            conn.sendall(b"GET /tiles/probability/14/0/0.png HTTP/1.1\r\nHost: x\r\n")
        z, x, y = _tile(site)

        def ask(i: int) -> int:
            if i % 2:
                return served.get(f"/tiles/probability/{z}/{x + i % 3}/{y}.png").status_code
            return _wms(served, **round16._map_params(site, WIDTH=128 + i, HEIGHT=64)
                        ).status_code

        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            codes = list(pool.map(ask, range(50)))
        assert codes == [200] * 50
        with socket.create_connection((host, port), timeout=10) as old:
            old.sendall(b"GET /tilejson/probability.json HTTP/1.0\r\n\r\n")
            data = b""
            while chunk := old.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert re.search(rb"(?i)content-length: %d\r" % len(body), head)
        assert json.loads(body)["tilejson"] == "3.0.0"
    finally:
        for conn in slow:
            conn.close()



# -- the tiles stage: layer names one disk cannot tell apart -----------------------------------

@pytest.mark.parametrize("layers", [
    [{"variable": "probability"}, {"variable": "Probability"}],
    [{"variable": "probability", "name": "Li"}, {"variable": "uncertainty", "name": "li"}],
])
def test_layer_names_that_differ_only_in_case_are_a_config_error(
        layers: list[dict[str, str]]) -> None:
    """Two layers named ``probability`` and ``Probability`` were accepted: the stage writes
    ``tiles/<name>/`` and ``<name>.pmtiles``, one folder and one file on macOS and Windows
    disks, so one layer's tiles were drawn over the other's. A config error names both."""
    from prospect.config._base import validate_mapping
    from prospect.config.tiles import TilesConfig
    from prospect.errors import ConfigError

    with pytest.raises(ConfigError, match="differ only in case") as info:
        validate_mapping(TilesConfig, {"layers": layers}, source="job.yaml")
    names = [la.get("name", la["variable"]) for la in layers]
    assert all(repr(name) in str(info.value) for name in names)


def test_a_retina_wmts_rest_tile_names_the_512_matrix_set(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """``.../{TileCol}@2x.png`` in the WMTS REST binding (as XYZ clients write retina
    tiles) was refused with the URL form only; it names the 512 px matrix set now, and
    that set serves the tile."""
    z, x, y = _tile(site)
    r = served.get(f"/wmts/1.0.0/probability/default/WebMercatorQuad/{z}/{y}/{x}@2x.png")
    text = _ows_exception(r, 400, "InvalidParameterValue", None)
    assert "WebMercatorQuad512" in text
    big = served.get(f"/wmts/1.0.0/probability/default/WebMercatorQuad512/{z}/{y}/{x}.png")
    assert _rgba(big).shape == (512, 512, 4)


def test_a_server_on_every_address_prints_urls_a_browser_opens(site: dict[str, Any]) -> None:
    """``prospect serve --host 0.0.0.0`` printed ``viewer: http://0.0.0.0:PORT/viewer/``,
    which browsers do not open (Chrome blocks 0.0.0.0). The URLs name loopback, and a
    line says the server listens on every address."""
    from tiles.testing import serve_process

    with serve_process(site["fx"].config, "--host", "0.0.0.0") as (_proc, root):
        assert root.startswith("http://127.0.0.1:"), root
        assert httpx.get(f"{root}/viewer/").status_code == 200


# -- a float32 value as the data hold it -------------------------------------------------------

def test_a_cell_value_is_given_with_the_digits_its_type_holds(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """``/point`` and GetFeatureInfo gave a float32 cell as ``0.43021473288536072``: the
    float64 expansion, ten digits the data do not hold. They give the shortest decimal
    that is the stored value (``0.43021473``), which reads back as it exactly."""
    import rasterio

    w, s, e, n = site["lonlat"]
    lon, lat = (w + e) / 2, (s + n) / 2
    with rasterio.open(site["fx"].probability) as ds:
        xy = Transformer.from_crs(4326, ds.crs, always_xy=True).transform(lon, lat)
        stored = next(ds.sample([xy]))[0]
    assert stored.dtype == "float32"
    shortest = np.format_float_positional(stored, unique=True, trim="-")  # numpy's rule
    point = served.get("/point/probability", params={"lon": lon, "lat": lat})
    assert json.loads(point.text)["value"] == float(shortest)
    assert f'"value": {shortest}' in point.text
    info = _wms(served, VERSION="1.3.0", REQUEST="GetFeatureInfo", LAYERS="probability",
                QUERY_LAYERS="probability", STYLES="", CRS="CRS:84",
                BBOX=f"{lon - 1e-5},{lat - 1e-5},{lon + 1e-5},{lat + 1e-5}", WIDTH=1, HEIGHT=1,
                I=0, J=0, INFO_FORMAT="text/plain")
    assert info.text == f"probability (synthetic data) = {shortest}\n"  # round 37

