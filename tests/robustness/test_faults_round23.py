"""Fault round 23: ``-o`` removed, renamed or replaced by a file under each stage, whichever
read or write meets it first (``docs/robustness.md``, "Round 23").

Real processes and files throughout: the ``prospect`` CLI in this process on the session's
dask cluster, the demo scene's finished job copied per case.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import PROSPECT, REPO, Outcome, Sandbox, assert_clean_error, run_job

# -- 1. -o removed, renamed or replaced under a running stage ----------------------------------


def _take_away(out: Path, how: str) -> None:
    """Remove ``out`` as a user, a cleaner or a sync tool would: deleted, moved aside, or
    deleted with a file put in its place."""
    if how == "renamed":
        os.rename(out, out.with_name(out.name + ".moved"))
        return
    shutil.rmtree(out)
    if how == "replaced by a file":
        out.write_text("not a folder\n")


@pytest.mark.parametrize("how", ["removed", "renamed", "replaced by a file"])
@pytest.mark.parametrize("stage", ["ingest", "indices", "train", "score", "tiles"])
def test_an_output_directory_taken_away_as_a_stage_starts_is_said_so(
        job: tuple[dict[str, Any], Path], cli, scheduler: str, monkeypatch: pytest.MonkeyPatch,
        stage: str, how: str) -> None:
    """SYNTHETIC demo scene. ``-o`` deleted, renamed or replaced by a file right after a
    stage marked itself running (forced for real in a loop first: a cleaner or a user
    under a running job): the stage's own first read of the cube met it, and the job
    ended as that read said ("cube.zarr: not a zarr v3 cube (no zarr.json); run
    'prospect ingest'", exit 1; "it exists already and is in the way", exit 74; a zarr
    ``ArrayNotFoundError`` or ``KeyError``, an internal error, exit 70), depending on which
    read came first. Now always "removed while the job ran" naming ``-o``, exit 74."""
    from pipelines.manifest import Manifest
    from pipelines.stages import ingest

    config, out = job
    if stage == "ingest":  # as its first read of the cube starts
        read = ingest._published_fingerprints

        def take_away_then_read(ctx: Any) -> dict[str, str]:
            _take_away(out, how)
            return read(ctx)

        monkeypatch.setattr(ingest, "_published_fingerprints", take_away_then_read)
    else:  # as the stage is marked running
        begin = Manifest.begin

        def begin_then_take_away(self: Manifest, name: str, reason: str = "") -> None:
            begin(self, name, reason)
            if name == stage:
                _take_away(out, how)

        monkeypatch.setattr(Manifest, "begin", begin_then_take_away)
    result = run_job(cli, config, out, scheduler, stage, "--force")
    assert_clean_error(result, 74, str(out), "removed while the job ran",
                       "run the same command again")
    assert "Compute Failed" not in result.err, result.err[-3000:]


# -- 2. no usable /dev/shm (a container or sandbox without it) ---------------------------------

def test_a_system_without_a_writable_dev_shm_is_named_not_the_output_disk(
        sandbox: Sandbox) -> None:
    """SYNTHETIC tiny job, run for real in a mount namespace whose ``/dev/shm`` is a
    read-only tmpfs (a container or sandbox without shared memory): the embedded cluster's
    nannies could not make their POSIX semaphores, and the job said "out: the file system
    is read-only; point -o/--out to a folder on a writable disk" (exit 74), though ``-o``
    was writable. Now one line names /dev/shm, why and the ways out (exit 1)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root to mount a tmpfs")
    script = ("mount -t tmpfs -o ro,size=64k tmpfs /dev/shm || exit 99; "
              f"exec {' '.join(PROSPECT)} run {sandbox.job_path} -o {sandbox.out} --workers 1")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PROSPECT_DEBUG", None)
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True,
                          text=True, timeout=180, cwd=REPO, env=env)
    if proc.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    result = Outcome(proc.returncode, proc.stdout, proc.stderr)
    line = assert_clean_error(result, 1, "/dev/shm", "Read-only file system", "--shm-size",
                              "--scheduler")
    assert str(sandbox.out) not in line, line
    assert sandbox.untouched()


# -- 3. -o removed under a stage that writes nothing there for long ----------------------------

def test_a_long_stage_whose_output_directory_was_removed_stops_at_once(
        job: tuple[dict[str, Any], Path], cli, scheduler: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNTHETIC demo scene. ``-o`` deleted as train starts (forced for real first: train
    ran on 10-20 s after the folder was gone, to its first write; on a region, hours of
    cross-validation for nothing). The lock's heartbeat, which reads the lock file every
    2 s, now finds the folder gone and stops the job: "removed while the job ran", exit 74,
    within seconds. The stage's long computation is stood for by a 60 s wait in the main
    thread (the job before the fix ran it out, then failed at its first write)."""
    import time

    from pipelines.manifest import Manifest

    config, out = job
    begin = Manifest.begin

    def begin_then_take_away(self: Manifest, name: str, reason: str = "") -> None:
        begin(self, name, reason)
        if name == "train":
            shutil.rmtree(out)
            time.sleep(60)  # the stage's long computation, writing nothing under -o

    monkeypatch.setattr(Manifest, "begin", begin_then_take_away)
    started = time.monotonic()
    result = run_job(cli, config, out, scheduler, "train", "--force")
    took = time.monotonic() - started
    assert_clean_error(result, 74, str(out), "removed while the job ran",
                       "run the same command again")
    assert took < 40, f"the job ran on {took:.0f} s after its output directory was removed"
    assert not out.exists()  # nothing made again


# -- 4. a script that starts a job without the main-module guard -------------------------------

def test_a_script_without_the_main_guard_is_told_so_not_the_oom_killer(tmp_path: Path) -> None:
    """A researcher's script that starts the embedded cluster (``run_job``, or
    ``local_cluster`` as here) at its top level, without ``if __name__ == "__main__":``:
    each worker process imports the script as it starts, starts the cluster again and
    dies ("An attempt has been made to start a new process before the current process has
    finished its bootstrapping phase"). The job blamed the OOM killer ("a worker process
    died as it started ... free -h, dmesg"), or printed multiprocessing's many-line text
    as a dask setting's fault. Now it names the script and the missing guard."""
    script = tmp_path / "my_analysis.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from pipelines.cluster import local_cluster\n"
        "with local_cluster(1, dashboard_address=None):\n"
        "    pass\n")
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    proc = subprocess.run([PROSPECT[0], str(script)], capture_output=True, text=True,
                          timeout=180, cwd=tmp_path, env=env)
    assert proc.returncode != 0
    last = [line for line in proc.stderr.splitlines() if line.startswith("prospect.errors.")][-1]
    assert "StageError" in last and str(script) in last, proc.stderr[-3000:]
    assert "if __name__ == \"__main__\":" in last, last
    assert "out of memory" not in last and "dmesg" not in last, last


def test_an_output_directory_met_missing_while_its_removal_is_under_way(
        job: tuple[dict[str, Any], Path], cli, scheduler: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNTHETIC demo scene. ``rm -r`` of ``-o`` takes its time, in the order the folder
    lists its entries: seen in the real race, tiles met the cube gone while the lock file
    was still there, and said "cube.zarr: not a zarr v3 cube (no zarr.json); run
    'prospect ingest'" (exit 1). Here the cube goes as indices starts and the rest of
    ``-o`` 0.3 s later: an error naming a path under ``-o`` that is not there waits up to
    a second for the lock file to go too, and then says the removal (exit 74)."""
    import threading

    from pipelines.manifest import Manifest

    config, out = job
    begin = Manifest.begin
    rest: list[threading.Timer] = []

    def begin_then_remove(self: Manifest, name: str, reason: str = "") -> None:
        begin(self, name, reason)
        if name == "indices":
            shutil.rmtree(out / "cube.zarr")
            rest.append(threading.Timer(0.3, shutil.rmtree, (out,)))
            rest[0].start()

    monkeypatch.setattr(Manifest, "begin", begin_then_remove)
    result = run_job(cli, config, out, scheduler, "indices", "--force")
    rest[0].join()
    assert_clean_error(result, 74, str(out), "removed while the job ran")


def test_a_removal_the_heartbeat_finds_while_the_job_waits_for_it_is_said_so(
        job: tuple[dict[str, Any], Path], cli, scheduler: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNTHETIC demo scene. The case above, with the heartbeat finding the removal before
    the job's own look (the interleaving one suite run under load met): its interrupt
    reached the job while it waited for the lock file to go, and the job said
    "interrupted", exit 130, as on Ctrl-C. The job's own looks are held back here and the
    heartbeat beats every 0.1 s, so the heartbeat finds it first every time; exit 74."""
    import threading

    from pipelines import lock
    from pipelines.manifest import Manifest

    config, out = job
    begin, real = Manifest.begin, lock._removed_under
    rest: list[threading.Timer] = []

    def begin_then_remove(self: Manifest, name: str, reason: str = "") -> None:
        begin(self, name, reason)
        if name == "indices":
            shutil.rmtree(out / "cube.zarr")
            rest.append(threading.Timer(0.3, shutil.rmtree, (out,)))
            rest[0].start()

    def heartbeat_first(out_dir: Path, beat: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            return None  # the job's own look comes after the heartbeat's
        return real(out_dir, beat)

    monkeypatch.setattr(Manifest, "begin", begin_then_remove)
    monkeypatch.setattr(lock, "_removed_under", heartbeat_first)
    monkeypatch.setattr(lock, "HEARTBEAT", 0.1)
    result = run_job(cli, config, out, scheduler, "indices", "--force")
    rest[0].join()
    assert_clean_error(result, 74, str(out), "removed while the job ran")
