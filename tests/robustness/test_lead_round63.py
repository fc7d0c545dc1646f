"""Round 63 (lead): a limit a test set on its own process ends with the test.

Stop 65's CI failed one case of 10 700 (``test_models_round59``'s control): a score job
that writes a few kB ended "the file is over the file-size limit (ulimit -f)". Tests that
set a real limit on the pytest process (``ulimit -f`` under an archive's size, ``ulimit -v``)
took it back after the job, but the corpus's shared dask cluster keeps its nannies in that
process (a ``LocalCluster``'s): a worker they started meanwhile (one restarted after a
kill) inherited the limit and kept it for every later test of that pytest worker.

Now such a block is :func:`tests.robustness.conftest.process_limit`, which hands every
process started from this one the limit back at the block's end. The cluster here is a
real one of its own (one worker process), not the shared one.
"""

from __future__ import annotations

import multiprocessing
import resource

import pytest

from .conftest import process_limit

LOW = 20_000
"""A file-size limit (bytes) far under what any job writes."""


def _sleep() -> None:
    import time

    time.sleep(60)


def test_a_process_started_under_a_limit_has_it_taken_back_after_the_block() -> None:
    """A process started inside the block holds the low limit there (the leak's cause);
    after the block it has this process's limit again."""
    before = resource.getrlimit(resource.RLIMIT_FSIZE)
    if before[0] != resource.RLIM_INFINITY and before[0] <= LOW:
        pytest.skip(f"this process's file-size limit is {before[0]} bytes already")
    child = multiprocessing.get_context("spawn").Process(target=_sleep, daemon=True)
    try:
        with process_limit(resource.RLIMIT_FSIZE, LOW):
            child.start()
            assert child.pid is not None
            assert resource.prlimit(child.pid, resource.RLIMIT_FSIZE)[0] == LOW
        assert resource.getrlimit(resource.RLIMIT_FSIZE) == before
        assert resource.prlimit(child.pid, resource.RLIMIT_FSIZE) == before
    finally:
        child.kill()
        child.join(30)


def _worker_limit() -> tuple[int, int]:
    return resource.getrlimit(resource.RLIMIT_FSIZE)


def test_a_worker_restarted_under_a_limit_writes_freely_after_the_block() -> None:
    """The CI's case: the cluster's nanny (in this process) restarts its worker inside the
    block; after the block the new worker's limit is this process's again, so a later
    job's writes there are not refused."""
    from distributed import Client

    from pipelines.cluster import local_cluster

    before = resource.getrlimit(resource.RLIMIT_FSIZE)
    if before[0] != resource.RLIM_INFINITY and before[0] <= LOW:
        pytest.skip(f"this process's file-size limit is {before[0]} bytes already")
    with local_cluster(1, dashboard_address=None) as cluster, Client(cluster) as client:
        with process_limit(resource.RLIMIT_FSIZE, LOW):
            client.restart_workers(list(client.scheduler_info()["workers"]))
            assert set(client.run(_worker_limit).values()) == {(LOW, before[1])}
        assert set(client.run(_worker_limit).values()) == {before}
