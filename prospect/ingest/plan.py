"""Source configs -> the layers to ingest, and ingesting one layer chunk by chunk."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from prospect.config.sources import PointSource, RasterSource, VectorSource
from prospect.errors import DataError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.geology import plan_vector
from prospect.ingest.layers import Layer
from prospect.ingest.rasters import plan_raster
from prospect.ingest.surfaces import plan_points
from prospect.io.cube import PartialVariable, begin_variable
from prospect.io.warp import close_warped_views

__all__ = ["ingest_chunk", "ingest_layer", "plan_source", "start_layer"]

AnySource = RasterSource | VectorSource | PointSource


def plan_source(source: AnySource, grid: RegionGrid) -> list[Layer]:
    """The cube layers one source makes on ``grid`` (headers read, no pixels).

    Raises
    ------
    DataError
        The files cannot be planned; or the source's ``stac_search`` has not been resolved
        to its saved items (:func:`prospect.ingest.stac_search.resolve_search`).
    """
    if isinstance(source, RasterSource):
        if source.stac_search is not None:
            raise DataError(
                f"source {source.name!r}: its items are not known until its STAC search runs "
                "(the ingest stage searches and saves them); give the output folder of a run "
                "that searched (prospect plan -o OUT) to plan from the saved items")
        if source.composite is not None:
            return plan_composite(source, grid)
        return list(plan_raster(source, grid))
    if isinstance(source, VectorSource):
        return plan_vector(source, grid)
    return plan_points(source, grid)


def start_layer(cube: Path, layer: Layer, grid: RegionGrid) -> PartialVariable:
    """Begin (or resume) the partial variable of ``layer`` in ``cube``."""
    return begin_variable(cube, layer.name, dtype=layer.dtype, fill_value=layer.fill_value,
                          attrs=layer.attrs(), fingerprint=layer.fingerprint(grid), grid=grid)


def ingest_chunk(part: PartialVariable, layer: Layer, grid: RegionGrid,
                 window: ChunkWindow) -> tuple[tuple[int, int], dict[str, str]]:
    """Compute one chunk of ``layer`` and write it (a dask task).

    Returns the chunk index and the inputs the chunk skipped as unreadable
    (:meth:`Layer.compute_reported`), for the run's manifest.
    """
    values, lost = layer.compute_reported(grid, window)
    part.write_chunk(window, values)
    return (window.iy, window.ix), lost


def ingest_layer(
    cube: Path, layer: Layer, grid: RegionGrid, *,
    on_chunk: Callable[[tuple[int, int]], None] | None = None,
    windows: Iterable[ChunkWindow] | None = None,
) -> int:
    """Ingest ``layer`` into ``cube`` in this process, chunk by chunk, then publish it.

    Returns the number of chunks computed (completed chunks of an earlier run are skipped).
    """
    part = start_layer(cube, layer, grid)
    todo = list(windows) if windows is not None else part.pending(grid)
    try:
        for window in todo:
            done, _lost = ingest_chunk(part, layer, grid, window)
            if on_chunk:
                on_chunk(done)
    finally:
        close_warped_views()
    part.publish(grid)
    return len(todo)
