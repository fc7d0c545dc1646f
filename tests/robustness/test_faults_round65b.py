"""Round 65b, faults: a cube chunk lost with its done mark kept, and a folder published
with its files' data not on the disk.

A cube variable is written chunk by chunk into a partial folder (one file a chunk, not
synced one by one: thousands a variable) with a done mark a chunk; a resume trusts the
marks and decodes the chunk files it finds. (1) A node lost (power, a kernel panic,
SLURM's ``NODE_FAIL`` and the job requeued) can keep a chunk's mark and lose its unsynced
chunk file whole: the resumed run published the variable with that chunk missing, which
reads as the fill value (no data where data had been computed), exit 0. (2) A folder
published whole (a cube variable's chunks, a tile pyramid's PNGs, zarr's own writes) was
renamed into place with its files' data still in the page cache: a node lost after the
rename left the folder under its final name without its data; a write a network file
system refuses only at its flush (NFS over quota, ``EIO``) was published as if whole.

A node cannot be lost and no NFS server over quota mounted here: what a lost node leaves
(a mark whose chunk file is gone) is made by deleting the file, and the file system's
answer to the one flush of a folder (``syncfs``) is the one thing simulated; the writes,
renames, cube, job and cluster are real. SYNTHETIC grid, values, files and tiny job.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import prospect.io.files as files
from prospect.grid import RegionGrid
from prospect.io.cube import begin_variable, create_cube, open_cube
from prospect.io.files import publish_dir, staged_dir

from .conftest import Sandbox, assert_clean_error

_GRID = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=(0, 0, 60, 40), chunks=(2, 3))
"""4 x 6 cells in chunks of 2 x 3: four chunks."""

_ATTRS = {"units": "1", "long_name": "synthetic"}


def _values() -> np.ndarray:
    """SYNTHETIC values: chunk (1, 1) all NaN (the fill value: no chunk file)."""
    full = np.arange(24, dtype="float32").reshape(_GRID.shape) / 7
    full[2:4, 3:6] = np.nan
    return full


def _written(cube: Path) -> Any:
    """A variable ``v`` begun in ``cube`` with every chunk written, not published."""
    part = begin_variable(cube, "v", attrs=_ATTRS, fingerprint="f", grid=_GRID)
    full = _values()
    for w in _GRID.chunk_windows():
        part.write_chunk(w, full[w.rows, w.cols])
    return part


@pytest.fixture(autouse=True)
def _flushing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The flushes these cases check are asked for (``PROSPECT_FSYNC=1``; off by default:
    ``test_lead_round65.py``)."""
    monkeypatch.setenv("PROSPECT_FSYNC", "1")


@pytest.fixture
def cube(tmp_path: Path) -> Path:
    return create_cube(tmp_path / "c.zarr", _GRID, attrs={"synthetic": True})


@pytest.fixture
def flushes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Each flush of a file system (``files._syncfs``, of the folder its descriptor names;
    the real flush is done) and ``os.replace`` (of its source), in order."""
    seen: list[tuple[str, str]] = []
    real_syncfs = getattr(files, "_syncfs", None)
    replace = os.replace

    def spy_syncfs(fd: int) -> None:
        seen.append(("syncfs", os.readlink(f"/proc/self/fd/{fd}")))
        if real_syncfs is not None:
            real_syncfs(fd)

    def spy_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        replace(src, dst, *args, **kwargs)
        seen.append(("replace", os.fsdecode(src)))

    monkeypatch.setattr(files, "_syncfs", spy_syncfs, raising=False)
    monkeypatch.setattr(os, "replace", spy_replace)
    yield seen


def _refusing_flush(monkeypatch: pytest.MonkeyPatch, code: int, named: str = "") -> None:
    """The flush of a folder's file system (of a folder whose path holds ``named``)
    raises ``code``, as an NFS server over quota or a failing disk answers."""
    real_syncfs = getattr(files, "_syncfs", None)

    def refusing(fd: int) -> None:
        if named in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(code, os.strerror(code))
        if real_syncfs is not None:
            real_syncfs(fd)

    monkeypatch.setattr(files, "_syncfs", refusing, raising=False)


def _flushed_before_renamed(seen: list[tuple[str, str]], staging: str) -> None:
    renamed = [i for i, (what, path) in enumerate(seen) if what == "replace"
               and os.path.realpath(path) == os.path.realpath(staging)]
    assert renamed, seen
    flushed = [i for i, (what, path) in enumerate(seen) if what == "syncfs"
               and os.path.realpath(path) == os.path.realpath(staging)]
    assert flushed and flushed[0] < renamed[0], seen  # the data before the name


# ---- a chunk's mark kept, its file lost -------------------------------------------------

@pytest.mark.parametrize("lost", [[(0, 0)], [(0, 1), (1, 0)]], ids=["one", "two"])
def test_a_chunk_whose_file_a_lost_node_took_is_computed_again_on_resume(
        cube: Path, lost: list[tuple[int, int]]) -> None:
    """An ingest whose node was lost: the chunks' marks on the disk, one or two chunk
    files not (never synced). The requeued run resumed them as done and published the
    variable with those chunks read as NaN (exit 0, no word). Now the resume finds the
    marked chunks without their file pending, writes them again, and the cube's values
    are those computed. SYNTHETIC."""
    part = _written(cube)
    for iy, ix in lost:
        (part.array_path / "c" / str(iy) / str(ix)).unlink()
    resumed = begin_variable(cube, "v", attrs=_ATTRS, fingerprint="f", grid=_GRID)
    pending = resumed.pending(_GRID)
    assert sorted((w.iy, w.ix) for w in pending) == sorted(lost)
    full = _values()
    for w in pending:
        resumed.write_chunk(w, full[w.rows, w.cols])
    resumed.publish(_GRID)
    np.testing.assert_array_equal(open_cube(cube)["v"].values, full)


# ---- a folder published with its files' data not on the disk ----------------------------

def test_a_cube_variables_chunks_are_on_the_disk_before_it_is_published(
        cube: Path, flushes: list[tuple[str, str]]) -> None:
    """A cube variable (its chunk files written unsynced for speed): its folder's file
    system flushed once before the variable is renamed into the cube, so a node lost
    after the publish cannot leave the variable without its chunks. SYNTHETIC."""
    part = _written(cube)
    staging = str(part.array_path)
    flushes.clear()
    part.publish(_GRID)
    _flushed_before_renamed(flushes, staging)
    np.testing.assert_array_equal(open_cube(cube)["v"].values, _values())


def test_a_folder_a_library_filled_is_on_the_disk_before_it_is_published(
        tmp_path: Path, flushes: list[tuple[str, str]]) -> None:
    """A tiles layer or a report (:func:`staged_dir`), whose files a library wrote by name
    (GDAL's or Pillow's PNGs, never through ``write_*``): flushed before the rename.
    SYNTHETIC files."""
    target = tmp_path / "tiles" / "heat"
    with staged_dir(target) as staging:
        (staging / "0" / "0").mkdir(parents=True)
        (staging / "0" / "0" / "0.png").write_bytes(b"\x89PNG synthetic")
        where = str(staging)
    _flushed_before_renamed(flushes, where)
    assert (target / "0" / "0" / "0.png").read_bytes() == b"\x89PNG synthetic"


@pytest.mark.parametrize("code", [errno.EDQUOT, errno.EIO], ids=["EDQUOT", "EIO"])
def test_a_folder_whose_flush_the_disk_refuses_is_not_published(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """NFS over quota (``EDQUOT``) or a failing disk (``EIO``) refusing the folder's data
    at the flush: the error names the folder asked for, the last run's folder stays as
    it was, no staging folder is left. It had been published as if whole. SYNTHETIC."""
    target = tmp_path / "model"
    target.mkdir()
    (target / "card.json").write_text("before")
    _refusing_flush(monkeypatch, code)
    with pytest.raises(OSError) as raised, staged_dir(target) as staging:
        (staging / "card.json").write_text("after")
    assert raised.value.errno == code
    assert raised.value.filename == str(target)
    assert (target / "card.json").read_text() == "before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_job_whose_cube_the_disk_refuses_at_its_flush_stops_naming_it(
        sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``prospect run`` on an NFS ``-o`` over quota: the cube variable's flush refused. It
    had published the variable and gone on (exit 0); now exit 74, one line naming the
    cube's variable, the cause and the fix; the same command, once the disk takes the
    data, finishes (exit 0). SYNTHETIC tiny job on the corpus's cluster."""
    sandbox.write_job()
    _refusing_flush(monkeypatch, errno.EDQUOT, named=".partial")
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 74, "cube.zarr", "the disk quota is used up",
                              "run the same command again")
    assert ".partial" not in line and ".staging-" not in line
    monkeypatch.undo()
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0, (again.out + again.err)[-3000:]
    assert sandbox.untouched()


# ---- controls: pass before and after ----------------------------------------------------

def test_control_a_chunk_all_fill_value_is_not_computed_again_on_resume(cube: Path) -> None:
    """A chunk all NaN has no file by design: its mark is kept on resume, nothing is
    pending, the values as written. SYNTHETIC."""
    _written(cube)
    resumed = begin_variable(cube, "v", attrs=_ATTRS, fingerprint="f", grid=_GRID)
    assert resumed.pending(_GRID) == []
    resumed.publish(_GRID)
    np.testing.assert_array_equal(open_cube(cube)["v"].values, _values())


def test_control_a_damaged_chunk_is_still_computed_again_on_resume(cube: Path) -> None:
    """A chunk file cut short (the rename on the disk, not all the data): written again on
    resume, as before. SYNTHETIC."""
    part = _written(cube)
    chunk = part.array_path / "c" / "1" / "0"
    chunk.write_bytes(chunk.read_bytes()[:5])
    resumed = begin_variable(cube, "v", attrs=_ATTRS, fingerprint="f", grid=_GRID)
    assert [(w.iy, w.ix) for w in resumed.pending(_GRID)] == [(1, 0)]


@pytest.mark.parametrize("code", [errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS],
                         ids=["EINVAL", "EOPNOTSUPP", "ENOSYS"])
def test_control_a_file_system_that_cannot_flush_publishes_as_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """A FUSE or network file system refusing the flush itself: no fault of the data, the
    folder is published. SYNTHETIC."""
    target = tmp_path / "layer"
    _refusing_flush(monkeypatch, code)
    with files.scratch_dir(target) as staging:
        (staging / "a.png").write_bytes(b"x")
        publish_dir(staging, target)
    assert (target / "a.png").read_bytes() == b"x"


def test_control_the_chunk_files_bytes_are_those_zarr_writes(cube: Path) -> None:
    """Byte for byte: each chunk file the resumable writer stores is zarr's own encoding
    of the chunk (the benchmarks' hashes). SYNTHETIC."""
    import zarr

    part = _written(cube)
    kept = {p.relative_to(part.array_path).as_posix(): p.read_bytes()
            for p in (part.array_path / "c").rglob("*") if p.is_file()}
    assert sorted(kept) == ["c/0/0", "c/0/1", "c/1/0"]
    other = cube.parent / "z.zarr"
    arr = zarr.open_array(str(part.array_path), mode="r")
    copy = zarr.create_array(str(other), shape=arr.shape, chunks=arr.chunks, dtype=arr.dtype,
                             fill_value=arr.fill_value, compressors=arr.compressors,
                             serializer=arr.serializer, config={"write_empty_chunks": False})
    copy[:] = _values()
    assert {k: (other / k).read_bytes() for k in kept} == kept
