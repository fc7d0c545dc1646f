"""Tile delivery as partner agencies' clients meet it, round 30: class maps stated only by a
colour table or ``LAYER_TYPE=thematic``, class maps of more classes than a palette has
colours, class maps and large cube variables with no data, ``/point`` in a cell without
data and the MBTiles ``version`` row.

A geology map is a COG written with rasterio as QGIS and ArcGIS export a "paletted" map:
units 1..5 in 2 x 2 cells, a colour table and nothing else saying what the codes are; the
same with GDAL's ``LAYER_TYPE=thematic`` band tag (ERDAS Imagine's, kept by
``gdal_translate``); the same codes without either (a control, a layer of values). Beside
them: a map of 400 units stated by CF flags, a class map whose every cell is no data, a
layer of values whose west half is no data, and a cube variable of 4100 x 4100 cells
holding no value. A real server (uvicorn on loopback, in this process) serves them to XYZ,
``/point`` and WMS clients; ``prospect serve --check`` runs in-process; the tiles stage
tiles the paletted map into its pyramid and an MBTiles archive. Each non-control case
failed before: the paletted and thematic maps were read bilinear (256 colours in a tile of
five units) and coloured over their 2-98 %; the map of 400 units and the empty class map
were "config and layers OK"; ``/point`` called a no-data cell of the layer "not inside";
MBTiles' ``version`` was ``1.0.0``, where MBTiles 1.3 says a number.
All data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image
from pyproj import Transformer
from rasterio.transform import from_origin

from tests.robustness.conftest import run_in_process
from tiles.colormap import render_indexed
from tiles.legend import LEGEND_SIZE, class_legend_height
from tiles.testing import live_server

ORIGIN = (566000.0, 1343000.0)  # Bonaire, UTM 19N: 200 x 200 cells of 10 m
PALETTE = {
    0: (0, 0, 0, 0),
    1: (230, 25, 75, 255),
    2: (60, 180, 75, 255),
    3: (255, 225, 25, 255),
    4: (0, 130, 200, 255),
    5: (245, 130, 48, 255),
}
TO_LONLAT = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
TMS = morecantile.tms.get("WebMercatorQuad")


def _write_tif(
    path: Path,
    values: np.ndarray,
    *,
    dtype: str,
    nodata: float | None,
    band_tags: dict[str, str] | None = None,
    colormap: dict[int, tuple[int, int, int, int]] | None = None,
) -> Path:
    """A tiled GeoTIFF with nearest overviews (a COG's layout), SYNTHETIC."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=dtype,
        crs="EPSG:32619",
        transform=from_origin(*ORIGIN, 10.0, 10.0),
        nodata=nodata,
        tiled=True,
        blockxsize=256,
        blockysize=256,
    ) as ds:
        ds.write(values.astype(dtype), 1)
        ds.update_tags(synthetic="true")
        ds.update_tags(1, **(band_tags or {}))
        if colormap:
            ds.write_colormap(1, colormap)
        ds.build_overviews([2, 4], rasterio.enums.Resampling.nearest)
    return path


def _units() -> np.ndarray:
    """Units 1..5 in a checkerboard of 2 x 2 cells (every border a unit's neighbour's)."""
    rows, cols = np.indices((200, 200))
    return (1 + ((rows // 2) * 2 + (cols // 2)) % 5).astype("u1")


def _dem() -> np.ndarray:
    """Heights -20..480 m rising to the east (Int16, every cell a value)."""
    return (np.indices((200, 200))[1] * 2.5 - 20).astype("i2")


def _flags(codes: list[int]) -> dict[str, str]:
    return {
        "flag_values": " ".join(map(str, codes)),
        "flag_meanings": " ".join(f"unit_{c}" for c in codes),
    }


def _grid(cells: int = 200, name: str = "r30") -> Any:
    from prospect.grid import RegionGrid

    size = cells * 10.0
    return RegionGrid(
        crs="EPSG:32619",
        resolution=10.0,
        bounds=(ORIGIN[0], ORIGIN[1] - size, ORIGIN[0] + size, ORIGIN[1]),
        chunks=(1024, 1024) if cells > 256 else (256, 256),
        name=name,
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The COGs and a serve config of all of them."""
    root = tmp_path_factory.mktemp("round30")
    half = np.linspace(0, 1, 40000, dtype="f4").reshape(200, 200)
    half[:, :100] = np.nan  # the west half: no data (a sea, a cloud)
    rows, cols = np.indices((200, 200))
    cogs = {
        "paletted": _write_tif(
            root / "paletted.tif", _units(), dtype="uint8", nodata=0, colormap=PALETTE
        ),
        "thematic": _write_tif(
            root / "thematic.tif",
            _units(),
            dtype="uint8",
            nodata=0,
            band_tags={"LAYER_TYPE": "thematic"},
        ),
        "plain": _write_tif(root / "plain.tif", _units(), dtype="uint8", nodata=0),
        "units400": _write_tif(
            root / "units400.tif",
            (rows * 200 + cols) % 400 + 1,
            dtype="uint16",
            nodata=0,
            band_tags=_flags(list(range(1, 401))),
        ),
        "blank": _write_tif(
            root / "blank.tif",
            np.full((200, 200), 255),
            dtype="uint8",
            nodata=255,
            band_tags=_flags([0, 1, 2]),
        ),
        "half": _write_tif(root / "half.tif", half, dtype="float32", nodata=np.nan),
        # a DEM in Int16 and a map of zones in Byte without a nodata value, as many are
        "dem": _write_tif(root / "dem.tif", _dem(), dtype="int16", nodata=None),
        "zones": _write_tif(root / "zones.tif", _units(), dtype="uint8", nodata=None),
    }
    fiji = np.full((100, 100), np.nan, dtype="f4")
    fiji[:, 60:] = 0.25  # cells 180.1 to 180.5 E: -179.9 to -179.5
    with rasterio.open(
        root / "fiji.tif",
        "w",
        driver="GTiff",
        width=100,
        height=100,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        nodata=np.nan,
        transform=from_origin(179.5, -16.0, 0.01, 0.01),
    ) as ds:
        ds.write(fiji, 1)
        ds.update_tags(synthetic="true")
    cogs["fiji"] = root / "fiji.tif"
    with rasterio.open(
        root / "arctic.tif",
        "w",
        driver="GTiff",
        width=100,
        height=100,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        nodata=np.nan,
        transform=from_origin(10.0, 89.5, 0.02, 0.01),
    ) as ds:
        ds.write(np.full((100, 100), 0.75, dtype="f4"), 1)  # 88.5 to 89.5 N
        ds.update_tags(synthetic="true")
    cogs["arctic"] = root / "arctic.tif"
    config = root / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 30 (synthetic)",
                "layers": [
                    {"name": name, "cog": cog.name, "public": True} for name, cog in cogs.items()
                ],
            }
        )
    )
    return {"root": root, "cogs": cogs, "config": config}


@pytest.fixture(scope="module")
def served(corpus: dict[str, Any]):
    with live_server(corpus["config"]) as server, server.client(timeout=60) as c:
        yield c


def _indices(png: bytes) -> set[int]:
    """A paletted tile's palette indices of its data pixels."""
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode == "P", img.mode
        index = np.asarray(img)
    return set(np.unique(index[index > 0]).tolist())


def _five_units() -> set[int]:
    """The palette indices of codes 1..5 coloured from 1 to 5."""
    return set(
        render_indexed(np.arange(1, 6, dtype="f4")[None], vmin=1.0, vmax=5.0).ravel().tolist()
    )


def _served_indices(served: Any, name: str) -> tuple[dict[str, Any], set[int]]:
    doc = served.get(f"/tilejson/{name}.json").json()
    w, s, e, n = doc["bounds"]
    found: set[int] = set()
    for tile in TMS.tiles(w, s, e, n, [doc["maxzoom"]]):
        r = served.get(f"/tiles/{name}/{tile.z}/{tile.x}/{tile.y}.png")
        assert r.status_code == 200, r.text
        found |= _indices(r.content)
    return doc, found


# -- class maps stated by a colour table or LAYER_TYPE=thematic ---------------------------


@pytest.mark.parametrize("name", ["paletted", "thematic"])
def test_a_coded_map_is_served_as_its_classes(served: Any, name: str) -> None:
    """A geology map exported "paletted" (a colour table, no class names) or tagged
    ``LAYER_TYPE=thematic`` was read bilinear: a tile of five units held 256 colours
    (granite and black shale averaged into units that are not there), coloured over its
    2-98 %. It is a class map now: read nearest, its tiles hold its five units' colours
    only, coloured over its codes 1 to 5."""
    doc, found = _served_indices(served, name)
    assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (1.0, 5.0), doc["prospect"]
    assert found == _five_units(), sorted(found)


def test_control_the_same_codes_without_a_colour_table_stay_values(served: Any) -> None:
    """Control: the same codes in a band with neither a colour table nor a thematic tag
    are a layer of values, read bilinear as before (colours between the units)."""
    _, found = _served_indices(served, "plain")
    assert len(found) > 5, sorted(found)


def test_a_coded_maps_legend_and_feature_info_list_its_codes(served: Any) -> None:
    """The legend of a paletted map was a ramp; it lists its codes now, and feature info
    gives the cell's code (no class name: the file names none)."""
    r = served.get("/legend/paletted.png")
    assert r.status_code == 200
    with Image.open(io.BytesIO(r.content)) as img:  # a list of its five codes, not a ramp
        assert img.size == (LEGEND_SIZE[0], class_legend_height(5)), img.size
    lon, lat = TO_LONLAT.transform(ORIGIN[0] + 1005.0, ORIGIN[1] - 1005.0)
    r = served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetFeatureInfo",
            "LAYERS": "paletted",
            "QUERY_LAYERS": "paletted",
            "STYLES": "",
            "CRS": "CRS:84",
            "BBOX": f"{lon - 1e-4},{lat - 1e-4},{lon + 1e-4},{lat + 1e-4}",
            "WIDTH": 9,
            "HEIGHT": 9,
            "I": 4,
            "J": 4,
            "INFO_FORMAT": "application/json",
        },
    )
    assert r.status_code == 200, r.text
    props = r.json()["features"][0]["properties"]
    assert props["value"] in {1.0, 2.0, 3.0, 4.0, 5.0} and "class" not in props, props


@pytest.fixture(scope="module")
def staged(corpus: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiles stage run on the paletted map (as the score stage's ``geology.tif``),
    with an MBTiles archive; its ``tiles/`` folder."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig

    out = tmp_path_factory.mktemp("round30stage") / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(corpus["cogs"]["paletted"], out / "score" / "geology.tif")
    job = JobConfig.model_validate(
        {
            "name": "round30",
            "synthetic": True,
            "region": "bonaire",
            "tiles": {
                "min_zoom": 0,
                "max_zoom": 22,
                "archive_formats": ["mbtiles"],
                "layers": [{"variable": "geology", "role": "value"}],
            },
        }
    )
    run(RunContext(job=job, out_dir=out, grid=_grid()))
    return out / "tiles"


def test_the_stage_tiles_a_paletted_map_as_its_classes(staged: Path) -> None:
    """The tiles stage drew the paletted map as values too (its pyramid's tiles held
    colours between the units); they hold its five units' colours now."""
    layer = staged / "geology"
    doc = json.loads((layer / "tilejson.json").read_text())
    found: set[int] = set()
    for png in (layer / str(doc["maxzoom"])).rglob("*.png"):
        found |= _indices(png.read_bytes())
    assert found == _five_units(), sorted(found)


def test_the_mbtiles_version_is_a_number(staged: Path) -> None:
    """The MBTiles archive's ``version`` row was ``1.0.0``, TileJSON's semver, where
    MBTiles 1.3 says a number (the tileset's revision); a number now."""
    with closing(sqlite3.connect(staged / "geology.mbtiles")) as db:
        version = dict(db.execute("SELECT name, value FROM metadata"))["version"]
    assert float(version).is_integer(), version  # '1.0.0' is no number


# -- what `prospect serve --check` says ----------------------------------------------------


@pytest.fixture(scope="module")
def checked(corpus: dict[str, Any]) -> str:
    outcome = run_in_process("serve", corpus["config"], "--check")
    assert outcome.code == 0, outcome.out + outcome.err
    return " ".join((outcome.out + outcome.err).split())


def test_serve_check_says_a_class_map_has_more_classes_than_colours(checked: str) -> None:
    """A map of 400 units shares each of the palette's 255 colours between neighbouring
    units (400 codes, 255 colours) in tiles, maps and legend: "config and layers OK",
    without a word. A warning names the layer, its count and the fix; the five-unit maps
    get none (control)."""
    assert "layer 'units400': its 400 classes are more than the 255 colours" in checked, checked
    assert "merge classes" in checked, checked
    assert checked.count("classes are more than") == 1, checked


def test_serve_check_says_a_class_map_holds_no_data(checked: str) -> None:
    """A class map was never sampled at start-up, so one whose every cell is no data
    (its nodata code written everywhere) was "config and layers OK" and served blank; a
    layer of values got that warning (round 29). It is said for the class map now."""
    assert "layer 'blank': its data" in checked and "hold no value" in checked, checked
    assert "layer 'half': its data" not in checked, checked  # control: half has data


def test_serve_check_says_a_large_cube_variable_holds_no_data(tmp_path: Path) -> None:
    """A cube variable over 16.8 M cells is not sampled at start-up (no overviews: the
    sample would decode every chunk), so one holding no value at all was served blank
    with only "its colour range was not checked". The cube stores no chunk of it (every
    cell its fill value, no data): the warning says it holds no value; a variable of the
    same size with data keeps the warning it had (control)."""
    import dask.array as da
    import xarray as xr

    from prospect.io.cube import add_variables, create_cube, open_cube

    cube = tmp_path / "cube.zarr"
    grid = _grid(4100, "r30big")
    create_cube(cube, grid, attrs={"synthetic": True})
    like = open_cube(cube)
    empty = da.full((4100, 4100), np.nan, dtype="f4", chunks=(1024, 1024))
    held = empty.copy()
    held[:1, :1] = 0.5
    add_variables(
        cube,
        xr.Dataset(
            {
                name: xr.DataArray(
                    data,
                    dims=("y", "x"),
                    coords={"y": like.y, "x": like.x},
                    attrs={"units": "1", "long_name": name},
                )
                for name, data in (("empty", empty), ("held", held))
            }
        ),
    )
    config = tmp_path / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "layers": [
                    {"name": n, "cube": str(cube), "variable": n, "public": True}
                    for n in ("empty", "held")
                ]
            }
        )
    )
    outcome = run_in_process("serve", config, "--check")
    text = " ".join((outcome.out + outcome.err).split())
    assert outcome.code == 0, text
    assert "layer 'empty': its data" in text and "hold no value" in text, text
    assert "stores no chunk" in text, text
    assert "layer 'held': its colour range was not checked" in text, text
    assert "layer 'held': its data" not in text, text


# -- /point where the cell has no data -----------------------------------------------------


def test_point_in_a_no_data_cell_of_the_layer_is_inside(served: Any) -> None:
    """``/point`` of a cell of the layer without data (its west half) said ``"inside":
    false``, as for a place the layer does not reach: a client could not tell a masked
    cell from a click off the map. Now inside, with no value; a click beyond the layer
    stays outside, and a cell with data keeps its value (controls)."""
    west = TO_LONLAT.transform(ORIGIN[0] + 500.0, ORIGIN[1] - 1000.0)
    east = TO_LONLAT.transform(ORIGIN[0] + 1500.0, ORIGIN[1] - 1000.0)
    away = TO_LONLAT.transform(ORIGIN[0] + 2500.0, ORIGIN[1] - 1000.0)

    def point(lonlat: tuple[float, float]) -> dict[str, Any]:
        r = served.get("/point/half", params={"lon": lonlat[0], "lat": lonlat[1]})
        assert r.status_code == 200, r.text
        return r.json()

    got = point(west)
    assert (got["value"], got["inside"]) == (None, True), got
    got = point(away)
    assert (got["value"], got["inside"]) == (None, False), got
    got = point(east)
    assert got["inside"] is True and 0.5 < got["value"] <= 1.0, got


def test_point_and_feature_info_east_of_180_in_a_grid_in_degrees(served: Any) -> None:
    """A layer in degrees run on past 180 (179.5 to 180.5 E, as GDAL writes a grid of Fiji
    in EPSG:4326) holds -179.8 as 180.2: its tiles draw the value there, but ``/point`` and
    GetFeatureInfo (QGIS's identify) read -179.8 and found no data (``"inside": false``).
    They read the cell at 180.2 now; a cell west of 180 with no data stays no value
    (control)."""
    r = served.get("/point/fiji", params={"lon": -179.8, "lat": -16.5})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["value"], got["inside"]) == (0.25, True), got
    got = served.get("/point/fiji", params={"lon": 179.55, "lat": -16.5}).json()
    assert (got["value"], got["inside"]) == (None, True), got
    r = served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetFeatureInfo",
            "LAYERS": "fiji",
            "QUERY_LAYERS": "fiji",
            "STYLES": "",
            "CRS": "CRS:84",
            "BBOX": "-179.81,-16.51,-179.79,-16.49",
            "WIDTH": 9,
            "HEIGHT": 9,
            "I": 4,
            "J": 4,
            "INFO_FORMAT": "application/json",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["features"][0]["properties"]["value"] == 0.25, r.text


def test_point_north_of_web_mercator_reads_the_layer(served: Any) -> None:
    """A layer north of 85.06 degrees (an Arctic survey in EPSG:4326, which the server
    tells to read through WMS in EPSG:4326) was refused a ``/point`` at every one of its
    cells: "'lat' must be within -85.06..85.06". ``/point`` takes WGS 84's whole range now
    and reads the cell; a latitude past 90 is still refused (control)."""
    r = served.get("/point/arctic", params={"lon": 10.5, "lat": 89.0})
    assert r.status_code == 200, r.text
    assert (r.json()["value"], r.json()["inside"]) == (0.75, True), r.json()
    r = served.get("/point/arctic", params={"lon": 10.5, "lat": 90.5})
    assert r.status_code == 400 and "-90.0..90.0" in r.text, r.text


# -- integer COGs without a nodata value -----------------------------------------------------


@pytest.mark.parametrize("name", ["dem", "zones"])
def test_an_integer_cog_without_a_nodata_value_is_drawn(served: Any, name: str) -> None:
    """A DEM in Int16 or a map of zones in Byte that sets no nodata value (every cell a
    value) had every tile and map refused: "internal error (ValueError)", 500, the warp
    given NaN as the no data of a band of whole numbers ("src_nodata must be in valid
    range for source dtype"). Its tiles and maps are drawn now, every cell with data."""
    doc = served.get(f"/tilejson/{name}.json").json()
    w, s, e, n = doc["bounds"]
    tile = TMS.tile((w + e) / 2, (s + n) / 2, doc["maxzoom"])
    r = served.get(f"/tiles/{name}/{tile.z}/{tile.x}/{tile.y}.png")
    assert r.status_code == 200, r.text
    assert _indices(r.content), "a blank tile"
    r = served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": name,
            "STYLES": "",
            "CRS": "CRS:84",
            "BBOX": f"{w},{s},{e},{n}",
            "WIDTH": 64,
            "HEIGHT": 64,
            "FORMAT": "image/png",
            "TRANSPARENT": "TRUE",
        },
    )
    assert r.status_code == 200, r.text
    with Image.open(io.BytesIO(r.content)) as img:
        alpha = np.asarray(img.convert("RGBA"))[..., 3]
    assert (alpha == 255).mean() > 0.9, (alpha == 255).mean()  # the box is the layer's


def test_the_stage_tiles_an_integer_cog_without_a_nodata_value(
    corpus: dict[str, Any], tmp_path: Path
) -> None:
    """The tiles stage failed on such a DEM with the same ValueError; it tiles it now,
    coloured over its heights' 2-98 %."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig

    out = tmp_path / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(corpus["cogs"]["dem"], out / "score" / "dem.tif")
    job = JobConfig.model_validate(
        {
            "name": "round30dem",
            "synthetic": True,
            "region": "bonaire",
            "tiles": {
                "min_zoom": 0,
                "max_zoom": 22,
                "archive": False,
                "layers": [{"variable": "dem", "role": "value"}],
            },
        }
    )
    run(RunContext(job=job, out_dir=out, grid=_grid()))
    doc = json.loads((out / "tiles" / "dem" / "tilejson.json").read_text())
    assert doc["prospect"]["vmin"] < 0 < 400 < doc["prospect"]["vmax"], doc["prospect"]
