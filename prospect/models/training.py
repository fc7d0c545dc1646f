"""Training data and fits from a cube: features, labelled cells, background, CV, calibration.

Every function takes a grid, a label source and a model config (never a run context);
the pipeline's train stage only orchestrates them. Long dask computations go through an
optional ``compute(obj, what)`` callback so that the caller can show progress.

Public functions::

    labels_source(sources, cfg) -> PointSource
    select_features(ds, cfg, labels_path=) -> FeatureSpec
    read_labels(source, grid, cfg) -> (LabelSet, Occurrences, threshold)
    build_training_set(stack, spec, grid=, source=, cfg=) -> TrainingSet
    cv_schemes(ts, cfg) -> {scheme: folds}
    fit_all(estimator, ts, schemes, cfg) -> (results, final)
    calibrate(final, spatial, y, cfg) -> (model, calibration facts)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from sklearn.base import BaseEstimator, clone

from prospect.config.model import LabelsConfig, ModelConfig
from prospect.config.sources import PointSource
from prospect.errors import ConfigError, DataError
from prospect.features import FeatureSpec, default_feature_variables, make_spec, sample_cells
from prospect.grid import RegionGrid
from prospect.io.points import source_options
from prospect.models.cv import SpatialBlockCV, random_folds
from prospect.models.evaluate import CVResult, cross_validate, reliability
from prospect.models.labels import (
    LabelSet,
    Occurrences,
    grade_positives,
    read_occurrences,
    sample_background,
    snap_points,
)
from prospect.models.leakage import leaks_grade
from prospect.models.uncertainty import CalibratedModel

__all__ = [
    "ComputeFn",
    "Folds",
    "TrainingSet",
    "build_training_set",
    "calibrate",
    "cv_schemes",
    "fit_all",
    "fit_final",
    "importance_repeats",
    "labels_source",
    "read_labels",
    "select_features",
]

ComputeFn = Callable[[Any, str], Any]
"""``compute(lazy, what)``: the computed value of a dask collection; ``what`` says what is
computed (e.g. ``"features of 120 labelled cells"``), for a progress display."""

Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class TrainingSet:
    """Feature rows, labels, coordinates and area weights of the sampled cells.

    Attributes
    ----------
    X
        ``(n, n_features)`` feature rows.
    y
        1 for positives, 0 for negatives and background.
    rows, cols
        Grid cells of the rows.
    coords
        ``(n, 2)`` cell-centre coordinates in the grid CRS.
    weight
        Area weight per row (background rows stand for their share of the unlabelled area).
    counts
        What happened to the labels and the background draw, for the card and the report.
    """

    X: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    coords: np.ndarray
    weight: np.ndarray
    counts: dict[str, Any]


def labels_source(sources: Iterable[Any], cfg: ModelConfig) -> PointSource:
    """The points source ``cfg.labels.source`` names among a job's ``sources``."""
    for source in sources:
        if source.name == cfg.labels.source and isinstance(source, PointSource):
            return source
    raise ConfigError(f"model.labels.source {cfg.labels.source!r} is not a points source")


def select_features(ds: xr.Dataset, cfg: ModelConfig, *, labels_path: Any) -> FeatureSpec:
    """The feature spec of the model ``cfg`` on cube ``ds``.

    Without an explicit ``cfg.features``, every cube variable is used except outputs,
    layers made from the labels source, and surfaces of the grade column interpolated from
    the labels file ``labels_path`` under another source name (both would leak the target).
    """
    from prospect.io.cube import cube_grid

    grid = cube_grid(ds)
    focal = cfg.focal
    variables = cfg.features
    if variables is None:
        variables = [v for v in default_feature_variables(ds, exclude_sources=[cfg.labels.source])
                     if not leaks_grade(ds[v], value_column=cfg.labels.value_column,
                                        labels_path=labels_path)]
    return make_spec(
        ds, variables=variables, resolution=grid.resolution,
        focal_radii=focal.radii if focal else (),
        focal_stats=focal.stats if focal else ("mean", "std"),
        focal_variables=focal.variables if focal else None,
    )


def read_labels(
    source: PointSource, grid: RegionGrid, labels: LabelsConfig,
) -> tuple[LabelSet, Occurrences, float | None]:
    """The labelled cells of ``source`` on ``grid``: occurrences read, graded and snapped.

    A CRS given in the source's config overrides the file's own (its ``.prj``).
    Returns the cells, the occurrences read and the grade threshold used.
    """
    occ = read_occurrences(source.path, grid, **source_options(source),
                           value_column=labels.value_column)
    positive, threshold = grade_positives(occ.values, threshold=labels.threshold,
                                          quantile=labels.threshold_quantile)
    cells = snap_points(occ.x, occ.y, grid, positive=positive, feature_id=occ.feature_id)
    return cells, occ, threshold


def build_training_set(
    stack: xr.DataArray, spec: FeatureSpec, *, grid: RegionGrid, source: PointSource,
    cfg: ModelConfig, compute: ComputeFn | None = None,
) -> TrainingSet:
    """Snap the occurrences, sample the background and read the features of every cell.

    Parameters
    ----------
    stack
        The ``(feature, y, x)`` feature stack of ``spec`` (lazy; only the chunks holding
        sampled cells are computed).
    spec
        Its feature spec (base columns must be present for a row to be kept).
    grid
        The grid of the stack.
    source
        The labels' points source.
    cfg
        The model config (labels, negatives, background and seed).
    compute
        Computes the sampled cells (see :data:`ComputeFn`); default ``.compute()``.
    """
    lab = cfg.labels
    labels, occ, threshold = read_labels(source, grid, lab)
    counts: dict[str, Any] = {**labels.counts, "records_without_geometry": occ.n_dropped,
                              "grade_threshold": threshold}
    if labels.n_positive < 2:
        raise DataError(
            f"{source.path}: only {labels.n_positive} positive cell(s) inside the grid "
            f"(threshold {threshold}); lower the threshold or check the points' CRS"
        )
    pos = labels.label == 1
    keep_neg = lab.negatives in ("below_threshold", "both")
    sel = pos | keep_neg
    r, c = labels.rows[sel], labels.cols[sel]
    y = pos[sel].astype("i8")

    def sample(rows: np.ndarray, cols: np.ndarray, what: str) -> np.ndarray:
        if compute is None:
            return sample_cells(stack, rows, cols)
        return sample_cells(stack, rows, cols, compute=lambda picked: compute(
            picked, f"features of {rows.size} {what} cells"))

    X = sample(r, c, "labelled")
    ok = np.all(np.isfinite(X[:, spec.base_indices()]), axis=1)
    counts["positives_without_data"] = int((~ok & (y == 1)).sum())
    X, y, r, c = X[ok], y[ok], r[ok], c[ok]
    n_labelled = y.size
    bg = {"drawn": 0, "without_data": 0}
    if lab.negatives in ("background", "both"):
        br, bc, bX, bg = _background(grid, sample, spec, labels, lab, n_pos=int(pos.sum()),
                                     seed=cfg.seed)
        r, c = np.concatenate([r, br]), np.concatenate([c, bc])
        X = np.concatenate([X, bX])
        y = np.concatenate([y, np.zeros(br.size, "i8")])
    is_bg = np.arange(y.size) >= n_labelled
    counts.update(
        background_drawn=bg["drawn"], background_without_data=bg["without_data"],
        background_strategy=lab.background if bg["drawn"] else "none",
        background_ratio=lab.background_ratio, background_seed=cfg.seed,
        background_exclusion=lab.background_exclusion, negatives=lab.negatives,
    )
    n_pos = int((y == 1).sum())
    if n_pos < 2 or (y == 0).sum() < 2:
        raise DataError(
            f"after dropping cells without data, {n_pos} positives and {(y == 0).sum()} "
            "negatives remain; the occurrences may lie outside the evidence layers"
        )
    # area weights: each background row stands for its share of the unlabelled valid area
    weight = np.ones(y.size)
    if is_bg.any():
        valid_share = 1.0 - bg["without_data"] / max(bg["drawn"], 1)
        unlabelled = max(grid.height * grid.width * valid_share - labels.rows.size, is_bg.sum())
        weight[is_bg] = unlabelled / is_bg.sum()
    counts.update(samples=int(y.size), positives=n_pos, negatives=int((y == 0).sum()))
    coords = np.column_stack([grid.x[c], grid.y[r]])
    return TrainingSet(X=X, y=y, rows=r, cols=c, coords=coords, weight=weight, counts=counts)


def _background(
    grid: RegionGrid, sample: Callable[[np.ndarray, np.ndarray, str], np.ndarray],
    spec: FeatureSpec, labels: LabelSet, lab: LabelsConfig, *, n_pos: int, seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Seeded background cells with data, and their features.

    When some drawn cells have no data, the draw is repeated once, larger by the share that
    had none, so that ``background_ratio`` holds for cells with data; the counts of the
    (last) draw are returned for the report and for the area weights.
    """
    n = None if lab.background == "all" else round(float(lab.background_ratio * n_pos))
    def draw(k: int | None) -> tuple[np.ndarray, np.ndarray]:
        return sample_background(grid, k, exclude_rows=labels.rows, exclude_cols=labels.cols,
                                 exclusion=lab.background_exclusion, seed=seed)

    r, c = draw(n)
    X = sample(r, c, "background")
    ok = np.all(np.isfinite(X[:, spec.base_indices()]), axis=1)
    if n is not None and 0 < ok.sum() < n:
        r, c = draw(int(np.ceil(n / ok.mean() * 1.1)) + 10)
        X = sample(r, c, "background")
        ok = np.all(np.isfinite(X[:, spec.base_indices()]), axis=1)
    counts = {"drawn": int(r.size), "without_data": int((~ok).sum())}
    keep = np.flatnonzero(ok)[:n] if n is not None else np.flatnonzero(ok)
    return r[keep], c[keep], X[keep], counts


def cv_schemes(ts: TrainingSet, cfg: ModelConfig) -> dict[str, Folds]:
    """The CV folds of every scheme the config asks for: spatial blocks, and random folds
    beside them (``cv.compare_random``) or instead (``cv.kind: random``)."""
    spatial_cv = SpatialBlockCV(n_splits=cfg.cv.n_splits, block_size=cfg.cv.block_size,
                                buffer=cfg.cv.buffer, random_state=cfg.seed)
    schemes: dict[str, Folds] = {"spatial_block": list(spatial_cv.split(ts.coords, ts.y))}
    if cfg.cv.compare_random or cfg.cv.kind == "random":
        schemes["random"] = random_folds(ts.y, n_splits=cfg.cv.n_splits, seed=cfg.seed)
    return schemes


def importance_repeats(scheme: str, cfg: ModelConfig) -> int:
    """Permutation-importance repeats of a CV scheme (spatial blocks only)."""
    return cfg.permutation_repeats if scheme == "spatial_block" else 0


def fit_final(estimator: BaseEstimator, X: np.ndarray, y: np.ndarray,
              sw: np.ndarray | None) -> BaseEstimator:
    """The final model: a clone of ``estimator`` fitted on every row (a cluster task)."""
    return clone(estimator).fit(X, y, **({} if sw is None else {"model__sample_weight": sw}))


def fit_all(
    estimator: BaseEstimator, ts: TrainingSet, schemes: dict[str, Folds], cfg: ModelConfig, *,
    sample_weight: np.ndarray | None, feature_names: list[str],
) -> tuple[dict[str, CVResult], BaseEstimator]:
    """Cross-validate every scheme and fit the final model, in this process."""
    results = {scheme: cross_validate(
        estimator, ts.X, ts.y, folds, scheme=scheme, sample_weight=sample_weight,
        feature_names=feature_names, importance_repeats=importance_repeats(scheme, cfg),
        seed=cfg.seed) for scheme, folds in schemes.items()}
    return results, fit_final(estimator, ts.X, ts.y, sample_weight)


def calibrate(
    final: BaseEstimator, spatial: CVResult, X: np.ndarray, y: np.ndarray, cfg: ModelConfig,
) -> tuple[BaseEstimator, dict[str, Any]]:
    """The model to save (``final``, calibrated when ``cfg.calibration`` asks) and the
    reliability facts before and after calibration, on the spatial out-of-fold rows
    (``X``, ``y``: the training rows)."""
    tested = spatial.fold >= 0
    facts: dict[str, Any] = {
        "method": cfg.calibration,
        "spatial_oof_before": reliability(y[tested], spatial.oof[tested]),
        "note": "probabilities are relative scores: the background is a sample of the area "
                f"at {cfg.labels.background_ratio:g} cells per positive, so their base rate "
                "is not the deposit density of the region",
    }
    if cfg.calibration == "none":
        return final, facts
    model = CalibratedModel(model=final, method=cfg.calibration).fit(
        X[tested], y[tested], scores=spatial.oof[tested])
    facts["spatial_oof_after"] = reliability(y[tested], model.calibrate(spatial.oof[tested]))
    facts["note_after"] = ("calibration map fitted on the spatial out-of-fold "
                           "probabilities (its after-figures are in-sample)")
    return model, facts
