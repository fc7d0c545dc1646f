"""Edges long in their own CRS, units that take no cell, spherical edges and EWKB SRIDs
(round 34).

Found by feeding ``plan_vector`` (every chunk of each layer computed) and the mask's
``job_outline`` / ``to_grid_crs`` / ``land_mask`` maps, fault layers and outlines written
with geopandas/pyogrio/pyarrow into ``tmp_path`` (2026-12-05): a geology map in
longitude/latitude whose units meet along the parallel 52 N from 2 E to 4 E (a map
sheet's edge, two vertices) was drawn on a UTM region as the chord between the moved
vertices, 620 m north of the parallel: the north half of the region had no unit and the
contact was 420 m off, without a word; a fault drawn so, a mask of a licence block bounded
by a parallel (394 cells), a UTM map over a region in degrees (half its cells) and a Web
Mercator map's contact measured on the ground (184 m off) were wrong the same way; a dyke
narrower than a cell between two columns of cell centres, or a plug smaller than a cell,
kept a code and no cell without a word; a GeoParquet of spherical edges (BigQuery) was read
as straight lines in lon/lat with a warning only; and EWKB stating SRID 32619 in a
GeoParquet without a ``crs`` was "no feature lies in the region". Every file here is small
and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from prospect.config.mask import MaskConfig
from prospect.grid import RegionGrid
from prospect.ingest.mask import job_outline
from prospect.outlines import land_mask, to_grid_crs

from .conftest import plan_vector_cells

UTM31 = "EPSG:32631"
_TO_UTM31 = Transformer.from_crs("EPSG:4326", UTM31, always_xy=True)
_X, _Y = _TO_UTM31.transform(3.0, 52.0)
SX0, SY0 = round(_X / 10) * 10 - 200.0, round(_Y / 10) * 10 - 200.0
SHEET_GRID = RegionGrid(
    name="sheet",
    crs=UTM31,
    resolution=10.0,
    bounds=(SX0, SY0, SX0 + 400, SY0 + 400),
    chunks=(20, 20),
)
"""40 x 40 cells of 10 m in UTM 31N about 3 E, 52 N (chunks of 20 x 20)."""


def _parallel_rows(grid: RegionGrid, lat: float, crs_to: Transformer) -> np.ndarray:
    """For each column of ``grid``, how many rows from the top have their centre north of
    the parallel ``lat`` (``crs_to``: lon/lat to the grid's CRS)."""
    left, bottom, right, top = grid.bounds
    ncols = round((right - left) / grid.resolution)
    xs = left + grid.resolution * (np.arange(ncols) + 0.5)
    back = Transformer.from_crs(grid.crs_obj, "EPSG:4326", always_xy=True)
    lon, _ = back.transform(xs, np.full(ncols, (top + bottom) / 2))
    _, yb = crs_to.transform(lon, np.full(ncols, lat))
    centres = top - grid.resolution * (np.arange(round((top - bottom) / grid.resolution)) + 0.5)
    return (centres[:, None] > yb[None, :]).sum(axis=0)


def _sheet(path: Path) -> Path:
    """SYNTHETIC units ``N`` (52..53 N) and ``S`` (51..52 N), 2 E to 4 E, in lon/lat: one
    edge of four vertices between them (a map sheet's edge)."""
    gpd.GeoDataFrame(
        {"unit": ["N", "S"]},
        geometry=[shapely.box(2.0, 52.0, 4.0, 53.0), shapely.box(2.0, 51.0, 4.0, 52.0)],
        crs="EPSG:4326",
    ).to_file(path)
    return path


def test_a_lonlat_map_whose_units_meet_along_a_parallel_codes_each_side_on_utm(
    tmp_path: Path,
) -> None:
    """Every cell north of 52 N is ``N``, every cell south ``S``; none is no data (the
    chord 620 m north of the parallel left the north half with no unit)."""
    out, _ = plan_vector_cells(_sheet(tmp_path / "sheet.gpkg"), SHEET_GRID, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("N", "S")
    north = _parallel_rows(SHEET_GRID, 52.0, _TO_UTM31)
    assert (north == 20).all()  # (the parallel is 1.8 m north of the region's middle)
    rows = np.arange(40)[:, None]
    expected = np.where(rows < north[None, :], 0, 1)
    assert (cells == -1).sum() == 0
    assert np.array_equal(cells, expected)


def test_a_lonlat_map_whose_units_meet_along_a_parallel_measures_to_the_parallel(
    tmp_path: Path,
) -> None:
    """The contact is the parallel: the cells on either side of it measure their distance
    to it (3.2 m and 6.8 m), not to the chord (425 m and more)."""
    out, _ = plan_vector_cells(
        _sheet(tmp_path / "sheet.gpkg"), SHEET_GRID, attribute="unit", distance_to_contacts=True
    )
    _, dist = out["geology_dist_contact"]
    left, _, _, top = SHEET_GRID.bounds
    xs = left + 5.0 + 10.0 * np.arange(40)
    lon, _ = Transformer.from_crs(UTM31, "EPSG:4326", always_xy=True).transform(
        xs, np.full(40, top - 200)
    )
    _, yb = _TO_UTM31.transform(lon, np.full(40, 52.0))
    centres = top - 5.0 - 10.0 * np.arange(40)
    expected = np.abs(centres[:, None] - yb[None, :])
    assert np.nanmax(np.abs(dist - expected)) < 0.5


def test_a_licence_block_mask_bounded_by_a_parallel_masks_to_the_parallel(
    tmp_path: Path,
) -> None:
    """A mask outline of a licence block 20..22 E, 64..65 N (four corners, SYNTHETIC) over
    a 50 km region about its north edge in UTM 34N: land is the cells south of 65 N (the
    chord between the clipped corners, north of the parallel, was land 394 cells
    too far north, most of a row)."""
    utm34 = "EPSG:32634"
    to_utm = Transformer.from_crs("EPSG:4326", utm34, always_xy=True)
    x, y = to_utm.transform(21.0, 65.0)
    x0, y0 = round(x / 100) * 100 - 25000.0, round(y / 100) * 100 - 25030.0
    grid = RegionGrid(
        name="block",
        crs=utm34,
        resolution=100.0,
        bounds=(x0, y0, x0 + 50000, y0 + 50000),
        chunks=(250, 250),
    )
    path = tmp_path / "block.geojson"
    gpd.GeoDataFrame(
        {"name": ["EL 2024:17"]},
        geometry=[shapely.box(20.0, 64.0, 22.0, 65.0)],
        crs="EPSG:4326",
    ).to_file(path)
    outline, _, _ = job_outline(MaskConfig(path=str(path)), grid, region=None)
    land = land_mask(to_grid_crs(outline, grid), grid)
    north = _parallel_rows(grid, 65.0, to_utm)
    rows = np.arange(500)[:, None]
    expected = rows >= north[None, :]
    assert int((land != expected).sum()) == 0


def test_a_utm_map_over_a_region_in_degrees_codes_each_side_of_its_edge(
    tmp_path: Path,
) -> None:
    """A SYNTHETIC unit map in UTM 31N whose units meet along one straight edge 140 km
    long (easting 430 km to 570 km at a northing of 5 761 km), over a region in degrees
    about 3 E: the cells take the side of the straight UTM edge (its chord in degrees
    was 500 m off, a degree cell of 0.0001 being 7 to 11 m)."""
    y = 5761000.0
    gpd.GeoDataFrame(
        {"unit": ["N", "S"]},
        geometry=[
            shapely.box(430000.0, y, 570000.0, y + 50000),
            shapely.box(430000.0, y - 50000, 570000.0, y),
        ],
        crs=UTM31,
    ).to_file(tmp_path / "utm.gpkg")
    to_lonlat = Transformer.from_crs(UTM31, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(500000.0, y)
    w, s = round(lon, 4) - 0.002, round(lat, 4) - 0.002
    grid = RegionGrid(
        name="deg",
        crs="EPSG:4326",
        resolution=0.0001,
        bounds=(w, s, w + 0.004, s + 0.004),
        chunks=(20, 20),
    )
    out, _ = plan_vector_cells(tmp_path / "utm.gpkg", grid, attribute="unit")
    _, cells = out["geology"]
    xs = w + 0.0001 * (np.arange(40) + 0.5)
    ys = s + 0.004 - 0.0001 * (np.arange(40) + 0.5)
    _, north_y = Transformer.from_crs("EPSG:4326", UTM31, always_xy=True).transform(
        np.repeat(xs[None, :], 40, axis=0), np.repeat(ys[:, None], 40, axis=1)
    )
    expected = np.where(north_y > y, 0, 1)
    assert (cells == -1).sum() == 0
    assert int((cells != expected).sum()) == 0


def test_units_sharing_a_long_edge_drawn_both_ways_leave_no_sliver(tmp_path: Path) -> None:
    """Control: the edge 2 E..4 E at 52 N is drawn east in ``S`` and west in ``N``; cut
    into pieces, both keep the same vertices, so no sliver between them is warned of and
    the contact is one line (shapely's ``segmentize`` of the two directions left slivers
    of 1e-9 m, said as "a hole of the map narrower than half a cell")."""
    out, said = plan_vector_cells(
        _sheet(tmp_path / "sheet.gpkg"), SHEET_GRID, attribute="unit", distance_to_contacts=True
    )
    assert not [w for w in said if "narrower than half a cell" in w or "do not meet" in w]
    _, dist = out["geology_dist_contact"]
    assert np.isfinite(dist).all()


def test_a_web_mercator_map_measures_its_contact_on_the_ground_along_the_edge(
    tmp_path: Path,
) -> None:
    """A SYNTHETIC map in Web Mercator over a Web Mercator region at 52 N (distances
    measured on the ground): units meet along one straight edge 140 km long through the
    region's middle. The cells beside it are half a cell from it on the ground (5 m of
    Mercator, 3.1 m), not 186 m off (the chord of the edge in the ground frame)."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(3.0, 52.0)
    x0, y0 = round(x / 10) * 10 - 200.0, round(y / 10) * 10 - 200.0
    grid = RegionGrid(
        name="merc",
        crs="EPSG:3857",
        resolution=10.0,
        bounds=(x0, y0, x0 + 400, y0 + 400),
        chunks=(20, 20),
    )
    edge = y0 + 200
    gpd.GeoDataFrame(
        {"unit": ["N", "S"]},
        geometry=[
            shapely.box(x0 - 70000, edge, x0 + 70000, edge + 50000),
            shapely.box(x0 - 70000, edge - 50000, x0 + 70000, edge),
        ],
        crs="EPSG:3857",
    ).to_file(tmp_path / "merc.gpkg")
    out, _ = plan_vector_cells(
        tmp_path / "merc.gpkg", grid, attribute="unit", distance_to_contacts=True
    )
    _, dist = out["geology_dist_contact"]
    scale = np.cos(np.radians(52.0))  # ground metres per Mercator metre
    assert np.allclose(dist[19:21, :], 5.0 * scale, atol=0.1)
    assert np.allclose(dist[0, :], 195.0 * scale, atol=0.5)


# --- units that take no cell ----------------------------------------------------------------

X0, Y0 = 500000.0, 1350000.0
CRS = "EPSG:32619"
GRID = RegionGrid(
    name="tiny", crs=CRS, resolution=10.0, bounds=(X0, Y0, X0 + 400, Y0 + 400), chunks=(20, 20)
)
"""The robustness corpus's tiny region (40 x 40 cells of 10 m, chunks of 20 x 20)."""

HOSTS = [
    shapely.box(X0 - 100, Y0 - 100, X0 + 200, Y0 + 500),
    shapely.box(X0 + 200, Y0 - 100, X0 + 500, Y0 + 500),
]
"""Units ``A`` and ``B`` meeting along x0 + 200, beyond the grid on every side."""


def _with(path: Path, name: str, geom: shapely.Geometry) -> Path:
    """SYNTHETIC hosts ``A`` and ``B`` (:data:`HOSTS`) and a unit ``name`` drawn over them."""
    gpd.GeoDataFrame({"unit": ["A", "B", name]}, geometry=[*HOSTS, geom], crs=CRS).to_file(path)
    return path


def _no_cell(said: list[str]) -> list[str]:
    return [w for w in said if "take no cell" in w]


def test_a_dyke_narrower_than_a_cell_between_cell_centres_is_said(tmp_path: Path) -> None:
    """A dyke 3 m wide running north-south between two columns of cell centres (x0 + 101
    to x0 + 104; centres at x0 + 95 and x0 + 105) holds no centre: ``Dyke`` keeps a code
    and no cell. It was said only as an overlap in which ``Dyke`` "takes" 18 cells."""
    path = _with(
        tmp_path / "dyke.gpkg", "Dyke", shapely.box(X0 + 101, Y0 - 100, X0 + 104, Y0 + 500)
    )
    out, said = plan_vector_cells(path, GRID, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("A", "B", "Dyke")
    assert not (cells == 2).any()
    (warning,) = _no_cell(said)
    assert str(path) in warning and "'Dyke'" in warning and "10 m" in warning
    assert "finer resolution" in warning


def test_a_plug_smaller_than_a_cell_is_said(tmp_path: Path) -> None:
    """A plug of 3 x 3 m between four cell centres holds none: said, naming it."""
    path = _with(
        tmp_path / "plug.gpkg", "Plug", shapely.box(X0 + 301, Y0 + 301, X0 + 304, Y0 + 304)
    )
    out, said = plan_vector_cells(path, GRID, attribute="unit", distance_to_contacts=True)
    assert not (out["geology"][1] == 2).any()
    (warning,) = _no_cell(said)
    assert "'Plug'" in warning and "1 unit(s)" in warning


def test_a_narrow_dyke_over_a_column_of_centres_is_not_said(tmp_path: Path) -> None:
    """Control: a dyke 3 m wide over the centres at x0 + 105 takes their 40 cells; a dyke
    drawn as a line takes the cells it crosses; neither is said."""
    path = _with(
        tmp_path / "dyke.gpkg", "Dyke", shapely.box(X0 + 103.5, Y0 - 100, X0 + 106.5, Y0 + 500)
    )
    out, said = plan_vector_cells(path, GRID, attribute="unit")
    assert int((out["geology"][1] == 2).sum()) == 40
    assert not _no_cell(said)
    line = _with(
        tmp_path / "line.gpkg",
        "Dyke",
        shapely.LineString([(X0 + 102, Y0 - 100), (X0 + 102, Y0 + 500)]),
    )
    out, said = plan_vector_cells(line, GRID, attribute="unit")
    assert (out["geology"][1] == 2).any()
    assert not _no_cell(said)


# --- faults and GeoParquet edges along their course ------------------------------------------


def test_a_lonlat_fault_along_a_parallel_is_measured_to_the_parallel(tmp_path: Path) -> None:
    """A SYNTHETIC fault of two vertices along 52 N from 2 E to 4 E (lon/lat) over the UTM
    region: each cell measures to the parallel (its chord ran 620 m north of it at 3 E)."""
    gpd.GeoDataFrame(
        {"kind": ["normal"]},
        geometry=[shapely.LineString([(2.0, 52.0), (4.0, 52.0)])],
        crs="EPSG:4326",
    ).to_file(tmp_path / "faults.gpkg", layer="faults")
    out, _ = plan_vector_cells(tmp_path / "faults.gpkg", SHEET_GRID, faults_layer="faults")
    ((_, dist),) = out.values()
    left, _, _, top = SHEET_GRID.bounds
    xs = left + 5.0 + 10.0 * np.arange(40)
    lon, _ = Transformer.from_crs(UTM31, "EPSG:4326", always_xy=True).transform(
        xs, np.full(40, top - 200)
    )
    _, yb = _TO_UTM31.transform(lon, np.full(40, 52.0))
    centres = top - 5.0 - 10.0 * np.arange(40)
    assert np.nanmax(np.abs(dist - np.abs(centres[:, None] - yb[None, :]))) < 0.5


def _spherical_sheet(path: Path) -> Path:
    """:func:`_sheet` as GeoParquet whose metadata says ``edges: spherical`` (as BigQuery's
    GEOGRAPHY exports write it)."""
    import json

    import pyarrow.parquet as pq

    gpd.GeoDataFrame(
        {"unit": ["N", "S"]},
        geometry=[shapely.box(2.0, 52.0, 4.0, 53.0), shapely.box(2.0, 51.0, 4.0, 52.0)],
        crs="EPSG:4326",
    ).to_parquet(path)
    table = pq.read_table(path)
    geo = json.loads(table.schema.metadata[b"geo"])
    geo["columns"]["geometry"]["edges"] = "spherical"
    meta = {**table.schema.metadata, b"geo": json.dumps(geo).encode()}
    pq.write_table(table.replace_schema_metadata(meta), path)
    return path


def test_a_geoparquet_of_spherical_edges_follows_the_great_circle(tmp_path: Path) -> None:
    """The great circle from (2 E, 52 N) to (4 E, 52 N) passes 52.0042 N at 3 E, 471 m
    north of the parallel and 669 m north of the region's bottom edge, beyond its top:
    every cell is ``S`` and the contact is 274 m north of the top row's centres (read as
    straight lines in lon/lat, with a warning only, the boundary was the parallel, or its
    chord: half the region was ``N`` or no data)."""
    from pyproj import Geod

    path = _spherical_sheet(tmp_path / "sheet.parquet")
    out, said = plan_vector_cells(path, SHEET_GRID, attribute="unit", distance_to_contacts=True)
    _, cells = out["geology"]
    assert (cells == 1).all()
    ((lon, lat),) = Geod(a=6371008.8, f=0).npts(2.0, 52.0, 4.0, 52.0, 1)
    _, y_arc = _TO_UTM31.transform(lon, lat)
    _, dist = out["geology_dist_contact"]
    top = SHEET_GRID.bounds[3]
    assert abs(float(dist[0, 20]) - (y_arc - (top - 5.0))) < 1.0
    assert any("followed along its arc" in w for w in said)


def _ewkb_parquet(path: Path, geoms: list[shapely.Geometry], srid: int) -> Path:
    """SYNTHETIC GeoParquet of units ``A`` and ``B`` whose geometries are EWKB stating
    ``srid`` (as PostGIS's ``ST_AsEWKB`` writes them) and whose metadata states no
    ``crs`` (a DuckDB copy of a PostGIS table)."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Polygon"]}},
    }
    wkb = [shapely.to_wkb(shapely.set_srid(g, srid), include_srid=True) for g in geoms]
    table = pa.table({"unit": ["A", "B"], "geometry": wkb})
    pq.write_table(table.replace_schema_metadata({b"geo": json.dumps(geo).encode()}), path)
    return path


def test_a_geoparquet_of_ewkb_in_utm_without_a_crs_is_read_in_its_srid(tmp_path: Path) -> None:
    """EWKB geometries stating SRID 32619 in a GeoParquet whose metadata states no ``crs``
    (OGC:CRS84 by the specification) are read in EPSG:32619, said: they were "no feature
    lies in the region ... give the CRS", the SRID in every geometry unsaid."""
    path = _ewkb_parquet(tmp_path / "units.parquet", HOSTS, 32619)
    out, said = plan_vector_cells(path, GRID, attribute="unit")
    _, cells = out["geology"]
    assert int((cells == 0).sum()) == 800 and int((cells == 1).sum()) == 800
    (warning,) = {w for w in said if "SRID" in w}
    assert "SRID 32619" in warning and "EPSG:32619" in warning and str(path) in warning


def test_a_geoparquet_of_ewkb_in_lonlat_without_a_crs_is_not_said(tmp_path: Path) -> None:
    """Control: EWKB stating SRID 4326 (longitude/latitude, as OGC:CRS84) is read as
    before, without a word of its SRID."""
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    hosts = [
        shapely.transform(g, lambda xy: np.column_stack(to_ll.transform(*xy.T))) for g in HOSTS
    ]
    path = _ewkb_parquet(tmp_path / "units.parquet", hosts, 4326)
    out, said = plan_vector_cells(path, GRID, attribute="unit")
    assert not (out["geology"][1] == -1).any()
    assert not [w for w in said if "SRID" in w]


def test_a_faults_layer_one_letter_case_apart_is_named_as_meant(tmp_path: Path) -> None:
    """``faults_layer: faults`` for a GeoPackage's ``Faults`` (SYNTHETIC units and faults):
    refused in one line naming the layer meant, as ``layer:`` is (it listed the layers
    alone), for a source of units and faults and for a faults-only source."""
    import pytest

    from prospect.errors import DataError

    path = tmp_path / "map.gpkg"
    gpd.GeoDataFrame({"unit": ["A", "B"]}, geometry=HOSTS, crs=CRS).to_file(path, layer="Units")
    gpd.GeoDataFrame(
        {"kind": ["normal"]},
        geometry=[shapely.LineString([(X0 + 100, Y0), (X0 + 100, Y0 + 400)])],
        crs=CRS,
    ).to_file(path, layer="Faults")
    for source in ({"layer": "Units", "attribute": "unit"}, {}):
        with pytest.raises(DataError) as caught:
            plan_vector_cells(path, GRID, faults_layer="faults", **source)
        message = str(caught.value)
        assert "\n" not in message and str(path) in message
        assert "no faults layer 'faults'" in message and "did you mean 'Faults'?" in message
