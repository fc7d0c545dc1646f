"""Operating-system faults (disk full, read-only, file-size limit) as one line each."""

from __future__ import annotations

import errno
from pathlib import Path

from prospect.errors import OutputWriteError

__all__ = ["os_error_line", "output_fault", "removed_output"]

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
