"""Tile delivery as partner agencies' clients meet it, round 31: class maps whose codes are
past float32's whole numbers (2^24) and class maps of thousands of classes.

A survey's geology map numbers its units by database id (100000001, 100000002, ...), so
its COG is Int32: written here with rasterio, its units in 2 x 2 cells, stated by CF
flags (codes not evenly spaced, coloured by rank) or by GDAL's ``LAYER_TYPE=thematic``
(codes evenly spaced, coloured linearly); beside it a map of 3000 units stated by CF flags
and a Byte map of five units (a control). A real server (uvicorn on loopback, in this
process) serves them to XYZ, WMS GetMap, GetCapabilities and GetLegendGraphic clients;
the tiles stage tiles the Int32 map into its pyramid and the static viewer's click values.
Each non-control case failed before: the codes were read as float32, which holds
100000001, 100000002 and 100000003 as one number (three units in one colour, in tiles,
maps, the pyramid and the legend; the static viewer read 100000000), and the LegendURL of
the map of 3000 units named a legend 24 040 pixels tall, which GetLegendGraphic refused.
All data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image
from rasterio.transform import from_origin

from tiles.colormap import render_indexed
from tiles.legend import MAX_LEGEND_SIZE
from tiles.testing import live_server

ORIGIN = (566000.0, 1343000.0)  # Bonaire, UTM 19N: 200 x 200 cells of 10 m
TMS = morecantile.tms.get("WebMercatorQuad")
IDS = [100000001, 100000002, 100000003, 100000010]  # unit ids past 2^24, unevenly spaced
EVEN = [20231001, 20231002, 20231003, 20231004, 20231005]  # past 2^24, evenly spaced
PALETTE = {  # a geology map's colour table, as QGIS exports a "paletted" map
    0: (0, 0, 0, 0),
    1: (230, 25, 75, 255),
    2: (60, 180, 75, 255),
    3: (255, 225, 25, 255),
    4: (0, 130, 200, 255),
    5: (245, 130, 48, 255),
}
TABLE = {PALETTE[c][:3] for c in range(1, 6)}


def _units(codes: list[int]) -> np.ndarray:
    """``codes`` in a checkerboard of 2 x 2 cells (every border a unit's neighbour's)."""
    rows, cols = np.indices((200, 200))
    return np.asarray(codes, dtype="i8")[((rows // 2) * 2 + cols // 2) % len(codes)]


def _flags(codes: list[int]) -> dict[str, str]:
    return {
        "flag_values": " ".join(map(str, codes)),
        "flag_meanings": " ".join(f"unit_{c}" for c in codes),
    }


def _write_tif(
    path: Path,
    values: np.ndarray,
    dtype: str,
    tags: dict[str, str],
    colormap: dict[int, tuple[int, int, int, int]] | None = None,
    nodata: float | None = 0,
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
        ds.update_tags(1, **tags)
        if colormap:
            ds.write_colormap(1, colormap)
        ds.build_overviews([2, 4], rasterio.enums.Resampling.nearest)
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The COGs and a serve config of all of them."""
    root = tmp_path_factory.mktemp("round31")
    rows, cols = np.indices((200, 200))
    cogs = {
        "ids": _write_tif(root / "ids.tif", _units(IDS), "int32", _flags(IDS)),
        "thematic": _write_tif(
            root / "thematic.tif", _units(EVEN), "int32", {"LAYER_TYPE": "thematic"}
        ),
        "units3000": _write_tif(
            root / "units3000.tif",
            (rows * 200 + cols) % 3000 + 1,
            "uint16",
            _flags(list(range(1, 3001))),
        ),
        "five": _write_tif(
            root / "five.tif", _units([1, 2, 3, 4, 5]), "uint8", _flags([1, 2, 3, 4, 5])
        ),
    }
    cogs["paletted"] = _write_tif(
        root / "paletted.tif", _units([1, 2, 3, 4, 5]), "uint8", {}, colormap=PALETTE
    )
    # code 0 a background its colour table makes transparent, no nodata set: the table in
    # the .aux.xml beside it, as ArcGIS writes one (a TIFF's own table holds no alpha)
    cogs["background"] = _write_tif(
        root / "background.tif", _units([0, 1, 2, 3, 4]), "uint8", {}, nodata=None
    )
    entries = "".join(
        '<Entry c1="{}" c2="{}" c3="{}" c4="{}"/>'.format(*PALETTE[c]) for c in range(5)
    )
    (root / "background.tif.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><ColorInterp>Palette</ColorInterp>'
        f"<ColorTable>{entries}</ColorTable></PAMRasterBand></PAMDataset>"
    )
    layers = [{"name": name, "cog": cog.name, "public": True} for name, cog in cogs.items()]
    # the same map with a colormap its config names: the config's choice is kept
    layers.append({"name": "magma", "cog": "paletted.tif", "public": True, "colormap": "magma"})
    config = root / "serve.yaml"
    config.write_text(yaml.safe_dump({"title": "Round 31 (synthetic)", "layers": layers}))
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


def _served_indices(served: Any, name: str) -> set[int]:
    doc = served.get(f"/tilejson/{name}.json").json()
    w, s, e, n = doc["bounds"]
    found: set[int] = set()
    for tile in TMS.tiles(w, s, e, n, [doc["maxzoom"]]):
        r = served.get(f"/tiles/{name}/{tile.z}/{tile.x}/{tile.y}.png")
        assert r.status_code == 200, r.text
        found |= _indices(r.content)
    return found


def _ranked(n: int) -> set[int]:
    """The palette indices of ``n`` codes coloured by rank (or evenly spaced)."""
    return set(
        render_indexed(np.arange(n, dtype="f4")[None], vmin=0.0, vmax=n - 1.0).ravel().tolist()
    )


# -- class codes past 2^24 ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "codes"), [("ids", IDS), ("thematic", EVEN)])
def test_codes_past_2_24_are_each_their_own_colour(
    served: Any, name: str, codes: list[int]
) -> None:
    """Unit ids 100000001..100000003 (float32 holds them as one number) were drawn in one
    colour (two colours for four units); 20231001..20231005 in three. Each unit is its own
    colour now, as units 1..5 are."""
    assert _served_indices(served, name) == _ranked(len(codes))


def test_a_wms_map_of_codes_past_2_24_draws_each_unit(served: Any, corpus: dict[str, Any]) -> None:
    """WMS GetMap (QGIS, ArcGIS) of the Int32 map drew its four units in two colours."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
    w, s = to_lonlat.transform(ORIGIN[0] + 200, ORIGIN[1] - 400)
    e, n = to_lonlat.transform(ORIGIN[0] + 400, ORIGIN[1] - 200)
    r = served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": "ids",
            "STYLES": "",
            "CRS": "CRS:84",
            "BBOX": f"{w},{s},{e},{n}",
            "WIDTH": 64,
            "HEIGHT": 64,
            "FORMAT": "image/png",
        },
    )
    assert r.status_code == 200, r.text
    with Image.open(io.BytesIO(r.content)) as img:
        rgba = np.asarray(img.convert("RGBA")).reshape(-1, 4)
    colours = {tuple(c) for c in rgba[rgba[:, 3] == 255].tolist()}
    assert len(colours) == len(IDS), sorted(colours)


def test_a_legend_of_codes_past_2_24_gives_each_unit_its_tiles_colour(served: Any) -> None:
    """The legend's swatches were drawn from float32 codes too: three units one swatch
    colour. Each swatch is its unit's own colour now, the colour its tiles draw."""
    from prospect.config.tiles import TileLayerConfig
    from tiles.colormap import colormap_palette
    from tiles.legend import class_colours
    from tiles.metadata import class_layer, layer_classes

    layer = class_layer(TileLayerConfig(variable="ids"), layer_classes(_flags(IDS)))
    swatches = class_colours(layer, IDS)
    assert len({tuple(c) for c in swatches.tolist()}) == len(IDS)
    palette = colormap_palette(layer.colormap)
    tile_colours = {tuple(palette[i].tolist()) for i in _served_indices(served, "ids")}
    assert {tuple(c) for c in swatches.tolist()} == tile_colours


@pytest.fixture(scope="module")
def staged(corpus: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiles stage run on the Int32 map (as the score stage's ``geology.tif``); its
    output folder."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig
    from prospect.grid import RegionGrid

    out = tmp_path_factory.mktemp("round31stage") / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(corpus["cogs"]["ids"], out / "score" / "geology.tif")
    shutil.copy(corpus["cogs"]["paletted"], out / "score" / "units.tif")
    job = JobConfig.model_validate(
        {
            "name": "round31",
            "synthetic": True,
            "region": "bonaire",
            "tiles": {
                "min_zoom": 12,
                "max_zoom": 22,
                "archive": False,
                "layers": [
                    {"variable": "geology", "role": "value"},
                    {"variable": "units", "role": "value"},
                ],
            },
        }
    )
    grid = RegionGrid(
        crs="EPSG:32619",
        resolution=10.0,
        bounds=(ORIGIN[0], ORIGIN[1] - 2000.0, ORIGIN[0] + 2000.0, ORIGIN[1]),
        chunks=(256, 256),
        name="r31",
    )
    run(RunContext(job=job, out_dir=out, grid=grid))
    return out


def test_the_stage_tiles_codes_past_2_24_as_their_units(staged: Path) -> None:
    """The stage's pyramid drew the four units in two colours, at every zoom."""
    layer = staged / "tiles" / "geology"
    doc = json.loads((layer / "tilejson.json").read_text())
    found: set[int] = set()
    for png in (layer / str(doc["maxzoom"])).rglob("*.png"):
        found |= _indices(png.read_bytes())
    assert found == _ranked(len(IDS)), sorted(found)


def test_the_static_viewer_reads_each_units_own_code(staged: Path) -> None:
    """The static viewer's click values (``values.js``) said 100000000 for units
    100000001, 100000002 and 100000003, a code of no unit: each unit's own code now."""
    text = (staged / "viewer" / "values.js").read_text()
    grids = json.loads(re.sub(r"^window\.PROSPECT_VALUES = |;\s*$", "", text))
    values = {v for v in grids["geology"]["data"] if v is not None}
    assert values == {float(c) for c in IDS}, sorted(values)


def test_control_a_byte_class_map_keeps_its_colours(served: Any) -> None:
    """Control: units 1..5 in Byte are read and drawn as before, one colour each."""
    assert _served_indices(served, "five") == _ranked(5)


def test_control_values_in_float64_colour_as_in_float32() -> None:
    """Control: values within float32's whole numbers given in float64 are coloured as the
    same values in float32 (every layer of values and every class map below 2^24)."""
    values = np.linspace(-0.2, 1.2, 4096).reshape(64, 64)
    for stops in (None, (0.0, 0.1, 1.0)):
        wide = render_indexed(values, vmin=0.0, vmax=1.0, stops=stops)
        narrow = render_indexed(values.astype("f4"), vmin=0.0, vmax=1.0, stops=stops)
        assert np.array_equal(wide, narrow)


# -- class maps of thousands of classes ---------------------------------------------------


def test_a_legend_of_3000_classes_is_one_a_client_may_ask_for(served: Any) -> None:
    """The LegendURL of a map of 3000 units named a legend 320 x 24 040 pixels (drawn at
    start-up, seconds and megabytes), and GetLegendGraphic refused that HEIGHT (at most
    2048). The default legend is at most 2048 tall now, ends in a line saying how many
    classes it leaves out, and GetLegendGraphic answers the size its LegendURL names."""
    r = served.get(
        "/wms", params={"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"}
    )
    assert r.status_code == 200
    ns = {"wms": "http://www.opengis.net/wms"}
    root = ET.fromstring(r.content)
    legend = next(
        layer.find("wms:Style/wms:LegendURL", ns)
        for layer in root.iter("{http://www.opengis.net/wms}Layer")
        if layer.findtext("wms:Name", namespaces=ns) == "units3000"
    )
    width, height = int(legend.get("width")), int(legend.get("height"))
    assert height <= MAX_LEGEND_SIZE, (width, height)
    r = served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetLegendGraphic",
            "LAYER": "units3000",
            "FORMAT": "image/png",
            "WIDTH": width,
            "HEIGHT": height,
        },
    )
    assert r.status_code == 200, r.text
    with Image.open(io.BytesIO(r.content)) as img:
        assert img.size == (width, height), img.size


def test_control_a_legend_of_30_classes_names_all_30() -> None:
    """Control: a legend of 30 classes is as tall as its rows, naming each."""
    from tiles.legend import class_legend_height

    assert class_legend_height(30) == 40 + 18 * 15  # rows of 18 px (round 35)


# -- class maps in their own colour table's colours --------------------------------------


def _colours(png: bytes) -> set[tuple[int, int, int]]:
    """The RGB colours of an image's opaque pixels."""
    with Image.open(io.BytesIO(png)) as img:
        rgba = np.asarray(img.convert("RGBA")).reshape(-1, 4)
    return {tuple(c[:3]) for c in rgba[rgba[:, 3] == 255].tolist()}


def _served_colours(served: Any, name: str) -> set[tuple[int, int, int]]:
    doc = served.get(f"/tilejson/{name}.json").json()
    w, s, e, n = doc["bounds"]
    found: set[tuple[int, int, int]] = set()
    for tile in TMS.tiles(w, s, e, n, [doc["maxzoom"]]):
        found |= _colours(served.get(f"/tiles/{name}/{tile.z}/{tile.x}/{tile.y}.png").content)
    return found


def test_a_paletted_map_is_drawn_in_its_colour_table(served: Any) -> None:
    """A geology map exported "paletted" (granite red, as QGIS draws it and the survey
    printed it) was drawn in viridis over its codes: no unit in its own colour. Its tiles,
    a WMS map of it and its TileJSON give its colour table's colours now."""
    assert _served_colours(served, "paletted") == TABLE
    doc = served.get("/tilejson/paletted.json").json()
    assert doc["prospect"]["class_colours"]["1"] == "#e6194b", doc["prospect"]
    w, s, e, n = doc["bounds"]
    r = served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.1.1",
            "REQUEST": "GetMap",
            "LAYERS": "paletted",
            "STYLES": "",
            "SRS": "EPSG:4326",
            "BBOX": f"{w},{s},{e},{n}",
            "WIDTH": 128,
            "HEIGHT": 128,
            "FORMAT": "image/png",
        },
    )
    assert r.status_code == 200, r.text
    assert _colours(r.content) == TABLE


def test_a_paletted_maps_legend_swatches_are_its_colour_table() -> None:
    """The legend's swatches of a paletted map are its colour table's colours, those its
    tiles draw."""
    from prospect.config.tiles import TileLayerConfig
    from tiles.legend import class_colours
    from tiles.metadata import class_layer

    colours = tuple((c, PALETTE[c]) for c in range(1, 6))
    layer = class_layer(
        TileLayerConfig(variable="geology"), dict.fromkeys(range(1, 6), ""), colours
    )
    assert {tuple(c[:3]) for c in class_colours(layer, [1, 2, 3, 4, 5]).tolist()} == TABLE


def test_control_a_colormap_named_in_the_config_is_kept(served: Any) -> None:
    """Control: a paletted map whose serve config names a colormap is drawn in it."""
    assert not _served_colours(served, "magma") & TABLE
    assert "class_colours" not in served.get("/tilejson/magma.json").json()["prospect"]


def test_the_stage_draws_a_paletted_map_in_its_colour_table(staged: Path) -> None:
    """The tiles stage's pyramid of a paletted map was drawn in viridis too."""
    layer = staged / "tiles" / "units"
    doc = json.loads((layer / "tilejson.json").read_text())
    found: set[tuple[int, int, int]] = set()
    for z in (doc["minzoom"], doc["maxzoom"]):
        for png in (layer / str(z)).rglob("*.png"):
            found |= _colours(png.read_bytes())
    assert found == TABLE, sorted(found)


def test_feature_info_text_gives_a_coded_maps_code_as_a_whole_number(served: Any) -> None:
    """GetFeatureInfo as text (QGIS's identify in text/plain, or HTML) said a coded map's
    cell was ``3.0``, a code of no unit; it says ``3`` now, as a named class map's
    ``3 (name)``."""
    doc = served.get("/tilejson/paletted.json").json()
    w, s, e, n = doc["bounds"]
    for fmt in ("text/plain", "text/html"):
        r = served.get(
            "/wms",
            params={
                "SERVICE": "WMS",
                "VERSION": "1.1.1",
                "REQUEST": "GetFeatureInfo",
                "LAYERS": "paletted",
                "QUERY_LAYERS": "paletted",
                "STYLES": "",
                "SRS": "EPSG:4326",
                "BBOX": f"{w},{s},{e},{n}",
                "WIDTH": 64,
                "HEIGHT": 64,
                "X": 20,
                "Y": 20,
                "INFO_FORMAT": fmt,
            },
        )
        assert r.status_code == 200, r.text
        assert re.search(r"(= |<td>)[1-5](\n|</td>)", r.text), r.text


def test_a_class_the_colour_table_makes_transparent_is_drawn_clear(served: Any) -> None:
    """A paletted map whose background code 0 is transparent in its colour table but is
    no nodata (QGIS draws it clear) was drawn as a class in the colormap's lowest colour:
    a frame around the map (QGIS and ArcGIS draw a colour table's alpha). It is clear
    now, and the other units in their colours."""
    doc = served.get("/tilejson/background.json").json()
    assert doc["prospect"]["class_colours"]["0"] == "#00000000", doc["prospect"]
    w, s, e, n = doc["bounds"]
    clear = opaque = 0
    for tile in TMS.tiles(w, s, e, n, [doc["maxzoom"]]):
        png = served.get(f"/tiles/background/{tile.z}/{tile.x}/{tile.y}.png").content
        with Image.open(io.BytesIO(png)) as img:
            alpha = np.asarray(img.convert("RGBA"))[..., 3]
        clear, opaque = clear + int((alpha == 0).sum()), opaque + int((alpha == 255).sum())
        assert _colours(png) <= {PALETTE[c][:3] for c in (1, 2, 3, 4)}
    assert opaque > 0 and clear > 0
