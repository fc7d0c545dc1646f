"""Positive-unlabelled learning by bagging (Mordelet & Vert, 2014, *Pattern Recognition
Letters* 37, 201-209).

Each member is trained on every positive against a bootstrap sample of the unlabelled
rows (as many as there are positives by default), so that no member treats the whole
unlabelled set as negative. The score of a new row is the mean member probability and
its spread is the uncertainty; each unlabelled training row also gets an out-of-bag
score from the members that did not draw it (``oob_decision_function_``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from prospect.models._validation import check_binary_target, check_weights

__all__ = ["BaggingPUClassifier"]


class BaggingPUClassifier(ClassifierMixin, BaseEstimator):
    """Bagging SVM-style PU classifier with any base estimator.

    Parameters
    ----------
    estimator
        Base classifier (default: a decision tree with ``max_features="sqrt"``).
    n_estimators
        Number of bags.
    max_samples
        Unlabelled rows per bag: an int, a fraction of the unlabelled rows, or ``None``
        for as many as there are positives.
    random_state
        Seed.

    Attributes
    ----------
    estimators_
        The fitted members.
    oob_decision_function_
        Out-of-bag probability of each training row (positives: NaN).
    """

    def __init__(self, *, estimator: Any = None, n_estimators: int = 50,
                 max_samples: int | float | None = None, random_state: Any = None) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> BaggingPUClassifier:
        """Fit ``n_estimators`` members, each on the positives and a bag of unlabelled rows.

        ``y`` holds 1 (or the larger class) for positives and the other value for
        unlabelled rows. ``sample_weight`` is passed on to the members.
        """
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype="float32")
        self.classes_ = check_binary_target(y)
        pos_idx = np.flatnonzero(y == self.classes_[1])
        unl_idx = np.flatnonzero(y == self.classes_[0])
        rng = check_random_state(self.random_state)
        if self.max_samples is None:
            k = pos_idx.size
        elif isinstance(self.max_samples, float) and self.max_samples <= 1.0:
            k = max(1, round(self.max_samples * unl_idx.size))
        else:
            k = int(self.max_samples)
        k = max(1, min(k, unl_idx.size))
        base = self.estimator if self.estimator is not None else DecisionTreeClassifier(
            max_features="sqrt")
        sw = None if sample_weight is None else check_weights(sample_weight, X)
        oob_sum = np.zeros(len(y))
        oob_n = np.zeros(len(y))
        self.estimators_ = []
        for _ in range(self.n_estimators):
            bag = rng.choice(unl_idx, size=k, replace=True)
            rows = np.concatenate([pos_idx, bag])
            member = clone(base)
            if "random_state" in member.get_params():
                member.set_params(random_state=rng.randint(np.iinfo(np.int32).max))
            fit_kw = {} if sw is None else {"sample_weight": sw[rows]}
            member.fit(X[rows], (y[rows] == self.classes_[1]).astype(int), **fit_kw)
            self.estimators_.append(member)
            out = np.setdiff1d(unl_idx, bag)
            if out.size:
                oob_sum[out] += _positive_proba(member, X[out])
                oob_n[out] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            self.oob_decision_function_ = np.where(oob_n > 0, oob_sum / oob_n, np.nan)
        return self

    def _member_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype="float32")
        return np.stack([_positive_proba(m, X) for m in self.estimators_])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean member probability of being positive (column 1)."""
        p = self._member_proba(X).mean(axis=0)
        return np.column_stack([1.0 - p, p])

    def predict_proba_std(self, X: Any) -> np.ndarray:
        """Spread (standard deviation) of the member probabilities (NaN with one member:
        one member has no spread, not a spread of 0)."""
        members = self._member_proba(X)
        if members.shape[0] < 2:
            return np.full(members.shape[1], np.nan)
        return members.std(axis=0)

    def predict(self, X: Any) -> np.ndarray:
        """Positive where the mean member probability exceeds 0.5."""
        p = self.predict_proba(X)[:, 1]
        return self.classes_[(p > 0.5).astype(int)]


def _positive_proba(member: Any, X: np.ndarray) -> np.ndarray:
    proba = member.predict_proba(X)
    classes = list(member.classes_)
    if 1 not in classes:
        return np.zeros(X.shape[0])
    return proba[:, classes.index(1)]
