"""Delivery, round 65: the tile server's shutdown left its layers' files open (round 64
left it), a GetFeatureInfo whose ``QUERY_LAYERS`` named a layer by its title was refused
without naming the layer, a WMTS GetTile of ``TILEROW=-1`` was not WMTS's
``TileOutOfRange``, and the TileJSON's and capabilities' bounds carried float noise
(``51.99999999999999`` for 52).

A partner agency's GIS staff ask GetFeatureInfo from QGIS's identify tool (its
``QUERY_LAYERS`` as they typed the layer), GetTile from a client's own tile arithmetic,
and read the bounds of the TileJSON and capabilities into their own documents; an
operator embeds the server in a notebook or a test and stops it. The server is the app of
a serve config in process (Starlette's ``TestClient``: no socket is needed), over round
44's SYNTHETIC zarr v3 cube (``heat``, ``X`` over three dates) and the SYNTHETIC COG of
:func:`tiles.testing.make_tile_fixture` (Bonaire, UTM 19N). All data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from starlette.testclient import TestClient

from prospect.config.tiles import load_serve_config
from tests.robustness.test_isolation_round64 import _open_on
from tests.robustness.test_serving_round44 import DATES, _cube
from tiles.server import create_app
from tiles.source import WEB_MERCATOR, cog_source
from tiles.testing import make_tile_fixture

T = WEB_MERCATOR.tile(5.5, 52.5, 8)
B = WEB_MERCATOR.tile(-68.37, 12.15, 12)
"""A tile of the Bonaire COG (``prob``)."""
LAYERS = ("layers:\n"
          "  - {name: heat, title: Heat flow, cube: cube.zarr, variable: heat, public: true}\n"
          "  - {name: series, title: Series, cube: cube.zarr, variable: X, dates: all,"
          " public: true}\n"
          "  - {name: prob, title: Probability, cog: probability.tif, public: true}\n"
          "  - {name: hidden, title: Secret map, cube: cube.zarr, variable: heat}\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC cube and COG and the serve config ``site.yaml`` of four layers."""
    root = tmp_path_factory.mktemp("round65")
    make_tile_fixture(root)
    _cube(root / "cube.zarr", DATES)
    (root / "site.yaml").write_text(f"title: Round 65 (synthetic)\n{LAYERS}")
    return root


@pytest.fixture(scope="module")
def client(site: Path) -> Iterator[TestClient]:
    cfg = site / "site.yaml"
    with TestClient(create_app(load_serve_config(cfg), config_path=cfg)) as c:
        yield c


def _error(r: Any) -> str:
    if "xml" in r.headers["content-type"]:
        return "".join(ElementTree.fromstring(r.content).itertext()).strip()
    return str(r.json()["error"])


# -- 1. the server's shutdown closes its layers' files ----------------------------------------


def _reading_thread(source: Any, started: threading.Event, go_on: threading.Event,
                    out: dict[str, Any]) -> threading.Thread:
    """A thread (a request's, still alive) that reads ``source`` once, then holds its
    reader open for one more read until ``go_on`` is set."""
    def run() -> None:
        try:
            with source.reader() as rdr:
                out["first"] = rdr.tile(B.x, B.y, B.z).data.shape
                started.set()
                go_on.wait(10)
                out["second"] = rdr.tile(B.x, B.y, B.z).data.shape
        except Exception as exc:  # what the request would have met
            out["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            started.set()
            out["open_after"] = len(_open_on(source.path))
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_the_servers_shutdown_closes_its_layers_files(site: Path) -> None:
    """A tile server stopped (its lifespan's end, ``TileService.close``) left the COG of
    each layer open in every thread that had served it: a server embedded in a notebook,
    a test or another program held the files after it stopped. Now its shutdown closes
    every layer's (and every date's) readers and handles."""
    cfg = site / "site.yaml"
    cog = site / "probability.tif"
    app = create_app(load_serve_config(cfg), config_path=cfg)
    source = app.state.service.layers["prob"].source
    box = WEB_MERCATOR.xy_bounds(B)
    done, idle = threading.Event(), threading.Event()
    # a request thread of the server's pool, alive and idle after its read
    t = threading.Thread(target=lambda: (source.read_mercator(box, width=256, height=256),
                                         done.set(), idle.wait(10)))
    try:
        with TestClient(app) as c:
            assert c.get(f"/tiles/prob/{B.z}/{B.x}/{B.y}.png").status_code == 200
            t.start()
            assert done.wait(10)
            assert _open_on(cog), "the request's thread holds no handle on the COG"
        assert _open_on(cog) == [], "the server stopped with the layer's COG open"
    finally:
        idle.set()
        if t.is_alive():
            t.join()


def test_a_read_under_way_at_shutdown_is_finished_then_closed(site: Path) -> None:
    """The shutdown came while a request (its client gone, its thread not done) was still
    reading: closing its handles under it failed the read. Now that read finishes on its
    handles, which its thread closes as the read ends; the server's other handles are
    closed at once."""
    cfg = site / "site.yaml"
    cog = site / "probability.tif"
    app = create_app(load_serve_config(cfg), config_path=cfg)
    svc = app.state.service
    source = svc.layers["prob"].source
    started, go_on = threading.Event(), threading.Event()
    out: dict[str, Any] = {}
    t = _reading_thread(source, started, go_on, out)
    try:
        assert started.wait(10)
        svc.close()  # the lifespan's end, while the request still reads
        assert _open_on(cog), "the read under way lost its file"
    finally:
        go_on.set()
        t.join(10)
    assert "error" not in out, out
    assert out["second"] == out["first"] == (1, 256, 256)
    assert out["open_after"] == 0, out
    assert _open_on(cog) == []


def test_control_a_closed_server_source_reads_again(site: Path) -> None:
    """control: a layer's source closed with its server opens its file again when read
    (another server of the same layers in the same process), with the same values."""
    cfg = site / "site.yaml"
    app = create_app(load_serve_config(cfg), config_path=cfg)
    with TestClient(app) as c:
        first = c.get(f"/tiles/heat/8/{T.x}/{T.y}.png").content
    source = app.state.service.layers["prob"].source
    bounds = source.lonlat_bounds
    app.state.service.close()
    with source.reader() as rdr:
        assert rdr.tile(B.x, B.y, B.z).data.shape == (1, 256, 256)
    assert source.lonlat_bounds == bounds
    source.close()
    app2 = create_app(load_serve_config(cfg), config_path=cfg)
    with TestClient(app2) as c:
        assert c.get(f"/tiles/heat/8/{T.x}/{T.y}.png").content == first


# -- 2. GetFeatureInfo's QUERY_LAYERS by its title --------------------------------------------

WMS = ("/wms?SERVICE=WMS&VERSION=1.3.0&CRS=EPSG:3857&BBOX=556597,6887893,634869,6966165"
       "&WIDTH=256&HEIGHT=256&STYLES=&FORMAT=image/png&REQUEST=GetFeatureInfo"
       "&INFO_FORMAT=text/plain&I=128&J=128&LAYERS=heat&QUERY_LAYERS=")
TAIL = ", which is not among LAYERS; a feature can be asked only of a layer of the map"


def _meant(title: str, name: str = "heat") -> str:
    return (f" (did you mean {name!r}? {title!r} is that layer's title; a request names a "
            "layer by its name)")


QUERY = {
    "its title": ("Heat%20flow", f"QUERY_LAYERS names 'Heat flow'{_meant('Heat flow')}{TAIL}"),
    "its title shown, another case": (
        "heat%20FLOW%20(synthetic%20data)",
        "QUERY_LAYERS names 'heat FLOW (synthetic data)'"
        f"{_meant('heat FLOW (synthetic data)')}{TAIL}"),
    "its name in capitals": (
        "HEAT", f"QUERY_LAYERS names 'HEAT' (did you mean 'heat'? names are compared with "
                f"case){TAIL}"),
    "a GeoServer workspace prefix": (
        "prospect:heat", "QUERY_LAYERS names 'prospect:heat' (did you mean 'heat'? a layer's "
                         "name is written alone, without a workspace prefix, file extension "
                         f"or spaces){TAIL}"),
}


@pytest.mark.parametrize("case", list(QUERY))
def test_query_layers_by_title_names_the_layer(client: TestClient, case: str) -> None:
    """``LAYERS=heat&QUERY_LAYERS=Heat flow`` (QGIS's identify with the layer as listed)
    was refused "QUERY_LAYERS names 'Heat flow', which is not among LAYERS" without
    naming the layer meant (round 64 left it). Now it names it, as LAYERS' refusal does."""
    sent, words = QUERY[case]
    r = client.get(WMS + sent)
    assert r.status_code == 400, r.text
    root = ElementTree.fromstring(r.content)
    exc = root.find("{http://www.opengis.net/ogc}ServiceException")
    assert exc is not None and exc.get("code") == "LayerNotQueryable", r.text
    assert _error(r) == words


def test_control_query_layers_of_no_layer_is_refused_as_before(client: TestClient) -> None:
    """control: a name no layer has nor any title, and a private layer's title, are
    refused in the same words as before (the private layer named by neither)."""
    for sent, name in (("nope", "nope"), ("Secret%20map", "Secret map")):
        r = client.get(WMS + sent)
        assert (r.status_code, _error(r)) == (400, f"QUERY_LAYERS names {name!r}{TAIL}")
    r = client.get(WMS + "heat")
    assert (r.status_code, r.text.strip()) == (200, "heat (synthetic data) = 1.0")


# -- 3. WMTS GetTile below the matrix's first row or column ----------------------------------

WMTS = ("/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=heat&STYLE=default"
        "&FORMAT=image/png&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=8")
BELOW = {
    "KVP TILEROW=-1": (f"{WMTS}&TILEROW=-1&TILECOL={T.x}", "TILEROW",
                       f"tile TileMatrix=8 TileRow=-1 TileCol={T.x} does not exist"),
    "KVP TILECOL=-3": (f"{WMTS}&TILEROW={T.y}&TILECOL=-3", "TILECOL",
                       f"tile TileMatrix=8 TileRow={T.y} TileCol=-3 does not exist"),
    "REST row -1": (f"/wmts/1.0.0/heat/default/WebMercatorQuad/8/-1/{T.x}.png", "TILEROW",
                    f"tile TileMatrix=8 TileRow=-1 TileCol={T.x} does not exist"),
    "REST column -1": (f"/wmts/1.0.0/heat/default/WebMercatorQuad/8/{T.y}/-1.png", "TILECOL",
                       f"tile TileMatrix=8 TileRow={T.y} TileCol=-1 does not exist"),
}


@pytest.mark.parametrize("case", list(BELOW))
def test_a_tile_below_the_matrix_is_tile_out_of_range(client: TestClient, case: str) -> None:
    """``TILEROW=-1`` was an ``InvalidParameterValue`` "TILEMATRIX, TILEROW and TILECOL
    must be non-negative integers" (and ``/8/-1/131.png`` of the REST binding "WMTS tile
    URLs are ..."), where WMTS 1.0.0 (07-057r7, table 28) says a TileRow or TileCol out of
    range is ``TileOutOfRange``, as one past the matrix's end already was."""
    url, locator, head = BELOW[case]
    r = client.get(url)
    assert r.status_code == 400, r.text
    exc = ElementTree.fromstring(r.content).find("{http://www.opengis.net/ows/1.1}Exception")
    assert exc is not None
    assert (exc.get("exceptionCode"), exc.get("locator")) == ("TileOutOfRange", locator)
    assert _error(r) == f"{head}: in TileMatrix 8, TileCol is 0..255 and TileRow 0..255"


def test_control_wmts_tile_indices_as_before(client: TestClient) -> None:
    """control: a row that is no integer is refused as before, one past the end is
    TileOutOfRange as before, and the tile itself is served."""
    r = client.get(f"{WMTS}&TILEROW=x&TILECOL={T.x}")
    assert r.status_code == 400 and "must be non-negative integers" in _error(r)
    assert b'exceptionCode="InvalidParameterValue"' in r.content
    r = client.get(f"{WMTS}&TILEROW=256&TILECOL={T.x}")
    assert r.status_code == 400 and b'exceptionCode="TileOutOfRange"' in r.content
    assert client.get(f"{WMTS}&TILEROW={T.y}&TILECOL={T.x}").status_code == 200
    r = client.get(f"/tiles/heat/8/-1/{T.y}.png")  # XYZ: not WMTS's words
    assert r.status_code == 400 and "TileOutOfRange" not in r.text


# -- 4. bounds without float noise -------------------------------------------------------------


def test_the_bounds_a_partner_reads_carry_no_float_noise(client: TestClient) -> None:
    """The cube's cells are 0.01 degree from 5 to 6 E and 52 to 53 N; its south edge, from
    its coordinates (``52.995 - 0.01 * arange(100)``, half a cell), is 1 ulp short of 52:
    the TileJSON said ``"bounds": [5.0, 51.99999999999999, 6.0, 53.0]``, the WMS
    capabilities ``southBoundLatitude`` 51.99999999999999, the WMTS ``LowerCorner`` "5.0
    51.99999999999999". Now they say 52.0, as the data are."""
    doc = client.get("/tilejson/heat.json").json()
    assert doc["bounds"] == [5.0, 52.0, 6.0, 53.0]
    assert doc["center"] == [5.5, 52.5, 7]
    wms = client.get("/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0").text
    assert "51.99999999999999" not in wms
    assert "<southBoundLatitude>52.0</southBoundLatitude>" in wms
    wmts = client.get("/wmts/1.0.0/WMTSCapabilities.xml").text
    assert "51.99999999999999" not in wmts
    assert "<ows:LowerCorner>5.0 52.0</ows:LowerCorner>" in wmts


def test_control_a_reprojected_extents_bounds_as_before(client: TestClient,
                                                        site: Path) -> None:
    """control: a layer in UTM (Bonaire's COG) keeps its reprojected bounds in full, as
    computed: they are no short decimal."""
    with cog_source(site / "probability.tif") as source:
        bounds = source.lonlat_bounds
    doc = json.loads(client.get("/tilejson/prob.json").content)
    assert doc["bounds"] == list(bounds)
    assert all(len(repr(v)) > 12 for v in bounds), bounds
