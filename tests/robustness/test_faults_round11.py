"""Round 11 of the fault corpus: faults and resume (``docs/robustness.md``, "Round 11:
faults and resume"). What goes wrong around a run: a config edited between runs, a
manifest edited by hand, a model folder half lost, a write refused by the file-size limit.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import resource
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import TWO_RASTERS, Sandbox, assert_clean_error, process_limit
from .test_faults import uninterrupted  # noqa: F401  (a fixture: the reference cube)


def _manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    return data


def _cube_names(out: Path) -> tuple[set[str], set[str]]:
    """The cube's variable folders and the variables its consolidated metadata lists."""
    cube = out / "cube.zarr"
    folders = {p.name for p in cube.iterdir() if (p / "zarr.json").is_file()}
    listed = set(json.loads((cube / "zarr.json").read_text())
                 ["consolidated_metadata"]["metadata"])
    return folders, listed


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- a config edited between runs: what it no longer makes is not kept --------------------

def test_a_source_removed_from_the_config_leaves_no_stale_variable(
        two_stages: Sandbox, cli, scheduler: str) -> None:
    """A source removed from the job (or renamed) between runs: ingest ran again, but the
    variable it had made stayed in the cube, and train took it as a feature (every cube
    variable is one by default): a model of a layer the job no longer has."""
    box = two_stages
    heat = _tree(box.out / "cube.zarr" / "heat")
    box.write_job(sources=TWO_RASTERS[:1])  # and the index of both with it
    result = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "removed cube variable 'cold'" in " ".join(result.err.split()), result.err[-3000:]
    folders, listed = _cube_names(box.out)
    assert "cold" not in folders and "cold" not in listed, (folders, listed)
    assert "cold" in _manifest(box.out)["runs"][-1]["removed"]
    assert _tree(box.out / "cube.zarr" / "heat") == heat  # what it still makes is kept
    again = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert again.code == 0 and "removed cube variable" not in again.err, again.err[-3000:]
    assert again.err.count("skipped:") == 1, again.err[-3000:]


def test_a_section_removed_from_the_config_leaves_no_stale_variable(
        two_stages: Sandbox, cli, scheduler: str) -> None:
    """The job's 'indices' section removed: the index stayed in the cube for every later
    stage (train's features, tiles' layers) though no stage of the job makes it. A stage
    run alone on the unchanged job keeps it (control)."""
    box = two_stages
    contrast = _tree(box.out / "cube.zarr" / "CONTRAST")
    alone = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert alone.code == 0, alone.err[-3000:]
    assert _tree(box.out / "cube.zarr" / "CONTRAST") == contrast
    box.write_job(sources=TWO_RASTERS)
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "removed cube variable 'CONTRAST'" in " ".join(result.err.split()), \
        result.err[-3000:]
    folders, listed = _cube_names(box.out)
    assert "CONTRAST" not in folders and "CONTRAST" not in listed, (folders, listed)
    assert {"heat", "cold"} <= folders


# -- a manifest edited by hand is not trusted ----------------------------------------------

@pytest.mark.parametrize("edit", ["outputs emptied", "failed made done"])
def test_a_stage_record_edited_by_hand_is_not_trusted(
        sandbox: Sandbox, cli, scheduler: str, edit: str) -> None:
    """A stage record changed by hand to claim the stage done (its outputs and checks
    emptied, or 'failed' made 'done') was taken at its word: the stage was skipped with its
    output missing, exit 0, and the next stage (or the user) met the hole. Now the record
    no longer matches what Prospect wrote: it is said, kept aside, and the stage runs."""
    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    data = _manifest(box.out)
    record = data["stages"]["ingest"]
    if edit == "outputs emptied":
        record.update(outputs={}, verify={}, files={})
    else:
        record.update(status="failed", error="OSError: disk full")
        (box.out / "manifest.json").write_text(json.dumps(data))
        data = _manifest(box.out)
        data["stages"]["ingest"]["status"] = "done"
    (box.out / "manifest.json").write_text(json.dumps(data))
    heat = box.out / "cube.zarr" / "heat"
    import shutil

    shutil.rmtree(heat)
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    text = " ".join(result.err.split())
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "edited since Prospect wrote it" in text and "that stage runs again" in text, text
    assert (box.out / "manifest.damaged.json").is_file()
    assert (heat / "zarr.json").is_file()
    assert _manifest(box.out)["stages"]["ingest"]["status"] == "done"
    again = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert again.code == 0 and "skipped:" in again.err and "edited since" not in again.err, \
        again.err[-3000:]


def test_a_manifest_without_seals_is_judged_as_before(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: a manifest written before records were sealed (none has a seal) resumes
    as it did: the finished stage is skipped, nothing is said to be edited."""
    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    data = _manifest(box.out)
    for record in data["stages"].values():
        record.pop("seal", None)
    (box.out / "manifest.json").write_text(json.dumps(data))
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0 and "skipped:" in result.err, result.err[-3000:]
    assert "edited since" not in result.err and not (box.out / "manifest.damaged.json").exists()


# -- a write the disk refuses names its file -------------------------------------------------

def test_a_write_over_the_file_size_limit_names_the_file(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """A write() refused by the file-size limit (or a full disk) carries no file name: the
    error named only the output folder, and the user could not tell which file (here the
    manifest, the largest file of a tiny job) was too big."""
    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    before = (box.out / "manifest.json").read_bytes()
    with process_limit(resource.RLIMIT_FSIZE, len(before) // 2):
        result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler, "--force")
    assert_clean_error(result, 74, f"{box.out / 'manifest.json'}: ", "file-size limit")
    assert (box.out / "manifest.json").read_bytes() == before  # still whole
    assert not [p for p in box.out.rglob(".*.tmp-*")]


# -- a cube whose listing outlives its variable ---------------------------------------------

@pytest.mark.parametrize("damage", ["folder deleted", "zarr.json truncated"])
def test_a_lost_variable_without_its_record_is_recomputed_not_read_as_no_data(
        sandbox: Sandbox, cli, scheduler: str, damage: str) -> None:
    """A variable's folder deleted (or its zarr.json cut short) while the manifest's record
    of the stage that made it is lost (a manifest that no longer parses): the cube's
    consolidated metadata still listed it, so ingest took it as published and computed
    nothing, exit 0, and every reader got a layer of no data (or could not open the
    cube). Now the listing is checked against the variables' own metadata first."""
    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    import zarr

    values = np.asarray(zarr.open_array(box.out / "cube.zarr" / "heat", mode="r")[:])
    heat = box.out / "cube.zarr" / "heat"
    if damage == "folder deleted":
        import shutil

        shutil.rmtree(heat)
    else:
        (heat / "zarr.json").write_text((heat / "zarr.json").read_text()[:40])
    (box.out / "manifest.json").write_text("{")  # the record is lost
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    text = " ".join(result.err.split())
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "cube variable 'heat' is listed" in text, text[-3000:]
    np.testing.assert_array_equal(
        np.asarray(zarr.open_array(heat, mode="r")[:]), values)
    assert _cube_names(box.out)[1] >= {"heat"}


# -- a model folder half lost is rebuilt by train -------------------------------------------

def test_a_model_folder_that_lost_its_checksums_is_rebuilt_by_train(
        tmp_path: Path, cli, scheduler: str) -> None:
    """model/checksums.json removed (or lost in a crash of the disk): resume found the file
    missing and ran train again, which refused to replace the folder ("exists and is not a
    Prospect model directory; choose another path"), exit 1 on every rerun: the job could
    not resume, and the path it named is not the user's to choose."""
    import yaml

    from prospect.testing import demo_grid, make_scene

    scene = make_scene(tmp_path / "scene",
                       grid=demo_grid("bonaire", size_m=600, chunks=(30, 30)),
                       seed=3, n_wells=120)
    job_path = scene.job_config(tmp_path / "job.yaml")
    job = yaml.safe_load(job_path.read_text())
    job.pop("tiles", None)
    job.pop("indices", None)
    job["model"].update({"cv": {"n_splits": 3, "block_size": 250.0},
                         "permutation_repeats": 0, "partial_dependence": 0,
                         "params": {"n_estimators": 10}})
    job_path.write_text(yaml.safe_dump(job, sort_keys=False))
    out = tmp_path / "out"
    first = cli("run", job_path, "-o", out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    (out / "model" / "checksums.json").unlink()
    result = cli("run", job_path, "-o", out, "--scheduler", scheduler)
    text = " ".join(result.err.split())
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "running again: output model" in text and "checksums.json was removed" in text, text
    assert (out / "model" / "checksums.json").is_file()
    again = cli("run", job_path, "-o", out, "--scheduler", scheduler)
    assert again.code == 0 and again.err.count("skipped:") == 3, again.err[-3000:]


# -- a link in the output folder is never written through -----------------------------------

def test_a_link_at_the_lock_file_is_refused_not_written_through(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """``.prospect.lock`` replaced by a symbolic link to a file outside the output folder
    (a copy made with links, a user's slip): every run truncated that file and wrote its
    pid there, exit 0. Now one line names the link, and nothing outside ``-o`` changes."""
    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    lock = box.out / ".prospect.lock"
    lock.unlink()
    lock.symlink_to(box.precious / "thesis.txt")
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert_clean_error(result, 74, str(lock), "symbolic link", "remove the link")
    assert box.untouched()
    lock.unlink()
    again = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert again.code == 0 and "skipped:" in again.err, again.err[-3000:]


def test_a_link_at_the_damaged_manifest_copy_is_not_written_through(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """A damaged manifest is kept as ``manifest.damaged.json``; a link there (left by an
    earlier copy of the folder) had the damaged bytes written into the file it points to,
    outside ``-o``. The copy now replaces the link, as every output file does."""
    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    (box.out / "manifest.json").write_text("{ not json")
    kept = box.out / "manifest.damaged.json"
    kept.symlink_to(box.precious / "thesis.txt")
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0 and "does not parse" in result.err, result.err[-3000:]
    assert box.untouched()
    assert not kept.is_symlink() and kept.read_text() == "{ not json"


# -- a config edited between runs: another grid is named by what differs -------------------

def test_a_region_edited_between_runs_names_what_differs(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """The region's chunks changed in the job after a run: the refusal printed both grids
    whole (seven keys each, on one line), and the user had to diff them by eye. It names
    the keys that differ, with both values."""
    from .conftest import TINY_REGION

    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    box.write_job(region={**TINY_REGION, "chunks": [40, 40]})
    result = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, str(box.out / "cube.zarr"),
                              "chunks [20, 20] there, [40, 40] in the job", "another -o")
    assert "transform" not in line and "bounds" not in line, line


@pytest.mark.parametrize("where", ["new cube", "its metadata"])
def test_a_cube_write_over_the_file_size_limit_names_the_cube(
        sandbox: Sandbox, tmp_path: Path, cli, scheduler: str, where: str) -> None:
    """zarr's writes name no file either: a new cube (or its consolidated metadata) over
    the limit was "<out>: the file is over the file-size limit". The staged folder's or
    file's error names the cube. The new cube is made by the job's own embedded cluster
    (a subprocess, the limit its own)."""
    from prospect.config import load_job, resolve_grid
    from prospect.io.cube import create_cube

    from .conftest import run_prospect

    box = sandbox
    template = create_cube(tmp_path / "template.zarr", resolve_grid(load_job(box.job_path)))
    reference = tmp_path / "reference"
    assert cli("ingest", box.job_path, "-o", reference, "--scheduler", scheduler).code == 0
    limit = ((template if where == "new cube" else reference / "cube.zarr")
             / "zarr.json").stat().st_size - 1

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    result = run_prospect("ingest", box.job_path, "-o", box.out, "--workers", "1",
                          preexec_fn=limited)
    assert_clean_error(result, 74, f"{box.out / 'cube.zarr'}", "file-size limit")
    again = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]


# -- a resumed chunk is decoded before it is trusted ----------------------------------------

def test_a_resumed_chunk_cut_short_is_written_again_not_published(
        small_scene: Any, tmp_path: Path, cli, scheduler: str,
        uninterrupted: Path) -> None:  # noqa: F811  (the fixture imported above)
    """A job killed mid-ingest whose finished chunk files were then cut short (the machine
    lost power after the rename reached the disk, not the data; a bad disk): the resume
    took every marked chunk as done, published the damaged one and exited 0; the next
    stage's read failed ("Zstd decompression error"). Resumed chunks are decoded first,
    and one that does not decode is written again: the cube equals an uninterrupted
    run's."""
    import os
    import signal

    from .test_faults import _assert_same_cube, _frozen_mid_ingest, _ingest_only_job

    job, out = _ingest_only_job(small_scene, tmp_path)
    cut: list[Path] = []

    def power_loss(proc: Any) -> None:
        partial = out / ".cube.zarr.partial"
        for mark in sorted(partial.glob("*/done/*")):
            var = mark.parent.parent.name
            chunk = partial / var / "store" / var / "c" / Path(*mark.name.split("."))
            if chunk.is_file():
                chunk.write_bytes(chunk.read_bytes()[: chunk.stat().st_size // 2])
                cut.append(chunk)
                break
        os.killpg(proc.pid, signal.SIGKILL)

    proc, _, _ = _frozen_mid_ingest("ingest", job, out, power_loss)
    assert proc.returncode == -signal.SIGKILL and cut, proc.returncode
    result = cli("ingest", job, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    _assert_same_cube(out, uninterrupted)
    import zarr

    name = cut[0].parents[2].name  # .../<var>/store/<var>/c/<iy>/<ix>
    np.testing.assert_array_equal(
        zarr.open_array(out / "cube.zarr" / name, mode="r")[:],
        zarr.open_array(uninterrupted / "cube.zarr" / name, mode="r")[:])


# -- a file or a link where a cube variable's folder goes ------------------------------------

@pytest.mark.parametrize("put", ["a file", "a link to a folder outside -o"])
def test_a_variable_replaced_by_a_file_or_link_is_recomputed(
        sandbox: Sandbox, cli, scheduler: str, put: str) -> None:
    """``cube.zarr/heat`` replaced by a file (or by a link to another folder): the resume
    found it damaged and its repair failed ("a part of this path is a file, not a
    directory; point -o/--out elsewhere", or "Cannot call rmtree on a symbolic link"),
    exit 74 on every rerun. It is set aside like any damaged variable and recomputed; a
    link's target is never touched."""
    import zarr

    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    heat = box.out / "cube.zarr" / "heat"
    values = np.asarray(zarr.open_array(heat, mode="r")[:])
    import shutil

    shutil.rmtree(heat)
    if put == "a file":
        heat.write_text("not a variable\n")
    else:
        heat.symlink_to(box.precious)
    result = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0 and "Traceback" not in result.err, result.err[-3000:]
    assert heat.is_dir() and not heat.is_symlink()
    np.testing.assert_array_equal(np.asarray(zarr.open_array(heat, mode="r")[:]), values)
    assert box.untouched()
    assert not [p.name for p in (box.out / "cube.zarr").iterdir() if p.name.startswith(".")]


# -- the cube's own metadata without a record ------------------------------------------------

@pytest.mark.parametrize("lost", ["zarr.json", "x/zarr.json"])
def test_cube_metadata_lost_with_the_manifest_is_rebuilt(
        sandbox: Sandbox, cli, scheduler: str, lost: str) -> None:
    """The cube's root zarr.json (or a grid coordinate's) lost together with the manifest's
    record (a manifest that no longer parses, or a record not trusted): the repair that
    rebuilds it works from the record, so ingest, which the message itself named, refused
    the cube: "not a zarr v3 cube (no zarr.json); run 'prospect ingest'", exit 1 on every
    rerun. It is rebuilt from the job's grid, and the variables are kept."""
    import zarr

    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    heat = box.out / "cube.zarr" / "heat"
    values = np.asarray(zarr.open_array(heat, mode="r")[:])
    (box.out / "cube.zarr" / lost).unlink()
    (box.out / "manifest.json").write_text("")
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    text = " ".join(result.err.split())
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "written again from the job's grid" in text, text[-3000:]
    from prospect.io.cube import open_cube

    np.testing.assert_array_equal(open_cube(box.out / "cube.zarr")["heat"].values, values)


def test_a_file_where_the_cube_goes_is_named_with_the_fix(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """A file at ``cube.zarr``: ingest said "not a zarr v3 cube (no zarr.json); run
    'prospect ingest'", the command that had just failed."""
    box = sandbox
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    import shutil

    shutil.rmtree(box.out / "cube.zarr")
    (box.out / "cube.zarr").write_text("a note\n")
    line = assert_clean_error(cli("ingest", box.job_path, "-o", box.out, "--scheduler",
                                  scheduler), 1, str(box.out / "cube.zarr"), "move or remove it")
    assert "run 'prospect ingest'" not in line
    assert (box.out / "cube.zarr").read_text() == "a note\n"


def test_a_chunk_cut_short_with_the_manifest_lost_is_recomputed_in_one_run(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """A chunk file cut short while the manifest's record is lost: ingest took the
    variable as published (its fingerprint matched) and the next read failed, exit 1,
    "run 'prospect ingest'" (which then fixed it: two runs and an error for one fault).
    Without a record the cube's chunks are decoded once before the stages run."""
    import zarr

    box = sandbox
    box.write_job(tiles={"min_zoom": 10, "max_zoom": 12, "archive": False, "layers": [
        {"variable": "heat", "vmin": 0.0, "vmax": 1.0}]})
    assert cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    heat = box.out / "cube.zarr" / "heat"
    values = np.asarray(zarr.open_array(heat, mode="r")[:])
    chunk = next(p for p in sorted((heat / "c").rglob("*")) if p.is_file())
    chunk.write_bytes(chunk.read_bytes()[:10])
    (box.out / "manifest.json").write_text("")
    result = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    text = " ".join(result.err.split())
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "cube variable 'heat': chunk file(s)" in text and "do not decode" in text, text
    np.testing.assert_array_equal(np.asarray(zarr.open_array(heat, mode="r")[:]), values)
