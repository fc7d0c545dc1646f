"""Round 61, faults: a task whose workers kept dying on a cluster of other processes
(``--scheduler``, ``--cluster slurm|pbs``, Kubernetes) was said "out of memory?" of any
death; a stage that failed or was stopped, and a run, kept no duration but two clock
stamps, which a clock stepped back put in the wrong order.

Real processes and real faults: a real ``dask scheduler`` and a real ``dask worker``
(with its nanny, 600 MiB) started as a user starts them, the worker carrying a
``sitecustomize`` that sends it SIGSEGV at each chunk rename of ingest's ``heat``; a task
that fills the worker's memory, which its nanny stops (the nanny tells the scheduler:
``worker-restart-memory``); ``prospect ingest --scheduler`` of the corpus's tiny job; a
clock stepped back two hours mid-stage by ``faketime`` (libfaketime, the monotonic clock
left real, as a real clock step leaves it). SYNTHETIC rasters (the corpus's tiny job)
and tasks.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from distributed import Client
from distributed.scheduler import KilledWorker

from pipelines.faults import killed_worker_error

from .conftest import PROSPECT, REPO, Outcome, Sandbox

_KILLER = '''
import json, os, re, time

_KILL = json.loads(os.environ.get("R61_KILL", "null"))
_STEP = os.environ.get("R61_STEP")
_replace = os.replace


def _killing_replace(src, dst, *args, **kwargs):
    pattern, signum = _KILL
    if re.search(pattern, os.fsdecode(os.fspath(src))):
        if _STEP:  # the clock steps back (libfaketime rereads its file): "-2h"
            with open(_STEP, "r+") as clock:
                if clock.read().strip() == "+0":
                    clock.seek(0)
                    clock.write("-2h")
                    clock.truncate()
                    until = time.monotonic() + 3.0  # libfaketime's cache (1 s) runs out;
                    while time.monotonic() < until:  # its sleep() is EINVAL after a step
                        pass
        if signum:
            os.kill(os.getpid(), signum)
    return _replace(src, dst, *args, **kwargs)


if _KILL:
    os.replace = _killing_replace
'''
"""A ``sitecustomize`` that, at each ``os.replace`` of a path matching the pattern of
``$R61_KILL`` (in any process of the job: its workers write the chunks), steps the clock
of ``$R61_STEP`` (a libfaketime file) two hours back, once, and sends the process the
signal of ``$R61_KILL`` (0: none)."""

FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")

CHUNK_TEMP = r"/store/heat/c/\d+/\.\d+\.tmp-[0-9a-f]{8}$"
"""A chunk file's temporary name in the partial store of ingest's ``heat``."""

_TASKS = '''
import os, time


def fill_memory():
    held = []
    for _ in range(100):
        held.append(bytearray(8 * 2**20))
        time.sleep(0.02)
    time.sleep(30)
    return len(held)


def signal_self(signum):
    os.kill(os.getpid(), signum)
'''
"""The tasks, a module of their own (``r61_tasks``) that the scheduler and the worker
import as the test does: a task that fills its worker's memory, and one that sends its
worker a signal."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join([*filter(None, [env.get("PYTHONPATH")]), str(REPO)])
    return env


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``dask scheduler`` (no retries: a task is given up at its first worker's
    death) and one real ``dask worker`` with its nanny (600 MiB, one thread), each its
    own process, as ``--scheduler`` users start them; the worker gets SIGSEGV at each
    chunk rename of ``heat``. Yields the scheduler's address."""
    root = tmp_path_factory.mktemp("r61_remote")
    inject = root / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(_KILLER)
    (inject / "r61_tasks.py").write_text(_TASKS)
    sys.path.insert(0, str(inject))
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = _clean_env()
    env["PYTHONPATH"] = os.pathsep.join([str(root / "tasks"), env["PYTHONPATH"]])
    (root / "tasks").mkdir()
    (root / "tasks" / "r61_tasks.py").write_text(_TASKS)
    env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "0"
    env["DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL"] = "50ms"
    bin_dir = Path(sys.executable).parent
    scheduler = subprocess.Popen(
        [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
         address.rsplit(":", 1)[1], "--no-dashboard"], cwd=root, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker_env = dict(env, R61_KILL=json.dumps([CHUNK_TEMP, int(signal.SIGSEGV)]))
    worker_env["PYTHONPATH"] = os.pathsep.join([str(inject), env["PYTHONPATH"]])
    worker = subprocess.Popen(
        [str(bin_dir / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
         "--memory-limit", "600MiB", "--no-dashboard", "--local-directory", str(root)],
        cwd=REPO, env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        sys.path.remove(str(inject))
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _tasks() -> Any:
    import r61_tasks  # type: ignore[import-not-found]

    return r61_tasks


def _killed(address: str, task: Any, *args: Any, name: str) -> tuple[KilledWorker, str]:
    """The ``KilledWorker`` of ``task`` on the remote cluster, and the run's line for it
    in stage ``score``, as the run makes it (with its client)."""
    with Client(address, timeout=60) as client:
        client.wait_for_workers(1, timeout=60)
        future = client.submit(task, *args, key=f"score-chunk-{name}", pure=False)
        with pytest.raises(KilledWorker) as info:
            future.result(timeout=120)
        err = killed_worker_error(info.value, "score", client=client)
    assert err is not None and "\n" not in str(err)
    return info.value, str(err)


# -- 1. a remote worker's death: a memory stop told from a crash ---------------------------


def test_a_remote_worker_its_nanny_stopped_is_said_stopped_at_its_memory_limit(
        remote: str) -> None:
    """SYNTHETIC task on a ``dask worker`` of its own process (``--scheduler``): a task
    holding 800 MiB, which the worker's nanny stops at 95% of 600 MiB and tells the
    scheduler (``worker-restart-memory``, with the memory in use). Before: "out of
    memory? its memory limit is 0.6 GiB", a guess; now the line says the nanny stopped
    it at its memory limit, with the memory in use, and gives the memory fix."""
    _exc, line = _killed(remote, _tasks().fill_memory, name="memory")
    assert "each died running it (the last: its nanny stopped it at " in line, line
    assert "% of its memory limit (0.6 GiB in use); its memory limit is 0.6 GiB)" in line
    assert "out of memory?" not in line and "Give each worker more memory" in line, line


def test_a_remote_worker_that_crashed_is_not_said_out_of_memory(remote: str) -> None:
    """SYNTHETIC task on a ``dask worker`` of its own process: the worker crashes
    (SIGSEGV); its nanny told the scheduler of no memory stop. Before: "out of memory?
    ... Give each worker more memory"; now the line says it was not stopped at its
    memory limit, that it crashed or was killed, and where to see how it ended."""
    _exc, line = _killed(remote, _tasks().signal_self, int(signal.SIGSEGV), name="crash")
    assert "out of memory?" not in line, line
    assert "(the last: not stopped by its nanny at its memory limit" in line, line
    assert "it crashed (a segmentation fault" in line and "the system's OOM killer" in line
    assert "See how it ended in the worker's own log" in line and "'dmesg'" in line, line


def test_ingest_on_a_scheduler_whose_worker_crashes_names_no_memory(
        remote: str, box: Sandbox) -> None:
    """SYNTHETIC rasters: ``prospect ingest --scheduler`` of the tiny job; the remote
    worker crashes at each chunk write of ``heat``. Before: exit 1 with "(out of memory?
    its memory limit is 0.6 GiB) ... Give each worker more memory"; now the run's one
    line says it was no memory stop, with no traceback."""
    out = box.root.parent / "scheduler_out"
    proc = subprocess.run([*PROSPECT, "ingest", str(box.job_path), "-o", str(out),
                           "--scheduler", remote], capture_output=True, text=True,
                          timeout=300, cwd=REPO, env=_clean_env())
    result = Outcome(proc.returncode, proc.stdout, proc.stderr)
    text = result.out + result.err
    lines = [line for line in text.splitlines() if line.startswith("error:")]
    assert result.code == 1 and "Traceback" not in text and len(lines) == 1, text[-3000:]
    assert "stage ingest: the 1 worker(s) that ran task 'ingest_chunks-" in lines[0]
    assert "not stopped by its nanny at its memory limit" in lines[0], lines[0]
    assert "out of memory?" not in lines[0], lines[0]
    assert box.untouched()


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """The tiny job (``job.yaml``: one raster, ``heat``, ingest alone)."""
    return Sandbox(tmp_path_factory.mktemp("r61") / "box")


# -- controls ---------------------------------------------------------------------------------


def test_control_a_worker_without_a_client_keeps_the_memory_guess() -> None:
    """No client to ask (a caller of the library): the line is round 60's, word for
    word."""
    last: Any = SimpleNamespace(memory_limit=2**30, pid=2**22 + 17, nanny="tcp://x:1")
    text = str(killed_worker_error(KilledWorker("ingest_chunks-1f2e", last, 3), "ingest"))
    assert text == (
        "stage ingest: the 4 worker(s) that ran task 'ingest_chunks-1f2e' each died "
        "running it (out of memory? its memory limit is 1.0 GiB); finished chunks are "
        "kept. Give each worker more memory (fewer --workers, or larger workers on a "
        "cluster) or use smaller chunks (the region's chunk size), check 'prospect "
        "plan', then run the same command again"), text


# -- 2. a clock stepped back during a run: the manifest's durations stay sane ----------------


def _stepped_ingest(box: Sandbox, name: str, signum: int) -> tuple[Outcome, dict[str, Any]]:
    """``prospect ingest --workers 1`` of the tiny job under libfaketime, whose clock
    steps two hours back at the first chunk write of ``heat`` (the monotonic clock left
    real, as an NTP or ``date -s`` step leaves it); the worker also gets ``signum`` at
    each chunk write (0: none). Returns the outcome and the manifest."""
    if not FAKETIME.is_file():
        pytest.skip("libfaketime is not installed")
    root = box.root.parent / name
    inject = root / "inject"
    inject.mkdir(parents=True)
    (inject / "sitecustomize.py").write_text(_KILLER)
    clock = root / "clock"
    clock.write_text("+0")
    env = _clean_env()
    env["PYTHONPATH"] = os.pathsep.join([str(inject), env["PYTHONPATH"]])
    env.update(R61_KILL=json.dumps([CHUNK_TEMP, int(signum)]), R61_STEP=str(clock),
               LD_PRELOAD=str(FAKETIME), FAKETIME_TIMESTAMP_FILE=str(clock),
               FAKETIME_CACHE_DURATION="1", FAKETIME_DONT_FAKE_MONOTONIC="1",
               DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0")
    proc = subprocess.run([*PROSPECT, "ingest", str(box.job_path), "-o", str(root / "out"),
                           "--workers", "1"], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env=env)
    assert clock.read_text() == "-2h"  # the clock did step during the stage
    manifest = json.loads((root / "out" / "manifest.json").read_text())
    return Outcome(proc.returncode, proc.stdout, proc.stderr), manifest


def test_a_clock_stepped_back_during_a_stage_is_recorded_beside_its_stamps(
        box: Sandbox) -> None:
    """SYNTHETIC rasters: the clock steps two hours back during ingest. Before: exit 0
    and a run recorded ``started`` 10:21:07, ``finished`` 08:21:19, an end before its
    start, with no duration and nothing to say why; now the run's record carries its
    duration by the monotonic clock (``seconds``) and the step (``clock_step_seconds``:
    -7200), and so does the stage's."""
    result, manifest = _stepped_ingest(box, "stepped", 0)
    assert result.code == 0 and "Traceback" not in result.out + result.err, result.err
    run = manifest["runs"][-1]
    assert run["status"] == "done" and run["finished"] < run["started"], run
    assert 0 < run["seconds"] < 600, run
    assert -7230 <= run["clock_step_seconds"] <= -7170, run
    stage = manifest["stages"]["ingest"]
    assert stage["status"] == "done" and -7230 <= stage["clock_step_seconds"] <= -7170
    assert box.untouched()


def test_a_stage_that_failed_records_how_long_it_ran(box: Sandbox) -> None:
    """SYNTHETIC rasters: the clock steps two hours back during ingest, whose worker then
    crashes at each chunk write (the stage fails, exit 1). Before: the stage's ``failed``
    record had ``started`` and ``ended`` stamps alone, the end two hours before the
    start, and the run's no duration either; now each carries ``seconds`` by the
    monotonic clock and the step."""
    result, manifest = _stepped_ingest(box, "stepped_failed", int(signal.SIGSEGV))
    assert result.code == 1 and "Traceback" not in result.out + result.err, result.err
    stage = manifest["stages"]["ingest"]
    run = manifest["runs"][-1]
    assert stage["status"] == "failed" and 0 < stage["seconds"] < 600, stage
    assert run["status"] == "failed" and 0 < run["seconds"] < 600, run
    # the job's process sees the step when libfaketime rereads its file (a cache of 1 s,
    # the worker waits 3 s before it crashes); on a machine so loaded that the job's
    # clock read came first, the stamps are in order and no step is recorded, as is right
    stepped = stage["ended"] < stage["started"]  # (a failed run records no end stamp)
    for record in (stage, run):
        if stepped:
            assert -7230 <= record["clock_step_seconds"] <= -7170, record
        else:
            assert "clock_step_seconds" not in record, record


def test_control_a_run_without_a_clock_step_records_none(box: Sandbox) -> None:
    """SYNTHETIC rasters: the tiny job's ingest with the clock left alone records no
    clock step in the stage's record or the run's; the stage's ``seconds`` is its own
    timing, as before."""
    root = box.root.parent / "steady"
    proc = subprocess.run([*PROSPECT, "ingest", str(box.job_path), "-o", str(root / "out"),
                           "--workers", "1"], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env=_clean_env())
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    manifest = json.loads((root / "out" / "manifest.json").read_text())
    stage, run = manifest["stages"]["ingest"], manifest["runs"][-1]
    assert stage["status"] == "done" and 0 < stage["seconds"] < 600, stage
    assert "clock_step_seconds" not in stage and "clock_step_seconds" not in run, run
    assert run["started"] <= run["finished"] and run["status"] == "done", run
