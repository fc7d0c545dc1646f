"""Round 54, configs and the command line: a config file's refusal under ``prospect
regions FILE`` and ``prospect jobs FILE`` naming the file twice, number options refused
in pydantic's words without the value or what the option takes, a path option given
``-`` told that it "reads as an option", a date where text goes not told to quote it,
every command's ``--help`` broken into one-word lines with reST's double backquotes and
notes for the code's readers, and a page of the docs naming an option no command has.

Every case runs the real CLI in this process (the ``cli`` fixture) on SYNTHETIC data: the
tiny job of :class:`~tests.robustness.conftest.Sandbox` or a one-line region config.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, Sandbox, assert_clean_error


def _usage_error(result: Any, *needles: str) -> str:
    """Exit 2, one usage ``Error:`` line naming every needle, and no traceback."""
    text = result.out + result.err
    assert result.code == 2, f"exit {result.code}:\n{text[-3000:]}"
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    lines = [line for line in result.err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, text[-3000:]
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in the error line: {lines[0]}"
    return lines[0]


# -- prospect regions FILE / prospect jobs FILE: the file named once -------------------------


def _bad_region(folder: Path) -> Path:
    """A SYNTHETIC region config whose CRS no EPSG code has (line 2)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bad.yaml"
    path.write_text("name: x\ncrs: EPSG:9999999\n")
    return path


@pytest.mark.parametrize("form", ["plain", "dot-slash", "absolute"])
def test_regions_of_a_bad_region_file_names_it_once(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """SYNTHETIC region file. Before: "prospect regions bad.yaml: bad.yaml:2: key 'crs'
    ..." (the name twice, round 53 left it)."""
    path = _bad_region(tmp_path)
    monkeypatch.chdir(tmp_path)
    given = {"plain": "bad.yaml", "dot-slash": "./bad.yaml", "absolute": str(path)}[form]
    line = assert_clean_error(
        cli("regions", given), 2, "prospect regions ", "bad.yaml:2:", "unknown CRS 'EPSG:9999999'"
    )
    assert line.count("bad.yaml") == 1, line


@pytest.mark.parametrize("given", ["job.yaml", "./job.yaml"])
def test_jobs_of_a_bad_job_file_names_it_once(
    cli: Any, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """SYNTHETIC tiny job without its region. Before: "prospect jobs ./job.yaml: job.yaml:
    missing required key 'region'"."""
    job = sandbox.job()
    del job["region"]
    sandbox.write_job(json.dumps(job))
    monkeypatch.chdir(sandbox.root)
    line = assert_clean_error(
        cli("jobs", given), 2, "prospect jobs job.yaml", "missing required key 'region'"
    )
    assert line.count("job.yaml") == 1, line
    assert sandbox.untouched()


def test_regions_of_an_unknown_name_still_names_it(cli: Any) -> None:
    """Control: a name that is no file keeps the command and the name in front."""
    assert_clean_error(
        cli("regions", "bonair"),
        2,
        "prospect regions bonair: unknown region",
        "did you mean 'bonaire'?",
    )


# -- number options: the value and what the option takes --------------------------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["plan", "JOB", "--workers", "0"],
            ["--workers was given 0", "less than", "whole number of at least 1"],
        ),
        (
            ["plan", "JOB", "--workers=-1"],
            ["--workers was given -1", "less than", "whole number of at least 1"],
        ),
        (
            ["plan", "JOB", "--workers", "1e3"],
            ["--workers was given '1e3'", "not a whole number", "in digits", "--workers 1)"],
        ),
        (["plan", "JOB", "--threads", "1.5"], ["--threads was given '1.5'", "not a whole number"]),
        (
            ["serve", "JOB", "--port", "99999"],
            ["--port was given 99999", "more than", "whole number from 0 to 65535"],
        ),
        (
            ["demo", "-o", "OUT", "--size", "6km"],
            ["--size was given '6km'", "not a number", "--size 6000)"],
        ),
        (
            ["model", "export", "m", "-o", "OUT", "--samples", "0x10"],
            ["--samples was given '0x10'", "whole number from 1 to 1000000"],
        ),
        (
            ["plan", "JOB", "--workers="],
            ["--workers was given an empty value", "variable empty in a script"],
        ),
    ],
    ids=[
        "workers-0",
        "workers-negative",
        "workers-1e3",
        "threads-fraction",
        "port-too-big",
        "size-with-unit",
        "samples-hex",
        "workers-empty",
    ],
)
def test_a_number_option_refused_names_the_value_and_its_range(
    cli: Any, sandbox: Sandbox, args: list[str], needles: list[str]
) -> None:
    """SYNTHETIC tiny job. Before: click's "Invalid value for '--workers': Input should
    be a valid integer, unable to parse string as an integer" (or "... greater than or
    equal to 1"), without the value given or the way to write it."""
    given = [
        str(sandbox.job_path) if a == "JOB" else str(sandbox.out) if a == "OUT" else a for a in args
    ]
    line = _usage_error(cli(*given), *needles)
    assert "Input should be" not in line
    assert not sandbox.out.exists() and sandbox.untouched()


def test_a_good_number_option_still_plans(cli: Any, sandbox: Sandbox) -> None:
    """Control: ``--workers 2 --threads 2`` plans the tiny job as before."""
    result = cli("plan", sandbox.job_path, "--workers", "2", "--threads", "2", "--json")
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.out + result.err
    assert json.loads(result.out)["workers"] == 2


# -- a path option given '-' -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["regions", "--outlines-from", "-"],
            ["--outlines-from was given '-'", "standard input", "save what you would pipe in"],
        ),
        (
            ["model", "score", "m", "--cube", "-", "-o", "OUT"],
            ["--cube was given '-'", "standard input", "save what you would pipe in"],
        ),
        (
            ["plan", "JOB", "-o", "-"],
            ["-o/--out was given '-'", "standard output", "give the path of the folder"],
        ),
    ],
    ids=["outlines-from", "model-score-cube", "plan-out"],
)
def test_a_path_option_given_a_dash_says_no_pipe_is_read(
    cli: Any, sandbox: Sandbox, args: list[str], needles: list[str]
) -> None:
    """Before: "--outlines-from was given '-', which reads as an option ...; a file or
    folder whose name starts with '-' is written ./-" (round 53 left it), as if a file
    named ``-`` had been meant."""
    given = [
        str(sandbox.job_path) if a == "JOB" else str(sandbox.out) if a == "OUT" else a for a in args
    ]
    line = _usage_error(cli(*given), *needles)
    assert "reads as an option" not in line
    assert sandbox.untouched()


# -- a date where text goes --------------------------------------------------------------------


def test_a_date_where_text_goes_says_to_quote_it(cli: Any, sandbox: Sandbox) -> None:
    """SYNTHETIC tiny job named ``2024-01-01`` unquoted. Before: "... Input should be a
    valid string; YAML reads 2024-01-01 unquoted as a date", no word of the fix."""
    text = sandbox.job_path.read_text().replace("name: tiny\n", "name: 2024-01-01\n", 1)
    sandbox.write_job(text)
    assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        "job.yaml:1:",
        "unquoted as a date",
        "quote it ('2024-01-01')",
    )


def test_a_date_where_a_number_goes_is_not_told_to_quote_it(cli: Any, sandbox: Sandbox) -> None:
    """Control: a date in the region's bounds (a number) is said as before: quoting it
    would not make it a number."""
    text = sandbox.job_path.read_text().replace("- 500000.0", "- 2024-01-01", 1)
    sandbox.write_job(text)
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "unquoted as a date")
    assert "quote it" not in line


# -- every command's --help ---------------------------------------------------------------------

COMMANDS = [
    "run",
    "plan",
    "ingest",
    "indices",
    "train",
    "score",
    "tiles",
    "screen",
    "demo",
    "serve",
    "serve-key",
    "regions",
    "jobs",
    "model list",
    "model show",
    "model score",
    "model export",
    "model import",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_says_each_paragraph_whole(
    cli: Any, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """Before: the docstring's line ends were kept and the terminal wrapped again: at 80
    columns ``plan --help`` had lines of one word ("exits", "where"), ``--strict`` shown
    with reST's backquotes, and ``regions``/``jobs`` said "was click's 'Got unexpected
    extra argument'" (a note for the code's readers)."""
    monkeypatch.setenv("COLUMNS", "80")
    result = cli(*command.split(), "--help")
    assert result.code == 0, result.err[-3000:]
    lines = result.out.splitlines()
    start = next(i for i, line in enumerate(lines) if "Usage:" in line) + 1
    end = next(i for i, line in enumerate(lines) if line.lstrip().startswith("╭"))
    paragraphs = re.split(r"\n\s*\n", "\n".join(x.strip() for x in lines[start:end]).strip())
    for paragraph in paragraphs:
        wrapped = paragraph.splitlines()
        short = [line for line in wrapped[:-1] if len(line) < 60]
        assert not short, f"{command} --help breaks a paragraph early: {short}"
    assert "``" not in result.out
    assert "was click's" not in result.out


def test_root_help_still_lists_every_command(cli: Any) -> None:
    """Control: ``prospect --help`` lists the commands with their first lines."""
    result = cli("--help")
    assert result.code == 0
    for command in ("plan", "regions", "jobs", "model"):
        assert command in result.out
    assert "Plan a job without computing it" in result.out


# -- options the docs name ------------------------------------------------------------------------


def test_docs_name_only_options_their_commands_have() -> None:
    """Every ``prospect COMMAND ... --option`` in README.md and docs/*.md (but the
    robustness log, which quotes old ones) names an option COMMAND has. Before:
    docs/tiles.md said ``prospect run job.yaml --stages tiles``, and ``run`` has no
    ``--stages``."""
    from pipelines import cli as prospect_cli

    prospect_cli._register()
    root = prospect_cli.click_command()
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    wrong = []
    for page in pages:
        if page.name == "robustness.md":
            continue
        for match in re.finditer(r"prospect ((?:model )?[a-z-]+)([^\n`\"']*)", page.read_text()):
            command = root
            for word in match.group(1).split():
                command = getattr(command, "commands", {}).get(word)
            if command is None or hasattr(command, "commands"):
                continue
            known = {"--help", "-h", "--debug"}
            for param in command.params:
                known.update([*param.opts, *param.secondary_opts])
            wrong += [
                f"{page.name}: prospect {match.group(1)} {option}"
                for option in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", match.group(2))
                if option not in known
            ]
    assert not wrong, wrong
