"""Progress bars over dask futures on the loopback cluster."""

from __future__ import annotations

import io
import threading
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


def test_quiet_console_waits_without_counting(two_workers: LoopbackCluster,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A quiet console draws no bar, so nothing polls the scheduler's task counter: the
    futures are only waited for, and the result is the same."""
    import pipelines.progress as progress

    def no_counter(client: object) -> None:
        raise AssertionError("the task counter was read for a bar nobody sees")

    monkeypatch.setattr(progress, "_TaskCount", no_counter)
    buf = io.StringIO()
    console = Console(file=buf, quiet=True)
    data = np.arange(300 * 300, dtype="f8").reshape(300, 300)
    with two_workers.client() as client:
        ctx = SimpleNamespace(client=client, console=console)
        total = compute((da.from_array(data, chunks=100) * 3).sum(), ctx, "quiet sum")
    assert total == pytest.approx(3 * data.sum())
    assert buf.getvalue() == ""


class _InterruptedAfterFirstWrite(io.StringIO):
    """A log file on which an interrupt lands right after the first write returns (a
    stop signal's handler running between two of Rich's writes)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        n = super().write(text)
        self.writes += 1
        if self.writes == 1:
            raise KeyboardInterrupt
        return n


def test_a_bar_stopped_by_an_interrupt_still_ends_its_line() -> None:
    """Rich writes a bar's last render and its line end as two writes; an interrupt
    between them glued the job's error line to the bar (CI, round 33)."""
    from pipelines.progress import progress_bar

    log = _InterruptedAfterFirstWrite()
    console = Console(file=log, force_terminal=False, width=100)
    with pytest.raises(KeyboardInterrupt), progress_bar(console, unit="chunks") as bar:
        bar.add_task("ingest 14 layer(s)", total=224)
    console.print("error: the output directory was removed")
    lines = log.getvalue().splitlines()
    assert log.writes >= 2 and lines[0].startswith("⠋ ingest 14 layer(s)"), lines
    assert lines[-1] == "error: the output directory was removed", lines


class _HeartbeatAtTheBarsRender(io.StringIO):
    """A log file on which another thread prints a heartbeat line the moment the bar's
    render is written (a stage's monitor thread beating as the bar stops)."""

    def __init__(self) -> None:
        super().__init__()
        self.console: Console | None = None
        self.beats: list[threading.Thread] = []

    def write(self, text: str) -> int:
        n = super().write(text)
        if "ingest 1 layer(s)" in text and not self.beats and self.console is not None:
            console = self.console
            beat = threading.Thread(target=lambda: console.print(
                "  ingest: 0/4 cluster tasks done, 0 running, 0 workers"))
            self.beats.append(beat)
            beat.start()
            beat.join(timeout=1.0)
        return n


def test_a_line_another_thread_prints_as_the_bar_stops_is_a_line_of_its_own() -> None:
    """The stage monitor's heartbeat printed as the bar stopped: Rich added a second copy
    of the bar to it, with no line end, and the job's error line was glued to it
    (``... 0/4 chunks 0:00:05error: stage ingest: ...``, CI of stop 66)."""
    from pipelines.progress import progress_bar

    log = _HeartbeatAtTheBarsRender()
    console = Console(file=log, force_terminal=False, width=100)
    log.console = console
    with progress_bar(console, unit="chunks") as bar:
        bar.add_task("ingest 1 layer(s)", total=4)
    for beat in log.beats:
        beat.join(timeout=5)
    console.print("error: stage ingest: the worker died")
    lines = log.getvalue().splitlines()
    assert log.beats, lines
    assert lines[-1] == "error: stage ingest: the worker died", lines
    assert sum("ingest 1 layer(s)" in line for line in lines) == 1, lines
    assert "  ingest: 0/4 cluster tasks done, 0 running, 0 workers" in lines, lines
