"""Legend images: a colour bar with the layer's fixed value range, title and units, or a
class map's swatches, each class named."""

from __future__ import annotations

import functools
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
           "layer_palette", "legend_png", "legend_title", "states_units", "tick_labels",
           "wrapped_title"]

LEGEND_SIZE = (320, 84)
"""Width and height (pixels) of a legend when no size is asked (each LegendURL says so)."""

MAX_LEGEND_SIZE = 2048
"""Largest WIDTH / HEIGHT of a GetLegendGraphic image."""


def legend_png(layer: TileLayerConfig, *, title: str | None = None,
               width: int = LEGEND_SIZE[0], height: int | None = None,
               units: str | None = None, clamped: tuple[bool, bool] = (False, False),
               classes: Mapping[int, str] | None = None, scale: int = 1,
               resizable: bool = True) -> bytes:
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
    every class (:func:`class_legend_height`). ``scale`` (1 or 2) draws the same legend
    at that pixel density: ``width * scale`` by ``height * scale`` pixels, text, ticks and
    swatches as large on a high-density screen (``/legend/{layer}@2x.png``) as the 1x
    legend's on another. ``resizable`` says a client may ask the legend at another size
    (the server's GetLegendGraphic and ``/legend`` URLs): a class legend that leaves
    classes out then names the size that holds them; a file's (the tiles stage's
    ``legend.png``, ``resizable=False``) says where each cell's class is read instead.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    text = legend_title(layer, title, units)
    if height is None:
        height = (class_legend_height(len(classes), width, text) if classes
                  else LEGEND_SIZE[1])
    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    if classes:
        return _class_legend(fig, layer, classes, text, scale, resizable)
    ax = fig.add_axes((0.05, 0.45, 0.9, 0.25))
    lut = colormap_lut(layer.colormap) / 255.0
    gradient = np.linspace(0, 1, 256)[None, :]
    ax.imshow(
        gradient, aspect="auto", cmap=ListedColormap(lut),
        extent=(layer.vmin, layer.vmax, 0, 1),
    )
    ax.set_yticks([])
    _colour_bar_layout(fig, ax, text, layer.vmin, layer.vmax, clamped)
    return _png(fig, scale)


def legend_title(layer: TileLayerConfig, title: str | None = None,
                 units: str | None = None) -> str:
    """The title a legend of ``layer`` is drawn under, as written (not yet escaped for
    matplotlib): ``title`` (else the layer's label) and ``units`` (else the layer's) in
    brackets.

    Parameters
    ----------
    layer : TileLayerConfig
        The layer.
    title, units : str, optional
        What replaces the layer's label and units (:func:`legend_png`'s).

    Returns
    -------
    str
        E.g. ``"Lithium (synthetic data) (mg/L)"``; a title that states its units in
        brackets already (``"Surface heat flow (mW/m2), ordinary kriging"``,
        ``"Kriging variance (mW/m2)^2"`` of ``(mW/m2)2``) is drawn as written, not with
        them twice.
    """
    units = layer.units if units is None else units
    text = title or layer.label
    return text + (f" ({units})" if units and not states_units(text, units) else "")


_SQUASH = str.maketrans({"^": None, " ": None, "\t": None, "²": "2", "³": "3"})


def states_units(title: str, units: str) -> bool:
    """Whether ``title`` already names ``units`` in brackets, as ``(mW/m2)`` or, for
    units that open with a bracket, ``(mW/m2)^2`` of ``(mW/m2)2`` (spaces, ``^`` and
    superscript digits aside; case kept: mW is no MW).

    Parameters
    ----------
    title : str
        A legend's title as given.
    units : str
        The layer's units.

    Returns
    -------
    bool
        ``True`` where the legend would say the units twice ("Surface heat flow (mW/m2),
        ordinary kriging (mW/m2)", "Kriging variance (mW/m2)^2 ((mW/m2)2)").
    """
    t, u = title.translate(_SQUASH), units.translate(_SQUASH)
    return bool(u) and (f"({u})" in t or (u.startswith("(") and u in t))


_TITLE_PT, _TICK_PT, _MARGIN_PX = 9.0, 8.0, 2.0
"""A legend's title and tick label sizes (points) and the room kept at its edges."""


def _text_px(renderer: Any, text: str, points: float) -> tuple[float, float]:
    """Width and height (pixels, with the descent) of one line of ``text`` at ``points``."""
    from matplotlib.font_manager import FontProperties

    width, height, _ = renderer.get_text_width_height_descent(
        text, FontProperties(size=points), ismath=False)
    return float(width), float(height)


def wrapped_title(text: str, width: float, *, points: float = _TITLE_PT,
                  renderer: Any = None, max_lines: int = 3) -> list[str]:
    """``text`` in lines of at most ``width`` pixels at ``points`` (broken between words;
    a word wider than the line, or a line past ``max_lines``, ends in an ellipsis).

    A legend's title wider than its image was drawn centred and cut off at both sides: a
    title of "Lithium brine concentration, ordinary kriging of wells (synthetic data)"
    read "ine concentration, ... (synth" in the default 320-pixel legend, the word
    saying the data are synthetic lost.

    Parameters
    ----------
    text : str
        The title, as written.
    width : float
        The line's room, pixels.
    points : float
        The font size.
    renderer : optional
        A matplotlib renderer to measure with (one of a new Agg canvas when not given).
    max_lines : int
        Most lines.

    Returns
    -------
    list of str
        The lines (one, unchanged, where ``text`` fits).
    """
    if renderer is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        renderer = FigureCanvasAgg(Figure(figsize=(1, 1), dpi=100)).get_renderer()

    def fits(line: str) -> bool:
        return _text_px(renderer, line, points)[0] <= width

    def cut(line: str) -> str:  # the longest start of `line` that fits with an ellipsis
        while line and not fits(line + "…"):
            line = line[:-1].rstrip()
        return line + "…"

    if fits(text):
        return [text]
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and fits(joined):
            lines[-1] = joined
        else:
            lines.append(word if fits(word) else cut(word))
    if len(lines) > max_lines:
        lines = [*lines[:max_lines - 1], cut(" ".join(lines[max_lines - 1:]))]
    return lines or [text]


def _colour_bar_layout(fig: Figure, ax: Any, text: str, vmin: float, vmax: float,
                       clamped: tuple[bool, bool]) -> None:
    """Title the colour bar ``ax`` with ``text`` and label its ticks (:func:`_label_ticks`)
    so that the title, the bar and its labels all lie within the image.

    The bar was placed at fixed fractions of the image (45 % to 70 % of its height) with
    the title above it and the labels below: a GetLegendGraphic smaller than about
    320 x 84 (``WIDTH=100&HEIGHT=40``) lost the title's top and the labels' bottom off
    the image, and a title wider than the image lost both its ends. The title is now
    wrapped to the width (:func:`wrapped_title`), and where title, bar and labels do not
    fit the height they are laid out by their measured sizes, the text made smaller (to
    0.7 of its size) and the title shortened to one line, then left out, as the room
    asks. A legend whose one-line title fits is drawn as before."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    px = fig.dpi / 72.0  # pixels per point
    for scale, most_lines in ((1.0, 3), (0.85, 2), (0.7, 1), (0.7, 0)):
        title_pt, tick_pt = _TITLE_PT * scale, _TICK_PT * scale
        lines = wrapped_title(text, width - 2 * _MARGIN_PX, points=title_pt,
                              renderer=renderer, max_lines=max(most_lines, 1))
        lines = lines if most_lines else []
        line_px = _text_px(renderer, "Ag", title_pt)[1]
        title_px = (len(lines) * line_px * 1.2 + 6 * scale * px) if lines else 0.0
        ticks_px = _text_px(renderer, "0.5", tick_pt)[1] + 7 * scale * px
        room = height - 2 * _MARGIN_PX - title_px - ticks_px
        if scale == 1.0 and len(lines) == 1:
            # the legend as it was: bar at 45-70 % of the height, where that holds it all
            bottom, bar = 0.45 * height, 0.25 * height
            if bottom - ticks_px >= 0 and bottom + bar + title_px <= height:
                break
        if room >= 4 or not most_lines:
            bar = max(1.0, min(room, max(0.25 * height, 4.0)))
            spare = max(0.0, room - bar)
            bottom = _MARGIN_PX + ticks_px + spare / 2
            break
    ax.tick_params(labelsize=tick_pt, length=3.5 * scale, pad=3.5 * scale)
    _label_ticks(fig, ax, vmin, vmax, clamped, bottom=bottom / height, bar=bar / height)
    if lines:
        ax.set_title(_plain("\n".join(lines)), fontsize=title_pt, pad=6 * scale,
                     linespacing=1.2)


def _label_ticks(fig: Figure, ax: Any, vmin: float, vmax: float,
                 clamped: tuple[bool, bool], *, bottom: float = 0.45, bar: float = 0.25
                 ) -> None:
    """Label the colour bar ``ax`` at 5 ticks (3, then its ends alone, where 5 labels
    would touch) at ``bottom`` with a bar ``bar`` tall (fractions of the height) with
    :func:`tick_labels`, its ends marked ``≤``/``≥`` where ``clamped``, and narrow the bar
    so that its end labels, centred on its ends, lie within the image: "−0.0010" and
    "12345678.9" were cut off at its edges."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    width = fig.bbox.width
    for count in (5, 3, 2):  # 2: the ends alone, in a legend too narrow for 3
        ticks = np.linspace(vmin, vmax, count)
        labels = tick_labels(ticks.tolist())
        labels[0] = ("≤ " if clamped[0] else "") + labels[0]
        labels[-1] = ("≥ " if clamped[1] else "") + labels[-1]
        ax.set_xticks(ticks, labels)
        sizes = [t.get_window_extent(renderer).width for t in ax.get_xticklabels()]
        left = max(0.05 * width, sizes[0] / 2 + 3)
        right = max(0.05 * width, sizes[-1] / 2 + 3)
        span = max(width - left - right, 1.0)
        ax.set_position((left / width, bottom, span / width, bar))
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


def _png(fig: Figure, scale: int = 1) -> bytes:
    """``fig`` as PNG bytes at ``scale`` times its pixels (its layout is made at 1x), its
    background slightly transparent."""
    fig.patch.set_alpha(0.85)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi * scale)
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

CLASS_TITLE_LINE_PX = 16
"""Height of each further line of a class legend's wrapped title (9 pt, pixels)."""


@functools.lru_cache(maxsize=512)
def _title_extra(title: str, width: int) -> int:
    """The room (pixels) a class legend ``width`` wide needs beyond
    :data:`CLASS_TITLE_PX` for ``title`` wrapped to its width (:func:`wrapped_title`);
    kept, as every GetCapabilities names each class map's legend size."""
    if not title:
        return 0
    return CLASS_TITLE_LINE_PX * (len(wrapped_title(title, width - 2 * _MARGIN_PX)) - 1)


def class_legend_height(count: int, width: int = LEGEND_SIZE[0], title: str = "") -> int:
    """The height (pixels, at least :data:`LEGEND_SIZE`'s, at most :data:`MAX_LEGEND_SIZE`)
    a class legend ``width`` wide needs to name ``count`` classes: the stage's
    ``legend.png`` and the server's default legend are drawn this tall, so a geology map
    of 30 units names all 30 (12 fitted in 320 x 84, the rest cut off without a word).

    Past :data:`MAX_LEGEND_SIZE` (about 250 classes at the default width) it is that
    height, and the legend ends in a line saying how many are left out
    (:func:`_more_classes`): the LegendURL of a map of 3000 units named a legend 24 040
    pixels tall, which GetLegendGraphic refused at that HEIGHT, and drawing it took
    seconds of the server's start-up. A ``title`` (:func:`legend_title`) wider than
    ``width`` is wrapped, and the legend is taller by its further lines."""
    return min(MAX_LEGEND_SIZE, _full_height(count, width, _title_extra(title, width)))


def _full_height(count: int, width: int, extra: int = 0) -> int:
    """The height a class legend ``width`` wide naming all ``count`` classes takes, its
    title ``extra`` pixels taller than one line."""
    columns = max(1, width // CLASS_COLUMN_PX)
    return max(LEGEND_SIZE[1],
               CLASS_TITLE_PX + extra + CLASS_ROW_PX * math.ceil(count / columns))


def _more_classes(left_out: int, count: int, width: int, columns: int | None = None,
                  extra: int = 0, *, resizable: bool = True) -> str:
    """The last line of a class legend naming ``left_out`` of ``count`` classes fewer:
    the GetLegendGraphic size that names them all, where one within
    :data:`MAX_LEGEND_SIZE` does (taller, or wider with more columns), else where each
    cell's class is read. ``columns``: those the legend is drawn in, where fewer than
    ``width`` holds (long names). Not ``resizable`` (a legend file, which no size asked
    of makes whole: the tiles stage's ``legend.png`` said ``(WIDTH=2048, HEIGHT=436)``,
    a request's parameters, to a partner holding the file), where each cell's class is
    read."""
    if not resizable:
        return f"+{left_out} more (click a cell in the viewer for its class)"
    taller = _full_height(count, width, extra) if columns is None else max(
        LEGEND_SIZE[1], CLASS_TITLE_PX + extra + CLASS_ROW_PX * math.ceil(count / columns))
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
                  title: str, scale: int = 1, resizable: bool = True) -> bytes:
    """A class map's legend on ``fig``: a swatch in each class's tile colour, named
    ``code name`` (e.g. ``2 above``), in columns under ``title``. Classes that do not fit
    the size asked (a GetLegendGraphic's WIDTH and HEIGHT) end in a line saying how many
    are left out and the height that holds them all (:func:`class_legend_height`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import Patch

    width, height = (round(v) for v in fig.get_size_inches() * fig.dpi)
    codes = sorted(classes)
    columns = max(1, width // CLASS_COLUMN_PX)
    renderer = FigureCanvasAgg(fig).get_renderer()
    # a title wider than the image was cut off at both sides (and, drawn one column
    # wide, left most classes out): it is wrapped to the width, the rows below it fewer
    lines = wrapped_title(title, width - 2 * _MARGIN_PX, renderer=renderer)
    extra = CLASS_TITLE_LINE_PX * (len(lines) - 1)
    rows = max(1, (height - CLASS_TITLE_PX - extra) // CLASS_ROW_PX)
    narrower = 0  # characters taken off each name where one column is still too wide
    while True:
        shown = codes if len(codes) <= rows * columns else codes[:max(rows * columns - 1, 0)]
        colours = class_colours(layer, shown) / 255.0 if shown else np.zeros((0, 4))
        # of 8 pt text in a column
        chars = max(12 - narrower, (width // columns - 44) // 7 - narrower, 4)
        handles = [Patch(facecolor=tuple(c), edgecolor="0.3",  # coded: unnamed
                         label=_plain(_shortened(f"{code} {classes[code]}".rstrip(), chars)))
                   for code, c in zip(shown, colours, strict=True)]
        if len(shown) < len(codes):
            handles.append(Patch(facecolor="none", edgecolor="none", label=textwrap.fill(
                _more_classes(len(codes) - len(shown), len(codes), width, columns, extra,
                              resizable=resizable),
                chars)))
        drawn = fig.legend(handles=handles, loc="center", ncol=min(columns, len(handles)),
                           fontsize=8, title=_plain("\n".join(lines)) or None, title_fontsize=9,
                           frameon=False)
        # matplotlib's rows and columns are not the nominal ones (long names widen a
        # column, a name of two lines is two rows tall): drawn centred, a legend that
        # overflowed lost its title, its first and last rows and the "+N more" line off
        # the image, without a word
        box = drawn.get_window_extent(renderer)
        if box.width > width and columns > 1:
            columns -= 1
        elif box.width > width and chars > 4:  # one column of a small legend: names cut
            narrower += max(1, math.ceil((box.width - width) / 6))
        elif box.height > height and rows > 1:
            rows = max(1, min(rows - 1, math.floor(rows * (height - 2) / box.height)))
        elif box.height > height and lines:  # one row does not fit below the title
            lines = []
        else:
            return _png(fig, scale)
        drawn.remove()
