"""The map viewer page: one HTML file using the vendored Leaflet (works offline).

The same page serves two cases: from the tile server (tile, legend and point-value URLs
on the server) and from disk next to a static pyramid (relative tile URLs; click values
come from a coarse value grid written beside the page).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from prospect.config.tiles import TileLayerConfig
from tiles.archive import listed_classes

__all__ = ["STATIC_DIR", "ViewerLayer", "copy_static", "viewer_html", "viewer_note"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""Leaflet (from npm, see ``tiles/viewer/package.json``) and the viewer's JS/CSS."""


_URL_BREAKING = frozenset("#%?")
"""Characters of a file path that a browser's address bar reads as URL syntax (a
fragment, an escape, a query) where the path is pasted as written."""


def viewer_note(index: Path) -> str:
    """The tiles stage's note on where the static viewer ``index`` (its ``index.html``)
    is opened: its path, and where the path holds a ``#``, ``%``, ``?``, white space or a
    letter outside ASCII, the ``file://`` URL that opens it (:meth:`pathlib.Path.as_uri`:
    each escaped).

    A path such as ``/data/Lot #3/out/viewer/index.html`` pasted into a browser opened
    ``/data/Lot `` (the rest a fragment: "file not found"), ``%20`` in a folder's name was
    read as a space, and a space or an accented letter broke it as a link in a terminal.
    """
    shown = f"viewer: {index} (open it in a browser)"
    text = str(index)
    if not any(c in _URL_BREAKING or c.isspace() or not c.isascii() for c in text):
        return shown
    return (f"viewer: {index} (open it in a browser as {index.absolute().as_uri()}: "
            "the path's '#', '%', '?', spaces or letters outside ASCII are escaped there, "
            "as an address bar reads them otherwise)")


@dataclass(frozen=True)
class ViewerLayer:
    """A layer as the viewer sees it: its config and its URLs (absolute or relative)."""

    config: TileLayerConfig
    tiles: str
    legend: str
    bounds: tuple[float, float, float, float]
    min_zoom: int
    max_zoom: int
    point: str | None = None
    title: str | None = None
    attribution: str = ""
    synthetic: bool = False
    units: str | None = None
    """Shown units (:attr:`tiles.metadata.LayerMeta.units`); ``None``: the config's."""
    classes: dict[int, str] | None = None
    """A class map's ``{code: name}`` (:func:`tiles.metadata.layer_classes`): a click
    reads the code and its name. The page's config lists at most
    :data:`tiles.archive.CLASS_TABLE_MAX` of them, every named one first
    (:func:`tiles.archive.listed_classes`, as the TileJSON's): an ID raster's every code,
    each of no name, made the page 193 kB for 15 625 codes (tens of MB for a million),
    loaded whole before the map, where a click names an unnamed code by its code alone."""
    legend_2x: str | None = None
    """The legend drawn at twice its pixels (``legend@2x.png``), the image a screen of
    two device pixels a CSS pixel shows (the ``<img>``'s ``srcset``); ``None``: none."""
    dates: tuple[str, ...] = ()
    """A layer of every date of a cube variable (the server's ``dates: all``): its dates
    (``YYYY-MM-DD``), picked in the page's date picker and asked as ``?time=`` of its
    tile, legend and point URLs; empty for a layer of one map (none in the page)."""
    date: str | None = None
    """The date a layer of :attr:`dates` is drawn at first (its default, the latest)."""

    def as_json(self) -> dict[str, Any]:
        """The entry in the page's embedded config."""
        c = self.config
        return {
            "name": c.layer_name, "title": self.title or c.label, "role": c.role,
            "units": c.units if self.units is None else self.units,
            "attribution": self.attribution, "synthetic": self.synthetic,
            "vmin": c.vmin, "vmax": c.vmax, "colormap": c.colormap, "tiles": self.tiles,
            "legend": self.legend, "legend2x": self.legend_2x, "point": self.point,
            "bounds": list(self.bounds),
            "minzoom": self.min_zoom, "maxzoom": self.max_zoom,
        } | ({"classes": {str(k): v for k, v in listed_classes(self.classes).items()}}
             if self.classes else {}) | (
            {"dates": list(self.dates), "date": self.date} if self.dates else {})


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="{static}/favicon.png">
<title>{title}</title>
<link rel="stylesheet" href="{static}/leaflet/leaflet.css">
<link rel="stylesheet" href="{static}/viewer.css">
</head>
<body>
<div id="map" role="application" aria-label="map"></div>
<aside id="panel">
  <h1>{title}</h1>
  <fieldset id="layer-switcher"><legend>Layer</legend></fieldset>
  <label id="uncertainty-row"><input type="checkbox" id="uncertainty"> compare with uncertainty
    (swipe: value left, uncertainty right)</label>
  <label id="swipe-row">Swipe <input type="range" id="swipe" min="0" max="1" step="0.01"
    value="0.5"></label>
  <label>Opacity <input type="range" id="opacity" min="0" max="1" step="0.05" value="0.85"></label>
  <div id="legend"></div>
  <div id="coords" aria-live="off">lat –, lon –</div>
  <div id="value" aria-live="polite">click the map for a value</div>
  <p id="note">{note}</p>
</aside>
<script type="application/json" id="prospect-config">{config}</script>
{extra}<script src="{static}/leaflet/leaflet.js"></script>
<script src="{static}/basemap.js"></script>
<script src="{static}/viewer.js"></script>
</body>
</html>
"""


def viewer_html(
    layers: list[ViewerLayer], *, title: str, static_url: str, values_script: str | None = None,
    synthetic: bool = False, outline: dict[str, Any] | None = None,
) -> str:
    """The viewer page for ``layers``.

    The page names its icon (``favicon.png`` among the static files): without one a
    browser asks ``/favicon.ico`` at the host's root, outside a proxy's sub-path (another
    site's icon, or a 404 in the console at every load); every URL of the page is the
    server's own, or beside the page on disk.

    Parameters
    ----------
    layers
        Value layers (radio switcher) and uncertainty layers (the toggle).
    title
        Page title.
    static_url
        Where ``leaflet/`` and ``viewer.js`` are (``/static`` on the server,
        ``static`` beside a page on disk).
    values_script
        Relative URL of a script defining ``window.PROSPECT_VALUES`` (static pages).
    synthetic
        Shows a "synthetic data" note.
    outline
        The region's land outline as lon/lat GeoJSON (see
        :func:`prospect.outlines.outline_geojson`), drawn as a line above the tiles.
    """
    config = {"title": title, "layers": [layer.as_json() for layer in layers],
              "synthetic": synthetic, "outline": outline}
    # every "<" as \u003c: "</script>" ended the block early, and "<!--" followed by
    # "<script" (in a title) made the browser read the page's scripts into the JSON
    text = json.dumps(config).replace("<", "\\u003c")
    extra = f'<script src="{escape(values_script)}"></script>\n' if values_script else ""
    note = "Synthetic data, for testing only." if synthetic else ""
    return _PAGE.format(
        title=escape(title), static=escape(static_url), config=text, extra=extra, note=note
    )


def copy_static(dest: str | Path) -> Path:
    """Copy the viewer's static files (Leaflet, JS, CSS) to ``dest`` for an offline page.

    Copied into a staging folder and swapped into place: removing the old copy first left
    a page without its scripts when the copy failed (a full disk), and that page still
    looked like the viewer of the last run.
    """
    from prospect.io.files import staged_dir

    dest = Path(dest)
    with staged_dir(dest) as staging:
        shutil.copytree(STATIC_DIR, staging, dirs_exist_ok=True)
    return dest
