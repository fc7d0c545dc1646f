"""The score stage's comparison of a cube's evidence with the model's training evidence
(:mod:`prospect.registry.applicability`): a variable made from the same inputs, settings and
grid as at training is the training evidence itself and is not read again."""

from __future__ import annotations

import numpy as np
import xarray as xr

from prospect.registry.applicability import input_warnings, same_evidence, training_values
from prospect.registry.schema import schema_from_cube


def _cube(values: np.ndarray, fingerprint: str | None) -> xr.Dataset:
    attrs = {"units": "1"} | ({"prospect_fingerprint": fingerprint} if fingerprint else {})
    da = xr.DataArray(values.astype("float32"), dims=("y", "x"), attrs=attrs)
    return xr.Dataset({"clay": da.chunk({"y": 16, "x": 16})})


def _schema(cube: xr.Dataset, rows: np.ndarray) -> dict:
    schema = schema_from_cube(cube, ["clay"])
    schema["variables"][0]["training"] = training_values(rows, ["clay"])["clay"]
    return schema


def test_the_schema_records_each_variables_fingerprint() -> None:
    rng = np.random.default_rng(1)
    cube = _cube(100 * rng.random((64, 64)), "abc123")
    assert schema_from_cube(cube, ["clay"])["variables"][0]["fingerprint"] == "abc123"
    assert "fingerprint" not in schema_from_cube(_cube(rng.random((8, 8)), None),
                                                 ["clay"])["variables"][0]


def test_a_variable_with_the_training_fingerprint_is_not_compared() -> None:
    """The same values under the recorded fingerprint are skipped (they are what training
    saw); under another fingerprint, or none, the percent-vs-fraction change is named."""
    rng = np.random.default_rng(2)
    percent = 100 * rng.random((64, 64))
    schema = _schema(_cube(percent, "made-from-a"), percent.reshape(-1, 1)[::7])
    fraction = percent / 100.0
    same = _cube(fraction, "made-from-a")
    assert same_evidence(same["clay"], schema["variables"][0])
    assert input_warnings(same, schema) == []
    for other in (_cube(fraction, "made-from-b"), _cube(fraction, None)):
        assert not same_evidence(other["clay"], schema["variables"][0])
        lines = input_warnings(other, schema)
        assert len(lines) == 1 and "spread is" in lines[0], lines


def test_a_schema_without_fingerprints_is_still_compared() -> None:
    """Models saved before the fingerprint was recorded: compared as before."""
    rng = np.random.default_rng(3)
    percent = 100 * rng.random((64, 64))
    schema = _schema(_cube(percent, None), percent.reshape(-1, 1)[::7])
    assert "fingerprint" not in schema["variables"][0]
    lines = input_warnings(_cube(percent / 100.0, "made-from-a"), schema)
    assert len(lines) == 1 and "percent vs fraction" in lines[0]


def test_non_square_cells_are_named_not_none() -> None:
    """Before: a cube of 10 x 20 m cells was refused with "resolution: cube is None"."""
    from prospect.registry.schema import schema_differences

    da = xr.DataArray(np.zeros((4, 4), "float32"), dims=("y", "x"),
                      coords={"y": 100.0 - 20.0 * np.arange(4), "x": 10.0 * np.arange(4)})
    cube = xr.Dataset({"clay": da}).rio.write_crs("EPSG:28992")
    lines = schema_differences(cube, {"crs": "EPSG:28992", "resolution": 10.0,
                                      "variables": [{"name": "clay"}]})
    assert any("resolution: cube is 10 x 20 (cells not square" in line for line in lines), lines
    assert not any("None" in line for line in lines), lines
