"""Round 39, models and reuse: a folder at a model's name that holds no version (empty,
only incomplete versions, or a model's files put straight into it), a sigmoid
calibration fitted falling that mapped every cell to 1 and a flat curve's 0 said as the
members' agreement, a ``model.seed`` at the top of its range, a baseline "beaten" on one
figure and ahead on the other, and the job's own map trained on as evidence.

Every model here is tiny and SYNTHETIC (fitted on random rows in the test); the cube is a
SYNTHETIC 8 x 8 grid of random layers on the models' grid; the job is the corpus's
SYNTHETIC tiny job (a 40 x 40 raster and 8 SYNTHETIC wells), ingested in-process.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import assert_clean_error
from .test_models_round36 import CARD, SCHEMA, _fitted  # one SYNTHETIC model and cube schema


def _forest() -> Any:
    """A SYNTHETIC random forest of 10 trees on layers ``a`` and ``b``."""
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(39)
    X = rng.random((120, 2))
    return RandomForestClassifier(n_estimators=10, min_samples_leaf=3, random_state=0).fit(
        X, (X[:, 0] + 0.3 * rng.random(120) > 0.8).astype(int))


def _flat(method: str) -> Any:
    """The SYNTHETIC forest calibrated by ``method`` on out-of-fold-like scores that rank
    the positives *below* the background: Platt's slope falls, isotonic regression gives
    one step, and the curve maps every raw probability to one value."""
    from prospect.models.uncertainty import CalibratedModel

    rng = np.random.default_rng(139)
    X = rng.random((200, 2))
    y = (rng.random(200) < 0.2).astype(int)
    scores = np.where(y == 1, 0.1, 0.6) + 0.05 * rng.random(200)
    return CalibratedModel(model=_forest(), method=method).fit(X, y, scores=scores)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A registry ``reg`` holding the SYNTHETIC logistic model ``lr``, the SYNTHETIC
    forest ``rf`` and the forest calibrated flat by a sigmoid (``flat``) and by isotonic
    regression (``flatiso``), each version 1, and a SYNTHETIC 8 x 8 cube of layers ``a``
    and ``b`` on the models' grid."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.registry import ModelRegistry, save_model
    from prospect.testing import float_layer

    root = tmp_path_factory.mktemp("r39")
    reg = ModelRegistry(str(root / "reg"))
    for name, model in (("lr", _fitted()), ("rf", _forest()), ("flat", _flat("sigmoid")),
                        ("flatiso", _flat("isotonic"))):
        reg.publish(save_model(model, root / f"m_{name}", card=CARD, schema=SCHEMA), name,
                    version="1")
    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 560800.0, 1330800.0),
                      chunks=(8, 8), name="r39")
    create_cube(root / "cube.zarr", grid, attrs={"synthetic": True})
    like = open_cube(root / "cube.zarr")
    rng = np.random.default_rng(239)
    layers = {n: float_layer(rng.random(grid.shape), name=n, units="1", long_name=n,
                             provenance={"source": "synthetic"}, like=like) for n in ("a", "b")}
    add_variables(root / "cube.zarr", xr.Dataset(layers))
    return {"reg": root / "reg", "model": root / "m_lr", "cube": root / "cube.zarr"}


@pytest.fixture
def reg(made: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the registry (cases add folders to it)."""
    copy = tmp_path / "reg"
    shutil.copytree(made["reg"], copy)
    return copy


# -- 1. a folder at a model's name that holds no version ------------------------------------

def test_an_empty_folder_at_a_models_name_is_said_empty(cli: Any, reg: Path) -> None:
    """``mkdir reg/zn`` (made for a model before its import, or left when its versions
    were removed): ``model show zn`` said "no model named 'zn'; models here: ..." of a
    folder the user can see."""
    (reg / "zn").mkdir()
    result = cli("model", "show", "zn", "-r", reg)
    line = assert_clean_error(result, 1, f"{reg}/zn: model zn's folder is empty",
                              "prospect model import FOLDER --name zn",
                              "remove the empty folder")
    assert "no model named" not in line
    result = cli("model", "show", "zn", "-v", "1", "-r", reg)  # was "zn has no version '1'"
    assert_clean_error(result, 1, f"{reg}/zn: model zn's folder is empty")


def test_scoring_a_model_of_incomplete_versions_only_names_them(
        cli: Any, reg: Path, made: dict[str, Path], tmp_path: Path) -> None:
    """``reg/zn/1`` and ``reg/zn/2`` copied without ``checksums.json``: ``model score
    zn`` said "no model named 'zn'" (``model list`` warned of each as incomplete, but the
    command naming the model did not); nothing is written."""
    for version in ("1", "2"):
        shutil.copytree(made["model"], reg / "zn" / version)
        (reg / "zn" / version / "checksums.json").unlink()
    out = tmp_path / "scored.zarr"
    result = cli("model", "score", "zn", "-r", reg, "-c", made["cube"], "-o", out)
    line = assert_clean_error(result, 1, f"{reg}/zn: model zn holds no complete version",
                              "1, 2 are incomplete (no checksums.json",
                              "prospect model import FOLDER --name zn")
    assert "no model named" not in line
    assert not out.exists()


def test_a_models_files_put_straight_into_its_folder_are_named(cli: Any, reg: Path,
                                                              made: dict[str, Path]) -> None:
    """A model's files copied into ``reg/zn`` without ``checksums.json`` (no version
    folder): "no model named 'zn'"; now the files it holds are named."""
    (reg / "zn").mkdir()
    for name in ("card.json", "model.skops"):
        shutil.copy(made["model"] / name, reg / "zn" / name)
    result = cli("model", "show", "zn", "-r", reg)
    assert_clean_error(result, 1, f"{reg}/zn: model zn's folder holds no version folder",
                       "only card.json, model.skops", "--name zn")


def test_model_list_names_the_folders_at_a_models_name_without_versions(
        cli: Any, reg: Path, made: dict[str, Path]) -> None:
    """``model list`` listed the other models without a word of ``reg/zn`` (empty) or
    ``reg/zf`` (a model's files put straight into it)."""
    (reg / "zn").mkdir()
    (reg / "zf").mkdir()
    shutil.copy(made["model"] / "card.json", reg / "zf" / "card.json")
    result = cli("model", "list", "-r", reg)
    assert result.code == 0, result.err[-2000:]
    warned = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warned) == 2, result.err
    assert f"{reg}/zf: model zf's folder holds no version folder" in warned[0]
    assert "only card.json" in warned[0] and warned[0].endswith("not listed")
    assert f"{reg}/zn: model zn's folder is empty" in warned[1]


def test_a_name_with_no_folder_is_still_no_model_named(cli: Any, reg: Path) -> None:
    """control: a name nothing is at keeps "no model named" and the models there."""
    result = cli("model", "show", "zq", "-r", reg)
    assert_clean_error(result, 1, "no model named 'zq'", "models here: flat, flatiso, lr, rf")


# -- 2. a calibration curve fitted flat ----------------------------------------------------

@pytest.mark.parametrize("name", ["flat", "flatiso"])
def test_a_flat_calibrations_zero_spread_is_not_said_as_agreement(
        cli: Any, made: dict[str, Path], tmp_path: Path, name: str) -> None:
    """A forest calibrated flat (the out-of-fold scores ranked the positives below the
    background): its map is one value and its uncertainty 0 at every cell, and ``model
    score`` said "0 on 100.0 % of the cells ...: there every member gives the cell the
    same score", though the trees disagree on most cells."""
    import xarray as xr

    out = tmp_path / "scored.zarr"
    result = cli("model", "score", name, "-r", made["reg"], "-c", made["cube"], "-o", out)
    assert result.code == 0, result.err[-2000:]
    said = " ".join(result.err.split())
    assert "uncertainty: 0 on 100.0 % of the cells" in said, said
    assert "the calibration curve is flat" in said and "not agreement of the members" in said
    assert "every member gives the cell the same score" not in said
    maps = xr.open_zarr(out)
    assert float(maps["uncertainty"].max()) == 0.0
    assert "which is flat" in str(maps["uncertainty"].attrs["prospect_uncertainty"])


def test_a_falling_sigmoid_maps_every_cell_to_the_share_of_positives(
        cli: Any, made: dict[str, Path], tmp_path: Path) -> None:
    """Platt's sigmoid fitted falling (the scores ranked the 44 positives of 200 rows
    below the background) kept as its flat map the falling curve's top, the calibrated
    probability of a raw 0: ``model score`` wrote a probability of 1.0 in every cell (and
    the train stage warned "every raw probability maps to 1"). Now the share of
    positives, 0.22, the value isotonic regression gives the same scores."""
    import xarray as xr

    maps = {}
    for name in ("flat", "flatiso"):
        out = tmp_path / f"{name}.zarr"
        result = cli("model", "score", name, "-r", made["reg"], "-c", made["cube"], "-o", out)
        assert result.code == 0, result.err[-2000:]
        maps[name] = xr.open_zarr(out)["probability"].values
    assert np.allclose(maps["flat"], 0.22) and np.allclose(maps["flatiso"], 0.22)


def test_an_uncalibrated_forests_zero_spread_is_said_as_before(
        cli: Any, made: dict[str, Path], tmp_path: Path) -> None:
    """control: a plain forest's 0 keeps "every member gives the cell the same score"."""
    out = tmp_path / "scored.zarr"
    result = cli("model", "score", "rf", "-r", made["reg"], "-c", made["cube"], "-o", out)
    assert result.code == 0, result.err[-2000:]
    said = " ".join(result.err.split())
    if "uncertainty: 0 on" in said:
        assert "every member gives the cell the same score" in said
    assert "calibration curve is flat" not in said


# -- 3. a model.seed at the top of its range -------------------------------------------------

def _seed_config(seed: int) -> Any:
    from prospect.config.model import ModelConfig

    return ModelConfig.model_validate({
        "estimator": "random_forest", "mineral": "lithium", "labels": {"source": "wells"},
        "seed": seed, "cv": {"seeds": 3}, "params": {"n_estimators": 5}})


def _rows() -> tuple[np.ndarray, np.ndarray]:
    """120 SYNTHETIC rows of 2 layers, a fifth of them positives."""
    rng = np.random.default_rng(339)
    X = rng.random((120, 2))
    return X, (X[:, 0] > 0.8).astype(int)


def test_the_estimator_seeds_of_a_seed_at_the_top_of_its_range_fit() -> None:
    """``model.seed: 4294967295`` (the config's own upper bound, 2^32 - 1) with
    ``cv.seeds: 3``: the seed spread's estimators were seeded 4294967296 and 4294967297,
    and the train stage stopped after reading the features with "model.params: The
    'random_state' parameter of RandomForestClassifier must be an int in the range [0,
    4294967295] ... Got 4294967296", of a parameter the user never set. The seeds wrap
    into numpy's range (``derived_seed``), each one distinct."""
    from prospect.models.factory import make_estimator
    from prospect.models.training import seed_estimators

    cfg = _seed_config(2**32 - 1)
    seeds = seed_estimators(cfg, lambda c: make_estimator(c, n_features=2))
    assert list(seeds) == [2**32 - 1, 0, 1]
    X, y = _rows()
    for est in seeds.values():
        assert est.fit(X, y).predict_proba(X).shape == (120, 2)


def test_a_seed_inside_the_range_keeps_its_seeds() -> None:
    """control: ``model.seed: 7`` keeps seeds 7, 8, 9 (maps trained before are
    reproduced)."""
    from prospect.models.factory import make_estimator
    from prospect.models.training import seed_estimators

    seeds = seed_estimators(_seed_config(7), lambda c: make_estimator(c, n_features=2))
    assert list(seeds) == [7, 8, 9]


# -- 4. a baseline "beaten" on ROC AUC while ahead on PR AUC --------------------------------

def _mixed(model_top: int) -> dict[str, Any]:
    """SYNTHETIC rows: 200 background cells at random on a 1 km square, 10 occurrences
    on both sides of the line ``x = 500`` that parts the two spatial folds (each close to
    the other fold's) and 10 in the far corners; the model ranks every occurrence above
    most of the background but ``model_top`` background cells above them all."""
    from prospect.models.baselines import compare_to_baseline

    rng = np.random.default_rng(39)
    background = rng.uniform(0, 1000, (200, 2))
    near = [[495.0, 480.0 + 8 * i] for i in range(5)] + [[505.0, 484.0 + 8 * i]
                                                         for i in range(5)]
    far = [[40.0 + 5 * i, 40.0] for i in range(5)] + [[960.0 - 5 * i, 960.0] for i in range(5)]
    coords = np.vstack([background, near, far])
    y = np.r_[np.zeros(200, int), np.ones(20, int)]
    left = coords[:, 0] < 500
    splits = [(np.flatnonzero(~left), np.flatnonzero(left)),
              (np.flatnonzero(left), np.flatnonzero(~left))]
    model = np.r_[np.where(np.arange(200) < model_top, 0.9, 0.1), np.full(20, 0.6)]
    return compare_to_baseline(coords, y, splits, model)


def test_a_baseline_ahead_on_pr_auc_is_not_said_as_beaten() -> None:
    """ROC AUC 0.850 vs 0.503 but PR AUC 0.400 vs 0.536 (30 background cells above every
    occurrence; the baseline puts half the occurrences first): the verdict was "The model
    beats the distance-to-nearest-occurrence baseline on spatial blocks: ROC AUC 0.850 vs
    0.503 (PR AUC 0.400 vs 0.536).", read as a test passed, on the console, in the
    report's headline and on the card."""
    found = _mixed(30)
    assert found["model"]["roc_auc"] > found["baseline"]["roc_auc"]
    assert found["model"]["pr_auc"] < found["baseline"]["pr_auc"]
    assert found["verdict"].startswith(
        "The model beats the distance-to-nearest-occurrence baseline on spatial blocks by "
        "ROC AUC only: ROC AUC 0.850 vs 0.503, but PR AUC 0.400 vs 0.536")
    assert "judge the model by both" in found["verdict"]
    assert found["beats"] and found["behind_on_pr_auc"]  # beats: the ROC AUC's, as before


def test_a_baseline_behind_on_pr_auc_is_not_said_as_doing_better() -> None:
    """The other way round: 20 SYNTHETIC occurrences scattered within 250 m of the fold
    line, 200 background cells at random; the model puts 8 occurrences first and the
    rest mid-list. ROC AUC 0.700 vs 0.891 but PR AUC 0.500 vs 0.397: the verdict was "The
    model does NOT beat ...: ROC AUC 0.700 vs 0.891 (PR AUC 0.500 vs 0.397); ranking
    cells by closeness to the known occurrences does as well as the model or better",
    which its own PR AUC contradicts."""
    from prospect.models.baselines import compare_to_baseline

    rng = np.random.default_rng(40)
    background = rng.uniform(0, 1000, (200, 2))
    angle, radius = rng.uniform(0, 2 * np.pi, 20), 250 * np.sqrt(rng.uniform(0, 1, 20))
    coords = np.vstack([background, np.c_[500 + radius * np.cos(angle),
                                          500 + radius * np.sin(angle)]])
    y = np.r_[np.zeros(200, int), np.ones(20, int)]
    left = coords[:, 0] < 500
    splits = [(np.flatnonzero(~left), np.flatnonzero(left)),
              (np.flatnonzero(left), np.flatnonzero(~left))]
    model = np.r_[np.linspace(0.05, 0.95, 200), np.where(np.arange(20) < 8, 1.0, 0.5)]
    found = compare_to_baseline(coords, y, splits, model)
    assert found["verdict"].startswith(
        "The model does NOT beat the distance-to-nearest-occurrence baseline on spatial "
        "blocks by ROC AUC: ROC AUC 0.700 vs 0.891, though its PR AUC is higher (0.500 vs "
        "0.397)")
    assert "does as well as the model or better" not in found["verdict"]
    assert not found["beats"] and found["ahead_on_pr_auc"]


def test_a_baseline_behind_on_both_is_beaten_as_before() -> None:
    """control: with no background cell above the occurrences the model is ahead on both
    figures and the verdict is as before."""
    found = _mixed(0)
    assert found["model"]["pr_auc"] > found["baseline"]["pr_auc"]
    assert found["beats"] and not found.get("behind_on_pr_auc")
    assert found["verdict"].startswith(
        "The model beats the distance-to-nearest-occurrence baseline on spatial blocks: ROC "
        "AUC ")
    assert "ROC AUC only" not in found["verdict"]


# -- 5. the job's own map listed as a feature --------------------------------------------------

@pytest.fixture
def ingested(cli: Any, sandbox: Any) -> Any:
    """The SYNTHETIC tiny job (a 40 x 40 raster ``heat`` and 8 SYNTHETIC wells) ingested,
    and the maps an earlier run's score stage leaves in its cube (``probability``,
    ``uncertainty``) added to it."""
    import xarray as xr

    from prospect.io.cube import add_variables, open_cube
    from prospect.testing import float_layer

    rows = [f"w{i},{500050 + 30 * i},{1350060 + 25 * i},{100 + i}" for i in range(8)]
    (sandbox.root / "wells.csv").write_text("id,x,y,li\n" + "\n".join(rows) + "\n")
    sources = [{"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
               {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
                "crs": "EPSG:32619", "columns": ["li"]}]
    sandbox.write_job(sources=sources)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 0, result.err[-2000:]
    cube = sandbox.out / "cube.zarr"
    like = open_cube(cube)
    rng = np.random.default_rng(439)
    add_variables(cube, xr.Dataset({
        name: float_layer(rng.random(like["heat"].shape), name=name, units="1",
                          long_name=name, provenance={"source": "score"}, like=like)
        for name in ("probability", "uncertainty")}))
    sandbox.sources = sources
    return sandbox


def test_the_jobs_own_map_as_a_feature_is_refused_before_any_work(
        cli: Any, ingested: Any) -> None:
    """``model.features: [heat, probability]`` (and ``[uncertainty, heat]``) in a job
    whose cube holds an earlier run's maps (the job run again with its model section
    edited): the model was trained on the last run's map of these very labels (on the
    SYNTHETIC demo: spatial ROC AUC 0.998, exit 0, one warning that the layer "leaks the
    answer ... check its provenance"), and the score stage then wrote its own map over the
    feature the model had just been trained on. Now refused with the config (exit 2),
    nothing more written."""
    before = sorted(p.name for p in (ingested.out / "cube.zarr").iterdir())
    for listed, output in ((["heat", "probability"], "probability"),
                           (["uncertainty", "heat"], "uncertainty")):
        ingested.write_job(sources=ingested.sources,
                           model={"mineral": "lithium", "labels": {"source": "wells"},
                                  "features": listed})
        result = cli("train", ingested.job_path, "-o", ingested.out)
        assert_clean_error(result, 2, f"model.features: '{output}' is a map the score stage "
                           "writes into the job's cube", "leave it out of model.features")
        assert not (ingested.out / "model").exists()
        assert sorted(p.name for p in (ingested.out / "cube.zarr").iterdir()) == before


def test_a_model_map_of_another_name_is_refused_as_a_feature(tmp_path: Path) -> None:
    """A cube variable the score stage marked as a map (``prospect_kind: probability``)
    under another name (a scored cube's layer copied in): taken as evidence by
    ``make_spec``; now refused naming it."""
    import xarray as xr

    from prospect.errors import ConfigError
    from prospect.features.stack import make_spec

    values = np.random.default_rng(9).random((4, 4)).astype("f4")
    ds = xr.Dataset({"heat": (("y", "x"), values),
                     "old_map": (("y", "x"), values, {"prospect_kind": "probability"})},
                    coords={"y": np.arange(4.0), "x": np.arange(4.0)})
    with pytest.raises(ConfigError, match=r"\['old_map'\] are a model's map"):
        make_spec(ds, variables=["heat", "old_map"], resolution=1.0)
    assert make_spec(ds, resolution=1.0).variables == ("heat",)  # the default leaves it out
