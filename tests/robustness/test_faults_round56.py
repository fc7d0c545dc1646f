"""Round 56, faults: a disk that filled (or a quota, a file-size limit, a table of open
files) while the train stage wrote its model was told "run the same command again to
resume (finished work is kept)", though nothing of a training resumes (round 55 left it).

All data are SYNTHETIC: a 40 x 40 raster with seeded wells, ingested and trained with the
real CLI in this process, and a disk made full by replacing one writer (``ENOSPC``).
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, write_tiny_raster

TRAIN_KEEPS = "nothing of this training is resumed, the next run trains from the start"


def _wells_job(sandbox: Sandbox) -> None:
    """SYNTHETIC: a 40 x 40 ``heat`` raster and 24 wells on its hottest cells."""
    rng = np.random.default_rng(56)
    heat = rng.random((40, 40)).astype("f4")
    hot = np.argwhere(heat > 0.8)
    pick = hot[rng.choice(len(hot), 24, replace=False)]
    write_tiny_raster(sandbox.root / "heat.tif", values=heat)
    rows = [f"w{i},{500005 + 10 * c},{1350395 - 10 * r}" for i, (r, c) in enumerate(pick)]
    (sandbox.root / "wells.csv").write_text("id,x,y\n" + "\n".join(rows) + "\n")
    sandbox.write_job(
        sources=[
            {"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
            {
                "kind": "points",
                "name": "wells",
                "path": "wells.csv",
                "x": "x",
                "y": "y",
                "crs": "EPSG:32619",
            },
        ],
        model={
            "mineral": "lithium",
            "labels": {"source": "wells"},
            "cv": {"n_splits": 3, "block_size": 100.0, "seeds": 1, "bootstrap": 0},
            "permutation_repeats": 0,
            "partial_dependence": 0,
        },
    )


def _fail_writing(monkeypatch: pytest.MonkeyPatch, name: str, code: int) -> None:
    """Make the train stage's writing of ``name`` fail with ``code`` (a full disk, a
    quota); every other write goes through."""
    from pipelines.stages import train

    real = train.write_json

    def write(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path).name == name:
            raise OSError(code, "No space left on device", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(train, "write_json", write)


def test_a_full_disk_in_the_train_stage_says_the_training_is_not_resumed(
    sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: the disk filled while the train stage wrote ``metrics.json``: the line
    said "run the same command again to resume (finished work is kept)", but a training
    keeps no chunks (its folds and fit are held in memory). Now it says what the stage
    keeps: the last run's whole model, and that the next run trains from the start."""
    _wells_job(sandbox)
    ingest = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert ingest.code == 0, (ingest.out + ingest.err)[-3000:]
    _fail_writing(monkeypatch, "metrics.json", errno.ENOSPC)
    result = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(
        result, 74, "the disk is full", "model/ keeps the last run's whole model"
    )
    assert TRAIN_KEEPS in line, line
    assert "to resume" not in line and "finished work is kept" not in line, line
    assert not (sandbox.out / "model").exists()


class _LogFile:
    """SYNTHETIC: a stream on file descriptor 2 (``2>> run.log``) whose disk is full."""

    def fileno(self) -> int:
        return 2

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_log_disk_in_the_train_stage_says_the_training_is_not_resumed(
    sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: the disk of the job's log (``2>> run.log``) filled while the train stage
    wrote to it: the line said "then run the same command again to resume (finished work
    is kept)" of a training that resumes nothing. Now it says what the stage keeps."""
    from pipelines.stages import train

    _wells_job(sandbox)
    ingest = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert ingest.code == 0, (ingest.out + ingest.err)[-3000:]

    def write(path: Any, *args: Any, **kwargs: Any) -> Any:
        stream = _LogFile()
        return stream.write(f"writing {path}\n")

    monkeypatch.setattr(train, "write_json", write)
    result = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 74, "standard error could not be written")
    assert line.endswith(TRAIN_KEEPS), line
    assert "finished work is kept" not in line, line


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (errno.EDQUOT, "the disk quota is used up; free space, then run the same command again"),
        (errno.EMFILE, "raise the limit (ulimit -n 4096), then run the same command again"),
        (errno.EFBIG, "raise the limit, then run the same command again"),
    ],
)
def test_each_disk_fault_of_a_training_says_what_the_train_stage_keeps(
    tmp_path: Path, code: int, said: str
) -> None:
    """SYNTHETIC: a quota, the open-files limit and the file-size limit met in the train
    stage say, after their fix, what the stage keeps (the open-files line claimed the
    training resumed; the others left it unsaid)."""
    from pipelines.faults import output_fault

    exc = OSError(code, "refused", str(tmp_path / ".model.staging-1a2b3c4d" / "metrics.json"))
    line = str(output_fault(exc, tmp_path, stage="train"))
    assert said in line, line
    assert line.endswith(TRAIN_KEEPS), line
    assert "finished work is kept" not in line, line


def test_a_stopped_stage_is_found_through_the_error_chain(tmp_path: Path) -> None:
    """SYNTHETIC: the stage marked on the error it stopped on is found from the error the
    job wraps it in, and a read-only disk met in the train stage says what it keeps."""
    from pipelines.faults import note_stage, output_fault, stage_of

    inner = OSError(errno.EROFS, "Read-only file system", str(tmp_path / "model"))
    note_stage(inner, "train")
    try:
        try:
            raise inner
        except OSError as err:
            raise RuntimeError("wrapped") from err
    except RuntimeError as outer:
        assert stage_of(outer) == "train"
    assert stage_of(OSError(errno.ENOSPC, "full")) is None
    line = str(output_fault(inner, tmp_path, began_writable=True, stage="train"))
    assert "run the same command again (model/ keeps the last run's whole model" in line, line
    assert TRAIN_KEEPS in line, line
    assert "to resume" not in line, line


@pytest.mark.parametrize("stage", ["ingest", "indices", "screen", "score"])
def test_a_full_disk_in_a_chunked_stage_keeps_its_resume_line(tmp_path: Path, stage: str) -> None:
    """SYNTHETIC: a stage that resumes from its finished chunks keeps its line word for
    word when the stage is passed: "run the same command again to resume (finished
    work is kept)"."""
    from pipelines.faults import output_fault

    exc = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "cube.zarr" / "x"))
    line = str(output_fault(exc, tmp_path, stage=stage))
    assert line == (
        f"{tmp_path / 'cube.zarr' / 'x'}: the disk is full; free space, then run the same "
        "command again to resume (finished work is kept)"
    ), line


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EMFILE])
def test_control_a_disk_fault_outside_any_stage_keeps_its_line(tmp_path: Path, code: int) -> None:
    """Control: an error met outside any stage (no stage given) keeps its line as before,
    a full disk's "to resume (finished work is kept)" included."""
    from pipelines.faults import _OS_HINTS, output_fault

    exc = OSError(code, "refused", str(tmp_path / "manifest.json"))
    line = str(output_fault(exc, tmp_path))
    hint = _OS_HINTS[code].format(point="write", limit=line.split("may hold ")[-1].split(" ")[0])
    assert line == f"{tmp_path / 'manifest.json'}: {hint}", line
