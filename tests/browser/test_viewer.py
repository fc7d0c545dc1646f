"""The viewer in headless Debian Chromium: tiles render, the controls work, a click gives a value.

Drives ``/usr/bin/chromium`` through selenium and ``/usr/bin/chromedriver`` (no network:
Selenium Manager is told to stay offline). Skips when either binary or selenium is absent
(CI installs them: apt ``chromium chromium-driver``, pip ``selenium``).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = os.environ.get("PROSPECT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PROSPECT_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        pytest.skip(f"needs Debian chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER})")
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip)")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1100,800",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    from tiles.testing import live_server, make_tile_fixture

    fx = make_tile_fixture(tmp_path_factory.mktemp("viewer"))
    with live_server(fx.config) as server:
        yield fx, server


def _wait(driver, script: str, timeout: float = 20.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: d.execute_script(script)
    )


def _map_pixels(driver) -> np.ndarray:
    """RGB pixels of the map element in a screenshot, once every tile has faded in."""
    _wait(driver, "return Array.from(document.images).every(i => i.complete) && "
                  "Array.from(document.querySelectorAll('.leaflet-tile'))"
                  ".every(t => getComputedStyle(t).opacity === '1')")
    shot = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    el = driver.find_element("id", "map")
    ratio = shot.width / driver.execute_script("return window.innerWidth")
    box = [int(v * ratio) for v in (el.location["x"], el.location["y"],
                                     el.location["x"] + el.size["width"],
                                     el.location["y"] + el.size["height"])]
    return np.asarray(shot.crop(box))


def _colormap_pixels(pixels: np.ndarray, colormap: str, opacity: float) -> int:
    """How many pixels are a colour of ``colormap`` blended at ``opacity`` over the map."""
    from tiles.colormap import colormap_lut

    # under the tiles: the basemap's land (#f3f0e8) or its sea (#cfdfe8)
    backgrounds = np.array([[0xF3, 0xF0, 0xE8], [0xCF, 0xDF, 0xE8]], dtype="f4")
    colours = colormap_lut(colormap)[:, :3].astype("f4")
    lut = np.concatenate([colours * opacity + bg * (1 - opacity) for bg in backgrounds])
    flat = pixels.reshape(-1, 3).astype("f4")[::7]
    dist = np.sqrt(((flat[:, None, :] - lut[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    return int((dist < 6).sum()) * 7


def _click_map_centre(driver) -> str:
    from selenium.webdriver.common.action_chains import ActionChains

    driver.execute_script("document.getElementById('value').dataset.ready = '';")
    el = driver.find_element("id", "map")
    ActionChains(driver).move_to_element_with_offset(el, 40, 30).click().perform()
    _wait(driver, "return document.getElementById('value').dataset.ready === '1'")
    return driver.find_element("id", "value").text


def test_served_viewer_renders_tiles_and_shows_values(browser, served) -> None:
    fx, server = served
    browser.get(f"{server.url}/viewer/?key={fx.key}")
    _wait(browser, "return document.querySelectorAll('.leaflet-tile-loaded').length >= 4")
    _wait(browser, "return Array.from(document.images).every(i => i.complete)")
    pixels = _map_pixels(browser)
    coloured = _colormap_pixels(pixels, "viridis", 0.85)
    assert coloured > 0.2 * pixels.shape[0] * pixels.shape[1], coloured

    legends = browser.find_elements("css selector", "#legend img")
    assert [e.get_attribute("data-layer") for e in legends] == ["probability"]
    assert browser.execute_script("return document.querySelector('#legend img').naturalWidth") > 0

    text = _click_map_centre(browser)
    match = re.search(r"Probability: (\d\.\d+)", text)
    assert match, text
    # the value shown is the server's value at the clicked point, in the data's range
    lat, lon = (float(v) for v in re.search(r"lat (-?[\d.]+), lon (-?[\d.]+)", text).groups())
    import httpx

    expected = httpx.get(f"{server.url}/point/probability",
                         params={"lon": lon, "lat": lat}).json()["value"]
    assert abs(float(match.group(1)) - expected) < 2e-3

    # the uncertainty toggle adds the (keyed) uncertainty tiles, its legend and value
    browser.find_element("id", "uncertainty").click()
    _wait(browser, "return document.querySelectorAll('#legend img').length === 2")
    _wait(browser, "const ls = document.querySelectorAll('.leaflet-layer');"
                   "return ls.length === 2 && Array.from(ls[1].querySelectorAll('img'))"
                   ".some(i => i.classList.contains('leaflet-tile-loaded'))")
    text = _click_map_centre(browser)
    assert re.search(r"Uncertainty: \d\.\d+", text), text

    # opacity applies to the tile layers
    browser.execute_script(
        "const o = document.getElementById('opacity'); o.value = '0.3';"
        "o.dispatchEvent(new Event('input'));")
    opacities = browser.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-layer')).map(e => e.style.opacity)")
    assert opacities and all(float(o) == pytest.approx(0.3) for o in opacities)
    # the served page and everything it loads come from this server only
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(u.startswith(server.url) for u in urls), urls
    assert browser.execute_script(
        "return document.querySelectorAll('.leaflet-basemap-pane path').length") > 0


def test_viewer_without_key_shows_only_public_layers(browser, served) -> None:
    _, server = served
    browser.get(f"{server.url}/viewer/")
    _wait(browser, "return document.querySelectorAll('.leaflet-tile-loaded').length >= 1")
    radios = browser.find_elements("css selector", "#layer-switcher input")
    assert [r.get_attribute("value") for r in radios] == ["probability"]
    assert not browser.find_element("id", "uncertainty").is_displayed()


def test_static_viewer_from_disk(browser, served, tmp_path: Path) -> None:
    """The tiles stage's page, opened from file://, shows tiles and click values."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig

    fx, _ = served
    out = tmp_path / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(fx.probability, out / "score" / "probability.tif")
    shutil.copy(fx.uncertainty, out / "score" / "uncertainty.tif")
    job = JobConfig.model_validate({
        "name": "viewer-test", "synthetic": True, "region": "bonaire",
        "tiles": {"min_zoom": 11, "max_zoom": 14, "archive": False},
    })
    run(RunContext(job=job, out_dir=out, grid=fx.grid))
    browser.get((out / "viewer" / "index.html").as_uri())
    _wait(browser, "return document.querySelectorAll('.leaflet-tile-loaded').length >= 2")
    _wait(browser, "return Array.from(document.images).every(i => i.complete)")
    pixels = _map_pixels(browser)
    assert _colormap_pixels(pixels, "viridis", 0.85) > 0.1 * pixels.shape[0] * pixels.shape[1]
    assert "Synthetic" in browser.find_element("id", "note").text
    text = _click_map_centre(browser)
    match = re.search(r"Probability: (\d\.\d+) \(value of the 10 m cell\)", text)
    assert match, text
    # the value shown is exactly the value of a COG cell (float32), not a resampled one
    import rasterio

    with rasterio.open(fx.probability) as src:
        cells = src.read(1)
    assert np.isclose(cells, np.float32(match.group(1)), rtol=0, atol=0).any()

    # context: offline basemap, scale bar, lon/lat readout, uncertainty as a swipe
    assert browser.execute_script(
        "return document.querySelectorAll('.leaflet-basemap-pane path').length") > 0
    assert browser.find_element("css selector", ".leaflet-control-scale-line").text.endswith(
        ("m", "km"))
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).move_to_element_with_offset(
        browser.find_element("id", "map"), 10, 10).perform()
    assert re.match(r"lat 12\.\d+, lon -68\.\d+", browser.find_element("id", "coords").text)
    browser.find_element("id", "uncertainty").click()
    _wait(browser, "return document.body.dataset.uncertainty === 'swipe'")
    clip = browser.execute_script(
        "return document.querySelector('.leaflet-uncertainty-pane').style.clip")
    assert clip.startswith("rect(")
    browser.execute_script(
        "const s = document.getElementById('swipe'); s.value = '0.8';"
        "s.dispatchEvent(new Event('input'));")
    assert browser.execute_script(
        "return document.querySelector('.leaflet-uncertainty-pane').style.clip") != clip
    # left of the divider the probability colours stay readable
    pixels = _map_pixels(browser)
    left = pixels[:, : pixels.shape[1] // 2]
    assert _colormap_pixels(left, "viridis", 0.85) > 0.1 * left.shape[0] * left.shape[1]
    (tmp_path / "viewer.png").write_bytes(browser.get_screenshot_as_png())
    # nothing was requested from another machine: every resource is a local file
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).concat("
        "Array.from(document.querySelectorAll('[src], link[href]'))"
        ".map(e => e.src || e.href))")
    assert len(urls) > 5 and all(u.startswith("file://") for u in urls), urls
