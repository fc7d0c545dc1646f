"""Round 61b, faults: a task whose worker had no nanny (``dask worker --no-nanny``, on a
cluster of other processes: ``--scheduler``) died and was said "out of memory? its
memory limit is 0.6 GiB", with the memory fix, although nothing watched that worker's
memory and nothing saw how it ended.

Real processes and real faults: a real ``dask scheduler`` (``allowed-failures`` 0) and a
real ``dask worker --no-nanny`` (600 MiB, one thread), each its own process, as a
``--scheduler`` user starts them; the worker carrying a ``sitecustomize`` that sends it
SIGKILL (as the system's OOM killer does) at each chunk rename of ingest's ``heat``, or a
task that sends its worker SIGSEGV; ``prospect ingest --scheduler`` of the corpus's tiny
job. SYNTHETIC rasters (the corpus's tiny job) and tasks.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from distributed import Client
from distributed.scheduler import KilledWorker

from pipelines.faults import killed_worker_error

from .conftest import PROSPECT, REPO, Outcome, Sandbox, SmallDisk

_KILLER = '''
import json, os, re

_KILL = json.loads(os.environ.get("R61B_KILL", "null"))
_replace = os.replace


_ASIDE = int(os.environ.get("R61B_ASIDE") or 0)


def _killing_replace(src, dst, *args, **kwargs):
    if _KILL and re.search(_KILL[0], os.fsdecode(os.fspath(src))):
        os.kill(os.getpid(), _KILL[1])
    if _ASIDE and re.search(r"/\\.heat\\.old-[0-9a-f]{8}$", os.fsdecode(os.fspath(dst))):
        os.kill(os.getpid(), _ASIDE)
    return _replace(src, dst, *args, **kwargs)


if _KILL or _ASIDE:
    os.replace = _killing_replace
'''
"""A ``sitecustomize`` that, at each ``os.replace`` of a path matching the pattern of
``$R61B_KILL`` (the worker writes the chunks), sends the process the signal of
``$R61B_KILL``; and with ``$R61B_ASIDE``, sends the process that signal as it renames a
copy of ``heat`` aside (``.heat.old-<hex>``): the swapped-out old variable, between the
swap that publishes the new one and the rename that puts the old one away."""

_TASKS = '''
import os


def signal_self(signum):
    os.kill(os.getpid(), signum)
'''
"""The task module (``r61b_tasks``) the scheduler, the worker and the test import: a task
that sends its worker a signal."""

CHUNK_TEMP = r"/store/heat/c/\d+/\.\d+\.tmp-[0-9a-f]{8}$"
"""A chunk file's temporary name in the partial store of ingest's ``heat``."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join([*filter(None, [env.get("PYTHONPATH")]), str(REPO)])
    return env


@contextmanager
def _no_nanny_cluster(root: Path, kill: int = 0) -> Iterator[str]:
    """A real ``dask scheduler`` (a task given up at its first worker's death) and one
    real ``dask worker --no-nanny`` (600 MiB, one thread), each its own process; with
    ``kill``, the worker gets that signal at each chunk rename of ``heat``. Yields the
    scheduler's address."""
    inject = root / "inject"
    inject.mkdir(parents=True)
    (inject / "sitecustomize.py").write_text(_KILLER)
    (inject / "r61b_tasks.py").write_text(_TASKS)
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = _clean_env()
    env["PYTHONPATH"] = os.pathsep.join([str(inject), env["PYTHONPATH"]])
    env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "0"
    bin_dir = Path(sys.executable).parent
    scheduler = subprocess.Popen(
        [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
         address.rsplit(":", 1)[1], "--no-dashboard"], cwd=root, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker_env = dict(env, R61B_KILL=json.dumps([CHUNK_TEMP, int(kill)]) if kill else "null")
    worker = subprocess.Popen(
        [str(bin_dir / "dask"), "worker", address, "--no-nanny", "--nthreads", "1",
         "--memory-limit", "600MiB", "--no-dashboard", "--local-directory", str(root)],
        cwd=REPO, env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sys.path.insert(0, str(inject))
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        sys.path.remove(str(inject))
        sys.modules.pop("r61b_tasks", None)
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> tuple[KilledWorker, str]:
    """A task on a ``dask worker --no-nanny`` that crashes its worker (SIGSEGV): the
    ``KilledWorker`` and the run's line for it in stage ``score``, as the run makes it
    (with its client)."""
    with _no_nanny_cluster(tmp_path_factory.mktemp("r61b_crash")) as address:
        import r61b_tasks  # type: ignore[import-not-found]

        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
            future = client.submit(r61b_tasks.signal_self, int(signal.SIGSEGV),
                                   key="score-chunk-nonanny", pure=False)
            with pytest.raises(KilledWorker) as info:
                future.result(timeout=120)
            err = killed_worker_error(info.value, "score", client=client)
    assert err is not None and "\n" not in str(err)
    return info.value, str(err)


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``dask scheduler`` and a ``dask worker --no-nanny`` left alone (no signal):
    the scheduler's address."""
    with _no_nanny_cluster(tmp_path_factory.mktemp("r61b_steady")) as address:
        yield address


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """The tiny job (``job.yaml``: one raster, ``heat``, ingest alone)."""
    return Sandbox(tmp_path_factory.mktemp("r61b") / "box")


def _ingest(box: Sandbox, address: str, out: Path) -> Outcome:
    proc = subprocess.run([*PROSPECT, "ingest", str(box.job_path), "-o", str(out),
                           "--scheduler", address], capture_output=True, text=True,
                          timeout=300, cwd=REPO, env=_clean_env())
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


# -- a worker without a nanny: no memory stop is known, nor how it ended --------------------


def test_a_worker_without_a_nanny_that_crashed_is_not_said_out_of_memory(
        crashed: tuple[KilledWorker, str]) -> None:
    """SYNTHETIC task on a ``dask worker --no-nanny``: the worker crashes (SIGSEGV).
    Before: "(out of memory? its memory limit is 0.6 GiB) ... Give each worker more
    memory", a guess about a worker whose memory nothing watched; now the line says it
    ran without a nanny, that it crashed or was killed, and where to see how it ended,
    and that it is not restarted."""
    exc, line = crashed
    assert not exc.last_worker.nanny  # the scheduler's own record: no nanny
    assert "out of memory?" not in line and "Give each worker more memory" not in line
    assert "(the last: it ran without a nanny (dask worker --no-nanny), so nothing " \
           "watched its memory or saw how it ended: it crashed" in line, line
    assert "the system's OOM killer" in line and "its memory limit is 0.6 GiB)" in line
    assert "See how it ended in the worker's own log" in line and "'dmesg'" in line, line
    assert "start the worker again (without a nanny it is not restarted)" in line, line


def test_a_worker_without_a_nanny_is_said_so_to_a_caller_without_a_client(
        crashed: tuple[KilledWorker, str]) -> None:
    """SYNTHETIC task on a ``dask worker --no-nanny`` (SIGSEGV), its ``KilledWorker``
    turned into a line by a library caller that gives no client: the scheduler's record
    of the worker says it had no nanny, which needs no client. Before: "out of memory?";
    now the same words as the run's."""
    exc, line = crashed
    text = str(killed_worker_error(exc, "score"))
    assert "out of memory?" not in text and "it ran without a nanny" in text, text
    assert text == line, text


def test_ingest_on_a_scheduler_whose_worker_without_a_nanny_is_killed_names_no_memory(
        box: Sandbox, tmp_path: Path) -> None:
    """SYNTHETIC rasters: ``prospect ingest --scheduler`` of the tiny job; the remote
    worker, started with ``--no-nanny``, is killed (SIGKILL, as the OOM killer does) at
    its first chunk write of ``heat``. Before: exit 1 with "(out of memory? its memory
    limit is 0.6 GiB) ... Give each worker more memory"; now the run's one line says it
    had no nanny and where to look, with no traceback, and nothing outside ``-o``."""
    out = tmp_path / "out"
    with _no_nanny_cluster(tmp_path / "cluster", kill=signal.SIGKILL) as address:
        result = _ingest(box, address, out)
    text = result.out + result.err
    lines = [line for line in text.splitlines() if line.startswith("error:")]
    assert result.code == 1 and "Traceback" not in text and len(lines) == 1, text[-3000:]
    assert "stage ingest: the 1 worker(s) that ran task 'ingest_chunks-" in lines[0]
    assert "it ran without a nanny (dask worker --no-nanny)" in lines[0], lines[0]
    assert "out of memory?" not in lines[0], lines[0]
    assert json.loads((out / "manifest.json").read_text())["stages"]["ingest"]["status"] \
        == "failed"
    assert box.untouched()


# -- a full disk at the job's first writes: nothing of the job's own left in -o -------------


def test_a_full_disk_at_the_jobs_first_writes_leaves_no_probe_file_in_the_output(
        box: Sandbox, steady: str, tmp_path: Path) -> None:
    """SYNTHETIC rasters: ``-o`` on a real full disk (a 256 KiB tmpfs with one page
    left: the lock file takes it). Before: exit 74 naming ``manifest.json``, and the
    output folder kept ``.workers-see.tmp-<hex>``, the empty probe file whose write the
    disk refused (the run's check that its workers see ``-o``); now the same line and
    exit, and no probe is left. Once there is room the same command runs."""
    disk = SmallDisk(tmp_path / "disk", "256k")
    try:
        out = disk.root / "out"
        out.mkdir()
        free = os.statvfs(disk.root)
        with (disk.root / "filler").open("wb") as fh:
            os.posix_fallocate(fh.fileno(), 0, free.f_bavail * free.f_frsize - 4096)
        result = _ingest(box, steady, out)
        text = result.out + result.err
        lines = [line for line in text.splitlines() if line.startswith("error:")]
        assert result.code == 74 and "Traceback" not in text, text[-3000:]
        assert len(lines) == 1 and "manifest.json: the disk is full" in lines[0], text
        left = sorted(p.name for p in out.iterdir() if p.name != ".prospect.lock")
        assert left == [], left
        (disk.root / "filler").unlink()
        again = _ingest(box, steady, out)
        assert again.code == 0, again.err[-3000:]
        assert sorted(p.name for p in out.glob(".*") if p.name != ".prospect.lock") == []
        assert box.untouched()
    finally:
        disk.unmount()


# -- a stop between a variable's publishing swap and the rename of the old one aside --------


def test_a_stop_between_the_publish_swap_and_the_rename_aside_keeps_no_old_values(
        steady: str, tmp_path: Path) -> None:
    """SYNTHETIC rasters: the tiny job ingested, its raster changed (+100 in every
    cell), then ingested again and stopped by SIGTERM in the publish of
    ``heat`` (SIGKILL there is the same case, checked once by hand: the test runs the
    one): after the swap put the new variable in the cube and the old one at the
    partial's place, before the old one was renamed aside. Before: the next run
    "resumed" 4 finished chunks, which were the OLD variable's, and published them:
    exit 0, the cube's ``heat`` 100 below the raster in every cell, without a word; now
    the next run computes the variable again and the cube holds the raster's values."""
    import rasterio
    import xarray as xr

    box = Sandbox(tmp_path / "box")
    first = _run_ingest(box, steady, {})
    assert first.code == 0, first.err[-3000:]
    with rasterio.open(box.root / "heat.tif", "r+") as dst:
        dst.write(dst.read(1) + 100, 1)
    box.write_job()  # the raster changed on purpose: the snapshot of what stays
    stopped = _run_ingest(box, steady, {"R61B_ASIDE": str(int(signal.SIGTERM))})
    assert stopped.code == 143, stopped.err[-3000:]
    again = _run_ingest(box, steady, {})
    assert again.code == 0 and "Traceback" not in again.err, again.err[-3000:]
    with rasterio.open(box.root / "heat.tif") as src:
        want = src.read(1)
    with xr.open_zarr(box.out / "cube.zarr") as cube:
        np.testing.assert_array_equal(cube["heat"].values, want)
    assert not (box.out / ".cube.zarr.partial").exists()
    assert box.untouched()


def _run_ingest(box: Sandbox, address: str, extra: dict[str, str]) -> Outcome:
    """``prospect ingest --scheduler address`` of ``box``'s job, the killer
    ``sitecustomize`` on the job's path (the job's process publishes), with ``extra`` in
    its environment."""
    inject = box.root.parent / "inject"
    if not inject.is_dir():
        inject.mkdir()
        (inject / "sitecustomize.py").write_text(_KILLER)
    env = _clean_env()
    env["PYTHONPATH"] = os.pathsep.join([str(inject), env["PYTHONPATH"]])
    env.update(extra)
    proc = subprocess.run([*PROSPECT, "ingest", str(box.job_path), "-o", str(box.out),
                           "--scheduler", address], capture_output=True, text=True,
                          timeout=300, cwd=REPO, env=env)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


# -- controls ---------------------------------------------------------------------------------


def test_control_a_record_with_a_nanny_and_no_client_keeps_the_memory_guess() -> None:
    """A worker's record naming its nanny, given by a caller without a client: nothing
    is known of its end, and the line is round 60's, word for word."""
    from types import SimpleNamespace

    last: Any = SimpleNamespace(memory_limit=2**30, pid=2**22 + 5, nanny="tcp://10.0.0.7:4")
    text = str(killed_worker_error(KilledWorker("score_chunks-9a1b", last, 0), "score"))
    assert text == (
        "stage score: the 1 worker(s) that ran task 'score_chunks-9a1b' each died "
        "running it (out of memory? its memory limit is 1.0 GiB); finished chunks are "
        "kept. Give each worker more memory (fewer --workers, or larger workers on a "
        "cluster) or use smaller chunks (the region's chunk size), check 'prospect "
        "plan', then run the same command again"), text


def test_control_a_publish_its_guard_refuses_keeps_the_partial_to_resume(
        tmp_path: Path) -> None:
    """SYNTHETIC variable: a publish refused by a publish guard (the job lost its output
    folder to another job: :func:`pipelines.lock.publish_check`) leaves the partial
    variable as it was, so the same command resumes its finished chunks, none pending."""
    from prospect.grid import RegionGrid
    from prospect.io.cube import begin_variable, create_cube
    from prospect.io.files import add_publish_guard

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0,
                      bounds=(500000.0, 1349600.0, 500400.0, 1350000.0), chunks=(16, 16),
                      name="r61b")
    cube = create_cube(tmp_path / "c.zarr", grid, attrs={"synthetic": True})
    attrs = {"units": "1", "long_name": "SYNTHETIC", "prospect_kind": "continuous",
             "provenance": json.dumps({"sources": {}})}
    part = begin_variable(cube, "v", attrs=attrs, fingerprint="f1")
    for window in grid.chunk_windows():
        part.write_chunk(window, np.ones(window.shape, "f4"))

    def refuse(target: Path) -> None:
        raise RuntimeError(f"{target}: in use by another job")

    remove = add_publish_guard(refuse)
    try:
        with pytest.raises(RuntimeError, match="in use by another job"):
            part.publish(grid)
    finally:
        remove()
    again = begin_variable(cube, "v", attrs=attrs, fingerprint="f1")
    assert again.pending(grid) == [] and not (cube / "v").exists()


def test_control_a_publish_the_disk_refuses_before_the_swap_keeps_the_partial_to_resume(
        tmp_path: Path) -> None:
    """SYNTHETIC variable: a variable written again over a published one, whose publish
    the file system refuses before anything moved (the cube's folder made immutable,
    ``chattr +i``, as the job ran): the error is the system's, and once the folder is
    writable again the partial resumes its finished chunks, none pending, and publishes
    the new values."""
    from prospect.grid import RegionGrid
    from prospect.io.cube import begin_variable, create_cube, open_cube

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0,
                      bounds=(500000.0, 1349600.0, 500400.0, 1350000.0), chunks=(16, 16),
                      name="r61b")
    cube = create_cube(tmp_path / "c.zarr", grid, attrs={"synthetic": True})
    attrs = {"units": "1", "long_name": "SYNTHETIC", "prospect_kind": "continuous",
             "provenance": json.dumps({"sources": {}})}
    for value, fingerprint in ((1.0, "f1"), (2.0, "f2")):
        part = begin_variable(cube, "v", attrs=attrs, fingerprint=fingerprint)
        for window in grid.chunk_windows():
            part.write_chunk(window, np.full(window.shape, value, "f4"))
        if value == 1.0:
            part.publish(grid)
    if subprocess.run(["chattr", "+i", str(cube)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here")
    try:
        with pytest.raises(OSError):
            part.publish(grid)
    finally:
        subprocess.run(["chattr", "-i", str(cube)], check=True)
    again = begin_variable(cube, "v", attrs=attrs, fingerprint="f2")
    assert again.pending(grid) == []
    again.publish(grid)
    assert float(open_cube(cube)["v"].values.min()) == 2.0
