"""Float-aware rendering: a fixed value range onto a named colormap, NaN transparent.

Pure functions on numpy arrays; no I/O. Values are mapped linearly from ``[vmin, vmax]``
onto the 255 colours of a palette built from a matplotlib colormap (values outside the
range are clamped to its ends, so colours mean the same on every tile and zoom), or, for
a class map whose codes are not evenly spaced, by the rank of its codes
(:func:`ramp_stops`); palette entry 0 is fully transparent and marks cells that are NaN
or masked.

Tiles are encoded as *paletted* PNGs (one byte per pixel plus a palette with a
transparent entry): a quarter of the bytes of RGBA to filter and compress, so encoding is
several times faster and files are smaller, with no loss (the palette holds every colour
the layer can have). WebP tiles are encoded from RGBA.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np

__all__ = [
    "N_COLOURS",
    "ImageFormat",
    "class_palette",
    "colormap_lut",
    "colormap_palette",
    "css_colour",
    "css_rgba",
    "encode_image",
    "encode_indexed",
    "exact_dtype",
    "ramp_positions",
    "ramp_stops",
    "render_indexed",
    "render_rgba",
    "webp_quality",
]

ImageFormat = Literal["png", "webp"]

N_COLOURS = 255
"""Colour levels per layer (palette entries 1..255; entry 0 is no data)."""


WEBP_QUALITY = 90
"""Quality of a layer of values' WebP tiles (lossy: smaller, colours near their level's)."""


def webp_quality(resampling: str) -> int:
    """The WebP quality of the tiles of a layer read with ``resampling``: lossless (100)
    for ``nearest`` (a class map, drawn in its classes' own colours: lossy compression
    drew pixels at class borders in colours of no class), else :data:`WEBP_QUALITY`."""
    return 100 if resampling == "nearest" else WEBP_QUALITY


@lru_cache(maxsize=64)
def colormap_lut(name: str, n: int = 256) -> np.ndarray:
    """The ``(n, 4)`` uint8 RGBA lookup table of matplotlib colormap ``name``.

    Raises
    ------
    ValueError
        When matplotlib has no colormap of that name.
    """
    import matplotlib

    if name not in matplotlib.colormaps:
        raise ValueError(f"unknown colormap {name!r}; use a matplotlib colormap name")
    cmap = matplotlib.colormaps[name].resampled(n)
    lut = (np.asarray(cmap(np.arange(n)), dtype="f8") * 255.0).round().astype(np.uint8)
    lut.setflags(write=False)
    return lut


def _distinct_colours(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` with each repeated colour moved to the nearest unused 8-bit colour.

    Rounding a colormap to 8 bits can give two neighbouring levels the same colour
    (viridis has two such pairs at 255 levels), and then a colour no longer says which
    value it encodes. Moving the later copy by a step or two of one channel keeps the map
    visually identical and makes colour -> value exact.
    """
    out = np.array(rgb, dtype=np.int16)
    seen: set[tuple[int, ...]] = set()
    steps = [(c, s * k) for k in range(1, 256) for c in range(3) for s in (1, -1)]
    for i, colour in enumerate(out):
        key = tuple(int(v) for v in colour)
        if key in seen:
            for channel, delta in steps:
                moved = list(key)
                moved[channel] += delta
                if 0 <= moved[channel] <= 255 and tuple(moved) not in seen:
                    key = tuple(moved)
                    break
            out[i] = key
        seen.add(key)
    return out.astype(np.uint8)


@lru_cache(maxsize=64)
def colormap_palette(name: str) -> np.ndarray:
    """``(256, 4)`` RGBA palette: entry 0 transparent, 1..255 the colormap from low to high."""
    pal = np.zeros((256, 4), dtype=np.uint8)
    pal[1:] = colormap_lut(name, N_COLOURS)
    pal[1:, :3] = _distinct_colours(pal[1:, :3])
    pal[1:, 3] = 255
    pal.setflags(write=False)
    return pal


FLOAT32_EXACT = 2**24
"""Largest magnitude up to which float32 holds every whole number (16 777 216)."""


def exact_dtype(codes: Sequence[float] | None) -> np.dtype:
    """The float type that holds each of a class map's ``codes`` exactly: float32 (the type
    every layer's values are read, drawn and tiled in) where all are within
    :data:`FLOAT32_EXACT`, else float64.

    A geology map in Int32 of unit codes 100000001, 100000002 and 100000003 (ids past
    2^24, as a survey's database numbers its units) was read as float32, which holds the
    three as one number: three units drawn in one colour, without a word."""
    if codes and any(abs(float(c)) > FLOAT32_EXACT for c in codes):
        return np.dtype("f8")
    return np.dtype("f4")


ClassColours = tuple[tuple[int, tuple[int, int, int, int]], ...]
"""A class map's own colours, ``((code, (r, g, b, alpha)), ...)`` (its colour table)."""


def css_colour(rgba: Sequence[int]) -> str:
    """An RGB(A) colour as CSS writes it: ``#rrggbb``, or ``#rrggbbaa`` where not opaque."""
    r, g, b, *alpha = (int(v) for v in rgba)
    a = alpha[0] if alpha else 255
    return f"#{r:02x}{g:02x}{b:02x}" + (f"{a:02x}" if a != 255 else "")


def css_rgba(text: str) -> tuple[int, int, int, int] | None:
    """``(r, g, b, alpha)`` of a CSS ``#rrggbb`` or ``#rrggbbaa`` colour, else ``None``."""
    if not re.fullmatch(r"#(?:[0-9a-fA-F]{2}){3,4}", text):
        return None
    r, g, b, a = (int(text[i:i + 2], 16) for i in (1, 3, 5, 7)) if len(text) == 9 else (
        *(int(text[i:i + 2], 16) for i in (1, 3, 5)), 255)
    return r, g, b, a


@lru_cache(maxsize=64)
def class_palette(
    colormap: str, colours: ClassColours | None, *, vmin: float, vmax: float,
    stops: tuple[float, ...] | None = None,
) -> np.ndarray | None:
    """The ``(256, 4)`` palette of a class map drawn in its own ``colours`` (its colour
    table): :func:`colormap_palette`, with the entry each code is drawn at
    (:func:`render_indexed` at ``vmin``, ``vmax`` and ``stops``) in that code's colour;
    ``None`` without ``colours`` (the colormap's palette).

    A geology map exported "paletted" (granite red, shale black, as QGIS and the printed
    map show it) was drawn in viridis over its codes: the partner agency's map and the
    survey's did not agree on any unit's colour. A colour's alpha is kept (a class the
    table makes transparent, as QGIS draws it: a background code 0 that is no nodata)."""
    if not colours:
        return None
    pal = np.array(colormap_palette(colormap))
    codes = [code for code, _ in colours]
    index = render_indexed(np.asarray([codes], dtype=exact_dtype(codes)), vmin=vmin,
                           vmax=vmax, stops=stops)[0]
    for i, (_, rgba) in zip(index.tolist(), colours, strict=True):
        if i:
            pal[i] = rgba
    pal.setflags(write=False)
    return pal


def ramp_stops(values: Sequence[float] | None) -> tuple[float, ...] | None:
    """The stops a class map's ramp places evenly (its codes, sorted), or ``None`` where a
    linear ramp from the lowest to the highest already gives each an even share.

    A class map is coloured by the rank of its codes: a geology map of units 1..30 and
    9999 (a code kept for "water" or "unmapped") drawn linearly from 1 to 9999 put its 30
    units in one or two colours. Codes evenly spaced (0, 1, 2; 1..30) are coloured as
    before, linearly, so their tiles are unchanged.

    Raises
    ------
    ValueError
        When a value is not finite or one is given twice.
    """
    if values is None:
        return None
    stops = tuple(sorted(float(v) for v in values))
    if not all(math.isfinite(v) for v in stops) or len(set(stops)) != len(stops):
        raise ValueError(f"ramp stops must be distinct finite numbers, got {values!r}")
    if len(stops) < 3:
        return None
    steps = np.diff(np.asarray(stops, dtype="f8"))
    return None if bool(np.all(steps == steps[0])) else stops


def ramp_positions(values: np.ndarray, stops: Sequence[float]) -> np.ndarray:
    """``values`` as positions along a ramp of ``stops`` (:func:`ramp_stops`): stop ``i``
    at ``i``, values between two stops in between, beyond the ends at the ends, NaN kept;
    float32. The inverse of reading a colour's position back is ``np.interp(position,
    range(len(stops)), stops)``."""
    ranks = np.arange(len(stops), dtype="f8")
    return np.interp(np.asarray(values, dtype="f8"), stops, ranks).astype("f4")


def render_indexed(
    values: np.ndarray, *, vmin: float, vmax: float, mask: np.ndarray | None = None,
    stops: Sequence[float] | None = None,
) -> np.ndarray:
    """Palette indices of a 2-D float array: 0 for no data, 1..255 for ``vmin..vmax``.

    Parameters
    ----------
    values
        Float values; NaN means no data.
    vmin, vmax
        Fixed value range; the index is ``1 + round(254 * (v - vmin) / (vmax - vmin))``,
        clamped to 1..255.
    mask
        Optional boolean array, True where a cell is valid (rio-tiler's convention is
        inverted: pass ``~masked_array.mask``).
    stops
        A class map's codes coloured by rank (:func:`ramp_stops`; ``None``: linear from
        ``vmin`` to ``vmax``): stop ``i`` of ``n`` takes index ``1 + round(254 * i / (n -
        1))``, values between stops in between (:func:`ramp_positions`).

    Float64 ``values`` under a range past float32's whole numbers (a class map's codes:
    :func:`exact_dtype`) are placed on the ramp in float64, before the colour levels are
    computed in float32 as for every other layer.
    """
    data = np.asarray(values)
    wide = data.dtype == np.float64 and exact_dtype((vmin, vmax)) == np.float64
    if not wide:
        data = data.astype("f4", copy=False)
    if data.ndim != 2:
        raise ValueError(f"rendering needs a 2-D array, got shape {data.shape}")
    if not vmax > vmin:
        raise ValueError(f"vmax ({vmax}) must be greater than vmin ({vmin})")
    if stops is not None:
        data = ramp_positions(data, stops)
        vmin, vmax = 0.0, float(len(stops) - 1)
    elif wide:  # offsets from vmin are small where the codes are not
        data = (data - vmin).astype("f4")
        vmin, vmax = 0.0, vmax - vmin
    valid = np.isfinite(data)
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    scaled = data - np.float32(vmin)
    scaled *= np.float32((N_COLOURS - 1) / (vmax - vmin))
    scaled += np.float32(1.5)
    np.clip(scaled, 1, N_COLOURS, out=scaled)
    scaled[~valid] = 0
    return scaled.astype(np.uint8)


def render_rgba(
    values: np.ndarray, *, colormap: str, vmin: float, vmax: float,
    mask: np.ndarray | None = None, stops: Sequence[float] | None = None,
    palette: np.ndarray | None = None,
) -> np.ndarray:
    """Colour a 2-D float array: ``(h, w)`` values -> ``(h, w, 4)`` uint8 RGBA.

    Same colours as :func:`render_indexed` with :func:`colormap_palette`, or with
    ``palette`` (a class map's own colours: :func:`class_palette`) where given.
    """
    index = render_indexed(values, vmin=vmin, vmax=vmax, mask=mask, stops=stops)
    return _indexed_to_rgba(index, colormap, palette)


def _indexed_to_rgba(index: np.ndarray, colormap: str,
                     palette: np.ndarray | None = None) -> np.ndarray:
    """Palette indices -> ``(h, w, 4)`` uint8 RGBA (one 32-bit lookup per pixel)."""
    pal = colormap_palette(colormap) if palette is None else palette
    pal32 = np.ascontiguousarray(pal).view(np.uint32).ravel()
    return pal32[index].view(np.uint8).reshape((*index.shape, 4))


def encode_indexed(
    index: np.ndarray, colormap: str, fmt: ImageFormat = "png", *, quality: int = WEBP_QUALITY,
    rgba: bool = False, palette: np.ndarray | None = None,
) -> bytes:
    """Encode palette indices from :func:`render_indexed` as a tile.

    PNG: a paletted image with entry 0 transparent (lossless, compact, fast), or with
    ``rgba`` an RGBA PNG (same colours, larger, slower; for like-with-like comparisons and
    clients that want it). WebP: RGBA, lossy at ``quality`` below 100, lossless at 100.
    ``palette`` (a class map's own colours: :func:`class_palette`) replaces
    ``colormap``'s where given.
    """
    from PIL import Image

    if fmt == "webp" or (rgba and fmt == "png"):
        return encode_image(_indexed_to_rgba(index, colormap, palette), fmt, quality=quality)
    if fmt != "png":
        raise ValueError(f"unknown tile format {fmt!r}; use 'png' or 'webp'")
    pal = colormap_palette(colormap) if palette is None else palette
    image = Image.fromarray(np.ascontiguousarray(index), mode="L")
    image.putpalette(pal[:, :3].tobytes(), rawmode="RGB")
    buf = io.BytesIO()
    # entry 0 transparent; a class map's own colours may make more entries so (tRNS)
    clear = 0 if bool(np.all(pal[1:, 3] == 255)) else pal[:, 3].tobytes()
    image.save(buf, format="PNG", compress_level=2, transparency=clear)
    return buf.getvalue()


def encode_image(rgba: np.ndarray, fmt: ImageFormat = "png", *, quality: int = 90) -> bytes:
    """Encode an RGBA tile as PNG (lossless) or WebP (lossy at ``quality`` < 100).

    ``quality`` below 100 makes WebP lossy; PNG ignores it.
    """
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(rgba), mode="RGBA")
    buf = io.BytesIO()
    if fmt == "png":
        image.save(buf, format="PNG", compress_level=3)
    elif fmt == "webp":
        if quality >= 100:
            image.save(buf, format="WEBP", lossless=True, method=1)
        else:
            image.save(buf, format="WEBP", quality=quality, method=2)
    else:
        raise ValueError(f"unknown tile format {fmt!r}; use 'png' or 'webp'")
    return buf.getvalue()
