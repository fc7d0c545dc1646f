"""Fault round 19: what round 18 left (a removal folder let go by a run of other
stages, a job that lost the lock discarding the other job's partial maps) and new
faults around the output directory (``docs/robustness.md``, "Round 19").

Real processes throughout: the ``prospect`` CLI, real files, real OS errors
(``chattr +i``, a real tmpfs out of inodes, a real descriptor limit), a real second job.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import assert_clean_error, run_job
from .test_faults_round13 import _text, _tree
from .test_faults_round17 import _removed_runs
from .test_faults_round18 import _immutable

# -- 1. a removal stopped in a tile layer's pass keeps its folder until the move is done ---


def test_a_removal_stopped_in_a_layers_pass_keeps_its_folder_through_other_runs(
        job, cli, scheduler: str) -> None:
    """One tile layer dropped and the tiles run stopped while it moved the layer's
    pyramid and archive into ``removed/<time>-<run>/`` (a real ``EPERM`` on the archive),
    then ``prospect ingest`` alone (it finishes, with nothing to move): that run let the
    recorded folder go, and the next tiles run moved the rest into a folder of its own,
    one layer split over two folders. The folder is kept, with the stage whose moves are
    not done, until that stage has finished them."""
    config, out = job
    dropped = "uncertainty"
    config["tiles"]["layers"] = config["tiles"]["layers"][:1]
    pyramid = _tree(out / "tiles" / dropped)
    archive = (out / "tiles" / f"{dropped}.pmtiles").read_bytes()
    with _immutable(out / "tiles" / f"{dropped}.pmtiles"):
        stopped = run_job(cli, config, out, scheduler)
    assert_clean_error(stopped, 74, f"{dropped}.pmtiles", "not permitted")
    (first,) = _removed_runs(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["removing"] == f"removed/{first.name}", manifest.get("removing")
    other = run_job(cli, config, out, scheduler, "ingest")
    assert other.code == 0 and "Traceback" not in _text(other), _text(other)[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest.get("removing") == f"removed/{first.name}", manifest.get("removing")
    again = run_job(cli, config, out, scheduler)
    text = _text(again)
    assert again.code == 0 and "Traceback" not in text, text[-3000:]
    assert _removed_runs(out) == [first], _removed_runs(out)
    assert _tree(first / "tiles" / dropped) == pyramid
    assert (first / "tiles" / f"{dropped}.pmtiles").read_bytes() == archive
    assert f"kept in removed/{first.name}/" in text, text[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert "removing" not in manifest and "removing_for" not in manifest, manifest
    assert (out / "tiles" / "probability").is_dir()


# -- 2. a job that lost the directory discards only what it wrote ---------------------------

def _tiny_grid() -> object:
    from prospect.grid import RegionGrid

    from .conftest import TINY_REGION

    return RegionGrid(crs=TINY_REGION["crs"], resolution=TINY_REGION["resolution"],
                      bounds=tuple(TINY_REGION["bounds"]), chunks=(16, 16), name="tiny")


@pytest.mark.parametrize("loser_first", [False, True], ids=["loser-begins-second",
                                                           "loser-begins-first"])
def test_a_job_that_lost_the_directory_discards_only_its_own_partial_maps(
        tmp_path: Path, loser_first: bool) -> None:
    """Two jobs scoring into one cube where ``flock`` is not shared between hosts: the
    job whose lock record was overwritten is interrupted by its heartbeat (as by Ctrl-C)
    and discards its partial maps on the way out. Both had begun them under the same
    folder (``.cube.zarr.partial/probability``), so it removed the other job's, which
    then failed "removed while the job ran" (or, begun second, discarded the other's
    chunks as it began). Each run's partial maps are its own now: the job that stops
    touches nothing it did not write, and the other publishes whole maps of its own."""
    import numpy as np

    from prospect.io.cube import create_cube, open_cube, run_variables

    grid = _tiny_grid()
    cube = create_cube(tmp_path / "cube.zarr", grid)
    attrs = {"units": "1", "long_name": "probability (SYNTHETIC)"}
    winner = run_variables(cube, {"probability": attrs}, grid=grid, stage="score")
    loser = run_variables(cube, {"probability": attrs}, grid=grid, stage="score")
    first, second = (loser, winner) if loser_first else (winner, loser)
    parts = {id(first): first.__enter__()}
    parts[id(second)] = second.__enter__()
    for window in grid.chunk_windows():
        parts[id(loser)][0].write_chunk(window, np.full(window.shape, 0.25, "float32"))
        parts[id(winner)][0].write_chunk(window, np.full(window.shape, 0.75, "float32"))
    stop = KeyboardInterrupt()  # what the heartbeat raises in the job that lost -o
    try:  # the block's own exception goes on up (False), or is raised again
        suppressed = loser.__exit__(KeyboardInterrupt, stop, None)
    except KeyboardInterrupt:
        suppressed = False
    assert not suppressed
    winner.__exit__(None, None, None)
    values = open_cube(cube)["probability"].values
    assert values.shape == grid.shape and bool((values == np.float32(0.75)).all()), values
    partial = tmp_path / ".cube.zarr.partial"
    assert not partial.exists() or not list(partial.iterdir()), list(partial.iterdir())


# -- 3. a limit of open files (ulimit -n) too low for the job -----------------------------

def _open_files(soft: int, hard: int | None = None):
    """A ``preexec_fn`` that sets the child's limit of open files (``ulimit -n``), as a
    shell, a systemd service or a container sets it."""
    import resource

    def limit() -> None:
        top = resource.getrlimit(resource.RLIMIT_NOFILE)[1] if hard is None else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, top))

    return limit


def test_a_limit_of_open_files_too_low_for_a_job_is_one_line_before_anything_starts(
        sandbox) -> None:
    """``ulimit -n 24`` (soft and hard): the job started its dask cluster, which failed
    with "Too many open files; check the dask settings" (exit 1; lower still: 30 s of
    tornado's tracebacks, or "~/.config/dask: Too many open files", exit 74), naming
    settings that were not at fault. It is one line now, naming the limit and how to
    raise it, before anything is started or written (exit 74, as the file-size limit)."""
    from .conftest import run_prospect

    result = run_prospect("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1",
                          preexec_fn=_open_files(24, 24), timeout=180)
    assert_clean_error(result, 74, "limit of open files is 24", "ulimit -n")
    assert "dask:" not in result.err and "dask settings" not in result.err, result.err
    assert not sandbox.out.exists()
    assert sandbox.untouched()


def test_a_low_soft_limit_of_open_files_is_raised_and_the_job_runs(sandbox) -> None:
    """``ulimit -Sn 24`` under a high hard limit (a login shell's or a batch system's
    soft default lowered): the soft limit is there to be raised, and the job raises it
    (its workers inherit it) instead of failing to start its cluster."""
    import resource

    from .conftest import run_prospect

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 1024:
        pytest.skip(f"the hard limit of open files here is {hard}")
    result = run_prospect("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1",
                          preexec_fn=_open_files(24), timeout=180)
    assert result.code == 0 and "Traceback" not in result.err, result.err[-3000:]
    assert (sandbox.out / "cube.zarr" / "heat").is_dir()


# -- 4. a disk out of inodes, not of space ------------------------------------------------

def test_a_disk_out_of_inodes_says_so_and_the_same_command_resumes(
        sandbox, cli, scheduler: str, tmp_path: Path) -> None:
    """A file system with space left but no free inodes (a tmpfs with ``nr_inodes``, an
    ext4 disk of many small files): "the disk is full; free space", while ``df -h``
    shows plenty. The line says inodes now (``df -i``), and once there are more the
    same command resumes to the same chunks as an uninterrupted run."""
    import shutil
    import subprocess

    from .test_faults_round18 import _chunks

    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    disk = tmp_path / "few-inodes"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=50m,nr_inodes=20", "tmpfs",
                              str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        out = disk / "out"
        full = cli("run", sandbox.job_path, "-o", out, "--scheduler", scheduler)
        assert_clean_error(full, 74, "no free inodes", "df -i", str(out))
        subprocess.run(["mount", "-o", "remount,nr_inodes=4000", str(disk)], check=True)
        again = cli("run", sandbox.job_path, "-o", out, "--scheduler", scheduler)
        assert again.code == 0 and "Traceback" not in _text(again), _text(again)[-3000:]
        whole = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
        assert whole.code == 0, whole.err[-3000:]
        assert _chunks(out / "cube.zarr") == _chunks(sandbox.out / "cube.zarr")
        assert not [p.name for p in out.rglob(".*") if p.name != ".prospect.lock"]
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
    assert sandbox.untouched()


# -- 5. a manifest a newer Prospect of the same format wrote -------------------------------

def test_fields_a_newer_prospect_recorded_in_the_manifest_are_kept(
        sandbox, cli, scheduler: str) -> None:
    """A manifest of this format written by a newer Prospect that records more (a
    top-level ``lineage``, a stage record's ``energy_wh``, sealed as that version seals
    them): the rerun took the records as its own, but wrote the manifest back without
    the top-level field, lost for the newer version that reads the folder next. Fields
    this version does not know are kept; the records still resume."""
    from pipelines.manifest import _seal

    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    path = sandbox.out / "manifest.json"
    data = json.loads(path.read_text())
    data["lineage"] = {"graph": ["ingest"], "by": "prospect 99"}
    record = data["stages"]["ingest"]
    record["energy_wh"] = 0.4
    record["seal"] = _seal({k: v for k, v in record.items() if k != "seal"})
    path.write_text(json.dumps(data, indent=2))
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = _text(again)
    assert again.code == 0 and "skipped:" in text and "damaged" not in text, text[-3000:]
    after = json.loads(path.read_text())
    assert after["lineage"] == data["lineage"], sorted(after)
    assert after["stages"]["ingest"]["energy_wh"] == 0.4
    assert not (sandbox.out / "manifest.damaged.json").exists()
    assert sandbox.untouched()


# -- 6. a full disk under a COG, said by GDAL as its own error on a worker ----------------

def _write_probability_cog(cube: str, disk: str, free: int) -> str:
    """A task: fill ``disk`` to leave ``free`` bytes, then write the cube's probability
    map there as a COG (what the score stage does on a worker)."""
    import os

    from pipelines.faults import prepare_gdal
    from prospect.io.cube import cube_grid, open_cube
    from prospect.io.raster import write_cog

    prepare_gdal()
    root = Path(disk)
    for old in root.iterdir():
        old.unlink()
    st = os.statvfs(root)
    (root / "filler").write_bytes(b"\0" * max(0, st.f_bavail * st.f_frsize - free))
    ds = open_cube(Path(cube), chunks=None)
    write_cog(ds["probability"], root / "probability.tif", grid=cube_grid(ds))
    return "written"


def test_a_full_disk_said_by_gdal_as_its_own_error_on_a_worker_is_the_disks_line(
        finished, scheduler: str, tmp_path: Path) -> None:
    """A disk that fills while the COG is copied into place (its last ~60 KB): GDAL says
    ``CPLE_AppDefinedError('TIFFWriteDirectoryTagData:IO error writing tag data')``, no
    errno, from the worker; the cause was only in libtiff's message in the worker's
    memory, and the job ended "internal error", exit 70 (found with the demo job on
    tmpfs disks of 2.86-2.92 MiB). The error now carries the disk's errno across, and
    is the disk's one line (exit 74 in a job)."""
    import errno
    import shutil
    import subprocess

    from distributed import Client

    from pipelines.faults import disk_fault_within, output_fault

    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    seen: list[str] = []
    try:
        with Client(scheduler) as client:
            for free in range(940_000, 1_130_000, 12_000):  # the copy's window lies here
                try:
                    client.submit(_write_probability_cog, str(finished[1] / "cube.zarr"),
                                  str(disk), free, pure=False).result(timeout=120)
                    seen.append(f"{free}: written")
                    continue
                except Exception as exc:  # what the worker sent
                    seen.append(f"{free}: {type(exc).__name__}: {exc}")
                    if not type(exc).__name__.startswith("CPLE_"):
                        continue
                    found = disk_fault_within(exc)
                    assert found is not None and found.errno == errno.ENOSPC, seen
                    line = str(output_fault(found, disk))
                    assert "the disk is full" in line and str(disk) in line, line
                    break
            else:
                pytest.fail(f"no COG copy failed inside GDAL here: {seen}")
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


# -- 7. Ctrl-C twice while two workers trade blocks ----------------------------------------

def test_ctrl_c_twice_in_score_is_one_line_without_the_workers_tracebacks(
        finished, tmp_path: Path) -> None:
    """Ctrl-C twice in quick succession while the score stage runs on the embedded
    cluster of two workers: the job stopped cleanly, but the workers, cut off while one
    fetched a block from the other, printed four tracebacks ("Worker stream died during
    communication", "failed during get data with ...") above its line. They are kept
    off the console now (``PROSPECT_DEBUG=1`` keeps them); ``prospect run`` resumes to the
    same maps."""
    import shutil
    import signal
    import subprocess
    import time

    from .conftest import PROSPECT, REPO, Outcome

    job_path, done = finished
    out = tmp_path / "out"
    command = [*PROSPECT, "run", str(job_path), "-o", str(out), "--workers", "2"]
    # the finished job's copy, its score forced again: the stop lands in score, not in the
    # stages before it (which the fixture ran once); a score that ended before the stop
    # (a busy machine) is tried again, the stop sooner
    shutil.copytree(done, out, symlinks=True)
    for pause in (0.3, 0.1, 0.0):
        proc = subprocess.Popen([*PROSPECT, "score", str(job_path), "-o", str(out),
                                 "--workers", "2", "--force"], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 240
            while True:
                try:
                    stages = json.loads((out / "manifest.json").read_text())["stages"]
                except (OSError, ValueError, KeyError):
                    stages = {}
                if stages.get("score", {}).get("status") == "running":
                    break
                assert proc.poll() is None and time.monotonic() < deadline, \
                    proc.stderr.read() if proc.stderr else ""
                time.sleep(0.02)
            time.sleep(pause)
            proc.send_signal(signal.SIGINT)
            time.sleep(0.03)
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            break
    stopped = Outcome(proc.returncode, stdout, stderr)
    text = stdout + stderr
    assert stopped.code == 130, text[-3000:]
    assert "Traceback" not in text and "distributed.worker" not in text, text[-3000:]
    assert "run the same command again to resume" in text, text[-3000:]
    again = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr[-3000:]
    for cog in ("probability.tif", "uncertainty.tif"):
        assert (out / "score" / cog).read_bytes() == (done / "score" / cog).read_bytes()


# -- 8. the scheduler killed while the client reconnects -----------------------------------

def test_a_reconnect_cancelled_after_the_scheduler_was_killed_is_not_printed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``kill -9`` of a real ``dask scheduler`` (``--scheduler``) during score: the job's
    line said "lost the dask scheduler at ...", but in about half the runs an empty
    "distributed.client - ERROR -" record came first, with two tracebacks of the
    client's reconnect, cancelled as the job closed the client (distributed's
    ``log_errors`` logs it with ``logger.exception(exc)``, as here). The job's process
    drops it; any other error of the client still shows."""
    import asyncio
    import logging

    from pipelines.cluster import _quiet_logs

    monkeypatch.delenv("PROSPECT_DEBUG", raising=False)
    _quiet_logs()
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    log, keep = logging.getLogger("distributed.client"), Keep()
    log.addHandler(keep)
    try:
        try:
            raise asyncio.CancelledError()
        except asyncio.CancelledError as exc:
            log.exception(exc)  # what distributed.utils.log_errors does with it
        log.error("another error of the client")  # control: still shown
    finally:
        log.removeHandler(keep)
    assert [record.getMessage() for record in seen] == ["another error of the client"]
