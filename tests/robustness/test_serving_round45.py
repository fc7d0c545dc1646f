"""Tile delivery, round 45: layers of one date of a cube variable over dates (a serve
layer's ``date:``, round 44) drawn each in its own date's colour range, and offered to
WMS and WMTS clients with no ``time`` dimension, so a ``TIME=`` of another date was
answered with the layer's own map.

The cube is a SYNTHETIC zarr v3 store written here (``X``, a band stacked over three
dates, 1, 9 and 17 everywhere, dims ``(time, y, x)`` as the ingest writes a job's
``timeseries``; ``heat``, one map). ``prospect serve --check`` runs through the real CLI
in this process, and a live ``prospect serve`` (uvicorn on loopback) is asked by httpx;
the capabilities are validated against the OGC schemas in ``../shared/data`` where they
are present. Each non-control case failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tiles.testing import live_server, wms_130_schema

from .conftest import run_in_process

SCHEMAS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
           / "ogc_schemas_wmts_wms")
OGC = "{http://www.opengis.net/ogc}"
OWS = "{http://www.opengis.net/ows/1.1}"
WMTS = "{http://www.opengis.net/wmts/1.0}"
WMS = "{http://www.opengis.net/wms}"

LAYERS = ("  - {name: x2020, cube: cube.zarr, variable: X, date: 2020-06-01, public: true}\n"
          "  - {name: x2021, cube: cube.zarr, variable: X, date: '2021-06-01', public: true}\n"
          "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("round45dates")
    _cube(root / "cube.zarr", DATES)  # X: 1, 9, 17 on its three dates; heat: 1
    _config(root, LAYERS)
    return root


@pytest.fixture(scope="module")
def served(site: Path) -> Any:
    with live_server(site / "serve.yaml") as live, live.client() as client:
        yield client


def _viewer_layers(client: Any) -> dict[str, dict[str, Any]]:
    page = client.get("/viewer/").text
    found = re.search(r'id="prospect-config">(.*?)</script>', page, re.S)
    assert found, page[:500]
    return {la["name"]: la for la in json.loads(found.group(1))["layers"]}


def _centre(response: Any) -> tuple[int, ...]:
    """The RGBA of the middle pixel of a 32 x 32 map."""
    assert response.status_code == 200, response.text[:300]
    rgba = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGBA"))
    return tuple(rgba[16, 16].tolist())


# -- 1. the dates of one variable in one colour range --------------------------------------


def test_the_dates_of_one_variable_are_drawn_in_one_colour_range(served: Any) -> None:
    """Two dates of X (9 everywhere on 2020-06-01, 17 on 2021-06-01), no ``vmin``/``vmax``:
    each layer was stretched to its own date's value (8.1-9.9 and 15.3-18.7), so both were
    drawn in the ramp's middle colour and the legends read 9 and 17 there: a map of 9 and
    a map of 17 looked the same. Now both take the range of X over its three dates
    (1 to 17), in the viewer and in the tiles."""
    layers = _viewer_layers(served)
    assert (layers["x2020"]["vmin"], layers["x2020"]["vmax"]) == (1.0, 17.0), layers["x2020"]
    assert (layers["x2021"]["vmin"], layers["x2021"]["vmax"]) == (1.0, 17.0), layers["x2021"]
    a = _centre(served.get("/wms", params=_get_map(LAYERS="x2020")))
    b = _centre(served.get("/wms", params=_get_map(LAYERS="x2021")))
    assert a[3] == b[3] == 255 and a != b, (a, b)


def test_serve_check_says_the_range_is_over_the_variables_dates(site: Path) -> None:
    """``prospect serve --check`` names the range each date's layer takes and that it is
    that of the variable over its dates (it said the 2-98 % of the layer's data alone)."""
    result = run_in_process("serve", site / "serve.yaml", "--check")
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-2000:]
    assert "layer 'x2020': colour range 1 to 17" in text, text[-2000:]
    assert "over its 3 dates, 2019-06-01 to 2021-06-01" in text, text[-2000:]


def test_control_a_dates_own_range_in_the_config_is_kept(tmp_path: Path) -> None:
    """Control: a range set in the config (``vmin``/``vmax``) on a date's layer is kept,
    and a variable of one map (``heat``, 1 everywhere) keeps the default 0 to 1."""
    _cube(tmp_path / "cube.zarr", DATES)
    _config(tmp_path, "  - {name: x2020, cube: cube.zarr, variable: X, date: 2020-06-01, "
                      "vmin: 5, vmax: 10, public: true}\n"
                      "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n")
    with live_server(tmp_path / "serve.yaml") as live, live.client() as client:
        layers = _viewer_layers(client)
    assert (layers["x2020"]["vmin"], layers["x2020"]["vmax"]) == (5.0, 10.0)
    assert (layers["heat"]["vmin"], layers["heat"]["vmax"]) == (0.0, 1.0)


# -- 2. a date's layer as a time dimension of one value -------------------------------------


def _named(root: ET.Element, tag: str, name: str, ident: str) -> ET.Element:
    for layer in root.iter(tag):
        if layer.findtext(ident) == name:
            return layer
    raise AssertionError(f"no layer {name}")


def test_wms_capabilities_declare_a_dates_layer_time(served: Any) -> None:
    """WMS 1.3.0 GetCapabilities: a date's layer declares its ``time`` dimension (the one
    value and default its date), schema-valid; a layer of one map declares none. It
    declared none, so a time-aware client (QGIS's temporal controller) placed it at no
    date."""
    r = served.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities",
                                   "VERSION": "1.3.0"})
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    dim = _named(root, f"{WMS}Layer", "x2021", f"{WMS}Name").find(f"{WMS}Dimension")
    assert dim is not None, r.text[:2000]
    assert (dim.attrib["name"], dim.attrib["units"], dim.attrib["default"],
            (dim.text or "").strip()) == ("time", "ISO8601", "2021-06-01", "2021-06-01")
    assert _named(root, f"{WMS}Layer", "heat", f"{WMS}Name").find(f"{WMS}Dimension") is None
    if SCHEMAS.is_dir():
        from lxml import etree

        xsd = wms_130_schema(SCHEMAS)
        doc = etree.fromstring(r.content, etree.XMLParser(no_network=True))
        assert xsd.validate(doc), xsd.error_log.last_error


def test_wms_111_capabilities_declare_a_dates_layer_time(served: Any) -> None:
    """WMS 1.1.1: the dimension is declared by ``Dimension`` and its value by ``Extent``."""
    r = served.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities",
                                   "VERSION": "1.1.1"})
    root = ET.fromstring(r.content)
    layer = _named(root, "Layer", "x2020", "Name")
    dim, extent = layer.find("Dimension"), layer.find("Extent")
    assert dim is not None and extent is not None, r.text[:2000]
    assert dim.attrib == {"name": "time", "units": "ISO8601"}
    assert extent.attrib["default"] == "2020-06-01" and extent.text == "2020-06-01"


def test_wmts_kvp_capabilities_declare_a_dates_layer_time(served: Any) -> None:
    """WMTS KVP GetCapabilities: a ``Dimension`` ``time`` with the date as its ``Default``
    and ``Value``, schema-valid."""
    r = served.get("/wmts", params={"SERVICE": "WMTS", "REQUEST": "GetCapabilities"})
    root = ET.fromstring(r.content)
    dim = _named(root, f"{WMTS}Layer", "x2020", f"{OWS}Identifier").find(f"{WMTS}Dimension")
    assert dim is not None, r.text[:2000]
    assert dim.findtext(f"{OWS}Identifier") == "time"
    assert dim.findtext(f"{WMTS}Default") == "2020-06-01"
    assert [v.text for v in dim.findall(f"{WMTS}Value")] == ["2020-06-01"]
    if SCHEMAS.is_dir():
        from lxml import etree

        parser = etree.XMLParser(no_network=True)
        xsd = etree.XMLSchema(etree.parse(
            str(SCHEMAS / "wmts/1.0/wmtsGetCapabilities_response.xsd"), parser))
        assert xsd.validate(etree.fromstring(r.content, parser)), xsd.error_log.last_error


def _get_map(version: str = "1.3.0", **extra: Any) -> dict[str, Any]:
    crs = {"CRS": "CRS:84"} if version == "1.3.0" else {"SRS": "EPSG:4326"}
    return {"SERVICE": "WMS", "VERSION": version, "REQUEST": "GetMap", "LAYERS": "x2021",
            "STYLES": "", "BBOX": "5,52,6,53", "WIDTH": 32, "HEIGHT": 32,
            "FORMAT": "image/png", **crs, **extra}


@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_a_getmap_of_another_date_is_refused_naming_the_layer_of_that_date(
        served: Any, version: str) -> None:
    """GetMap of layer x2021 (2021-06-01) with ``TIME=2020-06-01`` was the map of 2021
    with a ``Warning`` header alone, which no map client shows. Now it is WMS's
    ``InvalidDimensionValue`` naming the layer's date and the layer of the date asked."""
    r = served.get("/wms", params=_get_map(version, TIME="2020-06-01"))
    assert r.status_code == 400, (r.status_code, r.headers.get("warning"))
    exc = ET.fromstring(r.content).find(f"{OGC}ServiceException" if version == "1.3.0"
                                        else "ServiceException")
    assert exc is not None and exc.attrib["code"] == "InvalidDimensionValue", r.text
    if version == "1.3.0":  # 1.1.1's ServiceException has no locator
        assert exc.attrib.get("locator") == "TIME"
    for needle in ("'x2021'", "map of 2021-06-01", "TIME='2020-06-01'", "ask TIME=2021-06-01",
                   "layer 'x2020'"):
        assert needle in (exc.text or ""), exc.text


@pytest.mark.parametrize("time", ["2021-06-01", "2021-06-01T00:00:00Z",
                                  "2021-01-01/2021-12-31"])
def test_a_getmap_at_the_layers_date_is_its_map_without_a_warning(
        served: Any, time: str) -> None:
    """``TIME`` at the layer's date (a day, a time on it as QGIS sends it, a range holding
    it) is the layer's declared dimension applied: the map, and no Warning that TIME was
    ignored."""
    r = served.get("/wms", params=_get_map(TIME=time))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:300]
    assert "warning" not in r.headers, r.headers["warning"]


def test_a_getfeatureinfo_of_another_date_is_refused(served: Any) -> None:
    """GetFeatureInfo of x2021 with ``TIME=2020-06-01`` answered 2021's value (17) as
    if it were 2020's; now refused as GetMap is."""
    r = served.get("/wms", params=_get_map(REQUEST="GetFeatureInfo", QUERY_LAYERS="x2021",
                                           I=5, J=5, INFO_FORMAT="text/plain",
                                           TIME="2020-06-01"))
    assert r.status_code == 400, r.text[:300]
    assert b'code="InvalidDimensionValue"' in r.content and b"layer 'x2020'" in r.content


def _get_tile(**extra: Any) -> dict[str, Any]:
    return {"SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": "x2021",
            "STYLE": "default", "FORMAT": "image/png", "TILEMATRIXSET": "WebMercatorQuad",
            "TILEMATRIX": 7, "TILEROW": 42, "TILECOL": 65, **extra}


def test_a_wmts_gettile_of_another_date_is_refused(served: Any) -> None:
    """WMTS KVP GetTile of x2021 with ``Time=2020-06-01`` (the dimension's identifier in
    any case) was 2021's tile; now an OWS ``InvalidParameterValue`` at ``TIME``; at its own
    date, the tile without a Warning."""
    r = served.get("/wmts", params=_get_tile(Time="2020-06-01"))
    assert r.status_code == 400, (r.status_code, r.headers.get("warning"))
    exc = ET.fromstring(r.content).find(f"{OWS}Exception")
    assert exc is not None and exc.attrib["exceptionCode"] == "InvalidParameterValue"
    assert exc.attrib["locator"] == "TIME" and "layer 'x2020'" in r.text
    ok = served.get("/wmts", params=_get_tile(TIME="2021-06-01"))
    assert ok.status_code == 200 and "warning" not in ok.headers, ok.headers


def test_control_time_on_a_layer_of_one_map_is_ignored_with_a_warning(served: Any) -> None:
    """Control: ``TIME`` on a layer that declares no time dimension (``heat``, one map) is
    ignored with a Warning, as WMS 6.8.1 has it, in GetMap and GetTile alike."""
    r = served.get("/wms", params=_get_map(LAYERS="heat", TIME="2020-06-01"))
    assert r.status_code == 200 and "TIME ignored" in r.headers.get("warning", "")
    t = served.get("/wmts", params=_get_tile(LAYER="heat", TIME="2020-06-01"))
    assert t.status_code == 200 and "ignored" in t.headers.get("warning", "")


# -- 3. the dates of one variable given one title ------------------------------------------


@pytest.fixture(scope="module")
def titled(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Two dates of X given one ``title: NDVI`` (the second with a trailing space, as a
    copied line keeps it), and two layers of titles of their own."""
    root = tmp_path_factory.mktemp("round45titles")
    _cube(root / "cube.zarr", DATES)
    _config(root, "  - {name: x2020, title: NDVI, cube: cube.zarr, variable: X, "
                  "date: 2020-06-01, public: true}\n"
                  "  - {name: x2021, title: 'NDVI ', cube: cube.zarr, variable: X, "
                  "date: 2021-06-01, public: true}\n"
                  "  - {name: x2019, title: NDVI of 2019-06-01, cube: cube.zarr, "
                  "variable: X, date: 2019-06-01, public: true}\n"
                  "  - {name: green, title: Greenness in June, cube: cube.zarr, "
                  "variable: X, date: 2021-06-01, public: true}\n")
    with live_server(root / "serve.yaml") as live, live.client() as client:
        yield client


def test_dates_given_one_title_are_told_apart_by_their_dates(titled: Any) -> None:
    """Each date's layer given ``title: NDVI`` was listed as "NDVI" twice (``/layers``,
    the viewer's layer switcher and legends, both capabilities): which was which could be
    told nowhere. A title another layer has too is now followed by the layer's date."""
    titles = {la["name"]: la["title"] for la in titled.get("/layers").json()}
    assert titles["x2020"] == "NDVI (2020-06-01) (synthetic data)", titles
    assert titles["x2021"] == "NDVI (2021-06-01) (synthetic data)", titles
    viewer = _viewer_layers(titled)
    assert viewer["x2020"]["title"] == "NDVI (2020-06-01)", viewer["x2020"]
    caps = titled.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
    assert caps.text.count("<Title>NDVI (2021-06-01) (synthetic data)</Title>") == 1


def test_control_a_dates_title_of_its_own_is_kept(titled: Any) -> None:
    """Control: a title no other layer has is kept as written, whether or not it names
    the date (``NDVI of 2019-06-01``, ``Greenness in June``)."""
    titles = {la["name"]: la["title"] for la in titled.get("/layers").json()}
    assert titles["x2019"] == "NDVI of 2019-06-01 (synthetic data)", titles
    assert titles["green"] == "Greenness in June (synthetic data)", titles
