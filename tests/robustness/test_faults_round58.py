"""Round 58, faults: the workers of ``--cluster slurm|pbs`` (dask-jobqueue's batch jobs)
did not preload :mod:`pipelines.worker_logs`, which the embedded cluster's workers, the
batch script's and the Kubernetes manifests' preload (round 57 left it): a task that
raised wrote distributed's "Compute Failed" record with the task's whole traceback into
every worker job's output file, beside the run's one line.

Each case lets dask-jobqueue make the worker job from the shipped ``cluster/jobqueue.yaml``
(or a copy with one setting changed; nothing is submitted); one starts the job's own
``dask worker`` command line against a real ``dask scheduler``. SYNTHETIC: no data, a
task that raises ``ValueError``.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelines.cluster import jobqueue_cluster
from pipelines.faults import signal_handlers_kept

from .conftest import REPO

SHIPPED = REPO / "cluster" / "jobqueue.yaml"
PRELOAD = "--preload pipelines.worker_logs"


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


def _command(path: Path | None, kind: str = "slurm") -> str:
    """The ``dask worker`` line of the batch job dask-jobqueue makes from ``path``."""
    cluster, _ = jobqueue_cluster(kind, path=path, dashboard=":0")
    try:
        script = str(cluster.job_script())
    finally:
        cluster.close()
    return next(line for line in script.splitlines() if "dask_worker" in line)


@pytest.mark.parametrize("kind", ["slurm", "pbs"])
def test_the_jobqueue_workers_preload_the_log_filters(kind: str) -> None:
    """SYNTHETIC, no data: before, the shipped settings' workers were started with
    ``--lifetime 230m --lifetime-stagger 5m`` and no preload."""
    command = _command(None, kind)
    assert command.endswith(PRELOAD), command
    assert "--lifetime 230m --lifetime-stagger 5m" in command  # the shipped args are kept


def test_a_settings_file_of_its_own_without_the_preload_gets_it(tmp_path: Path) -> None:
    """SYNTHETIC, no data: a copy of an older ``jobqueue.yaml`` (only ``--lifetime``) and
    one with no ``worker-extra-args`` at all: the preload is the code's, not the file's."""
    command = _command(_settings(tmp_path, worker_extra_args=["--lifetime", "50m"]))
    assert command.endswith(f"--lifetime 50m {PRELOAD}"), command
    command = _command(_settings(tmp_path, worker_extra_args=None))
    assert command.endswith(PRELOAD), command


def test_a_preload_of_ones_own_is_kept_beside_the_filters(tmp_path: Path) -> None:
    """SYNTHETIC, no data: dask imports every ``--preload`` given; one's own stays."""
    path = _settings(tmp_path, worker_extra_args=["--preload", "mysite.setup"])
    command = _command(path)
    assert command.endswith(f"--preload mysite.setup {PRELOAD}"), command


@pytest.mark.parametrize(
    "given", [["--preload", "pipelines.worker_logs"], ["--preload=pipelines.worker_logs"]]
)
def test_control_a_preload_of_the_filters_already_given_is_not_doubled(
    tmp_path: Path, given: list[str]
) -> None:
    """SYNTHETIC, no data: settings that preload the filters already keep them once."""
    command = _command(_settings(tmp_path, worker_extra_args=["--lifetime", "50m", *given]))
    assert command.count("pipelines.worker_logs") == 1, command
    assert command.endswith(" ".join(given)), command


def _dask(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """``dask ARGS`` of this environment, its output (stdout and stderr) to ``log``."""
    dask = Path(sys.executable).with_name("dask")
    with log.open("wb") as out:
        return subprocess.Popen([str(dask), *args], cwd=REPO, stdout=out, stderr=out)


def test_a_task_that_raised_leaves_no_traceback_in_a_jobqueue_workers_output(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: the batch job's own ``dask worker`` line (one process, its scheduler's
    address and local directory put in, as the batch system would) against a real ``dask
    scheduler``; a task raises ``ValueError``, which the run reports in one line. Before:
    the worker job's output file held distributed's "Compute Failed" record with the
    task's traceback."""
    from distributed import Client

    path = _settings(tmp_path, cores=1, processes=1, memory="1GiB", death_timeout=20)
    words = shlex.split(_command(path))
    words[words.index("--local-directory") + 1] = str(tmp_path)
    sched_file = tmp_path / "scheduler.json"
    common = ("--scheduler-file", str(sched_file), "--host", "127.0.0.1")
    scheduler = _dask("scheduler", "--port", "0", "--no-dashboard", *common,
                      log=tmp_path / "scheduler.log")  # fmt: skip
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not (sched_file.is_file() and sched_file.stat().st_size):
            assert scheduler.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        with Client(scheduler_file=str(sched_file), timeout="60s") as client:
            at = next(i for i, word in enumerate(words) if word.endswith("dask_worker"))
            words[at + 1] = client.scheduler.address
            log = tmp_path / "worker.log"
            with log.open("wb") as out:
                worker = subprocess.Popen(words, cwd=tmp_path, stdout=out, stderr=out)
            client.wait_for_workers(1, timeout=60)
            with pytest.raises(ValueError, match="invalid literal"):
                client.submit(int, "not a number", pure=False).result(timeout=60)
            time.sleep(0.5)  # the worker logs the task's failure
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        scheduler.terminate()
        scheduler.wait(timeout=30)
    text = log.read_text()
    assert "Start worker" in text or "Starting Worker" in text, text[-3000:]
    assert "Compute Failed" not in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]


# -- a list setting written as one text -----------------------------------------------------


def _refused(path: Path, kind: str = "slurm") -> str:
    from prospect.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        _command(path, kind)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "Traceback" not in message
    assert f"'jobqueue.{kind}'" in message
    return message


@pytest.mark.parametrize(
    ("key", "text", "written"),
    [
        (
            "worker_extra_args",
            "--lifetime 230m --lifetime-stagger 5m",
            '["--lifetime", "230m", "--lifetime-stagger", "5m"]',
        ),
        ("job_script_prologue", "module load gdal", '["module load gdal"]'),
        ("job_extra_directives", "--exclusive", '["--exclusive"]'),
        ("job_directives_skip", "--mem", '["--mem"]'),
    ],
    ids=["worker-extra-args", "job-script-prologue", "job-extra-directives", "job-directives-skip"],
)
def test_a_list_setting_written_as_one_text_is_refused_with_the_list_to_write(
    tmp_path: Path, key: str, text: str, written: str
) -> None:
    """SYNTHETIC, no data: before, dask-jobqueue took each letter of the text as an
    item without a word: workers started as ``dask worker ... - - l i f e t i m e``
    (none joined), a script of one letter a line (no ``activate``), every directive
    holding a ``-`` skipped (no time limit, memory or cores asked)."""
    for kind in ("slurm", "pbs"):
        message = _refused(_settings(tmp_path, kind, **{key: text}), kind)
        name = key.replace("_", "-")
        assert f"{name} is the text {text!r}" in message, message
        assert "letter by letter" in message and f"{name}: {written}" in message, message


def test_a_list_setting_of_another_type_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC, no data: a mapping's keys were read as the workers' words."""
    message = _refused(_settings(tmp_path, worker_extra_args={"lifetime": "230m"}))
    assert "worker-extra-args is dict" in message and "write it as a list" in message


def test_control_list_settings_written_as_lists_make_the_job(tmp_path: Path) -> None:
    """SYNTHETIC, no data: the same settings as lists are written as given."""
    path = _settings(
        tmp_path,
        job_script_prologue=["module load gdal"],
        job_extra_directives=["--exclusive"],
        job_directives_skip=["--mem"],
    )
    cluster, _ = jobqueue_cluster("slurm", path=path, dashboard=":0")
    try:
        script = str(cluster.job_script())
    finally:
        cluster.close()
    assert "\nmodule load gdal\n" in script and "#SBATCH --exclusive" in script
    assert "#SBATCH --mem" not in script and "#SBATCH -t 04:00:00" in script
