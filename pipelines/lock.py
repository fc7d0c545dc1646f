"""One job per output directory: an OS file lock held for the whole run.

``<out>/.prospect.lock`` is locked with ``flock`` while a job writes there. The kernel
drops the lock when the holder exits, however it exits (a SIGKILL included), so a stale
lock never blocks a rerun. The file also says who holds it (pid, host, start time), for
the error a second job gets.

Some network file systems do not share ``flock`` between hosts (NFS mounted with
``local_lock``, Lustre with ``localflock``, some SMB set-ups): two batch jobs on two
nodes both got the lock and wrote one output directory at once. The holder therefore
rewrites the file every :data:`HEARTBEAT` seconds (its ``beat`` count) and marks it
``released`` when it ends. A job that gets the ``flock`` while the file names a holder on
another host that has not released it watches the file for :data:`FOREIGN_WAIT` seconds:
a holder still beating is alive (refused, as a held ``flock`` is); one that stopped
(killed, its node lost) is not, and the job goes on.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import platform
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from prospect.errors import OutputBusyError, OutputWriteError

__all__ = ["FOREIGN_WAIT", "HEARTBEAT", "LOCK_FILE", "output_lock"]

LOCK_FILE = ".prospect.lock"
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)

HEARTBEAT = 2.0
"""Seconds between the holder's rewrites of its lock file (``beat``)."""

FOREIGN_WAIT = 2.5 * HEARTBEAT
"""Seconds a job watches a lock file that names an unreleased holder on another host."""


def _read_info(path: Path) -> dict[str, object]:
    """What the lock file at ``path`` says, opened anew (a network file system shows
    another host's writes on open); ``{}`` when it cannot be read or is no record."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return {}
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    finally:
        os.close(fd)
    return info if isinstance(info, dict) else {}


def _foreign_holder(path: Path, info: dict[str, object],
                    say: Callable[[str], None] | None) -> str | None:
    """Who holds the lock from another host, when the file ``info`` was read from names
    an unreleased holder there and it is still beating; ``None`` otherwise (the same host,
    whose ``flock`` the kernel keeps; released; or stopped: killed, its node lost)."""
    host = info.get("host")
    if not isinstance(host, str) or host == platform.node() or info.get("released") \
            or "pid" not in info:
        return None
    if say is not None:
        say(f"{path}: names Prospect job pid {info['pid']} on {host}, which did not "
            f"release it; watching it {FOREIGN_WAIT:g} s to see whether that job still runs")
    deadline = time.monotonic() + FOREIGN_WAIT
    while time.monotonic() < deadline:
        time.sleep(HEARTBEAT / 4)
        now = _read_info(path)
        if now and now != info:
            if now.get("released"):
                return None
            return (f"Prospect job pid {now.get('pid', '?')} on {now.get('host', '?')}, "
                    f"started {now.get('started', '?')} (its lock file is rewritten as it "
                    "runs; this file system does not share locks between hosts)")
    return None


class _Heartbeat:
    """Rewrite the held lock file every :data:`HEARTBEAT` seconds from a daemon thread,
    and mark it ``released`` at the end."""

    def __init__(self, fd: int, info: dict[str, object]) -> None:
        self.fd, self.info = fd, dict(info, beat=0)
        self._stop = threading.Event()
        self._write()
        self._thread = threading.Thread(target=self._run, name="prospect-lock-heartbeat",
                                        daemon=True)
        self._thread.start()

    def _write(self) -> None:
        text = json.dumps(self.info).encode()
        os.pwrite(self.fd, text, 0)
        os.ftruncate(self.fd, len(text))

    def _run(self) -> None:
        beats = 0
        while not self._stop.wait(HEARTBEAT):
            beats += 1
            self.info["beat"] = beats
            with suppress(OSError):  # a full disk or a lost server: the run itself says
                self._write()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.info["released"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with suppress(OSError):
            self._write()


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
def output_lock(out_dir: Path, *, say: Callable[[str], None] | None = None
                ) -> Iterator[bool]:
    """Hold the lock of ``out_dir`` for the ``with`` block; yields whether it is writable.

    Parameters
    ----------
    out_dir
        The job's output directory.
    say
        Where to say that the job watches a lock file naming a holder on another host
        (:func:`_foreign_holder`); nothing is said when ``None``.

    Raises
    ------
    OutputBusyError
        At once, when another job holds the lock (naming its pid and start time); after
        :data:`FOREIGN_WAIT` seconds when a job on another host that does not share
        ``flock`` with this one holds it.

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
        foreign = _foreign_holder(path, _read_info(path), say)
        if foreign is not None:
            raise OutputBusyError(
                f"{out_dir}: in use by {foreign}; one job per output directory: wait for "
                "it to finish, or give another -o")
        beat = _Heartbeat(fd, {"pid": os.getpid(), "host": platform.node(),
                               "started": dt.datetime.now(dt.UTC).isoformat(
                                   timespec="seconds")})
        try:
            yield True
        finally:
            beat.stop()
    finally:
        os.close(fd)  # releases the lock
