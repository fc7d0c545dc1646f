"""The tile server as partner agencies' clients meet it, round 17 (WMS 1.1.1 and 1.3.0, WMTS
KVP and REST, plain HTTP, GDAL's WMTS driver, a real browser for the viewer page).

A real server (uvicorn on loopback, in this process; ``prospect serve`` as a process where
its start-up is the case) answers real HTTP requests. Each case failed before: a WMS layer
list with an empty entry drawn without it, media types compared with case, WMTS's
TileOutOfRange answered 404, a BBOX of latitudes beyond 90 degrees drawn blank, SLD styling
ignored, "None" as a value, redirects to the request's ``Host``, a COG sent again to a
client that had it by date, a 3-band COG served as its first band and a viewer page a
title could break. All data here are SYNTHETIC.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml

from tests.robustness import test_serving_round16 as round16
from tests.robustness.conftest import Outcome, assert_clean_error, run_in_process
from tests.robustness.test_serving_round16 import (
    OWS,
    SCHEMAS,
    _exception,
    _map_params,
    _rgba,
    _tile,
    _wms,
)

site = round16.site  # round 16's fixtures: the COGs and one server for read-only cases
served = round16.served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _ows_exception(r: httpx.Response, status: int, code: str, locator: str | None
                   ) -> str:
    """The text of the one OWS 1.1 Exception of a WMTS refusal, checked against the
    official schema (offline copy) when it is there."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/xml"), r.text[:200]
    if SCHEMAS.is_dir():
        from lxml import etree

        parser = etree.XMLParser(no_network=True)
        xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / "ows/1.1.0/owsExceptionReport.xsd"),
                                          parser))
        assert xsd.validate(etree.fromstring(r.content, parser)), xsd.error_log.last_error
    exc = ET.fromstring(r.content).find(f"{OWS}Exception")
    assert exc is not None and exc.attrib["exceptionCode"] == code, r.text
    assert exc.attrib.get("locator") == locator, r.text
    return exc.findtext(f"{OWS}ExceptionText") or ""


def _kvp(site: dict[str, Any], **extra: Any) -> dict[str, Any]:
    z, x, y = _tile(site)
    return {"SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0",
            "LAYER": "probability", "STYLE": "default", "TILEMATRIXSET": "WebMercatorQuad",
            "FORMAT": "image/png", "TILEMATRIX": z, "TILEROW": y, "TILECOL": x, **extra}


# -- WMS: layer lists, media types, the BBOX's latitudes, SLD, GetFeatureInfo's text --------

@pytest.mark.parametrize(("params", "key", "entry"), [
    ({"LAYERS": "probability,,"}, "LAYERS", "entry 2 of 3"),
    ({"LAYERS": ",probability"}, "LAYERS", "entry 1 of 2"),
    ({"LAYERS": "probability,,uncertainty"}, "LAYERS", "entry 2 of 3"),
    ({"REQUEST": "GetFeatureInfo", "QUERY_LAYERS": "probability,", "I": 1, "J": 1},
     "QUERY_LAYERS", "entry 2 of 2"),
])
@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_an_empty_entry_in_a_layer_list_is_layer_not_defined(
        served: httpx.Client, site: dict[str, Any], params: dict[str, Any], key: str,
        entry: str, version: str) -> None:
    """``LAYERS=a,,`` drew the map of ``a`` (the empty name skipped): the client meant a
    layer there, and its map came back without it, 200. 400 LayerNotDefined now, naming
    the parameter and the entry."""
    query = _map_params(site, version, TRANSPARENT="TRUE", **params)
    query.setdefault("QUERY_LAYERS", None)
    r = _wms(served, **{k: v for k, v in query.items() if v is not None})
    exc = _exception(r, 400, "LayerNotDefined", version=version)
    assert "empty layer name" in exc.text and entry in exc.text, exc.text
    if version == "1.3.0":
        assert exc.attrib["locator"] == key


def test_a_layer_name_that_is_not_a_name_is_layer_not_defined(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """``LAYERS=prob ability`` or ``LAYER=a,b`` (GetLegendGraphic draws one) was a bare
    InvalidParameterValue "layer names are letters..." with no locator."""
    r = _wms(served, **_map_params(site, LAYERS="prob ability"))
    exc = _exception(r, 400, "LayerNotDefined")
    assert exc.attrib["locator"] == "LAYERS" and "'prob ability'" in exc.text
    legend = _wms(served, REQUEST="GetLegendGraphic", LAYER="probability,uncertainty",
                  FORMAT="image/png")
    exc = _exception(legend, 400, "LayerNotDefined")
    assert exc.attrib["locator"] == "LAYER"
    unknown = _wms(served, **_map_params(site, LAYERS="nope"))  # control: as before
    assert _exception(unknown, 404, "LayerNotDefined").attrib["locator"] == "LAYERS"


def test_media_types_are_compared_without_case(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """``FORMAT=image/PNG`` was refused (InvalidFormat) by GetMap, GetLegendGraphic,
    GetFeatureInfo's INFO_FORMAT and WMTS GetTile: media types are case-insensitive (RFC
    6838). The answer is the same image, under the offered spelling."""
    plain = _wms(served, **_map_params(site))
    upper = _wms(served, **_map_params(site, FORMAT="image/PNG"))
    assert upper.status_code == 200, upper.text[:300]
    assert upper.headers["content-type"] == "image/png"
    assert (_rgba(upper) == _rgba(plain)).all()
    legend = _wms(served, REQUEST="GetLegendGraphic", LAYER="probability", FORMAT="IMAGE/PNG")
    assert legend.status_code == 200 and legend.headers["content-type"] == "image/png"
    info = _wms(served, **_map_params(site, REQUEST="GetFeatureInfo",
                                      QUERY_LAYERS="probability", I=60, J=16,
                                      INFO_FORMAT="Application/JSON"))
    assert info.status_code == 200 and info.json()["features"][0]["properties"]["value"] > 0
    tile = served.get("/wmts", params=_kvp(site, FORMAT="image/PNG"))
    assert tile.status_code == 200, tile.text[:300]
    assert tile.content == served.get("/wmts", params=_kvp(site)).content
    gif = _wms(served, **_map_params(site, FORMAT="image/GIF"))  # control: still refused
    assert _exception(gif, 400, "InvalidFormat").attrib["locator"] == "FORMAT"


@pytest.mark.parametrize(("version", "crs", "bbox", "order"), [
    ("1.3.0", "EPSG:4326", "103,21,104,22", "latitude, longitude"),  # Lai Chau, lon first
    ("1.1.1", "EPSG:4326", "21,103,22,104", "longitude, latitude"),  # lat first in 1.1.1
    ("1.3.0", "CRS:84", "-68.4,95,-68.3,96", "longitude, latitude"),
])
def test_a_bbox_of_latitudes_beyond_90_degrees_is_refused_naming_the_axis_order(
        served: httpx.Client, site: dict[str, Any], version: str, crs: str, bbox: str,
        order: str) -> None:
    """A BBOX whose latitudes lie beyond -90..90 (the Lai Chau belt's 103-104 E given first
    to WMS 1.3.0's EPSG:4326, which is latitude first) drew a blank map, 200, as if the
    layer had no data there. It names the latitudes and the axis order."""
    crs_key = "SRS" if version == "1.1.1" else "CRS"
    r = _wms(served, **_map_params(site, version, **{crs_key: crs, "BBOX": bbox}))
    exc = _exception(r, 400, "InvalidParameterValue", version=version)
    assert "beyond -90..90" in exc.text and order in exc.text, exc.text
    if version == "1.3.0":
        assert exc.attrib["locator"] == "BBOX"


def test_a_bbox_of_valid_latitudes_still_draws(served: httpx.Client,
                                               site: dict[str, Any]) -> None:
    """Controls: the whole world in EPSG:4326 (1.3.0, latitude first) and a projected
    CRS's large numbers are maps, not refusals."""
    world = _wms(served, **_map_params(site, BBOX="-90,-180,90,180"))
    assert world.status_code == 200, world.text[:300]
    big = _wms(served, **_map_params(site, CRS="EPSG:3857", BBOX="-2e7,-2e7,2e7,2e7"))
    assert big.status_code == 200, big.text[:300]


def test_a_130_request_naming_its_crs_in_srs_says_so(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """WMS 1.3.0 with 1.1.1's ``SRS=`` was "CRS '' is missing"."""
    params = _map_params(site)
    params["SRS"] = params.pop("CRS")
    exc = _exception(_wms(served, **params), 400, "InvalidCRS")
    assert "not SRS" in exc.text and exc.attrib["locator"] == "CRS"


@pytest.mark.parametrize("key", ["SLD", "SLD_BODY", "sld_body"])
def test_sld_styling_is_refused_not_ignored(served: httpx.Client, site: dict[str, Any],
                                           key: str) -> None:
    """A GetMap with ``SLD=`` or ``SLD_BODY=`` (a client's own styling) drew the layer's
    default style, 200, as if it were the one asked for."""
    body = ('<StyledLayerDescriptor version="1.0.0"><NamedLayer><Name>probability</Name>'
            "</NamedLayer></StyledLayerDescriptor>")
    r = _wms(served, **_map_params(site, **{key: body}))
    exc = _exception(r, 400, "InvalidParameterValue")
    assert "not supported" in exc.text and exc.attrib["locator"] == key.upper()


@pytest.mark.parametrize(("fmt", "expected"), [
    ("text/plain", "probability (synthetic data) = no data"), ("text/html", "<td>no data</td>")])
def test_getfeatureinfo_text_of_a_cell_without_data_says_no_data(
        served: httpx.Client, site: dict[str, Any], fmt: str, expected: str) -> None:
    """A cell without data read ``probability = None`` (Python's word) in text/plain and
    text/html; JSON says null, as before."""
    w, s, e, n = site["lonlat"]
    query = {"VERSION": "1.3.0", "REQUEST": "GetFeatureInfo", "LAYERS": "probability",
             "QUERY_LAYERS": "probability", "STYLES": "", "CRS": "CRS:84",
             "BBOX": f"{w},{s},{e},{n}", "WIDTH": 100, "HEIGHT": 100, "I": 1, "J": 1}
    r = _wms(served, **query, INFO_FORMAT=fmt)
    assert r.status_code == 200 and expected in r.text and "None" not in r.text, r.text
    as_json = _wms(served, **query, INFO_FORMAT="application/json")
    assert as_json.json()["features"][0]["properties"]["value"] is None


# -- WMTS: TileOutOfRange and the KVP binding's statuses -----------------------------------

@pytest.mark.parametrize(("extra", "status", "code", "locator"), [
    ({"TILEMATRIX": 99}, 400, "TileOutOfRange", "TILEMATRIX"),
    ({"TILEMATRIX": 99, "TILEMATRIXSET": "WebMercatorQuad512"}, 400, "TileOutOfRange",
     "TILEMATRIX"),
    ({"LAYER": "nope"}, 400, "InvalidParameterValue", "LAYER"),
    ({"STYLE": "fancy"}, 400, "InvalidParameterValue", "STYLE"),
    ({"TILEMATRIXSET": "NoSuchQuad"}, 400, "InvalidParameterValue", "TILEMATRIXSET"),
    ({"REQUEST": "GetFeatureInfo"}, 501, "OperationNotSupported", "REQUEST"),
])
def test_wmts_kvp_statuses_follow_the_exception_codes(
        served: httpx.Client, site: dict[str, Any], extra: dict[str, Any], status: int,
        code: str, locator: str) -> None:
    """WMTS 1.0.0 (07-057r7, table 28) gives each exceptionCode its HTTP status:
    TileOutOfRange and InvalidParameterValue 400, OperationNotSupported 501. A TileMatrix
    outside the served zooms, an unknown layer, style or tile matrix set were 404, an
    operation not served 400."""
    r = served.get("/wmts", params=_kvp(site, **extra))
    _ows_exception(r, status, code, locator)


def test_wmts_rest_tile_matrix_out_of_range_is_400_and_xyz_keeps_404(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """The REST binding's TileMatrix outside the served zooms is TileOutOfRange's 400 too;
    an XYZ tile outside them stays 404 (XYZ clients read it as "no tile here")."""
    _, x, y = _tile(site)
    rest = served.get(f"/wmts/1.0.0/probability/default/WebMercatorQuad/99/{y}/{x}.png")
    assert "TileMatrix 99 outside" in _ows_exception(rest, 400, "TileOutOfRange", "TILEMATRIX")
    assert served.get(f"/tiles/probability/99/{x}/{y}.png").status_code == 404
    z, x, y = _tile(site)  # controls: a tile inside the served zooms, both bindings
    assert served.get(f"/wmts/1.0.0/probability/default/WebMercatorQuad/{z}/{y}/{x}.png"
                      ).status_code == 200
    assert served.get("/wmts", params=_kvp(site)).status_code == 200


@pytest.mark.skipif(shutil.which("gdal_translate") is None,
                    reason="needs GDAL (Debian package gdal-bin)")
def test_gdal_wmts_driver_still_reads_both_bindings(served: httpx.Client,
                                                   tmp_path: Path) -> None:
    """Control: GDAL's WMTS driver (REST and KVP capabilities) reads the layer, the same
    pixels both ways, with the 400 of TileOutOfRange in place."""
    import rasterio

    url = str(served.base_url).rstrip("/")
    out = {}
    for name, caps in [("rest", f"{url}/wmts/1.0.0/WMTSCapabilities.xml"),
                       ("kvp", f"{url}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")]:
        out[name] = tmp_path / f"{name}.tif"
        done = subprocess.run(
            ["gdal_translate", "-q", "-outsize", "64", "64",
             f"WMTS:{caps},layer=probability,tilematrixset=WebMercatorQuad", str(out[name])],
            capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    with rasterio.open(out["rest"]) as a, rasterio.open(out["kvp"]) as b:
        pixels = a.read()
        assert (pixels == b.read()).all() and pixels[3].any()


# -- HTTP: redirects, If-Modified-Since ----------------------------------------------------

@pytest.mark.parametrize(("path", "location"), [
    ("/layers/?key=pk_secret", "/layers?key=pk_secret"),
    ("/viewer", "/viewer/"),
    ("/wms/?SERVICE=WMS&REQUEST=GetCapabilities", "/wms?SERVICE=WMS&REQUEST=GetCapabilities"),
])
def test_a_slash_redirect_stays_on_this_server(served: httpx.Client, path: str,
                                               location: str) -> None:
    """A URL with a trailing slash added or dropped was redirected to an absolute URL built
    from the request's ``Host`` header: ``Host: evil.example`` on ``/layers/?key=...``
    sent the client, and any cache between, to another server with the agency's key. The
    redirect is relative now (RFC 9110 10.2.2)."""
    r = served.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == location, r.headers
    followed = served.get(path, follow_redirects=True)
    assert followed.status_code in (200, 401), followed.text[:200]
    assert served.get("/no/such/", follow_redirects=False).status_code == 404


def test_a_download_unmodified_since_the_clients_date_is_a_304(served: httpx.Client) -> None:
    """``If-Modified-Since`` at or after the COG's Last-Modified (``wget -N``, ``curl -z``,
    a browser's cache) sent the whole file again, 200; If-None-Match (which decides alone
    when sent) was already a 304."""
    first = served.get("/download/probability.tif")
    assert first.status_code == 200
    since = first.headers["last-modified"]
    again = served.get("/download/probability.tif", headers={"If-Modified-Since": since})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    for headers in ({"If-Modified-Since": "Wed, 02 Dec 2020 00:00:00 GMT"},  # older copy
                    {"If-Modified-Since": "yesterday"},  # not a date: ignored
                    {"If-Modified-Since": since, "If-None-Match": '"another"'}):
        r = served.get("/download/probability.tif", headers=headers)
        assert r.status_code == 200 and r.content == first.content, headers


# -- start-up: one band per layer; the viewer page --------------------------------------

def _cog(path: Path, bands: int, *, alpha: bool = False) -> Path:
    import rasterio
    from rasterio.enums import ColorInterp
    from rasterio.transform import from_origin

    data = np.random.default_rng(17).random((bands, 64, 64)).astype("f4")
    if alpha:
        data[-1] = 255.0
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=bands,
                       dtype="float32", crs="EPSG:32619", photometric="MINISBLACK",
                       transform=from_origin(566000, 1343000, 10, 10),
                       **({"alpha": "YES"} if alpha else {})) as dst:
        dst.write(data)
        dst.update_tags(synthetic="true")
    if alpha:
        with rasterio.open(path) as src:
            assert src.colorinterp[-1] == ColorInterp.alpha
    return path


def _serve_check(tmp_path: Path, cog: Path) -> Outcome:
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"layers": [{"name": "p", "cog": str(cog),
                                                  "public": True}]}))
    return run_in_process("serve", config, "--check")


def test_a_cog_of_several_bands_is_refused_at_start(tmp_path: Path) -> None:
    """A 3-band COG (an RGB quick-look, a stack of layers) was served as its first band in
    the layer's colour ramp, with a legend, as if that were the layer: ``prospect serve``
    said "config and layers OK". Refused at start-up, naming the file, the bands and the
    fix (exit 1)."""
    cog = _cog(tmp_path / "stack.tif", 3)
    line = assert_clean_error(_serve_check(tmp_path, cog), 1, "stack.tif", "3 value bands",
                              "gdal_translate -b")
    assert "one band" in line


def test_a_cog_of_one_band_and_an_alpha_band_still_serves(tmp_path: Path) -> None:
    """Control: an alpha band is a mask, not a second value band."""
    done = _serve_check(tmp_path, _cog(tmp_path / "masked.tif", 2, alpha=True))
    assert done.code == 0 and "config and layers OK" in done.err, done.err[-2000:]


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian package chromium)")
def test_a_title_with_a_script_comment_does_not_break_the_viewer(tmp_path: Path) -> None:
    """A serve (or job) title holding ``<!--<script>`` made the browser read the rest of
    the page's scripts into the viewer's JSON block: the page showed no layer and no
    control. Every ``<`` in that block is written ``\\u003c`` now; the page builds its
    layer switcher, in Chromium."""
    from tiles.testing import live_server, make_tile_fixture

    fx = make_tile_fixture(tmp_path / "fx", bounds=(566000.0, 1341000.0, 568000.0,
                                                    1343000.0))
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({
        "title": "Lai Chau <!--<script> rare earths",
        "layers": [{"name": "probability", "cog": str(fx.probability), "public": True}]}))
    with live_server(config) as server:
        dom = subprocess.run(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
             "--dump-dom", f"{server.url}/viewer/"],
            capture_output=True, text=True, timeout=120).stdout
    assert 'data-active-layer="probability"' in dom, dom[-2000:]
    assert 'type="radio" name="layer" value="probability"' in dom, dom[-2000:]
    assert "Lai Chau &lt;!--&lt;script&gt; rare earths</h1>" in dom


def test_a_cog_rewritten_in_place_while_downloaded_stops_short_without_a_traceback(
        tmp_path: Path) -> None:
    """A COG rewritten in place (``cp`` over it) while a client downloaded it: the server
    sent the rest from the new file under the old length, h11 failed with "Too little
    data for declared Content-Length" and the server's log took a traceback. The transfer
    now stops short of its stated length (the client sees an incomplete body, never a file
    of two versions) with one line naming the file and the fix. The headers and bytes come
    from one open file, so a file renamed over it is never mixed in either."""
    import logging

    import rasterio
    from rasterio.transform import from_origin

    from tiles.testing import live_server

    cog = tmp_path / "big.tif"  # 9 MB: more than the socket buffers hold
    with rasterio.open(cog, "w", driver="GTiff", width=1500, height=1500, count=1,
                       dtype="float32", crs="EPSG:32619", tiled=True,
                       transform=from_origin(566000, 1343000, 1, 1)) as dst:
        dst.write(np.random.default_rng(17).random((1, 1500, 1500)).astype("f4"))
        dst.update_tags(synthetic="true")
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"layers": [{"name": "big", "cog": str(cog),
                                                  "public": True}]}))
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    with live_server(config) as server:
        loggers = [logging.getLogger(n) for n in ("uvicorn.error", "prospect.tiles")]
        for logger in loggers:
            logger.addHandler(handler)
        try:
            with server.client(timeout=60) as c, \
                    c.stream("GET", "/download/big.tif") as r:
                assert r.status_code == 200
                length = int(r.headers["content-length"])
                chunks = r.iter_raw()
                got = len(next(chunks))
                with open(cog, "r+b") as f:  # cp of a smaller file over it, in place
                    f.truncate(length // 3)
                with pytest.raises(httpx.RemoteProtocolError):
                    for chunk in chunks:
                        got += len(chunk)
            assert got < length
        finally:
            for logger in loggers:
                logger.removeHandler(handler)
    assert [r.getMessage() for r in records if r.exc_info] == []
    said = [r.getMessage() for r in records if "rewritten in place" in r.getMessage()]
    assert said and "big.tif" in said[0] and "renaming them into place" in said[0], \
        [r.getMessage() for r in records]


def test_concurrent_large_wms_maps_are_drawn_a_few_at_a_time(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """Every GetMap was drawn at once in its own thread (anyio's pool: forty): twelve maps
    of 4096 x 4096 took the server to 3.3 GB and two minutes each, and forty exhaust a
    16 GB machine. At most ``MAP_SLOTS`` (2) are drawn at once now, the others wait their
    turn: six maps at once need the memory of two (Python's allocation trace of the
    server, in this process)."""
    import threading
    import tracemalloc

    from tiles.service import MAP_SLOTS

    w, s, e, n = site["lonlat"]
    statuses: list[int] = []

    def draw(i: int) -> None:  # another BBOX each: no ETag or cache in common
        params = _map_params(site, CRS="CRS:84", BBOX=f"{w},{s},{e + i * 1e-7},{n}",
                             WIDTH=1024, HEIGHT=1024)
        statuses.append(served.get("/wms", params={"SERVICE": "WMS", **params}).status_code)

    draw(0)
    tracemalloc.start()
    try:
        draw(1)
        one = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        threads = [threading.Thread(target=draw, args=(i,)) for i in range(2, 8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        six = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert statuses == [200] * 8
    assert six < (MAP_SLOTS + 0.6) * one, (six / 1e6, one / 1e6)
