"""Round 60: imagery.

A plain source of a satellite scene without a cloud mask (a Landsat or Sentinel-2 band
with its ``date:``, ``sensor:``, MTL or STAC item) whose scene covers a sliver of the
region (a scene shifted off it, or its footprint's collar of no data) was ingested
without a word: the layer no data over 80 % of the region, the indices and the model
blind there, and nothing in the manifest said so. Masked sources and composites said
their uncovered share (round 59); plain unmasked scenes now go through the same check
(``masked.check_clear_cover``: each scene's extent and its band's values) and every plain
source's layer records the sampled share no scene observes
(``no_observation_share``, as a composite's does). Sheets of a survey (no date, no
sensor: a magnetic grid over part of the region) are said nothing, as before.

SYNTHETIC 20 x 20 Collection 2 ``SR_B4`` GeoTIFFs (round 42's helpers) read through the
plain source's real planning and computing (``plan_raster``); one case reads the real
Wageningen 2014 OLI ESPA band with its XML over a region half off the scene.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import RasterSource
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.rasters import plan_raster
from tests.robustness.test_imagery_round42 import GRID, _file
from tests.robustness.test_imagery_round58 import CLEAR, DN_03

SHIFT = 16
"""Columns (of 20) that a scene shifted east leaves uncovered on the region's west."""

WHOLE = ChunkWindow(0, 0, slice(0, 20), slice(0, 20))


def _plan(src: dict[str, Any], grid: RegionGrid = GRID
          ) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """The cover warnings, the first layer's values and its settings of a plain source."""
    source = RasterSource.model_validate(src)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = plan_raster(source, grid)[0]
        out = np.asarray(layer.compute(grid, WHOLE))
    told = [str(w.message) for w in caught if "of the region's cells" in str(w.message)]
    return told, out, dict(layer.settings)


def _scene(root: Path, *, shift: int = SHIFT, collar: int = 0, name: str = "red.tif",
           west: bool = False) -> str:
    """A SYNTHETIC Collection 2 ``SR_B4`` of reflectance 0.3 (DN 18182), its scene shifted
    ``shift`` columns east of the region (west with ``west``), its ``collar`` west columns
    DN 0 (the file's nodata: a footprint's collar)."""
    from tests.robustness.test_imagery_round38 import ORIGIN

    red = np.full((20, 20), DN_03, "uint16")
    red[:, :collar] = 0
    origin = (ORIGIN[0] + (-shift if west else shift) * 30, ORIGIN[1])
    return str(_file(root / name, red, origin=origin))


L2 = {"scale": 2.75e-05, "offset": -0.2}


@pytest.mark.parametrize("mosaic", [None, "first_valid"], ids=["bands", "scenes"])
def test_an_unmasked_scene_over_a_sliver_of_the_region_is_said(
    tmp_path: Path, mosaic: str | None
) -> None:
    """SYNTHETIC: a Landsat 8 scene (its ``sensor:``, or a ``scenes:`` entry's ``date:``)
    without a cloud mask covering the region's east 4 columns
    (of 20): ingested before without a word, 80 % of the layer no data; now warned of
    once (the share, the scene, the fix) and recorded as its ``no_observation_share``.
    Values as before (0.3 on the east 4 columns, no data on the west)."""
    bands = {"B4": _scene(tmp_path)}
    where: dict[str, Any] = ({"scenes": [{"bands": bands, "date": "2021-03-01"}],
                              "mosaic": mosaic} if mosaic else
                             {"bands": bands, "sensor": "landsat8"})
    told, out, settings = _plan({"name": "x", **where, **L2})
    assert np.isnan(out[:, :SHIFT]).all()
    np.testing.assert_allclose(out[:, SHIFT:], 0.3, rtol=1e-4)
    assert len(told) == 1, told
    assert "\n" not in told[0], told
    assert told[0] == (
        "source 'x': 80% of the region's cells (sampled on 400) lack an observation: they "
        "lie outside the extent of the 1 scene(s) used (red.tif); those cells are no data "
        "in every mosaic variable: add scenes that cover the region, or shrink the "
        "region"), told
    assert settings["no_observation_share"] == 0.8


def test_an_unmasked_scene_whose_collar_covers_the_region_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: a Landsat 8 scene (``sensor: landsat8``) over the whole region whose
    west 14 columns are its footprint's collar (DN 0, the file's nodata): 70 % no data
    without a word; now said as cells outside its extent or no data in it."""
    told, out, settings = _plan({"name": "x", "bands": {"B4": _scene(
        tmp_path, shift=0, collar=14)}, "sensor": "landsat8", **L2})
    assert np.isnan(out[:, :14]).all() and np.isfinite(out[:, 14:]).all()
    assert len(told) == 1, told
    assert ("70% of the region's cells (sampled on 400) lack an observation: they lie "
            "outside the extent of, or are no data (fill) in, the 1 scene(s) used "
            "(red.tif)") in told[0], told
    assert settings["no_observation_share"] == 0.7


def test_a_masked_plain_sources_uncovered_share_is_in_its_provenance(tmp_path: Path) -> None:
    """SYNTHETIC: round 59's clear scene masked by its QA_PIXEL, 16 columns off the region:
    warned of (as before), and its share, which only composites recorded, now in the
    layer's settings too."""
    from tests.robustness.test_imagery_round38 import ORIGIN

    origin = (ORIGIN[0] + SHIFT * 30, ORIGIN[1])
    bands = {"red": _scene(tmp_path),
             "QA": str(_file(tmp_path / "qa.tif", CLEAR, nodata=1, origin=origin))}
    told, _, settings = _plan({"name": "x", "bands": bands, **L2,
                               "cloud_mask": {"asset": "QA", "kind": "qa_pixel"}})
    assert len(told) == 1 and "80% lie outside every scene's footprint" in told[0], told
    assert settings["no_observation_share"] == 0.8


@pytest.mark.realdata
def test_the_real_wageningen_scene_half_off_the_region_is_said(shared_data: Path) -> None:
    """Real Wageningen 2014 OLI ``sr_band4`` with its ESPA XML, over a region whose west
    half lies west of the scene: ingested before without a word; now warned of (the
    share outside the scene's extent, the file)."""
    import rasterio

    folder = shared_data / "landsat8_sr_wageningen_nl"
    band = next(folder.glob("*sr_band4.tif"))
    xml = next(p for p in folder.glob("*.xml") if "aux" not in p.name)
    with rasterio.open(band) as src:
        left, top = src.bounds.left, src.bounds.top
    grid = RegionGrid(crs="EPSG:32631", resolution=300.0,
                      bounds=(left - 6000.0, top - 12000.0, left + 6000.0, top - 6000.0),
                      chunks=(20, 20))
    source = RasterSource.model_validate({"name": "oli", "bands": {"red": str(band)},
                                          "metadata": str(xml)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = plan_raster(source, grid)[0]
    told = [str(w.message) for w in caught if "of the region's cells" in str(w.message)]
    assert len(told) == 1, told
    assert told[0].startswith("source 'oli': 50% of the region's cells"), told
    assert f"1 scene(s) used ({band.name})" in told[0], told
    assert layer.settings["no_observation_share"] == 0.5


def test_an_unmasked_scene_of_no_value_over_the_region_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: a Landsat 8 scene whose band is DN 0 (its nodata: a failed scene written
    as fill, a footprint missing the region though its box reaches it) over the whole
    region: planned before, a layer of no data in every cell; now refused at planning
    as a masked source's and a composite's are (one line, the file, the fix)."""
    from prospect.errors import DataError

    source = RasterSource.model_validate({"name": "x", "bands": {"B4": str(_file(
        tmp_path / "B4.tif", 0))}, "sensor": "landsat8", **L2})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError) as err:
            plan_raster(source, GRID)
    message = str(err.value)
    assert "\n" not in message, message
    assert message.startswith(
        "source 'x': no value in region 'r38': the band of every one of the 1 scene(s) used "
        "(B4.tif) is no data there"), message
    assert message.endswith("add scenes that hold values over the region, or check the "
                            "files' nodata"), message


# -- controls ---------------------------------------------------------------------------------


def test_two_unmasked_scenes_covering_the_region_between_them_say_nothing(
    tmp_path: Path
) -> None:
    """control (SYNTHETIC): two dated scenes, one shifted 10 columns east, one 10 west, a
    ``first_valid`` mosaic covering the region between them: no word, values 0.3."""
    scenes = [{"bands": {"red": _scene(tmp_path, shift=10, name="east.tif")},
               "date": "2021-03-01"},
              {"bands": {"red": _scene(tmp_path, shift=10, west=True, name="west.tif")},
               "date": "2021-03-01"}]
    told, out, _ = _plan({"name": "x", "scenes": scenes, "mosaic": "first_valid", **L2})
    assert told == []
    np.testing.assert_allclose(out, 0.3, rtol=1e-4)


def test_an_undated_survey_sheet_over_part_of_the_region_says_nothing(tmp_path: Path) -> None:
    """control (SYNTHETIC): a sheet of a survey (no date, no sensor, no metadata) over the
    region's east 4 columns: a survey of part of a region is normal, no word, as
    before."""
    told, out, _ = _plan({"name": "x", "bands": {"red": _scene(tmp_path)}, **L2})
    assert told == []
    assert np.isnan(out[:, :SHIFT]).all()
    np.testing.assert_allclose(out[:, SHIFT:], 0.3, rtol=1e-4)


def test_an_unmasked_scene_over_the_whole_region_says_nothing(tmp_path: Path) -> None:
    """control (SYNTHETIC): a Landsat 8 scene over the whole region: no word, values
    0.3."""
    told, out, _ = _plan({"name": "x", "bands": {"B4": _scene(tmp_path, shift=0)},
                          "sensor": "landsat8", **L2})
    assert told == []
    np.testing.assert_allclose(out, 0.3, rtol=1e-4)
