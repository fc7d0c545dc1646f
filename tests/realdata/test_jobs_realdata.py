"""The shipped example jobs (configs/jobs) end to end on ../shared/data (skipped when absent)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from jobrun import JOBS, assert_planned, run_job
from pyproj import Transformer

pytestmark = [pytest.mark.realdata, pytest.mark.integration]



def _no_range_warning(results: dict) -> None:
    """Every tile layer of a shipped job has a colour range that shows its data."""
    notes = [n for n in results["tiles"].notes if "colour range" in n]
    assert not notes, notes


def _value(ds, var: str, lon: float, lat: float) -> float:
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True).transform(lon, lat)
    return float(ds[var].sel(x=x, y=y, method="nearest"))


def test_nl_geothermal_heatflow(shared_data, tmp_path) -> None:
    from prospect.io.cube import open_cube
    from prospect.io.points import read_points

    results = run_job("nl-geothermal-heatflow", tmp_path)
    assert list(results) == ["ingest", "screen", "tiles"]
    assert_planned("nl-geothermal-heatflow", tmp_path)  # with the national tile grid
    _no_range_warning(results)
    # a tile layer whose config names no units shows the data's own (the variance's
    # '(mW/m2)2'), in its TileJSON and viewer: they said nothing before
    doc = json.loads((tmp_path / "tiles" / "heatflow_Heat_Flow_variance" / "tilejson.json")
                     .read_text())
    units = open_cube(tmp_path / "cube.zarr")["heatflow_Heat_Flow_variance"].attrs["units"]
    assert units and doc["prospect"]["units"] == units
    assert f'"units": "{units}"' in (tmp_path / "viewer" / "index.html").read_text()
    ds = open_cube(tmp_path / "cube.zarr")
    hf, var, land = (ds[v].values for v in ("heatflow_Heat_Flow",
                                            "heatflow_Heat_Flow_variance", "land"))
    assert hf.shape == (325, 300)  # the netherlands region at 1 km
    # Natural Earth mask: sea, Germany and Belgium are no-data; land has values
    assert np.isnan(hf[land == 0]).all() and np.isfinite(hf[land == 1]).all()
    assert np.isnan(_value(ds, "heatflow_Heat_Flow", 4.0, 52.6))   # North Sea
    assert np.isnan(_value(ds, "heatflow_Heat_Flow", 7.07, 52.43))  # Nordhorn (D)
    # kriging stays inside the data's range (51-128 mW/m2); Groningen is the hot spot
    assert np.nanmin(hf) >= 51 and np.nanmax(hf) <= 128
    assert _value(ds, "heatflow_Heat_Flow", 6.9, 53.1) > _value(ds, "heatflow_Heat_Flow",
                                                                5.99, 51.19)  # Roermond
    assert (var[land == 1] > 0).all()

    # leave-one-out RMSE of IDW recomputed by brute force from the CSV
    csv = shared_data / "heatflow_europe_nl_ihfc" / "heatflow_netherlands_bbox_subset.csv"
    t = read_points(csv, x="Longitude", y="Latitude", crs="EPSG:4326", columns=["Heat Flow"],
                    to_crs="EPSG:28992")
    xy = np.column_stack([t.x, t.y])
    keyed: dict[tuple[float, float], list[float]] = {}
    for (x, y), v in zip(xy, t.values["Heat Flow"], strict=True):
        keyed.setdefault((round(x, 3), round(y, 3)), []).append(v)
    pts = np.array(list(keyed))
    z = np.array([np.mean(v) for v in keyed.values()])
    errs = []
    for i in range(len(z)):
        d = np.hypot(*(pts - pts[i]).T)
        d[i] = np.inf
        near = np.argsort(d)[:16]
        w = 1 / d[near] ** 2
        errs.append(w @ z[near] / w.sum() - z[i])
    m = results["screen"].metrics
    assert m["heatflow_Heat_Flow_loo_rmse_idw"] == pytest.approx(np.sqrt(np.mean(
        np.square(errs))), rel=1e-6)
    # on these wells kriging predicts left-out wells better than IDW (8.9 vs 9.1 mW/m2)
    assert m["heatflow_Heat_Flow_loo_rmse_kriging"] < m["heatflow_Heat_Flow_loo_rmse_idw"]
    assert 0.7 < m["heatflow_Heat_Flow_msdr"] < 1.3
    report = (tmp_path / "screen" / "report.md").read_text()
    assert "heatflow_Heat_Flow_variogram.png" in report and "| ordinary kriging |" in report
    assert (tmp_path / "screen" / "heatflow_Heat_Flow_variogram.png").stat().st_size > 5000
    page = (tmp_path / "viewer" / "index.html").read_text()
    assert '"outline": {"type": "FeatureCollection"' in page
    assert json.loads((tmp_path / "manifest.json").read_text())["stages"]["screen"]


def test_greatbasin_lithium_brine_economics(shared_data, tmp_path) -> None:
    from prospect.economics import CLASS_ABOVE, CLASS_NODATA, CLASS_TOO_LOW
    from prospect.io.cube import open_cube

    results = run_job("greatbasin-lithium-brine", tmp_path)
    # planned exactly: the fitted surface shipped apart, the land mask, the report's map
    # reads of screen, the matrices of the label surfaces rebuilt in each fold
    assert_planned("greatbasin-lithium-brine", tmp_path)
    _no_range_warning(results)
    ds = open_cube(tmp_path / "cube.zarr")
    c = ds["brine_LI_PPM"].values.astype("f8")
    var = ds["brine_LI_PPM_variance"].values.astype("f8")
    lce, sd = ds["lce_t_per_year"].values, ds["lce_t_per_year_sd"].values
    cls, land = ds["lce_screening_class"].values, ds["land"].values
    # by hand: 5.323 t LCE per t Li; 150 m3/h * 8000 h * 0.8 recovery; mg/L = g/m3
    k = 5.323 * 150 * 8000 * 0.8 * 1e-6
    ok = land == 1
    assert np.allclose(lce[ok], k * np.maximum(c[ok], 0), rtol=1e-5)
    assert np.allclose(sd[ok], k * np.sqrt(var[ok]), rtol=1e-5)
    # xarray reads the class layer's no-data (255) as NaN
    assert ds["lce_screening_class"].encoding["_FillValue"] == CLASS_NODATA
    assert np.isnan(cls[~ok]).all() and np.isnan(lce[~ok]).all()
    assert ((cls[ok] == CLASS_TOO_LOW) == (lce[ok] + 1.645 * sd[ok] < 500)).all()
    # the Bonneville Salt Flats brines (544-970 ppm Li near Wendover, Utah) are the one
    # place above the cut-off; nearly all of the basin is too low
    x, y = Transformer.from_crs("EPSG:4269", "EPSG:5070", always_xy=True).transform(
        -113.85, 40.75)
    near = ds["lce_screening_class"].sel(x=slice(x - 15000, x + 15000),
                                         y=slice(y + 15000, y - 15000)).values
    assert (near == CLASS_ABOVE).any()
    m = results["screen"].metrics
    assert m["economics_share_too_low"] > 0.95
    assert 0 < m["economics_share_mean_above_cutoff"] < 0.01
    assert m["economics_cells"] == int(ok.sum())
    report = (tmp_path / "screen" / "report.md").read_text()
    assert "too low for economic extraction" in report and "Witteveen+Bos" in report
    assert (tmp_path / "tiles" / "lce_screening_class").is_dir()
    # the model: labels from the Li distribution, evidence rebuilt inside each fold
    card = json.loads((tmp_path / "model" / "metrics.json").read_text())
    labels = card["labels"]
    import pandas as pd

    li = pd.read_csv(shared_data / "geothermal_waters_li_great_basin_us" /
                     "gb_duplicatedRows.txt")["LI_PPM"].to_numpy(dtype="f8")
    li = li[np.isfinite(li)]
    assert labels["grade_threshold"] == pytest.approx(np.quantile(li, 0.95))
    assert labels["records"] == li.size == 2809 and (li >= labels["grade_threshold"]).sum() == 141
    assert labels["records_without_grade"] == 14258 - 2809  # not analysed: neither label
    assert labels["positives"] == 79
    # the Great Basin's duplicated rows: cells holding records on both sides of the grade
    # threshold, counted in metrics.json and named in the stage's note (round 29)
    held = labels["positive_cells_holding_negatives"]
    assert held > 0
    assert f"{held} positive cells also holding records below the threshold" in \
        " ".join(results["train"].notes)
    assert set(card["features"]) == {"waters_TEMP_C", "waters_CL_PPM", "waters_B_PPM",
                                     "waters_GEOTHERMOMETER_QUARTZ_C"}
    rebuilt = {s["variable"] for s in card["label_surfaces"] if "rebuilt" in s["use"]}
    assert rebuilt == set(card["features"])
    base = card["baseline"]
    assert base["beats"] == (base["model"]["roc_auc"] > base["baseline"]["roc_auc"])
    model_report = (tmp_path / "model" / "report" / "report.md").read_text()
    assert base["verdict"] in model_report
    assert ("does NOT beat" in model_report) != base["beats"]
    # the same job again skips every stage: each recorded output (the screen stage's cube
    # variables too) is found where the manifest says it is
    again = run_job("greatbasin-lithium-brine", tmp_path)
    assert {name: r.skipped for name, r in again.items()} == dict.fromkeys(results, True)


TESTED_JOBS = {"meuse-zinc", "nl-geothermal-heatflow", "greatbasin-lithium-brine",
               # in test_imagery_realdata.py
               "nl-wageningen-imagery",
               # network jobs: run against a local STAC API in
               # tests/integration/test_stac_composite.py
               "bonaire-s2-dry-median", "lai-chau-clear-composite"}


def test_every_shipped_job_has_an_end_to_end_test_and_its_data(shared_data) -> None:
    from prospect.config.catalogue import list_jobs

    entries = list_jobs(JOBS)
    assert {e.name for e in entries} <= TESTED_JOBS
    for e in entries:
        assert e.data_present, (e.name, e.missing)


def test_meuse_zinc_through_the_cli(shared_data, tmp_path, capsys) -> None:
    from pipelines.cli import main

    out = tmp_path / "meuse"
    assert main(["run", str(JOBS / "meuse-zinc.yaml"), "-o", str(out), "--workers", "2"]) == 0
    metrics = json.loads((out / "model" / "metrics.json").read_text())
    assert metrics["labels"]["positives"] > 10
    assert 0.5 < metrics["metrics"]["cv_spatial_roc_auc"] <= 1.0
    assert (out / "score" / "probability.tif").is_file()
    # the map's STAC item credits the data as its licence asks (the job's tiles credit)
    item = json.loads((out / "score" / "probability.json").read_text())["properties"]
    assert item["license"] == "GPL-3.0-or-later"
    assert item["prospect:attribution"].startswith("Meuse data set"), item
    assert (out / "viewer" / "index.html").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    run = manifest["runs"][-1]
    assert run["ran"] == ["ingest", "train", "score", "tiles"] and run["status"] == "done"
    assert_planned("meuse-zinc", out)
    # a researcher exports the model without a cube: the check's random rows hold codes the
    # categorical features (ffreq, soil) can take; fractions there failed every such model
    # ('differ by up to 0.166', the ONNX encoder rounding what scikit-learn calls unknown)
    reg, onnx = tmp_path / "registry", tmp_path / "meuse.onnx"
    assert main(["model", "import", str(out / "model"), "--name", "meuse", "-r", str(reg)]) == 0
    assert main(["model", "export", "meuse", "--out", str(onnx), "-r", str(reg)]) == 0
    assert onnx.is_file()
    # one CRS rule for every reader (issue 13): the config's EPSG:28992 overrides the samples'
    # wrong .prj in the map metrics too, so they are computed (they printed n/a before)
    score = manifest["stages"]["score"]["metrics"]
    assert all(score[f"map_top{p}_capture"] is not None for p in (5, 10, 20)), score
    assert score["map_top20_capture"] > 0.2
    captured = capsys.readouterr()  # the run prints on stderr
    printed = " ".join((captured.out + captured.err).split())
    assert "labels cannot be read" not in printed
    # the in-sample map figures are not left to read as skill in the summary
    assert "score.map_top5_capture = " in printed
    assert "(score.map_top*: in-sample success rate" in printed


def test_plan_prints_what_the_headers_warn_of_as_warning_lines(shared_data, capfd) -> None:
    """The IHFC table holds one well twice with different heat flows: ``prospect plan`` says
    so in one ``warning:`` line on stderr (it printed Python's ``DataWarning`` with a
    library path and source line), and ``--json`` keeps stdout JSON."""
    from pipelines.cli import main

    assert main(["plan", str(JOBS / "nl-geothermal-heatflow.yaml"), "--json"]) == 0
    out, err = capfd.readouterr()
    assert json.loads(out)["job"] == "nl-geothermal-heatflow"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert any(ln.startswith("warning: ") and "different values" in ln for ln in lines), err
    assert "DataWarning" not in err and ".py:" not in err, err
