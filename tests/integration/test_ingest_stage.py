"""The ingest stage end to end: on a dask client, rerun skipping, SIGKILL resume, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from prospect.io.cube import open_cube
from prospect.testing import array_checksums

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {"B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12", "heatflow",
            "geology", "geology_dist_contact", "geology_dist_fault"}

RUNNER = """
import json, sys
from pathlib import Path
from pipelines.context import RunContext
from pipelines.stages import ingest
from prospect.config import load_job, resolve_grid
job = load_job(sys.argv[1])
ctx = RunContext(job=job, out_dir=Path(sys.argv[2]), grid=resolve_grid(job))
res = ingest.run(ctx)
print("METRICS " + json.dumps(res.metrics))
"""


def ingest_only(scene, path: Path, **changes) -> Path:
    """The scene's job config without the later stages (and with ``changes``)."""
    full = scene.job_config(path.with_suffix(".full.yaml"))
    job = yaml.safe_load(full.read_text())
    for key in ("indices", "model", "tiles"):
        job.pop(key, None)
    job.update(changes)
    path.write_text(yaml.safe_dump(job))
    return path


def published_now(cube: Path) -> set[str]:
    """Variables listed in the cube's consolidated metadata (what a reader would open)."""
    try:
        meta = json.loads((cube / "zarr.json").read_text())
    except (OSError, ValueError):
        return set()
    return set(meta.get("consolidated_metadata", {}).get("metadata", {})) & EXPECTED


def run_subprocess(job: Path, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(job), str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("METRICS "))
    return json.loads(line[8:])


def test_stage_on_a_dask_client_then_rerun_skips(small_scene, tmp_path):
    from pipelines.runner import run_job
    from prospect.config import load_job

    job = ingest_only(small_scene, tmp_path / "job.yaml")
    out = tmp_path / "out"
    (result,) = run_job(job, out, stages=["ingest"], workers=1)
    ds = open_cube(out / "cube.zarr")
    assert set(ds.data_vars) == EXPECTED
    assert ds.attrs["synthetic"] is True
    assert ds["heatflow"].attrs["units"] == "mW m-2"
    assert ds["geology_dist_fault"].attrs["prospect_kind"] == "distance"
    assert json.loads(ds["geology"].attrs["categories"])
    prov = json.loads(ds["B11"].attrs["provenance"])
    (path, digest), = prov["sources"].items()
    assert path.endswith("B11.tif") and len(digest) == 64
    assert result.metrics["chunks_computed"] == len(EXPECTED) * result.metrics[
        "chunks_per_variable"]
    # the wells are labels: no surface was made from them
    assert not any(v.startswith("wells") for v in ds.data_vars)
    manifest = json.loads((out / "manifest.json").read_text())
    assert any(k.startswith("s2:B02") for k in manifest["inputs"])
    # rerun of the stage itself: every variable is up to date, no chunk recomputed
    from pipelines.context import RunContext
    from pipelines.stages import ingest
    from prospect.config import resolve_grid

    cfg = load_job(job)
    again = ingest.run(RunContext(job=cfg, out_dir=out, grid=resolve_grid(cfg)))
    assert again.metrics["chunks_computed"] == 0
    assert again.metrics["variables_unchanged"] == len(EXPECTED)


def test_sigkill_mid_ingest_then_rerun_gives_the_same_cube(small_scene, tmp_path):
    job = ingest_only(small_scene, tmp_path / "job.yaml")
    reference = tmp_path / "reference"
    total = len(EXPECTED) * run_subprocess(job, reference)["chunks_per_variable"]
    expected = array_checksums(reference / "cube.zarr")

    out = tmp_path / "killed"
    partial = out / ".cube.zarr.partial"
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(job), str(out)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def part_way() -> bool:
        """Chunks of several variables marked done, far from the last one. Each task
        computes one chunk of every layer, and the variables are published together at
        the end, so a kill here leaves them all part-way and none published."""
        marks = sum(1 for _ in partial.glob("*/done/*")) if partial.exists() else 0
        return 3 <= marks <= total - 3 and not published_now(out / "cube.zarr")

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if part_way():
            # frozen, then looked at again: the state seen is the state killed (a chunk
            # takes a few ms, so a chunk can be marked between a look and a kill)
            os.kill(proc.pid, signal.SIGSTOP)
            if part_way():
                break
            os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.002)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    marks = sum(1 for _ in partial.glob("*/done/*"))
    assert 3 <= marks <= total - 3
    assert sum(1 for d in partial.glob("*") if any(d.glob("done/*"))) >= 2

    # What a reader sees now: nothing half-written (no variable is published yet)
    assert not published_now(out / "cube.zarr")
    assert not set(open_cube(out / "cube.zarr").data_vars) & EXPECTED

    metrics = run_subprocess(job, out)
    assert metrics["chunks_resumed"] == marks
    assert metrics["variables_unchanged"] == 0
    # every chunk is accounted for once: nothing finished before the kill is computed again
    assert metrics["chunks_computed"] + metrics["chunks_resumed"] == total
    assert array_checksums(out / "cube.zarr") == expected
    assert not partial.exists()


def test_bad_source_publishes_nothing(small_scene, tmp_path):
    from pipelines.context import RunContext
    from pipelines.stages import ingest
    from prospect.config import load_job, resolve_grid
    from prospect.errors import InputFileError

    broken = tmp_path / "B04.tif"
    broken.write_bytes(small_scene.bands["B04"].read_bytes()[:2000])
    job = ingest_only(small_scene, tmp_path / "job.yaml")
    data = yaml.safe_load(job.read_text())
    data["sources"][0]["bands"]["B04"] = str(broken)
    job.write_text(yaml.safe_dump(data))
    cfg = load_job(job)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputFileError, match=r"B04\.tif"):
        ingest.run(RunContext(job=cfg, out_dir=out, grid=resolve_grid(cfg)))
    assert not (out / "cube.zarr").exists()
    assert not any(out.iterdir())
