"""What every delivery says about a layer: title, description, attribution, licence,
synthetic flag, zoom range and centre, taken from the config and the data.

One :class:`LayerMeta` feeds TileJSON, WMTS, WMS, the legend, the viewer and the PMTiles
metadata, so they cannot disagree. A title or synthetic flag set in the config wins;
unset, they come from the data (the ``long_name`` and ``synthetic`` tags the score stage
writes), so a renamed output reaches every label. Zooms come from the data's resolution
and extent (:meth:`tiles.source.LayerSource.zoom_range`), not a fixed 0-18.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prospect.config.tiles import TileLayerConfig
from tiles.grids import tile_matrix_set
from tiles.source import LayerSource

__all__ = ["LayerMeta", "layer_meta"]


@dataclass(frozen=True)
class LayerMeta:
    """Resolved metadata of one layer."""

    name: str
    title: str
    description: str
    attribution: str
    licence: str | None
    synthetic: bool
    crs: str
    bounds: tuple[float, float, float, float]
    min_zoom: int
    max_zoom: int
    matrix_sets: dict[str, tuple[int, int, tuple[float, float, float, float]]] = field(
        default_factory=dict)

    @property
    def label(self) -> str:
        """Title with "(synthetic data)" when synthetic."""
        return self.title + (" (synthetic data)" if self.synthetic else "")

    @property
    def center(self) -> list[float]:
        """TileJSON centre: middle of the bounds, one zoom in from the minimum."""
        w, s, e, n = self.bounds
        return [(w + e) / 2, (s + n) / 2, min(self.max_zoom, self.min_zoom + 1)]

    def as_json(self) -> dict[str, Any]:
        """The fields as JSON (for TileJSON's ``prospect`` block and PMTiles metadata)."""
        return {"title": self.title, "description": self.description,
                "attribution": self.attribution, "licence": self.licence,
                "synthetic": self.synthetic, "crs": self.crs}


def layer_meta(
    cfg: TileLayerConfig, source: LayerSource, *, attribution: str = "Prospect",
    licence: str | None = None, synthetic: bool = False, zoom_limits: tuple[int, int] = (0, 24),
    matrix_sets: list[str] = ("WebMercatorQuad",),  # type: ignore[assignment]
) -> LayerMeta:
    """The metadata of layer ``cfg`` read from ``source``.

    Parameters
    ----------
    attribution, licence
        Server or job defaults, used where the layer's config sets none.
    synthetic
        The job or server says the data are synthetic (or-ed with the config and the data).
    zoom_limits
        ``(min, max)`` zoom the server or job allows; the layer's range is clipped to it.
    matrix_sets
        Tile matrix sets the layer is offered in (the first is the XYZ one).
    """
    tags = source.tags
    title = (cfg.title or tags.get("long_name") or tags.get("title")
             or cfg.layer_name.replace("_", " ").capitalize())
    is_synthetic = cfg.synthetic if cfg.synthetic is not None else (synthetic or source.synthetic)
    lo_limit, hi_limit = zoom_limits
    ranges = {}
    for name in matrix_sets:
        tms = tile_matrix_set(name)
        lo, hi = source.zoom_range(tms)
        lo, hi = max(lo, lo_limit, tms.minzoom), min(hi, hi_limit, tms.maxzoom)
        lo = min(lo, hi)
        ranges[name] = (lo, hi, source.native_footprint(tms.rasterio_crs)[0])
    first = ranges[matrix_sets[0]]
    description = cfg.description or tags.get("description", "") or title
    if is_synthetic and "synthetic" not in description.lower():
        description += " (synthetic data, for testing only)"
    return LayerMeta(
        name=cfg.layer_name, title=title, description=description,
        attribution=cfg.attribution or attribution, licence=cfg.licence or licence,
        synthetic=is_synthetic, crs=source.crs, bounds=source.lonlat_bounds,
        min_zoom=first[0], max_zoom=first[1], matrix_sets=ranges,
    )
