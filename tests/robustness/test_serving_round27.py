"""Tile delivery as partner agencies' clients meet it, round 27: layers across the
antimeridian, maps of one value, legends of values past their range and layers beyond Web
Mercator's latitudes.

The tiles stage runs on real COGs written with rasterio (a survey grid in UTM 60S over
Taveuni, Fiji, which crosses 180 degrees; one in EPSG:4326 whose longitudes run on to
180.5; one north of 85.06 degrees; maps of one value; heat flow under a range that cuts
it), its archives are read with sqlite3, the ``pmtiles`` reader and GDAL (``gdalinfo``),
its viewer in headless Chromium, and a real server (uvicorn on loopback, in this process)
answers TileJSON, tiles, legends and the WMTS and WMS capabilities (the latter checked
against the offline OGC schema). Each non-control case failed before: a layer across 180
got zooms 0-2 for 100 m cells (its footprint was taken as the whole world), the tiles
stage wrote no tile of it ("produced no tile with data"), its TileJSON, archives and viewer
centred it at longitude 0 (the Gulf of Guinea), its viewer's click values were one cell,
the WMTS limits left out the columns east of 180 and a grid to 180.5 made the WMS
capabilities invalid; a map of one value outside 0-1 was drawn in one end colour at 0-1;
a legend read "80" for cells of 100; an Arctic layer was "no tile with data". All data
here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image
from pyproj import Transformer
from rasterio.transform import from_origin

from prospect.errors import StageError
from tests.browser import test_viewer as viewer_tests
from tiles.testing import live_server, read_pmtiles_tile, values_from_rgba

browser = viewer_tests.browser  # headless Chromium, skipped where it is absent

GDALINFO = shutil.which("gdalinfo")
WMTS = "{http://www.opengis.net/wmts/1.0}"
OWS = "{http://www.opengis.net/ows/1.1}"

# SYNTHETIC: 400 x 400 cells of 100 m in UTM 60S over Taveuni (Fiji), across 180 degrees:
# 0.25 where a cell lies west of the antimeridian (east longitudes), 0.75 east of it
FIJI_ORIGIN, FIJI_CELL, FIJI_SIZE = (800000.0, 8160000.0), 100.0, 400
WEST_VALUE, EAST_VALUE = 0.25, 0.75


def _write_cog(path: Path, values: np.ndarray, crs: str, transform: Any) -> Path:
    """A tiled float32 GeoTIFF with overviews (a COG's layout), NaN as nodata, SYNTHETIC."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=float("nan"),
        tiled=True,
        blockxsize=256,
        blockysize=256,
    ) as ds:
        ds.write(values.astype("f4"), 1)
        ds.update_tags(synthetic="true")
        ds.build_overviews([2, 4])
    return path


def _fiji_values() -> np.ndarray:
    x0, y0 = FIJI_ORIGIN
    cols = x0 + FIJI_CELL * (np.arange(FIJI_SIZE) + 0.5)
    rows = y0 - FIJI_CELL * (np.arange(FIJI_SIZE) + 0.5)
    xx, yy = np.meshgrid(cols, rows)
    lon, _ = Transformer.from_crs(32760, 4326, always_xy=True).transform(xx, yy)
    return np.where(lon > 0, WEST_VALUE, EAST_VALUE).astype("f4")


def _job(**tiles: Any):
    from prospect.config.job import JobConfig

    return JobConfig.model_validate(
        {
            "name": "round27",
            "synthetic": True,
            "region": "bonaire",
            "tiles": {
                "min_zoom": 0,
                "max_zoom": 22,
                "archive_formats": ["pmtiles", "mbtiles"],
                "layers": [{"variable": "probability"}],
                **tiles,
            },
        }
    )


def _run_stage(out: Path, cog: Path, crs: str, bounds: tuple[float, ...], res: float, **tiles: Any):
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.grid import RegionGrid

    (out / "score").mkdir(parents=True, exist_ok=True)
    shutil.copy(cog, out / "score" / "probability.tif")
    grid = RegionGrid(crs=crs, resolution=res, bounds=bounds, chunks=(256, 256), name="r27")
    return run(RunContext(job=_job(**tiles), out_dir=out, grid=grid))


def _png_values(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        rgba = np.asarray(img.convert("RGBA"))
    return values_from_rgba(rgba, colormap="viridis", vmin=0.0, vmax=1.0)


@pytest.fixture(scope="module")
def fiji(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tiles stage run on the SYNTHETIC Fiji COG, both archives written."""
    root = tmp_path_factory.mktemp("round27_fiji")
    cog = _write_cog(
        root / "fiji.tif",
        _fiji_values(),
        "EPSG:32760",
        from_origin(*FIJI_ORIGIN, FIJI_CELL, FIJI_CELL),
    )
    x0, y0 = FIJI_ORIGIN
    side = FIJI_CELL * FIJI_SIZE
    try:
        result = _run_stage(
            root / "out", cog, "EPSG:32760", (x0, y0 - side, x0 + side, y0), FIJI_CELL
        )
    except StageError as exc:  # each case then fails on what it checks
        result = exc
    tiles = root / "out" / "tiles"
    made = tiles / "probability" / "tilejson.json"
    doc = json.loads(made.read_text()) if made.is_file() else {"error": str(result)}
    return {
        "root": root,
        "cog": cog,
        "out": root / "out",
        "tiles": tiles,
        "doc": doc,
        "result": result,
    }


@pytest.fixture(scope="module")
def fiji_served(fiji: dict[str, Any]):
    config = fiji["root"] / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 27 (synthetic)",
                "min_zoom": 0,
                "max_zoom": 18,
                "layers": [{"name": "fiji", "cog": fiji["cog"].name, "public": True}],
            }
        )
    )
    with live_server(config) as server, server.client(timeout=60) as c:
        yield c


def _stage_doc(fiji: dict[str, Any]) -> dict[str, Any]:
    """The Fiji layer's TileJSON, the stage having run (it failed before: no tile)."""
    assert "error" not in fiji["doc"], fiji["doc"]["error"]
    return fiji["doc"]


# -- a layer across the antimeridian ------------------------------------------------------


def test_a_layer_across_the_antimeridian_is_tiled_at_its_own_zooms_on_both_sides(
    fiji: dict[str, Any],
) -> None:
    """A 40 km survey grid of 100 m cells across 180 degrees (UTM 60S over Taveuni) was
    taken as wide as the world: zooms 0-2, and the stage failed "produced no tile with
    data". Its zooms follow its cells (11 at 100 m) and both sides of 180 are tiled: the
    columns at the world's east edge with the values west of 180, column 0 with those
    east of it."""
    doc = _stage_doc(fiji)
    assert doc["maxzoom"] == 11 and doc["minzoom"] >= 8, doc
    z = doc["maxzoom"]
    layer = fiji["tiles"] / "probability" / str(z)
    columns = sorted(int(p.name) for p in layer.iterdir())
    assert columns[0] == 0 and columns[-1] == (1 << z) - 1, columns
    east = np.concatenate(
        [_png_values(p.read_bytes()).ravel() for p in (layer / "0").glob("*.png")]
    )
    west = np.concatenate(
        [_png_values(p.read_bytes()).ravel() for p in (layer / str((1 << z) - 1)).glob("*.png")]
    )
    assert np.nanmedian(east) == pytest.approx(EAST_VALUE, abs=0.01)
    assert np.nanmedian(west) == pytest.approx(WEST_VALUE, abs=0.01)


def test_a_layer_across_the_antimeridian_is_centred_on_its_data(fiji: dict[str, Any]) -> None:
    """TileJSON, MBTiles and PMTiles put the centre of a layer across 180 at longitude 0
    (the middle of -179.8 and 179.8): a client opening the archive looked at the Gulf of
    Guinea. The centre lies between the data's west and east, across 180."""
    from pmtiles.reader import MmapSource
    from pmtiles.reader import Reader as PMReader

    doc = _stage_doc(fiji)
    west, _, east, _ = doc["bounds"]
    # TileJSON's bounds never wrap (round 28): across 180 the whole row, the centre on data
    assert (west, east) == (-180.0, 180.0), doc["bounds"]
    assert abs(doc["center"][0]) > 179.8, doc["center"]
    with closing(
        sqlite3.connect(f"file:{fiji['tiles'] / 'probability.mbtiles'}?mode=ro", uri=True)
    ) as db:
        meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
    assert abs(float(meta["center"].split(",")[0])) > 179.8, meta["center"]
    with open(fiji["tiles"] / "probability.pmtiles", "rb") as f:
        header = PMReader(MmapSource(f)).header()
    assert abs(header["center_lon_e7"] / 1e7) > 179.8, header
    assert (header["min_zoom"], header["max_zoom"]) == (doc["minzoom"], doc["maxzoom"])


def test_the_archives_hold_the_tiles_on_both_sides_of_the_antimeridian(
    fiji: dict[str, Any],
) -> None:
    """The PMTiles archive (read with the ``pmtiles`` reader) holds the pyramid's tiles of
    column 0 and of the last column, byte for byte."""
    z = _stage_doc(fiji)["maxzoom"]
    layer = fiji["tiles"] / "probability" / str(z)
    for column in (0, (1 << z) - 1):
        tile = next((layer / str(column)).glob("*.png"))
        assert (
            read_pmtiles_tile(fiji["tiles"] / "probability.pmtiles", z, column, int(tile.stem))
            == tile.read_bytes()
        )


@pytest.mark.skipif(GDALINFO is None, reason="gdalinfo not installed")
def test_gdal_reads_the_mbtiles_of_a_layer_across_the_antimeridian(fiji: dict[str, Any]) -> None:
    """GDAL's MBTiles driver (QGIS's reader) opens the archive at the layer's latitudes."""
    _stage_doc(fiji)
    out = subprocess.run(
        [GDALINFO, "-json", str(fiji["tiles"] / "probability.mbtiles")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    info = json.loads(out)
    lats = [c[1] for c in info["wgs84Extent"]["coordinates"][0]]
    assert -17.2 < min(lats) < max(lats) < -16.4, lats


def test_the_viewer_values_of_a_layer_across_the_antimeridian_are_its_cells(
    fiji: dict[str, Any],
) -> None:
    """The static viewer's click values were a single cell (the grid's width was taken
    from west minus east): every click read one number. The grid holds the layer's
    cells, both values present."""
    _stage_doc(fiji)
    text = (fiji["out"] / "viewer" / "values.js").read_text()
    grid = json.loads(text[len("window.PROSPECT_VALUES = ") :].rstrip().rstrip(";"))
    layer = grid["probability"]
    assert layer["width"] > 100 and layer["height"] > 100, (layer["width"], layer["height"])
    held = {v for v in layer["data"] if v is not None}
    assert held == {WEST_VALUE, EAST_VALUE}


def test_the_server_offers_a_layer_across_the_antimeridian_at_its_zooms(fiji_served) -> None:
    """The server offered the layer at zooms 0-2 (and refused its own zooms), centred at
    longitude 0; its tiles east of 180 are the data's."""
    doc = fiji_served.get("/tilejson/fiji.json").json()
    assert doc["maxzoom"] == 11 and abs(doc["center"][0]) > 179.8, doc
    z, row = 11, 1120  # the stage's tiles there: 11/0/1120 and 11/2047/1120
    east = fiji_served.get(f"/tiles/fiji/{z}/0/{row}.png")
    assert east.status_code == 200, east.text[:300]
    assert np.nanmedian(_png_values(east.content)) == pytest.approx(EAST_VALUE, abs=0.01)
    west = fiji_served.get(f"/tiles/fiji/{z}/{(1 << z) - 1}/{row}.png")
    assert west.status_code == 200, west.text[:300]
    assert np.nanmedian(_png_values(west.content)) == pytest.approx(WEST_VALUE, abs=0.01)


def test_the_wmts_limits_of_a_layer_across_the_antimeridian_hold_both_sides(fiji_served) -> None:
    """``TileMatrixSetLimits`` gave the columns west of 180 only (2046-2047 at zoom 11):
    a client keeping to the limits (QGIS) never asked for the half east of it. The limits
    hold column 0 and the last column at every zoom."""
    doc = ET.fromstring(fiji_served.get("/wmts/1.0.0/WMTSCapabilities.xml").content)
    widths = {
        (tms.findtext(f"{OWS}Identifier"), m.findtext(f"{OWS}Identifier")): int(
            m.findtext(f"{WMTS}MatrixWidth")
        )
        for tms in doc.iter(f"{WMTS}TileMatrixSet")
        if tms.find(f"{OWS}Identifier") is not None
        for m in tms.iter(f"{WMTS}TileMatrix")
        if m.find(f"{OWS}Identifier") is not None
    }
    zooms = set()
    for link in doc.iter(f"{WMTS}TileMatrixSetLink"):
        name = link.findtext(f"{WMTS}TileMatrixSet")
        if name != "WebMercatorQuad":
            continue
        for lim in link.iter(f"{WMTS}TileMatrixLimits"):
            z = lim.findtext(f"{WMTS}TileMatrix")
            cols = int(lim.findtext(f"{WMTS}MinTileCol")), int(lim.findtext(f"{WMTS}MaxTileCol"))
            assert cols == (0, widths[(name, z)] - 1), (name, z, cols)
            zooms.add(int(z))
    assert max(zooms) == 11, zooms  # the layer's own zooms (they were 0-2)


def test_a_grid_in_degrees_that_runs_on_past_180_is_tiled(tmp_path: Path) -> None:
    """A region grid in EPSG:4326 from 179.5 to 180.5 (longitudes past 180, as a grid
    made by adding cells to the east is written): its bounds were no place (180.5), its
    zoom 0, and the stage wrote no tile. It is tiled on both sides of 180 and its bounds
    are said in -180..180."""
    values = np.full((100, 100), WEST_VALUE, "f4")
    values[:, 50:] = EAST_VALUE
    cog = _write_cog(
        tmp_path / "deg.tif", values, "EPSG:4326", from_origin(179.5, -16.0, 0.01, 0.01)
    )
    _run_stage(tmp_path / "out", cog, "EPSG:4326", (179.5, -17.0, 180.5, -16.0), 0.01)
    layer = tmp_path / "out" / "tiles" / "probability"
    doc = json.loads((layer / "tilejson.json").read_text())
    # said in -180..180, and never wrapping in TileJSON (round 28): the whole row
    assert (doc["bounds"][0], doc["bounds"][2]) == (-180.0, 180.0), doc["bounds"]
    assert doc["maxzoom"] == 7 and abs(doc["center"][0]) == pytest.approx(180.0)
    z = doc["maxzoom"]
    assert {int(p.name) for p in (layer / str(z)).iterdir()} == {0, (1 << z) - 1}
    east = np.concatenate(
        [_png_values(p.read_bytes()).ravel() for p in (layer / str(z) / "0").glob("*.png")]
    )
    assert np.nanmedian(east) == pytest.approx(EAST_VALUE, abs=0.01)


def test_control_a_layer_west_of_the_antimeridian_keeps_its_tiles(tmp_path: Path) -> None:
    """Control: a grid ending just west of 180 (UTM 60S, 170 km from it) is tiled as before:
    one side only, centred on the middle of its bounds."""
    values = np.full((200, 200), WEST_VALUE, "f4")
    cog = _write_cog(
        tmp_path / "west.tif", values, "EPSG:32760", from_origin(600000.0, 8160000.0, 100.0, 100.0)
    )
    _run_stage(
        tmp_path / "out", cog, "EPSG:32760", (600000.0, 8140000.0, 620000.0, 8160000.0), 100.0
    )
    layer = tmp_path / "out" / "tiles" / "probability"
    doc = json.loads((layer / "tilejson.json").read_text())
    west, _, east, _ = doc["bounds"]
    assert west < east < 180.0 and doc["maxzoom"] == 11
    assert doc["center"][0] == pytest.approx((west + east) / 2)
    columns = {int(p.name) for p in (layer / "11").iterdir()}
    assert columns and max(columns) < (1 << 11) - 1 and min(columns) > 1024


# -- maps of one value ----------------------------------------------------------------------

# SYNTHETIC: 200 x 200 cells of 10 m on Bonaire (UTM 19N), the north-west corner no data
BONAIRE_ORIGIN, BONAIRE_BOUNDS = (566000.0, 1343000.0), (566000.0, 1341000.0, 568000.0, 1343000.0)


def _one_value_cog(path: Path, value: float) -> Path:
    values = np.full((200, 200), value, "f4")
    values[:40, :40] = np.nan
    return _write_cog(path, values, "EPSG:32619", from_origin(*BONAIRE_ORIGIN, 10.0, 10.0))


def test_a_map_of_one_value_outside_0_1_is_drawn_with_a_range_that_holds_it(tmp_path: Path) -> None:
    """A layer of one value, 5 (heat flow of a first survey, a constant fill), without
    vmin/vmax: its 2-98 % range is "5 to 5", which no legend can have, so it was left at
    0-1: every tile the ramp's end colour, the legend saying 1, and a warning advising
    "set vmin and vmax ... 5 to 5", which the config refuses. Its range is now the value
    +- 10 % (4.5 to 5.5): the tiles read 5 back through their legend, and a note says so."""
    cog = _one_value_cog(tmp_path / "five.tif", 5.0)
    result = _run_stage(tmp_path / "out", cog, "EPSG:32619", BONAIRE_BOUNDS, 10.0)
    layer = tmp_path / "out" / "tiles" / "probability"
    doc = json.loads((layer / "tilejson.json").read_text())
    vmin, vmax = doc["prospect"]["vmin"], doc["prospect"]["vmax"]
    assert vmin < 5.0 < vmax and (vmin, vmax) == (4.5, 5.5), (vmin, vmax)
    tile = next(layer.glob("[0-9]*/*/*.png"))
    with Image.open(tile) as img:
        rgba = np.asarray(img.convert("RGBA"))
    read = values_from_rgba(rgba, colormap="viridis", vmin=vmin, vmax=vmax)
    assert np.nanmedian(read) == pytest.approx(5.0, abs=0.01)
    notes = " ".join(result.notes)
    assert "4.5 to 5.5" in notes and "one value" in notes, notes
    assert "of the data: 5 to 5" not in notes, notes


def test_a_range_set_round_a_map_of_one_value_is_advised_as_one_the_config_takes(
    tmp_path: Path,
) -> None:
    """A range set in the config (0 to 1) for a map of one value (5): the warning advised
    "5 to 5", which ``tiles.layers`` refuses (vmax must be greater than vmin). It names a
    range that holds the value, and that range is a valid layer config."""
    from prospect.config.tiles import TileLayerConfig

    cog = _one_value_cog(tmp_path / "five.tif", 5.0)
    result = _run_stage(
        tmp_path / "out",
        cog,
        "EPSG:32619",
        BONAIRE_BOUNDS,
        10.0,
        layers=[{"variable": "probability", "vmin": 0.0, "vmax": 1.0}],
    )
    warning = next(n for n in result.notes if n.startswith("warning"))
    assert "of the data: 5 to 5" not in warning and "all 5" in warning, warning
    lo, hi = (float(v) for v in re.search(r"e\.g\. ([-0-9.e]+) to ([-0-9.e]+)", warning).groups())
    assert lo < 5.0 < hi
    TileLayerConfig(variable="probability", vmin=lo, vmax=hi)


def test_the_server_draws_a_map_of_one_value_as_the_stage_does(tmp_path: Path) -> None:
    """``prospect serve`` takes a layer's range from the same rule: a map of one value
    (-20, a depth) was served at 0-1 (every tile one end colour); its TileJSON now states
    -22 to -18 and its tiles read -20 back, and the start-up note says where the range
    came from."""
    _one_value_cog(tmp_path / "depth.tif", -20.0)
    config = tmp_path / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 27 (synthetic)",
                "layers": [{"name": "depth", "cog": "depth.tif", "public": True}],
            }
        )
    )
    with live_server(config) as server, server.client(timeout=60) as c:
        doc = c.get("/tilejson/depth.json").json()
        vmin, vmax = doc["prospect"]["vmin"], doc["prospect"]["vmax"]
        assert (vmin, vmax) == (-22.0, -18.0), (vmin, vmax)
        z = doc["maxzoom"]
        from tiles.source import WEB_MERCATOR

        x, y, _ = WEB_MERCATOR.tile(*doc["center"][:2], z)
        r = c.get(f"/tiles/depth/{z}/{x}/{y}.png")
        assert r.status_code == 200
        with Image.open(io.BytesIO(r.content)) as img:
            rgba = np.asarray(img.convert("RGBA"))
    read = values_from_rgba(rgba, colormap="viridis", vmin=vmin, vmax=vmax)
    assert np.nanmedian(read) == pytest.approx(-20.0, abs=0.05)


def test_control_a_map_of_one_value_inside_0_1_keeps_the_default_range(tmp_path: Path) -> None:
    """Control: a map of one value inside 0-1 (0.5) keeps 0 to 1, without a note."""
    cog = _one_value_cog(tmp_path / "half.tif", 0.5)
    result = _run_stage(tmp_path / "out", cog, "EPSG:32619", BONAIRE_BOUNDS, 10.0)
    doc = json.loads((tmp_path / "out" / "tiles" / "probability" / "tilejson.json").read_text())
    assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (0.0, 1.0)
    assert not any("colour range" in n for n in result.notes), result.notes


def test_control_a_map_of_spread_values_keeps_its_2_98_range(tmp_path: Path) -> None:
    """Control: heat flow spread over 40-160 mW/m2 is still stretched to its 2-98 %."""
    values = np.linspace(40, 160, 200 * 200, dtype="f4").reshape(200, 200)
    cog = _write_cog(
        tmp_path / "heat.tif", values, "EPSG:32619", from_origin(*BONAIRE_ORIGIN, 10.0, 10.0)
    )
    result = _run_stage(tmp_path / "out", cog, "EPSG:32619", BONAIRE_BOUNDS, 10.0)
    doc = json.loads((tmp_path / "out" / "tiles" / "probability" / "tilejson.json").read_text())
    assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (42.4, 158.0)
    assert any("the 2-98 % of its data" in n for n in result.notes), result.notes


# -- a layer beyond Web Mercator's latitudes ------------------------------------------------


def test_a_layer_beyond_web_mercators_latitudes_is_refused_saying_why(tmp_path: Path) -> None:
    """A grid north of 85.06 degrees (an Arctic survey in EPSG:4326): the stage failed with
    "produced no tile with data", as if the data were empty. It says the data lie beyond
    Web Mercator's latitudes, where XYZ tiles end, and how to deliver them instead."""
    values = np.random.default_rng(27).random((100, 200)).astype("f4")
    cog = _write_cog(
        tmp_path / "arctic.tif", values, "EPSG:4326", from_origin(10.0, 89.5, 0.01, 0.01)
    )
    with pytest.raises(StageError) as err:
        _run_stage(tmp_path / "out", cog, "EPSG:4326", (10.0, 88.5, 12.0, 89.5), 0.01)
    text = str(err.value)
    assert "88.5000 to 89.5000" in text and "85.0511" in text and "WMS" in text, text
    assert not (tmp_path / "out" / "tiles" / "probability").exists()


# -- the viewer of a layer across the antimeridian (headless Chromium) ----------------------


@pytest.mark.browser
def test_the_static_viewer_opens_a_layer_across_the_antimeridian_on_its_data(
    browser, fiji: dict[str, Any]
) -> None:
    """The stage's viewer (from disk, in Chromium) fitted bounds of west 179.8, east -179.8
    as the whole world the other way round, and its click values read one cell. It opens
    on the layer at 180 degrees, draws tiles of both sides and a click reads a cell."""
    _stage_doc(fiji)
    browser.get((fiji["out"] / "viewer" / "index.html").as_uri())
    viewer_tests._wait(
        browser, "return document.querySelectorAll('.leaflet-tile-loaded').length >= 2"
    )
    lon, zoom = browser.execute_script(
        "const m = window.prospectMap; return [m.getCenter().lng, m.getZoom()];"
    )
    assert abs(abs(lon) - 180.0) < 0.3 and zoom >= 8, (lon, zoom)
    sources = browser.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-tile-loaded')).map(t => t.src)"
    )
    columns = {int(re.search(r"/(\d+)/(\d+)/\d+\.png$", s).group(2)) for s in sources}
    assert 0 in columns and (1 << zoom) - 1 in columns, sources
    text = viewer_tests._click_map_centre(browser)
    assert re.search(r"Probability: 0\.(25|75) \(value of the 100 m cell\)", text), text


# -- legends of layers with values beyond their colour range -------------------------------


def _heat_cog(path: Path) -> Path:
    """SYNTHETIC heat flow, 55-100 mW/m2, on the Bonaire grid."""
    values = np.linspace(55.0, 100.0, 200 * 200, dtype="f4").reshape(200, 200)
    return _write_cog(path, values, "EPSG:32619", from_origin(*BONAIRE_ORIGIN, 10.0, 10.0))


def test_the_stages_legend_says_where_values_go_past_the_range(tmp_path: Path) -> None:
    """Heat flow of 55-100 mW/m2 drawn with the range the config sets, 0 to 80: every
    cell above 80 is the ramp's end colour, and the legend's end read "80", so a cell of
    100 was read as 80. The legend's end now reads "≥ 80" (the low end, which no value
    passes, is as before)."""
    from prospect.config.tiles import TileLayerConfig
    from tiles.legend import legend_png

    cog = _heat_cog(tmp_path / "heat.tif")
    _run_stage(
        tmp_path / "out",
        cog,
        "EPSG:32619",
        BONAIRE_BOUNDS,
        10.0,
        layers=[{"variable": "probability", "vmin": 0.0, "vmax": 80.0}],
    )
    legend = (tmp_path / "out" / "tiles" / "probability" / "legend.png").read_bytes()
    layer = TileLayerConfig(variable="probability", vmin=0.0, vmax=80.0)
    label = "Probability (synthetic data)"
    assert legend == legend_png(layer, title=label, units="", clamped=(False, True))
    assert legend != legend_png(layer, title=label, units="")


def test_the_servers_legend_says_where_values_go_past_the_range(tmp_path: Path) -> None:
    """``prospect serve``'s legend of the same layer (a range of 60 to 80 set in its
    config): both ends read "≤ 60" and "≥ 80", at /legend and in GetLegendGraphic."""
    from prospect.config.tiles import TileLayerConfig
    from tiles.legend import legend_png

    _heat_cog(tmp_path / "heat.tif")
    config = tmp_path / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 27 (synthetic)",
                "layers": [
                    {
                        "name": "heat",
                        "cog": "heat.tif",
                        "public": True,
                        "title": "Heat flow",
                        "units": "mW/m2",
                        "vmin": 60.0,
                        "vmax": 80.0,
                    }
                ],
            }
        )
    )
    with live_server(config) as server, server.client(timeout=60) as c:
        served = c.get("/legend/heat.png")
        graphic = c.get(
            "/wms",
            params={
                "SERVICE": "WMS",
                "VERSION": "1.3.0",
                "REQUEST": "GetLegendGraphic",
                "LAYER": "heat",
                "FORMAT": "image/png",
                "SLD_VERSION": "1.1.0",
            },
        )
    layer = TileLayerConfig(variable="heat", vmin=60.0, vmax=80.0, title="Heat flow", units="mW/m2")
    label = "Heat flow (synthetic data)"
    expected = legend_png(layer, title=label, units="mW/m2", clamped=(True, True))
    assert served.status_code == 200 and served.content == expected
    assert graphic.status_code == 200 and graphic.content == expected


def test_control_a_legend_whose_layer_lies_within_its_range_is_unchanged(tmp_path: Path) -> None:
    """Control: a probability layer within 0-1 keeps the legend it had (no "≤"/"≥")."""
    from prospect.config.tiles import TileLayerConfig
    from tiles.legend import legend_png

    cog = _one_value_cog(tmp_path / "half.tif", 0.5)
    _run_stage(tmp_path / "out", cog, "EPSG:32619", BONAIRE_BOUNDS, 10.0)
    legend = (tmp_path / "out" / "tiles" / "probability" / "legend.png").read_bytes()
    assert legend == legend_png(
        TileLayerConfig(variable="probability"), title="Probability (synthetic data)", units=""
    )


SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "ogc_schemas_wmts_wms"


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="offline OGC schemas not present")
def test_the_wms_capabilities_of_a_grid_run_on_past_180_are_valid(tmp_path: Path) -> None:
    """A COG in degrees from 179.5 to 180.5 served by ``prospect serve``: its
    ``EX_GeographicBoundingBox`` said ``eastBoundLongitude`` 180.5, which WMS 1.3.0's
    schema refuses (-180..180), so QGIS and ArcGIS, which parse it strictly, opened no
    layer of the server. Its bounds are -179.5 east of 179.5 west, and the document is
    valid."""
    from lxml import etree

    from tiles.testing import wms_130_schema

    values = np.full((100, 100), WEST_VALUE, "f4")
    _write_cog(tmp_path / "deg.tif", values, "EPSG:4326", from_origin(179.5, -16.0, 0.01, 0.01))
    config = tmp_path / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 27 (synthetic)",
                "layers": [{"name": "deg", "cog": "deg.tif", "public": True}],
            }
        )
    )
    with live_server(config) as server, server.client(timeout=60) as c:
        r = c.get(
            "/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}
        )
    doc = etree.fromstring(r.content)
    schema = wms_130_schema(SCHEMAS)
    assert schema.validate(doc), schema.error_log.last_error
    box = doc.find(
        ".//{http://www.opengis.net/wms}Layer/{http://www.opengis.net/wms}Layer"
        "/{http://www.opengis.net/wms}EX_GeographicBoundingBox"
    )
    east = float(box.findtext("{http://www.opengis.net/wms}eastBoundLongitude"))
    assert east == pytest.approx(-179.5)
