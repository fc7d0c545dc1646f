"""Operating-system faults (disk full, read-only, file-size limit, a request to stop) as one
line each."""

from __future__ import annotations

import errno
import re
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from prospect.errors import OutputWriteError, StageError

__all__ = ["StopRequest", "Stopped", "killed_worker_error", "os_error_line", "output_fault",
           "removed_output", "stop_signals_interrupt"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, and what batch systems, containers, ``timeout`` and a closed terminal send."""


class Stopped(KeyboardInterrupt):
    """The process was asked to stop by ``signum`` (SIGINT, SIGTERM, SIGHUP).

    A :class:`KeyboardInterrupt`, so a stop request unwinds exactly like Ctrl-C: every
    ``with`` block closes (the embedded cluster, staged writes, the output lock) and the
    runner records the stage as ``interrupted``.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


@dataclass
class StopRequest:
    """The stop signal received inside :func:`stop_signals_interrupt` (``None``: none)."""

    signum: int | None = None

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process the signal ended."""
        return 128 + (self.signum or signal.SIGINT)

    def line(self) -> str:
        """What the user is told: what stopped the job, what is kept, what to do."""
        how = ("interrupted" if self.signum in (None, signal.SIGINT)
               else f"stopped by {signal.Signals(self.signum).name}")
        return f"{how}; completed work is kept, run the same command again to resume"


@contextmanager
def stop_signals_interrupt() -> Iterator[StopRequest]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread.

    Python's default for SIGTERM and SIGHUP ends the process at once: no message, the
    manifest left saying ``running``, the embedded cluster's processes torn down without a
    word. The signal is kept in the :class:`StopRequest` yielded, since the command-line
    framework turns the exception into a bare exit code. The first signal raises; later
    ones are ignored while the job unwinds (SIGKILL still ends it). A signal that is
    ignored when the block starts (``nohup``) or handled by someone else stays as it is,
    and outside the main thread nothing changes.
    """
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        if request.signum is None:
            request.signum = signum
            raise Stopped(signum)

    previous = {}
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
            previous[signum] = signal.signal(signum, stop)
    try:
        yield request
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


_OS_HINTS = {
    errno.ENOSPC: "the disk is full; free space, then run the same command again to resume "
                  "(finished work is kept)",
    errno.EDQUOT: "the disk quota is used up; free space, then run the same command again",
    errno.EROFS: "the file system is read-only; give an -o on a writable disk",
    errno.EFBIG: "the file is over the file-size limit (ulimit -f); raise the limit, then run "
                 "the same command again",
    errno.EACCES: "permission denied; make it writable or give another -o",
    errno.EPERM: "operation not permitted; make it writable or give another -o",
    errno.ENOTDIR: "a part of this path is a file, not a directory; give another -o",
    errno.EEXIST: "it exists already and is in the way; move it or give another -o",
    errno.EISDIR: "a folder is where a file is to be written; give a file name, or move "
                  "the folder",
}


def _first_copy_error(exc: OSError) -> OSError:
    """``shutil.copytree``'s :class:`shutil.Error` (a list of ``(source, destination,
    message)``, with no errno nor file name) as the first file's own :class:`OSError`; any
    other error as it is. Its text was the whole list, as Python tuples."""
    failures = exc.args[0] if isinstance(exc, shutil.Error) and exc.args else None
    if not isinstance(failures, list) or not failures or len(failures[0]) != 3:
        return exc
    _, dst, why = failures[0]
    found = re.match(r"\[Errno (\d+)\] ([^:]*)", str(why))
    if found is None:
        return OSError(None, str(why), str(dst))
    return OSError(int(found.group(1)), found.group(2), str(dst))


def os_error_line(exc: OSError) -> str:
    """One line for an operating-system error: the path, then the cause and what to do."""
    exc = _first_copy_error(exc)
    path = exc.filename or ""
    if exc.filename2:
        path = f"{path} -> {exc.filename2}"
    cause = _OS_HINTS.get(exc.errno or -1) or exc.strerror or str(exc) or type(exc).__name__
    return f"{path}: {cause}" if path else cause


def output_fault(exc: OSError, out_dir: Path) -> OutputWriteError:
    """``exc`` (raised while a job wrote to ``out_dir``) as one line naming a path and cause.

    Errors from inside a library or a dask worker often carry no file name; then the
    output directory is the path named.
    """
    exc = _first_copy_error(exc)
    if removed_output(exc, out_dir):
        return OutputWriteError(
            f"{exc.filename or out_dir}: removed while the job ran (was the output directory "
            f"{out_dir} deleted or moved?); run the same command again to resume")
    line = os_error_line(exc)
    return OutputWriteError(line if exc.filename else f"{out_dir}: {line}")


def killed_worker_error(exc: BaseException, stage: str) -> StageError | None:
    """``exc`` as one line when dask gave up on a task whose workers kept dying.

    ``distributed.KilledWorker`` means each worker that ran the task died while running
    it: the nanny killed it at its memory limit, or the system's OOM killer or a user
    did. It is not a bug in Prospect, and its own text (a task key, a worker address and
    a web page) says nothing of what to change; ``None`` for any other exception.
    """
    try:
        from distributed.scheduler import KilledWorker
    except ImportError:  # pragma: no cover - distributed is a core dependency
        return None
    if not isinstance(exc, KilledWorker):
        return None
    task = exc.task
    name = task[0] if isinstance(task, tuple) and task else task
    limit = getattr(exc.last_worker, "memory_limit", None)
    limit_text = (f"its memory limit is {limit / 2**30:.1f} GiB"
                  if isinstance(limit, int | float) and limit > 0 else "it had no memory limit")
    return StageError(
        f"stage {stage}: the {exc.allowed_failures + 1} worker(s) that ran task "
        f"{str(name)[:80]!r} each died running it (out of memory? {limit_text}); finished "
        "chunks are kept. Give each "
        "worker more memory (fewer --workers, or larger workers on a cluster) or use "
        "smaller chunks (the region's chunk size), check 'prospect plan', then run the "
        "same command again")


def removed_output(exc: OSError, out_dir: Path) -> bool:
    """Whether ``exc`` says a file of the job's output directory is gone (zarr raises
    ``FileNotFoundError`` without an errno or a file name, naming the path in its text)."""
    if not isinstance(exc, FileNotFoundError):
        return False
    if exc.filename is not None:
        return _inside(exc.filename, out_dir)
    return exc.errno in (None, errno.ENOENT) and str(out_dir) in str(exc)


def _inside(path: object, out_dir: Path) -> bool:
    """Whether ``path`` (an error's file name) is ``out_dir`` or inside it."""
    if not isinstance(path, str | Path):
        return False
    here = Path(path).absolute()
    return here == out_dir or out_dir in here.parents
