"""Fault round 27: a terminal that closes under a command other than ``run``'s job, and the
signals a batch system or a CPU-time limit sends ahead of its stop
(``docs/robustness.md``, "Round 27: faults").

Real pseudo-terminals closed under a real ``prospect`` process in a session of its own (as
``disown``, ``setsid`` or an ``ssh`` session that ends leave it: no SIGHUP), and real
signals sent to the job's process mid-ingest; the rasters and scenes are tiny and
SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import CONTRAST_INDEX, PROSPECT, REPO, TWO_RASTERS, Sandbox, write_tiny_raster
from .test_faults import uninterrupted  # noqa: F401  (a fixture: the reference cube)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    env.update(extra)
    return env


def _in_a_closed_terminal(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 180
) -> int:
    """``prospect ARGS`` with standard output and error on a pseudo-terminal that is gone
    before the command prints its first line, in a session of its own (no SIGHUP: a
    command left in the background of a shell that exited); its exit code."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*PROSPECT, *(str(a) for a in args)],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        cwd=REPO,
        env=env or _env(),
        start_new_session=True,
    )
    os.close(slave)
    os.close(master)  # the terminal is gone
    return proc.wait(timeout=timeout)


# -- 1. a terminal that closes under any command ---------------------------------------------


def test_a_job_whose_terminal_is_gone_before_its_first_line_still_runs(
    sandbox: Sandbox, scheduler: str
) -> None:
    """Round 26 guarded the job itself (`runner.run_job`); a line the command printed
    before the job began (here the warning about a `PROSPECT_DEBUG` that is neither 1 nor
    0; also the note of a job of the same name from another config) met the terminal
    gone with EIO: the job never ran, exit 74, no manifest. Now the whole command is
    guarded: exit 0, both stages done. SYNTHETIC rasters."""
    write_tiny_raster(sandbox.root / "cold.tif")
    sandbox.write_job(sources=TWO_RASTERS, indices=CONTRAST_INDEX)
    code = _in_a_closed_terminal(
        "run",
        sandbox.job_path,
        "-o",
        sandbox.out,
        "--scheduler",
        scheduler,
        env=_env(PROSPECT_DEBUG="yes"),
    )
    assert code == 0
    manifest = json.loads((sandbox.out / "manifest.json").read_text())
    assert {k: v["status"] for k, v in manifest["stages"].items()} == {
        "ingest": "done",
        "indices": "done",
    }, manifest["stages"]
    assert manifest["runs"][-1]["status"] == "done", manifest["runs"][-1]


def test_a_stage_command_whose_terminal_is_gone_before_its_note_still_runs(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """`prospect indices COPY.yaml -o OUT` where OUT holds the same job from another
    config file prints a note before the stage; with the terminal gone the note failed
    (EIO) and the stage never ran, exit 74. Now it runs: exit 0, indices done. SYNTHETIC
    rasters."""
    write_tiny_raster(sandbox.root / "cold.tif")
    sandbox.write_job(sources=TWO_RASTERS, indices=CONTRAST_INDEX)
    first = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    copy = sandbox.root / "copy.yaml"
    copy.write_text(sandbox.job_path.read_text())
    code = _in_a_closed_terminal("indices", copy, "-o", sandbox.out, "--scheduler", scheduler)
    assert code == 0
    stages = json.loads((sandbox.out / "manifest.json").read_text())["stages"]
    assert stages["indices"]["status"] == "done", stages


def test_a_plan_whose_terminal_is_gone_ends_as_it_would_have(sandbox: Sandbox) -> None:
    """`prospect plan JOB` (or `prospect regions`) in a terminal that closed: exit 74, as
    if the command had failed; a script that ran it in the background and went on by its
    exit code took it for an error. The lines go to /dev/null, as a job's do, and the
    command ends with its own code (0)."""
    assert _in_a_closed_terminal("plan", sandbox.job_path) == 0


def test_an_output_that_is_a_full_disk_is_still_said(sandbox: Sandbox) -> None:
    """Control: the guard is for terminals only. `prospect regions >/dev/full` still ends
    with "standard output could not be written", exit 74."""
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*PROSPECT, "regions"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=_env(),
            timeout=120,
        )
    assert proc.returncode == 74, proc.stderr[-3000:]
    assert "standard output could not be written" in proc.stderr, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]


# -- 2. the signals a batch system or a CPU-time limit sends ahead of its stop ---------------


@pytest.mark.parametrize(
    ("signame", "group", "said"),
    [
        # sbatch --signal=USR1@120 (no B:) signals every process of the job: workers too
        ("SIGUSR1", True, "stopped by SIGUSR1 (a batch system's early warning: sbatch"),
        # a soft CPU-time limit is the process's own (ulimit -S -t)
        ("SIGXCPU", False, "stopped by SIGXCPU (the CPU-time limit, ulimit -t"),
    ],
    ids=["SIGUSR1 to the job's processes", "SIGXCPU to the job's process"],
)
def test_a_batch_systems_warning_signal_stops_the_job_cleanly(
    small_scene: Any,
    uninterrupted: Path,  # noqa: F811
    tmp_path: Path,
    cli: Any,
    scheduler: str,
    signame: str,
    group: bool,
    said: str,
) -> None:
    """`sbatch --signal=USR1@120` (or `qsub -notify`, SIGUSR1/SIGUSR2) warns a job ahead of
    its time limit; a soft CPU-time limit (`ulimit -S -t`, a login node's limits, PBS
    `pcput`) sends SIGXCPU. Python's default for each ended the job at once: exit -10 or
    -24, no line, ingest left "running" in the manifest, the lock's owner dead. Now each
    stops the job as SIGTERM does: one line saying what sent it, exit 128 + the signal,
    ingest recorded "interrupted", and the same command resumes to the cube of an
    uninterrupted run. SYNTHETIC scene."""
    from .test_faults import _assert_same_cube, _frozen_mid_ingest, _ingest_only_job

    number = getattr(signal, signame)
    job, out = _ingest_only_job(small_scene, tmp_path)
    proc, stdout, stderr = _frozen_mid_ingest(
        "run", job, out, lambda proc: (os.killpg if group else os.kill)(proc.pid, number)
    )
    text = stdout + stderr
    assert proc.returncode == 128 + number, f"exit {proc.returncode}:\n{text[-3000:]}"
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    assert "leaked semaphore" not in text, text[-3000:]
    lines = [line for line in stderr.splitlines() if line.startswith("stopped by")]
    assert len(lines) == 1 and lines[0].startswith(said), stderr[-3000:]
    assert lines[0].endswith("completed work is kept, run the same command again to resume")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["stages"]["ingest"]["status"] == "interrupted", manifest["stages"]
    again = cli("run", job, "-o", out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    _assert_same_cube(out, uninterrupted)


def test_a_signal_the_job_ignores_stays_ignored(sandbox: Sandbox, scheduler: str) -> None:
    """Control: a stop signal ignored as the command starts (SIGUSR2 under a batch script
    that set `trap '' USR2`, as `nohup` does for SIGHUP) stays ignored: the job, sent it
    as its stages begin, runs to the end (exit 0)."""
    code = (
        "import os, signal, sys\n"
        "signal.signal(signal.SIGUSR2, signal.SIG_IGN)\n"
        "import pipelines.runner as runner\n"
        "from pipelines.cli import main\n"
        "real = runner._run_said\n"
        "def sent(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGUSR2)\n"
        "    return real(*args, **kwargs)\n"
        "runner._run_said = sent\n"
        f"sys.exit(main(['run', {str(sandbox.job_path)!r}, '-o', {str(sandbox.out)!r},"
        f" '--scheduler', {scheduler!r}]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(),
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    stages = json.loads((sandbox.out / "manifest.json").read_text())["stages"]
    assert stages["ingest"]["status"] == "done", stages


# -- 3. paths: a working folder removed, a plan's -o that is a file ---------------------------


def _in_a_removed_folder(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``prospect ARGS`` run from ``folder``, removed as the command starts (a shell left
    in a folder another shell or a clean-up script removed)."""
    folder.mkdir()

    def gone() -> None:
        os.chdir(folder)
        os.rmdir(folder)

    return subprocess.run(
        [*PROSPECT, *(str(a) for a in args)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=180,
        preexec_fn=gone,
    )


@pytest.mark.parametrize("paths", ["absolute", "relative"])
def test_a_working_folder_removed_under_the_shell_is_one_line(sandbox: Sandbox, paths: str) -> None:
    """A shell in a folder that was removed: `prospect ingest /abs/job.yaml -o /abs/out`
    failed as its local cluster started, "the local dask cluster did not start:
    FileNotFoundError ...; check the dask settings" (exit 1), and `prospect plan job.yaml`
    was "error: No such file or directory" (exit 74, a disk's code). Now each is one line
    naming the folder and saying to cd to one that exists, exit 2, nothing written."""
    if paths == "absolute":
        args: tuple[str | Path, ...] = (
            "ingest",
            sandbox.job_path,
            "-o",
            sandbox.out,
            "--workers",
            "1",
        )
    else:
        args = ("plan", "job.yaml")
    proc = _in_a_removed_folder(sandbox.root / "gone", *args)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert (
        len(errors) == 1
        and "working folder" in errors[0]
        and "no longer exists" in errors[0]
        and "cd " in errors[0]
    ), text[-3000:]
    assert "Traceback" not in text and not sandbox.out.exists()


def test_the_version_in_a_removed_folder_is_still_said(tmp_path: Path) -> None:
    """Control: `--version` (and `--help`) run nothing and still answer there."""
    proc = _in_a_removed_folder(tmp_path / "gone", "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("prospect "), proc.stderr[-3000:]


def test_a_plan_whose_output_folder_is_a_file_says_so(sandbox: Sandbox, cli: Any) -> None:
    """`prospect plan JOB -o job.yaml` (the config given as -o too) planned without a word,
    exit 0, while the run it plans refuses that -o at once ("an existing file, not a
    directory", exit 2). The plan refuses it as the run does."""
    result = cli("plan", sandbox.job_path, "-o", sandbox.job_path)
    assert result.code == 2, result.err[-3000:]
    assert (
        len(result.error_lines) == 1
        and "an existing file, not a directory" in result.error_lines[0]
    ), result.err[-3000:]
    fresh = cli("plan", sandbox.job_path, "-o", sandbox.root / "new")  # control
    assert fresh.code == 0, fresh.err[-3000:]
    assert not (sandbox.root / "new").exists() and sandbox.untouched()


# -- 4. an input file replaced while the stage reads it --------------------------------------


def test_an_input_replaced_while_ingest_reads_it_is_not_taken_as_finished(
    small_scene: Any, tmp_path: Path, cli: Any, scheduler: str
) -> None:
    """A source file replaced while ingest read it (a colleague's corrected export saved
    over it, a sync tool; here a new file renamed into place with the old one's mtime, as
    `cp -p` or `rsync -t` keep it) was recorded with its new checksum as the stage ended:
    the run said nothing (exit 0) and the next run skipped ingest as finished on the file
    as it is, keeping a cube read from the file as it was, or from both. Now the stage
    fails naming the file (exit 1, recorded "failed"), and the same command then ingests
    the file as it is: the cube of a fresh run of it. SYNTHETIC scene (copied)."""
    import shutil

    import numpy as np
    import rasterio

    from .test_faults import _frozen_mid_ingest, _ingest_only_job

    scene = tmp_path / "scene"
    shutil.copytree(small_scene.root, scene)
    job, out = _ingest_only_job(small_scene, tmp_path)
    job.write_text(job.read_text().replace(str(small_scene.root.resolve()), str(scene)))
    heat = scene / small_scene.heatflow.name
    assert str(heat) in job.read_text()

    def replace(proc: Any) -> None:
        new = heat.with_name("new.tif")
        with rasterio.open(heat) as src:
            profile, values = src.profile, src.read(1)
        with rasterio.open(new, "w", **profile) as dst:
            dst.write((values * 2 + 1).astype(values.dtype), 1)
        shutil.copystat(heat, new)  # the mtime kept, as cp -p does
        os.replace(new, heat)

    proc, stdout, stderr = _frozen_mid_ingest("run", job, out, replace)
    text = stdout + stderr
    assert proc.returncode == 1, f"exit {proc.returncode}:\n{text[-3000:]}"
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert (
        len(errors) == 1 and "changed while the stage ran" in errors[0] and str(heat) in errors[0]
    ), text[-3000:]
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    assert stages["ingest"]["status"] == "failed", stages
    again = cli("run", job, "-o", out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    fresh = tmp_path / "fresh"
    assert cli("run", job, "-o", fresh, "--scheduler", scheduler).code == 0
    import zarr

    for name in ("heatflow", "B04"):
        np.testing.assert_array_equal(
            zarr.open_array(out / "cube.zarr" / name, mode="r")[:],
            zarr.open_array(fresh / "cube.zarr" / name, mode="r")[:],
        )
