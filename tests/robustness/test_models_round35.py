"""Round 35, models: what a user is told when the spatial blocks are too large for the
samples, a weights-of-evidence cut-off written in other units than its layer, model and
cube paths given with ``~`` as the shell leaves it inside quotes, a random forest without
bootstrap whose splits choose among every layer, and the cost of the config's parameter
check on a busy machine.

The CLI cases copy the SYNTHETIC demo scene (``prospect.testing.make_scene``) that the
corpus's ``finished`` fixture runs once, and train or score it again with one setting
changed; the registry cases save tiny SYNTHETIC models fitted on random rows.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.model import ModelConfig, check_params
from prospect.errors import ConfigError, ModelError
from prospect.models.cv import SpatialBlockCV
from prospect.models.factory import make_estimator
from tests.robustness.conftest import assert_clean_error, run_job

NUMERIC = ["heatflow", "NDVI", "geology_dist_fault"]
"""Three numeric layers of the demo cube (no classes: no one-hot columns)."""


def _train(cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
           **model: Any) -> tuple[Any, Path]:
    """Train the copied demo job again with ``model`` keys changed (``params`` replaced)."""
    config, out = job
    config["model"].update(model)
    return run_job(cli, config, out, scheduler, "train"), out


def _config(estimator: str = "random_forest", **params: Any) -> ModelConfig:
    return ModelConfig.model_validate({"estimator": estimator, "mineral": "lithium",
                                       "labels": {"source": "wells"}, "params": params})


# -- 1. spatial blocks larger than the samples' extent ------------------------------------

def test_blocks_larger_than_the_samples_say_their_extent_and_a_size_that_works(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
) -> None:
    """``model.cv.block_size: 5000`` on the demo's 1 km square: was "only 1 blocks of
    5000 metres hold samples, fewer than n_splits=3; lower model.cv.block_size", saying
    neither how far the samples reach nor how low to go (a user halves and retrains)."""
    result, _ = _train(cli, job, scheduler, cv={"n_splits": 3, "block_size": 5000.0})
    assert_clean_error(result, 1, "only 1 blocks of 5000 metres",
                              "samples span 980 x 960 metres",
                              "set model.cv.block_size to 490 metres or less", "auto")


def test_the_block_size_named_gives_the_folds_it_promises() -> None:
    """The size the message names is taken by the splitter (two blocks a fold where the
    samples allow); samples along a line get a size from their length."""
    rng = np.random.default_rng(35)
    coords = rng.uniform(0, 2000, (300, 2)) + np.array([500000.0, 4000000.0])
    y = (rng.random(300) < 0.2).astype(int)
    with pytest.raises(ModelError, match=r"span 1\d{3} x 1\d{3} metres") as err:
        SpatialBlockCV(n_splits=5, block_size=10000.0, units="metres").fold_of(coords, y)
    size = float(str(err.value).split("block_size to ")[1].split(" metres")[0])
    folds = SpatialBlockCV(n_splits=5, block_size=size, units="metres").fold_of(coords, y)
    assert len(set(folds.tolist())) == 5
    line = np.c_[np.linspace(0, 900, 50), np.zeros(50)]
    with pytest.raises(ModelError, match=r"span 900 x 0 metres; set model.cv.block_size "
                                         r"to 100 metres or less"):
        SpatialBlockCV(n_splits=5, block_size=5000.0, units="metres").fold_of(
            line, np.arange(50) % 5 == 0)


def test_samples_at_one_point_are_told_no_block_size_parts_them() -> None:
    """Every sample in one place (one cell): no block size gives folds; was "lower
    model.cv.block_size", which cannot help."""
    with pytest.raises(ModelError, match=r"span 0 x 0 metres, so no block size parts them; "
                                         r"lower model.cv.n_splits"):
        SpatialBlockCV(n_splits=3, block_size=100.0, units="metres").fold_of(
            np.full((12, 2), 300.0), np.arange(12) % 3 == 0)


def test_a_buffer_wider_than_the_samples_says_a_buffer_that_fits(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
) -> None:
    """``model.cv.buffer: 2000`` on the demo's 1 km square: was "the buffer of 2000 metres
    ... leaves 0 training rows ...; lower model.cv.buffer", without the samples' extent or
    a buffer that fits."""
    result, _ = _train(cli, job, scheduler,
                       cv={"n_splits": 3, "block_size": 400.0, "buffer": 2000.0})
    line = assert_clean_error(result, 1, "the buffer of 2000 metres",
                              "samples span 980 x 960 metres", "a buffer of ")
    size = float(line.split("a buffer of ")[1].split(" metres")[0])
    assert 0 < size < 980


def test_the_buffer_named_lets_every_fold_fit() -> None:
    """The buffer the message names splits the same samples without a refusal."""
    rng = np.random.default_rng(35)
    coords = rng.uniform(0, 990, (500, 2))
    y = (rng.random(500) < 0.1).astype(int)
    with pytest.raises(ModelError, match=r"a buffer of \d+ metres or less") as err:
        list(SpatialBlockCV(n_splits=3, block_size=400.0, buffer=2000.0,
                            units="metres").split(coords, y))
    size = float(str(err.value).split("a buffer of ")[1].split(" metres")[0])
    folds = list(SpatialBlockCV(n_splits=3, block_size=400.0, buffer=size,
                                units="metres").split(coords, y))
    assert len(folds) == 3


# -- 2. a weights-of-evidence cut-off outside its layer's values -----------------------------

def test_a_woe_threshold_outside_the_layers_values_is_named_with_the_range(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
) -> None:
    """``evidence.heatflow.threshold: 5000`` (written for another unit) on a layer whose
    training values lie far below it: its pattern held no cell and the layer dropped out
    of the posterior, said as "no cut-off or class leaves deposits and area on both sides
    ...; set model.params.evidence.<layer>.type ... or .threshold" -- the threshold the
    user had set."""
    result, out = _train(cli, job, scheduler, estimator="weights_of_evidence",
                         features=NUMERIC, params={"evidence": {
                             "heatflow": {"type": "descending", "threshold": 5000}}})
    assert result.code == 0, (result.out + result.err)[-3000:]
    said = json.loads((out / "model" / "metrics.json").read_text())["warnings"]
    line = [w for w in said if "heatflow" in w]
    assert len(line) == 1, said
    assert "model.params.evidence.heatflow.threshold = 5000 lies above every value" in line[0]
    assert "heatflow >= 5000 holds no cell" in line[0]
    assert "no cut-off or class leaves" not in line[0]
    card = json.loads((out / "model" / "card.json").read_text())
    assert line[0] in card["limitations"]


def test_a_woe_threshold_below_every_value_says_its_pattern_is_everything() -> None:
    """An ascending (distance) cut-off above every distance, and a descending one below
    every value: the pattern is the whole area, named so, with the values' range."""
    from prospect.models.summary import model_warnings
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(35)
    x = rng.uniform(100.0, 900.0, 3000)
    y = (rng.random(3000) < np.where(x < 300, 0.1, 0.02)).astype(int)
    for kind, threshold, where in (("ascending", 2000.0, "above"),
                                   ("descending", 5.0, "below")):
        woe = WeightsOfEvidenceClassifier(evidence={"d": {"type": kind,
                                                          "threshold": threshold}},
                                          feature_names=["d"]).fit(x[:, None], y)
        (line,) = model_warnings(woe, ["d"])
        assert f"threshold = {threshold:g} lies {where} every value of layer 'd'" in line
        assert "holds every cell" in line and "between 100" in line
        assert "the map is the prior" in line


def test_a_woe_threshold_within_the_values_gets_no_line() -> None:
    """control: a manual cut-off inside the layer's values, and a layer without one, are
    fitted as before and get no threshold line."""
    from prospect.models.summary import model_warnings
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(35)
    x = rng.uniform(100.0, 900.0, (3000, 2))
    y = (rng.random(3000) < np.where(x[:, 0] < 300, 0.1, 0.02)).astype(int)
    woe = WeightsOfEvidenceClassifier(evidence={"d": {"type": "ascending",
                                                      "threshold": 300.0}},
                                      feature_names=["d", "e"]).fit(x, y)
    assert not [w for w in model_warnings(woe, ["d", "e"]) if "threshold =" in w]


def test_woe_groups_of_codes_the_layer_has_not_are_said(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
) -> None:
    """``evidence.geology.groups: {granites: [12, 13]}`` with the codes of the source
    file's own legend, where the cube numbers its classes 0..n-1: the group held no cell,
    every class fell in "other" and the layer dropped out, said only as "no cut-off or
    class leaves deposits and area on both sides"."""
    result, out = _train(cli, job, scheduler, estimator="weights_of_evidence",
                         features=["geology", "heatflow"], params={"evidence": {
                             "geology": {"type": "categorical",
                                         "groups": {"granites": [12, 13]}}}})
    assert result.code == 0, (result.out + result.err)[-3000:]
    said = json.loads((out / "model" / "metrics.json").read_text())["warnings"]
    line = [w for w in said if "groups" in w]
    assert len(line) == 1, said
    assert "model.params.evidence.geology.groups: granites [12, 13] hold(s) none of the " \
        "classes layer 'geology' has at the training cells (0, " in line[0]
    assert "flag_values" in line[0]


def test_woe_groups_of_class_names_are_refused_naming_the_group(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
) -> None:
    """``groups: {granites: [granite, gneiss]}`` (the units' names): was "could not
    convert string to float: 'granite'", naming neither the key nor what a group takes."""
    result, _ = _train(cli, job, scheduler, estimator="weights_of_evidence",
                       features=["geology", "heatflow"], params={"evidence": {
                           "geology": {"type": "categorical",
                                       "groups": {"granites": ["granite", "gneiss"]}}}})
    assert_clean_error(result, 2, "model.params.evidence.geology.groups.granites",
                       "'granite' is not a class code", "flag_values")


def test_woe_groups_of_the_layers_codes_get_no_line() -> None:
    """control: a group of codes the layer holds (one absent code beside them: a class
    absent from the training area) is fitted as before, without a groups line."""
    from prospect.models.summary import model_warnings
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(35)
    g = rng.integers(1, 6, 3000).astype(float)
    y = (rng.random(3000) < np.where(g == 2, 0.1, 0.02)).astype(int)
    woe = WeightsOfEvidenceClassifier(
        categorical_features=[0], feature_names=["geology"],
        evidence={"geology": {"type": "categorical", "groups": {"g": [2, 13]}}},
    ).fit(g[:, None], y)
    assert model_warnings(woe, ["geology"]) == []
    assert woe.evidence_[0]["weights"][0] > 0


# -- 3. model and cube paths with a `~` the shell left ----------------------------------------

@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of the test's own (``~`` is expanded to it)."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def test_model_import_of_a_quoted_tilde_path_finds_the_folder(cli: Any, home: Path,
                                                              tmp_path: Path) -> None:
    """``prospect model import "~/models/li" ...`` (quoted in a script: the shell leaves
    the ``~``): was "~/models/li: no such model directory", while ``-r ~/reg`` of the
    same command was taken as the home folder."""
    from sklearn.linear_model import LogisticRegression

    from prospect.registry import save_model

    rng = np.random.default_rng(35)
    X = rng.random((60, 2))
    schema = {"variables": [{"name": n, "units": "1", "dtype": "float32",
                             "prospect_kind": "continuous", "provenance": {}}
                            for n in ("a", "b")],
              "crs": "EPSG:32619", "resolution": 100.0, "feature_order": ["a", "b"]}
    save_model(LogisticRegression().fit(X, (X[:, 1] > 0.5).astype(int)),
               home / "models" / "li", schema=schema,
               card={"mineral": "lithium", "synthetic": True,
                     "limitations": ["SYNTHETIC model"]})
    result = cli("model", "import", "~/models/li", "--name", "li", "-r", tmp_path / "reg")
    assert result.code == 0, result.out + result.err
    assert (tmp_path / "reg" / "li" / "1" / "model.skops").is_file()
    assert not (Path.cwd() / "~").exists()


def test_model_score_of_a_quoted_tilde_cube_scores_it(
    cli: Any, job: tuple[dict[str, Any], Path], home: Path, tmp_path: Path,
) -> None:
    """``prospect model score li --cube=~/run/cube.zarr`` (``~`` after ``=`` is left by
    the shell): was "~/run/cube.zarr: no such cube (-c/--cube)" of a cube that is there."""
    _, out = job
    (home / "run").symlink_to(out, target_is_directory=True)
    reg = tmp_path / "reg"
    imported = cli("model", "import", out / "model", "--name", "li", "-r", reg)
    assert imported.code == 0, imported.out + imported.err
    result = cli("model", "score", "li", "--cube=~/run/cube.zarr", "-o",
                 tmp_path / "scored.zarr", "-r", reg)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert (tmp_path / "scored.zarr" / "zarr.json").is_file()


def test_a_cube_path_of_an_unknown_user_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    """``~nosuchuser/...`` is refused in words (exit 2), as ``-o`` is; was "no model
    named ..." after the cube's path was taken as a relative folder named ``~nosuchuser``."""
    result = cli("model", "score", "li", "--cube", "~nosuchuser_r35/cube.zarr", "-o",
                 tmp_path / "s.zarr", "-r", tmp_path / "reg")
    assert result.code == 2
    assert "Traceback" not in result.out + result.err
    assert "nosuchuser_r35" in result.out + result.err


def _published(tmp_path: Path) -> Path:
    """A registry holding one tiny SYNTHETIC model, ``li`` version ``1``."""
    from sklearn.linear_model import LogisticRegression

    from prospect.registry import ModelRegistry, save_model

    rng = np.random.default_rng(35)
    X = rng.random((60, 2))
    schema = {"variables": [{"name": n, "units": "1", "dtype": "float32",
                             "prospect_kind": "continuous", "provenance": {}}
                            for n in ("a", "b")],
              "crs": "EPSG:32619", "resolution": 100.0, "feature_order": ["a", "b"]}
    folder = save_model(LogisticRegression().fit(X, (X[:, 1] > 0.5).astype(int)),
                        tmp_path / "m", schema=schema,
                        card={"mineral": "lithium", "synthetic": True,
                              "limitations": ["SYNTHETIC model"]})
    ModelRegistry(str(tmp_path / "reg")).publish(folder, "li", version="1")
    return tmp_path / "reg"


@pytest.mark.parametrize(("args", "what", "bare"), [
    (("show", "li/"), "name", "li"),
    (("show", "li", "--version", "1/"), "version", "1"),
])
def test_a_name_with_the_slash_of_shell_completion_says_the_name(
    cli: Any, tmp_path: Path, args: tuple[str, ...], what: str, bare: str,
) -> None:
    """``prospect model show li/`` (tab completion in the registry's folder): was "model
    name 'li/' is refused ...; if it is a model folder ...: publish it first with 'prospect
    model import'" of a model the registry holds."""
    reg = _published(tmp_path)
    line = assert_clean_error(cli("model", *args, "-r", reg), 1,
                              f"model {what} '{bare}/' ends in '/'",
                              f"without it: '{bare}'")
    assert "model import" not in line


def test_a_path_given_as_a_name_keeps_its_hint(cli: Any, tmp_path: Path) -> None:
    """control: a path of two parts (``out/model``) is still told to publish the folder."""
    reg = _published(tmp_path)
    assert_clean_error(cli("model", "show", "out/model", "-r", reg), 1,
                       "model name 'out/model' is refused", "prospect model import")


# -- 4. a random forest without bootstrap whose splits take every layer ----------------------

def test_a_forest_without_bootstrap_choosing_among_every_layer_is_refused(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
) -> None:
    """``bootstrap: false`` with ``max_features: 3`` on 3 layers: every tree grown on
    every row choosing among every column, one tree repeated; was trained (exit 0) with
    an uncertainty map of 0 in every cell and a warning after the fit."""
    card = job[1] / "model" / "card.json"
    before = card.read_bytes()
    result, _ = _train(cli, job, scheduler, features=NUMERIC,
                       params={"n_estimators": 20, "max_features": 3, "bootstrap": False})
    assert_clean_error(result, 2, "bootstrap = false with max_features = 3",
                       "3 of the 3 feature column(s)", "one tree repeated",
                       "at most 2")
    assert card.read_bytes() == before


@pytest.mark.parametrize("max_features", ["sqrt", 0.5, 1])
def test_one_layer_without_bootstrap_is_refused_whatever_max_features(
        max_features: Any) -> None:
    """One layer: ``sqrt`` (the default), a share or 1 all choose the one column."""
    with pytest.raises(ConfigError, match=r"one tree repeated.*use extra_trees"):
        make_estimator(_config(bootstrap=False, max_features=max_features), n_features=1,
                       feature_names=["heatflow"])


def test_forests_whose_trees_can_differ_are_built() -> None:
    """control: fewer columns than the layers without bootstrap, every column with
    bootstrap, extra trees without bootstrap (random cut points), and one-hot layers
    (columns known only once fitted) are built as before."""
    names = ["a", "b", "c"]
    for estimator, params, categorical in (
            ("random_forest", {"bootstrap": False, "max_features": 2}, ()),
            ("random_forest", {"bootstrap": False}, ()),
            ("random_forest", {"max_features": 3}, ()),
            ("extra_trees", {"bootstrap": False, "max_features": 3}, ()),
            ("random_forest", {"bootstrap": False, "max_features": 3}, (2,))):
        make_estimator(_config(estimator, **params), n_features=3, feature_names=names,
                       categorical=categorical)


# -- 5. the config's parameter check on a busy machine -----------------------------------------

def test_the_config_check_of_gradient_boosting_stays_fast() -> None:
    """Every load of a job config fits the estimator once on 400 SYNTHETIC rows to catch
    parameters refused together; histogram gradient boosting did so on every core, and
    OpenMP's threads took 0.3 to 3.5 s per load on a machine other jobs share (2 cores
    here), at every ``plan``, stage and worker that loads the config."""
    config = _config("hist_gradient_boosting")
    check_params(config)
    start = time.perf_counter()
    for _ in range(8):
        check_params(config)
    assert time.perf_counter() - start < 2.0
