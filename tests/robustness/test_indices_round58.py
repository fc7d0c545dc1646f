"""Indices and screening fuzzed as a careless formula writer, a job of stacked dates under
``allow_out_of_range`` and a reader of the screen stage's console, round 58 (2026-12-07).

Red in digital numbers beside near infrared in reflectance, stacked over two dates
``(time, y, x)`` under ``allow_out_of_range``, was stored by the indices stage as NDVI
-1.00 without a word (its xarray path took no sample of the bands). A custom formula that
underflows float32 in part of a layer (``N ** 100`` on reflectance 0.1-0.5: normal in a
fifth, a subnormal in a sixth, 0 in the rest) was said by neither the library nor the stage
(only a layer 0 everywhere was). The screen stage's console line said "0.0 % too low at
95 % (one-sided)" of a pure-nugget kriging's one variance without the report's word of it.

Each non-control case failed before the round: checked with a copy of the tree holding
``git show HEAD:`` of the changed modules (see ``docs/robustness.md``, round 58's indices
section). All data are SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from prospect.errors import DataWarning
from prospect.grid import RegionGrid
from prospect.indices import compute_indices, plan_indices
from prospect.indices.blocks import compute_arrays
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


def _stage(
    tmp_path: Path,
    scheduler: str,
    scales: tuple[float, float],
    indices: dict,
    *,
    stacked: bool,
) -> tuple[Path, int, str]:
    """Run the indices stage over a SYNTHETIC cube of red and near infrared reflectance
    (multiplied by ``scales``), 2-D or stacked over two dates; the cube, the exit code and
    the output in one line."""
    out = tmp_path / "out"
    out.mkdir()
    cube = out / "cube.zarr"
    create_cube(cube, GRID, attrs={"synthetic": True})
    like = open_cube(cube)
    rng = np.random.default_rng(58)
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
    job = tmp_path / "job.yaml"
    region = {"name": "flat", "crs": GRID.crs, "resolution": GRID.resolution}
    region.update({"bounds": list(GRID.bounds), "chunks": list(GRID.chunks)})
    job.write_text(
        yaml.safe_dump(
            {
                "name": "flat",
                "synthetic": True,
                "region": region,
                "indices": {"sensor": "sentinel2", **indices},
            }
        )
    )
    result = run_in_process("indices", job, "-o", out, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    return cube, result.code, text


# -- bands on two scales under allow_out_of_range, stacked over dates ----------------------


def test_bands_on_two_scales_stacked_over_dates_are_refused_by_the_stage(
    tmp_path: Path, scheduler: str
) -> None:
    """SYNTHETIC cube of two dates: red in digital numbers (x 10 000) beside near infrared
    in reflectance, ``allow_out_of_range: true``: stored as NDVI -1.00 on both dates
    without a word; now refused as the 2-D bands are, before anything is published."""
    cube, code, text = _stage(
        tmp_path,
        scheduler,
        (10000.0, 1.0),
        {"names": ["NDVI"], "allow_out_of_range": True},
        stacked=True,
    )
    assert code != 0, text[-3000:]
    for needle in ("index 'NDVI'", "band 'B04' (R)", "band 'B08' (N)", "times apart", "one scale"):
        assert needle in text, text[-3000:]
    assert "NDVI" not in open_cube(cube).data_vars


def test_control_stacked_bands_of_one_scale_under_allow_out_of_range_compute_as_before(
    tmp_path: Path, scheduler: str
) -> None:
    """Control, SYNTHETIC: both bands in digital numbers, stacked over two dates, the range
    check lifted: NDVI stored, its bytes the kernel's own, and nothing said of scales."""
    cube, code, text = _stage(
        tmp_path,
        scheduler,
        (10000.0, 10000.0),
        {"names": ["NDVI"], "allow_out_of_range": True},
        stacked=True,
    )
    assert code == 0, text[-3000:]
    assert "times apart" not in text
    ds = open_cube(cube)
    assert ds["NDVI"].dims == ("time", "y", "x")
    plan = plan_indices(["NDVI"], sensor="sentinel2")
    direct = compute_arrays(plan, [ds[v].values for v in plan.inputs], "numba")
    assert ds["NDVI"].values.tobytes() == direct[0].tobytes()


# -- a custom formula that underflows float32 in part of the layer --------------------------


def _bands(shape: tuple[int, int] = (64, 64)) -> xr.Dataset:
    """SYNTHETIC Sentinel-2 red and near infrared reflectance."""
    rng = np.random.default_rng(58)
    return xr.Dataset(
        {
            "B04": (("y", "x"), rng.uniform(0.02, 0.3, shape).astype("f4")),
            "B08": (("y", "x"), rng.uniform(0.1, 0.5, shape).astype("f4")),
        }
    )


def _said(ds: xr.Dataset, **kwargs: object) -> tuple[xr.Dataset, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(ds, **kwargs)  # type: ignore[arg-type]
    return out, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _shares(values: np.ndarray) -> tuple[int, int]:
    """The cells of a float32 layer held as a subnormal, and those that are 0 (counted here)."""
    tiny = np.finfo(np.float32).tiny
    return int(((values != 0) & (np.abs(values) < tiny)).sum()), int((values == 0).sum())


@pytest.mark.parametrize("formula", ["N ** 100", "R ** 60 * N"])
def test_a_custom_formula_underflowing_float32_in_part_is_said_by_the_library(
    formula: str,
) -> None:
    """SYNTHETIC reflectance: ``N ** 100`` is normal in a fifth of the cells, a float32
    subnormal in a sixth and 0 in the rest; it was returned without a word. The warning
    gives the subnormal cells and the zero ones, as counted here."""
    out, said = _said(_bands(), names=[], custom={"X": formula})
    subnormal, zero = _shares(out["X"].values)
    assert subnormal > 0.01 * out["X"].size  # the case is what it says
    words = [w for w in said if "index 'X'" in w]
    assert len(words) == 1, said
    text = words[0]
    for needle in (
        f"in {subnormal} of the {out['X'].size} cells where its bands hold data",
        f"is 0 in {zero} more",
        "underflows float32 in part of the layer",
        "check the formula",
    ):
        assert needle in text, text


@pytest.mark.parametrize("stacked", [False, True], ids=["fused", "stacked-dates"])
def test_the_indices_stage_says_an_index_underflowing_in_part(
    tmp_path: Path, scheduler: str, stacked: bool
) -> None:
    """SYNTHETIC cube, 2-D (the fused path) or stacked over two dates (the xarray path):
    ``N ** 100`` was stored subnormal in a sixth of the cells and 0 in most others without
    a word; the run now says it with the counts of the stored layer. NDVI stays unsaid."""
    cube, code, text = _stage(
        tmp_path,
        scheduler,
        (1.0, 1.0),
        {"names": ["NDVI"], "custom": {"POW": "N ** 100"}},
        stacked=stacked,
    )
    assert code == 0, text[-3000:]
    values = open_cube(cube)["POW"].values
    subnormal, zero = _shares(values)
    assert f"in {subnormal} of the {values.size} cells where its bands hold data" in text
    assert f"is 0 in {zero} more" in text and "index 'POW'" in text, text[-3000:]
    assert "index 'NDVI'" not in text, text[-3000:]


def test_control_formulas_of_exact_zeros_or_small_normal_values_are_unsaid() -> None:
    """Control, SYNTHETIC: ``maximum(N - R - 0.2, 0)`` (0 in many cells, exactly),
    ``N * 1e-20`` (small, normal) and NDVI: unsaid, bytes the kernel's own; a formula 0
    everywhere keeps round 57's words."""
    ds = _bands()
    custom = {"CLIP": "maximum(N - R - 0.2, 0)", "SMALL": "N * 1e-20"}
    out, said = _said(ds, names=["NDVI"], custom=custom)
    assert not said, said
    plan = plan_indices(["NDVI"], sensor="sentinel2", custom=custom)
    direct = compute_arrays(plan, [ds[v].values for v in plan.inputs], "numba")
    for k, name in enumerate(plan.names):
        assert out[name].values.tobytes() == direct[k].tobytes(), name
    assert (out["CLIP"].values == 0).mean() > 0.3
    _, said = _said(ds, names=[], custom={"UNDER": "N ** 2 ** 10"})
    assert len(said) == 1 and "in every one of the 4096 cells" in said[0], said
    assert "in part of the layer" not in said[0]


# -- the screen stage's console line of a pure-nugget variance ------------------------------


def _screen_job(root: Path, structured: bool) -> Path:
    """A SYNTHETIC job kriging 40 made-up wells (values with no spatial structure, a pure
    nugget; or a trend across the region) and screening them with economics."""
    rng = np.random.default_rng(0)
    x = rng.uniform(100000, 120000, 40)
    y = rng.uniform(400000, 420000, 40)
    li = 20 + 0.02 * (x - 100000) + rng.normal(0, 5, 40) if structured else rng.uniform(50, 400, 40)
    rows = "".join(f"{a:.0f},{b:.0f},{c:.1f}\n" for a, b, c in zip(x, y, li, strict=True))
    (root / "li.csv").write_text("x,y,li\n" + rows)
    job = {
        "name": "brine",
        "description": "SYNTHETIC wells",
        "synthetic": True,
        "region": {
            "name": "nl",
            "crs": "EPSG:28992",
            "resolution": 1000.0,
            "bounds": [100000.0, 400000.0, 120000.0, 420000.0],
            "chunks": [16, 16],
        },
        "sources": [
            {
                "kind": "points",
                "name": "brine",
                "path": "li.csv",
                "crs": "EPSG:28992",
                "x": "x",
                "y": "y",
                "columns": ["li"],
                "units": {"li": "mg/L"},
                "interpolate": ["kriging"],
                "variogram": "exponential",
                "neighbours": 8,
            }
        ],
        "economics": {
            "concentration": "brine_li",
            "flow_m3_per_h": 150,
            "hours_per_year": 8000,
            "recovery": 0.8,
            "cutoff_t_lce_per_year": 500,
        },
    }
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path


def _economics_line(root: Path, structured: bool, scheduler: str) -> tuple[str, str]:
    """The screen stage's console line of the economics, and the report."""
    job = _screen_job(root, structured)
    out = root / "out"
    result = run_in_process("run", job, "-o", out, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    start = text.index("economics: ")
    line = text[start : text.index(" report: ", start)]
    return line, (out / "screen" / "report.md").read_text(encoding="utf-8")


def test_the_screen_console_says_the_classes_rest_on_one_variance(
    tmp_path: Path, scheduler: str
) -> None:
    """SYNTHETIC wells of no spatial structure: the variance is one number in every cell
    (the report says "One variance everywhere"); the console's "too low at 95 %
    (one-sided)" said nothing of it, and now says it in one clause."""
    line, report = _economics_line(tmp_path, False, scheduler)
    assert "**One variance everywhere**" in report
    assert "too low at 95 % (one-sided) of one variance in every cell" in line, line
    assert "(brine_li_variance, a pure nugget's)" in line, line
    assert "the estimate's class, not how well it is known there" in line, line


def test_control_the_screen_console_of_a_structured_variance_keeps_its_words(
    tmp_path: Path, scheduler: str
) -> None:
    """Control, SYNTHETIC wells on a trend: a structured variance, the console's line as
    before, ending at "(one-sided)"."""
    line, report = _economics_line(tmp_path, True, scheduler)
    assert "One variance everywhere" not in report
    assert line.endswith("too low at 95 % (one-sided)"), line
