"""Round 63, configs and the command line: digits parted by colons that YAML 1.1 reads as
text (``chunks: [0:20, 20]``: a leading 0, a part of 60 or more, or quoted) refused as
"unable to parse string as an integer" without a word of YAML's base-60 form (round 62
left it); ``prospect plan job.yaml --region saba`` refused for the job's own region
(a region file not fetched yet, a typo in it, its mask's outline), which ``--region``
replaces; a STAC search's comparison written ``yes``/``off`` sent as the number 1.0 or
0.0 (``landsat:wrs_path: {eq: yes}`` searched path ``"001"``); and a search's
``datetime: 2024-01-01 10:00:00`` told an interval of no length "for that day".

Every case runs the real CLI in this process (the ``cli`` fixture) on SYNTHETIC data: the
tiny job of :class:`~tests.robustness.conftest.Sandbox` and the shipped region configs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from prospect.config import load_region

from .conftest import Sandbox, assert_clean_error

# -- digits parted by colons, read by YAML 1.1 as text ------------------------------------------


@pytest.mark.parametrize(("old", "new", "key", "written", "why"), [
    ("  chunks:\n  - 20\n", "  chunks:\n  - 0:20\n", "region.chunks.0", "0:20",
     "it starts with 0"),
    ("  chunks:\n  - 20\n", "  chunks:\n  - 00:30\n", "region.chunks.0", "00:30",
     "it starts with 0"),
    ("resolution: 10.0", "resolution: 0:10", "region.resolution", "0:10",
     "it starts with 0"),
    ("  - 500000.0\n", "  - 8333:60\n", "region.bounds.0", "8333:60",
     "a part after a colon is 60 or more"),
    ("  - 500000.0\n", "  - '8333:20'\n", "region.bounds.0", "8333:20",
     "it is quoted or the file declares %YAML 1.2"),
], ids=["chunks-leading-0", "chunks-time", "resolution-leading-0", "bounds-part-60",
        "bounds-quoted"])
def test_digits_parted_by_colons_read_as_text_say_yamls_base_60(
        cli: Any, sandbox: Sandbox, old: str, new: str, key: str, written: str,
        why: str) -> None:
    """SYNTHETIC tiny job, one number written with a colon. Before: "key
    'region.chunks.0' has bad value '0:20': Input should be a valid integer, unable to
    parse string as an integer" alone, where ``1:30`` is told YAML reads it as base 60."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False)
    assert old in text
    sandbox.write_job(text.replace(old, new, 1))
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, f"key '{key}'",
                              f"YAML reads {written} as text, not a number",
                              "base 60, 1:30 as 90", f"as text where {why}",
                              "write the number meant in decimal, without a colon")
    assert line.count("job.yaml:") == 1, line
    assert sandbox.untouched()


def test_control_a_base_60_number_is_refused_as_before(cli: Any, sandbox: Sandbox) -> None:
    """Control: ``chunks: [1:30, 20]`` (YAML 1.1 reads 90) is refused by the loader, with
    the number YAML read, as before."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False)
    sandbox.write_job(text.replace("  chunks:\n  - 20\n", "  chunks:\n  - 1:30\n", 1))
    assert_clean_error(cli("plan", sandbox.job_path), 2,
                       "value '1:30' at line 14 is read by YAML 1.1 as a base-60 number (90)",
                       "quote it if it is text, or write the number in decimal")
    assert sandbox.untouched()


# -- prospect plan --region of a job whose own region is refused --------------------------------


@pytest.mark.parametrize("region", [
    {"name": "Tiny", "crs": "EPSG:32619", "resolution": 10.0,
     "bounds": [500000.0, 1350000.0, 500400.0, 1350400.0]},
    "regions/area.yaml",
    {"base": "bonaire", "resolution": -10},
], ids=["inline-bad-name", "file-not-there", "override-bad-resolution"])
def test_plan_on_another_region_does_not_read_the_jobs_own(
        cli: Any, sandbox: Sandbox, region: Any) -> None:
    """SYNTHETIC tiny job whose own region is refused (an upper-case name, a region file
    not fetched yet, a negative resolution). Before: ``prospect plan job.yaml --region
    saba`` was refused for the job's region ("key 'region.name' has bad value 'Tiny'",
    "region file ... not found"), which ``--region`` replaces: the job was read whole
    first."""
    sandbox.write_job(region=region)
    result = cli("plan", sandbox.job_path, "--region", "saba", "--json")
    assert result.code == 0, result.err[-3000:]
    plan = json.loads(result.out)
    grid = load_region("saba").to_grid()
    assert plan["shape"] == list(grid.shape) and plan["n_chunks"] == grid.n_chunks, plan
    assert plan["region"] == "saba" and plan["job"] == "tiny", plan
    assert "error" not in result.err, result.err
    assert sandbox.untouched()


def test_plan_on_another_region_masks_with_that_regions_outline(
        cli: Any, sandbox: Sandbox) -> None:
    """SYNTHETIC tiny job on ``region: bonaire`` with ``mask: {}`` (the region's own
    outline). Before: ``--region saba`` was refused, "key 'mask': the outline bonaire has
    no land in the region 'saba'": the job's own region's outline laid on saba's grid."""
    sandbox.write_job(region="bonaire", mask={})
    result = cli("plan", sandbox.job_path, "--region", "saba", "--json")
    assert result.code == 0, result.err[-3000:]
    plan = json.loads(result.out)
    assert plan["region"] == "saba", plan
    assert plan["stages"][0]["variables"] == 2, plan  # heat and the land mask
    assert sandbox.untouched()


def test_plan_on_an_unknown_region_names_the_option(cli: Any, sandbox: Sandbox) -> None:
    """SYNTHETIC tiny job. Before: "error: unknown region 'sabaa'; did you mean 'saba'?
    ..." without saying it was ``--region``'s value, not the job's ``region:``."""
    line = assert_clean_error(cli("plan", sandbox.job_path, "--region", "sabaa"), 2,
                              "error: --region: unknown region 'sabaa'",
                              "did you mean 'saba'?")
    assert "job.yaml" not in line, line
    assert sandbox.untouched()


def test_control_plan_on_another_region_of_a_good_job(cli: Any, sandbox: Sandbox) -> None:
    """Control: the good tiny job on ``--region saba`` plans saba's grid, and without
    ``--region`` its own, as before."""
    result = cli("plan", sandbox.job_path, "--region", "saba")
    assert result.code == 0, result.err[-3000:]
    assert "plan of job tiny on saba (EPSG:32620, 10 m)" in result.out, result.out
    assert "grid: 800 x 800 cells, chunks 512 x 512 -> 4 chunks" in result.out, result.out
    own = cli("plan", sandbox.job_path)
    assert own.code == 0, own.err[-3000:]
    assert "plan of job tiny on tiny (EPSG:32619, 10 m)" in own.out, own.out
    assert "grid: 40 x 40 cells, chunks 20 x 20 -> 4 chunks" in own.out, own.out
    assert sandbox.untouched()


# -- a STAC comparison written yes, no, on or off -----------------------------------------------


def _stac_source(properties: dict[str, Any]) -> dict[str, Any]:
    """A raster source found by a STAC search on loopback (nothing listens: nothing is
    searched while the config is refused)."""
    return {"kind": "raster", "name": "ls", "units": "1",
            "stac_search": {"url": "http://127.0.0.1:9/api", "collections": ["landsat-c2-l2"],
                            "datetime": "2024-01-01/2024-03-31", "timeout_s": 1,
                            "retries": 0, "properties": properties},
            "assets": {"red": "red"}, "composite": {"method": "median"}}


@pytest.mark.parametrize(("written", "needles"), [
    ("landsat:wrs_path: {eq: yes}",
     ["landsat:wrs_path eq: true (YAML reads yes, on and true unquoted as a boolean)",
      "landsat:wrs_path is text of 3 digits in every STAC item",
      "write the value meant, quoted (e.g. eq: '001')"]),
    ("eo:cloud_cover: {in: [off]}",
     ["eo:cloud_cover in: false (YAML reads no, off and false unquoted as a boolean)",
      "eo:cloud_cover is a number in every STAC item"]),
    ("'platform:flag': {lt: on}",
     ["lt: true (YAML reads yes, on and true unquoted as a boolean), which has no order",
      "quote it if it is text"]),
], ids=["wrs-path-yes", "cloud-cover-off", "order-on"])
def test_a_stac_comparison_written_as_a_yaml_boolean_where_none_is_meant_is_refused(
        cli: Any, sandbox: Sandbox, written: str, needles: list[str]) -> None:
    """SYNTHETIC tiny job with a STAC search source. Before: YAML's boolean became 1.0 or
    0.0 in ``str | float``, without a word: ``landsat:wrs_path: {eq: yes}`` searched path
    ``"001"``, ``eo:cloud_cover: {in: [off]}`` a cloud cover of 0, ``lt: on`` below 1."""
    job = sandbox.job(sources=[_stac_source({"placeholder": {"eq": 1}})])
    text = yaml.safe_dump(job, sort_keys=False).replace("placeholder:\n        eq: 1",
                                                        written)
    assert written in text
    sandbox.write_job(text)
    assert_clean_error(cli("plan", sandbox.job_path), 2, "sources.0", *needles)
    assert sandbox.untouched()


def test_a_stac_boolean_comparison_is_sent_as_a_boolean() -> None:
    """SYNTHETIC search of a yes/no property (``eq: true``). Before: sent to the API as
    the number 1.0, which a boolean property never equals in CQL2."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.stac_search import cql2_filter

    source = RasterSource.model_validate(_stac_source({"s1:flag": {"eq": True}}))
    assert source.stac_search is not None
    sent = cql2_filter(source.stac_search)
    assert sent == {"op": "=", "args": [{"property": "s1:flag"}, True]}, sent
    assert sent is not None and sent["args"][1] is True


def test_control_stac_numbers_and_text_are_sent_as_before() -> None:
    """Control: ``eo:cloud_cover: {lt: 20}`` is sent as 20.0 and ``landsat:wrs_path: {eq:
    90}`` as ``"090"``, as before."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.stac_search import cql2_filter

    source = RasterSource.model_validate(_stac_source({
        "eo:cloud_cover": {"lt": 20}, "landsat:wrs_path": {"eq": 90}}))
    assert source.stac_search is not None
    assert cql2_filter(source.stac_search) == {"op": "and", "args": [
        {"op": "<", "args": [{"property": "eo:cloud_cover"}, 20.0]},
        {"op": "=", "args": [{"property": "landsat:wrs_path"}, "090"]}]}


def test_a_stac_search_date_and_time_is_told_its_days_interval(
        cli: Any, sandbox: Sandbox) -> None:
    """SYNTHETIC tiny job, ``datetime: 2024-01-01 10:00:00`` (YAML 1.1 reads a date and
    time). Before: "give an interval 'START/END', e.g.
    '2024-01-01T10:00:00/2024-01-01T10:00:00' for that day", an interval of no length."""
    job = sandbox.job(sources=[_stac_source({})])
    text = yaml.safe_dump(job, sort_keys=False).replace("2024-01-01/2024-03-31",
                                                        "2024-01-01 10:00:00")
    sandbox.write_job(text.replace("'2024-01-01 10:00:00'", "2024-01-01 10:00:00"))
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "stac_search.datetime",
                              "YAML read 2024-01-01T10:00:00 as one date and time",
                              "e.g. '2024-01-01/2024-01-01' for that day")
    assert "T10:00:00/" not in line, line
    assert sandbox.untouched()
