"""Plan a job without computing it: chunks, tasks, cube size on disk, memory per worker.

Every chunk-wise stage makes a fixed number of tasks per cube chunk, so the figures follow
from the grid and the config:

* ingest: one task per (layer, chunk) (the stage submits exactly these);
* indices: the tasks of the real lazy graph that :func:`prospect.indices.compute_indices`
  builds on a stand-in of the job's cube (no data read) and of its zarr store;
* train and score: the graphs the stages build, built by the same library code on a lazy
  zero-filled stand-in of the job's cube (:mod:`pipelines.plan_graphs`): the sampling of
  the labelled cells and of the seeded background draw, the values shipped once and one
  task per model fit; the feature stack, the predictions and the store of both maps, then
  one delivery task per map. Train's sampling follows where the cells lie, not the chunk
  count; a background redraw (when drawn cells lack data) is counted apart
  (``extra_tasks``);
* tiles: one render job per layer and block of the pyramid, the jobs
  :func:`tiles.pyramid.write_pyramid` submits (from the grid's bounds, morecantile).

Layers are counted from the source headers when the files exist (``plan_source``, headers
only), otherwise from the config. Memory per worker is the largest per-task working set
times threads, doubled for the data in flight, plus the Python process itself.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from prospect.config import JobConfig
from prospect.config.sources import PointSource, RasterSource, VectorSource
from prospect.errors import ProspectError
from prospect.grid import RegionGrid

__all__ = ["JobPlan", "StagePlan", "count_layers", "format_bytes", "plan_job"]

PROCESS_BYTES = 350 * 2**20  # a dask worker process with numpy, rasterio, sklearn loaded
FLOAT32 = 4


@dataclass
class StagePlan:
    """One stage's planned work."""

    name: str
    tasks: int
    variables: int = 0
    bytes_per_task: int = 0
    note: str = ""
    fixed_tasks: int = 0
    """Of ``tasks``, those made once per job rather than per chunk (model fits, map
    deliveries)."""
    extra_tasks: int = 0
    """Tasks a data-dependent pass may add to ``tasks`` (train's background redraw)."""


@dataclass
class JobPlan:
    """A job's planned work and footprint (see :func:`plan_job`)."""

    job: str
    region: str
    crs: str
    resolution: float
    shape: tuple[int, int]
    chunks: tuple[int, int]
    n_chunks: int
    stages: list[StagePlan]
    cube_variables: int
    cube_bytes: int
    workers: int
    threads_per_worker: int
    memory_per_worker: int
    notes: list[str] = field(default_factory=list)

    @property
    def tasks(self) -> int:
        """Tasks of every stage together."""
        return sum(s.tasks for s in self.stages)

    @property
    def chunk_tasks(self) -> int:
        """Per-chunk tasks of the chunk-wise stages (ingest, indices, score): proportional
        to the chunk count (the stages' few per-job tasks are left out; train samples
        cells and tiles renders pyramid blocks)."""
        return sum(s.tasks - s.fixed_tasks for s in self.stages
                   if s.name not in ("train", "tiles"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``prospect plan --json``)."""
        out = asdict(self)
        out.update(tasks=self.tasks, chunk_tasks=self.chunk_tasks)
        return out


def count_layers(source: Any, grid: RegionGrid) -> tuple[int, str]:
    """Cube layers one source makes, and how they were counted.

    ``headers`` when the source's files could be planned; otherwise the layers are counted
    from the config and the second value says why: ``config: <the error>``. Only bad or
    absent input (a :class:`~prospect.errors.ProspectError` or an ``OSError``) falls back
    to the config; any other exception is a bug and propagates.
    """
    from prospect.ingest import plan_source

    try:
        return len(plan_source(source, grid)), "headers"
    except (ProspectError, OSError) as exc:  # files absent or unreadable
        return _layers_from_config(source), f"config: {str(exc).splitlines()[0][:300]}"


def _layers_from_config(source: Any) -> int:
    if isinstance(source, RasterSource):
        if source.bands:
            return len(source.bands)
        if source.band_names:
            return len(source.band_names)
        if source.assets:
            return len(source.assets)
        if source.scenes and source.scenes[0].bands:
            return len(source.scenes[0].bands)
        return 1
    if isinstance(source, VectorSource):
        return (bool(source.attribute) + source.distance_to_contacts
                + bool(source.faults_layer))
    if isinstance(source, PointSource):
        per_col = sum(2 if kind == "kriging" else 1 for kind in source.interpolate)
        return int(source.distance) + per_col * len(source.columns)
    return 1


def _tile_tasks(job: JobConfig, grid: RegionGrid) -> int:
    if job.tiles is None:
        return 0
    from tiles.grids import DEFAULT_TMS, data_zooms, footprint, tile_matrix_set
    from tiles.metadata import zoom_range
    from tiles.pyramid import METATILE_PX, pyramid_jobs

    cfg = job.tiles
    tms = tile_matrix_set(DEFAULT_TMS)  # the zooms the tiles stage renders (tiles.metadata)
    native = data_zooms(tms, *footprint(grid.crs, grid.bounds, grid.shape, tms.rasterio_crs))
    lo, hi = zoom_range(native, tms, (cfg.min_zoom, cfg.max_zoom))
    jobs = pyramid_jobs(grid.lonlat_bounds(), lo, hi, block=METATILE_PX // cfg.tile_size)
    return len(jobs) * max(1, len(cfg.layers))


def plan_job(job: JobConfig, grid: RegionGrid, *, workers: int = 1,
             threads_per_worker: int = 1) -> JobPlan:
    """Plan ``job`` on ``grid`` for ``workers`` processes of ``threads_per_worker`` threads.

    Nothing is computed and no pixel is read; raster headers are read when the files exist.
    """
    n = grid.n_chunks
    cells = grid.chunks[0] * grid.chunks[1]
    chunk_bytes = cells * FLOAT32
    counted = [count_layers(s, grid) for s in job.sources]
    n_layers = sum(c for c, _ in counted)
    how = {h.split(":")[0] for _, h in counted}
    unread = [f"source {s.name!r}: layers counted from the config ({h[len('config: '):]})"
              for s, (_, h) in zip(job.sources, counted, strict=True) if h != "headers"]
    stages = [StagePlan("ingest", n_layers * n, n_layers, bytes_per_task=4 * chunk_bytes,
                        note="layers from " + "+".join(sorted(how)) if how else "no sources")]
    from pipelines.plan_graphs import index_tasks, score_tasks, stand_in_cube, train_tasks

    cube = stand_in_cube(job, grid) if job.indices is not None or job.model is not None \
        else None
    n_idx = 0
    if job.indices is not None:
        assert cube is not None
        idx_tasks, idx_once, n_idx = index_tasks(job, grid, cube) if (
            job.indices.names or job.indices.custom) else (0, 0, 0)
        stages.append(StagePlan("indices", idx_tasks, n_idx, fixed_tasks=idx_once,
                                bytes_per_task=(6 + 2 * n_idx) * chunk_bytes,
                                note="real lazy graph of compute_indices"))
    n_features = n_layers + n_idx
    if job.model is not None:
        assert cube is not None
        train = train_tasks(job, grid, cube)
        where = "the labelled cells" if train.labels_read else "every chunk (labels unread)"
        stages.append(StagePlan(
            "train", train.tasks, 0, fixed_tasks=train.tasks, extra_tasks=train.top_up,
            bytes_per_task=(n_features + 1) * chunk_bytes,
            note=f"sampling {where} and the background, then {train.fits} model fits; "
                 f"+{train.top_up} if the background is redrawn"))
        tasks, once = score_tasks(job, grid, cube)
        stages.append(StagePlan("score", tasks, 2, fixed_tasks=once,
                                bytes_per_task=(3 * n_features + 4) * chunk_bytes,
                                note="features -> model -> probability + uncertainty"))
    if job.tiles is not None:
        stages.append(StagePlan("tiles", _tile_tasks(job, grid), 0,
                                bytes_per_task=4 * chunk_bytes, note="pyramid blocks x layers"))
    cube_vars = n_layers + n_idx + (2 if job.model is not None else 0)
    cube_bytes = cube_vars * grid.shape[0] * grid.shape[1] * FLOAT32
    per_task = max(s.bytes_per_task for s in stages)
    memory = PROCESS_BYTES + 2 * per_task * threads_per_worker
    notes = [
        *unread,
        "cube size is uncompressed float32; zstd typically stores imagery 1.3-2x smaller",
        "memory per worker = process + 2 x (largest task working set x threads)",
    ]
    return JobPlan(
        job=job.name, region=grid.name, crs=grid.crs, resolution=grid.resolution,
        shape=grid.shape, chunks=grid.chunks, n_chunks=n, stages=stages,
        cube_variables=cube_vars, cube_bytes=cube_bytes, workers=workers,
        threads_per_worker=threads_per_worker, memory_per_worker=memory, notes=notes,
    )


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    i = 0 if n <= 0 else min(len(units) - 1, int(math.log(n, 1024)))
    return f"{n / 1024 ** i:.1f} {units[i]}" if i else f"{int(n)} B"
