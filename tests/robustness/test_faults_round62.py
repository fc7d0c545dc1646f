"""Round 62, faults: (1) a job stopped (Ctrl-C, SIGTERM: ``scancel``) while it published a
folder on a file system that refuses the one-step swap (``renameat2(RENAME_EXCHANGE)``:
NFS and SMB clients, exFAT answer ``EINVAL``; a survey's SLURM cluster writes ``-o`` on
NFS) lost both copies of it: :func:`prospect.io.files.publish_dir` renames the old folder
aside, then the new one in, and a stop between the two left neither in place (a tiles
layer, a cube variable, a report or model folder gone, the old one under a hidden
``.<name>.old-<hex>`` name that the next run's sweep deletes).

The swap's refusal is the one thing simulated (``_exchange`` answers ``False``, as it
does where ``renameat2`` fails with ``EINVAL``: no NFS or SMB server can be mounted
here); the stops are real signals sent to the test's own process, with the job's own stop
handler (:func:`pipelines.faults.stop_signals_interrupt`) installed, right after the first
rename. SYNTHETIC folders and variables.

(2) A worker stopped whole (``kill -STOP``, Ctrl-Z, SLURM's ``scontrol suspend``) under a
running task: the job's hang watch (:class:`pipelines.cluster.StallWatch`) called the task
hung, "(a read of a network file system or URL that never returns, a deadlock)", though
the scheduler had heard nothing from that worker since it stopped. A real ``dask
scheduler`` and a real ``dask worker --no-nanny``, each a process of its own, the worker
stopped by a real SIGSTOP; a SYNTHETIC task that sleeps.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pipelines.cluster as cluster
import prospect.io.files as files
from pipelines.faults import Interrupted, Stopped, interruptible_main_thread, stop_signals_interrupt
from prospect.io.files import staged_dir

from .conftest import REPO

_ASIDE = re.compile(r"^\..+\.old-[0-9a-f]{8}$")


def _stop_at_aside(monkeypatch: pytest.MonkeyPatch, signums: tuple[int, ...],
                   name: str | None = None) -> list[str]:
    """``os.replace`` sends this process ``signums`` right after it renames a folder
    (``name``, or the first) aside (its new name ``.<name>.old-<hex>``); returns the list
    of what it renamed aside so."""
    real = os.replace
    seen: list[str] = []

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        real(src, dst, *args, **kwargs)
        aside = _ASIDE.match(Path(os.fsdecode(dst)).name)
        if aside and not seen and name in (None, Path(os.fsdecode(src)).name):
            seen.append(Path(os.fsdecode(src)).name)
            for signum in signums:
                os.kill(os.getpid(), signum)

    monkeypatch.setattr(os, "replace", replace)
    return seen


@pytest.fixture()
def no_swap(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-step swap refused, as on NFS, SMB or exFAT (``EINVAL``): publish_dir's
    two renames."""
    monkeypatch.setattr(files, "_exchange", lambda first, second: False)


def _folder(path: Path, text: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "index.html").write_text(text)
    (path / "sub").mkdir(exist_ok=True)
    (path / "sub" / "0.png").write_text(text)
    return path


def _tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): p.read_text() for p in sorted(path.rglob("*"))
            if p.is_file()}


def _stopped(work: Callable[[], object]) -> Stopped:
    """Run ``work`` under the job's stop handler; the :class:`Stopped` it raised."""
    with pytest.raises(Stopped) as info, stop_signals_interrupt():
        work()
    return info.value


STOPS = {"SIGTERM": (signal.SIGTERM,), "SIGINT": (signal.SIGINT,),
         "SIGINT-twice": (signal.SIGINT, signal.SIGINT)}


# -- a folder published by staged_dir (a report, a viewer, a pyramid) ---------------------------


@pytest.mark.parametrize("stop", list(STOPS))
def test_a_stop_between_the_two_renames_keeps_the_old_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_swap: None, stop: str) -> None:
    """SYNTHETIC folder ``report/`` written again with :func:`staged_dir` where the swap
    is refused; the job is stopped (SIGTERM, Ctrl-C, Ctrl-C twice quickly) right after the
    old folder was renamed aside. Before: ``report/`` gone, the old copy left as a hidden
    ``.report.old-<hex>`` (the next run's sweep deletes it); now the old folder is back in
    place, whole, nothing hidden is left, and the stop goes up as the stop it was."""
    target = _folder(tmp_path / "out" / "report", "old")
    before = _tree(target)
    seen = _stop_at_aside(monkeypatch, STOPS[stop])

    def publish() -> None:
        with staged_dir(target) as staging:
            _folder(staging, "new")

    stopped = _stopped(publish)
    assert seen == ["report"] and stopped.signum == STOPS[stop][0]
    assert target.is_dir(), sorted(p.name for p in target.parent.iterdir())
    assert _tree(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["report"]


def test_a_stop_between_the_two_renames_keeps_the_old_tiles_layer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_swap: None) -> None:
    """SYNTHETIC tiles layer ``prob`` published again by the tiles stage
    (``pipelines.stages.tiles._publish``) where the swap is refused, stopped by SIGTERM
    (``scancel``) right after the old layer folder was renamed aside. Before:
    ``tiles/prob`` gone, the viewer's layer a 404 until the next run; now the old layer
    folder is in place (its archive was taken away first, as the stage's documented order
    says), and nothing hidden is left in ``tiles/``."""
    from pipelines.stages.tiles import _publish

    tiles = tmp_path / "out" / "tiles"
    layer = _folder(tiles / "prob", "old")
    (tiles / "prob.mbtiles").write_text("old archive")
    before = _tree(layer)
    staging = tmp_path / "out" / "tiles" / ".prob.staging-0123abcd"
    _folder(staging / "layer", "new")
    (staging / "layer.mbtiles").write_text("new archive")
    seen = _stop_at_aside(monkeypatch, (signal.SIGTERM,), "prob")
    _stopped(lambda: _publish(staging, tiles, "prob", archives=["mbtiles"]))
    assert seen == ["prob"]
    assert layer.is_dir() and _tree(layer) == before
    left = sorted(p.name for p in tiles.iterdir() if _ASIDE.match(p.name))
    assert left == [], left


def _grid() -> Any:
    from prospect.grid import RegionGrid

    return RegionGrid(crs="EPSG:32619", resolution=10.0,
                      bounds=(500000.0, 1349600.0, 500400.0, 1350000.0), chunks=(16, 16),
                      name="r62")


_ATTRS = {"units": "1", "long_name": "SYNTHETIC", "prospect_kind": "continuous",
          "provenance": json.dumps({"sources": {}})}


def _written(cube: Path, value: float, fingerprint: str) -> Any:
    from prospect.io.cube import begin_variable

    grid = _grid()
    part = begin_variable(cube, "v", attrs=_ATTRS, fingerprint=fingerprint)
    for window in grid.chunk_windows():
        part.write_chunk(window, np.full(window.shape, value, "f4"))
    return part


def test_a_stop_between_the_two_renames_of_a_cube_variable_keeps_it_and_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_swap: None) -> None:
    """SYNTHETIC cube variable ``v`` (1.0 everywhere) written again (2.0) and published
    where the swap is refused, stopped by SIGTERM right after the old variable was
    renamed aside. Before: the cube without ``v`` (its readers: "no variable 'v'"), the
    old one hidden beside the cube and the partial's spec gone, so the next run computed
    every chunk again; now the cube keeps the old ``v`` whole and the partial keeps its
    spec: the same command resumes its finished chunks (none pending) and publishes the
    new values."""
    from prospect.io.cube import begin_variable, create_cube, open_cube

    grid = _grid()
    cube = create_cube(tmp_path / "out" / "cube.zarr", grid, attrs={"synthetic": True})
    _written(cube, 1.0, "f1").publish(grid)
    part = _written(cube, 2.0, "f2")
    _stop_at_aside(monkeypatch, (signal.SIGTERM,))
    _stopped(lambda: part.publish(grid))
    monkeypatch.undo()
    assert (cube / "v").is_dir()
    assert float(open_cube(cube)["v"].values.max()) == 1.0
    assert [p.name for p in cube.parent.iterdir() if _ASIDE.match(p.name)] == []
    again = begin_variable(cube, "v", attrs=_ATTRS, fingerprint="f2")
    assert again.pending(grid) == []
    again.publish(grid)
    values = open_cube(cube)["v"].values
    assert float(values.min()) == float(values.max()) == 2.0


# -- a worker stopped whole under a running task: not "a read that never returns" ------------

_TASKS = '''
import os
import time


def held(release):
    while not os.path.exists(release):
        time.sleep(0.05)
    return release
'''
"""The task module (``r62_tasks``) of the scheduler, the worker and the test."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real ``dask scheduler`` and one real ``dask worker --no-nanny`` (one thread),
    each its own process, as a ``--scheduler`` user starts them: the scheduler's address
    and the worker's pid."""
    from distributed import Client

    root = tmp_path_factory.mktemp("r62_remote")
    (root / "r62_tasks.py").write_text(_TASKS)
    env = {k: v for k, v in os.environ.items() if k not in ("PROSPECT_DEBUG",
                                                             "PROSPECT_TASK_TIMEOUT")}
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(REPO),
                                         *filter(None, [os.environ.get("PYTHONPATH")])])
    address = f"tcp://127.0.0.1:{_free_port()}"
    bin_dir = Path(sys.executable).parent
    scheduler = subprocess.Popen(
        [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
         address.rsplit(":", 1)[1], "--no-dashboard"], cwd=root, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen(
        [str(bin_dir / "dask"), "worker", address, "--no-nanny", "--nthreads", "1",
         "--memory-limit", "600MiB", "--no-dashboard", "--local-directory", str(root)],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sys.path.insert(0, str(root))
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        yield address, worker.pid
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("r62_tasks", None)
        with_cont = worker.poll() is None
        if with_cont:
            os.kill(worker.pid, signal.SIGCONT)
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _watched(remote: tuple[str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *,
             stop: bool) -> tuple[Any, str, float]:
    """A task that waits for a file on the remote worker, ``PROSPECT_TASK_TIMEOUT=4``, the
    worker stopped (SIGSTOP) once the task runs when ``stop``; the hang watch of stage
    ``ingest`` (a look each 0.3 s, a worker silent after 3 s) run until it stops the
    main thread: the watch, the task's key and the seconds it took."""
    from distributed import Client

    monkeypatch.setenv("PROSPECT_TASK_TIMEOUT", "4")
    # a worker silent after 3 s, for a short case (10 s in a job); before the change
    # nothing read it, and the module had no such figure
    monkeypatch.setattr(cluster, "STALL_SILENT", 3.0, raising=False)
    address, pid = remote
    import r62_tasks  # type: ignore[import-not-found]

    release = tmp_path / "release"
    with Client(address, timeout=60) as client:
        future = client.submit(r62_tasks.held, str(release), pure=False)
        deadline = time.monotonic() + 30
        while not client.run_on_scheduler(cluster._running_tasks)["running"]:
            assert time.monotonic() < deadline, "the task never ran"
            time.sleep(0.1)
        if stop:
            os.kill(pid, signal.SIGSTOP)
        watch = cluster.StallWatch(client, "ingest", every=0.3)
        started = time.monotonic()
        try:
            with pytest.raises(Interrupted), interruptible_main_thread(), watch:
                future.result(timeout=60)
        finally:
            release.touch()
            if stop:
                os.kill(pid, signal.SIGCONT)
            client.cancel(future)
        return watch, str(future.key), time.monotonic() - started


def test_a_task_on_a_stopped_worker_is_not_said_to_hang_on_a_read(
        remote: tuple[str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SYNTHETIC task (a wait for a file) on a real ``dask worker --no-nanny`` stopped whole
    by SIGSTOP (as Ctrl-Z of its terminal, ``kill -STOP``, or SLURM's ``scontrol
    suspend`` of its batch job do), ``PROSPECT_TASK_TIMEOUT=4``. Before: "ingest: task
    ... has run 4 s on worker tcp://..., over PROSPECT_TASK_TIMEOUT=4 s: it looks hung (a
    read of a network file system or URL that never returns, a deadlock) ..."; now the
    line says the scheduler has not heard from that worker for N s, that its whole
    process is stopped or held (kill -STOP or Ctrl-Z, scontrol suspend, a host that
    hangs), and to resume it (kill -CONT, scontrol resume); finished work kept."""
    watch, key, took = _watched(remote, monkeypatch, tmp_path, stop=True)
    assert took < 20 and watch.stalled is not None
    assert key in watch.stalled and "over PROSPECT_TASK_TIMEOUT=4 s" in watch.stalled
    assert ", a worker the scheduler has not heard from for " in watch.stalled, watch.stalled
    line = str(watch.error())
    assert "\n" not in line and line.startswith(f"ingest: task {key} has run "), line
    assert "looks hung" not in line and "network file system" not in line, line
    assert "the worker's whole process is stopped or held (kill -STOP or Ctrl-Z, a batch " \
           "system's suspend such as scontrol suspend" in line, line
    assert "finished work is kept: resume the worker (kill -CONT, scontrol resume)" in line
    assert line.endswith("then run the same command again to resume"), line


def test_control_a_task_on_a_worker_that_answers_still_looks_hung(
        remote: tuple[str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SYNTHETIC task (a wait for a file) on the same worker, not stopped: its heartbeats
    reach the scheduler, so the task is the one that looks hung, in round 21's words."""
    watch, key, took = _watched(remote, monkeypatch, tmp_path, stop=False)
    assert took < 20 and watch.stalled is not None
    assert "not heard from" not in watch.stalled, watch.stalled
    line = str(watch.error())
    assert line.startswith(f"ingest: task {key} has run ") and ": it looks hung (a read " \
           "of a network file system or URL that never returns, a deadlock)" in line, line


def test_control_a_look_without_heartbeat_figures_judges_as_before() -> None:
    """A look that carries no workers' heartbeat figures (a scheduler running an older
    Prospect): the line is round 21's, word for word."""
    watch = cluster.StallWatch(None, "train", floor=1.0)
    now = {"running": [("fit-1", "fit", "tcp://w:1", 31.0)], "kinds": {"fit": [4, 2.0]}}
    assert watch.judge(now) == ("task fit-1 has run 31 s on worker tcp://w:1, while the 4 "
                                "finished task(s) of its kind took 2.0 s each on average")


# -- controls ---------------------------------------------------------------------------------


def test_control_a_refused_swap_publishes_the_new_folder_and_leaves_nothing(
        tmp_path: Path, no_swap: None) -> None:
    """SYNTHETIC folder published with the two renames and no stop: the new folder in
    place, nothing hidden left (as before)."""
    target = _folder(tmp_path / "out" / "report", "old")
    with staged_dir(target) as staging:
        _folder(staging, "new")
    assert set(_tree(target).values()) == {"new"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["report"]


def test_control_a_stop_after_the_swap_keeps_the_new_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNTHETIC folder published where the swap is done (this machine's file system):
    a SIGTERM right after the swapped-out old copy is renamed aside ends the job with the
    new folder in place, the old one under its hidden name for the next run's sweep (as
    before)."""
    target = _folder(tmp_path / "out" / "report", "old")
    seen = _stop_at_aside(monkeypatch, (signal.SIGTERM,))

    def publish() -> None:
        with staged_dir(target) as staging:
            _folder(staging, "new")

    _stopped(publish)
    assert seen and set(_tree(target).values()) == {"new"}
    assert files.sweep_leftovers(target.parent)
    assert sorted(p.name for p in target.parent.iterdir()) == ["report"]


def test_control_an_error_of_the_first_rename_moves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_swap: None) -> None:
    """SYNTHETIC folder whose aside rename the system refuses (``aside`` on another file
    system: ``EXDEV``): the system's error goes up as it is, the old folder and nothing
    else in place (as before)."""
    target = _folder(tmp_path / "out" / "report", "old")
    staging = _folder(tmp_path / "out" / ".report.staging-0123abcd", "new")
    real = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if _ASIDE.match(Path(os.fsdecode(dst)).name):
            raise OSError(18, "Invalid cross-device link", os.fsdecode(src))
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="cross-device"):
        files.publish_dir(staging, target)
    assert set(_tree(target).values()) == {"old"} and set(_tree(staging).values()) == {"new"}


@pytest.fixture(autouse=True)
def _no_handler_left() -> Iterator[None]:
    """Each case leaves SIGINT's and SIGTERM's handlers as it found them."""
    kept = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    assert {s: signal.getsignal(s) for s in kept} == kept
