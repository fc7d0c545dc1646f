"""Tile delivery as survey scientists and partner agencies meet it, round 34: grids exported
without their nodata value, Float64 layers clicked in the static viewer, legends of values
in dollars, URL paths with dot segments and an encoded ``/``, and a server's address
written as a URL or with its port.

The tiles stage is run once on SYNTHETIC COGs in RD New: a Float32 layer whose fill is
-9999 in 40 % of its cells and whose file states no nodata value (an ASCII grid's export),
the same with the nodata value stated (a control), a Float64 layer of values past float32's
digits, and two layers of one ramp titled in dollars and, as a reference of the same
widths, in the letter S. The fill layer is also checked by ``prospect serve --check``
(in-process) and served by a live ``prospect serve`` (uvicorn on loopback, in this
process) to httpx. Each non-control case failed before: the fill was drawn as values
without a word, the viewer's click read 12345678.9 as 12345679, the legend drew "NSR
($/t)" in math italics without its dollars and spaces, ``/tiles/fill/13/4219/..%2F2700.png``
was a 404 about tile matrix set '13', and ``host: "127.0.0.1:8080"`` passed ``--check`` and
failed at start-up naming ``--host``. All data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image
from rasterio.transform import from_origin

from tests.robustness.conftest import assert_clean_error, run_in_process

ORIGIN = (155000.0, 461000.0)  # RD New
F64_FIRST = 12345678.9  # float32 holds it as 12345679


def _cog(path: Path, values: np.ndarray, nodata: float | None) -> None:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=values.dtype,
        crs="EPSG:28992",
        transform=from_origin(*ORIGIN, 10.0, 10.0),
        nodata=nodata,
        tiled=True,
    ) as ds:
        ds.write(values, 1)
        ds.update_tags(synthetic="true")


def _filled(rng: np.random.Generator) -> np.ndarray:
    values = rng.random((200, 200), dtype="f4")
    values[:80] = -9999.0  # 40 % of the cells: the sea, outside the survey
    return values


def _f64() -> np.ndarray:
    return F64_FIRST + np.arange(40 * 40, dtype="f8").reshape(40, 40) * 0.25


I32_FIRST = 2**24 + 1  # float32 holds it as 16777216


def _cube_values() -> dict[str, np.ndarray]:
    cells = np.arange(200 * 200, dtype="i8").reshape(200, 200)
    return {
        "cube_i32": (cells * 2 + I32_FIRST).astype("i4"),
        "cube_f64": F64_FIRST + cells.astype("f8") * 0.25,
    }


def _cube(path: Path, grid: Any) -> None:
    """A zarr cube with an Int32 and a Float64 variable (as a model's unit ids and a
    Float64 result are written into it)."""
    import xarray as xr

    from prospect.io.cube import add_variables, create_cube, open_cube

    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    variables = {
        name: xr.DataArray(
            values, dims=("y", "x"), coords={"y": like.y, "x": like.x}, attrs={"long_name": name}
        )
        for name, values in _cube_values().items()
    }
    add_variables(path, xr.Dataset(variables))


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiles stage on the fill layers, the Float64 layer and the dollar titles; its
    output folder (with the stage's warnings in ``warnings.txt``)."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig
    from prospect.grid import RegionGrid

    out = tmp_path_factory.mktemp("round34") / "out"
    (out / "score").mkdir(parents=True)
    rng = np.random.default_rng(34)
    _cog(out / "score" / "fill.tif", _filled(rng), None)
    _cog(out / "score" / "stated.tif", _filled(rng), -9999.0)
    _cog(out / "score" / "f64.tif", _f64(), -9999.0)
    ramp = rng.random((200, 200), dtype="f4")
    _cog(out / "score" / "nsr.tif", ramp, -9999.0)
    units = (np.arange(200 * 200).reshape(200, 200) % 300 + 1).astype("i2")  # 300 units
    _cog(out / "score" / "units.tif", units, -1)
    with rasterio.open(out / "score" / "units.tif", "r+") as ds:
        ds.update_tags(1, LAYER_TYPE="thematic")  # a class map, as ERDAS Imagine writes one
    _cog(out / "score" / "nss.tif", ramp, -9999.0)
    grid = RegionGrid(
        crs="EPSG:28992",
        resolution=10.0,
        bounds=(155000.0, 459000.0, 157000.0, 461000.0),
        chunks=(100, 100),
        name="r34",
    )
    _cube(out / "cube.zarr", grid)
    layers = [
        {"variable": "cube_i32", "role": "value", "vmin": I32_FIRST, "vmax": I32_FIRST + 80000},
        {"variable": "cube_f64", "role": "value", "vmin": F64_FIRST, "vmax": F64_FIRST + 10000},
        {"variable": "fill", "role": "value"},
        {"variable": "units", "role": "value"},
        {"variable": "stated", "role": "value"},
        {"variable": "f64", "role": "value", "vmin": F64_FIRST, "vmax": F64_FIRST + 400},
        {"variable": "nsr", "role": "value", "title": "NSR ($/t)", "units": "US$/t"},
        {"variable": "nss", "role": "value", "title": "NSR (S/t)", "units": "USS/t"},
    ]
    job = JobConfig.model_validate(
        {
            "name": "round34",
            "synthetic": True,
            "region": "netherlands",
            "tiles": {"min_zoom": 10, "max_zoom": 14, "archive": False, "layers": layers},
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(RunContext(job=job, out_dir=out, grid=grid))
    (out / "warnings.txt").write_text("\n".join(str(w.message) for w in caught))
    return out


# -- a grid exported without its nodata value --------------------------------------------


def test_the_tiles_stage_names_a_fill_value_the_file_does_not_state(staged: Path) -> None:
    """A Float32 grid whose no-data cells are -9999 (an ASCII grid's, SAGA's) and whose
    file states no nodata value was tiled without a word: 40 % of the layer drawn in the
    ramp's lowest colour (past half, its colour range stretched from -9999 and every cell
    of data drawn in one colour) and read as -9999 by the viewer's click. The stage now
    says so, naming the layer, the share, the value, the file and the command that states
    it."""
    said = (staged / "warnings.txt").read_text()
    line = next((w for w in said.splitlines() if "layer 'fill'" in w), None)
    assert line is not None, said
    assert "40 % of its cells are -9999" in line, line
    assert "states no nodata value" in line, line
    assert f"gdal_edit.py -a_nodata -9999 {staged / 'score' / 'fill.tif'}" in line, line


def test_a_cube_layer_beside_keeps_the_other_layers_warnings(staged: Path) -> None:
    """The stage draws its layers in threads, and a cube variable's reads each ran in a
    ``catch_warnings`` block ignoring every warning, which sets the whole process's
    filters: a class map's "300 classes, more than a palette's colours" (and the fill
    value above) drawn beside the job's two cube variables was dropped, the job's summary
    and manifest silent. Every layer's warning is kept now."""
    said = (staged / "warnings.txt").read_text()
    assert "layer 'units'" in said and "300" in said, said


def test_control_a_stated_nodata_value_and_other_layers_get_no_such_warning(
    staged: Path,
) -> None:
    """Control: the same fill with its nodata value stated is no data (no warning, blank
    in the viewer's values), and layers without such a fill get none either."""
    said = (staged / "warnings.txt").read_text().splitlines()
    others = [w for w in said if "value written for no data" in w and "'fill'" not in w]
    assert others == [], others
    values = _values_js(staged)["stated"]["data"]
    assert values[0] is None and -9999.0 not in values


def test_serve_check_names_a_fill_value_the_file_does_not_state(staged: Path, cli: Any) -> None:
    """``prospect serve --check`` said "config and layers OK" of the same layer, which the
    server then drew with its fill as values; it now warns as the stage does, and tells
    to restart the server once the nodata value is stated."""
    config = staged / "serve-fill.yaml"
    layers = [
        {"name": "fill", "cog": "score/fill.tif", "public": True},
        {"name": "stated", "cog": "score/stated.tif", "public": True},
    ]
    config.write_text(yaml.safe_dump({"title": "Round 34 (synthetic)", "layers": layers}))
    outcome = cli("serve", config, "--check")
    assert outcome.code == 0, outcome.err
    text = " ".join(outcome.err.split())  # Rich wraps the console's lines
    assert text.count("value written for no data") == 1, outcome.err
    said = text[text.index("warning: layer 'fill': 40 % of its cells are -9999") :]
    assert "and restart the server" in said.split("warning:")[1], said
    assert "config and layers OK" in text


# -- the static viewer's click on a Float64 layer ----------------------------------------


def _values_js(staged: Path) -> dict[str, Any]:
    text = (staged / "viewer" / "values.js").read_text()
    return json.loads(re.sub(r"^window\.PROSPECT_VALUES = |;\s*$", "", text))


def test_the_static_viewer_gives_float64_cells_their_own_values(staged: Path) -> None:
    """A Float64 layer was sampled in float32: a click on a cell of 12345678.9 said
    12345679 (and 12345679.15 said 12345679), a value no cell holds. Every value the
    viewer holds is now a cell's own float64, all its digits."""
    grid = _values_js(staged)["f64"]
    cells = {float(v) for v in _f64().ravel()}
    held = [v for v in grid["data"] if v is not None]
    assert held, grid
    assert set(held) <= cells, sorted(set(held) - cells)[:5]
    assert F64_FIRST in held  # the top-left cell, 12345678.9 exactly


@pytest.mark.parametrize("name", ["cube_i32", "cube_f64"])
def test_the_static_viewer_gives_cube_variables_cells_their_own_values(
    staged: Path, name: str
) -> None:
    """The same for a cube variable (a layer the stage reads from ``cube.zarr``, not a
    COG): an Int32 variable's cells were all read through float32 (16777217 said
    16777216, 16777219 said 16777220) and a Float64 one's too; each value the viewer
    holds is now a cell's own."""
    grid = _values_js(staged)[name]
    cells = {v.item() for v in _cube_values()[name].ravel()}
    held = [v for v in grid["data"] if v is not None]
    assert held, grid
    assert set(held) <= cells, sorted(set(held) - cells)[:5]
    assert min(held) == min(cells)  # the top-left cell: 16777217, 12345678.9


# -- legends of values in dollars ----------------------------------------------------------


def _title_width(png: Path) -> int:
    """Width in pixels of the ink of a ramp legend's title (its first line of text)."""
    with Image.open(png) as img:
        rgba = np.asarray(img.convert("RGBA"))
    ink = (rgba[..., 3] > 200) & (rgba[..., :3].max(axis=2) < 100)
    rows = np.flatnonzero(ink.any(axis=1))
    gap = np.flatnonzero(np.diff(rows) > 1)  # the title ends where its rows do
    title = ink[rows[0] : rows[gap[0]] + 1]
    cols = np.flatnonzero(title.any(axis=0))
    return int(cols[-1] - cols[0])


def test_a_legend_titled_in_dollars_draws_its_dollars(staged: Path) -> None:
    """matplotlib reads text between two ``$`` as mathtext: a layer titled "NSR ($/t)" in
    "US$/t" got a legend reading "NSR(/t)(US/t", in math italics, its dollars and spaces
    gone (in the tiles stage's legend, the server's and WMS GetLegendGraphic's). The title
    is now drawn as written: as wide as the same title with an S for each $ (DejaVu Sans
    draws both 0.64 em wide)."""
    dollars = _title_width(staged / "tiles" / "nsr" / "legend.png")
    letters = _title_width(staged / "tiles" / "nss" / "legend.png")
    assert abs(dollars - letters) <= 2, (dollars, letters)


# -- the live server: URL paths with dot segments and an encoded "/" -----------------------


@pytest.fixture(scope="module")
def served(staged: Path) -> Any:
    """``prospect serve`` of the declared-fill layer (a live server on loopback)."""
    from tiles.testing import live_server

    config = staged / "serve.yaml"
    layers = [
        {"name": "heat", "cog": "score/stated.tif", "public": True},
        {"name": "secret", "cog": "score/nsr.tif"},  # readable with a key only (none here)
    ]
    config.write_text(yaml.safe_dump({"title": "Round 34 (synthetic)", "layers": layers}))
    with live_server(config) as live, live.client() as client:
        yield client


@pytest.mark.parametrize(
    ("path", "written"),
    [
        ("/tiles/heat/13/4219/..%2f2700.png", "/tiles/heat/13/4219/../2700.png"),
        ("/tiles/heat/13/%2E%2E/2700.png", "/tiles/heat/13/../2700.png"),
    ],
)
def test_a_path_with_dot_segments_is_refused_naming_them(
    served: Any, path: str, written: str
) -> None:
    """A tile URL with ``..`` and an encoded ``/`` (a scanner's, or a template filled by
    hand) whose clean form names nothing was routed as written, its segments shifted: a
    404 saying layer 'heat' "is not served in tile matrix set '13'", or a 400 on the
    tile's numbers, each naming a part of the URL that was not at fault. It is now a 404
    naming the path as written, what it reads as, and the form to write."""
    r = served.get(path)
    assert r.status_code == 404, r.text
    message = r.json()["error"]
    assert "tile matrix set" not in message and "non-negative integers" not in message
    assert f"{written!r}" in message, message
    assert "reads as '/tiles/heat/" in message and "/tiles/{layer}/{z}/{x}/{y}.png" in message


def test_a_wmts_rest_path_with_dot_segments_is_an_ows_404(served: Any) -> None:
    """The same in the WMTS REST binding: an OWS ExceptionReport (the client's format)
    with the 404 of a resource that is not there, ``NoApplicableCode``; it was the tile's
    refusal of a TileRow of '..'."""
    r = served.get("/wmts/1.0.0/heat/default/WebMercatorQuad/13/..%2F2700.png")
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/xml")
    assert 'exceptionCode="NoApplicableCode"' in r.text, r.text
    assert "'/wmts/1.0.0/heat/default/WebMercatorQuad/13/../2700.png'" in r.text, r.text


def test_control_a_dot_segment_that_names_a_tile_is_still_redirected(served: Any) -> None:
    """Control: a path whose clean form names an endpoint is still a 301 to it (round 17),
    and the clean tile is served."""
    r = served.get("/tiles/heat/%2E/13/4219/2700.png")  # httpx sends "./" cleaned
    assert r.status_code == 301, r.text
    assert r.headers["location"].endswith("/tiles/heat/13/4219/2700.png")
    assert served.get("/tiles/heat/13/4219/2700.png").status_code == 200


# -- layer names with a workspace prefix or a file extension, numbers with a "+" ----------

WMS_MAP = (
    "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&STYLES=&CRS=EPSG:4326&WIDTH=64&HEIGHT=64"
    "&FORMAT=image/png"
)


@pytest.mark.parametrize(
    "url",
    [
        WMS_MAP + "&LAYERS=prospect:heat&BBOX=52.12,5.38,52.14,5.42",
        "/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=prospect:heat&STYLE=default"
        "&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=13&TILEROW=2700&TILECOL=4218"
        "&FORMAT=image/png",
        "/point/heat.json?lon=5.39&lat=52.13",
    ],
)
def test_a_layer_name_with_a_workspace_prefix_or_extension_names_the_layer(
    served: Any, url: str
) -> None:
    """GeoServer's clients ask for ``workspace:layer`` (``prospect:heat``), and a
    ``/point`` URL is written like ``/tilejson/{layer}.json``: each was refused saying only
    which characters a layer name has. The refusal now names the layer meant."""
    r = served.get(url)
    assert r.status_code == 400, r.text
    assert "did you mean 'heat'?" in r.text, r.text


def test_control_a_private_layer_is_not_named_to_a_caller_without_its_key(
    served: Any,
) -> None:
    """Control: a layer the caller may not read is never named by the hint."""
    r = served.get(WMS_MAP + "&LAYERS=prospect:secret&BBOX=52.12,5.38,52.14,5.42")
    assert r.status_code == 400, r.text
    assert "did you mean" not in r.text and "'secret'" not in r.text.replace(
        "'prospect:secret'", ""
    ), r.text


@pytest.mark.parametrize(
    "url",
    [
        "/point/heat?lon=5.39&lat=+52.13",
        WMS_MAP + "&LAYERS=heat&BBOX=+52.12,+5.38,+52.14,+5.42",
    ],
)
def test_a_number_written_with_its_plus_sign_is_explained(served: Any, url: str) -> None:
    """``lat=+52.13`` arrives as " 52.13" (a ``+`` in a query is a space), refused as "must
    be a number, got ' 52.13'" of a number the user wrote with its sign. The refusal now
    says what became of the ``+`` and how to write it."""
    r = served.get(url)
    assert r.status_code == 400, r.text
    assert "a '+' in a URL's query is read as a space" in r.text, r.text
    assert "%2B" in r.text


# -- the server's address: a URL, an address with its port ---------------------------------


def _serve_config(tmp_path: Path, staged: Path, **extra: Any) -> Path:
    config = tmp_path / "serve.yaml"
    layers = [{"name": "heat", "cog": str(staged / "score" / "stated.tif"), "public": True}]
    config.write_text(yaml.safe_dump({**extra, "layers": layers}, sort_keys=False))
    return config


@pytest.mark.parametrize(
    ("host", "needles"),
    [
        ("127.0.0.1:8080", ["an address with a port", "'127.0.0.1'", "port: 8080"]),
        ("http://0.0.0.0", ["a URL", "'0.0.0.0'"]),
        ("[::1]", ["in brackets", "'::1'"]),
    ],
)
def test_a_config_host_with_a_port_or_scheme_is_refused_where_it_is_written(
    tmp_path: Path, staged: Path, cli: Any, host: str, needles: list[str]
) -> None:
    """``host: "127.0.0.1:8080"`` (or a URL, or IPv6 in brackets as a URL writes it)
    passed ``--check`` and failed at start-up with "cannot resolve the bind address ...
    give an address of this machine with --host": the option, where the config's key was
    at fault, and not a word about the port. The config's ``host`` is now refused where it
    is read, naming the key and what to write, and where the port goes."""
    config = _serve_config(tmp_path, staged, host=host)
    line = assert_clean_error(cli("serve", config, "--check"), 2, "serve.yaml:1", "'host'")
    for needle in needles:
        assert needle in line, line


def test_a_host_option_with_a_port_is_refused_naming_the_option(
    tmp_path: Path, staged: Path, cli: Any
) -> None:
    """The same given as ``--host 127.0.0.1:8080`` (``--check`` passed) names the option."""
    config = _serve_config(tmp_path, staged)
    assert_clean_error(
        cli("serve", config, "--host", "127.0.0.1:8080", "--check"),
        2,
        "--host '127.0.0.1:8080'",
        "port: 8080",
    )


def test_a_config_host_not_of_this_machine_is_named_as_the_configs(
    tmp_path: Path, staged: Path, cli: Any
) -> None:
    """A config's ``host`` that is no address of this machine (192.0.2.1, TEST-NET-1) was
    refused at start-up with "give an address of this machine with --host", an option
    the user never gave; the error now names the config's ``host``."""
    config = _serve_config(tmp_path, staged, host="192.0.2.1")
    line = assert_clean_error(cli("serve", config, "--port", "0"), 2, "192.0.2.1")
    assert f"'host' in {config}" in line and "--host" not in line, line


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "::1", "localhost", "fe80::1%eth0"])
def test_control_addresses_alone_pass_the_check(tmp_path: Path, staged: Path, host: str) -> None:
    """Control: host names and IPv4 and IPv6 addresses (with a zone) are accepted."""
    config = _serve_config(tmp_path, staged, host=host)
    outcome = run_in_process("serve", config, "--check")
    assert outcome.code == 0, outcome.err
    assert "config and layers OK" in outcome.err


def test_control_a_legend_png_of_the_server_has_its_title(served: Any) -> None:
    """Control: the server's legend of a plain title is a PNG, as before."""
    r = served.get("/legend/heat.png")
    assert r.status_code == 200
    with Image.open(io.BytesIO(r.content)) as img:
        assert img.format == "PNG"
