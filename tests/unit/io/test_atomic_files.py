"""The one atomic writer, JSON sanitiser and config hash."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from prospect.canonical import canonical_json, config_hash, jsonable
from prospect.io.files import (
    bytes_sha256,
    file_sha256,
    staged_dir,
    staged_file,
    write_bytes,
    write_json,
)


def test_write_json_replaces_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    target.write_text("old")
    write_json(target, {"b": 1, "a": [1.5]}, indent=1, sort_keys=True, newline=True)
    assert target.read_text() == '{\n "a": [\n  1.5\n ],\n "b": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    write_bytes(target, b"old")
    with pytest.raises(RuntimeError), staged_file(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]
    assert file_sha256(target) == bytes_sha256(b"old")


def test_staged_dir_publishes_whole_and_can_refuse_to_replace(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "model"
    with staged_dir(target) as staging:
        (staging / "f").write_text("1")
    assert (target / "f").read_text() == "1"
    with staged_dir(target) as staging:
        (staging / "g").write_text("2")
    assert sorted(p.name for p in target.iterdir()) == ["g"]
    with pytest.raises(OSError), staged_dir(target, replace=False) as staging:
        (staging / "h").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["g"]
    assert [p.name for p in target.parent.iterdir()] == ["model"]


def test_jsonable_turns_numpy_and_non_finite_values_into_json() -> None:
    value = {2: np.float32(0.5), "n": np.int64(3), "a": np.arange(2), "s": {"b", "a"},
             "nan": float("nan"), "inf": np.float64(np.inf), True: None, "p": Path("x")}
    out = jsonable(value)
    assert out == {"2": 0.5, "n": 3, "a": [0, 1], "s": ["a", "b"], "nan": None, "inf": None,
                   "true": None, "p": "x"}
    assert list(out) == ["2", "n", "a", "s", "nan", "inf", "true", "p"]  # order kept
    json.dumps(out, allow_nan=False)
    kept = jsonable({"nan": float("nan")}, finite=False)
    assert math.isnan(kept["nan"])


def test_one_config_hash_for_a_job_its_dump_and_a_model_card() -> None:
    from prospect.config import JobConfig
    from prospect.registry import config_hash as card_hash

    job = JobConfig.model_validate({"name": "h", "region": "bonaire"})
    dump = job.model_dump(mode="json")
    assert job.config_hash() == config_hash(dump) == config_hash(job) == card_hash(dump)
    assert canonical_json({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert config_hash({"b": 1, "a": 2}) == config_hash({"a": 2, "b": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


@pytest.mark.parametrize("in_the_way", ["file", "link"])
def test_a_file_in_the_way_of_a_published_folder_leaves_no_litter(
        tmp_path: Path, in_the_way: str) -> None:
    """A file (or link) where an output folder goes (out/tiles/heat as a file) was set
    aside as '.heat.old-<hex>' and then left there: the folder remover skipped it."""
    target = tmp_path / "heat"
    if in_the_way == "file":
        target.write_text("x")
    else:
        (tmp_path / "elsewhere").mkdir()
        target.symlink_to(tmp_path / "elsewhere")
    with staged_dir(target) as staging:
        (staging / "tile.png").write_bytes(b"png")
    assert (target / "tile.png").read_bytes() == b"png" and not target.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["heat"] + (["elsewhere"] if in_the_way == "link" else []))


def test_file_sha256_reads_a_file_rewritten_with_its_old_size_and_mtime(tmp_path) -> None:
    """In one process (a notebook, the in-process CLI), a file rewritten in place at the same
    size with its mtime set back (``cp -p``, ``rsync -t``) was the cached old hash."""
    import hashlib
    import os
    import time

    from prospect.io.files import file_sha256

    path = tmp_path / "heat.tif"
    path.write_bytes(b"A" * 64)
    first = file_sha256(path)
    st = path.stat()
    time.sleep(0.05)  # file times tick with the kernel's coarse clock (a few ms)
    path.write_bytes(b"B" * 64)  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime set back
    assert path.stat().st_mtime_ns == st.st_mtime_ns
    assert file_sha256(path) == hashlib.sha256(b"B" * 64).hexdigest() != first
