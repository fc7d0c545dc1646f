"""The one progress display: over dask futures, dask collections and a stage's own steps.

A stage computes its dask collections with :func:`compute` instead of ``dask.compute``::

    from pipelines.progress import compute
    stats = compute(stats_graph, ctx, "ingest: reproject s2")
    compute(delayed_store, ctx, "score: write probability")

On a distributed client the collections are submitted as futures and a rich progress bar
on ``ctx.console`` (stderr) counts every task of their graphs as the scheduler finishes it
(a small scheduler plugin counts task transitions; the bar polls it). Worker
loss is handled by the scheduler (tasks rerun elsewhere); losing the scheduler ends the
bar and raises from the gather. Without a distributed client the collections are computed
here by ``dask.compute`` and the same bar counts their tasks (a dask callback).
Stages that count their own steps (ingest chunks, tile blocks) draw :func:`progress_bar`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleRenderable
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

if TYPE_CHECKING:
    from distributed import Client

    from pipelines.context import RunContext

__all__ = ["StageMonitor", "compute", "progress_bar", "track"]

log = logging.getLogger(__name__)


def _client_of(ctx: RunContext | None) -> Client | None:
    client = getattr(ctx, "client", None) if ctx is not None else None
    if client is not None:
        return client
    try:
        from distributed import default_client

        return default_client()
    except (ImportError, ValueError):
        return None


def _console_of(ctx: RunContext | None) -> Console:
    console = getattr(ctx, "console", None) if ctx is not None else None
    return console if isinstance(console, Console) else Console(stderr=True)


def progress_bar(console: Console | None = None, *, unit: str = "tasks") -> Progress:
    """The bar every stage draws: spinner, description, bar, ``done/total <unit>``, time.

    Use it as a context manager; add one task per thing counted. A quiet console
    (``Console(quiet=True)``: tests, benchmarks, embedding code) gets a disabled bar.
    """
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn(unit), TimeElapsedColumn())
    console = console or Console(stderr=True)
    # a quiet console shows nothing: no refresh thread re-rendering the bar ten times a
    # second, no final render on the stage's path after its last task (issue 19 point 3)
    return _Bar(*columns, console=console, transient=False, disable=console.quiet)


class _Bar(Progress):
    """Rich's progress display whose last line is ended even when a stop interrupts it.

    In a log or a pipe Rich writes the bar's final render, then its line end, as two
    writes (:meth:`rich.progress.Progress.stop`). An interrupt landing between them (a
    stop signal, or the output lock's heartbeat telling the main thread its directory was
    removed) left the line open, and the job's one error line was glued to the bar's end
    (``... 0/224 chunks 0:00:01error: ...``), where no reader of ``error:`` lines found it
    (seen once in CI). The line end is written in a ``finally``, and the final render is
    the stopping thread's alone (:class:`_FinalRenderOnce`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live.__class__ = _FinalRenderOnce

    def stop(self) -> None:
        if self.disable:
            return
        live = self.live
        assert isinstance(live, _FinalRenderOnce)
        try:
            live.stop()
        finally:
            if (not self.console.is_interactive and not self.console.is_jupyter
                    and not live.ended):
                self.console.print()


class _FinalRenderOnce(Live):
    """A live display whose final render, in a log or a pipe, is written with its line
    end, by the stopping thread alone.

    Rich adds the final render to every print made while the display stops, and ends its
    line only after: a line another thread printed in that moment (a stage's heartbeat,
    ``ingest: 0/4 cluster tasks done``, or a write to standard error it redirects) carried
    a second copy of the bar with no line end, or was glued to the first, and the job's
    error line was glued to the bar (seen in CI).
    """

    _stopping: int | None = None
    ended = False
    """Whether the final render went out with its line end (the stop's own print)."""

    def stop(self) -> None:
        self._stopping = threading.get_ident()
        try:
            super().stop()
        finally:
            self._stopping = None

    def process_renderables(self, renderables: list[ConsoleRenderable]
                            ) -> list[ConsoleRenderable]:
        if self.console.is_interactive or self._started:
            return super().process_renderables(renderables)
        if threading.get_ident() != self._stopping or self.transient:
            return renderables
        self.ended = True
        return [*renderables, self._live_render, Text("\n", end="")]


def _compute_here(obj: Any, ctx: RunContext | None, description: str) -> Any:
    """``dask.compute(obj)[0]`` in this process, with the bar counting its tasks."""
    import dask
    from dask.callbacks import Callback

    with progress_bar(_console_of(ctx)) as bar:
        task_id = bar.add_task(description, total=None)

        def count(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
            done = len(state["finished"])
            total = done + sum(len(state[k]) for k in ("ready", "waiting", "running"))
            bar.update(task_id, total=max(total, 1), completed=done)

        with Callback(posttask=count):
            return dask.compute(obj)[0]


def compute(obj: Any, ctx: RunContext | None = None, description: str = "computing") -> Any:
    """Compute a dask collection (or a list/tuple of them) with a progress bar.

    Parameters
    ----------
    obj
        A dask collection (array, dataframe, delayed) or a list/tuple of them.
    ctx
        The stage's :class:`~pipelines.context.RunContext` (its ``client`` and ``console``);
        ``None`` uses the default distributed client, if any.
    description
        What the bar says, e.g. ``"ingest: s2"``.

    Returns
    -------
    Any
        The computed value(s), as ``dask.compute(obj)[0]`` would give.
    """
    client = _client_of(ctx)
    if client is None:
        return _compute_here(obj, ctx, description)
    futures = client.compute(list(obj) if isinstance(obj, tuple) else obj)
    track(futures, ctx, description)
    result = client.gather(futures)
    return tuple(result) if isinstance(obj, tuple) else result


def track(futures: Any, ctx: RunContext | None = None, description: str = "computing"
          ) -> None:
    """Show a progress bar over ``futures`` (and every task they depend on) until done.

    The bar counts the tasks the cluster finishes while the futures run (the scheduler's
    task counter, see :class:`StageMonitor`) against the tasks the scheduler was given,
    polled every 0.2 s; completion itself is waited for directly, so the bar adds no
    latency. On a quiet console nothing is counted or drawn: the futures are only waited
    for. Returns when the futures are finished, have failed, or the scheduler is gone;
    the caller's ``gather``/``result`` then returns the values or raises.
    """
    from distributed import futures_of, wait

    client = _client_of(ctx)
    keys = futures_of(futures)
    if client is None or not keys:
        return
    console = _console_of(ctx)
    # a quiet console draws no bar: nothing to count, so no counter read every 0.2 s (two
    # round trips through the client's event loop, about 20 ms of its CPU a second of
    # scoring; issue 19 point 3)
    counter = None if console is not None and console.quiet else _TaskCount(client)
    with progress_bar(console) as bar:
        task_id = bar.add_task(description, total=None)
        while True:
            try:
                with client.as_current():  # the job's client need not be the default
                    wait(keys, timeout=0.2 if counter is not None else 2.0)
                break
            except TimeoutError:
                if counter is not None:
                    done, total = counter.read()
                    bar.update(task_id, total=max(total, done, 1), completed=done)
            except Exception as exc:  # scheduler gone: the caller's gather raises
                log.debug("progress bar stopped: %s", exc)
                return
        if counter is None:
            return
        done, total = counter.read()
        done = max(done, len(keys))
        bar.update(task_id, total=max(total, done), completed=max(total, done))


class _TaskCount:
    """The scheduler's task counter, read as differences from when this object was made.

    Registers the counter plugin on first use. Best effort: a scheduler that refuses the
    plugin (e.g. pickling disabled) or is gone reads as empty.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.start: dict[str, int] = {}
        try:
            self.start = self.now()
            if not self.start:
                client.register_plugin(_make_counter(), name=_COUNTER)
                self.start = self.now()
        except Exception as exc:
            log.debug("no task counter on the scheduler: %s", exc)

    def now(self) -> dict[str, int]:
        """The counter's totals and the cluster's state now (``{}`` when unreadable)."""
        if getattr(self.client, "status", "running") != "running":
            return {}
        try:
            return dict(self.client.run_on_scheduler(_read_counter))
        except Exception:
            return {}

    def delta(self, now: dict[str, int]) -> dict[str, int]:
        """``finished``, ``erred`` and ``queued`` (given) tasks since the start."""
        return {k: now.get(k, 0) - self.start.get(k, 0)
                for k in ("finished", "erred", "queued")}

    def read(self) -> tuple[int, int]:
        """``(finished, given)`` since the start (``(0, 0)`` without a counter)."""
        now = self.now() if self.start else {}
        if not now:
            return 0, 0
        d = self.delta(now)
        return d["finished"], d["queued"]


_COUNTER = "prospect-task-counter"


def _make_counter() -> Any:
    """A scheduler plugin counting finished tasks (defined here so it pickles by value)."""
    from distributed.diagnostics.plugin import SchedulerPlugin

    class TaskCounter(SchedulerPlugin):
        name = _COUNTER

        def __init__(self) -> None:
            self.finished = 0
            self.erred = 0
            self.queued = 0

        def transition(self, key: Any, start: str, finish: str, *args: Any,
                       **kwargs: Any) -> None:
            if start == "processing" and finish == "memory":
                self.finished += 1
            elif finish == "erred":
                self.erred += 1
            elif start == "released" and finish == "waiting":
                self.queued += 1

    return TaskCounter()


def _read_counter(dask_scheduler: Any = None) -> dict[str, int]:
    plugin = dask_scheduler.plugins.get("prospect-task-counter")
    if plugin is None:
        return {}
    processing = sum(len(ws.processing) for ws in dask_scheduler.workers.values())
    return {"finished": plugin.finished, "erred": plugin.erred, "queued": plugin.queued,
            "processing": processing, "workers": len(dask_scheduler.workers)}


class StageMonitor:
    """Counts the tasks a stage runs on the cluster and prints a heartbeat while it runs.

    The runner wraps every stage in one, so every stage reports its progress over the
    cluster's tasks even when it draws no bar of its own: a line every ``every`` seconds
    (``12/56 tasks done, 2 running, 2 workers``) printed above any live display, and the
    totals for the manifest (:attr:`summary`). Monitoring is best effort: a scheduler that
    refuses the plugin (e.g. pickling disabled) only loses the heartbeat.

    It also measures each worker process's peak resident memory over the stage: the
    heap's free pages are returned (``malloc_trim``) and the kernel's high-water mark
    (``VmHWM``) is reset on every worker when the stage starts (``/proc/self/clear_refs``)
    and read when it ends, so the figure is the stage's true peak, not a sample (Linux
    workers; elsewhere the summary has no memory figures). The summary also holds the
    stage's start and end (``started_at``, ``ended_at``, Unix seconds) to line it up with
    the scheduler's task stream.
    """

    def __init__(self, ctx: RunContext | None, stage: str, *, every: float = 5.0) -> None:
        self.client: Client | None = ctx.client if ctx is not None else None
        self.console = _console_of(ctx)
        self.stage, self.every = stage, every
        self.summary: dict[str, Any] = {}
        self._peaks = False
        self._count: _TaskCount | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> StageMonitor:
        if self.client is None:
            return self
        self._count = _TaskCount(self.client)
        self._peaks = _run_on_workers(self.client, _reset_peak_memory()) is not None
        if self._count.start:
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
        self.summary["started_at"] = round(time.time(), 3)
        return self

    def _beat(self) -> None:
        assert self._count is not None
        while not self._stop.wait(self.every):
            now = self._count.now()
            if not now:
                return
            d = self._count.delta(now)
            self.console.print(
                f"  [dim]{self.stage}: {d['finished']}/{max(d['queued'], d['finished'])} "
                f"cluster tasks done, {now.get('processing', 0)} running, "
                f"{now.get('workers', 0)} workers[/dim]")

    def __exit__(self, *exc: Any) -> None:
        if self.client is not None:
            self.summary["ended_at"] = round(time.time(), 3)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._count is not None and self._count.start:
            now = self._count.now()
            if now:
                d = self._count.delta(now)
                self.summary.update(tasks=d["finished"], tasks_erred=d["erred"])
        failed = exc and exc[0] is not None  # the stage raised: its figures are not recorded
        peaks = _run_on_workers(self.client, _peak_memory()) if self._peaks and not failed \
            else None
        if peaks:
            self.summary["peak_memory_bytes"] = max(peaks.values())
            self.summary["peak_memory_per_worker"] = dict(sorted(peaks.items()))


def _run_on_workers(client: Client | None, fn: Any) -> dict[str, Any] | None:
    """``fn()`` on every worker (address -> result), or ``None`` when any of them could
    not run it or the cluster is unreachable (best effort, as the task counter)."""
    if client is None or getattr(client, "status", "running") != "running":
        return None
    try:
        out = client.run(fn)
    except Exception as exc:
        log.debug("cannot run %s on the workers: %s", getattr(fn, "__name__", fn), exc)
        return None
    return None if any(v is None for v in out.values()) else dict(out)


def _reset_peak_memory() -> Any:
    """A function resetting its process's peak resident memory, ``True`` when it could
    (made here so it pickles by value: workers need not import this module). It first
    returns the free pages of the heap to the system (glibc ``malloc_trim``): freed chunks
    of an earlier stage no longer count in this one's peak, and an idle worker holds less."""

    def reset_peak_memory() -> bool | None:
        try:  # hand the heap's free pages back first (glibc), so the peak is this stage's
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset the peak RSS (VmHWM), Linux >= 4.0
        except OSError:
            return None
        return True

    return reset_peak_memory


def _peak_memory() -> Any:
    """A function returning its process's peak resident memory in bytes since the last
    reset (``VmHWM``), ``None`` when unknown."""

    def peak_memory() -> int | None:
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return None

    return peak_memory
