"""Class 5: resume verifies what it skips; a moved or copied output directory resumes alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error


def _heat(out: Path) -> np.ndarray:
    import zarr

    return np.asarray(zarr.open_array(out / "cube.zarr" / "heat", mode="r")[:])


@pytest.fixture()
def done(sandbox: Sandbox, cli, scheduler: str) -> tuple[Sandbox, np.ndarray]:
    """The tiny job ingested once; returns the sandbox and the heat values."""
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return sandbox, _heat(sandbox.out)


def _rerun(cli, box: Sandbox, scheduler: str, out: Path | None = None):
    return cli("ingest", box.job_path, "-o", out or box.out, "--scheduler", scheduler)


def test_a_deleted_chunk_is_recomputed_not_read_as_nan(done, cli, scheduler) -> None:
    box, before = done
    chunk = box.out / "cube.zarr" / "heat" / "c" / "1" / "0"
    chunk.unlink()
    result = _rerun(cli, box, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "chunk file(s) missing" in result.err and "Traceback" not in result.err
    assert chunk.is_file()
    np.testing.assert_array_equal(_heat(box.out), before)
    assert box.untouched()


def test_a_truncated_variable_zarr_json_is_rebuilt(done, cli, scheduler) -> None:
    box, before = done
    meta = box.out / "cube.zarr" / "heat" / "zarr.json"
    meta.write_text(meta.read_text()[:40])
    result = _rerun(cli, box, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "'heat'" in result.err and "truncated" in result.err
    np.testing.assert_array_equal(_heat(box.out), before)


def test_a_truncated_cube_zarr_json_is_an_error_naming_it(done, cli, scheduler) -> None:
    box, _ = done
    meta = box.out / "cube.zarr" / "zarr.json"
    meta.write_text(meta.read_text()[:40])
    result = _rerun(cli, box, scheduler)
    assert_clean_error(result, 1, str(meta), "truncated")
    assert box.untouched()


def test_manifest_paths_are_relative_to_the_output_directory(done) -> None:
    box, _ = done
    data = json.loads((box.out / "manifest.json").read_text())
    stage = data["stages"]["ingest"]
    assert stage["outputs"]["cube"] == "cube.zarr"
    assert str(box.out) not in json.dumps(stage)


@pytest.mark.parametrize("how", ["moved", "copied"])
def test_a_moved_or_copied_output_directory_resumes_on_its_own_files(
    done, cli, scheduler, tmp_path: Path, how: str,
) -> None:
    box, before = done
    elsewhere = tmp_path / "elsewhere"
    if how == "moved":
        box.out.rename(elsewhere)
    else:
        shutil.copytree(box.out, elsewhere)
    # break the new copy: its own missing chunk must be recomputed (not read from the original)
    (elsewhere / "cube.zarr" / "heat" / "c" / "0" / "1").unlink()
    result = _rerun(cli, box, scheduler, out=elsewhere)
    assert result.code == 0, result.err[-3000:]
    assert "chunk file(s) missing" in result.err
    np.testing.assert_array_equal(_heat(elsewhere), before)
    again = _rerun(cli, box, scheduler, out=elsewhere)
    assert again.code == 0 and "skipped" in again.err, again.err[-3000:]
