"""Fault round 20: what round 19 left (a job that lost the lock publishing before it saw
so, a second damaged manifest's copy over the first's, a partial map of an older version
never swept) and new faults around a run (another cube's root metadata over the job's
own, a task out of memory) (``docs/robustness.md``, "Round 20").

Real processes and files throughout: the ``prospect`` CLI, a real second writer of the
lock file, a real ``ulimit -v``.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from .conftest import Sandbox, assert_clean_error
from .test_faults_round13 import _text, _tree
from .test_faults_round18 import _SAME_SECOND, _immutable

# -- 1. a job that lost the lock does not publish before it sees so -----------------------


def test_a_lock_taken_by_another_job_is_seen_before_the_next_publish(tmp_path: Path) -> None:
    """Another host's job writes its record into the lock file (no shared ``flock``)
    just after this job took the directory: the heartbeat reads it back only 0.5 s
    later, and in that window this job still wrote its manifest or published a finished
    map over the other job's. The lock is read anew right before each publish: the
    first one after the other job wrote is refused at once, naming it."""
    from pipelines.lock import check_held, output_lock, publish_check
    from prospect.errors import OutputBusyError

    out = tmp_path / "out"
    out.mkdir()
    other = {"pid": 31337, "host": "node-17.cluster.example", "token": "f" * 32,
             "started": "2026-12-03T07:00:00+00:00", "beat": 0}
    with pytest.raises(OutputBusyError) as stopped, output_lock(out) as writable:
        assert writable  # (the lock's own refusal as the job ends is ``stopped``)
        check_held(out)  # its own record: nothing to say
        (out / ".prospect.lock").write_text(json.dumps(other))
        started = time.monotonic()
        with pytest.raises(OutputBusyError, match=r"node-17\.cluster\.example"):
            check_held(out)  # before the heartbeat's read-back, not 0.5 s later
        assert time.monotonic() - started < 0.25
        with pytest.raises(OutputBusyError, match="pid 31337"):
            publish_check(out / "cube.zarr" / "probability")  # a publish under -o
        publish_check(tmp_path / "elsewhere.tif")  # outside any -o this process locks
    assert "pid 31337" in str(stopped.value)
    assert json.loads((out / ".prospect.lock").read_text()) == other  # left to it


def test_a_rerun_that_lost_the_lock_in_its_first_instant_writes_no_manifest(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """A rerun with nothing to do lasts less than the heartbeat's read-back (0.5 s):
    another host's job that wrote the lock file just after it took the directory found
    this job's run entry written into its manifest. Now the manifest is never written
    once the lock file names another job: exit 75, the manifest as it was."""
    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    manifest = (sandbox.out / "manifest.json").read_bytes()
    lock = sandbox.out / ".prospect.lock"
    ready = sandbox.root / "beater-ready"
    beater = subprocess.Popen([sys.executable, "-c", _SAME_SECOND, str(lock), str(ready)])
    try:
        while not ready.exists():
            assert beater.poll() is None
            time.sleep(0.01)
        ready.unlink()
        result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    finally:
        beater.kill()
        beater.wait()
    assert_clean_error(result, 75, "node-17.cluster.example", "pid 31337")
    assert (sandbox.out / "manifest.json").read_bytes() == manifest


# -- 2. a second damaged manifest keeps the first one's copy -------------------------------

def test_a_second_damaged_manifest_does_not_replace_the_first_ones_copy(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """``manifest.json`` damaged, the job rerun (the damaged file kept as
    ``manifest.damaged.json``), then damaged again: the second copy replaced the first,
    the record a user kept to mend by hand. Each is kept, the later ones numbered; the
    same damage read twice in one run is kept once."""
    out = sandbox.out
    assert cli("run", sandbox.job_path, "-o", out, "--scheduler", scheduler).code == 0
    first_damage = b'{"stages": {"ingest": '  # cut short
    (out / "manifest.json").write_bytes(first_damage)
    again = cli("run", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert again.code == 0 and "manifest.damaged.json" in _text(again), _text(again)[-3000:]
    second_damage = b"[1, 2, 3]"  # JSON of the wrong shape
    (out / "manifest.json").write_bytes(second_damage)
    third = cli("run", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert third.code == 0 and "manifest.damaged-2.json" in _text(third), _text(third)[-3000:]
    assert (out / "manifest.damaged.json").read_bytes() == first_damage
    assert (out / "manifest.damaged-2.json").read_bytes() == second_damage
    assert not (out / "manifest.damaged-3.json").exists()
    assert sandbox.untouched()


# -- 3. a partial map of an older version under its plain name is swept -------------------

def _partial(cube: Path, folder: str, fingerprint: str) -> Path:
    """A partial variable's folder as :class:`prospect.io.cube.PartialVariable` leaves it
    (its spec, its marks, one chunk of bytes)."""
    root = cube.parent / f".{cube.name}.partial" / folder
    (root / "done").mkdir(parents=True)
    (root / "done" / "0.0").touch()
    (root / "store" / folder / "c" / "0").mkdir(parents=True)
    (root / "store" / folder / "c" / "0" / "0").write_bytes(b"\0" * 64)
    (root / "spec.json").write_text(json.dumps({"fingerprint": fingerprint, "name": folder}))
    return root


def test_a_partial_map_an_older_version_left_under_its_plain_name_is_swept(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """A score killed under an older version left ``.cube.zarr.partial/probability``
    (a run-only fingerprint, ``score-<run id>``): no later run resumes it and no sweep
    matched its plain name, so it stayed beside the cube for ever. The next run's sweep
    removes it (and an ingest variable's provisional one); an ingest variable that can
    resume (a SHA-256 fingerprint) is kept."""
    assert cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler).code == 0
    cube = sandbox.out / "cube.zarr"
    old_map = _partial(cube, "probability", f"score-{uuid.uuid4().hex}")
    provisional = _partial(cube, "gone", f"provisional-{uuid.uuid4().hex}")
    resumable = _partial(cube, "heat2", "ab" * 32)
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert not old_map.exists() and not provisional.exists()
    assert resumable.is_dir()
    assert "left by an interrupted run" in _text(result), _text(result)[-3000:]


# -- 4. another cube's root metadata over the job's own cube ----------------------------

def _other_grid_job(root: Path) -> Path:
    """The tiny job on chunks of 40 (another grid), run into ``root/out``."""
    box = Sandbox(root)
    job = yaml.safe_load(box.job_path.read_text())
    job["region"]["chunks"] = [40, 40]
    box.write_job(text=yaml.safe_dump(job, sort_keys=False))
    return box.job_path


def test_another_cubes_root_metadata_over_the_jobs_cube_is_rebuilt_not_refused(
        sandbox: Sandbox, cli, scheduler: str, tmp_path: Path) -> None:
    """The cube's root ``zarr.json`` replaced by another job's (a sync tool, a restore,
    a copy of the wrong folder; its grid has other chunks) while every array is the
    job's own: the run refused the job's own cube as "on another grid" and told the user
    to remove it, every chunk lost. The root is written again from the job's grid (a
    warning says so), the stage is skipped, the cube reads as before. The whole cube
    replaced by the other job's is still refused (the control)."""
    out = sandbox.out
    assert cli("run", sandbox.job_path, "-o", out, "--scheduler", scheduler).code == 0
    cube = out / "cube.zarr"
    before = _tree(cube / "heat")
    root = json.loads((cube / "zarr.json").read_text())
    other_job = _other_grid_job(tmp_path / "other")
    other_out = tmp_path / "other" / "out"
    assert cli("run", other_job, "-o", other_out, "--scheduler", scheduler).code == 0
    (cube / "zarr.json").write_bytes((other_out / "cube.zarr" / "zarr.json").read_bytes())
    result = cli("run", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    text = _text(result)
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "another cube's" in text and "chunks [40, 40] there" in text, text[-3000:]
    assert "skipped:" in text, text[-3000:]
    assert json.loads((cube / "zarr.json").read_text()) == root
    assert _tree(cube / "heat") == before
    assert sandbox.untouched()
    import shutil

    shutil.rmtree(cube)  # control: the other job's whole cube is not this job's
    shutil.copytree(other_out / "cube.zarr", cube)
    refused = cli("run", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert_clean_error(refused, 1, "another grid", "chunks [40, 40] there")


# -- 5. a task out of memory ------------------------------------------------------------

def _address_space(kib: int):
    """A ``preexec_fn`` that limits the child's address space (``ulimit -v``), as a
    batch system's memory limit without swap or a container's does."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (kib * 1024, kib * 1024))

    return limit


def test_a_task_out_of_memory_is_one_line_naming_the_stage_and_the_fix(
        sandbox: Sandbox) -> None:
    """A region of one chunk of 16 000 x 16 000 cells under ``ulimit -v`` 1.8 GB: the
    worker's numpy raised ``MemoryError`` ("Unable to allocate 977. MiB ...") and the job
    ended "internal error: MemoryError", exit 70, a bug to report. Now one line naming
    the stage, the allocation and what to change, exit 1, the stage recorded failed and
    no variable published; with ``PROSPECT_DEBUG=0`` (debugging off) no worker's
    traceback either."""
    job = yaml.safe_load(sandbox.job_path.read_text())
    job["region"]["resolution"] = 0.025
    job["region"]["chunks"] = [16000, 16000]
    sandbox.write_job(text=yaml.safe_dump(job, sort_keys=False))
    import os

    from .conftest import PROSPECT, REPO, Outcome

    # PROSPECT_DEBUG=0, as a user turns debugging off: the workers took any value as on
    # and printed the task's "Compute Failed" traceback above the job's line
    env = {**os.environ, "PROSPECT_DEBUG": "0"}
    proc = subprocess.run([*PROSPECT, "run", str(sandbox.job_path), "-o", str(sandbox.out),
                           "--workers", "1"], cwd=REPO, capture_output=True, text=True,
                          timeout=240, env=env, preexec_fn=_address_space(1_800_000))
    result = Outcome(proc.returncode, proc.stdout, proc.stderr)
    line = assert_clean_error(result, 1, "stage ingest")
    assert "Compute Failed" not in result.err, result.err[-3000:]
    assert "out of memory" in line or "refused a new thread" in line, line
    assert "ulimit" in line and "run the same command again" in line, line
    manifest = json.loads((sandbox.out / "manifest.json").read_text())
    assert manifest["stages"]["ingest"]["status"] == "failed", manifest["stages"]
    assert not (sandbox.out / "cube.zarr" / "heat").exists()
    assert sandbox.untouched()


# -- 6. a worker killed as the embedded cluster starts -----------------------------------

def _kill_starting_workers(proc: subprocess.Popen, kills: int, *, after: float = 0.3,
                           within: float = 90.0) -> list[int]:
    """Kill (``SIGKILL``, as the OOM killer does) the first ``kills`` worker processes of
    the job ``proc``'s embedded cluster, each ``after`` seconds after it appears (still
    starting: a worker takes a second or more to report ready)."""
    import os
    import signal

    import psutil

    killed: list[int] = []
    deadline = time.monotonic() + within
    while len(killed) < kills and proc.poll() is None and time.monotonic() < deadline:
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                starting = child.pid not in killed and "spawn_main" in " ".join(
                    child.cmdline())
            except psutil.Error:
                continue
            if starting:
                time.sleep(after)
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)
                break
        time.sleep(0.02)
    return killed


@pytest.mark.parametrize("kills", [1, 2], ids=["once", "twice"])
def test_a_worker_killed_as_the_embedded_cluster_starts(sandbox: Sandbox, kills: int) -> None:
    """A worker process of the embedded cluster killed while it starts (the OOM killer on
    a machine short of memory, a user's ``kill``): the job ended "the local dask cluster
    did not start: RuntimeError: Nanny failed to start.; check the dask settings ...",
    exit 1, though no setting was wrong and a second start would have worked. The start
    is tried once more: killed once, the job runs (exit 0); killed on both tries, one
    line says a worker died as it started and what to check, and nothing was written
    but the lock."""
    from .conftest import PROSPECT, REPO, Outcome

    proc = subprocess.Popen([*PROSPECT, "run", str(sandbox.job_path), "-o", str(sandbox.out),
                             "--workers", "1"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        killed = _kill_starting_workers(proc, kills)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len(killed) == kills, (killed, err[-3000:])
    result = Outcome(proc.returncode, out, err)
    if kills == 1:
        assert result.code == 0 and "Traceback" not in err, err[-3000:]
        assert (sandbox.out / "cube.zarr" / "heat").is_dir()
    else:
        assert_clean_error(result, 1, "worker process died as it started", "--workers",
                           "run the same command again")
        assert "check the dask settings" not in err
        assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


# -- 7. a terminal closed: SIGHUP to the job's whole process group ----------------------

def test_a_closed_terminal_stops_the_job_in_one_line_and_it_resumes(
        sandbox: Sandbox, tmp_path: Path, cli, scheduler: str) -> None:
    """A closed terminal sends SIGHUP to the job's whole process group (its workers and
    multiprocessing's resource tracker too). The job stopped cleanly (exit 129), but the
    tracker, which ignores SIGINT and SIGTERM but not SIGHUP, died with it; the job
    started a new one as it closed its cluster, which printed a ``KeyError:
    '/loky-...'`` traceback for each semaphore it was asked to forget. Now one line,
    and the same command resumes to the chunks of an uninterrupted run."""
    import os
    import signal

    from .conftest import PROSPECT, REPO

    proc = subprocess.Popen([*PROSPECT, "run", str(sandbox.job_path), "-o", str(sandbox.out),
                             "--workers", "2"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the cluster is up: the terminal goes
            seen.append(line)
            if line.startswith("dask:"):
                os.killpg(proc.pid, signal.SIGHUP)
                break
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = "".join(seen) + rest
    assert proc.returncode in (0, 129), text[-3000:]  # a job quicker than the signal: done
    assert "Traceback" not in text and "KeyError" not in text, text[-3000:]
    if proc.returncode == 129:
        assert "stopped by SIGHUP" in text, text[-3000:]
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    clean = cli("run", sandbox.job_path, "-o", tmp_path / "clean", "--scheduler", scheduler)
    assert clean.code == 0, clean.err[-3000:]
    assert _tree(sandbox.out / "cube.zarr" / "heat") == _tree(tmp_path / "clean" / "cube.zarr"
                                                              / "heat")
    assert sandbox.untouched()


# -- 8. -o made unwritable as a stage publishes its variables ---------------------------

def test_a_folder_made_unwritable_at_a_publish_is_named_as_the_cube(tmp_path: Path) -> None:
    """``-o`` made unwritable (``chattr +i``, another user's ``chmod``) while ingest ran:
    its chunks were written (inside the cube's partial folder), but the publish failed
    on the hidden folder that takes the published variables' leftovers, and the job's
    one line named that folder (``.cube.zarr.published-3ffbdb7b0f87: operation not
    permitted``), a name the user never gave. It is a set-aside name now: the line names
    the cube, and a killed run's folder is swept with the other leftovers."""
    import errno

    import numpy as np

    from pipelines.faults import output_fault
    from prospect.io.cube import create_cube, run_variables
    from prospect.io.files import sweep_leftovers

    from .test_faults_round19 import _tiny_grid

    grid = _tiny_grid()
    out = tmp_path / "out"
    cube = create_cube(out / "cube.zarr", grid)
    maps = run_variables(cube, {"probability": {"units": "1"}}, grid=grid, stage="score")
    parts = maps.__enter__()  # begun, and every chunk written, while -o could be written
    for window in grid.chunk_windows():
        parts[0].write_chunk(window, np.full(window.shape, 0.5, "float32"))
    with _immutable(out), pytest.raises(OSError) as refused:
        maps.__exit__(None, None, None)  # the publish
    assert refused.value.errno == errno.EPERM
    line = str(output_fault(refused.value, out))
    assert line.startswith(f"{cube}: operation not permitted"), line
    assert ".published-" not in line and ".old-" not in line, line
    assert not (cube / "probability").exists()  # nothing half published
    leftover = out / f".cube.zarr.old-{uuid.uuid4().hex[:8]}"
    leftover.mkdir()  # as a run killed inside the block leaves it
    assert leftover in sweep_leftovers(out) and not leftover.exists()


# -- 9. the SLURM batch script's workers all gone before they joined --------------------

def _join_step(script: Path) -> str:
    """The Python the batch script runs to wait for its workers to join."""
    lines = script.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("python - ")) + 1
    end = next(i for i in range(start, len(lines)) if lines[i] == "EOF")
    return "\n".join(lines[start:end]) + "\n"


def test_the_batch_scripts_workers_ending_before_they_join_is_one_line_at_once(
        tmp_path: Path) -> None:
    """``cluster/prospect-job.sbatch`` waits for its ``srun`` step of dask workers to
    join a real ``dask scheduler``. A step whose workers all die as they start (out of
    memory under ``--mem-per-cpu``, a module missing in the virtual environment) left the
    batch job waiting 600 s, then printed ``wait_for_workers``' traceback. The wait now
    ends as the step does, with one line naming what to check."""
    from .conftest import REPO

    scheduler_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                  "--scheduler-file", str(scheduler_file), "--port", "0",
                                  "--no-dashboard", "--host", "127.0.0.1"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (scheduler_file.is_file() and scheduler_file.stat().st_size):
            assert scheduler.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        step = subprocess.Popen(["true"])  # the srun step: ended, no worker joined
        step.wait()
        started = time.monotonic()
        try:
            waited = subprocess.run(
                [sys.executable, "-", str(scheduler_file), "2", str(step.pid)],
                input=_join_step(REPO / "cluster" / "prospect-job.sbatch"),
                capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("the batch script still waits for workers whose step has ended")
        took = time.monotonic() - started
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
    assert waited.returncode == 1 and took < 20, (waited.returncode, took)
    assert "Traceback" not in waited.stderr, waited.stderr[-3000:]
    (line,) = waited.stderr.strip().splitlines()
    assert line.startswith("prospect-job: 0 of 2 dask worker(s) joined"), line
    assert "srun step" in line and "--mem-per-cpu" in line, line
