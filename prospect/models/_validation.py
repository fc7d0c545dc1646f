"""Input checks shared by Prospect's estimators."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight

__all__ = ["check_binary_target", "check_weights"]


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
