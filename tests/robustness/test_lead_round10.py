"""Round 10 (lead): configs whose values lie on the wrong ground.

Each case failed before the round (a config accepted that then placed every source off the
region, or read them onto the wrong ground) and holds the corpus's rules now: exit 2 with
one error line naming the file, the key and the fix, no traceback. Nothing is computed
(``prospect plan`` only); every raster here is small and SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import TINY_REGION, Sandbox, assert_clean_error


@pytest.mark.parametrize(("crs", "bounds", "area"), [
    # UTM 31N metres of Wageningen given to the Dutch RD New (x 0-300 km): lon/lat 158 E
    ("EPSG:28992", [680000.0, 5760000.0, 680400.0, 5760400.0], "Netherlands"),
    # Bonaire's UTM 19N metres given to New Zealand's transverse Mercator
    ("EPSG:2193", [500000.0, 1350000.0, 500400.0, 1350400.0], "New Zealand"),
], ids=["rd-new", "nztm"])
def test_region_bounds_given_in_another_crs_are_refused_naming_the_crs_area(
    sandbox: Sandbox, cli: Any, crs: str, bounds: list[float], area: str,
) -> None:
    # both lie on the Earth, thousands of km from where the CRS is made for: accepted, and
    # every source then "did not overlap the region"
    sandbox.write_job(region={**TINY_REGION, "crs": crs, "bounds": bounds})
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "key 'region'", "far from the area", area,
                       "bounds given in another CRS?")
    assert sandbox.untouched()


@pytest.mark.parametrize(("crs", "bounds"), [
    ("EPSG:28992", [155000.0, 463000.0, 155400.0, 463400.0]),   # Wageningen in RD New
    ("EPSG:28992", [40000.0, 600000.0, 40400.0, 600400.0]),     # North Sea, off the coast
    ("EPSG:3857", [560000.0, 6800000.0, 560400.0, 6800400.0]),  # a world-wide CRS
    # Fiji's own grid, on the antimeridian (lon 179.998 .. -179.998): refused as "far from
    # the area EPSG:3460 is made for" until the footprint's two spans were compared
    ("EPSG:3460", [2132880.0, 3999371.0, 2133280.0, 3999771.0]),
], ids=["onshore", "offshore", "world", "fiji-antimeridian"])
def test_region_bounds_on_or_near_the_crs_area_are_accepted(
    sandbox: Sandbox, cli: Any, crs: str, bounds: list[float],
) -> None:  # control: national grids are used a little past their borders
    sandbox.write_job(region={**TINY_REGION, "crs": crs, "bounds": bounds})
    result = cli("plan", sandbox.job_path)
    assert "far from the area" not in result.out + result.err


STAC_SEARCH = {"url": "https://earth-search.aws.element84.com/v1",
               "collections": ["sentinel-2-l2a"], "datetime": "2024-02-01/2024-09-30"}


@pytest.mark.parametrize(("change", "key", "needle"), [
    ({"collections": [""]}, "stac_search.collections", "a collection id is empty"),
    ({"properties": {"": {"lt": 30}}}, "stac_search.properties",
     "a property name is empty"),
    ({"properties": {"eo:cloud_cover": {"lt": 10, "gt": 60}}},
     "stac_search.properties.eo:cloud_cover", "gt: 60 and lt: 10 together match no item"),
    ({"properties": {"eo:cloud_cover": {"gt": 10, "lte": 10}}},
     "stac_search.properties.eo:cloud_cover", "gt: 10 and lte: 10 together match no item"),
    ({"properties": {"platform": {"in": []}}}, "stac_search.properties.platform",
     "'in: []' matches no item"),
], ids=["empty-collection", "empty-property", "crossed-range", "open-point", "empty-in"])
def test_a_stac_search_that_can_find_nothing_is_refused_before_any_request(
    sandbox: Sandbox, cli: Any, change: dict[str, Any], key: str, needle: str,
) -> None:
    # each was accepted: the search then asked the catalogue for nothing (or for items
    # with an empty property) and the job stopped with "no items found"
    source = {"kind": "raster", "name": "s2", "stac_search": {**STAC_SEARCH, **change},
              "assets": {"B04": "red", "B08": "nir"}}
    sandbox.write_job(sources=[source])
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", key, needle)
    assert sandbox.untouched()


def test_a_stac_search_for_one_exact_value_is_accepted(sandbox: Sandbox, cli: Any) -> None:
    # control: gte and lte of one value is a range of one value
    source = {"kind": "raster", "name": "s2", "stac_search": {
        **STAC_SEARCH, "properties": {"eo:cloud_cover": {"gte": 10, "lte": 10}}},
        "assets": {"B04": "red", "B08": "nir"}}
    sandbox.write_job(sources=[source])
    result = cli("plan", sandbox.job_path)
    assert "match no item" not in result.out + result.err


def test_another_job_on_the_same_grid_is_refused_the_folder_of_a_finished_job(
    sandbox: Sandbox, cli: Any, scheduler: str,
) -> None:
    # the same grid passed the cube check: the other job's manifest replaced the finished
    # job's (its record of finished stages lost: its next run computed everything again)
    # and its variables went into that job's cube beside the old ones
    import json

    box = sandbox
    other = box.root / "other.yaml"
    other.write_text(json.dumps(box.job(name="other")))
    box.write_job()
    assert cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler).code == 0
    before = (box.out / "manifest.json").read_bytes()
    result = cli("ingest", other, "-o", box.out, "--scheduler", scheduler)
    assert_clean_error(result, 2, str(box.out), "job 'tiny'", "not of 'other'", "own -o")
    assert (box.out / "manifest.json").read_bytes() == before
    again = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert again.code == 0 and "skipped: finished" in again.err, again.err[-3000:]
    assert box.untouched()
    assert cli("ingest", other, "-o", box.root / "out-other", "--scheduler",
               scheduler).code == 0  # control: in its own folder it runs


# -- point surfaces beyond float64 / float32 -------------------------------------------

PLACES = [(500000.0 + 5 + 20 * i, 1350000.0 + 5 + 10 * ((7 * i) % 40)) for i in range(20)]


def _wells(box: Sandbox, values: list[float], **source: Any) -> dict[str, Any]:
    rows = ["x,y,li", *(f"{x:.0f},{y:.0f},{v!r}" for (x, y), v in zip(PLACES, values,
                                                                     strict=True))]
    (box.root / "wells.csv").write_text("\n".join(rows) + "\n")
    return {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
            "crs": "EPSG:32619", "columns": ["li"], **source}


def test_an_idw_power_beyond_float64_gives_the_nearest_points_values(
    sandbox: Sandbox, cli: Any, scheduler: str,
) -> None:
    # weights 1 / d**300 underflowed to 0 for every point: a surface of NaN ("no data")
    import numpy as np
    import xarray as xr

    values = [float(i % 7) for i in range(20)]
    sandbox.write_job(sources=[_wells(sandbox, values, interpolate=["idw"], idw_power=300)])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    from scipy.spatial import cKDTree

    layer = xr.open_zarr(sandbox.out / "cube.zarr")["wells_li"]
    cube = layer.values
    assert np.isfinite(cube).all()
    xs, ys = np.meshgrid(layer.x.values, layer.y.values)
    dist, idx = cKDTree(np.array(PLACES)).query(np.column_stack([xs.ravel(), ys.ravel()]), 2)
    clear = dist[:, 1] > 1.05 * dist[:, 0]  # one well clearly nearest: the limit of IDW
    nearest = np.array(values)[idx[:, 0]]
    np.testing.assert_allclose(cube.ravel()[clear], nearest[clear], atol=1e-4)


def test_idw_estimates_are_unchanged_where_weights_fit_float64() -> None:
    import numpy as np

    from prospect.ingest.surfaces import idw_estimate

    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0]])
    z = np.array([1.0, 2.0, 3.0])
    q = np.array([[100.0, 0.0], [600.0, 0.0], [0.0, 0.0]])
    w = 1 / np.hypot(*(q[:, None, :] - xy[None]).transpose(2, 0, 1))[:2] ** 2
    got = idw_estimate(xy, z, q, power=2, neighbours=3)
    assert got[2] == 1.0  # on a point: its value
    assert got[:2] == pytest.approx((w * z).sum(1) / w.sum(1), rel=1e-12)


def test_kriged_values_whose_variance_a_float32_layer_cannot_hold_are_refused(
    sandbox: Sandbox, cli: Any, scheduler: str,
) -> None:
    # the variance layer was inf in every cell, with numpy's raw "overflow encountered
    # in cast" on the console
    values = [1e19 * (1 + (i % 5)) for i in range(20)]
    sandbox.write_job(sources=[_wells(sandbox, values, interpolate=["kriging"])])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "wells.csv", "column 'li'", "float32", "larger unit")
    assert "overflow" not in result.err
