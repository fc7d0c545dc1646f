"""Helpers of the cluster tests: a loopback cluster of real ``dask`` processes, the small
demo job, manifest reading and process control."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).with_name("dask")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class LoopbackCluster:
    """A scheduler and its workers, each a process this test session started."""

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: Path | None = None

    def client(self) -> Any:
        from distributed import Client

        return Client(self.address, timeout="20s", set_as_default=False)

    def wait_for_workers(self, n: int, timeout: float = 60.0) -> None:
        """Block until ``n`` workers are connected (a killed worker's nanny restarts it)."""
        with self.client() as c:
            c.wait_for_workers(n, timeout=timeout)

    def stop(self) -> None:
        """Terminate the processes this fixture started (workers first), by their ids."""
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def start_cluster(root: Path, *, n_workers: int = 2, wait: bool = True) -> LoopbackCluster:
    """Start ``dask scheduler`` and ``n_workers`` ``dask worker`` processes on 127.0.0.1.

    ``wait=False`` returns once the scheduler is up, while the workers still start.
    """
    root.mkdir(parents=True, exist_ok=True)
    sched_file = root / "scheduler.json"
    log = open(root / "scheduler.log", "wb")  # noqa: SIM115 (lives as long as the process)
    scheduler = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(sched_file)],
        stdout=log, stderr=subprocess.STDOUT, env=_env(), cwd=REPO,
    )
    deadline = time.monotonic() + 60
    while not sched_file.is_file():
        if scheduler.poll() is not None or time.monotonic() > deadline:
            scheduler.kill()
            raise RuntimeError(f"dask scheduler did not start; see {root / 'scheduler.log'}")
        time.sleep(0.1)
    time.sleep(0.2)  # the file is written before it is complete on slow disks
    address = json.loads(sched_file.read_text())["address"]
    cluster = LoopbackCluster(address=address, scheduler=scheduler, logs=root)
    for i in range(n_workers):
        wlog = open(root / f"worker{i}.log", "wb")  # noqa: SIM115
        cluster.workers.append(subprocess.Popen(
            [str(DASK), "worker", address, "--nthreads", "1", "--nworkers", "1",
             "--memory-limit", "1.5GiB", "--name", f"loopback-{i}", "--no-dashboard",
             "--local-directory", str(root / f"worker{i}"), "--death-timeout", "60"],
            stdout=wlog, stderr=subprocess.STDOUT, env=_env(), cwd=REPO,
        ))
    if wait:
        try:
            cluster.wait_for_workers(n_workers, timeout=90)
        except Exception:
            cluster.stop()
            raise
    return cluster


# -- the demo job, small and quick --------------------------------------------------------------

FAST_MODEL = {"params": {"n_estimators": 24}, "permutation_repeats": 0,
              "partial_dependence": 0, "uncertainty_members": 2}


FEATURES = sorted([
    "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12", "heatflow",
    "geology", "geology_dist_contact", "geology_dist_fault", "NDVI", "CLAY_HYDROXYL",
    "FERROUS_IRON",
])


def write_demo_job(root: Path, *, size_m: float = 1000.0, seed: int = 3) -> Path:
    """The demo job (every stage, synthetic Bonaire scene) on a small area.

    Only the model settings differ from ``prospect demo``'s: fewer trees, no permutation
    importance or partial-dependence plots, spatial CV blocks that fit the area, one CV
    seed, and the feature list written out.
    """
    from prospect.testing import demo_grid, make_scene

    scene = make_scene(root / "scene", grid=demo_grid("bonaire", size_m=size_m,
                                                      chunks=(50, 50)),
                       seed=seed, n_wells=80)
    path = scene.job_config(root / "job.yaml", max_zoom=13)
    job = yaml.safe_load(path.read_text())
    job["model"].update(FAST_MODEL)
    # Pinned, because the default feature order follows the cube's listing order, which
    # varies between runs (reported to the lead: sort in default_feature_variables).
    job["model"]["features"] = FEATURES
    # one CV seed: these runs check identical outputs and faults, not skill (five seeds
    # were 50 train tasks and ~7 s of each of the ~8 runs of this job)
    job["model"]["cv"].update({"n_splits": 3, "block_size": 300.0, "seeds": 1})
    path.write_text("# SYNTHETIC demo job (small) for the cluster tests\n"
                    + yaml.safe_dump(job, sort_keys=False))
    return path


@dataclass
class Reference:
    """The demo job and the array checksums of its cube after a local run."""

    job: Path
    out: Path
    checksums: dict[str, str]
    manifest: dict[str, Any]


def read_manifest(out: Path) -> dict[str, Any]:
    """The run manifest (empty while none was written)."""
    try:
        return json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}


def stage_status(out: Path, stage: str) -> str | None:
    """Status of ``stage`` in the manifest of ``out`` (``running``, ``done``...)."""
    return read_manifest(out).get("stages", {}).get(stage, {}).get("status")


def cli_job(job: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    """``prospect run JOB --out OUT ...`` as its own process group."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", str(job), "--out", str(out), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=REPO,
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started by :func:`cli_job` and its children."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def assert_identical(out: Path, ref: Reference) -> None:
    """The cube in ``out`` holds the local run's arrays, byte for byte."""
    from prospect.testing import array_checksums

    got = array_checksums(out / "cube.zarr")
    assert set(got) == set(ref.checksums), "the cube has other arrays than the local run's"
    differ = sorted(name for name in got if got[name] != ref.checksums[name])
    assert not differ, f"arrays differ from the local run: {differ}"


def tile_digests(out: Path) -> dict[str, str]:
    """sha256 of each PNG tile under ``out/tiles``."""
    root = out / "tiles"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.png"))}


def map_digests(out: Path) -> dict[str, str]:
    """sha256 of the maps (``score/*.tif``, quicklooks) and every file under ``tiles/``."""
    files = [*(out / "score").glob("*.tif"), *(out / "score").glob("*.png"),
             *(p for p in (out / "tiles").rglob("*") if p.is_file())]
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(files)}
