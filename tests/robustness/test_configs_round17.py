"""The command line into closed pipes, text copied from documents, and options given twice.

``prospect plan JOB | head`` and any command whose reader goes away stop quietly with exit
141 (128 + SIGPIPE, as a Unix tool), a job's running stage recorded ``interrupted``;
characters that only look like plain text (no-break spaces, curly quotes, minus signs,
fullwidth digits, Cyrillic letters) are named where YAML or a key refuses them; a region
CRS without a datum is refused; an option given twice with two values, or ``--workers``
beside ``--scheduler``/``--cluster``, is a command-line error. Rasters here are small and
SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, Sandbox, assert_clean_error
from .test_configs_round16 import TINY

PROSPECT_SCRIPT = [sys.executable, "-c",
                   "import sys; from pipelines.entry import main; sys.exit(main())"]
"""The installed ``prospect`` script, as ``pip`` writes it (``pipelines.entry:main``)."""


def _closed_reader(*args: str | Path, close: tuple[str, ...] = ("stdout",),
                   env: dict[str, str] | None = None, timeout: float = 120,
                   ) -> tuple[int, str]:
    """Run ``prospect ARGS`` with the reader of each stream in ``close`` gone before the
    command writes (``| true``, ``| head`` done); its exit code and what reached stderr
    (``""`` when stderr was closed)."""
    full_env = {**os.environ, **(env or {}), "COLUMNS": "100"}
    full_env.pop("PROSPECT_DEBUG", None)
    proc = subprocess.Popen([*PROSPECT_SCRIPT, *(str(a) for a in args)], cwd=REPO,
                            env=full_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    if "stdout" in close:
        proc.stdout.close()
    if "stderr" in close:
        proc.stderr.close()
    err = "" if "stderr" in close else proc.stderr.read().decode("utf-8", "replace")
    if "stdout" not in close:
        proc.stdout.read()
    return proc.wait(timeout=timeout), err


# -- a reader that went away ---------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("plan", "{job}"), ("jobs",), ("regions",), ("indices", "--list"), ("--help",),
    ("run", "--help"), ("--version",), ("model", "list", "--registry", "{box}/registry"),
], ids=["plan", "jobs", "regions", "indices-list", "help", "run-help", "version",
        "model-list"])
def test_a_command_printing_into_a_closed_pipe_stops_quietly(
    sandbox: Sandbox, args: tuple[str, ...],
) -> None:
    # Before: exit 1 (Rich's SystemExit(1); click's for --version), the code of a failed
    # stage, so `set -o pipefail` scripts read "the plan failed"
    filled = [a.format(job=sandbox.job_path, box=sandbox.root) for a in args]
    code, err = _closed_reader(*filled)
    assert code == 141, (code, err)
    assert err.strip() == "", err  # quiet, as a Unix tool: no error, no traceback
    assert sandbox.untouched()


def test_an_error_keeps_its_exit_code_when_stderr_is_closed(tmp_path: Path) -> None:
    # Before: exit 1 (the error line's own BrokenPipeError/OSError escaped), not 2
    missing = tmp_path / "missing.yaml"
    code, _ = _closed_reader("plan", missing, close=("stdout", "stderr"))
    assert code == 2
    code, _ = _closed_reader("plan", missing, close=("stdout", "stderr"),
                             env={"PYTHONUNBUFFERED": "1"})
    assert code == 2


def test_a_job_into_a_closed_pipe_is_interrupted_not_failed_and_resumes(
    sandbox: Sandbox, scheduler: str,
) -> None:
    # Before: exit 1 and the running stage recorded 'failed' with "SystemExit: 1"
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("PROSPECT_DEBUG", None)
    proc = subprocess.Popen([*PROSPECT_SCRIPT, "run", str(sandbox.job_path), "-o",
                             str(sandbox.out), "--scheduler", scheduler], cwd=REPO, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    assert proc.stderr is not None
    for line in proc.stderr:  # `prospect run ... 2>&1 | head`: the reader goes at ingest
        if b"ingest" in line:
            break
    proc.stderr.close()
    assert proc.wait(timeout=300) == 141
    manifest = json.loads((sandbox.out / "manifest.json").read_text())
    records = {name: (rec["status"], rec.get("error")) for name, rec in
               manifest["stages"].items()}
    assert all(status in ("done", "interrupted") for status, _ in records.values()), records
    assert all("SIGPIPE" in str(error) for status, error in records.values()
               if status == "interrupted"), records
    again = subprocess.run([*PROSPECT_SCRIPT, "run", str(sandbox.job_path), "-o",
                            str(sandbox.out), "--scheduler", scheduler], cwd=REPO,
                           capture_output=True, text=True, timeout=300, env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    after = json.loads((sandbox.out / "manifest.json").read_text())
    assert after["stages"]["ingest"]["status"] == "done"
    assert sandbox.untouched()


# -- text copied from a document -----------------------------------------------------------

JOB = """name: tiny
synthetic: true
region:
  name: tiny
  crs: EPSG:32619
  resolution: 10.0
  bounds: [500000.0, 1350000.0, 500400.0, 1350400.0]
  chunks: [20, 20]
sources:
- kind: raster
  name: heat
  path: heat.tif
"""


@pytest.mark.parametrize(("old", "new", "needles"), [
    ("resolution: 10.0", "resolution:\u00a010.0",
     ["line 6", "NO-BREAK SPACE (U+00A0)", "retype it"]),
    ("crs: EPSG:32619", "crs: \u201cEPSG:32619\u201d",
     [":5:", "'region.crs'", "LEFT DOUBLE QUOTATION MARK", "retype it as 'EPSG:32619'"]),
    ("resolution: 10.0", "resolution: \u221210.0",
     [":6:", "MINUS SIGN (U+2212)", "retype it as '-10.0'"]),
    ("resolution: 10.0", "resolution: \uff11\uff10",
     [":6:", "FULLWIDTH DIGIT ONE", "retype it as '10'"]),
    ("  name: tiny\n", "  n\u0430me: tiny\n",
     ["'region.n\u0430me'", "CYRILLIC SMALL LETTER A (U+0430) at character 2",
      "retype it as 'name'"]),
    ("  bounds:", "  bou\u200bnds:", ["ZERO WIDTH SPACE", "retype it as 'bounds'"]),
    ("path: heat.tif", "path: heat\u00a0map.tif",
     [":12:", "'sources.0.raster.path'", "no such file", "NO-BREAK SPACE",
      "'heat map.tif'"]),
    ("  crs: EPSG:32619\n", "\tcrs: EPSG:32619\n",
     ["line 5", "holds a tab", "replace the tab with spaces"]),
], ids=["nbsp-after-colon", "curly-quotes", "minus-sign", "fullwidth", "cyrillic-key",
        "zero-width-key", "nbsp-path", "tab"])
def test_characters_copied_from_a_document_are_named(
    sandbox: Sandbox, cli: Any, old: str, new: str, needles: list[str],
) -> None:
    # Before: "could not find expected ':'", "unknown CRS '“EPSG:32619”'", "unable to
    # parse string as a number", "'１０' is quoted text" (it was not quoted), "unknown key
    # 'nаme' (did you mean 'name'?)", "raster file not found" at ingest, a bare tab error
    assert old in JOB
    sandbox.write_job(JOB.replace(old, new, 1))
    lines = cli("plan", sandbox.job_path)
    text = lines.err
    assert lines.code == 2, text
    assert "Traceback" not in text and "internal error" not in text
    hit = [line for line in text.splitlines() if needles[0] in line and needles[-1] in line]
    assert hit, text  # one line says where, what and the fix
    for needle in needles:
        assert needle in text, f"{needle!r} not in: {text}"
    assert "quoted text" not in text
    assert sandbox.untouched()


def test_typographic_text_where_text_is_free_still_loads(sandbox: Sandbox, cli: Any) -> None:
    # control: a description may hold curly quotes, dashes and accents
    sandbox.write_job(JOB.replace("synthetic: true\n", "synthetic: true\ndescription: "
                                  "\"Curaçao \u2014 \u201cdry season\u201d, \u221210 m\"\n"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err


def test_a_crs_written_as_a_bare_number_says_how_to_write_it(
    sandbox: Sandbox, cli: Any,
) -> None:
    # Before: "Input should be a valid string", no word of 'EPSG:'
    sandbox.write_job(JOB.replace("crs: EPSG:32619", "crs: 32619"))
    assert_clean_error(cli("plan", sandbox.job_path), 2, ":5:", "'region.crs'",
                       "'EPSG:32619'")


# -- a region CRS without a datum ------------------------------------------------------------

@pytest.mark.parametrize("crs", ["+proj=utm +zone=19 +ellps=intl +units=m +no_defs",
                                 "+proj=sterea +lat_0=52.15616055555555 +lon_0=5.387638888 "
                                 "+k=0.9999079 +x_0=155000 +y_0=463000 +ellps=bessel"],
                         ids=["intl", "rd-without-towgs84"])
def test_a_region_crs_without_a_datum_is_refused(sandbox: Sandbox, cli: Any,
                                                 crs: str) -> None:
    # Before: accepted; every source with a datum was put on the grid by PROJ's
    # 'ballpark' shift of nothing, 100 m or more off, exit 0
    sandbox.write_job(JOB.replace("crs: EPSG:32619", f"crs: '{crs}'"))
    assert_clean_error(cli("plan", sandbox.job_path), 2, ":5:", "'region.crs'",
                       "no datum", "give its EPSG code")


@pytest.mark.parametrize("crs", ["+proj=utm +zone=19 +datum=WGS84 +units=m",
                                 "+proj=utm +zone=19 +ellps=WGS84 +units=m",
                                 "+proj=utm +zone=19 +ellps=intl +towgs84=-87,-98,-121"],
                         ids=["datum", "wgs84-ellipsoid", "towgs84"])
def test_a_region_crs_with_a_datum_or_wgs84_s_ellipsoid_loads(
    sandbox: Sandbox, cli: Any, crs: str,
) -> None:
    sandbox.write_job(JOB.replace("crs: EPSG:32619", f"crs: '{crs}'"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err


# -- options given twice or beside one they contradict -------------------------------------

@pytest.mark.parametrize("args", [
    ("run", "{job}", "-o", "{box}/a", "-o", "{box}/b"),
    ("ingest", "{job}", "--out={box}/a", "-o", "{box}/b"),
    ("run", "{job}", "-o", "{box}/a", "--workers", "1", "--workers", "2"),
    ("plan", "{job}", "-o", "{box}/a", "-o{box}/b"),
], ids=["out-twice", "out-long-and-short", "workers-twice", "out-joined"])
def test_an_option_given_twice_with_two_values_is_refused(
    sandbox: Sandbox, cli: Any, args: tuple[str, ...],
) -> None:
    # Before: the last one won without a word (the job ran into b)
    filled = [a.format(job=sandbox.job_path, box=sandbox.root) for a in args]
    result = cli(*filled)
    text = result.out + result.err
    assert result.code == 2, text
    assert "given 2 times" in text and "give it once" in text, text
    assert "Traceback" not in text
    assert not (sandbox.root / "a").exists() and not (sandbox.root / "b").exists()
    assert sandbox.untouched()


def test_an_option_repeated_with_the_same_value_is_taken(sandbox: Sandbox, cli: Any) -> None:
    # control: '-o a -o a' says one thing
    out = str(sandbox.out)
    result = cli("plan", sandbox.job_path, "-o", out, "-o", out)
    assert result.code == 0, result.err


@pytest.mark.parametrize(("extra", "needle"), [
    (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler"),
    (["--cluster", "slurm"], "jobqueue.yaml"),
], ids=["scheduler", "cluster"])
def test_workers_beside_a_scheduler_or_a_batch_cluster_is_refused(
    sandbox: Sandbox, cli: Any, extra: list[str], needle: str,
) -> None:
    # Before: --workers was dropped without a word (the scheduler's workers, or the one
    # batch job of jobqueue.yaml, did the work)
    assert_clean_error(cli("run", sandbox.job_path, "-o", sandbox.out, "--workers", "4",
                           *extra), 2, "--workers 4", needle)
    assert not sandbox.out.exists()
    assert sandbox.untouched()


# -- the grid as written and as laid out -----------------------------------------------------

GEO = TINY.replace("crs: EPSG:32619", "crs: EPSG:4326")  # round 16's job, in degrees


def test_bounds_across_the_antimeridian_say_so(sandbox: Sandbox, cli: Any) -> None:
    # Before: "right > left" alone, which reads as a typo of order (Fiji, the Aleutians)
    sandbox.write_job(GEO.format(res="0.01", bounds="[179.5, -17.0, -179.5, -16.0]"))
    assert_clean_error(cli("plan", sandbox.job_path), 2, ":7:", "'region.bounds'",
                       "antimeridian", "EPSG:32701")


def test_a_resolution_in_degrees_is_printed_in_degrees(sandbox: Sandbox, cli: Any) -> None:
    # Before: "plan of job tiny on tiny (EPSG:4326, 0.001 m)": degrees called metres
    sandbox.write_job(GEO.format(res="0.001", bounds="[-63.3, 17.0, -63.2, 17.1]"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert "(EPSG:4326, 0.001 degrees)" in result.out, result.out
    assert "0.001 m" not in result.out


def test_bounds_that_are_no_whole_number_of_cells_are_said_to_move(
    sandbox: Sandbox, cli: Any, scheduler: str,
) -> None:
    # Before: the grid took 14 x 14 cells of 30 m for 400 m, reaching 20 m past the east
    # and south bounds, without a word
    sandbox.write_job(JOB.replace("resolution: 10.0", "resolution: 30"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    warned = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert any("not a whole number of 30 m cells" in w and "14 x 14" in w and
               "500420.0" in w for w in warned), result.err
    # and the run says it too, so that its manifest keeps it beside the cube it made
    ran = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert ran.code == 0, ran.err[-2000:]
    notes = json.loads((sandbox.out / "manifest.json").read_text())["stages"]["ingest"][
        "notes"]
    assert any("not a whole number of 30 m cells" in n for n in notes), notes
    sandbox.write_job(JOB)  # control: 400 m of 10 m cells says nothing
    assert "whole number" not in cli("plan", sandbox.job_path).err


def test_a_path_cut_by_a_comment_is_named(sandbox: Sandbox, cli: Any) -> None:
    # Before: YAML read 'Well' (' #' starts a comment); "not found" at ingest named 'Well'
    (sandbox.root / "Well #12.tif").write_bytes((sandbox.root / "heat.tif").read_bytes())
    sandbox.write_job(JOB.replace("path: heat.tif", "path: Well #12.tif"))
    assert_clean_error(cli("plan", sandbox.job_path), 2, str(sandbox.job_path), "line 12",
                       "' #' starts a comment", "quote the value ('Well #12.tif')")
    assert sandbox.untouched()
    # control: a comment after a whole value is a comment
    sandbox.write_job(JOB.replace("path: heat.tif", "path: heat.tif  # the heat map"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
