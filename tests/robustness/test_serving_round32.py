"""Tile delivery as partner agencies' clients meet it, round 32: the viewers' click on unit
maps keyed by 64-bit ids, and the edges of HTTP and GDAL clients.

A survey's geology map keyed by 64-bit database ids (9007199254740993, ...995, ...997,
...1001: an Int64 GeoTIFF, as GDAL >= 3.5 writes one, stated by CF flags) is served by a
real server (uvicorn on loopback, in this process) to the served viewer in headless
Chromium, and run through the tiles stage (the static viewer's ``values.js``). Each
non-control case failed before: JavaScript read the codes as its numbers (doubles), so a
click named 9007199254740992 for unit ...993, a code of no unit, without a word. All data
here are SYNTHETIC.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from rasterio.transform import from_origin

from tests.browser import test_viewer as viewer_tests
from tests.robustness.test_serving_round31b import (  # round 31b's SYNTHETIC Int64 maps
    BIG,
    HELD,
    _blocks,
    _flags,
    _write_tif,
)
from tiles.testing import live_server

BONAIRE_BOUNDS = (565000.0, 1330000.0, 570000.0, 1345000.0)
UNIQUE = [BIG[0], BIG[3]]  # past 2^53, each read as a float64 no other code reads as

browser = viewer_tests.browser  # headless Chromium, skipped where it is absent


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("round32")
    _write_tif(root / "big.tif", _blocks(BIG), "int64", _flags(BIG), nodata=0)
    _write_tif(root / "held.tif", _blocks(HELD), "int64", _flags(HELD), nodata=0)
    layers = [{"name": n, "cog": f"{n}.tif", "public": True} for n in ("big", "held")]
    config = root / "serve.yaml"
    config.write_text(yaml.safe_dump({"title": "Round 32 (synthetic)", "layers": layers}))
    return {"root": root, "config": config}


@pytest.fixture(scope="module")
def server(corpus: dict[str, Any]):
    with live_server(corpus["config"]) as live:
        yield live


@pytest.fixture(scope="module")
def staged(corpus: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiles stage run on the Int64 maps (as the score stage's COGs); its output."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig
    from prospect.grid import RegionGrid

    out = tmp_path_factory.mktemp("round32stage") / "out"
    (out / "score").mkdir(parents=True)
    for name in ("big", "held"):
        shutil.copy(corpus["root"] / f"{name}.tif", out / "score" / f"{name}.tif")
    job = JobConfig.model_validate(
        {
            "name": "round32",
            "synthetic": True,
            "region": "bonaire",
            "tiles": {
                "min_zoom": 14,
                "max_zoom": 15,
                "archive": False,
                "layers": [
                    {"variable": "big", "role": "value"},
                    {"variable": "held", "role": "value"},
                ],
            },
        }
    )
    grid = RegionGrid(
        crs="EPSG:32619", resolution=10.0, bounds=BONAIRE_BOUNDS, chunks=(256, 256), name="r32"
    )
    run(RunContext(job=job, out_dir=out, grid=grid))
    return out


def _values_js(staged: Path) -> dict[str, Any]:
    text = (staged / "viewer" / "values.js").read_text()
    return json.loads(re.sub(r"^window\.PROSPECT_VALUES = |;\s*$", "", text))


# -- the viewers' click on codes past 2^53 -----------------------------------------------


@pytest.mark.browser
def test_the_served_viewers_click_names_a_unit_past_2_53(browser: Any, server: Any) -> None:
    """``/point`` gives ...993 exactly, but the served viewer read it with ``r.json()``,
    a JavaScript double: the click said 9007199254740992 (a code of no unit) and no unit
    name. The digits the server wrote are shown now, with the unit's name."""
    browser.get(f"{server.url}/viewer/")
    viewer_tests._wait(
        browser, "return document.querySelectorAll('.leaflet-tile-loaded').length >= 1"
    )
    text = viewer_tests._click_map_centre(browser)
    shown = re.search(r": (\d{16,})", text)
    assert shown, text
    assert int(shown.group(1)) in BIG, text
    assert f"(unit {BIG.index(int(shown.group(1)))})" in text, text


def test_the_static_viewer_reads_each_units_own_code_past_2_53(staged: Path) -> None:
    """The static viewer's ``values.js`` gave ...993 as 9007199254740992.0 and ...1001 as
    9007199254741000.0 (codes of no unit, as JavaScript reads them): each code float64
    reads as no other code's is written as its digits now. (...995 and ...997 are one
    float64: start-up and the stage say so, round 31b.)"""
    data = _values_js(staged)["big"]["data"]
    written = {v for v in data if v is not None}
    assert {str(c) for c in UNIQUE} <= written, sorted(map(str, written))
    assert not any(isinstance(v, float) and v in {float(c) for c in UNIQUE} for v in data)


def test_control_codes_float64_holds_are_written_as_before(staged: Path) -> None:
    """Control: an Int64 map of codes past 2^53 that float64 holds (2^53 + 2, + 4, + 8)
    is written as numbers, each its own code in JavaScript too."""
    data = _values_js(staged)["held"]["data"]
    assert {v for v in data if v is not None} == {float(c) for c in HELD}


# -- a layer whose every cell is no data --------------------------------------------------


def _stage(out: Path, cogs: dict[str, Path]) -> Any:
    """The tiles stage on ``cogs`` (as the score stage's ``<name>.tif``), RD New."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig
    from prospect.grid import RegionGrid

    (out / "score").mkdir(parents=True)
    for name, cog in cogs.items():
        shutil.copy(cog, out / "score" / f"{name}.tif")
    job = JobConfig.model_validate(
        {
            "name": "round32",
            "synthetic": True,
            "region": "netherlands",
            "tiles": {
                "min_zoom": 8,
                "max_zoom": 12,
                "archive": False,
                "layers": [{"variable": n, "role": "value"} for n in cogs],
            },
        }
    )
    grid = RegionGrid(
        crs="EPSG:28992",
        resolution=100.0,
        bounds=(155000.0, 459000.0, 159000.0, 463000.0),
        chunks=(256, 256),
        name="r32",
    )
    return run(RunContext(job=job, out_dir=out, grid=grid))


def _rd_cog(path: Path, values: np.ndarray) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=40,
        height=40,
        count=1,
        dtype="float32",
        crs="EPSG:28992",
        transform=from_origin(155000.0, 463000.0, 100.0, 100.0),
        nodata=-9999.0,
    ) as ds:
        ds.write(values.astype("f4"), 1)
        ds.update_tags(synthetic="true")
    return path


def test_the_stage_says_a_layer_of_no_data_is_all_no_data(tmp_path: Path) -> None:
    """A score COG whose every cell is its nodata (a mask that took the whole region, a
    nodata value that is the data's own) was refused as "produced no tile with data",
    nothing of why or what to do. The refusal says every cell is no data and how to check
    (``prospect serve`` says it so), and nothing is published."""
    from prospect.errors import StageError

    empty = _rd_cog(tmp_path / "empty.tif", np.full((40, 40), -9999.0))
    with pytest.raises(StageError) as err:
        _stage(tmp_path / "out", {"empty": empty})
    text = " ".join(str(err.value).split())
    assert "layer 'empty'" in text and "every one no data" in text, text
    assert "gdalinfo -stats" in text and "tiles.layers" in text, text
    published = tmp_path / "out" / "tiles"
    assert not published.exists() or not any(published.iterdir())


# -- what a refusal of JPEG tiles advises -------------------------------------------------


def test_the_jpeg_refusal_does_not_call_webp_lossless() -> None:
    """``format: jpeg`` was refused as lossy, advising "png or webp (lossless, smaller)":
    a layer of values' WebP tiles are lossy (quality 90; colours up to 27/255 off the
    PNG's), so a survey took the advice and delivered what the refusal warned of. The
    advice says which is lossless now."""
    from prospect.config.tiles import TilesConfig

    with pytest.raises(ValueError) as err:
        TilesConfig.model_validate({"format": "jpeg"})
    text = " ".join(str(err.value).split())
    assert "webp (lossless" not in text, text
    assert "png is lossless" in text and "lossy at quality 90" in text, text
