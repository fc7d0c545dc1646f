"""Task counts of the train and score stages, from the graphs those stages build.

Both stages work on the job's cube. Without computing anything, :func:`stand_in_cube` makes
a lazy, zero-filled cube of the job's grid with every variable ingest and indices would
write (names, kinds and provenance from the sources' headers and the index definitions;
one task per chunk, as :func:`prospect.io.cube.open_cube` reads a stored chunk). On it the
real library code builds the real graphs:

* indices (:func:`index_tasks`): one task per chunk computing and writing every index
  (:func:`pipelines.stages.indices.index_writes`), on the bands; on bands that are not
  plain 2-D chunks (stacked dates), the stage's own graph of that path
  (:func:`pipelines.stages.indices.counted_layers`, stored as
  :func:`prospect.io.cube.write_graph` stores it);
* train (:func:`train_tasks`): the feature spec (:func:`prospect.models.training.
  select_features`), the sampling of the labelled cells and of the seeded background
  draw (:func:`prospect.features.sample_cells` at the cells
  :func:`prospect.models.training.read_labels` and
  :func:`prospect.models.labels.sample_background` give), then the values shipped to the
  cluster once and one task per model fit;
* score (:func:`score_tasks`): the stack, :func:`prospect.models.predict.predict_map` and
  one task per chunk writing both maps (:func:`pipelines.stages.score.map_writes`), then
  one delivery task per map.

Each computed collection counts as its optimised graph plus the one task that gathers an
array's result, as the scheduler runs them. A background draw whose cells partly lack data
is redrawn once, larger (the train stage tops it up); that pass depends on the data, so
it is reported apart (:attr:`TrainTasks.top_up`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import dask
import numpy as np
import xarray as xr

from prospect.config import JobConfig
from prospect.errors import ProspectError
from prospect.grid import RegionGrid

__all__ = [
    "TrainTasks", "client_tasks", "graph_tasks", "index_tasks", "score_tasks", "screen_tasks",
    "stack_tasks", "stand_in_cube", "train_tasks",
]

SHIPPED = 3
"""Values the train stage sends to the cluster once (rows, labels, weights)."""


@dataclass(frozen=True)
class TrainTasks:
    """Tasks of the train stage: sampling, shipping and fits, and a possible top-up pass."""

    sampling: int
    fits: int
    top_up: int
    labels_read: bool
    fold_matrices: int = 0
    """Feature matrices shipped once per fold and scheme: the label surfaces rebuilt
    inside each fold (fold-aware interpolation)."""

    @property
    def tasks(self) -> int:
        """Tasks of a run whose background cells all have data."""
        return self.sampling + SHIPPED + self.fold_matrices + self.fits


def graph_tasks(*collections: Any) -> tuple[int, int]:
    """Tasks the scheduler runs to compute ``collections`` one by one (optimised graph,
    plus one task gathering each array's chunks), and how many of them are not chunk
    tasks (keyed by name only: the model, finalisers, the gathering)."""
    import dask.array as dsa

    total = once = 0
    for obj in collections:
        (opt,) = dask.optimize(obj)
        keys = list(opt.__dask_graph__().keys())
        extra = 1 if isinstance(obj, dsa.Array) else 0
        total += len(keys) + extra
        once += sum(not isinstance(k, tuple) for k in keys) + extra
    return total, once


def client_tasks(*objs: Any) -> tuple[int, int]:
    """Tasks the scheduler runs when a stage computes ``objs`` together, with
    ``Client.compute`` (what :func:`pipelines.progress.compute` does) or ``dask.compute``,
    split as :func:`graph_tasks` splits them: the graph optimised and finalised as dask
    does it, so a chain it fuses counts once (a one-chunk map's predict, write and
    gather are one task). :func:`graph_tasks` where dask has no such step."""
    try:
        from dask._expr import FinalizeCompute
        from dask.base import collections_to_expr
    except ImportError:  # an older dask: the graph and the gathering task
        return graph_tasks(*objs)
    keys = list(FinalizeCompute(collections_to_expr(list(objs), True)).optimize()
                .__dask_graph__().keys())
    return len(keys), sum(not isinstance(k, tuple) for k in keys)


def stored_zeros(grid: RegionGrid, dtype: str, name: str, times: int = 0) -> Any:
    """A lazy zero array standing in for stored variable ``name``: one task per chunk,
    as :func:`prospect.io.cube.open_cube` reads it (each variable its own tasks); with
    ``times``, a ``(time, y, x)`` variable stored one date per chunk."""
    import dask.array as dsa

    shape, chunks = (grid.shape, grid.chunks) if not times else (
        (times, *grid.shape), (1, *grid.chunks))
    return dsa.zeros(shape, chunks=chunks, dtype=dtype, name=f"stand-in-{name}")


def stand_in_cube(job: JobConfig, grid: RegionGrid) -> xr.Dataset:
    """A lazy zero-filled cube with every variable the job's ingest and indices write.

    Each group of variables (the sources' layers, the stacked dates, the indices, the
    changes) joins the cube in one ``assign``: one variable at a time, xarray merged the
    whole cube again for each, and 3 000 custom indices took minutes to plan.
    """
    import xarray as xr

    from prospect.ingest import plan_source

    def zeros(name: str, attrs: dict[str, Any], dtype: str = "float32",
              timed: bool = False) -> xr.Variable:
        if timed:
            return xr.Variable(("time", "y", "x"),
                               stored_zeros(grid, dtype, name, ds.sizes["time"]), attrs)
        return xr.Variable(("y", "x"), stored_zeros(grid, dtype, name), attrs)

    from prospect.io.cube import grid_template

    ds = grid_template(grid)
    layers_of: dict[str, xr.Variable] = {}
    for source in job.sources:
        try:
            layers = plan_source(source, grid)
        except (ProspectError, OSError):  # files absent: layers as the config counts them
            from pipelines.plan import count_layers

            n, _ = count_layers(source, grid)
            prov = json.dumps({"source": source.name})
            for i in range(n):
                layers_of[f"{source.name}_{i}"] = zeros(
                    f"{source.name}_{i}", {"prospect_kind": "continuous", "provenance": prov})
            continue
        for layer in layers:
            layers_of[layer.name] = zeros(layer.name, layer.attrs(), layer.dtype)
    if job.mask is not None:  # ingest's land mask (the screen stage counts its cells)
        from prospect.ingest.mask import LAND_VARIABLE

        layers_of[LAND_VARIABLE] = zeros(LAND_VARIABLE, {"prospect_kind": "mask"},
                                         "uint8")
    ds = ds.assign(layers_of)
    stacked = _stacked(job, ds)
    if stacked is not None:  # as ingest stores them: one date per chunk
        ds = ds.assign_coords(time=stacked.time)
        ds = ds.assign({name: zeros(str(name), dict(stacked[name].attrs), timed=True)
                        for name in stacked.data_vars})
    cfg = job.indices
    if cfg is not None and (cfg.names or cfg.custom):
        from prospect.indices import compute_indices

        out = compute_indices(_bands(job, grid, ds), cfg.names, sensor=cfg.sensor,
                              custom=dict(cfg.custom), bands=dict(cfg.bands),
                              constants=dict(cfg.constants), backend=cfg.backend,
                              nodata=cfg.nodata, allow_out_of_range=True,
                              sample_bands=False)
        ds = ds.assign({name: zeros(str(name), dict(out[name].attrs),
                                    timed="time" in out[name].dims)
                        for name in out.data_vars})
    ds = ds.assign({f"{name}_change": zeros(f"{name}_change", {"prospect_kind": "change"})
                    for name in _changed(job, ds)})
    return ds


def _stacked(job: JobConfig, ds: xr.Dataset) -> xr.Dataset | None:
    """The lazy ``timeseries`` stack of the stand-in's per-date variables, as ingest makes
    it; None without a time series, or when a per-date variable is not in the stand-in
    (its source's files absent: counted from the config under other names)."""
    from prospect.timeseries import stack_dates

    if job.timeseries is None:
        return None
    try:
        return stack_dates(ds, job.timeseries)
    except ProspectError:
        return None


def _changed(job: JobConfig, ds: xr.Dataset) -> list[str]:
    """The ``timeseries.difference`` variables whose change the screen stage writes, of
    those the stand-in has with a time axis."""
    if job.timeseries is None:
        return []
    return [n for n in job.timeseries.difference if n in ds and "time" in ds[n].dims]


def stack_tasks(job: JobConfig, grid: RegionGrid, ds: xr.Dataset) -> tuple[int, int]:
    """Tasks of ingest's ``timeseries`` stacking (after the layers), on stand-in cube
    ``ds``: the per-date variables read and written as ``(time, y, x)`` variables
    (:func:`prospect.io.cube.write_graph`), and how many of them are made once; and the
    number of variables it writes is ``ds``'s ``time`` variables' count."""
    from prospect.io.cube import write_graph

    stacked = _stacked(job, ds)
    if stacked is None:
        return 0, 0
    return client_tasks(write_graph(grid, stacked))


def _bands(job: JobConfig, grid: RegionGrid, ds: xr.Dataset) -> xr.Dataset:
    """The bands the indices read: the stand-in's, or zeros for a band no source makes."""

    from prospect.indices.bands import band_variables, load_sensor

    cfg = job.indices
    assert cfg is not None
    names = sorted(set(band_variables(load_sensor(cfg.sensor), dict(cfg.bands)).values()))
    return xr.Dataset({b: ds[b] if b in ds else xr.DataArray(
        stored_zeros(grid, "float32", b), dims=("y", "x"), attrs={"units": "1"})
        for b in names}, coords={"y": ds.y, "x": ds.x})


def _sample_graph(stack: xr.DataArray, rows: np.ndarray, cols: np.ndarray) -> int:
    return graph_tasks(stack.data.transpose(1, 2, 0).vindex[rows, cols])[0]


def _chunk_centres(grid: RegionGrid) -> tuple[np.ndarray, np.ndarray]:
    """One cell in every chunk: a draw that touches them all."""
    windows = list(grid.chunk_windows())
    return (np.array([w.rows.start for w in windows]), np.array([w.cols.start for w in windows]))


def train_tasks(job: JobConfig, grid: RegionGrid, ds: xr.Dataset) -> TrainTasks:
    """Tasks of the train stage of ``job`` on stand-in cube ``ds`` (see the module)."""
    from prospect.features import build_stack
    from prospect.models.labels import sample_background
    from prospect.models.training import (
        find_label_surfaces,
        labels_source,
        read_labels,
        select_features,
    )

    cfg = job.model
    assert cfg is not None
    source = labels_source(job.sources, cfg)
    try:  # as the stage finds them: the features made from the label points
        leaks = find_label_surfaces(ds, cfg, sources=job.sources, grid=grid)
    except (ProspectError, OSError):  # the labels file cannot be read yet
        leaks = []
    spec = select_features(ds, cfg, labels_path=source.path, leaks=leaks)
    stack = build_stack(ds, spec)
    lab = cfg.labels
    every = _chunk_centres(grid)
    try:
        labels, _, _ = read_labels(source, grid, lab, mineral=cfg.mineral)
        n_pos = labels.n_positive
    except (ProspectError, OSError):  # no labels file yet: every chunk touched, at most
        n_pos = 0
    if n_pos < 2:  # the stage would stop; count a draw that touches every chunk
        sampling = 2 * _sample_graph(stack, *every)
        top_up = _sample_graph(stack, *every)
        labels_read = False
    else:
        keep = (labels.label == 1) | (lab.negatives in ("below_threshold", "both"))
        sampling = _sample_graph(stack, labels.rows[keep], labels.cols[keep])
        top_up = 0
        if lab.negatives in ("background", "both"):
            n = None if lab.background == "all" else round(float(lab.background_ratio * n_pos))

            def draw(k: int | None) -> tuple[np.ndarray, np.ndarray]:
                return sample_background(grid, k, exclude_rows=labels.rows,
                                         exclude_cols=labels.cols,
                                         exclusion=lab.background_exclusion, seed=cfg.seed,
                                         labels=labels.label)

            sampling += _sample_graph(stack, *draw(n))
            if n is not None:  # a redraw is larger: the chunks a draw twice as large touches
                top_up = _sample_graph(stack, *draw(2 * n + 10))
        labels_read = True
    # spatial folds once per estimator seed, random folds once, and the final fit
    seeds = 1 if cfg.estimator == "weights_of_evidence" else cfg.cv.seeds
    kinds = 1 + (1 if cfg.cv.compare_random or cfg.cv.kind == "random" else 0)
    # a label surface that is a feature is rebuilt in each fold: one matrix per fold and
    # scheme travels to the cluster (the other estimator seeds reuse the spatial ones)
    names = spec.names()
    rebuilt = cfg.fold_aware_interpolation and any(f.variable in names for f in leaks)
    return TrainTasks(sampling=sampling, fits=cfg.cv.n_splits * (seeds + kinds - 1) + 1,
                      top_up=top_up, labels_read=labels_read,
                      fold_matrices=cfg.cv.n_splits * kinds if rebuilt else 0)


def screen_tasks(job: JobConfig, grid: RegionGrid, ds: xr.Dataset | None) -> tuple[int, int]:
    """Tasks of the screen stage of ``job``: the report's reads of the checked surfaces,
    their variances and the economics maps (the checks and the economics layers run in the
    job's process), counted on the stand-in cube ``ds`` (zeros where a variable is not in
    it), and how many of them are made once per map rather than per chunk; and the
    ``timeseries.difference`` change layers' writes and the read of their summary."""
    from pipelines.screen_report import report_maps, report_view
    from pipelines.stages.screen import checked_surfaces

    try:
        surfaces = [layer.name for _, layer in checked_surfaces(job, grid)]
    except (ProspectError, OSError):  # the points cannot be read yet: none checked
        surfaces = []
    total = once = 0
    for name in report_maps(surfaces, job.economics is not None):
        da = ds[name] if ds is not None and name in ds else xr.DataArray(
            stored_zeros(grid, "float32", name), dims=("y", "x"))
        tasks, fixed = client_tasks(report_view(da).data)
        total, once = total + tasks, once + fixed
    changed = _changed(job, ds) if ds is not None else []
    if ds is not None and changed:  # written, then read back for the report's summary
        from pipelines.stages.screen import change_reads
        from prospect.io.cube import write_graph
        from prospect.timeseries import change

        for tasks, fixed in (
                client_tasks(write_graph(grid, xr.Dataset(
                    {f"{n}_change": change(ds[n]) for n in changed}))),
                client_tasks(*change_reads(ds, [f"{n}_change" for n in changed]))):
            total, once = total + tasks, once + fixed
    return total, once


def score_tasks(job: JobConfig, grid: RegionGrid, ds: xr.Dataset) -> tuple[int, int]:
    """Tasks of the score stage of ``job`` on stand-in cube ``ds`` (see the module), and
    how many of them are made once per job rather than per chunk."""
    from pipelines.stages.score import map_writes
    from prospect.features import build_stack
    from prospect.models.predict import predict_map
    from prospect.models.training import labels_source, select_features

    cfg = job.model
    assert cfg is not None
    spec = select_features(ds, cfg, labels_path=labels_source(job.sources, cfg).path)
    maps = predict_map(build_stack(ds, spec), _NoModel(), base=spec.base_indices())
    tasks, once = client_tasks(map_writes(maps, grid, []))  # never computed: no parts
    deliveries = len(maps.data_vars)  # one task per map: COG, quick-look, histogram
    return tasks + deliveries, once + deliveries


def index_tasks(job: JobConfig, grid: RegionGrid, ds: xr.Dataset) -> tuple[int, int, int]:
    """Tasks of the indices stage on stand-in cube ``ds`` (the bands it reads), how many
    of them are made once per job, and how many indices it writes: one task per chunk
    that reads the bands, computes and writes every index and takes the reflectance
    sample (:func:`pipelines.stages.indices.index_writes`), and the one gathering them;
    on bands that are not plain 2-D chunks, those of :func:`_unfused_index_tasks`."""
    from pipelines.stages.indices import _plain_bands, index_writes
    from prospect.indices.bands import load_sensor
    from prospect.indices.plan import plan_indices
    from prospect.indices.ranges import reflective_inputs

    cfg = job.indices
    assert cfg is not None
    bands = _bands(job, grid, ds)
    plan = plan_indices(cfg.names, sensor=load_sensor(cfg.sensor), custom=dict(cfg.custom),
                        bands=dict(cfg.bands), constants=dict(cfg.constants))
    if not _plain_bands(bands, grid, list(plan.inputs)):  # e.g. bands with a time axis
        return (*_unfused_index_tasks(job, grid, bands, plan), len(plan.indices))
    users = {} if cfg.allow_out_of_range else reflective_inputs(plan)
    tasks, once = client_tasks(index_writes(  # never computed: no parts
        [bands[v].data for v in plan.inputs], plan, "numba", grid=grid, nodata=cfg.nodata,
        parts=[], slots=[], sampled=[plan.inputs.index(v) for v in users]))
    return tasks, once, len(plan.indices)


def _unfused_index_tasks(job: JobConfig, grid: RegionGrid, bands: xr.Dataset,
                         plan: Any) -> tuple[int, int]:
    """The indices stage on bands that are not plain 2-D chunks (e.g. stacked dates): the
    reflectance sample in one computation, then the graph the stage stores with
    :func:`prospect.io.cube.add_variables` and computes with it: the masked layers'
    write and their figures (:func:`pipelines.stages.indices.counted_layers`, one mask
    and one count task per block beside the indices)."""
    from pipelines.stages.indices import counted_layers
    from prospect.indices import compute_indices
    from prospect.indices.ranges import reflectance_samples
    from prospect.io.cube import write_graph

    cfg = job.indices
    assert cfg is not None
    # the sample is read under allow_out_of_range too (its bands' scales are checked)
    tasks, once = client_tasks(*reflectance_samples(bands, plan))
    out = compute_indices(bands, cfg.names, sensor=cfg.sensor, custom=dict(cfg.custom),
                          bands=dict(cfg.bands), constants=dict(cfg.constants),
                          backend=cfg.backend, nodata=cfg.nodata, allow_out_of_range=True,
                          sample_bands=False)
    layers, counts = counted_layers(bands, plan, out, [str(n) for n in out.data_vars],
                                    nodata=cfg.nodata)
    more, fixed = client_tasks(write_graph(grid, layers), counts)
    return tasks + more, once + fixed


class _NoModel:
    """Stands in for the model in a graph that is never computed."""

    def predict_proba(self, X: Any) -> np.ndarray:
        raise NotImplementedError("a planning stand-in")
