"""RegionGrid maths: shape, transform, chunk windows, point-to-cell."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from prospect.errors import CRSError, GridError
from prospect.grid import RegionGrid, parse_crs


def test_shape_transform_and_centres() -> None:
    g = RegionGrid(crs="EPSG:28992", resolution=10, bounds=(0, 300000, 1000, 300500))
    assert g.shape == (50, 100)
    assert g.transform == Affine(10, 0, 0, 0, -10, 300500)
    assert g.x[0] == 5 and g.x[-1] == 995
    assert g.y[0] == 300495 and g.y[-1] == 300005
    assert g.crs == "EPSG:28992"


def test_bounds_snap_outwards_to_whole_cells() -> None:
    g = RegionGrid(crs="EPSG:32619", resolution=30, bounds=(0, 0, 100, 100))
    assert g.shape == (4, 4)
    assert g.bounds == (0, -20, 120, 100)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"resolution": 0}, GridError),
        ({"resolution": -5}, GridError),
        ({"bounds": (10, 0, 0, 10)}, GridError),
        ({"chunks": (0, 10)}, GridError),
        ({"crs": "EPSG:999999"}, CRSError),
        ({"crs": ""}, CRSError),
    ],
)
def test_bad_grids_are_refused(kwargs: dict, error: type) -> None:
    base = {"crs": "EPSG:32619", "resolution": 10, "bounds": (0, 0, 100, 100)}
    with pytest.raises(error):
        RegionGrid(**(base | kwargs))


def test_from_transform_refuses_rotation_and_non_square() -> None:
    with pytest.raises(GridError, match="rotated"):
        RegionGrid.from_transform(crs="EPSG:32619", transform=Affine(10, 1, 0, 0, -10, 0),
                                  shape=(5, 5))
    with pytest.raises(GridError, match="square"):
        RegionGrid.from_transform(crs="EPSG:32619", transform=Affine(10, 0, 0, 0, -20, 0),
                                  shape=(5, 5))


def test_from_transform_round_trip() -> None:
    g = RegionGrid(crs="EPSG:32620", resolution=20, bounds=(471000, 1945000, 479000, 1953000))
    h = RegionGrid.from_transform(crs=g.crs, transform=g.transform, shape=g.shape)
    assert h.bounds == g.bounds and h.shape == g.shape


@settings(max_examples=50, deadline=None)
@given(
    h=st.integers(1, 300), w=st.integers(1, 300), cy=st.integers(1, 128), cx=st.integers(1, 128)
)
def test_chunk_windows_tile_the_grid_exactly(h: int, w: int, cy: int, cx: int) -> None:
    g = RegionGrid(crs="EPSG:32619", resolution=10, bounds=(0, 0, w * 10, h * 10),
                   chunks=(cy, cx))
    cover = np.zeros(g.shape, dtype=np.int32)
    windows = list(g.chunk_windows())
    for win in windows:
        cover[win.rows, win.cols] += 1
    assert (cover == 1).all()
    assert len(windows) == g.n_chunks == -(-h // cy) * -(-w // cx)


@settings(max_examples=50, deadline=None)
@given(r=st.integers(0, 49), c=st.integers(0, 99))
def test_rowcol_inverts_cell_centres(r: int, c: int) -> None:
    g = RegionGrid(crs="EPSG:28992", resolution=10, bounds=(0, 300000, 1000, 300500))
    rows, cols = g.rowcol(np.array([g.x[c]]), np.array([g.y[r]]))
    assert (rows[0], cols[0]) == (r, c)
    assert g.contains(rows, cols).all()
    out_r, out_c = g.rowcol(np.array([-5.0]), np.array([300600.0]))
    assert not g.contains(out_r, out_c).any()


def test_lonlat_bounds_of_bonaire_grid() -> None:
    g = RegionGrid(crs="EPSG:32619", resolution=10, bounds=(559000, 1324000, 590000, 1364000))
    west, south, east, north = g.lonlat_bounds()
    assert -68.5 < west < east < -68.1
    assert 11.9 < south < north < 12.4


def test_parse_crs_accepts_epsg_int_and_wkt() -> None:
    assert parse_crs(28992).to_epsg() == 28992
    assert parse_crs(parse_crs("EPSG:3405").to_wkt()).to_epsg() == 3405


@pytest.mark.parametrize(("given", "meant"), [("CRS:84", "OGC:CRS84"), ("crs:84", "OGC:CRS84"),
                                              ("CRS:83", "OGC:CRS83"), ("CRS:27", "OGC:CRS27")])
def test_parse_crs_reads_the_wms_names_gdal_reads(given: str, meant: str) -> None:
    """``CRS:84`` (WMS 1.3's lon/lat WGS 84, read by GDAL) was "unknown CRS": PROJ knows
    it only as ``OGC:CRS84``; it is the same CRS, longitude first."""
    assert parse_crs(given) == parse_crs(meant)
    assert parse_crs(given).axis_info[0].direction == "east"
