"""Round 65, the lead's cases (configs, left by round 64): a key written wholly in capitals
(``RESOLUTION:``) refused in two lines, "missing required key 'region.resolution'" and
"unknown key 'region.RESOLUTION' (did you mean 'resolution'?)", where ``Resolution:`` got
one; a number with a comment glued on (``resolution: 10#m``, YAML's comment needs a space
before ``#``) and a number with a list's separator after it (``10,``, ``10;``) refused as
"unable to parse string as a number" alone; and a file of one word (``just text``) told
to "write the keys without '- '", which fits a list, not one value.

Every case runs the real CLI in this process (the ``cli`` fixture) on SYNTHETIC data: the
tiny job of :class:`~tests.robustness.conftest.Sandbox`.

Also: the flushes of round 65 and 65b (every published file ``fsync``ed, every published
folder's file system ``syncfs``ed) cost a third of the scale benchmark's 10-second job on
this VM's disk (``benchmarks/RESULTS.md``); they are asked for with ``PROSPECT_FSYNC=1``
and off by default, as GDAL, zarr and xarray write. A value other than 1 or 0 is said.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

import prospect.io.files as files
from prospect.io.files import publish_dir, write_json

from .conftest import Sandbox, assert_clean_error

_RESOLUTION = "resolution: 10.0"


def _write(sandbox: Sandbox, old: str, new: str) -> None:
    """The tiny job with ``old`` replaced by ``new`` in its YAML text."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False)
    assert old in text, text
    sandbox.write_job(text.replace(old, new, 1))


@pytest.mark.parametrize("written", ["RESOLUTION", "CRS"])
def test_a_key_in_other_capitals_is_one_line(cli: Any, sandbox: Sandbox, written: str) -> None:
    """SYNTHETIC tiny job, ``RESOLUTION: 10.0``. Before: two lines, the missing key and the
    unknown one (difflib's closeness is case-sensitive: 'RESOLUTION' is far from
    'resolution'); ``Resolution:`` was one line already."""
    key = written.lower()
    old = _RESOLUTION if key == "resolution" else "crs: EPSG:32619"
    _write(sandbox, old, old.replace(key, written, 1))
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, f"unknown key 'region.{written}'",
                              f"(did you mean '{key}'?)")
    assert "missing required key" not in result.err, result.err
    assert "\n  " not in result.err.strip(), result.err  # one error, no second line
    assert line
    assert sandbox.untouched()


@pytest.mark.parametrize(("written", "needles"), [
    ("10.0#m", ["has bad value '10.0#m'", "YAML starts a comment at '#' only after a space",
                "so 10.0#m is text: write 10.0 (a comment after a space: 10.0  # m)"]),
    ("10#", ["has bad value '10#'", "so 10# is text: write 10"]),
    ("10.0,", ["has bad value '10.0,'",
               "the ',' after the number is no part of the value: write 10.0"]),
    ("10;", ["has bad value '10;'",
             "the ';' after the number is no part of the value: write 10 "]),
], ids=["glued-comment", "bare-hash", "trailing-comma", "trailing-semicolon"])
def test_a_number_with_a_mark_glued_on_says_what_to_write(
        cli: Any, sandbox: Sandbox, written: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job, ``resolution: 10.0#m`` or ``10.0,``. Before: "Input should be a
    valid number, unable to parse string as a number" alone."""
    _write(sandbox, _RESOLUTION, f"resolution: {written}")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "key 'region.resolution'", *needles)
    assert sandbox.untouched()


def test_a_file_of_one_word_is_not_told_of_dashes(cli: Any, sandbox: Sandbox) -> None:
    """SYNTHETIC: ``prospect plan job.yaml`` of a file holding ``just text`` (a note given
    for the job). Before: "... got one value ('just text'); write the keys without '- '",
    though the file has no '- '."""
    sandbox.write_job("just text\n")
    line = assert_clean_error(cli("plan", sandbox.job_path), 2,
                              "the top level must be a mapping of keys to values",
                              "got one value ('just text', no 'key: value' line)",
                              "check that this is the job's config file")
    assert "'- '" not in line, line
    assert sandbox.untouched()


def test_control_a_comment_after_a_space_and_the_key_as_written_plan(
        cli: Any, sandbox: Sandbox) -> None:
    """Control: ``resolution: 10.0  # m`` (a YAML comment) plans, as before."""
    _write(sandbox, _RESOLUTION, "resolution: 10.0  # m")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert "10 m" in result.out
    assert sandbox.untouched()


def test_control_a_list_at_the_top_level_keeps_its_words(cli: Any, sandbox: Sandbox) -> None:
    """Control: a list at the top level is told to drop the '- ', as before."""
    sandbox.write_job("- name: tiny\n- region: x\n")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "a list (lines starting with '- ')",
                       "write the keys without '- '")
    assert sandbox.untouched()


def test_control_without_prospect_fsync_nothing_is_flushed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: without ``PROSPECT_FSYNC`` a file and a folder are published as GDAL and
    zarr write them, without a flush (the benchmarks' figures); with ``1`` both are."""
    synced: list[str] = []
    fsync, syncfs = os.fsync, files._syncfs

    def spy_fsync(fd: int) -> None:
        synced.append("fsync")
        fsync(fd)

    def spy_syncfs(fd: int) -> None:
        synced.append("syncfs")
        syncfs(fd)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(files, "_syncfs", spy_syncfs)
    monkeypatch.delenv("PROSPECT_FSYNC", raising=False)
    write_json(tmp_path / "a.json", {"a": 1})
    (tmp_path / "stage").mkdir()
    (tmp_path / "stage" / "x").write_bytes(b"x")
    publish_dir(tmp_path / "stage", tmp_path / "var")
    assert synced == []
    monkeypatch.setenv("PROSPECT_FSYNC", "1")
    write_json(tmp_path / "b.json", {"b": 1})
    (tmp_path / "stage2").mkdir()
    (tmp_path / "stage2" / "x").write_bytes(b"x")
    publish_dir(tmp_path / "stage2", tmp_path / "var2")
    assert "fsync" in synced and "syncfs" in synced, synced
    assert (tmp_path / "b.json").read_text() == (tmp_path / "a.json").read_text().replace(
        '"a"', '"b"')


def test_a_prospect_fsync_value_of_no_meaning_is_said(
        cli: Any, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """``PROSPECT_FSYNC=yes`` is said once and read as off (as ``PROSPECT_DEBUG`` is), not
    ignored without a word."""
    monkeypatch.setenv("PROSPECT_FSYNC", "yes")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert "PROSPECT_FSYNC='yes' is read as 0 (off)" in result.err, result.err
    assert "1 to flush every published file and folder" in result.err
