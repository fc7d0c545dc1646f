"""Rounds 48 and 49, the lead's: a TileJSON document asked for another date than its
layer's (``/tilejson/x2021.json?time=2020-06-01``).

The cube is round 49's SYNTHETIC zarr v3 store (``X`` over three dates, and ``heat``, one
map of no date), served by the real ``prospect serve`` on a loopback port (round 49's
``served`` fixture).
"""

from __future__ import annotations

from typing import Any

from tests.robustness.test_serving_round49 import served  # noqa: F401  (the fixture)


def _tilejson(r: Any) -> dict[str, Any]:
    assert r.status_code == 200, r.text[:400]
    assert r.headers["content-type"].startswith("application/json")
    doc: dict[str, Any] = r.json()
    return doc


def test_a_tilejson_of_another_date_is_refused_naming_that_dates_layer(
    served: Any,  # noqa: F811
) -> None:
    """``/tilejson/x2021.json?time=2020-06-01`` (a web map asking its TileJSON for the
    date on its time slider) was x2021's document without a word: the map drew 2021's tiles
    as 2020. Now the JSON 400 the layer's tiles and legend give, naming the layer of that
    date."""
    for key in ("time", "datetime"):
        r = served.get("/tilejson/x2021.json", params={key: "2020-06-01"})
        assert r.status_code == 400, (key, r.status_code, r.text[:300])
        message = str(r.json())
        assert "Traceback" not in message and "internal error" not in message
        assert "the map of 2020-06-01 is layer 'x2020'" in message, message


def test_a_tilejson_of_a_map_of_no_date_says_its_time_was_ignored(
    served: Any,  # noqa: F811
) -> None:
    """``heat`` (one map, no time dimension) with a time: its document, with the
    ``Warning`` its tiles give that the time was not applied."""
    r = served.get("/tilejson/heat.json", params={"time": "2020-06-01"})
    _tilejson(r)
    assert "time" in r.headers.get("warning", "").lower(), r.headers


def test_control_a_tilejson_at_its_layers_date_or_none_is_its_document(
    served: Any,  # noqa: F811
) -> None:
    """Control: x2021's document with its own date, a time on that day or no time is the
    same document, with no ``Warning``."""
    plain = _tilejson(served.get("/tilejson/x2021.json"))
    for time in ("2021-06-01", "2021-06-01T10:30:00Z", "default"):
        r = served.get("/tilejson/x2021.json", params={"time": time})
        assert _tilejson(r) == plain, time
        assert "warning" not in r.headers, (time, r.headers.get("warning"))
