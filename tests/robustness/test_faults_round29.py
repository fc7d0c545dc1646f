"""Fault round 29: a terminal of no width, dask configuration files dask cannot read, and
another tool's zarr store where the job's cube goes (``docs/robustness.md``, "Round 29:
faults").

The real ``prospect`` command, in this process where it can be (``COLUMNS`` set as a
shell sets it; the zarr stores written by zarr and xarray into the output folder), and as
a subprocess where a fresh import of dask matters (its configuration is read once, as it
is first imported). The rasters are tiny and SYNTHETIC.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import PROSPECT, REPO, Outcome, Sandbox, assert_clean_error


def _tree(folder: Path) -> dict[str, str]:
    """Path -> SHA-256 of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# -- 1. a terminal of no width ---------------------------------------------------------------


@pytest.mark.parametrize("columns", ["0", "\u00b2"], ids=["zero", "superscript-two"])
def test_a_terminal_of_no_width_still_shows_the_error(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """``COLUMNS=0`` (a container's or CI runner's pseudo-terminal of width 0, a script
    that exported ``tput cols`` without a terminal): Rich took it as a console zero
    columns wide and printed nothing in it. ``prospect run`` of a missing config exited 2
    without a word. ``COLUMNS=²`` (a digit no number is written in) was a traceback:
    Rich took it for a number, and ``int()`` refused it. Now the terminal's own width is
    read instead, as Python's ``shutil.get_terminal_size`` does, and the error line is
    printed; ``COLUMNS`` is as it was once the command has returned."""
    monkeypatch.setenv("COLUMNS", columns)
    result = cli("run", sandbox.root / "gone.yaml", "-o", sandbox.out)
    assert_clean_error(result, 2, "gone.yaml", "config file not found")
    assert os.environ["COLUMNS"] == columns


def test_a_run_under_a_terminal_of_no_width_prints_its_summary(
    sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job run with ``COLUMNS=0`` printed no stage, no summary and no output path (exit
    0). Now it prints them as on a terminal of the usual width."""
    monkeypatch.setenv("COLUMNS", "0")
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "Prospect run summary" in result.err, result.err
    assert "ingest.chunks_computed = 4" in result.err, result.err


def test_a_terminal_width_past_any_screen_is_read_as_the_widest(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``COLUMNS`` of 16 digits (a script's arithmetic gone wrong, a width pasted twice):
    Rich built the help's panels and a job's rules that wide: ``prospect -h`` ended as
    "error: out of memory (MemoryError); finished chunks are kept. Use smaller chunks
    ...", exit 1 (a job the same; 999999999 columns held a job for minutes in 2 GB of
    memory before its first stage). Now a width past 100 000 columns is read as 100 000,
    and the help is printed."""
    monkeypatch.setenv("COLUMNS", "1" + "0" * 15)
    result = cli("-h")
    assert result.code == 0, result.err[-3000:]
    assert "Usage: prospect" in result.out and "out of memory" not in result.err
    assert max(len(line) for line in result.out.splitlines()) <= 100_000


# -- 2. a dask configuration file dask cannot read -------------------------------------------


def _fresh(*args: str | Path, **env: str) -> Outcome:
    """``prospect ARGS`` in a process of its own (dask imported afresh) with ``env``."""
    full = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    full.update(env, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [*PROSPECT, *(str(a) for a in args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=full,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def broken_dask_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of dask configuration with a YAML typo (an unclosed ``{``)."""
    folder = tmp_path_factory.mktemp("dask-config")
    (folder / "distributed.yaml").write_text("distributed:\n  worker:\n    memory: {target: 0.6\n")
    return folder


def test_a_dask_config_file_with_a_typo_is_one_line(
    sandbox: Sandbox, broken_dask_config: Path
) -> None:
    """A YAML typo in a dask configuration file (``~/.config/dask/distributed.yaml``, or
    the folder ``DASK_CONFIG`` names): every command that imports dask ended as "internal
    error: ValueError: A dask config file at ... is malformed", exit 70, a bug to report.
    Now one line names the file, the line of the typo and the fix, exit 2."""
    result = _fresh(
        "plan", sandbox.job_path, "-o", sandbox.out, DASK_CONFIG=str(broken_dask_config)
    )
    line = assert_clean_error(
        result, 2, str(broken_dask_config / "distributed.yaml"), "line 4", "fix the file"
    )
    assert "dask" in line


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"- workers: 4\n", "holds a list"),
        (b"distributed:\n  # caf\xe9 (Latin-1)\n  worker: {}\n", "not text in this locale"),
    ],
    ids=["list", "latin-1"],
)
def test_a_dask_config_that_dask_cannot_take_is_one_line(
    sandbox: Sandbox, tmp_path: Path, content: bytes, said: str
) -> None:
    """``DASK_CONFIG`` pointed at a file that is no configuration (a list of settings), or
    a configuration with a Latin-1 comment (dask reads it in the locale's UTF-8):
    "internal error: ValueError" or "internal error: UnicodeDecodeError", exit 70; now one
    line naming the file and what is wrong, exit 2."""
    wrong = tmp_path / "dask-settings.yaml"
    wrong.write_bytes(content)
    result = _fresh(
        "plan", sandbox.job_path, "-o", sandbox.out, DASK_CONFIG=str(wrong), LC_ALL="C.UTF-8"
    )
    assert_clean_error(result, 2, str(wrong), said, "unset DASK_CONFIG")


def test_a_command_that_never_uses_dask_still_runs_beside_a_broken_dask_config(
    broken_dask_config: Path,
) -> None:
    """Control: ``prospect regions`` imports no dask and worked beside a broken dask
    configuration; it still does (exit 0, its table printed)."""
    result = _fresh("regions", DASK_CONFIG=str(broken_dask_config))
    assert result.code == 0, result.err[-3000:]
    assert "EPSG:28992" in result.out, result.out[-2000:]


# -- 3. another tool's zarr store where the job's cube goes --------------------------------


def _zarr_group_of_a_table(cube: Path) -> None:
    """A zarr v3 group holding one plain array (no coordinates, no dimension names)."""
    import zarr

    group = zarr.open_group(str(cube), mode="w", zarr_format=3)
    group.create_array("samples", data=np.arange(10, dtype="int32"))


def _xarray_dataset_without_crs(cube: Path) -> None:
    """An xarray dataset of 5 x 6 cells with ``x`` and ``y``, no CRS (a model's output)."""
    import xarray as xr

    ds = xr.Dataset(
        {"elev": (("y", "x"), np.ones((5, 6), "float32"))},
        coords={"x": np.arange(6.0) * 100, "y": np.arange(5.0) * 100},
    )
    ds.to_zarr(cube, zarr_format=3, mode="w", consolidated=False)


def _zarr_v2_group(cube: Path) -> None:
    """A zarr v2 group (``.zgroup``) with one array."""
    import zarr

    group = zarr.open_group(str(cube), mode="w", zarr_format=2)
    group.create_array("elev", data=np.ones((4, 4), dtype="float32"))


@pytest.mark.parametrize(
    "write",
    [_zarr_group_of_a_table, _xarray_dataset_without_crs, _zarr_v2_group],
    ids=["table", "xarray-no-crs", "zarr-v2"],
)
def test_another_tools_zarr_store_at_the_cube_path_is_refused_untouched(
    sandbox: Sandbox, cli: Any, scheduler: str, write: Any
) -> None:
    """``-o`` holding ``cube.zarr`` written by another tool, which does not open as a cube
    on any grid. It was let through "for ingest to say what it is", and the run's mending
    of cube metadata wrote the job's ``x``, ``y`` and ``spatial_ref`` into it first: the
    other dataset's coordinates overwritten with the job's grid (xarray no longer opens
    it), then "cannot open cube: ... dimension_names ..." or "conflicting sizes for
    dimension 'x'" (exit 1), rerun and ``--force`` alike. Now it is refused before
    anything is written (exit 2), naming the store and what it holds, and left as it
    was."""
    sandbox.out.mkdir()
    write(sandbox.out / "cube.zarr")
    before = _tree(sandbox.out)
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 2, "cube.zarr", "no Prospect run wrote", "move it")
    assert _tree(sandbox.out) == before
    assert sandbox.untouched()


def test_a_prospect_cube_without_its_manifest_still_resumes(
    sandbox: Sandbox, cli: Any, scheduler: str, tmp_path: Path
) -> None:
    """Control: a Prospect cube copied into a new ``-o`` without its manifest is still the
    job's cube (its ``prospect_format``): the run takes it (exit 0), and the foreign-store
    refusal does not reach it."""
    import shutil

    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copytree(sandbox.out / "cube.zarr", copy / "cube.zarr")
    again = cli("run", sandbox.job_path, "-o", copy, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    assert (copy / "manifest.json").is_file()


# -- 4. a folder where the job writes a file of its own ------------------------------------


@pytest.mark.parametrize("name", ["manifest.json", ".prospect.lock"])
def test_a_folder_named_as_a_file_of_the_job_says_to_move_it(
    sandbox: Sandbox, cli: Any, name: str
) -> None:
    """A folder ``-o/manifest.json`` or ``-o/.prospect.lock`` (a sync tool's conflict
    copy, an unpacked archive): the line said "a folder is where a file is to be written;
    give a file name, or move the folder" (exit 74), though the user gave no file name: the
    job names these files itself. Now it says to move the folder, or point -o elsewhere."""
    (sandbox.out / name).mkdir(parents=True)
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1")
    line = assert_clean_error(
        result, 74, str(sandbox.out / name), "move the folder", "point -o/--out elsewhere"
    )
    assert "give a file name" not in line
    assert (sandbox.out / name).is_dir() and sandbox.untouched()
