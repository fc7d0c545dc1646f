"""The demo job on a real loopback cluster: identical outputs to a local run, surviving a
SIGKILLed worker, a SIGKILLed job and a lost scheduler."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import (
    LoopbackCluster,
    Reference,
    assert_identical,
    cli_job,
    kill_group,
    read_manifest,
    stage_status,
    start_cluster,
    tile_digests,
)
from rich.console import Console

from pipelines.runner import run_job

pytestmark = [pytest.mark.cluster, pytest.mark.integration]

QUIET = Console(stderr=True, quiet=True)


class WorkerKiller(threading.Thread):
    """SIGKILLs the busiest worker once each stage in ``stages`` is running on the cluster."""

    def __init__(self, cluster: LoopbackCluster, out: Path, stages: list[str]) -> None:
        super().__init__(daemon=True)
        self.cluster, self.out, self.todo = cluster, out, list(stages)
        self.kills: list[dict[str, Any]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with self.cluster.client() as client:
            while self.todo and not self.stop.is_set():
                stage = self.todo[0]
                if stage_status(self.out, stage) == "running":
                    busy = {w: len(keys) for w, keys in client.processing().items() if keys}
                    if busy:
                        victim = max(busy, key=lambda w: busy[w])
                        pid = client.run(os.getpid, workers=[victim])[victim]
                        os.kill(pid, signal.SIGKILL)
                        self.kills.append({"stage": stage, "worker": victim, "pid": pid,
                                           "processing": busy[victim]})
                        self.todo.pop(0)
                        continue
                time.sleep(0.02)


def test_demo_job_on_loopback_cluster_matches_local_run_despite_worker_kills(
    demo_reference: Reference, two_workers: LoopbackCluster, tmp_path: Path,
) -> None:
    """The demo job on ``dask scheduler`` + two ``dask worker`` processes gives the local
    run's arrays, even with a worker SIGKILLed in the middle of ingest and of score."""
    out = tmp_path / "out"
    killer = WorkerKiller(two_workers, out, ["ingest", "score"])
    killer.start()
    try:
        results = run_job(demo_reference.job, out, scheduler=two_workers.address,
                          console=QUIET)
    finally:
        killer.stop.set()
        killer.join(timeout=10)
    assert [r.name for r in results] == ["ingest", "indices", "train", "score", "tiles"]
    assert [k["stage"] for k in killer.kills] == ["ingest", "score"], killer.kills
    assert all(k["processing"] >= 1 for k in killer.kills)
    assert_identical(out, demo_reference)
    manifest = read_manifest(out)
    assert manifest["workers"] == 2
    assert manifest["engine"]["scheduler"] == two_workers.address
    assert manifest["engine"]["dashboard"], "the scheduler's dashboard address is recorded"
    assert demo_reference.manifest["engine"]["cluster"] == "local"
    for name in ("ingest", "indices", "train", "score", "tiles"):
        stage = manifest["stages"][name]
        assert stage["status"] == "done" and stage["seconds"] > 0
    # every stage's tasks are counted on the scheduler: ingest is one per chunk (each
    # writes that chunk of every layer)
    assert manifest["stages"]["ingest"]["cluster"]["tasks"] >= 4
    assert manifest["stages"]["score"]["cluster"]["tasks"] >= 4
    # the CV folds and the final fit are cluster tasks; the identical probability arrays
    # above show the cluster-trained model is the local one
    assert manifest["stages"]["train"]["cluster"]["tasks"] >= 4
    # the pyramids are rendered by the cluster's workers too, tile for tile as locally
    assert manifest["stages"]["tiles"]["cluster"]["tasks"] >= 2
    tiles = tile_digests(out)  # the pyramids hold the data's zooms (13 for this 1 km area)
    assert {p.split("/")[0] for p in tiles if p.count("/") == 3} == {"probability",
                                                                     "uncertainty"}
    assert tiles == tile_digests(demo_reference.out)
    inputs = manifest["inputs"]
    assert inputs and all(len(v["sha256"]) == 64 for v in inputs.values())
    assert {"python", "dask", "distributed", "zarr"} <= set(manifest["versions"])
    with two_workers.client() as client:  # the killed processes were really gone
        client.wait_for_workers(2, timeout=60)
        alive = client.run(os.getpid)
    assert not {k["pid"] for k in killer.kills} & set(alive.values())


def _wait_for(predicate: Any, proc: Any, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"the job ended (rc {proc.returncode}) before {what}: "
                                 f"{proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_job_sigkilled_mid_run_resumes_and_skips_finished_stages(
    demo_reference: Reference, two_workers: LoopbackCluster, tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    proc = cli_job(demo_reference.job, out, "--scheduler", two_workers.address)
    _wait_for(lambda: stage_status(out, "score") == "running", proc, "score started")
    # frozen, then looked at again: the state seen is the state killed
    os.killpg(proc.pid, signal.SIGSTOP)
    assert stage_status(out, "score") == "running", "score finished before the job was frozen"
    kill_group(proc)
    before = read_manifest(out)
    assert before["stages"]["score"]["status"] == "running"
    finished = [s for s in ("ingest", "indices", "train")
                if before["stages"][s]["status"] == "done"]
    assert finished == ["ingest", "indices", "train"]

    results = run_job(demo_reference.job, out, scheduler=two_workers.address, console=QUIET)
    manifest = read_manifest(out)
    run = manifest["runs"][-1]
    assert [s["stage"] for s in run["skipped"]] == finished
    assert all("finished in run" in s["reason"] for s in run["skipped"])
    assert run["ran"] == ["score", "tiles"]
    assert [r.name for r in results if r.skipped] == finished
    assert manifest["stages"]["score"]["status"] == "done"
    # the killed run's entry, found still "running" by the resume, is recorded so (round 28)
    assert len(manifest["runs"]) == 2 and manifest["runs"][0]["status"] == "unrecorded"
    assert_identical(out, demo_reference)

    # --force recomputes what resuming skipped
    forced = run_job(demo_reference.job, out, stages=["ingest"], force=True,
                     scheduler=two_workers.address, console=QUIET)
    assert forced[0].name == "ingest"
    last = read_manifest(out)["runs"][-1]
    assert last["ran"] == ["ingest"] and last["skipped"] == []
    assert last["reasons"] == {"ingest": "forced"}
    # ... and everything downstream of the recomputed ingest is stale now
    run_job(demo_reference.job, out, stages=["indices"], scheduler=two_workers.address,
            console=QUIET)
    assert read_manifest(out)["runs"][-1]["ran"] == ["indices"]
    assert read_manifest(out)["runs"][-1]["reasons"] == {
        "indices": "ingest was recomputed after it"}


def test_scheduler_loss_gives_clear_error_and_resumable_state(
    demo_reference: Reference, two_workers: LoopbackCluster, tmp_path: Path,
) -> None:
    private = start_cluster(tmp_path / "private", n_workers=1)
    out = tmp_path / "out"
    try:
        proc = cli_job(demo_reference.job, out, "--scheduler", private.address)
        _wait_for(lambda: stage_status(out, "indices") == "done"
                  and stage_status(out, "train") == "running", proc, "train started")
        private.scheduler.send_signal(signal.SIGKILL)
        private.scheduler.wait(timeout=10)
        _, err = proc.communicate(timeout=120)
    finally:
        private.stop()
    text = err.decode()
    assert proc.returncode == 1, text[-2000:]
    # the address the run began with (a client that lost its scheduler said "at ?"), and
    # no distributed log line above it ("Failed to reconnect to scheduler after 10.00 s")
    assert f"lost the dask scheduler at {private.address}" in text and "'train'" in text
    assert "Failed to reconnect" not in text and "distributed.client" not in text, text[-2000:]
    assert "run the same command again to resume" in text
    assert "Traceback" not in text
    manifest = read_manifest(out)
    assert manifest["stages"]["ingest"]["status"] == "done"
    assert manifest["stages"]["train"]["status"] == "failed"

    results = run_job(demo_reference.job, out, scheduler=two_workers.address, console=QUIET)
    assert [r.name for r in results if r.skipped] == ["ingest", "indices"]
    assert_identical(out, demo_reference)
