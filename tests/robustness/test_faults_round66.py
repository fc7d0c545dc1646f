"""Round 66, faults: an output folder on a file system whose ``fsync`` is refused
(``EINVAL``: some FUSE and tmpfs-like file systems), and ``kill -9`` at the ingest and
indices stages.

Before any stage, ``prospect run`` writes a probe file into ``-o`` and asks each dask
worker whether it sees it (round 31: workers that mount the shared disk elsewhere wrote the
cube to their own disk). The probe was flushed with a bare ``os.fsync``; on a file system
that refuses the flush itself (``EINVAL``, ``EOPNOTSUPP``) the refusal was taken for a
failed write and the whole check skipped without a word: a worker that did not see the
folder was not named, and the job went on to write the cube where the scheduler's workers
could not read it. Controls: a whole job on such a file system with ``PROSPECT_FSYNC=1``
(not an error), and ``kill -9`` at ingest and at indices, then the same command: the cube's
chunk files are those of an uninterrupted run, byte for byte.

The file system's answer to ``fsync`` is the one thing simulated (``os.fsync`` and the
folder flush ``prospect.io.files._syncfs`` raise ``EINVAL`` in this process); the
scheduler, the worker in a mount namespace of its own, the jobs, the kills and the files
are real. SYNTHETIC tiny job.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import prospect.io.files as files
from pipelines.lock import refuse_unseen_by_workers
from prospect.errors import ConfigError

from .conftest import (
    CONTRAST_INDEX,
    PROSPECT,
    REPO,
    TWO_RASTERS,
    Sandbox,
    assert_clean_error,
    run_in_process,
    write_tiny_raster,
)
from .test_faults_round31 import blind_worker  # noqa: F401  (a fixture)


def _refusing_fsync(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """Every ``fsync`` and folder flush of this process refused with ``code``, as a file
    system that cannot sync answers (the data written are whole)."""

    def refused(*_args: Any) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", refused)
    monkeypatch.setattr(files, "_syncfs", refused)


def _chunks(cube: Path) -> dict[str, str]:
    """SHA-256 of each chunk file and each variable's metadata of ``cube`` (the
    provenance attributes naming the output folder left out: they hold its path)."""
    found = {}
    for path in sorted(cube.rglob("*")):
        if path.is_file() and "/c/" in f"/{path.relative_to(cube)}":
            found[str(path.relative_to(cube))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


class _Workers:
    """A client whose workers run the check as a worker that mounts the shared disk at
    ``seen_at`` would (``None``: at the same path, as this process)."""

    def __init__(self, folder: Path, seen_at: Path | None) -> None:
        self.folder, self.seen_at = str(folder), seen_at

    def run(self, function: Any, path: str, text: str, **_: Any) -> dict[str, Any]:
        if self.seen_at is not None:
            path = path.replace(self.folder, str(self.seen_at), 1)
        return {"tcp://10.0.0.7:40001": function(path, text)}


# -- 1. a worker that does not see -o, on a file system that cannot fsync -----------------

@pytest.mark.parametrize("code", [errno.EINVAL, errno.EOPNOTSUPP], ids=["EINVAL", "EOPNOTSUPP"])
def test_a_worker_blind_to_an_output_whose_fsync_is_refused_is_still_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """``-o`` on a file system whose ``fsync`` answers ``EINVAL`` (or ``EOPNOTSUPP``) and a
    worker that mounts it elsewhere: the check wrote its probe, took the refused flush for
    a failed write and returned without a word. Now the refusal is no fault of the probe,
    and the worker is named (:class:`ConfigError`); no probe file is left. SYNTHETIC."""
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    _refusing_fsync(monkeypatch, code)
    with pytest.raises(ConfigError) as raised:
        workers: Any = _Workers(out, tmp_path / "elsewhere")
        refuse_unseen_by_workers(workers, out)
    assert "do not see this folder" in str(raised.value)
    assert "tcp://10.0.0.7:40001" in str(raised.value)
    assert list(out.iterdir()) == []


@pytest.mark.timeout(90)  # before: the worker left, the job waited for one
def test_a_job_on_a_disk_that_cannot_fsync_names_the_worker_blind_to_it(
        blind_worker: tuple[str, Path], cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """``prospect run JOB -o OUT --scheduler ADDR`` with ``OUT`` on a file system that
    refuses ``fsync`` (``EINVAL``) and the scheduler's worker seeing another disk there:
    the check was skipped, the worker left the cluster on its own (the lock's worker
    plugin, round 31) and the job waited for a worker without a word. Now refused
    before any stage, exit 2, naming the folder, the workers and the fix; nothing is
    left in ``OUT``. SYNTHETIC tiny job; a real worker in a mount
    namespace of its own (round 31's)."""
    address, shared = blind_worker
    box = Sandbox(shared.parent / "box")
    out = shared / "out"
    _refusing_fsync(monkeypatch, errno.EINVAL)
    result = cli("run", box.job_path, "-o", out, "--scheduler", address)
    line = assert_clean_error(result, 2, str(out), "do not see this folder", address)
    assert "a disk the workers share" in line
    assert not out.exists()
    assert box.untouched()


def test_control_a_worker_that_sees_the_output_is_not_judged_whatever_fsync_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: a worker that sees ``-o`` at the same path passes the check on a file
    system that refuses ``fsync``, as on any other; no probe file is left. SYNTHETIC."""
    out = tmp_path / "out"
    out.mkdir()
    _refusing_fsync(monkeypatch, errno.EINVAL)
    workers: Any = _Workers(out, None)
    refuse_unseen_by_workers(workers, out)
    assert list(out.iterdir()) == []


# -- 2. kill -9 at a stage, then the same command -----------------------------------------

@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Path, Path]:
    """The two-stage tiny job (:data:`TWO_RASTERS`, :data:`CONTRAST_INDEX`) run once,
    uninterrupted: ``(its sandbox's root, its cube)``. SYNTHETIC."""
    box = Sandbox(tmp_path_factory.mktemp("reference") / "box")
    write_tiny_raster(box.root / "cold.tif",
                      values=np.random.default_rng(5).random((40, 40)).astype("float32"))
    box.write_job(sources=TWO_RASTERS, indices=CONTRAST_INDEX)
    result = run_in_process("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return box.root, box.out / "cube.zarr"


def test_control_a_job_on_a_disk_that_cannot_fsync_runs_with_prospect_fsync(
        reference: tuple[Path, Path], cli: Any, scheduler: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: ``PROSPECT_FSYNC=1`` with ``-o`` on a file system whose ``fsync`` and
    ``syncfs`` answer ``EINVAL`` (the job's process): exit 0, no word of it, and the cube's
    chunk files are those of a run on an ordinary disk. SYNTHETIC."""
    root, cube = reference
    monkeypatch.setenv("PROSPECT_FSYNC", "1")
    _refusing_fsync(monkeypatch, errno.EINVAL)
    out = root.parent / "einval"
    result = cli("run", root / "job.yaml", "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "error" not in result.err and "Traceback" not in result.err, result.err[-3000:]
    assert _chunks(out / "cube.zarr") == _chunks(cube)


def _kill_when_running(args: list[str], out: Path, stage: str) -> bool:
    """Run ``prospect ARGS`` as a process group of its own and ``SIGKILL`` it as soon as
    its manifest records ``stage`` running; whether it was reached before the job ended."""
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    proc = subprocess.Popen([*PROSPECT, *args], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reached = False
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not reached:
            try:
                stages = json.loads((out / "manifest.json").read_text())["stages"]
                reached = stages[stage]["status"] == "running"
            except (OSError, ValueError, KeyError):
                time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return reached


@pytest.mark.parametrize("stage", ["ingest", "indices"])
def test_control_a_job_killed_at_a_stage_resumes_to_the_chunks_of_an_uninterrupted_run(
        reference: tuple[Path, Path], cli: Any, scheduler: str, tmp_path: Path,
        stage: str) -> None:
    """Control: ``kill -9`` of the job (its client of a cluster that stays, as a login
    node's job of a running scheduler) as its manifest records ``stage`` running, then
    the same command: exit 0, every chunk file of the cube byte for byte an
    uninterrupted run's, and no staging folder or partial left. SYNTHETIC."""
    root, cube = reference
    box = tmp_path / "box"
    for name in ("heat.tif", "cold.tif", "job.yaml"):
        (box / name).parent.mkdir(parents=True, exist_ok=True)
        (box / name).write_bytes((root / name).read_bytes())
    out = box / "out"
    _kill_when_running(["run", str(box / "job.yaml"), "-o", str(out), "--scheduler",
                        scheduler], out, stage)
    resumed = cli("run", box / "job.yaml", "-o", out, "--scheduler", scheduler)
    assert resumed.code == 0, resumed.err[-3000:]
    assert _chunks(out / "cube.zarr") == _chunks(cube)
    assert not [p for p in out.rglob(".*") if ".staging-" in p.name or ".partial" in p.name]


@pytest.fixture(autouse=True)
def _no_flush_by_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each case starts without ``PROSPECT_FSYNC`` (the default); the one that asks for the
    flushes sets it."""
    monkeypatch.delenv("PROSPECT_FSYNC", raising=False)
    yield
