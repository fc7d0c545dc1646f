"""Training labels: occurrences snapped to grid cells, grade thresholds, background samples.

The pure part (:func:`snap_points`, :func:`grade_positives`, :func:`sample_background`)
works on coordinate arrays; :func:`read_occurrences` turns the points or polygons that
:func:`prospect.io.points.read_features` reads (the one table reader) into grid-CRS
points.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from prospect.errors import DataError, DataWarning, InputFileError
from prospect.grid import RegionGrid, check_transformable
from prospect.io.companions import Qualifier
from prospect.io.points import (
    as_path,
    column_values_and_limits,
    coordinates_without_geometry,
    crs_meant,
    depth_intervals,
    gpx_points_meant,
    header_again_said,
    metres_hint,
    no_numbers_hint,
    placeless_said,
    quality_control_records,
    read_features,
    record_numbers,
    refuse_repeated_columns,
    refuse_swapped_axes,
    refuse_unreadable,
    region_lonlat,
    repeated_records,
    uncertain_places,
    valid_in_crs,
    warn_bottom_hole_places,
    warn_coarse_coordinates,
    warn_coarse_vertices,
    warn_depth_intervals,
    warn_ids_at_several_places,
    warn_ids_with_other_values,
)
from prospect.io.vector import (
    described_hint,
    has_geometry,
    repaired_message,
    text_coordinates_said,
)

__all__ = [
    "LabelSet",
    "Occurrences",
    "commodity_column",
    "concentration_scale",
    "flag_values",
    "grade_occurrences",
    "grade_positives",
    "graded_records",
    "occurrence_groups",
    "probability_column",
    "quantile_threshold",
    "quantile_ties",
    "read_occurrences",
    "sample_background",
    "snap_points",
]


@dataclass
class Occurrences:
    """Occurrence locations in the grid CRS.

    Attributes
    ----------
    x, y
        Point coordinates (polygon occurrences: every cell centre the polygon covers).
    values
        Grade per point (NaN when there is no grade column).
    feature_id
        Index of the source record each point comes from (polygons give several points).
    n_records
        Records read from the file.
    n_dropped
        Records without usable coordinates or geometry.
    polygon
        True for each point that stands for a polygon (a cell it covers, or its centre
        with ``polygons="centroid"``); ``None`` when no record is a polygon.
    duplicate
        True for each point of a record that repeats an earlier record exactly (the same
        geometry and the same value in every column: a row pasted twice); ``None`` when
        no record does.
    duplicates
        Each repeated record: ``{"record", "same_as", "x", "y"}`` (record numbers as
        :func:`read_occurrences` counts them: the table's line, or the feature number;
        coordinates in the grid CRS).
    other_commodity
        Records left out because their commodity column names only other commodities
        than the model's (:func:`read_occurrences`'s ``mineral``).
    barren
        Records left out because their status column says they are barren (``Barren``,
        ``Drilled - no mineralization``: :func:`barren_records`) or processing sites
        (MRDS's ``Plant``, ``Smelter``).
    quality_control
        Records left out because their sample-type column says they are a laboratory's
        standards, blanks or duplicates
        (:func:`prospect.io.points.quality_control_records`).
    limit
        Per point, the detection limit its grade is below (``<5``, ``-5`` in a
        concentration unit, under its row's limit in a detection-limit column, or twice
        the number beside a flag alone: :func:`prospect.io.points.column_values_and_limits`;
        its value is NaN), NaN where the grade is measured, missing, or below a limit not
        given; ``None`` when not read (:func:`graded_records`).
    floor
        Per point, whether its grade is only known to be at least its value (a grade above
        an upper limit of determination, ``>1000`` or flagged ``>``: its value is the
        limit); ``None`` when not read (:func:`graded_records`).
    numbers
        Per point, its record's number as the file counts it (the table's line, or the
        feature's number: ``what``); ``None`` when not read.
    what
        What ``numbers`` count: ``"line"``, ``"row"`` or ``"feature"``.
    no_numbers
        Where the grade column holds cells but not one number: what its cells are (dates,
        detection limits, ...: :func:`prospect.io.points.no_numbers_hint`); else ``None``.
    unit
        The grade column's unit as the table or config states it (:func:`_stated_unit`:
        its cells, a row of units or a unit column, the source's ``units:``, its
        header); ``None`` where none does.
    crs_hint
        Where most records lie outside the grid but would lie in it read in another
        projected CRS: the hint naming it (:func:`~prospect.io.points.crs_meant`);
        else ``''``.
    """

    x: np.ndarray
    y: np.ndarray
    values: np.ndarray
    feature_id: np.ndarray
    n_records: int
    n_dropped: int = 0
    source: str = ""
    polygon: np.ndarray | None = None
    duplicate: np.ndarray | None = None
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    other_commodity: int = 0
    barren: int = 0
    quality_control: int = 0
    limit: np.ndarray | None = None
    numbers: np.ndarray | None = None
    what: str = "line"
    floor: np.ndarray | None = None
    no_numbers: str | None = None
    unit: str | None = None
    crs_hint: str = ""


@dataclass
class LabelSet:
    """Labelled cells: one entry per cell, after snapping and de-duplication.

    Attributes
    ----------
    rows, cols
        Cell indices on the grid.
    label
        1 for positives, 0 for negatives (points below the grade threshold).
    counts
        What happened to the input records: read, outside the grid, merged into a cell
        that already held one, positives, negatives, threshold used.
    """

    rows: np.ndarray
    cols: np.ndarray
    label: np.ndarray
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def n_positive(self) -> int:
        """Number of positive cells."""
        return int((self.label == 1).sum())


def snap_points(
    x: np.ndarray, y: np.ndarray, grid: RegionGrid, *, positive: np.ndarray | None = None,
    feature_id: np.ndarray | None = None,
) -> LabelSet:
    """Snap points to the cells holding them and keep one label per cell.

    A cell is positive when any of its points is positive. Counts report records outside
    the grid, records merged into a cell that already held another record, and positive
    cells holding a record that is not positive.

    Parameters
    ----------
    x, y
        Coordinates in the grid CRS.
    grid
        The region grid.
    positive
        Boolean per point; default: every point is positive.
    feature_id
        Source record per point; points of one record (a polygon) are not counted as
        merges of each other.
    """
    x = np.asarray(x, dtype="f8")
    y = np.asarray(y, dtype="f8")
    pos = np.ones(x.shape, bool) if positive is None else np.asarray(positive, bool)
    fid = np.arange(x.size) if feature_id is None else np.asarray(feature_id)
    # the region holds its bounds: a point on its east or south edge (a well at a round
    # coordinate the region's bounds were drawn on) is in the last cell, as one on the
    # west or north edge is in the first; floor() put it one cell outside
    open_rows, open_cols = grid.rowcol(x, y)
    rows, cols = grid.rowcol(x, y, closed=True)
    on_edge = (rows != open_rows) | (cols != open_cols)
    west, north, res = grid.bounds[0], grid.bounds[3], grid.resolution
    east, south = west + grid.width * res, north - grid.height * res
    inside = grid.contains(rows, cols)
    # records just outside (within half a cell of the bounds: rounded coordinates, bounds
    # drawn a little tight) are likely meant to be in; they are said, not silently dropped
    beyond = np.maximum.reduce([west - x, x - east, south - y, y - north, np.zeros_like(x)])
    near = ~inside & np.isfinite(beyond) & (beyond <= 0.5 * res)
    n_records = int(np.unique(fid).size)
    outside_records = int(np.setdiff1d(np.unique(fid[~inside]), np.unique(fid[inside])).size)
    near_at = [[float(a), float(b)] for a, b in zip(x[near][:5], y[near][:5], strict=True)]
    edge_counts = {"on_closing_edge": int((on_edge & inside).sum()),
                   "just_outside_grid": int(np.unique(fid[near]).size),
                   "just_outside_grid_at": near_at}
    rows, cols, pos, fid = rows[inside], cols[inside], pos[inside], fid[inside]
    flat = rows * grid.width + cols
    frame = pd.DataFrame({"cell": flat, "pos": pos, "fid": fid})
    per_cell = frame.groupby("cell").agg(pos=("pos", "max"), low=("pos", "min"),
                                         n=("fid", "nunique"))
    merged = int((per_cell["n"] - 1).sum())
    cells = per_cell.index.to_numpy(dtype="i8")
    label = per_cell["pos"].to_numpy().astype("i1")
    counts = {
        "records": n_records,
        "outside_grid": outside_records,
        "merged_into_shared_cell": merged,
        "cells": int(cells.size),
        "positive_cells": int((label == 1).sum()),
        "negative_cells": int((label == 0).sum()),
        # a positive cell holding a record that is no positive (a well measured twice, 66
        # and 79 at a threshold of 77): said, as its negative record is in no label
        "positive_cells_holding_negatives": int((per_cell["pos"] & ~per_cell["low"]).sum()),
        **edge_counts,
    }
    return LabelSet(rows=cells // grid.width, cols=cells % grid.width, label=label,
                    counts=counts)


def grade_positives(
    values: np.ndarray, *, threshold: float | None = None, quantile: float | None = None,
    limit: np.ndarray | None = None, record: np.ndarray | None = None,
    repeated: np.ndarray | None = None, floor: np.ndarray | None = None,
) -> tuple[np.ndarray, float | None]:
    """Positives by grade: ``values >= threshold`` (or >= the ``quantile`` of the grades:
    :func:`quantile_threshold` of the records ``record`` and ``repeated`` say, the grades
    below a detection limit ``limit`` and those above an upper limit ``floor`` among
    them).

    Points with a missing grade are never positive. Without a threshold every point is
    positive. Returns the boolean mask and the threshold used.
    """
    values = np.asarray(values, dtype="f8")
    if threshold is None and quantile is None:
        return np.ones(values.shape, bool), None
    finite = np.isfinite(values)
    if not finite.any():
        raise DataError("the grade column has no numeric values; check 'value_column'")
    if threshold is None:
        threshold = quantile_threshold(values, float(quantile),  # type: ignore[arg-type]
                                       limit=limit, record=record, repeated=repeated,
                                       floor=floor)
    with np.errstate(invalid="ignore"):
        return finite & (values >= threshold), float(threshold)


def grade_occurrences(occ: Occurrences, *, threshold: float | None = None,
                      quantile: float | None = None) -> tuple[np.ndarray, float | None]:
    """:func:`grade_positives` of ``occ``'s points: a ``quantile`` is one of its records
    (a polygon's cells and a multi-point's parts are one record, a record repeating
    another exactly is none more), its grades below a detection limit among them."""
    return grade_positives(occ.values, threshold=threshold, quantile=quantile,
                           limit=occ.limit, record=occ.feature_id, repeated=occ.duplicate,
                           floor=occ.floor)


def quantile_threshold(values: np.ndarray, quantile: float, *,
                       limit: np.ndarray | None = None, record: np.ndarray | None = None,
                       repeated: np.ndarray | None = None,
                       floor: np.ndarray | None = None) -> float:
    """The ``quantile`` of the graded records (numpy's default, linear, definition), the
    grades below a detection limit counted among them.

    A record is one grade, however many points it gives: a polygon's cells and a
    multi-point's parts (``record``: each point's record) count once, and a record that
    repeats an earlier one exactly (``repeated``) not again; counted per point, a large
    outline's grade weighed as many times as it has cells. A grade below a limit
    (``<5``; ``limit``) is ranked below every measured grade at or above the highest
    limit: a quantile whose order statistics are such measured grades does not depend on
    the censored values and is exact (percentiles above the highest detection limit, as
    Helsel 2012, *Statistics for Censored Environmental Data Using Minitab and R*, reads
    them without substitution). Left out, as before, the censored grades pushed the
    quantile up (the 0.9 quantile of 10 grades below 5 and 10 measured was the 0.8 of
    the measured). One that falls at or below the highest limit depends on the
    censored values and is refused; no value is made up for them. Likewise a grade
    above an upper limit (``>1000``; ``floor``, its value the limit) ranks above every
    measured grade at or under the lowest such limit.

    Parameters
    ----------
    values
        Grade per point, NaN where missing or below a limit.
    quantile
        In (0, 1).
    limit
        Per point, the detection limit its grade is below (NaN elsewhere), or ``None``.
    record
        Per point, its record (default: each point its own).
    repeated
        True for the points of a record that repeats an earlier one (or ``None``).
    floor
        True for the points whose grade is only known to be at least its value (or
        ``None``).

    Returns
    -------
    float
        The threshold.

    Raises
    ------
    DataError
        The quantile falls among the grades below a detection limit.
    """
    values = np.asarray(values, dtype="f8")
    limit = np.full(values.shape, np.nan) if limit is None else np.asarray(limit, "f8")
    use = _first_points(values.shape, record, repeated)
    top = np.zeros(values.shape, bool) if floor is None else np.asarray(floor, bool)
    graded = values[use & np.isfinite(values)]  # (measured, and at least their limit)
    atleast = values[use & np.isfinite(values) & top]
    censored = limit[use & ~np.isfinite(values) & np.isfinite(limit)]
    if not censored.size and not atleast.size:
        threshold = float(np.quantile(graded, quantile))
        _refuse_all_at_or_above(graded, quantile, threshold)
        return threshold
    ranked = np.sort(values[use & np.isfinite(values) & ~top])
    n = graded.size + censored.size
    h = (n - 1) * quantile
    low = int(np.floor(h)) - censored.size  # its ranks among the measured
    high = int(np.ceil(h)) - censored.size
    if censored.size and not (0 <= low < ranked.size and ranked[low] >= censored.max()):
        raise DataError(_censored_quantile(quantile, n, censored.size, float(censored.max()),
                                           "below a detection limit", "limits up to"))
    if atleast.size and not (0 <= high < ranked.size and ranked[high] <= atleast.min()):
        raise DataError(_censored_quantile(quantile, n, atleast.size, float(atleast.min()),
                                           "above an upper limit", "limits from"))
    # the censored grades in the lowest ranks, as any value under the lowest measured; the
    # grades above a limit at their limits, at or above the quantile's ranks
    placed = np.concatenate([np.full(censored.size, ranked[0]), graded])
    threshold = float(np.quantile(placed, quantile))
    _refuse_all_at_or_above(graded, quantile, threshold)
    return threshold


def _first_points(shape: tuple[int, ...], record: np.ndarray | None,
                  repeated: np.ndarray | None) -> np.ndarray:
    """The first point of each record, a record repeating an earlier one left out: one
    point per record (a polygon's cells and a multi-point's parts are one)."""
    use = np.ones(shape, bool) if repeated is None else ~np.asarray(repeated, bool)
    if record is not None:
        first = np.zeros(shape, bool)
        first[np.unique(np.asarray(record), return_index=True)[1]] = True
        use &= first
    return use


TIE_EXCESS_SHARE = 0.1
"""Positives a tie adds beyond an untied sample's, as a share of those, from which it is
said (at least 2): integer grades (heat flows in mW/m2) tie at any quantile, most by a
record or two."""


def quantile_ties(occ: Occurrences, quantile: float, threshold: float) -> dict[str, int]:
    """How a ``quantile`` threshold at a tied grade splits ``occ``'s records: the graded
    records, those at the threshold, those reaching it (the positives) and the most an
    untied sample gives (``n - floor((n - 1) q)``, numpy's linear quantile).

    A grade many records share (a lab's rounding to 10, a reporting value) makes every one
    of them a positive where the quantile falls on it: the median of 20 grades of which
    11 are 50 made 16 positives, not the 10 the quantile names. Empty when the threshold
    is at no tie or the tie adds fewer positives beyond an untied sample's than
    :data:`TIE_EXCESS_SHARE` of them (and 2).

    Parameters
    ----------
    occ
        The occurrences graded (one point per record counted: :func:`_first_points`).
    quantile, threshold
        ``model.labels.threshold_quantile`` and the threshold it gave.

    Returns
    -------
    dict
        ``records``, ``tied``, ``positive`` and ``named`` (the most an untied sample
        gives), or empty.
    """
    use = _first_points(occ.values.shape, occ.feature_id, occ.duplicate)
    values = occ.values[use]
    limit = np.full(values.shape, np.nan) if occ.limit is None else occ.limit[use]
    n = int(np.isfinite(values).sum() + (~np.isfinite(values) & np.isfinite(limit)).sum())
    tied = int((values == threshold).sum())
    reach = int((values >= threshold).sum())
    most = n - int(np.floor((n - 1) * quantile))
    if tied < 2 or reach - most < max(2, math.ceil(TIE_EXCESS_SHARE * most)):
        return {}
    return {"records": n, "tied": tied, "positive": reach, "named": most}


def _censored_quantile(quantile: float, n: int, count: int, limit: float, side: str,
                       limits: str) -> str:
    """The refusal of a quantile that falls among censored grades."""
    below = side.startswith("below")
    return (
        f"the {quantile:g} quantile (model.labels.threshold_quantile) of {n} graded "
        f"record(s) falls among the {count} {side} ({limits} {limit:g}): it lies "
        f"{'at or under' if below else 'at or over'} {limit:g}, where their grades are not "
        "known, and cannot be computed without making up their values; give 'threshold:' "
        "a grade" + (f" (a grade of at least {limit:g} labels every one of them a negative)"
                     if below else f" (a grade of at most {limit:g} labels every one of "
                     "them a positive)")
        + ", a " + ("higher" if below else "lower") + " quantile, or their grades "
        "re-assayed")


def _refuse_all_at_or_above(measured: np.ndarray, quantile: float, threshold: float) -> None:
    """Refuse a quantile that no graded record is below: the lowest grade tied at it (12
    grades of 0 among 20, the 0.5 quantile 0; the no's of a yes/no column), so that every
    record, the barren ones too, was a positive (``values >= threshold``), without a
    word."""
    if (measured < threshold).any():
        return
    tied = int((measured == threshold).sum())
    flags = bool(np.isin(measured, (0.0, 1.0)).all())
    fix = ("; the column holds 0/1 (or yes/no) flags, which a quantile cannot grade: set "
           "'threshold: 1' instead of 'threshold_quantile'" if flags else
           f"; give 'threshold:' a grade above {threshold:g} instead of 'threshold_quantile'")
    raise DataError(
        f"the {quantile:g} quantile (model.labels.threshold_quantile) of the "
        f"{measured.size} graded record(s) is {threshold:g}, their lowest grade, which "
        f"{tied} of them hold: no record is below it, so every record, each of the {tied} "
        f"at {threshold:g} too, would be a positive and none a negative (a quantile cannot "
        "split tied grades)"
        + fix)


def graded_records(values: np.ndarray, limit: np.ndarray | None,
                   threshold: float | None, floor: np.ndarray | None = None) -> np.ndarray:
    """Which points carry a label under ``threshold``: every point without one; with one,
    each with a measured grade, and each below a detection limit at or under the
    threshold (``<5`` at a threshold of 30), a negative.

    A grade below a limit that is at or under the threshold is under the threshold,
    whatever its value (``x < L <= t`` gives ``x < t``; a positive is ``x >= t``), so
    the record is a negative as surely as a measured low grade; one below a higher limit
    (``<50`` at 30) may lie either side and is undecided, left out with the points
    without a grade (not analysed). The limits are as :class:`Occurrences` holds them (a
    limit the grade may equal, ``<=30``, is stored just above it: undecided at 30). This
    is plain logic, not a substitution: no value is made up for the censored grade
    (Helsel 2012, *Statistics for Censored Environmental Data Using Minitab and
    R*, ch. 1, on substitution); a quantile threshold ranks them below the measured
    grades (:func:`quantile_threshold`). Likewise a grade above an upper limit L
    (``>1000``: ``floor``, its value L) with L under the threshold may lie either side
    of it and is undecided (it was a negative, though it may be any grade above L); with
    L at or above the threshold it is a positive.

    Parameters
    ----------
    values
        Grade per point, NaN where missing or below a detection limit.
    limit
        Detection limit per point where its grade is below one (NaN elsewhere), or
        ``None``: no limits read.
    threshold
        The threshold used (:func:`grade_positives`), ``None`` when the labels are not
        graded.
    floor
        True per point whose grade is only known to be at least its value, or ``None``.

    Returns
    -------
    numpy.ndarray
        Boolean per point: labelled (a positive where :func:`grade_positives` says so, a
        negative otherwise).
    """
    values = np.asarray(values, dtype="f8")
    if threshold is None:
        return np.ones(values.shape, bool)
    keep = np.isfinite(values)
    if limit is not None:
        limit = np.asarray(limit, dtype="f8")
        with np.errstate(invalid="ignore"):
            keep |= ~keep & np.isfinite(limit) & (limit <= threshold)
    if floor is not None:
        with np.errstate(invalid="ignore"):
            keep &= ~(np.asarray(floor, bool) & (values < threshold))
    return keep


def sample_background(
    grid: RegionGrid, n: int | None, *, exclude_rows: np.ndarray, exclude_cols: np.ndarray,
    exclusion: float = 0.0, seed: int = 0, valid: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded uniform sample of unlabelled cells (``n=None``: every unlabelled cell).

    Parameters
    ----------
    grid
        The region grid.
    n
        Number of cells wanted (fewer when the grid has fewer unlabelled cells).
    exclude_rows, exclude_cols
        Labelled cells, never drawn.
    exclusion
        Cells whose centre lies within this distance (CRS units) of a positive labelled
        cell (of any labelled cell when ``labels`` is ``None``) are not drawn either.
    seed
        Seed of the random generator; the same seed gives the same sample.
    valid
        Optional flat boolean mask of cells with data; only those are drawn.
    labels
        Label of each excluded cell (1 positive, 0 negative). The exclusion zone is drawn
        around the positives only: background within reach of an occurrence may hold an
        unrecorded one (the reason for the zone; Barbet-Massin et al. 2012, VanDerWal et
        al. 2009), while a measured low-grade site says nothing of its neighbours, and a
        zone around it would bias the background, a sample of the area (the area of
        every prediction-rate and weights-of-evidence figure), away from the places
        surveyed. With ``exclusion`` above 0 the sample is of the region less the zone
        around the positives, not of the whole area: the area figures then cover only
        the rest of the region and read high (the train stage says so, with the zone's
        estimated share; weights of evidence refuse an exclusion zone). Labelled cells
        themselves are never drawn.

    Returns
    -------
    rows, cols
        Sampled cells, in random order.
    """
    total = grid.height * grid.width
    rng = np.random.default_rng(seed)
    taken = np.asarray(exclude_rows, "i8") * grid.width + np.asarray(exclude_cols, "i8")
    near = taken if labels is None else taken[np.asarray(labels).ravel() == 1]
    tree = None
    if exclusion > 0 and near.size:
        from scipy.spatial import cKDTree

        tree = cKDTree(np.column_stack([grid.x[near % grid.width],
                                        grid.y[near // grid.width]]))

    def usable(candidates: np.ndarray) -> np.ndarray:
        keep = ~np.isin(candidates, taken)
        if valid is not None:
            keep &= np.asarray(valid, bool).ravel()[candidates]
        candidates = candidates[keep]
        if tree is not None:
            pts = np.column_stack([grid.x[candidates % grid.width],
                                   grid.y[candidates // grid.width]])
            dist, _ = tree.query(pts, k=1)
            candidates = candidates[dist > exclusion]
        return candidates

    if n is None:
        if total > 4_000_000:
            raise DataError(
                f"background: all would draw {total} cells; use background: random with a "
                "background_ratio"
            )
        return divmod(usable(np.arange(total)), grid.width)
    want = min(int(n), total)
    size = min(total, want * 2 + 64)
    candidates = np.unique(rng.integers(0, total, size=size))
    rng.shuffle(candidates)
    candidates = usable(candidates)
    # an exclusion zone (or labelled cells) covering most of the region left the draw short
    # of n without a word, though the region held enough cells: draw larger, at last all
    while candidates.size < want and size < total:
        size = min(total, size * 4)
        more = rng.permutation(total) if size >= total else np.unique(
            rng.integers(0, total, size=size))
        if size < total:
            rng.shuffle(more)
        candidates = usable(more)
    return divmod(candidates[:want], grid.width)


_COLUMN_RANKS = (r"main|primary|principal|major|minor|secondary|first|second|third|other|"
                 r"associated|by_?products?|accessory|tertiary|trace")
_COMMODITY_COLUMN = re.compile(
    rf"(?:(?:{_COLUMN_RANKS}|ore|mineral|haupt|neben)_?)?"
    r"(?:commod(?:ity|ities|s)?|commodit(?:y|ies)_?(?:name|type|list|group)?|minerals?|metals?|"
    r"substances?|subst|sustancias?|subst[aâ]ncias?|rohstoffe?|grondstof(?:fen)?|"
    r"delfstof(?:fen)?|kho[aáà]ng_s[aảạ]n)"
    rf"(?:_(?:{_COLUMN_RANKS}|princ|sec|names?))?_?\d?", re.IGNORECASE)
"""Names of a column saying each occurrence's commodity (USGS MRDS ``commod1``, the USGS
lithium database's ``Commodity``, ``main_commodity``, ``Minerals``, ``Ore minerals``), or
its trace commodities (``trace_commodities``: read as :data:`_TRACE_COLUMN` says; it was no
commodity column, so a table with no other made every record a positive). Read in
:func:`_plain_name`, as the status and trace columns are: a spreadsheet's ``Main
Commodity``, ``Trace Commodities`` or ``COMMOD 1`` was matched as written, so no commodity
column was read and every copper and gold deposit was a lithium positive, without a word;
so were headers of a rank after the word (``Commodities (main)``, ``commodity_trace``) and
in the partners' and surveys' languages (French ``Substances``, BRGM's ``SUBST_PRINC``,
German ``Rohstoff``, Dutch ``Grondstof`` or ``Delfstof``, Spanish ``Sustancia``,
Portuguese ``Substância``, Vietnamese ``Khoáng sản``), whose cells round 33 reads."""

_DBF_NAME_CHARS = 10
"""The most characters of a Shapefile's (``.dbf``) field name: longer names are cut there."""
_TRUNCATED_COMMODITY = re.compile(
    rf"(?:(?:{_COLUMN_RANKS}|ore|mineral)_?)?co(?:m(?:m(?:o(?:d(?:i(?:t(?:i(?:e)?)?)?)?)?)?)?)?",
    re.IGNORECASE)
"""A commodity column's name as a Shapefile cuts it to :data:`_DBF_NAME_CHARS` characters
(``main_commodity`` -> ``main_commo``, ``commodities`` -> ``commoditie``,
``trace_commodities`` -> ``trace_comm``, ``primary_commodity`` -> ``primary_co``): such a
column was no commodity column, so every copper and gold deposit of an MRDS or survey
Shapefile was a lithium positive, without a word. Read only in a name of that length."""

_ORE_MINERALS: dict[str, str] = {
    "spodumene": "lithium", "lepidolite": "lithium", "petalite": "lithium",
    "amblygonite": "lithium", "zinnwaldite": "lithium", "jadarite": "lithium",
    "hectorite": "lithium", "wolframite": "tungsten", "scheelite": "tungsten",
    "ferberite": "tungsten", "huebnerite": "tungsten", "hubnerite": "tungsten",
    "cassiterite": "tin", "columbite": "niobium", "pyrochlore": "niobium",
    "tantalite": "tantalum", "coltan": "tantalum", "monazite": "rare earths",
    "bastnaesite": "rare earths", "bastnasite": "rare earths", "bastnäsite": "rare earths",
    "xenotime": "rare earths", "pyrolusite": "manganese", "rhodochrosite": "manganese",
    "psilomelane": "manganese", "pentlandite": "nickel", "garnierite": "nickel",
    "stibnite": "antimony", "magnesite": "magnesium", "brucite": "magnesium",
    "vanadinite": "vanadium", "germanite": "germanium", "borax": "boron",
    "colemanite": "boron", "ulexite": "boron", "kernite": "boron", "borates": "boron",
    "sylvite": "potash", "carnallite": "potash", "beryl": "beryllium", "chromite": "chromium",
    "molybdenite": "molybdenum", "cinnabar": "mercury", "uraninite": "uranium",
    "pitchblende": "uranium", "sphalerite": "zinc", "galena": "lead",
    "chalcopyrite": "copper", "cobaltite": "cobalt", "celestine": "strontium",
    "celestite": "strontium", "ilmenite": "titanium", "rutile": "titanium",
    "zircon": "zirconium",
}
"""Ore minerals a commodity cell may name instead of their commodity."""

_DATABASE_NAMES: dict[str, str] = {
    "potassium": "potash", "fluorine": "fluorspar", "lithia": "lithium", "salt": "halite",
    "silica": "silica sand", "lignite": "coal", "anthracite": "coal",
    "columbium": "niobium", "rare earth": "rare earths", "rare earth element": "rare earths",
    "rare earth oxide": "rare earths", "rare earth oxides": "rare earths",
}
"""Names mineral databases give listed commodities in a commodity cell where the element
or rock is not the commodity's listed name (MRDS's ``Potassium`` for potash, ``Fluorine``
for fluorspar, ``Salt``, ``Silica``, ``Lignite``; older tables' ``Columbium`` for niobium,
``Rare Earth`` or ``Rare-earth`` for rare earths): a potash model refused an MRDS table of
``Potassium`` records as naming no potash, a niobium or rare-earth model one of
``Columbium`` or ``Rare Earth`` records; lignite was no coal. Read in commodity cells only
(``model.mineral`` is checked against the listed names)."""

_RARE_EARTH = re.compile(r"(?<![^\W\d_])rare[\s_-]*earth", re.IGNORECASE)
"""Rare earths in a cell's words (``Rare Earth``, ``rare-earth pegmatite``)."""

_ADJECTIVES: dict[str, str] = {
    "auriferous": "gold", "argentiferous": "silver", "argentian": "silver",
    "cupriferous": "copper", "cuprian": "copper", "stanniferous": "tin", "stannian": "tin",
    "plumbiferous": "lead", "ferriferous": "iron", "ferruginous": "iron",
    "manganiferous": "manganese", "manganoan": "manganese", "nickeliferous": "nickel",
    "cobaltiferous": "cobalt", "cobaltoan": "cobalt", "zinciferous": "zinc",
    "zincian": "zinc", "titaniferous": "titanium", "vanadiferous": "vanadium",
    "uraniferous": "uranium", "thoriferous": "thorium", "lithian": "lithium",
    "lithiferous": "lithium", "tungstiferous": "tungsten", "wolframiferous": "tungsten",
    "molybdeniferous": "molybdenum", "chromiferous": "chromium", "bismuthiferous": "bismuth",
    "beryllian": "beryllium", "cesian": "caesium", "caesian": "caesium",
    "rubidian": "rubidium", "tantalian": "tantalum", "niobian": "niobium",
    "germaniferous": "germanium", "boriferous": "boron", "baritic": "baryte",
    "fluoritic": "fluorspar", "phosphatic": "phosphate rock",
}
"""A metal written as the adjective of its ore (``Argentiferous galena``: silver-bearing
lead ore, read as lead alone and left out of a silver model; ``Vanadiferous magnetite``,
``Lithian mica``: no commodity known)."""

_OTHER_COMMODITIES: dict[str, str] = {
    "gravel": "sand and gravel", "aggregate": "sand and gravel",
    "aggregates": "sand and gravel", "stone": "stone", "marble": "stone",
    "granite": "stone", "slate": "stone", "sandstone": "stone", "basalt": "stone",
    "limestone": "limestone", "dolomite": "dolomite", "lime": "lime", "cement": "cement",
    "clay": "clay", "clays": "clay", "bentonite": "clay", "oil": "oil and gas",
    "petroleum": "oil and gas", "gas": "oil and gas", "bitumen": "oil and gas",
    "peat": "peat", "geothermal": "geothermal", "gemstone": "gemstones",
    "gemstones": "gemstones", "gem": "gemstones", "gems": "gemstones", "mica": "mica",
    "talc": "talc", "soapstone": "talc", "asbestos": "asbestos",
    "vermiculite": "vermiculite", "perlite": "perlite", "pumice": "pumice",
    "diatomite": "diatomite", "zeolite": "zeolites", "zeolites": "zeolites",
    "sodium": "soda ash", "soda": "soda ash", "trona": "soda ash", "garnet": "garnet",
    "kyanite": "kyanite", "wollastonite": "wollastonite", "olivine": "olivine",
}
"""Commodities Prospect does not list (no model prospects for them) that mineral databases
record, as whole words of a commodity cell: MRDS's ``Sand and Gravel, Construction``,
``Stone, Crushed/Broken``, ``Clay``, ``Petroleum``, ``Gas, Natural``, ``Geothermal``
named no commodity known, so its records were kept as occurrences of any model's mineral,
and a county's extract where they were most records was not read as naming commodities
at all (every record a positive, without a word). ``sand`` alone is not one (``mineral
sands`` are titanium's and zirconium's)."""


_PARTNER_NAMES: dict[str, str] = {
    "than chì": "graphite", "bô xít": "bauxite", "bôxit": "bauxite", "boxit": "bauxite",
    "thủy ngân": "mercury", "thuỷ ngân": "mercury", "gali": "gallium", "gecmani": "germanium",
    "molipđen": "molybdenum", "apatit": "phosphate rock", "cromit": "chromium",
    "ilmenit": "titanium", "rutil": "titanium", "monazit": "rare earths",
    "xenotim": "rare earths", "spodumen": "lithium", "lepidolit": "lithium",
    "lepidolith": "lithium", "wolframit": "tungsten", "scheelit": "tungsten",
    "kassiterit": "tin", "casiterit": "tin", "columbit": "niobium", "pyrochlor": "niobium",
    "tantalit": "tantalum", "bastnäsit": "rare earths", "stibnit": "antimony",
}
"""Names in the partners' and surveys' languages that a commodity cell gives and
:mod:`prospect.config.commodities` does not list: Vietnamese ``than chì`` (graphite; its
word ``chì`` alone is lead, so a graphite occurrence was read as lead), ``bô xít``
(bauxite, the Central Highlands' gallium), ``thủy ngân``, ``gali``, and ore minerals as
German, Dutch and Vietnamese spell them (``Spodumen``, ``Wolframit``, ``Kassiterit``):
each named no commodity, so a model of another kept the record as its occurrence."""


def _folded(text: str) -> str:
    """``text`` without its diacritics (``Wolfrâmio`` -> ``Wolframio``, ``Lítio`` ->
    ``Litio``; Vietnamese ``đ`` as ``d``: ``Đồng`` -> ``Dong``)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


@functools.cache
def _folded_names() -> dict[str, str]:
    """Every name a commodity cell may give (listed names and symbols' names, the other
    languages' names, ore minerals, databases' names, adjectives, unlisted commodities),
    without its diacritics (:func:`_folded`), and its commodity. A name written with other
    marks than the table's, or none (``Wolfrâmio`` for ``wolframio``, ``Tungstenio`` for
    ``tungstênio``, ``Thiec`` for ``thiếc`` from a partner's export in plain letters), named
    no commodity: a tungsten model kept a record of ``Wolfrâmio`` as naming none (a
    lithium model kept it as a lithium occurrence). No two names fold to one another's
    commodity (checked here: a name that would is left out)."""
    from prospect.config.commodities import _ALIASES, COMMODITIES

    out: dict[str, str] = {}
    clash: set[str] = set()
    for table in ({c: c for c in COMMODITIES}, _ALIASES, _PARTNER_NAMES, _ORE_MINERALS,
                  _DATABASE_NAMES, _ADJECTIVES, _OTHER_COMMODITIES):
        for name, commodity in table.items():
            key = " ".join(_folded(name).lower().replace("_", " ").replace("-", " ").split())
            if out.setdefault(key, commodity) != commodity:
                clash.add(key)
    return {k: v for k, v in out.items() if k not in clash}


def _named_in_any_marks(text: str) -> str | None:
    """The commodity a name (a cell's part or word) gives, read without diacritics
    (:func:`_folded_names`), or ``None``."""
    key = " ".join(_folded(text).lower().replace("_", " ").replace("-", " ").split())
    return _folded_names().get(key)


def _word_commodity(word: str) -> str | None:
    """The commodity one lower-case word of a commodity cell names, listed or not (a
    plural ``s`` dropped past three letters, so ``gas`` is no gallium), in any marks
    (:func:`_named_in_any_marks`)."""
    from prospect.config.commodities import commodity_name

    for each in (word, word[:-1] if len(word) > 3 and word.endswith("s") else None):
        if each is None:
            continue
        found = (commodity_name(each) or _ORE_MINERALS.get(each) or _DATABASE_NAMES.get(each)
                 or _ADJECTIVES.get(each) or _OTHER_COMMODITIES.get(each))
        if found is not None:
            return found
    for each in (word, word[:-1] if len(word) > 3 and word.endswith("s") else None):
        if each is not None and (found := _named_in_any_marks(each)) is not None:
            return found
    return None


_PARTNER_PHRASES = re.compile(
    r"(?<![^\W\d_])(?:" + "|".join(sorted(
        (re.escape(_folded(n)).replace(r"\ ", r"[\s_-]+") for n in _PARTNER_NAMES if " " in n),
        key=len, reverse=True)) + r")(?![^\W\d_])", re.IGNORECASE)
"""A name of several words of :data:`_PARTNER_NAMES` in a cell's part, read without its
diacritics (``quặng than chì``: graphite ore, whose ``chì`` alone is lead)."""


_MINERAL_SANDS = re.compile(
    r"(?<![^\W\d_])(?:heavy[\s_-]+)?minerals?[\s_-]+sands?(?![^\W\d_])", re.IGNORECASE)
"""Heavy mineral sands in a cell's words (``Heavy mineral sands``, ``Mineral sand``): the
ilmenite, rutile and zircon of beach placers, titanium and zirconium. They named no
commodity, so such records were kept as occurrences of any model's mineral."""

_COLUMBIUM = re.compile(r"(?<![^\W\d_])Cb(?![^\W\d_])")
"""``Cb``, columbium's symbol (niobium's, in older US tables: ``Cb-Ta`` for columbite-
tantalite), read as ``Nb``: ``Cb-Ta`` was tantalum alone, left out of a niobium model as
another commodity's, and ``Cb`` named nothing."""

_SYMBOL_CHAIN = re.compile(r"(?<![\w-])[A-Z][a-z]?(?:-[A-Z][a-z]?)+(?![\w-])")
"""Chemical symbols in symbol case joined by hyphens (``Sn-W``, ``Li-B``, ``Cu-Au-Ag``)."""


_TRACE_MARK = r"(?:tr\.?|traces?|minor\s+traces?)"
_CELL_TRACE = re.compile(
    rf"\(\s*{_TRACE_MARK}(?:\s+of)?\s+([^()]+?)\s*\)"
    rf"|\(\s*([^()]+?)\s+{_TRACE_MARK}\s*\)"
    rf"|([^;,/&+|()]+?)\s*\(\s*(?:as\s+|in\s+)?{_TRACE_MARK}\s*\)"
    rf"|(?:(?<=[;,/&+|])|^)\s*{_TRACE_MARK}(?:\s+of)?\s+([^;,/&+|()]+)",
    re.IGNORECASE)
"""A commodity cell's mention of a trace commodity (``'Cu, Au (tr. Li)'``, ``'Cu (Li
traces)'``, ``'Cu; Li (trace)'``, ``'Cu, Au, traces of Li'``, ``'trace Li'``): read as the
deposit's own, so a copper mine with lithium traces was a lithium positive, without a
word (round 46 reads a trace column, ``commod3``, so; a trace written in the cell was
not)."""

_NEGATED = re.compile(
    r"(?<![^\W\d_])(?:no|not|without|geen|kein|keine|sans)\s+([^\W\d_][\w-]*)"
    r"|(?<![^\W\d_])([^\W\d_][\w-]*)\s+(?:absent|not\s+(?:found|present|detected))"
    r"(?![^\W\d_])", re.IGNORECASE)
"""A commodity a cell says is not there (``'Cu (no Li)'``, ``'not Li'``, ``'Li absent'``,
``'without Sn'``, Dutch ``'geen Li'``): it was read as named, so a record saying it holds
no lithium was a lithium positive."""


_DOUBT_WORDS = (r"possible|possibly|probable|probably|potential|suspected|presumed|"
                r"unconfirmed|uncertain|unverified|questionable|doubtful|speculative|"
                r"unlikely|likely|maybe|perhaps|poss\.?|prob\.?|"
                r"mogelijk|waarschijnlijk|vermoedelijk|onzeker|vermutet|vermutlich|"
                r"wahrscheinlich|fraglich|m[oö]glich|posible|probablement|"
                r"dudoso|incierto|incertain")
_DOUBTED = re.compile(
    rf"(?<![^\W\d_])(?:{_DOUBT_WORDS})\s+([^\W\d_][\w-]*)"
    rf"|([^;,/&+|()]+?)\s*\(\s*(?:{_DOUBT_WORDS}|\?+)\s*\)"
    rf"|([^;,/&+|()?]+?)\s*[-\u2013:]\s*(?:{_DOUBT_WORDS})(?![^\W\d_])"
    rf"|([^;,/&+|()?]+?)\s*(?:[,;]\s*|\s+)(?:{_DOUBT_WORDS})(?![^\W\d_])"
    r"(?=\s*(?:$|[;,/&+|]))"
    r"|([^\W\d_][\w-]*)\s*\?+|\?+\s*([^\W\d_][\w-]*)", re.IGNORECASE)
"""A commodity a cell says is not certain (``'Li?'``, ``'?Li'``, ``'possible Li'``,
``'probable lithium'``, ``'Li (possible)'``, ``'Li (?)'``, ``'Li - unconfirmed'``,
``'suspected Li'``; Dutch ``'mogelijk Li'``, German ``'Li (vermutet)'``, Spanish ``'posible
litio'`` too): it was read as named, so a copper mine where lithium was only suspected was
a lithium positive, a label from a doubt (round 50). A doubt written after its commodity
as a part of its own or a word after it (``'Li, possibly'``, ``'Cu, Li, poss.'``, ``'Li
probable'``, ``'Lithium; maybe'``), and the short or other words for one (``poss.``,
``prob.``, ``likely``, ``maybe``, Dutch ``vermoedelijk``, German ``wahrscheinlich``), were
read as naming lithium (round 51). :func:`_own_and_trace` leaves it out of the deposit's
own commodities; :func:`_other_commodity` leaves such records out of the labels."""


def _own_and_trace(cell: Any) -> tuple[set[str], set[str]]:
    """The commodities a commodity cell names as the deposit's own, and those it names only
    as traces (:data:`_CELL_TRACE`) or with a doubt (:data:`_DOUBTED`), each as
    :func:`_commodities` reads them."""
    if not isinstance(cell, str) or not (_CELL_TRACE.search(cell) or _DOUBTED.search(cell)):
        return _commodities(cell), set()
    others: list[str] = []

    def taken(match: re.Match[str]) -> str:
        others.append(next(g for g in match.groups() if g))
        return " "

    own = _commodities(_CELL_TRACE.sub(taken, _DOUBTED.sub(taken, _NEGATED.sub(" ", cell))))
    return own, _commodities("; ".join(others)) - own


def _doubted(cell: Any) -> set[str]:
    """The commodities a commodity cell names only with a doubt (:data:`_DOUBTED`:
    ``'Cu, Li?'`` -> lithium)."""
    if not isinstance(cell, str) or not _DOUBTED.search(cell):
        return set()
    found = [next(g for g in m.groups() if g) for m in _DOUBTED.finditer(
        _NEGATED.sub(" ", cell))]
    return _commodities("; ".join(found)) - _own_and_trace(cell)[0]


def _commodities(cell: Any) -> set[str]:
    """:func:`_cell_commodities` of ``cell``, each cell's text read once (a table of 200 000
    records names a few hundred commodity cells: read record by record, that took half of
    the 55 s its labels took)."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return set()
    return set(_cell_commodities(str(cell)))


@functools.lru_cache(maxsize=65536)
def _cell_commodities(cell: str) -> frozenset[str]:
    """The commodities a commodity cell names (``'lithium; bromine'``, ``'Li, B'``,
    ``'LITHIUM '``, ``'spodumene'``, ``'lithium carbonate'``), in their listed names, and
    the symbols among its words (:func:`~prospect.config.commodities.symbols_named`:
    ``'Sn-W (Li)'`` was tin alone, so a lithium or tungsten model left it out as "another
    commodity"; ``'Ge in sphalerite'`` was zinc alone, and ``'Cu Zn Pb'`` none, kept as a
    lithium occurrence). A deposit type's acronym names its commodities (``'LCT
    pegmatite'``: lithium, caesium, tantalum), and a cell saying its commodity is not
    determined (``ND``, ``n.d.``) none (it was neodymium)."""
    from prospect.config.commodities import (
        commodity_name,
        deposit_types_named,
        not_determined,
        symbols_named,
    )

    if not_determined(cell):
        return frozenset()
    out: set[str] = set()
    for part in re.split(r"[;,/&+|]|\band\b", _NEGATED.sub(" ", cell)):
        part = _COLUMBIUM.sub("Nb", part.strip())
        if not part or not_determined(part):
            continue
        whole = (commodity_name(part) or _ORE_MINERALS.get(part.lower())
                 or _DATABASE_NAMES.get(" ".join(re.split(r"[\s_-]+", part.lower())))
                 or _named_in_any_marks(part))
        if whole is not None:
            out.add(whole)
            continue
        named: set[str] = set()  # (this part's: 'W-Sn, Li-Ta' lost its Li-Ta after W-Sn)
        if _PARTNER_PHRASES.search(_folded(part)):  # ('quặng than chì': graphite, not lead)
            for phrase in _PARTNER_PHRASES.findall(_folded(part)):
                named.add(_named_in_any_marks(phrase) or "")
            named.discard("")
            part = _PARTNER_PHRASES.sub(" ", _folded(part))
        # names of three letters too ('tin-tungsten' was tungsten alone, so a tin model left
        # it out as another commodity's); no symbols of two: 'of', 'as'
        # and commodities Prospect does not list ('Sand and Gravel', 'Petroleum', 'Clay':
        # kept as occurrences of any model's mineral) and metals written as adjectives
        for word in re.findall(r"[^\W\d_]{3,}", part.lower()):
            found = _word_commodity(word)
            if found is not None:
                named.add(found)
        if _RARE_EARTH.search(part):
            named.add("rare earths")
        if _MINERAL_SANDS.search(part):
            named.update(("titanium", "zirconium"))
        if "-" in part and not named:  # symbols joined by hyphens (MRDS's 'Li-Be-Ta')
            named.update(c for c in map(commodity_name, part.split("-")) if c is not None)
        # symbols in symbol case joined by hyphens, one letter too ('Sn-W greisen' was tin
        # alone, 'Li-B brine' lithium alone: a tungsten or boron model left them out)
        for chain in _SYMBOL_CHAIN.findall(part):
            named.update(c for c in map(commodity_name, chain.split("-")) if c is not None)
        out |= named | symbols_named(part) | deposit_types_named(part)
    return frozenset(out)


def commodity_column(frame: pd.DataFrame) -> str | None:
    """The column of ``frame`` naming each record's commodity: named so
    (:data:`_COMMODITY_COLUMN`) and with a known commodity in most of its filled cells;
    ``None`` when there is none (or more than one: :func:`commodity_columns` gives them)."""
    found = commodity_columns(frame)
    return found[0] if len(found) == 1 else None


def commodity_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` naming each record's commodities (:func:`commodity_column`'s
    rule): MRDS's ``commod1``, ``commod2`` and ``commod3`` (the primary, secondary and
    tertiary commodities), or ``main_commodity`` beside ``other_commodities``."""
    found = []
    for name in frame.columns:
        if not isinstance(name, str):
            continue
        plain = _plain_name(name)
        cut = len(name) == _DBF_NAME_CHARS and bool(_TRUNCATED_COMMODITY.fullmatch(plain))
        if not (_COMMODITY_COLUMN.fullmatch(plain) or cut):
            continue
        cells = frame[name]
        if pd.api.types.is_numeric_dtype(cells.dtype):
            continue
        filled = [c for c in cells.tolist() if isinstance(c, str) and c.strip()]
        named = sum(bool(_commodities(c)) for c in filled[:2000])
        if filled and named >= 0.5 * min(len(filled), 2000):
            found.append(name)
    return found


def _other_commodity(gdf: pd.DataFrame, path: Path, mineral: str | None,
                     value_column: str | None, numbers: np.ndarray, what: str) -> np.ndarray:
    """Which records name only other commodities than ``mineral`` in the table's commodity
    column (left out of the labels, with a warning); with no ``mineral``, none, and a
    column naming several commodities is warned of. A table graded by a ``value_column``
    labels by grade: its commodity column is not read. Every record of a table of lithium
    and bromine sites was a lithium occurrence (the real USGS lithium database's
    ``Loc_Pt`` table: 27 of 61 features name bromine, boron or salt only), without a word.

    Raises
    ------
    DataError
        No record names ``mineral``.
    """
    from prospect.config.commodities import _RELATED as related
    from prospect.config.commodities import commodity_name

    out = np.zeros(len(gdf), bool)
    found = commodity_columns(gdf) if value_column is None and len(gdf) else []
    if not found:
        return out
    # several commodity columns (MRDS's commod1, commod2, commod3) are read together: a
    # record names what any of them names (with more than one, none was read, and every
    # copper and gold record of a lithium model was a positive, without a word)
    column = repr(found[0]) if len(found) == 1 else " or ".join(map(repr, found))
    columns = f"column {column}" if len(found) == 1 else f"columns {', '.join(map(repr, found))}"
    cells_of = list(gdf[found[0]].tolist()) if len(found) == 1 else [
        "; ".join(str(c).strip() for c in row if isinstance(c, str) and c.strip()) or None
        for row in zip(*(gdf[c].tolist() for c in found), strict=True)]
    named = [_commodities(c) for c in cells_of]
    counts = Counter(c for cells in named for c in cells)
    meant = commodity_name(mineral) if mineral else None
    # MRDS's commod3 lists a deposit's trace commodities: a copper mine naming lithium
    # only there was a lithium positive, without a word; read beside a major column only
    trace = [c for c in found if _TRACE_COLUMN.fullmatch(_plain_name(c))]
    major = [c for c in found if c not in trace]
    shown = ", ".join(f"{c} {n}" for c, n in counts.most_common(6)) + (
        ", ..." if len(counts) > 6 else "")
    if trace and not major and meant is not None:
        # (read as the deposits' own, a copper mine with lithium traces was a positive;
        # not read at all, every copper and gold record was one, without a word)
        raise DataError(
            f"{path}: the table's only commodity {columns} "
            f"list{'s' if len(found) == 1 else ''} each deposit's trace commodities "
            f"({shown} records), not its own, so no record can be labelled an "
            f"occurrence of {meant} by {'it' if len(found) == 1 else 'them'}; add a column "
            f"of the deposits' major commodities (e.g. 'commodity'), or, if {column} gives "
            "the deposits' own commodities, rename it (e.g. to 'commodities')")
    if not (trace and major):
        trace, major = [], found
    # a trace written in a cell ('Cu, Au (tr. Li)') is read as a trace column is (each
    # cell once: a national MRDS extract repeats a few hundred of them)
    own = {cell: _own_and_trace(cell)[0] for c in major for cell in
           {v for v in gdf[c].tolist() if isinstance(v, str)}}
    majors = [set().union(*(own.get(c, set()) for c in row))
              for row in zip(*(gdf[c].tolist() for c in major), strict=True)]
    if meant is None:
        if len(counts) > 1 and any(len(cells) and not cells & {counts.most_common(1)[0][0]}
                                   for cells in named):
            warnings.warn(DataWarning(
                f"{path}: {columns} name{'s' if len(found) == 1 else ''} several commodities "
                f"({shown} records), and "
                "every record is read as an occurrence of the model's mineral; keep only "
                "the records of that commodity (e.g. ogr2ogr -where, or a filtered copy)"),
                stacklevel=3)
        return out
    kin = {meant}.union(*(g for g in related if meant in g))
    out = np.array([bool(cells) and not cells & kin for cells in named])
    only_trace = np.array([bool(cells & kin) and not first & kin
                           for cells, first in zip(named, majors, strict=True)])
    spellings = sorted({part.strip() for c, first in zip(cells_of, majors, strict=True)
                        if first & kin
                        for part in re.split(r"[;,/&+|]|\band\b", str(c))
                        if _commodities(part) & kin}, key=str.lower)
    # a cell naming no commodity known ('LCT pegmatite') may be of the mineral: kept, said
    unnamed = sorted({str(c).strip() for c, cells in zip(cells_of, named, strict=True)
                      if not cells and isinstance(c, str) and c.strip()})
    if not any(cells & kin for cells in named):
        raise DataError(
            f"{path}: no record's {column} names {meant} (it names {shown or 'nothing known'}"
            f"): the table holds occurrences of other commodities; give a table of {meant} "
            "occurrences, or set model.mineral to the commodity of these")
    # a cell naming the mineral only with a doubt ('Li?', 'possible Li'): no positive
    doubt = {cell: _doubted(cell) & kin for c in major for cell in
             {v for v in gdf[c].tolist() if isinstance(v, str)}}
    only_doubt = only_trace & np.array(
        [any(doubt.get(v) for v in row) for row in zip(*(gdf[c].tolist() for c in major),
                                                        strict=True)], dtype=bool)
    only_trace &= ~only_doubt
    if only_doubt.any():
        _warn_doubted(gdf, path, major, only_doubt, doubt, meant,
                      refuse=not any(first & kin for first in majors), numbers=numbers,
                      what=what)
    marked = sorted({str(v).strip() for i in np.flatnonzero(only_trace) for v in
                     (gdf[c].iloc[i] for c in major)
                     if isinstance(v, str) and _own_and_trace(v)[1] & kin}, key=str.lower)
    traced = " or ".join([repr(c) for c in trace] + (
        [f"their cells ({', '.join(map(repr, marked[:3]))}"
         f"{', ...' if len(marked) > 3 else ''})"] if marked else []))
    keep = "to label them too, " + " and ".join(
        ([f"rename {' or '.join(map(repr, trace))} (e.g. to 'other_commodities') so that it "
          "is read as the deposits' own commodities"] if trace else [])
        + ([f"write {meant} in its cell without the trace mark (e.g. 'Cu, Au, Li')"]
           if marked else []))
    if only_trace.any() and not any(first & kin for first in majors):
        raise DataError(
            f"{path}: every record naming {meant} names it only as a trace commodity in "
            f"{traced} ({only_trace.sum()} record(s); the deposits' major and minor "
            f"commodities in {', '.join(map(repr, major))} are others): no {meant} "
            f"occurrence is left to train on; give a table of {meant} occurrences, or "
            f"{keep}")
    if only_trace.any():
        at = np.flatnonzero(only_trace)
        firsts = Counter(c for i in at for c in majors[i])
        warnings.warn(DataWarning(
            f"{path}: {at.size} of {len(gdf)} record(s) name {meant} only as a trace "
            f"commodity in {traced} (their major and minor commodities in "
            f"{', '.join(map(repr, major))}: "
            f"{', '.join(f'{c} {n}' for c, n in firsts.most_common(4)) or 'none known'}; "
            f"{what}{'s' if at.size > 1 else ''} "
            f"{', '.join(str(int(numbers[i])) for i in at[:5])}"
            f"{', ...' if at.size > 5 else ''}) and are left out of the labels; {keep}"),
            stacklevel=3)
    if out.any():
        at = np.flatnonzero(out)
        others = Counter(c for i in at for c in named[i])
        said = ", ".join(f"{c} {n}" for c, n in others.most_common(5)) or "none known"
        warnings.warn(DataWarning(
            f"{path}: {at.size} of {len(gdf)} record(s) name only other commodities than "
            f"{meant} in {columns} ({said}; {what}{'s' if at.size > 1 else ''} "
            f"{', '.join(str(int(numbers[i])) for i in at[:5])}{', ...' if at.size > 5 else ''}"
            f") and are left out of the labels; read as {meant}: "
            f"{', '.join(repr(v) for v in spellings[:6])}{', ...' if len(spellings) > 6 else ''}"
            + (f"; kept, naming no commodity known: {', '.join(map(repr, unnamed[:4]))}"
               if unnamed else "")
            + "; to label them too, set model.mineral to their commodity or give a table "
            "without them"), stacklevel=3)
    elif unnamed:  # (said above only beside records left out: kept without a word)
        at = np.flatnonzero([not cells and isinstance(c, str) and bool(c.strip())
                             for c, cells in zip(cells_of, named, strict=True)])
        warnings.warn(DataWarning(
            f"{path}: {at.size} of {len(gdf)} record(s) name no commodity known in "
            f"{columns} ({', '.join(map(repr, unnamed[:4]))}{', ...' if len(unnamed) > 4 else ''}"
            f"; {what}{'s' if at.size > 1 else ''} "
            f"{', '.join(str(int(numbers[i])) for i in at[:5])}{', ...' if at.size > 5 else ''}"
            f") and are kept as {meant} occurrences beside the records naming {meant}; if "
            f"they are not {meant}'s, write their commodity in the cell or give a table "
            "without them"), stacklevel=3)
    return out | only_trace | only_doubt


def _warn_doubted(gdf: pd.DataFrame, path: Path, major: list[str], rows: np.ndarray,
                  doubt: dict[str, set[str]], meant: str, *, refuse: bool,
                  numbers: np.ndarray, what: str) -> None:
    """Say the records (``rows``) whose commodity cells name ``meant`` only with a doubt
    (:data:`_DOUBTED`: ``'Li?'``, ``'possible Li'``), left out of the labels, naming the
    cells and the lines; refuse the table where no other record names it (``refuse``).

    Raises
    ------
    DataError
        Every record naming ``meant`` names it only with a doubt.
    """
    at = np.flatnonzero(rows)
    cells = sorted({str(v).strip() for i in at for v in (gdf[c].iloc[i] for c in major)
                    if isinstance(v, str) and doubt.get(v)}, key=str.lower)
    shown = ", ".join(map(repr, cells[:4])) + (", ..." if len(cells) > 4 else "")
    lines = (f"{what}{'s' if at.size > 1 else ''} "
             f"{', '.join(str(int(numbers[i])) for i in at[:5])}"
             f"{', ...' if at.size > 5 else ''}")
    where = " or ".join(map(repr, major))
    fix = (f"write {meant} in its cell without the doubt (e.g. 'Li' for 'Li?') once it is "
           "confirmed")
    if refuse:
        raise DataError(
            f"{path}: every record naming {meant} names it only with a doubt in {where} "
            f"({at.size} record(s): {shown}; {lines}): no {meant} occurrence is "
            f"left to train on; give a table of confirmed {meant} occurrences, or {fix}")
    warnings.warn(DataWarning(
        f"{path}: {at.size} of {len(gdf)} record(s) name {meant} only with a doubt in "
        f"{where} ({shown}; {lines}) and are left out of the labels, neither occurrences "
        f"nor barren sites: a suspected {meant} deposit is no label; to label them, {fix}"),
        stacklevel=4)


_TRACE_COLUMN = re.compile(
    r"(?:commod(?:ity|ities|s)?_?3|(?:trace|tertiary|third)_?\w*"
    r"|[^\W_]\w*_(?:trace|tertiary|third))")
"""Names of a commodity column listing each deposit's trace commodities (USGS MRDS's
``commod3``, ``tertiary_commodity``, ``third_commodity``, ``Commodities (trace)``), read in
:func:`_plain_name` beside a column of its major ones."""

_STATUS_PREFIX = (r"dev(?:elopment)?|deposit|occurrence|occ|site|prospect|exploration|mine|"
                  r"mineral|mineralis?z?ation|drill(?:ing)?|hole|result|economic")
_STATUS_COLUMN = re.compile(
    rf"(?:(?:{_STATUS_PREFIX})_?)?(?:stat(?:us|e)?|result|outcome)|(?:{_STATUS_PREFIX})_?stage"
    r"|statut|r[ée]sultat|estado|resultado|situa[cç][aã]o|toestand|resultaat|zustand|"
    r"ergebnis|tr[aạ]ng_th[aá]i", re.IGNORECASE)
"""Names of a column saying each occurrence's status (USGS MRDS ``dev_stat``, ``Status``,
``Deposit status``, ``development_status``, a drilling table's ``result``), read in
:func:`_plain_name`; and in the partners' and surveys' languages, whose barren words
:data:`_BARREN` reads (French ``Statut``, ``Résultat``, Spanish and Portuguese ``Estado``,
``Resultado``, ``Situação``, Dutch ``Toestand``, ``Resultaat``, German ``Zustand``,
``Ergebnis``, Vietnamese ``Trạng thái``: their ``Stérile``, ``Steriel``, ``Taub`` sites were
positives, without a word); a stage after its word (``development_stage``, ``Deposit
stage``, ``dev_stage``: a stage alone may be a well's or a rock's) too (round 50)."""
_TRUNCATED_STATUS = re.compile(rf"(?:{_STATUS_PREFIX})_?st(?:a(?:t(?:u)?)?)?|developmen",
                               re.IGNORECASE)
"""A status column's name as a Shapefile cuts it to :data:`_DBF_NAME_CHARS` characters
(``deposit_status`` and ``deposit_stage`` -> ``deposit_st``, ``mineral_status`` ->
``mineral_st``; ``development_status`` and ``development_stage`` -> ``developmen``, read
since round 50): its barren sites were
positives, without a word. Read only in a name of that length."""

_BARREN = re.compile(
    r"\b(?:barren|sterile|steriel|st[eé]ril[e]?|est[eé]ril|taub|unmineral\w*|unvererzt|"
    r"non-?mineral\w*|non[-\s]?(?:deposit|occurrence)|dry\s+(?:hole|well)|"
    r"no\s+(?:significant\s+|economic\s+)?(?:mineral\w*|ore|values?|occurrence|results?|"
    r"assays?|intersections?|intercepts?)|not?\s+(?:an?\s+)?(?:deposit|occurrence)|"
    r"not\s+mineral\w*|negative|ns[rai]|geen\s+(?:mineralisatie|erts)|"
    r"pas\s+de\s+min[ée]rali[sz]ation|non\s+min[ée]rali[sz][ée]e?|"
    r"sin\s+mineralizaci[oó]n|sem\s+mineraliza[cç][aã]o|"
    r"kh[oô]ng\s+(?:c[oó]\s+)?(?:kho[aá]ng\s+h(?:[oó]a|o[aá])|qu[aặ]ng)|"
    r"keine\s+(?:vererzung|mineralisation|mineralisierung)|"
    r"nicht\s+vererzt)\b|\A\s*(?:absent|dry|nil)\s*\Z", re.IGNORECASE)
"""Words of a status cell saying a site holds nothing (``Barren``, ``Drilled - no
mineralization``, ``not mineralised``, ``dry hole``, ``negative``, ``Not a deposit``,
``Non-deposit``, a drilling database's ``NSR``/``NSA``/``NSI`` and ``No significant
results``, a cell of ``absent``, ``dry`` or ``nil`` alone; Dutch ``steriel``, ``geen
mineralisatie``, French ``stérile``, ``pas de minéralisation``, Spanish ``estéril``, ``sin
mineralización``, Portuguese ``sem mineralização``, Vietnamese ``không khoáng hóa``,
``không quặng``, German ``taub``, ``keine Vererzung``)."""


_PROCESSING = re.compile(
    r"\A\s*(?:(?:ore|mineral|processing|treatment|beneficiation|concentrat\w*|flotation|"
    r"leach(?:ing)?|refining|smelting|milling)\s+)?(?:plant|smelter|refinery|mill|"
    r"concentrator|processing(?:\s+(?:facility|site))?|roaster)s?\s*\Z",
    re.IGNORECASE)
"""A status cell saying a site is where ore was treated, not found: USGS MRDS's ``dev_stat``
of ``Plant``, and ``Smelter``, ``Refinery``, ``Mill``, ``Processing plant``,
``Concentrator`` (a whole cell: ``Past producer``, ``Plant site`` of a deposit's own
name stay deposits; tailings, at the mine, are not read here)."""


_PROBABILITY_NAME = re.compile(
    r"(?:[a-z0-9]+_)?(?:prob|probability|probabilities|likelihood|confidence|certainty|"
    r"posterior|favou?rability|kans|waarschijnlijkheid|wahrscheinlichkeit|probabilit[eé]|"
    r"probabilidad|probabilidade)(?:_[a-z0-9]+)*")
"""Plain names (:func:`_plain_name`) of a label column of probabilities (``prob``,
``deposit_prob``, ``Li probability``, ``confidence``; Dutch ``kans``, German
``Wahrscheinlichkeit``): an expert's or another model's share from 0 to 1."""


def probability_column(column: str, values: np.ndarray) -> tuple[str, float] | None:
    """What a ``value_column`` of probabilities holds, as words for a refusal (``"8
    records from 0.1 to 0.9, 4 below 0.5"``), and the even odds in its scale (``0.5``, or
    ``50`` for percentages), where it is named as one (:data:`_PROBABILITY_NAME`) and every
    value lies from 0 to 1 (or 0 to 100) with one between; ``None`` otherwise (a grade in
    %, 0.3 to 0.9 % Li2O, is a grade). Without a threshold every record was a positive,
    those of 0.1 (or 10 %) too, without a word (round 53)."""
    given = values[np.isfinite(values)]
    named = re.sub(r"[^a-z0-9]+", "_", _plain_name(column)).strip("_")  # ('prob (%)')
    if not given.size or not _PROBABILITY_NAME.fullmatch(named) or \
            (given < 0).any() or (given > 100).any():
        return None
    top = 1.0 if (given <= 1).all() else 100.0
    if not ((given > 0) & (given < top)).any():
        return None
    even = top / 2
    low = int((given < even).sum())
    unit = " %" if top > 1 else ""
    return (f"{given.size} record(s) from {given.min():g} to {given.max():g}{unit}"
            + (f", {low} below {even:g}{unit}" if low else "")), even


def _plain_name(name: Any) -> str:
    """A column name in lower case with its spaces, dots, hyphens and brackets as ``_``."""
    return re.sub(r"[\s.\-/()\[\]]+", "_", str(name).strip(" *")).strip("_").lower()


def barren_records(gdf: pd.DataFrame, path: Path, value_column: str | None,
                   numbers: np.ndarray, what: str,
                   others: np.ndarray | None = None) -> np.ndarray:
    """Which records a status column says are barren (left out of the labels, warned of).

    An occurrence table without a ``value_column`` makes every record a positive; a
    table that keeps its drilled-barren sites beside the producers and prospects
    (``status``: ``Past producer``, ``Prospect``, ``Showing``, ``Barren``) trained on
    the barren sites as occurrences, without a word. A table graded by a
    ``value_column`` labels by grade: its status column is not read.

    Parameters
    ----------
    gdf
        The records as read.
    path
        The table (for messages).
    value_column
        The labels' grade column, if any.
    numbers, what
        Each record's number as the file counts it, and what it counts (``line``).
    others
        The records left out of the labels otherwise (another commodity's), which no
        barren record is said to contradict (:func:`_warn_barren_at_occurrences`).

    Returns
    -------
    numpy.ndarray
        True for each record whose status cell says barren (:data:`_BARREN`).

    Raises
    ------
    DataError
        Every record with a status is barren: no occurrence is left to train on.
    """
    out = np.zeros(len(gdf), bool)
    if value_column is not None or not len(gdf):
        return out
    columns = [c for c in gdf.columns if isinstance(c, str) and (
               _STATUS_COLUMN.fullmatch(_plain_name(c)) or (
                   len(c) == _DBF_NAME_CHARS and _TRUNCATED_STATUS.fullmatch(_plain_name(c))))
               and not pd.api.types.is_numeric_dtype(gdf[c].dtype)]
    plants = np.zeros(len(gdf), bool)
    for column in columns:
        cells = gdf[column].tolist()
        out |= np.array([isinstance(c, str) and bool(_BARREN.search(c)) for c in cells])
        plants |= np.array([isinstance(c, str) and bool(_PROCESSING.fullmatch(c))
                            for c in cells])
    plants &= ~out
    if plants.any():
        _warn_processing_sites(gdf, path, columns, plants, out, numbers, what)
    if not out.any():
        return plants
    said = sorted({str(c).strip() for column in columns for c, b in
                   zip(gdf[column].tolist(), out, strict=True) if b}, key=str.lower)
    where = " or ".join(repr(c) for c in columns)
    at = np.flatnonzero(out)
    fix = ("to train on them as negatives, add a column of 1 for the occurrences and 0 for "
           "the barren sites and give it as model.labels.value_column with 'threshold: 1' "
           "and 'negatives: both'")
    if out.all():
        raise DataError(
            f"{path}: every record's {where} says it is barren "
            f"({', '.join(map(repr, said[:4]))}): no occurrence is left to train on; give "
            f"the table of the occurrences, or {fix}")
    warnings.warn(DataWarning(
        f"{path}: {at.size} of {len(gdf)} record(s) are barren by their {where} "
        f"({', '.join(map(repr, said[:4]))}{', ...' if len(said) > 4 else ''}; {what}"
        f"{'s' if at.size > 1 else ''} {', '.join(str(int(numbers[i])) for i in at[:5])}"
        f"{', ...' if at.size > 5 else ''}) and are left out of the positives; {fix}"),
        stacklevel=3)
    kept = ~(out | plants) if others is None else ~(out | plants | np.asarray(others, bool))
    _warn_barren_at_occurrences(gdf, path, out, kept, numbers, what)
    return out | plants


def _warn_barren_at_occurrences(gdf: pd.DataFrame, path: Path, barren: np.ndarray,
                                kept: np.ndarray, numbers: np.ndarray, what: str) -> None:
    """Warn of barren records (``barren``) at the very place of a record kept as an
    occurrence (``kept``): one site said both barren and a producer or prospect (a site
    drilled again and found barren, or a row copied with another status), whose
    occurrence stayed a positive and whose barren record was left out with the others,
    without a word of the two (round 51). Points only, their places compared to nine
    significant digits."""
    geometry = getattr(gdf, "geometry", None)
    if geometry is None or not barren.any() or not kept.any():
        return
    geoms = geometry.to_numpy()
    points = np.asarray(shapely.get_type_id(geoms) == 0) & ~np.asarray(shapely.is_empty(geoms))
    keys = [f"{x:.9g} {y:.9g}" for x, y in zip(shapely.get_x(geoms), shapely.get_y(geoms),
                                                  strict=True)]
    first: dict[str, int] = {}
    for i in np.flatnonzero(kept & points).tolist():
        first.setdefault(keys[i], i)
    pairs = [(i, first[keys[i]]) for i in np.flatnonzero(barren & points).tolist()
             if keys[i] in first]
    if not pairs:
        return
    shown = ", ".join(f"{what} {int(numbers[i])} at {what} {int(numbers[j])}'s place"
                      for i, j in pairs[:5]) + (", ..." if len(pairs) > 5 else "")
    warnings.warn(DataWarning(
        f"{path}: {len(pairs)} barren record(s) lie at the very place of an occurrence of "
        f"the table ({shown}): one site said both barren and an occurrence; the occurrence "
        "stays a positive and the barren record is left out; if the site was found barren "
        "later, remove its occurrence record (or give it the barren status), else remove "
        "the barren record"), stacklevel=4)


def _warn_processing_sites(gdf: pd.DataFrame, path: Path, columns: list[str],
                           plants: np.ndarray, barren: np.ndarray, numbers: np.ndarray,
                           what: str) -> None:
    """Warn of the records a status column says are plants, smelters or mills
    (:data:`_PROCESSING`): left out of the positives, as they mark where ore was treated,
    not where it lies (an MRDS extract's ``dev_stat`` ``Plant`` records were occurrences,
    without a word).

    Raises
    ------
    DataError
        Every record is a plant or barren: no occurrence is left to train on.
    """
    where = " or ".join(repr(c) for c in columns)
    said = sorted({str(c).strip() for column in columns for c, b in
                   zip(gdf[column].tolist(), plants, strict=True) if b}, key=str.lower)
    at = np.flatnonzero(plants)
    if (plants | barren).all():
        raise DataError(
            f"{path}: every record's {where} says it is a processing site "
            f"({', '.join(map(repr, said[:4]))}) or barren: no occurrence is left to train "
            "on; give the table of the deposits and occurrences")
    warnings.warn(DataWarning(
        f"{path}: {at.size} of {len(gdf)} record(s) are processing sites by their {where} "
        f"({', '.join(map(repr, said[:4]))}{', ...' if len(said) > 4 else ''}; {what}"
        f"{'s' if at.size > 1 else ''} {', '.join(str(int(numbers[i])) for i in at[:5])}"
        f"{', ...' if at.size > 5 else ''}) and are left out of the positives: ore is "
        "treated there, not found; to keep one, write the deposit's own status (e.g. "
        "'Past Producer') in its cell"), stacklevel=4)


def read_occurrences(
    path: Path, grid: RegionGrid, *, x: str = "lon", y: str = "lat", crs: str | None = None,
    layer: str | None = None, value_column: str | None = None, override_crs: bool = False,
    decimal: str | None = None, nodata: tuple[float, ...] = (),
    flags: dict[str, str | Qualifier] | None = None, polygons: str = "cells",
    mineral: str | None = None, units: dict[str, str] | None = None,
    max_radius: float | None = None, radius_column: str | None = None,
    limits: dict[str, str] | None = None, intervals: str = "each",
) -> Occurrences:
    """Read occurrence points or polygons and return them in the grid CRS.

    The file is read by :func:`prospect.io.points.read_features` (its encoding,
    delimiter and CRS rules; :func:`prospect.io.points.source_options` gives the
    arguments of a points source).

    Parameters
    ----------
    path
        CSV (columns ``x``/``y`` in ``crs``), or any vector file GDAL reads (GeoPackage,
        Shapefile, GeoJSON) with point or polygon geometries.
    grid
        Target grid (its CRS; polygons become the centres of the cells they cover).
    x, y
        Coordinate columns of a CSV.
    crs
        CRS of a CSV's coordinates (default WGS 84), or of a vector file that carries none.
    override_crs
        Use ``crs`` even when the vector file carries one (for files whose ``.prj`` is
        wrong).
    layer
        Layer of a multi-layer vector file.
    value_column
        Grade column to carry along (NaN where empty or not numeric, or one of ``nodata``).
    decimal
        Decimal separator of a text table's numbers (``None``: as they show).
    nodata
        Values of ``value_column`` that mark a missing grade (counted in a warning).
    flags
        Value column -> its qualifier column, or a :class:`~prospect.io.companions.Qualifier`
        with its codes (a grade flagged below detection is none); a key the table lacks is
        refused.
    polygons
        ``cells``: a polygon gives the centre of every cell whose centre it holds (its
        representative point if none); ``centroid``: one point, its centroid (its
        representative point when the centroid lies outside it), so that a large outline
        weighs as one occurrence.
    mineral
        The model's commodity (``model.mineral``). Where the table has a commodity column
        (``Commodity``, ``commod1``...: :func:`commodity_column`) and no ``value_column``
        grades the records, the records whose commodity cell names only other
        commodities (a bromine well in a table of lithium and bromine sites) are left
        out, with a warning counting them; names are read in any spelling (``Li``,
        ``lithium``, ``LITHIUM ``, an ore mineral such as ``spodumene``). Without it,
        a commodity column naming several commodities is warned of.
    units
        Column -> its units (a points source's ``units:``): a grade column in a
        concentration unit reads its negative grades (``-0.5`` for ``<0.5``) as missing,
        as it does where the header or the table states the unit, or where the column's
        name is its element's or a grade's (``Li``, ``W``, ``grade``) and fewer than half
        its values are negative (each below a limit of its size).
    max_radius
        Metres (a points source's ``max_radius``): the records whose location radius
        (``radius_column``, else a column found by name: ``radius_m``, ``accuracy_m``,
        ``location_precision_m``, Darwin Core's ``coordinateUncertaintyInMeters``)
        exceeds it are left out, counted in a warning. Without it, the records whose
        radius exceeds the grid's cells are warned of: each is labelled in one cell as if
        exact (:func:`prospect.io.points.uncertain_places`).
    radius_column
        The column of location radii, where its name is none of those.
    limits
        Value column -> its detection-limit column (the source's ``limits:``), where that
        column's name is no companion's (``lod_ppm`` beside ``li_ppm``).
    intervals
        ``model.labels.intervals``: ``each``, a drill-hole table's depth intervals
        (``hole_id``/``from``/``to``) are labelled each as a record (said once);
        ``composite``, each hole is one record, its intervals' length-weighted mean grade
        in ``value_column`` (:func:`_composite_holes`).
    """
    if intervals not in ("each", "composite"):
        raise DataError(f"intervals must be 'each' or 'composite', not {intervals!r}")
    path = as_path(path)  # a GdalPath keeps its name
    if not str(path).startswith("/vsi"):  # (a mode or a folder that forbids reading)
        refuse_unreadable(path, "occurrence file")
    if not str(path).startswith("/vsi") and not path.exists():
        raise InputFileError(f"{path}: occurrence file not found; check the labels source path")
    gdf = read_features(path, x=x, y=y, crs=crs, layer=layer, override_crs=override_crs,
                        decimal=decimal)
    repaired = repaired_message(path, gdf, "occurrence")  # (a hole outside: its cells)
    if repaired:
        warnings.warn(DataWarning(repaired), stacklevel=2)
    gdf = _collections_as_multi(gdf)
    n_records = len(gdf)
    numbers, what = record_numbers(gdf, path, layer)  # as the user finds them in the file
    again = gdf.attrs.get("header_again") or []
    if again and value_column in gdf.columns:  # (the header's own 'li' is no grade: the
        # row is said as the header again, as the point reader says it)
        gdf[value_column] = gdf[value_column].mask(np.isin(np.arange(len(gdf)), again))
    gdf["_value"], gdf["_limit"], gdf["_floor"], unit = _values(
        gdf, value_column, path, tuple(nodata), (flags or {}).get(value_column or ""),
        numbers=numbers, what=what, unit=(units or {}).get(value_column or ""),
        limit=(limits or {}).get(value_column or ""))
    _refuse_dated(gdf, path, value_column)
    # what a grade column without a number holds (dates: a sampling date named as the grade
    # was "no numeric grade" only); detection limits say themselves (the records' limits)
    unread = ~np.isfinite(gdf["_value"].to_numpy(float)) & ~np.isfinite(
        gdf["_limit"].to_numpy(float))
    no_numbers = (no_numbers_hint(gdf[value_column])
                  if value_column is not None and unread.all() else None)
    stray = [key for key in flags or {} if key not in gdf.columns]
    if stray:  # a source without layers may flag the grade column without 'columns'
        raise DataError(
            f"{path}: 'flags' names value column(s) {stray}, which the table does not have "
            f"(model.labels.value_column is {value_column!r}); use the column headers exactly "
            "as in the table")
    _warn_ratio(path, value_column, mineral)
    _warn_grade_beside(gdf, path, value_column, np.asarray(numbers), what)
    other_commodity = _other_commodity(gdf, path, mineral, value_column, numbers, what)
    barren = barren_records(gdf, path, value_column, numbers, what, others=other_commodity)
    control = quality_control_records(gdf, path, np.asarray(numbers), what,
                                      has_geometry(gdf.geometry), left_out="the labels")
    barren = barren | control  # (a standard's grade is no occurrence's, a blank's no barren's)
    other_commodity = other_commodity | barren  # (all left out of the labels, each said)
    gdf["_fid"] = np.arange(len(gdf))
    gdf["_same_as"] = repeated_records(gdf, ignore=("_value", "_limit", "_floor", "_fid",
                                                    "_same_as"))
    # a vector file's geometries, or a table's columns, may have their axes swapped
    vector = what == "feature"
    placed = has_geometry(gdf.geometry)
    if vector and len(gdf) and not placed.any() and x in gdf.columns and y in gdf.columns:
        raise DataError(coordinates_without_geometry(path, len(gdf), x, y))
    if len(gdf) and placed.any() and not placed.all():  # (none placed: refused below)
        absent = np.flatnonzero(~placed)
        warnings.warn(DataWarning(
            f"{path}: {absent.size} of {len(gdf)} occurrence record(s) have no usable "
            f"coordinates ({what}{'s' if absent.size > 1 else ''} "
            f"{', '.join(str(int(numbers[i])) for i in absent[:5])}"
            f"{', ...' if absent.size > 5 else ''}) and are left out of the labels"
            + text_coordinates_said(gdf.attrs.get("text_coordinates") or {}, numbers, what)
            + header_again_said(gdf, ~placed, np.asarray(numbers), what)),
            stacklevel=2)
    said = text_coordinates_said(gdf.attrs.get("text_coordinates") or {}, numbers, what) \
        or placeless_said(gdf, np.asarray(numbers), what, x, y)
    vague = uncertain_places(gdf, path, placed & ~other_commodity, np.asarray(numbers), what,
                             cell=grid.resolution, cell_crs=grid.crs_obj,
                             max_radius=max_radius, radius=radius_column,
                             left_out="left out of the labels")
    gdf = gdf[placed & ~other_commodity & ~vague]
    # a well listed twice at two places was two occurrences without a word (the point
    # reader's surfaces said so); one check for both
    warn_ids_at_several_places(gdf, np.ones(len(gdf), dtype=bool), path,
                               np.asarray(numbers)[gdf["_fid"].to_numpy()], what)
    # one sample ID at one place with two grades (a re-assay, a copy slip): two records
    # read without a word, where a surface's points said it
    warn_ids_with_other_values(gdf, path, np.asarray(numbers)[gdf["_fid"].to_numpy()], what,
                               gdf["_value"].to_numpy("f8"), str(value_column),
                               "each is read as a record of its own (a cell is a positive "
                               "where any of them reaches the threshold)")
    merged = 0
    if value_column is not None and intervals == "composite":  # (one record a hole)
        gdf, merged = _composite_holes(gdf, path, np.asarray(numbers)[gdf["_fid"].to_numpy()],
                                       what, value_column)
    elif value_column is not None:  # (a hole's intervals, each a record: said once)
        warn_depth_intervals(gdf, path, np.asarray(numbers)[gdf["_fid"].to_numpy()], what,
                             gdf["_value"].to_numpy("f8"), value_column)
    if what != "feature":  # (a table's: a deviated well's reservoir beside its collar)
        warn_bottom_hole_places(gdf, np.ones(len(gdf), dtype=bool), path,
                                np.asarray(numbers)[gdf["_fid"].to_numpy()], what, x=x, y=y)
    places = _one_place_each(gdf.geometry)
    if len(gdf):  # a table's columns, multi-points and polygons too: placed as read
        refuse_swapped_axes(shapely.get_x(places), shapely.get_y(places), gdf.crs,
                            grid.crs_obj, path, layer, numbers[gdf["_fid"].to_numpy()], what,
                            x=x, y=y, grid=grid)
    # a latitude of 200 is no place: a record with such a vertex is dropped (PROJ made it
    # infinite, and a multi-point's other parts, or a polygon, were placed as if whole)
    coords, at = shapely.get_coordinates(np.asarray(gdf.geometry.to_numpy(), dtype=object),
                                         return_index=True)
    bad = np.zeros(len(gdf), dtype=bool)
    invalid = ~valid_in_crs(coords[:, 0], coords[:, 1], gdf.crs)
    np.logical_or.at(bad, at, invalid)
    if bad.any():  # (they were left out without a word; all: "no usable geometries")
        hint = metres_hint(coords[:, 0], coords[:, 1], gdf.crs, grid.crs_obj,
                           region_lonlat(grid))
        at_bad = gdf["_fid"].to_numpy()[bad]
        message = (f"{path}: {int(bad.sum())} of {len(gdf)} occurrence record(s) have "
                   f"coordinates outside what {gdf.crs.name} allows ({what}"
                   f"{'s' if at_bad.size > 1 else ''} "
                   f"{', '.join(str(int(numbers[i])) for i in at_bad[:5])}"
                   f"{', ...' if at_bad.size > 5 else ''}; e.g. "
                   f"{coords[invalid][0, 0]:g}, {coords[invalid][0, 1]:g}){hint}")
        if bad.all():
            raise DataError(message + ("" if hint else "; check the coordinate columns and "
                                       "the crs of the labels source"))
        warnings.warn(DataWarning(message + "; they are left out of the labels"),
                      stacklevel=2)
    gdf = gdf[~bad]
    places = places[~bad]
    pointed = np.isin(shapely.get_type_id(np.asarray(gdf.geometry.to_numpy(), dtype=object)),
                      (0, 4))  # (a polygon's place is no measured one)
    warn_coarse_coordinates(shapely.get_x(places[pointed]), shapely.get_y(places[pointed]),
                            gdf.crs, grid.resolution, grid.crs_obj, path,
                            numbers[gdf["_fid"].to_numpy()[pointed]], what)
    warn_coarse_vertices(np.asarray(gdf.geometry.to_numpy(), dtype=object), gdf.crs,
                         grid.resolution, grid.crs_obj, path, numbers[gdf["_fid"].to_numpy()],
                         what)
    n_dropped = n_records - len(gdf) - int((placed & other_commodity).sum()) - merged
    if len(gdf) == 0:
        raise DataError(f"{path}: no usable occurrence geometries" + said)
    # a CRS of no datum, or a local one, is refused as the point reader refuses it (it was
    # placed by PROJ's ballpark, 100 m or more off, or failed inside pyproj)
    check_transformable(gdf.crs, grid.crs_obj, where=str(path))
    stated = gdf.crs
    gdf = _around_region(gdf.to_crs(grid.crs_obj), grid)
    crs_hint = _crs_hint(path, places, gdf, stated, grid)
    if not crs_hint:
        _warn_swapped_rows(path, places, gdf, stated, grid,
                           np.asarray(numbers)[gdf["_fid"].to_numpy()], what)
    xs_out: list[np.ndarray] = []
    ys_out: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    cell_limits: list[np.ndarray] = []
    floors: list[np.ndarray] = []
    fids: list[np.ndarray] = []
    geom_type = gdf.geometry.geom_type
    points = gdf[geom_type.isin(["Point", "MultiPoint"])]
    if len(points):
        exploded = points.explode(index_parts=False)
        xs_out.append(exploded.geometry.x.to_numpy())
        ys_out.append(exploded.geometry.y.to_numpy())
        vals.append(exploded["_value"].to_numpy("f8"))
        cell_limits.append(exploded["_limit"].to_numpy("f8"))
        floors.append(exploded["_floor"].to_numpy(bool))
        fids.append(exploded["_fid"].to_numpy("i8"))
    polys = gdf[geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons not in ("cells", "centroid"):
        raise DataError(f"polygons must be 'cells' or 'centroid', not {polygons!r}")
    for geom, value, limit, floor, fid in zip(polys.geometry, polys["_value"],
                                              polys["_limit"], polys["_floor"], polys["_fid"],
                                              strict=True):
        px, py = _polygon_cells(geom, grid) if polygons == "cells" else _polygon_centre(geom)
        xs_out.append(px)
        ys_out.append(py)
        vals.append(np.full(px.size, value, "f8"))
        cell_limits.append(np.full(px.size, limit, "f8"))
        floors.append(np.full(px.size, bool(floor)))
        fids.append(np.full(px.size, fid, "i8"))
    other = len(gdf) - len(points) - len(polys)
    if other and (xs_out or not gpx_points_meant(path, layer)):  # (else refused below)
        # lines (fault traces, veins) were left out without a word, not even counted
        _warn_other_geometries(path, gdf, n_records)
    if not xs_out:
        raise DataError(f"{path}: no point or polygon geometries (found {sorted(set(geom_type))})"
                        + (f"; {meant}" if (meant := gpx_points_meant(path, layer)) else ""))
    n_point = xs_out[0].size if len(points) else 0
    total = sum(a.size for a in xs_out)
    fid_all = np.concatenate(fids)
    x_all, y_all = np.concatenate(xs_out), np.concatenate(ys_out)
    same_as = gdf.set_index("_fid")["_same_as"]
    repeated = same_as[same_as >= 0]
    duplicate = np.isin(fid_all, repeated.index.to_numpy()) if len(repeated) else None
    duplicates = []  # named by the table's line or row, or the feature's number
    for fid, first in repeated.items():
        at = np.flatnonzero(fid_all == fid)
        duplicates.append({"record": int(numbers[int(fid)]),
                           "same_as": int(numbers[int(first)]),
                           "x": float(x_all[at[0]]) if at.size else None,
                           "y": float(y_all[at[0]]) if at.size else None})
    return Occurrences(
        x=x_all, y=y_all, values=np.concatenate(vals),
        feature_id=fid_all, n_records=n_records, n_dropped=n_dropped + other,
        source=str(path),
        polygon=np.arange(total) >= n_point if len(polys) else None,
        duplicate=duplicate, duplicates=duplicates,
        other_commodity=int((placed & other_commodity & ~barren).sum()),
        barren=int((placed & barren & ~control).sum()),
        quality_control=int((placed & control).sum()),
        limit=np.concatenate(cell_limits), numbers=np.asarray(numbers)[fid_all], what=what,
        floor=np.concatenate(floors), no_numbers=no_numbers, unit=unit, crs_hint=crs_hint,
    )


def _composite_holes(gdf: Any, path: Path, numbers: np.ndarray, what: str,
                     column: str) -> tuple[Any, int]:
    """``gdf`` with each drill hole's graded intervals (``model.labels.intervals:
    composite``) made one record, its first interval's, graded by the intervals'
    length-weighted mean of ``column`` (its composite), and how many records went into
    another. An interval below its detection limit makes the composite's limit (the mean
    with each such interval at its limit: at or under the threshold, the hole a negative;
    above it, undecided), one above an upper limit its lower bound (the mean with each at
    its limit); a hole with both is undecided. An interval without a grade takes no part,
    its length not counted. Records without a hole ID stay as they are.

    Raises
    ------
    DataError
        The table has no hole or ``from``/``to`` column, or a graded interval has no
        length (``to`` not deeper than ``from``, or either not a depth).
    """
    found = depth_intervals(gdf)
    if found is None:
        raise DataError(
            f"{path}: model.labels.intervals is 'composite', but the table has no drill "
            "hole's intervals: it needs a hole column (e.g. 'hole_id', 'HoleID', 'BHID') "
            "and the intervals' 'from' and 'to' columns; columns are "
            f"{[c for c in gdf.columns if not str(c).startswith('_') and c != 'geometry'][:30]}"
            "; or leave 'intervals' out to label each record")
    hole, top, bottom, start, end = found
    raw = pd.Series(gdf[hole]).reset_index(drop=True)
    ids = raw.astype("string").where(raw.notna(), "").str.strip().to_numpy(str)
    value = gdf["_value"].to_numpy("f8")
    limit = gdf["_limit"].to_numpy("f8")
    floor = gdf["_floor"].to_numpy(bool)
    known = np.isfinite(value) | np.isfinite(limit)
    length = end - start
    bad = known & (ids != "") & ~(length > 0)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{path}: {int(bad.sum())} graded interval(s) of column {column!r} have no length "
            f"(e.g. {what} {int(numbers[at])}: {top!r} "
            f"{str(gdf[top].iloc[at]).strip()!r}, {bottom!r} "
            f"{str(gdf[bottom].iloc[at]).strip()!r}), which model.labels.intervals: "
            f"composite weighs by; give each interval its top in {top!r} and its bottom, "
            f"deeper, in {bottom!r}")
    keep = np.ones(len(gdf), dtype=bool)
    new_value, new_limit, new_floor = value.copy(), limit.copy(), floor.copy()
    groups = pd.Series(np.arange(len(gdf)))[ids != ""].groupby(ids[ids != ""], sort=False)
    merged = shown = 0
    example = ""
    for name, rows in groups:
        at = rows.to_numpy()
        first = int(at[0])
        keep[at[1:]] = False
        merged += at.size - 1
        part = at[known[at]]
        if not part.size:
            continue
        below = ~np.isfinite(value[part])
        above = floor[part] & ~below
        grade = np.where(below, limit[part], value[part])
        mean = float(np.sum(grade * length[part]) / np.sum(length[part]))
        new_value[first], new_limit[first], new_floor[first] = mean, np.nan, False
        if below.any():
            new_value[first], new_limit[first] = np.nan, (np.nan if above.any() else mean)
        elif above.any():
            new_floor[first] = True
        if at.size > 1 and not shown:
            shown = 1
            example = (f"{name!r}: {_mean_text(mean)} over {_mean_text(float(length[part].sum()))}"
                       f" m of {part.size} interval(s)")
    if merged:
        warnings.warn(DataWarning(
            f"{path}: {int((ids != '').sum())} depth interval(s) of {len(groups)} hole(s) "
            f"(columns {hole!r}, {top!r}/{bottom!r}) are labelled as one record a hole "
            f"(model.labels.intervals: composite), at its first interval's place: its "
            f"intervals' length-weighted mean of {column!r} (e.g. {example}); an interval "
            "below its detection limit bounds the mean by its limit, one without a grade "
            "takes no part"), stacklevel=3)
    out = gdf.copy()
    out["_value"], out["_limit"], out["_floor"] = new_value, new_limit, new_floor
    return out[keep], merged


def _mean_text(value: float) -> str:
    """A composite's number for a message: 6 significant figures."""
    return f"{value:.6g}"


def _crs_hint(path: Path, places: Any, gdf: Any, stated: Any, grid: RegionGrid) -> str:
    """Where most records lie outside the region but would lie in it read in another
    projected CRS (:func:`~prospect.io.points.crs_meant`: RD New metres under 'crs:
    EPSG:32631'), a warning naming it, and the hint for the refusal of too few positives;
    ``''`` otherwise. ``places`` are the records' places in their ``stated`` CRS, ``gdf``
    the records in the grid's. Such a table was counted outside the region without a
    word (the score stage's capture metrics of no label), and training said "check the
    crs" alone."""
    at = _one_place_each(gdf.geometry)
    rows, cols = grid.rowcol(shapely.get_x(at), shapely.get_y(at), closed=True)
    if grid.contains(rows, cols).sum() >= 0.5 * len(gdf):
        return ""
    hint = crs_meant(shapely.get_x(places), shapely.get_y(places), stated, grid)
    if hint:
        warnings.warn(DataWarning(
            f"{path}: {int((~grid.contains(rows, cols)).sum())} of {len(gdf)} occurrence "
            f"record(s) lie outside region {grid.name!r} in the source's CRS, "
            f"{stated.name}{hint}"), stacklevel=3)
    return hint


def _warn_swapped_rows(path: Path, places: Any, gdf: Any, stated: Any, grid: RegionGrid,
                       numbers: np.ndarray, what: str) -> None:
    """Warn of point records outside the region that lie in it with their x and y swapped,
    or with the sign of a coordinate turned (:func:`~prospect.io.points.warn_swapped_rows`,
    ``signs``: a longitude that lost its minus sign, Nevada's 118.3 W written 118.3, is a
    place in China): each was counted outside the region
    and left out of the labels without a word (an occurrence lost, a positive cell the
    fewer). ``places`` are the records' places in their ``stated`` CRS, ``gdf`` the
    records in the grid's, ``numbers`` their lines or features."""
    from prospect.io.points import warn_swapped_rows

    at = _one_place_each(gdf.geometry)
    pointed = np.isin(shapely.get_type_id(np.asarray(gdf.geometry.to_numpy(), dtype=object)),
                      (0, 4))  # (a polygon's place is no measured one)
    warn_swapped_rows(shapely.get_x(places), shapely.get_y(places), stated,
                      shapely.get_x(at), shapely.get_y(at), grid, path, numbers, what,
                      weighed=pointed, kept="left out of the labels", signs=True,
                      far=True)


def occurrence_groups(occ: Occurrences, grid: RegionGrid, rows: np.ndarray,
                      cols: np.ndarray) -> np.ndarray | None:
    """Group of each labelled cell (``rows``, ``cols``): the cells one polygon covers are
    one group (polygons that share a cell, one group together); every other cell is its
    own. ``None`` when no group holds more than one of the cells (point occurrences), so
    that cross-validation runs as it does without groups.

    Spatial CV keeps a group in one fold (:func:`prospect.models.cv.group_blocks`): a fold
    that trained on part of a mine outline and tested on the rest measured how alike the
    cells of one mine are, not skill.
    """
    if occ.polygon is None or not occ.polygon.any():
        return None
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows, cols = np.asarray(rows, "i8"), np.asarray(cols, "i8")
    n = rows.size
    flat = rows * grid.width + cols
    order = np.argsort(flat, kind="stable")
    pr, pc = grid.rowcol(occ.x[occ.polygon], occ.y[occ.polygon], closed=True)
    inside = grid.contains(pr, pc)
    cells = pr[inside] * grid.width + pc[inside]
    at = np.searchsorted(flat[order], cells)
    hit = at < n
    hit[hit] = flat[order][at[hit]] == cells[hit]
    row_of = order[at[hit]]
    _, feature = np.unique(occ.feature_id[occ.polygon][inside][hit], return_inverse=True)
    n_features = int(feature.max()) + 1 if feature.size else 0
    graph = coo_matrix((np.ones(row_of.size), (row_of, n + feature.ravel())),
                       shape=(n + n_features, n + n_features))
    _, group = connected_components(graph, directed=False)
    group = group[:n]
    return group if np.unique(group).size < n else None


def _around_region(gdf: Any, grid: RegionGrid) -> Any:
    """The records (in ``grid``'s CRS) with each one's longitudes moved by whole turns
    into the 360 degrees about the centre of a region in degrees (``gdf`` itself for a
    projected region, or where every record lies there already).

    The rule of :func:`prospect.ingest.surfaces.around_region` for surfaces: in a region
    across the antimeridian (Fiji's 179.8..180.2) the occurrences east of 180, given as
    -179.95, and a table on longitudes 0..360 under a region west of Greenwich (354.97 for
    5.03 W), lay 360 degrees from the region and were counted outside it without a word.
    A record moves as a whole (a polygon keeps its shape), by the turn its own place
    (:func:`_one_place_each`) needs; a record wider than 180 degrees is one drawn across
    the antimeridian with its vertices on both sides (179.9 and -179.9: it covered the
    world but the sliver it meant), and each of its vertices is moved.
    """
    if not grid.crs_obj.is_geographic or not len(gdf):
        return gdf
    geoms = np.array(gdf.geometry.to_numpy(), dtype=object)
    bounds = shapely.bounds(geoms)
    across = bounds[:, 2] - bounds[:, 0] > 180.0
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    at = np.where(across[index], coords[:, 0],
                  shapely.get_x(_one_place_each(gdf.geometry))[index])
    with np.errstate(invalid="ignore"):  # whole turns (RegionGrid.longitudes_about's)
        turns = np.round((grid.longitudes_about(at) - at) / 360.0) * 360.0
    turns[~np.isfinite(turns)] = 0.0
    if not turns.any():
        return gdf
    coords[:, 0] += turns
    moved = gdf.copy()
    moved.geometry = shapely.set_coordinates(geoms, coords)  # (new geometries: geoms'
    return moved  # array is replaced in place, gdf's own are kept)


def _one_place_each(geoms: Any) -> np.ndarray:
    """One point per geometry, for telling where a file places its records: a point
    itself, a multi-point's first part, any other geometry's point on its surface."""
    arr = np.asarray(geoms.to_numpy(), dtype=object)
    kinds = shapely.get_type_id(arr)
    out = shapely.point_on_surface(arr)
    out[kinds == 0] = arr[kinds == 0]
    multi = kinds == 4
    out[multi] = shapely.get_geometry(arr[multi], 0)
    return np.asarray(out, dtype=object)


def _collections_as_multi(gdf: Any) -> Any:
    """The table with each GeometryCollection of points only as a MultiPoint, and of
    polygons only as their union (a KML placemark's MultiGeometry is read so): each was
    "not points or polygons" and left out of the labels. A collection mixing kinds (an
    icon's point beside an outline) stays one, warned of: which part is the occurrence
    cannot be told."""
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    collections = np.flatnonzero(shapely.get_type_id(geoms) == 7)
    if not collections.size:
        return gdf
    out = geoms.copy()
    for i in collections:
        parts = shapely.get_parts(geoms[i])
        while (shapely.get_type_id(parts) == 7).any():  # collections inside collections
            parts = shapely.get_parts(parts)
        parts = parts[~shapely.is_empty(parts)]
        kinds = set(shapely.get_type_id(parts).tolist())
        if not parts.size:
            continue
        if kinds <= {0, 4}:  # points, multi-points
            out[i] = shapely.multipoints(shapely.get_coordinates(parts))
        elif kinds <= {3, 6}:  # polygons, multi-polygons
            out[i] = shapely.union_all(shapely.make_valid(parts))
    gdf = gdf.copy()
    gdf[gdf.geometry.name] = out
    return gdf


def _polygon_centre(geom: Any) -> tuple[np.ndarray, np.ndarray]:
    """A polygon's centroid, or its representative point when the centroid lies outside
    it (a C-shaped outline): one point for the whole polygon."""
    import shapely

    point = geom.centroid
    if not shapely.contains_xy(geom, point.x, point.y):
        point = geom.representative_point()
    return np.array([point.x]), np.array([point.y])


def _warn_other_geometries(path: Path, gdf: pd.DataFrame, n_records: int) -> None:
    """Warn of occurrence features that are neither points nor polygons (lines, most
    often), naming their kinds and first feature numbers: they are left out of the labels."""
    import warnings

    from prospect.errors import DataWarning

    kinds = gdf.geometry.geom_type
    other = ~kinds.isin(["Point", "MultiPoint", "Polygon", "MultiPolygon"])
    first = [int(f) + 1 for f in gdf["_fid"][other].to_numpy()[:5]]
    warnings.warn(DataWarning(
        f"{path}: {int(other.sum())} of {n_records} occurrence feature(s) are "
        f"{', '.join(sorted(set(kinds[other])))}, not points or polygons, and are left out "
        f"of the labels (features {first}); give those occurrences as points (e.g. each "
        "line's midpoint) or as polygons"
        + ("; a GeometryCollection of several kinds (a KML MultiGeometry of an icon's "
           "point and an outline?) is not read, as which part is the occurrence cannot be "
           "told: keep one kind in each" if (kinds[other] == "GeometryCollection").any()
           else "")), stacklevel=3)


def _warn_ratio(path: Path, column: str | None, mineral: str | None) -> None:
    """Warn when the grade column is a ratio or an index (``Mg_Li_ratio``, ``Li/Mg``,
    :func:`prospect.config.commodities.column_ratio`): its labels are cells where the
    ratio passes the threshold, no grade of ``mineral`` (the Mg/Li ratio of a brine is low
    where its lithium is worth extracting). It was read as a grade without a word."""
    from prospect.config.commodities import column_ratio

    if column is None or (ratio := column_ratio(column)) is None:
        return
    of = f" (of {ratio[0]} to {ratio[1]})" if all(ratio) else ""
    warnings.warn(DataWarning(
        f"{path}: the grade column {column!r} is a ratio or an index{of}, not a grade"
        + (f" of {mineral}" if mineral else "") + ": a record is a positive where the "
        "ratio reaches the threshold (model.labels.threshold), whatever its grade (a high "
        "Mg/Li ratio is a poor brine); give the grade column in 'value_column' (e.g. "
        "'Li_ppm'), or keep the ratio if that is what the labels should say"), stacklevel=3)


def _warn_grade_beside(gdf: pd.DataFrame, path: Path, column: str | None,
                       numbers: np.ndarray, what: str) -> None:
    """Warn of records whose grade column is blank while another column of its element
    (its first word: ``Li`` of ``Li_mg_kg`` and ``Li_mg_L``) in a concentration unit, not
    its detection-limit or qualifier column, holds a number: a table of rocks' grades in
    mg/kg and brines' in mg/L, in two columns, was labelled by one, and the records graded
    in the other were left out (never a positive under a threshold) without a word."""
    from prospect.io.companions import _words, companion_names, stated_concentration

    if column is None or column not in gdf.columns or \
            (unit := stated_concentration(column)) is None:
        return
    first = (_words(column) or [""])[0]
    cells = gdf[column]
    blank = (cells.isna() | cells.astype(str).str.strip().eq("")).to_numpy(bool) & \
        ~np.isfinite(gdf["_value"].to_numpy(float)) & \
        ~np.isfinite(gdf["_limit"].to_numpy(float))
    names = [c for c in gdf.columns if isinstance(c, str)]
    qualifiers, limits = companion_names(column, names)
    for other in names:
        if other in (column, gdf.geometry.name, *qualifiers, *limits) or \
                other.startswith("_") or (_words(other) or [""])[0] != first or \
                (other_unit := stated_concentration(other)) is None:
            continue
        read = pd.to_numeric(gdf[other], errors="coerce").to_numpy(float)
        held = blank & np.isfinite(read)
        if not held.any():
            continue
        at = np.flatnonzero(held)
        same = other_unit.casefold().replace(" ", "") == unit.casefold().replace(" ", "")
        warnings.warn(DataWarning(
            f"{path}: {at.size} record(s) without a grade in {column!r} "
            f"(model.labels.value_column) have one in {other!r} ({what}"
            f"{'s' if at.size > 1 else ''} {', '.join(str(int(numbers[i])) for i in at[:5])}"
            f"{', ...' if at.size > 5 else ''}; e.g. {read[at[0]]:g} {other_unit}"
            + ("" if same else f", where {column!r} is in {unit}") + "): "
            "each is left out of the labels, a label without a grade never a positive where "
            "a threshold grades them; give every record's grade in one column in one unit "
            "(converted: a brine's mg/L is no rock's mg/kg), or label the others from a "
            "source of their own"), stacklevel=3)
        return


def _values(frame: pd.DataFrame, column: str | None, path: Path,
            nodata: tuple[float, ...] = (), flag: str | Qualifier | None = None, *,
            numbers: np.ndarray, what: str, unit: str | None = None,
            limit: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    """The grade column as numbers in the table's notation: NaN where empty, not a finite
    number (an 'inf' grade is no grade) or a declared ``nodata`` (counted in a warning);
    a common fill value read as a grade is a warning
    (:func:`~prospect.io.points.column_values`). With each record's detection limit where
    its grade is below a known one (NaN elsewhere:
    :func:`~prospect.io.points.column_values_and_limits`), and whether it is only known to
    be at least its value (above an upper limit: ``>1000``, or flagged ``>``), and the
    unit its grades are read in (:func:`_stated_unit`)."""
    none = np.full(len(frame), np.nan)
    measured = np.zeros(len(frame), bool)
    if column is None:
        return none, none, measured, None
    if column not in frame.columns:
        raise DataError(
            f"{path}: value column {column!r} not found; columns are "
            f"{[c for c in frame.columns if c != 'geometry'][:30]}"
            + described_hint(frame, column)
        )
    refuse_repeated_columns(frame, path, [column])  # ('Li' twice: the first read)
    flags = flag_values(frame[column])
    if flags is not None:  # yes/no, true/false: a presence flag, read as 1/0
        return flags, none, measured, None
    _refuse_words(frame[column], column, path, numbers, what)
    written = frame[column]
    frame, above, bare = _above_limits_as_limits(frame, column, unit)
    read = column_values_and_limits(
        frame, column, path, numbers=numbers, what=what, nodata=nodata, strict=False,
        flag=flag, unit=unit, above_as_limit=True, limit_column=limit)
    # a limit written with its unit ('>1000 ppm') is one where its number and unit read as
    # the column's other cells do ('1000 ppm' converted, or said as another unit)
    above = above & (bare | np.isfinite(read.values))
    _warn_above_limits(written, above, column, path, numbers, what)
    _warn_cell_units(frame, column, path, unit)
    flagged = read.above if read.above is not None else np.zeros(len(read.values), bool)
    return read.values, read.limit, above | flagged, _stated_unit(frame, column, unit)


def _stated_unit(frame: pd.DataFrame, column: str, stated: str | None) -> str | None:
    """The unit the grade column's numbers are read in, as the table or config states it:
    its cells' or a row of units' or a unit column's (the table's ``units`` attribute,
    which :func:`_warn_cell_units` holds to the others), else the source's ``units:``
    (``stated``), else its header's (``Li_ppm``, ``Li_mg_L``: the header's unit was read
    from one word only, :func:`~prospect.io.companions.stated_concentration`); ``None``
    where none states one. The threshold's messages named the header's alone: a column
    ``Li`` under ``units: {Li: "%"}`` was said to be in no unit."""
    from prospect.io.companions import stated_concentration

    table = (frame.attrs.get("units") or {}).get(column)
    return table or stated or stated_concentration(column)


_ABOVE_LIMIT = re.compile(r"\s*(?:>=?|≥)\s*(\d[\d.,' ]*(?:[^\d\s<>=≥≤][^<>=≥≤]*)?)\s*")
"""A grade above the upper limit of determination, written with its limit (``>1000``,
``≥ 5``), and maybe the limit's unit (``>1000 ppm``, ``> 0,5 %``): the grade is at least
the limit."""


def _above_limits_as_limits(frame: pd.DataFrame, column: str, unit: str | None = None
                            ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``frame`` with the grade cells written above an upper limit (``>1000``, ``>1000
    ppm``) as the limit (with its unit: read as the column's other cells are), the grade's
    lower bound, which cells were, and which of them wrote the number alone: read as
    missing (as a surface reads them), the richest samples were never positive, labelled
    as negatives; at their limit they are positive wherever the threshold is at most it,
    and undecided where it is above (:func:`graded_records`). A limit with its unit
    (``>1000 ppm`` among ``12 ppm``) was still read as missing; it is read so where the
    column's unit is stated (by its other cells, or :func:`_stated_unit`: ``unit`` is the
    source's ``units:``), in a unit of concentration, and its number and unit read as a
    cell's (``> 1 000 ppm`` is left as written, said so). A limit alone among cells that
    each write one (``>1000`` among ``12 ppm``, no plain number among them, no unit stated
    otherwise) is given their unit (the one most write), as a limit below (``<0.5``) is
    read in it: read as a plain number, it made every other grade of the column
    missing."""
    cells = frame[column]
    none = np.zeros(len(frame), bool)
    if pd.api.types.is_numeric_dtype(cells.dtype):
        return frame, none, none
    from prospect.io.points import _cell_unit, above_written

    # the USGS qualifier's 'G(10000)' too (it was missing, "write numbers only")
    text = cells.map(lambda c: above_written(c) if isinstance(c, str) else "")
    found = text.str.extract(_ABOVE_LIMIT.pattern, expand=False)
    hit = text.str.fullmatch(_ABOVE_LIMIT.pattern).fillna(False).to_numpy(bool)
    if not hit.any():
        return frame, none, none
    units = found.str.strip().str.extract(r"^\d[\d.,' ]*(.*)$", expand=False).fillna("")
    bare = hit & (units.str.strip() == "").to_numpy(bool)

    def concentration(u: str) -> bool:  # a unit the grades can be read in (else the cell
        return bool(u.strip()) and concentration_scale(u.strip()) is not None  # is said)

    others = text[~hit].str.extract(r"^\s*[<≤]?=?\s*\d[\d.,' ]*(.*?)\s*$",
                                    expand=False).dropna()
    told = _stated_unit(frame, column, unit) is not None  # (its header, a row of units,
    stated = told or bool(others.map(concentration).any())  # units:, or its cells')
    # a limit with its unit is read where its number and unit read as a cell's do
    # ('> 1 000 ppm' is not: it is said as written, not as '1 000 ppm')
    read = found.map(lambda f: isinstance(f, str) and _cell_unit(f.strip()) is not None)
    hit = hit & (bare | (stated & units.map(concentration).to_numpy(bool)
                         & read.to_numpy(bool)))
    out = frame.copy()
    limits = found.str.strip()
    cell_units = others[others.map(concentration)].str.strip()
    plain = (text[~hit].str.fullmatch(r"\s*\d[\d.,' ]*").fillna(False)).any() or cells.map(
        lambda c: isinstance(c, int | float | np.number) and not isinstance(c, bool)
        and bool(np.isfinite(c))).any()
    if not told and bare.any() and len(cell_units) and not plain:
        # a limit alone among cells that each write their unit ('>1000' among '12 ppm')
        # is in their unit, as a limit below ('<0.5') is: read as a plain number among
        # them, it made every other cell of the column missing
        said = Counter(cell_units).most_common(1)[0][0]
        limits = limits.where(~bare, limits + " " + said)
    out[column] = cells.where(~hit, limits)
    out.attrs = dict(frame.attrs)
    return out, hit, bare


def _warn_above_limits(cells: pd.Series, above: np.ndarray, column: str, path: Path,
                       numbers: np.ndarray, what: str) -> None:
    """Warn of the grade cells read as their upper limit (:func:`_above_limits_as_limits`),
    ``cells`` as written."""
    if not above.any():
        return
    at = above.nonzero()[0]
    shown = ", ".join(str(int(numbers[i])) for i in at[:5]) + (", ..." if len(at) > 5 else "")
    warnings.warn(DataWarning(
        f"{path}: {len(at)} grade(s) in column {column!r} are above an upper limit of "
        f"determination ({what}{'s' if len(at) > 1 else ''} {shown}; e.g. "
        f"{str(cells.iloc[int(at[0])]).strip()!r}): each is read as its limit, the least it is, "
        "so it is a positive wherever the threshold (model.labels.threshold) is at most "
        "the limit (and undecided, left out, where it is above: it may lie either side); "
        "give the re-assayed grades to tell them apart"), stacklevel=5)


def _warn_cell_units(frame: pd.DataFrame, column: str, path: Path,
                     stated: str | None = None) -> None:
    """Warn when the grade column's cells state a unit (``1.2 ppm``, percentage cells)
    other than its header's (``Li_ppb``, ``Li (ppm)``) or the source's ``units:``
    (``stated``): the threshold is compared with the numbers as the cells write them, in
    the cells' unit. A sheet's percentage cells under ``Li_ppm`` were so compared with a
    threshold in ppm, without a word. Two statements of the unit without the cells (the
    header, a row of units below it, a unit column naming one unit, ``units:``) that give
    it another scale are refused (:func:`_refuse_unit_statements`)."""
    from prospect.ingest.layers import unit_key
    from prospect.io.companions import stated_concentration
    from prospect.io.points import UNIT_COLUMN_WHERE

    where = (frame.attrs.get("units_where") or {}).get(column)
    unit = (frame.attrs.get("units") or {}).get(column)
    named = stated_concentration(column)  # (Li_mg_L, Li (µg/g): Li_ppm's too)
    if where is None or where.startswith(UNIT_COLUMN_WHERE):
        # a unit column states the unit as a row of units does: not the cells' own
        table = "its row of units" if where is None else where.removeprefix("in ")
        _refuse_unit_statements(path, column, {"its header": named, table: unit,
                                               "the source's 'units:'": stated})
        return
    given = [(f"{named} in its header", named), (f"{stated} in the source's 'units:'", stated)]
    said = [text for text, u in given
            if u is not None and unit is not None and unit_key(u) != unit_key(unit)]
    if not said:
        return
    warnings.warn(DataWarning(
        f"{path}: the grade column {column!r} states {' and '.join(said)} but {unit} "
        f"{where}; its grades are read in {unit}, as the cells write them, and the "
        f"threshold (model.labels.threshold) is compared with them: give the threshold "
        f"in {unit}, or correct the {'header' if named else 'units'}"),
        stacklevel=4)


_MASS_FRACTIONS = {"ppm": 1.0, "ppb": 1e-3, "%": 1e4, "wt%": 1e4, "‰": 1e3}
"""Mass fractions a grade column is stated in, in ppm (``mg/kg``, ``g/t`` and ``ug/g``
are ppm; ``pct`` is %: :func:`prospect.ingest.layers.unit_key`)."""


def concentration_scale(unit: str) -> tuple[str, float] | None:
    """``(kind, factor)`` of a concentration unit: a mass fraction in ppm (``%``: 10 000)
    or an amount per volume in mg/L (``g/m3``: 1, ``ug/L``: 0.001;
    :data:`prospect.screening.CONCENTRATION_UNITS`); ``None`` for any other unit.

    Parameters
    ----------
    unit
        A units string as a header, a row of units or ``units:`` gives it.

    Returns
    -------
    tuple or None
        ``("mass fraction", ppm per unit)`` or ``("per volume", mg/L per unit)``.
    """
    from prospect.ingest.layers import unit_key
    from prospect.screening import is_mass_fraction, to_mg_per_l

    key = unit_key(unit)
    for name, factor in _MASS_FRACTIONS.items():
        if key == unit_key(name):
            return "mass fraction", factor
    hit = to_mg_per_l(unit, 1.0)
    if hit is None:
        return None
    return ("mass fraction", hit[1]) if is_mass_fraction(hit[0]) else ("per volume", hit[1])


def _refuse_unit_statements(path: Path, column: str, stated: dict[str, str | None]) -> None:
    """Refuse a grade column whose unit is stated twice on two scales (``Li_ppm`` over a
    row of units saying ``%``; ``Li_pct`` with ``units: {Li_pct: ppm}``): the threshold
    is compared with the numbers as written, and which unit they are in cannot be told
    (a factor of 10 000 between ppm and %). The later statement was taken without a
    word. Statements of one scale (``mg/L`` and ``g/m3``; ``pct`` and ``%``) and units
    this cannot scale pass."""
    scaled = {where: (unit, concentration_scale(unit)) for where, unit in stated.items()
              if unit is not None}
    known = {where: (unit, scale) for where, (unit, scale) in scaled.items()
             if scale is not None}
    scales = {(kind, round(math.log10(factor), 6)) for _, (kind, factor) in known.values()}
    if len(scales) < 2 or len({kind for kind, _ in scales}) > 1:
        return  # (a mass fraction beside an amount per volume: a dilute water's ppm)
    shown = " but ".join(f"{unit} by {where}" for where, (unit, _) in known.items())
    factors = [factor for _, (_, factor) in known.values()]
    raise DataError(
        f"{path}: the grade column {column!r} (model.labels.value_column) is stated in "
        f"{shown}, {max(factors) / min(factors):g} times apart: its numbers are in one of "
        "them, and the threshold is compared with them as written, so which cannot be "
        "told; correct the one that is wrong (the header, the row of units or unit "
        "column, or the points source's 'units:')")


_FLAG_WORDS = {
    **dict.fromkeys(("yes", "y", "true", "ja", "j", "oui", "si", "sí", "sim", "có",
                     "positive", "present"), 1.0),
    **dict.fromkeys(("no", "n", "false", "nee", "nein", "non", "não", "nao", "không",
                     "khong", "negative", "absent", "barren"), 0.0),
}
"""Words of a presence flag: yes/no in English, Dutch, German, French, Spanish,
Portuguese and Vietnamese, and the words of a label column (positive/negative,
present/absent, barren)."""


def _flag_word(value: Any) -> float | None:
    """A cell of a presence flag as 1/0 (a flag word, a boolean, or the number 0 or 1
    written as a number or as text), ``None`` when it is none."""
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _FLAG_WORDS:
            return _FLAG_WORDS[word]
        value = word.removesuffix(".0")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number in (0.0, 1.0) else None


def _filled(column: pd.Series) -> pd.Series:
    """Whether each cell holds something: not empty, blank text, ``None``, NaN or NA."""
    return column.map(lambda v: bool(v.strip()) if isinstance(v, str) else bool(pd.notna(v)))


def flag_values(column: pd.Series) -> np.ndarray | None:
    """A column of presence flags as 1/0 (NaN where empty), or ``None`` when it is not one.

    A flag column holds the words yes/no, y/n or true/false (any letter case; also
    ``ja``/``nee``, ``oui``/``non``, ``sí``/``no``, ``có``/``không``, ``positive``/
    ``negative``, ``present``/``absent``, ``barren``: :data:`_FLAG_WORDS`), or booleans,
    with 0s and 1s beside them: a CSV's ``True``/``False`` reached the labels as 1/0 while
    ``yes``/``no`` were "no numeric grade in any record", and a ``barren`` or ``nee``
    beside 1s and 0s was read as missing, so that (without a threshold, where every
    record is a positive) a barren site was a positive.
    """
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.to_numpy("f8")
    if pd.api.types.is_numeric_dtype(column.dtype) or column.dtype.kind == "M":
        return None
    present = _filled(column)
    if not present.any():
        return None
    read = [_flag_word(v) for v in column[present]]
    worded = any(isinstance(v, bool | np.bool_) or
                 (isinstance(v, str) and v.strip().lower() in _FLAG_WORDS)
                 for v in column[present])
    if any(r is None for r in read) or not worded:  # (0s and 1s alone: numbers)
        return None
    out = np.full(len(column), np.nan)
    out[present.to_numpy(bool)] = np.asarray(read, "f8")
    return out


_WORD = re.compile(r"[^\d]*[^\W\d_][^\d]*")
"""A cell of words, no digit (``deposit``, ``past producer``)."""


_DATED_NAME = re.compile(
    r"(?:[a-z]*(?:year|date|jahr|jaar|datum|fecha)s?|yr|yrs|ann[eé]e|a[nñ]o|anno)")
"""A word (between ``_``, as :func:`_plain_name` splits a header) naming a column of
dates or years in the tongues survey tables are written in: ``year``, ``Loc_Date``,
``SpudDate``, ``sample_yr``, ``Jahr``, ``jaar``, ``année``, ``año``, ``Datum``, ``fecha``."""


def dated_column(column: str, values: np.ndarray) -> str | None:
    """What a grade column named as a date or a year holds, as words for a refusal
    (``"years: 8 record(s) from 1990 to 1997"``), where its header says date or year
    (:data:`_DATED_NAME`) and every value is a year (a whole number from 1800 to 2100)
    or a date written as one number (``20210301``, year, month and day); ``None``
    otherwise. Such a column named by mistake as ``value_column`` was read as grades
    (1990 to 1997: every record a positive, the latest the richest) without a word.

    Parameters
    ----------
    column : str
        The column's header.
    values : numpy.ndarray
        The column's values as read (NaN where missing).

    Returns
    -------
    str or None
        The count and range of its values, or ``None`` where it holds grades.
    """
    given = values[np.isfinite(values)]
    words = re.sub(r"[^a-z0-9\u00e0-\u00ff]+", "_", _plain_name(column)).strip("_").split("_")
    if not given.size or not any(_DATED_NAME.fullmatch(word) for word in words) or \
            (given != np.round(given)).any():
        return None
    years = (given >= 1800) & (given <= 2100)
    day, month = given % 100, given // 100 % 100
    stamps = (given >= 18000101) & (given <= 21001231) & (day >= 1) & (day <= 31) & \
        (month >= 1) & (month <= 12)
    if not (years | stamps).all():
        return None
    kind = "years" if years.all() else "dates written as numbers (year, month, day)"
    return f"{kind}: {given.size} record(s) from {given.min():.0f} to {given.max():.0f}"


def _refuse_dated(gdf: pd.DataFrame, path: Path, value_column: str | None) -> None:
    """Refuse a grade column named as a date or year whose every value is one
    (:func:`dated_column`), naming the table's other columns of numbers."""
    if value_column is None:
        return
    said = dated_column(value_column, gdf["_value"].to_numpy(float))
    if said is None:
        return
    others = [str(c) for c in gdf.columns if not str(c).startswith("_") and c != value_column
              and c != "geometry" and pd.api.types.is_numeric_dtype(gdf[c].dtype)
              and dated_column(str(c), gdf[c].astype("float64").to_numpy()) is None]
    hint = f" (columns of numbers here: {others[:8]})" if others else ""
    raise DataError(
        f"{path}: the grade column {value_column!r} (model.labels.value_column) holds "
        f"{said}, not grades: read as grades, the latest records would be the richest "
        f"and every record above the threshold a positive; name the column of grades "
        f"in model.labels.value_column{hint}")


def _refuse_words(column: pd.Series, name: str, path: Path, numbers: np.ndarray,
                  what: str) -> None:
    """Refuse a grade column whose every filled cell is a word (``deposit``, ``barren``,
    ``prospect``, ``past producer``: a status column, not grades nor a yes/no flag).
    Each was read as a missing grade, with a warning that a record without a grade is
    never a positive; without a threshold every record is one, so the barren sites and
    the prospects were positives beside the deposits without a word, and with one the
    job stopped at "no numeric grade". Detection limits (``n.d.``, ``<0.5``) and
    cells saying no value (``n/a``) are grades of a kind and are left to the grade
    reader."""
    from prospect.io.points import _LIMIT, _NO_VALUE

    if pd.api.types.is_numeric_dtype(column.dtype) or column.dtype.kind == "M":
        return
    text = column.map(lambda v: v.strip() if isinstance(v, str) else v)
    filled = _filled(column)
    if not filled.any():
        return
    cells = text[filled]
    if not all(isinstance(v, str) and _WORD.fullmatch(v) and not _LIMIT.fullmatch(v)
               and not _NO_VALUE.fullmatch(v) for v in cells):
        return
    kinds = Counter(v.lower() for v in cells)
    shown = ", ".join(f"{word!r} ({n})" for word, n in kinds.most_common(6))
    at = np.flatnonzero(filled.to_numpy(bool))
    first = ", ".join(str(int(numbers[i])) for i in at[:3]) + (", ..." if at.size > 3 else "")
    raise DataError(
        f"{path}: the grade column {name!r} (model.labels.value_column) holds words, not "
        f"grades nor a yes/no flag: {shown}{', ...' if len(kinds) > 6 else ''} ({what}"
        f"{'s' if at.size > 1 else ''} {first}); which of them are occurrences to train "
        "on cannot be told, and read as grades they are all missing (without a threshold "
        "every record, a barren one too, would be a positive): add a column of 1 for the "
        "kinds to train on and 0 for the others (or yes/no, positive/negative) and give it "
        "as value_column with 'threshold: 1', or leave value_column out if every record "
        "is an occurrence")


def _polygon_cells(geom: Any, grid: RegionGrid) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the cells whose centre lies in ``geom`` (its representative point if none)."""
    import shapely

    left, bottom, right, top = geom.bounds
    r0, c0 = grid.rowcol(np.array([left]), np.array([top]))
    r1, c1 = grid.rowcol(np.array([right]), np.array([bottom]))
    r0i, r1i = max(int(r0[0]), 0), min(int(r1[0]), grid.height - 1)
    c0i, c1i = max(int(c0[0]), 0), min(int(c1[0]), grid.width - 1)
    if r1i >= r0i and c1i >= c0i:
        xs, ys = np.meshgrid(grid.x[c0i: c1i + 1], grid.y[r0i: r1i + 1])
        inside = shapely.contains_xy(geom, xs.ravel(), ys.ravel())
        if inside.any():
            return xs.ravel()[inside], ys.ravel()[inside]
    point = geom.representative_point()
    return np.array([point.x]), np.array([point.y])
