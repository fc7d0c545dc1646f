"""Round 65b, models and reuse: a researcher's model that gives no probabilities (a
``VotingClassifier(voting="hard")``, an ``SVC`` without probabilities, a
``RidgeClassifier``, a ``Perceptron``, an ``SGDClassifier`` of hinge loss, a regressor, a
soft voting with such a member, a stacking with such a final estimator) was saved and
published without a word, then refused at scoring in scikit-learn's words; and an
unweighted soft voting, whose probability is the plain mean of its members', mapped no
spread of them; and a cube holding the model's layer under its name with a unit added
(``a_ppm``, ``a [mGal]``) was refused with "variable 'a': missing from the cube" alone.

Scoring checked ``isinstance(estimator, ProbabilisticClassifier)``, a protocol Python
checks on the class: a ``VotingClassifier`` has ``predict_proba`` on its class whatever
its ``voting``, so a hard one passed, and ``prospect model score`` refused it as "the
model's estimator (sklearn.ensemble._voting.VotingClassifier) failed on 16 x 16 cells of
the cube at row 0, column 0: AttributeError: This 'VotingClassifier' has no attribute
'predict_proba'". Now :func:`prospect.models.uncertainty.probability_problem` asks the
instance, as scikit-learn answers it, and ``save_model``, ``ModelRegistry.publish``
(``prospect model import``) and ``score_model`` refuse such a model in one line naming
the step, what a map needs and the parameter or wrapper that gives probabilities.

Controls: classifiers that give probabilities (a soft voting, a ``CalibratedClassifierCV``
around a ridge classifier, an ``SGDClassifier`` of log loss) are saved and load back as
before; a weighted soft voting keeps its own probability, NaN and round 65's words; a
layer differing in case keeps its line, one with a year (``a_2020``) is missing as before.

All data are SYNTHETIC: round 49's 600 training rows of ``a`` (0..1) and a categorical
``geo`` (1-3) and its 32 x 32 cubes, the estimators fitted on those rows behind round 49's
encoder and scaler.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import assert_clean_error
from .test_models_round49 import _published
from .test_models_round65 import _rows

MAP_NEEDS = "a prospectivity map is the probability of the occurrence class"


def _voting(kind: str, second: Any = None, weights: list[int] | None = None) -> Any:
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    return VotingClassifier(
        [("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
         ("logit", second if second is not None else LogisticRegression())],
        voting=kind, weights=weights)


def _svc() -> Any:
    from sklearn.svm import SVC

    return SVC()


def _ridge() -> Any:
    from sklearn.linear_model import RidgeClassifier

    return RidgeClassifier()


def _perceptron() -> Any:
    from sklearn.linear_model import Perceptron

    return Perceptron(random_state=0)


def _sgd(loss: str) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss=loss, random_state=0)


def _regressor() -> Any:
    from sklearn.linear_model import LinearRegression

    return LinearRegression()


def _stacking_ridge() -> Any:
    from sklearn.ensemble import StackingClassifier
    from sklearn.tree import DecisionTreeClassifier

    return StackingClassifier([("tree", DecisionTreeClassifier(max_depth=3, random_state=0))],
                              final_estimator=_ridge())


WITHOUT: dict[str, tuple[Callable[[], Any], tuple[str, ...]]] = {
    "hard_voting": (lambda: _voting("hard"), (
        "last step 'model': VotingClassifier(voting='hard') gives no probabilities",
        "fit it again with voting='soft'")),
    "svc": (_svc, ("SVC gives classes or decision scores, no probabilities",
                   "CalibratedClassifierCV(SVC(...))")),
    "ridge": (_ridge, ("RidgeClassifier gives", "CalibratedClassifierCV(RidgeClassifier(")),
    "perceptron": (_perceptron, ("Perceptron gives", "CalibratedClassifierCV(Perceptron(")),
    "sgd_hinge": (lambda: _sgd("hinge"), ("SGDClassifier(loss='hinge') gives no "
                                          "probabilities", "fit it again with loss='log_loss'")),
    "regressor": (_regressor, ("LinearRegression is a regressor",
                               "fit a classifier on labels 0 (background) and 1")),
    "soft_voting_of_an_svc": (lambda: _voting("soft", _svc()), (
        "member 'logit' has none: SVC gives", "CalibratedClassifierCV(SVC(...))")),
    "stacking_of_a_ridge": (_stacking_ridge, (
        "its final estimator has none: RidgeClassifier gives",)),
}


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Round 49's registry (``logit``, SYNTHETIC) and, saved as Prospect saved them before
    this round (no check of probabilities), a hard voting behind the same encoder and
    scaler: published as ``hard/1``, and a folder of it not yet imported."""
    from sklearn.base import clone

    from prospect.registry import ModelRegistry, save_model

    root = tmp_path_factory.mktemp("models65b")
    out = _published(root, 66, None, 0)
    registry = ModelRegistry(str(out["reg"]))
    loaded = registry.load("logit", "1")
    X, y = _rows(66)
    hard = clone(loaded.estimator).set_params(model=_voting("hard")).fit(X, y)
    with pytest.MonkeyPatch.context() as mp:  # saved and published as before this round
        mp.setattr("prospect.models.uncertainty.probability_problem", lambda e: None,
                   raising=False)
        folder = save_model(hard, root / "hard", schema=loaded.schema,
                            card={"mineral": "lithium", "synthetic": True,
                                  "limitations": ["SYNTHETIC model"]})
        registry.publish(folder, "hard", version="1")
    out.update(X=X, y=y, pipeline=loaded.estimator, schema=loaded.schema, folder=folder,
               registry=registry)
    return out


# -- 1. a model that gives no probabilities, refused where it is saved and imported -----------


@pytest.mark.parametrize("kind", sorted(WITHOUT))
def test_save_model_refuses_an_estimator_without_probabilities(
    kind: str, tmp_path: Path, found: dict[str, Any]
) -> None:
    """``save_model`` of the pipeline with each estimator that gives no probabilities: was
    saved without a word; now one ModelError naming the folder, the step, why, what a map
    needs and the fix, and nothing written."""
    from sklearn.base import clone

    from prospect.errors import ModelError
    from prospect.registry import save_model

    make, needles = WITHOUT[kind]
    model = clone(found["pipeline"]).set_params(model=make()).fit(found["X"], found["y"])
    target = tmp_path / "m"
    with pytest.raises(ModelError) as err:
        save_model(model, target, schema=found["schema"],
                   card={"mineral": "lithium", "synthetic": True})
    text = str(err.value)
    assert text.startswith(f"{target}: the pipeline's last step 'model': "), text
    assert MAP_NEEDS in text and text.endswith("; nothing was saved"), text
    for needle in needles:
        assert needle in text, text
    assert "\n" not in text
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_a_hard_voting_model_is_refused_at_import(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``prospect model import hard --name hard2``: was exit 0, published; now exit 1, one
    line naming the folder, voting='soft' and what a map needs; nothing published."""
    result = cli("model", "import", found["folder"], "--name", "hard2", "-r", found["reg"])
    line = assert_clean_error(result, 1, str(found["folder"]), "VotingClassifier(voting='hard')",
                              "fit it again with voting='soft'", MAP_NEEDS,
                              "nothing was published")
    assert "16 x 16" not in line
    assert "hard2" not in found["registry"].names()


def test_a_hard_voting_published_before_is_refused_at_scoring_in_prospect_words(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``prospect model score hard`` of a hard voting published before this round: was
    exit 1, "the model's estimator (...VotingClassifier) failed on 16 x 16 cells ...:
    AttributeError: This 'VotingClassifier' has no attribute 'predict_proba'"; now exit 1,
    one line saying it gives no probabilities and to fit it with voting='soft', nothing
    written."""
    cube = found["make_cube"](tmp_path / "c.zarr", found["a"])
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "hard", "-c", cube, "-o", out, "-r", found["reg"])
    line = assert_clean_error(result, 1, "VotingClassifier(voting='hard') gives no "
                              "probabilities", "fit it again with voting='soft'", MAP_NEEDS)
    assert "16 x 16" not in line and "AttributeError" not in line, line
    assert not out.exists()


# -- 2. an unweighted soft voting: its probability is the plain mean of its members -------------


def test_an_unweighted_soft_voting_maps_its_members_spread(found: dict[str, Any]) -> None:
    """An unweighted soft voting of a tree and a logistic regression: was its own
    probability and NaN ("combines its 2 members in a way of its own"); now its own
    probability exactly and the population s.d. of its members' probabilities (by hand,
    to 1e-12), said as such over 2 members."""
    from sklearn.base import clone

    from prospect.models.uncertainty import predict_with_uncertainty, uncertainty_meaning

    model = clone(found["pipeline"]).set_params(model=_voting("soft")).fit(
        found["X"], found["y"])
    p, s = predict_with_uncertainty(model, found["X"])
    np.testing.assert_array_equal(p, model.predict_proba(found["X"])[:, 1])
    Xt = model[:-1].transform(found["X"])
    members = np.array([m.predict_proba(Xt)[:, 1] for m in model.steps[-1][1].estimators_])
    np.testing.assert_allclose(s, members.std(axis=0), rtol=0, atol=1e-12)
    assert float(s.max()) > 0.01
    assert uncertainty_meaning(model) == (
        "standard deviation of the 2 members' probabilities (an unweighted soft voting: its "
        "probability is their plain mean) about their mean, the score (population s.d.), in "
        "the units of the score", 2)


# -- controls ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["soft_voting", "calibrated_ridge", "sgd_log_loss"])
def test_control_classifiers_with_probabilities_are_saved(
    kind: str, tmp_path: Path, found: dict[str, Any]
) -> None:
    """A soft voting, a ``CalibratedClassifierCV`` around a ridge classifier and an
    ``SGDClassifier`` of log loss are saved and load back with the same probabilities."""
    from sklearn.base import clone
    from sklearn.calibration import CalibratedClassifierCV

    from prospect.registry import load_model, save_model

    make = {"soft_voting": lambda: _voting("soft"),
            "calibrated_ridge": lambda: CalibratedClassifierCV(_ridge()),
            "sgd_log_loss": lambda: _sgd("log_loss")}[kind]
    model = clone(found["pipeline"]).set_params(model=make()).fit(found["X"], found["y"])
    folder = save_model(model, tmp_path / "m", schema=found["schema"],
                        card={"mineral": "lithium", "synthetic": True})
    back = load_model(folder).estimator
    np.testing.assert_array_equal(back.predict_proba(found["X"]),
                                  model.predict_proba(found["X"]))


def test_control_a_weighted_soft_voting_keeps_its_probability_and_words(
    found: dict[str, Any]
) -> None:
    """A soft voting with the weights [3, 1]: its own probability, NaN and round 65's
    words, as before."""
    from sklearn.base import clone

    from prospect.models.uncertainty import predict_with_uncertainty, uncertainty_meaning

    model = clone(found["pipeline"]).set_params(model=_voting("soft", weights=[3, 1])).fit(
        found["X"], found["y"])
    p, s = predict_with_uncertainty(model, found["X"])
    np.testing.assert_array_equal(p, model.predict_proba(found["X"])[:, 1])
    assert np.isnan(s).all()
    assert uncertainty_meaning(model) == (
        "none: VotingClassifier combines its 2 members with the weights [3, 1], so its "
        "probability is no plain mean of theirs; their spread about its probability is not "
        "mapped (NaN)", None)


# -- 3. a layer the cube holds under the model's name with a unit added ------------------------


@pytest.mark.parametrize(("cube_name", "model_name", "said"), [
    ("a_ppm", "a", "whose layer 'a_ppm' is its name with the unit 'ppm' added"),
    ("a [mGal]", "a", "whose layer 'a [mGal]' is its name with the unit 'mGal' added"),
    ("a", "a (W/m2)", "whose layer 'a' is its name without the unit 'W/m2'"),
])
def test_a_layer_named_with_a_unit_suffix_is_named_in_the_refusal(
    cube_name: str, model_name: str, said: str, tmp_path: Path, found: dict[str, Any]
) -> None:
    """The cube holds the model's layer under its name with a unit suffix (``a_ppm``, as a
    survey's export names a column), or the model's name carries one the cube's lacks: was
    "variable 'a': missing from the cube" alone; now the line names the cube's layer, the
    unit and the fix (check its units, name the layer exactly)."""
    import copy

    from prospect.errors import SchemaMismatchError
    from prospect.io.cube import open_cube
    from prospect.registry import check_schema

    cube = open_cube(found["make_cube"](tmp_path / "c.zarr", found["a"])).rename(
        {"a": cube_name})
    schema = copy.deepcopy(found["schema"])
    for spec in schema["variables"]:
        if spec["name"] == "a":
            spec["name"] = model_name
    schema["feature_order"] = [model_name if n == "a" else n for n in schema["feature_order"]]
    with pytest.raises(SchemaMismatchError) as err:
        check_schema(cube, schema)
    text = str(err.value)
    assert (f"- variable {model_name!r}: missing from the cube, {said} (named so in the job's "
            "config or by the tool that exported it); check that its values are in the "
            f"model's units and name that layer {model_name!r} exactly, as the model was "
            "trained, and ingest again") in text, text


@pytest.mark.parametrize(("cube_name", "line"), [
    ("A", "- variable 'a': missing from the cube, whose layer 'A' differs from it only in "
          "case or spaces"),
    ("a_2020", "- variable 'a': missing from the cube\n"),
])
def test_control_case_and_year_suffixes_keep_their_lines(
    cube_name: str, line: str, tmp_path: Path, found: dict[str, Any]
) -> None:
    """A layer differing in case keeps the line it had; one with a year (``a_2020``, no
    unit) is missing, as before."""
    from prospect.errors import SchemaMismatchError
    from prospect.io.cube import open_cube
    from prospect.registry import check_schema

    cube = open_cube(found["make_cube"](tmp_path / "c.zarr", found["a"])).rename(
        {"a": cube_name})
    with pytest.raises(SchemaMismatchError) as err:
        check_schema(cube, found["schema"])
    assert line in str(err.value) + "\n", str(err.value)
