"""The tile server as partner agencies' clients meet it, round 22 (GetLegendGraphic in WMS
1.3.0's ``<Request>``, XYZ URLs that spell a layer or grid in another case, tile
coordinates of nine digits or more, layer names outside ASCII, request heads HTTP cannot
read, upgrades, bodies trickled after their refusal, a tile archive or a URL named as a
layer source; and controls: a client sending its head a byte at a time, pipelined requests
after refusals, Web Mercator tiles of an RD New layer against ``gdalwarp``, TileJSON and
WMTS zooms).

A real server (uvicorn on loopback, in this process; round 16's fixtures) answers real HTTP
requests from httpx, OWSLib and raw sockets; GDAL's ``gdalwarp`` makes the reference map.
Each case failed before: WMS 1.3.0's capabilities listed no GetLegendGraphic (OWSLib and
QGIS find operations there); ``/tiles/Probability/...`` was a 404 where padded numbers are
sent to the one URL; ``/tiles/p/30/1073741824/0.png`` was "not non-negative integers";
``/tiles/probabilité/...`` was refused without saying what name arrived; a head without
``Host`` got uvicorn's plain text; a WebSocket handshake a bare 403; a body trickled after
its 413 held the connection for ever; ``pmtiles:`` in a serve config was "unknown key (did
you mean 'title'?)" and ``cog: https://...`` a path under the config's folder. All data
here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import morecantile
import numpy as np
import pytest
import xarray as xr
import yaml
from PIL import Image

from prospect.grid import RegionGrid
from prospect.io.raster import write_cog
from tests.robustness import test_serving_round16 as round16
from tests.robustness.conftest import assert_clean_error, run_in_process
from tests.robustness.test_serving_round16 import SCHEMAS, _tile, _wms
from tests.robustness.test_serving_round17 import _kvp, _ows_exception
from tiles.testing import live_server, values_from_rgba, wms_130_schema

site = round16.site  # round 16's fixtures: the COGs and one server for read-only cases
served = round16.served

WMS = "{http://www.opengis.net/wms}"
SLD = "{http://www.opengis.net/sld}"
KEY = "pk_test_agency_key_0001"  # tiles.testing's agency key (rights on 'uncertainty')
WEB = morecantile.tms.get("WebMercatorQuad")


# -- WMS 1.3.0: GetLegendGraphic in <Request> -------------------------------------------------

def test_wms_130_capabilities_list_getlegendgraphic(served: httpx.Client) -> None:
    """WMS 1.3.0's ``<Request>`` had no GetLegendGraphic (round 21 left it: the WMS schema
    alone refuses ``sld:GetLegendGraphic``). It is listed as SLD 1.1 declares it, the SLD
    schema named in ``xsi:schemaLocation``; the document validates against both schemas,
    and OWSLib (as QGIS) finds the operation and its URL."""
    r = _wms(served, VERSION="1.3.0", REQUEST="GetCapabilities")
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    op = root.find(f"{WMS}Capability/{WMS}Request/{SLD}GetLegendGraphic")
    assert op is not None, r.text[:2000]
    assert [f.text for f in op.findall(f"{WMS}Format")] == ["image/png"]
    location = root.attrib["{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"]
    assert "http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/" \
           "sld_capabilities.xsd" in " ".join(location.split())
    if SCHEMAS.is_dir():
        from lxml import etree

        schema = wms_130_schema(SCHEMAS)
        assert schema.validate(etree.fromstring(r.content)), schema.error_log.last_error
    owslib = pytest.importorskip("owslib.wms")
    wms = owslib.WebMapService(f"{served.base_url}/wms", version="1.3.0")
    url = wms.getOperationByName("GetLegendGraphic").methods[0]["url"]
    legend = served.get(url, params={"SERVICE": "WMS", "VERSION": "1.3.0",
                                     "REQUEST": "GetLegendGraphic", "LAYER": "probability",
                                     "FORMAT": "image/png"})
    assert legend.status_code == 200 and legend.headers["content-type"] == "image/png"


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="offline OGC schemas not present")
def test_the_wms_schema_with_sld_still_refuses_a_broken_document(served: httpx.Client) -> None:
    """Control: the schema pair (``tiles.testing.wms_130_schema``) is no blanket pass: a
    capabilities document without its ``<Service>`` is refused."""
    from lxml import etree

    doc = etree.fromstring(_wms(served, VERSION="1.3.0", REQUEST="GetCapabilities").content)
    doc.remove(doc.find(f"{WMS}Service"))
    assert not wms_130_schema(SCHEMAS).validate(doc)


# -- XYZ URLs naming a layer or a grid in another case ----------------------------------------

def _urls(site: dict[str, Any]) -> list[tuple[str, str]]:
    z, x, y = _tile(site)
    return [
        (f"/tiles/Probability/{z}/{x}/{y}.png", f"/tiles/probability/{z}/{x}/{y}.png"),
        (f"/tiles/PROBABILITY/0{z}/{x}/{y}@2x.png?a=1",
         f"/tiles/probability/{z}/{x}/{y}@2x.png?a=1"),
        ("/tiles/probability/utm19wgs84quad/10/0/0.png",
         "/tiles/probability/UTM19WGS84Quad/10/0/0.png"),
        ("/tilejson/Probability.json?tms=UTM19WGS84Quad",
         "/tilejson/probability.json?tms=UTM19WGS84Quad"),
        ("/tilejson/probability.json?tms=utm19wgs84quad&v=2",
         "/tilejson/probability.json?tms=UTM19WGS84Quad&v=2"),
        ("/legend/PROBABILITY.png", "/legend/probability.png"),
        ("/point/Probability?lon=-68.38&lat=12.14", "/point/probability?lon=-68.38&lat=12.14"),
        ("/download/Probability.tif", "/download/probability.tif"),
        ("/stac/PROBABILITY.json", "/stac/probability.json"),
    ]


@pytest.mark.parametrize("index", range(9))
def test_an_xyz_url_in_another_case_is_sent_to_its_one_url(
        served: httpx.Client, site: dict[str, Any], index: int) -> None:
    """``/tiles/Probability/...`` (a layer or grid name typed in another case into a QGIS
    XYZ connection or a web map) was a 404 with a hint, while a padded ``014`` is a 301
    to the one URL. Layer names are unique whatever their case, so each such URL is now a
    301 to the layer's own (query kept), as a padded number is; it then answers 200."""
    sent, canonical = _urls(site)[index]
    r = served.get(sent)
    assert r.status_code == 301, (r.status_code, r.text[:300])
    assert r.headers["location"] == canonical
    assert served.get(r.headers["location"]).status_code == 200


def test_a_private_layer_in_another_case_is_found_only_with_its_key(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """Control: without a key ``Uncertainty`` stays an unknown layer (no redirect, no hint
    of a layer the caller may not read); with the agency's key it is a 301, key kept."""
    z, x, y = _tile(site)
    r = served.get(f"/tiles/Uncertainty/{z}/{x}/{y}.png")
    assert r.status_code == 404 and "uncertainty" not in r.text, r.text
    r = served.get(f"/tiles/Uncertainty/{z}/{x}/{y}.png", params={"key": KEY})
    assert r.status_code == 301
    assert r.headers["location"] == f"/tiles/uncertainty/{z}/{x}/{y}.png?key={KEY}"
    assert "public" not in r.headers.get("cache-control", "")


def test_a_wmts_identifier_of_another_case_is_still_refused(served: httpx.Client,
                                                           site: dict[str, Any]) -> None:
    """Control (decided): WMTS identifiers keep OWS Common's rule (compared with case); the
    REST binding refuses ``Probability`` naming the one meant, it is not redirected."""
    z, x, y = _tile(site)
    r = served.get(f"/wmts/1.0.0/Probability/default/WebMercatorQuad/{z}/{y}/{x}.png")
    text = _ows_exception(r, 400, "InvalidParameterValue", "Layer")
    assert "did you mean 'probability'" in text


# -- tile coordinates of many digits; layer names outside ASCII -------------------------------

@pytest.mark.parametrize(("path", "status", "says"), [
    ("/tiles/probability/30/1073741824/0.png", 404, "zoom 30 outside the served range"),
    ("/tiles/probability/14/123456789/0.png", 400, "tile 14/123456789/0 does not exist"),
    ("/tiles/probability/000000000014/0/0.png", 301, "/tiles/probability/14/0/0.png"),
])
def test_a_tile_coordinate_of_nine_digits_or_more_is_judged_as_a_number(
        served: httpx.Client, path: str, status: int, says: str) -> None:
    """A coordinate of nine digits or more (zoom 30's x is ten) was refused as "not
    non-negative integers", which it is: the refusal now says what is wrong with it (past
    the zooms served, past the matrix), as for a shorter one, and a zoom padded past eight
    digits is sent to its one URL as a shorter padding is."""
    r = served.get(path)
    assert r.status_code == status, (r.status_code, r.text)
    if status == 301:
        assert r.headers["location"] == says
    else:
        assert says in r.json()["error"], r.text


def test_a_wmts_kvp_tile_col_of_twelve_digits_is_tile_out_of_range(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """The same in WMTS KVP: ``TILECOL=123456789012`` is ``TileOutOfRange`` (locator
    TILECOL), as a column one past the matrix is; it was "must be non-negative integers"."""
    r = served.get("/wmts", params=_kvp(site, TILECOL="123456789012"))
    text = _ows_exception(r, 400, "TileOutOfRange", "TILECOL")
    assert "does not exist" in text


@pytest.mark.parametrize(("sent", "shown"), [("probabilit%C3%A9", "'probabilité'"),
                                             ("%E2%82%AC", "'€'"),
                                             ("probabilit%C5%BFy", "'probabilitſy'")])
def test_a_layer_name_outside_ascii_is_refused_naming_it(served: httpx.Client, sent: str,
                                                         shown: str) -> None:
    """A percent-encoded UTF-8 layer name was "layer names are letters, digits, '_' and '-'
    only", without the name that arrived (a client cannot tell its encoding from the
    server's); the refusal names it as decoded and says the names are ASCII. A name that
    only Unicode case folding makes a layer's (``ſ`` folds to ``s``) is not redirected."""
    r = served.get(f"/tiles/{sent}/1/0/0.png")
    assert r.status_code == 400
    error = r.json()["error"]
    assert shown in error and "ASCII" in error, error


# -- a tile archive as a serve layer ----------------------------------------------------------

@pytest.mark.parametrize("key", ["pmtiles", "mbtiles", "archive"])
def test_a_tile_archive_named_as_a_serve_layer_says_what_to_serve(
        tmp_path: Path, key: str) -> None:
    """``pmtiles: probability.pmtiles`` in a serve config (round 21 left the archive
    unserved) was "unknown key 'layers.0.pmtiles' (did you mean 'title'?)". The server
    draws values; the refusal says so, names the COG to serve and how an archive is handed
    over (exit 2)."""
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"title": "t", "layers": [
        {"name": "probability", key: "probability.pmtiles", "public": True}]}))
    line = assert_clean_error(run_in_process("serve", "--check", config), 2, str(config),
                              repr(key), "'cog:'", "out/score/probability.tif")
    assert "did you mean" not in line


@pytest.mark.parametrize(("layer", "extra", "says"), [
    ({"cog": "https://example.org/probability.tif"}, {}, "a URL; the server reads"),
    ({"cube": "s3://bucket/cube.zarr", "variable": "probability"}, {}, "mount the bucket"),
    ({"cog": "probability.tif", "colormap": "Viridis"}, {}, "did you mean 'viridis'?"),
    ({"cog": "probability.tif", "colormap": "greys"}, {}, "did you mean 'Greys'?"),
    ({"cog": "probability.tif"}, {"header_timeout_s": 0.001}, "greater than or equal to 1"),
], ids=["https-cog", "s3-cube", "Viridis", "greys", "header-timeout"])
def test_a_serve_config_value_that_cannot_work_says_what_to_write(
        tmp_path: Path, layer: dict[str, str], extra: dict[str, Any], says: str) -> None:
    """A URL as a layer's ``cog:`` was joined to the config's folder ("<dir>/https:/
    example.org/...: layer COG not found"); ``colormap: Viridis`` listed five names but not
    the one meant (matplotlib's names keep case: 'viridis', 'Greys'); ``header_timeout_s:
    0.001`` was "OK", and then every client was dropped before its first packet. Each is a
    config error saying what to write (exit 2)."""
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"title": "t", **extra, "layers": [
        {"name": "probability", "public": True, **layer}]}))
    assert_clean_error(run_in_process("serve", "--check", config), 2, str(config), says)


# -- slow, pipelined and refused clients (controls) -------------------------------------------

@pytest.fixture(scope="module")
def quick(site: dict[str, Any]):
    """A second server on the same layers whose clients get 1 s to send a request head."""
    cfg = yaml.safe_load(Path(site["fx"].config).read_text())
    cfg["header_timeout_s"] = 1.0
    path = Path(site["fx"].config).with_name("serve-quick.yaml")
    path.write_text(yaml.safe_dump(cfg))
    with live_server(path) as server:
        yield server


def test_a_client_sending_its_head_a_byte_at_a_time_is_closed(quick: Any,
                                                              site: dict[str, Any]) -> None:
    """Control (slowloris): a client sending its request head a byte every 0.1 s keeps no
    connection past ``header_timeout_s`` (1 s here; counted from connect, not from its
    last byte), and a client beside it is answered at once."""
    z, x, y = _tile(site)
    head = f"GET /tiles/probability/{z}/{x}/{y}.png HTTP/1.1\r\nHost: x\r\n".encode()
    with socket.create_connection(("127.0.0.1", quick.port), timeout=5) as slow:
        start = time.monotonic()
        closed_after = None
        for byte in head * 4:
            try:
                slow.sendall(bytes([byte]))
            except OSError:  # reset by the server
                closed_after = time.monotonic() - start
                break
            slow.settimeout(0.1)
            try:
                if slow.recv(1) == b"":
                    closed_after = time.monotonic() - start
                    break
            except TimeoutError:
                pass
            if time.monotonic() - start > 1.0 and closed_after is None:
                r = httpx.get(f"http://127.0.0.1:{quick.port}/tilejson/probability.json",
                              timeout=5)
                assert r.status_code == 200
            if time.monotonic() - start > 4:
                break
    assert closed_after is not None and closed_after < 3.0, closed_after


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_body_trickled_after_its_refusal_does_not_hold_the_connection(
        quick: Any, method: str) -> None:
    """A request announcing a body (``Content-Length: 1000000``) is refused at once (413,
    or 405 for POST), and the body is read and dropped; each byte of it cancelled uvicorn's
    keep-alive timer, which nothing re-armed, so a client trickling a byte every 0.2 s (or
    one byte, then silence) held its connection for ever. It now has ``header_timeout_s``
    after the answer to finish the body (1 s here), then the connection is closed."""
    with socket.create_connection(("127.0.0.1", quick.port), timeout=5) as conn:
        conn.sendall(f"{method} /health HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 1000000\r\n\r\n".encode())
        assert conn.recv(65536).split(b" ")[1] in (b"413", b"405")
        start, closed_after = time.monotonic(), None
        conn.settimeout(0.2)
        while time.monotonic() - start < 4:
            try:
                conn.sendall(b"a")
                if conn.recv(1) == b"":
                    closed_after = time.monotonic() - start
                    break
            except TimeoutError:
                continue
            except OSError:  # reset by the server
                closed_after = time.monotonic() - start
                break
    assert closed_after is not None and closed_after < 3.0, closed_after


def test_a_whole_body_before_the_next_request_keeps_the_connection(quick: Any) -> None:
    """Control: a refused request whose (chunked) body arrived whole is followed on the
    same connection by the next request, answered as before."""
    data = b""
    with socket.create_connection(("127.0.0.1", quick.port), timeout=10) as conn:
        conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\nhello\r\n0\r\n\r\n"
                     b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while chunk := conn.recv(65536):
            data += chunk
    assert _answers(data) == [413, 200], data[:400]


def _answers(data: bytes) -> list[int]:
    return [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]


def test_pipelined_requests_after_refusals_are_all_answered_in_order(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """Control: four requests sent at once on one keep-alive connection (a 404, a WMS
    refusal, a tile, an HTTP/1.0-style close) are answered in order on it, each refusal
    leaving the connection open for the next."""
    z, x, y = _tile(site)
    host, port = served.base_url.host, served.base_url.port
    assert port is not None
    requests = (b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /wms?SERVICE=WMS&REQUEST=GetMap HTTP/1.1\r\nHost: x\r\n\r\n"
                + f"GET /tiles/probability/{z}/{x}/{y}.png HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                + b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(requests)
        while chunk := conn.recv(65536):
            data += chunk
    assert _answers(data) == [404, 400, 200, 200], data[:600]
    assert data.rstrip().endswith(b'{"status":"ok"}'), data[-200:]


def _raw(served: httpx.Client, request: bytes) -> bytes:
    host, port = served.base_url.host, served.base_url.port
    assert port is not None
    data = b""
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request)
        while chunk := conn.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize(("head", "says"), [
    (b"GET /health HTTP/1.1\r\n\r\n", "Missing mandatory Host"),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
     "conflicting Content-Length"),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nX-API-Key pk_test_agency_key_0001\r\n\r\n",
     "illegal header line"),
    (b"GET /health\r\n\r\n", "illegal request line"),
])
def test_a_request_head_http_cannot_read_is_refused_in_json_saying_why(
        served: httpx.Client, head: bytes, says: str) -> None:
    """A head HTTP/1.1 cannot parse (curl scripts with a hand-built header, HTTP/0.9, a
    proxy's doubled Content-Length) was uvicorn's plain text "Invalid HTTP request
    received.", saying nothing of what. It is the server's JSON refusal naming the fault
    and what a request must be, never echoing the line (a key sent without its colon is
    not shown), and the connection is closed."""
    data = _raw(served, head)
    status, _, rest = data.partition(b"\r\n")
    assert status == b"HTTP/1.1 400 Bad Request", data[:300]
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in headers.lower()
    assert b"connection: close" in headers.lower()
    error = json.loads(body)["error"]
    assert says in error and "Host header" in error, error
    assert "pk_test" not in error


def test_an_upgrade_request_is_answered_as_http_1_1(served: httpx.Client) -> None:
    """A WebSocket handshake (a browser's ``new WebSocket`` at the server, a proxy probing)
    was a bare 403 without a body or a content type, no endpoint here taking one; the
    ``Upgrade`` header is ignored (RFC 9110 7.8) and the request answered as HTTP/1.1."""
    data = _raw(served, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close"
                        b"\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 "), data[:300]
    assert data.endswith(b'{"status":"ok"}'), data[-200:]


# -- zooms the documents state; RD New data in Web Mercator against gdalwarp ------------------

def test_tilejson_and_wmts_state_one_zoom_range_and_deeper_tiles_are_served(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """Control: TileJSON's minzoom/maxzoom equal the WMTS TileMatrixSetLimits of
    WebMercatorQuad; its centre lies inside its bounds at a zoom it offers; a tile one and
    four zooms past maxzoom is served (upsampled, up to the server's max_zoom 18) and one
    past max_zoom is a 404 naming the range."""
    tj = served.get("/tilejson/probability.json").json()
    w, s, e, n = tj["bounds"]
    lon, lat, zc = tj["center"]
    assert w <= lon <= e and s <= lat <= n and tj["minzoom"] <= zc <= tj["maxzoom"]
    caps = ET.fromstring(served.get("/wmts/1.0.0/WMTSCapabilities.xml").content)
    ns = {"w": "http://www.opengis.net/wmts/1.0", "o": "http://www.opengis.net/ows/1.1"}
    for link in caps.iterfind(".//w:Layer/w:TileMatrixSetLink", ns):
        if link.findtext("w:TileMatrixSet", namespaces=ns) == "WebMercatorQuad" and \
                link.find("w:TileMatrixSetLimits", ns) is not None:
            zooms = [int(m.findtext("w:TileMatrix", namespaces=ns) or "-1")
                     for m in link.iterfind(".//w:TileMatrixLimits", ns)]
            assert (min(zooms), max(zooms)) == (tj["minzoom"], tj["maxzoom"])
            break
    else:
        pytest.fail("no WebMercatorQuad limits in the WMTS capabilities")
    for dz in (1, 4):
        t = WEB.tile(lon, lat, tj["maxzoom"] + dz)
        assert served.get(f"/tiles/probability/{t.z}/{t.x}/{t.y}.png").status_code == 200
    t = WEB.tile(lon, lat, 19)
    r = served.get(f"/tiles/probability/19/{t.x}/{t.y}.png")
    assert r.status_code == 404 and "outside the served range" in r.json()["error"]


@pytest.mark.skipif(shutil.which("gdalwarp") is None, reason="gdalwarp not installed")
def test_rd_new_tiles_in_web_mercator_agree_with_gdalwarp(tmp_path: Path) -> None:
    """Control: a layer in EPSG:28992 (4 km near Utrecht, 10 m cells, waves of 300 m and
    420 m) served as a Web Mercator tile at its deepest zoom (the layer's edge in it)
    matches ``gdalwarp -r bilinear`` of the same COG onto the tile's grid: every value
    within one colour level, the same pixels empty, and the least-squares shift between
    them under a tenth of a pixel (a half-pixel offset would be hundreds of times that)."""
    import rasterio

    grid = RegionGrid(crs="EPSG:28992", resolution=10.0, chunks=(256, 256), name="rd-test",
                      bounds=(134000.0, 454000.0, 138000.0, 458000.0))
    yy, xx = np.mgrid[0:400, 0:400] * 10.0  # metres
    waves = (0.5 + 0.45 * np.sin(2 * np.pi * xx / 300) * np.cos(2 * np.pi * yy / 420)
             ).astype("float32")
    cog = write_cog(xr.DataArray(waves, dims=("y", "x")), tmp_path / "waves.tif", grid=grid,
                    tags={"synthetic": "true"})
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"title": "RD New (synthetic)", "min_zoom": 0,
                                      "max_zoom": 18, "layers": [
                                          {"name": "waves", "cog": cog.name, "public": True}]}))
    with live_server(config) as server, server.client(timeout=30) as c:
        tj = c.get("/tilejson/waves.json").json()
        t = WEB.tile(*tj["center"][:2], tj["maxzoom"])
        r = c.get(f"/tiles/waves/{t.z}/{t.x}/{t.y}.png")
    assert r.status_code == 200
    with Image.open(io.BytesIO(r.content)) as img:
        got = values_from_rgba(np.asarray(img.convert("RGBA")), colormap="viridis",
                               vmin=0.0, vmax=1.0)
    b = WEB.xy_bounds(t)
    out = tmp_path / "warped.tif"
    subprocess.run(["gdalwarp", "-q", "-overwrite", "-t_srs", "EPSG:3857", "-te",
                    *map(repr, (b.left, b.bottom, b.right, b.top)), "-ts", "256", "256",
                    "-r", "bilinear", "-dstnodata", "nan", str(cog), str(out)],
                   check=True, capture_output=True)
    with rasterio.open(out) as ds:
        ref = ds.read(1)
    assert np.isnan(ref).any() and np.array_equal(np.isnan(got), np.isnan(ref))
    ok = np.isfinite(got)
    assert ok.sum() > 10000
    assert np.abs(got - ref)[ok].max() <= 1 / 255 + 1e-6
    gy, gx = np.gradient(ref)
    ok &= np.isfinite(gx) & np.isfinite(gy)
    shift = np.linalg.lstsq(np.stack([gx[ok], gy[ok]], 1), (got - ref)[ok], rcond=None)[0]
    assert np.abs(shift).max() < 0.1, shift
