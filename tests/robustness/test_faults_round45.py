"""Fault round 45: a task timeout written as dask writes its timeouts (``10m``, ``1h``)
refused without a word of its unit, and a dask scheduler file given to ``--scheduler``
refused as an address with a path (``docs/robustness.md``, "Round 45", faults).

Real files written here (small, SYNTHETIC): a job, its raster, a scheduler file as
``dask scheduler --scheduler-file`` writes it; the real ``prospect`` command in this
process, on the corpus's loopback cluster where a run needs one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error

# -- 1. PROSPECT_TASK_TIMEOUT with a unit ----------------------------------------------------


@pytest.mark.parametrize(("value", "seconds"), [
    ("10m", 600.0), ("600s", 600.0), ("1h", 3600.0), ("2 hours", 7200.0), ("1.5h", 5400.0),
])
def test_a_task_timeout_with_a_unit_is_read_as_dask_reads_a_timeout(
        monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, cli: Any, value: str,
        seconds: float) -> None:
    """A survey scientist bounded each task as dask's own timeouts are written,
    ``PROSPECT_TASK_TIMEOUT=10m``: every command was refused before it ran, "is no whole
    number above 0; set it to a whole number above 0", without a word that the number
    is of seconds. Now the duration is read in seconds, as dask's ``parse_timedelta``
    reads it, and the job plans."""
    from pipelines.cluster import task_timeout

    sandbox.write_job()
    monkeypatch.setenv("PROSPECT_TASK_TIMEOUT", value)
    assert task_timeout() == seconds
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]
    assert "PROSPECT_TASK_TIMEOUT" not in result.out + result.err


@pytest.mark.parametrize("value", ["soon", "0.5s", "-10m"])
def test_a_task_timeout_refused_says_it_is_seconds_and_the_forms_taken(
        monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, cli: Any, value: str) -> None:
    """A timeout that is no duration of whole seconds above 0 is still refused, now
    saying what the variable takes: seconds, or a duration with its unit."""
    sandbox.write_job()
    monkeypatch.setenv("PROSPECT_TASK_TIMEOUT", value)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, f"PROSPECT_TASK_TIMEOUT='{value}'",
                       "whole number of seconds above 0", "10m", "unset it")
    assert sandbox.untouched()


def test_a_block_size_refused_says_the_sizes_taken(
        monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, cli: Any) -> None:
    """``PROSPECT_MAX_BLOCK_BYTES=big`` was refused as "set it to a whole number above
    0", though it takes a size with a unit too (``1 GB``): the refusal now says so."""
    sandbox.write_job()
    monkeypatch.setenv("PROSPECT_MAX_BLOCK_BYTES", "big")
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "PROSPECT_MAX_BLOCK_BYTES='big'", "bytes", "1 GB")


def test_control_a_count_limit_takes_no_unit(monkeypatch: pytest.MonkeyPatch,
                                             sandbox: Sandbox, cli: Any) -> None:
    """Control: a count (``PROSPECT_MAX_CELLS``) takes no unit: ``10m`` is refused as
    before, never read as ten minutes or ten million."""
    sandbox.write_job()
    monkeypatch.setenv("PROSPECT_MAX_CELLS", "10m")
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, "PROSPECT_MAX_CELLS='10m'",
                              "no whole number above 0")
    assert "seconds" not in line and "bytes" not in line, line


# -- 2. a dask scheduler file given to --scheduler ----------------------------------------


def _scheduler_file(path: Path, address: str) -> Path:
    """A scheduler file as ``dask scheduler --scheduler-file PATH`` writes it."""
    path.write_text(json.dumps({"type": "Scheduler", "id": "Scheduler-r45", "address": address,
                                "services": {"dashboard": 8787}, "started": 0.0,
                                "workers": {}}, indent=2))
    return path


def test_a_scheduler_file_given_to_scheduler_is_read(sandbox: Sandbox, cli: Any,
                                                     scheduler: str) -> None:
    """``cluster/README.md`` starts a scheduler with ``dask scheduler --scheduler-file
    ~/sched.json`` and says to use ``--scheduler``; the user gave the file: "a
    scheduler's address has no path ('/home/me/sched.json'); give tcp://", exit 2. Now
    the file is read as dask's workers read it and the job runs on its scheduler."""
    sandbox.write_job()
    sched = _scheduler_file(sandbox.root.parent / "sched.json", scheduler)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", str(sched))
    assert result.code == 0, result.err[-2000:]
    assert (sandbox.out / "manifest.json").exists() or any(sandbox.out.iterdir())


@pytest.mark.parametrize(("name", "text", "needle"), [
    ("missing.json", None, "no scheduler file is there"),
    ("sched.json", "", "it is empty"),
    ("sched.json", '{"type": "Worker"}', "no dask scheduler file"),
    ("folder/", None, "is a folder"),
])
def test_a_scheduler_file_that_is_none_is_named(sandbox: Sandbox, cli: Any, name: str,
                                                text: str | None, needle: str) -> None:
    """A scheduler file not yet written (the batch job's scheduler still starting), one
    empty or of another kind, or a folder: each was "no host and port" or "has no path
    ('/...'); give tcp://" with no host; now one usage line names the file, what it is
    and what to give, before anything starts."""
    sandbox.write_job()
    path = sandbox.root.parent / name
    if name.endswith("/"):
        path.mkdir()
    elif text is not None:
        path.write_text(text)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", str(path))
    assert result.code == 2, result.err[-2000:]
    assert "Traceback" not in result.out + result.err
    said = " ".join(result.err.split())
    assert needle in said and "--scheduler-file" in said, said
    assert not sandbox.out.exists()


def test_a_stale_scheduler_file_is_named_with_its_address(sandbox: Sandbox,
                                                         cli: Any) -> None:
    """A scheduler file left by a batch job that ended names a scheduler that is gone:
    the refusal named only ``tcp://127.0.0.1:PORT``, an address the user never typed.
    Now it names the file it was read from, and why such a file misleads."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sandbox.write_job()
    sched = _scheduler_file(sandbox.root.parent / "old-sched.json", f"tcp://127.0.0.1:{port}")
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", str(sched))
    assert_clean_error(result, 1, f"tcp://127.0.0.1:{port}", f"scheduler file {sched}",
                       "nothing listens")
    assert not (sandbox.out / "cube.zarr").exists()


def test_control_a_host_and_port_is_still_an_address(sandbox: Sandbox, cli: Any) -> None:
    """Control: ``localhost:8786``-like values (no scheme, no path) stay addresses; a
    name with a port is never read as a file."""
    from pipelines.commands._common import scheduler_address

    assert scheduler_address("localhost:8786") == "localhost:8786"
    assert scheduler_address("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"


# -- 3. PROSPECT_CLUSTER_DIR from the home folder, or blank ------------------------------------

JOBQUEUE = """\
# SYNTHETIC: a site's own dask-jobqueue settings, copied from cluster/jobqueue.yaml
jobqueue:
  slurm:
    queue: r45-partition
    cores: 4
    memory: 8GiB
    walltime: "01:00:00"
"""


@pytest.mark.parametrize("value", ["~/clusters", "~/clusters/"])
def test_a_cluster_dir_from_the_home_folder_is_read(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path, value: str) -> None:
    """A batch script sets ``PROSPECT_CLUSTER_DIR="~/clusters"`` (quoted, or through
    ``sbatch --export``, where no shell expands ``~``): the site's ``jobqueue.yaml`` in
    ``$HOME/clusters`` was looked for in a folder ``~`` of the working one, and
    ``--cluster slurm`` ended "~/clusters/jobqueue.yaml: cannot read the dask-jobqueue
    settings (No such file or directory)" of a file that was there. Now ``~`` is the home
    folder, as for ``PROSPECT_CONFIG_DIR``."""
    from pipelines.cluster import cluster_dir, jobqueue_settings

    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "jobqueue.yaml").write_text(JOBQUEUE)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", value)
    assert cluster_dir() == tmp_path / "clusters"
    section, _ = jobqueue_settings("slurm")
    assert section["queue"] == "r45-partition"


def test_a_blank_cluster_dir_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """``PROSPECT_CLUSTER_DIR=" "`` (a batch script's ``"$SITE_DIR "`` with the variable
    unset) was a folder named by a space: "  /jobqueue.yaml: cannot read ...". Blank is
    unset, as for every ``PROSPECT_*`` variable: the shipped ``cluster/`` is used."""
    from pipelines.cluster import cluster_dir

    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", "  ")
    assert (cluster_dir() / "jobqueue.yaml").is_file()
    assert cluster_dir().name == "cluster"
