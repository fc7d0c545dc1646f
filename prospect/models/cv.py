"""Cross-validation splitters: spatial blocks (balanced by positives, with a buffer) and
stratified random folds for comparison.

Random folds put near-identical neighbouring cells on both sides of a split and so
overstate skill when evidence and labels are spatially autocorrelated (Roberts et al.,
2017, *Ecography* 40, 913-929). Spatial blocks hold out whole squares of the map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from sklearn.model_selection import StratifiedKFold

from prospect.errors import ConfigError, ModelError

__all__ = [
    "SpatialBlockCV", "adjacent_positives", "assign_blocks", "auto_block_size",
    "block_size_hint", "blocks_below_range", "classes_unseen_in_folds", "floor_2_figures",
    "group_blocks", "label_variogram", "largest_block_size",
    "random_folds", "refuse_unfilled_folds", "unseen_class_words",
]


def refuse_unfilled_folds(n_splits: int, *, positives: int, negatives: int | None = None,
                          counted: str = "", where: str = "") -> None:
    """Refuse ``model.cv.n_splits`` above the positive (or negative) cells of the labels.

    The one rule of ``prospect plan``, ingest and train: each test fold needs a positive
    cell (and, where the negatives are the labelled cells below a grade threshold, a
    negative one). With fewer, spatial folds without one were left unscored and the fold
    mean was over the others, and random folds were cut to the positives: figures of fewer
    folds than the config asks for. Ingest counts the cells of the label table; train
    counts them again after the cells without data are dropped, so a positive lost to
    nodata is refused in the same words. Fewer than 2 cells are left to the callers' own
    refusals (no model trains on them).

    Parameters
    ----------
    n_splits
        ``model.cv.n_splits``.
    positives, negatives
        Positive cells, and negative cells when they are only the labelled cells
        (``negatives: below_threshold``; ``None`` otherwise: background fills the folds).
    counted
        How the cells were counted (records, outside the region, ...), for the message.
    where
        A prefix naming the job file.

    Raises
    ------
    ConfigError
        Naming ``model.cv.n_splits``, the cells, how they were counted and the fix.
    """
    for have, what in ((positives, "positive"), (negatives, "negative")):
        if have is not None and 2 <= have < n_splits:
            raise ConfigError(
                f"{where}key 'model.cv.n_splits' = {n_splits} is more than the {have} {what} "
                f"cell(s) the labels give" + (f" ({counted})" if counted else "")
                + f"; each test fold needs one: set model.cv.n_splits to at most {have}, "
                "or add labels")


def floor_2_figures(value: float) -> float:
    """``value`` rounded down to two significant figures (a block size a user writes)."""
    if value <= 0 or not np.isfinite(value):
        return 0.0
    step = 10.0 ** (np.floor(np.log10(value)) - 1)
    return float(np.floor(value / step + 1e-9) * step)


def block_size_hint(coords: np.ndarray, n_splits: int, units: str) -> str:
    """The tail of the "too few blocks" message: how far the samples span and the
    largest block size (two significant figures) that gives every fold two blocks (or,
    failing that, one), with ``auto`` and fewer folds as the other ways out.

    Parameters
    ----------
    coords
        The samples' (x, y) in the grid's CRS, shape (n, 2).
    n_splits
        The folds asked for.
    units
        The CRS's units, for the message (``metres``).

    Returns
    -------
    str
        The message's tail, starting with ``:`` or ``;``.
    """
    coords = np.asarray(coords, dtype="f8")
    span = coords.max(axis=0) - coords.min(axis=0) if len(coords) else np.zeros(2)
    said = (f": the {len(coords)} samples span {span[0]:.4g} x {span[1]:.4g} {units}"
            if len(coords) else "")
    widest = float(span.max()) if len(coords) else 0.0
    if widest <= 0:
        return (f"{said}, so no block size parts them; lower model.cv.n_splits or use "
                "model.cv.kind: random")
    fits = largest_block_size(widest, n_splits,
                              lambda edge: int(assign_blocks(coords, edge).max()) + 1)
    if fits is None:
        return f"{said}; lower model.cv.block_size (or auto) or model.cv.n_splits"
    edge, found = fits
    return (f"{said}; set model.cv.block_size to {edge:g} {units} "
            f"or less ({found} blocks at {edge:g} hold samples) or auto, or lower "
            f"model.cv.n_splits")


def largest_block_size(widest: float, n_splits: int, blocks: Callable[[float], int], *,
                       smallest: float = 0.0) -> tuple[float, int] | None:
    """The largest block size of two significant figures (``widest`` over 1, 2, ... 400
    parts) at which ``blocks(edge)`` gives every fold two blocks, or failing that one, and
    that count; ``None`` where no size above ``smallest`` does.

    Parameters
    ----------
    widest
        The extent to part (the samples' or the region's widest side), in CRS units.
    n_splits
        The folds asked for.
    blocks
        How many blocks a size gives (blocks holding samples, or the region's).
    smallest
        Sizes at or below this are not offered (a region's cell).
    """
    for want in (2 * n_splits, n_splits):
        for parts in range(1, 401):
            edge = floor_2_figures(widest / parts)
            if edge <= smallest:
                break
            found = blocks(edge)
            if found >= want:
                return edge, found
    return None


def _buffered_train(coords: np.ndarray, folds: np.ndarray, tree: Any, fold: int,
                    buffer: float) -> np.ndarray:
    """Fold ``fold``'s training rows as a mask: the other folds' rows, less those within
    ``buffer`` of its test rows (none less where ``tree``, the rows' KD-tree, is
    ``None``: no buffer)."""
    mask = folds != fold
    test = np.flatnonzero(~mask)
    if tree is not None and test.size:
        near = tree.query_ball_point(coords[test], r=buffer)
        mask[np.unique(np.concatenate([np.asarray(n, "i8") for n in near]))] = False
    return mask


def assign_blocks(coords: np.ndarray, block_size: float) -> np.ndarray:
    """Integer block id of each point: squares of ``block_size`` CRS units."""
    coords = np.asarray(coords, dtype="f8")
    ij = np.floor((coords - coords.min(axis=0)) / block_size).astype("i8")
    _, ids = np.unique(ij, axis=0, return_inverse=True)
    return ids.ravel()


def group_blocks(coords: np.ndarray, blocks: np.ndarray, groups: np.ndarray | None
                 ) -> np.ndarray:
    """Block ids with every row of a group moved to one block: the block holding most of
    the group's rows (a tie: the block of the row nearest the group's centroid).

    The cells one occurrence polygon covers (a mine outline) are one group: split between
    blocks, and so between folds, a fold trained on part of the mine and tested on the rest
    (Roberts et al., 2017: blocks must respect the dependence structure; scikit-learn's
    ``GroupKFold`` keeps a group on one side of every split). ``blocks`` is returned
    unchanged (the same array) when ``groups`` is ``None`` or every group holds one row;
    otherwise the ids are renumbered ``0..k-1`` in their order, blocks left empty dropped.
    """
    if groups is None:
        return blocks
    groups = np.asarray(groups)
    if groups.shape != blocks.shape:
        raise ModelError(f"spatial CV: {groups.size} groups for {blocks.size} rows")
    _, gid, size = np.unique(groups, return_inverse=True, return_counts=True)
    gid = gid.ravel()
    if not (size > 1).any():
        return blocks
    coords = np.asarray(coords, dtype="f8")
    out = blocks.copy()
    order = np.argsort(gid, kind="stable")
    starts = np.concatenate([[0], np.cumsum(size)])
    for g in np.flatnonzero(size > 1):
        rows = order[starts[g]: starts[g + 1]]
        ids, n = np.unique(blocks[rows], return_counts=True)
        top = ids[n == n.max()]
        if top.size > 1:  # a tie: the block of the row nearest the centroid
            xy = coords[rows]
            near = rows[int(np.argmin(((xy - xy.mean(axis=0)) ** 2).sum(axis=1)))]
            top = top[top == blocks[near]] if blocks[near] in top else top[:1]
        out[rows] = top[0]
    return np.unique(out, return_inverse=True)[1].ravel()


class SpatialBlockCV:
    """K-fold over square spatial blocks, folds balanced by positives.

    Blocks are dealt to folds greedily (the block with most positives first, each to the
    fold that holds fewest positives so far, ties broken by fewest rows; then the blocks
    without a positive, largest first, each to the fold that holds fewest negatives, so
    that every fold is balanced in both classes; remaining ties at random with
    ``random_state``). Training rows closer than ``buffer`` to any test row are dropped
    from that fold's training set. A fold whose training rows hold one class only (every
    positive in its test blocks, or buffered away) is refused: it could not be fitted,
    and its test rows would be left out of every skill figure.

    Parameters
    ----------
    n_splits
        Number of folds.
    block_size
        Block edge in CRS units.
    buffer
        Exclusion distance around the test rows (CRS units); 0 for none.
    random_state
        Seed for tie-breaking.
    units
        The CRS's unit in the plural, as messages state block sizes and buffers
        (:attr:`prospect.grid.RegionGrid.units`: ``metres``, ``degrees``); ``CRS units``
        where it is not known.
    """

    def __init__(self, *, n_splits: int = 5, block_size: float = 1000.0, buffer: float = 0.0,
                 random_state: int | None = 0, units: str = "CRS units") -> None:
        self.n_splits = n_splits
        self.block_size = block_size
        self.buffer = buffer
        self.random_state = random_state
        self.units = units

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of folds."""
        return self.n_splits

    def blocks_of(self, coords: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        """Block id of every row, the rows of each group in one block
        (:func:`assign_blocks`, :func:`group_blocks`)."""
        return group_blocks(coords, assign_blocks(coords, self.block_size), groups)

    def fold_of(self, coords: np.ndarray, y: np.ndarray,
                groups: np.ndarray | None = None) -> np.ndarray:
        """Fold index of every row (the rows of one group in one fold)."""
        y = np.asarray(y)
        blocks = self.blocks_of(coords, groups)
        n_blocks = int(blocks.max()) + 1
        if n_blocks < self.n_splits:
            raise ModelError(
                f"spatial CV: only {n_blocks} blocks of {self.block_size:g} {self.units} hold "
                f"samples, fewer than n_splits={self.n_splits}"
                + block_size_hint(coords, self.n_splits, self.units))
        pos = np.bincount(blocks, weights=(y > 0).astype("f8"), minlength=n_blocks)
        size = np.bincount(blocks, minlength=n_blocks).astype("f8")
        rng = np.random.default_rng(self.random_state)
        order = np.lexsort((rng.random(n_blocks), -size, -pos))
        fold_pos = np.zeros(self.n_splits)
        fold_size = np.zeros(self.n_splits)
        block_fold = np.empty(n_blocks, dtype="i8")
        for b in order:
            # positives balanced first; a block without one goes where negatives are
            # fewest (by positives it went to the folds with fewest positives, and the
            # fold with most could get no negative at all: a test fold of one class)
            f = int(np.lexsort((fold_size, fold_pos))[0]) if pos[b] > 0 else \
                int(np.lexsort((fold_pos, fold_size - fold_pos))[0])
            block_fold[b] = f
            fold_pos[f] += pos[b]
            fold_size[f] += size[b]
        return block_fold[blocks]

    def split(self, X: Any, y: Any = None, groups: Any = None, *,
              coords: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` row indices.

        Parameters
        ----------
        X
            Rows (only their count is used unless ``coords`` is ``None``).
        y
            Labels, used to balance positives across folds.
        groups
            Group of each row (``None``: every row its own): rows of one group are never
            split between folds (the cells of one occurrence polygon).
        coords
            ``(n, 2)`` x/y of each row in CRS units. When ``None``, ``X`` must be the
            coordinates themselves.
        """
        coords = np.asarray(X if coords is None else coords, dtype="f8")
        if coords.ndim != 2 or coords.shape[1] != 2:
            raise ModelError("spatial CV needs (n, 2) coordinates of the samples")
        labelled = y is not None
        y = np.zeros(len(coords)) if y is None else np.asarray(y)
        folds = self.fold_of(coords, y, groups)
        grouped = groups is not None and np.unique(groups).size < len(coords)
        tree = cKDTree(coords) if self.buffer > 0 else None
        for f in range(self.n_splits):
            test = np.flatnonzero(folds == f)
            before = y[folds != f] if labelled else None
            train_mask = _buffered_train(coords, folds, tree, f, self.buffer)
            try:
                self._check_training(f, before, y[train_mask] if labelled else None,
                                     int(train_mask.sum()), int((y[test] > 0).sum()),
                                     grouped=grouped)
            except ModelError as exc:
                if tree is None or "the buffer of" not in str(exc):
                    raise
                raise ModelError(str(exc) + self._buffer_hint(coords, y, folds, tree)) \
                    from None
            yield np.flatnonzero(train_mask), test

    def _buffer_hint(self, coords: np.ndarray, y: np.ndarray, folds: np.ndarray,
                     tree: Any) -> str:
        """The tail of the "buffer leaves no training rows" message: how far the samples
        span and the largest buffer (two significant figures, down from the one given)
        that leaves every fold training rows of both classes."""
        span = coords.max(axis=0) - coords.min(axis=0)
        said = f"; the {len(coords)} samples span {span[0]:.4g} x {span[1]:.4g} {self.units}"
        edge = floor_2_figures(min(self.buffer, float(span.max())))
        for _ in range(30):
            edge = floor_2_figures(edge)
            if edge <= 0:
                break
            if all(self._fold_fits(coords, y, folds, tree, f, edge)
                   for f in range(self.n_splits)):
                return (f"{said}; a buffer of {edge:g} {self.units} or less leaves every "
                        "fold both classes")
            edge = edge / 1.25
        return said

    @staticmethod
    def _fold_fits(coords: np.ndarray, y: np.ndarray, folds: np.ndarray, tree: Any,
                   fold: int, buffer: float) -> bool:
        """Whether fold ``fold``'s training rows, less those within ``buffer`` of its
        test rows, hold both classes."""
        kept = y[_buffered_train(coords, folds, tree, fold, buffer)] > 0
        return bool(kept.any() and not kept.all())

    def _check_training(self, fold: int, before: np.ndarray | None,
                        y_train: np.ndarray | None, n_train: int, test_positives: int,
                        *, grouped: bool = False) -> None:
        """Refuse a fold with nothing to learn from (no training rows, or one class only):
        its fit was skipped, its test rows left out of every skill figure (all positives in
        one fold: the pooled ROC AUC was undefined and the run said "0 positives"), and no
        skill could be measured. ``before`` are the training labels before the buffer."""
        positives = None if y_train is None else int((y_train > 0).sum())
        if n_train and (positives is None or 0 < positives < n_train):
            return
        held = f"{n_train} training rows" + ("" if positives is None else
                                              f" ({positives} positive)")
        one_class = before is not None and (
            not (before > 0).any() or (before > 0).all())
        if self.buffer > 0 and not one_class:
            raise ModelError(
                f"spatial CV: the buffer of {self.buffer:g} {self.units} around fold {fold}'s "
                f"test rows leaves {held} to fit on; lower model.cv.buffer (or "
                "model.cv.block_size, so that blocks lie farther apart than the buffer)")
        kind = "positive" if positives == 0 else "negative"
        where = (f"all {test_positives} positives lie in its test blocks"
                 if positives == 0 else f"every {kind} lies in its test blocks")
        raise ModelError(
            f"spatial CV: fold {fold}'s training rows hold no {kind} ({held}; {where} of "
            f"{self.block_size:g} {self.units}), so the fold cannot be fitted and no skill can "
            "be measured; lower model.cv.block_size so that the positives span several "
            "blocks, or add occurrences elsewhere"
            + ("; the cells of one occurrence polygon stay in one fold, so a polygon holding "
               "most positives needs model.labels.polygons: centroid or more occurrences"
               if grouped else ""))


def random_folds(
    y: np.ndarray, *, n_splits: int, seed: int = 0, groups: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified random K-fold (shuffled, seeded), for comparison with spatial folds.

    With ``groups`` of more than one row (the cells of one occurrence polygon), scikit-
    learn's ``StratifiedGroupKFold`` keeps each group in one fold; otherwise (point
    occurrences) the folds are ``StratifiedKFold``'s, as before.
    """
    y = np.asarray(y)
    n_splits = min(n_splits, int(np.bincount((y > 0).astype(int)).min()))
    if n_splits < 2:
        raise ModelError("random CV needs at least two positives and two background samples")
    if groups is not None and np.unique(groups).size < len(y):
        from sklearn.model_selection import StratifiedGroupKFold

        sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        return list(sgkf.split(np.zeros((len(y), 1)), y, groups=np.asarray(groups)))
    skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(skf.split(np.zeros((len(y), 1)), y))


_PAIR_BLOCK = 2_000_000  # distances held at once (16 MB of float64)


def _diameter(coords: np.ndarray) -> float:
    """The largest distance between two of ``coords`` (``(n, 2)``): the largest between
    the vertices of their convex hull, without the n^2 distances (over every pair, a block
    of rows at a time, where the points lie on one line and there is no hull)."""
    from scipy.spatial import ConvexHull, QhullError
    from scipy.spatial.distance import cdist, pdist

    try:
        return float(pdist(coords[ConvexHull(coords).vertices]).max())
    except (QhullError, ValueError):
        step = max(1, _PAIR_BLOCK // len(coords))
        return max(float(cdist(coords[i: i + step], coords).max())
                   for i in range(0, len(coords), step))


_TREE_CLASSES = 8
"""Label values up to which :func:`label_variogram` counts the pairs of many rows by
KD-trees (one per value): 0/1 labels take two."""


def _tree_lag_sums(coords: np.ndarray, y: np.ndarray, classes: np.ndarray,
                   edges: np.ndarray, pairs: np.ndarray, gsum: np.ndarray) -> None:
    """Add every pair of rows to the lags ``[edges[k], edges[k + 1])`` (``pairs`` and
    ``gsum``, in place) without their distances: a KD-tree of the rows of each label value
    counts the pairs closer than each edge (:meth:`scipy.spatial.cKDTree.count_neighbors`),
    within one value and between two (whose pairs each add half their squared
    difference), and a lag's pairs are the counts' differences from edge to edge.

    The same counts as :func:`_lag_sums` over every distance, in memory of the rows, not
    of their pairs: 60 000 rows take some 20 s and 120 000 some 100 s (once per
    training, on 2 shared cores), where their 7.2 billion distances would hold 58 GB.
    Rows all at one place (no lag wider than 0) add nothing, as there."""
    from scipy.spatial import cKDTree

    if edges[-1] <= 0.0:
        return
    below = np.nextafter(edges[1:], -np.inf)  # pairs closer than an edge, not at it
    trees = [cKDTree(coords[y == value]) for value in classes]
    closer = np.zeros(len(below), dtype="i8")
    for i, first in enumerate(trees):
        own = first.count_neighbors(first, below).astype("i8")  # ordered, self included
        closer += (own - first.n) // 2
        for j in range(i + 1, len(trees)):
            across = first.count_neighbors(trees[j], below).astype("i8")
            closer += across
            gsum += 0.5 * (classes[i] - classes[j]) ** 2 * np.diff(np.r_[0, across])
    pairs += np.diff(np.r_[0, closer])


def _lag_sums(d: np.ndarray, g: np.ndarray, edges: np.ndarray,
              pairs: np.ndarray, gsum: np.ndarray) -> None:
    """Add pairs ``d`` apart, ``g`` half their squared label difference, to the lags
    ``[edges[k], edges[k + 1])`` (``pairs`` and ``gsum``, in place)."""
    n_lags = len(edges) - 1
    which = np.digitize(d, edges) - 1
    ok = (which >= 0) & (which < n_lags)
    pairs += np.bincount(which[ok], minlength=n_lags)
    gsum += np.bincount(which[ok], weights=g[ok], minlength=n_lags)


def label_variogram(
    coords: np.ndarray, y: np.ndarray, *, n_lags: int = 15, max_distance: float | None = None,
    max_pairs: int = 20_000_000, seed: int = 0,
) -> dict[str, Any]:
    """Empirical indicator variogram of the labels and a fitted spherical model.

    ``gamma(h)`` is half the mean squared difference of the 0/1 labels of the pairs of
    rows ``h`` apart (lags up to half the largest distance); a spherical model
    ``c0 + c (1.5 h/a - 0.5 (h/a)^3)`` (``c0 + c`` beyond ``a``) is fitted by weighted least
    squares (pairs per lag). Its range ``a`` is the distance beyond which labels are
    uncorrelated: spatial blocks at least this large keep test rows independent of the
    training rows (Roberts et al., 2017).

    Every pair of rows is counted: up to ``max_pairs`` pairs (6 325 rows) distance by
    distance, a block of rows at a time (memory bounded by :data:`_PAIR_BLOCK`
    distances); beyond that, the pairs of each lag are counted by KD-trees of the rows of
    each label value (:func:`_tree_lag_sums`, memory bounded by the rows), which needs
    labels of at most :data:`_TREE_CLASSES` values. Labels of more values beyond
    ``max_pairs`` take the pairs of a seeded random subset of rows giving ``max_pairs``,
    and ``rows_used`` says so. (A subset of 400 000 pairs, 895 of the Great Basin job's
    1 389 rows, fitted a range of 324 km where every pair gives 228 km, and with another
    seed 774 km: the fit of a flat variogram moves with the rows drawn.)

    Returns
    -------
    dict
        ``lags``, ``gamma``, ``pairs`` (the empirical variogram), ``nugget``, ``sill``,
        ``range`` and ``fitted`` (False when the fit failed: ``range`` is then the lag where
        ``gamma`` first reaches 95 % of its maximum), ``structured`` (False for a pure
        nugget: the range is then the first lag), ``rows`` (the rows given) and
        ``rows_used`` (the rows whose every pair was counted).
    """
    from scipy.optimize import curve_fit
    from scipy.spatial.distance import cdist, pdist

    coords = np.asarray(coords, "f8")
    y = np.asarray(y, "f8")
    rng = np.random.default_rng(seed)
    rows = n = len(y)
    classes = np.unique(y)
    many = n * (n - 1) // 2 > max_pairs
    if many and classes.size > _TREE_CLASSES:  # subsample rows: pairs grow with n^2
        keep = rng.choice(n, size=int(np.sqrt(2 * max_pairs)) + 1, replace=False)
        coords, y = coords[keep], y[keep]
        n = len(y)
    pairs = np.zeros(n_lags, dtype="i8")
    gsum = np.zeros(n_lags)
    if many and classes.size <= _TREE_CLASSES:  # every pair, counted by a KD-tree
        top = float(max_distance or _diameter(coords) / 2.0)
        edges = np.linspace(0.0, top, n_lags + 1)
        _tree_lag_sums(coords, y, classes, edges, pairs, gsum)
    elif n * (n - 1) // 2 <= _PAIR_BLOCK:  # every distance at once
        d = pdist(coords)
        top = float(max_distance or d.max() / 2.0)
        edges = np.linspace(0.0, top, n_lags + 1)
        _lag_sums(d, 0.5 * pdist(y[:, None], "sqeuclidean"), edges, pairs, gsum)
    else:  # rows i..i+step against every later row: each pair once
        top = float(max_distance or _diameter(coords) / 2.0)
        edges = np.linspace(0.0, top, n_lags + 1)
        step = max(1, _PAIR_BLOCK // n)
        for i in range(0, n - 1, step):
            mine = np.arange(i, min(i + step, n))
            later = np.arange(i + 1, n)[None, :] > mine[:, None]
            _lag_sums(cdist(coords[mine], coords[i + 1:])[later],
                      (0.5 * (y[mine, None] - y[None, i + 1:]) ** 2)[later],
                      edges, pairs, gsum)
    lags = 0.5 * (edges[1:] + edges[:-1])
    has = pairs > 0
    gamma = np.where(has, gsum / np.maximum(pairs, 1), np.nan)

    def spherical(h: np.ndarray, c0: float, c: float, a: float) -> np.ndarray:
        r = np.minimum(h / a, 1.0)
        return c0 + c * (1.5 * r - 0.5 * r**3)

    out: dict[str, Any] = {"lags": lags.tolist(), "gamma": gamma.tolist(),
                           "pairs": pairs.tolist(), "model": "spherical", "rows": rows,
                           "rows_used": n}
    gmax = float(np.nanmax(gamma)) if has.any() else 0.0
    try:
        (c0, c, a), _ = curve_fit(
            spherical, lags[has], gamma[has], p0=[0.0, max(gmax, 1e-6), top / 2.0],
            sigma=1.0 / np.sqrt(pairs[has]), bounds=([0.0, 0.0, edges[1] / 2.0],
                                                     [max(gmax, 1e-6), 2 * max(gmax, 1e-6),
                                                      2.0 * top]),
            maxfev=5000)
        # a partial sill under 10 % of the sill is no spatial structure: pure nugget
        structured = c > 0.1 * (c0 + c)
        out.update(nugget=float(c0), sill=float(c0 + c),
                   range=float(a) if structured else float(edges[1]), fitted=True,
                   structured=bool(structured))
    except (RuntimeError, ValueError):
        reach = np.flatnonzero(np.nan_to_num(gamma) >= 0.95 * gmax)
        out.update(nugget=float("nan"), sill=gmax,
                   range=float(lags[reach[0]]) if reach.size else float(top), fitted=False,
                   structured=False)
    return out


def auto_block_size(
    coords: np.ndarray, y: np.ndarray, *, n_splits: int, resolution: float, seed: int = 0,
) -> tuple[float, dict[str, Any]]:
    """Spatial block edge: the range of the labels' variogram, in whole cells.

    At least two cells; when blocks of the range would leave fewer than ``n_splits``
    blocks holding rows, the largest edge that leaves enough is used and the facts say so
    (``capped``). Returns the edge and the facts (variogram, range, capped).
    """
    vg = label_variogram(coords, y, seed=seed)
    edge = max(float(np.ceil(vg["range"] / resolution)) * resolution, 2.0 * resolution)
    capped = False
    while edge > 2.0 * resolution:
        if int(assign_blocks(coords, edge).max()) + 1 >= max(n_splits, 2) * 2:
            break
        edge = max(2.0 * resolution, float(np.floor(edge / 1.25 / resolution)) * resolution)
        capped = True
    return edge, {"variogram": vg, "range": vg["range"], "block_size": edge, "capped": capped}


def adjacent_positives(coords: np.ndarray, y: np.ndarray,
                       folds: list[tuple[np.ndarray, np.ndarray]], *, resolution: float,
                       buffer: float) -> dict[str, Any]:
    """Test positives with a training positive in a neighbouring cell, over the folds.

    Spatial blocks without a buffer leave occurrences that cluster across a block edge on
    both sides of it: a test positive whose neighbouring cell (within 1.5 cells, the
    eight around it) is a training positive is scored by a model that saw that very
    occurrence's neighbour, and the spatial figures read higher than on new ground
    (Roberts et al. 2017, Ecography 40: 913-929; Valavi et al. 2019, blockCV). The
    automatic buffer (1.5 cells) removes those training rows; a smaller ``cv.buffer``
    keeps them.

    Parameters
    ----------
    coords
        ``(n, 2)`` cell centres of the training rows.
    y
        Their labels (1: positive).
    folds
        ``(train, test)`` row indices of each spatial fold.
    resolution
        The cell size (CRS units).
    buffer
        The CV's buffer (CRS units).

    Returns
    -------
    dict
        ``test_positives`` (over the folds), ``next_to_training`` (how many of them have a
        training positive within 1.5 cells), ``within`` (that distance) and ``warning``
        (a line when any do and the buffer is under 1.5 cells, else ``None``).
    """
    coords, y = np.asarray(coords, "f8"), np.asarray(y)
    within = 1.5 * float(resolution)
    tested = near = 0
    for train, test in folds:
        test_pos = test[y[test] == 1]
        train_pos = train[y[train] == 1]
        tested += int(test_pos.size)
        if not test_pos.size or not train_pos.size:
            continue
        dist, _ = cKDTree(coords[train_pos]).query(coords[test_pos], k=1,
                                                   distance_upper_bound=within * (1 + 1e-9))
        near += int(np.isfinite(dist).sum())
    warning = None
    if near and buffer < within:
        warning = (
            f"spatial CV: {near} of the {tested} test positives have a training positive in "
            f"a neighbouring cell (within {within:g}, 1.5 cells) with model.cv.buffer "
            f"{buffer:g}: occurrences clustered across block edges are on both sides of "
            "the split, so the spatial figures read higher than on new ground; set "
            "model.cv.buffer: auto (1.5 cells) or larger")
    return {"test_positives": tested, "next_to_training": near, "within": within,
            "warning": warning}


def blocks_below_range(coords: np.ndarray, y: np.ndarray, cv: dict[str, Any], *,
                       resolution: float, seed: int = 0,
                       units: str = "CRS units") -> dict[str, Any]:
    """Whether the spatial CV's blocks are smaller than the labels' autocorrelation range.

    Blocks smaller than the range over which the labels are correlated leave test cells
    within that range of training cells, so the "spatial" figures read as skill what is
    proximity (Roberts et al. 2017; Valavi et al. 2019, blockCV, size blocks by the
    range). ``block_size: auto`` takes the range (:func:`auto_block_size`) unless it was
    capped so that every fold gets blocks; a ``block_size`` from the config was not
    compared with anything. The range is that of the spherical model fitted to the labels'
    indicator variogram (:func:`label_variogram`, the one ``auto`` uses); a pure nugget or
    a failed fit has no range to compare with.

    Parameters
    ----------
    coords, y
        Cell centres and labels of the training rows.
    cv
        The resolved CV facts (:func:`prospect.models.training.resolve_cv`):
        ``block_size``, ``block_size_from``, ``n_splits`` and, for ``auto``, ``variogram``
        and ``block_size_capped``.
    resolution
        The cell size (CRS units).
    seed
        Seed of the variogram's pair subsample (as ``auto``'s).
    units
        The CRS's unit in the plural, as the warning states distances
        (:attr:`prospect.grid.RegionGrid.units`).

    Returns
    -------
    dict
        ``labels_range`` (``None`` without a structured fit), ``below`` and ``warning`` (a
        line when the blocks are smaller than the range, else ``None``).
    """
    vg = cv.get("variogram") or label_variogram(coords, y, seed=seed)
    structured = bool(vg.get("fitted") and vg.get("structured"))
    reach = float(vg["range"]) if structured else None
    edge = float(cv["block_size"])
    below = reach is not None and edge < reach
    warning = None
    if below:
        assert reach is not None
        least = float(np.ceil(reach / resolution)) * resolution
        why = (f"they were capped below it so that {cv.get('n_splits')} folds get blocks; "
               "lower model.cv.n_splits, or add occurrences elsewhere"
               if cv.get("block_size_capped") else
               f"set model.cv.block_size to at least {least:g} {units} (or auto), with fewer "
               "model.cv.n_splits if the region then holds too few blocks")
        warning = (
            f"spatial CV: blocks of {edge:g} {units} are smaller than the range of the "
            f"labels' spatial autocorrelation ({reach:.6g} {units}, the spherical model of their "
            "indicator variogram): test cells lie within that range of training cells, so "
            "the spatial CV figures read proximity to known occurrences as skill and are "
            f"optimistic (Roberts et al. 2017; Valavi et al. 2019); {why}")
    return {"labels_range": reach, "below": below, "warning": warning}


def classes_unseen_in_folds(X: np.ndarray, y: np.ndarray,
                            folds: list[tuple[np.ndarray, np.ndarray]], *,
                            categorical: list[int], names: list[str],
                            groups: dict[int, dict[str, list[float]]] | None = None,
                            estimator: str | None = None, encoding: str = "onehot"
                            ) -> dict[str, Any]:
    """Test rows of a class that the fold's training rows never hold, over the folds.

    Spatial blocks put a mapped unit that lies in one block (a small intrusion, say) in
    that fold's test rows only: the fold's model never saw the class and scores its cells
    as no class it knows (one-hot encoding: every class column 0; target encoding: the
    training mean; weights of evidence: weight 0). The spatial figures then measure the
    model on a class it could not learn, which the final model, fitted on every row, did
    see. Roberts et al. (2017) name it extrapolation in blocked cross-validation.

    Parameters
    ----------
    X, y
        The training rows (class codes in the ``categorical`` columns) and their labels.
    folds
        ``(train, test)`` row indices of each spatial fold.
    categorical
        The categorical columns.
    names
        The names of the columns.
    groups
        Weights of evidence's class groups per categorical column (``model.params.evidence.
        <layer>.groups``: ``{group: [codes]}``, the codes no group names forming group
        "other"). Such a model weighs a group, not a class: a class the fold's training
        rows never hold is scored with its group's weight wherever the group is seen, so
        the groups are compared, and named, instead of the classes. Each class was
        compared: a rare class grouped with like ones, as the warning advised, was still
        said to be scored "as no class it knows" (weight 0).
    estimator, encoding
        The configured estimator (``model.estimator``) and, for any other than weights of
        evidence, its encoding of classes (``model.categorical``): the warning says what
        that model makes of a class it never saw, and the remedy its config offers
        (:func:`unseen_class_words`). ``None``: every encoder's reading, as before.

    Returns
    -------
    dict
        ``rows`` and ``positives`` (test rows, and positives among them, of a class unseen
        in their fold's training rows, over the folds), ``classes`` (per layer: class ->
        ``{"folds": [...], "rows", "positives"}``) and ``warning`` (a line when such rows
        hold a positive or are 1 % of the rows or more, else ``None``).
    """
    from prospect.models.woe_tables import group_codes

    X, y = np.asarray(X, "f8"), np.asarray(y)
    grouped = {j: g for j, g in (groups or {}).items() if g}
    labels = {j: [*g, "other"] for j, g in grouped.items()}
    columns = {j: group_codes(X[:, j], grouped[j]) if j in grouped else X[:, j]
               for j in categorical}
    found: dict[str, dict[float, dict[str, Any]]] = {}
    rows = positives = 0
    for k, (train, test) in enumerate(folds):
        for j in categorical:
            seen = np.unique(columns[j][train][np.isfinite(columns[j][train])])
            codes = columns[j][test]
            new = np.isfinite(codes) & ~np.isin(codes, seen)
            if not new.any():
                continue
            rows += int(new.sum())
            positives += int((y[test][new] == 1).sum())
            for code in np.unique(codes[new]):
                at = new & (codes == code)
                entry = found.setdefault(names[j], {}).setdefault(
                    float(code), {"folds": [], "rows": 0, "positives": 0,
                                  **({"group": labels[j][int(code) - 1]} if j in labels
                                     else {})})
                entry["folds"].append(k)
                entry["rows"] += int(at.sum())
                entry["positives"] += int((y[test][at] == 1).sum())
    warning = None
    if positives or rows >= 0.01 * len(y):  # a few background cells of a rare unit: not said
        listed = "; ".join(
            f"{name}: " + ", ".join(f"{_class_words(c, e)} ({e['rows']} rows, "
                                    f"{e['positives']} positive(s), fold "
                                    f"{', '.join(map(str, e['folds']))})"
                                    for c, e in sorted(classes.items())[:5])
            + (f" and {len(classes) - 5} more" if len(classes) > 5 else "")
            for name, classes in found.items())
        scored, remedy = unseen_class_words(estimator, encoding, list(found))
        warning = (
            f"spatial CV: {rows} test rows ({positives} positive) hold a class their fold's "
            f"training rows never do ({listed}): that fold's model scores them as no class "
            f"it knows ({scored}), so the spatial figures include a class the model could "
            f"not learn, which the final model did see (Roberts et al. 2017); {remedy}, or "
            "use larger blocks (model.cv.block_size) so that each class lies in several "
            "folds")
    return {"rows": rows, "positives": positives,
            "classes": {name: {(str(e["group"]) if "group" in e else f"{c:g}"): e
                               for c, e in classes.items()}
                        for name, classes in found.items()},
            "warning": warning}


def unseen_class_words(estimator: str | None, encoding: str,
                       layers: list[str]) -> tuple[str, str]:
    """What a fold's model of ``estimator`` (``model.estimator``; ``encoding``, its
    ``model.categorical``) makes of a class its training rows never held, and the remedy
    its config offers, for :func:`classes_unseen_in_folds`'s warning.

    The warning listed every encoder's reading at once ("one-hot: ...; target encoding:
    the mean; weights of evidence: weight 0") whatever the job's model was, and told a
    random forest's user to "group rare classes with like ones", which only weights of
    evidence's ``model.params.evidence.<layer>.groups`` does.

    Returns
    -------
    tuple of str
        ``(treatment, remedy)``. ``estimator`` ``None``: every encoder's reading, as
        before.
    """
    if estimator is None:
        return ("one-hot: no class column set; target encoding: the mean; weights of "
                "evidence: weight 0", "group rare classes with like ones")
    named = ", ".join(f"model.params.evidence.{n}.groups" for n in layers[:3])
    if estimator == "weights_of_evidence":
        return ("weights of evidence: weight 0 for that layer, as a cell without its "
                "evidence", f"group rare classes with like ones ({named})")
    treatment = ("target encoding: the training rows' mean share of positives"
                 if encoding == "target" else "one-hot encoding: no class column set")
    return (f"{treatment}, for {estimator}",
            "recode rare classes into like ones in the geology layer's code table (only "
            "weights of evidence groups classes in its config)")


def _class_words(code: float, entry: dict[str, Any]) -> str:
    """``class 7``, or ``class group 'granites'`` for weights of evidence's groups."""
    return f"class group {entry['group']!r}" if "group" in entry else f"class {code:g}"
