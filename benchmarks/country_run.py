"""A measured country-scale run: the whole ``netherlands`` region, every stage, against its plan.

    .venv/bin/python benchmarks/country_run.py                      # 100 m, 2 workers
    .venv/bin/python benchmarks/country_run.py --resolution 200     # a 4x smaller try-out

The shipped ``netherlands`` region (EPSG:28992, 300 x 325 km, chunks 2048 x 2048) at
``--resolution`` metres. A SYNTHETIC scene is generated on that grid with the demo's layers
(``prospect.testing.make_scene``: 10 Sentinel-2 bands, heat flow, geology and faults,
250 wells; every file tagged synthetic; drawn at 400 m, the bands then resampled onto the
grid, see :func:`make_country_job`), and the demo's job is written for it
(``SyntheticScene.job_config``; only the tile zooms follow the resolution: the deepest zoom
is the first whose pixel is finer than a cell at the region's centre, as z14 is for the
demo's 10 m, and three above it). Then:

1. ``prospect plan JOB --workers N --threads 1 --json`` (the CLI, a child process);
2. the whole job (ingest, indices, train, score, tiles) on the embedded cluster of ``N``
   worker processes of one thread (what ``prospect run`` starts by itself);
3. the run manifest gives, per stage, the wall time, the tasks the scheduler ran and each
   worker's true peak resident memory (``VmHWM`` reset when the stage starts,
   :class:`pipelines.progress.StageMonitor`);
4. a table of measured against planned, and the 10 m run extrapolated from the measured
   throughput (cells per second for the chunk-wise stages, seconds per render job for
   tiles, train as measured: its work follows the labelled points, not the grid).

Chunks are the region's 2048 x 2048 at every resolution, so a task's working set (and so
the memory per worker) is the same as in the 10 m run; only the chunk count changes
(4 at 100 m, 240 at 10 m).

The last line is ``RESULT country cells=<n> seconds=<s> memory_vs_plan=<x> tasks_exact=<0|1>``
(``memory_vs_plan``: the largest measured worker peak over the plan's memory per worker).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REGION = "netherlands"
EARTH_CIRCUMFERENCE = 40_075_016.686  # metres, web mercator


def tile_zooms(grid: Any, resolution: float | None = None, levels: int = 4
               ) -> tuple[int, int]:
    """The demo's zoom rule on ``grid`` (at ``resolution``, default the grid's): the
    deepest zoom is the first whose pixel (at the grid's centre latitude) is finer than a
    cell; ``levels`` zooms in all."""
    _, south, _, north = grid.lonlat_bounds()
    lat = math.radians((south + north) / 2)
    z = 0
    while EARTH_CIRCUMFERENCE * math.cos(lat) / (256 * 2**z) >= (resolution or grid.resolution):
        z += 1
    return z - levels + 1, z


def make_country_job(root: Path, resolution: float, *, coarse: float = 400.0
                     ) -> tuple[Path, Any, float]:
    """The synthetic scene on the whole region at ``resolution`` and the demo job on it;
    returns the job path, the grid and the seconds the scene took.

    :func:`prospect.testing.make_scene` draws its fields with Gaussian filters as wide as
    a twelfth of the scene, hours on ten million cells; so the scene is drawn at
    ``coarse`` metres over the same bounds (geology, faults, heat flow and wells are
    vectors, points or coarse rasters anyway) and each Sentinel-2 band is then resampled
    onto the ``resolution`` grid (bilinear) with the generator's own per-cell noise
    (normal, sd 0.004): every band file is a ``resolution`` GeoTIFF on the region grid,
    tagged synthetic like the generator's.
    """
    import yaml

    from prospect.config import load_region
    from prospect.grid import RegionGrid
    from prospect.testing import make_scene

    cfg = load_region(REGION)
    grid = RegionGrid(crs=cfg.crs, resolution=resolution, bounds=cfg.bounds,
                      chunks=cfg.chunks, name=f"{REGION}-{resolution:g}m")
    start = time.perf_counter()
    drawn = RegionGrid(crs=cfg.crs, resolution=max(coarse, resolution), bounds=cfg.bounds,
                       chunks=cfg.chunks, name=f"{REGION}-{coarse:g}m")
    scene = make_scene(root / "scene", grid=drawn, region=REGION, seed=0)
    if drawn.resolution != resolution:
        rng = np.random.default_rng(1)
        for path in scene.bands.values():
            _resample_band(path, grid, rng)
    seconds = time.perf_counter() - start
    lo, hi = tile_zooms(grid)
    path = scene.job_config(
        root / "job.yaml", name=f"country-{REGION}-{resolution:g}m", min_zoom=lo, max_zoom=hi,
        region_override={"base": REGION, "name": grid.name, "resolution": resolution})
    job = yaml.safe_load(path.read_text())
    job["description"] = (f"SYNTHETIC demo layers on the whole {REGION} region at "
                          f"{resolution:g} m (benchmarks/country_run.py; not real data)")
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path, grid, seconds


def _resample_band(path: Path, grid: Any, rng: np.random.Generator) -> None:
    """Rewrite the band GeoTIFF ``path`` on ``grid`` (bilinear, plus per-cell noise)."""
    import rasterio
    from rasterio.warp import Resampling, reproject

    with rasterio.open(path) as src:
        data, tags, profile = src.read(1), src.tags(), src.profile
        crs, transform = src.crs, src.transform
    out = np.full(grid.shape, np.nan, np.float32)
    reproject(data, out, src_transform=transform, src_crs=crs, dst_transform=grid.transform,
              dst_crs=grid.crs, resampling=Resampling.bilinear, src_nodata=np.nan,
              dst_nodata=np.nan)
    noisy = np.clip(out + rng.normal(0.0, 0.004, out.shape).astype(np.float32), 0.0, 1.0)
    profile.update(height=grid.shape[0], width=grid.shape[1], transform=grid.transform)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(noisy.astype(np.float32), 1)
        dst.update_tags(**tags)


def fine_job(job: Path, resolution: float = 10.0) -> Path:
    """``job`` at ``resolution`` (the shipped region's 10 m), tile zooms by the same rule."""
    import yaml

    from prospect.config import load_job, resolve_grid

    cfg = yaml.safe_load(job.read_text())
    cfg["region"]["resolution"] = resolution
    cfg["region"]["name"] = f"{REGION}-{resolution:g}m"
    lo, hi = tile_zooms(resolve_grid(load_job(job)), resolution)
    cfg["tiles"].update(min_zoom=lo, max_zoom=hi)
    path = job.with_name(f"job-{resolution:g}m.yaml")
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def plan(job: Path, workers: int) -> dict[str, Any]:
    """``prospect plan --json`` of ``job`` for ``workers`` one-thread workers (the CLI)."""
    cmd = [sys.executable, "-m", "pipelines.cli", "plan", str(job), "--workers", str(workers),
           "--threads", "1", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=float, default=100.0, help="cell size in metres")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--out", type=Path, default=None,
                        help="working folder (default: a new temporary folder, removed after)")
    parser.add_argument("--keep", action="store_true", help="keep the scene and the run")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()

    from rich.console import Console

    from pipelines.runner import STAGE_ORDER, run_job

    root = args.out or Path(tempfile.mkdtemp(prefix="country_run_"))
    root.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()[0]
    try:
        job, grid, scene_s = make_country_job(root, args.resolution)
        cells = grid.shape[0] * grid.shape[1]
        print(f"scene: SYNTHETIC, {grid.shape[0]} x {grid.shape[1]} = {cells:,} cells per "
              f"layer, chunks {grid.chunks}, {grid.n_chunks} chunks; {scene_s:.0f} s", flush=True)
        planned = plan(job, args.workers)
        start = time.perf_counter()
        run_job(job, root / "run", workers=args.workers, console=Console(stderr=True))
        total = time.perf_counter() - start
        manifest = json.loads((root / "run" / "manifest.json").read_text())
        fine = plan(fine_job(job), args.workers)  # the same job on the shipped 10 m grid
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    load1 = os.getloadavg()[0]
    stages = manifest["stages"]
    plans = {s["name"]: s for s in planned["stages"]}
    fines = {s["name"]: s for s in fine["stages"]}
    rows = []
    for name in sorted(stages, key=STAGE_ORDER.index):
        rec = stages[name]
        c, p = rec.get("cluster", {}), plans.get(name, {})
        rows.append({
            "stage": name, "seconds": rec["seconds"], "tasks": c.get("tasks"),
            "tasks_planned": p.get("tasks"), "extra_planned": p.get("extra_tasks", 0),
            "peak_memory": c.get("peak_memory_bytes"),
            "peak_memory_per_worker": c.get("peak_memory_per_worker"),
            "memory_planned": p.get("memory_per_worker", planned["memory_per_worker"]),
        })
    print(f"\n{REGION} at {args.resolution:g} m, {args.workers} workers x 1 thread, whole job "
          f"{total:.0f} s; load average {load0:.1f} before, {load1:.1f} after "
          f"({os.cpu_count()} cores)")
    print(f"{'stage':8} {'wall s':>8} {'tasks':>7} {'planned':>9} {'peak/worker':>12} "
          f"{'planned':>10} {'ratio':>6}")
    exact = True
    for r in rows:
        plan_tasks = f"{r['tasks_planned']}" + (f"+{r['extra_planned']}"
                                                if r["extra_planned"] else "")
        ok = r["tasks"] in (r["tasks_planned"], (r["tasks_planned"] or 0) + r["extra_planned"])
        exact &= ok
        ratio = r["peak_memory"] / r["memory_planned"] if r["peak_memory"] else float("nan")
        print(f"{r['stage']:8} {r['seconds']:8.1f} {r['tasks']!s:>7} {plan_tasks:>9} "
              f"{gib(r['peak_memory'] or 0):>12} {gib(r['memory_planned']):>10} {ratio:6.2f}"
              + ("" if ok else "  (tasks differ)"))
    peak = max(r["peak_memory"] or 0 for r in rows)
    print(f"job: peak {gib(peak)} per worker, plan {gib(planned['memory_per_worker'])} "
          f"({peak / planned['memory_per_worker']:.2f}); tasks "
          f"{sum(r['tasks'] or 0 for r in rows)} run, {planned['tasks']} planned")

    # the 10 m run from the measured throughput
    fine_cells = fine["shape"][0] * fine["shape"][1]
    print(f"\nextrapolated: the same job at {fine['resolution']:g} m ({fine_cells:,} cells per "
          f"layer, {fine['n_chunks']} chunks), from this run's throughput")
    est = {}
    for r in rows:
        name, sec = r["stage"], r["seconds"]
        if name == "tiles":
            per = sec / max(1, r["tasks"] or 1)
            est[name] = per * fines[name]["tasks"]
            how = f"{per:.2f} s per render job x {fines[name]['tasks']} jobs"
        elif name == "train":
            est[name] = sec
            how = "as measured (its work follows the labelled points, not the grid)"
        else:
            rate = cells / sec
            est[name] = fine_cells / rate
            how = f"{rate / 1e6:.2f} M cells/s on {args.workers} workers"
        print(f"  {name:8} {est[name] / 3600:7.2f} h on {args.workers} workers  ({how}); "
              f"{est[name] * args.workers / 3600:.1f} worker-hours")
    whole = sum(est.values())
    print(f"  whole job {whole / 3600:.1f} h on {args.workers} workers, "
          f"{whole * args.workers / 3600:.0f} worker-hours; cube "
          f"{gib(fine['cube_bytes'])} uncompressed; memory per worker as measured here "
          f"(same chunks): {gib(peak)}")
    figures = {"region": REGION, "resolution": args.resolution, "workers": args.workers,
               "cells": cells, "seconds": total, "scene_seconds": scene_s,
               "load": [load0, load1], "stages": rows, "plan": planned,
               "extrapolated_10m_seconds": est, "plan_10m": fine}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    print(f"RESULT country cells={cells} seconds={total:.0f} "
          f"memory_vs_plan={peak / planned['memory_per_worker']:.2f} "
          f"tasks_exact={int(exact)} load={load1:.1f}")


if __name__ == "__main__":
    main()
