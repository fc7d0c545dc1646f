"""Round 37: imagery.

1. A cloud buffer of a few hundred metres to kilometres (``cloud_mask.buffer_m: 2500``,
   allowed up to 5000) on 10 m quality layers: each chunk's dropped pixels were grown by
   a binary dilation with a disc of ``(2 r + 1)^2`` pixels, whose cost is the block's
   pixels times the disc's: a buffer of 100 pixels (1 km of 10 m SCL, 3 km of 30 m
   QA_PIXEL) took a minute per chunk and scene without a word, one of 150 pixels or more
   stopped with scipy's bare ``MemoryError`` (a traceback). Grown now by the Euclidean
   distance transform (the same disc, exactly), in a time that does not grow with it.
2. ``composite: {method: percentile, percentile: 0.9}`` (a share, as numpy's and
   xarray's ``quantile`` and Earth Engine's reducers take it) was the 0.9th percentile,
   near each cell's darkest look, exit 0. Refused now, with the percentile to write.
3. A time series date written as a date and time with an offset
   (``2021-03-01T23:30:00-05:00``, a local time from a field log) was refused with the
   advice to give 2021-03-01, a day before the scene's UTC date (its product name's and
   STAC item's); quoted, it was "no YYYY-MM-DD date" without the date to give.
4. A search's property bound written as text where STAC has a number
   (``eo:cloud_cover: {lt: "30"}``, ``{lt: 30%}``, ``proj:epsg: {eq: "EPSG:32631"}``):
   sent as text in the CQL2 filter, and an API that ignores ``filter`` had every item
   kept as "not comparable" (other zones, 80 % cloud in the composite), exit 0.

SYNTHETIC rasters written into ``tmp_path`` with rasterio (labelled SYNTHETIC), read
through the real planning (``plan_raster``, ``resolve_search`` against a SYNTHETIC STAC
API on loopback) and the CLI in-process (``prospect plan``).
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.cloudmask import grow
from prospect.ingest.rasters import plan_raster
from prospect.ingest.stac_search import resolve_search
from tests.robustness.test_imagery_round30 import StacApi, _api_items, serving

from .conftest import Sandbox, assert_clean_error, write_tiny_raster

# -- 1. a cloud buffer of kilometres on 10 m pixels ----------------------------------------

N = 20
"""Cells of the region's side (30 m cells, 600 m)."""
REGION_X, REGION_Y = 684000.0, 5766000.0
GRID = RegionGrid(
    crs="EPSG:32631",
    resolution=30.0,
    bounds=(REGION_X, REGION_Y - 30.0 * N, REGION_X + 30.0 * N, REGION_Y),
    chunks=(N, N),
    name="cut",
)
WINDOW = ChunkWindow(0, 0, slice(0, N), slice(0, N))
SIDE = 800
"""Pixels of the SYNTHETIC 10 m files' side (8 km), the region in their middle."""
FILE_X, FILE_Y = REGION_X - 3700.0, REGION_Y + 3700.0
CLOUD = (slice(360, 440), slice(130, 135))
"""A 50 m wide cloud 2.35 km west of the region's west edge (file columns 130-134, the
region's western edge at column 370), along the region's rows (370-429) and beyond."""


def _write10(path: Path, values: np.ndarray, nodata: float | None) -> Path:
    with rasterio.open(
        path, "w", driver="GTiff", width=SIDE, height=SIDE, count=1,
        dtype=values.dtype.name, crs="EPSG:32631", nodata=nodata,
        transform=from_origin(FILE_X, FILE_Y, 10.0, 10.0), tiled=True,
        blockxsize=256, blockysize=256,
    ) as dst:
        dst.write(values[None])
    return path


@pytest.fixture(scope="module")
def tens(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """SYNTHETIC 10 m red band (DN 1000) and CFmask layer (clear, one cloud)."""
    root = tmp_path_factory.mktemp("r37-buffer")
    red = _write10(root / "red.tif", np.full((SIDE, SIDE), 1000, np.uint16), 0)
    codes = np.zeros((SIDE, SIDE), np.uint8)
    codes[CLOUD] = 4
    return red, _write10(root / "cfmask.tif", codes, 255)


def _buffered(red: Path, mask: Path, buffer_m: float) -> np.ndarray:
    src = RasterSource.model_validate({
        "name": "l8",
        "bands": {"red": str(red), "qa": str(mask)},
        "scale": 0.0001,
        "cloud_mask": {"kind": "cfmask", "asset": "qa", "buffer_m": buffer_m},
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan_raster(src, GRID)[0].compute(GRID, WINDOW)


@pytest.mark.timeout(90)
def test_a_cloud_buffer_of_kilometres_on_10_m_pixels_does_not_hang(
    tens: tuple[Path, Path],
) -> None:
    """``buffer_m: 2500`` on a 10 m CFmask (a disc of 250 pixels' radius): the plan
    stopped with scipy's ``MemoryError`` (smaller discs: minutes per chunk and scene).
    Now seconds, and the region's cells within 2.5 km of the cloud are no data, the
    others the band's 0.1."""
    start = time.monotonic()
    out = _buffered(*tens, 2500.0)
    assert time.monotonic() - start < 30
    # the cloud's eastern pixels' centres are at x = FILE_X + 1345 m
    east = FILE_X + 1345.0
    centres = REGION_X + 15.0 + 30.0 * np.arange(N)
    reach = centres - east
    near, far = reach < 2500.0 - 30.0, reach > 2500.0 + 30.0
    assert near.any() and far.any()
    assert np.isnan(out[:, near]).all(), out[0]
    np.testing.assert_allclose(out[:, far], 0.1, rtol=1e-5)


@pytest.mark.parametrize("pixels", [0.5, 1.0, 1.5, 2.0, 2.5, 3.3, 7.0710678])
def test_the_grown_mask_is_the_same_disc(pixels: float) -> None:
    """Control: a cloud pixel grown by ``pixels`` is every pixel whose centre lies within
    ``pixels`` of it (the disc the dilation used), at the array's edges too."""
    mask = np.zeros((17, 15), bool)
    mask[8, 7] = mask[0, 14] = True
    yy, xx = np.mgrid[:17, :15]
    want = (((yy - 8) ** 2 + (xx - 7) ** 2) <= pixels ** 2 + 1e-9) | (
        ((yy - 0) ** 2 + (xx - 14) ** 2) <= pixels ** 2 + 1e-9)
    np.testing.assert_array_equal(grow(mask, pixels), want)


def test_a_small_cloud_buffer_reads_as_before(tens: tuple[Path, Path]) -> None:
    """Control: a buffer of 100 m leaves the region 2.35 km away clear."""
    np.testing.assert_allclose(_buffered(*tens, 100.0), 0.1, rtol=1e-5)


# -- 2. a percentile given as a share ------------------------------------------------------

STAC_SOURCE: dict[str, Any] = {
    "kind": "raster", "name": "s2", "sensor": "sentinel2",
    "stac_search": {"url": "https://earth-search.aws.element84.com/v1",
                    "collections": ["sentinel-2-l2a"], "datetime": "2024-02-01/2024-09-30"},
    "assets": {"B04": "red", "B08": "nir"},
    "cloud_mask": {"kind": "scl", "asset": "scl"},
    "composite": {"method": "percentile", "percentile": 25},
}


def _percentile(box: Sandbox, value: float) -> None:
    source = copy.deepcopy(STAC_SOURCE)
    source["composite"]["percentile"] = value
    box.write_job(sources=[source])


@pytest.mark.parametrize(("value", "want"), [(0.9, "write 90"), (0.25, "write 25")])
def test_a_percentile_given_as_a_share_is_refused(
    sandbox: Sandbox, cli: Any, value: float, want: str
) -> None:
    """``percentile: 0.9`` meant the 90th (a share, as numpy's quantile takes it): the
    composite was of each cell's 0.9th percentile, near its darkest look, exit 0."""
    _percentile(sandbox, value)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "composite", f"percentile {value:g}", want,
                       "0..100")
    assert sandbox.untouched()


@pytest.mark.parametrize("value", [0, 1, 90])
def test_percentiles_on_their_scale_still_load(sandbox: Sandbox, cli: Any,
                                               value: float) -> None:
    """Control: 0 (the lowest look), 1 and 90 are percentiles as written."""
    _percentile(sandbox, value)
    result = cli("plan", sandbox.job_path)
    assert "composite" not in "".join(result.error_lines), result.err[-2000:]


# -- 3. a time series date written with a time and an offset -------------------------------


def _series(box: Sandbox, first: Any) -> None:
    write_tiny_raster(box.root / "cold.tif",
                      values=np.random.default_rng(37).random((40, 40)).astype("float32"))
    box.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                           {"kind": "raster", "name": "cold", "path": "cold.tif"}],
                  timeseries={"dates": [{"date": first, "bands": {"red": "heat"}},
                                        {"date": "2021-06-01", "bands": {"red": "cold"}}],
                              "difference": ["red"]})


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2021-03-01T23:30:00-05:00", "2021-03-02"),
        ("'2021-03-01T23:30:00-05:00'", "2021-03-02"),
        ("'2021-03-02T08:30:00+10:00'", "2021-03-01"),
    ],
    ids=["yaml-timestamp", "quoted", "quoted-east"],
)
def test_a_date_with_a_time_and_an_offset_is_refused_with_its_utc_date(
    sandbox: Sandbox, cli: Any, text: str, utc: str
) -> None:
    """A local date and time (``-05:00``: 04:30 UTC the next day): the fix offered was its
    local day, a day off its files' and items' UTC date; quoted, no date was offered."""
    _series(sandbox, "PLACEHOLDER")
    sandbox.write_job(sandbox.job_path.read_text().replace("PLACEHOLDER", text))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "timeseries.dates.0.date", "is a date and time",
                       f"in UTC, as its product name and STAC item date it: {utc}")
    assert sandbox.untouched()


def test_a_date_and_time_in_utc_is_refused_as_before(sandbox: Sandbox, cli: Any) -> None:
    """Control: a naive or UTC date and time is told its own date, as before."""
    _series(sandbox, "PLACEHOLDER")
    sandbox.write_job(sandbox.job_path.read_text().replace("PLACEHOLDER",
                                                           "2021-03-01T10:30:00Z"))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "timeseries.dates.0.date", "is a date and time",
                       "give the scene's date alone, 2021-03-01")


# -- 4. a search's property bound written as text where the items state a number ----------


def _search_source(properties: dict[str, Any], url: str = "https://earth-search.example/v1"
                   ) -> dict[str, Any]:
    return {
        "name": "s2",
        "stac_search": {"url": url, "collections": ["sentinel-2-l2a"],
                        "datetime": "2024-01-01/2024-03-31", "properties": properties},
        "assets": {"red": "red"},
        "composite": {"method": "median"},
    }


@pytest.mark.parametrize(
    ("prop", "bound", "want"),
    [
        ("eo:cloud_cover", "30", "lt: 30"),
        ("eo:cloud_cover", "30%", "lt: 30"),
        ("s2:nodata_pixel_percentage", "12,5", "lt: 12.5"),
    ],
    ids=["quoted", "percent-sign", "decimal-comma"],
)
def test_a_numeric_property_compared_with_text_is_refused(
    sandbox: Sandbox, cli: Any, prop: str, bound: str, want: str
) -> None:
    """``eo:cloud_cover: {lt: "30"}`` or ``{lt: 30%}``: sent as text in the CQL2 filter
    (an API that applies it answered nothing, or compared as it would), and an API that
    ignores ``filter`` had every item kept as not comparable, exit 0."""
    source = {"kind": "raster", "sensor": "sentinel2",
              **_search_source({prop: {"lt": bound}})}
    sandbox.write_job(sources=[source])
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "stac_search.properties", prop,
                       f"lt: '{bound}' is text", f"write it unquoted, without a unit (e.g. {want})")
    assert sandbox.untouched()


EPSG = [32631, 32632, 32631]


@pytest.fixture(scope="module")
def unfiltered() -> Iterator[str]:
    """A SYNTHETIC STAC API on loopback that answers its three items whatever the search's
    ``filter`` (as APIs reading only ``query`` do), each stating ``proj:epsg``."""
    items = _api_items(3)
    for item, code in zip(items, EPSG, strict=True):
        item["properties"]["proj:epsg"] = code

    class Unfiltered(StacApi):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self._send({"type": "FeatureCollection", "features": items, "links": []})

    server = serving(Unfiltered)
    yield next(server)
    server.close()


def _found(url: str, folder: Path, bound: Any) -> list[str]:
    source = RasterSource.model_validate(_search_source({"proj:epsg": {"eq": bound}}, url))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sorted(resolve_search(source, GRID, folder)[1])


def test_a_bound_in_text_against_items_numbers_is_refused(unfiltered: str,
                                                           tmp_path: Path) -> None:
    """``proj:epsg: {eq: "EPSG:32631"}`` against items stating ``proj:epsg: 32632``: the
    comparison could not hold, so every item was kept as not comparable, the zone-32
    scene in the composite, exit 0; nothing said. Refused now naming an item, and
    nothing is saved."""
    with pytest.raises(ConfigError) as err:
        _found(unfiltered, tmp_path, "EPSG:32631")
    message = str(err.value)
    assert "\n" not in message
    assert "'proj:epsg' eq: 'EPSG:32631' is text" in message, message
    assert "item 'S2_0': 32631" in message and "(e.g. eq: 32631)" in message, message
    assert not (tmp_path / "s2.json").exists()


def test_a_numeric_bound_against_items_numbers_filters_as_before(unfiltered: str,
                                                                 tmp_path: Path) -> None:
    """Control: ``eq: 32631`` keeps the two items of zone 31."""
    assert _found(unfiltered, tmp_path, 32631) == ["S2_0", "S2_2"]
