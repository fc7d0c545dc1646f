"""Dask client set-up: the embedded local cluster by default, or a running scheduler."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from prospect.errors import StageError

__all__ = ["dask_client"]


@contextlib.contextmanager
def dask_client(
    *, scheduler: str | None = None, workers: int | None = None, threads_per_worker: int = 1,
    memory_limit: str = "auto",
) -> Iterator[Any]:
    """Yield a ``distributed.Client``: attached to ``scheduler`` or on a new local cluster.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``); ``None`` starts a local
        cluster with ``workers`` worker processes (default: one per core).
    """
    from distributed import Client, LocalCluster

    for noisy in ("distributed", "bokeh", "tornado"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise StageError(
                f"cannot reach the dask scheduler at {scheduler}: {exc}; start it with "
                "'dask scheduler' or drop --scheduler to use a local cluster"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    import os

    n = workers or max(1, os.cpu_count() or 1)
    cluster = LocalCluster(
        n_workers=n, threads_per_worker=threads_per_worker, processes=True,
        memory_limit=memory_limit, dashboard_address=":0", silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
