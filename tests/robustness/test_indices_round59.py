"""Indices fuzzed as a library user of lazy bands under ``allow_out_of_range`` and as a job
of a formula overflowing float32, round 59 (2026-12-07).

``compute_indices`` of dask-backed bands (chunked arrays, a cube opened lazily) under
``allow_out_of_range=True`` read nothing and so checked no scales: red in digital numbers
(x 10 000) beside near infrared in reflectance gave NDVI -1.00 in every cell without a word
(bands in memory were refused since round 57). The indices stage said a custom formula
overflowing float32 in part of the layer (``N / R * 1e38``) in its generic words ("is
undefined (NaN) in ... a division by 0, a log or square root of a negative, or a value
beyond float32's 3.4e38") where the library says the overflow, its share and its largest
value (round 57).

Each non-control case failed before the round: checked in a copy of the tree at ``HEAD``
(``git archive``) holding this file (see ``docs/robustness.md``, round 59's indices
section). All data are SYNTHETIC.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.indices import compute_indices, plan_indices
from prospect.indices.blocks import compute_arrays
from prospect.indices.reference import evaluate
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.testing import float_layer

from .conftest import run_in_process

GRID = RegionGrid(
    crs="EPSG:32619",
    resolution=10.0,
    bounds=(570000.0, 1340000.0, 570300.0, 1340200.0),
    chunks=(16, 16),
    name="flat",
)
DATES = pd.to_datetime(["2020-06-01", "2021-06-01"])
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _bands(scales: tuple[float, float], shape: tuple[int, int] = (64, 64)) -> xr.Dataset:
    """SYNTHETIC Sentinel-2 red and near infrared reflectance, multiplied by ``scales``."""
    rng = np.random.default_rng(59)
    return xr.Dataset(
        {
            "B04": (("y", "x"), (scales[0] * rng.uniform(0.02, 0.3, shape)).astype("f4")),
            "B08": (("y", "x"), (scales[1] * rng.uniform(0.1, 0.5, shape)).astype("f4")),
        }
    )


def _cube(tmp_path: Path, scales: tuple[float, float], *, stacked: bool) -> Path:
    """A SYNTHETIC cube of red and near infrared reflectance (multiplied by ``scales``),
    2-D or stacked over two dates."""
    out = tmp_path / "out"
    out.mkdir()
    cube = out / "cube.zarr"
    create_cube(cube, GRID, attrs={"synthetic": True})
    like = open_cube(cube)
    rng = np.random.default_rng(59)
    layers = {}
    for name, low, high, scale in (("B04", 0.02, 0.3, scales[0]), ("B08", 0.1, 0.5, scales[1])):
        shape = (2, *GRID.shape) if stacked else GRID.shape
        data = (scale * rng.uniform(low, high, shape)).astype("f4")
        flat = float_layer(
            data if not stacked else data[0],
            name=name,
            units="1",
            like=like,
            long_name=f"SYNTHETIC {name}",
            provenance={"synthetic": True},
        )
        layers[name] = (
            flat
            if not stacked
            else xr.DataArray(
                data,
                dims=("time", "y", "x"),
                coords={"time": DATES, "y": like.y, "x": like.x},
                name=name,
                attrs=flat.attrs,
            )
        )
    add_variables(cube, xr.Dataset(layers))
    return cube


def _said(ds: xr.Dataset, **kwargs: object) -> tuple[xr.Dataset, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(ds, **kwargs)  # type: ignore[arg-type]
    return out, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


# -- lazy bands on two scales under allow_out_of_range, in the library ---------------------


@pytest.mark.parametrize("lazy", ["dask-chunks", "cube-opened-lazily", "stacked-dates"])
def test_lazy_bands_on_two_scales_under_allow_out_of_range_are_refused_by_the_library(
    tmp_path: Path, lazy: str
) -> None:
    """SYNTHETIC red in digital numbers (x 10 000) beside near infrared in reflectance,
    dask-backed (chunked by hand, a cube opened by ``open_cube``, or a cube of two dates),
    ``allow_out_of_range=True``: NDVI -1.00 was returned without a word (nothing read);
    now refused as bands in memory are, naming both bands and their medians."""
    if lazy == "dask-chunks":
        ds = _bands((10000.0, 1.0)).chunk({"y": 16, "x": 16})
    else:
        ds = open_cube(_cube(tmp_path, (10000.0, 1.0), stacked=lazy == "stacked-dates"))
    assert hasattr(ds["B04"].data, "dask")
    with pytest.raises(DataError) as caught:
        compute_indices(ds, ["NDVI"], sensor="sentinel2", allow_out_of_range=True)
    text = str(caught.value)
    for needle in ("index 'NDVI'", "band 'B04' (R)", "band 'B08' (N)", "times apart",
                   "one scale"):
        assert needle in text, text


def test_control_lazy_bands_of_one_scale_under_allow_out_of_range_stay_lazy_and_exact() -> None:
    """Control, SYNTHETIC: both bands in digital numbers, dask-backed, the range check
    lifted: NDVI is returned lazily (dask in, dask out), its bytes the kernel's own, with no
    word of scales."""
    ds = _bands((10000.0, 10000.0))
    lazy = ds.chunk({"y": 16, "x": 16})
    out, said = _said(lazy, names=["NDVI"], sensor="sentinel2", allow_out_of_range=True)
    assert hasattr(out["NDVI"].data, "dask") and not said, said
    plan = plan_indices(["NDVI"], sensor="sentinel2")
    direct = compute_arrays(plan, [ds[v].values for v in plan.inputs], "numba")
    assert out["NDVI"].values.tobytes() == direct[0].tobytes()


# -- a formula overflowing float32 in part of the layer, in the stage ----------------------


def _stage(tmp_path: Path, scheduler: str, custom: dict[str, str], *,
           stacked: bool) -> tuple[Path, str]:
    """Run the indices stage over a SYNTHETIC reflectance cube with ``custom`` indices;
    the cube and the output in one line (exit 0 asserted)."""
    cube = _cube(tmp_path, (1.0, 1.0), stacked=stacked)
    job = tmp_path / "job.yaml"
    region = {"name": "flat", "crs": GRID.crs, "resolution": GRID.resolution}
    region.update({"bounds": list(GRID.bounds), "chunks": list(GRID.chunks)})
    job.write_text(yaml.safe_dump({
        "name": "flat", "synthetic": True, "region": region,
        "indices": {"sensor": "sentinel2", "names": ["NDVI"], "custom": custom},
    }))
    result = run_in_process("indices", job, "-o", cube.parent, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    assert result.code == 0, text[-3000:]
    return cube, text


@pytest.mark.parametrize("stacked", [False, True], ids=["fused", "stacked-dates"])
def test_the_indices_stage_says_an_index_overflowing_float32_as_the_library_does(
    tmp_path: Path, scheduler: str, stacked: bool
) -> None:
    """SYNTHETIC reflectance cube, 2-D (the fused path) or stacked over two dates (the
    xarray path): ``N / R * 1e38`` lies beyond float32's 3.4e38 in about a quarter of the
    cells, stored NaN there; the stage said "is undefined (NaN) ... a division by 0, a log
    or square root of a negative, or a value beyond float32" and now says the overflow,
    its count and its largest value (computed in float64 here), in the library's words."""
    cube, text = _stage(tmp_path, scheduler, {"BIG": "N / R * 1e38"}, stacked=stacked)
    ds = open_cube(cube)
    stored = ds["BIG"].values
    wide = evaluate(plan_indices([], sensor="sentinel2", custom={"BIG": "N / R * 1e38"})
                    .indices[0].expr, {"B04": ds["B04"].values, "B08": ds["B08"].values},
                    xp=np, dtype="float64")
    beyond = np.abs(wide) > FLOAT32_MAX
    assert beyond.sum() == np.isnan(stored).sum() > 0.1 * stored.size  # the case
    cells = stored.size
    for needle in (
        f"index 'BIG' (N / R * 1e38) is NaN (no data) in {int(beyond.sum())} of the {cells} "
        "cells where its bands hold data",
        f"beyond float32's 3.4e+38, the largest number its float32 layer holds (computed in "
        f"float64, up to {float(np.abs(wide[beyond]).max()):.3g})",
    ):
        assert needle in text, text[-3000:]
    assert "'BIG' (N / R * 1e38) is undefined (NaN)" not in text, text[-3000:]
    assert "index 'NDVI'" not in text, text[-3000:]


def test_control_an_index_undefined_for_another_cause_keeps_the_stage_words(
    tmp_path: Path, scheduler: str
) -> None:
    """Control, SYNTHETIC: ``log(N - 0.3)`` is NaN where near infrared is below 0.3 (a log
    of a negative, NaN in float64 too): the stage's words as before, no overflow said, and
    the stored bytes those of the kernel."""
    cube, text = _stage(tmp_path, scheduler, {"LOGD": "log(N - 0.3)"}, stacked=False)
    ds = open_cube(cube)
    stored = ds["LOGD"].values
    lost = int(np.isnan(stored).sum())
    assert f"index 'LOGD' (log(N - 0.3)) is undefined (NaN) in {lost} of the" in text
    assert "a division by 0, a log or square root of a negative, or a value beyond" in text
    assert "beyond float32's 3.4e+38" not in text and "besides those" not in text
    plan = plan_indices(["NDVI"], sensor="sentinel2", custom={"LOGD": "log(N - 0.3)"})
    direct = compute_arrays(plan, [ds[v].values for v in plan.inputs], "numba")
    assert stored.tobytes() == direct[plan.names.index("LOGD")].tobytes()


# -- a kriged TDS or density of the same waters against the job's brine density ------------


def _brine_job(root: Path, other: str, other_units: str, values: tuple[float, float],
               *, li_units: str = "mg/kg", density: float | None = 1.0) -> Path:
    """A SYNTHETIC job kriging 40 made-up wells' lithium (``li_units``) and a second column
    ``other`` (``other_units``, rising west to east from ``values[0]`` to ``values[1]``,
    as fresh water gives way to brine), screened with economics."""
    rng = np.random.default_rng(59)
    x = rng.uniform(100000, 120000, 40)
    y = rng.uniform(400000, 420000, 40)
    east = (x - 100000) / 20000
    li = 20 + 200 * east + rng.normal(0, 5, 40)
    second = values[0] + (values[1] - values[0]) * east + rng.normal(0, 0.01, 40) * values[1]
    rows = "".join(f"{a:.0f},{b:.0f},{c:.2f},{d:.6g}\n"
                   for a, b, c, d in zip(x, y, li, second, strict=True))
    (root / "wells.csv").write_text(f"x,y,li,{other}\n" + rows)
    economics = {"concentration": "brine_li", "flow_m3_per_h": 150, "hours_per_year": 8000,
                 "recovery": 0.8, "cutoff_t_lce_per_year": 500}
    if density is not None:
        economics["density_kg_per_l"] = density
    job = {
        "name": "brine",
        "description": "SYNTHETIC wells",
        "synthetic": True,
        "region": {"name": "nl", "crs": "EPSG:28992", "resolution": 1000.0,
                   "bounds": [100000.0, 400000.0, 120000.0, 420000.0], "chunks": [16, 16]},
        "sources": [{
            "kind": "points", "name": "brine", "path": "wells.csv", "crs": "EPSG:28992",
            "x": "x", "y": "y", "columns": ["li", other],
            "units": {"li": li_units, other: other_units},
            "interpolate": ["kriging"], "variogram": "exponential", "neighbours": 8,
        }],
        "economics": economics,
    }
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path


def _screened(root: Path, job: Path, scheduler: str) -> tuple[str, xr.Dataset]:
    """Run the job through the CLI; its output in one line (exit 0 asserted) and the cube."""
    out = root / "out"
    result = run_in_process("run", job, "-o", out, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    assert result.code == 0, text[-3000:]
    return text, open_cube(next(out.glob("*.zarr")))


def _implied(tds_mg_per_l: np.ndarray) -> np.ndarray:
    """Brine density (kg/L) of a TDS per litre, as the warning states its rule: rho = 1 +
    0.0007 S (S in g per kg of brine), S = TDS / rho (TDS in g/L), solved for rho."""
    return (1 + np.sqrt(1 + 4 * 0.0007 * np.maximum(tds_mg_per_l, 0) / 1000)) / 2


def test_a_kriged_tds_of_the_same_waters_against_the_jobs_density_is_said_by_the_screen(
    tmp_path: Path, scheduler: str
) -> None:
    """SYNTHETIC wells: lithium in mg/kg beside TDS in mg/L rising west to east to a
    Bonneville-like brine (320 g/L, about 1.19 kg/L), screened at the job's 1.0 kg/L: the
    east's lithium per litre and tonnages were up to a sixth low without a word, the job's
    own TDS surface saying otherwise; now a warning gives the density range the surface
    implies, the cells more than 5 % off (counted here from the stored surfaces) and the
    fix."""
    text, cube = _screened(tmp_path, _brine_job(tmp_path, "tds", "mg/L", (2000.0, 320000.0)),
                           scheduler)
    li = cube["brine_li"].values.astype("f8")
    rho = _implied(cube["brine_tds"].values.astype("f8"))
    both = np.isfinite(li) & np.isfinite(rho)
    off = int((np.abs(rho[both] - 1.0) > 0.05).sum())
    assert 0 < off < both.sum()  # the case: brine in part of the region
    for needle in (
        "economics: 'brine_tds' (total dissolved solids of the same waters as 'brine_li': "
        "column 'tds' of source 'brine', in mg/L)",
        f"implies a brine density of {rho[both].min():.3g} to {rho[both].max():.3g} kg/L",
        f"more than 5 % off the job's density_kg_per_l 1 in {off} of the {int(both.sum())} "
        "cells",
        f"up to {100 * (1 - 1 / rho[both].max()):.0f} % low where denser",
        "give the brines' density in economics.density_kg_per_l",
    ):
        assert needle in text, text[-3000:]
    assert "lce_t_per_year" in cube.data_vars  # the screen is published as before


SCREEN_GRID = RegionGrid(crs="EPSG:28992", resolution=1000.0,
                         bounds=(100000.0, 400000.0, 120000.0, 420000.0), chunks=(16, 16),
                         name="nl")


def _surfaces(root: Path, li_units: str, other: str, other_units: str,
              values: tuple[float, float]) -> Path:
    """A SYNTHETIC cube of two kriged surfaces of source 'brine' (as ingest records them
    in their provenance): lithium (``li_units``) and its variance, and ``other`` rising
    west to east from ``values[0]`` to ``values[1]``."""
    root.mkdir(parents=True, exist_ok=True)
    cube = root / "cube.zarr"
    create_cube(cube, SCREEN_GRID, attrs={"synthetic": True})
    like = open_cube(cube)
    east = np.broadcast_to(np.linspace(0, 1, SCREEN_GRID.shape[1]), SCREEN_GRID.shape)
    made = {"brine_li": (20 + 200 * east, li_units, "li"),
            "brine_li_variance": (np.full(SCREEN_GRID.shape, 25.0), f"({li_units})2", "li"),
            "brine_" + re.sub(r"\W", "_", other): (
                values[0] + (values[1] - values[0]) * east, other_units, other)}
    add_variables(cube, xr.Dataset({
        name: float_layer(data, name=name, units=units, like=like,
                          long_name=f"SYNTHETIC kriged {column}",
                          provenance={"source": "brine", "column": column, "synthetic": True})
        for name, (data, units, column) in made.items()}))
    return cube


def _economics_said(cube: Path, **given: float) -> list[str]:
    from prospect.config.economics import EconomicsConfig
    from prospect.screening import plan_economics

    cfg = EconomicsConfig(concentration="brine_li", flow_m3_per_h=150, hours_per_year=8000,
                          recovery=0.8, cutoff_t_lce_per_year=500, **given)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_economics(cfg, cube, SCREEN_GRID)
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


@pytest.mark.parametrize(
    ("other", "units", "values", "low", "high"),
    [("density", "kg/L", (1.0, 1.21), "1", "1.21"),
     ("Salinity (g/kg)", "g/kg", (1.0, 300.0), "1", "1.21"),
     ("density", "kg/L", (0.9, 1.0), "0.9", "1")],
    ids=["density-kg-per-l", "salinity-g-per-kg", "density-lighter"],
)
def test_a_kriged_density_or_salinity_of_the_same_waters_is_said_by_the_library(
    tmp_path: Path, other: str, units: str, values: tuple[float, float], low: str, high: str
) -> None:
    """SYNTHETIC cube: lithium in mg/kg beside a kriged density (kg/L) or salinity (g/kg)
    of the same source, reaching a brine of 1.21 kg/L (or a hot water of 0.9 kg/L, whose
    tonnages are too high) in the east, screened at the default 1.0 kg/L: said now."""
    said = [w for w in _economics_said(_surfaces(tmp_path, "mg/kg", other, units, values))
            if "implies a brine density" in w]
    assert len(said) == 1, said
    assert f"implies a brine density of {low} to {high} kg/L" in said[0], said[0]
    assert f"column {other!r} of source 'brine', in {units}" in said[0], said[0]
    assert ("% high where lighter" if low == "0.9" else "% low where denser") in said[0]


def test_control_fresh_waters_or_lithium_per_litre_say_nothing_of_density(
    tmp_path: Path,
) -> None:
    """Control, SYNTHETIC cubes: TDS of fresh to brackish water (300-3000 mg/L, about 1.0
    kg/L) beside lithium in mg/kg at the job's 1.0 kg/L; lithium in mg/L (which needs no
    density) beside a brine's TDS; a TDS in mmol/L (no mass this reads): no word of
    density, the layers planned as before."""
    fresh = _surfaces(tmp_path / "a", "mg/kg", "tds", "mg/L", (300.0, 3000.0))
    assert not [w for w in _economics_said(fresh, density_kg_per_l=1.0)
                if "brine density" in w]
    per_litre = _surfaces(tmp_path / "b", "mg/L", "tds", "mg/L", (2000.0, 320000.0))
    assert not [w for w in _economics_said(per_litre) if "brine density" in w]
    molar = _surfaces(tmp_path / "c", "mg/kg", "tds", "mmol/L", (10.0, 5000.0))
    assert not [w for w in _economics_said(molar, density_kg_per_l=1.0)
                if "brine density" in w]
