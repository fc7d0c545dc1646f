"""Index-stage config: which catalogue indices to compute, for which sensor, on which backend."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from prospect.config._base import StrictModel

__all__ = ["IndicesConfig"]


class IndicesConfig(StrictModel):
    """Spectral and mineral indices to add to the cube.

    Attributes
    ----------
    sensor
        Sensor whose band mapping turns common band names (B, G, R, N, S1, ...) into cube
        variables, e.g. ``sentinel2``.
    names
        Catalogue index names (``prospect indices --list``).
    custom
        User formulas over common band names, ``{NAME: "(S1 - S2) / (S1 + S2)"}``; parsed
        against a whitelist, never evaluated as Python.
    bands
        Overrides of the sensor's band mapping: common name -> cube variable.
    backend
        ``auto`` picks the fastest available (GPU, then fused CPU).
    """

    sensor: str = "sentinel2"
    names: list[str] = Field(default_factory=list)
    custom: dict[str, str] = Field(default_factory=dict)
    bands: dict[str, str] = Field(default_factory=dict)
    backend: Literal["auto", "reference", "numba", "cupy"] = "auto"
