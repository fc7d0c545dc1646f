"""Ingest stage: every source of the job onto the region grid, into the job's zarr cube.

Resumable: each variable is written chunk by chunk into a partial store next to the cube
and published atomically when complete (see :class:`prospect.io.cube.PartialVariable`).
A rerun after any interruption, even SIGKILL, skips published variables whose inputs and
settings are unchanged and, inside an unfinished variable, every chunk already marked done.
Chunks run as tasks on the job's dask client when there is one, with a progress bar.
"""

from __future__ import annotations

import concurrent.futures
import json
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import Progress

from pipelines.context import RunContext, StageResult
from pipelines.executor import StageExecutor
from pipelines.plan import (
    FLOAT32,
    cube_room_note,
    mask_refusal_placed,
    refuse_bounds_in_extent_order,
    refuse_too_many_folds,
    refuse_unmade_variables,
    source_refusal_placed,
    warn_labels_of_another_commodity,
)
from pipelines.progress import progress_bar
from prospect.config import JobConfig, RasterSource, repeated
from prospect.config.job import asked_bounds, shipped_region_name
from prospect.config.region import snapped_bounds_note
from prospect.errors import DataError, DataWarning
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest import Layer, ingest_chunk, plan_source, start_layer
from prospect.ingest.fills import warn_fills
from prospect.ingest.mask import apply_mask, plan_mask
from prospect.ingest.stac_search import resolve_search
from prospect.ingest.surfaces import ground_cells_note
from prospect.io.cube import (
    PartialVariable,
    begin_variable,
    consolidate,
    create_cube,
    open_cube,
    read_provenance,
    removed_later,
)
from prospect.io.files import file_sha256
from prospect.io.raster import gdal_said, gdal_said_message, said_at_header
from prospect.io.warp import close_warped_views

__all__ = ["IngestPlan", "located_inputs", "plan", "run"]


def _published_fingerprints(ctx: RunContext) -> dict[str, str]:
    cube = open_cube(ctx.cube_path)
    out = {}
    for name in cube.data_vars:
        out[str(name)] = str(cube[name].attrs.get("prospect_fingerprint", ""))
    return out


def ingest_chunks(jobs: list[tuple[PartialVariable, Layer]], grid: RegionGrid,
                  window: ChunkWindow
                  ) -> tuple[list[tuple[str, dict[str, str]]], dict[tuple[str, str], int]]:
    """Compute and write one chunk of every layer of ``jobs`` (a task).

    Each layer is computed and written in turn, so the task holds one layer's chunk at a
    time. Returns each layer's name and the inputs its chunk skipped as unreadable, and
    what GDAL said while the worker read pixels (:func:`prospect.io.raster.gdal_said`:
    on a worker it reached no one), for the stage's data warnings.
    """
    done = [(part.name, ingest_chunk(part, layer, grid, window)[1]) for part, layer in jobs]
    return done, gdal_said()


TASKS_PER_CHUNK = 2
"""Ingest's tasks per chunk: the chunk's layers in this many groups of about equal cost.
Four tasks (one a chunk) on two workers left one idle for 0.26-0.41 s at the end of the
stage: a task is 0.5-0.8 s, and the job's own process, busy at the stage's start, slows
whichever worker shares its core; eight let the other worker take up the slack."""


def split_by_cost(jobs: list[Any], n: int) -> list[list[Any]]:
    """``jobs`` (tuples whose last item is a cost) in at most ``n`` non-empty groups of
    about equal total cost: the costliest first, each to the group with the least so far
    (in the given order among equal costs, so the groups are the same on every run)."""
    groups: list[list[Any]] = [[] for _ in range(max(1, min(n, len(jobs))))]
    loads = [0.0] * len(groups)
    for job in sorted(jobs, key=lambda j: -j[-1]):
        i = loads.index(min(loads))
        groups[i].append(job)
        loads[i] += job[-1]
    return [g for g in groups if g]


def _run_tasks(
    ctx: RunContext, layers: list[Layer], grid: RegionGrid, progress: Progress, task_id: Any,
    lost: dict[str, dict[str, str]], *, checksums: Callable[[], None] = lambda: None,
    meanwhile: Callable[[], object] = lambda: None,
    said: dict[tuple[str, str], int] | None = None,
) -> tuple[int, int]:
    """Compute every pending chunk of ``layers``; publish the variables once complete.

    :data:`TASKS_PER_CHUNK` tasks per chunk of the grid compute that chunk of every layer
    still pending there (:func:`ingest_chunks`, the layers split by cost,
    :func:`split_by_cost`): 8 tasks instead of 56 for 14 layers on 4 chunks, each a
    scheduler round trip that the job's process pays on both ends (issue 19 point 2).
    Every layer's partial variable is started first, then the chunks are submitted in one
    batch, the costliest first; once they are, ``meanwhile()`` is called (to begin work
    that overlaps the workers'; without a cluster: after the chunks). The variables are
    published together when the last chunk lands (or at once when an interrupted run
    finished all their chunks), with one consolidated-metadata rewrite. Returns the
    chunks computed and the chunks resumed (per layer and chunk); the inputs the chunks
    skipped as unreadable go into ``lost`` (layer name -> name -> why), and what GDAL said
    on the workers into ``said`` (``(file, message)`` -> reads).

    ``checksums()`` returns once the inputs' SHA-256 (part of each fingerprint) are read
    and what ``meanwhile()`` began is done; it is called before anything is stamped or
    published. On a cluster, a layer with no partial variable to resume does not wait for
    them: its variable is begun under a provisional fingerprint, its chunks submitted, and
    its attributes and fingerprint stamped once the checksums are in, before any result is
    taken (so before it is published). A run killed before the stamp leaves only the
    provisional fingerprint, which no later run resumes.
    """
    parts: dict[str, PartialVariable] = {}
    said = {} if said is None else said
    computed = resumed = 0
    executor = ctx.executor
    provisional: list[Layer] = []
    reporting = {layer.name for layer in layers if _reports_lost(layer)}
    # chunk index -> (part, layer, cost) still to compute there
    by_chunk: dict[tuple[int, int], list[tuple[PartialVariable, Any, float]]] = {}
    windows = {(w.iy, w.ix): w for w in grid.chunk_windows()}

    for layer in layers:
        if executor.on_cluster and PartialVariable(ctx.cube_path, layer.name).fingerprint(
                ) is None:  # nothing to resume: the fingerprint decides nothing yet
            part = begin_variable(ctx.cube_path, layer.name, dtype=layer.dtype,
                                  fill_value=layer.fill_value, attrs={}, grid=grid,
                                  fingerprint=f"provisional-{uuid.uuid4().hex}")
            provisional.append(layer)
        else:
            checksums()
            part = start_layer(ctx.cube_path, layer, grid)
        parts[layer.name] = part
        pending = part.pending(grid)
        computed += len(pending)
        resumed += grid.n_chunks - len(pending)
        shipped = _ship_layer(executor, layer) if pending else layer
        for window in pending:
            by_chunk.setdefault((window.iy, window.ix), []).append((part, shipped, layer.cost))
    progress.update(task_id, total=computed)
    # task key (iy, ix, group) -> its (part, layer) and their cost
    todo: dict[tuple[int, int, int], list[tuple[PartialVariable, Any]]] = {}
    cost: dict[tuple[int, int, int], float] = {}
    for (iy, ix), jobs in by_chunk.items():
        for g, group in enumerate(split_by_cost(jobs, TASKS_PER_CHUNK)):
            todo[iy, ix, g] = [(part, shipped) for part, shipped, _ in group]
            cost[iy, ix, g] = sum(c for _, _, c in group)

    def calls() -> Iterator[list[tuple[tuple[int, int, int], tuple[Any, ...]]]]:
        # the costliest tasks first, so the workers finish together
        yield [(key, (todo[key], grid, windows[key[:2]]))
               for key in sorted(todo, key=lambda k: -cost[k])]
        meanwhile()
        checksums()
        for layer in provisional:
            parts[layer.name].stamp(grid, dtype=layer.dtype, fill_value=layer.fill_value,
                                    attrs=layer.attrs(), fingerprint=layer.fingerprint(grid))

    landed: list[Any] = []
    try:
        for key, chunk in executor.map_unordered(ingest_chunks, calls(), one_per_thread=True):
            progress.advance(task_id, len(todo[key]))
            landed.append(chunk)
    finally:
        close_warped_views()  # the views this process opened (running without a cluster)
    # what the chunks skipped, and what GDAL said on the workers: one round trip for all
    for result, heard in executor.gather(landed) if landed else []:
        for name, skipped in result:
            if skipped and name in reporting:
                lost.setdefault(name, {}).update(skipped)
        for key, count in heard.items():
            said[key] = said.get(key, 0) + count
    if parts:  # every layer given is to be published (new, changed or interrupted)
        with removed_later(ctx.cube_path) as leftovers:
            for part in parts.values():
                part.publish(grid, consolidated=False, leftovers=leftovers)
            consolidate(ctx.cube_path)
    return computed, resumed


def _reports_lost(layer: Layer) -> bool:
    """Whether ``layer``'s chunks can report inputs they skipped (a remote composite's
    lost items): only a layer that overrides :meth:`Layer.compute_reported` does; every
    other chunk's report is empty. (Every task's result is fetched, in one round trip at
    the end, for what GDAL said on the workers.)"""
    return type(layer).compute_reported is not Layer.compute_reported


INLINE_LAYER_BYTES = 256 * 1024


def _ship_layer(executor: StageExecutor, layer: Layer) -> Any:
    """How a layer travels to the workers: itself, or a future when it is large.

    A small layer (paths and settings: almost every one) goes inside each chunk's task, so
    the chunks have no dependency and the scheduler spreads them over every worker. A
    large one (a fitted surface over many points) is shipped once and replicated to every
    worker (:func:`pipelines.cluster.ship`). Without a cluster it is the layer itself.
    """
    if not executor.on_cluster or not ships_apart(layer):
        return layer
    return executor.ship(layer, replicate=True)


def ships_apart(layer: Layer) -> bool:
    """Whether a layer is too large to travel inside each chunk's task (over
    :data:`INLINE_LAYER_BYTES` pickled), so it is shipped once as a task of its own
    (``prospect plan`` counts those tasks with this)."""
    import cloudpickle

    return len(cloudpickle.dumps(layer)) > INLINE_LAYER_BYTES


def _inputs(layers: Iterable[Layer]) -> dict[str, str]:
    """Input files, each once, labelled ``<source>:<file name>`` (the manifest adds SHA-256;
    of a ``/vsizip/`` or ``/vsitar/`` name, the archive's)."""
    from prospect.config.vsi import archive_file

    out: dict[str, str] = {}
    for layer in layers:
        for path in (archive_file(p) or p for p in layer.inputs):
            if path in out.values():
                continue
            label = f"{layer.settings.get('source', layer.name)}:{path.rsplit('/', 1)[-1]}"
            n = 2
            while label in out:
                label = f"{label.split('#')[0]}#{n}"
                n += 1
            out[label] = path
    return out


def located_inputs(job: JobConfig) -> dict[str, str]:
    """The outline file of the job's mask where the mask names a shipped outline (or the
    region's, by the region's name): found in ``$PROSPECT_CONFIG_DIR`` or the installed
    package, so another folder or another install may hold another file, as
    ``{"outlines/<name>": path}``; ``{}`` for a mask given as a file ('mask.path'), or
    none (:func:`pipelines.stages.located_inputs`)."""
    from prospect.outlines import outline_dir

    mask = job.mask
    name = None if mask is None or mask.path is not None else \
        mask.outline or shipped_region_name(job)
    path = outline_dir() / f"{name}.geojson" if name else None
    return {f"outlines/{name}": str(path)} if path is not None and path.is_file() else {}


STAC_DIR = "stac"
"""Where a run saves the items its STAC searches found (one item collection per source)."""


def _remote_reads(layers: Iterable[Layer], lost: dict[str, dict[str, str]]
                  ) -> dict[str, object]:
    """Per composite source: items used, items that could not be read (and why: while
    planning, or in a chunk that needed them), and GDAL's HTTP settings, as the manifest
    records them."""
    layers = list(layers)
    out: dict[str, object] = {}
    for layer in layers:
        settings = layer.settings
        if "items_failed" not in settings or settings["source"] in out:
            continue
        failed = dict(settings["items_failed"])
        for other in layers:
            if other.settings.get("source") == settings["source"]:
                failed.update(lost.get(other.name, {}))
        used = [i for i in settings["items"] if i not in failed]
        out[settings["source"]] = {
            "items_used": len(used), "items_failed": failed,
            "items_outside_region": len(settings["items_outside"]),
            "gdal_http": settings["gdal_http"],
        }
    return out


def _stack_dates(ctx: RunContext) -> dict[str, str]:
    """Per-date variables stacked along ``time`` (``timeseries:``); unchanged ones are kept."""
    from prospect.io.cube import add_variables
    from prospect.timeseries import stack_dates

    assert ctx.job.timeseries is not None
    cube = open_cube(ctx.cube_path)
    stacked = stack_dates(cube, ctx.job.timeseries)
    for name in stacked.data_vars:  # a stack depends on its inputs' fingerprints too
        stacked_from = read_provenance(stacked[name].attrs["provenance"])["stacked"]
        inputs = sorted(str(cube[v].attrs.get("prospect_fingerprint", ""))
                        for v in stacked_from.values())
        stacked[name].attrs["prospect_fingerprint"] = json.dumps(inputs)
    todo = [str(n) for n in stacked.data_vars if str(n) not in cube.data_vars or
            cube[n].attrs.get("prospect_fingerprint") != stacked[n].attrs["prospect_fingerprint"]]
    if todo:
        add_variables(ctx.cube_path, stacked[todo], overwrite=True)
    return {str(n): f"{ctx.cube_path}/{n}" for n in stacked.data_vars}


def _check_labels(ctx: RunContext) -> None:
    """Read the model's label table now (its coordinates or geometries and its
    ``value_column``), so that a misspelt column stops the job before ingest computes
    rather than at train, after every chunk-wise stage. Whether the labels can train a
    model (grades, positives, negatives) is still train's to say: it depends on nothing
    ingest makes, but a survey may ingest first and settle its labels later."""
    cfg = ctx.job.model
    if cfg is None:
        return
    warn_labels_of_another_commodity(ctx.job, ctx.job_path)
    from prospect.io.points import source_options
    from prospect.models.labels import read_occurrences
    from prospect.models.training import labels_source

    source = labels_source(ctx.job.sources, cfg)
    occ = read_occurrences(source.path, ctx.grid, **source_options(source),
                           value_column=cfg.labels.value_column, mineral=cfg.mineral,
                           intervals=cfg.labels.intervals)
    refuse_too_many_folds(ctx.job, ctx.grid, occ, ctx.job_path)


@dataclass
class IngestPlan:
    """Every source of a job planned onto its grid: what the stage will compute."""

    layers: list[Layer]
    """The layers to write (masked where the job has a mask)."""
    planned: list[Layer]
    """The layers as the sources give them (before the mask): sampled for fill values."""
    stac_items: dict[str, list[str]] = field(default_factory=dict)
    """Per STAC-searched source, the items found (or read from the saved search)."""
    notes: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    """The data warnings planning raised where the stage could not collect them (before
    the cluster started): the stage raises them again, as its own."""


def plan(ctx: RunContext) -> IngestPlan:
    """Plan every source of ``ctx.job`` onto its grid, computing and writing nothing but a
    STAC search's saved item list.

    Bad input fails here: a missing or unreadable file, a folder named as a file, a CRS
    that cannot reach the grid, two sources making one variable, a name the config uses
    that no stage makes, labels that cannot be read. The runner calls it before the job's
    dask cluster starts (:func:`pipelines.runner.run_job`), so such a job is refused in a
    fraction of a second, before worker processes start or a batch system queues jobs.
    """
    grid = ctx.grid
    # bounds written as an extent, [xmin, xmax, ymin, ymax]: a region far larger than the
    # files, refused before its chunks are computed (as 'prospect plan' refuses it)
    refuse_bounds_in_extent_order(ctx.job, grid, ctx.job_path)
    stretched = ground_cells_note(grid)  # a region in Web Mercator: its cells' ground size
    if stretched:
        warnings.warn(stretched, DataWarning, stacklevel=1)
    layers: list[Layer] = []
    stac_items: dict[str, list[str]] = {}
    notes: list[str] = []
    for index, source in enumerate(ctx.job.sources):
        if isinstance(source, RasterSource) and source.stac_search is not None:
            source, stac_items[source.name], reused = resolve_search(
                source, grid, ctx.out_dir / STAC_DIR)
            notes.append(
                f"{source.name}: {len(stac_items[source.name])} STAC item(s) "
                + ("from the saved search" if reused else "found and saved")
                + f" ({STAC_DIR}/{source.name}.json)")
        with source_refusal_placed(source, ctx.job_path, index):  # its name and line
            layers.extend(plan_source(source, grid))
    planned = list(layers)
    if ctx.job.mask is not None:  # sea cells are no-data in every variable
        with mask_refusal_placed(ctx.job, ctx.job_path):  # its line
            layers = apply_mask(layers, plan_mask(ctx.job.mask, grid,
                                                  region=shipped_region_name(ctx.job)))
    dupes = repeated(layer.name for layer in layers)
    if dupes:
        raise DataError(f"job {ctx.job.name!r}: two sources make the same variable(s) {dupes}; "
                        "rename a source or its bands")
    # what the config names that no stage makes (tile layers, economics inputs, features,
    # an index shadowing a band): refused now, as 'prospect plan' refuses it
    refuse_unmade_variables(ctx.job, [layer.name for layer in layers], ctx.job_path)
    _check_labels(ctx)
    return IngestPlan(layers=layers, planned=planned, stac_items=stac_items, notes=notes)


def run(ctx: RunContext) -> StageResult:
    """Create (or reuse) the cube at ``ctx.cube_path`` and ingest every source into it.

    The stage works from the plan the runner made before the cluster started
    (``ctx.prepared["ingest"]``), or plans now: bad input fails before anything is written.
    """
    grid = ctx.grid
    result = StageResult(name="ingest")
    prepared = ctx.prepared.pop("ingest", None)
    made = prepared if isinstance(prepared, IngestPlan) else plan(ctx)
    for text in made.warned:
        warnings.warn(text, DataWarning, stacklevel=1)
    # the grid's edges where the region's bounds are no whole number of cells: said by
    # prospect plan, and here so that the run's warnings (and its manifest) keep it
    snapped = snapped_bounds_note(asked_bounds(ctx.job), grid)
    if snapped:
        warnings.warn(snapped, DataWarning, stacklevel=1)
    layers, planned, stac_items = made.layers, made.planned, made.stac_items
    result.notes.extend(made.notes)
    fresh = not ctx.cube_path.exists()
    # the inputs' SHA-256 (part of each fingerprint) is read beside the rest of the work.
    # At normal priority (issue 19 point 2): at nice 19 these chores waited for
    # the two workers of a two-core machine to finish every chunk, then ran alone while a
    # core idled (the stage's publishing waits for them), 0.1-0.15 s more per ingest
    # (bench_scale's job, 6 A/B pairs, 5 of them slower niced, load 5-9)
    side = ThreadPoolExecutor(1, thread_name_prefix="ingest-side")
    reads = [side.submit(file_sha256, p) for p in _inputs(layers).values()
             if Path(p).is_file()]
    chores: list[concurrent.futures.Future[None]] = []

    def checksums() -> None:
        """Wait for the inputs' SHA-256 (a failure is raised by the fingerprint itself)
        and for the chores begun meanwhile (the cube, the fill sample)."""
        concurrent.futures.wait(reads)
        for chore in chores:
            chore.result()

    # a new cube is needed only to publish into: on a cluster it is made while the workers
    # compute (the chunks go to partial variables beside it); an existing one is checked
    # against the grid before anything is written
    cube_later = fresh and ctx.executor.on_cluster

    def chore() -> None:
        if cube_later:
            create_cube(ctx.cube_path, grid, exist_ok=True, attrs=ctx.cube_attrs)
        # a fill value the sources do not declare would be ingested as data: warn
        # (sampled where the files lie under the region; it decides nothing about the
        # values)
        warn_fills(planned, configured={s.name: getattr(s, "nodata", None)
                                        for s in ctx.job.sources}, grid=grid)

    def meanwhile() -> None:
        chores.append(side.submit(chore))

    try:
        if not cube_later:
            create_cube(ctx.cube_path, grid, exist_ok=True, attrs=ctx.cube_attrs)
        published = {} if fresh else _published_fingerprints(ctx)
        if published:
            checksums()
        todo = sorted((la for la in layers if la.name not in published
                       or published[la.name] != la.fingerprint(grid)), key=lambda la: -la.cost)
        # a cube far past the disk's free space: said before hours of work end on a full disk
        room = cube_room_note(ctx.out_dir, None, float(len(todo)) * grid.shape[0]
                              * grid.shape[1] * FLOAT32)
        if room:
            warnings.warn(room, DataWarning, stacklevel=1)
        lost: dict[str, dict[str, str]] = {}
        said: dict[tuple[str, str], int] = {}
        with progress_bar(ctx.console, unit="chunks") as progress:
            task_id = progress.add_task(f"ingest {len(todo)} layer(s)", total=None)
            computed, resumed_chunks = _run_tasks(ctx, todo, grid, progress, task_id, lost,
                                                  checksums=checksums, meanwhile=meanwhile,
                                                  said=said)
    finally:
        side.shutdown(wait=True)
    for key, count in gdal_said().items():  # this process's reads (the fill sample)
        said[key] = said.get(key, 0) + count
    for (path, message), count in sorted(said.items()):
        if not said_at_header(path, message):  # warned of at planning already
            warnings.warn(gdal_said_message(path, message, count), DataWarning,
                          stacklevel=1)
    result.variables = [layer.name for layer in layers]
    if ctx.job.timeseries is not None:
        stacked = _stack_dates(ctx)
        result.outputs.update(stacked)
        result.variables += list(stacked)
    result.outputs["cube"] = str(ctx.cube_path)
    result.inputs = _inputs(layers)
    result.metrics = {
        "variables": len(layers), "chunks_computed": computed,
        "chunks_resumed": resumed_chunks, "variables_unchanged": len(layers) - len(todo),
        "chunks_per_variable": grid.n_chunks,
    }
    if stac_items:
        result.metrics["stac_items"] = stac_items
    remote = _remote_reads(layers, lost)
    if remote:
        result.metrics["remote_reads"] = remote
    result.skipped = not todo
    result.notes.append(
        f"{len(layers)} variable(s) from {len(ctx.job.sources)} source(s); "
        f"{computed} chunk(s) computed, {resumed_chunks} resumed, "
        f"{len(layers) - len(todo)} variable(s) already up to date"
    )
    return result

