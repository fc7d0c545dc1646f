"""Round 27: what the lead took from the helpers' reports (docs/robustness.md).

Every array here is SYNTHETIC: a few cells of reflectance and temperature written by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from prospect.errors import DataError
from prospect.indices.api import compute_indices
from prospect.io.cube import provenance_attr


def _tm_scene(b6_units: str, quantity: str | None, b6: float) -> xr.Dataset:
    """A TM scene of SWIR 1 (band 5) reflectance and a thermal band 6 (SYNTHETIC)."""
    shape = (4, 4)
    b6_attrs: dict[str, str] = {"units": b6_units}
    if quantity is not None:
        b6_attrs["provenance"] = provenance_attr({"quantity": quantity})
    return xr.Dataset(
        {"B5": (("y", "x"), np.full(shape, 0.2, np.float32), {"units": "1"}),
         "B6": (("y", "x"), np.full(shape, b6, np.float32), b6_attrs)},
        attrs={"synthetic": "true"})


@pytest.mark.parametrize(("units", "quantity"), [
    ("W m-2 sr-1 um-1", "toa_radiance"),
    ("W/(m2 sr um)", None),
    ("", "toa_radiance"),
])
def test_a_thermal_band_in_radiance_is_refused_by_a_catalogue_index(
        units: str, quantity: str | None) -> None:
    # NDBaI of SWIR 1 = 0.2 and a TM band 6 of 9.5 W m-2 sr-1 um-1 (its Level-1 MTL's
    # radiance) was -0.96 without a word: the catalogue's thermal formulas take kelvin
    with pytest.raises(DataError) as err:
        compute_indices(_tm_scene(units, quantity, 9.5), ["NDBaI"], sensor="landsat5")
    text = str(err.value)
    assert "'B6'" in text and "radiance" in text and "kelvin" in text
    assert "indices.custom" in text and "ST_B6" in text


def test_a_thermal_band_in_kelvin_is_read_as_before() -> None:
    out = compute_indices(_tm_scene("K", "brightness_temperature", 300.0), ["NDBaI"],
                          sensor="landsat5")
    np.testing.assert_allclose(out["NDBaI"].values, (0.2 - 300.0) / (0.2 + 300.0),
                               rtol=1e-5)


def test_a_custom_formula_may_read_thermal_radiance() -> None:
    out = compute_indices(_tm_scene("W m-2 sr-1 um-1", "toa_radiance", 9.5), [],
                          sensor="landsat5", custom={"RAD_RATIO": "S1 / T"})
    np.testing.assert_allclose(out["RAD_RATIO"].values, 0.2 / 9.5, rtol=1e-5)


# -- prospect plan refuses CV blocks under one cell (models' hand-over) -------------------


def test_plan_refuses_a_block_smaller_than_a_cell(sandbox, cli) -> None:
    """``model.cv.block_size: 0.05`` (degrees, on a grid of 10 m cells) makes every cell a
    block of its own, a random split reported as spatial: the train stage refuses it
    (round 27's models case); ``prospect plan`` now does too, before anything runs, and
    says the grid's unit where it said "CRS units"."""
    from .test_configs_round12b import _folds_job

    _folds_job(sandbox, threshold=200, block_size=0.05)
    result = cli("plan", sandbox.job_path)
    assert result.code == 2, result.err[-3000:]
    assert "job.yaml" in result.err and "'model.cv.block_size' = 0.05" in result.err
    assert "smaller than one cell of the grid" in result.err
    assert "Traceback" not in result.err


def test_plan_says_the_grids_unit_of_blocks_the_region_cannot_hold(sandbox, cli) -> None:
    from .test_configs_round12b import _folds_job

    _folds_job(sandbox, threshold=200, n_splits=3, block_size=1000.0)
    result = cli("plan", sandbox.job_path)
    assert result.code == 2, result.err[-3000:]
    assert "block(s) of 1000 metres (model.cv.block_size)" in " ".join(result.err.split())


# -- prospect plan counts labels by train's rule (limits' hand-over) ----------------------


def test_plan_counts_grades_below_a_limit_as_train_does(sandbox, cli) -> None:
    """SYNTHETIC: 3 wells of 500, 2 of 20 and 25 of ``<5`` at ``threshold: 30`` with
    ``negatives: below_threshold``: train reads the 25 as negatives too (round 27); the
    plan's own copy of the label rule counted measured grades only, found 2 negative cells
    for 3 folds and refused a job that train runs."""
    from .test_jobs_round12 import PLACES, _model

    grades = ["500"] * 3 + ["20"] * 2 + ["<5"] * (len(PLACES) - 5)
    rows = [f"{x},{y},{g}" for (x, y), g in zip(PLACES, grades, strict=True)]
    (sandbox.root / "wells.csv").write_text("x,y,li\n" + "\n".join(rows) + "\n")
    wells = {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
             "crs": "EPSG:32619", "columns": ["li"]}
    model = _model()
    model["labels"]["threshold"] = 30
    model["cv"] = {"kind": "spatial_block", "n_splits": 3, "block_size": 100.0}
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"}, wells],
                      model=model)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "negative cell" not in result.err, result.err[-3000:]


# -- a plain source's GML cloud mask (masks' hand-over) -----------------------------------


@pytest.mark.parametrize(("name", "needle"), [
    ("MSK_CLOUDS_B00.gml", "GML polygons (a vector file, not a raster)"),
    ("T31UFT_20220301T104021_MSK_CLASSI_B00.tif", "opaque clouds, cirrus and snow"),
])
def test_a_plain_sources_level1c_cloud_mask_is_refused_as_what_it_is(
        tmp_path, name: str, needle: str) -> None:
    """SYNTHETIC: a Sentinel-2 red band with the Level-1C cloud mask of its product as the
    quality layer of a plain (``bands:``) source. The composites name it since round 27b;
    a plain source failed as "cannot read as a raster (corrupt, truncated or not a
    raster)" (the GML) or as "a confidence, probability or quality layer" (MSK_CLASSI),
    its header read before its name was looked at."""
    import rasterio
    from rasterio.transform import from_origin

    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    from .test_masks_round27 import GML, ORIGIN, _grid

    profile = {"driver": "GTiff", "width": 60, "height": 60, "count": 1, "dtype": "uint16",
               "crs": "EPSG:32631", "nodata": 0,
               "transform": from_origin(*ORIGIN, 30, 30)}
    red = tmp_path / "T31UFT_20220301T104021_B04_10m.tif"
    with rasterio.open(red, "w", **profile) as dst:
        dst.write(np.full((1, 60, 60), 800, np.uint16))
    mask = tmp_path / name
    if name.endswith(".gml"):
        mask.write_text(GML)
    else:
        with rasterio.open(mask, "w", **{**profile, "dtype": "uint8"}) as dst:
            dst.write(np.ones((1, 60, 60), np.uint8))
    src = RasterSource.model_validate({
        "name": "s2", "sensor": "sentinel2", "bands": {"B04": str(red), "qa": str(mask)},
        "cloud_mask": {"kind": "scl", "asset": "qa"}})
    with pytest.raises(DataError) as err:
        plan_raster(src, _grid())
    assert needle in str(err.value), err.value
    assert "source 's2'" in str(err.value), err.value


# -- figures of the train and score stages (reports' hand-overs) --------------------------


def test_a_scored_share_is_never_rounded_to_all_or_none() -> None:
    """1 unscored cell of 25 000 read ``scored_share`` 1 (every cell scored) and 30 scored
    cells of a million read 0; four decimals stay where they tell the truth."""
    from pipelines.stages.score import _share

    assert 0.99996 <= _share(24_999, 25_000) < 1.0
    assert 0.0 < _share(30, 1_000_000) <= 3e-5
    assert _share(25_000, 25_000) == 1.0 and _share(0, 25_000) == 0.0
    assert _share(5_000, 10_000) == 0.5 and _share(1, 3) == 0.3333


def test_the_train_metrics_say_which_negatives_and_a_rounded_baseline(sandbox, cli) -> None:
    """SYNTHETIC: the labels facts said ``negatives`` as a count only (the mode set with
    ``model.labels.negatives`` was written and then overwritten by the count), and the
    baseline's ROC AUC was written with 16 decimals beside figures of four."""
    import json

    from .test_configs_round12b import _folds_job

    _folds_job(sandbox, threshold=200, block_size=100.0)
    for stage in ("ingest", "train"):
        result = cli(stage, sandbox.job_path, "-o", sandbox.out, "--workers", "1")
        assert result.code == 0, result.err[-3000:]
    metrics = json.loads((sandbox.out / "model" / "metrics.json").read_text())
    text = json.dumps(metrics)
    assert '"negatives_from": "below_threshold"' in text, text[:3000]
    baseline = metrics["metrics"]["cv_spatial_baseline_roc_auc"]
    assert baseline is None or round(baseline, 4) == baseline, baseline


# -- an override's new resolution on its base's bounds (configs' hand-over) ---------------


@pytest.mark.parametrize(("resolution", "warned"), [(33, True), (20, False)])
def test_plan_says_an_overrides_grid_edges_moved(sandbox, cli, resolution: int,
                                                 warned: bool) -> None:
    """``region: {base: bonaire, resolution: 33}``: Bonaire's 31 x 40 km are no whole
    number of 33 m cells, so the grid's east and south edges move out (13 m and 23 m);
    an inline region of such bounds was warned of, an override (no ``bounds`` of its
    own) was not. Control: 20 m cells divide the bounds, no warning."""
    sandbox.write_job(region={"base": "bonaire", "resolution": resolution})
    result = cli("plan", sandbox.job_path)
    said = " ".join(result.err.split())
    assert ("not a whole number of 33 m cells" in said) is warned, result.err[-3000:]


# -- ~user of no user here on the command line (configs' hand-over) -----------------------


def test_a_config_or_out_under_an_unknown_users_home_is_a_usage_error(sandbox, cli) -> None:
    """``prospect plan ~nouser/job.yaml`` and ``-o ~nouser/out`` printed "internal error:
    RuntimeError: Could not determine home directory", exit 70."""
    for args in (("plan", "~nouser_r27/job.yaml"),
                 ("plan", str(sandbox.job_path), "-o", "~nouser_r27/out")):
        result = cli(*args)
        text = result.out + result.err
        assert result.code == 2, text[-3000:]
        assert "whom this machine does not know" in " ".join(text.split()), text[-3000:]
        assert "internal error" not in text and "Traceback" not in text


def test_a_library_caller_gets_a_link_loop_as_a_config_error(tmp_path) -> None:
    """``pipelines.runner.prepare_out_dir`` (``run_job``'s first step) on a loop of
    symbolic links raised Python's ``RuntimeError: Symlink loop`` (the command line
    refuses such an ``-o`` itself since round 27b)."""
    import sys

    from pipelines.runner import prepare_out_dir
    from prospect.errors import ConfigError

    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    if sys.version_info >= (3, 13):
        pytest.skip("Path.resolve() no longer raises on loops")
    with pytest.raises(ConfigError, match="a loop of links"):
        prepare_out_dir(loop / "out")


# -- the viewer's popup shows class names as text (legends' report) -----------------------


from tests.browser import test_viewer as viewer_tests  # noqa: E402

browser = viewer_tests.browser  # headless Chromium, skipped where it is absent


@pytest.mark.browser
def test_the_viewers_popup_shows_a_class_name_as_text(browser, tmp_path) -> None:
    """SYNTHETIC: a class map whose class names come from the file's tags; the viewer's
    click popup took its lines as HTML (titles, units, class names and server errors are
    data), so a name of ``<img/src=x/onerror=...>`` ran script in a partner's browser. The
    lines are escaped now and the name shows as written."""
    from .test_serving_round27b import _class_cog, _run_stage

    names = ["<img/src=x/onerror=window.pwned=0>", "<img/src=y/onerror=window.pwned=1>",
             "<img/src=z/onerror=window.pwned=2>"]  # every class: whichever is clicked
    cog = _class_cog(tmp_path / "class.tif", flag_meanings=" ".join(names))
    _run_stage(tmp_path / "out", cog)
    browser.get((tmp_path / "out" / "viewer" / "index.html").as_uri())
    viewer_tests._wait(
        browser, "return document.querySelectorAll('.leaflet-tile-loaded').length >= 1")
    viewer_tests._click_map_centre(browser)
    viewer_tests._wait(browser, "return !!document.querySelector('.leaflet-popup-content')")
    assert browser.execute_script("return window.pwned === undefined")
    assert not browser.execute_script(
        "return document.querySelector('.leaflet-popup-content img')")
    text = browser.execute_script(
        "return document.querySelector('.leaflet-popup-content').textContent")
    assert "LCE screening class" in text and "<img/src=" in text, text


# -- a STAC mosaic across UTM zones under a config crs (masks' 27c hand-over) -------------


def test_a_stac_mosaic_reads_each_file_in_its_own_zone(tmp_path) -> None:
    """Items of zones 31 and 32 as a mosaic (``stac:`` without ``composite:``) with the
    source's ``crs: EPSG:32631``: the key (for files without a CRS) was put over every
    file, the zone-32 scene read in zone 31 and dropped as outside the region, so the
    mosaic held the zone-31 scene alone, without a word (composites: round 27c)."""
    import json

    from prospect.config.sources import RasterSource
    from prospect.grid import ChunkWindow
    from prospect.ingest.rasters import plan_raster

    from .test_masks_round27c import ZONE_GRID, _zone_item

    items = [_zone_item(tmp_path, 1, 32632, 300, False)]  # the region from zone 32 only
    coll = tmp_path / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate({"name": "st", "stac": str(coll),
                                       "assets": {"red": "red"}, "crs": "EPSG:32631"})
    layers = plan_raster(src, ZONE_GRID)
    window = ChunkWindow(0, 0, slice(0, 60), slice(0, 60))
    values = {layer.name: layer.compute(ZONE_GRID, window) for layer in layers}["red"]
    np.testing.assert_array_equal(values, np.full((60, 60), 300, np.float32))


# -- tile zooms of a job that hold none of the data's (real jobs' hand-over) --------------


@pytest.mark.parametrize(("zooms", "warned"), [((20, 22), True), ((0, 22), False)])
def test_the_tiles_stage_says_when_the_jobs_zooms_hold_none_of_the_datas(
        tmp_path, zooms: tuple[int, int], warned: bool) -> None:
    """SYNTHETIC: the Meuse job asks zooms 12-15 of data whose cells give zoom 11 and got
    11 without a word (``tiles.metadata.zoom_range`` takes the data's nearest zoom). The
    stage says so now; a range that holds the data's zooms is quiet (control)."""
    import warnings

    from prospect.errors import DataWarning

    from .test_serving_round27b import _class_cog, _run_stage

    cog = _class_cog(tmp_path / "class.tif")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _run_stage(tmp_path / "out", cog, min_zoom=zooms[0], max_zoom=zooms[1])
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)
            and "tiles.min_zoom/max_zoom" in str(w.message)]
    assert bool(said) is warned, said
    if warned:
        assert "not the 20-22" in said[0], said


# -- the screening report says a pure-nugget surface (real jobs' hand-over) ---------------


def _surface_facts(values: np.ndarray, xy: np.ndarray) -> dict:
    from pykrige.ok import OrdinaryKriging

    from prospect.geostats import variogram_curves

    model = OrdinaryKriging(xy[:, 0], xy[:, 1], values, variogram_model="spherical")
    return {"column": "li", "neighbours": 16, "variable": "brine_li",
            "curves": variogram_curves(model)}


def test_the_screening_report_says_a_pure_nugget_surface() -> None:
    """SYNTHETIC: wells of uncorrelated lithium (the Great Basin job's variogram is flat:
    partial sill 9e-19, the kriging variance 1024 in every cell); ``screen/report.md``
    gave its kriging tables without a word that the surface is a mean of the neighbours
    and its variance one number. A smooth field says nothing (control)."""
    from pipelines.screen_report import _pure_nugget_lines

    rng = np.random.default_rng(27)
    xy = rng.uniform(0, 100_000, size=(120, 2))
    noise = _pure_nugget_lines(_surface_facts(rng.normal(50, 30, 120), xy))
    assert noise and "Pure nugget" in noise[0] and "brine_li_variance" in noise[0], noise
    smooth = _pure_nugget_lines(_surface_facts(xy[:, 0] / 1000 + xy[:, 1] / 2000, xy))
    assert smooth == [], smooth
