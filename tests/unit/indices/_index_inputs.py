"""Inputs for the index-engine tests: an all-bands sensor and band arrays."""

from __future__ import annotations

import numpy as np

from prospect.config.indices import SensorBand, SensorConfig

WAVELENGTHS = {
    "A": 442.7, "B": 492.4, "G": 559.8, "G1": 530.0, "Y": 605.0, "R": 664.6, "RE1": 704.1,
    "RE2": 740.5, "RE3": 782.8, "N": 832.8, "N2": 864.7, "WV": 945.1, "S1": 1613.7,
    "S2": 2202.4, "T": 11450.0, "T1": 10895.0, "T2": 12005.0,
}
RADAR = ("VV", "VH", "HH", "HV")
EXTRA = ("SW5", "SW6", "SW7", "SW8", "SW9", "TIR10", "TIR11", "TIR12", "TIR13", "TIR14")


def all_bands_sensor() -> SensorConfig:
    """A sensor mapping every common band name to a variable of the same name."""
    bands = {k: SensorBand(variable=k, wavelength_nm=w) for k, w in WAVELENGTHS.items()}
    bands.update({k: SensorBand(variable=k) for k in (*RADAR, *EXTRA)})
    return SensorConfig(name="allbands", bands=bands)


def band_arrays(shape: tuple[int, ...], seed: int = 0, dtype: type = np.float32
                ) -> dict[str, np.ndarray]:
    """Reflectance-like arrays for every band (radar: linear backscatter; thermal: K)."""
    rng = np.random.default_rng(seed)
    out = {}
    for k in (*WAVELENGTHS, *EXTRA):
        out[k] = rng.uniform(0.02, 0.6, shape).astype(dtype)
    for k in ("T", "T1", "T2"):
        out[k] = rng.uniform(280.0, 320.0, shape).astype(dtype)
    for k in RADAR:
        out[k] = rng.uniform(0.005, 0.4, shape).astype(dtype)
    return out
