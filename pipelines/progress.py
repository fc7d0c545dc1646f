"""Progress over dask futures, for the stages.

A stage computes its dask collections with :func:`compute` instead of ``dask.compute``::

    from pipelines.progress import compute
    stats = compute(stats_graph, ctx, "ingest: reproject s2")
    compute(delayed_store, ctx, "score: write probability")

On a distributed client the collections are submitted as futures and a rich progress bar
on ``ctx.console`` (stderr) counts every task of their graphs as the scheduler finishes it
(the scheduler's progress plugin, the same one behind ``distributed.progress``). Worker
loss is handled by the scheduler (tasks rerun elsewhere); losing the scheduler ends the
bar and raises from the gather. Without a distributed client it falls back to
``dask.compute``.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["compute", "track"]

log = logging.getLogger(__name__)


def _client_of(ctx: Any) -> Any:
    client = getattr(ctx, "client", None) if ctx is not None else None
    if client is not None:
        return client
    try:
        from distributed import default_client

        return default_client()
    except (ImportError, ValueError):
        return None


def _console_of(ctx: Any) -> Console:
    console = getattr(ctx, "console", None) if ctx is not None else None
    return console if isinstance(console, Console) else Console(stderr=True)


def compute(obj: Any, ctx: Any = None, description: str = "computing") -> Any:
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
        import dask

        return dask.compute(obj)[0]
    futures = client.compute(list(obj) if isinstance(obj, tuple) else obj)
    track(futures, ctx, description)
    result = client.gather(futures)
    return tuple(result) if isinstance(obj, tuple) else result


def track(futures: Any, ctx: Any = None, description: str = "computing") -> None:
    """Show a progress bar over ``futures`` (and every task they depend on) until done.

    Returns when the futures are finished, have failed, or the scheduler is gone; the
    caller's ``gather``/``result`` then returns the values or raises.
    """
    from distributed import futures_of, wait

    client = _client_of(ctx)
    keys = futures_of(futures)
    if client is None or not keys:
        return
    console = _console_of(ctx)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("tasks"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task_id = bar.add_task(description, total=None)
        try:
            listener = _listener(keys, client, bar, task_id)
            client.sync(listener.listen)
        except Exception as exc:  # the bar is a view; never let it break the computation
            log.debug("progress bar stopped: %s", exc)
            with contextlib.suppress(Exception):
                wait(keys)


def _listener(keys: list[Any], client: Any, bar: Progress, task_id: Any) -> Any:
    from distributed.diagnostics.progressbar import ProgressBar

    class RichProgressBar(ProgressBar):  # type: ignore[misc]
        def _draw_bar(self, remaining: int, all: int, **kwargs: Any) -> None:
            bar.update(task_id, total=all, completed=all - remaining)

        def _draw_stop(self, remaining: int = 0, all: int = 0, **kwargs: Any) -> None:
            if kwargs.get("status") == "finished":
                bar.update(task_id, total=all, completed=all)

    return RichProgressBar(keys, scheduler=client.scheduler.address, interval="200ms",
                           complete=True)
