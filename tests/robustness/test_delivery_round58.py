"""Delivery, round 58: a day of several scenes under ``dates: all``, a damaged layer's own
requests in the log, and WMTS tiles in the access log.

A cube rewritten while served with two scenes on one day of a ``dates: all`` layer kept
that day listed and answered it the 503 "damaged, truncated or being replaced; try again
later" with an error line a request; where the day was the latest (the layer's default),
every date, the TileJSON, the legend and the capabilities' entry of the layer went down
with it. A COG cut short while served wrote its error line at each of its own requests
(a map open on it: a line a tile). The access log wrote a WMTS REST tile's column as
``y`` and its row nowhere, and a WMTS KVP ``GetTile`` with no layer or tile at all.

The cube is round 44's SYNTHETIC zarr v3 store (``X`` over three dates, 1, 9 and 17
everywhere; ``heat`` one map) and the COG round 35's SYNTHETIC ramp, served by a live
``prospect serve`` in this process (uvicorn on loopback, asked by httpx) and rewritten
while served. All data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tiles.testing import live_server

WAIT_S = 1.1
"""The server looks at a cube's dates at most once a second."""
XS = "  - {name: xs, cube: cube.zarr, variable: X, dates: all, public: true}\n"
RAMP = "  - {name: ramp, cog: ramp.tif, public: true}\n"
TILE = "/tiles/xs/7/65/41.png"
CAPS = "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities"


def _scenes(cube: Path, times: list[str]) -> None:
    """Rewrite the SYNTHETIC cube in place (``to_zarr(mode="w")``) with ``X`` a map of 1,
    9, 17, 25 ... at each of ``times`` (two on one day: another tool's acquisitions)."""
    import pandas as pd
    import xarray as xr

    y = 52.995 - 0.01 * np.arange(100)
    x = 5.005 + 0.01 * np.arange(100)
    maps = np.stack([np.full((100, 100), 1.0 + 8.0 * i, "f4") for i in range(len(times))])
    coords = {"time": pd.to_datetime(times, format="ISO8601"), "y": y, "x": x}
    stacked = xr.DataArray(maps, dims=("time", "y", "x"), coords=coords)
    ds = xr.Dataset({"X": stacked, "heat": stacked.isel(time=0, drop=True)})
    ds = ds.rio.write_crs("EPSG:4326")
    ds.attrs["synthetic"] = "true"
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        ds.to_zarr(cube, mode="w", zarr_format=3, consolidated=True)


def _lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def _clean(r: Any) -> None:
    assert "Traceback" not in r.text and "internal error" not in r.text, r.text[:300]


@pytest.fixture
def served(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Path, Any]]:
    """``prospect serve`` of ``xs``, every date of the SYNTHETIC ``X``."""
    cube = _cube(tmp_path / "cube.zarr", DATES)
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    with live_server(_config(tmp_path, XS)) as live, live.client() as client:
        yield cube, client


def _tiles(client: Any) -> dict[str, bytes]:
    found = {}
    for day in DATES:
        r = client.get(f"{TILE}?time={day}")
        assert r.status_code == 200, (day, r.text[:300])
        found[day] = r.content
    return found


def _crowded(r: Any, day: str, others: str, default: str) -> None:
    """``r`` is the 404 of ``xs``'s ``day`` of two scenes, naming them and the fixes."""
    assert r.status_code == 404, (r.request.url, r.status_code, r.text[:300])
    text = str(r.json()["error"])
    for words in (
        f"layer 'xs' cannot serve its map of {day}",
        f"several maps dated {day} (at 10:00, 10:30)",
        f"ask another of its dates ({others}) or leave time out for {default}",
        ".resample(time='1D').median()",
    ):
        assert words in text, (words, text)
    assert "damaged" not in text and "try again" not in text, text
    assert "Retry-After" not in r.headers and r.headers["cache-control"] == "no-store"
    _clean(r)


# -- 1. a day of several scenes under dates: all --------------------------------------------


def test_a_day_gaining_a_second_scene_is_a_404_of_that_day_alone(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC cube rewritten while served with 2020-06-01 at 10:00 and 10:30: that
    day's tiles were the 503 "damaged, truncated or being replaced; try again later" with
    an error line each. Now a 404 naming its two maps, the dates served and the cube's
    fix, not cached; said once in the log at warning level; 2019 served byte for byte as
    before and 2021 (its map now the fourth along the axis) served."""
    cube, client = served
    before = _tiles(client)
    _scenes(cube, ["2019-06-01", "2020-06-01T10:00", "2020-06-01T10:30", "2021-06-01"])
    time.sleep(WAIT_S)
    for _ in range(3):
        _crowded(
            client.get(f"{TILE}?time=2020-06-01"),
            "2020-06-01",
            "2019-06-01, 2021-06-01",
            "2021-06-01",
        )
    kept = client.get(f"{TILE}?time=2019-06-01")
    assert kept.status_code == 200 and kept.content == before["2019-06-01"]
    assert client.get(f"{TILE}?time=2021-06-01").status_code == 200  # its map 25 now
    said = _lines(caplog, "now holds several maps on 1 of its days (2020-06-01 at 10:00")
    assert len(said) == 1 and "layer 'xs'" in said[0], said
    assert not _errors(caplog), _errors(caplog)


def test_the_latest_day_gaining_a_second_scene_leaves_the_layer_served(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC cube rewritten while served with its latest day, 2021-06-01, at 10:00
    and 10:30: every date's tiles, the TileJSON and the legend were the 503 "damaged ...
    try again later" and the capabilities left the layer out. Now its other dates are
    served, 2020-06-01 its default (its tile as before), the capabilities list those two,
    and 2021-06-01 alone is the 404; a cube of one map a day again serves all three."""
    cube, client = served
    before = _tiles(client)
    _scenes(cube, ["2019-06-01", "2020-06-01", "2021-06-01T10:00", "2021-06-01T10:30"])
    time.sleep(WAIT_S)
    default = client.get(TILE)
    assert default.status_code == 200 and default.content == before["2020-06-01"]
    for url in ("/tilejson/xs.json", "/legend/xs.png", "/viewer/"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
    caps = client.get(CAPS)
    assert caps.status_code == 200 and "<Value>2021-06-01</Value>" not in caps.text
    assert "<Value>2020-06-01</Value>" in caps.text and "<Layer>" in caps.text
    _crowded(
        client.get(f"{TILE}?time=2021-06-01"), "2021-06-01", "2019-06-01, 2020-06-01", "2020-06-01"
    )
    assert not _errors(caplog), _errors(caplog)
    _cube(cube, DATES)  # one map a day again
    time.sleep(WAIT_S)
    assert _tiles(client) == before
    assert len(_lines(caplog, "its cube holds one map a day again")) == 1


def test_control_a_layer_of_one_date_of_two_scenes_is_refused_as_before(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """control: a ``date:`` layer whose day gains a second scene is the whole layer's 404
    of round 57, as before; the one-map layer beside it is served byte for byte."""
    cube = _cube(tmp_path / "cube.zarr", DATES)
    one = "  - {name: one, cube: cube.zarr, variable: X, date: 2021-06-01, public: true}\n"
    heat = "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n"
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    with live_server(_config(tmp_path, one + heat)) as live, live.client() as client:
        assert client.get("/tiles/one/7/65/41.png").status_code == 200
        before = client.get("/tiles/heat/7/65/41.png").content
        _scenes(cube, ["2019-06-01", "2020-06-01", "2021-06-01T10:00", "2021-06-01T10:30"])
        time.sleep(WAIT_S)
        r = client.get("/tiles/one/7/65/41.png")
        assert r.status_code == 404 and "now holds 'X' with 2 maps dated" in r.text
        kept = client.get("/tiles/heat/7/65/41.png")
        assert kept.status_code == 200 and kept.content == before


# -- 2. a damaged layer's own requests said once ---------------------------------------------


REQUESTS = [
    "/tiles/ramp/7/65/41.png",
    "/tiles/ramp/7/66/41.png",
    "/tilejson/ramp.json",
    "/legend/ramp.png",
    "/point/ramp?lon=5.5&lat=52.5",
    "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=ramp&STYLES=&CRS=EPSG:4326"
    "&BBOX=52,5,53,6&WIDTH=64&HEIGHT=64&FORMAT=image/png",
    "/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=ramp&STYLE=default"
    "&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=7&TILEROW=41&TILECOL=65&FORMAT=image/png",
    "/wmts/1.0.0/ramp/default/WebMercatorQuad/7/41/65.png",
]
"""A damaged layer's own requests: tiles, documents of it alone, maps."""


def _ramp(tmp_path: Path, access_log: bool = False) -> tuple[Path, Path]:
    from tests.robustness.test_serving_round35 import _cog

    _cube(tmp_path / "cube.zarr", DATES)
    cog = tmp_path / "ramp.tif"
    _cog(cog, np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)), float("nan"))
    config = _config(tmp_path, RAMP + XS)
    if access_log:
        config.write_text("access_log: access.log\n" + config.read_text())
    return cog, config


def test_a_damaged_layers_own_requests_are_said_once_per_file_version(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A SYNTHETIC COG cut to half its bytes while served: each of its tiles, its TileJSON,
    legend, point value and WMS/WMTS maps wrote the error line again (24 lines for three
    rounds of eight requests). Now one line while the file stays as it is, naming the
    file and that its requests are answered 503; again when it changes (cut shorter)."""
    cog, config = _ramp(tmp_path)
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    counts = []
    with live_server(config) as live, live.client() as client:
        data = cog.read_bytes()
        for cut in (2, 3):
            cog.write_bytes(data[: len(data) // cut])
            time.sleep(WAIT_S)
            for _ in range(3):
                for url in REQUESTS:
                    r = client.get(url)
                    assert r.status_code == 503, (url, r.status_code, r.text[:300])
                    _clean(r)
            counts.append(len(_errors(caplog)))
    assert counts == [1, 2], _errors(caplog)
    for line in _errors(caplog):
        assert "ramp.tif" in line and "its requests answered 503" in line, line


def test_control_a_damaged_layers_requests_still_answer_the_503(tmp_path: Path) -> None:
    """control: the SYNTHETIC COG cut short: its tiles are the 503 "damaged, truncated or
    being replaced" as before, and the cube layer beside it is served."""
    cog, config = _ramp(tmp_path)
    with live_server(config) as live, live.client() as client:
        cog.write_bytes(cog.read_bytes()[:5000])
        time.sleep(WAIT_S)
        r = client.get(REQUESTS[0])
        assert r.status_code == 503 and "damaged, truncated" in r.json()["error"]
        assert client.get(TILE).status_code == 200


# -- 3. WMTS tiles in the access log ---------------------------------------------------------


def test_wmts_tiles_are_logged_with_their_layer_column_and_row(tmp_path: Path) -> None:
    """The access log of a SYNTHETIC COG's tile z 7, column 65, row 41 asked three ways:
    the WMTS REST tile (``.../7/41/65.png``) was logged ``x: null, y: "65"`` (its column
    as the row, its row lost) and the KVP ``GetTile`` ``layer: null`` with no tile. Now
    each is logged as the XYZ tile is: layer ``ramp``, z 7, x 65, y 41."""
    _, config = _ramp(tmp_path, access_log=True)
    urls = [REQUESTS[0], REQUESTS[7], REQUESTS[6]]
    with live_server(config) as live, live.client() as client:
        for url in urls:
            assert client.get(url).status_code == 200, url
    lines = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    tiles = [line for line in lines if line["status"] == 200 and line["bytes"] > 0]
    assert [(t["layer"], t["z"], t["x"], t["y"]) for t in tiles[-3:]] == [
        ("ramp", "7", "65", "41")
    ] * 3, tiles


def test_control_other_requests_are_logged_as_before(tmp_path: Path) -> None:
    """control: a TileJSON, a legend and the WMTS capabilities are logged with the layer
    (none for the capabilities) and no tile, as before."""
    _, config = _ramp(tmp_path, access_log=True)
    with live_server(config) as live, live.client() as client:
        for url in ("/tilejson/ramp.json", "/legend/ramp.png", CAPS):
            assert client.get(url).status_code == 200, url
    lines = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    assert [(e["layer"], e["z"], e["x"], e["y"]) for e in lines[-3:]] == [
        ("ramp", None, None, None),
        ("ramp", None, None, None),
        (None, None, None, None),
    ]
