"""Checks of interpolated surfaces: the fitted variogram and leave-one-out cross-validation.

Ordinary kriging is compared with inverse-distance weighting on the same points, each
point predicted from its ``neighbours`` nearest others (leave-one-out, with the surface's
moving window). The kriging variogram is the one
fitted to all points and kept fixed across the folds, as is usual for kriging
cross-validation (Isaaks & Srivastava 1989, ch. 15); the standardised errors
``(z* - z) / sigma_K`` then check the kriging variance: their mean square (MSDR) is near
1 when the variance is right, above 1 when it is too small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

__all__ = [
    "LooResult",
    "loo_idw",
    "loo_kriging",
    "merge_coincident",
    "ok_predict",
    "settle_flat_variogram",
    "structured_share",
    "variogram_curves",
]


def merge_coincident(xy: np.ndarray, z: np.ndarray, *, tolerance: float = 1e-6,
                     places: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Average the values of points at the same place (kriging cannot take two).

    Parameters
    ----------
    xy, z
        The points and their values.
    tolerance
        Points whose coordinates round to one multiple of it are at one place.
    places
        Each point's place as a label (points within a metre of each other on the
        ground: :func:`prospect.ingest.surfaces._places`), in place of ``tolerance``: two
        wells 3 cm apart with 10 and 60 were two points to krige, and a variogram without
        a nugget made a step of 50 over the 3 cm and a surface pulled to 60 tens of
        metres about, where the warning of them said "the surface averages them".

    Returns
    -------
    tuple
        The unique points (each place's first), their (mean) values and how many points
        were merged away.
    """
    xy = np.asarray(xy, dtype="f8")
    z = np.asarray(z, dtype="f8")
    if places is not None:
        _, first, inverse = np.unique(np.asarray(places), return_index=True,
                                      return_inverse=True)
    else:
        key = np.round(xy / tolerance).astype("i8") if tolerance else xy
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    sums = np.bincount(inverse, weights=z)
    counts = np.bincount(inverse)
    return xy[first], sums / counts, int(len(z) - len(first))


@dataclass(frozen=True)
class LooResult:
    """Leave-one-out predictions of one method and their error summary."""

    method: str
    observed: np.ndarray
    predicted: np.ndarray
    sd: np.ndarray | None = None

    @property
    def errors(self) -> np.ndarray:
        """Prediction minus observation."""
        return self.predicted - self.observed

    def summary(self, leave_out: np.ndarray | None = None) -> dict[str, Any]:
        """RMSE, MAE, mean error (bias), and for kriging the standardised-error checks
        (``None`` when no point has a kriging variance above 0, with the count of such
        points, which the checks leave out).

        Parameters
        ----------
        leave_out
            True for each point whose error is no error (a value below a detection limit,
            read as half the limit: its "observation" is a substitute, and its error
            says how far the prediction is from the substitute, not from the ground); such
            points are still the others' neighbours. Counted as ``left_out``.
        """
        e = self.errors
        finite = np.isfinite(e)  # (a point with no other but at its place: not predicted)
        skip = np.zeros(len(e), bool) if leave_out is None else np.asarray(leave_out, bool)
        finite &= ~skip
        e = e[finite]
        out: dict[str, Any] = {
            "method": self.method, "n": len(e),
            "rmse": float(np.sqrt(np.mean(e**2))), "mae": float(np.mean(np.abs(e))),
            "mean_error": float(np.mean(e)),
        }
        if skip.any():
            out["left_out"] = int(skip.sum())
        if self.sd is not None:
            sd = self.sd[finite]
            ok = sd > 0
            zscore = e[ok] / sd[ok]
            if ok.any():
                out["mean_standardised_error"] = float(np.mean(zscore))
                out["msdr"] = float(np.mean(zscore**2))
                out["share_within_2sd"] = float(np.mean(np.abs(zscore) <= 2))
            else:  # no kriging variance above 0: the standardised checks are undefined
                out.update(mean_standardised_error=None, msdr=None, share_within_2sd=None)
            out["points_without_variance"] = int((~ok).sum())
        return out


def _others(xy: np.ndarray, k: int, same_place: float) -> list[np.ndarray]:
    """For each point, its ``k`` nearest others, leaving out the points within
    ``same_place`` of it (its place: one well written twice with its coordinates rounded
    otherwise, 0.4 m apart, was its own nearest neighbour, and the check's errors too good).
    Fewer than ``k`` where the rest are fewer."""
    tree = cKDTree(xy)
    n = len(xy)
    if same_place > 0:
        balls = tree.query_ball_point(xy, r=same_place)
        extra = max(len(b) for b in balls) if n else 1
    else:
        balls, extra = None, 1
    want = min(k + extra, n)
    _, idx = tree.query(xy, k=want)
    idx = np.asarray(idx).reshape(n, want)
    out = []
    for i in range(n):
        left = {i} if balls is None else {i, *balls[i]}
        out.append(np.array([j for j in idx[i] if j not in left][:k], dtype="i8"))
    return out


def loo_idw(xy: np.ndarray, z: np.ndarray, *, power: float, neighbours: int,
            same_place: float = 0.0) -> LooResult:
    """Each point predicted by IDW from its ``neighbours`` nearest others.

    One k-d tree of all points gives each point's nearest; the point itself, and the points
    within ``same_place`` of it (its place, in the units of ``xy``), are dropped from them,
    and IDW runs on the rest. (A tree of the others for every point made the check
    O(n^2 log n): minutes for a table of ten thousand wells, with no progress shown.) A
    point whose every other point is at its place is predicted as NaN.
    """
    from prospect.ingest.surfaces import idw_estimate  # the one IDW of the project

    xy, z = np.asarray(xy, "f8"), np.asarray(z, "f8")
    k = min(neighbours, len(z) - 1)
    pred = np.empty_like(z)
    for i, near in enumerate(_others(xy, k, same_place)):
        pred[i] = idw_estimate(xy[near], z[near], xy[i:i + 1], power=power,
                               neighbours=near.size)[0] if near.size else np.nan
    return LooResult("idw", z, pred)


def ok_predict(xy: np.ndarray, z: np.ndarray, target: np.ndarray, *,
               variogram: Any) -> tuple[float, float]:
    """Ordinary kriging at one ``target`` from the points ``xy``/``z`` (estimate, variance).

    ``variogram`` maps distances to semivariances; the system is the textbook one with the
    Lagrange multiplier (as pykrige solves it, gamma(0) = 0 on the diagonal).
    """
    n = len(z)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    a = np.ones((n + 1, n + 1))
    a[:n, :n] = variogram(d)
    np.fill_diagonal(a[:n, :n], 0.0)
    a[n, n] = 0.0
    b = np.ones(n + 1)
    b[:n] = variogram(np.hypot(xy[:, 0] - target[0], xy[:, 1] - target[1]))
    w = np.linalg.solve(a, b)
    return float(w[:n] @ z), float(w @ b)


def loo_kriging(xy: np.ndarray, z: np.ndarray, *, variogram: str,
                parameters: list[float], neighbours: int,
                same_place: float = 0.0) -> LooResult:
    """Each point predicted by ordinary kriging from its ``neighbours`` nearest others
    (leaving out those within ``same_place`` of it, as :func:`loo_idw` does).

    The variogram (``variogram`` model with ``parameters``, as fitted to all points) is kept
    fixed; the moving window is the one the kriged surface uses.
    """
    from pykrige import variogram_models

    fn = getattr(variogram_models, f"{variogram}_variogram_model")
    params = list(parameters)

    def gamma(h: np.ndarray) -> np.ndarray:
        return np.asarray(fn(params, h), dtype="f8")

    xy, z = np.asarray(xy, "f8"), np.asarray(z, "f8")
    k = min(neighbours, len(z) - 1)
    pred, var = np.empty_like(z), np.empty_like(z)
    for i, near in enumerate(_others(xy, k, same_place)):
        if near.size:
            pred[i], var[i] = ok_predict(xy[near], z[near], xy[i], variogram=gamma)
        else:
            pred[i], var[i] = np.nan, np.nan
    return LooResult("ordinary kriging", z, pred, np.sqrt(np.maximum(var, 0.0)))


def variogram_curves(model: Any, *, n: int = 100) -> dict[str, list[float]]:
    """The experimental semivariogram of a fitted pykrige model and its fitted curve."""
    lags = np.asarray(model.lags, dtype="f8")
    gamma = np.asarray(model.semivariance, dtype="f8")
    h = np.linspace(0.0, float(lags.max()) if lags.size else 1.0, n)
    fitted = model.variogram_function(model.variogram_model_parameters, h)
    return {"lags": lags.tolist(), "semivariance": gamma.tolist(), "h": h.tolist(),
            "fitted": np.asarray(fitted, dtype="f8").tolist()}


PURE_NUGGET_SHARE = 1e-6
"""A fitted variogram whose spatially structured part is under this share of its
semivariance at the largest lag is pure nugget (least squares drives the partial sill or
slope of a structureless fit to ~1e-20, never exactly 0)."""


def structured_share(model: Any) -> float:
    """The share of a fitted pykrige variogram's semivariance at its largest lag that rises
    above its semivariance at the first lag: ``(gamma(h_max) - gamma(h_1)) / gamma(h_max)``.

    0 means the fitted variogram is flat over the lags the data were fitted at: pure
    nugget, or a range shorter than the first lag (pykrige's least squares gives either to
    a structureless experimental variogram). Ordinary kriging of points that far apart is
    then the equal-weight mean of the neighbours and its variance the same at every place
    (``gamma * (1 + 1/n)``).

    Parameters
    ----------
    model
        A fitted ``pykrige.ok.OrdinaryKriging``.

    Returns
    -------
    float
        The structured share in [0, 1]; 1.0 where the fitted variogram is 0 throughout
        or there are no lags.
    """
    lags = np.asarray(model.lags, dtype="f8")
    lags = lags[np.isfinite(lags)]
    if not lags.size:
        return 1.0
    h = np.array([float(lags.min()), float(lags.max())])
    g = np.asarray(model.variogram_function(model.variogram_model_parameters, h), dtype="f8")
    if not np.isfinite(g).all() or g[1] <= 0:
        return 1.0
    return float(np.clip((g[1] - g[0]) / g[1], 0.0, 1.0))


def settle_flat_variogram(model: Any) -> bool:
    """Put a flat (pure-nugget) fitted variogram at the level its fit's own cost is least at.

    pykrige fits a variogram by least squares with a soft-L1 loss. For a structureless
    experimental variogram the partial sill goes to ~0 and the level left (the nugget) sits
    in a stretch where that cost is flat to a millionth: the optimiser stops anywhere in it.
    The Great Basin waters' Li (six lags at 117-2561 ppm2) was fitted flat at 686.5 ppm2
    from the table's rows as they come and at 973.3 from the same rows reversed (the
    bins' sums differing in their last bits), so the kriging variance, the economics'
    standard deviation and the screening classes followed the rows' order (729 against
    1034 ppm2, 138 against 164 t LCE/yr). Here the flat level is the root of the cost's
    derivative, ``sum((L - g) / sqrt(1 + (L - g)**2)) = 0`` over the lags' semivariances
    ``g`` (monotone in ``L``: one root), reached by shifting the nugget; a structured fit
    is left as it is.

    Parameters
    ----------
    model
        A fitted ``pykrige.ok.OrdinaryKriging`` (changed in place).

    Returns
    -------
    bool
        Whether the level was moved.
    """
    from scipy.optimize import brentq

    if structured_share(model) >= PURE_NUGGET_SHARE:
        return False
    lags = np.asarray(model.lags, dtype="f8")
    gamma = np.asarray(model.semivariance, dtype="f8")
    ok = np.isfinite(lags) & np.isfinite(gamma)
    gamma = gamma[ok]
    if gamma.size < 2 or np.ptp(gamma) == 0:
        return False
    params = np.array(model.variogram_model_parameters, dtype="f8")
    level = float(model.variogram_function(params, np.array([float(lags[ok].max())]))[0])

    def slope(at: float) -> float:
        r = at - gamma
        return float(np.sum(r / np.sqrt(1.0 + r * r)))

    best = brentq(slope, float(gamma.min()), float(gamma.max()), xtol=1e-12, rtol=1e-15)
    if params[-1] + best - level < 0:  # (the nugget is the last parameter of every model)
        return False
    params[-1] += best - level
    model.variogram_model_parameters = params
    return True
