"""One encoding for cube metadata: the synthetic flag and provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prospect.grid import RegionGrid
from prospect.io.cube import (
    attr_text,
    create_cube,
    is_synthetic,
    open_cube,
    provenance_attr,
    read_provenance,
    synthetic_attr,
)


@pytest.mark.parametrize(("attrs", "expected"), [
    (synthetic_attr(True), True), (synthetic_attr(False), False), ({}, False),
    ({"synthetic": "true"}, True), ({"synthetic": "True"}, True), ({"synthetic": "false"}, False),
    ({"synthetic": "no"}, False), ({"provenance": '{"synthetic": true}'}, True),
    ({"provenance": "not json"}, False),
])
def test_one_reader_understands_every_writer_old_and_new(attrs, expected) -> None:
    assert is_synthetic(attrs) is expected


def test_synthetic_flag_is_a_json_boolean_in_the_cube(tmp_path: Path) -> None:
    grid = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=(0, 0, 40, 40), chunks=(2, 2))
    cube = create_cube(tmp_path / "c.zarr", grid, attrs=synthetic_attr(True))
    meta = json.loads((cube / "zarr.json").read_text())
    assert meta["attributes"]["synthetic"] is True
    assert is_synthetic(open_cube(cube).attrs)


def test_provenance_round_trips_and_text_encodings_are_lowercase() -> None:
    text = provenance_attr({"b": 1, "a": Path("x")})
    assert text == '{"a": "x", "b": 1}'
    assert read_provenance(text) == {"a": "x", "b": 1}
    assert read_provenance({"a": 1}) == {"a": 1}
    assert read_provenance(None) == read_provenance("") == {}
    assert read_provenance("oops") == {"text": "oops"}
    assert (attr_text(True), attr_text(False), attr_text(3)) == ("true", "false", "3")
