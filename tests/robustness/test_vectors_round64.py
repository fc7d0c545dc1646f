"""A coded ``priority`` column's overlap warning that named the codes alone, and a unit
column whose coded-value domain is keyed by the file's decomposed (NFD) column name read as
its codes when the config names it composed (round 64).

Round 63 left both: the overlap warning of a ``priority`` column with a coded-value domain
said "(2 over 1)" where QGIS and ArcGIS show the column as "high" and "low"; and the
domain of a column written decomposed (``unité`` as a Mac writes it) was looked up by the
config's composed name, the frame's column after the read, so the units were the codes
``1``, ``2`` and the layer's ``domain`` setting absent, without a word. Probed and found
sound (controls): a KML of Google Earth (``Placemark`` names, ``ExtendedData`` columns),
a GeoJSON with the old ``crs`` member ``urn:ogc:def:crs:EPSG::4326`` in lon/lat order, a
CSV with a WKT column. Found by probing round 63's left items (2026-12-07). SYNTHETIC maps
over the tiny region in UTM 19N.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from prospect.io.vector import column_domain, read_vector

from .conftest import plan_vector_cells
from .test_vectors_round63 import HOST, INCLUSION, TINY, X0, X1, Y0, Y1, _cells_in, _coded, _said

NFD_UNIT = unicodedata.normalize("NFD", "unit\u00e9")
"""``unité`` as a Mac writes it: ``e`` and a combining acute accent."""
NFD_PRIORITY = unicodedata.normalize("NFD", "priorit\u00e9")

WEST = shapely.box(X0 - 50, Y0 - 50, X0 + 200, Y1 + 50)
EAST = shapely.box(X0 + 200, Y0 - 50, X1 + 50, Y1 + 50)
"""SYNTHETIC units: the region's west and east halves (and past it)."""
ROCKS = ("rock_units", {"1": "Granite", "2": "Schist"})
"""A SYNTHETIC coded-value domain of a unit column."""
RANKS = ("ranks", {"1": "low", "2": "high"})
"""A SYNTHETIC coded-value domain of a priority column."""


def _as_gdb(path: Path) -> Path:
    """``path`` (a GeoPackage) converted to an ESRI file geodatabase by GDAL's ``ogr2ogr``
    (its domains into ``GDB_Items``); the case is skipped where ``ogr2ogr`` is absent."""
    if shutil.which("ogr2ogr") is None:
        pytest.skip("GDAL's ogr2ogr writes the geodatabase's domain")
    gdb = path.with_suffix(".gdb")
    subprocess.run(["ogr2ogr", "-f", "OpenFileGDB", str(gdb), str(path)], check=True,
                   capture_output=True)
    return gdb


def _prioritised(path: Path, priority: str, ranks: list[int]) -> Path:
    """A SYNTHETIC GeoPackage of the inclusion first in the file, its host after it, the
    ``priority`` column of ``ranks`` coded by :data:`RANKS`."""
    gpd.GeoDataFrame({"unit": ["B", "A"], priority: np.array(ranks, dtype=np.int32)},
                     geometry=[INCLUSION, HOST], crs="EPSG:32619").to_file(path,
                                                                          layer="geology")
    return _coded(path, {priority: RANKS})


# --- a coded priority's overlap warning names the domain's names ------------------------------


@pytest.mark.parametrize("kind", ["geopackage", "file-geodatabase"])
def test_a_coded_priority_overlap_names_the_codes_and_their_names(tmp_path: Path,
                                                                  kind: str) -> None:
    """``priority: prio`` of codes 1 "low" and 2 "high": before, the overlap warning said
    "(2 over 1)", numbers that QGIS and ArcGIS never show for the column. Now it names
    both, "(2 'high' over 1 'low')". The cells are as before (the inclusion, 2, on top).
    SYNTHETIC map, as a GeoPackage and as a file geodatabase converted from it."""
    path = _prioritised(tmp_path / "units.gpkg", "prio", [2, 1])
    if kind == "file-geodatabase":
        path = _as_gdb(path)
    out, warned = plan_vector_cells(path, TINY, attribute="unit", priority="prio")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(INCLUSION), 1, 0))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1, warned
    assert "(e.g. 'A' and 'B', over 100 cells: 'B', of the higher 'prio' (2 'high' over 1 " \
        "'low'), takes them); a cell there takes the unit of the feature of the higher " \
        "'prio' (ties: later in the file)" in said[0], said[0]


def test_a_coded_priority_tie_names_the_code_and_its_name(tmp_path: Path) -> None:
    """Both features of ``prio`` 1 "low": the later in the file takes the overlap; before,
    "of the same 'prio' 1 and later in the file", now "1 'low'". SYNTHETIC map."""
    path = _prioritised(tmp_path / "units.gpkg", "prio", [1, 1])
    out, warned = plan_vector_cells(path, TINY, attribute="unit", priority="prio")
    np.testing.assert_array_equal(out["geology"][1], np.zeros((40, 40)))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and "'A', of the same 'prio' 1 'low' and later in the file, takes " \
        "them" in said[0], warned


def test_a_coded_priority_written_decomposed_names_its_domains_names(tmp_path: Path) -> None:
    """``priority: priorité`` typed composed, the file's column (and its domain's key)
    decomposed: before, "(2 over 1)" (the domain not found by the config's name); now
    "(2 'high' over 1 'low')". SYNTHETIC map."""
    path = _prioritised(tmp_path / "units.gpkg", NFD_PRIORITY, [2, 1])
    out, warned = plan_vector_cells(path, TINY, attribute="unit", priority="priorit\u00e9")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(INCLUSION), 1, 0))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and "of the higher 'priorit\u00e9' (2 'high' over 1 'low')" in \
        said[0], warned


def test_control_an_uncoded_priority_overlap_is_said_as_before(tmp_path: Path) -> None:
    """Control: a ``priority`` column without a domain is named by its numbers alone, as
    before: "(2 over 1)". SYNTHETIC map."""
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame({"unit": ["B", "A"], "prio": [2, 1]}, geometry=[INCLUSION, HOST],
                     crs="EPSG:32619").to_file(path)
    out, warned = plan_vector_cells(path, TINY, attribute="unit", priority="prio")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(INCLUSION), 1, 0))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and "'B', of the higher 'prio' (2 over 1), takes them" in said[0], \
        warned


# --- a unit column's domain keyed by its decomposed name --------------------------------------


def _decomposed_units(path: Path) -> Path:
    """A SYNTHETIC GeoPackage of two units coded 1 and 2 in a column ``unité`` written
    decomposed, its domain :data:`ROCKS` keyed by that name (as GDAL writes the file's)."""
    gpd.GeoDataFrame({NFD_UNIT: np.array([1, 2], dtype=np.int32)}, geometry=[WEST, EAST],
                     crs="EPSG:32619").to_file(path, layer="geology")
    return _coded(path, {NFD_UNIT: ROCKS})


@pytest.mark.parametrize("kind", ["geopackage", "file-geodatabase"])
def test_a_decomposed_unit_column_asked_composed_is_read_as_its_domains_names(
        tmp_path: Path, kind: str) -> None:
    """``attribute: unité`` typed composed (NFC), the column and its domain's key written
    decomposed: before, the units were the codes ``('1', '2')``, without the ``domain``
    setting or a word; now the domain's names, as QGIS shows them and as a column written
    composed is read. SYNTHETIC map."""
    path = _decomposed_units(tmp_path / "units.gpkg")
    if kind == "file-geodatabase":
        path = _as_gdb(path)
    out, warned = plan_vector_cells(path, TINY, attribute="unit\u00e9")
    layer, codes = out["geology"]
    assert layer.codes == ("Granite", "Schist")
    assert layer.settings["domain"] == "rock_units (codes read as its names)"
    np.testing.assert_array_equal(codes, np.where(_cells_in(EAST), 1, 0))
    assert warned == []


def test_a_decomposed_column_is_named_by_read_vector_and_column_domain(tmp_path: Path) -> None:
    """The library calls: ``read_vector(..., domains=["unité"])`` of the whole layer (its
    columns as the file writes them) and ``column_domain(path, "unité")``, the name typed
    composed. Before: the codes ``[1, 2]`` and ``{}``. SYNTHETIC map."""
    path = _decomposed_units(tmp_path / "units.gpkg")
    gdf = read_vector(path, domains=["unit\u00e9"])
    assert gdf[NFD_UNIT].tolist() == ["Granite", "Schist"]
    assert column_domain(path, "unit\u00e9") == {"1": "Granite", "2": "Schist"}


def test_control_a_composed_unit_column_is_read_as_its_domains_names(tmp_path: Path) -> None:
    """Control: the column and its domain written composed, asked composed: read as the
    domain's names, as before (round 51). SYNTHETIC map."""
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame({"unit\u00e9": np.array([1, 2], dtype=np.int32)}, geometry=[WEST, EAST],
                     crs="EPSG:32619").to_file(path, layer="geology")
    _coded(path, {"unit\u00e9": ROCKS})
    out, warned = plan_vector_cells(path, TINY, attribute="unit\u00e9")
    assert out["geology"][0].codes == ("Granite", "Schist")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(EAST), 1, 0))
    assert warned == []


# --- probed and found sound -------------------------------------------------------------------


def _halves() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"Name": ["West", "East"], "unit": ["Granite", "Schist"]},
                            geometry=[WEST, EAST], crs="EPSG:32619")


def test_control_a_google_earth_kml_is_read_by_names_and_extended_data(tmp_path: Path
                                                                      ) -> None:
    """Control: a KML as Google Earth exports it (``Placemark`` names, an
    ``ExtendedData`` column), lon/lat: either column is the unit column, the halves'
    cells as drawn, no warning. SYNTHETIC map."""
    path = tmp_path / "units.kml"
    _halves().to_crs(4326).to_file(path, driver="KML")
    for column, names in (("Name", ("East", "West")), ("unit", ("Granite", "Schist"))):
        out, warned = plan_vector_cells(path, TINY, attribute=column)
        layer, codes = out["geology"]
        assert layer.codes == names
        east = names.index("East" if column == "Name" else "Schist")
        np.testing.assert_array_equal(codes, np.where(_cells_in(EAST), east, 1 - east))
        assert warned == []


def test_control_an_old_crs_member_and_a_wkt_csv_are_read(tmp_path: Path) -> None:
    """Control: a GeoJSON with the pre-RFC 7946 ``crs`` member
    ``urn:ogc:def:crs:EPSG::4326`` (lon/lat order, as GDAL writes it), and a CSV with a
    WKT column (``crs:`` given): the same cells, no warning. SYNTHETIC maps."""
    collection = json.loads(_halves().to_crs(4326).to_json())
    collection["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}
    geojson = tmp_path / "units.geojson"
    geojson.write_text(json.dumps(collection))
    csv = tmp_path / "units.csv"
    pd.DataFrame({"WKT": [g.wkt for g in _halves().geometry], "unit": ["Granite", "Schist"]}
                 ).to_csv(csv, index=False)
    for path, crs in ((geojson, None), (csv, "EPSG:32619")):
        out, warned = plan_vector_cells(path, TINY, attribute="unit",
                                        **({"crs": crs} if crs else {}))
        assert out["geology"][0].codes == ("Granite", "Schist")
        np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(EAST), 1, 0))
        assert warned == [], path


# --- holes inside a unit map that no unit fills -----------------------------------------------

HOLE = shapely.box(X0 + 100, Y0 + 100, X0 + 150, Y0 + 300)
"""A SYNTHETIC hole in the west unit: 5 x 20 = 100 cells no unit fills."""
HOLED_WEST = shapely.Polygon(WEST.exterior.coords, [HOLE.exterior.coords])


def _holed(path: Path, west: shapely.Geometry = HOLED_WEST) -> Path:
    gpd.GeoDataFrame({"unit": ["A", "B"]}, geometry=[west, EAST], crs="EPSG:32619"
                     ).to_file(path, layer="geology")
    return path


HOLE_SAID = ("1 hole(s) inside the units of layer (first) that no unit fills take cells of "
             "the region 'tiny' ({share} of it; e.g. {cells} cells about x={x}, y={y}): a "
             "cell there takes no unit and is no data in 'geology'")
HOLE_FIX = ("draw the unit meant there (e.g. QGIS's Topology Checker, 'must not have gaps', "
            "or GRASS v.clean), or a unit of its own where the map leaves the ground "
            "unmapped (water, cover)")


def test_a_hole_inside_the_map_that_no_unit_fills_is_said(tmp_path: Path) -> None:
    """A unit with a hole no unit fills (a polygon deleted, a lake left unmapped): its 100
    cells take no unit (-1), as before, but before without a word. Now the planning
    names the hole, its share and where it lies, and the fix. SYNTHETIC map."""
    path = _holed(tmp_path / "units.gpkg")
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(
        _cells_in(HOLE), -1, np.where(_cells_in(EAST), 1, 0)))
    assert warned == [f"{path}: " + HOLE_SAID.format(share="6%", cells=100, x=500125,
                                                     y=1350200) + "; " + HOLE_FIX], warned


def test_a_hole_between_two_units_is_said(tmp_path: Path) -> None:
    """A notch cut in one unit beside another (the map's gap between them, 50 cells):
    said as a hole of the map. Before: no word. SYNTHETIC map."""
    notch = shapely.box(X0 + 150, Y0 + 100, X0 + 200, Y0 + 200)
    path = _holed(tmp_path / "units.gpkg", WEST.difference(notch))
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert int((out["geology"][1] == -1).sum()) == 50
    assert warned == [f"{path}: " + HOLE_SAID.format(share="3%", cells=50, x=500175,
                                                     y=1350150) + "; " + HOLE_FIX], warned


def test_a_hole_with_contact_distances_is_not_called_off_the_map(tmp_path: Path) -> None:
    """With ``distance_to_contacts``: before, the hole's inner cells were said as "3% of
    the region lies more than a cell from every unit ...: give a map that covers the
    region, or bounds within the map's", a fix that does not mend a hole. Now the hole is
    said as such, with its contact distances (no data more than a cell from its edge,
    which is the map's edge); the distances are as before. SYNTHETIC map."""
    path = _holed(tmp_path / "units.gpkg")
    out, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    dist = out["geology_dist_contact"][1]
    assert np.isnan(dist[_cells_in(HOLE)]).sum() == 54  # (its inner 3 x 18 cells)
    assert warned == [f"{path}: " + HOLE_SAID.format(share="6%", cells=100, x=500125,
                                                     y=1350200)
                      + " (and in 'geology_dist_contact' more than a cell from the hole's "
                      "edge, which is the map's edge, not a contact); " + HOLE_FIX], warned


def test_control_a_map_of_part_of_the_region_is_said_off_the_map_as_before(tmp_path: Path
                                                                           ) -> None:
    """Control: a strip between two units across the whole region is off the map, not a
    hole: said off the map (without contacts too since round 65b, which says the
    off-map share of every unit map), with contacts the off-map warning as before.
    SYNTHETIC map."""
    path = _holed(tmp_path / "units.gpkg", shapely.box(X0 - 50, Y0 - 50, X0 + 150, Y1 + 50))
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert int((out["geology"][1] == -1).sum()) == 200 and len(warned) == 1, warned
    assert "12% of the region 'tiny' (200 of 1600 cells) lies off the map of layer " \
        "(first), no unit holding their centres: 'geology' is no data there" in warned[0], \
        warned
    out, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    assert [w for w in warned if "hole" in w] == []
    assert any("12% of the region 'tiny' (200 of 1600 cells) lies off the map of layer "
               "(first)" in w for w in warned), warned
