"""Round 10: the tile server as a partner agency's clients meet it (QGIS, ArcGIS, GDAL, curl).

A real server (uvicorn on loopback, in this process) answers real HTTP requests; serve
configs go through the real ``prospect serve --check``. Each case failed before the round:
a blank map for a cube variable removed under the server, a 500 for one dropped from the
cube, a transparent image for ``TRANSPARENT=FALSE``, styles and numbers taken loosely, one
GetMap that kept the server busy for minutes, JSON where WMTS KVP clients read an OWS
ExceptionReport, capabilities documents that were not XML, tiles a TileJSON offered and
the server refused, and agency keys lost to a misspelt key. All data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml
from PIL import Image
from pyproj import Transformer

from tests.robustness.conftest import assert_clean_error
from tiles.source import WEB_MERCATOR
from tiles.testing import live_server, make_tile_fixture

BOUNDS = (566000.0, 1341000.0, 568000.0, 1343000.0)  # 2 km x 2 km on Bonaire (UTM 19N)
OWS = "{http://www.opengis.net/ows/1.1}"
OGC = "{http://www.opengis.net/ogc}"
WMS = "{http://www.opengis.net/wms}"
LAEA = "+proj=laea +lat_0=12 +lon_0=-68 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"


def _write_cube(fx: Any, cube: Path) -> None:
    import rasterio
    import xarray as xr

    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    create_cube(cube, fx.grid, attrs={"synthetic": True})
    with rasterio.open(fx.probability) as src:
        data = src.read(1)
    add_variables(cube, xr.Dataset({"probability": float_layer(
        data, name="probability", units="1", long_name="probability", kind="probability",
        like=open_cube(cube))}))


def _write_laea(src_path: Path, path: Path) -> None:
    """The COG's values in a CRS that has no EPSG code (written from a PROJ string)."""
    import rasterio
    from rasterio.warp import calculate_default_transform, reproject

    with rasterio.open(src_path) as src:
        data, crs, transform, bounds = src.read(1), src.crs, src.transform, src.bounds
        width, height = src.width, src.height
    dst_transform, w, h = calculate_default_transform(crs, LAEA, width, height, *bounds)
    out = np.full((h, w), np.nan, dtype="f4")
    reproject(data, out, src_transform=transform, src_crs=crs, dst_transform=dst_transform,
              dst_crs=LAEA)
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       crs=LAEA, transform=dst_transform, nodata=np.nan) as dst:
        dst.write(out, 1)
        dst.update_tags(synthetic="true")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A COG, a cube variable, a COG in a CRS without an EPSG code and the centre tile."""
    root = tmp_path_factory.mktemp("round10")
    fx = make_tile_fixture(root / "fx", bounds=BOUNDS)
    _write_cube(fx, root / "cube.zarr")
    _write_laea(fx.probability, root / "laea.tif")
    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(*BOUNDS)
    centre = ((w + e) / 2, (s + n) / 2)
    t = WEB_MERCATOR.tile(*centre, 14)
    return {"root": root, "fx": fx, "cube": root / "cube.zarr", "laea": root / "laea.tif",
            "centre": centre, "tile": (14, t.x, t.y),
            "bbox3857": tuple(WEB_MERCATOR.xy_bounds(t))}


def _config(path: Path, layers: list[dict[str, Any]], **extra: Any) -> Path:
    path.write_text(yaml.safe_dump({"layers": layers, **extra}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def served(site: dict[str, Any]):
    """One server for the read-only cases: a COG (public), a layer whose title holds a
    control character, and one in a CRS without an EPSG code."""
    fx = site["fx"]
    path = _config(site["root"] / "serve.yaml", [
        {"name": "probability", "cog": str(fx.probability), "public": True},
        {"name": "odd", "cog": str(fx.uncertainty), "public": True,
         "title": "Uncertainty\x01 of the \x0bmodel", "description": "made\x1f here"},
        {"name": "laea", "cog": str(site["laea"]), "public": True},
    ], title="Tiles\x02 for partners", tile_matrix_sets=["UTM19WGS84Quad", "WorldCRS84Quad"])
    with live_server(path) as server, server.client(timeout=60) as c:
        yield c


def _get_map(c: httpx.Client, site: dict[str, Any], **params: Any) -> httpx.Response:
    query = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap",
             "LAYERS": "probability", "STYLES": "", "CRS": "EPSG:3857",
             "BBOX": ",".join(map(str, site["bbox3857"])), "WIDTH": 64, "HEIGHT": 64,
             "FORMAT": "image/png", **params}
    return c.get("/wms", params={k: v for k, v in query.items() if v is not None})


def _service_exception(r: httpx.Response, status: int, code: str, *words: str) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/xml"), r.headers["content-type"]
    exc = ET.fromstring(r.content).find(f"{OGC}ServiceException")
    assert exc is not None and exc.attrib["code"] == code, r.text
    for word in words:
        assert word in (exc.text or ""), r.text
    return exc.text or ""


def _rgba(r: httpx.Response) -> np.ndarray:
    with Image.open(io.BytesIO(r.content)) as img:
        return np.asarray(img.convert("RGBA"))


# -- a cube variable removed or rewritten under the server ----------------------------------

def _drop_from_metadata(cube: Path) -> None:
    import json

    meta = json.loads((cube / "zarr.json").read_text())
    del meta["consolidated_metadata"]["metadata"]["probability"]
    (cube / "zarr.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("damage", ["folder removed", "dropped from the cube", "cube removed"])
def test_a_cube_variable_removed_under_the_server_is_a_503_not_a_blank_map_or_a_500(
        site: dict[str, Any], tmp_path: Path, damage: str) -> None:
    """With the variable's folder removed (the cube's consolidated metadata still listing
    it) every tile was a 200 blank image and every point "inside": false, as if the layer
    had no data; dropped from the cube's metadata or with the cube removed, tiles, points
    and the WMTS capabilities of every layer were 500 "internal error (DataError)"."""
    cube = tmp_path / "cube.zarr"
    shutil.copytree(site["cube"], cube)
    path = _config(tmp_path / "serve.yaml", [
        {"name": "cube", "cube": str(cube), "variable": "probability", "public": True},
        {"name": "cog", "cog": str(site["fx"].probability), "public": True}])
    z, x, y = site["tile"]
    lon, lat = site["centre"]
    with live_server(path) as server, server.client(timeout=60) as c:
        assert c.get(f"/tiles/cube/{z}/{x}/{y}.png").status_code == 200
        if damage == "folder removed":
            shutil.rmtree(cube / "probability")
        elif damage == "dropped from the cube":
            _drop_from_metadata(cube)
        else:
            shutil.rmtree(cube)
        time.sleep(1.1)  # the server looks at its files at most once a second
        for url in (f"/tiles/cube/{z}/{x}/{y + 1}.png", f"/point/cube?lon={lon}&lat={lat}"):
            r = c.get(url)
            assert r.status_code == 503, (url, r.status_code, r.text[:200])
            error = r.json()["error"]
            assert "layer 'cube'" in error and "cannot be read" in error and "/" not in error
        listed = {e["name"]: e for e in c.get("/layers").json()}
        assert listed["cube"]["available"] is False and "available" not in listed["cog"]
        caps = c.get("/wmts/1.0.0/WMTSCapabilities.xml")
        assert caps.status_code == 200 and b"<ows:Identifier>cog<" in caps.content
        assert b"<ows:Identifier>cube<" not in caps.content
        assert c.get(f"/tiles/cog/{z}/{x}/{y}.png").status_code == 200
        shutil.rmtree(cube, ignore_errors=True)
        shutil.copytree(site["cube"], cube)  # written again: served again
        time.sleep(1.1)
        assert c.get(f"/tiles/cube/{z}/{x}/{y}.png").status_code == 200


# -- WMS GetMap: background, styles, numbers, cost ------------------------------------------

def test_wms_transparent_false_draws_an_opaque_map_on_bgcolor(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """TRANSPARENT=FALSE and BGCOLOR were read and ignored: the map came back transparent
    where the layer has no data (with the ETag of the transparent one)."""
    w, s, e, n = site["bbox3857"]
    wide = f"{w - (e - w)},{s},{e},{n}"  # the left half holds no data
    clear = _get_map(served, site, BBOX=wide, TRANSPARENT="TRUE")
    white = _get_map(served, site, BBOX=wide, TRANSPARENT="FALSE")
    dark = _get_map(served, site, BBOX=wide, TRANSPARENT="false", BGCOLOR="0x102030")
    assert clear.status_code == white.status_code == dark.status_code == 200
    assert _rgba(clear)[32, 2, 3] == 0
    assert tuple(_rgba(white)[32, 2]) == (255, 255, 255, 255)
    assert tuple(_rgba(dark)[32, 2]) == (16, 32, 48, 255)
    assert (_rgba(dark)[..., 3] == 255).all()
    assert (_rgba(dark)[32, 60, :3] == _rgba(clear)[32, 60, :3]).all()  # the data as before
    assert len({clear.headers["etag"], white.headers["etag"], dark.headers["etag"]}) == 3


@pytest.mark.parametrize(("params", "code", "words"), [
    ({"TRANSPARENT": "yes"}, "InvalidParameterValue", "TRANSPARENT must be TRUE or FALSE"),
    ({"BGCOLOR": "red"}, "InvalidParameterValue", "BGCOLOR must be a colour written 0xRRGGBB"),
    ({"STYLES": "fancy"}, "StyleNotDefined", "unknown style 'fancy'"),
    ({"STYLES": "default,default"}, "InvalidParameterValue", "STYLES lists 2 styles for 1"),
    ({"FORMAT": "image/jpeg"}, "InvalidFormat", "FORMAT must be one of"),
    ({"BBOX": "-7614_000,1360000,-7612000,1362000"}, "InvalidParameterValue",
     "BBOX must be four numbers"),
    ({"WIDTH": "\u0666\u0664"}, "InvalidParameterValue", "WIDTH must be an integer"),
    ({"LAYERS": ",".join(["probability"] * 9)}, "InvalidParameterValue",
     "one request draws at most 8"),
    ({"LAYERS": "probability,odd", "WIDTH": 4096, "HEIGHT": 4096}, "InvalidParameterValue",
     "GetMap draws at most 16777216 pixels"),
    ({"REQUEST": "GetMapp"}, "OperationNotSupported", "got 'GetMapp'"),
])
def test_wms_refuses_what_it_cannot_draw_as_asked(
        served: httpx.Client, site: dict[str, Any], params: dict[str, Any], code: str,
        words: str) -> None:
    """Each of these was a 200 map drawn otherwise than asked (a style it lacks, a colour
    it ignored, ``1_000`` read as 1000, Arabic-Indic digits as 64), or a request that kept
    the server busy for minutes (nine 4096 x 4096 layers), or a refusal without the WMS
    code."""
    t0 = time.monotonic()
    _service_exception(_get_map(served, site, **params), 400, code, words)
    assert time.monotonic() - t0 < 10


def test_wms_capabilities_state_the_layer_limit_and_a_default_style_still_draws(
        served: httpx.Client, site: dict[str, Any]) -> None:
    r = served.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
    assert ET.fromstring(r.content).findtext(f"{WMS}Service/{WMS}LayerLimit") == "8"
    assert _get_map(served, site, STYLES="default").status_code == 200
    assert _get_map(served, site, LAYERS="probability,odd", STYLES=",default").status_code \
        == 200


@pytest.mark.parametrize(("params", "code", "words"), [
    ({"I": "1_0"}, "InvalidPoint", "I and J must be integer pixel positions"),
    ({"I": "64"}, "InvalidPoint", "inside WIDTH x HEIGHT"),
    # text/xml (GML) is served since round 21: a format no server answers here
    ({"INFO_FORMAT": "application/pdf"}, "InvalidFormat", "INFO_FORMAT must be"),
])
def test_wms_feature_info_refusals_carry_their_wms_codes(
        served: httpx.Client, site: dict[str, Any], params: dict[str, Any], code: str,
        words: str) -> None:
    """``I=1_0`` was read as pixel 10; the others were refused as InvalidParameterValue."""
    query = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo",
             "LAYERS": "probability", "QUERY_LAYERS": "probability", "CRS": "EPSG:3857",
             "BBOX": ",".join(map(str, site["bbox3857"])), "WIDTH": 64, "HEIGHT": 64,
             "I": 5, "J": 5, **params}
    _service_exception(served.get("/wms", params=query), 400, code, words)


def test_wms_legend_graphic_refuses_a_format_it_does_not_draw(served: httpx.Client) -> None:
    """GetLegendGraphic answered a PNG to FORMAT=image/jpeg."""
    r = served.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetLegendGraphic",
                                   "LAYER": "probability", "FORMAT": "image/jpeg"})
    _service_exception(r, 400, "InvalidFormat", "image/png")


# -- WMTS: the KVP binding's exception reports, REST tile URLs ------------------------------

KVP = ("/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=probability"
       "&TILEMATRIXSET=WebMercatorQuad&FORMAT=image/png")


@pytest.mark.parametrize(("query", "status", "code", "locator", "words"), [
    ("&TILEMATRIX=14&TILEROW=1", 400, "MissingParameterValue", "TILECOL", "GetTile needs"),
    ("&TILEMATRIX=99&TILEROW=1&TILECOL=1", 400, "TileOutOfRange", "TILEMATRIX",
     "TileMatrix 99 outside"),
    ("&TILEMATRIX=14&TILEROW=99999&TILECOL=1", 400, "TileOutOfRange", "TILEROW",
     "TileRow 0..16383"),
    ("&TILEMATRIX=14&TILEROW=x&TILECOL=1", 400, "InvalidParameterValue", "TILEROW",
     "non-negative integers"),
    ("&TILEMATRIX=14&TILEROW=1&TILECOL=1&LAYER=nope", 400, "InvalidParameterValue", None,
     "given more than once"),
    ("&TILEMATRIX=14&TILEROW=1&TILECOL=1&REQUEST=GetFeatureInfo", 400,
     "InvalidParameterValue", None, "given more than once"),
])
def test_wmts_kvp_refusals_are_ows_exception_reports(
        served: httpx.Client, query: str, status: int, code: str, locator: str | None,
        words: str) -> None:
    """The KVP binding answered its refusals in the REST endpoints' JSON, which WMTS
    clients (QGIS, ArcGIS, GDAL) do not read: an OWS 1.1 ExceptionReport with the
    exceptionCode and the parameter at fault, at the same HTTP status."""
    r = served.get(KVP + query)
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/xml"), r.text[:200]
    root = ET.fromstring(r.content)
    assert root.tag == f"{OWS}ExceptionReport"
    exc = root.find(f"{OWS}Exception")
    assert exc is not None and exc.attrib["exceptionCode"] == code, r.text
    assert exc.attrib.get("locator") == locator, r.text
    assert words in (exc.findtext(f"{OWS}ExceptionText") or ""), r.text


@pytest.mark.parametrize(("query", "code", "locator", "words"), [
    ("/wmts?SERVICE=WMTS&REQUEST=GetFeatureInfo", "OperationNotSupported", "REQUEST",
     "GetCapabilities or GetTile"),
    (KVP.replace("LAYER=probability", "LAYER=nope") + "&TILEMATRIX=1&TILEROW=1&TILECOL=1",
     "InvalidParameterValue", "LAYER", "unknown layer 'nope'"),
    (KVP.replace("WebMercatorQuad", "512") + "&TILEMATRIX=1&TILEROW=1&TILECOL=1",
     "InvalidParameterValue", "TILEMATRIXSET", "tile matrix set '512'"),
    (KVP.replace("1.0.0", "2.0.0") + "&TILEMATRIX=1&TILEROW=1&TILECOL=1",
     "InvalidParameterValue", "VERSION", "VERSION=1.0.0"),
])
def test_wmts_kvp_names_the_operation_layer_set_and_version_at_fault(
        served: httpx.Client, query: str, code: str, locator: str, words: str) -> None:
    """``TILEMATRIXSET=512`` was "not served in tile matrix set ''" (the name read as an
    empty set at 512 px) and ``VERSION=2.0.0`` drew a tile."""
    r = served.get(query)
    exc = ET.fromstring(r.content).find(f"{OWS}Exception")
    assert exc is not None, (r.status_code, r.text[:300])
    assert (exc.attrib["exceptionCode"], exc.attrib.get("locator")) == (code, locator), r.text
    assert words in (exc.findtext(f"{OWS}ExceptionText") or ""), r.text


def test_a_wmts_rest_tile_row_is_an_integer(served: httpx.Client, site: dict[str, Any]) -> None:
    """A TileRow of ``7634@2x`` in the 256 px set was served as a 512 px tile."""
    z, x, y = site["tile"]
    base = "/wmts/1.0.0/probability/default/WebMercatorQuad"
    assert served.get(f"{base}/{z}/{y}/{x}.png").status_code == 200
    r = served.get(f"{base}/{z}/{y}@2x/{x}.png")
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/xml")
    exc = ET.fromstring(r.content).find(f"{OWS}Exception")
    assert exc is not None and exc.attrib["exceptionCode"] == "InvalidParameterValue", r.text
    assert "TileRow" in (exc.findtext(f"{OWS}ExceptionText") or ""), r.text[:300]


# -- capabilities documents are XML whatever the titles and CRSs ----------------------------

@pytest.mark.parametrize("url", [
    "/wmts/1.0.0/WMTSCapabilities.xml", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities",
    "/wms?SERVICE=WMS&REQUEST=GetCapabilities"])
def test_capabilities_stay_xml_with_control_characters_and_crs_without_a_code(
        served: httpx.Client, url: str) -> None:
    """A control character in a title (the serve config's, or a ``long_name`` tag of the
    data) and a layer in a CRS known only by its WKT (its quotes in ``CRS="..."``) made
    the documents unparseable: QGIS and GDAL could open none of the layers."""
    r = served.get(url)
    assert r.status_code == 200
    root = ET.fromstring(r.content)  # raised ParseError
    text = r.content.decode()
    assert "Uncertainty of the model" in text and "Tiles for partners" in text
    if "wms" in url and "wmts" not in url:
        names = {e.findtext(f"{WMS}Name") for e in root.iter(f"{WMS}Layer")}
        assert {"probability", "odd", "laea"} <= names
        assert "PROJCS" not in text and "Lambert" not in text


def test_tilejson_names_the_crs_of_a_grid_without_an_epsg_code(served: httpx.Client) -> None:
    """TileJSON of a layer in WorldCRS84Quad said ``"crs": "EPSG:None"``."""
    doc = served.get("/tilejson/probability.json", params={"tms": "WorldCRS84Quad"}).json()
    assert (doc["tileMatrixSet"], doc["crs"]) == ("WorldCRS84Quad", "OGC:CRS84"), doc
    doc = served.get("/tilejson/probability.json", params={"tms": "UTM19WGS84Quad"}).json()
    assert doc["crs"] == "EPSG:32619", doc


# -- zooms the documents offer are served ---------------------------------------------------

def test_a_config_zoom_range_beyond_the_data_serves_the_zooms_its_documents_offer(
        site: dict[str, Any], tmp_path: Path) -> None:
    """``min_zoom: 20`` on 10 m data: TileJSON and WMTS offered the data's zoom (14), and
    every tile there was a 404 "outside the served range 20..24"."""
    path = _config(tmp_path / "serve.yaml", [
        {"name": "p", "cog": str(site["fx"].probability), "public": True}],
        min_zoom=20, max_zoom=24)
    z, x, y = site["tile"]
    with live_server(path) as server, server.client(timeout=60) as c:
        doc = c.get("/tilejson/p.json").json()
        assert doc["minzoom"] <= z <= doc["maxzoom"], doc
        assert c.get(f"/tiles/p/{z}/{x}/{y}.png").status_code == 200
        r = c.get(f"/wmts/1.0.0/p/default/WebMercatorQuad/{z}/{y}/{x}.png")
        assert r.status_code == 200, r.text[:200]
        assert c.get(f"/tiles/p/{doc['minzoom'] - 1}/{x // 2}/{y // 2}.png").status_code == 404


# -- downloads answer the conditional GET ---------------------------------------------------

def test_a_download_the_client_has_is_a_304(served: httpx.Client) -> None:
    """``If-None-Match`` with the download's own ETag sent the whole COG again."""
    first = served.get("/download/probability.tif")
    assert first.status_code == 200
    again = served.get("/download/probability.tif",
                       headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert served.get("/download/probability.tif", headers={
        "If-None-Match": '"other"'}).status_code == 200


# -- serve configs: the keys file -----------------------------------------------------------

@pytest.mark.parametrize(("text", "words"), [
    ("key:\n- agency: ministry\n  key_sha256: " + "a" * 64 + "\n", ("unknown key 'key'",
                                                                      "'keys'")),
    ("keys: 5\n", ("key 'keys'", "5", "takes a list")),
    # the value is not echoed since round 21: what goes there may be a pasted key
    ("keys:\n- agency: ministry\n  key_sha256: abc\n", ("keys.0.key_sha256", "never the key")),
])
def test_a_keys_file_that_does_not_validate_names_the_file_and_key(
        cli: Any, site: dict[str, Any], tmp_path: Path, text: str, words: tuple[str, ...]
        ) -> None:
    """A misspelt ``key:`` was read as no keys at all (every agency in the file locked
    out, the server "OK"), and ``keys: 5`` was "keys.: Input should be a valid list"."""
    (tmp_path / "agencies.yaml").write_text(text)
    path = _config(tmp_path / "serve.yaml", [
        {"name": "p", "cog": str(site["fx"].probability)}], keys_file="agencies.yaml")
    line = assert_clean_error(cli("serve", path, "--check"), 2, "agencies.yaml", *words)
    assert "keys.:" not in line


def test_serve_counts_the_keys_of_its_keys_file(cli: Any, site: dict[str, Any],
                                                tmp_path: Path) -> None:
    """The start-up line said "0 agency keys" for a config whose keys are in its keys_file."""
    (tmp_path / "agencies.yaml").write_text(yaml.safe_dump({"keys": [
        {"agency": "ministry", "key_sha256": "a" * 64, "layers": ["p"]},
        {"agency": "survey", "key_sha256": "b" * 64, "layers": ["*"]}]}))
    path = _config(tmp_path / "serve.yaml", [
        {"name": "p", "cog": str(site["fx"].probability)}], keys_file="agencies.yaml")
    result = cli("serve", path, "--check")
    assert result.code == 0, result.err
    assert "2 agency keys" in result.err and "config and layers OK" in result.err
