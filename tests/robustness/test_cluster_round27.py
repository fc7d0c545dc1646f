"""Round 27c: the batch system's settings (``jobqueue.yaml``) as survey scientists write them.

Each case writes a copy of the shipped ``cluster/jobqueue.yaml`` with one setting changed
into ``tmp_path`` and lets dask-jobqueue make the worker job from it (nothing is
submitted), or runs the real ``prospect run --cluster slurm`` in this process with
``PROSPECT_CLUSTER_DIR`` pointing there.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from pipelines.cli import main
from pipelines.cluster import jobqueue_cluster
from pipelines.faults import signal_handlers_kept
from prospect.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "cluster" / "jobqueue.yaml"


@pytest.fixture(autouse=True)
def _jobqueue() -> None:
    with signal_handlers_kept():  # its import sets SIGINT to sys.exit() in this process
        pytest.importorskip("dask_jobqueue")


def _settings(folder: Path, kind: str = "slurm", /, **changed: Any) -> Path:
    """The shipped settings with ``changed`` keys of ``jobqueue.<kind>`` (``_`` for ``-``)."""
    data = yaml.safe_load(SHIPPED.read_text())
    for key, value in changed.items():
        data["jobqueue"][kind][key.replace("_", "-")] = value
    path = folder / "jobqueue.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _script(path: Path, kind: str = "slurm") -> str:
    cluster, _ = jobqueue_cluster(kind, path=path, dashboard=":0")
    try:
        return str(cluster.job_script())
    finally:
        cluster.close()


def _refused(path: Path, kind: str = "slurm") -> str:
    with pytest.raises(ConfigError) as err:
        _script(path, kind)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    assert f"'jobqueue.{kind}'" in message
    return message


# -- memory without a unit: read as bytes --------------------------------------------------


@pytest.mark.parametrize("memory", [4096, "4096", 64000.0])
def test_memory_without_a_unit_is_refused_not_read_as_bytes(tmp_path: Path, memory: Any) -> None:
    """Before: ``memory: 4096`` (SLURM's megabytes) made ``#SBATCH --mem=4K`` and workers
    with ``--memory-limit 1.00kiB``, without a word."""
    message = _refused(_settings(tmp_path, memory=memory))
    assert "no unit" in message and "bytes" in message and "MiB" in message


@pytest.mark.parametrize(
    ("memory", "mem"),
    [("4G", "4G"), ("4GB", "4G"), ("4 GiB", "4G"), ("4000M", "4G"), ("32GiB", "32G")],
)
def test_control_memory_with_a_unit_makes_the_job(tmp_path: Path, memory: str, mem: str) -> None:
    script = _script(_settings(tmp_path, memory=memory))
    assert f"#SBATCH --mem={mem}" in script


# -- keys of dask-jobqueue's older versions, and unknown keys ------------------------------


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("extra", "worker-extra-args", ["--lifetime", "50m"]),
        ("env-extra", "job-script-prologue", ["module load gdal"]),
        ("job-extra", "job-extra-directives", ["--exclusive"]),
        ("header-skip", "job-directives-skip", ["--mem"]),
    ],
)
def test_a_key_of_an_older_dask_jobqueue_is_named_with_its_new_name(
    tmp_path: Path, old: str, new: str, value: list[str]
) -> None:
    """Before: beside the shipped new key the old one was ignored without a word (the
    workers kept ``--lifetime 230m``), with a FutureWarning of five lines, twice."""
    message = _refused(_settings(tmp_path, **{old: value}))
    assert f"'{old}'" in message and f"'{new}'" in message and "renamed" in message


def test_an_unknown_key_is_one_line_naming_it(tmp_path: Path) -> None:
    """Before: dask-jobqueue's error over several lines, with every setting dumped."""
    message = _refused(_settings(tmp_path, memroy="4GiB"))
    assert "unknown key(s) ['memroy']" in message and "'memory'" in message


# -- walltime and the workers' lifetime ----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "walltime", "reads"),
    [
        ("slurm", "1:00:00", "60 min"),
        ("slurm", 60, "60 min"),  # minutes to SLURM
        ("slurm", "01:00", "60 s"),  # minutes:seconds to SLURM
        ("slurm", "0-02", "120 min"),
        ("pbs", 3600, "60 min"),  # seconds to PBS
        ("pbs", "02:00:00", "120 min"),
    ],
)
def test_a_walltime_shorter_than_the_workers_lifetime_is_refused(
    tmp_path: Path, kind: str, walltime: Any, reads: str
) -> None:
    """Before: the shipped ``--lifetime 230m`` kept beside a shorter walltime: the batch
    system killed every worker mid-task instead of its retiring before the limit."""
    message = _refused(_settings(tmp_path, kind, walltime=walltime), kind)
    assert "--lifetime" in message and f"reads {reads}" in message


@pytest.mark.parametrize(
    ("kind", "walltime", "extra"),
    [
        ("slurm", "04:00:00", None),
        ("slurm", "1-00:00:00", None),
        ("slurm", 300, None),
        ("slurm", "4h", None),  # a form this does not read: sbatch judges it
        ("slurm", "1:00:00", ["--lifetime", "50m", "--lifetime-stagger", "5m"]),
        ("slurm", "1:00:00", ["--lifetime=50m"]),
        ("slurm", "00:30:00", []),  # no lifetime at all
        ("pbs", "04:00:00", None),
    ],
)
def test_control_walltimes_that_fit_make_the_job(
    tmp_path: Path, kind: str, walltime: Any, extra: list[str] | None
) -> None:
    changed: dict[str, Any] = {"walltime": walltime}
    if extra is not None:
        changed["worker_extra_args"] = extra
    script = _script(_settings(tmp_path, kind, **changed), kind)
    assert str(walltime) in script


def test_a_lifetime_dask_cannot_read_is_refused(tmp_path: Path) -> None:
    """Before: the job was submitted, and every worker failed to start in it."""
    message = _refused(_settings(tmp_path, worker_extra_args=["--lifetime", "3h50m"]))
    assert "'3h50m'" in message and "230m" in message


def test_walltime_seconds_reads_each_form() -> None:
    from pipelines.cluster import walltime_seconds

    assert walltime_seconds("slurm", 60) == 3600
    assert walltime_seconds("slurm", "1:30") == 90
    assert walltime_seconds("slurm", "1:00:00") == 3600
    assert walltime_seconds("slurm", "1-00:00:00") == 86400
    assert walltime_seconds("slurm", "2-12") == 2.5 * 86400
    assert walltime_seconds("slurm", "1-0:30") == 86400 + 1800
    assert walltime_seconds("pbs", 60) == 60
    assert walltime_seconds("pbs", "1:30") == 90
    assert walltime_seconds("pbs", "04:00:00") == 4 * 3600
    assert walltime_seconds("slurm", "4h") is None
    assert walltime_seconds("slurm", "UNLIMITED") is None


# -- the real command ------------------------------------------------------------------------

TINY_JOB = "name: tiny\nregion: bonaire\nsources: [{kind: raster, name: dem, path: dem.tif}]\n"


def _tiny_dem(folder: Path) -> None:
    """``dem.tif`` of :data:`TINY_JOB`: a small SYNTHETIC raster inside Bonaire's grid."""
    import rasterio
    from rasterio.transform import from_origin

    from prospect.testing import demo_grid

    west, _, _, north = demo_grid("bonaire", size_m=1000).bounds
    with rasterio.open(
        folder / "dem.tif",
        "w",
        driver="GTiff",
        width=100,
        height=100,
        count=1,
        dtype="float32",
        crs=demo_grid("bonaire", size_m=1000).crs,
        transform=from_origin(west, north, 10, 10),
    ) as dst:
        dst.write(np.ones((1, 100, 100), "float32"))


def test_run_with_memory_in_megabytes_stops_before_submitting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``prospect run --cluster slurm`` with ``memory: 4096``: exit 2, one line, nothing
    submitted (an ``sbatch`` that records its calls stands in front of the real one)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "sbatch-calls"
    sbatch = bin_dir / "sbatch"
    sbatch.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\necho 'sbatch: error: no'\nexit 1\n")
    sbatch.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    conf = tmp_path / "conf"
    conf.mkdir()
    _settings(conf, memory=4096)
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(conf))
    job = tmp_path / "job.yaml"
    job.write_text(TINY_JOB)
    _tiny_dem(tmp_path)
    code = main(["run", str(job), "--out", str(tmp_path / "out"), "--cluster", "slurm"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "memory 4096 has no unit" in " ".join(err.split())
    assert "Traceback" not in err
    assert not calls.exists()


# -- a cluster whose every worker is gone -------------------------------------------------


@contextlib.contextmanager
def _scheduler(folder: Path, env: dict[str, str], *, workers: int) -> Iterator[str]:
    """A ``dask scheduler`` (and ``workers`` ``dask worker`` processes) of this checkout;
    its address."""
    address_file = folder / "scheduler.json"
    started = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(address_file),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=folder,
        )
    ]
    try:
        deadline = time.monotonic() + 30
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        for _ in range(workers):
            started.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--scheduler-file",
                        str(address_file),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    cwd=folder,
                )
            )
        yield str(json.loads(address_file.read_text())["address"])
    finally:
        for proc in reversed(started):
            proc.terminate()
            proc.wait(timeout=30)


def _run_on(
    folder: Path, address: str, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], Path]:
    job = folder / "job.yaml"
    job.write_text(TINY_JOB)
    _tiny_dem(folder)
    out = folder / "out"
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "run",
                str(job),
                "-o",
                str(out),
                "--scheduler",
                address,
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=45,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("prospect run waited on the cluster for 45 s")
    return done, out


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PROSPECT_TASK_TIMEOUT": "2",
        "PROSPECT_DEBUG": "0",
    }


def test_a_stage_waiting_on_a_cluster_without_workers_stops_in_one_line(tmp_path: Path) -> None:
    """``prospect run --scheduler`` on a scheduler that no worker joined (or whose every
    worker's batch job was killed for memory, SLURM's ``OUT_OF_MEMORY``, without a
    replacement): before, ingest waited for ever, printing "0 workers"; now it stops after
    the bound of a task (here ``PROSPECT_TASK_TIMEOUT=2``), exit 1, recorded failed."""
    env = _env()
    with _scheduler(tmp_path, env, workers=0) as address:
        done, out = _run_on(tmp_path, address, env)
    said = " ".join(done.stderr.split())
    assert done.returncode == 1, done.stderr
    assert "ingest:" in said and "on a cluster with no dask worker" in said
    assert "OUT_OF_MEMORY" in said and "run the same command again" in said
    assert "Traceback" not in done.stderr
    record = json.loads((out / "manifest.json").read_text())["stages"]["ingest"]
    assert record["status"] == "failed"


def test_control_a_cluster_with_a_worker_runs_under_a_short_task_bound(tmp_path: Path) -> None:
    env = _env()
    with _scheduler(tmp_path, env, workers=1) as address:
        done, out = _run_on(tmp_path, address, env)
    assert done.returncode == 0, done.stderr
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    assert stages["ingest"]["status"] == "done"
