"""Prospectivity models: estimators, labels, spatial validation and metrics.

Public facade::

    make_estimator(config, n_features=, categorical=, cell_area=) -> Pipeline
    WeightsOfEvidenceClassifier, BaggingPUClassifier        # scikit-learn estimators
    SpatialBlockCV(n_splits=, block_size=, buffer=), random_folds(y, n_splits=)
    cross_validate(estimator, X, y, splits, scheme=) -> CVResult
    classification_metrics, capture_curve, prediction_area, top_area_capture
    predict_with_uncertainty(model, X) -> (probability, uncertainty)
    read_occurrences, snap_points, grade_positives, sample_background

Training from a cube (``prospect.models.training``: ``select_features``,
``build_training_set``, ``resolve_cv``, ``cv_schemes``, ``fold_matrices``, ``fit_all``,
``calibrate``), leakage checks (``prospect.models.leakage``), fold-aware interpolation
(``prospect.models.foldaware``) and what it reports
(``prospect.models.summary``: ``model_card``, ``training_facts``) are imported from their
modules.
"""

from typing import TYPE_CHECKING

from prospect.lazy import lazy_exports

if TYPE_CHECKING:  # the names below, for type checkers; at run time each module is
    # imported on first use (PEP 562), so `import prospect.x.y` costs only its own imports
    from prospect.models.cv import SpatialBlockCV, assign_blocks, random_folds
    from prospect.models.evaluate import (
        CVResult,
        FoldResult,
        cross_validate,
        fit_fold,
        partial_dependence_curves,
        pool_folds,
        reliability,
    )
    from prospect.models.factory import (
        ESTIMATORS,
        fits_missing_evidence,
        make_estimator,
        uses_area_weights,
    )
    from prospect.models.labels import (
        LabelSet,
        Occurrences,
        grade_positives,
        read_occurrences,
        sample_background,
        snap_points,
    )
    from prospect.models.metrics import (
        capture_curve,
        classification_metrics,
        prediction_area,
        success_rate_area,
        top_area_capture,
    )
    from prospect.models.predict import (
        predict_block,
        predict_map,
        scores_missing_evidence,
        unscored_block,
    )
    from prospect.models.pu import BaggingPUClassifier
    from prospect.models.uncertainty import CalibratedModel, predict_with_uncertainty
    from prospect.models.woe import (
        WeightsOfEvidenceClassifier,
        binary_weights,
        categorical_weights,
        cumulative_weights,
    )

_EXPORTS: dict[str, tuple[str, ...]] = {
    "prospect.models.cv": ("SpatialBlockCV", "assign_blocks", "random_folds"),
    "prospect.models.evaluate": (
        "CVResult",
        "FoldResult",
        "cross_validate",
        "fit_fold",
        "partial_dependence_curves",
        "pool_folds",
        "reliability",
    ),
    "prospect.models.factory": (
        "ESTIMATORS",
        "fits_missing_evidence",
        "make_estimator",
        "uses_area_weights",
    ),
    "prospect.models.labels": (
        "LabelSet",
        "Occurrences",
        "grade_positives",
        "read_occurrences",
        "sample_background",
        "snap_points",
    ),
    "prospect.models.metrics": (
        "capture_curve",
        "classification_metrics",
        "prediction_area",
        "success_rate_area",
        "top_area_capture",
    ),
    "prospect.models.predict": (
        "predict_block",
        "predict_map",
        "scores_missing_evidence",
        "unscored_block",
    ),
    "prospect.models.pu": ("BaggingPUClassifier",),
    "prospect.models.uncertainty": ("CalibratedModel", "predict_with_uncertainty"),
    "prospect.models.woe": (
        "WeightsOfEvidenceClassifier",
        "binary_weights",
        "categorical_weights",
        "cumulative_weights",
    ),
}
"""Module -> the public names this package re-exports from it."""
__getattr__, __dir__, _WHERE = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "ESTIMATORS",
    "BaggingPUClassifier",
    "CVResult",
    "CalibratedModel",
    "FoldResult",
    "LabelSet",
    "Occurrences",
    "SpatialBlockCV",
    "WeightsOfEvidenceClassifier",
    "assign_blocks",
    "binary_weights",
    "capture_curve",
    "categorical_weights",
    "classification_metrics",
    "cross_validate",
    "cumulative_weights",
    "fit_fold",
    "fits_missing_evidence",
    "grade_positives",
    "make_estimator",
    "partial_dependence_curves",
    "pool_folds",
    "predict_block",
    "predict_map",
    "predict_with_uncertainty",
    "prediction_area",
    "random_folds",
    "read_occurrences",
    "reliability",
    "sample_background",
    "scores_missing_evidence",
    "snap_points",
    "success_rate_area",
    "top_area_capture",
    "unscored_block",
    "uses_area_weights",
]
