"""Round 32, the lead's cases: what the suite's own slow tests showed (a job that said
its error 20 s late).

All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from distributed.diagnostics.plugin import WorkerPlugin

from pipelines.cluster import _close_all


class _SlowTeardown(WorkerPlugin):
    """A worker plugin whose teardown takes a second: a close that is still under way when
    the stop comes."""

    name = "slow-teardown"

    async def teardown(self, worker: object) -> None:  # type: ignore[override]
        await asyncio.sleep(1.0)


def test_a_stop_landing_in_a_cluster_close_is_raised_once_the_close_ends() -> None:
    """A stop (the lock's interrupt as ``-o`` was removed, a Ctrl-C) landing in the
    cluster's close. distributed cancelled that close and left the cluster ``closing``
    (its worker too): the second close waited out its whole timeout for it and did
    nothing, distributed's exit hook waited as long again, so a job whose ``-o`` was
    removed mid-stage said so 20 s late. Now the close goes on to its end, then the stop
    is raised."""
    from distributed import Client, LocalCluster
    from distributed.core import Status

    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                           dashboard_address=None)
    with Client(cluster) as client:
        client.register_plugin(_SlowTeardown())
    main = threading.get_ident()

    def stop_while_closing() -> None:
        deadline = time.monotonic() + 30
        while cluster.status != Status.closing and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.1)  # inside the worker's teardown
        signal.pthread_kill(main, signal.SIGINT)

    stopper = threading.Thread(target=stop_while_closing)
    stopper.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            _close_all(lambda: cluster.close(timeout=10))
    finally:
        stopper.join()
    assert cluster.status == Status.closed, cluster.status
    assert time.monotonic() - started < 10  # not the close's timeout waited out


def test_a_stop_landing_as_the_lock_is_let_go_writes_nothing_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop (Ctrl-C, SIGTERM) landing while the job lets its lock go, its heartbeat
    thread mid-write on a slow disk. The job joined the thread a second time, but Python
    3.11 had taken the interrupted join's thread as ended: the job closed the lock file
    while the heartbeat still wrote, and the heartbeat's write went into whichever file
    took the descriptor's number next (here a user's file, in a notebook's next job a
    cube's). Now letting go waits for the heartbeat to end."""
    from pipelines import lock

    path = tmp_path / lock.LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    monkeypatch.setattr(lock, "SETTLE", 0.01)
    writing = threading.Event()
    write = lock._Heartbeat._write

    def slow_write(self: lock._Heartbeat) -> None:
        if threading.current_thread().name == "prospect-lock-heartbeat":
            writing.set()
            time.sleep(1.0)  # a slow disk (a lost NFS server coming back)
        write(self)

    monkeypatch.setattr(lock._Heartbeat, "_write", slow_write)
    beat = lock._Heartbeat(fd, path, {"pid": os.getpid(), "host": "here", "started": "now"})
    assert writing.wait(10)
    main = threading.get_ident()
    threading.Timer(0.1, lambda: signal.pthread_kill(main, signal.SIGINT)).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            beat.stop()
    finally:
        os.close(fd)  # as the lock does once the heartbeat is stopped
    users = tmp_path / "thesis.txt"
    other = os.open(users, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        assert other == fd  # the descriptor's number taken again at once
        time.sleep(1.2)  # past any write still under way
    finally:
        os.close(other)
    assert users.read_bytes() == b""
    assert "released" in json.loads(path.read_text())
