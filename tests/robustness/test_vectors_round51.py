"""Geology maps of coded units, legends given as maps, maps without a CRS, faults of one
point and Shapefile text in code pages GDAL reads as control characters (round 51).

Found by feeding ``plan_vector`` (every chunk of each layer computed) and a real
``prospect ingest`` maps and fault layers written with pyogrio and sqlite3 into
``tmp_path`` (2026-12-06): a GeoPackage whose unit column holds codes named by a
coded-value field domain (the "lookup table" of an ESRI map, GDAL's
``gpkg_data_column_constraints``) was a map of units named ``1`` and ``2``; a CSV legend
or a GeoPackage attribute table given as the map was told to give a CRS, then "Cannot
set spatial filter"; a FlatGeobuf of UTM metres without a CRS was offered the form
``EPSG:326NN`` though the region's CRS places it; a fault line of one point (a
digitising click) was "no geometry (null or empty)"; a Shapefile without a ``.cpg`` of
Windows-1252 text (``d’Anvers``) or DOS code page 850 (``Grès``) had units named with
C1 control characters, without a word. Every file here is small and SYNTHETIC: two units
of 200 x 400 m over the tiny region in UTM 19N.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
import subprocess
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio.raw
import pytest
import shapely
import xarray as xr

from prospect.errors import CRSError, DataError
from prospect.grid import RegionGrid

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


def _west() -> np.ndarray:
    """Whether each cell of :data:`TINY` lies west of :data:`MID`."""
    xs = X0 + 10.0 * (np.arange(40) + 0.5)
    return np.broadcast_to(xs < MID, (40, 40))


def _units(path: Path, codes: list, *, layer: str = "geology") -> Path:
    """A SYNTHETIC GeoPackage of a west and an east unit whose ``UNIT`` column holds
    ``codes``."""
    gpd.GeoDataFrame(
        {"UNIT": codes},
        geometry=[shapely.box(X0, Y0, MID, Y1), shapely.box(MID, Y0, X1, Y1)],
        crs="EPSG:32619",
    ).to_file(path, layer=layer)
    return path


def _domain(path: Path, values: dict[str, str | None], *, kind: str = "enum") -> Path:
    """``path``'s ``UNIT`` column given the coded-value domain ``rock_units`` of
    ``values`` (code -> name), as GDAL writes a field domain into a GeoPackage."""
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        con.execute(
            "INSERT INTO gpkg_data_columns VALUES ('geology', 'UNIT', NULL, NULL, NULL, "
            "NULL, 'rock_units')"
        )
        for code, name in values.items():
            con.execute(
                "INSERT INTO gpkg_data_column_constraints VALUES "
                "('rock_units', ?, ?, NULL, NULL, NULL, NULL, ?)",
                (kind, code, name),
            )
        con.commit()
    finally:
        con.close()
    return path


def _said(said: list[str], word: str) -> list[str]:
    return [w for w in said if word in w]


@pytest.mark.parametrize(
    ("codes", "domain"),
    [
        ([1, 2], {"1": "Granite", "2": "Schist"}),
        (["GR", "SC"], {"GR": "Granite", "SC": "Schist"}),
    ],
    ids=["integer-codes", "text-codes"],
)
def test_a_unit_column_of_coded_values_is_read_as_the_domains_names(
    tmp_path: Path, codes: list, domain: dict[str, str]
) -> None:
    """A GeoPackage unit column of codes that a coded-value domain names is a map of the
    names, as ``ogr2ogr -resolveDomains``, QGIS and ArcGIS show it (it was a map of units
    named ``1`` and ``2``); the contacts between them are drawn as before."""
    path = _domain(_units(tmp_path / "geo.gpkg", codes), domain)
    out, said = plan_vector_cells(path, TINY, attribute="UNIT", distance_to_contacts=True)
    layer, cells = out["geology"]
    assert layer.codes == ("Granite", "Schist")
    assert np.array_equal(cells, np.where(_west(), 0, 1))
    assert json.loads(layer.extra_attrs()["categories"]) == {"0": "Granite", "1": "Schist"}
    assert layer.settings["domain"] == "rock_units (codes read as its names)"
    _, dist = out["geology_dist_contact"]
    assert np.allclose(dist[:, 19:21], 5.0)
    assert said == []


@pytest.mark.skipif(
    shutil.which("ogr2ogr") is None, reason="GDAL's ogr2ogr writes the geodatabase's domain"
)
@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zipped"])
def test_a_file_geodatabase_unit_column_of_coded_values_is_read_as_the_domains_names(
    tmp_path: Path, zipped: bool
) -> None:
    """The same map as an ESRI file geodatabase (its domain in the ``GDB_Items``
    catalogue, written by ``ogr2ogr`` from the GeoPackage), as a folder or zipped as
    ESRI hands them out, is a map of the names (it was of units named ``1`` and ``2``)."""
    codes = np.array([1, 2], dtype=np.int32)  # (an esriFieldTypeInteger column)
    gpkg = _domain(_units(tmp_path / "geo.gpkg", codes), {"1": "Granite", "2": "Schist"})
    gdb = tmp_path / "geo.gdb"
    subprocess.run(
        ["ogr2ogr", "-f", "OpenFileGDB", str(gdb), str(gpkg)], check=True, capture_output=True
    )
    if zipped:
        archive = tmp_path / "geo.gdb.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for part in sorted(gdb.iterdir()):
                zf.write(part, f"geo.gdb/{part.name}")
        shutil.rmtree(gdb)
        gdb = archive
    out, said = plan_vector_cells(gdb, TINY, attribute="UNIT")
    layer, cells = out["geology"]
    assert layer.codes == ("Granite", "Schist")
    assert np.array_equal(cells, np.where(_west(), 0, 1))
    assert said == []


def test_a_code_the_domain_does_not_name_is_kept_and_said(tmp_path: Path) -> None:
    """A code that its domain does not name (a unit added to the map, not to the lookup
    table) keeps its code as its name, with a warning naming the column, the code and the
    domain; the named one is read as its name."""
    path = _domain(_units(tmp_path / "geo.gpkg", [1, 7]), {"1": "Granite", "2": "Schist"})
    out, said = plan_vector_cells(path, TINY, attribute="UNIT")
    layer, cells = out["geology"]
    assert layer.codes == ("7", "Granite")
    assert np.array_equal(cells, np.where(_west(), 1, 0))
    warned = _said(said, "does not name")
    assert len(warned) == 1, said
    assert "'UNIT' holds code(s) '7'" in warned[0]
    assert "domain 'rock_units' (2 code(s))" in warned[0]
    assert "add them to the domain" in warned[0]


def test_control_a_range_constraint_leaves_the_values_as_read(tmp_path: Path) -> None:
    """Control: a column with a range constraint (no names) or a map without the schema
    extension is read as before."""
    path = _units(tmp_path / "geo.gpkg", [1, 2])
    out, said = plan_vector_cells(path, TINY, attribute="UNIT")
    assert out["geology"][0].codes == ("1", "2")
    assert "domain" not in out["geology"][0].settings
    assert said == []
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    con.execute(
        "INSERT INTO gpkg_data_columns VALUES ('geology', 'UNIT', NULL, NULL, NULL, NULL, "
        "'unit_range')"
    )
    con.execute(
        "INSERT INTO gpkg_data_column_constraints VALUES "
        "('unit_range', 'range', NULL, 0, 1, 9, 1, 'codes of 0 to 9')"
    )
    con.commit()
    con.close()
    out, said = plan_vector_cells(path, TINY, attribute="UNIT")
    assert out["geology"][0].codes == ("1", "2")
    assert said == []


def test_ingest_of_a_coded_map_writes_the_units_names(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """A real ``prospect ingest`` of a coded GeoPackage map writes the cube's code table
    with the units' names (it was ``1`` and ``2``)."""
    path = _units(sandbox.root / "geology.gpkg", [1, 2])
    _domain(path, {"1": "Granite", "2": "Schist"})
    sandbox.write_job(
        region=dict(TINY_REGION),
        sources=[{"kind": "vector", "name": "geo", "path": "geology.gpkg", "attribute": "UNIT"}],
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.err and "internal error" not in result.err
    var = xr.open_zarr(sandbox.out / "cube.zarr")["geo"]
    table = {int(k): v for k, v in json.loads(var.attrs["categories"]).items()}
    names = np.vectorize(lambda c: table.get(int(c), ""))(np.asarray(var.values))
    assert np.array_equal(names == "Granite", _west())
    assert np.array_equal(names == "Schist", ~_west())
    assert sandbox.untouched()


@pytest.mark.parametrize("crs", [None, "EPSG:32619"], ids=["no-crs", "crs-given"])
def test_a_csv_legend_given_as_the_map_is_told_it_holds_no_geometries(
    tmp_path: Path, crs: str | None
) -> None:
    """A CSV of the units' legend given as the map is told that it holds no geometries
    and to give the map's own file (it was "the vector file has no CRS; give it with
    'crs:'", and with a ``crs:`` "cannot read layer (first): Cannot set spatial filter:
    no geometry field present in layer")."""
    path = tmp_path / "legend.csv"
    path.write_text("UNIT,name\n1,Granite\n2,Schist\n")
    with pytest.raises(DataError) as err:
        plan_vector_cells(path, TINY, attribute="UNIT", **({"crs": crs} if crs else {}))
    said = " ".join(str(err.value).split())
    assert said.startswith(f"{path}: layer (first) holds no geometries")
    assert "a legend or a spreadsheet of the units is no map" in said
    assert "CRS" not in said and "spatial filter" not in said


def test_a_geopackage_attribute_table_given_as_a_layer_is_told_so(tmp_path: Path) -> None:
    """A GeoPackage's attribute table named as the units' ``layer:`` or as the
    ``faults_layer`` is told that it holds no geometries, with the layers there are (it
    was "has no CRS")."""
    path = _units(tmp_path / "geo.gpkg", ["W", "E"])
    pyogrio.raw.write(
        str(path),
        geometry=None,
        field_data=[np.array(["W", "E"], dtype=object)],
        fields=["UNIT"],
        driver="GPKG",
        layer="legend",
        append=True,
    )
    with pytest.raises(DataError, match=r"layer legend holds no geometries .*geology, legend"):
        plan_vector_cells(path, TINY, layer="legend", attribute="UNIT")
    with pytest.raises(DataError, match=r"layer legend holds no geometries"):
        plan_vector_cells(path, TINY, layer="geology", attribute="UNIT", faults_layer="legend")


def _no_crs_map(path: Path, dx: float = 0.0) -> Path:
    """A SYNTHETIC FlatGeobuf of the west unit, shifted ``dx`` metres, written without a
    CRS."""
    pyogrio.raw.write(
        str(path),
        geometry=np.asarray([shapely.to_wkb(shapely.box(X0 + dx, Y0, MID + dx, Y1))], object),
        field_data=[np.array(["W"], dtype=object)],
        fields=["UNIT"],
        geometry_type="Polygon",
        driver="FlatGeobuf",
        crs=None,
    )
    return path


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_a_map_without_a_crs_lying_in_the_region_is_offered_the_regions_crs(
    tmp_path: Path,
) -> None:
    """A map written without a CRS whose metres lie in the region read in the region's
    CRS is offered that CRS by its code first (it was only the form ``EPSG:326NN`` of any
    UTM zone)."""
    path = _no_crs_map(tmp_path / "geo.fgb")
    with pytest.raises(CRSError) as err:
        plan_vector_cells(path, TINY, attribute="UNIT")
    said = " ".join(str(err.value).split())
    assert said.startswith(f"{path}: the vector file has no CRS")
    assert "are projected and lie in the region read in the region's CRS" in said
    # the region's own code first; the form of any UTM zone's only after it
    assert said.index("crs: 'EPSG:32619' (WGS 84 / UTM zone 19N)") < said.index("326NN")


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_control_a_map_without_a_crs_elsewhere_is_offered_the_form_as_before(
    tmp_path: Path,
) -> None:
    """Control: one whose metres lie elsewhere (300 km east) is offered the form of a UTM
    zone's code as before, and given its ``crs:`` it is read."""
    path = _no_crs_map(tmp_path / "far.fgb", dx=300_000.0)
    with pytest.raises(CRSError, match=r"EPSG:326NN for UTM zone NN north"):
        plan_vector_cells(path, TINY, attribute="UNIT")
    near = _no_crs_map(tmp_path / "near.fgb")
    out, _ = plan_vector_cells(near, TINY, attribute="UNIT", crs="EPSG:32619")
    assert out["geology"][0].codes == ("W",)


def _line_wkb(points: list[tuple[float, ...]]) -> bytes:
    """A WKB LineString (2D) or LineString Z (1002) of ``points``, as written."""
    kind = 2 if len(points[0]) == 2 else 1002
    coords = b"".join(struct.pack("<" + "d" * len(p), *p) for p in points)
    return struct.pack("<BII", 1, kind, len(points)) + coords


@pytest.mark.parametrize(
    ("click", "multi"),
    [
        ([(500100.0, 1350100.0)], False),
        ([(500100.0, 1350100.0, 12.0)], False),
        ([(500100.0, 1350100.0)], True),
    ],
    ids=["2d", "z", "part-of-a-multiline"],
)
def test_a_fault_line_of_one_point_is_refused_as_a_line_of_no_length(
    tmp_path: Path, click: list[tuple[float, ...]], multi: bool
) -> None:
    """A fault line of one point (a digitising click) is refused as a line of no length at
    its place, as one of two points at one place is (it was "no geometry (null or
    empty)", left out with the fix "draw or delete them"; as a part of a MultiLineString
    it took the fault's other part with it: "every one of the 1 feature(s) ... has no
    geometry ... an attribute table exported without them?")."""
    path = _units(tmp_path / "geo.gpkg", ["W", "E"])
    fault = _line_wkb([(500300.0, Y0), (500300.0, Y1)])
    geoms = [fault, _line_wkb(click)]
    if multi:
        geoms = [struct.pack("<BII", 1, 5, 2) + fault + _line_wkb(click)]
    pyogrio.raw.write(
        str(path),
        geometry=np.asarray(geoms, dtype=object),
        field_data=[np.arange(1, len(geoms) + 1)],
        fields=["n"],
        geometry_type="Unknown",
        crs="EPSG:32619",
        driver="GPKG",
        layer="faults",
        append=True,
    )
    with pytest.raises(DataError) as err:
        plan_vector_cells(path, TINY, layer="geology", attribute="UNIT", faults_layer="faults")
    said = " ".join(str(err.value).split())
    assert "holds 1 line(s) of no length" in said
    assert "x=500100, y=1350100" in said
    assert "no geometry" not in said


def test_a_geoparquet_row_of_a_one_point_line_is_read_as_a_line_of_no_length(
    tmp_path: Path,
) -> None:
    """A GeoParquet faults file holding a line of one point is refused as a line of no
    length at its place (it was "row 2 of geometry column 'geometry' is no WKB geometry
    (IllegalArgumentException: ...): write the file again")."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyproj

    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": [],
                "crs": pyproj.CRS("EPSG:32619").to_json_dict(),
            }
        },
    }
    lines = [_line_wkb([(500300.0, Y0), (500300.0, Y1)]), _line_wkb([(500100.0, 1350100.0)])]
    table = pa.table({"n": [1, 2], "geometry": lines})
    path = tmp_path / "faults.parquet"
    pq.write_table(table.replace_schema_metadata({b"geo": json.dumps(geo).encode()}), path)
    with pytest.raises(DataError) as err:
        plan_vector_cells(path, TINY, faults_layer="faults")
    said = " ".join(str(err.value).split())
    assert "holds 1 line(s) of no length" in said and "x=500100, y=1350100" in said
    assert "no WKB geometry" not in said


def test_control_a_faults_layer_of_lines_is_measured_as_before(tmp_path: Path) -> None:
    """Control: the faults layer without the click is measured, no warning."""
    path = _units(tmp_path / "geo.gpkg", ["W", "E"])
    pyogrio.raw.write(
        str(path),
        geometry=np.asarray([_line_wkb([(500300.0, Y0), (500300.0, Y1)])], dtype=object),
        field_data=[np.array([1])],
        fields=["n"],
        geometry_type="LineString",
        crs="EPSG:32619",
        driver="GPKG",
        layer="faults",
        append=True,
    )
    out, said = plan_vector_cells(
        path, TINY, layer="geology", attribute="UNIT", faults_layer="faults"
    )
    _, dist = out["geology_dist_fault"]
    xs = X0 + 10.0 * (np.arange(40) + 0.5)
    assert np.allclose(dist, np.broadcast_to(np.abs(xs - 500300.0), (40, 40)))
    assert said == []


def _windows_shapefile(folder: Path, ldid: int, cpg: str | None) -> Path:
    """A SYNTHETIC two-unit Shapefile whose ``.dbf`` is Windows-1252 with its typographic
    apostrophe and dash (bytes 92 and 96, as Word and Excel type them), its language
    driver ``ldid``, and a ``.cpg`` saying ``cpg`` (none when ``None``)."""
    folder.mkdir()
    gpd.GeoDataFrame(
        {"unit": ["Formation d\u2019Anvers", "Gr\u00e8s \u2013 zone"]},
        geometry=[shapely.box(X0, Y0, MID, Y1), shapely.box(MID, Y0, X1, Y1)],
        crs="EPSG:32619",
    ).to_file(folder / "geo.shp", encoding="CP1252")
    (folder / "geo.cpg").unlink(missing_ok=True)
    if cpg is not None:
        (folder / "geo.cpg").write_text(cpg)
    dbf = bytearray((folder / "geo.dbf").read_bytes())
    dbf[29] = ldid
    (folder / "geo.dbf").write_bytes(bytes(dbf))
    return folder / "geo.shp"


@pytest.mark.parametrize(
    ("ldid", "cpg", "said"),
    [
        (0, None, "no .cpg is beside it and its .dbf names no code page"),
        (0x57, None, "language driver 0x57 names the writer's Windows code page"),
        (0, "ISO-8859-1", "its geo.cpg says 'ISO-8859-1'"),
    ],
    ids=["no-cpg", "ldid-ansi", "cpg-latin1"],
)
def test_windows_punctuation_read_as_control_characters_is_read_as_1252(
    tmp_path: Path, ldid: int, cpg: str | None, said: str
) -> None:
    """A Shapefile of Windows-1252 text without a ``.cpg`` (or one of ISO-8859-1), its
    ``.dbf`` naming no code page or "the writer's ANSI code page", is read as Windows-1252
    with a warning saying so: GDAL reads it as ISO-8859-1, so ``d’Anvers`` and ``–`` were
    units named with the control characters 0x92 and 0x96, without a word."""
    path = _windows_shapefile(tmp_path / "geo", ldid, cpg)
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("Formation d\u2019Anvers", "Gr\u00e8s \u2013 zone")
    assert np.array_equal(cells, np.where(_west(), 0, 1))
    recoded = _said(warned, "Windows-1252")
    assert len(recoded) == 1, warned
    assert said in recoded[0] and "write 1252 in geo.cpg" in recoded[0]
    assert "Vietnamese" not in recoded[0]


def test_control_a_western_shapefile_without_control_characters_reads_as_before(
    tmp_path: Path,
) -> None:
    """Control: the same text under a language driver of Windows-1252 (0x03: GDAL reads
    it so), and Latin-1 names without punctuation of 1252 and no ``.cpg``, read as
    before, no warning."""
    path = _windows_shapefile(tmp_path / "ansi", 0x03, None)
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert out["geology"][0].codes == ("Formation d\u2019Anvers", "Gr\u00e8s \u2013 zone")
    assert warned == []
    folder = tmp_path / "latin"
    folder.mkdir()
    gpd.GeoDataFrame(
        {"unit": ["Gr\u00e8s", "Schiste"]},
        geometry=[shapely.box(X0, Y0, MID, Y1), shapely.box(MID, Y0, X1, Y1)],
        crs="EPSG:32619",
    ).to_file(folder / "geo.shp", encoding="ISO-8859-1")
    (folder / "geo.cpg").unlink(missing_ok=True)
    out, warned = plan_vector_cells(folder / "geo.shp", TINY, attribute="unit")
    assert out["geology"][0].codes == ("Gr\u00e8s", "Schiste")
    assert warned == []


def test_a_dos_code_page_shapefile_is_said_to_hold_control_characters(tmp_path: Path) -> None:
    """A Shapefile whose ``.dbf`` is in DOS code page 850 (``è`` is byte 8A) with no
    ``.cpg`` and no language driver is read as ISO-8859-1, its unit names holding control
    characters: a warning names them, the reading in 850 and the ``.cpg`` to write (it
    was without a word); with ``geo.cpg`` of 850 it reads as written, no warning."""
    folder = tmp_path / "dos"
    folder.mkdir()
    gpd.GeoDataFrame(
        {"unit": ["Gr\u00e8s", "Schiste"]},
        geometry=[shapely.box(X0, Y0, MID, Y1), shapely.box(MID, Y0, X1, Y1)],
        crs="EPSG:32619",
    ).to_file(folder / "geo.shp", encoding="CP850")
    (folder / "geo.cpg").unlink(missing_ok=True)
    dbf = bytearray((folder / "geo.dbf").read_bytes())
    dbf[29] = 0
    (folder / "geo.dbf").write_bytes(bytes(dbf))
    _, warned = plan_vector_cells(folder / "geo.shp", TINY, attribute="unit")
    said = _said(warned, "control characters")
    assert len(said) == 1, warned
    assert "1 unit name(s) in 'unit'" in said[0]
    assert "reads 'Gr\\x8as' as 'Gr\u00e8s'" in said[0] and "in geo.cpg" in said[0]
    (folder / "geo.cpg").write_text("850")
    out, warned = plan_vector_cells(folder / "geo.shp", TINY, attribute="unit")
    assert out["geology"][0].codes == ("Gr\u00e8s", "Schiste")
    assert warned == []
