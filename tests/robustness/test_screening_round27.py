"""Round 27: the economic screening of brine lithium fed the units and figures a survey
scientist meets: lithium in ug/L labelled mg/L, hydrochemists' mmol/L and g/L, a cut-off
written in kg, and a cut-off equal to a cell's stored tonnage.

Each non-control case failed before the round (a tonnage 1000 times too large, a whole
region "too low" without a word, a molar concentration refused as "not a lithium
concentration", a class layer that disagreed with the stored tonnage and the report). The
library cases write real zarr cubes into ``tmp_path``; one case runs ingest and screen on
real Great Basin geothermal-water lithium analyses (Ahmmed & Vesselinov 2022) cut small.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml
from pydantic import ValidationError

from pipelines.stages import screen
from prospect.config.economics import EconomicsConfig
from prospect.economics import CLASS_ABOVE, CLASS_TOO_LOW, lce_factor
from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest import ingest_layer
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.screening import plan_economics, read_window

from .conftest import assert_clean_error

KW = {"flow_m3_per_h": 150.0, "hours_per_year": 8000.0, "recovery": 0.8}
FACTOR = lce_factor(**KW)


def _cube(
    path: Path,
    values: np.ndarray | float,
    units: str,
    variance: float = 25.0,
    variance_units: str | None = None,
) -> tuple[Path, RegionGrid]:
    """An 8 x 8 cube holding ``li`` (``values``, ``units``) and ``li_variance``."""
    from prospect.testing.cubes import float_layer

    left, top, res = 560000.0, 1332000.0, 100.0
    grid = RegionGrid(
        "EPSG:32619", res, (left, top - 8 * res, left + 8 * res, top), chunks=(4, 4), name="unit"
    )
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    data = np.broadcast_to(np.asarray(values, dtype="f8"), grid.shape).copy()
    ds = xr.Dataset(
        {
            "li": float_layer(data, name="li", units=units, long_name="li", like=like),
            "li_variance": float_layer(
                np.full(grid.shape, variance),
                name="li_variance",
                units=variance_units or f"({units})2",
                long_name="li_variance",
                like=like,
            ),
        }
    )
    add_variables(path, ds)
    return path, grid


def _layers(cube: Path, grid: RegionGrid, cfg: EconomicsConfig) -> dict[str, np.ndarray]:
    """Write the four economics layers of ``cfg``; their stored values (one chunk)."""
    layers = plan_economics(cfg, cube, grid)
    for layer in layers:
        ingest_layer(cube, layer, grid)
    window = next(iter(grid.chunk_windows()))
    return {la.name: read_window(cube, la.name, window) for la in layers}


# -- a surface in ug/L labelled mg/L -------------------------------------------------------


@pytest.mark.parametrize(
    ("top", "units", "density", "shown"),
    [
        (45_000.0, "mg/L", 1.0, "reaches 45000 mg/L"),  # 45 mg/L written in ug/L
        (9_000.0, "ppm", 1.2, "= 10800 mg/L"),  # ppb labelled ppm, a dense brine
    ],
    ids=["ug-as-mg-per-l", "ppb-as-ppm"],
)
def test_a_surface_richer_than_any_brine_is_refused(
    tmp_path: Path,
    top: float,
    units: str,
    density: float,
    shown: str,
) -> None:
    # every tonnage was 1000 times too large, and every cell "above" the cut-off, without a
    # word: 45 000 "mg/L" gave 230 000 t LCE/yr per doublet
    values = np.linspace(0.2 * top, top, 64).reshape(8, 8)
    cube, grid = _cube(tmp_path / "c.zarr", values, units)
    with pytest.raises(DataError) as err:
        plan_economics(EconomicsConfig(concentration="li", density_kg_per_l=density), cube, grid)
    text = str(err.value)
    for needle in (
        "concentration 'li'",
        shown,
        "more than any brine holds",
        "10000 mg/L",
        "ug/L",
        "units: {column: ug/L}",
    ):
        assert needle in text, text


def test_a_salar_brine_is_screened_control(tmp_path: Path) -> None:
    # control: 2 000 mg/L (an Andean salar's brine) is lithium a brine holds
    cube, grid = _cube(tmp_path / "c.zarr", 2000.0, "mg/L")
    lce = _layers(cube, grid, EconomicsConfig(concentration="li"))["lce_t_per_year"]
    assert float(lce.max()) == pytest.approx(2000.0 * FACTOR, rel=1e-6)


def _li_table(shared_data: Path, path: Path, *, scale: float) -> Path:
    """The Great Basin waters analysed for Li in 117.5-116.5 W, 39-40.5 N (a real table
    cut small), each value times ``scale``."""
    src = shared_data / "geothermal_waters_li_great_basin_us" / "gb_duplicatedRows.txt"
    with src.open(newline="") as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["LI_PPM"]
            and float(r["LI_PPM"]) > 0
            and -117.5 <= float(r["LONGITUDE_NAD83"]) <= -116.5
            and 39.0 <= float(r["LATITUDE_NAD83"]) <= 40.5
        ]
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["lon", "lat", "li"])
        for r in rows:
            out.writerow(
                [r["LONGITUDE_NAD83"], r["LATITUDE_NAD83"], f"{float(r['LI_PPM']) * scale:g}"]
            )
    return path


def _brine_job(root: Path, **economics: Any) -> Path:
    """A job kriging ``root/li.csv`` (lon, lat, li in mg/L) in central Nevada, screened
    with ``economics``."""
    region = {
        "name": "gb",
        "crs": "EPSG:5070",
        "resolution": 5000.0,
        "bounds": [-1840000.0, 1960000.0, -1700000.0, 2150000.0],
        "chunks": [32, 32],
    }
    job = {
        "name": "brine",
        "description": "Great Basin Li, cut small",
        "region": region,
        "sources": [
            {
                "kind": "points",
                "name": "brine",
                "path": "li.csv",
                "x": "lon",
                "y": "lat",
                "crs": "EPSG:4269",
                "columns": ["li"],
                "units": {"li": "mg/L"},
                "interpolate": ["kriging"],
                "neighbours": 8,
            }
        ],
        "economics": {"concentration": "brine_li", **economics},
    }
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path


@pytest.mark.realdata
def test_real_analyses_in_ug_per_l_labelled_mg_per_l_stop_the_screen(
    tmp_path: Path,
    shared_data: Path,
    cli: Any,
    scheduler: str,
) -> None:
    # the Great Basin analyses written in ug/L (x 1000) under 'units: {li: mg/L}': the run
    # ended 0 with every tonnage x 1000 (up to about 150 000 t LCE/yr per doublet)
    _li_table(shared_data, tmp_path / "li.csv", scale=1000.0)
    job = _brine_job(tmp_path)
    out = tmp_path / "out"
    result = cli("run", job, "-o", out, "--scheduler", scheduler)
    assert_clean_error(
        result, 1, "'brine_li'", "more than any brine holds", "units: {column: ug/L}"
    )
    assert not (out / "screen" / "report.md").exists()
    cube = open_cube(out / "cube.zarr")
    assert "lce_t_per_year" not in cube.data_vars


# -- a cut-off no brine can reach ----------------------------------------------------------


def test_a_cutoff_in_kg_is_refused_when_the_job_loads(tmp_path: Path, cli: Any) -> None:
    # 'cutoff_t_lce_per_year: 500000' (500 t written in kg) classed every cell "too low"
    # and the report called the region not economic, without a word
    (tmp_path / "li.csv").write_text(
        "lon,lat,li\n-117.2,39.2,1.5\n-117.0,39.8,0.8\n-116.8,40.1,2.2\n-116.7,39.5,0.4\n"
    )
    job = _brine_job(tmp_path, cutoff_t_lce_per_year=500000)
    result = cli("plan", job)
    assert_clean_error(
        result,
        2,
        "job.yaml",
        "economics",
        "cutoff_t_lce_per_year 500000",
        "9.785e+04 mg/L",
        "more than any brine holds",
        "divided by 1000",
    )


@pytest.mark.parametrize("cutoff", [500.0, 20_000.0, 51_000.0], ids=str)
def test_a_cutoff_a_brine_can_reach_is_kept_control(cutoff: float) -> None:
    # control: up to 10 000 mg/L x 5.11 t LCE/yr per mg/L
    assert (
        EconomicsConfig(concentration="li", cutoff_t_lce_per_year=cutoff).cutoff_t_lce_per_year
        == cutoff
    )


def test_a_cutoff_out_of_reach_of_a_small_doublet_is_refused() -> None:
    # 10 m3/h for 1000 h needs 11 700 mg/L for the default 500 t LCE/yr
    with pytest.raises(ValidationError, match=r"needs 1\.174e\+04 mg/L.*10 m3/h, 1000 h/yr"):
        EconomicsConfig(concentration="li", flow_m3_per_h=10, hours_per_year=1000)


# -- molar and per-litre concentrations ----------------------------------------------------


@pytest.mark.parametrize(
    ("units", "value", "mg_per_l"),
    [
        ("mmol/L", 2.0, 2.0 * 6.941),
        ("mmol l-1", 2.0, 2.0 * 6.941),
        ("mol/m3", 2.0, 2.0 * 6.941),
        ("µmol/L", 2000.0, 2.0 * 6.941),
        ("g/L", 0.2, 200.0),
    ],
    ids=["mmol-per-l", "mmol-l-1", "mol-per-m3", "umol-per-l", "g-per-l"],
)
def test_a_molar_or_gram_concentration_is_converted(
    tmp_path: Path,
    units: str,
    value: float,
    mg_per_l: float,
) -> None:
    # refused as "not a lithium concentration": a hydrochemist's mmol/L is lithium's
    cube, grid = _cube(tmp_path / "c.zarr", value, units, variance=(0.1 * value) ** 2)
    got = _layers(cube, grid, EconomicsConfig(concentration="li"))
    assert float(got["lce_t_per_year"].max()) == pytest.approx(mg_per_l * FACTOR, rel=1e-5)
    assert float(got["lce_t_per_year_sd"].max()) == pytest.approx(0.1 * mg_per_l * FACTOR, rel=1e-5)


def test_an_amount_per_kilogram_is_still_refused_control(tmp_path: Path) -> None:
    # control: mmol/kg needs a density and a molar mass; still refused, naming the units
    cube, grid = _cube(tmp_path / "c.zarr", 2.0, "mmol/kg")
    with pytest.raises(DataError, match=r"'li' has units 'mmol/kg', not a lithium conc"):
        plan_economics(EconomicsConfig(concentration="li"), cube, grid)


# -- a cut-off equal to a cell's stored tonnage --------------------------------------------


def _rounds_up() -> float:
    """A concentration (mg/L) whose t LCE/yr rounds up when stored as float32."""
    for c in np.arange(100.0, 200.0, 0.5):
        exact = float(np.float32(c)) * FACTOR
        if float(np.float32(exact)) > exact:
            return float(c)
    raise AssertionError("no such concentration")


def test_a_cell_at_exactly_the_cutoff_is_above_in_the_cube_and_the_report(
    tmp_path: Path,
) -> None:
    # the cut-off set to the tonnage a cell shows (its stored float32 value, variance 0 at
    # a well): the class layer said "too low" (computed from the float64 value, a hair
    # below) while the stored LCE equalled the cut-off and the report, which counts the
    # stored layers, had the cell "above"
    c = _rounds_up()
    cube, grid = _cube(tmp_path / "c.zarr", c, "mg/L", variance=0.0)
    window = next(iter(grid.chunk_windows()))
    first = _layers(cube, grid, EconomicsConfig(concentration="li"))
    cutoff = float(first["lce_t_per_year"][0, 0])
    cfg = EconomicsConfig(concentration="li", cutoff_t_lce_per_year=cutoff)
    layers = plan_economics(cfg, cube, grid)
    ctx: Any = SimpleNamespace(job=SimpleNamespace(economics=cfg), grid=grid, cube_path=cube)
    econ = screen._economics(ctx, layers)
    cls = open_cube(cube)["lce_screening_class"].values  # as xarray reads it
    p = read_window(cube, "lce_p_above_cutoff", window)
    assert float(read_window(cube, "lce_t_per_year", window)[0, 0]) == cutoff
    assert (cls == CLASS_ABOVE).all(), np.unique(cls)
    assert (p == 1.0).all()
    assert econ["share_above"] == 1.0 and econ["share_mean_above_cutoff"] == 1.0


def test_cells_off_the_cutoff_keep_their_class_control(tmp_path: Path) -> None:
    # control: a surface either side of the cut-off, with a kriging sd, keeps its classes
    values = np.repeat([50.0, 97.0, 100.0, 103.0, 150.0, 200.0, 20.0, 99.0], 8).reshape(8, 8)
    cube, grid = _cube(tmp_path / "c.zarr", values, "mg/L", variance=1.0)
    cfg = EconomicsConfig(concentration="li", cutoff_t_lce_per_year=100.0 * FACTOR)
    got = _layers(cube, grid, cfg)
    cls = open_cube(cube)["lce_screening_class"].values[:4, :4]  # as xarray reads it
    # 50 and 97 mg/L: too low (97 + 1.645 < 100); 100: uncertain; 103: above
    assert (cls[:2] == CLASS_TOO_LOW).all() and (cls[3] == CLASS_ABOVE).all()
    assert (cls[2] == 1).all()
    assert got["lce_p_above_cutoff"][2, 0] == pytest.approx(0.5)


def test_the_too_low_cells_of_the_class_layer_are_read_as_data(tmp_path: Path) -> None:
    # read_window took the zarr array's fill value (0 for the uint8 class layer; its CF
    # _FillValue is 255): every "too low" cell was read as no data
    cube, grid = _cube(tmp_path / "c.zarr", 20.0, "mg/L", variance=1.0)
    got = _layers(cube, grid, EconomicsConfig(concentration="li"))
    assert (got["lce_screening_class"] == CLASS_TOO_LOW).all()
    assert np.isfinite(got["lce_t_per_year"]).all()


# -- a mass fraction without the brine's density -------------------------------------------


def test_a_mass_fraction_without_a_density_is_a_warning(tmp_path: Path) -> None:
    # a surface in mg/kg screened without economics.density_kg_per_l took fresh water's
    # 1 kg/L without a word: a brine of 1.2 kg/L gave every tonnage 17 % low
    cube, grid = _cube(tmp_path / "c.zarr", 100.0, "mg/kg")
    with pytest.warns(DataWarning, match=r"'li' is in mg/kg.*density_kg_per_l is not given"):
        plan_economics(EconomicsConfig(concentration="li"), cube, grid)


@pytest.mark.parametrize(
    ("units", "density"), [("mg/kg", 1.0), ("ppm", 1.2), ("mg/L", None)], ids=str
)
def test_a_stated_density_or_a_litre_is_silent_control(
    tmp_path: Path, units: str, density: float | None
) -> None:
    # control: a density given (even 1.0), or a surface per litre, warns of no density
    cube, grid = _cube(tmp_path / "c.zarr", 100.0, units)
    extra = {} if density is None else {"density_kg_per_l": density}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        plan_economics(EconomicsConfig(concentration="li", **extra), cube, grid)
