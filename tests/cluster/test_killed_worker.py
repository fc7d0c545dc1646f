"""A task whose workers keep dying is one line naming the stage, not 'internal error'."""

from __future__ import annotations

import os

import dask
import pytest
from distributed import Client, LocalCluster
from distributed.scheduler import KilledWorker

from pipelines.faults import killed_worker_error


def _die() -> None:
    os._exit(137)  # what the nanny or the OOM killer leaves of a worker


@pytest.fixture(scope="module")
def killed() -> KilledWorker:
    """A real ``KilledWorker`` from a real one-worker cluster (no retries allowed)."""
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                         memory_limit="1GiB", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        future = client.submit(_die, key="ingest-chunk-(0, 1)", pure=False)
        with pytest.raises(KilledWorker) as info:
            future.result(timeout=60)
    return info.value


def test_killed_worker_is_one_line_naming_stage_task_and_what_to_change(killed) -> None:
    err = killed_worker_error(killed, "ingest")
    assert err is not None
    text = str(err)
    assert "\n" not in text
    assert text.startswith("stage ingest: the 1 worker(s) that ran task 'ingest-chunk-(0, 1)'")
    assert "1.0 GiB" in text and "run the same command again" in text
    assert "distributed.dask.org" not in text


def test_other_exceptions_are_left_alone() -> None:
    assert killed_worker_error(RuntimeError("x"), "ingest") is None
