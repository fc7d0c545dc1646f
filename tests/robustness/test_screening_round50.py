"""Round 50: the economic screening of brine lithium fed figures in the units an
economist or a hydrochemist writes them: a flow given under the L/s or m3/day key in
another unit, a flow in m3/s, a cut-off in kilotonnes, and lithium surfaces in ng/L,
mg/mL, kg/m3, mg/dL or nmol/L.

Every case is SYNTHETIC: small zarr cubes written into ``tmp_path`` and job files of a
few made-up wells. Each non-control case failed before the round (a tonnage 24 or 3.6
times off without a word, a whole region "above" a cut-off of half a tonne, a refusal
that blamed the cut-off for a flow in m3/s or named a key the job does not hold, a
lithium concentration refused as "not a lithium concentration").
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml
from pydantic import ValidationError

from prospect.config.economics import EconomicsConfig
from prospect.economics import lce_factor
from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest import ingest_layer
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.screening import plan_economics, read_window

from .conftest import assert_clean_error

KW = {"flow_m3_per_h": 150.0, "hours_per_year": 8000.0, "recovery": 0.8}
FACTOR = lce_factor(**KW)


def _cube(path: Path, value: float, units: str, variance: float = 25.0) -> tuple[Path, RegionGrid]:
    """A SYNTHETIC 8 x 8 cube holding ``li`` (``value`` in ``units``) and ``li_variance``
    (``variance`` in the square of ``units``)."""
    from prospect.testing.cubes import float_layer

    left, top, res = 560000.0, 1332000.0, 100.0
    grid = RegionGrid(
        "EPSG:32619", res, (left, top - 8 * res, left + 8 * res, top), chunks=(4, 4), name="unit"
    )
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    values = np.linspace(0.5 * value, value, 64).reshape(8, 8)
    ds = xr.Dataset(
        {
            "li": float_layer(values, name="li", units=units, long_name="li", like=like),
            "li_variance": float_layer(
                np.full(grid.shape, variance),
                name="li_variance",
                units=f"({units})2",
                long_name="li_variance",
                like=like,
            ),
        }
    )
    add_variables(path, ds)
    return path, grid


def _flow_warnings(cfg: EconomicsConfig, tmp_path: Path) -> list[str]:
    """The flow warnings of planning ``cfg`` on a SYNTHETIC cube of 20 mg/L."""
    cube, grid = _cube(tmp_path / "c.zarr", 20.0, "mg/L")
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        plan_economics(cfg, cube, grid)
    return [
        str(w.message)
        for w in said
        if issubclass(w.category, DataWarning) and "flow" in str(w.message)
    ]


def _job(root: Path, **economics: Any) -> Path:
    """A SYNTHETIC job kriging four made-up wells, screened with ``economics``."""
    (root / "li.csv").write_text(
        "lon,lat,li\n-117.2,39.2,1.5\n-117.0,39.8,0.8\n-116.8,40.1,2.2\n-116.7,39.5,0.4\n"
    )
    job = {
        "name": "brine",
        "description": "SYNTHETIC wells",
        "synthetic": True,
        "region": {
            "name": "gb",
            "crs": "EPSG:5070",
            "resolution": 5000.0,
            "bounds": [-1840000.0, 1960000.0, -1700000.0, 2150000.0],
            "chunks": [32, 32],
        },
        "sources": [
            {
                "kind": "points",
                "name": "brine",
                "path": "li.csv",
                "crs": "EPSG:4269",
                "columns": ["li"],
                "units": {"li": "mg/L"},
                "interpolate": ["kriging"],
                "neighbours": 4,
            }
        ],
        "economics": {"concentration": "brine_li", **economics},
    }
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path


# -- a flow under the L/s or m3/day key outside a doublet's range ---------------------------


@pytest.mark.parametrize(
    ("given", "needles"),
    [
        (
            {"flow_m3_per_day": 150},  # 150 m3/h under the per-day key: 6.25 m3/h
            ["flow_m3_per_day 150 m3/day is 6.25 m3/h", "'flow_m3_per_h: 150'", "24 times"],
        ),
        (
            {"flow_l_per_s": 500},  # 500 m3/h under the L/s key: 1800 m3/h
            ["flow_l_per_s 500 L/s is 1800 m3/h", "'flow_m3_per_h: 500'", "3.6 times"],
        ),
    ],
    ids=["m3h-as-per-day", "m3h-as-l-per-s"],
)
def test_a_flow_in_another_unit_outside_a_doublets_range_is_warned(
    tmp_path: Path, given: dict[str, float], needles: list[str]
) -> None:
    """SYNTHETIC: every tonnage 24 times low (or 3.6 times high) without a word; the
    warning given for such a ``flow_m3_per_h`` was skipped for the other keys."""
    said = _flow_warnings(EconomicsConfig(concentration="li", **given), tmp_path)
    assert len(said) == 1, said
    for needle in needles:
        assert needle in said[0], said[0]


@pytest.mark.parametrize(
    "given",
    [{"flow_l_per_s": 42}, {"flow_m3_per_day": 3600}, {"flow_l_per_s": 10}],
    ids=["42-l-per-s", "3600-per-day", "small-l-per-s"],
)
def test_a_doublets_flow_in_another_unit_is_silent_control(
    tmp_path: Path, given: dict[str, float]
) -> None:
    """SYNTHETIC control: 151.2 and 150 m3/h are a doublet's flows; a small one stated in
    L/s (10 L/s, 36 m3/h) reads as no other unit's (round 28 keeps it silent)."""
    assert _flow_warnings(EconomicsConfig(concentration="li", **given), tmp_path) == []


@pytest.mark.parametrize(
    ("given", "needles"),
    [
        ({"flow_l_per_s": 3600}, ["flow_l_per_s 3600 (L/s) is 12960 m3/h", "flow_m3_per_h (m3/h)"]),
        ({"flow_l_per_s": 0.042}, ["flow_l_per_s 0.042 (L/s) is 0.1512 m3/h"]),
    ],
    ids=["m3-per-day-as-l-per-s", "m3-per-s-as-l-per-s"],
)
def test_a_stated_flow_no_doublet_has_is_refused_naming_its_key(
    given: dict[str, float], needles: list[str]
) -> None:
    """SYNTHETIC: refused at ``flow_m3_per_h`` (a key the job does not hold, fixed "in L/s
    times 3.6") or as a cut-off "in kg"."""
    with pytest.raises(ValidationError) as err:
        EconomicsConfig(concentration="li", **given)
    for needle in needles:
        assert needle in str(err.value), str(err.value)
    assert "in kg" not in str(err.value)


# -- a flow in m3/s ------------------------------------------------------------------------


def test_a_flow_in_m3_per_s_is_refused_naming_the_flow(tmp_path: Path, cli: Any) -> None:
    """SYNTHETIC: ``flow_m3_per_h: 0.042`` (151.2 m3/h in m3/s) was refused as a cut-off
    "in kg" out of every brine's reach, the flow not named."""
    result = cli("plan", _job(tmp_path, flow_m3_per_h=0.042))
    line = assert_clean_error(
        result,
        2,
        "job.yaml",
        "economics.flow_m3_per_h",
        "0.042 m3/h is no doublet's brine flow",
        "0.042 m3/s is 151.2 m3/h",
    )
    assert "in kg" not in line


def test_a_small_doublets_flow_is_kept_control() -> None:
    """SYNTHETIC control: 20 m3/h is a (poor) doublet's flow; the cut-off it reaches
    stands."""
    cfg = EconomicsConfig(concentration="li", flow_m3_per_h=20, cutoff_t_lce_per_year=50)
    assert cfg.flow_m3_per_h == 20.0


# -- a cut-off in kilotonnes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "needles"),
    [
        (
            {"cutoff_t_lce_per_year": 0.5},
            ["cutoff_t_lce_per_year 0.5 is under 1 t", "0.5 kt is 500 t"],
        ),
        (
            {"cutoff_t_li_per_year": 0.1},
            ["cutoff_t_li_per_year 0.1 (0.5323 t LCE)", "0.1 kt is 100 t"],
        ),
    ],
    ids=["lce", "li"],
)
def test_a_cutoff_in_kilotonnes_is_refused(given: dict[str, float], needles: list[str]) -> None:
    """SYNTHETIC: 0.5 (500 t in kt) needed 0.1 mg/L and classed nearly every cell
    "above" without a word."""
    with pytest.raises(ValidationError) as err:
        EconomicsConfig(concentration="li", **given)
    for needle in (*needles, "0.0978 mg/L" if "cutoff_t_lce_per_year" in given else "mg/L"):
        assert needle in str(err.value), str(err.value)


def test_a_cutoff_in_kilotonnes_stops_the_job_when_it_loads(tmp_path: Path, cli: Any) -> None:
    """SYNTHETIC: the CLI says the key and the conversion, exit 2."""
    result = cli("plan", _job(tmp_path, cutoff_t_lce_per_year=0.5))
    assert_clean_error(result, 2, "job.yaml", "economics", "0.5 kt is 500 t")


@pytest.mark.parametrize("cutoff", [1.0, 50.0, 500.0], ids=str)
def test_a_cutoff_in_tonnes_is_kept_control(cutoff: float) -> None:
    """SYNTHETIC control: a tonne and more are cut-offs in tonnes."""
    cfg = EconomicsConfig(concentration="li", cutoff_t_lce_per_year=cutoff)
    assert cfg.cutoff_t_lce_per_year == cutoff


# -- lithium per volume at other SI prefixes ----------------------------------------------


@pytest.mark.parametrize(
    ("units", "value", "mg_per_l"),
    [
        ("ng/L", 20_000_000.0, 20.0),  # a laboratory's trace unit
        ("mg/mL", 0.02, 20.0),  # g/L
        ("kg/m3", 0.02, 20.0),  # a reservoir model's SI unit
        ("mg/dL", 2.0, 20.0),  # a clinical laboratory's unit
        ("nmol/L", 2_000_000.0, 2.0 * 6.941),
    ],
    ids=["ng-per-l", "mg-per-ml", "kg-per-m3", "mg-per-dl", "nmol-per-l"],
)
def test_a_concentration_at_another_prefix_is_converted(
    tmp_path: Path, units: str, value: float, mg_per_l: float
) -> None:
    """SYNTHETIC: refused as "not a lithium concentration"; the prefixes give the factor,
    the tonnage and its sd are those of the same brine in mg/L."""
    cube, grid = _cube(tmp_path / "c.zarr", value, units, variance=(value / 5) ** 2)
    layers = plan_economics(EconomicsConfig(concentration="li"), cube, grid)
    for layer in layers:
        ingest_layer(cube, layer, grid)
    windows = list(grid.chunk_windows())
    lce = np.concatenate([read_window(cube, "lce_t_per_year", w).ravel() for w in windows])
    sd = np.concatenate([read_window(cube, "lce_t_per_year_sd", w).ravel() for w in windows])
    assert layers[0].settings["concentration_units"] == units
    assert float(np.nanmax(lce)) == pytest.approx(mg_per_l * FACTOR, rel=1e-5)
    assert float(np.nanmax(sd)) == pytest.approx(mg_per_l / 5 * FACTOR, rel=1e-5)


@pytest.mark.parametrize(
    "units", ["Mg/L", "kg/L", "kg/kg"], ids=["megagrams", "kg-per-l", "kg-per-kg"]
)
def test_units_of_no_brine_or_a_mass_fraction_are_still_refused_control(
    tmp_path: Path, units: str
) -> None:
    """SYNTHETIC control: megagrams and kilograms per litre are no brine's lithium (and
    ``Mg/L`` is no ``mg/L``), nor is a mass fraction of kilograms per kilogram (g/kg and
    mg/g are read with the density since round 62)."""
    cube, grid = _cube(tmp_path / "c.zarr", 20.0, units)
    with pytest.raises(DataError, match="not a lithium concentration"):
        plan_economics(EconomicsConfig(concentration="li"), cube, grid)


# -- variogram parameters given as keys ------------------------------------------------------


def _source_keys(job: Path, **keys: Any) -> Path:
    """``job`` with ``keys`` added to its points source."""
    config = yaml.safe_load(job.read_text())
    config["sources"][0].update(keys)
    job.write_text(yaml.safe_dump(config, sort_keys=False))
    return job


@pytest.mark.parametrize(
    ("keys", "named"),
    [
        (
            {"variogram_parameters": {"sill": 10, "range": 5000, "nugget": 1}},
            "'variogram_parameters'",
        ),
        ({"nugget": 1, "range": 5000}, "'nugget', 'range'"),
        ({"anisotropy_angle": 30}, "'anisotropy_angle'"),
    ],
    ids=["variogram-parameters", "nugget-and-range", "anisotropy"],
)
def test_variogram_parameters_given_as_keys_are_said_to_be_fitted(
    tmp_path: Path, cli: Any, keys: dict[str, Any], named: str
) -> None:
    """SYNTHETIC: "unknown key ... (did you mean 'variogram'?)", a model's name, or the
    keys allowed; neither said that pykrige fits the parameters."""
    result = cli("plan", _source_keys(_job(tmp_path), **keys))
    line = assert_clean_error(
        result, 2, "job.yaml", "sources.0", named, "pykrige fits them", "'variogram:'"
    )
    assert "did you mean" not in line


def test_a_variogram_model_is_chosen_control(tmp_path: Path, cli: Any) -> None:
    """SYNTHETIC control: 'variogram: exponential' plans."""
    result = cli("plan", _source_keys(_job(tmp_path), variogram="exponential"))
    assert result.code == 0, result.out + result.err


# -- a flow or a cut-off under a key of a unit the screening has no key of ------------------


@pytest.mark.parametrize(
    ("key", "value", "written"),
    [
        ("flow_m3_per_s", 0.042, "flow_m3_per_h: 151.2"),
        ("flow_l_per_min", 2500, "flow_m3_per_h: 150"),
        ("flow_bbl_per_day", 20000, "flow_m3_per_h: 132.489"),  # an oilfield's brine
        ("cutoff_kt_lce_per_year", 0.5, "cutoff_t_lce_per_year: 500"),
    ],
    ids=["m3-per-s", "l-per-min", "bbl-per-day", "kt"],
)
def test_a_key_of_another_unit_names_the_key_and_the_figure(
    tmp_path: Path, cli: Any, key: str, value: float, written: str
) -> None:
    """SYNTHETIC: "unknown key (did you mean 'flow_m3_per_h'?)": the figure moved there
    as written was 3600 times low (m3/s), 60 times off (L/min) or 1000 times off (kt)."""
    result = cli("plan", _job(tmp_path, **{key: value}))
    line = assert_clean_error(result, 2, "job.yaml", "economics", key, written)
    assert "did you mean" not in line


# -- a kriging standard deviation named as the variance -------------------------------------


def test_a_standard_deviation_named_as_the_variance_is_said_to_be_one(tmp_path: Path) -> None:
    """SYNTHETIC: another tool's kriging standard deviation (units mg/L) named in
    ``economics.variance`` was "not the kriging variance ... needs units the square of a
    concentration", without saying what it is and that it is to be squared."""
    from prospect.testing.cubes import float_layer

    cube, grid = _cube(tmp_path / "c.zarr", 20.0, "mg/L")
    like = open_cube(cube)
    sd = float_layer(
        np.full(grid.shape, 5.0), name="li_sd", units="mg/L", long_name="sd", like=like
    )
    add_variables(cube, xr.Dataset({"li_sd": sd}))
    with pytest.raises(DataError) as err:
        plan_economics(EconomicsConfig(concentration="li", variance="li_sd"), cube, grid)
    for needle in ("'li_sd' has units 'mg/L'", "standard deviation squared", "'(mg/L)2'"):
        assert needle in str(err.value), str(err.value)


def test_a_variance_of_no_concentration_keeps_its_refusal_control(tmp_path: Path) -> None:
    """SYNTHETIC control: a layer in mW m-2 is refused as before, no word of an sd."""
    from prospect.testing.cubes import float_layer

    cube, grid = _cube(tmp_path / "c.zarr", 20.0, "mg/L")
    like = open_cube(cube)
    hf = float_layer(
        np.full(grid.shape, 80.0), name="hf", units="mW m-2", long_name="hf", like=like
    )
    add_variables(cube, xr.Dataset({"hf": hf}))
    with pytest.raises(DataError, match="not the kriging variance") as err:
        plan_economics(EconomicsConfig(concentration="li", variance="hf"), cube, grid)
    assert "standard deviation" not in str(err.value)
