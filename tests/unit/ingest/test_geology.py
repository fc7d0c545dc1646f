"""Vector geology: categorical raster with its code table, distances to contacts and faults."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from ingest_helpers import CRS, LEFT, TOP, assemble
from shapely.geometry import LineString, box

from prospect.config.sources import VectorSource
from prospect.errors import CRSError, DataError, InputFileError
from prospect.ingest.geology import plan_vector

CONTACT_X = LEFT + 152.0  # between the two units
FAULT_Y = TOP - 203.0


def write_geology(tmp_path, fmt: str):
    units = gpd.GeoDataFrame(
        {"unit": ["granite", "basalt"]},
        geometry=[box(LEFT - 500, TOP - 900, CONTACT_X, TOP + 500),
                  box(CONTACT_X, TOP - 900, LEFT + 900, TOP + 500)],
        crs=CRS,
    )
    faults = gpd.GeoDataFrame({"name": ["f1"]},
                              geometry=[LineString([(LEFT - 500, FAULT_Y), (LEFT + 900, FAULT_Y)])],
                              crs=CRS)
    if fmt == "gpkg":
        path = tmp_path / "geo.gpkg"
        units.to_file(path, layer="units")
        faults.to_file(path, layer="faults")
        return path, "units", "faults"
    suffix = {"shp": ".shp", "geojson": ".geojson"}[fmt]
    path = tmp_path / f"units{suffix}"
    units.to_file(path)
    return path, None, None


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson"])
def test_units_rasterised_with_code_table_and_contact_distance(grid, tmp_path, fmt):
    path, layer, faults = write_geology(tmp_path, fmt)
    src = VectorSource(name="geology", path=path, layer=layer, attribute="unit",
                       distance_to_contacts=True, faults_layer=faults)
    layers = {ly.name: ly for ly in plan_vector(src, grid)}
    expected = {"geology", "geology_dist_contact"} | ({"geology_dist_fault"} if faults else set())
    assert set(layers) == expected
    codes = assemble(layers["geology"], grid)
    table = json.loads(layers["geology"].attrs()["categories"])
    assert table == {"0": "basalt", "1": "granite"}
    west = grid.x < CONTACT_X
    assert (codes[:, west] == 1).all() and (codes[:, ~west] == 0).all()
    assert layers["geology"].attrs()["prospect_kind"] == "categorical"
    dist = assemble(layers["geology_dist_contact"], grid)
    np.testing.assert_allclose(dist, np.abs(grid.x - CONTACT_X)[None, :].repeat(40, 0),
                               atol=1e-3)
    if faults:
        fd = assemble(layers["geology_dist_fault"], grid)
        np.testing.assert_allclose(fd, np.abs(grid.y - FAULT_Y)[:, None].repeat(40, 1),
                                   atol=1e-3)
        assert layers["geology_dist_fault"].units == "m"


def test_map_edge_is_not_a_contact_and_uncovered_cells_are_nodata(grid, tmp_path):
    one = gpd.GeoDataFrame({"unit": ["a"]}, geometry=[box(LEFT, TOP - 200, LEFT + 200, TOP)],
                           crs=CRS)
    two = gpd.GeoDataFrame({"unit": ["b"]}, geometry=[box(LEFT + 200, TOP - 200, LEFT + 400, TOP)],
                           crs=CRS)
    path = tmp_path / "g.gpkg"
    gpd.GeoDataFrame(
        {"unit": ["a", "b"]}, geometry=[*one.geometry, *two.geometry], crs=CRS
    ).to_file(path, layer="units")
    src = VectorSource(name="g", path=path, layer="units", attribute="unit",
                       distance_to_contacts=True)
    layers = {ly.name: ly for ly in plan_vector(src, grid)}
    codes = assemble(layers["g"], grid)
    assert (codes[20:] == -1).all()  # south half not mapped
    dist = assemble(layers["g_dist_contact"], grid)
    # The only contact is x = LEFT + 200 between y in [TOP-200, TOP]; the map edges are not.
    cx = LEFT + 200
    x0, y0 = grid.x[3], grid.y[3]
    assert dist[3, 3] == pytest.approx(abs(x0 - cx), abs=1e-3)
    assert y0 > TOP - 200


def test_vector_in_another_crs_is_reprojected(grid, tmp_path):
    units = gpd.GeoDataFrame({"unit": ["granite", "basalt"]},
                             geometry=[box(LEFT - 500, TOP - 900, CONTACT_X, TOP + 500),
                                       box(CONTACT_X, TOP - 900, LEFT + 900, TOP + 500)],
                             crs=CRS).to_crs("EPSG:4326")
    path = tmp_path / "ll.geojson"
    units.to_file(path)
    (layer,) = plan_vector(VectorSource(name="geo", path=path, attribute="unit"), grid)
    codes = assemble(layer, grid)
    west = grid.x < CONTACT_X - 10
    east = grid.x > CONTACT_X + 10
    assert (codes[:, west] == 1).all() and (codes[:, east] == 0).all()


def test_bad_vector_inputs(grid, tmp_path):
    path, _, _ = write_geology(tmp_path, "gpkg")
    with pytest.raises(DataError, match=r"geo\.gpkg: no layer 'rocks'; layers are \['units', "):
        plan_vector(VectorSource(name="g", path=path, layer="rocks", attribute="unit"), grid)
    with pytest.raises(DataError, match=r"no faults layer 'fautls'"):
        plan_vector(VectorSource(name="g", path=path, layer="units", faults_layer="fautls"), grid)
    with pytest.raises(DataError, match=r"has no column 'lithology'"):
        plan_vector(VectorSource(name="g", path=path, layer="units", attribute="lithology"),
                    grid)
    far = gpd.GeoDataFrame({"unit": ["x"]}, geometry=[box(0, 0, 10, 10)], crs=CRS)
    far_path = tmp_path / "far.gpkg"
    far.to_file(far_path)
    with pytest.raises(DataError, match=r"far\.gpkg: no feature .* lies in the region"):
        plan_vector(VectorSource(name="g", path=far_path, attribute="unit"), grid)
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"\0" * 100)
    with pytest.raises(InputFileError, match=r"junk\.gpkg: cannot read as a vector file"):
        plan_vector(VectorSource(name="g", path=junk, attribute="unit"), grid)
    nocrs = tmp_path / "nocrs.geojson"
    gpd.GeoDataFrame({"unit": ["x"]}, geometry=[box(LEFT, TOP - 10, LEFT + 10, TOP)]
                     ).to_file(nocrs)
    plan_vector(VectorSource(name="g", path=nocrs, attribute="unit", crs=CRS), grid)
    nocrs_shp = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame({"unit": ["x"]}, geometry=[box(LEFT, TOP - 10, LEFT + 10, TOP)]
                     ).to_file(nocrs_shp)
    with pytest.raises(CRSError, match=r"nocrs\.shp: the vector file has no CRS"):
        plan_vector(VectorSource(name="g", path=nocrs_shp, attribute="unit"), grid)


def _per_cell_geos(parts, xs, ys):
    """The method before: one GEOS point per cell, an STRtree nearest query."""
    import shapely

    xx, yy = np.meshgrid(xs, ys)
    idx, dist = shapely.STRtree(parts).query_nearest(
        shapely.points(xx.ravel(), yy.ravel()), return_distance=True, all_matches=False)
    out = np.empty(xx.size)
    out[idx[0]] = dist
    return out.reshape(xx.shape)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blockwise_distances_are_bit_identical_to_per_cell_geos(seed):
    import shapely

    from prospect.ingest.geology import _Lines, line_segments, nearest_line_distances

    rng = np.random.default_rng(seed)
    # wiggly lines, a ring, a two-point line with a repeated vertex (a zero-length segment),
    # on a chunk whose sides are not multiples of the block
    lines = [LineString(np.cumsum(rng.normal(0, 40, (60, 2)), axis=0) + rng.uniform(0, 900, 2))
             for _ in range(4)]
    lines.append(shapely.LinearRing([(100, 100), (400, 120), (380, 500), (100, 100)]))
    lines.append(LineString([(700, 50), (700, 50), (760, 90)]))
    parts = np.asarray(lines, dtype=object)
    segments = line_segments(parts)
    assert segments is not None and len(segments) == 59 * 4 + 3 + 2
    found = _Lines(tree=shapely.STRtree(parts), segments=segments,
                   segment_tree=shapely.STRtree(shapely.linestrings(segments.reshape(-1, 2, 2))))
    xs = 0.5 + 7.3 * np.arange(101) + seed
    ys = 990.25 - 9.1 * np.arange(77)
    got = nearest_line_distances(found, xs, ys)
    want = _per_cell_geos(parts, xs, ys)
    assert got.shape == (77, 101)
    assert got.tobytes() == want.tobytes()
    # a point among the parts: the per-cell query (line_segments refuses it)
    mixed = np.asarray([*lines, shapely.Point(500, 500)], dtype=object)
    assert line_segments(mixed) is None
    fallback = _Lines(tree=shapely.STRtree(mixed), segments=None, segment_tree=None)
    assert (nearest_line_distances(fallback, xs, ys).tobytes()
            == _per_cell_geos(mixed, xs, ys).tobytes())
