"""Configs and the command line as survey scientists meet them (round 26).

Text wrapped in typographic quotes (copied from a report, a word processor or a web page)
in a key that names something (a unit, a NetCDF variable) is refused naming the key and
the text to write, where it was kept as part of the text (the unit ``‘1’`` went into the
cube, exit 0); the hint for a path or a name in such quotes is said once and names the
quotes. Free text (description, long_name) keeps its quotes. Rasters and configs here are
small and SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error


def _source(**changes: Any) -> list[dict[str, Any]]:
    source: dict[str, Any] = {"kind": "raster", "name": "heat", "path": "heat.tif",
                              "units": "1"}
    source.update(changes)
    return [source]


@pytest.mark.parametrize(("key", "value", "meant"), [
    ("units", "\u20181\u2019", "'1'"),  # ‘1’
    ("units", "\u201cmW/m2\u201d", "'mW/m2'"),  # “mW/m2”
    ("units", "\u00abppm\u00bb", "'ppm'"),  # «ppm», French quotes
    ("variable", "\u201cheat\u201d", "'heat'"),
])
def test_text_in_typographic_quotes_is_refused_naming_the_key(
        sandbox: Sandbox, cli: Any, key: str, value: str, meant: str) -> None:
    # Before: plan exit 0, the unit (or NetCDF variable) kept with its quotes as part of
    # the text (SYNTHETIC tiny job)
    sandbox.write_job(sources=_source(**{key: value}))
    line = assert_clean_error(cli("plan", sandbox.job_path), 2,
                              f"sources.0.raster.{key}", "typographic quotes", meant)
    assert "job.yaml" in line
    assert sandbox.untouched()


def test_a_path_in_typographic_quotes_says_the_fix_once(sandbox: Sandbox, cli: Any) -> None:
    # Before: the "retype it as 'heat.tif'" hint was printed twice in one line
    # (SYNTHETIC tiny job)
    sandbox.write_job(sources=_source(path="\u201cheat.tif\u201d"))
    line = assert_clean_error(cli("plan", sandbox.job_path), 2,
                              "sources.0.raster.path", "'heat.tif'")
    assert line.count("retype it as") == 1, line


def test_a_name_in_typographic_quotes_names_the_quotes(sandbox: Sandbox, cli: Any) -> None:
    # Before: "a name here is letters, digits and '_'" without a word of the quotes, which
    # look like YAML's own (SYNTHETIC tiny job)
    sandbox.write_job(sources=_source(name="\u201cheat\u201d"))
    assert_clean_error(cli("plan", sandbox.job_path), 2, "sources.0.raster.name",
                       "LEFT DOUBLE QUOTATION MARK", "retype it as 'heat'")


def test_free_text_and_units_with_other_characters_still_plan(sandbox: Sandbox,
                                                              cli: Any) -> None:
    # control: a long name and a description keep their quotes; a unit in non-ASCII
    # letters (µ, superscripts) or with quotes inside it is a unit (SYNTHETIC tiny job)
    sandbox.write_job(description="the \u201cheat\u201d layer, SYNTHETIC",
                      sources=_source(units="\u00b5W m\u207b\u00b2",
                                      long_name="\u201cSurface heat flow\u201d"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.out + result.err
    sandbox.write_job(sources=_source(units="it\u2019s 1"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.out + result.err


# -- a size in bytes written with its unit, as dask's memory settings take it ------------

@pytest.mark.parametrize(("value", "size"), [
    ("1 GB", 10**9), ("256MiB", 256 * 2**20), ("1.5gb", 1_500_000_000), ("512 kB", 512_000),
])
def test_block_bytes_with_a_unit_are_read_as_dask_reads_them(
        monkeypatch: pytest.MonkeyPatch, value: str, size: int) -> None:
    # Before: "PROSPECT_MAX_BLOCK_BYTES='1 GB' is no whole number above 0", exit 2 on every
    # command, where dask (memory_limit, array.chunk-size) takes '1 GB' and '256MiB'
    from prospect.env import positive_limit
    from prospect.errors import ConfigError

    monkeypatch.setenv("PROSPECT_MAX_BLOCK_BYTES", value)
    assert positive_limit("PROSPECT_MAX_BLOCK_BYTES", 1, "bytes", ConfigError) == size


def test_block_bytes_with_a_unit_plan(sandbox: Sandbox, cli: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: exit 2 (SYNTHETIC tiny job)
    monkeypatch.setenv("PROSPECT_MAX_BLOCK_BYTES", "1 GB")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.out + result.err


@pytest.mark.parametrize(("name", "value"), [
    ("PROSPECT_MAX_BLOCK_BYTES", "1 XB"), ("PROSPECT_MAX_BLOCK_BYTES", "0 GB"),
    ("PROSPECT_MAX_CELLS", "1 GB"),
])
def test_sizes_no_unit_reads_and_units_on_counts_stay_refused(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch,
        name: str, value: str) -> None:
    # control: an unknown unit, a size of 0, and a unit on a count are refused as before
    monkeypatch.setenv(name, value)
    assert_clean_error(cli("plan", sandbox.job_path), 2, name, "whole number above 0")
