"""Is a cube's evidence like the evidence a model was trained on?

The input schema (:mod:`prospect.registry.schema`) checks names, units strings, kinds and
code tables. It cannot see values: a layer ingested in percent for training and as a
fraction for scoring (both with ``units: "1"`` or none), in ppm then in %, or a geology map
holding a unit the model never saw, scored without a word, and the map was wrong.

The train stage records what each cube variable held at the training cells
(:func:`training_values`: quantiles of a continuous layer, the codes of a categorical
one) in the schema entry's ``training``. :func:`input_warnings` compares a cube with it
before scoring, in the job's process: the values of each continuous layer on a sample of
its chunks (its spread a factor of :data:`SPREAD_FACTOR` or more off, or most of it outside
the training range), the share of sampled cells outside the training range of any of
those layers at once (:func:`extrapolation`, from :data:`EXTRAPOLATED_SHARE`), a common fill
value far outside a layer's training range on any sampled cell (:func:`fill_value_lines`),
and the
codes of each categorical layer (the code table of a layer Prospect wrote first, another
tool's layer whatever its table says; codes the model never saw are
counted over every cell, and said with what the model's map holds there,
:func:`unseen_code_treatment`: a one-hot encoder scores them as "none of the known
classes", a target encoder as the training rows' mean, weights of evidence with no weight
or as their class group).
A variable made from the same inputs with the same settings on the same grid as at
training (the same ``prospect_fingerprint``, :func:`same_evidence`: the usual
train-then-score job) is the training evidence itself and is not read. Schemas saved
before the record was kept are not compared. A record holding a common fill far outside
its other values (a model trained before the train stage took such a fill as no data, a
categorical layer's 255 among codes 1..12) is said, and read without it
(:func:`recorded_fills`): its map takes that fill as no data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from prospect.features.stack import FILL_MAGNITUDE
from prospect.models.metrics import percent

__all__ = [
    "EXTRAPOLATED_SHARE",
    "EXTRAPOLATION_METHOD",
    "OUTSIDE_SHARE",
    "SPREADS",
    "SPREAD_FACTOR",
    "UNSEEN_AS_NONE",
    "extrapolation",
    "extrapolation_lines",
    "far_fill_counts",
    "far_fill_stats",
    "fill_value_lines",
    "fills_among",
    "fills_far_outside",
    "input_comparison",
    "input_warnings",
    "mask_far_fills",
    "named_codes",
    "recorded_fill_lines",
    "recorded_fills",
    "same_evidence",
    "spread_ratio",
    "training_values",
    "unseen_code_lines",
    "unseen_code_treatment",
    "value_lines",
    "without_recorded_fills",
]

SPREAD_FACTOR = 10.0
"""A continuous layer whose 5-95 % spread is this many times wider or narrower than in
training is warned of (percent vs fraction is 100, ppm vs % 10 000)."""
OUTSIDE_SHARE = 0.5
"""A continuous layer with at least this share of its sampled cells outside the training
range (widened by 5 % of it on each side) is warned of."""
EXTRAPOLATED_SHARE = 0.05
"""A cube with at least this share of its sampled cells outside the training range of
one or more continuous layers at once is warned of (the map there is extrapolated)."""
EXTRAPOLATION_METHOD = (
    "share of sampled cells with a negative MESS (Elith et al. 2010): a value outside the "
    "training min..max of at least one continuous layer; not the dissimilarity-index area "
    "of applicability of Meyer & Pebesma 2021 (no importance weights, no distance to the "
    "training rows, no cross-validated threshold)")
"""What :func:`extrapolation`'s share is, as recorded beside it."""
SAMPLE_CHUNKS = 4
"""Chunks of each continuous layer read for the comparison (evenly spread over the grid;
read in the job's process, so few)."""
CELLS_PER_CHUNK = 4096
"""Cells taken from each sampled chunk (a regular stride)."""
_QUANTILES = {"q01": 0.01, "q05": 0.05, "q50": 0.5, "q95": 0.95, "q99": 0.99}


def training_values(X: np.ndarray, variables: Sequence[str],
                    categorical: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """What each cube variable held at the training rows, for the input schema.

    Parameters
    ----------
    X
        The training rows; column ``i`` is ``variables[i]`` (derived columns after them
        are ignored).
    variables
        The cube variables, in column order.
    categorical
        The variables holding class codes.

    Returns
    -------
    dict
        Per variable: ``{"n", "min", "max", "q01", "q05", "q50", "q95", "q99"}`` of a
        continuous one, ``{"n", "codes"}`` (the distinct codes, sorted) of a categorical one.
    """
    out: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(variables):
        col = np.asarray(X[:, j], dtype="f8")
        col = col[np.isfinite(col)]
        if col.size == 0:
            continue
        if name in categorical:
            out[name] = {"n": int(col.size), "codes": [_code(c) for c in np.unique(col)]}
            continue
        q = np.quantile(col, list(_QUANTILES.values()))
        out[name] = {"n": int(col.size), "min": float(col.min()), "max": float(col.max()),
                     **{k: float(v) for k, v in zip(_QUANTILES, q, strict=True)}}
    return out


def _code(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _windows(da: xr.DataArray) -> list[dict[str, slice]]:
    """:data:`SAMPLE_CHUNKS` chunk windows of ``da``'s last two dimensions, spread over the
    grid (every chunk of a small cube)."""
    dims = [str(d) for d in da.dims[-2:]]
    edges = []
    for dim, size in zip(dims, da.shape[-2:], strict=True):
        sizes = da.chunksizes.get(dim, (size,)) if da.chunks is not None else (size,)
        stops = np.cumsum(sizes)
        edges.append([slice(int(b - s), int(b)) for s, b in zip(sizes, stops, strict=True)])
    cells = [(a, b) for a in edges[0] for b in edges[1]]
    pick = np.unique(np.linspace(0, len(cells) - 1, min(SAMPLE_CHUNKS, len(cells)))
                     .round().astype(int))
    return [dict(zip(dims, cells[i], strict=True)) for i in pick]


def _strided(da: xr.DataArray) -> list[np.ndarray]:
    """Per sampled chunk window of ``da`` (:func:`_windows`), up to
    :data:`CELLS_PER_CHUNK` of its cells on a regular stride, missing ones kept as NaN:
    the same cells, in the same order, for every variable of one grid and chunking."""
    import dask

    blocks = dask.compute(*(da.isel(window).data for window in _windows(da)),
                          scheduler="synchronous")  # in this process (see _blocks)
    out = []
    for b in blocks:
        block = np.asarray(b).reshape(-1, np.shape(b)[-1])
        step = max(1, int(np.ceil(np.sqrt(block.size / CELLS_PER_CHUNK))))
        out.append(_as_values(da, block[::step, ::step]).ravel())
    return out


def _as_values(da: xr.DataArray, block: Any) -> np.ndarray:
    """``block`` of ``da`` as float64 values, its declared fill (``_FillValue`` of an
    integer layer, as the feature stack reads it) and an undeclared one of
    :data:`~prospect.features.stack.FILL_MAGNITUDE` or more NaN.

    An integer layer warped onto a model's grid (``prospect score --reproject``) holds its
    fill outside the cube: read as values, the fill of an int16 layer (-32768) was
    evidence far outside the training range and a uint8 table's (255) a code the model
    never saw, on every reprojected score.
    """
    values = np.asarray(block, dtype="f8")
    if np.issubdtype(da.dtype, np.floating):  # an undeclared fill, as the stack takes it
        values = np.where(np.abs(values) >= FILL_MAGNITUDE, np.nan, values)
    fill = da.attrs.get("_FillValue", da.encoding.get("_FillValue"))
    if fill is None or not np.issubdtype(da.dtype, np.integer):
        return values
    try:
        fill = float(fill)
    except (TypeError, ValueError):
        return values
    return np.where(values == fill, np.nan, values)


def extrapolation(samples: Mapping[str, np.ndarray],
                  seen: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The share of sampled cells whose evidence lies outside the training range.

    A cell is outside when any continuous layer's value lies below the least or above the
    greatest value at the training cells (``seen``, :func:`training_values`): a model
    scores such a cell by extrapolation (a tree holds its last leaf, a linear model keeps
    its slope), where it was never checked.

    What the figure is: the share of sampled cells whose multivariate environmental
    similarity (MESS; Elith, Kearney & Phillips 2010, Methods Ecol. Evol. 1: 330-342) to
    the training rows is negative -- MESS is below 0 exactly where one variable lies
    outside its reference range -- over the continuous layers (categorical ones: their
    unseen codes are counted apart), on the cells :func:`input_comparison` samples.

    What it is not: the area of applicability of Meyer & Pebesma (2021, Methods Ecol.
    Evol. 12: 1620-1633). Their dissimilarity index is the distance, in standardized
    feature space weighted by each feature's importance, from a cell to its nearest
    training row, over the mean distance between training rows, thresholded at the
    upper whisker of the training rows' own index under cross-validation. That needs the
    training rows, which a saved model does not carry, and it differs both ways: a cell
    outside the range of a layer the model does not use (importance 0) may lie inside
    their area, and a cell inside every range may be far from every training row (a
    combination of values never seen together) and lie outside it. The result says so in
    ``method``.
    Parameters
    ----------
    samples
        Per variable, the same sampled cells (NaN where missing).
    seen
        Per variable, its training record (``min``, ``max``).

    Returns
    -------
    dict
        ``cells`` (sampled cells with a value in every layer), ``outside`` (of them,
        outside one training range or more), ``share`` and ``by_variable`` (each layer's
        share outside its own range, over the same cells).
    """
    names = [n for n in samples if {"min", "max"} <= set(seen.get(n) or {})]
    if not names:
        return {"cells": 0, "outside": 0, "share": None, "by_variable": {},
                "method": EXTRAPOLATION_METHOD}
    stack = np.vstack([np.asarray(samples[n], "f8") for n in names])
    valued = np.isfinite(stack).all(axis=0)
    stack = stack[:, valued]
    lo = np.array([float(seen[n]["min"]) for n in names])[:, None]
    hi = np.array([float(seen[n]["max"]) for n in names])[:, None]
    out_of = (stack < lo) | (stack > hi)
    cells = int(stack.shape[1])
    outside = int(out_of.any(axis=0).sum())
    return {"cells": cells, "outside": outside,
            "share": outside / cells if cells else None,
            "by_variable": {n: (float(out_of[i].mean()) if cells else None)
                            for i, n in enumerate(names)},
            "method": EXTRAPOLATION_METHOD}


def extrapolation_lines(found: Mapping[str, Any]) -> list[str]:
    """The warning for an :func:`extrapolation` share of :data:`EXTRAPOLATED_SHARE` or
    more, or ``[]``."""
    share = found.get("share")
    if share is None or share < EXTRAPOLATED_SHARE:
        return []
    worst = sorted(found["by_variable"].items(), key=lambda kv: -(kv[1] or 0.0))[:3]
    layers = ", ".join(f"{n!r} {percent(v, 0)}%" for n, v in worst if v)
    return [f"{percent(share, 0)}% of the cube's sampled cells ({found['outside']} of "
            f"{found['cells']}) hold a value outside the range a continuous layer had at "
            f"the training cells (by layer: {layers}; a negative MESS, Elith et al. "
            "2010): the map there is extrapolated beyond the evidence the model was "
            "checked on; read it there as unsupported, or retrain with occurrences and "
            "background that span this evidence (a range check, not the area of "
            "applicability of Meyer & Pebesma 2021: cells inside every range may still be "
            "unlike any training cell)"]


def _table_is_whole(da: xr.DataArray) -> bool:
    """Whether ``da``'s code table (``flag_values``) lists every code its cells hold: a
    layer a Prospect stage wrote (``prospect_fingerprint``; its geology ingest maps each
    unit to a code of its table, :mod:`prospect.ingest.geology`).

    A cube of another tool states a CF legend its data need not keep to (a unit mapped
    after the legend was written, a neighbouring survey's code): trusting it, a code the
    model never saw was scored without the unseen-code warning.
    """
    return bool(da.attrs.get("prospect_fingerprint"))


def _unseen(da: xr.DataArray, known: Sequence[float]) -> dict[float, int]:
    """``{code: cells}`` of the codes of ``da`` not in ``known``. A layer Prospect wrote
    whose code table (``flag_values``) holds no other code is not read
    (:func:`_table_is_whole`); another tool's layer is read whatever its table says."""
    ref = np.asarray(known, dtype="f8")
    table = da.attrs.get("flag_values")
    if table is not None and _table_is_whole(da):
        with contextlib.suppress(TypeError, ValueError):  # a table of words: read it
            if np.isin(np.asarray(table, dtype="f8"), ref).all():
                return {}
    found: dict[float, int] = {}
    for block in _blocks(da):  # band by band: memory of one band, not of the layer
        values = _as_values(da, block).ravel()
        new = values[np.isfinite(values) & ~np.isin(values, ref)]
        codes, counts = np.unique(new, return_counts=True)
        for c, n in zip(codes, counts, strict=True):
            found[float(c)] = found.get(float(c), 0) + int(n)
    return dict(sorted(found.items()))


def _blocks(da: xr.DataArray) -> Iterator[np.ndarray]:
    """The rows of chunks of ``da`` one at a time, read in this process (off the
    cluster, so the score stage's tasks stay those ``prospect plan`` counts).

    The whole layer was read as one array, and copied as float64 twice more, to count its
    codes: a geology map of 20 000 x 20 000 cells held 1.6 GB as float32 and took about
    5 GB of the job's process at once (a laptop's memory) beside the scoring.
    """
    data = da.data
    if not hasattr(data, "blocks"):  # a numpy-backed layer: already in memory
        yield np.asarray(data)
        return
    for row in range(data.numblocks[0]):  # a band of the grid: memory of one band
        yield np.asarray(data.blocks[row].compute(scheduler="synchronous"))


SPREADS: tuple[tuple[str, str, float, float, str], ...] = (
    ("q05", "q95", 0.05, 0.95, "5-95 %"),
    ("q01", "q99", 0.01, 0.99, "1-99 %"),
    ("min", "max", 0.0, 1.0, "min-max"),
)
"""The spreads :func:`spread_ratio` compares, narrowest first: the training record's keys,
the cube sample's quantiles and the words naming them."""


def spread_ratio(seen: Mapping[str, Any], sample: np.ndarray
                 ) -> tuple[float, str, str, str] | None:
    """The cube sample's spread over the training spread, on the narrowest of
    :data:`SPREADS` that is above 0 at the training cells.

    A layer holding one value at most training cells (a fraction of a rare rock type, 0
    at 97 % of them; a geochemical surface at its detection limit) has no 5-95 % spread,
    and its spread was not compared at all: the same layer in percent instead of a
    fraction (100 x), both with ``units: "1"``, scored without a word. Its 1-99 % or
    min-max spread is compared instead.

    Returns
    -------
    tuple or None
        ``(ratio, words, the cube's "lo to hi", the training's "lo to hi")``, the words
        naming the spread (``"5-95 %"``, ``"1-99 %"``, ``"min-max"``); ``None`` when no
        spread is above 0 at the training cells. A ratio of 0: the cube's layer holds one
        value over that spread where the training cells spread (a fill written as a
        value, a blank raster, a grid far coarser than the region); it was ``None``, and
        a layer of one value inside the training range was scored without a word.
    """
    for lo, hi, q_lo, q_hi, words in SPREADS:
        if lo not in seen or hi not in seen:
            continue
        t_lo, t_hi = float(seen[lo]), float(seen[hi])
        if not t_hi > t_lo:
            continue
        c_lo, c_hi = (float(v) for v in np.quantile(sample, [q_lo, q_hi]))
        if not c_hi >= c_lo:  # NaN
            return None
        return (c_hi - c_lo) / (t_hi - t_lo), words, f"{c_lo:.4g} to {c_hi:.4g}", \
            f"{t_lo:.4g} to {t_hi:.4g}"
    return None


def _common_fills() -> list[float]:
    """:data:`prospect.ingest.fills.COMMON_FILLS` but 0 and -1, below
    :data:`~prospect.features.stack.FILL_MAGNITUDE`: the fills taken as no data far
    outside a range."""
    from prospect.ingest.fills import COMMON_FILLS

    return [f for f in COMMON_FILLS if f not in (0.0, -1.0) and abs(f) < FILL_MAGNITUDE]


def _is_common_fill(value: float, fills: Sequence[float]) -> bool:
    """Whether ``value`` is one of ``fills`` (as :func:`fills_far_outside` matches them)."""
    return any(abs(value - f) <= 1e-6 * abs(f) for f in fills)


def recorded_fills(seen: Mapping[str, Any], named: Collection[float] = ()) -> dict[str, Any]:
    """The common fills that a continuous training record ``seen``
    (:func:`training_values`) holds at its ends, far outside its other recorded values,
    with the range of those values; ``{}`` where there is none.

    A model trained before the train stage took such a fill as no data
    (:func:`fills_among`, round 48) learnt it as evidence, and its record kept it:
    ``min`` -9999 beside quantiles of 0..1. Its map then scored the fill as inside the
    training range. The rule is :func:`fills_among`'s, on the recorded values: an end
    (``min`` or ``max``) that is a common fill lying further outside the other recorded
    values than their own width. The quantiles equal to a fill are no values, and the
    one next to them may be interpolated between the fill and the first value (30 rows of
    -9999 in 600 make ``q05`` -499.9): it is no value either where it lies further
    outside the others than their width. A record mostly of a fill (its median the fill:
    a survey covering part of the region, its margin sampled as background) is read
    alike, as :func:`fills_among` reads such rows: the values left (at least two distinct
    ones, all on one side of the fill; they are one tail of the training values, so the
    one next to the fill is taken as interpolated towards it only where it lies nearer
    the fill than the others: 570 rows of -9999 in 600 make ``q95`` -9499.05, which kept
    the fill inside the range) tell the range; they do not tell where the
    training values ended on the fill's side, so :func:`without_recorded_fills` leaves
    the record without its quantiles there and it is compared no further than its fills.
    A categorical record (``codes``) of one class code besides a fill (``[1, 255]``) is
    read as :func:`fills_among` reads codes (``[0, 255]`` too where the cube's code table
    ``named`` names 0 and not 255).

    Parameters
    ----------
    seen
        The training record of one continuous layer.
    named
        The codes the cube's code table names (:func:`named_codes`), for a categorical
        record: classes, never fills.

    Returns
    -------
    dict
        ``{"fills": [fill, ...], "lo": least, "hi": greatest, "kept": [key, ...]}``: the
        fills, the range of the other recorded values and the keys of the record that
        hold them; or ``{}``.
    """
    codes = seen.get("codes")
    if isinstance(codes, list):  # a categorical layer's codes: fills_among's rule
        try:
            among, least, most = fills_among(np.asarray(codes, "f8"), codes=True,
                                             named=named)
        except (TypeError, ValueError):
            return {}
        return {"fills": sorted(among), "lo": least, "hi": most, "kept": []} if among else {}
    keys = [k for k in ("min", *_QUANTILES, "max") if k in seen]
    try:
        record = {k: float(seen[k]) for k in keys}
    except (TypeError, ValueError):
        return {}
    if "q50" not in record or not all(np.isfinite(list(record.values()))):
        return {}
    fills = _common_fills()
    kept = [k for k in keys if not _is_common_fill(record[k], fills)]
    if "q50" not in kept and (len(kept) < 2 or keys.index(kept[-1]) - keys.index(kept[0])
                              != len(kept) - 1):
        return {}  # mostly a fill: the others must be a run of its keys, the fill at an end
    for side in (0, -1):  # one value next to a fill's may be interpolated towards it
        if len(kept) > 2 and _is_common_fill(record[keys[side]], fills):
            rest = [record[k] for k in kept if k != kept[side]]
            value = record[kept[side]]
            if "q50" in kept:
                width = max(rest) - min(rest)
                if not min(rest) - width <= value <= max(rest) + width:
                    kept.remove(kept[side])
            elif abs(value - record[keys[side]]) < abs(value - (min(rest) if side == 0
                                                                 else max(rest))):
                # a record mostly of a fill: its values left are one tail, so only a
                # value nearer the fill than them is taken as interpolated towards it
                # (570 rows of -9999 in 600 make q95 -9499.05)
                kept.remove(kept[side])
    values = [record[k] for k in kept]
    if len(set(values)) < 2:
        return {}
    lo, hi = min(values), max(values)
    width = hi - lo
    found = sorted({record[k] for k in ("min", "max") if k in record
                    and _is_common_fill(record[k], fills)
                    and (record[k] < lo - width or record[k] > hi + width)})
    return {"fills": found, "lo": lo, "hi": hi, "kept": kept} if found else {}


def without_recorded_fills(seen: Mapping[str, Any]) -> Mapping[str, Any]:
    """``seen`` without the common fills it holds (:func:`recorded_fills`): its ``min``
    and ``max`` the range of its other recorded values, the quantiles that held a fill
    (or were interpolated towards one) left out; ``seen`` itself where it holds none.

    A record that lost a quantile (a fill at 1 % of the rows or more) no longer tells
    where the training values ended on that side: :func:`input_comparison` then compares
    the cube's values with it no further than its fills."""
    found = recorded_fills(seen)
    if not found:
        return seen
    out = {k: v for k, v in seen.items() if k in found["kept"] or k not in
           ("min", *_QUANTILES, "max")}
    out["min"], out["max"] = found["lo"], found["hi"]
    return out


def _whole_record(seen: Mapping[str, Any]) -> bool:
    """Whether the training record ``seen`` holds every quantile of
    :func:`training_values`, so its range can be compared with (:func:`value_lines`,
    :func:`extrapolation`)."""
    return set(_QUANTILES) <= set(seen)


def recorded_fill_lines(name: str, seen: Mapping[str, Any],
                        named: Collection[float] = ()) -> list[str]:
    """The warning for variable ``name`` whose training record ``seen`` (a continuous
    layer's range, a categorical layer's codes) holds a common fill
    (:func:`recorded_fills`; ``named``: the codes the cube's table names), or ``[]``: the
    model learnt that fill as evidence (or as a class); its map takes such cells as no
    data."""
    found = recorded_fills(seen, named)
    if not found:
        return []
    said = " and ".join(f"{v:.10g}" for v in found["fills"])
    kept = found["kept"]
    other = "codes" if isinstance(seen.get("codes"), list) else "training values"
    learnt = "a class" if other == "codes" else "evidence"
    ends = (f"{found['lo']:.4g} to {found['hi']:.4g}" if not kept else  # name what is known
            f"{kept[0]} {found['lo']:.4g} to {kept[-1]} {found['hi']:.4g}")
    if not kept and found["lo"] == found["hi"]:  # a layer of one class code besides it
        ends = f"{found['lo']:.4g} only"
    return [f"variable {name!r}: the model's training record holds {said}, a common fill "
            f"value far outside its other {other} ({ends}), not declared as the layer's "
            "nodata: the model was trained "
            f"on cells of that fill as {learnt} (made before Prospect took such a fill as no "
            "data in training), so its fit and skill figures count them; the map takes such "
            "cells as no data (left unscored, or scored without the layer by weights of "
            f"evidence), not as {learnt}; retrain the model (prospect train) with the fill "
            f"declared as the source's nodata (nodata: {found['fills'][0]:.10g})"]


def _far_fills(seen: Mapping[str, Any], dtype: Any, named: Collection[float] = ()
               ) -> tuple[float, float, list[float]]:
    """The bounds beyond which a value is far outside the training range ``seen`` (by
    more than the range's own width), and the common fills (:data:`prospect.ingest.fills.
    COMMON_FILLS` but 0 and -1, below :data:`~prospect.features.stack.FILL_MAGNITUDE`, and
    the integer ``dtype``'s limits) that are taken as no data there (``named``: the codes
    the cube's table names, :func:`recorded_fills`)."""
    found = recorded_fills(seen, named)
    if found:  # a model trained on such a fill: the range of its other values
        lo, hi = found["lo"], found["hi"]
    elif isinstance(seen.get("codes"), list):  # a categorical layer: its codes' range
        codes = np.asarray(seen["codes"], "f8")
        lo, hi = float(codes.min()), float(codes.max())
    else:
        lo, hi = float(seen["min"]), float(seen["max"])
    width = max(hi - lo, 1e-12 * max(abs(lo), abs(hi), 1.0))
    fills = _common_fills()
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(np.dtype(dtype))
        fills += [float(info.min), float(info.max)]
    return lo - width, hi + width, fills


def named_codes(da: xr.DataArray) -> set[float]:
    """The codes that categorical layer ``da``'s own table names (its ``categories``, CF
    ``flag_values``): classes, not fills, whatever their value."""
    from prospect.registry.schema import code_table

    named: set[float] = set()
    for code in code_table(da.attrs) or {}:
        with contextlib.suppress(ValueError):  # a code that is no number names no fill
            named.add(float(code))
    with contextlib.suppress(TypeError, ValueError):  # a table of words names no number
        named |= {float(v) for v in np.asarray(da.attrs.get("flag_values", []), "f8").ravel()}
    return named


def far_fill_values(cube: xr.Dataset, schema: Mapping[str, Any]
                    ) -> dict[str, tuple[np.ndarray, float, float]]:
    """Per layer of ``cube`` with a training record in ``schema`` (``min``, ``max``; of a
    categorical layer, its ``codes``), the common fills far outside that range
    (:func:`fills_far_outside`) its type can hold, in its dtype, with the bounds they lie
    beyond; layers with no such fill possible are left out.

    A categorical layer's 255 or 65535 that no one declared as its nodata (a scene's
    margin beside geology codes 1..12) was a class the model never saw, scored as none of
    the known classes: it is no data, as a continuous layer's fill is, unless the cube's
    code table names it (a class)."""
    found: dict[str, tuple[np.ndarray, float, float]] = {}
    for spec in schema.get("variables") or []:
        seen = spec.get("training") if isinstance(spec, Mapping) else None
        name = spec.get("name") if isinstance(spec, Mapping) else None
        if not isinstance(seen, Mapping) or not isinstance(name, str) \
                or name not in cube.data_vars or not ({"min", "max"} <= set(seen)
                                                      or isinstance(seen.get("codes"), list)):
            continue
        da = cube[name]
        if not np.issubdtype(da.dtype, np.number):
            continue
        table = named_codes(da) if isinstance(seen.get("codes"), list) else set()
        try:
            lo, hi, fills = _far_fills(seen, da.dtype, table)
        except (TypeError, ValueError):  # a record not of numbers (or no codes): nothing
            continue
        fills = [f for f in fills if f < lo or f > hi]
        if isinstance(seen.get("codes"), list):  # a class the cube's table names: no fill
            named = table | {0.0}  # an unsigned type's 0: a class, often
            fills = [f for f in fills if f not in named]
        if np.issubdtype(da.dtype, np.integer):  # only the values the type can hold
            info = np.iinfo(da.dtype)
            fills = [f for f in fills if info.min <= f <= info.max and float(f).is_integer()]
        if fills:
            found[name] = (np.asarray(fills, "f8").astype(da.dtype), lo, hi)
    return found


def far_fill_counts(cube: xr.Dataset, schema: Mapping[str, Any]
                    ) -> dict[str, dict[float, Any]]:
    """Lazy counts, per layer of :func:`far_fill_values`, of its cells holding each of
    those fills: ``{name: {fill: cells}}`` (dask scalars; compute them together). Said
    where the cube is warped before the map (:func:`~prospect.registry.schema.
    align_to_schema` takes such cells as no data first): the map's own counts, on the
    model's grid, no longer see them."""
    import dask.array as dsa

    out: dict[str, dict[float, Any]] = {}
    for name, (values, _, _) in far_fill_values(cube, schema).items():
        data = cube[name].data
        if not isinstance(data, dsa.Array):
            data = dsa.from_array(np.asarray(data))
        out[name] = {float(v): (data == v).sum(dtype=np.int64) for v in values}
    return out


def far_fill_stats(block: np.ndarray, values: np.ndarray, lo: float, hi: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``block`` as the map takes it (:func:`mask_far_fills`: its cells holding one of
    ``values``, all outside ``lo`` to ``hi``, NaN), and how many such cells it holds with
    their least and greatest value: ``[cells, lowest, highest]`` (``inf``, ``-inf`` where
    none; the blocks' least and greatest over a layer are the layer's)."""
    mask = _far_mask(block, values, lo, hi)
    cells = np.count_nonzero(mask)
    dtype = np.result_type(block.dtype, np.float32)
    if not cells:
        return block.astype(dtype, copy=False), np.array([0.0, np.inf, -np.inf])
    held = block[mask]
    out = block.astype(dtype, copy=True)
    out[mask] = np.nan
    return out, np.array([cells, float(held.min()), float(held.max())])


def _far_mask(block: np.ndarray, values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Which cells of ``block`` hold one of ``values`` (all outside ``lo`` to ``hi``): only
    the cells outside those bounds are compared with them."""
    mask = (block < lo) | (block > hi)
    far = np.flatnonzero(mask)
    if far.size:
        mask.reshape(-1)[far] = np.isin(block.reshape(-1)[far], values)
    return mask


def _without(block: np.ndarray, values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``block`` as floats with its cells holding one of ``values`` (all outside ``lo`` to
    ``hi``) NaN (:func:`far_fill_stats`'s block). Only the cells outside ``lo`` to ``hi``
    are compared with ``values``, and a float block holding none is returned as it is: an
    ``isin`` and a copy of every block of every layer made the score stage half as fast on
    two workers."""
    return far_fill_stats(block, values, lo, hi)[0]


def mask_far_fills(cube: xr.Dataset, schema: Mapping[str, Any]) -> xr.Dataset:
    """``cube`` with every cell of a continuous layer that holds a common fill far outside
    the model's training range of that layer (:func:`far_fill_values`) set to NaN: taken
    as no data, lazily, on every chunk.

    Such a cell (-9999, -32768 or 65535 that no one declared as the layer's nodata) was
    scored as evidence far beyond any training cell (a probability of 0 or 1 there), and
    only the :data:`SAMPLE_CHUNKS` chunks that :func:`input_comparison` reads were looked
    at: a few such cells in another chunk were scored without a word. A map leaves them
    unscored (NaN; weights of evidence scores them without that layer), and
    :func:`pipelines.stages.score.coverage` counts them on every chunk. One task per chunk
    follows each chunk's read (a mask beside a ``where`` read each chunk twice over: 805
    tasks in a score stage planned at 37).

    Parameters
    ----------
    cube
        The cube to score.
    schema
        The model's input schema; variables without a continuous ``training`` record
        (``min``, ``max``) are kept as they are.

    Returns
    -------
    xarray.Dataset
        ``cube``, those layers masked (the same object when none is).
    """
    masked = {}
    for name, (values, lo, hi) in far_fill_values(cube, schema).items():
        da = cube[name]
        dtype = np.result_type(da.dtype, np.float32)
        data = da.data.map_blocks(_without, values=values, lo=lo, hi=hi, dtype=dtype) \
            if hasattr(da.data, "map_blocks") else _without(np.asarray(da.data), values, lo, hi)
        masked[name] = da.copy(data=data)
    return cube.assign(masked) if masked else cube


def fills_far_outside(seen: Mapping[str, Any], sample: np.ndarray, dtype: Any = "f8"
                      ) -> dict[float, int]:
    """The common fills (:data:`prospect.ingest.fills.COMMON_FILLS` but 0 and -1, or the
    integer ``dtype``'s limits) that ``sample`` holds outside the training range by more
    than that range's own width, with how many sampled cells hold each."""

    if not {"min", "max"} <= set(seen) or sample.size == 0:
        return {}
    lo, hi, fills = _far_fills(seen, dtype)
    far = sample[(sample < lo) | (sample > hi)]
    if far.size == 0:
        return {}
    values, counts = np.unique(far, return_counts=True)
    return {float(v): int(c) for v, c in zip(values, counts, strict=True)
            if any(np.isclose(v, f, rtol=1e-6, atol=0.0) for f in fills)}


def fills_among(values: np.ndarray, dtype: Any = "f8", *, codes: bool = False,
                named: Collection[float] = ()) -> tuple[dict[float, int], float, float]:
    """The common fills (:func:`fills_far_outside`) that ``values`` hold far outside the
    range of their other values, with that range (the values without any common fill).

    The rule :func:`mask_far_fills` applies to a cube, taken on values with no training
    range yet (a layer's training rows): every common fill they hold is set apart first
    (even one held by most of them: a scene's margin), then kept as a fill only where it
    lies further outside the other values than their own width (-9999 beside 0..1 is;
    255 beside 0..300 is not).

    Parameters
    ----------
    values
        The values (NaN and infinities are no values).
    dtype
        The layer's data type (an integer type's limits are fills too).
    codes
        Whether ``values`` are a categorical layer's class codes: one code besides a
        common fill (``[1, 255]``: a layer of one unit in the scene, its margin 255) is
        then range enough, the fill being no class of it; but not code 0 (``[0, 255]``
        are an 8-bit mask's two states), unless ``named`` names it. An unsigned type's 0
        is then a class, never a fill, as the map takes it (:func:`far_fill_values`).
    named
        The codes the layer's own code table names (:func:`named_codes`): classes, never
        fills. A table naming 0 and not 255 tells a layer of class 0 beside a margin of
        255 from an 8-bit mask's two states (``[0, 255]`` kept 255 as a class, in
        training and in the map, when the table said otherwise).

    Returns
    -------
    tuple
        ``({fill: count}, least, greatest)`` of the other values; ``({}, nan, nan)`` where
        fewer than 2 distinct other values (of ``codes``, no nonzero one) leave no range
        to compare with.
    """
    col = np.asarray(values, dtype="f8").ravel()
    col = col[np.isfinite(col)]
    if col.size < 2:
        return {}, float("nan"), float("nan")
    _, _, fills = _far_fills({"min": 0.0, "max": 0.0}, dtype)
    if codes:  # an unsigned type's 0 is a class, as far_fill_values takes it in the map,
        fills = [f for f in fills if f != 0.0 and f not in set(named)]  # and a named code
    common = np.zeros(col.shape, dtype=bool)
    for f in fills:  # as fills_far_outside matches them (np.isclose, rtol 1e-6)
        common |= np.abs(col - f) <= 1e-6 * abs(f)
    rest = col[~common]
    one_code = codes and rest.size > 0 and float(rest.max()) == float(rest.min()) and (
        float(rest.min()) != 0.0 or 0.0 in set(named))
    if not one_code and (rest.size < 2 or not float(rest.max()) > float(rest.min())):
        return {}, float("nan"), float("nan")
    lo, hi = float(rest.min()), float(rest.max())
    found = fills_far_outside({"min": lo, "max": hi}, col, dtype)
    return ({v: n for v, n in found.items() if v != 0.0} if codes else found), lo, hi


def fill_value_lines(name: str, seen: Mapping[str, Any], sample: np.ndarray,
                     dtype: Any = "f8") -> list[str]:
    """The warning for continuous variable ``name`` whose cube ``sample`` holds a common
    fill value not declared as its nodata (-9999, -32768, 65535, the integer type's
    limit) far outside its training range ``seen``, or ``[]``.

    Such a value below :data:`~prospect.features.stack.FILL_MAGNITUDE` was scored as
    evidence (a fill of 1e30 or more is taken as no data): on a few cells it stayed below
    :data:`EXTRAPOLATED_SHARE` and the spread checks, and the map held a probability
    there, of evidence far beyond any training cell, without a word. The map now takes it
    as no data (:func:`mask_far_fills`).

    Parameters
    ----------
    name
        The cube variable.
    seen
        Its training record (:func:`training_values`: ``min``, ``max``).
    sample
        The cube's sampled values of it (finite).
    dtype
        The layer's data type (an integer type's limits are fills too).

    Returns
    -------
    list of str
        One line naming each such value, how many sampled cells hold it, the training
        range and the nodata to declare.
    """
    found = fills_far_outside(seen, sample, dtype)
    if not found:
        return []
    said = ", ".join(f"{v:.10g} ({n} cell(s))" for v, n in found.items())
    first = next(iter(found))
    return [f"variable {name!r}: {sum(found.values())} of the {sample.size} sampled cells "
            f"hold {said}, a common fill value far outside the training range "
            f"{float(seen['min']):.4g} to {float(seen['max']):.4g}, not declared as the "
            "layer's nodata: the map takes such cells as no data (left unscored, or scored "
            "without the layer by weights of evidence), not as evidence far beyond any "
            f"training cell; declare it as the source's nodata (nodata: {first:.10g}) and "
            "ingest again, or, if it is a measurement, retrain on evidence that spans it"]


def value_lines(name: str, seen: Mapping[str, Any], sample: np.ndarray) -> list[str]:
    """The warning for continuous variable ``name`` whose cube ``sample`` does not look
    like its training values ``seen`` (:func:`training_values`), or ``[]``."""
    if sample.size < 10 or not {"min", "max", "q05", "q95", "q50"} <= set(seen):
        return []
    lo, hi = float(seen["min"]), float(seen["max"])
    if not hi > lo:
        return []  # a constant layer in training (warned of then)
    margin = 0.05 * (hi - lo)
    outside = float(np.mean((sample < lo - margin) | (sample > hi + margin)))
    c05, c50, c95 = np.quantile(sample, [0.05, 0.5, 0.95])
    have, had, which = f"{c05:.4g} to {c95:.4g}", \
        f"{float(seen['q05']):.4g} to {float(seen['q95']):.4g}", "5-95 %"
    reasons = []
    spread = spread_ratio(seen, sample)
    if spread is not None:
        ratio, words, cube_range, training_range = spread
        if ratio == 0.0:  # one value where training had a spread: no evidence at all
            reasons.append(f"it holds one value ({float(np.quantile(sample, 0.5)):.4g}) "
                           f"over its {words} spread, where the training cells spread "
                           f"{training_range}: there it tells no cell from another (a "
                           "fill written as a value, a blank or wrong raster, a grid far "
                           "coarser than the region, or a region without the evidence the "
                           "model learnt from)")
            have, had, which = cube_range, training_range, words
        elif ratio >= SPREAD_FACTOR or ratio <= 1.0 / SPREAD_FACTOR:
            named = "" if words == "5-95 %" else f"{words} "  # the 5-95 % said as before
            reasons.append(f"its {named}spread is {ratio:.3g} x the training {named}spread")
            have, had, which = cube_range, training_range, words
    if outside >= OUTSIDE_SHARE:
        reasons.append(f"{percent(outside, 0)}% of the sampled cells lie outside the "
                       f"training range {lo:.4g} to {hi:.4g}")
    if not reasons:
        return []
    return [f"variable {name!r}: the cube's values ({have} for {which}, "
            f"median {c50:.4g}, on a sample of {sample.size} cells) are not like the "
            f"model's training values ({had}, "
            f"median {float(seen['q50']):.4g}): {' and '.join(reasons)}; a layer in other "
            "units or scale (percent vs fraction, ppm vs %) or from another source makes a "
            "wrong map without an error: check its source's units and scale against the "
            "model's (schema.json), or retrain the model on this evidence"]


UNSEEN_AS_NONE = "they are scored as none of the known classes, which no training cell was"
"""What a one-hot encoded model (Prospect's default) makes of a code it never saw: every
class column 0."""


def _final_step(estimator: Any) -> tuple[Any, Any]:
    """``(encoder step or None, last estimator)`` of a fitted model, through a
    :class:`~prospect.models.uncertainty.CalibratedModel` and a pipeline."""
    from prospect.models.uncertainty import CalibratedModel

    model = estimator
    for _ in range(8):  # a calibrated pipeline, not a cycle
        if isinstance(model, CalibratedModel):
            model = getattr(model, "model_", None) or model.model
        else:
            break
    steps = getattr(model, "steps", None)
    if not isinstance(steps, list) or not steps:
        return None, model
    from sklearn.preprocessing import OneHotEncoder, TargetEncoder

    encoder = next((step for _name, step in steps[:-1]  # Prospect's "encode", or any
                    if hasattr(step, "transformers_")
                    or isinstance(step, OneHotEncoder | TargetEncoder)), None)
    return encoder, steps[-1][1]


def _encoder_of(encoder: Any, column: int) -> Any:
    """The fitted transformer of ``encoder`` (a column transformer, or an encoder of
    every column) that takes input ``column``, or ``None``."""
    if not hasattr(encoder, "transformers_"):
        return encoder
    for _name, transformer, columns in getattr(encoder, "transformers_", None) or []:
        try:
            if column in [int(c) for c in columns]:
                return transformer
        except (TypeError, ValueError):  # columns named, not numbered: not Prospect's
            return None
    return None


def unseen_code_treatment(estimator: Any, column: int, codes: Sequence[float]) -> str:
    """What the map of ``estimator`` holds where its categorical input ``column`` holds
    ``codes`` it was never fitted on, in words (the end of :func:`unseen_code_lines`).

    Every such code was said to be "scored as none of the known classes", the one-hot
    encoder's reading; the other models read them otherwise, and the warning told a user
    something else than their map held: a target encoder scores a new unit as the
    training rows' mean (as prospective as the average training cell); weights of
    evidence gives it no weight (the layer's evidence missing there); weights of evidence
    with class ``groups`` scores it as the group that holds it, the "other" group (the
    classes no group names) unless a group names the code, with that group's weight; a
    model without an encoder reads codes as numbers.

    Parameters
    ----------
    estimator
        The fitted model (a Prospect pipeline, calibrated or not, or any classifier).
    column
        The categorical variable's column in the model's input.
    codes
        The codes the model never saw.
    """
    from sklearn.preprocessing import OneHotEncoder, TargetEncoder

    from prospect.models.woe import WeightsOfEvidenceClassifier
    from prospect.models.woe_tables import group_codes

    encoder, model = _final_step(estimator)
    if isinstance(model, WeightsOfEvidenceClassifier):
        evidence = list(getattr(model, "evidence_", None) or [])
        ev = evidence[column] if 0 <= column < len(evidence) else None
        groups = ev.get("groups") if isinstance(ev, Mapping) else None
        if not groups:
            return ("weights of evidence gives them no weight for this layer, as a cell "
                    "without its evidence (the posterior there rests on the prior and the "
                    "other layers, and the uncertainty holds this layer's missing-data "
                    "variance)")
        labels = [*groups, "other"]
        number = group_codes(np.asarray(codes, "f8"), groups)
        by_group: dict[str, list[str]] = {}
        for code, k in zip(codes, number, strict=True):
            by_group.setdefault(labels[int(k) - 1], []).append(str(_code(code)))
        said = "; ".join(
            f"{', '.join(members)} as group {group!r}"
            + (", the classes no group names" if group == "other" else "")
            for group, members in by_group.items())
        return (f"weights of evidence scores them with the weight of the class group "
                f"holding them ({said}), as though they were its units, which no training "
                "cell showed")
    found = None if encoder is None else _encoder_of(encoder, column)
    if encoder is None or found == "passthrough":
        return ("the model holds no encoder of class codes, so it reads them as numbers, "
                "between or beyond the codes it was fitted on")
    if isinstance(found, TargetEncoder):
        mean = float(np.ravel(getattr(found, "target_mean_", np.nan))[0])
        return (f"the target encoder encodes them as the training rows' mean ({mean:.3g}, "
                "the share of positives over every class), so the map scores each as a "
                "unit as prospective as the average training row, which no training cell "
                "showed")
    if isinstance(found, OneHotEncoder):
        how = getattr(found, "handle_unknown", "ignore")
        if how == "error":  # a model fitted elsewhere: scikit-learn refuses such a code
            return ("its one-hot encoder refuses codes it never saw (handle_unknown: "
                    "'error'), so scoring stops on them")
        rare = getattr(found, "infrequent_categories_", None) or []
        if how == "infrequent_if_exist" and any(c is not None and len(c) for c in rare):
            return ("its one-hot encoder scores them as its infrequent classes "
                    "(handle_unknown: 'infrequent_if_exist'), as though they were those "
                    "units, which no training cell showed")
        return UNSEEN_AS_NONE
    if found is None:
        return UNSEEN_AS_NONE
    return (f"its {type(found).__name__} encodes them as it does codes it never saw, "
            "which no training cell showed")


def unseen_code_lines(name: str, unseen: Mapping[float, int], known: Sequence[Any], *,
                      scored_as: str = UNSEEN_AS_NONE) -> list[str]:
    """The warning for categorical variable ``name`` holding codes the model never saw
    (``unseen``: code -> cells), or ``[]``; ``scored_as`` says what the map holds there
    (:func:`unseen_code_treatment`)."""
    if not unseen:
        return []
    codes = sorted(unseen)
    listed = ", ".join(f"{_code(c)} ({unseen[c]} cells)" for c in codes[:10])
    more = f" and {len(codes) - 10} more" if len(codes) > 10 else ""
    cells = sum(unseen.values())
    return [f"variable {name!r}: {cells} cell(s) hold {len(codes)} code(s) the model never "
            f"saw in training: {listed}{more} (trained on codes "
            f"{', '.join(str(c) for c in list(known)[:20])}"
            f"{', ...' if len(known) > 20 else ''}); {scored_as}: read the map there as "
            "unsupported, or retrain with occurrences and background on those units"]


def same_evidence(da: xr.DataArray, spec: Mapping[str, Any]) -> bool:
    """Whether cube variable ``da`` holds the values the model was trained on: its
    ``prospect_fingerprint`` (the hash of its inputs' SHA-256, its settings and its grid,
    given by the stage that made it) is the one the schema entry ``spec`` recorded at
    training. Such a variable is not read: its training record came from it."""
    recorded = spec.get("fingerprint")
    return bool(recorded) and str(da.attrs.get("prospect_fingerprint") or "") == recorded


def input_warnings(cube: xr.Dataset, schema: Mapping[str, Any], *,
                   estimator: Any = None) -> list[str]:
    """Each way ``cube``'s evidence is unlike the model's training evidence, in words
    (the ``lines`` of :func:`input_comparison`)."""
    lines: list[str] = input_comparison(cube, schema, estimator=estimator)["lines"]
    return lines


def _columns(schema: Mapping[str, Any]) -> list[str]:
    """The model's input columns in order (the feature spec's names, else
    ``feature_order``)."""
    spec = schema.get("feature_spec")
    if isinstance(spec, Mapping):
        from prospect.features import FeatureSpec

        try:
            return FeatureSpec.from_dict(dict(spec)).names()
        except (KeyError, TypeError, ValueError):
            return []
    return [str(n) for n in schema.get("feature_order") or []]


def input_comparison(cube: xr.Dataset, schema: Mapping[str, Any], *,
                     estimator: Any = None) -> dict[str, Any]:
    """Each way ``cube``'s evidence is unlike the model's training evidence, in words.

    Read in this process, not on the cluster: :data:`SAMPLE_CHUNKS` chunks of each
    continuous layer, and a categorical layer only where its code table holds a code the
    model never saw (then every cell, to count them). A variable holding the training
    evidence itself (:func:`same_evidence`) is skipped.

    Parameters
    ----------
    cube
        The cube to score (already checked against ``schema``).
    schema
        The model's input schema; variables without a ``training`` record are skipped.
    estimator
        The fitted model, to say what its map holds at codes it never saw
        (:func:`unseen_code_treatment`); without it, a one-hot encoder's reading.

    Returns
    -------
    dict
        ``lines``: one line per variable, continuous layers first, then the share of
        cells outside the training range (:func:`extrapolation_lines`);
        ``extrapolation``: that share's figures (:func:`extrapolation`), ``None`` when no
        continuous layer was compared (the training cube itself).
    """
    values: list[str] = []
    codes: list[str] = []
    recorded: list[str] = []
    no_data = far_fill_values(cube, schema)  # the fills the map takes as no data
    samples: dict[str, np.ndarray] = {}
    records: dict[str, Mapping[str, Any]] = {}
    columns = _columns(schema) if estimator is not None else []
    for spec in schema.get("variables") or []:
        seen = spec.get("training") if isinstance(spec, Mapping) else None
        name = spec.get("name") if isinstance(spec, Mapping) else None
        if not isinstance(seen, Mapping) or not isinstance(name, str) \
                or name not in cube.data_vars:
            continue
        known = seen.get("codes")
        # said of the model, whatever the cube (but its code table: 0 named, 255 not)
        recorded += recorded_fill_lines(
            name, seen, named_codes(cube[name]) if isinstance(known, list) else ())
        if same_evidence(cube[name], spec):
            continue
        if isinstance(known, list):
            unseen = _unseen(cube[name], [float(c) for c in known])
            taken = no_data.get(name)
            if taken is not None:  # no data in the map, counted as such after it
                unseen = {c: n for c, n in unseen.items()
                          if not bool(_far_mask(np.array([c]), *taken)[0])}
            scored_as = UNSEEN_AS_NONE
            if unseen and estimator is not None and name in columns:
                # a model fitted elsewhere, of a layout not read: the usual words
                with contextlib.suppress(AttributeError, IndexError, KeyError, TypeError,
                                         ValueError):
                    scored_as = unseen_code_treatment(estimator, columns.index(name),
                                                      sorted(unseen))
            codes += unseen_code_lines(name, unseen, known, scored_as=scored_as)
        else:
            record = without_recorded_fills(seen)  # the range the model learnt from
            lost = record is not seen and not _whole_record(record)
            seen = record
            parts = _strided(cube[name])
            sample = np.concatenate(parts) if parts else np.empty(0)
            valued = sample[np.isfinite(sample)]
            fills = fill_value_lines(name, seen, valued, cube[name].dtype)
            if lost:  # a record that lost its end to a fill: no range to compare with
                values += fills
                continue
            if fills:  # its spread compared without them: said as fills, not as units
                far = list(fills_far_outside(seen, valued, cube[name].dtype))
                valued = valued[~np.isin(valued, far)]
            said = value_lines(name, seen, valued)
            values += said + fills
            if not said:  # a layer in other units is said as such, not as extrapolation
                samples[name], records[name] = sample, seen
    found = None
    if len({s.size for s in samples.values()}) == 1:  # one grid, one chunking: same cells
        found = extrapolation(samples, records)
        values += extrapolation_lines(found)
    return {"lines": recorded + values + codes, "extrapolation": found}
