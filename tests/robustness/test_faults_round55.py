"""Round 55, faults: multiprocessing's resource tracker killed under a job (``docs/
robustness.md``, "Round 55", faults): Python started another, warned "process died
unexpectedly, relaunching. Some resources might leak.", and the new tracker printed a
``KeyError`` traceback for each semaphore it was told to forget; it ran with SIGHUP
unblocked, and it did not know the dead one's names had the job died.

Real processes: a child Python that sets the tracker up as a job does
(:func:`pipelines.faults.hangup_proof_tracker`), makes the semaphores the embedded
cluster's nannies make (spawn-context locks, ``/loky-...`` names once joblib is imported)
and SIGKILLs its tracker. SYNTHETIC: no data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.skipif(
    not (Path("/proc/self/status").is_file() and Path("/dev/shm").is_dir()),
    reason="needs /proc and POSIX named semaphores in /dev/shm",
)

_CHILD = """
import gc, os, signal, sys, time
import joblib  # noqa: F401  (names the semaphores '/loky-<pid>-...', as in a job)
import multiprocessing as mp
from multiprocessing import resource_tracker
from pipelines.faults import hangup_proof_tracker

def tracker_pid():
    return resource_tracker._resource_tracker._pid

def kill_tracker():
    pid = tracker_pid()
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)

def sigblk(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("SigBlk:"):
            return int(line.split()[1], 16)

mode = sys.argv[1]
hangup_proof_tracker()
hangup_proof_tracker()  # a second job in the process: the same tracker
ctx = mp.get_context("spawn")
locks = [ctx.Lock() for _ in range(3)]
first = tracker_pid()
if mode != "control":
    kill_tracker()
if mode in ("forget", "control"):
    del locks
    gc.collect()
    print("forgotten", flush=True)
elif mode == "hangup":
    later = ctx.Lock()  # the next name given starts a tracker
    assert tracker_pid() not in (None, first)
    print("sighup-blocked", bool(sigblk(tracker_pid()) & (1 << (signal.SIGHUP - 1))), flush=True)
elif mode == "die":
    later = ctx.Lock()
    print("names", *[lock._semlock.name for lock in locks], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # the job dies: the tracker unlinks what it holds
"""


def _child(mode: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "default"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD), mode],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=env,
    )


def _quiet(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "KeyError" not in result.stderr, result.stderr[-3000:]
    assert "resource_tracker" not in result.stderr, result.stderr[-3000:]
    assert "leak" not in result.stderr, result.stderr[-3000:]


def test_a_killed_resource_tracker_is_followed_by_no_traceback_or_warning() -> None:
    """SYNTHETIC: the tracker SIGKILLed while three semaphores are held, then the three
    released (the nannies' as the cluster closes): Python warned "resource_tracker:
    process died unexpectedly, relaunching. Some resources might leak." and the new
    tracker printed ``KeyError: '/loky-...'`` with its traceback for each. Now the new
    tracker is given the dead one's names first, and nothing is printed."""
    result = _child("forget")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "forgotten" in result.stdout
    _quiet(result)
    assert result.stderr == "", result.stderr[-3000:]


def test_a_tracker_started_for_a_killed_one_keeps_sighup_blocked() -> None:
    """SYNTHETIC: the tracker is started with SIGHUP blocked so that a closed terminal does
    not end it (round 20); the one Python started where it was killed had SIGHUP
    unblocked, so the terminal's hang-up then ended it and brought the tracebacks back.
    Now it is started with the job's spared signals blocked too."""
    result = _child("hangup")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "sighup-blocked True" in result.stdout, result.stdout + result.stderr[-3000:]
    _quiet(result)


def test_a_job_dying_after_its_tracker_was_killed_leaves_no_semaphore_behind() -> None:
    """SYNTHETIC: the tracker killed, another started, then the job SIGKILLed: the names
    the dead tracker held stayed in ``/dev/shm`` for good (``sem.loky-...``; the new
    tracker never knew them). Now the new tracker unlinks them as the job's end closes
    its pipe."""
    result = _child("die")
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    names = next(
        line.split()[1:] for line in result.stdout.splitlines() if line.startswith("names")
    )
    assert len(names) == 3
    files = [Path("/dev/shm") / f"sem.{name.lstrip('/')}" for name in names]
    deadline = time.monotonic() + 15
    while any(path.exists() for path in files) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [path for path in files if path.exists()]
    for path in left:  # the test's own leftovers, not the machine's
        path.unlink()
    assert left == []


def test_control_a_tracker_left_alone_says_nothing_and_forgets_its_names() -> None:
    """SYNTHETIC control: no kill; three semaphores made and released under the job's
    tracker (set up twice), exit 0 and nothing printed."""
    result = _child("control")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "forgotten" in result.stdout
    assert result.stderr == "", result.stderr[-3000:]


# -- out of memory reading a file stored as one block ------------------------------------


def _geotiff(path: Path, *, tiled: bool) -> Path:
    """A SYNTHETIC GeoTIFF of 320 x 1024 float32 cells in UTM 19N, stored as one tile of
    the whole image, or as tiles of 256 x 256."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    rows, cols = (256, 256) if tiled else (320, 1024)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=1024,
        height=320,
        count=1,
        dtype="float32",
        crs="EPSG:32619",
        transform=from_origin(500000, 1350000, 10, 10),
        tiled=True,
        blockxsize=cols,
        blockysize=rows,
        compress="deflate",
    ) as dst:
        dst.write(np.ones((1, 320, 1024), "float32"))
    return path


def _refused(path: Path) -> MemoryError:
    """The refusal :func:`prospect.io.raster.raster_info` raises where GDAL could not
    allocate a block of ``path`` (round 54), as the job meets it: wrapped."""
    try:
        try:
            raise RuntimeError("GetBlockRef failed: cannot allocate 1200000 bytes")
        except RuntimeError as exc:
            raise MemoryError(f"GDAL reading {path}: cannot allocate 1200000 bytes") from exc
    except MemoryError as exc:
        return exc


def test_out_of_memory_reading_a_one_block_file_says_rewrite_it_tiled(tmp_path: Path) -> None:
    """SYNTHETIC: GDAL refused the memory of a block of a file stored as one strip of the
    whole image: the line said "Use smaller chunks ..., fewer --workers", which does not
    help (GDAL reads the whole block for any chunk of it). Now it names the file's storage
    and the block-size check's own fix, with the stage's and the command's words."""
    from pipelines.cli import _out_of_memory_line
    from pipelines.faults import out_of_memory_error

    path = _geotiff(tmp_path / "one_block.tif", tiled=False)
    line = str(out_of_memory_error(_refused(path), "ingest"))
    assert line.startswith(f"stage ingest: out of memory (GDAL reading {path}: cannot"), line
    assert (
        "finished chunks are kept. one_block.tif is stored as one block of the whole "
        "image (320 x 1024 cells)" in line
    ), line
    assert "smaller chunks do not help: rewrite it tiled" in line, line
    assert "gdal_translate -co TILED=YES" in line and "one_block.tif tiled.tif" in line, line
    assert "Use smaller chunks" not in line, line
    assert line.endswith("then run the same command again"), line
    said = _out_of_memory_line(_refused(path))
    assert said is not None and said.startswith("out of memory (GDAL reading "), said
    assert "rewrite it tiled" in said and "Use smaller chunks" not in said, said


def test_control_out_of_memory_reading_a_tiled_file_says_smaller_chunks(tmp_path: Path) -> None:
    """SYNTHETIC control: the same refusal for a tiled file, and numpy's, keep their line
    ("Use smaller chunks ..."), word for word."""
    from pipelines.faults import _under_limits, out_of_memory_error, stage_keeps

    path = _geotiff(tmp_path / "tiled.tif", tiled=True)
    for exc in (_refused(path), MemoryError("Unable to allocate 977. MiB for an array")):
        line = str(out_of_memory_error(exc, "ingest"))
        assert line == (
            f"stage ingest: out of memory ({str(exc)[:160]}){_under_limits()}; "
            f"{stage_keeps('ingest')}. Use smaller chunks (the region's chunk size; "
            "'prospect plan' shows the memory each worker needs), fewer --workers, or give "
            "the job more memory (ulimit -v, the batch job's --mem), then run the same "
            "command again"
        ), line
