"""Fault round 21: what round 20 left (a file published in a worker never checked the
output lock, a hung task held the job for ever) and faults around a run's last moments
(the folders a stage set aside still being removed as the lock was let go)
(``docs/robustness.md``, "Round 21").

Real processes and files throughout: the session's dask cluster and its worker
processes, a real second writer of the lock file, the ``prospect`` CLI in this process.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest

from .conftest import Sandbox, assert_clean_error

_OTHER_JOB = {"pid": 31337, "host": "node-17.cluster.example", "token": "f" * 32,
              "started": "2026-12-03T07:00:00+00:00", "beat": 0}
"""A lock record of another host's job (no shared ``flock``), as it writes it."""


# -- 1. a file published in a worker checks the output lock --------------------------------

def _publish_in_worker(path: str) -> str:
    """A task: publish a small file at ``path`` the way the score stage publishes its
    COGs on a worker (:func:`prospect.io.files.staged_file`)."""
    from prospect.io.files import staged_file

    with staged_file(path) as tmp:
        Path(tmp).write_bytes(b"a map")
    return "published"


def test_a_file_a_worker_publishes_checks_the_output_lock(tmp_path: Path,
                                                          scheduler: str) -> None:
    """Another host's job took ``-o`` (its record in the lock file; no shared ``flock``):
    the job's own publishes were refused at once (round 20), but a file published by a
    worker process (score's COGs) was renamed over the other job's map, since a worker
    holds no lock. Each worker of the job's cluster now checks the job's lock record
    before it publishes under ``-o``: refused with the other job named, nothing there."""
    from distributed import Client

    from pipelines.lock import lock_on_workers, output_lock
    from prospect.errors import OutputBusyError

    out = tmp_path / "out"
    out.mkdir()
    mine, theirs = out / "score" / "mine.tif", out / "score" / "theirs.tif"
    with pytest.raises(OutputBusyError), output_lock(out), Client(scheduler) as client, \
            lock_on_workers(client, out):
        assert client.submit(_publish_in_worker, str(mine), pure=False).result(60) == \
            "published"  # the job's own record: published as before
        (out / ".prospect.lock").write_text(json.dumps(_OTHER_JOB))
        refused = client.submit(_publish_in_worker, str(theirs), pure=False)
        with pytest.raises(OutputBusyError, match=r"pid 31337 on node-17\.cluster\.example"):
            refused.result(60)
    assert mine.read_bytes() == b"a map"
    assert not theirs.exists()
    assert not [p for p in theirs.parent.iterdir() if p.name.startswith(".")]
    with Client(scheduler) as client:  # the job over, its workers no longer check
        assert client.submit(_publish_in_worker, str(theirs), pure=False).result(60) == \
            "published"


def test_a_job_stopped_by_its_heartbeat_leaves_no_lock_check_on_the_workers(
        tmp_path: Path, scheduler: str) -> None:
    """The heartbeat stops a job that lost ``-o`` by interrupting its main thread wherever
    it is; the workers' lock check was taken back only when the ``with`` block ended
    normally, so an interrupt inside it left the check on the cluster's workers, and a
    cluster that outlives the job (``--scheduler``, this session's) refused every later
    publish in that directory (the round's first test failed so, one run in five under
    load). The check is now taken back however the job ends."""
    from distributed import Client

    from pipelines.lock import lock_on_workers, output_lock
    from prospect.errors import OutputBusyError

    out = tmp_path / "out"
    out.mkdir()
    later = out / "score" / "later.tif"
    with pytest.raises(OutputBusyError, match=r"pid 31337"), output_lock(out), \
            Client(scheduler) as client, lock_on_workers(client, out):
        (out / ".prospect.lock").write_text(json.dumps(_OTHER_JOB))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the heartbeat's read-back stops this loop
            time.sleep(0.05)
        pytest.fail("the heartbeat did not stop the job that lost its directory")
    (out / ".prospect.lock").unlink()  # the other job over, its directory free
    with Client(scheduler) as client:
        plugins = client.run(lambda dask_worker: sorted(dask_worker.plugins))
        assert not [n for names in plugins.values() for n in names
                    if n.startswith("prospect-lock-")], plugins
        assert client.submit(_publish_in_worker, str(later), pure=False).result(60) == \
            "published"
    assert later.read_bytes() == b"a map"


# -- 2. what a stage set aside is removed before the lock is let go ------------------------

def test_what_a_stage_set_aside_is_gone_before_another_job_takes_the_directory(
        tmp_path: Path) -> None:
    """A stage's published leftovers (ingest's chunk marks, a score's partial maps) are
    moved into ``.cube.zarr.old-<hex>`` and removed by a thread after the stage returns;
    the lock was let go before that thread was done (the interpreter joined it only on
    its way out), so the next job on the directory (a notebook's next run, a library
    caller's, another process) took it while the folder vanished under it, and its sweep
    reported this job's removal as "left by an interrupted run". The lock now waits for
    the removals: once it is released, nothing of them is left."""
    from pipelines.lock import output_lock
    from prospect.io.cube import removed_later

    out = tmp_path / "out"
    out.mkdir()
    with output_lock(out), removed_later(out / "cube.zarr") as leftovers:
        for i in range(8):  # 320 files: the thread is still removing them at the check
            marks = leftovers / f"var{i}" / "done"
            marks.mkdir(parents=True)
            for j in range(40):
                (marks / f"{j}.0").touch()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".cube.zarr.old-")]
    assert not [t for t in threading.enumerate() if t.name == "prospect-removal"]


# -- 3. a hung task stops its stage, named --------------------------------------------------

def _step(i: int, release: str) -> int:
    """A task: quick, except the one given ``i == -1``, which waits (a read that never
    returns) until the file ``release`` exists (at most a minute)."""
    if i == -1:
        deadline = time.monotonic() + 60
        while not Path(release).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return i


def test_a_task_that_hangs_stops_its_stage_naming_the_task(tmp_path: Path,
                                                           scheduler: str) -> None:
    """A worker that hung on a task (an NFS read that never returns, a deadlock) held
    the job until someone stopped it, saying nothing; a batch job used its whole time
    limit. A task that runs many times as long as the slowest finished task of its kind
    (and ten minutes: here one second) stops the stage, naming the task, its worker and
    how long, with what to do; the main thread is woken where it waits for results."""
    from distributed import Client

    from pipelines.cluster import StallWatch
    from pipelines.faults import Interrupted, interruptible_main_thread

    release = tmp_path / "release"
    with Client(scheduler) as client:
        watch = StallWatch(client, "ingest", every=0.2, floor=1.0, factor=10.0)
        try:
            with pytest.raises(Interrupted), interruptible_main_thread(), watch:
                quick = client.map(_step, range(6), release=str(release), pure=False)
                assert client.gather(quick) == list(range(6))
                hung = client.submit(_step, -1, str(release), pure=False)
                started = time.monotonic()
                hung.result(timeout=50)
            assert time.monotonic() - started < 20
        finally:
            release.touch()
    assert watch.stalled is not None
    assert hung.key in watch.stalled and "on worker tcp://" in watch.stalled, watch.stalled
    assert "6 finished task(s) of its kind" in watch.stalled, watch.stalled
    line = str(watch.error())
    assert line.startswith("ingest: task ") and "looks hung" in line, line
    assert "run the same command again" in line and "PROSPECT_TASK_TIMEOUT" in line, line


@pytest.mark.parametrize("value", ["-5", "soon", "0"])
def test_a_task_timeout_that_is_no_number_of_seconds_is_refused(
        monkeypatch: pytest.MonkeyPatch, value: str, sandbox: Sandbox, cli) -> None:
    """``PROSPECT_TASK_TIMEOUT`` is read as the other limits are: a whole number of
    seconds above 0, else one line naming it, its value and how to unset it, before
    anything starts (exit 2, no ``-o``)."""
    from pipelines.cluster import StallWatch
    from prospect.errors import ConfigError

    monkeypatch.setenv("PROSPECT_TASK_TIMEOUT", value)
    with pytest.raises(ConfigError, match=rf"PROSPECT_TASK_TIMEOUT='{value}'.*unset it"):
        StallWatch(None, "train")
    refused = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(refused, 2, f"PROSPECT_TASK_TIMEOUT='{value}'", "unset it")
    assert not sandbox.out.exists()
    monkeypatch.setenv("PROSPECT_TASK_TIMEOUT", "30")
    watch = StallWatch(None, "train")
    now = {"running": [("fit-1", "fit", "tcp://w:1", 31.0), ("fit-2", "fit", "tcp://w:2", 5.0)],
           "kinds": {}}
    assert watch.judge(now) \
        == "task fit-1 has run 31 s on worker tcp://w:1, over PROSPECT_TASK_TIMEOUT=30 s"
    assert watch.judge({"running": [("fit-2", "fit", "tcp://w:2", 29.0)]}) is None


def test_a_gather_given_up_by_a_stop_prints_no_asyncio_traceback(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stage stopped while it gathered results (a hung task named, a stop): asyncio
    printed "Task exception was never retrieved" and the traceback of distributed's
    ``AllExit`` (the sentinel of a gather given up) above the job's one line."""
    from distributed.client import AllExit

    from pipelines.cluster import _quiet_logs

    monkeypatch.delenv("PROSPECT_DEBUG", raising=False)
    _quiet_logs()  # what every job client's set-up does
    try:
        raise AllExit()
    except AllExit as exc:
        logging.getLogger("asyncio").error("Task exception was never retrieved",
                                           exc_info=(AllExit, exc, exc.__traceback__))
    logging.getLogger("asyncio").error("another asyncio error")  # control: still said
    said = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert said == ["another asyncio error"], said


# -- 4. a helper thread stops the job where SIGINT is ignored --------------------------------

def test_a_job_that_lost_its_directory_stops_where_sigint_is_ignored(tmp_path: Path) -> None:
    """A command a batch script starts in the background has SIGINT ignored (bash without
    job control; ``cluster/prospect-job.sbatch`` runs ``prospect run &``). The lock's
    heartbeat stopped the job with ``_thread.interrupt_main()``, which runs the SIGINT
    handler: there, nothing; the job ran on until its next publish, and one blocked in a
    wait was not woken. It is stopped at once now, naming the other job."""
    import signal

    from pipelines.faults import interruptible_main_thread
    from pipelines.lock import output_lock
    from prospect.errors import OutputBusyError

    out = tmp_path / "out"
    out.mkdir()
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        started = time.monotonic()
        with pytest.raises(OutputBusyError, match="pid 31337"), interruptible_main_thread(), \
                output_lock(out):
            (out / ".prospect.lock").write_text(json.dumps(_OTHER_JOB))
            threading.Event().wait(20)  # a stage waiting for its tasks
        assert time.monotonic() - started < 5
    finally:
        signal.signal(signal.SIGINT, before)


def test_the_clock_set_forward_does_not_make_running_tasks_hung() -> None:
    """The workers time a running task by the wall clock: the system clock stepped a day
    forward mid-stage (an NTP step after a suspended VM; run for real with libfaketime:
    the job finished, exit 0) made a four-second task a day old, and the hang watch
    would have stopped a healthy stage. Tasks are aged on the job's monotonic clock."""
    from pipelines.cluster import StallWatch

    watch = StallWatch(None, "ingest", floor=1.0, factor=10.0)
    kinds = {"work": [20, 0.05]}
    a_day = {"running": [("work-7", "work", "tcp://w:1", 86_400.0)], "kinds": kinds}
    assert watch.judge(watch._timed(a_day)) is None
    time.sleep(0.2)
    assert watch.judge(watch._timed(a_day)) is None  # still young on this clock
    assert watch._began.keys() == {"work-7"}
    watch._timed({"running": [], "kinds": kinds})  # finished: forgotten
    assert not watch._began


# -- 5. the output directory removed between two stages -------------------------------------

@pytest.mark.parametrize("given", ["folder", "link"])
def test_an_output_directory_removed_between_stages_is_said_not_made_again(
        tmp_path: Path, given: str) -> None:
    """``-o`` (or the folder a link given as ``-o`` points to) deleted as a stage ended
    (run for real: removed after ingest returned): the manifest write made the folder
    again and recorded ingest done with its cube gone, the next stage said "no cube
    yet; run 'prospect ingest'" (exit 1), and the new folder had no lock for the rest of
    the run. The next write or publish now says the directory was removed (exit 74)
    and writes nothing; the same command then resumes (checked with the CLI)."""
    import shutil

    from pipelines.lock import check_held, output_lock, publish_check
    from pipelines.runner import prepare_out_dir
    from prospect.errors import OutputWriteError

    target = tmp_path / "target"
    target.mkdir()
    out = target
    if given == "link":
        out = tmp_path / "link"
        out.symlink_to(target)
    out = prepare_out_dir(out)
    with output_lock(out):
        check_held(out)  # its own, in place: nothing to say
        shutil.rmtree(target)
        with pytest.raises(OutputWriteError, match="removed while the job ran, or replaced") \
                as said:
            check_held(out)
        assert said.value.exit_code == 74
        with pytest.raises(OutputWriteError):
            publish_check(out / "cube.zarr" / "heat")
        assert not target.exists()  # nothing made again
        target.mkdir()  # another folder in its place: not the one the job locked
        with pytest.raises(OutputWriteError):
            check_held(out)
