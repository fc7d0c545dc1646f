"""Fault round 24: a stop or a helper thread's interrupt that lands while the job is
already unwinding or starting (``docs/robustness.md``, "Round 24").

Real signals (``os.kill`` of this process or of a child), a real dask ``LocalCluster``
and the real output lock on a temporary folder; each interleaving is forced by calling
the real step and sending the signal from inside it.

No raster or table is made here; the folders and files are SYNTHETIC.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO

# -- 1. a stop while the job waits for the removals it set aside -------------------------------


def _heartbeats() -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t.name == "prospect-lock-heartbeat" and t.is_alive()]


def test_a_stop_while_the_job_waits_for_its_removals_ends_the_heartbeat(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (a real SIGINT) met in the output lock's wait for the folders a stage set
    aside skipped the heartbeat's stop: its thread beat on after the job into whichever
    file next took the lock's closed descriptor number (a library caller's, a notebook's
    next file: overwritten with the lock's JSON), and the record was never marked
    released; finding the reused descriptor another file, it took -o for replaced and
    interrupted the caller's main thread later (a stray Ctrl-C). SYNTHETIC folder."""
    import prospect.io.cube as cube
    from pipelines import lock
    from pipelines.faults import stop_signals_interrupt

    monkeypatch.setattr(lock, "HEARTBEAT", 0.05)
    monkeypatch.setattr(lock, "SETTLE", 0.01)

    def ctrl_c_while_waiting() -> None:  # the real wait has nothing to wait for here
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(2)

    monkeypatch.setattr(cube, "removals_done", ctrl_c_while_waiting)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt), stop_signals_interrupt(), \
            lock.output_lock(out) as writable:
        assert writable
        time.sleep(0.1)
    victim = tmp_path / "notes.txt"  # the next file this process opens: the lock's old fd
    fd = os.open(victim, os.O_RDWR | os.O_CREAT, 0o644)
    interrupted = False
    try:
        os.write(fd, b"a user's own file\n")
        time.sleep(0.4)  # several beats
        written = os.pread(fd, 100, 0)
    except KeyboardInterrupt:  # the stray heartbeat took the file for -o replaced
        interrupted, written = True, os.pread(fd, 100, 0)
    finally:
        os.close(fd)
    assert not interrupted, "a heartbeat left running interrupted the caller after the job"
    assert written == b"a user's own file\n"
    assert not _heartbeats()
    assert json.loads((out / lock.LOCK_FILE).read_text()).get("released")
    assert os.path.realpath(out) not in lock._HELD


# -- 2. a stop in the client's close ------------------------------------------------------------


def _in_process_cluster() -> Any:
    from distributed import LocalCluster

    return LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                        dashboard_address=None)


@pytest.mark.parametrize("kind", ["local", "slurm"])
def test_a_stop_in_the_clients_close_still_closes_its_cluster(
        monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """A stop (a real SIGINT: Ctrl-C, or SIGTERM as a batch system's grace period begins,
    which unwinds the same) met while the
    job's client closed skipped the close of its cluster: a SLURM cluster's worker jobs
    held their nodes to their wall time, the embedded cluster outlived a library caller's
    job. The cluster here is a real in-process ``LocalCluster`` standing in for the
    embedded one and for the batch system's (whose close cancels its jobs)."""
    import distributed

    from pipelines import cluster as cl
    from pipelines.faults import stop_signals_interrupt

    made: list[Any] = []

    def start(*args: Any, **kwargs: Any) -> Any:
        made.append(_in_process_cluster())
        return made[-1]

    if kind == "local":
        monkeypatch.setattr(cl, "local_cluster", start)
    else:
        monkeypatch.setattr(cl, "check_engine", lambda **kw: None)
        monkeypatch.setattr(cl, "_scaled_jobqueue_cluster", lambda k: (start(), {}))
        monkeypatch.setattr(cl, "_wait_for_workers", lambda *a: None)
    real_close = distributed.Client.close

    stops: list[int] = []

    def close_then_stop(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = real_close(self, *args, **kwargs)
        # once, and only in the close of this test's client: an earlier test's client
        # collected meanwhile (Client.__del__ closes it) sent the stop before the cluster
        # had started, in one CI run under load
        if not stops and made and getattr(self, "cluster", None) is made[0]:
            stops.append(signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(2)  # the stop lands here, in the close
        return result

    gc.collect()  # earlier tests' clients closed now, not in the patched close
    monkeypatch.setattr(distributed.Client, "close", close_then_stop)
    try:
        with pytest.raises(KeyboardInterrupt), stop_signals_interrupt(), \
                cl.dask_client(workers=1, cluster=None if kind == "local" else kind):
            pass
        assert made and made[0].status.name == "closed"
    finally:
        for c in made:
            c.close()


# -- 3. a stop while the embedded cluster starts ------------------------------------------------

_START_SCRIPT = """
import multiprocessing, os, signal, threading, time
from pipelines.faults import stop_signals_interrupt
from pipelines.cluster import local_cluster

def stop_once_a_worker_spawned():
    while not multiprocessing.active_children():
        time.sleep(0.02)
    time.sleep(0.3)
    os.kill(os.getpid(), signal.SIGINT)

if __name__ == "__main__":
    threading.Thread(target=stop_once_a_worker_spawned, daemon=True).start()
    try:
        with stop_signals_interrupt():
            cluster = local_cluster(2)
            print("started", flush=True)
            time.sleep(30)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    time.sleep(1)
    print("left", len(multiprocessing.active_children()), flush=True)
"""


def test_a_stop_while_the_embedded_cluster_starts_leaves_no_worker_nor_traceback(
        tmp_path: Path) -> None:
    """Ctrl-C (a real SIGINT) while the embedded cluster's workers started: the start went
    on in dask's event loop, the worker processes outlived the stop (a library caller's,
    a notebook's), and at the process's end distributed's exit hook printed a 30-line
    traceback (``AssertionError: Status.closing_gracefully``) under the stop's line."""
    script = tmp_path / "start.py"
    script.write_text(_START_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env=env, cwd=tmp_path)
    assert "stopped" in done.stdout, done.stdout + done.stderr
    assert "left 0" in done.stdout, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr


# -- 4. the hang watch's interrupt after its stage ended ----------------------------------------


class _LooksHung:
    """A stand-in client whose scheduler reports one task running for a day (SYNTHETIC)."""

    status = "running"

    def run_on_scheduler(self, fn: Any) -> dict[str, Any]:
        return {"running": [("x-1", "x", "tcp://127.0.0.1:1", 86400.0)], "kinds": {}}


def test_the_hang_watchs_interrupt_never_lands_after_its_stage_ended(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The hang watch judged a task hung, then the stage ended before it stopped the main
    thread: its interrupt landed after the watch's block (the finished stage's manifest
    record, the next stage), where nothing said why: "interrupted", exit 130, and the
    finished stage not recorded. The interleaving is forced by delaying the watch's
    interrupt past the end of the stage and the watch's two-second join."""
    from pipelines import faults
    from pipelines.cluster import StallWatch
    from pipelines.faults import Interrupted, interruptible_main_thread

    real = faults.interrupt_main_thread
    watch = StallWatch(_LooksHung(), "score", every=0.05)  # type: ignore[arg-type]
    watch.timeout = 0.001  # PROSPECT_TASK_TIMEOUT: the task is hung at the first look

    def late() -> None:
        watch._stop.wait(1.0)  # the stage ends now
        time.sleep(2.5)  # past the watch's join
        real()

    monkeypatch.setattr(faults, "interrupt_main_thread", late)
    ended, where = False, "nowhere"
    with interruptible_main_thread():
        try:
            with watch:
                time.sleep(0.3)  # the stage's last task ends as the watch looks
            ended = True
            time.sleep(4)  # the job goes on: the stage's record, the next stage
        except Interrupted:
            where = "after its stage ended" if ended else "in its stage"
    assert watch.stalled is not None
    assert where == "in its stage", f"the hang watch stopped the job {where}"
