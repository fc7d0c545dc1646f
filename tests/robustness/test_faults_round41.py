"""Round 41, faults, job configs and indices configs: a band or constant named with a
hyphen or a dot (``SWIR-1``, ``red.edge``) told "no index uses" it or that the formula's
"expression" is not allowed; numbers too small for a float64 (``1e-400``) read as 0 in a
formula, a constant or ``indices.nodata``, and ``indices.nodata: 1e400`` as infinity,
without a word; and a value YAML cannot start (Markdown's backticks, ``@``, a Windows
``%VAR%``) told only "found character that cannot start any token".

The jobs are the corpus's tiny SYNTHETIC raster job, planned through the real CLI in this
process. No part of the engine is mocked. All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .conftest import Sandbox, assert_clean_error

INDICES = {"sensor": "sentinel2", "bands": {"N": "heat", "R": "heat"}}
"""The tiny job's indices section: both bands the formulas read, on its one layer."""


def _plan(sandbox: Sandbox, cli: Any, indices: dict[str, Any]) -> Any:
    """``prospect plan`` of the tiny job with ``indices`` as its indices section."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices=indices), sort_keys=False))
    return cli("plan", sandbox.job_path)


def _plan_text(sandbox: Sandbox, cli: Any, text: str) -> Any:
    """``prospect plan`` of ``text``, written verbatim as the job config."""
    sandbox.write_job(text)
    return cli("plan", sandbox.job_path)


def _with_value(sandbox: Sandbox, indices: dict[str, Any], written: str) -> str:
    """The tiny job's YAML with ``indices``, its value ``'XX'`` replaced by ``written``
    exactly as a user types it (``1.0e-400``, ``1e400``: YAML reads both its own way)."""
    text = yaml.safe_dump(sandbox.job(indices=indices), sort_keys=False)
    assert "XX" in text
    return text.replace("XX", written)


# -- 1. a band or constant named with a hyphen or a dot ---------------------------------


@pytest.mark.parametrize(("section", "formula", "name", "read", "fixed"), [
    ("bands", "(SWIR-1 - R) / (SWIR-1 + R)", "SWIR-1", "SWIR - 1", "SWIR_1"),
    ("bands", "S1-1 / R", "S1-1", "S1 - 1", "S1_1"),
    ("constants", "N * g-1", "g-1", "g - 1", "g_1"),
])
def test_a_name_with_a_hyphen_is_told_the_formula_splits_it(
        sandbox: Sandbox, cli: Any, section: str, formula: str, name: str, read: str,
        fixed: str) -> None:
    """``bands: {SWIR-1: swir}`` with ``custom: {X: "SWIR-1 / R"}`` was "indices.bands.
    SWIR-1: no index uses 'SWIR-1'", of a band the next line uses (a formula reads it as
    SWIR minus 1). The line now says how the formula reads it and the name to write."""
    indices: dict[str, Any] = {**INDICES, "custom": {"X": formula}}
    if section == "bands":
        indices["bands"] = {**INDICES["bands"], name: "heat"}
    else:
        indices["constants"] = {name: 2.5}
    line = assert_clean_error(_plan(sandbox, cli, indices), 2, "job.yaml",
                              f"indices.{section}.{name}", f"reads as {read}",
                              f"rename it {fixed} in indices.{section} and in the formula")
    assert "no index uses" not in line
    assert sandbox.untouched()


@pytest.mark.parametrize(("formula", "fix"), [
    ("red.edge / R", "write red_edge here and in indices.bands"),
    ("(N - nir.2) / R", "write nir_2 here and in indices.bands"),
    ("np.pi * N", "write the number, 3.141592653589793"),
])
def test_a_dotted_name_in_a_formula_is_told_what_to_write(
        sandbox: Sandbox, cli: Any, formula: str, fix: str) -> None:
    """``red.edge / R`` (a band named with a dot) was "expression 'red.edge' at column 1
    is not allowed", without why or what to write; ``np.pi`` the same. The line now says
    the formula reads an attribute, and the name (or the number) to write."""
    result = _plan(sandbox, cli, {**INDICES, "custom": {"X": formula}})
    assert_clean_error(result, 2, "job.yaml", "indices.custom", fix)


# -- 2. numbers below float64's smallest, and indices.nodata beyond its largest -------


@pytest.mark.parametrize("formula", [
    "N * 1e-400", "(N - R) / (N + R + 1e-400)", "N / 1.5E-400",
])
def test_a_formula_constant_too_small_for_a_float_is_refused(
        sandbox: Sandbox, cli: Any, formula: str) -> None:
    """``N * 1e-400`` planned (and computed 0 in every cell), an epsilon of ``1e-400``
    added nothing, and ``N / 1.5E-400`` was told "it divides by 0" of a constant written
    as no zero: Python reads such a literal as 0.0. Now refused, naming the constant."""
    result = _plan(sandbox, cli, {**INDICES, "custom": {"X": formula}})
    line = assert_clean_error(result, 2, "job.yaml", "index 'X'",
                              "below float64's smallest number", "reads as 0",
                              "write 0 where zero is meant")
    assert "divides by 0" not in line


def test_control_a_zero_or_a_tiny_constant_in_a_formula_plans(
        sandbox: Sandbox, cli: Any) -> None:
    """control: ``0.0``, ``0e5`` (zeros as written) and ``1e-320`` (a subnormal, not 0)
    plan as before."""
    result = _plan(sandbox, cli, {**INDICES, "custom": {
        "X": "N * 0.0 + R", "Y": "N * 0e5 + R", "Z": "N + 1e-320"}})
    assert result.code == 0, result.out + result.err


@pytest.mark.parametrize(("indices", "written", "needles"), [
    ({**INDICES, "names": ["SAVI"], "constants": {"L": "XX"}}, "1.0e-400",
     ["'1.0e-400' at line", "reads as 0", "write 0.0 where zero is meant"]),
    ({**INDICES, "names": ["SAVI"], "constants": {"L": "XX"}}, "1e-400",
     ["indices.constants.L", "below the smallest", "read as 0",
      "write 0.0 where zero is meant"]),
    ({**INDICES, "names": ["NDVI"], "nodata": "XX"}, "1e-400",
     ["indices.nodata", "reads as 0", "every cell of value 0"]),
    ({**INDICES, "names": ["NDVI"], "nodata": "XX"}, "2.0e-999",
     ["'2.0e-999' at line", "reads as 0"]),
])
def test_a_config_number_too_small_for_a_float_is_refused(
        sandbox: Sandbox, cli: Any, indices: dict[str, Any], written: str,
        needles: list[str]) -> None:
    """``constants: {L: 1.0e-400}`` and ``nodata: 1e-400`` were taken as 0 (every cell
    of value 0 then no data), and ``L: 1e-400`` (text to YAML 1.1) was told "write it as
    0.0". Each is now refused as too small, with the fix."""
    result = _plan_text(sandbox, cli, _with_value(sandbox, indices, written))
    line = assert_clean_error(result, 2, "job.yaml", *needles)
    assert "write it as 0.0" not in line
    assert sandbox.untouched()


@pytest.mark.parametrize(("written", "fix"), [("1e400", ".inf"), ("-1e400", "-.inf")])
def test_indices_nodata_beyond_the_largest_number_is_refused(
        sandbox: Sandbox, cli: Any, written: str, fix: str) -> None:
    """``indices.nodata: 1e400`` (left by rounds 39 and 40) was taken as infinity, so
    the bands' fill was read as data. Now refused, naming the value and both fixes."""
    indices = {**INDICES, "names": ["NDVI"], "nodata": "XX"}
    result = _plan_text(sandbox, cli, _with_value(sandbox, indices, written))
    assert_clean_error(result, 2, "job.yaml", "indices.nodata", written,
                       "reads as infinity", "gdalinfo's 'NoData Value'",
                       f"write {fix} where infinity is meant")


@pytest.mark.parametrize("written", [".inf", "-.inf", "-9999", "'-9999'", "-1e30", "0"])
def test_control_nodata_written_as_meant_plans(
        sandbox: Sandbox, cli: Any, written: str) -> None:
    """control: infinities spelt ``.inf``, fills as numbers or quoted, plan as before."""
    indices = {**INDICES, "names": ["NDVI"], "nodata": "XX"}
    result = _plan_text(sandbox, cli, _with_value(sandbox, indices, written))
    assert result.code == 0, result.out + result.err


# -- 3. a value YAML cannot start ------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "needles"), [
    ("path: heat.tif", "path: `heat.tif`",
     ["line 19", "Markdown's backticks", "write path: heat.tif without them"]),
    ("name: tiny", "name: `tiny`", ["line 1", "write name: tiny without them"]),
    ("path: heat.tif", "path: '%DATA%/heat.tif'".replace("'", ""),
     ["line 19", "%DATA% is a Windows environment variable", "write the path itself"]),
    ("description: SYNTHETIC robustness case", "description: @team SYNTHETIC",
     ["line 3", "YAML reserves '@'", "description: '@team SYNTHETIC'"]),
])
def test_a_value_yaml_cannot_start_is_told_how_to_write_it(
        sandbox: Sandbox, cli: Any, old: str, new: str, needles: list[str]) -> None:
    """``path: `heat.tif``` (Markdown's code quotes, copied from a README), ``path:
    %DATA%/heat.tif`` and ``description: @team ...`` were "not valid YAML ...: found
    character '`' that cannot start any token", the character alone. The line now says
    what YAML makes of it and what to write."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False)
    assert old in text
    result = _plan_text(sandbox, cli, text.replace(old, new, 1))
    assert_clean_error(result, 2, "job.yaml", "cannot start any token", *needles)
    assert sandbox.untouched()


def test_control_backticks_inside_a_value_load(sandbox: Sandbox, cli: Any) -> None:
    """control: backticks and '@' after a value's start are plain text, as before."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False).replace(
        "description: SYNTHETIC robustness case",
        "description: SYNTHETIC case, see `README` @team")
    result = _plan_text(sandbox, cli, text)
    assert result.code == 0, result.out + result.err
