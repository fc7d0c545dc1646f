"""Geology maps in GRS 1980 without a datum, fault layers of blocks, ArcGIS KMLs (round 31b).

Found by feeding ``plan_vector`` (every chunk of each layer computed) geology maps and
fault layers written with geopandas/pyogrio and by hand into ``tmp_path`` (2026-12-05):
a map whose ``.prj`` is UTM on GRS 1980 without a datum (ETRS89 or NAD83 as a PROJ
string writes it) was refused on a WGS 84 region as "100 m or more off" (the datums lie
within 2 m); a faults layer of polygons covering the region made every distance 0, said
only as "taken as fault zones"; and a KML exported by ArcGIS, whose attributes are in each
placemark's description table, was refused as "no column 'ROCKTYPE'" without saying where
the column went. Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from prospect.config.mask import MaskConfig
from prospect.errors import CRSError, DataError
from prospect.grid import RegionGrid, datum_guessed
from prospect.outlines import clip_to_grid, land_mask, read_outline, to_grid_crs

from .conftest import plan_vector_cells

X0, Y0 = 500000.0, 1350000.0
CRS = "EPSG:32619"
GRID = RegionGrid(
    name="tiny", crs=CRS, resolution=10.0, bounds=(X0, Y0, X0 + 400, Y0 + 400), chunks=(20, 20)
)
"""The robustness corpus's tiny region (40 x 40 cells of 10 m, chunks of 20 x 20)."""

WEST = shapely.box(X0 - 100, Y0 - 100, X0 + 200, Y0 + 500)
EAST = shapely.box(X0 + 200, Y0 - 100, X0 + 500, Y0 + 500)
"""Units meeting along x0 + 200, beyond the grid north, south, west and east."""
MEET = np.array([45, 35, 25, 15, 5, 5, 15, 25, 35, 45], dtype=np.float32)
"""Distances to the contact at x0 + 200 of the cells of one row around it (columns 15..24)."""


def _planned(
    path: Path | str, grid: RegionGrid = GRID, **source: Any
) -> tuple[dict[str, Any], list[str]]:
    """``plan_vector`` of a source on ``grid``: each layer and its computed cells (every
    chunk), and every warning's text."""
    return plan_vector_cells(path, grid, **source)


def _units(path: Path, prj: str | None = None) -> Path:
    """Units ``a | b`` meeting at x0 + 200 as a Shapefile; ``prj`` replaces its ``.prj``."""
    gpd.GeoDataFrame({"unit": ["a", "b"]}, geometry=[WEST, EAST], crs=CRS).to_file(path)
    if prj is not None:
        path.with_suffix(".prj").write_text(pyproj.CRS(prj).to_wkt("WKT1_GDAL"))
    return path


# --- GRS 1980 without a datum on a WGS 84 region --------------------------------------------

UTM_GRS80 = "+proj=utm +zone=19 +ellps=GRS80 +units=m +no_defs"
"""UTM 19N on GRS 1980 without a datum: NAD83 / ETRS89 UTM as a PROJ string writes it."""


def test_a_map_on_grs80_without_a_datum_plans_on_a_wgs84_region(tmp_path: Path) -> None:
    """A geology map whose ``.prj`` is UTM on GRS 1980 without a datum, on a WGS 84 UTM
    region. Before: refused as "an ellipsoid (GRS 1980) but no datum ... 100 m or more
    off" (exit 1), though GRS 1980's datums lie within 2 m of WGS 84 (their inverse
    flattenings differ by 5e-9). Now planned: codes and contacts as in the file."""
    out, said = _planned(
        _units(tmp_path / "u.shp", UTM_GRS80), attribute="unit", distance_to_contacts=True
    )
    layer, codes = out["geology"]
    assert [layer.codes[int(c)] for c in codes[20, 18:22]] == ["a", "a", "b", "b"]
    assert np.allclose(out["geology_dist_contact"][1][20, 15:25], MEET)
    assert not any("datum" in s for s in said), said


def test_grs80_and_wgs84_are_one_ellipsoid_to_the_datum_check() -> None:
    """``datum_guessed`` of GRS 1980 without a datum against WGS 84 (and the reverse: a
    WGS 84 ellipsoid without a datum against an ETRS89 region). Before: a reason to refuse
    (the 5e-9 of their flattenings); now none."""
    assert datum_guessed(pyproj.CRS(UTM_GRS80), pyproj.CRS("EPSG:4326")) is None
    wgs = pyproj.CRS("+proj=utm +zone=31 +ellps=WGS84 +units=m +no_defs")
    assert datum_guessed(wgs, pyproj.CRS("EPSG:25831")) is None


def test_grs80_without_a_datum_on_another_ellipsoid_is_still_refused(tmp_path: Path) -> None:
    """Control: GRS 1980 without a datum on an RD New region (Bessel's ellipsoid: PROJ's
    null shift is 100 m off there) and Bessel without a datum on a WGS 84 region are
    refused as before."""
    rd = RegionGrid(
        name="utrecht",
        crs="EPSG:28992",
        resolution=10.0,
        bounds=(136000, 455000, 136400, 455400),
        chunks=(20, 20),
    )
    utm31 = "+proj=utm +zone=31 +ellps=GRS80 +units=m +no_defs"
    gpd.GeoDataFrame(
        {"unit": ["a", "b"]},
        geometry=[shapely.box(630000, 5770000, 650000, 5790000)] * 2,
        crs="EPSG:25831",
    ).to_file(tmp_path / "nl.shp")
    (tmp_path / "nl.prj").write_text(pyproj.CRS(utm31).to_wkt("WKT1_GDAL"))
    with pytest.raises(CRSError, match=r"GRS 1980.*no datum"):
        _planned(tmp_path / "nl.shp", rd, attribute="unit")
    bessel = "+proj=utm +zone=19 +ellps=bessel +units=m +no_defs"
    with pytest.raises(CRSError, match=r"Bessel 1841.*no datum"):
        _planned(_units(tmp_path / "b.shp", bessel), attribute="unit")


VN_GRID = RegionGrid(
    name="lai_chau",
    crs="EPSG:3405",
    resolution=10.0,
    bounds=(540000, 2470000, 540400, 2470400),
    chunks=(20, 20),
)
"""A tiny VN-2000 / UTM 48N region (Vietnam 2000: WGS 84's ellipsoid, 220 m from WGS 84)."""
UTM48_NO_DATUM = "+proj=utm +zone=48 +ellps=WGS84 +units=m +no_defs"


def _vn_units(path: Path, prj: str) -> Path:
    """Units ``a | b`` meeting at x = 540 200 of WGS 84 / UTM 48N, with ``prj`` as .prj."""
    west = shapely.box(539000, 2469000, 540200, 2471000)
    east = shapely.box(540200, 2469000, 541000, 2471000)
    gpd.GeoDataFrame({"unit": ["a", "b"]}, geometry=[west, east], crs="EPSG:32648").to_file(path)
    path.with_suffix(".prj").write_text(pyproj.CRS(prj).to_wkt("WKT1_GDAL"))
    return path


def test_a_map_on_wgs84s_ellipsoid_without_a_datum_is_refused_on_vn2000(
    tmp_path: Path,
) -> None:
    """A map whose ``.prj`` is ``+proj=utm +zone=48 +ellps=WGS84`` (no datum) on a VN-2000
    region. Before: PROJ's null shift onto VN-2000 (same ellipsoid, so "the one meant"):
    the contact 196 m east of where WGS 84 puts it, exit 0. Now refused, naming the
    datum and the fix."""
    with pytest.raises(CRSError, match=r"WGS 84\) but no datum.*Vietnam 2000.*'crs:'"):
        _planned(_vn_units(tmp_path / "u.shp", UTM48_NO_DATUM), VN_GRID, attribute="unit")


def test_a_map_of_wgs84_on_vn2000_or_of_no_datum_on_wgs84_plans(tmp_path: Path) -> None:
    """Controls: the map with WGS 84's datum on the VN-2000 region (its contact moved by
    PROJ's shift, not at x = 540 200), and without a datum on WGS 84 / UTM 48N."""
    out, _ = _planned(_vn_units(tmp_path / "w.shp", "EPSG:32648"), VN_GRID, attribute="unit")
    layer, codes = out["geology"]
    row = [layer.codes[int(c)] for c in codes[20]]
    assert row.index("b") != 20, row  # the datum shift moves the contact off column 20
    utm48 = RegionGrid(
        name="wgs",
        crs="EPSG:32648",
        resolution=10.0,
        bounds=(540000, 2470000, 540400, 2470400),
        chunks=(20, 20),
    )
    out, _ = _planned(_vn_units(tmp_path / "n.shp", UTM48_NO_DATUM), utm48, attribute="unit")
    layer, codes = out["geology"]
    assert [layer.codes[int(c)] for c in codes[20, 19:21]] == ["a", "b"]


def test_a_region_of_no_datum_refuses_a_map_of_a_datum_far_from_it(tmp_path: Path) -> None:
    """A region whose CRS is ``+proj=utm +zone=31 +ellps=GRS80`` (its config is read now:
    ETRS89 without its datum) and an RD New map: PROJ's null shift from Amersfoort put the
    map 113 m off (on a grid made in code; the config refused such a region before). Now
    refused naming the region's CRS; an ETRS89 map plans on it."""
    grid = RegionGrid(
        name="nl",
        crs="+proj=utm +zone=31 +ellps=GRS80 +units=m +no_defs",
        resolution=10.0,
        bounds=(682000, 5780000, 682400, 5780400),
        chunks=(20, 20),
    )
    boxes = [
        shapely.box(681000, 5779000, 682200, 5781000),
        shapely.box(682200, 5779000, 683000, 5781000),
    ]
    frame = gpd.GeoDataFrame({"unit": ["a", "b"]}, geometry=boxes, crs="EPSG:25831")
    frame.to_crs("EPSG:28992").to_file(tmp_path / "rd.gpkg")
    with pytest.raises(CRSError, match=r"the region's CRS has an ellipsoid \(GRS 1980\)"):
        _planned(tmp_path / "rd.gpkg", grid, attribute="unit")
    frame.to_file(tmp_path / "etrs.gpkg")
    out, _ = _planned(tmp_path / "etrs.gpkg", grid, attribute="unit")
    layer, codes = out["geology"]
    assert [layer.codes[int(c)] for c in codes[20, 19:21]] == ["a", "b"]


# --- a faults layer of polygons that cover the region -------------------------------------


def _faults(path: Path, geoms: list[shapely.Geometry]) -> Path:
    gpd.GeoDataFrame({"id": list(range(len(geoms)))}, geometry=geoms, crs=CRS).to_file(
        path, layer="faults"
    )
    return path


def test_fault_polygons_that_cover_the_region_say_how_much(tmp_path: Path) -> None:
    """The unit layer named as the faults (two blocks covering the region). Before: every
    ``_dist_fault`` cell 0, with a warning that the polygons are "taken as fault zones"
    alone (exit 0). Now the warning says they cover 100% of the region and what that
    map is likely to be."""
    out, said = _planned(_faults(tmp_path / "f.gpkg", [WEST, EAST]), faults_layer="faults")
    assert not out["geology_dist_fault"][1].any()
    text = " ".join(said)
    assert "they cover 100% of the region" in text, said
    assert "fault-bounded blocks" in text, said


def test_a_narrow_fault_zone_says_its_small_share(tmp_path: Path) -> None:
    """A fault zone 20 m wide across the region covers 5% of it: said, without the
    question a map of blocks gets; its distances are as before."""
    zone = shapely.box(X0 + 190, Y0 - 100, X0 + 210, Y0 + 500)
    out, said = _planned(_faults(tmp_path / "f.gpkg", [zone]), faults_layer="faults")
    assert np.allclose(
        out["geology_dist_fault"][1][20, 15:25], [35, 25, 15, 5, 0, 0, 5, 15, 25, 35]
    )
    text = " ".join(said)
    assert "they cover 5% of the region" in text and "blocks" not in text, said


def test_fault_lines_say_nothing_of_zones(tmp_path: Path) -> None:
    """Control: fault lines have no share of the region to say."""
    line = shapely.LineString([(X0 + 200, Y0 - 100), (X0 + 200, Y0 + 500)])
    out, said = _planned(_faults(tmp_path / "f.gpkg", [line]), faults_layer="faults")
    assert np.allclose(out["geology_dist_fault"][1][20, 15:25], MEET)
    assert not said, said


# --- a KML whose attributes are in its placemarks' description tables ----------------------


def _placemark(unit: str, box: shapely.Polygon) -> str:
    """An ArcGIS "Layer To KML" placemark: the attributes in an HTML table."""
    lonlat = shapely.transform(
        box,
        lambda x, y: pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(x, y),
        interleaved=False,
    )
    ring = " ".join(f"{x:.9f},{y:.9f}" for x, y in lonlat.exterior.coords)
    table = (
        "<html><body><table><tr><th>Field Name</th><th>Field Value</th></tr>"
        f"<tr><td>FID</td><td>0</td></tr><tr><td>ROCKTYPE</td><td>{unit}</td></tr>"
        "</table></body></html>"
    )
    return (
        f"<Placemark><name>{unit}</name><description><![CDATA[{table}]]></description>"
        f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon></Placemark>"
    )


def _kml(path: Path) -> Path:
    """Units ``granite | schist`` as an ArcGIS KML of description tables."""
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Folder><name>geology</name>"
        + _placemark("granite", WEST)
        + _placemark("schist", EAST)
        + "</Folder></Document></kml>",
        encoding="utf-8",
    )
    return path


def test_an_arcgis_kml_says_where_its_attribute_went(tmp_path: Path) -> None:
    """``attribute: ROCKTYPE`` on a KML whose placemarks hold it in their description
    table. Before: "no column 'ROCKTYPE'; columns are ['Name', 'Description']" (exit 1).
    Now the refusal says the descriptions hold it and how to export it as a field."""
    path = _kml(tmp_path / "geology.kml")
    with pytest.raises(DataError, match=r"no column 'ROCKTYPE'.*descriptions hold 'ROCKTYPE'"):
        _planned(path, attribute="ROCKTYPE")


def test_an_arcgis_kml_mask_outline_says_where_its_name_column_went(tmp_path: Path) -> None:
    """``mask: {path: islands.kml, names: [granite], name_column: ROCKTYPE}`` on such a
    KML. Before: "no column 'ROCKTYPE' to pick outlines by name; columns are [...]" alone.
    Now the refusal says the descriptions hold it."""
    path = _kml(tmp_path / "islands.kml")
    with pytest.raises(DataError, match=r"pick outlines by name.*descriptions hold 'ROCKTYPE'"):
        read_outline(path, names=["granite"], name_column="ROCKTYPE")


def test_a_missing_column_of_a_map_without_descriptions_is_refused_as_before(
    tmp_path: Path,
) -> None:
    """Control: a Shapefile without the column is refused naming its columns and the
    near one, with no word of descriptions."""
    with pytest.raises(DataError, match=r"no column 'Unit'.*did you mean 'unit'") as info:
        _planned(_units(tmp_path / "u.shp"), attribute="Unit")
    assert "description" not in str(info.value)


# --- a GeoParquet whose primary geometry is not the units' ---------------------------------


def test_a_geoparquet_of_centroids_beside_its_polygons_names_the_polygon_column(
    tmp_path: Path,
) -> None:
    """A GeoParquet of units with a ``centroid`` column as its primary geometry and the
    polygons in ``geometry``. Before: "holds ['Point'] in the region, no polygons ...; give
    the geology polygon layer" (exit 1), with no word of the polygon column beside it. Now
    the refusal names the primary column and the other."""
    frame = gpd.GeoDataFrame(
        {"unit": ["a", "b"], "centroid": gpd.GeoSeries([WEST.centroid, EAST.centroid], crs=CRS)},
        geometry=[WEST, EAST],
        crs=CRS,
    )
    frame.set_geometry("centroid").to_parquet(tmp_path / "u.parquet")
    with pytest.raises(DataError, match=r"primary_column 'centroid', beside \['geometry'\]"):
        _planned(tmp_path / "u.parquet", attribute="unit")
    frame.to_parquet(tmp_path / "p.parquet")  # control: polygons as the primary column
    out, _ = _planned(tmp_path / "p.parquet", attribute="unit")
    assert [out["geology"][0].codes[int(c)] for c in out["geology"][1][20, 19:21]] == ["a", "b"]


def test_a_layer_of_points_alone_is_refused_as_before(tmp_path: Path) -> None:
    """Control: a GeoPackage of points alone is refused without a GeoParquet's word."""
    gpd.GeoDataFrame(
        {"unit": ["a", "b"]}, geometry=[WEST.centroid, EAST.centroid], crs=CRS
    ).to_file(tmp_path / "pts.gpkg")
    with pytest.raises(DataError, match="no polygons") as info:
        _planned(tmp_path / "pts.gpkg", attribute="unit")
    assert "GeoParquet" not in str(info.value)


# --- mask names that are numbers --------------------------------------------------------


def test_mask_names_written_as_numbers_pick_the_features_of_that_code(tmp_path: Path) -> None:
    """``mask: {path: provinces.gpkg, name_column: code, names: [21]}`` (YAML's unquoted 21,
    a province's code in an integer column). Before: "key 'mask.names' ... Input should be
    a valid string" (exit 2), though the outline's codes are matched as text. Now the
    feature of code 21 is the land: columns 20..39."""
    frame = gpd.GeoDataFrame({"name": ["w", "e"], "code": [20, 21]}, geometry=[WEST, EAST], crs=CRS)
    frame.to_file(tmp_path / "provinces.gpkg")
    cfg = MaskConfig(path=str(tmp_path / "provinces.gpkg"), name_column="code", names=[21])
    assert cfg.names == ["21"]
    outline = read_outline(cfg.path, names=cfg.names, name_column=cfg.name_column)
    mask = land_mask(to_grid_crs(clip_to_grid(outline, GRID), GRID), GRID)
    assert mask[:, 20:].all() and not mask[:, :20].any()


def test_mask_names_of_text_and_of_no_name_read_as_before() -> None:
    """Controls: text names (one without brackets too) are kept; ``yes`` (YAML 1.1's
    true) and a null are still refused."""
    assert MaskConfig(path="l.gpkg", names="Bonaire").names == ["Bonaire"]
    assert MaskConfig(path="l.gpkg", names=["020", "Curaçao"]).names == ["020", "Curaçao"]
    for bad in [[True], [None]]:
        with pytest.raises(ValueError, match="valid string"):
            MaskConfig(path="l.gpkg", names=bad)


# --- the national grids' list is public ---------------------------------------------------


def test_the_national_grids_list_is_public() -> None:
    """``prospect.io.points`` imported the vector reader's list by its private name; it
    is public now, and the points reader uses that name."""
    from prospect.io import vector

    assert "EPSG:28992" in vector.NATIONAL_GRIDS
    assert "NATIONAL_GRIDS" in vector.__all__
    assert not hasattr(vector, "_NATIONAL_GRIDS")
