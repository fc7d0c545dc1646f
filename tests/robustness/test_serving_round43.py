"""Tile delivery, round 43: a cube variable with a time axis served as its first date alone;
a first tiles run that fails leaving an empty ``tiles/`` folder; legends of static
pyramids and viewers without their @2x image for high-density screens; and Web Mercator
asked by other servers' names (``GoogleMapsCompatible``, ``EPSG:3857``) in XYZ tile and
TileJSON URLs, which WMTS reads as Web Mercator, refused 404.

Cubes are SYNTHETIC zarr v3 stores written here (a band stacked over two dates, dims
``(time, y, x)``, as the ingest writes a job's ``timeseries``); ``prospect serve --check``
and ``prospect tiles`` run through the real CLI in this process, and a live ``prospect
serve`` (uvicorn on loopback) serves a SYNTHETIC COG in EPSG:4326 asked by httpx as
ArcGIS- and MapProxy-minded URL templates write it. Each non-control case failed before
the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.robustness.test_serving_round35 import _cog  # 200 x 200 cells, 5-6 E, 52-53 N
from tiles.testing import live_server

from .conftest import Sandbox, assert_clean_error

# -- 1. a cube variable with a time axis -------------------------------------------------


def _cube(path: Path, dates: list[str], *, change: bool = False) -> Path:
    """A SYNTHETIC cube over 5-6 E, 52-53 N: ``X`` stacked over ``dates`` (1, 9, ... per
    date), ``heat`` one map, and ``X_change`` where ``change``."""
    y = 52.995 - 0.01 * np.arange(100)
    x = 5.005 + 0.01 * np.arange(100)
    maps = np.stack([np.full((100, 100), 1.0 + 8.0 * i, "f4") for i in range(len(dates))])
    stacked = xr.DataArray(maps, dims=("time", "y", "x"),
                           coords={"time": pd.to_datetime(dates), "y": y, "x": x})
    variables = {"X": stacked, "heat": stacked.isel(time=0, drop=True)}
    if change:
        variables["X_change"] = stacked.isel(time=-1, drop=True) - stacked.isel(time=0,
                                                                                 drop=True)
    ds = xr.Dataset(variables).rio.write_crs("EPSG:4326")
    ds.attrs["synthetic"] = "true"
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        ds.to_zarr(path, zarr_format=3, consolidated=True, mode="w")
    return path


def _serve_config(root: Path, variable: str) -> Path:
    path = root / "serve.yaml"
    path.write_text("title: Round 43 (synthetic)\nlayers:\n"
                    f"  - {{name: layer, cube: cube.zarr, variable: {variable}, "
                    "public: true}\n")
    return path


@pytest.mark.parametrize(("change", "needles"), [
    (False, ["give variable: X_change", "timeseries.difference"]),
    (True, ["give variable: X_change (its change over the dates) in the serve config"]),
], ids=["no-change-in-cube", "change-in-cube"])
def test_serving_a_cube_variable_with_a_time_axis_is_refused_naming_the_dates(
        tmp_path: Path, cli: Any, change: bool, needles: list[str]) -> None:
    """A serve config naming ``variable: X`` of a job's cube where X is an index of a band
    stacked over two dates (dims ``(time, y, x)``) was "config and layers OK", and the
    server drew the first date's map alone under X's name (the reader's first band).
    Now refused at start-up naming the cube, the variable, the dates and what to serve."""
    _cube(tmp_path / "cube.zarr", ["2020-01-01", "2021-01-01"], change=change)
    result = cli("serve", _serve_config(tmp_path, "X"), "--check")
    line = assert_clean_error(result, 1, "cube.zarr", "variable 'X'",
                              "2020-01-01, 2021-01-01", "would show 2020-01-01 alone",
                              *needles)
    assert "a layer shows one map" in line


def test_a_cube_layer_with_a_time_axis_is_not_tiled_by_its_first_date(tmp_path: Path) -> None:
    """The layer's reader (tiles, the pyramid and ``/point`` all read through it) gave one
    band per date, and the tile the first. Now opening it is refused, as above."""
    from tiles.source import LayerVariableError, cube_source

    _cube(tmp_path / "cube.zarr", ["2019-06-01", "2020-06-01", "2021-06-01"])
    with pytest.raises(LayerVariableError, match=r"3 maps along 'time'.*2019-06-01, "
                                                 r"2020-06-01, 2021-06-01"):
        _ = cube_source(tmp_path / "cube.zarr", "X").lonlat_bounds


@pytest.mark.parametrize("variable", ["heat", "X"], ids=["one-map", "one-date"])
def test_control_a_cube_variable_of_one_map_serves(
        tmp_path: Path, cli: Any, variable: str) -> None:
    """control: a variable of one map, and one stacked over a single date (its one map),
    still pass ``--check``."""
    _cube(tmp_path / "cube.zarr", ["2020-01-01"])
    result = cli("serve", _serve_config(tmp_path, variable), "--check")
    assert result.code == 0, result.out + result.err
    assert "config and layers OK" in result.out + result.err


@pytest.mark.parametrize(("cube", "variable"), [
    ("cube.zarr/heat", None), ("cube.zarr/heat", "heat"), ("cube.zarr/X/c", "X")],
    ids=["variable-folder", "variable-folder-and-name", "chunk-folder"])
def test_a_cube_given_as_a_folder_inside_the_cube_names_the_cube_and_variable(
        tmp_path: Path, cli: Any, cube: str, variable: str | None) -> None:
    """``cube: out/cube.zarr/heat`` (the variable's folder, what a file browser shows once
    the cube is opened) was "cannot open cube: Consolidated metadata requested with
    'use_consolidated=True' but not found in ''": zarr's words, naming neither the cube
    nor the fix. Now the cube and the variable to give are named."""
    _cube(tmp_path / "cube.zarr", ["2020-01-01"])
    (tmp_path / "serve.yaml").write_text(
        "layers:\n  - {name: layer, public: true, cube: " + cube
        + ("" if variable is None else f", variable: {variable}") + "}\n")
    inner = cube.split("/")[1]
    line = assert_clean_error(cli("serve", tmp_path / "serve.yaml", "--check"), 1,
                              f"is the folder of variable {inner!r} inside the zarr cube",
                              f"give cube: {tmp_path / 'cube.zarr'} and variable: {inner}")
    assert "onsolidated" not in line


# -- 2. a first tiles run that fails -----------------------------------------------------


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> Sandbox:
    """The tiny SYNTHETIC job, ingested once on the corpus's cluster."""
    from .conftest import run_in_process

    box = Sandbox(tmp_path_factory.mktemp("round43") / "box")
    result = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.out + result.err
    return box


def test_a_first_tiles_run_that_fails_leaves_no_empty_tiles_folder(
        ingested: Sandbox, cli: Any, scheduler: str) -> None:
    """``prospect tiles`` of a layer no stage made (``variable: absent``), after the
    ingest, failed naming the variable, and left an empty ``tiles/`` folder in the output
    (a folder of no layers, as if a run had tiled nothing). Now the failed first run
    leaves the output as it found it."""
    ingested.write_job(tiles={"min_zoom": 12, "max_zoom": 13, "archive": False,
                              "layers": [{"variable": "absent"}]})
    result = cli("tiles", ingested.job_path, "-o", ingested.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "no variable 'absent'", "tiles.layers[].variable")
    assert not (ingested.out / "tiles").exists()
    assert not (ingested.out / "viewer").exists()
    assert ingested.untouched()


def test_control_a_failed_tiles_run_keeps_an_earlier_tiles_folder(
        ingested: Sandbox, cli: Any, scheduler: str) -> None:
    """control: a ``tiles/`` folder there before the run (an earlier run's) is kept, with
    what it holds."""
    kept = ingested.out / "tiles" / "heat"
    kept.mkdir(parents=True, exist_ok=True)
    (kept / "tile.json").write_text("{}\n")
    try:
        ingested.write_job(tiles={"min_zoom": 12, "max_zoom": 13, "archive": False,
                                  "layers": [{"variable": "absent"}]})
        result = cli("tiles", ingested.job_path, "-o", ingested.out, "--scheduler",
                     scheduler)
        assert result.code == 1
        assert (kept / "tile.json").read_text() == "{}\n"
    finally:
        (kept / "tile.json").unlink()
        kept.rmdir()
        (ingested.out / "tiles").rmdir()


def test_a_static_pyramid_has_a_legend_for_high_density_screens(
        ingested: Sandbox, cli: Any, scheduler: str) -> None:
    """The tiles stage wrote ``legend.png`` alone (320 x 84), and the static viewer's
    legend ``<img>`` had no ``srcset``: on a high-density screen (two device pixels a CSS
    pixel: most laptops and phones) the legend was the 1x image stretched, its ticks and
    units blurred, beside sharp tiles; the server's viewer the same, though it draws
    ``/legend/{layer}@2x.png``. Now ``legend@2x.png`` (twice the pixels) lies beside it,
    and the viewer's config names it for the ``<img>``'s ``srcset``."""
    import io
    import json

    from PIL import Image

    ingested.write_job(tiles={"min_zoom": 12, "max_zoom": 12, "archive": False,
                              "layers": [{"variable": "heat"}]})
    result = cli("tiles", ingested.job_path, "-o", ingested.out, "--scheduler", scheduler)
    assert result.code == 0, result.out + result.err
    layer = ingested.out / "tiles" / "heat"
    with Image.open(io.BytesIO((layer / "legend.png").read_bytes())) as one, \
            Image.open(io.BytesIO((layer / "legend@2x.png").read_bytes())) as two:
        assert two.size == (2 * one.size[0], 2 * one.size[1])
    html = (ingested.out / "viewer" / "index.html").read_text()
    assert json.dumps("../tiles/heat/legend@2x.png") in html
    script = (ingested.out / "viewer" / "static" / "viewer.js").read_text()
    assert "img.srcset" in script and "legend2x" in script


# -- 3. Web Mercator by other servers' names ---------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``prospect serve`` of a SYNTHETIC ramp COG in EPSG:4326."""
    root = tmp_path_factory.mktemp("round43serve")
    _cog(root / "ramp.tif", np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)),
         float("nan"))
    (root / "serve.yaml").write_text(
        "title: Round 43 (synthetic)\nlayers:\n"
        "  - {name: ramp, cog: ramp.tif, public: true, title: Ramp, units: ppm}\n")
    with live_server(root / "serve.yaml") as live, live.client() as client:
        yield client


@pytest.mark.parametrize("name", ["GoogleMapsCompatible", "EPSG:3857", "EPSG:900913",
                                  "googlemapscompatible"])
def test_an_xyz_tile_under_another_servers_name_of_web_mercator_is_its_tile(
        served: Any, name: str) -> None:
    """``/tiles/ramp/GoogleMapsCompatible/8/131/84.png`` (an ArcGIS Server or MapProxy
    URL template's set name; GeoServer's gridsets ``EPSG:3857``, ``EPSG:900913``) was 404
    "not served in tile matrix set 'GoogleMapsCompatible'; it is in WebMercatorQuad",
    though WMTS reads these names as Web Mercator. Now sent to the one URL of that tile."""
    answer = served.get(f"/tiles/ramp/{name}/8/131/84.png", follow_redirects=False)
    assert answer.status_code == 301, (answer.status_code, answer.text[:300])
    assert answer.headers["location"].endswith("/tiles/ramp/WebMercatorQuad/8/131/84.png")
    tile = served.get(f"/tiles/ramp/{name}/8/131/84.png", follow_redirects=True)
    plain = served.get("/tiles/ramp/8/131/84.png")
    assert tile.status_code == plain.status_code == 200
    assert tile.content == plain.content


def test_a_tilejson_asked_by_another_servers_name_of_web_mercator_names_its_tiles(
        served: Any) -> None:
    """``/tilejson/ramp.json?tms=GoogleMapsCompatible`` was the same 404. Now a 301 to
    ``?tms=WebMercatorQuad``, whose document names the XYZ tiles."""
    answer = served.get("/tilejson/ramp.json?tms=GoogleMapsCompatible",
                        follow_redirects=False)
    assert answer.status_code == 301, (answer.status_code, answer.text[:300])
    assert answer.headers["location"].endswith("/tilejson/ramp.json?tms=WebMercatorQuad")
    doc = served.get("/tilejson/ramp.json?tms=GoogleMapsCompatible",
                     follow_redirects=True).json()
    assert doc["tiles"][0].endswith("/tiles/ramp/{z}/{x}/{y}.png")


def test_the_servers_viewer_names_the_legend_at_2x(served: Any) -> None:
    """The server's ``/viewer/`` named ``/legend/ramp.png`` alone for its legend image,
    though the server draws ``/legend/ramp@2x.png``: a blurred legend on high-density
    screens. Now the page's config names the @2x legend for the ``srcset``."""
    page = served.get("/viewer/")
    assert page.status_code == 200
    assert '/legend/ramp@2x.png"' in page.text
    assert served.get("/legend/ramp@2x.png").status_code == 200


def test_control_tile_matrix_sets_not_served_are_refused_as_before(served: Any) -> None:
    """control: a set the layer is not served in is still a 404 naming the ones it is."""
    answer = served.get("/tiles/ramp/NetherlandsRDNewQuad/8/131/84.png")
    assert answer.status_code == 404
    assert "it is in WebMercatorQuad" in answer.json()["error"]
