"""The stage executor on a real local cluster: calls submitted one per worker thread."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.integration


def _span(i: int, seconds: float) -> tuple[int, float, float]:
    start = time.time()
    time.sleep(seconds)
    return i, start, time.time()


def _span_tasks(dask_scheduler=None) -> int:
    return sum(1 for key in dask_scheduler.tasks if str(key).startswith("_span"))


def _most_assigned(dask_scheduler=None) -> int:
    """The most tasks any worker holds (running or waiting in it)."""
    return max(len(ws.processing) for ws in dask_scheduler.workers.values())


def _fail(i: int) -> int:
    raise ValueError(f"call {i} failed")


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    from pipelines.cluster import local_cluster

    cluster = local_cluster(2, threads_per_worker=1)
    with Client(cluster) as c:
        yield c
    cluster.close()


def test_one_per_thread_keeps_at_most_a_call_per_thread_running(client) -> None:
    from pipelines.executor import StageExecutor

    executor = StageExecutor(client)
    # at most twice the threads: from here. The second call runs longest, so that the
    # first result comes alone (two calls ending together let the fourth be submitted
    # before the count below is taken: a race, not a hand-out, seen once in CI)
    calls = [(i, (i, 0.9 if i == 1 else 0.3)) for i in range(4)]
    done, known = [], []
    for key, future in executor.map_unordered(_span, [calls], one_per_thread=True):
        # the calls the scheduler holds (at the first result: the first two and the one
        # submitted when the first finished, not all four)
        known.append(client.run_on_scheduler(_span_tasks))
        done.append((key, future))
    assert known[0] <= 3, known
    assert sorted(key for key, _ in done) == list(range(4))
    spans = [future for _, future in done]
    spans = sorted(executor.gather(spans), key=lambda s: s[1])
    # the first two given start first, and never more than two run at once: each later
    # call starts once an earlier one has finished
    assert {i for i, _, _ in spans[:2]} == {0, 1}
    for _, start, _ in spans:
        assert sum(1 for _, a, b in spans if a <= start < b) <= 2
    for _, start, _ in spans[2:]:
        assert any(b <= start + 0.01 for _, _, b in spans)


def test_one_per_thread_raises_the_first_error(client) -> None:
    from pipelines.executor import StageExecutor

    executor = StageExecutor(client)
    with pytest.raises(ValueError, match=r"call [01] failed"):
        for _ in executor.map_unordered(_fail, [[(i, (i,)) for i in range(4)]],
                                        one_per_thread=True):
            pass


def test_a_large_batch_is_queued_on_the_scheduler_one_call_held_per_worker(client) -> None:
    """More calls than twice the threads go to the scheduler at once (no round trip
    through the job's process per call); the embedded cluster's worker-saturation of 1.1
    lets each one-thread worker hold one call beside the one it runs (the next starts
    without waiting for the scheduler), and the rest wait on the scheduler, so the
    worker that frees first takes them."""
    from pipelines.executor import StageExecutor

    executor = StageExecutor(client)
    calls = [(i, (i, 0.15)) for i in range(8)]
    before = client.run_on_scheduler(_span_tasks)  # an earlier test's calls may linger
    known, assigned, done = [], [], []
    for key, future in executor.map_unordered(_span, [calls], one_per_thread=True):
        known.append(client.run_on_scheduler(_span_tasks))
        assigned.append(client.run_on_scheduler(_most_assigned))
        done.append((key, future))
    # two at most per worker: the one running and the next (at 1.0 none was held, and
    # each call waited for a round trip through the scheduler; with no queuing a
    # worker would hold four)
    assert max(assigned) == 2, assigned
    assert known[0] - before == 8, (before, known)  # all submitted with the batch
    spans = sorted(executor.gather([f for _, f in done]), key=lambda s: s[1])
    assert sorted(i for i, _, _ in spans) == list(range(8))
    for _, start, _ in spans:  # never more than the two threads' worth running at once
        assert sum(1 for _, a, b in spans if a <= start < b) <= 2
    assert {i for i, _, _ in spans[:2]} == {0, 1}
