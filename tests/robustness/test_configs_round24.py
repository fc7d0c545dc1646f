"""Configs and the command line as survey scientists meet them (round 24).

Worker and thread counts no machine or cluster has are usage errors; EPSG:4326 bounds
written latitude first are named as swapped; a key of a sibling source kind names that
kind; a shipped region's name with an edited region file of that name beside the job is
refused, not silently read from the shipped file; lists written as text with spaces or
``x`` say the list to write; ``-h`` prints the help as ``--help`` does. Rasters and
configs here are small and SYNTHETIC.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
import yaml

from .conftest import REPO, Sandbox, assert_clean_error

BONAIRE = REPO / "configs" / "regions" / "bonaire.yaml"
S2 = REPO / "configs" / "sensors" / "sentinel2.yaml"


def _plan_refused(sandbox: Sandbox, cli: Any, *needles: str, **changes: Any) -> str:
    sandbox.write_job(**changes)
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, *needles)
    assert sandbox.untouched()
    return line


# -- counts of workers and threads no machine has ----------------------------------------

@pytest.mark.parametrize(("args", "needles"), [
    (["plan", "--workers", "99999999999999999999"], ["--workers", "at most 1,000,000"]),
    (["plan", "--threads", "100000"], ["--threads", "at most 8,192"]),
    (["run", "-o", "OUT", "--workers", "5000000"], ["--workers", "worker processes"]),
])
def test_counts_no_machine_has_are_usage_errors(sandbox: Sandbox, cli: Any,
                                                args: list[str], needles: list[str]) -> None:
    # Before: plan printed "46566128730773.9 PiB" in a warning and exit 0; --threads
    # 100000 planned without a word (SYNTHETIC tiny job)
    args = [str(sandbox.out) if a == "OUT" else a for a in args]
    result = cli(args[0], sandbox.job_path, *args[1:])
    text = result.out + result.err
    assert result.code == 2, text
    assert "Traceback" not in text and "PiB" not in text, text
    for needle in needles:
        assert needle in result.err, text
    assert not sandbox.out.exists() and sandbox.untouched()


def test_counts_a_cluster_has_still_plan(sandbox: Sandbox, cli: Any) -> None:
    # control: 2000 workers of 64 threads is a batch cluster's size (SYNTHETIC tiny job)
    result = cli("plan", sandbox.job_path, "--workers", "2000", "--threads", "64")
    assert result.code == 0, result.out + result.err


# -- EPSG:4326 bounds written latitude first ----------------------------------------------

def test_latitude_first_bounds_are_named_as_swapped(sandbox: Sandbox, cli: Any) -> None:
    # Before: "none of its files overlap the region" and "check the files, their CRS or
    # the region" alone (the swapped bounds are a valid place in Antarctica's seas); the
    # SYNTHETIC raster covers lon -69.0..-68.996, lat 12.212..12.2157
    region = {"name": "tiny", "crs": "EPSG:4326", "resolution": 0.0001,
              "bounds": [12.212, -69.0, 12.2156, -68.9964], "chunks": [20, 20]}
    sandbox.write_job(region=region)
    result = cli("plan", sandbox.job_path)
    warned = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert any("axes swapped" in w and "[-69.0, 12.212, -68.9964, 12.2156]" in w
               for w in warned), result.err


def test_bounds_written_in_order_plan_without_the_swap_note(sandbox: Sandbox,
                                                            cli: Any) -> None:
    # control: the same bounds west, south, east, north cover the file
    region = {"name": "tiny", "crs": "EPSG:4326", "resolution": 0.0001,
              "bounds": [-69.0, 12.212, -68.9964, 12.2156], "chunks": [20, 20]}
    sandbox.write_job(region=region)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0 and "swapped" not in result.err, result.err


def test_swapped_bounds_are_found_by_the_library_check() -> None:
    # the check ingest and plan share, for a UTM file and a lat, lon region (SYNTHETIC)
    from prospect.config.region import bounds_written_in
    from prospect.grid import RegionGrid

    grid = RegionGrid(name="b", crs="EPSG:4326", resolution=0.001,
                      bounds=(12.0, -68.45, 12.35, -68.15), chunks=(64, 64))
    files = [("EPSG:32619", (559000.0, 1324000.0, 590000.0, 1364000.0))]
    assert "[-68.45, 12.0, -68.15, 12.35]" in bounds_written_in(grid, files)


# -- a key of a sibling source kind --------------------------------------------------------

@pytest.mark.parametrize(("kind", "key", "needles"), [
    ("raster", "x", ["'x' is a key of a points source", "not of a raster one",
                     "kind: points"]),
    ("vector", "units", ["a raster or points source", "not of a vector one"]),
])
def test_a_key_of_a_sibling_source_kind_names_that_kind(sandbox: Sandbox, cli: Any,
                                                       kind: str, key: str,
                                                       needles: list[str]) -> None:
    # Before: "unknown key 'sources.0.raster.x' (remove it; keys allowed here: assets, ...)"
    source: dict[str, Any] = {"kind": kind, "name": "heat", "path": "heat.tif", key: "lon"}
    _plan_refused(sandbox, cli, f"sources.0.{kind}.{key}", *needles, sources=[source])


def test_a_misspelt_key_of_its_own_kind_is_still_did_you_mean(sandbox: Sandbox,
                                                              cli: Any) -> None:
    # control: a misspelt raster key keeps its suggestion
    source = {"kind": "raster", "name": "heat", "path": "heat.tif", "unit": "1"}
    line = _plan_refused(sandbox, cli, "did you mean 'units'", sources=[source])
    assert "points source" not in line


# -- a shipped region's name with a region file of that name beside the job ----------------

@pytest.mark.parametrize("where", ["bonaire.yaml", "regions/bonaire.yaml"])
@pytest.mark.parametrize("form", ["name", "base"])
def test_a_shipped_name_shadowed_by_an_edited_file_is_refused(sandbox: Sandbox, cli: Any,
                                                              where: str, form: str) -> None:
    # Before: the shipped 10 m grid was read without a word though the user's edited copy
    # (SYNTHETIC: resolution 20) lay beside the job under the same name
    data = yaml.safe_load(BONAIRE.read_text())
    data["resolution"] = 20
    path = sandbox.root / where
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    region: Any = "bonaire" if form == "name" else \
        {"base": "bonaire", "bounds": [559000, 1324000, 560000, 1325000]}
    _plan_refused(sandbox, cli, "names the shipped file", str(path),
                  "resolution 20 there, 10 shipped", f"('{where}')", region=region)


def test_a_copy_of_the_shipped_region_beside_the_job_is_taken(sandbox: Sandbox,
                                                              cli: Any) -> None:
    # control: an unedited copy (the same grid) shadows nothing
    shutil.copy(BONAIRE, sandbox.root / "bonaire.yaml")
    sandbox.write_job(region="bonaire")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0 and not result.error_lines, result.err


@pytest.mark.parametrize("where", ["indices", "source"])
def test_a_shipped_sensor_shadowed_by_an_edited_file_is_refused(sandbox: Sandbox, cli: Any,
                                                                where: str) -> None:
    # Before: 'sensor: sentinel2' read the shipped bands though the user's copy beside the
    # job (SYNTHETIC edit: N read from B8A) said otherwise
    data = yaml.safe_load(S2.read_text())
    data["bands"]["N"]["variable"] = "B8A"
    (sandbox.root / "sentinel2.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    indices = {"sensor": "sentinel2", "names": ["NDVI"]}
    source = {"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"}
    if where == "source":
        source["sensor"] = "sentinel2"
        indices = {"custom": {"HALF": "heat / 2"}}
    _plan_refused(sandbox, cli, "names the shipped file", "sentinel2.yaml",
                  "bands.N.variable 'B8A' there, 'B08' shipped", indices=indices,
                  sources=[source])


def test_a_copy_of_a_shipped_sensor_beside_the_job_is_taken(sandbox: Sandbox,
                                                            cli: Any) -> None:
    # control: an unedited copy, and the name written as a path to the edited one, plan
    # (the job makes NDVI's bands under the sensor's names: since round 36 plan refuses
    # an index whose band no source makes)
    from .conftest import write_tiny_raster

    shutil.copy(S2, sandbox.root / "sentinel2.yaml")
    write_tiny_raster(sandbox.root / "cold.tif")
    sandbox.write_job(indices={"sensor": "sentinel2", "names": ["NDVI"]},
                      sources=[{"kind": "raster", "name": "B08", "path": "heat.tif"},
                               {"kind": "raster", "name": "B04", "path": "cold.tif"}])
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err


# -- lists written as text -----------------------------------------------------------------

@pytest.mark.parametrize(("key", "text", "meant"), [
    ("chunks", "20x20", "[20, 20]"),
    ("chunks", "20 x 20", "[20, 20]"),
    ("bounds", "500000 1350000 500400 1350400", "[500000, 1350000, 500400, 1350400]"),
    ("bounds", "(500000; 1350000; 500400; 1350400)", "[500000, 1350000, 500400, 1350400]"),
])
def test_a_list_written_as_text_says_the_list(sandbox: Sandbox, cli: Any, key: str,
                                              text: str, meant: str) -> None:
    # Before: "Input should be a valid tuple" alone
    region = {"name": "tiny", "crs": "EPSG:32619", "resolution": 10.0,
              "bounds": [500000.0, 1350000.0, 500400.0, 1350400.0], "chunks": [20, 20],
              key: text}
    _plan_refused(sandbox, cli, f"region.{key}", "the key takes a list", meant,
                  region=region)


# -- -h ------------------------------------------------------------------------------------

@pytest.mark.parametrize("words", [[], ["plan"], ["model"], ["model", "score"], ["regions"]])
def test_dash_h_prints_the_help(cli: Any, words: list[str]) -> None:
    # Before: "No such option: -h", exit 2 (git, GDAL's tools, pip and docker take it)
    result = cli(*words, "-h")
    assert result.code == 0, result.out + result.err
    assert "Usage:" in result.out and "--help" in result.out


# -- an anchor's key written X- or x_ -------------------------------------------------------

@pytest.mark.parametrize("key", ["X-grid", "x_grid"])
def test_an_anchor_key_of_another_prefix_is_told_the_x_dash_name(sandbox: Sandbox, cli: Any,
                                                                 key: str) -> None:
    # Before: "rename it as 'x-X-grid'" / "'x-x_grid'" (SYNTHETIC tiny job)
    text = (f"{key}: &g {{crs: 'EPSG:32619', resolution: 10}}\n"
            + sandbox.job_path.read_text().replace("region:\n", "region:\n  <<: *g\n", 1))
    sandbox.write_job(text)
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, f"unknown key '{key}'",
                              "rename it as 'x-grid'")
    assert "x-X" not in line and "x-x_" not in line


# -- bounds written with x and y swapped where the CRS cannot hold them -------------------

@pytest.mark.parametrize(("crs", "bounds", "meant"), [
    ("EPSG:32619", [1324000, 559000, 1364000, 590000],
     "[559000.0, 1324000.0, 590000.0, 1364000.0]"),
    ("EPSG:4326", [21.7, 105.7, 22.0, 106.0], "[105.7, 21.7, 106.0, 22.0]"),
])
def test_bounds_written_with_x_and_y_swapped_are_named(sandbox: Sandbox, cli: Any, crs: str,
                                                       bounds: list[float],
                                                       meant: str) -> None:
    # Before: Bonaire's northing first was "region extends 4.77 degrees past the UTM zone
    # ... set 'cross_zone: true'"; Thai Nguyen latitude first "lie outside the Earth"
    res = 100.0 if crs != "EPSG:4326" else 0.001
    region = {"name": "tiny", "crs": crs, "resolution": res, "bounds": bounds,
              "chunks": [64, 64]}
    _plan_refused(sandbox, cli, "x and y swapped", meant, region=region)


# -- a grid CRS without an EPSG code in the plan's heading ---------------------------------

def test_a_crs_without_an_epsg_code_is_named_short_in_the_plan(sandbox: Sandbox,
                                                              cli: Any) -> None:
    # Before: the heading printed OGC:CRS84's whole WKT ("GEOGCRS["WGS 84 (CRS84)",
    # ENSEMBLE[...") where EPSG:4326 prints "EPSG:4326" (SYNTHETIC tiny job)
    region = {"name": "tiny", "crs": "OGC:CRS84", "resolution": 0.0001,
              "bounds": [-69.0, 12.212, -68.9964, 12.2156], "chunks": [20, 20]}
    sandbox.write_job(region=region)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    heading = next(line for line in result.out.splitlines() if line.startswith("plan of"))
    assert "(OGC:CRS84, 0.0001 degrees)" in heading and "GEOGCRS" not in result.out
