"""Tile delivery, round 44: a serve layer of one date of a cube variable with a time axis
(``date:``), which round 43 refused outright.

Cubes are SYNTHETIC zarr v3 stores written here (a band stacked over two or three dates,
dims ``(time, y, x)``, as the ingest writes a job's ``timeseries``); ``prospect serve
--check`` runs through the real CLI in this process, and a live ``prospect serve``
(uvicorn on loopback) is asked by httpx. Each non-control case failed before the fix; all
data here are SYNTHETIC.
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

from .conftest import assert_clean_error

# -- 1. one date of a cube variable with a time axis -------------------------------------

DATES = ["2019-06-01", "2020-06-01", "2021-06-01"]


def _cube(path: Path, dates: list[str], axis: str = "time") -> Path:
    """A SYNTHETIC cube over 5-6 E, 52-53 N: ``X`` stacked over ``dates`` (1, 9, 17, ...
    per date, along ``axis``) and ``heat``, one map (the first date's)."""
    y = 52.995 - 0.01 * np.arange(100)
    x = 5.005 + 0.01 * np.arange(100)
    maps = np.stack([np.full((100, 100), 1.0 + 8.0 * i, "f4") for i in range(len(dates))])
    stacked = xr.DataArray(maps, dims=(axis, "y", "x"),
                           coords={axis: pd.to_datetime(dates), "y": y, "x": x})
    ds = xr.Dataset({"X": stacked, "heat": stacked.isel({axis: 0}, drop=True)})
    ds = ds.rio.write_crs("EPSG:4326")
    ds.attrs["synthetic"] = "true"
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        ds.to_zarr(path, zarr_format=3, consolidated=True, mode="w")
    return path


def _config(root: Path, layers: str) -> Path:
    path = root / "serve.yaml"
    path.write_text("title: Round 44 (synthetic)\nlayers:\n" + layers)
    return path


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("round44dates")
    _cube(root / "cube.zarr", DATES)
    _cog(root / "ramp.tif", np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)),
         float("nan"))
    return root


@pytest.fixture(scope="module")
def served_dates(dated: Path) -> Any:
    """``prospect serve`` of X at its second and third dates (one quoted, one not)."""
    config = _config(dated, "  - {name: x2020, cube: cube.zarr, variable: X, "
                            "date: 2020-06-01, public: true}\n"
                            "  - {name: x2021, cube: cube.zarr, variable: X, "
                            "date: '2021-06-01', public: true}\n")
    with live_server(config) as live, live.client() as client:
        yield client


@pytest.mark.parametrize(("layer", "value"), [("x2020", 9.0), ("x2021", 17.0)])
def test_a_serve_layer_of_one_date_serves_that_dates_map(
        served_dates: Any, layer: str, value: float) -> None:
    """A serve layer ``cube: cube.zarr, variable: X, date: 2020-06-01`` (X a band stacked
    over three dates) was "unknown key 'layers.0.date'", and without it the layer was
    refused as three maps: a date could not be served at all. Now the layer is that
    date's map: ``/point`` gives its value, not the first date's (1.0)."""
    answer = served_dates.get(f"/point/{layer}?lon=5.5&lat=52.5")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["value"] == pytest.approx(value)
    assert served_dates.get(f"/tiles/{layer}/8/131/84.png").status_code == 200


def test_two_dates_of_one_variable_have_tiles_of_their_own(served_dates: Any) -> None:
    """The two layers' tiles (and their ETags) differ: each is its own date's map."""
    a = served_dates.get("/tiles/x2020/8/131/84.png")
    b = served_dates.get("/tiles/x2021/8/131/84.png")
    assert a.status_code == b.status_code == 200
    assert a.headers["etag"] != b.headers["etag"]


def test_a_date_of_a_cube_whose_dates_axis_is_named_otherwise_is_its_map(
        tmp_path: Path, cli: Any) -> None:
    """A cube of the user's own whose axis of dates is ``date`` (not ``time``): ``date:``
    picks its map, as for a job's cube."""
    from tiles.source import cube_source

    _cube(tmp_path / "cube.zarr", DATES, axis="date")
    config = _config(tmp_path, "  - {name: x, cube: cube.zarr, variable: X, "
                               "date: 2021-06-01, public: true}\n")
    result = cli("serve", config, "--check")
    assert result.code == 0, result.out + result.err
    assert cube_source(tmp_path / "cube.zarr", "X", "2021-06-01").point(
        5.5, 52.5) == pytest.approx(17.0)


def test_a_date_the_cube_has_not_is_refused_naming_its_dates(dated: Path, cli: Any) -> None:
    """``date: 2020-06-02`` (a day off, or a date of another job) is refused at start-up
    naming the cube, the variable and the dates it has."""
    config = _config(dated, "  - {name: x, cube: cube.zarr, variable: X, "
                            "date: 2020-06-02, public: true}\n")
    assert_clean_error(cli("serve", config, "--check"), 1, "cube.zarr", "variable 'X'",
                       "no map dated 2020-06-02", "2019-06-01, 2020-06-01, 2021-06-01",
                       "as date:")


def test_a_date_on_a_variable_of_one_map_is_refused(dated: Path, cli: Any) -> None:
    """``date:`` on a variable with no time axis (``heat``, one map) would serve that map
    whatever the date given: refused, saying to remove it."""
    config = _config(dated, "  - {name: h, cube: cube.zarr, variable: heat, "
                            "date: 2020-06-01, public: true}\n")
    assert_clean_error(cli("serve", config, "--check"), 1, "variable 'heat'",
                       "has no time axis", "remove date:")


def test_a_date_on_a_cog_layer_is_refused(dated: Path, cli: Any) -> None:
    """``date:`` on a ``cog:`` layer (one map) is refused by the config check, naming the
    layer."""
    config = _config(dated, "  - {name: r, cog: ramp.tif, date: 2020-06-01, "
                            "public: true}\n")
    assert_clean_error(cli("serve", config, "--check"), 2, "layer 'r'", "date: 2020-06-01",
                       "a COG is one map")


def test_a_date_written_as_a_year_is_refused_with_the_form(dated: Path, cli: Any) -> None:
    """``date: 2020`` (a year; pydantic read a number as seconds since 1970) is refused
    with the form to write."""
    config = _config(dated, "  - {name: x, cube: cube.zarr, variable: X, date: 2020, "
                            "public: true}\n")
    assert_clean_error(cli("serve", config, "--check"), 2, "layers.0.date", "2020 is no date",
                       "YYYY-MM-DD")


def test_the_refusal_of_a_time_axis_offers_a_date(dated: Path, cli: Any) -> None:
    """A layer of X without ``date:`` is still refused (round 43), and the refusal now
    offers ``date:`` with one of the cube's dates."""
    config = _config(dated, "  - {name: x, cube: cube.zarr, variable: X, public: true}\n")
    assert_clean_error(cli("serve", config, "--check"), 1, "3 maps along 'time'",
                       "give date: 2021-06-01 (one of its dates) beside variable: X")


def test_each_dates_layer_is_titled_with_its_date(served_dates: Any) -> None:
    """Two dates of one variable, no ``title:`` given: each layer's title (``/layers``,
    TileJSON, capabilities, the viewer) names its date, so a client's layer list tells
    them apart."""
    titles = {layer["name"]: layer["title"] for layer in served_dates.get("/layers").json()}
    assert "2020-06-01" in titles["x2020"] and "2021-06-01" in titles["x2021"], titles
    caps = served_dates.get("/wmts/1.0.0/WMTSCapabilities.xml").text
    assert "(2020-06-01)" in caps and "(2021-06-01)" in caps


# -- 2. a cube whose map axes are named lat and lon ----------------------------------------


def _axes_cube(path: Path, dims: tuple[str, str], *, south_up: bool = False) -> Path:
    """A SYNTHETIC cube over 5-6 E, 52-53 N whose variable ``A`` rises west to east (0 to
    1 over 100 columns), its map axes named ``dims`` (in that order)."""
    import rioxarray  # noqa: F401  (the .rio accessor)

    lat = 52.995 - 0.01 * np.arange(100)
    lon = 5.005 + 0.01 * np.arange(100)
    ramp = np.tile(np.linspace(0.0, 1.0, 100, dtype="f4"), (100, 1))  # (rows, columns)
    if south_up:
        lat, ramp = lat[::-1], ramp[::-1]
    rows_first = dims[0] in ("lat", "latitude", "y", "row")
    coords = {dims[0]: lat if rows_first else lon, dims[1]: lon if rows_first else lat}
    ds = xr.Dataset({"A": (dims, ramp if rows_first else ramp.T)}, coords=coords)
    ds = ds.rio.write_crs("EPSG:4326")
    ds.attrs["synthetic"] = "true"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.to_zarr(path, zarr_format=3, consolidated=True, mode="w")
    return path


@pytest.mark.parametrize("dims", [("lat", "lon"), ("latitude", "longitude")])
def test_a_cube_of_lat_and_lon_axes_serves_its_map(tmp_path: Path, cli: Any,
                                                   dims: tuple[str, str]) -> None:
    """A zarr written from a CF NetCDF (``xr.open_dataset(nc).to_zarr``, dims ``lat``,
    ``lon``) was refused as "variable 'A' has 100 maps along 'lat' (steps of 'lat':
    52.995, ...) ... its tiles would show 52.995 alone": its rows taken for dates. Now its
    map is served, each cell its own value."""
    from tiles.source import cube_source

    _axes_cube(tmp_path / "cube.zarr", dims)
    config = _config(tmp_path, "  - {name: a, cube: cube.zarr, variable: A, public: true}\n")
    result = cli("serve", config, "--check")
    assert result.code == 0, result.out + result.err
    source = cube_source(tmp_path / "cube.zarr", "A")
    values = [source.point(5.005 + 0.01 * i, 52.5) for i in (0, 50, 99)]
    assert values == pytest.approx([0.0, 50 / 99, 1.0], abs=1e-6)


def test_a_cube_stored_columns_first_is_refused_saying_how_to_write_it(
        tmp_path: Path, cli: Any) -> None:
    """A variable stored ``(lon, lat)`` (columns first, as some NetCDFs are) was refused
    as "100 maps along 'lon'"; read, xarray's lazy reader indexed it wrongly. Now refused
    naming its dims and the transpose to write."""
    _axes_cube(tmp_path / "cube.zarr", ("lon", "lat"))
    config = _config(tmp_path, "  - {name: a, cube: cube.zarr, variable: A, public: true}\n")
    assert_clean_error(cli("serve", config, "--check"), 1, "variable 'A'",
                       "stored with dims (lon, lat)", "da.transpose('lat', 'lon')")


def test_a_cube_of_unknown_map_axes_is_refused_naming_its_dims(tmp_path: Path,
                                                                cli: Any) -> None:
    """Map axes named ``row`` and ``col`` were "100 maps along 'row'": now refused naming
    the dims and the names a layer reads."""
    _axes_cube(tmp_path / "cube.zarr", ("row", "col"))
    config = _config(tmp_path, "  - {name: a, cube: cube.zarr, variable: A, public: true}\n")
    line = assert_clean_error(cli("serve", config, "--check"), 1, "variable 'A'",
                              "has dims (row, col)", "named y and x (or lat and lon)")
    assert "maps along" not in line


def test_control_a_south_up_cube_of_y_and_x_serves(tmp_path: Path) -> None:
    """control: a cube of ``y``, ``x`` whose rows run south to north serves each cell's
    value, as before."""
    from tiles.source import cube_source

    _axes_cube(tmp_path / "cube.zarr", ("y", "x"), south_up=True)
    source = cube_source(tmp_path / "cube.zarr", "A")
    values = [source.point(5.005 + 0.01 * i, 52.5) for i in (0, 50, 99)]
    assert values == pytest.approx([0.0, 50 / 99, 1.0], abs=1e-6)


# -- 3. a cube in degrees of 0-360 longitude -----------------------------------------------


def _east_cube(path: Path, west: float, columns: int) -> Path:
    """A SYNTHETIC cube in EPSG:4326 over 20-21 N whose columns start at ``west`` (cell
    edges, 0.01 degrees) and rise 0 to 1 west to east."""
    import rioxarray  # noqa: F401  (the .rio accessor)

    lat = 20.995 - 0.01 * np.arange(100)
    lon = west + 0.005 + 0.01 * np.arange(columns)
    ramp = np.tile(np.linspace(0.0, 1.0, columns, dtype="f4"), (100, 1))
    ds = xr.Dataset({"A": (("y", "x"), ramp)}, coords={"y": lat, "x": lon})
    ds = ds.rio.write_crs("EPSG:4326")
    ds.attrs["synthetic"] = "true"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.to_zarr(path, zarr_format=3, consolidated=True, mode="w")
    return path


def test_a_cube_of_longitudes_past_180_serves_in_minus_180_to_180(
        tmp_path: Path, cli: Any) -> None:
    """A cube in degrees whose longitudes run 200-201 (0-360 degrees, as global CF NetCDFs
    store them: Hawaii) was refused at start-up as "cannot open layer data
    (InvalidGeographicBounds: ... (200.0, 20.0, 201.0, 21.0) ...); check the path in the
    config and that the score stage has run". Now it serves at -160..-159, each cell its
    value."""
    from tiles.source import cube_source

    _east_cube(tmp_path / "cube.zarr", 200.0, 100)
    config = _config(tmp_path, "  - {name: a, cube: cube.zarr, variable: A, public: true}\n")
    result = cli("serve", config, "--check")
    assert result.code == 0, result.out + result.err
    source = cube_source(tmp_path / "cube.zarr", "A")
    assert source.lonlat_bounds == pytest.approx((-160.0, 20.0, -159.0, 21.0))
    values = [source.point(-159.995 + 0.01 * i, 20.5) for i in (0, 50, 99)]
    assert values == pytest.approx([0.0, 50 / 99, 1.0], abs=1e-6)


def test_a_cube_of_longitudes_across_180_is_refused_saying_how_to_write_it(
        tmp_path: Path, cli: Any) -> None:
    """Longitudes 179-181 (across 180 in 0-360 degrees) were the same "cannot open layer
    data ... check the path": now refused naming the longitudes and the CRS to write."""
    _east_cube(tmp_path / "cube.zarr", 179.0, 200)
    config = _config(tmp_path, "  - {name: a, cube: cube.zarr, variable: A, public: true}\n")
    line = assert_clean_error(cli("serve", config, "--check"), 1, "variable 'A'",
                              "longitudes 179 to 181 degrees", "projected CRS")
    assert "score stage" not in line
