"""``--cluster slurm`` on a real single-node SLURM (``cluster/slurm-local.sh``): the demo
job through dask-jobqueue worker jobs, byte-identical to the embedded run; a cancelled
worker job, refused and never-starting jobs, and workers outliving their walltime."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_helpers import (
    REPO,
    Reference,
    assert_identical,
    cli_job,
    map_digests,
    read_manifest,
    stage_status,
)
from slurm_helpers import (
    LocalSlurm,
    jobqueue_dir,
    shipped_partition,
    start_slurm,
    unavailable,
    venv,
)

pytestmark = [pytest.mark.cluster, pytest.mark.integration, pytest.mark.slow]

WORKER = "prospect-worker"  # the job name in cluster/jobqueue.yaml


@pytest.fixture(scope="session")
def slurm() -> Iterator[LocalSlurm]:
    """munged + slurmctld + slurmd of this machine, stopped (jobs first) at the end."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    # its own folder: pytest's numbered temp folders are pruned by other pytest sessions
    root = Path(tempfile.mkdtemp(prefix="prospect-slurm-"))
    cluster = start_slurm(root, shipped_partition())
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SLURM_CONF", str(cluster.conf))
            mp.setenv("PROSPECT_VENV", str(venv()))  # the job scripts' prologue
            mp.setenv("PYTHONPATH", os.pathsep.join(
                filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
            yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def idle_slurm(slurm: LocalSlurm) -> Iterator[LocalSlurm]:
    """The session's SLURM with no job in it, before and after the test."""
    slurm.wait_until_empty(timeout=60)
    yield slurm
    leftover = slurm.jobs()
    if leftover:
        slurm.cmd("scancel", *leftover, check=False)
    slurm.wait_until_empty(timeout=60)
    assert not leftover, f"the test left jobs in the queue: {leftover}"


def _run(job: Path, out: Path, slurm: LocalSlurm, *, on_poll: object = None,
         timeout: float = 300.0) -> tuple[int, str, dict[str, set[str]]]:
    """``prospect run JOB --cluster slurm``; its exit code, stderr and the worker jobs seen
    (id -> states) while it ran. ``on_poll(seen)`` is called at each poll."""
    proc = cli_job(job, out, "--cluster", "slurm")
    seen: dict[str, set[str]] = {}
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            for job_id, state in slurm.jobs(WORKER).items():
                seen.setdefault(job_id, set()).add(state)
            if on_poll is not None:
                on_poll(seen, proc)  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise AssertionError(f"prospect run did not end within {timeout} s")
            time.sleep(0.25)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode(), seen


def test_local_slurm_has_this_machine_as_its_idle_node(slurm: LocalSlurm) -> None:
    node = slurm.cmd("sinfo", "-h", "-N", "-o", "%N %P %T %c").split()
    assert node[1].rstrip("*") == shipped_partition()
    assert node[2] == "idle" and int(node[3]) == os.cpu_count()
    assert slurm.cmd("scontrol", "ping").count("UP") == 1


def test_demo_job_on_slurm_matches_embedded_run_despite_a_scancel_mid_ingest(
    demo_reference: Reference, idle_slurm: LocalSlurm, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``prospect run --cluster slurm``: two worker jobs run every stage; one of them is
    ``scancel``ed in the middle of ingest; the cube, maps and tiles are byte for byte the
    embedded run's, and no job or job process is left once the run returns."""
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(jobqueue_dir(tmp_path, idle_slurm)))
    out = tmp_path / "out"
    cancelled: list[str] = []

    def cancel_one(seen: dict[str, set[str]], proc: object) -> None:
        running = sorted(j for j, s in idle_slurm.jobs(WORKER).items() if s == "RUNNING")
        if not cancelled and len(running) == 2 and stage_status(out, "ingest") == "running":
            idle_slurm.cmd("scancel", running[0])
            cancelled.append(running[0])

    rc, err, seen = _run(demo_reference.job, out, idle_slurm, on_poll=cancel_one)
    assert rc == 0, err[-3000:]
    assert len(seen) == 2 and all("RUNNING" in states for states in seen.values()), seen
    assert len(cancelled) == 1, f"ingest was never seen running on two jobs: {seen}"
    idle_slurm.wait_until_empty(timeout=30)  # the jobs end with the run: none queued, no orphans
    assert idle_slurm.job_state(cancelled[0]) == "CANCELLED"
    assert {idle_slurm.job_state(j) for j in seen} <= {"CANCELLED", "COMPLETED"}
    assert_identical(out, demo_reference)
    assert map_digests(out) == map_digests(demo_reference.out)
    manifest = read_manifest(out)
    assert manifest["engine"]["cluster"] == "slurm" and manifest["workers"] == 2
    for stage in ("ingest", "indices", "train", "score", "tiles"):
        assert manifest["stages"][stage]["status"] == "done"
        assert manifest["stages"][stage]["cluster"]["tasks"] >= 1, stage
    logs = sorted((tmp_path / "logs").glob(f"{WORKER}-*.err"))
    assert {p.stem.rsplit("-", 1)[1] for p in logs} == set(seen)
    assert all("Starting established connection" in p.read_text() for p in logs)


@pytest.mark.parametrize("setting,value,words", [
    ("queue", "no-such-partition", "invalid partition"),
    ("memory", "4096GiB", "memory specification"),
])
def test_job_slurm_refuses_gives_one_line_naming_the_setting(
    setting: str, value: str, words: str, demo_reference: Reference,
    idle_slurm: LocalSlurm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = jobqueue_dir(tmp_path, idle_slurm, jobqueue={setting: value},
                          prospect={"wait_timeout_s": 60})
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(folder))
    out = tmp_path / "out"
    started = time.monotonic()
    rc, err, seen = _run(demo_reference.job, out, idle_slurm, timeout=120)
    elapsed = time.monotonic() - started
    assert rc == 1 and elapsed < 60, (rc, elapsed, err[-2000:])
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    assert lines[0].startswith("error: sbatch refused the dask worker job")
    assert words in lines[0].lower()
    assert f"change 'jobqueue.slurm.{setting}' in {folder / 'jobqueue.yaml'}" in lines[0]
    assert not seen and not (out / "cube.zarr").exists()


def test_worker_jobs_that_never_start_give_one_line_within_wait_timeout(
    demo_reference: Reference, idle_slurm: LocalSlurm, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Jobs SLURM accepts but holds (here: not before an hour from now) stop the run after
    ``wait_timeout_s`` with SLURM's reason, and are cancelled."""
    folder = jobqueue_dir(tmp_path, idle_slurm,
                          jobqueue={"job-extra-directives": ["--begin=now+3600"]},
                          prospect={"wait_timeout_s": 8})
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(folder))
    started = time.monotonic()
    rc, err, seen = _run(demo_reference.job, tmp_path / "out", idle_slurm, timeout=120)
    elapsed = time.monotonic() - started
    assert rc == 1, err[-3000:]
    assert elapsed < 8 + 30, elapsed  # the wait, plus starting and stopping the cluster
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    assert "no dask worker joined the slurm cluster within 8 s" in lines[0]
    assert "PENDING BeginTime" in lines[0]
    assert f"'prospect.slurm.wait_timeout_s' in {folder / 'jobqueue.yaml'}" in lines[0]
    assert seen and all(states == {"PENDING"} for states in seen.values())
    idle_slurm.wait_until_empty(timeout=30)
    assert {idle_slurm.job_state(j) for j in seen} == {"CANCELLED"}


def test_worker_jobs_that_end_without_a_worker_stop_the_run_early(
    demo_reference: Reference, idle_slurm: LocalSlurm, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Worker jobs whose dask worker cannot start (here: a prologue that fails, as a
    broken environment's; a ``--lifetime`` dask cannot parse, as ``cluster/jobqueue.yaml``
    once shipped, is refused before submitting since round 27) end at once; the run says
    so and where their output is, without waiting out ``wait_timeout_s``."""
    prologue = ["echo 'prospect-test: no such environment' >&2", "exit 3"]
    folder = jobqueue_dir(tmp_path, idle_slurm,
                          jobqueue={"job-script-prologue": prologue},
                          prospect={"wait_timeout_s": 300})
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(folder))
    started = time.monotonic()
    rc, err, _ = _run(demo_reference.job, tmp_path / "out", idle_slurm, timeout=300)
    assert rc == 1 and time.monotonic() - started < 120, err[-3000:]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    assert "worker jobs ended before 2 dask worker(s) joined" in lines[0]
    assert f"'jobqueue.slurm.log-directory' in {folder / 'jobqueue.yaml'}" in lines[0]
    logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.err"))
    assert "prospect-test: no such environment" in logs


def test_worker_jobs_expiring_mid_stage_are_replaced_when_adapting(
    demo_reference: Reference, idle_slurm: LocalSlurm, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Worker jobs of a one-minute walltime, killed by SLURM (``TIMEOUT``) in the middle of
    train; ``adapt_max_jobs`` lets dask-jobqueue submit new ones and the run's outputs are
    the embedded run's.

    SLURM counts walltime in whole minutes and checks it every 30 s, so the demo job would
    be over before the first expiry: ``prospect run`` is stopped (SIGSTOP) once train has
    started and continued once SLURM has ended every worker job it had."""
    folder = jobqueue_dir(tmp_path, idle_slurm,
                          jobqueue={"walltime": "00:01:00", "worker-extra-args": [],
                                    "death-timeout": 600},  # not gone on their own
                          prospect={"jobs": 2, "adapt_max_jobs": 2})
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(folder))
    out = tmp_path / "out"
    expired: list[str] = []

    def expire_all(seen: dict[str, set[str]], proc: subprocess.Popen[bytes]) -> None:
        if expired or stage_status(out, "train") != "running":
            return
        running = [j for j, s in idle_slurm.jobs(WORKER).items() if s == "RUNNING"]
        if not running:
            return
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 150
            while any(idle_slurm.job_state(j) != "TIMEOUT" for j in running):
                assert time.monotonic() < deadline, {j: idle_slurm.job_state(j) for j in running}
                time.sleep(1)
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        expired.extend(running)

    rc, err, seen = _run(demo_reference.job, out, idle_slurm, on_poll=expire_all, timeout=480)
    assert rc == 0, err[-3000:]
    assert expired, "train was never seen running"
    replacements = set(seen) - set(expired)
    assert replacements, f"no worker job replaced the expired {expired}: {seen}"
    assert any("RUNNING" in seen[j] for j in replacements)
    assert_identical(out, demo_reference)
    assert map_digests(out) == map_digests(demo_reference.out)
    idle_slurm.wait_until_empty(timeout=30)


def test_whole_job_as_one_batch_job(
    demo_reference: Reference, idle_slurm: LocalSlurm, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``sbatch cluster/prospect-job.sbatch JOB OUT``: scheduler, driver and two workers (an
    srun step) inside one allocation, outputs byte for byte the embedded run's."""
    monkeypatch.setenv("PROSPECT_DASK_INTERFACE", "lo")
    out = tmp_path / "out"
    submitted = idle_slurm.cmd(
        "sbatch", "--parsable", "--ntasks=2", "--cpus-per-task=1", "--mem-per-cpu=1500M",
        f"--chdir={tmp_path}", f"--output={tmp_path}/prospect-%j.out",
        str(REPO / "cluster" / "prospect-job.sbatch"), str(demo_reference.job), str(out))
    job_id = submitted.strip().split(";")[0]
    steps: set[str] = set()
    deadline = time.monotonic() + 400
    while job_id in idle_slurm.jobs():
        steps.update(idle_slurm.cmd("squeue", "-h", "-s", "-j", job_id, "-o", "%i",
                                    check=False).split())
        assert time.monotonic() < deadline, "the batch job did not end"
        time.sleep(0.5)
    log = (tmp_path / f"prospect-{job_id}.out").read_text()
    assert idle_slurm.job_state(job_id) == "COMPLETED", log[-3000:]
    assert f"{job_id}.0" in steps  # the workers ran as a step of this allocation
    # each worker's share of the 2 x 1500M, after the batch step's (scheduler and run)
    # share of the node (round 38): 1125MiB where the node holds the 2 CPUs asked
    said = re.search(r"2 worker\(s\) of 1 thread\(s\), (\d+)MiB each \((\d+)MiB of the "
                     r"first node kept", " ".join(log.split()))
    assert said, log[-3000:]
    each, kept = int(said.group(1)), int(said.group(2))
    assert kept > 0 and 1000 <= each <= 1500, said.group()
    address = log.split("prospect-job: scheduler ", 1)[1].split(",", 1)[0]
    manifest = read_manifest(out)
    assert manifest["engine"]["scheduler"] == address and manifest["workers"] == 2
    assert all(manifest["stages"][s]["status"] == "done"
               for s in ("ingest", "indices", "train", "score", "tiles"))
    assert_identical(out, demo_reference)
    assert map_digests(out) == map_digests(demo_reference.out)
    assert not (tmp_path / f"prospect-scheduler-{job_id}.json").exists()
    idle_slurm.wait_until_empty(timeout=30)
