"""A unit map of part of the region said off the map by a share that is not the share of
cells it leaves no data (round 66).

Round 65b left it: the share said was of the region's area more than a cell from every
unit (the contact distances' tolerance), not of the cells the layer leaves no data: a map
of the region's west half said 48 % where 800 of 1600 cells (50 %) of ``geology`` are -1,
a map of its first column of cells 95 % where 97.5 % are, the real British Columbia map
65 % where 69 % are off it. Now each layer's own count of no-data cells off the map is
said, with the cells (the codes' cells whose centre no unit holds; with
``distance_to_contacts``, the distances' cells more than a cell from every unit), counted
by rasterising the map's outline as the layers are; the cells are as before.

Probed and found sound (controls): a Shapefile written in Windows-1252 (``Gneiß``,
``Schiefer ë``) read with and without its ``.cpg``, a layer of polygons and a line (the
line said), units overlapping by 1 cm along their shared edge (not said). SYNTHETIC maps
over the tiny region in UTM 19N, and the real British Columbia bedrock map.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from .conftest import plan_vector_cells
from .test_vectors_round63 import TINY, X0, X1, Y0, Y1, _cells_in, _said
from .test_vectors_round64 import EAST, HOLE_FIX, HOLE_SAID, HOLED_WEST, WEST

OFF = ("lies off the map of layer (first), no unit holding their centres: 'geology' is no "
       "data there (no unit is known off the map)")
"""How the planning says the cells of the unit codes off a map."""

FIX = "; give a map that covers the region, or bounds within the map's ({bounds})"


def _map(path: Path, names: list[str], geoms: list[shapely.Geometry],
         crs: str = "EPSG:32619") -> Path:
    gpd.GeoDataFrame({"unit": names}, geometry=geoms, crs=crs).to_file(path, layer="geology")
    return path


def _no_data(cells: np.ndarray) -> int:
    return int(((cells == -1) | np.isnan(cells)).sum())


def test_a_map_of_the_west_half_says_half_the_cells(tmp_path: Path) -> None:
    """A map of the region's west half (its edge on a cell edge): 800 of 1600 cells of
    'geology' are -1, said as 48 % (the area more than a cell from the unit). Now 50 %,
    800 of 1600 cells, the layer's own count. SYNTHETIC map."""
    path = _map(tmp_path / "units.gpkg", ["A"], [WEST])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(WEST), 0, -1))
    assert _no_data(out["geology"][1]) == 800
    assert warned == [f"{path}: 50% of the region 'tiny' (800 of 1600 cells) " + OFF
                      + FIX.format(bounds="500000, 1350000, 500200, 1350400")], warned


def test_a_map_of_nine_tenths_of_the_region_says_a_tenth(tmp_path: Path) -> None:
    """Two units ending 40 m short of the region's east edge (round 65b's case): 160 of
    1600 cells (10 %) are -1, said as 8 %. Now 10 %, 160 cells. SYNTHETIC map."""
    west = shapely.box(X0 - 50, Y0 - 50, X0 + 200, Y1 + 50)
    east = shapely.box(X0 + 200, Y0 - 50, X1 - 40, Y1 + 50)
    path = _map(tmp_path / "units.gpkg", ["A", "B"], [west, east])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert _no_data(out["geology"][1]) == 160
    assert warned == [f"{path}: 10% of the region 'tiny' (160 of 1600 cells) " + OFF
                      + FIX.format(bounds="500000, 1350000, 500360, 1350400")], warned


def test_a_map_of_the_first_column_of_cells_says_its_share(tmp_path: Path) -> None:
    """A map of the region's first column of cells: 1560 of 1600 cells (97.5 %) -1, said
    as 95 %. Now 98 %, 1560 cells. SYNTHETIC map."""
    strip = shapely.box(X0 - 1000, Y0 - 1000, X0 + 10, Y1 + 1000)
    path = _map(tmp_path / "strip.gpkg", ["A"], [strip])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert _no_data(out["geology"][1]) == 1560
    assert warned == [f"{path}: 98% of the region 'tiny' (1560 of 1600 cells) " + OFF
                      + FIX.format(bounds="500000, 1350000, 500010, 1350400")], warned


def test_a_map_in_lon_lat_of_the_west_half_says_half_the_cells(tmp_path: Path) -> None:
    """The west-half map written in WGS 84 (a partner's GeoJSON), read onto the UTM grid:
    800 cells -1, said as 48 %. Now 50 %, 800 cells. SYNTHETIC map."""
    west = gpd.GeoSeries([WEST], crs="EPSG:32619").to_crs("EPSG:4326")
    path = _map(tmp_path / "units.gpkg", ["A"], list(west), crs="EPSG:4326")
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert _no_data(out["geology"][1]) == 800
    said = _said(warned, "off the map")
    assert len(said) == 1 and said[0].startswith(
        f"{path}: 50% of the region 'tiny' (800 of 1600 cells) " + OFF), warned


def test_a_bow_tie_map_says_the_cells_its_pieces_leave(tmp_path: Path) -> None:
    """A bow-tie over the region (its edges crossing at the centre, a digitising error):
    repaired into its two triangles (said), which take 800 cells; the other 800 were
    said as 43 % off the map. Now 50 %, 800 cells. SYNTHETIC map."""
    bow = shapely.Polygon([(X0 - 50, Y0 - 50), (X1 + 50, Y1 + 50), (X1 + 50, Y0 - 50),
                           (X0 - 50, Y1 + 50)])
    path = _map(tmp_path / "bow.gpkg", ["A"], [bow])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert _no_data(out["geology"][1]) == 800
    assert len(warned) == 2 and "repaired with shapely.make_valid" in warned[0], warned
    assert warned[1] == (f"{path}: 50% of the region 'tiny' (800 of 1600 cells) " + OFF
                         + FIX.format(bounds="500000, 1350000, 500400, 1350400")), warned


def test_with_contacts_each_layer_says_its_own_cells(tmp_path: Path) -> None:
    """The west-half map (two units) with ``distance_to_contacts``: 'geology' is -1 in 800
    cells and ``geology_dist_contact`` NaN in 760 (more than a cell from the units); one
    share, 48 %, was said of both. Now each layer's cells, in one warning. SYNTHETIC
    map."""
    path = _map(tmp_path / "units.gpkg", ["A", "B"], [
        shapely.box(X0 - 50, Y0 - 50, X0 + 100, Y1 + 50),
        shapely.box(X0 + 100, Y0 - 50, X0 + 200, Y1 + 50)])
    out, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    assert _no_data(out["geology"][1]) == 800
    assert _no_data(out["geology_dist_contact"][1]) == 760
    assert _said(warned, "off the map") == [
        f"{path}: 50% of the region 'tiny' (800 of 1600 cells) " + OFF
        + ", and geology_dist_contact in the 760 cells (48%) more than a cell (10 m) from "
        "every unit (a contact off the map is not known)"
        + FIX.format(bounds="500000, 1350000, 500200, 1350400")], warned


@pytest.mark.realdata
def test_the_real_bc_map_over_its_east_edge_says_its_cells(shared_data: Path) -> None:
    """The real British Columbia bedrock map (``BedrockP.shp``, ``rock_class``) over a
    region of 30 x 20 km at 1 km reaching 19 km past its east edge: 417 of 600 cells of
    'geology' are -1 (414 off the map, 3 in its holes, said as holes), said as 65 % off
    the map. Now 69 %, 414 of 600 cells. Real data (BC Geological Survey, via
    tyleracorn/prospectPredictor)."""
    from prospect.grid import RegionGrid

    grid = RegionGrid(crs="EPSG:26910", resolution=1000, name="bc-east",
                      bounds=(660000, 5560000, 690000, 5580000), chunks=(20, 30))
    path = shared_data / "bc_bedrock_geology" / "BedrockP.shp"
    out, warned = plan_vector_cells(path, grid, attribute="rock_class")
    assert _no_data(out["geology"][1]) == 417
    assert _said(warned, "off the map") == [
        f"{path}: 69% of the region 'bc-east' (414 of 600 cells) lies off the map of layer "
        "(first), no unit holding their centres: 'geology' is no data there (no unit is "
        "known off the map)" + FIX.format(bounds="660000, 5560000, 671078.5222, 5580000")
    ], warned


# --- controls ---------------------------------------------------------------------------------


def test_control_a_map_over_the_region_and_a_ragged_edge_say_nothing(tmp_path: Path
                                                                     ) -> None:
    """Control: two units over the region, and a map stopping 8 m short of its east edge
    (within a cell: its last column -1, as before): no warning, the cells as before.
    SYNTHETIC maps."""
    path = _map(tmp_path / "units.gpkg", ["A", "B"], [WEST, EAST])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(EAST), 1, 0))
    assert warned == []
    short = shapely.box(X0 - 50, Y0 - 50, X1 - 8, Y1 + 50)
    path = _map(tmp_path / "short.gpkg", ["A"], [short])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(short), 0, -1))
    assert warned == []


def test_control_a_hole_inside_a_map_over_the_region_is_said_as_before(tmp_path: Path
                                                                      ) -> None:
    """Control: round 64's holed west unit beside the east unit: the hole is said as
    before, nothing off the map. SYNTHETIC map."""
    path = _map(tmp_path / "units.gpkg", ["A", "B"], [HOLED_WEST, EAST])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert _no_data(out["geology"][1]) == 100
    assert warned == [f"{path}: " + HOLE_SAID.format(share="6%", cells=100, x=500125,
                                                     y=1350200) + "; " + HOLE_FIX], warned


def test_control_a_windows_1252_shapefile_reads_its_names(tmp_path: Path) -> None:
    """Control: a Shapefile written in Windows-1252 (``Gneiß``, ``Schiefer ë``) reads its
    unit names as written, with its ``.cpg`` (``CP1252``) and without it (the ``.dbf``'s
    language driver byte), no warning. SYNTHETIC map."""
    path = tmp_path / "units.shp"
    gpd.GeoDataFrame({"unit": ["Gneiß", "Schiefer ë"]}, geometry=[WEST, EAST],
                     crs="EPSG:32619").to_file(path, encoding="cp1252")
    assert path.with_suffix(".cpg").read_text() == "CP1252"
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert out["geology"][0].codes == ("Gneiß", "Schiefer ë") and warned == []
    path.with_suffix(".cpg").unlink()
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert out["geology"][0].codes == ("Gneiß", "Schiefer ë") and warned == []
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(EAST), 1, 0))


def test_control_a_line_among_the_units_and_a_sliver_overlap(tmp_path: Path) -> None:
    """Control: a LineString among the polygons is said and coded as the cells it
    crosses; units overlapping by 1 cm along their shared edge (digitising noise) say
    nothing, the cells as before. SYNTHETIC maps."""
    line = shapely.LineString([(X0, Y0 + 200), (X1, Y0 + 200)])
    path = _map(tmp_path / "mixed.gpkg", ["A", "B", "C"], [WEST, EAST, line])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert [int((out["geology"][1] == c).sum()) for c in (0, 1, 2)] == [780, 780, 40]
    assert warned == [f"{path}: 1 of 3 feature(s) in the region are not polygons "
                      "(LineString); they are rasterised as the cells they cross (a line's "
                      "cells are a contact where it crosses another unit)"], warned
    west = shapely.box(X0 - 50, Y0 - 50, X0 + 200.01, Y1 + 50)
    path = _map(tmp_path / "sliver.gpkg", ["A", "B"], [west, EAST])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(EAST), 1, 0))
    assert warned == []
