"""Ingest stage: every source of the job onto the region grid, into the job's zarr cube.

Resumable: each variable is written chunk by chunk into a partial store next to the cube
and published atomically when complete (see :class:`prospect.io.cube.PartialVariable`).
A rerun after any interruption, even SIGKILL, skips published variables whose inputs and
settings are unchanged and, inside an unfinished variable, every chunk already marked done.
Chunks run as tasks on the job's dask client when there is one, with a progress bar.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipelines.context import RunContext, StageResult
from prospect.config import repeated
from prospect.errors import DataError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest import Layer, ingest_chunk, plan_source, start_layer
from prospect.io.cube import PartialVariable, create_cube, open_cube
from prospect.io.raster import close_warped_views

__all__ = ["run"]


def _published_fingerprints(ctx: RunContext) -> dict[str, str]:
    cube = open_cube(ctx.cube_path)
    out = {}
    for name in cube.data_vars:
        out[str(name)] = str(cube[name].attrs.get("prospect_fingerprint", ""))
    return out


def _progress(ctx: RunContext) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=ctx.console, transient=False,
    )


def _run_tasks(
    ctx: RunContext, work: list[tuple[PartialVariable, Layer, ChunkWindow]],
    parts: list[PartialVariable], grid: RegionGrid, progress: Progress, task_id: Any,
) -> None:
    """Compute every pending chunk; publish each variable as soon as its last chunk lands."""
    remaining = {part.name: 0 for part in parts}
    for part, _, _ in work:
        remaining[part.name] += 1
    by_name = {part.name: part for part in parts}

    def finished(name: str) -> None:
        remaining[name] -= 1
        progress.advance(task_id)
        if remaining[name] == 0:
            by_name[name].publish(grid)

    for part in parts:  # complete before an interruption, but not yet published
        if remaining[part.name] == 0:
            part.publish(grid)
    if ctx.client is None:
        try:
            for part, layer, window in work:
                ingest_chunk(part, layer, grid, window)
                finished(part.name)
        finally:
            close_warped_views()
        return
    from distributed import as_completed

    # Ship each layer once (fitted models, point arrays) rather than once per chunk, as a
    # task, not scattered data: a task is recomputed if its worker dies (issue #8).
    layers = {id(layer): layer for _, layer, _ in work}
    scattered = {k: ctx.client.submit(lambda v: v, v, pure=False) for k, v in layers.items()}
    futures = {
        ctx.client.submit(ingest_chunk, part, scattered[id(layer)], grid, window,
                          pure=False): part.name
        for part, layer, window in work
    }
    try:
        for fut in as_completed(list(futures)):
            fut.result()
            finished(futures[fut])
    finally:
        for fut in futures:
            fut.cancel()


def _inputs(layers: Iterable[Layer]) -> dict[str, str]:
    """Input files, each once, labelled ``<source>:<file name>`` (the manifest adds SHA-256)."""
    out: dict[str, str] = {}
    for layer in layers:
        for path in layer.inputs:
            if path in out.values():
                continue
            label = f"{layer.settings.get('source', layer.name)}:{path.rsplit('/', 1)[-1]}"
            n = 2
            while label in out:
                label = f"{label.split('#')[0]}#{n}"
                n += 1
            out[label] = path
    return out


def run(ctx: RunContext) -> StageResult:
    """Create (or reuse) the cube at ``ctx.cube_path`` and ingest every source into it."""
    grid = ctx.grid
    result = StageResult(name="ingest")
    # Plan every source first: bad input fails here, before anything is written.
    layers: list[Layer] = []
    for source in ctx.job.sources:
        layers.extend(plan_source(source, grid))
    dupes = repeated(layer.name for layer in layers)
    if dupes:
        raise DataError(f"job {ctx.job.name!r}: two sources make the same variable(s) {dupes}; "
                        "rename a source or its bands")
    create_cube(ctx.cube_path, grid, exist_ok=True, attrs={
        "synthetic": bool(ctx.job.synthetic), "job": ctx.job.name,
        "title": f"Prospect cube of {ctx.job.name}" + (" (SYNTHETIC data)"
                                                       if ctx.job.synthetic else ""),
    })
    published = _published_fingerprints(ctx)
    work: list[tuple[PartialVariable, Layer, ChunkWindow]] = []
    parts: list[tuple[PartialVariable, Layer]] = []
    skipped_layers, resumed_chunks = [], 0
    for layer in layers:
        fp = layer.fingerprint(grid)
        if published.get(layer.name) == fp:
            skipped_layers.append(layer.name)
            continue
        part = start_layer(ctx.cube_path, layer, grid)
        pending = part.pending(grid)
        resumed_chunks += grid.n_chunks - len(pending)
        parts.append((part, layer))
        work.extend((part, layer, w) for w in pending)
    with _progress(ctx) as progress:
        task_id = progress.add_task(f"ingest {len(parts)} layer(s)", total=len(work))
        _run_tasks(ctx, work, [p for p, _ in parts], grid, progress, task_id)
    result.outputs["cube"] = str(ctx.cube_path)
    result.inputs = _inputs(layers)
    result.metrics = {
        "variables": len(layers), "chunks_computed": len(work),
        "chunks_resumed": resumed_chunks, "variables_unchanged": len(skipped_layers),
        "chunks_per_variable": grid.n_chunks,
    }
    result.skipped = not work and not parts
    result.notes.append(
        f"{len(layers)} variable(s) from {len(ctx.job.sources)} source(s); "
        f"{len(work)} chunk(s) computed, {resumed_chunks} resumed, "
        f"{len(skipped_layers)} variable(s) already up to date"
    )
    return result

