"""Fault round 18: what round 17 left (a removal into ``removed/`` split over two
folders, the clock set back between runs, two jobs started at once where ``flock`` is
not shared) and new faults around the output directory (``docs/robustness.md``,
"Round 18").

Real processes throughout: the ``prospect`` CLI, real files, real OS errors
(``chattr +i``, a real clock shift with libfaketime), a real second process.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import assert_clean_error, run_job
from .test_faults_round13 import _text, _tree
from .test_faults_round17 import _removed_runs


@contextmanager
def _immutable(path: Path) -> Iterator[None]:
    """``path`` made immutable (``chattr +i``: even root cannot rename or remove it), a
    real ``EPERM`` from the kernel; skipped where the file system has no such flag."""
    if shutil.which("chattr") is None:
        pytest.skip("no chattr here")
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i refused here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)


# -- 1. a removal stopped half way is finished in the same removed/ folder ----------------

def test_a_removal_stopped_half_way_is_finished_in_one_removed_folder(
        job, cli, scheduler: str) -> None:
    """The ``model`` and ``tiles`` sections deleted, and the run stopped while it moved
    their outputs into ``removed/<time>-<run>/`` (here a real ``EPERM`` on one map, the
    way a kill, a full disk or a lost server stops it): the model was in one folder, and
    the next run moved the maps and tiles into a folder of its own, one removal split in
    two. The folder is recorded before the first move, and the next run finishes the
    move into it."""
    config, out = job
    model, tiles = _tree(out / "model"), _tree(out / "tiles")
    cog = (out / "score" / "uncertainty.tif").read_bytes()
    config.pop("model")
    config.pop("tiles")
    with _immutable(out / "score" / "uncertainty.tif"):
        stopped = run_job(cli, config, out, scheduler)
    assert_clean_error(stopped, 74, "score/uncertainty.tif", "not permitted")
    (first,) = _removed_runs(out)
    assert (first / "model").is_dir() and not (first / "tiles").exists()
    again = run_job(cli, config, out, scheduler)
    text = _text(again)
    assert again.code == 0 and "Traceback" not in text, text[-3000:]
    assert _removed_runs(out) == [first], _removed_runs(out)
    assert _tree(first / "model") == model and _tree(first / "tiles") == tiles
    assert (first / "score" / "uncertainty.tif").read_bytes() == cog
    assert f"kept in removed/{first.name}/" in text, text[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert "removing" not in manifest and manifest["runs"][-1]["removed_to"] == \
        f"removed/{first.name}"
    third = run_job(cli, config, out, scheduler)
    assert third.code == 0 and "removed" not in _text(third), _text(third)[-3000:]
    assert _removed_runs(out) == [first]


# -- 2. two jobs started in the same second where flock is not shared ---------------------

_SAME_SECOND = """
import json, os, sys, time
path = sys.argv[1]
open(sys.argv[2], "w").close()  # ready
while True:  # wait for the job on this host to hold the directory and write its record
    try:
        info = json.loads(open(path).read() or "{}")
    except (OSError, ValueError):
        info = {}
    if info.get("token") and not info.get("released") and info.get("host") != "node-17":
        break
    time.sleep(0.01)
beat = 0
while True:  # then write a record of its own, as a holder on another host does
    text = json.dumps({"pid": 31337, "host": "node-17.cluster.example", "token": "f" * 32,
                       "started": "2026-12-02T10:00:00+00:00", "beat": beat}).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    os.pwrite(fd, text, 0)
    os.ftruncate(fd, len(text))
    os.close(fd)
    beat += 1
    time.sleep(0.5)
"""


def test_two_jobs_started_in_the_same_second_where_flock_is_not_shared(
        sandbox, cli, scheduler: str) -> None:
    """Two batch jobs on two nodes started in the same second on one ``-o`` whose file
    system does not share ``flock``: each read the lock file before the other wrote it,
    found nobody, and both wrote one cube and one manifest. The other node's job is a
    real process that writes its record just after this job wrote its own. The holder
    reads its record back (0.5 s after writing it, then before each beat): this job
    stops, exit 75 naming the other job, and leaves the lock file to it."""
    import sys
    import time

    sandbox.out.mkdir()
    lock = sandbox.out / ".prospect.lock"
    ready = sandbox.root / "beater-ready"
    other = subprocess.Popen([sys.executable, "-c", _SAME_SECOND, str(lock), str(ready)])
    while not ready.exists():
        assert other.poll() is None
        time.sleep(0.01)
    ready.unlink()
    started = time.monotonic()
    try:
        result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
        took = time.monotonic() - started
        info = json.loads(lock.read_text())
    finally:
        other.kill()
        other.wait()
    assert_clean_error(result, 75, "node-17.cluster.example", "pid 31337",
                       "does not share locks between hosts")
    assert "watching" not in _text(result), _text(result)[-3000:]
    assert info["host"] == "node-17.cluster.example" and "released" not in info, info
    assert took < 8, took
    assert sandbox.untouched()
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    assert json.loads(lock.read_text()).get("released")


def test_a_normal_start_is_not_slowed_by_the_read_back(sandbox, cli, scheduler: str,
                                                       monkeypatch) -> None:
    """Control: the read-back runs in the holder's heartbeat thread; a job alone on its
    ``-o`` neither waits for it nor is stopped by it, and a plain rerun is as quick. The
    read-back's delay is raised to 6 s for the rerun: a rerun that waited for it would take
    that long, one that does not takes well under a second (an absolute bound of 0.5 s
    failed on a loaded CI machine, 0.6 s, with no wait)."""
    import time

    from pipelines import lock

    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    monkeypatch.setattr(lock, "SETTLE", 6.0)
    started = time.monotonic()
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    took = time.monotonic() - started
    assert again.code == 0 and "skipped:" in again.err, again.err[-3000:]
    print(f"TOOK {took:.3f}")
    assert took < 3.0, f"a rerun with nothing to do took {took:.2f} s (a wait for the read-back?)"


# -- 3. the clock set back between runs (a real clock shift: libfaketime) -----------------

_FAKETIME = [Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
             Path("/usr/lib/faketime/libfaketimeMT.so.1")]


def _clock_back(days: int) -> dict[str, str]:
    """The environment of a process whose wall clock reads ``days`` days earlier (its
    monotonic clock untouched, as when the system clock is set back); skipped where
    libfaketime is not installed (``apt-get install faketime``)."""
    lib = next((p for p in _FAKETIME if p.is_file()), None)
    if lib is None:
        pytest.skip("libfaketime is not installed (apt-get install faketime)")
    return {"LD_PRELOAD": str(lib), "FAKETIME": f"-{days}d",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def _chunks(cube: Path) -> dict[str, bytes]:
    return {str(p.relative_to(cube)): p.read_bytes()
            for p in sorted(cube.rglob("*")) if p.is_file() and "/c/" in str(p)}


def test_the_clock_set_back_between_runs_resumes_and_rewrites_the_same_bytes(
        sandbox, cli, scheduler: str) -> None:
    """Control, now run for real (round 17 could only read the code): a job run, then
    run again with the wall clock a year back (an NTP correction, a node with a dead
    RTC battery, a VM restored from a snapshot): skipped as finished; forced, it writes
    the same bytes and its record, finished "a year before" the first, is still the
    newest (resume orders stages by their ``seq``, never by time); back at the right
    time, the next run skips it."""
    from .conftest import run_prospect

    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    cube = sandbox.out / "cube.zarr"
    chunks = _chunks(cube)
    assert chunks
    env = _clock_back(365)
    back = run_prospect("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler,
                        env=env, timeout=180)
    assert back.code == 0 and "skipped:" in back.err, back.err[-3000:]
    runs = json.loads((sandbox.out / "manifest.json").read_text())["runs"]
    if runs[-1]["started"][:4] == runs[0]["started"][:4]:
        pytest.skip("libfaketime did not take effect here")
    forced = run_prospect("run", sandbox.job_path, "-o", sandbox.out, "--scheduler",
                          scheduler, "--force", env=env, timeout=180)
    assert forced.code == 0 and "Traceback" not in forced.err, forced.err[-3000:]
    assert _chunks(cube) == chunks
    record = json.loads((sandbox.out / "manifest.json").read_text())["stages"]["ingest"]
    assert record["finished"] < runs[0]["started"], record
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0 and "skipped:" in again.err, again.err[-3000:]
    assert record["run_id"] in again.err, again.err[-3000:]
    assert sandbox.untouched()


# -- 4. a stop asked of the batch job (SLURM): the run stops cleanly ----------------------

@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.parametrize("signame", ["TERM", "USR1"])
def test_a_stop_sent_to_the_batch_script_stops_the_run_cleanly(
        finished, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signame: str) -> None:
    """``cluster/prospect-job.sbatch`` on a real single-node SLURM, stopped the way a
    time limit warning (``--signal=B:TERM@120``) or ``scancel --batch --signal=TERM``
    stops it: the signal reaches the batch shell only. Bash died (or went on) without
    passing it on, its clean-up took the dask scheduler and workers away from a run
    still computing, and the run never said it stopped nor recorded a stage
    ``interrupted``. The script passes the stop on now and waits: one line, the stage
    interrupted (the same command resumes), then the workers and scheduler go. SIGUSR1
    (``--signal=B:USR1@120``, round 27) killed bash by default: it is passed on too."""
    import os
    import sys
    import tempfile
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))
    from slurm_helpers import shipped_partition, start_slurm, unavailable, venv

    from .conftest import REPO

    reason = unavailable()
    if reason:
        pytest.skip(reason)
    job_path, _ = finished
    root = Path(tempfile.mkdtemp(prefix="prospect-slurm-"))
    slurm = start_slurm(root, shipped_partition())
    try:
        monkeypatch.setenv("SLURM_CONF", str(slurm.conf))
        monkeypatch.setenv("PROSPECT_VENV", str(venv()))
        monkeypatch.setenv("PROSPECT_DASK_INTERFACE", "lo")
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
            filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        out = tmp_path / "out"
        submitted = slurm.cmd(
            "sbatch", "--parsable", "--ntasks=1", "--cpus-per-task=1", "--mem-per-cpu=1500M",
            f"--chdir={tmp_path}", f"--output={tmp_path}/prospect-%j.out",
            str(REPO / "cluster" / "prospect-job.sbatch"), str(job_path), str(out))
        job_id = submitted.strip().split(";")[0]
        log = tmp_path / f"prospect-{job_id}.out"
        deadline = time.monotonic() + 300
        manifest = out / "manifest.json"
        while not (manifest.is_file() and '"running"' in manifest.read_text()):
            assert job_id in slurm.jobs(), log.read_text()[-3000:] if log.is_file() else ""
            assert time.monotonic() < deadline, "the run did not start"
            time.sleep(0.1)
        time.sleep(0.5)  # a stage under way
        slurm.cmd("scancel", "--batch", f"--signal={signame}", job_id)
        while job_id in slurm.jobs():
            assert time.monotonic() < deadline, "the batch job did not end"
            time.sleep(0.3)
        text = log.read_text()
        assert f"stopped by SIG{signame}" in text, text[-3000:]
        assert "completed work is kept, run the same command again to resume" in text, \
            text[-3000:]
        assert "Traceback" not in text, text[-3000:]
        assert slurm.job_state(job_id) != "COMPLETED"
        stages = json.loads((out / "manifest.json").read_text())["stages"]
        assert "interrupted" in {record["status"] for record in stages.values()}, stages
        assert not list(tmp_path.glob("prospect-scheduler-*.json"))
        slurm.wait_until_empty(timeout=60)
    finally:
        slurm.stop()
        shutil.rmtree(root, ignore_errors=True)


# -- 5. an output folder that cannot be written, with a lock file that can ---------------

def test_a_folder_that_cannot_be_written_reruns_as_read_only(
        sandbox, cli, scheduler: str) -> None:
    """A finished job's ``-o`` made unwritable while its lock file stays writable (its
    write bit taken away, another user's folder; here ``chattr +i``, which binds root
    too): the lock opened, so the job took the folder for writable and every rerun ended
    at ``manifest.json`` ("operation not permitted", exit 74), even with nothing to do.
    It is read-only now, as a read-only file system is: nothing to do (exit 0), or one
    line naming the stage that has work left; nothing written."""
    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    manifest = (sandbox.out / "manifest.json").read_bytes()
    with _immutable(sandbox.out):
        again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
        forced = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler,
                     "--force")
        assert not [p.name for p in sandbox.out.iterdir() if p.name.startswith(".prospect")
                    and p.name != ".prospect.lock"]
    text = _text(again)
    assert again.code == 0 and "nothing to do" in text and "read-only" in text, text[-3000:]
    assert_clean_error(forced, 1, str(sandbox.out), "read-only", "ingest", "writable")
    assert (sandbox.out / "manifest.json").read_bytes() == manifest
    assert sandbox.untouched()


# -- 6. a cube another tool wrote into -o, on a grid of its own --------------------------

def test_a_cube_of_another_tool_on_another_grid_is_refused_before_anything_starts(
        sandbox, cli) -> None:
    """``cube.zarr`` in ``-o`` written by another tool (xarray, on 20 m cells; no
    Prospect ``grid`` attribute): the grid check let it through, so the job started its
    dask cluster and wrote its manifest before ingest refused the cube. It is refused
    first now, with both grids, and nothing is started or written."""
    import numpy as np
    import rioxarray  # noqa: F401
    import xarray as xr

    sandbox.out.mkdir()
    x = 500010.0 + 20 * np.arange(20)
    y = 1350390.0 - 20 * np.arange(20)
    other = xr.Dataset({"heat": (("y", "x"), np.zeros((20, 20), "float32"))},
                       coords={"x": x, "y": y}).rio.write_crs("EPSG:32619")
    other.rio.write_transform().to_zarr(sandbox.out / "cube.zarr", zarr_format=3,
                                        consolidated=True)
    before = _tree(sandbox.out)
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1")
    assert_clean_error(result, 1, "cube.zarr", "another grid", "resolution 20.0 there",
                       "another -o")
    assert "dask:" not in result.err, result.err[-3000:]
    assert not (sandbox.out / "manifest.json").exists()
    # the lock file held while the cube was checked is gone with the refusal (round 20:
    # a refusal before any stage leaves -o as it was)
    assert _tree(sandbox.out) == before


# -- 7. a job suspended while another host's job took its directory --------------------

def test_a_job_resumed_after_another_host_took_its_directory_stops(
        finished, tmp_path: Path, scheduler: str) -> None:
    """A job suspended (``kill -STOP``, ``scontrol suspend``, a VM paused) longer than
    the watch of a job on another host that does not share ``flock``: that job saw the
    lock file still, took the directory and wrote its record; resumed, the first job went
    on writing beside it. Its heartbeat now reads the file before each beat: it stops,
    exit 75 naming the other job, and leaves the lock file to it. The same command,
    once that job is done, finishes the run with the same maps."""
    import signal
    import time

    from .conftest import PROSPECT, REPO, Outcome

    job_path, done = finished
    out = tmp_path / "out"
    proc = subprocess.Popen([*PROSPECT, "run", str(job_path), "-o", str(out), "--scheduler",
                             scheduler], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lock = out / ".prospect.lock"
    try:
        deadline = time.monotonic() + 120
        while not ((out / "manifest.json").is_file()
                   and '"running"' in (out / "manifest.json").read_text()):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)
        proc.send_signal(signal.SIGSTOP)
        taken = {"pid": 31337, "host": "node-17.cluster.example", "token": "e" * 32,
                 "started": "2026-12-02T10:00:00+00:00", "beat": 0}
        lock.write_text(json.dumps(taken))
        proc.send_signal(signal.SIGCONT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_clean_error(Outcome(proc.returncode, "", err), 75, "node-17.cluster.example",
                       "pid 31337", "does not share locks between hosts")
    assert json.loads(lock.read_text()) == taken
    lock.write_text(json.dumps(dict(taken, released="2026-12-02T10:05:00+00:00")))
    again = subprocess.run([*PROSPECT, "run", str(job_path), "-o", str(out), "--scheduler",
                            scheduler], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    for cog in ("probability.tif", "uncertainty.tif"):
        assert (out / "score" / cog).read_bytes() == (done / "score" / cog).read_bytes()
