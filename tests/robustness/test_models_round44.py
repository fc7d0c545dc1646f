"""Round 44, models and reuse: a geology map holding a unit the model never saw, said as
what the map holds there.

All data are SYNTHETIC: 600 training rows drawn from a seeded generator (a continuous
layer ``a`` and a geology code ``geo`` of units 1, 2 and 3, deposits mostly on unit 3),
models made by Prospect's own factory (:func:`prospect.models.factory.make_estimator`)
and published in a temporary registry, and a 16 x 16 cube on their grid whose ``geo``
holds a new unit, code 9, on its first four rows (a lithology mapped after training, or a
neighbouring survey's legend); scored by the real CLI in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

GROUPS = {"g3": [3]}
"""The weights-of-evidence class groups of the ``woegroups`` model: unit 3, and "other"."""


@pytest.fixture(scope="module")
def new_unit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A registry holding SYNTHETIC models on ``a`` and ``geo`` (``onehot``, ``target``:
    logistic regressions with one-hot and target encoding; ``woe``: weights of evidence;
    ``woegroups``: weights of evidence with unit 3 a group of its own), a SYNTHETIC cube
    whose ``geo`` holds code 9 on 64 cells, and the maps' values there."""
    import xarray as xr

    from prospect.config.model import ModelConfig
    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.models.factory import make_estimator
    from prospect.registry import ModelRegistry, save_model
    from prospect.registry.applicability import training_values
    from prospect.registry.schema import schema_from_cube
    from prospect.testing import float_layer

    root = tmp_path_factory.mktemp("r44unit")
    rng = np.random.default_rng(44)
    n = 600
    geo = rng.integers(1, 4, n).astype(float)
    X = np.column_stack([rng.random(n), geo])
    y = (rng.random(n) < np.where(geo == 3, 0.6, 0.1)).astype(int)
    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 561600.0, 1331600.0),
                      chunks=(16, 16), name="r44unit")
    cube = root / "new_unit.zarr"
    create_cube(cube, grid, attrs={"synthetic": True})
    like = open_cube(cube)
    codes = rng.integers(1, 4, grid.shape).astype("f4")
    codes[:4, :] = 9  # a unit mapped after training
    layer = float_layer(codes, name="geo", units="1", long_name="geology unit code",
                        provenance={"source": "synthetic"}, like=like)
    layer.attrs["prospect_kind"] = "categorical"
    add_variables(cube, xr.Dataset({
        "a": float_layer(rng.random(grid.shape), name="a", units="1", long_name="a",
                         provenance={"source": "synthetic"}, like=like),
        "geo": layer}))
    schema = schema_from_cube(open_cube(cube), ["a", "geo"])
    seen = training_values(X, ["a", "geo"], ["geo"])
    for spec in schema["variables"]:
        spec["training"] = seen[spec["name"]]
    registry = ModelRegistry(str(root / "reg"))
    models = {
        "onehot": ("logistic_regression", {"categorical": "onehot"}),
        "target": ("logistic_regression", {"categorical": "target"}),
        "woe": ("weights_of_evidence", {}),
        "woegroups": ("weights_of_evidence", {"params": {"evidence": {
            "geo": {"type": "categorical", "groups": GROUPS}}}}),
    }
    fitted = {}
    for name, (estimator, extra) in models.items():
        cfg = ModelConfig(estimator=estimator, mineral="lithium",
                          labels={"source": "wells"}, **extra)
        model = make_estimator(cfg, n_features=2, categorical=[1], cell_area=1e4,
                               feature_names=["a", "geo"]).fit(X, y)
        folder = save_model(model, root / name, schema=schema,
                            card={"mineral": "lithium", "synthetic": True,
                                  "limitations": ["SYNTHETIC model"]})
        registry.publish(folder, name, version="1")
        fitted[name] = model
    return {"reg": root / "reg", "cube": cube, "codes": codes, "models": fitted}


def _score(cli: Any, found: dict[str, Any], name: str, out: Path) -> tuple[str, np.ndarray]:
    """``prospect model score NAME`` on the cube with the new unit: its words (one line)
    and its probability map."""
    import xarray as xr

    result = cli("model", "score", name, "-c", found["cube"], "-o", out, "-r", found["reg"])
    assert result.code == 0, result.err[-2000:]
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text
    with xr.open_zarr(out) as maps:
        return text, np.asarray(maps["probability"].values)


def test_a_new_unit_under_target_encoding_is_said_as_the_training_mean(
        cli: Any, new_unit: dict[str, Any], tmp_path: Path) -> None:
    """``model.categorical: target``: the target encoder encodes a code it never saw as
    the training rows' mean share of positives, so the map scores the new unit as one as
    prospective as the average training row; the warning said the cells "are scored as
    none of the known classes, which no training cell was", the one-hot encoder's
    reading. Now it says what the encoder did, with the mean it used."""
    text, _ = _score(cli, new_unit, "target", tmp_path / "s.zarr")
    mean = float(new_unit["models"]["target"].named_steps["encode"]
                 .named_transformers_["categorical"].target_mean_)
    assert "variable 'geo': 64 cell(s) hold 1 code(s) the model never saw in training: " \
           "9 (64 cells)" in text, text
    assert f"the target encoder encodes them as the training rows' mean ({mean:.3g}, the " \
           "share of positives over every class), so the map scores each as a unit as " \
           "prospective as the average training row" in text, text
    assert "none of the known classes" not in text


def test_a_new_unit_under_weights_of_evidence_groups_is_said_as_its_group(
        cli: Any, new_unit: dict[str, Any], tmp_path: Path) -> None:
    """Weights of evidence with class ``groups`` (unit 3 a group of its own): a new code
    falls in group "other" and takes its weight, so the new unit is mapped exactly as the
    barren units 1 and 2 -- a known class, not "none of the known classes" as the warning
    said. Now the warning names the group it was scored as."""
    text, p = _score(cli, new_unit, "woegroups", tmp_path / "s.zarr")
    codes = new_unit["codes"]
    assert "weights of evidence scores them with the weight of the class group holding " \
           "them (9 as group 'other', the classes no group names), as though they were " \
           "its units" in text, text
    assert "none of the known classes" not in text
    # what the words say is what the map holds: the new unit as units 1 and 2 (same a)
    model = new_unit["models"]["woegroups"]
    rows = np.array([[0.5, 9.0], [0.5, 1.0]])
    assert model.predict_proba(rows)[0, 1] == model.predict_proba(rows)[1, 1]
    assert np.isfinite(p[codes == 9]).all()


def test_a_new_unit_under_weights_of_evidence_is_said_to_weigh_nothing(
        cli: Any, new_unit: dict[str, Any], tmp_path: Path) -> None:
    """Weights of evidence without groups: a code it never saw takes no weight (the layer
    counts as missing there, its missing-data variance in the uncertainty); the warning
    said "scored as none of the known classes". Now it says so."""
    text, _ = _score(cli, new_unit, "woe", tmp_path / "s.zarr")
    assert "weights of evidence gives them no weight for this layer, as a cell without " \
           "its evidence (the posterior there rests on the prior and the other layers, " \
           "and the uncertainty holds this layer's missing-data variance)" in text, text
    assert "none of the known classes" not in text


def test_control_a_new_unit_under_one_hot_encoding_keeps_its_words(
        cli: Any, new_unit: dict[str, Any], tmp_path: Path) -> None:
    """Control: the one-hot encoder (Prospect's default) does score a new code as none of
    the known classes (every class column 0); its words stay, to the letter."""
    text, _ = _score(cli, new_unit, "onehot", tmp_path / "s.zarr")
    assert "9 (64 cells) (trained on codes 1, 2, 3); they are scored as none of the known " \
           "classes, which no training cell was: read the map there as unsupported, or " \
           "retrain with occurrences and background on those units" in text, text


# -- 2. spatial CV's "class unseen in a fold" for weights of evidence's class groups ----------

def _grouped_folds() -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """SYNTHETIC training rows of a geology code (column 1) in two spatial folds: units 1
    and 3 in both, unit 7 (a small granite stock) only in fold 0's test rows, with 2 of
    its 12 rows deposits."""
    rng = np.random.default_rng(7)
    codes = np.r_[np.tile([1.0, 3.0], 40), np.full(12, 7.0)]
    y = np.r_[(rng.random(80) < 0.2).astype(int), np.r_[1, 1, np.zeros(10, int)]]
    X = np.column_stack([rng.random(codes.size), codes])
    fold0 = np.r_[np.arange(0, 40), np.arange(80, 92)]
    fold1 = np.arange(40, 80)
    return X, y, [(fold1, fold0), (fold0, fold1)]


def test_a_rare_class_grouped_for_weights_of_evidence_is_not_said_unseen() -> None:
    """``model.params.evidence.geo.groups: {granites: [3, 7]}``: weights of evidence
    weighs the granites, not unit 7, so fold 0's model scores unit 7's rows with the
    granites' weight (unit 3 is in its training rows). The train stage still warned
    "spatial CV: 12 test rows (2 positive) hold a class their fold's training rows never
    do (geo: class 7 ...): that fold's model scores them as no class it knows (...
    weights of evidence: weight 0) ...; group rare classes with like ones", the very
    grouping the user had made. Now the groups are compared: nothing to say."""
    from prospect.config.model import ModelConfig
    from prospect.models.cv import classes_unseen_in_folds
    from prospect.models.factory import class_groups

    X, y, folds = _grouped_folds()
    cfg = ModelConfig(estimator="weights_of_evidence", mineral="tungsten",
                      labels={"source": "occurrences"},
                      params={"evidence": {"geo": {"type": "categorical",
                                                   "groups": {"granites": [3, 7]}}}})
    groups = class_groups(cfg, ["a", "geo"], [1])
    assert groups == {1: {"granites": [3.0, 7.0]}}
    found = classes_unseen_in_folds(X, y, folds, categorical=[1], names=["a", "geo"],
                                    groups=groups)
    assert (found["rows"], found["positives"], found["warning"]) == (0, 0, None)


def test_a_class_group_unseen_in_a_fold_is_named_as_the_group() -> None:
    """Where the group itself lies in one fold (``{stock: [7]}``: unit 7 alone), the fold's
    model has no weight for it; said, naming the group, not a class of it."""
    from prospect.models.cv import classes_unseen_in_folds

    X, y, folds = _grouped_folds()
    found = classes_unseen_in_folds(X, y, folds, categorical=[1], names=["a", "geo"],
                                    groups={1: {"stock": [7.0]}})
    assert (found["rows"], found["positives"]) == (12, 2)
    assert "(geo: class group 'stock' (12 rows, 2 positive(s), fold 0))" in found["warning"]
    assert found["classes"] == {"geo": {"stock": {"folds": [0], "rows": 12, "positives": 2,
                                                  "group": "stock"}}}


def test_control_ungrouped_classes_unseen_in_a_fold_keep_their_words() -> None:
    """Control: without groups (one-hot, target encoding, weights of evidence per class)
    unit 7 is unseen by fold 0's model and said as before, to the letter."""
    from prospect.models.cv import classes_unseen_in_folds

    X, y, folds = _grouped_folds()
    found = classes_unseen_in_folds(X, y, folds, categorical=[1], names=["a", "geo"])
    assert found["warning"].startswith(
        "spatial CV: 12 test rows (2 positive) hold a class their fold's training rows "
        "never do (geo: class 7 (12 rows, 2 positive(s), fold 0)): that fold's model "
        "scores them as no class it knows")
    assert found["classes"] == {"geo": {"7": {"folds": [0], "rows": 12, "positives": 2}}}


# -- 3. a geology map's new units counted over the whole layer at once ----------------------

def test_new_units_are_counted_without_reading_the_whole_layer_at_once(
        tmp_path: Path) -> None:
    """The check of a categorical layer for codes the model never saw (before every
    ``model score`` and the job's score stage) read the whole layer into the job's
    process as one array and copied it twice as float64: a SYNTHETIC 2048 x 2048 geology
    map (16 MiB as float32, 256 x 256 chunks) took a peak of about 48 MiB, and a survey's
    20 000 x 20 000 map about 5 GB beside the scoring. Now it is read a band of chunks at
    a time (a peak under the layer's own size), and the counts are the same."""
    import tracemalloc

    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.registry.applicability import input_warnings
    from prospect.testing import float_layer

    n = 2048
    grid = RegionGrid("EPSG:32619", 10.0, (560000.0, 1330000.0, 560000.0 + 10 * n,
                                            1330000.0 + 10 * n), chunks=(256, 256),
                      name="r44big")
    cube = tmp_path / "big.zarr"
    create_cube(cube, grid, attrs={"synthetic": True})
    codes = np.ones(grid.shape, "f4")
    codes[::7, ::5] = 2
    codes[:10, :10] = 9  # 100 cells of a unit mapped after training
    codes[-3:, -4:] = 11  # 12 more, in the last chunk
    layer = float_layer(codes, name="geo", units="1", long_name="geology unit code",
                        provenance={"source": "synthetic"}, like=open_cube(cube))
    layer.attrs["prospect_kind"] = "categorical"
    add_variables(cube, xr.Dataset({"geo": layer}))
    del codes, layer
    ds = open_cube(cube)
    schema = {"variables": [{"name": "geo", "training": {"n": 500, "codes": [1, 2]}}],
              "feature_order": ["geo"]}
    tracemalloc.start()
    try:
        lines = input_warnings(ds, schema)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(lines) == 1
    assert "112 cell(s) hold 2 code(s) the model never saw in training: 9 (100 cells), " \
           "11 (12 cells) (trained on codes 1, 2)" in lines[0], lines[0]
    assert peak < n * n * 4, f"peak {peak / 2**20:.1f} MiB"
