"""A unit map whose polygons overlap by design drawn in an order of its own (``priority:``),
and a mask's shipped outline in a config folder without ``outlines/`` (round 62b).

Rounds 55 to 62 drew overlapping unit polygons as GDAL and QGIS do, the feature later in
the file on top, and left ArcGIS's Polygon to Raster ``priority`` field unbuilt: a map
whose inclusions are drawn before their hosts (or a map converted to a FlatGeobuf, whose
spatial index stores the features in Hilbert order) could only be re-ordered with
``ogr2ogr -sql "... ORDER BY"``; ``priority: prio`` was "Extra inputs are not permitted".
A mask's ``outline: saba`` (or the job's shipped region's outline by default) in a
``$PROSPECT_CONFIG_DIR`` without ``outlines/`` was "no shipped outline 'saba'; shipped
outlines: ;" (round 62's configs area built ``no_shipped`` for this wording). Measured
geometries (MultiPolygon M and ZM, as ``ogr2ogr -dim XYM`` writes them) were probed and
read as their plain polygons (controls). Found by probing the left items of round 62
(2026-12-07). SYNTHETIC maps over the tiny region in UTM 19N.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
import yaml

from prospect.errors import ConfigError, DataError
from prospect.grid import RegionGrid

from .conftest import REPO, TINY_REGION, Sandbox, assert_clean_error, plan_vector_cells

TINY = RegionGrid(**{**TINY_REGION, "bounds": tuple(TINY_REGION["bounds"]),
                     "chunks": tuple(TINY_REGION["chunks"])})
"""40 x 40 cells of 10 m in UTM 19N about 69.0 W, 12.2 N (chunks of 20 x 20)."""

X0, Y0, X1, Y1 = 500000.0, 1350000.0, 500400.0, 1350400.0
XS = X0 + 5.0 + 10.0 * np.arange(40)
YS = Y1 - 5.0 - 10.0 * np.arange(40)
"""The tiny region's cell centres (columns, rows)."""

HOST = shapely.box(X0 - 50, Y0 - 50, X1 + 50, Y1 + 50)
"""A SYNTHETIC host unit ('A') over the whole region (and past it)."""
INCLUSION = shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)
"""A SYNTHETIC inclusion ('B', 10 x 10 cells across two chunks' edge) drawn over its host
without a hole cut in it."""


def _write(path: Path, **columns: Any) -> Path:
    """A SYNTHETIC map of the inclusion first in the file, its host after it (the order a
    digitiser who drew the small bodies first leaves), with ``columns``."""
    gpd.GeoDataFrame({"unit": ["B", "A"], **columns}, geometry=[INCLUSION, HOST],
                     crs="EPSG:32619").to_file(path)
    return path


def _contact_to(geom: shapely.Geometry) -> np.ndarray:
    """Exact distances of the cell centres to ``geom``'s outline (float32, as stored)."""
    xx, yy = np.meshgrid(XS, YS)
    return shapely.distance(shapely.points(xx, yy), geom.exterior).astype(np.float32)


def _inclusion_cells() -> np.ndarray:
    """Where the inclusion takes the cells (cell centre inside it)."""
    xx, yy = np.meshgrid(XS, YS)
    return shapely.contains_xy(INCLUSION, xx, yy)


def _said(warned: list[str], needle: str) -> list[str]:
    return [w for w in warned if needle in w]


@pytest.fixture(scope="module")
def by_priority(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str]]:
    """The map with ``prio`` 2 on the inclusion and 1 on its host, planned and computed with
    ``priority: prio``."""
    path = _write(tmp_path_factory.mktemp("r62b_prio") / "units.gpkg", prio=[2, 1])
    return plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True,
                             priority="prio")


# --- priority: the higher drawn on top --------------------------------------------------------


def test_a_unit_map_with_priority_draws_the_higher_on_top(
        by_priority: tuple[dict[str, Any], list[str]]) -> None:
    """Before: ``priority: prio`` was refused ("Extra inputs are not permitted"), and the
    host, later in the file, took every cell: no contact at all. Now the inclusion (prio 2)
    takes its 100 cells in every chunk, and the contact is its edge, measured exactly.
    SYNTHETIC map."""
    out, warned = by_priority
    codes = out["geology"][1]
    np.testing.assert_array_equal(codes, np.where(_inclusion_cells(), 1, 0))
    assert int((codes == 1).sum()) == 100
    np.testing.assert_array_equal(out["geology_dist_contact"][1], _contact_to(INCLUSION))
    assert _said(warned, "so it has no contact") == [], warned


def test_the_overlap_warning_names_the_unit_taking_it_by_priority(
        by_priority: tuple[dict[str, Any], list[str]]) -> None:
    """Now the overlap warning names the unit that takes the overlap by its priority, and
    advises cleaning only where the overlap is not by design. SYNTHETIC map."""
    said = _said(by_priority[1], "overlap over half a cell")
    assert len(said) == 1, by_priority[1]
    assert "(e.g. 'A' and 'B', over 100 cells: 'B', of the higher 'prio' (2 over 1), takes " \
        "them)" in said[0], said[0]
    assert "the unit of the feature of the higher 'prio' (ties: later in the file)" in said[0]
    assert "where they are not meant to overlap, clean the map's topology" in said[0]


def test_priority_enters_the_layers_settings_and_cache_key(
        by_priority: tuple[dict[str, Any], list[str]]) -> None:
    """The order is in both layers' settings (and so their provenance and fingerprint): a
    cube built without it is not taken for one built with it. SYNTHETIC map."""
    out, _ = by_priority
    for name in ("geology", "geology_dist_contact"):
        layer = out[name][0]
        assert layer.settings["priority"] == "prio (higher drawn on top, ties in file order)"
        assert layer.priority == "prio"
        assert "prio (higher drawn on top" in layer.attrs()["provenance"]


@pytest.mark.parametrize(("prio", "codes", "takes"), [
    ([1, 1], "A", "'A', of the same 'prio' 1 and later in the file, takes them"),
    ([2.0, None], "B", "'B', of the higher 'prio' (2 over none), takes them"),
], ids=["tie-in-file-order", "missing-under-all"])
def test_priority_ties_keep_file_order_and_missing_values_lie_under(
        tmp_path: Path, prio: list[Any], codes: str, takes: str) -> None:
    """Equal priorities are drawn in file order (the host, later, on top: the inclusion
    hidden, said so by its priority), and a feature without a value lies under every other.
    Before: the key was refused. SYNTHETIC maps."""
    path = _write(tmp_path / "units.gpkg", prio=prio)
    out, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True,
                                    priority="prio")
    expected = np.where(_inclusion_cells(), 1, 0) if codes == "B" else np.zeros((40, 40))
    np.testing.assert_array_equal(out["geology"][1], expected)
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and takes in said[0], warned
    if codes == "A":
        hidden = _said(warned, "so it has no contact")
        assert len(hidden) == 1, warned
        assert "'B' lies wholly under features of other units drawn over them by 'prio'" \
            in hidden[0], hidden[0]


def test_a_flatgeobuf_stored_in_its_index_order_is_drawn_by_priority(tmp_path: Path) -> None:
    """A map written host first, inclusion after it (the inclusion on top), converted to
    FlatGeobuf: GDAL writes its spatial index by default and stores the features in
    Hilbert order, the inclusion first, so by file order the host took every cell.
    ``priority`` (2 on the inclusion) draws it on top whatever order the file keeps.
    Before: the key was refused. SYNTHETIC map."""
    inclusion = shapely.box(X0 + 200, Y0 + 200, X0 + 300, Y0 + 300)
    path = tmp_path / "units.fgb"
    gpd.GeoDataFrame({"unit": ["A", "B"], "prio": [1, 2]}, geometry=[HOST, inclusion],
                     crs="EPSG:32619").to_file(path)
    assert pyogrio.read_dataframe(path)["unit"].tolist() == ["B", "A"]  # (Hilbert order)
    out, _ = plan_vector_cells(path, TINY, attribute="unit", priority="prio")
    xx, yy = np.meshgrid(XS, YS)
    np.testing.assert_array_equal(out["geology"][1],
                                  np.where(shapely.contains_xy(inclusion, xx, yy), 1, 0))


def test_a_priority_naming_no_column_is_refused_naming_the_columns(tmp_path: Path) -> None:
    """``priority: Prio`` for a column ``prio``: refused at planning naming the key, the
    columns and the near one, before anything is rasterised. SYNTHETIC map."""
    from prospect.config.sources import VectorSource
    from prospect.ingest.geology import plan_vector

    path = _write(tmp_path / "units.gpkg", prio=[2, 1])
    source = VectorSource(name="geology", path=str(path), attribute="unit", priority="Prio")
    with pytest.raises(DataError) as caught:
        plan_vector(source, TINY)
    text = str(caught.value)
    assert f"{path}: no column 'Prio' to draw the units in the order of ('priority'); " \
        "columns are ['unit', 'prio']" in text, text
    assert "'prio'" in text.split("columns are")[1]


@pytest.mark.parametrize("values", [["2", "10"], [True, False]], ids=["text", "yes-no"])
def test_a_priority_column_not_of_numbers_is_refused(tmp_path: Path, values: list[Any]
                                                     ) -> None:
    """A priority of text ('10' sorts before '2') or yes/no: refused naming the column,
    its type and the fix, not drawn in an order the numbers do not say. SYNTHETIC map."""
    from prospect.config.sources import VectorSource
    from prospect.ingest.geology import plan_vector

    path = _write(tmp_path / "units.gpkg", prio=values)
    source = VectorSource(name="geology", path=str(path), attribute="unit", priority="prio")
    with pytest.raises(DataError) as caught:
        plan_vector(source, TINY)
    text = str(caught.value)
    assert f"{path}: column 'prio' ('priority') holds " in text, text
    assert "not numbers; the units are drawn in the order of its numbers (higher on top): " \
        "give a column of numbers (an Integer or Real field)" in text, text


def test_a_priority_of_a_faults_only_source_is_refused_at_load() -> None:
    """``priority`` beside ``faults_layer`` alone orders nothing: refused when the config
    loads, naming the keys that make a unit layer."""
    from pydantic import ValidationError

    from prospect.config.sources import VectorSource

    with pytest.raises(ValidationError) as caught:
        VectorSource(name="geology", path="units.gpkg", faults_layer="faults",
                     priority="prio")
    assert "'priority' 'prio' orders the unit polygons where they overlap, but no unit " \
        "layer is made ('faults_layer' alone)" in str(caught.value)


def test_control_a_map_without_priority_is_drawn_in_file_order(tmp_path: Path) -> None:
    """Control: without the key the host, later in the file, takes every cell, as before:
    the same codes, no priority in the settings, the overlap said by file order. SYNTHETIC
    map."""
    path = _write(tmp_path / "units.gpkg", prio=[2, 1])
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], np.zeros((40, 40)))
    layer = out["geology"][0]
    assert "priority" not in layer.settings and "prio" not in layer.attrs()["provenance"]
    said = _said(warned, "overlap over half a cell")
    assert len(said) == 1 and "'A', later in the file, takes them" in said[0], warned


def test_control_an_inclusion_later_in_the_file_keeps_its_contact(tmp_path: Path) -> None:
    """Control: host first, inclusion after it, no ``priority``: the inclusion's edge is
    the contact, measured as before. SYNTHETIC map."""
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame({"unit": ["A", "B"]}, geometry=[HOST, INCLUSION],
                     crs="EPSG:32619").to_file(path)
    out, _ = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    np.testing.assert_array_equal(out["geology"][1], np.where(_inclusion_cells(), 1, 0))
    np.testing.assert_array_equal(out["geology_dist_contact"][1], _contact_to(INCLUSION))


# --- measured geometries (MultiPolygon M, ZM) ------------------------------------------------

_WKT = ("unit,WKT\n"
        'A,"MULTIPOLYGON ZM (((499950 1349950 5 1,500450 1349950 5 2,500450 1350450 5 3,'
        '499950 1350450 5 4,499950 1349950 5 1)))"\n'
        'B,"MULTIPOLYGON ZM (((500100 1350100 7 1,500200 1350100 7 2,500200 1350200 7 3,'
        '500100 1350200 7 4,500100 1350100 7 1)))"\n')
"""A SYNTHETIC map of measured multipolygons: the host, then the inclusion over it."""


@pytest.mark.parametrize(("name", "dim"), [("m.gpkg", "XYM"), ("zm.shp", "XYZM")],
                         ids=["geopackage-xym", "shapefile-xyzm"])
def test_control_measured_multipolygons_are_read_as_their_polygons(
        tmp_path: Path, name: str, dim: str) -> None:
    """Control (round 61b's unprobed item): MultiPolygon M and ZM as ``ogr2ogr -dim``
    writes them are read as their plain polygons, with the same codes and contacts as the
    XY map and no word of the M values. SYNTHETIC map written with GDAL's ogr2ogr."""
    ogr2ogr = shutil.which("ogr2ogr")
    if ogr2ogr is None:
        pytest.skip("GDAL's ogr2ogr is not installed")
    (tmp_path / "units.csv").write_text(_WKT)
    path = tmp_path / name
    subprocess.run([ogr2ogr, path, tmp_path / "units.csv", "-a_srs", "EPSG:32619",
                    "-nlt", "MULTIPOLYGONZM", "-dim", dim, "-oo", "GEOM_POSSIBLE_NAMES=WKT",
                    "-oo", "KEEP_GEOM_COLUMNS=NO"], check=True, capture_output=True)
    out, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    np.testing.assert_array_equal(out["geology"][1], np.where(_inclusion_cells(), 1, 0))
    np.testing.assert_array_equal(out["geology_dist_contact"][1], _contact_to(INCLUSION))
    assert not [w for w in warned if "Measured" in w or " M " in w], warned


# --- a shipped outline in a config folder without outlines/ -----------------------------------


def _configs_without_outlines(root: Path) -> Path:
    """A SYNTHETIC copy of the shipped configs' ``regions/`` (saba) and ``sensors/``, no
    ``outlines/``."""
    (root / "regions").mkdir(parents=True)
    shutil.copy(REPO / "configs" / "regions" / "saba.yaml", root / "regions")
    shutil.copytree(REPO / "configs" / "sensors", root / "sensors")
    return root


def test_a_mask_outline_in_a_config_folder_without_outlines_says_so(
        cli: Any, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNTHETIC tiny job with ``mask: {outline: saba}``, ``$PROSPECT_CONFIG_DIR`` holding
    ``regions/`` and ``sensors/``. Before: "no shipped outline 'saba'; shipped outlines: ;
    or give a file with 'path'" (an empty list, the variable unsaid)."""
    cfg = _configs_without_outlines(tmp_path / "cfg")
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(cfg))
    sandbox.write_job(yaml.safe_dump(sandbox.job(mask={"outline": "saba"}), sort_keys=False))
    line = assert_clean_error(
        cli("plan", sandbox.job_path), 2, "key 'mask.outline'", "no shipped outline 'saba'; ",
        f"PROSPECT_CONFIG_DIR='{cfg}' has no outlines/ folder (it holds regions/, sensors/), "
        "so no outline is shipped there: copy the repository's configs/outlines/ into it",
        "or give a file with 'path'")
    assert "shipped outlines: ;" not in line, line
    assert sandbox.untouched()


def test_a_regions_default_outline_in_a_config_folder_without_outlines_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mask's default, the job's shipped region's outline, read the same way at
    planning. Before: "no shipped outline 'saba'; shipped outlines: ; or give 'mask.path'".
    SYNTHETIC config folder."""
    from prospect.config.mask import MaskConfig
    from prospect.ingest.mask import job_outline

    cfg = _configs_without_outlines(tmp_path / "cfg")
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(cfg))
    with pytest.raises(ConfigError) as caught:
        job_outline(MaskConfig(), TINY, region="saba")
    text = str(caught.value)
    assert text.startswith(f"no shipped outline 'saba'; PROSPECT_CONFIG_DIR='{cfg}' has no "
                           "outlines/ folder"), text
    assert "or give 'mask.path' (a vector file with the land polygons)" in text


def test_control_an_unknown_outline_still_lists_the_shipped_ones() -> None:
    """Control: with the shipped configs, an unknown outline lists the shipped ones, as
    before."""
    from pydantic import ValidationError

    from prospect.config.mask import MaskConfig

    with pytest.raises(ValidationError) as caught:
        MaskConfig(outline="atlantis")
    assert "no shipped outline 'atlantis'; shipped outlines: aruba, " in str(caught.value)
