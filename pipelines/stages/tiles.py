"""Tiles stage: XYZ pyramids, legends, TileJSON, PMTiles archives and a static viewer.

For each layer of the job's ``tiles:`` section (default: probability and uncertainty) it
renders ``out/tiles/<layer>/{z}/{x}/{y}.png`` from ``out/score/<variable>.tif`` (or, when
that COG is absent, from the cube variable) at the zooms that suit the data (its
resolution and extent, narrowed by the job's ``min_zoom``/``max_zoom``), then writes
``legend.png`` (and ``legend@2x.png``, for high-density screens) and ``tilejson.json``
beside the tiles and ``out/tiles/<layer>.pmtiles``
(and ``.mbtiles`` with ``archive_formats: [pmtiles, mbtiles]``, for desktop GIS; their
zooms and centre are what the pyramid holds), and
``out/viewer/``: a Leaflet page (shipped offline in ``viewer/static``) that opens from
disk with relative tile URLs, a layer switcher, opacity, legends, the uncertainty toggle
and click values from a coarse value grid (``viewer/values.js``). Every layer and the
viewer are rendered whole into hidden staging folders first and published only when all
are (:func:`_publish`, then the viewer in one rename), so a static server reading
``tiles/`` during a rerun never sees new tiles beside an old legend, TileJSON or archive,
and a run that fails or is killed while rendering leaves the last run's layers and viewer
as they were. Each layer's colour range and the viewer's click values come from one
sample of its data (:func:`tiles.metadata.value_sample`), the one ``prospect serve``
takes its colour range from.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any, get_args

import numpy as np
from rich.progress import Progress

from pipelines.context import RunContext, StageResult
from pipelines.progress import progress_bar
from prospect.config.tiles import ArchiveFormat, TileLayerConfig, TilesConfig
from prospect.errors import DataWarning, StageError
from prospect.io.files import (
    publish_dir,
    remove_aside,
    scratch_dir,
    write_bytes,
    write_json,
    write_text,
)
from tiles.archive import tilejson, write_mbtiles, write_pmtiles
from tiles.grids import WEB_MERCATOR_MAX_LAT, beyond_web_mercator
from tiles.legend import layer_palette, legend_png
from tiles.metadata import (
    VALUE_SAMPLE_MAX,
    ValueSample,
    blended_overview_warning,
    clamped_ends,
    colour_layer,
    layer_classes,
    layer_colours,
    layer_meta,
    many_classes_warning,
    no_data_warning,
    range_origin,
    range_warning,
    sample_over_dates,
    units_warning,
    unstated_fill_warning,
    value_sample,
)
from tiles.pyramid import write_pyramid
from tiles.source import LayerSource, cog_source, cube_source
from tiles.viewer import ViewerLayer, copy_static, viewer_html, viewer_note

__all__ = ["VALUE_GRID_MAX", "run", "unmade_layers"]

VALUE_GRID_MAX = VALUE_SAMPLE_MAX
"""Most cells along a side of the static viewer's click-value grid (data cells up to it)."""


def layer_source(ctx: RunContext, variable: str,
                 date: str | None = None) -> tuple[LayerSource, str]:
    """The COG ``score/<variable>.tif`` if present, else the cube variable; with a
    ``date`` (``YYYY-MM-DD``, a layer's ``date:``), that date's map of the cube variable
    stacked over the job's ``timeseries.dates`` (a score COG is one map, never dated)."""
    cog = ctx.out_dir / "score" / f"{variable}.tif"
    if date is None and cog.is_file():
        return cog_source(cog), str(cog)
    if ctx.cube_path.is_dir():
        from prospect.io.cube import open_cube

        if variable in open_cube(ctx.cube_path).data_vars:
            where = f"{ctx.cube_path}:{variable}" + ("" if date is None else f" at {date}")
            return cube_source(ctx.cube_path, variable, date), where
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


def dated_titles(layers: list[TileLayerConfig]) -> list[TileLayerConfig]:
    """``layers`` with each layer of one ``date`` whose ``title:`` another layer has too
    (compared without case or surrounding spaces) titled with its date after it, as
    ``prospect serve`` titles it (:meth:`tiles.service.TileService.meta`).

    The dates of a variable given one ``title: NDVI`` (a layer block copied, its date
    changed) were "NDVI" twice in the viewer's layer switcher, the legends, TileJSON and
    the archives' metadata, the dates told apart nowhere. A title of its own is kept."""
    def shared(layer: TileLayerConfig) -> bool:
        own = (layer.title or "").strip().casefold()
        return bool(own) and any((o.title or "").strip().casefold() == own
                                 for o in layers if o is not layer)

    return [la.model_copy(update={"title": f"{(la.title or '').rstrip()} ({la.date})"})
            if la.date is not None and str(la.date) not in (la.title or "") and shared(la)
            else la for la in layers]


def value_grid(source: LayerSource, *, max_cells: int = VALUE_GRID_MAX,
               sample: ValueSample | None = None,
               codes: Iterable[int] = ()) -> dict[str, Any]:
    """A lon/lat grid of values for the static viewer's click read-out: the layer's
    :func:`tiles.metadata.value_sample` (``sample`` when already read), the one its colour
    range is taken from.

    Its cells are no larger than the data's own (up to ``max_cells`` along a side), so a
    click reads the value of a data cell, exactly (float32, shortest repr), and the
    viewer states the data's cell size beside it. A class map's ``codes`` that float64
    does not hold (past 2^53) are written as their digits (:func:`exact_codes`), and so
    is each cell of an integer layer that float64 does not hold; one that float32 does
    not hold is its own integer (:func:`_whole_values`).
    """
    if sample is None:
        sample = value_sample(source, max_cells=max_cells)
    height, width = sample.values.shape
    flat = sample.values.ravel()
    # each float32's shortest repr (numpy's, as str() of the scalar) read back as a float:
    # JSON then writes it with no float64 tail; converted as one array (2.4x faster)
    held = np.isfinite(flat).tolist()
    values: list[float | str | None] = [
        float(text) if ok else None
        for text, ok in zip(flat.astype(str).tolist(), held, strict=True)]
    values = _whole_values(source, sample, values)
    digits = exact_codes(codes)
    if digits:
        values = [digits.get(v, v) if isinstance(v, float) else v for v in values]
    native_cell = source.native_footprint(source.crs)[1]
    from pyproj import CRS

    metres = CRS.from_user_input(source.crs).axis_info[0].unit_name in ("metre", "meter")
    return {"bounds": list(sample.bounds), "width": width, "height": height,
            "cell_m": round(native_cell, 2) if metres else None, "data": values}


def _whole_values(source: LayerSource, sample: ValueSample,
                  values: list[float | str | None]) -> list[float | str | None]:
    """``values`` (the ``sample`` as written) with each cell of an integer layer whose
    type float32 does not hold given as the cell's own integer
    (:meth:`tiles.source.LayerSource.whole_cells`): a float where float64 holds it, else
    its digits (JavaScript reads a number past 2^53 as another); and each cell of a
    Float64 layer as its own float64. The sample read an Int32 layer's 16777217 as
    16777216, an Int64 layer's 9007199254740993 as 9007199000000000 and a Float64
    layer's 12345678.9 as 12345679, each written as a value no cell holds."""
    height, width = sample.values.shape
    west, south, east, north = sample.bounds
    east += 360.0 if east < west else 0.0  # across the antimeridian, run on past 180
    lons = west + (np.arange(width) + 0.5) * (east - west) / width
    lats = north - (np.arange(height) + 0.5) * (north - south) / height
    cells = source.whole_cells(*np.meshgrid(lons, lats))
    if cells is None:
        return values
    out = list(values)
    for i, cell in enumerate(cells.ravel().tolist()):
        if out[i] is None or cell is None:  # masked cells come back as None
            continue
        if isinstance(cell, float):  # a Float64 layer's cell, all its digits
            out[i] = cell if math.isfinite(cell) else None
            continue
        whole = int(cell)
        out[i] = float(whole) if float(whole) == whole else str(whole)
    return out


def exact_codes(codes: Iterable[int]) -> dict[float, str]:
    """The class codes past 2^53 that a value read in float64 stands for, as their digits.

    An Int64 unit id of 9007199254740993 is read as 9007199254740992.0, which JSON and
    JavaScript give as ...992, another unit's id (or none): each such float is written as
    its code's digits, where exactly one code reads as it (two codes that float64 holds as
    one are said at start-up, :func:`tiles.metadata.merged_codes`).

    Parameters
    ----------
    codes : iterable of int
        The layer's class codes.

    Returns
    -------
    dict of float to str
        ``{float(code): str(code)}`` for each code float64 does not hold, read by no other.
    """
    by_float: dict[float, list[int]] = {}
    for code in codes:
        by_float.setdefault(float(code), []).append(code)
    return {f: str(own[0]) for f, own in by_float.items()
            if len(own) == 1 and f != own[0]}


def _render_layer(
    ctx: RunContext, cfg: TilesConfig, layer: TileLayerConfig, staging: Path, bar: Progress,
) -> tuple[ViewerLayer, dict[str, Any], dict[str, Any], str]:
    """Render one layer whole into ``staging`` (its pyramid, legend and TileJSON in
    ``staging/layer``, its archives as ``staging/layer.pmtiles`` and ``layer.mbtiles``):
    :func:`_publish` puts
    them in place once every layer is rendered."""
    source, where = layer_source(
        ctx, layer.variable, None if layer.date is None else layer.date.isoformat())
    with source:  # its readers and handles closed when the layer is done, or failed
        return _render_source(ctx, cfg, layer, staging, bar, source, where)


def _render_source(
    ctx: RunContext, cfg: TilesConfig, layer: TileLayerConfig, staging: Path, bar: Progress,
    source: LayerSource, where: str,
) -> tuple[ViewerLayer, dict[str, Any], dict[str, Any], str]:
    """:func:`_render_layer` of the layer's ``source`` (read from ``where``)."""
    name = layer.layer_name
    layer_dir = staging / "layer"
    sample = value_sample(source)  # one sample: the colour range, as `prospect serve`'s
    data = sample.values
    classes = layer_classes(source.tags)  # a class map: nearest, coloured by its codes
    values = value_grid(source, sample=sample, codes=classes or ())
    # the layer's warnings, given by run() in the stage's own thread (this one is the
    # pool's, where another layer's reads can set the process's warning filters)
    said: list[str] = []
    blended = blended_overview_warning(name, source, classes)  # read past such overviews
    if blended:
        said.append(blended)
    many = many_classes_warning(name, classes)  # more classes than a palette's colours
    if many:
        said.append(many)
    mislabel = units_warning(name, layer.units, source.tags)  # legend of another unit
    if mislabel:
        said.append(mislabel)
    fill = unstated_fill_warning(name, source, data, then="run the tiles stage again")
    if fill:  # -9999 of a grid exported without its nodata value, drawn as values
        said.append(fill)
    # one date of a variable over dates: the colour range of all its dates, so a colour
    # means one value on every date's layer (each took its own date's 2-98 %), as
    # `prospect serve` draws it; a class map is coloured by its codes
    shown = [str(la.date) for la in cfg.layers
             if la.variable == layer.variable and la.date is not None]
    ranged, over = (sample, "") if classes else sample_over_dates(source, sample, {}, shown)
    # a class map with a colour table is drawn in its own colours, as QGIS draws it
    layer, stretched = colour_layer(layer, ranged, classes, layer_colours(source.tags))
    # The zooms follow the data (resolution and extent); the job's range only narrows them,
    # and every document states what the pyramid holds (tiles.metadata).
    meta = layer_meta(layer, source, synthetic=ctx.job.synthetic,
                      zoom_limits=(cfg.min_zoom, cfg.max_zoom))
    lo, hi = meta.zooms()
    if hi < cfg.min_zoom or lo > cfg.max_zoom:  # the job's zooms hold none of the data's
        said.append(
            f"layer {name!r} ({where}) is tiled at zoom(s) {lo}-{hi}, not the "
            f"{cfg.min_zoom}-{cfg.max_zoom} of tiles.min_zoom/max_zoom: the data's cell size "
            "and extent give no zoom in that range (finer zooms would only repeat cells, "
            f"coarser ones draw the layer under a few pixels); set min_zoom/max_zoom to "
            f"include {lo}-{hi}")
    # On the job's cluster the pyramid's jobs are its tasks; without one, a thread pool.
    executor = ctx.executor.pool()
    task_id = bar.add_task(f"tiles: {name}", total=None)
    result = write_pyramid(
        source, layer_dir, colormap=layer.colormap, vmin=layer.vmin, vmax=layer.vmax,
        stops=layer.colour_stops, palette=layer_palette(layer), min_zoom=lo, max_zoom=hi,
        tile_size=cfg.tile_size,
        fmt=cfg.format, resampling=layer.resampling, workers=cfg.workers,
        executor=executor,
        progress=lambda done, total: bar.update(task_id, completed=done, total=total),
    )
    if result.tiles_written == 0:
        raise StageError(_no_tile_message(name, where, source, data))
    meta = meta.narrowed(z for z, n in result.per_zoom.items() if n)
    clamped = clamped_ends(data, layer.vmin, layer.vmax)
    for scale, legend_name in ((1, "legend.png"), (2, "legend@2x.png")):
        # @2x: the legend a high-density screen shows sharp (the viewer's srcset, and
        # TileJSON's legend of 512 px tiles), as the tile server draws /legend/{layer}@2x.png
        write_bytes(layer_dir / legend_name, legend_png(
            layer, title=meta.label, units=meta.units, clamped=clamped, classes=classes,
            scale=scale, resizable=False))  # a file: no size is asked of it
    root = f"{cfg.public_url}/{name}/" if cfg.public_url else ""  # absolute when published
    # 512 px tiles are a high-density screen's: their legend the @2x one, as the server's
    legend_file = "legend@2x.png" if cfg.tile_size == 512 else "legend.png"
    doc = tilejson(
        layer, meta, tiles_url=f"{root}{{z}}/{{x}}/{{y}}.{cfg.format}", tile_size=cfg.tile_size,
        legend_url=f"{root}{legend_file}", classes=classes,
    )
    write_json(layer_dir / "tilejson.json", doc, indent=2, newline=False)
    for grid in cfg.tile_matrix_sets:  # national grids: zooms from the data's resolution
        national = layer_meta(layer, source, synthetic=ctx.job.synthetic, matrix_sets=[grid])
        g_lo, g_hi = national.zooms(grid)
        written = write_pyramid(
            source, layer_dir / grid, colormap=layer.colormap, vmin=layer.vmin,
            vmax=layer.vmax, stops=layer.colour_stops, palette=layer_palette(layer),
            min_zoom=g_lo, max_zoom=g_hi,
            tile_size=cfg.tile_size,
            fmt=cfg.format, resampling=layer.resampling, workers=cfg.workers,
            executor=executor, tile_matrix_set=grid,
        )
        national = national.narrowed((z for z, n in written.per_zoom.items() if n), grid)
        write_json(layer_dir / f"tilejson-{grid}.json", tilejson(
            layer, national, tiles_url=f"{root}{grid}/{{z}}/{{x}}/{{y}}.{cfg.format}",
            tile_size=cfg.tile_size, legend_url=f"{root}{legend_file}", tile_matrix_set=grid,
            classes=classes,
        ), indent=2, newline=False)
    for kind in _archives(cfg):
        with _archive_named(staging, name, kind):
            if kind == "pmtiles":
                write_pmtiles(layer_dir, staging / "layer.pmtiles", fmt=cfg.format,
                              bounds=meta.bounds, metadata=doc)
            else:  # desktop GIS: GDAL's MBTiles driver reads raster tiles, its PMTiles none
                write_mbtiles(layer_dir, staging / "layer.mbtiles", fmt=cfg.format,
                              bounds=meta.bounds, name=meta.label,
                              description=meta.description, attribution=meta.attribution,
                              metadata=doc)
    viewer_layer = ViewerLayer(
        config=layer, tiles=f"../tiles/{name}/{{z}}/{{x}}/{{y}}.{cfg.format}",
        legend=f"../tiles/{name}/legend.png", legend_2x=f"../tiles/{name}/legend@2x.png",
        bounds=meta.bounds,
        min_zoom=meta.min_zoom, max_zoom=meta.max_zoom, title=meta.title,
        attribution=meta.attribution, synthetic=meta.synthetic, units=meta.units,
        classes=classes,
    )
    metrics: dict[str, Any] = {"tiles": result.tiles_written, "bytes": result.bytes_written,
                               "warnings": said}
    metrics["range_warning"] = range_warning(name, data, layer.vmin, layer.vmax, meta.units)
    unit = f" {meta.units}" if meta.units else ""
    metrics["range_note"] = (
        f"layer {name!r}: colour range {layer.vmin:g} to {layer.vmax:g}{unit}, "
        f"{range_origin(ranged.values, layer.vmin, layer.vmax)}{over}: vmin and vmax are "
        "not set in tiles.layers, and the default 0 to 1 would show one colour"
        if stretched else None)
    metrics["zoom_note"] = (None if hi < cfg.min_zoom or lo > cfg.max_zoom  # warned above
                            else _zoom_note(name, cfg, meta.min_zoom, meta.max_zoom))
    return viewer_layer, metrics, values, where


def _zoom_note(name: str, cfg: TilesConfig, lo: int, hi: int) -> str | None:
    """The stage's note on layer ``name`` tiled at zooms ``lo``-``hi`` (those its pyramid
    holds) where the job's own ``tiles.min_zoom`` or ``max_zoom`` (set in its config, not
    the defaults) asks zooms beyond them; ``None`` where the pyramid reaches each set end.

    ``max_zoom: 16`` on 10 m data tiled to zoom 14, and ``min_zoom: 2`` on a region a few
    km across tiled from 10, without a word: the job's zooms left out were found only by
    a client that asked them (404s, or a blank map zoomed out). The data's zooms (its
    cell size and extent, :func:`tiles.grids.data_zooms`) stand: finer zooms would only
    repeat cells, coarser ones draw the layer under a few pixels."""
    given = cfg.model_fields_set
    left = []
    if "min_zoom" in given and cfg.min_zoom < lo:
        left.append(f"{cfg.min_zoom}-{lo - 1}" if cfg.min_zoom < lo - 1 else f"{cfg.min_zoom}")
    if "max_zoom" in given and cfg.max_zoom > hi:
        left.append(f"{hi + 1}-{cfg.max_zoom}" if cfg.max_zoom > hi + 1 else f"{cfg.max_zoom}")
    if not left:
        return None
    why = []
    if "min_zoom" in given and cfg.min_zoom < lo:
        why.append(f"below {lo} the layer's extent is drawn under a few pixels")
    if "max_zoom" in given and cfg.max_zoom > hi:
        why.append(f"above {hi} tiles would only repeat the data's cells")
    return (f"layer {name!r}: tiled at zooms {lo}-{hi} of the {cfg.min_zoom}-{cfg.max_zoom} "
            f"of tiles.min_zoom/max_zoom; zoom(s) {' and '.join(left)} left out, as "
            f"{' and '.join(why)} (a client shows the nearest zoom held: its TileJSON and "
            "archives say the zooms written)")


@contextmanager
def _archive_named(staging: Path, name: str, kind: str) -> Iterator[None]:
    """Name the published archive (``tiles/<name>.<kind>``) in a disk's error of its
    write in ``staging``: it named ``tiles/<name>/layer.<kind>``, the staged file's
    name in a folder that never holds it."""
    staged = str(staging / f"layer.{kind}")
    try:
        yield
    except OSError as exc:
        if exc.filename != staged:
            raise
        published = staging.parent / f"{name}.{kind}"
        raise type(exc)(exc.errno, exc.strerror, str(published)) from exc


def _no_tile_message(name: str, where: str, source: LayerSource, sample: np.ndarray) -> str:
    """Why layer ``name`` gave no tile with data: its value ``sample`` holds no value
    (every cell no data: :func:`tiles.metadata.no_data_warning`, as ``prospect serve``
    says it), or its data lie beyond Web Mercator (:func:`_why_no_tile`). The stage said
    only "produced no tile with data" of a layer whose every cell is no data."""
    if not np.isfinite(sample).any():
        return "tiles: " + no_data_warning(name, source, sample.shape, listed_in="tiles.layers")
    return (f"tiles: layer {name!r} ({where}) produced no tile with data"
            + _why_no_tile(source.lonlat_bounds))


def _why_no_tile(bounds: tuple[float, float, float, float]) -> str:
    """Why a layer of lon/lat ``bounds`` has no XYZ tile, where it can be said: data wholly
    beyond Web Mercator's latitudes (the stage said only "produced no tile with data")."""
    _, south, _, north = bounds
    if not beyond_web_mercator(bounds):
        return ""
    return (f": its data lie at latitudes {south:.4f} to {north:.4f}, beyond the "
            f"+-{WEB_MERCATOR_MAX_LAT:.4f} degrees where Web Mercator (XYZ, TileJSON, the "
            "viewer) ends, so no tile can show them; deliver its COG "
            "(score/<variable>.tif) or serve it with 'prospect serve', whose WMS draws "
            "it in EPSG:4326, and leave it out of tiles.layers")


def _old_gdal_warning(cfg: TilesConfig) -> str | None:
    """What a partner on GDAL before 3.8 meets in this run's MBTiles archives, or ``None``.

    GDAL learnt WebP MBTiles in 3.8; before it (QGIS on Debian 12 and Ubuntu 22.04: GDAL
    3.6 and 3.4) the driver takes every tile that is not PNG or JPEG for a 256-pixel one,
    so an archive of 512-pixel WebP tiles read as nothing ("Inconsistent tiles
    characteristics" for each tile), without a word from the stage."""
    if cfg.format != "webp" or cfg.tile_size == 256 or "mbtiles" not in _archives(cfg):
        return None
    return (f"this run's .mbtiles archives hold {cfg.tile_size}-pixel WebP tiles, which "
            "GDAL before 3.8 (QGIS on Debian 12 or Ubuntu 22.04) reads as 256-pixel tiles: every "
            "tile fails ('Inconsistent tiles characteristics') and the layer shows nothing; "
            "for partners on an older GDAL set tiles.format: png or tiles.tile_size: 256")


def _archives(cfg: TilesConfig) -> list[str]:
    """The archive formats (file suffixes) the stage writes for each layer."""
    return list(cfg.archive_formats) if cfg.archive else []


ARCHIVE_KINDS: tuple[str, ...] = get_args(ArchiveFormat)
"""Every archive a layer can have (file suffixes), written this run or an earlier one."""


def _publish(staging: Path, tiles_dir: Path, name: str, *, archives: list[str]) -> None:
    """Put layer ``name``'s staged pyramid folder (with its legend and TileJSON) and its
    archives (``archives``: their suffixes) in place, in an order that never shows a mixed
    layer.

    The old archives go first, every kind (:data:`ARCHIVE_KINDS`), then the folder is
    swapped whole (the old one renamed aside, the new one renamed in:
    :func:`~prospect.io.files.publish_dir`), then the new archives are renamed in. A
    reader of ``tiles/`` (a static server) sees the old layer, then the old folder without
    archives, the new folder without them, and the new layer: never new tiles beside an
    old legend, TileJSON or archive. An archive of a kind this run does not write (the
    config dropped ``mbtiles``, or set ``archive: false``) was left from the run before,
    the old layer under the new one's name.
    """
    for kind in ARCHIVE_KINDS:
        remove_aside(tiles_dir / f"{name}.{kind}")
    publish_dir(staging / "layer", tiles_dir / name)
    for kind in archives:
        os.replace(staging / f"layer.{kind}", tiles_dir / f"{name}.{kind}")


def job_outline_geojson(ctx: RunContext) -> dict[str, Any] | None:
    """The job's land outline (lon/lat GeoJSON) when its config has a ``mask``."""
    if ctx.job.mask is None:
        return None
    from prospect.config.job import shipped_region_name
    from prospect.ingest.mask import job_outline
    from prospect.outlines import outline_geojson

    outline, label, _ = job_outline(ctx.job.mask, ctx.grid, region=shipped_region_name(ctx.job))
    return outline_geojson(outline, name=label)


def _stage_viewer(ctx: RunContext, staging: Path, viewer_layers: list[ViewerLayer],
                  grids: dict[str, Any]) -> None:
    """Write the whole viewer (its scripts, ``values.js`` and ``index.html``) into
    ``staging``, to be published as ``viewer/`` in one rename."""
    copy_static(staging / "static")
    write_text(staging / "values.js",
               "window.PROSPECT_VALUES = " + json.dumps(grids, separators=(",", ":")) + ";\n")
    title = f"{ctx.job.name}: prospectivity" + (" (synthetic)" if ctx.job.synthetic else "")
    html = viewer_html(viewer_layers, title=title, static_url="static",
                       values_script="values.js", synthetic=ctx.job.synthetic,
                       outline=job_outline_geojson(ctx))
    write_text(staging / "index.html", html)


def run(ctx: RunContext) -> StageResult:
    """Render every configured layer and the static viewer page, then publish them.

    Every layer and the viewer are written whole into hidden staging folders first; only
    then are the layers published (:func:`_publish`), and the viewer last, in one rename.
    A run that fails or is killed while rendering (a layer, the viewer's outline, the
    copy of its scripts) publishes nothing: ``tiles/`` and ``viewer/`` keep the last run's
    layers and the viewer made for them. The viewer is the entry point, so it never
    appears before the layers it shows.
    """
    cfg = ctx.job.tiles or TilesConfig()
    old_gdal = _old_gdal_warning(cfg)
    if old_gdal:
        # no "tiles: " of its own: the summary names each stage's warnings by the stage
        # ("tiles: tiles: its .mbtiles ..."), as the run's live lines are under its rule
        warnings.warn(DataWarning(old_gdal), stacklevel=1)
    tiles_dir = ctx.out_dir / "tiles"
    made = not tiles_dir.exists()
    try:
        return _run(ctx, cfg, ctx.stage_dir("tiles"))
    except BaseException:
        # a first run that fails (a layer no stage made, a stop) published nothing: the
        # empty tiles/ it made was left, a folder of no layers that a later look (or a
        # static server) took for the tiles of a run
        if made:
            with suppress(OSError):  # not empty: another run's, or published
                tiles_dir.rmdir()
        raise


def _run(ctx: RunContext, cfg: TilesConfig, tiles_dir: Path) -> StageResult:
    """:func:`run`'s body, into ``tiles_dir`` (made)."""
    result = StageResult(name="tiles")
    viewer_layers, grids = [], {}
    # On a cluster every layer's pyramid jobs are submitted at once (a layer of a small
    # region is a single job); without one, the layers take turns on the thread pool.
    layers = dated_titles([honest_layer(ctx, la) for la in cfg.layers])
    parallel = ctx.executor.parallel(len(layers))
    viewer_dir = ctx.out_dir / "viewer"
    with ExitStack() as stack:  # every layer and the viewer staged whole, then published
        staged = [stack.enter_context(scratch_dir(tiles_dir / la.layer_name))
                  for la in layers]
        pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="tiles")
        try:
            # the pool's threads read through libraries that set the process's warning
            # filters in catch_warnings blocks (xarray's and rio-tiler's, for a cube
            # variable); two such blocks ending out of order left them ignoring every
            # warning: the state of this thread is restored when the layers are drawn
            with warnings.catch_warnings(), progress_bar(ctx.console, unit="blocks") as bar:
                rendered = list(pool.map(
                    lambda pair: _render_layer(ctx, cfg, pair[0], pair[1], bar),
                    zip(layers, staged, strict=True)))
        except BaseException:
            # a stop (Ctrl-C, SIGTERM) or a layer's failure: the pool's own exit waited for
            # every other layer's whole pyramid first (a stop 1 s into the stage ended the
            # job 8 s later, both pyramids drawn for nothing); the layers not begun are
            # dropped, and those being drawn end as the job's client closes under them
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        for layer, (viewer_layer, metrics, grid, _) in zip(layers, rendered, strict=True):
            viewer_layers.append(viewer_layer)
            grids[layer.layer_name] = grid
            # warned here, in this thread: warned in the pool's, a layer's warning was lost
            # whenever another layer (a cube variable: xarray's and rio-tiler's reads each
            # in a catch_warnings block) set the process's warning filters meanwhile
            for text in metrics["warnings"]:
                warnings.warn(DataWarning(text), stacklevel=1)  # the summary names it
        viewer_staging = stack.enter_context(scratch_dir(viewer_dir))
        _stage_viewer(ctx, viewer_staging, viewer_layers, grids)
        for layer, staging in zip(layers, staged, strict=True):
            _publish(staging, tiles_dir, layer.layer_name, archives=_archives(cfg))
        publish_dir(viewer_staging, viewer_dir)
    for layer, (_, metrics, _, where) in zip(layers, rendered, strict=True):
        name = layer.layer_name
        result.inputs[name] = where
        result.outputs[name] = str(tiles_dir / name)
        for kind in _archives(cfg):
            result.outputs[f"{name}.{kind}"] = str(tiles_dir / f"{name}.{kind}")
        result.metrics[f"{name}_tiles"] = metrics["tiles"]
        if metrics["range_warning"]:
            result.notes.append(f"warning: {metrics['range_warning']}")
        if metrics["range_note"]:
            result.notes.append(metrics["range_note"])
        if metrics["zoom_note"]:  # the job's own zooms beyond the data's
            result.notes.append(metrics["zoom_note"])
    result.outputs["viewer"] = str(viewer_dir / "index.html")
    result.outputs["viewer_static"] = str(viewer_dir / "static")
    result.outputs["viewer_values"] = str(viewer_dir / "values.js")
    result.metrics["zooms"] = ", ".join(sorted({f"{v.min_zoom}-{v.max_zoom}"
                                                for v in viewer_layers}))
    result.notes.append(viewer_note(viewer_dir / "index.html"))  # a file:// URL if needed
    if not cfg.public_url:
        result.notes.append(relative_tilejson_note(tiles_dir))
    return result


def relative_tilejson_note(tiles_dir: Path) -> str:
    """What the stage says of TileJSON documents written without ``tiles.public_url``.

    Their tile and legend URLs are relative (``{z}/{x}/{y}.png``), which TileJSON 3.0.0
    forbids ("All endpoint urls MUST be absolute"): MapLibre and Mapbox GL, given the
    document's URL, fail every tile ("Failed to construct 'Request'") and a partner who
    published ``tiles/`` saw an empty map, the stage having said nothing. The viewer and
    the archives need no address; the note says how to make the documents usable.

    Parameters
    ----------
    tiles_dir : Path
        The stage's ``tiles/`` folder.

    Returns
    -------
    str
        The note, naming ``tiles.public_url``.
    """
    return (f"the tilejson.json files in {tiles_dir} give relative tile URLs "
            "('{z}/{x}/{y}.png'), which TileJSON readers (MapLibre, Mapbox GL) cannot "
            "load from a TileJSON's URL; before publishing tiles/ on a web server set "
            "tiles.public_url to its address (e.g. https://maps.example.org/prospect/"
            "tiles) and run the tiles stage again (the viewer and the archives need none)")
