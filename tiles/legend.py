"""Legend images: a colour bar with the layer's fixed value range, title and units, or a
class map's swatches, each class named."""

from __future__ import annotations

import io
import itertools
import math
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from prospect.config.tiles import TileLayerConfig
from tiles.colormap import class_palette, colormap_lut, exact_dtype, render_rgba

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["LEGEND_SIZE", "MAX_LEGEND_SIZE", "class_colours", "class_legend_height",
           "layer_palette", "legend_png", "tick_labels"]

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
    ax.tick_params(labelsize=8)
    _label_ticks(fig, ax, layer.vmin, layer.vmax, clamped)
    ax.set_title(text, fontsize=9)
    return _png(fig)


def _label_ticks(fig: Figure, ax: Any, vmin: float, vmax: float,
                 clamped: tuple[bool, bool]) -> None:
    """Label the colour bar ``ax`` at 5 ticks (3 where 5 labels would touch) with
    :func:`tick_labels`, its ends marked ``≤``/``≥`` where ``clamped``, and narrow the bar
    so that its end labels, centred on its ends, lie within the image: "−0.0010" and
    "12345678.9" were cut off at its edges."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    width = fig.bbox.width
    for count in (5, 3):
        ticks = np.linspace(vmin, vmax, count)
        labels = tick_labels(ticks.tolist())
        labels[0] = ("≤ " if clamped[0] else "") + labels[0]
        labels[-1] = ("≥ " if clamped[1] else "") + labels[-1]
        ax.set_xticks(ticks, labels)
        sizes = [t.get_window_extent(renderer).width for t in ax.get_xticklabels()]
        left = max(0.05 * width, sizes[0] / 2 + 3)
        right = max(0.05 * width, sizes[-1] / 2 + 3)
        span = width - left - right
        ax.set_position((left / width, 0.45, span / width, 0.25))
        gaps = [span / (count - 1) - (a + b) / 2 for a, b in itertools.pairwise(sizes)]
        if min(gaps) >= 6:
            return


def tick_labels(ticks: list[float]) -> list[str]:
    """A colour bar's tick labels: each tick's own value, never an offset from a value or a
    multiplier drawn apart. Written out with the decimals that give every tick to a
    millionth of the range (``0.00 0.25 ... 1.00``, as matplotlib writes them), or where
    that takes more than 6 decimals or the values reach 1e15, in significant digits with
    an exponent (``2.5e-07``).

    matplotlib's labels of a range far from zero are offsets from a value drawn apart in
    a corner: a legend of 1 000 000 to 1 000 400 ppm read "0 100 200 300 400" (its
    "+1e6" small at the right, easily missed, and lost where a page crops the legend),
    and 12 345 678.9 to 12 355 678.9 read "1.2345679 ... 1e7".

    Parameters
    ----------
    ticks
        The ticks' values, in order.

    Returns
    -------
    list of str
        One label per tick.
    """
    values = [0.0 + float(t) for t in ticks]  # -0.0 written 0
    largest = max((abs(v) for v in values), default=0.0)
    span = (max(values) - min(values)) if values else 0.0
    tol = 1e-6 * (span or largest or 1.0)
    if largest < 1e15:
        for decimals in range(7):
            if all(abs(round(v, decimals) - v) <= tol for v in values):
                return [_minus(f"{0.0 + round(v, decimals):.{decimals}f}") for v in values]
    for digits in range(1, 18):
        labels = [f"{v:.{digits}g}" for v in values]
        if all(abs(float(t) - v) <= tol for t, v in zip(labels, values, strict=True)):
            return [_minus(t) for t in labels]
    return [_minus(repr(v)) for v in values]


def _minus(text: str) -> str:
    """``text`` with its hyphens as minus signs, as matplotlib's own labels drew them."""
    return text.replace("-", "\u2212")


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


CLASS_ROW_PX, CLASS_COLUMN_PX, CLASS_TITLE_PX = 18, 140, 40
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


def _more_classes(left_out: int, count: int, width: int, columns: int | None = None) -> str:
    """The last line of a class legend naming ``left_out`` of ``count`` classes fewer:
    the GetLegendGraphic size that names them all, where one within
    :data:`MAX_LEGEND_SIZE` does (taller, or wider with more columns), else where each
    cell's class is read. ``columns``: those the legend is drawn in, where fewer than
    ``width`` holds (long names)."""
    taller = _full_height(count, width) if columns is None else max(
        LEGEND_SIZE[1], CLASS_TITLE_PX + CLASS_ROW_PX * math.ceil(count / columns))
    if taller <= MAX_LEGEND_SIZE:
        return f"+{left_out} more (HEIGHT={taller})"
    if _full_height(count, MAX_LEGEND_SIZE) <= MAX_LEGEND_SIZE:
        return (f"+{left_out} more (WIDTH={MAX_LEGEND_SIZE}, "
                f"HEIGHT={_full_height(count, MAX_LEGEND_SIZE)})")
    return f"+{left_out} more (too many for one legend; click a cell for its class)"


def _shortened(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters, ending in an ellipsis where it was cut: a
    class's name as long as a geology map's ("Granodiorite, foliated, with xenoliths
    ...") widened its column past the image, cut off at both sides."""
    return text if len(text) <= chars else text[:chars - 1].rstrip() + "…"


def _class_legend(fig: Figure, layer: TileLayerConfig, classes: Mapping[int, str],
                  title: str) -> bytes:
    """A class map's legend on ``fig``: a swatch in each class's tile colour, named
    ``code name`` (e.g. ``2 above``), in columns under ``title``. Classes that do not fit
    the size asked (a GetLegendGraphic's WIDTH and HEIGHT) end in a line saying how many
    are left out and the height that holds them all (:func:`class_legend_height`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import Patch

    width, height = (round(v) for v in fig.get_size_inches() * fig.dpi)
    codes = sorted(classes)
    columns = max(1, width // CLASS_COLUMN_PX)
    rows = max(1, (height - CLASS_TITLE_PX) // CLASS_ROW_PX)
    renderer = FigureCanvasAgg(fig).get_renderer()
    while True:
        shown = codes if len(codes) <= rows * columns else codes[:max(rows * columns - 1, 0)]
        colours = class_colours(layer, shown) / 255.0 if shown else np.zeros((0, 4))
        chars = max(12, (width // columns - 44) // 7)  # of 8 pt text in a column
        handles = [Patch(facecolor=tuple(c), edgecolor="0.3",  # coded: unnamed
                         label=_plain(_shortened(f"{code} {classes[code]}".rstrip(), chars)))
                   for code, c in zip(shown, colours, strict=True)]
        if len(shown) < len(codes):
            handles.append(Patch(facecolor="none", edgecolor="none", label=textwrap.fill(
                _more_classes(len(codes) - len(shown), len(codes), width, columns), chars)))
        drawn = fig.legend(handles=handles, loc="center", ncol=min(columns, len(handles)),
                           fontsize=8, title=title, title_fontsize=9, frameon=False)
        # matplotlib's rows and columns are not the nominal ones (long names widen a
        # column, a name of two lines is two rows tall): drawn centred, a legend that
        # overflowed lost its title, its first and last rows and the "+N more" line off
        # the image, without a word
        box = drawn.get_window_extent(renderer)
        if box.width > width and columns > 1:
            columns -= 1
        elif box.height > height and rows > 1:
            rows = max(1, min(rows - 1, math.floor(rows * (height - 2) / box.height)))
        else:
            return _png(fig)
        drawn.remove()
