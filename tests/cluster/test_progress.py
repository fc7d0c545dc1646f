"""Progress bars over dask futures on the loopback cluster."""

from __future__ import annotations

import io
from types import SimpleNamespace

import dask.array as da
import numpy as np
import pytest
from cluster_helpers import LoopbackCluster
from rich.console import Console

from pipelines.progress import compute

pytestmark = [pytest.mark.cluster]


def test_compute_counts_every_task_of_the_graph(two_workers: LoopbackCluster) -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=120)
    data = np.arange(400 * 400, dtype="f8").reshape(400, 400)
    arr = da.from_array(data, chunks=100)
    with two_workers.client() as client:
        ctx = SimpleNamespace(client=client, console=console)
        total = compute((arr * 2).sum(), ctx, "double and sum")
        both = compute((arr.max(), arr.min()), ctx, "max and min")
    assert total == pytest.approx(2 * data.sum())
    assert both == (data.max(), data.min())
    text = buf.getvalue()
    assert "double and sum" in text and "max and min" in text
    tasks = (arr * 2).sum().__dask_graph__()
    # the bar ends at the full count of the graph's tasks (n/n), not at one future
    counts = [line for line in text.splitlines() if "double and sum" in line]
    done = counts[-1].split("tasks")[0].split()[-1]
    finished, total_tasks = (int(x) for x in done.split("/"))
    assert finished == total_tasks and total_tasks >= 16
    assert total_tasks <= len(tasks)
