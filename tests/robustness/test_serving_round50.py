"""Tile delivery, round 50: ``TIME`` written in ISO 8601's other forms of a day and time:
``PRESENT`` alone or at a range's start (and a duration up to it), a week (``2021-W22``)
or a day of one (``2021-W22-2``), a day of the year (``2021-152``), a fraction of a second
after ISO 8601's comma (``10:30:00,5Z``), ``24:00`` (the next day's start), and a clock
that no day has (``T25:00Z``).

The cube is a SYNTHETIC zarr v3 store written here (``X`` stacked over three dates, 1, 9
and 17 everywhere, dims ``(time, y, x)``; ``heat`` one map of no date), served as layers
x2020, x2021 and heat by a live ``prospect serve`` (uvicorn on loopback) asked by httpx,
over WMS 1.3.0, WMTS KVP, XYZ tiles and ``/point``. Each non-control case failed before
the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.robustness.test_serving_round45 import _get_map
from tests.robustness.test_serving_round48 import KVP, _wms_refusal
from tests.robustness.test_serving_round49 import _png, time_server

POINT = {"lon": 5.5, "lat": 52.5}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Round 49's server (:func:`time_server`): layers x2020, x2021 and heat."""
    with time_server(tmp_path_factory.mktemp("round50time")) as client:
        yield client


@pytest.fixture(scope="module")
def plain_map(served: Any) -> bytes:
    """x2021's map asked at its own date (the bytes every form of that day must give)."""
    r = served.get("/wms", params=_get_map("1.3.0", TIME="2021-06-01"))
    _png(r)
    return bytes(r.content)


def _json_refusal(r: Any) -> str:
    """The message of a JSON 400 (XYZ tiles, ``/point``)."""
    assert r.status_code == 400, (r.status_code, r.text[:300])
    message = str(r.json().get("error", r.json()))
    assert "Traceback" not in message and "internal error" not in message, message
    return message


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


# -- 1. PRESENT alone, at a range's start, and after a duration ---------------------------


def test_time_present_alone_is_now_not_no_date(served: Any) -> None:
    """``TIME=PRESENT`` (GeoServer's and ncWMS's now; round 49 read it at a range's end
    alone) on x2021 was "is not a date (ISO 8601: ...)", as if mistyped. Now it is today
    in UTC, "not one of its dates" saying which day that is, by WMS and on an XYZ tile's
    ``?time=`` (in any case)."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="PRESENT")))
    assert "is not one of its dates" in text and "is not a date" not in text, text
    assert f"now, on {_today()} in UTC" in text, text
    message = _json_refusal(served.get("/tiles/x2021/7/65/41.png", params={"time": "present"}))
    assert "is not one of its dates" in message and f"now, on {_today()}" in message, message


@pytest.mark.parametrize("time", ["PRESENT/2031-01-01", "P1M/PRESENT", "PRESENT/P1D"])
def test_present_at_a_ranges_start_or_after_a_duration_is_read(served: Any, time: str) -> None:
    """``PRESENT`` as a range's start, or as the end of an interval of a duration
    (``P1M/PRESENT``, the last month, as ncWMS's and GeoServer's clients ask for recent
    maps), was "not a date"; each is now read (from or to today in UTC), and holding no
    2021-06-01 is "not one of its dates"."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    # a range "holds none of its dates" since round 66
    assert "holds none of its dates" in text and "is not a date" not in text, text


def test_a_long_duration_to_present_holding_the_date_is_its_map(
    served: Any, plain_map: bytes
) -> None:
    """``P99Y/PRESENT`` (the last 99 years) holds 2021-06-01 and was "not a date"; now
    x2021's map, by WMS and WMTS KVP."""
    r = served.get("/wms", params=_get_map("1.3.0", TIME="P99Y/PRESENT"))
    _png(r)
    assert r.content == plain_map
    _png(served.get("/wmts", params={**KVP, "TIME": "P99Y/PRESENT"}))


# -- 2. week dates, weeks and ordinal dates -----------------------------------------------


@pytest.mark.parametrize(
    "time", ["2021-W22-2", "2021W222", "2021-152", "2021-152T10:30:00Z", "2021-W22-2T08:00Z"]
)
def test_a_week_date_or_day_of_the_year_is_its_day(
    served: Any, plain_map: bytes, time: str
) -> None:
    """``TIME=2021-W22-2`` (ISO 8601's week date: the Tuesday of week 22, 2021-06-01, as
    ISO-week calendars and Python's ``date.isoformat`` of ``isocalendar`` write it), its
    basic form ``2021W222``, and the day of the year ``2021-152`` (as MODIS and Landsat
    products name their days), alone or with a time, were "not a date" on x2021; each is
    now its map, byte for byte that of ``TIME=2021-06-01``."""
    r = served.get("/wms", params=_get_map("1.3.0", TIME=time))
    _png(r)
    assert r.content == plain_map, time


def test_a_week_date_of_another_date_names_its_layer(served: Any) -> None:
    """``TIME=2020-W23-1`` (Monday 2020-06-01) on x2021 was "not a date"; now "not one of
    its dates", saying the day it is and naming layer x2020; ``/point`` the same."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="2020-W23-1")))
    assert "(the day 2020-06-01)" in text, text
    assert "the map of 2020-06-01 is layer 'x2020'" in text, text
    message = _json_refusal(served.get("/point/x2021", params={**POINT, "time": "2020-153"}))
    assert "the map of 2020-06-01 is layer 'x2020'" in message, message


def test_a_week_holding_the_date_is_its_map(served: Any, plain_map: bytes) -> None:
    """``TIME=2021-W22`` (a week, ISO 8601's reduced precision as ``2021-06`` is a month:
    Monday 2021-05-31 to Sunday 2021-06-06) was "not a date"; it holds 2021-06-01 and is
    x2021's map (by ``/point`` its value, 17); week 21 holds none of its dates."""
    r = served.get("/wms", params=_get_map("1.3.0", TIME="2021-W22"))
    _png(r)
    assert r.content == plain_map
    r = served.get("/point/x2021", params={**POINT, "time": "2021W22"})
    assert r.status_code == 200 and r.json()["value"] == 17.0, r.text[:300]
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="2021-W21")))
    assert "is not one of its dates" in text, text


# -- 3. a decimal comma, 24:00, and clocks no day has -------------------------------------


def test_a_fraction_after_a_decimal_comma_is_one_time(served: Any, plain_map: bytes) -> None:
    """``TIME=2021-06-01T10:30:00,5Z`` (ISO 8601's preferred sign before a fraction) was
    refused as a list: "lists several times, and a layer is one map". It is one time: on
    x2021 the map, on x2020 "not one of its dates" naming x2021."""
    r = served.get("/wms", params=_get_map("1.3.0", TIME="2021-06-01T10:30:00,5Z"))
    _png(r)
    assert r.content == plain_map
    text = _wms_refusal(
        served.get("/wms", params=_get_map("1.3.0", LAYERS="x2020", TIME="2021-06-01T10:30:00,5Z"))
    )
    assert "lists several" not in text and "is layer 'x2021'" in text, text


def test_24_00_is_the_start_of_the_next_day(served: Any, plain_map: bytes) -> None:
    """ISO 8601's ``24:00`` ends a day: ``2021-05-31T24:00:00Z`` is 2021-06-01's start
    (it was refused as 2021-05-31), and ``2021-06-01T24:00Z`` is 2021-06-02's, which was
    x2021's map without a word (a silently wrong date): now refused saying the day."""
    r = served.get("/wms", params=_get_map("1.3.0", TIME="2021-05-31T24:00:00Z"))
    _png(r)
    assert r.content == plain_map
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="2021-06-01T24:00Z")))
    assert "(24:00, the start of 2021-06-02)" in text and "is not one of its dates" in text, text


@pytest.mark.parametrize("time", ["2021-06-01T25:00:00Z", "2021-06-01T10:75Z", "2021-06-01T24:30Z"])
def test_a_clock_no_day_has_is_no_date(served: Any, time: str) -> None:
    """``TIME=2021-06-01T25:00:00Z`` or ``T10:75Z`` (a clock of no time, a typo) in UTC was
    read as 2021-06-01 and answered with its map; now "not a date", as a 32nd day is, by
    WMS and ``/point``."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    assert "is not a date" in text, text
    message = _json_refusal(served.get("/point/x2021", params={**POINT, "time": time}))
    assert "is not a date" in message, message


# -- 4. RFC 3339's lower case and a space between day and time -----------------------------


@pytest.mark.parametrize(
    "time", ["2021-06-01 00:00:00", "2021-06-01 10:30:00+00:00", "2021-06-01t10:30:00z"]
)
def test_a_time_joined_by_a_space_or_in_lower_case_is_its_map(
    served: Any, plain_map: bytes, time: str
) -> None:
    """``TIME=2021-06-01 00:00:00`` (Python's ``str`` of a datetime or a pandas Timestamp,
    SQL's timestamps: a script building the URL from its dates), its offset form, and
    RFC 3339's lower-case ``t`` and ``z`` were "not a date"; each is now x2021's map, and
    ``/point``'s value."""
    r = served.get("/wms", params=_get_map("1.3.0", TIME=time))
    _png(r)
    assert r.content == plain_map, time
    r = served.get("/point/x2021", params={**POINT, "time": time})
    assert r.status_code == 200 and r.json()["value"] == 17.0, r.text[:300]


def test_a_time_joined_by_a_space_is_read_on_its_utc_day(served: Any) -> None:
    """``TIME=2021-06-01 23:00:00-05:00`` is 2021-06-02 in UTC (round 48's rule for
    offsets): refused as not x2021's date, saying its UTC day (it was "not a date")."""
    text = _wms_refusal(
        served.get("/wms", params=_get_map("1.3.0", TIME="2021-06-01 23:00:00-05:00"))
    )
    assert "on 2021-06-02 in UTC" in text and "is not one of its dates" in text, text


# -- 5. a range open at one end (OGC API's and STAC's datetime) --------------------------


def test_a_range_open_at_one_end_is_read(served: Any, plain_map: bytes) -> None:
    """``datetime=2021-01-01T00:00:00Z/..`` (OGC API's and STAC's open end, as a STAC
    browser or TiTiler client writes it), ``TIME=../2021-12-31`` and ``2021-01-01/`` (ISO
    8601-2's open ends) were "not a date"; each holding 2021-06-01 is now x2021's map or
    value, and ``../2020-12-31`` names layer x2020."""
    r = served.get("/point/x2021", params={**POINT, "datetime": "2021-01-01T00:00:00Z/.."})
    assert r.status_code == 200 and r.json()["value"] == 17.0, r.text[:300]
    for time in ("../2021-12-31", "2021-01-01/"):
        r = served.get("/wms", params=_get_map("1.3.0", TIME=time))
        _png(r)
        assert r.content == plain_map, time
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="../2020-12-31")))
    assert "the map of 2020-06-01 is layer 'x2020'" in text, text


@pytest.mark.parametrize("time", ["2021-01-01/2021-12-31/xyz", "2021-01-01/2021-12-31/"])
def test_a_ranges_period_that_is_no_duration_is_refused_saying_so(served: Any, time: str) -> None:
    """``TIME=2021-01-01/2021-12-31/xyz`` (WMS 1.3.0 annex C.3's ``start/end/period``, its
    period a resolution written as an ISO 8601 duration) was x2021's map, the period not
    read at all; now refused naming the period and what it must be."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    assert "which is no ISO 8601 duration" in text and "P1D" in text, text


# -- 6. one map of a layer of a date and a layer of none -----------------------------------


def test_a_map_of_a_dated_and_an_undated_layer_says_where_time_applied(served: Any) -> None:
    """GetMap of ``LAYERS=x2021,heat&TIME=2021-06-01`` checked and applied TIME to x2021
    (another date is refused), yet its ``Warning`` said "TIME ignored: the layers asked
    declare no such dimension", x2021's time dimension denied. Now the header names the
    layer TIME was applied to and the one of no date it was ignored on; GetFeatureInfo
    the same (beside ELEVATION's, which no layer declares)."""
    r = served.get("/wms", params=_get_map("1.3.0", LAYERS="x2021,heat", TIME="2021-06-01"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:300]
    warning = r.headers["warning"]
    assert "declare no such dimension" not in warning, warning
    assert "TIME applied to the layers of a date ('x2021')" in warning, warning
    assert "ignored on 'heat', which declares no time dimension" in warning, warning
    info = {
        **_get_map("1.3.0", LAYERS="x2021,heat", TIME="2021-06-01", ELEVATION="0"),
        "REQUEST": "GetFeatureInfo",
        "QUERY_LAYERS": "heat,x2021",
        "INFO_FORMAT": "application/json",
        "I": 5,
        "J": 5,
    }
    r = served.get("/wms", params=info)
    assert r.status_code == 200, r.text[:300]
    warning = r.headers["warning"]
    assert "ELEVATION ignored" in warning and "TIME ignored" not in warning, warning
    assert "ignored on 'heat'" in warning, warning


def test_control_time_on_layers_all_or_none_of_a_date_is_said_as_before(served: Any) -> None:
    """Control: TIME on ``heat`` alone is still "ignored: the layers asked declare no such
    dimension"; on ``x2020,x2021`` at one date still refused naming the other's date."""
    r = served.get("/wms", params=_get_map("1.3.0", LAYERS="heat", TIME="2021-06-01"))
    assert r.status_code == 200 and "declare no such dimension" in r.headers["warning"]
    r = served.get("/wms", params=_get_map("1.3.0", LAYERS="x2021", TIME="2021-06-01"))
    _png(r)
    text = _wms_refusal(
        served.get("/wms", params=_get_map("1.3.0", LAYERS="x2020,x2021", TIME="2021-06-01"))
    )
    assert "layer 'x2020' is the map of 2020-06-01" in text, text


# -- controls ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "time",
    ["2021-W53", "2021-W22-8", "2021-366", "2021-000", "2021061", "20210601T10:30", "../.."],
)
def test_control_weeks_and_days_no_calendar_has_are_still_no_date(served: Any, time: str) -> None:
    """Control: week 53 of a year of 52, a week's eighth day, day 366 of a common year,
    day 0, seven digits (no basic ordinal date is read: ``2021061`` says no day without
    doubt), a basic day with an extended time, and a range open at both ends (which
    bounds nothing; STAC refuses it too) stay "not a date", the forms listed."""
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME=time)))
    assert "is not a date" in text and "start/PRESENT" in text, text


def test_control_times_read_before_are_read_as_before(served: Any, plain_map: bytes) -> None:
    """Control: the day, a time on it, a time at an offset on its UTC day, a month, a
    range to ``PRESENT``, and a list (still "lists several times") and ``current`` (still
    round 47's wording) as before."""
    for time in (
        "2021-06-01",
        "2021-06-01T10:30:00.123Z",
        "2021-06-02T01:00:00+02:00",
        "2021-06",
        "2021-06-01/PRESENT",
        "20210601",
    ):
        r = served.get("/wms", params=_get_map("1.3.0", TIME=time))
        _png(r)
        assert r.content == plain_map, time
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="2020-06-01,2021-06-01")))
    assert "lists several times" in text, text
    text = _wms_refusal(served.get("/wms", params=_get_map("1.3.0", TIME="current")))
    assert "does not declare" in text, text
