"""Legend images: a colour bar with the layer's fixed value range, title and units, or a
class map's swatches, each class named."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from prospect.config.tiles import TileLayerConfig
from tiles.colormap import class_palette, colormap_lut, exact_dtype, render_rgba

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["LEGEND_SIZE", "MAX_LEGEND_SIZE", "class_colours", "class_legend_height",
           "layer_palette", "legend_png"]

LEGEND_SIZE = (320, 84)
"""Width and height (pixels) of a legend when no size is asked (each LegendURL says so)."""

MAX_LEGEND_SIZE = 2048
"""Largest WIDTH / HEIGHT of a GetLegendGraphic image."""


def legend_png(layer: TileLayerConfig, *, title: str | None = None,
               width: int = LEGEND_SIZE[0], height: int | None = None,
               units: str | None = None, clamped: tuple[bool, bool] = (False, False),
               classes: Mapping[int, str] | None = None) -> bytes:
    """A PNG legend: horizontal colour bar from ``vmin`` to ``vmax`` with ticks and title,
    or, for a class map, one swatch per class with its code and name.

    ``title`` (e.g. :attr:`tiles.metadata.LayerMeta.label`, which says "synthetic data"
    when it is) replaces the config's label; ``units`` (e.g.
    :attr:`tiles.metadata.LayerMeta.units`, the data's own when the config gives none)
    replace the config's. ``clamped`` (below, above: :func:`tiles.metadata.clamped_ends`)
    says the layer has values beyond ``vmin`` or ``vmax``, drawn in the end colours: that
    end's label reads "≤ vmin" or "≥ vmax" (a cell of 2 under a 0-1 ramp read as 1).
    ``classes`` (``{code: name}``: :func:`tiles.metadata.layer_classes`) draws a class
    map's legend (:func:`_class_legend`): a ramp over codes 0-2 named no class.
    ``height`` unset is :data:`LEGEND_SIZE`'s, or for a class map the height that names
    every class (:func:`class_legend_height`).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    if height is None:
        height = class_legend_height(len(classes), width) if classes else LEGEND_SIZE[1]
    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    units = layer.units if units is None else units
    text = _plain((title or layer.label) + (f" ({units})" if units else ""))
    if classes:
        return _class_legend(fig, layer, classes, text)
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
    ax.set_title(text, fontsize=9)
    return _png(fig)


def _plain(text: str) -> str:
    """``text`` drawn as written: every ``$`` escaped, which matplotlib otherwise reads as
    the bounds of mathtext. A title and units of "NSR ($/t) (US$/t)" were drawn as
    "NSR(/t)(US/t" in math italics, the dollars and spaces gone, and a class named
    "$\\frac ..." failed the legend (a ValueError: the tiles stage's traceback, the
    server's 500)."""
    return text.replace("$", r"\$")


def _png(fig: Figure) -> bytes:
    """``fig`` as PNG bytes, its background slightly transparent."""
    fig.patch.set_alpha(0.85)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def class_colours(layer: TileLayerConfig, codes: list[int]) -> np.ndarray:
    """The ``(n, 4)`` RGBA colours tiles draw ``codes`` in (:func:`tiles.colormap.
    render_rgba` at the layer's range, in the type they are read in:
    :func:`tiles.colormap.exact_dtype`), so a legend's swatch is its class's colour."""
    values = np.asarray([codes], dtype=exact_dtype(codes))
    return render_rgba(values, colormap=layer.colormap, vmin=layer.vmin, vmax=layer.vmax,
                       stops=layer.colour_stops, palette=layer_palette(layer))[0]


def layer_palette(layer: TileLayerConfig) -> np.ndarray | None:
    """The palette ``layer``'s tiles, maps and legend are drawn with where it is a class
    map in its own colours (:attr:`~prospect.config.tiles.TileLayerConfig.class_colours`:
    :func:`tiles.colormap.class_palette`), else ``None`` (its colormap's)."""
    return class_palette(layer.colormap, layer.class_colours, vmin=layer.vmin,
                         vmax=layer.vmax, stops=layer.colour_stops)


CLASS_ROW_PX, CLASS_COLUMN_PX, CLASS_TITLE_PX = 16, 140, 40
"""Height of a class legend's row, width of its column and room for its title (pixels)."""


def class_legend_height(count: int, width: int = LEGEND_SIZE[0]) -> int:
    """The height (pixels, at least :data:`LEGEND_SIZE`'s, at most :data:`MAX_LEGEND_SIZE`)
    a class legend ``width`` wide needs to name ``count`` classes: the stage's
    ``legend.png`` and the server's default legend are drawn this tall, so a geology map
    of 30 units names all 30 (12 fitted in 320 x 84, the rest cut off without a word).

    Past :data:`MAX_LEGEND_SIZE` (about 250 classes at the default width) it is that
    height, and the legend ends in a line saying how many are left out
    (:func:`_more_classes`): the LegendURL of a map of 3000 units named a legend 24 040
    pixels tall, which GetLegendGraphic refused at that HEIGHT, and drawing it took
    seconds of the server's start-up."""
    return min(MAX_LEGEND_SIZE, _full_height(count, width))


def _full_height(count: int, width: int) -> int:
    """The height a class legend ``width`` wide naming all ``count`` classes takes."""
    columns = max(1, width // CLASS_COLUMN_PX)
    return max(LEGEND_SIZE[1], CLASS_TITLE_PX + CLASS_ROW_PX * math.ceil(count / columns))


def _more_classes(left_out: int, count: int, width: int) -> str:
    """The last line of a class legend naming ``left_out`` of ``count`` classes fewer:
    the GetLegendGraphic size that names them all, where one within
    :data:`MAX_LEGEND_SIZE` does (taller, or wider with more columns), else where each
    cell's class is read."""
    if _full_height(count, width) <= MAX_LEGEND_SIZE:
        return f"+{left_out} more (HEIGHT={_full_height(count, width)})"
    if _full_height(count, MAX_LEGEND_SIZE) <= MAX_LEGEND_SIZE:
        return (f"+{left_out} more (WIDTH={MAX_LEGEND_SIZE}, "
                f"HEIGHT={_full_height(count, MAX_LEGEND_SIZE)})")
    return f"+{left_out} more (too many for one legend; click a cell for its class)"


def _class_legend(fig: Figure, layer: TileLayerConfig, classes: Mapping[int, str],
                  title: str) -> bytes:
    """A class map's legend on ``fig``: a swatch in each class's tile colour, named
    ``code name`` (e.g. ``2 above``), in columns under ``title``. Classes that do not fit
    the size asked (a GetLegendGraphic's WIDTH and HEIGHT) end in a line saying how many
    are left out and the height that holds them all (:func:`class_legend_height`)."""
    from matplotlib.patches import Patch

    width, height = (round(v) for v in fig.get_size_inches() * fig.dpi)
    codes = sorted(classes)
    columns = max(1, width // CLASS_COLUMN_PX)
    rows = max(1, (height - CLASS_TITLE_PX) // CLASS_ROW_PX)
    shown = codes if len(codes) <= rows * columns else codes[:max(rows * columns - 1, 0)]
    colours = class_colours(layer, shown) / 255.0 if shown else np.zeros((0, 4))
    handles = [Patch(facecolor=tuple(c), edgecolor="0.3",
                     label=_plain(f"{code} {classes[code]}".rstrip()))  # coded: unnamed
               for code, c in zip(shown, colours, strict=True)]
    if len(shown) < len(codes):
        handles.append(Patch(facecolor="none", edgecolor="none", label=_more_classes(
            len(codes) - len(shown), len(codes), width)))
    fig.legend(handles=handles, loc="center", ncol=min(columns, len(handles)),
               fontsize=8, title=title, title_fontsize=9, frameon=False)
    return _png(fig)
