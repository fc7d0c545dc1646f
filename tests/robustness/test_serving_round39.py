"""Tile delivery as partner agencies' clients meet it, round 39: WMS 1.1.0 requests
refused, agency keys granted a layer written in another case (or misspelt, or ``all``)
refused naming no layer, GeoServer's WMTS TileMatrix identifiers (``EPSG:3857:8``)
refused though its set names were read, and a key sent where other servers read it
(``Authorization: Bearer``, ``?authkey=``, ``?token=``) answered as if none was sent.

A live ``prospect serve`` (uvicorn on loopback, in this process) serves a SYNTHETIC COG in
EPSG:4326 over the Netherlands (5-6 E, 52-53 N, a west-to-east ramp in ppm) as a public
layer and as a private one, with one SYNTHETIC agency key granted the private layer.
httpx asks as QGIS, OpenLayers, OWSLib, MapLibre and clients moved from GeoServer do.
``prospect serve --check`` runs in-process on serve configs beside the COG. Each
non-control case failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from tests.robustness.conftest import assert_clean_error, run_in_process
from tests.robustness.test_serving_round35 import _cog  # 200 x 200 cells, 5-6 E, 52-53 N
from tiles.auth import hash_key
from tiles.testing import live_server

KEY = "pk_" + "Synthetic0Round39Key_for-tests-only_0000000"
"""A SYNTHETIC agency key granted the private layer (46 characters)."""
MAP_111 = {"SERVICE": "WMS", "VERSION": "1.1.1", "REQUEST": "GetMap", "LAYERS": "ramp",
           "STYLES": "", "SRS": "EPSG:4326", "BBOX": "5.1,52.1,5.6,52.6", "WIDTH": "64",
           "HEIGHT": "64", "FORMAT": "image/png"}
"""A WMS 1.1.1 GetMap of 64 x 64 pixels over 5.1-5.6 E, 52.1-52.6 N (x/y order)."""
TILE = {"SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": "ramp",
        "STYLE": "default", "FORMAT": "image/png", "TILEMATRIXSET": "WebMercatorQuad",
        "TILEMATRIX": "8", "TILEROW": "84", "TILECOL": "131"}
"""WMTS KVP GetTile of the Web Mercator tile 8/131/84, over the ramp."""
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the SYNTHETIC ramp COG (``ramp.tif``)."""
    root = tmp_path_factory.mktemp("round39")
    _cog(root / "ramp.tif", np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)),
         float("nan"))
    return root


def _layers() -> list[dict[str, Any]]:
    return [{"name": "ramp", "cog": "ramp.tif", "public": True, "title": "Ramp",
             "units": "ppm"},
            {"name": "private", "cog": "ramp.tif", "title": "Private"}]


@pytest.fixture(scope="module")
def served(corpus: Path) -> Any:
    """``prospect serve`` of the ramp, public and private (a live server on loopback)."""
    keys = [{"agency": "Partner survey", "key_sha256": hash_key(KEY), "layers": ["private"]}]
    (corpus / "serve.yaml").write_text(yaml.safe_dump(
        {"title": "Round 39 (synthetic)", "layers": _layers(), "keys": keys},
        sort_keys=False))
    with live_server(corpus / "serve.yaml") as live, live.client() as client:
        yield client


# -- WMS 1.1.0, read as 1.1.1 ----------------------------------------------------------------

@pytest.mark.parametrize("request_", ["GetMap", "GetFeatureInfo"])
def test_a_wms_1_1_0_request_is_answered_as_1_1_1(served: Any, request_: str) -> None:
    """``VERSION=1.1.0`` (older MapServer and ArcGIS clients, uDig, URLs kept from 2001's
    servers) was refused "WMS VERSION '1.1.0' is not served", though 1.1.1 is its
    corrigendum with the same GetMap and GetFeatureInfo (SRS, x/y BBOX, X and Y), and
    GetCapabilities already answered a 1.1.0 client in 1.1.1. Now it is the 1.1.1 answer."""
    params = dict(MAP_111)
    if request_ == "GetFeatureInfo":
        params.update(REQUEST="GetFeatureInfo", QUERY_LAYERS="ramp", X="32", Y="32",
                      INFO_FORMAT="text/plain")
    answer = served.get("/wms", params={**params, "VERSION": "1.1.0"})
    assert answer.status_code == 200, answer.text[:300]
    same = served.get("/wms", params=params)
    assert same.status_code == 200
    assert answer.content == same.content
    if request_ == "GetMap":
        assert answer.content.startswith(PNG)
    else:
        assert "ramp" in answer.text and "ppm" in answer.text, answer.text


def test_a_wms_1_1_0_refusal_is_in_1_1_1s_exception_format(served: Any) -> None:
    """A 1.1.0 client reads 1.1.x ServiceExceptions (``application/vnd.ogc.se_xml``,
    no namespace); its request of an unknown layer was answered in 1.3.0's XML, and about
    its VERSION, not the layer. Now the 1.1.1 ``LayerNotDefined``."""
    answer = served.get("/wms", params={**MAP_111, "VERSION": "1.1.0", "LAYERS": "nope"})
    assert answer.status_code in (400, 404), answer.text[:300]
    assert answer.headers["content-type"].startswith("application/vnd.ogc.se_xml")
    assert '<ServiceExceptionReport version="1.1.1">' in answer.text, answer.text[:300]
    assert "LayerNotDefined" in answer.text and "'nope'" in answer.text, answer.text[:400]
    assert "VERSION" not in answer.text


def test_control_a_version_never_served_is_still_refused(served: Any) -> None:
    """Control: a version that is neither served nor read as one (1.2.0) is refused as
    before, naming the versions to give."""
    answer = served.get("/wms", params={**MAP_111, "VERSION": "1.2.0"})
    assert answer.status_code == 400
    assert "VERSION '1.2.0' is not served" in answer.text
    assert "VERSION=1.1.1" in answer.text


# -- agency keys granted layers the config spells otherwise ----------------------------------

def _serve_config(root: Path, name: str, grant: list[str], *, keys_file: bool = False) -> Path:
    keys = [{"agency": "Partner survey", "key_sha256": hash_key(KEY), "layers": grant}]
    config: dict[str, Any] = {"title": "Round 39 (synthetic)", "layers": _layers()}
    if keys_file:
        (root / f"{name}-keys.yaml").write_text(yaml.safe_dump({"keys": keys}))
        config["keys_file"] = f"{name}-keys.yaml"
    else:
        config["keys"] = keys
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.mark.parametrize(("grant", "says"), [
    (["Private"], "'Private' is layer 'private' written in another case"),
    (["PRIVATE", "ramp"], "'PRIVATE' is layer 'private' written in another case"),
    (["privat"], "'privat': did you mean 'private'?"),
    (["all"], "'all' is no layer's name; '*' grants every layer"),
    (["private ramp"], "'private ramp' is layers 'private', 'ramp' in one entry"),
])
def test_a_key_granted_a_layer_written_otherwise_names_the_layer(
        corpus: Path, grant: list[str], says: str) -> None:
    """An agency key granted ``layers: [Private]`` (the layer's title, or the name as a
    spreadsheet capitalised it) for the layer ``private`` was refused at start-up "agency
    'Partner survey' is granted unknown layers ['Private']; configured layers: [...]": the
    operator was left to find one letter among the layers listed. Now the layer meant is
    named, and ``all`` is told that ``'*'`` is every layer."""
    config = _serve_config(corpus, f"grant-{grant[0]}", grant)
    assert_clean_error(run_in_process("serve", config, "--check"), 2,
                       str(config), "'Partner survey'", "unknown layers", says,
                       "write each as a layer's name")


def test_a_keys_file_granting_a_layer_in_another_case_names_the_layer(corpus: Path) -> None:
    """The same grant in a ``keys_file`` (re-read on SIGHUP) named no layer either."""
    config = _serve_config(corpus, "keysfile", ["Private"], keys_file=True)
    assert_clean_error(run_in_process("serve", config, "--check"), 2,
                       "keysfile-keys.yaml", "'Private' is layer 'private' written in "
                       "another case")


def test_control_a_key_granted_a_layer_not_near_any_is_refused_as_before(
        corpus: Path) -> None:
    """Control: a grant near no layer is refused listing the layers, with no guess."""
    config = _serve_config(corpus, "grant-far", ["geochemistry"])
    line = assert_clean_error(run_in_process("serve", config, "--check"), 2,
                              "unknown layers ['geochemistry']", "configured layers")
    assert "did you mean" not in line and "written" not in line, line


@pytest.mark.parametrize("layers", ["private ramp", "private;ramp"])
def test_serve_key_refuses_layers_separated_otherwise_than_by_commas(layers: str) -> None:
    """``prospect serve-key 'Water Board' --layers "private ramp"`` printed a key (shown
    once) and a snippet granting the one layer ``"private ramp"``; the config holding it
    failed its reload, the agency's key reading nothing. Now refused before any key is
    made, with the comma-separated list to give."""
    result = run_in_process("serve-key", "Water Board", "--layers", layers)
    assert_clean_error(result, 2, f"--layers entry {layers!r} is no layer's name",
                       "separate layers with commas: --layers private,ramp")
    assert "pk_" not in result.out + result.err


def test_control_serve_key_reads_layers_separated_by_commas() -> None:
    """Control: ``--layers "private, ramp"`` grants the two layers, as before."""
    result = run_in_process("serve-key", "Water Board", "--layers", "private, ramp")
    assert result.code == 0, result.err
    assert 'layers: ["private", "ramp"]' in result.out, result.out


# -- GeoServer's WMTS TileMatrix identifiers --------------------------------------------------

@pytest.mark.parametrize(("matrix_set", "matrix"), [
    ("EPSG:3857", "EPSG:3857:8"),
    ("EPSG:900913", "EPSG:900913:8"),
    ("GoogleMapsCompatible", "GoogleMapsCompatible:8"),
    ("WebMercatorQuad", "EPSG:3857:8"),
])
def test_a_geoserver_tilematrix_identifier_gets_the_tile(
        served: Any, matrix_set: str, matrix: str) -> None:
    """GeoServer's WMTS (GeoWebCache) names each TileMatrix by its set's name and level
    (``EPSG:3857:8``); OpenLayers' and Leaflet's WMTS layers set up for GeoServer send
    those ``matrixIds``. Round 38 read GeoServer's set names (``TILEMATRIXSET=EPSG:3857``)
    as Web Mercator, but the matrix of the same request was refused, "TILEMATRIX ... must
    be non-negative integers": every tile of such a client was a 400. Now it is the tile."""
    answer = served.get("/wmts", params={**TILE, "TILEMATRIXSET": matrix_set,
                                         "TILEMATRIX": matrix})
    assert answer.status_code == 200, answer.text[:400]
    assert answer.content == served.get("/tiles/ramp/8/131/84.png").content


def test_a_geoserver_tilematrix_in_a_rest_url_gets_the_tile(served: Any) -> None:
    """The same identifier in a REST template (``.../EPSG:3857/EPSG:3857:8/84/131.png``)."""
    answer = served.get("/wmts/1.0.0/ramp/default/EPSG:3857/EPSG:3857:8/84/131.png")
    assert answer.status_code == 200, answer.text[:400]
    assert answer.content == served.get("/tiles/ramp/8/131/84.png").content


def test_control_a_tilematrix_of_another_set_is_still_refused(served: Any) -> None:
    """Control: a matrix named in another set (``EPSG:4326:8`` in Web Mercator) is no
    level of the set asked: refused as before, naming the value sent."""
    answer = served.get("/wmts", params={**TILE, "TILEMATRIXSET": "EPSG:3857",
                                         "TILEMATRIX": "EPSG:4326:8"})
    assert answer.status_code == 400
    assert "'EPSG:4326:8'" in answer.text and "zoom level" in answer.text, answer.text[:400]


# -- a key sent where other servers read it --------------------------------------------------

@pytest.mark.parametrize(("headers", "params", "where"), [
    ({"Authorization": f"Bearer {KEY}"}, {}, "header 'Authorization: Bearer ...'"),
    ({}, {"authkey": KEY}, "?authkey="),
    ({}, {"apikey": KEY}, "?apikey="),
    ({}, {"token": KEY}, "?token="),
    ({}, {"access_token": KEY}, "?access_token="),
])
def test_a_key_sent_where_other_servers_read_it_is_told_where_to_send_it(
        served: Any, headers: dict[str, str], params: dict[str, str], where: str) -> None:
    """A key sent as ``Authorization: Bearer`` (MapLibre's ``transformRequest``, QGIS's
    authentication headers, OAuth habits), GeoServer's ``?authkey=``, ArcGIS's
    ``?token=``, Mapbox's ``?access_token=`` was answered "layer 'private' needs an API
    key": the agency, whose key was right, read it as its key refused. Now the 401 says
    where the key went and that it is read from X-API-Key or ?key=; the key is never
    echoed. Still 401."""
    answer = served.get("/tiles/private/8/131/84.png", headers=headers, params=params)
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert f"the key sent in {where} is not read here" in error, error
    assert "'X-API-Key'" in error and "?key=" in error, error
    assert KEY not in error and KEY[3:20] not in error, error


def test_a_wms_map_with_a_bearer_key_is_told_where_to_send_it(served: Any) -> None:
    """The same in a WMS GetMap's ServiceException."""
    answer = served.get("/wms", params={**MAP_111, "LAYERS": "private"},
                        headers={"Authorization": f"Bearer {KEY}"})
    assert answer.status_code == 401
    assert "'Authorization: Bearer ...'" in answer.text, answer.text[:400]
    assert KEY not in answer.text


@pytest.mark.parametrize("url", ["/wms?SERVICE=WMS&REQUEST=GetCapabilities",
                                 "/wmts/1.0.0/WMTSCapabilities.xml", "/layers"])
def test_capabilities_asked_with_a_bearer_key_say_why_they_list_no_private_layer(
        served: Any, url: str) -> None:
    """WMS and WMTS capabilities and ``/layers`` asked with the key as ``Authorization:
    Bearer`` (a QGIS connection set up with an authentication header) listed the public
    layers alone, without a word: the agency saw none of its layers and no refusal. Now
    a ``Warning`` says which layers are listed and where to send the key, and the answer
    is not stored by shared caches (``private``). The key is never echoed."""
    answer = served.get(url, headers={"Authorization": f"Bearer {KEY}"})
    assert answer.status_code == 200
    assert "<Name>private</Name>" not in answer.text and '"private"' not in answer.text
    warning = answer.headers.get("warning", "")
    assert warning.startswith("299 prospect"), answer.headers
    assert "only layers needing no key are listed" in warning, warning
    assert "'Authorization: Bearer ...'" in warning and "'X-API-Key'" in warning, warning
    assert KEY not in warning
    assert answer.headers["cache-control"].startswith("private"), answer.headers


def test_control_capabilities_without_any_key_carry_no_warning(served: Any) -> None:
    """Control: capabilities asked with no key anywhere: no Warning, shared as before."""
    answer = served.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
    assert answer.status_code == 200 and "warning" not in answer.headers
    assert answer.headers["cache-control"].startswith("public")


def test_control_a_key_pasted_alone_in_authorization_is_never_echoed(served: Any) -> None:
    """Control: a key pasted alone as the Authorization header (no scheme word) is named
    as that header, never shown (its first word is the key)."""
    answer = served.get("/tiles/private/8/131/84.png", headers={"Authorization": KEY})
    assert answer.status_code == 401
    assert KEY not in answer.text and "pk_" not in answer.text, answer.text


def test_control_a_request_without_any_key_is_told_as_before(served: Any) -> None:
    """Control: no key anywhere: the 401 as before, with no word of another place."""
    answer = served.get("/tiles/private/8/131/84.png")
    assert answer.status_code == 401
    assert answer.json()["error"] == ("layer 'private' needs an API key: send header "
                                      "'X-API-Key' or ?key=")


def test_control_the_key_in_x_api_key_reads_the_layer(served: Any) -> None:
    """Control: the key where it is read reads the layer, a Bearer header beside it
    changing nothing."""
    answer = served.get("/tiles/private/8/131/84.png",
                        headers={"X-API-Key": KEY, "Authorization": "Bearer other"})
    assert answer.status_code == 200 and answer.content.startswith(PNG)
