"""Round 32, faults: stops (Ctrl-C, SIGTERM, a helper thread's interrupt) that land in a
wait which must finish.

All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from prospect.io.cube import removals_done, removed_later

from .conftest import assert_clean_error

_FILES = 6_000
"""Files in the folder set aside: enough that its removal is still under way when the
stop lands (about 0.1 s of ``rmtree``)."""


def _set_aside(tmp_path: Path, files: int = _FILES) -> Path:
    """A cube folder and a set-aside folder of ``files`` empty files next to it, whose
    removal has begun (as a stage's published variables leave them)."""
    cube = tmp_path / "cube.zarr"
    cube.mkdir()
    with removed_later(cube) as folder:
        where = os.open(folder, os.O_RDONLY)
        try:
            for i in range(files):
                os.close(os.open(str(i), os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=where))
        finally:
            os.close(where)
    return folder


def test_a_stop_landing_in_the_wait_for_a_removal_leaves_it_waited_for(tmp_path: Path) -> None:
    """A stop (Ctrl-C, SIGTERM, the lock's interrupt as ``-o`` was removed) landing while
    the job waited for a stage's set-aside folders to be removed, as it let its lock go
    (``removals_done``). The wait was ``Thread.join``: Python 3.11 then took the still
    running removal as ended, so the next wait returned at once with the folder half
    removed, and the interpreter no longer waited for the removal on its way out (cut
    short mid-``rmtree``, left for the next job's sweep). Now the removal goes on and
    every later wait, the interpreter's too, waits for it."""
    folder = _set_aside(tmp_path)
    main = threading.get_ident()
    sent = threading.Event()

    def stop_mid_removal() -> None:
        time.sleep(0.005)
        if folder.exists():  # the removal is still under way
            sent.set()
            signal.pthread_kill(main, signal.SIGINT)

    stopper = threading.Thread(target=stop_mid_removal)
    stopper.start()
    try:
        try:
            removals_done()
        except KeyboardInterrupt:
            assert sent.is_set()
    finally:
        stopper.join()
    if not sent.is_set():
        pytest.skip("the removal ended before the stop could land (a very fast disk)")
    removing = [t for t in threading.enumerate() if t.name == "prospect-removal"]
    assert removals_done(timeout=60)
    assert not folder.exists()  # the wait did wait
    assert not any(t.is_alive() for t in removing)


def test_removals_done_control_waits_for_every_removal(tmp_path: Path) -> None:
    """Control: with no stop, the wait returns once every set-aside folder is gone, and a
    bound too short for the removal says it is not done yet."""
    folder = _set_aside(tmp_path, files=200)
    assert removals_done(timeout=60)
    assert not folder.exists()
    assert removals_done(timeout=0)  # nothing left to wait for


def _free_port() -> int:
    """A loopback port nothing listens on (bound by the system, then let go)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_scheduler_address_nothing_listens_on_here_is_said_at_once(
    sandbox: Any, cli: Any
) -> None:
    """``--scheduler tcp://127.0.0.1:PORT`` where nothing listens (a typo in the port, a
    scheduler that has ended): the job waited out dask's whole 10 s connect timeout
    before its one-line refusal, as though a far host might still answer. A refused
    connection on this machine is said after a short grace for a scheduler started
    just before (exit 1, nothing written)."""
    from pipelines.cluster import dask_client
    from prospect.errors import StageError

    address = f"tcp://127.0.0.1:{_free_port()}"
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", address)
    assert_clean_error(
        result,
        1,
        f"cannot reach the dask scheduler at {address}",
        "connection refused",
        "dask scheduler",
    )
    assert sandbox.untouched()
    started = time.monotonic()  # the wait itself, without the command's own start
    with pytest.raises(StageError, match="nothing listens"), dask_client(scheduler=address):
        pass
    assert time.monotonic() - started < 7  # dask's connect timeout is 10 s; the grace 2 s


def test_a_scheduler_started_just_before_the_job_is_waited_for() -> None:
    """Control: a batch script's ``dask scheduler --port P &`` just before the job, whose
    port still refuses as the job asks: the job waits for it and runs on it."""
    import subprocess
    import sys

    from pipelines.cluster import dask_client

    port = _free_port()
    dask = Path(sys.executable).with_name("dask")
    proc = subprocess.Popen(
        [
            str(dask),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            ":0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with dask_client(scheduler=f"tcp://127.0.0.1:{port}") as client:
            assert client.status == "running"
            assert client.scheduler_info()["address"].endswith(f":{port}")
    finally:
        proc.terminate()
        proc.wait(30)


def test_an_output_folder_on_a_mount_without_locks_is_named_with_the_fix(
    sandbox: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-o`` on a FUSE or SMB mount that has no locks: ``flock`` of the job's lock file
    fails with EOPNOTSUPP, and the run ended "error: OUT: Operation not supported", exit
    74, with neither cause nor fix. Now it is said as a file system that cannot lock, with
    the fix. (The fault is injected: ``flock`` of a ``.prospect.lock`` file fails as on
    such a mount; none can be mounted here.)"""
    import errno
    import fcntl

    real_flock = fcntl.flock

    def mount_without_locks(fd: Any, operation: int) -> None:
        name = os.readlink(f"/proc/self/fd/{fd if isinstance(fd, int) else fd.fileno()}")
        if name.endswith(".prospect.lock"):
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", mount_without_locks)
    monkeypatch.setenv("COLUMNS", "400")
    result = cli(
        "ingest",
        sandbox.job_path,
        "-o",
        sandbox.out,
        "--scheduler",
        f"tcp://127.0.0.1:{_free_port()}",
    )
    line = assert_clean_error(
        result, 74, f"{sandbox.out}: this file system cannot lock", "FUSE or SMB", "point -o"
    )
    assert "[Errno" not in line, line
    assert not (sandbox.out / "cube.zarr").exists() and sandbox.untouched()


def test_a_stop_sent_as_a_close_begins_waits_for_that_close() -> None:
    """A stop that lands as the work run through stops begins (a SIGTERM or Ctrl-C met
    just as the client's close started, ``faults.run_through_stops``): it landed in
    ``Thread.start``'s own wait for the thread to begin, so the stop went up at once and
    the job unwound under the close still running (the client left ``closing``, round
    26's case). Now the close is waited for, then the stop is given back."""
    from pipelines.faults import run_through_stops

    main = threading.get_ident()
    finished = threading.Event()

    def close() -> None:
        signal.pthread_kill(main, signal.SIGINT)  # the stop, as the close begins
        time.sleep(0.3)  # the close's own work
        finished.set()

    try:
        stop: BaseException | None = run_through_stops(close, name="prospect-close")
    except KeyboardInterrupt as exc:  # raised at once, under the close
        stop = exc
    assert finished.is_set()  # returned only once the close ended
    assert isinstance(stop, KeyboardInterrupt)


def test_a_work_run_through_stops_without_a_stop_runs_once() -> None:
    """Control: without a stop, the work runs once, to its end, and nothing is raised."""
    from pipelines.faults import run_through_stops

    calls: list[int] = []
    assert run_through_stops(lambda: calls.append(1), name="prospect-close") is None
    assert calls == [1]
