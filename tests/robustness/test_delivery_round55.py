"""Delivery, round 55: a time layer's dates while served, as the cube under it changes.

A date removed from the cube while served (the time series rewritten over fewer dates)
stayed listed by the capabilities, TileJSON and ``TIME``, and its requests were answered
503 "damaged, truncated or being replaced; try again later", as if the cube were broken;
where the date removed was the latest, the layer's default, every date of the layer, its
TileJSON, click value and legend were that 503 and the layer was left out of the WMS and
WMTS capabilities, until a restart (the log advising "give one of those as date: in the
serve config" to a ``dates: all`` layer). A date gained while served with values past the
start-up colour range (round 54 says so in the log) kept a legend of plain ends, its top
reading 9 where the new date's 40 is drawn in the top colour.

The cube is round 44's SYNTHETIC zarr v3 store (``X`` over three dates, 1, 9 and 17
everywhere; ``heat`` one map), served by a live ``prospect serve`` in this process
(uvicorn on loopback, asked by httpx); the cube is rewritten over fewer dates, or a date
appended (round 53's ``_append_date``), while it is served. All data here are SYNTHETIC.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tiles.service
from tests.robustness.test_delivery_round53 import _append_date
from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tiles.testing import live_server

TILE = "/tiles/xs/7/65/41.png"
LAYERS = (
    "  - {name: xs, cube: cube.zarr, variable: X, dates: all, public: true}\n"
    "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n"
)
WAIT_S = 1.1
"""The server looks at a cube's dates at most once a second."""


@pytest.fixture
def served(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Path, Any]]:
    """``prospect serve`` of ``xs`` (every date of the SYNTHETIC cube's ``X``, its three
    dates) and ``heat``."""
    cube = _cube(tmp_path / "cube.zarr", DATES)
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    with live_server(_config(tmp_path, LAYERS)) as live, live.client() as client:
        yield cube, client


def _wms_dates(client: Any) -> str:
    """``default|values`` of ``xs``'s WMS 1.3.0 time dimension."""
    r = client.get(
        "/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}
    )
    assert r.status_code == 200, r.text[:300]
    found = re.search(r'<Dimension name="time"[^>]*default="([^"]+)"[^>]*>([^<]*)<', r.text)
    assert found is not None, r.text[-1500:]
    return f"{found.group(1)}|{found.group(2).strip()}"


def _wmts_dates(client: Any) -> list[str]:
    r = client.get("/wmts", params={"SERVICE": "WMTS", "REQUEST": "GetCapabilities"})
    assert r.status_code == 200, r.text[:300]
    return re.findall(r"<Value>(\d{4}-\d{2}-\d{2})</Value>", r.text)


def _gone_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "gone from the cube" in r.getMessage()]


# -- 1. a date removed from the cube while served ----------------------------------------


@pytest.mark.parametrize("removed", [DATES[2], DATES[1]], ids=["the-latest", "a-middle-one"])
def test_a_date_removed_from_the_cube_while_served_is_no_longer_listed(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture, removed: str
) -> None:
    """The SYNTHETIC cube rewritten without one of its three dates while served: the date
    was still listed and answered 503 "damaged, truncated or being replaced" (the latest
    one's removal: every date, the TileJSON and the legend that 503, the layer gone from
    the capabilities). Now the capabilities, TileJSON and ``TIME`` list the dates the cube
    holds, the latest the default; the removed date is a 400 naming the dates held, the
    others answer 200, and the log says which date went."""
    cube, client = served
    assert _wms_dates(client) == f"{DATES[2]}|{','.join(DATES)}"
    kept = [day for day in DATES if day != removed]
    _cube(cube, kept)  # the time series rewritten over fewer dates
    time.sleep(WAIT_S)
    assert _wms_dates(client) == f"{kept[-1]}|{','.join(kept)}"
    assert _wmts_dates(client) == kept
    doc = client.get("/tilejson/xs.json")
    assert doc.status_code == 200, doc.text[:300]
    assert doc.json()["prospect"]["dates"] == kept and doc.json()["prospect"]["date"] == kept[-1]
    r = client.get(TILE, params={"time": removed})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    text = r.json()["error"]
    assert f"time='{removed}' is not one of its dates" in text, text
    assert ", ".join(kept) in text and "damaged" not in text, text
    assert "Traceback" not in r.text and "internal error" not in r.text
    for day in kept:
        assert client.get(TILE, params={"time": day}).status_code == 200, day
    assert client.get(TILE).status_code == 200
    value = client.get("/point/xs", params={"lon": 5.5, "lat": 52.5})
    assert value.status_code == 200 and value.json()["value"] == 9.0, value.text
    assert client.get("/legend/xs.png").status_code == 200
    lines = _gone_lines(caplog)
    assert len(lines) == 1, lines
    assert f"xs {removed} (its default now {kept[-1]})" in lines[0], lines
    assert not [r for r in caplog.records if "give one of those as date:" in r.getMessage()]


def test_a_removed_date_is_refused_by_wms_getmap_as_a_date_it_lacks(
    served: tuple[Path, Any],
) -> None:
    """A WMS GetMap of the SYNTHETIC layer's removed latest date was the 503 of a damaged
    layer; now the ``InvalidDimensionValue`` of a date it lacks, and the map of no
    ``TIME`` is the new default's."""
    cube, client = served
    _cube(cube, DATES[:2])
    time.sleep(WAIT_S)
    params = {
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "xs",
        "STYLES": "", "CRS": "EPSG:4326", "BBOX": "52,5,53,6", "WIDTH": "64",
        "HEIGHT": "64", "FORMAT": "image/png",
    }  # fmt: skip
    r = client.get("/wms", params={**params, "TIME": DATES[2]})
    assert r.status_code == 400, (r.status_code, r.text[:400])
    assert 'code="InvalidDimensionValue"' in r.text and "not one of its dates" in r.text
    assert client.get("/wms", params=params).status_code == 200


def test_control_a_cube_rewritten_over_the_same_dates_lists_them_all(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """control: the SYNTHETIC cube rewritten over the same three dates keeps every date
    listed and served; nothing is said gone."""
    cube, client = served
    _cube(cube, DATES)
    time.sleep(WAIT_S)
    assert _wms_dates(client) == f"{DATES[2]}|{','.join(DATES)}"
    for day in DATES:
        assert client.get(TILE, params={"time": day}).status_code == 200, day
    assert not _gone_lines(caplog)


# -- 2. a date backfilled: listed in date order --------------------------------------------


def _listed(client: Any) -> tuple[str, list[str], list[str], list[str]]:
    """``xs``'s dates as the WMS and WMTS capabilities, the TileJSON and the served
    viewer's page list them."""
    page = client.get("/viewer/")
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'"dates": ?\[([^\]]*)\]', page.text)
    assert found is not None, page.text[:1500]
    return (
        _wms_dates(client),
        _wmts_dates(client),
        client.get("/tilejson/xs.json").json()["prospect"]["dates"],
        re.findall(r"\d{4}-\d{2}-\d{2}", found.group(1)),
    )


def test_a_date_backfilled_while_served_is_listed_in_date_order(tmp_path: Path) -> None:
    """The SYNTHETIC cube of 2019-06-01 and 2021-06-01 rewritten while served with
    2020-06-01 between them (a scene backfilled): the new date was listed last,
    ``2019-06-01,2021-06-01,2020-06-01``, by the capabilities, TileJSON and the viewer's
    date picker; now in date order, the latest still the default."""
    cube = _cube(tmp_path / "cube.zarr", [DATES[0], DATES[2]])
    with live_server(_config(tmp_path, LAYERS)) as live, live.client() as client:
        _cube(cube, DATES)
        time.sleep(WAIT_S)
        wms, wmts, tilejson, viewer = _listed(client)
        r = client.get(TILE, params={"time": DATES[1]})
    assert wms == f"{DATES[2]}|{','.join(DATES)}"
    assert wmts == tilejson == viewer == DATES
    assert r.status_code == 200, r.text[:300]


def test_a_cube_appended_out_of_date_order_lists_its_dates_in_date_order(
    tmp_path: Path,
) -> None:
    """A SYNTHETIC cube whose 2020-06-01 map was appended after 2021-06-01's (xarray's
    ``append_dim``, a backfill) was listed in the store's order at start-up, 2020-06-01
    last; now in date order, and each date's tile and value its own map's."""
    cube = _cube(tmp_path / "cube.zarr", [DATES[0], DATES[2]])
    _append_date(cube, DATES[1], 5.0)
    with live_server(_config(tmp_path, LAYERS)) as live, live.client() as client:
        wms, wmts, tilejson, viewer = _listed(client)
        values = [
            client.get("/point/xs", params={"lon": 5.5, "lat": 52.5, "time": day}).json()["value"]
            for day in DATES
        ]
    assert wms == f"{DATES[2]}|{','.join(DATES)}"
    assert wmts == tilejson == viewer == DATES
    assert values == [1.0, 5.0, 9.0], values


# -- 3. the legend of a date gained past the start-up colour range -----------------------


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
def test_a_date_gained_past_the_colour_range_gives_the_legend_its_end(
    tmp_path: Path, legends: list[tuple[bool, bool]], layer: str
) -> None:
    """A date appended to the SYNTHETIC cube while served (1 and 9 at start-up) with 40,
    past the range 1 to 9, is drawn in the top colour, and the legend kept its plain top
    end (9, where 40 is drawn); now the layer's legend is drawn again with its top end
    "≥ 9" (``clamped`` ``(False, True)``), at 1x and 2x, with a new ETag."""
    cube = _cube(tmp_path / "cube.zarr", DATES[:2])
    with live_server(_config(tmp_path, f"  - {layer}\n")) as live, live.client() as client:
        before = client.get("/legend/xs.png")
        assert before.status_code == 200 and legends == [(False, False)], legends
        _append_date(cube, "2022-06-01", 40.0)
        time.sleep(WAIT_S)
        after = client.get("/legend/xs.png")
        double = client.get("/legend/xs@2x.png")
        dated = client.get("/legend/xs.png", params={"time": DATES[0]})
    assert after.status_code == 200 and double.status_code == 200
    assert legends[1:] == [(False, True), (False, True)], legends
    assert after.content != before.content
    assert after.headers["etag"] != before.headers["etag"]
    assert dated.content == after.content  # one legend of the layer, over its dates


def test_control_a_date_gained_inside_the_range_keeps_the_legend(
    tmp_path: Path, legends: list[tuple[bool, bool]]
) -> None:
    """control: a date of 5 appended to the SYNTHETIC cube (inside 1 to 9) keeps the
    legend's plain ends: its bytes as before."""
    cube = _cube(tmp_path / "cube.zarr", DATES[:2])
    with live_server(_config(tmp_path, LAYERS)) as live, live.client() as client:
        before = client.get("/legend/xs.png").content
        _append_date(cube, DATES[2], 5.0)
        time.sleep(WAIT_S)
        assert client.get("/tilejson/xs.json").json()["prospect"]["date"] == DATES[2]
        after = client.get("/legend/xs.png").content
    assert after == before
    assert legends == [(False, False)], legends  # drawn once: still the cached one


def _rewrite_times(cube: Path, factor: float) -> None:
    """Rewrite the SYNTHETIC cube in place with its maps (``X`` and ``heat``) times
    ``factor``, the same dates (a time series' maps made again)."""
    import warnings

    import xarray as xr

    with xr.open_zarr(cube) as ds:
        ds = ds.load()
    ds["X"] = ds["X"] * factor
    ds["heat"] = ds["heat"] * factor
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        ds.to_zarr(cube, mode="w", zarr_format=3, consolidated=True)


def _range_notes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "past the colour range" in r.getMessage()]


def test_maps_rewritten_while_served_past_the_colour_range_are_said(
    served: tuple[Path, Any],
    caplog: pytest.LogCaptureFixture,
    legends: list[tuple[bool, bool]],
) -> None:
    """The SYNTHETIC cube rewritten while served with its maps ten times higher (``X`` 10
    to 170 over a range of 1 to 17; ``heat`` 10 over its range) was drawn in the range's
    top colour without a word in the log, its legend's top plain; now the log says it of
    each layer, with the fix, and the legend's top end is "≥"."""
    cube, client = served
    assert client.get("/legend/xs.png").status_code == 200
    _rewrite_times(cube, 10.0)
    time.sleep(WAIT_S)
    r = client.get(TILE, params={"time": DATES[0]})
    assert r.status_code == 200, r.text[:300]
    assert client.get("/legend/xs.png").status_code == 200
    notes = _range_notes(caplog)
    assert len(notes) == 2, notes
    xs = next(n for n in notes if "'xs'" in n)
    said = "layer 'xs' (its dates' maps rewritten): values 10 to 170, past the colour range"
    assert f"{said} 1 to 17" in xs, xs
    assert "restart the server to take the range over every date again" in xs, xs
    heat = next(n for n in notes if "'heat'" in n)
    assert heat.startswith("layer 'heat': values 10 to 10, past the colour range"), heat
    assert "restart the server to take the range again" in heat, heat
    assert legends[-1] == (False, True), legends


def test_control_maps_rewritten_inside_the_range_say_nothing(
    served: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """control: the SYNTHETIC cube rewritten with the same values while served: no note,
    tiles as before."""
    cube, client = served
    before = client.get(TILE, params={"time": DATES[1]}).content
    _rewrite_times(cube, 1.0)
    time.sleep(WAIT_S)
    assert client.get(TILE, params={"time": DATES[1]}).content == before
    assert not _range_notes(caplog)


# -- 4. a tile URL template given as public_url -----------------------------------------


@pytest.mark.parametrize(
    ("given", "example"),
    [
        ("https://maps.example.org/tiles/{z}/{x}/{y}.png", "https://maps.example.org/tiles"),
        (
            "https://maps.example.org/p/tiles/{z}/{x}/{-y}@2x.png",
            "https://maps.example.org/p/tiles",
        ),
        ("https://{s}.example.org/prospect/{z}/{x}/{y}.webp", "https://a.example.org/prospect"),
        ("https://maps.example.org/t/%7Bz%7D/%7Bx%7D/%7By%7D.png", "https://maps.example.org/t"),
    ],
    ids=["xyz", "tms-2x", "leaflet-subdomains", "qgis-percent-encoded"],
)
def test_a_tile_url_template_as_the_jobs_public_url_is_refused(
    tmp_path: Path, given: str, example: str
) -> None:
    """``tiles.public_url`` of a SYNTHETIC job given a tile's URL template (as QGIS,
    Leaflet and a TileJSON write one) passed as a root URL, and every link of the
    TileJSON, viewer and archives was made under it
    (``.../{z}/{x}/{y}.png/heat/{z}/{x}/{y}.png``, answered 404); now ``prospect plan``
    refuses it (exit 2) naming the placeholder, what Prospect adds and the root to give."""
    from .conftest import Sandbox, run_in_process

    box = Sandbox(tmp_path / "box")
    box.write_job(tiles={"public_url": given})
    result = run_in_process("plan", box.job_path, "-o", box.out)
    text = result.out + result.err
    assert result.code == 2, text
    assert "Traceback" not in text and "internal error" not in text
    line = " ".join(result.err.split())
    assert "tiles.public_url" in line and "a tile URL template's placeholder" in line, line
    assert "Prospect adds '/{layer}/{z}/{x}/{y}.png' itself" in line, line
    assert f"e.g. {example!r}" in line, line
    assert not box.out.exists() or not any(box.out.rglob("*.json"))


def test_a_tile_url_template_as_the_servers_public_url_is_refused(tmp_path: Path) -> None:
    """``prospect serve --check`` of a serve config whose ``public_url`` is a served
    tile's URL template (a SYNTHETIC cube): it was taken, every capabilities, TileJSON and
    redirect link made under it; now exit 2 with the root above its ``/tiles/``."""
    from .conftest import run_in_process

    _cube(tmp_path / "cube.zarr", DATES)
    config = tmp_path / "serve.yaml"
    config.write_text(
        'title: Round 55 (synthetic)\npublic_url: "https://maps.example.org/p/tiles/heat/'
        '{z}/{x}/{y}.png"\nlayers:\n  - {name: heat, cube: cube.zarr, variable: heat}\n'
    )
    result = run_in_process("serve", config, "--check")
    text = result.out + result.err
    assert result.code == 2, text
    assert "Traceback" not in text and "internal error" not in text
    line = " ".join(result.err.split())
    assert "public_url" in line and "holds {z}, a tile URL template's placeholder" in line
    assert "Prospect adds '/tiles/{layer}/{z}/{x}/{y}.png' itself" in line, line
    assert "e.g. 'https://maps.example.org/p'" in line, line


def test_control_a_root_public_url_is_taken_as_before() -> None:
    """control: root URLs (with a path, a port, an encoded brace-free path) pass as
    before, and a trailing slash keeps its refusal's words."""
    from prospect.config.tiles import TilesConfig, check_public_url

    for url in (
        "https://maps.example.org/tiles",
        "http://localhost:8000",
        "https://maps.example.org:8443/p/tiles%20v2",
    ):
        assert check_public_url(url) == url
        assert TilesConfig.model_validate({"public_url": url}).public_url == url
    with pytest.raises(ValueError, match="no trailing slash") as refused:
        check_public_url("https://maps.example.org/p/")
    assert "e.g. 'https://maps.example.org/p'" in str(refused.value)
