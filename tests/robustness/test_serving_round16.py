"""The tile server and the tiles stage as partner agencies' clients meet them (WMS 1.1.1 and
1.3.0 clients such as ArcGIS, QGIS and GDAL; WMTS KVP; plain HTTP).

A real server (uvicorn on loopback, in this process) answers real HTTP requests; GDAL's WMS
driver is a real client; the tiles stage runs on real COGs. Each case failed before: WMS
maps transparent by default (both versions say opaque), GetFeatureInfo answering for a
layer that is not on the map, WMS 1.1.1 refused, a key sent as ``KEY=`` refused, a 416
without a word, CRS values that gave a 500, a server and a tile archive drawing one map in
two colour ranges, and a viewer published apart from its layers. All data here are
SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml
from PIL import Image
from pyproj import Transformer

from prospect.errors import ProspectError
from tiles.source import WEB_MERCATOR
from tiles.testing import live_server, make_tile_fixture

BOUNDS = (566000.0, 1341000.0, 568000.0, 1343000.0)  # 2 km x 2 km on Bonaire (UTM 19N)
OGC = "{http://www.opengis.net/ogc}"
OWS = "{http://www.opengis.net/ows/1.1}"
SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "ogc_schemas_wmts_wms"
GDAL_TRANSLATE = shutil.which("gdal_translate")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("round16")
    fx = make_tile_fixture(root / "fx", bounds=BOUNDS)
    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(*BOUNDS)
    return {"root": root, "fx": fx, "lonlat": (w, s, e, n)}


@pytest.fixture(scope="module")
def served(site: dict[str, Any]):
    with live_server(site["fx"].config) as server, \
            server.client(timeout=60) as c:
        yield c


def _rgba(r: httpx.Response) -> np.ndarray:
    assert r.status_code == 200, r.text[:300]
    with Image.open(io.BytesIO(r.content)) as img:
        return np.asarray(img.convert("RGBA"))


def _wms(c: httpx.Client, **params: Any) -> httpx.Response:
    return c.get("/wms", params={"SERVICE": "WMS", **params})


def _map_params(site: dict[str, Any], version: str = "1.3.0", **extra: Any) -> dict[str, Any]:
    w, s, e, n = site["lonlat"]
    wide = (w - (e - w), s, e, n)  # the left half holds no data
    if version == "1.3.0":
        crs = {"CRS": "EPSG:4326", "BBOX": f"{wide[1]},{wide[0]},{wide[3]},{wide[2]}"}
    else:  # 1.1.1: SRS, and BBOX longitude first for EPSG:4326
        crs = {"SRS": "EPSG:4326", "BBOX": ",".join(map(str, wide))}
    return {"VERSION": version, "REQUEST": "GetMap", "LAYERS": "probability", "STYLES": "",
            "WIDTH": 64, "HEIGHT": 32, "FORMAT": "image/png", **crs, **extra}


def _exception(r: httpx.Response, status: int, code: str, *, version: str = "1.3.0"
               ) -> ET.Element:
    """The one ServiceException of a WMS refusal, checked against its version's format
    (1.3.0: the official schema, offline copy)."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    if version == "1.3.0":
        assert r.headers["content-type"].startswith("text/xml"), r.headers["content-type"]
        exc = ET.fromstring(r.content).find(f"{OGC}ServiceException")
        if SCHEMAS.is_dir():
            from lxml import etree

            parser = etree.XMLParser(no_network=True)
            xsd = etree.XMLSchema(etree.parse(
                str(SCHEMAS / "wms/1.3.0/exceptions_1_3_0.xsd"), parser))
            assert xsd.validate(etree.fromstring(r.content, parser)), xsd.error_log.last_error
    else:
        assert r.headers["content-type"] == "application/vnd.ogc.se_xml", r.headers
        assert b"exception_1_1_1.dtd" in r.content
        root = ET.fromstring(r.content)
        assert root.tag == "ServiceExceptionReport" and root.attrib["version"] == "1.1.1"
        exc = root.find("ServiceException")
    assert exc is not None and exc.attrib.get("code") == code, r.text
    return exc


# -- WMS: TRANSPARENT, GetFeatureInfo's layers, 1.1.1, CRS values --------------------------

@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_wms_maps_are_opaque_unless_transparent_is_asked_for(
        served: httpx.Client, site: dict[str, Any], version: str) -> None:
    """TRANSPARENT left out drew a transparent map; WMS 1.1.1 and 1.3.0 both say FALSE (an
    opaque map on BGCOLOR, white by default). TRANSPARENT=TRUE is transparent as before."""
    plain = _rgba(_wms(served, **_map_params(site, version)))
    clear = _rgba(_wms(served, **_map_params(site, version, TRANSPARENT="TRUE")))
    assert tuple(plain[16, 2]) == (255, 255, 255, 255)
    assert (plain[..., 3] == 255).all()
    assert clear[16, 2, 3] == 0
    assert (plain[16, 60, :3] == clear[16, 60, :3]).all()  # the data, the same colour


@pytest.mark.parametrize(("params", "status", "code", "locator", "words"), [
    ({"LAYERS": "probability", "QUERY_LAYERS": "uncertainty"}, 400, "LayerNotQueryable",
     "QUERY_LAYERS", ("'uncertainty'", "not among LAYERS")),
    ({"LAYERS": "probability", "QUERY_LAYERS": "probability,uncertainty"}, 400,
     "LayerNotQueryable", "QUERY_LAYERS", ("'uncertainty'",)),
    ({"QUERY_LAYERS": "probability"}, 400, "InvalidParameterValue", "LAYERS",
     ("missing LAYERS",)),
])
def test_getfeatureinfo_asks_only_layers_of_its_map(
        served: httpx.Client, site: dict[str, Any], params: dict[str, str], status: int,
        code: str, locator: str, words: tuple[str, ...]) -> None:
    """GetFeatureInfo answered the value of a QUERY_LAYERS layer that was not among LAYERS
    (a layer not on the map the user clicked), and without LAYERS at all."""
    w, s, e, n = site["lonlat"]
    r = _wms(served, VERSION="1.3.0", REQUEST="GetFeatureInfo", STYLES="", CRS="CRS:84",
             BBOX=f"{w},{s},{e},{n}", WIDTH=10, HEIGHT=10, I=5, J=5,
             key=site["fx"].key, **params)
    exc = _exception(r, status, code)
    assert exc.attrib.get("locator") == locator
    for word in words:
        assert word in (exc.text or ""), exc.text


def test_getfeatureinfo_of_a_layer_of_the_map_still_answers(
        served: httpx.Client, site: dict[str, Any]) -> None:
    w, s, e, n = site["lonlat"]
    r = _wms(served, VERSION="1.3.0", REQUEST="GetFeatureInfo", STYLES="", CRS="CRS:84",
             BBOX=f"{w},{s},{e},{n}", WIDTH=10, HEIGHT=10, I=7, J=7,
             LAYERS="probability,uncertainty", QUERY_LAYERS="uncertainty", key=site["fx"].key)
    assert r.status_code == 200, r.text
    [feature] = r.json()["features"]
    assert feature["properties"]["layer"] == "uncertainty"
    assert 0 < feature["properties"]["value"] < 0.5


def test_wms_111_capabilities_getmap_and_getfeatureinfo(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """WMS 1.1.1 (ArcGIS and many others) was refused ("only WMS VERSION=1.3.0"), and its
    GetCapabilities answered a 1.3.0 document. It is served: WMT_MS_Capabilities with SRS
    and x/y bounding boxes, GetMap with SRS and a lon/lat BBOX for EPSG:4326 drawing the
    same map as 1.3.0's lat/lon one, GetFeatureInfo with X/Y."""
    r = _wms(served, VERSION="1.1.1", REQUEST="GetCapabilities")
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.ogc.wms_xml"
    root = ET.fromstring(r.content)
    assert root.tag == "WMT_MS_Capabilities" and root.attrib["version"] == "1.1.1"
    layer = next(la for la in root.iter("Layer") if la.findtext("Name") == "probability")
    assert {e.text for e in layer.findall("SRS")} >= {"EPSG:4326", "EPSG:3857", "EPSG:32619"}
    box = layer.find("LatLonBoundingBox")
    assert box is not None
    w, s, e, n = site["lonlat"]
    assert float(box.attrib["minx"]) == pytest.approx(w) and \
        float(box.attrib["miny"]) == pytest.approx(s)
    utm = next(b for b in layer.findall("BoundingBox") if b.attrib["SRS"] == "EPSG:32619")
    assert float(utm.attrib["minx"]) == pytest.approx(BOUNDS[0])  # x first
    wgs = next(b for b in layer.findall("BoundingBox") if b.attrib["SRS"] == "EPSG:4326")
    assert float(wgs.attrib["minx"]) == pytest.approx(w)  # longitude first in 1.1.1

    old = _rgba(_wms(served, **_map_params(site, "1.1.1", TRANSPARENT="TRUE")))
    new = _rgba(_wms(served, **_map_params(site, "1.3.0", TRANSPARENT="TRUE")))
    assert (old == new).all() and old[..., 3].any()

    info = {"REQUEST": "GetFeatureInfo", "LAYERS": "probability",
            "QUERY_LAYERS": "probability", "STYLES": "", "WIDTH": 10, "HEIGHT": 10}
    v111 = _wms(served, VERSION="1.1.1", SRS="EPSG:4326", BBOX=f"{w},{s},{e},{n}", X=3, Y=6,
                **info)
    v130 = _wms(served, VERSION="1.3.0", CRS="EPSG:4326", BBOX=f"{s},{w},{n},{e}", I=3, J=6,
                **info)
    assert v111.status_code == v130.status_code == 200, (v111.text, v130.text)
    assert v111.json() == v130.json()


@pytest.mark.parametrize(("asked", "answered"), [
    ("1.3.0", "1.3.0"), ("1.1.1", "1.1.1"), ("1.1.0", "1.1.1"), ("1.2.0", "1.1.1"),
    ("2.0.0", "1.3.0"), (None, "1.3.0")])
def test_wms_getcapabilities_negotiates_the_version(
        served: httpx.Client, asked: str | None, answered: str) -> None:
    params = {"REQUEST": "GetCapabilities", **({"VERSION": asked} if asked else {})}
    r = _wms(served, **params)
    assert r.status_code == 200
    assert ET.fromstring(r.content).attrib["version"] == answered


@pytest.mark.parametrize(("params", "code", "words"), [
    ({"SRS": "EPSG:999999"}, "InvalidSRS", ("SRS 'EPSG:999999'",)),
    ({"SRS": None, "CRS": "EPSG:4326"}, "InvalidParameterValue", ("names the map's CRS in SRS",)),
    ({"FORMAT": "image/gif"}, "InvalidFormat", ("FORMAT",)),
    ({"LAYERS": "nope"}, "LayerNotDefined", ("'nope'",)),
])
def test_wms_111_refusals_are_111_service_exceptions(
        served: httpx.Client, site: dict[str, Any], params: dict[str, Any], code: str,
        words: tuple[str, ...]) -> None:
    """A 1.1.1 client reads 1.1.1's ServiceExceptionReport (no namespace, its media type):
    a refusal of a 1.1.1 request is one, with 1.1.1's codes (InvalidSRS)."""
    query = {k: v for k, v in {**_map_params(site, "1.1.1"), **params}.items()
             if v is not None}
    r = _wms(served, **query)
    exc = _exception(r, 404 if code == "LayerNotDefined" else 400, code, version="1.1.1")
    for word in words:
        assert word in (exc.text or ""), exc.text


def test_wms_version_not_served_is_refused_naming_both(
        served: httpx.Client, site: dict[str, Any]) -> None:
    r = _wms(served, **_map_params(site, "1.3.0", VERSION="1.2.0"))
    exc = _exception(r, 400, "InvalidParameterValue")
    assert "1.3.0" in exc.text and "1.1.1" in exc.text and exc.attrib["locator"] == "VERSION"


@pytest.mark.skipif(GDAL_TRANSLATE is None, reason="needs GDAL (Debian package gdal-bin)")
def test_gdal_wms_driver_reads_the_111_service(
        served: httpx.Client, site: dict[str, Any], tmp_path: Path) -> None:
    """GDAL's WMS driver, as a 1.1.1 client: the capabilities list the layer with a lon/lat
    BBOX, and its GetMap (SRS=EPSG:4326, lon/lat BBOX) gives the pixels 1.3.0 gives."""
    url = str(served.base_url).rstrip("/")
    info = subprocess.run(
        ["gdalinfo", f"WMS:{url}/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetCapabilities"],
        capture_output=True, text=True, timeout=60)
    assert info.returncode == 0, info.stderr
    assert "LAYERS=probability&SRS=EPSG:4326" in info.stdout, info.stdout
    w, s, e, n = site["lonlat"]
    out = {}
    for version, crs, bbox in [("1.1.1", "SRS", f"{w},{s},{e},{n}"),
                               ("1.3.0", "CRS", f"{s},{w},{n},{e}")]:
        out[version] = tmp_path / f"{version}.tif"
        done = subprocess.run(
            [GDAL_TRANSLATE, "-q", "-outsize", "64", "64",
             f"WMS:{url}/wms?SERVICE=WMS&VERSION={version}&REQUEST=GetMap&LAYERS=probability"
             f"&{crs}=EPSG:4326&BBOX={bbox}&FORMAT=image/png", str(out[version])],
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    import rasterio

    with rasterio.open(out["1.1.1"]) as a, rasterio.open(out["1.3.0"]) as b:
        assert a.bounds == pytest.approx(b.bounds)
        assert (a.read() == b.read()).all() and a.read().std() > 0


@pytest.mark.parametrize("crs", [" proj=longlat", "+proj=longlat +datum=WGS84",
                                 "https://epsg.io/4326.wkt",
                                 'GEOGCS["WGS 84"]'])
def test_wms_crs_that_is_not_an_identifier_is_invalid_crs(
        served: httpx.Client, site: dict[str, Any], crs: str) -> None:
    """``CRS=+proj=longlat`` (its '+' read as a space by the URL) was a 500 "internal error
    (CRSError)": pyproj read it, the map's reader did not. WMS names a CRS as
    AUTHORITY:CODE (or by OGC's URN or URI of one, round 35); anything else, a web
    page's URL of one too, is InvalidCRS."""
    for request in ("GetMap", "GetFeatureInfo"):
        r = _wms(served, **_map_params(site, "1.3.0", REQUEST=request, CRS=crs,
                                       BBOX="12.1,-68.4,12.2,-68.3", QUERY_LAYERS="probability",
                                       I=1, J=1))
        exc = _exception(r, 400, "InvalidCRS")
        assert "AUTHORITY:CODE" in exc.text


def test_getlegendgraphic_without_layer_says_so(served: httpx.Client) -> None:
    """It said "layer names are letters, digits, '_' and '-' only"."""
    r = _wms(served, REQUEST="GetLegendGraphic", FORMAT="image/png")
    exc = _exception(r, 400, "InvalidParameterValue")
    assert "missing LAYER" in exc.text and exc.attrib["locator"] == "LAYER"


# -- keys: parameter names without case ----------------------------------------------------

def _tile(site: dict[str, Any], z: int = 14) -> tuple[int, int, int]:
    w, s, e, n = site["lonlat"]
    t = WEB_MERCATOR.tile((w + e) / 2, (s + n) / 2, z)
    return z, t.x, t.y


@pytest.mark.parametrize("name", ["KEY", "Key"])
def test_the_key_parameter_name_is_matched_without_case(
        served: httpx.Client, site: dict[str, Any], name: str) -> None:
    """``?KEY=`` (as OGC clients write the names of parameters they pass on) was refused
    401 "needs an API key" on every private layer; its value is still exact."""
    fx = site["fx"]
    z, x, y = _tile(site)
    assert served.get(f"/tiles/uncertainty/{z}/{x}/{y}.png",
                      params={name: fx.key}).status_code == 200
    kvp = {"SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": "uncertainty",
           "STYLE": "default", "TILEMATRIXSET": "WebMercatorQuad", "FORMAT": "image/png",
           "TILEMATRIX": z, "TILEROW": y, "TILECOL": x}
    assert served.get("/wmts", params={**kvp, name: fx.key}).status_code == 200
    assert _wms(served, **_map_params(site, LAYERS="uncertainty", **{name: fx.key})
                ).status_code == 200
    caps = _wms(served, REQUEST="GetCapabilities", **{name: fx.key})
    assert b"<Name>uncertainty</Name>" in caps.content
    wrong = served.get(f"/tiles/uncertainty/{z}/{x}/{y}.png", params={name: fx.key.upper()})
    assert wrong.status_code == 401
    both = served.get(f"/tiles/uncertainty/{z}/{x}/{y}.png",
                      params=[("key", fx.key), (name, fx.key)])
    assert both.status_code == 400 and "more than once" in both.json()["error"]


# -- HTTP: 416, WMTS version negotiation ---------------------------------------------------

@pytest.mark.parametrize("path", ["/download/probability.tif", "/static/viewer.css"])
def test_a_range_past_the_end_says_why(served: httpx.Client, site: dict[str, Any],
                                       path: str) -> None:
    """A 416 came with an empty body: the client (or whoever reads its log) was told
    nothing. It says which range, the file's length and the fix, in the JSON of every
    other refusal; Content-Range still states the length."""
    size = len(served.get(path).content)
    for method in ("GET", "HEAD"):
        r = served.request(method, path, headers={"Range": f"bytes={size + 10}-"})
        assert r.status_code == 416
        assert r.headers["content-range"] == f"bytes */{size}"
        assert int(r.headers["content-length"]) > 0
        if method == "GET":
            body = r.json()
            assert body["status"] == 416 and f"{size} bytes" in body["error"]
            assert f"bytes={size + 10}-" in body["error"]
    ok = served.get(path, headers={"Range": "bytes=0-9"})
    assert ok.status_code == 206 and len(ok.content) == 10


def test_wmts_acceptversions_without_1_0_0_is_version_negotiation_failed(
        served: httpx.Client) -> None:
    """AcceptVersions=2.0.0 answered a 1.0.0 document (OWS 1.1: VersionNegotiationFailed)."""
    r = served.get("/wmts", params={"SERVICE": "WMTS", "REQUEST": "GetCapabilities",
                                    "AcceptVersions": "2.0.0"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/xml")
    exc = ET.fromstring(r.content).find(f"{OWS}Exception")
    assert exc is not None and exc.attrib["exceptionCode"] == "VersionNegotiationFailed"
    if SCHEMAS.is_dir():
        from lxml import etree

        parser = etree.XMLParser(no_network=True)
        xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / "ows/1.1.0/owsExceptionReport.xsd"),
                                          parser))
        assert xsd.validate(etree.fromstring(r.content, parser)), xsd.error_log.last_error
    ok = served.get("/wmts", params={"SERVICE": "WMTS", "REQUEST": "GetCapabilities",
                                     "AcceptVersions": "2.0.0,1.0.0"})
    assert ok.status_code == 200 and b"<Capabilities" in ok.content


# -- the tiles stage and the server: one colour range; the viewer with its layers ----------

def _job(tiles: dict[str, Any], **extra: Any):
    from prospect.config.job import JobConfig

    return JobConfig.model_validate({"name": "round16", "synthetic": True, "region": "bonaire",
                                     "tiles": {"min_zoom": 14, "max_zoom": 14, **tiles},
                                     **extra})


def test_server_and_tiles_stage_take_one_colour_range(tmp_path: Path) -> None:
    """A layer without vmin/vmax whose data lie outside 0-1 (heat flow, mW/m2) is stretched
    to its data's 2-98 %: the tiles stage took it from its viewer's value grid, the server
    from a 128 x 128 read of its own, so the archive and the server drew one map in two
    colour ranges (here 42.4-158 and 42.3-157). Both take it from
    tiles.metadata.value_sample now, and a server started from create_app (not only
    ``prospect serve``) stretches too, with the same legend."""
    import rasterio

    from pipelines.context import RunContext
    from pipelines.stages.tiles import run

    fx = make_tile_fixture(tmp_path / "fx")  # 6 km x 6 km at 10 m
    out = tmp_path / "out"
    (out / "score").mkdir(parents=True)
    heat = out / "score" / "heat.tif"
    with rasterio.open(fx.probability) as src:
        profile, data = src.profile, src.read(1)
    noise = np.random.default_rng(16).uniform(40.0, 160.0, data.shape)
    with rasterio.open(heat, "w", **profile) as dst:
        dst.write(np.where(np.isfinite(data), noise, np.nan).astype("f4"), 1)
        dst.update_tags(units="mW/m2", synthetic="true")
    run(RunContext(job=_job({"layers": [{"variable": "heat"}], "archive": False}),
                   out_dir=out, grid=fx.grid))
    static = json.loads((out / "tiles" / "heat" / "tilejson.json").read_text())["prospect"]
    assert static["vmin"] > 1.0  # stretched

    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"layers": [{"name": "heat", "cog": str(heat),
                                                  "public": True}]}))
    check = subprocess.run([sys.executable, "-m", "pipelines.cli", "serve", str(config),
                            "--check"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    said = re.search(r"layer 'heat': colour range ([0-9.]+) to ([0-9.]+) mW/m2",
                     " ".join(check.stderr.split()))
    assert said, check.stderr
    assert (float(said[1]), float(said[2])) == (static["vmin"], static["vmax"])
    with live_server(config) as server:
        served = httpx.get(f"{server.url}/tilejson/heat.json").json()["prospect"]
        legend = httpx.get(f"{server.url}/legend/heat.png")
    assert (served["vmin"], served["vmax"]) == (static["vmin"], static["vmax"])
    assert legend.content == (out / "tiles" / "heat" / "legend.png").read_bytes()


def test_a_failed_viewer_publishes_no_layer(tmp_path: Path) -> None:
    """The viewer was written after the layers were published: a run whose viewer failed
    (its land outline moved away after ingest) or was killed there left the new layers
    beside the last run's viewer. Layers and viewer are staged whole and published
    together; a failure while rendering either leaves the last run's as they were."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run

    fx = make_tile_fixture(tmp_path / "fx", bounds=BOUNDS)
    out = tmp_path / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(fx.probability, out / "score" / "probability.tif")
    layers = {"layers": [{"variable": "probability", "colormap": "viridis"}],
              "archive": False}
    run(RunContext(job=_job(layers), out_dir=out, grid=fx.grid))
    before = {p: p.read_bytes() for p in sorted(out.rglob("*"))
              if p.is_file() and "score" not in p.parts}
    assert out / "viewer" / "index.html" in before

    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(*BOUNDS)
    outline = tmp_path / "land.geojson"
    outline.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "land"}, "geometry": {
            "type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}}]}))
    job = _job({**layers, "layers": [{"variable": "probability", "colormap": "magma"}]},
               mask={"path": str(outline)})
    outline.unlink()  # moved away after ingest
    with pytest.raises(ProspectError, match=r"land\.geojson"):
        run(RunContext(job=job, out_dir=out, grid=fx.grid))
    after = {p: p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file() and "score" not in p.parts}
    assert after.keys() == before.keys()
    assert [p for p in before if before[p] != after[p]] == []


def test_rate_limit_on_wms_and_wmts_kvp_is_their_own_xml(site: dict[str, Any],
                                                          tmp_path: Path) -> None:
    """An agency over its requests_per_minute got the REST endpoints' JSON 429 from /wms and
    /wmts, which WMS and WMTS clients (QGIS, ArcGIS, GDAL) cannot read: a
    ServiceExceptionReport and an OWS ExceptionReport now, with Retry-After."""
    fx = site["fx"]
    cfg = yaml.safe_load(fx.config.read_text())
    for layer in cfg["layers"]:
        layer["cog"] = str(fx.root / layer["cog"])
    cfg["keys"][0]["requests_per_minute"] = 2
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with live_server(path) as server, server.client(timeout=60,
                                                    headers={"X-API-Key": fx.key}) as c:
        for _ in range(2):
            assert _wms(c, REQUEST="GetCapabilities").status_code == 200
        wms = _wms(c, REQUEST="GetCapabilities")
        exc = _exception(wms, 429, "NoApplicableCode")
        assert "rate limit" in exc.text and int(wms.headers["retry-after"]) >= 1
        wmts = c.get("/wmts", params={"SERVICE": "WMTS", "REQUEST": "GetCapabilities"})
        assert wmts.status_code == 429 and int(wmts.headers["retry-after"]) >= 1
        assert wmts.headers["content-type"].startswith("application/xml"), wmts.text[:200]
        report = ET.fromstring(wmts.content).find(f"{OWS}Exception")
        assert report is not None and "rate limit" in report.findtext(f"{OWS}ExceptionText")


@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_wms_and_wmts_refusals_before_their_handlers_are_their_own_xml(
        served: httpx.Client, version: str) -> None:
    """A URL over the limit (a GetMap of many long layer names) or a POST to /wms or /wmts
    was the REST endpoints' JSON (414, 405), which a WMS or WMTS client cannot read: it is
    the protocol's exception report (the WMS one in the request's version); a tile URL
    still gets JSON."""
    long = "x" * 2100
    wms = _wms(served, VERSION=version, REQUEST="GetMap", LAYERS=long)
    exc = _exception(wms, 414, "NoApplicableCode", version=version)
    assert "URL longer than" in exc.text
    posted = served.post("/wms", params={"SERVICE": "WMS", "VERSION": version,
                                         "REQUEST": "GetCapabilities"})
    _exception(posted, 405, "NoApplicableCode", version=version)
    assert posted.headers["allow"] == "GET, HEAD"
    wmts = served.get("/wmts", params={"SERVICE": "WMTS", "REQUEST": "GetTile", "LAYER": long})
    assert wmts.status_code == 414 and wmts.headers["content-type"].startswith("application/xml")
    report = ET.fromstring(wmts.content).find(f"{OWS}Exception")
    assert report is not None and "URL longer than" in report.findtext(f"{OWS}ExceptionText")
    tile = served.get(f"/tiles/probability/14/1/1.png?pad={long}")
    assert tile.status_code == 414 and "URL longer than" in tile.json()["error"]
