"""Every catalogue index equals spyndex's result (rtol 1e-5 where defined).

spyndex evaluates the same Awesome Spectral Indices formulas with Python operators on numpy
arrays; it is the peer our engine must match. Inputs are float32 reflectances; spyndex gets
them promoted to float64 so that its result is the exact value our float32 output must round
to.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
from _index_inputs import WAVELENGTHS, all_bands_sensor, band_arrays

from prospect.indices import compute_indices, load_catalogue, plan_indices
from prospect.indices.catalogue import is_kernel_term, kernel_bands

spyndex = pytest.importorskip("spyndex")

ASI = sorted(n for n, e in load_catalogue().items() if e.source == "awesome-spectral-indices")
CONSTANTS = {"PAR": 1.7}


def spyndex_params(entry_name: str, bands: dict[str, np.ndarray]) -> dict[str, object]:
    """spyndex's parameters for one index: bands (float64), constants, kernels, wavelengths."""
    entry = load_catalogue()[entry_name]
    params: dict[str, object] = {}
    consts = {k: c.default for k, c in spyndex.constants.items()}
    consts.update(CONSTANTS)
    known = set(WAVELENGTHS) | {"VV", "VH", "HH", "HV"} | set(consts)
    for name in _formula_names(entry.formula):
        if is_kernel_term(name):
            a, b = kernel_bands(name, known)
            va = bands[a].astype(np.float64) if a in bands else consts[a]
            vb = bands[b].astype(np.float64) if b in bands else consts[b]
            params[name] = spyndex.computeKernel("RBF", a=va, b=vb, sigma=consts["sigma"])
        elif name.startswith("lambda"):
            params[name] = WAVELENGTHS[name[len("lambda"):]]
        elif name in bands:
            params[name] = bands[name].astype(np.float64)
        else:
            params[name] = consts[name]
    return params


def _formula_names(formula: str) -> list[str]:
    from prospect.indices.formula import parse_formula, variables

    return variables(parse_formula(formula))


def spyndex_value(name: str, bands: dict[str, np.ndarray]) -> np.ndarray:
    params = spyndex_params(name, bands)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        value = spyndex.computeIndex(name, params=params)
    return np.broadcast_to(np.asarray(value, dtype=np.float64), next(iter(bands.values())).shape)


def assert_matches_spyndex(ours: np.ndarray, theirs: np.ndarray, name: str) -> None:
    defined = np.isfinite(theirs)
    assert np.isnan(ours[~defined]).all(), f"{name}: undefined where spyndex is not finite"
    np.testing.assert_allclose(ours[defined], theirs[defined], rtol=1e-5, atol=1e-30,
                               err_msg=name)


def _dataset(bands: dict[str, np.ndarray]) -> xr.Dataset:
    dims = ("y", "x")[-next(iter(bands.values())).ndim:]
    return xr.Dataset({k: (dims, v) for k, v in bands.items()})


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_every_asi_index_matches_spyndex_on_synthetic_reflectance(backend: str) -> None:
    bands = band_arrays((37, 29), seed=3)
    names = ASI if backend == "reference" else ASI[::7]
    out = compute_indices(_dataset(bands), names, sensor=all_bands_sensor(),
                          constants=CONSTANTS, backend=backend)
    for name in names:
        assert out[name].dtype == np.float32
        assert_matches_spyndex(out[name].values, spyndex_value(name, bands), name)


@pytest.mark.slow
def test_every_asi_index_matches_spyndex_on_the_fused_kernel() -> None:
    bands = band_arrays((16, 23), seed=4)
    out = compute_indices(_dataset(bands), ASI, sensor=all_bands_sensor(),
                          constants=CONSTANTS, backend="numba")
    for name in ASI:
        assert_matches_spyndex(out[name].values, spyndex_value(name, bands), name)


def _applicable(available: set[str]) -> list[str]:
    sensor = all_bands_sensor()
    out = []
    for name in ASI:
        entry = load_catalogue()[name]
        if set(entry.bands) <= available:
            try:
                plan_indices([name], sensor=sensor, constants=CONSTANTS)
            except Exception:
                continue
            out.append(name)
    return out


def test_matches_spyndex_on_its_real_sentinel2_sample() -> None:
    sample = spyndex.datasets.open("sentinel")  # real Sentinel-2 10 m bands, DN / 10000
    common = {"B02": "B", "B03": "G", "B04": "R", "B08": "N"}
    bands = {common[str(b)]: (sample.sel(band=b).values / 10000.0).astype(np.float32)
             for b in sample.band.values}
    names = _applicable(set(bands))
    assert len(names) >= 40
    ref = compute_indices(_dataset(bands), names, sensor=all_bands_sensor(),
                          constants=CONSTANTS, backend="reference")
    for name in names:
        assert_matches_spyndex(ref[name].values, spyndex_value(name, bands), name)
    fused = names[::4]  # the fused kernel on a quarter of them (all of them: the slow test)
    out = compute_indices(_dataset(bands), fused, sensor=all_bands_sensor(),
                          constants=CONSTANTS, backend="numba")
    for name in fused:
        np.testing.assert_allclose(out[name].values, ref[name].values, rtol=1e-6,
                                   err_msg=name)


@pytest.mark.realdata
def test_matches_spyndex_on_the_patagonia_scene(shared_data) -> None:
    folder = shared_data / "sentinel2_patagonia_xrspatial"
    files = {"B": "blue_band.nc", "G": "green_band.nc", "R": "red_band.nc",
             "N": "nir_band.nc", "S1": "swir1_band.nc", "S2": "swir2_band.nc"}
    blue = xr.open_dataarray(folder / files["B"], engine="scipy")
    bands = {}
    for common, fname in files.items():
        da = xr.open_dataarray(folder / fname, engine="scipy")
        # SWIR is 20 m over a larger area: nearest 20 m cell of each 10 m cell centre
        da = da.sel(x=blue.x, y=blue.y, method="nearest")
        bands[common] = (np.asarray(da.values, dtype=np.float64) / 10000.0).astype(np.float32)
    shapes = {v.shape for v in bands.values()}
    assert len(shapes) == 1, shapes
    names = _applicable(set(bands))
    assert len(names) >= 80
    minerals = ["FERRIC_IRON", "FERROUS_IRON", "IRON_OXIDE", "CLAY_HYDROXYL", "GOSSAN"]
    ref = compute_indices(_dataset(bands), names, sensor=all_bands_sensor(),
                          constants=CONSTANTS, backend="reference")
    for name in names:
        assert_matches_spyndex(ref[name].values, spyndex_value(name, bands), name)
    out = compute_indices(_dataset(bands), names[::8] + minerals, sensor=all_bands_sensor(),
                          constants=CONSTANTS, backend="numba")
    for name in names[::8]:
        assert_matches_spyndex(out[name].values, spyndex_value(name, bands), name)
    b = {k: v.astype(np.float64) for k, v in bands.items()}
    np.testing.assert_allclose(out["CLAY_HYDROXYL"].values, b["S1"] / b["S2"], rtol=1e-6)
    np.testing.assert_allclose(out["FERROUS_IRON"].values, b["S2"] / b["N"] + b["G"] / b["R"],
                               rtol=1e-6)
