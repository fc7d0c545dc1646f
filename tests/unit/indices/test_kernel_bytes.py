"""The fused kernel's 100-index output is byte for byte what it was before issue 19's tuning.

The SHA-256 digests below were computed with the kernel of main at 2a32eb1 (before common
sub-expressions, cache-sized tiles and streaming stores) on the same seeded SYNTHETIC input:
any change to the generated code must leave every output byte as it was.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from prospect.indices import numba_backend, plan_indices
from prospect.indices.numba_backend import compute_numba

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

DIGESTS = {
    "float32": "76726dc22cc4f70276f5f61b9a643d9edb0a1f0ca8d494f7f63e82ad56b4b651",
    "uint16-nodata0": "b0d6fb18981c3b6d640a37d21110f6db9008ed15dc9b0e2dd771cc9749eb04ef",
}


def _inputs(n_bands: int, dtype: type, shape: tuple[int, int] = (96, 2900),
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


@pytest.mark.slow
@pytest.mark.parametrize(("case", "dtype", "nodata"), [
    ("float32", np.float32, None), ("uint16-nodata0", np.uint16, 0.0)])
def test_hundred_indices_bytes_unchanged(case: str, dtype: type, nodata: float | None,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_indices(HUNDRED, sensor="sentinel2")
    assert len(plan.inputs) == 11
    arrays = _inputs(len(plan.inputs), dtype)
    serial = compute_numba(plan.exprs, plan.inputs, arrays, parallel=False, nodata=nodata)
    assert hashlib.sha256(serial.tobytes()).hexdigest() == DIGESTS[case]
    if case == "float32":  # the parallel driver (278400 pixels: above PARALLEL_MIN_PIXELS)
        out = np.full_like(serial, 7.0)
        compute_numba(plan.exprs, plan.inputs, arrays, parallel=True, nodata=nodata, out=out)
        assert out.tobytes() == serial.tobytes()
        # the streaming-store path (scratch row + non-temporal copy), forced on
        monkeypatch.setattr(numba_backend, "STREAM_MIN_INDICES", 1)
        monkeypatch.setattr(numba_backend, "STREAM_MIN_BYTES", 1)
        monkeypatch.setattr(numba_backend, "streaming_pays", lambda: True)
        out = np.full_like(serial, 7.0)
        compute_numba(plan.exprs, plan.inputs, arrays, parallel=False, nodata=nodata, out=out)
        assert out.tobytes() == serial.tobytes()
