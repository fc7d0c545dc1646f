"""A zipped GeoPackage or GeoJSON named by its archive alone, and an archive of several
Shapefiles named alone whose refusal left the second ``.shp`` out (round 61).

Round 60 read a zipped Shapefile named ``zip://bc.zip`` or ``/vsizip/bc.zip``, and left
the rest of the class: a GeoPackage or a GeoJSON zipped beside its README (or a QGIS
``.qmd``, as a layer exported from QGIS comes), named alone, was still refused at load as
"the archive ... holds README.txt, geology.gpkg; name the file inside", though the plain
archive path reads that dataset; and an archive of two Shapefiles named alone was refused
listing its first 8 files, so ``east.cpg, east.dbf, ... west.prj, ... (10 files)`` left
``west.shp``, one of the two datasets to choose from, unsaid. And a GeoPackage whose
style QGIS saved in it ("Save style in database" writes a ``layer_styles`` table) was
refused as a file of two layers, as a unit map, a fault extent or a mask outline. Found by
naming such archives and files in a ``prospect plan`` config and in a vector source
(2026-12-07). The maps are small and SYNTHETIC, over the tiny region in UTM 19N.
"""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from .conftest import TINY_REGION, Sandbox, assert_clean_error, plan_vector_cells
from .test_vectors_round56 import TINY, WEST, X0, XS, Y0, Y1, _area, _faults

EAST = (X0 + 200, Y0 - 100, X0 + 500, Y1 + 100)
"""A SYNTHETIC second sheet: the region's east half (and past it)."""


def _units(path: Path, **kw: Any) -> Path:
    """A SYNTHETIC unit map: 'granite' over the region's west half, 'schist' the east."""
    gpd.GeoDataFrame({"unit": ["granite", "schist"]},
                     geometry=[shapely.box(*WEST), shapely.box(*EAST)],
                     crs="EPSG:32619").to_file(path, **kw)
    return path


def _zipped(archive: Path, files: list[Path]) -> Path:
    """``files`` zipped flat into ``archive``, as a survey ships a map with its README."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in files:
            zf.write(part, part.name)
    return archive


def _shipped(folder: Path, dataset: Path) -> list[Path]:
    """``dataset`` with a README and a QGIS metadata file (``.qmd``) beside it."""
    readme = folder / "README.txt"
    readme.write_text("SYNTHETIC geology map; units in column 'unit'.\n")
    qmd = folder / f"{dataset.stem}.qmd"
    qmd.write_text("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                   "<qgis version=\"3.34\"><identifier>SYNTHETIC</identifier></qgis>\n")
    return [readme, dataset, qmd]


# --- a zipped GeoPackage or GeoJSON named by its archive alone ---------------------------


@pytest.mark.parametrize("form", ["zip://{}", "/vsizip/{}"])
@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_a_zipped_map_beside_its_readme_named_by_its_archive_alone_is_read(
    tmp_path: Path, form: str, suffix: str
) -> None:
    """Before: the config refused ``zip://geology.zip`` (and ``/vsizip/geology.zip``) of
    a GeoPackage or GeoJSON zipped with a README and a QGIS ``.qmd`` as "the archive ...
    holds README.txt, geology.gpkg, geology.qmd; name the file inside". Now the archive's
    one dataset is read: the same unit codes, cell for cell, and the same code table as
    the file itself, the archive's member as the input. SYNTHETIC unit map."""
    folder = tmp_path / "export"
    folder.mkdir()
    dataset = _units(folder / f"geology{suffix}")
    archive = _zipped(tmp_path / "geology.zip", _shipped(folder, dataset))
    zipped, _ = plan_vector_cells(form.format(archive), TINY, attribute="unit")
    plain, _ = plan_vector_cells(dataset, TINY, attribute="unit")
    layer, cells = zipped["geology"]
    assert layer.inputs == (f"/vsizip/{archive}/geology{suffix}",)
    np.testing.assert_array_equal(cells, plain["geology"][1])
    assert layer.extra_attrs()["categories"] == plain["geology"][0].extra_attrs()["categories"]
    assert len(np.unique(cells[:, XS <= X0 + 200])) == 1
    assert len(np.unique(cells)) == 2


def test_a_zipped_filegdb_beside_its_readme_named_by_its_archive_alone_is_read(
    tmp_path: Path,
) -> None:
    """Before: a FileGDB folder zipped with a README (``geo.gdb/...``, ``README.txt``)
    named ``zip://geo.zip`` was refused as "the archive ... holds README.txt,
    geo.gdb/a00000001.gdbtable, ...; name the file inside" (a FileGDB is a folder: no file
    of the archive reads it). Now the folder is read, the same cells as the FileGDB
    itself. SYNTHETIC unit map."""
    gdb = _units(tmp_path / "geo.gdb", driver="OpenFileGDB", layer="units")
    readme = tmp_path / "README.txt"
    readme.write_text("SYNTHETIC\n")
    archive = tmp_path / "geo.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(readme, readme.name)
        for part in sorted(gdb.iterdir()):
            zf.write(part, f"geo.gdb/{part.name}")
    zipped, _ = plan_vector_cells(f"zip://{archive}", TINY, attribute="unit", layer="units")
    plain, _ = plan_vector_cells(gdb, TINY, attribute="unit", layer="units")
    assert zipped["geology"][0].inputs == (f"/vsizip/{archive}/geo.gdb",)
    np.testing.assert_array_equal(zipped["geology"][1], plain["geology"][1])
    assert len(np.unique(zipped["geology"][1])) == 2


def test_a_zipped_geojson_outline_named_by_its_archive_alone_masks_the_job(
    sandbox: Sandbox, cli: Any
) -> None:
    """A real ``prospect plan`` whose ``mask.path`` is ``zip://outline.zip`` (a GeoJSON
    outline zipped with a README, as Natural Earth-like downloads come): exit 0, nothing
    written outside the output. Before: exit 2, "name the file inside". SYNTHETIC
    outline (the tiny region's west half, in lon/lat)."""
    folder = sandbox.root / "dl"
    folder.mkdir()
    outline = folder / "outline.geojson"
    gpd.GeoDataFrame({"name": ["west"]}, geometry=[shapely.box(*WEST)],
                     crs="EPSG:32619").to_crs("EPSG:4326").to_file(outline)
    (folder / "README.txt").write_text("SYNTHETIC outline\n")
    _zipped(sandbox.root / "outline.zip", [folder / "README.txt", outline])
    sandbox.write_job(region=dict(TINY_REGION), mask={"path": "zip://outline.zip"})
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert "Traceback" not in result.out + result.err
    assert "name the file inside" not in result.out + result.err
    assert sandbox.untouched()


# --- an archive of several Shapefiles named alone -----------------------------------------


def _two_shapefiles(root: Path) -> Path:
    """A SYNTHETIC zip of two Shapefiles (``east``, ``west``: 5 files each, with the
    ``.cpg`` that QGIS and pyogrio write), so that its first 8 files end at ``west.prj``."""
    folder = root / "maps"
    folder.mkdir()
    for name, box in (("west", WEST), ("east", EAST)):
        gpd.GeoDataFrame({"unit": [name]}, geometry=[shapely.box(*box)],
                         crs="EPSG:32619").to_file(folder / f"{name}.shp")
    return _zipped(root / "maps.zip", sorted(folder.iterdir()))


def test_an_archive_of_two_shapefiles_named_alone_names_both_datasets(
    sandbox: Sandbox, cli: Any
) -> None:
    """Before: exit 2, "the archive ... holds east.cpg, east.dbf, east.prj, east.shp,
    east.shx, west.cpg, west.dbf, west.prj, ... (10 files); name the file inside":
    ``west.shp``, one of the two maps to choose from, was not said. Now the refusal names
    the archive's datasets (``east.shp, west.shp``) and a path that reads one. SYNTHETIC
    maps."""
    _two_shapefiles(sandbox.root)
    source = {"kind": "vector", "name": "geo", "path": "zip://maps.zip", "attribute": "unit"}
    sandbox.write_job(region=dict(TINY_REGION), sources=[source])
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "maps.zip", "2 vector datasets (east.shp, west.shp)",
                       "among its 10 files", "name the file inside",
                       "/vsizip/maps.zip/east.shp")
    assert sandbox.untouched()


def test_the_path_the_refusal_names_reads_that_shapefile(tmp_path: Path) -> None:
    """The path the refusal of the two-Shapefile archive offers
    (``/vsizip/maps.zip/east.shp``) reads the east map alone; the archive named alone is
    refused with ``west.shp`` in the words (before: not said). SYNTHETIC maps."""
    from prospect.config.vsi import gdal_name

    archive = _two_shapefiles(tmp_path)
    with pytest.raises(ValueError) as caught:
        gdal_name("/vsizip/maps.zip", tmp_path)
    said = str(caught.value)
    assert "east.shp, west.shp" in said and "/vsizip/maps.zip/east.shp" in said, said
    out, _ = plan_vector_cells(f"/vsizip/{archive}/east.shp", TINY, attribute="unit")
    cells = out["geology"][1]
    assert (cells[:, XS > X0 + 200] >= 0).all()
    assert (cells[:, XS <= X0 + 200] < 0).all()


# --- a GeoPackage styled in QGIS ------------------------------------------------------------


def _styled(path: Path, layer: str) -> Path:
    """``path`` with the ``layer_styles`` table QGIS writes into a GeoPackage when a
    layer's style is saved in it ("Save style in database"; QGIS 3's DDL), one style row
    for ``layer``. SYNTHETIC style."""
    with sqlite3.connect(path) as con:
        con.executescript(
            "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
            "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
            "update_time DATETIME DEFAULT CURRENT_TIMESTAMP);"
            "INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES "
            "('layer_styles', 'attributes', 'layer_styles');")
        con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                    "f_table_name, f_geometry_column, styleName, styleQML, useAsDefault) "
                    "VALUES ('', '', ?, 'geom', ?, '<qgis/>', 1)", (layer, layer))
    con.close()
    return path


def test_a_unit_map_styled_in_qgis_is_read_as_its_one_layer(tmp_path: Path) -> None:
    """Before: a GeoPackage of one unit layer whose style was saved in it by QGIS was
    refused as "holds 2 layers (units, layer_styles): 'units' (2 polygons),
    'layer_styles' (1 row without geometry); name the one to read with 'layer:'". Now
    the one map layer is read: the same cells and code table as the file without the
    style. SYNTHETIC unit map and style."""
    styled = _styled(_units(tmp_path / "styled.gpkg", layer="units"), "units")
    plain = _units(tmp_path / "plain.gpkg", layer="units")
    out, warned = plan_vector_cells(styled, TINY, attribute="unit")
    before, _ = plan_vector_cells(plain, TINY, attribute="unit")
    np.testing.assert_array_equal(out["geology"][1], before["geology"][1])
    assert out["geology"][0].extra_attrs()["categories"] == \
        before["geology"][0].extra_attrs()["categories"]
    assert not any("layer_styles" in w for w in warned), warned


def test_a_faults_extent_styled_in_qgis_is_read_as_its_one_layer(tmp_path: Path) -> None:
    """Before: a sheet outline GeoPackage styled in QGIS given as ``faults_extent`` was
    refused as "holds 2 layers (styled, layer_styles); name the one of the mapped area
    with 'faults_extent_layer:'". Now its one layer is the extent: the same cells as the
    unstyled sheet. SYNTHETIC faults, sheet and style."""
    faults = _faults(tmp_path / "faults.gpkg")
    sheet = _area(tmp_path / "sheet.gpkg", [shapely.box(*WEST)])
    styled = _styled(_area(tmp_path / "styled.gpkg", [shapely.box(*WEST)]), "styled")
    out, _ = plan_vector_cells(faults, TINY, faults_layer="faults", faults_extent=str(styled))
    plain, _ = plan_vector_cells(faults, TINY, faults_layer="faults", faults_extent=str(sheet))
    cells = out["geology_dist_fault"][1]
    np.testing.assert_array_equal(cells, plain["geology_dist_fault"][1])
    assert np.isnan(cells[:, XS > X0 + 200]).all()


def test_an_outline_styled_in_qgis_masks_the_job(sandbox: Sandbox, cli: Any) -> None:
    """A real ``prospect plan`` whose ``mask.path`` is an outline GeoPackage styled in
    QGIS: exit 0. Before: refused, "holds 2 layers (outline, layer_styles) ... name the
    one to read with 'layer:'". SYNTHETIC outline (the region's west half, lon/lat)."""
    path = sandbox.root / "outline.gpkg"
    gpd.GeoDataFrame({"name": ["west"]}, geometry=[shapely.box(*WEST)],
                     crs="EPSG:32619").to_crs("EPSG:4326").to_file(path, layer="outline")
    _styled(path, "outline")
    sandbox.write_job(region=dict(TINY_REGION), mask={"path": "outline.gpkg"})
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert "Traceback" not in result.out + result.err
    assert sandbox.untouched()


# --- controls -----------------------------------------------------------------------------


def test_control_a_raster_archive_named_alone_is_refused_with_its_files(
    tmp_path: Path,
) -> None:
    """Control: an archive of a GeoTIFF and its README named alone is refused as before,
    listing its files (a raster's words: no vector dataset is taken for it). SYNTHETIC
    files (a raster's bytes are not read here)."""
    from prospect.config.vsi import gdal_name

    (tmp_path / "heat.tif").write_bytes(b"II*\x00SYNTHETIC")
    (tmp_path / "README.txt").write_text("SYNTHETIC\n")
    _zipped(tmp_path / "heat.zip", [tmp_path / "README.txt", tmp_path / "heat.tif"])
    with pytest.raises(ValueError) as caught:
        gdal_name("zip://heat.zip", tmp_path)
    assert str(caught.value) == (
        f"the archive {tmp_path / 'heat.zip'} holds README.txt, heat.tif; name the file "
        "inside: /vsizip/heat.zip/<file>")


def test_control_a_raster_beside_a_json_named_alone_is_not_read_at_the_json(
    tmp_path: Path,
) -> None:
    """Control: a GeoTIFF zipped with its JSON metadata (``heat.json``, a vector suffix)
    named alone is refused as before, not read at the ``.json``. SYNTHETIC files."""
    from prospect.config.vsi import gdal_name

    (tmp_path / "heat.tif").write_bytes(b"II*\x00SYNTHETIC")
    (tmp_path / "heat.json").write_text('{"synthetic": true}\n')
    _zipped(tmp_path / "heat.zip", [tmp_path / "heat.json", tmp_path / "heat.tif"])
    with pytest.raises(ValueError) as caught:
        gdal_name("/vsizip/heat.zip", tmp_path)
    assert "holds heat.json, heat.tif; name the file inside" in str(caught.value)


def test_control_a_zipped_geopackage_named_with_its_member_is_read_as_before(
    tmp_path: Path,
) -> None:
    """Control: the zipped GeoPackage named with its member
    (``/vsizip/geology.zip/geology.gpkg``) reads as before, the same cells as the file.
    SYNTHETIC unit map."""
    folder = tmp_path / "export"
    folder.mkdir()
    dataset = _units(folder / "geology.gpkg")
    archive = _zipped(tmp_path / "geology.zip", _shipped(folder, dataset))
    zipped, _ = plan_vector_cells(f"/vsizip/{archive}/geology.gpkg", TINY, attribute="unit")
    plain, _ = plan_vector_cells(dataset, TINY, attribute="unit")
    assert zipped["geology"][0].inputs == (f"/vsizip/{archive}/geology.gpkg",)
    np.testing.assert_array_equal(zipped["geology"][1], plain["geology"][1])


def test_control_a_styled_geopackage_of_two_maps_still_asks_for_the_layer(
    tmp_path: Path,
) -> None:
    """Control: a GeoPackage of two map layers (units, faults) and QGIS's style table,
    named without ``layer:``, is refused as before, naming its layers and the key.
    SYNTHETIC map and style."""
    from prospect.errors import ProspectError

    path = _units(tmp_path / "survey.gpkg", layer="units")
    _faults(path)
    _styled(path, "units")
    with pytest.raises(ProspectError) as caught:
        plan_vector_cells(path, TINY, attribute="unit")
    said = " ".join(str(caught.value).split())
    assert "holds 3 layers (units, faults, layer_styles)" in said, said
    assert "name the one to read with 'layer:'" in said, said
