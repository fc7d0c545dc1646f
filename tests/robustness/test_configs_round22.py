"""Configs, the environment and the command line as survey scientists meet them.

A custom projected CRS that states no area of use (a PROJ ``tmerc`` string) is checked
against where its projection is made for; every ``PROSPECT_*`` limit is checked before a
command runs and named as the environment's; a NUL byte in a config is placed; a config
or region file that is a broken or looping symbolic link says so, and a symbolic link to
a config takes its relative paths from the real file's folder in ``plan`` as in a run;
``-o`` is refused where a run would write over another tool's files or into another
job's outputs (the root, the home folder, another job's cube); an option's value that is
another option's name is refused. Rasters here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error
from .test_configs_round18 import JOB, _refused, _region_job

TM_VN = ("+proj=tmerc +lat_0=0 +lon_0=105.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
         "+towgs84=0,0,0 +units=m +no_defs")
"""A transverse Mercator zone on 105.75 E written as a PROJ string (no area of use)."""
RD_PROJ = ("+proj=sterea +lat_0=52.15616055555555 +lon_0=5.38763888888889 +k=0.9999079 "
           "+x_0=155000 +y_0=463000 +ellps=bessel +towgs84=565.417,50.3319,465.552,"
           "-0.398957,0.343988,-1.8774,4.0725 +units=m")
"""RD New as a PROJ string: an oblique stereographic projection with no area of use."""


# -- a custom projected CRS with no area of use ------------------------------------------------

@pytest.mark.parametrize(("crs", "bounds", "needles"), [
    (TM_VN, "[2500000, 2400000, 2500400, 2400400]",
     ["'region'", "from the central meridian (105.75)", "states no area of use", "+lon_0"]),
    (TM_VN, "[-1500000, 2400000, -1499600, 2400400]",
     ["from the central meridian (105.75)", "refused past 8"]),
    (RD_PROJ, "[3100000, 400000, 3100400, 400400]",
     ["Oblique Stereographic", "states no area of use", "distorts lengths by"]),
])
def test_bounds_far_from_a_custom_projection_s_centre_are_refused(
        sandbox: Sandbox, cli: Any, crs: str, bounds: str, needles: list[str]) -> None:
    # Before: planned (exit 0) with only "none of its files overlap the region"
    _refused(sandbox, cli, _region_job(crs, "10.0", bounds), needles)


@pytest.mark.parametrize(("crs", "bounds"), [
    (TM_VN, "[500000, 2400000, 500400, 2400400]"),   # on the meridian
    (TM_VN, "[1200000, 2400000, 1200400, 2400400]"),  # 7 degrees east of it
    (RD_PROJ, "[155000, 463000, 155400, 463400]"),   # Amersfoort
])
def test_a_custom_projection_used_where_it_is_made_for_still_plans(
        sandbox: Sandbox, cli: Any, crs: str, bounds: str) -> None:
    # control
    sandbox.write_job(_region_job(crs, "10.0", bounds))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert "grid: 40 x 40 cells" in result.out, result.out


# -- PROSPECT_* variables ------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "value", "needle"), [
    ("PROSPECT_MAX_CELLS", "abc", "no whole number above 0"),
    ("PROSPECT_MAX_SOURCES", "0", "no whole number above 0"),
    ("PROSPECT_MAX_BLOCK_BYTES", "9" * 400, "larger than the most accepted"),
    ("PROSPECT_TASK_TIMEOUT", "1e3", "write it as a whole number (1000)"),
    ("PROSPECT_MAX_CELLS", "-5", "no whole number above 0"),
    ("PROSPECT_TASK_TIMEOUT", "1.5", "no whole number above 0"),
    ("PROSPECT_REMOTE_VRT_SOURCES", "many", "no whole number above 0"),
])
def test_a_bad_limit_in_the_environment_is_named_as_the_environment_s(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, name: str, value: str,
        needle: str) -> None:
    # Before: PROSPECT_MAX_CELLS=abc was "job.yaml:3: key 'region': ...", MAX_SOURCES=0
    # "key 'sources' has bad value [...]", the block and timeout limits were taken by plan
    # (exit 0), 400 digits echoed whole
    monkeypatch.setenv(name, value)
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, f"environment variable {name}=", needle, "unset it")
    assert "key '" not in line and len(line) < 300, line
    assert sandbox.untouched()


def test_a_timeout_past_a_float_is_a_config_error_not_an_overflow(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: internal error: OverflowError: int too large to convert to float (at run)
    from pipelines.cluster import task_timeout
    from prospect.errors import ConfigError

    monkeypatch.setenv("PROSPECT_TASK_TIMEOUT", "9" * 400)
    with pytest.raises(ConfigError, match=r"PROSPECT_TASK_TIMEOUT=.*larger than the most"):
        task_timeout()
    monkeypatch.setenv("PROSPECT_TASK_TIMEOUT", "0")
    with pytest.raises(ConfigError, match=r"unset by default"):  # not "(default 0)"
        task_timeout()


@pytest.mark.parametrize("value", ["true", "yes", "2"])
def test_a_debug_value_other_than_1_or_0_is_said(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    # Before: taken as off without a word (only '1' turns it on)
    monkeypatch.setenv("PROSPECT_DEBUG", value)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert f"warning: PROSPECT_DEBUG='{value}' is read as 0 (off)" in result.err, result.err


def test_help_and_a_good_environment_say_nothing_of_it(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # control: --help runs nothing; 1_000 and blank values are taken
    monkeypatch.setenv("PROSPECT_MAX_CELLS", "abc")
    assert cli("plan", "--help").code == 0
    monkeypatch.setenv("PROSPECT_MAX_CELLS", "1_000_000")
    monkeypatch.setenv("PROSPECT_MAX_SOURCES", " ")
    monkeypatch.setenv("PROSPECT_DEBUG", "0")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0 and "PROSPECT_" not in result.err, result.err


# -- characters and links in config files --------------------------------------------------------

@pytest.mark.parametrize(("inserted", "needles"), [
    (b"\x00", ["line 5, column 3", "a NUL byte (U+0000)", "tr -d '\\000'"]),
    (b"\x07", ["line 5, column 3", "a control character (U+0007)"]),
])
def test_a_nul_or_control_character_in_a_config_is_placed(
        sandbox: Sandbox, cli: Any, inserted: bytes, needles: list[str]) -> None:
    # Before: "not valid YAML: unacceptable character #x0000: special characters are not
    # allowed", no line, no fix
    raw = JOB.encode()
    sandbox.job_path.write_bytes(raw[:50] + inserted + raw[50:])
    sandbox._before = sandbox.snapshot()
    assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml", *needles)
    assert sandbox.untouched()


@pytest.mark.parametrize(("encoded", "needles"), [
    (JOB.encode("utf-16-le"), ["UTF-16 without its byte-order mark", "iconv -f UTF-16LE"]),
    (("description: Curaçao\n" + JOB).encode("utf-16-be"),
     ["UTF-16 without its byte-order mark", "iconv -f UTF-16BE"]),
    (JOB.encode("utf-32"), ["saved as UTF-32", "iconv -f UTF-32 "]),
    (("description: “SYNTHETIC”\n" + JOB).encode("cp1252"),
     ["byte 0x93 at line", "Windows-1252", "iconv -f CP1252"]),
])
def test_a_config_in_another_encoding_is_named_as_it_is(
        sandbox: Sandbox, cli: Any, encoded: bytes, needles: list[str]) -> None:
    # Before: UTF-16 without a BOM was "unacceptable character #x0000" (or, with an
    # accent, "a binary file"), UTF-32 "saved as UTF-16", Windows-1252 quotes "iconv -f
    # LATIN1" (which turns them into control characters)
    sandbox.job_path.write_bytes(encoded)
    assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml", *needles)


@pytest.mark.parametrize(("target", "needle"), [
    ("nothere.yaml", "a symbolic link to"), ("loop.yaml", "symbolic link loop"),
])
def test_a_config_that_is_a_broken_link_says_so(
        sandbox: Sandbox, cli: Any, target: str, needle: str) -> None:
    # Before: "config file not found", which sent the user looking for a typo
    link = sandbox.root / "loop.yaml"
    link.symlink_to(sandbox.root / target)
    assert_clean_error(cli("plan", link), 2, "loop.yaml", needle)


def test_a_region_file_that_is_a_broken_link_says_so(sandbox: Sandbox, cli: Any) -> None:
    # Before: "region file '.../area.yaml' not found"
    (sandbox.root / "area.yaml").symlink_to(sandbox.root / "regions" / "area.yaml")
    text = JOB.split("region:")[0] + "region: area.yaml\nsources:" + JOB.split("sources:")[1]
    _refused(sandbox, cli, text, ["job.yaml:3", "a symbolic link to", "regions/area.yaml"])


AREA = ("name: area\ncrs: EPSG:32619\nresolution: 10.0\n"
        "bounds: [500000.0, 1350000.0, 500400.0, 1350400.0]\nchunks: [20, 20]\n")
"""A region file of the tiny grid."""


def _job_with_region_file(sandbox: Sandbox, name: str) -> str:
    (sandbox.root / name).write_text(AREA)
    return JOB.split("region:")[0] + f"region: {name}\nsources:" + JOB.split("sources:")[1]


def test_a_region_file_ending_in_upper_case_yaml_is_read(sandbox: Sandbox, cli: Any) -> None:
    # Before: 'region: area.YAML' (a Windows editor's name) was "unknown region"
    sandbox.write_job(_job_with_region_file(sandbox, "area.YAML"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert "grid: 40 x 40 cells" in result.out, result.out


def test_a_region_file_of_another_ending_is_named_as_a_file(
        sandbox: Sandbox, cli: Any) -> None:
    # Before: 'region: area.json' was "unknown region 'area.json'; shipped regions: ..."
    _refused(sandbox, cli, _job_with_region_file(sandbox, "area.json"),
             ["job.yaml:3", "names the file", "area.json", ".yaml or .yml"],
             absent=("shipped regions:",))


def test_a_linked_config_takes_its_paths_from_the_real_file_s_folder(
        sandbox: Sandbox, cli: Any) -> None:
    # Before: plan took them from the link's folder ("raster file not found", counted from
    # the config), the stage commands from the real file's (they load the resolved path)
    from prospect.config import load_job

    links = sandbox.root / "links"
    links.mkdir()
    (links / "current.yaml").symlink_to(sandbox.job_path)
    job = load_job(links / "current.yaml")
    assert Path(job.sources[0].path) == sandbox.root / "heat.tif"
    result = cli("plan", links / "current.yaml")
    assert result.code == 0 and "not found" not in result.err, result.err


@pytest.mark.parametrize(("sensor", "needles"), [
    ("job.yaml", ["'indices.sensor'", "is a job config", "not a sensor's band file"]),
    ("gone.yaml", ["'indices.sensor'", "sensor file", "not found",
                   "taken from the job file's folder"]),
    ("link.yaml", ["a symbolic link to", "gone.yaml, which does not exist"]),
])
def test_a_sensor_file_that_is_the_job_or_no_file_is_named(
        sandbox: Sandbox, cli: Any, sensor: str, needles: list[str]) -> None:
    # Before: the job itself was "missing required key 'bands'"; a broken link named its
    # target alone: "<target>: config file not found"
    (sandbox.root / "link.yaml").symlink_to(sandbox.root / "gone.yaml")
    text = JOB + f"indices:\n  sensor: {sensor}\n  names: [NDVI]\n"
    _refused(sandbox, cli, text, ["job.yaml:", *needles], absent=("missing required key",))


@pytest.mark.parametrize(("text", "needles"), [
    ("x-a: &a [*a]\n" + JOB, ["line 1 holds itself", "*a inside its own anchor &a"]),
    ("x-a: &a [20, 20]\n" + JOB.replace("region:\n", "region:\n  <<: *a\n"),
     ["merge key '<<' of the mapping at line 5 takes a mapping"]),
])
def test_an_alias_inside_its_own_anchor_or_a_merge_of_no_mapping_is_placed(
        sandbox: Sandbox, cli: Any, text: str, needles: list[str]) -> None:
    # Before: "nested too deeply" (no line); a merge of a list named the anchor's line only
    _refused(sandbox, cli, text, needles)


@pytest.mark.parametrize(("text", "needles"), [
    ("name: a\n---\nname: b\n", ["line 2", "one YAML document", "second '---'"]),
    ("%YAML 2.0\n---\nname: a\n", ["version 1.* is required", "'%YAML 1.2'"]),
    ("? [a, b]\n: 1\n", ["unhashable key", "a key is a name"]),
])
def test_yaml_s_own_refusals_say_the_fix(tmp_path: Path, text: str,
                                         needles: list[str]) -> None:
    # Before: "but found another document", "found incompatible YAML document", "found
    # unhashable key": what, but not how to fix it
    from prospect.config._base import load_yaml
    from prospect.errors import ConfigError

    path = tmp_path / "job.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    assert all(n in str(info.value) for n in needles), str(info.value)


def test_a_merge_of_a_list_of_mappings_still_loads(sandbox: Sandbox, cli: Any) -> None:
    # control: '<<: [*a, *b]' merges both, as YAML's merge key type says
    text = ("x-a: &a {chunks: [20, 20]}\nx-b: &b {resolution: 10.0}\n" + JOB.replace(
        "region:\n", "region:\n  <<: [*a, *b]\n").replace("  chunks: [20, 20]\n", "")
        .replace("  resolution: 10.0\n", ""))
    sandbox.write_job(text)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert "grid: 40 x 40 cells" in result.out, result.out


@pytest.mark.parametrize(("command", "folder"), [("regions", "regions"), ("jobs", "jobs")])
def test_one_broken_config_in_a_copied_configs_folder_does_not_hide_the_others(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, command: str,
        folder: str) -> None:
    # Before: 'prospect regions'/'jobs' printed that file's error alone (exit 2), as if
    # the folder held nothing else
    (tmp_path / "regions").mkdir()
    (tmp_path / "jobs").mkdir()
    (tmp_path / "regions" / "area.yaml").write_text(AREA)
    (tmp_path / "jobs" / "tiny.yaml").write_text(JOB.replace("path: heat.tif",
                                                             "path: nothere.tif"))
    (tmp_path / folder / "broken.yaml").write_bytes(b"name: broken\n\x00\n")
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(tmp_path))
    result = cli(command)
    assert result.code == 2, result.err
    assert ("area" if command == "regions" else "tiny") in result.out, result.out
    assert "broken.yaml: not valid YAML at line 2" in result.err, result.err
    assert "1 " + command[:-1] + " config(s) above are not listed" in result.err


# -- -o where a run would write over what is not its own -----------------------------------------

def test_o_at_the_root_or_the_home_folder_is_refused(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Before: plan -o / and run -o $HOME went on; a run wrote its cube, manifest, lock and
    # stage folders there (-o "$OUT/" with OUT unset)
    assert_clean_error(cli("plan", sandbox.job_path, "-o", "/"), 2, "-o /",
                       "the root of the file system", "OUT unset")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    result = cli("ingest", sandbox.job_path, "-o", "~", "--workers", "1")
    assert_clean_error(result, 2, "the home folder itself", "~/runs/tiny")
    assert os.listdir(home) == [] and sandbox.untouched()


def test_a_manifest_of_another_tool_in_o_is_not_replaced(sandbox: Sandbox, cli: Any) -> None:
    # Before: the run wrote its manifest over a download's manifest.json without a word
    sandbox.out.mkdir()
    theirs = '{"files": ["a.tif"], "from": "a download"}'
    (sandbox.out / "manifest.json").write_text(theirs)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--workers", "1")
    assert_clean_error(result, 2, "holds a manifest.json that no Prospect run wrote",
                       "move that file")
    assert (sandbox.out / "manifest.json").read_text() == theirs
    assert sorted(os.listdir(sandbox.out)) == ["manifest.json"]


def test_an_empty_record_or_a_prospect_manifest_in_o_is_taken(
        sandbox: Sandbox, cli: Any) -> None:
    # control: '{}' and a run's own manifest are Prospect's
    sandbox.out.mkdir()
    for text in ("{}", json.dumps({"format": 1, "job": "tiny", "runs": []})):
        (sandbox.out / "manifest.json").write_text(text)
        assert cli("plan", sandbox.job_path, "-o", sandbox.out).code == 0


@pytest.mark.parametrize(("inside", "needle"), [
    ("c.zarr/run", "inside c.zarr of the output folder"),
    ("score", "inside score of the output folder"),
    ("c.zarr/x/y", "job 'other'"),
])
def test_o_inside_another_job_s_outputs_is_refused(
        sandbox: Sandbox, cli: Any, inside: str, needle: str) -> None:
    # Before: planned and ran into a folder the other job's next run replaces whole
    other = sandbox.root / "other"
    (other / "c.zarr").mkdir(parents=True)
    (other / "manifest.json").write_text(json.dumps(
        {"format": 1, "job": "other", "runs": [], "config": {"outputs": {"cube": "c.zarr"}}}))
    assert_clean_error(cli("plan", sandbox.job_path, "-o", other / inside), 2, needle)


def test_o_beside_another_job_s_outputs_or_the_config_still_plans(
        sandbox: Sandbox, cli: Any) -> None:
    # control: a folder of its own inside another job's -o, and the config's own folder
    (sandbox.root / "other").mkdir()
    (sandbox.root / "other" / "manifest.json").write_text(json.dumps(
        {"format": 1, "job": "other", "runs": []}))
    assert cli("plan", sandbox.job_path, "-o", sandbox.root / "other" / "mine").code == 0
    assert cli("plan", sandbox.job_path, "-o", sandbox.root).code == 0


def test_a_cube_path_holding_something_else_is_refused(sandbox: Sandbox, cli: Any) -> None:
    # Before: ingest wrote the job's arrays into the user's folder of that name
    (sandbox.out / "cube.zarr").mkdir(parents=True)
    (sandbox.out / "cube.zarr" / "notes.txt").write_text("mine")
    assert_clean_error(cli("plan", sandbox.job_path, "-o", sandbox.out), 2,
                       "cube.zarr there is not a cube a Prospect run wrote", "outputs.cube")


@pytest.mark.parametrize("manifest", [None, '{"format": 1, "job": "tiny", "runs": []}'])
def test_a_stage_folder_of_the_user_s_in_o_is_refused_before_a_run_replaces_it(
        sandbox: Sandbox, cli: Any, manifest: str | None) -> None:
    # Before: ingest ran, and train then stopped on "not a Prospect model directory"
    # (score/, tiles/ and viewer/ were replaced); control: an earlier run's folders
    from .test_configs_round19 import _model_sandbox

    _model_sandbox(sandbox, "heat.tif")
    (sandbox.out / "model").mkdir(parents=True)
    (sandbox.out / "model" / "notes.txt").write_text("mine")
    if manifest is not None:
        (sandbox.out / "manifest.json").write_text(manifest)
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    if manifest is None:
        assert_clean_error(result, 2, "model/ there holds files no Prospect run recorded",
                           "replaces that folder whole")
    else:
        assert result.code == 0, result.err


def test_the_demo_does_not_write_over_a_project_s_job_yaml(sandbox: Sandbox, cli: Any) -> None:
    # Before: prospect demo -o <project folder> replaced the project's job.yaml
    result = cli("demo", "-o", sandbox.root)
    assert_clean_error(result, 2, "holds job.yaml, not the demo's", "demo")
    assert sandbox.untouched() and not (sandbox.root / "scene").exists()


LONG = "a" * 300
"""A name no Linux file system holds (``NAME_MAX`` is 255 bytes)."""


@pytest.mark.parametrize("where", ["-o", "-o below", "config", "source"])
def test_a_name_too_long_for_the_file_system_is_a_clean_refusal(
        sandbox: Sandbox, cli: Any, where: str) -> None:
    # Before: -o was a traceback (ENAMETOOLONG raised again by the error line's own look
    # at the path), a config or source path "File name too long" with exit 74 (outputs
    # cannot be written)
    config, out = sandbox.job_path, sandbox.out
    if where.startswith("-o"):
        out = sandbox.root / LONG / ("x" if where == "-o below" else "")
    elif where == "config":
        config = sandbox.root / f"{LONG}.yaml"
    else:
        sandbox.write_job(JOB.replace("path: heat.tif", f"path: {LONG}.tif"))
    result = cli("ingest", config, "-o", out, "--workers", "1")
    assert result.code == 2, result.err
    assert "is 30" in result.err and "bytes: this file system takes names of at most" \
        in result.err, result.err
    assert "Traceback" not in result.err and not sandbox.out.exists()
    assert sandbox.untouched()


# -- an option's value that reads as an option ---------------------------------------------------

@pytest.mark.parametrize(("args", "needles"), [
    (["-o", "--force"], ["-o/--out took '--force', the name of an option", "missing"]),
    (["--scheduler", "-o", "out"], ["--scheduler took '-o'"]),
    (["-o", "-x"], ["'-x', which reads as an option", "./-x"]),
    (["--out=-"], ["'-'", "standard input or output"]),
])
def test_an_option_value_that_reads_as_an_option_is_refused(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, args: list[str],
        needles: list[str]) -> None:
    # Before: run -o --force ran the job into a folder named '--force'; -o -x made '-x'
    monkeypatch.chdir(sandbox.root)
    result = cli("run", sandbox.job_path, *args, "--workers", "1")
    assert result.code == 2, result.err
    assert all(n in result.err for n in needles), result.err
    assert "Traceback" not in result.err
    assert sorted(os.listdir(sandbox.root)) == ["heat.tif", "job.yaml", "precious"]


@pytest.mark.parametrize(("args", "needles"), [
    (["JOB\r"], ["argument 2", "carriage return", "Windows line ends (CRLF)", "dos2unix"]),
    (["JOB", "-o", "out\r"], ["carriage return", "dos2unix"]),
    (["JOB", "-o", "out\nx"], ["character 4 is a line break", "without it"]),
])
def test_a_carriage_return_or_line_break_in_an_argument_is_refused(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, args: list[str],
        needles: list[str]) -> None:
    # Before: 'plan job.yaml\r' (a CRLF script) was "config file not found" printed over
    # itself with a hint about spaces; -o 'out\r' and 'out\nx' made folders of those names
    monkeypatch.chdir(sandbox.root)
    result = cli("ingest", *(a.replace("JOB", "job.yaml") for a in args), "--workers", "1")
    assert result.code == 2, result.err
    assert all(n in result.err for n in needles), result.err
    assert sorted(os.listdir(sandbox.root)) == ["heat.tif", "job.yaml", "precious"]

