"""A categorical variable's code table is part of the input schema: renumbered codes are refused."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import xarray as xr

from prospect.errors import SchemaMismatchError
from prospect.registry import check_schema, schema_differences, schema_from_cube

TRAINING_UNITS = ("alluvium", "andesite", "diabase", "limestone")


def geology_cube(units: tuple[str, ...], *, with_table: bool = True) -> xr.Dataset:
    """A 4 x 4 cube with a ``geology`` code layer numbered like ingest (sorted names)."""
    codes = np.arange(16, dtype="int16").reshape(4, 4) % len(units)
    attrs: dict[str, object] = {"units": "1", "prospect_kind": "categorical"}
    if with_table:
        attrs |= {
            "categories": json.dumps({str(i): u for i, u in enumerate(units)}),
            "flag_values": list(range(len(units))),
            "flag_meanings": " ".join(u.replace(" ", "_") for u in units),
        }
    slope = xr.DataArray(np.linspace(0, 1, 16, dtype="float32").reshape(4, 4),
                         dims=("y", "x"), attrs={"units": "1", "prospect_kind": "continuous"})
    return xr.Dataset({"geology": xr.DataArray(codes, dims=("y", "x"), attrs=attrs),
                       "slope": slope})


@pytest.fixture
def schema() -> dict[str, Any]:
    return schema_from_cube(geology_cube(TRAINING_UNITS), ["geology", "slope"])


def test_schema_records_the_code_table(schema: dict[str, Any]) -> None:
    geology, slope = schema["variables"]
    assert geology["categories"] == {"0": "alluvium", "1": "andesite", "2": "diabase",
                                     "3": "limestone"}
    assert "categories" not in slope


def test_same_table_passes(schema: dict[str, Any]) -> None:
    cube = geology_cube(TRAINING_UNITS)
    assert schema_differences(cube, schema) == []
    check_schema(cube, schema)


def test_renamed_unit_that_reorders_codes_is_refused(schema: dict[str, Any]) -> None:
    renamed = tuple(sorted(("recent alluvium", "andesite", "diabase", "limestone")))
    with pytest.raises(SchemaMismatchError) as err:
        check_schema(geology_cube(renamed), schema)
    msg = str(err.value)
    assert "variable 'geology'" in msg
    assert "code 0 was 'alluvium', is 'andesite'" in msg
    assert "code 3 was 'limestone', is 'recent alluvium'" in msg
    assert "re-ingest" in msg and "retrain" in msg
    assert "slope" not in msg


def test_missing_code_is_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(SchemaMismatchError, match="code 3 was 'limestone', is not in"):
        check_schema(geology_cube(TRAINING_UNITS[:3]), schema)


def test_cube_without_a_table_is_refused_when_the_model_has_one(
    schema: dict[str, Any],
) -> None:
    with pytest.raises(SchemaMismatchError, match="'geology': the cube records no code table"):
        check_schema(geology_cube(TRAINING_UNITS, with_table=False), schema)


def test_added_codes_with_old_codes_unchanged_pass(schema: dict[str, Any]) -> None:
    cube = geology_cube((*TRAINING_UNITS, "zeolite tuff"))
    assert schema_differences(cube, schema) == []
    check_schema(cube, schema)


def test_old_schema_without_tables_passes(schema: dict[str, Any]) -> None:
    old = json.loads(json.dumps(schema))
    for variable in old["variables"]:
        variable.pop("categories", None)
    renamed = tuple(sorted(("recent alluvium", "andesite", "diabase", "limestone")))
    check_schema(geology_cube(renamed), old)  # no table recorded: checked as before
    check_schema(geology_cube(TRAINING_UNITS, with_table=False), old)


def test_unused_variable_table_is_not_checked() -> None:
    schema = schema_from_cube(geology_cube(TRAINING_UNITS), ["slope"])
    check_schema(geology_cube(("basalt", "chert")), schema)
