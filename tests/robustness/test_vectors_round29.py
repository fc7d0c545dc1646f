"""Polygons of no area, units a gap apart, `.dbf` language drivers of another script and a
mask's name column in another Unicode form (round 29).

Found by feeding ``plan_vector`` (every chunk of each layer computed) and the outline
reader geology maps and outlines written with geopandas/pyogrio into ``tmp_path``
(2026-12-04): a polygon of no area (a sliver collapsed by an export's rounding) was
repaired to its lines and burnt into the cells of the units it crosses, said as a bow-tie
"read as its pieces"; two units digitised without snapping, 1 mm apart, had no contact
(every distance to a contact no data), without a word; a Shapefile of French names whose
``.dbf`` names Windows-1251 (or DOS 866) by its language driver went into the code table
as ``Brйda``; and ``mask.name_column`` typed composed against a decomposed column of a
file written on a Mac was "no column 'nommé' (did you mean 'nommé'?)". Every file here is
small and SYNTHETIC.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from prospect.errors import DataWarning
from prospect.grid import RegionGrid
from prospect.outlines import read_outline

from .conftest import plan_vector_cells

X0, Y0 = 500000.0, 1350000.0
CRS = "EPSG:32619"
GRID = RegionGrid(
    name="tiny", crs=CRS, resolution=10.0, bounds=(X0, Y0, X0 + 400, Y0 + 400), chunks=(20, 20)
)
"""The robustness corpus's tiny region (40 x 40 cells of 10 m, chunks of 20 x 20)."""


def _planned(path: Path, **source: Any) -> tuple[dict[str, Any], list[str]]:
    """``plan_vector`` of a source on :data:`GRID`: each layer and its computed cells
    (every chunk), and every warning's text."""
    return plan_vector_cells(path, GRID, **source)


def _strips(names: list[str]) -> gpd.GeoDataFrame:
    """SYNTHETIC units: one vertical strip of the grid per name, west to east."""
    width = 400.0 / len(names)
    boxes = [
        shapely.box(X0 + i * width, Y0, X0 + (i + 1) * width, Y0 + 400) for i in range(len(names))
    ]
    return gpd.GeoDataFrame({"unit": names}, geometry=boxes, crs=CRS)


# --- a polygon of no area -------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"])
def test_a_polygon_of_no_area_takes_no_cell(tmp_path: Path, suffix: str) -> None:
    """Before: the polygon (every vertex on one line) was repaired to its lines and burnt
    into 31 cells of units ``a`` and ``b`` as unit ``c``, said as "edges that cross (a
    bow-tie): read as its pieces" and "not polygons (MultiLineString)", exit 0. Now it
    takes no cell (no cell centre lies inside it) and the warning says so."""
    flat = shapely.Polygon(
        [(X0 + 50, Y0 + 5), (X0 + 150, Y0 + 5), (X0 + 350, Y0 + 5), (X0 + 50, Y0 + 5)]
    )
    units = _strips(["a", "b"])
    gdf = gpd.GeoDataFrame({"unit": ["a", "b", "c"]}, geometry=[*units.geometry, flat], crs=CRS)
    path = tmp_path / f"units{suffix}"
    gdf.to_file(path)
    out, said = _planned(path, attribute="unit")
    layer, cells = out["geology"]
    c = layer.codes.index("c")
    assert not (cells == c).any(), int((cells == c).sum())
    assert (cells[:, :20] == layer.codes.index("a")).all()
    assert (cells[:, 20:] == layer.codes.index("b")).all()
    text = " ".join(said)
    assert "feature 3" in text and "a polygon of no area" in text, said
    assert "bow-tie" not in text and "rasterised as the cells they cross" not in text, said


# --- units a gap apart ------------------------------------------------------------------------


def _two_units(path: Path, gap: float, between: float = 0.0, north: bool = False) -> Path:
    """Units ``a`` (west of x0 + 200) and ``b`` (east of it, ``gap`` further), beyond the
    grid north and south; a unit ``dyke`` of width ``between`` between them if not 0; a
    unit ``cover`` north of the grid meeting both if ``north``."""
    a = shapely.box(X0 - 100, Y0 - 100, X0 + 200, Y0 + 500)
    b = shapely.box(X0 + 200 + gap, Y0 - 100, X0 + 500, Y0 + 500)
    names, geoms = ["a", "b"], [a, b]
    if between:
        names.append("dyke")
        geoms.append(shapely.box(X0 + 200, Y0 - 100, X0 + 200 + between, Y0 + 500))
    if north:
        names.append("cover")
        geoms.append(shapely.box(X0 - 100, Y0 + 500, X0 + 500, Y0 + 600))
    gpd.GeoDataFrame({"unit": names}, geometry=geoms, crs=CRS).to_file(path)
    return path


EXPECTED = np.array([45, 35, 25, 15, 5, 5, 15, 25, 35, 45], dtype=np.float32)
"""Distances to the contact at x0 + 200 of the cells of one row around it."""


@pytest.mark.parametrize("gap", [0.001, 0.5, 4.0])
def test_units_a_gap_apart_have_their_contact(tmp_path: Path, gap: float) -> None:
    """Before: both facing boundaries were the map's edge: no contact at all, every
    distance to a contact no data (NaN), exit 0, no word. Now the facing boundaries are
    contacts (distances within the gap of the snapped map's) and a warning names the
    units, how far apart they are and the fix."""
    path = _two_units(tmp_path / "units.gpkg", gap)
    out, said = _planned(path, attribute="unit", distance_to_contacts=True)
    _, cells = out["geology_dist_contact"]
    assert np.isfinite(cells).all(), int(np.isnan(cells).sum())
    np.testing.assert_allclose(cells[20, 15:25], EXPECTED, atol=gap + 1e-3)
    text = " ".join(said)
    assert "do not meet but lie closer than half a cell" in text, said
    assert "'a' and 'b'" in text and "snap" in text, said


@pytest.mark.parametrize("case", ["snapped", "dyke", "wide"])
def test_units_that_meet_or_lie_apart_keep_their_contacts(tmp_path: Path, case: str) -> None:
    """Controls: units that meet, units kept apart by a thin unit between them, and units
    more than half a cell apart (an unmapped strip, both meeting a unit north of the grid)
    read as before, without the warning: a contact on each side of the dyke; none across
    the strip (its cells measure to the contacts 100 m north)."""
    gap, between = {"snapped": (0.0, 0.0), "dyke": (3.0, 3.0), "wide": (12.0, 0.0)}[case]
    path = _two_units(tmp_path / "units.gpkg", gap, between, north=case == "wide")
    out, said = _planned(path, attribute="unit", distance_to_contacts=True)
    _, cells = out["geology_dist_contact"]
    assert not any("do not meet" in s for s in said), said
    if case == "wide":
        assert (cells[:30, 15:25] > 100).all()
    elif case == "snapped":
        np.testing.assert_array_equal(cells[20, 15:25], EXPECTED)
    else:  # contacts at x0 + 200 and x0 + 203
        np.testing.assert_array_equal(cells[20, 15:25], [45, 35, 25, 15, 5, 2, 12, 22, 32, 42])


@pytest.mark.parametrize("units", ["one", "islands"])
def test_contacts_of_a_map_without_any_are_said(tmp_path: Path, units: str) -> None:
    """Before: ``distance_to_contacts`` on a map of one unit, or of units that never meet,
    gave a layer of no data in every cell, exit 0, no word. Now the planning warns,
    naming the units, the layer and the fix (the layer is still made: a region inside one
    unit of a map cut to it is no error)."""
    if units == "one":
        gdf = _strips(["granite"])
    else:
        boxes = [
            shapely.box(X0, Y0, X0 + 100, Y0 + 100),
            shapely.box(X0 + 200, Y0, X0 + 300, Y0 + 100),
        ]
        gdf = gpd.GeoDataFrame({"unit": ["a", "b"]}, geometry=boxes, crs=CRS)
    gdf.to_file(tmp_path / "units.gpkg")
    out, said = _planned(tmp_path / "units.gpkg", attribute="unit", distance_to_contacts=True)
    assert np.isnan(out["geology_dist_contact"][1]).all()
    text = " ".join(said)
    assert ("one unit ('granite')" if units == "one" else "none of which meets") in text, said
    assert "geology_dist_contact is no data in every cell" in text, said


# --- .dbf language drivers of another script ---------------------------------------------------


def _shapefile(folder: Path, names: list[str], encoding: str, ldid: int) -> Path:
    """A Shapefile of :func:`_strips` in ``encoding``, without ``.cpg``, its ``.dbf``'s
    language driver byte set to ``ldid``."""
    folder.mkdir()
    path = folder / "units.shp"
    _strips(names).to_file(path, encoding=encoding)
    (folder / "units.cpg").unlink(missing_ok=True)
    dbf = bytearray((folder / "units.dbf").read_bytes())
    dbf[29] = ldid
    (folder / "units.dbf").write_bytes(bytes(dbf))
    return path


WESTERN = ["Bréda", "Grès rouge", "Schiste"]
VIETNAMESE = ["Đá vôi hệ tầng Bắc Sơn", "Granit phức hệ Phu Si Lung", "Đá phiến sét"]


@pytest.mark.parametrize(("ldid", "page"), [(0xC9, "1251"), (0x26, "866")])
def test_western_text_under_a_language_driver_of_another_script_keeps_its_names(
    tmp_path: Path, ldid: int, page: str
) -> None:
    """Before: GDAL read the ``.dbf`` in the code page its language driver names: the code
    table held ``Brйda`` (``Brщda``), exit 0, no word. Now it is read as Windows-1252
    with a warning naming the language driver, its code page and the ``.cpg`` fix."""
    path = _shapefile(tmp_path / "fr", WESTERN, "latin1", ldid)
    out, said = _planned(path, attribute="unit")
    assert out["geology"][0].codes == tuple(sorted(WESTERN))
    text = " ".join(said)
    assert f"language driver 0x{ldid:02X} names code page {page}" in text, said
    assert "write 1252 in units.cpg" in text, said


def test_vietnamese_text_under_a_language_driver_of_another_script_keeps_its_names(
    tmp_path: Path,
) -> None:
    """Before: Windows-1258 text under a language driver of 1251 was read as Cyrillic
    (``Granit phэмc hкт``), exit 0, no word. Now it is read as Vietnamese, said, and a
    mask picks its features by their names."""
    path = _shapefile(tmp_path / "vn", VIETNAMESE, "cp1258", 0xC9)
    out, said = _planned(path, attribute="unit")
    assert out["geology"][0].codes == tuple(sorted(VIETNAMESE))
    assert any("Vietnamese (Windows-1258)" in s and "code page 1251" in s for s in said), said
    with pytest.warns(DataWarning, match="Vietnamese"):
        land = read_outline(path, names=["Đá phiến sét"], name_column="unit")
    assert not land.is_empty


@pytest.mark.parametrize(
    ("names", "encoding", "ldid"),
    [
        (["Гранит", "Сланец", "Известняк"], "cp1251", 0xC9),
        (["Γρανίτης", "Σχιστόλιθος"], "cp1253", 0xCB),
        (WESTERN, "latin1", 0x57),
    ],
)
def test_text_of_its_language_drivers_own_code_page_reads_as_before(
    tmp_path: Path, names: list[str], encoding: str, ldid: int
) -> None:
    """Controls: Cyrillic under 1251, Greek under 1253 and Western text under the writer's
    Windows code page read as written, without a warning of their text."""
    path = _shapefile(tmp_path / "own", names, encoding, ldid)
    out, said = _planned(path, attribute="unit")
    assert out["geology"][0].codes == tuple(sorted(names))
    assert not any("attribute text" in s for s in said), said


# --- a mask's name column in another Unicode form -----------------------------------------------


def test_a_mask_name_column_in_another_unicode_form_is_found(tmp_path: Path) -> None:
    """Before: ``name_column: pays_nommé`` (composed, as typed) against the column of a
    file written on a Mac (decomposed) was "no column 'pays_nommé' ... (did you mean
    'pays_nommé'?)", which no retyping fixes. Now the column is found."""
    column = unicodedata.normalize("NFD", "pays_nommé")
    gdf = gpd.GeoDataFrame(
        {column: ["Bonaire", "Curaçao"]},
        geometry=[shapely.box(-68.5, 12.0, -68.0, 12.4), shapely.box(-69.2, 12.0, -68.7, 12.4)],
        crs="EPSG:4326",
    )
    gdf.to_file(tmp_path / "land.geojson")
    land = read_outline(tmp_path / "land.geojson", names=["Bonaire"], name_column="pays_nommé")
    assert land.bounds == pytest.approx((-68.5, 12.0, -68.0, 12.4))
    with pytest.raises(Exception, match="no feature named") as caught:
        read_outline(tmp_path / "land.geojson", names=["Aruba"], name_column="pays_nommé")
    assert "no column" not in str(caught.value)


# --- layers named in another Unicode form or case ------------------------------------------------


def test_a_layer_named_in_another_unicode_form_is_read(tmp_path: Path) -> None:
    """Before: ``layer: unités`` (composed, as typed) of a GeoPackage whose layers were
    named after files on a Mac (decomposed) was "no layer 'unités'; layers are ['unités',
    ...]", and so was its ``faults_layer``: no retyping fixes either. Now both are read."""
    path = tmp_path / "map.gpkg"
    _strips(["a", "b"]).to_file(path, layer=unicodedata.normalize("NFD", "unités"))
    fault = gpd.GeoDataFrame(
        {"id": [1]}, geometry=[shapely.LineString([(X0 + 5, Y0), (X0 + 5, Y0 + 400)])], crs=CRS
    )
    fault.to_file(path, layer=unicodedata.normalize("NFD", "failles_cartographiées"))
    out, _ = _planned(path, layer="unités", attribute="unit", faults_layer="failles_cartographiées")
    layer, cells = out["geology"]
    assert layer.codes == ("a", "b")
    assert (cells[:, :20] == 0).all() and (cells[:, 20:] == 1).all()
    _, dist = out["geology_dist_fault"]
    np.testing.assert_array_equal(dist[0, :3], [0, 10, 20])


def test_a_layer_named_in_another_letter_case_is_named(tmp_path: Path) -> None:
    """Before: "no layer 'Units'; layers are ['units', 'faults']" alone. Now the refusal
    also names the layer meant."""
    path = tmp_path / "map.gpkg"
    _strips(["a", "b"]).to_file(path, layer="units")
    _strips(["c"]).to_file(path, layer="faults")
    with pytest.raises(Exception, match=r"no layer 'Units'.*did you mean 'units'\?"):
        _planned(path, layer="Units", attribute="unit")


# --- a layer that lies nowhere in the region -----------------------------------------------------


def test_a_crs_that_replaces_the_files_own_is_named_when_nothing_lies_in_the_region(
    tmp_path: Path,
) -> None:
    """Before: a Shapefile whose ``.prj`` says UTM 19N (right) under ``crs: EPSG:32620``
    (copied from another source) was "no feature ... lies in the region; check the file,
    its CRS or the region bounds" alone. Now the refusal says that under the file's own
    CRS the features lie in the region, and to remove ``crs:``."""
    path = tmp_path / "units.shp"
    _strips(["a", "b"]).to_file(path)
    with pytest.raises(Exception, match="no feature") as caught:
        _planned(path, attribute="unit", crs="EPSG:32620")
    text = " ".join(str(caught.value).split())
    assert "under the CRS the file states (WGS 84 / UTM zone 19N)" in text, text
    assert "remove 'crs:'" in text, text


def test_a_layer_given_another_crs_says_where_it_lies(tmp_path: Path) -> None:
    """Before: a Shapefile of UTM 19N metres without ``.prj``, given ``crs: EPSG:28992``
    (RD New), was "no feature ... lies in the region" alone. Now the refusal says where
    the features lie under that CRS (in Norway) and how far from the region."""
    path = tmp_path / "units.shp"
    _strips(["a", "b"]).to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(Exception, match="no feature") as caught:
        _planned(path, attribute="unit", crs="EPSG:28992")
    text = " ".join(str(caught.value).split())
    assert "x 500000 to 500400, y 1350000 to 1350400 in Amersfoort / RD New" in text, text
    assert "km from the region's centre" in text, text


# --- a Shapefile's spatial index of another version ----------------------------------------------


def _indexed(folder: Path, old: gpd.GeoDataFrame, new: gpd.GeoDataFrame | None) -> Path:
    """A Shapefile of ``old`` with a ``.qix`` made by GDAL, then ``new`` exported elsewhere
    (without an index) and its files copied over ``old``'s (the ``.qix`` stays)."""
    import shutil
    import subprocess

    folder.mkdir()
    old.to_file(folder / "units.shp")
    subprocess.run(
        ["ogrinfo", "-q", "-sql", "CREATE SPATIAL INDEX ON units", str(folder / "units.shp")],
        check=True,
        capture_output=True,
    )
    assert (folder / "units.qix").is_file()
    if new is not None:
        (folder / "export").mkdir()
        new.to_file(folder / "export" / "units.shp")
        for part in (folder / "export").iterdir():
            shutil.copy(part, folder / part.name)
    return folder / "units.shp"


def _moved() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The same two features, ``b`` north of the grid in the old version and in its east
    half in the new one."""
    a = shapely.box(X0, Y0, X0 + 200, Y0 + 400)
    old = [a, shapely.box(X0 + 200, Y0 + 1000, X0 + 400, Y0 + 1400)]
    new = [a, shapely.box(X0 + 200, Y0, X0 + 400, Y0 + 400)]
    return (
        gpd.GeoDataFrame({"unit": ["a", "b"]}, geometry=old, crs=CRS),
        gpd.GeoDataFrame({"unit": ["a", "b"]}, geometry=new, crs=CRS),
    )


@pytest.mark.parametrize("change", ["more features", "features moved"])
def test_a_spatial_index_of_another_version_is_not_used(tmp_path: Path, change: str) -> None:
    """Before: GDAL filtered each chunk's box by the ``.qix`` of the earlier export, which
    does not hold the new features (or holds them where they were): half the map was no
    data (-1), exit 0, no word. Now the index is not used (each read scans the file), every
    unit has its cells, and a warning names the index, why it is not the file's and the fix."""
    if change == "more features":
        old, new = _strips(["a", "b"]), _strips(["a", "b", "c", "d"])
    else:
        old, new = _moved()
    path = _indexed(tmp_path / "shp", old, new)
    out, said = _planned(path, attribute="unit")
    layer, cells = out["geology"]
    width = 40 // len(new)
    for i, unit in enumerate(new["unit"]):
        assert (cells[:, i * width : (i + 1) * width] == layer.codes.index(unit)).all(), unit
    text = " ".join(said)
    assert "its spatial index units.qix" in text and "delete units.qix" in text, said


def test_a_spatial_index_of_its_own_shapefile_is_used_without_a_word(tmp_path: Path) -> None:
    """Control: a ``.qix`` GDAL made of the Shapefile itself reads as before, unwarned."""
    path = _indexed(tmp_path / "shp", _strips(["a", "b", "c", "d"]), None)
    out, said = _planned(path, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("a", "b", "c", "d")
    assert (cells[:, :10] == 0).all() and (cells[:, 30:] == 3).all()
    assert not any("spatial index" in s for s in said), said


# --- a .shp shorter than its .shx says ------------------------------------------------------------


@pytest.mark.parametrize("damage", ["cut short", "shx of another version"])
def test_a_shp_shorter_than_its_shx_says_is_named(tmp_path: Path, damage: str) -> None:
    """Before: "cannot read layer None: Error in fread() reading object of size 136 at
    offset 508 from .shp file", which names neither the cause nor the fix. Now the refusal
    names both files, the sizes and the fix."""
    import shutil

    path = tmp_path / "units.shp"
    _strips(["a", "b", "c", "d"]).to_file(path)
    if damage == "cut short":
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
    else:  # the .shx of an export whose shapes have one vertex more
        (tmp_path / "other").mkdir()
        other = _strips(["a", "b", "c", "d"])
        other.geometry = [
            shapely.Polygon([*p.exterior.coords[:-1], (p.bounds[0] + 1, p.bounds[1] + 1)])
            for p in other.geometry
        ]
        other.to_file(tmp_path / "other" / "units.shp")
        shutil.copy(tmp_path / "other" / "units.shx", tmp_path / "units.shx")
    with pytest.raises(Exception, match=r"units\.shx places shapes up to byte") as caught:
        _planned(path, attribute="unit")
    assert "cut short" in str(caught.value) and "copy every file" in str(caught.value)


def test_a_faults_layer_asked_of_a_file_of_one_layer_says_how_to_give_it(
    tmp_path: Path,
) -> None:
    """Before: ``faults_layer: faults`` on a Shapefile of units (its faults in another
    Shapefile) was "no faults layer 'faults'; layers are ['units']" alone. Now the refusal
    says that such a file holds the units alone and how to give the faults' file."""
    _strips(["a", "b"]).to_file(tmp_path / "units.shp")
    with pytest.raises(Exception, match="no faults layer 'faults'") as caught:
        _planned(tmp_path / "units.shp", attribute="unit", faults_layer="faults")
    assert "give the faults' own file as a source of its own" in str(caught.value)
