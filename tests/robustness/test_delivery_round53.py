"""Delivery, round 53: the REST legend's ``?dpi=`` ignored, the static viewer's page holding
every code of an ID raster, and a job's own ``tiles.min_zoom``/``max_zoom`` beyond the
data's zooms tiled without a note.

``/legend/{layer}.png?dpi=300`` (a print's legend, as a page laying out a print asks it)
was the 1x legend of a screen without a word, where GetLegendGraphic's ``DPI=300`` of the
same server was the 2x one with a ``Warning``. The static viewer's ``index.html`` listed
every class of a "categorical" ID raster (193 kB for 15 625 codes), each of no name, where
round 52 capped the TileJSON's. ``max_zoom: 15`` on data of zoom 14 was tiled 14-14 with no
word of the zoom left out.

The server cases run a live ``prospect serve`` (uvicorn on loopback, asked by httpx) of a
SYNTHETIC zarr v3 cube (round 44's: ``X`` over three dates, ``heat`` one map). The stage
case runs ``prospect ingest`` and ``prospect tiles`` of the tiny SYNTHETIC job through the
real CLI in this process, with a SYNTHETIC Int16 ID raster of 1600 codes and a SYNTHETIC
unit map of codes 1, 2, 7 and 9. Each non-control case failed before the fix; all data here
are SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tiles.testing import live_server

from .conftest import Sandbox, run_in_process, write_tiny_raster

# -- 1. the REST legend's ?dpi= ---------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``prospect serve`` of ``heat`` (one map) and ``xs`` (every date of ``X``) of the
    SYNTHETIC cube."""
    root = tmp_path_factory.mktemp("round53serve")
    _cube(root / "cube.zarr", DATES)
    config = _config(
        root,
        "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n"
        "  - {name: xs, cube: cube.zarr, variable: X, dates: all, public: true}\n",
    )
    with live_server(config) as live:
        yield live


@pytest.fixture(scope="module")
def served(server: Any) -> Iterator[Any]:
    """An httpx client of :func:`server`."""
    with server.client() as client:
        yield client


def _png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n", content[:40]
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


def _legend(served: Any, path: str, **params: str) -> Any:
    r = served.get(path, params=params)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "image/png", r.headers
    return r


@pytest.mark.parametrize(
    "asked",
    [
        {"dpi": "180"},
        {"DPI": "192"},
        {"legend_options": "fontSize:12;dpi:180"},
        {"map_resolution": "200"},
    ],
    ids=["dpi", "upper-dpi", "legend-options", "map-resolution"],
)
def test_the_rest_legend_at_a_high_dpi_is_the_2x_legend(served: Any, asked: dict[str, str]) -> None:
    """``/legend/heat.png?dpi=180`` was the 1x legend (320 x 84); now the 2x one, byte for
    byte ``/legend/heat@2x.png``, as GetLegendGraphic's ``DPI=180`` (SYNTHETIC cube)."""
    twice = _legend(served, "/legend/heat@2x.png").content
    r = _legend(served, "/legend/heat.png", **asked)
    assert "warning" not in r.headers, r.headers.get("warning")
    assert _png_size(r.content) == (640, 168)
    assert r.content == twice


def test_the_rest_legend_past_the_2x_dpi_says_it_is_the_2x_one(served: Any) -> None:
    """``?dpi=300`` (a print) was the 1x legend without a word; now the 2x one with the
    ``Warning`` GetLegendGraphic gives (SYNTHETIC cube)."""
    r = _legend(served, "/legend/heat.png", dpi="300")
    assert _png_size(r.content) == (640, 168)
    warning = r.headers["warning"]
    assert "dpi=300" in warning and "drawn at 1x (90.7 dpi) and 2x (181.4 dpi)" in warning


def test_a_time_layers_rest_legend_takes_its_date_and_dpi(served: Any) -> None:
    """``/legend/xs.png?time=2020-06-01&dpi=180``: the 2x legend of that date, byte for
    byte ``/legend/xs@2x.png?time=2020-06-01`` (SYNTHETIC cube)."""
    twice = _legend(served, "/legend/xs@2x.png", time="2020-06-01").content
    r = _legend(served, "/legend/xs.png", time="2020-06-01", dpi="180")
    assert "warning" not in r.headers, r.headers.get("warning")
    assert r.content == twice


@pytest.mark.parametrize(
    ("path", "params", "needles"),
    [
        ("/legend/heat.png", {"dpi": "abc"}, ["dpi='abc'", "a number above 0"]),
        ("/legend/heat.png", {"dpi": "0"}, ["dpi='0'", "a number above 0"]),
        (
            "/legend/heat@2x.png",
            {"dpi": "96"},
            ["dpi=96 asks the 1x legend", "names the 2x one", "give one"],
        ),
    ],
    ids=["no-number", "zero", "against-the-url"],
)
def test_a_rest_legend_dpi_that_is_none_or_against_its_url_is_refused(
    served: Any, path: str, params: dict[str, str], needles: list[str]
) -> None:
    """A dpi that is no number above 0, or one asking another density than the URL's
    ``@2x``, was ignored (a legend of the URL's density); now a 400 saying why
    (SYNTHETIC cube)."""
    r = served.get(path, params=params)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    message = str(r.json().get("error", r.json()))
    assert "Traceback" not in message and "internal error" not in message, message
    for needle in needles:
        assert needle in message, message


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/legend/heat.png", {}),
        ("/legend/heat.png", {"dpi": "96"}),
        ("/legend/heat.png", {"dpi": "72"}),
        ("/legend/heat@2x.png", {"dpi": "192"}),
    ],
    ids=["none", "96", "72", "2x-at-192"],
)
def test_control_a_rest_legend_at_its_own_density_is_as_before(
    served: Any, path: str, params: dict[str, str]
) -> None:
    """control: no dpi, a screen's, or the 2x URL at a 2x dpi are the URL's own legend,
    byte for byte (SYNTHETIC cube)."""
    own = _legend(served, path).content
    r = _legend(served, path, **params)
    assert "warning" not in r.headers, r.headers.get("warning")
    assert r.content == own
    assert _png_size(r.content) == ((640, 168) if "@2x" in path else (320, 84))


# -- 2. a time layer's dates grown while served, and the viewer's date picker --------------


@pytest.fixture
def growing(tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    """``prospect serve`` of ``xs`` (``dates: all``) of a SYNTHETIC cube of ``X`` at its
    first two dates (1 and 9 everywhere)."""
    _cube(tmp_path / "cube.zarr", DATES[:2])
    config = _config(
        tmp_path, "  - {name: xs, cube: cube.zarr, variable: X, dates: all, public: true}\n"
    )
    with live_server(config) as live, live.client() as client:
        yield tmp_path / "cube.zarr", client


def _append_date(cube: Path, date: str, value: float) -> None:
    """Append a SYNTHETIC map of ``value`` at ``date`` to the cube's ``X``, as a time
    series appends a new composite (xarray's ``append_dim``)."""
    y = 52.995 - 0.01 * np.arange(100)
    x = 5.005 + 0.01 * np.arange(100)
    new = xr.DataArray(
        np.full((1, 100, 100), value, "f4"),
        dims=("time", "y", "x"),
        coords={"time": pd.to_datetime([date]), "y": y, "x": x},
    )
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        xr.Dataset({"X": new}).rio.write_crs("EPSG:4326").to_zarr(
            cube, append_dim="time", consolidated=True
        )


def _wms_dates(client: Any) -> str:
    r = client.get(
        "/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}
    )
    assert r.status_code == 200, r.text[:300]
    found = re.search(r'<Dimension name="time"[^>]*default="([^"]+)"[^>]*>([^<]*)<', r.text)
    assert found is not None, r.text[:3000]
    return f"{found.group(1)}|{found.group(2).strip()}"


def test_a_date_the_cube_gains_while_served_is_listed_without_a_restart(
    growing: tuple[Path, Any],
) -> None:
    """A date appended to the SYNTHETIC cube while served was listed by nothing until a
    restart (``TIME=2021-06-01``: "not one of its dates"); now the next capabilities,
    TileJSON and ``?time=`` request see it, the latest the default, and an existing date's
    tile is byte for byte as before."""
    cube, client = growing
    tile = "/tiles/xs/7/65/41.png"
    assert _wms_dates(client) == "2020-06-01|2019-06-01,2020-06-01"
    before = client.get(tile, params={"time": DATES[0]})
    assert before.status_code == 200
    _append_date(cube, DATES[2], 17.0)
    time.sleep(1.1)  # the server looks at the cube's metadata at most once a second
    assert _wms_dates(client) == "2021-06-01|2019-06-01,2020-06-01,2021-06-01"
    doc = client.get("/tilejson/xs.json").json()
    assert doc["prospect"]["dates"] == DATES and doc["prospect"]["date"] == DATES[2]
    new = client.get(tile, params={"time": DATES[2]})
    assert new.status_code == 200, new.text[:300]
    default = client.get(tile)
    assert default.headers["etag"] == new.headers["etag"]
    assert client.get(tile, params={"time": DATES[0]}).content == before.content
    value = client.get("/point/xs", params={"lon": 5.5, "lat": 52.5, "time": DATES[2]})
    assert value.json()["value"] == 17.0


def test_control_a_cube_unchanged_lists_its_dates_as_before(
    growing: tuple[Path, Any],
) -> None:
    """control: without a new date the SYNTHETIC cube's two dates stay listed, and a date
    it lacks is refused as before."""
    _, client = growing
    time.sleep(1.1)
    assert _wms_dates(client) == "2020-06-01|2019-06-01,2020-06-01"
    r = client.get("/tiles/xs/7/65/41.png", params={"time": DATES[2]})
    assert r.status_code == 400 and "is not one of its dates" in r.text, r.text[:300]


CHROMIUM = os.environ.get("PROSPECT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PROSPECT_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian Chromium through selenium (skipped where either is absent)."""
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        pytest.skip(f"needs Debian chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER})")
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip)")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1100,800",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait(driver: Any, script: str, timeout: float = 20.0) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: d.execute_script(script)
    )


_SHOWN = (
    "return [document.body.dataset.date, "
    "Array.from(document.querySelectorAll('.leaflet-tile')).map(i => i.src), "
    "document.querySelector('#legend img').src]"
)


def test_the_served_viewer_picks_a_time_layers_date(browser: Any, server: Any) -> None:
    """The served viewer listed layer ``xs`` of the SYNTHETIC cube's three dates once,
    drawn at its default, with no way to pick another; now a date picker lists its dates
    (the latest picked), and picking one draws that date's tiles, legend and click value
    (``?time=``)."""
    from selenium.webdriver.common.action_chains import ActionChains

    browser.get(f"{server.url}/viewer/")
    _wait(browser, "return !!document.querySelector('#layer-switcher input[value=xs]')")
    browser.execute_script("document.querySelector('#layer-switcher input[value=xs]').click()")
    _wait(browser, "return document.body.dataset.activeLayer === 'xs'")
    assert browser.find_element("id", "date").is_displayed()
    options = browser.execute_script(
        "return Array.from(document.querySelectorAll('#date option'))"
        ".map(o => o.textContent + (o.selected ? '*' : ''))"
    )
    assert options == ["2019-06-01", "2020-06-01", "2021-06-01*"]
    _wait(browser, "return document.querySelectorAll('.leaflet-tile').length > 0")
    date, tiles, legend = browser.execute_script(_SHOWN)
    assert date == "2021-06-01" and legend.endswith("/legend/xs.png?time=2021-06-01")
    assert tiles and all(t.endswith("?time=2021-06-01") for t in tiles), tiles
    browser.execute_script(
        "const s = document.getElementById('date'); s.value = "
        "'2019-06-01'; s.dispatchEvent(new Event('change'));"
    )
    _wait(
        browser,
        "return Array.from(document.querySelectorAll('.leaflet-tile'))"
        ".every(i => i.src.endsWith('?time=2019-06-01'))",
    )
    date, _, legend = browser.execute_script(_SHOWN)
    assert date == "2019-06-01" and legend.endswith("/legend/xs.png?time=2019-06-01")
    browser.execute_script("document.getElementById('value').dataset.ready = '';")
    ActionChains(browser).move_to_element_with_offset(
        browser.find_element("id", "map"), 40, 30
    ).click().perform()
    _wait(browser, "return document.getElementById('value').dataset.ready === '1'")
    assert "Xs: 1 (2019-06-01)" in browser.find_element("id", "value").text
    # control: a layer of one map shows no date picker, its URLs as before
    browser.execute_script("document.querySelector('#layer-switcher input[value=heat]').click()")
    _wait(browser, "return document.body.dataset.activeLayer === 'heat'")
    assert not browser.find_element("id", "date").is_displayed()
    assert browser.execute_script(_SHOWN)[2].endswith("/legend/heat.png")


# -- 3. the static viewer of an ID raster, and a job's zooms beyond the data's ------------


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Sandbox, Any]:
    """The tiny SYNTHETIC job with an ID raster of 1600 codes (``ids``, ``values:
    categorical``, no code table) and a unit map of codes 1, 2, 7 and 9, tiled with the
    job's own ``min_zoom: 14`` and ``max_zoom: 15`` (its 10 m data: zoom 14)."""
    box = Sandbox(tmp_path_factory.mktemp("round53tiles") / "box")
    ids = (np.arange(1600).reshape(40, 40) + 1).astype("int16")
    write_tiny_raster(box.root / "ids.tif", values=ids, nodata=-1)
    units = np.repeat(np.array([[1, 2, 7, 9]], "int16"), 10, axis=1).repeat(40, axis=0)
    write_tiny_raster(box.root / "units.tif", values=units, nodata=-1)
    sources = [
        *box.job()["sources"],
        {"kind": "raster", "name": "ids", "path": "ids.tif", "values": "categorical"},
        {"kind": "raster", "name": "units", "path": "units.tif", "values": "categorical"},
    ]
    box.write_job(
        sources=sources,
        tiles={
            "min_zoom": 14,
            "max_zoom": 15,
            "layers": [{"variable": "ids"}, {"variable": "units"}],
        },
    )
    result = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.out + result.err
    return box, run_in_process("tiles", box.job_path, "-o", box.out, "--scheduler", scheduler)


def _viewer_layers(box: Sandbox) -> dict[str, dict[str, Any]]:
    page = (box.out / "viewer" / "index.html").read_text()
    found = re.search(
        r'<script type="application/json" id="prospect-config">(.*?)</script>', page, re.S
    )
    assert found is not None, page[:400]
    return {la["name"]: la for la in json.loads(found.group(1))["layers"]}


def test_the_static_viewer_lists_at_most_the_capped_class_table(
    tiled: tuple[Sandbox, Any],
) -> None:
    """The viewer's ``index.html`` listed all 1600 codes of the SYNTHETIC ID raster (none
    named: a click names such a code by its code alone); now at most
    ``CLASS_TABLE_MAX``, the codes the TileJSON lists."""
    from tiles.archive import CLASS_TABLE_MAX

    box, result = tiled
    assert result.code == 0, result.out + result.err
    classes = _viewer_layers(box)["ids"]["classes"]
    assert len(classes) == CLASS_TABLE_MAX
    tilejson = json.loads((box.out / "tiles" / "ids" / "tilejson.json").read_text())
    assert list(classes) == list(tilejson["prospect"]["classes"])


def test_named_classes_come_first_in_the_viewers_capped_table() -> None:
    """A SYNTHETIC class map of 2000 codes, two of them named past the cap: the viewer's
    config keeps both names (a click names them) and lists 1024 codes."""
    from prospect.config.tiles import TileLayerConfig
    from tiles.viewer import ViewerLayer

    classes = {code: "" for code in range(1, 2001)} | {1500: "granite", 1999: "basalt"}
    layer = ViewerLayer(
        config=TileLayerConfig(variable="ids"),
        tiles="t",
        legend="l",
        bounds=(5.0, 52.0, 6.0, 53.0),
        min_zoom=10,
        max_zoom=12,
        classes=classes,
    )
    listed = layer.as_json()["classes"]
    assert len(listed) == 1024
    assert listed["1500"] == "granite" and listed["1999"] == "basalt"


def test_control_a_unit_maps_viewer_lists_each_class(tiled: tuple[Sandbox, Any]) -> None:
    """control: the SYNTHETIC unit map's four classes are listed whole, as before."""
    box, result = tiled
    assert result.code == 0, result.out + result.err
    assert sorted(_viewer_layers(box)["units"]["classes"], key=int) == ["1", "2", "7", "9"]


def test_a_jobs_max_zoom_past_the_datas_is_noted(tiled: tuple[Sandbox, Any]) -> None:
    """``max_zoom: 15`` on the SYNTHETIC 10 m job was tiled 14-14 without a word; now the
    stage notes the zoom left out and why, once a layer, with no traceback."""
    box, result = tiled
    text = result.out + result.err
    assert result.code == 0, text
    assert "Traceback" not in text and "internal error" not in text
    flat = " ".join(text.split())
    for name in ("ids", "units"):
        note = (
            f"layer {name!r}: tiled at zooms 14-14 of the 14-15 of "
            "tiles.min_zoom/max_zoom; zoom(s) 15 left out"
        )
        assert note in flat, text
    assert "above 14 tiles would only repeat the data's cells" in flat, text
    assert not (box.out / "tiles" / "ids" / "15").exists()


def test_control_zooms_the_data_reaches_or_left_at_the_defaults_are_not_noted() -> None:
    """control: a job's zooms inside the data's (14-14 on zoom-14 data), or the defaults
    left out of the config (10-14, which only narrow), give no note."""
    from pipelines.stages.tiles import _zoom_note
    from prospect.config.tiles import TilesConfig

    assert _zoom_note("ids", TilesConfig(min_zoom=14, max_zoom=14), 14, 14) is None
    assert _zoom_note("ids", TilesConfig(), 12, 13) is None
    said = _zoom_note("ids", TilesConfig(min_zoom=8, max_zoom=14), 11, 14)
    assert said is not None and "zoom(s) 8-10 left out" in said
    assert "below 11 the layer's extent is drawn under a few pixels" in said


def test_viewer_page_is_smaller_than_before(tiled: tuple[Sandbox, Any]) -> None:
    """The SYNTHETIC ID raster's page stays small: its 1600 codes no longer all listed."""
    box, _ = tiled
    page = Path(box.out / "viewer" / "index.html").read_text()
    assert '"1600": ""' not in page and '"1024": ""' in page
