"""Fault round 16: a full disk under GDAL's writes, interrupted reruns, a stop of a large
job, inputs rewritten under a long-lived cluster (``docs/robustness.md``, "Round 16").

Real processes throughout: the ``prospect`` CLI as a subprocess with its own cluster,
real full disks (a small tmpfs, skipped where mounting is not allowed), real signals.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from .conftest import Sandbox, SmallDisk, assert_clean_error, run_job, run_prospect


def _fill(disk: SmallDisk, leave_kib: int) -> None:
    """Fill ``disk`` but for about ``leave_kib`` KiB."""
    free = os.statvfs(disk.root)
    with (disk.root / "filler").open("wb") as fh:
        os.posix_fallocate(fh.fileno(), 0, free.f_bavail * free.f_frsize - leave_kib * 1024)


def test_a_full_disk_under_the_score_cogs_is_one_line_without_libtiffs_lines(
        finished: tuple[Path, Path], small_disk: SmallDisk) -> None:
    """The score stage's COG written by GDAL on a full disk: libtiff printed
    ``_tiffWriteProc: No space left on device.`` from the worker, four times, and the job
    ended in "internal error: Exception: RasterioIOError('Write failed...')" (exit 70):
    GDAL keeps the cause in libtiff's message, and the worker's error, raised from a GDAL
    one, lost its type on the way to the job. Now: one line naming the COG, exit 74, and
    the same command resumes once there is room."""
    job_path, done = finished
    small_disk.remount("size=4m")
    out = small_disk.root / "out"
    shutil.copytree(done, out, symlinks=True)
    for stage in ("score", "tiles", "viewer"):
        shutil.rmtree(out / stage)
    _fill(small_disk, 140)
    result = run_prospect("score", job_path, "-o", out, "--workers", "1", timeout=180)
    text = result.out + result.err
    assert "_tiffWriteProc" not in text and "No space left" not in text, text[-3000:]
    assert_clean_error(result, 74, "score/probability.tif", "disk is full",
                       "run the same command again")
    assert not (out / "score" / "probability.tif").exists()
    (small_disk.root / "filler").unlink()
    again = run_prospect("score", job_path, "-o", out, "--workers", "1", timeout=180)
    assert again.code == 0, again.err[-3000:]
    assert (out / "score" / "probability.tif").read_bytes() == \
        (done / "score" / "probability.tif").read_bytes()


# -- a stop of a job with tens of thousands of tasks -------------------------------------

def _no_op(i: int) -> int:
    time.sleep(0.002)
    return i


def test_a_stop_of_twenty_thousand_pending_tasks_is_prompt() -> None:
    """A Ctrl-C (or a batch system's SIGTERM) of a stage whose 20 000 chunk tasks were all
    submitted: the scheduler forgets cancelled tasks in time that grows faster than their
    number, and closing the client took 15-18 s (two local workers) past its 5 s timeout,
    beyond many batch systems' grace before SIGKILL. A large batch is now sent
    :data:`~pipelines.executor.AHEAD` calls at a time, so a stop cancels few."""
    from pipelines.cluster import dask_client
    from pipelines.executor import StageExecutor

    with dask_client(workers=1) as client:
        calls = StageExecutor(client).map_unordered(
            _no_op, [[(i, (i,)) for i in range(20_000)]])
        started = time.perf_counter()
        for _, _ in zip(range(20), calls, strict=False):
            pass
        first = time.perf_counter() - started
        stop = time.perf_counter()
        calls.close()  # what a KeyboardInterrupt in the stage does to the generator
        cancelled = time.perf_counter() - stop
    stopped = time.perf_counter() - stop
    assert stopped < 6.0, f"the stop took {stopped:.1f} s (cancel {cancelled:.1f} s)"
    assert first < 6.0, f"the first calls came after {first:.1f} s"


# -- a manifest of a newer Prospect ------------------------------------------------------

def test_a_manifest_of_a_newer_format_is_refused_not_rewritten(job, cli, scheduler: str) -> None:
    """A manifest written by a newer Prospect (a later ``format``): this version took it
    as its own, misjudged what it did not know and rewrote it in its own layout, so the
    newer one then found its record of finished stages changed. Refused now, one line,
    the file untouched."""
    config, out = job
    manifest = out / "manifest.json"
    data = json.loads(manifest.read_text())
    data["format"] = 2
    manifest.write_text(json.dumps(data))
    before = manifest.read_bytes()
    result = run_job(cli, config, out, scheduler)
    assert_clean_error(result, 1, str(manifest), "newer Prospect", "format 2", "another -o")
    assert manifest.read_bytes() == before


# -- what earlier rounds left, found sound here (controls) -------------------------------

def test_a_stale_lock_of_a_dead_job_on_another_host_does_not_block(job, cli,
                                                                   scheduler: str) -> None:
    """Control: the lock is ``flock``, held by a live process only; what the lock file
    says (a job on another node, long dead) never blocks a rerun, and is replaced."""
    config, out = job
    lock = out / ".prospect.lock"
    lock.write_text(json.dumps({"pid": 4_000_000, "host": "node-17.cluster.example",
                                "started": "2026-11-30T23:59:59+00:00", "note": "x" * 200}))
    result = run_job(cli, config, out, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert json.loads(lock.read_text())["host"] != "node-17.cluster.example"


def test_a_raster_rewritten_in_place_is_read_anew_by_a_long_lived_cluster(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: the workers of a long-lived ``--scheduler`` cluster keep warped views of
    the inputs open between runs; a raster rewritten in place (same inode and size, its
    mtime put back) is read anew, since the views are keyed by inode, size, mtime and
    ctime (``prospect.io.raster.file_stamp``)."""
    import rasterio
    import xarray as xr

    tif = sandbox.root / "heat.tif"
    for step in range(2):
        result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
        assert result.code == 0, result.err[-3000:]
        with rasterio.open(tif) as src:
            want = src.read(1)
        with xr.open_zarr(sandbox.out / "cube.zarr") as cube:
            np.testing.assert_array_equal(cube["heat"].values, want, err_msg=f"run {step}")
        stat = os.stat(tif)
        with rasterio.open(tif, "r+") as dst:
            dst.write(want + 1, 1)
        os.utime(tif, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert (os.stat(tif).st_ino, os.stat(tif).st_size) == (stat.st_ino, stat.st_size)


# -- a cube linked to another file system ------------------------------------------------

def test_a_cube_linked_to_another_disk_is_written_through(job, cli, scheduler: str,
                                                          small_disk: SmallDisk) -> None:
    """``cube.zarr -> /bigdisk/cube.zarr`` (an output folder linked elsewhere is written
    through, on purpose): the cube's staging folders and set-aside copies went beside the
    link, on the output folder's disk, and every publish of a variable failed with
    "Invalid cross-device link" (exit 74, on every rerun). They now go beside the cube
    itself."""
    config, out = job
    small_disk.remount("size=8m")
    cube = small_disk.root / "cube.zarr"
    shutil.move(out / "cube.zarr", cube)
    (out / "cube.zarr").symlink_to(cube)
    chunk = cube / "probability" / "c" / "0" / "0"
    before = chunk.read_bytes()
    result = run_job(cli, config, out, scheduler, "score", "--force")
    assert result.code == 0 and "Traceback" not in result.err, result.err[-3000:]
    assert (out / "cube.zarr").is_symlink() and chunk.read_bytes() == before
    assert not [p.name for p in out.iterdir() if p.name.startswith(".cube.zarr")]
    again = run_job(cli, config, out, scheduler, "score")
    assert again.code == 0 and "skipped:" in again.err, again.err[-3000:]
