"""Where a stage's work runs: the job's dask cluster, or this process. Decided here only.

Every stage that fans work out (ingest chunks, training folds, score deliverables, tile
pyramid jobs) asks the run's :class:`StageExecutor` (``ctx.executor``) instead of testing
``ctx.client`` itself. On a cluster the work becomes tasks (``pure=False``: every call
runs); without one it runs here, in order, and the results are the same.

Dask collections (arrays, delayed) are computed with :func:`pipelines.progress.compute`,
which takes the same decision from the same client.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pipelines.cluster import ship

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["StageExecutor"]

AHEAD = 1024
"""At most this many calls of a large :meth:`StageExecutor.map_unordered` batch are on
the cluster at once (or four per worker thread, if more), topped up as they come back.

The scheduler cancels (and forgets) queued tasks in time that grows faster than their
number: a Ctrl-C or SIGTERM of a job whose 20 000 chunk tasks had all been submitted
took 18 s to close its client (two local workers; 1.9 s for 5 000), past the client's
5 s close timeout, so a batch system's grace before SIGKILL could run out. Submitting
20 000 calls also took 8 s before the first one ran."""

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class StageExecutor:
    """Runs a stage's calls on the job's dask client, or here when there is none.

    Parameters
    ----------
    client
        The run's ``distributed.Client``; ``None`` runs everything in this process.
    """

    def __init__(self, client: Client | None) -> None:
        self.client = client

    @property
    def on_cluster(self) -> bool:
        """Whether calls become tasks on a dask cluster."""
        return self.client is not None

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` as a cluster task, or run here now.

        Returns a future (``.result()``): a ``distributed.Future`` on a cluster, else a
        finished :class:`concurrent.futures.Future` holding the value or the exception.
        """
        if self.client is not None:
            return self.client.submit(fn, *args, pure=False, **kwargs)
        done: concurrent.futures.Future[R] = concurrent.futures.Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as exc:
            done.set_exception(exc)
        return done

    def gather(self, futures: list[Any]) -> list[Any]:
        """The results of ``futures`` from :meth:`submit`, in order (raising the first error)."""
        if self.client is not None:
            return list(self.client.gather(futures))
        return [f.result() for f in futures]

    def ship(self, value: Any, *, replicate: bool = False) -> Any:
        """``value`` for many calls: sent to the cluster once (:func:`~pipelines.cluster.ship`),
        or ``value`` itself here."""
        return value if self.client is None else ship(self.client, value, replicate=replicate)

    def map_unordered(self, fn: Callable[..., R],
                      batches: Iterable[Sequence[tuple[K, tuple[Any, ...]]]], *,
                      one_per_thread: bool = False) -> Iterator[tuple[K, Any]]:
        """``(key, future)`` for every ``(key, args)`` of ``batches``, as each call finishes.

        Each future is done (:meth:`gather` takes its value: gather many at once, one round
        trip to the cluster for all of them, rather than one each). A failed call raises
        when it comes; on a cluster the calls not yet finished are then cancelled.

        On a cluster each batch is submitted as ``batches`` yields it, in one message to
        the scheduler (``Client.map``; a task's key names its function, as with
        ``submit``), so the workers start while later batches are still being prepared;
        then the calls come as they finish. A submit per call cost the job's process
        0.6-0.9 ms more CPU per task (2.1-2.3 against 1.2-1.6 ms for 560 no-op tasks
        gathered at once, two local workers). Here each call runs when its batch is yielded and
        comes back before the next is run, as a finished
        :class:`concurrent.futures.Future`.

        ``one_per_thread``: on a cluster, a batch of at most twice as many calls as the
        cluster has threads is handed out one call per worker thread at a time, the next
        one (in the order given) as soon as one finishes, so the worker that finishes
        first takes it. For few long calls: the scheduler hands all the calls of such a
        batch out at once, as many to each worker, and with four calls of 0.5-0.8 s on
        two workers one worker then idled for 0.3 s while the other ran its second call
        (``benchmarks/bench_scale.py``'s ingest, issue 19 point 2). A larger batch is
        submitted whole: dask queues such a group on the scheduler, and each worker holds
        one call beyond its threads (``worker-saturation`` 1.1 on the embedded cluster),
        so a thread that frees starts the next call at once and takes another from the
        scheduler meanwhile, with no round trip through this process; handed out from
        here, each of the 36 calls of ``benchmarks/bench_ingest.py`` on one worker waited
        for one, and ingest went from 1.05 to 1.36x gdalwarp. Of a batch of more than
        :data:`AHEAD` calls, that many are on the cluster at a time, so that a stop
        cancels few and the first calls start at once; the rest follow, many per message,
        as half of those come back.
        """
        if self.client is None:
            for batch in batches:
                for key, args in batch:
                    done: concurrent.futures.Future[R] = concurrent.futures.Future()
                    done.set_result(fn(*args))
                    yield key, done
            return
        from distributed import as_completed

        client = self.client
        keys: dict[Any, K] = {}  # the calls on the cluster, not yet handed back
        landed = as_completed()
        waiting: list[tuple[K, tuple[Any, ...]]] = []  # handed out one per thread
        backlog: list[tuple[K, tuple[Any, ...]]] = []  # a large batch's calls not yet sent

        def send(calls: Sequence[tuple[K, tuple[Any, ...]]]) -> None:
            columns = list(zip(*(args for _, args in calls), strict=True))
            futures = client.map(fn, *columns, pure=False)
            keys.update(zip(futures, (key for key, _ in calls), strict=True))
            landed.update(futures)

        def threads() -> int:  # asked each time: a cluster may grow
            return sum(client.nthreads().values())

        def fill() -> None:
            # as many as the cluster's threads take beside the calls running; at least
            # one, so that the calls go on
            running = len(keys)
            free = max(threads() - running, 0 if running else 1)
            if free and waiting:
                send(waiting[:free])
                del waiting[:free]

        def top_up() -> None:
            # a large batch: at most ahead() calls on the cluster, topped up once half
            # of them have come back (one message per top-up)
            limit = ahead()
            if backlog and len(keys) <= limit // 2:
                room = limit - len(keys)
                send(backlog[:room])
                del backlog[:room]

        def ahead() -> int:
            return max(AHEAD, 4 * threads())

        try:
            for batch in batches:
                if not batch:
                    continue
                if one_per_thread and len(batch) <= 2 * threads():
                    waiting.extend(batch)  # the free threads take theirs now; the rest waits
                    fill()
                else:
                    backlog.extend(batch)
                    top_up()
            for future in landed:
                key = keys.pop(future)
                if future.status != "finished":
                    future.result()  # raises the call's error
                if waiting:
                    fill()
                if backlog:
                    top_up()
                yield key, future
        finally:
            # one message for the calls still pending (cancelling a finished one is a
            # round trip to the scheduler for nothing)
            pending = [f for f in keys if not f.done()]
            if pending:
                self.client.cancel(pending)

    def pool(self) -> concurrent.futures.Executor | Literal["thread"]:
        """An executor for code written against :mod:`concurrent.futures` (tile pyramids):
        the client's (each job a task), or ``"thread"`` for a local thread pool."""
        if self.client is None:
            return "thread"
        return self.client.get_executor(pure=False)

    def parallel(self, n: int) -> int:
        """How many of ``n`` independent parts to run side by side: all of them on a
        cluster, one at a time here (each part already uses every local core)."""
        return max(1, n) if self.client is not None else 1
