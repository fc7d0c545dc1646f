"""Fault round 27 (second wave): output folders and paths (``docs/robustness.md``,
"Round 27: output folders").

A job's ``-o`` through a loop of symbolic links, ``-o`` holding ``::`` run through every
stage command, and a stage whose finished record the disk refuses (a real file-size limit,
``RLIMIT_FSIZE``, set on the real ``prospect`` process). The rasters and scenes are tiny
and SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import PROSPECT, REPO, Sandbox, assert_clean_error

LOOP_SAID = "leads back to itself"


def _loop(root: Path) -> tuple[Path, Path]:
    """Two symbolic links that point at each other under ``root``: ``(a, b)``."""
    root.mkdir(parents=True, exist_ok=True)
    a, b = root / "loop-a", root / "loop-b"
    a.symlink_to(b)
    b.symlink_to(a)
    return a, b


def _listing(root: Path) -> list[str]:
    """Every path under ``root``, links not followed."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# -- 1. an output folder through a loop of symbolic links ----------------------------------


@pytest.mark.parametrize(
    ("command", "below"),
    [(["ingest", "JOB"], ""), (["run", "JOB"], "sub/out"), (["plan", "JOB"], "")],
)
def test_an_output_folder_through_a_loop_of_links_is_refused_in_one_line(
    sandbox: Sandbox, cli: Any, command: list[str], below: str
) -> None:
    """Before: `prospect ingest JOB -o LINK` where LINK is one of two links that point at
    each other (a tidy-up that swapped `runs` and `runs.old` links) was "internal error:
    RuntimeError: Symlink loop from ...", exit 70, "this is a bug in Prospect"; below such
    a link too. Now exit 2, one line naming the link, before anything is written; the
    plan refuses it as the run does."""
    a, _ = _loop(sandbox.root / "links")
    out = a / below if below else a
    before = _listing(sandbox.root)
    args = [str(sandbox.job_path) if x == "JOB" else x for x in command]
    result = cli(*args, "-o", out)
    text = result.out + result.err
    assert result.code == 2, text[-3000:]
    assert LOOP_SAID in text and str(a) in text, text[-3000:]
    assert "internal error" not in text and "Traceback" not in text, text[-3000:]
    assert _listing(sandbox.root) == before
    assert sandbox.untouched()


def test_an_output_folder_through_a_link_that_resolves_still_runs(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Control: `-o` below a link to a real folder (scratch linked into the project) is
    the folder it leads to: exit 0, the cube there."""
    scratch = sandbox.root.parent / "scratch"
    scratch.mkdir()
    link = sandbox.root / "runs"
    link.symlink_to(scratch)
    result = cli("ingest", sandbox.job_path, "-o", link / "out", "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert (scratch / "out" / "cube.zarr" / "heat" / "zarr.json").is_file()


# -- 2. an output folder whose name is not UTF-8 --------------------------------------------


def test_an_output_folder_named_in_another_encoding_is_refused_before_the_job(
    finished: tuple[Path, Path], cli: Any, scheduler: str, tmp_path: Path
) -> None:
    """Before: `-o runs/caf\\xe9` (a folder named on a Latin-1 system, bytes that are no
    UTF-8) ran ingest and indices, then train failed writing the model card ("a file name
    holds characters this process cannot encode", exit 2): half a job, its rest never
    possible in that folder. Now `-o` is refused in one line before anything is written,
    the bytes shown and the fix (rename in UTF-8 or another path), exit 2."""
    job_path, _ = finished
    job = tmp_path / "job.yaml"
    shutil.copyfile(job_path, job)
    latin1 = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9")
    result = cli("run", job, "-o", latin1, "--scheduler", scheduler)
    text = result.out + result.err
    assert result.code == 2, text[-3000:]
    assert "caf\\xe9" in text and "not UTF-8" in text, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    assert not os.path.lexists(latin1)


def test_an_output_folder_with_accented_letters_in_utf8_still_runs(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Control: an accented name in UTF-8 (`-o résultats/out`) is a folder as any other."""
    out = sandbox.root / "résultats" / "out"
    result = cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert (out / "cube.zarr" / "heat" / "zarr.json").is_file()


# -- 3. an output folder holding '::' -------------------------------------------------------


def _chunks(cube: Path) -> dict[str, bytes]:
    """Every chunk file of a cube (its data), by path inside it."""
    return {
        str(p.relative_to(cube)): p.read_bytes()
        for p in sorted(cube.rglob("*"))
        if p.is_file() and "c" in p.relative_to(cube).parts
    }


def test_every_output_command_works_in_a_folder_holding_a_double_colon(
    finished: tuple[Path, Path], cli: Any, scheduler: str, tmp_path: Path
) -> None:
    """Before: `-o DIR/runs::2/out` was refused by every job command ("'::' in a local path
    is read by zarr and fsspec as URLs chained ..., so the cube would be written elsewhere
    or not at all", exit 2), which has not held since round 26: every cube, array and
    model is opened through `prospect.io.cube.zarr_store`, a local folder whatever its
    name holds. Now the job runs there from ingest to tiles, its chunks byte for byte those
    of a plain name, nothing under `DIR/runs`; each stage command, the plan and the rerun's
    verification take the folder too."""
    job_path, plain = finished
    job = tmp_path / "job.yaml"
    shutil.copyfile(job_path, job)
    out = tmp_path / "runs::2" / "out"
    result = cli("run", job, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert {k: v["status"] for k, v in manifest["stages"].items()} == {
        "ingest": "done",
        "indices": "done",
        "train": "done",
        "score": "done",
        "tiles": "done",
    }
    assert _chunks(out / "cube.zarr") == _chunks(plain / "cube.zarr")
    assert (out / "viewer" / "index.html").is_file()
    assert not (tmp_path / "runs").exists()
    for stage in ("ingest", "indices", "train", "score", "tiles"):
        again = cli(stage, job, "-o", out, "--scheduler", scheduler)
        assert again.code == 0, (stage, again.err[-3000:])
        assert "skipped" in again.err, (stage, again.err[-3000:])
    planned = cli("plan", job, "-o", out)
    assert planned.code == 0, planned.err[-3000:]
    assert not (tmp_path / "runs").exists()


def test_a_double_colon_in_the_registry_still_names_a_local_folder(
    cli: Any, tmp_path: Path
) -> None:
    """Control: the registry's `-r DIR/reg::2` is a local folder, as before (fsspec would
    open `DIR/reg` through it): nothing is listed from elsewhere and nothing made."""
    result = cli("model", "list", "-r", tmp_path / "reg::2")
    assert result.code == 0, result.err[-3000:]
    assert "no models" in result.out + result.err
    assert not (tmp_path / "reg").exists()


# -- 4. a stage whose finished record the disk refuses --------------------------------------


def _under_file_size_limit(limit: int, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``prospect ARGS`` with a real file-size limit of ``limit`` bytes (``ulimit -f``):
    every write past it fails with EFBIG, as a full disk's fails with ENOSPC."""
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [*PROSPECT, *(str(a) for a in args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=240,
        preexec_fn=limited,
    )


def test_a_stage_record_the_disk_refuses_leaves_the_stage_failed_not_running(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ingest finished its cube, then the manifest could not take its record (the
    disk full, over its quota or `ulimit -f`): the line said so (exit 74), but the
    manifest was left with the stage and the run `running`, as if a job still worked on
    them, the error nowhere. Now the stage is recorded `failed` with what happened (the
    record is taken back and the smaller failure record written), the run `failed`, the
    manifest whole JSON; the same command then takes the cube as made (0 chunks
    computed). A long description makes the manifest, not the cube, the largest file."""
    job = sandbox.job(description="SYNTHETIC " + "x" * 9000)
    sandbox.job_path.write_text(yaml.safe_dump(job, sort_keys=False))
    free = sandbox.root.parent / "free" / "out"  # same length as sandbox.out's path below
    first = cli("ingest", sandbox.job_path, "-o", free, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    whole = (free / "manifest.json").stat().st_size
    largest_cube_file = max(
        p.stat().st_size for p in (free / "cube.zarr").rglob("*") if p.is_file()
    )
    limit = whole - 1000  # the finished record does not fit, the stage's failure does
    assert limit > largest_cube_file
    out = sandbox.root.parent / "full" / "out"
    proc = _under_file_size_limit(
        limit, "ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode == 74, text[-3000:]
    assert "manifest.json" in text and "file-size limit" in text, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    ingest = manifest["stages"]["ingest"]
    assert ingest["status"] == "failed", ingest
    assert "could not be written to manifest.json" in ingest["error"], ingest
    assert manifest["runs"][-1]["status"] == "failed", manifest["runs"][-1]
    again = cli("ingest", sandbox.job_path, "-o", out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    redone = json.loads((out / "manifest.json").read_text())["stages"]["ingest"]
    assert redone["status"] == "done"
    assert redone["metrics"]["chunks_computed"] == 0, redone["metrics"]


def test_a_disk_refusing_the_record_says_it_in_one_line(
    sandbox: Sandbox, scheduler: str, tmp_path: Path
) -> None:
    """Control: the refused record is said as before, in one line: the file, the limit
    and the fix, exit 74."""
    job = sandbox.job(description="SYNTHETIC " + "x" * 9000)
    sandbox.job_path.write_text(yaml.safe_dump(job, sort_keys=False))
    proc = _under_file_size_limit(
        9000, "ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler
    )
    from .conftest import Outcome

    assert_clean_error(
        Outcome(proc.returncode, proc.stdout, proc.stderr), 74, "manifest.json", "file-size limit"
    )
