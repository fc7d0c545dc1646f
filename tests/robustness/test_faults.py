"""Class 4: disk full, read-only output, file-size limit: one line, nothing lost, rerun resumes.

Full and read-only disks are real: a small tmpfs is mounted for the test (skipped where
the tests may not mount, e.g. without root).
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, write_tiny_raster


class SmallDisk:
    """A tmpfs of a given size, remountable read-only or larger."""

    def __init__(self, root: Path, size: str) -> None:
        self.root = root
        root.mkdir(parents=True)
        self._mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(root))

    @staticmethod
    def _mount(*args: str) -> None:
        proc = subprocess.run(["mount", *args], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")

    def remount(self, options: str) -> None:
        self._mount("-o", f"remount,{options}", str(self.root))

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.root)], capture_output=True)


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    disk = SmallDisk(tmp_path / f"disk-{uuid.uuid4().hex[:6]}", "40k")
    try:
        yield disk
    finally:
        disk.unmount()


def _big_job(box: Sandbox) -> None:
    """The tiny job with a raster a 40 KiB disk cannot hold (SYNTHETIC values)."""
    values = np.random.default_rng(1).random((40, 40)).astype("float32")
    for name in ("a", "b", "c"):
        write_tiny_raster(box.root / f"{name}.tif", values=values + ord(name))
    box.write_job(sources=[{"kind": "raster", "name": n, "path": f"{n}.tif"} for n in "abc"])


def _litter(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*.tmp"))


def test_disk_full_is_one_line_keeps_work_and_resumes(sandbox: Sandbox, small_disk: SmallDisk,
                                                      cli, scheduler: str) -> None:
    _big_job(sandbox)
    out = small_disk.root / "out"
    result = cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert_clean_error(result, 74, str(out), "disk is full", "run the same command again")
    manifest = json.loads((out / "manifest.json").read_text())  # still whole
    assert manifest["stages"]["ingest"]["status"] in ("running", "failed")
    assert _litter(out) == []
    assert sandbox.untouched()
    small_disk.remount("size=8m")
    again = cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    done = json.loads((out / "manifest.json").read_text())["stages"]["ingest"]
    assert done["status"] == "done" and done["metrics"]["variables"] == 3


def test_read_only_finished_output_reruns_as_nothing_to_do(
    sandbox: Sandbox, small_disk: SmallDisk, cli, scheduler: str,
) -> None:
    small_disk.remount("size=8m")
    out = small_disk.root / "out"
    assert cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler).code == 0
    before = (out / "manifest.json").read_bytes()
    small_disk.remount("ro")
    result = cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "nothing to do" in result.err and "Traceback" not in result.err
    assert (out / "manifest.json").read_bytes() == before
    # ... but a read-only directory with work left is a clear error, not a crash
    sandbox.write_job(sources=[{"kind": "raster", "name": "other", "path": "heat.tif"}])
    result = cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert_clean_error(result, 1, str(out), "read-only", "ingest")


def test_read_only_disk_before_any_work_is_one_line(small_disk: SmallDisk, sandbox: Sandbox,
                                                    cli) -> None:
    small_disk.remount("ro")
    out = small_disk.root / "out"
    result = cli("ingest", sandbox.job_path, "-o", out)
    assert_clean_error(result, 74, str(out), "read-only")


def test_file_size_limit_is_one_line_and_rerun_resumes(sandbox: Sandbox, cli,
                                                       scheduler: str) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1500, hard))  # Python ignores SIGXFSZ
    try:
        result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert_clean_error(result, 74, str(sandbox.out), "file-size limit")
    assert _litter(sandbox.out) == [] and sandbox.untouched()
    again = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
