"""Indices stage: the job's spectral and mineral indices, into the cube, chunk by chunk.

Reads ``ctx.job.indices``, opens the cube lazily and runs one dask task per cube chunk
(:func:`index_writes`) that reads the chunk's input bands, computes every requested index
in a single fused kernel call, writes each index's chunk into a partial variable next to
the cube (:func:`prospect.io.cube.run_variables`, as score writes its maps) and
returns the chunk's share of the reflectance sample; the bands' medians are checked from
those samples (:func:`prospect.indices.ranges.judge_samples`, the rule
:func:`~prospect.indices.compute_indices` applies) before anything is published, and the
variables are then moved into the cube with one rename each. A run that fails or is killed
publishes nothing. Each variable carries a JSON provenance (formula, bands, catalogue
version, backend) and a fingerprint of that provenance plus its input bands; a rerun skips
indices whose fingerprint is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from pipelines.context import RunContext, StageResult
from pipelines.progress import compute
from prospect.errors import ConfigError, StageError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.indices import compute_indices
from prospect.indices.bands import load_sensor, sensor_file
from prospect.indices.blocks import (
    compute_arrays,
    compute_dask,
    host_array,
    mask_outside_ranges,
    outside_range,
)
from prospect.indices.plan import IndexPlan, PlannedIndex, check_distinct_case, plan_indices
from prospect.indices.ranges import (
    SUBNORMAL_SHARE,
    UNDEFINED_SHARE,
    beyond_float32,
    check_kernel_scale,
    check_percent_units,
    check_sample_scales,
    held_cells,
    judge_samples,
    no_common_cell_message,
    outside_range_message,
    overflow_message,
    reflective_inputs,
    sample_block,
    sample_step,
    subnormal_cells,
    tiny_cells,
    underflow_message,
    zero_everywhere_message,
)
from prospect.io.cube import (
    PartialVariable,
    add_variables,
    open_cube,
    read_provenance,
    run_variables,
    synthetic_attr,
)

if TYPE_CHECKING:
    from prospect.config import JobConfig

__all__ = ["UNDEFINED_SHARE", "chunk_counts", "counted_indices", "counted_layers",
           "held_cells", "index_writes", "located_inputs", "outside_cells", "run",
           "undefined_cells"]


IndexCount = tuple[int, int, int, dict[str, int], int, int, int, float, dict[str, int],
                   int]
"""One index's figures in one chunk: cells undefined (NaN where its bands hold data), cells
its bands hold data in, cells outside its valid range (set to NaN), per band the cells
below 0 among those (the cells set to NaN), the cells where its bands hold data and it is
0 or nearer 0 than float32 holds (:func:`~prospect.indices.ranges.tiny_cells`), of those
the cells stored as a float32 subnormal (:func:`~prospect.indices.ranges.subnormal_cells`),
the undefined cells where its value lies beyond float32 with the largest such magnitude
(:func:`~prospect.indices.ranges.beyond_float32`, 0 and 0.0 where none), per band the
cells below 0 where the index holds a value (kept), and the cells where it holds a value
though a band it reads is below 0 (:func:`chunk_counts`)."""

def _fingerprint(var: xr.DataArray, cube: xr.Dataset) -> str:
    prov = read_provenance(var.attrs["provenance"])
    prov.pop("backend", None)  # the same numbers on every backend
    prov.pop("sensors", None)  # its dates' sensors: read from its inputs' provenance below
    inputs = {}
    for band in sorted(set(prov.get("bands", {}).values())):
        attrs = cube[band].attrs
        inputs[band] = str(attrs.get("prospect_fingerprint") or attrs.get("provenance", ""))
    text = json.dumps({"index": prov, "inputs": inputs}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


SENSOR_INPUT = "indices.sensor"
"""The label of a sensor YAML among the stage's input files (no source or band is named
with a dot, so it meets none of theirs)."""


def _sensor_input(sensor: str) -> dict[str, str]:
    """The file of the job's sensor as an input file of the stage: a YAML path, or the
    sensors folder's file of a shipped name or alias (``{}`` where there is none).

    The band mapping it holds makes the indices' values, but it was no input: a sensor
    file fixed after a run (red and near infrared swapped back) left the stage "finished",
    skipped by the rerun, and every index kept the values of the mapping it was fixed
    from, without a word. So did a sensor named by its name or alias
    (``indices.sensor: mysat``) whose file in ``$PROSPECT_CONFIG_DIR/sensors`` (a site's
    own mappings) was fixed. As an input, its SHA-256 is recorded and a changed file
    reruns the stage (the manifest's "input ... changed").
    """
    path = sensor_file(sensor)
    return {SENSOR_INPUT: str(path)} if path is not None and path.is_file() else {}


def located_inputs(job: JobConfig) -> dict[str, str]:
    """The sensor file the stage would read for ``job`` now, where the sensor is named by
    its name or alias (found in ``$PROSPECT_CONFIG_DIR`` or the installed package, so
    another folder or another install may hold another file), as
    ``{"sensors/<name>": path}``; ``{}`` for a sensor given as a YAML path (the config
    names it) or where the stage computes no index
    (:func:`pipelines.stages.located_inputs`)."""
    cfg = job.indices
    if cfg is None or not (cfg.names or cfg.custom) or \
            Path(cfg.sensor).suffix.lower() in (".yaml", ".yml"):
        return {}
    path = _sensor_input(cfg.sensor).get(SENSOR_INPUT)
    return {f"sensors/{cfg.sensor}": path} if path else {}


def _index_chunk(*blocks: np.ndarray, plan: IndexPlan, backend: str, nodata: float | None,
                 parts: Sequence[PartialVariable], slots: Sequence[int],
                 sampled: Sequence[int], step: int,
                 block_info: dict[Any, Any] | None = None) -> np.ndarray:
    """One chunk (a task): the sample of the bands ``sampled`` (positions in
    ``plan.inputs``), every index of ``plan`` in one kernel call, and the indices at
    ``slots`` written into ``parts``; returns a 1 x 1 object array holding a list: the
    samples, in the order of ``sampled``, then, last, for each index written, (cells undefined
    where its bands hold data, such cells (:func:`undefined_cells`), cells outside its valid
    range, set to NaN (:func:`~prospect.indices.blocks.mask_outside_ranges`), and, where
    an index of the chunk has such cells, each of its bands' cells below 0)."""
    assert block_info is not None
    (r0, r1), (c0, c1) = block_info[0]["array-location"]
    iy, ix = block_info[0]["chunk-location"]
    samples = [np.array(sample_block(blocks[i], (r0, c0), step)) for i in sampled]
    counts: list[IndexCount] = []
    if parts:
        stacked = compute_arrays(plan, blocks, backend, parallel=False, nodata=nodata,
                                 mask_ranges=False)
        if backend == "cupy":
            stacked = stacked.get()
        # the cells outside each written index's range, found once: set to NaN (as
        # mask_outside_ranges sets them) and counted with the bands below 0 in them
        flagged = outside_cells(stacked, plan, slots)
        for k, where in enumerate(flagged):
            if where is not None:
                stacked[k][where] = np.float32("nan")
        outside = [int(np.count_nonzero(w)) if w is not None else 0 for w in flagged]
        window = ChunkWindow(iy, ix, slice(r0, r1), slice(c0, c1))
        for part, k in zip(parts, slots, strict=True):
            part.write_chunk(window, stacked[k])
        counts = chunk_counts(stacked, outside, blocks, plan, slots, nodata, flagged=flagged)
    out = np.empty((1, 1), dtype=object)
    out[0, 0] = [*samples, counts]
    return out


def chunk_counts(stacked: np.ndarray, outside: Sequence[int], blocks: Sequence[Any],
                 plan: IndexPlan, slots: Sequence[int], nodata: float | None, *,
                 flagged: Sequence[np.ndarray | None] | None = None
                 ) -> list[IndexCount]:
    """Each index at ``slots``' figures (:data:`IndexCount`) in one chunk, on either path.

    Parameters
    ----------
    stacked
        The chunk's indices, ``(n_indices, ...)`` in ``plan``'s order, values outside their
        valid range already set to NaN (:func:`~prospect.indices.blocks.mask_outside_ranges`).
    outside
        Per index of ``plan``, the cells so set (what that function returned).
    blocks
        The chunk of each of ``plan.inputs``, in order, shaped like one index of
        ``stacked``: 2-D on the fused path, ``(time, y, x)`` for stacked dates.
    plan, slots
        The indices computed and the positions of those written.
    nodata
        The job's band value for no data.
    flagged
        Where ``stacked`` is not masked: per index of ``plan``, the cells outside its
        valid range (:func:`outside_cells`), counted as undefined as the masked block's NaN
        there would be.
    """
    used = sorted({plan.inputs.index(v) for k in slots for _, v in plan.indices[k].bands})
    held = dict(zip(used, held_cells([blocks[i] for i in used], nodata), strict=True))
    # each band's cells below 0 where it holds data (a chunk without any costs a compare)
    negative = {i: held[i] & (host_array(blocks[i]) < 0) for i in used}
    negative = {i: m for i, m in negative.items() if m.any()}
    counts: list[IndexCount] = []
    for k in slots:
        bands = [held[plan.inputs.index(v)] for _, v in plan.indices[k].bands]
        where = flagged[k] if flagged is not None else None
        below = {v: int(np.count_nonzero(negative[plan.inputs.index(v)] & where))
                 if plan.inputs.index(v) in negative and where is not None and outside[k]
                 else 0 for _, v in plan.indices[k].bands}
        lost, cells = undefined_cells(stacked[k], bands,
                                      also=flagged[k] if flagged is not None else None)
        every = np.logical_and.reduce(bands) if bands else np.ones(stacked[k].shape, bool)
        values = host_array(stacked[k])
        tiny = int((every & tiny_cells(values)).sum())
        subnormal = int((every & subnormal_cells(values)).sum()) if tiny else 0
        # the NaN cells evaluated again in float64: a value beyond float32 (N / R * 1e38)
        # said as such, as the library says it (only where the chunk holds such NaN)
        beyond, largest = beyond_float32(
            plan.indices[k], {v: blocks[plan.inputs.index(v)] for _, v in
                              plan.indices[k].bands},
            every & np.isnan(values)) if lost > outside[k] else (0, 0.0)
        kept_below, kept = _kept_below(values, every if where is None else every & ~where,
                                       negative, plan, k)
        counts.append((lost, cells, outside[k], below, tiny, subnormal, beyond, largest,
                       kept_below, kept))
    return counts


def _kept_below(values: np.ndarray, every: np.ndarray, negative: dict[int, np.ndarray],
                plan: IndexPlan, k: int) -> tuple[dict[str, int], int]:
    """(per band of index ``k``, its cells below 0 where the index holds a value; the cells
    where the index holds a value though one of its bands is below 0), among the cells of
    ``every`` (its bands' data, less those outside its range): FERROUS_IRON
    (``S2 / N + G / R``) of a negative SWIR2 over water keeps a value of 0.7 to 3.2 that
    reads the negative as a reflectance (``negative``: band position -> its cells below 0
    where it holds data)."""
    item = plan.indices[k]
    places = [plan.inputs.index(v) for _, v in item.bands if plan.inputs.index(v) in negative]
    if not places:
        return {}, 0
    held = every & np.isfinite(values)
    anywhere = np.logical_or.reduce([negative[i] for i in places]) & held
    kept = int(np.count_nonzero(anywhere))
    if not kept:
        return {}, 0
    return {plan.inputs[i]: int(np.count_nonzero(negative[i] & held)) for i in places}, kept


def _counted_block(raw: np.ndarray, *blocks: np.ndarray, plan: IndexPlan,
                   slots: Sequence[int], nodata: float | None) -> np.ndarray:
    """One block of stacked dates (a task): :func:`chunk_counts` of the indices of ``raw``
    (unmasked, shared with the write's task, which masks it: :func:`_masked_block`), in a
    1 x ... x 1 object array.

    The block is not masked a second time here (a float32 copy of it masked as the write's
    task masks it): the cells outside each index's range are found by comparison
    (:func:`outside_cells`) and counted as undefined with the formula's NaN, which is what
    the masked block holds there."""
    values = host_array(raw)
    outside = outside_cells(values, plan, slots)
    out = np.empty((1,) * raw.ndim, dtype=object)
    out[(0,) * raw.ndim] = chunk_counts(values, [int(o.sum()) if o is not None else 0
                                                 for o in outside], blocks, plan, slots,
                                        nodata, flagged=outside)
    return out


def outside_cells(stacked: np.ndarray, plan: IndexPlan,
                  slots: Sequence[int]) -> list[np.ndarray | None]:
    """Per index of ``plan``, where its values in ``stacked`` (``(n_indices, ...)``, not
    masked) fall outside its valid range, as
    :func:`~prospect.indices.blocks.mask_outside_ranges` would set them to NaN; ``None`` for
    an index not at ``slots`` or without a range."""
    with np.errstate(invalid="ignore"):
        return [outside_range(stacked[k, ...], item.valid_range) if k in slots else None
                for k, item in enumerate(plan.indices)]


def _masked_block(raw: np.ndarray, *, plan: IndexPlan) -> np.ndarray:
    """A copy of the block ``raw`` of indices, values outside their ranges set to NaN."""
    masked = raw.copy()
    mask_outside_ranges(masked, plan)
    return masked


def counted_indices(bands: Sequence[Any], plan: IndexPlan, backend: str, *,
                    nodata: float | None, slots: Sequence[int]) -> tuple[Any, Any]:
    """Indices of bands of any shape (stacked dates ``(time, y, x)``, chunks off the grid)
    and their figures, lazily: the path of the stage that is not one task per chunk.

    Each block's indices are computed once (unmasked) and read by two tasks: one masks the
    values outside each index's range (what is written), one finds them by comparison
    (without masking the block again) and counts them and the cells
    undefined where the bands hold data (:func:`chunk_counts`, as the fused path does), so
    both paths warn alike (:func:`_warn_undefined`).

    Returns
    -------
    tuple
        The masked dask array ``(n_indices, *shape)`` and a dask object array over the
        blocks, each holding the list of :data:`IndexCount` of ``slots``.
    """
    import dask.array as dsa

    chunked = next((b for b in bands if hasattr(b, "dask")), None)
    arrays = [b if hasattr(b, "dask") else dsa.from_array(
        b, chunks=chunked.chunks if chunked is not None else b.shape) for b in bands]
    arrays = [a if a.chunks == arrays[0].chunks else a.rechunk(arrays[0].chunks)
              for a in arrays]
    raw = compute_dask(plan, arrays, backend, nodata=nodata, mask_ranges=False)
    masked = raw.map_blocks(_masked_block, plan=plan, dtype=np.float32, meta=raw._meta,
                            token="prospect-indices-masked")
    counts = dsa.map_blocks(
        _counted_block, raw, *arrays, plan=plan, slots=tuple(slots), nodata=nodata,
        dtype=object, chunks=tuple((1,) * len(c) for c in raw.chunks),
        meta=np.empty((0,) * raw.ndim, dtype=object), token="prospect-indices-counts")
    return masked, counts


def undefined_cells(index: np.ndarray, held: Sequence[np.ndarray],
                    also: np.ndarray | None = None) -> tuple[int, int]:
    """(cells where every band of ``held`` (:func:`held_cells`) holds data but ``index`` is
    NaN, or is flagged in ``also`` (cells an unmasked index would have set to NaN), cells
    where every one of them holds data): NaN there is the formula's (a division by 0, a
    log or root of a negative, a value beyond float32) or its range's, not the bands' no
    data."""
    every = np.logical_and.reduce(held) if held else np.ones(index.shape, dtype=bool)
    lost = ~np.isfinite(index)
    if also is not None:
        lost |= also
    return int((every & lost).sum()), int(every.sum())


def _warn_undefined(plan: IndexPlan, todo: Sequence[str],
                    counts: Sequence[Sequence[IndexCount]]) -> None:
    """A data warning for each index of ``todo`` undefined in more than
    :data:`UNDEFINED_SHARE` of the cells its bands hold data in (``counts``: per chunk, per
    index, from :func:`undefined_cells`): ``exp(N * 1000)`` stored 97 % of a scene as NaN
    without a word, and an index undefined everywhere was said to need its source's
    nodata, CRS and bounds checked. One that is 0 in every such cell (``N ** 2 ** 10``
    underflows float32) is said too, in the library's words
    (:func:`~prospect.indices.ranges.zero_everywhere_message`)."""
    import warnings

    from prospect.errors import DataWarning

    by_name = {p.name: p for p in plan.indices}
    for i, name in enumerate(todo):
        outside = sum(c[i][2] for c in counts)
        lost = sum(c[i][0] for c in counts) - outside
        cells = sum(c[i][1] for c in counts)
        kept = sum(c[i][9] for c in counts)
        ranged = by_name[name].valid_range != (None, None)
        if outside or (ranged and kept > UNDEFINED_SHARE * cells):
            _warn_outside(by_name[name], outside, cells, [c[i][3] for c in counts],
                          [c[i][8] for c in counts] if ranged else [], kept if ranged else 0)
        if not cells:
            _warn_no_common_cell(by_name[name])
        beyond = sum(c[i][6] for c in counts)
        if cells and lost > UNDEFINED_SHARE * cells and beyond:  # N / R * 1e38
            warnings.warn(DataWarning(overflow_message(
                by_name[name], beyond, cells, max(c[i][7] for c in counts))), stacklevel=2)
        rest = lost - beyond  # undefined for another cause: 0 / 0, a log of a negative
        if cells and lost > UNDEFINED_SHARE * cells and \
                (not beyond or rest > UNDEFINED_SHARE * cells):
            warnings.warn(DataWarning(
                f"index {name!r} ({by_name[name].formula}) is undefined (NaN) in {rest} of "
                f"the {cells} cells where its bands hold data ({100 * rest / cells:.3g} %)"
                + (" besides those beyond float32" if beyond else "") + ": "
                "a division by 0, a log or square root of a negative, or a value beyond "
                "float32's 3.4e38 there; check the formula and the bands' values"),
                stacklevel=2)
        tiny = sum(c[i][4] for c in counts)
        if cells and tiny == cells:  # N ** 2 ** 10: 0 throughout
            warnings.warn(DataWarning(zero_everywhere_message(by_name[name], cells)),
                          stacklevel=2)
        subnormal = sum(c[i][5] for c in counts)
        if cells and tiny < cells and subnormal > SUBNORMAL_SHARE * cells:  # N ** 100
            warnings.warn(DataWarning(underflow_message(by_name[name], subnormal,
                                                        tiny - subnormal, cells)),
                          stacklevel=2)


def _warn_no_common_cell(index: PlannedIndex) -> None:
    """A data warning for an index whose bands hold data together in no cell: a band
    without data in the region (all NaN, or all its nodata), or bands of scenes that do
    not overlap (red of one, near infrared of another). The layer was stored NaN
    throughout, said only as a cube variable with no data, to "check its source's
    nodata value, CRS and bounds", an index having no source (round 53). The words are
    the library's (:func:`~prospect.indices.ranges.no_common_cell_message`, holding
    :data:`~prospect.indices.ranges.EMPTY_SAID`, by which the runner knows it said)."""
    import warnings

    from prospect.errors import DataWarning

    warnings.warn(DataWarning(no_common_cell_message(index)), stacklevel=3)


def _summed(per_chunk: Sequence[dict[str, int]]) -> dict[str, int]:
    """Per band variable, the sum over chunks of ``per_chunk``'s counts."""
    total: dict[str, int] = {}
    for chunk in per_chunk:
        for variable, n in chunk.items():
            total[variable] = total.get(variable, 0) + n
    return total


def _warn_outside(index: PlannedIndex, outside: int, cells: int,
                  below: Sequence[dict[str, int]], kept_below: Sequence[dict[str, int]] = (),
                  kept: int = 0) -> None:
    """A data warning for an index whose value fell outside its valid range in ``outside``
    cells (stored as NaN, :func:`~prospect.indices.blocks.mask_outside_ranges`), naming its
    bands' cells below 0 among them (``below``: per chunk, band variable -> such cells),
    and the ``kept`` cells where it holds a value though a band it reads is below 0
    (``kept_below``: per chunk and band, such cells), in the library's words
    (:func:`~prospect.indices.ranges.outside_range_message`).

    The warning counted each band's cells below 0 wherever the index's bands hold data,
    as causes of the cells dropped: the Wageningen FERROUS_IRON (``S2 / N + G / R``) was
    said to have dropped 68 cells for "'swir2' (S2) in 505", and kept a value in the
    other 437 of them without a word (a negative SWIR2 over a ratio plus a positive one
    falls in its range ``>= 0``). The counts are now of the cells dropped, and the cells
    kept beside a negative band are said apart (alone where none fell outside, over
    :data:`UNDEFINED_SHARE` of the cells).
    """
    import warnings

    from prospect.errors import DataWarning

    warnings.warn(DataWarning(outside_range_message(
        index, outside, cells, _summed(below), _summed(kept_below), kept)), stacklevel=3)


def index_writes(bands: Sequence[Any], plan: IndexPlan, backend: str, *, grid: RegionGrid,
                 nodata: float | None, parts: Sequence[PartialVariable],
                 slots: Sequence[int], sampled: Sequence[int]) -> Any:
    """The lazy work of the stage: one task per chunk of the 2-D dask arrays ``bands`` (the
    cube's ``plan.inputs``, in order; their reads fuse into it) that computes every index,
    writes index ``slots[i]`` of the plan into ``parts[i]``, and gives its cells of the
    reflectance sample of the bands at ``sampled``. Computed, an object array over the
    chunk grid of those samples (``prospect plan`` counts these tasks)."""
    import dask.array as dsa

    blocks = [b if b.chunks == bands[0].chunks else b.rechunk(bands[0].chunks) for b in bands]
    ny, nx = grid.chunk_counts
    return dsa.map_blocks(
        _index_chunk, *blocks, plan=plan, backend=backend, nodata=nodata, parts=list(parts),
        slots=tuple(slots), sampled=tuple(sampled), step=sample_step(grid.shape),
        dtype=object, chunks=((1,) * ny, (1,) * nx), meta=np.empty((0, 0), dtype=object),
        token=f"prospect-indices-{backend}")


def _write_indices(ctx: RunContext, cube: xr.Dataset, plan: IndexPlan, out: xr.Dataset,
                   todo: list[str], description: str) -> None:
    """Compute and write the indices ``todo`` of ``out`` chunk by chunk, check the input
    bands' reflectance from the same tasks, and publish them (see the module)."""
    cfg = ctx.job.indices
    assert cfg is not None
    grid = ctx.grid
    if plan.names != [str(n) for n in out.data_vars]:
        raise StageError(f"indices: plan {plan.names} does not match {list(out.data_vars)}")
    backend = read_provenance(out[todo[0]].attrs["provenance"])["backend"]
    users = reflective_inputs(plan)
    with run_variables(ctx.cube_path, {name: out[name].attrs for name in todo}, grid=grid,
                       stage="indices") as parts:
        samples = compute(index_writes(
            [cube[v].data for v in plan.inputs], plan, backend, grid=grid, nodata=cfg.nodata,
            parts=parts, slots=[plan.names.index(n) for n in todo],
            sampled=[plan.inputs.index(v) for v in users]), ctx, description)
        taken = [np.concatenate([np.ravel(s[i]) for s in samples.flat])
                 for i in range(len(users))]
        if cfg.allow_out_of_range:  # ranges lifted: the bands of an index share one scale
            check_sample_scales(plan, users, taken, nodata=cfg.nodata)
        else:
            medians = judge_samples(users, taken, nodata=cfg.nodata)
            # a kernel's sigma in another unit than its bands (kNDVI 0 or 1 in every
            # cell), judged on the same sample before anything is published
            check_kernel_scale(plan, medians)
    _warn_undefined(plan, todo, [s[-1] for s in samples.flat])


def counted_layers(cube: xr.Dataset, plan: IndexPlan, out: xr.Dataset, todo: Sequence[str],
                   *, nodata: float | None) -> tuple[xr.Dataset, Any]:
    """The indices ``todo`` of ``out`` (:func:`~prospect.indices.compute_indices`'s result,
    whose attributes they keep) on the stage's path for bands that are not one task per
    chunk, and their figures: (the layers to store, the lazy counts of
    :func:`counted_indices`). ``prospect plan`` counts the tasks of both."""
    backend = read_provenance(out[todo[0]].attrs["provenance"])["backend"]
    slots = [plan.names.index(n) for n in todo]
    masked, counts = counted_indices([cube[v].data for v in plan.inputs], plan, backend,
                                     nodata=nodata, slots=slots)
    layers = xr.Dataset({name: out[name].copy(data=masked[k])
                         for name, k in zip(todo, slots, strict=True)}, coords=out.coords)
    return layers, counts


def _add_counted(ctx: RunContext, cube: xr.Dataset, plan: IndexPlan, out: xr.Dataset,
                 todo: list[str], description: str) -> None:
    """Publish the indices ``todo`` of bands that are not one task per chunk (stacked dates
    ``(time, y, x)``, chunks off the grid) with :func:`~prospect.io.cube.add_variables`,
    counting their undefined cells and values outside their ranges in the same compute
    (:func:`counted_indices`), and warn as the fused path does."""
    cfg = ctx.job.indices
    assert cfg is not None
    layers, counts = counted_layers(cube, plan, out, todo, nodata=cfg.nodata)
    found: list[Any] = []

    def write(graph: Any) -> Any:
        written, figures = compute((graph, counts), ctx, description)
        found.extend(figures.flat)
        return written

    add_variables(ctx.cube_path, layers, overwrite=True, compute=write)
    _warn_undefined(plan, todo, found)


def _plain_bands(cube: xr.Dataset, grid: RegionGrid, names: list[str]) -> bool:
    """Whether every input band is a 2-D dask array on the cube's grid (else the indices
    are computed by xarray and stored by :func:`~prospect.io.cube.add_variables`)."""
    from dask.array.core import normalize_chunks

    chunks = normalize_chunks(grid.chunks, grid.shape)  # a grid smaller than one chunk too
    return all(v in cube.data_vars and cube[v].dims == ("y", "x")
               and cube[v].shape == grid.shape and hasattr(cube[v].data, "dask")
               and cube[v].data.chunks == chunks for v in names)


def _refuse_replacing_inputs(cube: xr.Dataset, names: Sequence[str]) -> None:
    """An index named like a cube variable another stage made (a band, a layer) would
    replace that variable's data with its own: ``custom: {B04: N * 2}`` overwrote band B04;
    so would one named like any cube variable but for case (``b04``) on a disk that
    ignores case."""
    check_distinct_case(names)
    taken = [n for n in names if n in cube.data_vars
             and cube[n].attrs.get("prospect_kind") != "index"]
    folded = {str(v).lower(): str(v) for v in cube.data_vars}
    cased = [(n, folded[n.lower()]) for n in names
             if n not in cube.data_vars and n.lower() in folded]
    if cased:  # 'b04' beside band 'B04': one folder on a disk that ignores case
        raise ConfigError(
            "indices: index name(s) "
            + ", ".join(f"{n!r} (the cube holds {v!r})" for n, v in cased)
            + " differ from cube variables only in case; on a disk that ignores case "
            "(macOS, Windows, network shares) they are one folder of the cube, and the "
            "index would overwrite the variable: give the index another name")
    if taken:
        kinds = ", ".join(f"{n!r} ({cube[n].attrs.get('prospect_kind', 'a variable')})"
                          for n in taken)
        raise ConfigError(
            f"indices: index name(s) {kinds} are cube variables another stage made, and "
            "computing the index would replace them; give the index another name")


def run(ctx: RunContext) -> StageResult:
    """Compute ``ctx.job.indices`` over the cube at ``ctx.cube_path`` and publish them."""
    cfg = ctx.job.indices
    result = StageResult(name="indices")
    if cfg is None or not (cfg.names or cfg.custom):
        result.skipped = True
        result.notes.append("no indices configured (job key 'indices')")
        return result
    if not (ctx.cube_path / "zarr.json").is_file():
        raise StageError(f"{ctx.cube_path}: no cube yet; run 'prospect ingest' on this job first")
    cube = open_cube(ctx.cube_path)
    _refuse_replacing_inputs(cube, [*cfg.names, *cfg.custom])
    sensor = load_sensor(cfg.sensor)
    plan = plan_indices(cfg.names, sensor=sensor, custom=dict(cfg.custom),
                        bands=dict(cfg.bands), constants=dict(cfg.constants))
    fused = _plain_bands(cube, ctx.grid, list(plan.inputs))
    if fused and not cfg.allow_out_of_range:  # compute_indices is told to skip it below
        check_percent_units(cube, plan)
    # fused: the chunk tasks take the reflectance sample and the stage checks it, so
    # compute_indices is not asked to read one first; else compute_indices reads it (under
    # allow_out_of_range too, where it checks the bands' scales)
    out = compute_indices(cube, cfg.names, sensor=sensor, custom=dict(cfg.custom),
                          bands=dict(cfg.bands), constants=dict(cfg.constants),
                          backend=cfg.backend, nodata=cfg.nodata,
                          allow_out_of_range=cfg.allow_out_of_range or fused,
                          sample_bands=not fused)
    if ctx.job.synthetic:
        for name in out.data_vars:
            out[name].attrs.update(synthetic_attr(True))
    todo, unchanged = [], []
    for name in out.data_vars:
        fp = _fingerprint(out[name], cube)
        out[name].attrs["prospect_fingerprint"] = fp
        if name not in cube.data_vars:
            todo.append(str(name))
        elif cube[name].attrs.get("prospect_fingerprint") == fp:
            unchanged.append(str(name))
        elif cfg.overwrite:
            todo.append(str(name))
        else:
            raise StageError(
                f"{ctx.cube_path}: variable {name!r} exists with other settings or inputs; set "
                f"indices.overwrite: true to replace it, or rename the index"
            )
    backend = read_provenance(out[next(iter(out.data_vars))].attrs["provenance"])["backend"]
    n_chunks = ctx.grid.n_chunks
    start = time.perf_counter()
    description = f"indices: {len(todo)} layer(s) x {n_chunks} chunk(s), {backend}"
    if todo and fused:
        _write_indices(ctx, cube, plan, out, todo, description)
    elif todo:  # compute_indices checked the bands' sample above
        _add_counted(ctx, cube, plan, out, todo, description)
    seconds = time.perf_counter() - start
    result.outputs["cube"] = str(ctx.cube_path)
    result.outputs.update({name: f"{ctx.cube_path}/{name}" for name in todo})
    result.variables = [str(name) for name in out.data_vars]
    bands = {b for n in out.data_vars
             for b in read_provenance(out[n].attrs["provenance"])["bands"].values()}
    result.inputs = {band: f"{ctx.cube_path}/{band}" for band in sorted(bands)}
    result.inputs.update(_sensor_input(cfg.sensor))
    result.metrics = {
        "indices": len(todo), "indices_unchanged": len(unchanged), "backend": backend,
        "chunks_per_index": n_chunks, "sensor": cfg.sensor,
        "megapixels_per_s": round(ctx.grid.shape[0] * ctx.grid.shape[1] / 1e6 / seconds, 4)
        if todo and seconds > 0 else None,
    }
    result.skipped = not todo
    result.notes.append(
        f"{len(todo)} index layer(s) computed ({', '.join(todo) or 'none'}), "
        f"{len(unchanged)} already up to date; backend {backend}"
    )
    return result
