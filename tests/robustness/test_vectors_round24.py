"""Ratios read as grades, units written in the cells, and the CRS offered for metres, as
survey scientists bring them.

Found by feeding the point reader (``prospect.io.points``), the labels reader, the
commodity names (``prospect.config.commodities``), ingest's surface units and the outline
reader what round 23 left (2026-12-04): a ratio column (``Mg_Li_ratio``, ``Li/Mg``) was
read as a grade of its first element, so a lithium model labelled by the Mg/Li ratio of
brines (low where lithium is worth extracting) was warned of as a magnesium one, or not
at all; a column whose every cell is written with one unit (``1.2 ppm``, ``350 mg/l``) was
refused as "numbers with a unit", where a mature tool reads it; cells of percentages under
a header saying ppm were recorded in ppm, and said as "the table's row of units"; metres
in an outline without a CRS were told to be written in UTM zone 19N (``EPSG:32619``), off
Venezuela, wherever they lay. Every file is small and SYNTHETIC but for the headers of the
real Great Basin geothermal waters table.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.io.points import read_points
from prospect.models.labels import read_occurrences

from .test_vectors_round22 import _caught

RD = RegionGrid(crs="EPSG:28992", resolution=100.0,
                bounds=(120_000.0, 440_000.0, 180_000.0, 500_000.0))
"""A Dutch region of 100 m cells (the lon/lat places below lie in it)."""

PLACES = [(5.1 + i / 100, 52.1 + i / 100) for i in range(6)]
"""Six SYNTHETIC places in RD's region."""




def _table(path: Path, header: str, cells: list[str]) -> Path:
    """A SYNTHETIC CSV of ``lon,lat,<header>`` with one cell a place (quoted)."""
    rows = [f'{x},{y},"{c}"' for (x, y), c in zip(PLACES, cells, strict=False)]
    path.write_text(f"lon,lat,{header}\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# --- ratios are no grades ------------------------------------------------------------------

@pytest.mark.parametrize(("column", "pair"), [
    ("Mg_Li_ratio", ("Mg", "Li")), ("Li/Mg", ("Li", "Mg")), ("Mg:Li", ("Mg", "Li")),
    ("Li_to_Mg", ("Li", "Mg")), ("K_Na", ("K", "Na")), ("lithium/magnesium", ("Li", "Mg")),
])
def test_a_ratio_column_is_a_grade_of_no_commodity(column: str, pair: tuple[str, str]) -> None:
    """Before: ``Mg_Li_ratio`` was a magnesium grade, ``Li/Mg`` a lithium one, so a lithium
    model labelled by a ratio was warned of as a magnesium model ("set model.mineral to
    'magnesium'"), or said nothing."""
    from prospect.config.commodities import column_commodity, column_ratio, grade_of_another

    assert column_ratio(column) == pair
    assert column_commodity(column) is None
    assert grade_of_another("lithium", column) is None


@pytest.mark.parametrize(("column", "commodity"), [
    ("Li_ppm", "lithium"), ("Li (mg/L)", "lithium"), ("LI_MG_L", "lithium"),
    ("Li2O_pct", "lithium"), ("Li_mg_per_l", "lithium"), ("Na_K_geothermometer_C", None),
    ("Cu_S", "copper"),
])
def test_grade_columns_stay_grades(column: str, commodity: str | None) -> None:
    """Control: grades with units (``mg/L``, ``mg_per_l``) and a geothermometer named by
    its ratio's elements keep their commodity (or none)."""
    from prospect.config.commodities import column_commodity

    assert column_commodity(column) == commodity


@pytest.mark.realdata
def test_real_great_basin_headers_keep_their_commodities(shared_data: Path) -> None:
    """Control on the real Great Basin geothermal waters table: its grade headers
    (``LI_PPM``, ``MG_PPM``, ``B_PPM``...) are grades of their element, none a ratio."""
    from prospect.config.commodities import column_commodity

    path = shared_data / "geothermal_waters_li_great_basin_us" / "gb_duplicatedRows.txt"
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    named = {c: column_commodity(c) for c in header}
    assert named["LI_PPM"] == "lithium" and named["MG_PPM"] == "magnesium"
    assert named["B_PPM"] == "boron" and named["TEMP_C"] is None
    assert named["GEOTHERMOMETER_QUARTZ_C"] is None


def test_labels_graded_by_a_ratio_are_warned_of(tmp_path: Path) -> None:
    """Before: ``value_column: Mg_Li_ratio`` labelled the cells where the ratio reached
    ``min_value`` (a poor brine) as lithium occurrences, without a word."""
    path = _table(tmp_path / "brines.csv", "Mg_Li_ratio", ["3", "40", "5", "60", "2", "8"])
    occ, said, error = _caught(lambda: read_occurrences(path, RD, value_column="Mg_Li_ratio",
                                                        mineral="lithium"))
    assert error is None and occ.x.size == 6, error
    found = [s for s in said if "is a ratio" in s]
    assert found and "(of Mg to Li)" in found[0] and "not a grade of lithium" in found[0], said


# --- units written in the cells -----------------------------------------------------------

@pytest.mark.parametrize(("cells", "unit", "values"), [
    (["1.2 ppm", "3 ppm", "0.8ppm", "2 PPM"], "ppm", [1.2, 3, 0.8, 2]),
    (["350 mg/l", "12 mg/L", "1.5 mg/l"], "mg/l", [350, 12, 1.5]),
    (["1.2 µg/L", "3.4 ug/l", "5 μg/l"], "µg/L", [1.2, 3.4, 5]),
    (["1.2 wt%", "3.4 wt%", "5 wt%"], "wt%", [1.2, 3.4, 5]),
], ids=["ppm", "mg-l", "micro", "wt-pct"])
def test_a_column_of_numbers_in_one_unit_is_read(tmp_path: Path, cells: list[str],
                                                 unit: str, values: list[float]) -> None:
    """Before: refused, "these are numbers with a unit: write numbers only" (a lab's export
    writing its unit in every cell). Now read, the unit recorded as the column's."""
    path = _table(tmp_path / "lab.csv", "li", cells)
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:4326"))
    assert error is None, error
    np.testing.assert_allclose(table.values["li"], values)
    assert table.units == {"li": unit}
    assert table.units_where["li"] == f"in its cells ({cells[0]!r})"
    assert not said, said


def test_detection_limits_among_numbers_with_a_unit_stay_missing(tmp_path: Path) -> None:
    """Before: the whole column refused as numbers with a unit. Now its numbers are read
    and its detection limit (``<0.5 ppm``) is missing, said as one."""
    path = _table(tmp_path / "lab.csv", "li", ["1.2 ppm", "<0.5 ppm", "3 ppm", ""])
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:4326"))
    assert error is None, error
    np.testing.assert_allclose(table.values["li"], [1.2, np.nan, 3, np.nan])
    assert any("1 are detection limits ('<0.5 ppm')" in s for s in said), said


def test_a_column_of_numbers_in_several_units_is_converted(tmp_path: Path) -> None:
    """Before: "numbers with a unit: write numbers only"; round 24 refused it naming the
    units of another size with their lines. Round 42: every cell states its size, so
    ``350 ppb`` beside ``1.2 ppm`` is converted to ppm (0.35), said with its line; cells of
    two quantities (``mg/L`` beside ``ppm``) are still refused, naming both."""
    path = _table(tmp_path / "lab.csv", "li", ["1.2 ppm", "350 ppb", "4 ppm"])
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:4326"))
    assert error is None, error
    np.testing.assert_allclose(table.values["li"], [1.2, 0.35, 4])
    assert table.units == {"li": "ppm"}
    assert any("another size" in s and "(line 3;" in s for s in said), said
    path = _table(tmp_path / "lab2.csv", "li", ["1.2 ppm", "350 mg/L", "4 ppm"])
    _, _, error = _caught(lambda: read_points(path, columns=["li"], to_crs="EPSG:4326"))
    assert isinstance(error, DataError)
    text = " ".join(str(error).split())
    assert "different units ('ppm' (lines 2, 4); 'mg/L' (line 3))" in text, text


def test_one_cell_with_a_unit_among_plain_numbers_stays_missing(tmp_path: Path) -> None:
    """Control: ``150 mg/L`` among plain numbers is missing and counted, as before (is
    ``500`` beside it in mg/L?), and no unit is recorded."""
    path = _table(tmp_path / "lab.csv", "li", ["150 mg/L", "500", "5"])
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:4326"))
    assert error is None, error
    np.testing.assert_allclose(table.values["li"], [np.nan, 500, 5])
    assert table.units == {}
    assert any("e.g. '150 mg/L'" in s for s in said), said


def test_ranges_are_named_as_ranges_not_as_units(tmp_path: Path) -> None:
    """Before: a column of ranges (``2 to 3``) was "numbers with a unit"."""
    path = _table(tmp_path / "lab.csv", "li", ["2 to 3", "5 to 6", "1 to 2"])
    _, _, error = _caught(lambda: read_points(path, columns=["li"], to_crs="EPSG:4326"))
    assert isinstance(error, DataError)
    assert "ranges or approximations" in str(error) and "with a unit" not in str(error)


@pytest.mark.parametrize(("header", "cells", "recorded", "named"), [
    ("Li (ppm)", ["1.2%", "0.8%", "2%"], "%", "states ppm in its header but % in its cells "
     "('1.2%')"),
    ("Li_ppb", ["1.2 ppm", "3 ppm", "4 ppm"], "ppm", "states ppb in its header but ppm in "
     "its cells ('1.2 ppm')"),
])
def test_a_surface_records_the_unit_its_cells_are_written_in(
        tmp_path: Path, header: str, cells: list[str], recorded: str, named: str) -> None:
    """Before: percentages under ``Li (ppm)`` made a surface recorded in ppm (1.2 % as
    1.2 ppm), and a cell unit beside a header's was said as "the table's row of units".
    Now the cells' unit, the one the numbers are in, is recorded, the header warned of."""
    from prospect.config.sources import PointSource
    from prospect.ingest.surfaces import column_units

    path = _table(tmp_path / "lab.csv", header, cells)
    table, _, error = _caught(lambda: read_points(path, columns=[header],
                                                  to_crs="EPSG:4326"))
    assert error is None, error
    source = PointSource(name="wells", path=str(path), columns=[header], interpolate=["idw"])
    unit, said, _ = _caught(lambda: column_units(source, header, table.units.get(header),
                                                 table.units_where[header]))
    assert unit == recorded
    assert any(named in s and "row of units" not in s for s in said), said


def test_labels_warn_of_grades_in_another_unit_than_their_header(tmp_path: Path) -> None:
    """Before: ``Li_ppb`` cells written ``1.2 ppm`` were refused; percentages under
    ``Li_ppm`` were compared with a ppm ``min_value`` without a word. Now read in the
    cells' unit, and the header's other unit warned of."""
    path = _table(tmp_path / "grades.csv", "Li_ppm", ["1.2%", "0.8%", "2%", "1%", "3%", "1%"])
    occ, said, error = _caught(lambda: read_occurrences(path, RD, value_column="Li_ppm"))
    assert error is None, error
    np.testing.assert_allclose(occ.values, [1.2, 0.8, 2, 1, 3, 1])
    found = [s for s in said if "states ppm in its header but %" in s]
    assert found and "give the threshold in %" in found[0], said


# --- the CRS offered for metres in a file without one -------------------------------------

def _rd_geojson(path: Path) -> Path:
    """A SYNTHETIC GeoJSON outline in RD New metres, with no ``crs`` member (read as WGS
    84 by RFC 7946)."""
    ring = [[150000, 450000], [160000, 450000], [160000, 460000], [150000, 460000],
            [150000, 450000]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Utrecht"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def test_an_outline_in_metres_is_offered_the_grids_it_fits(tmp_path: Path) -> None:
    """Before: "write the file with the CRS they are in (e.g. ogr2ogr -a_srs EPSG:32619
    ...)", UTM 19N whatever the place. Now the national grids whose extent holds the
    metres are offered (RD New first), and the form of a UTM zone's code."""
    from prospect.outlines import read_outline

    path = _rd_geojson(tmp_path / "outline.geojson")
    _, _, error = _caught(lambda: read_outline(path))
    assert isinstance(error, DataError)
    text = " ".join(str(error).split())
    assert "32619" not in text, text
    assert "ogr2ogr -a_srs <CRS> outline.gpkg outline.geojson" in text, text
    assert "EPSG:28992 (Amersfoort / RD New)" in text and "EPSG:326NN" in text, text


def test_a_layer_in_metres_said_to_be_degrees_is_offered_the_grids_it_fits(
        tmp_path: Path) -> None:
    """Before: "give the CRS they are in with 'crs:' ... (e.g. crs: 'EPSG:32619')"."""
    from prospect.io.vector import not_lonlat_hint

    hint = " ".join(not_lonlat_hint(_rd_geojson(tmp_path / "geology.geojson")).split())
    assert "32619" not in hint and "EPSG:28992 (Amersfoort / RD New)" in hint, hint


# --- one sample ID at several places ------------------------------------------------------

def test_a_sample_id_given_at_two_places_is_warned_of(tmp_path: Path) -> None:
    """Before: sample ``S1`` at 5.1, 52.1 (li 10) and again at 5.4, 52.4 (li 300), a row's
    coordinates copied wrong, was read as two samples, without a word. SYNTHETIC."""
    path = tmp_path / "samples.csv"
    path.write_text("sample_id,lon,lat,li\nS1,5.1,52.1,10\nS1,5.4,52.4,300\nS2,5.2,52.2,5\n"
                    "S3,5.3,52.3,6\n")
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:4326"))
    assert error is None and len(table) == 4, error
    found = [s for s in said if "given at two or more places" in s]
    assert found and "'S1': line 2 at 5.1, 52.1; line 3 at 5.4, 52.4" in found[0], said


def test_one_wells_depths_at_its_place_say_nothing_of_ids(tmp_path: Path) -> None:
    """Control: a well listed once per depth at one place is not an ID at several places
    (ingest's surfaces say the values they average), nor is a column of site names
    shared by many samples at their own places. SYNTHETIC."""
    path = tmp_path / "wells.csv"
    path.write_text("well,lon,lat,depth,li\nW1,5.1,52.1,100,10\nW1,5.1,52.1,2000,300\n"
                    "W2,5.2,52.2,100,5\nW3,5.3,52.3,100,6\n")
    _, said, error = _caught(lambda: read_points(path, columns=["li"], to_crs="EPSG:4326"))
    assert error is None and not said, said
    shared = tmp_path / "sites.csv"
    shared.write_text("station,lon,lat,li\n" + "".join(
        f"{'AB'[i % 2]},{5.1 + i / 100},52.1,{i}\n" for i in range(6)))
    _, said, error = _caught(lambda: read_points(shared, columns=["li"], to_crs="EPSG:4326"))
    assert error is None and not [s for s in said if "places" in s], said
