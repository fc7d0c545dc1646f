"""Occurrence tables and outlines as GeoParquet, WKT beside x/y, GPX and linked KML.

Found by feeding the point reader (``prospect.io.points``), the vector reader and the
outline reader the forms survey data now takes (2026-12-03): a GeoParquet file of wells or
of outlines was "not recognized as being in a supported file format" (the GDAL here has no
Parquet driver); a table whose WKT geometry column and x/y columns disagree was read by
its columns without comparing them; a GPX of waypoints was refused as "holds 5 layers"; a
KML that only links to another (a NetworkLink) was "holds no features (an export of an
empty selection?)". Every file is small and SYNTHETIC but for the real tables and outlines
written as GeoParquet.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from prospect.errors import CRSError, DataError, InputFileError
from prospect.io.vector import read_vector
from prospect.outlines import read_outline

from .conftest import TINY_REGION, Sandbox
from .test_point_tables import PLACES, WELLS, _at_points, _ingest
from .test_vectors_round18 import NL, _read

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

def _wells(crs: Any = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"li": [1.0, 2.0, 3.0]},
                            geometry=gpd.points_from_xy(*zip(*NL, strict=True)), crs=crs)


def _with_geo(path: Path, edit: Any) -> Path:
    """``path`` rewritten with its ``geo`` metadata changed by ``edit`` (a dict -> None)."""
    table = pq.read_table(path)
    geo = json.loads(table.schema.metadata[b"geo"])
    edit(geo)
    meta = {**table.schema.metadata, b"geo": json.dumps(geo).encode()}
    pq.write_table(table.replace_schema_metadata(meta), path)
    return path


def _control(tmp_path: Path) -> Any:
    _wells().to_file(tmp_path / "wells.geojson")
    table, _, error = _read(tmp_path / "wells.geojson")
    assert error is None, error
    return table


@pytest.mark.parametrize("options", [{}, {"write_covering_bbox": True},
                                     {"geometry_encoding": "geoarrow"}])
def test_geoparquet_points_are_read_as_the_geojson_is(tmp_path: Path,
                                                      options: dict[str, Any]) -> None:
    """Before: "not recognized as being in a supported file format" for each encoding
    (WKB; WKB with a 1.1 covering bbox column; GeoArrow's native point encoding)."""
    control = _control(tmp_path)
    _wells().to_parquet(tmp_path / "wells.parquet", **options)
    table, said, error = _read(tmp_path / "wells.parquet")
    assert error is None, error
    np.testing.assert_allclose(np.column_stack([table.x, table.y]),
                               np.column_stack([control.x, control.y]))
    np.testing.assert_array_equal(table.values["li"], [1, 2, 3])
    assert "4326" in table.source_crs
    assert not said, said


def test_geoparquet_without_a_crs_key_is_crs84_and_with_null_needs_one(tmp_path: Path
                                                                       ) -> None:
    """GeoParquet: an absent ``crs`` is OGC:CRS84; ``null`` is unknown, and the config's
    ``crs`` is then needed (as for a Shapefile without ``.prj``). Before: unreadable."""
    control = _control(tmp_path)
    path = tmp_path / "wells.parquet"
    _wells().to_parquet(path)
    _with_geo(path, lambda geo: geo["columns"]["geometry"].pop("crs"))
    table, _, error = _read(path)
    assert error is None, error
    np.testing.assert_allclose(table.x, control.x)
    _with_geo(path, lambda geo: geo["columns"]["geometry"].update(crs=None))
    _, _, error = _read(path)
    assert isinstance(error, CRSError) and "crs:" in str(error), error
    table, _, error = _read(path, crs="EPSG:4326", override_crs=True)
    assert error is None, error
    np.testing.assert_allclose(table.y, control.y)


def test_geoparquet_in_a_projected_crs_keeps_it(tmp_path: Path) -> None:
    """PROJJSON of RD New in the metadata: read in it, not as longitude/latitude."""
    control = _control(tmp_path)
    _wells().to_crs("EPSG:28992").to_parquet(tmp_path / "rd.parquet")
    table, _, error = _read(tmp_path / "rd.parquet")
    assert error is None, error
    np.testing.assert_allclose(table.x, control.x, atol=1e-6)
    assert "28992" in table.source_crs


def test_a_covering_bbox_that_misses_its_geometry_is_refused(tmp_path: Path) -> None:
    """A covering bbox column written for other geometries: a bbox query skips the rows
    it misses. Refused naming the rows; the true box is the control."""
    path = tmp_path / "wells.parquet"
    _wells().to_parquet(path, write_covering_bbox=True)
    assert _read(path)[2] is None
    table = pq.read_table(path)
    box = table.column("bbox").combine_chunks()
    xmin = box.field("xmin").to_numpy(zero_copy_only=False).copy()
    xmin[1] += 1.0  # row 2's box now starts east of its point
    fields = [pa.array(xmin) if n == "xmin" else box.field(n)
              for n in ("xmin", "ymin", "xmax", "ymax")]
    moved = pa.StructArray.from_arrays(fields, names=["xmin", "ymin", "xmax", "ymax"])
    table = table.set_column(table.schema.get_field_index("bbox"), "bbox", moved)
    pq.write_table(table, path)
    _, _, error = _read(path)
    assert isinstance(error, DataError), error
    assert "covering bbox" in str(error) and "rows 2" in str(error), error


def test_a_geometry_that_is_no_wkb_is_refused_naming_its_row(tmp_path: Path) -> None:
    path = tmp_path / "wells.parquet"
    _wells().to_parquet(path)
    table = pq.read_table(path)
    wkb = table.column("geometry").to_pylist()
    wkb[2] = b"\x01\x01\x00"  # cut short
    table = table.set_column(table.schema.get_field_index("geometry"), "geometry",
                             pa.array(wkb, pa.binary()))
    pq.write_table(table, path)
    _, _, error = _read(path)
    assert isinstance(error, InputFileError), error
    assert "row 3" in str(error) and "WKB" in str(error), error


def test_a_plain_parquet_table_is_read_by_its_named_columns(tmp_path: Path) -> None:
    """A Parquet file without ``geo`` metadata is a table: read by x/y columns as a CSV,
    refused naming GeoParquet when the columns are not there, and refused as a vector
    layer (a geology map)."""
    control = _control(tmp_path)
    frame = pd.DataFrame({"lon": [p[0] for p in NL], "lat": [p[1] for p in NL],
                          "li": [1.0, 2.0, 3.0]})
    frame.to_parquet(tmp_path / "plain.parquet")
    table, _, error = _read(tmp_path / "plain.parquet")
    assert error is None, error
    np.testing.assert_allclose(table.x, control.x)
    np.testing.assert_array_equal(table.values["li"], [1, 2, 3])
    _, _, error = _read(tmp_path / "plain.parquet", x="X", y="Y")
    assert isinstance(error, DataError), error
    assert "without GeoParquet metadata" in str(error) and "x:/y:" in str(error), error
    with pytest.raises(DataError, match="without GeoParquet metadata"):
        read_vector(tmp_path / "plain.parquet")


@pytest.mark.realdata
def test_real_heat_flow_sites_read_the_same_as_geoparquet(shared_data: Path,
                                                          tmp_path: Path) -> None:
    """The IHFC Netherlands subset (315 sites) as GeoParquet: the same places and heat
    flow as the CSV. Before: unreadable."""
    plain = shared_data / "heatflow_europe_nl_ihfc" / "heatflow_netherlands_bbox_subset.csv"
    options = {"x": "Longitude", "y": "Latitude", "columns": ["Heat Flow"]}
    a, _, error = _read(plain, **options)
    assert error is None, error
    frame = pd.read_csv(plain)
    gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.Longitude, frame.Latitude),
                     crs="EPSG:4326").to_parquet(tmp_path / "hf.parquet")
    b, _, error = _read(tmp_path / "hf.parquet", columns=["Heat Flow"])
    assert error is None, error
    assert len(a) == len(b) == 315
    np.testing.assert_allclose(np.column_stack([a.x, a.y]), np.column_stack([b.x, b.y]))
    np.testing.assert_array_equal(a.values["Heat Flow"], b.values["Heat Flow"])


@pytest.mark.realdata
def test_real_outlines_read_the_same_as_geoparquet(shared_data: Path, tmp_path: Path) -> None:
    """Natural Earth's Netherlands (with its islands) as GeoParquet: the same outline as
    from the GeoJSON, and a bbox read keeps only what meets it."""
    source = shared_data / "naturalearth_world_atlas" / "prospect_regions_countries_10m.geojson"
    gpd.read_file(source).to_parquet(tmp_path / "countries.parquet",
                                     write_covering_bbox=True)
    a = read_outline(source, names=["Netherlands"])
    b = read_outline(tmp_path / "countries.parquet", names=["Netherlands"])
    assert a.area > 0 and shapely.equals_exact(shapely.normalize(a), shapely.normalize(b),
                                               tolerance=1e-12)
    near = read_vector(tmp_path / "countries.parquet", bbox=(3.0, 50.5, 7.5, 53.8))
    assert len(near) >= 1 and len(near) < len(gpd.read_file(source))


WKT_TABLE = ('wkt,lon,lat,li\n"POINT (5.1 52.1)",5.1,52.1,1\n'
             '"POINT (5.2000004 52.2)",5.2,52.2,2\n"POINT (5.3 52.3)",5.3,52.3,3\n')


@pytest.mark.parametrize(("table", "needles"), [
    (WKT_TABLE.replace("52.2)", "52.9)"), ["1 of 3 row(s)", "line 3", "'POINT (5.2000004"]),
    (WKT_TABLE.replace("POINT (5.1 52.1)", "POINT (52.1 5.1)").replace(
        "POINT (5.2000004 52.2)", "POINT (52.2 5.2)").replace("POINT (5.3 52.3)",
                                                              "POINT (52.3 5.3)"),
     ["3 of 3 row(s)", "other way round"]),
])
def test_a_wkt_column_that_disagrees_with_x_and_y_is_refused(
        tmp_path: Path, table: str, needles: list[str]) -> None:
    """Before: read by lon/lat alone, the WKT column unseen; the same table whose WKT
    agrees (within the decimals written) is the control."""
    (tmp_path / "ok.csv").write_text(WKT_TABLE)
    assert _read(tmp_path / "ok.csv")[2] is None
    (tmp_path / "wells.csv").write_text(table)
    _, _, error = _read(tmp_path / "wells.csv")
    assert isinstance(error, DataError), error
    for needle in ("column 'wkt'", "lon/lat", *needles):
        assert needle in str(error), error


GPX = ('<?xml version="1.0"?><gpx version="1.1" creator="t" '
       'xmlns="http://www.topografix.com/GPX/1/1">'
       '<wpt lat="52.1" lon="5.1"><name>W1</name></wpt>'
       '<wpt lat="52.2" lon="5.2"><name>W2</name></wpt>'
       '<wpt lat="52.3" lon="5.3"><name>W3</name></wpt></gpx>')


def test_a_gpx_of_waypoints_is_read_without_a_layer(tmp_path: Path) -> None:
    """Before: "holds 5 layers (waypoints, routes, tracks, route_points, track_points)"
    for a handheld's waypoints; a GPX with a track too still asks for 'layer:'."""
    control = _control(tmp_path)
    (tmp_path / "w.gpx").write_text(GPX)
    table, _, error = _read(tmp_path / "w.gpx", columns=[])
    assert error is None, error
    np.testing.assert_allclose(table.x, control.x)
    track = GPX.replace("</gpx>", '<trk><trkseg><trkpt lat="52" lon="5"/><trkpt lat="52.1" '
                        'lon="5.1"/></trkseg></trk></gpx>')
    (tmp_path / "t.gpx").write_text(track)
    _, _, error = _read(tmp_path / "t.gpx", columns=[])
    assert isinstance(error, DataError) and "'layer:'" in str(error), error


def test_a_kml_that_only_links_to_another_is_named(tmp_path: Path) -> None:
    """Before: "layer (first) holds no features (an export of an empty selection?)". The
    link is named without its token."""
    (tmp_path / "linked.kml").write_text(
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        "<NetworkLink><name>wells</name><Link><href>https://example.org/wells.kmz?"
        "token=s3cr3t&amp;v=2</href></Link></NetworkLink></Document></kml>")
    _, _, error = _read(tmp_path / "linked.kml", columns=[])
    assert isinstance(error, DataError), error
    assert "NetworkLink" in str(error), error
    assert "https://example.org/wells.kmz?token=***&v=2" in str(error), error
    assert "s3cr3t" not in str(error)


def test_a_geoparquet_well_file_reaches_the_cube(sandbox: Sandbox, cli, scheduler: str
                                                 ) -> None:
    """The real CLI: a GeoParquet points source (UTM 19N, the sandbox's region) was "not
    recognized as being in a supported file format"; its values now reach the cube."""
    xs, ys = zip(*PLACES, strict=True)
    gpd.GeoDataFrame({"li": np.arange(1.0, 21.0)}, geometry=gpd.points_from_xy(xs, ys),
                     crs="EPSG:32619").to_parquet(sandbox.root / "wells.parquet")
    source = {k: v for k, v in WELLS.items() if k not in ("x", "y", "crs")}
    result = _ingest(sandbox, cli, scheduler, sources=[{**source, "path": "wells.parquet"}])
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_at_points(sandbox), np.arange(1, 21), rtol=1e-4)


def test_a_geoparquet_geology_map_reaches_the_cube_as_its_geopackage_does(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """The real CLI: geology polygons as GeoParquet (a covering bbox column too) give the
    same unit codes as the same map as GeoPackage (the control). Before: "not recognized
    as being in a supported file format"."""
    import xarray as xr

    x0, y0 = TINY_REGION["bounds"][:2]
    strips = [shapely.box(x0 + i * 200, y0, x0 + (i + 1) * 200, y0 + 400) for i in range(2)]
    units = gpd.GeoDataFrame({"unit": ["granite", "schist"]}, geometry=strips,
                             crs="EPSG:32619")
    units.to_file(sandbox.root / "units.gpkg")
    units.to_parquet(sandbox.root / "units.parquet", write_covering_bbox=True)
    cubes = []
    for name in ("units.gpkg", "units.parquet"):
        result = _ingest(sandbox, cli, scheduler, sources=[
            {"kind": "vector", "name": "geo", "path": name, "attribute": "unit"}])
        assert result.code == 0, result.err[-3000:]
        cubes.append(np.asarray(xr.open_zarr(sandbox.out / "cube.zarr")["geo"].values))
        shutil.rmtree(sandbox.out)
    np.testing.assert_array_equal(cubes[0], cubes[1])
    assert set(np.unique(cubes[1])) == {0, 1}


def _placemarks(rows: str) -> str:
    return ('<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            + rows + "</Document></kml>")


def test_attributes_in_a_kml_description_table_are_named(tmp_path: Path) -> None:
    """ArcGIS's Layer To KML writes each placemark's attributes as an HTML table in its
    description. Before: "no column 'li'; columns are [...]" alone, in the point reader
    and the labels alike; a KML with the attribute as ExtendedData is the control."""
    from prospect.grid import RegionGrid
    from prospect.models.labels import read_occurrences

    def placemark(x: float, y: float, li: float, data: bool) -> str:
        said = f'<ExtendedData><Data name="li"><value>{li}</value></Data></ExtendedData>' \
            if data else ("<description><![CDATA[<table><tr><th>Field</th><th>Value</th>"
                          f"</tr><tr><td>li</td><td>{li}</td></tr></table>]]></description>")
        return f"<Placemark>{said}<Point><coordinates>{x},{y},0</coordinates></Point></Placemark>"

    (tmp_path / "data.kml").write_text(_placemarks("".join(
        placemark(x, y, i + 1.5, True) for i, (x, y) in enumerate(NL))))
    table, _, error = _read(tmp_path / "data.kml")
    assert error is None, error
    np.testing.assert_array_equal(table.values["li"], [1.5, 2.5, 3.5])
    (tmp_path / "described.kml").write_text(_placemarks("".join(
        placemark(x, y, i + 1.5, False) for i, (x, y) in enumerate(NL))))
    _, _, error = _read(tmp_path / "described.kml")
    assert isinstance(error, DataError), error
    assert "descriptions hold 'li' in an HTML table (3 of 3" in str(error), error
    grid = RegionGrid(crs="EPSG:28992", resolution=1000.0,
                      bounds=(100_000.0, 400_000.0, 200_000.0, 500_000.0))
    with pytest.raises(DataError, match="descriptions hold 'li' in an HTML table"):
        read_occurrences(tmp_path / "described.kml", grid, value_column="li")


def _features(*geometries: dict[str, Any]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": g, "properties": {"li": i + 1.0}}
        for i, g in enumerate(geometries)]})


def test_a_multipoint_of_one_place_is_that_point_and_of_several_is_named(tmp_path: Path
                                                                         ) -> None:
    """A MultiPoint whose parts are one place (a vertex written twice) was refused as "no
    point"; now that point. One of two places stays refused, now saying so."""
    (tmp_path / "one.geojson").write_text(_features(
        {"type": "MultiPoint", "coordinates": [list(NL[0]), list(NL[0])]},
        {"type": "Point", "coordinates": list(NL[1])}))
    table, _, error = _read(tmp_path / "one.geojson")
    assert error is None, error
    control = _control(tmp_path)
    np.testing.assert_allclose(table.x, control.x[:2])
    (tmp_path / "two.geojson").write_text(_features(
        {"type": "MultiPoint", "coordinates": [list(NL[0]), list(NL[2])]},
        {"type": "Point", "coordinates": list(NL[1])}))
    _, _, error = _read(tmp_path / "two.geojson")
    assert isinstance(error, DataError), error
    assert "feature 1: a MultiPoint of 2 places" in str(error), error


@pytest.mark.parametrize("geometry", [
    {"type": "MultiPoint", "coordinates": [[52.1, 5.1], [52.2, 5.2]]},
    {"type": "Polygon", "coordinates": [[[52.1, 5.1], [52.1, 5.2], [52.2, 5.2], [52.2, 5.1],
                                         [52.1, 5.1]]]},
])
def test_labels_of_multipoints_and_polygons_written_lat_lon_are_refused(
        tmp_path: Path, geometry: dict[str, Any]) -> None:
    """Before: only Point labels were checked for swapped axes; a MultiPoint or polygon
    occurrence written latitude, longitude was placed in the Indian Ocean without a word.
    The same geometry written longitude, latitude is the control."""
    from prospect.grid import RegionGrid
    from prospect.models.labels import read_occurrences

    grid = RegionGrid(crs="EPSG:28992", resolution=1000.0,
                      bounds=(100_000.0, 400_000.0, 200_000.0, 500_000.0))
    (tmp_path / "occ.geojson").write_text(_features(geometry))
    with pytest.raises(DataError, match="look swapped"):
        read_occurrences(tmp_path / "occ.geojson", grid)
    flipped = json.loads(json.dumps(geometry).replace("[52.", "[X").replace(", 5.", ", 52.")
                         .replace("[X", "[5."))
    (tmp_path / "ok.geojson").write_text(_features(flipped))
    occ = read_occurrences(tmp_path / "ok.geojson", grid)
    assert np.isfinite(occ.x).all() and ((occ.x > 100_000) & (occ.x < 200_000)).all()


def test_a_label_multipoint_with_a_part_beyond_the_pole_is_dropped_and_counted(
        tmp_path: Path) -> None:
    """Before: its part at latitude -95 became an infinite coordinate in the labels, and
    the record was not counted as dropped."""
    from prospect.grid import RegionGrid
    from prospect.models.labels import read_occurrences

    grid = RegionGrid(crs="EPSG:28992", resolution=1000.0,
                      bounds=(100_000.0, 400_000.0, 200_000.0, 500_000.0))
    (tmp_path / "occ.geojson").write_text(_features(
        {"type": "MultiPoint", "coordinates": [list(NL[0]), [100.0, -95.0]]},
        {"type": "Point", "coordinates": list(NL[1])}))
    occ = read_occurrences(tmp_path / "occ.geojson", grid)
    assert np.isfinite(occ.x).all() and occ.x.size == 1
    assert occ.n_records == 2 and occ.n_dropped == 1


def test_spherical_edges_are_said_and_a_damaged_parquet_is_named(tmp_path: Path) -> None:
    """GeoParquet polygons whose metadata says spherical edges are read as planar with a
    warning; a Parquet file cut short is named as such (not "not recognized as being in a
    supported file format")."""
    path = tmp_path / "outline.parquet"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(5, 52, 6, 53)],
                     crs="EPSG:4326").to_parquet(path)
    _with_geo(path, lambda geo: geo["columns"]["geometry"].update(edges="spherical"))
    with pytest.warns(Warning, match="spherical edges"):
        assert len(read_vector(path)) == 1
    data = path.read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match="cannot read as Parquet"):
        read_vector(tmp_path / "cut.parquet")


def test_binary_columns_are_no_traceback_and_wkb_without_geo_is_named(tmp_path: Path
                                                                      ) -> None:
    """A Parquet table of WKB written without ``geo`` metadata (a DuckDB or pandas export)
    given without x/y columns: unreadable before, and ``internal error:
    UnicodeDecodeError`` (a binary cell read as text) once Parquet was read. Now the
    missing columns are named, with the WKB column and how to state its CRS. A table with
    a BLOB field (photos) as GeoPackage (the control, named before too) and as Parquet:
    read with x/y, and the missing columns named without them."""
    import pyogrio

    wkb = list(shapely.to_wkb(shapely.points(NL)))
    frame = pd.DataFrame({"li": [1.0, 2.0, 3.0], "geom": wkb})
    frame.to_parquet(tmp_path / "wkb.parquet")
    _, _, error = _read(tmp_path / "wkb.parquet")
    assert isinstance(error, DataError), error
    assert "column 'geom' holds WKB geometries" in str(error), error
    photos = [b"\xff\xd8\xcd\x00", b"\x89PNG\xcd", b"\xcd"]
    table = pd.DataFrame({"lon": [p[0] for p in NL], "lat": [p[1] for p in NL],
                          "li": [1.0, 2.0, 3.0], "photo": photos})
    pyogrio.write_dataframe(table, tmp_path / "samples.gpkg")
    table.to_parquet(tmp_path / "samples.parquet")
    for name in ("samples.gpkg", "samples.parquet"):
        read, _, error = _read(tmp_path / name)
        assert error is None, error
        np.testing.assert_array_equal(read.values["li"], [1, 2, 3])
        _, _, error = _read(tmp_path / name, x="X", y="Y")
        assert isinstance(error, DataError) and "no column(s) ['X', 'Y']" in str(error), error


def test_a_partitioned_geoparquet_folder_is_read_whole(tmp_path: Path) -> None:
    """A folder of GeoParquet parts (as Spark, Dask and DuckDB write a layer) was "a
    folder, not a point table; give the path of the file inside it" (which would read
    one part and lose the others), and "cannot read as Parquet ... a download that did
    not finish" as a vector layer. Now every part is read and checksummed; parts of
    another CRS are refused."""
    from prospect.io.vector import dataset_files

    control = _control(tmp_path)
    folder = tmp_path / "wells.parquet"
    folder.mkdir()
    wells = _wells()
    wells.iloc[:2].to_parquet(folder / "part-0.parquet")
    wells.iloc[2:].to_parquet(folder / "part-1.parquet")
    table, _, error = _read(folder)
    assert error is None, error
    np.testing.assert_allclose(table.x, control.x)
    np.testing.assert_array_equal(table.values["li"], [1, 2, 3])
    assert len(read_vector(folder)) == 3
    assert [Path(p).name for p in dataset_files(folder)] == ["part-0.parquet",
                                                             "part-1.parquet"]
    _wells().to_crs("EPSG:28992").iloc[:1].to_parquet(folder / "part-2.parquet")
    _, _, error = _read(folder)
    assert isinstance(error, InputFileError), error
    assert "parts state different GeoParquet metadata" in str(error), error


def test_a_gpx_of_a_track_alone_offers_its_track_points(tmp_path: Path) -> None:
    """Before (round 24 left it): a GPX holding only a track was refused as several layers
    with "e.g. layer: 'tracks'", the track's lines, which the point reader then refused in
    turn; the example is ``track_points``, the same fixes as points."""
    track = GPX.split("<wpt")[0] + ('<trk><trkseg><trkpt lat="52" lon="5"/><trkpt lat="52.1" '
                                    'lon="5.1"/></trkseg></trk></gpx>')
    (tmp_path / "t.gpx").write_text(track)
    _, _, error = _read(tmp_path / "t.gpx", columns=[])
    assert error is not None and "layer: 'track_points'" in str(error), error
