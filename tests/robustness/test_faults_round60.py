"""Round 60, faults: a task whose workers kept dying was said "out of memory?" whatever
had killed them. A worker that crashed in native code (a segmentation fault: a C library,
or a stack too small) was answered "give each worker more memory ... or use smaller
chunks", which cannot help; one killed by SIGKILL (the OOM killer, or a batch system's
time limit) was not told from one the nanny itself stopped at its memory limit.

Real processes and real signals: ``prospect ingest`` with its own embedded cluster
(``--workers 1``); a ``sitecustomize`` on the worker's ``PYTHONPATH`` sends the worker
the chosen signal at the rename of each chunk file's temporary (every time, so dask gives
up on the chunk: ``KilledWorker``), and a real ``LocalCluster`` whose nanny stops a
worker that fills its memory. The nanny runs in the job's process and says how its worker
ended ("Worker process 123 was killed by signal 11"); the job had its loggers at ERROR,
so that word was never made, while the scheduler's own "Task ... marked as failed because
1 workers died" lines, timestamped, were printed above the job's error line. SYNTHETIC
rasters (the corpus's tiny job) and tasks.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
from types import SimpleNamespace
from typing import Any

import dask
import pytest
from distributed import Client, LocalCluster
from distributed.scheduler import KilledWorker

from pipelines.faults import killed_worker_error

from .conftest import PROSPECT, REPO, Outcome, Sandbox

_KILLER = '''
import json, os, re

_KILL = json.loads(os.environ.get("R60_KILL", "null"))
_replace = os.replace


def _killing_replace(src, dst, *args, **kwargs):
    pattern, signum = _KILL
    if re.search(pattern, os.fsdecode(os.fspath(src))):
        os.kill(os.getpid(), signum)
    return _replace(src, dst, *args, **kwargs)


if _KILL:
    os.replace = _killing_replace
'''
"""A ``sitecustomize`` that sends the process (a job's worker) the signal of
``$R60_KILL`` at each ``os.replace`` of a path matching its pattern."""

CHUNK_TEMP = r"/store/heat/c/\d+/\.\d+\.tmp-[0-9a-f]{8}$"
"""A chunk file's temporary name in the partial store of ingest's ``heat``."""


def _ingest(box: Sandbox, name: str, signum: int, *, failures: int = 0) -> Outcome:
    """``prospect ingest`` of the tiny job with one worker that gets ``signum`` at each
    chunk rename of ``heat``; dask gives a task up after ``failures`` + 1 deaths
    (``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES``, a user's own setting, kept small
    to keep the case short)."""
    root = box.root.parent / name
    inject = root / "inject"
    inject.mkdir(parents=True)
    (inject / "sitecustomize.py").write_text(_KILLER)
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(inject), *filter(None, [env.get("PYTHONPATH")]), str(REPO)])
    env["R60_KILL"] = json.dumps([CHUNK_TEMP, int(signum)])
    env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(failures)
    proc = subprocess.run([*PROSPECT, "ingest", str(box.job_path), "-o", str(root / "out"),
                           "--workers", "1"], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env=env)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """The tiny job (``job.yaml``: one raster, ``heat``, ingest alone)."""
    return Sandbox(tmp_path_factory.mktemp("r60") / "box")


def _error_line(result: Outcome) -> str:
    text = result.out + result.err
    lines = [line for line in text.splitlines() if line.startswith("error:")]
    assert result.code == 1 and "Traceback" not in text and len(lines) == 1, text[-3000:]
    assert "Worker process" not in text, text[-3000:]  # the nanny's word is not printed
    return lines[0]


# -- 1. a worker that crashed is not said out of memory ------------------------------------


def test_workers_that_crashed_with_sigsegv_are_not_said_out_of_memory(box: Sandbox) -> None:
    """SYNTHETIC rasters: the worker crashes at each chunk write of ``heat`` (a C
    library's segmentation fault). Before: the scheduler's own timestamped lines
    ("distributed.scheduler - ERROR - Task ingest_chunks-... marked as failed because 1
    workers died while trying to run it"), then "the 1 worker(s) that ran task
    'ingest_chunks-...' each died running it (out of memory? its memory limit is 11.8
    GiB) ... Give each worker more memory"; now one line names the signal and what it
    means, and gives no memory fix (the debug log and the library versions instead)."""
    result = _ingest(box, "crash", signal.SIGSEGV)
    line = _error_line(result)
    assert "marked as failed" not in result.out + result.err, result.err[-3000:]
    assert "stage ingest: the 1 worker(s) that ran task 'ingest_chunks-" in line, line
    assert ("each died running it (the last: killed by SIGSEGV, a segmentation fault in "
            "native code") in line, line
    assert "not a lack of memory" in line and "out of memory?" not in line, line
    assert "more memory" not in line and "PROSPECT_DEBUG=1" in line, line
    assert "finished chunks are kept" in line, line


def _fill_memory() -> int:
    import time

    held = []
    for _ in range(60):
        held.append(bytearray(8 * 2**20))
        time.sleep(0.02)
    time.sleep(30)
    return len(held)


def _signal_self(signum: int) -> None:
    os.kill(os.getpid(), signum)


class _Heard(logging.Handler):
    """Every record that reaches the ``distributed`` loggers' handlers."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_HEARD = _Heard()


@pytest.fixture(scope="module")
def killed() -> dict[str, KilledWorker]:
    """Real ``KilledWorker`` errors of a real one-worker cluster (memory limit 256 MiB, no
    retries), in a process whose logs are as the job's
    (:func:`pipelines.cluster._quiet_logs`): ``memory``, a task holding 480 MiB, which
    its nanny stops; ``SIGKILL`` and ``SIGBUS``, a task whose worker gets that signal."""
    from pipelines.cluster import _quiet_logs

    _quiet_logs()
    logging.getLogger("distributed").addHandler(_HEARD)
    found = {}
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.worker.memory.monitor-interval": "50ms"}), \
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                         memory_limit="256MiB", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        for name, task, args in [("memory", _fill_memory, ()),
                                 ("SIGKILL", _signal_self, (signal.SIGKILL,)),
                                 ("SIGBUS", _signal_self, (signal.SIGBUS,))]:
            client.wait_for_workers(1, timeout=60)
            future = client.submit(task, *args, key=f"score-chunk-{name}", pure=False)
            with pytest.raises(KilledWorker) as info:
                future.result(timeout=120)
            found[name] = info.value
    logging.getLogger("distributed").removeHandler(_HEARD)
    return found


def _line(killed: dict[str, KilledWorker], name: str) -> str:
    err = killed_worker_error(killed[name], "score")
    assert err is not None
    assert "\n" not in str(err)
    return str(err)


def test_a_worker_killed_by_sigkill_names_the_oom_killer_and_a_batch_time_limit(
        killed: dict[str, KilledWorker]) -> None:
    """SYNTHETIC task: SIGKILL (the kernel's OOM killer, or a batch system's time limit,
    send no other). Before: "out of memory? its memory limit is 0.2 GiB", the time limit
    never named; now the line says SIGKILL, who sends it, where to look (``dmesg``) and
    the memory limit, and gives the memory fix with more time."""
    line = _line(killed, "SIGKILL")
    assert "each died running it (the last: killed by SIGKILL: the system's OOM killer" \
        in line, line
    assert "'dmesg'" in line and "a batch system's time or memory limit" in line, line
    assert "its memory limit is 0.2 GiB" in line and "or the batch job more time" in line


def test_a_worker_killed_by_sigbus_is_said_a_file_cut_short_not_memory(
        killed: dict[str, KilledWorker]) -> None:
    """SYNTHETIC task: SIGBUS (a mapped file truncated under the job, a failing disk).
    Before: "out of memory? ..." and the memory fix; now the signal and its meaning."""
    line = _line(killed, "SIGBUS")
    assert "(the last: killed by SIGBUS, a bus error: a file it had mapped was cut short" \
        in line, line
    assert "out of memory?" not in line and "more memory" not in line, line


def test_a_worker_its_nanny_stopped_at_its_memory_limit_is_said_so(
        killed: dict[str, KilledWorker]) -> None:
    """SYNTHETIC task: before, "out of memory? its memory limit is 0.2 GiB" (a guess);
    now the line says the nanny stopped it at 95% of that limit, with the memory fix."""
    line = _line(killed, "memory")
    assert ("each died running it (the last: its nanny stopped it at 95% of its memory "
            "limit; its memory limit is 0.2 GiB)") in line, line
    assert "Give each worker more memory" in line, line


# -- controls ---------------------------------------------------------------------------------


def test_control_a_worker_of_another_process_keeps_the_memory_guess() -> None:
    """A worker whose nanny is not in this process (``--scheduler``, a batch system's
    job): nothing is known of its end, and the line is as before."""
    last: Any = SimpleNamespace(memory_limit=2**30, pid=2**22 + 17)
    text = str(killed_worker_error(KilledWorker("ingest_chunks-1f2e", last, 3), "ingest"))
    assert text == (
        "stage ingest: the 4 worker(s) that ran task 'ingest_chunks-1f2e' each died "
        "running it (out of memory? its memory limit is 1.0 GiB); finished chunks are "
        "kept. Give each worker more memory (fewer --workers, or larger workers on a "
        "cluster) or use smaller chunks (the region's chunk size), check 'prospect "
        "plan', then run the same command again"), text


def test_control_the_nannies_words_reach_no_handler(
        killed: dict[str, KilledWorker]) -> None:
    """The nannies' lines of the three deaths ("Worker process ... was killed by signal
    9", "... exceeded 95% memory budget. Restarting...") are kept for the error line and
    reach no handler: the job's terminal shows what it showed before (nothing of them)."""
    said = [record.getMessage() for record in _HEARD.records]
    assert len(killed) == 3
    assert not [text for text in said if "Worker process" in text or "memory budget" in text]
