"""The land mask of a job: a ``land`` variable, and every other layer masked by it.

With ``mask:`` in a job config, ingest adds a ``land`` variable (1 land, 0 sea or outside
the country, from the region's outline) and wraps every other layer in
:class:`MaskedLayer`, so a cell outside the outline is no-data in the whole cube: models
neither train nor score there and maps leave it transparent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, ClassVar

import numpy as np
import shapely

from prospect.config.mask import MaskConfig
from prospect.errors import DataError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.layers import Layer
from prospect.io.vector import dataset_files
from prospect.outlines import (
    NATURAL_EARTH_CREDIT,
    clip_to_grid,
    land_mask,
    load_outline,
    outline_path,
    read_outline,
    to_grid_crs,
)

__all__ = ["LandMaskLayer", "MaskedLayer", "apply_mask", "job_outline", "outline_label",
           "plan_mask"]

LAND_VARIABLE = "land"


@dataclass(frozen=True, kw_only=True)
class LandMaskLayer(Layer):
    """``land``: 1 where a cell's centre lies inside the outline, 0 elsewhere (uint8)."""

    cost: ClassVar[float] = 2.0

    outline_wkb: bytes
    dtype: str = "uint8"
    fill_value: float = 255

    def land(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """Boolean land mask of one chunk."""
        return land_mask(shapely.from_wkb(self.outline_wkb), grid, window)

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """The chunk's mask as 0/1 codes."""
        return self.land(grid, window).astype(np.uint8)

    def extra_attrs(self) -> dict[str, Any]:
        """Flag meanings (CF) so a reader knows what 0 and 1 are."""
        return {"flag_values": [0, 1], "flag_meanings": "outside_outline land"}


@dataclass(frozen=True, kw_only=True)
class MaskedLayer(Layer):
    """Another layer with every cell outside the land mask set to its no-data value."""

    inner: Layer
    mask: LandMaskLayer

    @property
    def cost(self) -> float:  # type: ignore[override]
        """The wrapped layer's cost (the mask adds little)."""
        return self.inner.cost

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """The wrapped layer's chunk with sea cells set to ``fill_value``."""
        values = np.array(self.inner.compute(grid, window), copy=True)
        values[~self.mask.land(grid, window)] = self.fill_value
        return values

    def extra_attrs(self) -> dict[str, Any]:
        """The wrapped layer's extra attributes (e.g. a code table)."""
        return self.inner.extra_attrs()


def apply_mask(layers: list[Layer], mask: LandMaskLayer) -> list[Layer]:
    """``layers`` each masked by ``mask``, followed by the mask's own ``land`` variable."""
    out: list[Layer] = []
    for layer in layers:
        if layer.name == LAND_VARIABLE:
            raise DataError(f"a source makes a variable named {LAND_VARIABLE!r}, the name of "
                            "the land mask; rename that source or band")
        out.append(MaskedLayer(
            name=layer.name, units=layer.units, long_name=layer.long_name, kind=layer.kind,
            inputs=layer.inputs + mask.inputs,
            settings={**layer.settings, "land_mask": mask.settings.get("outline")},
            dtype=layer.dtype, fill_value=layer.fill_value, inner=layer, mask=mask,
        ))
    return [*out, mask]


def outline_label(path: str | Path, names: list[str] | None = None) -> str:
    """The name a mask file's outline goes by in what a job publishes: the file's own name
    (``countries-10m.json ['United States of America']``), a URL without its credentials.

    The ``land`` variable's ``long_name``, its and every masked variable's provenance and
    the viewer page's outline were labelled with the file's absolute local path
    (``/home/ana/work/../data/countries-10m.json``): a published cube and map naming a
    folder of the machine that made them. Messages still name the whole path
    (:func:`_where`).
    """
    from prospect.io.remote import is_network_name
    from prospect.redact import redact

    text = str(path)
    name = redact(text) if is_network_name(text) else PurePath(text).name or text
    return name + (f" {names}" if names else "")


def _where(cfg: MaskConfig, label: str) -> str:
    """The outline as a message names it: a file by its path as given, so it can be found."""
    if cfg.path is None:
        return label
    return str(cfg.path) + (f" {cfg.names}" if cfg.names else "")


def job_outline(cfg: MaskConfig, grid: RegionGrid, *,
                region: str | None) -> tuple[shapely.Geometry, str, str]:
    """The lon/lat outline a mask config names, clipped to ``grid``; with its label (a
    shipped outline's name, or :func:`outline_label` of a file) and file.

    Raises
    ------
    ConfigError
        No outline named and the job's region is not a shipped region.
        The outline has no land inside the grid (the mask and the region contradict).
    """
    from prospect.errors import ConfigError

    if cfg.path is not None:
        outline = read_outline(cfg.path, layer=cfg.layer, names=cfg.names,
                               name_column=cfg.name_column)
        label, path = outline_label(cfg.path, cfg.names), str(cfg.path)
    else:
        name = cfg.outline or region
        if name is None:
            raise ConfigError("mask: the job's region is not a shipped region; name a shipped "
                              "outline ('mask.outline') or a file ('mask.path')")
        outline, label, path = load_outline(name), name, str(outline_path(name))
    clipped = clip_to_grid(outline, grid)
    if clipped.is_empty:
        raise ConfigError(f"key 'mask': the outline {_where(cfg, label)} has no land in the region "
                          f"{grid.name!r} (bounds {[round(b, 6) for b in grid.bounds]} in "
                          f"{grid.crs}); name the outline of the region's land in 'mask', "
                          "or leave 'mask' out")
    return clipped, label, path


def plan_mask(cfg: MaskConfig, grid: RegionGrid, *, region: str | None) -> LandMaskLayer:
    """The ``land`` layer of a job's mask config on ``grid``."""
    outline, label, path = job_outline(cfg, grid, region=region)
    outline_xy = to_grid_crs(outline, grid)
    _refuse_land_of_no_cell(outline_xy, grid, _where(cfg, label))
    return LandMaskLayer(
        name=LAND_VARIABLE, units="1", kind="mask", inputs=dataset_files(path),
        long_name=f"land inside the outline of {label} (1) or not (0)",
        settings={"outline": label, "method": "cell centre in polygon (rasterio)",
                  "credit": NATURAL_EARTH_CREDIT if cfg.path is None else ""},
        outline_wkb=shapely.to_wkb(outline_xy),
    )


SMALL_LAND_CELLS = 100
"""Cells' area under which an outline's land in the region is rasterised at once to see
whether any cell's centre lies on it (a larger one holds centres but in contrived shapes)."""


def _refuse_land_of_no_cell(outline_xy: shapely.Geometry, grid: RegionGrid,
                            label: str) -> None:
    """Refuse an outline whose land in the region holds no cell's centre.

    Islets smaller than a cell (a reef, a skerry) clipped to a region are land, so the
    outline passed the "no land in the region" check, but the mask is drawn by cell
    centres: every cell was masked as sea and every layer written as no data, without a
    word. Only land of under :data:`SMALL_LAND_CELLS` cells' area is rasterised (its own
    window of the grid), so a country's outline costs nothing here. The area is of the
    land inside the grid's bounds (round 61b): the outline comes clipped with a margin
    around the grid, so a region offshore of a coast just outside it, or lying in a hole
    of the outline (a lagoon, a lake), had the margin's land counted, over 100 cells' area
    on a large grid, and every cell masked as sea without a word.

    Raises
    ------
    ConfigError
        Naming the outline, its area and the grid's cell size.
    """
    from rasterio.windows import from_bounds

    from prospect.errors import ConfigError
    from prospect.grid import ChunkWindow

    cell = abs(grid.resolution) ** 2
    if outline_xy.is_empty:
        return
    land = shapely.intersection(outline_xy, shapely.box(*grid.bounds))
    if land.area >= SMALL_LAND_CELLS * cell:
        return
    if land.area < 1e-3 * cell:  # (land in the margin it is clipped with; none a cell's)
        raise ConfigError(
            f"key 'mask': the outline {label} has land beside the region {grid.name!r} but "
            f"none inside its bounds {[round(b, 6) for b in grid.bounds]} (the region lies "
            "in the outline's sea, or in a hole of it), so every cell would be masked as "
            "sea; name the outline of the region's land in 'mask', or leave 'mask' out")
    rows, cols = grid.shape
    win = from_bounds(*land.bounds, transform=grid.transform)
    r0, c0 = max(0, int(win.row_off) - 1), max(0, int(win.col_off) - 1)
    r1 = min(rows, int(win.row_off + win.height) + 2)
    c1 = min(cols, int(win.col_off + win.width) + 2)
    if r1 <= r0 or c1 <= c0:
        return
    window = ChunkWindow(iy=0, ix=0, rows=slice(r0, r1), cols=slice(c0, c1))
    if land_mask(outline_xy, grid, window).any():
        return
    raise ConfigError(
        f"key 'mask': the outline {label} has land in the region {grid.name!r} "
        f"({land.area:.4g} square {grid.units} of it) but under no centre of its cells "
        f"of {grid.resolution:g} {grid.units}, so every cell would be "
        "masked as sea; use a finer resolution, an outline of more land, or leave 'mask' out")
