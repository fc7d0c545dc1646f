"""Tile delivery, round 49: ``TIME`` on the legends of a layer of one date (WMS
``GetLegendGraphic`` and ``/legend``), ``TIME`` as an ISO 8601 interval of a start and a
duration (``2021-06-01/P1D``), of a duration and an end, or open to ``PRESENT``, and a day
in ISO 8601's basic format (``20210601``).

The cube is a SYNTHETIC zarr v3 store written here (``X`` stacked over three dates, 1, 9
and 17 everywhere, dims ``(time, y, x)``; ``heat`` one map of no date), served as layers
x2020, x2021 and heat by a live ``prospect serve`` (uvicorn on loopback) asked by httpx,
over WMS 1.3.0, WMTS KVP and the ``/legend`` URL. Each non-control case failed before the
fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tests.robustness.test_serving_round45 import _get_map
from tests.robustness.test_serving_round48 import KVP, _wms_refusal
from tiles.testing import live_server

OWS = "{http://www.opengis.net/ows/1.1}"
LEGEND = {
    "SERVICE": "WMS",
    "VERSION": "1.3.0",
    "REQUEST": "GetLegendGraphic",
    "FORMAT": "image/png",
    "LAYER": "x2021",
}


@contextlib.contextmanager
def time_server(root: Path) -> Iterator[Any]:
    """An httpx client of ``prospect serve`` (in ``root``) of SYNTHETIC X at 2020-06-01
    (x2020) and 2021-06-01 (x2021), and ``heat`` (one map, no date)."""
    _cube(root / "cube.zarr", DATES)
    config = _config(
        root,
        "  - {name: x2020, cube: cube.zarr, variable: X, "
        "date: 2020-06-01, public: true}\n"
        "  - {name: x2021, cube: cube.zarr, variable: X, "
        "date: 2021-06-01, public: true}\n"
        "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n",
    )
    with live_server(config) as live, live.client() as client:
        yield client


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """:func:`time_server`'s client."""
    with time_server(tmp_path_factory.mktemp("round49time")) as client:
        yield client


def _png(r: Any, *, warned: bool = False) -> None:
    """``r`` is a PNG; with ``warned`` its ``Warning`` says a time was not applied."""
    assert r.status_code == 200, r.text[:400]
    assert r.headers["content-type"] == "image/png"
    assert ("warning" in r.headers) == warned, r.headers.get("warning")
    if warned:
        assert "ignored" in r.headers["warning"], r.headers["warning"]


# -- 1. TIME on a legend of a date's layer -----------------------------------------------


def test_a_legend_graphic_of_another_date_is_refused_naming_that_dates_layer(
    served: Any,
) -> None:
    """GetLegendGraphic of layer x2021 (the map of 2021-06-01) with ``TIME=2020-06-01``
    was x2021's legend without a word, while GetMap with the same TIME is refused: a
    client's legend panel showed 2021's ramp under 2020's (refused) map. Now the same
    ``InvalidDimensionValue`` as GetMap, naming the layer of 2020-06-01."""
    text = _wms_refusal(served.get("/wms", params={**LEGEND, "TIME": "2020-06-01"}))
    for needle in ("'x2021'", "the map of 2021-06-01", "the map of 2020-06-01 is layer 'x2020'"):
        assert needle in text, text


def test_a_legend_url_with_another_time_is_refused_naming_that_dates_layer(
    served: Any,
) -> None:
    """``/legend/x2021.png?time=2020-06-01`` (Leaflet's TimeDimension adds ``time=`` to
    the layer's URLs) was x2021's legend without a word; now the JSON 400 the same URL's
    tile gives, naming the layer of that date."""
    r = served.get("/legend/x2021.png", params={"time": "2020-06-01"})
    assert r.status_code == 400, (r.status_code, r.headers.get("warning"))
    message = r.json()["error"] if "error" in r.json() else str(r.json())
    assert "Traceback" not in message and "internal error" not in message
    assert "the map of 2020-06-01 is layer 'x2020'" in message, message


def test_a_legend_of_a_map_of_no_date_says_its_time_was_ignored(served: Any) -> None:
    """GetLegendGraphic and ``/legend`` of ``heat`` (one map, no time dimension) with a
    time: the legend, as before, now with the ``Warning`` GetMap gives that the time was
    not applied (it had none)."""
    _png(served.get("/wms", params={**LEGEND, "LAYER": "heat", "TIME": "2020-06-01"}), warned=True)
    _png(served.get("/legend/heat.png", params={"time": "2020-06-01"}), warned=True)


def test_control_a_legend_at_the_layers_date_or_none_is_its_legend(served: Any) -> None:
    """Control: x2021's legend with its own date, a time on that day, ``default``, or no
    time is its legend, byte for byte the legend asked without a time."""
    plain = served.get("/wms", params=LEGEND)
    _png(plain)
    for time in ("2021-06-01", "2021-06-01T10:30:00Z", "default", "2021-06"):
        r = served.get("/wms", params={**LEGEND, "TIME": time})
        _png(r)
        assert r.content == plain.content, time
    _png(served.get("/legend/x2021.png", params={"time": "2021-06-01"}))
    _png(served.get("/legend/heat.png"))


# -- 2. ISO 8601 intervals: start/duration, duration/end, open to PRESENT ----------------


@pytest.mark.parametrize(
    "time",
    [
        "2021-06-01/P1D",
        "2021-05-15/P1M",
        "P1W/2021-06-03",
        "2021-05-31T12:00:00Z/PT24H",
        "2021-06-01/PRESENT",
    ],
)
def test_an_interval_of_a_duration_or_to_present_holding_the_date_is_its_map(
    served: Any, time: str
) -> None:
    """``TIME=2021-06-01/P1D`` (ISO 8601's start and duration, as OpenLayers' and the ncWMS
    time pickers write a day), a duration before an end, or a range open to ``PRESENT``
    (GeoServer's) on layer x2021: each was refused "is not a date". An interval holding
    the layer's date is now its map."""
    _png(served.get("/wms", params=_get_map("1.3.0", TIME=time)))


@pytest.mark.parametrize("time", ["2020-06-01/P1D", "P1D/2021-05-31", "2021-06-02/PRESENT"])
def test_an_interval_of_a_duration_of_other_days_names_what_it_holds(
    served: Any, time: str
) -> None:
    """An interval of a duration that does not hold 2021-06-01 was "not a date (ISO 8601:
    YYYY-MM-DD, ...)": the client was told its well-formed interval was no time. Now it
    is "not one of its dates", and one holding 2020-06-01 names layer x2020."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    # an interval "holds none of its dates" since round 66
    assert "holds none of its dates" in text and "is not a date" not in text, text
    if time.startswith("2020"):
        assert "the map of 2020-06-01 is layer 'x2020'" in text, text


def test_a_wmts_tile_of_a_start_and_duration_is_its_tile(served: Any) -> None:
    """WMTS KVP ``TIME=2021-06-01/P1D`` on x2021 was an ``InvalidParameterValue``; now the
    tile."""
    _png(served.get("/wmts", params={**KVP, "TIME": "2021-06-01/P1D"}))


@pytest.mark.parametrize(
    "time", ["2021-06-01/P", "2021-06-01/P1X", "2021-06-01/PT", "P1D/P1D", "2021-06-01/P1D/P1D/x"]
)
def test_control_a_malformed_duration_is_still_no_date(served: Any, time: str) -> None:
    """Control: a duration of no amounts or units, two durations, or four parts are still
    "not a date" (the forms it lists now name the interval of a duration too)."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    assert "is not a date" in text, text


def test_control_the_ranges_taken_before_are_still_the_map(served: Any) -> None:
    """Control: a range of days, of months, and one with a period (WMS 1.3.0 annex C.3)
    holding 2021-06-01 are still x2021's map."""
    for time in ("2021-05-31/2021-06-02", "2021-05/2021-07", "2021-01-01/2021-12-31/P1D"):
        _png(served.get("/wms", params=_get_map("1.3.0", TIME=time)))


def test_a_range_to_present_starting_after_today_holds_no_date(served: Any) -> None:
    """``PRESENT`` is today in UTC: a range from after today to it holds no day, and is
    "not one of its dates" (it was "not a date") with the forms listed."""
    after = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat()
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=f"{after}/PRESENT")))
    assert "holds none of its dates" in text, text  # a range's words since round 66
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="2021-06-01/P")))
    assert "start/P1D or P1D/end, or start/PRESENT" in text, text


# -- 3. ISO 8601's basic format -----------------------------------------------------------


@pytest.mark.parametrize("time", ["20210601", "20210601T103000Z", "20210602T0100+0200"])
def test_a_day_or_time_in_the_basic_format_is_its_map(served: Any, time: str) -> None:
    """``TIME=20210601`` (ISO 8601's basic format, as ``date +%Y%m%d`` and archives' file
    names write a day) or a time on it (an offset read on its UTC day) on x2021 was "not a
    date"; it names one day without doubt, and is now the map."""
    _png(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    r = served.get("/point/x2021", params={"lon": 5.5, "lat": 52.5, "time": time})
    assert r.status_code == 200 and r.json()["value"] == 17.0, r.text[:400]


def test_a_basic_format_day_of_another_date_names_its_layer(served: Any) -> None:
    """``TIME=20200601`` on x2021 was "not a date"; now "not one of its dates" naming
    layer x2020, as ``2020-06-01`` is."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="20200601")))
    assert "the map of 2020-06-01 is layer 'x2020'" in text, text


@pytest.mark.parametrize("time", ["2021061", "202106", "20210632", "20210601T10:30"])
def test_control_digits_that_are_no_basic_format_day_are_still_no_date(
    served: Any, time: str
) -> None:
    """Control: seven digits, a year and month run together (``202106``, which ISO 8601
    does not allow), a 32nd day, and a basic day with an extended time are still "not a
    date"."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    assert "is not a date" in text, text


# -- 4. times and intervals at the ends of the calendar ------------------------------------


@pytest.mark.parametrize(
    "time", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "99991231T2300-0500"]
)
def test_a_time_whose_utc_day_is_past_the_calendar_is_refused_not_an_error(
    served: Any, time: str
) -> None:
    """``TIME=9999-12-31T23:00:00-05:00`` is on a UTC day after the last one a date
    holds (round 48 reads offsets on their UTC day): the server answered an internal
    error (500, an ``OverflowError``). Now a 400 ``InvalidDimensionValue``."""
    _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    r = served.get("/point/x2021", params={"lon": 5.5, "lat": 52.5, "time": time})
    assert r.status_code == 400 and "internal error" not in r.text, r.text[:400]


@pytest.mark.parametrize("time", ["2021-06-01/P99999999Y", "P99999999Y/2021-06-01"])
def test_an_interval_running_past_the_calendar_holds_its_days(served: Any, time: str) -> None:
    """A duration past the years a calendar holds (``2021-06-01/P99999999Y``, "from then
    on") holds every day on that side of its end, 2021-06-01 among them: the map."""
    _png(served.get("/wms", params=_get_map("1.3.0", TIME=time)))


@pytest.mark.parametrize(
    "time", ["P1D/9999-12-31", "9999-12-31/P1D", "P99999999999999999999999D/2021-06-01"]
)
def test_control_intervals_at_the_calendars_ends_are_answered(served: Any, time: str) -> None:
    """Control: intervals touching the calendar's last day, or of a duration no
    timedelta holds, are refused with a 400, never an internal error."""
    _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
