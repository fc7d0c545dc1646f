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


# Formulas that meet every IEEE rule (0/0, x/0, NaN, negative radicands and powers)
SPECIAL_FORMULAS = {
    "ND": "(N - R) / (N + R)",
    "RATIO": "N / R",
    "ROOT": "sqrt(N - R)",
    "HALF": "(N - R) ** 0.5",
    "POLY": "R ** 2 - N ** 3 + G ** 4 - 0.5 * R",
    "LOGS": "exp(N) - log(R) + log10(G - 0.1)",
    "MINMAX": "minimum(N, R) + maximum(G, 0.1)",
    "ABS": "abs(-N + R)",
    "POW": "N ** R",
    "RPOW": "2 ** N",
    "NEG": "-N / (R - R)",
    "CONSTDIV": "N * (1 / 0) - N",
    "KERNEL": "(kNN - kNR) / (kNN + kNR)",
}


def special_bands(shape: tuple[int, int], seed: int = 0) -> dict[str, np.ndarray]:
    """Reflectances with NaN, zeros, equal pairs and negatives sprinkled in."""
    rng = np.random.default_rng(seed)
    bands = {k: rng.uniform(0.0, 0.7, shape).astype(np.float32) for k in ("N", "R", "G")}
    flat = {k: v.reshape(-1) for k, v in bands.items()}
    n = flat["N"].size
    idx = rng.permutation(n)
    flat["N"][idx[:20]] = np.nan
    flat["R"][idx[20:40]] = 0.0
    flat["N"][idx[20:30]] = 0.0            # 0 / 0 in ND, N / R
    flat["G"][idx[40:60]] = np.nan
    flat["R"][idx[60:80]] = flat["N"][idx[60:80]]   # N - R == 0
    flat["R"][idx[80:100]] = -0.2           # negative radicands, negative powers
    return bands
