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


# The 100 Sentinel-2 catalogue entries of benchmarks/bench_indices.py (its hundred()).
HUNDRED = [
    "NDVI", "EVI", "SAVI", "GNDVI", "NDWI", "MNDWI", "NBR", "NBR2", "NDBI", "DBSI",
    "AFRI1600", "ANDWI", "ARI2", "AVI", "AWEIsh", "BAIM", "BCC", "BIXS", "BNDVI", "BaI",
    "CI1woSWIR", "CIG", "CLOSDI", "CSI", "CSIwoSWIR", "DSWI1", "DSWI3", "DVI", "EMBI", "EVIv",
    "ExGR", "FWEI", "GBNDVI", "GDVI", "GM1", "GOSAVI", "GRVI", "GVMI", "IKAW", "IRECI",
    "LSWI", "MBWI", "MCARI2", "MCARIOSAVI", "MI", "MLSWI26", "MNLI", "MSAVI", "MSR705",
    "MTVI1", "MuWIR", "NBRSWIR", "ND705", "NDDI", "NDMI", "NDPonI", "NDSI", "NDSInw",
    "NDSaII", "NDTI4RE", "NDVI4RE", "NDWIns", "NGRDI", "NLI", "NPCI", "NSDS", "NSDSI2",
    "NormG", "NormR", "OSI", "PISI", "RDVI", "RENDVI", "RI", "RNDVI", "RWI", "S2WI", "SAVI2",
    "SCoWI", "SI", "SNDTI", "SR", "SR555", "SRVI", "STI4RE", "SWM", "TCARIOSAVI", "TCI",
    "TRRVI", "TTVI", "TriVI", "VARI", "VIBI", "VgNIRBI", "WCI2", "WDVI", "WI2015", "bNIRv",
    "sNIRvLSWI", "sNIRvNDVILSWIP",
]

# SHA-256 of compute_numba's output for hundred_inputs() (tests/unit/indices/test_kernel_bytes.py)
HUNDRED_DIGESTS = {
    "float32": "76726dc22cc4f70276f5f61b9a643d9edb0a1f0ca8d494f7f63e82ad56b4b651",
    "uint16-nodata0": "b0d6fb18981c3b6d640a37d21110f6db9008ed15dc9b0e2dd771cc9749eb04ef",
}


def hundred_inputs(n_bands: int, dtype: type, shape: tuple[int, int] = (96, 2900),
            seed: int = 19) -> list[np.ndarray]:
    """SYNTHETIC bands: reflectances (or uint16 counts) with special values sprinkled in,
    and equal first two bands in 500 pixels (0 / 0 in normalised differences)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_bands):
        if dtype == np.uint16:
            a = rng.integers(0, 10000, shape).astype(np.uint16)
            a.flat[rng.integers(0, a.size, a.size // 20)] = 0
        else:
            a = rng.uniform(0.01, 0.6, shape).astype(np.float32)
            special = np.array([0.0, -0.0, -0.3, np.nan, np.inf, -np.inf, 1e-40, 3e38, 1.0,
                                0.05, 0.2, 1e-7], np.float32)
            idx = rng.integers(0, a.size, a.size // 20)
            a.flat[idx] = special[rng.integers(0, special.size, idx.size)]
        out.append(a)
    out[1].flat[:500] = out[0].flat[:500]
    return out
