"""Round 65b, configs and the command line: ``threshold: &1000`` (YAML's anchor on an empty
value) refused as "needs a grade threshold", or taken as no value without a word, where
the ``&`` was the slip (rounds 64 and 65 left it); ``threshold: &0.5`` refused with
PyYAML's "expected alphabetic or numeric character, but found '.'"; a Windows path in
double quotes (``"C:\\data\\heat.tif"``) refused with PyYAML's "found unknown escape
character 'd'"; and one whose escapes YAML reads (``"D:\\a\\b.tif"``: ``\\a`` and ``\\b`` are
control characters) planned without a word, as a file ``D:<BEL><BS>.tif`` that ingest then
could not find.

Every case runs the real CLI in this process (the ``cli`` fixture) on SYNTHETIC data: the
tiny job of :class:`~tests.robustness.conftest.Sandbox`.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .conftest import Sandbox, assert_clean_error

_PATH = "path: heat.tif"


def _write(sandbox: Sandbox, old: str, new: str, **changes: Any) -> None:
    """The tiny job with ``old`` replaced by ``new`` in its YAML text."""
    text = yaml.safe_dump(sandbox.job(**changes), sort_keys=False)
    assert old in text, text
    sandbox.write_job(text.replace(old, new, 1))


def _model_job(sandbox: Sandbox, old: str, new: str, negatives: str) -> None:
    """The tiny job with three SYNTHETIC wells and a model on them, ``old`` replaced by
    ``new`` in its YAML text."""
    (sandbox.root / "wells.csv").write_text(
        "x,y,li\n500100,1350100,1\n500300,1350300,0\n500150,1350250,1\n")
    points = {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
              "crs": "EPSG:32619", "columns": ["li"]}
    model = {"mineral": "lithium",
             "labels": {"source": "wells", "value_column": "li", "threshold": 1,
                        "negatives": negatives},
             "cv": {"kind": "spatial_block", "n_splits": 2, "block_size": 100.0}}
    _write(sandbox, old, new, sources=[*sandbox.job()["sources"], points], model=model)


# -- an anchor on an empty value -------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "negatives", "needles"), [
    ("threshold: 1\n", "threshold: &1000\n", "below_threshold",
     ["key 'model.labels.threshold' has no value",
      "YAML reads '&1000' at the start of a value as an anchor",
      "'&' is no part of a number: write threshold: 1000"]),
    ("threshold: 1\n", "threshold: &1000\n", "background",
     ["key 'model.labels.threshold' has no value", "write threshold: 1000"]),
    ("n_splits: 2\n", "n_splits: &3\n", "background",
     ["key 'model.cv.n_splits' has no value", "write n_splits: 3"]),
    ("units: '1'\n", "units: &mg\n", "background",
     ["key 'sources.0.units' has no value", "quote it if '&mg' is the text meant "
      "(units: '&mg'), or write the value after the anchor (units: &mg <value>)"]),
], ids=["threshold-below", "threshold-background", "n-splits", "word"])
def test_an_anchor_on_an_empty_value_names_the_sign(
        cli: Any, sandbox: Sandbox, old: str, new: str, negatives: str,
        needles: list[str]) -> None:
    """SYNTHETIC tiny job with wells and a model, ``threshold: &1000``: YAML reads an
    anchor named ``1000`` on an empty value. Before: "negatives: below_threshold needs a
    grade threshold" (rounds 64 and 65 left it), and with ``negatives: background`` the
    job planned without a threshold, without a word; ``units: &mg`` planned without units."""
    _model_job(sandbox, old, new, negatives)
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml: line ", *needles)
    assert "needs a grade threshold" not in line, line
    assert sandbox.untouched()


@pytest.mark.parametrize(("written", "needles"), [
    ("&0.5", ["not valid YAML at line 34", "YAML reads '&' at the start of a value as an "
              "anchor (a name for reuse) whose name holds letters, digits, '-' and '_' only",
              "'&' is no part of a number: write threshold: 0.5"]),
    ("*0.5", ["YAML reads '*' at the start of a value as an alias",
              "'*' is no part of a number: write threshold: 0.5"]),
], ids=["anchor", "alias"])
def test_a_sign_glued_to_a_decimal_says_what_to_write(
        cli: Any, sandbox: Sandbox, written: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job with a model, ``threshold: &0.5``. Before: PyYAML's "expected
    alphabetic or numeric character, but found '.'" alone."""
    _model_job(sandbox, "threshold: 1\n", f"threshold: {written}\n", "below_threshold")
    assert_clean_error(cli("plan", sandbox.job_path), 2, *needles)
    assert sandbox.untouched()


def test_control_an_anchor_with_its_value_and_alias_plans(
        cli: Any, sandbox: Sandbox) -> None:
    """Control: ``x-grid: &res 10.0`` reused as ``resolution: *res`` plans, as before; an
    anchor on an empty value under a top-level ``x-`` key is left as written."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False).replace(
        "resolution: 10.0", "resolution: *res")
    sandbox.write_job("x-grid: &res 10.0\nx-empty: &nothing\n" + text)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "40 x 40 cells" in result.out, result.out
    assert sandbox.untouched()


# -- a Windows path in double quotes ---------------------------------------------------------


@pytest.mark.parametrize(("written", "needles"), [
    ('"C:\\data\\heat.tif"',
     ["found unknown escape character 'd'", "line 19: inside double quotes YAML reads '\\' "
      "as the start of an escape", "a Windows drive path; give the file's path on this "
      "machine, with '/' between folders", "(in single quotes, 'C:\\data\\heat.tif', YAML "
      "keeps each '\\' as written)"]),
    ('"\\\\server\\share\\heat.tif"',
     ["found unknown escape character 's'", "a Windows network share (UNC path, "
      "\\\\server\\share)"]),
    ('"data\\heat.tif"',
     ["found unknown escape character 'h'", "write the text in single quotes, where '\\' "
      "is itself ('data\\heat.tif'), or a path with '/' between folders"]),
], ids=["drive", "share", "relative"])
def test_a_windows_path_in_double_quotes_says_why(
        cli: Any, sandbox: Sandbox, written: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job, ``path: "C:\\data\\heat.tif"`` (as a Windows user quotes a path).
    Before: PyYAML's "found unknown escape character 'd'" alone, naming neither the double
    quotes nor the fix."""
    _write(sandbox, _PATH, f"path: {written}")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "not valid YAML at line 19",
                       *needles)
    assert sandbox.untouched()


@pytest.mark.parametrize(("written", "needles"), [
    ('"D:\\a\\b.tif"',
     ["key 'sources.0.raster.path'", "the path holds control characters (U+0007, U+0008), "
      "which YAML makes of '\\a' and '\\b' inside double quotes: it was written "
      "'D:\\a\\b.tif'; a Windows drive path"]),
    ('"C:\\temp\\new.tif"',
     ["(U+0009, U+000A)", "'\\t' and '\\n'", "it was written 'C:\\temp\\new.tif'",
      "a Windows drive path"]),
    ('"data\\new.tif"',
     ["(U+000A)", "it was written 'data\\new.tif'",
      "write it with '/' between folders, e.g. 'data/new.tif'"]),
], ids=["drive-bell", "drive-tab-newline", "relative-newline"])
def test_a_path_whose_escapes_yaml_read_is_refused(
        cli: Any, sandbox: Sandbox, written: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job, ``path: "D:\\a\\b.tif"``: inside double quotes YAML reads ``\\a``
    and ``\\b`` as control characters. Before: planned, exit 0, the source's layers
    counted from the config beside "D:\\x07\\x08.tif: raster file not found" (silently the
    wrong file name; ingest then failed)."""
    _write(sandbox, _PATH, f"path: {written}")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml:19", *needles)
    assert sandbox.untouched()


def test_control_quoted_paths_that_name_the_file_plan(cli: Any, sandbox: Sandbox) -> None:
    """Control: ``"heat.tif"``, ``'heat.tif'`` and ``"h\\u0065at.tif"`` (an escape that
    makes a letter) name the sandbox's raster and plan, as before; ``'C:\\data\\heat.tif'``
    in single quotes is the Windows drive path it was."""
    for written in ('"heat.tif"', "'heat.tif'", '"h\\u0065at.tif"'):
        _write(sandbox, _PATH, f"path: {written}")
        result = cli("plan", sandbox.job_path)
        assert result.code == 0, result.err[-3000:]
        assert "not found" not in result.out + result.err, result.out
    _write(sandbox, _PATH, "path: 'C:\\data\\heat.tif'")
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "a Windows drive path")
    assert "control characters" not in line and "double quotes" not in line, line
    assert sandbox.untouched()


# -- a config key or an option set through the environment -------------------------------------


@pytest.mark.parametrize(("variable", "needles"), [
    ("PROSPECT_RESOLUTION", ["$PROSPECT_RESOLUTION is set, but Prospect takes no config key "
                             "or option from the environment: the setting is ignored; write "
                             "the key in the job's config (region.resolution: ...)"]),
    ("PROSPECT_REGION__RESOLUTION", ["$PROSPECT_REGION__RESOLUTION is set",
                                     "(region.resolution: ...)"]),
    ("PROSPECT_WORKERS", ["$PROSPECT_WORKERS is set", "write the option on the command line "
                          "(--workers ...)"]),
], ids=["key", "nested-key", "option"])
def test_a_setting_in_the_environment_is_said_to_be_ignored(
        cli: Any, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, variable: str,
        needles: list[str]) -> None:
    """SYNTHETIC tiny job, ``PROSPECT_RESOLUTION=20`` exported (as tools built on
    pydantic-settings or dynaconf read a key from the environment). Before: planned at the
    config's 10 m without a word of the variable."""
    monkeypatch.setenv(variable, "20")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "(EPSG:32619, 10 m)" in result.out, result.out
    text = " ".join((result.out + result.err).split())
    assert "warning: " in text, text
    for needle in needles:
        assert needle in text, text
    assert sandbox.untouched()


def test_control_the_users_own_variables_are_not_noted(
        cli: Any, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: the batch script's ``PROSPECT_VENV`` and a variable of the user's own
    (``PROSPECT_PATH``, a word of many keys; ``PROSPECT_MY_NOTES``) plan without a note."""
    for variable in ("PROSPECT_VENV", "PROSPECT_PATH", "PROSPECT_MY_NOTES"):
        monkeypatch.setenv(variable, "x")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "PROSPECT_" not in result.out + result.err, result.out + result.err
