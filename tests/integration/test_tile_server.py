"""The tile server over real HTTP (uvicorn on loopback): endpoints, keys, caching, safety, load."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import numpy as np
import pytest
import rasterio
from PIL import Image
from pyproj import Transformer

from tiles.source import WEB_MERCATOR
from tiles.testing import values_from_rgba

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    from tiles.testing import live_server, make_tile_fixture

    fx = make_tile_fixture(tmp_path_factory.mktemp("server"))
    with live_server(fx.config) as server, server.client(timeout=30) as c:
        yield fx, server, c


def _centre_tile(fx, z: int = 14) -> tuple[int, int, int]:
    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(
        *fx.grid.bounds)
    t = WEB_MERCATOR.tile((w + e) / 2, (s + n) / 2, z)
    return z, t.x, t.y


def _rgba(body: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(body)) as img:
        return np.asarray(img.convert("RGBA"))


def test_health(served) -> None:
    _, _, c = served
    r = c.get("/health")
    # no layer count: it told unauthenticated callers how many layers exist, keyed ones too
    assert r.status_code == 200 and r.json() == {"status": "ok"}


@pytest.mark.parametrize(("suffix", "size", "fmt"),
                         [(".png", 256, "PNG"), ("@2x.png", 512, "PNG"), (".webp", 256, "WEBP")])
def test_public_tile_formats_and_values(served, suffix, size, fmt) -> None:
    fx, _, c = served
    z, x, y = _centre_tile(fx)
    r = c.get(f"/tiles/probability/{z}/{x}/{y}{suffix}")
    assert r.status_code == 200 and r.headers["content-type"] == f"image/{fmt.lower()}"
    with Image.open(io.BytesIO(r.content)) as img:
        assert img.format == fmt and img.size == (size, size)
    rgba = _rgba(r.content)
    values = values_from_rgba(rgba, colormap="viridis", vmin=0, vmax=1)
    assert np.isfinite(values).mean() > 0.9
    # the tile's centre pixel holds the COG's value there (within colour quantisation)
    b = WEB_MERCATOR.xy_bounds(x, y, z)
    cx, cy = (b.left + b.right) / 2, (b.bottom + b.top) / 2
    ux, uy = Transformer.from_crs(3857, 32619, always_xy=True).transform(cx, cy)
    with rasterio.open(fx.probability) as src:
        truth = next(src.sample([(ux, uy)]))[0]
    assert abs(values[size // 2, size // 2] - truth) < 0.02


def test_server_tiles_match_the_static_pyramid(served, tmp_path) -> None:
    from tiles.pyramid import write_pyramid
    from tiles.source import cog_source

    fx, _, c = served
    z, x, y = _centre_tile(fx)
    write_pyramid(cog_source(fx.probability), tmp_path / "p", colormap="viridis", vmin=0,
                  vmax=1, min_zoom=z, max_zoom=z, workers=1)
    static = _rgba((tmp_path / "p" / str(z) / str(x) / f"{y}.png").read_bytes())
    live = _rgba(c.get(f"/tiles/probability/{z}/{x}/{y}.png").content)
    diff = np.abs(static.astype(int) - live.astype(int))
    assert np.quantile(diff, 0.99) <= 8


def test_tile_outside_the_data_is_transparent(served) -> None:
    _, _, c = served
    r = c.get("/tiles/probability/14/0/0.png")
    assert r.status_code == 200 and not _rgba(r.content)[..., 3].any()


def test_tilejson_legend_point_and_layers(served) -> None:
    fx, server, c = served
    doc = c.get("/tilejson/probability.json").json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == [f"{server.url}/tiles/probability/{{z}}/{{x}}/{{y}}.png"]
    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(
        *fx.grid.bounds)
    assert np.allclose(doc["bounds"], [w, s, e, n], atol=1e-3)
    assert doc["prospect"]["vmax"] == 1.0 and doc["prospect"]["colormap"] == "viridis"
    keyed = c.get("/tilejson/uncertainty.json", params={"key": fx.key}).json()
    assert keyed["tiles"][0].endswith(f"?key={fx.key}") and keyed["prospect"]["vmax"] == 0.5

    legend = c.get("/legend/probability.png")
    assert legend.status_code == 200 and legend.content.startswith(b"\x89PNG")

    with rasterio.open(fx.probability) as src:
        x, y = src.xy(300, 200)
        truth = float(src.read(1)[300, 200])
    lon, lat = Transformer.from_crs(32619, 4326, always_xy=True).transform(x, y)
    p = c.get("/point/probability", params={"lon": lon, "lat": lat}).json()
    assert p["inside"] and p["value"] == pytest.approx(truth, abs=1e-6)
    assert c.get("/point/probability", params={"lon": 10, "lat": 10}).json()["value"] is None

    assert [layer["name"] for layer in c.get("/layers").json()] == ["probability"]
    names = [layer["name"] for layer in c.get("/layers", headers={"X-API-Key": fx.key}).json()]
    assert names == ["probability", "uncertainty"]


def test_wmts_capabilities(served) -> None:
    fx, server, c = served
    ns = {"w": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1"}
    public = ET.fromstring(c.get("/wmts/1.0.0/WMTSCapabilities.xml").content)
    ids = [e.text for e in public.findall("w:Contents/w:Layer/ows:Identifier", ns)]
    assert ids == ["probability"]
    r = c.get("/wmts/1.0.0/WMTSCapabilities.xml", params={"key": fx.key})
    assert r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    ids = [e.text for e in root.findall("w:Contents/w:Layer/ows:Identifier", ns)]
    assert ids == ["probability", "uncertainty"]
    template = root.find("w:Contents/w:Layer/w:ResourceURL", ns).attrib["template"]
    assert template.startswith(f"{server.url}/wmts/1.0.0/probability/{{Style}}/")
    z, x, y = _centre_tile(fx)
    url = template.replace("{TileMatrix}", str(z)).replace("{TileCol}", str(x)).replace(
        "{TileRow}", str(y)).replace("{Style}", "default")
    xyz = c.get(f"/tiles/probability/{z}/{x}/{y}.png").content
    assert httpx.get(url.replace("{TileMatrixSet}", "WebMercatorQuad")).content == xyz
    big = httpx.get(url.replace("{TileMatrixSet}", "WebMercatorQuad512"))
    assert big.content == c.get(f"/tiles/probability/{z}/{x}/{y}@2x.png").content
    kvp = c.get("/wmts", params={
        "SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": "probability",
        "STYLE": "default", "TILEMATRIXSET": "WebMercatorQuad", "TILEMATRIX": z,
        "TILEROW": y, "TILECOL": x, "FORMAT": "image/png"})
    assert kvp.status_code == 200 and kvp.content == xyz


DATA_ENDPOINTS = [
    "/tiles/uncertainty/14/5078/7633.png", "/tilejson/uncertainty.json",
    "/legend/uncertainty.png", "/point/uncertainty?lon=-68.37&lat=12.15",
]


@pytest.mark.parametrize("path", DATA_ENDPOINTS)
def test_keys_are_required_checked_and_revocable(served, path) -> None:
    fx, _, c = served
    sep = "&" if "?" in path else "?"
    assert c.get(path).status_code == 401
    assert "API key" in c.get(path).json()["error"]
    assert c.get(path, headers={"X-API-Key": "pk_not_a_key"}).status_code == 401
    assert c.get(f"{path}{sep}key=pk_not_a_key").status_code == 401
    assert c.get(path, headers={"X-API-Key": fx.revoked_key}).status_code == 403
    assert "revoked" in c.get(path, headers={"X-API-Key": fx.revoked_key}).json()["error"]
    assert c.get(path, headers={"X-API-Key": fx.other_key}).status_code == 403
    assert c.get(path, headers={"X-API-Key": fx.key}).status_code == 200
    assert c.get(f"{path}{sep}key={fx.key}").status_code == 200


@pytest.mark.parametrize("path", [p.replace("uncertainty", "probability") for p in DATA_ENDPOINTS]
                         + ["/wmts/1.0.0/WMTSCapabilities.xml", "/layers"])
def test_wrong_or_revoked_keys_are_refused_even_on_public_layers(served, path) -> None:
    fx, _, c = served
    assert c.get(path).status_code == 200
    assert c.get(path, headers={"X-API-Key": "pk_not_a_key"}).status_code == 401
    assert c.get(path, headers={"X-API-Key": fx.revoked_key}).status_code == 403


def test_etag_and_cache_control(served) -> None:
    fx, _, c = served
    z, x, y = _centre_tile(fx)
    r = c.get(f"/tiles/probability/{z}/{x}/{y}.png")
    etag = r.headers["etag"]
    assert r.headers["cache-control"] == "public, max-age=600"
    again = c.get(f"/tiles/probability/{z}/{x}/{y}.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = c.get(f"/tiles/probability/{z}/{x}/{y + 1}.png")
    assert other.headers["etag"] != etag
    private = c.get(f"/tiles/uncertainty/{z}/{x}/{y}.png", headers={"X-API-Key": fx.key})
    assert private.headers["cache-control"].startswith("private")
    assert private.headers["etag"] != etag and "X-API-Key" in private.headers["vary"]
    for path in ("/tilejson/probability.json", "/legend/probability.png",
                 "/wmts/1.0.0/WMTSCapabilities.xml"):
        tag = c.get(path).headers["etag"]
        assert c.get(path, headers={"If-None-Match": tag}).status_code == 304


def _error_text(r: httpx.Response) -> str:
    """A refusal's message: JSON ``error``, or the text of the OWS ExceptionReport that
    WMTS KVP requests get."""
    if r.headers["content-type"].startswith("application/xml"):
        import xml.etree.ElementTree as ET

        ows = "{http://www.opengis.net/ows/1.1}"
        return ET.fromstring(r.content).findtext(f"{ows}Exception/{ows}ExceptionText") or ""
    return str(r.json()["error"])


@pytest.mark.parametrize(("path", "status", "words"), [
    ("/tiles/nope/14/1/1.png", 404, "unknown layer"),
    ("/tiles/probability/99/1/1.png", 404, "outside the served range"),
    ("/tiles/probability/999999999999/1/1.png", 404, "outside the served range"),
    ("/tiles/probability/14/99999/1.png", 400, "does not exist"),
    ("/tiles/probability/14/-1/1.png", 400, "integers"),
    ("/tiles/probability/14/1/1.gif", 400, "png"),
    ("/tiles/probability/a/b/c.png", 400, "integers"),
    ("/tiles/..%2F..%2Fetc%2Fpasswd/1/1/1.png", 404, "no such endpoint"),
    ("/tiles/%2e%2e/14/1/1.png", 404, "reads as '/14/1/1.png'"),  # a ".." segment (round 34)
    ("/tilejson/..%2Fprobability.tif.json", 404, "no such endpoint"),
    ("/tilejson/probability.tif.json", 400, "layer names"),
    ("/tilejson/probability.xml", 400, "TileJSON URLs"),
    ("/legend/%2Fetc%2Fpasswd.png", 404, "no such endpoint"),
    ("/legend/%2e%2e.png", 400, "layer names"),
    ("/static/..%2F..%2Fserver.py", 404, ""),
    ("/static/../../server.py", 404, ""),
    ("/point/probability?lon=abc&lat=1", 400, "must be a number"),
    ("/point/probability?lon=nan&lat=1", 400, "within"),
    ("/point/probability?lon=1e309&lat=1", 400, "within"),
    ("/point/probability?lat=1", 400, "missing"),
    ("/point/probability?lon=500&lat=1", 400, "within"),
    ("/tiles/probability/14/1/1.png?layer=/etc/passwd&path=../x", 200, ""),
    ("/nowhere", 404, "no such endpoint"),
    # WMTS KVP GetTile: refused in WMTS's own terms, not with the XYZ URL form (or "layer
    # names are letters ..." for a LAYER that was simply not sent)
    ("/wmts?SERVICE=WMTS&REQUEST=GetTile", 400,
     "GetTile needs LAYER, TILEMATRIXSET, TILEMATRIX, TILEROW, TILECOL"),
    ("/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=probability&TILEMATRIXSET=WebMercatorQuad"
     "&TILEMATRIX=14&TILEROW=1", 400, "GetTile needs TILECOL"),
    ("/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=probability&TILEMATRIXSET=WebMercatorQuad"
     "&TILEMATRIX=abc&TILEROW=1&TILECOL=1", 400,
     "TILEMATRIX, TILEROW and TILECOL must be non-negative integers"),
])
def test_bad_requests_are_refused_clearly(served, path, status, words) -> None:
    _, server, _ = served
    # raw request line, so the client does not normalise '..' away
    r = httpx.Client().send(httpx.Request("GET", httpx.URL(server.url + path)))
    assert r.status_code == status, r.text
    if status >= 400:
        kvp = path.startswith("/wmts?")  # an OWS ExceptionReport, the rest JSON
        assert r.headers["content-type"].startswith("application/xml" if kvp else
                                                    "application/json")
        assert words in _error_text(r)
    else:
        assert r.content.startswith(b"\x89PNG")


def test_cors_for_browser_clients_on_other_origins(served) -> None:
    _, _, c = served
    r = c.get("/tilejson/probability.json", headers={"Origin": "https://maps.example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    pre = c.options("/tilejson/uncertainty.json", headers={
        "Origin": "https://maps.example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-API-Key"})
    assert pre.status_code == 200
    assert "x-api-key" in pre.headers["access-control-allow-headers"].lower()
    assert c.options("/health").status_code == 405  # not a preflight: only GET/HEAD


def test_oversized_and_malformed_requests(served) -> None:
    _, server, c = served
    assert c.get("/health?" + "a" * 5000).status_code == 414
    assert c.post("/health", content=b"x" * 100).status_code == 405
    r = c.request("GET", "/health", content=b"x" * 10)
    assert r.status_code == 413
    assert c.request("DELETE", "/tiles/probability/1/1/1.png").status_code == 405
    # a malformed request line / huge header never gets a 200 and the server survives
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
        reply = s.recv(64)
    assert not reply.startswith(b"HTTP/1.1 200")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        reply = s.recv(64)
    assert reply.startswith(b"HTTP/1.1 4") or reply == b""
    assert c.get("/health").status_code == 200


@pytest.mark.slow
def test_bounded_load_has_no_errors(served) -> None:
    """64 concurrent clients on loopback (5 s here; the benchmark runs 30 s)."""
    from benchmarks.loadtest import run_load

    fx, server, _ = served
    _, x0, y0 = _centre_tile(fx, 13)
    urls = [f"{server.url}/tiles/probability/{z}/{x}/{y}.png"
            for z in (13, 14) for x in range(x0 * 2 ** (z - 13) - 1, x0 * 2 ** (z - 13) + 2)
            for y in range(y0 * 2 ** (z - 13) - 1, y0 * 2 ** (z - 13) + 2)]
    seconds = float(os.environ.get("PROSPECT_LOAD_SECONDS", "5"))
    result = run_load(urls, concurrency=64, seconds=seconds)
    print(f"\nload: {result.requests} requests in {result.seconds:.1f} s, errors={result.errors}, "
          f"p50={result.p50_ms:.1f} ms, p99={result.p99_ms:.1f} ms")
    assert result.errors == 0 and result.requests > 100


def test_serve_command_runs_a_real_server(served, tmp_path) -> None:
    from tiles.testing import serve_process

    fx, _, _ = served
    with serve_process(fx.config) as (_, root):
        assert root.startswith("http://127.0.0.1:") and not root.endswith(":0")
        assert httpx.get(f"{root}/viewer/").text.startswith("<!DOCTYPE html>")
        # the port is taken: a second server says so in one line, before it starts
        port = root.rsplit(":", 1)[1]
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", "serve", str(fx.config),
                               "--port", port], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
        assert "choose another with --port" in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("layers:\n  - name: p\n    cog: missing.tif\n")
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "serve", str(bad), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "missing.tif" in done.stderr
    assert "Traceback" not in done.stderr
    # a folder where the COG should be is named as a folder, not as "not found"
    (tmp_path / "score").mkdir()
    bad.write_text("layers:\n  - name: p\n    cog: score\n")
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "serve", str(bad), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "score: is a folder, not a COG file" in done.stderr, \
        done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_server_asked_to_stop_stops_cleanly_with_exit_0(served, signame: str) -> None:
    """systemd, Kubernetes and docker stop a server with SIGTERM: uvicorn shut down
    cleanly, then raised the signal again and the process died of it (exit -15, which a
    service manager counts as a failure). Now it says it stopped and exits 0, as on
    Ctrl-C."""
    import signal

    from tiles.testing import serve_process

    fx, _, _ = served
    with serve_process(fx.config) as (proc, root):
        assert httpx.get(f"{root}/health").status_code == 200
        proc.send_signal(getattr(signal, signame))
        proc.wait(timeout=30)
        err = proc.stderr.read() if proc.stderr is not None else ""
    assert proc.returncode == 0, (proc.returncode, err[-2000:])
    assert f"server stopped ({signame})" in err and "Traceback" not in err, err[-2000:]


def test_links_come_from_the_listening_address_not_the_host_header(served) -> None:
    _, server, c = served
    evil = {"Host": "evil.example.org"}
    doc = c.get("/tilejson/probability.json", headers=evil).json()
    assert doc["tiles"][0].startswith(f"{server.url}/tiles/probability/")
    assert doc["prospect"]["legend"].startswith(server.url)
    assert "evil" not in c.get("/viewer/", headers=evil).text
    assert "evil" not in c.get("/wmts/1.0.0/WMTSCapabilities.xml", headers=evil).text
    assert all(la["tilejson"].startswith(server.url)
               for la in c.get("/layers", headers=evil).json())


def test_a_response_to_a_keyed_request_is_never_public(served) -> None:
    fx, _, c = served
    z, x, y = _centre_tile(fx)
    for path in (f"/tiles/probability/{z}/{x}/{y}.png", "/tilejson/probability.json",
                 "/legend/probability.png", "/wmts/1.0.0/WMTSCapabilities.xml", "/layers",
                 "/viewer/"):
        for kw in ({"params": {"key": fx.key}}, {"headers": {"X-API-Key": fx.key}}):
            r = c.get(path, **kw)
            assert r.status_code == 200
            assert "public" not in r.headers["cache-control"], (path, r.headers)


def test_weak_etags_get_304(served) -> None:
    fx, _, c = served
    z, x, y = _centre_tile(fx)
    for path in (f"/tiles/probability/{z}/{x}/{y}.png", "/tilejson/probability.json"):
        tag = c.get(path).headers["etag"]
        r = c.get(path, headers={"If-None-Match": f'"nope", W/{tag}'})
        assert r.status_code == 304 and r.headers["etag"] == tag


def test_request_headers_over_the_stated_size_are_refused(served) -> None:
    from tiles.http import MAX_HEADER_BYTES

    _, _, c = served
    assert c.get("/health", headers={"X-Pad": "a" * (MAX_HEADER_BYTES - 2000)}).status_code == 200
    r = c.get("/health", headers={"X-Pad": "a" * (MAX_HEADER_BYTES + 10)})
    assert r.status_code == 431 and str(MAX_HEADER_BYTES) in r.json()["error"]


@pytest.mark.slow
def test_half_open_connections_neither_block_clients_nor_stay_open(served, tmp_path) -> None:
    """1 100 clients that never finish their request head: others are still served, and
    the half-open connections are closed after the header timeout."""
    import resource
    import socket

    import yaml

    from tiles.testing import live_server

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2600:
        if hard != resource.RLIM_INFINITY and hard < 2600:
            pytest.skip(f"open-file limit {hard} is too low for 1 100 connections")
        resource.setrlimit(resource.RLIMIT_NOFILE, (2600, hard))
    fx, _, _ = served
    cfg = yaml.safe_load(fx.config.read_text())
    cfg.update(header_timeout_s=2.0, max_idle_connections=256)
    for layer in cfg["layers"]:
        layer["cog"] = str(fx.root / layer["cog"])
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with live_server(path) as server:
        socks = []
        try:
            for _ in range(1100):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finished
                socks.append(s)
            t0 = time.monotonic()
            r = httpx.get(f"{server.url}/health", timeout=10)
            assert r.status_code == 200 and time.monotonic() - t0 < 2.0
            time.sleep(3.0)
            closed = 0
            for s in socks:
                s.settimeout(0.5)
                try:
                    closed += s.recv(1) == b""
                except (TimeoutError, ConnectionResetError):
                    closed += isinstance(sys.exc_info()[1], ConnectionResetError)
            assert closed == len(socks)
            assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
        finally:
            for s in socks:
                s.close()


def test_keyed_cog_download_with_range_requests_and_vsicurl(served) -> None:
    fx, server, c = served
    data = fx.uncertainty.read_bytes()
    assert c.get("/download/uncertainty.tif").status_code == 401
    assert c.get("/download/uncertainty.tif", headers={"X-API-Key": fx.revoked_key}
                 ).status_code == 403
    full = c.get("/download/uncertainty.tif", params={"key": fx.key})
    assert full.status_code == 200 and full.content == data
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["cache-control"].startswith("private")
    part = c.get("/download/uncertainty.tif", params={"key": fx.key},
                 headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == data[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    head = c.head("/download/uncertainty.tif", params={"key": fx.key})
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(data)
    # GDAL opens it by URL (/vsicurl/, range reads) and reads the same values
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR", GDAL_HTTP_TIMEOUT="20"), \
            rasterio.open(f"/vsicurl/{server.url}/download/uncertainty.tif?key={fx.key}") as ds, \
            rasterio.open(fx.uncertainty) as local:
        assert ds.crs == local.crs and ds.transform == local.transform
        assert np.array_equal(ds.read(1), local.read(1), equal_nan=True)


# Range headers as RFC 9110 says: not valid or another unit -> ignored (200, whole file);
# none satisfiable -> 416 with "bytes */LENGTH"; the satisfiable ranges of a list are served.
# Starlette answered the first kind with a bare 400 and a list with one bad range with 416.
RANGE_CASES = [
    ("bytes=abc", 200, None), ("bytes=5-2", 200, None), ("items=0-1", 200, None),
    ("", 200, None), ("bytes", 200, None), ("bytes=", 200, None), ("bytes=0-1,abc", 200, None),
    ("bytes=+1-2", 200, None), ("bytes=1_0-20", 200, None), ("bytes=0x1-2", 200, None),
    ("bytes=999999999-", 416, None), ("bytes=-0", 416, None), ("bytes=LEN-", 416, None),
    ("bytes=999999999-,99999999999-5999999999999", 416, None),
    ("bytes=0-1,999999999-", 206, [(0, 2)]), ("bytes=-10", 206, [(-10, None)]),
    ("bytes=10-", 206, [(10, None)]), ("BYTES=1-2", 206, [(1, 3)]),
    ("bytes=5-5", 206, [(5, 6)]), ("bytes=0-999999999", 206, [(0, None)]),
    ("bytes=0-1,5-6", 206, [(0, 2), (5, 7)]), ("bytes=5-6, 0-1", 206, [(0, 2), (5, 7)]),
    ("bytes=0-4,3-9", 206, [(0, 10)]), ("bytes=0-1,,5-6", 206, [(0, 2), (5, 7)]),
]


def _parts(r: httpx.Response, size: int) -> list[tuple[str, bytes]]:
    """(Content-Range, bytes) of each part of a 206 answer, single or multipart."""
    ctype = r.headers["content-type"]
    if not ctype.startswith("multipart/byteranges"):
        return [(r.headers["content-range"], r.content)]
    boundary = ctype.split("boundary=")[1].encode()
    out = []
    for chunk in r.content.split(b"--" + boundary)[1:-1]:
        head, _, body = chunk.partition(b"\r\n\r\n")
        crange = next(line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-range"))
        out.append((crange, body[:-2]))  # each part ends with CRLF before the boundary
    return out


@pytest.mark.parametrize("target", ["download", "static"])
@pytest.mark.parametrize(("header", "status", "spans"), RANGE_CASES,
                         ids=[c[0] or "empty" for c in RANGE_CASES])
def test_range_headers_follow_rfc_9110(served, target, header, status, spans) -> None:
    from tiles.viewer import STATIC_DIR

    fx, _, c = served
    if target == "download":
        url, params = "/download/uncertainty.tif", {"key": fx.key}
        data = fx.uncertainty.read_bytes()
    else:
        url, params = "/static/leaflet/leaflet.js", {}
        data = (STATIC_DIR / "leaflet" / "leaflet.js").read_bytes()
    size = len(data)
    header = header.replace("LEN", str(size))
    for method in ("GET", "HEAD"):
        r = c.request(method, url, params=params, headers={"Range": header})
        assert r.status_code == status, (method, header, r.text[:200])
        if status == 200:
            assert int(r.headers["content-length"]) == size
            assert "content-range" not in r.headers
            assert method == "HEAD" or r.content == data
        elif status == 416:
            assert r.headers["content-range"] == f"bytes */{size}"
        elif method == "GET":
            want = [(a % size, size if b is None else b) for a, b in spans]
            assert _parts(r, size) == [(f"bytes {a}-{b - 1}/{size}", data[a:b]) for a, b in want]
            assert int(r.headers["content-length"]) == len(r.content)


def test_range_requests_are_logged_as_sent_and_gdal_reads_multipart(served, tmp_path) -> None:
    import json

    import yaml

    from tiles.testing import live_server

    fx, _, _ = served
    cfg = yaml.safe_load(fx.config.read_text())
    for layer in cfg["layers"]:
        layer["cog"] = str(fx.root / layer["cog"])
    cfg["access_log"] = str(tmp_path / "access.log")
    (tmp_path / "serve.yaml").write_text(yaml.safe_dump(cfg))
    size = fx.uncertainty.stat().st_size
    with live_server(tmp_path / "serve.yaml") as server, \
            server.client(params={"key": fx.key}) as c:
        for header in ("bytes=100-1099", "bytes=abc", f"bytes={size}-"):
            c.get("/download/uncertainty.tif", headers={"Range": header})
        # GDAL reading a column of blocks asks for their two runs of bytes in one request
        # (SINGLE_GET) and reads the multipart/byteranges answer
        column = rasterio.windows.Window(0, 0, 1, 600)
        with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR",
                          GDAL_HTTP_MULTIRANGE="SINGLE_GET", GDAL_HTTP_TIMEOUT="20"), \
                rasterio.open(f"/vsicurl/{server.url}/download/uncertainty.tif?key={fx.key}"
                              ) as ds, rasterio.open(fx.uncertainty) as local:
            assert ds.shape == (600, 600) and ds.block_shapes == [(512, 512)]
            assert np.array_equal(ds.read(1, window=column), local.read(1, window=column),
                                  equal_nan=True)
    log = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    assert [(e["status"], e["bytes"]) for e in log[:2]] == [(206, 1000), (200, size)]
    assert log[2]["status"] == 416 and log[2]["bytes"] > 0  # the refusal explains itself
    assert any(e["status"] == 206 for e in log[3:])  # GDAL's reads


def test_a_republished_layer_is_served_at_the_next_request(tmp_path) -> None:
    """A rerun of the score stage republishes a COG (a new file renamed into place) and a
    cube variable (its folder swapped in, the cube's zarr.json rewritten): the
    capabilities, TileJSON and tiles kept the old layer for up to a second (the data
    version was looked at once a second). Now the next request sees the new one."""
    import xarray as xr
    import yaml

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube
    from prospect.io.raster import write_cog
    from tiles.testing import BONAIRE_BOUNDS, field_values, live_server

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=BONAIRE_BOUNDS,
                      chunks=(256, 256), name="republish-test")
    west, south, east, north = BONAIRE_BOUNDS
    half = RegionGrid(crs="EPSG:32619", resolution=10.0, chunks=(256, 256),
                      bounds=(west, south, (west + east) / 2, north), name="republish-half")

    def publish(version: str, g: RegionGrid) -> None:
        values = field_values(g, seed=len(version))
        write_cog(xr.DataArray(values, dims=("y", "x")), tmp_path / "p.tif", grid=g,
                  tags={"synthetic": "true", "long_name": f"COG {version} (SYNTHETIC)"})
        da = xr.DataArray(field_values(grid, seed=len(version)), dims=("y", "x"),
                          attrs={"long_name": f"cube {version} (SYNTHETIC)", "units": "1"})
        add_variables(tmp_path / "c.zarr", xr.Dataset({"u": da}), overwrite=True)

    create_cube(tmp_path / "c.zarr", grid, attrs={"synthetic": "true"})
    publish("one", grid)
    (tmp_path / "serve.yaml").write_text(yaml.safe_dump({
        "layers": [{"name": "p", "cog": "p.tif", "public": True},
                   {"name": "u", "cube": "c.zarr", "variable": "u", "public": True}]}))
    with live_server(tmp_path / "serve.yaml") as server, \
            server.client(timeout=30) as c:
        def state() -> tuple[str, str, str, float, str]:
            wmts = c.get("/wmts/1.0.0/WMTSCapabilities.xml")
            wms = c.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
            assert wmts.status_code == wms.status_code == 200
            tj = c.get("/tilejson/p.json").json()
            z, x, y = 14, *WEB_MERCATOR.tile((tj["bounds"][0] + tj["bounds"][2]) / 2,
                                             (tj["bounds"][1] + tj["bounds"][3]) / 2, 14)[:2]
            tile = c.get(f"/tiles/u/{z}/{x}/{y}.png")
            titles = " ".join(la["title"] for la in c.get("/layers").json())
            return wmts.text, wms.text, titles, tj["bounds"][2], tile.headers["etag"]

        before = state()
        assert "COG one" in before[0] and "cube one" in before[0] and "cube one" in before[1]
        publish("three", half)  # as fast as a rerun can: well within the old one second
        after = state()
    assert "COG three" in after[0] and "cube three" in after[0], "old WMTS capabilities"
    assert "COG one" not in after[0] and "cube one" not in after[1]
    assert "COG three" in after[2] and after[3] < before[3]  # the new, smaller extent
    assert after[4] != before[4]  # the cube layer's tiles are the new data's


def test_stac_item_of_a_layer(served) -> None:
    fx, server, c = served
    assert c.get("/stac/uncertainty.json").status_code == 401
    item = c.get("/stac/uncertainty.json", params={"key": fx.key}).json()
    assert item["type"] == "Feature" and item["stac_version"].startswith("1.")
    assert item["id"] == "uncertainty" and item["properties"]["proj:epsg"] == 32619
    assert item["properties"]["prospect:synthetic"] is True
    assert "synthetic" in item["properties"]["title"]
    href = item["assets"]["data"]["href"]
    assert href == f"{server.url}/download/uncertainty.tif?key={fx.key}"
    assert httpx.get(href).content == fx.uncertainty.read_bytes()


def test_serve_stretches_a_default_colour_range_and_warns_of_a_set_one(served, tmp_path
                                                                       ) -> None:
    """A served heat-flow layer (55-100 mW/m2) left at the 0-1 default range drew every
    tile in one colour without a word. Now, as in the tiles stage, a layer that sets
    neither vmin nor vmax takes its data's 2-98 % range (a note says which) and its tiles
    show the data; a range set in the config is kept, with a warning; a layer in range is
    not named."""
    from tiles.testing import serve_process

    fx, _, _ = served
    with rasterio.open(fx.probability) as src:
        profile, data = src.profile, src.read(1)
    hot = tmp_path / "heatflow.tif"
    with rasterio.open(hot, "w", **profile) as dst:
        dst.write(np.where(np.isfinite(data), 55.0 + 45.0 * data, data).astype(data.dtype), 1)
        dst.update_tags(units="mW/m2")
    config = tmp_path / "serve.yaml"
    config.write_text(f"layers:\n  - name: heat\n    cog: {hot}\n    public: true\n"
                      f"  - name: heat_set\n    cog: {hot}\n    vmin: 0\n    vmax: 1\n"
                      f"  - name: prob\n    cog: {fx.probability}\n")
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "serve", str(config),
                           "--check"], capture_output=True, text=True, timeout=60)
    err = " ".join(done.stderr.split())
    assert done.returncode == 0, err
    assert err.startswith("3 layers"), err  # no library warning before it
    assert "warning: layer 'heat_set': 100 % of its values lie outside its colour range 0 " \
        "to 1" in err and "mW/m2" in err
    # the console wraps a long path anywhere: compare without whitespace
    assert f"setvminandvmaxinthelayerin{config}" in "".join(err.split())
    assert "warning: layer 'heat':" not in err
    stretched = re.search(r"layer 'heat': colour range ([0-9.]+) to ([0-9.]+) mW/m2 \(2-98 %",
                          err)
    assert stretched, err
    vmin, vmax = float(stretched[1]), float(stretched[2])
    finite = 55.0 + 45.0 * data[np.isfinite(data)]
    assert vmin == pytest.approx(np.percentile(finite, 2), rel=0.05)
    assert vmax == pytest.approx(np.percentile(finite, 98), rel=0.05)
    assert "layer 'prob'" not in err

    with serve_process(config) as (_, root):
        doc = httpx.get(f"{root}/tilejson/heat.json").json()
        assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (vmin, vmax)
        z, x, y = _centre_tile(fx)
        tile = httpx.get(f"{root}/tiles/heat/{z}/{x}/{y}.png")
        values = values_from_rgba(_rgba(tile.content), colormap="viridis", vmin=vmin,
                                  vmax=vmax)
        assert np.isfinite(values).mean() > 0.9
        assert np.nanmax(values) - np.nanmin(values) > 5.0  # not one colour: mW/m2 vary
        b = WEB_MERCATOR.xy_bounds(x, y, z)
        ux, uy = Transformer.from_crs(3857, 32619, always_xy=True).transform(
            (b.left + b.right) / 2, (b.bottom + b.top) / 2)
        with rasterio.open(hot) as src:
            truth = next(src.sample([(ux, uy)]))[0]
        assert abs(values[128, 128] - truth) < 0.02 * (vmax - vmin) + 1e-6 or \
            not vmin <= truth <= vmax


OGC_SCHEMAS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
               / "ogc_schemas_wmts_wms")


def _valid_wms_exception(xml: bytes) -> None:
    """``xml`` is valid against the official WMS 1.3.0 exceptions schema (offline copy)."""
    if not OGC_SCHEMAS.is_dir():
        return
    from lxml import etree

    parser = etree.XMLParser(no_network=True)
    xsd = etree.XMLSchema(etree.parse(str(OGC_SCHEMAS / "wms/1.3.0/exceptions_1_3_0.xsd"),
                                      parser))
    assert xsd.validate(etree.fromstring(xml, parser)), xsd.error_log.last_error


@pytest.mark.parametrize("crs", ["IAU_2015:30100", "EPSG:4978", "EPSG:5773", "EPSG:4979",
                                 "EPSG:9518", "EPSG:999999", ""])
@pytest.mark.parametrize("request_name", ["GetMap", "GetFeatureInfo"])
def test_wms_refuses_a_crs_no_map_can_be_drawn_in(served, crs, request_name) -> None:
    """A Moon CRS gave GetFeatureInfo a 500 (ProjError traceback) and GetMap a JSON 503
    "damaged"; geocentric and vertical CRSs gave 200 with nonsense. Each is a 400 WMS
    ServiceException with code InvalidCRS naming the CRS."""
    _, _, c = served
    r = c.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": request_name, "LAYERS": "probability",
        "QUERY_LAYERS": "probability", "STYLES": "", "CRS": crs, "BBOX": "0,0,1,1",
        "WIDTH": 10, "HEIGHT": 10, "I": 1, "J": 1, "FORMAT": "image/png"})
    assert r.status_code == 400, r.text[:300]
    assert r.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    exc = root.find("{http://www.opengis.net/ogc}ServiceException")
    assert exc is not None and exc.attrib["code"] == "InvalidCRS", r.text
    assert repr(crs) in exc.text and "EPSG:4326" in exc.text
    _valid_wms_exception(r.content)


def test_wms_still_draws_in_earth_crss(served) -> None:
    """The CRS check lets every 2-D Earth CRS through, not only the advertised ones."""
    fx, _, c = served
    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(
        *fx.grid.bounds)
    for crs, bbox in [("CRS:84", (w, s, e, n)), ("EPSG:4326", (s, w, n, e)),
                      ("EPSG:32619", fx.grid.bounds), ("EPSG:32620", (-80000, 1340000,
                                                                      -70000, 1350000))]:
        r = c.get("/wms", params={
            "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "probability",
            "STYLES": "", "CRS": crs, "BBOX": ",".join(map(str, bbox)), "WIDTH": 32,
            "HEIGHT": 32, "FORMAT": "image/png"})
        assert r.status_code == 200 and r.content.startswith(b"\x89PNG"), (crs, r.text[:300])


@pytest.mark.parametrize("path", [*DATA_ENDPOINTS, "/wmts/1.0.0/WMTSCapabilities.xml",
                                  "/download/uncertainty.tif"])
def test_a_401_names_the_key_scheme_the_server_accepts(served, path) -> None:
    """RFC 9110: a 401 carries WWW-Authenticate; it had none."""
    fx, _, c = served
    for headers in ({}, {"X-API-Key": "pk_not_a_key"}):
        if path.startswith("/wmts/") and not headers:
            continue  # its public layer is readable without a key
        r = c.get(path, headers=headers)
        assert r.status_code == 401, (path, r.text[:200])
        challenge = r.headers["www-authenticate"]
        assert challenge.startswith("ApiKey ") and 'header="X-API-Key"' in challenge
        assert 'query="key"' in challenge
    wms = c.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetMap", "VERSION": "1.3.0",
                                "LAYERS": "uncertainty", "STYLES": "", "CRS": "EPSG:3857",
                                "BBOX": "0,0,1,1", "WIDTH": 8, "HEIGHT": 8})
    assert wms.status_code == 401 and wms.headers["www-authenticate"].startswith("ApiKey ")
    assert c.get(DATA_ENDPOINTS[0], headers={"X-API-Key": fx.key}).status_code == 200


@pytest.mark.parametrize(("path", "status", "words", "not_words"), [
    ("/wmts/1.0.0/probability/default/WebMercatorQuad/14/a/1.png", 400,
     "WMTS tile URLs are /wmts/1.0.0/{layer}/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/"
     "{TileCol}.png", "/tiles/"),
    ("/wmts/1.0.0/probability/default/WebMercatorQuad/14/1/1.gif", 400, "TileCol",
     "/tiles/"),
    ("/wmts/1.0.0/probability/default/WebMercatorQuad/14/99999/1.png", 400,
     "TileRow 0..16383", "/tiles/"),
    ("/wmts/1.0.0/probability/default/WebMercatorQuad/99/1/1.png", 400,
     "TileMatrix 99 outside", "zoom"),
    ("/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=probability&TILEMATRIXSET=WebMercatorQuad"
     "&TILEMATRIX=14&TILEROW=99999&TILECOL=1", 400, "TileRow 0..16383", "/tiles/"),
    ("/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=probability&TILEMATRIXSET=WebMercatorQuad"
     "&TILEMATRIX=99&TILEROW=1&TILECOL=1", 400, "TileMatrix 99 outside", "zoom"),
])
def test_wmts_refusals_describe_the_wmts_form(served, path, status, words, not_words) -> None:
    """WMTS REST and KVP errors described the XYZ URL form (/tiles/{layer}/...)."""
    _, _, c = served
    r = c.get(path)
    assert r.status_code == status, r.text
    assert words in _error_text(r) and not_words not in _error_text(r), r.text


@pytest.mark.parametrize(("query", "words"), [
    ("lon=-68_3&lat=12.15", "must be a number"),
    ("lon=-68.3&lat=1_2.15", "must be a number"),
    ("lon=%20-68.3&lat=12.15", "must be a number"),
    ("lon=-68.3&lat=12.15&lon=10", "'LON' given more than once"),
    ("lon=-68.3&lat=12.15&LAT=1", "'LAT' given more than once"),
])
def test_point_refuses_numbers_python_reads_loosely_and_repeated_parameters(
        served, query, words) -> None:
    """``lon=1_0`` was read as 10 (float() takes underscores) and a repeated ``lon``
    silently took the last value."""
    _, _, c = served
    r = c.get(f"/point/probability?{query}")
    assert r.status_code == 400 and words in r.json()["error"], r.text


def test_repeated_parameters_are_refused_by_tiles_wmts_and_wms(served) -> None:
    fx, _, c = served
    z, x, y = _centre_tile(fx)
    r = c.get(f"/tiles/probability/{z}/{x}/{y}.png?key=a&key=b")
    assert r.status_code == 400 and "given more than once" in r.json()["error"]
    r = c.get("/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&request=GetTile")
    assert r.status_code == 400 and "'REQUEST' given more than once" in _error_text(r)
    r = c.get("/wms?SERVICE=WMS&REQUEST=GetCapabilities&LAYERS=a&layers=b")
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/xml")
    assert b"given more than once" in r.content
    _valid_wms_exception(r.content)
