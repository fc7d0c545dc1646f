"""Occurrence tables in degrees as text, workbooks of several sheets, zipped GeoParquet and
KML folders, as survey scientists bring them.

Found by feeding the point reader (``prospect.io.points``), the vector reader and the
labels reader what round 19 left and the forms survey exports take (2026-12-03):
coordinates written in degrees, minutes and seconds (``52°05'12"N``) or with a hemisphere
letter (``68.3 W``) were refused with "convert them", though the letter or the sign says
each one's side; a GeoParquet file inside a zip, or named ``/vsizip/``, was "no vector file
GDAL reads" / "does not exist"; a KML of several folders asked for ``layer:`` without
saying which folders hold points; a workbook of two sheets of wells was read at its first
sheet without a word (the second sheet's rows lost); a sheet whose numbers are text in
decimal commas (``'5,1'``) was told to set ``decimal: ","``, which changed nothing. Every
file is small and SYNTHETIC but for the real IHFC Netherlands heat-flow table.
"""

from __future__ import annotations

import subprocess
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from prospect.config.vsi import GdalPath
from prospect.errors import DataError, InputFileError
from prospect.grid import RegionGrid
from prospect.io.vector import read_units, read_vector
from prospect.models.labels import read_occurrences

from .conftest import Sandbox
from .test_point_tables import PLACES, WELLS, _at_points, _ingest
from .test_vectors_round18 import NL, _read

pytest.importorskip("pyarrow")


def _wells(crs: Any = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"li": [1.0, 2.0, 3.0]},
                            geometry=gpd.points_from_xy(*zip(*NL, strict=True)), crs=crs)


def _xy(table: Any) -> np.ndarray:
    return np.column_stack([table.x, table.y])


def _control(tmp_path: Path) -> Any:
    (tmp_path / "plain.csv").write_text(
        "lon,lat,li\n" + "".join(f"{x},{y},{i + 1}\n" for i, (x, y) in enumerate(NL)))
    table, said, error = _read(tmp_path / "plain.csv")
    assert error is None and not said, (error, said)
    return table


# --- coordinates in degrees as text --------------------------------------------------------

def _dms(value: float, letters: str, *, style: str = "symbols") -> str:
    """``value`` in degrees, minutes and seconds with its hemisphere letter."""
    letter = letters[value < 0]
    total = round(abs(value) * 3600, 4)  # seconds, as written: never a 60.0000
    d, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    d, m = int(d), int(m)
    if style == "symbols":
        return f"{d}°{m:02d}'{s:07.4f}\"{letter}"
    if style == "spaces":
        return f"{d} {m:02d} {s:07.4f} {letter}"
    if style == "colons":
        return f"{letter}{d}:{m:02d}:{s:07.4f}"
    return f"{d}º{m:02d}′{s:07.4f}″ {letter}"  # typographic marks, as Word writes them


@pytest.mark.parametrize("style", ["symbols", "spaces", "colons", "typographic"])
def test_degrees_minutes_and_seconds_with_letters_are_read(tmp_path: Path, style: str) -> None:
    """Before: "these look like degrees, minutes and seconds: convert them to decimal
    degrees"; the letters say each coordinate's side: read as the decimal table is."""
    control = _control(tmp_path)
    rows = "".join(f"{_dms(x, 'EW', style=style)},{_dms(y, 'NS', style=style)},{i + 1}\n"
                   for i, (x, y) in enumerate(NL))
    (tmp_path / "dms.csv").write_text("lon,lat,li\n" + rows, encoding="utf-8")
    table, said, error = _read(tmp_path / "dms.csv")
    assert error is None, error
    assert not said, said
    np.testing.assert_allclose(_xy(table), _xy(control), atol=0.01)
    np.testing.assert_array_equal(table.values["li"], [1, 2, 3])


@pytest.mark.parametrize(("lon", "lat", "want"), [
    ("68.3 W", "12.2 N", (-68.3, 12.2)),
    ("W68.3", "N12.2", (-68.3, 12.2)),
    ("-68°18'", "12°12'", (-68.3, 12.2)),  # a sign, no letters
    ("068°18.0'W", "12°12.0'N", (-68.3, 12.2)),  # degrees and decimal minutes
    ("30 deg 18 min 00 sec E", "25 deg 12 min 00 sec S", (30.3, -25.2)),
    ("30°18'00\"E", "25°12'00\"S", (30.3, -25.2)),  # the S after seconds is south
], ids=["letter-after", "letter-before", "signed", "decimal-minutes", "words", "south"])
def test_degrees_with_a_side_are_read_signed(tmp_path: Path, lon: str, lat: str,
                                             want: tuple[float, float]) -> None:
    """Before: refused ("write them as signed decimal degrees"). The hemisphere letter or
    the sign says the side: W and S negative."""
    (tmp_path / "wells.csv").write_text(f"lon,lat,li\n{lon},{lat},1\n{lon},{lat},2\n",
                                        encoding="utf-8")
    table, _, error = _read(tmp_path / "wells.csv", to_crs="EPSG:4326")
    assert error is None, error
    np.testing.assert_allclose(_xy(table), [want, want], atol=1e-9)


def test_degrees_in_a_semicolon_table_with_decimal_commas(tmp_path: Path) -> None:
    """A European export: ``;`` between fields, seconds and values in decimal commas."""
    (tmp_path / "wells.csv").write_text(
        "lon;lat;li\n5°07'12,5\"E;52°05'12,5\"N;1,5\n5°10'00,0\"E;52°06'00,0\"N;2,5\n",
        encoding="utf-8")
    table, _, error = _read(tmp_path / "wells.csv", to_crs="EPSG:4326")
    assert error is None, error
    np.testing.assert_allclose(table.x, [5 + 7 / 60 + 12.5 / 3600, 5 + 10 / 60])
    np.testing.assert_array_equal(table.values["li"], [1.5, 2.5])


@pytest.mark.parametrize(("lon", "needles"), [
    (["68°18'W", "68°15'"], ["line 3", "no hemisphere letter where the other rows give one"]),
    (["68°18'W", "68.25"], ["line 3", "no hemisphere letter"]),
    (["-68°18'W", "-68°15'W"], ["line 2", "both a minus sign and the hemisphere letter W"]),
    (["12°12'N", "12°15'N"], ["line 2", "the hemisphere letter N in a column of longitudes"]),
    (["68°67'W", "68°15'W"], ["line 2", "minutes or seconds of 60 or more"]),
], ids=["letter-lost", "plain-number-among-letters", "sign-and-letter", "latitude-letter",
        "minutes-past-60"])
def test_degrees_whose_side_cannot_be_told_are_refused_naming_the_line(
        tmp_path: Path, lon: list[str], needles: list[str]) -> None:
    """A cell whose side or value cannot be told is refused naming its line, never read
    with a guessed sign."""
    (tmp_path / "wells.csv").write_text(
        "lon,lat,li\n" + "".join(f"{c},12°12'N,{i}\n" for i, c in enumerate(lon)),
        encoding="utf-8")
    _, _, error = _read(tmp_path / "wells.csv", to_crs="EPSG:4326")
    assert isinstance(error, DataError), error
    for needle in ("wells.csv", "column 'lon'", *needles, "hemisphere letter (E or W)"):
        assert needle in str(error), error


def test_labels_in_degrees_minutes_and_seconds_are_placed(tmp_path: Path) -> None:
    """The labels read the table by the same rule (before: refused)."""
    rows = "".join(f"{_dms(x, 'EW')},{_dms(y, 'NS')},{i + 1}\n" for i, (x, y) in enumerate(NL))
    (tmp_path / "occ.csv").write_text("lon,lat,li\n" + rows, encoding="utf-8")
    grid = RegionGrid(crs="EPSG:28992", resolution=1000.0,
                      bounds=(100_000.0, 400_000.0, 200_000.0, 500_000.0))
    occ = read_occurrences(tmp_path / "occ.csv", grid, value_column="li")
    want = np.column_stack(Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
                           .transform(*zip(*NL, strict=True)))
    np.testing.assert_allclose(np.column_stack([occ.x, occ.y]), want, atol=1.0)


def test_a_well_table_in_degrees_reaches_the_cube_as_in_decimals(sandbox: Sandbox, cli,
                                                                 scheduler: str) -> None:
    """Through the real CLI: the wells of the tiny Bonaire grid written in degrees,
    minutes and seconds give the cube of the decimal table. Before: exit 1, "convert
    them to decimal degrees"."""
    lon, lat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True).transform(
        *zip(*PLACES, strict=True))
    rows = [f"{_dms(a, 'EW')},{_dms(b, 'NS')},{i}" for i, (a, b) in enumerate(
        zip(lon, lat, strict=True))]
    (sandbox.root / "wells.csv").write_text("lon,lat,li\n" + "\n".join(rows) + "\n",
                                            encoding="utf-8")
    result = _ingest(sandbox, cli, scheduler, sources=[
        {**WELLS, "x": "lon", "y": "lat", "crs": "EPSG:4326"}])
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_at_points(sandbox), np.arange(20), atol=1e-4)


@pytest.mark.realdata
def test_real_heat_flow_sites_in_degrees_read_as_in_decimals(shared_data: Path,
                                                             tmp_path: Path) -> None:
    """The IHFC Netherlands subset (315 sites) with its Longitude/Latitude written as
    degrees, minutes and seconds: the same places and heat flow."""
    plain = shared_data / "heatflow_europe_nl_ihfc" / "heatflow_netherlands_bbox_subset.csv"
    options = {"x": "Longitude", "y": "Latitude", "columns": ["Heat Flow"]}
    a, _, error = _read(plain, **options)
    assert error is None, error
    frame = pd.read_csv(plain)
    frame["Longitude"] = [_dms(v, "EW") for v in frame["Longitude"]]
    frame["Latitude"] = [_dms(v, "NS") for v in frame["Latitude"]]
    frame.to_csv(tmp_path / "hf.csv", index=False, encoding="utf-8")
    b, _, error = _read(tmp_path / "hf.csv", **options)
    assert error is None, error
    assert len(a) == len(b) == 315
    np.testing.assert_allclose(_xy(a), _xy(b), atol=0.01)  # metres in RD New
    np.testing.assert_array_equal(a.values["Heat Flow"], b.values["Heat Flow"])


# --- GeoParquet in a zip --------------------------------------------------------------------

def _zip(path: Path, members: dict[str, Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, source in members.items():
            zf.write(source, name)
    return path


def test_a_zipped_geoparquet_of_wells_is_read(tmp_path: Path) -> None:
    """Before: "the archive holds no vector file GDAL reads (its files:
    data/wells.parquet)" and, named ``/vsizip/``, "does not exist in the file system"."""
    control = _control(tmp_path)
    _wells().to_parquet(tmp_path / "wells.parquet")
    archive = _zip(tmp_path / "wells.zip", {"data/wells.parquet": tmp_path / "wells.parquet"})
    for path in (archive, GdalPath(f"/vsizip/{archive}/data/wells.parquet")):
        table, said, error = _read(path)
        assert error is None, error
        assert not said, said
        np.testing.assert_allclose(_xy(table), _xy(control))
        np.testing.assert_array_equal(table.values["li"], [1, 2, 3])


def test_a_zipped_plain_parquet_table_is_read_by_its_columns(tmp_path: Path) -> None:
    """A Parquet table without GeoParquet metadata in a zip is read by x/y, as unzipped."""
    control = _control(tmp_path)
    pd.DataFrame({"lon": [p[0] for p in NL], "lat": [p[1] for p in NL],
                  "li": [1.0, 2.0, 3.0]}).to_parquet(tmp_path / "t.parquet")
    archive = _zip(tmp_path / "t.zip", {"t.parquet": tmp_path / "t.parquet"})
    table, _, error = _read(archive)
    assert error is None, error
    np.testing.assert_allclose(_xy(table), _xy(control))


def test_a_zipped_geoparquet_geology_map_is_read(tmp_path: Path) -> None:
    """Geology polygons (read_units, read_vector) from a zipped GeoParquet file."""
    gdf = gpd.GeoDataFrame({"unit": ["granite", "schist"]},
                           geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
                           crs="EPSG:28992")
    gdf.to_parquet(tmp_path / "geo.parquet")
    archive = _zip(tmp_path / "geo.zip", {"geo.parquet": tmp_path / "geo.parquet"})
    assert read_units(archive, "unit").names == ["granite", "schist"]
    read = read_vector(archive)
    assert len(read) == 2 and read.crs.to_epsg() == 28992


def test_a_changed_zipped_geoparquet_is_read_again(tmp_path: Path) -> None:
    """The unpacked bytes are kept only while the archive is unchanged."""
    _wells().to_parquet(tmp_path / "wells.parquet")
    archive = _zip(tmp_path / "wells.zip", {"wells.parquet": tmp_path / "wells.parquet"})
    first, _, _ = _read(archive)
    changed = _wells()
    changed["li"] = [7.0, 8.0, 9.0]
    changed.to_parquet(tmp_path / "wells.parquet")
    archive.unlink()
    (tmp_path / "README.txt").write_text("wells, edited\n")  # another size, too
    _zip(archive, {"wells.parquet": tmp_path / "wells.parquet",
                   "README.txt": tmp_path / "README.txt"})
    second, _, error = _read(archive)
    assert error is None, error
    np.testing.assert_array_equal(first.values["li"], [1, 2, 3])
    np.testing.assert_array_equal(second.values["li"], [7, 8, 9])


def test_a_zip_member_that_is_not_there_is_named(tmp_path: Path) -> None:
    _wells().to_parquet(tmp_path / "wells.parquet")
    archive = _zip(tmp_path / "wells.zip", {"wells.parquet": tmp_path / "wells.parquet"})
    _, _, error = _read(GdalPath(f"/vsizip/{archive}/other.parquet"))
    assert isinstance(error, InputFileError), error
    assert "no file 'other.parquet'" in str(error) and "wells.parquet" in str(error), error


# --- layers of a KML or GeoPackage ----------------------------------------------------------

_KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>survey</name>
<Folder><name>Li occurrences</name>
<Placemark><name>a</name><Point><coordinates>5.1,52.1,0</coordinates></Point></Placemark>
<Placemark><name>b</name><Point><coordinates>5.2,52.2,0</coordinates></Point></Placemark>
</Folder>
<Folder><name>Boreholes</name>
<Placemark><name>c</name><Point><coordinates>5.3,52.3,0</coordinates></Point></Placemark>
</Folder>
<Folder><name>Licence areas</name>
<Placemark><name>p</name><Polygon><outerBoundaryIs><LinearRing>
<coordinates>5,52 5.5,52 5.5,52.5 5,52</coordinates></LinearRing></outerBoundaryIs></Polygon>
</Placemark></Folder>
<Folder><name>Empty</name></Folder>
</Document></kml>
"""


def test_a_kml_of_several_folders_names_what_each_holds(tmp_path: Path) -> None:
    """Before: "holds 4 layers (Li occurrences, Boreholes, Licence areas, Empty); name the
    one to read with 'layer:'", not saying which folders hold points."""
    (tmp_path / "survey.kml").write_text(_KML)
    _, _, error = _read(tmp_path / "survey.kml", columns=[])
    assert isinstance(error, DataError), error
    for needle in ("4 layers", "the KML's folders", "'Li occurrences' (2 points)",
                   "'Boreholes' (1 point)", "'Licence areas' (1 polygon)", "'Empty' (no features)",
                   "layer: 'Li occurrences'", "OGR_GEOMETRY='POINT'"):
        assert needle in str(error), error


def test_control_the_kml_merge_given_reads_every_folders_points(tmp_path: Path) -> None:
    """The command the refusal gives, run with GDAL's own ogr2ogr, makes one layer of the
    points of every folder (and none of the polygons)."""
    (tmp_path / "survey.kml").write_text(_KML)
    subprocess.run(["ogr2ogr", "-f", "GPKG", "points.gpkg", "survey.kml", "-where",
                    "OGR_GEOMETRY='POINT'", "-nln", "points", "-append"], cwd=tmp_path,
                   check=True, capture_output=True)
    table, _, error = _read(tmp_path / "points.gpkg", columns=[])
    assert error is None, error
    assert len(table) == 3


def test_a_geopackage_of_several_layers_names_their_kinds(tmp_path: Path) -> None:
    path = tmp_path / "survey.gpkg"
    _wells().to_file(path, layer="wells")
    gpd.GeoDataFrame({"unit": ["a"]}, geometry=[shapely.box(5, 52, 5.5, 52.5)],
                     crs="EPSG:4326").to_file(path, layer="geology")
    _, _, error = _read(path)
    assert isinstance(error, DataError), error
    for needle in ("2 layers", "'wells' (3 points)", "'geology' (1 polygon)",
                   "layer: 'wells'"):
        assert needle in str(error), error


# --- workbooks -------------------------------------------------------------------------------

def _workbook(tmp_path: Path, name: str, sheets: dict[str, str], *, typed: bool = True
              ) -> Path:
    """A workbook written by GDAL's own XLSX/ODS drivers, one sheet per CSV text."""
    out = tmp_path / name
    driver = "XLSX" if name.endswith(".xlsx") else "ODS"
    for i, (sheet, text) in enumerate(sheets.items()):
        source = tmp_path / f"{sheet}.csv"
        source.write_text(text)
        subprocess.run(["ogr2ogr", "-f", driver, *(["-update"] if i else []), str(out),
                        str(source), "-nln", sheet,
                        *(["-oo", "AUTODETECT_TYPE=YES"] if typed else [])],
                       check=True, capture_output=True)
    return out


@pytest.mark.parametrize("name", ["wells.xlsx", "wells.ods"])
def test_a_workbook_of_two_sheets_of_wells_is_refused_naming_them(tmp_path: Path,
                                                                  name: str) -> None:
    """Before: the first sheet read without a word (the 2022 sheet's well lost), and
    pyogrio's "More than one layer found" UserWarning on the terminal."""
    path = _workbook(tmp_path, name, {"wells_2021": "lon,lat,li\n5.1,52.1,1\n5.2,52.2,2\n",
                                      "wells_2022": "lon,lat,li\n5.3,52.3,3\n"})
    table, said, error = _read(path)
    assert isinstance(error, DataError), error
    for needle in ("2 sheets", "'wells_2021' (2 rows)", "'wells_2022' (1 row)", "layer:",
                   "no sheet's rows are left out"):
        assert needle in str(error), error
    assert not [s for s in said if "More than one layer" in s], said
    table, _, error = _read(path, layer="wells_2022")
    assert error is None, error
    np.testing.assert_array_equal(table.values["li"], [3])
    _, _, error = _read(path, layer="wells_2023")
    assert isinstance(error, DataError) and "no sheet 'wells_2023'" in str(error), error


def test_a_workbook_whose_first_sheet_is_a_readme_reads_the_wells(tmp_path: Path) -> None:
    """Before: "no column(s) ['lon', 'lat', 'li']; columns are ['note', 'x']", the README
    sheet read, the sheet of wells not named."""
    path = _workbook(tmp_path, "wells.ods", {"README": "note,x\nwells of 2021,1\n",
                                             "wells": "lon,lat,li\n5.1,52.1,1\n5.2,52.2,2\n"})
    table, said, error = _read(path)
    assert error is None, error
    assert not said, said  # (pyogrio's "More than one layer found" was one)
    np.testing.assert_array_equal(table.values["li"], [1, 2])


@pytest.mark.parametrize("name", ["comma.xlsx", "comma.ods"])
@pytest.mark.parametrize("decimal", [None, ","])
def test_a_sheet_of_numbers_typed_in_decimal_commas_is_read(tmp_path: Path, name: str,
                                                            decimal: str | None) -> None:
    """A Dutch sheet whose numbers are text (``'5,1'``). Before: "these look like decimal
    commas: set 'decimal: \\",\\"'", and with it set, the same refusal."""
    control = _control(tmp_path)
    rows = "".join(f'"{x}","{y}","{i + 1}.5"\n'.replace(".", ",")
                   for i, (x, y) in enumerate(NL))
    path = _workbook(tmp_path, name, {"wells": '"lon","lat","li"\n' + rows}, typed=False)
    table, _, error = _read(path, decimal=decimal)
    assert error is None, error
    np.testing.assert_allclose(_xy(table), _xy(control))
    np.testing.assert_array_equal(table.values["li"], [1.5, 2.5, 3.5])


def test_control_a_sheet_of_number_cells_reads_without_decimal(tmp_path: Path) -> None:
    """Number cells are numbers, whatever ``decimal`` says (a cell 5.1 is never 51)."""
    control = _control(tmp_path)
    path = _workbook(tmp_path, "wells.xlsx", {
        "wells": "lon,lat,li\n" + "".join(f"{x},{y},{i + 1}\n" for i, (x, y) in enumerate(NL))})
    for decimal in (None, ",", "."):
        table, _, error = _read(path, decimal=decimal)
        assert error is None, error
        np.testing.assert_allclose(_xy(table), _xy(control))


# --- a header again in another order, collections of one kind, a stated datum ----------------

@pytest.mark.parametrize(("second", "needles"), [
    ("lat,lon,li", ["line 4", "'lat,lon,li' under 'lon,lat,li'", "its 'lat' as 'lon'",
                    "2 line(s) below it"]),
    ("lon,lat,cu,li", ["line 4", "its 'cu' as 'li'"]),
], ids=["coordinates-swapped", "values-swapped"])
def test_a_header_again_in_another_order_is_refused(tmp_path: Path, second: str,
                                                    needles: list[str]) -> None:
    """Two exports joined, the second with its columns in another order. Before: the
    second header dropped as "1 row without usable coordinates" and the rows below read
    in the first header's order: latitudes as longitudes (or Cu as Li), without a word."""
    first = "lon,lat,li" if second.count(",") == 2 else "lon,lat,li,cu"
    tail = ",10" if second.count(",") == 3 else ""
    rows = (f"5.1,52.1,1{tail}\n5.2,52.2,2{tail}\n{second}\n"
            + ("52.3,5.3,3\n52.4,5.4,4\n" if not tail else "5.3,52.3,30,3\n5.4,52.4,40,4\n"))
    (tmp_path / "joined.csv").write_text(f"{first}\n{rows}")
    _, _, error = _read(tmp_path / "joined.csv", to_crs="EPSG:4326")
    assert isinstance(error, DataError), error
    for needle in ("joined.csv", "repeats the header in another column order", *needles,
                   "split the table"):
        assert needle in str(error), error


def test_control_a_header_again_in_the_same_order_is_warned(tmp_path: Path) -> None:
    (tmp_path / "joined.csv").write_text(
        "lon,lat,li\n5.1,52.1,1\n5.2,52.2,2\nlon,lat,li\n5.3,52.3,3\n")
    table, said, error = _read(tmp_path / "joined.csv", to_crs="EPSG:4326")
    assert error is None, error
    assert [s for s in said if "line 4 repeats the header" in s], said
    np.testing.assert_array_equal(table.values["li"], [1, 2, 3])


def test_label_collections_of_one_kind_are_read(tmp_path: Path) -> None:
    """A GeoJSON GeometryCollection of one point, or of two polygons. Before: "are
    GeometryCollection, not points or polygons, and are left out of the labels"."""
    import json

    square = [[[5.30, 52.30], [5.35, 52.30], [5.35, 52.35], [5.30, 52.35], [5.30, 52.30]]]
    other = [[[5.50, 52.30], [5.55, 52.30], [5.55, 52.35], [5.50, 52.35], [5.50, 52.30]]]
    features = [
        {"type": "Feature", "properties": {"li": 1},
         "geometry": {"type": "GeometryCollection",
                      "geometries": [{"type": "Point", "coordinates": [5.1, 52.1]}]}},
        {"type": "Feature", "properties": {"li": 2},
         "geometry": {"type": "GeometryCollection",
                      "geometries": [{"type": "Polygon", "coordinates": square},
                                     {"type": "Polygon", "coordinates": other}]}},
    ]
    (tmp_path / "occ.geojson").write_text(json.dumps({"type": "FeatureCollection",
                                                      "features": features}))
    grid = RegionGrid(crs="EPSG:28992", resolution=1000.0,
                      bounds=(100_000.0, 400_000.0, 200_000.0, 500_000.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        occ = read_occurrences(tmp_path / "occ.geojson", grid, value_column="li")
    assert not [w for w in caught if "GeometryCollection" in str(w.message)], caught
    assert occ.n_dropped == 0
    assert set(occ.feature_id.tolist()) == {0, 1}
    assert (occ.feature_id == 1).sum() >= 2  # the cells of both squares


def test_control_a_table_in_ed50_is_placed_by_its_datum(tmp_path: Path) -> None:
    """ED50 (EPSG:4230) coordinates are placed about 100 m from the same numbers read as
    WGS 84: the stated datum is honoured, never taken for WGS 84."""
    (tmp_path / "wells.csv").write_text(
        "lon,lat,li\n" + "".join(f"{x},{y},{i + 1}\n" for i, (x, y) in enumerate(NL)))
    wgs, _, error = _read(tmp_path / "wells.csv", crs="EPSG:4326", override_crs=True)
    assert error is None, error
    ed50, _, error = _read(tmp_path / "wells.csv", crs="EPSG:4230", override_crs=True)
    assert error is None, error
    shift = np.hypot(*(_xy(ed50) - _xy(wgs)).T)
    assert ((shift > 50) & (shift < 200)).all(), shift


# --- a .dbf's numbers too wide for their field; geology written lat, lon --------------------

def _overflowed_shapefile(tmp_path: Path) -> Path:
    """A Shapefile of three wells whose second Li value is asterisks in the ``.dbf``, as
    dBase and ArcGIS write a value too wide for its field."""
    gdf = _wells()
    gdf["li"] = [12.5, 13.5, 14.5]
    path = tmp_path / "wells.shp"
    gdf.to_file(path)
    dbf = bytearray((tmp_path / "wells.dbf").read_bytes())
    header = int.from_bytes(dbf[8:10], "little")
    width = int.from_bytes(dbf[10:12], "little")
    assert dbf[32:34] == b"li" and width > 1
    length = dbf[32 + 16]  # the first field's width; its cells follow the deletion flag
    start = header + width + 1  # the second record's first field
    dbf[start:start + length] = b"*" * length
    (tmp_path / "wells.dbf").write_bytes(bytes(dbf))
    return path


def test_values_written_as_asterisks_in_a_dbf_are_counted(tmp_path: Path) -> None:
    """Before: the value read as missing (GDAL reads '****' as null), without a word."""
    path = _overflowed_shapefile(tmp_path)
    table, said, error = _read(path)
    assert error is None, error
    np.testing.assert_array_equal(np.isnan(table.values["li"]), [False, True, False])
    hit = [s for s in said if "asterisks" in s]
    assert hit and "feature 2" in hit[0] and "'li'" in hit[0] and "wider field" in hit[0], said


def test_label_grades_written_as_asterisks_are_counted(tmp_path: Path) -> None:
    path = _overflowed_shapefile(tmp_path)
    grid = RegionGrid(crs="EPSG:28992", resolution=1000.0,
                      bounds=(100_000.0, 400_000.0, 200_000.0, 500_000.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        occ = read_occurrences(path, grid, value_column="li")
    assert np.isnan(occ.values[1])
    assert [w for w in caught if "asterisks" in str(w.message)], [str(w.message)
                                                                  for w in caught]


def test_a_geology_map_written_lat_lon_is_named_as_swapped(tmp_path: Path) -> None:
    """Before: only "no feature ... lies in the region; check the file, its CRS or the
    region bounds" (the hint spoke only of projected coordinates without a CRS)."""
    import json

    from prospect.io.vector import not_lonlat_hint

    ring = [[52.30, 5.30], [52.30, 5.35], [52.35, 5.35], [52.35, 5.30], [52.30, 5.30]]
    (tmp_path / "geo.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"unit": "a"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    grid = RegionGrid(crs="EPSG:28992", resolution=100.0,
                      bounds=(140_000.0, 470_000.0, 160_000.0, 490_000.0))
    hint = not_lonlat_hint(tmp_path / "geo.geojson", region=grid)
    for needle in ("look swapped", "read as y, x they lie in the region", "axisswap"):
        assert needle in hint, hint
    far = RegionGrid(crs="EPSG:28992", resolution=100.0,
                     bounds=(10_000.0, 310_000.0, 20_000.0, 320_000.0))
    assert not_lonlat_hint(tmp_path / "geo.geojson", region=far) == ""


# --- a title above the header ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "needles"), [
    ("Wells of the 1991 survey\n\nlon,lat,li\n5.1,52.1,1\n5.2,52.2,2\n",
     ["the header is line 3, not line 1", "('Wells of the 1991 survey')"]),
    ("Wells of the 1991 survey,,\nlon,lat,li\n5.1,52.1,1\n5.2,52.2,2\n",
     ["the header is line 2, not line 1", "('Wells of the 1991 survey')"]),
], ids=["title-line", "title-cell"])
def test_a_title_above_the_header_is_named(tmp_path: Path, text: str,
                                           needles: list[str]) -> None:
    """Before: "the header has 5 columns but every row fills only the first ... different
    delimiters", or the header read as "a second header row of units" and then "no
    column(s) ['lon', 'lat', 'li']". Round 21: the title is skipped and named in a
    warning (it was refused, "delete the lines above the header")."""
    (tmp_path / "wells.csv").write_text(text)
    table, said, error = _read(tmp_path / "wells.csv", to_crs="EPSG:4326")
    assert error is None, error
    np.testing.assert_allclose(table.x, [5.1, 5.2])
    title = [s for s in said if "read as a title and skipped" in s]
    assert title, said
    for needle in ("wells.csv", *needles):
        assert needle in title[0], title[0]
    assert not [s for s in said if "holds units" in s], said


def test_a_sheet_with_a_title_above_the_header_is_named(tmp_path: Path) -> None:
    """Round 21: read below its title, which a warning names (it was refused)."""
    path = _workbook(tmp_path, "wells.xlsx", {
        "wells": "Wells of the 1991 survey,,\nlon,lat,li\n5.1,52.1,1\n"}, typed=False)
    table, said, error = _read(path, to_crs="EPSG:4326")
    assert error is None, error
    np.testing.assert_allclose(table.x, [5.1])
    assert [s for s in said if "the header is row 2, not row 1" in s], said


def test_control_a_table_separated_by_single_spaces_reads(tmp_path: Path) -> None:
    """A header without a delimiter over rows holding commas (decimal commas between
    single spaces) is no title."""
    (tmp_path / "wells.txt").write_text("lon lat li\n5,1 52,1 1\n5,2 52,2 2\n5,3 52,3 3\n")
    table, _, error = _read(tmp_path / "wells.txt", to_crs="EPSG:4326")
    assert error is None, error
    np.testing.assert_allclose(table.x, [5.1, 5.2, 5.3])


def test_a_zipped_geoparquet_of_wells_reaches_the_cube(sandbox: Sandbox, cli,
                                                       scheduler: str) -> None:
    """Through the real CLI: the tiny grid's wells as GeoParquet in a zip give the cube of
    the CSV. Before: exit 1, "the archive holds no vector file GDAL reads"."""
    gdf = gpd.GeoDataFrame({"li": np.arange(20, dtype="f8")},
                           geometry=gpd.points_from_xy(*zip(*PLACES, strict=True)),
                           crs="EPSG:32619")
    gdf.to_parquet(sandbox.root / "wells.parquet")
    _zip(sandbox.root / "wells.zip", {"survey/wells.parquet": sandbox.root / "wells.parquet"})
    (sandbox.root / "wells.parquet").unlink()
    source = {key: value for key, value in WELLS.items() if key not in ("x", "y", "crs")}
    result = _ingest(sandbox, cli, scheduler, sources=[{**source, "path": "wells.zip"}])
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_at_points(sandbox), np.arange(20), atol=1e-4)


# --- a layer whose coordinates are columns, not geometries; a macro workbook ----------------

def test_a_layer_of_coordinate_columns_without_geometries_is_named(tmp_path: Path) -> None:
    """A GeoPackage exported without writing its points from its lon/lat columns. Before:
    "the point table is empty (no rows with coordinates)" (points) and "no usable
    occurrence geometries" (labels)."""
    gpd.GeoDataFrame({"lon": [5.1, 5.2], "lat": [52.1, 52.2], "li": [1.0, 2.0]},
                     geometry=[None, None], crs="EPSG:4326").to_file(tmp_path / "w.gpkg")
    _, _, error = _read(tmp_path / "w.gpkg")
    assert isinstance(error, DataError), error
    for needle in ("none of the layer's 2 feature(s) has a geometry", "'lon'/'lat' hold "
                   "coordinates", "export it as CSV"):
        assert needle in str(error), error
    grid = RegionGrid(crs="EPSG:28992", resolution=1000.0,
                      bounds=(100_000.0, 400_000.0, 200_000.0, 500_000.0))
    with pytest.raises(DataError, match="'lon'/'lat' hold coordinates"):
        read_occurrences(tmp_path / "w.gpkg", grid)


def test_a_macro_workbook_is_read_as_a_workbook(tmp_path: Path) -> None:
    """An ``.xlsm`` (Excel with macros) of two sheets. Before: "holds 2 layers" of "rows
    without geometry", the sheet holding the wells not told from the other."""
    path = _workbook(tmp_path, "wells.xlsx", {"README": "note,x\nwells,1\n",
                                              "wells": "lon,lat,li\n5.1,52.1,1\n"})
    path = path.rename(tmp_path / "wells.xlsm")
    table, _, error = _read(path)
    assert error is None, error
    np.testing.assert_array_equal(table.values["li"], [1])


def test_degrees_in_a_latin1_table_with_accented_names_are_read(tmp_path: Path) -> None:
    """An ANSI (Windows-1252) export: the degree sign is byte 0xB0, names accented."""
    (tmp_path / "wells.csv").write_bytes(
        "naam,lon,lat,li\nMontfoort-één,5°07'12\"E,52°05'12\"N,1\n".encode("cp1252"))
    table, _, error = _read(tmp_path / "wells.csv", to_crs="EPSG:4326")
    assert error is None, error
    np.testing.assert_allclose(_xy(table), [[5.12, 52 + 5 / 60 + 12 / 3600]])
