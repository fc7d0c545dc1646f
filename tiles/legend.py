"""Legend images: a colour bar with the layer's fixed value range, title and units."""

from __future__ import annotations

import io

import numpy as np

from prospect.config.tiles import TileLayerConfig
from tiles.colormap import colormap_lut

__all__ = ["LEGEND_SIZE", "MAX_LEGEND_SIZE", "legend_png"]

LEGEND_SIZE = (320, 84)
"""Width and height (pixels) of a legend when no size is asked (each LegendURL says so)."""

MAX_LEGEND_SIZE = 2048
"""Largest WIDTH / HEIGHT of a GetLegendGraphic image."""


def legend_png(layer: TileLayerConfig, *, title: str | None = None,
               width: int = LEGEND_SIZE[0], height: int = LEGEND_SIZE[1],
               units: str | None = None, clamped: tuple[bool, bool] = (False, False)) -> bytes:
    """A PNG legend: horizontal colour bar from ``vmin`` to ``vmax`` with ticks and title.

    ``title`` (e.g. :attr:`tiles.metadata.LayerMeta.label`, which says "synthetic data"
    when it is) replaces the config's label; ``units`` (e.g.
    :attr:`tiles.metadata.LayerMeta.units`, the data's own when the config gives none)
    replace the config's. ``clamped`` (below, above: :func:`tiles.metadata.clamped_ends`)
    says the layer has values beyond ``vmin`` or ``vmax``, drawn in the end colours: that
    end's label reads "≤ vmin" or "≥ vmax" (a cell of 2 under a 0-1 ramp read as 1).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    ax = fig.add_axes((0.05, 0.45, 0.9, 0.25))
    lut = colormap_lut(layer.colormap) / 255.0
    gradient = np.linspace(0, 1, 256)[None, :]
    ax.imshow(
        gradient, aspect="auto", cmap=ListedColormap(lut),
        extent=(layer.vmin, layer.vmax, 0, 1),
    )
    ax.set_yticks([])
    ticks = np.linspace(layer.vmin, layer.vmax, 5)
    ax.set_xticks(ticks)
    if any(clamped):
        labels = list(ax.xaxis.get_major_formatter().format_ticks(ticks.tolist()))
        labels[0] = ("≤ " if clamped[0] else "") + labels[0]
        labels[-1] = ("≥ " if clamped[1] else "") + labels[-1]
        ax.set_xticks(ticks, labels)
    ax.tick_params(labelsize=8)
    units = layer.units if units is None else units
    text = (title or layer.label) + (f" ({units})" if units else "")
    ax.set_title(text, fontsize=9)
    fig.patch.set_alpha(0.85)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
