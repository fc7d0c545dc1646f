"""Estimators from a :class:`~prospect.config.model.ModelConfig`.

Every model is a scikit-learn :class:`~sklearn.pipeline.Pipeline` whose last step is named
``model``. Categorical columns are one-hot or target encoded inside the pipeline (so the
encoding is fitted inside each CV fold); weights of evidence takes class codes directly.
Estimators that are not ensembles are bagged (``uncertainty_members`` bootstrap members)
so that every model has an uncertainty: the spread of its members.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    BaggingClassifier,
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder
from sklearn.tree import DecisionTreeClassifier

from prospect.config.model import ModelConfig
from prospect.errors import ConfigError
from prospect.models.pu import BaggingPUClassifier
from prospect.models.woe import WeightsOfEvidenceClassifier
from prospect.models.woe_tables import check_evidence

__all__ = ["ESTIMATORS", "check_row_draws", "class_groups", "fits_missing_evidence",
           "make_estimator", "uses_area_weights"]

ESTIMATORS: tuple[str, ...] = (
    "random_forest", "extra_trees", "hist_gradient_boosting", "logistic_regression", "mlp",
    "weights_of_evidence", "bagging_pu",
)


def class_groups(config: ModelConfig, feature_names: Sequence[str],
                 categorical: Sequence[int]) -> dict[int, dict[str, list[float]]]:
    """Weights of evidence's class groups per categorical column
    (``model.params.evidence.<layer>.groups``), ``{}`` for any other estimator.

    Parameters
    ----------
    config
        The model config.
    feature_names
        The names of the model's columns.
    categorical
        The categorical columns.

    Raises
    ------
    ConfigError
        An evidence entry :func:`~prospect.models.woe_tables.check_evidence` refuses.
    """
    if config.estimator != "weights_of_evidence":
        return {}
    try:
        evidence = check_evidence(config.params.get("evidence"),
                                  feature_names=list(feature_names),
                                  categorical=list(categorical), where="model.params.evidence")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return {j: dict(spec["groups"]) for j, spec in evidence.items()
            if spec.get("groups") and j in set(categorical)}


def _classifier(name: str, seed: int, cell_area: float, categorical: Sequence[int]) -> Any:
    if name == "random_forest":
        return RandomForestClassifier(n_estimators=200, min_samples_leaf=2, n_jobs=1,
                                      random_state=seed)
    if name == "extra_trees":
        return ExtraTreesClassifier(n_estimators=200, min_samples_leaf=2, bootstrap=True,
                                    n_jobs=1, random_state=seed)
    if name == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1,
                                              random_state=seed)
    if name == "logistic_regression":
        return LogisticRegression(max_iter=2000, C=1.0)
    if name == "mlp":
        return MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=600, alpha=1e-3,
                             random_state=seed)
    if name == "weights_of_evidence":
        return WeightsOfEvidenceClassifier(categorical_features=list(categorical),
                                           cell_area=cell_area, random_state=seed)
    if name == "bagging_pu":
        return BaggingPUClassifier(
            estimator=DecisionTreeClassifier(max_features="sqrt", min_samples_leaf=2),
            n_estimators=100, random_state=seed,
        )
    raise ConfigError(f"model.estimator {name!r} is unknown; choose one of {list(ESTIMATORS)}")


def uses_area_weights(name: str) -> bool:
    """True for estimators that take each row's represented area as ``sample_weight``."""
    return name == "weights_of_evidence"


def fits_missing_evidence(name: str) -> bool:
    """True for estimators fitted on rows where some (not all) layers have no data.

    Weights of evidence (Bonham-Carter 1994; ArcSDM) weighs each layer on the cells
    where it has data, counts a deposit on a layer's gap in ``N(D)`` and the prior, and
    scores a cell without a layer with ``W = 0`` for it
    (:attr:`~prospect.models.woe.WeightsOfEvidenceClassifier.scores_missing_evidence`):
    its training keeps such rows, so the fitted model and its map count the same cells.
    Other estimators need every layer: their rows with a gap are left out, and said.
    """
    return name == "weights_of_evidence"


PARAM_LIMITS = {"n_estimators": 10_000, "max_iter": 100_000, "hidden_layer_sizes": 10_000,
                "ci_draws": 100_000, "n_thresholds": 1_000}
"""The largest ``model.params`` values that set a fit's size (trees, iterations, neurons in
all hidden layers; weights of evidence's confidence draws and cumulative thresholds:
``ci_draws: 1e12`` ran for ever): each fit runs once per fold, seed and bootstrap member."""


def _check_sizes(params: dict[str, Any]) -> None:
    """Refuse ``params`` that would make one fit run for days (e.g. ``n_estimators: 1e9``)."""
    for key, cap in PARAM_LIMITS.items():
        value = params.get(key)
        size = sum(value) if isinstance(value, (list, tuple)) and all(
            isinstance(v, int) for v in value) else value
        if isinstance(size, (int, float)) and not isinstance(size, bool) and size > cap:
            raise ConfigError(
                f"model.params.{key} = {value!r} is over the limit of {cap:,} (each fit runs "
                "once per fold, seed and bootstrap member); use a smaller value")


def _check_members(name: str, clf: Any) -> None:
    """Refuse an ensemble of one member: the uncertainty map is the spread of the members,
    and ``n_estimators: 1`` published an uncertainty of exactly 0 in every cell, exit 0."""
    members = getattr(clf, "n_estimators", None)
    if name in ("random_forest", "extra_trees", "bagging_pu") and isinstance(members, int) \
            and not isinstance(members, bool) and members < 2:  # true: its own message
        default = _classifier(name, 0, 1.0, ()).n_estimators
        raise ConfigError(
            f"model.params.n_estimators = {members}: the uncertainty map of {name} is the "
            "spread of its members, and one member has none (it would read 0 in every "
            f"cell); use at least 2 (default {default})")
    if name == "random_forest" and getattr(clf, "bootstrap", True) is False and \
            _every_column(getattr(clf, "max_features", "sqrt")):
        raise ConfigError(
            f"model.params: bootstrap = false with max_features = {clf.max_features!r}: every "
            "tree of the random forest is grown on every row and chooses among every column, "
            "so the trees are one tree repeated and the uncertainty map (the spread of the "
            "trees) would read 0 in every cell; keep bootstrap: true (the default) or set "
            "max_features below 1.0 (default 'sqrt')")


def _columns_seen(config: ModelConfig, n_features: int, categorical: Sequence[int]
                  ) -> int | None:
    """How many columns the estimator's trees choose among: the layers, or ``None`` where
    one-hot encoding makes a column of each class (known only once fitted)."""
    if categorical and config.estimator != "weights_of_evidence" and \
            config.categorical != "target":
        return None
    return n_features


def _check_columns(config: ModelConfig, *, n_columns: int | None) -> None:
    """Refuse a whole-number ``max_features`` above the columns the trees choose among.

    scikit-learn takes ``max_features: 10`` on 3 layers without a word (each split then
    chooses among every column, as ``max_features: null``): a config written for a stack
    of more layers ran another model than the one it asks for. (``max_features`` equal to
    the columns without bootstrap grows one tree repeated: warned of after the fit, round
    19's ``summary.spread_warnings``.)
    """
    value = config.params.get("max_features")
    if n_columns is None or config.estimator not in ("random_forest", "extra_trees"):
        return
    default = _classifier(config.estimator, 0, 1.0, ()).max_features
    _check_one_tree_repeated(config, n_columns)
    if isinstance(value, bool) or not isinstance(value, int):
        return
    if value > n_columns:
        raise ConfigError(
            f"model.params.max_features = {value} is more than the {n_columns} feature "
            f"column(s) each split of {config.estimator} chooses among (scikit-learn would "
            f"take every column without a word); set max_features to at most {n_columns}, "
            f"a share such as 0.5, or leave it out (default {default!r})")


def _columns_per_split(max_features: Any, n_columns: int) -> int | None:
    """The columns each split chooses among, as scikit-learn's trees count them from
    ``max_features`` (``None`` where it is not one scikit-learn takes)."""
    if max_features is None:
        return n_columns
    if isinstance(max_features, bool):
        return None
    if isinstance(max_features, int):
        return max_features
    if isinstance(max_features, float):
        return max(1, int(max_features * n_columns))
    if max_features == "sqrt":
        return max(1, int(math.sqrt(n_columns)))
    if max_features == "log2":
        return max(1, int(math.log2(n_columns)))
    return None


def _check_one_tree_repeated(config: ModelConfig, n_columns: int) -> None:
    """Refuse a random forest without bootstrap whose splits choose among every column
    once the layers are counted (``max_features`` equal to the layers, ``sqrt`` or
    ``0.5`` of one layer): every tree is grown on every row and the trees are one tree
    repeated, so the uncertainty map would read 0 in every cell. ``None`` and ``1.0``
    are refused at load (:func:`_check_members`); these were trained and warned of after
    the fit (round 19's ``summary.spread_warnings``)."""
    params = config.params
    if config.estimator != "random_forest" or params.get("bootstrap", True) is not False:
        return
    value = params.get("max_features", "sqrt")
    chosen = _columns_per_split(value, n_columns)
    if chosen is None or chosen < n_columns:
        return
    fix = (f"set max_features to at most {n_columns - 1} (or a share such as 0.5)"
           if n_columns > 1 else "use extra_trees (with one layer every split chooses "
           "among it, whatever max_features)")
    raise ConfigError(
        f"model.params: bootstrap = false with max_features = {value!r}: each split of "
        f"random_forest chooses among {min(chosen, n_columns)} of the {n_columns} feature "
        "column(s), every column, and every tree is grown on every row, so the trees are "
        "one tree repeated and the uncertainty map (the spread of the trees) would read 0 "
        f"in every cell; keep bootstrap: true (the default) or {fix}")


def check_row_draws(config: ModelConfig, y: Any) -> None:
    """Refuse a whole-number ``max_samples`` of a forest that draws fewer rows per tree than
    it takes to draw one row of the rarer class.

    A forest's ``max_samples`` is a share of the training rows when a float and a number
    of rows when a whole number: ``max_samples: 1`` (written for "every row", as ``1.0``)
    grew each tree on one row, so every tree was of one class, the map one value in every
    cell and the spatial ROC AUC 0.5, exit 0 without a word.

    Parameters
    ----------
    config
        The model config.
    y
        The training labels (1: positives, 0: negatives and background).

    Raises
    ------
    ConfigError
        Naming ``model.params.max_samples``, the rows and positives, and the smallest
        whole number (or a share) that draws one row of the rarer class per tree.
    """
    import math

    import numpy as np

    draws = config.params.get("max_samples")
    if config.estimator not in ("random_forest", "extra_trees") or isinstance(draws, bool) \
            or not isinstance(draws, int):
        return
    labels = np.asarray(y)
    rows, positives = int(labels.size), int((labels > 0).sum())
    rarer = min(positives, rows - positives)
    if rarer == 0 or draws * rarer >= rows:
        return
    kind = "positive" if rarer == positives else "negative"
    least = math.ceil(rows / rarer)
    raise ConfigError(
        f"model.params.max_samples = {draws}: each tree of {config.estimator} is grown on "
        f"{draws} of the {rows} training rows, of which {rarer} are {kind}s, so most trees "
        f"see no {kind} and the map would be about one value everywhere; a whole number is "
        f"a count of rows, a float a share: give a share such as 0.5 (1.0: as many rows as "
        f"there are), a whole number of at least {least}, or leave it out")


def _every_column(max_features: Any) -> bool:
    """Whether a forest's ``max_features`` lets each split choose among every column, for
    any number of columns (``None``, or a share of 1.0 or more)."""
    return max_features is None or (isinstance(max_features, float) and max_features >= 1.0)


def make_estimator(
    config: ModelConfig, *, n_features: int, categorical: Sequence[int] = (),
    cell_area: float = 1.0, feature_names: Sequence[str] | None = None,
) -> Pipeline:
    """An unfitted pipeline for ``config``.

    Parameters
    ----------
    config
        The model config (estimator name, params, categorical encoding, seed...).
    n_features
        Number of feature columns.
    categorical
        Indices of the categorical (class-code) columns.
    cell_area
        Area of one grid cell (CRS units squared), for weights of evidence.
    feature_names
        Names of the columns (weights of evidence: the keys of ``params.evidence``).

    Raises
    ------
    ConfigError
        An unknown estimator or a ``params`` key the estimator does not take.
    """
    clf = _classifier(config.estimator, config.seed, cell_area, categorical)
    allowed = clf.get_params(deep=False)
    unknown = sorted(set(config.params) - set(allowed))
    if unknown:
        import difflib

        meant = [f"{key!r} -> {close[0]!r}" for key in unknown
                 if (close := difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.8))]
        hint = f"did you mean {', '.join(meant)}? " if meant else ""
        raise ConfigError(
            f"model.params {unknown} are not parameters of {config.estimator}; {hint}"
            f"allowed: {sorted(allowed)}"
        )
    try:
        clf.set_params(**config.params)
        if hasattr(clf, "_parameter_constraints"):  # scikit-learn's own checks, before a fit
            clf._validate_params()
    except (TypeError, ValueError) as exc:
        said = str(exc)  # 'key = value: why' (Prospect's own estimators) names its key
        where = "model.params." if said.partition(" = ")[0] in config.params else \
            "model.params: "
        raise ConfigError(f"{where}{said}") from None
    _check_sizes(config.params)
    _check_members(config.estimator, clf)
    if feature_names is not None:  # the layers are known (train; not the config's check)
        _check_columns(config, n_columns=_columns_seen(config, n_features, categorical))
    if isinstance(clf, WeightsOfEvidenceClassifier):
        names = list(feature_names) if feature_names is not None else \
            [f"x{j}" for j in range(n_features)]
        clf.set_params(feature_names=names)
        try:
            check_evidence(clf.evidence, feature_names=names, categorical=list(categorical),
                           where="model.params.evidence")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    steps: list[tuple[str, Any]] = []
    if config.estimator != "weights_of_evidence" and categorical:
        encoder: Any
        if config.categorical == "target":
            encoder = TargetEncoder(
                target_type="binary",
                cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=config.seed))
        else:
            encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        steps.append(("encode", ColumnTransformer(
            [("categorical", encoder, list(categorical))], remainder="passthrough",
            verbose_feature_names_out=False,
        )))
    if config.estimator in ("logistic_regression", "mlp"):
        steps.append(("scale", StandardScaler()))
    if config.estimator in ("hist_gradient_boosting", "logistic_regression", "mlp"):
        clf = BaggingClassifier(estimator=clf, n_estimators=config.uncertainty_members,
                                random_state=config.seed)
    steps.append(("model", clf))
    return Pipeline(steps)
