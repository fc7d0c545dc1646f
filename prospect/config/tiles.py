"""Tile-delivery config: which layers, zooms, colormaps and value ranges."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from prospect.config._base import StrictModel

__all__ = ["TileLayerConfig", "TilesConfig"]


class TileLayerConfig(StrictModel):
    """One rendered layer (a cube variable) with a fixed value range and colormap."""

    variable: str
    colormap: str = "viridis"
    vmin: float = 0.0
    vmax: float = 1.0
    title: str | None = None
    public: bool = False


class TilesConfig(StrictModel):
    """XYZ pyramid settings."""

    min_zoom: int = Field(default=10, ge=0, le=22)
    max_zoom: int = Field(default=14, ge=0, le=22)
    tile_size: Literal[256, 512] = 256
    format: Literal["png", "webp"] = "png"
    layers: list[TileLayerConfig] = Field(
        default_factory=lambda: [TileLayerConfig(variable="probability")]
    )
