"""Tile delivery as partner agencies' clients meet it, round 28: class maps drawn at low
zooms and small scales, the extents a layer across the antimeridian states to GDAL, map
libraries and STAC readers, and archives left by an earlier run.

A class map is a COG written with rasterio as the screening writes its class map (uint8, CF
``flag_values``/``flag_meanings``, 255 no data): a checkerboard of "too low" (0) and "above"
(2) in blocks of two cells, no "uncertain" (1) anywhere. The tiles stage runs on it and
every zoom of its pyramid is read back (palette indices to values); a real server (uvicorn
on loopback, in this process) draws it in a WMS map where it covers a few pixels, and serves
copies whose overviews were built by averaging and by mode. A layer across 180 degrees is
round 27's survey grid in UTM 60S over Taveuni (Fiji); the tiles stage writes its TileJSON
and archives (MBTiles read by ``gdalinfo``) and the server serves it beside a Bonaire layer
to GDAL's WMTS and WMS drivers (``gdalinfo``/``gdal_translate`` on ``WMTS:`` and ``WMS:``,
QGIS's readers) and as a STAC item (read with shapely). Each non-control case failed before:
the zooms the pyramid builds from the zoom below averaged "too low" and "above" into
"uncertain", as did a WMS map where the class map falls within a few pixels and the served
tiles read from averaged overviews (of which ``prospect serve`` said nothing), and its lossy
WebP tiles took colours of no class; a rerun writing fewer archives left the old
``.mbtiles``; the TileJSON bounds wrapped around 180 (TileJSON 3.0.0 forbids it, and a map
library that keeps tiles within bounds finds none); GDAL refused the MBTiles bounds as
invalid; GDAL's WMTS driver read the layer as every longitude but its own (an empty raster),
its WMS driver could not open the layer from the 1.3.0 capabilities' ``CRS:84`` box (minx >
maxx), and the STAC footprint was the world but the layer. All data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image
from rasterio.transform import from_origin

from tests.robustness import test_serving_round27 as round27
from tests.robustness import test_serving_round27b as round27b
from tiles.colormap import N_COLOURS, colormap_palette
from tiles.testing import live_server

GDALINFO = shutil.which("gdalinfo")
GDAL_TRANSLATE = shutil.which("gdal_translate")
needs_gdal = pytest.mark.skipif(
    GDALINFO is None or GDAL_TRANSLATE is None, reason="GDAL command-line tools not installed"
)
WMS = "{http://www.opengis.net/wms}"
OWS = "{http://www.opengis.net/ows/1.1}"
CLASS_TAGS = {
    "flag_values": "0 1 2",
    "flag_meanings": "too_low uncertain above",
    "long_name": "LCE screening class",
}


# -- class maps: the zooms built from the zoom below --------------------------------------


def _checkerboard(size: int = 512, block: int = 2) -> np.ndarray:
    """ "too low" (0) and "above" (2) in blocks of ``block`` cells; no "uncertain"; a
    no-data (255) corner."""
    rows, cols = np.indices((size, size))
    values = np.where(((rows // block) + (cols // block)) % 2 == 0, 0, 2).astype("u1")
    values[:16, :16] = 255
    return values


def _zoom_values(layer: Path, doc: dict[str, Any], z: int) -> np.ndarray:
    """Every data pixel of zoom ``z``'s tiles, read back through the layer's palette: a
    paletted PNG's index i (0: no data) is the value vmin + (i - 1) / 254 of the range."""
    out = []
    p = doc["prospect"]
    for png in (layer / str(z)).rglob("*.png"):
        with Image.open(io.BytesIO(png.read_bytes())) as img:
            assert img.mode == "P", img.mode
            index = np.asarray(img).astype("f8")
        held = index[index > 0]
        out.append(p["vmin"] + (held - 1) / (N_COLOURS - 1) * (p["vmax"] - p["vmin"]))
    return np.concatenate(out)


def _stage_pyramid(tmp_path: Path, **tags: str) -> tuple[Path, dict[str, Any]]:
    cog = round27b._write_tif(
        tmp_path / "class.tif",
        _checkerboard(),
        transform=from_origin(566000.0, 1343000.0, 10.0, 10.0),
        tags=tags,
    )
    round27b._run_stage(tmp_path / "out", cog)
    layer = tmp_path / "out" / "tiles" / "probability"
    return layer, json.loads((layer / "tilejson.json").read_text())


def test_every_zoom_of_a_class_maps_pyramid_holds_only_its_classes(tmp_path: Path) -> None:
    """The pyramid warps its deepest zoom and builds the three above it from 2 x 2 means
    of the zoom below: a checkerboard of "too low" and "above" was half "uncertain" at
    zooms 12 and 13 (a class with no cell in the map), and codes between classes (0.5,
    1.5) besides, in the tiles and in the archives packed from them. Every zoom holds
    "too low" and "above" only, about half each."""
    layer, doc = _stage_pyramid(tmp_path, **CLASS_TAGS)
    assert doc["maxzoom"] - doc["minzoom"] >= 2, doc  # zooms built from the one below
    for z in range(doc["minzoom"], doc["maxzoom"] + 1):
        v = _zoom_values(layer, doc, z)
        codes = set(np.unique(np.round(v, 2)).tolist())
        assert codes <= {0.0, 2.0}, (z, sorted(codes)[:10])
        assert 0.3 < float(np.mean(v == 0.0)) < 0.7, z


def test_control_a_layer_of_values_is_still_averaged_between_zooms(tmp_path: Path) -> None:
    """Control: the same cells without class tags are a layer of values, read bilinear
    and averaged from the zoom below as before: its lower zooms hold the means between 0
    and 2, not only 0 and 2."""
    layer, doc = _stage_pyramid(tmp_path)
    z = doc["maxzoom"] - 1
    v = _zoom_values(layer, doc, z)
    assert float(np.mean(np.abs(v - 1.0) < 0.6)) > 0.3, np.unique(np.round(v, 1))


def _palette_indices(png: bytes, colormap: str) -> np.ndarray:
    """The palette index (1..255) of each drawn pixel of an RGBA map image."""
    with Image.open(io.BytesIO(png)) as img:
        rgba = np.asarray(img.convert("RGBA")).astype(int)
    pal = colormap_palette(colormap)[1:, :3].astype(int)
    held = rgba[rgba[..., 3] > 0][:, :3]
    return ((held[:, None, :] - pal[None]) ** 2).sum(-1).argmin(-1) + 1


def test_a_wms_map_draws_a_small_class_map_in_its_classes(tmp_path: Path) -> None:
    """A 1 km class map in a WMS map 60 km wide falls within a few pixels, which the
    server draws as the mean of the values inside each: "too low" beside "above" was
    drawn "uncertain" (palette index 128), a class with no cell in the map. Each pixel is
    now the most common class inside it; a layer of values (the control) keeps the mean."""
    rows, cols = np.indices((100, 100))
    values = np.where(((rows // 2) + (cols // 2)) % 2 == 0, 0, 2).astype("u1")
    transform = from_origin(566000.0, 1343000.0, 10.0, 10.0)
    round27b._write_tif(tmp_path / "cls.tif", values, transform=transform, tags=CLASS_TAGS)
    round27b._write_tif(tmp_path / "vals.tif", values, transform=transform)
    config = tmp_path / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 28 (synthetic)",
                "layers": [
                    {"name": "cls", "cog": "cls.tif", "public": True},
                    {"name": "vals", "cog": "vals.tif", "public": True, "vmin": 0.0, "vmax": 2.0},
                ],
            }
        )
    )
    drawn = {}
    with live_server(config) as server, server.client(timeout=60) as c:
        for name in ("cls", "vals"):
            doc = c.get(f"/tilejson/{name}.json").json()
            w, s, e, n = doc["bounds"]
            x, y = (w + e) / 2, (s + n) / 2
            r = c.get(
                "/wms",
                params={
                    "SERVICE": "WMS",
                    "VERSION": "1.3.0",
                    "REQUEST": "GetMap",
                    "LAYERS": name,
                    "STYLES": "",
                    "CRS": "CRS:84",
                    "BBOX": f"{x - 0.3},{y - 0.3},{x + 0.3},{y + 0.3}",
                    "WIDTH": 64,
                    "HEIGHT": 64,
                    "FORMAT": "image/png",
                    "TRANSPARENT": "TRUE",
                },
            )
            assert r.status_code == 200, r.text
            drawn[name] = set(_palette_indices(r.content, doc["prospect"]["colormap"]).tolist())
    assert drawn["cls"] and drawn["cls"] <= {1, N_COLOURS}, drawn  # 0 and 2 only
    assert drawn["vals"] & set(range(100, 156)), drawn  # control: means between 0 and 2


def _class_cog_with_overviews(path: Path, resampling: str) -> Path:
    """A 10 km class map (1024 x 1024 cells of 10 m, blocks of two cells of "too low" and
    "above") with overviews of factors 2 to 8 built by ``resampling``, SYNTHETIC."""
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=1024,
        height=1024,
        count=1,
        dtype="uint8",
        crs="EPSG:32619",
        transform=from_origin(560000.0, 1350000.0, 10.0, 10.0),
        nodata=255,
        tiled=True,
        blockxsize=256,
        blockysize=256,
    ) as ds:
        ds.write(_checkerboard(1024), 1)
        ds.update_tags(synthetic="true")
        ds.update_tags(1, **CLASS_TAGS)
        ds.build_overviews([2, 4, 8], Resampling[resampling])
    return path


def _served_codes(client: Any, name: str, z: int) -> set[int]:
    """The palette indices of the served XYZ tiles of zoom ``z`` over layer ``name``."""
    import morecantile

    doc = client.get(f"/tilejson/{name}.json").json()
    w, s, e, n = doc["bounds"]
    tms = morecantile.tms.get("WebMercatorQuad")
    found: set[int] = set()
    for tile in tms.tiles(w, s, e, n, [z]):
        r = client.get(f"/tiles/{name}/{z}/{tile.x}/{tile.y}.png")
        assert r.status_code == 200, r.text
        with Image.open(io.BytesIO(r.content)) as img:
            index = np.asarray(img)
        found |= set(np.unique(index[index > 0]).tolist())
    return found


def test_a_class_cog_with_averaged_overviews_is_served_in_its_classes(tmp_path: Path) -> None:
    """A class map whose overviews were built by averaging (``gdaladdo -r average``, the
    COG driver's default) was served from them at low zooms: zoom 12's tiles held codes
    between "too low" and "above" (palette indices 2..254). Its tiles now read full
    resolution past such overviews, and ``prospect serve --check`` says why, naming the
    file and the ``gdal_translate`` that rewrites it; a mode-built COG (the control) is
    served from its overviews without a word."""
    _class_cog_with_overviews(tmp_path / "avg.tif", "average")
    _class_cog_with_overviews(tmp_path / "mode.tif", "mode")
    config = tmp_path / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 28 (synthetic)",
                "layers": [
                    {"name": "avg", "cog": "avg.tif", "public": True},
                    {"name": "mode", "cog": "mode.tif", "public": True},
                ],
            }
        )
    )
    with live_server(config) as server, server.client(timeout=60) as c:
        for name in ("avg", "mode"):
            codes = _served_codes(c, name, 12)
            assert codes and codes <= {1, N_COLOURS}, (name, sorted(codes)[:10])
    run = subprocess.run(
        [str(Path(sys.executable).parent / "prospect"), "serve", str(config), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400"},
    )
    said = " ".join((run.stdout + run.stderr).split())
    assert run.returncode == 0, said
    assert "'avg'" in said and "average its class codes" in said, said
    assert "OVERVIEW_RESAMPLING=MODE" in said and "avg.tif" in said, said
    assert "'mode'" not in said, said


def _webp_colours(data: bytes) -> set[tuple[int, int, int]]:
    """The colours of a WebP tile's drawn pixels."""
    with Image.open(io.BytesIO(data)) as img:
        rgba = np.asarray(img.convert("RGBA"))
    return {tuple(c) for c in rgba[rgba[..., 3] > 0][:, :3].tolist()}


def test_a_class_maps_webp_tiles_are_drawn_in_its_class_colours(tmp_path: Path) -> None:
    """WebP tiles were lossy (quality 90) whatever the layer: a class map's pixels at
    class borders were drawn in colours of no class (none was exactly its class's). A
    class map's WebP tiles, from the stage and the server, are lossless now: every pixel
    is "too low"'s or "above"'s colour. A layer of values (the control) stays lossy."""
    cog = round27b._write_tif(
        tmp_path / "cls.tif",
        _checkerboard(256),
        transform=from_origin(566000.0, 1343000.0, 10.0, 10.0),
        tags=CLASS_TAGS,
    )
    round27b._run_stage(tmp_path / "out", cog, format="webp")
    layer = tmp_path / "out" / "tiles" / "probability"
    doc = json.loads((layer / "tilejson.json").read_text())
    palette = colormap_palette(doc["prospect"]["colormap"])
    classes = {tuple(palette[1][:3].tolist()), tuple(palette[N_COLOURS][:3].tolist())}
    tiles = sorted(layer.rglob("*.webp"))
    assert tiles
    for tile in tiles:
        assert _webp_colours(tile.read_bytes()) <= classes, tile
    values = round27b._write_tif(
        tmp_path / "vals.tif",
        _checkerboard(256),
        transform=from_origin(566000.0, 1343000.0, 10.0, 10.0),
    )
    config = tmp_path / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 28 (synthetic)",
                "layers": [
                    {"name": "cls", "cog": cog.name, "public": True},
                    {"name": "vals", "cog": values.name, "public": True, "vmin": 0.0, "vmax": 2.0},
                ],
            }
        )
    )
    z, x, y = tiles[0].parent.parent.name, tiles[0].parent.name, tiles[0].stem
    with live_server(config) as server, server.client(timeout=60) as c:
        served = c.get(f"/tiles/cls/{z}/{x}/{y}.webp")
        assert served.status_code == 200, served.text
        assert _webp_colours(served.content) <= classes
        control = c.get(f"/tiles/vals/{z}/{x}/{y}.webp").content
    assert control[12:16] == b"VP8X" and b"VP8 " in control[:4096]  # lossy (VP8, not VP8L)


# -- archives of an earlier run --------------------------------------------------------------


def test_a_rerun_that_writes_fewer_archives_leaves_no_old_one(tmp_path: Path) -> None:
    """A job run with ``archive_formats: [pmtiles, mbtiles]`` and run again with
    ``[pmtiles]`` on new data (then with ``archive: false``) left the first run's
    ``probability.mbtiles`` beside the new tiles: the old map under the layer's name, which
    QGIS opened without a word. A rerun removes every archive it does not write."""
    old = round27b._write_tif(
        tmp_path / "old.tif", np.full((200, 200), 0.2, "f4"), dtype="float32", nodata=np.nan
    )
    new = round27b._write_tif(
        tmp_path / "new.tif", np.full((200, 200), 0.9, "f4"), dtype="float32", nodata=np.nan
    )
    out = tmp_path / "out"
    round27b._run_stage(out, old, archive_formats=["pmtiles", "mbtiles"])
    assert (out / "tiles" / "probability.mbtiles").is_file()
    round27b._run_stage(out, new, archive_formats=["pmtiles"])
    assert not (out / "tiles" / "probability.mbtiles").exists()
    assert (out / "tiles" / "probability.pmtiles").is_file()
    round27b._run_stage(out, new, archive=False)
    assert sorted(p.name for p in (out / "tiles").iterdir()) == ["probability"]


# -- a layer across the antimeridian: the extents it states --------------------------------


@pytest.fixture(scope="module")
def fiji(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Round 27's SYNTHETIC Fiji grid (UTM 60S, across 180) through the tiles stage, both
    archives written, and a Bonaire layer (a control on one side)."""
    root = tmp_path_factory.mktemp("round28_fiji")
    cog = round27._write_cog(
        root / "fiji.tif",
        round27._fiji_values(),
        "EPSG:32760",
        from_origin(*round27.FIJI_ORIGIN, round27.FIJI_CELL, round27.FIJI_CELL),
    )
    x0, y0 = round27.FIJI_ORIGIN
    side = round27.FIJI_CELL * round27.FIJI_SIZE
    round27._run_stage(root / "out", cog, "EPSG:32760", (x0, y0 - side, x0 + side, y0), 100.0)
    bonaire = round27b._write_tif(
        root / "bon.tif", np.full((200, 200), 0.5, "f4"), dtype="float32", nodata=float("nan")
    )
    round27b._run_stage(root / "bon_out", bonaire, archive_formats=["pmtiles", "mbtiles"])
    return {"root": root, "cog": cog, "bonaire": bonaire}


@pytest.fixture(scope="module")
def fiji_served(fiji: dict[str, Any]):
    config = fiji["root"] / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 28 (synthetic)",
                "layers": [
                    {"name": "fiji", "cog": fiji["cog"].name, "public": True},
                    {"name": "bon", "cog": fiji["bonaire"].name, "public": True},
                ],
            }
        )
    )
    with live_server(config) as server, server.client(timeout=60) as c:
        yield server, c


def _holds_fiji(west: float, east: float) -> bool:
    """Whether a west..east span (west <= east) holds both sides of the Fiji grid."""
    return west <= 179.9 <= east and west <= -179.9 <= east


def test_the_tilejson_of_a_layer_across_180_never_wraps(
    fiji: dict[str, Any], fiji_served: Any
) -> None:
    """The stage's and the server's TileJSON said bounds 179.8 .. -179.8 (west > east):
    TileJSON 3.0.0 says bounds MUST NOT wrap around the antimeridian, a reader treats an
    invalid value as absent, and a map library that keeps tiles within bounds (MapLibre's)
    requests none between them. They are the whole row now, and the centre, on the data,
    lies within them."""
    _, client = fiji_served
    stage = json.loads((fiji["root"] / "out/tiles/probability/tilejson.json").read_text())
    served = client.get("/tilejson/fiji.json").json()
    for doc in (stage, served):
        west, south, east, north = doc["bounds"]
        assert west <= east and _holds_fiji(west, east), doc["bounds"]
        assert -17.1 < south < north < -16.5, doc["bounds"]
        assert west <= doc["center"][0] <= east and abs(doc["center"][0]) > 179.8, doc


@needs_gdal
def test_gdal_reads_the_mbtiles_bounds_of_a_layer_across_180(fiji: dict[str, Any]) -> None:
    """The MBTiles ``bounds`` row said 179.8,..,-179.8: GDAL's MBTiles driver (QGIS's)
    warned "Invalid value for 'bounds' metadata. Ignoring it" and took the tiles' extent
    instead (a zoom's whole rows of tiles, 600 km of latitude). It takes the bounds, at
    the layer's latitudes, without a word."""
    archive = fiji["root"] / "out" / "tiles" / "probability.mbtiles"
    run = subprocess.run(
        [GDALINFO, "-json", str(archive)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "Invalid value" not in run.stderr, run.stderr
    with closing(sqlite3.connect(f"file:{archive}?mode=ro", uri=True)) as db:
        bounds = [
            float(v)
            for v in db.execute("SELECT value FROM metadata WHERE name = 'bounds'")
            .fetchone()[0]
            .split(",")
        ]
    assert bounds[0] <= bounds[2] and _holds_fiji(bounds[0], bounds[2]), bounds
    lats = [c[1] for c in json.loads(run.stdout)["wgs84Extent"]["coordinates"][0]]
    assert -17.1 < min(lats) < max(lats) < -16.5, lats


def _gdal_extent(name: str) -> tuple[float, float]:
    """West and east longitude of the raster GDAL opens as ``name``."""
    run = subprocess.run([GDALINFO, "-json", name], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    ring = json.loads(run.stdout)["wgs84Extent"]["coordinates"][0]
    lons = [c[0] for c in ring]
    return min(lons), max(lons)


@needs_gdal
def test_gdal_reads_the_wmts_layer_across_180_where_its_data_are(fiji_served: Any) -> None:
    """The WMTS ``ows:WGS84BoundingBox`` said 179.8 .. -179.8: GDAL's WMTS driver took
    its corners' min and max, -179.8 .. 179.8, a raster of every longitude but the
    layer's, so ``gdal_translate`` of the layer wrote no pixel of it. The box is the whole
    row now; GDAL's raster holds both sides of 180 and the data read there."""
    server, _ = fiji_served
    name = f"WMTS:{server.url}/wmts/1.0.0/WMTSCapabilities.xml,layer=fiji"
    west, east = _gdal_extent(name)
    assert _holds_fiji(west, east), (west, east)


def _wms_caps(client: Any, version: str) -> ET.Element:
    r = client.get(
        "/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": version}
    )
    return ET.fromstring(r.content)


@needs_gdal
def test_gdal_opens_the_wms_layer_across_180_from_its_capabilities(
    fiji_served: Any, tmp_path: Path
) -> None:
    """WMS 1.3.0's ``BoundingBox CRS="CRS:84"`` of the layer said minx 179.8, maxx -179.8
    (and 1.1.1's ``LatLonBoundingBox`` likewise), a BBOX WMS calls invalid: GDAL's WMS
    driver built its GetMap from that box and could not open the layer ("No such file or
    directory"). Every box is min before max (east counted on past 180, a BBOX the server
    draws), and GDAL opens the layer and reads data on both sides of 180."""
    server, client = fiji_served
    caps = _wms_caps(client, "1.3.0")
    layer = next(la for la in caps.iter(f"{WMS}Layer") if la.findtext(f"{WMS}Name") == "fiji")
    for box in layer.findall(f"{WMS}BoundingBox"):
        assert float(box.get("minx")) < float(box.get("maxx")), box.attrib
        assert float(box.get("miny")) < float(box.get("maxy")), box.attrib
    old = _wms_caps(client, "1.1.1")
    latlon = next(la for la in old.iter("Layer") if la.findtext("Name") == "fiji").find(
        "LatLonBoundingBox"
    )
    assert float(latlon.get("minx")) < float(latlon.get("maxx")), latlon.attrib
    run = subprocess.run(
        [GDALINFO, f"WMS:{server.url}/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    sub = next(
        line.split("=", 1)[1]
        for line in run.stdout.splitlines()
        if "SUBDATASET_" in line and "_NAME=" in line and "LAYERS=fiji" in line
    )
    out = tmp_path / "fiji.tif"
    # GDAL asks for JPEG unless told (refused here: lossy); PNG as its error says
    made = subprocess.run(
        [
            GDAL_TRANSLATE,
            "-q",
            "-outsize",
            "64",
            "64",
            f"{sub}&FORMAT=image/png&TRANSPARENT=TRUE",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    import rasterio

    with rasterio.open(out) as ds:
        alpha = ds.read(ds.count)
    assert (alpha[:, :32] > 0).mean() > 0.2 and (alpha[:, 32:] > 0).mean() > 0.2


def test_the_stac_footprint_of_a_layer_across_180_is_cut_there(fiji_served: Any) -> None:
    """The STAC item's geometry was one polygon from 179.8 to -179.8: GeoJSON readers
    (shapely, a STAC client's search, a map drawing footprints) read it as every longitude
    but the layer's, 359.6 degrees wide, holding the Gulf of Guinea. It is two polygons
    cut at 180 (RFC 7946 3.1.9), the bbox still west > east (5.2)."""
    from shapely.geometry import Point, shape

    _, client = fiji_served
    item = client.get("/stac/fiji.json").json()
    footprint = shape(item["geometry"])
    lat = (item["bbox"][1] + item["bbox"][3]) / 2
    assert not footprint.contains(Point(0.0, lat)), item["geometry"]
    assert footprint.contains(Point(179.9, lat)) and footprint.contains(Point(-179.9, lat))
    assert footprint.area < 1.0, footprint.area
    assert item["bbox"][0] > item["bbox"][2], item["bbox"]


def test_control_a_layer_on_one_side_states_its_own_bounds(
    fiji: dict[str, Any], fiji_served: Any
) -> None:
    """Control: the Bonaire layer's TileJSON, MBTiles bounds, WMTS box and WMS boxes are
    its own lon/lat bounds, as before."""
    _, client = fiji_served
    doc = json.loads((fiji["root"] / "bon_out/tiles/probability/tilejson.json").read_text())
    west, south, east, north = doc["bounds"]
    assert -68.4 < west < east < -68.3 and 12.1 < south < north < 12.2, doc["bounds"]
    archive = fiji["root"] / "bon_out" / "tiles" / "probability.mbtiles"
    with closing(sqlite3.connect(f"file:{archive}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT value FROM metadata WHERE name = 'bounds'").fetchone()[0]
    edge = 360.0 / (256 << doc["minzoom"])  # out to the lowest zoom's pixel edges (round 33)
    assert all(0 <= (a - b) * sign < edge for a, b, sign in zip(
        map(float, row.split(",")), doc["bounds"], (-1, -1, 1, 1), strict=True))
    served = client.get("/tilejson/bon.json").json()
    assert served["bounds"] == doc["bounds"]
    caps = ET.fromstring(client.get("/wmts/1.0.0/WMTSCapabilities.xml").content)
    for la in caps.iter("{http://www.opengis.net/wmts/1.0}Layer"):
        if la.findtext(f"{OWS}Identifier") == "bon":
            box = la.find(f"{OWS}WGS84BoundingBox")
            lower = [float(v) for v in box.findtext(f"{OWS}LowerCorner").split()]
            assert lower == pytest.approx([west, south])
    wms = _wms_caps(client, "1.3.0")
    layer = next(la for la in wms.iter(f"{WMS}Layer") if la.findtext(f"{WMS}Name") == "bon")
    item = client.get("/stac/bon.json").json()
    assert item["geometry"]["type"] == "Polygon" and item["bbox"] == pytest.approx(doc["bounds"])
    box = next(b for b in layer.findall(f"{WMS}BoundingBox") if b.get("CRS") == "CRS:84")
    assert [float(box.get(k)) for k in ("minx", "miny", "maxx", "maxy")] == pytest.approx(
        doc["bounds"]
    )
