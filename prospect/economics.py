"""Economic screening of brine lithium: tonnes of lithium carbonate equivalent per doublet.

A geothermal doublet produces brine at a flow rate ``Q`` (m3/h) for ``hours`` per year; a
direct-lithium-extraction plant recovers a share ``recovery`` of the dissolved lithium.
With a lithium concentration ``C`` (mg/L = g/m3)::

    Li (t/yr)  = C * Q * hours * recovery * 1e-6
    LCE (t/yr) = 5.323 * Li (t/yr)        (Li2CO3: 73.89 g/mol over 2 Li: 2 * 6.941 g/mol)

The surface's kriging variance carries through linearly: ``sd(LCE) = k * sqrt(var(C))``
with ``k`` the factor above. A cell is classed *too low* when even the upper one-sided
bound ``LCE + z * sd`` (95 %: z = 1.645) is under the cut-off, *above* when the lower
bound is over it, and *uncertain* otherwise.

Everything here is pure numpy on arrays (NaN = no data).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "BRINE_DENSITY_PER_G_PER_KG",
    "CLASS_ABOVE",
    "CLASS_NODATA",
    "CLASS_TOO_LOW",
    "CLASS_UNCERTAIN",
    "LI_TO_LCE",
    "brine_density",
    "lce_factor",
    "lce_per_year",
    "lce_sd",
    "merge_counts",
    "probability_above",
    "screening_class",
    "screening_counts",
    "shares",
]

LI_TO_LCE = 5.323
"""Tonnes of lithium carbonate (Li2CO3) per tonne of lithium: 73.89 / (2 * 6.941)."""

CLASS_TOO_LOW, CLASS_UNCERTAIN, CLASS_ABOVE, CLASS_NODATA = 0, 1, 2, 255
CLASS_NAMES = {CLASS_TOO_LOW: "too_low", CLASS_UNCERTAIN: "uncertain", CLASS_ABOVE: "above"}


BRINE_DENSITY_PER_G_PER_KG = 0.0007
"""Brine density (kg/L) gained per g of dissolved salt per kg of brine, about: NaCl
solutions at 20 degC weigh 1.071 kg/L at 100 g/kg, 1.148 at 200 and 1.197 at 260 (near
halite saturation), seawater 1.025 at 35 g/kg. A first estimate, not an equation of state:
temperature, pressure and the salt's make-up (CaCl2 brines are denser) move it by a few
per cent."""


def brine_density(dissolved_g: Any, *, per_litre: bool) -> np.ndarray:
    """Brine density (kg/L) from its dissolved solids, with
    :data:`BRINE_DENSITY_PER_G_PER_KG` (``a``).

    Parameters
    ----------
    dissolved_g
        Dissolved solids in g per kg of brine (a salinity, a mass fraction), or in g per
        litre of brine (a laboratory's TDS by volume) when ``per_litre``; negatives count as 0.
    per_litre
        Whether ``dissolved_g`` is per litre: then ``rho = 1 + a * TDS / rho``, whose root is
        ``rho = (1 + sqrt(1 + 4 a TDS)) / 2``; else ``rho = 1 + a * S``.

    Returns
    -------
    numpy.ndarray
        kg/L, float64; NaN where ``dissolved_g`` is NaN.
    """
    a = BRINE_DENSITY_PER_G_PER_KG
    solids = np.maximum(np.asarray(dissolved_g, dtype="f8"), 0.0)
    if per_litre:
        return (1.0 + np.sqrt(1.0 + 4.0 * a * solids)) / 2.0
    return 1.0 + a * solids


def lce_factor(*, flow_m3_per_h: float, hours_per_year: float, recovery: float) -> float:
    """t LCE per year per doublet for 1 mg/L of lithium."""
    if flow_m3_per_h <= 0 or hours_per_year <= 0 or not 0 < recovery <= 1:
        raise ValueError("flow and hours must be positive and recovery in (0, 1]")
    return LI_TO_LCE * flow_m3_per_h * hours_per_year * recovery * 1e-6


def lce_per_year(concentration_mg_per_l: Any, *, flow_m3_per_h: float, hours_per_year: float,
                 recovery: float) -> np.ndarray:
    """t LCE per year per doublet from a lithium concentration (mg/L); negatives are 0."""
    c = np.maximum(np.asarray(concentration_mg_per_l, dtype="f8"), 0.0)
    return c * lce_factor(flow_m3_per_h=flow_m3_per_h, hours_per_year=hours_per_year,
                          recovery=recovery)


def lce_sd(variance_mg2_per_l2: Any, *, flow_m3_per_h: float, hours_per_year: float,
           recovery: float) -> np.ndarray:
    """Standard deviation of t LCE per year from the concentration's kriging variance."""
    sd = np.sqrt(np.maximum(np.asarray(variance_mg2_per_l2, dtype="f8"), 0.0))
    return sd * lce_factor(flow_m3_per_h=flow_m3_per_h, hours_per_year=hours_per_year,
                           recovery=recovery)


def probability_above(mean: Any, sd: Any, cutoff: float) -> np.ndarray:
    """P(value >= cutoff) for a normal error with ``sd`` (a step where sd is 0)."""
    from scipy.special import ndtr  # here: scipy.special costs every command 0.2 s

    mean, sd = np.asarray(mean, "f8"), np.asarray(sd, "f8")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(sd > 0, ndtr((mean - cutoff) / np.where(sd > 0, sd, 1.0)),
                     (mean >= cutoff).astype("f8"))
    return np.where(np.isfinite(mean) & np.isfinite(sd), p, np.nan)


def screening_class(mean: Any, sd: Any, cutoff: float, *, z: float = 1.645) -> np.ndarray:
    """0 too low (mean + z*sd < cutoff), 2 above (mean - z*sd >= cutoff), 1 between; 255 no data."""
    mean, sd = np.asarray(mean, "f8"), np.asarray(sd, "f8")
    out = np.full(mean.shape, CLASS_UNCERTAIN, dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        out[mean + z * sd < cutoff] = CLASS_TOO_LOW
        out[mean - z * sd >= cutoff] = CLASS_ABOVE
    out[~(np.isfinite(mean) & np.isfinite(sd))] = CLASS_NODATA
    return out


def screening_counts(mean: Any, sd: Any, cutoff: float, *,
                     z: float = 1.645) -> dict[str, float]:
    """Cell counts of one block: valid, mean above the cut-off, each class; and the maximum.

    Counts of several blocks add up (the maximum takes the max); see :func:`shares`.
    """
    mean, sd = np.asarray(mean, "f8"), np.asarray(sd, "f8")
    ok = np.isfinite(mean) & np.isfinite(sd)
    cls = screening_class(mean, sd, cutoff, z=z)[ok]
    return {
        "cells": int(ok.sum()),
        "mean_above_cutoff": int((mean[ok] >= cutoff).sum()),
        "above": int((cls == CLASS_ABOVE).sum()),
        "uncertain": int((cls == CLASS_UNCERTAIN).sum()),
        "too_low": int((cls == CLASS_TOO_LOW).sum()),
        "max": float(mean[ok].max()) if ok.any() else float("nan"),
    }


def merge_counts(parts: list[dict[str, float]]) -> dict[str, float]:
    """Sum the counts of several blocks (max of the maxima)."""
    out: dict[str, float] = {"cells": 0, "mean_above_cutoff": 0, "above": 0, "uncertain": 0,
                             "too_low": 0, "max": float("nan")}
    for p in parts:
        for k in ("cells", "mean_above_cutoff", "above", "uncertain", "too_low"):
            out[k] += p[k]
        out["max"] = float(np.fmax(out["max"], p["max"]))
    return out


def shares(counts: dict[str, float]) -> dict[str, Any]:
    """Shares of the valid cells: mean above the cut-off, above, uncertain, too low."""
    n = counts["cells"]
    def share(key: str) -> float | None:
        return float(counts[key] / n) if n else None
    return {"cells": int(n), "share_mean_above_cutoff": share("mean_above_cutoff"),
            "share_above": share("above"), "share_uncertain": share("uncertain"),
            "share_too_low": share("too_low"),
            "max_lce_t_per_year": None if not np.isfinite(counts["max"]) else counts["max"]}
