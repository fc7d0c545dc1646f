"""A real dask cluster on loopback: ``dask scheduler`` and two ``dask worker`` processes
started with the venv's ``dask`` command, plus a small synthetic demo job and its output
from a local (embedded-default) run to compare against."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_helpers import LoopbackCluster, Reference, start_cluster, write_demo_job


@pytest.fixture(scope="session")
def loopback_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    """``dask scheduler`` + two ``dask worker`` processes (each with a nanny) on loopback."""
    cluster = start_cluster(tmp_path_factory.mktemp("loopback"))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture()
def two_workers(loopback_cluster: LoopbackCluster) -> LoopbackCluster:
    """The session cluster, after waiting until both workers are back (nannies restart)."""
    loopback_cluster.wait_for_workers(2, timeout=90)
    return loopback_cluster


def _run_reference(root: Path) -> Reference:
    from rich.console import Console

    from pipelines.runner import run_job
    from prospect.testing import array_checksums

    job = write_demo_job(root)
    out = root / "out"
    run_job(job, out, workers=2, console=Console(stderr=True, quiet=True))
    return Reference(job=job, out=out, checksums=array_checksums(out / "cube.zarr"),
                     manifest=json.loads((out / "manifest.json").read_text()))


@pytest.fixture(scope="session")
def demo_reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The demo job run on the embedded default (a local cluster of two workers).

    Read-only for the tests. Under pytest-xdist the first worker that needs it runs it in
    the session's shared temporary folder and the others wait for it and read it there.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _run_reference(tmp_path_factory.mktemp("demo_local"))
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp().parent / "demo_local"
    done = root / "checksums.json"  # written last: the run finished
    with FileLock(f"{root}.lock"):
        if done.is_file():
            out = root / "out"
            return Reference(job=root / "job.yaml", out=out,
                             checksums=json.loads(done.read_text()),
                             manifest=json.loads((out / "manifest.json").read_text()))
        shutil.rmtree(root, ignore_errors=True)  # left by a worker that failed
        ref = _run_reference(root)
        done.write_text(json.dumps(ref.checksums))
        return ref
