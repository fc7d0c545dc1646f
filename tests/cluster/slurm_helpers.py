"""A real single-node SLURM for the tests: ``cluster/slurm-local.sh`` starts munged,
slurmctld and slurmd in a temporary folder; these helpers start and stop it, ask it about
jobs and write the ``jobqueue.yaml`` the tests point ``PROSPECT_CLUSTER_DIR`` at."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cluster_helpers import REPO

SCRIPT = REPO / "cluster" / "slurm-local.sh"
SHIPPED = REPO / "cluster" / "jobqueue.yaml"
TOOLS = ("munged", "slurmctld", "slurmd", "sinfo", "sbatch", "squeue", "scancel", "scontrol")


def unavailable() -> str | None:
    """Why no SLURM can be started here (``None`` when it can)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "a local SLURM needs root (slurmd starts jobs as their users)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not found: apt-get install slurm-wlm munge"
    try:
        from pipelines.faults import signal_handlers_kept

        with signal_handlers_kept():  # its import sets SIGINT to sys.exit()
            import dask_jobqueue  # noqa: F401
    except ImportError:
        return "dask-jobqueue is not installed (pip install 'prospect[cluster]')"
    return None


def shipped_partition() -> str:
    """The partition ``cluster/jobqueue.yaml`` submits to (``normal`` where it says null)."""
    return yaml.safe_load(SHIPPED.read_text())["jobqueue"]["slurm"]["queue"] or "normal"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalSlurm:
    """munged, slurmctld and slurmd started by ``cluster/slurm-local.sh`` in ``root``."""

    root: Path
    partition: str

    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def cmd(self, *args: str, check: bool = True) -> str:
        """Run a SLURM client command against this cluster; its stdout."""
        done = subprocess.run(list(args), capture_output=True, text=True, env=self.env(),
                              timeout=60)
        if check and done.returncode:
            raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def jobs(self, name: str | None = None) -> dict[str, str]:
        """``squeue``: job id -> state of the queued and running jobs (of ``name``)."""
        args = ["squeue", "-h", "-o", "%i %T"] + (["--name", name] if name else [])
        return dict(line.split() for line in self.cmd(*args).splitlines() if line.strip())

    def job_state(self, job_id: str) -> str:
        """``scontrol show job``'s JobState (SLURM keeps ended jobs for MinJobAge)."""
        out = self.cmd("scontrol", "-o", "show", "job", job_id)
        fields = dict(f.split("=", 1) for f in out.split() if "=" in f)
        return fields.get("JobState", "?")

    def job_processes(self) -> list[int]:
        """Pids of processes started inside a job of this cluster (none once jobs ended)."""
        marker = f"SLURM_CONF={self.conf}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker in environ and any(e.startswith(b"SLURM_JOB_ID=") for e in environ):
                found.append(int(entry.name))
        return found

    def wait_until_empty(self, timeout: float = 60.0) -> None:
        """Block until no job is queued or running and no job process is left."""
        deadline = time.monotonic() + timeout
        while self.jobs() or self.job_processes():
            if time.monotonic() > deadline:
                raise AssertionError(f"jobs left: {self.jobs()}, processes left: "
                                     f"{self.job_processes()}")
            time.sleep(0.5)

    def stop(self) -> None:
        """Cancel every job, then stop slurmd, slurmctld and munged by their pids."""
        subprocess.run([str(SCRIPT), "stop", str(self.root)], timeout=120, check=False)


def start_slurm(root: Path, partition: str) -> LocalSlurm:
    """Start a single-node SLURM in ``root`` on two free loopback ports; wait until idle.

    It stops itself once this process is gone, should :meth:`LocalSlurm.stop` not run.
    """
    env = {**os.environ, "SLURM_LOCAL_CTLD_PORT": str(_free_port()),
           "SLURM_LOCAL_SLURMD_PORT": str(_free_port()),
           # stopped by the script's watchdog should this session die before its clean-up
           "SLURM_LOCAL_OWNER_PID": str(os.getpid())}
    slurm = LocalSlurm(root=root, partition=partition)
    done = subprocess.run([str(SCRIPT), "start", str(root), partition], env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode:
        slurm.stop()
        raise RuntimeError(f"cluster/slurm-local.sh start failed: {done.stderr.strip()}")
    return slurm


def jobqueue_dir(root: Path, slurm: LocalSlurm, *, jobqueue: dict[str, Any] | None = None,
                 prospect: dict[str, Any] | None = None) -> Path:
    """A ``PROSPECT_CLUSTER_DIR``: the shipped ``jobqueue.yaml`` sized for this machine.

    Workers of one core, one process and 1.5 GiB, localhost only, logs and spill space
    under ``root``; ``jobqueue``/``prospect`` override ``jobqueue.slurm``/``prospect.slurm``.
    """
    settings = yaml.safe_load(SHIPPED.read_text())
    section = settings["jobqueue"]["slurm"]
    section.update({
        "cores": 1, "processes": 1, "memory": "1.5GiB", "walltime": "00:10:00",
        "queue": slurm.partition, "interface": "lo", "death-timeout": 30,
        "local-directory": str(root / "spill"), "log-directory": str(root / "logs"),
        "scheduler-options": {"dashboard_address": "127.0.0.1:0"},
        # workers retire before the walltime, as the shipped 230m before its 4 hours
        # (a lifetime that outlasts the walltime is refused)
        "worker-extra-args": ["--lifetime", "8m", "--lifetime-stagger", "1m"],
        **(jobqueue or {}),
    })
    settings["prospect"]["slurm"].update({"jobs": 2, "wait_for_workers": 2,
                                          "wait_timeout_s": 120, **(prospect or {})})
    folder = root / "cluster"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jobqueue.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return folder


def venv() -> Path:
    """The virtual environment of this interpreter (``PROSPECT_VENV`` of the job scripts)."""
    return Path(sys.executable).parents[1]
