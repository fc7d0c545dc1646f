"""Operating-system faults (disk full, read-only, file-size limit) as one line each."""

from __future__ import annotations

import errno
from pathlib import Path

from prospect.errors import OutputWriteError, StageError

__all__ = ["killed_worker_error", "os_error_line", "output_fault", "removed_output"]

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
}


def os_error_line(exc: OSError) -> str:
    """One line for an operating-system error: the path, then the cause and what to do."""
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
