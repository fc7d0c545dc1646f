"""One job per output directory: an OS file lock held for the whole run.

``<out>/.prospect.lock`` is locked with ``flock`` while a job writes there. The kernel
drops the lock when the holder exits, however it exits (a SIGKILL included), so a stale
lock never blocks a rerun. The file also says who holds it (pid, host, start time), for
the error a second job gets.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prospect.errors import OutputBusyError, OutputWriteError

__all__ = ["LOCK_FILE", "output_lock"]

LOCK_FILE = ".prospect.lock"
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it (best effort)."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "another Prospect job"
    return (f"Prospect job pid {info['pid']} on {info.get('host', '?')}, "
            f"started {info.get('started', '?')}")


@contextmanager
def output_lock(out_dir: Path) -> Iterator[bool]:
    """Hold the lock of ``out_dir`` for the ``with`` block; yields whether it is writable.

    Raises
    ------
    OutputBusyError
        At once, when another job holds the lock (naming its pid and start time).

    A read-only output directory yields ``False`` without a lock: no job can write there,
    so a rerun may only find that there is nothing to do.
    """
    path = Path(out_dir) / LOCK_FILE
    try:  # never through a link: the lock is truncated and written
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputWriteError(
                f"{path}: a symbolic link where Prospect keeps its lock file; the job would "
                "write the file it points to: remove the link and run the same command "
                "again") from None
        if exc.errno not in _READ_ONLY:
            raise
        fd = -1
    if fd < 0:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputBusyError(
                f"{out_dir}: in use by {_holder(fd)}; one job per output directory: wait "
                "for it to finish, or give another -o"
            ) from None
        info = {"pid": os.getpid(), "host": platform.node(),
                "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield True
    finally:
        os.close(fd)  # releases the lock
