"""Configs and the command line as survey scientists write and call them.

A group called without a command (``prospect``, ``prospect model``) is a usage error said
as every other one; a file that declares ``%YAML 1.2`` is read by YAML 1.2's rules; a name
that breaks its pattern is told in words with a name that fits; a list of the wrong length,
a list where one value goes and a top-level list say what to write; bounds out of order or
of no area say which pair and the bounds meant; a time-series date in the future is
refused. Rasters here are small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error
from .test_configs_round18 import JOB, _refused, _region_job

BOUNDS = "[500000.0, 1350000.0, 500400.0, 1350400.0]"


# -- a group without a command ----------------------------------------------------------------

@pytest.mark.parametrize(("args", "usage", "commands"), [
    ([], "Usage: prospect [OPTIONS] COMMAND", ["run", "plan", "model"]),
    (["model"], "Usage: prospect model [OPTIONS] COMMAND", ["list", "show", "import"]),
])
def test_a_group_without_a_command_is_a_usage_error(
        cli: Any, args: list[str], usage: str, commands: list[str]) -> None:
    # Before: the whole help on standard output, a blank line on standard error, exit 2
    result = cli(*args)
    assert result.code == 2, result.err
    assert result.out == "", result.out[:500]
    assert usage in result.err, result.err
    assert "no command given" in result.err, result.err
    assert all(c in result.err.split("no command given", 1)[1] for c in commands), result.err
    assert "--help" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize("args", [["--help"], ["model", "--help"]])
def test_the_help_of_a_group_still_exits_0(cli: Any, args: list[str]) -> None:
    # control: asked for, the help is printed on standard output and the command succeeds
    result = cli(*args)
    assert result.code == 0, result.err
    assert "Commands" in result.out and result.err.strip() == ""


# -- a file that declares %YAML 1.2 -----------------------------------------------------------

def test_a_file_declaring_yaml_1_2_is_read_by_yaml_1_2(tmp_path: Path) -> None:
    # Before: 017 refused as YAML 1.1's octal, 'on' true, a date a date, '1e3' text
    from prospect.config._base import load_yaml

    path = tmp_path / "values.yaml"
    path.write_text("%YAML 1.2\n---\nseed: 017\nflag: on\nday: 2024-01-01\nbig: 1e3\n"
                    "octal: 0o17\nhex: 0x1F\nnone: ~\nsixty: 1:30\nyes_: TRUE\n")
    data = load_yaml(path)
    assert dict(data) == {"seed": 17, "flag": "on", "day": "2024-01-01", "big": 1000.0,
                          "octal": 15, "hex": 31, "none": None, "sixty": "1:30",
                          "yes_": True}


def test_a_job_declaring_yaml_1_2_plans_with_its_numbers_as_written(
        sandbox: Sandbox, cli: Any) -> None:
    # Before: 'resolution: 010' refused as YAML 1.1's octal 8 in a file declaring 1.2
    sandbox.write_job("%YAML 1.2\n---\n" + JOB.replace("resolution: 10.0", "resolution: 010"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert "grid: 40 x 40 cells" in result.out, result.out  # 010 read as 10 m, not 8
    assert sandbox.untouched()


def test_a_file_without_the_directive_is_still_read_as_yaml_1_1(
        sandbox: Sandbox, cli: Any) -> None:
    # control: without '%YAML 1.2', 010 is YAML 1.1's octal and is refused as before
    _refused(sandbox, cli, JOB.replace("resolution: 10.0", "resolution: 010"),
             ["'010'", "octal (8)"])


# -- names, lists and bounds said in words ----------------------------------------------------

@pytest.mark.parametrize(("old", "new", "key", "fitted"), [
    ("name: tiny\nsynthetic", "name: 'Curaçao survey 2024'\nsynthetic", "'name'",
     "'Curacao-survey-2024'"),
    ("name: tiny\n  crs", "name: Tiny Area\n  crs", "'region.name'", "'tiny-area'"),
    ("name: heat", "name: heat map", "'sources.0.raster.name'", "'heat_map'"),
])
def test_a_name_that_breaks_its_pattern_is_told_in_words(
        sandbox: Sandbox, cli: Any, old: str, new: str, key: str, fitted: str) -> None:
    # Before: "String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.-]*$'"
    assert old in JOB
    _refused(sandbox, cli, JOB.replace(old, new, 1), [key, "a name here is", fitted],
             absent=("String should match", "^["))


@pytest.mark.parametrize(("key", "value", "needles"), [
    ("chunks", "[20]", ["'region.chunks'", "1 value, but the key takes 2", "[rows, columns]"]),
    ("chunks", "[20, 20, 20]", ["'region.chunks'", "3 values, but the key takes 2"]),
    ("bounds", "[500000, 1350000, 500400]",
     ["'region.bounds'", "3 values, but the key takes 4", "[left, bottom, right, top]"]),
    ("bounds", "[500000, 1350000, 500400, 1350400, 0]",
     ["'region.bounds'", "5 values, but the key takes 4"]),
])
def test_a_list_of_the_wrong_length_says_how_many_values_it_takes(
        sandbox: Sandbox, cli: Any, key: str, value: str, needles: list[str]) -> None:
    # Before: "missing required key 'region.chunks.1'", "Tuple should have at most 4 items
    # after validation, not 5"
    old = {"chunks": "chunks: [20, 20]", "bounds": f"bounds: {BOUNDS}"}[key]
    _refused(sandbox, cli, JOB.replace(old, f"{key}: {value}"), needles,
             absent=("missing required key", "after validation", "Tuple"))


@pytest.mark.parametrize(("value", "needles"), [
    ("[10]", ["a list of one value", "write 10 without the brackets"]),
    ("[10, 10]", ["a list, but the key takes one value", "cells are square"]),
    ("[]", ["an empty list", "leave the key out"]),
    ("{x: 10}", ["a mapping of keys, but it takes one value"]),
])
def test_a_list_where_one_value_goes_says_what_to_write(
        sandbox: Sandbox, cli: Any, value: str, needles: list[str]) -> None:
    # Before: "Input should be a valid number"
    _refused(sandbox, cli, JOB.replace("resolution: 10.0", f"resolution: {value}"),
             ["'region.resolution'", *needles], absent=("Input should be",))


@pytest.mark.parametrize(("old", "new", "needles"), [
    # the source's kind: "missing required key 'sources.0.kind'" alone, 'kid' unnamed
    ("- kind: raster", "- kid: raster", ["'sources.0.kind'", "'kid' is written",
                                         "did you mean 'kind'?"]),
    # a required key misspelt: its "missing" line beside the "did you mean" line
    ("  crs: EPSG:32619", "  cr: EPSG:32619", ["'region.cr'", "did you mean 'crs'?"]),
    # the override form's base: the inline form's missing name, crs and bounds, 4 lines
    ("region:\n  name: tiny\n  crs: EPSG:32619\n  resolution: 10.0\n",
     "region:\n  bae: bonaire\n  name: tiny\n  resolution: 10.0\n",
     ["'region.bae'", "did you mean 'base'?"]),
])
def test_a_key_misspelt_by_one_letter_is_one_line_with_the_key_meant(
        sandbox: Sandbox, cli: Any, old: str, new: str, needles: list[str]) -> None:
    assert old in JOB
    text = JOB.replace(old, new)
    if "bae:" in new:  # an override of the shipped bonaire, nothing but its base misspelt
        text = text.replace(f"  bounds: {BOUNDS}\n  chunks: [20, 20]\n", "")
    _refused(sandbox, cli, text, needles, absent=("missing required key 'region",))


def test_a_list_at_the_top_level_says_to_write_keys(sandbox: Sandbox, cli: Any) -> None:
    # Before: "the top level must be a mapping of keys to values, got list"
    _refused(sandbox, cli, "- name: tiny\n- region: bonaire\n",
             ["top level", "a list (lines starting with '- ')", "write the keys without '- '"])


@pytest.mark.parametrize(("bounds", "needles"), [
    ("[500400.0, 1350000.0, 500000.0, 1350400.0]",
     ["left and right are the other way round", "write [500000, 1350000, 500400, 1350400]"]),
    ("[500000.0, 1350400.0, 500400.0, 1350000.0]",
     ["bottom and top are the other way round", "write [500000, 1350000, 500400, 1350400]"]),
    ("[500000.0, 1350000.0, 500400.0, 1350000.0]",
     ["bottom and top are both 1350000", "no height"]),
])
def test_bounds_out_of_order_or_of_no_area_name_the_pair_and_the_fix(
        sandbox: Sandbox, cli: Any, bounds: str, needles: list[str]) -> None:
    # Before: "bounds must be [left, bottom, right, top] with right > left, top > bottom"
    # alone, the same words for a swapped pair and a region of no height
    _refused(sandbox, cli, _region_job("EPSG:32619", "10.0", bounds),
             ["'region.bounds'", *needles])


@pytest.mark.parametrize(("crs", "bounds", "needles"), [
    # a right bound 50 000 km out (a typo of 181200): a band round the Earth in RD New
    ("EPSG:28992", "[163500, 430590, 50000000, 452100]",
     ["degrees past the area EPSG:28992 is made for", "a bound mistyped"]),
    ("EPSG:28992", "[163500, 430590, 1000000, 452100]",
     ["10.4 degrees past the area EPSG:28992"]),
    # past any projection's reach: PROJ placed it anyway (RD New's 1e308 at 175 W, then
    # "internal error: OverflowError" counting its cells)
    ("EPSG:28992", "[163500, 430590, 1.0e+308, 452100]",
     ["reach past where EPSG:28992 maps the Earth", "not the point given"]),
    ("EPSG:32619", "[500000, 1350000, 1.0e+308, 1350400]",
     ["reach past where EPSG:32619 maps the Earth"]),
])
def test_bounds_reaching_far_past_their_crs_are_refused(
        sandbox: Sandbox, cli: Any, crs: str, bounds: str, needles: list[str]) -> None:
    # Before: planned (exit 0), or exit 70 for 1e308
    _refused(sandbox, cli, _region_job(crs, "30.0", bounds), ["key 'region'", *needles])


def test_a_region_within_its_crs_area_still_plans(sandbox: Sandbox, cli: Any) -> None:
    # control: the Wageningen bounds in RD New, a little past nothing
    sandbox.write_job(_region_job("EPSG:28992", "30.0", "[163500, 430590, 181200, 452100]"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert "grid: 717 x 590 cells" in result.out, result.out


@pytest.mark.parametrize(("value", "needle"), [(80, "80 % is 0.8"), (250, "not as a percentage")])
def test_a_recovery_given_as_a_percentage_says_so(value: float, needle: str) -> None:
    # Before: "Input should be less than or equal to 1"
    from pydantic import ValidationError

    from prospect.config.economics import EconomicsConfig

    with pytest.raises(ValidationError, match=needle):
        EconomicsConfig(concentration="li", recovery=value)
    assert EconomicsConfig(concentration="li", recovery=1).recovery == 1.0  # control


def test_a_time_series_date_in_the_future_is_refused() -> None:
    # Before: 2204-04-19 (a year's digits swapped) was taken as the scene's date
    from pydantic import ValidationError

    from prospect.config.timeseries import DateBands

    with pytest.raises(ValidationError, match="in the future"):
        DateBands.model_validate({"date": "2204-04-19", "bands": {"red": "tm_red"}})
    assert str(DateBands.model_validate({"date": "2014-04-19", "bands": {"red": "tm_red"}})
               .date) == "2014-04-19"  # control


def test_every_refusal_here_is_one_line(sandbox: Sandbox, cli: Any) -> None:
    # control of the form: the file and line, one error line, nothing written
    sandbox.write_job(JOB.replace("chunks: [20, 20]", "chunks: [20]"))
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(result, 2, f"{sandbox.job_path}:")
    assert "region.chunks" in line
    assert not sandbox.out.exists()
