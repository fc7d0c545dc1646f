"""Delivery, round 56: a served layer of one ``date:`` whose date is removed from its cube,
and a legend's "≥"/"≤" end that outlived the data that gained it.

A layer of one ``date:`` whose date was removed from the cube while served (the time
series rewritten over other dates) answered its tiles, TileJSON, click value, legend and
WMS maps with the 503 "damaged, truncated or being replaced; try again later", with
``Retry-After: 60`` and an error line in the log per request, until a restart: nothing was
damaged and trying again could not help. A legend's "≥" end gained while served (a date past
the colour range, or a map rewritten past it) stayed until a restart though the date past
the range was removed or the map came back inside the range.

The cube is round 44's SYNTHETIC zarr v3 store (``X`` over three dates, 1, 9 and 17
everywhere; ``heat`` one map), served by a live ``prospect serve`` in this process
(uvicorn on loopback, asked by httpx) and rewritten while served. All data here are
SYNTHETIC.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tiles.service
from tests.robustness.test_delivery_round53 import _append_date
from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tiles.testing import live_server

WAIT_S = 1.1
"""The server looks at a cube's dates at most once a second."""
ONE = "  - {name: one, cube: cube.zarr, variable: X, date: 2021-06-01, public: true}\n"
HEAT_0_2 = "  - {name: heat, cube: cube.zarr, variable: heat, public: true, vmin: 0, vmax: 2}\n"
XS = "  - {name: xs, cube: cube.zarr, variable: X, dates: all, public: true}\n"
WMS = {
    "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "STYLES": "",
    "CRS": "EPSG:4326", "BBOX": "52,5,53,6", "WIDTH": "64", "HEIGHT": "64",
    "FORMAT": "image/png",
}  # fmt: skip


@pytest.fixture
def one_date(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Path, Any]]:
    """``prospect serve`` of ``one`` (``X`` at 2021-06-01, the SYNTHETIC cube's latest
    date) and ``xs`` (every date of ``X``)."""
    cube = _cube(tmp_path / "cube.zarr", DATES)
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    with live_server(_config(tmp_path, ONE + XS)) as live, live.client() as client:
        yield cube, client


def _lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


# -- 1. a layer of one date whose date is removed from the cube --------------------------


def test_a_one_date_layer_whose_date_is_removed_is_a_404_naming_the_dates(
    one_date: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC cube rewritten over 2019-06-01 and 2020-06-01 while ``one``
    (``date: 2021-06-01``) is served: every request of the layer was the 503 "damaged,
    truncated or being replaced; try again later" with ``Retry-After``, and one error line
    per request in the log. Now a 404 naming the layer's date, the dates held, the nearest
    and ``date:`` in the serve config to fix, not to be cached; the log says it once."""
    cube, client = one_date
    assert client.get("/tiles/one/7/65/41.png").status_code == 200
    _cube(cube, DATES[:2])
    time.sleep(WAIT_S)
    asked = [
        client.get("/tiles/one/7/65/41.png"),
        client.get("/tilejson/one.json"),
        client.get("/point/one", params={"lon": 5.5, "lat": 52.5}),
        client.get("/legend/one.png"),
        client.get("/tiles/one/7/65/41.png"),
    ]
    for r in asked:
        assert r.status_code == 404, (r.request.url, r.status_code, r.text[:300])
        text = r.json()["error"]
        assert "layer 'one' is the map of 2021-06-01" in text, text
        assert "no longer holds that date (it holds 2019-06-01, 2020-06-01" in text, text
        assert "the nearest 2020-06-01" in text and "date: in the serve config" in text
        assert "damaged" not in text and "try again" not in text, text
        assert "Retry-After" not in r.headers and r.headers["cache-control"] == "no-store"
        assert "Traceback" not in r.text and "internal error" not in r.text
    wms = client.get("/wms", params={**WMS, "LAYERS": "one"})
    assert wms.status_code == 404, (wms.status_code, wms.text[:400])
    assert "ServiceExceptionReport" in wms.text and "no longer holds that date" in wms.text
    gone = _lines(caplog, "is gone from its cube")
    assert len(gone) == 1, gone
    assert "layer 'one': its date 2021-06-01 is gone" in gone[0], gone
    assert "(its dates now: 2019-06-01, 2020-06-01)" in gone[0], gone
    assert "give one of those as date: in the serve config" in gone[0], gone
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]
    # the other layer of the cube is served as before
    assert client.get("/tiles/xs/7/65/41.png").status_code == 200


def test_a_one_date_layer_whose_date_is_removed_leaves_the_listings(
    one_date: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """After the SYNTHETIC layer's date is removed, the capabilities leave it out without
    an error line a request (each wrote "has no map dated ... (left out of the
    capabilities)"), ``/layers`` lists it unavailable, and the viewer's page, which
    was the 503 of the whole page, lists the other layer."""
    cube, client = one_date
    _cube(cube, DATES[:2])
    time.sleep(WAIT_S)
    for _ in range(2):
        caps = client.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
        assert caps.status_code == 200 and "<Name>xs</Name>" in caps.text
        assert "<Name>one</Name>" not in caps.text
        wmts = client.get("/wmts", params={"SERVICE": "WMTS", "REQUEST": "GetCapabilities"})
        assert wmts.status_code == 200 and "<ows:Identifier>one<" not in wmts.text
    listed = {e["name"]: e for e in client.get("/layers").json()}
    assert listed["one"].get("available") is False and "available" not in listed["xs"]
    page = client.get("/viewer/")
    assert page.status_code == 200, page.text[:300]
    assert "/tiles/xs/" in page.text and "/tiles/one/" not in page.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_one_date_layers_date_back_in_the_cube_is_served_again(
    one_date: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC date removed and then written back (the series rewritten whole
    again): the layer is served again, its tile as before, and the log says so."""
    cube, client = one_date
    before = client.get("/tiles/one/7/65/41.png")
    _cube(cube, DATES[:2])
    time.sleep(WAIT_S)
    assert client.get("/tiles/one/7/65/41.png").status_code == 404
    _cube(cube, DATES)
    time.sleep(WAIT_S)
    after = client.get("/tiles/one/7/65/41.png")
    assert after.status_code == 200 and after.content == before.content
    value = client.get("/point/one", params={"lon": 5.5, "lat": 52.5})
    assert value.status_code == 200 and value.json()["value"] == 17.0, value.text
    assert len(_lines(caplog, "its date 2021-06-01 is back in its cube")) == 1


def test_control_a_one_date_layer_kept_by_a_rewrite_is_served_as_before(
    one_date: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """control: the SYNTHETIC cube rewritten while served over the same dates, ``one``'s
    among them: the layer is served as before, nothing said of it."""
    cube, client = one_date
    before = client.get("/tiles/one/7/65/41.png").content
    _cube(cube, DATES)  # the same dates, rewritten
    time.sleep(WAIT_S)
    r = client.get("/tiles/one/7/65/41.png")
    assert r.status_code == 200 and r.content == before
    assert not _lines(caplog, "is gone from its cube")


# -- 2. a legend's end that outlived what gained it ---------------------------------------


@pytest.fixture
def legends(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, bool]]:
    """The ``clamped`` ends each legend the server draws is given (the real
    :func:`tiles.legend.legend_png` draws it)."""
    seen: list[tuple[bool, bool]] = []
    draw = tiles.service.legend_png

    def spy(*args: Any, **kwargs: Any) -> bytes:
        seen.append(kwargs["clamped"])
        return draw(*args, **kwargs)

    monkeypatch.setattr(tiles.service, "legend_png", spy)
    return seen


@pytest.mark.parametrize(
    "layer",
    ["{name: xs, cube: cube.zarr, variable: X, dates: all, public: true}",
     "{name: xs, cube: cube.zarr, variable: X, dates: all, public: true, vmin: 1, vmax: 9}"],
    ids=["range-taken-at-start-up", "range-set-in-the-config"],
)  # fmt: skip
def test_the_legends_end_goes_with_the_date_past_the_range(
    tmp_path: Path, legends: list[tuple[bool, bool]], layer: str
) -> None:
    """A date of 40 appended to the SYNTHETIC cube while served (1 and 9, the range 1 to
    9) gave the legend its "≥ 9" end (round 55); the cube then rewritten over its first
    two dates again kept "≥ 9" over maps of 1 and 9 until a restart. Now the legend is
    drawn again with its plain ends, its bytes and ETag those of start-up."""
    cube = _cube(tmp_path / "cube.zarr", DATES[:2])
    with live_server(_config(tmp_path, f"  - {layer}\n")) as live, live.client() as client:
        before = client.get("/legend/xs.png")
        _append_date(cube, "2022-06-01", 40.0)
        time.sleep(WAIT_S)
        gained = client.get("/legend/xs.png")
        _cube(cube, DATES[:2])  # the date past the range removed
        time.sleep(WAIT_S)
        after = client.get("/legend/xs.png")
        dates = client.get("/tilejson/xs.json").json()["prospect"]["dates"]
    assert dates == DATES[:2]
    assert gained.content != before.content
    assert legends == [(False, False), (False, True), (False, False)], legends
    assert after.status_code == 200 and after.content == before.content
    assert after.headers["etag"] != gained.headers["etag"]


def _rewrite_heat(cube: Path, value: float) -> None:
    """Rewrite the SYNTHETIC cube's one-map ``heat`` in place as ``value`` everywhere."""
    import xarray as xr

    with xr.open_zarr(cube) as ds:
        ds = ds.load()
    ds["heat"] = ds["heat"] * 0 + value
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        ds.to_zarr(cube, mode="w", zarr_format=3, consolidated=True)


def test_the_legends_end_goes_when_a_map_comes_back_inside_the_range(
    tmp_path: Path, legends: list[tuple[bool, bool]]
) -> None:
    """``heat`` (one map, the range 0 to 2 set in the config) rewritten while served as
    10 everywhere gained the legend's "≥ 2" end; rewritten back as 1 (a rerun that
    corrected it) it kept "≥ 2" until a restart. Now its legend's ends follow the map:
    plain again, the start-up's bytes."""
    cube = _cube(tmp_path / "cube.zarr", DATES)
    config = _config(tmp_path, HEAT_0_2)
    with live_server(config) as live, live.client() as client:
        before = client.get("/legend/heat.png")
        _rewrite_heat(cube, 10.0)
        time.sleep(WAIT_S)
        gained = client.get("/legend/heat.png")
        _rewrite_heat(cube, 1.0)
        time.sleep(WAIT_S)
        after = client.get("/legend/heat.png")
    assert legends == [(False, False), (False, True), (False, False)], legends
    assert gained.content != before.content
    assert after.status_code == 200 and after.content == before.content


def test_control_a_legends_end_stays_while_the_map_is_past_the_range(
    tmp_path: Path, legends: list[tuple[bool, bool]]
) -> None:
    """control: ``heat`` rewritten as 10 and then as 12 (still past 0 to 2): the legend
    keeps its "≥ 2" end, drawn once."""
    cube = _cube(tmp_path / "cube.zarr", DATES)
    config = _config(tmp_path, HEAT_0_2)
    with live_server(config) as live, live.client() as client:
        client.get("/legend/heat.png")
        _rewrite_heat(cube, 10.0)
        time.sleep(WAIT_S)
        gained = client.get("/legend/heat.png").content
        _rewrite_heat(cube, 12.0)
        time.sleep(WAIT_S)
        kept = client.get("/legend/heat.png").content
    assert kept == gained
    assert legends == [(False, False), (False, True)], legends


# -- 3. the viewer's page of a server with one damaged layer ------------------------------


@pytest.fixture
def with_cog(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Path, Any]]:
    """``prospect serve`` of ``ramp`` (a SYNTHETIC COG, 0.05 to 0.95) and ``heat`` (one
    map of the SYNTHETIC cube)."""
    import numpy as np

    from tests.robustness.test_serving_round35 import _cog

    _cube(tmp_path / "cube.zarr", DATES)
    cog = tmp_path / "ramp.tif"
    _cog(cog, np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)), float("nan"))
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    config = _config(
        tmp_path,
        "  - {name: ramp, cog: ramp.tif, public: true}\n"
        "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n",
    )
    with live_server(config) as live, live.client() as client:
        yield cog, client


@pytest.mark.parametrize("fault", ["truncated", "removed"])
def test_one_damaged_layer_leaves_the_viewer_page_of_the_others(
    with_cog: tuple[Path, Any], caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    """The SYNTHETIC COG of ``ramp`` cut to half its bytes (a copy or rerun stopped short)
    or removed while served: the capabilities and ``/layers`` leave it out, but the
    viewer's page, the one a partner opens, was the 503 "a requested layer's data cannot
    be read on the server (damaged, truncated or being replaced)", ``heat`` with it. Now
    the page lists ``heat`` and leaves ``ramp`` out, the log naming the file and "left out
    of the viewer's page"."""
    cog, client = with_cog
    page = client.get("/viewer/")
    assert page.status_code == 200 and "/tiles/ramp/" in page.text
    if fault == "truncated":
        data = cog.read_bytes()
        cog.write_bytes(data[: len(data) // 2])
    else:
        cog.unlink()
    time.sleep(WAIT_S)
    page = client.get("/viewer/")
    assert page.status_code == 200, page.text[:300]
    assert "/tiles/heat/" in page.text and "/tiles/ramp/" not in page.text
    assert "Traceback" not in page.text and "internal error" not in page.text
    said = _lines(caplog, "(left out of the viewer's page)")
    assert said and "ramp.tif" in said[0], said
    assert client.get("/tiles/ramp/7/65/41.png").status_code == 503  # its own: as before


def test_control_a_viewer_page_of_no_readable_layer_is_still_the_503(
    tmp_path: Path,
) -> None:
    """control: a server whose one layer (a SYNTHETIC COG) is cut short answers its viewer
    page with the 503 of an unreadable layer, as before: there is no page to give."""
    import numpy as np

    from tests.robustness.test_serving_round35 import _cog

    cog = tmp_path / "ramp.tif"
    _cog(cog, np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)), float("nan"))
    config = _config(tmp_path, "  - {name: ramp, cog: ramp.tif, public: true}\n")
    with live_server(config) as live, live.client() as client:
        assert client.get("/viewer/").status_code == 200
        cog.write_bytes(cog.read_bytes()[:5000])
        time.sleep(WAIT_S)
        page = client.get("/viewer/")
    assert page.status_code == 503 and "damaged, truncated" in page.json()["error"]
