"""Round 28: cluster settings that cannot make the workers they describe.

Each batch-system case writes a copy of the shipped ``cluster/jobqueue.yaml`` with one
setting changed into ``tmp_path`` and lets dask-jobqueue make the worker job from it (its
real ``job_script()``; nothing is submitted), or runs the real ``prospect run --cluster
slurm`` with ``PROSPECT_CLUSTER_DIR`` there and an ``sbatch`` that records its calls.
Each Kubernetes case writes a copy of the shipped ``kubernetes/daskcluster.yaml`` with one
worker setting changed and asks the engine check every job runs before it plans (and
the real ``prospect run --cluster kubernetes``, in a process of its own).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from pipelines.cli import main
from pipelines.cluster import check_engine, jobqueue_cluster, jobqueue_settings
from pipelines.faults import signal_handlers_kept
from prospect.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "cluster" / "jobqueue.yaml"
K8S = REPO / "cluster" / "kubernetes" / "daskcluster.yaml"


@pytest.fixture(autouse=True)
def _jobqueue() -> None:
    with signal_handlers_kept():  # its import sets SIGINT to sys.exit() in this process
        pytest.importorskip("dask_jobqueue")


def _settings(
    folder: Path, kind: str = "slurm", /, prospect: dict[str, Any] | None = None, **changed: Any
) -> Path:
    """The shipped settings with ``changed`` keys of ``jobqueue.<kind>`` (``_`` for ``-``)
    and ``prospect`` keys of ``prospect.<kind>``."""
    data = yaml.safe_load(SHIPPED.read_text())
    for key, value in changed.items():
        data["jobqueue"][kind][key.replace("_", "-")] = value
    data["prospect"][kind].update(prospect or {})
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
    return message


# -- cores and processes that make no worker ---------------------------------------------


@pytest.mark.parametrize(
    ("changed", "said"),
    [
        ({"processes": 16}, "processes 16 is more than cores 8"),  # was --nthreads 0
        ({"processes": 0}, "processes 0 is no whole number"),  # was ZeroDivisionError
        ({"processes": -1}, "processes -1 is no whole number"),  # was --nthreads -8
        ({"processes": True}, "processes True is read as 1 process"),  # was 1 process
        ({"cores": "8"}, "cores '8' is text"),  # was "unsupported operand type(s)"
        ({"cores": 2.5}, "cores 2.5 is no whole number"),  # was --cpus-per-task=2
        ({"cores": 0}, "cores 0 is no whole number"),  # was --cpus-per-task=0
    ],
)
def test_cores_and_processes_that_make_no_worker_are_refused(
    tmp_path: Path, changed: dict[str, Any], said: str
) -> None:
    """Before: ``processes: 16`` beside ``cores: 8`` wrote ``--nthreads 0`` (dask then
    gives each of 16 workers the node's cores over 16), ``processes: -1`` a negative
    memory limit, ``processes: 0`` stopped with ``ZeroDivisionError`` (internal error)."""
    message = _refused(_settings(tmp_path, **changed))
    assert said in message and "'jobqueue.slurm'" in message


@pytest.mark.parametrize(
    ("changed", "worker"),
    [
        ({"processes": 8}, "--nthreads 1 --memory-limit 4.00GiB --nworkers 8"),
        ({"processes": 1}, "--nthreads 8 --memory-limit 32.00GiB"),
        ({"processes": None}, "--nthreads 2 --memory-limit 8.00GiB --nworkers 4"),
        ({"cores": 16, "processes": 4}, "--nthreads 4 --memory-limit 8.00GiB --nworkers 4"),
    ],
)
def test_control_cores_and_processes_that_fit_make_the_job(
    tmp_path: Path, changed: dict[str, Any], worker: str
) -> None:
    assert worker in _script(_settings(tmp_path, **changed))


# -- names the directive line splits ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "key", "value"),
    [
        ("slurm", "queue", "normal queue"),
        ("slurm", "account", "geo survey"),
        ("slurm", "name", "prospect worker"),
        ("pbs", "queue", "work q"),
    ],
)
def test_a_name_with_a_space_is_refused_before_sbatch_splits_it(
    tmp_path: Path, kind: str, key: str, value: str
) -> None:
    """Before: ``#SBATCH -A geo survey``, which sbatch refuses as "Invalid directive found in
    batch script: survey", a word no setting was named by."""
    message = _refused(_settings(tmp_path, kind, **{key: value}), kind)
    assert f"{key} {value!r} holds a space" in message
    assert repr("-".join(value.split())) in message


def test_control_names_of_one_word_make_the_job(tmp_path: Path) -> None:
    script = _script(_settings(tmp_path, queue="normal", account="geo-survey"))
    assert "#SBATCH -p normal\n" in script and "#SBATCH -A geo-survey\n" in script


# -- a request of fewer cores or less memory than the workers use ---------------------------


@pytest.mark.parametrize(
    ("directives", "skip", "said"),
    [
        (["--mem=16G"], [], "asks for 16G, 16.00 GiB, less than memory '32GiB'"),
        (["--mem=8192"], [], "asks for 8192, 8.00 GiB"),  # a bare number is MiB
        (["--mem-per-cpu=1G"], ["--mem"], "asks for 1G per core (8 cores), 8.00 GiB"),
        # beside dask-jobqueue's --mem: sbatch's "mutually exclusive", named "cores"
        (["--mem-per-cpu=4G"], [], "sbatch refuses the two together"),
        (["-c 4"], [], "asks for 4 cores, fewer than cores 8"),
        (["--cpus-per-task=4"], [], "asks for 4 cores, fewer than cores 8"),
    ],
)
def test_slurm_directives_asking_less_than_the_workers_use_are_refused(
    tmp_path: Path, directives: list[str], skip: list[str], said: str
) -> None:
    """Before: ``job-extra-directives: [--mem=16G]`` came after dask-jobqueue's
    ``--mem=32G``, sbatch took the last, and workers whose limits add up to 32 GiB were
    killed (OUT_OF_MEMORY) before dask spilled, without a word at submission; a
    ``--mem-per-cpu`` beside that ``--mem`` was sbatch's "mutually exclusive", told to
    change ``jobqueue.slurm.cores``."""
    path = _settings(tmp_path, job_extra_directives=directives, job_directives_skip=skip)
    message = _refused(path)
    assert said in message and "job-extra-directives" in message


@pytest.mark.parametrize(
    ("directives", "skip"),
    [
        (["--mem=32G", "--exclusive"], []),
        (["--mem=0"], []),
        (["--constraint=cpu"], []),
        (["-c 8"], []),
        (["--mem-per-cpu=4G"], ["--mem"]),
    ],
)
def test_control_slurm_directives_that_fit_make_the_job(
    tmp_path: Path, directives: list[str], skip: list[str]
) -> None:
    path = _settings(tmp_path, job_extra_directives=directives, job_directives_skip=skip)
    script = _script(path)
    assert all(f"#SBATCH {d}\n" in script for d in directives)


@pytest.mark.parametrize(
    ("kind", "directives"),
    [("slurm", ["--time=01:00:00"]), ("slurm", ["-t 60"]), ("pbs", ["-l walltime=01:00:00"])],
)
def test_a_time_limit_in_the_directives_shorter_than_the_lifetime_is_refused(
    tmp_path: Path, kind: str, directives: list[str]
) -> None:
    """Before: round 27's lifetime check read ``walltime`` only; a time limit in
    ``job-extra-directives`` comes after it and replaces it (sbatch takes the last; the
    local SLURM shows ``TimeLimit=01:00:00``), so workers of the shipped ``--lifetime
    230m`` were killed mid-task at one hour."""
    message = _refused(_settings(tmp_path, kind, job_extra_directives=directives), kind)
    assert "outlast the walltime" in message and "in job-extra-directives" in message


def test_control_a_longer_time_limit_in_the_directives_makes_the_job(tmp_path: Path) -> None:
    script = _script(_settings(tmp_path, job_extra_directives=["-t 8:00:00"]))
    assert "#SBATCH -t 8:00:00\n" in script


def test_pbs_cores_and_memory_edited_in_the_shipped_settings_reach_the_request(
    tmp_path: Path,
) -> None:
    """Before: the shipped ``resource-spec: select=1:ncpus=8:mem=32GB`` replaced the request
    dask-jobqueue makes from ``cores`` and ``memory``: ``cores: 16``, ``memory: 64GiB`` made
    workers of 16 threads and 64 GiB in all inside a PBS job of 8 cores and 32 GB."""
    script = _script(_settings(tmp_path, "pbs", cores=16, memory="64GiB"), "pbs")
    assert "#PBS -l select=1:ncpus=16:mem=64GB\n" in script
    assert "--nthreads 4 --memory-limit 16.00GiB --nworkers 4" in script


@pytest.mark.parametrize(
    ("changed", "said"),
    [
        ({"cores": 16}, "resource-spec asks for 8 cores, fewer than cores 16"),
        ({"memory": "64GiB"}, "resource-spec asks for 32GB, 32.00 GiB, less than memory"),
        ({"resource_spec": "nodes=1:ppn=4"}, "asks for 4 cores, fewer than cores 8"),
    ],
)
def test_a_pbs_resource_spec_asking_less_than_the_workers_use_is_refused(
    tmp_path: Path, changed: dict[str, Any], said: str
) -> None:
    changed = {"resource_spec": "select=1:ncpus=8:mem=32GB", **changed}
    message = _refused(_settings(tmp_path, "pbs", **changed), "pbs")
    assert said in message and "resource-spec: null" in message


def test_control_the_shipped_pbs_request_and_a_resource_spec_that_fits(tmp_path: Path) -> None:
    assert "#PBS -l select=1:ncpus=8:mem=32GB\n" in _script(SHIPPED, "pbs")
    spec = "select=1:ncpus=16:mem=64gb:ngpus=1"
    own = _settings(tmp_path, "pbs", cores=16, memory="64GiB", resource_spec=spec)
    assert f"#PBS -l {spec}\n" in _script(own, "pbs")


# -- scaling settings the cluster cannot meet --------------------------------------------------


@pytest.mark.parametrize(
    ("prospect", "said"),
    [
        ({"wait_for_workers": 17}, "wait_for_workers' 17 is more dask workers than"),
        ({"jobs": 1, "wait_for_workers": 8}, "(1 job(s) x 4 worker process(es)"),
        ({"jobs": 4, "adapt_max_jobs": 2}, "adapt_max_jobs' 2 is fewer than"),
    ],
)
def test_scaling_the_cluster_cannot_meet_is_refused(
    tmp_path: Path, prospect: dict[str, Any], said: str
) -> None:
    """Before: ``wait_for_workers: 8`` beside one job of 4 processes waited the whole
    ``wait_timeout_s`` (600 s) and then said "no dask worker joined", with 4 joined;
    ``adapt_max_jobs`` below ``jobs`` was no cap (dask's minimum wins)."""
    path = _settings(tmp_path, prospect=prospect)
    with pytest.raises(ConfigError) as err:
        jobqueue_settings("slurm", path)
    assert said in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize(
    "prospect",
    [{"wait_for_workers": 16}, {"jobs": 4, "adapt_max_jobs": 4}, {"jobs": 1, "adapt_max_jobs": 8}],
)
def test_control_scaling_that_fits_loads(tmp_path: Path, prospect: dict[str, Any]) -> None:
    _, scale = jobqueue_settings("slurm", _settings(tmp_path, prospect=prospect))
    assert {key: scale[key] for key in prospect} == prospect


TINY_JOB = "name: tiny\nregion: bonaire\nsources: [{kind: raster, name: dem, path: dem.tif}]\n"


def _tiny_dem(folder: Path) -> None:
    """``dem.tif`` of :data:`TINY_JOB`: a small SYNTHETIC raster inside Bonaire's grid."""
    import rasterio
    from rasterio.transform import from_origin

    from prospect.testing import demo_grid

    grid = demo_grid("bonaire", size_m=1000)
    west, _, _, north = grid.bounds
    with rasterio.open(
        folder / "dem.tif",
        "w",
        driver="GTiff",
        width=100,
        height=100,
        count=1,
        dtype="float32",
        crs=grid.crs,
        transform=from_origin(west, north, 10, 10),
    ) as dst:
        dst.write(np.ones((1, 100, 100), "float32"))


def test_run_with_more_processes_than_cores_stops_before_submitting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``prospect run --cluster slurm`` with ``processes: 16`` beside ``cores: 8``: exit
    2, one line, nothing submitted (a recording ``sbatch`` stands in front of the real
    one)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "sbatch-calls"
    sbatch = bin_dir / "sbatch"
    sbatch.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\necho 'sbatch: error: no'\nexit 1\n")
    sbatch.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    conf = tmp_path / "conf"
    conf.mkdir()
    _settings(conf, processes=16)
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(conf))
    job = tmp_path / "job.yaml"
    job.write_text(TINY_JOB)
    _tiny_dem(tmp_path)
    code = main(["run", str(job), "--out", str(tmp_path / "out"), "--cluster", "slurm"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "processes 16 is more than cores 8" in " ".join(err.split())
    assert "Traceback" not in err
    assert not calls.exists()


# -- a scheduler that cannot start on this machine ----------------------------------------


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program listens on (another job's scheduler on the login node)."""
    import socket

    with socket.socket() as held:
        held.bind(("0.0.0.0", 0))
        held.listen()
        yield held.getsockname()[1]


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ({"interface": "ib9"}, "'ib9' is not a valid network interface"),  # RuntimeError
        ({"scheduler_options": {"port": "TAKEN"}}, "Address already in use"),
        ({"scheduler_options": {"host": "192.0.2.1"}}, "Cannot assign requested address"),
    ],
)
def test_a_scheduler_that_cannot_start_here_is_one_line_naming_the_setting(
    tmp_path: Path, taken_port: int, setting: dict[str, Any], said: str
) -> None:
    """Before: ``interface: ib9`` (the compute nodes' InfiniBand, which a login node
    lacks; dask-jobqueue gives it to the scheduler too) was ``internal error:
    RuntimeError``, exit 70; a ``scheduler-options`` port another scheduler holds, or a
    host of another machine, was "settings ... are not valid for dask-jobqueue: cannot
    get address of non-running Server"."""
    if "scheduler_options" in setting and setting["scheduler_options"].get("port"):
        setting = {"scheduler_options": {"port": taken_port}}
    message = _refused(_settings(tmp_path, **setting))
    assert said in message and "scheduler-options" in message
    assert "non-running Server" not in message


def test_control_a_scheduler_on_this_machines_interface_makes_the_job(tmp_path: Path) -> None:
    script = _script(_settings(tmp_path, interface="lo", scheduler_options={"port": 0}))
    assert "--nthreads 2" in script and "tcp://127.0.0.1:" in script


def test_run_with_an_interface_the_login_node_lacks_is_one_line_not_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sbatch = bin_dir / "sbatch"
    sbatch.write_text("#!/bin/sh\nexit 1\n")
    sbatch.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    conf = tmp_path / "conf"
    conf.mkdir()
    _settings(conf, interface="ib9")
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(conf))
    job = tmp_path / "job.yaml"
    job.write_text(TINY_JOB)
    _tiny_dem(tmp_path)
    code = main(["run", str(job), "--out", str(tmp_path / "out"), "--cluster", "slurm"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "'ib9' is not a valid network interface" in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


# -- Kubernetes quantities ---------------------------------------------------------------------


def _manifest(
    folder: Path,
    *,
    limit: Any = None,
    request: Any = None,
    memory_limit: str | None = None,
    replicas: Any = None,
    scheduler_limit: Any = None,
) -> Path:
    """A ``PROSPECT_CLUSTER_DIR`` with the shipped DaskCluster, its worker changed."""
    doc = copy.deepcopy(yaml.safe_load(K8S.read_text()))
    (worker,) = doc["spec"]["worker"]["spec"]["containers"]
    if replicas is not None:
        doc["spec"]["worker"]["replicas"] = replicas
    if scheduler_limit is not None:
        (scheduler,) = doc["spec"]["scheduler"]["spec"]["containers"]
        scheduler["resources"]["limits"]["memory"] = scheduler_limit
    if limit is not None:
        worker["resources"]["limits"]["memory"] = limit
    if request is not None:
        worker["resources"]["requests"]["memory"] = request
    if memory_limit is not None:
        worker["args"][worker["args"].index("--memory-limit") + 1] = memory_limit
    (folder / "kubernetes").mkdir(parents=True, exist_ok=True)
    (folder / "kubernetes" / "daskcluster.yaml").write_text(yaml.safe_dump(doc))
    return folder


@pytest.mark.parametrize(
    ("changed", "said"),
    [
        # 8G is 8e9 bytes, 7.45 GiB: the kernel kills the worker before it spills
        ({"limit": "8G", "request": "8G"}, "--memory-limit 8GiB (8.00 GiB) is above"),
        ({"limit": "8e9"}, "is above the container's resources.limits.memory '8e9'"),
        ({"limit": "512m"}, "'512m' is 0.512 byte(s) to Kubernetes"),  # meant 512 MiB
        ({"request": "8"}, "'8' is 8 byte(s) to Kubernetes"),  # a bare number is bytes
        ({"limit": "8GB"}, "'8GB' is no quantity Kubernetes reads"),  # dask's unit
        ({"limit": "8g"}, "'8g' is no quantity Kubernetes reads"),  # docker's unit
        ({"limit": "8 Gi"}, "'8 Gi' is no quantity Kubernetes reads"),
        ({"scheduler_limit": "2000m"}, "scheduler container 'scheduler', resources.limits"),
        ({"replicas": 0}, "worker replicas 0 starts no dask worker"),  # a 600 s wait
    ],
)
def test_kubernetes_worker_memory_read_in_another_sense_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed: dict[str, Any], said: str
) -> None:
    """Before: the DaskCluster was created as written; a worker of ``--memory-limit 8GiB``
    in a container of ``8G`` was OOMKilled before dask spilled, and ``512m`` (half a
    byte), ``8GB`` or ``8g`` (no quantity) gave no worker pod and a 600 s wait."""
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(_manifest(tmp_path, **changed)))
    with pytest.raises(ConfigError) as err:
        check_engine(cluster="kubernetes")
    message = str(err.value)
    assert said in message and "\n" not in message and "daskcluster.yaml" in message


@pytest.mark.parametrize(
    "changed",
    [
        {},
        {"limit": "8G", "request": "8G", "memory_limit": "7GiB"},
        {"limit": "8192Mi", "memory_limit": "8GiB"},
        {"limit": "8G", "memory_limit": "auto"},  # dask reads the container's limit
        {"replicas": 1, "scheduler_limit": "2048Mi"},
    ],
)
def test_control_kubernetes_worker_memory_that_fits_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed: dict[str, Any]
) -> None:
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(_manifest(tmp_path, **changed)))
    check_engine(cluster="kubernetes")


def test_control_a_manifest_in_kubernetes_own_yaml_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A volume's ``defaultMode: 0644`` (octal, as Kubernetes reads it) is no config
    error: the manifest is read as the operator's client reads it."""
    folder = _manifest(tmp_path)
    spec = folder / "kubernetes" / "daskcluster.yaml"
    doc = yaml.safe_load(spec.read_text())
    doc["spec"]["worker"]["spec"]["volumes"].append(
        {"name": "conf", "configMap": {"name": "prospect-conf", "defaultMode": "OCTAL"}}
    )
    spec.write_text(yaml.safe_dump(doc).replace("OCTAL", "0644"))
    assert (
        yaml.safe_load(spec.read_text())["spec"]["worker"]["spec"]["volumes"][1]["configMap"][
            "defaultMode"
        ]
        == 0o644
    )
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(folder))
    check_engine(cluster="kubernetes")


def test_run_on_kubernetes_with_a_worker_above_its_container_stops_at_once(
    tmp_path: Path,
) -> None:
    """The real ``prospect run --cluster kubernetes`` (a process of its own, as
    dask-kubernetes leaves an exit-time reaper): exit 2 and the one line, where it went
    on to ask a Kubernetes API for the DaskCluster (exit 1 without credentials; with
    them, workers OOMKilled)."""
    with signal_handlers_kept():
        pytest.importorskip("dask_kubernetes")
    conf = _manifest(tmp_path / "conf", limit="8G")
    job = tmp_path / "job.yaml"
    job.write_text(TINY_JOB)
    _tiny_dem(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    env.update(
        KUBECONFIG=str(tmp_path / "no-kubeconfig"),
        PROSPECT_CLUSTER_DIR=str(conf),
        PYTHONPATH=str(REPO),
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "run",
            str(job),
            "-o",
            str(out),
            "--cluster",
            "kubernetes",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    err = " ".join(done.stderr.split())
    assert done.returncode == 2, done.stderr[-2000:]
    assert "is above the container's resources.limits.memory '8G'" in err
    assert "Traceback" not in done.stderr
    assert not out.exists()
