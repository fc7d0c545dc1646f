"""The demo end to end, through the real CLI, checking every output it promises."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "demo", "--out", str(out), "--workers", "2"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "Traceback" not in proc.stderr
    return out, proc.stderr + proc.stdout


def test_summary_reports_outputs_timings_and_cv_metrics(demo_run) -> None:
    _, log = demo_run
    for stage in ("ingest", "indices", "train", "score", "tiles"):
        assert stage in log
    assert "summary" in log
    assert re.search(r"cv_spatial_roc_auc = 0\.\d+", log)
    assert "viewer" in log


def test_cube_is_zarr_v3_on_the_configured_grid(demo_run) -> None:
    from prospect.io.cube import cube_grid, open_cube
    from prospect.testing import demo_grid

    out, _ = demo_run
    meta = json.loads((out / "cube.zarr" / "zarr.json").read_text())
    assert meta["zarr_format"] == 3 and "consolidated_metadata" in meta
    ds = open_cube(out / "cube.zarr")
    grid = cube_grid(ds)
    expected = demo_grid("bonaire")
    assert grid.crs == "EPSG:32619" and ds.rio.crs.to_epsg() == 32619
    assert grid.bounds == expected.bounds and grid.shape == expected.shape
    for name in ("B02", "B12", "NDVI", "CLAY_HYDROXYL", "FERROUS_IRON", "probability",
                 "uncertainty"):
        assert name in ds.data_vars, name
        assert ds[name].encoding["chunks"] == expected.chunks
    assert ds.attrs.get("synthetic") in (True, "true", "True")


def test_probability_cog_is_valid_with_overviews(demo_run) -> None:
    from rio_cogeo.cogeo import cog_validate

    out, _ = demo_run
    cog = out / "score" / "probability.tif"
    valid, errors, _ = cog_validate(str(cog), quiet=True)
    assert valid, errors
    with rasterio.open(cog) as src:
        assert src.overviews(1), "no overviews"
        assert src.profile["tiled"]
        data = src.read(1)
    finite = data[np.isfinite(data)]
    assert finite.size > 0.9 * data.size and finite.min() >= 0 and finite.max() <= 1


def test_tiles_for_every_zoom_decode_as_png(demo_run) -> None:
    out, _ = demo_run
    job = (out / "job.yaml").read_text()
    job_lo = int(re.search(r"min_zoom: (\d+)", job).group(1))
    job_hi = int(re.search(r"max_zoom: (\d+)", job).group(1))
    layer_dir = out / "tiles" / "probability"
    doc = json.loads((layer_dir / "tilejson.json").read_text())
    lo, hi = doc["minzoom"], doc["maxzoom"]  # the data's zooms, within the job's range
    assert job_lo <= lo <= hi <= job_hi
    assert sorted(int(p.name) for p in layer_dir.iterdir() if p.name.isdigit()) == list(
        range(lo, hi + 1))
    for z in range(lo, hi + 1):
        tiles = sorted((layer_dir / str(z)).glob("*/*.png"))
        assert tiles, f"no tiles at zoom {z}"
        with Image.open(tiles[0]) as img:
            img.verify()
    with Image.open(tiles[len(tiles) // 2]) as img:
        rgba = np.asarray(img.convert("RGBA"))
    assert (rgba[..., 3] > 0).any()


def test_viewer_references_the_tiles(demo_run) -> None:
    out, _ = demo_run
    html = (out / "viewer" / "index.html").read_text()
    assert "probability" in html and "{z}" in html
    assert "uncertainty" in html


def test_model_recovers_the_hidden_field(demo_run) -> None:
    from pipelines.demo import recovery_auc
    from prospect.io.cube import open_cube

    out, _ = demo_run
    hidden = np.load(out / "scene" / "hidden_field.npy")
    prob = open_cube(out / "cube.zarr")["probability"].values
    assert recovery_auc(prob, hidden) >= 0.8


def test_manifest_records_inputs_stages_and_versions(demo_run) -> None:
    out, _ = demo_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    assert set(manifest["stages"]) >= {"ingest", "indices", "train", "score", "tiles"}
    assert all(s["status"] == "done" for s in manifest["stages"].values())
    assert any(len(v["sha256"]) == 64 for v in manifest["inputs"].values())
    assert "zarr" in manifest["versions"] and len(manifest["config_hash"]) == 64
    # every output a stage records is where the record says (resume checks these paths:
    # one that never exists makes every rerun recompute the stage and all after it)
    from pipelines.verify import resolve

    for name, stage in manifest["stages"].items():
        for label, value in stage["outputs"].items():
            assert resolve(out, value).exists(), (name, label, value)
