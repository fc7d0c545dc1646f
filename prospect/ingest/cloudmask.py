"""Pixel cloud masks from a product's own quality layer: which pixels a composite drops.

Three encodings, each with its class (or flag) names and a default set to drop (fill,
cloud, cloud shadow, cirrus and snow; water and clear land are kept):

* Sentinel-2 L2A scene classification, ``SCL`` (ESA's class codes 0-11);
* Landsat Collection 2 ``QA_PIXEL`` bit flags (USGS: bit 0 fill, 1 dilated cloud, 2 cirrus,
  3 cloud, 4 cloud shadow, 5 snow, 6 clear, 7 water);
* ESPA CFmask classes (0 clear, 1 water, 2 cloud shadow, 3 snow, 4 cloud, 255 fill).

:func:`dropped` decodes a block of the quality layer to a boolean "drop" mask and
:func:`grow` widens it by a buffer, both in the source's own pixels, before resampling.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from prospect.errors import ConfigError

__all__ = ["CFMASK", "DEFAULT_DROP", "QA_PIXEL_BITS", "SCL", "drop_names", "dropped", "grow"]

SCL: dict[str, int] = {
    "no_data": 0, "saturated_or_defective": 1, "dark_area": 2, "cloud_shadow": 3,
    "vegetation": 4, "not_vegetated": 5, "water": 6, "unclassified": 7,
    "cloud_medium_probability": 8, "cloud_high_probability": 9, "thin_cirrus": 10,
    "snow": 11,
}
"""Sentinel-2 L2A scene classification codes (ESA, L2A product specification)."""

QA_PIXEL_BITS: dict[str, int] = {
    "fill": 0, "dilated_cloud": 1, "cirrus": 2, "cloud": 3, "cloud_shadow": 4, "snow": 5,
    "clear": 6, "water": 7,
}
"""Landsat Collection 2 QA_PIXEL bit positions (USGS Collection 2 Level-2 guide)."""

CFMASK: dict[str, int] = {"clear": 0, "water": 1, "cloud_shadow": 2, "snow": 3, "cloud": 4,
                          "fill": 255}
"""ESPA CFmask class codes."""

DEFAULT_DROP: dict[str, tuple[str, ...]] = {
    "scl": ("no_data", "saturated_or_defective", "cloud_shadow", "cloud_medium_probability",
            "cloud_high_probability", "thin_cirrus", "snow"),
    "qa_pixel": ("fill", "dilated_cloud", "cirrus", "cloud", "cloud_shadow", "snow"),
    "cfmask": ("fill", "cloud_shadow", "snow", "cloud"),
}
"""What each kind of mask drops unless the config lists ``drop``."""

_NAMES = {"scl": SCL, "qa_pixel": QA_PIXEL_BITS, "cfmask": CFMASK}


def drop_names(kind: str, names: Sequence[str] | None) -> tuple[str, ...]:
    """The class/flag names dropped, checked against ``kind``'s names.

    Raises
    ------
    ConfigError
        An unknown name (the message lists the names ``kind`` has).
    """
    table = _NAMES[kind]
    chosen = tuple(names) if names is not None else DEFAULT_DROP[kind]
    unknown = [n for n in chosen if n not in table]
    if unknown:
        raise ConfigError(f"cloud_mask.drop: unknown {kind} name(s) {unknown}; {kind} has "
                          f"{', '.join(table)}")
    return chosen


def dropped(kind: str, codes: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """True where a pixel of the quality layer ``codes`` is in a dropped class or flag."""
    table = _NAMES[kind]
    values = np.asarray(codes)
    if kind == "qa_pixel":
        bits = 0
        for name in names:
            bits |= 1 << table[name]
        return (values.astype(np.uint32) & np.uint32(bits)) != 0
    return np.isin(values, [table[n] for n in names])


def grow(mask: np.ndarray, pixels: float) -> np.ndarray:
    """``mask`` widened by ``pixels`` (a disc), e.g. a cloud buffer in source pixels."""
    radius = int(np.ceil(pixels - 1e-9))
    if radius <= 0 or not mask.any():
        return mask
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disc = (yy ** 2 + xx ** 2) <= pixels ** 2 + 1e-9
    from scipy import ndimage  # only when a buffer grows the mask

    return ndimage.binary_dilation(mask, structure=disc)
