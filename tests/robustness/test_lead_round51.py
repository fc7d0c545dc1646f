"""Round 51, the lead's: a job under an address-space limit (``ulimit -v``) that hung for
minutes, or ended as "internal error" with a CRS read as broken.

zarr makes its IO thread at its first read or write and records its event loop before it
starts that thread: where the system refused the thread, every later zarr call waited for
ever (the round-26 case ran into its 300 s timeout in CI), and zarr's exit hook printed a
traceback. PROJ's ``std::bad_alloc`` exporting the grid's CRS reached Python as rasterio's
``CRSError: Cannot convert to WKT. OGR Error code 6``, the allocation named only in GDAL's
own message on stderr. Each case runs in a fresh interpreter (zarr's loop and GDAL's
handler are the process's). SYNTHETIC data only.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.robustness.conftest import REPO


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_a_refused_zarr_thread_is_said_and_the_next_zarr_call_does_not_hang() -> None:
    """The system refuses zarr's IO thread once ("can't start new thread"): the refusal is
    raised, said in one line as the job's, and the next zarr write (the thread allowed
    again) finishes instead of waiting for ever on a loop that never ran; the exit hook
    prints nothing."""
    result = _python("""
        import threading
        import numpy as np
        import zarr
        from pipelines.faults import out_of_memory_error, zarr_io_started

        real_start = threading.Thread.start
        def refused(self):
            if self.name == "zarr_io":
                raise RuntimeError("can't start new thread")
            return real_start(self)
        threading.Thread.start = refused
        try:
            zarr_io_started()
        except RuntimeError as exc:
            print("said:", out_of_memory_error(exc, "ingest"))
        threading.Thread.start = real_start
        done = threading.Event()
        def write():
            zarr.create_array(store={}, shape=(4,), dtype="f4")[:] = np.arange(4)
            done.set()
        threading.Thread(target=write, daemon=True).start()
        print("written:", done.wait(30))
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "said: stage ingest: the system refused a new thread" in result.stdout
    assert "written: True" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr[-3000:]


def test_a_started_zarr_thread_is_kept_and_started_once() -> None:
    """Control: called twice, the loop is made once and zarr reads and writes through it."""
    result = _python("""
        import numpy as np
        import zarr
        from zarr.core import sync
        from pipelines.faults import zarr_io_started

        zarr_io_started()
        first = sync.loop[0]
        zarr_io_started()
        arr = zarr.create_array(store={}, shape=(4,), dtype="f4")
        arr[:] = np.arange(4)
        print(first is sync.loop[0], sync.iothread[0].is_alive(), arr[:].tolist())
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["True", "True", "[0.0,", "1.0,", "2.0,", "3.0]"]


def test_a_crs_error_after_gdal_said_bad_alloc_is_out_of_memory() -> None:
    """GDAL says PROJ's ``std::bad_alloc`` (through GDAL's real ``CPLError``), then rasterio
    raises ``CRSError: Cannot convert to WKT``: told as out of memory, naming PROJ's words,
    and GDAL's own line still reaches stderr as before."""
    result = _python("""
        import ctypes
        import rasterio.errors
        from pipelines import faults

        assert faults.keep_gdal_memory_errors()
        path = next(iter(faults._GDAL_INSTALLED))
        lib = ctypes.CDLL(path)
        lib.CPLError.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p]
        lib.CPLError(3, 1, b"%s", b"PROJ: internal_proj_as_wkt: std::bad_alloc")
        exc = rasterio.errors.CRSError("Cannot convert to WKT. OGR Error code 6")
        print("said:", faults.out_of_memory_error(exc, "ingest"))
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (
        "said: stage ingest: out of memory (GDAL: PROJ: internal_proj_as_wkt: std::bad_alloc)"
    ) in result.stdout, result.stdout
    assert "std::bad_alloc" in result.stderr  # GDAL's line, passed on unchanged


def test_a_crs_error_with_no_allocation_said_stays_what_it_is() -> None:
    """Control: a GDAL error that is no allocation's (a bad CRS), then a ``CRSError``: not
    out of memory; the handler passes GDAL's message on."""
    result = _python("""
        import ctypes
        import rasterio.errors
        from pipelines import faults

        assert faults.keep_gdal_memory_errors()
        lib = ctypes.CDLL(next(iter(faults._GDAL_INSTALLED)))
        lib.CPLError.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p]
        lib.CPLError(3, 1, b"%s", b"PROJ: proj_create: unknown projection")
        exc = rasterio.errors.CRSError("Invalid projection")
        print("said:", faults.out_of_memory_error(exc, "ingest"))
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "said: None" in result.stdout, result.stdout
    assert "unknown projection" in result.stderr


def test_a_refused_removal_thread_removes_the_folder_at_once_and_the_lock_does_not_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The system refuses the thread that removes a stage's set-aside leftovers: the job,
    its error already met, waited for ever for that removal as its output lock was let go
    (a job under ``ulimit -v`` hung after its last task). Now the folder is removed at once,
    in the job's thread, and the wait ends."""
    import threading

    from prospect.io.cube import removals_done, removed_later

    real_start = threading.Thread.start

    def refused(self: threading.Thread) -> None:
        if self.name == "prospect-removal":
            raise RuntimeError("can't start new thread")
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", refused)
    cube = tmp_path / "cube.zarr"
    cube.mkdir()
    with removed_later(cube) as folder:
        (folder / "leftover").write_text("SYNTHETIC")
    assert not folder.exists()
    assert removals_done(timeout=5)


def test_a_removal_thread_still_removes_beside_the_job() -> None:
    """Control: with threads to be had, the removal runs in its own thread and is waited
    for."""
    import tempfile

    from prospect.io.cube import removals_done, removed_later

    with tempfile.TemporaryDirectory() as tmp:
        cube = Path(tmp) / "cube.zarr"
        cube.mkdir()
        with removed_later(cube) as folder:
            (folder / "leftover").write_text("SYNTHETIC")
        assert removals_done(timeout=30)
        assert not folder.exists()
