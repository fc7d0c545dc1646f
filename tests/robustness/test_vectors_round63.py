"""A unit map's ``priority`` column with a coded-value domain refused as text, and a map
converted to FlatGeobuf whose overlapping units are drawn in its spatial index's order
without a word of it (round 63).

Round 62b built ``priority: <column>`` (ArcGIS's Polygon to Raster priority field) and left
two things: a ``priority`` column that a GeoPackage's (or file geodatabase's) coded-value
domain names (``1`` "low", ``2`` "high", the lookup table an ESRI map carries) was read as
the domain's names, as a unit column is, and refused as "holds object values (e.g.
'high'), not numbers"; and a map converted to FlatGeobuf without ``priority``, stored in
its spatial index's (Hilbert) order, was drawn in that order where its polygons overlap,
the warning saying only "later in the file". Probed and found sound (controls): a
Shapefile's unit codes of a decimal field (``12.0`` is the unit ``12``, ``13.5`` itself), a
unit's hole filled by another unit's polygon. Found by probing round 62b's left items
(2026-12-07). SYNTHETIC maps over the tiny region in UTM 19N.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from prospect.grid import RegionGrid

from .conftest import TINY_REGION, plan_vector_cells
from .test_vectors_round51 import SCHEMA

TINY = RegionGrid(**{**TINY_REGION, "bounds": tuple(TINY_REGION["bounds"]),
                     "chunks": tuple(TINY_REGION["chunks"])})
"""40 x 40 cells of 10 m in UTM 19N about 69.0 W, 12.2 N (chunks of 20 x 20)."""

X0, Y0, X1, Y1 = 500000.0, 1350000.0, 500400.0, 1350400.0
XS = X0 + 5.0 + 10.0 * np.arange(40)
YS = Y1 - 5.0 - 10.0 * np.arange(40)
"""The tiny region's cell centres (columns, rows)."""

HOST = shapely.box(X0 - 50, Y0 - 50, X1 + 50, Y1 + 50)
"""A SYNTHETIC host unit over the whole region (and past it)."""
INCLUSION = shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)
"""A SYNTHETIC inclusion (10 x 10 cells across two chunks' edge) drawn over its host
without a hole cut in it."""


def _cells_in(geom: shapely.Geometry) -> np.ndarray:
    """Where ``geom`` takes the cells (cell centre inside it)."""
    xx, yy = np.meshgrid(XS, YS)
    return shapely.contains_xy(geom, xx, yy)


def _contact_to(geom: shapely.Geometry) -> np.ndarray:
    """Exact distances of the cell centres to ``geom``'s outline (float32, as stored)."""
    xx, yy = np.meshgrid(XS, YS)
    return shapely.distance(shapely.points(xx, yy), geom.exterior).astype(np.float32)


def _said(warned: list[str], needle: str) -> list[str]:
    return [w for w in warned if needle in w]


def _coded(path: Path, domains: dict[str, tuple[str, dict[str, str]]]) -> Path:
    """``path``'s (layer ``geology``) columns given coded-value domains (column -> (domain,
    code -> name)), as GDAL writes a field domain into a GeoPackage."""
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        for column, (domain, values) in domains.items():
            con.execute("INSERT INTO gpkg_data_columns VALUES ('geology', ?, NULL, NULL, "
                        "NULL, NULL, ?)", (column, domain))
            con.executemany("INSERT INTO gpkg_data_column_constraints VALUES (?, 'enum', ?, "
                            "NULL, NULL, NULL, NULL, ?)",
                            [(domain, code, name) for code, name in values.items()])
        con.commit()
    finally:
        con.close()
    return path


RANKS = ("ranks", {"1": "low", "2": "high"})
"""A SYNTHETIC coded-value domain of a priority column: its codes and their names."""


def _prioritised(path: Path, units: Any,
                 **domains: tuple[str, dict[str, str]]) -> Path:
    """A SYNTHETIC GeoPackage of the inclusion first in the file (``prio`` 2, "high"), its
    host after it (``prio`` 1, "low"), the ``prio`` column coded by :data:`RANKS` (and
    the columns of ``domains`` by theirs)."""
    gpd.GeoDataFrame({"unit": units, "prio": np.array([2, 1], dtype=np.int32)},
                     geometry=[INCLUSION, HOST], crs="EPSG:32619").to_file(path,
                                                                          layer="geology")
    return _coded(path, {"prio": RANKS, **domains})


# --- a priority column with a coded-value domain ----------------------------------------------


@pytest.mark.parametrize("kind", ["geopackage", "file-geodatabase"])
def test_a_coded_priority_column_draws_the_higher_code_on_top(tmp_path: Path,
                                                               kind: str) -> None:
    """``priority: prio`` of a column whose domain names the codes 1 "low" and 2 "high":
    before, it was read as the names and refused ("holds object values (e.g. 'high'),
    not numbers"). Now the codes order the features: the inclusion (2) takes its 100
    cells in every chunk, and the contact is its edge, measured exactly; the overlap
    warning names the codes. The map as a GeoPackage, and as an ESRI file geodatabase
    (its domain in ``GDB_Items``, written by ``ogr2ogr`` from the GeoPackage). SYNTHETIC
    map."""
    path = _prioritised(tmp_path / "units.gpkg", ["B", "A"])
    if kind == "file-geodatabase":
        if shutil.which("ogr2ogr") is None:
            pytest.skip("GDAL's ogr2ogr writes the geodatabase's domain")
        gdb = tmp_path / "units.gdb"
        subprocess.run(["ogr2ogr", "-f", "OpenFileGDB", str(gdb), str(path)], check=True,
                       capture_output=True)
        path = gdb
    out, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True,
                                    priority="prio")
    codes = out["geology"][1]
    np.testing.assert_array_equal(codes, np.where(_cells_in(INCLUSION), 1, 0))
    assert int((codes == 1).sum()) == 100
    np.testing.assert_array_equal(out["geology_dist_contact"][1], _contact_to(INCLUSION))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and "'B', of the higher 'prio' (2 'high' over 1 'low'), takes " \
        "them" in said[0], warned  # (the domain's names beside the codes since round 64)
    assert _said(warned, "so it has no contact") == [], warned


def test_a_coded_priority_beside_a_coded_unit_column_keeps_the_units_names(
        tmp_path: Path) -> None:
    """Both columns coded: the unit column is read as its domain's names (as since round
    51), the priority column as its codes. Before: refused as a priority of text.
    SYNTHETIC map."""
    path = _prioritised(tmp_path / "units.gpkg", np.array([20, 10], dtype=np.int32),
                        unit=("rock_units", {"10": "Granite", "20": "Schist"}))
    out, warned = plan_vector_cells(path, TINY, attribute="unit", priority="prio")
    layer, codes = out["geology"]
    assert layer.codes == ("Granite", "Schist")
    assert layer.settings["domain"] == "rock_units (codes read as its names)"
    np.testing.assert_array_equal(codes, np.where(_cells_in(INCLUSION), 1, 0))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and "'Schist', of the higher 'prio' (2 'high' over 1 'low')" in \
        said[0], warned


def test_control_a_coded_unit_column_without_priority_is_read_as_names(tmp_path: Path
                                                                      ) -> None:
    """Control: without ``priority`` a coded column is read as its domain's names as
    before (round 51), the host (later in the file) on top. SYNTHETIC map."""
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame({"unit": np.array([2, 1], dtype=np.int32)}, geometry=[INCLUSION, HOST],
                     crs="EPSG:32619").to_file(path, layer="geology")
    _coded(path, {"unit": ("rock_units", {"1": "Granite", "2": "Schist"})})
    out, _ = plan_vector_cells(path, TINY, attribute="unit")
    layer, codes = out["geology"]
    assert layer.codes == ("Granite", "Schist")
    np.testing.assert_array_equal(codes, np.zeros((40, 40)))


# --- a FlatGeobuf stored in its spatial index's order -----------------------------------------

FGB_INCLUSION = shapely.box(X0 + 200, Y0 + 200, X0 + 300, Y0 + 300)
"""A SYNTHETIC inclusion that GDAL's packed Hilbert R-tree stores before its host."""


def _flatgeobuf(path: Path, **options: Any) -> Path:
    """A SYNTHETIC map written host first, inclusion after it (the inclusion on top in the
    map converted), as a FlatGeobuf (``options``: GDAL's layer creation options)."""
    gpd.GeoDataFrame({"unit": ["A", "B"], "prio": [1, 2]}, geometry=[HOST, FGB_INCLUSION],
                     crs="EPSG:32619").to_file(path, **options)
    return path


def test_a_flatgeobuf_in_its_index_order_says_so_where_units_overlap(tmp_path: Path) -> None:
    """The map converted to FlatGeobuf (GDAL writes its spatial index by default) comes
    back inclusion first, so the host takes every cell. Before: the overlap warning said
    "'A', later in the file, takes them" and nothing of the order being the index's. Now
    it says the FlatGeobuf stores its features in its spatial index's order, that the
    unit on top can differ from the map it was converted from, and the fixes
    (``priority``, ``-lco SPATIAL_INDEX=NO``). The cells are as before. SYNTHETIC map."""
    path = _flatgeobuf(tmp_path / "units.fgb")
    assert pyogrio.read_dataframe(path)["unit"].tolist() == ["B", "A"]  # (Hilbert order)
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.zeros((40, 40)))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1, warned
    assert "'A', later in the file, takes them" in said[0], said[0]
    assert "this FlatGeobuf stores its features in its spatial index's order, not the order " \
        "they were written in (GDAL writes the index by default), so the unit on top can " \
        "differ from the map it was converted from: order the features with 'priority: " \
        "<column>' (the higher on top), convert it with '-lco SPATIAL_INDEX=NO' to keep " \
        "the written order" in said[0], said[0]


def test_control_a_flatgeobuf_without_an_index_is_said_as_before(tmp_path: Path) -> None:
    """Control: written with ``SPATIAL_INDEX=NO``, the FlatGeobuf keeps the written order
    (the inclusion on top) and the warning is as before, without a word of an index.
    SYNTHETIC map."""
    path = _flatgeobuf(tmp_path / "units.fgb", SPATIAL_INDEX="NO")
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(FGB_INCLUSION), 1, 0))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and "'B', later in the file, takes them" in said[0], warned
    assert "FlatGeobuf" not in said[0] and said[0].endswith(
        "or order the features with 'priority: <column>' (the higher on top)"), said[0]


def test_control_a_flatgeobuf_with_priority_says_nothing_of_its_index(tmp_path: Path) -> None:
    """Control: with ``priority`` the file's order no longer decides (round 62b): the
    inclusion is drawn on top and the warning names the priority alone. SYNTHETIC map."""
    path = _flatgeobuf(tmp_path / "units.fgb")
    out, warned = plan_vector_cells(path, TINY, attribute="unit", priority="prio")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(FGB_INCLUSION), 1, 0))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and "of the higher 'prio' (2 over 1)" in said[0], warned
    assert "FlatGeobuf" not in said[0], said[0]


# --- probed and found sound -------------------------------------------------------------------


def test_control_decimal_unit_codes_of_a_shapefile_keep_their_values(tmp_path: Path) -> None:
    """Control: a Shapefile's unit codes in a decimal (N 24.15) field: ``12.0`` is the unit
    ``12`` (as an integer field's), ``13.5`` itself; no warning. SYNTHETIC map."""
    path = tmp_path / "units.shp"
    west, east = shapely.box(X0, Y0, X0 + 200, Y1), shapely.box(X0 + 200, Y0, X1, Y1)
    gpd.GeoDataFrame({"code": [12.0, 13.5]}, geometry=[west, east],
                     crs="EPSG:32619").to_file(path)
    out, warned = plan_vector_cells(path, TINY, attribute="code")
    layer, codes = out["geology"]
    assert layer.codes == ("12", "13.5")
    np.testing.assert_array_equal(codes, np.where(_cells_in(east), 1, 0))
    assert warned == []


def test_control_a_hole_filled_by_another_unit_is_a_contact(tmp_path: Path) -> None:
    """Control: a host with a hole cut for the inclusion, the inclusion's polygon filling
    it: the inclusion's cells and its edge as the contact, no warning. SYNTHETIC map."""
    host = shapely.Polygon(HOST.exterior.coords, [INCLUSION.exterior.coords])
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame({"unit": ["A", "B"]}, geometry=[host, INCLUSION],
                     crs="EPSG:32619").to_file(path)
    out, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(INCLUSION), 1, 0))
    np.testing.assert_array_equal(out["geology_dist_contact"][1], _contact_to(INCLUSION))
    assert warned == []


# --- a priority column written in another Unicode form -----------------------------------------


@pytest.mark.parametrize("suffix", ["gpkg", "shp"], ids=["geopackage", "shapefile"])
def test_a_priority_column_in_another_unicode_form_is_the_column(tmp_path: Path,
                                                                  suffix: str) -> None:
    """``priority: priorité`` typed composed (NFC) in a config, the file's column written
    decomposed (NFD, as a Mac writes it), as the unit column ``unité``. Before: "no column
    'priorité' to draw the units in the order of ('priority'); columns are [...] (did you
    mean 'priorité'?)", which no retyping could fix (the unit column was read so since
    an earlier round). Now it is the column: the inclusion drawn on top. SYNTHETIC map."""
    import unicodedata

    def nfd(text: str) -> str:
        return unicodedata.normalize("NFD", text)

    path = tmp_path / f"units.{suffix}"
    gpd.GeoDataFrame({nfd("unité"): ["B", "A"], nfd("priorité"): [2, 1]},
                     geometry=[INCLUSION, HOST], crs="EPSG:32619").to_file(path)
    out, warned = plan_vector_cells(path, TINY, attribute="unit\u00e9",
                                    distance_to_contacts=True, priority="priorit\u00e9")
    np.testing.assert_array_equal(out["geology"][1], np.where(_cells_in(INCLUSION), 1, 0))
    np.testing.assert_array_equal(out["geology_dist_contact"][1], _contact_to(INCLUSION))
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and "of the higher 'priorit\u00e9' (2 over 1)" in said[0], warned
