"""check_schema names each difference; align_to_schema reprojects on request."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from registry_helpers import NDVI_PROV, make_cube

from prospect.errors import ModelError, SchemaMismatchError
from prospect.grid import RegionGrid
from prospect.io.cube import open_cube
from prospect.registry import align_to_schema, check_schema, schema_differences, schema_from_cube


def test_matching_cube_passes(tmp_path: Path, schema) -> None:
    cube = open_cube(make_cube(tmp_path / "c.zarr"))
    check_schema(cube, schema)
    assert schema_differences(cube, schema) == []


def test_schema_from_cube_roundtrips(tmp_path: Path) -> None:
    cube = open_cube(make_cube(tmp_path / "c.zarr"))
    schema = schema_from_cube(cube, ["ndvi", "B04"])
    assert schema["feature_order"] == ["ndvi", "B04"]
    assert schema["crs"] == "EPSG:32619" and schema["resolution"] == 100.0
    assert schema["variables"][0]["provenance"]["formula"] == "(N - R) / (N + R)"
    assert schema["variables"][0]["dtype"] == "float32"
    check_schema(cube, schema)
    with pytest.raises(ModelError, match="nope"):
        schema_from_cube(cube, ["nope"])


def test_every_difference_gets_its_own_line(tmp_path: Path, schema) -> None:
    cube = open_cube(make_cube(tmp_path / "c.zarr", res=50.0, formula="(N - R)",
                               units_fault="km"))
    cube = cube.drop_vars("B04")
    cube["ndvi"] = cube["ndvi"].astype("int32")  # float64 gives the model its float32 values
    with pytest.raises(SchemaMismatchError) as info:
        check_schema(cube, schema)
    lines = str(info.value).splitlines()
    bullets = [line for line in lines if line.startswith("- ")]
    assert len(bullets) == 5, lines
    text = str(info.value)
    assert "resolution: cube is 50.0, model needs 100" in text
    assert "variable 'B04': missing from the cube" in text
    assert "variable 'ndvi': dtype int32, model needs float32" in text
    assert "variable 'ndvi': formula '(N - R)' in the cube" in text
    assert "variable 'dist_fault': units 'km', model needs 'm'" in text
    assert "--reproject" in lines[-1]


def test_crs_difference_is_named(tmp_path: Path, schema) -> None:
    cube = open_cube(make_cube(tmp_path / "c.zarr"))
    with pytest.raises(SchemaMismatchError, match="CRS: cube is EPSG:32619, model needs "
                                                  "EPSG:32620"):
        check_schema(cube, {**schema, "crs": "EPSG:32620"})


def test_bands_and_kind_differences(tmp_path: Path, schema) -> None:
    cube = open_cube(make_cube(tmp_path / "c.zarr"))
    variables = [dict(v) for v in schema["variables"]]
    variables[1] = {**variables[1], "provenance": {**variables[1]["provenance"],
                                                   "bands": {"N": "B8A", "R": "B04"}}}
    variables[2] = {**variables[2], "prospect_kind": "continuous"}
    diffs = schema_differences(cube, {**schema, "variables": variables})
    assert any("'ndvi': bands" in d for d in diffs), diffs
    assert any("'dist_fault': kind 'distance', model needs 'continuous'" in d for d in diffs)
    assert len(diffs) == 2


def test_align_resamples_to_model_resolution(tmp_path: Path, schema) -> None:
    cube = open_cube(make_cube(tmp_path / "c.zarr", res=50.0))
    with pytest.raises(SchemaMismatchError):
        check_schema(cube, schema)
    aligned = align_to_schema(cube, schema, resampling="average")
    check_schema(aligned, schema)
    assert aligned.sizes["y"] == 10 and aligned.sizes["x"] == 10
    # block averages of 2 x 2 cells
    src = cube["B04"].values
    want = src.reshape(10, 2, 10, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(aligned["B04"].values, want, rtol=1e-5)
    assert aligned["ndvi"].attrs["units"] == "1"


def test_align_reprojects_to_model_crs(tmp_path: Path, schema) -> None:
    cube = open_cube(make_cube(tmp_path / "c.zarr"))
    target = {**schema, "crs": "EPSG:32620"}
    aligned = align_to_schema(cube, target)
    check_schema(aligned, target)
    assert np.isfinite(aligned["B04"].values).mean() > 0.5
    assert aligned["B04"].attrs["resampled_from"] == "EPSG:32619 at 100"
    assert aligned["B04"].attrs["resampling"] == "bilinear"


@pytest.mark.parametrize("method", ["nearest", "bilinear"])
def test_chunked_reprojection_equals_whole_array_gdal(tmp_path: Path, method: str) -> None:
    """Warping chunk by chunk from source windows gives what one whole-array warp gives."""
    from rasterio.enums import Resampling

    from prospect.io.cube import cube_grid
    from prospect.io.warp import reproject_variable, target_grid

    cube = open_cube(make_cube(tmp_path / "c.zarr"))
    src = cube_grid(cube)
    dst = target_grid(src, crs="EPSG:32620", resolution=70.0, chunks=(7, 9))
    lazy = reproject_variable(cube["B04"].data, src, dst, resampling=Resampling[method])
    assert lazy.chunks[0][0] == 7 and lazy.chunks[1][0] == 9 and lazy.shape == dst.shape
    whole = cube["B04"].load().rio.write_nodata(np.nan, encoded=False).rio.reproject(
        dst.crs, transform=dst.transform, shape=dst.shape, resampling=Resampling[method],
    ).values
    got = lazy.compute()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(whole))
    # GDAL's approximate transformer (0.125 px error) interpolates per warped window, so
    # bilinear values may differ in the 5th digit between window shapes; nearest is exact.
    atol = 0.0 if method == "nearest" else 2e-4
    np.testing.assert_allclose(got, whole, rtol=0, atol=atol, equal_nan=True)
    assert np.isfinite(got).mean() > 0.3


def test_align_unknown_resampling(tmp_path: Path, schema) -> None:
    cube = open_cube(make_cube(tmp_path / "c.zarr", res=50.0))
    with pytest.raises(ModelError, match="unknown resampling 'cubicle'"):
        align_to_schema(cube, schema, resampling="cubicle")


VARS = ["B04", "ndvi", "dist_fault"]


@settings(max_examples=30, deadline=None)
@given(drop=st.sets(st.sampled_from(VARS)), units=st.sets(st.sampled_from(VARS)),
       formula=st.booleans())
def test_one_line_per_difference(drop: set[str], units: set[str], formula: bool) -> None:
    """Property: the refusal has exactly one line per changed fact, naming the variable."""
    from prospect.io.cube import grid_template
    from prospect.testing import float_layer

    grid = RegionGrid("EPSG:32619", 100.0, (560000, 1330000, 561000, 1331000), chunks=(5, 5))
    like = grid_template(grid)
    schema_vars = []
    layers = {}
    for name in VARS:
        prov = dict(NDVI_PROV) if name == "ndvi" else {"source": "x"}
        schema_vars.append({"name": name, "units": "1", "dtype": "float32",
                            "prospect_kind": "continuous", "provenance": prov})
        if name in drop:
            continue
        have_prov = {**prov, "formula": "N / R"} if (formula and name == "ndvi") else prov
        layers[name] = float_layer(np.zeros(grid.shape), name=name, like=like,
                                   units="m" if name in units else "1", long_name=name,
                                   provenance=have_prov)
    cube = like.assign(layers)
    schema = {"variables": schema_vars, "crs": "EPSG:32619", "resolution": 100.0,
              "feature_order": VARS}
    diffs = schema_differences(cube, schema)
    expected = len(drop) + len(units - drop) + int(formula and "ndvi" not in drop)
    assert len(diffs) == expected, diffs
    for name in drop:
        assert f"variable {name!r}: missing from the cube" in diffs
    if expected:
        with pytest.raises(SchemaMismatchError) as info:
            check_schema(cube, schema)
        assert sum(line.startswith("- ") for line in str(info.value).splitlines()) == expected
    else:
        check_schema(cube, schema)
