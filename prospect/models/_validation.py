"""Input checks shared by Prospect's estimators."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight

__all__ = ["SEED_RANGE", "check_binary_target", "check_weights", "derived_seed"]

SEED_RANGE = 2**32
"""How many seeds numpy and scikit-learn take (``random_state`` 0 to 2^32 - 1), the range
``model.seed`` is checked against."""


def derived_seed(seed: int, k: int) -> int:
    """The ``k``-th seed derived from ``seed`` (``seed + k``), wrapped into numpy's range.

    The estimator seeds of the seed spread (``model.seed`` + 0 .. ``cv.seeds`` - 1) went
    past 2^32 - 1 for a ``model.seed`` near the top of the range the config accepts
    (``4294967295``): the
    train stage stopped after reading the features with "model.params: The
    'random_state' parameter of RandomForestClassifier must be an int in the range [0,
    4294967295] ... Got 4294967296", of a parameter the user never set.

    Parameters
    ----------
    seed
        The base seed, 0 to 2^32 - 1.
    k
        Its offset (0: ``seed`` itself).

    Returns
    -------
    int
        ``(seed + k) mod 2^32``.
    """
    return (int(seed) + int(k)) % SEED_RANGE


def check_binary_target(y: Any) -> np.ndarray:
    """The two classes of ``y``; ``ValueError`` unless ``y`` is binary with both classes."""
    y_type = type_of_target(y, input_name="y", raise_unknown=True)
    classes = np.unique(y)
    if y_type != "binary":
        raise ValueError(
            "Only binary classification is supported (deposit / background). The type of "
            f"the target is {y_type}."
        )
    if classes.size < 2:
        raise ValueError(
            f"needs two classes (deposit and background) but only one class is present: "
            f"{classes.tolist()}"
        )
    return classes


def check_weights(sample_weight: Any, X: np.ndarray) -> np.ndarray:
    """Validated non-negative sample weights (ones when ``None``); all-zero weights fail."""
    w = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    if not w.sum() > 0:
        raise ValueError("sample weights are all zero; at least one weight must be positive")
    return w
