"""Train and score end to end on real data from ../shared/data (skipped when absent).

* GTK till geochemistry (Central Lapland, EPSG:3067): lithium-rich samples (top decile of
  Li) against the measured low-Li samples, with IDW surfaces of other elements as evidence.
* Meuse floodplain soils (EPSG:28992): IDW lead and copper from the zinc samples are the
  labels' own sites; they are refused as features, left out by default, or rebuilt inside
  each CV fold, and never lift the spatial-CV AUC unseen.
* USGS lithium deposits + CalGEM geothermal wells (southern California, EPSG:32611): the
  wells as occurrences (snapped and de-duplicated), distance to the USGS lithium sites as
  evidence, weights of evidence.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from pyproj import Transformer

pytestmark = [pytest.mark.realdata, pytest.mark.integration]


def _run(job_path, out, stages):
    from pipelines.context import RunContext
    from pipelines.runner import run_stages
    from prospect.config import load_job, resolve_grid

    job = load_job(job_path)
    ctx = RunContext(job=job, out_dir=out, grid=resolve_grid(job))
    return {r.name: r for r in run_stages(ctx, stages)}


def test_gtk_till_lithium_end_to_end(shared_data, tmp_path) -> None:
    till = shared_data / "gtk_till_geochem_central_lapland" / "IOCG_CLB_Till_Geochem_reg_511p.gpkg"
    elements = ["K_ppm_511P", "Al_ppm_511", "Mg_ppm_511", "Sc_ppm_511"]
    job = {
        "name": "gtk-till-li",
        "region": {"name": "central-lapland", "crs": "EPSG:3067", "resolution": 1000.0,
                   "bounds": [346000, 7458000, 414000, 7540000], "chunks": [48, 48]},
        "sources": [
            # the Li surface is made too: training must leave it out (it is the target)
            {"kind": "points", "name": "till", "path": str(till),
             "columns": [*elements, "Li_ppm_511"], "interpolate": ["idw"],
             "units": dict.fromkeys(elements, "ppm")},
            {"kind": "points", "name": "till_li", "path": str(till)},
        ],
        "model": {
            "mineral": "lithium", "deposit_type": "till geochemical anomaly",
            "labels": {"source": "till_li", "value_column": "Li_ppm_511",
                       "threshold_quantile": 0.9, "negatives": "below_threshold"},
            "cv": {"n_splits": 4, "block_size": 10000.0},
            "params": {"n_estimators": 40}, "permutation_repeats": 1,
            # K, Al, Mg and Sc are measured at the very till sites that are the labels:
            # their surfaces are rebuilt inside each CV fold from its training sites
            "fold_aware_interpolation": True,
        },
    }
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(job))
    results = _run(path, tmp_path / "out", ["ingest", "train", "score"])
    m = results["train"].metrics
    card = json.loads((tmp_path / "out" / "model" / "card.json").read_text())
    labels = card["labels"]
    assert labels["records"] == 1112 and labels["outside_grid"] == 0
    # 1112 samples on a 1 km grid: some share a cell and are merged (and counted)
    assert labels["merged_into_shared_cell"] > 0
    assert labels["cells"] + labels["merged_into_shared_cell"] == 1112
    assert labels["grade_threshold"] == pytest.approx(
        np.quantile(__import__("geopandas").read_file(till)["Li_ppm_511"], 0.9))
    assert {f["name"] for f in card["features"]} == {f"till_{e}" for e in elements}
    metrics = json.loads((tmp_path / "out" / "model" / "metrics.json").read_text())
    rebuilt = {s["variable"] for s in metrics["label_surfaces"]
               if s["use"].startswith("rebuilt inside each CV fold")}
    assert rebuilt == {f"till_{e}" for e in elements}
    # Li in till sits in micas and clays with K, Al, Mg and Sc: the evidence carries signal
    assert m["cv_spatial_roc_auc"] > 0.6 and m["cv_random_roc_auc"] > 0.6
    assert results["score"].metrics["scored_share"] > 0.95


def test_usgs_lithium_and_calgem_wells_weights_of_evidence(shared_data, tmp_path) -> None:
    folder = shared_data / "usgs_lithium_deposits_us"
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32611", always_xy=True)
    xs, ys = to_utm.transform([-118.5, -114.5, -118.5, -114.5], [32.5, 32.5, 36.0, 36.0])
    bounds = [round(min(xs), -3), round(min(ys), -3), round(max(xs), -3), round(max(ys), -3)]
    job = {
        "name": "socal-geothermal",
        "region": {"name": "socal", "crs": "EPSG:32611", "resolution": 2000.0,
                   "bounds": bounds, "chunks": [64, 64]},
        "sources": [
            {"kind": "points", "name": "li_sites",
             "path": str(folder / "USGS_Lithium_US_CSV" / "Loc_Pt.csv"),
             "x": "Long_WGS84", "y": "Lat_WGS84", "crs": "EPSG:4326", "distance": True},
            {"kind": "points", "name": "wells", "path": str(folder / "CalGEM_Geothermal_Wells.csv"),
             "x": "Long83", "y": "Lat83", "crs": "EPSG:4269"},
        ],
        "model": {
            "mineral": "lithium", "deposit_type": "geothermal brine",
            "estimator": "weights_of_evidence", "params": {"unit_cell_area": 1.0e6},
            "labels": {"source": "wells", "background_ratio": 5},
            "cv": {"n_splits": 4, "block_size": 50000.0}, "permutation_repeats": 0,
        },
    }
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(job))
    results = _run(path, tmp_path / "out", ["ingest", "train", "score"])
    metrics = json.loads((tmp_path / "out" / "model" / "metrics.json").read_text())
    labels = metrics["labels"]
    # 4336 rows: some lack coordinates, most of the state lies outside this region, and
    # wells of one field crowd into the same 2 km cells
    assert labels["outside_grid"] > 1000 and labels["merged_into_shared_cell"] > 500
    assert labels["records_without_geometry"] > 0
    row = metrics["weights_of_evidence"]["weights"][0]
    assert row["feature"] == "li_sites_dist" and row["kind"] == "ascending"
    # the Salton Sea geothermal field is itself a USGS lithium brine site
    assert row["w_plus"] > 0 and row["studentized_contrast"] > 2
    assert metrics["weights_of_evidence"]["unit_cell_area"] == 1.0e6
    # one distance layer does not carry over between geothermal fields 50 km apart: the
    # spatial-block estimate is reported honestly, whatever it is
    assert 0.0 <= results["train"].metrics["cv_spatial_roc_auc"] <= 1.0
    assert row["defined"] and row["significant"]
    assert results["score"].metrics["scored_share"] > 0.9


def _meuse_job(folder, **model):
    rasters = {"dem": "m", "dist": "1", "twi": ""}
    return {
        "name": "meuse-zinc-leak",
        "region": {"reference": str(folder / "dem.tif"), "crs": "EPSG:28992", "name": "meuse",
                   "chunks": [64, 64]},
        "sources": [
            *({"kind": "raster", "name": n, "path": str(folder / f"{n}.tif"),
               "crs": "EPSG:28992", "units": u} for n, u in rasters.items()),
            {"kind": "raster", "name": "ffreq", "path": str(folder / "ffreq.tif"),
             "crs": "EPSG:28992", "values": "categorical"},
            {"kind": "points", "name": "samples", "path": str(folder / "meuse.shp"),
             "crs": "EPSG:28992", "columns": ["zinc"]},
            # co-measured metals of the same 155 samples, interpolated: a leakage trap
            {"kind": "points", "name": "metals", "path": str(folder / "meuse.shp"),
             "crs": "EPSG:28992", "columns": ["lead", "copper"], "interpolate": ["idw"]},
        ],
        "model": {
            "mineral": "zinc", "estimator": "random_forest", "params": {"n_estimators": 100},
            "labels": {"source": "samples", "value_column": "zinc", "threshold": 1000,
                       "negatives": "below_threshold"},
            "cv": {"n_splits": 4, "compare_random": False, "seeds": 2, "bootstrap": 200},
            "permutation_repeats": 0, **model,
        },
    }


def test_meuse_leaking_metal_surfaces_are_refused_left_out_or_rebuilt(shared_data,
                                                                      tmp_path) -> None:
    from prospect.errors import ConfigError

    folder = shared_data / "meuse_heavy_metals_nl"
    covariates = ["dem", "dist", "twi", "ffreq"]

    def train(name, **model):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(_meuse_job(folder, **model)))
        out = tmp_path / "out"
        stages = ["train"] if (out / "cube.zarr").exists() else ["ingest", "train"]
        results = _run(path, out, stages)
        return results["train"].metrics, json.loads((out / "model" / "metrics.json").read_text())

    # named as features: refused, naming the surface and the labels
    with pytest.raises(ConfigError, match=r"'metals_(lead|copper)'.*'samples'"):
        train("explicit", features=[*covariates, "metals_lead", "metals_copper"])
    # by default: left out, and the report says so
    clean, facts = train("default")
    assert set(facts["features"]) == set(covariates)
    assert {s["variable"] for s in facts["label_surfaces"]} == {"metals_lead", "metals_copper"}
    # fold-aware: kept, rebuilt in each fold from its training samples only
    aware, facts = train("aware", fold_aware_interpolation=True)
    assert {"metals_lead", "metals_copper"} <= set(facts["features"])
    print(f"RESULT meuse_leakage covariates_auc={clean['cv_spatial_roc_auc']} "
          f"fold_aware_auc={aware['cv_spatial_roc_auc']} "
          f"block={facts['cv_config']['block_size']} buffer={facts['cv_config']['buffer']}")
    # lead and copper measured elsewhere would be honest evidence of zinc; rebuilt from the
    # training samples they help at most moderately, never the near-perfect 0.99 of a leak
    assert aware["cv_spatial_roc_auc"] < 0.97
    assert facts["cv_config"]["block_size_from"] == "variogram range of the labels"
