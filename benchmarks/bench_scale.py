"""Scale-out benchmark: the same job on one and on two dask worker processes.

    .venv/bin/python benchmarks/bench_scale.py          # 10.24 km, 512-cell chunks, 3 runs a side
    .venv/bin/python benchmarks/bench_scale.py --quick  # 6.4 km, 320-cell chunks, 2 runs (< 1 min)

The full run uses 512-cell chunks, the smallest that the shipped regions use (the
Caribbean islands; the Netherlands uses 2048): four chunks per variable. The quick run
keeps four chunks per variable on a smaller scene.

A synthetic demo scene (labelled synthetic) is generated, the whole demo job runs once to
train the model (untimed, on the two-worker cluster), one untimed warm-up run on the
one-worker cluster, then the chunk-wise stages of the job (ingest, indices, score) run
again and again into fresh output folders, alternating between a cluster of one
worker process and a cluster of two (each one thread), both started beforehand so their
start-up is not timed. While one cluster is timed, the other's worker processes are
stopped (SIGSTOP, then SIGCONT): a job has only its own cluster on the machine. Medians
of each side give the speedup. Then one more run a side records the scheduler's task
stream (not timed: recording it costs the scheduler CPU) to say where each stage's time
goes. The scheduler overhead per task is the median wall time of a batch of no-op tasks on
the two-worker cluster, divided by the batch size.

Every timed run's cube is hashed (the stored chunk bytes of every variable): all runs on
both sides must give the same bytes (``cube_sha256=`` in the ``RESULT`` line), so a change
that makes a stage faster is seen to keep its outputs. The CPU seconds of each side's
workers and of this process (the job's client, and the scheduler of the embedded cluster,
which runs in it) say where the time goes besides the workers' tasks.

The last line is ``RESULT scale speedup_2_workers=<x> overhead_ms_per_task=<ms>
speedup_<stage>=<x>... cube_sha256=<hex> load=<load average>``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHUNK_STAGES = ["ingest", "indices", "score"]


def _noop(i: int) -> int:
    return i


def make_job(root: Path, size_m: float, chunk: int = 512) -> Path:
    """The demo job on a ``size_m`` square synthetic scene, with a quick model.

    Chunks are ``chunk`` x ``chunk`` cells: smaller chunks measure task overhead more than
    work (the shipped regions use 512-2048).
    """
    import yaml

    from prospect.testing import demo_grid, make_scene

    scene = make_scene(root / "scene", grid=demo_grid("bonaire", size_m=size_m,
                                                      chunks=(chunk, chunk)), seed=5, n_wells=150)
    path = scene.job_config(root / "job.yaml")
    job = yaml.safe_load(path.read_text())
    job["model"].update({"params": {"n_estimators": 24}, "permutation_repeats": 0,
                         "partial_dependence": 0, "uncertainty_members": 2})
    job["model"]["cv"].update({"n_splits": 3, "block_size": size_m / 4})
    job.pop("tiles", None)
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path


def timed_run(job: Path, model_dir: Path, out: Path, address: str
              ) -> tuple[float, dict[str, float], dict[str, tuple[float, float]]]:
    """Seconds for the chunk-wise stages of ``job`` on the scheduler at ``address``,
    each stage's own seconds, and each stage's start and end (Unix seconds, from the
    run manifest) to line it up with the task stream."""
    from rich.console import Console

    from pipelines.runner import run_job

    out.mkdir(parents=True)
    shutil.copytree(model_dir, out / "model")
    start = time.perf_counter()
    results = run_job(job, out, stages=CHUNK_STAGES, scheduler=address,
                      console=Console(stderr=True, quiet=True))
    seconds = time.perf_counter() - start
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    windows = {name: (rec["cluster"]["started_at"], rec["cluster"]["ended_at"])
               for name, rec in stages.items() if "started_at" in rec.get("cluster", {})}
    return seconds, {r.name: r.seconds for r in results}, windows


def cube_sha256(out: Path) -> str:
    """SHA-256 of the stored chunk bytes of every variable of the job's cube under ``out``
    (variables and chunks in name order; metadata, which holds times and paths, left out)."""
    h = hashlib.sha256()
    (cube,) = out.glob("*.zarr")
    for var in sorted(p for p in cube.iterdir() if (p / "zarr.json").is_file()):
        for chunk in sorted((var / "c").rglob("*")) if (var / "c").is_dir() else []:
            if chunk.is_file():
                h.update(f"{var.name}/{chunk.relative_to(var).as_posix()}".encode())
                h.update(chunk.read_bytes())
    return h.hexdigest()


def cpu_seconds(pids: list[int]) -> tuple[float, float, float]:
    """CPU seconds (user + system) so far of the processes ``pids``, of this process and of
    this thread: to split a run's CPU between the workers, the job's process (client and
    the embedded scheduler) and its main thread (the stages' own serial work)."""
    import psutil

    workers = sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)
    return workers, time.process_time(), time.thread_time()


def where_time_goes(stream: list[dict[str, Any]], windows: dict[str, tuple[float, float]],
                    n_workers: int) -> dict[str, dict[str, float]]:
    """Per stage, from the scheduler's task stream (``distributed.get_task_stream``):
    the stage's wall time split into before its first task, its tasks and after its last
    task (work of the job's own process: planning, publishing), how busy the workers were
    (compute time over workers x wall time), how long fewer than ``n_workers`` computed
    between its first and last task (barriers, imbalance, the last tasks), its task count,
    its longest task and the total compute time."""
    out = {}
    for name, (t0, t1) in windows.items():
        spans = [(ss["start"], ss["stop"], rec["worker"]) for rec in stream
                 for ss in rec["startstops"] if ss["action"] == "compute"
                 and t0 <= ss["start"] <= t1]
        if not spans:
            out[name] = {"wall": t1 - t0, "tasks": 0}
            continue
        first, last = min(a for a, _, _ in spans), max(b for _, b, _ in spans)
        busy = sum(b - a for a, b, _ in spans)
        # sweep: time between the first and the last task with fewer than n_workers busy
        events = sorted([(a, 1) for a, _, _ in spans] + [(b, -1) for _, b, _ in spans])
        under, running, prev = 0.0, 0, first
        for t, step in events:
            if running < n_workers:
                under += t - prev
            running += step
            prev = t
        out[name] = {
            "wall": t1 - t0, "lead": first - t0, "tail": t1 - last, "busy": busy,
            "utilisation": busy / (n_workers * (t1 - t0)), "under": under,
            "tasks": len(spans), "longest": max(b - a for a, b, _ in spans),
        }
    return out


def print_where(label: str, figures: dict[str, dict[str, float]]) -> None:
    """One line per stage of :func:`where_time_goes`."""
    for name, f in figures.items():
        if not f.get("tasks"):
            print(f"  {label} {name}: wall {f['wall']:.2f} s, no cluster task")
            continue
        print(f"  {label} {name}: wall {f['wall']:.2f} s = before first task "
              f"{f['lead']:.2f} + tasks {f['wall'] - f['lead'] - f['tail']:.2f} + after last "
              f"{f['tail']:.2f}; compute {f['busy']:.2f} s in {f['tasks']:.0f} tasks (longest "
              f"{f['longest']:.2f}), workers busy {100 * f['utilisation']:.0f} %, fewer than "
              f"all computing for {f['under']:.2f} s", flush=True)


def profile_stage(job: Path, model_dir: Path, out: Path, stage: str, address: str,
                  trace: Path | None) -> None:
    """cProfile of ``stage`` run in this process (no cluster: chunk tasks one after the
    other), after the stages before it ran on the cluster at ``address``; prints the
    functions that take the most time and saves the stats to ``trace`` when given."""
    import cProfile
    import io
    import pstats

    from rich.console import Console

    from pipelines.context import RunContext
    from pipelines.runner import run_job, run_stages
    from prospect.config import load_job, resolve_grid

    out.mkdir(parents=True)
    shutil.copytree(model_dir, out / "model")
    quiet = Console(stderr=True, quiet=True)
    before = CHUNK_STAGES[:CHUNK_STAGES.index(stage)]
    if before:
        run_job(job, out, stages=before, scheduler=address, console=quiet)
    cfg = load_job(job)
    ctx = RunContext(job=cfg, out_dir=out, grid=resolve_grid(cfg), job_path=job,
                     console=quiet)
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.runcall(run_stages, ctx, [stage])
    print(f"profile of {stage} in one process (no cluster): "
          f"{time.perf_counter() - start:.2f} s; top functions by own time:")
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    stats.sort_stats("tottime").print_stats(15)
    print("\n".join(line for line in text.getvalue().splitlines()[6:] if line.strip()))
    if trace is not None:
        stats.dump_stats(trace / f"profile-{stage}.pstats")


def worker_pids(cluster: object) -> list[int]:
    """Process ids of ``cluster``'s workers."""
    from distributed import Client

    with Client(cluster) as client:
        return sorted(client.run(os.getpid).values())


@contextlib.contextmanager
def paused(pids: list[int]) -> Iterator[None]:
    """SIGSTOP the processes ``pids`` for the duration of the block, then SIGCONT them."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def overhead_ms(client: object, n: int = 500, repeats: int = 3) -> float:
    """Median wall time per no-op task on ``client``, in milliseconds."""
    from distributed import wait

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        futures = client.map(_noop, range(n), pure=False)  # type: ignore[attr-defined]
        wait(futures)
        times.append((time.perf_counter() - start) / n * 1000)
        del futures
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="6.4 km scene in 320-cell chunks, 2 runs per side (< 1 min)")
    parser.add_argument("--size", type=float, default=None, help="scene edge in metres")
    parser.add_argument("--repeats", type=int, default=None, help="runs per side")
    parser.add_argument("--chunk", type=int, default=None, help="chunk edge in cells")
    parser.add_argument("--trace", type=Path, default=None,
                        help="folder for the dashboard's task stream of a traced run of "
                             "each side (HTML) and the slowest stage's profile (pstats)")
    parser.add_argument("--no-profile", action="store_true",
                        help="skip the profile of the slowest stage")
    args = parser.parse_args()
    size = args.size or (6400.0 if args.quick else 10240.0)
    chunk = args.chunk or (320 if args.quick else 512)
    repeats = args.repeats or (2 if args.quick else 3)

    from distributed import Client, get_task_stream
    from rich.console import Console

    from pipelines.cluster import local_cluster
    from pipelines.runner import run_job

    root = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    t0 = time.perf_counter()
    try:
        job = make_job(root, size, chunk)
        print(f"setup: scene {time.perf_counter() - t0:.1f} s", flush=True)
        # the clusters a job starts by itself (the embedded default), one worker process
        # of one thread each
        clusters = {n: local_cluster(n, threads_per_worker=1) for n in (1, 2)}
        try:
            base = root / "base"
            run_job(job, base, scheduler=clusters[2].scheduler_address,
                    console=Console(stderr=True, quiet=True))
            print(f"setup: clusters and base run {time.perf_counter() - t0:.1f} s", flush=True)
            # the base run warmed both workers of the two-worker cluster (imports, numba
            # compilation); give the one-worker cluster the same untimed warm-up
            timed_run(job, base / "model", root / "warm-1w", clusters[1].scheduler_address)
            shutil.rmtree(root / "warm-1w", ignore_errors=True)
            print(f"setup: warm-up {time.perf_counter() - t0:.1f} s", flush=True)
            times: dict[int, list[float]] = {1: [], 2: []}
            cpu: dict[int, list[tuple[float, ...]]] = {1: [], 2: []}
            hashes: set[str] = set()
            stage_times: dict[int, dict[str, list[float]]] = {1: {}, 2: {}}
            pids = {n: worker_pids(c) for n, c in clusters.items()}
            where: dict[int, dict[str, dict[str, float]]] = {}
            if args.trace:
                args.trace.mkdir(parents=True, exist_ok=True)
            for rep in range(repeats):
                for n in (1, 2) if rep % 2 == 0 else (2, 1):
                    out = root / f"run-{n}w-{rep}"
                    # a job has only its own cluster: the other one's worker processes are
                    # stopped while this one is timed, so they take no CPU from it
                    with paused(pids[3 - n]):
                        before = cpu_seconds(pids[n])
                        seconds, stages, _ = timed_run(
                            job, base / "model", out, clusters[n].scheduler_address)
                        after = cpu_seconds(pids[n])
                    cpu[n].append(tuple(b - a for a, b in zip(before, after, strict=True)))
                    hashes.add(cube_sha256(out))
                    times[n].append(seconds)
                    for name, sec in stages.items():
                        stage_times[n].setdefault(name, []).append(sec)
                    print(f"run {rep} workers={n}: {seconds:.2f} s "
                          + " ".join(f"{k}={v:.2f}" for k, v in stages.items()), flush=True)
                    shutil.rmtree(out, ignore_errors=True)
            # one more run a side with the scheduler's task stream recorded, for where the
            # time goes; not among the timed runs (the recording costs the scheduler
            # about 0.15 s of CPU a run, which on the two-worker side comes off the workers)
            # A client of our own on each scheduler reads its task stream; made only now:
            # a client polls its scheduler (identity every 2 s, heartbeat every 5 s), work
            # in this process that a job's own process does not have.
            watch = {n: Client(c) for n, c in clusters.items()}
            for n in (1, 2):
                out = root / f"trace-{n}w"
                html = args.trace / f"task-stream-{n}w.html" if args.trace else None
                with paused(pids[3 - n]), get_task_stream(
                        client=watch[n], plot="save" if html else False,
                        filename=str(html)) as stream:
                    seconds, _, windows = timed_run(
                        job, base / "model", out, clusters[n].scheduler_address)
                hashes.add(cube_sha256(out))
                where[n] = where_time_goes(stream.data, windows, n)
                print(f"traced run workers={n}: {seconds:.2f} s", flush=True)
                shutil.rmtree(out, ignore_errors=True)
            per_task = overhead_ms(watch[2])
            slowest = max(CHUNK_STAGES, key=lambda k: statistics.median(stage_times[2][k]))
            if not args.no_profile:
                profile_stage(job, base / "model", root / "profile", slowest,
                              clusters[2].scheduler_address, args.trace)
            for client in watch.values():
                client.close()
        finally:
            for cluster in clusters.values():
                cluster.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    speedup = one / two
    cells = int(size / 10) ** 2
    print(f"scene {size:g} m ({cells} cells per band, chunks {chunk}), "
          f"stages {CHUNK_STAGES}, "
          f"{repeats} runs per side, alternating; cores: {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"median 1 worker {one:.2f} s, 2 workers {two:.2f} s")
    per_stage = {}
    for name in CHUNK_STAGES:
        a = statistics.median(stage_times[1][name])
        b = statistics.median(stage_times[2][name])
        per_stage[name] = a / b
        print(f"  {name}: 1 worker {a:.2f} s, 2 workers {b:.2f} s, speedup {a / b:.2f}")
    if len(hashes) != 1:
        raise SystemExit(f"the runs' cubes differ ({len(hashes)} different hashes): "
                         "a stage's output depends on the worker count or the run")
    digest = hashes.pop()
    print(f"cube chunks sha256 {digest} (every run, both sides)")
    print("CPU seconds per run (median): workers' processes, this process (the job's "
          "client and the embedded scheduler), of it the main thread (the stages' serial "
          "work):")
    for n in (1, 2):
        w, proc, main_thread = (statistics.median(c[i] for c in cpu[n]) for i in range(3))
        print(f"  {n} worker{'s' * (n > 1)}: workers {w:.2f} s, job process {proc:.2f} s "
              f"(main thread {main_thread:.2f} s, scheduler and client threads "
              f"{proc - main_thread:.2f} s), wall {statistics.median(times[n]):.2f} s")
    print("where the time goes (task stream of a traced run of each side):")
    for n in (1, 2):
        print_where(f"{n} worker{'s' * (n > 1)}", where[n])
    if args.trace:
        print(f"task streams (the dashboard's plot): {args.trace}/task-stream-1w.html, "
              "task-stream-2w.html")
    print(f"RESULT scale speedup_2_workers={speedup:.2f} overhead_ms_per_task={per_task:.2f} "
          + " ".join(f"speedup_{k}={v:.2f}" for k, v in per_stage.items())
          + f" cube_sha256={digest[:16]} load={os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
