"""Tile delivery, round 48: ``TIME`` values as ISO 8601 and WMS 1.3.0 annex D write them,
asked of a layer of one date (a serve layer's ``date:``): a time with an offset, a month
or a year (reduced precision), the keyword ``default``, and a range of no dates.

The cube is a SYNTHETIC zarr v3 store written here (``X`` stacked over three dates, 1, 9
and 17 everywhere, dims ``(time, y, x)``), served as layers x2020 and x2021 by a live
``prospect serve`` (uvicorn on loopback) asked by httpx, over WMS 1.3.0, WMTS KVP and the
WMTS REST binding. Each non-control case failed before the fix; all data here are
SYNTHETIC.
"""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tests.robustness.test_serving_round45 import _get_map
from tiles.testing import live_server

from .conftest import assert_clean_error

OGC = "{http://www.opengis.net/ogc}"
OWS = "{http://www.opengis.net/ows/1.1}"
REST = "/wmts/1.0.0/x2021/default/{time}/WebMercatorQuad/0/0/0.png"
KVP = {
    "SERVICE": "WMTS",
    "REQUEST": "GetTile",
    "VERSION": "1.0.0",
    "LAYER": "x2021",
    "STYLE": "default",
    "TILEMATRIXSET": "WebMercatorQuad",
    "TILEMATRIX": 0,
    "TILEROW": 0,
    "TILECOL": 0,
    "FORMAT": "image/png",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``prospect serve`` of SYNTHETIC X at 2020-06-01 (x2020) and 2021-06-01 (x2021)."""
    root = tmp_path_factory.mktemp("round48time")
    _cube(root / "cube.zarr", DATES)
    config = _config(
        root,
        "  - {name: x2020, cube: cube.zarr, variable: X, "
        "date: 2020-06-01, public: true}\n"
        "  - {name: x2021, cube: cube.zarr, variable: X, "
        "date: 2021-06-01, public: true}\n",
    )
    with live_server(config) as live, live.client() as client:
        yield client


def _wms_refusal(r: Any) -> str:
    """The text of a WMS 1.3.0 ``InvalidDimensionValue`` on ``TIME``."""
    assert r.status_code == 400, (r.status_code, r.headers.get("warning"))
    exc = ET.fromstring(r.content).find(f"{OGC}ServiceException")
    assert exc is not None and exc.attrib["code"] == "InvalidDimensionValue", r.text
    assert exc.attrib.get("locator") == "TIME"
    text = exc.text or ""
    assert "Traceback" not in text and "internal error" not in text, text
    return text


def _map(r: Any) -> None:
    """``r`` is the layer's map, its TIME applied (no Warning that it was ignored)."""
    assert r.status_code == 200, r.text[:400]
    assert r.headers["content-type"] == "image/png" and "warning" not in r.headers


# -- 1. a time with an offset is on its day in UTC ------------------------------------------


def test_a_time_late_at_a_western_offset_is_not_the_map_of_its_local_day(served: Any) -> None:
    """``TIME=2021-06-01T23:00:00-05:00`` is 2021-06-02T04:00Z, a day the cube has no map
    of: layer x2021 (the map of 2021-06-01, its scenes' day in UTC, the day a config's
    ``date:`` is read on) was served for it, the offset dropped. Now refused saying it
    is 2021-06-02 in UTC."""
    text = _wms_refusal(
        served.get("/wms", params=_get_map("1.3.0", TIME="2021-06-01T23:00:00-05:00"))
    )
    for needle in ("'x2021'", "offset -05:00", "on 2021-06-02 in UTC", "ask TIME=2021-06-01"):
        assert needle in text, text


def test_a_time_after_midnight_at_an_eastern_offset_is_the_map_of_its_utc_day(served: Any) -> None:
    """``TIME=2021-06-02T01:00:00+02:00`` (2021-06-01T23:00Z, as a client in Central
    European Summer Time writes it) was refused as "not one of its dates" on layer x2021,
    whose day it is in UTC. Now it is the map."""
    _map(served.get("/wms", params=_get_map("1.3.0", TIME="2021-06-02T01:00:00+02:00")))


def test_an_offsets_plus_sent_unencoded_is_still_its_offset(served: Any) -> None:
    """The same time with its ``+`` not percent-encoded, as hand-written URLs and some
    clients send it: the query reads it as a space (``T01:00:00 02:00``), and it was "not a
    date". Now it is read as the offset it was: the map."""
    query = "&".join(f"{k}={v}" for k, v in _get_map("1.3.0").items())
    _map(served.get(f"/wms?{query}&TIME=2021-06-02T01:00:00+02:00"))


def test_a_time_at_an_offset_names_the_layer_of_its_utc_day(served: Any) -> None:
    """``TIME=2020-05-31T23:00:00-05:00`` on x2021 is 2020-06-01 in UTC, layer x2020's
    date: the refusal named no layer (it looked for one of 2020-05-31). Now it names
    x2020."""
    text = _wms_refusal(
        served.get("/wms", params=_get_map("1.3.0", TIME="2020-05-31T23:00:00-05:00"))
    )
    assert "the map of 2020-06-01 is layer 'x2020'" in text, text


@pytest.mark.parametrize("binding", ["rest", "kvp"])
def test_a_wmts_tile_at_an_offset_is_read_on_its_utc_day(served: Any, binding: str) -> None:
    """WMTS, both bindings: ``2021-06-01T23:00:00-05:00`` was x2021's tile; now an OWS
    ``InvalidParameterValue`` saying it is 2021-06-02 in UTC."""
    time = "2021-06-01T23:00:00-05:00"
    r = (
        served.get(REST.format(time=time))
        if binding == "rest"
        else served.get("/wmts", params={**KVP, "TIME": time})
    )
    assert r.status_code == 400, (r.status_code, r.headers.get("warning"))
    exc = ET.fromstring(r.content).find(f"{OWS}Exception")
    assert exc is not None and exc.attrib["exceptionCode"] == "InvalidParameterValue", r.text
    assert "on 2021-06-02 in UTC" in (exc.findtext(f"{OWS}ExceptionText") or ""), r.text


# -- 2. a month or a year (ISO 8601's reduced precision) ---------------------------------


@pytest.mark.parametrize("time", ["2021-06", "2021", "2021-05/2021-07"])
def test_a_month_or_year_holding_the_layers_date_is_its_map(served: Any, time: str) -> None:
    """``TIME=2021-06`` (June 2021), ``2021`` or a range of months on layer x2021: WMS
    1.3.0 annex D lets a time be given with reduced precision, and each was refused as
    "not a date (ISO 8601: YYYY-MM-DD)". Now each is x2021's map."""
    _map(served.get("/wms", params=_get_map("1.3.0", TIME=time)))


def test_a_month_of_another_dates_layer_names_that_layer(served: Any) -> None:
    """``TIME=2020-06`` on x2021 was "not a date" naming no layer; now "not one of its
    dates" and the layer of June 2020, x2020."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="2020-06")))
    assert "is not one of its dates" in text and "is not a date" not in text, text
    assert "the map of 2020-06-01 is layer 'x2020'" in text, text


# -- 3. the keyword 'default' ------------------------------------------------------------


def test_time_default_is_the_layers_default(served: Any) -> None:
    """``TIME=default`` (the keyword NASA GIBS's WMTS templates carry, copied into Leaflet
    and OpenLayers pages) was "not a date": now the dimension's default, the layer's date,
    as ``TIME=`` left empty is."""
    _map(served.get("/wms", params=_get_map("1.3.0", TIME="default")))


def test_a_rest_tile_of_time_default_is_the_tile(served: Any) -> None:
    """``/wmts/1.0.0/x2021/default/default/WebMercatorQuad/0/0/0.png`` (``{Time}`` filled
    with ``default``) was an OWS exception; now the same tile as without a time."""
    r = served.get(REST.format(time="default"))
    _map(r)
    assert r.content == served.get("/wmts/1.0.0/x2021/default/WebMercatorQuad/0/0/0.png").content


# -- 4. a range of no dates --------------------------------------------------------------


def test_a_range_to_present_is_not_told_to_ask_the_layer_asked(served: Any) -> None:
    """``TIME=2021-06-01/PRESENT`` (GeoServer's open end, not ISO 8601) on x2021 was told
    "the map of 2021-06-01 is layer 'x2021'", the layer asked, and "not one of its dates".
    Now it is said to be no date or range of them, and no layer is offered for it.
    (Round 49 reads ``PRESENT`` as today in UTC, so that range is now x2021's map: the
    refusal is checked on a range to an end that is no date, ``later``.)"""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="2021-06-01/later")))
    assert "is layer 'x2021'" not in text, text
    assert "is not a date" in text and "range start/end" in text, text


# -- 5. a time asked of an XYZ tile or /point ---------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/point/x2021?lon=5.5&lat=52.5&time=2020-06-01",
        "/tiles/x2021/7/65/41.png?time=2020-06-01",
        "/point/x2021?lon=5.5&lat=52.5&DATE=2020-06-01",
    ],
)
def test_a_time_of_another_date_on_an_xyz_tile_or_point_is_refused(served: Any, url: str) -> None:
    """``/point/x2021?lon=5.5&lat=52.5&time=2020-06-01`` was 17, 2021's value, and the
    XYZ tile of x2021 with ``?time=2020-06-01`` 2021's tile, without a word (``time=`` as
    Leaflet's TimeDimension adds it, ``date=``). Now a JSON 400 naming the layer's date
    and the layer of the date asked, as WMS and WMTS refuse it."""
    r = served.get(url)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    error = r.json()["error"]
    for needle in (
        "'x2021' is the map of 2021-06-01",
        "'2020-06-01' is not one of its dates",
        "the map of 2020-06-01 is layer 'x2020'",
    ):
        assert needle in error, error


def test_a_time_on_an_xyz_tile_of_a_map_of_no_date_is_said_ignored(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``?time=2021`` on a layer of one map of no date (``heat``) was dropped without a
    word; now the tile carries the ``Warning`` that WMS and WMTS give of a dimension the
    layer does not declare."""
    root = tmp_path_factory.mktemp("round48heat")
    _cube(root / "cube.zarr", DATES)
    config = _config(root, "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n")
    with live_server(config) as live, live.client() as client:
        r = client.get("/point/heat?lon=5.5&lat=52.5&time=2021")
        assert r.status_code == 200 and r.json()["value"] == 1.0, r.text
        assert "time ignored" in r.headers.get("warning", ""), r.headers
        plain = client.get("/point/heat?lon=5.5&lat=52.5")
        assert plain.status_code == 200 and "warning" not in plain.headers


# -- 6. a cube dated in a climate model's calendar ------------------------------------------


def _calendar_cube(path: Path, calendar: str) -> Path:
    """A SYNTHETIC cube like :func:`_cube` whose ``time`` axis is stored as CF writes a
    climate model's steps: days since 2019-06-01 in ``calendar``."""
    import rioxarray  # noqa: F401  (the .rio accessor)

    y = 52.995 - 0.01 * np.arange(100)
    x = 5.005 + 0.01 * np.arange(100)
    time = xr.Variable(
        ("time",),
        np.array([0, 365, 730]),
        attrs={"units": "days since 2019-06-01", "calendar": calendar},
    )
    stacked = xr.DataArray(
        np.stack([np.full((100, 100), 1.0 + 8.0 * i, "f4") for i in range(3)]),
        dims=("time", "y", "x"),
        coords={"time": time, "y": y, "x": x},
    )
    ds = xr.Dataset({"X": stacked}).rio.write_crs("EPSG:4326")
    ds.attrs["synthetic"] = "true"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.to_zarr(path, zarr_format=3, consolidated=True, mode="w")
    return path


@pytest.mark.parametrize("calendar", ["noleap", "360_day"])
def test_a_cube_dated_in_a_models_calendar_says_how_to_write_it(
    tmp_path: Path, cli: Any, calendar: str
) -> None:
    """A cube whose ``time`` is in the ``noleap`` or ``360_day`` calendar (CMIP and
    CORDEX output, and the zarrs written from them) served with ``date:``: "cannot open
    cube: unable to decode time units ... Try opening your dataset with decode_times=False
    or installing cftime", xarray's advice, which no option of ``prospect serve`` takes.
    Now it names the axis and calendar and how to write the store in the standard one."""
    _calendar_cube(tmp_path / "model.zarr", calendar)
    config = _config(
        tmp_path, "  - {name: x, cube: model.zarr, variable: X, date: 2020-06-01, public: true}\n"
    )
    line = assert_clean_error(
        cli("serve", config, "--check"),
        1,
        "model.zarr",
        f"axis 'time' is dated in the {calendar!r} calendar",
        "convert_calendar('standard'",
    )
    assert "decode_times=False" not in line, line


# -- 7. one end of a layer's colour range ---------------------------------------------------


@pytest.mark.parametrize(
    ("ends", "needles"),
    [
        (
            "vmin: 5",
            ("vmin 5 is given without vmax, whose default 1 is not above it", "give vmax too"),
        ),
        (
            "vmax: -5",
            ("vmax -5 is given without vmin, whose default 0 is not below it", "give vmin too"),
        ),
    ],
)
def test_one_end_of_a_colour_range_past_the_others_default_says_to_give_both(
    tmp_path: Path, cli: Any, ends: str, needles: tuple[str, ...]
) -> None:
    """A serve layer giving ``vmin: 5`` alone (its values 1 to 17) was refused "vmax (1.0)
    must be greater than vmin (5.0)", a vmax the config never wrote (the default), and
    not that it may be given; ``vmax: -5`` alone the same of vmin. Now it names the end
    left out, its default, and to give it or leave both out."""
    _cube(tmp_path / "cube.zarr", DATES)
    config = _config(
        tmp_path,
        f"  - {{name: x, cube: cube.zarr, variable: X, date: 2021-06-01, {ends}, public: true}}\n",
    )
    line = assert_clean_error(cli("serve", config, "--check"), 2, "serve.yaml", *needles)
    assert "must be greater than" not in line, line


def test_one_end_of_a_job_tile_layers_range_says_to_give_both(tmp_path: Path, cli: Any) -> None:
    """The same in a job's ``tiles.layers`` (the one validator): ``vmin: 5`` alone."""
    from .conftest import Sandbox

    box = Sandbox(tmp_path / "box")
    box.write_job(tiles={"layers": [{"variable": "probability", "vmin": 5}]})
    assert_clean_error(
        cli("plan", box.job_path),
        2,
        "job.yaml",
        "tiles.layers",
        "vmin 5 is given without vmax",
        "give vmax too",
    )
    assert box.untouched()


def test_control_both_ends_out_of_order_are_said_as_before(tmp_path: Path, cli: Any) -> None:
    """Control: ``vmin: 5, vmax: 3`` (both given) is refused as before."""
    _cube(tmp_path / "cube.zarr", DATES)
    config = _config(
        tmp_path,
        "  - {name: x, cube: cube.zarr, variable: X, "
        "date: 2021-06-01, vmin: 5, vmax: 3, public: true}\n",
    )
    assert_clean_error(
        cli("serve", config, "--check"), 2, "vmax (3.0) must be greater than vmin (5.0)"
    )


# -- controls ----------------------------------------------------------------------------


@pytest.mark.parametrize("time", ["2021-06-01", "2021-06-01T10:30:00Z", ""])
def test_control_the_layers_day_and_times_on_it_are_its_map(served: Any, time: str) -> None:
    """Control: the layer's day, a time on it in UTC, and ``TIME=`` empty are its map."""
    _map(served.get("/wms", params=_get_map("1.3.0", TIME=time)))


def test_control_an_xyz_tile_and_point_at_the_layers_date_or_none(served: Any) -> None:
    """Control: x2021's XYZ tile and value with ``time=2021-06-01`` are those without a
    time (17), with no Warning."""
    plain = served.get("/tiles/x2021/7/65/41.png")
    timed = served.get("/tiles/x2021/7/65/41.png?time=2021-06-01")
    assert plain.status_code == timed.status_code == 200 and plain.content == timed.content
    assert "warning" not in timed.headers
    r = served.get("/point/x2021?lon=5.5&lat=52.5&time=2021-06-01")
    assert r.status_code == 200 and r.json()["value"] == 17.0 and "warning" not in r.headers


@pytest.mark.parametrize("time", ["2020-06-01", "2021-13", "current"])
def test_control_another_day_a_bad_month_and_current_are_still_refused(
    served: Any, time: str
) -> None:
    """Control: another date names its layer, a month 13 is no date, and ``current``
    (WMTS's and WMS's keyword only where the dimension declares it) is refused as before."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    want = {
        "2020-06-01": "the map of 2020-06-01 is layer 'x2020'",
        "2021-13": "is not a date",
        "current": "asks for the newest map",
    }[time]
    assert want in text, text
