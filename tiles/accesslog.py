"""The tile server's access log: one JSON line per request, to a file or to stderr.

It writes lines itself rather than through :mod:`logging`: a log record (the caller's
stack frame, process and thread) cost about as much as answering a cached tile. Each line
is written whole under a lock to a line-buffered stream, so it is in the file as soon as
the response is sent.

The file is followed as ``logrotate`` and operators treat it: moved aside or removed while
the server runs, it is made anew at its path within a second (the lines went on into
``access.log.1``, or into a removed file, and ``access.log`` stayed away for good). A line
the disk refuses (full, over a quota or the file-size limit, gone read-only) is lost, never
the request: the write raised inside the answer, and every tile, map and capabilities
document of a server whose log disk filled was an internal error (500) or a dropped
connection, a traceback each in the server's log. The server's log says once that lines are
being lost and why, and once how many when the file takes them again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

__all__ = ["AccessLog"]

_LOG = logging.getLogger("prospect.tiles")

_CHECK_EVERY_S = 1.0
"""How often the log file's path is compared with the file written (moved, removed)."""


class AccessLog:
    """JSON lines to ``path`` (appended) or, without one, to stderr."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._path = Path(path) if path else None
        self._stream: TextIO | None = self._open() if self._path is not None else sys.stderr
        self._owned = self._path is not None
        self._lock = threading.Lock()
        self._second = -1
        self._stamp = ""
        self._next_check = time.monotonic() + _CHECK_EVERY_S
        self._lost = 0

    def _open(self) -> TextIO:
        """The log file, opened to append (its folder made, as for every other output)."""
        assert self._path is not None
        self._path.parent.mkdir(parents=True, exist_ok=True)
        return open(self._path, "a", encoding="utf-8", buffering=1)

    def now(self) -> str:
        """UTC time to the second, ISO 8601 (formatted once per second)."""
        second = int(time.time())
        if second != self._second:
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
            self._second = second
        return self._stamp

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line; a line the disk refuses is lost, and said so."""
        line = json.dumps(record) + "\n"
        with self._lock:
            if not self._owned:
                assert self._stream is not None
                self._stream.write(line)
                self._stream.flush()
                return
            try:
                self._follow_path()
                assert self._stream is not None
                self._stream.write(line)
            except OSError as exc:
                self._refused(exc)
                return
            if self._lost:
                _LOG.warning("%s: the access log is written again; %d request line(s) were "
                             "lost while it could not be", self._path, self._lost)
                self._lost = 0

    def _follow_path(self) -> None:
        """(Re)open the file where it is not open (a failed write closed it) or, at most
        once a second, where its path no longer names the file written (moved aside by
        ``logrotate``, removed): the lines go to the path, as configured."""
        now = time.monotonic()
        if self._stream is not None and now < self._next_check:
            return
        self._next_check = now + _CHECK_EVERY_S
        assert self._path is not None
        if self._stream is not None:
            try:
                there = os.stat(self._path)
                written = os.fstat(self._stream.fileno())
                if (there.st_dev, there.st_ino) == (written.st_dev, written.st_ino):
                    return
            except FileNotFoundError:
                pass
            self._close()
        if self._lost:
            self._cut_partial_line()
        self._stream = self._open()

    def _cut_partial_line(self) -> None:
        """Cut the log file back to its last line end: the part of a line the disk took
        before it refused the rest (``{"time": "20``) is no JSON, and a reader of the log
        stopped there."""
        assert self._path is not None
        with contextlib.suppress(OSError), open(self._path, "r+b") as f:
            size = f.seek(0, os.SEEK_END)
            start = max(0, size - 65536)
            f.seek(start)
            tail = f.read()
            if tail and not tail.endswith(b"\n"):
                f.truncate(start + tail.rfind(b"\n") + 1)

    def _refused(self, exc: OSError) -> None:
        """A line the disk refused: lost; said once in the server's log; the file is
        closed (what it held unwritten dropped) and opened again at the next line."""
        if not self._lost:
            _LOG.warning("%s: the access log cannot be written (%s); requests are still "
                         "answered, their log lines lost until it can be (free space, or "
                         "point access_log elsewhere)", self._path,
                         exc.strerror or type(exc).__name__)
        self._lost += 1
        self._close()

    def _close(self) -> None:
        """Close the file, dropping what it could not write."""
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()

    def close(self) -> None:
        """Close the file (stderr stays open)."""
        if self._owned:
            with self._lock:
                self._close()
