"""The tile server as partner agencies' clients meet it, round 18 (WMS 1.1.1 and 1.3.0
exceptions in images, WMTS REST refusals, maps of the whole world, dimensions, the pixel of
GetFeatureInfo, HTTP requests in absolute form).

A real server (uvicorn on loopback, in this process; round 16's fixtures) answers real HTTP
requests; a raw socket sends what curl and httpx do not. Each case failed before:
``EXCEPTIONS=INIMAGE`` / ``BLANK`` answered XML to a client that shows only images, the
WMTS REST binding refused in the XYZ endpoints' JSON, a small layer vanished from a map of
the whole world, TIME was dropped without a word, GetFeatureInfo took X/Y in 1.3.0 for
missing and FEATURE_COUNT=abc for 1, and ``GET http://host/wms?...`` was a 404. All data
here are SYNTHETIC.
"""

from __future__ import annotations

import io
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image

from tests.robustness import test_serving_round16 as round16
from tests.robustness.conftest import assert_clean_error, run_in_process
from tests.robustness.test_serving_round16 import (
    SCHEMAS,
    _exception,
    _map_params,
    _rgba,
    _tile,
    _wms,
)
from tests.robustness.test_serving_round17 import _ows_exception
from tiles.testing import values_from_rgba

site = round16.site  # round 16's fixtures: the COGs and one server for read-only cases
served = round16.served

WMS_130 = "{http://www.opengis.net/wms}"


def _image(r: httpx.Response, fmt: str = "image/png") -> np.ndarray:
    assert r.headers["content-type"] == fmt, (r.status_code, r.text[:300])
    with Image.open(io.BytesIO(r.content)) as img:
        return np.asarray(img.convert("RGBA"))


# -- WMS EXCEPTIONS=INIMAGE / BLANK ----------------------------------------------------------

@pytest.mark.parametrize(("version", "value"), [
    ("1.3.0", "INIMAGE"), ("1.1.1", "application/vnd.ogc.se_inimage"),
    ("1.3.0", "inimage")])
@pytest.mark.parametrize("fmt", ["image/png", "image/webp"])
def test_exceptions_inimage_writes_the_message_in_an_image_of_the_map(
        served: httpx.Client, site: dict[str, Any], version: str, value: str,
        fmt: str) -> None:
    """EXCEPTIONS=INIMAGE (1.1.1: application/vnd.ogc.se_inimage) answered a
    ServiceExceptionReport, which a client that shows only images (QGIS, OpenLayers'
    image layers) cannot show. It is an image of the request's FORMAT and size with the
    message written in it, a 200 as MapServer and GeoServer answer, never cached."""
    r = _wms(served, **_map_params(site, version, LAYERS="nope", FORMAT=fmt,
                                   EXCEPTIONS=value, WIDTH=320, HEIGHT=120))
    assert r.status_code == 200, r.text[:300]
    img = _image(r, fmt)
    assert img.shape == (120, 320, 4)
    dark = (img[..., :3].max(axis=2) < 96) & (img[..., 3] > 0)
    assert dark.sum() > 50  # the message's letters
    assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("version", "value"), [
    ("1.3.0", "BLANK"), ("1.1.1", "application/vnd.ogc.se_blank")])
def test_exceptions_blank_is_a_blank_image_on_the_requested_background(
        served: httpx.Client, site: dict[str, Any], version: str, value: str) -> None:
    """EXCEPTIONS=BLANK answered XML: it is an image with nothing drawn, transparent for
    TRANSPARENT=TRUE and filled with BGCOLOR otherwise."""
    clear = _image(_wms(served, **_map_params(site, version, LAYERS="nope", EXCEPTIONS=value,
                                              TRANSPARENT="TRUE")))
    assert clear.shape == (32, 64, 4) and not clear[..., 3].any()
    r = _wms(served, **_map_params(site, version, BBOX="1,2,3", EXCEPTIONS=value,
                                   BGCOLOR="0x123456"))
    assert r.status_code == 200
    filled = _image(r)
    assert (filled == (0x12, 0x34, 0x56, 255)).all()


@pytest.mark.parametrize(("version", "named"), [
    ("1.3.0", "XML, INIMAGE, BLANK"), ("1.1.1", "application/vnd.ogc.se_inimage")])
def test_an_exceptions_value_not_served_is_refused_naming_the_served_ones(
        served: httpx.Client, site: dict[str, Any], version: str, named: str) -> None:
    """EXCEPTIONS=application/json was ignored (a map, or XML for a refusal)."""
    r = _wms(served, **_map_params(site, version, EXCEPTIONS="application/json"))
    exc = _exception(r, 400, "InvalidParameterValue", version=version)
    assert named in (exc.text or "") and "EXCEPTIONS" in (exc.text or ""), exc.text
    if version == "1.3.0":
        assert exc.attrib["locator"] == "EXCEPTIONS"
    # GetCapabilities has no EXCEPTIONS: an unknown parameter there, ignored (6.8.1)
    caps = _wms(served, REQUEST="GetCapabilities", VERSION=version,
                EXCEPTIONS="application/json")
    assert caps.status_code == 200 and b"Capabilities" in caps.content[:400]


def test_an_image_exception_keeps_the_status_of_a_refused_key(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """A private layer without a key, asked with INIMAGE: the image, but the 401 and its
    challenge stay (a client must still be told to send a key)."""
    r = _wms(served, **_map_params(site, LAYERS="uncertainty", EXCEPTIONS="INIMAGE"))
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("ApiKey ")
    assert _image(r).shape == (32, 64, 4)


def test_an_image_exception_without_a_usable_size_is_xml(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """Controls: no image can be drawn at WIDTH=0, and GetFeatureInfo answers text: both
    refuse in XML whatever EXCEPTIONS says; a valid map with INIMAGE is the map."""
    r = _wms(served, **_map_params(site, WIDTH=0, EXCEPTIONS="INIMAGE"))
    _exception(r, 400, "InvalidParameterValue")
    w, s, e, n = site["lonlat"]
    r = _wms(served, VERSION="1.3.0", REQUEST="GetFeatureInfo", LAYERS="probability",
             QUERY_LAYERS="probability", STYLES="", CRS="CRS:84", BBOX=f"{w},{s},{e},{n}",
             WIDTH=10, HEIGHT=10, I=50, J=5, EXCEPTIONS="INIMAGE")
    _exception(r, 400, "InvalidPoint")
    plain = _rgba(_wms(served, **_map_params(site)))
    inimage = _rgba(_wms(served, **_map_params(site, EXCEPTIONS="INIMAGE")))
    assert (plain == inimage).all()


@pytest.mark.parametrize(("version", "formats"), [
    ("1.3.0", ["XML", "INIMAGE", "BLANK"]),
    ("1.1.1", ["application/vnd.ogc.se_xml", "application/vnd.ogc.se_inimage",
               "application/vnd.ogc.se_blank"])])
def test_capabilities_list_the_exception_formats(served: httpx.Client, version: str,
                                                 formats: list[str]) -> None:
    """The capabilities offered XML only; they list the three formats served (1.3.0: valid
    against the official schema, offline copy)."""
    r = _wms(served, REQUEST="GetCapabilities", VERSION=version)
    root = ET.fromstring(r.content)
    ns = WMS_130 if version == "1.3.0" else ""
    listed = [f.text for f in root.findall(f"{ns}Capability/{ns}Exception/{ns}Format")]
    assert listed == formats
    if version == "1.3.0" and SCHEMAS.is_dir():
        from lxml import etree

        from tiles.testing import wms_130_schema

        parser = etree.XMLParser(no_network=True)
        xsd = wms_130_schema(SCHEMAS)  # WMS's schema with SLD's sld:GetLegendGraphic
        assert xsd.validate(etree.fromstring(r.content, parser)), xsd.error_log.last_error


def test_a_refusal_before_the_wms_handler_honours_inimage(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """A URL over 2048 bytes is refused before the WMS handler runs: with INIMAGE it is an
    image too, at its own status (414)."""
    r = _wms(served, **_map_params(site, EXCEPTIONS="INIMAGE", LAYERS="p" * 2100))
    assert r.status_code == 414
    assert _image(r).shape == (32, 64, 4)


# -- WMTS REST refusals ----------------------------------------------------------------------

@pytest.mark.parametrize(("path", "status", "code", "locator", "words"), [
    ("nope/default/WebMercatorQuad/{z}/{y}/{x}.png", 400, "InvalidParameterValue", "Layer",
     "unknown layer 'nope'"),
    ("probability/fancy/WebMercatorQuad/{z}/{y}/{x}.png", 400, "InvalidParameterValue",
     "Style", "unknown style 'fancy'"),
    ("probability/default/NoSuchQuad/{z}/{y}/{x}.png", 400, "InvalidParameterValue",
     "TileMatrixSet", "NoSuchQuad"),
    ("probability/default/WebMercatorQuad/99/{y}/{x}.png", 400, "TileOutOfRange",
     "TILEMATRIX", "TileMatrix 99 outside"),
    ("probability/default/WebMercatorQuad/{z}/{y}@2x/{x}.png", 400,
     "InvalidParameterValue", None, "TileRow"),
    ("probability/default/WebMercatorQuad/{z}/{y}", 404, "NoApplicableCode", None,
     "no such WMTS resource"),
])
def test_wmts_rest_refusals_are_ows_exception_reports(
        served: httpx.Client, site: dict[str, Any], path: str, status: int, code: str,
        locator: str | None, words: str) -> None:
    """The REST binding refused in the XYZ endpoints' JSON, which WMTS clients (QGIS,
    ArcGIS, GDAL) do not read: an OWS 1.1 ExceptionReport now (07-057r7 10.2), at the KVP
    binding's statuses, the resource's part at fault as locator (valid against the
    official schema, offline copy)."""
    z, x, y = _tile(site)
    r = served.get("/wmts/1.0.0/" + path.format(z=z, x=x, y=y))
    assert words in _ows_exception(r, status, code, locator)


def test_wmts_rest_refusals_keep_the_key_challenge_and_xyz_keeps_json(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """A private layer without a key is a 401 with its challenge in the REST binding, as
    an ExceptionReport; the XYZ endpoints answer JSON as before (controls)."""
    z, x, y = _tile(site)
    r = served.get(f"/wmts/1.0.0/uncertainty/default/WebMercatorQuad/{z}/{y}/{x}.png")
    _ows_exception(r, 401, "NoApplicableCode", "Layer")
    assert r.headers["www-authenticate"].startswith("ApiKey ")
    xyz = served.get(f"/tiles/nope/{z}/{x}/{y}.png")
    assert xyz.status_code == 404 and "unknown layer" in xyz.json()["error"]
    long = served.get(f"/wmts/1.0.0/probability/default/WebMercatorQuad/{z}/{y}/{x}.png",
                      params={"pad": "x" * 2100})
    _ows_exception(long, 414, "NoApplicableCode", None)


# -- a small layer in a map of the whole world -----------------------------------------------

@pytest.mark.parametrize(("crs", "bbox"), [
    ("CRS:84", "-180,-90,180,90"), ("EPSG:4326", "-90,-180,90,180"),
    ("EPSG:3857", "-20037508.34,-20037508.34,20037508.34,20037508.34")])
def test_a_small_layer_is_drawn_in_a_map_of_the_whole_world(
        served: httpx.Client, site: dict[str, Any], crs: str, bbox: str) -> None:
    """A 2 km layer in a map of the whole world fell between the pixel centres the warp
    samples: the map came back blank, as if the layer had no data. It is drawn on the
    pixel it covers, the mean of its values there (as an average resampling is)."""
    r = _wms(served, VERSION="1.3.0", REQUEST="GetMap", LAYERS="probability", STYLES="",
             CRS=crs, BBOX=bbox, WIDTH=512, HEIGHT=256, FORMAT="image/png",
             TRANSPARENT="TRUE")
    img = _rgba(r)
    rows, cols = np.nonzero(img[..., 3])
    assert 1 <= len(rows) <= 4, len(rows)
    w, _, _, n = site["lonlat"]
    if crs != "EPSG:3857":  # the pixel holds the layer's place
        assert cols.min() == int((w + 180) / 360 * 512)
        assert rows.min() == int((90 - n) / 180 * 256)
    with rasterio.open(site["fx"].probability) as src:
        mean = float(np.nanmean(src.read(1)))
    value = values_from_rgba(img[rows[:1], cols[:1]][None], colormap="viridis", vmin=0,
                             vmax=1)
    assert abs(float(value[0, 0]) - mean) < 0.15  # the layer's values, not a stray colour


def test_a_small_layer_is_drawn_in_the_zoom_0_tile(served: httpx.Client) -> None:
    """The same in the XYZ tile of zoom 0 (served: the config's min_zoom is 0)."""
    img = _rgba(served.get("/tiles/probability/0/0/0.png"))
    assert 1 <= int((img[..., 3] > 0).sum()) <= 4


# -- TIME, ELEVATION, DIM_ -------------------------------------------------------------------

@pytest.mark.parametrize("extra", [{"TIME": "2020-01-01"}, {"ELEVATION": "100"},
                                   {"DIM_BAND": "7", "time": "2020"}])
def test_an_undeclared_dimension_is_ignored_and_said(
        served: httpx.Client, site: dict[str, Any], extra: dict[str, str]) -> None:
    """WMS (1.3.0 6.8.1 and annex C) has a server ignore a dimension a layer does not
    declare, and the map is drawn as without it; it was dropped without a word, so a
    client's user could take the map for the date asked. A Warning header names it."""
    plain = _wms(served, **_map_params(site))
    dated = _wms(served, **_map_params(site, **extra))
    assert (_rgba(plain) == _rgba(dated)).all()
    assert "warning" not in plain.headers
    said = dated.headers["warning"]
    assert said.startswith("299 ") and "ignored" in said
    for name in extra:
        assert name.upper() in said


# -- GetFeatureInfo: the pixel and FEATURE_COUNT ---------------------------------------------

def _info(site: dict[str, Any], version: str = "1.3.0", **extra: Any) -> dict[str, Any]:
    w, s, e, n = site["lonlat"]
    crs = {"CRS": "CRS:84"} if version == "1.3.0" else {"SRS": "EPSG:4326"}
    return {"VERSION": version, "REQUEST": "GetFeatureInfo", "LAYERS": "probability",
            "QUERY_LAYERS": "probability", "STYLES": "", "BBOX": f"{w},{s},{e},{n}",
            "WIDTH": 10, "HEIGHT": 10, **crs, **extra}


@pytest.mark.parametrize(("version", "given", "words"), [
    ("1.3.0", {"X": 5, "Y": 5}, "WMS 1.3.0 names the pixel I and J, not X and Y"),
    ("1.1.1", {"I": 5, "J": 5}, "WMS 1.1.1 names the pixel X and Y, not I and J")])
def test_getfeatureinfo_with_the_other_versions_pixel_names_says_so(
        served: httpx.Client, site: dict[str, Any], version: str, given: dict[str, int],
        words: str) -> None:
    """X/Y in a 1.3.0 request (or I/J in 1.1.1) was "I and J must be integer pixel
    positions, got I=''": the client's pixel was there, under the other version's names."""
    r = _wms(served, **_info(site, version, **given))
    exc = _exception(r, 400, "InvalidPoint", version=version)
    assert words in (exc.text or ""), exc.text


@pytest.mark.parametrize(("i", "j", "locator"), [(10, 5, "I"), (5, 99, "J")])
def test_getfeatureinfo_outside_the_map_names_the_pixel_and_the_range(
        served: httpx.Client, site: dict[str, Any], i: int, j: int, locator: str) -> None:
    r = _wms(served, **_info(site, I=i, J=j))
    exc = _exception(r, 400, "InvalidPoint")
    assert exc.attrib.get("locator") == locator
    assert f"I={i}, J={j}" in (exc.text or "") and "0..9" in (exc.text or ""), exc.text


@pytest.mark.parametrize("count", ["0", "abc", "-1", "1.5"])
def test_getfeatureinfo_feature_count_must_be_a_positive_integer(
        served: httpx.Client, site: dict[str, Any], count: str) -> None:
    """FEATURE_COUNT=abc (or 0) was read as 1: refused, locator FEATURE_COUNT; a valid
    count still answers (control)."""
    r = _wms(served, **_info(site, I=5, J=5, FEATURE_COUNT=count))
    exc = _exception(r, 400, "InvalidParameterValue")
    assert exc.attrib.get("locator") == "FEATURE_COUNT"
    assert _wms(served, **_info(site, I=5, J=5, FEATURE_COUNT="3")).status_code == 200


# -- HTTP: a request target in absolute form -------------------------------------------------

def _raw(url: str, target: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: other.example\r\n"
                     b"Connection: close\r\n\r\n")
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


@pytest.mark.parametrize(("target", "status"), [
    (b"http://tiles.example/wms?SERVICE=WMS&REQUEST=GetCapabilities", b"200"),
    (b"HTTP://tiles.example:8080/health", b"200"),
    (b"http://tiles.example", b"307")])
def test_a_request_target_in_absolute_form_is_served(
        served: httpx.Client, target: bytes, status: bytes) -> None:
    """RFC 9112 3.2.2: a server must accept ``GET http://host/path`` (clients set up for a
    proxy send it). Every such request was a 404 "no such endpoint '/http://...'"."""
    answer = _raw(str(served.base_url).rstrip("/"), target)
    assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 " + status + b" " + {
        b"200": b"OK", b"307": b"Temporary Redirect"}[status], answer[:300]
    assert b"other.example" not in answer and b"tiles.example" not in answer


# -- CORS: origins in the config, headers a page of another origin reads ---------------------

@pytest.mark.parametrize(("origin", "fix"), [
    ("https://viewer.example/", "'https://viewer.example'"),
    ("viewer.example", "'https://viewer.example'"),
    ("https://Viewer.example/map/index.html", "'https://viewer.example'")])
def test_a_cors_origin_that_no_browser_sends_is_a_config_error(
        tmp_path: Path, site: dict[str, Any], origin: str, fix: str) -> None:
    """A ``cors_origins`` entry with a path or trailing slash, without a scheme or in
    capitals never matched a browser's Origin (compared as text): ``prospect serve`` said
    OK and the agency's map page on that origin was refused by its browser."""
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({
        "cors_origins": ["http://localhost:8000", origin],
        "layers": [{"name": "p", "cog": str(site["fx"].probability), "public": True}]}))
    line = assert_clean_error(run_in_process("serve", config, "--check"), 2, "cors_origins",
                              repr(origin), fix)
    assert str(config) in line


def test_a_browser_of_another_origin_may_read_a_cog_by_ranges(
        served: httpx.Client) -> None:
    """Browser COG readers (geotiff.js, as OpenLayers' GeoTIFF source uses) send ``Range``
    and read ``Content-Range`` for the file's length: the preflight did not allow Range and
    Content-Range was not exposed, so the read failed in the browser. Both are allowed now,
    with Retry-After, Warning and the key challenge."""
    pre = served.options("/download/probability.tif", headers={
        "Origin": "https://viewer.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range,x-api-key"})
    assert pre.status_code == 200, pre.text
    allowed = pre.headers["access-control-allow-headers"].lower()
    assert "range" in allowed and "x-api-key" in allowed
    r = served.get("/download/probability.tif", headers={
        "Origin": "https://viewer.example", "Range": "bytes=0-15"})
    assert r.status_code == 206 and r.headers["content-range"].startswith("bytes 0-15/")
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"content-range", "etag", "retry-after", "warning"} <= exposed


# -- gzip ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/wmts/1.0.0/WMTSCapabilities.xml", "/wms?SERVICE=WMS&REQUEST=GetCapabilities",
    "/tilejson/probability.json?pad=1"])
def test_text_documents_go_gzipped_to_clients_that_accept_it(
        served: httpx.Client, path: str) -> None:
    """Capabilities (tens of kB for a few layers, on partner agencies' slow links) went
    uncompressed to every client that accepts gzip. They go gzipped now, under their own
    ETag (the identity and the gzip representation never share a strong validator) and
    with Vary: Accept-Encoding; either ETag answers If-None-Match; ``gzip;q=0`` gets the
    document as it is."""
    plain = served.get(path, headers={"Accept-Encoding": "identity"})
    packed = served.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    refused = served.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert plain.status_code == packed.status_code == refused.status_code == 200
    assert "content-encoding" not in plain.headers and "content-encoding" not in refused.headers
    if len(plain.content) < 1024:  # a small document is sent as it is
        assert "content-encoding" not in packed.headers
        return
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content  # httpx decoded it: the same document
    assert int(packed.headers["content-length"]) < len(plain.content) / 2
    assert packed.headers["etag"] != plain.headers["etag"]
    for r in (plain, packed):
        assert "Accept-Encoding" in r.headers["vary"]
    again = served.get(path, headers={"Accept-Encoding": "gzip",
                                      "If-None-Match": packed.headers["etag"]})
    assert again.status_code == 304
    again = served.get(path, headers={"Accept-Encoding": "identity",
                                      "If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304


def test_images_and_downloads_are_never_gzipped(served: httpx.Client,
                                                site: dict[str, Any]) -> None:
    """Controls: PNG tiles and the COG (range requests) go as they are."""
    z, x, y = _tile(site)
    tile = served.get(f"/tiles/probability/{z}/{x}/{y}.png", headers={"Accept-Encoding": "gzip"})
    cog = served.get("/download/probability.tif", headers={"Accept-Encoding": "gzip",
                                                           "Range": "bytes=0-99"})
    assert tile.status_code == 200 and "content-encoding" not in tile.headers
    assert cog.status_code == 206 and "content-encoding" not in cog.headers
