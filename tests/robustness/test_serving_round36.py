"""Tile delivery as partner agencies' clients and survey scientists meet it, round 36:
legend titles wider than the legend, legends asked smaller than 320 x 84, legend sizes
given in ``/legend`` URLs, TileJSON attributions that map libraries read as HTML and
TileJSON tile URLs they cannot load, GetFeatureInfo's text and HTML answers without units,
BBOXes ending in their CRS, access logs and keys files naming files the server reads, and
``/point`` given degrees as a map writes them.

A live ``prospect serve`` (uvicorn on loopback, in this process) serves SYNTHETIC COGs in
EPSG:4326 over the Netherlands (5-6 E, 52-53 N): a west-to-east ramp titled as a survey
titles a kriged surface, one titled "Grade" in ppm, and a unit map of 6 classes under a
long title. The tiles stage is run on a SYNTHETIC COG in RD New with both archives.
httpx asks as OWSLib, QGIS, Leaflet and hand-written URLs do; ``prospect serve --check``
is run in-process. Each non-control case failed before: a long title was cut off at
both sides of the legend (its "(synthetic data)" lost), a 100 x 40 GetLegendGraphic lost
its title's top and its labels' bottom, ``/legend/ramp.png?width=100&height=40``
answered 320 x 84, TileJSON's attribution carried ``<...>`` that MapLibre drops or runs,
the stage's relative TileJSON URLs were said nowhere, text/plain and text/html
GetFeatureInfo gave a grade without its unit, ``BBOX=...,EPSG:4326`` was "not four
numbers", an access log naming the served COG was appended to, ``keys_file`` naming the
config itself read as "unknown key 'keys_file'", and ``lon=5°30'E`` was "must be a
number" without what to write. All data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image
from rasterio.transform import from_origin

from tests.robustness.test_serving_round35 import _cog  # 200 x 200 cells
from tiles.testing import live_server

LONG_TITLE = "Lithium brine concentration, ordinary kriging of wells"
"""A kriged surface's title as a survey writes it: with "(synthetic data)" and the units
it is wider than the default 320-pixel legend."""
CLASS_TITLE = "Lithostratigraphic units of the Precambrian basement"
ATTRIBUTION = ("Survey <https://example.org/survey> & partners"
               "<img src=x onerror=\"alert(1)\">")
ESCAPED = ("Survey &lt;https://example.org/survey&gt; &amp; partners"
           "&lt;img src=x onerror=\"alert(1)\"&gt;")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``prospect serve`` of the ramps and the unit map (a live server on loopback)."""
    root = tmp_path_factory.mktemp("round36")
    ramp = np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1))
    _cog(root / "ramp.tif", ramp, float("nan"))
    _cog(root / "grade.tif", ramp * 400, float("nan"))
    cells = np.arange(200 * 200).reshape(200, 200)
    _cog(root / "units.tif", (cells % 6 + 1).astype("i2"), -1)
    layers = [
        {"name": "brine", "cog": "ramp.tif", "public": True, "title": LONG_TITLE,
         "units": "mg/L", "attribution": ATTRIBUTION},
        {"name": "ramp", "cog": "ramp.tif", "public": True},
        {"name": "grade", "cog": "grade.tif", "public": True, "title": "Grade",
         "units": "ppm", "vmin": 0, "vmax": 400},
        {"name": "units", "cog": "units.tif", "public": True, "title": CLASS_TITLE},
        {"name": "few", "cog": "units.tif", "public": True, "title": "Units"},
    ]
    config = root / "serve.yaml"
    config.write_text(yaml.safe_dump({"title": "Round 36 (synthetic)", "layers": layers}))
    with live_server(config) as live, live.client() as client:
        yield client


def _stage(out: Path, **tiles: Any) -> Path:
    """The tiles stage on a SYNTHETIC RD New COG titled :data:`LONG_TITLE` and attributed
    :data:`ATTRIBUTION` (``tiles``: more of the job's ``tiles:``); its output folder, with
    the stage's notes in ``notes.json``."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig
    from prospect.grid import RegionGrid

    (out / "score").mkdir(parents=True)
    with rasterio.open(out / "score" / "brine.tif", "w", driver="GTiff", width=200,
                       height=200, count=1, dtype="float32", crs="EPSG:28992",
                       transform=from_origin(155000.0, 461000.0, 10.0, 10.0),
                       nodata=float("nan"), tiled=True) as ds:
        ds.write(np.random.default_rng(36).random((200, 200), dtype="f4"), 1)
        ds.update_tags(synthetic="true")
    grid = RegionGrid(crs="EPSG:28992", resolution=10.0,
                      bounds=(155000.0, 459000.0, 157000.0, 461000.0), chunks=(100, 100),
                      name="r36")
    job = JobConfig.model_validate({
        "name": "round36", "synthetic": True, "region": "netherlands",
        "tiles": {"min_zoom": 10, "max_zoom": 14, "archive_formats": ["pmtiles", "mbtiles"],
                  "layers": [{"variable": "brine", "title": LONG_TITLE, "units": "mg/L",
                              "attribution": ATTRIBUTION}], **tiles}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(RunContext(job=job, out_dir=out, grid=grid))
    (out / "notes.json").write_text(json.dumps(result.notes))
    return out


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiles stage (:func:`_stage`) with PMTiles and MBTiles archives."""
    return _stage(tmp_path_factory.mktemp("round36stage") / "out")


def _ink(png: bytes) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """The image's (width, height) and the box (left, right, top, bottom) of its dark
    pixels: text, tick marks and the bar's frame."""
    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(int)
    dark = (rgba[..., :3].sum(axis=-1) < 300) & (rgba[..., 3] > 0)
    ys, xs = np.nonzero(dark)
    assert len(xs), "a legend without text"
    return (rgba.shape[1], rgba.shape[0]), (int(xs.min()), int(xs.max()), int(ys.min()),
                                            int(ys.max()))


def _inside(png: bytes, margin: int = 1) -> None:
    """Nothing of the legend touches its image's edges (text cut off shows there)."""
    (width, height), (left, right, top, bottom) = _ink(png)
    assert left >= margin and right <= width - 1 - margin, (width, left, right)
    assert top >= margin and bottom <= height - 1 - margin, (height, top, bottom)


def _legend_graphic(client: Any, layer: str, **size: int) -> Any:
    return client.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic", "LAYER": layer,
        "FORMAT": "image/png", **{k.upper(): str(v) for k, v in size.items()}})


# -- legend titles wider than the legend ---------------------------------------------------

def test_a_legend_title_wider_than_the_legend_is_wrapped_within_it(served: Any) -> None:
    """A layer titled "Lithium brine concentration, ordinary kriging of wells" in mg/L:
    its legend's title ("... (synthetic data) (mg/L)") is wider than the 320-pixel legend,
    and was drawn centred, cut off at both sides ("ine concentration, ... (synth"): the
    words saying the data are synthetic lost. It is wrapped within the image now, in the
    server's legend and GetLegendGraphic alike."""
    for r in (served.get("/legend/brine.png"), _legend_graphic(served, "brine")):
        assert r.status_code == 200, r.text
        _inside(r.content, margin=2)


def test_the_stages_legend_of_a_long_title_is_wrapped_within_it(staged: Path) -> None:
    """The tiles stage's ``legend.png`` of the same title: cut off at both sides, now
    wrapped within the image."""
    _inside((staged / "tiles" / "brine" / "legend.png").read_bytes(), margin=2)


def test_a_class_legend_title_wider_than_the_legend_is_wrapped(served: Any) -> None:
    """A unit map of 6 classes titled "Lithostratigraphic units of the Precambrian
    basement": its title was cut off at both sides, and, the legend drawn one column wide
    to hold it, only 2 of the 6 units were named ("+4 more (HEIGHT=148)"). The title is
    wrapped now, the classes in two columns, and the legend (as tall as its LegendURL
    says) names every unit."""
    caps = served.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"}).text
    legend_url = re.search(r'<Layer queryable="1"[^>]*>\s*<Name>units</Name>.*?'
                           r'<LegendURL width="(\d+)" height="(\d+)"', caps, re.S)
    assert legend_url is not None, caps[:2000]
    r = served.get("/legend/units.png")
    assert r.status_code == 200, r.text
    (width, height), _ = _ink(r.content)
    assert (width, height) == (int(legend_url[1]), int(legend_url[2]))
    _inside(r.content, margin=2)
    pixels = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB")).reshape(-1, 3)
    # the six swatches (viridis at codes 1..6): colours far from grey, each filling a box
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    grey = np.ptp(colours.astype(int), axis=1) < 40
    assert int(((counts >= 60) & ~grey).sum()) == 6, colours[(counts >= 60) & ~grey]


# -- legends asked smaller than 320 x 84 ---------------------------------------------------

@pytest.mark.parametrize(("width", "height"), [(100, 40), (160, 60), (320, 40)])
def test_a_small_getlegendgraphic_keeps_its_title_and_labels_inside(
        served: Any, width: int, height: int) -> None:
    """GetLegendGraphic at ``WIDTH=100&HEIGHT=40`` (a client's legend box): the bar was
    placed at fixed fractions of the height, so the title's top and the tick labels'
    bottom fell off the image (round 35's "found and left"). Title, bar and labels are
    laid out by their measured sizes now, smaller where the room asks."""
    r = _legend_graphic(served, "grade", width=width, height=height)
    assert r.status_code == 200, r.text
    (size, _) = _ink(r.content)
    assert size == (width, height)
    _inside(r.content)


def test_a_small_class_legend_keeps_its_lines_inside(served: Any) -> None:
    """A unit map's GetLegendGraphic at 100 x 40: its title and the "+6 more
    (HEIGHT=148)" line ran off the top, bottom and right. What is drawn lies within."""
    r = _legend_graphic(served, "few", width=100, height=40)
    assert r.status_code == 200, r.text
    _inside(r.content, margin=0)
    (_, _), (_, right, top, bottom) = _ink(r.content)
    assert top > 0 and bottom < 39 and right < 99, (right, top, bottom)


def test_control_the_default_legend_is_drawn_as_before(served: Any) -> None:
    """Control: a legend whose one-line title fits (320 x 84) is laid out as before."""
    r = served.get("/legend/ramp.png")
    assert _ink(r.content) == ((320, 84), (4, 315, 6, 63))


# -- a legend's size in its URL ------------------------------------------------------------

def test_a_legend_url_with_a_size_is_drawn_that_size(served: Any) -> None:
    """``/legend/ramp.png?width=100&height=40`` (a page sizing its legend box) answered
    the 320 x 84 legend, the size ignored without a word. It is drawn at the size asked
    now (names in any case, as GetLegendGraphic's), and a size that is no size is
    refused naming it."""
    for query, size in (("width=100&height=40", (100, 40)), ("WIDTH=160", (160, 84))):
        r = served.get(f"/legend/ramp.png?{query}")
        assert r.status_code == 200, r.text
        assert Image.open(io.BytesIO(r.content)).size == size, query
    r = served.get("/legend/ramp.png?width=abc")
    assert r.status_code == 400
    message = r.json()["error"]
    assert "WIDTH" in message and "'abc'" in message and "1..2048" in message, message


# -- attributions that TileJSON's readers take as HTML -------------------------------------

def test_a_tilejson_attribution_is_escaped_for_readers_of_html(served: Any,
                                                                staged: Path) -> None:
    """TileJSON 3.0.0 lets readers take ``attribution`` as HTML (MapLibre, Leaflet and
    OpenLayers do) and asks its writer to make sure it cannot be abused for XSS. The
    config's "Survey <https://example.org/survey> & partners<img onerror=...>" went out
    as is: the address was dropped as a tag, and the ``<img>`` ran its script in a
    partner's web map. It is escaped now, in the served TileJSON, the stage's
    ``tilejson.json`` and the PMTiles archive's metadata (the same document)."""
    assert served.get("/tilejson/brine.json").json()["attribution"] == ESCAPED
    doc = json.loads((staged / "tiles" / "brine" / "tilejson.json").read_text())
    assert doc["attribution"] == ESCAPED
    from pmtiles.reader import MmapSource, Reader

    with open(staged / "tiles" / "brine.pmtiles", "rb") as f:
        assert Reader(MmapSource(f)).metadata()["attribution"] == ESCAPED


def test_control_the_mbtiles_attribution_is_the_configs_text(staged: Path) -> None:
    """Control: the MBTiles archive (for desktop GIS: GDAL, QGIS, which show metadata as
    text) keeps the config's attribution as written."""
    db = sqlite3.connect(staged / "tiles" / "brine.mbtiles")
    try:
        (value,) = db.execute("SELECT value FROM metadata WHERE name = 'attribution'").fetchone()
    finally:
        db.close()
    assert value == ATTRIBUTION


# -- TileJSON documents of relative URLs ---------------------------------------------------

def test_the_stage_says_its_tilejson_urls_are_relative(staged: Path) -> None:
    """Without ``tiles.public_url`` the stage's ``tilejson.json`` gives ``{z}/{x}/{y}.png``,
    which TileJSON 3.0.0 forbids (its URLs "MUST be absolute"): MapLibre given the
    document's URL fails every tile ("Failed to construct 'Request'"), and a partner who
    published ``tiles/`` saw an empty map without a word from the stage. The stage says
    so now, naming ``tiles.public_url``."""
    doc = json.loads((staged / "tiles" / "brine" / "tilejson.json").read_text())
    assert doc["tiles"] == ["{z}/{x}/{y}.png"]
    notes = [n for n in json.loads((staged / "notes.json").read_text()) if "relative" in n]
    assert len(notes) == 1 and "tiles.public_url" in notes[0], notes
    assert "MapLibre" in notes[0] and "tilejson.json" in notes[0], notes


def test_control_a_stage_with_a_public_url_says_nothing_of_it(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Control: with ``tiles.public_url`` the URLs are absolute and nothing is said."""
    out = _stage(tmp_path_factory.mktemp("round36public") / "out", archive=False,
                 public_url="https://maps.example.org/prospect/tiles")
    doc = json.loads((out / "tiles" / "brine" / "tilejson.json").read_text())
    assert doc["tiles"] == ["https://maps.example.org/prospect/tiles/brine/{z}/{x}/{y}.png"]
    assert not any("relative" in n for n in json.loads((out / "notes.json").read_text()))


# -- /point given degrees as a map writes them --------------------------------------------

@pytest.mark.parametrize(("lon", "lat", "needle"), [
    ("5.5°", "52.5", "lon=5.5,"),
    ("5°30'E", "52.5", "lon=5.5,"),
    ("5.5", "52°30′S", "lat=-52.5,"),
    ("4.25W", "52.5", "lon=-4.25,"),
    ("5.5", "N52 30", "lat=52.5,"),
    ("52.5N", "5.5", "give it as lat=52.5"),
])
def test_a_point_in_degrees_as_a_map_writes_them_says_the_decimal_degrees(
        served: Any, lon: str, lat: str, needle: str) -> None:
    """``/point/ramp?lon=5°30'E&lat=52.5°N`` (a map site's or GPS's coordinates, pasted;
    the browser percent-encodes them) was refused as "must be a number, got \"5°30'E\""
    without saying what to write. The refusal now gives the decimal degrees it reads
    (west and south negative), or that the letter names the other axis."""
    r = served.get("/point/ramp", params={"lon": lon, "lat": lat})
    assert r.status_code == 400, r.text
    message = r.json()["error"]
    assert "must be a number" in message and "decimal degrees" in message, message
    assert needle in message, message


def test_control_a_word_is_refused_without_a_degrees_hint(served: Any) -> None:
    """Control: a value that is no degrees at all is refused as before, without a hint."""
    r = served.get("/point/ramp", params={"lon": "east", "lat": "52.5"})
    assert r.status_code == 400
    assert r.json()["error"] == "query parameter 'lon' must be a number, got 'east'"


# -- a BBOX ending in its CRS --------------------------------------------------------------

def _getmap(client: Any, **params: str) -> Any:
    return client.get("/wms", params={
        "SERVICE": "WMS", "REQUEST": "GetMap", "LAYERS": "ramp", "STYLES": "",
        "WIDTH": "64", "HEIGHT": "64", "FORMAT": "image/png", "TRANSPARENT": "TRUE", **params})


@pytest.mark.parametrize(("version", "crs", "bbox"), [
    ("1.3.0", "EPSG:4326", "52.2,5.2,52.8,5.8,EPSG:4326"),
    ("1.3.0", "EPSG:4326", "52.2,5.2,52.8,5.8,urn:ogc:def:crs:EPSG::4326"),
    ("1.1.1", "EPSG:4326", "5.2,52.2,5.8,52.8,EPSG:4326"),
])
def test_a_bbox_ending_in_the_maps_crs_draws_the_map(served: Any, version: str, crs: str,
                                                     bbox: str) -> None:
    """``BBOX=minx,miny,maxx,maxy,EPSG:4326`` (OGC 06-121r9's form with the CRS after the
    numbers, which GeoServer reads and OWSLib and OGC API clients write) was refused as
    "BBOX must be four numbers", of the CRS the request itself named. It is drawn now
    (the map of the layer, not a blank one)."""
    r = _getmap(served, VERSION=version, **{"CRS" if version == "1.3.0" else "SRS": crs},
                BBOX=bbox)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text
    alpha = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGBA"))[..., 3]
    assert float((alpha > 0).mean()) > 0.95


def test_a_bbox_ending_in_another_crs_is_refused_naming_both(served: Any) -> None:
    """A BBOX ending in another CRS than the map's is refused naming both and the fix
    (it was "must be four numbers" too), and a BBOX that is no four numbers in WMS 1.3.0
    with EPSG:4326 says its order is latitude first (it said "minx,miny,maxx,maxy")."""
    r = _getmap(served, VERSION="1.3.0", CRS="EPSG:4326", BBOX="52.2,5.2,52.8,5.8,EPSG:3857")
    assert r.status_code == 400
    assert "BBOX names CRS 'EPSG:3857'" in r.text and "CRS='EPSG:4326'" in r.text, r.text
    r = _getmap(served, VERSION="1.3.0", CRS="EPSG:4326", BBOX="52.2;5.2;52.8;5.8")
    assert r.status_code == 400 and "minlat,minlon,maxlat,maxlon" in r.text, r.text


# -- GetFeatureInfo's text and HTML answers ------------------------------------------------

@pytest.mark.parametrize("fmt", ["text/plain", "text/html"])
def test_getfeatureinfo_as_text_or_html_gives_the_units(served: Any, fmt: str) -> None:
    """QGIS's identify asks GetFeatureInfo as text/plain or text/html: a grade layer in
    ppm answered ``grade = 95.0`` and ``<td>95.0</td>``, the unit given only in the JSON
    and GML answers (the same layer in mg/L would read the same). The value is followed
    by its unit now."""
    r = served.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo",
        "LAYERS": "grade", "QUERY_LAYERS": "grade", "STYLES": "", "CRS": "CRS:84",
        "BBOX": "5,52,6,53", "WIDTH": "200", "HEIGHT": "200", "I": "100", "J": "100",
        "INFO_FORMAT": fmt})
    assert r.status_code == 200, r.text
    value = served.get("/point/grade", params={"lon": 5.5025, "lat": 52.4975}).json()["value"]
    assert f"{value} ppm" in r.text, (value, r.text)


def test_control_a_cell_without_data_says_no_data_without_units(served: Any) -> None:
    """Control: a cell without data still reads ``no data`` alone."""
    r = served.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo",
        "LAYERS": "grade", "QUERY_LAYERS": "grade", "STYLES": "", "CRS": "CRS:84",
        "BBOX": "6,52,7,53", "WIDTH": "10", "HEIGHT": "10", "I": "5", "J": "5",
        "INFO_FORMAT": "text/plain"})
    assert r.status_code == 200 and r.text == "grade (synthetic data) = no data\n", r.text


# -- an access log written into a file the server reads ------------------------------------

@pytest.mark.parametrize(("log", "needle"), [
    ("ramp.tif", "the cog of layer 'ramp'"),
    ("keys.yaml", "the keys_file"),
    ("serve.yaml", "this config file itself"),
])
def test_an_access_log_naming_a_file_the_server_reads_is_refused(
        tmp_path: Path, log: str, needle: str) -> None:
    """``access_log:`` naming the layer's COG, the keys file or the config itself (a
    copied line, a name picked from the folder's listing): the server started and
    appended a JSON line to that file for every request: the served COG grew with each
    tile asked (its ETag changing every time, so no cache held), the keys file and the
    config no longer read as YAML at the next reload or start. It is refused at start
    (and by ``--check``) now, naming the file and what to write, and the file is left as
    it was."""
    from tests.robustness.conftest import assert_clean_error, run_in_process

    _cog(tmp_path / "ramp.tif", np.ones((20, 20), dtype="f4"), float("nan"))
    (tmp_path / "keys.yaml").write_text("keys: []\n")
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({
        "layers": [{"name": "ramp", "cog": "ramp.tif", "public": True}],
        "keys_file": "keys.yaml", "access_log": log}))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    line = assert_clean_error(run_in_process("serve", config, "--check"), 2, "access_log",
                              needle, "access.log")
    assert log in line or "config file itself" in line, line
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_keys_file_naming_the_config_itself_says_so(tmp_path: Path) -> None:
    """``keys_file: serve.yaml`` in ``serve.yaml`` (the keys are in this file, thought the
    user): the config was read again as a keys file and refused with "unknown key
    'keys_file' (did you mean 'keys'?)" and "'layers' is a key of 'keys'", of a config
    whose every key was right. It is said as what it is now, with the fix."""
    from tests.robustness.conftest import assert_clean_error, run_in_process

    _cog(tmp_path / "ramp.tif", np.ones((20, 20), dtype="f4"), float("nan"))
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({
        "layers": [{"name": "ramp", "cog": "ramp.tif"}], "keys_file": "serve.yaml",
        "keys": [{"agency": "Water Board", "key_sha256": "a" * 64, "layers": ["ramp"]}]}))
    line = assert_clean_error(run_in_process("serve", config, "--check"), 2,
                              "keys_file is this config file itself", "remove keys_file")
    assert "unknown key" not in line, line


def test_control_an_access_log_of_its_own_is_served(tmp_path: Path) -> None:
    """Control: ``access_log: logs/access.log`` beside the layers passes the check."""
    from tests.robustness.conftest import run_in_process

    _cog(tmp_path / "ramp.tif", np.ones((20, 20), dtype="f4"), float("nan"))
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({
        "layers": [{"name": "ramp", "cog": "ramp.tif", "public": True}],
        "access_log": "logs/access.log"}))
    outcome = run_in_process("serve", config, "--check")
    assert outcome.code == 0, outcome
