"""Tile delivery as partner agencies' clients and survey scientists meet it, round 35: CRSs
named by OGC URN or URI, legends of many classes or of long class names, ``/point`` asked
latitude first, with a CRS or with its coordinates under other names, tile URLs with
``?tms=``, attributions the viewer wrote as HTML, and the server's bind errors of IPv6
addresses and ports below 1024.

A live ``prospect serve`` (uvicorn on loopback, in this process) serves SYNTHETIC COGs in
EPSG:4326 over the Netherlands (5-6 E, 52-53 N): a west-to-east ramp, a unit map of 60
classes and one of 300 (``LAYER_TYPE=thematic``, as ERDAS Imagine writes one), and a
geology map of 40 units whose names are as long as a survey's legend writes them (a
``categories`` tag). httpx asks for maps, legends and points as OWSLib, QGIS, Leaflet
and hand-written URLs do; Chromium opens the viewer. Each non-control case failed before:
``CRS=urn:ogc:def:crs:EPSG::4326`` was refused as "not a CRS identifier", a legend of 60
classes lost its title and first and last rows off the image (of 300 also its "+N more"
line), ``/point?lat=5.5&lon=52.5`` said ``"inside": false`` without a word,
``crs=EPSG:28992`` was ignored, ``x=&y=`` was "missing query parameter 'lon'", a tile
URL's ``?tms=`` was ignored (a Web Mercator tile served for an RD New one), an
attribution's ``<...>`` was read as HTML by the viewer, and a bind error wrote
``::1:8080`` and blamed the address for a port below 1024. All data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image
from rasterio.transform import from_origin

from tests.robustness.conftest import assert_clean_error
from tiles.testing import live_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ORIGIN = (5.0, 53.0)  # 200 x 200 cells of 0.005 degrees: 5-6 E, 52-53 N
RANGES = {"hundreds": (0.0, 400.0), "million": (1_000_000.0, 1_000_400.0),
          "tiny": (-0.001, 0.001), "f64": (12_345_678.9, 12_355_678.9)}
"""Colour ranges of legends: grades of 0-400 ppm and the same span near a million, a
range about zero and one of values past float32's digits."""
LONG_NAME = "Granodiorite, foliated, with xenoliths of amphibolite"


def _cog(path: Path, values: np.ndarray, nodata: float, **tags: str) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype=values.dtype,
                       crs="EPSG:4326", transform=from_origin(*ORIGIN, 0.005, 0.005),
                       nodata=nodata, tiled=True) as ds:
        ds.write(values, 1)
        ds.update_tags(synthetic="true", **tags)
        if values.dtype.kind == "i":
            ds.update_tags(1, LAYER_TYPE="thematic")  # a class map


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``prospect serve`` of the ramp and the class maps (a live server on loopback)."""
    root = tmp_path_factory.mktemp("round35")
    _cog(root / "ramp.tif", np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)),
         float("nan"))
    cells = np.arange(200 * 200).reshape(200, 200)
    for count in (60, 300):
        _cog(root / f"units{count}.tif", (cells % count + 1).astype("i2"), -1)
    names = {str(code): f"{LONG_NAME} (unit {code})" for code in range(1, 41)}
    _cog(root / "geology.tif", (cells % 40 + 1).astype("i2"), -1,
         categories=json.dumps(names))
    rd = np.random.default_rng(35).random((200, 200)).astype("float32")
    with rasterio.open(root / "rd.tif", "w", driver="GTiff", width=200, height=200, count=1,
                       dtype="float32", crs="EPSG:28992", nodata=float("nan"), tiled=True,
                       transform=from_origin(155000.0, 461000.0, 10.0, 10.0)) as ds:
        ds.write(rd, 1)  # RD New, served in NetherlandsRDNewQuad besides Web Mercator
        ds.update_tags(synthetic="true")
    across = np.tile(np.linspace(0.25, 0.75, 200), (200, 1))  # within each range below
    for name, (lo, hi) in RANGES.items():
        _cog(root / f"{name}.tif", (lo + (hi - lo) * across).astype("float64"), float("nan"))
    layers = [
        *({"name": name, "cog": f"{name}.tif", "public": True, "title": "Grade",
           "units": "ppm", "vmin": lo, "vmax": hi} for name, (lo, hi) in RANGES.items()),
        {"name": "ramp", "cog": "ramp.tif", "public": True},
        {"name": "rd", "cog": "rd.tif", "public": True},
        {"name": "units60", "cog": "units60.tif", "public": True},
        {"name": "units300", "cog": "units300.tif", "public": True},
        {"name": "geology", "cog": "geology.tif", "public": True},
    ]
    config = root / "serve.yaml"
    config.write_text(yaml.safe_dump({"title": "Round 35 (synthetic)", "layers": layers}))
    with live_server(config) as live, live.client() as client:
        client.url = live.url  # the server's root URL, for Chromium
        client.root = root
        yield client


def _map(client: Any, crs: str, bbox: str, *, version: str = "1.3.0") -> Any:
    return client.get("/wms", params={
        "SERVICE": "WMS", "VERSION": version, "REQUEST": "GetMap", "LAYERS": "ramp",
        "STYLES": "", "CRS" if version == "1.3.0" else "SRS": crs, "BBOX": bbox,
        "WIDTH": "64", "HEIGHT": "64", "FORMAT": "image/png", "TRANSPARENT": "TRUE"})


def _opaque_share(png: bytes) -> float:
    alpha = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[..., 3]
    return float((alpha > 0).mean())


# -- CRSs named by OGC URN or HTTP URI -----------------------------------------------------

@pytest.mark.parametrize(
    ("crs", "bbox"),
    [
        ("urn:ogc:def:crs:EPSG::4326", "52.2,5.2,52.8,5.8"),  # OWSLib, ArcGIS: lat first
        ("urn:ogc:def:crs:EPSG:6.6:4326", "52.2,5.2,52.8,5.8"),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", "52.2,5.2,52.8,5.8"),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", "5.2,52.2,5.8,52.8"),  # CRS84: lon first
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "5.2,52.2,5.8,52.8"),
        ("urn:ogc:def:crs:EPSG::3857", "578877,6836280,645666,6945060"),
    ],
)
def test_a_crs_named_by_ogc_urn_or_uri_draws_the_map(served: Any, crs: str, bbox: str
                                                      ) -> None:
    """OGC clients (OWSLib, ArcGIS, OGC API tools) name a CRS by its URN or HTTP URI. Each
    was a 400 "is not a CRS identifier ... not as a PROJ string, WKT or URL" of the CRS
    the server offers. It is drawn now, its BBOX in the authority's axis order (EPSG:4326
    latitude first, CRS84 longitude first), so the map is the layer's, not a blank one."""
    r = _map(served, crs, bbox)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert _opaque_share(r.content) > 0.95


def test_a_urn_of_epsg_4326_is_read_latitude_first_as_epsg_4326(served: Any) -> None:
    """The URN of EPSG:4326 names the CRS with its authority's axis order, as EPSG:4326 in
    WMS 1.3.0: a BBOX written longitude first asks for another place, a blank map for
    both alike (the URN was refused)."""
    for crs in ("EPSG:4326", "urn:ogc:def:crs:EPSG::4326"):
        r = _map(served, crs, "5.2,52.2,5.8,52.8")
        assert r.status_code == 200, r.text
        assert _opaque_share(r.content) == 0.0


def test_a_urn_of_an_unknown_code_is_refused_as_unknown(served: Any) -> None:
    """A URN naming a code no registry has is refused as an unknown CRS (it was "not a CRS
    identifier", the URN's form blamed); the refusal lists what to use."""
    r = _map(served, "urn:ogc:def:crs:EPSG::999999", "52.2,5.2,52.8,5.8")
    assert r.status_code == 400, r.text
    assert 'exceptionCode="InvalidCRS"' in r.text or "InvalidCRS" in r.text, r.text
    assert "is not a known CRS" in r.text and "not a CRS identifier" not in r.text, r.text


# -- legends of many classes or of long names ---------------------------------------------

def _edges_drawn(png: bytes, band: int = 2) -> list[str]:
    """The edges of a legend image something opaque is drawn at (text, a swatch): a
    legend cut off by the image's edge. The legend's background is 85 % opaque."""
    alpha = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[..., 3]
    edges = {"top": alpha[:band], "bottom": alpha[-band:], "left": alpha[:, :band],
             "right": alpha[:, -band:]}
    return [name for name, strip in edges.items() if (strip > 230).any()]


@pytest.mark.parametrize("layer", ["units60", "units300", "geology"])
def test_a_legend_of_many_classes_or_long_names_fits_its_image(served: Any, layer: str
                                                               ) -> None:
    """A class legend was laid out with rows of 16 px where matplotlib draws 8 pt text in
    about 17, and columns of 140 px whatever the names' length, then drawn centred: a
    unit map of 60 classes lost its title and first and last rows off the image, one of
    300 also its "+N more" line, and a geology map's long names were cut at both sides.
    The legend is now fitted to its image (rows and columns measured; long names end in
    an ellipsis), so nothing is drawn at its edges."""
    r = served.get(f"/legend/{layer}.png")
    assert r.status_code == 200, r.text
    assert _edges_drawn(r.content) == []


def test_a_getlegendgraphic_of_many_classes_fits_the_size_asked(served: Any) -> None:
    """The same in a GetLegendGraphic of a size the client asks (QGIS's 400 x 600)."""
    r = served.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic",
        "LAYER": "units300", "FORMAT": "image/png", "WIDTH": "400", "HEIGHT": "600"})
    assert r.status_code == 200, r.text
    with Image.open(io.BytesIO(r.content)) as img:
        assert img.size == (400, 600)
    assert _edges_drawn(r.content) == []


def test_control_a_legend_of_a_few_classes_is_as_before(served: Any) -> None:
    """Control: a legend of a ramp keeps its size, and its edges stay clear."""
    r = served.get("/legend/ramp.png")
    with Image.open(io.BytesIO(r.content)) as img:
        assert img.size == (320, 84)
    assert _edges_drawn(r.content) == []


def test_a_legend_of_values_near_a_million_does_not_read_as_one_of_0_to_400(
        served: Any) -> None:
    """A legend of 1 000 000 to 1 000 400 ppm was labelled "0 100 200 300 400" with
    "+1e6" small in its corner (matplotlib's offset), its tick labels those of a legend
    of 0 to 400 pixel for pixel. Each tick is now labelled with its own value."""
    bands = []
    for name in ("hundreds", "million"):
        png = served.get(f"/legend/{name}.png").content
        rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
        assert rgba.shape[:2] == (84, 320)
        bands.append(rgba[47:64, :250])  # the tick labels under the bar, left of its corner
    assert not np.array_equal(bands[0], bands[1])


@pytest.mark.parametrize("layer", ["tiny", "f64"])
def test_a_legends_end_labels_lie_within_its_image(served: Any, layer: str) -> None:
    """The end labels of a colour bar were centred on its ends, 16 px from the image's
    edges: "−0.0010" and "1.2345679" (×1e7) were cut off at both sides. The bar is now
    narrowed to hold them."""
    r = served.get(f"/legend/{layer}.png")
    assert r.status_code == 200, r.text
    assert _edges_drawn(r.content) == []


# -- /point asked latitude first, with a CRS or with other names --------------------------

def test_a_point_given_latitude_first_says_lon_and_lat_look_swapped(served: Any) -> None:
    """``/point/ramp?lat=5.5&lon=52.5`` (a GPS's "52.5, 5.5" typed into lon=) said
    ``"value": null, "inside": false`` of a point the layer holds the other way round,
    without a word. The answer is unchanged (the point asked is outside) and now carries
    a ``hint`` naming the swap."""
    doc = served.get("/point/ramp?lon=52.5&lat=5.5").json()
    assert doc["inside"] is False and doc["value"] is None, doc
    assert "swapped" in doc["hint"] and "lon=5.5, lat=52.5 is inside" in doc["hint"], doc


def test_control_a_point_beyond_the_layer_has_no_hint(served: Any) -> None:
    """Control: a point outside the layer either way round has no hint, and a point in it
    its value."""
    doc = served.get("/point/ramp?lon=50&lat=50").json()
    assert doc["inside"] is False and "hint" not in doc, doc
    doc = served.get("/point/ramp?lon=5.5&lat=52.5").json()
    assert doc["inside"] is True and doc["value"] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize(
    ("query", "needles"),
    [
        ("lon=155000&lat=463000&crs=EPSG:28992",
         ["takes no CRS", "crs='EPSG:28992'", "gdaltransform -s_srs EPSG:28992"]),
        ("lon=5.5&lat=52.5&srs=EPSG:3035", ["takes no CRS", "srs='EPSG:3035'"]),
        ("x=5.5&y=52.5", ["lon= and lat=", "x='5.5'", "y='52.5'"]),
        ("lng=5.5&lat=52.5", ["lon= and lat=", "lng='5.5'"]),
        ("longitude=5.5&latitude=52.5", ["lon= and lat=", "longitude='5.5'"]),
        ("lat=52.5,5.5", ["lon= and lat= apart", "lat='52.5,5.5'", "?lon=5.5&lat=52.5"]),
        ("lon=5,5&lat=52,5", ["'lon'", "'5,5'", "decimal comma? write 5.5"]),
    ],
)
def test_a_point_given_in_another_crs_or_under_other_names_is_refused_naming_them(
        served: Any, query: str, needles: list[str]) -> None:
    """A ``crs=`` beside the point was ignored and its numbers read as degrees (RD New's
    metres "must be within -180.0..180.0", naming no CRS; ``srs=EPSG:3035`` of numbers
    that are also degrees answered the value of that place in WGS 84), and a point under
    Leaflet's or GeoJSON's names, or as one pair (``lat=52.5,5.5``, as map sites copy a
    point), was "missing query parameter 'lon'", and a decimal comma "must be a number".
    Each is now a 400 naming what was sent and what ``/point`` reads."""
    r = served.get(f"/point/ramp?{query}")
    assert r.status_code == 400, r.text
    message = r.json()["error"]
    for needle in needles:
        assert needle in message, message


@pytest.mark.parametrize("query", ["crs=EPSG:4326", "crs=urn:ogc:def:crs:OGC:1.3:CRS84",
                                   "_=1733412345678"])
def test_control_a_wgs84_crs_or_a_cache_buster_is_still_answered(served: Any, query: str
                                                                 ) -> None:
    """Control: a CRS that is WGS 84 (as /point reads) and a cache-busting parameter
    (jQuery's ``_=``) change nothing."""
    r = served.get(f"/point/ramp?lon=5.5&lat=52.5&{query}")
    assert r.status_code == 200, r.text
    assert r.json()["inside"] is True


# -- a tile matrix set asked as ?tms= of a tile URL -----------------------------------------

def test_a_tile_url_with_a_tms_query_is_refused_naming_the_path_form(served: Any) -> None:
    """``/tilejson/rd.json?tms=NetherlandsRDNewQuad`` chooses the national grid by query;
    a tile URL written the same way (``/tiles/rd/8/128/128.png?tms=...``) was answered
    with the Web Mercator tile of those numbers, 200: a blank tile, or another place's,
    in a grid the client took for RD New. It is now a 400 naming the URL to write."""
    doc = served.get("/tilejson/rd.json?tms=NetherlandsRDNewQuad").json()
    assert doc["tiles"][0].endswith("/tiles/rd/NetherlandsRDNewQuad/{z}/{x}/{y}.png"), doc
    z = doc["maxzoom"]
    right = served.get(f"/tiles/rd/NetherlandsRDNewQuad/{z}/128/128.png")
    assert right.status_code == 200 and _opaque_share(right.content) > 0.0
    r = served.get(f"/tiles/rd/{z}/128/128.png?tms=NetherlandsRDNewQuad")
    assert r.status_code == 400, (r.status_code, r.headers.get("content-type"))
    assert f"write /tiles/rd/NetherlandsRDNewQuad/{z}/128/128.png" in r.json()["error"]


def test_control_a_tms_query_naming_the_paths_own_set_is_served(served: Any) -> None:
    """Control: ``?tms=`` naming the set the path is in (Web Mercator for the plain
    form) changes nothing."""
    assert served.get("/tiles/ramp/8/131/84.png?tms=WebMercatorQuad").status_code == 200
    z = served.get("/tilejson/rd.json?tms=NetherlandsRDNewQuad").json()["maxzoom"]
    r = served.get(f"/tiles/rd/NetherlandsRDNewQuad/{z}/128/128.png?tms=NetherlandsRDNewQuad")
    assert r.status_code == 200


# -- the server's port: one in use on IPv6, one below 1024 ---------------------------------

def _one_layer_config(root: Path) -> Path:
    config = root / "serve.yaml"
    _cog(root / "ramp.tif", np.full((20, 20), 0.5, dtype="float32"), float("nan"))
    config.write_text(yaml.safe_dump({"layers": [
        {"name": "ramp", "cog": "ramp.tif", "public": True}]}))
    return config


def test_an_ipv6_address_in_use_is_written_in_brackets(tmp_path: Path, cli: Any) -> None:
    """``prospect serve --host ::1`` on a port in use said "cannot listen on ::1:8080": an
    address and port no one can tell apart (for ``::``, ":::8080"). It is written as a
    URL writes it now, ``[::1]:8080``."""
    import socket

    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    config = _one_layer_config(tmp_path)
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as taken:
        try:
            taken.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback on this machine")
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", config, "--host", "::1", "--port", str(port))
    assert_clean_error(result, 2, f"cannot listen on [::1]:{port}", "another server uses")


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_a_port_below_1024_says_it_needs_root(tmp_path: Path) -> None:
    """``prospect serve --port 80`` by a user (here: without CAP_NET_BIND_SERVICE, as a
    user's process is) was told "give an address of this machine with --host and a port
    you may use": the address was the machine's, and not a word that ports below 1024
    are root's. The refusal now says so and what to do."""
    from tests.robustness.conftest import PROSPECT, REPO, Outcome

    config = _one_layer_config(tmp_path)
    proc = subprocess.run(["setpriv", "--bounding-set=-net_bind_service", *PROSPECT, "serve",
                           str(config), "--port", "81"], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    if "setpriv:" in proc.stderr:
        pytest.skip(f"setpriv cannot drop the capability here: {proc.stderr.strip()}")
    line = assert_clean_error(Outcome(proc.returncode, proc.stdout, proc.stderr), 2,
                              "cannot listen on 127.0.0.1:81", "ports below 1024 need root",
                              "--port")
    assert "give an address of this machine" not in line, line


# -- the viewer's attributions ------------------------------------------------------------

ATTRIBUTION = ("Survey <https://example.org/survey> & partners"
               "<img src=x onerror=\"document.title='injected'\">")


@pytest.fixture(scope="module")
def viewer_dom(served: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The served viewer's page after its scripts ran (Chromium), its one layer
    attributed as :data:`ATTRIBUTION`."""
    assert CHROMIUM is not None
    root = served.root
    config = root / "viewer.yaml"
    config.write_text(yaml.safe_dump({"title": "Round 35 viewer (synthetic)", "layers": [
        {"name": "ramp", "cog": "ramp.tif", "public": True, "attribution": ATTRIBUTION}]}))
    profile = tmp_path_factory.mktemp("profile")
    with live_server(config) as live:
        return subprocess.run(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run",
             f"--user-data-dir={profile}", "--virtual-time-budget=5000",
             "--dump-dom", f"{live.url}/viewer/"],
            capture_output=True, text=True, timeout=120).stdout


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian package chromium)")
def test_the_viewer_shows_an_attribution_as_written(viewer_dom: str) -> None:
    """A layer's attribution is text in the config ("What TileJSON, WMTS, WMS ... the
    viewer ... say"), but Leaflet writes attributions as HTML: "Survey
    <https://example.org/survey> & partners" lost its address, read as a tag. The viewer
    now shows it as written."""
    assert 'data-active-layer="ramp"' in viewer_dom, viewer_dom[-2000:]
    assert "Survey &lt;https://example.org/survey&gt; &amp; partners" in viewer_dom, \
        viewer_dom[-3000:]


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian package chromium)")
def test_an_attribution_with_markup_does_not_run_in_the_viewer(viewer_dom: str) -> None:
    """An attribution holding ``<img onerror=...>`` ran its script in every viewer that
    showed the layer (partner agencies' browsers, their keys in the page's URL). It is
    text now: the page's title stays its own."""
    assert 'data-active-layer="ramp"' in viewer_dom, viewer_dom[-2000:]
    assert "<title>injected</title>" not in viewer_dom, viewer_dom[:500]
    assert "<title>Round 35 viewer (synthetic)" in viewer_dom, viewer_dom[:500]
