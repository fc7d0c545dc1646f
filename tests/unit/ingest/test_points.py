"""Point tables: surfaces only when asked, IDW, kriging with variance, distance to points."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from ingest_helpers import CRS, LEFT, TOP, assemble
from pyproj import Transformer
from shapely.geometry import Point

from prospect.config.sources import PointSource
from prospect.errors import DataError, InputFileError
from prospect.ingest.surfaces import plan_points


def well_table(tmp_path, n=30, seed=0):
    rng = np.random.default_rng(seed)
    x = LEFT + rng.uniform(0, 400, n)
    y = TOP - rng.uniform(0, 400, n)
    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(x, y)
    li = 50 + 0.2 * (x - LEFT) + rng.normal(0, 2, n)
    path = tmp_path / "wells.csv"
    pd.DataFrame({"well_id": range(n), "lon": lon, "lat": lat, "li_mg_l": li}).to_csv(
        path, index=False)
    return path, x, y, li


def test_wells_make_no_layer_unless_asked(grid, tmp_path):
    path, *_ = well_table(tmp_path)
    assert plan_points(PointSource(name="wells", path=path, columns=["li_mg_l"]), grid) == []


def test_idw_kriging_variance_and_distance(grid, tmp_path):
    path, x, y, li = well_table(tmp_path)
    src = PointSource(name="wells", path=path, columns=["li_mg_l"], distance=True,
                      interpolate=["idw", "kriging"], units={"li_mg_l": "mg/L"})
    layers = {ly.name: ly for ly in plan_points(src, grid)}
    assert set(layers) == {"wells_dist", "wells_li_mg_l_idw", "wells_li_mg_l",
                           "wells_li_mg_l_variance"}
    dist = assemble(layers["wells_dist"], grid)
    xx, yy = np.meshgrid(grid.x, grid.y)
    brute = np.sqrt((xx[..., None] - x) ** 2 + (yy[..., None] - y) ** 2).min(axis=-1)
    np.testing.assert_allclose(dist, brute, rtol=1e-5)

    idw = assemble(layers["wells_li_mg_l_idw"], grid)
    assert np.isfinite(idw).all()
    assert li.min() - 1e-3 <= idw.min() and idw.max() <= li.max() + 1e-3  # IDW stays in range
    # the trend in x comes through: east is richer than west
    assert idw[:, -5:].mean() > idw[:, :5].mean() + 30

    krig = assemble(layers["wells_li_mg_l"], grid)
    var = assemble(layers["wells_li_mg_l_variance"], grid)
    assert np.isfinite(krig).all() and (var >= 0).all()
    r, c = grid.rowcol(x, y)
    near = var[r, c].mean()
    far_mask = dist > np.percentile(dist, 90)
    assert var[far_mask].mean() > near  # uncertain far from the wells
    assert layers["wells_li_mg_l_variance"].kind == "uncertainty"
    assert layers["wells_li_mg_l_variance"].units == "(mg/L)2"
    assert abs(np.corrcoef(krig[r, c], li)[0, 1]) > 0.9


def test_a_column_header_with_units_or_slashes_makes_a_plain_variable(grid, tmp_path):
    """Headers name inputs (``Li (mg/L)``); the variable's name is made safe, so even a
    header spelt like a path cannot name anything outside the cube."""
    path, x, y, li = well_table(tmp_path)
    table = pd.read_csv(path).rename(columns={"li_mg_l": "Li (mg/L)"})
    table["../../b"] = table["Li (mg/L)"] * 2
    table.to_csv(path, index=False)
    src = PointSource(name="wells", path=path, columns=["Li (mg/L)", "../../b"],
                      interpolate=["idw"], units={"Li (mg/L)": "mg/L"})
    layers = {ly.name: ly for ly in plan_points(src, grid)}
    assert set(layers) == {"wells_Li__mg_L_", "wells_______b"}
    assert layers["wells_Li__mg_L_"].units == "mg/L"
    out = assemble(layers["wells_Li__mg_L_"], grid)
    r, c = grid.rowcol(x, y)
    assert np.corrcoef(out[r, c], li)[0, 1] > 0.95
    np.testing.assert_allclose(assemble(layers["wells_______b"], grid), 2 * out, rtol=1e-6)


def test_units_come_from_the_config_else_the_header_and_a_disagreement_is_said(
        grid, tmp_path):
    """Before: a header's units were ignored (a surface of 'Li (mg/L)' went out without
    units unless 'units' repeated them) and a 'units' key naming no column did nothing."""
    import warnings

    from prospect.errors import ConfigError, DataWarning

    path, *_ = well_table(tmp_path)
    table = pd.read_csv(path).rename(columns={"li_mg_l": "Li (mg/L)"})
    table["heat [mW/m2]"] = table["Li (mg/L)"]
    table.to_csv(path, index=False)
    columns = ["Li (mg/L)", "heat [mW/m2]"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the header's units alone: no warning
        layers = {ly.name: ly for ly in plan_points(
            PointSource(name="w", path=path, columns=columns, interpolate=["idw"]), grid)}
    assert layers["w_Li__mg_L_"].units == "mg/L"
    assert layers["w_heat__mW_m2_"].units == "mW/m2"
    with pytest.warns(DataWarning, match=r"'Li \(mg/L\)' states mg/L in its header but "
                                         r"'units' gives 'mg/kg'"):
        layers = {ly.name: ly for ly in plan_points(PointSource(
            name="w", path=path, columns=columns, interpolate=["idw"],
            units={"Li (mg/L)": "mg/kg", "heat [mW/m2]": "mW/m2"}), grid)}
    assert layers["w_Li__mg_L_"].units == "mg/kg"  # the config's, as it says
    with pytest.raises(ConfigError, match=r"'units' names column\(s\) \['Li'\] that "
                                          r"'columns' does not list"):
        from prospect.config._base import validate_mapping

        validate_mapping(PointSource, {"name": "w", "path": str(path), "columns": columns,
                                       "units": {"Li": "mg/L"}}, source="job.yaml")


def test_point_geopackage_in_projected_crs(grid, tmp_path):
    _, x, y, li = well_table(tmp_path)
    path = tmp_path / "samples.gpkg"
    gpd.GeoDataFrame({"li": li}, geometry=[Point(a, b) for a, b in zip(x, y, strict=True)],
                     crs=CRS).to_file(path, layer="samples")
    src = PointSource(name="till", path=path, layer="samples", columns=["li"],
                      interpolate=["idw"])
    (layer,) = plan_points(src, grid)
    assert layer.name == "till_li"
    out = assemble(layer, grid)
    r, c = grid.rowcol(x, y)
    assert np.corrcoef(out[r, c], li)[0, 1] > 0.95


def test_bad_point_tables(grid, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("well_id,lon,lat,li_mg_l\n")
    with pytest.raises(DataError, match=r"empty\.csv: the point table is empty"):
        plan_points(PointSource(name="w", path=empty, columns=["li_mg_l"], distance=True), grid)
    path, *_ = well_table(tmp_path)
    with pytest.raises(DataError, match=r"wells\.csv: no column\(s\) \['lithium'\]"):
        plan_points(PointSource(name="w", path=path, columns=["lithium"], distance=True), grid)
    with pytest.raises(DataError, match=r"none of its 30 points lies in the region"):
        plan_points(PointSource(name="w", path=path, x="lat", y="lon", columns=["li_mg_l"],
                                distance=True), grid)
    with pytest.raises(InputFileError, match=r"nope\.csv: point table not found"):
        plan_points(PointSource(name="w", path=tmp_path / "nope.csv", distance=True), grid)


@pytest.mark.parametrize("design", ["scattered", "regular grid (tied neighbours)"])
def test_moving_window_kriging_equals_pykrige_to_the_bit(design: str) -> None:
    """Kriging a chunk builds the kriging matrix of the chunk's neighbours only, not of all
    n points ((n+1)^2 float64 in every chunk task: 1.8 GB for 15 000 samples); estimates
    and variances are pykrige's own to the last bit, where neighbours tie too (a sampling
    grid with cell centres half-way between samples) and where a cell is on a sample."""
    import tracemalloc

    from pykrige.ok import OrdinaryKriging

    from prospect.ingest.surfaces import kriging_estimate

    rng = np.random.default_rng(3)
    if design == "scattered":
        xy = rng.uniform(0, 60_000, (3000, 2))
    else:
        gx, gy = np.meshgrid(np.arange(55) * 1000.0, np.arange(55) * 1000.0)
        xy = np.column_stack([gx.ravel(), gy.ravel()])
    z = np.sin(xy[:, 0] / 9e3) + np.cos(xy[:, 1] / 7e3) + 0.1 * rng.standard_normal(len(xy))
    model = OrdinaryKriging(xy[:, 0], xy[:, 1], z, variogram_model="exponential")
    # a chunk: 10 km x 10 km of 250 m cells, centres half-way between grid samples
    cx, cy = np.meshgrid(np.arange(40) * 250.0 + 20_125.0, np.arange(40) * 250.0 + 20_125.0)
    near = xy[(np.abs(xy - 25_000) < 5_000).all(axis=1)][:20]  # cells on samples
    query = np.vstack([np.column_stack([cx.ravel(), cy.ravel()]), near])
    before = query.copy()
    tracemalloc.start()
    est = kriging_estimate(model, query, neighbours=16, variance=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    var = kriging_estimate(model, query, neighbours=16, variance=True)
    assert np.array_equal(query, before)  # the caller's cells are not moved
    z_ref, ss_ref = model.execute("points", query[:, 0], query[:, 1], backend="C",
                                  n_closest_points=16)
    assert np.array_equal(est, np.asarray(z_ref))
    assert np.array_equal(var, np.maximum(np.asarray(ss_ref), 0.0))
    on = (xy[:, None, :] == near[None]).all(axis=2).argmax(axis=0)
    assert len(near) and np.allclose(est[-len(near):], z[on])  # exact at the samples
    assert peak < 0.5 * (len(xy) + 1) ** 2 * 8  # not the whole kriging matrix
