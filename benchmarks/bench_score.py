"""Scoring benchmark: the score stage's block-wise path against loading the same cells
into memory and one ``predict_proba`` call.

Both start from the same zarr cube on disk and the same saved model (a random forest,
``n_jobs=1``), loaded once beforehand (loading is ``bench_model_load``'s subject):

* the stage's path, as ``prospect score`` runs it: :func:`prospect.registry.scoring.score_model`
  (the feature stack read from the cube, one ``map_blocks`` task per chunk giving the
  probability and its uncertainty from one pass over the forest's trees) and
  :func:`pipelines.stages.score.publish_maps` (both maps written into the cube chunk by
  chunk with the cube's chunking and codec, then published), on the embedded dask cluster
  (:func:`pipelines.cluster.local_cluster`) of one worker process with one thread, started
  beforehand so its start-up is not timed;
* the peer, in this process: every feature read from the cube into one array, then one
  ``predict_proba`` over the cells where every feature is present (no uncertainty, nothing
  written).

The two alternate; medians of wall time give the ratio, and the median CPU time of each
side (worker and client process for the stage's path) is shown too, as shared machines
disturb it less. Each alternation's own ratio (its two runs back to back) is listed too,
with their median and range in the ``RESULT`` line (``pair_ratio_*``): the figure moves by
a few per cent from run to run, so one ratio cannot tell 1.05 from 1.06.
``maps_sha256`` hashes the stored chunk bytes of both maps, so a change of
code can be checked to leave them byte-identical. Memory: each path runs in a fresh process
(synchronous scheduler) that scores the 1x cube and, separately, a 4x-area cube with the
same chunk shape; the block-wise path writes its outputs to the cube chunk by chunk, and the
peak RSS is compared.

Usage: ``python benchmarks/bench_score.py [--quick]``. The last line is
``RESULT score overhead_vs_inmemory=<ratio> peak_rss_4x_over_1x=<ratio> ...``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_FEATURES = 12
CHUNK = 256


def make_cube(path: Path, side: int, seed: int = 0) -> None:
    """A cube of ``side`` x ``side`` cells with ``N_FEATURES`` smooth random layers."""
    import dask.array as da
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0,
                      bounds=(500_000, 1_000_000, 500_000 + 10 * side, 1_000_000 + 10 * side),
                      chunks=(CHUNK, CHUNK), name="bench")
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    layers = {}
    for i in range(N_FEATURES):
        rs = da.random.RandomState(seed + i)
        data = rs.random_sample((side, side), chunks=(CHUNK, CHUNK)).astype("f4")
        layers[f"f{i:02d}"] = xr.DataArray(
            data, dims=("y", "x"), coords={"y": like.y, "x": like.x},
            attrs={"units": "1", "long_name": f"layer {i} (synthetic)",
                   "prospect_kind": "continuous", "provenance": "{}"})
    add_variables(path, xr.Dataset(layers))


def train_model(cube: Path, model_dir: Path, trees: int) -> None:
    """Fit a forest on 3000 cells of the cube and save it through the registry."""
    from sklearn.ensemble import RandomForestClassifier

    from prospect.features import build_stack, make_spec, sample_cells
    from prospect.io.cube import open_cube
    from prospect.registry import save_model, schema_from_cube

    ds = open_cube(cube)
    spec = make_spec(ds, resolution=10.0)
    rng = np.random.default_rng(0)
    rows = rng.integers(0, ds.sizes["y"], 3000)
    cols = rng.integers(0, ds.sizes["x"], 3000)
    X = sample_cells(build_stack(ds, spec), rows, cols)
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.standard_normal(3000) > 0.9).astype(int)
    model = RandomForestClassifier(n_estimators=trees, min_samples_leaf=2, n_jobs=1,
                                   random_state=0).fit(X, y)
    schema = schema_from_cube(ds, list(spec.variables))
    schema["feature_spec"] = spec.to_dict()
    save_model(model, model_dir, card={"mineral": "benchmark", "synthetic": True},
               schema=schema)


def blockwise(cube: Path, model: object, spec: object) -> np.ndarray:
    """Project path: lazy stack -> map_blocks -> probability (and uncertainty)."""
    import dask

    from prospect.features import build_stack
    from prospect.io.cube import open_cube
    from prospect.models import predict_map

    maps = predict_map(build_stack(open_cube(cube), spec), model,  # type: ignore[arg-type]
                       base=spec.base_indices())  # type: ignore[attr-defined]
    with dask.config.set(scheduler="synchronous"):
        prob, _ = dask.compute(maps.probability.data, maps.uncertainty.data)
    return np.asarray(prob)


def stage_context(cube: Path, client: object) -> object:
    """A :class:`~pipelines.context.RunContext` whose cube is ``cube``, on ``client``."""
    from rich.console import Console

    from pipelines.context import RunContext
    from prospect.config import JobConfig
    from prospect.io.cube import cube_grid, open_cube

    grid = cube_grid(open_cube(cube))
    left, bottom, right, top = grid.bounds
    job = JobConfig.model_validate({
        "name": "bench", "synthetic": True, "sources": [], "outputs": {"cube": cube.name},
        "region": {"name": "bench", "crs": grid.crs, "resolution": grid.resolution,
                   "bounds": [left, bottom, right, top], "chunks": list(grid.chunks)},
    })
    return RunContext(job=job, out_dir=cube.parent, grid=grid, console=Console(quiet=True),
                      client=client)  # type: ignore[arg-type]


def stage_path(ctx: object, loaded: object) -> None:
    """The score stage's scoring: lazy maps from the cube, computed and written on the
    context's cluster."""
    from prospect.io.cube import open_cube
    from prospect.registry.scoring import score_model

    try:
        from pipelines.stages.score import publish_maps
    except ImportError:  # a checkout from before publish_maps (to compare maps_sha256)
        from pipelines.progress import compute
        from prospect.io.cube import add_variables

        def publish_maps(ctx: object, maps: object) -> None:
            add_variables(ctx.cube_path, maps, overwrite=True,  # type: ignore[attr-defined]
                          compute=lambda write: compute(write, ctx))  # type: ignore[arg-type]

    maps = score_model(loaded.estimator, loaded.schema,  # type: ignore[attr-defined]
                       open_cube(ctx.cube_path),  # type: ignore[attr-defined]
                       provenance={"model": "benchmark"}, mineral="benchmark", synthetic=True)
    publish_maps(ctx, maps)  # type: ignore[arg-type]


def maps_sha256(cube: Path) -> str:
    """SHA-256 over the stored chunk files of ``probability`` and ``uncertainty``."""
    h = hashlib.sha256()
    for name in ("probability", "uncertainty"):
        root = cube / name
        for f in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "zarr.json"):
            h.update(f"{name}/{f.relative_to(root)}".encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of this process and of the processes ``pids``."""
    import psutil

    total = sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)
    me = resource.getrusage(resource.RUSAGE_SELF)
    return total + me.ru_utime + me.ru_stime


def inmemory(cube: Path, model: object, spec: object) -> np.ndarray:
    """Peer path: read every feature into one array, then one predict_proba call."""
    import dask

    from prospect.io.cube import open_cube

    ds = open_cube(cube)
    names = list(spec.variables)  # type: ignore[attr-defined]
    with dask.config.set(scheduler="synchronous"):
        X = np.stack([ds[n].values for n in names]).reshape(len(names), -1).T
    out = np.full(X.shape[0], np.nan, np.float32)
    ok = np.all(np.isfinite(X), axis=1)
    out[ok] = model.predict_proba(X[ok])[:, 1]  # type: ignore[attr-defined]
    return out.reshape(ds.sizes["y"], ds.sizes["x"])


def child(mode: str, cube: Path, model_dir: Path) -> None:
    """Run one path in this fresh process and print its peak RSS while scoring (MiB).

    RSS is sampled every 5 ms from a thread; the baseline is the RSS after imports and
    loading the model, just before scoring starts.
    """
    import threading

    import dask
    import psutil

    from prospect.features import FeatureSpec, build_stack
    from prospect.io.cube import add_variables, open_cube
    from prospect.models import predict_map
    from prospect.registry import load_model

    loaded = load_model(model_dir)
    spec = FeatureSpec.from_dict(loaded.schema["feature_spec"])
    proc = psutil.Process()
    base_rss = proc.memory_info().rss / 2**20
    samples = [base_rss]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(proc.memory_info().rss / 2**20)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if mode == "blockwise":
        maps = predict_map(build_stack(open_cube(cube), spec), loaded.estimator,
                           base=spec.base_indices())
        with dask.config.set(scheduler="synchronous"):
            add_variables(cube, maps, overwrite=True)
    else:
        inmemory(cube, loaded.estimator, spec)
    done.set()
    sampler.join()
    peak = max(samples)
    print(json.dumps({"peak_mib": peak, "base_mib": base_rss,
                      "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def peak_rss(mode: str, cube: Path, model_dir: Path) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, str(cube), str(model_dir)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cube, fewer repeats")
    parser.add_argument("--repeats", type=int, default=None,
                        help="alternations of the two sides (default 5, --quick 3)")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "CUBE", "MODEL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    side, trees, repeats = (320, 30, 3) if args.quick else (1024, 100, 5)
    repeats = args.repeats or repeats
    from distributed import Client

    from pipelines.cluster import local_cluster
    from prospect.features import FeatureSpec
    from prospect.io.cube import open_cube
    from prospect.registry import load_model

    tmp = Path(tempfile.mkdtemp(prefix="bench_score_"))
    try:
        cube1, cube4 = tmp / "cube1.zarr", tmp / "cube4.zarr"
        make_cube(cube1, side)
        make_cube(cube4, 2 * side)
        train_model(cube1, tmp / "model", trees)
        loaded = load_model(tmp / "model")
        spec = FeatureSpec.from_dict(loaded.schema["feature_spec"])
        model = loaded.estimator
        a = blockwise(cube1, model, spec)
        b = inmemory(cube1, model, spec)
        max_diff = float(np.nanmax(np.abs(a - b)))
        t_block, t_mem, c_block, c_mem = [], [], [], []
        hashes = set()
        with local_cluster(1, threads_per_worker=1) as cluster, Client(cluster) as client:
            pids = list(client.run(os.getpid).values())
            ctx = stage_context(cube1, client)
            stage_path(ctx, loaded)  # warm-up: imports on the worker
            for i in range(repeats):
                sides = [("stage", lambda: stage_path(ctx, loaded)),
                         ("mem", lambda: inmemory(cube1, model, spec))]
                for tag, fn in sides if i % 2 == 0 else sides[::-1]:
                    c0 = _cpu_s(pids if tag == "stage" else [])
                    t0 = time.perf_counter()
                    fn()
                    wall = time.perf_counter() - t0
                    cpu = _cpu_s(pids if tag == "stage" else []) - c0
                    (t_block if tag == "stage" else t_mem).append(wall)
                    (c_block if tag == "stage" else c_mem).append(cpu)
                hashes.add(maps_sha256(cube1))
        if len(hashes) != 1:
            sys.exit(f"the maps differ between runs: {sorted(hashes)}")
        digest = hashes.pop()
        stage_maps = np.asarray(open_cube(cube1)["probability"].values)
        stage_diff = float(np.nanmax(np.abs(stage_maps - b)))
        mb, mm = statistics.median(t_block), statistics.median(t_mem)
        cb, cm = statistics.median(c_block), statistics.median(c_mem)
        mem = {(mode, k): peak_rss(mode, c, tmp / "model")
               for mode in ("blockwise", "inmemory") for k, c in (("1x", cube1), ("4x", cube4))}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"cube {side}x{side} cells (1x) and {2 * side}x{2 * side} (4x), {N_FEATURES} "
          f"features, chunks {CHUNK}x{CHUNK}, random forest {trees} trees")
    print(f"max |blockwise - in-memory| probability: {max_diff:.2e} (stage's map: "
          f"{stage_diff:.2e})")
    print(f"stage path (read, predict, write)    median {mb * 1000:8.1f} ms  "
          f"runs {[round(t * 1000) for t in t_block]}  CPU {cb * 1000:8.1f} ms")
    print(f"in-memory (load + predict_proba)     median {mm * 1000:8.1f} ms  "
          f"runs {[round(t * 1000) for t in t_mem]}  CPU {cm * 1000:8.1f} ms")
    pairs = sorted(b / m for b, m in zip(t_block, t_mem, strict=True))
    print(f"per-alternation ratios (stage / in-memory, each pair run back to back): "
          f"{[round(r, 3) for r in pairs]}")
    print(f"maps chunks sha256 {digest}")
    for (mode, k), v in mem.items():
        print(f"peak RSS {mode:9s} {k}: {v['peak_mib']:7.1f} MiB (before scoring "
              f"{v['base_mib']:6.1f} MiB, increment {v['peak_mib'] - v['base_mib']:6.1f} MiB)")
    b1, b4 = mem[("blockwise", "1x")], mem[("blockwise", "4x")]
    m1, m4 = mem[("inmemory", "1x")], mem[("inmemory", "4x")]
    inc = (b4["peak_mib"] - b4["base_mib"]) / max(b1["peak_mib"] - b1["base_mib"], 1.0)
    print(f"RESULT score overhead_vs_inmemory={mb / mm:.2f} cpu_overhead={cb / cm:.2f} "
          f"peak_rss_4x_over_1x={b4['peak_mib'] / b1['peak_mib']:.2f} "
          f"increment_4x_over_1x={inc:.2f} "
          f"inmemory_peak_rss_4x_over_1x={m4['peak_mib'] / m1['peak_mib']:.2f} "
          f"pair_ratio_median={statistics.median(pairs):.3f} "
          f"pair_ratio_range={pairs[0]:.3f}-{pairs[-1]:.3f} "
          f"max_abs_diff={max(max_diff, stage_diff):.1e} side={side} "
          f"maps_sha256={digest[:16]}")


if __name__ == "__main__":
    main()
