"""A table of points zipped beside its README, a GeoPackage table of samples styled in
QGIS, and a column named by the alias QGIS shows (the mask's ``name_column``, a points
source's ``columns``) (round 62).

Round 61 read a zipped map beside its README named by the archive alone and a unit map
styled in QGIS at its one layer, and round 61b told a unit column named by its
GeoPackage alias which column that is; each left the points reader and the mask's
outline as they were. A CSV of wells zipped with its ``README.txt`` was refused named by
the archive (``wells.zip``: "the archive holds 2 tables (wells.csv, README.txt)";
``zip://wells.zip``: "name the file inside"); a GeoPackage table of samples whose style
QGIS saved in it was "holds no geometries (a table of attributes only; layers: samples,
layer_styles)"; ``mask.name_column: Naam`` or ``columns: [Lithium]``, the headers QGIS
shows, were "no column" without saying which column they are. Found by probing the left
items of rounds 61/61b (2026-12-07). SYNTHETIC tables, outlines and styles.
"""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from .test_vectors_round56 import WEST
from .test_vectors_round61 import _styled

WELLS = "lon,lat,li\n-68.99,12.21,1.5\n-68.98,12.20,2.5\n"
"""A SYNTHETIC table of two wells on Curacao (UTM 19N) with lithium in mg/L."""
README = "SYNTHETIC wells of a survey; lithium in column 'li' (mg/L).\n"


def _zip(archive: Path, files: dict[str, str]) -> Path:
    """``files`` (name -> text) zipped flat into ``archive``, as a table is sent with its
    README. SYNTHETIC."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return archive


def _read(path: Path | str) -> Any:
    from prospect.io.points import read_points

    return read_points(path, columns=["li"], to_crs="EPSG:32619")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The wells table read from the CSV itself: the values every other form must give."""
    path = tmp_path_factory.mktemp("r62_plain") / "wells.csv"
    path.write_text(WELLS)
    return _read(path)


def _same(table: Any, plain: Any) -> None:
    np.testing.assert_array_equal(table.x, plain.x)
    np.testing.assert_array_equal(table.y, plain.y)
    np.testing.assert_array_equal(table.values["li"], [1.5, 2.5])


# --- a table of points zipped beside its README ---------------------------------------------


@pytest.mark.parametrize("form", ["{}", "zip://{}", "/vsizip/{}"],
                         ids=["plain", "zip-scheme", "vsizip"])
def test_a_csv_zipped_beside_its_readme_named_by_the_archive_is_read(
        tmp_path: Path, plain: Any, form: str) -> None:
    """Before: ``wells.zip`` (a CSV and its ``README.txt``) was "the archive holds 2 tables
    (wells.csv, README.txt); name the one to read with 'layer:'", and ``zip://wells.zip``
    or ``/vsizip/wells.zip`` in a config "the archive ... holds README.txt, wells.csv;
    name the file inside". Now each is read at the table: the values of the CSV itself.
    SYNTHETIC wells."""
    from prospect.config.vsi import gdal_name, is_gdal_name

    _zip(tmp_path / "wells.zip", {"wells.csv": WELLS, "README.txt": README})
    written = form.format("wells.zip")
    path = gdal_name(written, tmp_path) if is_gdal_name(written) else tmp_path / written
    _same(_read(path), plain)


# --- a GeoPackage table of samples styled in QGIS -------------------------------------------


def test_a_geopackage_table_of_samples_styled_in_qgis_is_read(
        tmp_path: Path, plain: Any) -> None:
    """Before: a GeoPackage attribute table of samples (``lon``, ``lat``, ``li``) whose
    style QGIS saved in it was refused as "layer samples holds no geometries (a table of
    attributes only; layers: samples, layer_styles); give the layer of the features with
    'layer:'", though it is the file's one table. Now it is read: the CSV's values.
    SYNTHETIC samples and style."""
    path = tmp_path / "samples.gpkg"
    pyogrio.write_dataframe(_frame(), path, layer="samples")
    _styled(path, "samples")
    _same(_read(path), plain)


def _frame() -> pd.DataFrame:
    from io import StringIO

    return pd.read_csv(StringIO(WELLS))


# --- a column named by its alias ---------------------------------------------------------------


def _alias(path: Path, table: str, column: str, alias: str) -> Path:
    """``path`` with ``alias`` as ``column``'s alias in the GeoPackage schema extension
    (``gpkg_data_columns``), as QGIS writes a field's alias. SYNTHETIC."""
    with sqlite3.connect(path) as con:
        con.executescript(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
            "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, "
            "mime_type TEXT, constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY "
            "(table_name, column_name));")
        con.execute("INSERT INTO gpkg_data_columns (table_name, column_name, name, title) "
                    "VALUES (?, ?, ?, ?)", (table, column, alias, alias))
    con.close()
    return path


def _outline(path: Path) -> Path:
    """A SYNTHETIC land outline (the tiny region's west half, lon/lat), column ``name``."""
    gpd.GeoDataFrame({"name": ["west"]}, geometry=[shapely.box(*WEST)],
                     crs="EPSG:32619").to_crs("EPSG:4326").to_file(path, layer="land")
    return path


def test_a_mask_name_column_named_by_its_alias_is_told_the_column(tmp_path: Path) -> None:
    """Before: ``mask.name_column: Naam``, the header QGIS shows of the outline's column
    ``name``, was "no column 'Naam' to pick outlines by name; columns are ['name']: set
    'mask.name_column'", not saying which column the header is. Now the refusal names
    it. SYNTHETIC outline."""
    from prospect.errors import DataError
    from prospect.outlines import read_outline

    path = _alias(_outline(tmp_path / "land.gpkg"), "land", "name", "Naam")
    with pytest.raises(DataError) as caught:
        read_outline(path, names=["west"], name_column="Naam")
    said = str(caught.value)
    assert "no column 'Naam' to pick outlines by name; columns are ['name']" in said, said
    assert "'Naam' is the alias of column 'name'" in said, said
    assert "name the column itself: 'name'" in said, said


@pytest.mark.parametrize("form", ["point-layer", "attribute-table"])
def test_a_points_column_named_by_its_alias_is_told_the_column(
        tmp_path: Path, form: str) -> None:
    """Before: ``columns: [Lithium]``, the header QGIS shows of a GeoPackage column
    ``LI_PPM`` (of a point layer, or of a table of samples with ``lon``/``lat``), was "no
    column 'Lithium'; columns are ['LI_PPM']" (the table's "no column(s) ['Lithium']")
    alone. Now the refusal names the column. SYNTHETIC wells."""
    from prospect.errors import DataError
    from prospect.io.points import read_points

    frame = _frame().rename(columns={"li": "LI_PPM"})
    path = tmp_path / "wells.gpkg"
    if form == "point-layer":
        gpd.GeoDataFrame({"LI_PPM": frame["LI_PPM"]},
                         geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                         crs="EPSG:4326").to_file(path, layer="wells")
    else:
        pyogrio.write_dataframe(frame, path, layer="wells")
    _alias(path, "wells", "LI_PPM", "Lithium")
    with pytest.raises(DataError) as caught:
        read_points(path, columns=["Lithium"], to_crs="EPSG:32619")
    said = str(caught.value)
    assert "no column" in said and "'Lithium'" in said, said
    assert "'Lithium' is the alias of column 'LI_PPM'" in said, said
    assert "name the column itself: 'LI_PPM'" in said, said


# --- controls -----------------------------------------------------------------------------


def test_control_a_zip_of_two_tables_named_alone_is_still_refused(tmp_path: Path) -> None:
    """Control: an archive of two tables (and a README) named alone is refused as before,
    "name the file inside": neither is taken for the other. SYNTHETIC tables."""
    from prospect.config.vsi import gdal_name

    _zip(tmp_path / "two.zip", {"wells.csv": WELLS, "springs.csv": WELLS,
                                "README.txt": README})
    with pytest.raises(ValueError) as caught:
        gdal_name("zip://two.zip", tmp_path)
    assert "name the file inside" in str(caught.value), str(caught.value)


def test_control_a_table_beside_a_raster_named_alone_is_still_refused(tmp_path: Path) -> None:
    """Control: a CSV beside a GeoTIFF in one archive is no table's archive alone: refused
    as before, listing its files. SYNTHETIC files (the raster's bytes are not read)."""
    from prospect.config.vsi import gdal_name

    _zip(tmp_path / "mixed.zip", {"wells.csv": WELLS, "heat.tif": "II*\x00"})
    with pytest.raises(ValueError) as caught:
        gdal_name("/vsizip/mixed.zip", tmp_path)
    said = str(caught.value)
    assert "heat.tif" in said and "name the file inside" in said, said


def test_control_a_zipped_text_table_named_txt_is_read(tmp_path: Path, plain: Any) -> None:
    """Control: a table written as ``wells.txt`` zipped with its README is still read at
    the table (a ``.txt`` is a table unless named as a note). SYNTHETIC wells."""
    _zip(tmp_path / "wells.zip", {"wells.txt": WELLS, "README.md": README})
    _same(_read(tmp_path / "wells.zip"), plain)


def test_control_a_misspelt_mask_column_is_still_told_the_near_one(tmp_path: Path) -> None:
    """Control: ``name_column: nmae`` of an aliased outline keeps its "did you mean"
    (before and after). SYNTHETIC outline."""
    from prospect.errors import DataError
    from prospect.outlines import read_outline

    path = _alias(_outline(tmp_path / "land.gpkg"), "land", "name", "Naam")
    with pytest.raises(DataError) as caught:
        read_outline(path, names=["west"], name_column="nmae")
    said = str(caught.value)
    assert "(did you mean 'name'?)" in said and "alias" not in said, said


def test_control_an_unstyled_geopackage_table_of_samples_is_read(
        tmp_path: Path, plain: Any) -> None:
    """Control: the table of samples without QGIS's style is read as before. SYNTHETIC."""
    path = tmp_path / "samples.gpkg"
    pyogrio.write_dataframe(_frame(), path, layer="samples")
    _same(_read(path), plain)


def test_control_a_styled_geopackage_point_layer_is_read(tmp_path: Path, plain: Any) -> None:
    """Control: a styled GeoPackage of a point layer (not a table) reads as before."""
    frame = _frame()
    path = tmp_path / "wells.gpkg"
    gpd.GeoDataFrame({"li": frame["li"]},
                     geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                     crs="EPSG:4326").to_file(path, layer="wells")
    _styled(path, "wells")
    _same(_read(path), plain)
