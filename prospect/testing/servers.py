"""Servers for tests and benchmarks: a loopback port, and a uvicorn server in a thread."""

from __future__ import annotations

import contextvars
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["bound_socket", "free_port", "serving"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1, for a server in another process.

    The port is free when this returns; another process may take it before the server
    binds it. A server in this process should use :func:`bound_socket` instead.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bound_socket() -> socket.socket:
    """A TCP socket bound to a port of 127.0.0.1 that the system chose.

    Handed to :func:`serving`, the server listens on it: no other process can take the
    port between choosing it and serving on it (``port = sock.getsockname()[1]``).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(server: Any, *, name: str, timeout_s: float = 30.0,
            sock: socket.socket | None = None) -> Iterator[threading.Thread]:
    """Run a ``uvicorn.Server`` in a daemon thread until the block ends.

    Waits until the server has started (a clear error if it dies or takes longer than
    ``timeout_s``), and asks it to exit and joins the thread afterwards. With ``sock``
    (see :func:`bound_socket`) the server listens on that socket, which is closed after.
    """
    sockets = [sock] if sock is not None else None
    # in the caller's context: libraries keep state in context variables set at import
    # (rasterio's GDAL error stack), which a bare thread lacks
    thread = threading.Thread(target=contextvars.copy_context().run, args=(server.run,),
                              kwargs={"sockets": sockets}, name=name, daemon=True)
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
        if sock is not None:
            sock.close()
