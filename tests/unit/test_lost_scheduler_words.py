"""A lost scheduler's line says what the stage it stopped keeps (round 56).

A training whose scheduler died was told "finished stages and written chunks are kept ...
to resume", though a training keeps no chunks and starts again from its beginning."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cluster import lost_scheduler_error
from pipelines.faults import stage_keeps


@pytest.mark.parametrize("stage", ["train", "tiles"])
def test_a_stage_keeping_no_chunks_says_what_it_keeps(stage: str) -> None:
    line = str(
        lost_scheduler_error(
            "tcp://10.0.0.1:8786", stage=stage, manifest=Path("out/manifest.json"), cause=OSError()
        )
    )
    assert "written chunks" not in line, line
    assert f"finished stages are kept (see out/manifest.json); {stage_keeps(stage)}" in line
    assert f"run the same command again to resume from stage '{stage}'" in line, line


def test_a_chunked_stage_keeps_its_written_chunks_line() -> None:
    line = str(
        lost_scheduler_error(
            "tcp://10.0.0.1:8786",
            stage="ingest",
            manifest=Path("out/manifest.json"),
            cause=OSError(),
        )
    )
    assert "finished stages and written chunks are kept (see out/manifest.json)" in line
    assert "lost the dask scheduler at tcp://10.0.0.1:8786 during stage 'ingest'" in line
