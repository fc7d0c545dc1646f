"""Tile delivery as partner agencies' clients meet it, round 38: one map under two ETags
for a CRS written in lower case, other servers' names of PNG and GeoJSON refused, a 403
that named neither the layer nor the agency (and a 401 that named no layer), and an
MBTiles archive over the file-size limit told as "a bug in Prospect".

A live ``prospect serve`` (uvicorn on loopback, in this process) serves a SYNTHETIC COG in
EPSG:4326 over the Netherlands (5-6 E, 52-53 N, a west-to-east ramp in ppm) as a public
layer and as a private one, with two SYNTHETIC agency keys: one granted the private layer,
one granted only the public ramp. httpx asks as QGIS, OpenLayers, OWSLib and GeoServer's
clients do. The MBTiles case packs a pyramid of small SYNTHETIC noise tiles under a
file-size limit. Each non-control case failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from tests.robustness.conftest import assert_clean_error, process_limit, run_in_process
from tests.robustness.test_serving_round35 import _cog  # 200 x 200 cells, 5-6 E, 52-53 N
from tiles.auth import hash_key
from tiles.testing import live_server

KEY = "pk_" + "Synthetic0Round38Key_for-tests-only_0000000"
"""A SYNTHETIC agency key granted the private layer (46 characters)."""
OTHER = "pk_" + "Synthetic0Round38Oth_for-tests-only_0000000"
"""A SYNTHETIC key of another agency, granted only the public ramp."""
MAP = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "ramp",
       "STYLES": "", "CRS": "EPSG:4326", "BBOX": "52.1,5.1,52.2,5.2", "WIDTH": "64",
       "HEIGHT": "64", "FORMAT": "image/png"}
"""A GetMap of a 64 x 64 map of 52.1-52.2 N, 5.1-5.2 E (WMS 1.3.0: latitude first)."""
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the SYNTHETIC ramp COG (``ramp.tif``)."""
    root = tmp_path_factory.mktemp("round38")
    _cog(root / "ramp.tif", np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)),
         float("nan"))
    return root


@pytest.fixture(scope="module")
def served(corpus: Path) -> Any:
    """``prospect serve`` of the ramp, public and private (a live server on loopback)."""
    root = corpus
    layers = [{"name": "ramp", "cog": "ramp.tif", "public": True, "title": "Ramp",
               "units": "ppm"},
              {"name": "private", "cog": "ramp.tif", "title": "Private"}]
    keys = [{"agency": "Partner survey", "key_sha256": hash_key(KEY), "layers": ["private"]},
            {"agency": "Observer", "key_sha256": hash_key(OTHER), "layers": ["ramp"]}]
    (root / "serve.yaml").write_text(yaml.safe_dump(
        {"title": "Round 38 (synthetic)", "layers": layers, "keys": keys}, sort_keys=False))
    with live_server(root / "serve.yaml") as live, live.client() as client:
        yield client


# -- one map, one ETag, whatever the CRS's case --------------------------------------------

@pytest.mark.parametrize(("version", "name", "crs", "bbox"), [
    ("1.3.0", "CRS", "epsg:4326", "52.1,5.1,52.2,5.2"),
    ("1.1.1", "SRS", "epsg:4326", "5.1,52.1,5.2,52.2"),
    ("1.3.0", "CRS", "epsg:3857", "568000,6816000,579000,6830000"),
])
def test_a_crs_in_lower_case_draws_the_map_under_its_one_etag(
        served: Any, version: str, name: str, crs: str, bbox: str) -> None:
    """``CRS=epsg:4326`` (typed by hand, or a client that writes it in lower case: EPSG
    codes are case-insensitive) drew the same map as ``EPSG:4326`` under another ETag: a
    cache (a proxy's, a browser's) held every map twice, and a conditional request with
    the ETag it held was answered with the whole map again. Same for 1.1.1's SRS and
    Web Mercator. Now one ETag, and the held ETag gets 304."""
    params = {**{k: v for k, v in MAP.items() if k not in ("CRS", "BBOX")},
              "VERSION": version, name: crs, "BBOX": bbox}
    upper = served.get("/wms", params={**params, name: crs.upper()})
    assert upper.status_code == 200
    lower = served.get("/wms", params=params)
    assert lower.status_code == 200, lower.text[:300]
    assert lower.content == upper.content
    assert lower.headers["etag"] == upper.headers["etag"]
    again = served.get("/wms", params=params, headers={"If-None-Match": upper.headers["etag"]})
    assert again.status_code == 304


def test_control_crs_84_in_lower_case_shared_its_etag_already(served: Any) -> None:
    """Control: ``crs:84`` was read as ``CRS:84`` before (its own check); still one ETag."""
    params = {**MAP, "CRS": "CRS:84", "BBOX": "5.1,52.1,5.2,52.2"}
    upper = served.get("/wms", params=params)
    lower = served.get("/wms", params={**params, "CRS": "crs:84"})
    assert upper.status_code == lower.status_code == 200
    assert lower.headers["etag"] == upper.headers["etag"]


def test_control_an_unknown_crs_in_lower_case_is_refused_as_before(served: Any) -> None:
    """Control: a CRS no one knows is refused in either case, named as it was sent's
    code."""
    answer = served.get("/wms", params={**MAP, "CRS": "epsg:999999"})
    assert answer.status_code == 400
    assert "999999" in answer.text and "InvalidCRS" in answer.text


# -- other servers' names of PNG and GeoJSON --------------------------------------------------

@pytest.mark.parametrize("fmt", ["image/png8", "image/png24", "image/PNG32"])
def test_getmap_in_another_servers_name_of_png_is_drawn_as_png(served: Any, fmt: str) -> None:
    """``FORMAT=image/png8`` (GeoServer's and MapServer's paletted PNG, kept in URLs and
    layer definitions moved from GeoServer), ``image/png24`` and ``png32`` (ArcGIS's) were
    ``InvalidFormat``, "FORMAT must be one of image/png, image/webp": a PNG either way,
    as ``image/png; mode=8bit`` already was. Now the map is drawn as the PNG it is."""
    answer = served.get("/wms", params={**MAP, "FORMAT": fmt})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(PNG)
    plain = served.get("/wms", params=MAP)
    assert answer.content == plain.content and answer.headers["etag"] == plain.headers["etag"]


def test_wmts_gettile_in_another_servers_name_of_png_is_a_png(served: Any) -> None:
    """WMTS KVP GetTile with ``FORMAT=image/png8`` (GeoServer's GeoWebCache offers it) was
    refused, "FORMAT must be image/png or image/webp"; it is the PNG tile now."""
    params = {"SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": "ramp",
              "STYLE": "default", "FORMAT": "image/png8", "TILEMATRIXSET": "WebMercatorQuad",
              "TILEMATRIX": "8", "TILEROW": "84", "TILECOL": "131"}
    answer = served.get("/wmts", params=params)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.content == served.get("/tiles/ramp/8/131/84.png").content


@pytest.mark.parametrize("fmt", ["application/geo+json", "application/vnd.geo+json"])
def test_getfeatureinfo_as_geo_json_answers_the_geojson(served: Any, fmt: str) -> None:
    """``INFO_FORMAT=application/geo+json`` (RFC 7946's media type, QGIS Server's and OGC
    API's name, which OpenLayers' and QGIS's identify send to such servers) and the older
    ``application/vnd.geo+json`` were ``InvalidFormat`` listing application/json beside:
    the GeoJSON asked for. Now it is answered, the same FeatureCollection."""
    params = {**MAP, "REQUEST": "GetFeatureInfo", "QUERY_LAYERS": "ramp", "I": "32",
              "J": "32", "INFO_FORMAT": fmt}
    answer = served.get("/wms", params=params)
    assert answer.status_code == 200, answer.text[:300]
    doc = answer.json()
    assert doc["type"] == "FeatureCollection"
    assert doc["features"][0]["properties"]["layer"] == "ramp"
    plain = served.get("/wms", params={**params, "INFO_FORMAT": "application/json"})
    assert doc == plain.json()


def test_control_jpeg_is_still_refused_saying_why(served: Any) -> None:
    """Control: JPEG is no other name of PNG: still refused, saying why."""
    answer = served.get("/wms", params={**MAP, "FORMAT": "image/jpeg"})
    assert answer.status_code == 400 and "lossy" in answer.text


# -- a 403 that names the layer and the agency ------------------------------------------------

def test_a_key_without_rights_on_a_layer_is_told_which_and_whose(served: Any) -> None:
    """A valid key of another agency (a colleague's, or the key of the agency's other
    contract) asking a layer it was not granted got "this API key has no rights on this
    layer" alone: a web map of several layers could not tell which one was refused, nor
    whose key it sent. Now the refusal names the layer, the key's agency, what it reads,
    and what to ask for; still 403."""
    answer = served.get("/tiles/private/8/131/84.png", headers={"X-API-Key": OTHER})
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert "'private'" in error and "'Observer'" in error, error
    assert "it reads 'ramp'" in error and "ask the data provider" in error, error
    assert OTHER not in error and "Partner survey" not in error, error


def test_a_key_without_rights_on_a_wms_layer_is_told_which(served: Any) -> None:
    """The same refusal of a WMS map of two layers names the one refused."""
    answer = served.get("/wms", params={**MAP, "LAYERS": "ramp,private", "key": OTHER})
    assert answer.status_code == 403
    assert "'private'" in answer.text and "'Observer'" in answer.text, answer.text[:400]


def test_a_map_of_a_private_layer_without_a_key_names_the_layer(served: Any) -> None:
    """A WMS map of a public and a private layer asked without a key was refused "this
    layer needs an API key": which of them, the client could not tell. Now the private
    one is named; still 401."""
    answer = served.get("/wms", params={**MAP, "LAYERS": "ramp,private"})
    assert answer.status_code == 401
    assert "layer 'private' needs an API key" in answer.text, answer.text[:400]


def test_control_the_granted_key_reads_the_layer(served: Any) -> None:
    """Control: the key granted the layer reads it."""
    answer = served.get("/tiles/private/8/131/84.png", headers={"X-API-Key": KEY})
    assert answer.status_code == 200 and answer.content.startswith(PNG)


# -- an MBTiles archive larger than its tiles, over the file-size limit ------------------------

def test_an_mbtiles_archive_over_the_file_size_limit_is_told_as_the_disks(
        tmp_path: Path) -> None:
    """Tiles of 2-3 kB (small or noisy PNGs) each take a 4 kB page of SQLite: the archive
    is half again its tiles' bytes. Packed under a file-size limit (``ulimit -f``) over
    its tiles' bytes and the probe round 37 asked the disk for, but under the archive's
    size, it was ``sqlite3.OperationalError: disk I/O error``, "internal error ... a bug
    in Prospect" again. Now it is the disk's EFBIG naming the archive, told as "over the
    file-size limit (ulimit -f)"; nothing is left behind. SYNTHETIC noise tiles."""
    from PIL import Image

    from pipelines.faults import os_error_line
    from tiles.archive import write_mbtiles

    pyramid = tmp_path / "pyramid"
    rng = np.random.default_rng(38)
    tile_bytes = 0
    for x in range(8):
        for y in range(8):
            pixels = np.zeros((256, 256, 4), np.uint8)
            pixels[:23, :23] = rng.integers(0, 256, (23, 23, 4))
            path = pyramid / "12" / str(2100 + x) / f"{1350 + y}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels, "RGBA").save(path)
            tile_bytes += path.stat().st_size
    whole = write_mbtiles(pyramid, tmp_path / "whole.mbtiles", bounds=(5, 52, 6, 53),
                          name="noise (synthetic)").stat().st_size
    limit = tile_bytes + 2**16 + 16384  # over the tiles and the old probe, under the archive
    assert limit < whole, (tile_bytes, whole)
    archive = tmp_path / "out" / "noise.mbtiles"
    with process_limit(resource.RLIMIT_FSIZE, limit), pytest.raises(OSError) as caught:
        write_mbtiles(pyramid, archive, bounds=(5, 52, 6, 53), name="noise (synthetic)")
    assert not isinstance(caught.value, sqlite3.Error)
    line = os_error_line(caught.value)
    assert line.startswith(f"{archive}:") and "file-size limit (ulimit -f)" in line, line
    assert list((tmp_path / "out").iterdir()) == []


# -- files a serve config names, written as another system spells them ---------------------

def _serve_config(folder: Path, corpus: Path, layer: dict[str, Any], **extra: Any) -> Path:
    """``serve.yaml`` in ``folder`` (beside a copy of the ramp, ``ramp.tif``) of one public
    ``layer`` (its source keys) and ``extra`` top-level keys."""
    (folder / "ramp.tif").symlink_to(corpus / "ramp.tif")
    path = folder / "serve.yaml"
    path.write_text(yaml.safe_dump({"title": "Round 38 (synthetic)", **extra, "layers": [
        {"name": "ramp", "public": True, **layer}]}, sort_keys=False))
    return path


@pytest.mark.parametrize("written", ["Ramp.tif", "ramp.TIF", "ramp.tiff"])
def test_a_layer_cog_named_in_another_case_names_the_file_there(
        corpus: Path, tmp_path: Path, written: str) -> None:
    """A serve config written on Windows or macOS (whose disks ignore case) naming
    ``cog: Ramp.tif`` for ``ramp.tif``, or the other TIFF ending, was refused on the Linux
    server as "layer COG not found; run the score stage or fix the path": the file was
    there, and the score stage had run. Now the file there is named, and how the two
    names differ."""
    config = _serve_config(tmp_path, corpus, {"cog": written})
    line = assert_clean_error(run_in_process("serve", config, "--check"), 1,
                              f"{tmp_path / written}: layer COG not found",
                              "'ramp.tif' is there", "write it as it is on disk")
    assert "run the score stage" not in line, line


def test_a_layer_cube_named_in_another_case_names_the_folder_there(
        corpus: Path, tmp_path: Path) -> None:
    """The same of ``cube: Cube.zarr`` for the folder ``cube.zarr`` ("zarr cube not found;
    run the pipeline")."""
    (tmp_path / "cube.zarr").mkdir()
    config = _serve_config(tmp_path, corpus, {"cube": "Cube.zarr", "variable": "heat"})
    assert_clean_error(run_in_process("serve", config, "--check"), 1,
                       "Cube.zarr: zarr cube not found", "'cube.zarr' is there")


def test_a_keys_file_named_in_another_case_names_the_key_and_the_file_there(
        corpus: Path, tmp_path: Path) -> None:
    """``keys_file: Keys.yml`` for ``keys.yaml`` was "<folder>/Keys.yml: config file not
    found", naming neither the serve config's key nor the file there. Now both."""
    (tmp_path / "keys.yaml").write_text(yaml.safe_dump({"keys": [
        {"agency": "Partner survey", "key_sha256": hash_key(KEY), "layers": ["ramp"]}]}))
    config = _serve_config(tmp_path, corpus, {"cog": "ramp.tif"}, keys_file="Keys.yml")
    assert_clean_error(run_in_process("serve", config, "--check"), 2,
                       str(config), "keys_file", "Keys.yml", "'keys.yaml' is there")


def test_control_a_cog_not_there_under_any_name_says_to_run_the_score_stage(
        corpus: Path, tmp_path: Path) -> None:
    """Control: a COG no file beside is named like is "not found" as before."""
    config = _serve_config(tmp_path, corpus, {"cog": "probability.tif"})
    assert_clean_error(run_in_process("serve", config, "--check"), 1,
                       "probability.tif: layer COG not found; run the score stage")


# -- the access log, rotated or refused by its disk -------------------------------------------

@pytest.fixture(scope="module")
def logged(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``prospect serve`` of the ramp with ``access_log: logs/access.log``: the client and
    the log file's path."""
    root = tmp_path_factory.mktemp("round38log")
    (root / "ramp.tif").symlink_to(corpus / "ramp.tif")
    (root / "serve.yaml").write_text(yaml.safe_dump({
        "title": "Round 38 (synthetic)", "access_log": "logs/access.log",
        "layers": [{"name": "ramp", "cog": "ramp.tif", "public": True}]}, sort_keys=False))
    with live_server(root / "serve.yaml") as live, live.client() as client:
        yield client, root / "logs" / "access.log"


def _lines(path: Path) -> list[dict[str, Any]]:
    """The access log's lines, each read as JSON (a line that is not fails the test)."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_control_an_access_log_left_alone_keeps_every_line(logged: Any) -> None:
    """Control: a log no one moves gets one line per request, in order (first of the
    cases sharing the server: the others move the file)."""
    client, log = logged
    before = len(_lines(log))
    for x in (131, 132):
        assert client.get(f"/tiles/ramp/8/{x}/84.png").status_code == 200
    assert [line["x"] for line in _lines(log)[before:]] == ["131", "132"]


@pytest.mark.parametrize("how", ["moved", "removed"])
def test_an_access_log_moved_aside_or_removed_is_written_anew_at_its_path(
        logged: Any, how: str) -> None:
    """``logrotate`` moves ``access.log`` to ``access.log.1`` (its default, without
    ``copytruncate``), or an operator removes it: the server wrote on into the moved file
    (or a removed one), and ``access.log`` was never made again: the agencies' requests
    went unlogged where the operator looks. Now the file is made anew at its path within
    a second, and the next request's line is there."""
    client, log = logged
    assert client.get("/tiles/ramp/8/131/84.png").status_code == 200
    aside = log.with_name(f"access.log.{how}")
    if how == "moved":
        os.rename(log, aside)
    else:
        log.unlink()
    time.sleep(1.1)  # the path is compared with the file written once a second
    assert client.get("/tiles/ramp/8/130/84.png").status_code == 200
    assert log.is_file(), sorted(p.name for p in log.parent.iterdir())
    assert [line["x"] for line in _lines(log)][-1:] == ["130"]
    if how == "moved":
        assert "130" not in [line["x"] for line in _lines(aside)]


def test_requests_are_answered_while_the_access_log_disk_refuses_it(
        logged: Any, caplog: pytest.LogCaptureFixture) -> None:
    """An access log the disk refuses (full, a quota, here the file-size limit) made every
    request an internal error (500, or a dropped connection), a traceback each in the
    server's log: a full log disk took the tile service down. Now the requests are
    answered, the server's log says once that lines are lost and why, and once how many
    when the file takes lines again; the line the disk cut short is not left in the file
    (every line is whole JSON)."""
    client, log = logged
    assert client.get("/tiles/ramp/8/131/84.png").status_code == 200
    time.sleep(1.1)
    assert client.get("/tiles/ramp/8/131/84.png").status_code == 200  # the file is open
    limit = log.stat().st_size + 20  # the next line is cut short after 20 bytes
    with caplog.at_level(logging.WARNING, logger="prospect.tiles"):
        with process_limit(resource.RLIMIT_FSIZE, limit):
            statuses = [client.get(f"/tiles/ramp/8/{x}/84.png").status_code
                        for x in (128, 129, 130)]
        assert statuses == [200, 200, 200]
        assert client.get("/tiles/ramp/8/127/84.png").status_code == 200
    said = [r.getMessage() for r in caplog.records if r.name == "prospect.tiles"]
    assert any("access log cannot be written (File too large)" in m for m in said), said
    assert any("3 request line(s) were lost" in m for m in said), said
    assert [line["x"] for line in _lines(log)][-1] == "127"
