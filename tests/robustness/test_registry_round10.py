"""Round 10, registry: a researcher reusing models from a registry, as a hostile or
unlucky user (``prospect model ...`` on real registries, skops files and cubes).

Each case fails on the code before the round: a registry location the command could not
open (an internal error, or the current folder), version and model labels the registry
could not tell apart, a model folder whose card, schema and estimator are of different
models, output files that replaced an existing file, export bounds, and a map without a
single scored cell published as a result. All models and cubes here are SYNTHETIC.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Outcome, assert_clean_error

FEATURES = ["a", "b", "unit"]


def _write_cube(path: Path, *, empty: str | None = None) -> Path:
    """A 20 x 20 SYNTHETIC cube: continuous ``a``, ``b`` and categorical ``unit`` codes;
    ``empty`` names a variable left without any data."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 562000.0, 1332000.0),
                      chunks=(10, 10), name="r10")
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(3)
    layers = {}
    for name in ("a", "b"):
        values = np.full(grid.shape, np.nan) if name == empty else rng.random(grid.shape)
        layers[name] = float_layer(values, name=name, units="1", long_name=name,
                                   provenance={"source": "synthetic"}, like=like)
    codes = float_layer(rng.integers(0, 3, grid.shape).astype("float32"), name="unit",
                        units="1", long_name="unit", kind="categorical",
                        provenance={"source": "synthetic"}, like=like)
    codes.attrs["categories"] = json.dumps({"0": "x", "1": "y", "2": "z"})
    layers["unit"] = codes
    add_variables(path, xr.Dataset(layers))
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A cube, and a saved model on it: a pipeline that one-hot encodes ``unit``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from prospect.features import FeatureSpec
    from prospect.io.cube import open_cube
    from prospect.registry import save_model, schema_from_cube

    root = tmp_path_factory.mktemp("r10")
    cube = _write_cube(root / "cube.zarr")
    ds = open_cube(cube)
    X = np.stack([ds[f].values.ravel() for f in FEATURES], axis=1)
    est = Pipeline([
        ("encode", ColumnTransformer(
            [("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
              [2])], remainder="passthrough", verbose_feature_names_out=False)),
        ("model", RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0)),
    ]).fit(X, (X[:, 0] > 0.5).astype(int))
    spec = FeatureSpec(variables=tuple(FEATURES), categorical=("unit",), resolution=100.0)
    schema = {**schema_from_cube(ds, FEATURES), "feature_spec": spec.to_dict(),
              "feature_names": spec.names()}
    card = {"mineral": "lithium", "synthetic": True, "limitations": ["SYNTHETIC model"]}
    model = save_model(est, root / "model", card=card, schema=schema)
    return {"root": root, "cube": cube, "model": model}


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _copy_model(world: dict[str, Path], dest: Path) -> Path:
    shutil.copytree(world["model"], dest)
    for path in dest.iterdir():
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    return dest


def _edit(model: Path, file: str, change: Any) -> None:
    """Change ``file`` (JSON) of ``model`` and checksum it again, as a hand-assembled
    model folder would be."""
    data = json.loads((model / file).read_text())
    change(data)
    (model / file).write_text(json.dumps(data))
    sums = json.loads((model / "checksums.json").read_text())
    sums["files"][file] = hashlib.sha256((model / file).read_bytes()).hexdigest()
    (model / "checksums.json").write_text(json.dumps(sums))


# -- where the registry is ---------------------------------------------------------------

@pytest.mark.parametrize("url", ["foo://models", "nosuchprotocol://bucket/models"])
def test_a_registry_url_nobody_can_open_is_one_line(cli, url: str) -> None:
    """Was ``internal error: ValueError: Protocol not known: foo`` (exit 70)."""
    assert_clean_error(cli("model", "list", "-r", url), 1, url, "-r/--registry")


@pytest.mark.parametrize("url", ["", "  "])
def test_an_empty_registry_location_is_not_the_current_folder(
    cli, world: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str,
) -> None:
    """``-r "$REG"`` with REG unset imported into (and listed) the current folder."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = cli("model", "import", world["model"], "--name", "li", "-r", url)
    assert_clean_error(result, 1, "registry location is empty", "-r/--registry")
    assert list(here.iterdir()) == []
    assert_clean_error(cli("model", "list", "-r", url), 1, "registry location is empty")


def test_a_registry_that_does_not_exist_is_not_an_empty_one(
    cli, world: dict[str, Path], tmp_path: Path,
) -> None:
    """A mistyped ``-r`` said ``no model named 'li'; models here: none``."""
    missing = tmp_path / "regsitry"
    result = cli("model", "score", "li", "-c", world["cube"], "-o", tmp_path / "s.zarr",
                 "-r", missing)
    assert_clean_error(result, 1, str(missing), "no such folder")
    listed = cli("model", "list", "-r", missing)
    assert listed.code == 0 and "no registry folder there" in " ".join(listed.out.split())
    assert not missing.exists() and not (tmp_path / "s.zarr").exists()


# -- labels the registry cannot tell apart ---------------------------------------------

@pytest.mark.parametrize("label", ["latest", "Latest"])
def test_a_version_named_latest_is_refused(
    cli, world: dict[str, Path], tmp_path: Path, label: str,
) -> None:
    """It was published, and ``-v latest`` then gave whichever version sorted last."""
    reg = tmp_path / "reg"
    result = cli("model", "import", world["model"], "--name", "li", "-v", label, "-r", reg)
    assert_clean_error(result, 1, repr(label), "newest version")
    assert not reg.exists()


@pytest.mark.parametrize(("first", "second", "needle"), [
    ("1.0", "1_0", "sorts level"), ("1", "01", "sorts level"), ("2.0", "2-0", "sorts level"),
    ("v1", "V1", "only in case"),
])
def test_versions_the_registry_cannot_tell_apart_are_refused(
    cli, world: dict[str, Path], tmp_path: Path, first: str, second: str, needle: str,
) -> None:
    """``1.0`` and ``1_0`` were both published; 'latest' was whichever the disk listed
    last (and ``v1``/``V1`` are one folder on macOS and Windows)."""
    reg = tmp_path / "reg"
    assert cli("model", "import", world["model"], "--name", "li", "-v", first,
               "-r", reg).code == 0
    result = cli("model", "import", world["model"], "--name", "li", "-v", second, "-r", reg)
    assert_clean_error(result, 1, repr(second), repr(first), needle)
    assert sorted(p.name for p in (reg / "li").iterdir()) == [first]


def test_a_model_name_differing_only_in_case_is_refused(
    cli, world: dict[str, Path], tmp_path: Path,
) -> None:
    """``LI`` beside ``li``: on a case-insensitive disk its versions landed in ``li``."""
    reg = tmp_path / "reg"
    assert cli("model", "import", world["model"], "--name", "li", "-r", reg).code == 0
    result = cli("model", "import", world["model"], "--name", "LI", "-r", reg)
    assert_clean_error(result, 1, "'LI'", "'li'", "only in case")
    # the registry's import lock (round 14) is hidden beside the models
    assert sorted(p.name for p in reg.iterdir() if p.name != ".import.lock") == ["li"]


# -- card, schema and estimator of different models -----------------------------------

def _drop_unit(schema: dict[str, Any]) -> None:
    schema["variables"] = [v for v in schema["variables"] if v["name"] != "unit"]
    for key in ("feature_order", "feature_names"):
        schema[key] = ["a", "b"]
    schema["feature_spec"].update(variables=["a", "b"], categorical=[])


def _swap_order(schema: dict[str, Any]) -> None:
    for key in ("feature_order", "feature_names"):
        schema[key] = ["unit", "a", "b"]
    schema["feature_spec"]["variables"] = ["unit", "a", "b"]


def _card_follows(order: list[str], n: int) -> Any:
    def change(card: dict[str, Any]) -> None:
        card["input_schema"]["feature_order"] = order
        card["estimator"]["n_features_in"] = n
    return change


MISMATCHED: list[tuple[str, Any, Any, list[str]]] = [
    ("schema-of-fewer-features", _drop_unit, None,
     ["card.json's input features", "lacks ['unit']"]),
    ("schema-and-card-of-fewer-features", _drop_unit, _card_follows(["a", "b"], 2),
     ["model.skops takes 3 columns", "schema.json gives 2"]),
    ("schema-and-card-in-another-order", _swap_order, _card_follows(["unit", "a", "b"], 3),
     ["model.skops encodes columns [2]", "categorical columns are [0]"]),
]


@pytest.mark.parametrize(("schema_change", "card_change", "needles"),
                         [c[1:] for c in MISMATCHED], ids=[c[0] for c in MISMATCHED])
def test_files_of_different_models_are_not_imported(
    cli, world: dict[str, Path], tmp_path: Path, schema_change: Any, card_change: Any,
    needles: list[str],
) -> None:
    """A schema from another model (checksummed again) was imported; scoring then ended in
    ``internal error: ValueError: X has 2 features, but ColumnTransformer is expecting 3``
    or, in another order, mapped the wrong columns without a word."""
    model = _copy_model(world, tmp_path / "assembled")
    _edit(model, "schema.json", schema_change)
    if card_change is not None:
        _edit(model, "card.json", card_change)
    reg = tmp_path / "reg"
    result = cli("model", "import", model, "--name", "li", "-r", reg)
    assert_clean_error(result, 1, "not of one model", *needles)
    assert not (reg / "li").exists() or list((reg / "li").iterdir()) == []


@pytest.mark.parametrize(("schema_change", "card_change", "needles"),
                         [c[1:] for c in MISMATCHED], ids=[c[0] for c in MISMATCHED])
def test_files_of_different_models_in_a_registry_are_not_scored(
    cli, world: dict[str, Path], tmp_path: Path, schema_change: Any, card_change: Any,
    needles: list[str],
) -> None:
    """The same folder copied into a registry by hand: ``score`` refuses it, one line."""
    reg = tmp_path / "reg"
    model = _copy_model(world, reg / "li" / "1")
    _edit(model, "schema.json", schema_change)
    if card_change is not None:
        _edit(model, "card.json", card_change)
    out = tmp_path / "scored.zarr"
    result = cli("model", "score", "li", "-c", world["cube"], "-o", out, "-r", reg)
    assert_clean_error(result, 1, "li/1", "not of one model", *needles)
    assert not out.exists()


def test_score_model_refuses_a_schema_of_another_width(world: dict[str, Path]) -> None:
    """The one scoring path (score stage and ``model score``) checks the width itself."""
    from prospect.errors import ModelError
    from prospect.io.cube import open_cube
    from prospect.registry import load_model, score_model

    model = load_model(world["model"])
    schema = json.loads(json.dumps(model.schema))
    _drop_unit(schema)
    with pytest.raises(ModelError, match="takes 3 columns, its input schema gives 2"):
        score_model(model.estimator, schema, open_cube(world["cube"]))


# -- output files --------------------------------------------------------------------

def _publish(world: dict[str, Path], reg: Path) -> None:
    from prospect.registry import ModelRegistry

    ModelRegistry(reg).publish(world["model"], "li", version="1")


def test_score_cog_never_replaces_an_existing_file(
    cli, world: dict[str, Path], tmp_path: Path,
) -> None:
    """``--cog`` named an input raster of the job: it was replaced by the map."""
    reg = tmp_path / "reg"
    _publish(world, reg)
    victim = tmp_path / "inputs" / "heatflow.tif"
    victim.parent.mkdir()
    victim.write_bytes(b"a raster the job reads\n")
    before = _files(tmp_path / "inputs")
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "li", "-c", world["cube"], "-o", out, "--cog", victim,
                 "-r", reg)
    assert_clean_error(result, 1, str(victim), "already exists", "--cog")
    assert _files(tmp_path / "inputs") == before and not out.exists()


@pytest.mark.parametrize("where", ["input", "output"])
def test_score_cog_inside_a_cube_is_refused(
    cli, world: dict[str, Path], tmp_path: Path, where: str,
) -> None:
    """A COG inside the input cube (or the new output cube) was litter in a zarr store."""
    reg = tmp_path / "reg"
    _publish(world, reg)
    cube = tmp_path / "cube.zarr"
    shutil.copytree(world["cube"], cube)
    before = _files(cube)
    out = tmp_path / "s.zarr"
    cog = (cube if where == "input" else out) / "map.tif"
    result = cli("model", "score", "li", "-c", cube, "-o", out, "--cog", cog, "-r", reg)
    assert_clean_error(result, 1, "map.tif", "cube", "--cog")
    assert _files(cube) == before and not out.exists()


def test_export_never_replaces_an_existing_file(
    cli, world: dict[str, Path], tmp_path: Path,
) -> None:
    """``export -o`` onto a file (the model's own skops file, a raster) replaced it."""
    reg = tmp_path / "reg"
    _publish(world, reg)
    victim = tmp_path / "model.skops"
    victim.write_bytes(b"someone's model\n")
    result = cli("model", "export", "li", "-o", victim, "--samples", "20", "-r", reg)
    assert_clean_error(result, 1, str(victim), "already exists", "-o/--out")
    assert victim.read_bytes() == b"someone's model\n"


@pytest.mark.parametrize("atol", ["nan", "-1"])
def test_export_tolerance_must_be_a_number_at_least_zero(
    cli, world: dict[str, Path], tmp_path: Path, atol: str,
) -> None:
    """``--atol nan`` said the export 'differs by up to 2.2e-07 (tolerance nan)'."""
    reg = tmp_path / "reg"
    _publish(world, reg)
    out = tmp_path / "m.onnx"
    result = cli("model", "export", "li", "-o", out, "--atol", atol, "-r", reg)
    assert_clean_error(result, 1, f"--atol {atol}", ">= 0")
    assert not out.exists()


def test_export_samples_are_bounded(cli, world: dict[str, Path], tmp_path: Path) -> None:
    """``--samples 10000000000000`` ended in ``internal error: MemoryError``."""
    reg = tmp_path / "reg"
    _publish(world, reg)
    out = tmp_path / "m.onnx"
    result: Outcome = cli("model", "export", "li", "-o", out, "--samples",
                          str(10**13), "-r", reg)
    text = result.out + result.err
    assert result.code == 2 and "--samples" in text, text[-2000:]
    assert "internal error" not in text and "Traceback" not in text
    assert not out.exists()


# -- a map without a scored cell ---------------------------------------------------------

def test_a_map_without_a_single_scored_cell_is_not_written(
    cli, world: dict[str, Path], tmp_path: Path,
) -> None:
    """A cube whose ``b`` holds no data gave an all-NaN map, exit 0, 'scored ...'."""
    reg = tmp_path / "reg"
    _publish(world, reg)
    cube = _write_cube(tmp_path / "holes.zarr", empty="b")
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "li", "-c", cube, "-o", out, "-r", reg)
    assert_clean_error(result, 1, str(cube), "no cell could be scored", "'b'")
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".s.zarr")]
    fine = cli("model", "score", "li", "-c", world["cube"], "-o", out, "-r", reg)
    assert fine.code == 0 and "100.0% of the cells scored" in " ".join(fine.err.split())


# -- a version folder that is not a version ---------------------------------------------

def test_an_incomplete_version_folder_is_named_not_missing(
    cli, world: dict[str, Path], tmp_path: Path,
) -> None:
    """A version copied by hand without its checksums.json: ``show li -v 2`` said 'li has
    no version '2'' beside the folder, and ``list`` skipped it without a word."""
    reg = tmp_path / "reg"
    _publish(world, reg)
    half = reg / "li" / "2"
    half.mkdir()
    shutil.copy(world["model"] / "model.skops", half / "model.skops")
    result = cli("model", "show", "li", "-v", "2", "-r", reg)
    assert_clean_error(result, 1, str(half), "incomplete", "checksums.json")
    listed = cli("model", "list", "-r", reg)
    assert listed.code == 0, listed.err
    assert "warning: li/2: incomplete" in " ".join(listed.err.split())


# -- what --cube names -------------------------------------------------------------------

@pytest.mark.parametrize(("given", "needle"), [
    ("missing.zarr", "no such cube"),
    ("job", "a folder holding the cube"),
    ("job/cube.zarr/a", "a part of the cube"),
])
def test_a_cube_option_that_names_no_cube_says_what_it_names(
    cli, world: dict[str, Path], tmp_path: Path, given: str, needle: str,
) -> None:
    """All three were 'not a zarr v3 cube (no zarr.json); run prospect ingest' (or a zarr
    message about consolidated metadata), which sent the user to re-run a job."""
    reg = tmp_path / "reg"
    _publish(world, reg)
    (tmp_path / "job").mkdir()
    shutil.copytree(world["cube"], tmp_path / "job" / "cube.zarr")
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "li", "-c", tmp_path / given, "-o", out, "-r", reg)
    assert_clean_error(result, 1, given, needle, "-c/--cube")
    assert not out.exists()


@pytest.mark.parametrize(("args", "needle"), [
    (["--resampling", "bogus", "--reproject"], "unknown"),
    (["--resampling", "average"], "only --reproject resamples"),
])
def test_a_resampling_that_would_be_ignored_is_refused(
    cli, world: dict[str, Path], tmp_path: Path, args: list[str], needle: str,
) -> None:
    """On a cube already on the model's grid (or without --reproject) any --resampling,
    even 'bogus', was dropped without a word."""
    reg = tmp_path / "reg"
    _publish(world, reg)
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "li", "-c", world["cube"], "-o", out, "-r", reg, *args)
    assert_clean_error(result, 1, "--resampling", needle)
    assert not out.exists()


# -- a pinned fingerprint ----------------------------------------------------------------

@pytest.mark.parametrize("form", ["sha256:{fp}", " SHA256:{FP} "])
def test_a_fingerprint_written_with_its_algorithm_pins_the_model(
    cli, world: dict[str, Path], tmp_path: Path, form: str,
) -> None:
    """``--fingerprint sha256:<hex>`` said the model was replaced ('not the model you
    pinned'): a false alarm about the very model pinned."""
    from prospect.registry import model_fingerprint

    reg = tmp_path / "reg"
    _publish(world, reg)
    fp = model_fingerprint(reg / "li" / "1")
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "li", "-c", world["cube"], "-o", out, "-r", reg,
                 "--fingerprint", form.format(fp=fp, FP=fp.upper()))
    assert result.code == 0 and out.is_dir(), result.err[-2000:]


def test_a_fingerprint_that_is_no_sha256_is_named_as_such(
    cli, world: dict[str, Path], tmp_path: Path,
) -> None:
    """A cut-short paste said 'this is not the model you pinned (replaced or re-saved)'."""
    from prospect.registry import model_fingerprint

    reg = tmp_path / "reg"
    _publish(world, reg)
    short = model_fingerprint(reg / "li" / "1")[:40]
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "li", "-c", world["cube"], "-o", out, "-r", reg,
                 "--fingerprint", short)
    assert_clean_error(result, 1, short, "not a SHA-256", "64 hex digits")
    assert not out.exists()


# -- importing from a URL ----------------------------------------------------------------

def test_an_import_url_nobody_can_open_is_one_line(cli, tmp_path: Path) -> None:
    """Was ``internal error: ValueError: Protocol not known: foo`` (exit 70)."""
    reg = tmp_path / "reg"
    result = cli("model", "import", "foo://models/li", "--name", "li", "-r", reg)
    assert_clean_error(result, 1, "foo://models/li", "cannot open")
    assert not reg.exists()


def test_an_import_from_a_server_that_does_not_answer_says_so(
    cli, tmp_path: Path,
) -> None:
    """A refused connection read as 'no model.skops; not a Prospect model directory'."""
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/models/li"
    reg = tmp_path / "reg"
    result = cli("model", "import", url, "--name", "li", "-r", reg)
    assert_clean_error(result, 1, url, "cannot read model.skops", "server")
    assert not reg.exists()
