"""Tile delivery as partner agencies' clients meet it, round 27 (second pass): class maps,
their legends and click values, and the bounds and warnings of layers at the world's edges.

A class map is a COG written with rasterio as the screening writes its
``lce_screening_class`` (uint8: 0 too low, 1 uncertain, 2 above, 255 no data, CF
``flag_values``/``flag_meanings`` tags): half of it a checkerboard of "too low" and
"above", half "uncertain". The tiles stage runs on it and a real server (uvicorn on
loopback, in this process) answers its tiles, ``/legend``, WMS GetLegendGraphic and
GetFeatureInfo; the stage's viewer page is read for the classes its click shows. Each
non-control case failed before: the class map was drawn as a 0-1 ramp over its codes, so
"above" (2) was "uncertain"'s colour, and at every zoom bilinear resampling averaged "too
low" and "above" into "uncertain"; its legend was a ramp from 0 to 1 naming no class; a
click or GetFeatureInfo gave the code without its class. A layer across 180 served beside
another gave the WMS root a box holding neither; a layer wholly north of 85.06 degrees was
served with blank XYZ tiles without a word at start-up. All data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image
from rasterio.transform import from_origin

from tests.browser import test_viewer as viewer_tests
from tiles.testing import live_server, values_from_rgba

browser = viewer_tests.browser  # headless Chromium, skipped where it is absent

WMS = "{http://www.opengis.net/wms}"
CLASSES = {0: "too low", 1: "uncertain", 2: "above"}
# SYNTHETIC: 200 x 200 cells of 10 m on Bonaire (UTM 19N)
BONAIRE_ORIGIN, BONAIRE_BOUNDS = (566000.0, 1343000.0), (566000.0, 1341000.0, 568000.0, 1343000.0)


def _write_tif(
    path: Path,
    values: np.ndarray,
    *,
    crs: str = "EPSG:32619",
    transform: Any = None,
    dtype: str = "uint8",
    nodata: float = 255,
    tags: dict[str, str] | None = None,
) -> Path:
    """A tiled GeoTIFF with overviews (a COG's layout), SYNTHETIC, with band ``tags``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=dtype,
        crs=crs,
        transform=transform or from_origin(*BONAIRE_ORIGIN, 10.0, 10.0),
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


def _class_values() -> np.ndarray:
    """West half a checkerboard of 0 and 2 (each cell its own), east half 1, a no-data
    (255) corner."""
    rows, cols = np.indices((200, 200))
    values = np.where((rows + cols) % 2 == 0, 0, 2).astype("u1")
    values[:, 100:] = 1
    values[:20, :20] = 255
    return values


def _class_cog(path: Path, **tags: str) -> Path:
    found = {
        "flag_values": "0 1 2",
        "flag_meanings": "too_low uncertain above",
        "long_name": "LCE screening class",
    }
    return _write_tif(path, _class_values(), tags={**found, **tags})


def _run_stage(out: Path, cog: Path, **tiles: Any):
    import shutil

    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig
    from prospect.grid import RegionGrid

    (out / "score").mkdir(parents=True, exist_ok=True)
    shutil.copy(cog, out / "score" / "probability.tif")
    job = JobConfig.model_validate(
        {
            "name": "round27b",
            "synthetic": True,
            "region": "bonaire",
            "tiles": {
                "min_zoom": 0,
                "max_zoom": 22,
                "archive_formats": ["pmtiles"],
                "layers": [{"variable": "probability"}],
                **tiles,
            },
        }
    )
    grid = RegionGrid(
        crs="EPSG:32619", resolution=10.0, bounds=BONAIRE_BOUNDS, chunks=(256, 256), name="r27b"
    )
    return run(RunContext(job=job, out_dir=out, grid=grid))


def _read(png: bytes, doc: dict[str, Any]) -> np.ndarray:
    """A tile's values read back through the colours of its layer's range."""
    with Image.open(io.BytesIO(png)) as img:
        rgba = np.asarray(img.convert("RGBA"))
    p = doc["prospect"]
    return values_from_rgba(rgba, colormap=p["colormap"], vmin=p["vmin"], vmax=p["vmax"])


def _class_shares(values: np.ndarray) -> dict[int, float]:
    """Share of each class code among a tile's data pixels (read values round to codes)."""
    v = values[np.isfinite(values)]
    assert v.size, "no data pixel"
    codes = np.round(v)
    assert np.allclose(v, codes, atol=0.02), sorted(set(np.round(v, 3).tolist()))[:10]
    return {c: float(np.mean(codes == c)) for c in (0, 1, 2)}


def _expected_legend(title: str, **kw: Any) -> bytes:
    from prospect.config.tiles import TileLayerConfig
    from tiles.legend import legend_png

    layer = TileLayerConfig(variable="probability", vmin=0.0, vmax=2.0, resampling="nearest")
    return legend_png(layer, title=title, units="", classes=CLASSES, **kw)


@pytest.fixture(scope="module")
def class_stage(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tiles stage run on the SYNTHETIC class map."""
    root = tmp_path_factory.mktemp("round27b_class")
    cog = _class_cog(root / "class.tif")
    result = _run_stage(root / "out", cog)
    layer = root / "out" / "tiles" / "probability"
    return {
        "root": root,
        "cog": cog,
        "layer": layer,
        "result": result,
        "doc": json.loads((layer / "tilejson.json").read_text()),
    }


@pytest.fixture(scope="module")
def class_served(class_stage: dict[str, Any]):
    config = class_stage["root"] / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 27b (synthetic)",
                "layers": [{"name": "screen", "cog": class_stage["cog"].name, "public": True}],
            }
        )
    )
    with live_server(config) as server, server.client(timeout=60) as c:
        yield c


# -- class maps: tiles ------------------------------------------------------------------


def test_the_stage_draws_a_class_map_by_class_at_every_zoom(class_stage: dict[str, Any]) -> None:
    """Each tile pixel of the class map is one of its codes, in the code's own colour:
    "above" (2) was drawn in "uncertain"'s colour (a 0-1 ramp over codes 0-2), and a
    checkerboard of "too low" and "above" was averaged into "uncertain" (bilinear) at
    every zoom. Half the map is "uncertain": no zoom shows much more of it."""
    doc, layer = class_stage["doc"], class_stage["layer"]
    assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (0.0, 2.0), doc["prospect"]
    for z in (doc["minzoom"], doc["maxzoom"]):
        values = np.concatenate(
            [_read(p.read_bytes(), doc).ravel() for p in (layer / str(z)).rglob("*.png")]
        )
        shares = _class_shares(values)
        assert shares[1] < 0.6 and shares[0] > 0.15 and shares[2] > 0.15, (z, shares)


def test_the_server_draws_a_class_map_by_class(class_served) -> None:
    """``prospect serve`` draws the same class map by class: its TileJSON says 0 to 2,
    and a tile at its lowest zoom holds codes, not their averages."""
    from tiles.source import WEB_MERCATOR

    doc = class_served.get("/tilejson/screen.json").json()
    assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (0.0, 2.0), doc["prospect"]
    lon, lat = doc["center"][:2]
    values = []
    for z in (doc["minzoom"], doc["maxzoom"]):
        x, y, _ = WEB_MERCATOR.tile(lon - 0.005, lat, z)  # the checkerboard's half
        r = class_served.get(f"/tiles/screen/{z}/{x}/{y}.png")
        assert r.status_code == 200
        values.append(_read(r.content, doc).ravel())
    shares = _class_shares(np.concatenate(values))
    assert shares[0] > 0.15 and shares[2] > 0.15, shares


# -- class maps: legends, clicks, GetFeatureInfo ---------------------------------------------


def _legend_colours(png: bytes) -> set[tuple[int, int, int]]:
    with Image.open(io.BytesIO(png)) as img:
        rgb = np.asarray(img.convert("RGB")).reshape(-1, 3)
    return {tuple(int(c) for c in p) for p in np.unique(rgb, axis=0)}


def test_the_stages_legend_names_each_class_in_its_tile_colour(
    class_stage: dict[str, Any],
) -> None:
    """The stage's ``legend.png`` of the class map was a ramp from 0 to 1 naming no class;
    it is one swatch per class, in the colour its tiles draw the class in, each named."""
    from prospect.config.tiles import TileLayerConfig
    from tiles.colormap import render_rgba

    legend = (class_stage["layer"] / "legend.png").read_bytes()
    assert legend == _expected_legend("LCE screening class (synthetic data)")
    colours = render_rgba(np.array([[0.0, 1.0, 2.0]]), colormap="viridis", vmin=0.0, vmax=2.0)
    seen = _legend_colours(legend)
    # the swatches sit on the legend's 85 % opaque white: their colours blend with it
    for rgb in colours[0, :, :3]:
        blended = tuple(int(c) for c in rgb)
        assert any(max(abs(a - b) for a, b in zip(blended, s, strict=True)) <= 40 for s in seen), (
            blended,
            len(seen),
        )
    ramp = TileLayerConfig(variable="probability")
    from tiles.legend import legend_png

    assert legend != legend_png(ramp, title="LCE screening class (synthetic data)", units="")


def test_the_servers_legends_name_each_class(class_served) -> None:
    """``/legend`` and WMS GetLegendGraphic of the served class map name its classes."""
    expected = _expected_legend("LCE screening class (synthetic data)")
    served = class_served.get("/legend/screen.png")
    graphic = class_served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetLegendGraphic",
            "LAYER": "screen",
            "FORMAT": "image/png",
            "SLD_VERSION": "1.1.0",
        },
    )
    assert served.status_code == 200 and served.content == expected
    assert graphic.status_code == 200 and graphic.content == expected


def test_the_legend_of_a_geology_map_of_30_units_names_every_unit(tmp_path: Path) -> None:
    """A geology unit map of 30 units (codes 1-30, CF flags): the stage's legend is as tall
    as its units need, so each is named (its 320 x 84 legend, once a class legend, held 12
    and cut the rest off without a word; before, it was a ramp naming none), and so are
    the server's ``/legend`` and the size its WMS LegendURL states."""
    from tiles.legend import class_legend_height

    values = np.repeat(np.arange(1, 31, dtype="u1"), 7)[None, :200].repeat(200, axis=0)
    units = " ".join(f"unit_{k}" for k in range(1, 31))
    codes = " ".join(str(k) for k in range(1, 31))
    cog = _write_tif(
        tmp_path / "geology.tif", values, tags={"flag_values": codes, "flag_meanings": units}
    )
    _run_stage(tmp_path / "out", cog)
    with Image.open(tmp_path / "out" / "tiles" / "probability" / "legend.png") as img:
        size = img.size
    assert size == (320, class_legend_height(30)) and size[1] > 84, size
    # the server's legend is as tall, and its WMS LegendURL says so
    with (
        live_server(_serve_config(tmp_path, {"geology": cog})) as server,
        server.client(timeout=60) as c,
    ):
        served = c.get("/legend/geology.png")
        caps = ET.fromstring(
            c.get(
                "/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}
            ).content
        )
    with Image.open(io.BytesIO(served.content)) as img:
        assert img.size == size, img.size
    url = caps.find(f".//{WMS}Layer/{WMS}Style/{WMS}LegendURL")
    assert (int(url.get("width")), int(url.get("height"))) == size


def _feature_info(client, lon: float, lat: float, fmt: str):
    d = 0.0005
    return client.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetFeatureInfo",
            "LAYERS": "screen",
            "QUERY_LAYERS": "screen",
            "CRS": "CRS:84",
            "BBOX": f"{lon - d},{lat - d},{lon + d},{lat + d}",
            "WIDTH": 11,
            "HEIGHT": 11,
            "I": 5,
            "J": 5,
            "INFO_FORMAT": fmt,
            "STYLES": "",
            "FORMAT": "image/png",
        },
    )


def test_get_feature_info_of_a_class_map_gives_the_code_and_its_class(class_served) -> None:
    """GetFeatureInfo on the "uncertain" half gave ``screen = 1``; it gives the code and
    its class, in JSON, text and GML."""
    doc = class_served.get("/tilejson/screen.json").json()
    west, south, east, north = doc["bounds"]
    lon, lat = west + 0.75 * (east - west), (south + north) / 2
    as_json = _feature_info(class_served, lon, lat, "application/json").json()
    props = as_json["features"][0]["properties"]
    assert props["value"] == 1 and props["class"] == "uncertain", props
    text = _feature_info(class_served, lon, lat, "text/plain").text
    assert text == "screen (synthetic data) = 1 (uncertain)\n", text  # round 37: says so
    gml = ET.fromstring(_feature_info(class_served, lon, lat, "application/vnd.ogc.gml").content)
    assert gml.findtext(".//{urn:x-prospect:wms}class") == "uncertain"


def test_the_viewers_click_names_the_class(class_stage: dict[str, Any], class_served) -> None:
    """The static viewer and the server's viewer are given the layer's classes, so a click
    reads "1 (uncertain)", not "1"."""
    page = (class_stage["root"] / "out" / "viewer" / "index.html").read_text()
    assert '"classes": {"0": "too low", "1": "uncertain", "2": "above"}' in page
    served = class_served.get("/viewer/").text
    assert '"classes": {"0": "too low", "1": "uncertain", "2": "above"}' in served
    script = class_served.get("/static/viewer.js").text
    assert "l.classes[String(v)]" in script


def test_a_cube_class_map_keeps_its_classes(tmp_path: Path) -> None:
    """A cube variable's ``flag_values`` is a list (as the screening writes it), which the
    layer's tags dropped (only scalars were kept), so a cube's class map had no classes.
    A map of one class is coloured around its code, read nearest."""
    import xarray as xr

    from prospect.config.tiles import TileLayerConfig
    from tiles.metadata import class_layer, layer_classes
    from tiles.source import cube_source

    da = xr.DataArray(
        _class_values()[::-1].astype("f4"),
        dims=("y", "x"),
        coords={"y": 1341005.0 + 10.0 * np.arange(200), "x": 566005.0 + 10.0 * np.arange(200)},
        attrs={"flag_values": [0, 1, 2], "flag_meanings": "too_low uncertain above"},
    )
    da = da.where(da != 255).rio.write_crs("EPSG:32619")
    ds = xr.Dataset({"lce_screening_class": da})
    ds.to_zarr(tmp_path / "cube.zarr", zarr_format=3, consolidated=True)
    source = cube_source(tmp_path / "cube.zarr", "lce_screening_class")
    assert layer_classes(source.tags) == CLASSES
    # the forms flags come in; tags that pair no class one to one name none
    assert layer_classes({"flag_values": "[0 1 2]", "flag_meanings": "a b c"}) == {
        0: "a",
        1: "b",
        2: "c",
    }
    assert layer_classes({"flag_values": "0 1 2", "flag_meanings": "low high"}) is None
    assert layer_classes({"flag_values": "0.5 1", "flag_meanings": "a b"}) is None
    one = class_layer(TileLayerConfig(variable="c"), {4: "granite"})
    assert (one.vmin, one.vmax, one.resampling) == (3.5, 4.5, "nearest")


# -- controls: layers of values -----------------------------------------------------------


def test_control_flags_without_meanings_leave_a_layer_of_values(tmp_path: Path) -> None:
    """Control: tags that do not name classes one to one (three codes, two meanings) leave
    a layer drawn as values at its 0-1 default, its viewer without classes."""
    values = np.linspace(0.0, 1.0, 200 * 200).reshape(200, 200)
    cog = _write_tif(
        tmp_path / "p.tif",
        values,
        dtype="float32",
        nodata=float("nan"),
        tags={"flag_values": "0 1 2", "flag_meanings": "low high"},
    )
    _run_stage(tmp_path / "out", cog)
    doc = json.loads((tmp_path / "out" / "tiles" / "probability" / "tilejson.json").read_text())
    assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (0.0, 1.0)
    page = (tmp_path / "out" / "viewer" / "index.html").read_text()
    assert '"classes"' not in page


def test_control_a_class_map_with_a_range_set_keeps_it(tmp_path: Path) -> None:
    """Control: a class map whose config sets vmin and vmax is drawn at that range; only an
    unset range is taken from its codes."""
    cog = _class_cog(tmp_path / "class.tif")
    _run_stage(
        tmp_path / "out", cog, layers=[{"variable": "probability", "vmin": -1.0, "vmax": 3.0}]
    )
    doc = json.loads((tmp_path / "out" / "tiles" / "probability" / "tilejson.json").read_text())
    assert (doc["prospect"]["vmin"], doc["prospect"]["vmax"]) == (-1.0, 3.0)


# -- bounds and warnings at the world's edges ---------------------------------------------


def _deg_cog(path: Path, west: float, north: float, size: int = 100) -> Path:
    values = np.full((size, size), 0.25, "f4")
    return _write_tif(
        path,
        values,
        crs="EPSG:4326",
        transform=from_origin(west, north, 0.01, 0.01),
        dtype="float32",
        nodata=float("nan"),
    )


def _serve_config(tmp_path: Path, layers: dict[str, Path]) -> Path:
    config = tmp_path / "serve.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Round 27b (synthetic)",
                "layers": [{"name": n, "cog": p.name, "public": True} for n, p in layers.items()],
            }
        )
    )
    return config


def _root_boxes(client) -> tuple[tuple[float, ...], tuple[float, ...]]:
    caps = ET.fromstring(
        client.get(
            "/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}
        ).content
    )
    box = caps.find(f"{WMS}Capability/{WMS}Layer/{WMS}EX_GeographicBoundingBox")
    new = tuple(
        float(box.findtext(f"{WMS}{k}"))
        for k in (
            "westBoundLongitude",
            "southBoundLatitude",
            "eastBoundLongitude",
            "northBoundLatitude",
        )
    )
    old_caps = ET.fromstring(
        client.get(
            "/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.1.1"}
        ).content
    )
    latlon = old_caps.find("Capability/Layer/LatLonBoundingBox")
    old = tuple(float(latlon.get(k)) for k in ("minx", "miny", "maxx", "maxy"))
    return new, old


def _holds(box: tuple[float, ...], lon: float, lat: float) -> bool:
    w, s, e, n = box
    inside_lon = w <= lon <= e if w <= e else (lon >= w or lon <= e)
    return inside_lon and s <= lat <= n


def test_the_wms_root_box_holds_a_layer_across_180_served_beside_another(
    tmp_path: Path,
) -> None:
    """A grid in degrees from 179.5 to 180.5 (Fiji) served beside a Bonaire layer: the
    WMS root's box was the min/max of the layers' wests and easts, -68.0 to -67.98, which
    holds no cell of Fiji's; in 1.3.0 and 1.1.1 it now holds both layers."""
    fiji = _deg_cog(tmp_path / "fiji.tif", 179.5, -16.0)
    bonaire = _write_tif(
        tmp_path / "bon.tif", np.full((200, 200), 0.5, "f4"), dtype="float32", nodata=float("nan")
    )
    with (
        live_server(_serve_config(tmp_path, {"fiji": fiji, "bon": bonaire})) as server,
        server.client(timeout=60) as c,
    ):
        for box in _root_boxes(c):
            assert _holds(box, 180.0, -16.5) and _holds(box, 179.7, -16.5), box
            assert _holds(box, -68.0, 12.13), box


def test_control_the_wms_root_box_of_layers_on_one_side_is_their_min_max(
    tmp_path: Path,
) -> None:
    """Control: layers that do not cross 180 keep the min/max box."""
    a = _deg_cog(tmp_path / "a.tif", 10.0, 50.0)
    b = _deg_cog(tmp_path / "b.tif", 20.0, 40.0)
    with (
        live_server(_serve_config(tmp_path, {"a": a, "b": b})) as server,
        server.client(timeout=60) as c,
    ):
        new, old = _root_boxes(c)
    assert new == pytest.approx((10.0, 39.0, 21.0, 50.0))
    assert old == pytest.approx((10.0, 39.0, 21.0, 50.0))


def _pmtiles_header(path: Path) -> dict[str, Any]:
    from pmtiles.reader import MmapSource
    from pmtiles.reader import Reader as PMReader

    with open(path, "rb") as f:
        return dict(PMReader(MmapSource(f)).header())


def test_the_pmtiles_header_of_a_layer_across_180_spans_its_longitudes(tmp_path: Path) -> None:
    """A grid in degrees from 179.5 to 180.5, archived: its PMTiles header said min
    longitude 179.5 and max -179.5, a span of no longitude to a reader that keeps tiles
    within min..max (the spec gives them no side of 180). The header now spans the row,
    -180 to 180, and its centre stays on the data at 180; a Bonaire layer's is its own."""
    fiji = _deg_cog(tmp_path / "fiji.tif", 179.5, -16.0)
    _run_stage(tmp_path / "out", fiji)
    header = _pmtiles_header(tmp_path / "out" / "tiles" / "probability.pmtiles")
    lo, hi = header["min_lon_e7"] / 1e7, header["max_lon_e7"] / 1e7
    assert lo <= 179.7 <= hi and lo <= -179.7 <= hi, (lo, hi)
    assert abs(header["center_lon_e7"] / 1e7) == pytest.approx(180.0)
    bonaire = _write_tif(
        tmp_path / "bon.tif", np.full((200, 200), 0.5, "f4"), dtype="float32", nodata=float("nan")
    )
    _run_stage(tmp_path / "bon", bonaire)
    own = _pmtiles_header(tmp_path / "bon" / "tiles" / "probability.pmtiles")
    assert -68.4 < own["min_lon_e7"] / 1e7 < own["max_lon_e7"] / 1e7 < -68.3, own


def _service(config: Path):
    from prospect.config.tiles import load_serve_config
    from tiles.service import TileService, build_layers

    cfg = load_serve_config(config)
    return TileService(cfg, build_layers(cfg))


def test_serve_warns_of_a_layer_beyond_web_mercators_latitudes(tmp_path: Path) -> None:
    """An Arctic grid north of 85.06 degrees: ``prospect serve`` offered it at zoom 2 with
    blank XYZ tiles and said nothing (the tiles stage refuses it saying why). Its start-up
    warnings name the layer, its latitudes and the WMS in EPSG:4326 that draws it; a
    layer within Web Mercator is not named."""
    arctic = _deg_cog(tmp_path / "arctic.tif", 10.0, 89.5)
    bonaire = _write_tif(
        tmp_path / "bon.tif", np.full((200, 200), 0.5, "f4"), dtype="float32", nodata=float("nan")
    )
    lines = _service(_serve_config(tmp_path, {"arctic": arctic, "bon": bonaire})).grid_warnings()
    line = next((x for x in lines if "'arctic'" in x), None)
    assert line is not None, lines
    assert "88.5000 to 89.5000" in line and "85.0511" in line and "EPSG:4326" in line, line
    assert not any("'bon'" in x for x in lines), lines
    assert re.search(r"WMS", line)


@pytest.mark.browser
def test_the_static_viewers_click_reads_the_class_name(
    browser, class_stage: dict[str, Any]
) -> None:
    """In Chromium, a click on the stage's viewer of the class map read "LCE screening
    class: 1"; it reads the code and its class, "1 (uncertain)"."""
    browser.get((class_stage["root"] / "out" / "viewer" / "index.html").as_uri())
    viewer_tests._wait(
        browser, "return document.querySelectorAll('.leaflet-tile-loaded').length >= 1"
    )
    text = viewer_tests._click_map_centre(browser)
    found = re.search(r"LCE screening class: ([012]) \((too low|uncertain|above)\)", text)
    assert found and CLASSES[int(found.group(1))] == found.group(2), text
