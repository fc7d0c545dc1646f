"""Indices fuzzed as a remote-sensing scientist writes them, round 50 (2026-12-06).

A custom formula that is one number wherever its bands hold data (``N * 0 + 3``,
``0 / (N + R)``, ``(N + R) - (R + N)``, ``N * R / (R * N)``), and a catalogue index made
such a number by a constant (WDRVI with ``alpha: 0`` is ``-R / R``, -1 in every cell),
were computed and stored without a word: no power of 0 and no part minus itself said so.
A custom index named like a dimension or coordinate of the bands (``x``, rioxarray's
``band``) was dropped from ``compute_indices``' result without a word, or stopped it with
xarray's raw ValueError. A site's sensor file keying a band in words or another case
(``nir:``, ``n:``) loaded, and NDVI was told the sensor "does not have" N; one giving a
band as its variable alone (``R: B4``) was pydantic's "valid dictionary or instance of
SensorBand". Each defect case failed before the fix (checked with a plugin
putting back the old behaviour, and with ``git show HEAD:`` of ``prospect/indices/plan.py``,
``prospect/indices/api.py`` and ``prospect/config/indices.py`` in a copy of the tree); the
controls held and must keep holding. All data are SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

from prospect.errors import ConfigError
from prospect.indices import compute_indices, plan_indices

from .conftest import assert_clean_error

WINDOW = [687493.0, 5750606.0, 689293.0, 5752406.0]


def _job(tmp_path: Path, indices: dict[str, Any]) -> Path:
    """A job of one raster source (never read: ``plan`` stops at its config) and
    ``indices`` (SYNTHETIC)."""
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "name": "s",
                "region": {"name": "r", "crs": "EPSG:32631", "resolution": 30, "bounds": WINDOW},
                "sources": [{"kind": "raster", "name": "B4", "path": "b4.tif"}],
                "indices": {"sensor": "landsat8", **indices},
            }
        )
    )
    return job


def _reflectance(shape: tuple[int, int] = (6, 6), seed: int = 0) -> xr.Dataset:
    """Sentinel-2 B02..B12 of plausible reflectance (SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    return xr.Dataset(
        {
            n: (("y", "x"), rng.uniform(0.02, 0.5, shape).astype("float32"))
            for n in ("B02", "B03", "B04", "B08", "B11", "B12")
        }
    )


@pytest.mark.parametrize(
    ("formula", "value"),
    [
        ("N * 0 + 3", "is 3"),
        ("0 / (N + R)", "is 0"),
        ("(N + R) - (R + N)", "is 0"),
        ("N * R / (R * N)", "is 1"),
    ],
    ids=["times-zero", "zero-over", "commuted", "product"],
)
def test_a_custom_formula_of_one_value_whatever_the_bands_is_refused(
    tmp_path: Path,
    cli: Any,
    formula: str,
    value: str,
) -> None:
    # a layer of one number wherever the bands held data, computed and stored, exit 0
    job = _job(tmp_path, {"custom": {"X": formula}})
    assert_clean_error(
        cli("plan", job),
        2,
        "job.yaml",
        value,
        "wherever its bands hold data",
        "does not follow the bands",
        "indices.custom.X",
    )


def test_wdrvi_with_alpha_zero_is_refused_when_the_job_loads(tmp_path: Path, cli: Any) -> None:
    # WDRVI (alpha * N - R) / (alpha * N + R) with alpha: 0 was -1 in every cell
    job = _job(tmp_path, {"names": ["NDVI", "WDRVI"], "constants": {"alpha": 0.0}})
    assert_clean_error(
        cli("plan", job),
        2,
        "job.yaml",
        "'WDRVI'",
        "-1 wherever",
        "alpha = 0",
        "indices.constants.alpha",
    )


def test_wdrvi_with_alpha_zero_is_refused_by_the_library() -> None:
    with pytest.raises(ConfigError, match=r"'WDRVI' .* is -1 wherever its bands hold data"):
        compute_indices(_reflectance(), ["WDRVI"], constants={"WDRVI": {"alpha": 0.0}})


# -- controls ---------------------------------------------------------------------------


def test_control_wdrvi_with_its_published_alpha_is_computed(tmp_path: Path, cli: Any) -> None:
    job = _job(tmp_path, {"names": ["NDVI", "WDRVI"], "constants": {"alpha": 0.2}})
    result = cli("plan", job)
    assert result.code == 0, result.out + result.err
    ds = _reflectance()
    out = compute_indices(ds, ["WDRVI"], constants={"alpha": 0.2})
    n, r = ds["B08"].values.astype("f8"), ds["B04"].values.astype("f8")
    np.testing.assert_allclose(out["WDRVI"].values, (0.2 * n - r) / (0.2 * n + r), rtol=1e-6)


@pytest.mark.parametrize(
    "formula",
    ["1e-20 * N", "minimum(N, 0)", "maximum(N, 10000)", "exp(-N * 1000)", "(N - R) / (N + R)"],
)
def test_control_formulas_that_follow_the_bands_are_planned(formula: str) -> None:
    # tiny, clipped or saturating formulas still follow the bands somewhere
    plan = plan_indices([], custom={"X": formula}, refuse_undefined=True)
    assert plan.indices[0].name == "X"
    out = compute_indices(_reflectance(), [], custom={"X": formula})
    assert np.isfinite(out["X"].values).any()


# -- an index named like the dataset's dimensions or coordinates -------------------------


def test_a_custom_index_named_like_a_dimension_is_refused_not_dropped() -> None:
    # custom {'x': 'R / N'} on bands without coordinates: a result without 'x', no word
    ds = _reflectance()
    with pytest.raises(
        ConfigError,
        match=r"index name\(s\) \['x'\] are names of the dataset's "
        r"dimensions or coordinates .*another name \(e\.g\. x_index\)",
    ):
        compute_indices(ds, [], custom={"x": "R / N"})


def test_a_custom_index_named_like_a_coordinate_is_refused() -> None:
    # rioxarray's scalar 'band' coordinate: xarray's "variables {'band'} are found in both
    # data_vars and coords", a raw ValueError
    ds = _reflectance().assign_coords(band=1, spatial_ref=0)
    with pytest.raises(ConfigError, match=r"\['band'\] are names of the dataset's"):
        compute_indices(ds, [], custom={"band": "R / N"})


def test_control_a_custom_index_named_x_in_capitals_is_computed() -> None:
    ds = _reflectance().assign_coords(band=1)
    out = compute_indices(ds, [], custom={"X": "R / N"})
    expected = ds["B04"].values.astype("f8") / ds["B08"].values.astype("f8")
    np.testing.assert_allclose(out["X"].values, expected, rtol=1e-6)


# -- a site's sensor file with bands keyed in words or given as their variable alone -----


def _sensor_file(tmp_path: Path, bands: dict[str, Any]) -> Path:
    """A site's sensor YAML beside the job (SYNTHETIC)."""
    path = tmp_path / "mysensor.yaml"
    path.write_text(yaml.safe_dump({"name": "mysensor", "bands": bands}))
    return path


@pytest.mark.parametrize(
    ("bands", "needles"),
    [
        (
            {"red": {"variable": "B4"}, "nir": {"variable": "B5"}},
            ("band 'nir' is not a common band name", "write N: {variable: B5"),
        ),
        (
            {"r": {"variable": "B4"}, "n": {"variable": "B5"}},
            ("band 'n' is not a common band name", "write N: {variable: B5"),
        ),
        (
            {"R": "B4", "N": {"variable": "B5"}},
            ("band 'R': 'B4' alone", "write R: {variable: B4, wavelength_nm: <nm>}"),
        ),
    ],
    ids=["words", "lower-case", "variable-alone"],
)
def test_a_sensor_file_band_keyed_in_words_or_given_alone_is_told_the_form(
    tmp_path: Path, cli: Any, bands: dict[str, Any], needles: tuple[str, ...]
) -> None:
    # 'nir: {variable: B5}' loaded; NDVI was told the sensor "does not have" N and sent
    # to another sensor; 'R: B4' was pydantic's "valid dictionary or instance of SensorBand"
    _sensor_file(tmp_path, bands)
    job = _job(tmp_path, {"names": ["NDVI"]})
    text = job.read_text().replace("sensor: landsat8", "sensor: mysensor.yaml")
    job.write_text(text)
    line = assert_clean_error(cli("plan", job), 2, "mysensor.yaml", *needles)
    assert "does not have" not in line and "SensorBand" not in line


def test_control_a_sensor_file_of_common_names_plans(tmp_path: Path, cli: Any) -> None:
    _sensor_file(
        tmp_path,
        {
            "R": {"variable": "B4", "wavelength_nm": 655.0},
            "N": {"variable": "B5", "wavelength_nm": 865.0},
            "SW5": {"variable": "B9"},
        },
    )
    job = _job(tmp_path, {"names": ["NDVI"]})
    job.write_text(job.read_text().replace("sensor: landsat8", "sensor: mysensor.yaml"))
    result = cli("plan", job)
    assert result.code == 0, result.out + result.err
