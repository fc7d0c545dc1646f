"""Round 31, second pass: point surfaces of a region in Web Mercator measured in Mercator
metres labelled ``m``, a surface's table in another projected CRS than its stated one
given no word of the CRS that fits, and a kriged surface's screening report of a region
in degrees whose lags and range were said in "CRS units".

Found by planning (``plan_points``) and reading (``Layer.compute``) SYNTHETIC well
tables written into ``tmp_path`` as CSV text, on small regions in EPSG:3857 at 52 N, in
RD New (EPSG:28992) and in EPSG:4326, and comparing the distances with geodesic ones
(``pyproj.Geod``) and the variogram's range with the one fitted in UTM metres
(2026-12-05).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest


def _grid(crs: str, bounds: tuple[float, float, float, float], resolution: float) -> Any:
    from prospect.grid import RegionGrid

    return RegionGrid(name="r", crs=crs, resolution=resolution, bounds=bounds, chunks=(20, 20))


def _table(path: Path, rows: list[tuple[float, float, float]]) -> Path:
    path.write_text("x,y,li\n" + "".join(f"{x:.6f},{y:.6f},{z:.4f}\n" for x, y, z in rows))
    return path


def _plan(grid: Any, table: Path, crs: str, **more: Any) -> list[Any]:
    from prospect.config.sources import PointSource
    from prospect.ingest.surfaces import plan_points

    source = PointSource(
        name="wells",
        path=str(table),
        x="x",
        y="y",
        crs=crs,
        columns=["li"],
        units={"li": "mg/L"},
        **more,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan_points(source, grid)


def _values(layer: Any, grid: Any) -> np.ndarray:
    out = np.full(grid.shape, np.nan, "f4")
    for window in grid.chunk_windows():
        out[window.rows, window.cols] = layer.compute(grid, window)
    return out


# --- Web Mercator: metres that are not the ground's ---------------------------------------


def _mercator_grid(crs: str = "EPSG:3857") -> Any:
    from pyproj import Transformer

    x0, y0 = Transformer.from_crs(4326, crs, always_xy=True).transform(5.0, 52.0)
    x0, y0 = round(x0, -2), round(y0, -2)
    return _grid(crs, (x0, y0, x0 + 4000, y0 + 4000), 200)


def _geodesic_nearest(grid: Any, wells: np.ndarray) -> np.ndarray:
    """Metres on the ellipsoid from each cell centre to its nearest well."""
    from pyproj import Geod, Transformer

    back = Transformer.from_crs(grid.crs, 4326, always_xy=True)
    xx, yy = np.meshgrid(grid.x, grid.y)
    lon, lat = back.transform(xx.ravel(), yy.ravel())
    wlon, wlat = back.transform(wells[:, 0], wells[:, 1])
    geod = Geod(ellps="WGS84")
    each = [
        geod.inv(lon, lat, np.full(lon.shape, a), np.full(lon.shape, b))[2]
        for a, b in zip(wlon, wlat, strict=True)
    ]
    return np.min(each, axis=0).reshape(grid.shape)


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:4087"])
def test_distance_to_wells_of_a_web_mercator_region_is_on_the_ground(
    tmp_path: Path, crs: str
) -> None:
    """Before: ``wells_dist`` of a region in EPSG:3857 at 52 N held Mercator metres (1.62
    of them per metre on the ground) labelled ``m``: a cell 392 m from its well held 636,
    exit 0, without a word; in EPSG:4087 (World Equidistant Cylindrical, 1.62 east-west
    and 1 north-south) distances were stretched by their bearing. Now measured on the
    ground (the geodesic distance within 0.1 %), and the settings say so."""
    grid = _mercator_grid(crs)
    left, bottom = grid.bounds[:2]
    wells = np.array([[left + 900, bottom + 700], [left + 3100, bottom + 2900]])
    table = _table(tmp_path / "w.csv", [(x, y, 1.0) for x, y in wells])
    (dist,) = _plan(grid, table, crs, distance=True)
    assert dist.units == "m"
    got = _values(dist, grid)
    want = _geodesic_nearest(grid, wells)
    assert np.allclose(got, want, rtol=1e-3, atol=0.5), float(np.abs(got - want).max())
    assert "metres on the ground" in dist.settings["distances"]


def test_kriging_of_a_web_mercator_region_fits_its_range_on_the_ground(tmp_path: Path) -> None:
    """Before: kriging of 40 wells in EPSG:3857 at 52 N fitted its variogram's range in
    Mercator metres, 1.62 times the range the same wells give in UTM metres, recorded as
    metres, exit 0. Now fitted on the ground: the range is UTM's within 1 %."""
    from pykrige.ok import OrdinaryKriging
    from pyproj import Transformer

    grid = _mercator_grid()
    left, bottom = grid.bounds[:2]
    rng = np.random.default_rng(3)
    mx, my = left + rng.random(40) * 4000, bottom + rng.random(40) * 4000
    utm = Transformer.from_crs(3857, 32631, always_xy=True)
    ex, ny = utm.transform(mx, my)
    z = np.sin(ex / 500.0) * 10 + np.cos(ny / 700.0) * 10 + 50
    table = _table(tmp_path / "w.csv", list(zip(mx, my, z, strict=True)))
    layers = _plan(grid, table, "EPSG:3857", interpolate=["kriging"], variogram="gaussian")
    ref = OrdinaryKriging(ex, ny, np.round(z, 4), variogram_model="gaussian")
    fitted = layers[0].settings["variogram_parameters"][1]
    assert fitted == pytest.approx(float(ref.variogram_model_parameters[1]), rel=0.01)
    assert "metres on the ground" in layers[0].settings["distances"]


@pytest.mark.parametrize(
    ("crs", "x0", "y0"),
    [
        ("EPSG:28992", 180000.0, 320000.0),
        ("EPSG:32631", 600000.0, 5700000.0),
        ("EPSG:2230", 6200000.0, 1800000.0),
        ("EPSG:3035", 4000000.0, 3200000.0),
    ],
)
def test_control_projections_of_their_own_area_measure_in_their_own_units(
    tmp_path: Path, crs: str, x0: float, y0: float
) -> None:
    """Control: RD New (scale 0.9999 here), UTM, a State Plane CRS in US survey feet (its
    unit is no scale) and LAEA Europe keep their own coordinates: the distance layer is
    the k-d tree's distances in them to the last bit, and no surface is given a ground
    frame."""
    from scipy.spatial import cKDTree

    grid = _grid(crs, (x0, y0, x0 + 4000, y0 + 4000), 200)
    wells = np.array([[x0 + 900, y0 + 700], [x0 + 3100, y0 + 2900], [x0 + 1000, y0 + 3500]])
    table = _table(tmp_path / "w.csv", [(x, y, float(i)) for i, (x, y) in enumerate(wells)])
    dist, idw = _plan(grid, table, crs, distance=True, interpolate=["idw"])
    xx, yy = np.meshgrid(grid.x, grid.y)
    want, _ = cKDTree(wells).query(np.column_stack([xx.ravel(), yy.ravel()]), k=1)
    assert np.array_equal(_values(dist, grid), want.astype("f4").reshape(grid.shape))
    assert "distances" not in dist.settings and "distances" not in idw.settings
    assert idw.ground is None


# --- a surface's table in another projected CRS -------------------------------------------


def test_a_surface_table_of_rd_new_under_utm_names_rd_new(tmp_path: Path) -> None:
    """Before: a well table of RD New metres given ``crs: EPSG:32631`` on a region in RD
    New was refused "check the coordinate columns (x, y) and crs (EPSG:32631)" alone,
    exit 2. Now the refusal names the CRS in which they lie in the region."""
    from prospect.errors import DataError

    grid = _grid("EPSG:28992", (180000.0, 320000.0, 184000.0, 324000.0), 200)
    rng = np.random.default_rng(0)
    rows = [(180000 + rng.uniform(0, 4000), 320000 + rng.uniform(0, 4000), 1.0) for _ in range(10)]
    table = _table(tmp_path / "w.csv", rows)
    with pytest.raises(DataError) as info:
        _plan(grid, table, "EPSG:32631", interpolate=["idw"])
    said = " ".join(str(info.value).split())
    assert "none of its 10 points lies in the region" in said
    assert 'crs: "EPSG:28992"' in said and "10 of 10" in said, said


def test_control_a_table_of_no_projected_crs_that_fits_says_no_other(tmp_path: Path) -> None:
    """Control: points far from the region in any CRS get the columns-and-crs hint alone."""
    from prospect.errors import DataError

    grid = _grid("EPSG:28992", (180000.0, 320000.0, 184000.0, 324000.0), 200)
    table = _table(tmp_path / "w.csv", [(9.0e6 + i, 9.0e6 + i, 1.0) for i in range(5)])
    with pytest.raises(DataError) as info:
        _plan(grid, table, "EPSG:28992", interpolate=["idw"])
    said = str(info.value)
    assert "check the coordinate columns (x, y) and crs (EPSG:28992)" in said
    assert "would lie in region" not in said


# --- the screening report's lags ----------------------------------------------------------


def test_screening_of_a_surface_of_a_region_in_degrees_says_lags_in_metres(
    tmp_path: Path,
) -> None:
    """Before: the screening report's variogram of a region in degrees said "lag distance
    (CRS units)" (read as degrees) of lags and a range fitted in metres on the ground
    since round 31. Now its facts say ``m on the ground``; a projected region's say its
    CRS unit (``m``)."""
    from pipelines.stages.screen import check_surface

    grid = _grid("EPSG:4326", (5.0, 52.0, 5.04, 52.04), 0.002)
    rng = np.random.default_rng(5)
    lon, lat = 5.0 + rng.random(12) * 0.04, 52.0 + rng.random(12) * 0.04
    table = _table(tmp_path / "w.csv", list(zip(lon, lat, rng.random(12) * 10, strict=True)))
    from prospect.config.sources import PointSource

    source = PointSource(
        name="wells",
        path=str(table),
        x="x",
        y="y",
        crs="EPSG:4326",
        columns=["li"],
        units={"li": "mg/L"},
        interpolate=["kriging"],
    )
    layer = _plan(grid, table, "EPSG:4326", interpolate=["kriging"])[0]
    facts = check_surface(source, layer, grid)
    assert facts["lag_units"] == "m on the ground"
    utm = _grid("EPSG:32631", (600000.0, 5700000.0, 604000.0, 5704000.0), 200)
    rows = [
        (600000 + rng.uniform(0, 4000), 5700000 + rng.uniform(0, 4000), rng.random())
        for _ in range(12)
    ]
    table = _table(tmp_path / "u.csv", rows)
    layer = _plan(utm, table, "EPSG:32631", interpolate=["kriging"])[0]
    assert check_surface(source, layer, utm)["lag_units"] == "m"


def test_a_pure_nugget_warning_of_a_projected_region_says_its_unit(tmp_path: Path) -> None:
    """Before: the pure-nugget warning of 60 wells of random values in UTM 31N said
    "from its first lag (557.8 CRS units)". Now it says metres (the region's unit)."""
    grid = _grid("EPSG:32631", (600000.0, 5700000.0, 604000.0, 5704000.0), 200)
    rng = np.random.default_rng(1)
    rows = [
        (600000 + rng.uniform(0, 4000), 5700000 + rng.uniform(0, 4000), rng.random())
        for _ in range(60)
    ]
    table = _table(tmp_path / "n.csv", rows)
    from prospect.config.sources import PointSource
    from prospect.ingest.surfaces import plan_points

    source = PointSource(
        name="wells",
        path=str(table),
        x="x",
        y="y",
        crs="EPSG:32631",
        columns=["li"],
        units={"li": "mg/L"},
        interpolate=["kriging"],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_points(source, grid)
    said = [str(w.message) for w in caught if "pure nugget" in str(w.message)]
    assert said and " m) to its last" in said[0] and "CRS units" not in said[0], said
