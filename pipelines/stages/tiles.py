"""Tiles stage: XYZ pyramids, legends, TileJSON, PMTiles archives and a static viewer.

For each layer of the job's ``tiles:`` section (default: probability and uncertainty) it
renders ``out/tiles/<layer>/{z}/{x}/{y}.png`` from ``out/score/<variable>.tif`` (or, when
that COG is absent, from the cube variable) at the zooms that suit the data (its
resolution and extent, narrowed by the job's ``min_zoom``/``max_zoom``), then writes
``legend.png`` and ``tilejson.json`` beside the tiles and ``out/tiles/<layer>.pmtiles``
(their zooms and centre are what the pyramid holds). Every layer is rendered whole into a
hidden staging folder first and published only when all are (:func:`_publish`), so a
static server reading ``tiles/`` during a rerun never sees new tiles beside an old
legend, TileJSON or archive. Finally it writes
``out/viewer/index.html``: a Leaflet page (shipped offline in ``viewer/static``) that opens
from disk with relative tile URLs, a layer switcher, opacity, legends, the uncertainty
toggle and click values from a coarse value grid (``viewer/values.js``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import Progress

from pipelines.context import RunContext, StageResult
from pipelines.progress import progress_bar
from prospect.config.tiles import TileLayerConfig, TilesConfig
from prospect.errors import StageError
from prospect.io.files import (
    publish_dir,
    remove_aside,
    scratch_dir,
    write_bytes,
    write_json,
    write_text,
)
from tiles.archive import tilejson, write_pmtiles
from tiles.legend import legend_png
from tiles.metadata import layer_meta, range_warning, stretch_unset_range
from tiles.pyramid import write_pyramid
from tiles.source import LayerSource, cog_source, cube_source
from tiles.viewer import ViewerLayer, copy_static, viewer_html

__all__ = ["VALUE_GRID_MAX", "run", "unmade_layers"]

VALUE_GRID_MAX = 1024
"""Most cells along a side of the static viewer's click-value grid (data cells up to it)."""


def layer_source(ctx: RunContext, variable: str) -> tuple[LayerSource, str]:
    """The COG ``score/<variable>.tif`` if present, else the cube variable."""
    cog = ctx.out_dir / "score" / f"{variable}.tif"
    if cog.is_file():
        return cog_source(cog), str(cog)
    if ctx.cube_path.is_dir():
        from prospect.io.cube import open_cube

        if variable in open_cube(ctx.cube_path).data_vars:
            return cube_source(ctx.cube_path, variable), f"{ctx.cube_path}:{variable}"
    raise StageError(
        f"tiles: no {cog} and no variable {variable!r} in {ctx.cube_path}; run the score "
        "stage first, or fix 'tiles.layers[].variable' in the job config"
    )


def made_variables(job: Any, ingested: Iterable[str]) -> set[str]:
    """Every cube variable a run of ``job`` makes: ``ingested`` (the ingest stage's planned
    variables), the dates' stacked bands, the indices, the change layers, the economics
    layers and the score's maps."""
    made = set(ingested)
    ts = job.timeseries
    if ts is not None:
        made |= set(ts.dates[0].bands) | {f"{n}_change" for n in ts.difference}
    cfg = job.indices
    if cfg is not None and (cfg.names or cfg.custom):
        from prospect.indices.bands import load_sensor
        from prospect.indices.plan import plan_indices

        made |= set(plan_indices(cfg.names, sensor=load_sensor(cfg.sensor),
                                 custom=dict(cfg.custom), bands=dict(cfg.bands),
                                 constants=dict(cfg.constants)).names)
    if job.economics is not None:
        from prospect.screening import ECONOMIC_OUTPUTS

        made |= set(ECONOMIC_OUTPUTS.values())
    if job.model is not None:
        made |= set(SCORE_OUTPUTS)
    return made


SCORE_OUTPUTS = ("probability", "uncertainty")
"""The score stage's maps: made after train, so never a feature of the job's model."""


def unmade_layers(job: Any, ingested: Iterable[str]) -> list[str]:
    """The variables of ``job``'s tile layers that no stage of the job makes
    (:func:`made_variables`). The ingest stage asks before it computes anything: a
    misspelt layer failed only in the tiles stage, after every other stage had run."""
    if job.tiles is None:
        return []
    made = made_variables(job, ingested)
    return [layer.variable for layer in job.tiles.layers if layer.variable not in made]


def unmade_features(job: Any, ingested: Iterable[str]) -> list[str]:
    """The ``model.features`` of ``job`` that no stage before train makes: found by the
    train stage (or by ``prospect plan`` as "not in the cube", exit 1, without the file)
    after ingest and indices had run over the region."""
    if job.model is None or not job.model.features:
        return []
    made = made_variables(job, ingested) - set(SCORE_OUTPUTS)
    return [name for name in job.model.features if name not in made]


def honest_layer(ctx: RunContext, layer: TileLayerConfig) -> TileLayerConfig:
    """``layer`` titled for what it shows: a map whose ``prospect_scale`` is relative
    prospectivity (an uncalibrated score) is never titled a probability in the legend,
    TileJSON and viewer."""
    if not ctx.cube_path.is_dir():
        return layer
    from prospect.io.cube import open_cube

    ds = open_cube(ctx.cube_path)
    scale = ds[layer.variable].attrs.get("prospect_scale") if layer.variable in ds else None
    label = layer.label.lower()
    if scale == "relative prospectivity" and ("probab" in label or label.startswith("p(")):
        return layer.model_copy(update={"title": "Relative prospectivity (score, not a "
                                                 "probability)"})
    return layer


def value_grid(source: LayerSource, *, max_cells: int = VALUE_GRID_MAX) -> dict[str, Any]:
    """A lon/lat grid of values for the static viewer's click read-out.

    Its cells are no larger than the data's own (up to ``max_cells`` along a side), so a
    click reads the value of a data cell, exactly (float32, shortest repr), and the
    viewer states the data's cell size beside it.
    """
    west, south, east, north = source.lonlat_bounds
    _, cell_deg = source.native_footprint("EPSG:4326")
    width = max(1, min(max_cells, math.ceil((east - west) / cell_deg)))
    height = max(1, min(max_cells, math.ceil((north - south) / cell_deg)))
    data = source.read_mercator(
        (west, south, east, north), width=width, height=height, resampling="nearest",
        crs="EPSG:4326",
    )
    flat = data.filled(np.nan).astype("f4").ravel()
    # each float32's shortest repr (numpy's, as str() of the scalar) read back as a float:
    # JSON then writes it with no float64 tail; converted as one array (2.4x faster)
    held = np.isfinite(flat).tolist()
    values = [float(text) if ok else None
              for text, ok in zip(flat.astype(str).tolist(), held, strict=True)]
    native_cell = source.native_footprint(source.crs)[1]
    from pyproj import CRS

    metres = CRS.from_user_input(source.crs).axis_info[0].unit_name in ("metre", "meter")
    return {"bounds": [west, south, east, north], "width": width, "height": height,
            "cell_m": round(native_cell, 2) if metres else None, "data": values}


def _render_layer(
    ctx: RunContext, cfg: TilesConfig, layer: TileLayerConfig, staging: Path, bar: Progress,
) -> tuple[ViewerLayer, dict[str, Any], dict[str, Any], str]:
    """Render one layer whole into ``staging`` (its pyramid, legend and TileJSON in
    ``staging/layer``, its archive as ``staging/layer.pmtiles``): :func:`_publish` puts
    them in place once every layer is rendered."""
    source, where = layer_source(ctx, layer.variable)
    name = layer.layer_name
    layer_dir = staging / "layer"
    values = value_grid(source)
    data = [np.nan if v is None else v for v in values["data"]]
    layer, stretched = stretch_unset_range(layer, data)
    # The zooms follow the data (resolution and extent); the job's range only narrows them,
    # and every document states what the pyramid holds (tiles.metadata).
    meta = layer_meta(layer, source, synthetic=ctx.job.synthetic,
                      zoom_limits=(cfg.min_zoom, cfg.max_zoom))
    lo, hi = meta.zooms()
    # On the job's cluster the pyramid's jobs are its tasks; without one, a thread pool.
    executor = ctx.executor.pool()
    task_id = bar.add_task(f"tiles: {name}", total=None)
    result = write_pyramid(
        source, layer_dir, colormap=layer.colormap, vmin=layer.vmin, vmax=layer.vmax,
        min_zoom=lo, max_zoom=hi, tile_size=cfg.tile_size,
        fmt=cfg.format, resampling=layer.resampling, workers=cfg.workers,
        executor=executor,
        progress=lambda done, total: bar.update(task_id, completed=done, total=total),
    )
    if result.tiles_written == 0:
        raise StageError(f"tiles: layer {name!r} ({where}) produced no tile with data")
    meta = meta.narrowed(z for z, n in result.per_zoom.items() if n)
    write_bytes(layer_dir / "legend.png", legend_png(layer, title=meta.label, units=meta.units))
    root = f"{cfg.public_url}/{name}/" if cfg.public_url else ""  # absolute when published
    doc = tilejson(
        layer, meta, tiles_url=f"{root}{{z}}/{{x}}/{{y}}.{cfg.format}", tile_size=cfg.tile_size,
        legend_url=f"{root}legend.png",
    )
    write_json(layer_dir / "tilejson.json", doc, strict=False, indent=2, newline=False)
    for grid in cfg.tile_matrix_sets:  # national grids: zooms from the data's resolution
        national = layer_meta(layer, source, synthetic=ctx.job.synthetic, matrix_sets=[grid])
        g_lo, g_hi = national.zooms(grid)
        written = write_pyramid(
            source, layer_dir / grid, colormap=layer.colormap, vmin=layer.vmin,
            vmax=layer.vmax, min_zoom=g_lo, max_zoom=g_hi, tile_size=cfg.tile_size,
            fmt=cfg.format, resampling=layer.resampling, workers=cfg.workers,
            executor=executor, tile_matrix_set=grid,
        )
        national = national.narrowed((z for z, n in written.per_zoom.items() if n), grid)
        write_json(layer_dir / f"tilejson-{grid}.json", tilejson(
            layer, national, tiles_url=f"{root}{grid}/{{z}}/{{x}}/{{y}}.{cfg.format}",
            tile_size=cfg.tile_size, legend_url=f"{root}legend.png", tile_matrix_set=grid,
        ), strict=False, indent=2, newline=False)
    if cfg.archive:
        write_pmtiles(layer_dir, staging / "layer.pmtiles", fmt=cfg.format,
                      bounds=meta.bounds, metadata=doc)
    viewer_layer = ViewerLayer(
        config=layer, tiles=f"../tiles/{name}/{{z}}/{{x}}/{{y}}.{cfg.format}",
        legend=f"../tiles/{name}/legend.png", bounds=meta.bounds,
        min_zoom=meta.min_zoom, max_zoom=meta.max_zoom, title=meta.title,
        attribution=meta.attribution, synthetic=meta.synthetic, units=meta.units,
    )
    metrics: dict[str, Any] = {"tiles": result.tiles_written, "bytes": result.bytes_written}
    metrics["range_warning"] = range_warning(name, data, layer.vmin, layer.vmax, meta.units)
    unit = f" {meta.units}" if meta.units else ""
    metrics["range_note"] = (
        f"layer {name!r}: colour range {layer.vmin:g} to {layer.vmax:g}{unit}, the 2-98 % of "
        "its data: vmin and vmax are not set in tiles.layers, and the default 0 to 1 would "
        "show one colour" if stretched else None)
    return viewer_layer, metrics, values, where


def _publish(staging: Path, tiles_dir: Path, name: str, *, archive: bool) -> None:
    """Put layer ``name``'s staged pyramid folder (with its legend and TileJSON) and its
    archive in place, in an order that never shows a mixed layer.

    The old archive goes first, then the folder is swapped whole (the old one renamed
    aside, the new one renamed in: :func:`~prospect.io.files.publish_dir`), then the new
    archive is renamed in. A reader of ``tiles/`` (a static server) sees the old layer,
    then the old folder without an archive, the new folder without one, and the new
    layer: never new tiles beside an old legend, TileJSON or archive.
    """
    archive_path = tiles_dir / f"{name}.pmtiles"
    if archive:
        remove_aside(archive_path)
    publish_dir(staging / "layer", tiles_dir / name)
    if archive:
        os.replace(staging / "layer.pmtiles", archive_path)


def job_outline_geojson(ctx: RunContext) -> dict[str, Any] | None:
    """The job's land outline (lon/lat GeoJSON) when its config has a ``mask``."""
    if ctx.job.mask is None:
        return None
    from prospect.config.job import shipped_region_name
    from prospect.ingest.mask import job_outline
    from prospect.outlines import outline_geojson

    outline, label, _ = job_outline(ctx.job.mask, ctx.grid, region=shipped_region_name(ctx.job))
    return outline_geojson(outline, name=label)


def run(ctx: RunContext) -> StageResult:
    """Render every configured layer, then the static viewer page."""
    cfg = ctx.job.tiles or TilesConfig()
    tiles_dir = ctx.stage_dir("tiles")
    result = StageResult(name="tiles")
    viewer_layers, grids = [], {}
    # On a cluster every layer's pyramid jobs are submitted at once (a layer of a small
    # region is a single job); without one, the layers take turns on the thread pool.
    layers = [honest_layer(ctx, la) for la in cfg.layers]
    parallel = ctx.executor.parallel(len(layers))
    with ExitStack() as stack:  # every layer staged whole, then published together
        staged = [stack.enter_context(scratch_dir(tiles_dir / la.layer_name))
                  for la in layers]
        with progress_bar(ctx.console, unit="blocks") as bar, \
                ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="tiles") as pool:
            rendered = list(pool.map(
                lambda pair: _render_layer(ctx, cfg, pair[0], pair[1], bar),
                zip(layers, staged, strict=True)))
        for layer, staging in zip(layers, staged, strict=True):
            _publish(staging, tiles_dir, layer.layer_name, archive=cfg.archive)
    for layer, (viewer_layer, metrics, grid, where) in zip(layers, rendered, strict=True):
        name = layer.layer_name
        viewer_layers.append(viewer_layer)
        grids[name] = grid
        result.inputs[name] = where
        result.outputs[name] = str(tiles_dir / name)
        if cfg.archive:
            result.outputs[f"{name}.pmtiles"] = str(tiles_dir / f"{name}.pmtiles")
        result.metrics[f"{name}_tiles"] = metrics["tiles"]
        if metrics["range_warning"]:
            result.notes.append(f"warning: {metrics['range_warning']}")
        if metrics["range_note"]:
            result.notes.append(metrics["range_note"])
    viewer_dir = ctx.stage_dir("viewer")
    copy_static(viewer_dir / "static")
    write_text(viewer_dir / "values.js",
               "window.PROSPECT_VALUES = " + json.dumps(grids, separators=(",", ":")) + ";\n")
    title = f"{ctx.job.name}: prospectivity" + (" (synthetic)" if ctx.job.synthetic else "")
    html = viewer_html(viewer_layers, title=title, static_url="static",
                       values_script="values.js", synthetic=ctx.job.synthetic,
                       outline=job_outline_geojson(ctx))
    write_text(viewer_dir / "index.html", html)
    result.outputs["viewer"] = str(viewer_dir / "index.html")
    result.outputs["viewer_static"] = str(viewer_dir / "static")
    result.outputs["viewer_values"] = str(viewer_dir / "values.js")
    result.metrics["zooms"] = ", ".join(sorted({f"{v.min_zoom}-{v.max_zoom}"
                                                for v in viewer_layers}))
    result.notes.append(f"viewer: {viewer_dir / 'index.html'} (open it in a browser)")
    return result
