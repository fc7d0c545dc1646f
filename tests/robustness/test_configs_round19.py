"""Configs and the command line as survey scientists use them, through the real CLI.

A job of thousands of sources is refused at once past a documented limit; ``prospect
plan`` on a source whose files are here and refused stops as the run stops (exit 1, the
reader's error, the source's line), and one whose files read but lie off the region is a
warning that the run stops on it; bounds written in the files' own UTM zone (Saba's UTM
20N metres given to a UTM 19N region) are named with the CRS meant; a folder given
as the config lists the configs in it.
Every command runs in a subprocess (``python -m pipelines.cli``). Rasters here are small
and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import REPO, Sandbox, assert_clean_error, run_prospect
from .test_configs_round18 import JOB

# each reads heat.tif another way (its offset): the same file read the same way under two
# names is refused (round 29)
SOURCE_LINES = "- kind: raster\n  name: {name}\n  path: heat.tif\n  offset: {offset}\n"


def _many_sources(count: int) -> str:
    """The tiny job with ``count`` raster sources (each the sandbox's ``heat.tif``, with an
    offset of its own)."""
    head = JOB.split("sources:\n")[0] + "sources:\n"
    return head + "".join(SOURCE_LINES.format(name=f"s{i}", offset=i) for i in range(count))


def _plan_refused(sandbox: Sandbox, code: int, *needles: str,
                  env: dict[str, str] | None = None) -> str:
    """``prospect plan`` of the sandbox's job: exit ``code``, one error line holding every
    needle, nothing written; the error line."""
    result = run_prospect("plan", sandbox.job_path, env=env)
    line = assert_clean_error(result, code, *needles)
    assert result.out == "", result.out[-2000:]  # no plan printed beside the error
    assert sandbox.untouched()
    return line


# -- how many sources a job may list -----------------------------------------------------

def test_a_job_of_more_sources_than_the_limit_is_refused_before_any_is_read(
    sandbox: Sandbox,
) -> None:
    # Before: 1 001 sources were validated and each file's header read (2 000: 8 s of
    # CPU) and the plan printed, exit 0, no word of a limit
    sandbox.write_job(_many_sources(1001))
    line = _plan_refused(sandbox, 2, ":9:", "key 'sources'", "1001 sources",
                         "the 1000 a job may list", "'scenes'", "PROSPECT_MAX_SOURCES")
    assert "{'kind'" not in line  # the list itself is not shown, cut half way


def test_the_source_limit_is_set_by_the_environment(sandbox: Sandbox) -> None:
    # Before: no limit to set; 4 sources planned
    sandbox.write_job(_many_sources(4))
    _plan_refused(sandbox, 2, "4 sources", "the 3 a job may list",
                  env={"PROSPECT_MAX_SOURCES": "3"})
    result = run_prospect("plan", sandbox.job_path, env={"PROSPECT_MAX_SOURCES": "4"})
    assert result.code == 0, result.err[-2000:]  # control: as many as the limit
    _plan_refused(sandbox, 2, "PROSPECT_MAX_SOURCES='many'", "whole number",
                  env={"PROSPECT_MAX_SOURCES": "many"})


# -- prospect plan on a source the readers refuse ----------------------------------------

def _truncated_tif(path: Path) -> bytes:
    from .conftest import write_tiny_raster

    write_tiny_raster(path)
    return path.read_bytes()[:200]


@pytest.mark.parametrize(("content", "needles"), [
    (lambda p: b"<html><body>503 Service Unavailable</body></html>",
     ["cannot read as a raster"]),
    (lambda p: b"", ["is empty (0 bytes)"]),
    (_truncated_tif, ["cut short"]),
], ids=["html-page", "empty", "truncated"])
def test_plan_of_a_source_whose_file_the_reader_refuses_fails_as_the_run_does(
    sandbox: Sandbox, content, needles: list[str],
) -> None:
    # Before: "layers counted from the config (... cannot read as a raster ...)" among
    # the plan's notes, exit 0; the run stops at ingest with that error, exit 1
    bad = sandbox.root / "bad.tif"
    bad.write_bytes(content(bad))
    sandbox.write_job(JOB.replace("path: heat.tif", "path: bad.tif"))
    line = _plan_refused(sandbox, 1, *needles, "bad.tif", "source 'heat' at",
                         "job.yaml:10", "stops at ingest")
    run = run_prospect("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1")
    # the run's own refusal of the file, naming the source and its line too (round 52)
    ran = assert_clean_error(run, 1, "bad.tif", "(source 'heat' at", "job.yaml:10)")
    assert line.split(" (source")[0] == ran.split(" (source")[0], (line, ran)  # word for word


def test_plan_of_a_vector_file_the_reader_refuses_fails(sandbox: Sandbox) -> None:
    # Before: counted from the config, exit 0
    (sandbox.root / "geology.geojson").write_text('{"type": "FeatureCollection", "feat')
    sandbox.write_job(JOB + "- kind: vector\n  name: geology\n  path: geology.geojson\n"
                      "  attribute: unit\n")
    _plan_refused(sandbox, 1, "geology.geojson", "source 'geology' at", "job.yaml:13")


def test_plan_of_a_source_not_here_yet_still_plans_and_says_so(sandbox: Sandbox) -> None:
    # Control: a file not there (a download to come) is counted from the config, exit 0
    sandbox.write_job(JOB.replace("path: heat.tif", "path: later.tif"))
    result = run_prospect("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]
    said = " ".join(result.out.split())
    assert "layers counted from the config" in said and "not found" in said, said[-2000:]
    assert sandbox.untouched()


# -- bounds written in the files' own UTM zone --------------------------------------------

SABA = """name: saba
synthetic: true
region:
  name: saba
  crs: '{crs}'
  resolution: 10.0
  bounds: [475000.0, 1949600.0, 475400.0, 1950000.0]
  chunks: [20, 20]
sources:
- kind: raster
  name: heat
  path: saba.tif
"""


def _saba_raster(path: Path) -> None:
    """A 400 m square SYNTHETIC raster on Saba in UTM 20N (EPSG:32620)."""
    import rasterio
    from rasterio.transform import from_origin

    values = np.random.default_rng(1).random((40, 40)).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs="EPSG:32620",
                       transform=from_origin(475000, 1950000, 10, 10)) as dst:
        dst.write(values, 1)


def test_saba_s_utm_20n_bounds_given_to_a_utm_19n_region_name_the_zone_meant(
    sandbox: Sandbox,
) -> None:
    # Before: "layers counted from the config (... none of its files overlap ...)" among
    # the plan's notes, with no word of the zone the bounds were written in, nor that the
    # run stops on it
    _saba_raster(sandbox.root / "saba.tif")
    sandbox.write_job(SABA.format(crs="EPSG:32619"))
    result = run_prospect("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]  # files that read: the plan is printed
    said = [" ".join(line.split()) for line in result.err.split("warning: ")
            if "none of its files overlap" in line]
    assert len(said) == 1, result.err[-2000:]
    for needle in ("EPSG:32620", "UTM zone 20N", "set region.crs to 'EPSG:32620'",
                   "job.yaml:10", "a run of this job stops at ingest"):
        assert needle in said[0], (needle, said[0])
    assert sandbox.untouched()


def test_the_run_names_the_zone_meant_too(sandbox: Sandbox) -> None:
    # Before: the run's ingest said "none of its files overlap ...; check the files, their
    # CRS or the region", with no word of the zone the bounds were written in
    _saba_raster(sandbox.root / "saba.tif")
    sandbox.write_job(SABA.format(crs="EPSG:32619"))
    result = run_prospect("ingest", sandbox.job_path, "-o", sandbox.out)
    said = assert_clean_error(result, 1, "none of its files overlap", "UTM zone 20N",
                              "set region.crs to 'EPSG:32620'")
    assert said.count("set region.crs") == 1, said


def test_saba_s_bounds_in_its_own_zone_still_plan(sandbox: Sandbox) -> None:
    # Control: the same bounds with the zone they were written in
    _saba_raster(sandbox.root / "saba.tif")
    sandbox.write_job(SABA.format(crs="EPSG:32620"))
    result = run_prospect("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]
    assert "counted from the config" not in result.out


# -- a folder given as the config ------------------------------------------------------

@pytest.mark.parametrize("command", [("plan",), ("run", "-o", "{out}")], ids=["plan", "run"])
def test_a_folder_given_as_the_config_lists_the_configs_in_it(
    sandbox: Sandbox, command: tuple[str, ...],
) -> None:
    # Before: click's "Invalid value for 'config': file '...' is a directory", below
    # the usage text, naming no config to give
    folder = sandbox.root / "jobs"
    folder.mkdir()
    (folder / "a.yaml").write_text(JOB)
    (folder / "b.yml").write_text(JOB)
    (folder / "notes.txt").write_text("not a config\n")
    sandbox.write_job(JOB)
    args = [a.format(out=sandbox.out) for a in command]
    result = run_prospect(args[0], folder, *args[1:])
    assert_clean_error(result, 2, "a folder, not a config file", "a.yaml, b.yml",
                       str(folder / "a.yaml"))
    assert "notes.txt" not in result.err and "Usage:" not in result.err
    assert not sandbox.out.exists() and sandbox.untouched()


# -- another kind of Prospect config given where a job is meant ----------------------------

@pytest.mark.parametrize(("path", "needles"), [
    ("configs/regions/bonaire.yaml", ["a region file", "under 'region:'"]),
    ("configs/sensors/aster.yaml", ["a sensor's band file", "indices.sensor"]),
    ("configs/serve/example.yaml", ["a tile server's config", "prospect serve"]),
    ("cluster/jobqueue.yaml", ["cluster settings", "--cluster"]),
], ids=["region", "sensor", "serve", "cluster"])
def test_another_kind_of_config_given_as_the_job_says_what_it_is(
    sandbox: Sandbox, path: str, needles: list[str],
) -> None:
    # Before: "missing required key 'region'" and an "unknown key" line for each of the
    # file's keys, listing a job's keys, with no word of what the file is
    result = run_prospect("run", REPO / path, "-o", sandbox.out, "--workers", "1")
    line = assert_clean_error(result, 2, "not a job config", *needles)
    assert "unknown key" not in result.err, result.err[-2000:]
    assert path.split("/")[-1] in line
    assert not sandbox.out.exists() and sandbox.untouched()


def test_a_job_missing_its_region_is_still_told_the_key(sandbox: Sandbox) -> None:
    # Control: a job without 'region' (it has 'sources') is no other kind of config
    sandbox.write_job("\n".join(line for line in JOB.splitlines()
                                if not line.startswith(("region:", "  "))) + "\n")
    result = run_prospect("plan", sandbox.job_path)
    assert result.code == 2, result.err[-2000:]
    assert "missing required key 'region'" in result.err
    assert "not a job config" not in result.err and sandbox.untouched()


# -- a source reading what the job writes in -o ------------------------------------------

MODEL_JOB = JOB.replace("path: heat.tif", "path: {path}") + (
    "- kind: points\n  name: wells\n  path: wells.csv\n"
    "model:\n  mineral: lithium\n  labels:\n    source: wells\n")


def _model_sandbox(sandbox: Sandbox, path: str) -> None:
    """The tiny job with a model, its raster source at ``path`` (a copy of ``heat.tif``
    there, as an earlier run's map), and the earlier run's output folder."""
    (sandbox.root / "wells.csv").write_text(
        "x,y,li\n" + "".join(f"{500005 + 10 * i},{1350005 + 10 * i},{i % 2}\n"
                             for i in range(30)))
    (sandbox.root / path).parent.mkdir(parents=True, exist_ok=True)
    (sandbox.root / path).write_bytes((sandbox.root / "heat.tif").read_bytes())
    sandbox.write_job(MODEL_JOB.format(path=path))


@pytest.mark.parametrize("command", ["run", "train", "plan"])
def test_a_source_reading_the_score_the_job_writes_is_refused(
    sandbox: Sandbox, command: str,
) -> None:
    # Before: ingest read out/score/probability.tif, then score rewrote it: every rerun
    # found a changed input and ran again, the model trained on its own earlier map
    _model_sandbox(sandbox, "out/score/probability.tif")
    before = sorted(p.name for p in sandbox.out.rglob("*"))
    result = run_prospect(command, sandbox.job_path, "-o", sandbox.out,
                          *(["--workers", "1"] if command != "plan" else []))
    assert_clean_error(result, 2, "job.yaml:10", "source 'heat' reads", "probability.tif",
                       "inside score", "replace its own input",
                       "train on its own earlier output", "another -o")
    assert sorted(p.name for p in sandbox.out.rglob("*")) == before  # nothing written
    assert sandbox.untouched()


def test_a_source_in_a_folder_of_o_the_job_does_not_write_still_plans(
    sandbox: Sandbox,
) -> None:
    # Control: inputs kept in a folder of their own inside -o
    _model_sandbox(sandbox, "out/inputs/heat.tif")
    result = run_prospect("plan", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 0, result.err[-2000:]
