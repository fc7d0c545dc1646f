"""Occurrences snapped to cells, grade thresholds and seeded background sampling, on real
CSV and GeoPackage files."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from prospect.errors import DataError, InputFileError
from prospect.grid import RegionGrid
from prospect.models import grade_positives, read_occurrences, sample_background, snap_points

GRID = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=(500_000, 1_000_000, 501_000,
                                                             1_001_000), chunks=(32, 32))


def test_snap_merges_points_in_one_cell_and_counts_outside() -> None:
    xs = np.array([500_005.0, 500_006.0, 500_105.0, 499_000.0, 500_995.0])
    ys = np.array([1_000_995.0, 1_000_991.0, 1_000_905.0, 1_000_500.0, 1_000_005.0])
    pos = np.array([False, True, True, True, False])
    labels = snap_points(xs, ys, GRID, positive=pos)
    assert labels.counts["records"] == 5
    assert labels.counts["outside_grid"] == 1
    assert labels.counts["merged_into_shared_cell"] == 1
    assert labels.counts["cells"] == 3
    # the shared cell is positive because one of its two points is
    cell = {(int(r), int(c)): int(v) for r, c, v in zip(labels.rows, labels.cols, labels.label,
                                                        strict=True)}
    assert cell[(0, 0)] == 1 and cell[(9, 10)] == 1 and cell[(99, 99)] == 0


def test_grade_threshold_and_quantile() -> None:
    values = np.array([10.0, 200.0, np.nan, 150.0, 149.9])
    mask, t = grade_positives(values, threshold=150.0)
    assert mask.tolist() == [False, True, False, True, False] and t == 150.0
    mask, t = grade_positives(values, quantile=0.5)
    assert t == pytest.approx(149.95) and mask.sum() == 2
    with pytest.raises(DataError):
        grade_positives(np.array([np.nan]), threshold=1.0)


def test_background_is_seeded_excludes_labels_and_respects_the_exclusion() -> None:
    rows, cols = np.array([50]), np.array([50])
    a = sample_background(GRID, 500, exclude_rows=rows, exclude_cols=cols, seed=7)
    b = sample_background(GRID, 500, exclude_rows=rows, exclude_cols=cols, seed=7)
    c = sample_background(GRID, 500, exclude_rows=rows, exclude_cols=cols, seed=8)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    assert a[0].size == 500 and len(set(zip(*a, strict=True))) == 500
    far = sample_background(GRID, 2000, exclude_rows=rows, exclude_cols=cols, exclusion=100.0,
                            seed=1)
    d = np.hypot(GRID.x[far[1]] - GRID.x[50], GRID.y[far[0]] - GRID.y[50])
    assert d.min() > 100.0
    everything = sample_background(GRID, None, exclude_rows=rows, exclude_cols=cols)
    assert everything[0].size == GRID.height * GRID.width - 1


def test_csv_in_lonlat_is_reprojected_to_the_grid(tmp_path) -> None:
    to_ll = Transformer.from_crs(GRID.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform([500_055.0, 500_555.0, 600_000.0], [1_000_055.0] * 3)
    path = tmp_path / "wells.csv"
    pd.DataFrame({"Long83": lon, "Lat83": lat, "li": ["12", "bad", "30"]}).to_csv(path,
                                                                                index=False)
    occ = read_occurrences(path, GRID, x="Long83", y="Lat83", value_column="li")
    assert occ.n_records == 3
    np.testing.assert_allclose(occ.x[:2], [500_055.0, 500_555.0], atol=1e-3)
    assert occ.values[0] == 12 and np.isnan(occ.values[1])
    labels = snap_points(occ.x, occ.y, GRID)
    assert labels.counts["outside_grid"] == 1


def test_geopackage_points_and_polygons(tmp_path) -> None:
    path = tmp_path / "occ.gpkg"
    pts = gpd.GeoDataFrame({"grade": [1.0, 2.0]}, geometry=[Point(500_015, 1_000_015),
                                                            Point(500_515, 1_000_515)],
                           crs="EPSG:32619")
    pts.to_file(path, layer="points")
    polys = gpd.GeoDataFrame({"grade": [3.0, 4.0]},
                             geometry=[box(500_100, 1_000_100, 500_130, 1_000_120),
                                       box(500_301, 1_000_301, 500_302, 1_000_302)],
                             crs="EPSG:32619")
    polys.to_file(path, layer="deposits")
    occ = read_occurrences(path, GRID, layer="points", value_column="grade")
    assert occ.x.size == 2 and occ.values.tolist() == [1.0, 2.0]
    occ = read_occurrences(path, GRID, layer="deposits", value_column="grade")
    # a 30 m x 20 m polygon covers 3 x 2 cell centres; a tiny one still gives one cell
    assert (occ.feature_id == 0).sum() == 6 and (occ.feature_id == 1).sum() == 1
    labels = snap_points(occ.x, occ.y, GRID, feature_id=occ.feature_id)
    assert labels.counts["records"] == 2 and labels.counts["merged_into_shared_cell"] == 0
    assert labels.counts["cells"] == 7


def test_bad_inputs_name_the_file_and_the_fix(tmp_path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        read_occurrences(tmp_path / "none.csv", GRID)
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": [1], "b": [2]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"t\.csv.*\['lon', 'lat'\].*x/y"):
        read_occurrences(path, GRID)
    with pytest.raises(DataError, match="value column 'li'"):
        read_occurrences(path, GRID, x="a", y="b", value_column="li")
