"""Round 13 of the fault corpus: faults in the later stages (``docs/robustness.md``,
"Round 13: faults in train, score and tiles"). A finished job's tiles config edited
between runs, its delivered files changed after the job, its manifest replaced by an
older copy.

The whole pipeline (ingest to tiles) runs once on a small SYNTHETIC scene; each case works
on a copy of that output folder.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from .conftest import Outcome, run_in_process, run_job


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _skipped(result: Outcome) -> list[str]:
    return [line for line in result.err.splitlines() if "skipped:" in line]


def _text(result: Outcome) -> str:
    return " ".join((result.out + result.err).split())


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _sha(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}




# -- a tiles config edited between runs: what the job no longer makes is not delivered ----

def test_a_tile_layer_dropped_from_the_config_leaves_no_stale_pyramid(
        job, cli, scheduler: str) -> None:
    """The uncertainty layer removed from ``tiles.layers``: the tiles stage ran again, but
    ``tiles/uncertainty/`` and ``tiles/uncertainty.pmtiles`` stayed, the maps of whatever
    model made them, handed to partners beside the new ones."""
    config, out = job
    probability = _tree(out / "tiles" / "probability")
    config["tiles"]["layers"] = config["tiles"]["layers"][:1]
    result = run_job(cli, config, out, scheduler)
    text = _text(result)
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert not (out / "tiles" / "uncertainty").exists(), text[-3000:]
    assert not (out / "tiles" / "uncertainty.pmtiles").exists()
    assert "removed tiles/uncertainty.pmtiles" in text, text[-3000:]
    assert _tree(out / "tiles" / "probability") == probability  # what it makes is kept
    run = json.loads((out / "manifest.json").read_text())["runs"][-1]
    assert {"tiles/uncertainty", "tiles/uncertainty.pmtiles"} <= set(run["removed"])
    again = run_job(cli, config, out, scheduler)
    assert again.code == 0 and len(_skipped(again)) == 5, again.err[-3000:]
    assert "removed" not in _text(again)


def test_the_archive_turned_off_removes_the_old_archive(job, cli, scheduler: str) -> None:
    """``tiles.archive: false`` after a run with archives: the old ``.pmtiles`` stayed, of
    the old palette and zooms once those changed too."""
    config, out = job
    config["tiles"]["archive"] = False
    config["tiles"]["layers"][0]["colormap"] = "viridis"
    result = run_job(cli, config, out, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert not list((out / "tiles").glob("*.pmtiles")), sorted((out / "tiles").iterdir())
    assert (out / "tiles" / "probability" / "legend.png").is_file()


def test_a_user_file_beside_the_tiles_and_unrecorded_paths_are_kept(
        job, cli, scheduler: str) -> None:
    """Control: only what the stage's own record lists is removed; a user's file in
    ``tiles/``, the cube, the model and the score stage's COGs are never touched."""
    config, out = job
    note = out / "tiles" / "README.txt"
    note.write_text("for the ministry\n")
    cog = _sha(out / "score" / "probability.tif")
    config["tiles"]["layers"] = config["tiles"]["layers"][1:]
    result = run_job(cli, config, out, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert note.read_text() == "for the ministry\n"
    assert _sha(out / "score" / "probability.tif") == cog
    assert (out / "model" / "checksums.json").is_file() and (out / "cube.zarr").is_dir()
    assert not (out / "tiles" / "probability").exists()


def test_zooms_edited_between_runs_leave_no_tiles_of_the_old_zooms(
        job, cli, scheduler: str) -> None:
    """Control: the pyramid is replaced as a whole, so a zoom the job no longer asks for
    is gone from the folder and the archive."""
    config, out = job
    assert (out / "tiles" / "probability" / "13").is_dir()
    config["tiles"]["min_zoom"], config["tiles"]["max_zoom"] = 14, 14
    result = run_job(cli, config, out, scheduler)
    assert result.code == 0, result.err[-3000:]
    zooms = {p.name for p in (out / "tiles" / "probability").iterdir() if p.is_dir()}
    assert zooms == {"14"}, zooms


# -- delivered files changed after the job ------------------------------------------------

def _a_tile(out: Path) -> Path:
    return next(iter(sorted((out / "tiles" / "probability").rglob("*.png"))))


def test_a_tile_rewritten_at_its_own_size_is_rendered_again(job, cli, scheduler: str) -> None:
    """A tile (or a legend, a TileJSON, an archive) changed in place at the same size (a
    bad disk, an edit, an older copy put back): only sizes were compared, so the tiles
    stage was skipped as finished and the wrong tile delivered. A file whose mtime is not
    the one recorded is now read and compared with its recorded SHA-256."""
    config, out = job
    tile = _a_tile(out)
    before = tile.read_bytes()
    data = bytearray(before)
    data[len(data) // 2] ^= 0xFF
    tile.write_bytes(bytes(data))
    result = run_job(cli, config, out, scheduler)
    text = _text(result)
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "was rewritten since it was written" in text, text[-3000:]
    assert tile.read_bytes() == before
    assert len(_skipped(result)) == 4, text[-3000:]


def test_an_archive_rewritten_at_its_own_size_is_written_again(
        job, cli, scheduler: str) -> None:
    config, out = job
    archive = out / "tiles" / "uncertainty.pmtiles"
    before = archive.read_bytes()
    archive.write_bytes(before[:-16] + b"\0" * 16)
    result = run_job(cli, config, out, scheduler, "tiles")
    assert result.code == 0 and "was rewritten" in _text(result), result.err[-3000:]
    assert archive.read_bytes() == before


def test_a_copied_output_folder_with_new_mtimes_still_skips_every_stage(
        finished: tuple[Path, Path], tmp_path: Path, cli, scheduler: str) -> None:
    """Control: a copy without its mtimes (``cp -r``) holds the same bytes; each file is
    read once and every stage is still skipped."""
    job_path, out = finished
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, copy_function=shutil.copyfile)
    result = cli("run", job_path, "-o", copy, "--scheduler", scheduler)
    assert result.code == 0 and len(_skipped(result)) == 5, result.err[-3000:]


def test_a_tile_deleted_after_the_job_is_rendered_again(job, cli, scheduler: str) -> None:
    """Control: a removed tile makes the tiles stage run again, and only it."""
    config, out = job
    tile = _a_tile(out)
    before = tile.read_bytes()
    tile.unlink()
    result = run_job(cli, config, out, scheduler)
    assert result.code == 0 and len(_skipped(result)) == 4, result.err[-3000:]
    assert tile.read_bytes() == before


def test_a_manifest_put_back_from_an_older_run_does_not_hide_newer_tiles(
        job, cli, scheduler: str) -> None:
    """Control: the manifest of an earlier config put back over one whose tiles were
    drawn in another palette: the tiles are drawn again in the config's palette."""
    config, out = job
    older = (out / "manifest.json").read_bytes()
    tile = _a_tile(out)
    original = tile.read_bytes()
    other = json.loads(json.dumps(config))
    other["tiles"]["layers"][0]["colormap"] = "viridis"
    assert run_job(cli, other, out, scheduler).code == 0
    assert tile.read_bytes() != original
    (out / "manifest.json").write_bytes(older)
    result = run_job(cli, config, out, scheduler)
    assert result.code == 0 and len(_skipped(result)) == 4, result.err[-3000:]
    assert tile.read_bytes() == original


# -- a model replaced after train: a stage run alone never uses it unseen -----------------

@pytest.fixture(scope="module")
def other_model(finished: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory,
                scheduler: str) -> Path:
    """A whole, valid model folder (checksums and all) of the same features, trained with
    other settings in another output folder."""
    job_path, out = finished
    config = yaml.safe_load(job_path.read_text())
    config["model"]["params"]["n_estimators"] = 7
    config.pop("tiles")
    root = tmp_path_factory.mktemp("other-model")
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.copytree(out, root / "out", symlinks=True)  # its cube: train alone
    result = run_in_process("train", path, "-o", root / "out", "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return root / "out" / "model"


@pytest.mark.parametrize("stage", ["score", "tiles"])
def test_a_model_replaced_after_train_is_not_taken_by_a_stage_run_alone(
        job, other_model: Path, cli, scheduler: str, stage: str) -> None:
    """``model/`` replaced by another valid model after the job: ``prospect score`` was
    skipped as finished, its map made by a model no longer there (``prospect tiles``
    likewise), and with ``--force`` it scored with the replacement without a word. Both
    are one line naming the changed file and ``prospect train``, and nothing is
    rewritten; ``prospect run`` trains again."""
    config, out = job
    cog = _sha(out / "score" / "probability.tif")
    tiles = _tree(out / "tiles")
    shutil.rmtree(out / "model")
    shutil.copytree(other_model, out / "model")
    for args in ((stage,), (stage, "--force")):
        result = run_job(cli, config, out, scheduler, *args)
        text = _text(result)
        assert result.code == 1 and "Traceback" not in text, text[-3000:]
        line = result.error_lines[0] if result.error_lines else text
        assert "model/" in line and "'prospect train'" in line, line
    assert _sha(out / "score" / "probability.tif") == cog
    assert _tree(out / "tiles") == tiles
    fixed = run_job(cli, config, out, scheduler)
    assert fixed.code == 0, fixed.err[-3000:]
    assert "running again: output" in _text(fixed) and len(_skipped(fixed)) == 2
    assert _sha(out / "score" / "probability.tif") == cog  # the job's own model again


def test_a_stage_run_alone_on_whole_earlier_outputs_is_skipped(
        job, cli, scheduler: str) -> None:
    """Control: with the model and COGs as train and score wrote them (a note added in
    ``model/``), ``prospect score`` and ``prospect tiles`` are skipped as before."""
    config, out = job
    (out / "model" / "NOTES.txt").write_text("reviewed\n")
    for stage in ("score", "tiles"):
        result = run_job(cli, config, out, scheduler, stage)
        assert result.code == 0 and len(_skipped(result)) == 1, result.err[-3000:]


# -- a train killed in a rerun: the old model is whole, and said to be old ----------------

def _kill_when_running(args: list[str], out: Path, stage: str, *, after: float) -> None:
    """Run ``prospect ARGS`` as its own process group; SIGKILL it ``after`` seconds into
    ``stage`` (as its manifest records it running)."""
    import os
    import signal
    import subprocess
    import time

    from .conftest import PROSPECT, REPO

    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    proc = subprocess.Popen([*PROSPECT, *args], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                stages = json.loads((out / "manifest.json").read_text())["stages"]
                if stages[stage]["status"] == "running":
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.02)
        time.sleep(after)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_a_train_killed_in_a_rerun_leaves_the_old_model_whole_and_said_to_be_old(
        job, cli, scheduler: str) -> None:
    """The model's settings edited, ``prospect run`` killed -9 inside train: ``model/``
    is the earlier run's, whole (never half a model), and ``prospect score`` alone then
    scored with it without a word: the train stage's record said ``running``, and only a
    finished stage was looked at. It warns now, naming ``prospect run``; the run resumes."""
    config, out = job
    config["model"]["params"]["n_estimators"] = 9
    path = out.parent / "job.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    model = _tree(out / "model")
    _kill_when_running(["run", str(path), "-o", str(out)], out, "train", after=0.5)
    assert _tree(out / "model") == model  # the old one, whole
    result = cli("score", path, "-o", out, "--scheduler", scheduler)
    text = _text(result)
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "the train stage's outputs are out of date (its last run was cut short" in text, \
        text[-3000:]
    resumed = cli("run", path, "-o", out, "--scheduler", scheduler)
    assert resumed.code == 0 and len(_skipped(resumed)) == 2, resumed.err[-3000:]
    assert json.loads((out / "model" / "card.json").read_text()) != {}
    assert _tree(out / "model") != model


def test_a_record_naming_paths_outside_the_output_folder_removes_nothing_there(
        tmp_path: Path) -> None:
    """Control: what an edited or foreign record names outside ``-o`` (``..``, an absolute
    path, a link out), the folder itself, the cube and the manifest are never stale
    outputs, whatever the stage makes now."""
    from pipelines.verify import unmade_outputs

    out = tmp_path / "out"
    (out / "cube.zarr").mkdir(parents=True)
    (out / "cube.zarr" / "zarr.json").write_text('{"node_type": "group"}')
    (out / "manifest.json").write_text("{}")
    (out / "tiles" / "old").mkdir(parents=True)
    precious = tmp_path / "precious"
    precious.mkdir()
    (out / "tiles" / "link").symlink_to(precious)
    before = {"a": "../precious", "b": str(precious), "c": ".", "d": "cube.zarr",
              "e": "manifest.json", "f": "tiles/link", "g": "tiles/old", "h": "tiles"}
    stale = unmade_outputs(out, before, {"h": "tiles"}, keep=[out / "manifest.json"])
    assert stale == []  # tiles/old lies inside an output made now
    stale = unmade_outputs(out, before, {}, keep=[out / "manifest.json"])
    assert [label for label, _ in stale] == ["g", "h"], stale
