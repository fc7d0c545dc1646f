"""Occurrences whose longitude lost its minus sign, operating hours given as a percentage
or as days, one site entered twice with its coordinates rounded otherwise, and brine
surfaces of Li₂O written with subscripts, in words or glued to their unit.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``),
the economic screening's config (``prospect.config.economics.EconomicsConfig``, through
``prospect plan``) and the surfaces' point reader (``prospect.ingest.surfaces.plan_points``)
what a survey scientist keeps (2026-12-05): a Nevada table whose last two sites were
written ``118.3`` for 118.3 W (a place in China) lost two positives from the labels
without a word; ``hours_per_year: 91`` (the uptime in percent) or ``350`` (the days a
year) screened every tonnage 88 or 24 times low; the Great Basin waters' site at
118.91624 W written again at 118.91625 W (0.87 m away) with another lithium grade was
averaged into the surface without a word; a surface kriged from ``Li₂O (mg/L)`` (as lab
sheets write the formula), ``lithium oxide`` or ``Li2Omg/L`` was screened as lithium,
every tonnage 2.15 times too high; a table of RD New in kilometres (``X (km)``) was
counted outside the region, the labels and surfaces saying "check the crs" alone. Every
file but the Great Basin cut is small
and SYNTHETIC.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from prospect.config.economics import EconomicsConfig
from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.ingest.surfaces import plan_points
from prospect.models.training import read_labels
from prospect.screening import plan_economics

from .conftest import assert_clean_error
from .test_labels_round31 import _surface_of_column
from .test_screen_indices_round10 import _brine_job
from .test_screening_round27 import _cube
from .test_vectors_round22 import _caught

# --- occurrences whose longitude or latitude lost its sign -----------------------------------

NEVADA_UTM = RegionGrid(
    name="nv", crs="EPSG:32611", resolution=1000.0,
    bounds=(300_000.0, 4_200_000.0, 500_000.0, 4_400_000.0),
)
"""A Nevada region in UTM 11N (119.3-117 W, 37.9-39.8 N), 1 km cells."""
NEVADA_DEGREES = RegionGrid(
    name="nvdeg", crs="EPSG:4326", resolution=0.01, bounds=(-119.0, 38.0, -117.0, 39.5)
)
"""A Nevada region in degrees."""
CHILE = RegionGrid(name="cl", crs="EPSG:4326", resolution=0.01,
                   bounds=(-69.5, -24.0, -67.5, -22.0))
"""A region of the Atacama in degrees (south of the equator)."""

LOST = "sign of their"
"""What the warning of rows that lost a sign says."""


def _sites(path: Path, places: list[tuple[float, float]], grid: RegionGrid) -> tuple[Any, list]:
    """The train stage's labels of a SYNTHETIC ``site, lon, lat, li`` table at ``places``
    (odd rows graded 30, even 5; threshold 20): (labels, warnings of a lost sign)."""
    lines = [f"S{i},{x:.5f},{y:.5f},{30 if i % 2 else 5}" for i, (x, y) in enumerate(places)]
    path.write_text("site,lon,lat,li\n" + "\n".join(lines) + "\n", "utf-8")
    source = PointSource(kind="points", name="occ", path=str(path), x="lon", y="lat",
                         crs="EPSG:4326")
    config = LabelsConfig(source="occ", value_column="li", threshold=20, negatives="both")
    out, said, error = _caught(lambda: read_labels(source, grid, config))
    assert error is None and out is not None, error
    return out[0], [s for s in said if LOST in s]


NEVADA = [(-118.5 + 0.15 * i, 38.2 + 0.12 * i) for i in range(10)]
"""Ten SYNTHETIC sites in Nevada (all inside both Nevada regions)."""


@pytest.mark.parametrize("grid", [NEVADA_UTM, NEVADA_DEGREES], ids=["utm", "degrees"])
def test_rows_whose_longitude_lost_its_sign_are_said(tmp_path: Path, grid: RegionGrid) -> None:
    """Ten Nevada sites, the last two written without the minus of their west longitude
    (118.35 for -118.35: a place in China). Before: counted outside the region and left
    out of the labels without a word (two positives lost), as the swapped rows of round 33
    were. Now said, naming their lines and the sign (``points.turned_into_region``); they
    stay out."""
    places = NEVADA[:8] + [(-x, y) for x, y in NEVADA[8:]]
    labels, said = _sites(tmp_path / "occ.csv", places, grid)
    assert labels.counts["outside_grid"] == 2
    assert len(said) == 1 and "lines 10, 11" in said[0] and "longitude" in said[0], said
    assert "minus sign" in said[0] and "left out of the labels" in said[0], said


def test_rows_whose_latitude_lost_its_sign_are_said(tmp_path: Path) -> None:
    """Ten Atacama sites, the third written 23.1 for 23.1 S (a place in the Sahara).
    Before: left out without a word. Now said as a latitude's sign."""
    places = [(-69.3 + 0.15 * i, -23.9 + 0.15 * i) for i in range(10)]
    places[2] = (places[2][0], -places[2][1])
    labels, said = _sites(tmp_path / "occ.csv", places, CHILE)
    assert labels.counts["outside_grid"] == 1
    assert len(said) == 1 and "line 4" in said[0] and "latitude" in said[0], said


def test_a_table_whose_longitudes_all_lost_their_sign_is_said(tmp_path: Path) -> None:
    """All ten Nevada sites written without their minus signs, for a region in degrees.
    Before: every record counted outside without a word, and training's refusal said
    "check the coordinate columns and the crs" alone (the point reader's check of lost
    signs weighs the area of the region's CRS, which for degrees is the world's: only a
    UTM region was told). Now a warning and the refusal's hint name the sign
    (``points._sign_meant``, through ``crs_meant``)."""
    labels, said = _sites(tmp_path / "occ.csv", [(-x, y) for x, y in NEVADA], NEVADA_DEGREES)
    assert labels.counts["outside_grid"] == 10
    assert len(said) == 1 and "10 of 10 would lie" in said[0] and "longitude" in said[0], said
    assert "x=118.5" in said[0], said


def test_a_surface_whose_longitudes_all_lost_their_sign_says_so(tmp_path: Path) -> None:
    """The same table as a surface's. Before: "none of its 10 points lies in the region;
    check the coordinate columns (lon, lat) and crs (EPSG:4326)" alone; now the sign is
    named, with the longitude as written (not as wrapped about the region)."""
    rows = [f"S{i},{-x:.5f},{y:.5f},{10 + i}" for i, (x, y) in enumerate(NEVADA)]
    path = tmp_path / "w.csv"
    path.write_text("site,lon,lat,li\n" + "\n".join(rows) + "\n", "utf-8")
    source = PointSource(kind="points", name="w", path=str(path), x="lon", y="lat",
                         crs="EPSG:4326", columns=["li"], interpolate=["idw"])
    _, _, error = _caught(lambda: plan_points(source, NEVADA_DEGREES))
    assert isinstance(error, DataError), error
    assert "sign of their longitude turned" in str(error) and "x=118.5," in str(error), error


def test_control_sites_elsewhere_are_no_lost_sign(tmp_path: Path) -> None:
    """Control: two sites in Utah (112 W, far east of the region, negative as written and
    nowhere in it with a sign turned): outside, nothing said of a sign."""
    places = [*NEVADA[:8], (-112.0, 39.0), (-111.5, 40.0)]
    labels, said = _sites(tmp_path / "occ.csv", places, NEVADA_UTM)
    assert labels.counts["outside_grid"] == 2 and said == [], said
    utah = [(-112.0 + 0.1 * i, 39.0 + 0.1 * i) for i in range(10)]
    labels, said = _sites(tmp_path / "utah.csv", utah, NEVADA_DEGREES)
    assert labels.counts["outside_grid"] == 10 and said == [], said


# --- operating hours given as a percentage or as days ----------------------------------------


@pytest.mark.parametrize(("hours", "needles"), [
    (91, ["economics.hours_per_year", "91 % is 7971.6 hours"]),
    (350, ["economics.hours_per_year", "350 days are 8400 hours"]),
], ids=["uptime-percent", "days-a-year"])
def test_hours_given_as_a_percentage_or_days_are_refused(
    tmp_path: Path, shared_data: Path, cli: Any, hours: int, needles: list[str],
) -> None:
    """``hours_per_year: 91`` (the uptime in percent) or ``350`` (days of operation a
    year). Before: planned and screened as hours, every tonnage 88 or 24 times low (only a
    share, 0.91, was refused). Now refused at load, saying the hours meant."""
    job = _brine_job(tmp_path, shared_data, hours_per_year=hours)
    result = cli("plan", job)
    assert_clean_error(result, 2, "job.yaml", *needles)


def test_control_a_doublets_hours_are_read() -> None:
    """Control: 4000 and 8000 hours a year (half and most of the year) are read as they
    are."""
    for hours in (4000.0, 8000.0):
        assert EconomicsConfig(concentration="li", hours_per_year=hours).hours_per_year == hours


# --- one site entered twice with its coordinates rounded otherwise ---------------------------

DEGREE_REGION = RegionGrid(
    name="deg", crs="EPSG:4326", resolution=0.01, bounds=(5.0, 51.9, 5.5, 52.3), chunks=(40, 50)
)
"""A Dutch region in degrees."""
SAME = "two or more records"
"""What the warning of one place holding several values says."""


def _conflicts(path: Path, rows: list[str], grid: RegionGrid = DEGREE_REGION,
               crs: str = "EPSG:4326", **source: Any) -> list[str]:
    """The warnings of places holding differing records, as ``plan_points`` plans the IDW
    surface of column ``li`` of a ``site, lon, lat, li`` table of ``rows``."""
    path.write_text("site,lon,lat,li\n" + "\n".join(rows) + "\n", "utf-8")
    src = PointSource(kind="points", name="w", path=str(path), x="lon", y="lat", crs=crs,
                      columns=["li"], interpolate=["idw"], **source)
    layers, said, error = _caught(lambda: plan_points(src, grid))
    assert error is None and layers, error
    return [s for s in said if SAME in s]


SYNTHETIC_WELLS = [f"W{i},{5.05 + 0.04 * i:.6f},{51.95 + 0.03 * i:.6f},{10 + 5 * i}"
                   for i in range(10)]
"""Ten SYNTHETIC wells in the Dutch region, 6 decimals of a degree."""


def test_a_site_written_again_with_fewer_decimals_is_said(tmp_path: Path) -> None:
    """W3 written again with 5 decimals (0.4 m away) and another grade. Before: two
    places, the surface averaging the grades without a word (only records at exactly one
    place were said). Now said as one place holding two values."""
    x, y = 5.05 + 0.04 * 3 + 0.000004, 51.95 + 0.03 * 3 - 0.000003
    said = _conflicts(tmp_path / "w.csv", [*SYNTHETIC_WELLS, f"W3b,{x:.6f},{y:.6f},80"])
    assert len(said) == 1 and "1 place(s)" in said[0] and "25, 80" in said[0], said
    assert "within 1 m" in said[0], said


def test_the_great_basin_site_written_twice_is_said(tmp_path: Path, shared_data: Path) -> None:
    """The Great Basin waters (real) around 118.9 W 37.6 N: the site at 118.91624 W
    37.64493 N (Li 1.1 mg/L) is written again at 118.91625 W 37.64493 N (3.1), 0.87 m away.
    Before: both kriged and averaged without a word. Now said naming the two grades."""
    src = shared_data / "geothermal_waters_li_great_basin_us" / "gb_duplicatedRows.txt"
    with src.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["LI_PPM"]
                and abs(float(r["LONGITUDE_NAD83"]) + 118.9) <= 0.5
                and abs(float(r["LATITUDE_NAD83"]) - 37.6) <= 0.5]
    lines = [f"{i},{r['LONGITUDE_NAD83']},{r['LATITUDE_NAD83']},{r['LI_PPM']}"
             for i, r in enumerate(rows)]
    grid = RegionGrid(name="gb", crs="EPSG:4269", resolution=0.02,
                      bounds=(-119.4, 37.1, -118.4, 38.1))
    said = _conflicts(tmp_path / "gb.csv", lines, grid, "EPSG:4269")
    assert len(said) == 1 and "1.1, 3.1" in said[0] and "within 1 m" in said[0], said


def test_control_two_wells_metres_apart_are_two_places(tmp_path: Path) -> None:
    """Control: a second well 5 m from W3 with another grade (a doublet's two heads):
    two places, nothing said."""
    x = 5.05 + 0.04 * 3 + 5 / 68_600  # 5 m east at 52 N
    said = _conflicts(tmp_path / "w.csv",
                      [*SYNTHETIC_WELLS, f"W3b,{x:.6f},{51.95 + 0.03 * 3:.6f},80"])
    assert said == [], said


def test_control_a_site_written_twice_at_one_place_is_said_as_before(tmp_path: Path) -> None:
    """Control: W3 written twice at exactly one place with two grades: said as before,
    without the word of rounding."""
    said = _conflicts(tmp_path / "w.csv", [*SYNTHETIC_WELLS, SYNTHETIC_WELLS[3]
                                           .replace("W3", "W3b").rsplit(",", 1)[0] + ",80"])
    assert len(said) == 1 and "within 1 m" not in said[0], said


# --- brine surfaces of a lithium compound written otherwise ----------------------------------


@pytest.mark.parametrize(("column", "compound"), [
    ("Li₂O (mg/L)", "Li2O"),
    ("Li₂CO₃_mg_l", "Li2CO3"),
    ("lithium oxide", "Li2O"),
    ("Lithium carbonate equivalent (mg/L)", "LCE"),
    ("Li2Omg/L", "Li2O"),
], ids=["subscript-li2o", "subscript-li2co3", "words", "words-lce", "glued-unit"])
def test_a_surface_of_a_compound_written_otherwise_is_refused(
    tmp_path: Path, column: str, compound: str
) -> None:
    """A brine surface kriged from a grade of a lithium compound whose name is written with
    subscript digits, in words or glued to its unit. Before: screened as lithium, every
    tonnage 2.15 (Li2O) or 5.3 (Li2CO3, LCE) times too high (only ``Li2O`` in ASCII as a
    word of its own was a compound); now refused naming the compound
    (``screening._compound``)."""
    cube, grid = _surface_of_column(tmp_path, column)
    _, _, error = _caught(lambda: plan_economics(EconomicsConfig(concentration="li"), cube, grid))
    assert isinstance(error, DataError), error
    assert f"grade of {compound}" in str(error) and "not of lithium" in str(error), error


def test_units_of_a_compound_with_subscripts_are_named_as_such(tmp_path: Path) -> None:
    """A surface in ``mg/L Li₂O``. Before: "not a lithium concentration; set the lithium
    column's units" (the unit was right: the element was not); now named as Li2O with
    lithium's share of it."""
    cube, grid = _cube(tmp_path / "c.zarr", 50.0, "mg/L Li₂O")
    _, _, error = _caught(lambda: plan_economics(EconomicsConfig(concentration="li"), cube, grid))
    assert isinstance(error, DataError) and "Li2O x 0.4646" in str(error), error


@pytest.mark.parametrize("column", ["Li (mg/L)", "lithium_mg_l", "Li_ppm_icp", "Lithium"])
def test_control_a_surface_of_lithium_in_words_screens(tmp_path: Path, column: str) -> None:
    """Control: surfaces kriged from ``Li (mg/L)``, ``lithium_mg_l``, ``Li_ppm_icp`` or
    ``Lithium`` plan as lithium, as before."""
    cube, grid = _surface_of_column(tmp_path, column)
    layers = plan_economics(EconomicsConfig(concentration="li"), cube, grid)
    assert layers and layers[0].scale == 1.0, layers


# --- wells in kilometres or centimetres of their CRS -----------------------------------------

RD = RegionGrid(name="rd", crs="EPSG:28992", resolution=100.0,
                bounds=(120_000.0, 440_000.0, 180_000.0, 500_000.0))
"""A Dutch region of 100 m cells."""


def _rd_wells(path: Path, factor: float) -> PointSource:
    """Eight SYNTHETIC RD New wells (odd ones graded 30, even 5) with their coordinates
    divided by ``factor`` (1000: kilometres), as a ``Well, X, Y, li`` table."""
    rows = [f"W{i},{(141_000 + 3000 * i) / factor:.10g},{(451_000 + 500 * i) / factor:.10g},"
            f"{30 if i % 2 else 5}" for i in range(8)]
    path.write_text("Well,X,Y,li\n" + "\n".join(rows) + "\n", "utf-8")
    return PointSource(kind="points", name="occ", path=str(path), x="X", y="Y",
                       crs="EPSG:28992", columns=["li"], interpolate=["idw"])


@pytest.mark.parametrize(("factor", "length"), [(1000.0, "kilometres"), (0.01, "centimetres")],
                         ids=["km", "cm"])
def test_labels_in_another_length_are_said(tmp_path: Path, factor: float, length: str) -> None:
    """RD New wells given in kilometres (141.0, 451.0) or centimetres. Before: every
    record counted outside the region without a word, training then saying "0 positive
    cell(s) ... check the coordinate columns and the crs" (the crs was right). Now a
    warning (and the refusal's hint) names the length and the factor
    (``points._scale_meant``, through ``crs_meant``)."""
    source = _rd_wells(tmp_path / "w.csv", factor)
    config = LabelsConfig(source="occ", value_column="li", threshold=20, negatives="both")
    out, said, error = _caught(lambda: read_labels(source, RD, config))
    assert error is None and out is not None, error
    assert out[0].counts["outside_grid"] == 8
    hits = [s for s in said if f"read as {length}" in s]
    assert len(hits) == 1 and f"times {factor:g}" in hits[0], said
    assert f"read as {length}" in out[1].crs_hint


def test_a_surface_of_wells_in_kilometres_says_so(tmp_path: Path) -> None:
    """The same wells in kilometres as a surface's table. Before: "none of its 8 points
    lies in the region; check the coordinate columns (X, Y) and crs (EPSG:28992)" alone;
    now the length and the factor are named."""
    source = _rd_wells(tmp_path / "w.csv", 1000.0)
    _, _, error = _caught(lambda: plan_points(source, RD))
    assert isinstance(error, DataError), error
    assert "read as kilometres" in str(error) and "times 1000" in str(error), error


def test_control_wells_in_metres_far_away_say_no_length(tmp_path: Path) -> None:
    """Control: the wells in metres but 300 km east of the region (in Germany): outside,
    no length named (no factor puts them in the region)."""
    rows = [f"W{i},{441_000 + 3000 * i},{451_000 + 500 * i},{30 if i % 2 else 5}"
            for i in range(8)]
    path = tmp_path / "w.csv"
    path.write_text("Well,X,Y,li\n" + "\n".join(rows) + "\n", "utf-8")
    source = PointSource(kind="points", name="occ", path=str(path), x="X", y="Y",
                         crs="EPSG:28992")
    config = LabelsConfig(source="occ", value_column="li", threshold=20, negatives="both")
    out, said, error = _caught(lambda: read_labels(source, RD, config))
    assert error is None and out is not None, error
    assert not [s for s in said if "read as" in s] and out[1].crs_hint == "", said
