"""Prospect's exception hierarchy.

Every error the library raises on purpose derives from :class:`ProspectError`; each leaf
also inherits the matching builtin, so callers that already catch ``ValueError`` or
``FileNotFoundError`` keep working (the scikit-learn / zarr convention). The CLI turns a
``ProspectError`` into one clear line and a non-zero exit code.
"""

from __future__ import annotations

import contextlib
import errno
import os
import warnings
from collections.abc import Iterator

from prospect.recorded import recording

__all__ = [
    "CRSError",
    "ChangedFilesError",
    "ConfigError",
    "CorruptFileError",
    "DamagedFileError",
    "DataError",
    "DataWarning",
    "FormulaError",
    "GridError",
    "InputFileError",
    "ModelError",
    "OutputBusyError",
    "OutputWriteError",
    "ProspectError",
    "SchemaMismatchError",
    "SecurityError",
    "StageError",
    "data_warnings",
]


NO_MEMORY_WORDS = ("std::bad_alloc", "Out of memory", "out of memory",
                   os.strerror(errno.ENOMEM), "failed to map segment from shared object",
                   "cannot allocate ")
"""How C and C++ libraries say an allocation failed: PROJ and GDAL's C++ (``std::bad_alloc``,
passed on in their error's text), GDAL's ``CPLE_OutOfMemory`` ("Out of memory ...") and
the system's ``ENOMEM``; the loader's "failed to map segment" (a shared library, GDAL's,
imported under ``ulimit -v``); GDAL's block cache's "cannot allocate 576000000 bytes"
(passed on as a ``CPLE_AppDefinedError``)."""


def memory_refused(exc: BaseException) -> bool:
    """Whether ``exc`` says this process's memory refused an allocation (a
    ``MemoryError``, ``ENOMEM``, a library's words of :data:`NO_MEMORY_WORDS`), not that
    an input is bad: under ``ulimit -v`` the loader's "failed to map segment" of a model
    file's reading was said as "not a readable skops file". The errors ``exc`` chains are
    looked at too: rasterio's "Read failed. See previous exception for details." holds
    GDAL's words in its cause."""
    seen: set[int] = set()
    found: BaseException | None = exc
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if isinstance(found, MemoryError):
            return True
        if isinstance(found, OSError) and found.errno == errno.ENOMEM:
            return True
        if any(words in str(found) for words in NO_MEMORY_WORDS):
            return True
        found = found.__cause__ or found.__context__
    return False


def resource_refused(exc: BaseException) -> bool:
    """Whether ``exc`` says this process was refused a resource (memory, as
    :func:`memory_refused` tells, or a new thread: Python's "can't start new thread"),
    so that what failed to read says nothing of the data read.

    Under ``ulimit -v`` a refused thread was taken for a damaged cube coordinate
    ("does not read (can't start new thread); written again"), and a chunk whose
    decoding was refused its buffer for a damaged chunk file, deleted with every other
    finished chunk of the variable.

    Parameters
    ----------
    exc : BaseException
        The error a read or a decode raised.

    Returns
    -------
    bool
        ``True`` for a refusal of the process's resources; the caller lets it go on
        (the job says it as out of memory or a refused thread, naming the limits).
    """
    if memory_refused(exc):
        return True
    return isinstance(exc, RuntimeError) and "can't start new thread" in str(exc)


class ProspectError(Exception):
    """Root of every error Prospect raises on purpose."""

    exit_code: int = 1

    def __reduce__(self) -> str | tuple[object, ...]:
        # A dask worker sends an error back pickled with the errors it chains
        # (``__cause__`` and ``__context__``, which ``raise ... from None`` keeps). A
        # library error that does not survive pickling (rasterio's ``CPLE_*``: read-only
        # ``args``) made the whole error arrive as a bare ``Exception`` and the job end in
        # "internal error" (exit 70) instead of this error's line and exit code. The
        # chain is made portable without trying a round trip (no unpickling here).
        self.__cause__ = _portable(self.__cause__)
        self.__context__ = _portable(self.__context__)
        return super().__reduce__()


def _portable(exc: BaseException | None, seen: set[int] | None = None
              ) -> BaseException | None:
    """``exc`` with every error it chains in a form that survives pickling: Python's own
    exceptions as they are, a library's (whose ``__init__`` or ``args`` may not take
    pickling's round trip) as a stand-in of its type's name and message (an ``OSError``
    keeps its ``errno``, which the runner reads to tell a full disk), the errors each
    chains kept the same way."""
    if exc is None or isinstance(exc, ProspectError):
        return exc  # pickles through __reduce__ above
    seen = set() if seen is None else seen
    if id(exc) in seen:
        return None  # a cycle in the chain
    seen.add(id(exc))
    if type(exc).__module__ != "builtins":
        original = exc
        text = f"{type(original).__module__}.{type(original).__qualname__}: {original}"
        if isinstance(original, OSError):
            exc = OSError(original.errno, text) if original.errno is not None else \
                OSError(text)
        else:
            exc = Exception(text)
        exc.__cause__, exc.__context__ = original.__cause__, original.__context__
        exc.__suppress_context__ = original.__suppress_context__
    exc.__cause__ = _portable(exc.__cause__, seen)
    exc.__context__ = _portable(exc.__context__, seen)
    return exc


class ConfigError(ProspectError, ValueError):
    """A configuration file or value is invalid (names file, key, value and what is allowed)."""

    exit_code = 2


class GridError(ProspectError, ValueError):
    """A region grid is inconsistent (bounds, resolution, chunks)."""


class CRSError(ProspectError, ValueError):
    """A coordinate reference system is missing, unknown or ambiguous."""


class InputFileError(ProspectError, OSError):
    """An input file is missing, unreadable, corrupt or of the wrong kind."""


class DataError(ProspectError, ValueError):
    """Input data are readable but unusable (outside the region, empty, wrong band count...)."""


class FormulaError(ProspectError, ValueError):
    """An index formula uses something outside the whitelist or cannot be parsed."""


class ModelError(ProspectError, ValueError):
    """A model cannot be trained, saved, loaded or applied."""


class SchemaMismatchError(ModelError):
    """A cube does not match what a model expects (variables, units, CRS, resolution...)."""


class ModelVersionError(ModelError):
    """A model saved with another major version of scikit-learn, or a newer Prospect, than
    this environment runs (refused unless the caller allows it).

    Attributes
    ----------
    library, saved, running
        The library and its versions: the one the model was saved with, the one running
        (``""`` where the raiser did not say).
    """

    library: str = ""
    saved: str = ""
    running: str = ""

    def __init__(self, *args: object, library: str = "", saved: str = "",
                 running: str = "") -> None:
        super().__init__(*args)
        # in __dict__: they survive pickling (errors from workers), as DamagedFileError.path
        self.library, self.saved, self.running = library, saved, running


class SecurityError(ProspectError, PermissionError):
    """Refused for safety: untrusted types, pickle payloads, path traversal, bad checksums."""


class StageError(ProspectError, RuntimeError):
    """A pipeline stage failed or its prerequisites are missing."""


class DamagedFileError(ProspectError):
    """A file no longer reads as it was written: truncated, changed in place, tampered.

    ``path`` names the file or folder. When a stage fails on a file that an earlier stage
    of the same job wrote, the runner records the damage against that stage, so that its
    next run writes the file again (``pipelines/runner.py``).
    """

    path: str = ""

    def __init__(self, *args: object, path: str | os.PathLike[str] = "") -> None:
        super().__init__(*args)
        self.path = str(path)  # in __dict__: it survives pickling (errors from workers)


class CorruptFileError(DamagedFileError, InputFileError):
    """A file does not decode: corrupt or truncated."""


class ChangedFilesError(DamagedFileError, SecurityError):
    """Files differ from the checksums recorded when they were written; refused."""


class OutputBusyError(ProspectError, BlockingIOError):
    """Another job holds the output directory's lock (one job per output directory)."""

    exit_code = 75  # EX_TEMPFAIL: try again when the other job has finished


class OutputWriteError(ProspectError, OSError):
    """Outputs cannot be written: disk full, read-only, over a file-size limit..."""

    exit_code = 74  # EX_IOERR


class DataWarning(UserWarning):
    """Input data were used with a caveat the user must see: rows dropped, geometries
    repaired, a band with no data. A run lists these in its summary and manifest."""


@contextlib.contextmanager
def data_warnings(prefix: str = "") -> Iterator[list[str]]:
    """Collect the :class:`DataWarning` s raised in the block, each text once, into the
    list it yields (``prefix`` before each), filled when the block ends, whether it
    finished or failed. Other warnings go where they always went.

    A stage's are its ``warning:`` notes (the summary and the manifest show them); a
    command prints them as one line each. The record is the block's own
    (:func:`prospect.recorded.recording`): warnings raised while another thread's
    ``warnings.catch_warnings`` block began before this one and ended inside it are kept.
    """
    found: list[str] = []
    caught: list[warnings.WarningMessage] = []
    try:  # kept per block: another thread's catch_warnings block cannot take them
        with recording(DataWarning, others=True) as caught:
            warnings.simplefilter("always", DataWarning)
            yield found
    finally:  # the warnings module is restored: other warnings are shown as usual
        seen: list[str] = []
        for w in caught:
            if issubclass(w.category, DataWarning):
                if str(w.message) not in seen:
                    seen.append(str(w.message))
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        found.extend(f"{prefix}{text}" for text in seen)
