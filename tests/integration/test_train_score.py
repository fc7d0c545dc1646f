"""Train and score end to end on synthetic scenes with a known hidden field: real files,
a real zarr cube, real dask, the registry's model files, COGs and STAC items."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml

pytestmark = pytest.mark.integration


def _job(scene, path: Path, **model) -> Path:
    job_path = scene.job_config(path)
    job = yaml.safe_load(job_path.read_text())
    job.pop("tiles", None)
    # one CV seed (the estimator-seed spread has its own test below)
    job["model"].update({"cv": {"n_splits": 4, "block_size": 500.0, "buffer": 20.0,
                                "seeds": 1},
                         "permutation_repeats": 2, "partial_dependence": 2, **model})
    job_path.write_text(yaml.safe_dump(job, sort_keys=False))
    return job_path


def _run(job_path: Path, out: Path, stages: list[str]):
    from pipelines.context import RunContext
    from pipelines.runner import run_stages
    from prospect.config import load_job, resolve_grid

    job = load_job(job_path)
    ctx = RunContext(job=job, out_dir=out, grid=resolve_grid(job))
    return {r.name: r for r in run_stages(ctx, stages)}


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    from prospect.testing import demo_grid, make_scene

    root = tmp_path_factory.mktemp("ts_scene")
    return make_scene(root / "scene", grid=demo_grid("bonaire", size_m=2000, chunks=(100, 100)),
                      seed=3, n_wells=220)


@pytest.fixture(scope="module")
def trained(scene, tmp_path_factory):
    root = tmp_path_factory.mktemp("ts_run")
    job = _job(scene, root / "job.yaml", focal={"radii": [40.0], "stats": ["mean"],
                                                "variables": ["heatflow"]})
    out = root / "out"
    results = _run(job, out, ["ingest", "indices", "train", "score"])
    return out, results


def test_train_writes_model_card_schema_metrics_and_report(trained, scene) -> None:
    out, results = trained
    train = results["train"]
    for key in ("cv_spatial_roc_auc", "cv_random_roc_auc", "cv_spatial_pr_auc",
                "top10_capture", "top5_capture", "top20_capture", "cv_spatial_prediction_rate_auc",
                "cv_spatial_fold_roc_auc_mean", "cv_spatial_roc_auc_ci95_low"):
        assert key in train.metrics, key
    card = json.loads((out / "model" / "card.json").read_text())
    assert card["mineral"] == "lithium" and card["synthetic"] is True
    assert card["region"]["crs"] == "EPSG:32619"
    assert len(card["training_data"][0]["sha256"]) == 64
    spatial = card["cv"]["metrics"]["spatial_block"]
    assert spatial["roc_auc"] == pytest.approx(train.metrics["cv_spatial_roc_auc"], abs=1e-4)
    names = [f["name"] for f in card["features"]]
    assert "heatflow__focal_mean_r40" in names and "geology" in names
    assert all("wells" not in n for n in names)  # nothing derived from the labels
    schema = json.loads((out / "model" / "schema.json").read_text())
    assert schema["feature_spec"]["focal_radii"] == [40.0]
    assert schema["feature_names"] == names
    labels = card["labels"]
    assert labels["records"] == 220 and labels["positives"] >= 5
    assert labels["background_seed"] == scene.seed
    # the scene has a no-data strip: background is topped up so the 10:1 ratio holds
    assert labels["background_without_data"] > 0
    assert labels["negatives"] == 10 * labels["positive_cells"]
    report = (out / "model" / "report" / "report.md").read_text()
    assert "spatial blocks" in report and "random folds" in report and "SYNTHETIC" in report
    for png in ("cv_curves.png", "prediction_area.png", "reliability.png", "importance.png",
                "partial_dependence.png"):
        assert f"]({png})" in report
        assert (out / "model" / "report" / png).stat().st_size > 1000
    metrics = json.loads((out / "model" / "metrics.json").read_text())
    assert set(metrics["cv"]) == {"spatial_block", "random"}
    # a PR AUC is printed beside its no-skill value, and the sample's base rate is said
    no_skill = metrics["cv"]["spatial_block"]["metrics"]["prevalence"]
    row = next(line for line in report.splitlines() if line.startswith("| pr_auc_no_skill |"))
    assert row.split("|")[2].strip() == f"{no_skill:.3f}" and "a model without skill" in report
    assert "Base rate of the training sample" in report
    assert metrics["cv"]["spatial_block"]["importance"]


def test_the_model_recovers_the_hidden_field(trained, scene) -> None:
    from pipelines.demo import recovery_auc
    from prospect.io.cube import open_cube

    out, results = trained
    prob = open_cube(out / "cube.zarr")["probability"].values
    assert recovery_auc(prob, scene.hidden) >= 0.8
    assert results["train"].metrics["cv_spatial_roc_auc"] >= 0.7


def test_scores_equal_in_memory_predict_proba_of_the_same_cells(trained) -> None:
    from prospect.features import FeatureSpec, build_stack
    from prospect.io.cube import open_cube
    from prospect.registry import load_model

    out, _ = trained
    loaded = load_model(out / "model")
    ds = open_cube(out / "cube.zarr")
    spec = FeatureSpec.from_dict(loaded.schema["feature_spec"])
    X = build_stack(ds, spec).values.reshape(len(spec.names()), -1).T
    ok = np.all(np.isfinite(X[:, : len(spec.variables)]), axis=1)
    prob = ds["probability"].values.ravel()
    assert np.isnan(prob[~ok]).all() and ok.mean() > 0.9
    expected = loaded.estimator.predict_proba(X[ok])[:, 1]
    np.testing.assert_allclose(prob[ok], expected, rtol=0, atol=1e-6)
    unc = ds["uncertainty"].values.ravel()[ok]
    assert np.isfinite(unc).all() and unc.max() > 0
    assert ds["probability"].attrs["prospect_kind"] == "probability"
    assert ds["uncertainty"].attrs["prospect_kind"] == "uncertainty"
    assert ds["probability"].dtype == np.float32


def test_cogs_match_the_cube_and_stac_items_describe_them(trained) -> None:
    import pystac
    from rio_cogeo.cogeo import cog_validate

    from prospect.io.cube import open_cube

    out, results = trained
    ds = open_cube(out / "cube.zarr")
    for name in ("probability", "uncertainty"):
        cog = out / "score" / f"{name}.tif"
        assert cog_validate(str(cog), quiet=True)[0]
        with rasterio.open(cog) as src:
            np.testing.assert_array_equal(src.read(1), ds[name].values)
            assert src.crs.to_epsg() == 32619
            assert src.tags()["synthetic"] == "true"
        item = pystac.Item.from_dict(json.loads((out / "score" / f"{name}.json").read_text()))
        assert item.assets["data"].href == f"./{name}.tif"
        assert item.properties["prospect:synthetic"] is True
        assert item.properties["proj:code"] == "EPSG:32619" or item.properties.get(
            "proj:epsg") == 32619
        west, south, east, north = item.bbox
        assert -68.5 < west < east < -68.0 and 12.0 < south < north < 12.4
    assert results["score"].metrics["scored_share"] > 0.9
    score_md = (out / "score" / "score.md").read_text()
    n_capture = results["score"].metrics["map_capture_positives"]
    assert f"as shares of the {n_capture} training positive(s)" in score_md
    for name in ("probability", "uncertainty"):
        assert f"]({name}_quicklook.png)" in score_md
        assert (out / "score" / f"{name}_quicklook.png").stat().st_size > 1000
    # what the uncertainty map is a spread of, over how many members (the COG says it too)
    with rasterio.open(out / "score" / "uncertainty.tif") as src:
        meaning = src.tags()["long_name"].split("uncertainty: ", 1)[1]
    assert meaning and f"What this map is: {meaning}." in score_md


@pytest.mark.parametrize("estimator", ["weights_of_evidence", "bagging_pu"])
def test_other_estimators_train_and_score_on_the_same_cube(trained, scene, tmp_path,
                                                           estimator) -> None:
    from prospect.io.cube import open_cube

    out, _ = trained
    job = _job(scene, tmp_path / "job.yaml", estimator=estimator,
               features=["heatflow", "geology", "geology_dist_fault", "CLAY_HYDROXYL"],
               permutation_repeats=0,
               params={"n_estimators": 30} if estimator == "bagging_pu" else {},
               calibration="isotonic" if estimator == "bagging_pu" else "none")
    # outputs stay inside -o (a config names the cube, never a path): train on a copy
    shutil.copytree(out / "cube.zarr", tmp_path / "out" / "cube.zarr")
    results = _run(job, tmp_path / "out", ["train"])
    assert results["train"].metrics["cv_spatial_roc_auc"] > 0.6
    metrics = json.loads((tmp_path / "out" / "model" / "metrics.json").read_text())
    if estimator == "weights_of_evidence":
        woe = metrics["weights_of_evidence"]
        kinds = {r["feature"]: r["kind"] for r in woe["weights"]}
        assert kinds["geology"] == "categorical" and kinds["heatflow"] == "descending"
        assert 0 < woe["conditional_independence"]["ratio"] < 2
        assert woe["conditional_independence"]["n_combinations"] >= 2
        # every threshold tested is kept, per continuous layer and direction
        tables = woe["cumulative_tables"]["heatflow"]["tables"]["descending"]
        assert len(tables) > 5 and all("studentized_contrast" in r for r in tables)
        assert woe["unit_cell_area"] == woe["cell_area"] and woe["count"] == "cells"
        report = (tmp_path / "out" / "model" / "report" / "report.md").read_text()
        assert "stud. C" in report and "| defined |" in report and "unit cells" in report
        assert "woe_cumulative.png" in report
        ci = woe["conditional_independence"]
        assert ci["agterberg_cheng_mc_draws"] == 999 and 0 < ci["agterberg_cheng_mc_p"] <= 1
        assert ci["ci_rejected_at_5pct"] == (ci["agterberg_cheng_mc_p"] < 0.05)
        assert isinstance(ci["agterberg_cheng_mc_seed"], int)  # the run's seed
        assert "Agterberg & Cheng (2002) statistic" in report and "conservative" in report
        assert "Calibrated test of the same statistic: Monte Carlo p" in report
        # every pairwise test is a row of the report, named by its layers
        pairs = ci["pairwise"]
        assert pairs and "Pairwise tests of conditional independence" in report
        assert all(f"| `{p['feature_a']}` | `{p['feature_b']}` |" in report for p in pairs)
        # each beside its Holm-adjusted p, and the counts of the family said once
        summary = ci["pairwise_summary"]
        assert "| p (Holm) | rejected at 5 % (Holm) |" in report
        assert (f"{summary['rejected_at_5pct_holm']} after Holm's correction"
                in " ".join(report.split()))
        assert all(p["p_holm"] is None or p["p_holm"] >= p["p_value"] for p in pairs)
    else:  # calibrated on the spatial out-of-fold probabilities
        cal = metrics["calibration"]
        assert cal["method"] == "isotonic" and cal["spatial_oof_after"]["mean_predicted"]
        card = json.loads((tmp_path / "out" / "model" / "card.json").read_text())
        assert card["calibration"]["method"] == "isotonic"
    # score into a copy-free check: predict the model over the shared cube's features
    from prospect.features import FeatureSpec, build_stack
    from prospect.models import predict_map
    from prospect.registry import load_model

    loaded = load_model(tmp_path / "out" / "model")
    spec = FeatureSpec.from_dict(loaded.schema["feature_spec"])
    maps = predict_map(build_stack(open_cube(out / "cube.zarr"), spec), loaded.estimator,
                       base=spec.base_indices())
    p = maps.probability.values
    u = maps.uncertainty.values
    assert np.nanmax(p) <= 1 and np.nanmin(p) >= 0 and np.nanmax(u) > 0


@pytest.mark.slow
def test_cli_train_and_score_on_any_grid_with_polygon_occurrences(tmp_path) -> None:
    """Evidence GeoTIFFs in EPSG:3067 define the grid; deposits are GeoPackage polygons."""
    import geopandas as gpd
    from rasterio.transform import from_origin
    from scipy import ndimage
    from shapely.geometry import box

    rng = np.random.default_rng(5)
    shape, res, x0, y0 = (80, 100), 100.0, 400_000.0, 7_500_000.0
    hidden = ndimage.gaussian_filter(rng.normal(size=shape), 6)
    hidden = (hidden - hidden.mean()) / hidden.std()
    layers = {"magnetics": hidden + 0.5 * rng.normal(size=shape),
              "noise": rng.normal(size=shape)}
    transform = from_origin(x0, y0, res, res)
    for name, data in layers.items():
        with rasterio.open(tmp_path / f"{name}.tif", "w", driver="GTiff", height=shape[0],
                           width=shape[1], count=1, dtype="float32", crs="EPSG:3067",
                           transform=transform) as dst:
            dst.write(data.astype("float32"), 1)
    top = np.argwhere(hidden > np.quantile(hidden, 0.97))
    pick = top[rng.choice(len(top), 30, replace=False)]
    polys = [box(x0 + c * res + 10, y0 - (r + 2) * res, x0 + (c + 2) * res, y0 - r * res - 10)
             for r, c in pick]
    gpd.GeoDataFrame({"name": [f"D{i}" for i in range(30)]}, geometry=polys,
                     crs="EPSG:3067").to_file(tmp_path / "deposits.gpkg", layer="deposits")
    job = {
        "name": "any-grid", "region": {"reference": "magnetics.tif", "chunks": [32, 32]},
        "sources": [
            {"kind": "raster", "name": "mag", "path": "magnetics.tif", "band_names": ["mag"]},
            {"kind": "raster", "name": "noise", "path": "noise.tif"},
            {"kind": "points", "name": "deposits", "path": "deposits.gpkg",
             "layer": "deposits"},
        ],
        "model": {"mineral": "nickel", "labels": {"source": "deposits"},
                  "cv": {"n_splits": 3, "block_size": 2500.0, "seeds": 1},
                  "permutation_repeats": 0,
                  "params": {"n_estimators": 50}},
    }
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(job))
    out = tmp_path / "out"
    _run(tmp_path / "job.yaml", out, ["ingest"])
    from pipelines.cli import main

    for stage in ("train", "score"):  # the real CLI entry point, on a local dask cluster
        assert main([stage, str(tmp_path / "job.yaml"), "--out", str(out), "--workers", "1"]) == 0
    card = json.loads((out / "model" / "card.json").read_text())
    from pyproj import CRS

    assert card["region"]["crs"] == "EPSG:3067"  # as the user's reference raster names it
    assert card["labels"]["records"] == 30 and card["labels"]["cells"] > 30  # polygons
    with rasterio.open(out / "score" / "probability.tif") as src:
        prob = src.read(1)
        assert CRS(src.crs.to_wkt()).to_proj4() == CRS("EPSG:3067").to_proj4()
        assert src.shape == shape
    assert np.corrcoef(prob.ravel(), hidden.ravel())[0, 1] > 0.3


def test_missing_prerequisites_are_clear_stage_errors(tmp_path, scene) -> None:
    from prospect.errors import StageError

    job = _job(scene, tmp_path / "job.yaml")
    with pytest.raises(StageError, match="no cube; run 'prospect ingest'"):
        _run(job, tmp_path / "out", ["train"])
    with pytest.raises(StageError, match="no trained model; run 'prospect train'"):
        _run(job, tmp_path / "out", ["score"])


def test_map_metrics_report_labels_that_cannot_be_read(trained, scene, tmp_path) -> None:
    """The score stage's map metrics do not swallow errors: labels moved since training are
    reported (console, run record, score.md), and the capture figures are left out."""
    from pipelines.context import RunContext
    from pipelines.stages import score
    from prospect.config import load_job, resolve_grid

    out, results = trained
    assert "map_top10_capture" in results["score"].metrics
    assert not any("not computed" in n for n in results["score"].notes)
    job_path = _job(scene, tmp_path / "job.yaml")
    cfg = yaml.safe_load(job_path.read_text())
    for source in cfg["sources"]:
        if source["name"] == cfg["model"]["labels"]["source"]:
            source["path"] = str(tmp_path / "moved.csv")
    job_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    job = load_job(job_path)
    ctx = RunContext(job=job, out_dir=out, grid=resolve_grid(job))
    delivered = {"hist": np.ones(score.HISTOGRAM_BINS.size - 1, np.int64), "finite": 10}
    metrics, problems = score._map_metrics(
        delivered, ctx, score._positive_probabilities(ctx, job.model))
    assert set(metrics) == {"scored_share"}
    (problem,) = problems
    assert "map capture metrics not computed" in problem and "moved.csv" in problem


def test_train_cli_overrides_the_estimator_for_one_run(trained, scene, tmp_path) -> None:
    from pipelines.cli import main

    out, _ = trained
    job = _job(scene, tmp_path / "job.yaml", features=["heatflow", "geology"],
               permutation_repeats=0, partial_dependence=1, cv={
                   "n_splits": 4, "block_size": 500.0, "buffer": 20.0, "seeds": 2,
                   "bootstrap": 100, "compare_random": False})
    shutil.copytree(out / "cube.zarr", tmp_path / "out" / "cube.zarr")
    code = main(["train", str(job), "-o", str(tmp_path / "out"), "--workers", "1",
                 "--estimator", "logistic_regression", "--param", "C=0.5"])
    assert code == 0
    card = json.loads((tmp_path / "out" / "model" / "card.json").read_text())
    assert card["config"]["model"]["estimator"] == "logistic_regression"
    assert card["config"]["model"]["params"] == {"C": 0.5}
    assert card["output_scale"] == "relative prospectivity"
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["config"]["model"]["estimator"] == "logistic_regression"
    # one line per training row and scheme, enough to recompute the pooled AUC
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    oof = pd.read_csv(tmp_path / "out" / "model" / "oof_predictions.csv")
    metrics = json.loads((tmp_path / "out" / "model" / "metrics.json").read_text())
    tested = oof[(oof.scheme == "spatial_block") & (oof.fold >= 0)]
    assert roc_auc_score(tested.label, tested.score) == pytest.approx(
        metrics["metrics"]["cv_spatial_roc_auc"], abs=1e-4)
    assert {"x", "y", "row", "col", "fold", "label", "score"} <= set(oof.columns)
    assert len(metrics["seed_spread"]["seeds"]) == 2
    assert main(["train", str(job), "-o", str(tmp_path / "out"), "--param", "C"]) != 0
