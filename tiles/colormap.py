"""Float-aware rendering: a fixed value range onto a named colormap, NaN transparent.

Pure functions on numpy arrays; no I/O. Values are mapped linearly from
``[vmin, vmax]`` onto 256 colours of a matplotlib colormap (values outside the range
are clamped to its ends, so colours mean the same on every tile and zoom), cells that
are NaN or masked get alpha 0.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Literal

import numpy as np

__all__ = ["ImageFormat", "colormap_lut", "encode_image", "render_rgba", "values_from_rgba"]

ImageFormat = Literal["png", "webp"]


@lru_cache(maxsize=64)
def colormap_lut(name: str) -> np.ndarray:
    """The ``(256, 4)`` uint8 RGBA lookup table of matplotlib colormap ``name``.

    Raises
    ------
    ValueError
        When matplotlib has no colormap of that name.
    """
    import matplotlib

    if name not in matplotlib.colormaps:
        raise ValueError(f"unknown colormap {name!r}; use a matplotlib colormap name")
    cmap = matplotlib.colormaps[name].resampled(256)
    lut = (np.asarray(cmap(np.arange(256)), dtype="f8") * 255.0).round().astype(np.uint8)
    lut.setflags(write=False)
    return lut


def render_rgba(
    values: np.ndarray, *, colormap: str, vmin: float, vmax: float,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Colour a 2-D float array: ``(h, w)`` values -> ``(h, w, 4)`` uint8 RGBA.

    Parameters
    ----------
    values
        Float values; NaN means no data.
    colormap
        Matplotlib colormap name.
    vmin, vmax
        Fixed value range; the colour index is ``255 * (v - vmin) / (vmax - vmin)``.
    mask
        Optional boolean array, True where a cell is valid (rio-tiler's convention is
        inverted: pass ``~masked_array.mask``).
    """
    data = np.asarray(values, dtype="f4")
    if data.ndim != 2:
        raise ValueError(f"render_rgba needs a 2-D array, got shape {data.shape}")
    if not vmax > vmin:
        raise ValueError(f"vmax ({vmax}) must be greater than vmin ({vmin})")
    valid = np.isfinite(data)
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    scale = np.float32(255.0 / (vmax - vmin))
    scaled = data - np.float32(vmin)
    scaled *= scale
    scaled += np.float32(0.5)
    np.clip(scaled, 0, 255, out=scaled)
    scaled[~valid] = 0
    index = scaled.astype(np.uint8)
    # one 4-byte gather per pixel: the LUT viewed as uint32 RGBA words
    lut32 = np.ascontiguousarray(colormap_lut(colormap)).view(np.uint32).ravel()
    words = lut32[index]
    words[~valid] = 0  # transparent (alpha 0) where there is no data
    return words.view(np.uint8).reshape((*data.shape, 4))


def values_from_rgba(
    rgba: np.ndarray, *, colormap: str, vmin: float, vmax: float
) -> np.ndarray:
    """Invert :func:`render_rgba` up to colour quantisation: nearest LUT colour -> value.

    Transparent pixels become NaN. Used by tests and clients that only have the image.
    """
    lut = colormap_lut(colormap)[:, :3].astype("i4")
    pix = np.asarray(rgba)[..., :3].reshape(-1, 1, 3).astype("i4")
    nearest = np.empty(pix.shape[0], dtype="i4")
    step = 65536
    for start in range(0, pix.shape[0], step):
        dist = ((pix[start:start + step] - lut[None, :, :]) ** 2).sum(axis=2)
        nearest[start:start + step] = dist.argmin(axis=1)
    out = vmin + nearest.astype("f8") * (vmax - vmin) / 255.0
    out = out.reshape(rgba.shape[:2])
    if rgba.shape[-1] == 4:
        out[np.asarray(rgba)[..., 3] == 0] = np.nan
    return out


def encode_image(rgba: np.ndarray, fmt: ImageFormat = "png", *, quality: int = 90) -> bytes:
    """Encode an RGBA tile as PNG (lossless, fast zlib level) or WebP (lossless by default).

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
