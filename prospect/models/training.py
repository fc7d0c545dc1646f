"""Training data and fits from a cube: features, labelled cells, background, CV, calibration.

Every function takes a grid, a label source and a model config (never a run context);
the pipeline's train stage only orchestrates them. Long dask computations go through an
optional ``compute(obj, what)`` callback so that the caller can show progress.

Public functions::

    labels_source(sources, cfg) -> PointSource
    find_label_surfaces(ds, cfg, sources=, grid=) -> [LabelSurface]
    select_features(ds, cfg, labels_path=, leaks=) -> FeatureSpec
    fold_surfaces(spec, leaks, sources=, grid=) -> {column: PointSurface}
    fold_matrices(ts, schemes, surfaces, cv=, resolution=) -> {scheme: [X per fold]}
    fit_matrix(ts, surfaces, resolution=) -> TrainingSet the final model is fitted on
    read_labels(source, grid, cfg) -> (LabelSet, Occurrences, threshold)
    build_training_set(stack, spec, grid=, source=, cfg=) -> TrainingSet
    read_training_set(ds, spec, grid=, source=, cfg=) -> TrainingSet, fills as no data
    resolve_cv(ts, cfg, resolution=) -> block size (variogram range), buffer, facts
    cv_schemes(ts, cfg, cv=) -> {scheme: folds}
    seed_estimators(cfg, make) -> {seed: estimator}; seed_spread(results by seed)
    fit_all(estimator, ts, schemes, cfg, fold_X=, seeds=) -> (results, final, by seed)
    calibrate(final, spatial, y, cfg) -> (model, calibration facts)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from sklearn.base import BaseEstimator, clone

from prospect.config.model import LabelsConfig, ModelConfig
from prospect.config.sources import PointSource
from prospect.errors import ConfigError, DataError, DataWarning
from prospect.features import FeatureSpec, default_feature_variables, make_spec, sample_cells
from prospect.grid import RegionGrid, plural_unit
from prospect.io.points import source_options
from prospect.models.cv import (
    SpatialBlockCV,
    auto_block_size,
    random_folds,
    refuse_unfilled_folds,
)
from prospect.models.evaluate import (
    CVResult,
    convergence_said_later,
    cross_validate,
    reliability,
)
from prospect.models.factory import fits_missing_evidence, uses_area_weights
from prospect.models.foldaware import PointSurface, fit_features, fold_features, surface_of
from prospect.models.labels import (
    LabelSet,
    Occurrences,
    grade_occurrences,
    graded_records,
    occurrence_groups,
    probability_column,
    quantile_threshold,
    quantile_ties,
    read_occurrences,
    sample_background,
    snap_points,
)
from prospect.models.leakage import (
    LabelSurface,
    label_surfaces,
    leaks_grade,
    refuse_label_surfaces,
)
from prospect.models.uncertainty import CalibratedModel
from prospect.recorded import recording

__all__ = [
    "ISOTONIC_LEAST_ROWS",
    "ComputeFn",
    "Folds",
    "TrainingSet",
    "base_rates",
    "build_training_set",
    "calibrate",
    "cv_schemes",
    "exclusion_share",
    "find_label_surfaces",
    "fit_all",
    "fit_final",
    "fit_matrix",
    "fit_rows",
    "fold_matrices",
    "fold_surfaces",
    "importance_repeats",
    "isotonic_too_few",
    "labels_source",
    "read_labels",
    "read_training_set",
    "refuse_subcell_blocks",
    "resolve_cv",
    "seed_estimators",
    "seed_spread",
    "select_features",
    "with_data",
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
    n_points
        Positive records (occurrence points) in each row's cell (0 for the others), for
        weights of evidence counting every point.
    groups
        Group of each row for cross-validation: the cells one occurrence polygon covers
        share one (kept in one fold), every other row has its own; ``None`` when every row
        is its own (point occurrences).
    background
        True for the background cells drawn over the region: the rows that sample the
        study area, the area axis of the capture figures (low-grade sample sites are no
        area sample); ``None``: every negative row.
    """

    X: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    coords: np.ndarray
    weight: np.ndarray
    counts: dict[str, Any]
    n_points: np.ndarray | None = None
    groups: np.ndarray | None = None
    background: np.ndarray | None = None


def labels_source(sources: Iterable[Any], cfg: ModelConfig) -> PointSource:
    """The points source ``cfg.labels.source`` names among a job's ``sources``."""
    for source in sources:
        if source.name == cfg.labels.source and isinstance(source, PointSource):
            return source
    raise ConfigError(f"model.labels.source {cfg.labels.source!r} is not a points source")


def find_label_surfaces(
    ds: xr.Dataset, cfg: ModelConfig, *, sources: Sequence[Any], grid: RegionGrid,
) -> list[LabelSurface]:
    """The candidate features of ``cfg`` made from the label points
    (:func:`prospect.models.leakage.label_surfaces`): ``cfg.features``, or every cube
    variable when the config names none."""
    labels = labels_source(sources, cfg)
    candidates = cfg.features if cfg.features is not None else default_feature_variables(ds)
    return label_surfaces(ds, candidates, sources=sources, labels=labels, grid=grid)


def select_features(ds: xr.Dataset, cfg: ModelConfig, *, labels_path: Any,
                    leaks: Sequence[LabelSurface] = ()) -> FeatureSpec:
    """The feature spec of the model ``cfg`` on cube ``ds``.

    ``leaks`` are the variables made from the label points (:func:`find_label_surfaces`).
    Named in ``cfg.features``, they are refused (a :class:`~prospect.errors.ConfigError`
    naming the feature and the labels) unless ``cfg.fold_aware_interpolation`` is set.
    Without an explicit ``cfg.features``, every cube variable is used except outputs, the
    layers made from the labels source itself, surfaces of the grade column interpolated
    from the labels file ``labels_path`` under another source name (the target itself)
    and, unless fold-aware, the other ``leaks``. With fold-aware interpolation, focal
    statistics of a leak are refused (they cannot be rebuilt inside each fold).
    """
    from prospect.io.cube import cube_grid

    grid = cube_grid(ds)
    focal = cfg.focal
    variables = cfg.features
    leak_names = {leak.variable for leak in leaks}
    if variables is not None and not cfg.fold_aware_interpolation:
        refuse_label_surfaces([leak for leak in leaks if leak.variable in variables],
                              labels_source=cfg.labels.source)
    if variables is None:
        variables = [
            v for v in default_feature_variables(ds, exclude_sources=[cfg.labels.source])
            if (cfg.fold_aware_interpolation or v not in leak_names) and not leaks_grade(
                ds[v], value_column=cfg.labels.value_column, labels_path=labels_path)]
    spec = make_spec(
        ds, variables=variables, resolution=grid.resolution,
        focal_radii=focal.radii if focal else (),
        focal_stats=focal.stats if focal else ("mean", "std"),
        focal_variables=focal.variables if focal else None,
    )
    focal_leaks = sorted(set(spec.focal_variables) & leak_names)
    if cfg.fold_aware_interpolation and focal_leaks and spec.focal_radii:
        raise ConfigError(
            f"model.focal: focal statistics of {focal_leaks} (made from the label points) "
            "cannot be rebuilt inside each CV fold; leave them out of model.focal.variables"
        )
    return spec


def fold_surfaces(
    spec: FeatureSpec, leaks: Sequence[LabelSurface], *, sources: Sequence[Any],
    grid: RegionGrid,
) -> dict[int, PointSurface]:
    """Feature column -> the point surface to rebuild in each fold, for the ``leaks`` that
    are features of ``spec`` (fold-aware interpolation)."""
    by_name = {s.name: s for s in sources}
    names = spec.names()
    return {names.index(leak.variable): surface_of(leak.provenance, by_name[leak.source], grid,
                                                   name=leak.variable)
            for leak in leaks if leak.variable in names}


def fold_matrices(
    ts: TrainingSet, schemes: dict[str, Folds], surfaces: dict[int, PointSurface], *,
    cv: dict[str, Any], resolution: float,
) -> dict[str, list[np.ndarray]] | None:
    """Per scheme, one feature matrix per fold with the ``surfaces`` re-interpolated from
    that fold's training points (``None`` when there is nothing to rebuild).

    ``cv`` holds the resolved ``block_size`` and ``buffer`` of the spatial scheme.
    """
    if not surfaces:
        return None
    return {scheme: fold_features(
        ts.X, ts.coords, surfaces, folds, resolution=resolution,
        block_size=cv["block_size"] if scheme == "spatial_block" else None,
        buffer=cv["buffer"] if scheme == "spatial_block" else 0.0, own_cells=True)
        for scheme, folds in schemes.items()}


def fit_matrix(ts: TrainingSet, surfaces: dict[int, PointSurface], *,
               resolution: float) -> TrainingSet:
    """``ts`` with the feature rows the final model is fitted on: each of the ``surfaces``
    read, at a row whose cell holds one of its points, without the points of that cell
    (:func:`prospect.models.foldaware.fit_features`), as every fold's training rows read
    it (:func:`fold_matrices`). ``ts`` itself where there is nothing to rebuild.

    The cube's surface holds each point's own value in its cell (an exact interpolator):
    fitted on it, the model learnt a cut between the labels' own values and everything
    else that no unsampled cell meets. Call it after :func:`fold_matrices`, which reads
    the cube's surface (``ts.X``).
    """
    if not surfaces:
        return ts
    from prospect.models.metrics import _pair_auc

    X = fit_features(ts.X, ts.coords, surfaces, resolution=resolution)
    pos, neg = ts.y == 1, ts.y == 0
    alone = dict(ts.counts.get("features_separating_alone") or {})
    for j, surface in surfaces.items():  # judged on the values the model is fitted on
        ok = np.isfinite(X[:, j])
        p, n = X[ok & pos, j], X[ok & neg, j]
        if p.size < 5 or n.size < 5:
            continue
        auc = _pair_auc(p, n)
        if max(auc, 1.0 - auc) >= SEPARATES_ALONE:
            alone[surface.name] = round(auc, 4)
            _warn_separating(surface.name, auc, pos, neg, rebuilt=True)
    return replace(ts, X=X, counts={**ts.counts, "features_separating_alone": alone})


def read_labels(
    source: PointSource, grid: RegionGrid, labels: LabelsConfig, *,
    mineral: str | None = None,
) -> tuple[LabelSet, Occurrences, float | None]:
    """The labelled cells of ``source`` on ``grid``: occurrences read, graded and snapped.

    A CRS given in the source's config overrides the file's own (its ``.prj``). With
    ``mineral`` (``model.mineral``), records naming only other commodities are left out
    (:func:`prospect.models.labels.read_occurrences`).
    Returns the cells, the occurrences read and the grade threshold used.
    """
    occ = read_occurrences(source.path, grid, **source_options(source),
                           value_column=labels.value_column, polygons=labels.polygons,
                           mineral=mineral, intervals=labels.intervals)
    graded = labels.threshold is not None or labels.threshold_quantile is not None
    if graded and not np.isfinite(occ.values).any():
        raise DataError(f"{source.path}: column {labels.value_column!r} holds no numeric "
                        "grade in any record; check 'model.labels.value_column' or the "
                        "table's decimal separator"
                        + (f" ({occ.no_numbers})" if occ.no_numbers else ""))
    if labels.value_column is not None and not graded:
        _refuse_ungraded_absences(source.path, labels.value_column, occ.values)
    if labels.value_column is not None and labels.threshold is not None:
        _refuse_unreached_probabilities(source.path, labels.value_column, occ.values,
                                        float(labels.threshold))
    # a quantile of the records, with the grades below a detection limit among them
    positive, threshold = _graded(source.path, occ, labels)
    # a record without a grade (not analysed) is neither above nor below the threshold; one
    # below a detection limit at or under it is below it (a negative: graded_records)
    keep = graded_records(occ.values, occ.limit, threshold, occ.floor)
    cells = snap_points(occ.x[keep], occ.y[keep], grid, positive=positive[keep],
                        feature_id=occ.feature_id[keep])
    cells.counts["records_without_grade"] = int((~keep).sum())
    cells.counts.update(_below_limits(source.path, labels.value_column, occ, keep,
                                      threshold))
    if threshold is not None:
        cells.counts.update(_split_threshold(source.path, labels, occ, keep, positive,
                                             threshold, grid))
        _warn_both_sides(source.path, occ, keep, positive, grid, threshold,
                         cells.counts["positive_cells_holding_negatives"])
    cells.counts["duplicate_records"] = len(occ.duplicates)
    cells.counts["duplicate_records_at"] = occ.duplicates[:20]
    if occ.duplicates:
        _warn_duplicates(source.path, occ)
    if cells.counts["just_outside_grid"]:
        _warn_just_outside(source.path, cells.counts, grid)
    return cells, occ, threshold


def _graded(path: Any, occ: Occurrences, labels: LabelsConfig
            ) -> tuple[np.ndarray, float | None]:
    """:func:`~prospect.models.labels.grade_occurrences` under ``labels``, a refusal
    naming the file."""
    try:
        return grade_occurrences(occ, threshold=labels.threshold,
                                 quantile=labels.threshold_quantile)
    except DataError as exc:
        raise DataError(f"{path}: column {labels.value_column!r}: {exc}") from None


def _below_limits(path: Any, column: str | None, occ: Occurrences, keep: np.ndarray,
                  threshold: float | None) -> dict[str, int]:
    """Count, and warn of, the records whose grade is below a detection limit: those under
    a limit at or under ``threshold`` are negatives (:func:`graded_records`; they were
    dropped as records without a grade, so the most barren samples were no negatives),
    those under a higher limit are left out, undecided. Counts by record (a polygon's
    points are one)."""
    limit = np.full(occ.values.shape, np.nan) if occ.limit is None else occ.limit
    below = ~np.isfinite(occ.values) & np.isfinite(limit)
    if threshold is None:
        return {}
    kept, undecided = below & keep, below & ~keep
    above = np.zeros(occ.values.shape, bool) if occ.floor is None else occ.floor & ~keep
    counts = {"records_below_limit_as_negative": _records(occ, kept),
              "records_below_limit_undecided": _records(occ, undecided),
              "records_above_limit_undecided": _records(occ, above)}
    if above.any():  # (a grade of at least L < t was a negative, though it may be any)
        warnings.warn(DataWarning(
            f"{path}: {_records(occ, above)} record(s) of column {column!r} are above an "
            f"upper limit under the threshold {threshold:g} "
            f"({_where_below(occ, above, 'at least')}): they are left out of the labels, "
            f"undecided, as each may lie either side of {threshold:g}; give their "
            "re-assayed grades to label them"), stacklevel=3)
    t = f"{threshold:g}"
    for mask, side, said in (
            (kept, "at or under", f"each is a negative: a grade under a limit at or under {t} "
             f"is under {t}, whatever its value"),
            (undecided, "above", f"they are left out of the labels, undecided, as each may "
             f"lie either side of {t}; give their measured grades (re-assayed at a lower "
             "limit) to label them")):
        if mask.any():
            warnings.warn(DataWarning(
                f"{path}: {_records(occ, mask)} record(s) of column {column!r} are below a "
                f"detection limit {side} the threshold {t} ({_where_below(occ, mask)}): "
                f"{said}"), stacklevel=3)
    return counts


def _left_out(occ: Occurrences) -> str:
    """``', and 13 left out before: 13 laboratory quality-control records (standards, blanks,
    duplicates)'``: the records the labels set aside before counting, for the message that
    says too few positives remain (the file's rows read as fewer records with no reason).
    ``''`` where none was."""
    parts = [f"{n} {what}" for n, what in (
        (occ.quality_control, "laboratory quality-control record(s) (standards, blanks, "
                              "duplicates)"),
        (occ.barren, "barren or processing-site record(s)"),
        (occ.other_commodity, "record(s) of other commodities")) if n]
    if not parts:
        return ""
    total = occ.quality_control + occ.barren + occ.other_commodity
    return f", and {total} left out before: " + ", ".join(parts)


def _highest_grade(occ: Occurrences, column: str | None) -> str:
    """``' (the highest grade is 1.2 %)'``: beside a threshold no record reaches, the
    figure that shows a threshold given in another unit (3000, meant in ppm, over a
    column in %)."""
    if not np.isfinite(occ.values).any():
        return ""
    unit = occ.unit
    return (f" (the highest grade is {float(np.nanmax(occ.values)):g}"
            f"{f' {unit}: is the threshold in {unit}?' if unit else ''})")


def _warn_quantile_outside(path: Any, occ: Occurrences, quantile: float, threshold: float,
                           grid: RegionGrid, column: str | None) -> None:
    """Warn where a quantile threshold is taken over records outside the region: the
    whole table's quantile grades the region's records (a European heat-flow table's 0.9
    quantile, 94 mW/m2, over a Dutch region whose own is 92), without a word. The
    region's own quantile is given beside it where it can be computed."""
    rows, cols = grid.rowcol(occ.x, occ.y, closed=True)
    inside = grid.contains(rows, cols)
    outside = _records(occ, ~inside) - len(np.intersect1d(occ.feature_id[~inside],
                                                          occ.feature_id[inside]))
    if not outside:
        return
    values = np.where(inside, occ.values, np.nan)
    limit = None if occ.limit is None else np.where(inside, occ.limit, np.nan)
    try:
        own = quantile_threshold(values, quantile, limit=limit, record=occ.feature_id,
                                 repeated=occ.duplicate, floor=occ.floor)
    except (DataError, IndexError, ValueError):
        own = None
    if own == threshold:
        return
    warnings.warn(DataWarning(
        f"{path}: the {quantile:g} quantile (model.labels.threshold_quantile) of column "
        f"{column!r}, {threshold:g}, is taken over every record of the table, {outside} of "
        f"them outside region {grid.name!r}"
        + (f"; over the region's records alone it is {own:g}" if own is not None else "")
        + ": to grade by the region's records, cut the table to the region or give "
        "'threshold:' "
        + (f"{own:g}" if own is not None else "a grade")
        + "; to grade by the whole table's, as now, the labels stand"), stacklevel=4)


def _split_threshold(path: Any, labels: LabelsConfig, occ: Occurrences, keep: np.ndarray,
                     positive: np.ndarray, threshold: float, grid: RegionGrid
                     ) -> dict[str, int]:
    """Warn where the threshold does not split the graded records as it says: a quantile
    at a grade many records share makes more positives than the quantile names
    (:func:`~prospect.models.labels.quantile_ties`), and a ``threshold`` at or under every
    grade labels every record a positive and none a negative (a threshold in % under a
    column in ppm: ``threshold: 0.3`` over grades of 100..3000 ppm). Each was silent.
    Returns ``records_tied_at_threshold`` for a quantile."""
    column = labels.value_column
    if labels.threshold_quantile is not None:
        q = float(labels.threshold_quantile)
        ties = quantile_ties(occ, q, threshold)
        if ties:
            warnings.warn(DataWarning(
                f"{path}: the {q:g} quantile (model.labels.threshold_quantile) of column "
                f"{column!r} is {threshold:g}, a grade {ties['tied']} of its "
                f"{ties['records']} graded record(s) share: all {ties['positive']} "
                f"record(s) at or above it are positives, where the quantile names about "
                f"{(1 - q) * ties['records']:.3g} (a quantile cannot split tied grades); "
                f"give 'threshold:' a grade above {threshold:g} to leave the tied records "
                "negatives, or keep the quantile if they belong with the positives"),
                stacklevel=3)
        _warn_quantile_outside(path, occ, q, threshold, grid, column)
        return {"records_tied_at_threshold": ties.get("tied", 0)}
    labelled = keep & (np.isfinite(occ.values) | ~positive)
    if _records(occ, labelled) >= 2 and not (positive & labelled).any():
        _warn_unreached(path, column, occ, labelled, threshold)
        return {}
    if _records(occ, labelled) < 2 or (~positive & labelled).any():
        return {}
    unit = occ.unit
    lowest = float(np.nanmin(occ.values[labelled]))
    shares = None if column is None else probability_column(column, occ.values)
    fix = (f"unit{f' ({unit})' if unit else ''} (a grade's figure in ppm is 10 000 times "
           "its figure in %)") if shares is None else (  # (a probability's scale: round 54)
        f"scale: it holds probabilities ({shares[0]}), so even odds are "
        f"'threshold: {shares[1]:g}'")
    warnings.warn(DataWarning(
        f"{path}: every one of the {_records(occ, labelled)} graded record(s) of column "
        f"{column!r} reaches the threshold {threshold:g} (model.labels.threshold; the "
        f"lowest grade is {lowest:g}{f' {unit}' if unit else ''}): each is a positive and "
        "none a negative, so the threshold tells no record apart; give it in the column's "
        f"{fix}, or leave 'threshold' out if every graded record is an occurrence"),
        stacklevel=3)
    return {}


def _warn_unreached(path: Any, column: str | None, occ: Occurrences, labelled: np.ndarray,
                    threshold: float) -> None:
    """Warn where no graded record reaches ``threshold`` (``threshold: 3000``, meant in
    ppm, over grades in %): every record is a negative and none a positive.

    Parameters
    ----------
    path : Any
        The labels' table, for the message.
    column : str or None
        ``model.labels.value_column``.
    occ : Occurrences
        The records read.
    labelled : numpy.ndarray
        The records that take a label (graded, or below a detection limit).
    threshold : float
        ``model.labels.threshold``.

    Notes
    -----
    Said before only by the train stage's refusal ("0 positive cell(s) ... the highest
    grade is ..."); the score stage's capture metrics and the plan's reading of the labels
    went on without a word (round 55). The mirror of :func:`_split_threshold`'s warning of
    a threshold every record reaches; a column of probabilities is refused earlier
    (:func:`_refuse_unreached_probabilities`).
    """
    unit = occ.unit
    graded = labelled & np.isfinite(occ.values)
    highest = (f"the highest grade is {float(np.nanmax(occ.values[graded])):g}"
               f"{f' {unit}' if unit else ''}") if graded.any() else \
        "every one is below a detection limit"
    fix = f"give it in the column's unit{f' ({unit})' if unit else ''}"
    warnings.warn(DataWarning(
        f"{path}: none of the {_records(occ, labelled)} graded record(s) of column "
        f"{column!r} reaches the threshold {threshold:g} (model.labels.threshold; "
        f"{highest}): each is a negative and none a positive, so the labels hold no "
        f"occurrence; {fix}, or lower it to a grade the occurrences reach"), stacklevel=4)


def _warn_both_sides(path: Any, occ: Occurrences, keep: np.ndarray, positive: np.ndarray,
                     grid: RegionGrid, threshold: float, count: int) -> None:
    """Warn of the positive cells that hold a record below ``threshold`` (a well measured
    twice, 66 and 79 at 77; two samples of one outcrop): the cell is a positive, as any
    record reaching the threshold makes it, and the record below is in no label, counted
    before only among the records merged into a shared cell."""
    if not count:
        return
    rows, cols = grid.rowcol(occ.x, occ.y, closed=True)
    cell = np.where(keep & grid.contains(rows, cols), rows * grid.width + cols, -1)
    pos_cells = np.unique(cell[keep & positive & (cell >= 0)])
    low = keep & ~positive & np.isin(cell, pos_cells)
    shown = []
    for c in pd.unique(cell[low])[:3]:
        at = np.flatnonzero(keep & (cell == c))
        _, first = np.unique(occ.feature_id[at], return_index=True)
        shown.append(" and ".join(
            (f"{occ.what} {int(occ.numbers[i])}: " if occ.numbers is not None else "")
            + f"{occ.values[i]:g}" for i in at[np.sort(first)][:4]))
    warnings.warn(DataWarning(
        f"{path}: {count} positive cell(s) also hold a record below the threshold "
        f"{threshold:g} ({'; '.join(shown)}{'; ...' if count > 3 else ''}): each cell is "
        "a positive, as a record reaching the threshold makes it, and its records below "
        "are no negatives (metrics.json: labels.positive_cells_holding_negatives); if they "
        "are repeated measurements of one site, give the site one grade (their mean, or "
        "the latest), or use finer cells if they are separate sites"), stacklevel=3)


def _records(occ: Occurrences, mask: np.ndarray) -> int:
    """Records (distinct features) among the points ``mask`` picks."""
    return int(np.unique(occ.feature_id[mask]).size)


def _where_below(occ: Occurrences, mask: np.ndarray, side: str = "below") -> str:
    """The first records ``mask`` picks with their limits (``'line 3: below 5'``; ``side``
    ``'at least'``: each with its value, the upper limit it is above)."""
    at = np.flatnonzero(mask)
    _, first = np.unique(occ.feature_id[at], return_index=True)
    at = at[np.sort(first)]
    limit = occ.limit if occ.limit is not None else np.full(occ.values.shape, np.nan)
    if side != "below":
        limit = occ.values
    shown = ", ".join(
        (f"{occ.what} {int(occ.numbers[i])}: " if occ.numbers is not None else "")
        + f"{side} {float(limit[i]):g}" for i in at[:5])
    return shown + (", ..." if at.size > 5 else "")


def _warn_just_outside(path: Any, counts: dict[str, Any], grid: RegionGrid) -> None:
    """Warn of records within half a cell outside the region's bounds: left out of the
    labels like any record outside, but likely meant to be in (a coordinate rounded
    across the edge, bounds drawn tight)."""
    at = ", ".join(f"({x:.6g}, {y:.6g})" for x, y in counts["just_outside_grid_at"][:3])
    warnings.warn(DataWarning(
        f"{path}: {counts['just_outside_grid']} record(s) lie within half a cell "
        f"({grid.resolution / 2:g} {grid.units}) outside region {grid.name!r}'s bounds "
        f"{tuple(round(b, 6) for b in grid.bounds)}, at {at}: they are left out of the "
        "labels; if they belong to the region, widen its bounds by a cell (a point on "
        "the bounds themselves is in)"), stacklevel=3)


def _warn_duplicates(path: Any, occ: Occurrences) -> None:
    """Warn of records that repeat an earlier record exactly (a row pasted twice), naming
    the first few and where they lie: each is one occurrence, counted once (weights of
    evidence with ``count: points`` counted it as a second deposit in its cell)."""
    shown = ", ".join(
        f"{d['record']} repeats {d['same_as']}"
        + (f" at ({d['x']:.6g}, {d['y']:.6g})" if d["x"] is not None else "")
        for d in occ.duplicates[:5])
    more = f" and {len(occ.duplicates) - 5} more" if len(occ.duplicates) > 5 else ""
    warnings.warn(DataWarning(
        f"{path}: {len(occ.duplicates)} record(s) repeat an earlier record exactly (the same "
        f"place and the same value in every column; record {shown}{more}): each is counted "
        "once, as one occurrence; remove the repeated rows from the table (metrics.json "
        "lists them: labels.duplicate_records_at)"), stacklevel=3)


def _refuse_ungraded_absences(path: Any, column: str, values: np.ndarray) -> None:
    """Refuse a ``value_column`` without a threshold whose values mark absences (0, ``no``,
    ``false``, a grade of 0 or less): without a threshold every record is a positive, so a
    0/1 or yes/no column made its 0s and nos positives without a word (150 positives from
    16 hits), and a column of probabilities (:func:`~prospect.models.labels.probability_column`)
    its 0.1s."""
    absent = np.isfinite(values) & (values <= 0)
    shares = probability_column(column, values)
    if shares is not None and not absent.any():  # (an expert's or a model's probabilities)
        raise DataError(
            f"{path}: column {column!r} (model.labels.value_column) holds probabilities "
            f"({shares[0]}), but model.labels sets no threshold, so every record would be a "
            "positive, the least likely too; set 'threshold: <probability>' (e.g. "
            f"'threshold: {shares[1]:g}') in model.labels, or leave value_column out if "
            "every record is an occurrence")
    if not absent.any():
        return
    ones = np.isfinite(values) & (values > 0)
    flag = bool(np.isin(values[np.isfinite(values)], (0.0, 1.0)).all())
    fix = "'threshold: 1' (a 0/1 or yes/no column)" if flag else \
        "'threshold: <grade>' (or 'threshold_quantile')"
    raise DataError(
        f"{path}: column {column!r} (model.labels.value_column) holds {int(absent.sum())} "
        f"record(s) of 0 or less (or no/false) beside {int(ones.sum())} above, but "
        "model.labels sets no threshold, so every record would be a positive, these too; "
        f"set {fix} in model.labels, or leave value_column out if every record is an "
        "occurrence")


def _refuse_unreached_probabilities(path: Any, column: str, values: np.ndarray,
                                    threshold: float) -> None:
    """Refuse a ``threshold`` that no record of a column of probabilities
    (:func:`~prospect.models.labels.probability_column`) reaches: ``threshold: 1`` (a 0/1
    column's) over an expert's 0.1 to 0.9 labelled no record a positive, said only later
    by the train stage as "0 positive cell(s) ... lower the threshold" (and not at all by
    the score stage's and the plan's reading of the labels) (round 54)."""
    shares = probability_column(column, values)
    given = values[np.isfinite(values)]
    if shares is None or (given >= threshold).any():
        return
    top = 100.0 if shares[1] > 1 else 1.0
    scale = "0 to 100 %" if top > 1 else "0 to 1"
    beyond = (f"; a probability written {scale} is at most {top:g}" if threshold > top
              else "; a probability of 1 is certainty" if threshold == top == 1.0 else "")
    raise DataError(
        f"{path}: column {column!r} (model.labels.value_column) holds probabilities "
        f"({shares[0]}), but no record reaches the threshold {threshold:g} "
        f"(model.labels.threshold{beyond}), so none would be a positive; a threshold is the "
        f"least probability of a positive, in the column's scale ({scale}): set e.g. "
        f"'threshold: {shares[1]:g}' in model.labels")


def build_training_set(
    stack: xr.DataArray, spec: FeatureSpec, *, grid: RegionGrid, source: PointSource,
    cfg: ModelConfig, compute: ComputeFn | None = None, rebuilt: Sequence[str] = (),
) -> TrainingSet:
    """Snap the occurrences, sample the background and read the features of every cell.

    Parameters
    ----------
    stack
        The ``(feature, y, x)`` feature stack of ``spec`` (lazy; only the chunks holding
        sampled cells are computed).
    spec
        Its feature spec (base columns must be present for a row to be kept; for
        weights of evidence one of them, :func:`with_data`: a deposit on one layer's gap
        counts in ``N(D)`` and the prior, as the map scores its cell).
    grid
        The grid of the stack.
    source
        The labels' points source.
    cfg
        The model config (labels, negatives, background and seed).
    compute
        Computes the sampled cells (see :data:`ComputeFn`); default ``.compute()``.
    rebuilt
        Features that are surfaces of the label points rebuilt per fold (fold-aware
        interpolation): the cube's values there hold each label's own point, so whether
        such a feature separates the labels on its own is judged by :func:`fit_matrix`
        on the values the model is fitted on, not here.
    """
    lab = cfg.labels
    labels, occ, threshold = read_labels(source, grid, lab, mineral=cfg.mineral)
    counts: dict[str, Any] = {**labels.counts, "records_without_geometry": occ.n_dropped,
                              "records_of_other_commodities": occ.other_commodity,
                              "records_barren": occ.barren,
                              "grade_threshold": threshold}
    if occ.quality_control:  # only where some were left out: earlier cards keep their bytes
        counts["records_quality_control"] = occ.quality_control
    if labels.n_positive < 2:
        seen = labels.counts
        graded = "" if threshold is None else \
            f", a grade of at least {threshold:g} in {lab.value_column!r}" \
            + _highest_grade(occ, lab.value_column)
        raise DataError(
            f"{source.path}: {labels.n_positive} positive cell(s) on the grid of region "
            f"{grid.name!r} ({seen['records']} record(s), {seen['outside_grid']} outside the "
            f"region, {seen['merged_into_shared_cell']} sharing a cell with another{graded}"
            f"{_left_out(occ)}); "
            "training needs at least 2: "
            + ("lower the threshold, " if threshold is not None else "")
            + "add occurrences, or check the coordinate columns and the crs of the source"
            + occ.crs_hint)
    if lab.negatives == "below_threshold" and int((labels.label == 0).sum()) < 2:
        raise DataError(
            f"{source.path}: {int((labels.label == 0).sum())} negative cell(s): "
            f"'negatives: below_threshold' takes the records graded below {threshold:g} "
            f"in {lab.value_column!r}, and fewer than 2 are; raise the threshold or use "
            "'negatives: both' (background cells too)")
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
    any_layer = fits_missing_evidence(cfg.estimator)
    ok = with_data(X, spec.base_indices(), any_layer=any_layer)
    dropped = ~ok & (y == 1)
    if dropped.any():
        warnings.warn(DataWarning(_without_data(source.path, X, dropped, y, spec,
                                                any_layer=any_layer)), stacklevel=2)
    gaps = ok & (y == 1) & ~with_data(X, spec.base_indices(), any_layer=False)
    counts["positives_with_a_gap"] = int(gaps.sum())  # kept (weights of evidence)
    counts["positives_on_gaps"] = _gap_counts(X[gaps], spec)  # per layer
    if gaps.any():
        warnings.warn(DataWarning(_on_gaps(source.path, counts["positives_on_gaps"],
                                           int(gaps.sum()), int((y == 1).sum()))),
                      stacklevel=2)
    counts["positives_without_data"] = int(dropped.sum())
    lost = ~ok & (y == 0)  # records graded below the threshold, where no layer reads
    counts["negatives_without_data"] = int(lost.sum())
    if dropped.any() or lost.any():  # which layers lack data there, for the card
        counts["without_data_in"] = {
            side: _gap_counts(X[left], spec)
            for side, left in (("positive", dropped), ("negative", lost)) if left.any()}
    if lost.any():
        warnings.warn(DataWarning(_negatives_without_data(source.path, X, lost, y, spec,
                                                          r, c, grid, any_layer=any_layer)),
                      stacklevel=2)
    counts["positives_without_data_at"] = [  # cell centres, grid CRS: where they are
        [float(grid.x[cc]), float(grid.y[rr])] for rr, cc in zip(r[dropped], c[dropped],
                                                                  strict=True)]
    labelled_X = X
    X, y, r, c = X[ok], y[ok], r[ok], c[ok]
    groups = occurrence_groups(occ, grid, r, c)
    if occ.polygon is not None and occ.polygon.any():
        counts.update(_polygon_shares(source.path, occ, lab, y, groups))
    if int((y == 1).sum()) < 2:  # was blamed on the background draw ("no cell can be
        # drawn") when a feature without data at any cell had emptied every row
        raise DataError(
            f"{source.path}: after dropping cells without data, {int((y == 1).sum())} "
            "positive(s) remain (at least 2 are needed); the occurrences may lie outside the "
            "evidence layers" + _empty_features(labelled_X, spec))
    seen = labels.counts
    refuse_unfilled_folds(
        cfg.cv.n_splits, positives=int((y == 1).sum()),
        negatives=int((y == 0).sum()) if lab.negatives == "below_threshold" else None,
        counted=f"{seen['records']} record(s) in {source.path}, {seen['outside_grid']} "
                f"outside the region, {seen['merged_into_shared_cell']} sharing a cell, "
                f"{int((~ok).sum())} on cells without data")
    n_labelled = y.size
    bg = {"drawn": 0, "without_data": 0}
    if lab.negatives in ("background", "both"):
        br, bc, bX, bg = _background(grid, sample, spec, labels, lab, n_pos=int(pos.sum()),
                                     seed=cfg.seed, any_layer=any_layer)
        r, c = np.concatenate([r, br]), np.concatenate([c, bc])
        X = np.concatenate([X, bX])
        y = np.concatenate([y, np.zeros(br.size, "i8")])
        if groups is not None:  # each background cell its own group
            groups = np.concatenate([groups, groups.max() + 1 + np.arange(br.size)])
    is_bg = np.arange(y.size) >= n_labelled
    if bg["drawn"] and lab.background_exclusion > 0:
        counts["background_exclusion_share"] = exclusion_share(
            grid, labels.rows[labels.label == 1], labels.cols[labels.label == 1],
            lab.background_exclusion, seed=cfg.seed)
    counts.update(
        background_drawn=bg["drawn"], background_without_data=bg["without_data"],
        background_strategy=lab.background if bg["drawn"] else "none",
        background_ratio=lab.background_ratio, background_seed=cfg.seed,
        background_exclusion=lab.background_exclusion, negatives_from=lab.negatives,
    )
    n_pos = int((y == 1).sum())
    if n_pos < 2 or (y == 0).sum() < 2:
        raise DataError(
            f"{source.path}: after dropping cells without data, {n_pos} positives and "
            f"{(y == 0).sum()} negatives remain (at least 2 of each are needed); the "
            "occurrences may lie outside the evidence layers"
            + _empty_features(labelled_X, spec))
    # area weights: each labelled row is its cell, each background row its share of the
    # rest of the valid area, so the weights add up to the valid area N(T). Labelled cells
    # that are not rows (low grades under 'negatives: background') are part of that rest:
    # cells without a deposit, as the published weights of evidence counts them.
    weight = np.ones(y.size)
    if is_bg.any():
        valid_share = 1.0 - bg["without_data"] / max(bg["drawn"], 1)
        rest = max(grid.height * grid.width * valid_share - n_labelled, is_bg.sum())
        weight[is_bg] = rest / is_bg.sum()
    counts.update(samples=int(y.size), positives=n_pos, negatives=int((y == 0).sum()))
    counts.update(_screen_features(X, y, spec, rebuilt=rebuilt))
    coords = np.column_stack([grid.x[c], grid.y[r]])
    counts["features_coordinates"] = _coordinate_features(X, coords, spec)
    n_points = _points_per_cell(occ, lab, grid, r, c) * (y == 1)
    if cfg.estimator == "weights_of_evidence":
        _check_unit_cells(source.path, n_points if cfg.params.get("count") == "points"
                          else (y == 1).astype("f8"), coords, cfg, grid)
    return TrainingSet(X=X, y=y, rows=r, cols=c, coords=coords, weight=weight, counts=counts,
                       n_points=n_points, groups=groups, background=is_bg)


def read_training_set(
    ds: xr.Dataset, spec: FeatureSpec, *, grid: RegionGrid, source: PointSource,
    cfg: ModelConfig, compute: ComputeFn | None = None, rebuilt: Sequence[str] = (),
) -> TrainingSet:
    """:func:`build_training_set` on the feature stack of cube ``ds``, with each common fill
    value that its training rows hold far outside their other values taken as no data, as
    the map takes it.

    A fill no one declared as a layer's nodata (-9999, -32768 or 65535 on a few cells of a
    layer of 0..1) was trained on as evidence: the model learnt it, and the training range
    recorded in the input schema held it, while the map of a cube holding it far outside
    the training range leaves such cells unscored
    (:func:`prospect.registry.applicability.mask_far_fills`). The rows are read once; where
    they hold such a fill (:func:`~prospect.registry.applicability.fills_among`, per cube
    variable: a categorical layer's 255 beside codes 1..12 too, unless its own code table
    names it, :func:`~prospect.registry.applicability.named_codes`), the cube is masked as
    the map masks it, against the other rows' range, and the set is read again (focal
    statistics and the background draw then see no data there too): those rows are left out
    (weights of evidence keeps them without that layer, as it scores such a cell), and
    ``counts["training_rows_on_fills"]`` records them (said before the second read, which
    may find too few rows left, in :func:`prospect.models.summary.fill_warnings`' words).
    The first read's warnings are said only when it is the set returned; rows without such a
    fill give the same set as :func:`build_training_set`.

    Parameters
    ----------
    ds
        The cube.
    spec, grid, source, cfg, compute, rebuilt
        As :func:`build_training_set` takes them.
    """
    from prospect.features import build_stack
    from prospect.registry.applicability import fills_among, mask_far_fills, named_codes

    def read(cube: xr.Dataset) -> TrainingSet:
        return build_training_set(build_stack(cube, spec), spec, grid=grid, source=source,
                                  cfg=cfg, compute=compute, rebuilt=rebuilt)

    said: list[warnings.WarningMessage] = []
    try:
        with recording(DataWarning, others=True) as said:  # the filters stay the caller's
            ts = read(ds)
    except BaseException:
        _say_again(said)
        raise
    taken: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(spec.variables):  # a class code of 255 beside 1..12 too
        # a class its code table names is no fill (and a table naming 0, not 255, tells
        # class 0 beside a margin of 255 from an 8-bit mask's two states)
        named = named_codes(ds[name]) if name in spec.categorical else set()
        found, lo, hi = fills_among(ts.X[:, j], ds[name].dtype,
                                    codes=name in spec.categorical, named=named)
        if name in spec.categorical:
            found = {v: n for v, n in found.items() if v not in named}
        if found:
            on = np.isin(np.asarray(ts.X[:, j], "f8"), list(found))
            taken[name] = {"values": {f"{v:.10g}": n for v, n in found.items()},
                           "rows": int(on.sum()), "positives": int((on & (ts.y == 1)).sum()),
                           "min": lo, "max": hi,
                           "kept": fits_missing_evidence(cfg.estimator)}
    if not taken:
        _say_again(said)
        return ts
    from prospect.models.summary import fill_warnings

    # said before the second read: it may find too few rows left (the train stage says it
    # again among its doubts, for the card; a run says each text once)
    for line in fill_warnings(np.empty((0, 0)), [], taken=taken):
        warnings.warn(DataWarning(line), stacklevel=2)
    ts = read(mask_far_fills(ds, {"variables": [  # a class code (0, a named one) is kept
        {"name": name, "training": {"min": f["min"], "max": f["max"], **(
            {"codes": [f["min"], f["max"]]} if name in spec.categorical else {})}}
        for name, f in taken.items()]}))
    ts.counts["training_rows_on_fills"] = taken
    return ts


def _say_again(said: Sequence[warnings.WarningMessage]) -> None:
    """Warn again each of the recorded warnings ``said`` (those the caller's filters let
    through), where they were first said."""
    for w in said:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


EXCLUSION_SAMPLE = 20_000
"""Cells drawn to estimate the share of a region within ``background_exclusion`` of a
positive (every cell of a smaller region)."""


def exclusion_share(grid: RegionGrid, rows: np.ndarray, cols: np.ndarray, exclusion: float,
                    *, seed: int = 0) -> float:
    """Share of the region's cells within ``exclusion`` of a positive cell ``(rows, cols)``:
    the ground ``background_exclusion`` keeps the background off, which the area axis of
    the capture figures then lacks. Every cell of a region of up to
    :data:`EXCLUSION_SAMPLE` cells, else that many drawn at random (seeded).

    Parameters
    ----------
    grid
        The region grid.
    rows, cols
        The positive cells.
    exclusion
        The exclusion distance (CRS units), as ``sample_background`` applies it.
    seed
        Seed of the draw.
    """
    from scipy.spatial import cKDTree

    total = grid.height * grid.width
    if not len(rows) or exclusion <= 0 or total == 0:
        return 0.0
    cells = np.arange(total) if total <= EXCLUSION_SAMPLE else \
        np.random.default_rng(seed).choice(total, EXCLUSION_SAMPLE, replace=False)
    tree = cKDTree(np.column_stack([grid.x[np.asarray(cols)], grid.y[np.asarray(rows)]]))
    dist, _ = tree.query(np.column_stack([grid.x[cells % grid.width],
                                          grid.y[cells // grid.width]]), k=1)
    return round(float(np.mean(dist <= exclusion)), 6)


def _check_unit_cells(path: Any, n_points: np.ndarray, coords: np.ndarray, cfg: ModelConfig,
                      grid: RegionGrid) -> None:
    """Refuse weights of evidence when a cell holds more deposits than unit cells: the
    published procedure counts areas in unit cells, each deposit occupying one
    (Bonham-Carter 1994, ch. 9; ArcSDM stops with "more than one training point per unit
    cell"), so such a cell would hold a negative area without deposit, and every weight of
    its patterns would be off. ``n_points`` are the deposits of each row: its occurrence
    points (``count: points``) or 1 per positive cell (``count: cells``, where only a unit
    cell larger than the cell can break the rule: a config error, whatever the labels).
    The classifier refuses the same rows (:class:`WeightsOfEvidenceClassifier`); here they
    are named by place, before any fit."""
    cell_area = grid.resolution ** 2
    unit = float(cfg.params.get("unit_cell_area") or cell_area)
    per_cell = cell_area / unit
    over = np.flatnonzero(n_points > per_cell + 1e-9)
    if not over.size:
        return
    if cfg.params.get("count") != "points":
        raise ConfigError(
            f"model.params.unit_cell_area = {unit:g} is larger than a cell of region "
            f"{grid.name!r} ({grid.resolution:g} x {grid.resolution:g} = {cell_area:g} CRS "
            "units²): with count: cells each positive cell is one deposit, and weights of "
            "evidence puts each deposit in its own unit cell (Bonham-Carter 1994); set "
            f"model.params.unit_cell_area to at most {cell_area:g}, or leave it out (a cell)")
    worst = int(n_points.max())
    at = ", ".join(f"{int(n_points[i])} at ({coords[i, 0]:.6g}, {coords[i, 1]:.6g})"
                   for i in over[:5])
    raise DataError(
        f"{path}: weights of evidence with model.params.count: points needs each occurrence "
        f"in its own unit cell (Bonham-Carter 1994), but {over.size} cell(s) of "
        f"{per_cell:g} unit cell(s) hold more occurrence points ({at}); set "
        f"model.params.unit_cell_area to at most {cell_area / worst:g} (the cell area "
        f"{cell_area:g} / {worst}), or use count: cells (one deposit per positive cell)")


POLYGON_SHARE = 0.1
"""One polygon (or group of overlapping polygons) giving more than one positive cell and
at least this share of the positive cells is a data warning."""


def _polygon_shares(path: Any, occ: Occurrences, lab: LabelsConfig, y: np.ndarray,
                    groups: np.ndarray | None) -> dict[str, Any]:
    """Counts of the positive cells polygon occurrences give, and a data warning when one
    polygon holds a large share of them: one 100-cell mine outline beside 10 points made
    91 % of the positives, the model learning that one place, without a word. Only for
    label sets holding polygons (point-only counts are unchanged)."""
    if occ.polygon is None:
        return {}
    held = occ.polygon if occ.duplicate is None else occ.polygon & ~occ.duplicate
    n_features = int(np.unique(occ.feature_id[held]).size)  # a polygon repeated: once
    pos = y == 1
    n_pos = int(pos.sum())
    facts: dict[str, Any] = {"polygons": lab.polygons, "polygon_features": n_features}
    if groups is None:  # every polygon one cell (centroid, or smaller than a cell)
        facts.update(polygon_groups_in_one_fold=0, largest_polygon_positive_cells=min(n_pos, 1),
                     largest_polygon_share=round(1.0 / n_pos, 4) if n_pos else 0.0)
        return facts
    _, per = np.unique(groups[pos], return_counts=True)
    big = int(per.max()) if per.size else 0
    share = big / n_pos if n_pos else 0.0
    multi = int((np.unique(groups, return_counts=True)[1] > 1).sum())
    facts.update(polygon_groups_in_one_fold=multi, largest_polygon_positive_cells=big,
                 largest_polygon_share=round(share, 4))
    if big > 1 and share >= POLYGON_SHARE:
        from prospect.models.metrics import percent

        warnings.warn(DataWarning(
            f"{path}: one occurrence polygon (or group of overlapping polygons) covers {big} "
            f"of the {n_pos} positive cells ({percent(share, 0)} %; {n_features} polygon "
            "feature(s) in all): every cell a polygon covers is a positive, so the model "
            "learns that place more than the other occurrences (its cells are kept in one "
            "CV fold); set model.labels.polygons: centroid for one positive per polygon"),
            stacklevel=3)
    return facts


def with_data(X: np.ndarray, base: Sequence[int], *, any_layer: bool = False) -> np.ndarray:
    """Rows of ``X`` a model is fitted on: every ``base`` column set, or (``any_layer``,
    weights of evidence: :func:`~prospect.models.factory.fits_missing_evidence`) at least
    one, the cells its map scores (:func:`prospect.models.predict.predict_block`)."""
    finite = np.isfinite(X[:, list(base)])
    if not finite.shape[1]:
        return np.ones(X.shape[0], dtype=bool)
    return finite.any(axis=1) if any_layer else finite.all(axis=1)


def _gap_counts(X: np.ndarray, spec: FeatureSpec) -> dict[str, int]:
    """Rows of ``X`` without data, per base feature (those with any), most first."""
    names, base = spec.names(), spec.base_indices()
    missing = ~np.isfinite(X[:, base]) if X.size else np.zeros((0, len(base)), bool)
    per = sorted(((int(missing[:, j].sum()), names[i]) for j, i in enumerate(base)
                  if missing[:, j].any()), reverse=True)
    return {k: n for n, k in per}


def _without_data(path: Any, X: np.ndarray, dropped: np.ndarray, y: np.ndarray,
                  spec: FeatureSpec, *, any_layer: bool = False) -> str:
    """The warning for positive cells left out for lacking evidence: how many, and which
    features lack data at them (the layers to check)."""
    per = _gap_counts(X[dropped], spec)
    what = "no data in any layer of the evidence" if any_layer else \
        "no data in the evidence"
    return (f"{path}: {int(dropped.sum())} of {int((y == 1).sum())} positive cells have "
            f"{what} ({', '.join(f'{k} at {n}' for k, n in list(per.items())[:5])}) and "
            "are left out of training, and of every skill figure; check those layers' "
            "extent and nodata (metrics.json lists the cells: positives_without_data_at)")


def _negatives_without_data(path: Any, X: np.ndarray, lost: np.ndarray, y: np.ndarray,
                            spec: FeatureSpec, rows: np.ndarray, cols: np.ndarray,
                            grid: RegionGrid, *, any_layer: bool = False) -> str:
    """The warning for negative cells (records graded below the threshold) left out for
    lacking evidence: sites in the sea or outside the job's mask, where every layer is
    no-data. They were left out without a word (positives there were said), so the
    negatives the labels counted were not those trained on."""
    per = _gap_counts(X[lost], spec)
    at = ", ".join(f"({grid.x[cc]:.6g}, {grid.y[rr]:.6g})"
                   for rr, cc in list(zip(rows[lost], cols[lost], strict=True))[:3])
    what = "no data in any layer of the evidence" if any_layer else "no data in the evidence"
    return (f"{path}: {int(lost.sum())} of {int((y == 0).sum())} negative cells (records "
            f"graded below the threshold) have {what} "
            f"({', '.join(f'{k} at {n}' for k, n in list(per.items())[:5])}; cells at {at}"
            f"{', ...' if lost.sum() > 3 else ''}) and are left out of training: sites in the "
            "sea or outside the job's mask, or layers that stop short of them; check those "
            "layers' extent and nodata (metrics.json: labels.negatives_without_data)")


def _on_gaps(path: Any, per: dict[str, int], n_gaps: int, n_pos: int) -> str:
    """The warning for positive cells kept by weights of evidence where a layer has no
    data: counted in ``N(D)`` and the prior, absent from that layer's weights."""
    layers = ", ".join(f"{k} at {n}" for k, n in list(per.items())[:5])
    return (f"{path}: {n_gaps} of {n_pos} positive cells have no data in some layers "
            f"({layers}); weights of evidence keeps them, as Bonham-Carter (1994) and ArcSDM "
            "count deposits on missing data: they are in N(D) and the prior, each layer's "
            "weights are from the cells where it has data (so a layer missing at many "
            "deposits is weighed on the others), and the map scores such cells with W = 0 "
            "for the missing layer; check those layers' extent and nodata (metrics.json: "
            "labels.positives_on_gaps)")


SEPARATES_ALONE = 0.99
"""A feature whose ROC AUC on its own reaches this (or whose classes hold the positives
and no negative) is warned of as drawn from the occurrences."""


def _screen_features(X: np.ndarray, y: np.ndarray, spec: FeatureSpec, *,
                     rebuilt: Sequence[str] = ()) -> dict[str, Any]:
    """Warn of features that carry no evidence (one value at every training cell) and of
    features that separate the positives from the negatives on their own (a rasterised
    deposit map, a buffer of the mines: the answer, not evidence); both went without a
    word, the second with a spatial ROC AUC of 1.000. Returns the counts for the card.
    The ``rebuilt`` features are not screened for the second here (:func:`fit_matrix`)."""
    from prospect.models.metrics import _pair_auc

    names, categorical = spec.names(), set(spec.categorical_indices())
    constant: list[str] = []
    coded: dict[str, int] = {}
    alone: dict[str, float] = {}
    pos, neg = y == 1, y == 0
    for j, name in enumerate(names):
        col = X[:, j]
        ok = np.isfinite(col)
        if not ok.any():
            continue
        if np.ptp(col[ok]) == 0:
            constant.append(name)
            continue
        if j not in categorical:
            n_codes = _integer_levels(col[ok])
            if n_codes:
                coded[name] = n_codes
        p, n = col[ok & pos], col[ok & neg]
        if p.size < 5 or n.size < 5 or name in rebuilt:
            continue
        if j in categorical:  # ranked by each class's share of positives: a copy of the
            # labels as classes (a deposit map with a stray background cell in a deposit
            # class, deposit numbers as codes) slipped past "no negative in their classes"
            auc = _pair_auc(*_class_rates(col[ok], y[ok]))
            if auc >= SEPARATES_ALONE:
                alone[name] = round(auc, 4)
            continue
        auc = _pair_auc(p, n)
        if max(auc, 1.0 - auc) >= SEPARATES_ALONE:
            alone[name] = round(auc, 4)
    if constant:
        warnings.warn(DataWarning(
            f"feature(s) {constant} hold one value at every one of the {y.size} training "
            "cells: they carry no evidence (importance 0); check the layer(s), or leave them "
            "out of model.features"), stacklevel=3)
    for name, n_codes in coded.items():
        warnings.warn(DataWarning(
            f"feature {name!r} holds only {n_codes} whole numbers at the {y.size} training "
            "cells and is not a categorical layer: the model takes it as a number (ordered: "
            "code 3 lies between 2 and 4, and trees split it by thresholds); if these are "
            "class codes (a geology map), set values: categorical on its source and ingest "
            "again, so that each class is one-hot encoded (target encoded with "
            "model.categorical: target); counts or ranks are right as numbers"), stacklevel=3)
    for name, auc in alone.items():
        _warn_separating(name, auc, pos, neg)
    return {"features_constant": constant, "features_separating_alone": alone,
            "features_whole_numbers_as_numeric": coded}


def _warn_separating(name: str, auc: float, pos: np.ndarray, neg: np.ndarray, *,
                     rebuilt: bool = False) -> None:
    """The data warning of a feature that separates the labels on its own."""
    why = ("a surface of the label points read without each row's own point (fold-aware "
           "interpolation): the occurrences' neighbours alone tell them apart, which the "
           "spatial CV measures; check that this is evidence you mean to use"
           if rebuilt else
           "a layer drawn from the occurrences (a rasterised deposit map, a buffer of the "
           "mines) leaks the answer, and every skill figure with it; check its provenance, "
           "or leave it out of model.features")
    warnings.warn(DataWarning(
        f"feature {name!r} alone separates the {int(pos.sum())} positive cells from the "
        f"{int(neg.sum())} negatives (ROC AUC {auc:.3f} on its own): {why}"), stacklevel=4)


CODE_LEVELS = (3, 32)
"""A non-categorical feature whose training values are this many distinct whole numbers
(least, most) is warned of as possible class codes read as numbers. Two levels (0/1: a
presence layer) order nothing wrongly; more than 32 are more likely counts or values."""


def _integer_levels(values: np.ndarray) -> int:
    """The number of distinct values when they are all whole numbers within
    :data:`CODE_LEVELS`, else 0."""
    if not np.array_equal(values, np.round(values)):
        return 0
    n = int(np.unique(values).size)
    return n if CODE_LEVELS[0] <= n <= CODE_LEVELS[1] else 0


COORDINATE_RANK_R = 0.999
"""A continuous feature whose rank correlation with the cells' x or y over the training
rows reaches this is taken for a coordinate (easting, northing, longitude, latitude or a
monotone transform of one)."""


def _coordinate_features(X: np.ndarray, coords: np.ndarray,
                         spec: FeatureSpec) -> dict[str, dict[str, Any]]:
    """Features that are a coordinate of the cell, warned of and returned for the card.

    A model given its cells' coordinates learns where the occurrences are rather than what
    the evidence says of them: its map extrapolates the training sites' geography, and
    the skill figures measure interpolation between known sites (Meyer et al. 2019,
    *Ecological Modelling* 411; Ploton et al. 2020, *Nature Communications* 11). Nothing
    else named such a layer (an ``x``/``lon`` raster ingested as evidence).
    """
    from scipy.stats import spearmanr

    names, categorical = spec.names(), set(spec.categorical_indices())
    found: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(names):
        if j in categorical:
            continue
        col = X[:, j]
        ok = np.isfinite(col)
        if ok.sum() < 10 or np.ptp(col[ok]) == 0:
            continue
        for axis, k in (("x", 0), ("y", 1)):
            along = coords[ok, k]
            if np.ptp(along) == 0:
                continue
            r = float(spearmanr(col[ok], along).statistic)
            if abs(r) >= COORDINATE_RANK_R:
                found[name] = {"axis": axis, "rank_r": round(r, 5), "rows": int(ok.sum())}
                break
    for name, f in found.items():
        warnings.warn(DataWarning(
            f"feature {name!r} is the cells' {f['axis']} coordinate (rank correlation "
            f"{f['rank_r']:.4f} with {f['axis']} over the {f['rows']} training cells): a model "
            "given coordinates learns where the known occurrences lie, not what the evidence "
            "says of them, so its map extrapolates their geography and its spatial CV "
            "figures measure interpolation between them; leave it out of model.features "
            "unless a trend is what you mean to model"), stacklevel=3)
    return found


def _class_rates(codes: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's class scored by the share of positives among the rows of its class, for
    the positive rows and the negative rows: the best ranking a categorical layer can give
    on its own (its ROC AUC reaches 1 when the classes holding positives hold no negative),
    whatever numbers its codes are."""
    _, inverse = np.unique(codes, return_inverse=True)
    inverse = inverse.ravel()
    share = np.bincount(inverse, weights=(y == 1).astype("f8")) / np.bincount(inverse)
    score = share[inverse]
    return score[y == 1], score[y == 0]


def _empty_features(X: np.ndarray, spec: FeatureSpec) -> str:
    """``"; ... no data at any labelled cell ..."`` naming the features with no value at any
    of the labelled cells ``X`` (a distance to contacts of a map of one unit), else ``""``."""
    names = spec.names()
    empty = [names[i] for i in spec.base_indices()
             if X.shape[0] and not np.isfinite(X[:, i]).any()]
    if not empty:
        return ""
    return (f"; {', '.join(empty)} ha{'s' if len(empty) == 1 else 've'} no data at any "
            "labelled cell: check the layer, or leave it out of model.features")


def _points_per_cell(occ: Occurrences, lab: LabelsConfig, grid: RegionGrid,
                     rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Positive records (distinct features, a record repeating another exactly counted
    once) in the cell of each row."""
    positive, _ = grade_occurrences(occ, threshold=lab.threshold,
                                    quantile=lab.threshold_quantile)
    if occ.duplicate is not None:  # a row pasted twice is one occurrence, not two
        positive = positive & ~occ.duplicate
    # closed: a point on the east or south edge is in the last cell, as the labels snap it
    # (it was one cell outside here: its row counted 0 points, N(D) one short)
    rr, cc = grid.rowcol(occ.x[positive], occ.y[positive], closed=True)
    inside = grid.contains(rr, cc)
    cells = rr[inside] * grid.width + cc[inside]
    fid = np.asarray(occ.feature_id)[positive][inside]
    per_cell = pd.DataFrame({"cell": cells, "fid": fid}).groupby("cell")["fid"].nunique()
    lookup = {int(k): int(v) for k, v in per_cell.items()}
    return np.array([lookup.get(int(k), 0) for k in rows * grid.width + cols], "f8")


def _background(
    grid: RegionGrid, sample: Callable[[np.ndarray, np.ndarray, str], np.ndarray],
    spec: FeatureSpec, labels: LabelSet, lab: LabelsConfig, *, n_pos: int, seed: int,
    any_layer: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Seeded background cells with data (every layer; ``any_layer``: at least one, see
    :func:`with_data`), and their features.

    When some drawn cells have no data, the draw is repeated once, larger by the share that
    had none, so that ``background_ratio`` holds for cells with data; the counts of the
    (last) draw are returned for the report and for the area weights.
    """
    n = None if lab.background == "all" else round(float(lab.background_ratio * n_pos))
    if n is not None and n < 2:  # was "the region holds no unlabelled cells with data"
        raise DataError(
            f"background: model.labels.background_ratio {lab.background_ratio:g} x {n_pos} "
            f"positive cells asks for {n} background cell(s), and training needs at least "
            f"2; set background_ratio to at least {2 / n_pos:.2g} (10 is usual: the "
            "background is a sample of the whole area)")

    def draw(k: int | None) -> tuple[np.ndarray, np.ndarray]:
        return sample_background(grid, k, exclude_rows=labels.rows, exclude_cols=labels.cols,
                                 exclusion=lab.background_exclusion, seed=seed,
                                 labels=labels.label)

    r, c = draw(n)
    X = sample(r, c, "background")
    ok = with_data(X, spec.base_indices(), any_layer=any_layer)
    if n is not None and 0 < ok.sum() < n:
        r, c = draw(int(np.ceil(n / ok.mean() * 1.1)) + 10)
        X = sample(r, c, "background")
        ok = with_data(X, spec.base_indices(), any_layer=any_layer)
    counts = {"drawn": int(r.size), "without_data": int((~ok).sum())}
    keep = np.flatnonzero(ok)[:n] if n is not None else np.flatnonzero(ok)
    if keep.size == 0 or (n is not None and keep.size < n):
        _short_background(grid, lab, got=int(keep.size), wanted=n, n_pos=n_pos)
    return r[keep], c[keep], X[keep], counts


def _short_background(grid: RegionGrid, lab: LabelsConfig, *, got: int, wanted: int | None,
                      n_pos: int) -> None:
    """Refuse a background draw that found no cell, and warn of one short of what
    ``background_ratio`` asks, naming the cause (``background_exclusion``, or a region of
    labelled cells and no data): it was "0 negatives remain ... the occurrences may lie
    outside the evidence layers", or fewer background rows without a word."""
    few = "no" if got == 0 else "too few"
    cause = (f"model.labels.background_exclusion = {lab.background_exclusion:g} {grid.units} "
             f"around the positive cells leaves {few} unlabelled cells with data"
             if lab.background_exclusion > 0 else
             f"the region holds {few} unlabelled cells with data")
    if got == 0:
        raise DataError(
            f"background: no cell of region {grid.name!r} can be drawn: {cause}; "
            + ("lower model.labels.background_exclusion" if lab.background_exclusion > 0
               else "use negatives: below_threshold, or a larger region"))
    warnings.warn(DataWarning(
        f"background: {got} cell(s) drawn of the {wanted} asked for (background_ratio "
        f"{lab.background_ratio:g} x {n_pos} positives): {cause}"
        + ("; lower model.labels.background_exclusion" if lab.background_exclusion > 0
           else "")), stacklevel=3)


def resolve_cv(ts: TrainingSet, cfg: ModelConfig, *, resolution: float,
               unit: str = "CRS unit") -> dict[str, Any]:
    """The spatial CV's block size and buffer, resolved, with how they were chosen.

    ``block_size: auto`` is the range of the labels' empirical variogram in whole cells
    (:func:`prospect.models.cv.auto_block_size`; the variogram is kept for the report);
    ``buffer: auto`` is 1.5 cells, which drops from training every cell touching a test
    cell. A ``block_size`` from the config below one cell is refused
    (:func:`refuse_subcell_blocks`); ``unit`` names the grid CRS's unit for that message.

    Raises
    ------
    ConfigError
        ``model.cv.block_size`` is smaller than a cell.
    """
    refuse_subcell_blocks(cfg.cv.block_size, resolution=resolution, unit=unit)
    facts: dict[str, Any] = {"n_splits": cfg.cv.n_splits, "units": plural_unit(unit)}
    if cfg.cv.block_size == "auto":
        edge, vg = auto_block_size(ts.coords, ts.y, n_splits=cfg.cv.n_splits,
                                   resolution=resolution, seed=cfg.seed)
        facts.update(block_size=edge, block_size_from="variogram range of the labels",
                     variogram=vg["variogram"], variogram_range=vg["range"],
                     block_size_capped=vg["capped"])
    else:
        facts.update(block_size=float(cfg.cv.block_size), block_size_from="config")
    if cfg.cv.buffer == "auto":
        facts.update(buffer=1.5 * resolution, buffer_from="1.5 cells (auto)")
    else:
        facts.update(buffer=float(cfg.cv.buffer), buffer_from="config")
    return facts


def refuse_subcell_blocks(block_size: float | str, *, resolution: float,
                          unit: str = "CRS unit") -> None:
    """Refuse spatial CV blocks smaller than one cell of the grid.

    Blocks are squares of ``block_size`` in the grid CRS's units, cut from the cell
    centres: below one cell each cell is a block of its own, so the "spatial" CV is a
    random split of cells (Roberts et al. 2017: the optimism spatial blocks exist to
    remove) and its figures were reported as spatial without a word. The usual cause is
    a size in degrees (0.05) on a grid in metres, or in kilometres (5 for 5 km).

    Parameters
    ----------
    block_size
        ``model.cv.block_size`` (``"auto"`` passes: it is a whole number of cells).
    resolution
        The grid's cell size, in ``unit``.
    unit
        The grid CRS's unit (``metre``, ``degree``).

    Raises
    ------
    ConfigError
        Naming the key, both sizes, the unit and the fix.
    """
    if block_size == "auto" or float(block_size) >= resolution * (1 - 1e-9):
        return
    b = float(block_size)
    units = plural_unit(unit)
    raise ConfigError(
        f"key 'model.cv.block_size' = {b:g} is smaller than one cell of the grid "
        f"({resolution:g} {units}): block sizes are in the grid CRS's unit ({units}), so "
        "every cell would be a block of its own and the spatial CV a random split of "
        f"cells; give the size in {units} (several cells, e.g. {10 * resolution:g}) or "
        "'auto' (the range of the labels' variogram)")


def cv_schemes(ts: TrainingSet, cfg: ModelConfig, *, cv: dict[str, Any]) -> dict[str, Folds]:
    """The CV folds of every scheme the config asks for: spatial blocks (of the resolved
    ``cv`` facts, :func:`resolve_cv`), and random folds beside them (``cv.compare_random``)
    or instead (``cv.kind: random``). The cells of one occurrence polygon
    (``ts.groups``) are kept in one fold of each scheme."""
    spatial_cv = SpatialBlockCV(n_splits=cfg.cv.n_splits, block_size=cv["block_size"],
                                buffer=cv["buffer"], random_state=cfg.seed,
                                units=cv.get("units", "CRS units"))
    schemes: dict[str, Folds] = {"spatial_block": list(spatial_cv.split(ts.coords, ts.y,
                                                                        groups=ts.groups))}
    if cfg.cv.compare_random or cfg.cv.kind == "random":
        schemes["random"] = random_folds(ts.y, n_splits=cfg.cv.n_splits, seed=cfg.seed,
                                         groups=ts.groups)
    return schemes


def seed_estimators(cfg: ModelConfig, make: Callable[[ModelConfig], BaseEstimator]
                    ) -> dict[int, BaseEstimator]:
    """The estimators of the seed spread: ``cfg.cv.seeds`` estimator seeds from
    ``cfg.seed`` (one when the estimator draws nothing at random)."""
    n = 1 if cfg.estimator == "weights_of_evidence" else cfg.cv.seeds
    from prospect.models._validation import derived_seed

    seeds = [derived_seed(cfg.seed, k) for k in range(n)]  # 2^32 - 1 + 1 wraps to 0
    return {seed: make(cfg.model_copy(update={"seed": seed})) for seed in seeds}


def seed_spread(results: dict[int, CVResult]) -> dict[str, Any]:
    """Fold-mean spatial ROC AUC per estimator seed and its spread.

    The spread of one seed is unknown, not 0 (the seeds agreeing): ``std`` is NaN below two
    seeds with a fold mean, and ``std_undefined_because`` says why. ``std`` is the sample
    s.d. (ddof 1, as the fold spread: ``std_is``).
    """
    per = {seed: float(r.metrics.get("fold_roc_auc_mean", np.nan)) for seed, r in results.items()}
    vals = np.array([v for v in per.values() if np.isfinite(v)])
    out = {"seeds": list(per), "fold_roc_auc_mean": list(per.values()),
           "mean": float(vals.mean()) if vals.size else float("nan"),
           "std": float(vals.std(ddof=1)) if vals.size > 1 else float("nan"),
           "std_is": "sample",
           "min": float(vals.min()) if vals.size else float("nan"),
           "max": float(vals.max()) if vals.size else float("nan")}
    if vals.size < 2:
        out["std_undefined_because"] = (
            f"{vals.size} estimator seed(s) with a fold-mean ROC AUC: a spread needs two "
            "(model.cv.seeds; weights of evidence draws nothing at random and runs one)")
    return out


def importance_repeats(scheme: str, cfg: ModelConfig) -> int:
    """Permutation-importance repeats of a CV scheme (spatial blocks only)."""
    return cfg.permutation_repeats if scheme == "spatial_block" else 0


def fit_final(estimator: BaseEstimator, X: np.ndarray, y: np.ndarray,
              sw: np.ndarray | None, fit_rows: dict[str, np.ndarray] | None = None,
              ) -> BaseEstimator:
    """The final model: a clone of ``estimator`` fitted on every row (a cluster task)."""
    kw = ({} if sw is None else {"model__sample_weight": sw}) | {
        f"model__{k}": v for k, v in (fit_rows or {}).items()}
    with convergence_said_later():  # said once, from the model (summary)
        return clone(estimator).fit(X, y, **kw)


def fit_rows(ts: TrainingSet, cfg: ModelConfig) -> dict[str, np.ndarray] | None:
    """Per-row fit arguments the estimator takes besides weights: the occurrence points
    per cell for weights of evidence (used with ``params.count: points``)."""
    if cfg.estimator == "weights_of_evidence" and cfg.params.get("count") == "points" and \
            ts.n_points is not None:
        return {"n_points": ts.n_points}
    return None


def fit_all(
    estimator: BaseEstimator, ts: TrainingSet, schemes: dict[str, Folds], cfg: ModelConfig, *,
    sample_weight: np.ndarray | None, feature_names: list[str],
    fold_X: dict[str, list[np.ndarray]] | None = None,
    seeds: dict[int, BaseEstimator] | None = None,
) -> tuple[dict[str, CVResult], BaseEstimator, dict[int, CVResult]]:
    """Cross-validate every scheme, repeat the spatial CV for the other estimator ``seeds``
    and fit the final model, in this process.

    ``fold_X`` are the per-fold feature matrices of fold-aware interpolation
    (:func:`fold_matrices`); the final model is fitted on ``ts.X`` (every point).
    Returns the results per scheme, the final model and the spatial results per seed.
    """
    fx = fold_X or {}
    rows = fit_rows(ts, cfg)
    results = {scheme: cross_validate(
        estimator, ts.X, ts.y, folds, scheme=scheme, sample_weight=sample_weight,
        feature_names=feature_names, importance_repeats=importance_repeats(scheme, cfg),
        seed=cfg.seed, fold_X=fx.get(scheme), fit_rows=rows, area_rows=ts.background)
        for scheme, folds in schemes.items()}
    by_seed = {cfg.seed: results["spatial_block"]}
    for seed, est in (seeds or {}).items():
        if seed != cfg.seed:
            by_seed[seed] = cross_validate(
                est, ts.X, ts.y, schemes["spatial_block"], scheme="spatial_block",
                sample_weight=sample_weight, seed=seed, fold_X=fx.get("spatial_block"),
                fit_rows=rows, area_rows=ts.background)
    return results, fit_final(estimator, ts.X, ts.y, sample_weight, rows), by_seed


def calibrate(
    final: BaseEstimator, spatial: CVResult, X: np.ndarray, y: np.ndarray, cfg: ModelConfig,
    *, sample_weight: np.ndarray | None = None,
) -> tuple[BaseEstimator, dict[str, Any]]:
    """The model to save and the reliability facts of its probabilities.

    Parameters
    ----------
    final
        The model fitted on every training row.
    spatial
        The spatial cross-validation's out-of-fold probabilities.
    X, y
        The training rows and their labels.
    cfg
        The model's configuration (``calibration``: ``"none"`` keeps ``final``).
    sample_weight
        The training rows' area weights (:attr:`TrainingSet.weight`), given where the model
        weighs its rows by area (:func:`prospect.models.uses_area_weights`). Weights of
        evidence's posterior is a probability per unit cell: left as it is (``"none"``),
        its reliability figures (``spatial_oof_before``) weigh each out-of-fold row as the
        area it stands for (:func:`prospect.models.evaluate.reliability`); by rows they
        set it against the training rows' share of positives. Other models, and a
        calibrated posterior (fitted to the rows' labels), are read by rows.

    Returns
    -------
    tuple
        The model to save (``final``, calibrated when ``cfg.calibration`` asks) and the
        reliability facts before and after calibration, on the spatial out-of-fold rows.
    """
    tested = spatial.fold >= 0
    rates = base_rates(y, cfg)
    by_area = sample_weight is not None and uses_area_weights(cfg.estimator) \
        and cfg.calibration == "none"
    facts: dict[str, Any] = {
        "method": cfg.calibration,
        "spatial_oof_before": reliability(
            y[tested], spatial.oof[tested],
            sample_weight=np.asarray(sample_weight)[tested] if by_area else None),
        "note": relative_scores_note(cfg, rates["sample"]),
        "base_rate_sample": rates["sample"],
    }
    if rates["weighted"] is not None:
        facts["class_weight"] = rates["class_weight"]
        facts["base_rate_weighted"] = rates["weighted"]
    if cfg.calibration == "none":
        if rates["weighted"] is not None and \
                not math.isclose(rates["weighted"], rates["sample"], rel_tol=1e-3):
            line = _weighted_rate_line(rates)
            warnings.warn(DataWarning(line), stacklevel=2)
            facts["warnings"] = [line]
        return final, facts
    model = CalibratedModel(model=final, method=cfg.calibration).fit(
        X[tested], y[tested], scores=spatial.oof[tested])
    facts["spatial_oof_after"] = reliability(y[tested], model.calibrate(spatial.oof[tested]))
    doubts: list[str] = []
    if np.ptp(model.y_) == 0:  # the map was one value in every cell without a word
        facts["flat"] = True
        doubts.append(
            f"calibration: the {cfg.calibration} map is flat (every raw probability maps "
            f"to {float(model.y_[0]):.4g}): the spatial out-of-fold probabilities do not rank "
            "the positives above the background, so the calibrated map is one value in every "
            "cell and its uncertainty 0; use model.calibration: none to keep the model's "
            "ranking, and read the spatial CV figures")
    elif cfg.calibration == "isotonic":
        few = isotonic_too_few(y[tested], model.y_)
        if few:
            facts["isotonic_few_rows"] = few["facts"]
            doubts.append(few["line"])
    for line in doubts:
        warnings.warn(DataWarning(line), stacklevel=2)
    if doubts:
        facts["warnings"] = doubts
    facts["note_after"] = ("calibration map fitted on the spatial out-of-fold "
                           "probabilities (its after-figures are in-sample)")
    return model, facts


def relative_scores_note(cfg: ModelConfig, base_rate: float) -> str:
    """Why an uncalibrated model's probabilities are relative scores, said of the rows it
    was trained on (``model.labels.negatives``).

    Parameters
    ----------
    cfg
        The model's configuration.
    base_rate
        The share of positives among the training rows.

    Returns
    -------
    str
        ``background``: a sample of the area at ``background_ratio`` cells per positive;
        ``below_threshold``: the sample sites graded below the threshold, no sample of the
        area and drawn at no ratio (the Meuse job's 13 of 150 sites were "10 cells per
        positive" before); ``both``: those sites and the background sample.
    """
    ratio = f"{cfg.labels.background_ratio:g} cells per positive"
    rows = {
        "background": f"the background is a sample of the area at {ratio}",
        "below_threshold": "the negatives are the sample sites graded below the threshold "
                           "(model.labels.negatives: below_threshold), no sample of the area",
        "both": "the negatives are the sample sites graded below the threshold and a "
                f"background sample of the area at {ratio}",
    }[cfg.labels.negatives]
    return (f"probabilities are relative scores: {rows} (a base rate of {base_rate:.4g}), "
            "so their base rate is not the deposit density of the region")


def base_rates(y: np.ndarray, cfg: ModelConfig) -> dict[str, Any]:
    """The share of positives among the training rows (``sample``) and, when
    ``model.params.class_weight`` weighs the classes, the share the weighted fit sees
    (``weighted``: ``w1 P / (w1 P + w0 N)``, 0.5 for ``balanced``; None without weights or
    for estimators that take none).

    A weight multiplies the odds the estimator learns by ``w1 / w0`` (Elkan 2001, "The
    foundations of cost-sensitive learning"; King and Zeng 2001's prior correction), so an
    uncalibrated map's probabilities centre on the weighted share, not the sample's.
    """
    y = np.asarray(y)
    pos, neg = float((y == 1).sum()), float((y != 1).sum())
    sample = pos / (pos + neg) if pos + neg else math.nan
    weights = cfg.params.get("class_weight")
    out: dict[str, Any] = {"sample": round(sample, 6), "weighted": None, "class_weight": None}
    if weights is None or cfg.estimator in ("weights_of_evidence", "bagging_pu"):
        return out
    if isinstance(weights, str):  # 'balanced', 'balanced_subsample': n / (2 n_class) each
        w1, w0 = (1.0 / pos if pos else 0.0), (1.0 / neg if neg else 0.0)
    elif isinstance(weights, dict):
        w1, w0 = float(weights.get(1, 1.0)), float(weights.get(0, 1.0))
    else:
        return out
    total = w1 * pos + w0 * neg
    out.update(weighted=round(w1 * pos / total, 6) if total else math.nan,
               class_weight=weights)
    return out


def _weighted_rate_line(rates: dict[str, Any]) -> str:
    return (f"class weights: model.params.class_weight {rates['class_weight']!r} weighs the "
            f"positives against the background so that the fit sees a base rate of "
            f"{rates['weighted']:.4g}, not the training rows' {rates['sample']:.4g}: the "
            "map's probabilities are raised accordingly (odds times w1 / w0) and are no "
            "more comparable with another model's than ranks; set model.calibration: sigmoid "
            "to bring them back to the rows' base rate, or leave class_weight out")


ISOTONIC_LEAST_ROWS = 1000
"""Fewest calibration rows for isotonic regression: scikit-learn's user guide (Probability
calibration) advises against isotonic calibration with far fewer than about 1000 samples,
as it overfits them (Niculescu-Mizil and Caruana 2005: Platt scaling does better below)."""


def isotonic_too_few(y: np.ndarray, steps: np.ndarray) -> dict[str, Any] | None:
    """Facts and a warning line when an isotonic map was fitted on too few rows.

    Parameters
    ----------
    y
        The labels (1 positive) of the spatial out-of-fold rows the map was fitted on.
    steps
        The fitted map's calibrated values (``CalibratedModel.y_``).

    Returns
    -------
    dict or None
        ``{"facts": {...}, "line": str}`` below :data:`ISOTONIC_LEAST_ROWS` rows, else
        ``None``.
    """
    y = np.asarray(y)
    rows, positives = int(y.size), int((y == 1).sum())
    if rows >= ISOTONIC_LEAST_ROWS:
        return None
    levels = int(np.unique(np.round(np.asarray(steps, "f8"), 12)).size)
    facts = {"rows": rows, "positives": positives, "least_rows": ISOTONIC_LEAST_ROWS,
             "map_levels": levels,
             "rule": "isotonic regression overfits below about 1000 calibration rows "
                     "(scikit-learn user guide, Probability calibration)"}
    line = (f"calibration: isotonic map fitted on {rows} spatial out-of-fold rows "
            f"({positives} positive), fewer than the {ISOTONIC_LEAST_ROWS} below which "
            "isotonic regression overfits (scikit-learn's guide): its step function of "
            f"{levels} levels follows these few positives, so the calibrated probabilities "
            "and the map's classes rest on them; use model.calibration: sigmoid (Platt "
            "scaling, two parameters) or none, or more labelled cells")
    return {"facts": facts, "line": line}
