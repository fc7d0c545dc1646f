"""The tile server as partner agencies' clients meet it, round 23 (file-name extensions in
another letter case or of another format, media types with parameters, dot segments and
encoded slashes in paths, HTTP/2 clients with prior knowledge, and uvicorn's own log line
beside a refused request head; controls: canonical URLs and queries left alone).

A real server (uvicorn on loopback, in this process; round 16's fixtures) answers real HTTP
requests from httpx, ``curl`` and raw sockets (httpx and curl remove dot segments before
sending, so those paths go over a socket as a hostile or naive client writes them). Each
case failed before: ``/tiles/p/14/x/y.PNG``, ``/legend/p.PNG`` and ``/download/p.tiff``
were 400 "URLs are ..."; ``.jpg`` was refused without saying that JPEG is not served;
``FORMAT=image/png; mode=8bit`` (GeoServer's, MapProxy's) was refused in WMTS and WMS;
``/tiles/./p/...`` was read as a layer ``.``, ``/tiles/x/../p/...`` a 404 and
``/tiles/p%2F14/...`` a 301 to ``/p/14/...`` (out of the tiles); an HTTP/2 preface got an
HTTP/1.1 405 and 400 the client cannot read; a refused head logged uvicorn's "Invalid HTTP
request received." naming neither client nor fault. All data here are SYNTHETIC.
"""

from __future__ import annotations

import logging
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.robustness import test_serving_round16 as round16
from tests.robustness.test_serving_round16 import _map_params, _tile, _wms
from tests.robustness.test_serving_round17 import _kvp, _ows_exception
from tests.robustness.test_serving_round22 import _raw

site = round16.site  # round 16's fixtures: the COGs and one server for read-only cases
served = round16.served

CURL = shutil.which("curl")


def _status_and_location(data: bytes) -> tuple[int, str | None]:
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    found = [line.split(":", 1)[1].strip() for line in head[1:]
             if line.lower().startswith("location:")]
    return status, found[0] if found else None


def _get_raw(served: httpx.Client, target: str) -> tuple[int, str | None, bytes]:
    data = _raw(served, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                .encode("latin-1"))
    status, location = _status_and_location(data)
    return status, location, data.split(b"\r\n\r\n", 1)[-1]


# -- extensions in another letter case or spelling: one URL per resource --------------------

def _tile_urls(site: dict[str, Any]) -> list[tuple[str, str]]:
    z, x, y = _tile(site)
    wmts = f"/wmts/1.0.0/probability/default/WebMercatorQuad/{z}/{y}/{x}"
    return [
        (f"/tiles/probability/{z}/{x}/{y}.PNG", f"/tiles/probability/{z}/{x}/{y}.png"),
        (f"/tiles/probability/{z}/{x}/{y}@2X.Png?v=1",
         f"/tiles/probability/{z}/{x}/{y}@2x.png?v=1"),
        (f"/tiles/probability/{z}/{x}/{y}.WEBP", f"/tiles/probability/{z}/{x}/{y}.webp"),
        (f"/tiles/Probability/0{z}/{x}/{y}.PNG", f"/tiles/probability/{z}/{x}/{y}.png"),
        (f"{wmts}.PNG", f"{wmts}.png"),
    ]


def test_tile_extensions_in_capitals_are_sent_to_the_tiles_one_url(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """``{y}.PNG``, ``@2X``, ``.WEBP`` (Windows tools, hand-typed URLs, a proxy that
    upper-cases) were 400 "tile URLs are ... .png": they name the tile as ``.png`` does,
    so they are a ``301`` to its one URL (as padded numbers and another case of the layer
    are), query kept, and that URL serves the image."""
    for sent, canonical in _tile_urls(site):
        r = served.get(sent)
        assert r.status_code == 301, (sent, r.status_code, r.text[:300])
        assert r.headers["location"] == canonical, sent
        image = served.get(canonical)
        assert image.status_code == 200, (canonical, image.text[:200])
        assert image.headers["content-type"] == \
            ("image/webp" if canonical.endswith(".webp") else "image/png")


@pytest.mark.parametrize(("sent", "canonical"), [
    ("/legend/probability.PNG", "/legend/probability.png"),
    ("/download/probability.TIF", "/download/probability.tif"),
    ("/download/probability.tiff", "/download/probability.tif"),
    ("/download/Probability.TIFF?x=1", "/download/probability.tif?x=1"),
    ("/tilejson/probability.JSON", "/tilejson/probability.json"),
    ("/stac/probability.Json", "/stac/probability.json"),
])
def test_other_extensions_in_another_case_or_spelling_are_sent_to_the_one_url(
        served: httpx.Client, sent: str, canonical: str) -> None:
    """The legend, the COG (``.tiff``, ``.TIF``: GDAL and Windows write both), TileJSON
    and STAC URLs with their extension spelled so were 400 "URLs are ...": a ``301``."""
    r = served.get(sent)
    assert r.status_code == 301, (r.status_code, r.text[:300])
    assert r.headers["location"] == canonical
    assert served.get(canonical).status_code == 200


def test_an_extension_in_capitals_never_reveals_a_private_or_unknown_layer(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """Sent on only once the tile exists and the caller may read it: a key-protected
    layer without its key is the 401, an unknown layer the 404 (they were 400)."""
    z, x, y = _tile(site)
    private = served.get(f"/tiles/uncertainty/{z}/{x}/{y}.PNG")
    assert private.status_code == 401 and "location" not in private.headers
    unknown = served.get(f"/tiles/nosuchlayer/{z}/{x}/{y}.PNG")
    assert unknown.status_code == 404 and "location" not in unknown.headers
    legend = served.get("/legend/uncertainty.PNG")
    assert legend.status_code == 401 and "location" not in legend.headers


@pytest.mark.parametrize("tail", ["{y}.jpg", "{y}.jpeg", "{y}.JPG", "{y}@2x.jpg"])
def test_a_jpeg_tile_is_refused_saying_jpeg_is_not_served(
        served: httpx.Client, site: dict[str, Any], tail: str) -> None:
    """Leaflet and OpenLayers templates copied from base maps end in ``.jpg``: it was the
    malformed-URL refusal, as if the URL were garbled. Now it says JPEG is not served
    (lossy colours no longer match the legend, no transparency) and which URL serves."""
    z, x, y = _tile(site)
    r = served.get(f"/tiles/probability/{z}/{x}/" + tail.format(y=y))
    assert r.status_code == 400
    message = r.json()["error"]
    assert "JPEG" in message and "not served" in message and "legend" in message, message
    assert "{y}.png" in message, message


def test_a_jpeg_wmts_tile_is_refused_in_owss_terms_saying_why(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """The REST binding's ``.jpg`` and the KVP binding's ``FORMAT=image/jpeg``: an OWS
    ExceptionReport saying JPEG is not served and why (the KVP one said only "FORMAT must
    be image/png or image/webp")."""
    z, x, y = _tile(site)
    rest = served.get(f"/wmts/1.0.0/probability/default/WebMercatorQuad/{z}/{y}/{x}.jpg")
    assert "JPEG" in _ows_exception(rest, 400, "InvalidParameterValue", None)
    kvp = served.get("/wmts", params=_kvp(site, FORMAT="image/jpeg"))
    text = _ows_exception(kvp, 400, "InvalidParameterValue", "FORMAT")
    assert "JPEG" in text and "legend" in text, text


def test_a_legend_of_another_format_says_so(served: httpx.Client) -> None:
    """``/legend/probability.jpg`` and ``.svg``: the legend is a PNG, said by name."""
    jpg = served.get("/legend/probability.jpg").json()["error"]
    assert "JPEG" in jpg and "PNG" in jpg and "/legend/{layer}.png" in jpg, jpg
    svg = served.get("/legend/probability.svg").json()["error"]
    assert "'.svg'" in svg and "not served" in svg, svg


# -- media types with parameters ------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["image/png; mode=8bit", "image/png;mode=32bit",
                                 "IMAGE/PNG ; charset=binary"])
def test_a_png_media_type_with_parameters_is_a_png(
        served: httpx.Client, site: dict[str, Any], fmt: str) -> None:
    """GeoServer's and MapProxy's ``image/png; mode=8bit`` (QGIS and OWSLib pass it on
    from a capabilities document they were given) was ``InvalidFormat`` in WMS and
    ``InvalidParameterValue`` in WMTS: a media type's parameters do not change what a PNG
    is (RFC 6838), so it is drawn as ``image/png``."""
    tile = served.get("/wmts", params=_kvp(site, FORMAT=fmt))
    assert tile.status_code == 200, tile.text[:400]
    assert tile.headers["content-type"] == "image/png"
    plain = served.get("/wmts", params=_kvp(site))
    assert tile.content == plain.content
    image = _wms(served, **_map_params(site, FORMAT=fmt))
    assert image.status_code == 200, image.text[:400]
    assert image.headers["content-type"] == "image/png"


def test_another_media_type_with_parameters_is_still_refused(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """Control: parameters do not make another type a PNG (``image/gif; x=1`` refused)."""
    r = _wms(served, **_map_params(site, FORMAT="image/gif; x=1"))
    assert r.status_code == 400 and b"InvalidFormat" in r.content


# -- dot segments, empty segments and encoded slashes in the path ---------------------------

def _dot_paths(site: dict[str, Any]) -> list[tuple[str, str]]:
    z, x, y = _tile(site)
    tile = f"/tiles/probability/{z}/{x}/{y}.png"
    return [
        (f"/tiles/./probability/{z}/{x}/{y}.png", tile),
        (f"/tiles/x/../probability/{z}/{x}/{y}.png?v=1", f"{tile}?v=1"),
        (f"/tiles/%2e/probability/{z}/{x}/{y}.png", tile),
        (f"//tiles/probability/{z}/{x}/{y}.png", tile),
        (f"/tiles//probability/{z}/{x}/{y}.png", tile),
        (f"/tiles/probability%2F{z}/{x}/{y}.png", tile),
        (f"/tiles/probability%2f{z}/{x}/{y}.png", tile),
        ("/./layers", "/layers"),
        ("/viewer/.", "/viewer/"),
    ]


def test_dot_segments_and_encoded_slashes_are_sent_to_the_clean_path(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """A path with ``.`` or ``..`` segments, empty segments or ``%2F`` is a ``301`` to the
    path without them when that names an endpoint (RFC 3986 5.2.4; Go's ServeMux does
    the same), query kept. It was
    routed as written: ``/tiles/./probability/...`` read as a layer ``.`` in a grid
    ``probability`` (400), ``/tiles/x/../...`` a 404, and ``/tiles/probability%2F14/...``
    a 301 to ``/probability/14/...``, outside the tiles."""
    for sent, clean in _dot_paths(site):
        status, location, _ = _get_raw(served, sent)
        assert (status, location) == (301, clean), sent
    z, x, y = _tile(site)
    assert served.get(f"/tiles/probability/{z}/{x}/{y}.png").status_code == 200


@pytest.mark.parametrize("sent", [
    "/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2fetc/passwd", "/../../../../etc/passwd", "/download/..%2f..%2fetc",
    "/static/x/../../tiles/server.py", "//evil.example/x?key=pk_x",
])
def test_traversal_paths_are_refused_where_they_are_never_redirected(
        served: httpx.Client, sent: str) -> None:
    """Control (as before): a path whose clean form names no endpoint (traversal out of
    the static folder, ``//evil.example/x``) is not sent anywhere: the 404 naming the
    endpoints, no ``Location`` (one starting ``//`` would send the client, and its key,
    to another host), nothing from outside the static folder."""
    status, location, body = _get_raw(served, sent)
    assert (status, location) == (404, None), body[:200]
    assert b"root:" not in body and b"import" not in body


def test_clean_paths_and_queries_are_left_alone(served: httpx.Client,
                                                site: dict[str, Any]) -> None:
    """Control: a path already clean is answered as before, and dot segments or ``%2F``
    in the *query* (a WMS BBOX, a key) are no path."""
    z, x, y = _tile(site)
    status, location, _ = _get_raw(served, f"/tiles/probability/{z}/{x}/{y}.png?a=..%2F./")
    assert (status, location) == (200, None)
    status, location, _ = _get_raw(served, "/viewer/")
    assert (status, location) == (200, None)


# -- HTTP/2 with prior knowledge ------------------------------------------------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS = struct.pack(">I", 0)[1:] + b"\x04\x00" + struct.pack(">I", 0)


def _frames(data: bytes) -> Iterator[tuple[int, bytes]]:
    while len(data) >= 9:
        length = int.from_bytes(data[:3], "big")
        yield data[3], data[9:9 + length]
        data = data[9 + length:]


def test_an_http2_client_with_prior_knowledge_is_told_to_use_http11(
        served: httpx.Client) -> None:
    """HTTP/2's preface was read as an HTTP/1.1 request ``PRI *`` (405), then the rest as
    a malformed head (400), in HTTP/1.1 text the client cannot parse ("Empty reply", a
    framing error). It is answered in HTTP/2: SETTINGS, then GOAWAY with
    ``HTTP_1_1_REQUIRED`` (RFC 9113) whose debug data say to use HTTP/1.1."""
    data = _raw(served, PREFACE + SETTINGS)
    assert not data.startswith(b"HTTP/1.1"), data[:200]
    frames = list(_frames(data))
    assert [kind for kind, _ in frames] == [0x4, 0x7], data[:200]
    goaway = frames[1][1]
    last_stream, error = struct.unpack(">II", goaway[:8])
    assert (last_stream, error) == (0, 0xD)
    assert b"HTTP/1.1" in goaway[8:]


@pytest.mark.skipif(CURL is None, reason="needs curl")
def test_curl_http2_prior_knowledge_says_http11_is_required(served: httpx.Client) -> None:
    """``curl --http2-prior-knowledge`` reads the GOAWAY (error 13, HTTP_1_1_REQUIRED)
    and stops; it had printed "Empty reply from server" after HTTP/1.1 text."""
    run = subprocess.run([CURL, "-sv", "--http2-prior-knowledge", f"{served.base_url}/health"],
                         capture_output=True, text=True, timeout=30)
    assert "GOAWAY, error=13" in run.stderr, run.stderr[-600:]
    assert "Empty reply" not in run.stderr
    # the same URL over HTTP/1.1 is served: the server is up, only HTTP/2 was refused
    assert served.get("/health").status_code == 200


# -- the server's log for a refused request head -------------------------------------------

class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def server_log() -> Iterator[list[str]]:
    handler = _Records()
    loggers = [logging.getLogger(n) for n in ("uvicorn.error", "prospect.tiles")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def test_a_refused_request_head_is_one_log_line_naming_client_and_fault(
        served: httpx.Client, server_log: list[str]) -> None:
    """A head without ``Host``: the client gets the JSON refusal (round 22), and the log
    one line naming the client's address and the fault. uvicorn's own "Invalid HTTP
    request received." (naming neither) was written beside it; it is gone."""
    data = _raw(served, b"GET /health HTTP/1.1\r\nX-API-Key: pk_secret_1\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 400"), data[:200]
    assert not any("Invalid HTTP request" in line for line in server_log), server_log
    ours = [line for line in server_log if "refused the request head" in line]
    assert len(ours) == 1, server_log
    assert "127.0.0.1:" in ours[0] and "Host" in ours[0], ours
    assert "pk_secret" not in " ".join(server_log)


def test_an_http2_preface_is_one_log_line(served: httpx.Client,
                                          server_log: list[str]) -> None:
    """The HTTP/2 client: one line saying what it was and what it was told (it was
    uvicorn's "Invalid HTTP request received." after a 405 in the access log)."""
    _raw(served, PREFACE + SETTINGS)
    assert not any("Invalid HTTP request" in line for line in server_log), server_log
    lines = [line for line in server_log if "HTTP/2" in line]
    assert len(lines) == 1 and "HTTP_1_1_REQUIRED" in lines[0], server_log


# -- request lines HTTP/1.1 cannot read: what is wrong in the URL ---------------------------

@pytest.mark.parametrize(("line", "says"), [
    (b"GET /tiles/probabilit\xc3\xa9/14/1/1.png HTTP/1.1", "%C3%A9"),
    (b"GET /legend/my layer.png HTTP/1.1", "%20"),
    (b"GET /wms?LAYERS=a\x01 HTTP/1.1", "control character"),
])
def test_a_url_of_raw_bytes_or_spaces_is_refused_saying_how_to_encode_it(
        served: httpx.Client, line: bytes, says: str) -> None:
    """``curl 'http://host/tiles/probabilité/...'`` and scripts joining a name with a
    space send the bytes as they are; h11 refuses the request line, and the refusal said
    "illegal request line" only. It now says what in the URL is wrong and how to write
    it (percent-encoded), still never echoing the line."""
    data = _raw(served, line + b"\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 400"), data[:200]
    body = data.split(b"\r\n\r\n", 1)[1].decode()
    assert says in body, body
    assert "probabilit" not in body and "my layer" not in body


def test_a_tilematrix_named_with_its_set_says_what_an_identifier_is(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """GeoWebCache's identifiers are ``EPSG:3857:14``; a client given such a template
    sent ``TILEMATRIX=EPSG:3857:14`` and was told only that the three must be integers.
    The refusal names the value sent and what an identifier here is. (Round 39: a
    GeoWebCache identifier of the set asked, ``EPSG:3857:14`` in Web Mercator, is read as
    its level; one naming another set, ``EPSG:4326:14``, is refused so.)"""
    r = served.get("/wmts", params=_kvp(site, TILEMATRIX="EPSG:4326:14"))
    text = _ows_exception(r, 400, "InvalidParameterValue", "TILEMATRIX")
    assert "'EPSG:4326:14'" in text and "zoom level" in text, text


def test_a_clean_path_redirect_stays_under_the_proxys_path(
        site: dict[str, Any], tmp_path: Path) -> None:
    """Behind a proxy serving the server under a path (``public_url``), the clean path's
    ``Location`` is under it, as every redirect here is: a bare ``/tiles/...`` would leave
    the proxy's path."""
    import yaml

    from tiles.testing import live_server

    config = yaml.safe_load(site["fx"].config.read_text())
    config["public_url"] = "https://maps.example.org/prospect"
    for layer in config["layers"]:
        layer["cog"] = str(site["fx"].root / layer["cog"])
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(config))
    z, x, y = _tile(site)
    with live_server(path) as server, server.client() as c:
        status, location, _ = _get_raw(c, f"/tiles/x/../probability/{z}/{x}/{y}.png?v=1")
    assert (status, location) == (
        301, f"https://maps.example.org/prospect/tiles/probability/{z}/{x}/{y}.png?v=1")


# -- the tiles stage's config: formats as their specifications write them ------------------

@pytest.mark.parametrize(("tiles", "fmt", "archives"), [
    ({"format": "PNG"}, "png", ["pmtiles"]),
    ({"format": "image/webp"}, "webp", ["pmtiles"]),
    ({"format": ".png", "archive_formats": ["MBTiles", "PMTiles"]}, "png",
     ["mbtiles", "pmtiles"]),
])
def test_tile_formats_in_another_case_are_the_formats(tiles: dict[str, Any], fmt: str,
                                                      archives: list[str]) -> None:
    """A tiles section with ``format: PNG`` or ``archive_formats: [MBTiles]`` (as the
    MBTiles and PMTiles specifications write the names) was "Input should be 'png' or
    'webp'": they are the formats (SYNTHETIC job)."""
    from tests.robustness.test_serving_round16 import _job

    job = _job({"layers": [{"variable": "probability"}], **tiles})
    assert (job.tiles.format, job.tiles.archive_formats) == (fmt, archives)


def test_jpeg_tiles_in_a_job_are_refused_saying_why(cli: Any, tmp_path: Path) -> None:
    """``format: jpg`` was "Input should be 'png' or 'webp'": now the key, its line, and
    why JPEG is not written (SYNTHETIC job)."""
    job = tmp_path / "job.yaml"
    job.write_text("name: r23\nsynthetic: true\nregion: bonaire\ntiles:\n  format: jpg\n")
    out = cli("plan", job)
    assert out.code == 2, (out.code, out.err[-500:])
    assert "job.yaml:5" in out.err and "tiles.format" in out.err
    assert "JPEG" in out.err and "legend" in out.err and "png or webp" in out.err
