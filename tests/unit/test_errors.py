"""Prospect's errors cross from dask workers to the job whole.

A worker sends an error back pickled with the errors it chains (``distributed.core.
error_message``, which pickles ``__cause__`` and ``__context__`` through tblib). A library
error that does not survive pickling (rasterio's ``CPLE_*`` errors) made the whole error
arrive as a bare ``Exception``: the job ended in "internal error" (exit 70), not in the
error's own line and exit code.
"""

from __future__ import annotations

import errno
import pickle

import pytest
import rasterio
from distributed.core import error_message
from distributed.protocol import pickle as dask_pickle

from prospect import errors
from prospect.errors import CorruptFileError, InputFileError, OutputWriteError, ProspectError


def _leaves() -> list[type[ProspectError]]:
    found: dict[str, type[ProspectError]] = {}
    todo = [ProspectError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return sorted((c for c in found.values() if c.__module__ == errors.__name__),
                  key=lambda c: c.__name__)


def _rasterio_error() -> Exception:
    try:
        rasterio.open("/nonexistent/prospect-test.tif")
    except rasterio.errors.RasterioIOError as exc:
        return exc
    raise AssertionError("rasterio opened a file that does not exist")


def _as_a_worker_sends_it(exc: BaseException) -> BaseException:
    """``exc`` as the job gets it from a worker: pickled by ``error_message`` (or, if that
    fails, replaced by a bare ``Exception`` of its repr) and unpickled by the client."""
    back = dask_pickle.loads(error_message(exc)["exception"].data)
    assert isinstance(back, BaseException)
    return back


def _raised(cls: type[ProspectError], *, chain: str) -> ProspectError:
    cause = _rasterio_error()
    try:
        try:
            raise cause
        except Exception as exc:
            kwargs = {"path": "/data/heat.tif"} if issubclass(cls, errors.DamagedFileError) else {}
            if chain == "from":
                raise cls("heat.tif: read failed", **kwargs) from exc
            raise cls("heat.tif: read failed", **kwargs) from None
    except ProspectError as err:
        return err
    raise AssertionError("not raised")


def test_rasterio_errors_arrive_with_their_type_once_gdal_is_prepared() -> None:
    """A rasterio (GDAL) error did not survive the trip: it arrived as a bare ``Exception``
    of its repr, and any error raised from it lost its type and ended the job as an
    internal error. :func:`pipelines.faults.portable_gdal_errors` (run in the job's
    process and every worker) gives GDAL's errors a ``__reduce__``."""
    from pipelines.faults import portable_gdal_errors

    portable_gdal_errors()
    back = _as_a_worker_sends_it(_rasterio_error())
    assert type(back) is rasterio.errors.RasterioIOError
    assert "/nonexistent/prospect-test.tif" in str(back)


@pytest.mark.parametrize("chain", ["from", "from None"])
@pytest.mark.parametrize("cls", _leaves(), ids=lambda c: c.__name__)
def test_every_prospect_error_arrives_as_itself(cls: type[ProspectError], chain: str) -> None:
    err = _raised(cls, chain=chain)
    back = _as_a_worker_sends_it(err)
    assert type(back) is cls
    assert str(back) == "heat.tif: read failed"
    assert back.exit_code == cls.exit_code
    if isinstance(err, errors.DamagedFileError):
        assert back.path == "/data/heat.tif"  # type: ignore[attr-defined]
    link = back.__cause__ if chain == "from" else back.__context__
    assert link is not None and "No such file or directory" in str(link)
    assert back.__suppress_context__  # both forms hide the context in a traceback


def test_an_os_error_in_the_chain_keeps_its_errno() -> None:
    """The runner tells a full disk by an ``errno`` down the chain."""

    class Unpicklable(OSError):
        def __reduce__(self) -> str | tuple[object, ...]:
            raise TypeError("cannot pickle")

    try:
        try:
            raise Unpicklable(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise OutputWriteError("cube.zarr: disk full") from exc
    except OutputWriteError as err:
        back = _as_a_worker_sends_it(err)
    assert type(back) is OutputWriteError
    assert isinstance(back.__cause__, OSError) and back.__cause__.errno == errno.ENOSPC
    assert "Unpicklable" in str(back.__cause__)


def test_a_picklable_cause_is_sent_as_it_is() -> None:
    try:
        try:
            raise FileNotFoundError(errno.ENOENT, "gone", "/data/x.tif")
        except OSError as exc:
            raise InputFileError("x.tif: gone") from exc
    except InputFileError as err:
        back = pickle.loads(pickle.dumps(err))
    assert type(back.__cause__) is FileNotFoundError
    assert back.__cause__.filename == "/data/x.tif"


def test_corrupt_file_error_keeps_its_bases() -> None:
    back = _as_a_worker_sends_it(_raised(CorruptFileError, chain="from"))
    assert isinstance(back, InputFileError) and isinstance(back, OSError)
