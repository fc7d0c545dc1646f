"""Resume verifies a finished stage's files, not only its cubes: a truncated COG, tile
archive or model file is recomputed by the stage that wrote it, not skipped.

The whole pipeline (ingest to tiles) runs on a small SYNTHETIC scene.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from .conftest import Outcome, assert_clean_error


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _skipped(result: Outcome) -> list[str]:
    return [line for line in result.err.splitlines() if "skipped:" in line]


def test_truncated_output_files_are_recomputed_by_their_stages(tmp_path: Path, cli,
                                                               scheduler: str) -> None:
    """A COG, a tile archive and a model file cut short after the job finished used to be
    skipped on resume (only their existence was checked); the next stage then failed on
    them, or a user got half a file as the result."""
    from prospect.testing import demo_grid, make_scene

    scene = make_scene(tmp_path / "scene",
                       grid=demo_grid("bonaire", size_m=1000, chunks=(50, 50)),
                       seed=3, n_wells=150)
    job_path = scene.job_config(tmp_path / "job.yaml", min_zoom=12, max_zoom=13)
    job = yaml.safe_load(job_path.read_text())
    job["model"].update({"cv": {"n_splits": 3, "block_size": 400.0},
                         "permutation_repeats": 0, "partial_dependence": 0,
                         "params": {"n_estimators": 20}})
    job_path.write_text(yaml.safe_dump(job, sort_keys=False))
    out = tmp_path / "out"
    first = cli("run", job_path, "-o", out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    damaged = {name: _sha(out / name) for name in
               ("score/probability.tif", "tiles/uncertainty.pmtiles", "model/model.skops")}
    for name in damaged:
        data = (out / name).read_bytes()
        (out / name).write_bytes(data[: len(data) // 2])
    result = cli("run", job_path, "-o", out, "--scheduler", scheduler)
    text = " ".join(result.err.split())
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "running again: output model" in text and "changed size" in text, text[-3000:]
    assert len(_skipped(result)) == 2, text[-3000:]  # ingest, indices
    # the same bytes again (a model file holds its training time: the same scores then)
    assert _sha(out / "score/probability.tif") == damaged["score/probability.tif"]
    assert _sha(out / "tiles/uncertainty.pmtiles") == damaged["tiles/uncertainty.pmtiles"]
    again = cli("run", job_path, "-o", out, "--scheduler", scheduler)
    assert again.code == 0 and len(_skipped(again)) == 5, again.err[-3000:]
    # each stage alone: its own damaged file is found
    for name, stage in (("tiles/uncertainty.pmtiles", "tiles"),
                        ("score/probability.tif", "score")):
        before = _sha(out / name)
        (out / name).write_bytes((out / name).read_bytes()[:100])
        alone = cli(stage, job_path, "-o", out, "--scheduler", scheduler)
        assert alone.code == 0 and "changed size" in " ".join(alone.err.split()), \
            alone.err[-3000:]
        assert _sha(out / name) == before
    # changed in place (same size: the resume check cannot see it): the read that finds it
    # names the stage that made it, and the next run recomputes it
    model = out / "model" / "model.skops"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    refused = cli("score", job_path, "-o", out, "--scheduler", scheduler, "--force")
    assert_clean_error(refused, 1, str(out / "model"), "checksum verification failed",
                       "'prospect train'")
    fixed = cli("run", job_path, "-o", out, "--scheduler", scheduler)
    assert fixed.code == 0, fixed.err[-3000:]
    assert "running again: output model" in " ".join(fixed.err.split()), fixed.err[-3000:]
    assert _sha(out / "score/probability.tif") == damaged["score/probability.tif"]
