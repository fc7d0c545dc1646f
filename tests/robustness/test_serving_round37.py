"""Tile delivery as partner agencies' clients meet it, round 37: GetFeatureInfo's
coordinates written with binary float noise, and its text answer not saying a layer's
data are synthetic.

A live ``prospect serve`` (uvicorn on loopback, in this process) serves SYNTHETIC COGs in
EPSG:4326 over the Netherlands (5-6 E, 52-53 N): a west-to-east ramp in ppm tagged
synthetic, and the same ramp written without the tag and served with ``synthetic:
false`` (a survey's real layer, as far as the server knows). httpx asks as QGIS's
identify, OpenLayers and OWSLib do. Each non-control case failed before: the pixel centred
on 5.15 E, 52.15 N was written ``5.150000000000006, 52.150000000000006`` in JSON and GML,
and text/plain read ``ramp = 0.1856784 ppm`` of a synthetic layer, where the JSON, GML
and HTML answers title it "(synthetic data)". All data here are SYNTHETIC.
"""

from __future__ import annotations

import math
import resource
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pyproj import Transformer

from tests.robustness.conftest import Sandbox, assert_clean_error, process_limit, run_in_process
from tests.robustness.test_serving_round35 import _cog  # 200 x 200 cells, 5-6 E, 52-53 N
from tiles.auth import hash_key
from tiles.testing import live_server

GML = "{http://www.opengis.net/gml}"
KEY = "pk_" + "Synthetic0Round37Key_for-tests-only_0000000"
"""A SYNTHETIC agency key of the form ``prospect serve-key`` prints (46 characters)."""
TILE = "/tiles/private/8/131/84.png"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a synthetic ramp, the same ramp as real data, and ``serve.yaml``."""
    import rasterio

    root = tmp_path_factory.mktemp("round37")
    ramp = np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1))
    _cog(root / "ramp.tif", ramp, float("nan"))
    _cog(root / "survey.tif", ramp, float("nan"))
    with rasterio.open(root / "survey.tif", "r+") as ds:  # no "synthetic" tag
        ds.update_tags(synthetic="false")
    _config(root / "serve.yaml")
    return root


def _config(path: Path, **extra: Any) -> Path:
    """``serve.yaml`` of the two layers (``extra``: more top-level keys, e.g. ``host``)."""
    layers = [
        {"name": "ramp", "cog": "ramp.tif", "public": True, "title": "Ramp", "units": "ppm"},
        {"name": "survey", "cog": "survey.tif", "public": True, "title": "Survey",
         "units": "ppm", "synthetic": False},
        {"name": "private", "cog": "ramp.tif", "title": "Private"},
    ]
    keys = [{"agency": "Partner survey", "key_sha256": hash_key(KEY), "layers": ["private"]}]
    path.write_text(yaml.safe_dump({"title": "Round 37 (synthetic)", **extra,
                                    "layers": layers, "keys": keys}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def served(corpus: Path) -> Any:
    """``prospect serve`` of :func:`corpus` (a live server on loopback)."""
    with live_server(corpus / "serve.yaml") as live, live.client() as client:
        yield client


def _info(client: Any, fmt: str, layer: str = "ramp", **over: str) -> Any:
    """GetFeatureInfo (WMS 1.3.0, EPSG:4326 latitude first) of pixel 50, 50 of a 101 x 101
    map of 52.1-52.2 N, 5.1-5.2 E: the pixel centred on 5.15 E, 52.15 N."""
    params = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo",
              "LAYERS": layer, "QUERY_LAYERS": layer, "STYLES": "", "CRS": "EPSG:4326",
              "BBOX": "52.1,5.1,52.2,5.2", "WIDTH": "101", "HEIGHT": "101", "I": "50",
              "J": "50", "INFO_FORMAT": fmt} | over
    r = client.get("/wms", params=params)
    assert r.status_code == 200, r.text
    return r


# -- GetFeatureInfo's coordinates ------------------------------------------------------

def test_getfeatureinfo_json_gives_the_pixels_centre_without_float_noise(served: Any) -> None:
    """OpenLayers' and QGIS's GeoJSON identify of the pixel centred on 5.15 E, 52.15 N
    read ``[5.150000000000006, 52.150000000000006]``: a point 0.6 nm away, and 17 digits
    a user copies into a report. It reads ``[5.15, 52.15]`` now."""
    r = _info(served, "application/json")
    assert r.json()["features"][0]["geometry"]["coordinates"] == [5.15, 52.15], r.text
    assert "[5.15, 52.15]" in r.text, r.text


def test_getfeatureinfo_gml_gives_the_pixels_centre_without_float_noise(served: Any) -> None:
    """The GML answer (OWSLib's, MapServer's form) wrote the same noise in
    ``gml:coordinates``; it writes ``5.15,52.15`` now."""
    r = _info(served, "application/vnd.ogc.gml")
    text = ET.fromstring(r.content).findtext(f".//{GML}coordinates")
    assert text == "5.15,52.15", r.text


def test_control_a_point_of_a_projected_map_keeps_its_precision(served: Any) -> None:
    """Control: a pixel of a Web Mercator map, whose centre in degrees has no short form,
    is written to 1e-9 degrees (about 0.1 mm) of its exact transform, not cut short."""
    box = (567728.0, 6829000.0, 578860.0, 6847000.0)
    r = _info(served, "application/json", CRS="EPSG:3857", BBOX=",".join(map(str, box)))
    lon, lat = r.json()["features"][0]["geometry"]["coordinates"]
    x = box[0] + 50.5 * (box[2] - box[0]) / 101
    y = box[3] - 50.5 * (box[3] - box[1]) / 101
    exact = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True).transform(x, y)
    assert math.isclose(lon, exact[0], abs_tol=1e-9) and lon != round(lon, 6), (lon, exact)
    assert math.isclose(lat, exact[1], abs_tol=1e-9) and lat != round(lat, 6), (lat, exact)


# -- GetFeatureInfo's text of synthetic data -------------------------------------------

def test_getfeatureinfo_text_of_a_synthetic_layer_says_synthetic_data(served: Any) -> None:
    """QGIS's identify in text/plain read ``ramp = 0.1856784 ppm`` of a synthetic layer:
    the only answer not saying "(synthetic data)" (JSON, GML and HTML give its title with
    it), so a synthetic grade read as a survey's. The line names it now, in the same
    ``name = value`` form."""
    r = _info(served, "text/plain")
    value = served.get("/point/ramp", params={"lon": 5.15, "lat": 52.15}).json()["value"]
    assert r.text == f"ramp (synthetic data) = {value} ppm\n", r.text


def test_getfeatureinfo_text_of_two_layers_says_which_is_synthetic(served: Any) -> None:
    """Two layers asked at once (QGIS's identify of every visible layer): the synthetic
    one said nothing of it; now it is named so, and the real one is not."""
    r = _info(served, "text/plain", layer="ramp,survey", STYLES=",")
    lines = r.text.splitlines()
    assert lines[0].startswith("ramp (synthetic data) = "), r.text
    assert lines[1].startswith("survey = "), r.text


def test_control_text_of_a_real_layer_names_the_layer_alone(served: Any) -> None:
    """Control: a layer served as real data (``synthetic: false``) reads ``survey =
    <value> ppm`` as before."""
    r = _info(served, "text/plain", layer="survey")
    value = served.get("/point/survey", params={"lon": 5.15, "lat": 52.15}).json()["value"]
    assert r.text == f"survey = {value} ppm\n", r.text


# -- a host written as several addresses ---------------------------------------------------

@pytest.mark.parametrize(("host", "needles"), [
    ("0.0.0.0,::", ["2 addresses ('0.0.0.0', '::')", "listens on one", "e.g. '0.0.0.0'"]),
    ("0.0.0.0, ::", ["2 addresses ('0.0.0.0', '::')", "e.g. '0.0.0.0'"]),
    ("127.0.0.1;::1", ["2 addresses ('127.0.0.1', '::1')", "e.g. '127.0.0.1'"]),
])
def test_a_config_host_of_several_addresses_is_refused_where_it_is_written(
        corpus: Path, tmp_path: Path, cli: Any, host: str, needles: list[str]) -> None:
    """``host: "0.0.0.0,::"`` (IPv4 and IPv6, as a proxy's or gunicorn's binds list
    them) passed ``--check`` ("config and layers OK") and failed at start-up with "cannot
    resolve the bind address ... give an address of this machine with --host", naming
    an option never given; ``"0.0.0.0, ::"`` was "an address with spaces" whose example
    to write was the same value. Now ``--check`` refuses it at the config's ``host``,
    saying the server listens on one address and which one to write."""
    config = _config(tmp_path / "serve.yaml", host=host)
    for name in ("ramp.tif", "survey.tif"):
        (tmp_path / name).symlink_to(corpus / name)
    line = assert_clean_error(cli("serve", config, "--check"), 2, "serve.yaml", "'host'")
    for needle in needles:
        assert needle in line, line


def test_a_host_option_with_its_port_after_a_space_says_where_the_port_goes(
        corpus: Path, cli: Any) -> None:
    """``--host "localhost 8080"``: refused as "an address with spaces", with
    ``'localhost 8080'`` itself as the example to write. Now the example is
    ``'localhost'`` and the port is said to go in ``--port``."""
    line = assert_clean_error(cli("serve", corpus / "serve.yaml", "--host", "localhost 8080",
                                  "--check"), 2, "--host 'localhost 8080'")
    assert "e.g. 'localhost'" in line and "port: 8080" in line, line
    assert "e.g. 'localhost 8080'" not in line, line


def test_control_a_host_with_spaces_around_it_is_refused_as_before(corpus: Path) -> None:
    """Control: ``--host " 0.0.0.0"`` is still "an address with spaces", e.g.
    ``'0.0.0.0'``."""
    outcome = run_in_process("serve", corpus / "serve.yaml", "--host", " 0.0.0.0", "--check")
    assert outcome.code == 2, outcome
    assert "an address with spaces" in outcome.err and "e.g. '0.0.0.0'" in outcome.err, \
        outcome.err


# -- an agency's key sent as it was copied ---------------------------------------------------

@pytest.mark.parametrize(("sent", "said"), [
    (KEY + "\n", "a line break"),  # copied from a terminal or an e-mail with its line end
    (" " + KEY + " ", "a space"),
    ('"' + KEY + '"', "quotes"),  # copied from the YAML or JSON it was sent in
    ("<" + KEY + ">", "angle brackets"),
])
def test_a_key_sent_with_what_was_copied_around_it_says_so(
        served: Any, sent: str, said: str) -> None:
    """A partner's right key copied with its line end (``?key=pk_...%0A``), spaces or
    quotes was refused as "API key not recognised" and nothing more: the partner checked
    the key, found it right, and asked the provider for a new one. The refusal now says
    what was sent around the key and to send it alone."""
    r = served.get(TILE, params={"key": sent})
    assert r.status_code == 401, r.text
    error = r.json()["error"]
    assert f"sent with {said} around it" in error and "send the key alone" in error, error
    assert KEY not in error, error  # the key is never echoed


def test_a_key_not_recognised_says_what_a_key_is_and_what_to_do(served: Any) -> None:
    """A key cut short (a double click stops at its ``-``) read "API key not recognised",
    without what a whole key looks like or what to do; it says now that a key starts with
    ``pk_`` and is 46 characters, and to ask the provider for a new one."""
    r = served.get(TILE, params={"key": KEY.split("-")[0]})
    assert r.status_code == 401, r.text
    error = r.json()["error"]
    assert "'pk_'" in error and "46 characters" in error and "new one" in error, error


def test_control_the_key_alone_reads_the_private_layer(served: Any) -> None:
    """Control: the key sent alone (parameter or header) reads the private layer."""
    assert served.get(TILE, params={"key": KEY}).status_code == 200
    assert served.get(TILE, headers={"X-API-Key": KEY}).status_code == 200
    assert served.get(TILE).status_code == 401


# -- an MBTiles archive the disk refuses -----------------------------------------------------

def test_an_mbtiles_archive_the_disk_refuses_is_told_as_the_disks(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """The tiles stage rerun where the MBTiles archive no longer fits (here a file-size
    limit, ``ulimit -f``, under the archive's size and over each other file's) ended in
    "internal error: OperationalError: disk I/O error ... this is a bug in Prospect"
    (exit 70): SQLite's error names no errno. It is the disk's error now (exit 74),
    naming the published archive (``tiles/heat.mbtiles``, not the staged
    ``tiles/heat/layer.mbtiles``) and what to do, as a tile refused so is; the
    last run's archive is left whole and no partial file is left behind. SYNTHETIC
    sandbox raster."""
    sandbox.write_job(tiles={"min_zoom": 10, "max_zoom": 14, "archive_formats": ["mbtiles"],
                             "layers": [{"variable": "heat", "vmin": 0.0, "vmax": 1.0}]})
    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    archive = sandbox.out / "tiles" / "heat.mbtiles"
    before = archive.read_bytes()
    limit = len(before) - 1024  # under the archive (SQLite's 4 kB pages), over the rest
    largest = max(p.stat().st_size for p in sandbox.out.rglob("*") if p.is_file()
                  and p != archive and "viewer" not in p.parts)  # the viewer comes after
    if largest >= limit - 2048:  # the manifest grows with the tree's paths (CI's are longer)
        pytest.skip(f"the run's largest other file ({largest} bytes) leaves no room under a "
                    f"limit of {limit} bytes below the archive")
    with process_limit(resource.RLIMIT_FSIZE, limit):
        result = cli("tiles", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler,
                     "--force")
    line = assert_clean_error(result, 74, "file-size limit", f"{archive}:")
    assert "OperationalError" not in line, line
    assert archive.read_bytes() == before
    assert not [p.name for p in sandbox.out.rglob(".*") if ".tmp-" in p.name
                or ".staging-" in p.name]


# -- keys every request with which is refused --------------------------------------------

def _keyed_config(corpus: Path, tmp_path: Path, keys: list[dict[str, Any]]) -> Path:
    """``serve.yaml`` in ``tmp_path`` of the corpus's layers with these ``keys``."""
    for name in ("ramp.tif", "survey.tif"):
        (tmp_path / name).symlink_to(corpus / name)
    config = _config(tmp_path / "serve.yaml")
    doc = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**doc, "keys": keys}, sort_keys=False))
    return config


def test_serve_check_warns_of_a_key_that_has_expired(
        corpus: Path, tmp_path: Path) -> None:
    """A key entry written ``expires: 2025-06-30`` (the year one too low, or a key left in
    after it ran out): ``prospect serve --check`` said "config and layers OK", and the
    agency got 403 on every request. It now warns, naming the agency, the date and what
    to change."""
    config = _keyed_config(corpus, tmp_path, [
        {"agency": "Water Board", "key_sha256": hash_key(KEY), "layers": ["private"],
         "expires": "2025-06-30"}])
    outcome = run_in_process("serve", config, "--check")
    assert outcome.code == 0, outcome.err
    err = " ".join(outcome.err.split())
    assert ("warning: the key of agency 'Water Board' expired on 2025-06-30 00:00 UTC" in err
            and "later 'expires'" in err), err


def test_serve_check_warns_of_a_key_granted_no_layer(corpus: Path, tmp_path: Path) -> None:
    """The snippet ``prospect serve-key`` prints without ``--layers`` (``layers: []``),
    pasted as it is: the key read nothing but the public layers, said nowhere. ``--check``
    warns now, naming the public layers and how to grant more."""
    config = _keyed_config(corpus, tmp_path, [
        {"agency": "Water Board", "key_sha256": hash_key(KEY), "layers": []}])
    outcome = run_in_process("serve", config, "--check")
    assert outcome.code == 0, outcome.err
    err = " ".join(outcome.err.split())
    assert "the key of agency 'Water Board' is granted no layer" in err, err
    assert "(ramp, survey)" in err and "'*' for every layer" in err, err


def test_control_keys_in_force_are_not_warned_of(corpus: Path, tmp_path: Path) -> None:
    """Control: a key granted a layer and expiring in 2099, and a revoked key, say
    nothing."""
    config = _keyed_config(corpus, tmp_path, [
        {"agency": "Water Board", "key_sha256": hash_key(KEY), "layers": ["private"],
         "expires": "2099-01-01"},
        {"agency": "Old partner", "key_sha256": hash_key(KEY + "x"), "layers": [],
         "revoked": True, "expires": "2020-01-01"}])
    outcome = run_in_process("serve", config, "--check")
    assert outcome.code == 0 and "config and layers OK" in outcome.err, outcome.err
    assert "the key of agency" not in outcome.err, outcome.err
