"""Boolean cells read as grades, a GPX file's lines named as its points and lines of no
length said as rings, as users hand point and vector files over.

Found by feeding the point reader (``prospect.io.points``), the labels reader
(``prospect.models.labels``) and the vector reader (``prospect.io.vector``) what a
spreadsheet, a GeoPackage, a handheld's GPX file and a digitised layer are (2026-12-04):
a spreadsheet's ``TRUE`` cell (Excel's and LibreOffice's boolean cell type) in a grade
column was read as a grade of 1, and a column of them, or a GeoPackage's boolean field,
as grades of 1 and 0, without a word; a GPX file's ``tracks`` layer named as a point
table was refused with "multi-points split, e.g. ogr2ogr -explodecollections", and as
labels with "no point or polygon geometries", where the file's ``track_points`` layer
holds the fixes; a line of no length was said to be "a ring of fewer than 4 points".
Every file is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from prospect.grid import RegionGrid
from prospect.io.points import read_points
from prospect.models.labels import read_occurrences

from .test_tables_round25 import Raw, _xlsx
from .test_vectors_round22 import _caught
from .test_vectors_round23 import _ods

RD = RegionGrid(crs="EPSG:28992", resolution=100.0,
                bounds=(120_000.0, 440_000.0, 180_000.0, 500_000.0))
"""A Dutch region of 100 m cells (the places below lie in it)."""

PLACES = [(5.1234, 52.1234), (5.2345, 52.2345), (5.3456, 52.3456)]
"""Three SYNTHETIC places in RD's region (four decimals: not coarse)."""

TRUE = Raw('<c r="{ref}" t="b"><v>1</v></c>')
FALSE = Raw('<c r="{ref}" t="b"><v>0</v></c>')
"""Excel's boolean cells (``t="b"``), as Excel and openpyxl write ``TRUE``/``FALSE``."""


def _sheet(path: Path, grades: list[object]) -> Path:
    """A SYNTHETIC ``.xlsx`` of ``lon, lat, Li_ppm`` at :data:`PLACES`."""
    rows: list[list[object]] = [["lon", "lat", "Li_ppm"]]
    rows += [[x, y, g] for (x, y), g in zip(PLACES, grades, strict=True)]
    return _xlsx(path, rows)


# --- a boolean cell in a grade column (left by round 25) ------------------------------------

def test_a_true_cell_among_grades_is_no_grade_of_one(tmp_path: Path) -> None:
    """SYNTHETIC: an ``.xlsx`` grade column of 12, TRUE, 15: the TRUE was read as 1 ppm."""
    path = _sheet(tmp_path / "wells.xlsx", [12.0, TRUE, 15.0])
    out, said, error = _caught(lambda: read_points(path, columns=["Li_ppm"],
                                                   to_crs=RD.crs))
    assert error is None
    assert np.isnan(out.values["Li_ppm"][1])
    assert out.values["Li_ppm"][[0, 2]].tolist() == [12.0, 15.0]
    assert any("not finite numbers" in s and "row 3" in s for s in said), said


def test_a_column_of_booleans_is_refused_as_grades(tmp_path: Path) -> None:
    """SYNTHETIC: an ``.xlsx`` grade column of TRUE, TRUE, FALSE was grades 1, 1, 0."""
    path = _sheet(tmp_path / "wells.xlsx", [TRUE, TRUE, FALSE])
    _, _, error = _caught(lambda: read_points(path, columns=["Li_ppm"], to_crs=RD.crs))
    assert error is not None
    assert "'Li_ppm'" in str(error) and "boolean" in str(error)
    assert "np.True_" not in str(error)


def test_control_an_ods_true_cell_is_no_grade_of_one(tmp_path: Path) -> None:
    """Control, SYNTHETIC: a LibreOffice sheet's boolean cell
    (``office:value-type="boolean"``) among grades stays missing (GDAL's ODS driver gives
    it as its text; the cell types read now say it is a boolean too)."""
    path = _ods(tmp_path / "wells.ods", [["lon", "lat", "Li_ppm"],
                                         [*PLACES[0], 12.0], [*PLACES[1], "@B@"],
                                         [*PLACES[2], 15.0]])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["content.xml"] = parts["content.xml"].replace(
        b'<table:table-cell office:value-type="string"><text:p>@B@</text:p>'
        b"</table:table-cell>",
        b'<table:table-cell office:value-type="boolean" office:boolean-value="true">'
        b"<text:p>TRUE</text:p></table:table-cell>")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    out, said, error = _caught(lambda: read_points(path, columns=["Li_ppm"],
                                                   to_crs=RD.crs))
    assert error is None
    assert np.isnan(out.values["Li_ppm"][1]) and out.values["Li_ppm"][0] == 12.0
    assert any("not finite numbers" in s for s in said), said


@pytest.mark.parametrize("suffix", ["gpkg", "parquet", "shp"])
def test_a_boolean_field_is_refused_as_grades(tmp_path: Path, suffix: str) -> None:
    """SYNTHETIC: a GeoPackage's, a GeoParquet's or a Shapefile's (``L``) boolean field
    named as a value column was read as grades of 1 and 0."""
    path = tmp_path / f"wells.{suffix}"
    frame = gpd.GeoDataFrame({"Li": [True, False, True]},
                             geometry=[Point(p) for p in PLACES], crs=4326)
    frame.to_parquet(path) if suffix == "parquet" else frame.to_file(path)
    _, _, error = _caught(lambda: read_points(path, columns=["Li"], to_crs=RD.crs))
    assert error is not None and "boolean" in str(error) and "'Li'" in str(error)


def _geojson(path: Path, grades: list[object]) -> Path:
    """A SYNTHETIC GeoJSON of points at :data:`PLACES` with a ``Li`` property each."""
    features = [{"type": "Feature", "properties": {"Li": g},
                 "geometry": {"type": "Point", "coordinates": list(p)}}
                for p, g in zip(PLACES, grades, strict=True)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.mark.parametrize("grades", [[True, None, False], [12.5, True, 15]],
                         ids=["booleans-and-null", "numbers-and-a-boolean"])
def test_a_geojson_boolean_is_no_grade_of_one(tmp_path: Path, grades: list[object]
                                               ) -> None:
    """SYNTHETIC: a GeoJSON property ``true`` beside a ``null`` (pyogrio gives 1.0/NaN/0.0)
    or beside numbers (GDAL reads a number field, ``true`` as 1) was a grade of 1."""
    path = _geojson(tmp_path / "wells.geojson", grades)
    out, said, error = _caught(lambda: read_points(path, columns=["Li"], to_crs=RD.crs))
    assert error is None
    values = out.values["Li"]
    assert np.isnan(values[[i for i, g in enumerate(grades) if isinstance(g, bool)]]).all()
    assert values[[i for i, g in enumerate(grades) if not isinstance(g, bool)
                   and g is not None]].tolist() == [g for g in grades
                                                    if not isinstance(g, bool | None)]
    assert any("not finite numbers" in s and "feature" in s for s in said), said


def test_control_a_geojson_of_numbers_reads_as_before(tmp_path: Path) -> None:
    """Control, SYNTHETIC: a GeoJSON of numbers and a null, with a boolean property beside
    them, reads its numbers."""
    features = [{"type": "Feature", "properties": {"Li": g, "checked": True},
                 "geometry": {"type": "Point", "coordinates": list(p)}}
                for p, g in zip(PLACES, [12.5, None, 1], strict=True)]
    path = tmp_path / "wells.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    values = read_points(path, columns=["Li"], to_crs=RD.crs).values["Li"]
    assert values[0] == 12.5 and np.isnan(values[1]) and values[2] == 1.0


def test_control_a_text_true_and_number_fields_read_as_before(tmp_path: Path) -> None:
    """Control, SYNTHETIC: a CSV's ``TRUE`` text cell stays missing with its warning, a
    GeoPackage's number field and an ``.xlsx``'s number cells read as they did."""
    csv = tmp_path / "wells.csv"
    csv.write_text("lon,lat,Li_ppm\n" + "".join(
        f"{x},{y},{g}\n" for (x, y), g in zip(PLACES, ["12", "TRUE", "15"], strict=True)))
    out, said, _ = _caught(lambda: read_points(csv, columns=["Li_ppm"], to_crs=RD.crs))
    assert np.isnan(out.values["Li_ppm"][1]) and any("'TRUE'" in s for s in said)
    gpkg = tmp_path / "wells.gpkg"
    gpd.GeoDataFrame({"Li": [1.5, 0.0, 3]}, geometry=[Point(p) for p in PLACES],
                     crs=4326).to_file(gpkg)
    assert read_points(gpkg, columns=["Li"], to_crs=RD.crs).values["Li"].tolist() == \
        [1.5, 0.0, 3.0]
    sheet = _sheet(tmp_path / "wells.xlsx", [12.0, 1.0, 0.0])
    assert read_points(sheet, columns=["Li_ppm"], to_crs=RD.crs).values[
        "Li_ppm"].tolist() == [12.0, 1.0, 0.0]


def test_control_labels_read_a_column_of_booleans_as_presence(tmp_path: Path) -> None:
    """Control, SYNTHETIC: a labels' value column of yes/no (a presence flag) stays 1/0."""
    path = tmp_path / "deposits.gpkg"
    gpd.GeoDataFrame({"found": [True, False, True]}, geometry=[Point(p) for p in PLACES],
                     crs=4326).to_file(path)
    occ, _, error = _caught(lambda: read_occurrences(path, RD, value_column="found"))
    assert error is None and occ.values.tolist() == [1.0, 0.0, 1.0]


# --- a GPX file's tracks named where its points are meant (left by round 24) ----------------

def _gpx(path: Path) -> Path:
    """A SYNTHETIC GPX file of one track of :data:`PLACES`, as a handheld writes it."""
    points = "".join(f'<trkpt lat="{y}" lon="{x}"><ele>{i}</ele></trkpt>'
                     for i, (x, y) in enumerate(PLACES))
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="t" '
                    'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>survey</name>'
                    f"<trkseg>{points}</trkseg></trk></gpx>", encoding="utf-8")
    return path


@pytest.mark.parametrize("reader", ["points", "labels"])
def test_a_gpx_tracks_layer_names_its_track_points(tmp_path: Path, reader: str) -> None:
    """SYNTHETIC: ``layer: tracks`` of a GPX file (lines) was refused with ogr2ogr's
    -explodecollections (points) or "no point or polygon geometries" (labels)."""
    path = _gpx(tmp_path / "walk.gpx")
    if reader == "points":
        _, _, error = _caught(lambda: read_points(path, layer="tracks", to_crs=RD.crs))
    else:
        _, _, error = _caught(lambda: read_occurrences(path, RD, layer="tracks"))
    assert error is not None and "layer: 'track_points'" in str(error)
    assert "explodecollections" not in str(error)


def test_control_a_gpx_track_points_layer_reads(tmp_path: Path) -> None:
    """Control, SYNTHETIC: the ``track_points`` layer the hint names reads each fix."""
    out = read_points(_gpx(tmp_path / "walk.gpx"), layer="track_points", to_crs=RD.crs)
    assert len(out.x) == 3


# --- a line of no length said as a ring ----------------------------------------------------

def test_a_line_of_no_length_is_said_as_a_line(tmp_path: Path) -> None:
    """SYNTHETIC: an occurrence digitised as a line of two vertices at one place was
    repaired to a point "a ring of fewer than 4 points" (it has no ring)."""
    path = tmp_path / "deposits.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[LineString([(150_000, 460_000)] * 2)],
                     crs=28992).to_file(path)
    occ, said, error = _caught(lambda: read_occurrences(path, RD))
    assert error is None and occ.x.tolist() == [150_000.0]
    assert any("a line of no length" in s and "feature 1" in s for s in said), said
    assert not any("ring" in s for s in said), said


# --- a KML's ground overlay read as a polygon feature ---------------------------------------

_OVERLAY = ("<GroundOverlay><name>scanned map</name><Icon><href>map.png</href></Icon>"
            "<LatLonBox><north>52.5</north><south>52.0</south><east>5.5</east>"
            "<west>5.0</west></LatLonBox></GroundOverlay>")
"""A ground overlay: an image placed on the map by its frame, as Google Earth saves one."""


def _placemark(name: str, x: float, y: float) -> str:
    """A KML placemark of a point, with the icon style Google Earth writes."""
    return (f"<Placemark><name>{name}</name><Style><IconStyle><Icon><href>paddle.png</href>"
            f"</Icon></IconStyle></Style><Point><coordinates>{x},{y},0</coordinates>"
            "</Point></Placemark>")


def _kml(path: Path, body: str) -> Path:
    """A SYNTHETIC KML document of ``body``."""
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><kml xmlns='
                    f'"http://www.opengis.net/kml/2.2"><Document><name>doc</name>{body}'
                    "</Document></kml>", encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", ["kml", "kmz"])
def test_a_ground_overlay_alone_is_no_deposit(tmp_path: Path, suffix: str) -> None:
    """SYNTHETIC: a KML (or KMZ) of a scanned map's overlay only was read as labels of
    every cell of the image's frame (185,110 cells), without a word."""
    path = _kml(tmp_path / "map.kml", _OVERLAY)
    if suffix == "kmz":
        kmz = tmp_path / "map.kmz"
        with zipfile.ZipFile(kmz, "w") as z:
            z.writestr("doc.kml", path.read_text())
            z.writestr("map.png", b"\x89PNG\r\n\x1a\n")
        path = kmz
    _, _, error = _caught(lambda: read_occurrences(path, RD))
    assert error is not None and "ground overlay" in str(error)
    assert "'scanned map'" in str(error)


def test_a_ground_overlay_beside_placemarks_is_left_out(tmp_path: Path) -> None:
    """SYNTHETIC: an overlay and two well placemarks in one KML: the overlay's frame was
    a polygon label of thousands of cells beside the two wells."""
    path = _kml(tmp_path / "wells.kml", _OVERLAY + "".join(
        _placemark(f"w{i}", x, y) for i, (x, y) in enumerate(PLACES[:2])))
    occ, said, error = _caught(lambda: read_occurrences(path, RD))
    assert error is None and len(occ.x) == 2 and occ.polygon is None
    assert any("1 ground overlay ('scanned map')" in s and "left out" in s
               for s in said), said


def test_a_folder_of_an_overlay_is_not_the_layer_offered(tmp_path: Path) -> None:
    """SYNTHETIC: a KML of an overlay and a folder of wells offered ``layer: 'doc'`` (the
    overlay's) as the example, said to hold "1 polygon"."""
    path = _kml(tmp_path / "wells.kml", _OVERLAY + "<Folder><name>wells</name>" + "".join(
        _placemark(f"w{i}", x, y) for i, (x, y) in enumerate(PLACES)) + "</Folder>")
    _, _, error = _caught(lambda: read_points(path, to_crs=RD.crs))
    assert error is not None and "layer: 'wells'" in str(error)
    assert "'doc' (1 ground overlay)" in str(error)


def test_control_kml_placemarks_with_icons_read(tmp_path: Path) -> None:
    """Control, SYNTHETIC: placemarks styled with an icon are read as before."""
    path = _kml(tmp_path / "wells.kml", "".join(
        _placemark(f"w{i}", x, y) for i, (x, y) in enumerate(PLACES)))
    occ, said, error = _caught(lambda: read_occurrences(path, RD))
    assert error is None and len(occ.x) == 3
    assert not any("overlay" in s for s in said)
