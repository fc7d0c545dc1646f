"""Tile delivery as partner agencies' clients meet it, round 29: class maps whose codes are
not evenly spaced or that state their classes other than by CF flags, layers with no data
served without a word, layers a job no longer has left in ``tiles/``, and tiles read while
a rerun replaces the COG.

A geology map is a COG written with rasterio as a survey writes one (uint16, CF
``flag_values``/``flag_meanings``, 0 no data): units 1..30 in bands and a corner of 9999,
the code a survey keeps for "water" or "unmapped". Beside it: units named only in a raster
attribute table (``.aux.xml``, as ArcGIS and QGIS write one), a screening map whose
``flag_values`` is ``{0,1,2}`` (as ``gdal_translate`` writes a NetCDF variable's array
attribute) and a categorical cube variable with its code table as ``categories``. The
tiles stage runs on them and its tiles are read back by palette index; a real server
(uvicorn on loopback, in this process) serves them beside the screening's class map
(codes 0, 1, 2: the control), a layer of values and a layer whose every cell is no data,
to XYZ, WMS GetMap, GetLegendGraphic and GetFeatureInfo clients; ``prospect serve
--check`` runs in-process. A
COG is renamed over again and again while its tiles are read. Each non-control case
failed before: the geology map was coloured linearly from 1 to 9999, so its 30 units took
one or two colours in the stage's tiles, the served tiles, WMS maps and the legend; the
other class maps were drawn as values (bilinear, codes between units); the layer of no
data was "config and layers OK" and served blank; reads in flight were refused as
"damaged".
All data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image
from rasterio.transform import from_origin

from tests.robustness.conftest import run_in_process
from tiles.colormap import colormap_palette, render_indexed
from tiles.testing import live_server, values_from_rgba

ORIGIN = (566000.0, 1343000.0)  # Bonaire, UTM 19N: 200 x 200 cells of 10 m
UNITS = [*range(1, 31), 9999]


def _write_tif(
    path: Path, values: np.ndarray, *, dtype: str, nodata: float, tags: dict[str, str] | None = None
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
        ds.update_tags(1, **(tags or {}))
        ds.build_overviews([2, 4], rasterio.enums.Resampling.nearest)
    return path


def _geology() -> np.ndarray:
    """Units 1..30 in blocks of 20 x 70 cells, a corner of 9999 ("unmapped")."""
    rows, cols = np.indices((200, 200))
    values = (1 + (rows // 20) * 3 + cols // 70) % 30 + 1
    values[:12, :12] = 9999
    return values


def _class_tags(codes: list[int], long_name: str) -> dict[str, str]:
    return {
        "flag_values": " ".join(map(str, codes)),
        "flag_meanings": " ".join(f"unit_{c}" for c in codes),
        "long_name": long_name,
    }


BEDROCK = {1: "granite", 2: "basalt", 3: "black shale", 4: "sandstone", 5: "alluvium"}


def _bedrock() -> np.ndarray:
    """Units 1..5 in a checkerboard of 2 x 2 cells (every border a unit's neighbour's)."""
    rows, cols = np.indices((200, 200))
    return (1 + ((rows // 2) * 2 + (cols // 2)) % 5).astype("u1")


def _with_attribute_table(path: Path) -> Path:
    """``path`` with its units named in a raster attribute table in ``path.aux.xml``, as
    ArcGIS and QGIS write one (GDAL PAM)."""
    rows = "".join(
        f'<Row index="{i}"><F>{code}</F><F>{name}</F></Row>'
        for i, (code, name) in enumerate(BEDROCK.items())
    )
    Path(f"{path}.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><GDALRasterAttributeTable tableType="thematic">'
        '<FieldDefn index="0"><Name>Value</Name><Type>0</Type><Usage>5</Usage></FieldDefn>'
        '<FieldDefn index="1"><Name>Unit</Name><Type>2</Type><Usage>2</Usage></FieldDefn>'
        f"{rows}</GDALRasterAttributeTable></PAMRasterBand></PAMDataset>"
    )
    return path


def _screening() -> np.ndarray:
    """The screening's classes 0, 1, 2 in thirds, a no-data (255) corner."""
    values = np.repeat(np.arange(200) * 3 // 200, 200).reshape(200, 200).astype("u1")
    values[:10, :10] = 255
    return values


def _grid() -> Any:
    """The region grid of the COGs: 200 x 200 cells of 10 m on Bonaire."""
    from prospect.grid import RegionGrid

    return RegionGrid(
        crs="EPSG:32619",
        resolution=10.0,
        bounds=(ORIGIN[0], ORIGIN[1] - 2000.0, ORIGIN[0] + 2000.0, ORIGIN[1]),
        chunks=(256, 256),
        name="r29",
    )


def _run_stage(
    out: Path, cogs: dict[str, Path], variables: tuple[str, ...] = (), **tiles: Any
) -> Any:
    """The tiles stage on ``cogs`` (layer name: COG), as a job's score stage left them,
    and on the cube's ``variables``."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig

    (out / "score").mkdir(parents=True, exist_ok=True)
    for name, cog in cogs.items():
        shutil.copy(cog, out / "score" / f"{name}.tif")
    layers = [{"variable": name, "role": "value"} for name in [*cogs, *variables]]
    job = JobConfig.model_validate(
        {
            "name": "round29",
            "synthetic": True,
            "region": "bonaire",
            "tiles": {"min_zoom": 0, "max_zoom": 22, "layers": layers, **tiles},
        }
    )
    return run(RunContext(job=job, out_dir=out, grid=_grid()))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The COGs, the tiles stage run on the geology and screening maps, and a serve config
    of all four layers."""
    root = tmp_path_factory.mktemp("round29")
    cogs = {
        "geology": _write_tif(
            root / "geology.tif",
            _geology(),
            dtype="uint16",
            nodata=0,
            tags=_class_tags(UNITS, "Bedrock geology"),
        ),
        "screen": _write_tif(
            root / "screen.tif",
            _screening(),
            dtype="uint8",
            nodata=255,
            tags=_class_tags([0, 1, 2], "LCE screening class"),
        ),
        # as gdal_translate writes a NetCDF variable's flag_values array: "{0,1,2}"
        "converted": _write_tif(
            root / "converted.tif",
            _screening(),
            dtype="uint8",
            nodata=255,
            tags={**_class_tags([0, 1, 2], "LCE class"), "flag_values": "{0,1,2}"},
        ),
        # a geology map whose units are named in an .aux.xml attribute table (ArcGIS, QGIS)
        "bedrock": _with_attribute_table(
            _write_tif(root / "bedrock.tif", _bedrock(), dtype="uint8", nodata=0)
        ),
        "heat": _write_tif(
            root / "heat.tif",
            np.linspace(0, 1, 40000).reshape(200, 200),
            dtype="float32",
            nodata=np.nan,
        ),
        "empty": _write_tif(
            root / "empty.tif", np.full((200, 200), np.nan), dtype="float32", nodata=np.nan
        ),
    }
    result = _run_stage(
        root / "out",
        {k: cogs[k] for k in ("geology", "screen", "converted")},
        archive_formats=["pmtiles", "mbtiles"],
    )
    config = root / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 29 (synthetic)",
                "layers": [
                    {"name": name, "cog": cog.name, "public": True}
                    for name, cog in cogs.items()
                    if name != "converted"
                ],
            }
        )
    )
    return {
        "root": root,
        "cogs": cogs,
        "result": result,
        "config": config,
        "tiles": root / "out" / "tiles",
    }


def _indices(png: bytes) -> np.ndarray:
    """A paletted tile's palette indices of its data pixels."""
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode == "P", img.mode
        index = np.asarray(img)
    return index[index > 0]


def _stage_indices(layer: Path) -> set[int]:
    doc = json.loads((layer / "tilejson.json").read_text())
    found: set[int] = set()
    for png in (layer / str(doc["maxzoom"])).rglob("*.png"):
        found |= set(np.unique(_indices(png.read_bytes())).tolist())
    return found


# -- class maps whose codes are not evenly spaced -------------------------------------------


def test_the_stage_draws_each_unit_of_a_geology_map_in_its_own_colour(
    corpus: dict[str, Any],
) -> None:
    """Units 1..30 and 9999 were coloured linearly from 1 to 9999: palette index 1 for
    units 1..20 and 2 for 21..30, so the map showed two units. Each unit now has its own
    colour (its rank along the ramp), and the TileJSON says which codes the ramp places
    evenly, so a client reading colours back gets each unit's code."""
    layer = corpus["tiles"] / "geology"
    assert len(_stage_indices(layer)) == len(UNITS), sorted(_stage_indices(layer))
    doc = json.loads((layer / "tilejson.json").read_text())
    stops = doc["prospect"].get("colour_stops")
    assert stops == [float(c) for c in UNITS], doc["prospect"]
    png = next((layer / str(doc["maxzoom"])).rglob("*.png")).read_bytes()
    with Image.open(io.BytesIO(png)) as img:
        rgba = np.asarray(img.convert("RGBA"))
    p = doc["prospect"]
    read = values_from_rgba(
        rgba, colormap=p["colormap"], vmin=p["vmin"], vmax=p["vmax"], stops=stops
    )
    assert set(np.unique(read[np.isfinite(read)]).tolist()) <= set(map(float, UNITS))


def test_control_screening_classes_keep_their_colours(corpus: dict[str, Any]) -> None:
    """Control: classes 0, 1, 2 (evenly spaced) are coloured as before, at palette indices
    1, 128 and 255, and their TileJSON states no stops."""
    layer = corpus["tiles"] / "screen"
    assert _stage_indices(layer) == {1, 128, 255}
    doc = json.loads((layer / "tilejson.json").read_text())
    assert "colour_stops" not in doc["prospect"], doc["prospect"]
    assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (0.0, 2.0)


def test_a_class_map_converted_from_netcdf_is_drawn_as_one(corpus: dict[str, Any]) -> None:
    """GDAL writes a NetCDF variable's ``flag_values`` array as ``{0,1,2}`` (``gdal_translate
    NETCDF:screening.nc:class out.tif``); those codes were not read, so the class map was
    a layer of values: drawn 0 to 1 ("uncertain" and "above" one colour) and averaged
    between classes at their borders. It is drawn as the screening map is."""
    layer = corpus["tiles"] / "converted"
    doc = json.loads((layer / "tilejson.json").read_text())
    assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (0.0, 2.0), doc["prospect"]
    assert _stage_indices(layer) == {1, 128, 255}, sorted(_stage_indices(layer))


def _rgb_colours(png: bytes) -> set[tuple[int, int, int]]:
    """The opaque colours of an image that are colours of the viridis palette."""
    with Image.open(io.BytesIO(png)) as img:
        rgba = np.asarray(img.convert("RGBA"))
    pal = {tuple(int(v) for v in c) for c in colormap_palette("viridis")[1:, :3]}
    opaque = rgba[rgba[..., 3] == 255][:, :3]
    return {tuple(int(v) for v in c) for c in np.unique(opaque, axis=0)} & pal


@pytest.fixture(scope="module")
def served(corpus: dict[str, Any]):
    with live_server(corpus["config"]) as server, server.client(timeout=60) as c:
        yield c


def test_the_server_draws_each_unit_in_its_own_colour(served: Any) -> None:
    """The server's XYZ tiles, a WMS map and the legend of the geology map drew units
    1..30 in one or two colours (and the legend's 31 swatches so); each unit has its own
    colour in all three now."""
    doc = served.get("/tilejson/geology.json").json()
    w, s, e, n = doc["bounds"]
    z = doc["maxzoom"]
    found: set[int] = set()
    for tile in morecantile.tms.get("WebMercatorQuad").tiles(w, s, e, n, [z]):
        r = served.get(f"/tiles/geology/{z}/{tile.x}/{tile.y}.png")
        assert r.status_code == 200, r.text
        found |= set(np.unique(_indices(r.content)).tolist())
    assert len(found) == len(UNITS), sorted(found)
    r = served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": "geology",
            "STYLES": "",
            "CRS": "CRS:84",
            "BBOX": f"{w},{s},{e},{n}",
            "WIDTH": 256,
            "HEIGHT": 256,
            "FORMAT": "image/png",
            "TRANSPARENT": "TRUE",
        },
    )
    assert r.status_code == 200, r.text
    assert len(_rgb_colours(r.content)) >= len(UNITS) - 1, len(_rgb_colours(r.content))
    r = served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetLegendGraphic",
            "LAYER": "geology",
            "FORMAT": "image/png",
            "SLD_VERSION": "1.1.0",
        },
    )
    assert r.status_code == 200, r.text
    assert len(_rgb_colours(r.content)) >= len(UNITS), len(_rgb_colours(r.content))


def test_a_geology_map_named_in_an_attribute_table_is_served_as_classes(served: Any) -> None:
    """A geology COG whose units are named in a raster attribute table (its ``.aux.xml``)
    had no CF flag tags, so the server took it for values: read bilinear, its tiles held
    codes between units (granite and basalt averaged), coloured over its 2-98 %, and
    GetFeatureInfo named no unit. It is a class map now: its tiles hold its five units'
    colours only, and feature info names the unit."""
    doc = served.get("/tilejson/bedrock.json").json()
    assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (1.0, 5.0), doc["prospect"]
    w, s, e, n = doc["bounds"]
    z = doc["maxzoom"]
    found: set[int] = set()
    for tile in morecantile.tms.get("WebMercatorQuad").tiles(w, s, e, n, [z - 1, z]):
        r = served.get(f"/tiles/bedrock/{tile.z}/{tile.x}/{tile.y}.png")
        assert r.status_code == 200, r.text
        found |= set(np.unique(_indices(r.content)).tolist())
    units = render_indexed(np.array([list(BEDROCK)], dtype="f4"), vmin=1.0, vmax=5.0)
    assert found == set(units.ravel().tolist()), sorted(found)  # its units, nothing between
    x, y = (w + e) / 2, (s + n) / 2
    r = served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetFeatureInfo",
            "LAYERS": "bedrock",
            "QUERY_LAYERS": "bedrock",
            "STYLES": "",
            "CRS": "CRS:84",
            "BBOX": f"{x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}",
            "WIDTH": 9,
            "HEIGHT": 9,
            "I": 4,
            "J": 4,
            "INFO_FORMAT": "application/json",
        },
    )
    assert r.status_code == 200, r.text
    props = r.json()["features"][0]["properties"]
    assert props.get("class") == BEDROCK[int(props["value"])], props


def test_a_categorical_cube_layer_is_tiled_as_classes(tmp_path: Path) -> None:
    """A categorical raster ingested into the cube keeps its code table as ``categories``
    (JSON, code to unit), not CF flags: the tiles stage drew it as values, bilinear, its
    tiles holding codes between units, and its viewer click named no unit. Its tiles hold
    its units' colours only, and the viewer names the units."""
    import xarray as xr

    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    out = tmp_path / "out"
    create_cube(out / "cube.zarr", _grid(), attrs={"synthetic": True})
    layer = float_layer(
        _bedrock(),
        name="bedrock",
        units="",
        long_name="Bedrock",
        kind="categorical",
        like=open_cube(out / "cube.zarr"),
    )
    layer.attrs["categories"] = json.dumps({str(c): n for c, n in BEDROCK.items()})
    add_variables(out / "cube.zarr", xr.Dataset({"bedrock": layer}))
    _run_stage(out, {}, variables=("bedrock",))
    tiles = out / "tiles" / "bedrock"
    units = render_indexed(np.array([list(BEDROCK)], dtype="f4"), vmin=1.0, vmax=5.0)
    assert _stage_indices(tiles) == set(units.ravel().tolist()), sorted(_stage_indices(tiles))
    assert "black shale" in (out / "viewer" / "index.html").read_text()


# -- a layer with no data -------------------------------------------------------------------


def test_serve_check_says_a_layer_holds_no_data(corpus: dict[str, Any]) -> None:
    """A layer whose every cell is no data (a COG written from an empty mask, a wrong
    nodata value) was "config and layers OK" and served as blank tiles and maps; the
    tiles stage refuses such a layer. ``prospect serve --check`` now warns, naming the
    layer, its file and what to check; the other layers get no such line (control)."""
    outcome = run_in_process("serve", corpus["config"], "--check")
    assert outcome.code == 0, outcome.out
    text = " ".join((outcome.out + outcome.err).split())
    assert "layer 'empty'" in text and "empty.tif" in text and "hold no value" in text, text
    assert "gdalinfo -stats" in text, text
    for name in ("geology", "screen", "bedrock", "heat"):
        assert f"layer '{name}': its data" not in text, text


# -- layers a job no longer has -------------------------------------------------------------


# -- a layer's COG replaced while it is read --------------------------------------------------


def test_tiles_read_while_a_rerun_replaces_the_cog_are_whole_and_never_refused(
    tmp_path: Path,
) -> None:
    """A rerun renames a new COG over the served one (atomically: each read finds one whole
    file or the other). A tile read in flight then found its own handles closed under it
    ("Dataset is closed") and was answered 503, "damaged, truncated or removed ... write
    it again", about one read in twenty while the file was replaced every few
    milliseconds. Each read now keeps the handles it began with and reads one version
    whole: every tile is one of the two files' values, none refused."""
    import os
    import threading
    import time

    from tiles.source import LayerDataError, cog_source

    for name, value in (("a", 0.25), ("b", 0.75)):
        _write_tif(
            tmp_path / f"{name}.tif", np.full((512, 512), value), dtype="float32", nodata=np.nan
        )
    layer, step = tmp_path / "layer.tif", tmp_path / ".layer.tif.new"
    os.link(tmp_path / "a.tif", step)
    os.replace(step, layer)
    source = cog_source(layer)
    w, s, e, n = source.lonlat_bounds
    tiles = list(morecantile.tms.get("WebMercatorQuad").tiles(w, s, e, n, [12, 13, 14]))
    done = threading.Event()

    def rerun() -> None:  # the score stage publishing a new COG, again and again
        i = 0
        while not done.is_set():
            os.link(tmp_path / ("b.tif" if i % 2 == 0 else "a.tif"), step)
            os.replace(step, layer)
            i += 1
            time.sleep(0.005)

    swapper = threading.Thread(target=rerun)
    swapper.start()
    refused: list[str] = []
    seen: set[float] = set()
    reads = 0
    try:
        until = time.monotonic() + 2.0
        while time.monotonic() < until:
            for t in tiles:
                try:
                    values = source.read_tile(t.x, t.y, t.z).compressed()
                except LayerDataError as exc:
                    refused.append(str(exc))
                    continue
                reads += 1
                held = set(np.unique(values).tolist())
                assert len(held) == 1, held  # one version, whole
                seen |= held
    finally:
        done.set()
        swapper.join()
    assert not refused, (len(refused), reads, refused[0])
    assert seen <= {0.25, 0.75} and reads > 0, seen
