"""Round 46, delivery: one date of a variable with a time axis as a JOB's tile layer.

A job whose band ``N`` is stacked over two dates (``heat`` for 2020-01-01, ``cold`` for
2021-01-01, the Wageningen job's form) could not tile one date's map: its
``tiles.layers[]`` took no ``date:`` ("unknown key", only a serve layer could), and the
plan's refusal of the layer named no way to show one date. Now a job's tile layer takes
``date:`` (checked against ``timeseries.dates`` at plan), the tiles stage renders that
date's map into a folder of its own (``tiles/N_2021-01-01``), and its TileJSON, legend and
viewer entry are titled with the date.

The job is the corpus's tiny SYNTHETIC raster job (two SYNTHETIC 40 x 40 rasters), run
through the real CLI in this process; no part of the engine is mocked. All inputs here
are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, run_in_process, write_tiny_raster

SOURCES = [
    {"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
    {"kind": "raster", "name": "cold", "path": "cold.tif", "units": "1"},
]
"""Two SYNTHETIC rasters: ``heat`` of values 2.0-2.1 (2020), ``cold`` 7.0-7.1 (2021)."""

TIMESERIES = {"dates": [{"date": "2020-01-01", "bands": {"N": "heat"}},
                        {"date": "2021-01-01", "bands": {"N": "cold"}}],
              "difference": ["N"]}
"""``N`` stacked over two dates (``heat`` for 2020, ``cold`` for 2021); ``N_change``."""


def _box(root: Path) -> Sandbox:
    """The tiny job's sandbox with ``heat.tif`` of values 2.0-2.1 and ``cold.tif`` of
    7.0-7.1 (SYNTHETIC), so each date's map is told apart by its values, and the default
    colour range 0 to 1 is stretched to the data's."""
    box = Sandbox(root)
    rng = np.random.default_rng(46)
    write_tiny_raster(root / "heat.tif",
                      values=(2.0 + 0.1 * rng.random((40, 40))).astype("float32"))
    write_tiny_raster(root / "cold.tif",
                      values=(7.0 + 0.1 * rng.random((40, 40))).astype("float32"))
    box.write_job()
    return box


def _tiles(box: Sandbox, *layers: dict[str, Any]) -> Path:
    """The time-series job with tile ``layers``."""
    return box.write_job(sources=SOURCES, timeseries=TIMESERIES,
                         tiles={"min_zoom": 12, "max_zoom": 13, "archive": False,
                                "layers": list(layers)})


@pytest.fixture()
def box(tmp_path: Path) -> Sandbox:
    return _box(tmp_path / "box")


@pytest.fixture(scope="module")
def run_of_two_dates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Sandbox, Any]:
    """One run of the job tiling ``N`` at each of its two dates (no vmin/vmax), and again
    as ``n20`` and ``n21`` given one title (``Greenness``, copied with its case and a
    space changed)."""
    box = _box(tmp_path_factory.mktemp("r46") / "box")
    _tiles(box, {"variable": "N", "date": "2020-01-01"},
           {"variable": "N", "date": "2021-01-01"},
           {"variable": "N", "date": "2020-01-01", "name": "n20", "title": "Greenness"},
           {"variable": "N", "date": "2021-01-01", "name": "n21", "title": "greenness "})
    result = run_in_process("run", box.job_path, "-o", box.out, "--workers", "1")
    return box, result


# -- 1. a job's tile layer takes date: ---------------------------------------------------


def test_a_job_tile_layer_takes_a_date_of_its_time_series(box: Sandbox, cli: Any) -> None:
    """``tiles: {layers: [{variable: N, date: 2021-01-01}]}`` in a job whose ``N`` is
    stacked over 2020-01-01 and 2021-01-01 was "unknown key 'tiles.layers.0.date'", so
    one date's map of a time series could not be tiled by a job at all. Now it plans."""
    _tiles(box, {"variable": "N", "date": "2021-01-01"})
    result = cli("plan", box.job_path)
    assert result.code == 0, result.out + result.err
    assert box.untouched()


def test_a_date_not_among_the_time_series_dates_is_refused_naming_them(
        box: Sandbox, cli: Any) -> None:
    """A date the job has no map of (``2021-06-01``, a mistyped month) is refused at plan,
    naming the key, the job's dates and what to give."""
    _tiles(box, {"variable": "N", "date": "2021-06-01"})
    line = assert_clean_error(
        cli("plan", box.job_path), 2, "job.yaml",
        "tiles.layers[0].date: 2021-06-01 is not one of timeseries.dates "
        "(2020-01-01, 2021-01-01)", "give one of those as date:")
    assert "unknown key" not in line
    assert box.untouched()


def test_a_date_on_a_variable_of_one_map_is_refused(box: Sandbox, cli: Any) -> None:
    """``date:`` on ``N_change`` (one map: the change over the dates) is refused, naming
    the variables with a time axis, rather than drawn as the one map it is."""
    _tiles(box, {"variable": "N_change", "date": "2021-01-01"})
    line = assert_clean_error(
        cli("plan", box.job_path), 2, "job.yaml",
        "tiles.layers[0].date: 2021-01-01 picks one date of a variable with a time axis",
        "'N_change' has none", "remove date: from the layer",
        "a variable with a time axis here: N")
    assert "unknown key" not in line


def test_a_layer_of_a_time_axis_without_a_date_is_told_to_give_one(
        box: Sandbox, cli: Any) -> None:
    """``variable: N`` alone is still refused (its tiles would show 2020 alone); the
    refusal now names ``date:`` and the dates to give, as a serve layer's does."""
    _tiles(box, {"variable": "N"})
    assert_clean_error(
        cli("plan", box.job_path), 2, "job.yaml", "'N' is a band stacked over",
        "give date: (one of 2020-01-01, 2021-01-01) beside variable: N", "tile N_change")


def test_control_a_date_given_on_a_plain_job_without_a_time_series_is_refused(
        box: Sandbox, cli: Any) -> None:
    """``date:`` on a layer of a job without ``timeseries`` is refused (before: as an
    unknown key; now naming the job's lack of a time series). control of the wording's
    edge: both refuse, exit 2."""
    box.write_job(tiles={"archive": False, "layers": [{"variable": "heat",
                                                       "date": "2020-01-01"}]})
    result = cli("plan", box.job_path)
    assert result.code == 2
    assert "date" in result.err


# -- 2. the run: each date's folder, map, title and viewer entry ------------------------


def test_a_run_tiles_each_date_in_a_folder_of_its_own(run_of_two_dates: Any) -> None:
    """Two layers of ``N`` at its two dates, no ``name:``: each is rendered into
    ``tiles/N_<date>/`` with its legend and TileJSON, and the viewer lists both."""
    box, result = run_of_two_dates
    assert result.code == 0, result.out + result.err
    tiles = box.out / "tiles"
    for day in ("2020-01-01", "2021-01-01"):
        folder = tiles / f"N_{day}"
        assert (folder / "tilejson.json").is_file()
        assert (folder / "legend.png").is_file()
        assert any(folder.glob("1[23]/*/*.png"))
    assert not (tiles / "N").exists()
    assert box.untouched()


def test_each_dates_tilejson_and_viewer_entry_are_titled_with_its_date(
        run_of_two_dates: Any) -> None:
    """Each date's TileJSON and viewer layer are titled "N on <its date>": the stacked
    variable's own title, "N on 2 dates", said that a map of one date held both (a serve
    layer's date was put after it: "N on 2 dates (2020-01-01)")."""
    box, result = run_of_two_dates
    assert result.code == 0, result.out + result.err
    html = (box.out / "viewer" / "index.html").read_text()
    for day in ("2020-01-01", "2021-01-01"):
        doc = json.loads((box.out / "tiles" / f"N_{day}" / "tilejson.json").read_text())
        assert doc["name"] == f"N_{day}"
        assert doc["prospect"]["title"] == f"N on {day}", doc["prospect"]
        assert f'"title": "N on {day}"' in html
    assert "2 dates" not in html


def test_each_dates_click_values_are_its_own_dates(run_of_two_dates: Any) -> None:
    """The viewer's click values of each date's layer are that date's map: 2.0-2.1 for
    2020 (``heat``), 7.0-7.1 for 2021 (``cold``), never the first date's for both."""
    box, result = run_of_two_dates
    assert result.code == 0, result.out + result.err
    text = (box.out / "viewer" / "values.js").read_text()
    grids = json.loads(text.split("=", 1)[1].strip().rstrip(";"))
    for day, (lo, hi) in (("2020-01-01", (2.0, 2.1)), ("2021-01-01", (7.0, 7.1))):
        cells = [v for v in grids[f"N_{day}"]["data"] if v is not None]
        assert cells and lo - 1e-6 <= min(cells) and max(cells) <= hi + 1e-6, day


def test_the_dates_of_one_variable_are_tiled_in_one_colour_range(
        run_of_two_dates: Any) -> None:
    """No ``vmin``/``vmax``: each date's tiles were stretched to its own date's 2-98 %
    (2.0-2.1 and 7.0-7.1), so a map of 2 and a map of 7 were drawn in one colour. Now
    both take the range of the variable over its dates (as ``prospect serve`` draws them,
    round 45), and the stage's note says so."""
    box, result = run_of_two_dates
    assert result.code == 0, result.out + result.err
    ranges = set()
    for day in ("2020-01-01", "2021-01-01"):
        doc = json.loads((box.out / "tiles" / f"N_{day}" / "tilejson.json").read_text())
        ranges.add((doc["prospect"]["vmin"], doc["prospect"]["vmax"]))
    assert len(ranges) == 1, ranges
    (vmin, vmax), = ranges
    assert vmin < 2.1 and vmax > 7.0, ranges
    notes = json.loads((box.out / "manifest.json").read_text())["stages"]["tiles"]["notes"]
    said = [n for n in notes if n.startswith("layer 'N_2021-01-01': colour range")]
    assert said and "over its 2 dates, 2020-01-01 to 2021-01-01" in said[0], notes


def test_dates_given_one_title_are_told_apart_by_their_dates(run_of_two_dates: Any) -> None:
    """Two date layers given one ``title:`` (``Greenness``, ``greenness ``) were listed
    alike in the viewer, their TileJSON and legends; now each is followed by its date, as
    ``prospect serve`` titles them (round 45)."""
    box, result = run_of_two_dates
    assert result.code == 0, result.out + result.err
    titles = {name: json.loads((box.out / "tiles" / name / "tilejson.json").read_text())
              ["prospect"]["title"] for name in ("n20", "n21")}
    assert titles == {"n20": "Greenness (2020-01-01)", "n21": "greenness (2021-01-01)"}
    html = (box.out / "viewer" / "index.html").read_text()
    assert '"title": "Greenness (2020-01-01)"' in html, html[-3000:]


# -- 3. the server's legend of one date: its own ends ------------------------------------


def test_a_served_dates_legend_marks_no_end_its_own_map_stays_inside(tmp_path: Path) -> None:
    """``prospect serve`` of ``X`` at 2020-06-01 (values 4 to 6) of a cube whose other
    dates run 0 to 10: the colour range is the dates' 2-98 % (about 0.2 to 9.8, round 45),
    and the legend marked both ends "≤"/"≥" from the other dates' values, telling a reader
    that this date's map reached past them where none of its cells does. Now its ends are
    marked from its own map: plain, as the legend of an unclamped layer."""
    import pandas as pd
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    from prospect.config.tiles import load_serve_config
    from tiles.legend import legend_png
    from tiles.service import TileService, build_layers

    ramp = np.tile(np.linspace(0.0, 10.0, 50, dtype="f4"), (50, 1))  # SYNTHETIC
    maps = np.stack([ramp, 4.0 + ramp / 5.0, ramp])
    coords = {"time": pd.to_datetime(["2019-06-01", "2020-06-01", "2021-06-01"]),
              "y": 52.995 - 0.02 * np.arange(50), "x": 5.005 + 0.02 * np.arange(50)}
    ds = xr.Dataset({"X": xr.DataArray(maps, dims=("time", "y", "x"), coords=coords)})
    ds = ds.rio.write_crs("EPSG:4326")
    ds.attrs["synthetic"] = "true"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.to_zarr(tmp_path / "cube.zarr", zarr_format=3, consolidated=True, mode="w")
    (tmp_path / "serve.yaml").write_text(
        "title: Round 46 (synthetic)\nlayers:\n"
        "  - {name: x2020, cube: cube.zarr, variable: X, date: 2020-06-01, public: true}\n")
    cfg = load_serve_config(tmp_path / "serve.yaml")
    service = TileService(cfg, build_layers(cfg))
    service.colour_ranges("serve.yaml")
    layer = service.layers["x2020"]
    assert layer.config.vmin < 4.0 and layer.config.vmax > 6.0, layer.config
    meta = service.meta(layer)

    def drawn(clamped: tuple[bool, bool]) -> bytes:
        return legend_png(layer.config, title=meta.label, units=meta.units,
                          clamped=clamped, classes=service.classes(layer))

    assert drawn((False, False)) != drawn((True, True))
    assert service.legend(layer) == drawn((False, False))
