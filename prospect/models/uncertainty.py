"""Probability and its uncertainty from one fitted model, in one pass over the members.

* Forests and bagging ensembles: mean and standard deviation of the member probabilities
  (the mean equals the ensemble's own ``predict_proba``).
* Estimators with ``predict_proba_std`` (weights of evidence, bagging PU): their own.
* Anything else: the probability with a NaN uncertainty.

A :class:`~sklearn.pipeline.Pipeline` is unwrapped: its transformers run once and the last
step supplies the probability and spread. A :class:`CalibratedModel` maps both through its
calibration curve.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import BaggingClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = ["CalibratedModel", "ProbabilisticClassifier", "predict_with_uncertainty"]


@runtime_checkable
class ProbabilisticClassifier(Protocol):
    """A fitted classifier that gives class probabilities (scikit-learn's contract)."""

    def predict_proba(self, X: Any) -> np.ndarray:
        """``(n, n_classes)`` probabilities; column 1 is the positive class."""
        ...


def predict_with_uncertainty(
    model: ProbabilisticClassifier, X: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Probability of the positive class and its uncertainty (standard deviation)."""
    if isinstance(model, CalibratedModel):
        p, s = predict_with_uncertainty(model.model, X)
        lo = model.calibrate(np.clip(p - s, 0.0, 1.0))
        hi = model.calibrate(np.clip(p + s, 0.0, 1.0))
        return model.calibrate(p), np.abs(hi - lo) / 2.0
    if isinstance(model, Pipeline):
        Xt = X
        for _, step in model.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            Xt = step.transform(Xt)
        return predict_with_uncertainty(model.steps[-1][1], Xt)
    members = getattr(model, "estimators_", None)
    if hasattr(model, "predict_proba_std"):
        return model.predict_proba(X)[:, 1], model.predict_proba_std(X)
    if members is not None and isinstance(members, list) and members and \
            hasattr(members[0], "predict_proba"):
        return _member_spread(model, X)
    return model.predict_proba(X)[:, 1], np.full(X.shape[0], np.nan)


def _member_spread(model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of member probabilities, summed in the order scikit-learn sums them."""
    feats = getattr(model, "estimators_features_", None)
    # forests validate to float32 once, then call each tree without re-checking
    bagging = isinstance(model, BaggingClassifier)
    Xm = np.asarray(X) if bagging else model._validate_X_predict(X)
    total = np.zeros(X.shape[0])
    total_sq = np.zeros(X.shape[0])
    for i, member in enumerate(model.estimators_):
        Xi = Xm[:, feats[i]] if feats is not None else Xm
        if isinstance(model, BaggingClassifier):
            proba = member.predict_proba(Xi)
        else:
            proba = member.predict_proba(Xi, check_input=False)
        # members are fitted on encoded labels 0..k-1; a member may have seen one class
        classes = list(member.classes_)
        p = proba[:, classes.index(1)] if 1 in classes else np.zeros(X.shape[0])
        total += p
        total_sq += p * p
    n = len(model.estimators_)
    mean = total / n
    var = np.maximum(total_sq / n - mean * mean, 0.0)
    return mean, np.sqrt(var)


class CalibratedModel(ClassifierMixin, BaseEstimator):
    """A fitted model whose probabilities go through a monotone calibration map.

    The map is stored as a table (``x_``, ``y_``) and applied by linear interpolation, so
    the saved model needs no extra estimator types.

    Parameters
    ----------
    model
        A fitted probabilistic classifier.
    method
        ``isotonic`` (isotonic regression) or ``sigmoid`` (Platt scaling), fitted on
        out-of-fold probabilities with :meth:`fit`.
    """

    def __init__(self, *, model: Any = None, method: str = "isotonic") -> None:
        self.model = model
        self.method = method

    def fit(self, scores: np.ndarray, y: np.ndarray) -> CalibratedModel:
        """Fit the calibration map from out-of-fold ``scores`` and labels ``y``."""
        scores = np.asarray(scores, "f8")
        y = (np.asarray(y) > 0).astype("f8")
        grid = np.linspace(0.0, 1.0, 201)
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            iso.fit(scores, y)
            values = iso.predict(grid)
        elif self.method == "sigmoid":
            from sklearn.linear_model import LogisticRegression

            lr = LogisticRegression(C=1e6).fit(_logit(scores)[:, None], y)
            values = lr.predict_proba(_logit(grid)[:, None])[:, 1]
        else:
            raise ValueError(f"unknown calibration method {self.method!r}")
        self.x_ = grid
        self.y_ = np.maximum.accumulate(values)
        self.classes_ = np.array([0, 1])
        return self

    def calibrate(self, p: np.ndarray) -> np.ndarray:
        """Calibrated probability of raw probability ``p``."""
        check_is_fitted(self)
        return np.interp(p, self.x_, self.y_)  # type: ignore[no-any-return]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probability of the positive class (column 1)."""
        p = self.calibrate(self.model.predict_proba(X)[:, 1])
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """1 where the calibrated probability exceeds 0.5."""
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))  # type: ignore[no-any-return]
