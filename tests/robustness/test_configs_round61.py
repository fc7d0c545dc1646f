"""Round 61, configs and the command line: a job's region file (or the job itself) listed
as a raster source refused at ingest in GDAL's words, ``--port`` refused with ``e.g.
--port 0`` (any free port), a CRS of no EPSG code named by a page of WKT (in "none of its
files overlap", in ``prospect regions``, in the plan's heading and in a region's
refusal), and ``prospect regions NAME`` saying the name twice (or a path-like name
"unknown region").

Every case runs the real CLI in this process (the ``cli`` fixture) on SYNTHETIC data: the
tiny job of :class:`~tests.robustness.conftest.Sandbox`, one-line region configs and a
SYNTHETIC 40 x 40 GeoTIFF in a custom transverse Mercator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from .conftest import TINY_REGION, Sandbox, assert_clean_error

# A transverse Mercator of WGS 84 with no EPSG code: UTM 19N's, false easting 400 000 m
CUSTOM_TM = ("+proj=tmerc +lat_0=0 +lon_0=-69 +k=0.9996 +x_0=400000 +y_0=0 +datum=WGS84 "
             "+units=m")


def _usage_error(result: Any, *needles: str) -> str:
    """Exit 2, one usage ``Error:`` line naming every needle, and no traceback."""
    text = result.out + result.err
    assert result.code == 2, f"exit {result.code}:\n{text[-3000:]}"
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    lines = [line for line in result.err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, text[-3000:]
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in the error line: {lines[0]}"
    return lines[0]


# -- a config listed as a raster source ---------------------------------------------------------


def _with_source(sandbox: Sandbox, **source: Any) -> Path:
    """The tiny job with its region in ``region.yaml`` and one more raster source."""
    (sandbox.root / "region.yaml").write_text(yaml.safe_dump(dict(TINY_REGION)))
    job = sandbox.job(region="region.yaml")
    job["sources"].append({"kind": "raster", "name": "more", "units": "1", **source})
    return sandbox.write_job(yaml.safe_dump(job, sort_keys=False))


@pytest.mark.parametrize(("source", "needles"), [
    ({"path": "region.yaml"}, ["'region.yaml'", "region.yaml is a region config",
                               "under 'region:'"]),
    ({"path": "job.yaml"}, ["'job.yaml'", "job.yaml is a job config"]),
    ({"bands": {"b": "region.yaml"}}, ["sources.1.raster.bands.b", "is a region config"]),
    ({"path": "area.YML"}, ["area.YML is a YAML file: a config, not data"]),
], ids=["region-file-as-path", "job-itself-as-path", "region-file-in-bands",
        "yaml-not-there"])
def test_a_config_listed_as_a_raster_is_refused_as_a_config(
        cli: Any, sandbox: Sandbox, source: dict[str, Any], needles: list[str]) -> None:
    """SYNTHETIC tiny job. Before: planned, then "cannot read as a raster (corrupt,
    truncated or not a raster): 'region.yaml' not recognized as being in a supported file
    format" (exit 1, a run stopping at ingest; round 54 left it); a file not there yet
    "raster file not found"."""
    job = _with_source(sandbox, **source)
    line = assert_clean_error(cli("plan", job), 2, "job.yaml:", "not a raster", *needles)
    assert "not recognized" not in line and "give the path of the raster file" in line
    assert not sandbox.out.exists() and sandbox.untouched()


def test_control_a_raster_beside_a_region_file_still_plans(cli: Any, sandbox: Sandbox) -> None:
    """Control: the tiny job with its region in ``region.yaml`` and a second raster
    (``heat2.tif``) plans as before."""
    from .conftest import write_tiny_raster

    write_tiny_raster(sandbox.root / "heat2.tif",
                      values=np.arange(1600, dtype="float32").reshape(40, 40))
    job = _with_source(sandbox, path="heat2.tif")
    result = cli("plan", job)
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.out + result.err


# -- a number option's example ------------------------------------------------------------------


def test_port_refused_shows_the_port_of_the_commands_examples(cli: Any, tmp_path: Path) -> None:
    """Before: "... give it a whole number from 0 to 65535 (e.g. --port 0)": 0 asks for
    any free port; ``prospect serve --help``'s examples serve on 8080."""
    line = _usage_error(cli("serve", tmp_path / "serve.yaml", "--port", "99999"),
                        "--port was given 99999", "from 0 to 65535", "(e.g. --port 8080)")
    assert "--port 0)" not in line


def test_control_an_option_with_a_default_shows_its_default(cli: Any, sandbox: Sandbox) -> None:
    """Control: ``--workers 1e3`` still shows its default (``e.g. --workers 1``)."""
    _usage_error(cli("plan", sandbox.job_path, "--workers", "1e3"),
                 "--workers was given '1e3'", "(e.g. --workers 1)")


# -- a CRS of no EPSG code, named short ---------------------------------------------------------


def _custom_tm_raster(path: Path) -> Path:
    """A SYNTHETIC 40 x 40 GeoTIFF in :data:`CUSTOM_TM` (stored as WKT) at the tiny
    region's numbers: 100 km east of the tiny region on the ground."""
    import rasterio
    from pyproj import CRS
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs=CRS(CUSTOM_TM).to_wkt(),
                       transform=from_origin(500000, 1350400, 10, 10)) as dst:
        dst.write(np.random.default_rng(1).random((40, 40)).astype("float32"), 1)
    return path


def test_files_in_a_crs_without_a_code_are_named_by_a_proj_string(
        cli: Any, sandbox: Sandbox) -> None:
    """SYNTHETIC file in a custom transverse Mercator, the region's bounds written in its
    numbers. Before: "... read in the files' own CRS PROJCRS["unknown",BASEGEOGCRS[...
    (a page of WKT) ...; set region.crs to '<the page again>'"."""
    _custom_tm_raster(sandbox.root / "heat.tif")
    sandbox.write_job()
    line = assert_clean_error(cli("ingest", sandbox.job_path, "-o", sandbox.out), 1,
                              "none of its files overlap", "(no EPSG code)",
                              f"set region.crs to '{CUSTOM_TM}'")
    assert "PROJCRS" not in line and "unknown" not in line, line
    assert line.count("+proj=tmerc") == 1, line
    assert sandbox.untouched()


def test_a_region_in_a_crs_without_a_code_is_named_by_a_proj_string(
        cli: Any, sandbox: Sandbox) -> None:
    """SYNTHETIC region whose ``crs`` is a WKT of no EPSG code (pasted from a ``.prj``).
    Before: ``prospect regions`` printed the WKT whole in its table (folded over 20
    lines) and its detail line, and the plan's heading called it "unknown"."""
    from pyproj import CRS

    region = {**TINY_REGION, "crs": CRS(CUSTOM_TM).to_wkt(),
              "bounds": [400000.0, 1350000.0, 400400.0, 1350400.0]}
    path = sandbox.root / "custom.yaml"
    path.write_text(yaml.safe_dump(region, width=100_000))
    listed = cli("regions", path)
    assert listed.code == 0, listed.err[-3000:]
    assert "PROJCRS" not in listed.out and "+x_0=400000" in listed.out, listed.out
    detail = [line for line in listed.out.splitlines() if line.startswith("tiny: bounds")]
    assert len(detail) == 1 and f"({CUSTOM_TM})" in detail[0], listed.out
    sandbox.write_job(yaml.safe_dump(sandbox.job(region="custom.yaml"), sort_keys=False))
    plan = cli("plan", sandbox.job_path)
    heading = plan.out.splitlines()[0] if plan.out else ""
    assert heading.startswith("plan of job tiny on tiny (+proj=tmerc"), plan.out[:500]
    assert "unknown" not in heading


def test_a_region_crs_refused_says_its_wkt_once(cli: Any, tmp_path: Path) -> None:
    """SYNTHETIC region whose WKT has an ellipsoid and no datum. Before: "key 'crs' has
    bad value 'PROJCRS[...Internationa...: CRS 'PROJCRS[...' (the whole WKT again, 1 300
    characters): it has an ellipsoid ..."."""
    from pyproj import CRS

    wkt = CRS("+proj=tmerc +lat_0=0 +lon_0=-69 +k=0.9996 +x_0=500000 +y_0=0 +ellps=intl "
              "+units=m").to_wkt()
    path = tmp_path / "nodatum.yaml"
    path.write_text(yaml.safe_dump({**TINY_REGION, "crs": wkt}, width=100_000))
    line = assert_clean_error(cli("regions", path), 2, "key 'crs' has bad value",
                              "no datum", "give its EPSG code")
    assert line.count("PROJCRS") == 1 and len(line) < 900, line


def test_control_files_in_another_epsg_crs_are_named_by_the_code() -> None:
    """Control: Saba's UTM 20N numbers in a UTM 19N region still name EPSG:32620."""
    from prospect.config.region import bounds_written_in
    from prospect.grid import RegionGrid

    grid = RegionGrid(name="x", crs="EPSG:32619", resolution=10.0,
                      bounds=(495000.0, 1940000.0, 500000.0, 1945000.0), chunks=(256, 256))
    said = bounds_written_in(grid, [("EPSG:32620", (494000.0, 1939000.0, 501000.0, 1946000.0))])
    assert "files' own CRS EPSG:32620 (WGS 84 / UTM zone 20N)" in said, said
    assert "set region.crs to 'EPSG:32620'" in said, said


# -- prospect regions NAME: the name once -------------------------------------------------------


def test_regions_of_an_unknown_name_says_it_once(cli: Any) -> None:
    """Before: "prospect regions bonair: unknown region 'bonair'; did you mean 'bonaire'?;
    shipped regions: ...; list them all with prospect regions" (round 53 left it)."""
    line = assert_clean_error(cli("regions", "bonair"), 2,
                              "prospect regions bonair: unknown region; did you mean "
                              "'bonaire'?", "shipped regions: ")
    assert "'bonair'" not in line and "list them all" not in line, line


@pytest.mark.parametrize(("given", "needles"), [
    ("../x", ["prospect regions ../x: reads as the path '../x', not a shipped region",
              "save it (or link it) as a .yaml or .yml file"]),
    ("folder", ["prospect regions folder: names the folder 'folder', not a shipped region"]),
], ids=["relative-path", "a-folder"])
def test_regions_of_a_path_not_a_yaml_file_says_it_is_a_path(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str,
        needles: list[str]) -> None:
    """Before: "prospect regions ../x: unknown region '../x'; shipped regions: ..." where
    a job's ``region: ../x`` said the path and how a region file is read."""
    (tmp_path / "folder").mkdir()
    monkeypatch.chdir(tmp_path)
    line = assert_clean_error(cli("regions", given), 2, *needles)
    assert "unknown region" not in line and line.count(f"'{given}'") == 1, line


def test_control_a_jobs_unknown_region_still_names_it(cli: Any, sandbox: Sandbox) -> None:
    """Control: a job's ``region: bonair`` keeps "unknown region 'bonair'" (the job's
    line names no region before it)."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(region="bonair"), sort_keys=False))
    assert_clean_error(cli("plan", sandbox.job_path), 2, "unknown region 'bonair'",
                       "did you mean 'bonaire'?")


def test_control_regions_of_an_empty_name_keeps_it_quoted(cli: Any) -> None:
    """Control: ``prospect regions ""`` (a variable empty in a script) keeps the quotes
    that show the name empty."""
    assert_clean_error(cli("regions", ""), 2, "unknown region ''")
