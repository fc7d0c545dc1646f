"""The deployment files in cluster/: YAML validity, the operator's schema, dask-jobqueue
job scripts, Dockerfile sanity, and the --cluster / --scheduler error paths."""

from __future__ import annotations

import functools
import logging
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelines.cli import main
from pipelines.cluster import dask_client, jobqueue_cluster, jobqueue_settings
from pipelines.faults import signal_handlers_kept
from prospect.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
CLUSTER = REPO / "cluster"
K8S = CLUSTER / "kubernetes"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def _load(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(), Loader=loader)  # a safe loader
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


@functools.lru_cache(maxsize=4)
def _crd_schema(kind: str) -> dict[str, Any]:
    """The openAPIV3Schema of a dask-kubernetes operator CRD, as shipped with the package."""
    with signal_handlers_kept():
        dk = pytest.importorskip("dask_kubernetes")
    crds = Path(dk.__file__).parent / "operator" / "deployment" / "helm" / \
        "dask-kubernetes-operator" / "crds"
    crd = _load(crds / f"{kind.lower()}.yaml")
    assert crd["spec"]["names"]["kind"] == kind
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    return version["schema"]["openAPIV3Schema"]


def _containers(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    containers = pod_spec["containers"]
    assert containers, "a pod spec needs at least one container"
    return containers


# -- Kubernetes manifests ---------------------------------------------------------------------

@pytest.mark.parametrize("name,kind", [("daskcluster.yaml", "DaskCluster"),
                                       ("daskjob.yaml", "DaskJob")])
def test_manifest_validates_against_operator_crd(name: str, kind: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = _load(K8S / name)
    assert doc["apiVersion"] == "kubernetes.dask.org/v1"
    assert doc["kind"] == kind
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", doc["metadata"]["name"])
    jsonschema.validate(doc["spec"], _crd_schema(kind)["properties"]["spec"])


def test_crd_schema_rejects_a_broken_manifest() -> None:
    """The schema check above can fail: a string replica count is refused."""
    jsonschema = pytest.importorskip("jsonschema")
    doc = _load(K8S / "daskcluster.yaml")
    doc["spec"]["worker"]["replicas"] = "four"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc["spec"], _crd_schema("DaskCluster")["properties"]["spec"])


def _cluster_spec(doc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if doc["kind"] == "DaskJob":
        return doc["metadata"]["name"], doc["spec"]["cluster"]["spec"]
    return doc["metadata"]["name"], doc["spec"]


@pytest.mark.parametrize("name", ["daskcluster.yaml", "daskjob.yaml"])
def test_operator_fields_fit_together(name: str) -> None:
    """Fields the operator needs: containers, scheduler service selecting this cluster,
    the comm and dashboard ports, the shared data volume, one image for every role."""
    doc = _load(K8S / name)
    cluster_name, spec = _cluster_spec(doc)
    worker = spec["worker"]
    assert isinstance(worker["replicas"], int) and worker["replicas"] >= 1
    service = spec["scheduler"]["service"]
    assert service["selector"]["dask.org/cluster-name"] == cluster_name
    assert service["selector"]["dask.org/component"] == "scheduler"
    assert {p["port"] for p in service["ports"]} == {8786, 8787}
    (sched,) = _containers(spec["scheduler"]["spec"])
    assert sched["args"][:2] == ["dask", "scheduler"]
    sched_ports = {p["name"]: p["containerPort"] for p in sched["ports"]}
    assert sched_ports == {"tcp-comm": 8786, "http-dashboard": 8787}
    assert {p["targetPort"] for p in service["ports"]} <= set(sched_ports)
    (wk,) = _containers(worker["spec"])
    assert wk["args"][:2] == ["dask", "worker"]
    assert "$(DASK_WORKER_NAME)" in wk["args"]
    pods = [worker["spec"]]
    if doc["kind"] == "DaskJob":
        (job,) = _containers(doc["spec"]["job"]["spec"])
        assert job["args"][:2] == ["prospect", "run"]
        assert "$(DASK_SCHEDULER_ADDRESS)" in job["args"]
        assert job["args"][job["args"].index("--scheduler") + 1] == "$(DASK_SCHEDULER_ADDRESS)"
        pods.append(doc["spec"]["job"]["spec"])
    claim = _load(K8S / "pvc.yaml")["metadata"]["name"]
    for pod in pods:
        (vol,) = pod["volumes"]
        assert vol["persistentVolumeClaim"]["claimName"] == claim
        for c in _containers(pod):
            assert {"name": vol["name"], "mountPath": "/data"} in c["volumeMounts"]
    images = {c["image"] for pod in [spec["scheduler"]["spec"], *pods] for c in _containers(pod)}
    assert len(images) == 1
    assert images.pop().endswith(":" + PYPROJECT["project"]["version"])


def test_pvc_is_shared_between_pods() -> None:
    pvc = _load(K8S / "pvc.yaml")
    assert pvc["kind"] == "PersistentVolumeClaim"
    assert "ReadWriteMany" in pvc["spec"]["accessModes"]


# -- dask-jobqueue ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind,directive", [("slurm", "#SBATCH"), ("pbs", "#PBS")])
def test_jobqueue_settings_make_a_job_script(kind: str, directive: str) -> None:
    """dask-jobqueue itself turns the settings into a batch script (nothing is submitted)."""
    with signal_handlers_kept():  # its import sets SIGINT to sys.exit() in this process
        pytest.importorskip("dask_jobqueue")
    cluster, scale = jobqueue_cluster(kind, dashboard=":0")
    assert scale["jobs"] >= 1 and scale["wait_for_workers"] >= 1
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert directive in script
    assert "04:00:00" in script
    assert "--nworkers 4" in script and "--nthreads 2" in script
    assert "activate" in script  # the prologue puts Prospect's environment on the path
    # and gives the workers the embedded cluster's malloc thresholds
    from pipelines.cluster import MALLOC_THRESHOLD

    for var in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"):
        assert f"PRE_SPAWN_ENVIRON__{var}={MALLOC_THRESHOLD}" in script
    # workers retire before the walltime, in a form dask parses (it refuses "3h50m")
    from dask.utils import parse_timedelta

    assert "--lifetime 230m --lifetime-stagger 5m" in script
    assert parse_timedelta("230m") + parse_timedelta("5m") < 4 * 3600
    if kind == "slurm":
        assert "#SBATCH --cpus-per-task=8" in script
        assert "#SBATCH --mem=" in script
    else:
        assert "select=1:ncpus=8:mem=32GB" in script


def test_jobqueue_settings_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "jobqueue.yaml"
    bad.write_text("jobqueue:\n  slurm: {cores: 4}\nprospect:\n  slurm: {jobz: 2}\n")
    with pytest.raises(ConfigError, match=r"jobqueue.yaml.*unknown key.*jobz"):
        jobqueue_settings("slurm", bad)
    with pytest.raises(ConfigError, match=r"no 'jobqueue.pbs' section"):
        jobqueue_settings("pbs", bad)
    with pytest.raises(ConfigError, match="cannot read"):
        jobqueue_settings("slurm", tmp_path / "missing.yaml")


@pytest.mark.parametrize(("text", "message"), [
    # before: internal errors (AttributeError on a list, a YAML error over six lines)
    ("jobqueue: [1, 2\n", r"not valid YAML at line 2, column 1"),
    ("jobqueue: [slurm]\n", r"no 'jobqueue.slurm' section"),
    ("jobqueue: {slurm: {cores: 4}}\nprospect: [1]\n", r"'prospect' must be a mapping"),
    ("jobqueue: {slurm: {cores: 4}}\nprospect: {slurm: [jobs]}\n",
     r"'prospect.slurm' must be a mapping"),
    ("jobqueue: {slurm: {cores: 4}}\nprospect: {slurm: {wait_timeout_s: soon}}\n",
     r"'prospect.slurm.wait_timeout_s' must be seconds > 0, not 'soon'"),
    ("jobqueue: {slurm: {cores: 4}}\nprospect: {slurm: {adapt_max_jobs: 0}}\n",
     r"'prospect.slurm.adapt_max_jobs' must be a whole number >= 1 \(or null\), not 0"),
    ("jobqueue: {slurm: {cores: 4}}\nprospect: {slurm: {wait_for_workers: two}}\n",
     r"'prospect.slurm.wait_for_workers' must be a whole number >= 0"),
    ("jobqueue: {slurm: {cores: 4}}\njobqueue: {slurm: {cores: 8}}\n", r"duplicate key"),
])
def test_jobqueue_settings_of_the_wrong_shape_are_one_line(tmp_path: Path, text: str,
                                                          message: str) -> None:
    bad = tmp_path / "jobqueue.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        jobqueue_settings("slurm", bad)
    assert str(bad) in str(err.value) and "\n" not in str(err.value)


def test_dask_client_refuses_bad_choices() -> None:
    with pytest.raises(ConfigError, match="unknown --cluster 'lsf'"), \
            dask_client(cluster="lsf"):
        pass
    with pytest.raises(ConfigError, match="either --scheduler"), \
            dask_client(cluster="slurm", scheduler="tcp://127.0.0.1:8786"):
        pass


# a job with something to do (a job without sources is refused before any cluster starts)
TINY_JOB = "name: tiny\nregion: bonaire\nsources: [{kind: raster, name: dem, path: dem.tif}]\n"


def _tiny_dem(folder: Path) -> Path:
    """``dem.tif`` of :data:`TINY_JOB`: a small SYNTHETIC raster inside Bonaire's grid."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from prospect.testing import demo_grid

    grid = demo_grid("bonaire", size_m=1000)
    west, _, _, north = grid.bounds
    path = folder / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=100, height=100, count=1,
                       dtype="float32", crs=grid.crs,
                       transform=from_origin(west, north, 10, 10)) as dst:
        dst.write(np.ones((1, 100, 100), "float32"))
    return path


def test_cli_reports_bad_cluster_in_one_line(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.yaml"
    job.write_text(TINY_JOB)
    code = main(["ingest", str(job), "--out", str(tmp_path / "out"), "--cluster", "lsf"])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown --cluster 'lsf'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind,submit", [("slurm", "sbatch"), ("pbs", "qsub")])
def test_cli_without_the_batch_system_says_so(kind: str, submit: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch / qsub here
    job = tmp_path / "job.yaml"
    job.write_text(TINY_JOB)
    code = main(["run", str(job), "--out", str(tmp_path / "out"), "--cluster", kind])
    err = capsys.readouterr().err
    assert code == 1
    assert f"'{submit}', which is not on PATH" in " ".join(err.split())
    assert "Traceback" not in err


def test_cli_kubernetes_without_credentials_says_so(tmp_path: Path) -> None:
    """In a process of its own, so dask-kubernetes' exit-time reaper runs too."""
    with signal_handlers_kept():
        pytest.importorskip("dask_kubernetes")
    import subprocess
    import sys

    job = tmp_path / "job.yaml"
    job.write_text(TINY_JOB)
    _tiny_dem(tmp_path)  # a job whose inputs pass the plan: the cluster is what fails
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    env.update(KUBECONFIG=str(tmp_path / "no-kubeconfig"), HOME=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", str(job), "--out", str(tmp_path / "o"),
         "--cluster", "kubernetes"], capture_output=True, text=True, timeout=120, cwd=REPO,
        env=env)
    err = " ".join(proc.stderr.split())
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "cannot create the DaskCluster from" in err and "daskcluster.yaml" in err
    assert "Traceback" not in proc.stderr


# -- Dockerfile ------------------------------------------------------------------------------

def _dockerfile() -> list[tuple[str, str]]:
    text = (CLUSTER / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_installs_prospect_and_runs_as_a_user() -> None:
    instructions = _dockerfile()
    assert instructions[0][0] == "FROM"
    base = instructions[0][1]
    m = re.match(r"python:(\d+)\.(\d+)", base)
    assert m, f"base image {base} is not an official python image"
    need = re.search(r">=\s*(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert need and (int(m[1]), int(m[2])) >= (int(need[1]), int(need[2]))
    copies = [rest.split()[0] for word, rest in instructions if word == "COPY"]
    for src in copies:
        assert (REPO / src).exists(), f"Dockerfile copies {src}, which is not in the repo"
    packages = {p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]
                ["include"]}
    assert packages <= set(copies), "every package of the distribution is copied"
    runs = " ".join(rest for word, rest in instructions if word == "RUN")
    extra = re.search(r'pip install "\.\[(\w+)\]"', runs)
    assert extra and extra[1] in PYPROJECT["project"]["optional-dependencies"]
    assert "prospect --help" in runs and "dask --version" in runs
    env = " ".join(rest for word, rest in instructions if word == "ENV")
    assert "PROSPECT_CONFIG_DIR=/opt/prospect/configs" in env
    users = [rest for word, rest in instructions if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    exposed = {int(p) for word, rest in instructions if word == "EXPOSE" for p in rest.split()}
    assert {8786, 8787} <= exposed
    assert any(word == "CMD" for word, _ in instructions)


def test_readme_covers_each_way_to_deploy() -> None:
    text = (CLUSTER / "README.md").read_text()
    for needle in ("docker build", "--cluster slurm", "--cluster pbs", "--cluster kubernetes",
                   "daskjob.yaml", "daskcluster.yaml", "--scheduler", "PROSPECT_CLUSTER_DIR",
                   "--force"):
        assert needle in text, f"cluster/README.md does not mention {needle}"


def test_embedded_cluster_turns_down_monitoring_but_keeps_user_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipelines.cluster import LOCAL_CLUSTER_CONFIG, _local_cluster_config

    assert _local_cluster_config() == LOCAL_CLUSTER_CONFIG
    monkeypatch.setenv("DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED", "True")
    kept = _local_cluster_config()
    assert "distributed.worker.profile.enabled" not in kept
    assert kept["distributed.worker.memory.monitor-interval"] == "500ms"


def test_embedded_cluster_workers_get_the_malloc_thresholds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Also after a cluster with dask's defaults ran in the same process: its nanny left
    ``MALLOC_TRIM_THRESHOLD_=65536`` in ``os.environ``, which a nanny reads before the
    dask config, so the embedded cluster's workers got dask's value (a flaky CI run)."""
    from distributed import Client, LocalCluster

    from pipelines.cluster import MALLOC_THRESHOLD, local_cluster, nanny_environ_kept

    names = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
    for name in names:  # what dask's own nanny writes below, whatever an earlier one left
        monkeypatch.delenv(name, raising=False)
    # dask's own cluster leaves OMP_NUM_THREADS=1, PYTHONHASHSEED ... in this process's
    # environment for good (its nannies'): put back for the tests after this one
    with nanny_environ_kept():
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None):
            pass
        before = {name: os.environ.get(name) for name in names}
        assert before["MALLOC_TRIM_THRESHOLD_"] == "65536"  # what dask's nanny leaves behind
        with local_cluster(1, dashboard_address=None) as cluster, Client(cluster) as client:
            env = next(iter(client.run(lambda: {k: os.environ.get(k) for k in (
                "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")}).values()))
            filters = next(iter(client.run(lambda: [type(f).__name__ for f in logging.getLogger(
                "distributed.worker").filters]).values()))
        assert env == {"MALLOC_TRIM_THRESHOLD_": str(MALLOC_THRESHOLD),
                       "MALLOC_MMAP_THRESHOLD_": str(MALLOC_THRESHOLD)}
        assert filters.count("HeartbeatNoise") == 1  # the worker preload ran, once
        # and this process's environment is as it was: nothing leaks into later clusters
        assert {name: os.environ.get(name) for name in names} == before


def test_worker_heartbeat_and_task_tracebacks_are_dropped_and_nothing_else(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A heartbeat racing the cluster's shutdown printed distributed's traceback on the
    user's terminal after the job had finished (and failed tests that look for none); a
    task that raised printed its traceback too, beside the job's own one-line error."""
    from pipelines.worker_logs import HeartbeatNoise

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, msg, None,
                                 None)

    noise = HeartbeatNoise()
    assert not noise.filter(record("Failed to communicate with scheduler during heartbeat."))
    assert noise.filter(record("Unexpected exception during heartbeat. Closing worker."))
    monkeypatch.delenv("PROSPECT_DEBUG", raising=False)
    assert not noise.filter(record("Compute Failed\nKey: x\nTraceback: ..."))
    monkeypatch.setenv("PROSPECT_DEBUG", "1")  # kept for whoever debugs
    assert noise.filter(record("Compute Failed\nKey: x\nTraceback: ..."))


@pytest.mark.parametrize("kind,said,setting", [
    ("slurm", "sbatch: error: invalid partition specified: nope\n"
              "sbatch: error: Batch job submission failed: Invalid partition name specified",
     "'jobqueue.slurm.queue'"),
    ("slurm", "sbatch: error: Memory specification can not be satisfied\nsbatch: error: "
              "Batch job submission failed: Requested node configuration is not available",
     "'jobqueue.slurm.memory'"),
    ("slurm", "sbatch: error: CPU count per node can not be satisfied\nsbatch: error: "
              "Batch job submission failed: Requested node configuration is not available",
     "'jobqueue.slurm.cores'"),
    ("slurm", "sbatch: error: Batch job submission failed: Invalid account or "
              "account/partition combination specified", "'jobqueue.slurm.account'"),
    ("slurm", "sbatch: error: Batch job submission failed: Requested time limit is invalid "
              "(missing or exceeds some limit)", "'jobqueue.slurm.walltime'"),
    ("pbs", "qsub: Unknown queue", "'jobqueue.pbs.queue'"),
    ("slurm", "sbatch: error: Slurm temporarily unable to accept job",
     "the 'jobqueue.slurm' settings (queue, account, cores, memory, walltime)"),
])
def test_refused_worker_job_names_the_setting_to_change(kind: str, said: str, setting: str
                                                        ) -> None:
    """The batch system's refusal (as dask-jobqueue raises it) becomes one line with its
    words and the setting to change (the real sbatch refusals: tests/cluster/test_slurm.py)."""
    from pipelines.cluster import _refused_error

    exc = RuntimeError("Command exited with non-zero exit code.\nExit code: 1\nCommand:\n"
                       f"sbatch /tmp/x.sh\nstdout:\n\nstderr:\n{said}\n\n")
    message = str(_refused_error(kind, exc))
    assert "\n" not in message and f"change {setting} in " in message
    assert said.splitlines()[-1].split("error: ")[-1] in message


def test_a_client_whose_close_fails_leaves_no_default_scheduler_behind() -> None:
    """A close that times out (a busy machine) left dask's default scheduler set to a
    client that was gone: the next dask computation in the process (xarray's file lock)
    failed with "No clients found" (a flaky test, and a notebook's next job)."""
    import dask
    import dask.config
    import numpy as np
    import xarray as xr

    from pipelines.cluster import local_cluster

    assert dask.config.get("scheduler", None) is None
    with local_cluster(1, dashboard_address=None) as cluster:
        with dask_client(scheduler=cluster.scheduler_address) as client:
            assert dask.config.get("scheduler", None) == "dask.distributed"
            real_close = client.close

            def timed_out(timeout: float | None = None) -> None:
                raise TimeoutError("the close timed out")

            client.close = timed_out  # the fault: the client cannot unset itself
        try:
            assert dask.config.get("scheduler", None) is None
            assert int(xr.DataArray(np.ones(4)).chunk(2).sum().compute()) == 4
        finally:
            real_close()


def test_library_logs_stay_quiet_when_distributed_is_imported_after() -> None:
    """In a fresh process (as ``prospect`` starts), distributed's first import set its
    loggers back to INFO after ``dask_client`` had quieted them: a lost scheduler printed
    "Batched Comm Closed" with a traceback among the job's lines."""
    import subprocess
    import sys

    code = ("import logging, sys; from pipelines.cluster import _quiet_logs; "
            "assert 'distributed' not in sys.modules; _quiet_logs(); import distributed; "
            "print(logging.getLogger('distributed.batched').getEffectiveLevel())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert int(out) == logging.ERROR
