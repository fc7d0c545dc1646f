"""Round 65, faults: a file published without its data on the disk.

Every file Prospect publishes (the run manifest, a model's card and schema, a COG, a
tile archive, a cube's metadata) is written under a hidden name and renamed into place
(:func:`prospect.io.files.staged_file` and the ``write_*`` helpers). Nothing synced the
data first: (1) a node lost after the rename (a power cut, a kernel panic, SLURM's
``NODE_FAIL`` and the job requeued) leaves the name on the disk and the data lost with
the page cache: an empty or short manifest or model under its final name, which the
requeued run takes for a result; (2) a network file system (NFS, Lustre, SMB) or a thin
disk reports a write it could not store (over quota, full, an I/O error) only when the
data are flushed (``fsync``, ``close``), so the file was published as if whole.

A node cannot be lost and no NFS server over quota can be mounted here: the disk's answer
to ``fsync`` is the one thing simulated (``os.fsync`` raising the error a network file
system gives, or recording what it was asked to sync); the writes, renames and files are
real. SYNTHETIC contents.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

import prospect.io.files as files
from prospect.io.files import publish_dir, staged_file, write_bytes, write_json, write_text

from .conftest import Sandbox, assert_clean_error


@pytest.fixture(autouse=True)
def _flushing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The flushes these cases check are asked for (``PROSPECT_FSYNC=1``; off by default:
    ``test_lead_round65.py``)."""
    monkeypatch.setenv("PROSPECT_FSYNC", "1")


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Each real ``fsync`` (of the path its descriptor names) and ``os.replace`` (of its
    target), in order."""
    seen: list[tuple[str, str]] = []
    fsync, replace = os.fsync, os.replace

    def spy_fsync(fd: int) -> None:
        seen.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    def spy_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        replace(src, dst, *args, **kwargs)
        seen.append(("replace", os.fsdecode(src)))

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    yield seen


def _refusing_sync(monkeypatch: pytest.MonkeyPatch, code: int, *,
                   folders_only: bool = False, named: str = "") -> None:
    """``fsync`` of a file (or only of a folder; only of a path holding ``named``) raises
    ``code``, as a network file system's flush does where the server refuses the data."""
    fsync = os.fsync

    def refusing(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        if folders_only == os.path.isdir(path) and named in path:
            raise OSError(code, os.strerror(code))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", refusing)


def _synced_before_renamed(seen: list[tuple[str, str]], target: Path) -> None:
    replaced = [i for i, (what, path) in enumerate(seen) if what == "replace"
                and Path(path).name.startswith(f".{target.name}.tmp-")]
    assert len(replaced) == 1, seen
    tmp = seen[replaced[0]][1]
    synced = [i for i, (what, path) in enumerate(seen) if what == "fsync"
              and path in (tmp, os.path.realpath(tmp))]
    assert synced and synced[0] < replaced[0], seen  # the data before the name
    folder = os.path.realpath(target.parent)
    assert ("fsync", folder) in seen[replaced[0]:], seen  # the rename itself after


@pytest.mark.parametrize("writer", ["write_json", "write_text", "write_bytes"])
def test_a_file_is_on_the_disk_before_its_name_is_published(
        tmp_path: Path, events: list[tuple[str, str]], writer: str) -> None:
    """A manifest (``write_json``), a report page (``write_text``), a model's bytes
    (``write_bytes``): the data synced before the rename, the folder after. SYNTHETIC."""
    target = tmp_path / "out" / "manifest.json"
    value = {"stages": {"ingest": {"status": "done"}}}
    if writer == "write_json":
        write_json(target, value)
    elif writer == "write_text":
        write_text(target, json.dumps(value))
    else:
        write_bytes(target, json.dumps(value).encode())
    _synced_before_renamed(events, target)


def test_a_file_a_library_writes_by_name_is_on_the_disk_before_it_is_published(
        tmp_path: Path, events: list[tuple[str, str]]) -> None:
    """A GeoTIFF written by GDAL into :func:`staged_file`'s path (as the score stage's
    COGs and the tiles archives are): synced before its rename. SYNTHETIC raster."""
    target = tmp_path / "probability.tif"
    with staged_file(target) as tmp, rasterio.open(
            tmp, "w", driver="GTiff", width=8, height=8, count=1, dtype="float32") as dst:
        dst.write(np.full((1, 8, 8), 0.25, dtype="float32"))
    _synced_before_renamed(events, target)
    with rasterio.open(target) as src:
        assert float(src.read(1)[0, 0]) == 0.25


@pytest.mark.parametrize("code", [errno.EDQUOT, errno.ENOSPC, errno.EIO],
                         ids=["EDQUOT", "ENOSPC", "EIO"])
def test_a_write_the_disk_refuses_at_its_flush_publishes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """NFS over quota (``EDQUOT``), a full thin disk (``ENOSPC``), a failing disk or a
    lost server (``EIO``) answer at the flush: the write fails naming the file asked for
    (not the hidden temporary), the last run's file is left as it was and no temporary
    is left. It had been published short, as if whole. SYNTHETIC."""
    target = tmp_path / "manifest.json"
    target.write_text('{"run": "before"}')
    _refusing_sync(monkeypatch, code)
    with pytest.raises(OSError) as raised:
        write_json(target, {"run": "after"})
    assert raised.value.errno == code
    assert raised.value.filename == str(target)
    assert target.read_text() == '{"run": "before"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]


@pytest.mark.parametrize(("code", "cause"), [
    (errno.EDQUOT, "the disk quota is used up"),
    (errno.EIO, "the disk could not store or read it (an I/O error"),
], ids=["EDQUOT", "EIO"])
def test_a_job_whose_manifest_the_disk_refuses_at_its_flush_stops_naming_it(
        sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch,
        code: int, cause: str) -> None:
    """``prospect run`` on an NFS ``-o`` over quota (or a disk failing): the manifest's
    flush refused. It had gone on (exit 0) with the run's manifest short under its name;
    now exit 74, one line naming ``manifest.json``, the cause and the fix, no temporary
    left. SYNTHETIC tiny job on the corpus's cluster."""
    sandbox.write_job()
    _refusing_sync(monkeypatch, code, named="manifest.json")
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 74, str(sandbox.out / "manifest.json"), cause,
                              "run the same command again")
    assert ".tmp-" not in line
    assert not [p for p in sandbox.out.rglob(".manifest.json.tmp-*")]


def test_a_folder_published_has_its_new_name_on_the_disk(
        tmp_path: Path, events: list[tuple[str, str]]) -> None:
    """:func:`publish_dir` (a model's folder, a tiles layer, a report): its folder synced
    after the rename, so the new name outlives a node lost then. SYNTHETIC."""
    target = tmp_path / "model"
    with files.scratch_dir(target) as staging:
        (staging / "card.json").write_text("{}")
        publish_dir(staging, target)
    replaced = [i for i, (what, _) in enumerate(events) if what == "replace"]
    assert replaced, events
    assert ("fsync", os.path.realpath(tmp_path)) in events[replaced[-1]:], events
    assert (target / "card.json").read_text() == "{}"


# ---- controls: pass before and after ----------------------------------------------------

@pytest.mark.parametrize("code", [errno.EINVAL, errno.EOPNOTSUPP],
                         ids=["EINVAL", "EOPNOTSUPP"])
def test_control_a_file_system_that_cannot_sync_is_written_as_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """Some FUSE and network file systems refuse ``fsync`` itself (``EINVAL``,
    ``EOPNOTSUPP``): no fault of the data, the file is published. SYNTHETIC."""
    target = tmp_path / "manifest.json"
    _refusing_sync(monkeypatch, code)
    write_json(target, {"a": 1})
    assert target.read_bytes() == b'{\n "a": 1\n}\n'


def test_control_a_folder_that_cannot_be_synced_after_the_rename_keeps_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder's sync failing after the rename (the file whole by then) publishes the
    file without an error. SYNTHETIC."""
    target = tmp_path / "card.json"
    _refusing_sync(monkeypatch, errno.EIO, folders_only=True)
    write_text(target, "card")
    assert target.read_text() == "card"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.json"]


def test_control_the_bytes_written_are_those_asked_for(tmp_path: Path) -> None:
    """Values byte for byte: ``write_json``'s text and ``write_bytes``' bytes as before.
    SYNTHETIC."""
    write_json(tmp_path / "a.json", {"p": 0.5, "n": float("nan")}, sort_keys=True)
    assert (tmp_path / "a.json").read_bytes() == b'{\n "n": null,\n "p": 0.5\n}\n'
    write_bytes(tmp_path / "b.bin", bytes(range(256)))
    assert (tmp_path / "b.bin").read_bytes() == bytes(range(256))


def test_control_a_cube_chunk_is_not_synced_one_by_one(
        tmp_path: Path, events: list[tuple[str, str]]) -> None:
    """The ingest's chunk files (thousands a variable) are not synced each: a resume
    decodes every chunk it keeps (``PartialVariable.forget_damaged``), so a chunk a lost
    node cut short is written again; the ingest's speed stays. The cube's values are
    those written. SYNTHETIC grid and values."""
    from prospect.grid import RegionGrid
    from prospect.io.cube import begin_variable, create_cube, open_cube

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=(0, 0, 60, 40),
                      chunks=(2, 3))
    cube = create_cube(tmp_path / "c.zarr", grid, attrs={"synthetic": True})
    full = np.arange(24, dtype="float32").reshape(grid.shape) / 7
    part = begin_variable(cube, "v", attrs={"units": "1", "long_name": "synthetic"},
                          fingerprint="f", grid=grid)
    events.clear()
    for w in grid.chunk_windows():
        part.write_chunk(w, full[w.rows, w.cols])
    assert [p for what, p in events if what == "replace" and "/c/" in p], events
    assert [p for what, p in events if what == "fsync" and "/c/" in p] == [], events
    part.publish(grid)
    np.testing.assert_array_equal(open_cube(cube)["v"].values, full)
