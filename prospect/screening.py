"""Screening layers: cube variables derived from other cube variables, chunk by chunk.

:class:`EconomicLayer` turns a lithium concentration surface and its kriging variance
(both already in the cube) into t LCE/yr per doublet, its standard deviation, the
probability of reaching the cut-off and a too-low / uncertain / above class (see
:mod:`prospect.economics`). Each is an ingest :class:`~prospect.ingest.layers.Layer`, so it
is written resumably and published atomically like every other variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import zarr

from prospect.config.economics import EconomicsConfig
from prospect.economics import (
    CLASS_NAMES,
    CLASS_NODATA,
    lce_factor,
    lce_per_year,
    lce_sd,
    probability_above,
    screening_class,
)
from prospect.errors import DataError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.layers import Layer

__all__ = ["ECONOMIC_OUTPUTS", "EconomicLayer", "plan_economics", "read_window"]

Output = Literal["lce", "sd", "p_above", "class"]

ECONOMIC_OUTPUTS: dict[str, str] = {
    "lce": "lce_t_per_year", "sd": "lce_t_per_year_sd", "p_above": "lce_p_above_cutoff",
    "class": "lce_screening_class",
}
"""Output -> cube variable name."""


def read_window(cube: str | Path, name: str, window: ChunkWindow) -> np.ndarray:
    """One chunk window of a published cube variable, as float64 with NaN for no-data."""
    arr = zarr.open_group(str(cube), mode="r")[name]
    if not isinstance(arr, zarr.Array):
        raise DataError(f"{cube}: {name!r} is a group, not a variable")
    block = np.asarray(arr[window.rows, window.cols], dtype="f8")
    fill = arr.metadata.fill_value
    if fill is not None and np.isfinite(float(fill)):
        block[block == float(fill)] = np.nan
    return block


@dataclass(frozen=True, kw_only=True)
class EconomicLayer(Layer):
    """One economic screening output computed from the cube's concentration and variance."""

    cost: ClassVar[float] = 2.0

    cube: str
    output: Output
    concentration: str
    variance: str
    density: float
    flow: float
    hours: float
    recovery: float
    cutoff: float
    z: float

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """Read the chunk's concentration and variance and derive the output."""
        c = read_window(self.cube, self.concentration, window) * self.density
        var = read_window(self.cube, self.variance, window) * self.density**2
        kw = {"flow_m3_per_h": self.flow, "hours_per_year": self.hours,
              "recovery": self.recovery}
        mean = np.where(np.isfinite(c), lce_per_year(c, **kw), np.nan)
        sd = np.where(np.isfinite(var), lce_sd(var, **kw), np.nan)
        if self.output == "lce":
            return mean.astype(np.float32)
        if self.output == "sd":
            return sd.astype(np.float32)
        if self.output == "p_above":
            return probability_above(mean, sd, self.cutoff).astype(np.float32)
        return screening_class(mean, sd, self.cutoff, z=self.z)

    def extra_attrs(self) -> dict[str, Any]:
        """CF flags for the class layer."""
        if self.output != "class":
            return {}
        return {"flag_values": sorted(CLASS_NAMES),
                "flag_meanings": " ".join(CLASS_NAMES[k] for k in sorted(CLASS_NAMES))}


def plan_economics(cfg: EconomicsConfig, cube: Path, grid: RegionGrid) -> list[EconomicLayer]:
    """The four screening layers of a job's ``economics`` config on the cube at ``cube``.

    Raises
    ------
    DataError
        The concentration or variance variable is not in the cube.
    """
    group = zarr.open_group(str(cube), mode="r")
    have = sorted(str(k) for k in group.array_keys())
    fingerprints = {}
    for name in (cfg.concentration, cfg.variance_variable):
        if name not in have:
            raise DataError(f"economics: no variable {name!r} in {cube}; it needs a kriged "
                            "concentration surface and its variance (a points source with "
                            f"interpolate: [kriging]); variables are {have}")
        fingerprints[name] = group[name].attrs.get("prospect_fingerprint", "")
    factor = lce_factor(flow_m3_per_h=cfg.flow_m3_per_h, hours_per_year=cfg.hours_per_year,
                        recovery=cfg.recovery)
    settings = {"method": "LCE = 5.323 * C * Q * hours * recovery * 1e-6",
                **cfg.model_dump(), "t_lce_per_year_per_mg_per_l": factor,
                "inputs_fingerprints": fingerprints}
    what = {
        "lce": ("t/yr", "lithium carbonate equivalent per doublet per year", "screening"),
        "sd": ("t/yr", "standard deviation of LCE per doublet (from the kriging variance)",
               "uncertainty"),
        "p_above": ("1", f"probability that LCE per doublet reaches {cfg.cutoff_t_lce_per_year:g}"
                    " t/yr", "screening"),
        "class": ("1", "economic screening: 0 too low, 1 uncertain, 2 above the cut-off",
                  "screening"),
    }
    out = []
    for key, (units, long_name, kind) in what.items():
        out.append(EconomicLayer(
            name=ECONOMIC_OUTPUTS[key], units=units, long_name=long_name, kind=kind,
            inputs=(), settings={**settings, "output": key},
            dtype="uint8" if key == "class" else "float32",
            fill_value=CLASS_NODATA if key == "class" else float("nan"),
            cube=str(cube), output=key,  # type: ignore[arg-type]
            concentration=cfg.concentration, variance=cfg.variance_variable,
            density=cfg.density_kg_per_l, flow=cfg.flow_m3_per_h, hours=cfg.hours_per_year,
            recovery=cfg.recovery, cutoff=cfg.cutoff_t_lce_per_year, z=cfg.confidence_z,
        ))
    return out
