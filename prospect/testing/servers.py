"""Servers for tests and benchmarks: a free loopback port, and a uvicorn server in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["free_port", "serving"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(server: Any, *, name: str, timeout_s: float = 30.0) -> Iterator[threading.Thread]:
    """Run a ``uvicorn.Server`` in a daemon thread until the block ends.

    Waits until the server has started (a clear error if it dies or takes longer than
    ``timeout_s``), and asks it to exit and joins the thread afterwards.
    """
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.02)
    try:
        yield thread
    finally:
        server.should_exit = True
        thread.join(timeout=10)
