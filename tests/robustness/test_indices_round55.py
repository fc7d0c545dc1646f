"""Indices and screening fuzzed as a careless formula writer, a library user, a site
keeping its own sensor files and a reservoir engineer, round 55 (2026-12-06).

A custom formula that is infinite or NaN wherever reflectance is positive
(``(N - R) / (0 * N)``, ``(-N) ** 0.5``) planned and ran ingest; its layer was NaN in
every cell. ``compute_indices`` returned NDVI of an all-NaN band as NaN throughout without
a word. The indices stage's "no data in every cell" line and the runner's test of it were
two copies of the same words. An IDW surface of wells on one line was not warned of. A
negative flow (an injection's sign) was pydantic's "Input should be greater than 0". A
site's sensor file without ``wavelength_nm`` listed FAI and DVIplus as computable, and a
job naming one was refused without the sensor, the band or the fix in its file.

Each non-control case failed before the round: checked with ``git show HEAD:`` of the
changed modules put back (see ``docs/robustness.md``, round 55's indices section). All
data are SYNTHETIC.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

from prospect.config.sources import PointSource
from prospect.errors import DataWarning
from prospect.grid import RegionGrid
from prospect.indices import compute_indices
from prospect.ingest.surfaces import plan_points

from .conftest import assert_clean_error

# -- a custom formula undefined wherever reflectance is positive ----------------------------


def _indices_job(tmp_path: Path, indices: dict[str, Any], **extra: Any) -> Path:
    """A job of one raster source (never read: ``plan`` stops at its config) computing
    ``indices`` (SYNTHETIC)."""
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "name": "s",
                "region": {
                    "name": "r",
                    "crs": "EPSG:32631",
                    "resolution": 30,
                    "bounds": [687493.0, 5750606.0, 689293.0, 5752406.0],
                },
                "sources": [{"kind": "raster", "name": "b4", "path": "b4.tif"}],
                "indices": indices,
                **extra,
            }
        )
    )
    return job


@pytest.mark.parametrize(
    "formula",
    ["(N - R) / (0 * N)", "N / (N * 0)", "(-N) ** 0.5", "log(-R) + N"],
    ids=["times-zero-divisor", "zero-product-divisor", "root-of-negated", "log-of-negated"],
)
def test_a_custom_formula_undefined_wherever_reflectance_is_positive_is_refused(
    cli: Any, tmp_path: Path, formula: str
) -> None:
    """SYNTHETIC: a formula dividing by a product with 0 or taking a root or log of a
    negated band is NaN in every cell of reflectance; it planned (and ran ingest) without a
    word, the layer then stored NaN throughout."""
    job = _indices_job(tmp_path, {"sensor": "sentinel2", "custom": {"X": formula}})
    line = assert_clean_error(cli("plan", job), 2, "'X'", "infinite or NaN", "indices.custom.X")
    assert "reflectance" in line and "positive" in line, line


@pytest.mark.parametrize(
    ("sensor", "formula"),
    [("sentinel2", "(R - N) ** 0.5"), ("sentinel2", "sqrt(N - R) / N"), ("sentinel1", "sqrt(-VV)")],
    ids=["root-defined-on-some", "sqrt-of-difference", "radar-decibels"],
)
def test_control_a_formula_defined_on_some_data_still_plans(
    cli: Any, tmp_path: Path, sensor: str, formula: str
) -> None:
    """SYNTHETIC controls: a root of a difference is defined where it is positive, and a
    radar band in decibels is negative (``sqrt(-VV)`` is defined)."""
    result = cli("plan", _indices_job(tmp_path, {"sensor": sensor, "custom": {"X": formula}}))
    assert result.code == 0, result.out + result.err


# -- the library: an index of a band that holds no data ------------------------------------


def _bands(red: np.ndarray, nir: np.ndarray) -> xr.Dataset:
    """SYNTHETIC Sentinel-2 red, near infrared and green."""
    green = np.full(red.shape, 0.06, dtype="f4") + np.linspace(
        0, 0.02, red.size, dtype="f4"
    ).reshape(red.shape)
    return xr.Dataset(
        {"B04": (("y", "x"), red), "B08": (("y", "x"), nir), "B03": (("y", "x"), green)},
        attrs={"synthetic": "true"},
    )


def _said(ds: xr.Dataset, names: list[str]) -> tuple[xr.Dataset, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(ds, names, sensor="sentinel2")
    return out, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


@pytest.mark.parametrize("case", ["all-nan-red", "halves"])
def test_an_index_whose_bands_hold_no_data_together_is_said_by_the_library(case: str) -> None:
    """SYNTHETIC: ``compute_indices`` of an all-NaN red band (or of red and near infrared
    covering opposite halves) returned NDVI as NaN in every cell without a word."""
    rng = np.random.default_rng(55)
    red = rng.uniform(0.03, 0.1, (40, 40)).astype("f4")
    nir = rng.uniform(0.2, 0.5, (40, 40)).astype("f4")
    if case == "all-nan-red":
        red[:] = np.nan
    else:
        red[:, 20:] = np.nan
        nir[:, :20] = np.nan
    out, said = _said(_bands(red, nir), ["NDVI", "NDWI"])
    assert np.isnan(out["NDVI"].values).all()
    empty = [s for s in said if "no data (NaN) in every cell" in s]
    assert len(empty) == 1, said
    for needle in ("'NDVI'", "'B04' (R)", "'B08' (N)", "indices.bands"):
        assert needle in empty[0], empty[0]
    assert "'NDWI'" not in empty[0]


@pytest.mark.parametrize(
    "formula", ["(N - R) / (0 * N)", "(-1) ** 0.5 * N"], ids=["zero-divisor", "root-of-minus-one"]
)
def test_a_library_index_undefined_wherever_its_bands_hold_data_is_said(formula: str) -> None:
    """SYNTHETIC: ``compute_indices(custom=...)`` of a formula NaN wherever its bands hold
    data (a job's config refuses it; the library computes it) returned NaN throughout
    without a word."""
    rng = np.random.default_rng(57)
    red = rng.uniform(0.03, 0.1, (40, 40)).astype("f4")
    nir = rng.uniform(0.2, 0.5, (40, 40)).astype("f4")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(_bands(red, nir), [], sensor="sentinel2", custom={"X": formula})
    assert np.isnan(out["X"].values).all()
    said = [str(w.message) for w in caught if "every one of the 1600 cells" in str(w.message)]
    assert len(said) == 1, [str(w.message) for w in caught]
    assert "'X'" in said[0] and "check the formula" in said[0], said[0]


def test_control_an_index_of_partly_empty_bands_is_unchanged_and_unsaid() -> None:
    """SYNTHETIC control: bands with data in half the cells give NDVI there (the formula
    within float32's rounding, NaN where red holds none), and no word of empty indices."""
    rng = np.random.default_rng(56)
    red = rng.uniform(0.03, 0.1, (40, 40)).astype("f4")
    nir = rng.uniform(0.2, 0.5, (40, 40)).astype("f4")
    red[:, 20:] = np.nan
    out, said = _said(_bands(red, nir), ["NDVI"])
    assert not [s for s in said if "every cell" in s], said
    expected = (nir.astype("f8") - red) / (nir.astype("f8") + red)
    np.testing.assert_allclose(out["NDVI"].values, expected, rtol=1e-6)
    assert np.isnan(out["NDVI"].values[:, 20:]).all()


def test_the_stages_empty_index_line_is_built_from_the_runners_words() -> None:
    """SYNTHETIC: the runner knew the indices stage's "no data in every cell" line by a
    copy of its words (``EMPTY_SAID``); both are one constant now, and the stage's line,
    built from it, is the one the runner takes as said."""
    from pipelines import runner
    from prospect.indices import plan_indices, ranges

    assert runner.EMPTY_SAID is ranges.EMPTY_SAID
    (index,) = plan_indices(["NDVI"], sensor="sentinel2").indices
    line = ranges.no_common_cell_message(index)
    assert ranges.EMPTY_SAID in line
    assert runner._said_empty("NDVI", [line])
    assert not runner._said_empty("NDWI", [line])


# -- an IDW surface of wells on one line ---------------------------------------------------

GRID = RegionGrid(
    "EPSG:28992", 1000.0, (100000.0, 400000.0, 120000.0, 420000.0), chunks=(20, 20), name="nl"
)


def _interpolated(tmp_path: Path, xy: np.ndarray, methods: list[str]) -> list[str]:
    """The data warnings of interpolating SYNTHETIC values at ``xy`` (RD New) over the
    20 km square with ``methods``."""
    rng = np.random.default_rng(3)
    z = 50 + 20 * np.sin(xy[:, 0] / 3000) + rng.normal(size=len(xy))
    table = tmp_path / "p.csv"
    table.write_text(
        "x,y,li\n" + "\n".join(f"{x:.3f},{y:.3f},{v:.4f}" for (x, y), v in zip(xy, z, strict=True))
    )
    source = PointSource(
        kind="points",
        name="w",
        path=str(table),
        crs="EPSG:28992",
        x="x",
        y="y",
        columns=["li"],
        units={"li": "mg/L"},
        interpolate=methods,
        neighbours=8,
    )
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        plan_points(source, GRID)
    return [str(w.message) for w in said if issubclass(w.category, DataWarning)]


LINE = np.column_stack(
    [101000 + 18000 * np.linspace(0, 1, 15), 401000 + 18000 * np.linspace(0, 1, 15)]
)


def test_an_idw_surface_of_wells_on_one_line_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: 15 wells along one traverse, interpolated by IDW over a 20 km square:
    every cell away from the line takes the nearest stretch's values, without a word."""
    said = [w for w in _interpolated(tmp_path, LINE, ["idw"]) if "one line" in w]
    assert len(said) == 1, said
    for needle in ("15 places of 'li'", "inverse-distance", "'w_li'", "off the line"):
        assert needle in said[0], said[0]
    assert "variogram" not in said[0]


def test_wells_on_one_line_by_idw_and_kriging_are_said_for_each_surface(tmp_path: Path) -> None:
    """SYNTHETIC: the same wells by both methods: the kriged surface was said, the IDW
    one (``w_li_idw``) beside it was not."""
    both = [w for w in _interpolated(tmp_path, LINE, ["idw", "kriging"]) if "one line" in w]
    assert len(both) == 2, both
    assert "'w_li_idw'" in both[0] and "inverse-distance" in both[0], both
    assert "'w_li_variance'" in both[1] and "spherical variogram is fitted" in both[1], both


def test_control_idw_of_scattered_wells_is_unsaid_and_krigings_words_stay(tmp_path: Path) -> None:
    """SYNTHETIC controls: scattered wells by IDW are not said; wells on one line kriged
    are said as before, once."""
    rng = np.random.default_rng(7)
    scattered = np.column_stack([rng.uniform(100500, 119500, 20), rng.uniform(400500, 419500, 20)])
    assert not [w for w in _interpolated(tmp_path, scattered, ["idw"]) if "one line" in w]
    kriged = [w for w in _interpolated(tmp_path, LINE, ["kriging"]) if "one line" in w]
    assert len(kriged) == 1, kriged
    assert kriged[0].endswith(
        "spherical variogram is fitted to distances along the line alone, and kriging takes "
        "it to hold in every direction, so 'w_li' and 'w_li_variance' away from the line are "
        "what the values along it would make, which no point measures; read them near the "
        "line only, add points off the line, or cut the region to a strip along it"
    ), kriged


# -- a negative flow ------------------------------------------------------------------------


def _economics_job(root: Path, **economics: Any) -> Path:
    """A SYNTHETIC job kriging four made-up wells, screened with ``economics``."""
    (root / "li.csv").write_text(
        "x,y,li\n101000,401000,15\n118000,402000,22\n110000,419000,9\n105000,410000,30\n"
    )
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
                "units": {"li": "mg/kg"},
                "interpolate": ["kriging"],
                "neighbours": 4,
            }
        ],
        "economics": {"concentration": "brine_li", **economics},
    }
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("key", "value", "fix"),
    [
        ("flow_m3_per_h", -150, "flow_m3_per_h: 150"),
        ("flow_l_per_s", -42, "flow_l_per_s: 42"),
        ("flow_m3_per_day", -3600, "flow_m3_per_day: 3600"),
    ],
    ids=["m3-per-h", "l-per-s", "m3-per-day"],
)
def test_a_negative_flow_is_told_its_signs_meaning(
    cli: Any, tmp_path: Path, key: str, value: float, fix: str
) -> None:
    """SYNTHETIC: ``flow_m3_per_h: -150`` (an injection rate's sign) was pydantic's "Input
    should be greater than 0", no word of what the sign means or the figure to give."""
    job = _economics_job(tmp_path, **{key: value})
    line = assert_clean_error(
        cli("plan", job), 2, f"economics.{key}", "negative flow", "injection", fix
    )
    assert "greater than 0" not in line, line


def test_control_a_positive_flow_plans_and_a_zero_flow_is_still_refused(
    cli: Any, tmp_path: Path
) -> None:
    good = cli("plan", _economics_job(tmp_path, flow_m3_per_h=150))
    assert good.code == 0, good.out + good.err
    assert_clean_error(cli("plan", _economics_job(tmp_path, flow_m3_per_h=0)), 2, "greater than 0")


# -- a site's sensor file without wavelengths ----------------------------------------------


def _sensor_without_wavelengths(tmp_path: Path) -> Path:
    path = tmp_path / "mysat.yaml"
    path.write_text(
        "name: mysat\ntitle: My satellite (SYNTHETIC)\nbands:\n"
        "  G: {variable: green}\n  R: {variable: red}\n  N: {variable: nir}\n"
        "  S1: {variable: swir1}\n"
    )
    return path


def test_a_sensor_file_without_wavelengths_lists_no_index_reading_them(
    cli: Any, tmp_path: Path
) -> None:
    """SYNTHETIC: ``indices --list --sensor mysat.yaml`` of a sensor file without
    ``wavelength_nm`` listed FAI and DVIplus (they read lambdaN), which it cannot compute."""
    result = cli("indices", "--list", "--sensor", _sensor_without_wavelengths(tmp_path), "--json")
    assert result.code == 0, result.out + result.err
    listed = {entry["name"] for entry in json.loads(result.out)}
    assert "NDVI" in listed and "GOSSAN" in listed, sorted(listed)
    assert not {"FAI", "DVIplus", "NDGI"} & listed, sorted(listed)


def test_an_index_reading_a_wavelength_the_sensor_file_lacks_names_the_band_and_file_key(
    cli: Any, tmp_path: Path
) -> None:
    """SYNTHETIC: FAI on a sensor file without ``wavelength_nm`` was "needs constant
    'lambdaN' but the sensor mapping gives no wavelength for that band", found by the plan's
    stand-in cube, without the job's key, the sensor, the band or the file's fix."""
    sensor = _sensor_without_wavelengths(tmp_path)
    job = _indices_job(tmp_path, {"sensor": str(sensor), "names": ["FAI", "NDVI"]})
    assert_clean_error(
        cli("plan", job),
        2,
        "key 'indices'",
        "'FAI'",
        "'mysat'",
        "'lambdaN'",
        "wavelength_nm",
        "bands.N",
    )


def test_control_wavelengths_given_as_constants_or_by_the_sensor_still_plan(
    cli: Any, tmp_path: Path
) -> None:
    sensor = _sensor_without_wavelengths(tmp_path)
    given = {"lambdaN": 865.0, "lambdaR": 655.0, "lambdaS1": 1610.0}
    job = _indices_job(tmp_path, {"sensor": str(sensor), "names": ["FAI"], "constants": given})
    result = cli("plan", job)
    assert result.code == 0, result.out + result.err
    listed = cli("indices", "--list", "--sensor", "sentinel2", "--json")
    assert {"FAI", "DVIplus"} <= {entry["name"] for entry in json.loads(listed.out)}
