"""Round 61: imagery.

A plain source of a satellite scene without a cloud mask (a Landsat band with its
``sensor:`` or ``date:``) was checked for its cover by its first variable's band alone:
another variable's file of another tile or scene (a ``B5`` path copied from a
neighbouring scene's folder), or of a fill over part of the region, was ingested without a
word, that variable no data over 80 % of the region, and its provenance said
``no_observation_share: 0.0``. A masked source's other variables were sampled (round 59),
but only where their band was their file's first: a multi-band stack's second band (a
``path:`` with ``band_names:``) was never sampled, nor could a scene be sampled by any
band other than its file's band 1 (the samples read a file's first band). Now each
variable's band of every satellite scene is sampled as the chunks read it (its own band
index, its own no data), masked or not, through the one cover check
(``masked.check_clear_cover``), and a variable's cells outside its files' extent are told
from its fill.

SYNTHETIC 20 x 20 Collection 2 ``SR_B4``-like GeoTIFFs (rounds 42 and 60's helpers) and
two-band stacks, read through the plain source's real planning and computing
(``plan_raster``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.errors import DataError
from prospect.ingest.rasters import plan_raster
from tests.robustness.test_imagery_round38 import ORIGIN
from tests.robustness.test_imagery_round42 import GRID, _file
from tests.robustness.test_imagery_round58 import CLEAR, DN_03
from tests.robustness.test_imagery_round60 import L2, SHIFT, WHOLE, _scene


def _plan(src: dict[str, Any]) -> tuple[list[str], dict[str, np.ndarray], dict[str, Any]]:
    """The cover warnings, every layer's values and every layer's no-observation share of
    a plain source."""
    source = RasterSource.model_validate(src)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_raster(source, GRID)
        out = {layer.name: np.asarray(layer.compute(GRID, WHOLE)) for layer in layers}
    told = [str(w.message) for w in caught if "of the region's cells" in str(w.message)]
    return told, out, {layer.name: layer.settings.get("no_observation_share")
                       for layer in layers}


def _refused(src: dict[str, Any]) -> str:
    """The one-line refusal of a plain source at planning."""
    source = RasterSource.model_validate(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError) as err:
            plan_raster(source, GRID)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    return message


def _stack(path: Path, fill_cols: int) -> str:
    """A SYNTHETIC two-band Landsat 8 stack (``B4``, ``B5``; DN 18182, reflectance 0.3;
    nodata 0) over the whole region, its band 2's ``fill_cols`` west columns DN 0."""
    data = np.full((2, 20, 20), DN_03, "uint16")
    data[1, :, :fill_cols] = 0
    with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=2,
                       dtype="uint16", crs="EPSG:32631", nodata=0,
                       transform=from_origin(*ORIGIN, 30.0, 30.0)) as dst:
        dst.write(data)
        dst.descriptions = ("B4", "B5")
    return str(path)


OTHER_TILE = (
    "source 'x': 80% of the region's cells (sampled on 400) lack a value of variable 'B5' "
    "in the 1 scene(s) used (b4.tif), against 0% for the source's first variable: 'B5''s "
    "bands lie outside their files' extent there (a file of another scene or tile?); those "
    "cells are no data in 'B5' of the mosaic: check the file 'B5' names and its nodata, or "
    "add scenes")


@pytest.mark.parametrize("mosaic", [None, "first_valid"], ids=["bands", "scenes"])
def test_an_unmasked_scenes_other_band_of_another_tile_is_said(
    tmp_path: Path, mosaic: str | None
) -> None:
    """SYNTHETIC: a Landsat 8 scene without a cloud mask (its ``sensor:``, or a
    ``scenes:`` entry's ``date:``) whose ``B4`` covers the region and whose ``B5`` file
    lies 16 columns (of 20) east of it (a path copied from another tile's folder):
    ingested before without a word, ``B5`` no data over 80 % of the region and its
    provenance ``no_observation_share: 0.0``; now warned of once (the share, the variable,
    outside its file's extent, the fix) and 0.8 in ``B5``'s provenance. Values as
    before."""
    bands = {"B4": _scene(tmp_path, shift=0, name="b4.tif"),
             "B5": _scene(tmp_path, name="b5.tif")}
    where: dict[str, Any] = ({"scenes": [{"bands": bands, "date": "2021-03-01"}],
                              "mosaic": mosaic} if mosaic else
                             {"bands": bands, "sensor": "landsat8"})
    told, out, share = _plan({"name": "x", **where, **L2})
    np.testing.assert_allclose(out["B4"], 0.3, rtol=1e-4)
    assert np.isnan(out["B5"][:, :SHIFT]).all()
    np.testing.assert_allclose(out["B5"][:, SHIFT:], 0.3, rtol=1e-4)
    assert told == [OTHER_TILE], told
    assert share == {"B4": 0.0, "B5": 0.8}, share


def test_an_unmasked_scenes_other_band_of_fill_over_the_region_is_refused(
    tmp_path: Path
) -> None:
    """SYNTHETIC: a Landsat 8 scene whose ``B4`` holds values over the region and whose
    ``B5`` is DN 0 (its nodata: a failed band, a file of fill) everywhere: planned before,
    ``B5`` a layer of no data in every cell, exit 0; now refused at planning as a
    composite's variable is (one line, the variable, the file, the fix)."""
    message = _refused({"name": "x", "sensor": "landsat8", **L2, "bands": {
        "B4": _scene(tmp_path, shift=0, name="b4.tif"),
        "B5": str(_file(tmp_path / "b5.tif", 0))}})
    assert message == (
        "source 'x': variable 'B5' has no value in region 'r38': its band in every one of "
        "the 1 scene(s) used (b4.tif) is no data there (its nodata, fill or clipped DNs: a "
        "band missing from the scenes, or its file of another extent), so 'B5' would be all "
        "no data; check the file that 'B5' names and its nodata, or leave 'B5' out"), message


def test_a_stacks_second_band_of_fill_over_part_of_the_region_is_said(
    tmp_path: Path
) -> None:
    """SYNTHETIC: a two-band Landsat 8 stack (``path:``, ``band_names: [B4, B5]``) whose
    band 2 is DN 0 (its nodata) over the region's west 16 columns: band 2 was never
    sampled (the samples read a file's band 1), so ``B5`` went in 80 % no data without a
    word; now its own band is sampled: warned of as no data (fill) there, and 0.8 in its
    provenance."""
    told, out, share = _plan({"name": "x", "path": _stack(tmp_path / "s.tif", SHIFT),
                              "band_names": ["B4", "B5"], "sensor": "landsat8", **L2})
    np.testing.assert_allclose(out["B4"], 0.3, rtol=1e-4)
    assert np.isnan(out["B5"][:, :SHIFT]).all()
    assert told == [
        "source 'x': 80% of the region's cells (sampled on 400) lack a value of variable "
        "'B5' in the 1 scene(s) used (s.tif), against 0% for the source's first variable: "
        "'B5''s bands are no data there (their nodata, fill or clipped DNs); those cells "
        "are no data in 'B5' of the mosaic: check the file 'B5' names and its nodata, or "
        "add scenes"], told
    assert share == {"B4": 0.0, "B5": 0.8}, share


def test_a_stacks_second_band_of_fill_over_the_whole_region_is_refused(
    tmp_path: Path
) -> None:
    """SYNTHETIC: the stack's band 2 DN 0 over the whole region: planned before, ``B5``
    all no data; now refused naming the variable and the file."""
    message = _refused({"name": "x", "path": _stack(tmp_path / "s.tif", 20),
                        "band_names": ["B4", "B5"], "sensor": "landsat8", **L2})
    assert message.startswith(
        "source 'x': variable 'B5' has no value in region 'r38': its band in every one of "
        "the 1 scene(s) used (s.tif) is no data there"), message


def test_a_masked_scenes_other_band_of_another_tile_is_said_as_outside_its_file(
    tmp_path: Path
) -> None:
    """SYNTHETIC: round 59's clear scene masked by its QA_PIXEL over the whole region,
    its ``B5`` file 16 columns east of it: warned of before as the band's "nodata, fill or
    clipped DNs" with "check the asset" (a plain source names files); now as cells outside
    its file's extent, and the file to check."""
    bands = {"B4": _scene(tmp_path, shift=0, name="b4.tif"),
             "B5": _scene(tmp_path, name="b5.tif"),
             "QA": str(_file(tmp_path / "qa.tif", CLEAR, nodata=1))}
    told, out, share = _plan({"name": "x", "bands": bands, **L2,
                              "cloud_mask": {"asset": "QA", "kind": "qa_pixel"}})
    assert told == [OTHER_TILE.replace("(b4.tif)", "(qa.tif)")], told
    assert share == {"B4": 0.0, "B5": 0.8}, share
    np.testing.assert_allclose(out["B4"], 0.3, rtol=1e-4)


def test_a_scene_listed_without_a_variables_file_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: a ``first_valid`` mosaic of two dated scenes covering the region's east
    and west halves, the west scene's block listing ``B4`` alone (its ``B5`` left out):
    the scene counted as observing ``B5`` everywhere, so ``B5`` went in no data over the
    west half without a word, its provenance 0.0; now warned of (the variable, the scene
    without it, the fix) and 0.5 in its provenance."""
    scenes = [{"bands": {"B4": _scene(tmp_path, shift=10, name="e4.tif"),
                         "B5": _scene(tmp_path, shift=10, name="e5.tif")},
               "date": "2021-03-01"},
              {"bands": {"B4": _scene(tmp_path, shift=10, west=True, name="w4.tif")},
               "date": "2021-03-01"}]
    told, out, share = _plan({"name": "x", "scenes": scenes, "mosaic": "first_valid", **L2})
    np.testing.assert_allclose(out["B4"], 0.3, rtol=1e-4)
    assert np.isnan(out["B5"][:, :10]).all()
    assert told == [
        "source 'x': 50% of the region's cells (sampled on 400) lack a value of variable "
        "'B5' in the 2 scene(s) used (e4.tif, w4.tif), against 0% for the source's first "
        "variable: 'B5''s bands are missing from 1 of them (w4.tif: no file of 'B5' over "
        "the region); those cells are no data in 'B5' of the mosaic: give each scene its "
        "file of 'B5', or leave 'B5' out"], told
    assert share == {"B4": 0.0, "B5": 0.5}, share


def test_a_scene_listed_without_the_first_variables_file_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: the same mosaic, the west scene's block listing ``B5`` alone (its ``B4``,
    the source's first variable, left out): its ``B5`` stood for ``B4`` in the cover
    check, so ``B4`` went in no data over the west half without a word, its provenance
    0.0; now ``B4``'s own bands are sampled: warned of, and 0.5 in its provenance."""
    scenes = [{"bands": {"B4": _scene(tmp_path, shift=10, name="e4.tif"),
                         "B5": _scene(tmp_path, shift=10, name="e5.tif")},
               "date": "2021-03-01"},
              {"bands": {"B5": _scene(tmp_path, shift=10, west=True, name="w5.tif")},
               "date": "2021-03-01"}]
    told, out, share = _plan({"name": "x", "scenes": scenes, "mosaic": "first_valid", **L2})
    np.testing.assert_allclose(out["B5"], 0.3, rtol=1e-4)
    assert np.isnan(out["B4"][:, :10]).all()
    assert told == [
        "source 'x': 50% of the region's cells (sampled on 400) lack a value of variable "
        "'B4' in the 2 scene(s) used (e4.tif, w5.tif), the source's first variable: "
        "'B4''s bands are missing from 1 of them (w5.tif: no file of 'B4' over the "
        "region); those cells are no data in 'B4' of the mosaic: give each scene its file "
        "of 'B4', or leave 'B4' out"], told
    assert share == {"B4": 0.5, "B5": 0.0}, share


# -- controls ---------------------------------------------------------------------------------


def test_two_scenes_of_two_bands_covering_the_region_between_them_say_nothing(
    tmp_path: Path
) -> None:
    """control (SYNTHETIC): the same mosaic with the west scene's ``B5`` listed: no word,
    values 0.3, shares 0."""
    scenes = [{"bands": {"B4": _scene(tmp_path, shift=10, name="e4.tif"),
                         "B5": _scene(tmp_path, shift=10, name="e5.tif")},
               "date": "2021-03-01"},
              {"bands": {"B4": _scene(tmp_path, shift=10, west=True, name="w4.tif"),
                         "B5": _scene(tmp_path, shift=10, west=True, name="w5.tif")},
               "date": "2021-03-01"}]
    told, out, share = _plan({"name": "x", "scenes": scenes, "mosaic": "first_valid", **L2})
    assert told == []
    for values in out.values():
        np.testing.assert_allclose(values, 0.3, rtol=1e-4)
    assert share == {"B4": 0.0, "B5": 0.0}, share


def test_an_unmasked_scenes_bands_over_the_whole_region_say_nothing(tmp_path: Path) -> None:
    """control (SYNTHETIC): a Landsat 8 scene whose ``B4`` and ``B5`` both cover the
    region: no word, values 0.3, shares 0."""
    told, out, share = _plan({"name": "x", "sensor": "landsat8", **L2, "bands": {
        "B4": _scene(tmp_path, shift=0, name="b4.tif"),
        "B5": _scene(tmp_path, shift=0, name="b5.tif")}})
    assert told == []
    for values in out.values():
        np.testing.assert_allclose(values, 0.3, rtol=1e-4)
    assert share == {"B4": 0.0, "B5": 0.0}, share


def test_a_whole_stack_says_nothing(tmp_path: Path) -> None:
    """control (SYNTHETIC): the two-band stack without fill: no word, values 0.3."""
    told, out, share = _plan({"name": "x", "path": _stack(tmp_path / "s.tif", 0),
                              "band_names": ["B4", "B5"], "sensor": "landsat8", **L2})
    assert told == []
    for values in out.values():
        np.testing.assert_allclose(values, 0.3, rtol=1e-4)
    assert share == {"B4": 0.0, "B5": 0.0}, share


def test_an_undated_survey_of_two_sheets_layers_says_nothing(tmp_path: Path) -> None:
    """control (SYNTHETIC): a survey's two layers (no date, no sensor, no metadata), the
    second over the region's east 4 columns only: a survey of part of a region is
    normal, no word, as before."""
    told, out, _ = _plan({"name": "x", **L2, "bands": {
        "a": _scene(tmp_path, shift=0, name="a.tif"), "b": _scene(tmp_path, name="b.tif")}})
    assert told == []
    assert np.isnan(out["b"][:, :SHIFT]).all()
