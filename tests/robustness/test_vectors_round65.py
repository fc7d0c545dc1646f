"""A unit named by hundreds of thousands of characters quoted whole in the planning's
warnings, and a hole inside a unit map whose overlapping units' areas add up to the
region's left without a word (round 65).

Round 64 left both: a unit name of 300 000 characters (a description typed into the unit
column, a joined table's memo field) drawn over another made a 600 000-character overlap
warning on the terminal and in the manifest; and the hole check skipped every map whose
units' areas in the region add up to the region's area, which overlapping units reach
while a hole is left. Found by probing round 64's left items (2026-12-08). Found by
probing further: a map that meets the region only in a sliver holding no cell centre
(every cell no data, exit 0, said as a unit too narrow for the resolution), and a Date
field named as the unit column (each date a unit). Probed and found sound (controls): a
yes/no column as the unit column, a map that takes one column of cells. SYNTHETIC maps
over the tiny region in UTM 19N.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from .conftest import plan_vector_cells
from .test_vectors_round63 import HOST, INCLUSION, TINY, X0, X1, Y0, Y1, _cells_in, _said
from .test_vectors_round64 import EAST, HOLE, HOLE_FIX, HOLE_SAID, HOLED_WEST, WEST

LONG = "Granite of the northern complex, " + "x" * 299_950 + " (north, coarse)"
"""A SYNTHETIC unit name of 299 999 characters."""
LONG_SAID = "'Granite of the northern complex, xxxxxxxxxxxxxxx...rth, coarse)' (299999 " \
    "characters)"
"""How a message quotes :data:`LONG`: its first 48 and last 12 characters, its length."""


def _map(path: Path, names: list[str], geoms: list[shapely.Geometry]) -> Path:
    gpd.GeoDataFrame({"unit": names}, geometry=geoms, crs="EPSG:32619").to_file(
        path, layer="geology")
    return path


# --- a unit name of 300 000 characters in the warnings ----------------------------------------


def test_a_very_long_unit_name_in_an_overlap_warning_is_shortened(tmp_path: Path) -> None:
    """The inclusion, named by 299 999 characters, drawn over its host: before, the
    overlap warning quoted the name twice, 600 000 characters on the terminal and in the
    manifest. Now its start, ``...``, its end and its length; the cells and the code
    table keep the whole name. SYNTHETIC map."""
    path = _map(tmp_path / "units.gpkg", ["A", LONG], [HOST, INCLUSION])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    layer, codes = out["geology"]
    assert layer.codes == ("A", LONG)
    np.testing.assert_array_equal(codes, np.where(_cells_in(INCLUSION), 1, 0))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and len(said[0]) < 1000, [len(w) for w in warned]
    assert f"(e.g. 'A' and {LONG_SAID}, over 100 cells: {LONG_SAID}, later in the file, " \
        "takes them)" in said[0], said[0]


def test_very_long_twin_unit_names_are_shortened(tmp_path: Path) -> None:
    """Two units whose 299 999-character names differ only in a trailing space: before,
    the twin-units warning quoted both whole (600 000 characters). Now each shortened,
    as ``ascii`` shows it (the trailing space is in the end kept). SYNTHETIC map."""
    path = _map(tmp_path / "units.gpkg", [LONG, LONG + " "], [WEST, EAST])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert out["geology"][0].codes == (LONG, LONG + " ")
    said = _said(warned, "differ only in letter case")
    assert len(said) == 1 and len(said[0]) < 1000, [len(w) for w in warned]
    assert f"({LONG_SAID} and 'Granite of the northern complex, xxxxxxxxxxxxxxx..." \
        "th, coarse) ' (300000 characters)); each is a unit of its own code" in said[0], \
        said[0]


def test_a_very_long_name_of_the_only_unit_is_shortened(tmp_path: Path) -> None:
    """One unit over the whole region with ``distance_to_contacts``: the no-contact
    warning named it whole; now shortened. SYNTHETIC map."""
    path = _map(tmp_path / "units.gpkg", [LONG], [HOST])
    _, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    said = _said(warned, "so it has no contact")
    assert len(said) == 1 and f"holds one unit ({LONG_SAID}) in 'unit', so it has no " \
        "contact" in said[0] and len(said[0]) < 1000, [len(w) for w in warned]


def test_control_a_unit_name_of_160_characters_is_quoted_whole(tmp_path: Path) -> None:
    """Control: a name of 160 characters (a long but real unit name) is quoted whole in
    the overlap warning, as before. SYNTHETIC map."""
    name = "Lower Carboniferous limestone " + "y" * 130
    path = _map(tmp_path / "units.gpkg", ["A", name], [HOST, INCLUSION])
    _, warned = plan_vector_cells(path, TINY, attribute="unit")
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and f"(e.g. 'A' and {name!r}, over 100 cells: {name!r}, later " \
        "in the file, takes them)" in said[0], said


# --- a hole in a map whose overlaps make up the region's area ---------------------------------

PATCH = shapely.box(X0 + 250, Y0 + 100, X0 + 300, Y0 + 300)
"""A SYNTHETIC unit drawn over the east unit: 100 cells, the hole's area."""


def test_a_hole_in_a_map_whose_overlaps_add_up_to_the_region_is_said(tmp_path: Path
                                                                      ) -> None:
    """The west unit with its 100-cell hole, the east unit, and a patch of 100 cells
    drawn over the east unit: the units' areas in the region add up to the region's, so
    before the hole was not looked for (no word, its cells no data). Now the hole is
    said as in a map without overlaps; the cells are as before. SYNTHETIC map."""
    path = _map(tmp_path / "units.gpkg", ["A", "B", "C"], [HOLED_WEST, EAST, PATCH])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(
        _cells_in(HOLE), -1, np.where(_cells_in(PATCH), 2, np.where(_cells_in(EAST), 1, 0))))
    assert _said(warned, "hole(s)") == [
        f"{path}: " + HOLE_SAID.format(share="6%", cells=100, x=500125, y=1350200) + "; "
        + HOLE_FIX], warned


def test_a_hole_under_two_sheets_joined_with_an_overlap_is_said(tmp_path: Path) -> None:
    """Two map sheets of one unit each joined with a 10 m overlap (the west sheet with a
    hole of 5 x 5 cells, a lake left unmapped): the overlap's area makes up the hole's,
    so before no word. Now the hole is said. SYNTHETIC map."""
    lake = shapely.box(X0 + 100, Y0 + 100, X0 + 150, Y0 + 150)
    west = shapely.Polygon(shapely.box(X0 - 50, Y0 - 50, X0 + 210, Y1 + 50).exterior.coords,
                           [lake.exterior.coords])
    east = shapely.box(X0 + 200, Y0 - 50, X1 + 50, Y1 + 50)
    path = _map(tmp_path / "units.gpkg", ["A", "B"], [west, east])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert int((out["geology"][1] == -1).sum()) == 25
    assert _said(warned, "hole(s)") == [
        f"{path}: " + HOLE_SAID.format(share="2%", cells=25, x=500125, y=1350125) + "; "
        + HOLE_FIX], warned


def test_control_overlapping_units_that_fill_the_region_have_no_hole(tmp_path: Path
                                                                     ) -> None:
    """Control: an inclusion drawn over a host that covers the region (the areas add up
    past the region's, the union fills it): no hole is said, the overlap as before.
    SYNTHETIC map."""
    path = _map(tmp_path / "units.gpkg", ["A", "B"], [HOST, INCLUSION])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(INCLUSION), 1, 0))
    assert _said(warned, "hole") == [] and len(_said(warned, "overlap over half")) == 1


def test_control_a_holed_map_without_overlaps_is_said_as_before(tmp_path: Path) -> None:
    """Control: round 64's hole in a map without overlaps, said as before. SYNTHETIC
    map."""
    path = _map(tmp_path / "units.gpkg", ["A", "B"], [HOLED_WEST, EAST])
    _, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert warned == [f"{path}: " + HOLE_SAID.format(share="6%", cells=100, x=500125,
                                                     y=1350200) + "; " + HOLE_FIX], warned


# --- a map that meets the region in a sliver; a date column named for the units --------------


def _refused(path: Path, **source: object) -> str:
    from prospect.errors import DataError

    with pytest.raises(DataError) as caught:
        plan_vector_cells(path, TINY, **source)
    return str(caught.value)


def test_a_map_that_meets_the_region_in_a_sliver_is_refused(tmp_path: Path) -> None:
    """A map whose only unit ends 2 m inside the region's west edge (the region's bounds
    a little off the map's): no cell centre lies in it, so every cell of 'geology' was
    no data (exit 0), said only as a unit that takes no cell, "give the region a finer
    resolution". Now refused as a map that lies nowhere in the region is, naming the
    sliver, the map's extent there and the region's. SYNTHETIC map."""
    path = _map(tmp_path / "units.gpkg", ["A"],
                [shapely.box(X0 - 1000, Y0 - 1000, X0 + 2, Y1 + 1000)])
    said = _refused(path, attribute="unit")
    assert said == (
        f"{path}: no cell of the region 'tiny' takes a unit of layer (first): its features "
        "meet the region only in slivers that hold no cell centre (1 unit(s) of 'unit', "
        "800 m2 in all; e.g. 'A' (800 m2)), so every cell of 'geology' would be no data; "
        "check the file, its CRS or the region bounds (the map's features there lie within "
        "(499000, 1349000, 500002, 1351400) in the region's CRS, the region within "
        "(500000, 1350000, 500400, 1350400)), or give the region a finer resolution than "
        "10 m if the units are narrower than a cell"), said


def test_a_date_column_named_as_the_unit_column_is_refused(tmp_path: Path) -> None:
    """``attribute: mapped`` naming a Date field (when each polygon was mapped): each date
    was made a unit, ``'2020-01-01 00:00:00'``, exit 0, without a word. Now refused,
    naming the column, an example and the other columns. SYNTHETIC map."""
    import pandas as pd

    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame({"unit": ["A", "B"],
                      "mapped": pd.to_datetime(["2020-01-01", "2021-06-30"])},
                     geometry=[WEST, EAST], crs="EPSG:32619").to_file(path)
    said = _refused(path, attribute="mapped")
    assert said == (
        f"{path}: column 'mapped' of layer (first) holds dates (2 of 2 feature(s) in the "
        "region, e.g. '2020-01-01 00:00:00'), not unit names; name the column that holds "
        "the unit names ('attribute'; the layer's other columns are ['unit'])"), said


def test_control_a_yes_no_column_and_a_one_column_strip_are_read(tmp_path: Path) -> None:
    """Control: a yes/no column as the unit column (a mask of two units, 'False' and
    'True'), and a map that takes the region's first column of cells (its centres): read
    as before, no warning (the strip: since round 65b, the share of the region off it
    said). SYNTHETIC maps."""
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame({"unit": [True, False]}, geometry=[WEST, EAST], crs="EPSG:32619"
                     ).to_file(path)
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert out["geology"][0].codes == ("False", "True") and warned == []
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(EAST), 0, 1))
    strip = shapely.box(X0 - 1000, Y0 - 1000, X0 + 10, Y1 + 1000)
    path = _map(tmp_path / "strip.gpkg", ["A"], [strip])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(strip), 0, -1))
    assert len(warned) == 1 and "98% of the region 'tiny' (1560 of 1600 cells) lies off " \
        "the map" in warned[0], warned
