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


def test_consolidated_metadata_is_the_indented_root_with_every_variable_inlined(
        tmp_path: Path) -> None:
    """consolidate() builds its text from cached parts; it must be exactly what
    ``json.dumps(root, indent=2)`` gives with the children inlined, and follow a child's
    rewrite."""
    import numpy as np
    import xarray as xr

    from prospect.io.cube import add_variables, consolidate

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=(0, 0, 40, 40), chunks=(2, 2))
    cube = create_cube(tmp_path / "c.zarr", grid, attrs=synthetic_attr(True))
    like = open_cube(cube)
    add_variables(cube, xr.Dataset({
        "a": (("y", "x"), np.ones(grid.shape, "f4"), {"units": "1", "valid_range": [0.0, 1.0]}),
        "b": (("y", "x"), np.full(grid.shape, np.nan, "f4"), {"note": "ünïcode \n line"}),
    }, coords={"y": like.y, "x": like.x}))

    def expected() -> str:
        root = json.loads((cube / "zarr.json").read_text())
        children = {p.name: json.loads((p / "zarr.json").read_text())
                    for p in sorted(cube.iterdir()) if (p / "zarr.json").is_file()}
        root["consolidated_metadata"] = {"kind": "inline", "must_understand": False,
                                         "metadata": children}
        return json.dumps(root, indent=2, allow_nan=True)

    consolidate(cube)
    assert (cube / "zarr.json").read_text() == expected()
    meta = json.loads((cube / "b" / "zarr.json").read_text())
    meta["attributes"]["note"] = "changed"
    (cube / "b" / "zarr.json").write_text(json.dumps(meta, indent=2))
    consolidate(cube)
    assert (cube / "zarr.json").read_text() == expected()
    assert open_cube(cube)["b"].attrs["note"] == "changed"


@pytest.mark.parametrize("grid_attr", ["{nope", 5, '{"chunks": "x", "name": 7}', None])
def test_a_damaged_grid_attribute_reads_from_the_arrays(tmp_path: Path, grid_attr) -> None:
    """Before: a 'grid' attribute that was not JSON ended every later stage in
    'internal error: JSONDecodeError'; it only adds the chunk shape and the name, which
    the arrays and the 'region' attribute also hold."""
    import numpy as np
    import xarray as xr

    from prospect.io.cube import add_variables, cube_grid

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=(0, 0, 40, 40), chunks=(2, 2),
                      name="bonaire")
    cube = create_cube(tmp_path / "c.zarr", grid, attrs={"region": "bonaire"})
    like = open_cube(cube)
    add_variables(cube, xr.Dataset({"a": (("y", "x"), np.ones(grid.shape, "f4"))},
                                   coords={"y": like.y, "x": like.x}))
    assert cube_grid(open_cube(cube)) == grid
    meta = json.loads((cube / "zarr.json").read_text())
    for attrs in (meta["attributes"],):
        if grid_attr is None:
            attrs.pop("grid", None)
        else:
            attrs["grid"] = grid_attr
    (cube / "zarr.json").write_text(json.dumps(meta))
    again = cube_grid(open_cube(cube))
    assert (again.chunks, again.name, again.shape, again.crs) == \
        (grid.chunks, "bonaire", grid.shape, grid.crs)
