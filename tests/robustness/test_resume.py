"""Class 5: resume verifies what it skips; a moved or copied output directory resumes alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, write_tiny_raster


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


def test_a_truncated_chunk_is_recomputed_not_read_as_garbage(done, cli, scheduler) -> None:
    box, before = done
    chunk = box.out / "cube.zarr" / "heat" / "c" / "0" / "1"
    chunk.write_bytes(chunk.read_bytes()[:20])
    result = _rerun(cli, box, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "changed size" in " ".join(result.err.split()) and "Traceback" not in result.err
    np.testing.assert_array_equal(_heat(box.out), before)
    assert box.untouched()


def test_a_damaged_manifest_is_said_kept_and_every_stage_runs_again(done, cli,
                                                                     scheduler) -> None:
    """Before: a manifest.json that no longer parsed was taken as none at all, without a
    word: the record of finished stages (hours on a large region) was silently lost."""
    box, before = done
    manifest = box.out / "manifest.json"
    damaged = manifest.read_bytes()[:200]
    manifest.write_bytes(damaged)
    result = _rerun(cli, box, scheduler)
    text = " ".join(result.err.split())
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "does not parse as JSON" in text and "warning:" in text, text[-3000:]
    assert "every stage runs again" in text and "manifest.damaged.json" in text, text[-3000:]
    assert (box.out / "manifest.damaged.json").read_bytes() == damaged
    record = json.loads(manifest.read_text())
    assert record["stages"]["ingest"]["status"] == "done"
    assert "does not parse" in record["runs"][-1]["note"]
    np.testing.assert_array_equal(_heat(box.out), before)
    again = _rerun(cli, box, scheduler)  # whole again: skipped, no warning
    assert again.code == 0 and "skipped" in again.err and "warning" not in again.err


@pytest.mark.parametrize(("damage", "said"), [
    (lambda m: m.update(stages=[1, 2]), "its 'stages' is not a mapping"),
    (lambda m: m.update(runs={"a": 1}), "its 'runs' is not a list"),
    (lambda m: m["stages"].update(ingest="done"), "stage 'ingest': not a mapping"),
    (lambda m: m["stages"]["ingest"].update(outputs=[1]), "its 'outputs' is not a mapping"),
    (lambda m: m["stages"]["ingest"].update(verify={"cube.zarr": [1]}),
     "its verify['cube.zarr'] is not a mapping of variables"),
    (lambda m: m["stages"]["ingest"].update(input_files={"x": 3}),
     "its input_files['x'] is not a mapping"),
    (lambda m: m["stages"]["ingest"].update(notes=[7]), "its 'notes' is not a list of text"),
    (lambda m: m["stages"]["ingest"].update(seq="1"), "its 'seq' is not a whole number"),
], ids=["stages", "runs", "stage", "outputs", "verify", "input-files", "notes", "seq"])
def test_a_manifest_of_the_wrong_shape_is_said_and_its_stage_runs_again(
        done, cli, scheduler, damage, said: str) -> None:
    """Before: valid JSON of the wrong shape (a list where a mapping goes) ended in
    'internal error: AttributeError' on every later run of the job."""
    box, before = done
    manifest = box.out / "manifest.json"
    record = json.loads(manifest.read_text())
    damage(record)
    manifest.write_text(json.dumps(record))
    result = _rerun(cli, box, scheduler)
    text = " ".join(result.err.split())
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "internal error" not in text and said in text and "runs again" in text, text[-3000:]
    assert json.loads(manifest.read_text())["stages"]["ingest"]["status"] == "done"
    np.testing.assert_array_equal(_heat(box.out), before)


def test_a_truncated_variable_zarr_json_is_rebuilt(done, cli, scheduler) -> None:
    box, before = done
    meta = box.out / "cube.zarr" / "heat" / "zarr.json"
    meta.write_text(meta.read_text()[:40])
    result = _rerun(cli, box, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "'heat'" in result.err and "truncated" in result.err
    np.testing.assert_array_equal(_heat(box.out), before)


def _meta(out: Path) -> dict:
    return json.loads((out / "cube.zarr" / "zarr.json").read_text())


@pytest.mark.parametrize("damage", ["truncated", "empty", "deleted"])
def test_a_damaged_cube_zarr_json_is_rebuilt(done, cli, scheduler, damage: str) -> None:
    box, before = done
    meta = box.out / "cube.zarr" / "zarr.json"
    original = _meta(box.out)
    if damage == "deleted":
        meta.unlink()
    else:
        meta.write_text(meta.read_text()[:40] if damage == "truncated" else "")
    result = _rerun(cli, box, scheduler)
    assert result.code == 0, result.err[-3000:]
    text = " ".join(result.err.split())
    assert "is missing, truncated or corrupt" in text and "Traceback" not in text
    assert "cube.zarr metadata: damaged since the last run" in text
    rebuilt = _meta(box.out)  # the same group attributes and consolidated variables
    assert rebuilt["attributes"] == original["attributes"]
    assert rebuilt["consolidated_metadata"] == original["consolidated_metadata"]
    np.testing.assert_array_equal(_heat(box.out), before)
    assert box.untouched()
    again = _rerun(cli, box, scheduler)
    assert again.code == 0 and "skipped" in again.err, again.err[-3000:]


def test_a_truncated_coordinate_zarr_json_is_rebuilt(done, cli, scheduler) -> None:
    box, before = done
    meta = box.out / "cube.zarr" / "x" / "zarr.json"
    original = meta.read_text()
    meta.write_text(original[:25])
    result = _rerun(cli, box, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "cube coordinate 'x'" in " ".join(result.err.split())
    assert json.loads(meta.read_text()) == json.loads(original)
    np.testing.assert_array_equal(_heat(box.out), before)


def test_a_deleted_variable_is_recomputed_not_taken_from_stale_metadata(
    done, cli, scheduler,
) -> None:
    box, before = done
    shutil.rmtree(box.out / "cube.zarr" / "heat")  # the consolidated metadata still lists it
    result = _rerun(cli, box, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "cube variable 'heat'" in result.err and "Traceback" not in result.err
    np.testing.assert_array_equal(_heat(box.out), before)


INDICES = {"sensor": "sentinel2", "custom": {"CONTRAST": "(N - R) / (N + R)"},
           "bands": {"N": "heat", "R": "cold"}}
TWO = [{"kind": "raster", "name": "heat", "path": "heat.tif"},
       {"kind": "raster", "name": "cold", "path": "cold.tif"}]


@pytest.fixture()
def two_stages(sandbox: Sandbox, cli, scheduler: str) -> tuple[Sandbox, np.ndarray]:
    """Ingest and an index stage done once; returns the sandbox and the index values."""
    import zarr

    write_tiny_raster(sandbox.root / "cold.tif",
                      values=np.random.default_rng(5).random((40, 40)).astype("float32"))
    sandbox.write_job(sources=TWO, indices=INDICES)
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    index = np.asarray(zarr.open_array(sandbox.out / "cube.zarr" / "CONTRAST", mode="r")[:])
    return sandbox, index


@pytest.mark.parametrize("variable", ["CONTRAST", "heat"])
def test_a_truncated_variable_of_an_earlier_stage_is_rebuilt_by_its_own_stage(
    two_stages, cli, scheduler, variable: str,
) -> None:
    import zarr

    box, index = two_stages
    meta = box.out / "cube.zarr" / variable / "zarr.json"
    meta.write_text(meta.read_text()[:60])
    result = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert f"cube variable {variable!r}" in result.err and "Traceback" not in result.err
    again = np.asarray(zarr.open_array(box.out / "cube.zarr" / "CONTRAST", mode="r")[:])
    np.testing.assert_array_equal(again, index)
    assert json.loads(meta.read_text())["node_type"] == "array"
    assert box.untouched()


def test_a_stage_run_alone_names_the_variable_an_earlier_stage_must_rebuild(
    two_stages, cli, scheduler,
) -> None:
    box, _ = two_stages
    meta = box.out / "cube.zarr" / "heat" / "zarr.json"
    meta.write_text(meta.read_text()[:60])
    chunks = sorted((box.out / "cube.zarr" / "heat" / "c").rglob("*"))
    result = cli("indices", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "'heat'", "truncated", "'prospect ingest'")
    assert sorted((box.out / "cube.zarr" / "heat" / "c").rglob("*")) == chunks  # left alone
    assert box.untouched()
    fixed = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert fixed.code == 0, fixed.err[-3000:]
    assert json.loads(meta.read_text())["node_type"] == "array"


def _damage_in_place(box: Sandbox) -> Path:
    """Flip 8 bytes in the middle of one 'heat' chunk file (same name, same size)."""
    chunk = next(p for p in sorted((box.out / "cube.zarr" / "heat" / "c").rglob("*"))
                 if p.is_file())
    data = bytearray(chunk.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 8] = bytes(b ^ 0x5A for b in data[mid:mid + 8])
    chunk.write_bytes(bytes(data))
    return chunk


def test_a_chunk_rewritten_in_place_is_named_and_one_command_recomputes_it(
        two_stages, cli, scheduler) -> None:
    """Same size, other bytes (a bad disk block, a partial overwrite): the resume check
    cannot see it, and the chunk used to decode to garbage values (no zstd checksum) or
    stop the stage with an internal error. Cube chunks carry zstd's content checksum; a
    read that fails on one names the variable, the chunk and the stage that rebuilds it,
    and records the damage in the manifest, so that the one command the message gives
    recomputes the variable (it used to ask the user to remove the folder first)."""
    import zarr

    box, index = two_stages
    heat = _heat(box.out)
    chunk = _damage_in_place(box)
    shutil.rmtree(box.out / "cube.zarr" / "CONTRAST")  # so the index stage reads 'heat'
    result = cli("indices", box.job_path, "-o", box.out, "--scheduler", scheduler)
    rel = chunk.relative_to(box.out / "cube.zarr" / "heat")
    assert_clean_error(result, 1, "heat", str(rel), "changed on disk", "'prospect ingest'")
    again = cli("indices", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert_clean_error(again, 1, "heat", "changed on disk", "'prospect ingest'")
    fixed = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)  # as it says
    assert fixed.code == 0, fixed.err[-3000:]
    assert "changed on disk" in " ".join(fixed.err.split()), fixed.err[-3000:]
    np.testing.assert_array_equal(_heat(box.out), heat)
    done = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert done.code == 0, done.err[-3000:]
    values = np.asarray(zarr.open_array(box.out / "cube.zarr" / "CONTRAST", mode="r")[:])
    np.testing.assert_array_equal(values, index)
    assert box.untouched()


def test_force_recomputes_a_chunk_rewritten_in_place(done, cli, scheduler) -> None:
    """``--force`` used to keep a published variable whose inputs are unchanged, so a
    chunk damaged in place (which only decoding finds) survived a forced rerun; a forced
    stage decodes its own variables' chunks and recomputes the damaged ones. Since round 48
    a plain rerun finds it too (the chunk files' stamps changed, and their bytes differ
    from those recorded when the stage wrote them), names the chunk and recomputes it: it
    was skipped, names and sizes unchanged."""
    box, before = done
    chunk = _damage_in_place(box)
    plain = _rerun(cli, box, scheduler)
    text = " ".join(plain.err.split())
    assert plain.code == 0 and "skipped" not in text, plain.err[-3000:]
    rel = chunk.relative_to(box.out / "cube.zarr" / "heat").as_posix()
    assert f"chunk file(s) {rel} changed on disk" in text, plain.err[-3000:]
    np.testing.assert_array_equal(_heat(box.out), before)
    _damage_in_place(box)
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler, "--force")
    assert result.code == 0, result.err[-3000:]
    assert "heat: damaged since the last run" in result.err, result.err[-3000:]
    np.testing.assert_array_equal(_heat(box.out), before)
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


def test_consolidated_metadata_that_disagrees_with_the_arrays_is_rewritten(
        done, cli, scheduler) -> None:
    """The cube's consolidated metadata (what readers open) stale against a variable's own
    zarr.json: the stage was skipped and every later read failed with 'conflicting sizes'
    or read the chunks on the wrong grid; now the rerun rewrites it from the arrays."""
    from prospect.io.cube import open_cube

    box, before = done
    meta = box.out / "cube.zarr" / "zarr.json"
    data = json.loads(meta.read_text())
    entry = data["consolidated_metadata"]["metadata"]["heat"]
    entry["shape"] = [41, 40]
    entry["chunk_grid"]["configuration"]["chunk_shape"] = [10, 10]
    meta.write_text(json.dumps(data))
    result = _rerun(cli, box, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "consolidated metadata disagrees with variable 'heat'" in " ".join(
        result.err.split()), result.err[-3000:]
    np.testing.assert_array_equal(open_cube(box.out / "cube.zarr")["heat"].values, before)
    again = _rerun(cli, box, scheduler)
    assert again.code == 0 and "skipped" in again.err, again.err[-3000:]


def test_leftovers_of_a_run_killed_mid_write_are_swept_and_nothing_else(
        done, cli, scheduler) -> None:
    """A run killed inside a write leaves hidden temporary files, staging folders and
    set-aside old copies (``.<name>.<tag>-<8 hex>``); nothing removed them, so they piled
    up in the output directory run after run."""
    box, before = done
    litter = [box.out / ".model.staging-0123abcd", box.out / "score" / ".probability.tif.tmp-"
              "deadbeef", box.out / ".cube.zarr.old-89abcdef"]
    litter[0].mkdir()
    (litter[0] / "model.skops").write_bytes(b"half")
    litter[1].parent.mkdir()
    litter[1].write_bytes(b"half a COG")
    shutil.copytree(box.out / "cube.zarr", litter[2])
    keep = [box.out / "score" / ".notes.tmp", box.out / "score" / "mine.tif.tmp-deadbeef"]
    for path in keep:
        path.write_text("the user's")
    result = _rerun(cli, box, scheduler)
    assert result.code == 0 and "left by an interrupted run" in result.err, result.err[-3000:]
    assert not any(p.exists() for p in litter)
    assert all(p.read_text() == "the user's" for p in keep)
    np.testing.assert_array_equal(_heat(box.out), before)


@pytest.mark.parametrize("force", [False, True], ids=["skipped", "rerun"])
def test_a_stage_run_alone_on_outputs_whose_inputs_changed_says_so(
        sandbox: Sandbox, cli, scheduler: str, force: bool) -> None:
    """'prospect tiles' after the ingest stage's input file changed delivered maps of the
    old data without a word (skipped as 'config and inputs unchanged', or rerun on the old
    cube). Now a warning names the changed input and the command that brings the
    outputs up to date; the stage still runs as asked (the user may mean it)."""
    sandbox.write_job(tiles={"min_zoom": 10, "max_zoom": 14, "archive": False, "layers": [
        {"variable": "heat", "vmin": 0.0, "vmax": 1.0, "colormap": "viridis"}]})
    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    unchanged = cli("tiles", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert unchanged.code == 0 and "out of date" not in unchanged.err, unchanged.err[-3000:]
    write_tiny_raster(sandbox.root / "heat.tif",
                      values=np.full((40, 40), 0.25, dtype="float32"))
    args = ["--force"] if force else []
    result = cli("tiles", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler, *args)
    assert result.code == 0, result.err[-3000:]
    text = " ".join(result.err.split())
    assert "warning: the ingest stage's outputs are out of date (its input heat" in text, text
    assert "heat.tif" in text and "run 'prospect run' (or 'prospect ingest')" in text, text
    assert "Traceback" not in text
