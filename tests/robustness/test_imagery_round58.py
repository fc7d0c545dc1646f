"""Round 58: imagery.

1. A quality layer named by the scenes of two dates in a plain source's ``scenes:``
   mosaic (a scene block copied and only its band path changed, its ``QA`` key left on
   the other date's layer): the clear scene of 2021-03-17 was masked by the clouds of
   2021-03-01, and the mosaic of two dates was no data on the half where the first was
   cloudy (the cover warning blaming the sky), exit 0. Round 57 checked composites' items
   and left the plain mosaic.
2. A change layer between dates whose valid cells barely overlap (one date's cloud or
   footprint where the other has data): a change of a few cells was summarised in the
   report as the change of the area, without a word; only a change of no cell was said.

SYNTHETIC GeoTIFFs (round 42's helpers) read through the plain source's real planning
and computing (``plan_raster``), and SYNTHETIC per-date variables stored in a real zarr
cube, stacked, indexed and differenced by the screen stage's own ``_changes``, its report
written by ``write_screen_report``.
"""

from __future__ import annotations

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
from prospect.indices.api import compute_indices
from prospect.ingest.rasters import plan_raster
from prospect.provenance import provenance_attr
from prospect.timeseries import stack_dates
from tests.robustness.conftest import TINY_REGION, Sandbox, assert_clean_error
from tests.robustness.test_imagery_round42 import GRID, WINDOW, N, _file

CLEAR, CLOUD = 21824, 22280
"""Collection 2 QA_PIXEL words of clear land and of cloud."""
DN_03, DN_04 = 18182, 21818
"""Collection 2 Level-2 ``SR_B4`` DNs of a red of 0.3 and 0.4 (x 2.75e-05 - 0.2)."""

# -- 1. one quality layer named by the scenes of two dates of a plain mosaic ------------------


def _scenes(root: Path, shared: bool, days: tuple[str, str]) -> list[dict[str, Any]]:
    """SYNTHETIC scenes of a plain mosaic, the later first: ``days[1]`` (red 0.4, a clear
    QA_PIXEL of its own, or ``shared``: the QA key of ``days[0]``'s layer) and ``days[0]``
    (red 0.3, cloud on its left half). Renamed files (no product id in their names)."""
    cloudy = np.full((N, N), CLEAR, "uint16")
    cloudy[:, : N // 2] = CLOUD
    first, second = (root / "a", root / "b")
    red_a = _file(first / "red.tif", DN_03)
    qa_a = _file(first / "qa.tif", cloudy, nodata=1)
    red_b = _file(second / "red.tif", DN_04)
    qa_b = qa_a if shared else _file(second / "qa.tif", CLEAR, nodata=1)
    scenes: list[dict[str, Any]] = [
        {"bands": {"red": str(red_b), "QA": str(qa_b)}},
        {"bands": {"red": str(red_a), "QA": str(qa_a)}},
    ]
    for scene, day in zip(scenes, (days[1], days[0]), strict=True):
        if day:
            scene["date"] = day
    return scenes


def _mosaic(scenes: list[dict[str, Any]], mosaic: str) -> np.ndarray:
    """The red of a Collection 2 plain mosaic of ``scenes`` under a QA_PIXEL mask."""
    src = RasterSource.model_validate(
        {
            "name": "x",
            "scenes": scenes,
            "mosaic": mosaic,
            "scale": 2.75e-05,
            "offset": -0.2,
            "cloud_mask": {"asset": "QA", "kind": "qa_pixel"},
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (layer,) = plan_raster(src, GRID)
        return np.asarray(layer.compute(GRID, WINDOW))


TWO_DATES = ("2021-03-01", "2021-03-17")


@pytest.mark.parametrize("mosaic", ["most_recent", "first_valid"])
def test_scenes_of_two_dates_naming_one_quality_layer_are_refused(
    tmp_path: Path, mosaic: str
) -> None:
    """SYNTHETIC: scene 1 (2021-03-17, clear) named the QA_PIXEL of scene 2 (2021-03-01,
    cloud on the left): the mosaic was no data on the left half (200 cells, where scene 1
    holds 0.4), exit 0; now refused naming both scenes, their dates, the layer and the
    key to fix."""
    with pytest.raises(DataError) as err:
        _mosaic(_scenes(tmp_path, True, TWO_DATES), mosaic)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert message.startswith(
        "source 'x': scenes 1 (2021-03-17) and 2 (2021-03-01) name one quality layer ("
    ), message
    assert "a/qa.tif" in message and "but they are two looks" in message, message
    assert "one scene would be masked by the clouds of the other" in message, message
    assert "give each scene the quality layer of its own acquisition" in message, message
    assert "its 'bands:' key 'QA'" in message, message


@pytest.mark.parametrize(
    ("shared", "days"),
    [(False, TWO_DATES), (True, ("2021-03-01", "2021-03-01")), (True, ("", ""))],
    ids=["own-layers", "one-day", "no-dates"],
)
def test_scenes_with_their_own_layer_or_of_one_look_mosaic_as_before(
    tmp_path: Path, shared: bool, days: tuple[str, str]
) -> None:
    """control (SYNTHETIC): each scene with its own layer keeps 0.4 everywhere; two
    scenes of one day (tiles of one pass) or of no date sharing one layer mosaic as
    before (the left half no data under the shared cloud, 0.4 on the right)."""
    out = _mosaic(_scenes(tmp_path, shared, days), "first_valid")
    if not shared:
        np.testing.assert_allclose(out, 0.4, rtol=1e-4)
        return
    assert np.isnan(out[:, : N // 2]).all()
    np.testing.assert_allclose(out[:, N // 2 :], 0.4, rtol=1e-4)


def test_cli_scenes_of_two_dates_naming_one_quality_layer_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """SYNTHETIC job: ``prospect ingest`` of such a mosaic over the tiny region: exit 0
    before (half the region no data); now exit 1, one ``error:`` line naming both scenes
    and the layer, nothing written beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    grid = {"crs": TINY_REGION["crs"], "origin": (west, north), "res": 20.0}
    qa = _file(sandbox.root / "a" / "qa.tif", CLEAR, nodata=1, **grid)
    scenes = [
        {
            "bands": {
                "red": str(_file(sandbox.root / day / "red.tif", DN_04, **grid)),
                "QA": str(qa),
            },
            "date": day,
        }
        for day in ("2021-03-17", "2021-03-01")
    ]
    sandbox.write_job(
        sources=[
            {
                "kind": "raster",
                "name": "l8",
                "scenes": scenes,
                "mosaic": "most_recent",
                "scale": 2.75e-05,
                "offset": -0.2,
                "cloud_mask": {"asset": "QA", "kind": "qa_pixel"},
            }
        ]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result, 1, "source 'l8': scenes 1 (2021-03-17) and 2 (2021-03-01) name one quality layer"
    )
    assert sandbox.untouched()


# -- 2. a change between dates whose valid cells barely overlap -------------------------------


def _date_var(value: float, valid: np.ndarray, band: str, day: str, coords: Any) -> xr.DataArray:
    prov = {"scenes": [{"file": f"/d/{day}/{band}.tif"}], "quantity": "surface_reflectance"}
    data = np.where(valid, np.float32(value), np.float32(np.nan)).astype(np.float32)
    return xr.DataArray(
        data,
        dims=("y", "x"),
        coords=coords,
        attrs={"units": "1", "prospect_kind": "continuous", "provenance": provenance_attr(prov)},
    )


def _changes(root: Path, columns: int) -> tuple[dict[str, Any], list[str], str]:
    """The screen stage's NDVI change of two SYNTHETIC dates (red 0.1, NIR 0.3 and
    0.35) over a real zarr cube: the first date holds data in the region's first
    ``columns`` columns, the last in its last ``columns``; its summary, warnings and
    report."""
    from pipelines.screen_report import write_screen_report
    from pipelines.stages.screen import _changes as stage_changes
    from prospect.io.cube import add_variables, create_cube, grid_template, open_cube

    template = grid_template(GRID)
    coords = {"y": template.y, "x": template.x}
    shape = (template.sizes["y"], template.sizes["x"])
    cols = np.arange(shape[1])[None, :].repeat(shape[0], 0)
    left, right = cols < columns, cols >= shape[1] - columns
    cube_path = create_cube(root / "cube.zarr", GRID)
    cube = xr.Dataset(
        {
            "a_red": _date_var(0.1, left, "red", "a", coords),
            "a_nir": _date_var(0.3, left, "nir", "a", coords),
            "b_red": _date_var(0.1, right, "red", "b", coords),
            "b_nir": _date_var(0.35, right, "nir", "b", coords),
        }
    )
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2014-04-19", "bands": {"red": "a_red", "nir": "a_nir"}},
                {"date": "2022-04-19", "bands": {"red": "b_red", "nir": "b_nir"}},
            ],
            "difference": ["NDVI"],
        }
    )
    add_variables(cube_path, cube)
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


def test_a_change_of_dates_that_barely_overlap_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: a first date holding data in the region's west 11 columns and a last
    in its east 11 (of 20): the NDVI change holds 40 of the 400 cells either date
    covers (10 %), and the report gave its 40 cells and mean 0.0556 as the change without
    a word; now warned of once, and said under the report's table. Values as before."""
    out, told, report = _changes(tmp_path, 11)
    summary = out["summary"]["NDVI_change"]
    assert summary["cells"] == 2 * 20
    assert summary["mean"] == pytest.approx(0.25 / 0.45 - 0.5, rel=1e-5)
    assert len(told) == 1, told
    message = told[0]
    assert "\n" not in message, message
    assert "'NDVI_change' has data in 40 of the 400 cells where 2014-04-19 or 2022-04-19" in (
        message
    )
    assert "(10 %): the two dates' scenes barely overlap" in message, message
    assert "check each date's scene in timeseries.dates" in message, message
    assert "`NDVI_change` holds data in 40 of the 400 cells where either date does (10 %)" in (
        report
    )


def test_a_change_of_dates_that_mostly_overlap_is_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): dates holding data in 15 of 20 columns each, from either
    side (10 of 20 shared: 200 of the 400 cells either covers, half): no word, the
    summary and report as before."""
    out, told, report = _changes(tmp_path, 15)
    summary = out["summary"]["NDVI_change"]
    assert summary["cells"] == 10 * 20
    assert set(summary) == {"cells", "mean", "p05", "p95", "long_name"}
    assert told == [] and "where either date does" not in report, told
