"""Geology maps and fault layers in longitudes 0..360 (round 49).

Found by feeding ``plan_vector`` (every chunk of each layer computed) and a real
``prospect ingest`` geology maps and fault layers written with geopandas into
``tmp_path`` (2026-12-06): a map of two units in longitudes 0..360 (as Pacific maps and
climate models write them) over the tiny region in UTM 19N (69 W, the Caribbean) was "no
feature of layer (first) lies in the region ... 22 km from the region's centre", exit 1,
though it covers the region; over a region across 180 (Fiji, UTM 1S) the chunks wholly
east of 180 gave no cell a unit (half the region, without a word), and so did a unit
drawn a little past 180 in a -180..180 map (53 cells); and a fault layer in 0..360 over a
region in degrees was measured 360 degrees from every cell, with a warning that its
faults lay 360 degrees away. Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import xarray as xr
from pyproj import Transformer

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

_TO_LONLAT = Transformer.from_crs(TINY.crs_obj, "EPSG:4326", always_xy=True)
_MID_LON, _ = _TO_LONLAT.transform(500200.0, 1350200.0)
CONTACT_LON = round(_MID_LON, 4)
"""The longitude (west of 0) between the two SYNTHETIC units, near the region's middle."""

DEGREES = RegionGrid(
    name="bonaire",
    crs="EPSG:4326",
    resolution=0.001,
    bounds=(-68.32, 12.18, -68.28, 12.22),
    chunks=(20, 20),
)
"""40 x 40 cells of 0.001 degree about 68.3 W, 12.2 N: a region in degrees."""


def _units(turn: float) -> gpd.GeoDataFrame:
    """SYNTHETIC units ``W`` and ``E`` meeting at :data:`CONTACT_LON`, 12..12.5 N, their
    longitudes ``turn`` (0 or 360) east of -180..180."""
    return gpd.GeoDataFrame(
        {"unit": ["W", "E"]},
        geometry=[
            shapely.box(CONTACT_LON - 0.5 + turn, 12.0, CONTACT_LON + turn, 12.5),
            shapely.box(CONTACT_LON + turn, 12.0, CONTACT_LON + 0.5 + turn, 12.5),
        ],
        crs="EPSG:4326",
    )


def _write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_file(path)
    return path


def _expected_west(grid: RegionGrid, contact_lon: float) -> np.ndarray:
    """Whether each cell centre of ``grid`` lies west of ``contact_lon`` (-180..180)."""
    left, bottom, right, top = grid.bounds
    res = grid.resolution
    xs = left + res * (np.arange(round((right - left) / res)) + 0.5)
    ys = top - res * (np.arange(round((top - bottom) / res)) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    lon, _ = Transformer.from_crs(grid.crs_obj, "EPSG:4326", always_xy=True).transform(gx, gy)
    return ((np.asarray(lon) - contact_lon + 180.0) % 360.0 - 180.0) < 0


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet"])
def test_a_geology_map_in_longitudes_0_to_360_codes_a_caribbean_region(
    tmp_path: Path, suffix: str
) -> None:
    """A map in 0..360 over a region at 69 W codes every cell as the same map in
    -180..180 does: ``W`` west of the contact, ``E`` east of it (it was "no feature of
    layer (first) lies in the region")."""
    path = _write(_units(360.0), tmp_path / f"units{suffix}")
    out, said = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    layer, cells = out["geology"]
    assert layer.codes == ("E", "W")
    west = _expected_west(TINY, CONTACT_LON)
    assert 0 < west.sum() < west.size
    assert np.array_equal(cells, np.where(west, 1, 0))
    _, dist = out["geology_dist_contact"]
    same, _ = plan_vector_cells(
        _write(_units(0.0), tmp_path / f"plain{suffix}"),
        TINY,
        attribute="unit",
        distance_to_contacts=True,
    )
    assert np.allclose(dist, same["geology_dist_contact"][1])
    assert np.nanmin(dist) < 10.0
    assert not [w for w in said if "lies in" in w or "no contact" in w], said


def test_a_geology_map_in_longitudes_minus_180_to_180_codes_as_before(tmp_path: Path) -> None:
    """Control: the same map in -180..180 codes the cells either side of the contact."""
    path = _write(_units(0.0), tmp_path / "units.gpkg")
    out, said = plan_vector_cells(path, TINY, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("E", "W")
    assert np.array_equal(cells, np.where(_expected_west(TINY, CONTACT_LON), 1, 0))
    assert said == []


def _fiji_grid() -> RegionGrid:
    """80 x 40 cells of 100 m in UTM 1S across 180 (16.5 S): chunks of 20 x 20, the two
    east of 180 wholly so."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32701", always_xy=True).transform(180.0, -16.5)
    x, y = round(x / 10) * 10, round(y / 10) * 10
    return RegionGrid(
        name="fiji",
        crs="EPSG:32701",
        resolution=100.0,
        bounds=(x - 2000, y - 2000, x + 6000, y + 2000),
        chunks=(20, 20),
    )


@pytest.mark.parametrize("turn", [360.0, 0.0], ids=["0-360", "drawn-past-180"])
def test_a_map_past_180_codes_the_chunks_east_of_180_of_a_region_across_it(
    tmp_path: Path, turn: float
) -> None:
    """SYNTHETIC ``W`` (179.5 E to 180.02 E) and ``E`` (180.02 to 180.5, as written
    ``-179.98 + turn``; in a -180..180 map ``W`` is drawn a little past 180): each cell
    takes the unit its centre is in. The chunks wholly east of 180 had no unit (1 600 of
    3 200 cells in 0..360, the 53 cells of ``W`` past 180 in the other)."""
    grid = _fiji_grid()
    frame = gpd.GeoDataFrame(
        {"unit": ["W", "E"]},
        geometry=[
            shapely.box(179.5, -17.0, 180.02, -16.0),
            shapely.box(-179.98 + turn, -17.0, -179.5 + turn, -16.0),
        ],
        crs="EPSG:4326",
    )
    out, said = plan_vector_cells(_write(frame, tmp_path / "fiji.gpkg"), grid, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("E", "W")
    west = _expected_west(grid, -179.98)
    assert (cells == -1).sum() == 0
    assert np.array_equal(cells, np.where(west, 1, 0))
    assert said == []


def _faults(turn: float, path: Path) -> Path:
    """A SYNTHETIC fault along 68.3 W, 12..12.5 N, its longitudes ``turn`` east."""
    gpd.GeoDataFrame(
        {"n": [1]},
        geometry=[shapely.LineString([(-68.3 + turn, 12.0), (-68.3 + turn, 12.5)])],
        crs="EPSG:4326",
    ).to_file(path, layer="faults")
    return path


def test_faults_in_0_to_360_over_a_region_in_degrees_are_measured_where_they_lie(
    tmp_path: Path,
) -> None:
    """A fault at 68.3 W written at 291.7 over a region in degrees about it: each cell's
    distance is as for the fault written at -68.3 (it was 360 degrees in every cell, with
    a warning that the faults lay 360 degrees from the region)."""
    out, said = plan_vector_cells(
        _faults(360.0, tmp_path / "far.gpkg"), DEGREES, faults_layer="faults"
    )
    same, _ = plan_vector_cells(
        _faults(0.0, tmp_path / "near.gpkg"), DEGREES, faults_layer="faults"
    )
    dist = out["geology_dist_fault"][1]
    assert np.nanmax(dist) < 0.03
    assert np.allclose(dist, same["geology_dist_fault"][1])
    assert not [w for w in said if "none of the" in w], said


def test_contacts_of_a_map_in_0_to_360_over_a_region_in_degrees_are_measured_there(
    tmp_path: Path,
) -> None:
    """Units meeting at 68.3 W written in 0..360 over the region in degrees: codes and
    contact distances as of the map in -180..180."""
    frame = gpd.GeoDataFrame(
        {"unit": ["W", "E"]},
        geometry=[shapely.box(291.0, 12.0, 291.7, 12.5), shapely.box(291.7, 12.0, 292.0, 12.5)],
        crs="EPSG:4326",
    )
    out, _ = plan_vector_cells(
        _write(frame, tmp_path / "units.gpkg"), DEGREES, attribute="unit", distance_to_contacts=True
    )
    plain = frame.set_geometry(frame.geometry.translate(xoff=-360.0))
    same, _ = plan_vector_cells(
        _write(plain, tmp_path / "plain.gpkg"), DEGREES, attribute="unit", distance_to_contacts=True
    )
    assert np.array_equal(out["geology"][1], same["geology"][1])
    assert {0, 1} <= set(np.unique(out["geology"][1]).tolist())
    dist = out["geology_dist_contact"][1]
    assert np.nanmax(dist) < 0.03
    assert np.allclose(dist, same["geology_dist_contact"][1])


def test_faults_in_0_to_360_over_a_utm_region_are_measured_as_before(tmp_path: Path) -> None:
    """Control: the same fault over a UTM region (PROJ puts 291.7 in place) measures
    as the fault at -68.3."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32619", always_xy=True).transform(-68.3, 12.2)
    grid = RegionGrid(
        name="bon",
        crs="EPSG:32619",
        resolution=10.0,
        bounds=(round(x) - 200.0, round(y) - 200.0, round(x) + 200.0, round(y) + 200.0),
        chunks=(20, 20),
    )
    out, said = plan_vector_cells(
        _faults(360.0, tmp_path / "far.gpkg"), grid, faults_layer="faults"
    )
    same, _ = plan_vector_cells(_faults(0.0, tmp_path / "near.gpkg"), grid, faults_layer="faults")
    assert np.allclose(out["geology_dist_fault"][1], same["geology_dist_fault"][1])
    assert np.nanmin(out["geology_dist_fault"][1]) < 10.0
    assert said == []


def test_ingest_of_a_geology_map_in_0_to_360_writes_its_units(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """A real ``prospect ingest`` of the 0..360 map (a GeoPackage) over the tiny region
    writes both units where they lie (it was exit 1, "no feature ... lies in the region")."""
    _write(_units(360.0), sandbox.root / "geology.gpkg")
    sandbox.write_job(
        region=dict(TINY_REGION),
        sources=[{"kind": "vector", "name": "geo", "path": "geology.gpkg", "attribute": "unit"}],
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.err and "internal error" not in result.err
    var = xr.open_zarr(sandbox.out / "cube.zarr")["geo"]
    table = {int(k): v for k, v in json.loads(var.attrs["categories"]).items()}
    names = np.vectorize(lambda c: table.get(int(c), ""))(np.asarray(var.values))
    west = _expected_west(TINY, CONTACT_LON)
    assert np.array_equal(names == "W", west)
    assert np.array_equal(names == "E", ~west)
    assert sandbox.untouched()
