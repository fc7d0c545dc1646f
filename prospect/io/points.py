"""Point and polygon tables (wells, samples, occurrences): the one reader of every stage.

A table is a CSV/TXT/TSV file with coordinate columns, or any vector file GDAL reads
(GeoPackage, Shapefile, GeoJSON). One rule for each thing that can differ between readers:

* **encoding**: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's
  "Unicode text"), else Latin-1; a file with NUL bytes and no UTF-16 mark is refused;
* **delimiter**: a tab for ``.tsv``, otherwise sniffed (comma, semicolon, tab...); column
  names are stripped of surrounding spaces; a coordinate or value column named twice is
  refused (which one is meant cannot be told);
* **values**: a cell of a value column that is not a finite number (``<0.5``, ``inf``) is
  read as missing, with a warning naming its lines;
* **CRS**: a CSV's coordinates are in the configured ``crs`` (default WGS 84 lon/lat); a
  vector file's own CRS is used unless the config names one (then the config wins, for
  files whose ``.prj`` is wrong); a vector file that carries none needs the config's
  ``crs`` (the CSV default, lon/lat, is never assumed for it). :func:`source_options`
  turns a points source's config into these arguments, so ingest, training, fold-aware
  surfaces and the score stage's map metrics read a source the same way.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from prospect.errors import CRSError, DataError, DataWarning, InputFileError
from prospect.grid import parse_crs
from prospect.io.files import why_unreadable
from prospect.io.vector import has_geometry, read_vector

__all__ = ["PointTable", "read_features", "read_points", "read_table", "source_options",
           "valid_in_crs"]

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}


@dataclass(frozen=True)
class PointTable:
    """Point coordinates in a target CRS and their numeric columns (NaN where missing)."""

    x: np.ndarray
    y: np.ndarray
    values: dict[str, np.ndarray]
    crs: str
    path: str

    def __len__(self) -> int:
        return int(self.x.size)


def valid_in_crs(xs: np.ndarray, ys: np.ndarray, crs: Any) -> np.ndarray:
    """Which coordinates a geographic ``crs`` allows (all, for a projected one).

    PROJ wraps a longitude of 400 to 40 without a word and makes a latitude of 200 infinite:
    both are refused here (longitudes may run 0..360).
    """
    ok = np.isfinite(xs) & np.isfinite(ys)
    if getattr(crs, "is_geographic", False):
        with np.errstate(invalid="ignore"):
            ok &= (np.abs(ys) <= 90) & (xs >= -180) & (xs <= 360)
    return ok


def source_options(source: Any) -> dict[str, Any]:
    """Reader arguments of a points source config (``x``, ``y``, ``crs``, ``layer``,
    ``override_crs``): a ``crs`` written in the config overrides the file's own."""
    return {"x": source.x, "y": source.y, "crs": source.crs, "layer": source.layer,
            "override_crs": "crs" in source.model_fields_set}


def read_table(path: Path | str) -> pd.DataFrame:
    """A text table with the module's encoding and delimiter rules.

    Raises
    ------
    InputFileError
        The file cannot be parsed as a table.
    DataError
        The file is empty.
    """
    path = Path(path)
    sep = "\t" if path.suffix.lower() == ".tsv" else None
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the table: {exc.strerror or exc}") from None
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf16 and b"\0" in head:
        raise InputFileError(
            f"{path}: not a text table (it holds NUL bytes: a binary file, or UTF-16 without "
            "a byte-order mark); save it as CSV (UTF-8)")
    try:
        with _wide_fields():
            try:
                frame, header = _read_csv(path, sep, "utf-16" if utf16 else "utf-8-sig")
            except UnicodeDecodeError:
                if utf16:
                    raise InputFileError(f"{path}: not valid UTF-16 text") from None
                frame, header = _read_csv(path, sep, "latin-1")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the point table is empty") from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputFileError(f"{path}: cannot read as a table: {exc}") from None
    _refuse_mixed_delimiters(frame, path)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["repeated_columns"] = sorted(n for n, k in Counter(header).items() if k > 1)
    return frame


def _refuse_mixed_delimiters(frame: pd.DataFrame, path: Path) -> None:
    """A header split into columns over rows that each fill only the first one, holding
    another delimiter: the header and the rows are separated differently (``x;y;li`` over
    ``1.5,2.5,3``), and every column but the first was read as empty."""
    if frame.shape[1] < 2 or not len(frame) or not frame.iloc[:, 1:].isna().all().all():
        return
    first = frame.iloc[:, 0].dropna().astype(str)
    if first.empty:
        return
    other = next((d for d in (",", ";", "\t", "|") if first.str.contains(d, regex=False).all()),
                 None)
    if other is not None:
        raise InputFileError(
            f"{path}: the header has {frame.shape[1]} columns but every row fills only the "
            f"first, holding {other!r} (e.g. {first.iloc[0][:60]!r}): the header and the rows "
            "use different delimiters; save the table with one delimiter throughout")


FIELD_BYTES_MAX = 2**28
"""Longest field a text table may hold: a WKT geometry column (a QGIS export) runs past
the :mod:`csv` module's default of 128 KiB, which refused the whole table."""


@contextmanager
def _wide_fields() -> Iterator[None]:
    """Let :mod:`csv` (which pandas' Python engine uses) read fields up to
    :data:`FIELD_BYTES_MAX`. The limit is the process's; it is raised, never lowered
    again, as another thread may be reading a table."""
    if csv.field_size_limit() < FIELD_BYTES_MAX:
        csv.field_size_limit(FIELD_BYTES_MAX)
    yield


def _read_csv(path: Path, sep: str | None, encoding: str) -> tuple[pd.DataFrame, list[str]]:
    """The table and its header as written (stripped; pandas renames a repeated name).

    ``sep=None`` sniffs the delimiter; a table too small to sniff is read as CSV.
    """
    try:
        frame = pd.read_csv(path, sep=sep, engine="python", encoding=encoding)
    except csv.Error:
        if sep is not None:
            raise
        sep = ","
        frame = pd.read_csv(path, sep=sep, engine="python", encoding=encoding)
    first = pd.read_csv(path, sep=sep, engine="python", encoding=encoding, header=None,
                        nrows=1, dtype=str, keep_default_na=False)
    lines = _record_lines(path, sep, encoding)
    if lines is not None and len(lines) == len(frame):
        frame.attrs["lines"] = lines
    return frame, [str(c).strip() for c in first.iloc[0]] if len(first) else []


def _record_lines(path: Path, sep: str | None, encoding: str) -> np.ndarray | None:
    """The physical line on which each record of the table starts (the header is line 1).

    A quoted field may hold line breaks and blank lines are skipped, so a record's line is
    not its index + 2. The records are found as pandas' Python engine finds them (the
    header's delimiter sniffed, then :mod:`csv` with its dialect); ``None`` where that
    cannot be told.
    """
    try:
        with path.open(encoding=encoding, newline="") as fh:
            header = fh.readline()
            if sep is None:
                try:
                    sep = csv.Sniffer().sniff(header).delimiter
                except csv.Error:
                    sep = ","
            reader = csv.reader(fh, delimiter=sep, quotechar='"', strict=True)
            starts: list[int] = []
            end = 1
            for row in reader:
                start, end = end + 1, 1 + reader.line_num
                if len(row) > 1 or (len(row) == 1 and row[0].strip()):
                    starts.append(start)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return np.asarray(starts, dtype="i8")


def _measured(series: pd.Series, path: Path, column: str, keep: np.ndarray,
              numbers: np.ndarray, what: str) -> np.ndarray:
    """The ``keep`` records of a value column as numbers; a kept cell that is not a finite
    number becomes NaN and a :class:`DataWarning` names how many and where (``numbers``:
    each record's line or feature number)."""
    values = _numeric(series, path, column)
    text = series.astype(str).str.strip()
    bad = ~np.isfinite(values) & (series.notna() & (text != "")).to_numpy() & keep
    if bad.any():
        at = bad.nonzero()[0]
        rows = [int(numbers[i]) for i in at]
        warnings.warn(DataWarning(
            f"{path}: {len(rows)} of {int(keep.sum())} value(s) in column {column!r} are not "
            f"finite numbers and are read as missing ({what}{'s' if len(rows) > 1 else ''} "
            f"{', '.join(map(str, rows[:5]))}{', ...' if len(rows) > 5 else ''}; e.g. "
            f"{series.iloc[int(at[0])]!r})"), stacklevel=3)
        values = np.where(bad, np.nan, values)
    return values[keep]


def _numeric(series: pd.Series, path: Path, column: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna() & (series.astype(str).str.strip() != "")
    if bad.all() and len(series):
        example = str(series.iloc[0]).strip()
        comma = re.fullmatch(r"[-+]?\d+,\d+", example) is not None
        raise DataError(
            f"{path}: column {column!r} holds no numbers (e.g. {series.iloc[0]!r}); "
            + ("these look like decimal commas: export the table with decimal points"
               if comma else "pick a numeric column"))
    return values.to_numpy(dtype="f8")


def read_features(
    path: Path | str, *, x: str = "lon", y: str = "lat", crs: str | None = "EPSG:4326",
    layer: str | None = None, columns: list[str] | None = None, override_crs: bool = False,
) -> gpd.GeoDataFrame:
    """Every record of a point or polygon table, in its own CRS (the module's CRS rule).

    A CSV's records become points from its ``x``/``y`` columns (no geometry where a
    coordinate is missing); a vector file's keep their geometries. ``columns`` must exist.

    Raises
    ------
    InputFileError
        Missing or unreadable file.
    DataError
        Empty table, missing columns, non-numeric coordinates.
    CRSError
        A vector file without a CRS and none configured.
    """
    path = Path(path)
    columns = list(columns or [])
    if not path.is_file():
        raise InputFileError(f"{path}: {why_unreadable(path, 'point table')}")
    if path.suffix.lower() in TEXT_SUFFIXES:
        frame = read_table(path)
        missing = [c for c in (x, y, *columns) if c not in frame.columns]
        twice = [c for c in dict.fromkeys((x, y, *columns))
                 if c in frame.attrs.get("repeated_columns", [])]
        if twice:
            raise DataError(
                f"{path}: column(s) {twice} appear more than once in the header; rename "
                "or remove the extra one so the column to read is clear")
        if missing:
            raise DataError(
                f"{path}: no column(s) {missing}; columns are {list(frame.columns)[:30]}; "
                "set x/y (coordinates) or columns in the points source"
            )
        xs, ys = _numeric(frame[x], path, x), _numeric(frame[y], path, y)
        geometry = gpd.points_from_xy(xs, ys)
        geometry[~(np.isfinite(xs) & np.isfinite(ys))] = None
        gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs=parse_crs(crs or "EPSG:4326"))
        gdf.attrs["lines"] = frame.attrs.get("lines")
        return gdf
    try:
        return read_vector(path, layer=layer, columns=columns or None,
                           crs=crs if override_crs else None)
    except CRSError:  # the file carries no CRS: use the one the config names, if any
        if crs is None or not override_crs:  # never the CSV default (lon/lat) unasked
            raise
        return read_vector(path, layer=layer, columns=columns or None, crs=crs)


def read_points(
    path: Path | str, *, x: str = "lon", y: str = "lat", crs: str = "EPSG:4326",
    columns: list[str] | None = None, layer: str | None = None, to_crs: str,
    override_crs: bool = False,
) -> PointTable:
    """Read a point table (:func:`read_features`) and project it to ``to_crs``.

    Records without coordinates are dropped; ``columns`` are read as numbers.

    Raises
    ------
    InputFileError
        Missing or unreadable file.
    DataError
        Empty table, missing or non-numeric columns, non-point geometry.
    """
    path = Path(path)
    columns = list(columns or [])
    target = parse_crs(to_crs)
    gdf = read_features(path, x=x, y=y, crs=crs, layer=layer, columns=columns,
                        override_crs=override_crs)
    keep = has_geometry(gdf.geometry)
    text = path.suffix.lower() in TEXT_SUFFIXES
    what = "line" if text else "feature"
    numbers = gdf.attrs.get("lines") if text else None  # the file's physical lines
    if numbers is None:  # the header is line 1; features count from 1
        numbers = np.arange(len(gdf)) + (2 if text else 1)
    coords = f"coordinates {x}/{y}" if text else "coordinates"  # a vector file: its geometry
    if keep.any() and not keep.all():
        rows = [int(numbers[i]) for i in (~keep).nonzero()[0]]
        warnings.warn(DataWarning(
            f"{path}: {len(rows)} of {len(keep)} row(s) without usable {coords} "
            f"dropped ({what}{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:5]))}"
            f"{', ...' if len(rows) > 5 else ''})"), stacklevel=2)
    kinds = sorted(set(gdf.geom_type[keep]))
    if kinds and kinds != ["Point"]:
        raise DataError(f"{path}: expected point geometries, found {kinds}; give one point per "
                        "feature (multi-points split, e.g. ogr2ogr -explodecollections; "
                        "polygons as their centroids)")
    if not keep.any():
        raise DataError(f"{path}: the point table is empty (no rows with {coords})")
    points = gdf.geometry[keep]
    xs, ys = points.x.to_numpy(dtype="f8"), points.y.to_numpy(dtype="f8")
    values = {c: _measured(pd.Series(gdf[c]).reset_index(drop=True), path, c, keep, numbers,
                           what) for c in columns}
    tx, ty = Transformer.from_crs(gdf.crs, target, always_xy=True).transform(xs, ys)
    tx, ty = np.asarray(tx, "f8"), np.asarray(ty, "f8")
    fits = np.isfinite(tx) & np.isfinite(ty) & valid_in_crs(xs, ys, gdf.crs)
    if not fits.all():  # outside the CRS's domain (a latitude of 200): PROJ gives inf
        rows = [int(numbers[i]) for i in keep.nonzero()[0][~fits]]
        if not fits.any():
            said = "the crs" if text else \
                "the crs (the file's own, or WGS 84 for a GeoJSON without one: give 'crs:')"
            raise DataError(
                f"{path}: no row's {coords} are valid in {gdf.crs.name} (e.g. "
                f"{xs[0]:g}, {ys[0]:g}); check the coordinate columns and {said}"
                if text else f"{path}: no feature's coordinates are valid in {gdf.crs.name} "
                f"(e.g. {xs[0]:g}, {ys[0]:g}); check {said}")
        warnings.warn(DataWarning(
            f"{path}: {len(rows)} of {len(keep)} row(s) with {coords} outside what "
            f"{gdf.crs.name} allows dropped ({what}{'s' if len(rows) > 1 else ''} "
            f"{', '.join(map(str, rows[:5]))}{', ...' if len(rows) > 5 else ''})"),
            stacklevel=2)
        tx, ty = tx[fits], ty[fits]
        values = {c: v[fits] for c, v in values.items()}
    epsg = target.to_epsg()
    return PointTable(x=tx, y=ty, values=values,
                      crs=f"EPSG:{epsg}" if epsg else target.to_wkt(), path=str(path))
