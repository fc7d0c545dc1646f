"""What every delivery says about a layer: title, description, attribution, licence,
synthetic flag, zoom range and centre, taken from the config and the data.

One :class:`LayerMeta` feeds TileJSON, WMTS, WMS, the legend, the viewer and the PMTiles
metadata, so they cannot disagree. A title or synthetic flag set in the config wins;
unset, they come from the data (the ``long_name`` and ``synthetic`` tags the score stage
writes), so a renamed output reaches every label.

Zooms and centre follow one rule (:func:`zoom_range`, :func:`center_zoom`): the range
comes from the data's resolution and extent (:func:`tiles.grids.data_zooms`), never a
fixed 0-18; a configured range may narrow it but never widen it, and a static pyramid's
range is further narrowed to the zooms it holds (:meth:`LayerMeta.narrowed`). Served
TileJSON, WMTS ``TileMatrixSetLimits``, the static TileJSON, the PMTiles header and
metadata and both viewers read the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

import morecantile

from prospect.config.tiles import TileLayerConfig
from tiles.colormap import N_COLOURS, ClassColours, css_rgba, ramp_stops
from tiles.grids import (
    DEFAULT_TMS,
    short_bounds,
    tile_matrix_set,
    unwrapped_lon,
    wrapped_lon,
)
from tiles.source import LayerSource

LayerT = TypeVar("LayerT", bound=TileLayerConfig)
T = TypeVar("T")

__all__ = ["VALUE_SAMPLE_MAX", "LayerMeta", "ValueSample", "blended_overview_warning",
           "center_zoom", "clamped_ends",
           "class_layer", "colour_layer", "layer_classes", "layer_colours",
           "layer_meta", "many_classes_warning", "middle_lat", "middle_lon", "no_data_warning",
           "one_value_range", "range_origin", "spread_over", "units_warning",
           "unstated_fill_warning",
           "value_sample", "zoom_range"]

VALUE_SAMPLE_MAX = 1024
"""Most cells along a side of a layer's value sample (:func:`value_sample`)."""


def zoom_range(
    native: tuple[int, int], tms: morecantile.TileMatrixSet, limits: tuple[int, int] = (0, 24),
) -> tuple[int, int]:
    """The zooms a layer is offered at: its data's ``native`` range (see
    :func:`tiles.grids.data_zooms`) narrowed by the configured ``limits`` and ``tms``.

    The limits only narrow: a configured 0-18 for a 6 km island at 10 m stays 12-14.
    Limits wholly outside the data's range give the data's zoom nearest to them.
    """
    lo = max(native[0], limits[0], tms.minzoom)
    hi = min(native[1], limits[1], tms.maxzoom)
    return min(lo, hi), hi


def middle_lon(bounds: tuple[float, float, float, float]) -> float:
    """The longitude halfway between the west and east of lon/lat ``bounds``; across the
    antimeridian (west > east) the middle of the data, not of the rest of the world (a
    centre at 0 put a Fiji layer's TileJSON, archives and viewer in the Gulf of Guinea).
    Written to the decimals the bounds carry (:func:`_halfway`)."""
    west, east = unwrapped_lon(bounds)
    return _halfway(wrapped_lon((west + east) / 2), bounds[0], bounds[2])


def middle_lat(bounds: tuple[float, float, float, float]) -> float:
    """The latitude halfway between the south and north of lon/lat ``bounds``, written to
    the decimals they carry (:func:`_halfway`)."""
    return _halfway((bounds[1] + bounds[3]) / 2, bounds[1], bounds[3])


def _halfway(middle: float, *ends: float) -> float:
    """``middle``, the point halfway between ``ends``, rounded to one decimal more than
    the ends write (the most any halfway point of them has): the sum's binary error was
    kept, ``-68.30000000000001`` between -68.4 and -68.2 in the MBTiles ``center`` row
    and the TileJSON's. Ends written in full (a reprojected extent) keep it in full."""
    places = 0
    for end in ends:
        exponent = Decimal(repr(float(end))).as_tuple().exponent
        places = max(places, -exponent if isinstance(exponent, int) else 0)
    return round(middle, places + 1)


def center_zoom(lo: int, hi: int) -> int:
    """The zoom of a layer's centre: one in from its minimum (where it fills the view)."""
    return min(hi, lo + 1)


@dataclass(frozen=True)
class LayerMeta:
    """Resolved metadata of one layer."""

    name: str
    title: str
    description: str
    attribution: str
    licence: str | None
    synthetic: bool
    crs: str
    bounds: tuple[float, float, float, float]
    min_zoom: int
    max_zoom: int
    matrix_sets: dict[str, tuple[int, int, tuple[float, float, float, float]]] = field(
        default_factory=dict)
    units: str = ""
    """The layer's units: the config's, else the data's own ``units`` tag or attribute
    (``1``, dimensionless, is shown as none)."""

    @property
    def label(self) -> str:
        """Title with "(synthetic data)" when synthetic."""
        return self.title + (" (synthetic data)" if self.synthetic else "")

    @property
    def center(self) -> list[float]:
        """TileJSON centre (Web Mercator zooms): see :meth:`center_in`."""
        return self.center_in(DEFAULT_TMS)

    def zooms(self, tile_matrix_set: str = DEFAULT_TMS) -> tuple[int, int]:
        """``(min, max)`` zoom in ``tile_matrix_set`` (the XYZ range when not offered in it)."""
        found = self.matrix_sets.get(tile_matrix_set)
        return (found[0], found[1]) if found else (self.min_zoom, self.max_zoom)

    def center_in(self, tile_matrix_set: str = DEFAULT_TMS) -> list[float]:
        """``[lon, lat, zoom]``: middle of the bounds at :func:`center_zoom`."""
        return [middle_lon(self.bounds), middle_lat(self.bounds),
                center_zoom(*self.zooms(tile_matrix_set))]

    def narrowed(self, present: Iterable[int],
                 tile_matrix_set: str = DEFAULT_TMS) -> LayerMeta:
        """This metadata with ``tile_matrix_set``'s range narrowed to the zooms ``present``
        (those a written pyramid holds tiles at), so it never claims a zoom it lacks."""
        lo, hi = self.zooms(tile_matrix_set)
        held = [z for z in present if lo <= z <= hi]
        if not held:
            raise ValueError(f"layer {self.name!r}: no tiles within zooms {lo}..{hi}")
        lo, hi = min(held), max(held)
        native = self.matrix_sets.get(tile_matrix_set, (0, 0, self.bounds))[2]
        sets = {**self.matrix_sets, tile_matrix_set: (lo, hi, native)}
        if tile_matrix_set == DEFAULT_TMS:
            return replace(self, min_zoom=lo, max_zoom=hi, matrix_sets=sets)
        return replace(self, matrix_sets=sets)

    def as_json(self) -> dict[str, Any]:
        """The fields as JSON (for TileJSON's ``prospect`` block and PMTiles metadata)."""
        return {"title": self.title, "description": self.description,
                "attribution": self.attribution, "licence": self.licence,
                "synthetic": self.synthetic, "crs": self.crs}


def layer_meta(
    cfg: TileLayerConfig, source: LayerSource, *, attribution: str = "Prospect",
    licence: str | None = None, synthetic: bool = False, zoom_limits: tuple[int, int] = (0, 24),
    matrix_sets: list[str] = ("WebMercatorQuad",),  # type: ignore[assignment]
) -> LayerMeta:
    """The metadata of layer ``cfg`` read from ``source``.

    Parameters
    ----------
    attribution, licence
        Server or job defaults, used where the layer's config sets none.
    synthetic
        The job or server says the data are synthetic (or-ed with the config and the data).
    zoom_limits
        ``(min, max)`` zoom the server or job allows; the layer's range is narrowed to it
        (:func:`zoom_range`).
    matrix_sets
        Tile matrix sets the layer is offered in (the first is the XYZ one).
    """
    tags = source.tags
    title = (cfg.title or tags.get("long_name") or tags.get("title")
             or cfg.layer_name.replace("_", " ").capitalize())
    if source.date is not None and not cfg.title and source.date not in title:
        # one date of a variable stacked over dates: each date's layer titled alike (the
        # variable's long_name) could not be told apart in a client's layer list; the
        # long_name the time series gives its stack ("N on 2 dates") said a map of one
        # date held them all: "N on 2 dates (2020-01-01)"
        stacked = re.fullmatch(r"(.+) on \d+ dates", title)
        title = (f"{stacked.group(1)} on {source.date}" if stacked
                 else f"{title} ({source.date})")
    across = _across_sensors(tags.get("long_name", ""))
    if cfg.title and across is not None and not _names_sensors(title, across):
        # a change across sensors: the long_name's caveat kept where a title replaces it
        title = f"{title} (across sensors: {across[0]} to {across[1]})"
    is_synthetic = cfg.synthetic if cfg.synthetic is not None else (synthetic or source.synthetic)
    ranges = {}
    for name in matrix_sets:
        tms = tile_matrix_set(name)
        lo, hi = zoom_range(source.zoom_range(tms), tms, zoom_limits)
        ranges[name] = (lo, hi, source.native_footprint(tms.rasterio_crs)[0])
    first = ranges[matrix_sets[0]]
    data_units = tags.get("units", "")
    description = (cfg.description or tags.get("description", "")
                   or (tags["long_name"] if across is not None and cfg.title else title))
    if across is not None and not (_names_sensors(description, across)
                                   and "cross-calibrated" in description):
        description += (f"; across sensors ({across[0]} to {across[1]}, not "
                        "cross-calibrated): part of the change is the sensors'")
    if is_synthetic and "synthetic" not in description.lower():
        description += " (synthetic data, for testing only)"
    return LayerMeta(
        name=cfg.layer_name, title=title, description=description,
        attribution=cfg.attribution or attribution, licence=cfg.licence or licence,
        synthetic=is_synthetic, crs=source.crs,
        bounds=short_bounds(source.lonlat_bounds),  # 52.0, not 51.99999999999999
        min_zoom=first[0], max_zoom=first[1], matrix_sets=ranges,
        units=cfg.units or ("" if data_units == "1" else data_units),
    )


_ACROSS = re.compile(r"across sensors \((.+?) to (.+?), not cross-calibrated\)")
"""The clause a change variable's ``long_name`` ends with where its first and last dates
are of two sensors (:func:`prospect.timeseries.change`)."""


def _across_sensors(long_name: str) -> tuple[str, str] | None:
    """The two sensors (``Landsat 4-5 TM``, ``Landsat 8-9 OLI``) a change variable's
    ``long_name`` says it spans (:data:`_ACROSS`), else ``None``."""
    found = _ACROSS.search(long_name)
    return (found.group(1), found.group(2)) if found else None


def _names_sensors(text: str, sensors: tuple[str, str]) -> bool:
    """Whether ``text`` (a title, a description) names both ``sensors``, each by its
    instrument (the name's last word: ``TM``, ``ETM+``, ``OLI``, ``MSI``) as a word.

    A layer config's ``title`` (and ``description``) replaced a change variable's
    ``long_name`` everywhere it is published (TileJSON, WMTS and WMS, the legend, the
    viewer, the archives' metadata), so a change across sensors titled by hand ("NDVI
    change") said nothing of its two sensors, which the cube's ``long_name`` and the
    console said; :func:`layer_meta` adds them where the text does not name them."""
    return all(re.search(rf"(?<![\w+]){re.escape(name.split()[-1])}(?![\w+])", text)
               for side in sensors for name in side.split(" and "))


RANGE_WARN_SHARE = 0.5
"""Share of a layer's values outside its colour range above which the map is called
mostly one colour (values outside ``vmin``-``vmax`` are clamped to the end colours)."""


def _mostly_outside(values: Any, vmin: float, vmax: float
                    ) -> tuple[Any, float, float, float] | None:
    """``(finite values, share outside vmin-vmax, 2 %, 98 %)`` when at least
    :data:`RANGE_WARN_SHARE` of the finite values lie outside the range, else ``None``."""
    import numpy as np

    v = np.asarray(values, dtype="f8").ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    outside = float(np.mean((v < vmin) | (v > vmax)))
    if outside < RANGE_WARN_SHARE:
        return None
    lo, hi = (float(x) for x in np.percentile(v, [2, 98]))
    return v, outside, lo, hi


def data_range(values: Any, vmin: float, vmax: float) -> tuple[float, float] | None:
    """The colour range a layer left at ``vmin``-``vmax`` by default should take instead: the
    2-98 % range of its data (three significant digits, as a legend shows them) when the
    default would leave at least :data:`RANGE_WARN_SHARE` of the data outside (its map
    mostly one colour); ``None`` when the default shows the data, or the data vary too
    little for a range of their own."""
    found = _mostly_outside(values, vmin, vmax)
    if found is None:
        return None
    _, _, lo, hi = found
    rounded = float(f"{lo:.3g}"), float(f"{hi:.3g}")
    if rounded[1] > rounded[0]:
        return rounded
    return (lo, hi) if hi > lo else one_value_range(lo)


ONE_VALUE_SPREAD = 0.1
"""Half the colour range of a layer of one value outside 0-1, as a share of that value."""


def one_value_range(value: float) -> tuple[float, float] | None:
    """The colour range of a layer whose data (their 2-98 %) are all ``value``, outside the
    default 0-1: ``value`` +- :data:`ONE_VALUE_SPREAD` of it (three significant digits), so
    the map is the ramp's middle colour and the legend reads the value there. It was left
    at 0-1: every tile the end colour and the legend saying 1 for a map of 5 (with advice
    to set the range "5 to 5", which the config refuses). ``None`` when no range holds it."""
    import math

    half = abs(value) * ONE_VALUE_SPREAD
    lo, hi = float(f"{value - half:.3g}"), float(f"{value + half:.3g}")
    if hi > lo and lo <= value <= hi:
        return lo, hi
    lo, hi = value - half, value + half
    return (lo, hi) if math.isfinite(hi - lo) and hi > lo else None


def range_origin(values: Any, vmin: float, vmax: float) -> str:
    """Where a stretched colour range ``vmin``-``vmax`` (:func:`data_range`) comes from, in
    words: the 2-98 % of the data, or the one value they all have."""
    import numpy as np

    v = np.asarray(values, dtype="f8").ravel()
    v = v[np.isfinite(v)]
    lo, hi = (float(x) for x in np.percentile(v, [2, 98])) if v.size else (vmin, vmax)
    if hi > lo:
        return "the 2-98 % of its data"
    return f"around the one value its data have ({lo:.6g})"


@dataclass(frozen=True)
class ValueSample:
    """A lon/lat grid of a layer's values (:func:`value_sample`): ``values`` is float32
    (float64 for a class map of codes past 2^24: :attr:`tiles.source.LayerSource.
    value_dtype`), north up, NaN where there are no data; ``bounds`` is ``(west, south,
    east, north)``."""

    bounds: tuple[float, float, float, float]
    values: Any


def value_sample(source: LayerSource, *, max_cells: int = VALUE_SAMPLE_MAX) -> ValueSample:
    """The one sample of a layer's values that its colour range is taken from, by the
    tiles stage (which also writes it as the static viewer's click values) and by
    ``prospect serve`` alike, so the archive's tiles and the server's are drawn with the
    same colours (they differed when each took its own sample).

    A lon/lat grid over the data's bounds whose cells are no larger than the data's own
    (up to ``max_cells`` along a side), read with nearest resampling, so each value is a
    data cell's own.

    Parameters
    ----------
    source
        The layer's data.
    max_cells
        Most cells along a side.

    Returns
    -------
    ValueSample
        The grid and its bounds.
    """
    import math

    import numpy as np

    west, south, east, north = source.lonlat_bounds
    _, cell_deg = source.native_footprint("EPSG:4326")
    # across the antimeridian the grid runs on past 180 (read there as the world's copy)
    left, right = unwrapped_lon(source.lonlat_bounds)
    width = max(1, min(max_cells, math.ceil((right - left) / cell_deg)))
    height = max(1, min(max_cells, math.ceil((north - south) / cell_deg)))
    data = source.read_mercator(
        (left, south, right, north), width=width, height=height, resampling="nearest",
        crs="EPSG:4326",
    )
    # float32, or a class map's codes past 2^24 in float64 (LayerSource.value_dtype): the
    # static viewer's click read 100000001 as 100000000, a unit of another name
    return ValueSample((west, south, east, north),
                       data.filled(np.nan).astype(source.value_dtype, copy=False))


_CDL_SUFFIX = re.compile(r"(?<=\d)(?:u?[bs]|u?l{1,2}|u)$", re.IGNORECASE)
"""The type suffix of an integer in CDL (``ncdump``'s notation: ``0b``, ``2s``, ``7UB``)."""


def layer_classes(tags: Mapping[str, str]) -> dict[int, str] | None:
    """The classes a categorical layer declares in its CF ``flag_values`` and
    ``flag_meanings`` tags (the screening's ``lce_screening_class``: 0 too low, 1
    uncertain, 2 above; a geology unit map), as ``{code: name}`` with the name's
    underscores read as spaces; ``None`` for a layer of values (no such tags, or tags whose
    codes are not whole numbers or do not pair one to one with their meanings).

    Without those tags, the classes of a ``categories`` tag (JSON, code to name): the code
    table of a categorical raster in the cube (it was served and tiled as values) and of
    a COG's raster attribute table or category names (:attr:`tiles.source.LayerSource.
    tags`).

    The codes are read as GDAL writes a NetCDF variable's array attribute (``{0,1,2}``:
    a class map converted with ``gdal_translate NETCDF:...`` was taken for a layer of
    values, its classes averaged into codes of no class and coloured 0 to 1), as lists
    (``[0, 1, 2]``, ``0 1 2``, ``0,1,2``) and in CDL (``0b, 1b, 2b``).

    Parameters
    ----------
    tags
        The layer's tags (:attr:`tiles.source.LayerSource.tags`).

    Returns
    -------
    dict or None
        Each class code and its name, in code order.
    """
    values = tags.get("flag_values", "").strip()
    meanings = tags.get("flag_meanings", "").split()
    if not values or not meanings:
        return _categories(tags.get("categories", ""))
    codes: list[int] = []
    for text in (t for t in re.split(r"[\s,;\[\]{}()]+", values) if t):
        code = _whole_number(_CDL_SUFFIX.sub("", text))
        if code is None:
            return None
        codes.append(code)
    if len(codes) != len(meanings) or len(set(codes)) != len(codes):
        return None
    return {code: name.replace("_", " ") for code, name in sorted(zip(codes, meanings,
                                                                      strict=True))}


def _categories(text: str) -> dict[int, str] | None:
    """The classes of a ``categories`` tag (JSON, code to name: the code table a categorical
    layer keeps in the cube, :attr:`prospect.io.raster.RasterInfo.classes` of a COG's
    raster attribute table or category names), ``None`` where it holds none."""
    import json

    try:
        table = json.loads(text) if text.strip() else None
    except ValueError:
        return None
    if not isinstance(table, dict) or not table:
        return None
    classes: dict[int, str] = {}
    for code, name in table.items():
        number = _whole_number(str(code))
        if number is None or not isinstance(name, str):
            return None
        classes[number] = name
    return dict(sorted(classes.items()))


def _whole_number(text: str) -> int | None:
    """The whole number ``text`` writes (``7``, ``-3``, ``3.0``, ``1e3``), exactly, or
    ``None`` where it writes none.

    Digits are read as the integer they are: an Int64 unit map's codes
    9007199254740993 and 9007199254740995 (past 2^53) were read through a float, one
    number, so its classes were taken for one given twice and the map was served as a
    layer of values, its units drawn as one colour, without a word."""
    text = text.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def layer_colours(tags: Mapping[str, str]) -> ClassColours | None:
    """A class map's own colours from its ``class_colours`` tag (JSON, code to
    ``"#rrggbb"`` or ``"#rrggbbaa"``: :attr:`tiles.source.LayerSource.tags` of a COG's
    colour table), in code order; ``None`` where it states none (or not in that form)."""
    import json

    try:
        table = json.loads(tags.get("class_colours", "") or "null")
    except ValueError:
        return None
    if not isinstance(table, dict) or not table:
        return None
    colours: list[tuple[int, tuple[int, int, int, int]]] = []
    for code, text in table.items():
        rgba = css_rgba(text) if isinstance(text, str) else None
        if rgba is None or not re.fullmatch(r"-?\d+", str(code)):
            return None
        colours.append((int(code), rgba))
    return tuple(sorted(colours))


def class_layer(layer: LayerT, classes: Mapping[int, str] | None,
                colours: ClassColours | None = None) -> LayerT:
    """``layer`` drawn as the class map it is: read with nearest resampling at every zoom
    (bilinear drew a cell between "too low" (0) and "above" (2) as "uncertain" (1)) and,
    where its config sets neither ``vmin`` nor ``vmax``, coloured over its codes (from the
    lowest code to the highest, each code its own colour: at the default 0 to 1, codes 1
    and 2 were one colour), by their rank where they are not evenly spaced
    (:func:`tiles.colormap.ramp_stops`: units 1..30 and 9999 were drawn linearly from 1 to
    9999, the 30 units in one or two colours). A layer without ``classes`` is returned as
    it is.

    Its codes are drawn in ``colours`` (:func:`layer_colours`: its colour table, as QGIS
    and the survey draw it) where it has them and its config sets no ``colormap``,
    ``vmin`` or ``vmax`` (:func:`tiles.legend.layer_palette`)."""
    if not classes:
        return layer
    update: dict[str, Any] = {"resampling": "nearest"}
    stops = None
    if not {"vmin", "vmax"} & layer.model_fields_set:
        lo, hi = float(min(classes)), float(max(classes))
        if hi <= lo:  # one class: its code in the ramp's middle
            lo, hi = lo - 0.5, hi + 0.5
        update.update(vmin=lo, vmax=hi)
        stops = ramp_stops(sorted({float(code) for code in classes}))  # past 2^53: one
    own = colours and not {"vmin", "vmax", "colormap"} & layer.model_fields_set
    return layer.model_copy(update=update).with_colour_stops(stops).with_class_colours(
        colours if own else None)



def blended_overview_warning(name: str, source: LayerSource,
                             classes: Mapping[int, str] | None) -> str | None:
    """Why class map ``name``'s tiles at low zooms are slow and its COG's own overviews
    wrong, or ``None``: its overviews average its class codes
    (:meth:`tiles.source.LayerSource.blended_overview`), so its tiles are read from full
    resolution, and a desktop GIS reading the COG's overviews draws codes between
    classes. The tiles stage and ``prospect serve`` both say it."""
    if not classes:
        return None
    factor = source.blended_overview()
    if factor is None:
        return None
    return (f"layer {name!r}: the overviews of {source.path} average its class codes (its "
            f"{factor}x overview holds values between its classes, as 'gdaladdo -r average' "
            "builds them), so its tiles at low zooms are read from full resolution, more "
            "slowly, and a GIS that reads those overviews draws classes that are not there; "
            "write it again with overviews by mode: gdal_translate -of COG -co "
            f"OVERVIEWS=IGNORE_EXISTING -co OVERVIEW_RESAMPLING=MODE {source.path} new.tif")


RANGE_DATES_SAMPLED = 12
"""Most dates of a cube variable over dates whose maps the colour range of its layers of
one date is taken from (:func:`sample_over_dates`), besides the dates shown as layers."""


def spread_over(items: Sequence[T], count: int = RANGE_DATES_SAMPLED) -> list[T]:
    """``count`` of ``items`` spread evenly over them, the first and the last among them
    (``items`` itself where it holds no more): the dates a colour range is sampled on."""
    if len(items) <= count:
        return list(items)
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def sample_over_dates(source: LayerSource, sample: ValueSample,
                      cache: dict[tuple[Any, str, str], ValueSample],
                      shown: Iterable[str] = ()) -> tuple[ValueSample, str]:
    """The sample a layer of one date (a serve or tile layer's ``date:``) takes its colour
    range from, and the words a note adds (`` over its 3 dates, 2019-06-01 to ...``).

    Its variable's values on the cube's dates (each date's :func:`value_sample`, read once
    for all the layers of that variable in ``cache``): each date's layer was stretched to
    its own date's values, so one colour read 9 on one date and 17 on the next, and a
    change over the dates could not be seen by comparing them. Of a variable of more than
    :data:`RANGE_DATES_SAMPLED` dates, that many spread over them and every date in
    ``shown`` (the dates of that variable shown as layers): the same dates, so the same
    range, for each of its layers. Any other layer: ``sample`` itself and ``""``. The
    tiles stage and ``prospect serve`` both call it, so their colours agree.

    Parameters
    ----------
    source : LayerSource
        The layer's data: one date of a cube variable (``source.date``), or any other.
    sample : ValueSample
        ``source``'s own :func:`value_sample`.
    cache : dict
        Samples already read, by ``(cube path, variable, date)``; filled in.
    shown : iterable of str
        Dates of the variable shown as layers beside ``source``'s.

    Returns
    -------
    tuple of (ValueSample, str)
        The sample over the dates, and the note's words (``""`` for a layer of one map).
    """
    import warnings

    import numpy as np

    from tiles.source import cube_source

    dates = source.dates
    if len(dates) < 2 or source.variable is None:
        return sample, ""
    picked = dates
    if len(dates) > RANGE_DATES_SAMPLED:
        spread = set(spread_over(dates))
        served = set(shown) | {source.date}
        picked = [d for d in dates if d in spread or d in served]
    from tiles.source import LayerVariableError

    parts, several = [], []
    for day in picked:
        key = (source.path, source.variable, day)
        if day == source.date:
            cache.setdefault(key, sample)
        elif key not in cache:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cache[key] = value_sample(cube_source(source.path, source.variable, day))
            except LayerVariableError:
                # a day of several times of day (a cube of another tool): no one map of
                # that day to sample; the layer's own date, and the others, still are
                several.append(day)
                continue
        parts.append(np.asarray(cache[key].values).ravel())
    which = (f"its {len(dates)} dates" if len(parts) == len(dates)
             else f"{len(parts)} of its {len(dates)} dates")
    if several:
        which += (f" (not {', '.join(several[:3])}{', ...' if len(several) > 3 else ''}: "
                  "several times of day, no one map of the day)")
    return (ValueSample(sample.bounds, np.concatenate(parts)),
            f" over {which}, {dates[0]} to {dates[-1]}")


def colour_layer(layer: LayerT, sample: ValueSample,
                 classes: Mapping[int, str] | None = None,
                 colours: ClassColours | None = None) -> tuple[LayerT, bool]:
    """``layer`` with the colour range its tiles are drawn with, from its
    :func:`value_sample` (:func:`stretch_unset_range`), or over its ``classes``
    (:func:`layer_classes`, :func:`class_layer`) when it is a class map; and whether it was
    stretched. The tiles stage and ``prospect serve`` both call this, with the same sample."""
    if classes:
        return class_layer(layer, classes, colours), False
    return stretch_unset_range(layer, sample.values)


def stretch_unset_range(layer: LayerT, values: Any) -> tuple[LayerT, bool]:
    """``layer`` (a tile or serve layer config) with the 2-98 % range of ``values``
    (:func:`data_range`) when its config sets neither ``vmin`` nor ``vmax`` and the default
    0-1 range would leave most of the data outside (heat flow in mW/m2 painted every tile
    one colour); and whether it was stretched. A range set in the config is always kept.
    The tiles stage and ``prospect serve`` both call it, so their tiles agree."""
    if {"vmin", "vmax"} & layer.model_fields_set:
        return layer, False
    found = data_range(values, layer.vmin, layer.vmax)
    if found is None:
        return layer, False
    return layer.model_copy(update={"vmin": found[0], "vmax": found[1]}), True


def clamped_ends(values: Any, vmin: float, vmax: float) -> tuple[bool, bool]:
    """``(below, above)``: whether a layer's ``values`` (a sample, NaN no data) reach below
    ``vmin`` or above ``vmax``, where tiles draw them in the ramp's end colours; its legend
    then labels that end "≤" or "≥" (:func:`tiles.legend.legend_png`)."""
    import numpy as np

    v = np.asarray(values, dtype="f8").ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return False, False
    return bool(v.min() < vmin), bool(v.max() > vmax)


def no_data_warning(name: str, source: LayerSource, shape: tuple[int, ...] | None,
                    *, listed_in: str = "the config") -> str:
    """Why layer ``name``'s tiles, maps and viewer are blank: its value sample (of
    ``shape`` cells, :func:`value_sample`) held no value, every cell no data; or, with
    ``shape`` ``None``, its cube variable stores no chunk (:meth:`tiles.source.
    LayerSource.stores_chunks`: a variable too large to sample at start-up). ``prospect
    serve`` said "config and layers OK" and served it blank, where the tiles stage refuses
    such a layer, saying so (``listed_in``: where the layer is listed, the fix's place)."""
    where = source.path if source.variable is None else f"{source.path}:{source.variable}"
    if shape is None:
        how = ("its cube variable stores no chunk: every cell is its fill value, no data; "
               "too large to sample at start-up, it was looked at by its chunk files")
    else:
        cells = " x ".join(str(n) for n in shape)
        how = (f"a sample of {cells} cells over its bounds, every one no data: NaN or its "
               "nodata value")
    return (f"layer {name!r}: its data ({where}) hold no value ({how}), so its tiles, "
            "maps and viewer are blank; check that the file is the one meant and that its "
            "nodata value is not a value of the data (gdalinfo -stats), or take the layer "
            f"out of {listed_in}")


FILL_VALUES: tuple[float, ...] = (-9999.0, -99999.0, -32768.0, -32767.0, -2147483648.0,
                                   -3.4028234663852886e38, 3.4028234663852886e38,
                                   9.969209968386869e36)
"""Values software writes in cells of no data when a file states no nodata value:
ESRI's and SAGA's -9999 (ASCII grids) and -99999, the lowest Int16 and Int32 (DEMs), the
lowest and highest float32 (ArcGIS's rasters) and netCDF's default fill for floats."""

FILL_SHARE_MIN = 0.001
"""Share of a layer's sampled cells above which one of :data:`FILL_VALUES`, in a COG
stating no nodata value, is taken for its no-data fill (no map of data holds exactly -9999
in one cell of a thousand)."""


def unstated_fill_warning(name: str, source: LayerSource, values: Any,
                          *, then: str = "run it again") -> str | None:
    """Why layer ``name``'s map draws its no data as values, or ``None``: its COG states no
    nodata value (:attr:`tiles.source.LayerSource.states_no_data`) and at least
    :data:`FILL_SHARE_MIN` of its value sample (``values``, :func:`value_sample`) is one
    of :data:`FILL_VALUES`.

    A grid exported without its nodata value (an ASCII grid's -9999, an ArcGIS raster's
    lowest float32) was tiled and served without a word: its fill drawn in the ramp's end
    colour over the sea or outside the survey, or, past half the layer, stretching the
    colour range from -9999 so every cell of data took one colour; a click read -9999.
    ``then`` is what to do once the nodata value is set (rerun the stage, restart the
    server).
    """
    import numpy as np

    if source.states_no_data:
        return None
    v = np.asarray(values).ravel()
    if v.size == 0:
        return None
    for fill in FILL_VALUES:
        share = float(np.count_nonzero(v == np.float32(fill))) / v.size
        if share >= FILL_SHARE_MIN:
            text = f"{fill:g}" if abs(fill) < 1e15 else repr(float(np.float32(fill)))
            return (f"layer {name!r}: {100 * share:.0f} % of its cells are {text}, the value "
                    f"written for no data, but {source.path} states no nodata value, so "
                    f"they are drawn and read as values (colour range, legend and clicks "
                    f"included); if they are no data, state it (gdal_edit.py -a_nodata "
                    f"{text} {source.path}) and {then}; if {text} is a value of the data, "
                    "ignore this warning")
    return None


def merged_codes(classes: Mapping[int, str]) -> tuple[int, int] | None:
    """The first two class codes of ``classes`` that float64 (the type a class map past
    2^24 is read and drawn in: :func:`tiles.colormap.exact_dtype`) holds as one number,
    or ``None`` where it holds each apart (every code within 2^53, most past it)."""
    seen: dict[float, int] = {}
    for code in sorted(classes):
        other = seen.setdefault(float(code), code)
        if other != code:
            return other, code
    return None


def many_classes_warning(name: str, classes: Mapping[int, str] | None) -> str | None:
    """Why class map ``name``'s classes are not all told apart, or ``None``: it has more
    classes than a tile's palette has colours (:data:`tiles.colormap.N_COLOURS`), so
    neighbouring codes share a colour in its tiles, maps and legend. A geology map of 400
    units was drawn so without a word. Likewise where two of its codes are one number
    in float64 (:func:`merged_codes`: an Int64 map's ids past 2^53). The tiles stage and
    ``prospect serve`` say it."""
    merged = merged_codes(classes or {})
    if merged:
        return (f"layer {name!r}: its class codes {merged[0]} and {merged[1]} are one "
                f"number ({float(merged[0]):.0f}) in the 64-bit floats its tiles are read "
                "and drawn in (whole numbers past 2^53 are not all held), so such codes "
                "share a colour in its tiles, maps and legend and cannot be told apart by "
                "colour (/point, GetFeatureInfo, the served viewer's click and the static "
                "viewer's of a COG give each cell's own code); renumber its classes "
                "below 2^53 (9007199254740992), e.g. by rank with a lookup table "
                "(gdal_calc.py), so that each has a colour of its own")
    if not classes or len(classes) <= N_COLOURS:
        return None
    return (f"layer {name!r}: its {len(classes)} classes are more than the {N_COLOURS} "
            "colours a tile's palette holds, so neighbouring codes share a colour in its "
            "tiles, maps and legend and cannot be told apart by colour (the value a click, "
            "/point or GetFeatureInfo gives is the cell's own); merge classes, or split "
            f"the map into layers of at most {N_COLOURS} classes each (gdal_calc.py), so "
            "that each class has a colour of its own")


def units_warning(name: str, units: str, tags: Mapping[str, str], *,
                  where: str = "tiles.layers") -> str | None:
    """Why layer ``name``'s ``units`` (the config's) mislabel its values, or ``None``: the
    data state units of their own (``tags``' ``units``: the cube variable's attribute, the
    COG's tag) that are another unit (:func:`prospect.registry.units.same_units`), both
    read as units (:func:`~prospect.registry.units.reads_as_unit`). Nothing is converted:
    heat flow in mW/m2 given ``units: W/m2`` had its legend, TileJSON, archives and the
    viewer's click values read 1000 times their value, a probability given ``units: %``
    0.7 %, without a word. Spellings of one unit (``mW m-2``, ``mW/m²``) and data of no
    units (or of units no grammar reads) say nothing."""
    from prospect.registry.units import reads_as_unit, same_units, units_hint

    data_units = str(tags.get("units", "")).strip()
    given = units.strip()
    if not given or not data_units or same_units(given, data_units) or not (
            reads_as_unit(given) and reads_as_unit(data_units)):
        return None
    hint = units_hint(data_units, given)
    why = f" ({hint.split(':')[0]})" if hint else ""
    return (f"layer {name!r}: units {given!r} in {where} are not the units its data state "
            f"({data_units!r}){why}, and nothing is converted, so its legend, TileJSON, "
            f"archives and click values label its values (in {data_units}) as {given}; "
            f"remove units from {where} (the data's are used) or give units: "
            f"{data_units}; where the data's units are wrong, fix the source's units: (or "
            "convert it with its scale:) and run the stages again")


def range_warning(name: str, values: Any, vmin: float, vmax: float, units: str = "",
                  *, where: str = "tiles.layers") -> str | None:
    """Why layer ``name``'s map would show mostly one colour, or ``None``.

    ``values`` is a sample of the layer's data (any shape; NaN is no data). A range left
    at its 0-1 default for heat flow in mW/m2 painted every tile one colour without a word.
    """
    found = _mostly_outside(values, vmin, vmax)
    if found is None:
        return None
    v, outside, lo, hi = found
    unit = f" {units}" if units else ""
    around = one_value_range(lo) if hi <= lo else None
    advice = (f"2-98 % of the data: {float(lo):.4g} to {float(hi):.4g}" if hi > lo else
              f"its values are all {float(lo):.6g}; e.g. {around[0]:g} to {around[1]:g}"
              if around else f"its values are all {float(lo):.6g}")
    return (f"layer {name!r}: {100 * outside:.0f} % of its values lie outside its colour "
            f"range {vmin:g} to {vmax:g} (data {float(v.min()):.4g} to {float(v.max()):.4g}"
            f"{unit}), so its map is mostly one colour; set vmin and vmax in {where} "
            f"({advice})")
