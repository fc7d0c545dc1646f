"""Delivery, round 57: a served cube variable rewritten in another layout than its layer
reads, and a damaged layer said at every request of the capabilities and the viewer.

A cube variable rewritten while served as one map (its time axis gone) under a layer of
``dates: all`` or ``date:``, or stacked over dates under a layer of one map, answered every
request of the layer with the 503 "damaged, truncated or being replaced; try again later"
(``Retry-After: 60``) and an error line in the log per request, until a restart: nothing
was damaged and no retry could help. A COG cut short while served wrote its error line at
every request of the capabilities, the viewer's page and ``/layers``.

The cube is round 44's SYNTHETIC zarr v3 store (``X`` over three dates, 1, 9 and 17
everywhere; ``heat`` one map) and the COG round 35's SYNTHETIC ramp, served by a live
``prospect serve`` in this process (uvicorn on loopback, asked by httpx) and rewritten
while served. All data here are SYNTHETIC.
"""

from __future__ import annotations

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
ONE = "  - {name: one, cube: cube.zarr, variable: X, date: 2021-06-01, public: true}\n"
XS = "  - {name: xs, cube: cube.zarr, variable: X, dates: all, public: true}\n"
HEAT = "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n"
TILE = "/tiles/{}/7/65/41.png"
WMS = {
    "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "STYLES": "",
    "CRS": "EPSG:4326", "BBOX": "52,5,53,6", "WIDTH": "64", "HEIGHT": "64",
    "FORMAT": "image/png",
}  # fmt: skip


def _rewrite(cube: Path, *, x_one_map: bool = False, heat_stacked: bool = False) -> None:
    """Rewrite the SYNTHETIC cube in place (``to_zarr(mode="w")``, as a rerun does): ``X``
    as one map of 5 (its time axis gone), or ``heat`` stacked over ``X``'s dates."""
    import xarray as xr

    with xr.open_zarr(cube) as ds:
        ds = ds.load()
    if x_one_map:
        ds["X"] = ds["X"].isel(time=0, drop=True) * 0 + 5.0
    if heat_stacked:
        ds["heat"] = ds["X"]
    if x_one_map:
        ds = ds.drop_vars("time")
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        ds.to_zarr(cube, mode="w", zarr_format=3, consolidated=True)


def _lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def _refused(r: Any, *words: str) -> str:
    """The 404's text of ``r``, checked for what every such answer says."""
    assert r.status_code == 404, (r.request.url, r.status_code, r.text[:300])
    text = str(r.json()["error"])
    for word in words:
        assert word in text, (word, text)
    assert "damaged" not in text and "try again" not in text, text
    assert "Retry-After" not in r.headers and r.headers["cache-control"] == "no-store"
    assert "Traceback" not in r.text and "internal error" not in r.text
    return text


@pytest.fixture
def served(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Path, Any]]:
    """``prospect serve`` of ``one`` (``X`` at 2021-06-01), ``xs`` (every date of ``X``)
    and ``heat`` (one map) of the SYNTHETIC cube."""
    cube = _cube(tmp_path / "cube.zarr", DATES)
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    with live_server(_config(tmp_path, ONE + XS + HEAT)) as live, live.client() as client:
        for name in ("one", "xs", "heat"):
            assert client.get(TILE.format(name)).status_code == 200
        yield cube, client


# -- 1. a cube variable rewritten in another layout than its layer reads ------------------


def test_a_dated_layers_variable_rewritten_as_one_map_is_a_404_saying_so(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC ``X`` rewritten while served as one map (its time axis gone): ``xs``
    (``dates: all``) and ``one`` (``date: 2021-06-01``) answered their tiles, TileJSON,
    legend and WMS maps with the 503 "damaged, truncated or being replaced; try again
    later" and an error line per request. Now a 404 naming the change (one map, no time
    axis) and the serve config's fix (remove ``dates:``/``date:``), not cached; the log
    says it once a layer, at warning level; ``heat`` is served as before."""
    cube, client = served
    _rewrite(cube, x_one_map=True)
    time.sleep(WAIT_S)
    for _ in range(2):
        for url in (TILE.format("xs"), "/tilejson/xs.json", "/legend/xs.png"):
            _refused(
                client.get(url),
                "layer 'xs' serves every date of 'X'",
                "now holds 'X' as one map (no time axis)",
                "should remove dates: from the layer in the serve config",
            )
        for url in (TILE.format("one"), "/point/one?lon=5.5&lat=52.5"):
            _refused(
                client.get(url),
                "layer 'one' is the map of 2021-06-01 of 'X'",
                "now holds 'X' as one map (no time axis)",
                "should remove date: from the layer in the serve config",
            )
    wms = client.get("/wms", params={**WMS, "LAYERS": "xs"})
    assert wms.status_code == 404 and "LayerNotDefined" in wms.text, wms.text[:400]
    assert "as one map (no time axis)" in wms.text
    said = _lines(caplog, "now holds it as one map (no time axis)")
    assert len(said) == 2, said
    xs = [s for s in said if "layer 'xs' serves every date of 'X'" in s]
    one = [s for s in said if "layer 'one' is the map of 2021-06-01" in s]
    assert xs and "remove dates:" in xs[0] and one and "remove date:" in one[0], said
    assert "cube.zarr" in said[0] and "restart the server" in said[0], said
    assert not _errors(caplog), _errors(caplog)
    assert client.get(TILE.format("heat")).status_code == 200


def test_a_one_map_layers_variable_rewritten_over_dates_is_a_404_naming_them(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC ``heat`` (served as one map) rewritten while served stacked over
    three dates: its requests were the 503 "damaged ... try again later". Now a 404
    naming its dates and ``date:``/``dates: all`` to give, said once in the log."""
    cube, client = served
    _rewrite(cube, heat_stacked=True)
    time.sleep(WAIT_S)
    for url in (TILE.format("heat"), "/tilejson/heat.json", TILE.format("heat")):
        _refused(
            client.get(url),
            "layer 'heat' is one map of 'heat'",
            "as 3 maps along 'time' (dates: 2019-06-01, 2020-06-01, 2021-06-01)",
            "give date: (one of those) or dates: all in the serve config",
        )
    assert len(_lines(caplog, "layer 'heat' is one map of 'heat'")) == 1
    assert not _errors(caplog), _errors(caplog)
    assert client.get(TILE.format("one")).status_code == 200


def test_a_variable_in_another_layout_leaves_the_listings_quietly(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """After the SYNTHETIC ``X`` is rewritten as one map, the capabilities and the
    viewer's page leave ``xs`` and ``one`` out without an error line a request (each
    wrote "has no time axis ... (left out of the capabilities)"), and ``/layers`` lists
    them unavailable."""
    cube, client = served
    _rewrite(cube, x_one_map=True)
    time.sleep(WAIT_S)
    for _ in range(2):
        caps = client.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
        assert caps.status_code == 200 and "<Name>heat</Name>" in caps.text
        assert "<Name>xs</Name>" not in caps.text and "<Name>one</Name>" not in caps.text
        page = client.get("/viewer/")
        assert page.status_code == 200 and "/tiles/heat/" in page.text
        assert "/tiles/xs/" not in page.text and "/tiles/one/" not in page.text
        listed = {e["name"]: e for e in client.get("/layers").json()}
        assert listed["xs"]["available"] is False and listed["one"]["available"] is False
        assert "available" not in listed["heat"]
    assert not _errors(caplog), _errors(caplog)


def test_a_variable_back_in_its_layout_is_served_again(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC ``X`` rewritten as one map and then back over its three dates (a
    rerun that corrected it): ``xs`` and ``one`` are served again, their tiles as before,
    and the log says so once a layer."""
    cube, client = served
    before = {n: client.get(TILE.format(n)).content for n in ("one", "xs")}
    _rewrite(cube, x_one_map=True)
    time.sleep(WAIT_S)
    assert client.get(TILE.format("xs")).status_code == 404
    _cube(cube, DATES)
    time.sleep(WAIT_S)
    for name, content in before.items():
        r = client.get(TILE.format(name))
        assert r.status_code == 200 and r.content == content, name
    dates = client.get("/tilejson/xs.json").json()["prospect"]["dates"]
    assert dates == DATES
    assert len(_lines(caplog, "is laid out as the layer reads it again")) == 2


def _two_maps_a_day(cube: Path) -> None:
    """Rewrite the SYNTHETIC cube with ``X``'s 2021-06-01 as two scenes of that day
    (10:00 and 10:30, as another tool stacks a day's acquisitions)."""
    import pandas as pd
    import xarray as xr

    times = ["2019-06-01", "2020-06-01", "2021-06-01T10:00", "2021-06-01T10:30"]
    y = 52.995 - 0.01 * np.arange(100)
    x = 5.005 + 0.01 * np.arange(100)
    maps = np.stack([np.full((100, 100), 1.0 + 8.0 * i, "f4") for i in range(4)])
    coords = {"time": pd.to_datetime(times, format="ISO8601"), "y": y, "x": x}
    stacked = xr.DataArray(maps, dims=("time", "y", "x"), coords=coords)
    ds = xr.Dataset({"X": stacked, "heat": stacked.isel(time=0, drop=True)})
    ds = ds.rio.write_crs("EPSG:4326")
    ds.attrs["synthetic"] = "true"
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        ds.to_zarr(cube, mode="w", zarr_format=3, consolidated=True)


def test_a_dates_day_rewritten_as_two_scenes_is_a_404_naming_their_times(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC ``X`` rewritten while served with two scenes on 2021-06-01 (10:00,
    10:30), the day of ``one``'s ``date:``: its requests were the 503 "damaged ... try
    again later" with an error line each, the refusal a start-up gives ("2 maps dated
    2021-06-01 ... .resample") said only in the log. Now a 404 naming the two times and
    the fix, said once; rewritten back as one map a day, served again."""
    cube, client = served
    before = client.get(TILE.format("one")).content
    _two_maps_a_day(cube)
    time.sleep(WAIT_S)
    for _ in range(2):
        _refused(
            client.get(TILE.format("one")),
            "layer 'one' is the map of 2021-06-01",
            "now holds 'X' with 2 maps dated 2021-06-01 (at 10:00, 10:30)",
            ".resample(time='1D').median()",
            "or give another date: in the serve",
        )
    said = _lines(caplog, "now holds it with 2 maps dated 2021-06-01")
    assert len(said) == 1 and "layer 'one'" in said[0], said
    assert not [e for e in _errors(caplog) if "2021-06-01" in e], _errors(caplog)
    assert client.get(TILE.format("heat")).status_code == 200
    _cube(cube, DATES)
    time.sleep(WAIT_S)
    again = client.get(TILE.format("one"))
    assert again.status_code == 200 and again.content == before


def test_control_a_one_map_layer_rewritten_as_one_map_is_served_as_before(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """control: the SYNTHETIC ``X`` rewritten as one map leaves ``heat`` (a one-map layer
    whose variable stays one map, rewritten with the cube) served byte for byte as
    before, nothing said of it."""
    cube, client = served
    before = client.get(TILE.format("heat")).content
    _rewrite(cube, x_one_map=True)
    time.sleep(WAIT_S)
    r = client.get(TILE.format("heat"))
    assert r.status_code == 200 and r.content == before
    assert not _lines(caplog, "layer 'heat'")


# -- 2. a damaged layer said once, not at every request of the documents -------------------


DOCUMENTS = {
    "/viewer/": "left out of the viewer's page",
    "/wms?SERVICE=WMS&REQUEST=GetCapabilities": "left out of the capabilities",
    "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities": "left out of the capabilities",
    "/layers": "listed unavailable by /layers",
}
"""The documents about several layers, and what each says became of a damaged one."""


def test_a_damaged_layer_is_said_once_not_at_every_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A SYNTHETIC COG cut to half its bytes while served beside a good layer: each
    request of the viewer's page, the WMS or WMTS capabilities or ``/layers`` wrote its
    error line again (a viewer left open, a client polling the capabilities: a line a
    request). Now each document says it once while the file stays as it is, and again
    when it changes (cut shorter still)."""
    from tests.robustness.test_serving_round35 import _cog

    _cube(tmp_path / "cube.zarr", DATES)
    cog = tmp_path / "ramp.tif"
    _cog(cog, np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)), float("nan"))
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    config = _config(tmp_path, "  - {name: ramp, cog: ramp.tif, public: true}\n" + HEAT)
    said: dict[str, list[int]] = {done: [] for done in DOCUMENTS.values()}
    with live_server(config) as live, live.client() as client:
        data = cog.read_bytes()
        for cut in (2, 3):  # changed again: said again
            cog.write_bytes(data[: len(data) // cut])
            time.sleep(WAIT_S)
            for _ in range(3):
                for url in DOCUMENTS:
                    r = client.get(url)
                    assert r.status_code == 200, (url, r.text[:300])
                    assert "Traceback" not in r.text and "internal error" not in r.text
            for done in said:
                said[done].append(len(_lines(caplog, f"({done})")))
    assert said == {
        "left out of the viewer's page": [1, 2],
        "left out of the capabilities": [1, 2],  # WMS and WMTS: one fact, said once
        "listed unavailable by /layers": [1, 2],
    }, said
    lines = [line for done in said for line in _lines(caplog, f"({done})")]
    assert len(lines) == 6 and all("ramp.tif" in line for line in lines), lines


def test_control_a_damaged_layers_tiles_still_answer_503(
    tmp_path: Path,
) -> None:
    """control: the SYNTHETIC COG cut short while served: its tiles are the 503 of a
    layer that cannot be read, as before, and the good layer's page still lists it
    unavailable."""
    from tests.robustness.test_serving_round35 import _cog

    _cube(tmp_path / "cube.zarr", DATES)
    cog = tmp_path / "ramp.tif"
    _cog(cog, np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)), float("nan"))
    config = _config(tmp_path, "  - {name: ramp, cog: ramp.tif, public: true}\n" + HEAT)
    with live_server(config) as live, live.client() as client:
        cog.write_bytes(cog.read_bytes()[:5000])
        time.sleep(WAIT_S)
        r = client.get(TILE.format("ramp"))
        listed = {e["name"]: e for e in client.get("/layers").json()}
    assert r.status_code == 503 and "damaged, truncated" in r.json()["error"]
    assert listed["ramp"]["available"] is False and "available" not in listed["heat"]
