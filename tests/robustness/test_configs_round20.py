"""Configs, the environment and the command line as survey scientists meet them.

An output path below a file is one mistake with one exit code (2); a job command refused
before any stage started (a ``--scheduler`` that is no address, more workers than the
machine holds) leaves no ``-o`` behind holding only a lock file; a config of the same
``name:`` run into another config's ``-o`` is said to be taken as that job edited; a
``$PROSPECT_CONFIG_DIR`` that is no folder of configs is named instead of empty tables; a
file name the locale cannot encode is the locale's error, not an internal one; a number or
boolean where text is wanted says to quote it. Rasters here are small and SYNTHETIC.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, Outcome, Sandbox, assert_clean_error, run_prospect
from .test_configs_round18 import JOB

LOCK = ".prospect.lock"


# -- an output path below a file ------------------------------------------------------------

@pytest.mark.parametrize("command", [["ingest", "JOB"], ["run", "JOB"],
                                     ["model", "export", "lithium"]])
def test_an_output_below_a_file_is_a_command_line_error(
        sandbox: Sandbox, cli: Any, command: list[str]) -> None:
    # Before: exit 74 (the code of a full disk), "a part of this path is a file", while
    # -o naming the file itself was exit 2
    target = sandbox.precious / "thesis.txt" / "runs" / "out"
    args = [sandbox.job_path if a == "JOB" else a for a in command]
    result = cli(*args, "-o", target)
    assert_clean_error(result, 2, str(sandbox.precious / "thesis.txt"), "existing file",
                       "-o/--out", "move the file")
    assert (sandbox.precious / "thesis.txt").read_text() == "years of work\n"
    assert sandbox.untouched()


def test_an_output_that_is_a_file_says_the_same(sandbox: Sandbox, cli: Any) -> None:
    # control: -o naming the file itself was already exit 2; one rule, one wording now
    target = sandbox.precious / "thesis.txt"
    result = cli("run", sandbox.job_path, "-o", target)
    assert_clean_error(result, 2, str(target), "existing file", "-o/--out names a folder")
    assert target.read_text() == "years of work\n"


# -- a job refused before any stage leaves no output folder ---------------------------------

@pytest.mark.parametrize(("option", "needle"), [
    (["--scheduler", "notaurl"], "--scheduler notaurl"),
    (["--workers", "999"], "--workers 999"),
])
def test_a_refusal_before_any_stage_leaves_no_new_output_folder(
        sandbox: Sandbox, cli: Any, option: list[str], needle: str) -> None:
    # Before: '-o out/a/b' was created holding only .prospect.lock
    out = sandbox.out / "a" / "b"
    result = cli("ingest", sandbox.job_path, "-o", out, *option)
    assert_clean_error(result, 2, needle)
    assert not sandbox.out.exists(), sorted(p.name for p in sandbox.out.rglob("*"))
    assert sandbox.untouched()


def test_a_local_cluster_that_cannot_start_leaves_no_new_output_folder(
        sandbox: Sandbox) -> None:
    # Before: '-o out' was left holding only .prospect.lock
    result = run_prospect("ingest", sandbox.job_path, "-o", sandbox.out, "--workers", "1",
                          env={"DASK_TEMPORARY_DIRECTORY": str(sandbox.precious /
                                                                "thesis.txt")})
    assert_clean_error(result, 1, "local dask cluster did not start",
                       "DASK_TEMPORARY_DIRECTORY")
    assert not sandbox.out.exists(), sorted(p.name for p in sandbox.out.rglob("*"))
    assert sandbox.untouched()


def test_a_refusal_keeps_an_existing_folder_without_a_lock_left_in_it(
        sandbox: Sandbox, cli: Any) -> None:
    # Before: the user's own folder kept a .prospect.lock from a run that never started
    sandbox.out.mkdir()
    (sandbox.out / "notes.txt").write_text("mine\n")
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", "notaurl")
    assert_clean_error(result, 2, "--scheduler")
    assert sorted(os.listdir(sandbox.out)) == ["notes.txt"]
    assert (sandbox.out / "notes.txt").read_text() == "mine\n"


# -- a config of the same name run into another config's -o ---------------------------------

def test_a_second_config_of_the_same_name_is_said_to_edit_the_first_job(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    # Before: the copy's sources replaced the first config's cube variables without a word
    done = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert done.code == 0, done.err[-2000:]
    copy = sandbox.root / "copy.yaml"
    copy.write_text(sandbox.job_path.read_text().replace("units: '1'", "units: mW/m2"))
    planned = cli("plan", copy, "-o", sandbox.out)
    assert planned.code == 0, planned.err[-2000:]
    notes = [line for line in planned.err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1, planned.err[-2000:]
    for needle in (str(sandbox.job_path), str(copy), "'tiny'", "taken as that job edited",
                   "reruns ingest", "another -o"):
        assert needle in notes[0], (needle, notes[0])
    ran = cli("ingest", copy, "-o", sandbox.out, "--scheduler", scheduler)
    assert ran.code == 0, ran.err[-2000:]  # a copy that continues the job is not refused
    assert "taken as that job edited" in ran.err


def test_the_same_config_rerun_says_nothing_of_another(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    # control: the config that ran, planned again into its own -o
    done = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert done.code == 0, done.err[-2000:]
    planned = cli("plan", sandbox.job_path, "-o", sandbox.out)
    assert planned.code == 0, planned.err[-2000:]
    assert "taken as that job edited" not in planned.err


# -- $PROSPECT_CONFIG_DIR -------------------------------------------------------------------

@pytest.mark.parametrize(("value", "needle"), [
    ("{root}/missing", "no such folder"),
    ("{root}/precious/important/thesis.txt", "a file, not a folder"),
    ("{root}/precious", "holds none of the configs' folders"),
])
@pytest.mark.parametrize("command", [["regions"], ["jobs"], ["plan", "configs/jobs/"
                                                              "nl-geothermal-heatflow.yaml"]])
def test_a_config_dir_that_holds_no_configs_is_named(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, value: str,
        needle: str, command: list[str]) -> None:
    # Before: 'regions' and 'jobs' printed empty tables (exit 0), and every shipped
    # region was "unknown"
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", value.format(root=sandbox.root))
    result = cli(*command)
    assert_clean_error(result, 2, "PROSPECT_CONFIG_DIR=", needle, "configs/ folder",
                       "unset it")
    assert result.out == ""
    assert sandbox.untouched()


def test_a_config_dir_of_configs_still_lists_them(
        cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # control: a copy of the repository's configs/ folder
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(REPO / "configs"))
    result = cli("regions")
    assert result.code == 0, result.err[-2000:]
    assert "netherlands" in result.out


# -- file names the locale cannot encode -----------------------------------------------------

ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}


def _accented_job(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path / "Curaçao données")


def test_an_accented_folder_under_an_ascii_locale_names_the_locale(tmp_path: Path) -> None:
    # Before: internal error: UnicodeEncodeError ... surrogates not allowed (exit 70)
    box = _accented_job(tmp_path)
    result = _run_in(box.root, ASCII_LOCALE, "plan", "job.yaml")
    line = assert_clean_error(result, 2, "file name", "ascii", "LC_ALL=C",
                              "LC_ALL=C.UTF-8", "PYTHONUTF8=1")
    assert "internal error" not in line
    assert box.untouched()


def test_an_accented_folder_under_the_c_locale_plans(tmp_path: Path) -> None:
    # control: LC_ALL=POSIX alone turns on Python's UTF-8 mode: the job plans
    box = _accented_job(tmp_path)
    result = _run_in(box.root, {"LC_ALL": "POSIX"}, "plan", "job.yaml")
    assert result.code == 0, result.err[-2000:]


def _run_in(folder: Path, env: dict[str, str], *args: str) -> Any:
    """``prospect ARGS`` as a subprocess started in ``folder`` with ``env`` added."""
    import subprocess
    import sys

    full = {k: v for k, v in os.environ.items() if k not in ("PROSPECT_DEBUG", "LANGUAGE")}
    full.update(env)
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=folder,
                          env=full, capture_output=True, timeout=120)
    return Outcome(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                   proc.stderr.decode("utf-8", "replace"))


# -- numbers and booleans where text is wanted -----------------------------------------------

@pytest.mark.parametrize(("old", "new", "needles"), [
    ("name: tiny", "name: 2024", ["key 'name'", "2024", "as a number", "quote it ('2024')"]),
    ("  name: heat", "  name: heat\n  units: 1",
     ["units'", "as a number", "quote it ('1')"]),
    ("  path: heat.tif", "  path: 1990", ["path'", "a path is text", "as a number"]),
    ("  path: heat.tif", "  path: no", ["path'", "a path is text", "quote the text"]),
    ("  path: heat.tif", "  path: 2024-01-01", ["path'", "a path is text", "as a date"]),
])
def test_a_number_or_boolean_where_text_is_wanted_says_to_quote_it(
        sandbox: Sandbox, cli: Any, old: str, new: str, needles: list[str]) -> None:
    # Before: "Input should be a valid string" with no word of quoting, and a path's
    # "Input is not a valid path for <class 'pathlib.Path'>"
    assert old in JOB
    sandbox.write_job(JOB.replace(old, new, 1))
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, *needles)
    assert "<class" not in line
    assert sandbox.untouched()


# -- a config path written for another shell or system ---------------------------------------

@pytest.mark.parametrize(("written", "needle"), [
    ("$JOBS/job.yaml", "environment variables are not expanded"),
    ("%JOBS%/job.yaml", "environment variables are not expanded"),
    ("C:\\jobs\\job.yaml", "a Windows drive path"),
    ("jobs\\job.yaml", "'jobs/job.yaml'"),
    ("file:///data/job.yaml", "file:// URL"),
    ("job.yaml ", "ends with a space"),
])
def test_a_config_path_written_for_another_shell_says_why_it_is_not_found(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, written: str,
        needle: str) -> None:
    # Before: "config file not found" alone, where -o and a config's own paths said why
    monkeypatch.chdir(sandbox.root)
    monkeypatch.delenv("JOBS", raising=False)
    result = cli("plan", written)
    assert_clean_error(result, 2, "config file not found", needle)
    assert sandbox.untouched()


def test_a_config_path_that_is_not_there_is_still_just_not_found(
        sandbox: Sandbox, cli: Any) -> None:
    # control: a plain missing file
    result = cli("plan", sandbox.root / "nojob.yaml")
    line = assert_clean_error(result, 2, "config file not found")
    assert line.rstrip().endswith("config file not found")


# -- standard output on a full disk ----------------------------------------------------------

@pytest.mark.parametrize("command", [["regions"], ["indices", "--list"], ["--help"]])
def test_a_full_standard_output_is_named_not_told_to_resume(command: list[str]) -> None:
    # Before: "the disk is full; free space, then run the same command again to resume
    # (finished work is kept)": no word of standard output, and nothing to resume
    import subprocess

    from .test_configs_round17 import PROSPECT_SCRIPT

    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    proc = subprocess.run(["bash", "-c", '"$@" >/dev/full', "bash", *PROSPECT_SCRIPT,
                           *command], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    result = Outcome(proc.returncode, "", proc.stderr)
    line = assert_clean_error(result, 74, "standard output could not be written",
                              "No space left", "/dev/null")
    assert "resume" not in line
