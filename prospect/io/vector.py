"""Vector files (GeoPackage, Shapefile, GeoJSON...) read through pyogrio/geopandas."""

from __future__ import annotations

import difflib
import functools
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.errors import GEOSException

from prospect.errors import CRSError, DataError, InputFileError
from prospect.grid import parse_crs
from prospect.io.files import why_unreadable

__all__ = ["COORDINATE_LIMIT", "check_coordinates", "has_geometry", "layer_crs",
           "layer_fields", "list_layers", "read_attribute", "read_vector", "recoded_message",
           "unit_name", "utf8_read_as_code_page"]


def quiet_measured() -> None:
    """Silence pyogrio's warnings about what is read right: a layer of measured geometries
    (XYM, XYZM) read without its M values, which nothing here uses, and mixed-type
    properties of a GeoJSON read as text. Both reached the user's terminal on every call
    (list, info, read) with a library's path and source line, several times a run.
    Called before each call rather than once at import: a filter added inside a
    ``warnings.catch_warnings`` block (a stage's data-warning collector, a test) is undone
    when the block ends, and a block of our own would race the other threads' warnings."""
    warnings.filterwarnings("ignore", message=r"Measured \(M\) geometry types are not "
                            "supported", category=UserWarning)
    # A GeoJSON property of mixed types (a unit code 1 in one feature, "granite" in
    # another) is a JSON field to GDAL; pyogrio tries to parse it as JSON, warns "Could not
    # parse column ... as JSON; leaving as string" and keeps the text, which is what is read.
    warnings.filterwarnings("ignore", message=r"Could not parse column .* as JSON",
                            category=UserWarning)
    # A ring whose last point is not its first: GDAL reads it and says so on each read; it
    # is closed by the reader (read_vector) and counted in a data warning instead.
    warnings.filterwarnings("ignore", message=r"Non closed ring detected",
                            category=RuntimeWarning)


def unit_name(value: object) -> str:
    """An attribute value as a unit name: ``""`` where there is none (null or NaN).

    A whole number is named without a decimal point whatever its type: an integer code
    column with one null reads as floats (``1.0``) when read whole and as integers
    (``1``) in a window without the null, and both must name the same unit. A name of
    only spaces is no name (``""``), as a null is.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str) and not value.strip():
        return ""  # only spaces: no name, not a unit of its own beside the nameless one
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


SHAPEFILE_PARTS = {".shx": "the shape index", ".dbf": "the attribute table"}
"""Files a Shapefile cannot be read without (``.prj``, the CRS, is checked with the CRS)."""


def _sidecar(path: Path, suffix: str) -> Path | None:
    """The file beside ``path`` with ``suffix`` (any letter case), or ``None``."""
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    stem = path.stem.lower()
    try:
        return next((p for p in path.parent.iterdir()
                     if p.stem.lower() == stem and p.suffix.lower() == suffix), None)
    except OSError:
        return None


def _check_shapefile(path: Path) -> None:
    """A ``.shp`` whose ``.shx`` or ``.dbf`` is not beside it is named with the missing file
    (GDAL reads a ``.shp`` without its ``.dbf`` as having no columns at all)."""
    if path.suffix.lower() != ".shp" or not path.is_file():
        return
    missing = [f"{path.with_suffix(s).name} ({what})" for s, what in SHAPEFILE_PARTS.items()
               if _sidecar(path, s) is None]
    if missing:
        raise InputFileError(
            f"{path}: the Shapefile is incomplete: {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing beside it; copy every file "
            f"of the Shapefile ({path.stem}.shp, .shx, .dbf, .prj) into the same folder, or "
            "use a GeoPackage")


def _no_crs(path: Path) -> CRSError:
    """The error for a vector file without a CRS (a Shapefile's missing ``.prj`` named)."""
    why = ""
    if path.suffix.lower() == ".shp" and _sidecar(path, ".prj") is None:
        why = f" ({path.with_suffix('.prj').name} is not beside it)"
    return CRSError(f"{path}: the vector file has no CRS{why}; give it in the source config "
                    "(e.g. crs: 'EPSG:28992')")


def _nearest(name: str, names: list[str]) -> str:
    """``" (did you mean 'Unit'?)"`` for the name meant, when one is near (or differs only
    in letter case); ``""`` when none is."""
    same = [n for n in names if n.lower() == name.lower()]
    near = same or difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _not_decoded(path: Path, exc: UnicodeDecodeError) -> InputFileError:
    """The error for attribute text that is not in the encoding GDAL reads it in (a
    Shapefile's ``.cpg`` naming UTF-8 over a Latin-1 ``.dbf``; a GeoJSON that is not
    UTF-8)."""
    byte = exc.object[exc.start:exc.start + 1].hex().upper() if exc.object else "?"
    cpg = _sidecar(path, ".cpg") if path.suffix.lower() == ".shp" else None
    said = ""
    if cpg is not None:
        try:
            said = f" its {cpg.name} says {cpg.read_text(errors='replace').strip()!r},"
        except OSError:
            said = ""
    fix = (f"write the .dbf's encoding in {cpg.name} (e.g. ISO-8859-1 or 1252), or save the "
           "file as UTF-8" if cpg is not None else "save the file as UTF-8 (e.g. ogr2ogr "
           "-lco ENCODING=UTF-8, or a GeoPackage)")
    return InputFileError(
        f"{path}: its attribute text is not {exc.encoding} as read ({said} byte 0x{byte} "
        f"cannot be decoded): {fix}".replace("( ", "("))


COORDINATE_LIMIT = 1e10
"""A coordinate of larger magnitude (in the layer's own units) is no place on Earth in any
CRS: an export's overflow or fill. GDAL's rasteriser skips such a polygon without a word."""


def check_coordinates(geoms: gpd.GeoSeries, path: Path | str, *, layer: str | None) -> None:
    """Refuse geometries holding a coordinate that is not finite (NaN, infinite) or beyond
    :data:`COORDINATE_LIMIT`.

    GEOS cannot measure them: a NaN vertex ended in ``internal error: GEOSException``, or
    silently dropped the line it was in from every distance; a polygon at 1e30 was left
    out of the rasterised codes without a word.

    Raises
    ------
    DataError
        Naming the count of such features and the first such coordinate.
    """
    arr = np.asarray(geoms.to_numpy(), dtype=object)
    coords, which = shapely.get_coordinates(arr, return_index=True)
    if coords.size == 0:
        return
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(coords) < COORDINATE_LIMIT).all(axis=1)
    if not bad.any():
        return
    rows = np.unique(which[bad])
    x, y = coords[bad][0]
    raise DataError(
        f"{path}: {rows.size} feature(s) of layer {layer or '(first)'} hold coordinates that "
        f"are not finite or beyond +-{COORDINATE_LIMIT:g} (e.g. x={x:.10g}, y={y:.10g}), "
        "no place a distance or a cell can be measured from; fix or delete those features (e.g. "
        "QGIS's Check Validity, or ogr2ogr -where on their ids)")


def _mojibake(text: str) -> bool:
    """Whether ``text`` is UTF-8 bytes decoded in a single-byte code page (``grÃ¨s``)."""
    for encoding in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
        if fixed != text:
            return True
    return False


@functools.lru_cache(maxsize=32)
def _utf8_in_code_page(path: str, _mtime: int, _size: int, layer: str | None) -> str:
    quiet_measured()
    try:
        df = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    except Exception:  # the read proper names what is wrong with the file
        return ""
    texts: set[str] = set()
    for column in df.columns:
        if df[column].dtype == object or pd.api.types.is_string_dtype(df[column]):
            texts.update(v for v in df[column].tolist()
                         if isinstance(v, str) and not v.isascii())
        if len(texts) > 10_000:
            break
    # every non-ASCII text, not one: Latin-1 names that happen to form UTF-8 are rare, all
    # of a column's accented names doing so is not chance
    if not texts or not all(_mojibake(t) for t in texts):
        return ""
    return min(texts)


def utf8_read_as_code_page(path: Path | str, layer: str | None = None) -> str:
    """A text of a Shapefile read in a single-byte code page that is UTF-8 (``grÃ¨s`` for
    ``grès``), or ``""``: its ``.cpg`` is missing (GDAL takes ISO-8859-1) or names another
    code page. Decided once per file version and process."""
    path = Path(path)
    if path.suffix.lower() not in (".shp", ".dbf"):
        return ""
    dbf = _sidecar(path, ".dbf")
    if dbf is None:
        return ""
    try:
        st = dbf.stat()
    except OSError:
        return ""
    return _utf8_in_code_page(str(path), st.st_mtime_ns, st.st_size, layer)


def recoded_message(path: Path | str, example: str) -> str:
    """The data warning for a Shapefile's UTF-8 text read as UTF-8 against its ``.cpg``."""
    path = Path(path)
    cpg = _sidecar(path, ".cpg")
    said = "no .cpg is beside it"
    if cpg is not None:
        try:
            said = f"its {cpg.name} says {cpg.read_text(errors='replace').strip()!r}"
        except OSError:
            said = f"its {cpg.name} cannot be read"
    good = example.encode("cp1252", errors="ignore").decode("utf-8", errors="replace")
    return (f"{path}: its attribute text is UTF-8 but {said}, so GDAL read it in a "
            f"single-byte code page ({example!r} for {good!r}); it is read as UTF-8: write "
            f"UTF-8 in {path.with_suffix('.cpg').name} to say so")


def _read(path: Path, layer: str | None, **kwargs: Any) -> Any:
    """``pyogrio.read_dataframe`` with the reader's repairs: a Shapefile's UTF-8 text read as
    UTF-8 (:func:`utf8_read_as_code_page`); rings that are not closed (GDAL reads them,
    GEOS refuses them: ``internal error: GEOSException``) closed and counted; NumPy's
    "invalid value" warnings of NaN coordinates kept off the terminal (they are refused by
    :func:`check_coordinates`)."""
    example = utf8_read_as_code_page(path, layer)
    encoding = "UTF-8" if example else None
    quiet_measured()
    try:
        with np.errstate(invalid="ignore"):
            try:
                df = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, **kwargs)
                closed = 0
            except GEOSException:
                df = pyogrio.read_dataframe(path, layer=layer, encoding=encoding,
                                            on_invalid="fix", **kwargs)
                lost = pyogrio.read_dataframe(path, layer=layer, encoding=encoding,
                                              on_invalid="ignore", **kwargs)
                closed = int(lost.geometry.isna().sum() - df.geometry.isna().sum())
    except (DataSourceError, DataLayerError) as exc:
        raise InputFileError(f"{path}: cannot read layer {layer!r}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise _not_decoded(path, exc) from None
    except GEOSException as exc:
        raise InputFileError(f"{path}: a geometry of layer {layer or '(first)'} cannot be "
                             f"read ({exc}); repair the file (e.g. ogr2ogr -makevalid)"
                             ) from None
    if closed:
        df.attrs["closed"] = closed
    if example:
        df.attrs["recoded"] = example
    return df


def list_layers(path: Path | str) -> list[str]:
    """Layer names of a vector file."""
    path = Path(path)
    if not (path.is_file() or path.is_dir()):  # a folder may be one (a FileGDB)
        raise InputFileError(f"{path}: {why_unreadable(path, 'vector file')}")
    _check_shapefile(path)
    try:
        quiet_measured()
        return [str(row[0]) for row in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError) as exc:
        raise InputFileError(f"{path}: cannot read as a vector file (corrupt?): {exc}") from None


def _check_layer(path: Path, layer: str | None) -> None:
    """An unknown ``layer`` is refused, and so is ``None`` for a file of several layers
    (GDAL would take the first, another table than meant, with a bare Python warning)."""
    layers = list_layers(path)
    if layer is not None and layer not in layers:
        raise DataError(f"{path}: no layer {layer!r}; layers are {layers}")
    if layer is None and len(layers) > 1:
        raise DataError(f"{path}: holds {len(layers)} layers ({', '.join(layers)}); name the "
                        "one to read with 'layer:' in the config")


def layer_crs(path: Path | str, *, layer: str | None = None, crs: str | None = None) -> str:
    """WKT of a layer's CRS (``crs`` when given or when the file carries none)."""
    path = Path(path)
    _check_layer(path, layer)
    if crs is not None:
        return parse_crs(crs).to_wkt()
    quiet_measured()
    info = pyogrio.read_info(path, layer=layer)
    if info.get("crs") is None:
        raise _no_crs(path)
    return parse_crs(info["crs"]).to_wkt()


def layer_fields(path: Path | str, *, layer: str | None = None) -> list[str]:
    """The attribute columns of a layer (its header only)."""
    quiet_measured()
    return [str(c) for c in pyogrio.read_info(path, layer=layer)["fields"]]


def read_attribute(path: Path | str, column: str, *, layer: str | None = None) -> list[str]:
    """Values of ``column`` as unit names (:func:`unit_name`; no geometry is read)."""
    path = Path(path)
    _check_layer(path, layer)
    df = _read(path, layer, columns=[column], read_geometry=False)
    if column not in df.columns:
        have = layer_fields(path, layer=layer)
        raise DataError(f"{path}: layer {layer or '(first)'} has no column {column!r}; "
                        f"columns are {have[:30]}{_nearest(column, have)}")
    return [unit_name(v) for v in df[column].tolist()]


def read_vector(
    path: Path | str, *, layer: str | None = None, columns: list[str] | None = None,
    crs: str | None = None, to_crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    keep: Callable[[gpd.GeoDataFrame], Any] | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector layer, optionally only features meeting ``bbox`` (in the file's CRS).

    Parameters
    ----------
    path, layer
        File and layer (``None``: the first layer).
    columns
        Attribute columns to read (``None``: all); each must exist.
    crs
        CRS to assume when the file carries none.
    to_crs
        Reproject the result to this CRS.
    bbox
        Only features intersecting this box, in the file's CRS.
    keep
        Only the rows this function of the table selects (a boolean mask), chosen before
        invalid geometries are repaired: picking one country of a world file repaired the
        52 invalid countries of Natural Earth's first (~5 s), now only those kept.

    Rings whose last point is not their first are closed (their count in
    ``gdf.attrs["closed"]``), and a Shapefile's UTF-8 text read in a single-byte code page
    (a missing or wrong ``.cpg``) is read again as UTF-8 (``gdf.attrs["recoded"]``), for
    the caller's warning.

    Raises
    ------
    InputFileError
        Missing or unreadable file or layer.
    CRSError
        No CRS in the file and none given, or an unknown CRS.
    DataError
        Unknown layer or column; a coordinate that is not finite or beyond
        :data:`COORDINATE_LIMIT`.
    """
    path = Path(path)
    _check_layer(path, layer)
    try:
        gdf = _read(path, layer, columns=columns, bbox=bbox)
    except ValueError as exc:
        if isinstance(exc, InputFileError | DataError | UnicodeDecodeError):
            raise
        raise DataError(f"{path}: {exc}") from None
    for col in columns or []:
        if col not in gdf.columns:
            have = [str(c) for c in gdf.columns if c != "geometry"]
            raise DataError(f"{path}: no column {col!r}; columns are {have}"
                            f"{_nearest(col, have)}")
    if gdf.crs is None:
        if crs is None:
            raise _no_crs(path)
        gdf = gdf.set_crs(parse_crs(crs).to_wkt(), allow_override=True)
    elif crs is not None:
        gdf = gdf.set_crs(parse_crs(crs).to_wkt(), allow_override=True)
    if keep is not None:
        gdf = gdf[keep(gdf)]
    check_coordinates(gdf.geometry, path, layer=layer)
    gdf = _repair(gdf)
    if to_crs is not None:
        gdf = gdf.to_crs(parse_crs(to_crs).to_wkt())
    return gdf


def has_geometry(geoms: gpd.GeoSeries) -> np.ndarray:
    """Which rows hold a geometry that is neither missing nor empty (a boolean array).

    ``GeoSeries.notna()`` alone changed meaning in geopandas 1.0 (empty geometries now
    count as present) and warns on every call that meets one; this asks shapely both
    questions directly, without the warning reaching the user's terminal.
    """
    arr = np.asarray(geoms.to_numpy(), dtype=object)
    mask: np.ndarray = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    return mask


def _repair(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Invalid geometries (self-intersections, bad rings) made valid with ``make_valid``.

    The count and the first row numbers go to ``gdf.attrs["repaired"]`` for the caller's
    warning, and the positions of lines of no length among them (repaired to points) to
    ``gdf.attrs["flat_lines"]``; GEOS never sees an invalid geometry downstream.
    """
    geoms = gdf.geometry
    present = has_geometry(geoms)
    invalid = present & ~geoms.is_valid.to_numpy()
    if invalid.any():
        # a line of no length (every vertex at one place) is invalid and repaired to a point:
        # the rows, for a faults layer's error to name them as the lines they were
        kinds = shapely.get_type_id(np.asarray(geoms.to_numpy(), dtype=object))
        flat = invalid & np.isin(kinds, (1, 5))  # LineString, MultiLineString
        gdf = gdf.copy()
        if flat.any():
            gdf.attrs["flat_lines"] = [int(i) for i in flat.nonzero()[0]]
        gdf.loc[invalid, gdf.geometry.name] = geoms[invalid].make_valid()
        gdf.attrs["repaired"] = [int(i) + 1 for i in invalid.nonzero()[0]]
    return gdf
