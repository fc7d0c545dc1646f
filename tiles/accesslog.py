"""The tile server's access log: one JSON line per request, to a file or to stderr.

It writes lines itself rather than through :mod:`logging`: a log record (the caller's
stack frame, process and thread) cost about as much as answering a cached tile. Each line
is written whole under a lock to a line-buffered stream, so it is in the file as soon as
the response is sent.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

__all__ = ["AccessLog"]


class AccessLog:
    """JSON lines to ``path`` (appended) or, without one, to stderr."""

    def __init__(self, path: str | Path | None = None) -> None:
        if path:  # its folder is made, as for every other output
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._stream: TextIO = (open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
                                if path else sys.stderr)
        self._owned = path is not None
        self._lock = threading.Lock()
        self._second = -1
        self._stamp = ""

    def now(self) -> str:
        """UTC time to the second, ISO 8601 (formatted once per second)."""
        second = int(time.time())
        if second != self._second:
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
            self._second = second
        return self._stamp

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line."""
        line = json.dumps(record) + "\n"
        with self._lock:
            self._stream.write(line)
            if not self._owned:
                self._stream.flush()

    def close(self) -> None:
        """Close the file (stderr stays open)."""
        if self._owned:
            self._stream.close()
