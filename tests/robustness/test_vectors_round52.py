"""Outlines picked by a coded-value domain's names, GeoJSON numbers GDAL cannot read,
unit codes past 2**53 read as decimals, and ``/vsizip//`` paths printed with one ``/``
(round 52).

Found by feeding ``read_outline``, ``plan_vector`` (every chunk of each layer computed) and
a real ``prospect ingest`` files written with geopandas/pyogrio, sqlite3 and by hand into
``tmp_path`` (2026-12-06): a GeoPackage outline whose name column holds codes of a
coded-value field domain was "no feature named ['Bonaire']" (only the code ``1`` was
found) and offered no name a letter off; a GeoJSON whose one property held an integer
past 2**63 (a 19-digit id) was "a JSON document that is no GeoJSON GDAL
reads ... check the download"; unit codes past 2**63 (GDAL reads them as doubles) were
merged into one unit or named by digits the file does not hold; a zipped map's
coordinate message printed ``/vsizip/tmp/...``, a name GDAL reads relative to the working
folder. Every file here is small and SYNTHETIC: two units of 200 x 400 m over the tiny
region in UTM 19N, or two boxes of 0.1 degree for outlines.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from prospect.errors import DataError, InputFileError
from prospect.grid import RegionGrid
from prospect.outlines import read_outline

from .conftest import TINY_REGION, Sandbox, plan_vector_cells

TINY = RegionGrid(
    **{
        **TINY_REGION,
        "bounds": tuple(TINY_REGION["bounds"]),
        "chunks": tuple(TINY_REGION["chunks"]),
    }
)
"""40 x 40 cells of 10 m in UTM 19N about 69.0 W, 12.2 N (chunks of 20 x 20)."""

X0, Y0, X1, Y1 = 500000.0, 1350000.0, 500400.0, 1350400.0
MID = 500200.0
"""The region's corners and the x where the two SYNTHETIC units meet."""

SCHEMA = """
CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name));
CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL,
  constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN,
  max NUMERIC, max_is_inclusive BOOLEAN, description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
INSERT INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, 'gpkg_schema',
  'http://www.geopackage.org/spec/#extension_schema', 'read-write');
INSERT INTO gpkg_extensions VALUES ('gpkg_data_column_constraints', NULL, 'gpkg_schema',
  'http://www.geopackage.org/spec/#extension_schema', 'read-write');
"""
"""The GeoPackage schema extension's tables, as GDAL writes them for a field domain."""

WEST_BOX = (-69.1, 12.1, -69.0, 12.2)
EAST_BOX = (-69.0, 12.1, -68.9, 12.2)
"""The two SYNTHETIC islands of the outline files, in lon/lat."""


def _outlines(path: Path, codes: list, *, domain: dict[str, str] | None) -> Path:
    """A SYNTHETIC GeoPackage of two islands whose ``ISLAND`` column holds ``codes``, named
    by the coded-value domain ``islands`` of ``domain`` (code -> name) where given, as
    GDAL writes a field domain."""
    gpd.GeoDataFrame(
        {"ISLAND": codes},
        geometry=[shapely.box(*WEST_BOX), shapely.box(*EAST_BOX)],
        crs="EPSG:4326",
    ).to_file(path, layer="islands")
    if domain is None:
        return path
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        con.execute(
            "INSERT INTO gpkg_data_columns VALUES ('islands', 'ISLAND', NULL, NULL, NULL, "
            "NULL, 'islands')"
        )
        for code, name in domain.items():
            con.execute(
                "INSERT INTO gpkg_data_column_constraints VALUES "
                "('islands', 'enum', ?, NULL, NULL, NULL, NULL, ?)",
                (code, name),
            )
        con.commit()
    finally:
        con.close()
    return path


@pytest.mark.parametrize(
    ("codes", "domain"),
    [
        ([1, 2], {"1": "Bonaire", "2": "Curacao"}),
        (["BON", "CUR"], {"BON": "Bonaire", "CUR": "Curacao"}),
    ],
    ids=["integer-codes", "text-codes"],
)
def test_an_outline_named_by_its_domains_name_is_found(
    tmp_path: Path, codes: list, domain: dict[str, str]
) -> None:
    """A mask outline chosen by ``names: [Bonaire]`` from a column of codes that a
    coded-value domain names (as QGIS and ArcGIS show the column) is that island (it was
    "no feature named ['Bonaire']": only the code was found). SYNTHETIC islands."""
    path = _outlines(tmp_path / "islands.gpkg", codes, domain=domain)
    outline = read_outline(path, names=["Bonaire"], name_column="ISLAND")
    assert outline.bounds == pytest.approx(WEST_BOX)


def test_an_outline_name_a_letter_off_is_offered_the_domains_name(tmp_path: Path) -> None:
    """A name a letter off the domain's is refused with the domain's name offered (the
    codes were offered, or nothing). SYNTHETIC islands."""
    path = _outlines(tmp_path / "islands.gpkg", [1, 2], domain={"1": "Bonaire", "2": "Curacao"})
    with pytest.raises(DataError) as caught:
        read_outline(path, names=["Bonair"], name_column="ISLAND")
    said = str(caught.value)
    assert "no feature named ['Bonair']" in said
    assert "did you mean 'Bonaire' for 'Bonair'?" in said


def test_control_an_outline_named_by_its_code_is_still_found(tmp_path: Path) -> None:
    """Control: a config that names the outline by its code, as it had to before, still
    picks it; and a file without a domain is picked by its values as before. SYNTHETIC."""
    path = _outlines(tmp_path / "islands.gpkg", [1, 2], domain={"1": "Bonaire", "2": "Curacao"})
    assert read_outline(path, names=["2"], name_column="ISLAND").bounds == pytest.approx(EAST_BOX)
    plain = _outlines(tmp_path / "plain.gpkg", ["Bonaire", "Curacao"], domain=None)
    assert read_outline(plain, names=["Curacao"], name_column="ISLAND").bounds == pytest.approx(
        EAST_BOX
    )


def _geojson(path: Path, units: list[str]) -> Path:
    """A SYNTHETIC GeoJSON (EPSG:32619, one feature a line) of a west and an east unit
    whose ``UNIT`` property is each of ``units`` written as raw JSON text."""
    boxes = [(X0, MID), (MID, X1)]
    features = [
        '{"type": "Feature", "properties": {"UNIT": '
        + unit
        + '}, "geometry": '
        + json.dumps(shapely.geometry.mapping(shapely.box(x0, Y0, x1, Y1)))
        + "}"
        for unit, (x0, x1) in zip(units, boxes, strict=True)
    ]
    path.write_text(
        '{"type": "FeatureCollection",\n'
        '"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32619"}},\n'
        '"features": [\n' + ",\n".join(features) + "\n]}\n"
    )
    return path


@pytest.mark.parametrize(
    "number",
    ["9223372036854775809", "9300000000000000000", "1.5e400"],
    ids=["past-2-63", "19-digits", "past-doubles"],
)
def test_a_geojson_number_gdal_cannot_read_is_named_with_its_line(
    tmp_path: Path, number: str
) -> None:
    """A valid GeoJSON whose one unit is a number GDAL's JSON reader does not read (an
    integer past 2**63, a number past 1.8e308) is refused naming the number,
    its line and the fix (it was "a JSON document that is no GeoJSON GDAL reads ... check
    the download"). SYNTHETIC map."""
    path = _geojson(tmp_path / "geology.geojson", ['"Granite"', number])
    with pytest.raises(InputFileError) as caught:
        plan_vector_cells(path, TINY, attribute="UNIT")
    said = " ".join(str(caught.value).split())
    assert f"holds the number {number} (line 5), which GDAL cannot read" in said
    assert f'write it as text in quotes ("{number}")' in said
    assert "no GeoJSON GDAL reads" not in said


@pytest.mark.parametrize(
    ("units", "shown"),
    [
        (["18446744073709551616", "18446744073709551617"], "18446744073709551616"),
        (["-9223372036854775809", "1"], "-9223372036854775808"),
    ],
    ids=["two-codes-one-double", "below-minus-2-63"],
)
def test_unit_codes_past_2_53_read_as_decimals_are_refused(
    tmp_path: Path, units: list[str], shown: str
) -> None:
    """Unit codes past 2**63, which GDAL reads as doubles, are refused with the fix (two
    codes were mapped as one unit ``18446744073709551616``, ``-9223372036854775809`` as
    the unit ``-9223372036854775808``, without a word). SYNTHETIC map."""
    path = _geojson(tmp_path / "geology.geojson", units)
    with pytest.raises(DataError) as caught:
        plan_vector_cells(path, TINY, attribute="UNIT")
    said = " ".join(str(caught.value).split())
    assert "column 'UNIT' of layer (first) holds" in said
    assert "past 2**53 that GDAL reads as decimals" in said
    assert f"read as {shown}" in said
    assert "write the codes as text" in said


def test_control_codes_up_to_2_63_code_each_unit_as_before(tmp_path: Path) -> None:
    """Control: integers up to 2**63 - 2 (GDAL's Integer64, exact) and quoted big codes are
    two units each, as before. SYNTHETIC map."""
    west = np.broadcast_to(X0 + 10.0 * (np.arange(40) + 0.5) < MID, (40, 40))
    for units in (
        ["9007199254740993", "9223372036854775806"],
        ['"18446744073709551616"', '"18446744073709551617"'],
    ):
        path = _geojson(tmp_path / f"geology{len(units[0])}.geojson", units)
        out, said = plan_vector_cells(path, TINY, attribute="UNIT")
        layer, cells = out["geology"]
        assert layer.codes == tuple(u.strip('"') for u in units)
        assert np.array_equal(cells, np.where(west, 0, 1))
        assert said == []


def test_a_zipped_maps_message_names_its_vsizip_path_as_written(tmp_path: Path) -> None:
    """A refusal of a map read from ``/vsizip//abs/geo.zip/geo.geojson`` names it with both
    ``/`` (it printed ``/vsizip/abs/...``, a name GDAL reads relative to the working
    folder). SYNTHETIC map with a coordinate of 1e300."""
    text = _geojson(tmp_path / "geo.geojson", ['"Granite"', '"Schist"']).read_text()
    text = text.replace("500200.0, 1350000.0", "1e300, 1350000.0", 1)
    archive = tmp_path / "geo.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("geo.geojson", text)
    name = f"/vsizip/{archive}/geo.geojson"
    assert name.startswith("/vsizip//")
    with pytest.raises(DataError) as caught:
        plan_vector_cells(name, TINY, attribute="UNIT")
    said = str(caught.value)
    assert said.startswith(f"{name}: 1 feature(s) of layer (first) hold coordinates"), said


def test_ingest_of_a_map_with_a_19_digit_code_says_the_number(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """A real ``prospect ingest`` of a GeoJSON map holding a 19-digit unit code exits
    with a one-line message naming the number and the fix, no traceback, nothing
    written (it was "no GeoJSON GDAL reads ... check the download"). SYNTHETIC map."""
    _geojson(sandbox.root / "geology.geojson", ['"Granite"', "9223372036854775809"])
    sandbox.write_job(
        region=dict(TINY_REGION),
        sources=[{"kind": "vector", "name": "geo", "path": "geology.geojson", "attribute": "UNIT"}],
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 1, result.err[-3000:]
    assert "Traceback" not in result.err and "internal error" not in result.err
    said = " ".join(result.err.split())
    assert "holds the number 9223372036854775809 (line 5)" in said
    assert "no GeoJSON GDAL reads" not in said
    assert not (sandbox.out / "cube.zarr").exists()


def _coded_map(folder: Path, *, domain: bool) -> Path:
    """A SYNTHETIC GeoPackage map of units coded 1 (west) and 2 (east), their names in a
    coded-value domain where ``domain``, zipped as ``geo.zip`` (as maps are handed out)."""
    path = folder / "geo.gpkg"
    gpd.GeoDataFrame(
        {"UNIT": [1, 2]},
        geometry=[shapely.box(X0, Y0, MID, Y1), shapely.box(MID, Y0, X1, Y1)],
        crs="EPSG:32619",
    ).to_file(path, layer="geology")
    if domain:
        con = sqlite3.connect(path)
        try:
            con.executescript(SCHEMA)
            con.execute(
                "INSERT INTO gpkg_data_columns VALUES ('geology', 'UNIT', NULL, NULL, NULL, "
                "NULL, 'rock_units')"
            )
            for code, name in (("1", "Granite"), ("2", "Schist")):
                con.execute(
                    "INSERT INTO gpkg_data_column_constraints VALUES "
                    "('rock_units', 'enum', ?, NULL, NULL, NULL, NULL, ?)",
                    (code, name),
                )
            con.commit()
        finally:
            con.close()
    archive = folder / "geo.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, "geo.gpkg")
    path.unlink()
    return archive


@pytest.mark.parametrize("named", ["zip", "vsizip"])
def test_a_zipped_geopackages_coded_units_are_read_as_the_domains_names(
    tmp_path: Path, named: str
) -> None:
    """A zipped GeoPackage map whose unit column holds codes of a coded-value domain is a
    map of the names, as the GeoPackage itself is (round 51): it was units ``1`` and
    ``2``, without a word (sqlite3 cannot open a file inside a zip). SYNTHETIC map."""
    archive = _coded_map(tmp_path, domain=True)
    path = archive if named == "zip" else f"/vsizip/{archive}/geo.gpkg"
    out, said = plan_vector_cells(path, TINY, attribute="UNIT")
    layer, cells = out["geology"]
    assert layer.codes == ("Granite", "Schist")
    west = np.broadcast_to(X0 + 10.0 * (np.arange(40) + 0.5) < MID, (40, 40))
    assert np.array_equal(cells, np.where(west, 0, 1))
    assert said == []


def test_control_a_zipped_geopackage_without_a_domain_reads_its_codes(tmp_path: Path) -> None:
    """Control: a zipped GeoPackage without the schema extension's tables keeps its codes
    as the units' names, without a word. SYNTHETIC map."""
    out, said = plan_vector_cells(_coded_map(tmp_path, domain=False), TINY, attribute="UNIT")
    assert out["geology"][0].codes == ("1", "2")
    assert said == []


def test_an_outline_given_as_a_vsizip_name_in_text_is_read(tmp_path: Path) -> None:
    """An outline given as the text ``/vsizip//abs/islands.zip/islands.gpkg`` is read, and
    its coded names picked as the GeoPackage's are (it was made ``/vsizip/abs/...``, "cannot
    read as a vector file (corrupt?)"). SYNTHETIC islands."""
    path = _outlines(tmp_path / "islands.gpkg", [1, 2], domain={"1": "Bonaire", "2": "Curacao"})
    archive = tmp_path / "islands.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, "islands.gpkg")
    name = f"/vsizip/{archive}/islands.gpkg"
    outline = read_outline(name, names=["Bonaire"], name_column="ISLAND")
    assert outline.bounds == pytest.approx(WEST_BOX)
    with pytest.raises(DataError) as caught:
        read_outline(name, names=["Bonair"], name_column="ISLAND")
    assert str(caught.value).startswith(f"{name}: no feature named ['Bonair']")
