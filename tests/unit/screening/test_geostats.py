"""Leave-one-out checks of kriging and IDW against pykrige and by-hand sums."""

from __future__ import annotations

import numpy as np
import pytest
from pykrige.ok import OrdinaryKriging

from prospect.geostats import loo_idw, loo_kriging, merge_coincident, variogram_curves


def _points(n: int = 60, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)  # SYNTHETIC points: a smooth trend plus noise
    xy = rng.uniform(0, 10_000, size=(n, 2))
    z = 50 + xy[:, 0] / 500 + np.sin(xy[:, 1] / 1500) * 5 + rng.normal(0, 1, n)
    return xy, z


def test_merge_coincident_averages_values_at_one_place() -> None:
    xy = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [2.0, 2.0]])
    uxy, uz, merged = merge_coincident(xy, np.array([1.0, 5.0, 3.0, 7.0]))
    assert merged == 1
    assert dict(zip(map(tuple, uxy), uz, strict=True)) == {(0.0, 0.0): 2.0, (1.0, 1.0): 5.0,
                                                           (2.0, 2.0): 7.0}


def test_loo_idw_matches_a_by_hand_sum() -> None:
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    z = np.array([1.0, 2.0, 4.0, 8.0])
    res = loo_idw(xy, z, power=2.0, neighbours=3)
    # point 0 from points 1, 2, 3 at squared distances 1, 4, 18
    w = np.array([1.0, 1 / 4, 1 / 18])
    assert res.predicted[0] == pytest.approx((w @ z[1:]) / w.sum())
    assert res.summary()["rmse"] == pytest.approx(np.sqrt(np.mean((res.predicted - z) ** 2)))


@pytest.mark.parametrize("variogram", ["spherical", "exponential", "gaussian"])
def test_loo_kriging_equals_pykrige_without_the_point(variogram: str) -> None:
    xy, z = _points()
    model = OrdinaryKriging(xy[:, 0], xy[:, 1], z, variogram_model=variogram)
    params = [float(p) for p in model.variogram_model_parameters]
    res = loo_kriging(xy, z, variogram=variogram, parameters=params, neighbours=12)
    named = dict(zip(["psill", "range", "nugget"], params, strict=True))
    for i in (0, 17, 59):
        keep = np.arange(len(z)) != i
        other = OrdinaryKriging(xy[keep, 0], xy[keep, 1], z[keep], variogram_model=variogram,
                                variogram_parameters=named)
        est, var = other.execute("points", xy[i:i + 1, 0], xy[i:i + 1, 1], backend="C",
                                 n_closest_points=12)
        assert res.predicted[i] == pytest.approx(est[0], rel=1e-9)
        assert res.sd[i] ** 2 == pytest.approx(var[0], rel=1e-7)
    summary = res.summary()
    assert summary["msdr"] > 0 and summary["n"] == 60


def test_variogram_curves_come_from_the_fitted_model() -> None:
    xy, z = _points()
    model = OrdinaryKriging(xy[:, 0], xy[:, 1], z, variogram_model="spherical")
    c = variogram_curves(model)
    assert len(c["lags"]) == len(c["semivariance"]) > 2
    psill, _, nugget = model.variogram_model_parameters
    assert c["fitted"][0] == pytest.approx(nugget, rel=1e-6, abs=1e-9)
    assert c["fitted"][-1] <= psill + nugget + 1e-9
