"""Class 4: disk full, read-only output, file-size limit: one line, nothing lost, rerun resumes.

Full and read-only disks are real: a small tmpfs is mounted for the test (skipped where
the tests may not mount, e.g. without root).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import (
    Sandbox,
    SmallDisk,
    assert_clean_error,
    process_limit,
    write_tiny_raster,
)


def _big_job(box: Sandbox) -> None:
    """The tiny job with a raster a 40 KiB disk cannot hold (SYNTHETIC values)."""
    values = np.random.default_rng(1).random((40, 40)).astype("float32")
    for name in ("a", "b", "c"):
        write_tiny_raster(box.root / f"{name}.tif", values=values + ord(name))
    box.write_job(sources=[{"kind": "raster", "name": n, "path": f"{n}.tif"} for n in "abc"])


def _litter(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*.tmp"))


def test_disk_full_is_one_line_keeps_work_and_resumes(sandbox: Sandbox, small_disk: SmallDisk,
                                                      cli, scheduler: str) -> None:
    _big_job(sandbox)
    out = small_disk.root / "out"
    result = cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert_clean_error(result, 74, str(out), "disk is full", "run the same command again")
    manifest = json.loads((out / "manifest.json").read_text())  # still whole
    assert manifest["stages"]["ingest"]["status"] in ("running", "failed")
    assert _litter(out) == []
    assert sandbox.untouched()
    small_disk.remount("size=8m")
    again = cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    done = json.loads((out / "manifest.json").read_text())["stages"]["ingest"]
    assert done["status"] == "done" and done["metrics"]["variables"] == 3


def test_read_only_finished_output_reruns_as_nothing_to_do(
    sandbox: Sandbox, small_disk: SmallDisk, cli, scheduler: str,
) -> None:
    small_disk.remount("size=8m")
    out = small_disk.root / "out"
    assert cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler).code == 0
    before = (out / "manifest.json").read_bytes()
    small_disk.remount("ro")
    result = cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "nothing to do" in result.err and "Traceback" not in result.err
    assert (out / "manifest.json").read_bytes() == before
    # ... but a read-only directory with work left is a clear error, not a crash
    sandbox.write_job(sources=[{"kind": "raster", "name": "other", "path": "heat.tif"}])
    result = cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert_clean_error(result, 1, str(out), "read-only", "ingest")


def test_read_only_disk_before_any_work_is_one_line(small_disk: SmallDisk, sandbox: Sandbox,
                                                    cli) -> None:
    small_disk.remount("ro")
    out = small_disk.root / "out"
    result = cli("ingest", sandbox.job_path, "-o", out)
    assert_clean_error(result, 74, str(out), "read-only", "point -o/--out to a folder")


def test_a_read_only_access_log_names_its_config_key(small_disk: SmallDisk, tmp_path: Path,
                                                     cli) -> None:
    """The hint for every unwritable output named ``-o``, which ``prospect serve`` does not
    have; it names what chose the path: here the serve config's ``access_log``."""
    import yaml

    from tiles.testing import make_tile_fixture

    fx = make_tile_fixture(tmp_path / "tiles")
    config = yaml.safe_load(fx.config.read_text())
    config["access_log"] = str(small_disk.root / "logs" / "access.log")
    fx.config.write_text(yaml.safe_dump(config))
    small_disk.remount("ro")
    line = assert_clean_error(cli("serve", fx.config, "--port", "0"), 74,
                              str(small_disk.root / "logs"), "read-only",
                              f"point access_log in {fx.config} to a folder")
    assert " -o" not in line


def test_file_size_limit_is_one_line_and_rerun_resumes(sandbox: Sandbox, cli,
                                                       scheduler: str) -> None:
    with process_limit(resource.RLIMIT_FSIZE, 1500):
        result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 74, str(sandbox.out), "file-size limit")
    assert _litter(sandbox.out) == [] and sandbox.untouched()
    again = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]


def _ingest_only_job(scene: Any, tmp_path: Path) -> tuple[Path, Path]:
    """The scene's job with ingest alone, and its output folder."""
    import yaml

    full = yaml.safe_load(scene.job_config(tmp_path / "full.yaml").read_text())
    for key in ("indices", "model", "tiles"):
        full.pop(key, None)
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump(full))
    return job, tmp_path / "out"


@pytest.fixture(scope="module")
def uninterrupted(small_scene: Any, scheduler: str,
                  tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of the scene's ingest-only job run once without interruption: the
    cube every stopped-and-resumed run of this module must reproduce."""
    from .conftest import run_in_process

    root = tmp_path_factory.mktemp("uninterrupted")
    job, out = _ingest_only_job(small_scene, root)
    reference = run_in_process("run", job, "-o", out, "--scheduler", scheduler)
    assert reference.code == 0, reference.err[-3000:]
    return out


def _assert_same_cube(out: Path, reference: Path) -> None:
    """The resumed cube holds the uninterrupted run's values, layer for layer."""
    import zarr

    for name in ("B04", "heatflow", "geology"):
        a = zarr.open_array(out / "cube.zarr" / name, mode="r")[:]
        b = zarr.open_array(reference / "cube.zarr" / name, mode="r")[:]
        np.testing.assert_array_equal(a, b)


def _wait_stopped(group: int, timeout: float = 10.0) -> None:
    """Wait until every process of the process group ``group`` is stopped: SIGSTOP lets a
    system call in flight (a chunk file created, a rename) finish first, which raced with
    the act on the frozen job (an rmtree found a new file: "Directory not empty")."""
    import time

    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = []
        for p in psutil.process_iter():
            try:
                if os.getpgid(p.pid) == group and p.status() not in (psutil.STATUS_STOPPED,
                                                                  psutil.STATUS_ZOMBIE):
                    running.append(p.pid)
            except (psutil.Error, ProcessLookupError, PermissionError):
                continue
        if not running:
            return
        time.sleep(0.01)


def _as_from_a_terminal() -> None:
    """In the child before it runs: SIGHUP's default action, as a job started from a
    terminal has (a suite run under ``nohup`` passes SIGHUP ignored to every child, and
    the job rightly keeps ignoring it)."""
    import signal

    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _frozen_mid_ingest(command: str, job: Path, out: Path,
                       act: Callable[[subprocess.Popen[str]], object]
                       ) -> tuple[subprocess.Popen[str], str, str]:
    """``prospect COMMAND JOB -o OUT`` in a process group; once ingest has marked 3 chunks,
    the job and its workers are frozen, ``act(proc)`` runs, and they go on. Returns the
    finished process and what it printed."""
    import signal
    import time

    from .conftest import PROSPECT, REPO

    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    proc = subprocess.Popen([*PROSPECT, command, str(job), "-o", str(out), "--workers", "1"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, env=env,
                            preexec_fn=_as_from_a_terminal)
    partial = out / ".cube.zarr.partial"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if partial.is_dir() and sum(1 for _ in partial.glob("*/done/*")) >= 3:
            os.killpg(proc.pid, signal.SIGSTOP)  # the job and its workers, frozen mid-stage
            _wait_stopped(proc.pid)
            act(proc)
            os.killpg(proc.pid, signal.SIGCONT)
            break
        time.sleep(0.005)
    else:
        proc.kill()
        pytest.fail(f"ingest ended before it could be reached mid-stage: {proc.poll()}")
    stdout, stderr = proc.communicate(timeout=240)
    return proc, stdout, stderr


def test_output_directory_removed_mid_run_is_one_line_and_rerun_recovers(
        small_scene, uninterrupted: Path, tmp_path: Path, cli, scheduler: str) -> None:
    """The output folder deleted while ingest writes (a cleanup script, a user): the job
    stopped with the worker's "Compute Failed" traceback on the terminal and an error line
    that only said "No such file or directory"; now one line says what happened and that
    the same command resumes, and it does, to the same cube."""
    from .conftest import Outcome

    job, out = _ingest_only_job(small_scene, tmp_path)
    proc, stdout, stderr = _frozen_mid_ingest(
        "ingest", job, out, lambda proc: shutil.rmtree(out))
    result = Outcome(proc.returncode, stdout, stderr)
    assert_clean_error(result, 74, "removed while the job ran", str(out),
                       "run the same command again")
    assert "Compute Failed" not in stderr, stderr[-3000:]
    again = cli("ingest", job, "-o", out, "--scheduler", scheduler)  # the resume
    assert again.code == 0, again.err[-3000:]
    _assert_same_cube(out, uninterrupted)


@pytest.mark.parametrize(("signame", "code", "said"), [
    ("SIGTERM", 143, "stopped by SIGTERM"),  # a batch system's time limit, Kubernetes, timeout
    ("SIGHUP", 129, "stopped by SIGHUP"),  # the terminal closed
    ("SIGINT", 130, "interrupted"),  # Ctrl-C
])
def test_a_stop_signal_mid_stage_is_one_line_recorded_and_resumed(
        small_scene, uninterrupted: Path, tmp_path: Path, cli, scheduler: str, signame: str,
        code: int, said: str) -> None:
    """A job asked to stop while ingest writes. SIGTERM and SIGHUP killed it at once (exit
    -15 or -1, no word, the manifest still saying 'running', the embedded cluster torn
    down under it), and Ctrl-C exited 0 without a word (typer turned the interrupt into an
    exit code that was dropped), so a script or a batch system took the job as done. Now
    each is one line, the signal's exit code, the stage recorded as interrupted, and the
    same command resumes from the chunks kept, to the cube of an uninterrupted run."""
    import signal

    job, out = _ingest_only_job(small_scene, tmp_path)
    proc, stdout, stderr = _frozen_mid_ingest(  # the signal to the job's process alone
        "run", job, out, lambda proc: os.kill(proc.pid, getattr(signal, signame)))
    text = stdout + stderr
    assert proc.returncode == code, f"exit {proc.returncode}:\n{text[-3000:]}"
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    lines = [line for line in stderr.splitlines() if said in line]
    assert lines == [f"{said}; completed work is kept, run the same command again to resume"], \
        stderr[-3000:]
    assert "leaked semaphore" not in stderr, stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["stages"]["ingest"]["status"] == "interrupted", manifest["stages"]
    again = cli("run", job, "-o", out, "--scheduler", scheduler)  # the resume
    assert again.code == 0, again.err[-3000:]
    assert " resumed" in again.err and "0 resumed" not in again.err, again.err[-3000:]
    _assert_same_cube(out, uninterrupted)


def test_a_viewer_rewrite_that_cannot_finish_keeps_the_last_whole_viewer(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """The tiles stage removed the viewer's scripts before copying the new ones: a rerun
    stopped by a full disk or a file-size limit left the last run's page without its
    scripts (a blank map that still looked like the delivered viewer). Now the scripts
    are copied aside and swapped in, so the last whole viewer stays until a new one is."""
    sandbox.write_job(tiles={"min_zoom": 10, "max_zoom": 14, "archive": False, "layers": [
        {"variable": "heat", "vmin": 0.0, "vmax": 1.0, "colormap": "viridis"}]})
    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    viewer = sandbox.out / "viewer"
    before = {p.relative_to(viewer): p.read_bytes() for p in viewer.rglob("*") if p.is_file()}
    assert Path("static/basemap.js") in before and len(before[Path("static/basemap.js")]) > 100_000
    with process_limit(resource.RLIMIT_FSIZE, 100_000):  # under basemap.js's size
        result = cli("tiles", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler,
                     "--force")
    assert_clean_error(result, 74, "file-size limit")
    after = {p.relative_to(viewer): p.read_bytes() for p in viewer.rglob("*") if p.is_file()}
    assert after == before
    assert not [p.name for p in sandbox.out.rglob(".*") if ".staging-" in p.name]
    again = cli("tiles", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
