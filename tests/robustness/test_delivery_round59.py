"""Delivery, round 59: a ``dates: all`` layer whose every day holds several maps, a
``TIME`` range holding such a day beside a served one, a cube variable removed while
served, and a change across sensors titled by hand.

A cube rewritten while served with two scenes on each of its days left the layer's
dates as read before and answered its every request the 503 "damaged, truncated or being
replaced; try again later" (nothing left to serve, no retry could help). A month or range
holding a day of several maps and a served day was answered the served day's map without
a word of the other (before the crowding, the 400 of a value holding two dates). A
variable removed from its cube while served was that 503 until a restart. A layer config
``title`` replaced a change variable's ``long_name``, so a change across two sensors
titled "NDVI change" said nothing of them in the TileJSON, WMTS and WMS capabilities.

The cube is round 44's SYNTHETIC zarr v3 store (``X`` over three dates, 1, 9 and 17
everywhere; ``heat`` one map) and a SYNTHETIC change variable made by
:func:`prospect.timeseries.change` over two dates said to be of Landsat 5 TM and Landsat 8
OLI, served by a live ``prospect serve`` in this process (uvicorn on loopback, asked by
httpx) and rewritten while served. All data here are SYNTHETIC.
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

from tests.robustness.test_delivery_round58 import _scenes
from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tiles.testing import live_server

WAIT_S = 1.1
"""The server looks at a cube's dates at most once a second."""
GONE_WAIT_S = 2.3
"""A variable missing that long, nothing of it published meanwhile, is taken as removed
(:data:`tiles.service.VARIABLE_GONE_S`, 2 s), plus a margin."""
XS = "  - {name: xs, cube: cube.zarr, variable: X, dates: all, public: true}\n"
HEAT = "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n"
TILE = "/tiles/{}/7/65/41.png"
WMTS_CAPS = "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities"
WMS_CAPS = "/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0"
WMS_MAP = ("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={}&STYLES=&CRS=EPSG:4326"
           "&BBOX=52,5,53,6&WIDTH=64&HEIGHT=64&FORMAT=image/png")


def _lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


def _clean(r: Any) -> None:
    assert "Traceback" not in r.text and "internal error" not in r.text, r.text[:300]


def _listed(client: Any) -> dict[str, bool]:
    return {e["name"]: e.get("available", True) for e in client.get("/layers").json()}


def _only(cube: Path, names: list[str]) -> None:
    """Rewrite the SYNTHETIC cube in place (``to_zarr(mode="w")``) with only the variables
    ``names`` of round 44's (``X`` over :data:`DATES`, ``heat``): the others removed."""
    import pandas as pd
    import xarray as xr

    y = 52.995 - 0.01 * np.arange(100)
    x = 5.005 + 0.01 * np.arange(100)
    maps = np.stack([np.full((100, 100), 1.0 + 8.0 * i, "f4") for i in range(len(DATES))])
    stacked = xr.DataArray(maps, dims=("time", "y", "x"),
                           coords={"time": pd.to_datetime(DATES), "y": y, "x": x})
    every = {"X": stacked, "heat": stacked.isel(time=0, drop=True)}
    ds = xr.Dataset({name: every[name] for name in names}).rio.write_crs("EPSG:4326")
    ds.attrs["synthetic"] = "true"
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        ds.to_zarr(cube, mode="w", zarr_format=3, consolidated=True)


@pytest.fixture
def served(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Path, Any]]:
    """``prospect serve`` of ``xs`` (every date of the SYNTHETIC ``X``) and ``heat``."""
    cube = _cube(tmp_path / "cube.zarr", DATES)
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    with live_server(_config(tmp_path, XS + HEAT)) as live, live.client() as client:
        yield cube, client


# -- 1. every day of a dates: all layer of several maps ------------------------------------


def test_a_layer_whose_every_day_gains_a_second_scene_is_a_404_of_the_layer(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC cube rewritten while served with two scenes on each of its two days:
    ``xs``'s tiles (any date), TileJSON, legend and maps were the 503 "damaged ... try
    again later" and its dates stayed the three read before. Now the whole layer's 404
    naming its days and their times and the cube's fix, not cached; the capabilities
    leave it out, ``/layers`` lists it unavailable; said once in the log; ``heat`` is
    served as before."""
    cube, client = served
    heat = client.get(TILE.format("heat")).content
    _scenes(cube, ["2019-06-01T10:00", "2019-06-01T11:00",
                   "2020-06-01T10:00", "2020-06-01T10:30"])
    time.sleep(WAIT_S)
    for url in (TILE.format("xs"), TILE.format("xs") + "?time=2020-06-01",
                "/tilejson/xs.json", "/legend/xs.png", TILE.format("xs")):
        r = client.get(url)
        assert r.status_code == 404, (url, r.status_code, r.text[:300])
        text = str(r.json()["error"])
        for words in ("layer 'xs' serves every date of 'X', one map a day",
                      "several maps on each of its 2 days (2019-06-01 at 10:00, 11:00; "
                      "2020-06-01 at 10:00, 10:30)",
                      ".resample(time='1D').median()"):
            assert words in text, (words, text)
        assert "damaged" not in text and "try again" not in text, text
        assert r.headers["cache-control"] == "no-store" and "Retry-After" not in r.headers
        _clean(r)
    r = client.get(WMS_MAP.format("xs"))
    assert r.status_code in (400, 404) and "LayerNotDefined" in r.text, r.text[:300]
    caps = client.get(WMTS_CAPS)
    assert caps.status_code == 200 and "<ows:Identifier>xs</ows:Identifier>" not in caps.text
    assert _listed(client) == {"xs": False, "heat": True}
    said = _lines(caplog, "several maps on each of its 2 days")
    assert len(said) == 1 and "answered 404" in said[0], said
    kept = client.get(TILE.format("heat"))
    assert kept.status_code == 200 and kept.content == heat


def test_a_layer_whose_every_day_was_crowded_is_served_again_with_one_map_a_day(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC cube with two scenes on each day, then one day of one map again: that
    day is served (the other the 404 of round 58's day); then one map a day on every day:
    every date's tile byte for byte as before."""
    cube, client = served
    before = {day: client.get(TILE.format("xs") + f"?time={day}").content for day in DATES}
    _scenes(cube, ["2019-06-01T10:00", "2019-06-01T11:00",
                   "2020-06-01T10:00", "2020-06-01T10:30"])
    time.sleep(WAIT_S)
    assert client.get(TILE.format("xs")).status_code == 404
    _scenes(cube, ["2019-06-01", "2020-06-01T10:00", "2020-06-01T10:30"])
    time.sleep(WAIT_S)
    r = client.get(TILE.format("xs"))
    assert r.status_code == 200 and r.content == before["2019-06-01"], r.text[:300]
    r = client.get(TILE.format("xs") + "?time=2020-06-01")
    assert r.status_code == 404 and "cannot serve its map of 2020-06-01" in r.text
    _cube(cube, DATES)
    time.sleep(WAIT_S)
    for day in DATES:
        r = client.get(TILE.format("xs") + f"?time={day}")
        assert r.status_code == 200 and r.content == before[day], day
    assert len(_lines(caplog, "holds days of one map again")) == 1


# -- 2. a TIME range holding a crowded day beside a served one ------------------------------


CROWDED = ["2019-06-01", "2020-03-01", "2020-06-01T10:00", "2020-06-01T10:30",
           "2020-06-15", "2021-06-01"]
"""2020-06-01 of two scenes beside 2020-03-01 and 2020-06-15, each of one map."""


def _several(r: Any, param: str, asked: str, days: str) -> None:
    """``r`` is the 400 of ``param=asked`` holding the served and crowded ``days``."""
    assert r.status_code == 400, (asked, r.status_code, r.text[:300])
    text = r.text
    for words in (f"{param}={asked!r} holds", f"days of its cube ({days})", "a map is one date",
                  "2020-06-01 is not served: its cube now holds 'X' with several maps "
                  "dated 2020-06-01 (at 10:00, 10:30)"):
        assert words in text, (words, text)
    _clean(r)


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[bytes, Any]]:
    """``xs`` served, its tile of 2019-06-01 taken, then its SYNTHETIC cube rewritten as
    :data:`CROWDED`."""
    root = tmp_path_factory.mktemp("round59crowded")
    cube = _cube(root / "cube.zarr", DATES)
    with live_server(_config(root, XS)) as live, live.client() as client:
        first = client.get(TILE.format("xs") + "?time=2019-06-01").content
        _scenes(cube, CROWDED)
        time.sleep(WAIT_S)
        yield first, client


def test_a_month_holding_a_crowded_day_and_a_served_one_is_a_400_naming_both(
    crowded: tuple[bytes, Any]
) -> None:
    """``time=2020-06`` (and the range 2020-06-01/2020-06-20, and WMS ``TIME=2020-06``)
    over a cube whose 2020-06-01 holds two scenes beside 2020-06-15 of one: answered
    2020-06-15's map without a word of 2020-06-01 (before the crowding, the 400 of a value
    holding two dates). Now that 400, naming both days and why 2020-06-01 is not served."""
    _, client = crowded
    for asked in ("2020-06", "2020-06-01/2020-06-20"):
        r = client.get(TILE.format("xs") + f"?time={asked}")
        _several(r, "time", asked, "2020-06-01, 2020-06-15")
        assert "ask one of the days served, e.g. time=2020-06-15" in r.text
    r = client.get(WMS_MAP.format("xs") + "&TIME=2020-06")
    _several(r, "TIME", "2020-06", "2020-06-01, 2020-06-15")
    assert "InvalidDimensionValue" in r.text


def test_a_year_holding_a_crowded_day_among_served_ones_names_it(
    crowded: tuple[bytes, Any]
) -> None:
    """``time=2020`` over the same cube: the 400 "holds 2 of its dates (2020-03-01,
    2020-06-15)" said nothing of 2020-06-01, a day of the cube the layer does not serve.
    Now it names the three days and why 2020-06-01 is not served."""
    _, client = crowded
    r = client.get(TILE.format("xs") + "?time=2020")
    _several(r, "time", "2020", "2020-03-01, 2020-06-01, 2020-06-15")


def test_control_times_of_one_served_day_or_the_crowded_day_alone_answer_as_before(
    crowded: tuple[bytes, Any]
) -> None:
    """control: over the same cube, ``time=2019-06`` (one served day) is that day's tile
    byte for byte, ``time=2020-06-01`` the 404 of round 58, and
    ``time=2020-06-01/2020-06-02`` (the crowded day alone) that 404 too."""
    first, client = crowded
    r = client.get(TILE.format("xs") + "?time=2019-06")
    assert r.status_code == 200 and r.content == first
    for asked in ("2020-06-01", "2020-06-01/2020-06-02"):
        r = client.get(TILE.format("xs") + f"?time={asked}")
        assert r.status_code == 404 and "cannot serve its map of 2020-06-01" in r.text, asked


# -- 3. a cube variable removed while served ------------------------------------------------


def test_a_variable_removed_from_its_cube_is_a_404_naming_what_it_holds(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC cube written again without ``heat`` while served: ``heat``'s tiles,
    TileJSON and maps were the 503 "damaged, truncated or being replaced; try again later"
    until a restart. A moment after (a publish swaps a variable in milliseconds) they are
    still that 503; missing 2 s with nothing published, the 404 naming the variables the
    cube holds and the fix, not cached, said once in the log; the capabilities leave it
    out and ``/layers`` lists it unavailable; ``xs`` is served as before."""
    cube, client = served
    xs = client.get(TILE.format("xs")).content
    _only(cube, ["X"])
    time.sleep(WAIT_S)
    client.get(TILE.format("heat"))  # a moment of a publish: as before
    time.sleep(GONE_WAIT_S)
    for url in (TILE.format("heat"), "/tilejson/heat.json", "/legend/heat.png"):
        r = client.get(url)
        assert r.status_code == 404, (url, r.status_code, r.text[:300])
        text = str(r.json()["error"])
        for words in ("layer 'heat' is variable 'heat' of its cube",
                      "its cube no longer holds it (it holds 'X')",
                      "write the variable again (rerun the stage that made it)"):
            assert words in text, (words, text)
        assert "damaged" not in text and "try again" not in text, text
        assert r.headers["cache-control"] == "no-store" and "Retry-After" not in r.headers
        _clean(r)
    r = client.get(WMS_MAP.format("heat"))
    assert "LayerNotDefined" in r.text, r.text[:300]
    caps = client.get(WMS_CAPS)
    assert caps.status_code == 200 and "<Name>heat</Name>" not in caps.text
    assert _listed(client) == {"xs": True, "heat": False}
    said = _lines(caplog, "no longer holds its variable 'heat' (it holds X)")
    assert len(said) == 1, said
    kept = client.get(TILE.format("xs"))
    assert kept.status_code == 200 and kept.content == xs


def test_a_dated_layers_variable_removed_is_a_404_and_served_again_when_back(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC cube written again without ``X`` (``xs``, every date): the same 404
    once missing 2 s; written again with it, every date served byte for byte as before
    and said in the log."""
    cube, client = served
    before = {day: client.get(TILE.format("xs") + f"?time={day}").content for day in DATES}
    _only(cube, ["heat"])
    time.sleep(WAIT_S)
    client.get(TILE.format("xs"))
    time.sleep(GONE_WAIT_S)
    r = client.get(TILE.format("xs") + "?time=2020-06-01")
    assert r.status_code == 404 and "no longer holds it (it holds 'heat')" in r.text, r.text
    _only(cube, ["X", "heat"])
    time.sleep(WAIT_S)
    for day in DATES:
        r = client.get(TILE.format("xs") + f"?time={day}")
        assert r.status_code == 200 and r.content == before[day], (day, r.text[:300])
    assert len(_lines(caplog, "its variable 'X' is back in its cube")) == 1


def test_control_a_variable_published_again_at_once_is_never_a_404(
    served: tuple[Path, Any]
) -> None:
    """control: the SYNTHETIC cube written again whole (its variables as before) twice
    while served: ``heat`` is answered as before, never the 404."""
    cube, client = served
    first = client.get(TILE.format("heat")).content
    for _ in range(2):
        _only(cube, ["X", "heat"])
        time.sleep(WAIT_S)
        r = client.get(TILE.format("heat"))
        assert r.status_code == 200 and r.content == first, r.text[:300]


# -- 4. a change across sensors titled by hand ----------------------------------------------


def _change_cube(path: Path, sensors: tuple[str, str]) -> None:
    """A SYNTHETIC cube of ``NDVI_change`` (:func:`prospect.timeseries.change` of NDVI
    over 1990-04-08 and 2014-04-19, the dates' scenes said to be of ``sensors``)."""
    import pandas as pd
    import xarray as xr

    from prospect.timeseries import change

    y = 52.995 - 0.01 * np.arange(100)
    x = 5.005 + 0.01 * np.arange(100)
    days = ["1990-04-08", "2014-04-19"]
    maps = np.stack([np.full((100, 100), v, "f4") for v in (0.3, 0.45)])
    ndvi = xr.DataArray(maps, dims=("time", "y", "x"), name="NDVI",
                        coords={"time": pd.to_datetime(days), "y": y, "x": x})
    with warnings.catch_warnings():  # the change's own DataWarning of two sensors
        warnings.simplefilter("ignore")
        diff = change(ndvi, sensors={days[0]: frozenset({sensors[0]}),
                                     days[1]: frozenset({sensors[1]})})
        ds = xr.Dataset({"NDVI_change": diff}).rio.write_crs("EPSG:4326")
        ds.attrs["synthetic"] = "true"
        ds.to_zarr(path, mode="w", zarr_format=3, consolidated=True)


TM_OLI = ("Landsat 4-5 TM", "Landsat 8-9 OLI")
TITLE = "NDVI change 1990 (TM) -> 2014 (OLI)"
ABOUT = ("NDVI change: Landsat 8 OLI 2014-04-19 minus Landsat 5 TM 1990-04-08, two sensors "
         "whose bands differ, not cross-calibrated")
CHANGES = {
    "titled": (TM_OLI, "title: NDVI change"),
    "described": (TM_OLI, "title: NDVI change, description: 'NDVI, last minus first date'"),
    "shipped": (TM_OLI, f"title: '{TITLE}', description: '{ABOUT}'"),
    "oli": (("Landsat 8-9 OLI", "Landsat 8-9 OLI"), "title: NDVI change"),
}
"""Layers of a SYNTHETIC change, each of its own cube: the sensors of its two dates and
its serve config."""


@pytest.fixture(scope="module")
def changes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``prospect serve`` of the layers of :data:`CHANGES`."""
    root = tmp_path_factory.mktemp("round59changes")
    layers = ""
    for name, (sensors, extra) in CHANGES.items():
        _change_cube(root / f"{name}.zarr", sensors)
        layers += (f"  - {{name: {name}, cube: {name}.zarr, variable: NDVI_change, "
                   f"public: true, vmin: -0.5, vmax: 0.5, {extra}}}\n")
    with live_server(_config(root, layers)) as live, live.client() as client:
        yield client


def _tilejson(client: Any, name: str) -> tuple[str, str]:
    doc = client.get(f"/tilejson/{name}.json").json()
    return doc["prospect"]["title"], doc["description"]


def test_a_titled_change_across_sensors_says_them_where_it_is_published(
    changes: Any
) -> None:
    """A change of NDVI from a TM date to an OLI date, its layer titled "NDVI change" in
    the serve config: the TileJSON's title and description, the WMTS and WMS capabilities
    said "NDVI change" alone, the cube's "across sensors (Landsat 4-5 TM to Landsat 8-9
    OLI, not cross-calibrated)" lost. Now the title keeps the sensors and the description
    is the variable's own words (its dates and sensors)."""
    title = "NDVI change (across sensors: Landsat 4-5 TM to Landsat 8-9 OLI)"
    assert _tilejson(changes, "titled") == (title, (
        "change of NDVI from 1990-04-08 to 2014-04-19 (2014-04-19 minus 1990-04-08), across "
        "sensors (Landsat 4-5 TM to Landsat 8-9 OLI, not cross-calibrated) (synthetic data, "
        "for testing only)"))
    wmts = changes.get(WMTS_CAPS).text
    assert f"<ows:Title>{title} (synthetic data)</ows:Title>" in wmts, wmts[:2000]
    wms = changes.get(WMS_CAPS).text
    assert f"<Title>{title} (synthetic data)</Title>" in wms


def test_a_titled_and_described_change_across_sensors_keeps_them_in_its_description(
    changes: Any
) -> None:
    """The same change titled "NDVI change" and described "NDVI, last minus first date"
    in the serve config: both replaced the cube's words of its two sensors. Now the
    description ends with them."""
    assert _tilejson(changes, "described")[1] == (
        "NDVI, last minus first date; across sensors (Landsat 4-5 TM to Landsat 8-9 OLI, not "
        "cross-calibrated): part of the change is the sensors' (synthetic data, for testing "
        "only)")


def test_control_a_title_naming_the_sensors_is_published_as_written(changes: Any) -> None:
    """control: the shipped job's form, a title and description naming both sensors, is
    published as written."""
    assert _tilejson(changes, "shipped") == (TITLE,
                                             ABOUT + " (synthetic data, for testing only)")


def test_control_a_titled_change_of_one_sensor_is_published_as_before(changes: Any) -> None:
    """control: a change between two OLI dates titled "NDVI change": title and description
    the config's title, as before."""
    assert _tilejson(changes, "oli") == ("NDVI change",
                                         "NDVI change (synthetic data, for testing only)")
