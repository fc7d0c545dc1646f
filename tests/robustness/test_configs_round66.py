"""Round 66, configs and the command line: ``path: "D:\\a\\b.tif"`` refused with the bad
value shown as Python's repr (``'D:\\x07\\x08.tif'``) before the message said what was
written (round 65b left it); ``threshold: *1000`` (a sign glued to a number) told to
define an anchor ``&1000`` (round 35's undefined-alias words; round 65b left it);
``units: None`` planned with the unit text "None", and ``units: "mW\\a"`` with a bell
character in it (rounds 64, 65 and 65b left the first); and ``prospect plan --config
job.yaml`` (as other tools take their config) refused as click's "No such option:
--config" beside a usage line.

Every case runs the real CLI in this process (the ``cli`` fixture) on SYNTHETIC data: the
tiny job of :class:`~tests.robustness.conftest.Sandbox`.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .conftest import Sandbox, assert_clean_error

_PATH = "path: heat.tif"
_UNITS = "units: '1'"


def _write(sandbox: Sandbox, old: str, new: str, **changes: Any) -> None:
    """The tiny job with ``old`` replaced by ``new`` in its YAML text."""
    text = yaml.safe_dump(sandbox.job(**changes), sort_keys=False)
    assert old in text, text
    sandbox.write_job(text.replace(old, new, 1))


def _points_job(sandbox: Sandbox, old: str, new: str) -> None:
    """The tiny job with three SYNTHETIC wells (``li`` in ``ppm``) and a model on them,
    ``old`` replaced by ``new`` in its YAML text."""
    (sandbox.root / "wells.csv").write_text(
        "x,y,li\n500100,1350100,1\n500300,1350300,0\n500150,1350250,1\n")
    points = {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
              "crs": "EPSG:32619", "columns": ["li"], "units": {"li": "ppm"}}
    model = {"mineral": "lithium",
             "labels": {"source": "wells", "value_column": "li", "threshold": 1,
                        "negatives": "below_threshold"},
             "cv": {"kind": "spatial_block", "n_splits": 2, "block_size": 100.0}}
    _write(sandbox, old, new, sources=[*sandbox.job()["sources"], points], model=model)


# -- a value YAML made of escapes, shown as written -----------------------------------------


@pytest.mark.parametrize(("written", "shown"), [
    ('"D:\\a\\b.tif"', 'has bad value "D:\\a\\b.tif": the path holds control characters'),
    ('"C:\\temp\\new.tif"', 'has bad value "C:\\temp\\new.tif": the path holds control '
                            "characters (U+0009, U+000A)"),
], ids=["bell-backspace", "tab-newline"])
def test_a_value_of_escapes_is_shown_as_written(
        cli: Any, sandbox: Sandbox, written: str, shown: str) -> None:
    """SYNTHETIC tiny job, ``path: "D:\\a\\b.tif"``. Before: "has bad value
    'D:\\x07\\x08.tif'" (Python's repr, round 65b left it), and ``"C:\\temp\\new.tif"``
    shown in Python's single quotes, which YAML reads otherwise."""
    _write(sandbox, _PATH, f"path: {written}")
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml:19",
                              "key 'sources.0.raster.path'", shown, "a Windows drive path")
    assert "\\x0" not in line, line
    assert sandbox.untouched()


# -- an alias named by a number --------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "needles"), [
    ("threshold: 1\n", "threshold: *1000\n",
     ["found undefined alias '1000'", "line 36: YAML reads '*' at the start of a value as "
      "an alias (a value reused) of the anchor named after it, not as part of a number",
      "'*' is no part of a number: write threshold: 1000"]),
    ("resolution: 10.0\n", "resolution: *10\n",
     ["found undefined alias '10'", "line 7:", "write resolution: 10"]),
    (_UNITS + "\n", _UNITS + "\n  nodata: *-9999\n",
     ["found undefined alias '-9999'", "not as part of a number", "write nodata: -9999"]),
], ids=["threshold", "resolution", "negative-nodata"])
def test_an_alias_named_by_a_number_says_the_sign_is_the_slip(
        cli: Any, sandbox: Sandbox, old: str, new: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job with wells and a model, ``threshold: *1000``. Before: "no anchor
    &1000 in this file, and anchors do not reach across files ...: define the values in
    this file with &1000" (round 35's words; round 65b left it)."""
    _points_job(sandbox, old, new)
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "not valid YAML", *needles)
    assert "define the values" not in line, line
    assert sandbox.untouched()


def test_control_an_alias_of_a_name_keeps_its_words(cli: Any, sandbox: Sandbox) -> None:
    """Control: ``resolution: *res`` with no anchor ``&res`` is told, as before, that no
    anchor of that name is in the file; with ``x-grid: &res 10.0`` it plans."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False).replace(
        "resolution: 10.0", "resolution: *res")
    sandbox.write_job(text)
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "undefined alias 'res'",
                              "no anchor &res in this file")
    assert "part of a number" not in line, line
    sandbox.write_job("x-grid: &res 10.0\n" + text)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "40 x 40 cells" in result.out, result.out
    assert sandbox.untouched()


# -- a unit or variable of no value, or of control characters --------------------------------


@pytest.mark.parametrize(("old", "new", "needles"), [
    (_UNITS, "units: None",
     ["job.yaml:20", "key 'sources.0.raster.units' has bad value 'None'",
      "YAML reads None as text, not as no value", "a value without units takes units: "
      "'1' (the default: leave the key out)"]),
    (_UNITS, "units: none", ["has bad value 'none'", "units: '1'"]),
    (_UNITS, _UNITS + "\n  variable: None",
     ["key 'sources.0.raster.variable' has bad value 'None'",
      "leave the key out for its default"]),
    ("li: ppm", "li: nil", ["key 'sources.1.points.units.li' has bad value 'nil'",
                            "units: '1'"]),
    (_UNITS, 'units: "mW\\a"',
     ["has bad value \"mW\\a\": holds control characters (U+0007), which YAML makes of "
      "'\\a' inside double quotes; write the text without them (e.g. 'mW')"]),
], ids=["None", "none", "variable", "points-nil", "control"])
def test_a_unit_of_no_value_or_control_characters_is_refused(
        cli: Any, sandbox: Sandbox, old: str, new: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job, ``units: None`` (Python's no value where YAML's ``null`` or
    UDUNITS' ``1`` was meant). Before: planned, exit 0, the layer's unit the text "None"
    (rounds 64, 65 and 65b left it); ``units: "mW\\a"`` planned with a bell character."""
    _points_job(sandbox, old, new)
    assert_clean_error(cli("plan", sandbox.job_path), 2, *needles)
    assert sandbox.untouched()


def test_control_units_as_written_plan(cli: Any, sandbox: Sandbox) -> None:
    """Control: ``units: '1'``, ``mW/m2``, ``"W m\\u207b\\u00b2"`` (an escape that makes a
    letter) and ``'N/A'`` plan, as before; ``units: null`` is refused as a key of no value,
    as before."""
    for written in ("'1'", "mW/m2", '"W m\\u207b\\u00b2"', "'N/A'"):
        _write(sandbox, _UNITS, f"units: {written}")
        result = cli("plan", sandbox.job_path)
        assert result.code == 0, result.err[-3000:]
    _write(sandbox, _UNITS, "units: null")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "has bad value (empty)")
    assert sandbox.untouched()


# -- the config given through an option ------------------------------------------------------


@pytest.mark.parametrize(("words", "needles"), [
    (["plan", "--config", "{job}"],
     ["'--config' is no option of 'prospect plan': the config file is the command's "
      "argument, written without an option; write prospect plan {job}"]),
    (["run", "-c", "{job}", "-o", "{out}"],
     ["'-c' is no option of 'prospect run'", "write prospect run {job} -o {out}"]),
    (["ingest", "--config={job}", "-o", "{out}"],
     ["'--config' is no option of 'prospect ingest'", "write prospect ingest {job} -o {out}"]),
    (["plan", "--config"], ["'--config' is no option of 'prospect plan'",
                            "write prospect plan <config.yaml>"]),
], ids=["plan", "run-short", "glued", "no-value"])
def test_a_config_given_through_an_option_says_it_is_the_argument(
        cli: Any, sandbox: Sandbox, words: list[str], needles: list[str]) -> None:
    """SYNTHETIC tiny job, ``prospect plan --config job.yaml`` (as other tools take their
    config). Before: click's "No such option: --config" beside a usage line."""
    sandbox.write_job()
    names = {"job": str(sandbox.job_path), "out": str(sandbox.out)}
    result = cli(*(word.format(**names) for word in words))
    text = result.out + result.err
    assert result.code == 2, text[-3000:]
    assert "No such option" not in text and "Traceback" not in text, text
    flat = " ".join(text.split())
    for needle in needles:
        assert needle.format(**names) in flat, flat
    assert not sandbox.out.exists()
    assert sandbox.untouched()


def test_control_the_config_as_argument_plans(cli: Any, sandbox: Sandbox) -> None:
    """Control: ``prospect plan job.yaml`` plans, and ``prospect plan --help`` shows the
    command's help, as before."""
    sandbox.write_job()
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "40 x 40 cells" in result.out, result.out
    result = cli("plan", "--help")
    assert result.code == 0, result.err[-3000:]
    assert "Usage" in result.out + result.err
    assert sandbox.untouched()
