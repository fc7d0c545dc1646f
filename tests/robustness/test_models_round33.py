"""Round 33, models: point surfaces of a cube reprojected by another tool (rioxarray) read
as measured on the grid it was written to, the fix a distance-frame difference names, and
Web Mercator contact and fault distances of before round 32 (stretched metres) never
compared with those measured on the ground since.

Every cube here is SYNTHETIC (written into ``tmp_path`` as ingest writes one, then, for the
cubes "reprojected by another tool", warped with rioxarray and written with xarray, which
keep the cube's attributes and its ``grid`` record).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xarray as xr

from prospect.errors import SchemaMismatchError
from prospect.grid import RegionGrid
from prospect.io.cube import open_cube
from prospect.registry.schema import (
    align_to_schema,
    check_schema,
    schema_differences,
    schema_from_cube,
)
from tests.robustness.conftest import plan_vector_cells
from tests.robustness.test_models_round31b import GROUND, _surface_cube  # SYNTHETIC
from tests.robustness.test_models_round32 import DEGREES, UTM31

MERCATOR_TILE = RegionGrid(
    name="merc33",
    crs="EPSG:3857",
    resolution=100.0,
    bounds=(556000, 6800000, 558000, 6802000),
    chunks=(20, 20),
)
"""20 x 20 cells of Web Mercator at 52 N (1.62 of its metres to a metre on the ground)."""
UTM31_TILE = RegionGrid(
    name="utm33",
    crs="EPSG:32631",
    resolution=100.0,
    bounds=(640000, 5762000, 642000, 5764000),
    chunks=(20, 20),
)
"""20 x 20 cells of UTM 31N over the same ground."""


def _rioxarray_copy(source: Path, target: Path, crs: str, resolution: float) -> xr.Dataset:
    """``source`` reprojected with rioxarray and written with xarray, as a user's script
    does outside Prospect: the attributes (and the ``grid`` record of the cube's own grid)
    travel with it; opened as Prospect opens a cube."""
    import rioxarray  # noqa: F401  (the .rio accessor)

    ds = xr.open_zarr(source, consolidated=True)
    warped = ds.rio.reproject(crs, resolution=resolution)
    for name in warped.data_vars:
        warped[name].encoding = {}
    warped.to_zarr(target, zarr_format=3, consolidated=True)
    return open_cube(target)


@pytest.fixture(scope="module")
def cubes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An IDW surface in degrees at 52 N weighed by degrees (before round 31) and on the
    ground (now), each reprojected by rioxarray to UTM 31N (the model's CRS) and to UTM
    32N (another), and the schema of a model trained on a UTM 31N cube (ground)."""
    root = tmp_path_factory.mktemp("models33")
    out: dict[str, Any] = {
        "schema": schema_from_cube(_surface_cube(root / "utm.zarr", None, UTM31), ["wells_li"])
    }
    for frame, distances in (("before", None), ("ground", GROUND)):
        _surface_cube(root / f"{frame}.zarr", distances, DEGREES)
        out[frame] = open_cube(root / f"{frame}.zarr")
        out[f"{frame}_31"] = _rioxarray_copy(
            root / f"{frame}.zarr", root / f"{frame}_31.zarr", "EPSG:32631", 100.0
        )
        out[f"{frame}_32"] = _rioxarray_copy(
            root / f"{frame}.zarr", root / f"{frame}_32.zarr", "EPSG:32632", 100.0
        )
    return out


def _frame_lines(cube: xr.Dataset, schema: dict[str, Any]) -> list[str]:
    return [d for d in schema_differences(cube, schema) if "measured its distances" in d]


def test_a_surface_weighed_by_degrees_reprojected_by_another_tool_is_refused(
    cubes: dict[str, Any],
) -> None:
    """A cube of before round 31 in degrees (its IDW surface weighed by degrees),
    reprojected with rioxarray to the model's UTM 31N and scored with a model of a UTM
    cube (metres on the ground): no ``point_surface_frame`` (that is the warp of
    ``--reproject``'s), so the surface was read as measured on UTM's ground, passed the
    schema check and made a map from other values than the model's, exit 0. Now the
    cube's ``grid`` record (EPSG:4326) says where its layers were computed: refused,
    naming the degrees of EPSG:4326 and the fix (re-ingest the cube)."""
    cube, schema = cubes["before_31"], cubes["schema"]
    assert str(cube.rio.crs) == "EPSG:32631"  # in the model's CRS and cells
    with pytest.raises(SchemaMismatchError) as err:
        check_schema(cube, schema)
    text = " ".join(str(err.value).split())
    assert "variable 'wells_li': ingest measured its distances" in text, text
    assert "degrees" in text and "EPSG:4326, before it was reprojected" in text, text
    assert "re-ingest the cube with this Prospect" in text, text


def test_a_surface_reprojected_by_another_tool_then_by_prospect_is_refused(
    cubes: dict[str, Any],
) -> None:
    """The same cube reprojected with rioxarray to UTM 32N, then scored with
    ``--reproject`` (``align_to_schema`` to the UTM 31N model): the warp recorded the
    frame of UTM 32N (the ground's) as the surface's own, and the map was scored without
    a word. Now it records the frame of the grid the surface was computed on (degrees)."""
    aligned = align_to_schema(cubes["before_32"], cubes["schema"])
    (line,) = _frame_lines(aligned, cubes["schema"])
    assert "degrees" in line and "before it was reprojected" in line, line


def test_a_cube_of_before_is_told_to_be_ingested_again_not_the_model_retrained(
    cubes: dict[str, Any],
) -> None:
    """A model of a cube ingested now (UTM 31N: the ground's metres) and a cube of before
    round 31 in degrees (weighed by degrees), without ``--reproject``: the fix said
    "retrain the model on this cube (this Prospect's ingest measures as the cube does)",
    which this Prospect's ingest does not (it weighs by the ground now), and a partner's
    registry model cannot be retrained without its labels. Now the line names the fix of
    the side that is of before: re-ingest the cube."""
    with pytest.raises(SchemaMismatchError) as err:
        check_schema(cubes["before"], cubes["schema"])
    text = " ".join(str(err.value).split())
    assert "re-ingest the cube with this Prospect" in text, text
    assert "this Prospect's ingest measures as the cube does" not in text, text


@pytest.mark.parametrize("copy", ["ground_31", "ground_32"])
def test_a_surface_on_the_ground_reprojected_by_another_tool_is_scored(
    cubes: dict[str, Any], copy: str
) -> None:
    """Control: a surface ingested now (on the ground, recorded), reprojected with
    rioxarray to the model's CRS, or to another and then by ``--reproject``: the same
    frame as the model's, no difference."""
    cube = cubes[copy]
    if copy.endswith("32"):
        cube = align_to_schema(cube, cubes["schema"])
    assert schema_differences(cube, cubes["schema"]) == []


def test_a_cube_in_its_own_crs_keeps_its_frame(cubes: dict[str, Any]) -> None:
    """Control: the cubes in their own CRS (their ``grid`` record is their own grid)
    compare as before: the surface on the ground differs from the UTM model in CRS and
    resolution only."""
    assert _frame_lines(cubes["ground"], cubes["schema"]) == []
    assert all("measured" not in d for d in schema_differences(cubes["ground"], cubes["schema"]))


# -- contact and fault distances of a Web Mercator region ----------------------------------


def _geology_cube(path: Path, grid: Any, geology: Path, *, before: bool) -> xr.Dataset:
    """A SYNTHETIC cube of ``geology_dist_fault`` and ``geology_dist_contact`` as ingest
    plans them on ``grid`` (their real attributes and provenance); ``before``: as ingest
    recorded them before round 32, in the grid's own metres (no ``distances``)."""
    import json

    from prospect.io.cube import add_variables, create_cube

    layers, _ = plan_vector_cells(
        geology,
        grid,
        layer="units",
        attribute="unit",
        faults_layer="faults",
        distance_to_contacts=True,
    )
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    out = {}
    for name in ("geology_dist_fault", "geology_dist_contact"):
        layer, cells = layers[name]
        attrs = layer.attrs()
        if before:
            prov = json.loads(attrs["provenance"])
            prov.pop("distances", None)
            attrs["provenance"] = json.dumps(prov, sort_keys=True)
        out[name] = xr.DataArray(
            cells.astype("f4"), dims=("y", "x"), coords={"y": like.y, "x": like.x}, attrs=attrs
        )
    add_variables(path, xr.Dataset(out))
    return open_cube(path)


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A geology map (two units, one fault) in Web Mercator at 52 N, and cubes of its
    distances on a Web Mercator grid ingested before round 32 and now, and on UTM 31N."""
    import geopandas as gpd
    from shapely.geometry import LineString, box

    root = tmp_path_factory.mktemp("faults33")
    geology = root / "geology.gpkg"
    gpd.GeoDataFrame(
        {"unit": ["andesite", "basalt"]},
        geometry=[
            box(540_000, 6_780_000, 561_000, 6_820_000),
            box(561_000, 6_780_000, 580_000, 6_820_000),
        ],
        crs="EPSG:3857",
    ).to_file(geology, layer="units")
    gpd.GeoDataFrame(
        {"name": ["f1"]},
        geometry=[LineString([(557_000, 6_799_000), (563_000, 6_807_000)])],
        crs="EPSG:3857",
    ).to_file(geology, layer="faults")
    return {
        "before": _geology_cube(root / "before.zarr", MERCATOR_TILE, geology, before=True),
        "now": _geology_cube(root / "now.zarr", MERCATOR_TILE, geology, before=False),
        "utm": _geology_cube(root / "utm.zarr", UTM31_TILE, geology, before=False),
    }


@pytest.mark.parametrize(("trained", "scored"), [("before", "now"), ("now", "before")])
def test_web_mercator_fault_distances_of_before_and_now_are_refused(
    faults: dict[str, Any], trained: str, scored: str
) -> None:
    """Ingest measures a Web Mercator region's contact and fault distances on the ground
    since round 32 (recorded in their provenance's ``distances``), before in Web
    Mercator's own metres, 1.62 times the ground's at 52 N: under the same names, units
    (``m``) and map, other values. The schema check compared the frame of point surfaces
    only, so a model of a cube of before scored on a cube ingested now (or the reverse)
    passed and made a map from distances 1.6 times off, exit 0 (the input comparison's
    spread factor of 10 does not see 1.6). Now each layer's line names both frames and
    the side to redo."""
    schema = schema_from_cube(faults[trained], ["geology_dist_fault", "geology_dist_contact"])
    with pytest.raises(SchemaMismatchError) as err:
        check_schema(faults[scored], schema)
    text = " ".join(str(err.value).split())
    for name in ("geology_dist_fault", "geology_dist_contact"):
        assert f"variable '{name}': ingest measured its distances" in text, text
    assert "metres on the ground" in text and "in the grid's own coordinates" in text, text
    fix = "re-ingest the cube" if scored == "before" else "retrain the model on this cube"
    assert fix in text, text


@pytest.mark.parametrize("frame", ["before", "now"])
def test_fault_distances_with_a_model_of_their_own_cube_are_scored(
    faults: dict[str, Any], frame: str
) -> None:
    """Control: a model of the same cube (before with before, now with now): no
    difference."""
    cube = faults[frame]
    schema = schema_from_cube(cube, ["geology_dist_fault", "geology_dist_contact"])
    assert schema_differences(cube, schema) == []


@pytest.mark.parametrize(("model", "refused"), [("now", False), ("before", True)])
def test_utm_fault_distances_reprojected_to_a_web_mercator_model(
    faults: dict[str, Any], model: str, refused: bool
) -> None:
    """Control: a UTM 31N cube's fault and contact distances (the ground's metres)
    reprojected with ``--reproject`` to a Web Mercator model ingested now (on the
    ground): one frame, no difference. To a model of before (Web Mercator's stretched
    metres) they are refused."""
    schema = schema_from_cube(faults[model], ["geology_dist_fault", "geology_dist_contact"])
    aligned = align_to_schema(faults["utm"], schema)
    lines = _frame_lines(aligned, schema)
    assert len(lines) == (2 if refused else 0), lines


# -- a model card edited by hand -----------------------------------------------------------

SPATIAL = {
    "roc_auc": 0.7577863286555002,
    "pr_auc": 0.22984064874813379,
    "n_positive": 47.0,
    "top10_capture": 0.2765957446808511,
    "pa_intersection_pct": 74.46808510638297,
}
"""A spatial CV's figures, as the train stage writes them in the card's ``cv.metrics``."""


def _card(headline: dict[str, Any]) -> dict[str, Any]:
    """A SYNTHETIC card with the train stage's ``cv.headline`` and ``cv.metrics``."""
    from tests.robustness.test_models_round29 import TRAINED_CARD

    return {
        **TRAINED_CARD,
        "cv": {
            "scheme": "spatial_block",
            "headline": headline,
            "metrics": {"spatial_block": SPATIAL, "random": None},
        },
    }


HEADLINE = {
    "cv_spatial_roc_auc": 0.7578,
    "cv_spatial_pr_auc": 0.2298,
    "n_positive": 47,
    "top10_capture": 0.2766,
    "pa_intersection_pct": 74.4681,
}
"""The headline the train stage writes from :data:`SPATIAL` (four decimals)."""


def _resaved(model: Path, name: str, data: bytes) -> None:
    """``name`` of ``model`` written as ``data`` by hand, and every checksum again."""
    import hashlib
    import json
    import os

    for path in (model / name, model / "checksums.json"):
        os.chmod(path, 0o644)
    (model / name).write_bytes(data)
    sums = json.loads((model / "checksums.json").read_text())
    sums["files"][name] = hashlib.sha256(data).hexdigest()
    (model / "checksums.json").write_text(json.dumps(sums))


def test_a_cards_headline_edited_by_hand_is_refused(cli, tmp_path: Path) -> None:
    """SYNTHETIC: a ``card.json`` whose ``cv_spatial_roc_auc`` was edited from 0.7578 to
    0.95 and checksummed again was imported (exit 0); ``card.md`` renders the metrics
    tables, not the headline, so it said nothing, and every map's score report quoted the
    headline: "pooled 0.950". Now the headline is checked against the card's own tables
    (``consistency.part_differences``): ``prospect model import`` exits 1, naming both
    figures, and nothing is published."""
    import json

    from tests.robustness.conftest import assert_clean_error
    from tests.robustness.test_models_round29 import _saved

    model = _saved(tmp_path, _card(HEADLINE))
    card = json.loads((model / "card.json").read_text())
    card["cv"]["headline"]["cv_spatial_roc_auc"] = 0.95
    _resaved(model, "card.json", json.dumps(card).encode())
    registry = tmp_path / "registry"
    result = cli("model", "import", model, "--name", "edited", "-r", registry)
    line = assert_clean_error(result, 1, "cv_spatial_roc_auc 0.95", "roc_auc 0.7578")
    assert "edited after the model was saved" in line, line
    assert not (registry / "edited").exists()


@pytest.mark.parametrize("roc", [0.7578, 0.758])
def test_a_card_as_saved_is_imported(cli, tmp_path: Path, roc: float) -> None:
    """Control: the headline as the train stage writes it (four decimals) and as a card
    rounded to three decimals gives it: imported without a word."""
    from tests.robustness.test_models_round29 import _saved

    model = _saved(tmp_path, _card({**HEADLINE, "cv_spatial_roc_auc": roc}))
    result = cli("model", "import", model, "--name", "saved", "-r", tmp_path / "registry")
    assert result.code == 0, result.err
    assert "warning" not in result.err, result.err


def test_a_card_md_saved_in_another_encoding_is_said_and_shown(cli, tmp_path: Path) -> None:
    """SYNTHETIC: a ``card.md`` saved again by an editor in Windows-1252 (``Curaçao``),
    checksummed again: imported without a word, then ``prospect model show`` ended in
    "internal error: UnicodeDecodeError". Now the import warns (the byte and where) and
    ``model show`` shows ``card.json`` rendered under a note, exit 0."""
    from tests.robustness.test_models_round29 import _saved

    model = _saved(tmp_path, _card(HEADLINE))
    text = (model / "card.md").read_text(encoding="utf-8")
    _resaved(model, "card.md", text.replace("lithium", "lithium (Curaçao)", 1).encode("cp1252"))
    registry = tmp_path / "registry"
    imported = cli("model", "import", model, "--name", "latin", "-r", registry)
    assert imported.code == 0, imported.err
    assert "card.md is not UTF-8" in " ".join(imported.err.split()), imported.err
    shown = cli("model", "show", "latin", "-r", registry)
    assert shown.code == 0, shown.out + shown.err
    assert "internal error" not in shown.err, shown.err
    assert "Note: latin version 1: card.md is not UTF-8" in " ".join(shown.out.split())


def test_a_card_md_edited_by_hand_is_said_at_import(cli, tmp_path: Path) -> None:
    """SYNTHETIC: a ``card.md`` whose limitation was edited away (checksummed again) was
    imported without a word; only a later ``prospect model show`` noted it. Now the
    import warns, naming the line, and publishes it as it is."""
    from tests.robustness.test_models_round29 import _saved

    model = _saved(tmp_path, _card(HEADLINE))
    text = (model / "card.md").read_text(encoding="utf-8")
    edited = text.replace("metrics from few positives are noisy", "metrics are robust")
    assert edited != text
    _resaved(model, "card.md", edited.encode())
    imported = cli("model", "import", model, "--name", "md", "-r", tmp_path / "registry")
    assert imported.code == 0, imported.err
    said = " ".join(imported.err.split())
    assert "warning:" in said and "card.md does not say what card.json says" in said, said
    assert "metrics are robust" in said, said
