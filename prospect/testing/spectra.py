"""Endmember reflectance spectra sampled at Sentinel-2 L2A band centres (synthetic scenes).

Values are smoothed, representative laboratory-style reflectances (0..1), shaped after the
USGS spectral library's kaolinite, hematite/goethite, calcite, green vegetation, dry soil
and clear water: enough to give the diagnostic features the indices look for (red edge and
NIR plateau of vegetation, the Al-OH absorption near 2.2 um in clay, the ferric-iron rise
from blue to red, the weak 2.33 um carbonate feature, dark water in the NIR/SWIR).
"""

from __future__ import annotations

import numpy as np

__all__ = ["BAND_RESOLUTION", "ENDMEMBERS", "S2_BANDS", "S2_WAVELENGTH_NM"]

S2_BANDS: tuple[str, ...] = ("B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")
S2_WAVELENGTH_NM: dict[str, float] = {
    "B02": 490, "B03": 560, "B04": 665, "B05": 705, "B06": 740, "B07": 783, "B08": 842,
    "B8A": 865, "B11": 1610, "B12": 2190,
}
BAND_RESOLUTION: dict[str, int] = {
    "B02": 10, "B03": 10, "B04": 10, "B08": 10,
    "B05": 20, "B06": 20, "B07": 20, "B8A": 20, "B11": 20, "B12": 20,
}

#                   B02   B03   B04   B05   B06   B07   B08   B8A   B11   B12
ENDMEMBERS: dict[str, np.ndarray] = {
    "clay": np.array([0.45, 0.52, 0.58, 0.60, 0.62, 0.64, 0.66, 0.67, 0.70, 0.42]),
    "iron_oxide": np.array([0.05, 0.09, 0.26, 0.31, 0.33, 0.33, 0.30, 0.31, 0.46, 0.41]),
    "carbonate": np.array([0.55, 0.58, 0.60, 0.61, 0.62, 0.63, 0.64, 0.64, 0.66, 0.55]),
    "vegetation": np.array([0.04, 0.08, 0.04, 0.12, 0.30, 0.38, 0.42, 0.43, 0.22, 0.11]),
    "soil": np.array([0.10, 0.14, 0.19, 0.22, 0.24, 0.26, 0.28, 0.29, 0.36, 0.30]),
    "water": np.array([0.06, 0.05, 0.03, 0.02, 0.015, 0.01, 0.01, 0.01, 0.005, 0.003]),
}
