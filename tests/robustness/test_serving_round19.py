"""The tile server and the tiles stage as partner agencies' clients meet them, round 19
(world copies past the antimeridian, dimensions in WMTS, HTTP preconditions on a
republished layer, a layer written in place, an archive desktop GIS opens).

A real server (uvicorn on loopback, in this process; round 16's fixtures) answers real HTTP
requests; sqlite3 and GDAL's MBTiles driver read the stage's archive. Each case failed
before: a map of a world copy (longitudes past 180, as web clients ask when panned east of
the antimeridian) came back blank, a WMTS ``Time=`` was dropped without the ``Warning``
WMS sends, ``If-Match`` / ``If-Unmodified-Since`` were ignored (a download resumed across a
republication appended the new file's bytes to the old copy), tiles and TileJSON were
served from a COG half written in place, and the only archive was one GDAL cannot open as
a raster. All data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml
from pyproj import Transformer

from tests.robustness import test_serving_round16 as round16
from tests.robustness.test_serving_round16 import _exception, _rgba, _tile, _wms
from tests.robustness.test_serving_round17 import _ows_exception
from tiles.testing import live_server

site = round16.site  # round 16's fixtures: the COGs and one server for read-only cases
served = round16.served

WORLD_3857 = 2 * 20037508.342789244


def _map(served: httpx.Client, crs: str, bbox: tuple[float, ...], *, version: str = "1.3.0",
         width: int = 64, height: int = 64) -> httpx.Response:
    name = "SRS" if version == "1.1.1" else "CRS"
    return _wms(served, VERSION=version, REQUEST="GetMap", LAYERS="probability", STYLES="",
                **{name: crs}, BBOX=",".join(map(repr, bbox)), WIDTH=width, HEIGHT=height,
                FORMAT="image/png", TRANSPARENT="TRUE")


# -- a world copy past the antimeridian ------------------------------------------------------

def _boxes(site: dict[str, Any], crs: str, shift: int) -> tuple[tuple[float, ...], ...]:
    """The layer's own box in ``crs`` and the same box ``shift`` worlds east."""
    w, s, e, n = site["lonlat"]
    if crs == "EPSG:3857":
        x0, y0 = Transformer.from_crs(4326, 3857, always_xy=True).transform(w, s)
        x1, y1 = Transformer.from_crs(4326, 3857, always_xy=True).transform(e, n)
        d = shift * WORLD_3857
        return (x0, y0, x1, y1), (x0 + d, y0, x1 + d, y1)
    d = shift * 360.0
    if crs == "EPSG:4326":  # WMS 1.3.0: latitude first
        return (s, w, n, e), (s, w + d, n, e + d)
    return (w, s, e, n), (w + d, s, e + d, n)


@pytest.mark.parametrize(("crs", "version", "shift"), [
    ("CRS:84", "1.3.0", 1), ("CRS:84", "1.3.0", -1), ("CRS:84", "1.3.0", 2),
    ("EPSG:4326", "1.3.0", 1), ("EPSG:4326", "1.1.1", -1), ("EPSG:3857", "1.3.0", 1)])
def test_a_world_copy_past_the_antimeridian_is_drawn(
        served: httpx.Client, site: dict[str, Any], crs: str, version: str,
        shift: int) -> None:
    """A web client panned east (or west) of the antimeridian asks for longitudes beyond
    180 (Bonaire at 291.6 E): the map came back blank, 200, as if the layer had no data
    there. The copy shows the layer as its own longitude does, pixel for pixel."""
    own, copy = _boxes(site, "CRS:84" if crs == "EPSG:4326" and version == "1.1.1" else crs,
                       shift)
    base = _rgba(_map(served, crs, own, version=version))
    moved = _rgba(_map(served, crs, copy, version=version))
    assert base[..., 3].sum() > 0
    assert (moved == base).all()


@pytest.mark.parametrize(("crs", "bbox", "size"), [
    ("CRS:84", (-540.0, -90.0, 540.0, 90.0), (1080, 180)),
    ("EPSG:3857", (-1.5 * WORLD_3857, -WORLD_3857 / 2, 1.5 * WORLD_3857, WORLD_3857 / 2),
     (768, 256))])
def test_a_map_of_three_worlds_draws_the_layer_in_each(
        served: httpx.Client, site: dict[str, Any], crs: str, bbox: tuple[float, ...],
        size: tuple[int, int]) -> None:
    """A map of three world copies (a web map at zoom 0 on a wide screen) drew the layer
    once, in the middle world: it is drawn in each, one world's width apart."""
    img = _rgba(_map(served, crs, bbox, width=size[0], height=size[1]))
    cols = np.unique(np.nonzero(img[..., 3])[1])
    assert len(cols) >= 3, cols
    world = size[0] // 3
    w = site["lonlat"][0]
    at = int((w + 180) / 360 * world)  # the layer's column in one world
    for k in range(3):
        assert np.any(np.abs(cols - (at + k * world)) <= 1), (cols, at, k)


def test_a_bbox_of_more_world_copies_than_a_map_shows_is_refused(
        served: httpx.Client) -> None:
    """A BBOX of a million degrees is thousands of world copies in a map where the world
    is less than a pixel wide: refused, naming the copies and the limit (locator BBOX)."""
    r = _map(served, "CRS:84", (-1e6, -90.0, 1e6, 90.0), width=100, height=50)
    exc = _exception(r, 400, "InvalidParameterValue")
    assert exc.attrib["locator"] == "BBOX"
    assert "copies of the world" in (exc.text or "") and "16" in (exc.text or ""), exc.text


def test_getfeatureinfo_on_a_world_copy_answers_the_place_it_shows(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """Control: a click on the copy answers the value of the place the copy shows."""
    own, copy = _boxes(site, "CRS:84", 1)
    values = []
    for box in (own, copy):
        r = _wms(served, VERSION="1.3.0", REQUEST="GetFeatureInfo", LAYERS="probability",
                 QUERY_LAYERS="probability", STYLES="", CRS="CRS:84",
                 BBOX=",".join(map(repr, box)), WIDTH=10, HEIGHT=10, I=5, J=5)
        assert r.status_code == 200, r.text
        values.append(r.json()["features"][0]["properties"]["value"])
    assert values[0] is not None and values[0] == values[1]


# -- dimensions: one rule for WMS and WMTS ---------------------------------------------------

def _kvp(site: dict[str, Any], **extra: Any) -> dict[str, Any]:
    z, x, y = _tile(site)
    return {"SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0",
            "LAYER": "probability", "STYLE": "default", "TILEMATRIXSET": "WebMercatorQuad",
            "FORMAT": "image/png", "TILEMATRIX": z, "TILEROW": y, "TILECOL": x, **extra}


@pytest.mark.parametrize("extra", [{"Time": "2020-01-01"}, {"ELEVATION": "100"},
                                   {"band": "7", "DIM_DEPTH": "2"}])
def test_a_wmts_dimension_no_layer_declares_is_said(
        served: httpx.Client, site: dict[str, Any], extra: dict[str, str]) -> None:
    """WMTS KVP ``Time=`` (any parameter besides GetTile's own names a sample dimension,
    07-057r7 table 26) was dropped without the ``Warning: 299`` WMS maps carry: the tile
    (the layer as served) now says which were ignored; a plain GetTile, and the key, say
    nothing."""
    plain = served.get("/wmts", params=_kvp(site))
    dated = served.get("/wmts", params=_kvp(site, **extra))
    assert plain.status_code == dated.status_code == 200
    assert plain.content == dated.content
    assert "warning" not in plain.headers
    said = dated.headers["warning"]
    assert said.startswith("299 prospect ") and "ignored" in said
    for name in extra:
        assert name in said
    keyed = served.get("/wmts", params=_kvp(site, LAYER="uncertainty", KEY=site["fx"].key))
    assert keyed.status_code == 200 and "warning" not in keyed.headers


def test_a_wmts_rest_tile_with_a_dimension_in_its_query_says_it(
        served: httpx.Client, site: dict[str, Any]) -> None:
    z, x, y = _tile(site)
    path = f"/wmts/1.0.0/probability/default/WebMercatorQuad/{z}/{y}/{x}.png"
    r = served.get(path, params={"Time": "2020"})
    assert r.status_code == 200 and "Time ignored" in r.headers["warning"]
    assert "warning" not in served.get(path).headers


def test_a_wms_getfeatureinfo_with_time_says_it_as_getmap_does(
        served: httpx.Client, site: dict[str, Any]) -> None:
    w, s, e, n = site["lonlat"]
    r = _wms(served, VERSION="1.3.0", REQUEST="GetFeatureInfo", LAYERS="probability",
             QUERY_LAYERS="probability", STYLES="", CRS="CRS:84", BBOX=f"{w},{s},{e},{n}",
             WIDTH=10, HEIGHT=10, I=5, J=5, TIME="2020-01-01")
    assert r.status_code == 200 and "TIME ignored" in r.headers["warning"]


# -- HTTP preconditions: If-Match, If-Unmodified-Since ---------------------------------------

@pytest.fixture
def republished(tmp_path: Path, site: dict[str, Any]):
    """A server of one COG that the test may replace (renamed into place, as the score
    stage publishes), and that COG's path."""
    cog = tmp_path / "layer.tif"
    shutil.copy(site["fx"].probability, cog)
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"layers": [{"name": "p", "cog": str(cog),
                                                  "public": True}]}))
    with live_server(config) as server, server.client(timeout=60) as c:
        yield c, cog


def _replace(cog: Path, other: Path) -> None:
    tmp = cog.with_suffix(".new")
    shutil.copy(other, tmp)
    os.utime(tmp, (cog.stat().st_mtime + 5, cog.stat().st_mtime + 5))
    os.replace(tmp, cog)


@pytest.mark.parametrize("condition", ["If-Match", "If-Unmodified-Since"])
def test_a_download_resumed_across_a_republication_is_412_not_new_bytes(
        republished: tuple[httpx.Client, Path], site: dict[str, Any],
        condition: str) -> None:
    """A client resuming a COG download (``Range`` with ``If-Match`` or
    ``If-Unmodified-Since``, as download managers send it) after the layer was republished
    got 206 with bytes of the new file to append to its half of the old one: a file of two
    versions passed for the layer. It is now 412, saying why and the fix, with the new
    ETag; the same request before the republication still resumes (206)."""
    c, cog = republished
    first = c.get("/download/p.tif", headers={"Range": "bytes=0-999"})
    assert first.status_code == 206
    value = first.headers["etag"] if condition == "If-Match" else first.headers["last-modified"]
    resume = {"Range": "bytes=1000-1999", condition: value}
    assert c.get("/download/p.tif", headers=resume).status_code == 206
    _replace(cog, site["fx"].uncertainty)
    r = c.get("/download/p.tif", headers=resume)
    assert r.status_code == 412, (r.status_code, r.headers)
    body = r.json()
    assert body["status"] == 412 and condition in body["error"]
    assert "again" in body["error"] and "two versions" in body["error"]
    assert r.headers["etag"] != first.headers["etag"]
    assert r.headers["etag"] == c.head("/download/p.tif").headers["etag"]


@pytest.mark.parametrize(("if_match", "status"), [
    ('"stale"', 412), ("W/{etag}", 412), ("{etag}", 206), ('"a", {etag}', 206), ("*", 206)])
def test_if_match_is_compared_strongly(served: httpx.Client, if_match: str,
                                       status: int) -> None:
    """RFC 9110 13.1.1: If-Match uses the strong comparison (a weak tag never matches) and
    ``*`` matches the current file."""
    etag = served.head("/download/probability.tif").headers["etag"]
    r = served.get("/download/probability.tif", headers={
        "Range": "bytes=0-9", "If-Match": if_match.format(etag=etag)})
    assert r.status_code == status, r.text[:200]


def test_a_date_that_is_not_an_http_date_is_ignored(served: httpx.Client) -> None:
    """Control: If-Unmodified-Since that does not parse is ignored (RFC 9110 13.1.4)."""
    r = served.get("/download/probability.tif", headers={
        "Range": "bytes=0-9", "If-Unmodified-Since": "soon"})
    assert r.status_code == 206


def test_if_match_on_every_endpoint_answers_in_its_own_format(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """A false If-Match on a tile, a TileJSON, the viewer's files, a WMS map and a WMTS
    tile drew and sent the resource: a 412 now, in each endpoint's refusal format; the
    ETag the endpoint sends still matches (200)."""
    z, x, y = _tile(site)
    stale = {"If-Match": '"stale"'}
    for path in (f"/tiles/probability/{z}/{x}/{y}.png", "/tilejson/probability.json",
                 "/static/viewer.css"):
        r = served.get(path, headers=stale)
        assert r.status_code == 412 and r.json()["status"] == 412, (path, r.text[:200])
        etag = served.get(path).headers["etag"]
        assert served.get(path, headers={"If-Match": etag}).status_code == 200
    w, s, e, n = site["lonlat"]
    r = served.get("/wms", params={"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap",
                                   "LAYERS": "probability", "STYLES": "", "CRS": "CRS:84",
                                   "BBOX": f"{w},{s},{e},{n}", "WIDTH": 16, "HEIGHT": 16,
                                   "FORMAT": "image/png"}, headers=stale)
    _exception(r, 412, "NoApplicableCode")
    r = served.get("/wmts", params=_kvp(site), headers=stale)
    _ows_exception(r, 412, "NoApplicableCode", None)


def test_a_browser_of_another_origin_may_send_the_preconditions(
        served: httpx.Client) -> None:
    """The CORS preflight refused ``If-Match``, ``If-Range`` and ``If-Unmodified-Since``
    (400 "Disallowed CORS headers"): a page of another origin could not resume a download
    safely. They are allowed now, beside Range and the key."""
    pre = served.options("/download/probability.tif", headers={
        "Origin": "https://viewer.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range,if-range,if-match,if-unmodified-since"})
    assert pre.status_code == 200, pre.text
    allowed = pre.headers["access-control-allow-headers"].lower()
    for name in ("if-range", "if-match", "if-unmodified-since", "range", "x-api-key"):
        assert name in allowed


# -- the tiles stage's archives: MBTiles for desktop GIS --------------------

@pytest.fixture(scope="module")
def staged(site: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tiles stage run on round 16's 2 km COG with both archive formats."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run

    out = tmp_path_factory.mktemp("round19_stage") / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(site["fx"].probability, out / "score" / "probability.tif")
    job = round16._job({"layers": [{"variable": "probability"}],
                        "archive_formats": ["pmtiles", "mbtiles"]})
    result = run(RunContext(job=job, out_dir=out, grid=site["fx"].grid))
    tiles = out / "tiles"
    doc = json.loads((tiles / "probability" / "tilejson.json").read_text())
    return {"out": out, "result": result, "tiles": tiles, "tilejson": doc}


def _metadata(path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return dict(db.execute("SELECT name, value FROM metadata").fetchall())


def test_the_tiles_stage_writes_an_mbtiles_archive_sqlite_reads_per_the_spec(
        staged: dict[str, Any]) -> None:
    """The one-file archive was PMTiles only, which GDAL (and so QGIS on it) cannot open as
    a raster: its PMTiles driver (3.8 and later) reads vector tiles only, and GDAL 3.6 has
    none. ``archive_formats: [pmtiles, mbtiles]`` writes an MBTiles 1.3 file beside it:
    its metadata table (name, format, bounds, center, minzoom, maxzoom, type ...) says what
    the TileJSON says, its rows are TMS-numbered, and every tile is the pyramid's."""
    path = staged["tiles"] / "probability.mbtiles"
    assert staged["result"].outputs["probability.mbtiles"] == str(path)
    doc, meta = staged["tilejson"], _metadata(path)
    assert meta["name"] == "Probability (synthetic data)" and meta["format"] == "png"
    assert (int(meta["minzoom"]), int(meta["maxzoom"])) == (doc["minzoom"], doc["maxzoom"])
    edge = 360.0 / (256 << doc["minzoom"])  # out to the lowest zoom's pixel edges (round 33)
    assert all(0 <= (a - b) * sign < edge for a, b, sign in zip(
        map(float, meta["bounds"].split(",")), doc["bounds"], (-1, -1, 1, 1), strict=True))
    lon, lat, zoom = meta["center"].split(",")
    assert [float(lon), float(lat), int(zoom)] == doc["center"]
    assert meta["type"] == "overlay" and json.loads(meta["prospect"])["prospect"]["synthetic"]
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x4D504258
        rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"
                          ).fetchall()
    pngs = sorted((staged["tiles"] / "probability").glob("[0-9]*/[0-9]*/[0-9]*.png"))
    assert len(rows) == len(pngs) > 0
    for z, x, row, data in rows:
        y = (1 << z) - 1 - row  # TMS rows count from the south
        assert (staged["tiles"] / "probability" / str(z) / str(x) / f"{y}.png"
                ).read_bytes() == data


def test_gdal_reads_the_mbtiles_archive_as_the_layers_map(staged: dict[str, Any]) -> None:
    """GDAL's MBTiles driver (QGIS's reader) opens the archive in EPSG:3857 over the
    layer's bounds, with the pyramid's pixels."""
    import rasterio
    from rasterio.warp import transform_bounds

    path = staged["tiles"] / "probability.mbtiles"
    with rasterio.open(path) as ds:
        assert ds.driver == "MBTiles" and ds.count == 4 and ds.crs.to_epsg() == 3857
        lon = transform_bounds(ds.crs, "EPSG:4326", *ds.bounds)
        rgba = ds.read()
    w, s, e, n = staged["tilejson"]["bounds"]
    assert np.allclose(lon, (w, s, e, n), atol=1e-4), (lon, (w, s, e, n))
    assert (rgba[3] > 0).mean() > 0.5  # the layer, not an empty raster


@pytest.mark.parametrize(("formats", "words"), [
    (["mbtiles", "mbtiles"], "repeated"), (["gpkg"], "'pmtiles' or 'mbtiles'"), ([], "")])
def test_archive_formats_are_checked(formats: list[str], words: str) -> None:
    from pydantic import ValidationError

    with pytest.raises((ValidationError, ValueError)) as err:
        round16._job({"archive_formats": formats})
    assert "archive_formats" in str(err.value) and words in str(err.value)


# -- a layer rewritten in place by a running job ---------------------------------------------

def test_a_layer_being_written_in_place_is_503_on_every_endpoint(
        republished: tuple[httpx.Client, Path], site: dict[str, Any]) -> None:
    """A job writing a COG onto the served path (not renamed into place): its header and
    overviews come before its last block, and XYZ tiles, the TileJSON and the STAC item
    were 200 from the half-written file while the capabilities and WMS maps were 503. Every
    endpoint of the layer is the 503 of a layer that cannot be read now (Retry-After), and
    serves the new file once it is whole."""
    c, cog = republished
    z, x, y = _tile(site)
    paths = [f"/tiles/p/{z}/{x}/{y}.png", "/tilejson/p.json", "/stac/p.json",
             f"/wmts/1.0.0/p/default/WebMercatorQuad/{z}/{y}/{x}.png",
             "/point/p?lon={}&lat={}".format(*np.mean(np.reshape(site["lonlat"], (2, 2)), 0))]
    before = {p: c.get(p) for p in paths}
    assert all(r.status_code == 200 for r in before.values())
    new = site["fx"].uncertainty.read_bytes()
    with open(cog, "r+b") as fh:  # as a tool writing onto the path does
        fh.truncate(0)
        fh.write(new[: len(new) // 2])
    for p in paths:
        r = c.get(p)
        assert r.status_code == 503 and r.headers["retry-after"] == "60", (p, r.text[:200])
    with open(cog, "ab") as fh:
        fh.write(new[len(new) // 2:])
    after = {p: c.get(p) for p in paths}
    assert all(r.status_code == 200 for r in after.values()), {
        p: (r.status_code, r.text[:120]) for p, r in after.items()}
    assert after[paths[0]].content != before[paths[0]].content  # the new file's tile
