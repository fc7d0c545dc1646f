"""Tile delivery: rendering, static pyramids, a PMTiles archive, a tile server, a viewer.

Modules, one job each:

- :mod:`tiles.colormap`: float values -> palette indices / RGBA with a fixed range; PNG/WebP
- :mod:`tiles.cache`, :mod:`tiles.testing`: tile cache (cachetools), test fixtures
- :mod:`tiles.source`: a layer's data (COG or zarr cube variable) read through rio-tiler
- :mod:`tiles.pyramid`: XYZ pyramids written in parallel metatiles
- :mod:`tiles.archive`: PMTiles archives and TileJSON documents
- :mod:`tiles.legend`: legend images
- :mod:`tiles.auth`: hashed API keys with per-layer rights
- :mod:`tiles.wmts`: OGC WMTS GetCapabilities
- :mod:`tiles.server`: the ASGI tile server (Starlette; run with uvicorn): routes and run
  settings; :mod:`tiles.handlers` (one function per endpoint), :mod:`tiles.service` (state,
  rendering, caching), :mod:`tiles.http` (limits, errors, conditional GET),
  :mod:`tiles.protocol` (request-head deadline, cap on waiting connections)
- :mod:`tiles.viewer`: the Leaflet viewer page
"""

from tiles.colormap import (
    colormap_lut,
    colormap_palette,
    encode_image,
    encode_indexed,
    render_indexed,
    render_rgba,
)
from tiles.pyramid import PyramidResult, write_pyramid
from tiles.source import LayerSource, cog_source, cube_source

__all__ = [
    "LayerSource",
    "PyramidResult",
    "cog_source",
    "colormap_lut",
    "colormap_palette",
    "cube_source",
    "encode_image",
    "encode_indexed",
    "render_indexed",
    "render_rgba",
    "write_pyramid",
]
