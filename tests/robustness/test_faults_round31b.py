"""Fault round 31, second pass: file names miswritten in a config, ``FORCE_COLOR=0``, and
a skipped stage's figures (``docs/robustness.md``, "Round 31b").

The real ``prospect`` command in this process, on the corpus's tiny SYNTHETIC job.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error

WIDE = "400"
"""A console wide enough that no note is wrapped (``COLUMNS``)."""


def _plan_note(box: Sandbox, cli: Any, written: str) -> str:
    """The plan's note on the source when the config names ``written``, on one line."""
    box.write_job(sources=[{"kind": "raster", "name": "heat", "path": written, "units": "1"}])
    result = cli("plan", box.job_path)
    assert result.code == 0, result.err[-3000:]
    return " ".join((result.out + result.err).split())


# -- 1. a file named in the config as a URL, a listing or another program writes it ------------


@pytest.mark.parametrize(
    ("on_disk", "written", "how"),
    [
        ("a b.tif", "a%20b.tif", "%XX escapes decoded"),
        ("heat.tiff", "heat.tif", "other ending (.tiff)"),
        ("HEAT.TIF", "heat.tiff", "other ending (.TIF)"),
        ("heat.tif\u200b", "heat.tif", "an invisible character at an end"),
        ("heat.tif ", "heat.tif", "a space or an invisible character"),
    ],
)
def test_a_file_written_another_way_is_named(
    sandbox: Sandbox,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    on_disk: str,
    written: str,
    how: str,
) -> None:
    """``path: a%20b.tif`` (copied from a browser's address bar) beside ``a b.tif``,
    ``heat.tif`` beside ``heat.tiff`` (another program's ending), ``heat.tif`` beside
    ``heat.tif`` with a zero-width space or a space at its end (copied from a web page or a
    spreadsheet): the plan said only "raster file not found; check the path in the
    config", and ``ls`` shows the file. Now the file there is named, with how it differs."""
    monkeypatch.setenv("COLUMNS", WIDE)
    (sandbox.root / "heat.tif").rename(sandbox.root / on_disk)
    text = _plan_note(sandbox, cli, written)
    assert "raster file not found" in text, text
    assert f"{on_disk!r} is there" in text and how in text, text


def test_a_folder_written_another_way_is_named(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``path: survey%20data/heat.tif`` beside the folder ``survey data/``: the plan said
    only "raster file not found" (the hint looked in a folder that is not there). Now the
    folder there is named."""
    monkeypatch.setenv("COLUMNS", WIDE)
    (sandbox.root / "survey data").mkdir()
    (sandbox.root / "heat.tif").rename(sandbox.root / "survey data" / "heat.tif")
    text = _plan_note(sandbox, cli, "survey%20data/heat.tif")
    assert f"the folder {str(sandbox.root / 'survey data')!r} is there" in text, text
    assert "%XX escapes decoded" in text, text


def test_another_case_is_still_named_and_another_name_is_not(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: a name in another case is named as before (round 29's hint); a name no
    file there is a miswriting of names none."""
    monkeypatch.setenv("COLUMNS", WIDE)
    text = _plan_note(sandbox, cli, "HEAT.TIF")
    assert "'heat.tif' is there, its name in another case" in text, text
    text = _plan_note(sandbox, cli, "cold.tif")
    assert "raster file not found; check the path in the config)" in text, text
    assert "is there" not in text, text


def test_a_file_inside_an_archive_given_as_a_folder_is_said_with_the_path_to_give(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``path: data.zip/heat.tif`` (the archive taken for the folder it unpacks to) and
    ``path: notes.txt/heat.tif``: the plan said "cannot be reached (Not a directory: a
    symbolic link loop?)", sending the user looking for links. Now the archive is named
    with the path that reads inside it, which then plans as it should (control), and a
    plain file as no folder."""
    import zipfile

    monkeypatch.setenv("COLUMNS", WIDE)
    with zipfile.ZipFile(sandbox.root / "data.zip", "w") as archive:
        archive.write(sandbox.root / "heat.tif", "heat.tif")
    text = _plan_note(sandbox, cli, "data.zip/heat.tif")
    advised = "/vsizip/data.zip/heat.tif"
    assert "'data.zip' is an archive, not a folder" in text and advised in text, text
    assert "symbolic link" not in text, text
    text = _plan_note(sandbox, cli, advised)
    assert "not found" not in text and "cannot be reached" not in text, text
    (sandbox.root / "notes.txt").write_text("field notes\n")
    text = _plan_note(sandbox, cli, "notes.txt/heat.tif")
    assert f"{sandbox.root / 'notes.txt'} is a file, not a folder" in text, text
    assert "symbolic link" not in text, text


@pytest.mark.parametrize(
    ("on_disk", "typed", "how"),
    [
        ("my job.yaml", "my%20job.yaml", "%XX escapes decoded"),
        ("job.yaml", "job.yml", "other ending (.yaml)"),
        ("job.yaml", "JOB.yaml", "another case"),
    ],
)
def test_a_config_typed_another_way_is_named(
    sandbox: Sandbox,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    on_disk: str,
    typed: str,
    how: str,
) -> None:
    """``prospect plan my%20job.yaml`` (a path copied from a browser), ``job.yml`` for
    ``job.yaml``, ``JOB.yaml`` (a Windows habit): "error: ...: config file not found",
    exit 2, beside a listing that shows it. Now the config there is named."""
    monkeypatch.setenv("COLUMNS", WIDE)
    sandbox.job_path.rename(sandbox.root / on_disk)
    result = cli("plan", sandbox.root / typed)
    line = assert_clean_error(result, 2, "config file not found", f"{on_disk!r} is there", how)
    assert "write it as it is on disk" in line, line


def test_a_config_not_there_and_a_new_output_folder_are_as_before(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: a config no file there is a miswriting of is "config file not found" and
    nothing more; ``-o OUT`` beside a folder ``out/`` is a new folder (case matters), as
    before."""
    monkeypatch.setenv("COLUMNS", WIDE)
    result = cli("plan", sandbox.root / "other.yaml")
    line = assert_clean_error(result, 2, "config file not found")
    assert line.endswith("config file not found"), line
    sandbox.out.mkdir()
    result = cli("plan", sandbox.job_path, "-o", sandbox.root / "OUT")
    assert result.code == 0, result.err[-3000:]


# -- 2. FORCE_COLOR=0 --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "false"])
def test_force_color_0_gives_a_log_no_colour(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """``FORCE_COLOR=0`` (CI templates and ``supports-color`` read it as "off") into a
    log: Rich read any value as "force", and every line of the log got colour codes (and a
    run's progress bar was redrawn in it ten times a second). Now no colour, and the
    terminal found as it is (a log is no terminal)."""
    monkeypatch.setenv("FORCE_COLOR", value)
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "plan of job tiny" in result.out and "\x1b[" not in result.out, result.out[:500]
    import os

    assert os.environ["FORCE_COLOR"] == value and "NO_COLOR" not in os.environ


def test_force_color_1_still_forces_colour(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: ``FORCE_COLOR=1`` colours a log as before."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0 and "\x1b[" in result.out, result.out[:500]


# -- 3. a skipped stage's figures --------------------------------------------------------------


def test_a_skipped_stages_figures_are_said_to_be_another_runs(
    sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rerun with nothing to do printed "ingest.chunks_computed = 4" under its summary,
    the figures of the run that made the cube, as this run's. Now the line above them says
    whose they are; the run that computed them prints them as before."""
    monkeypatch.setenv("COLUMNS", WIDE)
    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    assert "ingest.chunks_computed = 4" in first.err and "(skipped)" not in first.err
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    import json

    made_in = json.loads((sandbox.out / "manifest.json").read_text())["runs"][0]["run_id"]
    text = " ".join(again.err.split())
    said = f"ingest (skipped): the figures of run {made_in}, which made it"
    assert said in text and text.index(said) < text.index("ingest.chunks_computed = 4"), text
    # control: --force runs the stage, which finds the cube up to date: its figures are
    # this run's (nothing computed), said as before
    forced = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler, "--force")
    assert forced.code == 0, forced.err[-3000:]
    assert "ingest.chunks_computed = 0" in forced.err and "(skipped)" not in forced.err


# -- 4. an output folder on a file system that cannot lock ------------------------------------


def test_an_output_folder_that_cannot_be_locked_is_named_with_the_fix(
    sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-o`` on an NFS mount whose lock service is not running: ``flock`` of the job's
    lock file fails with ENOLCK, and the run ended "error: OUT: No locks available",
    exit 74, with no cause nor fix. Now the cause and the fix.
    (The fault is injected: ``flock`` of a ``.prospect.lock`` file fails as on such a
    mount; no NFS server can be started here.)"""
    import errno
    import fcntl
    import os

    real_flock = fcntl.flock

    def nfs_without_lockd(fd: Any, operation: int) -> None:
        name = os.readlink(f"/proc/self/fd/{fd if isinstance(fd, int) else fd.fileno()}")
        if name.endswith(".prospect.lock"):
            raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", nfs_without_lockd)
    monkeypatch.setenv("COLUMNS", WIDE)
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(
        result, 74, f"{sandbox.out}: this file system cannot lock", "point -o", "local_lock"
    )
    assert "[Errno" not in line, line
    assert not (sandbox.out / "cube.zarr").exists() and sandbox.untouched()
