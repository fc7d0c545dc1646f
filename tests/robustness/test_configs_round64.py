"""Round 64, configs and the command line: ``+.5``/``-.5`` (YAML 1.1 text) told "'+.5' is
quoted text" though written without quotes, and ``0X14`` likewise (round 63 left it); a
STAC comparison ``platform: {eq: yes}`` on a property whose values are text sent as the
boolean true (round 63 left it); Python's ``None`` and a number behind a comparison sign
(``~10``, ``'>= 10'``) in a number key refused as "unable to parse string as a number"
alone; ``threshold: >= 1000`` refused with PyYAML's "expected chomping or indentation
indicators, but found '='"; a key's choice in another case (``values: Categorical``,
``block_size: AUTO``) refused with the list of choices and no word of the one meant; and
``prospect plan meuse-zinc`` (a name ``prospect jobs`` lists) or ``prospect plan bonaire``
(a region) told "config file not found" alone.

Every case runs the real CLI in this process (the ``cli`` fixture) on SYNTHETIC data: the
tiny job of :class:`~tests.robustness.conftest.Sandbox` and the shipped configs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from prospect.config import config_dir

from .conftest import Sandbox, assert_clean_error

_CHUNKS = "  chunks:\n  - 20\n"
_RESOLUTION = "resolution: 10.0"


def _write(sandbox: Sandbox, old: str, new: str, **changes: Any) -> None:
    """The tiny job with ``old`` replaced by ``new`` in its YAML text."""
    text = yaml.safe_dump(sandbox.job(**changes), sort_keys=False)
    assert old in text, text
    sandbox.write_job(text.replace(old, new, 1))


# -- text to YAML 1.1 said as written: quoted or not --------------------------------------------


@pytest.mark.parametrize(("written", "needles"), [
    ("+.5", ["YAML reads +.5 unquoted as text, not a number",
             "takes a sign only with a digit before the dot", "write 0.5"]),
    ("-.5", ["YAML reads -.5 unquoted as text, not a number", "write -0.5"]),
    ("0X14", ["YAML reads 0X14 unquoted as text, not a number",
              "its prefix 0x is written in lower case", "write 20 (decimal)"]),
], ids=["plus-dot", "minus-dot", "capital-hex"])
def test_yaml_text_written_unquoted_is_not_said_to_be_quoted(
        cli: Any, sandbox: Sandbox, written: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job, ``chunks: [+.5, 20]`` unquoted. Before: "'+.5' is quoted text,
    not a number; write 0.5 without quotes", though no quote was written (round 63 left
    it): YAML 1.1 reads ``+.5`` and ``0X14`` as text by their characters."""
    _write(sandbox, _CHUNKS, f"  chunks:\n  - {written}\n")
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "key 'region.chunks.0'",
                              *needles)
    assert "is quoted text" not in line and "without quotes" not in line, line
    assert sandbox.untouched()


def test_control_quoted_text_is_said_to_be_quoted(cli: Any, sandbox: Sandbox) -> None:
    """Control: ``chunks: ['+.5', 20]`` is told it is quoted text, as before."""
    _write(sandbox, _CHUNKS, "  chunks:\n  - '+.5'\n")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "key 'region.chunks.0'",
                       "'+.5' is quoted text, not a number; write 0.5 without quotes")
    assert sandbox.untouched()


# -- words and signs that are no number -----------------------------------------------------------


@pytest.mark.parametrize(("written", "needles"), [
    ("None", ["has bad value 'None'", "YAML reads None as text, not as no value",
              "YAML's are null, ~ or nothing after the colon",
              "leave the key out for its default"]),
    ("~10", ["has bad value '~10'", "the sign '~' is no part of a value: write 10 alone"]),
    ("'>= 10'", ["has bad value '>= 10'",
                 "the sign '>=' is no part of a value: write 10 alone"]),
    ("\u226410", ["the sign '\u2264' is no part of a value: write 10 alone"]),
], ids=["python-none", "about", "quoted-at-least", "unicode-at-most"])
def test_a_word_or_sign_in_a_number_key_says_what_to_write(
        cli: Any, sandbox: Sandbox, written: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job, ``resolution: None`` (Python's no value) or a number behind a
    sign (``~10``, ``'>= 10'``, ``\u226410``). Before: "Input should be a valid number,
    unable to parse string as a number" alone."""
    _write(sandbox, _RESOLUTION, f"resolution: {written}")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml:7: key 'region.resolution'",
                       *needles)
    assert sandbox.untouched()


@pytest.mark.parametrize(("written", "needles"), [
    (">= 10", ["not valid YAML at line 7", "YAML takes '>' at the start of a value for a "
               "block of text on the lines below it",
               "a comparison sign is no part of a value: write resolution: 10",
               "or quote the text (resolution: '>= 10')"]),
    ("> 10", ["not valid YAML at line 7", "write resolution: 10"]),
    ("|10|", ["YAML takes '|' at the start of a value",
              "quote the value if it is text (resolution: '|10|')"]),
], ids=["at-least", "more-than", "pipe"])
def test_a_value_starting_with_a_block_indicator_says_why(
        cli: Any, sandbox: Sandbox, written: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job, ``resolution: >= 10``. Before: PyYAML's "expected chomping or
    indentation indicators, but found '='" (or "expected a comment or a line break"),
    naming neither the sign nor the fix."""
    _write(sandbox, _RESOLUTION, f"resolution: {written}")
    assert_clean_error(cli("plan", sandbox.job_path), 2, *needles)
    assert sandbox.untouched()


# -- a choice written in another case -------------------------------------------------------------


@pytest.mark.parametrize("written", ["Categorical", "CATEGORICAL"])
def test_a_choice_in_another_case_names_the_one_meant(
        cli: Any, sandbox: Sandbox, written: str) -> None:
    """SYNTHETIC tiny job, a raster source's ``values: Categorical``. Before: "Input should
    be 'continuous' or 'categorical'", without a word of the one meant."""
    _write(sandbox, "units: '1'\n", f"units: '1'\n  values: {written}\n")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "key 'sources.0.raster.values'",
                       f"has bad value '{written}'", "did you mean 'categorical'?",
                       "a choice is written exactly as listed")
    assert sandbox.untouched()


def _model_job(sandbox: Sandbox, old: str, new: str) -> None:
    """The tiny job with three SYNTHETIC wells and a model on them, ``old`` replaced by
    ``new`` in its YAML text."""
    (sandbox.root / "wells.csv").write_text(
        "x,y,li\n500100,1350100,1\n500300,1350300,0\n500150,1350250,1\n")
    points = {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
              "crs": "EPSG:32619", "columns": ["li"]}
    model = {"mineral": "lithium", "labels": {"source": "wells", "value_column": "li",
                                              "threshold": 1},
             "cv": {"kind": "spatial_block", "n_splits": 2, "block_size": 100.0},
             "params": {"max_features": 0.5}}
    sources = [*sandbox.job()["sources"], points]
    _write(sandbox, old, new, sources=sources, model=model)


def test_a_choice_beside_a_number_in_another_case_names_the_one_meant(
        cli: Any, sandbox: Sandbox) -> None:
    """SYNTHETIC tiny job with a points source and a model, ``block_size: AUTO`` (a number
    or ``auto``). Before: "...; or: Input should be 'auto'" alone."""
    _model_job(sandbox, "block_size: 100.0", "block_size: AUTO")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "key 'model.cv.block_size'",
                       "has bad value 'AUTO'", "did you mean 'auto'?")
    assert sandbox.untouched()


def test_a_model_param_of_yaml_text_is_not_said_to_be_quoted(
        cli: Any, sandbox: Sandbox) -> None:
    """SYNTHETIC tiny job with a model, ``params: {max_features: +.5}`` unquoted (the
    params hold any value, so no file place tells quoted from not). Before: "'+.5' is
    quoted text, not a number; write 0.5 without quotes"; now worded for both."""
    _model_job(sandbox, "max_features: 0.5", "max_features: +.5")
    line = assert_clean_error(cli("plan", sandbox.job_path), 2,
                              "model.params.max_features = '+.5'",
                              "YAML read '+.5' as text, not a number (quoted, or written "
                              "unquoted in a form YAML 1.1 reads as text: its decimal number "
                              "takes a sign only with a digit before the dot); write 0.5")
    assert "is quoted text" not in line, line
    assert sandbox.untouched()


def test_control_a_choice_as_listed_plans(cli: Any, sandbox: Sandbox) -> None:
    """Control: ``values: categorical`` plans; ``values: category`` (no choice in another
    case) is refused with the choices, as before."""
    _write(sandbox, "units: '1'\n", "units: '1'\n  values: categorical\n")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    _write(sandbox, "units: '1'\n", "units: '1'\n  values: category\n")
    line = assert_clean_error(cli("plan", sandbox.job_path), 2,
                              "Input should be 'continuous' or 'categorical'")
    assert "did you mean" not in line, line
    assert sandbox.untouched()


# -- a STAC comparison's boolean on a property of text --------------------------------------------


def _stac_source(properties: dict[str, Any]) -> dict[str, Any]:
    """A raster source found by a STAC search on loopback (nothing listens: nothing is
    searched while the config is refused)."""
    return {"kind": "raster", "name": "ls", "units": "1",
            "stac_search": {"url": "http://127.0.0.1:9/api", "collections": ["sentinel-2-l2a"],
                            "datetime": "2024-01-01/2024-03-31", "timeout_s": 1,
                            "retries": 0, "properties": properties},
            "assets": {"red": "red"}, "composite": {"method": "median"}}


@pytest.mark.parametrize(("written", "needles"), [
    ("platform: {eq: yes}",
     ["platform eq: true (YAML reads yes, on and true unquoted as a boolean)",
      "platform is text in every STAC item, never a boolean",
      "quote the word meant (eq: 'yes' or eq: 'on')"]),
    ("sat:orbit_state: {in: [off, ascending]}",
     ["sat:orbit_state in: false", "sat:orbit_state is text in every STAC item",
      "(in: ['no'] or in: ['off'])"]),
], ids=["platform-yes", "orbit-state-off"])
def test_a_stac_boolean_on_a_text_property_is_refused(
        cli: Any, sandbox: Sandbox, written: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job with a STAC search source. Before: ``platform: {eq: yes}`` was
    sent as the boolean true, which no item's text equals (round 63 left it): the search
    "found no items", or an API that ignores ``filter`` kept every item."""
    job = sandbox.job(sources=[_stac_source({"placeholder": {"eq": 1}})])
    text = yaml.safe_dump(job, sort_keys=False).replace("placeholder:\n        eq: 1",
                                                        written)
    assert written in text
    sandbox.write_job(text)
    assert_clean_error(cli("plan", sandbox.job_path), 2, "stac_search.properties", *needles)
    assert sandbox.untouched()


def test_control_stac_text_and_unknown_booleans_as_before() -> None:
    """Control: ``platform: {eq: sentinel-2a}`` is sent as text and a property no
    extension defines (``s1:flag``) keeps its boolean, as before."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.stac_search import cql2_filter

    source = RasterSource.model_validate(_stac_source({
        "platform": {"eq": "sentinel-2a"}, "s1:flag": {"eq": True}}))
    assert source.stac_search is not None
    assert cql2_filter(source.stac_search) == {"op": "and", "args": [
        {"op": "=", "args": [{"property": "platform"}, "sentinel-2a"]},
        {"op": "=", "args": [{"property": "s1:flag"}, True]}]}


# -- a shipped config's name given as the job -----------------------------------------------------


@pytest.mark.parametrize(("name", "needles"), [
    ("meuse-zinc", ["'meuse-zinc' is a shipped job ('prospect jobs' lists them), not a file "
                    "here", "give its file, {jobs}/meuse-zinc.yaml"]),
    ("meuse-zinc.yaml", ["'meuse-zinc' is a shipped job"]),
    ("bonaire", ["'bonaire' is a shipped region, not a job",
                 "a job names it under 'region:' (region: bonaire)"]),
], ids=["job", "job-with-ending", "region"])
def test_a_shipped_name_given_as_the_job_says_what_it_names(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
        needles: list[str]) -> None:
    """``prospect plan meuse-zinc`` in a folder without such a file. Before: "meuse-zinc:
    config file not found" alone, for the name ``prospect jobs`` lists."""
    jobs = config_dir() / "jobs"
    monkeypatch.chdir(tmp_path)
    line = assert_clean_error(cli("plan", name), 2, f"{name}: config file not found",
                              *(n.format(jobs=jobs) for n in needles))
    assert line.count("not found") == 1, line
    assert list(tmp_path.iterdir()) == []


def test_control_a_name_of_nothing_shipped_is_not_found(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: a name that is neither a file nor a shipped config is "config file not
    found", as before."""
    monkeypatch.chdir(tmp_path)
    line = assert_clean_error(cli("plan", "meuse-zink"), 2,
                              "meuse-zink: config file not found")
    assert "shipped" not in line, line
