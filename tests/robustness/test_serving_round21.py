"""The tile server as partner agencies' clients meet it, round 21 (legend sizes, GML
feature info, clients that never read their map, layer names of one spelling, BBOXes
beyond any CRS's world, the other version's CRS key, tile matrix sets of another case,
the MBTiles archive as GDAL reads it, the viewer under a proxy's path).

A real server (uvicorn on loopback, in this process; round 16's fixtures) answers real HTTP
requests from httpx and raw sockets; GDAL's MBTiles driver (``gdalinfo``) reads the tiles
stage's archive. Each case failed before: GetLegendGraphic drew 320 x 84 whatever WIDTH
and HEIGHT said (``WIDTH=abc`` too) and 1.1.1's capabilities did not list it; INFO_FORMAT
``application/vnd.ogc.gml`` and ``text/xml`` (what QGIS and ArcGIS ask first) were
refused; a client that never read a large map held it in the server's memory until it
went away; serve-config layer names differing only in case were accepted; a BBOX of
1e300 metres in a projected CRS drew a blank map, 200; a 1.3.0 request with ``SRS=`` and
``CRS=`` of two CRSs (1.1.1 with both too) drew one of them without a word. All data
here are SYNTHETIC.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml
from PIL import Image

from tests.robustness import test_serving_round16 as round16
from tests.robustness.conftest import assert_clean_error, run_in_process
from tests.robustness.test_serving_round16 import _exception, _wms
from tests.robustness.test_serving_round17 import _kvp, _ows_exception
from tiles.testing import live_server

site = round16.site  # round 16's fixtures: the COGs and one server for read-only cases
served = round16.served

GML = "{http://www.opengis.net/gml}"
WFS = "{http://www.opengis.net/wfs}"
PROSPECT = "{urn:x-prospect:wms}"


def _size(r: httpx.Response) -> tuple[int, int]:
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(r.content)) as img:
        return img.size


# -- GetLegendGraphic: WIDTH and HEIGHT, and its place in the capabilities --------------------

@pytest.mark.parametrize(("asked", "size"), [
    ({"WIDTH": 640, "HEIGHT": 168}, (640, 168)),
    ({"HEIGHT": 200}, (320, 200)),
    ({"WIDTH": 40, "HEIGHT": 300}, (40, 300)),
    ({}, (320, 84)),  # control: the size every LegendURL names
])
def test_getlegendgraphic_draws_the_size_asked(served: httpx.Client,
                                               asked: dict[str, int],
                                               size: tuple[int, int]) -> None:
    """WIDTH and HEIGHT (SLD 1.1 10.2: the legend image's size in pixels) were ignored:
    every legend was 320 x 84. The legend is drawn at the size asked, under its own ETag."""
    r = _wms(served, VERSION="1.3.0", REQUEST="GetLegendGraphic", LAYER="probability",
             FORMAT="image/png", **asked)
    assert _size(r) == size
    if asked:
        default = _wms(served, VERSION="1.3.0", REQUEST="GetLegendGraphic",
                       LAYER="probability", FORMAT="image/png")
        assert r.headers["etag"] != default.headers["etag"]


@pytest.mark.parametrize(("name", "value"), [("WIDTH", "abc"), ("HEIGHT", "0"),
                                             ("WIDTH", "-5"), ("HEIGHT", "5000")])
def test_getlegendgraphic_refuses_a_size_it_cannot_draw(served: httpx.Client, name: str,
                                                        value: str) -> None:
    """``WIDTH=abc`` drew the 320 x 84 legend, 200. A size that is not 1..2048 pixels is
    400 naming its parameter."""
    r = _wms(served, VERSION="1.3.0", REQUEST="GetLegendGraphic", LAYER="probability",
             FORMAT="image/png", **{name: value})
    exc = _exception(r, 400, "InvalidParameterValue")
    assert exc.attrib["locator"] == name and "1..2048" in (exc.text or "")


def test_wms_111_capabilities_list_getlegendgraphic(served: httpx.Client) -> None:
    """WMS 1.1.1's DTD has GetLegendGraphic in ``<Request>`` (the SLD profile), where
    1.1.1 clients look for it; it was left out. It is listed with its format and URL."""
    r = _wms(served, VERSION="1.1.1", REQUEST="GetCapabilities")
    request = ET.fromstring(r.content).find("Capability/Request")
    assert request is not None
    names = [child.tag for child in request]
    assert names == ["GetCapabilities", "GetMap", "GetFeatureInfo", "GetLegendGraphic"]
    legend = request.find("GetLegendGraphic")
    assert legend is not None and legend.findtext("Format") == "image/png"
    href = legend.find("DCPType/HTTP/Get/OnlineResource")
    assert href is not None and "/wms?" in href.attrib["{http://www.w3.org/1999/xlink}href"]


# -- GetFeatureInfo as GML --------------------------------------------------------------------

def _info_at_data(site: dict[str, Any], fmt: str) -> dict[str, Any]:
    w, s, e, n = site["lonlat"]
    return {"VERSION": "1.3.0", "REQUEST": "GetFeatureInfo", "LAYERS": "probability",
            "QUERY_LAYERS": "probability", "STYLES": "", "CRS": "CRS:84",
            "BBOX": f"{w!r},{s!r},{e!r},{n!r}", "WIDTH": 10, "HEIGHT": 10, "I": 7, "J": 7,
            "INFO_FORMAT": fmt}


@pytest.mark.parametrize("fmt", ["application/vnd.ogc.gml", "text/xml"])
def test_getfeatureinfo_answers_gml(served: httpx.Client, site: dict[str, Any],
                                    fmt: str) -> None:
    """INFO_FORMAT ``application/vnd.ogc.gml`` and ``text/xml`` (QGIS's and ArcGIS's first
    choices, MapServer's and GeoServer's GML) were 400 InvalidFormat. They are a GML 2
    ``wfs:FeatureCollection`` with the cell's value, the same number GeoJSON gives."""
    r = _wms(served, **_info_at_data(site, fmt))
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith(fmt)
    root = ET.fromstring(r.content)
    assert root.tag == f"{WFS}FeatureCollection"
    [cell] = root.findall(f"{GML}featureMember/{PROSPECT}cell")
    assert cell.findtext(f"{PROSPECT}layer") == "probability"
    point = cell.find(f"{PROSPECT}location/{GML}Point")
    assert point is not None and point.attrib["srsName"] == "EPSG:4326"
    as_json = _wms(served, **_info_at_data(site, "application/json")).json()
    value = as_json["features"][0]["properties"]["value"]
    assert value is not None
    assert float(cell.findtext(f"{PROSPECT}value") or "nan") == value
    lon, lat = (float(v) for v in (point.findtext(f"{GML}coordinates") or "").split(","))
    assert [lon, lat] == as_json["features"][0]["geometry"]["coordinates"]


def test_wms_capabilities_list_the_gml_info_formats(served: httpx.Client) -> None:
    """Both versions' GetFeatureInfo lists the GML formats it now answers."""
    for version, path in (("1.3.0", "{http://www.opengis.net/wms}Capability/"
                                    "{http://www.opengis.net/wms}Request/"
                                    "{http://www.opengis.net/wms}GetFeatureInfo/"
                                    "{http://www.opengis.net/wms}Format"),
                          ("1.1.1", "Capability/Request/GetFeatureInfo/Format")):
        root = ET.fromstring(_wms(served, VERSION=version, REQUEST="GetCapabilities").content)
        formats = [f.text for f in root.findall(path)]
        assert "application/vnd.ogc.gml" in formats and "text/xml" in formats, formats


# -- a client that never reads its answer -----------------------------------------------------

@pytest.fixture(scope="module")
def stalling(site: dict[str, Any]):
    """A server of a 7 MB COG (random float32, SYNTHETIC: more than the kernel's socket
    buffers take) that closes a connection whose client takes nothing for 0.5 s."""
    import rasterio
    from rasterio.transform import from_origin

    cog = site["root"] / "noise.tif"
    data = np.random.default_rng(21).random((1, 1400, 1400)).astype("f4")
    with rasterio.open(cog, "w", driver="GTiff", width=1400, height=1400, count=1,
                       dtype="float32", crs="EPSG:32619", tiled=True,
                       transform=from_origin(566000, 1343000, 10, 10)) as dst:
        dst.write(data)
        dst.update_tags(synthetic="true")
    path = site["fx"].config.with_name("serve_stalling.yaml")
    path.write_text(yaml.safe_dump({
        "title": "stalling (synthetic)", "send_timeout_s": 0.5,
        "layers": [{"name": "noise", "cog": str(cog), "public": True}]}, sort_keys=False))
    with live_server(path) as server:
        yield server


def _stalled_client(port: int, target: str) -> tuple[socket.socket, bytes]:
    """A client that asks for ``target`` and then reads nothing (a receive buffer of a few
    KiB, so the answer waits in the server)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    sock.settimeout(60)
    first = sock.recv(64)
    assert first.startswith(b"HTTP/1.1 200")  # the answer is being sent
    return sock, first


def _read_all(client: tuple[socket.socket, bytes]) -> tuple[int, int]:
    """``(Content-Length, body bytes received)``, reading until the server closes or the
    whole body is in."""
    sock, data = client
    sock.settimeout(30)
    try:
        while chunk := sock.recv(1 << 20):
            data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: (\d+)", head)
            if length and len(body) >= int(length.group(1)):
                break
    except ConnectionResetError:
        pass
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length: (\d+)", head)
    assert length is not None, data[:300]
    return int(length.group(1)), len(body)


def test_a_client_that_never_reads_its_answer_is_closed(
        stalling: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A client that asked for a 7 MB COG and read nothing held its connection, and the
    answer's buffer in the server, until it went away. After ``send_timeout_s`` of taking
    nothing its connection is closed (the answer cut short, never passing for whole), with
    one log line; a client that reads gets the whole file."""
    with caplog.at_level(logging.WARNING, logger="prospect.tiles"):
        client = _stalled_client(stalling.port, "/download/noise.tif")
        time.sleep(1.2)
        length, got = _read_all(client)
        client[0].close()
    assert got < length, (got, length)
    assert any("send_timeout_s" in rec.getMessage() for rec in caplog.records), caplog.text
    with httpx.Client(base_url=stalling.url, timeout=60) as c:
        r = c.get("/download/noise.tif")
    assert r.status_code == 200 and len(r.content) == int(r.headers["content-length"])


@pytest.fixture(scope="module")
def budgeted(site: dict[str, Any]):
    """The server's HTTP protocol (``uvicorn_config`` of a serve config with
    ``max_unsent_mb: 1``) in front of an app that answers 6 MB in one write, as a large
    map is (a stand-in for a 4096 x 4096 map of noisy data, which takes seconds to draw)."""
    import uvicorn

    from prospect.config.tiles import ServeConfig
    from prospect.testing.servers import bound_socket, serving
    from tiles.server import uvicorn_config

    body = np.random.default_rng(6).bytes(6 << 20)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    config = ServeConfig.model_validate({
        **yaml.safe_load(site["fx"].config.read_text()), "max_unsent_mb": 1,
        "send_timeout_s": 30.0})
    sock = bound_socket()
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn_config(app, config, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    with serving(server, name="budgeted", sock=sock):
        yield port


def test_answers_stalled_clients_hold_are_bounded_in_bytes(
        budgeted: int, caplog: pytest.LogCaptureFixture) -> None:
    """Two clients that never read, each leaving megabytes of a one-write answer in the
    server, over a 1 MB budget (``max_unsent_mb``): the one stalled longest is closed at
    once, long before the 30 s send timeout; the other still gets its whole answer when it
    reads."""
    with caplog.at_level(logging.WARNING, logger="prospect.tiles"):
        first = _stalled_client(budgeted, "/")
        time.sleep(0.3)
        second = _stalled_client(budgeted, "/")
        time.sleep(0.3)
        first_length, first_got = _read_all(first)
        second_length, second_got = _read_all(second)
        first[0].close()
        second[0].close()
    assert first_got < first_length
    assert second_got == second_length
    assert any("max_unsent_mb" in rec.getMessage() for rec in caplog.records), caplog.text


# -- serve-config layer names of one spelling -------------------------------------------------

def test_serve_layer_names_that_differ_only_in_case_are_a_config_error(
        site: dict[str, Any], tmp_path: Path) -> None:
    """``probability`` and ``Probability`` in one serve config were accepted ("config and
    layers OK"), although every tile cache keyed by a folder per layer name (QGIS's,
    MapProxy's, a browser's on macOS and Windows disks) keeps the two as one and shows one
    layer as the other; the tiles stage already refused them. A config error names both."""
    config = tmp_path / "serve.yaml"
    cog = str(site["fx"].probability)
    config.write_text(yaml.safe_dump({"layers": [
        {"name": "probability", "cog": cog, "public": True},
        {"name": "Probability", "cog": cog, "public": True}]}))
    line = assert_clean_error(run_in_process("serve", config, "--check"), 2, "serve.yaml",
                              "'probability'", "'Probability'", "differ only in case")
    assert "Traceback" not in line


@pytest.mark.parametrize(("value", "fix"), [
    ("https://maps.example.org/prospect/", "'https://maps.example.org/prospect'"),
    ("maps.example.org/tiles", "'https://maps.example.org/tiles'"),
    ("HTTPS://maps.example.org", "'https://maps.example.org'"),
    ("https://maps.example.org/p?x=1", "'https://maps.example.org/p'"),
])
@pytest.mark.parametrize("kind", ["serve", "job"])
def test_a_public_url_that_is_no_root_says_what_to_write(
        site: dict[str, Any], tmp_path: Path, kind: str, value: str, fix: str) -> None:
    """``public_url: https://maps.example.org/prospect/`` (a trailing slash, as a folder is
    written) was refused with the bare regular expression ``String should match pattern
    '^https?://[^\\s?#]+[^/\\s?#]$'``, in the serve config and the job's tiles section alike.
    The refusal now says what a root URL is and the value to write."""
    from prospect.config._base import validate_mapping
    from prospect.config.job import JobConfig
    from prospect.errors import ConfigError

    if kind == "serve":
        config = tmp_path / "serve.yaml"
        config.write_text(yaml.safe_dump({"public_url": value, "layers": [
            {"name": "probability", "cog": str(site["fx"].probability), "public": True}]}))
        line = assert_clean_error(run_in_process("serve", config, "--check"), 2,
                                  "serve.yaml", "public_url", "no trailing slash", fix)
        assert "String should match pattern" not in line
        return
    with pytest.raises(ConfigError) as err:
        validate_mapping(JobConfig, {"name": "r21", "synthetic": True, "region": "bonaire",
                                     "tiles": {"public_url": value}}, source="job.yaml")
    assert "job.yaml" in str(err.value) and fix in str(err.value), str(err.value)
    assert "String should match pattern" not in str(err.value)


def test_a_public_url_with_a_path_and_port_is_accepted() -> None:
    """Control: a root URL with a port and a path is a root URL."""
    from prospect.config.tiles import check_public_url

    for url in ("https://maps.example.org/prospect", "http://127.0.0.1:8080",
                "https://[::1]:8443/a/b"):
        assert check_public_url(url) == url


@pytest.mark.parametrize("where", ["config", "keys_file"])
def test_a_key_pasted_where_its_hash_goes_is_refused_without_showing_it(
        site: dict[str, Any], tmp_path: Path, where: str) -> None:
    """An operator who wrote the agency's key itself in ``key_sha256`` got "has bad value
    'pk_...': String should match pattern '^[0-9a-f]{64}$'": a regular expression, and
    the secret printed to the terminal (and to the server's log, from a ``keys_file``
    reloaded). The refusal now says what a digest is and how to make one, and shows no
    part of the value."""
    key = site["fx"].key
    entry = {"agency": "ministry", "key_sha256": key, "layers": ["probability"]}
    data: dict[str, Any] = {"layers": [{"name": "probability",
                                        "cog": str(site["fx"].probability)}]}
    if where == "config":
        data["keys"] = [entry]
    else:
        (tmp_path / "keys.yaml").write_text(yaml.safe_dump({"keys": [entry]}))
        data["keys_file"] = "keys.yaml"
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump(data))
    done = run_in_process("serve", config, "--check")
    line = assert_clean_error(done, 2, "key_sha256", "never the key", "sha256sum")
    assert key not in done.out + done.err and key[:12] not in done.out + done.err, line


def test_a_digest_in_capitals_is_the_same_digest(site: dict[str, Any],
                                                 tmp_path: Path) -> None:
    """A SHA-256 digest written in capitals (as some tools print it) was refused by the
    regular expression; it is the same digest, kept in lower case as keys are hashed."""
    import hashlib

    from prospect.config.tiles import load_serve_config

    digest = hashlib.sha256(site["fx"].key.encode()).hexdigest()
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({
        "layers": [{"name": "probability", "cog": str(site["fx"].probability)}],
        "keys": [{"agency": "ministry", "key_sha256": digest.upper(),
                  "layers": ["probability"]}]}))
    assert load_serve_config(config).keys[0].key_sha256 == digest


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_a_tile_archive_given_as_a_layers_cog_is_refused_as_such(
        tmp_path: Path, kind: str) -> None:
    """The tiles stage's own archive given as a serve layer's ``cog:`` (a scientist serving
    what the job wrote): an MBTiles was "has 3 value bands ... gdal_translate -b N", advice
    that serves the red channel of the drawn colours as the layer's values; a PMTiles was
    "corrupt, truncated or not a raster". Both are refused as tile archives of drawn
    colours, naming the COG to serve instead."""
    from tiles.archive import write_mbtiles, write_pmtiles

    pyramid = tmp_path / "pyramid"
    (pyramid / "0" / "0").mkdir(parents=True)
    Image.new("RGBA", (256, 256), (68, 1, 84, 255)).save(pyramid / "0" / "0" / "0.png")
    archive = tmp_path / f"probability.{kind}"
    bounds = (-68.4, 12.1, -68.3, 12.2)
    if kind == "mbtiles":
        write_mbtiles(pyramid, archive, bounds=bounds, name="probability")
    else:
        write_pmtiles(pyramid, archive, bounds=bounds)
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"layers": [{"name": "probability", "cog": str(archive),
                                                  "public": True}]}))
    line = assert_clean_error(run_in_process("serve", config, "--check"), 1, archive.name,
                              "tile archive", "out/score/<layer>.tif")
    assert "gdal_translate" not in line and "corrupt" not in line


# -- BBOXes beyond the CRS's world, and the other version's CRS and pixel keys ----------------

@pytest.mark.parametrize("bbox", ["-1e300,-1e300,1e300,1e300", "566000,1341000,1e300,1343000",
                                  "566000,-1e12,568000,1e12"])
def test_a_bbox_far_beyond_a_projected_crs_is_refused(served: httpx.Client,
                                                      bbox: str) -> None:
    """A BBOX of 1e300 metres in UTM 19N drew a blank map, 200, over a layer inside it (one
    pixel was billions of Earths). A BBOX more than 16 times the CRS's whole area of use
    is 400, locator BBOX, saying how large it is."""
    r = _wms(served, VERSION="1.3.0", REQUEST="GetMap", LAYERS="probability", STYLES="",
             CRS="EPSG:32619", BBOX=bbox, WIDTH=64, HEIGHT=64, FORMAT="image/png")
    exc = _exception(r, 400, "InvalidParameterValue")
    assert exc.attrib["locator"] == "BBOX" and "EPSG:32619" in (exc.text or "")
    assert "times as large as the whole area" in (exc.text or "")


def test_a_wide_bbox_of_a_projected_crs_still_draws(served: httpx.Client) -> None:
    """Control: a map of the whole Caribbean in UTM 19N (3000 km, several times the zone)
    is drawn."""
    r = _wms(served, VERSION="1.3.0", REQUEST="GetMap", LAYERS="probability", STYLES="",
             CRS="EPSG:32619", BBOX="-1000000,0,2000000,3000000", WIDTH=64, HEIGHT=64,
             FORMAT="image/png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:300]


@pytest.mark.parametrize(("version", "params", "locator"), [
    ("1.3.0", {"CRS": "EPSG:4326", "SRS": "EPSG:3857"}, "SRS"),
    ("1.1.1", {"SRS": "EPSG:4326", "CRS": "EPSG:3857"}, None),
])
def test_the_other_versions_crs_key_naming_another_crs_is_refused(
        served: httpx.Client, site: dict[str, Any], version: str, params: dict[str, str],
        locator: str | None) -> None:
    """``SRS=EPSG:3857&CRS=EPSG:4326`` (a client library writing both names) drew the map
    in the one its version reads and dropped the other without a word: a BBOX meant for the
    other CRS drew another place. Two different CRSs are refused, naming both and the key
    the version reads."""
    w, s, e, n = site["lonlat"]
    bbox = f"{s},{w},{n},{e}" if version == "1.3.0" else f"{w},{s},{e},{n}"
    r = _wms(served, VERSION=version, REQUEST="GetMap", LAYERS="probability", STYLES="",
             BBOX=bbox, WIDTH=16, HEIGHT=16, FORMAT="image/png", **params)
    exc = _exception(r, 400, "InvalidParameterValue", version=version)
    assert "two CRSs" in (exc.text or "") and "EPSG:3857" in (exc.text or "")
    assert exc.attrib.get("locator") == locator


def test_both_crs_keys_naming_one_crs_still_draw(served: httpx.Client,
                                                 site: dict[str, Any]) -> None:
    """Control: ``SRS`` and ``CRS`` alike (Web Mercator by another name too) draw."""
    w, s, e, n = site["lonlat"]
    r = _wms(served, VERSION="1.3.0", REQUEST="GetMap", LAYERS="probability", STYLES="",
             CRS="CRS:84", SRS="crs:84", BBOX=f"{w},{s},{e},{n}", WIDTH=16, HEIGHT=16,
             FORMAT="image/png")
    assert r.status_code == 200, r.text[:300]


@pytest.mark.parametrize(("version", "crs", "lon_first"), [
    ("1.3.0", "EPSG:4326", True),   # 1.3.0's EPSG:4326 is latitude first
    ("1.1.1", "EPSG:4326", False),  # 1.1.1's is longitude first
    ("1.3.0", "CRS:84", False),
])
def test_a_map_with_its_axes_swapped_says_why_it_is_blank(
        served: httpx.Client, site: dict[str, Any], version: str, crs: str,
        lon_first: bool) -> None:
    """Bonaire's BBOX in the other axis order is a valid place (the South Atlantic, or
    Antarctica's coast), drawn blank, 200, without a word. The map is still drawn as asked
    (it is a place), with a ``Warning: 299`` saying that with its axes swapped the BBOX
    would cover the layer, and the order this version reads."""
    w, s, e, n = site["lonlat"]
    bbox = f"{w},{s},{e},{n}" if lon_first else f"{s},{w},{n},{e}"
    key = "SRS" if version == "1.1.1" else "CRS"
    r = _wms(served, VERSION=version, REQUEST="GetMap", LAYERS="probability", STYLES="",
             BBOX=bbox, WIDTH=16, HEIGHT=16, FORMAT="image/png", TRANSPARENT="TRUE",
             **{key: crs})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:300]
    warning = r.headers.get("warning", "")
    assert "axes swapped" in warning and "'probability'" in warning, r.headers
    order = "latitude, longitude" if version == "1.3.0" and crs == "EPSG:4326" else \
        "longitude, latitude"
    assert order in warning
    right = f"{s},{w},{n},{e}" if lon_first else f"{w},{s},{e},{n}"
    fixed = _wms(served, VERSION=version, REQUEST="GetMap", LAYERS="probability", STYLES="",
                 BBOX=right, WIDTH=16, HEIGHT=16, FORMAT="image/png", TRANSPARENT="TRUE",
                 **{key: crs})
    assert fixed.status_code == 200 and "warning" not in fixed.headers  # control


def test_getfeatureinfo_with_both_versions_pixels_naming_two_is_refused(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """A 1.3.0 GetFeatureInfo with ``I=7&J=7`` and ``X=2&Y=2`` answered pixel 7,7 without a
    word; two different pixels are refused, naming both."""
    r = _wms(served, **_info_at_data(site, "application/json"), X=2, Y=7)
    exc = _exception(r, 400, "InvalidPoint")
    assert exc.attrib["locator"] == "X" and "two pixels" in (exc.text or "")


# -- WMTS identifiers of another case ---------------------------------------------------------

@pytest.mark.parametrize(("key", "value", "meant"), [
    ("TILEMATRIXSET", "webmercatorquad", "WebMercatorQuad"),
    ("LAYER", "Probability", "probability"),
    ("STYLE", "Default", "default"),
])
def test_a_wmts_identifier_of_another_case_names_the_one_meant(
        served: httpx.Client, site: dict[str, Any], key: str, value: str,
        meant: str) -> None:
    """WMTS identifiers are compared with case (OWS Common), and ``webmercatorquad`` was
    refused naming nothing near. The refusal now says which identifier was meant."""
    r = served.get("/wmts", params=_kvp(site, **{key: value}))
    text = _ows_exception(r, 400, "InvalidParameterValue", key)
    assert f"did you mean {meant!r}" in text, text


def test_a_private_layer_is_not_hinted_to_a_caller_without_its_key(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """Control: ``Uncertainty`` asked without a key names no layer it may not read."""
    r = served.get("/wmts", params=_kvp(site, LAYER="Uncertainty"))
    text = _ows_exception(r, 400, "InvalidParameterValue", "LAYER")
    assert "did you mean" not in text and "uncertainty" not in text


# -- If-Modified-Since from a clock that runs ahead ------------------------------------------------

@pytest.mark.parametrize("path", ["/download/probability.tif", "/static/viewer.js"])
@pytest.mark.parametrize("date", ["Sat, 01 Jan 2450 00:00:00 GMT",
                                  "Mon, 01 Jan 10000 00:00:00 GMT"])
def test_if_modified_since_later_than_the_servers_clock_is_ignored(
        served: httpx.Client, path: str, date: str) -> None:
    """``If-Modified-Since`` in 2450 (a client's clock running ahead, ``curl -z`` of a file
    stamped in the future) was a 304 on downloads and static files: every later
    republication kept the client's old copy as current. A date past the server's clock
    is ignored (RFC 2616 14.25; Apache does so), as one that does not parse; the static
    files answer through the same rule (Starlette's took the year 10000 too)."""
    r = served.get(path, headers={"If-Modified-Since": date})
    assert r.status_code == 200 and r.num_bytes_downloaded == int(r.headers["content-length"]) > 0


@pytest.mark.parametrize("path", ["/download/probability.tif", "/static/viewer.js"])
def test_if_modified_since_of_the_files_own_date_is_still_a_304(served: httpx.Client,
                                                                path: str) -> None:
    """Control: the file's own Last-Modified (what a cache sends back) is a 304."""
    last = served.get(path).headers["last-modified"]
    assert served.get(path, headers={"If-Modified-Since": last}).status_code == 304


# -- the viewer behind a proxy's path ---------------------------------------------------------

@pytest.fixture(scope="module")
def proxied(site: dict[str, Any]):
    """A server behind a proxy that serves it under a path (``public_url``)."""
    config = yaml.safe_load(site["fx"].config.read_text())
    path = site["fx"].config.with_name("serve_proxied.yaml")
    path.write_text(yaml.safe_dump({**config, "public_url": PROXY}, sort_keys=False))
    with live_server(path) as server, server.client(timeout=60) as c:
        yield c


PROXY = "https://maps.example.org/prospect"


@pytest.mark.parametrize(("asked", "location"), [
    ("/", f"{PROXY}/viewer/"),
    ("/?key=pk_test_agency_key_0001", f"{PROXY}/viewer/?key=pk_test_agency_key_0001"),
])
def test_the_root_sends_to_the_viewer_under_the_proxys_path(
        proxied: httpx.Client, asked: str, location: str) -> None:
    """``https://maps.example.org/prospect/`` answered ``Location: /viewer/``, out of the
    proxy's path (a 404 of the proxy's host), and ``/?key=`` lost the agency's key (the
    viewer of public layers only). The redirect is under ``public_url``, query kept."""
    r = proxied.get(asked)
    assert r.status_code == 307 and r.headers["location"] == location


def test_the_viewer_under_a_proxys_path_links_only_under_it(proxied: httpx.Client) -> None:
    """Control: every script, style and layer URL of the viewer page is under
    ``public_url`` (none from the root of the proxy's host)."""
    page = proxied.get("/viewer/").text
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    config = re.search(r'id="prospect-config">(.*?)</script>', page, re.S)
    assert links and config is not None
    urls = links + re.findall(r'"(?:tiles|legend|point)": "([^"]*)"', config.group(1))
    assert len(urls) >= len(links) + 3
    assert all(u.startswith(PROXY + "/") for u in urls), urls


# -- the MBTiles archive as GDAL reads it -----------------------------------------------------

GDALINFO = shutil.which("gdalinfo")


@pytest.mark.skipif(GDALINFO is None, reason="needs gdalinfo (GDAL's command-line tools)")
def test_gdalinfo_reads_the_mbtiles_archive_as_its_metadata_says(
        site: dict[str, Any], tmp_path: Path) -> None:
    """Control: ``gdalinfo`` (GDAL's MBTiles driver, QGIS's reader) of the tiles stage's
    archive over several zooms: the format, zooms and bounds of its metadata table are the
    TileJSON's, GDAL finds one overview per zoom below the deepest, and the raster's corners
    are the bounds (to a pixel of the deepest zoom)."""
    import json

    from pyproj import Transformer

    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from tests.robustness.test_serving_round16 import _job
    from tiles.testing import make_tile_fixture

    fx = make_tile_fixture(tmp_path / "fx", bounds=(560000.0, 1335000.0, 580000.0, 1355000.0),
                           resolution=40.0)
    out = tmp_path / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(fx.probability, out / "score" / "probability.tif")
    job = _job({"layers": [{"variable": "probability"}], "min_zoom": 10, "max_zoom": 12,
                "archive_formats": ["mbtiles"], "format": "webp"})
    run(RunContext(job=job, out_dir=out, grid=fx.grid))
    doc = json.loads((out / "tiles" / "probability" / "tilejson.json").read_text())
    info = json.loads(subprocess.run(
        [GDALINFO, "-json", str(out / "tiles" / "probability.mbtiles")],
        capture_output=True, text=True, check=True).stdout)
    meta = info["metadata"][""]
    assert info["driverShortName"] == "MBTiles" and meta["format"] == "webp"
    assert (int(meta["minzoom"]), int(meta["maxzoom"])) == (doc["minzoom"], doc["maxzoom"])
    assert doc["maxzoom"] > doc["minzoom"]
    assert len(info["bands"][0]["overviews"]) == doc["maxzoom"] - doc["minzoom"]
    edge = 360.0 / (256 << doc["minzoom"])  # out to the lowest zoom's pixel edges (round 33)
    assert all(0 <= (a - b) * sign < edge for a, b, sign in zip(
        map(float, meta["bounds"].split(",")), doc["bounds"], (-1, -1, 1, 1), strict=True))
    x0, y1 = info["cornerCoordinates"]["upperLeft"]
    x1, y0 = info["cornerCoordinates"]["lowerRight"]
    w, s, e, n = Transformer.from_crs(3857, 4326, always_xy=True).transform_bounds(
        x0, y0, x1, y1)
    pixel = 360.0 / (256 << doc["minzoom"])  # a pixel of the lowest zoom (round 33)
    assert all(abs(a - b) <= pixel for a, b in zip((w, s, e, n), doc["bounds"], strict=True))
