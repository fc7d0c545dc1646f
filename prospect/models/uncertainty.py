"""Probability and its uncertainty from one fitted model, in one pass over the members.

* Forests, bagging ensembles and unweighted soft votings: mean and standard deviation of
  the member probabilities (the mean equals the ensemble's own ``predict_proba``).
* Estimators with ``predict_proba_std`` (weights of evidence, bagging PU): their own.
* Anything else (ensembles whose probability is no plain mean of their members' among
  them: stacking, weighted voting, AdaBoost): the estimator's own probability with a NaN
  uncertainty, said by :func:`uncertainty_meaning` with how it combines its members.

A :class:`~sklearn.pipeline.Pipeline` is unwrapped: its transformers run once and the last
step supplies the probability and spread. A :class:`CalibratedModel` maps both through its
calibration curve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import (
    AdaBoostClassifier,
    BaggingClassifier,
    ExtraTreesClassifier,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = ["PROBABILITY_ROUNDING", "CalibratedModel", "ProbabilisticClassifier",
           "checked_probabilities", "flat_calibration", "predict_with_uncertainty",
           "probability_problem", "uncertainty_meaning", "zero_spread_meaning"]


@runtime_checkable
class ProbabilisticClassifier(Protocol):
    """A fitted classifier that gives class probabilities (scikit-learn's contract)."""

    def predict_proba(self, X: Any) -> np.ndarray:
        """``(n, n_classes)`` probabilities; column 1 is the positive class."""
        ...


PROBABILITY_SWITCHES: dict[str, tuple[str | bool, str]] = {
    "voting": ("soft", "the plain mean of its members' predict_proba"),
    "loss": ("log_loss", "a logistic regression fitted by gradient descent"),
    "refit": (True, "its best parameters refitted on all the rows, its best_estimator_, "
                    "whose predict_proba it gives"),
}
"""scikit-learn parameters that switch a classifier's ``predict_proba`` on: the value
that gives probabilities and what they then are (``VotingClassifier(voting=...)``,
``SGDClassifier(loss=...)``, a search's ``refit``: without it ``GridSearchCV`` keeps no
fitted estimator), named where the estimator's class accepts that value (a
``LinearSVC``'s ``loss`` takes no ``log_loss``). Any other classifier is told to be wrapped
in ``CalibratedClassifierCV`` (scikit-learn 1.9's way for an ``SVC``, whose
``probability=True`` it deprecates)."""

MAP_NEEDS = ("a prospectivity map is the probability of the occurrence class at each cell "
             "(and its uncertainty a spread of probabilities), so it needs a classifier "
             "with predict_proba")
"""What a map takes of a model, said where one without probabilities is refused."""


def probability_problem(estimator: Any) -> str | None:
    """Why ``estimator`` can make no probability map (``None``: it gives probabilities).

    Checked on the instance, as scikit-learn answers it: a ``VotingClassifier(voting=
    "hard")``, an ``SVC`` without ``probability=True``, an ``SGDClassifier`` of hinge
    loss, a ``RidgeClassifier`` or a ``Perceptron`` have a ``predict_proba`` on their class
    (:class:`ProbabilisticClassifier` takes them) that raises AttributeError on the
    instance, or none at all; a regressor predicts a value. Such a model was saved and
    published without a word and then refused at scoring in scikit-learn's words ("This
    'VotingClassifier' has no attribute 'predict_proba'"), told as a failure on 16 x 16
    cells. A pipeline is judged by its last step; a soft voting by each member it
    averages, a stacking by its final estimator.

    Returns
    -------
    str or None
        One sentence naming the estimator (the pipeline step, the member), why it gives
        no probabilities, what a map needs and the parameter or wrapper that gives them.
    """
    if isinstance(estimator, Pipeline):
        label, last = estimator.steps[-1]
        why = probability_problem(last)
        return None if why is None else f"the pipeline's last step {label!r}: {why}"
    if isinstance(estimator, CalibratedModel):
        return None  # fitted only on a model with probabilities: its own predict_proba
    best = searched(estimator)
    if best is not None:
        why = probability_problem(best)
        return None if why is None else \
            f"{type(estimator).__name__}'s best estimator (best_estimator_): {why}"
    if not hasattr(estimator, "predict_proba"):
        return _no_probabilities(estimator)
    if isinstance(estimator, VotingClassifier):  # soft: the mean of each member's
        members = getattr(estimator, "named_estimators_", None) or {}
        for label, member in members.items():
            why = None if isinstance(member, str) else probability_problem(member)
            if why is not None:
                return f"soft voting averages its members' probabilities, and member " \
                       f"{label!r} has none: {why}"
    return None


def searched(model: Any) -> Any:
    """The refitted best estimator of a fitted hyper-parameter search (``GridSearchCV``,
    ``RandomizedSearchCV``, the halving searches), or ``None`` for any other model.

    A search's ``predict_proba`` is its ``best_estimator_``'s, called as is (scikit-learn's
    ``BaseSearchCV.predict_proba``), so its map, its spread and whether it gives
    probabilities are that estimator's. A ``GridSearchCV`` of a random forest was mapped
    with a NaN uncertainty, "GridSearchCV has no members to spread", while the forest it
    refitted has its trees; a search of a hard voting was told to be wrapped in
    ``CalibratedClassifierCV(GridSearchCV(...))`` instead of the voting's fix.
    """
    from sklearn.model_selection._search import BaseSearchCV

    if not isinstance(model, BaseSearchCV) or not getattr(model, "refit", False):
        return None
    return getattr(model, "best_estimator_", None)


def _no_probabilities(estimator: Any) -> str:
    """:func:`probability_problem`'s sentence for an estimator without ``predict_proba``."""
    from sklearn.base import is_classifier, is_regressor

    name = type(estimator).__name__
    if isinstance(estimator, StackingClassifier):
        final = getattr(estimator, "final_estimator_", None)
        why = None if final is None else probability_problem(final)
        if why is not None:
            return (f"{name} gives its final estimator's probabilities, and its final "
                    f"estimator has none: {why}")
    try:
        params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    except Exception:  # a class of elsewhere whose parameters cannot be read
        params = {}
    for param, (want, what) in PROBABILITY_SWITCHES.items():
        if param in params and params[param] != want and is_classifier(estimator) \
                and _accepts(estimator, param, want):
            return (f"{name}({param}={params[param]!r}) gives no probabilities (no "
                    f"predict_proba); {MAP_NEEDS}: fit it again with {param}={want!r} "
                    f"({what})")
    if is_regressor(estimator):
        return (f"{name} is a regressor: it predicts a value, not a class, and gives no "
                f"probabilities (no predict_proba); {MAP_NEEDS}: fit a classifier on labels "
                "0 (background) and 1 (occurrence), e.g. LogisticRegression or "
                "RandomForestClassifier")
    if not is_classifier(estimator):
        return (f"{name} is no classifier and gives no probabilities (no predict_proba); "
                f"{MAP_NEEDS}: fit a classifier on labels 0 (background) and 1 "
                "(occurrence), e.g. LogisticRegression or RandomForestClassifier")
    return (f"{name} gives classes or decision scores, no probabilities (no predict_proba); "
            f"{MAP_NEEDS}: wrap it in sklearn.calibration.CalibratedClassifierCV "
            f"(CalibratedClassifierCV({name}(...))), which fits probabilities to its scores, "
            "and save that")


def _accepts(estimator: Any, param: str, value: str | bool) -> bool:
    """True where the class of ``estimator`` declares ``value`` among the options of
    ``param`` (scikit-learn's parameter constraints; a bool where it takes ``"boolean"``)."""
    constraints = getattr(type(estimator), "_parameter_constraints", None) or {}
    if isinstance(value, bool):
        return "boolean" in constraints.get(param, ())
    return any(value in (getattr(c, "options", None) or ()) for c in constraints.get(param, ()))


def predict_with_uncertainty(
    model: ProbabilisticClassifier, X: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Probability of the positive class and its uncertainty (standard deviation).

    Raises
    ------
    ModelError
        The model gave a probability outside [0, 1] (beyond rounding), a non-number for a
        row it was given, or a negative or infinite uncertainty: a classifier from
        elsewhere (``--trust``) whose ``predict_proba`` returns scores, not probabilities.
        Values within rounding of 0 or 1 are clipped to them.
    """
    p, s = _predict(model, X)
    return checked_probabilities(model, p, s)


PROBABILITY_ROUNDING = 1e-9
"""How far past 0 or 1 a probability may lie by rounding (clipped, not refused)."""


def checked_probabilities(model: Any, p: np.ndarray, s: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """``p`` clipped to [0, 1] where it is within rounding of it, and ``s``; ModelError
    naming the estimator and the values when any ``p`` is outside or not a number, or any
    ``s`` is negative or infinite (a NaN ``s`` is an unknown uncertainty, kept)."""
    from prospect.errors import ModelError

    p, s = np.asarray(p, dtype="f8"), np.asarray(s, dtype="f8")
    # Two reductions on every block; the masks only when something is wrong. A NaN makes
    # min and max NaN, which fails both comparisons.
    lo, hi = (p.min(), p.max()) if p.size else (0.0, 1.0)
    p_ok = lo >= -PROBABILITY_ROUNDING and hi <= 1.0 + PROBABILITY_ROUNDING
    bad_s = (s < 0) | np.isinf(s)
    if not p_ok or bad_s.any():
        bad = ~((p >= -PROBABILITY_ROUNDING) & (p <= 1.0 + PROBABILITY_ROUNDING))  # NaN too
        name = _estimator_name(model)
        what = (f"{int(bad.sum())} of {p.size} probabilities outside [0, 1] or not a number "
                f"(e.g. {', '.join(f'{v:.6g}' for v in p[bad][:3])})" if bad.any() else
                f"{int(bad_s.sum())} of {s.size} uncertainties negative or infinite (e.g. "
                f"{', '.join(f'{v:.6g}' for v in s[bad_s][:3])})")
        raise ModelError(
            f"the model's estimator ({name}) gave {what}: a map of probabilities takes a "
            "classifier whose predict_proba returns class probabilities (shares in [0, 1]); "
            "nothing was written for these cells. Fit the estimator's scores to "
            "probabilities (a calibrated classifier) and save it again")
    return (np.clip(p, 0.0, 1.0) if lo < 0.0 or hi > 1.0 else p), s


def _estimator_name(model: Any) -> str:
    last = model.steps[-1][1] if isinstance(model, Pipeline) else model
    cls = type(last)
    return f"{cls.__module__}.{cls.__qualname__}"


def _positive_column(model: Any, proba: Any, rows: int) -> np.ndarray:
    """Column of the positive class (label 1, else the second of two) of ``proba``;
    ModelError when ``proba`` is not one row per input row and a column per class."""
    from prospect.errors import ModelError

    proba = np.asarray(proba)
    found = getattr(model, "classes_", None)
    classes = [] if found is None else list(found)
    if proba.ndim != 2 or proba.shape[0] != rows or proba.shape[1] < 2:
        raise ModelError(
            f"the model's estimator ({_estimator_name(model)}).predict_proba gave an array "
            f"of shape {proba.shape} for {rows} rows; a classifier's probabilities are one "
            "row per input row and one column per class (two: background, occurrence)")
    col = classes.index(1) if 1 in classes and len(classes) == proba.shape[1] else 1
    out: np.ndarray = proba[:, col]
    return out


def _predict(
    model: ProbabilisticClassifier, X: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`predict_with_uncertainty` before its values are checked."""
    if isinstance(model, CalibratedModel):
        p, s = _predict(model.model_, X)
        lo = model.calibrate(np.clip(p - s, 0.0, 1.0))
        hi = model.calibrate(np.clip(p + s, 0.0, 1.0))
        return model.calibrate(p), np.abs(hi - lo) / 2.0
    if isinstance(model, Pipeline):
        Xt = X
        for _, step in model.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            Xt = step.transform(Xt)
        return _predict(model.steps[-1][1], Xt)
    best = searched(model)
    if best is not None:  # BaseSearchCV.predict_proba: best_estimator_.predict_proba
        return _predict(best, X)
    if hasattr(model, "predict_proba_std"):
        return model.predict_proba(X)[:, 1], model.predict_proba_std(X)
    if _plain_soft_voting(model):
        return _voting_spread(model, X)
    if _calibrated_copies(model):
        return _copies_spread(model, X)
    if _averages_members(model):
        return _member_spread(model, X)
    return _positive_column(model, model.predict_proba(X), X.shape[0]), \
        np.full(X.shape[0], np.nan)


MEAN_OF_MEMBERS: tuple[type, ...] = (RandomForestClassifier, ExtraTreesClassifier,
                                     BaggingClassifier)
"""Ensembles whose ``predict_proba`` is the plain mean of their members' (a forest's
trees, a bagging ensemble's members): their members' spread is a spread about the score.

Any other estimator with a list of fitted members combines them otherwise: a
``StackingClassifier`` through its final estimator, a ``VotingClassifier`` with its
``weights`` (or by majority), an ``AdaBoostClassifier`` with its boosting weights. Their
members were read as a forest's (``_validate_X_predict``, which they lack: every such
model, saved by a researcher and scored with ``prospect model score``, was refused as "the
model's estimator ... failed on 16 x 16 cells ...: AttributeError: ... no attribute
'_validate_X_predict'", Prospect's fault told as the model's), and the meaning would have
said "the trees' probabilities"."""


def _averages_members(model: Any) -> bool:
    """True for an ensemble whose ``predict_proba`` is the plain mean of its members': one
    of :data:`MEAN_OF_MEMBERS` whose members give probabilities (a bagging ensemble of
    members without ``predict_proba`` counts their votes), or an unweighted soft voting
    (:func:`_plain_soft_voting`)."""
    members = getattr(model, "estimators_", None)
    return (isinstance(model, MEAN_OF_MEMBERS) and isinstance(members, list)
            and bool(members) and hasattr(members[0], "predict_proba")) \
        or _plain_soft_voting(model)


def _plain_soft_voting(model: Any) -> bool:
    """True for a fitted ``VotingClassifier(voting="soft")`` without ``weights``: its
    ``predict_proba`` is ``np.average`` of its members' with no weights, their plain mean
    (round 65 mapped no spread of it, NaN)."""
    members = getattr(model, "estimators_", None)
    return (isinstance(model, VotingClassifier) and model.voting == "soft"
            and model.weights is None and isinstance(members, list) and bool(members))


def _voting_spread(model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An unweighted soft voting's probability (its own: ``np.average`` of the members'
    probabilities, as scikit-learn takes it) and the population s.d. of the members'
    probabilities about it.

    The members are fitted on the voting's encoded labels (0..k-1, in the order of its
    ``classes_``), so the occurrence is the same column in each member's and in its own.
    """
    probas = np.asarray([member.predict_proba(X) for member in model.estimators_])
    proba = np.average(probas, axis=0)  # VotingClassifier.predict_proba, weights None
    classes = list(model.classes_)
    col = classes.index(1) if 1 in classes and len(classes) == proba.shape[1] else 1
    p = _positive_column(model, proba, X.shape[0])
    if len(model.estimators_) < 2:  # one member has no spread: unknown, not 0
        return p, np.full(p.shape, np.nan)
    return p, probas[:, :, col].std(axis=0)


def _calibrated_copies(model: Any) -> bool:
    """True for a fitted ``sklearn.calibration.CalibratedClassifierCV``: its
    ``predict_proba`` is the plain mean of its ``calibrated_classifiers_``' (with
    ``ensemble=True`` one per fold: the classifier fitted on the other folds, calibrated on
    that one; else one). It was mapped with a NaN uncertainty, "CalibratedClassifierCV has
    no members to spread", while it holds as many copies as folds."""
    from sklearn.calibration import CalibratedClassifierCV

    copies = getattr(model, "calibrated_classifiers_", None)
    return isinstance(model, CalibratedClassifierCV) and isinstance(copies, list) \
        and bool(copies)


def _copies_spread(model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A ``CalibratedClassifierCV``'s probability (its own: the calibrated copies'
    probabilities summed and divided by their number, as scikit-learn takes it) and the
    population s.d. of the copies' probabilities about it (NaN for one copy)."""
    probas = [copy.predict_proba(X) for copy in model.calibrated_classifiers_]
    proba = np.zeros((X.shape[0], len(model.classes_)))
    for one in probas:  # CalibratedClassifierCV.predict_proba, in its order
        proba += one
    proba /= len(probas)
    p = _positive_column(model, proba, X.shape[0])
    if len(probas) < 2:  # one copy has no spread: unknown, not 0
        return p, np.full(p.shape, np.nan)
    classes = list(model.classes_)
    col = classes.index(1) if 1 in classes and len(classes) == proba.shape[1] else 1
    return p, np.asarray(probas)[:, :, col].std(axis=0)


_SPREAD_UNITS = (", in probability units", ", in the units of the score")
"""The units an uncalibrated spread's meaning ends with (:func:`uncertainty_meaning`)."""


def uncertainty_meaning(model: Any) -> tuple[str, int | None]:
    """What the uncertainty :func:`predict_with_uncertainty` gives for ``model`` is: a
    spread of what, over how many members, in which units.

    The map's one name for every estimator ("standard deviation of the ensemble members'
    scores") was wrong for weights of evidence (no members: Bonham-Carter's standard
    deviation of the posterior due to the weights), for a calibrated model (the spread
    mapped through the calibration curve, not a spread of calibrated members) and for an
    estimator without members (no value at all); and it never said how many members.

    Returns
    -------
    tuple
        The sentence (dispatched as :func:`_predict` dispatches), and the number of
        members the spread is taken over (``None`` where it is no spread of members).
    """
    if isinstance(model, CalibratedModel):
        inner, n = uncertainty_meaning(getattr(model, "model_", model.model))
        if inner.startswith("none:"):  # a layer of NaN: nothing was mapped, no units
            return inner, n
        # the spread is mapped into probability units: its own units said before that
        # read "in the units of the score, mapped through ..., in probability units"
        for units in _SPREAD_UNITS:
            inner = inner.removesuffix(units)
        flat = flat_calibration(model)
        if flat is not None:  # "0: every member gives the cell the same score" was said
            return (f"{inner}, mapped through the {model.method} calibration curve, which is "
                    f"flat (every raw probability maps to {flat:.4g}: {FLAT_CURVE}), so it "
                    "is 0 at every cell, in probability units", n)
        return (f"{inner}, mapped through the {model.method} calibration curve (half the "
                "distance between the calibrated probabilities of the score minus and plus "
                "that spread), in probability units", n)
    if isinstance(model, Pipeline):
        return uncertainty_meaning(model.steps[-1][1])
    best = searched(model)
    if best is not None:  # its map is its best estimator's: so is the spread's meaning
        return uncertainty_meaning(best)
    name = type(model).__name__
    members = getattr(model, "estimators_", None)
    if hasattr(model, "predict_proba_std"):
        from prospect.models.pu import BaggingPUClassifier
        from prospect.models.woe import WeightsOfEvidenceClassifier

        if isinstance(model, WeightsOfEvidenceClassifier):
            return ("standard deviation of the posterior probability due to the variances "
                    "of the weights and of the prior (Bonham-Carter 1994, "
                    "(1/N(D) + sum s2(W)) P2) and, where a layer has no evidence or a class "
                    "unseen at training, to the missing data (Agterberg, Bonham-Carter & "
                    "Wright 1990: sum over the missing layers' states of their area share "
                    "times (P(D|state) - P)2), at most sqrt(P(1 - P)); no ensemble), in "
                    "probability units", None)
        if isinstance(model, BaggingPUClassifier):
            n = len(getattr(model, "estimators_", []) or [])
            if n < 2:
                return f"none: {name} has one bag, which has no spread (NaN)", n
            return (f"standard deviation of the {n} bags' probabilities (population s.d.), "
                    "in the units of the score", n)
        return (f"{name}.predict_proba_std (the estimator's own spread), in the units of "
                "the score", None)
    if _averages_members(model):
        n = len(members or [])
        what = "bootstrap members' probabilities" if isinstance(model, BaggingClassifier) \
            else ("members' probabilities (an unweighted soft voting: its probability is "
                  "their plain mean)") if _plain_soft_voting(model) \
            else "trees' probabilities (each the class share of its leaf)"
        if n < 2:
            return f"none: {name} has one member, which has no spread (NaN)", n
        return (f"standard deviation of the {n} {what} about their mean, the score "
                "(population s.d.), in the units of the score", n)
    if _calibrated_copies(model):
        n = len(model.calibrated_classifiers_)
        if n < 2:
            return (f"none: {name} holds one calibrated classifier (ensemble=False, or a "
                    "prefit estimator), which has no spread (NaN)", n)
        return (f"standard deviation of the {n} calibrated copies' probabilities (a "
                f"{name} with ensemble=True: each copy its estimator fitted on {n - 1} of "
                f"the {n} folds and calibrated on the one left out; its probability is "
                "their plain mean) about their mean, the score (population s.d.), in the "
                "units of the score", n)
    if isinstance(members, list) and members:
        return (f"none: {name} combines its {len(members)} members {_combination(model)}; "
                "their spread about its probability is not mapped (NaN)", None)
    return f"none: {name} has no members to spread (NaN)", None


def _combination(model: Any) -> str:
    """How an ensemble outside :data:`MEAN_OF_MEMBERS` combines its members, in words."""
    if isinstance(model, StackingClassifier):
        final = type(getattr(model, "final_estimator_", None)).__name__
        return (f"through its final estimator, a {final} fitted on their outputs, so its "
                "probability is no mean of theirs")
    if isinstance(model, VotingClassifier) and getattr(model, "weights", None) is not None:
        return (f"with the weights {list(model.weights)}, so its probability is no plain mean "
                "of theirs")
    if isinstance(model, AdaBoostClassifier):
        return ("each weighed by its boosting weight, so its probability is no plain mean of "
                "theirs")
    return ("in a way of its own (Prospect maps the spread of the members of forests and "
            "bagging ensembles only)")


FLAT_CURVE = ("the out-of-fold probabilities it was fitted on did not rank the positives "
              "above the background")
"""Why a calibration curve is flat (:func:`flat_calibration`), as the train stage's warning
says it."""


def flat_calibration(model: Any) -> float | None:
    """The one value a :class:`CalibratedModel`'s curve maps every raw probability to, or
    ``None`` (a curve that rises somewhere, or no calibrated model).

    A sigmoid fitted without a rising slope, or an isotonic curve of one step, is flat:
    the calibrated map is one value and the members' spread mapped through it is 0 at
    every cell, which ``model score`` and ``score.md`` said as "every member gives the cell
    the same score" (agreement) on 100 % of the cells.
    """
    if not isinstance(model, CalibratedModel) or getattr(model, "sigmoid_", None) is not None:
        return None
    table = np.asarray(getattr(model, "y_", ()), dtype="f8")
    if table.size == 0 or np.ptp(table) > 0:
        return None
    return float(table[0])


def zero_spread_meaning(meaning: str) -> str:
    """What the uncertainty map's 0 at a cell means, for the map :func:`uncertainty_meaning`
    described as ``meaning`` (the map's ``prospect_uncertainty``).

    Round 37 said of every map's 0 "every member gives the cell the same score". A model
    calibrated with isotonic regression maps the members' spread through a step function
    (:func:`_predict`: half the distance between the calibrated score minus and plus the
    spread): wherever both fall on one flat step its spread is 0 while the members
    disagree (about 10 % of the cells of a SYNTHETIC calibrated forest whose trees agreed
    on 0.02 %).

    Parameters
    ----------
    meaning
        The sentence :func:`uncertainty_meaning` gives for the model.

    Returns
    -------
    str
        The sentence, without its closing full stop.
    """
    tail = ("not certainty of the score, and the model's error there is unknown, not nil")
    if "calibration curve, which is flat" in meaning:
        return ("there the calibration curve is flat (it maps every raw probability to one "
                f"value: {FLAT_CURVE}), so the members' spread mapped through it is 0 "
                "whatever they give: 0 is no spread in calibrated probability, not agreement "
                f"of the members, {tail}; train with model.calibration: none to keep the "
                "model's ranking and its spread")
    if "isotonic calibration curve" in meaning:
        return ("there the members' spread about the score, mapped through the isotonic "
                "calibration curve (a step function), falls within one of its flat steps, "
                "whether or not the members agree: 0 is no spread in calibrated probability, "
                f"not agreement of the members, {tail}")
    return ("there every member gives the cell the same score. The members were fitted on "
            "the same occurrences, so they agree where none of them has evidence to tell "
            "cells apart (a tree's leaf without a positive): 0 is no spread among them, "
            + tail)


def _member_spread(model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of member probabilities, summed in the order scikit-learn sums them.

    A forest's tree adds the class fraction of the leaf each row lands in (what its
    ``predict_proba`` returns, without the ``(n, k)`` copy) straight into the running sums
    (:func:`~prospect.models._spread_kernel.accumulate_leaves`, one pass, no temporaries).
    """
    feats = getattr(model, "estimators_features_", None)
    # forests validate to float32 once, then call each tree without re-checking
    bagging = isinstance(model, BaggingClassifier)
    Xm = np.asarray(X) if bagging else model._validate_X_predict(X)
    total = np.zeros(X.shape[0])
    total_sq = np.zeros(X.shape[0])
    accumulate: Callable[..., None] | None = None
    for i, member in enumerate(model.estimators_):
        # members are fitted on encoded labels 0..k-1; a member may have seen one class
        classes = list(member.classes_)
        if 1 not in classes:
            continue  # adds zeros
        col = classes.index(1)
        tree = getattr(member, "tree_", None)
        if not bagging and tree is not None and member.n_outputs_ == 1:
            if accumulate is None:  # numba only where a forest is scored
                from prospect.models._spread_kernel import accumulate_leaves

                accumulate = accumulate_leaves
            accumulate(tree.value[:, 0, col], tree.apply(Xm), total, total_sq)
            continue
        Xi = Xm[:, feats[i]] if feats is not None else Xm
        proba = member.predict_proba(Xi) if bagging else member.predict_proba(
            Xi, check_input=False)
        p = proba[:, col]
        total += p
        total_sq += p * p
    n = len(model.estimators_)
    mean = total / n
    if n < 2:  # one member has no spread: unknown, not 0 ("certain") in every cell
        return mean, np.full(mean.shape, np.nan)
    var = np.maximum(total_sq / n - mean * mean, 0.0)
    return mean, np.sqrt(var)


class CalibratedModel(ClassifierMixin, BaseEstimator):
    """A binary classifier whose probabilities go through a monotone calibration map.

    The map is stored as a table (``x_``, ``y_``) and applied by linear interpolation, so
    the saved model needs no extra estimator types. It follows the scikit-learn
    estimator contract (``fit(X, y)``, fitted attributes ending in ``_``).

    Parameters
    ----------
    model
        The probabilistic classifier to calibrate. A fitted one is used as it is (its
        probabilities are calibrated, as with scikit-learn's ``FrozenEstimator``); an
        unfitted one is cloned and fitted on ``X, y``. Default: ``LogisticRegression()``.
    method
        ``isotonic`` (isotonic regression) or ``sigmoid`` (Platt scaling).

    Attributes
    ----------
    model_
        The fitted classifier whose probabilities are calibrated.
    x_, y_
        The calibration map as a table: raw probability -> calibrated probability (an
        isotonic map's thresholds; a sigmoid's values at :data:`CALIBRATION_GRID`).
    sigmoid_
        Platt's ``(slope, intercept)`` on the logit of the raw probability, the map of a
        sigmoid calibration (``None``: isotonic, or a sigmoid fitted flat).
    classes_
        The two class labels; the second is the positive class.
    """

    def __init__(self, *, model: ProbabilisticClassifier | None = None,
                 method: str = "isotonic") -> None:
        self.model = model
        self.method = method

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: Any, y: Any, *, scores: np.ndarray | None = None) -> CalibratedModel:
        """Fit the calibration map on labels ``y`` and the model's probabilities of ``X``.

        Parameters
        ----------
        X
            Feature rows.
        y
            Binary labels.
        scores
            Probabilities of the positive class for the rows of ``X`` to fit the map on
            instead of the model's own (the train stage passes the spatial out-of-fold
            probabilities, so the map is not fitted on in-sample scores).
        """
        from sklearn.base import clone
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import validate_data

        X, y = validate_data(self, X, y, ensure_all_finite=False)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size != 2:
            raise ValueError(f"Only binary classification is supported: CalibratedModel "
                             f"calibrates a binary classifier; y has "
                             f"{classes.size} class(es): {classes.tolist()[:5]}")
        base = self.model
        if base is None:
            from sklearn.linear_model import LogisticRegression

            base = LogisticRegression()
        self.model_ = base if _is_fitted(base) else clone(base).fit(X, y)
        self.classes_ = classes
        if scores is None:
            scores = self._raw(X)
        scores = np.asarray(scores, "f8")
        if scores.shape != (X.shape[0],):
            raise ValueError(f"scores has shape {scores.shape}; expected ({X.shape[0]},)")
        positive = (y == classes[1]).astype("f8")
        self.x_, self.y_, self.sigmoid_ = _calibration_map(self.method, scores, positive)
        return self

    def _raw(self, X: Any) -> np.ndarray:
        """The model's uncalibrated probability of the positive class."""
        proba = np.asarray(self.model_.predict_proba(X))
        classes = list(getattr(self.model_, "classes_", [self.classes_[0], self.classes_[1]]))
        col = classes.index(self.classes_[1]) if self.classes_[1] in classes else -1
        raw: np.ndarray = proba[:, col]
        return raw

    def calibrate(self, p: np.ndarray) -> np.ndarray:
        """Calibrated probability of raw probability ``p``.

        Platt's sigmoid of the logit where it was fitted rising (``sigmoid_``), else the
        table ``x_``, ``y_`` by linear interpolation: an isotonic map's own thresholds
        (:class:`~sklearn.isotonic.IsotonicRegression`'s ``predict``), a flat sigmoid's
        one value, or the 201-point table of a model saved before either was kept.
        """
        check_is_fitted(self)
        platt = getattr(self, "sigmoid_", None)  # None in a model saved before it
        if platt is not None:
            from scipy.special import expit

            slope, intercept = platt
            return np.asarray(expit(slope * _logit(np.asarray(p, "f8")) + intercept))
        return np.interp(p, self.x_, self.y_)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities of the two classes (column 1: the positive class)."""
        from sklearn.utils.validation import validate_data

        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite=False)
        p = self.calibrate(self._raw(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """The positive class where the calibrated probability exceeds 0.5."""
        check_is_fitted(self)
        labels: np.ndarray = self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]
        return labels


CALIBRATION_GRID = np.linspace(0.0, 1.0, 201)
"""Raw probabilities a sigmoid map is tabled at (``x_``, ``y_``: its facts and levels);
the map itself is Platt's sigmoid (``sigmoid_``)."""


def _calibration_map(method: str, scores: np.ndarray, positive: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None]:
    """The calibration map of ``method`` fitted on ``scores`` and 0/1 ``positive``:
    ``(x_, y_, sigmoid_)`` of :class:`CalibratedModel`.

    Isotonic: the fitted step function's own thresholds (``X_thresholds_``,
    ``y_thresholds_``), which linear interpolation with the ends held (``np.interp``)
    turns into :meth:`~sklearn.isotonic.IsotonicRegression.predict` exactly. Sigmoid:
    Platt's slope and intercept on the logit of the score, and the map tabled at
    :data:`CALIBRATION_GRID`; a slope that does not rise keeps no sigmoid and, as scores
    of one value (no slope can be fitted to them), maps every score to the share of
    positives (flat: the scores do not rank the positives higher; the rising curve
    closest to a falling one, as isotonic regression finds it).

    A falling sigmoid's flat map was its highest value, the calibrated probability of a
    raw 0: out-of-fold scores that ranked the positives below the background (a fifth of
    the rows positive) gave every cell a calibrated probability of 1, where isotonic
    regression on the same scores gave the share, 0.2.

    Platt's fit is Platt's (1999) as published and as scikit-learn's
    ``CalibratedClassifierCV(method="sigmoid")`` fits it: on the targets of
    :func:`platt_targets`, not on 0 and 1. Fitted on 0 and 1, out-of-fold scores that
    placed a handful of positives above every background row (3 of 100) gave a slope of
    12.7, a step from 0 to 1: a raw 0.5 calibrated to 0.988 and 0.6 to 0.99993, a
    certainty three deposits cannot give (Platt's targets: 0.37 and 0.62).

    Both were a table at 201 evenly spaced raw probabilities, interpolated: off by up to
    0.10 from the isotonic fit (664 levels for its 17) and 1.6 times Platt's value below
    a raw 0.005, where most of a map's cells lie when deposits are rare; and a sigmoid
    fitted to scores of one value took an arbitrary slope (a map from 0 to 1 along scores
    the fit never saw).
    """
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(scores, positive)
        x = np.asarray(iso.X_thresholds_, "f8")
        return x, np.maximum.accumulate(np.asarray(iso.y_thresholds_, "f8")), None
    if method == "sigmoid":
        from sklearn.linear_model import LogisticRegression

        if not np.ptp(_logit(scores)) > 0:  # one score: no slope to fit, the share is all
            share = float(np.mean(positive)) if positive.size else 0.0
            return CALIBRATION_GRID.copy(), np.full(CALIBRATION_GRID.size, share), None
        z = _logit(scores)[:, None]
        target = platt_targets(positive)  # each row: a positive of weight t, a negative 1 - t
        lr = LogisticRegression(C=1e6).fit(
            np.vstack([z, z]), np.r_[np.ones(len(z)), np.zeros(len(z))],
            sample_weight=np.r_[target, 1.0 - target])
        slope, intercept = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        if not slope > 0.0:  # falling: flat, at the share (was the falling curve's top)
            return (CALIBRATION_GRID.copy(),
                    np.full(CALIBRATION_GRID.size, float(np.mean(positive))), None)
        values = lr.predict_proba(_logit(CALIBRATION_GRID)[:, None])[:, 1]
        return CALIBRATION_GRID.copy(), np.maximum.accumulate(values), (slope, intercept)
    raise ValueError(f"unknown calibration method {method!r}")


def platt_targets(positive: np.ndarray) -> np.ndarray:
    """Platt's (1999) targets for a sigmoid calibration of 0/1 labels ``positive``:
    ``(N+ + 1) / (N+ + 2)`` for a positive and ``1 / (N- + 2)`` for a negative.

    They are the labels' posterior under a uniform prior (Laplace's rule), which keeps
    the fit from taking scores that happen to separate a few positives as certainty;
    with many rows they are 1 and 0 to a few parts in a thousand.
    """
    positive = np.asarray(positive, "f8")
    n_pos = float(np.sum(positive > 0))
    n_neg = float(positive.size) - n_pos
    return np.where(positive > 0, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))


def _is_fitted(estimator: Any) -> bool:
    from sklearn.exceptions import NotFittedError

    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))
