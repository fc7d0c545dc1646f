"""Round 9 of the fault corpus: ownership of cube variables across stages, a stage run
alone after an earlier stage was recomputed, and faults found by killing, stopping and
starving real jobs (``docs/robustness.md``, "Round 9: faults").

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import (
    CONTRAST_INDEX,
    TWO_RASTERS,
    Sandbox,
    assert_clean_error,
    run_prospect,
    write_tiny_raster,
)


def _array(out: Path, name: str) -> np.ndarray:
    import zarr

    return np.asarray(zarr.open_array(out / "cube.zarr" / name, mode="r")[:])


def _manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    return data


def _edit_manifest(out: Path, change: Any) -> None:
    data = _manifest(out)
    change(data)
    (out / "manifest.json").write_text(json.dumps(data))


def _owners(out: Path, stage: str) -> dict[str, Any]:
    record = _manifest(out)["stages"][stage]["verify"]["cube.zarr"]
    return {var: entry.get("stage") for var, entry in record.items()}


def test_a_stage_rerun_without_the_earlier_records_does_not_claim_their_variables(
        two_stages: Sandbox, cli, scheduler: str) -> None:
    """With the ingest stage's record gone (a manifest damaged or written by an older
    version), a rerun of indices recorded every variable of the cube as its own; its next
    repair then removed a damaged 'heat' as if indices made it, and recomputed nothing
    (indices cannot make it): ingest's layer was lost. A stage owns what it writes."""
    box = two_stages
    _edit_manifest(box.out, lambda m: m["stages"].pop("ingest"))
    forced = cli("indices", box.job_path, "-o", box.out, "--scheduler", scheduler, "--force")
    assert forced.code == 0, forced.err[-3000:]
    assert _owners(box.out, "indices")["CONTRAST"] == "indices"
    assert _owners(box.out, "indices")["heat"] != "indices"
    heat = box.out / "cube.zarr" / "heat"
    chunk = next(p for p in sorted((heat / "c").rglob("*")) if p.is_file())
    chunk.write_bytes(chunk.read_bytes()[:10])
    again = cli("indices", box.job_path, "-o", box.out, "--scheduler", scheduler, "--force")
    assert "Traceback" not in again.err and "internal error" not in again.err
    assert chunk.is_file(), "the ingest stage's variable was removed by indices"
    fixed = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert fixed.code == 0, fixed.err[-3000:]
    assert _owners(box.out, "ingest")["heat"] == "ingest"
    assert _owners(box.out, "indices")["heat"] == "ingest"


def test_a_wrong_claim_of_an_earlier_manifest_is_not_trusted(
        two_stages: Sandbox, cli, scheduler: str) -> None:
    """A manifest written before this round can name the later stage as the maker of an
    earlier stage's variable (in every record: each copied the first claim). The rerun of
    that stage must neither remove the variable nor keep the wrong claim."""
    box = two_stages

    def claim(m: dict[str, Any]) -> None:
        for record in m["stages"].values():
            record["verify"]["cube.zarr"]["heat"]["stage"] = "indices"
    _edit_manifest(box.out, claim)
    write_tiny_raster(box.root / "heat.tif",
                      values=np.random.default_rng(9).random((40, 40)).astype("float32"))
    result = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert (box.out / "cube.zarr" / "heat" / "zarr.json").is_file()
    assert _owners(box.out, "indices")["heat"] == "ingest"
    assert _owners(box.out, "ingest")["heat"] == "ingest"


def test_a_stage_run_alone_after_an_earlier_stage_was_recomputed_runs(
        two_stages: Sandbox, cli, scheduler: str) -> None:
    """'prospect ingest' after an input changed, then 'prospect indices': indices was
    refused ('changed size ... run prospect ingest', which then had nothing to do), as its
    own snapshot of ingest's variables was compared with the new ones. Now it runs on the
    new cube, and its index equals a fresh run's."""
    box = two_stages
    write_tiny_raster(box.root / "heat.tif",
                      values=np.random.default_rng(9).random((40, 40)).astype("float32"))
    ingest = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert ingest.code == 0, ingest.err[-3000:]
    result = cli("indices", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "running again: ingest was recomputed after it" in " ".join(result.err.split())
    heat, cold = _array(box.out, "heat"), _array(box.out, "cold")
    np.testing.assert_allclose(_array(box.out, "CONTRAST"), (heat - cold) / (heat + cold),
                               rtol=1e-5)
    again = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert again.code == 0 and "running again" not in again.err, again.err[-3000:]


def test_a_stage_run_alone_on_an_earlier_stage_that_is_out_of_date_says_so(
        two_stages: Sandbox, cli, scheduler: str) -> None:
    """'prospect tiles' (here: indices' reader) after ingest was recomputed by another
    command, with indices not rerun: a stage run alone warned of changed settings and input
    files only, not of an earlier stage recomputed under it."""
    box = two_stages
    box.write_job(sources=TWO_RASTERS, indices=CONTRAST_INDEX, tiles={
        "min_zoom": 10, "max_zoom": 12, "archive": False,
        "layers": [{"variable": "CONTRAST", "vmin": -1.0, "vmax": 1.0}]})
    assert cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    write_tiny_raster(box.root / "heat.tif",
                      values=np.random.default_rng(9).random((40, 40)).astype("float32"))
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    result = cli("tiles", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    text = " ".join(result.err.split())
    assert "the indices stage's outputs are out of date (ingest was recomputed after it)" \
        in text, text
    assert "'prospect indices'" in text, text


def test_another_jobs_output_folder_is_refused_before_its_record_is_lost(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """A job on another grid run with the -o of a finished job: ingest refused the cube,
    but the manifest had already been replaced, so the finished job's record was lost and
    its next run computed every stage again (train and score included)."""
    box = sandbox
    other = box.root / "other.yaml"
    region = {**box.job()["region"], "bounds": [500000.0, 1350000.0, 500200.0, 1350200.0]}
    other.write_text(json.dumps(box.job(name="other", region=region)))
    box.write_job()
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    result = cli("ingest", other, "-o", box.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "cube.zarr", "another -o")
    assert _manifest(box.out)["job"] == "tiny"
    again = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert again.code == 0 and "skipped: finished" in again.err, again.err[-3000:]
    assert box.untouched()


def _train_job(scene: Any, tmp_path: Path) -> Path:
    """The scene's job with ingest and a quick train only (no indices, score or tiles)."""
    import yaml

    full = yaml.safe_load(scene.job_config(tmp_path / "full.yaml").read_text())
    for key in ("indices", "tiles"):
        full.pop(key, None)
    full["model"].update(uncertainty_members=2, permutation_repeats=0, partial_dependence=0,
                         params={"n_estimators": 20})
    full["model"]["cv"].update(n_splits=2, seeds=1, bootstrap=0)
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump(full))
    return job


def test_a_full_disk_when_the_model_is_saved_is_one_line_and_resumes(
        small_scene: Any, small_disk: Any, tmp_path: Path, cli, scheduler: str) -> None:
    """skops wraps every failure of a save in its own error: a full disk while train
    saved the model was 'error: cannot save Pipeline with skops: [Errno 28] No space left
    on device', exit 1, without the path or the fix. A library's error raised from a disk
    error is that disk error now (exit 74, the path, 'free space')."""
    import os

    job = _train_job(small_scene, tmp_path)
    small_disk.remount("size=30m")
    out = small_disk.root / "out"
    assert cli("ingest", job, "-o", out, "--scheduler", scheduler).code == 0
    free = os.statvfs(out)
    filler = small_disk.root / "filler"
    with filler.open("wb") as fh:  # room for the manifest, not for the model (~1 MiB)
        os.posix_fallocate(fh.fileno(), 0, free.f_bavail * free.f_frsize - 2**18)
    result = cli("train", job, "-o", out, "--scheduler", scheduler)
    assert_clean_error(result, 74, str(out), "disk is full")
    stages = _manifest(out)["stages"]  # whole: written atomically, or not at all
    assert stages["ingest"]["status"] == "done" and "done" not in str(stages.get("train"))
    assert not (out / "model").exists()
    filler.unlink()
    again = cli("train", job, "-o", out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    assert (out / "model" / "model.skops").is_file()


def test_an_input_rewritten_with_its_old_size_and_mtime_is_seen(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """An input file replaced by another of the same size whose mtime was kept (``cp -p``,
    ``rsync -t``, ``touch -r``, an unpacked archive) was taken as unchanged: the stage was
    skipped and the cube kept the old values. The change time (ctime), which no tool can
    set back, now makes the check read the file's SHA-256."""
    import os

    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    heat = box.root / "heat.tif"
    st = heat.stat()
    new = np.full((40, 40), 0.5, dtype="float32")
    write_tiny_raster(heat, values=new)
    assert heat.stat().st_size == st.st_size
    os.utime(heat, ns=(st.st_atime_ns, st.st_mtime_ns))
    box.write_job()  # the new heat.tif is the user's
    # a new process and cluster, as a user's next command has (this process's SHA-256
    # cache is keyed by size and mtime, prospect.io.files.file_sha256, and the shared
    # cluster's workers read the file's old pixels)
    result = run_prospect("ingest", box.job_path, "-o", box.out, "--workers", "1")
    assert result.code == 0, result.err[-3000:]
    assert "input heat:heat.tif" in result.err and "changed" in result.err, result.err[-3000:]
    np.testing.assert_array_equal(_array(box.out, "heat"), new)
    again = run_prospect("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert again.code == 0 and "skipped: finished" in again.err, again.err[-3000:]


def test_a_full_disk_under_a_cog_is_the_disks_error_not_an_internal_one(
        small_disk: Any, tmp_path: Path) -> None:
    """GDAL reports a full disk as "Write failed. See previous exception for details.",
    without an errno: the score stage's COG ended the job in 'internal error: Exception:
    RasterioIOError' (exit 70). The write is retried as a probe of the disk, whose own
    error names the COG (and the runner words it: exit 74, 'disk is full')."""
    import errno
    import os

    from pipelines.stages.score import deliver_map
    from prospect.config import load_job, resolve_grid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing.cubes import float_layer

    job = tmp_path / "job.yaml"
    job.write_text(json.dumps(Sandbox(tmp_path / "box").job()))
    grid = resolve_grid(load_job(job))
    cube = create_cube(tmp_path / "cube.zarr", grid)
    values = np.random.default_rng(3).random(grid.shape)
    add_variables(cube, float_layer(values, name="probability", units="1", long_name="p",
                                    like=open_cube(cube)).to_dataset())
    small_disk.remount("size=1m")
    score_dir = small_disk.root / "score"
    score_dir.mkdir()
    free = os.statvfs(score_dir)
    with (small_disk.root / "filler").open("wb") as fh:
        os.posix_fallocate(fh.fileno(), 0, free.f_bavail * free.f_frsize)
    with pytest.raises(OSError) as caught:
        deliver_map(cube, "probability", score_dir, grid, {})
    assert caught.value.errno == errno.ENOSPC, repr(caught.value)
    assert caught.value.filename == str(score_dir / "probability.tif")
    assert sorted(p.name for p in score_dir.iterdir()) == []
