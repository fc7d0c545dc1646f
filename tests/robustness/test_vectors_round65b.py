"""A unit map that covers only part of the region, read into a layer of unit codes whose
uncovered share is no data without a word (round 65b).

Round 65 left it: the share of the region off the map was said only with
``distance_to_contacts`` (round 64's design), so a geology map of about 90 % of the
region, or of its first column of cells, left the rest of ``geology`` no data (-1), exit
0, without a word. Now said of every unit map, in the words and by the check the contact
distances use (the share, the cell, the map's bounds in the region), its cells as before.
Found by probing round 65's left items (2026-12-08). SYNTHETIC maps over the tiny region
in UTM 19N, and the real British Columbia bedrock map over its east edge. Found by probing
further: a File Geodatabase's field alias (the header ArcGIS shows) named as the unit
column or the mask's ``name_column`` was refused without the field it names (a
GeoPackage's alias was named since round 62). Probed and found sound: masks of lines,
points or an empty FeatureCollection refused; a mask in the region's UTM CRS, of several
features, with a lake hole, or a KMZ read as drawn.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from .conftest import plan_vector_cells
from .test_vectors_round63 import HOST, TINY, X0, X1, Y0, Y1, _cells_in, _said
from .test_vectors_round64 import EAST, HOLE, HOLE_FIX, HOLE_SAID, HOLED_WEST, WEST

OFF = ("lies off the map of layer (first), no unit holding their centres: 'geology' is no "
       "data there (no unit is known off the map); give a map that covers the region, or "
       "bounds within the map's ({bounds})")
"""How the planning says the share of the region off a map of its unit codes (its cells'
share and count since round 66)."""


def _map(path: Path, names: list[str], geoms: list[shapely.Geometry],
         crs: str = "EPSG:32619") -> Path:
    gpd.GeoDataFrame({"unit": names}, geometry=geoms, crs=crs).to_file(path, layer="geology")
    return path


def test_a_map_of_nine_tenths_of_the_region_is_said(tmp_path: Path) -> None:
    """Two units that end 40 m short of the region's east edge (the map sheet's edge):
    the last 4 columns of cells (10 %) were no data in 'geology' without a word. Now
    said with the share and the map's bounds in the region; the cells as before.
    SYNTHETIC map."""
    west = shapely.box(X0 - 50, Y0 - 50, X0 + 200, Y1 + 50)
    east = shapely.box(X0 + 200, Y0 - 50, X1 - 40, Y1 + 50)
    path = _map(tmp_path / "units.gpkg", ["A", "B"], [west, east])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(
        _cells_in(west), 0, np.where(_cells_in(east), 1, -1)))
    assert int((out["geology"][1] == -1).sum()) == 160
    assert warned == [f"{path}: 10% of the region 'tiny' (160 of 1600 cells) " + OFF.format(
        bounds="500000, 1350000, 500360, 1350400")], warned


def test_a_map_of_the_first_column_of_cells_is_said(tmp_path: Path) -> None:
    """A map whose one unit takes the region's first column of cells (round 65's control
    of a one-column strip): 39 columns of 40 were no data without a word. Now said.
    SYNTHETIC map."""
    strip = shapely.box(X0 - 1000, Y0 - 1000, X0 + 10, Y1 + 1000)
    path = _map(tmp_path / "strip.gpkg", ["A"], [strip])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(strip), 0, -1))
    assert warned == [f"{path}: 98% of the region 'tiny' (1560 of 1600 cells) " + OFF.format(
        bounds="500000, 1350000, 500010, 1350400")], warned


def test_a_map_in_lon_lat_of_part_of_the_region_is_said(tmp_path: Path) -> None:
    """The map of the region's west half written in WGS 84 (a partner's GeoJSON): read
    onto the UTM grid, its east half no data without a word. Now said. SYNTHETIC map."""
    west = gpd.GeoSeries([shapely.box(X0 - 50, Y0 - 50, X0 + 200, Y1 + 50)],
                         crs="EPSG:32619").to_crs("EPSG:4326")
    path = _map(tmp_path / "units.gpkg", ["A"], list(west), crs="EPSG:4326")
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert int((out["geology"][1] == -1).sum()) == 800
    said = _said(warned, "off the map")
    assert len(said) == 1 and said[0].startswith(f"{path}: 50% of the region 'tiny' (800 of "
                                                 "1600 cells) lies off the map"), warned


def test_a_holed_map_of_part_of_the_region_says_the_hole_and_the_rest(tmp_path: Path
                                                                     ) -> None:
    """Round 64's west unit with its hole, and no east unit: the hole was said, the east
    half (no data as well) not. Now both, the hole first. SYNTHETIC map."""
    path = _map(tmp_path / "units.gpkg", ["A"], [HOLED_WEST])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(
        _cells_in(HOLED_WEST), 0, -1))
    assert warned == [
        f"{path}: " + HOLE_SAID.format(share="6%", cells=100, x=500125, y=1350200) + "; "
        + HOLE_FIX,
        f"{path}: 50% of the region 'tiny' (800 of 1600 cells) " + OFF.format(
            bounds="500000, 1350000, 500200, 1350400")], warned


@pytest.mark.realdata
def test_the_real_bc_map_over_its_east_edge_is_said(shared_data: Path) -> None:
    """The real British Columbia bedrock map (``BedrockP.shp``, ``rock_class``, no
    contacts) over a region of 30 x 20 km at 1 km that reaches 19 km past the map's east
    edge: 69.5 % of 'geology' was no data with a word of its holes and a cell-less unit
    only. Now the off-map share is said with the map's bounds in the region. Real data
    (BC Geological Survey, via tyleracorn/prospectPredictor)."""
    from prospect.grid import RegionGrid

    grid = RegionGrid(crs="EPSG:26910", resolution=1000, name="bc-east",
                      bounds=(660000, 5560000, 690000, 5580000), chunks=(20, 30))
    path = shared_data / "bc_bedrock_geology" / "BedrockP.shp"
    out, warned = plan_vector_cells(path, grid, attribute="rock_class")
    assert float((out["geology"][1] == -1).mean()) == 0.695
    assert _said(warned, "off the map") == [
        f"{path}: 69% of the region 'bc-east' (414 of 600 cells) lies off the map of layer "
        "(first), no unit holding their centres: 'geology' is no data there (no unit is "
        "known off the map); give a map that covers the region, or bounds within the map's "
        "(660000, 5560000, 671078.5222, 5580000)"], warned


# --- controls ---------------------------------------------------------------------------------


def test_control_a_map_over_the_region_says_nothing(tmp_path: Path) -> None:
    """Control: two units that cover the region (and past it), and one unit over it: no
    warning, the cells as before. SYNTHETIC maps."""
    path = _map(tmp_path / "units.gpkg", ["A", "B"], [WEST, EAST])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(EAST), 1, 0))
    assert warned == []
    path = _map(tmp_path / "one.gpkg", ["A"], [HOST])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert (out["geology"][1] == 0).all() and warned == []


def test_control_a_ragged_edge_within_a_cell_says_nothing(tmp_path: Path) -> None:
    """Control: a map whose east edge stops 8 m short of the region's (within a cell: a
    sheet's ragged edge): its last column of cells is no data, as before, without a
    word. SYNTHETIC map."""
    short = shapely.box(X0 - 50, Y0 - 50, X1 - 8, Y1 + 50)
    path = _map(tmp_path / "units.gpkg", ["A"], [short])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(short), 0, -1))
    assert warned == []


def test_control_the_off_map_share_with_contacts_is_said_as_before(tmp_path: Path) -> None:
    """Control: with ``distance_to_contacts``, the off-map share is said once, in its
    words as before (the contact distances no data there). SYNTHETIC map."""
    path = _map(tmp_path / "units.gpkg", ["A"], [WEST])
    _, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    said = _said(warned, "from every unit")
    assert said == [  # (each layer's own cells since round 66)
        f"{path}: 50% of the region 'tiny' (800 of 1600 cells) lies off the map of layer "
        "(first), no unit holding their centres: 'geology' is no data there (no unit is "
        "known off the map), and geology_dist_contact in the 760 cells (48%) more than a "
        "cell (10 m) from every unit (a contact off the map is not known); give a map that "
        "covers the region, or bounds within the map's (500000, 1350000, 500200, "
        "1350400)"], warned
    assert HOLE not in said


# --- a File Geodatabase's field alias named as the unit column ---------------------------------


def _gdb(path: Path, columns: dict[str, tuple[str | None, list[str]]],
         geoms: list[shapely.Geometry]) -> Path:
    """A SYNTHETIC File Geodatabase (GDAL's OpenFileGDB driver) of one layer 'geology':
    each column by its name with its alias (``None``: none) and values, as ArcGIS keeps
    a field's alias."""
    import pyarrow as pa
    from pyogrio.raw import write_arrow

    fields = [pa.field(name, pa.string(), metadata=None if alias is None else
                       {"GDAL:OGR:alternative_name": alias})
              for name, (alias, _) in columns.items()]
    fields.append(pa.field("SHAPE", pa.binary(),
                           metadata={"ARROW:extension:name": "geoarrow.wkb"}))
    table = pa.table([pa.array(values) for _, values in columns.values()]
                     + [pa.array(shapely.to_wkb(np.asarray(geoms, dtype=object)))],
                     schema=pa.schema(fields))
    write_arrow(table, str(path), driver="OpenFileGDB", layer="geology", crs="EPSG:32619",
                geometry_name="SHAPE", geometry_type="Polygon")
    return path


def test_a_file_geodatabase_alias_as_the_unit_column_names_the_field(tmp_path: Path
                                                                     ) -> None:
    """``attribute: Lithology``, the header ArcGIS shows for the field ``LITH`` (its
    alias) of a File Geodatabase: refused as "has no column 'Lithology'; columns are
    ['LITH', 'AGE']" without the field meant (a GeoPackage's alias was named since
    round 62). Now the refusal names it. SYNTHETIC File Geodatabase."""
    from prospect.errors import DataError

    path = _gdb(tmp_path / "geology.gdb", {"LITH": ("Lithology", ["A", "B"]),
                                           "AGE": ("Age", ["Jurassic", "Triassic"])},
                [WEST, EAST])
    with pytest.raises(DataError) as caught:
        plan_vector_cells(path, TINY, attribute="Lithology", layer="geology")
    assert str(caught.value) == (
        f"{path}: layer geology has no column 'Lithology'; columns are ['LITH', 'AGE'] "
        "('Lithology' is the alias of column 'LITH', the header QGIS and ArcGIS show; name "
        "the column itself: 'LITH')"), str(caught.value)


def test_a_file_geodatabase_alias_as_the_mask_name_column_names_the_field(tmp_path: Path
                                                                          ) -> None:
    """``mask: {path: islands.gdb, names: [Bonaire], name_column: Island}``, ``Island``
    the alias of the field ``ISL_NM``: refused without the field meant. Now named.
    SYNTHETIC File Geodatabase."""
    from prospect.errors import DataError
    from prospect.outlines import read_outline

    path = _gdb(tmp_path / "islands.gdb", {"ISL_NM": ("Island", ["Bonaire", "Klein"])},
                [WEST, EAST])
    with pytest.raises(DataError) as caught:
        read_outline(path, names=["Bonaire"], name_column="Island")
    assert "('Island' is the alias of column 'ISL_NM', the header QGIS and ArcGIS show; " \
        "name the column itself: 'ISL_NM'): set 'mask.name_column'" in str(caught.value), \
        str(caught.value)


def test_control_a_file_geodatabase_unit_column_by_its_name_is_read(tmp_path: Path
                                                                    ) -> None:
    """Control: the same File Geodatabase with ``attribute: LITH`` (the field's name)
    reads as before, no warning; a column the layer lacks and no alias names is refused
    with the columns alone. SYNTHETIC File Geodatabase."""
    from prospect.errors import DataError

    path = _gdb(tmp_path / "geology.gdb", {"LITH": ("Lithology", ["A", "B"])}, [WEST, EAST])
    out, warned = plan_vector_cells(path, TINY, attribute="LITH", layer="geology")
    assert out["geology"][0].codes == ("A", "B") and warned == []
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(EAST), 1, 0))
    with pytest.raises(DataError) as caught:
        plan_vector_cells(path, TINY, attribute="ROCK", layer="geology")
    assert str(caught.value) == (f"{path}: layer geology has no column 'ROCK'; columns are "
                                 "['LITH']"), str(caught.value)
