"""Tile-delivery configs: rendered layers (colormap, fixed value range) and the tile server.

:class:`TilesConfig` is the ``tiles:`` section of a job (what the tiles stage renders);
:class:`ServeConfig` is the file given to ``prospect serve`` (which layers the server
publishes, from which COG or zarr cube, and which agency keys may read them).
"""

from __future__ import annotations

import math
import os
from datetime import date as Date
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, PrivateAttr, field_validator, model_validator

from prospect.config._base import (
    ConfigPath,
    PlainName,
    StrictModel,
    config_folder,
    load_yaml,
    repeated,
    validate_mapping,
)

__all__ = [
    "AgencyKeyConfig",
    "AgencyKeysFile",
    "ServeConfig",
    "ServeLayerConfig",
    "TileLayerConfig",
    "TilesConfig",
    "load_agency_keys",
    "load_serve_config",
]

LAYER_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
"""Layer names: letters, digits, ``_`` and ``-``; they appear in URLs, never as paths."""


def _check_colormap(name: str) -> str:
    import matplotlib

    if name not in matplotlib.colormaps:
        # matplotlib's names keep their case ('Greys', 'viridis'): 'Viridis' named none near
        near = [c for c in matplotlib.colormaps if c.casefold() == name.casefold()]
        hint = f"did you mean {near[0]!r}? names are compared with case; " if near else ""
        raise ValueError(
            f"unknown colormap {name!r}; {hint}use a matplotlib colormap name such as "
            "'viridis', 'magma', 'cividis', 'RdYlGn_r' or 'Greys'"
        )
    return name


class TileLayerConfig(StrictModel):
    """One rendered layer (a cube variable) with a fixed value range and colormap.

    Attributes
    ----------
    variable
        Cube variable (and ``score/<variable>.tif`` COG) the layer renders.
    name
        Layer name in URLs and the viewer; defaults to ``variable``.
    colormap
        A matplotlib colormap name.
    vmin, vmax
        Fixed value range mapped onto the colormap (values outside are clamped). With
        neither set: 0 to 1, unless that leaves most of the layer's data outside, when the
        tiles stage takes the data's 2-98 % range and says so in its notes.
    role
        ``value`` for a result layer, ``uncertainty`` for the layer the viewer's
        uncertainty toggle shows on top; by default ``uncertainty`` when the variable
        name contains "uncertainty", else ``value``.
    public
        Readable by the tile server without an API key.
    title, description, attribution, licence
        What TileJSON, WMTS, WMS, the legend, the viewer and the PMTiles metadata say about
        the layer; unset, the title comes from the data's ``long_name`` (so a renamed
        output, e.g. "relative prospectivity", reaches every label) and attribution and
        licence from the server or job.
    synthetic
        Label the layer synthetic; unset, taken from the data's ``synthetic`` tag.
    date
        One date (``YYYY-MM-DD``) of a variable with a time axis (a band stacked over a
        job's ``timeseries.dates``, or an index of one): the layer is that date's map. A
        job's plan checks it against ``timeseries.dates``, a server against the cube's
        dates. Its layer name defaults to ``<variable>_<date>``.
    """

    variable: PlainName
    name: str | None = Field(default=None, pattern=LAYER_NAME)
    colormap: str = "viridis"
    vmin: float = 0.0
    vmax: float = 1.0
    title: str | None = None
    description: str = ""
    attribution: str | None = None
    licence: str | None = None
    synthetic: bool | None = None
    units: str = ""
    role: Literal["value", "uncertainty"] = "value"
    resampling: Literal["nearest", "bilinear"] = "bilinear"
    public: bool = False
    date: Date | None = None
    _colour_stops: tuple[float, ...] | None = PrivateAttr(default=None)
    _class_colours: tuple[tuple[int, tuple[int, int, int, int]], ...] | None = PrivateAttr(
        default=None)

    @field_validator("colormap")
    @classmethod
    def _colormap_known(cls, value: str) -> str:
        return _check_colormap(value)

    @field_validator("date", mode="before")
    @classmethod
    def _calendar_date(cls, value: Any) -> Any:
        # the form a job's timeseries.dates takes: YYYY-MM-DD, quoted or not
        from prospect.config.timeseries import calendar_date

        return None if value is None else calendar_date(value)

    @property
    def colour_stops(self) -> tuple[float, ...] | None:
        """The values its colormap places evenly, lowest to highest (a class map's codes,
        coloured by rank: :func:`tiles.colormap.ramp_stops`), or ``None`` for a linear
        ramp from ``vmin`` to ``vmax``. Set from the data, never in a config
        (:meth:`with_colour_stops`)."""
        return self._colour_stops

    def with_colour_stops(self, stops: tuple[float, ...] | None) -> Self:
        """A copy of this layer coloured by ``stops`` (:attr:`colour_stops`)."""
        copy = self.model_copy()
        copy._colour_stops = stops
        return copy

    @property
    def class_colours(self) -> tuple[tuple[int, tuple[int, int, int, int]], ...] | None:
        """A class map's own colours, ``((code, (r, g, b, alpha)), ...)`` in code order (its
        colour table, as QGIS and the survey draw it), which its tiles, maps and legend
        draw each code in instead of its colormap's colour; ``None``: the colormap's. Set
        from the data, never in a config (:meth:`with_class_colours`)."""
        return self._class_colours

    def with_class_colours(
        self, colours: tuple[tuple[int, tuple[int, int, int, int]], ...] | None,
    ) -> Self:
        """A copy of this layer drawing its codes in ``colours`` (:attr:`class_colours`)."""
        copy = self.model_copy()
        copy._class_colours = colours
        return copy

    @model_validator(mode="before")
    @classmethod
    def _default_role(cls, data: Any) -> Any:
        if isinstance(data, dict) and "role" not in data:
            variable = str(data.get("variable", ""))
            name = str(data.get("name") or "")
            if "uncertainty" in variable.lower() or "uncertainty" in name.lower():
                return {**data, "role": "uncertainty"}
        return data

    @model_validator(mode="after")
    def _range_ordered(self) -> TileLayerConfig:
        if not self.vmax > self.vmin:
            given = {"vmin", "vmax"} & self.model_fields_set
            if len(given) == 1:
                # one end given: "vmax (1.0) must be greater than vmin (5.0)" named a vmax
                # the config never wrote (its default), and not that it can be given
                end, other = ("vmin", "vmax") if "vmin" in given else ("vmax", "vmin")
                value, default = getattr(self, end), getattr(self, other)
                side, edge = ("above", "top") if end == "vmin" else ("below", "bottom")
                raise ValueError(
                    f"{end} {value:g} is given without {other}, whose default {default:g} "
                    f"is not {side} it: give {other} too (the {edge} of the layer's values), "
                    "or leave both out (0 to 1, or the 2-98 % of its data where most of it "
                    "lies outside 0 to 1)")
            raise ValueError(f"vmax ({self.vmax}) must be greater than vmin ({self.vmin})")
        if not math.isfinite(self.vmax - self.vmin):  # every value drawn in one colour
            raise ValueError(f"the range vmin {self.vmin:g} .. vmax {self.vmax:g} is wider "
                             "than a number holds; give the range the layer's values span")
        return self

    @property
    def layer_name(self) -> str:
        """The name used in URLs (and a job's ``tiles/`` folder): ``name``, else
        ``variable``, with ``_<date>`` after it for a layer of one ``date``: the dates of
        one variable were otherwise one folder, archive and viewer entry."""
        if self.name:
            return self.name
        return self.variable if self.date is None else f"{self.variable}_{self.date}"

    @property
    def label(self) -> str:
        """Human title: ``title`` or else the layer name."""
        return self.title or self.layer_name


def _check_tms(name: str) -> str:
    """``name`` if it is a tile matrix set the server and the tiles stage can serve.

    Grids whose matrices have variable widths (tiles merged toward the poles:
    ``CDB1GlobalGrid``, ``GNOSISGlobalGrid``) or levels numbered below 0 are refused: tile
    URLs, TileJSON and the WMTS documents describe neither, so their documents and tiles
    would disagree. Whether a grid covers a layer depends on the layer's data and is
    checked when the server opens it (:meth:`tiles.service.TileService.matrix_sets`).
    """
    import re

    import morecantile

    if re.fullmatch(r"UTM(0[1-9]|[1-5][0-9]|60)WGS84Quad", name) or name in (
            "NetherlandsRDNewQuad", "WebMercatorQuad"):
        return name
    if name in morecantile.tms.list():
        tms = morecantile.tms.get(name)
        if tms.minzoom < 0 or any(m.variableMatrixWidths for m in tms.tileMatrices):
            raise ValueError(
                f"tile matrix set {name!r} is not supported: its tiles merge toward the "
                "poles (variable matrix widths) or its levels are numbered below 0, which "
                "tile URLs and WMTS documents here do not describe; use WorldCRS84Quad or "
                "WGS1984Quad for a grid in EPSG:4326"
            )
        return name
    raise ValueError(
        f"unknown tile matrix set {name!r}; use WebMercatorQuad, NetherlandsRDNewQuad "
        "(EPSG:28992) or UTM{zone}WGS84Quad, e.g. UTM19WGS84Quad"
    )


def _check_tms_list(names: list[str]) -> list[str]:
    """Each of ``names`` checked (:func:`_check_tms`), none twice and not WebMercatorQuad,
    which is always there: listed, it was written and counted twice."""
    checked = [_check_tms(v) for v in names]
    if "WebMercatorQuad" in checked:
        raise ValueError("WebMercatorQuad (XYZ) is always there; list only the other grids, "
                         "e.g. [NetherlandsRDNewQuad]")
    dupes = repeated(checked)
    if dupes:
        raise ValueError(f"tile matrix sets must be unique; repeated: {dupes}")
    return checked


ArchiveFormat = Literal["pmtiles", "mbtiles"]


def _default_archives() -> list[ArchiveFormat]:
    return ["pmtiles"]


def _default_layers() -> list[TileLayerConfig]:
    return [
        TileLayerConfig(variable="probability", colormap="viridis"),
        TileLayerConfig(variable="uncertainty", colormap="magma", role="uncertainty"),
    ]


class TilesConfig(StrictModel):
    """XYZ pyramid settings of a job's ``tiles:`` section."""

    min_zoom: int = Field(default=10, ge=0, le=22)
    max_zoom: int = Field(default=14, ge=0, le=22)
    tile_size: Literal[256, 512] = 256
    format: Literal["png", "webp"] = "png"
    tile_matrix_sets: list[str] = Field(
        default_factory=list,
        description="National grids to write pyramids in besides Web Mercator (XYZ): "
                    "NetherlandsRDNewQuad (EPSG:28992, the Dutch national scheme) or "
                    "UTM{zone}WGS84Quad, e.g. UTM19WGS84Quad",
    )
    archive: bool = True
    archive_formats: list[ArchiveFormat] = Field(
        default_factory=_default_archives, min_length=1,
        description="One-file archives written with 'archive: true': pmtiles (web maps: "
                    "MapLibre, OpenLayers, 'pmtiles serve') and/or mbtiles (desktop GIS: "
                    "QGIS and GDAL read raster MBTiles; GDAL's PMTiles driver reads vector "
                    "tiles only)",
    )
    public_url: str | None = Field(
        default=None,
        description="Root URL where out/tiles/ is published; static TileJSON then carries "
                    "absolute tile and legend URLs (default: relative ones)",
    )
    workers: int | None = Field(default=None, ge=1, le=64)
    attribution: str | None = Field(
        default=None,
        description="Credit of every layer that gives none of its own (a layer's "
                    "'attribution' wins): the data's source, as its licence asks",
    )
    licence: str | None = Field(
        default=None,
        description="Licence of every layer that gives none of its own (a layer's "
                    "'licence' wins)",
    )
    layers: list[TileLayerConfig] = Field(default_factory=_default_layers)

    @model_validator(mode="before")
    @classmethod
    def _layers_inherit_credit(cls, data: Any) -> Any:
        """Each layer without an ``attribution`` or ``licence`` of its own takes the
        section's (also the default ``probability`` and ``uncertainty`` layers).

        A job published every layer's credit only where that layer repeated it (a YAML
        anchor per job): a layer added without it went out as ``attribution: Prospect``
        and no licence, a map of someone's data credited to no one.
        """
        if not isinstance(data, dict):
            return data
        given = {key: data[key] for key in ("attribution", "licence")
                 if isinstance(data.get(key), str)}
        layers = (data["layers"] if "layers" in data
                  else [layer.model_dump(exclude_unset=True) for layer in _default_layers()])
        if not given or not isinstance(layers, list):
            return data

        def inherit(layer: Any) -> Any:
            if isinstance(layer, TileLayerConfig):
                unset = {k: v for k, v in given.items() if getattr(layer, k) is None}
                return layer.model_copy(update=unset) if unset else layer
            if isinstance(layer, dict):
                return {**layer, **{k: v for k, v in given.items() if layer.get(k) is None}}
            return layer  # refused by the layer's own validation

        return {**data, "layers": [inherit(layer) for layer in layers]}

    @field_validator("tile_matrix_sets")
    @classmethod
    def _tms_known(cls, value: list[str]) -> list[str]:
        return _check_tms_list(value)

    @field_validator("format", mode="before")
    @classmethod
    def _format_spelled(cls, value: Any) -> Any:
        """``PNG``, ``.webp``, ``image/png``: the format as written (they were "Input should
        be 'png' or 'webp'", as tile URLs in capitals were refused); JPEG says why not."""
        if not isinstance(value, str):
            return value
        low = value.strip().lower().removeprefix("image/").lstrip(".")
        if low in ("jpg", "jpeg"):
            raise ValueError("JPEG tiles are not written (lossy colours no "
                             "longer match the legend's values, and JPEG has no "
                             "transparency); use png or webp (png is lossless; webp is "
                             "about 4x smaller, lossy at quality 90 but lossless for "
                             "class maps and other layers resampled 'nearest')")
        return low if low in ("png", "webp") else value

    @field_validator("archive_formats", mode="before")
    @classmethod
    def _archives_spelled(cls, value: Any) -> Any:
        """``MBTiles``, ``PMTiles`` (as their specifications write them): the formats."""
        if not isinstance(value, list):
            return value
        known = ("pmtiles", "mbtiles")
        return [v.strip().lower().lstrip(".") if isinstance(v, str)
                and v.strip().lower().lstrip(".") in known else v for v in value]

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_root(cls, value: str | None) -> str | None:
        return None if value is None else check_public_url(value, tiles_at=STAGE_TILES)

    @model_validator(mode="after")
    def _zooms_and_names(self) -> TilesConfig:
        if self.max_zoom < self.min_zoom:
            raise ValueError(f"max_zoom ({self.max_zoom}) is below min_zoom ({self.min_zoom})")
        if not self.layers:  # the stage wrote an empty viewer and said it was done
            raise ValueError("'layers' names no layer: give at least one (e.g. [{variable: "
                             "probability}]), or leave 'layers' out for probability and "
                             "uncertainty")
        dupes = repeated(layer.layer_name for layer in self.layers)
        if dupes:
            raise ValueError(f"layer names must be unique; repeated: {dupes}")
        folded = repeated(layer.layer_name.casefold() for layer in self.layers)
        if folded:  # one folder, one archive on macOS and Windows: a layer drawn over another
            same = [la.layer_name for la in self.layers if la.layer_name.casefold() in folded]
            raise ValueError(f"layer names {same} differ only in case; each layer is written "
                             "to tiles/<name>/ and <name>.pmtiles, which are one file on "
                             "macOS and Windows disks: give names that differ in more than "
                             "case (the 'name' field keeps the variable)")
        dupes = repeated(self.archive_formats)
        if dupes:
            raise ValueError(f"archive_formats must be unique; repeated: {dupes}")
        return self


class ServeLayerConfig(TileLayerConfig):
    """A served layer: a rendered layer plus where its data live.

    Exactly one of ``cog`` (a GeoTIFF/COG path) or ``cube`` (a zarr cube path, read at
    ``variable``) is given. Requests name the layer, never the path. ``date``
    (``YYYY-MM-DD``) picks one map of a cube variable with a time axis (a band stacked
    over a job's ``timeseries.dates``), checked against the cube's dates at start-up.
    ``dates: all`` serves every date of such a variable as this one layer: its WMS and
    WMTS ``time`` dimension lists them all, the latest the default, and ``TIME=`` (an XYZ
    tile's ``?time=``) picks the map, as GeoServer's and MapServer's time layers do.
    """

    name: str = Field(pattern=LAYER_NAME)
    variable: PlainName = "probability"
    cog: ConfigPath | None = None
    cube: ConfigPath | None = None
    dates: Literal["all"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_tile_archive(cls, data: Any) -> Any:
        # a tile archive as a layer source was "unknown key 'layers.0.pmtiles' (did you
        # mean 'title'?)"; the server draws values, an archive holds drawn colours
        if isinstance(data, dict):
            given = [k for k in ("pmtiles", "mbtiles", "archive") if k in data]
            if given:
                raise ValueError(
                    f"{given[0]!r} is not a layer source: the server draws each layer from "
                    "its values ('cog:' the COG the tiles were made from, e.g. "
                    "out/score/probability.tif, or 'cube:' with 'variable:'), so maps, "
                    "feature info and /point give values; a tile archive holds drawn "
                    "colours. Hand the archive over as a file instead (QGIS opens "
                    ".mbtiles; any web server with range requests serves .pmtiles)")
        return data

    @field_validator("cog", "cube", mode="before")
    @classmethod
    def _local_file(cls, value: Any) -> Any:
        # a URL was joined to the config's folder: "<dir>/https:/host/x.tif: not found"
        text = str(value) if isinstance(value, str | Path) else ""
        scheme = text.split("://", 1)[0].lower() if "://" in text else ""
        if scheme or text.lower().startswith("/vsicurl"):
            raise ValueError(
                "a URL; the server reads each layer from a local file (every tile and map "
                "reads a window of it): copy it first (a COG: gdal_translate /vsicurl/URL "
                "probability.tif; a zarr cube: its folder) or mount the bucket, and give "
                "the path")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ServeLayerConfig:
        if (self.cog is None) == (self.cube is None):
            raise ValueError(
                f"layer {self.name!r}: give exactly one of 'cog' (a GeoTIFF path) or "
                "'cube' (a zarr cube path, read at 'variable')"
            )
        if self.date is not None and self.cube is None:
            raise ValueError(
                f"layer {self.name!r}: 'date: {self.date}' picks one date of a cube variable "
                "with a time axis, and a COG is one map: remove 'date:', or give 'cube:' and "
                "'variable:' of the variable stacked over the job's timeseries.dates")
        if self.dates is not None and self.cube is None:
            raise ValueError(
                f"layer {self.name!r}: 'dates: all' serves every date of a cube variable "
                "with a time axis as one layer, and a COG is one map: remove 'dates:', or "
                "give 'cube:' and 'variable:' of the variable stacked over the job's "
                "timeseries.dates")
        if self.dates is not None and self.date is not None:
            raise ValueError(
                f"layer {self.name!r}: give 'date: {self.date}' (that date's map alone) or "
                "'dates: all' (every date, TIME= picking the map), not both")
        return self


_PUBLIC_URL = r"https?://[^\s?#/]+(/[^\s?#]*[^/\s?#])?"
"""A root URL links are made under: scheme and host, a path if any, no trailing slash."""


SERVED_TILES = "/tiles/{layer}/{z}/{x}/{y}.png"
"""A served XYZ tile's URL under the serve config's ``public_url``."""
STAGE_TILES = "/{layer}/{z}/{x}/{y}.png"
"""A tile's URL under the tiles stage's ``tiles.public_url`` (its ``out/tiles/``)."""


def check_public_url(text: str, *, tiles_at: str = SERVED_TILES) -> str:
    """``text`` if it is a root URL links can be made under (:data:`_PUBLIC_URL`);
    ``tiles_at`` is a tile's URL under it (:data:`SERVED_TILES` or :data:`STAGE_TILES`),
    what a refusal of a tile URL template says is added (:func:`_template_refusal`).

    Links are ``public_url + "/tiles/..."``: a trailing slash (``https://maps.example.org/
    prospect/``, as most people write a folder) made every link ``...//tiles``, a query or
    fragment put the path inside it. It was refused with the bare regular expression; the
    refusal now says what is wrong and the value to write.
    """
    import re

    template = _template_refusal(text, tiles_at)
    if template is not None:  # passed the pattern: every link was made under the template
        raise ValueError(template)
    if re.fullmatch(_PUBLIC_URL, text):
        return text
    hint = _public_url_example(text)
    raise ValueError(
        "not a root URL that links can be made under (public_url + '/tiles/...'): give the "
        "scheme (http:// or https://, in lower case), the host and the path if any, with no "
        "trailing slash, query, fragment or spaces"
        + (f", e.g. {hint!r}" if hint else
           ": a file:// URL is no web address; leave public_url out, or give the web "
           "address the files are published at" if re.match(r"(?i)\s*file:", text) else
           ", or leave public_url out"))


_PLACEHOLDER = r"\{[^{}\s]*\}"
"""A tile URL template's placeholder: ``{z}``, ``{x}``, ``{y}``, ``{-y}``, ``{s}``,
``{quadkey}``, ``{TileMatrix}``..."""


def _template_refusal(text: str, tiles_at: str) -> str | None:
    """Why ``text``, a ``public_url`` holding a tile URL template's placeholder
    (:data:`_PLACEHOLDER`), is no root URL, with the root it was meant as; ``None`` for
    one without. ``tiles_at`` is a tile's URL under the root, said to be added: the
    example cannot tell a layer's folder before ``{z}`` from the root's own.

    ``https://maps.example.org/tiles/{z}/{x}/{y}.png`` (a tile URL, as QGIS, Leaflet and
    the TileJSON write one, pasted as the address the tiles are published at) passed the
    root URL's pattern, and every link was made under it: the TileJSON's tiles
    ``https://maps.example.org/tiles/{z}/{x}/{y}.png/heat/{z}/{x}/{y}.png``, which a
    client fills twice and is answered 404, the capabilities' links alike. The example is
    the URL cut before its first segment holding a placeholder, or before a served tile's
    ``/tiles/`` or a WMTS REST URL's ``/wmts/`` there; Leaflet's ``{s}`` of a host its
    first subdomain, ``a``. Braces written ``%7B``/``%7D`` (a QGIS layer source) are
    read as braces."""
    import re

    # a QGIS layer source writes the braces percent-encoded: %7Bz%7D
    text = re.sub(r"%7[bB]", "{", re.sub(r"%7[dD]", "}", text))
    found = re.search(_PLACEHOLDER, text)
    if found is None:
        return None
    scheme = re.match(r"(?i)https?://", text)
    rest = text[scheme.end():] if scheme else text
    host, _, path = rest.partition("/")
    host = host.replace("{s}", "a")
    kept: list[str] = []
    for segment in path.split("/"):
        if re.search(_PLACEHOLDER, segment):
            break
        kept.append(segment)
    # the root is above the last of its own folders before the placeholder: a served
    # tile's /tiles/ (``tiles_at``'s first) or a WMTS REST URL's /wmts/
    own = {"wmts", tiles_at.strip("/").split("/")[0].lower()} - {"{layer}"}
    cut = [i for i, segment in enumerate(kept) if segment.lower() in own]
    root = "/".join([host, *kept[:cut[-1] if cut else len(kept)]]).rstrip("/")
    hint = (None if re.search(r"[{}]", host) else
            _public_url_example((scheme.group(0) if scheme else "https://") + root))
    return (f"holds {found.group(0)}, a tile URL template's placeholder: public_url is the "
            f"root URL the links are made under (Prospect adds {tiles_at!r} itself), not a "
            "tile's URL; give the address it is published at"
            + (f", e.g. {hint!r}" if hint else ", e.g. 'https://maps.example.org/tiles'"))


def _public_url_example(text: str) -> str | None:
    """The root URL ``text`` (a refused ``public_url``) was meant as, or ``None`` where it
    names no host (nothing, ``https://`` alone, or a ``file:`` URL).

    The example was ``text`` cut at its first space, query or fragment, with ``https://``
    before it where it had no ``http(s)://``: ``https://maps.example.org/my tiles`` was
    told to write ``https://maps.example.org/my`` (another folder), ``file:///srv/t``
    ``https://file:///srv/t`` and an empty value ``https:``. Now spaces inside the path are
    written ``%20``, another scheme (``ftp://``) is replaced, and a path alone
    (``/prospect/tiles``) is put under the example host ``maps.example.org``."""
    import re
    from urllib.parse import quote

    hint = text.strip()
    scheme = re.match(r"(?i)([a-z][a-z0-9+.-]*):(//)?", hint)
    if not hint or (scheme and scheme.group(1).lower() == "file"):
        return None
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        if not scheme.group(2):  # host:port, read as a scheme: no scheme
            scheme = None
        else:
            hint = hint[scheme.end():]
    if scheme is None or scheme.group(1).lower() not in ("http", "https"):
        hint = ("https://maps.example.org" if hint.startswith("/") else "https://") + (
            "/" + hint.lstrip("/") if hint.startswith("/") else hint)
    hint = re.sub(r"(?i)^(https?)://", lambda m: m.group(1).lower() + "://", hint)
    hint = re.split(r"[?#]", hint, maxsplit=1)[0].rstrip("/ \t")
    if not re.match(r"https?://[^/\s]", hint):  # no host: "https://" alone
        return None
    return quote(hint, safe=":/%@!$&'()*+,;=~-._[]")


def check_bind_host(text: str) -> str:
    """``text`` if it can be a bind address (a host name or an IPv4 or IPv6 address alone).

    A URL (``http://0.0.0.0``), an address with its port (``127.0.0.1:8080``, ``[::]:80``)
    or IPv6 in brackets were read as a host name: ``prospect serve`` failed at start-up
    with "cannot resolve the bind address ... give an address of this machine with
    --host", which named the option where the config's ``host`` was at fault and never
    said that the port or the scheme was. The refusal says which part to drop and where
    the port goes.

    Raises
    ------
    ValueError
        Saying what is wrong and the value to write.
    """
    import re

    value = text.strip()
    parts = [p for p in re.split(r"[\s,;]+", value) if p]
    if len(parts) > 1 or (parts and parts[0] != value):
        # several addresses (``0.0.0.0,::``, as a proxy's or gunicorn's binds list them)
        # passed as one host name and failed at start-up as "cannot resolve"; ``localhost
        # 8080`` was refused with itself as the example to write
        _several_hosts(value, parts)
    scheme = re.match(r"(?i)^[a-z][a-z0-9+.-]*://", value)
    rest = value[scheme.end():] if scheme else value
    path = "/" in rest
    rest = rest.split("/", 1)[0]
    port = None
    bracketed = re.fullmatch(r"\[([^\]]*)\](?::(\d*))?", rest)
    if bracketed:
        rest, port = bracketed.group(1), bracketed.group(2)
    elif (m := re.fullmatch(r"([^:]*):(\d*)", rest)):  # one colon: not an IPv6 address
        rest, port = m.group(1), m.group(2)
    if not (scheme or path or bracketed or port is not None or value != text
            or any(c.isspace() for c in value)):
        return text
    wrong = ("a URL" if scheme else "an address with a port" if port
             else "an address with a path" if path
             else "an IPv6 address in brackets" if bracketed
             else "an address ending in ':'" if port is not None
             else "an address with spaces")
    where_port = f"; the port goes in 'port' (or --port), e.g. port: {port}" if port else ""
    raise ValueError(f"{wrong}, not an address to listen on: give the host name or IP "
                     f"address alone, e.g. {(rest.strip() or '127.0.0.1')!r} ('0.0.0.0' for "
                     f"every IPv4 address of this machine){where_port}")


def _several_hosts(value: str, parts: list[str]) -> None:
    """Refuse ``value``, a host written as several ``parts`` (split at spaces, commas or
    semicolons): a list of addresses, or an address and its port after a space. The
    example given is the first part where it is an address alone, else ``127.0.0.1``.

    Raises
    ------
    ValueError
        Always: what the value holds and the one address to write.
    """
    try:
        example = check_bind_host(parts[0])
    except ValueError:
        example = "127.0.0.1"
    if len(parts) == 2 and parts[1].isdigit():
        raise ValueError(f"an address and a port ({value!r}), not an address to listen on: "
                         f"give the host name or IP address alone, e.g. {example!r}; the "
                         f"port goes in 'port' (or --port), e.g. port: {parts[1]}")
    listed = ", ".join(repr(p) for p in parts[:4]) + (", ..." if len(parts) > 4 else "")
    raise ValueError(f"{len(parts)} addresses ({listed}), not one address to listen on: the "
                     f"server listens on one; give one, e.g. {example!r}"
                     + ("" if example == "0.0.0.0" else " ('0.0.0.0' for every IPv4 address "
                        "of this machine)") if len(parts) > 1 else
                     f"an address followed by {value[len(parts[0]):][:1]!r}, not an "
                     f"address to listen on: give the host name or IP address alone, "
                     f"e.g. {example!r}")


def _check_origin(text: str) -> str:
    """``text`` if it is ``*`` or a browser origin, ``scheme://host[:port]`` (RFC 6454).

    A browser sends its page's origin exactly so, and the server compares it as text: an
    entry with a path or a trailing slash (``https://viewer.example/``), without a scheme
    (``viewer.example``) or in capitals never matched, so that agency's map page was
    refused by its browser while the server said "OK".
    """
    import re

    if text == "*":
        return text
    if re.fullmatch(r"https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?", text):
        return text
    hint = text.rstrip("/").lower() if re.match(r"(?i)https?://", text) else \
        f"https://{text.strip('/').lower()}"
    hint = re.sub(r"^(https?://[^/]+)/.*$", r"\1", hint)
    raise ValueError(
        f"cors_origins entry {text[:80]!r} is not an origin: a browser sends its page's "
        "origin as scheme://host[:port] in lower case, with no path and no trailing slash, "
        f"and the entry is compared as text; write e.g. {hint!r}, or '*' for any origin"
    )


_NOT_A_DIGEST = "(not shown: it may be a key; "
"""Starts what stands in for a ``key_sha256`` that is no digest (with its length), so that
no refusal shows it."""


def _is_digest(value: str) -> str:
    """Refuse :data:`_NOT_A_DIGEST` (what a ``key_sha256`` that is no digest became)."""
    if value.startswith(_NOT_A_DIGEST):
        raise ValueError(
            "key_sha256 is the key's SHA-256 digest, 64 hex digits, never the key; if the "
            "key itself is written here, remove it (the config keeps only hashes) and write "
            "its digest: 'prospect serve-key AGENCY' prints a new key and its digest, "
            "'printf %s KEY | sha256sum' the digest of a key you have")
    return value


class AgencyKeyConfig(StrictModel):
    """One agency's API key, kept only as its SHA-256 hex digest, and its layer rights.

    ``layers: ['*']`` grants every layer. Generate a key and its hash with
    ``prospect serve-key AGENCY``.
    """

    agency: str = Field(min_length=1, max_length=100)
    key_sha256: Annotated[str, AfterValidator(_is_digest)] = Field(
        description="SHA-256 hex digest of the key (never the key)")
    layers: list[str] = Field(default_factory=list)
    revoked: bool = False
    expires: datetime | None = Field(
        default=None, description="After this time (ISO 8601; UTC when no zone) the key is refused",
    )
    requests_per_minute: int | None = Field(
        default=None, ge=1, le=1_000_000,
        description="Rate limit of this key (429 with Retry-After beyond it); unset: none",
    )

    @field_validator("key_sha256", mode="before")
    @classmethod
    def _digest_not_shown(cls, value: Any) -> Any:
        """A digest in capitals is the same digest (lower case, as keys are hashed); any
        other text may be the key itself, pasted where its hash goes, and is replaced
        before a refusal can show it (it was echoed in the config error: a secret in a
        terminal and a log)."""
        import re

        if isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{64}", value):
            return value.lower()
        return f"{_NOT_A_DIGEST}{len(value)} characters)" if isinstance(value, str) else value

    @field_validator("requests_per_minute", mode="before")
    @classmethod
    def _rate_with_its_unit(cls, value: Any) -> Any:
        """``requests_per_minute`` written as rate limiters write a rate: ``60/min``,
        ``60/minute``, ``1/s``, ``3600 per hour`` (flask-limiter's and slowapi's strings,
        nginx's ``60r/m``). Each was "Input should be a valid integer, unable to parse
        string as an integer", naming neither the unit nor what to write. A rate in whole
        requests per minute is read as that number; another is refused, naming the
        nearest."""
        import re

        if not isinstance(value, str):
            return value
        rate = re.fullmatch(r"\s*(\d+)\s*r?\s*(?:/|per\s)\s*(s|sec|second|m|min|minute|h|hr|"
                            r"hour|d|day)s?\s*", value, re.IGNORECASE)
        if rate is None:
            return value
        count, unit = int(rate[1]), rate[2].lower()
        per_minute = {"s": count * 60.0, "h": count / 60.0,
                      "d": count / 1440.0}.get(unit[0], float(count))
        if per_minute.is_integer():  # 0/min: refused by the field's bounds, as 0 is
            return int(per_minute)
        nearest = max(1, round(per_minute))
        raise ValueError(f"requests_per_minute {value.strip()[:30]!r} is {per_minute:.4g} "
                         "requests a minute, and the limit is a whole number of requests per "
                         f"minute: write requests_per_minute: {nearest} (the nearest)")

    @field_validator("expires", mode="before")
    @classmethod
    def _expiry_as_written(cls, value: Any) -> Any:
        """``expires`` as a date or time in ISO 8601, its basic form included.

        A number was read as a Unix time: ``expires: 20270630`` (ISO 8601's basic form of
        2027-06-30, as ``date +%Y%m%d`` and many agencies' systems write it; quoted too)
        became 1970-08-23, so the key was refused on every request from the start, and
        ``serve-key --expires 20270630`` said "that is in the past". Eight digits that make
        a date are that date; another number is refused, naming the date it would be as a
        Unix time. ``20270630T120000Z`` was told "the unit is no part of the value" and
        ``2027/06/30`` pydantic's "invalid date separator": each now names the ISO 8601
        form to write.
        """
        import re
        from datetime import UTC
        from datetime import date as _date

        if isinstance(value, bool) or value is None or isinstance(value, _date):
            return value
        text = str(value).strip() if isinstance(value, int | float | str) else None
        if text is None:
            return value
        if re.fullmatch(r"\d{8}", text):  # ISO 8601 basic: YYYYMMDD
            try:
                return datetime.strptime(text, "%Y%m%d")
            except ValueError:
                pass  # no such day: refused below as a number
        elif isinstance(value, str) and not re.fullmatch(r"[+-]?\d+(\.\d*)?", text):
            from pydantic import TypeAdapter, ValidationError

            try:  # what pydantic reads (RFC 3339 and ISO 8601's extended form) as before
                return TypeAdapter(datetime).validate_python(text)
            except ValidationError:
                pass
            try:
                return datetime.fromisoformat(text)  # the basic form too: 20270630T1200Z
            except ValueError:
                pass
        ymd = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text)
        dmy = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text)
        fix = "write it YYYY-MM-DD (e.g. 2027-06-30, or 2027-06-30T12:00Z with a time)"
        if ymd is not None:
            parts: tuple[int, int, int] | None = (int(ymd[1]), int(ymd[2]), int(ymd[3]))
        elif dmy is not None and int(dmy[1]) > 12:  # day first, and no month 13 or above
            parts = (int(dmy[3]), int(dmy[2]), int(dmy[1]))
        else:
            parts = None
        what = "is not a date or time as ISO 8601 writes them"
        if parts is not None:
            try:
                fix = f"write {_date(*parts).isoformat()} (YYYY-MM-DD)"
            except ValueError:
                what = "names no day of the calendar"
        elif dmy is not None:
            what = "is no ISO 8601 date, and its day and month cannot be told apart"
        if isinstance(value, int | float) or re.fullmatch(r"[+-]?\d+(\.\d*)?", text):
            try:
                unix = datetime.fromtimestamp(float(text), tz=UTC)
                as_unix = f" (as a Unix time it would be {unix:%Y-%m-%dT%H:%MZ})"
            except (ValueError, OverflowError, OSError):
                as_unix = ""
            raise ValueError(f"expires {text[:30]!r} is a number, not a date{as_unix}; "
                             "the expiry is a date in ISO 8601: " + fix)
        raise ValueError(f"expires {text[:40]!r} {what}; {fix}")


class ServeConfig(StrictModel):
    """The tile server: its layers, zoom limits, caching and agency keys."""

    title: str = "Prospect tiles"
    abstract: str = ""
    attribution: str = "Prospect"
    licence: str | None = None
    provider: str = "Prospect"
    provider_url: str | None = Field(default=None,
                                     description="Web address of the provider (http(s)://)")
    contact_email: str | None = None
    access_constraints: str = Field(
        default="Layers that are not public need an agency API key (X-API-Key or ?key=)",
    )
    fees: str = "none"
    tile_matrix_sets: list[str] | None = Field(
        default=None,
        description="Grids every layer is served in besides WebMercatorQuad; default: the "
                    "national grid of each layer's CRS (NetherlandsRDNewQuad for EPSG:28992, "
                    "UTM{zone}WGS84Quad for WGS 84 / UTM)",
    )
    host: str = Field(default="127.0.0.1", min_length=1,
                      description="Address to listen on ('' listened on every interface)")
    public_url: str | None = Field(
        default=None,
        description="External root URL (behind a proxy, with its path if any): links and "
                    "redirects are made from it; default: the address the server listens "
                    "on, never a request header",
    )
    port: int = Field(default=8080, ge=0, le=65535)
    min_zoom: int = Field(default=0, ge=0, le=24)
    max_zoom: int = Field(default=18, ge=0, le=24)
    cache_max_age: int = Field(default=3600, ge=0, le=31_536_000)
    cache_mb: int = Field(default=64, ge=0, le=4096)
    coalesce_requests: bool = Field(
        default=True, description="Concurrent requests for one uncached tile render it once",
    )
    png_rgba: bool = Field(
        default=False, description="RGBA PNG tiles instead of paletted ones (same colours)",
    )
    header_timeout_s: float = Field(
        default=10.0, ge=1, le=300,
        description="Seconds a connection has to send a complete request head (at least 1: "
                    "a client on a slow link needs that long for its first packets)",
    )
    keep_alive_s: float = Field(
        default=5.0, gt=0, le=300, description="Idle seconds before a keep-alive connection closes"
    )
    max_idle_connections: int = Field(
        default=256, ge=1, le=65536,
        description="Connections waiting for a request head at once; beyond it the oldest closes",
    )
    send_timeout_s: float = Field(
        default=60.0, gt=0, le=3600,
        description="Seconds a client may take none of its answer (a large map it does not "
                    "read) before its connection is closed",
    )
    max_unsent_mb: int = Field(
        default=256, ge=1, le=65536,
        description="Megabytes of answers that stalled clients have not taken, held in all; "
                    "beyond it the connection stalled longest is closed",
    )
    max_header_bytes: int = Field(
        default=8192, ge=1024, le=16384,
        description="Largest total of request header names and values (larger: 431)",
    )
    cors_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Origins allowed to fetch from browsers (CORS); [] disables CORS headers",
    )
    layers: list[ServeLayerConfig] = Field(min_length=1)
    keys: list[AgencyKeyConfig] = Field(default_factory=list)
    keys_file: ConfigPath | None = Field(
        default=None,
        description="YAML file with more agency keys (a mapping with 'keys:'); reloaded "
                    "with the config's own keys on SIGHUP and when either file changes",
    )
    access_log: ConfigPath | None = Field(
        default=None, description="File for the JSON-lines access log (default: stderr)",
    )

    @field_validator("tile_matrix_sets")
    @classmethod
    def _tms_list_known(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_tms_list(value)

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, value: list[str]) -> list[str]:
        return [_check_origin(v) for v in value]

    @field_validator("host")
    @classmethod
    def _host_alone(cls, value: str) -> str:
        return check_bind_host(value)

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_root(cls, value: str | None) -> str | None:
        return None if value is None else check_public_url(value)

    @field_validator("provider_url")
    @classmethod
    def _provider_url_is_a_web_address(cls, value: str | None) -> str | None:
        import re

        if value is None or re.fullmatch(r"https?://\S+", value):
            return value
        raise ValueError("provider_url is a web address starting http:// or https:// (in "
                         "lower case) with no spaces, e.g. 'https://www.example.org' (it was "
                         "refused with a regular expression)")

    @model_validator(mode="after")
    def _consistent(self) -> ServeConfig:
        if self.max_zoom < self.min_zoom:
            raise ValueError(f"max_zoom ({self.max_zoom}) is below min_zoom ({self.min_zoom})")
        names = [layer.name for layer in self.layers]
        dupes = repeated(names)
        if dupes:
            raise ValueError(f"layer names must be unique; repeated: {dupes}")
        folded = repeated(name.casefold() for name in names)
        if folded:  # the tiles stage refuses them too: one name to a cache on most disks
            same = [name for name in names if name.casefold() in folded]
            raise ValueError(f"layer names {same} differ only in case; clients and tile "
                             "caches (QGIS's, MapProxy's, a browser's on macOS and Windows "
                             "disks) keep tiles in a folder per layer name, where the two "
                             "are one folder and one layer is shown as the other: give "
                             "names that differ in more than case")
        for key in self.keys:
            unknown = sorted(set(key.layers) - set(names) - {"*"})
            if unknown:
                raise ValueError(f"keys: {unknown_grants(key.agency, unknown, names)}")
        hashes = [k.key_sha256 for k in self.keys]
        if len(set(hashes)) != len(hashes):
            raise ValueError("keys: two agencies share the same key hash; give each its own key")
        if self.access_log is not None:
            self._access_log_apart()
        return self

    def _access_log_apart(self) -> None:
        """Refuse an ``access_log`` that is one of the files the server reads: its keys
        file, a layer's COG or a file in a layer's cube. A line was appended to it for
        every request: a served COG grew by each request's JSON (its ETag changing with
        every tile, so no client's cache held), a keys file no longer read as YAML."""
        assert self.access_log is not None
        log = Path(self.access_log).resolve()
        read: list[tuple[str, Path | None, bool]] = [("the keys_file", self.keys_file, False)]
        for layer in self.layers:
            read.append((f"the cog of layer {layer.name!r}", layer.cog, False))
            read.append((f"inside the cube of layer {layer.name!r}", layer.cube, True))
        for what, path, folder in read:
            if path is None:
                continue
            own = Path(path).resolve()
            if log == own or (folder and own in log.parents):
                raise ValueError(
                    f"access_log {str(self.access_log)[:200]!r} is {what}: the server "
                    "appends a line to its log for every request, which would write into "
                    "a file it serves or reads; give the log a file of its own, e.g. "
                    "'access.log' beside the config")


_EVERY_LAYER = frozenset({"all", "any", "every", "everything", "**", "%", "all layers"})
"""Words an agency key's ``layers:`` may use for "every layer", which ``'*'`` grants."""


def unknown_grants(agency: str, unknown: list[str], names: list[str]) -> str:
    """The refusal of an agency key granted layers the config does not serve: each named
    with the layer it writes otherwise (``Private`` for ``private``: names are compared
    with case, as the server compares them; ``privat``), or ``'*'`` for a word meaning
    every layer (``all``); then the configured layers. It was "granted unknown layers
    ['Private']", leaving the operator to find the one letter among the layers listed."""
    import difflib
    import re

    hints = []
    for name in unknown:
        text = str(name)
        case = [n for n in names if n.casefold() == text.strip().casefold()]
        if case:
            how = ("with spaces around it" if case[0] == text.strip()
                   else "in another case (layer names are case-sensitive)")
            hints.append(f"{text!r} is layer {case[0]!r} written {how}")
        elif text.strip().casefold() in _EVERY_LAYER:
            hints.append(f"{text!r} is no layer's name; '*' grants every layer")
        elif len(parts := [p for p in re.split(r"[\s,;|/]+", text) if p]) > 1 \
                and all(p in names for p in parts):
            hints.append(f"{text!r} is layers {', '.join(map(repr, parts))} in one entry: "
                         "give each its own entry, e.g. [" + ", ".join(parts) + "]")
        else:
            near = difflib.get_close_matches(text, names, n=1, cutoff=0.75)
            if near:
                hints.append(f"{text!r}: did you mean {near[0]!r}?")
    return (f"agency {agency!r} is granted unknown layers {unknown}"
            + (f" ({'; '.join(hints)})" if hints else "")
            + "; write each as a layer's name under 'layers:' (or '*' for every layer); "
            f"configured layers: {sorted(names)}")


class AgencyKeysFile(StrictModel):
    """A ``keys_file``: a mapping whose only key is ``keys``, a list of agency keys (a
    misspelt ``key:`` was read as no keys at all, and every agency in it locked out)."""

    keys: list[AgencyKeyConfig] = Field(default_factory=list)


def load_serve_config(path: str | Path) -> ServeConfig:
    """Load and validate a tile-server config; relative paths are taken from its folder
    (the real file's, links followed: :func:`prospect.config._base.config_folder`)."""
    from prospect.config.job import kind_of_config
    from prospect.errors import ConfigError

    path = Path(path)
    data = load_yaml(path)
    kind = kind_of_config(data)
    if kind in _OTHER_KINDS:  # was a wall of "unknown key" lines, one per key of the file
        raise ConfigError(f"{path}: {_OTHER_KINDS[kind]}, not a tile server's config; a "
                          "serve config lists the maps to serve under 'layers:' (cog: a "
                          "job's score/probability.tif, or cube: its cube.zarr with "
                          "variable:); see configs/serve/example.yaml")
    config = validate_mapping(ServeConfig, data, source=str(path), base_dir=config_folder(path))
    if config.access_log is not None and Path(config.access_log).resolve() == path.resolve():
        # a line for every request appended to the config: the next start read no YAML
        raise ConfigError(f"{path}: access_log is this config file itself; the server "
                          "appends a line to its log for every request; give the log a "
                          "file of its own, e.g. 'access.log'")
    if config.keys_file is not None and Path(config.keys_file).resolve() == path.resolve():
        # read as a keys file: "unknown key 'keys_file' (did you mean 'keys'?)", 'layers'
        # "a key of 'keys'", of a config whose every key was right
        raise ConfigError(f"{path}: keys_file is this config file itself, whose 'keys:' "
                          "are read already; remove keys_file, or point it to a file of "
                          "its own holding only 'keys:' (e.g. 'keys.yaml')")
    return config


_OTHER_KINDS = {"job": "a job config (run it with 'prospect run', then serve the maps it writes)",
                "region": "a region file (a grid: crs, resolution, bounds)",
                "sensor": "a sensor's band file",
                "cluster": "cluster settings",
                "manifest": "a run's manifest.json (the record of a job's run; serve the "
                            "maps that run wrote: its score/probability.tif or cube.zarr)"}
"""What a file of another config kind given to ``prospect serve`` is
(:func:`~prospect.config.job.kind_of_config`)."""


def _keys_file_there(keys_file: Path, config: str | Path) -> None:
    """Refuse a ``keys_file`` that is not there, naming the serve config that names it and
    the file beside it whose name is the one written miswritten (``Keys.yaml`` for
    ``keys.yaml``, ``.yml`` for ``.yaml``: :func:`prospect.io.files.name_written_otherwise`).
    It was "<path>: config file not found", naming neither the key nor the file there."""
    from prospect.errors import ConfigError
    from prospect.io.files import name_written_otherwise

    if keys_file.is_file() or os.path.lexists(keys_file):  # a broken link: load_yaml says
        return
    otherwise = name_written_otherwise(keys_file)
    raise ConfigError(f"{config}: keys_file {str(keys_file)!r} not found; " + (
        otherwise or "fix the path (a relative path is taken from the serve config's "
                     "folder), or remove keys_file"))


def load_agency_keys(path: str | Path) -> list[AgencyKeyConfig]:
    """The agency keys of the serve config at ``path``, re-read from disk (for a reload).

    Keys come from the config's ``keys:`` and from its ``keys_file`` (a YAML mapping with
    ``keys:``); the whole set is validated as at start-up (known layers,
    distinct hashes). A :class:`~prospect.errors.ConfigError` names the file and the key.
    """
    from prospect.errors import ConfigError

    config = load_serve_config(path)
    keys = list(config.keys)
    if config.keys_file is not None:
        _keys_file_there(Path(config.keys_file), path)
        data = load_yaml(config.keys_file)
        if data.get("keys") is None:  # "keys:" with nothing under it: no keys, as before
            data = {**data, "keys": []}
        keys += validate_mapping(AgencyKeysFile, data, source=str(config.keys_file)).keys
    names = [layer.name for layer in config.layers]
    for key in keys:
        unknown = sorted(set(key.layers) - set(names) - {"*"})
        if unknown:
            raise ConfigError(f"{config.keys_file or path}: "
                              f"{unknown_grants(key.agency, unknown, names)}")
    hashes = [k.key_sha256 for k in keys]
    if len(set(hashes)) != len(hashes):
        raise ConfigError(f"{path}: two agencies share the same key hash; give each its own key")
    return keys
