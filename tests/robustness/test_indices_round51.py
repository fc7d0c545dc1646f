"""Indices and screening fuzzed as a remote-sensing scientist and an economist write
them, round 51 (2026-12-06).

A custom formula that is one number wherever its bands are positive (``abs(N) / N``,
``maximum(N, 0) / N``: 1 on every reflectance and digital number) was computed and stored
as a layer of 1 without a word: round 50's check sampled negative band values too (it is
said now, not refused: round 50 plans ``minimum(N, 0)``, which follows negative cells). A
formula that is one number only because the sensor reads two of its bands from one
variable (Landsat 8's ``N`` and ``N2`` are both ``B5``: ``(N - N2) / (N + N2)`` is 0) was
planned by a job, and ``N * R / (R * N2)`` not even warned of by the library. A custom
index named like a band of the dataset (``custom={"B08": "N * 2"}``) was computed,
replacing the band when merged back. A band of digital numbers had its own highest and
lowest values named as "a fill not marked as no data" (with ``indices.nodata: <that
value>`` for the fix), and packed bands whose attributes state their ``scale_factor``
were told to give ``scale:`` in an ingest config.

A cut-off given as a lithium concentration (``cutoff_mg_per_l``) was "did you mean
'cutoff_t_li_per_year'?", a key of tonnes; a price, discount rate or capex key was only
"unknown key"; a key refused by a model's own check (``nugget:`` in a points source,
``flow_m3_per_s:``) was placed at the line of its section; and the screen report said the
leave-one-out check predicts each point "from all the others" where it takes the
``neighbours`` nearest.

Each non-control case failed before the round: checked in a copy of the tree holding
``git show HEAD:`` of ``prospect/indices/plan.py``, ``prospect/indices/ranges.py``,
``prospect/indices/api.py``, ``prospect/config/economics.py``,
``prospect/config/_base.py``, ``prospect/config/sources.py``,
``pipelines/screen_report.py`` and ``prospect/geostats.py``. All data are SYNTHETIC.
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
from prospect.errors import ConfigError, DataError, DataWarning
from prospect.indices import compute_indices, plan_indices
from prospect.indices.api import available_on
from prospect.indices.catalogue import load_catalogue

from .conftest import assert_clean_error

WINDOW = [687493.0, 5750606.0, 689293.0, 5752406.0]


def _indices_job(tmp_path: Path, formula: str, sensor: str = "landsat8") -> Path:
    """A job of one raster source (never read: ``plan`` stops at its config) and one
    custom index ``X`` (SYNTHETIC)."""
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "name": "s",
                "region": {"name": "r", "crs": "EPSG:32631", "resolution": 30, "bounds": WINDOW},
                "sources": [{"kind": "raster", "name": "B4", "path": "b4.tif"}],
                "indices": {"sensor": sensor, "custom": {"X": formula}},
            }
        )
    )
    return job


def _screen_job(root: Path, source: dict[str, Any] | None = None, **economics: Any) -> Path:
    """A SYNTHETIC job kriging four made-up wells, screened with ``economics``; ``source``:
    more keys of the points source."""
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
                **(source or {}),
            }
        ],
        "economics": {"concentration": "brine_li", **economics},
    }
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path


def _line_of(path: Path, key: str) -> int:
    """The 1-based line of ``key:`` in the file at ``path``."""
    lines = path.read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))


def _reflectance() -> xr.Dataset:
    """Sentinel-2 B02..B12 of plausible reflectance (SYNTHETIC)."""
    rng = np.random.default_rng(50)
    return xr.Dataset(
        {
            n: (("y", "x"), rng.uniform(0.02, 0.5, (6, 6)).astype("float32"))
            for n in ("B02", "B03", "B04", "B08", "B11", "B12")
        }
    )


def _landsat8() -> xr.Dataset:
    """Landsat 8 B2..B7 of plausible reflectance (SYNTHETIC)."""
    rng = np.random.default_rng(51)
    return xr.Dataset(
        {
            n: (("y", "x"), rng.uniform(0.02, 0.5, (4, 4)).astype("float32"))
            for n in ("B2", "B3", "B4", "B5", "B6", "B7")
        }
    )


# -- indices: one number wherever the bands are positive ----------------------------------


@pytest.mark.parametrize(
    ("formula", "value"),
    [("abs(N) / N", "is 1"), ("maximum(N, 0) / N", "is 1"), ("N / sqrt(N * N) + 0 * R", "is 1")],
    ids=["abs-over", "maximum-over", "over-sqrt-square"],
)
def test_a_formula_of_one_value_on_positive_bands_is_said(formula: str, value: str) -> None:
    """SYNTHETIC: 1 on every reflectance (and -1 only on negative values), computed and
    stored as a layer of 1 without a word."""
    with pytest.warns(DataWarning) as said:
        out = compute_indices(_reflectance(), [], custom={"X": formula})
    texts = [str(w.message) for w in said if issubclass(w.category, DataWarning)]
    assert any(
        f"{value} wherever its bands are positive" in t and "indices.custom.X" in t for t in texts
    ), texts
    assert np.allclose(out["X"].values, 1.0)  # computed as asked (round 50 plans such)


def test_control_minimum_at_zero_still_plans_and_a_ratio_is_not_warned() -> None:
    """Control (SYNTHETIC): round 50 plans ``minimum(N, 0)`` (it follows negative cells);
    NDVI's formula is no one number on positive bands and is not warned of."""
    plan = plan_indices([], custom={"X": "minimum(N, 0)"}, refuse_undefined=True)
    assert plan.indices[0].name == "X"
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        compute_indices(_reflectance(), ["NDVI"], custom={"Y": "(N - R) / (N + R)"})


# -- indices: one number through the sensor's mapping -------------------------------------


@pytest.mark.parametrize(
    ("formula", "value"),
    [("(N - N2) / (N + N2)", "is 0"), ("N * R / (R * N2)", "is 1")],
    ids=["difference", "commuted-product"],
)
def test_a_formula_constant_through_the_sensors_mapping_is_refused(
    tmp_path: Path, cli: Any, formula: str, value: str
) -> None:
    """SYNTHETIC: Landsat 8 reads N and N2 from B5; the index was one number in every
    cell, planned (only the first shape warned of when the bands were read)."""
    assert_clean_error(
        cli("plan", _indices_job(tmp_path, formula)),
        2,
        "job.yaml",
        value,
        "N and N2 all read its variable 'B5'",
        "sensor 'landsat8'",
        "indices.custom.X",
        "indices.bands.N2",
    )


def test_a_formula_constant_through_the_mapping_in_another_shape_is_warned() -> None:
    """SYNTHETIC: the library computes what it is asked (round 17) but says it; ``N * R /
    (R * N2)`` on Landsat 8 was a layer of 1 without a word."""
    with pytest.warns(DataWarning, match=r"N and N2 are all 'B5', so the index is 1 wherever"):
        out = compute_indices(_landsat8(), [], sensor="landsat8", custom={"X": "N * R / (R * N2)"})
    assert np.allclose(out["X"].values, 1.0)


def test_control_formulas_that_follow_positive_bands_are_planned() -> None:
    """Control (SYNTHETIC): a sign of a difference, a ratio of two bands and N / N2 on a
    sensor with two near-infrared bands follow the bands."""
    plan = plan_indices(
        [],
        sensor="sentinel2",
        custom={
            "A": "abs(N - R) / (N + R)",
            "B": "N / abs(N) * R",
            "C": "N / N2",
            "D": "maximum(N, 0.1) / N",
        },
        refuse_undefined=True,
    )
    assert [i.name for i in plan.indices] == ["A", "B", "C", "D"]


def test_control_every_catalogue_index_on_landsat8_plans_and_computes_as_before() -> None:
    """Control (SYNTHETIC): the catalogue on Landsat 8 (N and N2 on one band) plans as a
    job plans it; NDVI's values are the formula's."""
    planned, refused = 0, []
    for name, entry in load_catalogue().items():
        if not available_on(entry, "landsat8"):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                plan_indices([name], sensor="landsat8", refuse_undefined=True)
            planned += 1
        except ConfigError as err:  # a constant with no default (NIRvP's PAR) is asked for
            if "wherever" in str(err):
                refused.append(str(err))
    assert planned > 200
    assert not refused
    ds = _landsat8()
    out = compute_indices(ds, ["NDVI"], sensor="landsat8")
    n, r = ds["B5"].values, ds["B4"].values
    np.testing.assert_allclose(out["NDVI"].values, (n - r) / (n + r), rtol=1e-6)


# -- indices: a custom index named like a band of the dataset -----------------------------


@pytest.mark.parametrize("name", ["B08", "B02"], ids=["a-band-it-reads", "a-band-of-the-sensor"])
def test_a_custom_index_named_like_a_band_is_refused_by_the_library(name: str) -> None:
    """SYNTHETIC: ``custom={"B08": "N * 2"}`` was computed, and ``ds.update(out)``
    replaced the band B08 with the index without a word (a job refuses it)."""
    with pytest.raises(ConfigError) as err:
        compute_indices(_reflectance(), [], custom={name: "N * 2"})
    said = str(err.value)
    assert f"custom index name(s) ['{name}'] are names of band variables" in said
    assert f"e.g. {name}_index" in said


def test_control_a_catalogue_index_held_by_the_dataset_is_computed_again() -> None:
    """Control (SYNTHETIC): NDVI computed again on bands beside an earlier NDVI, and a
    custom index named like a common band the dataset does not hold (``N``)."""
    ds = _reflectance()
    ds["NDVI"] = ds["B08"] * 0
    out = compute_indices(ds, ["NDVI"], custom={"N": "N * 2"})
    n, r = ds["B08"].values, ds["B04"].values
    np.testing.assert_allclose(out["NDVI"].values, (n - r) / (n + r), rtol=1e-6)
    np.testing.assert_allclose(out["N"].values, 2 * n, rtol=1e-6)


# -- indices: digital numbers' own extremes called fills; packed bands --------------------


def _sentinel2(
    shape: tuple[int, int], dtype: str, fills: dict[str, int] | None = None
) -> xr.Dataset:
    """Sentinel-2 B02..B12 as digital numbers (about 9000 +/- 1500), ``fills`` written in
    their first row and as their ``_FillValue`` with CF's ``scale_factor`` 1e-4 (packed,
    as ``rioxarray.open_rasterio`` leaves them) when given (SYNTHETIC)."""
    rng = np.random.default_rng(7)
    bands = {}
    for n in ("B02", "B03", "B04", "B08", "B11", "B12"):
        values = rng.normal(9000, 1500, shape).astype(dtype)
        attrs: dict[str, Any] = {}
        if fills is not None:
            attrs["scale_factor"] = 1e-4
            if n in fills:
                values[0, :] = fills[n]
                attrs["_FillValue"] = fills[n]
        bands[n] = xr.DataArray(values, dims=("y", "x"), attrs=attrs)
    return xr.Dataset(bands)


@pytest.mark.parametrize(
    "shape", [(10, 10), (20, 20)], ids=["extremes-once-in-100", "extreme-twice-in-400"]
)
def test_a_bands_own_extreme_digital_number_is_not_named_a_fill(shape: tuple[int, int]) -> None:
    """SYNTHETIC: the highest and lowest digital numbers of a band without a fill (one cell
    in a hundred, or a value two cells hold) were "a fill not marked as no data", and the
    fix said ``indices.nodata: 12185``, a value of the band."""
    ds = _sentinel2(shape, "uint16")
    if shape == (20, 20):  # two cells at the band's highest value (a bright roof)
        top = int(ds["B08"].values.max())
        ds["B08"].values[5, 5] = ds["B08"].values[6, 6] = top
    with pytest.raises(DataError) as err:
        compute_indices(ds, ["NDVI"], sensor="sentinel2")
    said = str(err.value)
    assert "raw digital numbers or a missing scale" in said
    assert "fill" not in said and "indices.nodata" not in said


def test_control_a_fill_apart_from_digital_numbers_is_still_named() -> None:
    """Control (SYNTHETIC): -9999 in a row of a band of digital numbers is its fill."""
    ds = _sentinel2((20, 20), "int16")
    ds["B08"].values[0, :] = -9999
    with pytest.raises(DataError, match=r"holds -9999 \(5 % .*set indices.nodata: -9999"):
        compute_indices(ds, ["NDVI"], sensor="sentinel2")


def test_packed_bands_whose_attributes_state_their_scale_are_told_to_decode() -> None:
    """SYNTHETIC: int16 bands with ``scale_factor`` 1e-4 and ``_FillValue`` -9999 in their
    attributes (not applied) were "raw digital numbers or a missing scale; give 'scale:'
    in the ingest config", a job's key."""
    ds = _sentinel2((20, 20), "int16", fills={"B04": 0, "B08": -9999})
    with pytest.raises(DataError) as err:
        compute_indices(ds, ["NDVI"], sensor="sentinel2")
    said = str(err.value)
    for needle in (
        "band 'B08'",
        "scale_factor 0.0001, not applied",
        "median is 0.9",
        "_FillValue -9999",
        "xarray.decode_cf(ds)",
        "mask_and_scale=True",
    ):
        assert needle in said, said


def test_control_packed_bands_decoded_compute_with_their_fills_as_no_data() -> None:
    """Control (SYNTHETIC): the same bands through ``xarray.decode_cf``: NaN on the fills."""
    ds = xr.decode_cf(_sentinel2((20, 20), "int16", fills={"B04": 0, "B08": -9999}))
    out = compute_indices(ds, ["NDVI"], sensor="sentinel2")
    assert np.isnan(out["NDVI"].values[0]).all()
    assert np.isfinite(out["NDVI"].values[1:]).all()


# -- screening: a cut-off as a concentration, money keys ----------------------------------


def test_a_cutoff_as_a_concentration_names_the_tonnes_it_makes(tmp_path: Path, cli: Any) -> None:
    """SYNTHETIC: ``cutoff_mg_per_l: 100`` was "did you mean 'cutoff_t_li_per_year'?", a
    key of tonnes (100 there is 532 t LCE); at 150 m3/h, 8000 h and 0.8 it is 511 t LCE."""
    job = _screen_job(tmp_path, cutoff_mg_per_l=100)
    assert_clean_error(
        cli("plan", job),
        2,
        f"job.yaml:{_line_of(job, 'cutoff_mg_per_l')}:",
        "cutoff_mg_per_l is no key of the screening",
        "not a concentration",
        "cutoff_t_lce_per_year: 511",
    )


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ({"cutoff_ppm": 50, "flow_l_per_s": 50}, "(50 mg/L) at 180 m3/h"),
        ({"cutoff_ug_per_l": 20000, "recovery": 0.5}, "(20 mg/L) at 150 m3/h, 8000 h/yr"),
    ],
    ids=["ppm-at-a-flow-in-l-per-s", "ug-per-l"],
)
def test_a_cutoff_as_a_concentration_is_converted_at_the_jobs_figures(
    given: dict[str, float], needle: str
) -> None:
    """SYNTHETIC: the tonnes are those of the flow, hours and recovery given."""
    with pytest.raises(ValidationError) as err:
        EconomicsConfig(concentration="li", **given)
    assert needle in str(err.value)
    assert "is cutoff_t_lce_per_year:" in str(err.value)


@pytest.mark.parametrize("key", ["price_usd_per_t", "discount_rate", "capex_musd"])
def test_a_money_key_says_the_screening_has_no_price(tmp_path: Path, cli: Any, key: str) -> None:
    """SYNTHETIC: each was "unknown key; keys allowed here", no word that the screening is
    a tonnage cut-off with no price or cost."""
    job = _screen_job(tmp_path, **{key: 0.08})
    assert_clean_error(
        cli("plan", job),
        2,
        f"job.yaml:{_line_of(job, key)}:",
        f"{key} is no key of the screening",
        "no price, cost, tax or discounting",
        "cutoff_t_lce_per_year",
    )


def test_control_cutoffs_in_tonnes_are_kept() -> None:
    """Control (SYNTHETIC): cut-offs in t LCE and t Li load as before."""
    assert (
        EconomicsConfig(concentration="li", cutoff_t_lce_per_year=400).cutoff_t_lce_per_year == 400
    )
    li = EconomicsConfig(concentration="li", cutoff_t_li_per_year=100)
    assert li.cutoff_t_lce_per_year == pytest.approx(532.3, rel=1e-3)


# -- a key a model's check refuses is placed at its own line ------------------------------


def test_variogram_keys_are_placed_at_their_own_line(tmp_path: Path, cli: Any) -> None:
    """SYNTHETIC: ``nugget:`` in a points source was placed at the source's first line."""
    job = _screen_job(tmp_path, source={"nugget": 0.1, "sill": 1.0})
    assert_clean_error(
        cli("plan", job),
        2,
        f"job.yaml:{_line_of(job, 'nugget')}:",
        "'nugget', 'sill'",
        "pykrige fits them",
    )


def test_a_key_of_another_unit_is_placed_at_its_own_line(tmp_path: Path, cli: Any) -> None:
    """SYNTHETIC: ``flow_m3_per_s:`` (round 50's refusal) was placed at ``economics:``."""
    job = _screen_job(tmp_path, flow_m3_per_s=0.042)
    assert_clean_error(
        cli("plan", job),
        2,
        f"job.yaml:{_line_of(job, 'flow_m3_per_s')}:",
        "flow_m3_per_h: 151.2",
    )


def test_control_a_bad_value_is_still_placed_at_its_key(tmp_path: Path, cli: Any) -> None:
    """Control (SYNTHETIC): a field's own refusal keeps its key's line."""
    job = _screen_job(tmp_path, recovery=80)
    assert_clean_error(
        cli("plan", job),
        2,
        f"job.yaml:{_line_of(job, 'recovery')}:",
        "80 % is 0.8",
    )


# -- the screen report's words of the leave-one-out check ---------------------------------


def _report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, points: int, neighbours: int) -> str:
    """The screen report of SYNTHETIC facts of one kriged surface (plots not drawn)."""
    from pipelines import screen_report

    monkeypatch.setattr(
        screen_report,
        "_surface_plots",
        lambda *_: {"variogram": "v.png", "loo": "l.png", "maps": "m.png"},
    )
    errors = {"rmse": 1.0, "mae": 0.8, "mean_error": 0.1, "msdr": 1.1, "share_within_2sd": 0.9}
    surface = {
        "variable": "brine_li", "column": "li", "source": "brine", "points": points,
        "coincident_points_averaged": 0, "variogram": "spherical", "neighbours": neighbours,
        "units": "mg/L", "kriging": errors, "idw": dict(errors), "idw_power": 2.0,
        "kriging_beats_idw": True, "curves": {},
    }  # fmt: skip
    facts = {"job": "brine", "region": {"name": "gb"}, "synthetic": True, "surfaces": [surface]}
    screen_report._write_screen_report(tmp_path, facts, tmp_path / "cube.zarr")
    return (tmp_path / "report.md").read_text()


def test_the_report_says_leave_one_out_uses_the_nearest_neighbours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC facts: 20 points, 4 neighbours; the report said "from all the others"."""
    said = _report(tmp_path, monkeypatch, points=20, neighbours=4)
    assert "Each point predicted from its 4 nearest others of the 19" in said
    assert "all the others" not in said


def test_control_the_report_says_all_the_others_when_the_window_holds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control (SYNTHETIC facts): 12 points and 16 neighbours: every other point is used."""
    said = _report(tmp_path, monkeypatch, points=12, neighbours=16)
    assert "Each point predicted from all the others" in said
