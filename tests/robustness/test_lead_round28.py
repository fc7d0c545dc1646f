"""Round 28: what the lead took from the helpers' hand-overs (2026-12-04).

Each case failed on the commit before its fix; controls say what must keep working. Every
file here is small and SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from prospect.config.sources import VectorSource
from prospect.grid import RegionGrid
from prospect.ingest.geology import plan_vector


def _units_and_faults(folder: Path, crs: str, x0: float, y0: float, size: float) -> Path:
    """A GeoPackage of two units (west, east) and one fault line, in ``crs``."""
    path = folder / "geology.gpkg"
    half = size / 2
    units = gpd.GeoDataFrame(
        {"unit": ["granite", "schist"]},
        geometry=[shapely.box(x0, y0, x0 + half, y0 + size),
                  shapely.box(x0 + half, y0, x0 + size, y0 + size)], crs=crs)
    units.to_file(path, layer="units")
    faults = gpd.GeoDataFrame(
        {"name": ["F1"]}, geometry=[shapely.LineString([(x0, y0 + half), (x0 + size, y0 + half)])],
        crs=crs)
    faults.to_file(path, layer="faults")
    return path


def _distance_units(path: Path, grid: RegionGrid) -> dict[str, str]:
    config = VectorSource(name="geology", path=str(path), layer="units", attribute="unit",
                          distance_to_contacts=True, faults_layer="faults")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = plan_vector(config, grid)
    return {layer.name: layer.units for layer in layers if layer.kind == "distance"}


def test_geology_distances_in_a_region_in_degrees_are_labelled_degrees(tmp_path: Path) -> None:
    """Distances to contacts and faults are measured on the region's coordinates: in an
    EPSG:4326 region they are degrees and were labelled ``m`` (rasters helper's hand-over;
    the point-distance layers had the same defect, fixed in round 28)."""
    grid = RegionGrid(name="deg", crs="EPSG:4326", resolution=0.001,
                      bounds=(105.0, 21.0, 105.04, 21.04), chunks=(20, 20))
    path = _units_and_faults(tmp_path, "EPSG:4326", 105.0, 21.0, 0.04)
    assert _distance_units(path, grid) == {"geology_dist_contact": "degree",
                                           "geology_dist_fault": "degree"}


def test_control_geology_distances_in_a_metre_region_stay_m(tmp_path: Path) -> None:
    grid = RegionGrid(name="m", crs="EPSG:32619", resolution=10.0,
                      bounds=(500000.0, 1350000.0, 500400.0, 1350400.0), chunks=(20, 20))
    path = _units_and_faults(tmp_path, "EPSG:32619", 500000.0, 1350000.0, 400.0)
    assert _distance_units(path, grid) == {"geology_dist_contact": "m", "geology_dist_fault": "m"}


def _sql(path: Path, *statements: str) -> None:
    import subprocess

    for statement in statements:
        subprocess.run(["ogrinfo", "-q", "-sql", statement, str(path)], check=True,
                       capture_output=True)


def test_a_point_geopackage_grade_column_holding_text_is_said(tmp_path: Path) -> None:
    """A REAL grade column whose records hold ``n.d.`` and ``2,5`` (SQLite keeps any value
    in any column; GDAL and QGIS show them as 0): the points are read with the values as
    stored and a warning names the column (geology helper's hand-over: the vector reader
    said it for geology maps, the point reader said nothing)."""
    import numpy as np

    from prospect.io.points import read_points

    path = tmp_path / "samples.gpkg"
    crs = "EPSG:32619"
    gpd.GeoDataFrame(
        {"li": [12.0, 30.0, 45.0, 5.0]},
        geometry=gpd.points_from_xy([500050.0, 500150.0, 500250.0, 500350.0], [1350050.0] * 4),
        crs=crs).to_file(path, layer="samples")
    _sql(path, "UPDATE samples SET li = 'n.d.' WHERE fid = 2")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_points(path, columns=["li"], to_crs=crs)
    said = [" ".join(str(w.message).split()) for w in caught]
    assert any("'li' is declared" in s and "stored otherwise" in s for s in said), said
    li = np.asarray(table.values["li"], dtype=float)
    assert li[[0, 2, 3]].tolist() == [12.0, 45.0, 5.0] and np.isnan(li[1]), li


def test_control_a_point_geopackage_of_numbers_says_nothing_of_types(tmp_path: Path) -> None:
    from prospect.io.points import read_points

    path = tmp_path / "samples.gpkg"
    gpd.GeoDataFrame(
        {"li": [12.0, 30.0]}, geometry=gpd.points_from_xy([500050.0, 500150.0], [1350050.0] * 2),
        crs="EPSG:32619").to_file(path, layer="samples")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_points(path, columns=["li"], to_crs="EPSG:32619")
    assert not any("stored otherwise" in str(w.message) for w in caught)


def _cv_config(block_size: float) -> Any:
    from prospect.config.model import ModelConfig

    return ModelConfig(mineral="lithium", estimator="random_forest", params={"n_estimators": 5},
                       permutation_repeats=0, partial_dependence=0, features=["a"],
                       cv={"n_splits": 5, "block_size": block_size, "seeds": 1, "bootstrap": 0},
                       labels={"source": "mines"})


def test_a_cv_refusal_of_the_train_stage_names_the_grids_unit() -> None:
    """Too few blocks for the folds: the train stage's refusal said "blocks of 100 CRS
    units" on a grid in metres (models helper's hand-over: the CV object was never told
    the grid's unit by ``cv_schemes``)."""
    import types

    import numpy as np
    import pytest

    from prospect.errors import ModelError
    from prospect.models.training import cv_schemes, resolve_cv

    rng = np.random.default_rng(3)
    coords = rng.uniform(0, 150, (40, 2))
    ts = types.SimpleNamespace(coords=coords, y=(np.arange(40) % 4 == 0).astype("f8"),
                               groups=None)
    cfg = _cv_config(100.0)
    cv = resolve_cv(ts, cfg, resolution=10.0, unit="metre")
    assert cv["units"] == "metres"
    with pytest.raises(ModelError, match="blocks of 100 metres hold samples"):
        cv_schemes(ts, cfg, cv=cv)


def test_the_seed_spread_is_the_sample_sd_and_the_report_says_so() -> None:
    """The fold spread became the sample s.d. in round 28; the seed spread beside it in the
    report was still numpy's population s.d. under "s.d." (models helper's hand-over)."""
    import types

    import numpy as np

    from pipelines.report import _headline_section
    from prospect.models.training import seed_spread

    results = {seed: types.SimpleNamespace(metrics={"fold_roc_auc_mean": v})
               for seed, v in ((1, 0.70), (2, 0.80), (3, 0.90))}
    spread = seed_spread(results)
    assert np.isclose(spread["std"], 0.1) and spread["std_is"] == "sample"
    text = "\n".join(_headline_section({"metrics": {}, "seed_spread": spread}))
    assert "(sample s.d. 0.100)" in text, text


def test_plan_grades_a_quantile_over_censored_records_as_train_does(sandbox, cli) -> None:
    """SYNTHETIC: 20 wells of ``<5`` and 10 of 10..100 with ``threshold_quantile: 0.8``:
    train ranks the censored grades below the measured ones (round 28) and finds 6
    positives; the plan's copy of the rule took the quantile of the 10 measured grades
    (82: 2 positives) and refused 3 folds of a job that train runs (labels helper's
    hand-over)."""
    from .test_jobs_round12 import PLACES, _model

    grades = ["<5"] * 20 + [str(10 * k) for k in range(1, 11)]
    rows = [f"{x},{y},{g}" for (x, y), g in zip(PLACES, grades, strict=True)]
    (sandbox.root / "wells.csv").write_text("x,y,li\n" + "\n".join(rows) + "\n")
    wells = {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
             "crs": "EPSG:32619", "columns": ["li"]}
    model = _model()
    del model["labels"]["threshold"]
    model["labels"].update(threshold_quantile=0.8, negatives="background")
    model["cv"] = {"kind": "spatial_block", "n_splits": 3, "block_size": 100.0}
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"}, wells],
                      model=model)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "positive cell" not in result.err, result.err[-3000:]


def test_the_score_stages_stac_footprint_across_180_is_the_data_not_the_world(
        tmp_path: Path) -> None:
    """A UTM zone 60 grid across 180 (179.8 to -179.8): the score stage's STAC item's
    geometry was shapely's box of those bounds, the band of every longitude but the
    data's (tiles helper's hand-over; the tile service's own items were fixed in round
    28). Now a MultiPolygon cut at 180, as RFC 7946 asks."""
    from shapely.geometry import Point, shape

    from pipelines.stages.score import stac_item

    grid = RegionGrid(name="fiji", crs="EPSG:32760", resolution=100.0,
                      bounds=(810000.0, 8080000.0, 850000.0, 8120000.0), chunks=(100, 100))
    west, south, east, north = grid.lonlat_bounds()
    assert west > east  # the grid does cross 180
    item = stac_item(item_id="x", cog=tmp_path / "p.tif", grid=grid, variable="probability",
                     attrs={}, properties={})
    footprint = shape(item["geometry"])
    lat = (south + north) / 2
    assert not footprint.contains(Point(0.0, lat))
    assert footprint.contains(Point(179.95, lat)) and footprint.contains(Point(-179.95, lat))
    assert item["bbox"] == [west, south, east, north]


def test_control_the_score_stages_stac_footprint_elsewhere_is_its_box(tmp_path: Path) -> None:
    from shapely.geometry import box, shape

    from pipelines.stages.score import stac_item

    grid = RegionGrid(name="m", crs="EPSG:32619", resolution=10.0,
                      bounds=(500000.0, 1350000.0, 500400.0, 1350400.0), chunks=(20, 20))
    item = stac_item(item_id="x", cog=tmp_path / "p.tif", grid=grid, variable="probability",
                     attrs={}, properties={})
    assert item["geometry"]["type"] == "Polygon"
    assert shape(item["geometry"]).equals(box(*grid.lonlat_bounds()))


def test_a_class_map_written_as_a_cog_gets_overviews_of_its_classes(tmp_path: Path) -> None:
    """A class map through ``write_cog``'s default: its overviews were averages of class
    codes (codes 1 and 3 giving 2, a class of its own) for every GDAL reader at small
    scales (tiles helper's hand-over); now ``mode`` for a categorical array, ``average``
    for values as before."""
    import numpy as np
    import rasterio
    import xarray as xr

    from prospect.io.raster import write_cog

    grid = RegionGrid(name="m", crs="EPSG:32619", resolution=10.0,
                      bounds=(500000.0, 1350000.0, 510240.0, 1360240.0), chunks=(512, 512))
    codes = np.where((np.indices(grid.shape).sum(axis=0) % 2) == 0, 1, 3).astype("int16")
    classes = xr.DataArray(codes, dims=("y", "x"),
                           attrs={"prospect_kind": "categorical", "flag_values": [1, 3]})
    values = xr.DataArray(codes.astype("float32"), dims=("y", "x"))
    for name, da, wanted in (("classes.tif", classes, {1, 3}),
                             ("values.tif", values, {2.0})):
        path = write_cog(da, tmp_path / name, grid=grid, nodata=-1)
        with rasterio.open(path, overview_level=0) as src:
            seen = set(np.unique(src.read(1)).tolist())
        assert seen and seen <= wanted, (name, seen)  # a checkerboard's mode: one class
