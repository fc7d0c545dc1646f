"""Round 32, models: a model's grid warped from integer layers, and point surfaces of a cube
in degrees reprojected to a projected model.

Every cube here is SYNTHETIC (written into ``tmp_path`` as ingest writes one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from prospect.features import FeatureSpec, build_stack
from prospect.grid import RegionGrid
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.registry.schema import align_to_schema, schema_differences, schema_from_cube
from tests.robustness.test_models_round31b import GROUND, _surface_cube  # SYNTHETIC

UTM19 = RegionGrid(
    name="r32",
    crs="EPSG:32619",
    resolution=100.0,
    bounds=(560000, 1330000, 562000, 1332000),
    chunks=(10, 10),
)
"""A 20 x 20 grid on Bonaire; its model is in UTM 20N (a reprojected score)."""


def _integer_cube(path: Path) -> xr.Dataset:
    """A SYNTHETIC cube of integer layers that state no ``_FillValue``: ``elev`` (int16
    metres, values 0..49 with -1 among them), ``geol`` (uint8 codes 0..2), ``geol16``
    (int16 codes 0..2), and ``geol_fill`` (uint8 codes stating a fill of 9)."""
    create_cube(path, UTM19, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(32)
    coords = {"y": like.y, "x": like.x}
    table = json.dumps({"0": "alluvium", "1": "andesite", "2": "basalt"})

    def layer(values: np.ndarray, **attrs: Any) -> xr.DataArray:
        return xr.DataArray(values, dims=("y", "x"), coords=coords, attrs=attrs)

    elev = rng.integers(0, 50, UTM19.shape).astype("int16")
    elev[5, 5] = -1  # a real elevation of -1 m
    codes = rng.integers(0, 3, UTM19.shape)
    add_variables(
        path,
        xr.Dataset(
            {
                "elev": layer(elev, units="m", prospect_kind="continuous"),
                "geol": layer(
                    codes.astype("uint8"), units="1", prospect_kind="categorical", categories=table
                ),
                "geol16": layer(
                    codes.astype("int16"), units="1", prospect_kind="categorical", categories=table
                ),
                "geol_fill": layer(
                    codes.astype("uint8"),
                    units="1",
                    prospect_kind="categorical",
                    categories=table,
                    _FillValue=9,
                ),
            }
        ),
    )
    return open_cube(path)


@pytest.fixture(scope="module")
def integers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The integer cube, its model's schema in UTM 20N, and the cube aligned to it."""
    cube = _integer_cube(tmp_path_factory.mktemp("ints32") / "c.zarr")
    names = ["elev", "geol", "geol16", "geol_fill"]
    schema = {**schema_from_cube(cube, names), "crs": "EPSG:32620"}
    return {"cube": cube, "schema": schema, "aligned": align_to_schema(cube, schema)}


def _stacked(aligned: xr.Dataset, name: str, categorical: bool) -> np.ndarray:
    spec = FeatureSpec(
        variables=(name,), categorical=(name,) if categorical else (), resolution=100.0
    )
    return np.asarray(build_stack(aligned, spec).values[0])


@pytest.fixture(scope="module")
def outside(integers: dict[str, Any]) -> np.ndarray:
    """The model grid's cells no cube cell lies under: NaN in a float copy warped alike."""
    cube = integers["cube"]
    floats = cube[["elev"]].astype("f4")
    floats["elev"].attrs = {"units": "m", "prospect_kind": "continuous"}
    schema = {**integers["schema"], "feature_order": ["elev"]}
    mask = np.isnan(align_to_schema(floats, schema)["elev"].values)
    assert 0 < mask.sum() < mask.size
    return mask


@pytest.mark.parametrize(("name", "categorical"), [("elev", False), ("geol", True)])
def test_an_integer_layer_warped_onto_a_model_grid_has_no_value_outside_the_cube(
    integers: dict[str, Any], outside: np.ndarray, name: str, categorical: bool
) -> None:
    """An int16 layer of values (``elev``) or a uint8 code table (``geol``) stating no
    ``_FillValue``, warped onto a model in another CRS (``prospect score --reproject``):
    the cells outside the cube got the warp's fill (-1, or 255 for uint8) without it
    being recorded, and the feature stack scored them as an elevation of -1 m and a
    class 255: a map over ground the cube never covered, exit 0. Now the fill is recorded
    (``_FillValue``) and the stack gives NaN there."""
    aligned = integers["aligned"]
    assert "_FillValue" in aligned[name].attrs, aligned[name].attrs
    stacked = _stacked(aligned, name, categorical)
    assert np.isnan(stacked[outside]).all(), np.unique(stacked[outside])
    assert np.isfinite(stacked[~outside]).all()


def test_an_int16_layer_keeps_its_real_minus_one(integers: dict[str, Any]) -> None:
    """Control: an elevation of -1 m stays a value in the stack (the recorded fill of a
    layer of values is its type's extreme, -32768, not the -1 the warp filled it with)."""
    aligned = align_to_schema(integers["cube"], integers["schema"], resampling="nearest")
    stacked = _stacked(aligned, "elev", False)
    assert (stacked == -1.0).any()


@pytest.mark.parametrize("name", ["geol16", "geol_fill"])
def test_integer_codes_with_a_known_fill_keep_it(
    integers: dict[str, Any], outside: np.ndarray, name: str
) -> None:
    """Control: int16 codes (the -1 convention) and codes stating their fill (read as
    floats with NaN) have no value outside the cube; the cells inside keep their codes."""
    aligned = integers["aligned"]
    stacked = _stacked(aligned, name, True)
    assert np.isnan(stacked[outside]).all()
    assert set(np.unique(stacked[~outside])) <= {0.0, 1.0, 2.0}


def test_a_cube_already_on_the_model_grid_is_not_changed(integers: dict[str, Any]) -> None:
    """Control: a cube on the model's grid is returned as it is (no fill recorded)."""
    cube = integers["cube"]
    schema = schema_from_cube(cube, ["elev", "geol"])
    same = align_to_schema(cube, schema)
    assert "_FillValue" not in same["elev"].attrs
    np.testing.assert_array_equal(same["elev"].values, cube["elev"].values)


# -- point surfaces of a cube in degrees reprojected to a projected model ----------------------

DEGREES = RegionGrid(
    name="deg", crs="EPSG:4326", resolution=0.002, bounds=(5.0, 52.0, 5.08, 52.04), chunks=(20, 20)
)
UTM31 = RegionGrid(
    name="utm",
    crs="EPSG:32631",
    resolution=100.0,
    bounds=(640000, 5762000, 646000, 5767000),
    chunks=(20, 20),
)
MERCATOR = RegionGrid(
    name="merc",
    crs="EPSG:3857",
    resolution=100.0,
    bounds=(556000, 6800000, 566000, 6806000),
    chunks=(20, 20),
)


@pytest.fixture(scope="module")
def surfaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The IDW surface in degrees measured by degrees (before round 31) and on the ground
    (now), in Web Mercator's own metres (before), and a UTM model's schema."""
    root = tmp_path_factory.mktemp("frames32")
    utm = _surface_cube(root / "utm.zarr", None, UTM31)
    return {
        "before": _surface_cube(root / "before.zarr", None, DEGREES),
        "ground": _surface_cube(root / "ground.zarr", GROUND, DEGREES),
        "mercator": _surface_cube(root / "merc.zarr", None, MERCATOR),
        "schema": schema_from_cube(utm, ["wells_li"]),
    }


def _frame_lines(cube: xr.Dataset, schema: dict[str, Any]) -> list[str]:
    return [d for d in schema_differences(cube, schema) if "measured its distances" in d]


@pytest.mark.parametrize("scored", ["before", "mercator"])
def test_a_surface_weighed_by_degrees_reprojected_to_a_utm_model_is_refused(
    surfaces: dict[str, Any], scored: str
) -> None:
    """An IDW surface a Prospect before round 31 weighed by degrees (or by Web Mercator's
    stretched metres), scored with a model trained on a UTM cube (metres on the ground)
    with ``--reproject``: the frames were compared only within one CRS, and after the
    warp both sides were in UTM, so the map was made from other values than the model's
    without a word, exit 0. Now the warp records the frame of the cube's own grid and
    the schema check names it."""
    aligned = align_to_schema(surfaces[scored], surfaces["schema"])
    lines = _frame_lines(aligned, surfaces["schema"])
    assert len(lines) == 1, schema_differences(aligned, surfaces["schema"])
    text = lines[0]
    assert "before it was reprojected" in text and "on the ground" in text, text
    assert ("degrees" if scored == "before" else "not the ground's") in text, text


def test_a_surface_on_the_ground_reprojected_to_a_utm_model_is_scored(
    surfaces: dict[str, Any],
) -> None:
    """A surface ingested now (on the ground) in degrees, reprojected to a UTM model (its
    metres the ground's): refused as "measured in another frame" with the advice to
    retrain, the same frame. Now no difference."""
    aligned = align_to_schema(surfaces["ground"], surfaces["schema"])
    assert schema_differences(aligned, surfaces["schema"]) == []


def test_a_surface_weighed_by_degrees_against_a_utm_model_names_its_frame(
    surfaces: dict[str, Any],
) -> None:
    """Without reprojection, the surface weighed by degrees was said to differ from the
    UTM model in CRS and resolution only: the fix offered (``--reproject``) then scored
    it without a word. Now its frame is named too, in each grid's terms; the surface on
    the ground still differs in CRS and resolution only."""
    schema = surfaces["schema"]
    assert _frame_lines(surfaces["ground"], schema) == []
    (line,) = _frame_lines(surfaces["before"], schema)
    assert "degrees" in line and "EPSG:4326" in line and "EPSG:32631" in line, line


@pytest.mark.parametrize("frame", ["before", "ground"])
def test_a_surface_in_its_own_frame_and_crs_is_scored(surfaces: dict[str, Any], frame: str) -> None:
    """Control: a surface scored with a model of its own cube has no difference."""
    cube = surfaces[frame]
    assert schema_differences(cube, schema_from_cube(cube, ["wells_li"])) == []


def test_a_utm_surface_reprojected_to_another_utm_model_is_scored(
    tmp_path: Path, surfaces: dict[str, Any]
) -> None:
    """Control: a UTM 32N cube's surface (the ground's metres) reprojected to the UTM 31N
    model: the same frame, no difference."""
    grid = RegionGrid(
        name="u32",
        crs="EPSG:32632",
        resolution=100.0,
        bounds=(228000, 5762000, 234000, 5767000),
        chunks=(20, 20),
    )
    cube = _surface_cube(tmp_path / "u32.zarr", None, grid)
    aligned = align_to_schema(cube, surfaces["schema"])
    assert _frame_lines(aligned, surfaces["schema"]) == []


def test_a_code_table_of_every_uint8_code_is_refused_with_the_fix(tmp_path: Path) -> None:
    """A uint8 code table naming all 256 codes and no ``_FillValue``, warped to a model in
    another CRS: its fill (255) was a class the model was trained on, the cells outside the
    cube scored as that class, exit 0. Now refused: no code is left to mark them, with
    the fix (a no-data code, a wider type, or a cube on the model's grid)."""
    from prospect.errors import ModelError

    path = tmp_path / "c.zarr"
    create_cube(path, UTM19, attrs={"synthetic": True})
    like = open_cube(path)
    codes = np.arange(UTM19.shape[0] * UTM19.shape[1]).reshape(UTM19.shape) % 256
    table = json.dumps({str(c): f"unit {c}" for c in range(256)})
    layer = xr.DataArray(
        codes.astype("uint8"),
        dims=("y", "x"),
        coords={"y": like.y, "x": like.x},
        attrs={"units": "1", "prospect_kind": "categorical", "categories": table},
    )
    add_variables(path, xr.Dataset({"geol": layer}))
    cube = open_cube(path)
    schema = {**schema_from_cube(cube, ["geol"]), "crs": "EPSG:32620"}
    with pytest.raises(ModelError) as err:
        align_to_schema(cube, schema)
    text = str(err.value)
    assert "'geol'" in text and "every code" in text and "_FillValue" in text, text


def test_a_reprojected_integer_layers_fill_is_no_evidence(integers: dict[str, Any]) -> None:
    """The score's comparison with the training evidence read an integer layer's fill
    outside the cube as values: after a reprojected score's warp, an int16 elevation's
    fill was evidence far outside the training range and a uint8 table's a code "the
    model never saw" (warnings on every reprojected score, each wrong). Now a declared
    fill is no value there, as in the feature stack."""
    from prospect.registry.applicability import input_comparison, training_values

    cube, names = integers["cube"], ["elev", "geol"]
    rows = np.column_stack([cube[n].values.ravel().astype("f8") for n in names])
    seen = training_values(rows, names, ["geol"])
    schema = {**integers["schema"], "feature_order": names}
    schema["variables"] = [
        {**v, "training": seen[v["name"]]} for v in schema["variables"] if v["name"] in names
    ]
    aligned = align_to_schema(cube, schema)
    assert input_comparison(aligned, schema)["lines"] == []


@pytest.mark.parametrize("scored", ["before", "ground"])
def test_a_surface_reprojected_to_a_web_mercator_model_of_before(
    surfaces: dict[str, Any], scored: str
) -> None:
    """A model of a Web Mercator cube ingested before round 31 (its surface weighed by
    Web Mercator's stretched metres) scored on a cube in degrees with ``--reproject``:
    the surface weighed by degrees passed (neither side records a frame), another
    quantity again, exit 0. Now refused, as the one on the ground is (it was: control)."""
    schema = schema_from_cube(surfaces["mercator"], ["wells_li"])
    aligned = align_to_schema(surfaces[scored], schema)
    lines = _frame_lines(aligned, schema)
    assert len(lines) == 1, schema_differences(aligned, schema)
    if scored == "before":
        assert "degrees" in lines[0] and "not the ground's (of EPSG:3857)" in lines[0], lines
