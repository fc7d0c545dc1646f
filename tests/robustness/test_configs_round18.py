"""Configs as survey scientists write them and the command line as they call it.

YAML anchors get a home (top-level ``x-`` keys, as docker-compose's); YAML tags that make
no config value (``!!set``, ``!include``) and YAML 1.2 numbers (``0o20``) are named at
their line; standard output closed before the command (``>&-``) is a closed output;
geographic bounds past 180 degrees and longitudes given to a metre CRS (RD New, VN-2000,
UTM 19N/20N) are refused; a list given for a section (or a mapping for a list), a config
on standard input, ``${VAR}`` in a flow mapping and ``include:`` keys say what to write.
Rasters here are small and SYNTHETIC.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from .conftest import REPO, Sandbox, assert_clean_error
from .test_configs_round16 import TINY
from .test_configs_round17 import PROSPECT_SCRIPT

JOB = TINY.format(res="10.0", bounds="[500000.0, 1350000.0, 500400.0, 1350400.0]")
"""The tiny SYNTHETIC job of the robustness corpus as a user writes it."""

SOURCE = "sources:\n- kind: raster\n  name: heat\n  path: heat.tif\n"


def _region_job(crs: str, resolution: str, bounds: str) -> str:
    return (f"name: tiny\nsynthetic: true\nregion:\n  name: tiny\n  crs: '{crs}'\n"
            f"  resolution: {resolution}\n  bounds: {bounds}\n  chunks: [20, 20]\n{SOURCE}")


def _refused(sandbox: Sandbox, cli: Any, text: str, needles: list[str],
             absent: tuple[str, ...] = ()) -> str:
    """Plan ``text`` as the job: exit 2, one clean error holding every needle, nothing
    written; the error text."""
    sandbox.write_job(text)
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, *needles)
    for needle in absent:
        assert needle not in line, (needle, line)
    assert sandbox.untouched()
    return line


# -- YAML anchors, tags and numbers ---------------------------------------------------------

ANCHORED = """{key}: &d
  kind: raster
  units: "1"
name: tiny
synthetic: true
region:
  name: tiny
  crs: EPSG:32619
  resolution: 10.0
  bounds: [500000.0, 1350000.0, 500400.0, 1350400.0]
  chunks: [20, 20]
sources:
- <<: *d
  name: heat
  path: heat.tif
"""


def test_anchors_live_under_a_top_level_x_key(sandbox: Sandbox, cli: Any) -> None:
    # Before: "unknown key 'x-defaults'": an anchor had no home in a config
    sandbox.write_job(ANCHORED.format(key="x-defaults"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert sandbox.untouched()


def test_an_anchor_under_another_key_is_told_its_home(sandbox: Sandbox, cli: Any) -> None:
    # Before: "unknown key 'defaults' (remove it; keys allowed here: ...)", no word of
    # where values kept for reuse can go
    _refused(sandbox, cli, ANCHORED.format(key="defaults"),
             [":1:", "unknown key 'defaults'", "anchor &d", "'x-defaults'"])


def test_an_x_key_below_the_top_level_is_named_as_such(sandbox: Sandbox, cli: Any) -> None:
    # Before: the key list of a raster source, as if 'x-note' were a typo
    _refused(sandbox, cli, JOB + "  x-note: &n kept\n",
             [":13:", "'sources.0.raster.x-note'", "only at the top level"])


@pytest.mark.parametrize(("value", "needles"), [
    ("!!set {a, b}", ["!!set", "unordered", "[a, b]"]),
    ("!!omap [{a: 1}]", ["!!omap", "list"]),
    ("!!binary aGVsbG8=", ["!!binary", "bytes"]),
    ("!include common.yaml", ["!include", "cannot include another file"]),
    ("!!python/object:os.system ls", ["!!python/object:os.system", "Python object"]),
], ids=["set", "omap", "binary", "include", "python"])
def test_a_yaml_tag_that_makes_no_config_value_is_named_at_its_line(
    sandbox: Sandbox, cli: Any, value: str, needles: list[str],
) -> None:
    # Before: !!set was shown as Python's {'b', 'a'} (and read as a list in any order
    # where a list is taken), !include "could not determine a constructor"
    text = JOB.replace("synthetic: true", f"synthetic: true\ndescription: {value}")
    _refused(sandbox, cli, text, ["line 3", *needles], absent=("{'", "constructor"))


def test_a_set_where_a_list_is_taken_is_not_read_in_any_order(
    sandbox: Sandbox, cli: Any,
) -> None:
    # Before: 'chunks: !!set {20, 32}' was a tuple in the set's order (pydantic takes a
    # set for a list or a tuple): rows and columns swapped without a word
    text = JOB.replace("chunks: [20, 20]", "chunks: !!set {32, 20}")
    _refused(sandbox, cli, text, ["line 8", "!!set", "order"])


@pytest.mark.parametrize(("value", "needles"), [
    ("0o20", ["0o20", "0o prefix", "write 16"]),
    ("'0x0A'", ["quoted text", "write 10"]),
], ids=["yaml12-octal", "quoted-hex"])
def test_a_number_with_a_base_prefix_says_what_yaml_read(
    sandbox: Sandbox, cli: Any, value: str, needles: list[str],
) -> None:
    # Before: "unable to parse string as a number", without a word of YAML 1.1
    text = JOB.replace("resolution: 10.0", f"resolution: {value}")
    _refused(sandbox, cli, text, [":6:", "'region.resolution'", *needles])


@pytest.mark.parametrize(("key", "value", "needles"), [
    ("resolution", "10 m", ["unit is no part", "write 10 alone"]),
    ("resolution", "30m", ["write 30 alone"]),
    ("resolution", "10,5", ["decimal comma", "write 10.5"]),
    ("resolution", "10,000", ["write 10000", "10.000"]),
    ("resolution", "'500 000'", ["group separators", "write 500000"]),
    ("chunks", "512", ["one number", "[512, 512]"]),
    ("bounds", "500000, 1350000, 500400, 1350400",
     ["it is text", "[500000, 1350000, 500400, 1350400]"]),
], ids=["unit", "unit-no-space", "decimal-comma", "comma-thousands", "grouped", "chunks-one",
        "bounds-text"])
def test_a_number_or_list_written_as_in_a_report_says_how_to_write_it(
    sandbox: Sandbox, cli: Any, key: str, value: str, needles: list[str],
) -> None:
    # Before: "unable to parse string as a number" / "Input should be a valid tuple"
    text = "\n".join(f"  {key}: {value}" if line.startswith(f"  {key}:") else line
                     for line in JOB.splitlines()) + "\n"
    _refused(sandbox, cli, text, [f"'region.{key}'", *needles])


# -- standard output closed before the command ----------------------------------------------

@pytest.mark.parametrize("args", [("regions",), ("--version",), ("plan", "{job}")],
                         ids=["regions", "version", "plan"])
def test_a_command_started_with_stdout_closed_exits_as_for_a_closed_pipe(
    sandbox: Sandbox, args: tuple[str, ...],
) -> None:
    # Before: exit 0 with nothing shown anywhere (`prospect regions >&-`)
    filled = [a.format(job=sandbox.job_path) for a in args]
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("PROSPECT_DEBUG", None)
    proc = subprocess.run(["bash", "-c", '"$@" >&-', "bash", *PROSPECT_SCRIPT, *filled],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 141, (proc.returncode, proc.stderr)
    assert "standard output is closed" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sandbox.untouched()


def test_a_full_stdout_is_still_a_write_error(sandbox: Sandbox) -> None:
    # Control: `prospect regions >/dev/full` exits 74 (outputs cannot be written)
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("PROSPECT_DEBUG", None)
    proc = subprocess.run(["bash", "-c", '"$@" >/dev/full', "bash", *PROSPECT_SCRIPT,
                           "regions"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 74, (proc.returncode, proc.stderr)


# -- region bounds: the antimeridian and degrees given to a metre CRS -----------------------

@pytest.mark.parametrize(("bounds", "needles"), [
    ("[179.5, -17, 180.5, -16]", ["east 180.5", "antimeridian", "EPSG:327"]),
    ("[-180.5, -17, -179.5, -16]", ["west -180.5", "antimeridian"]),
    ("[180.5, -17, 181.5, -16]", ["past 180", "[-179.5, -17, -178.5, -16]"]),
], ids=["east-past-180", "west-past-minus-180", "wholly-past-180"])
def test_geographic_bounds_past_180_are_refused(
    sandbox: Sandbox, cli: Any, bounds: str, needles: list[str],
) -> None:
    # Before: loaded; GDAL wrapped a raster at -179.6 onto the cells past 180 while point
    # tables and outlines stayed off them
    _refused(sandbox, cli, _region_job("EPSG:4326", "0.01", bounds),
             [":7:", "'region.bounds'", *needles])


def test_geographic_bounds_up_to_180_still_load(sandbox: Sandbox, cli: Any) -> None:
    # Control: a region ending at the antimeridian is a region
    sandbox.write_job(_region_job("EPSG:4326", "0.01", "[179.0, -17, 180.0, -16]"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err


@pytest.mark.parametrize(("crs", "resolution", "bounds"), [
    ("EPSG:28992", "0.01", "[5.6, 51.9, 5.7, 52.0]"),  # Wageningen in RD New
    ("EPSG:3405", "0.0003", "[103.2, 22.2, 103.6, 22.6]"),  # Lai Chau in VN-2000 / UTM 48N
    ("EPSG:32619", "0.0001", "[-68.42, 12.02, -68.19, 12.31]"),  # Bonaire in UTM 19N
    ("EPSG:32620", "0.0001", "[-63.26, 17.6, -63.2, 17.66]"),  # Saba in UTM 20N
], ids=["rd-new", "vn2000", "utm19n", "utm20n"])
def test_longitudes_and_latitudes_given_to_a_metre_crs_are_named(
    sandbox: Sandbox, cli: Any, crs: str, resolution: str, bounds: str,
) -> None:
    # Before: RD New made a 10 x 10 grid of centimetre cells in France (exit 0); UTM was
    # "extends 1.49 degrees past the UTM zone ... set 'cross_zone: true'"; VN-2000 "far
    # from the area" without a word of degrees
    _refused(sandbox, cli, _region_job(crs, resolution, bounds),
             ["'region'", "look like longitudes and latitudes", f"{crs} is in metres"],
             absent=("cross_zone",))


def test_metres_in_rd_new_still_load(sandbox: Sandbox, cli: Any) -> None:
    # Control: Wageningen in RD New's own metres
    sandbox.write_job(_region_job("EPSG:28992", "10", "[170000, 440000, 171000, 441000]"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err


# -- lists, mappings, standard input, variables and includes --------------------------------

@pytest.mark.parametrize(("extra", "needles"), [
    ("indices: [NDVI]\n", ["'indices' is a list", "section of keys", "names"]),
    ("model: [rf]\n", ["'model' is a list", "estimator"]),
], ids=["indices", "model"])
def test_a_list_given_for_a_section_says_to_write_its_keys(
    sandbox: Sandbox, cli: Any, extra: str, needles: list[str],
) -> None:
    # Before: "Input should be a valid dictionary or instance of IndicesConfig"
    _refused(sandbox, cli, JOB + extra, [":13:", *needles], absent=("IndicesConfig",
                                                                    "ModelConfig"))


def test_sources_written_as_a_mapping_of_names_say_how_to_list_them(
    sandbox: Sandbox, cli: Any,
) -> None:
    # Before: "Input should be a valid list"
    text = JOB.split("sources:")[0] + "sources:\n  heat:\n    kind: raster\n    path: heat.tif\n"
    _refused(sandbox, cli, text, [":9:", "'sources' is a mapping", "'- name: heat'"])


def test_a_config_on_standard_input_is_refused_saying_why(sandbox: Sandbox) -> None:
    # Before: "-: config file not found" (and `run - -o OUT` the same)
    env = {**os.environ}
    env.pop("PROSPECT_DEBUG", None)
    for args in (("plan", "-"), ("run", "-", "-o", str(sandbox.out)),
                 ("indices", "-", "-o", str(sandbox.out))):
        proc = subprocess.run([*PROSPECT_SCRIPT, *args], cwd=sandbox.root, env=env,
                              input=JOB, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert "standard input" in proc.stderr and "save the config" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not sandbox.out.exists()
    assert sandbox.untouched()


def test_a_variable_in_a_flow_mapping_is_named(sandbox: Sandbox, cli: Any) -> None:
    # Before: "not valid YAML at line 2, column 22: expected ',' or '}', but got '{'"
    text = "name: tiny\nregion: {reference: ${DATA}/heat.tif}\n" + SOURCE
    _refused(sandbox, cli, text, ["line 2", "${DATA}", "not expanded"])


def test_a_variable_in_an_archive_path_is_named(sandbox: Sandbox, cli: Any) -> None:
    # Before: "the archive .../${DATA}/a.zip does not exist", nothing on the variable
    text = JOB.replace("path: heat.tif", "path: /vsizip/${DATA}/a.zip/heat.tif")
    assert "${DATA}" in text
    _refused(sandbox, cli, text, ["${DATA}", "does not exist", "not expanded"])


@pytest.mark.parametrize("key", ["include", "extends", "imports"])
def test_a_key_asking_for_another_config_says_a_config_stands_alone(
    sandbox: Sandbox, cli: Any, key: str,
) -> None:
    # Before: "unknown key 'include' (remove it; keys allowed here: description, ...)"
    _refused(sandbox, cli, f"{key}: common.yaml\n" + JOB,
             [":1:", f"unknown key '{key}'", "cannot include", "'x-' key"])


def test_a_region_file_keeps_its_anchors_under_an_x_key(sandbox: Sandbox, cli: Any) -> None:
    # Before: a region file with 'x-grid: &g' was "unknown key 'x-grid'"; the rule holds
    # for every file the loader reads
    (sandbox.root / "area.yaml").write_text(
        "x-chunks: &c [20, 20]\nkind: region\nname: area\ncrs: EPSG:32619\nresolution: 10\n"
        "bounds: [500000, 1350000, 500400, 1350400]\nchunks: *c\n")
    sandbox.write_job("name: tiny\nsynthetic: true\nregion: area.yaml\n" + SOURCE)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert sandbox.untouched()


# -- every command's --help shows examples that run -----------------------------------------

COMMANDS = ("plan", "run", "ingest", "screen", "train", "score", "tiles", "regions", "jobs",
            "demo", "indices", "serve-key", "serve", "model")
"""Every command of ``prospect`` (``model``'s examples name its subcommands)."""

RUN_AS_IS = ("regions", "jobs", "plan", "indices")
"""Commands whose examples are run as they are (seconds, nothing written); the examples of
the others are parsed, and the job they name is planned."""

_PLANNED: dict[str, int] = {}
"""Exit code of ``prospect plan`` per shipped job, once per session."""


@pytest.mark.parametrize("command", COMMANDS)
def test_every_commands_help_shows_examples_that_run(
    cli: Any, monkeypatch: pytest.MonkeyPatch, command: str,
) -> None:
    # Before: no command's --help showed an example
    import re
    import shlex

    from typer.main import get_command

    from pipelines.cli import _register, app

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("COLUMNS", "200")
    shown = cli(command, "--help")
    assert shown.code == 0, shown.err
    lines = re.findall(r"^\s*(prospect \S.*?)\s*$", shown.out.split("Examples", 1)[-1],
                       re.MULTILINE) if "Examples" in shown.out else []
    assert lines, shown.out
    _register()
    group: Any = get_command(app)
    for line in lines:
        words = shlex.split(line)
        assert words[:2] == ["prospect", command], line
        parent = group.make_context("prospect", list(words[1:]), resilient_parsing=True)
        group.get_command(parent, command).make_context(command, list(words[2:]),
                                                        parent=parent)
        named = [w for w in words if w.endswith(".yaml")]
        assert all((REPO / j).is_file() for j in named), named
        jobs = [w for w in named if w.startswith("configs/jobs/")]  # a serve config: no job
        if not jobs:
            if command in RUN_AS_IS:
                result = cli(*words[1:])
                assert result.code == 0, result.err
            continue
        if not (REPO.parent / "shared" / "data").is_dir():
            pytest.skip("the shipped jobs read ../shared/data")
        if command == "plan":
            result = cli(*words[1:])
            assert result.code == 0, result.err
            continue
        if jobs[0] not in _PLANNED:
            result = cli("plan", jobs[0])
            _PLANNED[jobs[0]] = result.code
            assert result.code == 0, result.err
        assert _PLANNED[jobs[0]] == 0, jobs[0]


def test_shell_completion_completes_commands_and_options(tmp_path: Any) -> None:
    # Before: 'No such option: --show-completion' (completion was switched off), so no
    # shell completed 'prospect pl<TAB>'
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "SHELL": "/bin/bash"}
    # typer detects the shell from the process tree (a word after the option is ignored):
    # run it from bash, as a user's terminal does, not from whatever started pytest (sh)
    shown = subprocess.run(["bash", "-c", '"$@"; exit $?', "bash", *PROSPECT_SCRIPT,
                            "--show-completion"], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "_PROSPECT_COMPLETE" in shown.stdout
    for words, cword, expected in (("prospect pl", "1", "plan"),
                                   ("prospect plan --js", "2", "--json")):
        done = subprocess.run(PROSPECT_SCRIPT, cwd=REPO, capture_output=True, text=True,
                              timeout=120, env={**env, "_PROSPECT_COMPLETE": "complete_bash",
                                                "COMP_WORDS": words, "COMP_CWORD": cword})
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [expected], done.stdout
    assert list(tmp_path.iterdir()) == []  # showing and completing install nothing


@pytest.mark.parametrize("args", [(), ("plan",), ("run",), ("model", "score"), ("indices",)],
                         ids=["prospect", "plan", "run", "model-score", "indices"])
def test_a_flag_in_help_shows_no_value(
    cli: Any, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
) -> None:
    # Before: '--json <bool>', '--force,--restart <bool>', '--help <bool>': read as options
    # taking true/false, and '--json true' was "Got unexpected extra argument(s) (true)"
    monkeypatch.setenv("COLUMNS", "200")
    shown = cli(*args, "--help")
    assert shown.code == 0, shown.err
    assert "--help" in shown.out
    assert "<bool>" not in shown.out, shown.out
