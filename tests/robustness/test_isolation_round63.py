"""Round 63 (isolation): what a job run in-process leaves changed in its process.

Prospect embedded in a notebook, a tile server or a dask worker runs many jobs in one
process, and so does the test suite (two xdist workers, many files each): state a job
leaves behind changes what a later job, or a later test far from this one, meets. Found
by snapshotting the process (environment, working folder, umask, signal handlers, GDAL's
process-wide and thread-local options, dask's config, logging, warnings, hooks, limits,
threads, open files) before and after a tiny job run through :func:`pipelines.cli.main`
twice (done, then failing) and around the embedded cluster's start and close
(2026-12-07): the embedded cluster's nannies left dask's pre-spawn variables
(``OMP_NUM_THREADS=1``, ``MKL_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1``) and their
``PYTHONHASHSEED=6640`` in ``os.environ`` for good.

Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error

NANNY_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                   "PYTHONHASHSEED", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
"""What a nanny writes into the environment of the process that starts it."""


def _gdal_options() -> dict[str, list[str]]:
    """GDAL's process-wide and this thread's own configuration options (``KEY=VALUE``)."""
    import ctypes

    from rasterio import _env

    lib = ctypes.CDLL(str(_env.__file__))
    found = {}
    for name in ("CPLGetConfigOptions", "CPLGetThreadLocalConfigOptions"):
        get = getattr(lib, name, None)
        if get is None:  # an old GDAL
            continue
        get.restype = ctypes.POINTER(ctypes.c_char_p)
        pointer, values = get(), []
        while pointer and pointer[len(values)] is not None:
            values.append(pointer[len(values)].decode())
        # CPLGetConfigOptions hands over a copy (freed with CSLDestroy); a few bytes a call
        found[name] = sorted(values)
    return found


def _loggers() -> dict[str, tuple[Any, ...]]:
    """Each logger's level, handlers, filters, ``propagate`` and ``disabled``; without
    distributed's ``DequeHandler``s, one per scheduler, nanny or worker object, which
    leaves with that object whenever the collector takes it (another test's cluster
    collected during the runs took one off ``distributed.nanny`` in the CI)."""
    loggers = [("", logging.getLogger()), *logging.root.manager.loggerDict.items()]
    return {name: (log.level, [type(h).__name__ for h in log.handlers
                               if type(h).__name__ != "DequeHandler"],
                   [type(f).__name__ for f in log.filters], log.propagate, log.disabled)
            for name, log in loggers if isinstance(log, logging.Logger)}


def _process() -> dict[str, Any]:
    """What a job could leave changed in this process."""
    import resource

    import dask.config

    mask = os.umask(0o22)
    os.umask(mask)
    signals = set(signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP}
    return {
        "environment": dict(os.environ),
        "working folder": os.getcwd(),
        "umask": mask,
        "signal handlers": {signal.Signals(s).name: signal.getsignal(s) for s in signals
                            if s in set(signal.Signals)},
        "GDAL options": _gdal_options(),
        "dask config": repr(dask.config.config),
        "loggers": _loggers(),
        "logging.disable": logging.root.manager.disable,
        "warnings filters": sorted(map(repr, warnings.filters)),
        "warnings hooks": (warnings.showwarning, vars(warnings).get("_showwarnmsg")),
        "hooks": (sys.excepthook, threading.excepthook, sys.unraisablehook,
                  sys.displayhook, sys.breakpointhook, sys.gettrace(), sys.getprofile()),
        "streams": (sys.stdin, sys.stdout, sys.stderr),
        "limits": {name: resource.getrlimit(getattr(resource, name))
                   for name in dir(resource) if name.startswith("RLIMIT_")},
        "sys.path": list(sys.path),
    }


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.is_alive()}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    changed = []
    for what, was in before.items():
        now = after[what]
        if isinstance(was, dict):
            changed += [f"{what}[{key}]: {was.get(key)!r} -> {now.get(key)!r}"
                        for key in sorted(set(was) | set(now), key=str)
                        if was.get(key) != now.get(key)]
        elif was != now:
            changed.append(f"{what}: {was!r} -> {now!r}")
    return changed



def _left_changed(before: dict[str, Any]) -> list[str]:
    """What stays changed against ``before`` once background work has settled: the
    corpus's cluster runs its event loop in this process, and the collector takes other
    tests' servers (and their log handlers) whenever it runs, so a change is counted only
    if it holds for 5 s, the collector run."""
    import gc

    for _ in range(20):
        gc.collect()
        changed = _changed(before, _process())
        if not changed:
            return []
        time.sleep(0.25)
    return changed

@pytest.fixture()
def no_nanny_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's environment without any variable a nanny writes (put back after)."""
    for name in NANNY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_an_embedded_cluster_leaves_no_worker_variables_in_the_environment(
        no_nanny_variables: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: once the embedded cluster (a job's without ``--scheduler``, the corpus's,
    the benchmarks') had started, this process's ``os.environ`` held ``OMP_NUM_THREADS=1``,
    ``MKL_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1`` and ``PYTHONHASHSEED=6640`` for good
    (the nannies hand them to their workers through it), so a notebook's or tile server's
    later processes (scikit-learn's loky workers, a subprocess, a user's own cluster) ran
    their BLAS on one thread with hash randomisation off. Now the start and the close
    leave every such variable as they found it: unset stays unset, a user's own value
    stays."""
    from pipelines.cluster import local_cluster

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    with local_cluster(1, dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        left_by_start = {n: os.environ[n] for n in NANNY_VARIABLES if n in os.environ}
    left = {n: os.environ[n] for n in NANNY_VARIABLES if n in os.environ}
    assert left_by_start == {"OPENBLAS_NUM_THREADS": "3"}
    assert left == {"OPENBLAS_NUM_THREADS": "3"}


def test_a_jobs_cluster_variables_are_taken_back_even_where_a_worker_set_them_again(
        no_nanny_variables: None) -> None:
    """Before: a job's embedded cluster (:func:`pipelines.cluster.dask_client`, what
    ``prospect run`` without ``--scheduler`` holds for the run) left the nannies'
    variables in ``os.environ``, and a nanny that restarted its worker mid-run (after a
    kill, a memory stop) wrote them again. Now the run's cluster takes them back as it
    closes, restarts included."""
    from pipelines.cluster import dask_client

    with dask_client(workers=1) as client:
        client.restart_workers(list(client.scheduler_info()["workers"]))
    left = {n: os.environ[n] for n in NANNY_VARIABLES if n in os.environ}
    assert left == {}


def test_control_a_job_run_in_process_twice_then_failing_leaves_the_process_as_found(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """A tiny job run in-process on the corpus's cluster (``--scheduler``), once to warm the
    imports up, then again, then with its raster gone (exit 1) and with a config that is
    not YAML (exit 2): each run leaves the environment, working folder, umask, signal
    handlers, GDAL's options, dask's config, loggers, warnings, hooks, limits,
    ``sys.path`` and threads as it found them."""
    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    threads = _threads()
    before = _process()
    again = cli("run", sandbox.job_path, "-o", sandbox.root / "again", "--scheduler",
                scheduler)
    assert again.code == 0, again.err[-3000:]
    assert _left_changed(before) == []
    (sandbox.root / "heat.tif").unlink()
    sandbox.write_job()
    gone = cli("run", sandbox.job_path, "-o", sandbox.root / "gone", "--scheduler", scheduler)
    assert_clean_error(gone, 1, "heat.tif", "not found")
    assert _left_changed(before) == []
    sandbox.write_job(text="name: [unclosed\n")
    broken = cli("run", sandbox.job_path, "-o", sandbox.root / "broken")
    assert_clean_error(broken, 2, "job.yaml", "not valid YAML")
    assert _left_changed(before) == []
    for _ in range(50):  # a removal thread may still be ending
        if _threads() <= threads:
            break
        time.sleep(0.1)
    assert _threads() <= threads


def test_control_a_job_run_from_its_own_folder_keeps_the_working_folder(
        sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job run from its own folder with relative paths (``-o out``) reads and writes
    there and leaves the working folder where it was."""
    monkeypatch.chdir(sandbox.root)
    result = cli("run", "job.yaml", "-o", "out", "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert Path.cwd() == sandbox.root
    assert (sandbox.out / "cube.zarr").is_dir() or any(sandbox.out.iterdir())
