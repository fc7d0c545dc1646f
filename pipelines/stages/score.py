"""Score stage: the trained model over every cell of the cube, block by block.

Loads the model from ``out_dir/model`` (verified by :mod:`prospect.registry`), checks the
cube against its input schema, rebuilds the same feature stack, predicts each chunk with
``map_blocks`` and publishes ``probability`` and ``uncertainty`` into the cube; then writes
them as COGs under ``out_dir/score`` with one STAC item each.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dask.array as da
import numpy as np
import xarray as xr

from pipelines.context import RunContext, StageResult
from pipelines.faults import gdal_disk_fault, probe_disk
from pipelines.progress import compute, track
from pipelines.report import write_quicklook, write_score_report
from prospect.config.model import ModelConfig
from prospect.errors import DataWarning, ProspectError, StageError
from prospect.features.stack import FILL_MAGNITUDE, fill_stats, stack_layers
from prospect.grid import ChunkWindow, RegionGrid
from prospect.io.cube import (
    PartialVariable,
    attr_text,
    cube_grid,
    is_synthetic,
    open_cube,
    run_variables,
)
from prospect.io.files import write_json
from prospect.io.raster import write_cog
from prospect.models.metrics import percent, top_capture_binned
from prospect.models.predict import scores_missing_evidence, unscored_block
from prospect.models.training import labels_source, read_labels
from prospect.provenance import provenance_attr
from prospect.registry.applicability import (
    far_fill_stats,
    far_fill_values,
    input_comparison,
    mask_far_fills,
    same_evidence,
)
from prospect.registry.scoring import OUTPUTS, model_feature_spec, output_scale, score_model

if TYPE_CHECKING:
    from prospect.config.job import JobConfig

__all__ = ["coverage", "input_dates", "not_compared_lines", "publish_maps", "run",
           "stac_item"]


def map_scale(card: dict[str, Any], grid: RegionGrid | None,
              estimator: Any = None) -> tuple[str, str]:
    """What the ``probability`` layer is, in words: ``(scale, long name)``.

    A probability when the model is calibrated (isotonic or Platt on its spatial
    out-of-fold scores); the long name then states the base rate it is calibrated to (the
    share of positives among the training rows) beside the training region's density of
    positive cells (``grid``: the job's region; ``None`` for a cube that may be another
    region's, ``prospect model score``, which says so instead). An uncalibrated
    ``estimator`` names its own scale (:func:`prospect.registry.scoring.output_scale`):
    weights of evidence's posterior probability per unit cell; any other is a *relative
    prospectivity*: a ranking, not a probability.
    """
    method = (card.get("calibration") or {}).get("method", "none")
    if method in (None, "none"):
        if estimator is not None:
            return output_scale(estimator, units=grid.units if grid is not None
                                else "CRS units")
        return "relative prospectivity", OUTPUTS["probability"][1]
    labels = card.get("labels") or {}
    pos, n = labels.get("positives") or 0, labels.get("samples") or 0
    base = pos / n if n else float("nan")
    name = "Platt (sigmoid)" if method == "sigmoid" else method
    where = (f"; the region holds {pos / float(np.prod(grid.shape)):.3g} positive cells per "
             "cell") if grid is not None else (
        ", set by the background drawn per positive: not the chance that a cell holds a "
        "deposit, here or in the training region")
    return "calibrated probability", (
        f"probability calibrated ({name} on spatial out-of-fold scores) to the training "
        f"base rate {base:.3g} (positives per training row){where}")


def check_mineral(card: dict[str, Any], mineral: str, model_dir: Path) -> None:
    """Refuse a model trained for another commodity than the config's ``model.mineral``.

    The score stage labels its maps, COG tags and STAC items with the config's mineral: a
    zinc model left in ``model/`` (another job's output folder, or a config edited since
    training) was published as a copper map, with only the stage's "out of date" warning.
    """
    from prospect.config.commodities import commodity_name

    trained = card.get("mineral")
    if not isinstance(trained, str) or not trained.strip():
        return  # models saved without one: nothing to compare

    def key(text: str) -> str:
        return commodity_name(text) or " ".join(text.lower().split())

    if key(trained) != key(mineral):
        raise StageError(
            f"{model_dir}: the model there was trained for {trained!r}, but this config's "
            f"model.mineral is {mineral!r} (its maps would be labelled {mineral!r}); run "
            "'prospect train' on this config first, or give -o the output folder of the "
            "job that trained the model")


def not_compared_lines(schema: dict[str, Any], cube: xr.Dataset) -> list[str]:
    """One line naming the cube variables whose evidence could not be compared with the
    training evidence: their input schema entry records no training values (a model saved
    outside ``prospect train``, with :func:`prospect.registry.save_model` and
    ``schema_from_cube``), else ``[]``.

    Such a cube was scored without a word: a layer in percent against a model of
    fractions got no applicability warning, and nothing said the comparison was not made.
    A variable holding the training evidence itself (:func:`same_evidence`) needs none.
    """
    names = []
    for entry in schema.get("variables") or []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or name not in cube.data_vars or \
                isinstance(entry.get("training"), dict) or same_evidence(cube[name], entry):
            continue
        names.append(name)
    if not names:
        return []
    listed = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return [f"{listed}: not compared with the model's training evidence (its input schema "
            "records no training values: a model saved outside 'prospect train'), so a layer "
            "in other units or outside the training range (percent against fractions) is "
            "not warned of; check those layers' units against the training cube's, or "
            "train the model with 'prospect train', which records them"]



def map_credit(job: JobConfig, variable: str) -> dict[str, str]:
    """The credit of the score stage's map ``variable`` as STAC properties
    (``prospect:attribution`` and ``license``): the tiles layer's that renders it, else the
    job's ``tiles`` section's; empty where the job gives none.

    A score item carried no licence or credit while the tile server's item for the same COG
    (``/stac/<layer>.json``) did, so a map handed on as its COG and item lost the data's
    credit that its licence asks for."""
    tiles = job.tiles
    if tiles is None:
        return {}
    layer = next((lay for lay in tiles.layers if lay.variable == variable), None)
    attribution = (layer.attribution if layer is not None else None) or tiles.attribution
    licence = (layer.licence if layer is not None else None) or tiles.licence
    return {**({"prospect:attribution": attribution} if attribution else {}),
            **({"license": licence} if licence else {})}

def input_dates(ds: xr.Dataset, variables: list[str]) -> list[dt.date]:
    """The acquisition dates that the cube's ``variables`` (those a model reads) record,
    sorted: their provenance's dates and scenes'
    (:func:`prospect.indices.ranges.acquisition_dates`) and their datetime coordinates
    (:func:`prospect.indices.ranges.coordinate_dates`); empty where none records one.

    A score map's STAC item gave the run's time as its ``datetime`` (a map of 2021's
    scenes dated the day it was scored), which STAC clients take for the time the data
    show: the map's provenance records these dates (``dates``) and its items state their
    first and last (:func:`stac_item`'s ``period``; the tile server's
    ``/stac/<layer>.json`` reads them from the provenance)."""
    from prospect.indices.ranges import acquisition_dates, coordinate_dates

    found: set[dt.date] = set()
    for name in variables:
        if name in ds.data_vars:
            found.update(acquisition_dates(ds[name].attrs))
            found.update(coordinate_dates(ds[name]))
    return sorted(found)


def stac_item(
    *, item_id: str, cog: Path, grid: RegionGrid, variable: str, attrs: dict[str, Any],
    properties: dict[str, Any], period: tuple[dt.date, dt.date] | None = None,
) -> dict[str, Any]:
    """A STAC item (pystac, with the projection extension) describing one COG output.

    ``period``: the first and last days of the data the map is of (:func:`input_dates`);
    the item then states them as ``start_datetime`` and ``end_datetime`` (``datetime``
    null, as STAC allows for a range) and the run's time as ``created``. Without one (no
    input records a date) ``datetime`` is the run's time, as before.
    """
    import pystac
    from pystac.extensions.projection import ProjectionExtension
    from shapely.geometry import box, mapping

    from tiles.grids import box_geojson, crosses_antimeridian

    west, south, east, north = grid.lonlat_bounds()
    # across 180 (UTM 60, Fiji) a box from 179.8 to -179.8 is the world minus the data
    geometry = (box_geojson((west, south, east, north))
                if crosses_antimeridian((west, south, east, north))
                else mapping(box(west, south, east, north)))
    now = dt.datetime.now(dt.UTC)
    when: dict[str, Any] = {}
    if period is not None:  # the data's days, not the run's
        first, last = period
        when = {"start_datetime": f"{first.isoformat()}T00:00:00Z",
                "end_datetime": f"{last.isoformat()}T23:59:59Z",
                "created": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    item = pystac.Item(
        id=item_id, geometry=geometry,
        bbox=[west, south, east, north], datetime=None if period is not None else now,
        properties={"title": attrs.get("long_name", variable), **when, **properties},
    )
    proj = ProjectionExtension.ext(item, add_if_missing=True)
    epsg = grid.crs_obj.to_epsg()
    if epsg:
        proj.epsg = epsg
    else:
        proj.wkt2 = grid.crs_obj.to_wkt()
    proj.shape = list(grid.shape)
    proj.transform = list(grid.transform)[:6]
    item.add_asset("data", pystac.Asset(
        href=f"./{cog.name}", media_type=pystac.MediaType.COG, roles=["data"],
        title=attrs.get("long_name", variable),
        extra_fields={"prospect:variable": variable, "prospect:kind": attrs.get("prospect_kind"),
                      "unit": attrs.get("units"), "nodata": "nan", "data_type": "float32"},
    ))
    return item.to_dict(include_self_link=False)


def _write_blocks(*blocks: np.ndarray, parts: list[PartialVariable], grid: RegionGrid,
                  block_info: dict[Any, Any] | None = None) -> np.ndarray:
    """Write one chunk of each map into its partial variable (a task; returns a 1 x 1 mark)."""
    assert block_info is not None
    (r0, r1), (c0, c1) = block_info[0]["array-location"]
    iy, ix = block_info[0]["chunk-location"]
    window = ChunkWindow(iy, ix, slice(r0, r1), slice(c0, c1))
    for part, block in zip(parts, blocks, strict=True):
        part.write_chunk(window, block)
    return np.ones((1, 1), dtype=np.int8)


def map_writes(maps: xr.Dataset, grid: RegionGrid, parts: list[PartialVariable]) -> Any:
    """The lazy writes of every map of ``maps`` into ``parts`` (one per map, in order): one
    task per chunk, which writes each map's block of that chunk, so every chunk of the
    maps is predicted once, in the task that stores it (``prospect plan`` counts these)."""
    blocks = [maps[name].data.rechunk(grid.chunks) for name in maps.data_vars]
    ny, nx = grid.chunk_counts
    return da.map_blocks(_write_blocks, *blocks, parts=parts, grid=grid, dtype=np.int8,
                         chunks=((1,) * ny, (1,) * nx), meta=np.array((), np.int8))


def publish_maps(ctx: RunContext, maps: xr.Dataset) -> None:
    """Compute the lazy maps block by block on the job's cluster and publish them into the
    job's cube (each block read, predicted and written once; see :func:`score_model`).

    Each map is written chunk by chunk into a partial variable next to the cube
    (:func:`prospect.io.cube.run_variables`, as the indices stage writes its layers), then
    published with one rename, so a reader never sees half a map."""
    grid = ctx.grid
    with run_variables(ctx.cube_path, {str(n): maps[n].attrs for n in maps.data_vars},
                       grid=grid, stage="score") as parts:
        compute(map_writes(maps, grid, parts), ctx, f"score: {grid.n_chunks} block(s)")


def _load_job_model(ctx: RunContext, model_dir: Path) -> Any:
    """The job's trained model (:func:`prospect.registry.load_model`).

    One saved with another major version of scikit-learn (the environment upgraded since
    ``prospect train``), or by a newer Prospect, is refused with the fixes a job has: its
    refusal said "pass --allow-version-mismatch", an option of ``prospect model`` that
    ``prospect run`` and ``prospect score`` do not take (click's "No such option").
    """
    from prospect.errors import ModelVersionError
    from prospect.registry import load_model

    try:
        return load_model(model_dir)
    except ModelVersionError as exc:
        job = ctx.job_path or "JOB.yaml"
        name = "Prospect" if exc.library == "prospect" else exc.library
        raise ModelVersionError(
            f"{model_dir}: the job's model was saved with {name} {exc.saved}, this "
            f"environment runs {exc.running} (another major version or a newer release, "
            "whose model this one may read wrongly); refused. To fix: train it again here "
            f"('prospect train {job} -o {ctx.out_dir} --force', then 'prospect score'), or "
            f"install {exc.library}=={exc.saved}; to score it anyway, import it into a "
            "registry ('prospect model import') and use 'prospect model score "
            "--allow-version-mismatch'",
            library=exc.library, saved=exc.saved, running=exc.running) from None


def run(ctx: RunContext) -> StageResult:
    """Score the cube with the trained model; see the module docstring."""
    from prospect.registry import check_schema

    cfg = ctx.job.model
    if cfg is None:
        return StageResult(name="score", skipped=True, notes=["no model section in the job"])
    model_dir = ctx.out_dir / "model"
    if not (model_dir / "checksums.json").is_file():
        raise StageError(f"{model_dir}: no trained model; run 'prospect train' on this job first")
    if not (ctx.cube_path / "zarr.json").is_file():
        raise StageError(f"{ctx.cube_path}: no cube; run 'prospect ingest' on this job first")
    loaded = _load_job_model(ctx, model_dir)
    check_mineral(loaded.card, cfg.mineral, model_dir)
    ds = open_cube(ctx.cube_path)
    check_schema(ds, loaded.schema)
    grid = ctx.grid.check_cube(cube_grid(ds), path=ctx.cube_path)
    card = loaded.card
    # synthetic data is labelled synthetic always: a map is synthetic when the job, the
    # model (trained on synthetic data) or the cube says so, as 'prospect model score'
    # labels it; the job's flag alone published a synthetic model's map as real
    synthetic = bool(ctx.job.synthetic) or bool(card.get("synthetic")) or \
        is_synthetic(ds.attrs)
    dates = input_dates(ds, [str(v.get("name")) for v in loaded.schema.get("variables") or []
                             if isinstance(v, dict)])
    provenance = {
        "model": str(model_dir), "config_hash": card.get("config_hash"),
        "estimator": (card.get("estimator") or {}).get("class"),
        "model_sha256": loaded.checksums.get("model.skops"),
        "features": model_feature_spec(loaded.schema, ds).names(),
        "synthetic": synthetic,
        # the days the inputs show (none recorded: no key, the provenance as before)
        **({"dates": [d.isoformat() for d in dates]} if dates else {}),
    }
    # The cube's evidence against the training evidence (a few chunks read in this
    # process) is read while the cluster scores, not before: it was serial work.
    with ThreadPoolExecutor(1, thread_name_prefix="input-check") as pool:
        compared = pool.submit(input_comparison, ds, loaded.schema,
                               estimator=loaded.estimator)
        maps = score_model(loaded.estimator, loaded.schema, ds, provenance=provenance,
                           mineral=cfg.mineral, synthetic=synthetic,
                           check_inputs=False)
        scale, scale_name = map_scale(card, grid, loaded.estimator)
        maps["probability"].attrs.update(long_name=f"{cfg.mineral} {scale_name}",
                                         prospect_scale=scale)
        ctx.console.print(f"  scoring {grid.shape[0]} x {grid.shape[1]} cells in "
                          f"{grid.n_chunks} blocks")
        publish_maps(ctx, maps)
        comparison = compared.result()
    unlike = comparison["lines"] + not_compared_lines(loaded.schema, ds)
    for line in unlike:
        warnings.warn(DataWarning(line), stacklevel=2)
    ds = open_cube(ctx.cube_path)
    score_dir = ctx.stage_dir("score")
    outputs: dict[str, str] = {"cube": str(ctx.cube_path)}
    props = {"prospect:mineral": cfg.mineral, "prospect:deposit_type": cfg.deposit_type,
             "prospect:scale": scale,
             "prospect:synthetic": synthetic,
             "prospect:config_hash": ctx.job.config_hash(),
             "prospect:model_config_hash": card.get("config_hash")}
    # Each map's deliverables (COG, quick-look, histogram for the metrics) come from one
    # task that reads it once; on a cluster the two maps are delivered side by side.
    tags = {"synthetic": attr_text(synthetic), "mineral": cfg.mineral,
            "prospect_scale": scale,
            # the inputs' days, for the tile server's /stac/<layer>.json of this COG
            **({"provenance": provenance_attr({"dates": [d.isoformat() for d in dates]})}
               if dates else {})}
    futures = {name: ctx.executor.submit(deliver_map, ctx.cube_path, name, score_dir, grid,
                                         {"prospect_kind": OUTPUTS[name][0], **tags,
                                          "long_name": str(ds[name].attrs.get("long_name",
                                                                             name))})
               for name in OUTPUTS}
    # while the workers deliver the maps: their STAC items (written once the COGs are)
    # and the map at the training positives (issue 19 point 2: 0.05-0.1 s that ran after
    # the last task)
    period = (dates[0], dates[-1]) if dates else None
    items = {name: stac_item(item_id=f"{ctx.job.name}-{name}", cog=score_dir / f"{name}.tif",
                             grid=grid, variable=name, attrs=dict(ds[name].attrs),
                             properties={**props, **map_credit(ctx.job, name)},
                             period=period)
             for name in OUTPUTS}
    positives = _positive_probabilities(ctx, cfg)
    track(list(futures.values()), ctx, "score: COGs and quick-looks")
    delivered = {name: future.result() for name, future in futures.items()}
    outputs.update({name: d["cog"] for name, d in delivered.items()})
    for name in delivered:
        write_json(score_dir / f"{name}.json", items[name])
        outputs[f"{name}_stac"] = str(score_dir / f"{name}.json")
        outputs[f"{name}_quicklook"] = str(score_dir / delivered[name]["quicklook"])
    metrics, problems = _map_metrics(delivered["probability"], ctx, positives)
    metrics.update(uncertainty_zero(delivered.get("uncertainty")))
    # said once, by the runner, with the stage's notes (printed here as well, every line
    # of the coverage and of the map's problems came twice on the console)
    covered = _coverage(ctx, ds, loaded, delivered["probability"]["finite"], metrics)
    found = comparison["extrapolation"]
    if found is not None:  # None: the training evidence itself, not compared
        # sampled cells outside the training range of a continuous layer (extrapolated)
        metrics["outside_training_range_share"] = found["share"]
        metrics["outside_training_range_sampled_cells"] = found["cells"]
        metrics["outside_training_range_method"] = found["method"]
    report = write_score_report(
        score_dir, quicklooks={name: d["quicklook"] for name, d in delivered.items()}, facts={
            "mineral": cfg.mineral, "job": ctx.job.name, "synthetic": synthetic,
            "region": grid.describe(), "model": str(model_dir), "metrics": metrics,
            "headline": (card.get("cv") or {}).get("headline") or {}, "scale": scale,
            "scale_words": scale_name,
            "outputs": dict(outputs), "problems": problems,
            "evidence_warnings": list(unlike), "coverage": covered,
            # what the uncertainty map is a spread of, over how many members, its units
            "uncertainty_meaning": str(ds["uncertainty"].attrs.get("prospect_uncertainty", ""))})
    outputs["report"] = str(report)
    return StageResult(name="score", outputs=outputs, metrics=metrics,
                       inputs={"model": str(model_dir), "cube": str(ctx.cube_path)},
                       variables=list(OUTPUTS),
                       notes=[*problems, *covered,
                              f"COGs, STAC items and {report.name} in {score_dir}"])


LOGIT_RANGE = 30.0
"""Scores are binned by their logit over ``-LOGIT_RANGE..LOGIT_RANGE`` (0 and 1 in the end
bins): probabilities of 1e-13 to 1 - 1e-13 in bins of equal odds ratio."""

HISTOGRAM_BINS = np.linspace(-LOGIT_RANGE, LOGIT_RANGE, 30001)
"""Edges of the map histogram, in logits: bins of 0.002 (a probability of 0.5 in bins of
0.0005, one of 0.001 in bins of 2e-6). Bins of equal probability (0.0005 over 0..1) put
a whole weights-of-evidence or calibrated map of low probabilities (prior 0.0005, cells of
0.00007 to 0.003) in 6 bins: its top 5/10/20 % captures shared the cells of one bin in
proportion and read 0.086 for a top-5 % capture of 0.100 (SYNTHETIC)."""


def score_logits(values: np.ndarray) -> np.ndarray:
    """Scores in 0..1 as logits clipped to the histogram's range (others dropped): the
    scale the map histogram (:data:`HISTOGRAM_BINS`) and the positives share."""
    v = np.asarray(values, "f8")
    v = v[np.isfinite(v) & (v >= 0.0) & (v <= 1.0)]
    with np.errstate(divide="ignore"):
        t = np.log(v) - np.log1p(-v)
    return np.clip(t, -LOGIT_RANGE, LOGIT_RANGE)


def deliver_map(cube: Path, name: str, score_dir: Path, grid: RegionGrid,
                tags: dict[str, str]) -> dict[str, Any]:
    """Write cube variable ``name`` as ``<name>.tif`` (COG) and ``<name>_quicklook.png``.

    Reads the zarr store directly, chunk by chunk (a task on a worker, or local). Returns
    the COG's path, the PNG's file name, a fixed-bin histogram of the values in [0, 1] by
    their logits (:data:`HISTOGRAM_BINS`, :func:`score_logits`) and the count of finite
    cells, both taken from the blocks as the COG is written.
    """
    var = open_cube(cube, chunks=None)[name]
    hist = np.zeros(HISTOGRAM_BINS.size - 1, dtype=np.int64)
    finite = 0

    def summarise(block: np.ndarray) -> None:
        nonlocal hist, finite
        ok = np.isfinite(block)
        finite += int(ok.sum())
        hist += np.histogram(score_logits(block[ok]), bins=HISTOGRAM_BINS.size - 1,
                             range=(-LOGIT_RANGE, LOGIT_RANGE))[0]

    target = score_dir / f"{name}.tif"
    try:
        cog = write_cog(var, target, grid=grid, tags=tags, on_block=summarise)
    except OSError as exc:  # GDAL's "Write failed" keeps a full disk to its log
        fault = None if exc.errno is not None else \
            probe_disk(target, var.dtype.itemsize * var.size)
        if fault is None:
            raise
        raise fault from None
    except Exception as exc:  # GDAL's own CPLE_* error of a write ("IO error writing tag
        # data"): the disk's error behind it, naming this COG rather than -o
        fault = gdal_disk_fault(exc, target)
        if fault is None:
            raise
        raise fault from None
    step = max(1, int(np.ceil(max(grid.shape) / 800)))  # quick-looks read a decimated map
    look = write_quicklook(score_dir, name, var[::step, ::step].values)
    return {"cog": str(cog), "quicklook": look, "hist": hist, "finite": finite}


def _positive_probabilities(ctx: RunContext, cfg: ModelConfig) -> np.ndarray | str:
    """The published ``probability`` at the training positives' cells, or why the labels
    cannot be read (moved or changed since training).

    The labels are read as the train stage reads them
    (:func:`prospect.models.training.read_labels`); only the chunks holding them are read.
    """
    try:
        labels, _, _ = read_labels(labels_source(ctx.job.sources, cfg), ctx.grid, cfg.labels,
                                   mineral=cfg.mineral)
    except ProspectError as exc:
        return f"map capture metrics not computed: the labels cannot be read: {exc}"
    keep = labels.label == 1
    prob = open_cube(ctx.cube_path, chunks=None)["probability"]  # reads only their chunks
    return np.asarray(prob.isel(y=xr.DataArray(labels.rows[keep], dims="p"),
                                x=xr.DataArray(labels.cols[keep], dims="p")).values)


ZERO_SPREAD = float(1.0 / (1.0 + np.exp(-HISTOGRAM_BINS[1])))
"""Spreads below this (about 1e-13) are the uncertainty map's 0: the first bin of the
histogram :func:`deliver_map` makes of it (:func:`score_logits` puts 0 there)."""


def uncertainty_zero(delivered: dict[str, Any] | None) -> dict[str, Any]:
    """The share of the uncertainty map's valued cells whose spread is 0 (below
    :data:`ZERO_SPREAD`): every member of the model gives the cell the same score.

    A random forest's trees agree exactly on about half the demo's cells (no tree's leaf
    holds a positive there), and the map's 0 read as certainty with nothing saying how
    much of it there was. Taken from the histogram the COG's blocks already made (its
    first bin), so no pass of its own over the map.

    Parameters
    ----------
    delivered
        :func:`deliver_map`'s answer for the ``uncertainty`` map, or ``None``.

    Returns
    -------
    dict
        ``{"uncertainty_zero_share": share}``, or nothing without a valued cell.
    """
    if not delivered or not delivered.get("finite"):
        return {}
    return {"uncertainty_zero_share": _share(int(delivered["hist"][0]),
                                             int(delivered["finite"]))}


def _share(part: int, whole: int) -> float:
    """``part / whole`` to four decimals, with the digits that keep it off 1 while a cell
    is left out and off 0 while one is in (1 unscored cell of 25 000 read as 1: every
    cell scored)."""
    share = part / whole if whole else 0.0
    rounded = round(share, 4)
    if (rounded == 1.0 and part < whole) or (rounded == 0.0 and part > 0):
        digits = 5
        while round(share, digits) in (0.0, 1.0) and digits < 12:
            digits += 1
        rounded = round(share, digits)
    return rounded


def _map_metrics(delivered: dict[str, Any], ctx: RunContext, positives: np.ndarray | str
                 ) -> tuple[dict[str, Any], list[str]]:
    """Coverage and the in-sample success rate of the map (training positives vs all cells),
    and the reasons for any metric that could not be computed.

    Area quantiles come from the fixed-bin histogram :func:`deliver_map` made (bounded
    memory); ``positives`` are the map's values at the training positives
    (:func:`_positive_probabilities`), or the reason they could not be read, which is
    returned for the console, the report and the run record (the capture figures are
    then left out).
    """
    bins, hist = HISTOGRAM_BINS, delivered["hist"]
    size = int(np.prod(ctx.grid.shape))
    out: dict[str, Any] = {"scored_share": _share(delivered["finite"], size)}
    if isinstance(positives, str):
        return out, [positives]
    # a captured share reads only with the count it is a share of (2 positives: 0, 0.5 or
    # 1), and positives on cells the map has no value at are in no share
    valued = np.isfinite(np.asarray(positives, "f8"))
    out["map_capture_positives"] = int(valued.sum())
    out["map_capture_positives_without_value"] = int((~valued).sum())
    # in-sample success rate: cells of the histogram bin holding the cut-off are tied and
    # shared in proportion, as the train stage's top-area captures are
    valued_scores = np.asarray(positives, "f8")[valued]
    in_range = score_logits(valued_scores)  # a score outside 0..1 is in no bin
    for key, share in top_capture_binned(in_range, hist, bins).items():
        out[f"map_{key}"] = round(share, 4) if np.isfinite(share) else None
    return out, []


def _coverage(ctx: RunContext, ds: xr.Dataset, loaded: Any, finite: int,
              metrics: dict[str, Any]) -> list[str]:
    """:func:`coverage` of the stage's map (``finite`` scored cells of the job's grid); the
    counts go into ``metrics``."""
    lines, counts = coverage(loaded.estimator, loaded.schema, ds, finite=finite,
                             size=int(np.prod(ctx.grid.shape)))
    metrics.update(counts)
    return lines


def coverage(estimator: Any, schema: dict[str, Any], cube: xr.Dataset, *, finite: int,
             size: int) -> tuple[list[str], dict[str, Any]]:
    """How many cells a map of ``estimator`` over ``cube`` left unscored and why, per layer
    (and, for a model that scores missing evidence, how many it scored without each
    layer): lines for the console and the report, and the counts for the metrics
    (``unscored_cells``, ``unscored_cells_by_layer``, ``scored_without_layer``).

    The map had NaN holes where a layer had a gap, and only ``scored_share`` said so, with
    no word of which layer. ``finite`` is the map's count of scored cells of ``size``: the
    layers are read again only when the map has unscored cells, or the model scores cells
    without a layer (weights of evidence); a map of every cell reads nothing more. They
    are read in this process (off the cluster, so the stage's tasks stay those ``prospect
    plan`` counts), chunk by chunk, on its threads; the cube's own layers, not the
    focal statistics made from them.
    """
    woe = scores_missing_evidence(estimator)
    if finite >= size and not woe:
        return [], {"unscored_cells": 0}
    counts, filled, common = _coverage_counts(schema, cube, woe=woe)
    names = list(counts["missing"])
    unscored, outside = int(counts["unscored"]), int(counts["no_layer"])
    missing = counts["missing"]
    metrics: dict[str, Any] = {"unscored_cells": unscored}
    lines = []
    if unscored:
        metrics["unscored_cells_by_layer"] = {k: n for k, n in missing.items() if n}
        rule = ("weights of evidence scores a cell where at least one layer has data"
                if woe else "this model scores only cells where every layer has data")
        masked = min(outside_mask(cube), unscored)
        if masked:
            metrics["unscored_cells_outside_mask"] = masked
        lines.append(
            f"{unscored} of {size} cells ({percent(unscored / size)}%) are left unscored (NaN): "
            f"no data in {_per_layer(missing)}"
            + (f"; {outside} of them have no data in any layer"
               if outside and len(names) > 1 else "")
            + f" ({rule}); " + _unscored_advice(unscored, masked))
    if woe:
        without = counts["scored_without"]
        metrics["scored_without_layer"] = {k: n for k, n in without.items() if n}
        if any(without.values()):
            lines.append(
                f"weights of evidence scored cells without a layer: {_per_layer(without)} "
                "cells (W = 0 there: the prior's contribution only, as Bonham-Carter 1994 "
                "and ArcSDM; the missing-data variance is in the uncertainty map)")
    if filled:
        metrics["fill_cells_by_layer"] = {k: n for k, (n, _, _) in filled.items()}
        lines += fill_lines(filled, woe=woe)
    if common:
        metrics["common_fill_cells_by_layer"] = {k: n for k, (n, _, _) in common.items()}
        lines += common_fill_lines(common, woe=woe)
    return lines, metrics


def outside_mask(cube: xr.Dataset) -> int:
    """Cells of ``cube`` outside its job's mask outline: its ``land`` variable's 0s (a
    mask's, ``prospect_kind: mask``), where every masked layer is no data by design; 0 in a
    cube without one. Read in this process, on its threads (not the cluster's tasks).

    Parameters
    ----------
    cube : xarray.Dataset
        The cube the map was scored from.

    Returns
    -------
    int
        The number of cells outside the outline.
    """
    from prospect.ingest.mask import LAND_VARIABLE

    if LAND_VARIABLE not in cube.variables or \
            cube[LAND_VARIABLE].attrs.get("prospect_kind") != "mask":
        return 0
    zero = cube[LAND_VARIABLE].data == 0
    count = zero.sum()
    return int(count.compute(scheduler="threads") if isinstance(count, da.Array) else count)


def _unscored_advice(unscored: int, masked: int) -> str:
    """What to do of the unscored cells, ``masked`` of which lie outside the job's mask
    outline: nothing for those (the Great Basin's 11 642 unscored cells, every one outside
    its United States outline, were told "check those layers' extent and nodata")."""
    said = "outside the mask's outline ('land' = 0), as the job's 'mask' asks"
    if not masked:
        return "check those layers' extent and nodata"
    if masked >= unscored:
        return f"all {masked} lie {said}: nothing to check"
    return (f"{masked} of them lie {said}; check those layers' extent and nodata for the "
            f"other {unscored - masked}")


def _coverage_counts(schema: dict[str, Any], cube: xr.Dataset, *, woe: bool
                     ) -> tuple[dict[str, Any], dict[str, tuple[int, float, float]],
                                         dict[str, tuple[int, float, float]]]:
    """:func:`coverage`'s counts, in one pass over the cube's chunks: the unscored cells
    (``{"unscored", "no_layer", "missing": {layer: cells}, "scored_without": {layer:
    cells}}``), and per layer holding some, the fills no one declared
    (:func:`fill_lines`) and the common fills far outside the training range
    (:func:`common_fill_lines`), each ``{name: (cells, lowest, highest)}``.

    One task per chunk reads every layer once and returns a short vector of counts
    (:func:`_chunk_counts`), summed here: the unscored counts, the fill counts and the
    far-fill counts were three reductions per layer (sums, a ``where`` and a least and
    greatest value each), three times the work of the counts alone, the same on one worker
    and two, in this process after the map.
    """
    far = far_fill_values(cube, schema)
    masked = mask_far_fills(cube, schema)  # as the map took them: no data
    spec = model_feature_spec(schema, masked)
    names = [spec.names()[i] for i in spec.base_indices()]
    # the cube's own layers only, as the map read them: focal statistics are computed
    # from them, and were computed again here (the read took twice the two-worker map's
    # time in bench_scale); not stacked (a copy of every layer of every chunk)
    layers = stack_layers(masked, dataclasses.replace(spec, focal_variables=(),
                                                      focal_radii=()))
    chunks = layers[0].chunks
    read = names + [k for k in far if k not in names]  # the cube's own values, unmasked
    floats = [k for k in names if np.issubdtype(cube[k].dtype, np.floating)]
    plan = {"n_layers": len(layers), "any_layer": woe,
            "far": {read.index(k): v for k, v in far.items()},
            "floats": [read.index(k) for k in floats]}
    args: list[Any] = []
    for data in layers + [cube[k].data for k in read]:
        data = data.rechunk(chunks) if isinstance(data, da.Array) \
            else da.from_array(np.asarray(data), chunks=chunks)
        args += [data, "yx"]
    n = len(names)
    width = 2 + 2 * n + 3 * len(far) + 3 * len(floats)
    per_chunk = da.blockwise(_chunk_counts, "yxc", *args, new_axes={"c": width},
                             adjust_chunks={"y": 1, "x": 1}, dtype="f8", concatenate=True,
                             plan=plan, meta=np.empty((0, 0, 0), "f8"))
    rows = np.asarray(per_chunk.compute(scheduler="threads")).reshape(-1, width)
    total = rows.sum(axis=0)
    counts = {"unscored": int(total[0]), "no_layer": int(total[1]),
              "missing": dict(zip(names, map(int, total[2:2 + n]), strict=True)),
              "scored_without": dict(zip(names, map(int, total[2 + n:2 + 2 * n]),
                                         strict=True))}
    at = 2 + 2 * n

    def layer_stats(keys: list[str]) -> dict[str, tuple[int, float, float]]:
        nonlocal at
        out = {}
        for k in keys:
            cells = int(total[at])
            lo, hi = rows[:, at + 1].min(), rows[:, at + 2].max()
            at += 3
            if cells:
                out[k] = (cells, float(lo), float(hi))
        return out

    common = layer_stats(list(far))
    return counts, layer_stats(floats), common


def _chunk_counts(*blocks: np.ndarray, plan: dict[str, Any]) -> np.ndarray:
    """One chunk's counts for :func:`_coverage_counts`, as a ``(1, 1, width)`` block: the
    unscored counts of the model's layers as the map read them (the first
    ``plan["n_layers"]`` blocks: :func:`prospect.models.predict.unscored_block`), then
    ``[cells, lowest, highest]`` per layer of ``plan["far"]`` (common fills far outside
    the training range, in the cube's own values, the other blocks:
    :func:`prospect.registry.applicability.far_fill_stats`) and per floating-point layer
    of ``plan["floats"]`` (fills of 1e30 or more, once the far fills are no data:
    :func:`prospect.features.stack.fill_stats`)."""
    n = plan["n_layers"]
    present = np.empty((n, *blocks[0].shape), dtype=bool)
    for i in range(n):
        np.isfinite(blocks[i], out=present[i])
    parts = [unscored_block(present, any_layer=plan["any_layer"]).astype("f8")]
    raw = list(blocks[n:])
    for i, (values, lo, hi) in plan["far"].items():
        raw[i], found = far_fill_stats(raw[i], values, lo, hi)
        parts.append(found)
    parts += [fill_stats(raw[i]) for i in plan["floats"]]
    return np.concatenate(parts)[None, None, :]


def common_fill_lines(filled: dict[str, tuple[int, float, float]], *, woe: bool
                      ) -> list[str]:
    """One line per layer holding a common fill (-9999, -32768, 65535 ...) far outside the
    model's training range on some cells of the whole cube (``{name: (cells, lowest,
    highest)}``, :func:`prospect.registry.applicability.far_fill_stats`).

    The comparison with the training evidence reads a sample of a few chunks: such a
    fill on a few cells of another chunk was scored as evidence far beyond the training
    range (probability 0 or 1 there) without a word.
    """
    out = []
    made = ("scored without it (W = 0 there, as a cell without its evidence)" if woe
            else "left unscored (NaN)")
    for name, (cells, lo, hi) in sorted(filled.items()):
        values = f"{lo:.10g}" if lo == hi else f"{lo:.10g} to {hi:.10g}"
        out.append(
            f"variable {name!r}: {cells} cell(s) of the cube hold {values}, a common fill "
            "value far outside the model's training range, not declared as the layer's "
            f"nodata: taken as no data and {made}; declare it as the source's nodata "
            f"(nodata: {lo:.10g}) and ingest again")
    return out


def fill_lines(filled: dict[str, tuple[int, float, float]], *, woe: bool) -> list[str]:
    """One line per layer holding a fill no one declared (``{name: (cells, lowest,
    highest)}`` of :func:`prospect.features.stack.fill_stats`): how many cells, the
    value, what the map made of them and how to declare it.

    Such a cell (one 3.4e38, float32's largest, in a cube of another tool) was scored as
    a value far beyond the training range: probability 1 (or 0) there without a word.
    """
    out = []
    for name, (cells, lo, hi) in sorted(filled.items()):
        values = " and ".join(f"{v:.7g}" for v in (lo, hi) if v)
        made = ("scored without it (W = 0 there, as a cell without its evidence)" if woe
                else "left unscored (NaN)")
        out.append(
            f"variable {name!r}: {cells} cell(s) hold {values}, a fill (a magnitude of "
            f"{FILL_MAGNITUDE:g} or more; no measurement) not declared as the layer's "
            f"nodata: taken as no data and {made}, not as evidence far beyond the training "
            f"range; declare it as the source's nodata (nodata: {lo or hi:.7g}) and "
            "ingest again")
    return out


def _per_layer(counts: dict[str, int], most: int = 8) -> str:
    """``"b at 5, a at 3"``: the layers with a count, largest first (then by name), the
    first ``most`` of them named."""
    ranked = sorted(((n, k) for k, n in counts.items() if n), key=lambda t: (-t[0], t[1]))
    text = ", ".join(f"{k} at {n}" for n, k in ranked[:most])
    return text + (f" and {len(ranked) - most} more layers" if len(ranked) > most else "")
