"""Round 51, configs and the command line: region bounds in degrees (latitude first, or
reaching a little past the CRS's area) for a CRS in metres, bounds in kilometres written
with x and y swapped, ``prospect regions NAME`` and ``prospect jobs NAME``, and a new
``-o`` left holding a manifest and a lock by a source file that is not there.

Every case runs the real CLI in this process (the ``cli`` fixture) on the tiny SYNTHETIC
job of :class:`~tests.robustness.conftest.Sandbox`; nothing is computed but a plan, a
listing, or an ingest plan that refuses.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import yaml

from .conftest import TINY_REGION, Sandbox, assert_clean_error

# -- bounds in degrees for a CRS in metres ----------------------------------------------------


@pytest.mark.parametrize(
    ("crs", "resolution", "bounds", "needles"),
    [
        (
            "EPSG:32619",
            0.001,
            [12.0, -68.45, 12.35, -68.15],
            ["written latitude first", "EPSG:32619 is in metres", "[-68.45, 12, -68.15, 12.35]"],
        ),
        (
            "EPSG:28992",
            0.01,
            [50.7, 3.3, 53.6, 7.3],
            ["written latitude first", "EPSG:28992 is in metres", "[3.3, 50.7, 7.3, 53.6]"],
        ),
        (
            "EPSG:3405",
            0.001,
            [21.6, 105.6, 21.8, 105.8],
            ["written latitude first", "EPSG:3405 is in metres", "[105.6, 21.6, 105.8, 21.8]"],
        ),
        (
            "EPSG:28992",
            0.01,
            [3.3, 50.7, 7.3, 53.6],
            ["look like longitudes and latitudes in degrees", "EPSG:28992 is in metres"],
        ),
    ],
    ids=["utm19-bonaire-lat-first", "rd-lat-first", "vn2000-lat-first", "rd-whole-country"],
)
def test_degrees_for_a_crs_in_metres_are_said_as_degrees(
    sandbox: Sandbox,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    crs: str,
    resolution: float,
    bounds: list[float],
    needles: list[str],
) -> None:
    """SYNTHETIC job. Before: Bonaire in degrees written latitude first for UTM 19N was
    "extends 1.49 degrees past the UTM zone ... set 'cross_zone: true'" (a fix that kept
    the numbers), for VN-2000 "far from the area ... bounds given in another CRS?"; the
    Netherlands in degrees for RD New, in either order, reach a little past RD's stated
    area and planned a grid of centimetre cells in France (exit 0)."""
    monkeypatch.chdir(sandbox.root)
    sandbox.write_job(
        region={"name": "deg", "crs": crs, "resolution": resolution, "bounds": bounds}
    )
    result = cli("plan", sandbox.job_path, "-o", "out")
    line = assert_clean_error(result, 2, "'region'", "give them in", *needles)
    assert "cross_zone" not in line and "far from the area" not in line
    assert not sandbox.out.exists() and sandbox.untouched()


def test_degrees_under_one_cell_are_said_as_before(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job (control): longitudes and latitudes for UTM 19N with a resolution
    of 10 keep round 12's line."""
    sandbox.write_job(
        region={
            "name": "deg",
            "crs": "EPSG:32619",
            "resolution": 10.0,
            "bounds": [-68.45, 12.0, -68.15, 12.35],
        }
    )
    line = assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        "look like longitudes and latitudes",
        "under one cell of 10",
    )
    assert "latitude first" not in line


# -- bounds in kilometres, x and y swapped ------------------------------------------------------


@pytest.mark.parametrize(
    ("crs", "bounds", "meant"),
    [
        ("EPSG:28992", [306, 13, 619, 278], "[13000, 306000, 278000, 619000]"),
        ("EPSG:32619", [1330, 550, 1370, 590], "[550000, 1330000, 590000, 1370000]"),
        ("EPSG:3405", [2470, 380, 2510, 420], "[380000, 2470000, 420000, 2510000]"),
    ],
    ids=["rd-netherlands", "utm19-bonaire", "vn2000-thai-nguyen"],
)
def test_kilometres_written_with_x_and_y_swapped_are_refused_with_the_metres_meant(
    sandbox: Sandbox, cli: Any, crs: str, bounds: list[int], meant: str
) -> None:
    """SYNTHETIC job. Before: RD New's ``[306, 13, 619, 278]`` planned a region of a few
    hundred metres in France (exit 0, "none of its files overlap"); in UTM 19N it was
    "extends 1.48 degrees past the UTM zone ... set 'cross_zone: true'", in VN-2000 "far
    from the area": each fix kept the numbers."""
    sandbox.write_job(region={"name": "km", "crs": crs, "resolution": 100.0, "bounds": bounds})
    line = assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        "'region'",
        "look written in kilometres and with x and y swapped",
        f"{crs} is in metres",
        meant,
        "write them so",
    )
    assert "cross_zone" not in line
    assert sandbox.untouched()


def test_kilometres_in_order_keep_round_50s_line(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job (control): kilometres in their order are said as round 50 said them,
    with no word of a swap; the sandbox's own region in metres plans."""
    sandbox.write_job(
        region={
            "name": "km",
            "crs": "EPSG:28992",
            "resolution": 100.0,
            "bounds": [13, 306, 278, 619],
        }
    )
    line = assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        "look written in kilometres",
        "[13000, 306000, 278000, 619000]",
    )
    assert "swapped" not in line
    sandbox.write_job(region=dict(TINY_REGION))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


# -- prospect regions NAME, prospect jobs NAME --------------------------------------------------


def test_regions_with_a_name_shows_that_region(cli: Any) -> None:
    """Before: "Got unexpected extra argument (bonaire)", exit 2. Now that region alone,
    with its bounds and file."""
    result = cli("regions", "bonaire")
    assert result.code == 0, result.err[-3000:]
    text = " ".join(result.out.split())
    assert "bonaire" in text and "EPSG:32619" in text
    assert "[559000, 1324000, 590000, 1364000]" in text and "bonaire.yaml" in text
    assert "aruba" not in text and "curacao" not in text


def test_regions_with_a_region_file_shows_its_grid(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC region file: its grid is shown, as a shipped one's is."""
    path = sandbox.root / "area.yaml"
    path.write_text(yaml.safe_dump(dict(TINY_REGION), sort_keys=False))
    sandbox.write_job()  # the files as they are now, area.yaml with them
    result = cli("regions", path)
    assert result.code == 0, result.err[-3000:]
    text = " ".join(result.out.split())
    assert "tiny" in text and "40 x 40" in text and "[500000, 1350000, 500400, 1350400]" in text
    assert sandbox.untouched()


def test_regions_with_a_misspelt_name_names_the_one_meant(cli: Any) -> None:
    """Before: click's "unexpected extra argument (bonair)"."""
    line = assert_clean_error(
        cli("regions", "bonair"),
        2,
        "prospect regions bonair",
        "did you mean 'bonaire'?",
        "shipped regions:",
    )
    assert "unexpected extra argument" not in line


def test_regions_alone_still_lists_every_region(cli: Any) -> None:
    """Control: the listing is as before."""
    result = cli("regions")
    assert result.code == 0, result.err[-3000:]
    for name in ("aruba", "bonaire", "netherlands", "thai-nguyen"):
        assert name in result.out
    assert "bounds [" not in result.out


def test_jobs_with_a_name_shows_that_job(cli: Any) -> None:
    """Before: "Got unexpected extra argument (meuse-zinc)", exit 2."""
    result = cli("jobs", "meuse-zinc")
    assert result.code == 0, result.err[-3000:]
    assert "meuse-zinc" in result.out and "zinc" in result.out
    assert "bonaire-s2-dry-median" not in result.out
    assert "greatbasin-lithium-brine" not in result.out


def test_jobs_with_a_job_config_names_every_missing_file(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC job of three sources, two files not there: each is named (the listing
    names the first and a count). A wide terminal: Rich's table folds a long path."""
    monkeypatch.setenv("COLUMNS", "400")
    sandbox.write_job(
        sources=[
            {"kind": "raster", "name": "heat", "path": "heat.tif"},
            {"kind": "raster", "name": "cold", "path": "cold.tif"},
            {"kind": "raster", "name": "warm", "path": "warm.tif"},
        ]
    )
    result = cli("jobs", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    text = " ".join(result.out.split())
    assert "tiny" in text and "cold.tif" in text and "warm.tif" in text
    assert sandbox.untouched()


def test_jobs_with_a_misspelt_name_names_the_one_meant(cli: Any) -> None:
    """Before: click's "unexpected extra argument (Meuse_Zinc)"."""
    assert_clean_error(
        cli("jobs", "Meuse_Zinc"),
        2,
        "prospect jobs Meuse_Zinc",
        "did you mean 'meuse-zinc'?",
        "shipped jobs:",
    )


# -- a source file not there, a new -o ----------------------------------------------------------


def _two_sources(box: Sandbox, **changes: Any) -> None:
    box.write_job(
        sources=[
            {"kind": "raster", "name": "heat", "path": "heat.tif"},
            {"kind": "raster", "name": "cold", "path": "cold.tif"},
        ],
        **changes,
    )


@pytest.mark.parametrize("command", ["run", "ingest"])
def test_a_source_file_not_there_leaves_no_new_output_folder(
    sandbox: Sandbox, cli: Any, command: str
) -> None:
    """SYNTHETIC job. Before: the ingest plan's refusal came after ``-o`` (and the folders
    above it) had been made and held ``manifest.json`` (ingest ``failed``) and
    ``.prospect.lock``, a folder that looked like a run's."""
    _two_sources(sandbox)
    out = sandbox.root / "runs" / "new" / "out"
    assert_clean_error(
        cli(command, sandbox.job_path, "-o", out), 1, "cold.tif", "raster file not found"
    )
    assert not (sandbox.root / "runs").exists()
    assert sandbox.untouched()


@pytest.mark.parametrize("kind", ["mask-outline", "fifo", "link-loop"])
def test_a_file_that_cannot_be_opened_leaves_no_new_output_folder(
    sandbox: Sandbox, cli: Any, kind: str
) -> None:
    """SYNTHETIC job: a mask outline not there, a FIFO and a symbolic link loop for a
    source file. Before: the same manifest and lock in the new ``-o``."""
    if kind == "mask-outline":
        sandbox.write_job(mask={"path": "coast.geojson"})
        needles = ["coast.geojson", "outline file not found"]
    elif kind == "fifo":
        os.mkfifo(sandbox.root / "cold.tif")
        _two_sources(sandbox)
        needles = ["cold.tif", "not a regular file"]
    else:
        (sandbox.root / "cold.tif").symlink_to(sandbox.root / "cold.tif")
        _two_sources(sandbox)
        needles = ["cold.tif", "symbolic link loop"]
    assert_clean_error(cli("run", sandbox.job_path, "-o", sandbox.out), 1, *needles)
    assert not sandbox.out.exists()
    assert sandbox.untouched()


def test_an_output_folder_made_beforehand_is_left_empty(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job. Before: an empty ``-o`` the user had made was left holding the
    manifest and the lock file of a run that never started."""
    _two_sources(sandbox)
    made = sandbox.root / "made"
    made.mkdir()
    assert_clean_error(
        cli("ingest", sandbox.job_path, "-o", made), 1, "cold.tif", "raster file not found"
    )
    assert made.is_dir() and os.listdir(made) == []


def test_a_folder_given_as_a_file_is_still_recorded(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job (control): a folder named as a source file is the readers' to judge
    (a FileGDB is a folder) and its refusal is recorded in the manifest as before."""
    (sandbox.root / "cold.tif").mkdir()
    _two_sources(sandbox)
    assert_clean_error(
        cli("run", sandbox.job_path, "-o", sandbox.out), 1, "cold.tif", "a folder, not a"
    )
    stage = json.loads((sandbox.out / "manifest.json").read_text())["stages"]["ingest"]
    assert stage["status"] == "failed"


# -- bounds written as a mapping of their sides ------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "names"),
    [
        (
            {"xmin": 500000, "xmax": 500400, "ymin": 1350000, "ymax": 1350400},
            "(its xmin, ymin, xmax, ymax)",
        ),
        (
            {"West": 500000, "North": 1350400, "East": 500400, "South": 1350000},
            "(its West, South, East, North)",
        ),
    ],
    ids=["extent-order", "compass"],
)
def test_bounds_written_as_named_sides_are_given_back_in_order(
    sandbox: Sandbox, cli: Any, bounds: dict[str, int], names: str
) -> None:
    """SYNTHETIC job. Before: "is a mapping of keys, but it takes a list: start each item
    with '- ' (one per line), or write [a, b] on one line": the values copied in the order
    written (``xmin, xmax, ymin, ymax``) made an extent, not the bounds."""
    sandbox.write_job(region={**TINY_REGION, "bounds": bounds})
    line = assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        "'region.bounds'",
        "write [left, bottom, right, top]",
        "[500000, 1350000, 500400, 1350400]",
        names,
    )
    assert "'- '" not in line


def test_a_mapping_of_other_names_keeps_its_line(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job (control): a mapping whose keys name no side of a box keeps the
    general line."""
    sandbox.write_job(region={**TINY_REGION, "chunks": {"rows": 20, "cols": 20}})
    assert_clean_error(
        cli("plan", sandbox.job_path),
        2,
        "'region.chunks'",
        "is a mapping of keys, but it takes a list",
        "start each item with '- '",
    )
