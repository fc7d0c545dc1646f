"""Class 6: one job per output directory, refused at once with the holder's pid and time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from .conftest import PROSPECT, REPO, Sandbox, assert_clean_error, run_prospect

HOLD = """
import sys, time
from pathlib import Path
from pipelines.lock import output_lock
with output_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(600)
"""


def _holder(out) -> subprocess.Popen[str]:
    """Another process holding ``out``'s job lock (as a running job does)."""
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.parametrize("command", ["run", "ingest", "indices", "tiles"])
def test_second_job_on_the_same_out_is_refused_at_once(sandbox: Sandbox, cli,
                                                       command: str) -> None:
    if command in ("indices", "tiles"):
        sandbox.write_job(indices={"names": ["NDVI"]}, tiles={"layers": [{"variable": "heat"}]})
    holder = _holder(sandbox.out)
    try:
        start = time.monotonic()
        result = cli(command, sandbox.job_path, "-o", sandbox.out)
        assert time.monotonic() - start < 30  # at once: no cluster started, nothing read
        line = assert_clean_error(result, 75, str(sandbox.out), f"pid {holder.pid}",
                                  "started")
        assert "another -o" in line
    finally:
        holder.kill()
        holder.wait()
    assert sorted(p.name for p in sandbox.out.iterdir()) == [".prospect.lock"]
    assert sandbox.untouched()


def test_a_killed_holder_releases_the_lock(sandbox: Sandbox) -> None:
    from pipelines.lock import output_lock

    holder = _holder(sandbox.out)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with output_lock(sandbox.out) as writable:  # the kernel dropped the dead job's lock
        assert writable


@pytest.mark.integration
def test_two_real_jobs_at_once_one_runs_one_is_refused(sandbox: Sandbox) -> None:
    env = {**os.environ, "PROSPECT_DEBUG": ""}
    args = [*PROSPECT, "ingest", str(sandbox.job_path), "-o", str(sandbox.out), "--workers", "1"]
    procs = [subprocess.Popen(args, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    text = "\n".join(o + e for o, e in outs)
    assert codes == [0, 75], text[-3000:]
    assert "Traceback" not in text and "FileNotFoundError" not in text
    assert sandbox.untouched()
    # the winner's cube is complete: a rerun has nothing to do
    again = run_prospect("ingest", sandbox.job_path, "-o", sandbox.out, "--workers", "1")
    assert again.code == 0 and "skipped" in again.err, again.err[-2000:]


def test_the_demo_writes_nothing_into_a_folder_a_running_job_holds(sandbox: Sandbox,
                                                                   cli) -> None:
    # the demo wrote its scene and job.yaml first and met the lock only in its run:
    # another job's folder got a scene/ and its job.yaml replaced, then exit 75
    holder = _holder(sandbox.out)
    try:
        result = cli("demo", "-o", sandbox.out)
        assert_clean_error(result, 75, str(sandbox.out), f"pid {holder.pid}")
    finally:
        holder.kill()
        holder.wait()
    assert sorted(p.name for p in sandbox.out.iterdir()) == [".prospect.lock"]
    assert sandbox.untouched()


def test_the_demo_writes_nothing_into_another_jobs_outputs(sandbox: Sandbox, cli) -> None:
    sandbox.out.mkdir(parents=True, exist_ok=True)
    manifest = sandbox.out / "manifest.json"
    manifest.write_text('{"job": "survey-2025", "config_path": "/data/survey.yaml"}')
    job = sandbox.out / "job.yaml"
    job.write_text("name: survey-2025\n")
    result = cli("demo", "-o", sandbox.out)
    assert_clean_error(result, 2, str(sandbox.out), "'survey-2025'", "its own -o")
    assert not (sandbox.out / "scene").exists()
    assert job.read_text() == "name: survey-2025\n"
    assert sandbox.untouched()
