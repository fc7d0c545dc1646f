"""Chunk-level resumable writes, atomic publication, time slices and array checksums."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
import zarr

from prospect.errors import DataError
from prospect.io.cube import (
    add_time_slice,
    begin_variable,
    create_cube,
    open_cube,
    removed_later,
)
from prospect.testing import array_checksums

ATTRS = {"units": "1", "long_name": "test", "prospect_kind": "continuous",
         "provenance": json.dumps({"sources": {}})}


def blocks(grid):
    rng = np.random.default_rng(3)
    full = rng.random(grid.shape, dtype="f4")
    return full, {(w.iy, w.ix): full[w.rows, w.cols] for w in grid.chunk_windows()}


def test_partial_variable_is_invisible_until_published(grid, tmp_path):
    cube = create_cube(tmp_path / "c.zarr", grid, attrs={"synthetic": True})
    full, parts = blocks(grid)
    part = begin_variable(cube, "v", attrs=ATTRS, fingerprint="f1")
    windows = list(grid.chunk_windows())
    for w in windows[:4]:
        part.write_chunk(w, parts[w.iy, w.ix])
    assert "v" not in open_cube(cube).data_vars
    assert not (cube / "v").exists()
    with pytest.raises(DataError, match="5 of 9 chunks not written"):
        part.publish(grid)
    # a new writer (a rerun) resumes: the four marked chunks are not pending
    again = begin_variable(cube, "v", attrs=ATTRS, fingerprint="f1")
    assert len(again.pending(grid)) == 5
    for w in again.pending(grid):
        again.write_chunk(w, parts[w.iy, w.ix])
    again.publish(grid)
    ds = open_cube(cube)
    np.testing.assert_array_equal(ds["v"].values, full)
    assert ds["v"].attrs["units"] == "1"
    assert ds["v"].attrs["prospect_fingerprint"] == "f1"
    assert ds.attrs["synthetic"] is True
    assert not (tmp_path / ".c.zarr.partial").exists()
    # consolidated metadata lists the variable and its grid mapping
    meta = json.loads((cube / "zarr.json").read_text())
    assert "v" in meta["consolidated_metadata"]["metadata"]
    assert ds["v"].rio.crs.to_epsg() == 32619


def test_leftovers_of_published_variables_are_removed_beside_what_follows(grid, tmp_path):
    import threading

    cube = create_cube(tmp_path / "c.zarr", grid)
    full, parts = blocks(grid)
    stale = tmp_path / ".c.zarr.published-killed"  # left by a process killed mid-removal
    (stale / "v" / "done").mkdir(parents=True)
    with removed_later(cube) as leftovers:
        assert not stale.exists()
        for name in ("a", "b"):
            part = begin_variable(cube, name, attrs=ATTRS, fingerprint="f1")
            for w in grid.chunk_windows():
                part.write_chunk(w, parts[w.iy, w.ix])
            part.publish(grid, leftovers=leftovers)
        # the marks and specs were moved aside with one rename each: nothing partial left
        assert sorted(p.name for p in leftovers.iterdir()) == ["a", "b"]
        assert not (tmp_path / ".c.zarr.partial").exists()
    for thread in threading.enumerate():
        if thread.name == "prospect-removal":
            thread.join(timeout=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.zarr"]
    ds = open_cube(cube)
    for name in ("a", "b"):
        np.testing.assert_array_equal(ds[name].values, full)


def test_unmarked_chunk_is_rewritten_and_changed_inputs_restart(grid, tmp_path):
    cube = create_cube(tmp_path / "c.zarr", grid)
    _, parts = blocks(grid)
    part = begin_variable(cube, "v", attrs=ATTRS, fingerprint="f1")
    w0 = next(iter(grid.chunk_windows()))
    # a chunk written without its mark (killed between the write and the mark) stays pending
    arr = zarr.open_array(str(part.array_path), mode="r+")
    arr[w0.rows, w0.cols] = -1
    assert (w0.iy, w0.ix) not in part.done()
    part.write_chunk(w0, parts[0, 0])
    assert (0, 0) in part.done()
    changed = begin_variable(cube, "v", attrs=ATTRS, fingerprint="f2")
    assert len(changed.pending(grid)) == grid.n_chunks  # new inputs: start afresh


def test_republishing_replaces_a_variable(grid, tmp_path):
    cube = create_cube(tmp_path / "c.zarr", grid)
    for value in (1.0, 2.0):
        part = begin_variable(cube, "v", attrs=ATTRS, fingerprint=str(value))
        for w in part.pending(grid):
            part.write_chunk(w, np.full(w.shape, value, "f4"))
        part.publish(grid)
    assert float(open_cube(cube)["v"].max()) == 2.0


def test_time_slices_append_without_rewriting(grid, tmp_path):
    cube = create_cube(tmp_path / "c.zarr", grid)
    like = open_cube(cube)
    first = xr.DataArray(np.ones(grid.shape, "f4"), dims=("y", "x"),
                         coords={"y": like.y, "x": like.x}, attrs={"units": "K"})
    add_time_slice(cube, "lst", first, time="2020-01-01")
    chunk_file = cube / "lst" / "c" / "0" / "0" / "0"
    before = chunk_file.stat().st_mtime_ns
    add_time_slice(cube, "lst", first * 2, time="2021-01-01")
    ds = open_cube(cube)
    assert ds["lst"].dims == ("time", "y", "x")
    assert [float(ds["lst"][i].mean()) for i in range(2)] == [1.0, 2.0]
    assert chunk_file.stat().st_mtime_ns == before  # the first slice was not rewritten
    with pytest.raises(DataError, match="already has a slice at 2021-01-01"):
        add_time_slice(cube, "lst", first, time="2021-01-01")


def test_array_checksums_detect_any_change(grid, tmp_path):
    cube = create_cube(tmp_path / "c.zarr", grid)
    part = begin_variable(cube, "v", attrs=ATTRS, fingerprint="x")
    for w in part.pending(grid):
        part.write_chunk(w, np.zeros(w.shape, "f4"))
    part.publish(grid)
    sums = array_checksums(cube)
    assert set(sums) >= {"v", "x", "y"}
    zarr.open_array(str(cube / "v"), mode="r+")[0, 0] = 1
    assert array_checksums(cube)["v"] != sums["v"]


@pytest.mark.parametrize(("dtype", "fill"), [("float32", np.nan), ("int16", -1),
                                             ("uint8", 255)])
def test_chunks_are_stored_byte_for_byte_as_zarr_stores_them(tmp_path, dtype, fill):
    """A chunk task encodes its chunk itself (no trip through zarr's threads): the stored
    files are those zarr writes for the same array, edge chunks padded, chunks of zarr's
    fill value absent (and removed when a rewrite makes one all fill)."""
    from prospect.grid import RegionGrid

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=(0, 0, 70, 50), chunks=(2, 3))
    cube = create_cube(tmp_path / "c.zarr", grid)
    rng = np.random.default_rng(5)
    full = (rng.random(grid.shape) * 200).astype(dtype)
    full[:2, :3] = fill  # chunk (0, 0): all fill value
    full[2, 4] = fill  # a fill value inside a chunk with data
    part = begin_variable(cube, "v", dtype=dtype, fill_value=fill, attrs=ATTRS,
                          fingerprint="f", grid=grid)
    windows = list(grid.chunk_windows())
    w1 = windows[1]
    part.write_chunk(w1, full[w1.rows, w1.cols])  # data, then rewritten as all fill
    full[w1.rows, w1.cols] = fill
    for w in windows:
        part.write_chunk(w, full[w.rows, w.cols])
    ours = part.array_path
    ref = ours.parent / "ref"  # the same array written by zarr itself
    ref.mkdir()
    (ref / "zarr.json").write_bytes((ours / "zarr.json").read_bytes())
    theirs = zarr.open_array(ref, mode="r+", zarr_format=3,
                             config={"write_empty_chunks": False})
    for w in windows:
        theirs[w.rows, w.cols] = full[w.rows, w.cols]

    def stored(root):
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
                if p.is_file() and p.name != "zarr.json"}

    got, want = stored(ours), stored(ref)
    assert got == want and "c/2/2" in got  # (2, 2): an edge chunk
    if dtype == "float32":  # zarr's fill value (xarray stores 0 for integer codes)
        assert "c/0/0" not in got and "c/0/1" not in got
    part.publish(grid)
    masked = np.where(full == fill, np.nan, full) if dtype != "float32" else full
    np.testing.assert_array_equal(open_cube(cube)["v"].values, masked)
