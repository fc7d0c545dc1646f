"""Point and polygon tables (wells, samples, occurrences): the one reader of every stage.

A table is a CSV/TXT/TSV file with coordinate columns, or any vector file GDAL reads
(GeoPackage, Shapefile, GeoJSON, KML, GPX, FlatGeobuf), or GeoParquet
(:mod:`prospect.io.geoparquet`; a Parquet file without its ``geo`` metadata is a table read
by its ``x``/``y`` columns, as a CSV). One rule for each thing that can differ between
readers:

* **encoding**: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's
  "Unicode text"), else Windows-1252 (an ANSI file); a file with NUL bytes and no UTF-16
  mark is refused; UTF-8
  text with a few bytes that are not UTF-8 (one cell typed on another machine) is read as
  UTF-8, each such byte as Windows-1252, with a warning naming its lines;
* **delimiter**: a tab for ``.tsv``, otherwise sniffed (comma, semicolon, tab...); column
  names are stripped of surrounding spaces; a coordinate or value column named twice is
  refused (which one is meant cannot be told); a delimiter ending the rows but not the
  header is no column, and a row with more values than the header has names is refused;
* **numbers**: decimal points, or decimal commas with ``.`` separating thousands
  (``1.250,5``: a European export), as the source's ``decimal`` says or as the table's
  numbers show; thousands grouped by spaces (``1 250,5``; a no-break or narrow no-break
  space too, as French and SI exports write them) are read in either notation, and by
  commas in decimal points (a quoted ``"1,250.5"``); a table whose numbers could be read
  either way (``1.250``, or a quoted ``"1,250"`` in a comma-separated table, and nothing
  that tells) or that writes both is refused for the columns read, naming a value and
  ``decimal:``;
* **values**: a cell of a value column that is not a finite number (``<0.5``, ``inf``) is
  read as missing, with a warning naming its lines; so is a value the source declares
  ``nodata`` (counted in a warning), and a common fill value (-9999...) that is not
  declared, found on two or more rows, is a warning naming it and ``nodata:``;
* **companions**: a column beside a value column that says how to read it
  (:mod:`prospect.io.companions`): a qualifier (``Li_ppm_Q``: ``<``) or detection-limit
  column marks values below (or above) a limit, read as missing with a warning, as
  ``<0.5`` is; a negative concentration (``Li_ppm``: -0.5 for ``<0.5``) likewise; a unit
  column of several units or an analyte column of several analytes (a long lab table)
  is refused;
* **layout**: a second header row of units is skipped (a warning names them), rows of
  delimiters alone are blank, Fortran's ``1.5D+03`` is a number; a workbook (``.xlsx``,
  ``.ods``) is read as a table (an ``.xlsx`` sheet's number cells stay numbers beside
  text numbers, a header cell merged down fills each row, one merged across the columns
  read is refused, its hidden rows are said; date cells are dates, never numbers); a
  file that is no text (a workbook or database under a ``.csv`` name, NUL bytes) is
  refused naming what it is, or where;
* **containers**: a compressed table (``.csv.gz``, ``.bz2``, ``.xz``, or a ``.csv`` saved
  still gzip-encoded), a ``.zip`` holding one table and no vector file (``layer:`` picks
  one of several), and GDAL's ``/vsizip/``/``/vsigzip/`` names of them are read as the
  table inside; a raster given as points (an ESRI ASCII grid ``.asc``, a GeoTIFF, a
  NetCDF) is refused naming it, and a point table named ``.asc`` is a table;
* **geometry twice**: a WKT column (``POINT (5.1 52.1)``) beside the ``x``/``y`` columns
  that places rows elsewhere (beyond the decimals either writes) is refused naming the
  rows; a multi-point whose parts are one place is that point;
* **records**: records that repeat an earlier one exactly (:func:`repeated_records`, the
  labels' rule too) are warned of with their lines; a vector file whose axes are swapped
  (a GeoJSON written lat, lon) is refused with that format's fix
  (:func:`swapped_axes_fix`);
* **CRS**: a CSV's coordinates are in the configured ``crs`` (default WGS 84 lon/lat); a
  vector file's own CRS is used unless the config names one (then the config wins, for
  files whose ``.prj`` is wrong); a vector file that carries none needs the config's
  ``crs`` (the CSV default, lon/lat, is never assumed for it). :func:`source_options`
  turns a points source's config into these arguments, so ingest, training, fold-aware
  surfaces and the score stage's map metrics read a source the same way.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from prospect.errors import CRSError, DataError, DataWarning, InputFileError
from prospect.grid import check_transformable, parse_crs, xy_transformer
from prospect.ingest.fills import COMMON_FILLS
from prospect.io.companions import (
    CONCENTRATION_UNITS,
    LIMIT_WORDS,
    Limited,
    Qualifier,
    companion_names,
    element_named,
    is_concentration,
    limited_values,
    qualifier_column,
    refuse_mixed_rows,
    related_columns,
    row_units,
    stated_concentration,
)
from prospect.io.files import why_unreadable, zip_unreadable
from prospect.io.geoparquet import is_parquet, read_parquet, wkb_hint
from prospect.io.vector import (
    _sidecar,
    check_columns,
    column_alias_hint,
    crs_replaced_message,
    dbf_overflows,
    domains_message,
    ground_shift,
    has_geometry,
    layer_info,
    list_layers,
    map_layers,
    named_codes,
    near_column,
    read_vector,
    retyped_message,
    source_name,
    text_coordinates,
    text_coordinates_said,
)

__all__ = ["HALF_LIMIT_NOTE", "POINT_FILLS", "SAME_VALUE_SHARE", "PointTable", "as_path",
           "ascii_grid_header",
           "cell_metres", "coarse_degrees", "column_values", "column_values_and_limits",
           "coordinates_without_geometry", "crs_meant", "depth_intervals",
           "header_again_said",
           "is_text_table", "least_possible", "metres_hint", "no_numbers_hint", "placeless_said",
           "radius_column", "raster_kind", "read_features", "read_points", "read_table",
           "refuse_repeated_columns", "refuse_swapped_axes", "refuse_unreadable",
           "repeated_records", "source_options", "swapped_axes_fix", "swapped_into_region",
           "turned_into_region", "uncertain_places", "valid_in_crs",
           "warn_bottom_hole_places",
           "warn_coarse_coordinates", "warn_coarse_vertices", "warn_depth_intervals",
           "warn_ids_at_several_places",
           "warn_ids_with_other_values", "warn_swapped_rows"]

TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".dat", ".xyz", ".prn", ".gslib", ".gsl"}
"""Text tables: CSV and TSV, and the names survey software gives them (a logger's or a
lab's ``.dat``, Geosoft's and Surfer's ``.xyz``, a fixed-width ``.prn``, a GSLIB or SGeMS
point file's ``.gslib``): GDAL opens none of the last four, and they were "cannot read as
a vector file (corrupt?)"."""
SHEET_SUFFIXES = {".xlsx", ".xlsm", ".ods", ".xls"}
"""Spreadsheets, read as tables with coordinate columns (their first row the header)."""


@dataclass(frozen=True)
class PointTable:
    """Point coordinates in a target CRS and their numeric columns (NaN where missing)."""

    x: np.ndarray
    y: np.ndarray
    values: dict[str, np.ndarray]
    crs: str
    path: str
    source_crs: str = ""
    """The CRS the file's coordinates were read in (the config's, or a vector file's own)."""
    lines: np.ndarray | None = None
    """Each point's line in a text table (row of a sheet, feature of a vector file)."""
    units: dict[str, str] = field(default_factory=dict)
    """Column -> the units a second header row of units gives it (``m,m,mg/L``), or its
    cells (``1.2 ppm``, a sheet's percentage cells)."""
    units_where: dict[str, str] = field(default_factory=dict)
    """Column -> where :attr:`units` are stated when not in a units row (``"in its cells
    ('1.2 ppm')"``), for the messages naming them."""
    halved: dict[str, np.ndarray] = field(default_factory=dict)
    """Column -> which points' values are half a detection limit they were below (read so
    for a surface: :func:`read_points`'s ``below_as_half``)."""

    def __len__(self) -> int:
        return int(self.x.size)

    def take(self, keep: np.ndarray) -> PointTable:
        """The points ``keep`` (a mask or indices) with every per-point field cut alike:
        coordinates, values, lines and half-limit flags (a field rebuilt by hand and
        left out was the whole column's, misaligned)."""
        return replace(
            self, x=self.x[keep], y=self.y[keep],
            values={c: v[keep] for c, v in self.values.items()},
            lines=None if self.lines is None else self.lines[keep],
            halved={c: h[keep] for c, h in self.halved.items()})


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
    ``override_crs``, ``decimal``, ``nodata``, ``flags``, ``units``, ``max_radius``,
    ``radius_column``, ``limits``): a ``crs`` written in the config overrides the file's own; a
    ``flags`` entry with codes is a :class:`~prospect.io.companions.Qualifier`; ``units``
    say which columns are concentrations (never negative); ``max_radius`` leaves out the
    records whose location radius exceeds it (:func:`uncertain_places`)."""
    flags = {key: flag if isinstance(flag, str) else
             Qualifier.of(flag.column, flag.below, flag.above)
             for key, flag in source.flags.items()}
    return {"x": source.x, "y": source.y, "crs": source.crs, "layer": source.layer,
            "override_crs": "crs" in source.model_fields_set, "decimal": source.decimal,
            "nodata": source.nodata_values(), "flags": flags,
            "units": dict(getattr(source, "units", None) or {}),
            "max_radius": getattr(source, "max_radius", None),
            "radius_column": getattr(source, "radius_column", None),
            "limits": dict(getattr(source, "limits", None) or {})}


def read_table(path: Path | str, *, decimal: str | None = None,
               member: str | None = None, skip: int = 0) -> pd.DataFrame:
    """A text table with the module's encoding, delimiter and number rules.

    A compressed table (``.csv.gz``, ``.bz2``, ``.xz``) is read as its text, and a ``.zip``
    holding one table (or the one ``member`` names) as that table, as pandas and GDAL
    (``/vsigzip/``, ``/vsizip/``) read them. ``skip`` lines above the header (a title) are
    not read; lines keep their numbers in the file.

    ``decimal`` is the decimal separator of the table's numbers (``"."``, or ``","`` with
    ``.`` separating thousands); ``None`` takes it from the numbers themselves. The frame's
    ``attrs`` keep it (``decimal``) and, for columns whose numbers cannot be read without
    knowing it, why (``undecided``): :func:`column_values` refuses those.

    Raises
    ------
    InputFileError
        The file cannot be parsed as a table.
    DataError
        The file is empty.
    """
    path = Path(path)
    raw, inner = _table_bytes(path, member)
    sep = "\t" if inner.suffix.lower() == ".tsv" else None
    _refuse_grid(raw, path)
    text = _decode(raw, path)
    _refuse_markup(text, path)
    if skip:
        text = "\n".join(text.split("\n")[skip:])
    text, sep, skipped = _layout(text, sep, path)
    skipped += skip
    text = _without_commented_records(text, path, skipped)
    try:
        with _wide_fields():
            frame, header = _read_csv(text, path, sep, decimal)
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{path}: the point table is empty"
            + (" (0 bytes): a download or copy that did not finish? export or copy it again"
               if not raw else ": it holds no header and no rows (only blank lines); "
               "export the table again")) from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputFileError(f"{path}: cannot read as a table: {exc}") from None
    _refuse_mixed_delimiters(frame, path)
    if skipped and frame.attrs.get("lines") is not None:
        frame.attrs["lines"] = frame.attrs["lines"] + skipped
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["repeated_columns"] = sorted(n for n, k in Counter(header).items() if k > 1)
    return _without_summary_rows(_without_units_row(frame, path), path)


COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}
"""Suffixes of a compressed text table (``wells.csv.gz``) and the module that opens it."""
UNPACKED_BYTES_MAX = 2**31
"""Most bytes a compressed or zipped table may unpack to (a table is read whole): more is
refused as an archive bomb or a table to give unpacked."""


def as_path(path: Path | str) -> Path:
    """``path`` as a :class:`~pathlib.Path`; a GDAL name given as text
    (``/vsizip//data/wells.zip/wells.csv``) as a :class:`~prospect.config.vsi.GdalPath`,
    which keeps it as written. ``Path()`` made it ``/vsizip/data/wells.zip/wells.csv``, a
    relative archive, and a table there was "cannot unpack the table (No such file or
    directory): the file is damaged or cut short", of a zip that reads."""
    from prospect.config.vsi import GdalPath, gdal_name, is_gdal_name, is_url

    if isinstance(path, Path):
        return path
    if is_url(str(path)):  # (``Path()`` folded ``https://`` to ``https:/``: "not found")
        return GdalPath(gdal_name(str(path), None))
    return GdalPath(path) if is_gdal_name(str(path)) else Path(path)


_FETCH = {"/vsicurl/": ("", "curl -fLO {url}"), "/vsis3/": ("s3://", "aws s3 cp {url} ."),
          "/vsigs/": ("gs://", "gcloud storage cp {url} ."),
          "/vsiaz/": ("az://", "az storage blob download (or azcopy copy {url} .)")}
"""How a table behind each of GDAL's network file systems is downloaded: the scheme its
URL is written with and the command that fetches it."""


_NETWORK_NAME = re.compile(r"(?:/vsi[a-z0-9]+/+\{?)*/vsi(?:curl|s3|gs|az|adls|oss|swift|hdfs|"
                           r"webhdfs)(?:_streaming)?/")
"""A GDAL name read over a network, also inside an archive's (``/vsizip//vsicurl/...``)."""


def _refuse_remote_table(path: Path) -> None:
    """Refuse a text table or spreadsheet named over a network (``/vsicurl/https://...``,
    ``https://...``, ``/vsis3/bucket/wells.csv``), naming how to download it: the point
    reader reads tables from this machine only (GDAL reads vector files over a network),
    and such a name was read as a local file, "cannot unpack the table (No such file or
    directory): the  file is damaged or cut short".

    Raises
    ------
    InputFileError
        ``path`` is a network name of a table.
    """
    name = str(path)
    if not _NETWORK_NAME.match(name):  # (a local folder named 'vsicurl_cache' is no URL)
        return
    inner = Path(name.rstrip("/"))
    suffix = inner.suffix.lower()
    if suffix in COMPRESSED:
        suffix = Path(inner.stem).suffix.lower()
    if suffix not in TEXT_SUFFIXES | {".asc"} | SHEET_SUFFIXES:
        return  # (a GeoPackage or GeoJSON: GDAL reads it over the network)
    found = re.search(r"(/vsi(?:curl|s3|gs|az)/)(.*)", name)
    url = name
    fetch = "with the storage's own client"
    if found is not None and found.group(1) in _FETCH:
        scheme, command = _FETCH[found.group(1)]
        # (an archive behind the URL, ``/vsizip//vsicurl/https://.../a.zip/a.csv``: the zip)
        url = scheme + re.sub(r"(?i)(\.zip|\.gz)/.*$|}.*$", r"\1", found.group(2))
        fetch = command.format(url=url)
    what = "spreadsheet" if suffix in SHEET_SUFFIXES else "text table"
    raise InputFileError(
        f"{name}: a {what} is not read over the network (the point reader reads tables on "
        f"this machine; GDAL reads a GeoPackage or GeoJSON from a URL); download it first "
        f"({fetch}) and give the downloaded file's path in the points source")


def refuse_unreadable(path: Path, what: str = "point table", *, of: Path | None = None
                      ) -> None:
    """Refuse a local ``path`` this user may not read (or reach), saying what denies it and
    how to fix it. A table whose mode forbids reading passed the reader's "is it a file"
    look and failed when opened: "cannot unpack the table (Permission denied): the  file
    is damaged or cut short" (a text table), "cannot read as a vector file (corrupt?)" (a
    GeoPackage), "save the sheet as CSV" (a workbook), "a download or copy that did not
    finish" (a Parquet file), each blaming a sound file; one in a folder that may not be
    entered was Python's own ``PermissionError`` (a traceback) or "cannot be reached
    (permission denied on it or a folder above it)", naming no folder and no fix.

    Parameters
    ----------
    path : Path
        A local file (a folder, a FIFO or a missing file passes: the reader names those).
    what : str
        What the file is, for the message (``"point table"``, ``"occurrence file"``).
    of : Path, optional
        The table ``path`` is a file beside (a Shapefile's ``.dbf``, a table's ``.prj``),
        whose path the config gives.

    Raises
    ------
    InputFileError
        ``path`` (or a folder above it) may not be read by this user.
    """
    said = _denied(path, what, of)
    if said is not None:
        raise InputFileError(said)


_BESIDE_HEAD = 1 << 16
"""Bytes of a file beside a table (a Shapefile's ``.dbf``, ``.cpg``) read before GDAL
reads it (its header, a ``.prj`` or ``.cpg`` whole)."""


def _denied(path: Path, what: str, of: Path | None = None) -> str | None:
    """The message for a ``path`` this user may not read (or a folder above it that may
    not be entered), or ``None`` where it opens (or fails for another reason, named by
    the reader). A file beside the table (``of``) whose first bytes the system fails to
    give is named with the system's words (:func:`system_read_failed`): GDAL read a
    Shapefile whose ``.dbf`` failed as records without columns, and one whose ``.cpg``
    failed in another encoding, without a word."""
    import errno
    import os
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # (a folder, a FIFO: why_unreadable names them; a FIFO blocks)
        with open(path, "rb") as fh:
            if of is not None:  # a file beside the table: GDAL passes over one whose read
                fh.read(_BESIDE_HEAD)  # fails (a .dbf read as no columns, a .cpg as none)
            return None
    except PermissionError:
        pass
    except OSError as exc:
        if exc.errno != errno.EPERM:
            if of is not None and exc.errno is not None and \
                    errno.errorcode.get(exc.errno) not in _NOT_SYSTEM_FAULTS:
                return system_read_failed(path, exc, what, of=of)
            return None
    try:
        os.stat(path)
    except PermissionError:  # a folder above it may not be entered
        folder = next((p for p in reversed(path.absolute().parents)
                       if _stat_denied(p, path)), None)
        if folder is None:
            return (f"{path}: the {what} cannot be reached (permission denied on a folder "
                    "above it); let this user enter its folders (chmod a+x), or copy the "
                    "table to a folder this user can read and give that path")
        return (f"{path}: the {what} cannot be reached: this user may not enter the folder "
                f"{folder} ({_owned(folder)}); let it in (chmod a+x {_quoted(folder)}, by "
                "its owner or an administrator), or copy the table to a folder this user "
                "can read and give that path")
    except OSError:
        return None
    why = "" if not _mode_reads(path) else (
        "; its mode allows reading, so an ACL or a security policy denies it (getfacl, "
        "ls -Z show them)")
    copy = "copy it to a folder this user can read and give that path" if of is None else \
        f"copy {of.name} with the files beside it to a folder this user can read and give " \
        "that path"
    return (f"{path}: the {what} cannot be read: permission denied ({_owned(path)}{why}); "
            f"let this user read it (chmod a+r {_quoted(path)}, by its owner or an "
            f"administrator), or {copy}")


def _stat_denied(folder: Path, path: Path) -> bool:
    """Whether ``folder`` (above ``path``) is reached but the next part of ``path``
    inside it is not: ``folder`` may not be entered (no ``x`` permission)."""
    import os

    inner = path.absolute()
    nxt = folder / inner.relative_to(folder).parts[0]
    try:
        os.stat(folder)
    except OSError:
        return False
    try:
        os.stat(nxt)
    except PermissionError:
        return True
    except OSError:
        return False
    return False


def _owned(path: Path) -> str:
    """``path``'s mode and owner and the user this job runs as, for a message."""
    import os
    import pwd
    import stat

    def user(uid: int) -> str:
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return f"uid {uid}"

    st = os.stat(path)
    return (f"mode {stat.filemode(st.st_mode)}, owner {user(st.st_uid)}; this job runs as "
            f"{user(os.geteuid())}")


def _mode_reads(path: Path) -> bool:
    """Whether ``path``'s mode bits let this user read it (its owner, group or others)."""
    import os
    import stat

    st = os.stat(path)
    if st.st_uid == os.geteuid():
        return bool(st.st_mode & stat.S_IRUSR)
    if st.st_gid == os.getegid() or st.st_gid in os.getgroups():
        return bool(st.st_mode & stat.S_IRGRP)
    return bool(st.st_mode & stat.S_IROTH)


def _quoted(path: Path) -> str:
    """``path`` quoted for a shell, as a command in a message writes it."""
    import shlex

    return shlex.quote(str(path))


def is_text_table(path: Path | str, layer: str | None = None) -> bool:
    """Whether ``path`` is read as a text table (:data:`TEXT_SUFFIXES`, ``.asc``), also
    compressed (``.csv.gz``) or zipped alone (a ``.zip`` holding a table and no vector
    file): its records are lines, counted from the header as line 1."""
    if _vsi_table(str(path)) is not None:
        return True
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES or suffix == ".asc":
        return True
    if suffix in COMPRESSED:
        inner = Path(path.stem).suffix.lower()
        return inner in TEXT_SUFFIXES or inner in ("", ".asc")
    if suffix == ".zip" and path.is_file():
        return _zipped_table(path, layer) is not None
    return False


def record_numbers(gdf: Any, path: Path | str, layer: str | None = None
                   ) -> tuple[np.ndarray, str]:
    """How messages name each record of ``gdf`` as read from ``path``: its number and the
    word for it, as the user finds it in the file. A text table's records are lines (``line``:
    the file's physical lines, the header line 1, also compressed or zipped), a
    spreadsheet's rows (``row``: the header row 1, as the sheet shows them), a vector file's
    features (``feature``, from 1). The point reader and the labels reader number alike: the
    labels had called a spreadsheet's row 2 "feature 1"."""
    lined = is_text_table(path, layer)
    table = lined or Path(str(path)).suffix.lower() in SHEET_SUFFIXES \
        or bool(gdf.attrs.get("table"))
    what = "feature" if not table else "line" if lined else "row"
    numbers = gdf.attrs.get("lines") if table else None  # the file's physical lines
    if numbers is None:  # the header is line 1; features (and a layer's rows) count from 1
        numbers = np.arange(len(gdf)) + (2 if table and gdf.attrs.get("table") != "layer"
                                         else 1)
    return np.asarray(numbers, dtype="i8"), what


def _zipped_table(path: Path, layer: str | None) -> str | None:
    """The text table a ``.zip`` holding no vector file is read at (its one table, or the
    one ``layer`` names), ``None`` when it holds a vector file or no table; several
    tables and no ``layer`` are refused naming them."""
    from prospect.config.vsi import readme_named
    from prospect.io.vector import zip_datasets, zip_members

    try:
        members = zip_members(path)
    except InputFileError:
        # GDAL cannot read it (encrypted, bzip2): Python's reader reads a table, or names
        # why not (a table in a password-protected zip was "holds no text table", damaged)
        listed = _zip_names(path)
        if listed is None:
            return None  # the vector reader names a damaged archive
        members = listed
    if zip_datasets(members):
        return None
    tables = [m for m in members if Path(m).suffix.lower() in TEXT_SUFFIXES | {".asc"}]
    if len(tables) > 1:  # (a README.txt beside the table is no table: it was "holds 2
        tables = [m for m in tables if not readme_named(m)]  # tables (wells.csv, README.txt)")
    if not tables:
        return None
    if layer is not None:
        named = [m for m in tables if m == layer or Path(m).stem == layer
                 or Path(m).name == layer]
        if len(named) == 1:
            return named[0]
        raise DataError(f"{path}: the archive holds no table {layer!r} ('layer:'); its "
                        f"tables are {tables[:10]}")
    if len(tables) > 1:
        raise DataError(
            f"{path}: the archive holds {len(tables)} tables ({', '.join(tables[:6])}"
            f"{', ...' if len(tables) > 6 else ''}); name the one to read with 'layer:' "
            "(its file name), or extract it and give the table itself")
    return tables[0]


def _zip_names(path: Path) -> tuple[str, ...] | None:
    """The files of a zip as :func:`~prospect.io.vector.zip_members` lists them, whether
    GDAL can unpack them or not; ``None`` where the zip cannot be listed."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, NotImplementedError):
        return None
    return tuple(n for n in names if not n.endswith("/") and not n.startswith("__MACOSX/")
                 and not n.rsplit("/", 1)[-1].startswith("._"))


def _vsi_table(name: str) -> tuple[Path, str | None] | None:
    """``(archive, member)`` of a GDAL name of a text table in a local archive
    (``/vsizip/wells.zip/wells.csv``: the member; ``/vsigzip/wells.csv.gz``: ``None``), as
    GDAL reads the table there; ``None`` for any other name. Such a name was "point table
    not found". A missing archive is refused naming it."""
    from prospect.config.vsi import archive_file

    head = name[1:].partition("/")[0].lower()
    if head not in ("vsizip", "vsigzip"):
        return None
    archive = archive_file(name)
    if archive is None:
        return None
    inner = name.split(archive, 1)[-1].strip("/")
    kind = Path(inner).suffix.lower() if head == "vsizip" else \
        Path(Path(archive).stem).suffix.lower()
    if kind not in TEXT_SUFFIXES | {".asc"}:
        return None
    if not Path(archive).is_file():
        raise InputFileError(f"{archive}: {why_unreadable(Path(archive), 'archive')}")
    return Path(archive), inner if head == "vsizip" else None


def _table_bytes(path: Path, member: str | None) -> tuple[bytes, Path]:
    """The bytes of a text table and the name whose suffix tells its kind: the file, the
    text inside a compressed file (``wells.csv.gz``: ``wells.csv``), or a zip's ``member``
    (its one table when ``None``). Unpacking stops past :data:`UNPACKED_BYTES_MAX`."""
    import bz2
    import gzip
    import lzma
    import zipfile

    suffix = path.suffix.lower()
    try:
        if suffix in COMPRESSED:
            openers: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open,
                                                      ".xz": lzma.open}
            opener = openers[suffix]
            inner = Path(path.stem)
            with opener(path, "rb") as fh:
                raw = fh.read(UNPACKED_BYTES_MAX + 1)
        elif suffix == ".zip":
            name = member or _zipped_table(path, None)
            if name is None:
                raise InputFileError(f"{path}: the archive holds no text table; give the "
                                     "table itself, or a zip holding it")
            inner = Path(name)
            try:
                with zipfile.ZipFile(path) as archive, archive.open(name) as fh:
                    raw = fh.read(UNPACKED_BYTES_MAX + 1)
            except (RuntimeError, NotImplementedError) as exc:
                # a password-protected zip (zipfile's RuntimeError, an internal error), or
                # one packed by a method zipfile cannot unpack (called damaged)
                why = zip_unreadable(path, [name])
                raise InputFileError(f"{path}: {why or exc}") from None
        else:
            raw = path.read_bytes()
            if not raw.startswith(b"\x1f\x8b"):
                return raw, path
            # a download saved still gzip-encoded under the table's own name
            suffix, inner = ".gz", path
            with gzip.open(io.BytesIO(raw), "rb") as fh:
                raw = fh.read(UNPACKED_BYTES_MAX + 1)
    except InputFileError:
        raise
    except PermissionError:  # (read_table of a file this user may not read)
        raise InputFileError(_denied(path, "point table") or
                             f"{path}: the point table cannot be read (permission "
                             "denied)") from None
    except OSError as exc:
        if exc.errno is None:  # (gzip's BadGzipFile: the file's bytes, not the system)
            raise InputFileError(_unpack_failed(path, suffix, exc)) from None
        raise InputFileError(system_read_failed(path, exc)) from None
    except (EOFError, lzma.LZMAError, zipfile.BadZipFile, KeyError, RuntimeError,
            NotImplementedError) as exc:
        raise InputFileError(_unpack_failed(path, suffix, exc)) from None
    if len(raw) > UNPACKED_BYTES_MAX:
        raise InputFileError(
            f"{path}: the table unpacks to more than {UNPACKED_BYTES_MAX // 2**30} GiB (an "
            "archive bomb, or a table too large to read whole): cut it to the region, or "
            "give it as a GeoPackage")
    return raw, inner


def _unpack_failed(path: Path, suffix: str, exc: BaseException) -> str:
    """The message for a compressed table (or a zip) whose bytes do not unpack."""
    what = {".zip": "zip archive"}.get(suffix, f"{COMPRESSED.get(suffix, '')} file")
    return (f"{path}: cannot unpack the table ({getattr(exc, 'strerror', None) or exc}): "
            f"the {' '.join(what.split())} is damaged or cut short (a download that did not "
            "finish?); download or copy it again, or give the table unpacked")


_SYSTEM_FAULTS: dict[str, tuple[str, str]] = {
    "EIO": ("the disk (or the device or network share holding it) failed to give its bytes",
            "check the disk (dmesg, smartctl -a) or the share's server, then copy the table "
            "to a sound disk (or fetch it again from where it came) and give that path"),
    "ESTALE": ("the network file system (NFS) lost its handle on the file: it was replaced "
               "or removed on the server, or the share was remounted",
               "run the job again (ls the folder first), or remount the share"),
    "ENOTCONN": ("the file system holding it is no longer connected (a FUSE or network "
                 "mount, such as sshfs, s3fs or rclone, whose process went away)",
                 "mount it again (fusermount -u, then mount), or copy the table to a local "
                 "disk and give that path"),
    "EHOSTDOWN": ("the server of the network share holding it is down",
                  "run the job again once the share answers, or copy the table to a local "
                  "disk and give that path"),
    "EHOSTUNREACH": ("the server of the network share holding it cannot be reached",
                     "run the job again once the share answers, or copy the table to a "
                     "local disk and give that path"),
    "ETIMEDOUT": ("the network share holding it did not answer in time",
                  "run the job again once the share answers, or copy the table to a local "
                  "disk and give that path"),
    "ENOLINK": ("the link to the network share holding it is gone",
                "remount the share, or copy the table to a local disk and give that path"),
    "ECOMM": ("the network share holding it stopped answering",
              "remount the share, or copy the table to a local disk and give that path"),
    "EREMOTEIO": ("the server of the network share holding it failed to give its bytes",
                  "run the job again, or copy the table to a local disk and give that "
                  "path"),
    "ENXIO": ("the device holding it is gone (an unplugged or failed drive)",
              "attach the drive again, or copy the table to a sound disk and give that "
              "path"),
    "ENODEV": ("the device holding it is gone (an unplugged or failed drive)",
               "attach the drive again, or copy the table to a sound disk and give that "
               "path"),
}
"""Why a read fails that is no fault of the file (keyed by :mod:`errno` name) and the fix:
each was "cannot unpack the table (Input/output error): the file is damaged or cut short
(a download that did not finish?)", blaming a sound table for a failing disk or a
network mount gone."""


def system_read_failed(path: Path, exc: OSError, what: str = "point table", *,
                       of: Path | None = None) -> str:
    """The message for a read of ``path`` that the system failed (``exc``, an
    :class:`OSError` with an ``errno``): what the system said, in its words and its
    ``errno`` name, what that means and the fix, never "the file is damaged".

    Parameters
    ----------
    path : Path
        The file whose read failed.
    exc : OSError
        The failure, as ``open`` or ``read`` raised it.
    what : str
        What the file is, for the message (``"point table"``, ``"occurrence file"``).
    of : Path, optional
        The table ``path`` is a file beside (a table's ``.prj``), copied with it.

    Returns
    -------
    str
        One line naming ``path``, the system's words and the fix.
    """
    import errno
    import os

    code = exc.errno or 0
    name = errno.errorcode.get(code, str(code))
    said = exc.strerror or os.strerror(code)
    meaning, fix = _SYSTEM_FAULTS.get(name, (
        "the system failed the read, not the table's contents",
        "check the disk or share holding it, or copy the table elsewhere and give that "
        "path"))
    if of is not None:  # (a folder: a partitioned dataset, copied whole)
        fix = fix.replace("the table", f"the folder {of.name}" if of.is_dir() else
                          f"{of.name} with the files beside it")
    return (f"{path}: the {what} cannot be read: the system said '{said}' ({name}) while "
            f"reading it: {meaning}, not a fault of the file; {fix}")


_NOT_SYSTEM_FAULTS = frozenset({"EACCES", "EPERM", "ENOENT", "EISDIR", "ENOTDIR", "ELOOP"})
"""Read failures :func:`system_fault` leaves to the reader's own words (a mode, a missing
file, a folder: :func:`refuse_unreadable` and :func:`~prospect.io.files.why_unreadable`
name them)."""


def system_fault(path: Path) -> tuple[Path, OSError] | None:
    """The first file of table ``path`` whose read the system fails, and the failure: the
    file itself (every byte of it), a Shapefile's ``.shx``, ``.dbf``, ``.prj`` and ``.cpg``,
    a GeoPackage's ``-wal``, or a file of a partitioned dataset (a folder); ``None`` where
    every byte reads.

    Asked where a library failed to read a table (GDAL, pyarrow, openpyxl): a GeoPackage,
    GeoParquet file or workbook on a failing disk or a network mount gone was "cannot read
    as a vector file (corrupt?): ... not recognized as being in a supported file format",
    "cannot read as Parquet ... a download or copy that did not finish" or "cannot read
    the spreadsheet ...; save the sheet as CSV", blaming a sound file for the disk.

    Parameters
    ----------
    path : Path
        A local table (a file, or a folder of a partitioned dataset).

    Returns
    -------
    tuple of (Path, OSError) or None
        The file and the :class:`OSError` (with an ``errno``) its read raised.
    """
    import errno

    files = [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())[:1000]
    elif path.suffix.lower() == ".shp":
        files += [c for c in (_sidecar(path, s) for s in (".shx", ".dbf", ".prj", ".cpg"))
                  if c is not None]
    elif path.with_name(path.name + "-wal").is_file():
        files.append(path.with_name(path.name + "-wal"))
    for file in files:
        try:
            with open(file, "rb") as fh:
                while fh.read(1 << 20):
                    pass
        except OSError as exc:
            if exc.errno is not None and \
                    errno.errorcode.get(exc.errno) not in _NOT_SYSTEM_FAULTS:
                return file, exc
    return None


@contextmanager
def system_faults_said(path: Path) -> Iterator[None]:
    """Say a table's read the system failed in the system's words (:func:`system_read_failed`
    of :func:`system_fault`) where the library reading ``path`` refused it (any
    :class:`~prospect.errors.ProspectError`: "corrupt?", "no CRS" of a ``.prj`` that did not
    read, "no column" of a ``.dbf`` that did not); its own refusal otherwise.

    Raises
    ------
    InputFileError
        The system failed a read of ``path`` or a file of it.
    """
    from prospect.errors import ProspectError

    try:
        yield
    except ProspectError:
        if str(path).startswith("/vsi") or not path.exists():
            raise
        fault = system_fault(path)
        if fault is None:
            raise
        file, exc = fault
        if file == path:
            raise InputFileError(system_read_failed(path, exc)) from None
        what = f"Shapefile's {file.suffix.lower()}" if path.suffix.lower() == ".shp" else \
            f"part of the dataset {path.name}" if path.is_dir() else "GeoPackage's journal"
        raise InputFileError(system_read_failed(file, exc, what, of=path)) from None


_GRID_KEYS = ("ncols", "nrows", "xllcorner", "yllcorner", "xllcenter", "yllcenter",
              "cellsize", "nodata_value", "dx", "dy")
_RASTER_MAGIC = ((b"II*\x00", "a GeoTIFF (TIFF)"), (b"MM\x00*", "a GeoTIFF (TIFF)"),
                 (b"II+\x00", "a BigTIFF"), (b"MM\x00+", "a BigTIFF"),
                 (b"CDF\x01", "a NetCDF file"), (b"CDF\x02", "a NetCDF file"),
                 (b"\x89HDF", "an HDF5 / NetCDF-4 file"), (b"DSBB", "a Surfer binary grid"),
                 (b"DSRB", "a Surfer 7 grid"), (b"DSAA", "a Surfer ASCII grid"),
                 (b"EHFA_HEADER_TAG", "an ERDAS Imagine image"),
                 (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"))
"""Leading bytes of rasters that are given where a point table or vector file is meant."""


def ascii_grid_header(raw: bytes) -> dict[str, str] | None:
    """The header of an ESRI ASCII grid (``ncols 120``, ``nrows 80``, ``xllcorner``,
    ``cellsize``, ``NODATA_value``) at the start of ``raw``, lower-cased key -> value;
    ``None`` when the text is no such grid (a table named ``.asc``)."""
    head: dict[str, str] = {}
    for line in raw[:2048].decode("latin-1").splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[0].lower() not in _GRID_KEYS:
            break
        head[parts[0].lower()] = parts[1]
    return head if {"ncols", "nrows"} <= head.keys() else None


def raster_kind(raw: bytes) -> str | None:
    """What raster ``raw`` (a file's first bytes) is: ``"an ESRI ASCII grid (ncols 3,
    nrows 2, cellsize 10)"``, ``"a GeoTIFF (TIFF)"``...; ``None`` for anything else."""
    grid = ascii_grid_header(raw)
    if grid is not None:
        said = ", ".join(f"{k} {grid[k]}" for k in ("ncols", "nrows", "cellsize") if k in grid)
        return f"an ESRI ASCII grid ({said})"
    return next((what for magic, what in _RASTER_MAGIC if raw.startswith(magic)), None)


def _refuse_raster(path: Path) -> None:
    """:func:`_refuse_grid` of a file given as a vector file (a GeoTIFF, a NetCDF)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(2048)
    except OSError:
        return  # the read proper names why
    _refuse_grid(raw, path)


def _refuse_grid(raw: bytes, path: Path) -> None:
    """Refuse a raster given where a point table is meant (an ESRI ASCII grid named
    ``.asc``, a GeoTIFF): it was "cannot read as a vector file (corrupt?)", and a
    grid's rows of numbers could pass for a table."""
    what = raster_kind(raw)
    if what is not None:
        raise InputFileError(
            f"{path}: not a point table but {what}, a raster of cells; give it as a raster "
            "source ('kind: raster'), or export its cells as points (gdal2xyz.py) to read "
            "them as a table")


_UNIT_CELL = re.compile(r"[\[(]?\s*(?=[^\d\s])[A-Za-zµμ%‰°/.\-\s^²³·*0-9]{1,20}[\])]?")
"""A cell of a header's second row of units (``mg/L``, ``[ppm]``, ``m``, ``wt%``)."""


_NO_VALUE = re.compile(r"\s*(?:[-\u2013\u2014]+|n/?a|n\.a\.|nan|none|null|missing)\s*",
                       re.IGNORECASE)
"""A cell saying "no value" (``-``, ``n/a``, ``NA``): a record's, never a unit."""


def _is_number_cell(cell: Any) -> bool:
    """Whether a cell is a finite number, or text of one (``5.1``, ``52,1``)."""
    if isinstance(cell, bool) or cell is None:
        return False
    if isinstance(cell, int | float | np.number):
        return bool(np.isfinite(float(cell)))
    text = str(cell).strip().replace(",", ".")
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


def _per_mille(cell: str) -> bool:
    """Whether a cell is a per-mille unit (``‰``, ``[‰]``, ``permil``, ``‰ VSMOW``): a
    grade's or an isotope ratio's, in a row of units naming the value columns' alone
    (``,,‰``), which is as surely units as ``,,ppm`` (it was a record without
    coordinates, and its unit lost)."""
    from prospect.ingest.layers import unit_key

    text = cell.strip("[]() ")
    return text.startswith("\u2030") or unit_key(text) == (("permil", 1),)


def _without_units_row(frame: pd.DataFrame, path: Path, what: str = "line") -> pd.DataFrame:
    """The table without a second header row of units (``x,y,li`` over ``m,m,mg/L``,
    as lab sheets write them), with a warning naming them: it was "a row without usable
    coordinates dropped", and each unit a value that is no number; a row naming only the
    grades' concentration units (``,,ppm``) is one too. ``what`` names a
    record's place (a text table's ``line``, a sheet's ``row``). A row holding a number
    (its place), a detection limit (``n.d.``, ``bdl``) or a word of no value (``-``,
    ``NA``) is a record: a first sample below detection in every grade was dropped, place
    and all, and ``n.d.`` recorded as its columns' units."""
    if len(frame) < 2 or frame.shape[1] < 2:
        return frame
    unnamed = sum(str(c).strip() == "" or str(c).startswith("Unnamed:") for c in frame.columns)
    if unnamed > 1:  # a title over the header ('Wells of 1991,,'), no header with units
        return frame
    first = frame.iloc[0]
    cells = [str(c).strip() for c in first if isinstance(c, str) and str(c).strip()]
    # a row of fewer units (',,ppm': the grade's alone) only where each is a concentration
    few = len(cells) < max(2, frame.shape[1] // 2)
    if not cells or not all(_UNIT_CELL.fullmatch(c) for c in cells) or (
            few and not all(is_concentration(c.strip("[]() ")) or _per_mille(c)
                            for c in cells)):
        return frame
    if any(_is_number_cell(c) for c in first) or any(
            _LIMIT.fullmatch(c) or _NO_VALUE.fullmatch(c) for c in cells):
        return frame  # a sample's record: its place, its values below detection (n.d.)
    rest = frame.iloc[1:]
    numeric = [c for c, v in first.items() if isinstance(v, str) and v.strip()
               and pd.to_numeric(rest[c], errors="coerce").notna().mean() >= 0.5]
    if len(numeric) < (1 if few else 2):
        return frame
    lines = frame.attrs.get("lines")
    lines = np.asarray(lines) if lines is not None else np.arange(len(frame)) + 2
    shown = ", ".join(f"{c}: {str(first[c]).strip()}" for c in numeric[:6])
    warnings.warn(DataWarning(
        f"{path}: {what} {int(lines[0])} holds units ({shown}), not values: read as a "
        "second header row and skipped; its units are the columns' units where 'units:' "
        "gives none"), stacklevel=3)
    out = rest.reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    stated = {str(c).strip(): str(first[c]).strip().strip("[]()").strip() for c in numeric}
    # (a sheet's percentage cells were recorded before: the row of units is said over them)
    out.attrs["units"] = {**(frame.attrs.get("units") or {}), **stated}
    out.attrs["units_where"] = {c: w for c, w in (frame.attrs.get("units_where") or {}).items()
                                if c not in stated}
    out.attrs["lines"] = lines[1:]
    return out


_RECORDS = (r"(?:wells?|samples?|sites?|records?|holes?|boreholes?|bores?|points?|analys[ie]s|"
            r"stations?|values|putten|bronnen|boringen|monsters|puits|[ée]chantillons|"
            r"pozos|muestras|brunnen|bohrungen|proben)\b")
"""Words of what a summary row sums (``wells``, ``samples``, Dutch ``putten``, French
``puits``), after its word (``Total wells: 10``) or in its brackets (``Mean (all
wells)``)."""
_SUMMARY_WORD = re.compile(
    r"\s*(?:grand\s+|sub-?)?(?:total|totals|sum|mean|average|avg\.?|median|min\.?|minimum"
    r"|max\.?|maximum|st\.?\s*dev\.?|std\.?|standard\s+deviation|count|"
    r"totaal|gemiddelde|gemiddeld|mediaan|summe|gesamt|mittelwert|durchschnitt|"
    r"moyenne|somme|promedio|suma|totale|averages|means|sums|medians|maxima|minima)"
    r"\s*[:=]?\s*(?:values?\b\s*[:=]?\s*)?"
    r"(?:(?:of|over|for|van|voor|von|des|aller|de\s+(?:los|las|les|tous|toutes|todos|"
    r"todas))\s+.*"
    r"|\(\s*(?:n\s*=\s*\d+|\d+(?:\s+\w+)?|all\b.*|[^()]*" + _RECORDS + r"[^()]*)\s*\)"
    r"|(?:all|alle|the)\s+" + _RECORDS + r".*"
    r"|" + _RECORDS + r"(?<=s)\s*[:=]\s*\d+\s*"
    r"|(?:±|\+/-|\+-)\s*(?:1\s*)?(?:sd|s\.d\.|std|st\.?\s*dev\.?|stdev|σ|se)\.?"
    r"|n\s*=\s*\d+)?\s*", re.IGNORECASE)
"""A summary row's word (``Total``, ``Mean``, ``Average:``, ``Std dev``, ``Gemiddelde``,
``Moyenne``), as a spreadsheet's user writes it beside formulas under the records (not
words that name places too: ``Media``, ``Som``), alone or with what it sums (``Mean of 10
wells``, ``Average (n=10)``, ``Mean of all samples``, ``Total (10 wells)``: such a row was
a well at the wells' mean place, round 43), in any words of what it sums (``Mean of
wells``, ``Mean value of all wells``, ``Sum of wells 1-10``, ``Total wells: 10``, ``Mean
(10)``, ``Averages``, ``Mean ± SD``, ``Gemiddelde van alle putten``, ``Moyenne des puits``:
still read as a well there, round 48), not with a name (``Max Creek``, ``Mean Creek`` are
sites, and so are ``Total well 3`` and ``Max Wells``: a word after it follows ``of``, or
``all``, or is a plural of what it sums, :data:`_RECORDS`, before its count)."""
_COUNT_CELL = re.compile(r"\s*n\s*=\s*\d+\s*", re.IGNORECASE)
"""A count row's cell alone (``n=45``, ``N = 45``), under a summary's rows: the records'
count, as a spreadsheet's user writes it below their mean (round 64 left it a row
without coordinates)."""
_SUBTOTAL_WORD = re.compile(
    r"\s*(?:sub[-\s]?totals?|zwischensumme|teilsumme|subtotaal|sous-total|subtotale)"
    r"(?:\s*[:=]|\b)(?:\s*[-:=(\[]?\s*[\w .,/#=()\[\]-]*)?", re.IGNORECASE)
"""A subtotal row's word with the group it sums (``Subtotal block A``, ``Sub-total (survey
2)``, ``SUBTOTAL:``, ``Zwischensumme Feld 3``): a spreadsheet's user sums each survey's or
block's wells under them (Excel's Data > Subtotal writes ``A Total`` or ``Subtotal``
rows between the groups), so such a row stands among the records, not only below the
last; a word no site is named (round 44)."""
_GROUP_TOTAL = re.compile(r"\s*[\w.#/-]+(?:\s+[\w.#/-]+){0,3}\s+(?:total|average)\s*",
                          re.IGNORECASE)
"""Excel's Data > Subtotal row, the group's value and the function (``A Total``,
``Survey 2 Average``): a subtotal where the row holds no other word."""
_GROUP_FUNCTION = re.compile(
    r"\s*(.*?\S)\s+(?:count(?:\s+num(?:ber)?s)?|max|min|product|std\s?devp?|varp?)\s*",
    re.IGNORECASE)
"""Excel's Data > Subtotal row of another function than a sum or mean (``A Count``,
``Survey 2 Max``, ``A Min``, ``A StdDev``): a subtotal where the group's value (``A``) is
the same column's cell in a row just above it (a site named ``Max Creek`` or ``Mount
Max`` is none), and the row holds no other word. Such a row (its maxima filled across
lon, lat and the grade) was a well at the group's far corner (round 44's "found and
left": ``Max`` and ``Min`` name places too)."""
_LABEL_CHARS = 120
"""The longest cell read as a subtotal's label (a group's value and a function's name)."""
_GROUP_ABOVE = 3
"""How many rows above a ``<group> Max`` row its group's value is looked for (Excel writes
one subtotal row per function, ``A Max`` above ``A Total``)."""


def _group_function_rows(text: pd.Series) -> np.ndarray:
    """Which cells of one text column are Excel's subtotal label of a function
    (:data:`_GROUP_FUNCTION`) whose group value is the column's cell in one of the
    :data:`_GROUP_ABOVE` rows above."""
    # the whole cell, and only a label's length: searched anywhere in every cell, a long
    # text cell (a WKT geometry of 140 kB) took minutes
    short = text.where(text.str.len() <= _LABEL_CHARS)
    group = short.str.extract(f"^(?:{_GROUP_FUNCTION.pattern})$", flags=re.IGNORECASE,
                              expand=False)
    if not isinstance(group, pd.Series):
        group = group.iloc[:, 0]
    hit = np.zeros(len(text), bool)
    stripped = text.str.strip()
    for at in np.flatnonzero(group.notna().to_numpy(bool)).tolist():
        above = stripped.iloc[max(0, at - _GROUP_ABOVE):at].tolist()
        hit[at] = group.iloc[at] in above
    return hit


_ANY_NUMBER = re.compile(r"\s*[-+\u2212]?[\d.,\s'\u00a0\u202f\u2009]*\d[\d.,\s'\u00a0\u202f"
                          r"\u2009]*(?:[eE][-+]?\d+)?\s*")
"""A cell of a number in any notation (``1.234,5``, ``1 250``, ``-5.2e-3``)."""


def _without_summary_rows(frame: pd.DataFrame, path: Path, what: str = "line"
                          ) -> pd.DataFrame:
    """The table without the summary rows under its records (``Total``, ``Mean``,
    ``Max``: :data:`_SUMMARY_WORD`), with a warning naming them. ``what`` names a
    record's place (a text table's ``line``, a sheet's ``row``).

    A spreadsheet's user sums or averages each column under the records before the
    export (``Mean`` with ``=AVERAGE(B2:B11)`` filled right across x, y and the grades);
    the row was read as a record: a well at the wells' mean place with their mean value
    kriged, or an occurrence labelled there, without a word (one without coordinates
    was "a row without usable coordinates", its word unsaid). A row is a summary where
    it is among the last rows (below the last record; footnotes of no number may follow
    it), one of its cells is such a word and every other is empty, a number or a
    spreadsheet's error (``#DIV/0!``); a site named ``Max`` among the records, or a last
    record with a name beside its word, stays a record. A subtotal row
    (:func:`_subtotal_rows`: ``Subtotal block A``, Excel's ``A Total``) is one wherever
    it stands among the records."""
    if len(frame) < 3:
        return frame
    summary: dict[int, str] = {}  # row -> its word
    at = len(frame)
    while at > 1:
        at -= 1
        word, numbers, other = None, 0, 0
        for cell in frame.iloc[at]:
            if cell is None or isinstance(cell, bool) or (
                    isinstance(cell, float) and np.isnan(cell)):
                continue
            text = str(cell).strip()
            if _is_number_cell(cell) or _ANY_NUMBER.fullmatch(text):
                numbers += 1
            elif not text or _SPREADSHEET_ERROR.match(text):
                continue
            elif word is None and (_SUMMARY_WORD.fullmatch(text) or _COUNT_CELL.fullmatch(text)):
                word = text
            elif word is not None and text.casefold() == word.casefold():
                continue  # (the word filled across: 'Mean,Mean,13.2')
            else:
                other += 1
        if word is not None and not other:
            summary[at] = word
        elif numbers:  # (a footnote below them, 'Source: lab X', holds no number)
            break
    summary.update(_subtotal_rows(frame, summary))
    if not summary or len(summary) > len(frame) - 2:
        return frame
    lines = frame.attrs.get("lines")
    lines = np.asarray(lines) if lines is not None else np.arange(len(frame)) + 2
    rows = sorted(summary)
    dropped = [int(lines[i]) for i in rows]
    said = ", ".join(repr(summary[i]) for i in rows)
    where = (f"{what} {dropped[0]} is a summary row ({said}), not a record"
             if len(dropped) == 1 else
             f"{what}s {', '.join(map(str, dropped))} are summary rows ({said}), not records")
    warnings.warn(DataWarning(
        f"{path}: {where}: left out (a {what} of a sum or mean would be a sample at the "
        "mean place); delete such rows before the export"), stacklevel=3)
    kept = np.ones(len(frame), bool)
    kept[rows] = False
    out = frame.iloc[kept].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    out.attrs["lines"] = lines[kept]
    return out


def _subtotal_rows(frame: pd.DataFrame, known: dict[int, str]) -> dict[int, str]:
    """The rows among the records of ``frame`` that are subtotals (:data:`_SUBTOTAL_WORD`,
    ``Subtotal block A`` under each block's wells) with their word, past the rows in
    ``known``. Such a row holds the word, numbers (the group's sums or means, filled
    across the coordinates too), empty cells or a spreadsheet's errors, and at most one
    other word (the group's name in a column of its own, ``A`` under ``block``); it was
    read as a record, a well at the group's mean place, without a word (round 44: only
    rows below the last record were looked at)."""
    found: dict[int, str] = {}
    marked = np.zeros(len(frame), bool)  # (the rows holding such a word: few or none)
    functions = np.zeros(frame.shape, bool)  # (cells of Excel's 'A Max', 'A Count')
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        if not (pd.api.types.is_numeric_dtype(column.dtype)
                or pd.api.types.is_datetime64_any_dtype(column.dtype)):
            text = column.astype(str)
            functions[:, j] = _group_function_rows(text)
            marked |= (text.str.fullmatch(_SUBTOTAL_WORD) | text.str.fullmatch(_GROUP_TOTAL)
                       ).to_numpy(bool, na_value=False) | functions[:, j]
    for at in np.flatnonzero(marked).tolist():
        if at in known:
            continue
        word, group, other = None, None, 0
        for j, cell in enumerate(frame.iloc[at]):
            if cell is None or isinstance(cell, bool) or _is_number_cell(cell) or (
                    isinstance(cell, float) and np.isnan(cell)):
                continue
            text = str(cell).strip()
            if not text or _ANY_NUMBER.fullmatch(text) or _SPREADSHEET_ERROR.match(text):
                continue
            if word is None and _SUBTOTAL_WORD.fullmatch(text):
                word = text
            elif group is None and (_GROUP_TOTAL.fullmatch(text) or functions[at, j]):
                group = text
            else:
                other += 1
        if word is not None and other + (group is not None) <= 1:
            found[at] = word
        elif word is None and group is not None and not other:
            found[at] = group
    return found


_SEP_LINE = re.compile(r"\s*(\"?)sep(?: *= *(?=[^ ])|=)(.)\1(?:\2)*\s*", re.IGNORECASE)
"""Excel's first line naming the delimiter (``sep=;``), written by and for Excel; also as
a CSV writer quotes it (``"sep=;"``: it holds the delimiter) and as a spreadsheet saves it
again, padded to the table's width (``sep=;;;``, ``"sep=;";;``), in capitals, or typed
with spaces around its ``=`` (``sep = ;``; ``sep= `` names the space)."""
_DELIMITERS = ",;\t|"


_COMMENTED = re.compile(r"\s*(#|%(?![,;\t|])|//)")
"""A line commented out: its first characters (past blanks) are ``#`` (R, numpy, GMT),
``%`` (MATLAB, Octave) or ``//`` (C, JavaScript); not a first cell holding ``%`` alone (a
row of units, ``%,m,m``)."""
_SPREADSHEET_ERROR = re.compile(
    r"\s*\"?#(?:N/A|NA|NAME\?|VALUE!|REF!|DIV/0!|NUM!|NULL!|SPILL!|CALC!|FIELD!|BLOCKED!|"
    r"CONNECT!|BUSY!|UNKNOWN!|GETTING_DATA)", re.IGNORECASE)
"""A spreadsheet's error in a row's first cell (``#N/A``, ``#VALUE!``): a record, no comment."""


def _without_commented_records(text: str, path: Path, above: int) -> str:
    """``text`` with the lines below its header that are commented out with ``#``, ``%``
    or ``//`` (:data:`_COMMENTED`) blanked (blank lines hold no record, and the others
    keep their numbers), and a warning naming them. A survey scientist drops a wrong
    record by putting ``#`` before it (as R's ``read.table``, numpy's ``loadtxt`` and GMT
    skip it), or ``%`` (MATLAB's ``readtable``, Octave) or ``//`` (C): it was read as a
    record, its first cell ``#S9`` and its coordinates and grade as written, so the record
    dropped was labelled a positive, or kriged, without a word; where its first cell then
    held no number (``#-118.1``) it was "no usable coordinates". First cells that start
    with one mark in most rows (sample numbers written ``#12``) are data, and a
    spreadsheet's errors (``#N/A``) too. ``above`` is the number of lines above ``text``
    in the file."""
    if "#" not in text and "%" not in text and "//" not in text:  # (most tables)
        return text
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines)) + 1
    marked = {i: m.group(1) for i in range(start, len(lines))
              if (m := _COMMENTED.match(lines[i])) and not _SPREADSHEET_ERROR.match(lines[i])}
    rows = sum(1 for line in lines[start:] if line.strip())
    marks = Counter(marked.values())
    # ('#12', '#13': the first column's numbers; '%' of percentages likewise)
    commented = [i for i, mark in marked.items() if 2 * marks[mark] < rows]
    if not commented:
        return text
    mark = Counter(marked[i] for i in commented).most_common(1)[0][0]
    example = lines[commented[0]].strip()[:60]
    for i in commented:
        lines[i] = ""
    shown = ", ".join(str(i + 1 + above) for i in commented[:5]) + (
        ", ..." if len(commented) > 5 else "")
    warnings.warn(DataWarning(
        f"{path}: {len(commented)} line(s) below the header are commented out with "
        f"{mark!r} (line{'s' if len(commented) > 1 else ''} {shown}; e.g. "
        f"{example!r}) and are not read as records; remove the "
        f"{mark!r} to read them"), stacklevel=3)
    return "\n".join(lines)


def _layout(text: str, sep: str | None, path: Path) -> tuple[str, str | None, int]:
    """``(text, sep, lines dropped at the top)`` of a table laid out for another program.

    Excel's ``sep=;`` line names the delimiter and is not the header: it was read as one
    (``line 2 has 3 values but the header names 2 columns``). A table whose columns are
    aligned by runs of spaces (an XYZ export of Geosoft or Surfer, a Fortran listing:
    ``   x        y   li``), its header holding no other delimiter, is read as separated
    by whitespace: each run of spaces was an empty column, and no row had coordinates
    ("the point table is empty"). Lines keep their numbers.

    A first line that is a comment (``# wells of the 1991 survey``) is refused naming it:
    it was taken for the header ("no column(s) ['x', 'y']", or "different delimiters").
    It is not dropped: a header written as a comment (GMT's ``# lon lat z``) would be.

    Blank lines above the header (or between the ``sep=;`` line and it) are dropped: the
    record scan took the first line for the header and pandas the first that is not
    blank, and such a table was "line 2 has 1 values but the header names 0 columns"."""
    text, lead = _without_blank_top(text)
    text, sep, dropped = _laid_out(text, sep, path)
    return text, sep, lead + dropped


_BLANK_TOP = re.compile(r"(?:[ \t\r]*\n)+")
"""Blank lines at the top of a table's text."""


def _without_blank_top(text: str) -> tuple[str, int]:
    """``text`` less the blank lines at its top, and how many they were."""
    blank = _BLANK_TOP.match(text)
    if blank is None:
        return text, 0
    return text[blank.end():], blank.group().count("\n")


def _laid_out(text: str, sep: str | None, path: Path) -> tuple[str, str | None, int]:
    """:func:`_layout` of a table's text whose first line is not blank."""
    first, _, rest = text.partition("\n")
    comment = re.match(r"\s*(#|%|//)(\s?)", first)
    if comment and (comment.group(2) or not any(d in first for d in _DELIMITERS)):
        # ('#,x,y': a header whose first column is named '#', a row number)
        raise InputFileError(
            f"{path}: line 1 is a comment ({first.strip()[:60]!r}), not the header; remove "
            "the comment lines above the header (a header written as a comment, '# x y', "
            "loses just its '#')")
    named = _SEP_LINE.fullmatch(first.rstrip("\r"))
    if named is not None:  # (also above a .tsv, whose tab it names or corrects)
        rest, lead = _without_blank_top(rest)
        return rest, _sep_named(named.group(2), sep, rest, path), 1 + lead
    lines = text.split("\n")
    gslib = _gslib(lines) if sep is None else None
    if gslib is not None:
        return gslib
    above = _title_lines(lines, sep, path)
    if above:
        lines = lines[above:]
        text = "\n".join(lines)
    header = next((line for line in lines if line.strip()), "")
    if sep is None and not any(d in header for d in _DELIMITERS) and \
            re.search(r"^ +\S|\S {2,}\S", header):
        return "\n".join(" ".join(line.split()) for line in lines), " ", above
    return text, sep, above


def _sep_named(named: str, sep: str | None, rest: str, path: Path) -> str:
    """The delimiter a ``sep=`` line names, checked against the lines below it: where none
    of the first :data:`TITLE_ROWS_MAX` holds it while they hold another delimiter (the
    one a ``.tsv`` name gives, or one of :data:`_DELIMITERS`), the line is refused naming
    both. The line was read as the header of a ``.tsv`` ("line 2 has 3 values but the
    header names 2 columns"), and one naming a delimiter the table does not use made the
    whole header one column."""
    below = [line for line in rest.split("\n")[:TITLE_ROWS_MAX] if line.strip()]
    if not below or any(named in line for line in below):
        return named
    other = next((d for d in ([sep] if sep else []) + list(_DELIMITERS)
                  if d != named and all(d in line for line in below[-3:])), None)
    if other is None:
        return named
    raise InputFileError(
        f"{path}: line 1 ({_shown_sep(named)}) names {named!r} as the delimiter, but no line "
        f"below it holds one: the table is separated by {other!r}; correct line 1 to "
        f"{_shown_sep(other)}, or remove it")


def _shown_sep(delimiter: str) -> str:
    """A ``sep=`` line naming ``delimiter``, as a message shows it (a tab as ``<tab>``)."""
    return "sep=" + {"\t": "<tab>", " ": "<space>"}.get(delimiter, delimiter)


GSLIB_VARIABLES_MAX = 500
"""Most variables a GSLIB (Geo-EAS) file's count line is read as naming."""
_GSLIB_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?")


def _gslib(lines: list[str]) -> tuple[str, str, int] | None:
    """A GSLIB (Geo-EAS) point file as ``(text, sep, lines above its header)``, or ``None``
    where ``lines`` are not one: a title line, a line giving the number of variables
    ``n`` (some writers add more numbers after it), ``n`` lines each naming one variable
    (``X``, ``Y``, ``Li ppm``), then rows of ``n`` numbers separated by blanks. GSLIB,
    SGeMS, geostatspy and pygslib write and read it; a kriging user's well file
    (``wells.dat``) was read with its title as the header ("no column(s) ['X', 'Y'];
    columns are ['Wells', 'of', 'the', ...]"). The names become a tab-separated header
    line in place of the last name, so rows keep their numbers in the file."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) < 4 or filled[1] != filled[0] + 1:
        return None
    top = filled[0]
    count = lines[top + 1].split()
    if not count or not count[0].isdigit() or not all(_GSLIB_NUMBER.fullmatch(c) for c in count):
        return None
    n = int(count[0])
    if not 2 <= n <= GSLIB_VARIABLES_MAX or len(lines) < top + 3 + n:
        return None
    names = [line.strip() for line in lines[top + 2:top + 2 + n]]
    if not all(names) or any(d in name for name in names for d in _DELIMITERS) or any(
            all(_GSLIB_NUMBER.fullmatch(cell) for cell in name.split()) for name in names):
        return None  # (a name of numbers alone: rows of a table whose first cell is n)
    rows = [line for line in lines[top + 2 + n:] if line.strip()][:5]
    if not rows or not all(len(row.split()) == n for row in rows) or not any(
            _GSLIB_NUMBER.fullmatch(cell) for row in rows for cell in row.split()):
        return None
    body = ["\t".join(line.split()) for line in lines[top + 2 + n:]]
    return "\n".join(["\t".join(names), *body]), "\t", top + 1 + n


def _title_lines(lines: list[str], sep: str | None, path: Path) -> int:
    """How many lines above the header a table's title takes: its first line holds no
    delimiter while a line within the next few does, with rows of the same width below
    it (``Wells of the 1991 survey`` over ``lon,lat,li``). They are skipped with a warning
    quoting them (a line of text above a table holds no record, and a note such as the
    CRS is shown, not lost); the table was refused ("delete the lines above the header"),
    and before that "the header has 1 columns but every row fills only the first ...
    different delimiters"."""
    if sep is not None:
        return 0
    filled = [(i, line.rstrip("\r")) for i, line in enumerate(lines[:TITLE_ROWS_MAX + 1])
              if line.strip()]
    if len(filled) < 3 or any(d in filled[0][1] for d in _DELIMITERS):
        return 0
    words = len(filled[0][1].split())
    if words > 1 and all(len(line.split()) == words for _, line in filled[1:6]):
        return 0  # a table separated by single spaces ('x y li' over '5,1 52,1 3')
    for k, (i, line) in enumerate(filled[1:], 1):
        found = [d for d in _DELIMITERS if d in line]
        if not found:
            continue
        d = found[0]
        below = [other for _, other in filled[k + 1:k + 6]]
        if below and all(other.count(d) == line.count(d) for other in below):
            _warn_title(path, [text for _, text in filled[:k]], i + 1, "line")
            return i
        return 0
    return 0


def _warn_title(path: Path, title: list[str], header: int, what: str) -> None:
    """Warn that the ``what``s above the header (``header``, its number in the file) were
    read as a title and skipped, quoting them; none when they are blank (a sheet whose
    table starts lower down: nothing is skipped, and the warning quoted nothing, "()")."""
    if not any(t.strip() for t in title):
        return
    shown = "; ".join(repr(t.strip()[:60]) for t in title[:3] if t.strip()) + \
        ("; ..." if len(title) > 3 else "")
    warnings.warn(DataWarning(
        f"{path}: the header is {what} {header}, not {what} 1: the {what}(s) above it "
        f"({shown}) hold no record and are read as a title and skipped; check that they "
        "say nothing the config must (a CRS, units)"), stacklevel=4)


def _decode(raw: bytes, path: Path) -> str:
    """The table's text: UTF-16 with a byte-order mark, else UTF-8 (a mark dropped), else
    Latin-1 when no byte outside ASCII is UTF-8; UTF-8 text holding a few bytes that are
    not (one cell typed on another machine) keeps its UTF-8, each stray byte read as
    Windows-1252 with a warning naming its lines: read as Latin-1, every UTF-8 character
    of the file was mangled (``µ`` became ``Âµ``, and a header the config names was lost)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputFileError(f"{path}: not valid UTF-16 text") from None
    bomless = _bomless_utf16(raw)
    if bomless is not None:
        return bomless
    _refuse_binary(raw, path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    body = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
    escaped = body.decode("utf-8", "surrogateescape")  # a stray byte b is U+DC00 + b
    if not re.search("[^\x00-\x7f\udc80-\udcff]", escaped):
        # no UTF-8 character at all: an ANSI file, Windows-1252 (Latin-1 where undefined):
        # as Latin-1, its per-mille sign, en dash and quotes were control characters
        return re.sub("[\udc80-\udcff]", lambda m: chr(ord(m.group()) - 0xDC00),
                      raw.decode("cp1252", "surrogateescape"))
    stray = [(m.start(), ord(m.group()) - 0xDC00)
             for m in re.finditer("[\udc80-\udcff]", escaped)]
    chars = {b: _windows_1252(b) for _, b in stray}
    text = re.sub("[\udc80-\udcff]", lambda m: chars[ord(m.group()) - 0xDC00], escaped)
    lines = sorted({escaped.count("\n", 0, i) + 1 for i, _ in stray})
    first = stray[0][1]
    warnings.warn(DataWarning(
        f"{path}: UTF-8 text with {len(stray)} byte(s) that are not UTF-8 (line"
        f"{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:5]))}"
        f"{', ...' if len(lines) > 5 else ''}; e.g. 0x{first:02X}, read as "
        f"{chars[first]!r} in Windows-1252); check those cells, and save the table as "
        "UTF-8 throughout"), stacklevel=3)
    return text


_MAGIC = ((b"PK\x03\x04", "a ZIP archive (an Excel .xlsx or OpenDocument .ods workbook, "
           "or a zipped file)", "save the sheet as CSV (UTF-8), or give the workbook's own "
           "path ending in .xlsx or .ods"),
          (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)",
           "save the sheet as CSV (UTF-8) or .xlsx"),
          (b"SQLite format 3\0", "an SQLite database (a GeoPackage?)",
           "give it a .gpkg path, or export the table as CSV"),
          (b"\x1f\x8b", "a gzip-compressed file", "unpack it (gunzip)"),
          (b"%PDF", "a PDF document", "export the table itself as CSV"))
"""Leading bytes of files that are taken for text tables by their name (``.csv``)."""


_MARKUP = (
    (re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE),
     "an HTML page (a download that returned an error or sign-in page instead of the "
     "file?)", "download the table again, signed in, from its own link"),
    (re.compile(r"<\?xml|<kml[\s>]|<gpx[\s>]", re.IGNORECASE),
     "an XML document (KML, GPX or a web service's answer?)",
     "give a KML or GPX file its own name (.kml, .gpx), or export the table as CSV"),
    (re.compile(r"\{\s*\"type\"\s*:\s*\"(?:FeatureCollection|Feature)\"", re.IGNORECASE),
     "a GeoJSON document", "give it a .geojson name"),
    (re.compile(r"[\[{]\s*[\"\[{]"), "a JSON document",
     "export the table as CSV, or a GeoJSON as .geojson"),
)
"""Text that is a document, not a table, under a table's name (``.csv``)."""


def _bomless_utf16(raw: bytes) -> str | None:
    """The text of UTF-16 written without a byte-order mark (a .NET or Java program's
    ``Encoding.Unicode`` bytes), where it tells itself: every other byte NUL (the high
    bytes of Latin text, on the odd places for little-endian, the even for big-endian),
    none of the others, and no NUL character once decoded; ``None`` otherwise. It was
    refused ("UTF-16 text without a byte-order mark; save it as CSV (UTF-8)"), where
    its reading is not in doubt."""
    if len(raw) < 4 or len(raw) % 2:
        return None
    head = raw[:4096]
    for codec, high, low in (("utf-16-le", head[1::2], head[0::2]),
                             ("utf-16-be", head[0::2], head[1::2])):
        if high.count(0) >= 0.5 * len(high) and low.count(0) == 0:
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                return None
            return None if "\0" in text else text
    return None


def _refuse_markup(text: str, path: Path) -> None:
    """Refuse a text file that is a web page, XML or JSON document named as a table: each
    was read as a one-row table ("no column(s) ['lon', 'lat']; columns are ['<!DOCTYPE',
    'html><html><body>Not'...]")."""
    head = text.lstrip("\ufeff \t\r\n")[:400]
    for pattern, what, fix in _MARKUP:
        if pattern.match(head):
            raise InputFileError(f"{path}: not a text table but {what}; {fix}")


def _refuse_binary(raw: bytes, path: Path) -> None:
    """Refuse a file that is no text: a workbook, database or archive named ``.csv``
    (named as such), or text holding NUL bytes (UTF-16 without a byte-order mark, a copy
    cut short and padded with zeros, a damaged file), saying where they are."""
    for magic, what, fix in _MAGIC:
        if raw.startswith(magic):
            raise InputFileError(f"{path}: not a text table but {what}; {fix}")
    at = raw.find(b"\0")
    if at < 0:
        return
    head = raw.rstrip(b"\0\r\n")[:4096]  # (padding after the text is no UTF-16)
    if head[1::2].count(0) > 0.4 * len(head) / 2 or head[0::2].count(0) > 0.4 * len(head) / 2:
        raise InputFileError(
            f"{path}: not a text table as read: it holds NUL bytes at every other place, "
            "UTF-16 text without a byte-order mark; save it as CSV (UTF-8)")
    line = raw.count(b"\n", 0, at) + 1
    if not raw[at:].strip(b"\0\r\n \t"):
        raise InputFileError(
            f"{path}: the table ends in {len(raw) - at} NUL bytes from line {line} on: a copy "
            "or save cut short (the disk filled, the program stopped), padded with zeros; "
            "rows may be missing: export or copy the table again")
    raise InputFileError(
        f"{path}: not a text table: line {line} holds a NUL byte (byte {at}), as a binary "
        "file or a damaged one does; export or copy the table again, as CSV (UTF-8)")


def _windows_1252(byte: int) -> str:
    """One byte as Windows-1252 (Latin-1 where Windows-1252 leaves it undefined)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


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


def _read_csv(text: str, path: Path, sep: str | None, decimal: str | None
              ) -> tuple[pd.DataFrame, list[str]]:
    """The table and its header as written (stripped; pandas renames a repeated name).

    ``sep=None`` sniffs the delimiter; a table too small to sniff is read as CSV. Fields
    past the header's (a delimiter ending every row) are dropped, never taken for a row
    index that shifts every column; a row whose extra fields hold values is refused.
    """
    def source() -> io.StringIO:
        return io.StringIO(text, newline="")

    scan = _scan(text, sep)
    if scan is not None and scan.extra is not None:
        line, fields, example = scan.extra
        raise InputFileError(
            f"{path}: line {line} has {fields} values but the header names {len(scan.names)} "
            f"columns (e.g. {example!r} past the last one): a column without a name in the "
            "header, or a delimiter inside an unquoted value; name every column in the "
            "header, or quote the value")
    notation = _notation(scan, decimal, path)
    # numbers in decimal commas are read as text, then by column_values
    kw: dict[str, Any] = {"engine": "python", "index_col": False,
                          "keep_default_na": False, "na_values": _NA_TEXT,
                          **({"dtype": str} if notation.decimal == "," else {})}
    frame = _c_engine_frame(source, scan, text, kw)
    if frame is not None and scan is not None:
        sep = scan.sep  # (the delimiter sniffed, or ',' where the header tells none)
    else:
        try:
            frame = pd.read_csv(source(), sep=sep, **kw)
        except csv.Error:
            if sep is not None:
                raise
            sep = ","
            frame = pd.read_csv(source(), sep=sep, **kw)
    # a row of delimiters alone (',,,': Excel's rows below the data) is blank, not a row
    # without coordinates
    blank = frame.isna().all(axis=1).to_numpy()
    if blank.any() and frame.shape[1] > 1:
        frame = frame[~blank].reset_index(drop=True)
    first = pd.read_csv(source(), sep=sep, engine="python", header=None, nrows=1, dtype=str,
                        keep_default_na=False)
    if scan is not None and len(scan.lines) == len(frame):
        frame.attrs["lines"] = scan.lines
    columns = [str(c).strip() for c in frame.columns]
    frame.attrs["decimal"] = notation.decimal or "."
    frame.attrs["undecided"] = {columns[i]: why for i, why in notation.undecided.items()
                                if i < len(columns)}
    return frame, [str(c).strip() for c in first.iloc[0]] if len(first) else []


_LONG_DIGITS = re.compile(r"\d{19}")
"""Nineteen digits in a row: an integer past int64 (``99999999999999999999``), which
pandas' C engine reads as text where its Python engine reads a float."""
_QUOTED_BLANK = re.compile(r'^[ \t\r]*"[ \t\r"]*$', re.MULTILINE)
"""A line of quotes and blanks alone (``""``, or a quoted line break's ends): the Python
engine skips a record of one blank field as a blank line, the C engine reads a row."""
_LONE_CR = re.compile(r"\r(?!\n)")
"""A carriage return not ending a Windows line (``\\r\\n``): classic Mac OS line ends,
whose rows of extra empty fields the C engine reads and the Python engine refuses."""


def _c_engine_frame(source: Callable[[], io.StringIO], scan: _Scan | None, text: str,
                    kw: dict[str, Any]) -> pd.DataFrame | None:
    """The table as pandas' C engine reads it, where that is the frame its Python engine
    reads (:func:`_read_csv`'s), else ``None`` (the Python engine reads it then).

    Parameters
    ----------
    source : callable
        A new reader of the table's text on each call.
    scan : _Scan or None
        :func:`_scan`'s pass over the records: the C engine is taken only where
        :mod:`csv` read every record strictly with its one-character delimiter and ``"``
        quotes, the dialect the Python engine reads with (it sniffs the same header line
        for the delimiter, and quotes and doubled quotes are both engines' defaults).
    text : str
        The table's text.
    kw : dict
        :func:`_read_csv`'s keywords of the Python engine.

    Returns
    -------
    pandas.DataFrame or None
        The frame, or ``None`` where the C engine cannot read the table, or a cell might
        read otherwise: the Python engine then reads it, as before.

    Notes
    -----
    A 200 000-record table took pandas' Python engine 0.7 s and the C engine 0.06 s.
    The C engine reads numbers with the same converter (``float_precision=None``, the
    precise ``xstrtod`` pandas' Python engine's numeric inference uses), infers each
    column's type over the whole column (``low_memory=False``), and skips blank and
    whitespace-only lines as the Python engine does. Where the two part (found by
    reading the same tables with both) the Python engine is kept: a header line with an
    odd count of quotes (a quoted line break, which the Python engine's sniffing reads
    line by line), a NUL byte, an integer of 19 digits or more (:data:`_LONG_DIGITS`), a
    lone carriage return (:data:`_LONE_CR`), a line of quotes and blanks alone
    (:data:`_QUOTED_BLANK`), a space or a line end as the delimiter, and any error or
    parser warning of the C engine's.
    """
    if scan is None or len(scan.sep) != 1 or scan.sep in "\r\n\0 " or scan.sep == '"':
        return None
    header = text.split("\n", 1)[0]
    if header.count('"') % 2 or "\0" in text or _LONG_DIGITS.search(text) or \
            _LONE_CR.search(text) or _QUOTED_BLANK.search(text):
        return None
    fast = {**kw, "engine": "c", "low_memory": False, "float_precision": None}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # (a ParserWarning: the Python engine reads it)
            return pd.read_csv(source(), sep=scan.sep, **fast)
    except Exception:  # (any refusal of the C engine's: the Python engine reads it)
        return None


_NA_TEXT = sorted({"", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
                   "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})
"""Cells read as missing without a word: pandas' own list without a spreadsheet's error
``#N/A`` (``#N/A N/A``, ``#NA``), which a failed lookup formula writes: it was a value
missing silently, now counted with the spreadsheet's other errors."""


@dataclass
class _Scan:
    """What one pass over a table's records finds: each record's physical line, the
    header's width, the first record with values past it, and the cells whose decimal
    notation shows (``(column index, cell, line)``, the first of each kind per column)."""

    lines: np.ndarray
    names: list[str]
    sep: str
    extra: tuple[int, int, str] | None
    comma: dict[int, tuple[str, int]]
    point: dict[int, tuple[str, int]]
    either: dict[int, tuple[str, int]]


# Numbers whose decimal separator shows. Thousands are grouped by three from a leading
# group of one to three digits (not 0); anything else around a separator is a decimal.
_D = r"[-+]?"
_EXP = r"(?:[eE][-+]?\d+)?"
_COMMA_DECIMAL = re.compile(
    rf"{_D}(?:\d*,(?:\d{{1,2}}|\d{{4,}})|\d{{4,}},\d+|0,\d+|[1-9]\d{{0,2}}(?:\.\d{{3}})+,\d+)"
    rf"{_EXP}|{_D}[1-9]\d{{0,2}}(?:\.\d{{3}}){{2,}}")
_POINT_DECIMAL = re.compile(
    rf"{_D}(?:\d*\.(?:\d{{1,2}}|\d{{4,}})|\d{{4,}}\.\d+|0?\.\d+|[1-9]\d{{0,2}}(?:,\d{{3}})+\.\d+"
    rf"|\d+\.\d*[eE][-+]?\d+)|{_D}[1-9]\d{{0,2}}(?:,\d{{3}}){{2,}}"
    rf"|{_D}[1-9]\d?(?:,\d\d)+,\d{{3}}(?:\.\d+)?")
_EITHER = re.compile(rf"{_D}[1-9]\d{{0,2}}[.,]\d{{3}}")
"""``1.250``: 1.25 with a decimal point, 1250 with a thousands point (and ``1,250``)."""
_COMMA_NUMBER = re.compile(rf"{_D}(?:[1-9]\d{{0,2}}(?:\.\d{{3}})+|\d*)(?:,\d*)?{_EXP}")
"""A number in decimal commas, ``.`` separating thousands (``-1.250,5``, ``12,5``, ``3``)."""


_SPACES = "\u0020\u00a0\u202f\u2009'\u2019"
"""Marks that group thousands and are never a decimal separator: a space, a no-break space
(U+00A0), a narrow no-break space (U+202F: French Excel, SI style), a thin space (U+2009),
and the apostrophes of Swiss exports (``1'250.5``, U+0027 and U+2019)."""
_SPACE_GROUPED = re.compile(rf"[-+]?[1-9]\d{{0,2}}(?:[{_SPACES}]\d{{3}})+(?:[.,]\d+)?{_EXP}")
"""A number whose thousands are grouped by spaces (``1 250``, ``-12 500,5``,
``1\u202f250.5``): a space is never a decimal separator, so dropping them leaves a number
read in the table's decimal notation."""


_MINUS = "\u2212"
"""The minus sign (U+2212) that typeset and some spreadsheet exports write for ``-``."""


def _ungrouped(cell: str) -> str:
    """``cell`` without the spaces grouping its thousands, and with ``-`` for a leading
    minus sign (itself when it has neither)."""
    if cell.startswith(_MINUS):
        cell = "-" + cell[1:]
    if _SPACE_GROUPED.fullmatch(cell):
        return re.sub(f"[{_SPACES}]", "", cell)
    return cell


_TWO_POINTS = re.compile(r"\.[^\0]*\.")
"""Two points in one cell of a row joined by NUL: ``1.250.000``."""


def _scan(text: str, sep: str | None) -> _Scan | None:
    """One pass over the records as pandas' Python engine finds them (the header's
    delimiter sniffed, then :mod:`csv` with its dialect); ``None`` where that cannot be
    told. A quoted field may hold line breaks and blank lines are skipped, so a record's
    line is not its index + 2."""
    try:
        fh = io.StringIO(text, newline="")
        header = fh.readline()
        if sep is None:
            try:
                sep = csv.Sniffer().sniff(header).delimiter
            except csv.Error:
                sep = ","
        names = [n.strip() for n in next(csv.reader([header], delimiter=sep, quotechar='"'),
                                         [])]
        width = len(names)
        reader = csv.reader(fh, delimiter=sep, quotechar='"', strict=True)
        scan = _Scan(np.empty(0, "i8"), names, sep, None, {}, {}, {})
        starts: list[int] = []
        end = 1
        for row in reader:
            start, end = end + 1, 1 + reader.line_num
            if not any(f.strip() for f in row):  # blank, or only delimiters (',,,')
                continue
            starts.append(start)
            if scan.extra is None and len(row) > width and any(f.strip() for f in row[width:]):
                scan.extra = (start, len(row), next(f for f in row[width:] if f.strip()))
            # cells that may show a notation; once decimal points show, only a comma (or
            # 1.250.000) says otherwise (a first look at the whole row: most have nothing)
            joined = "\0".join(row[:width])
            if "," not in joined and ("." not in joined or (
                    scan.point and not _TWO_POINTS.search(joined))):
                continue
            for i, cell in enumerate(row[:width]):
                if "," not in cell and (cell.count(".") < (2 if scan.point else 1)):
                    continue
                cell = _ungrouped(cell.strip())
                decided = bool(scan.comma or scan.point)
                # the patterns exclude each other; the first cell of each kind is kept, and
                # numbers that read either way matter only while nothing else tells
                for kind, pattern in ((scan.comma, _COMMA_DECIMAL),
                                      (scan.point, _POINT_DECIMAL), (scan.either, _EITHER)):
                    if i not in kind and not (decided and kind is scan.either) and \
                            pattern.fullmatch(cell):
                        kind[i] = (cell, start)
                        break
    except csv.Error:
        return None
    scan.lines = np.asarray(starts, dtype="i8")
    return scan


@dataclass(frozen=True)
class _Notation:
    decimal: str | None  # None: the table's numbers do not tell, or tell both
    undecided: dict[int, str]  # column index -> why its numbers cannot be read


def _notation(scan: _Scan | None, decimal: str | None, path: Path) -> _Notation:
    """The decimal separator of a table's numbers: the config's, else the one its numbers
    show. Numbers that show both, or only numbers that read either way (``1.250``) in a
    table not separated by commas (where a decimal comma would need quotes), leave it
    undecided for the columns holding them."""
    if decimal is not None or scan is None:
        return _Notation(decimal, {})
    comma, point, either = scan.comma, scan.point, scan.either
    fix = "set 'decimal: \".\"' or 'decimal: \",\"' in the points source"
    if comma and point:
        (ci, (cc, cl)), (pi, (pc, pl)) = next(iter(comma.items())), next(iter(point.items()))
        why = (f"the table writes numbers with decimal commas ({cc!r} in column "
               f"{scan.names[ci]!r}, line {cl}) and with decimal points ({pc!r} in column "
               f"{scan.names[pi]!r}, line {pl}), so one kind would be misread; export it in "
               f"one notation, or {fix}")
        return _Notation(None, dict.fromkeys({*comma, *point, *either}, why))
    if comma:
        return _Notation(",", {})
    if point or not either:
        return _Notation(".", {})
    if scan.sep == ",":  # a decimal comma needs quotes here: only a quoted '2,100' may be one
        either = {i: v for i, v in either.items() if "," in v[0]}
        if not either:
            return _Notation(".", {})
    undecided = {}
    for i, (cell, line) in either.items():
        as_point = float(cell.replace(",", "."))
        as_group = int(cell.replace(",", "").replace(".", ""))
        sep = "." if "." in cell else ","
        undecided[i] = (
            f"{cell!r} (line {line}) is {as_point:g} with a decimal "
            f"{'point' if sep == '.' else 'comma'} but {as_group} with {sep!r} separating "
            f"thousands, and no number in the table tells which notation it uses; {fix}")
    return _Notation(None, undecided)


def _numbers(series: pd.Series, path: Path, column: str,
             attrs: dict[str, Any] | None = None) -> np.ndarray:
    """A column as float64 in its table's notation (``attrs``), NaN where not a number;
    a column whose notation is undecided is refused."""
    attrs = attrs or {}
    why = (attrs.get("undecided") or {}).get(column)
    if why is not None:
        raise DataError(f"{path}: column {column!r}: {why}")
    if pd.api.types.is_bool_dtype(series.dtype) or (
            series.dtype == object and len(series) and series.map(_is_bool_cell).all()):
        # a boolean field (a GeoPackage's, a GeoParquet's) or a sheet's TRUE/FALSE cells:
        # yes or no, not 1 and 0 of a measurement (a boolean grade read as 1 ppm)
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):  # numbers already (a numeric field)
        return series.to_numpy(dtype="f8", na_value=np.nan)
    booleans = series.map(_is_bool_cell).to_numpy(bool)
    if booleans.any():  # a sheet's TRUE/FALSE cell among numbers: not a number
        series = series.where(~booleans, None)
    series = _without_grouping(series, attrs.get("decimal", "."))
    series = _fortran_exponents(series)
    if attrs.get("decimal", ".") == ",":
        # a cell that is a number already (a spreadsheet's number cell beside text cells)
        # is that number: as text, 5.1 read in decimal commas was 51 or nothing
        real = series.map(lambda v: isinstance(v, int | float | np.number)
                          and not isinstance(v, bool)).to_numpy(bool)
        text = series.astype("string").str.strip()
        ok = text.str.fullmatch(_COMMA_NUMBER.pattern).fillna(False) & \
            text.str.contains(r"\d", regex=True).fillna(False)
        plain = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        values = pd.to_numeric(plain.where(ok), errors="coerce").to_numpy(
            dtype="f8", na_value=np.nan)
        if real.any():
            values[real] = pd.to_numeric(series[real], errors="coerce").to_numpy(
                dtype="f8", na_value=np.nan)
        return values
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="f8")


def gpx_points_meant(path: Path, layer: str | None) -> str:
    """The fix for a GPX file's ``tracks`` or ``routes`` layer (lines) named as a point
    table: its fixes as points are GDAL's ``track_points`` or ``route_points`` layer;
    ``''`` for any other file or layer. The refusal said to split multi-points with
    ogr2ogr, which a GPX file's lines are not."""
    if path.suffix.lower() != ".gpx" or layer not in ("tracks", "routes"):
        return ""
    meant = f"{layer[:-1]}_points"
    return (f"the layer {layer!r} of a GPX file holds each {layer[:-1]} as one line; its "
            f"points (each fix, with its time and elevation) are the layer {meant!r}: "
            f"set layer: '{meant}'")


def _shown(cell: Any) -> str:
    """A cell as an error shows it: ``TRUE`` for a boolean (not ``np.True_``), else its
    ``repr``."""
    return str(bool(cell)).upper() if _is_bool_cell(cell) else repr(cell)


def _is_bool_cell(cell: Any) -> bool:
    """Whether a cell is a boolean (a spreadsheet's ``TRUE``/``FALSE`` cell,
    :func:`_with_boolean_cells`): ``bool(True)`` is 1 to :func:`pandas.to_numeric`."""
    return isinstance(cell, bool | np.bool_)


_FORTRAN = re.compile(r"\s*[-+]?(?:\d+[.,]?\d*|[.,]\d+)([dD])[-+]?\d+\s*")
"""A number with Fortran's double-precision exponent (``1.5D+03``: 1500)."""


def _fortran_exponents(series: pd.Series) -> pd.Series:
    """A text column with Fortran's ``D`` exponents written ``E`` (a Fortran program's
    listing: ``1.5D+03`` was "not a number", or "numbers with a unit" for a whole column);
    other columns as they are."""
    if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
        return series
    text = series.astype("string")
    fortran = text.str.fullmatch(_FORTRAN.pattern).fillna(False).astype(bool)
    if not fortran.any():
        return series
    return series.where(~fortran, text.str.replace(r"[dD]", "E", regex=True))


_COMMA_GROUPED = re.compile(rf"[-+]?(?:[1-9]\d{{0,2}}(?:,\d{{3}})+|[1-9]\d?(?:,\d\d)+,\d{{3}})"
                            rf"(?:\.\d+)?{_EXP}")
"""A number in decimal points with commas grouping its thousands (``1,250.5``, ``2,100``:
a quoted cell of a US Excel export), or its lakhs and crores (``1,50,000``, ``12,34,567.5``:
an Indian export's grouping)."""


def _without_grouping(series: pd.Series, decimal: str) -> pd.Series:
    """A text column with the separators that group thousands dropped: spaces
    (:data:`_SPACE_GROUPED`) in either notation, and commas (:data:`_COMMA_GROUPED`) in a
    table of decimal points (a table in decimal commas drops its points later); other
    columns, and a column without such a number, as they are."""
    if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
        return series
    text = series.astype("string").str.strip()
    minus = text.str.startswith(_MINUS).fillna(False).astype(bool)
    if minus.any():
        series = series.where(~minus, "-" + text.str.slice(1))
        text = text.where(~minus, "-" + text.str.slice(1))
    grouped = text.str.fullmatch(_SPACE_GROUPED.pattern).fillna(False).astype(bool)
    if decimal == ".":
        commas = text.str.fullmatch(_COMMA_GROUPED.pattern).fillna(False).astype(bool)
    else:
        commas = pd.Series(False, index=series.index)
    if not (grouped.any() or commas.any()):
        return series
    text = text.where(~grouped, text.str.replace(f"[{_SPACES}]", "", regex=True))
    text = text.where(~commas, text.str.replace(",", "", regex=False))
    return series.where(~(grouped | commas), text)


POINT_FILLS = tuple(v for v in COMMON_FILLS if v not in (0.0, -1.0, 255.0))
"""The common fills (:data:`prospect.ingest.fills.COMMON_FILLS`) that a point table's
value is taken for when it holds one on two or more rows: -9999, -999.25, -1e30... (0, -1
and 255 are ordinary measurements, counts and classes too)."""


def _listed(numbers: np.ndarray, at: np.ndarray, what: str) -> str:
    rows = [int(numbers[i]) for i in at]
    return (f"{what}{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:5]))}"
            f"{', ...' if len(rows) > 5 else ''}")


DEGREE_M = 111_320.0
"""Metres of a degree of latitude (and of longitude at the equator), for saying a step in
degrees on the ground."""
COARSE_STEPS = ((1.0, "whole degrees", True), (0.1, "1 decimal of a degree", True),
                (1 / 60, "whole minutes of arc", False), (0.01, "2 decimals of a degree", True),
                (0.001, "3 decimals of a degree", True))
"""Steps an export rounds degrees to, coarsest first, how to name each, and whether the
step is a decimal one (written exactly) or whole minutes (written cut to some decimals)."""


def coarse_degrees(xs: np.ndarray, ys: np.ndarray, crs: Any, cell_m: float
                   ) -> tuple[np.ndarray, float, str]:
    """Each point's step (degrees) when its longitude and latitude are both rounded to a
    step coarser than twice a cell (``cell_m``, metres), else ``inf``; the step of the
    table (the finest of theirs: the decimals it writes); and the names of the steps, finest
    first (a table joined from sources of 2 decimals and of whole minutes says both). Every
    step is ``inf`` outside a geographic CRS.

    A coordinate is on a step of ``10**-d`` degrees when it has at most ``d`` decimals, on
    whole minutes when it lies within half its last written decimal of one (``51.0833``:
    5' converted and cut to 4 decimals). A place rounded so is known only to half the
    step (0.01 degree: +-557 m), and such a point may fall in another cell than the one
    it was measured in. Coordinates that are no degrees (beyond 360 or 90: metres) are on
    no step."""
    none = np.full(len(xs), np.inf)
    if crs is None or not getattr(crs, "is_geographic", False) or not cell_m > 0:
        return none, 0.0, ""
    xs, ys = np.asarray(xs, "f8"), np.asarray(ys, "f8")
    # (metres read as degrees, RD New's 155000, 463000, are no place, refused or dropped
    # as such: their whole numbers were "rounded to whole degrees, +-55.7 km" too)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(xs) & np.isfinite(ys) & (np.abs(xs) <= 360) & (np.abs(ys) <= 90)
    step = np.full(len(xs), np.inf)
    names: dict[float, str] = {}
    for value, name, decimal in COARSE_STEPS:
        if value * DEGREE_M / 2 <= cell_m:
            continue  # rounding finer than the cells moves no point to another cell
        names[value] = name
        scaled = np.stack([xs, ys]) / value
        off = np.abs(scaled - np.round(scaled))
        # a decimal step is written exactly; whole minutes are cut to 4 decimals or more
        on = (off < 1e-6 if decimal else off * value <= 0.5e-4 + 1e-9).all(axis=0)
        step = np.where(on & finite & np.isinf(step), value, step)  # the coarsest it is on
    coarse = np.isfinite(step)
    if not coarse.any():
        return none, 0.0, ""
    finest = float(step[coarse].min())
    # the finest step, and another that holds many of the points (a table joined from
    # sources in 2 decimals and in whole minutes); a coarser step a few points are on by
    # chance (a 2-decimal value ending in 0) is not named
    shares = {v: float(np.mean(step[coarse] == v)) for v in set(step[coarse].tolist())}
    said = [names[v] for v in sorted(shares) if v == finest or shares[v] >= 0.4]
    return step, finest, " or ".join(said)


def warn_coarse_coordinates(xs: np.ndarray, ys: np.ndarray, crs: Any, cell: float | None,
                            cell_crs: Any, path: Path | str, numbers: np.ndarray,
                            what: str) -> None:
    """Warn of a table or file whose longitudes and latitudes are rounded (by an export,
    a spreadsheet's format, a conversion from whole minutes) to a step coarser than twice
    the region's cells (``cell``, in ``cell_crs``'s units): each point is known only to
    half the step (1 decimal: +-5.6 km), while the surfaces and the labels placed it in
    one cell without a word. Said when at least 3 points, and half of them, are rounded
    so (a measured place has its last decimal 0 one time in ten). Coordinates in metres
    are never said (a metre CRS's 1 decimal is a decimetre)."""
    if cell is None or len(xs) < 3:
        return
    target = parse_crs(cell_crs) if isinstance(cell_crs, str) else cell_crs
    if target is None:
        return
    if target.is_geographic:
        cell_m = float(cell) * DEGREE_M
    else:
        factor = target.axis_info[0].unit_conversion_factor if target.axis_info else 1.0
        cell_m = float(cell) * float(factor or 1.0)
    steps, step, name = coarse_degrees(xs, ys, crs, cell_m)
    coarse = np.isfinite(steps)
    n = int(coarse.sum())
    if n < 3 or 2 * n < len(xs):
        return
    half = step * DEGREE_M / 2
    said = f"{half / 1000:.1f} km" if half >= 1000 else f"{half:.0f} m"
    at = np.flatnonzero(coarse)
    shown = int(np.flatnonzero(steps == step)[0])  # a point on the finest step
    warnings.warn(DataWarning(
        f"{path}: {n} of {len(xs)} point(s) have their longitude and latitude rounded to "
        f"{name} ({_listed(np.asarray(numbers), at, what)}; e.g. {xs[shown]:g}, "
        f"{ys[shown]:g}): each place is known only to +-{said} north-south "
        f"({half / cell_m:.1f} times the cells' {cell_m:g} m), and is placed in one cell as "
        "if exact; give the coordinates as measured (more decimals, or the survey's "
        "projected metres), or use cells as coarse as the places"), stacklevel=3)


def warn_coarse_vertices(geoms: np.ndarray, crs: Any, cell: float | None, cell_crs: Any,
                         path: Path | str, numbers: np.ndarray, what: str) -> None:
    """Warn of polygons (occurrence outlines) whose every vertex lies on a step of degrees
    coarser than twice the region's cells (``cell`` in ``cell_crs``'s units), as
    :func:`warn_coarse_coordinates` warns of points: an outline exported in 2 decimals
    is known only to +-557 m, and the cells it labels are off by as much, without a
    word. A polygon is said when it has at least 4 distinct vertices and an edge that is
    neither north-south nor east-west: a block drawn on whole minutes or a licence grid
    (every edge along a meridian or a parallel) is exact as drawn, not rounded.
    ``numbers[i]`` names ``geoms[i]``."""
    if cell is None or not len(geoms) or not getattr(crs, "is_geographic", False):
        return
    geoms = np.asarray(geoms, dtype=object)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    if not polygonal.any():
        return
    target = parse_crs(cell_crs) if isinstance(cell_crs, str) else cell_crs
    if target is None:
        return
    factor = DEGREE_M if target.is_geographic else float(
        (target.axis_info[0].unit_conversion_factor if target.axis_info else 1.0) or 1.0)
    cell_m = float(cell) * factor
    at = np.flatnonzero(polygonal)
    coords, owner = shapely.get_coordinates(geoms[at], return_index=True)
    steps, _, _ = coarse_degrees(coords[:, 0], coords[:, 1], crs, cell_m)
    names = {value: name for value, name, _ in COARSE_STEPS}
    rounded: list[tuple[int, float]] = []
    for k in range(at.size):
        mine = owner == k
        if not np.isfinite(steps[mine]).all():
            continue
        xy = coords[mine]
        if np.unique(xy, axis=0).shape[0] < 4:
            continue
        dx, dy = np.diff(xy[:, 0]), np.diff(xy[:, 1])
        if not ((np.abs(dx) > 1e-9) & (np.abs(dy) > 1e-9)).any():
            continue  # edges along meridians and parallels only: a block, exact as drawn
        rounded.append((int(at[k]), float(steps[mine].min())))  # (the finest all are on)
    if not rounded:
        return
    step = min(s for _, s in rounded)
    half = step * DEGREE_M / 2
    said = f"{half / 1000:.1f} km" if half >= 1000 else f"{half:.0f} m"
    shown = np.asarray([i for i, _ in rounded])
    x0, y0 = shapely.get_coordinates(geoms[shown[0]])[0]
    warnings.warn(DataWarning(
        f"{path}: {len(rounded)} of {at.size} polygon(s) have every vertex rounded to "
        f"{names.get(step, f'{step:g} degree')} ({_listed(np.asarray(numbers), shown, what)}"
        f"; e.g. {x0:g}, {y0:g}): each outline is known only to +-{said} "
        f"({half / cell_m:.1f} times the cells' {cell_m:g} m), and the cells it labels are "
        "off by as much; give the outlines as drawn (more decimals, or the survey's "
        "projected metres), or use cells as coarse as the outlines"), stacklevel=3)


_RADIUS_UNITS = {"m": 1.0, "meter": 1.0, "meters": 1.0, "metre": 1.0, "metres": 1.0,
                 "inmeters": 1.0, "inmetres": 1.0, "km": 1000.0, "inkm": 1000.0,
                 "ft": 0.3048, "feet": 0.3048, "infeet": 0.3048}
"""Metres of the length units a location-radius column's name ends in."""
_RADIUS_NAME = re.compile(
    r"(?P<prefix>(?:loc(?:ation)?|pos(?:ition(?:al)?)?|coord(?:inate)?s?|gps|horiz(?:ontal)?"
    r"|xy|spatial|geo(?:ref)?|place|site)_?)?"
    r"(?P<what>radius|uncertainty|accuracy|precision|error|err|acc|prec)"
    r"_?(?P<unit>" + "|".join(sorted(_RADIUS_UNITS, key=len, reverse=True)) + r")?")
"""A column giving each record's location uncertainty as a radius (``radius_m``,
``accuracy_m``, ``loc_precision``, ``location_accuracy_km``, Darwin Core's and GBIF's
``coordinateUncertaintyInMeters``): ``radius`` by itself, or an uncertainty word with a
location word before it or a length unit after it (a bare ``precision`` or ``error`` is
as often a laboratory's)."""


def radius_column(columns: Any, named: str | None = None) -> tuple[str, float, bool] | None:
    """The location-radius column of a table's ``columns`` (``named``, else the first
    whose name :data:`_RADIUS_NAME` matches), its unit in metres, and whether the name
    states the unit (else metres are assumed)."""
    for column in ([named] if named else list(columns)):
        key = re.sub(r"[^a-z0-9]+", "_", str(column).lower()).strip("_")
        match = _RADIUS_NAME.fullmatch(key)
        if match is None and named is None:
            continue
        if match is None:  # named in the config: its unit only from its name's end
            unit = next((u for u in sorted(_RADIUS_UNITS, key=len, reverse=True)
                         if key.endswith(("_" + u, u)) and key != u), None)
            return str(column), _RADIUS_UNITS.get(unit or "m", 1.0), unit is not None
        if match["what"] != "radius" and not (match["prefix"] or match["unit"]) and \
                named is None:  # (a bare 'precision' is a radius where the config says so)
            continue
        return str(column), _RADIUS_UNITS[match["unit"] or "m"], match["unit"] is not None
    return None


def cell_metres(cell: float, cell_crs: Any) -> float:
    """A cell size ``cell`` in ``cell_crs``'s units, on the ground in metres (a degree as
    :data:`DEGREE_M`)."""
    target = parse_crs(cell_crs) if isinstance(cell_crs, str) else cell_crs
    if target is None:
        return float(cell)
    if target.is_geographic:
        return float(cell) * DEGREE_M
    factor = target.axis_info[0].unit_conversion_factor if target.axis_info else 1.0
    return float(cell) * float(factor or 1.0)


def uncertain_places(frame: pd.DataFrame, path: Path | str, keep: np.ndarray,
                     numbers: np.ndarray, what: str, *, cell: float | None, cell_crs: Any,
                     max_radius: float | None = None, radius: str | None = None,
                     left_out: str = "dropped") -> np.ndarray:
    """The ``keep`` records of ``frame`` whose location radius (:func:`radius_column`:
    ``radius_m``, ``accuracy_m``, ``coordinateUncertaintyInMeters``...) exceeds
    ``max_radius`` metres (a points source's ``max_radius``), as a mask to leave out,
    said with the column, the count and the records. Without ``max_radius`` the records
    whose radius exceeds the region's cells (``cell`` in ``cell_crs``'s units) are said:
    each was placed in one cell as if exact, the radius column read by nothing and
    named by nothing. ``radius`` names the column (a points source's ``radius_column``).

    Raises
    ------
    DataError
        ``radius`` is not a column of the table, or ``max_radius`` is given and the table
        has no location-radius column, or none of its cells is a number.
    """
    out = np.zeros(len(frame), dtype=bool)
    if radius is not None and radius not in frame.columns:
        raise DataError(f"{path}: 'radius_column' names {radius!r}, which the table does not "
                        f"have; columns are {[str(c) for c in frame.columns]}: use the header "
                        "exactly as in the table")
    named = [c for c in frame.columns  # (not the labels reader's own '_value'...)
             if c != "geometry" and not str(c).startswith("_")]
    found = radius_column(named, radius)
    if found is None:
        if max_radius is not None:
            raise DataError(
                f"{path}: 'max_radius' is {max_radius:g} m but the table has no column of "
                "location radii (radius_m, accuracy_m, location_precision_m, "
                f"coordinateUncertaintyInMeters...); columns are "
                f"{[str(c) for c in named]}: name it with "
                "'radius_column: <column>', or leave 'max_radius' out")
        return out
    column, metres, stated = found
    cells = frame[column]
    # a cell may write its unit ('5 km', '250 m'), which is then the cell's own
    parts = cells.astype("string").str.strip().str.replace(",", ".", regex=False) \
        .str.extract(r"^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)$")
    own = parts[1].fillna("").str.lower().to_numpy(dtype=object)
    known = np.array([u == "" or u in _RADIUS_UNITS for u in own])
    scale = np.array([_RADIUS_UNITS.get(u, metres) if u else metres for u in own], "f8")
    radii = np.where(known, pd.to_numeric(parts[0], errors="coerce").to_numpy("f8"),
                     np.nan) * scale
    read = np.isfinite(radii) & keep
    unit = "" if stated or any(own) else " (its name states no unit: read as metres)"
    if (max_radius is not None or radius is not None) and keep.any() and not read.any():
        # a column of accuracy classes ('A'/'B'/'C', 'exact'/'approximate') named as the
        # radii was read by nothing without a word: every record placed as if exact
        given = [str(c).strip() for c in cells[keep] if pd.notna(c) and str(c).strip()]
        shown = ", ".join(repr(c) for c in dict.fromkeys(given)) if len(
            set(given)) <= 6 else f"{given[0]!r}"
        asked = (f"'max_radius' is {max_radius:g} m but " if max_radius is not None else
                 f"'radius_column' names {column!r} but ")
        raise DataError(
            f"{path}: {asked}column {column!r} holds no radius in metres (e.g. "
            f"{shown or 'empty cells'}): a class of location accuracy is no radius; give "
            "each record's radius in metres (a column of each class's radius, e.g. "
            "A as 10, B as 100), or leave "
            + " and ".join(f"{k!r}" for k, v in (("max_radius", max_radius),
                                                  ("radius_column", radius)) if v is not None)
            + " out")
    if max_radius is not None:
        out = read & (radii > max_radius)
        if out.any():
            at = np.flatnonzero(out)
            warnings.warn(DataWarning(
                f"{path}: {at.size} of {int(keep.sum())} record(s) have a location radius "
                f"(column {column!r}{unit}) over max_radius {max_radius:g} m "
                f"({_listed(numbers, at, what)}; e.g. {radii[at[0]]:g} m): {left_out}, as "
                "the points source's 'max_radius' asks"), stacklevel=3)
        return out
    if cell is None:
        return out
    cell_m = cell_metres(cell, cell_crs)
    wide = read & (radii > cell_m)
    if wide.any():
        at = np.flatnonzero(wide)
        widest = int(at[np.argmax(radii[at])])
        warnings.warn(DataWarning(
            f"{path}: {at.size} of {int(keep.sum())} record(s) have a location radius "
            f"(column {column!r}{unit}) larger than the region's cells ({cell_m:g} m) "
            f"({_listed(numbers, at, what)}; e.g. {radii[widest]:g} m): each is placed in "
            "one cell as if exact; set 'max_radius: <metres>' in the points source to leave "
            "out the records less precise than that, or use cells as coarse as the radii"),
            stacklevel=3)
    return out


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(value)


def column_values(frame: pd.DataFrame, column: str, path: Path | str, *,
                  keep: np.ndarray | None = None, numbers: np.ndarray | None = None,
                  what: str = "line", nodata: tuple[float, ...] = (),
                  strict: bool = True, flag: str | Qualifier | None = None,
                  unit: str | None = None, above_as_limit: bool = False,
                  below_as_half: bool = False) -> np.ndarray:
    """The ``keep`` records of a value column of a table :func:`read_features` read, as
    numbers in the table's decimal notation (every record when ``keep`` is ``None``):
    the values of :func:`column_values_and_limits`, which takes the same arguments and
    says how each is read."""
    return column_values_and_limits(
        frame, column, path, keep=keep, numbers=numbers, what=what, nodata=nodata,
        strict=strict, flag=flag, unit=unit, above_as_limit=above_as_limit,
        below_as_half=below_as_half).values


def column_values_and_limits(
        frame: pd.DataFrame, column: str, path: Path | str, *,
        keep: np.ndarray | None = None, numbers: np.ndarray | None = None,
        what: str = "line", nodata: tuple[float, ...] = (), strict: bool = True,
        flag: str | Qualifier | None = None, unit: str | None = None,
        above_as_limit: bool = False, below_as_half: bool = False,
        limit_column: str | None = None) -> Limited:
    """The ``keep`` records of a value column of a table :func:`read_features` read, as
    numbers in the table's decimal notation (every record when ``keep`` is ``None``),
    with each record's detection limit where it is read below a known one (NaN
    elsewhere): a cell written ``<5`` or ``≤ 0,5`` (:func:`_cell_limits`), a detection-limit
    column's, or minus a negative concentration
    (:func:`~prospect.io.companions.limited_values`).

    A kept cell that is not a finite number, or that equals a declared ``nodata``, becomes
    NaN and a :class:`DataWarning` names how many and where (``numbers``: each record's
    line or feature number); a common fill (:data:`POINT_FILLS`) on two or more kept rows
    that is not declared is a warning naming it and ``nodata:``. ``strict=False`` (a
    label's grade, which training checks) reads a column without any number as all NaN;
    its cells that are not numbers (``'150 mg/L'``) are NaN with the warning too: a label
    without a grade is never a positive; a grade below a limit read (``'<20'``) is left
    out of that warning (the labels say it as a negative or undecided), as a surface's
    value below one is (said as half its limit). A cell written in a unit the column
    cannot read it in is said with the fix (:func:`_other_unit_fix`); one in another size
    of the column's unit (``<5 µg/L``, ``800 µg/L`` among mg/L) is converted
    (:func:`_cell_factor`).

    Columns beside it that say how to read it (:mod:`prospect.io.companions`): a value
    its qualifier column (``flag``, or one found by name) or its detection-limit column
    marks below or above a limit, and a negative value of a concentration, are missing,
    counted in a warning; a unit column naming several units, or an analyte column
    naming several analytes (a long lab table), is refused. A column is a concentration
    where ``unit`` (the config's ``units:``), else the units the table states for it (a
    row of units, its cells' ``1.2 ppm`` or percentages), else its header names one
    (:func:`~prospect.io.companions.stated_concentration`). ``above_as_limit`` keeps
    a value its qualifier flags above the upper limit, as its limit (a label's grade).
    ``below_as_half`` (a surface's column) reads a value below a known detection limit
    (``<5``, minus a negative concentration, under its detection-limit column's) as half
    that limit (:func:`_halved_limits`) instead of as missing. ``limit_column`` (the
    source's ``limits:``) names the column of ``column``'s detection limits where its name
    is no companion's (``lod_ppm``, ``DL`` beside ``li_ppm``): read as a companion's would
    be, in its place (:func:`_named_limit_column`).
    """
    path = Path(path)
    series = pd.Series(frame[column]).reset_index(drop=True)
    keep = np.ones(len(series), bool) if keep is None else np.asarray(keep, bool)
    if numbers is None:
        numbers = np.arange(len(series)) + 2
    named = qualifier_column(flag)
    if named is not None and named not in frame.columns:
        raise DataError(
            f"{path}: no column {named!r}, which 'flags' names as the qualifier column of "
            f"{column!r}; columns are {[c for c in frame.columns if c != 'geometry'][:30]}")
    from prospect.ingest.layers import unit_key

    series, converted, factors = _row_units_converted(series, frame, column, keep, path,
                                                      numbers, what)
    limit_columns, limit_factor = (companion_names(
        column, [str(c) for c in frame.columns])[1], 1.0) if limit_column is None else \
        _named_limit_column(frame, column, limit_column, keep, path,
                            unit or (frame.attrs.get("units") or {}).get(column))
    as_written = pd.Series(frame[column]).reset_index(drop=True)
    if converted is not None:  # (a limit is shown with its row's unit: '<5 µg/L')
        text = series.map(lambda c: isinstance(c, str)).to_numpy(bool)
        as_written = pd.Series(np.where(text, series.to_numpy(object),
                                        as_written.to_numpy(object)), dtype=object)
    refuse_mixed_rows(frame, column, keep, path, unit_key=lambda u: str(unit_key(u)),
                      converted=converted)
    series = _noted_text(series, keep, path, column, numbers, what)
    series = _qualified_text(series, keep, path, column, numbers, what)
    series = _percent_text(series, frame, column, keep, path, numbers, what)
    series = _unit_text(series, frame, column, keep, path, numbers, what, unit)
    series = _measure_cells(series, frame, column, keep, path, numbers, what, unit)
    _unit_column_units(frame, column, keep)
    refuse_uncomputed(frame, path, [column])
    plain = (frame.attrs.get("percent_mixed") or {}).get(column)
    if plain:
        raise DataError(
            f"{path}: column {column!r} holds cells formatted as percentages (shown "
            f"'1.2%', stored 0.012) and plain number cells (row"
            f"{'s' if len(plain) > 1 else ''} {', '.join(map(str, plain[:5]))}"
            f"{', ...' if len(plain) > 5 else ''}), which cannot both be the unit the "
            "column means (is 0.8 there 0.8 % or 80 %?); format the whole column one way "
            "(all as Percent, or all as Number in the unit the header names)")
    values = (_numeric if strict else _numbers)(series, path, column, frame.attrs)
    text = series.astype(str).str.strip()
    # an empty cell, or ArcGIS's spelling of one ('<Null>'): missing without a word
    empty = (text == "") | text.str.fullmatch(r"<\s*null\s*>", case=False)
    bad = ~np.isfinite(values) & (series.notna() & ~empty).to_numpy() & keep
    stated_unit = unit or (frame.attrs.get("units") or {}).get(column)
    worded = _worded_limits(text, limit_columns, lambda name: _numbers(
        pd.Series(frame[name]).reset_index(drop=True), path, name, frame.attrs) * (
        factors if factors is not None else 1.0) * limit_factor)
    if below_as_half or not strict:  # (its limit is read: said with the others below a
        # limit, a surface's as half of it, a label's grade by the labels as a negative or
        # undecided; a limit written with a unit is read in the unit the table states, as
        # it is below; '<LOD' beside its row's limit in 'Li_DL' too)
        cell_limits = _cell_limits(series, path, column, frame.attrs, stated_unit)
        bad &= ~np.isfinite(np.where(np.isnan(cell_limits), worded, cell_limits))
    if bad.any():
        at = bad.nonzero()[0]
        other, other_unit = _cells_in_other_units(series, bad, column, stated_unit,
                                                  above=above_as_limit)
        kinds = [_other_unit_fix(column, stated_unit, text[other], other_unit)
                 ] if other_unit is not None else []
        if (bad & ~other).any():
            kinds.append(_what_cells_are(text[bad & ~other], label=not strict)[2:])
        lone = _lone_limit_columns(frame, column) if not limit_columns and text[bad].map(
            lambda c: _LIMIT.fullmatch(_signs(c)) is not None).any() else []
        if lone:  # ('lod_ppm' beside 'li_ppm': its limits were read for no grade)
            kinds.append(
                f"column {lone[0]!r} holds detection limits but names no element, so it is "
                f"read as no column's limits: rename it {column + '_DL'!r} (the grade "
                "column's name, then DL) to have each row's limit read with its grade, or "
                f"name it in the points source: 'limits: {{{column}: {lone[0]}}}'")
        warnings.warn(DataWarning(
            f"{path}: {len(at)} of {int(keep.sum())} value(s) in column {column!r} are not "
            f"finite numbers and are read as missing ({_listed(numbers, at, what)}; e.g. "
            f"{_shown(series.iloc[int(at[0])])})"
            + ("" if strict else "; a label without a grade is never a positive where a "
               "threshold grades the labels (without one, every record is a positive, "
               "whatever its grade; with one, a grade below a detection limit at or under "
               "it is a negative)")
            + "; " + "; ".join(kinds)), stacklevel=3)
    values = np.where(bad, np.nan, values)
    _warn_overflow(frame, column, keep, path, numbers, what)
    if nodata:
        hit = np.zeros(len(values), bool)
        for v in nodata:
            hit |= np.isclose(values, v, rtol=1e-9, atol=0)
        hit &= keep
        if hit.any():
            at = hit.nonzero()[0]
            shown = ", ".join(_text(v) for v in nodata)
            warnings.warn(DataWarning(
                f"{path}: {len(at)} of {int(keep.sum())} value(s) in column {column!r} are "
                f"the declared nodata ({shown}) and are read as missing "
                f"({_listed(numbers, at, what)})"), stacklevel=3)
            values = np.where(hit, np.nan, values)
    unit = unit or (frame.attrs.get("units") or {}).get(column)
    read_values = values
    limited = limited_values(
        frame, column, values, keep, path, lambda at: _listed(numbers, at, what), flag=flag,
        read=lambda name: _numbers(pd.Series(frame[name]).reset_index(drop=True), path,
                                   name, frame.attrs) * (
            factors if factors is not None and name in limit_columns else 1.0) * (
            limit_factor if name in limit_columns else 1.0),
        fills=POINT_FILLS, unit=unit, above_as_limit=above_as_limit,
        below_as_half=below_as_half,
        limit_columns=limit_columns if limit_column is not None else None)
    values, limit = limited.values, limited.limit
    concentration = stated_concentration(column, unit)
    bracketed = re.search(r"[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$", column)  # 'T (°C)'
    stated = unit or (frame.attrs.get("units") or {}).get(column) or (
        bracketed.group(1) if bracketed else None)
    # a surface's column named by its element alone ('li'): a concentration too, whose
    # negative fill (a well's -999) is no grade of -999 (its '-5' is minus a limit)
    named = element_named(column, read_values, keep & np.isfinite(read_values), unit) \
        if below_as_half and concentration is None and not above_as_limit else None
    if concentration is not None or above_as_limit or named is not None:
        values = _negative_fills_missing(values, keep, path, column, numbers, what,
                                         concentration, named=named)
    elif stated is not None and (least := least_possible(stated)) is not None:
        values = _negative_fills_missing(values, keep, path, column, numbers, what,
                                         stated, least=least)
    if above_as_limit:  # a label's grades: a flag alone bounds its grade too
        limit = _flagged_limits(read_values, values, limit, keep, path, column, numbers,
                                what)
    other_decimal: list[int] = []
    written = _cell_limits(series, path, column, frame.attrs, unit, other_decimal)
    written = np.where(np.isnan(written), worded, written)  # ('<LOD' with 'Li_DL' beside)
    limit = np.where(np.isnan(values) & np.isfinite(written), written, limit)
    _warn_other_decimal(series, written, keep & np.isin(np.arange(len(series)), other_decimal),
                        path, column, frame.attrs, numbers, what)
    for fill in (*POINT_FILLS, *NINES):
        hit = keep & np.isclose(values, fill, rtol=1e-6, atol=0)
        # a fill of 1e20 or more is no measurement even on one row (-1e30, float32's max),
        # nor is a negative one alone among values that are none (a well's -999), nor a
        # high one far above every other value (a well's 9999 among grades of 10 to 55)
        far = _far_above(values, hit, keep)
        if int(hit.sum()) >= (1 if abs(fill) >= 1e20 or far or _lone_negative(values, hit, keep)
                              else 2 if fill in POINT_FILLS else len(values) + 1):
            at = hit.nonzero()[0]
            value = _text(float(values[at[0]]))
            top = np.nanmax(np.where(keep & ~hit, values, np.nan)) if far else 0.0
            warnings.warn(DataWarning(
                f"{path}: column {column!r} holds {value} on {len(at)} of {int(keep.sum())} "
                f"rows ({_listed(numbers, at, what)}), a value commonly used to mark no data"
                + (f", more than {FAR_ABOVE:g} times any other value of the column (at most "
                   f"{_text(float(top))})" if far else "")
                + f", and it is read as a measurement; if {value} marks no data, set "
                f"'nodata: {value}' in the points source"), stacklevel=3)
    if strict:
        _warn_zero_spike(values, keep, path, column, numbers, what)
    _refuse_depths_of_both_signs(values, keep, path, column, numbers, what)
    if below_as_half:  # (after the checks above, which read the measured values alone)
        values = _halved_limits(values, limit, written, keep, path, column, numbers, what,
                                as_written=as_written, unit=unit)
    above = limited.above if limited.above is not None else np.zeros(len(values), bool)
    return Limited(values[keep], limit[keep], above[keep])


def _named_limit_column(frame: pd.DataFrame, column: str, named: str, keep: np.ndarray,
                        path: Path, unit: str | None = None) -> tuple[list[str], float]:
    """``([named], factor)``: the detection-limit column the source's ``limits:`` gives
    ``column``, once it is found in ``frame`` and holds a number on a kept row (a lone
    limit column, ``lod_ppm`` beside ``li_ppm``, was read by nothing, the fix a rename:
    round 64), and the factor that turns its numbers into the grade's unit
    (:func:`_limit_factor`; ``unit``, the grade column's stated units)."""
    if named not in frame.columns:
        raise DataError(
            f"{path}: no column {named!r}, which 'limits' names as the detection-limit "
            f"column of {column!r}; columns are "
            f"{[c for c in frame.columns if c != 'geometry'][:30]}")
    if named == column:
        raise DataError(f"{path}: 'limits' names {column!r} as its own detection-limit "
                        "column; name the column of the limits beside it")
    refuse_repeated_columns(frame, path, [named])
    cells = pd.Series(frame[named]).reset_index(drop=True)
    read = _numbers(cells, path, named, frame.attrs)
    if not np.isfinite(read[keep]).any():
        shown = ", ".join(repr(str(c)) for c in cells[keep].dropna().unique()[:3])
        raise DataError(
            f"{path}: 'limits' names {named!r} as the detection-limit column of {column!r} "
            f"but column {named!r} holds no number" + (f" (e.g. {shown})" if shown else "")
            + "; give each row's detection limit as a number in the grade's unit, or leave "
            f"'limits: {{{column}: ...}}' out")
    return [named], _limit_factor(frame, column, named, path, unit)


def _limit_factor(frame: pd.DataFrame, column: str, named: str, path: Path,
                  unit: str | None) -> float:
    """The factor that turns the numbers of ``named``, ``column``'s detection-limit
    column, into the unit of ``column``'s grades: 1 where both state one unit or either
    states none (a limit is read in the grade's unit), the conversion where they state two
    sizes of one quantity (``lod_pct`` beside ``li_ppm``: 10 000; a row of units' ``ppb``
    over ``ppm``). Each unit is the one the config or a row of units states for the
    column, else its header's (:func:`~prospect.io.companions.stated_concentration`).
    A limit of ``lod_pct`` beside ``li_ppm`` was read as ppm: 0.00005 % taken for
    0.00005 ppm, 10 000 times too low (a label below it a negative under any threshold,
    a surface's value half of it).

    Raises
    ------
    DataError
        The two state units of other quantities (``mg/L`` beside ``ppm``).
    """
    from prospect.ingest.layers import unit_key

    stated = frame.attrs.get("units") or {}
    grade = stated_concentration(column, unit or stated.get(column))
    limit = stated_concentration(named, stated.get(named))
    if grade is None and limit is not None:  # (the limits' unit, the grades' unsaid)
        warnings.warn(DataWarning(
            f"{path}: 'limits' names {named!r}, in {limit}, as the detection-limit column "
            f"of {column!r}, whose unit neither its header, a row of units nor 'units:' "
            f"states: the grades of {column!r} are read in {limit} too, as the limits; if "
            f"they are in another unit, state it in the points source ('units: {{{column}: "
            f"<unit>}}', e.g. ppm) and the limits are converted into it"), stacklevel=4)
        return 1.0
    if grade is None or limit is None or unit_key(grade) == unit_key(limit):
        return 1.0
    factor = _cell_factor(limit, grade)
    if factor is None:
        raise DataError(
            f"{path}: 'limits' names {named!r} as the detection-limit column of {column!r}, "
            f"but its limits are in {limit} and the grades in {grade}, which cannot be "
            f"converted one into the other; give the limits in {grade}, or name a "
            f"detection-limit column in {grade}")
    return factor


_LIMIT_NAME_WORDS = frozenset({"detection", "limit", "limits", "det", "lim", "of", "the",
                               "lower", "reporting"})
"""Words of a detection-limit column's name beside :data:`LIMIT_WORDS`
(``Detection limit``, ``Lower limit of detection``)."""


def _lone_limit_columns(frame: pd.DataFrame, column: str) -> list[str]:
    """The columns of ``frame`` other than ``column`` whose names say a detection limit
    and nothing else, but maybe a unit (``lod``, ``lod_ppm``, ``DL``, ``Detection limit
    (ppm)``): named for no element, they are no value column's companion
    (:func:`~prospect.io.companions.companion_names` pairs ``Li_DL`` with ``Li``), and a
    cell ``<LOD`` of ``column`` was read without the limit beside it, the fix unsaid."""
    out = []
    for name in map(str, frame.columns):
        words = [w for w in re.split(r"[\s_.\-()\[\]/,:;]+", name.casefold()) if w]
        if name == column or not words or not (
                set(words) & (LIMIT_WORDS | {"detection", "detlim"})):
            continue
        if all(w in LIMIT_WORDS | _LIMIT_NAME_WORDS or is_concentration(w) for w in words):
            out.append(name)
    return out


def _warn_other_decimal(series: pd.Series, written: np.ndarray, hit: np.ndarray, path: Path,
                        column: str, attrs: dict[str, Any], numbers: np.ndarray,
                        what: str) -> None:
    """Say the detection limits (``hit``) a value column writes with the other decimal
    separator than its table's (:func:`_other_decimal`: ``<0,1`` among numbers of decimal
    points), read as the number they write (``written``)."""
    if not hit.any():
        return
    at = hit.nonzero()[0]
    first = int(at[0])
    table = "points" if (attrs.get("decimal") or ".") == "." else "commas"
    cells = "comma" if table == "points" else "point"
    warnings.warn(DataWarning(
        f"{path}: {len(at)} detection limit(s) in column {column!r} write their number with "
        f"a decimal {cells} where the table writes decimal {table} "
        f"({_listed(numbers, at, what)}; e.g. {str(series.iloc[first]).strip()!r}, read as "
        f"below {_text(float(written[first]))}): each is read so, as it reads only one way; "
        f"write them with decimal {table}, as the table's other numbers are"), stacklevel=4)


def _lone_negative(values: np.ndarray, hit: np.ndarray, keep: np.ndarray) -> bool:
    """Whether the kept ``values`` a negative common fill ``hit`` are the column's only
    negative ones, among at least two others: a well's ``-999`` among grades of 10 to 100
    (in a column stating no unit, so not read as missing as a concentration's is) was
    interpolated into the surface as a measurement without a word, a fill being said
    only on two rows."""
    others = values[keep & ~hit]
    others = others[np.isfinite(others)]
    return bool(hit.any() and (values[hit] < 0).all() and others.size >= 2
                and (others >= 0).all())


HALF_LIMIT_NOTE = ("half the detection limit (values below a limit; the common "
                   "substitution in geochemistry)")
"""How a surface reads a value below a known detection limit, as its layers record it."""


def _worded_limits(text: pd.Series, limit_columns: list[str],
                   read: Callable[[str], np.ndarray]) -> np.ndarray:
    """Each cell that says "below the limit" in words without its number (``<LOD``,
    ``BDL``, ``n.d.``, ``<DL``: :data:`_LIMIT`) given its row's limit from the value
    column's detection-limit column (``Li_DL``, ``Li_ppm_LOD``: ``limit_columns``, the
    first with a positive number on the row, ``read`` reading it); NaN elsewhere. Such a
    cell was missing without its limit, where the column beside it gives it: a number
    under that column's limit was read below it, the cell that says so in words not."""
    out = np.full(len(text), np.nan)
    if not limit_columns:
        return out
    said = text.map(lambda cell: bool(_LIMIT.fullmatch(str(cell)))).to_numpy(bool)
    if not said.any():
        return out
    for name in limit_columns:
        limit = np.asarray(read(name), "f8")
        with np.errstate(invalid="ignore"):
            out = np.where(said & np.isnan(out) & np.isfinite(limit) & (limit > 0), limit,
                           out)
    return out


def _halved_limits(values: np.ndarray, limit: np.ndarray, written: np.ndarray,
                   keep: np.ndarray, path: Path, column: str, numbers: np.ndarray,
                   what: str, as_written: pd.Series | None = None,
                   unit: str | None = None) -> np.ndarray:
    """``values`` with each kept value below a known detection limit (``limit``; a cell
    written ``<5``: ``written``) read as half that limit, with a warning of the cells so
    written (those of a companion column or a negative concentration are said by
    :func:`~prospect.io.companions.limited_values`), its example the first cell as the
    table writes it (``as_written``: ``'ND(5)'``, ``'<5 µg/L'``; it was shown as ``'<5'``,
    whatever was written, so the user could not find it), and half of a limit converted
    from its cell's unit into the column's (``unit``) said in the column's unit.

    A surface's value below a detection limit was left out of it: where low values cluster
    (the samples below the limit lie together), the surface there was interpolated from
    the measured values around them, all above the limit, and lifted. Half the limit is
    the substitution geochemical surveys use (Helsel 2012, ch. 1); a user who wants
    another gives the values as numbers."""
    halved = keep & np.isnan(values) & np.isfinite(limit) & (limit > 0)
    cells = halved & np.isfinite(written)
    if cells.any():
        at = cells.nonzero()[0]
        first = float(written[at[0]])
        cell = as_written.iloc[int(at[0])] if as_written is not None else None
        shown = (repr(cell.strip()) if isinstance(cell, str) and cell.strip()
                 else f"'<{_text(first)}'")
        # (a limit converted from its cell's unit, '<5 µg/L', is said in the column's)
        m = _BELOW_CELL.fullmatch(_below_written(cell.strip())) \
            if isinstance(cell, str) else None
        said = _cell_unit(re.sub(_BELOW_QUALIFIER, "", m.group(1))) if m else None
        stated = stated_concentration(column, unit)
        factor = _cell_factor(said[1], stated) if said is not None else None
        half = _text(first / 2) + (f" {stated}" if factor not in (None, 1.0) else "")
        warnings.warn(DataWarning(
            f"{path}: {len(at)} of {int(keep.sum())} value(s) in column {column!r} are below "
            f"a detection limit ({_listed(numbers, at, what)}; e.g. {shown}): each "
            f"is read as half its limit ({half}), the common substitution in "
            "geochemistry (left out, they would lift the surface where low values cluster); "
            "to use other values, give them as numbers in their cells"), stacklevel=4)
    return np.where(halved, limit / 2, values)


NINES = (999.0, 9999.0, 99999.0, 999999.0)
"""Runs of nines that tables write for no data (9999 and 99999 most), said only where they
stand far above every other value of their column (:func:`_far_above`): 999 ppm or
9999 mg/L are measurements too."""

FAR_ABOVE = 10.0
"""How many times a column's largest other value a common fill must be to be said on one
row (:func:`_far_above`)."""


def _far_above(values: np.ndarray, hit: np.ndarray, keep: np.ndarray) -> bool:
    """Whether the kept ``values`` a positive common fill ``hit`` (9999, 32767) are more
    than :data:`FAR_ABOVE` times every other kept value, among at least two others that
    are all positive: a well's ``9999`` among lithium of 10 to 55 mg/L was interpolated
    into the surface as a measurement without a word (the surface 180 times its
    neighbours about it), a positive fill being said only on two rows (and 9999 never)."""
    others = values[keep & ~hit]
    others = others[np.isfinite(others)]
    return bool(hit.any() and (values[hit] > 0).all() and others.size >= 2
                and (others > 0).all()
                and float(values[hit].min()) > FAR_ABOVE * float(others.max()))


_ABSOLUTE_ZERO: dict[Any, float] = {(("degC", 1),): -273.15, (("K", 1),): 0.0,
                                    (("degF", 1),): -459.67}
"""Temperature units (:func:`~prospect.ingest.layers.unit_key`) -> absolute zero in them."""


def least_possible(unit: str) -> float | None:
    """The least value a measurement in ``unit`` can take where that is known (absolute zero
    of a temperature: -273.15 in degC, 0 in K); ``None`` for other units.

    Parameters
    ----------
    unit
        A units string as ``units:``, a header or a row of units gives it.
    """
    from prospect.ingest.layers import unit_key

    return _ABSOLUTE_ZERO.get(unit_key(unit))


def _negative_fills_missing(values: np.ndarray, keep: np.ndarray, path: Path, column: str,
                            numbers: np.ndarray, what: str, unit: str | None,
                            least: float = 0.0, named: str | None = None) -> np.ndarray:
    """``values`` with a negative common fill (:data:`POINT_FILLS`: ``-9999``, ``-999``)
    of a concentration column, of a label's grade column (``unit`` ``None``: ``Li``,
    ``grade``, a heat flow), or below ``least`` (a temperature's absolute zero) read as
    missing, with a warning naming it and ``nodata:``. A concentration is never negative,
    no detection limit is 9999 ppm and no temperature is -999 degC: such a cell marks no
    data. It was read as a measurement of -9999 (a warning only where two rows held it): a
    label's barren record, a quantile's lowest grade, a surface interpolated through -9999;
    under a grade column whose header names no unit, a label's too, and a well's
    temperature of -999 degC went into the temperature surface. ``named``: what a
    surface's column named by its element alone is a grade of
    (:func:`~prospect.io.companions.element_named`), said in the warning (a well's -999
    under ``li`` was kriged as lithium of -999)."""
    hit = np.zeros(len(values), bool)
    for fill in (f for f in POINT_FILLS if f < least and f < 0):
        hit |= keep & np.isclose(values, fill, rtol=1e-6, atol=0)
    if not hit.any():
        return values
    at = hit.nonzero()[0]
    found = sorted({_text(float(v)) for v in values[at]})
    if least < 0 or (unit is not None and least_possible(unit) is not None):
        never = f"a temperature in {unit} never is (below absolute zero, {least:g} {unit})"
    elif unit is not None:
        never = f"a concentration in {unit} never is (nor is it minus a detection limit)"
    elif named is not None:
        never = f"{named} never is (nor is it minus a detection limit)"
    else:
        never = "no grade is (the labels' grade column, model.labels.value_column)"
    warnings.warn(DataWarning(
        f"{path}: column {column!r} holds {' and '.join(found)} on {len(at)} of "
        f"{int(keep.sum())} rows ({_listed(numbers, at, what)}), a value commonly used to "
        f"mark no data, which {never}"
        + ": read as missing, not as a measurement; set 'nodata: "
        f"{found[0]}' in the points source to say so"), stacklevel=4)
    return np.where(hit, np.nan, values)


FLAGGED_LIMIT_FACTOR = 2.0
"""The most the detection limit is ("twice" in the warning), as a multiple of the number
beside a flag below it (:func:`_flagged_limits`): the limit itself (USGS NGDB, EQuIS and
most lab exports), half of it or the limit over the square root of 2 (substitutions;
Helsel 2012, ch. 1)."""


def _flagged_limits(read: np.ndarray, values: np.ndarray, limit: np.ndarray,
                    keep: np.ndarray, path: Path, column: str, numbers: np.ndarray,
                    what: str) -> np.ndarray:
    """``limit`` with a bound for each grade a qualifier flags below a detection limit
    whose limit no column gives (a ``<`` in ``Li_ppm_Q`` beside ``5``): the number beside
    the flag is the limit in USGS NGDB, EQuIS and most lab exports, and a value put in its
    place in others (half the limit, the limit over the square root of 2), so the grade
    is under :data:`FLAGGED_LIMIT_FACTOR` times it under any of them, and under a
    threshold at or above that bound it is a negative. Before, each was left out
    undecided: ``negatives: below_threshold`` lost the most barren samples, and a
    ``threshold_quantile`` was taken as if they were not sampled. A number of 0 or less
    beside a flag (GTK writes 0) bounds nothing: left undecided. A warning says what
    was read (``read``: the numbers before the flags were read; ``values``: after)."""
    flagged = keep & np.isfinite(read) & np.isnan(values) & np.isnan(limit)
    bounded = flagged & (read > 0)
    if not bounded.any():
        return limit
    at = bounded.nonzero()[0]
    example = float(read[at[0]])
    warnings.warn(DataWarning(
        f"{path}: {at.size} grade(s) in column {column!r} are flagged below a detection "
        f"limit that no column gives ({_listed(numbers, at, what)}; e.g. {_text(example)}): "
        "the number beside such a flag is the limit in most exports (USGS NGDB, EQuIS) and "
        "half the limit (or the limit over the square root of 2) in others, so each grade "
        "is read as under twice its number, whichever it is (e.g. "
        f"under {_text(FLAGGED_LIMIT_FACTOR * example)}): a negative under a threshold at or "
        "above that, undecided under a lower one; give the limits in a column such as "
        f"'{column}_DL' to label them by the limits themselves"), stacklevel=4)
    return np.where(bounded, FLAGGED_LIMIT_FACTOR * read, limit)


_BELOW_CELL = re.compile(r"\s*(?:<=?|≤|&lt;=?)\s*(\S.*?)\s*")
"""A value below a detection limit written with its limit (``<5``, ``< 0,5``, ``≤ 2 ppm``)."""


_PARTNER_LIMIT_WORDS = (
    r"<\s*(?:ld|lq|loq|ng|bg|dg|rg|d\.\s?g\.?|n\.\s?g\.?|b\.\s?g\.?|l\.\s?[dq]\.?)"
    r"|n\.\s?n\.?|o\.\s?d\.\s?g\.?|u\.\s?d\.\s?[nb]\.?|onder\s+(?:de\s+)?detectiegrens"
    r"|unter\s+(?:der\s+)?(?:nachweis|bestimmungs)grenze"
    r"|sous\s+(?:la\s+)?limite\s+de\s+(?:d[ée]tection|quantification)"
    r"|(?:bajo|debajo\s+del?|abaixo\s+do)\s+(?:el\s+)?l[ií]mite(?:\s+de\s+detec[cç][ãai][oó]n?)?")
"""Words for "not detected" in the partners' and their laboratories' languages: French,
Spanish and Portuguese ``<LD``, ``<LQ`` (limites de détection, de quantification), German
``n.n.`` (nicht nachweisbar), ``<NG``, ``<BG`` (Nachweis-, Bestimmungsgrenze), ``u.d.N.``,
Dutch ``o.d.g.`` (onder detectiegrens), ``<DG``, ``<RG`` (rapportagegrens), and the words
written out. With its limit (``n.n. <0,1``, ``<NG 0,1``, ``o.d.g. (0,1)``) each was read as
missing, "write numbers only", so a well below a limit under the threshold was no negative
and a surface lost it (round 50); alone, a detection limit without its number."""

_LIMIT_NAMES = (r"(?:[lmi]?dl|d\.\s?l\.?|l\.\s?d\.\s?l\.?|m\.\s?d\.\s?l\.?|lld|lod|loq|lor"
                r"|[pe]ql|m?rl)")
"""A laboratory's name for the limit a value is below, as English-speaking laboratories
and their exports write it: ``DL``, ``LDL`` (lower detection limit), ``MDL`` (method),
``IDL`` (instrument), ``LLD`` (lower limit of detection), ``LOD``, ``LOQ``, ``LOR`` (limit
of reporting, as Australian laboratories write it), ``PQL``, ``EQL`` (practical and
estimated quantitation limits), ``RL``, ``MRL`` (reporting limits)."""
_BELOW_WORDS = (rf"b\.?\s?d\.?\s?l\.?|bld|b[lq][lq]|bloq|below\s+(?:the\s+)?(?:{_LIMIT_NAMES}"
                r"|(?:the\s+)?(?:detection|reporting|quantitation)(?:\s+limit)?)")
"""Words for "below the limit": ``BDL``, ``b.d.l.``, ``BLD`` (below limit of detection),
``BQL``, ``BLQ``, ``BLOQ`` (below the limit of quantitation), ``below DL``, ``below the
reporting limit``."""

_NOT_DETECTED_CELL = re.compile(
    rf"\s*(?:n\.?\s?d\.?|<?\s*(?:{_BELOW_WORDS}|{_LIMIT_NAMES})"
    rf"|{_PARTNER_LIMIT_WORDS}"
    r"|[NL](?=\s*[(\[]?\s*\.?\d))"
    r"\s*(?:<=?|≤|&lt;=?|\(|\[|:|=)?\s*(\.?\d[^()\[\]]*?)\s*[)\]]?\s*"
    r"|\s*(\.?\d[\d.,']*?)(?-i:[NLn])\s*", re.IGNORECASE)
"""A value below a detection limit written with a word for "not detected" and its limit
(``ND<5``, ``ND(5)``, ``n.d. <5``, ``BDL (0.5)``, ``<DL 5``), or with the USGS
spectrographic qualifiers ``N`` (not detected) and ``L`` (detected below the limit of
determination) before it (``N(0.5)``, ``L(10)``, ``N.5``, ``L 10``, and in lower case as
hand-typed sheets write them: ``n0.5``, ``l(10)``) or right after it (``0.5N``, ``10L``,
``0.5n``), and in the partners' languages (:data:`_PARTNER_LIMIT_WORDS`: ``n.n. <0,1``,
``<NG 0,1``). After a space a letter is no USGS qualifier: ``12 N`` is EPA's inorganic
qualifier of a detected value (spike recovery out of limits), ``10 L`` litres, and a
lower-case ``l`` after the number is litres: none is read so. Each was read as missing,
"write numbers only": read as ``<5``."""

_ABOVE_QUALIFIED = re.compile(
    r"\s*[Gg]\s*(?:\(\s*(\.?\d[\d.,' ]*?)\s*\)|(\.?\d[\d.,' ]*?))\s*"
    r"|\s*(\.?\d[\d.,']*?)G\s*")
"""A value above the upper limit of determination written with the USGS qualifier ``G``
before it (``G(10000)``, ``G5000``, ``g(10000)``) or right after it (``10000G``; a
lower-case ``g`` after the number is grams, not read so): read as ``>10000``."""


_ABOVE_WORDS = (r"(?:u\.?\s?d\.?\s?l\.?|ulo?d|ulo?q|uql"
                r"|(?:above|over|exceeds?)\s+(?:the\s+)?(?:upper\s+)?(?:(?:detection|reporting"
                r"|quantitation|calibration|measuring|working)\s+)?(?:limit|range)"
                r"|over\s*-?\s*range|(?:above|over)\s+(?:the\s+)?(?:{names}))")
"""A laboratory's words for "above the upper limit": ``UDL``, ``u.d.l.`` (upper detection
limit), ``ULD``, ``ULOD`` (upper limit of detection), ``UQL``, ``ULOQ`` (upper limit of
quantitation), ``above upper limit``, ``above the calibration range``, ``over range``
(an instrument's), ``above UDL``; ``{names}`` takes the upper limit's names alone (not
``DL``, ``LOD``, ``LOQ``: above those a value is detected, not above the range)."""
_ABOVE_WORDS = _ABOVE_WORDS.format(names=r"u\.?\s?d\.?\s?l\.?|ulo?d|ulo?q|uql")
_ABOVE_NAMED = re.compile(
    rf"\s*(?:>=?|≥)?\s*{_ABOVE_WORDS}\s*(?:>=?|≥|\(|\[|:|=)?\s*(\.?\d[\d.,' ]*?)\s*[)\]]?\s*",
    re.IGNORECASE)
"""A value above the upper limit written with the laboratory's words for it and the
limit (``>UDL 1000``, ``UDL(1000)``, ``ULOQ: 1000``, ``over range 1000``): read as
``>1000``. It was missing, "write numbers only", so the richest sample of a label table
was never a positive."""
_ABOVE_UNSTATED = re.compile(rf"\s*(?:>=?|≥)?\s*{_ABOVE_WORDS}\s*|\s*(?:>=?|≥)\s*",
                             re.IGNORECASE)
"""A value above the upper limit whose limit the cell does not give (``>UDL``, ``ULD``,
``over range``, a lone ``>``): at least a limit unknown here, so missing (a label's grade
undecided, left out); it was said as "write numbers only (units belong in the header)"."""


_ESCAPED_SIGN = re.compile(r"&(?:amp;)?(lt|gt|le|ge|#0*60|#0*62|#x0*3c|#x0*3e);", re.IGNORECASE)
"""A comparison sign written as an HTML or XML character reference (``&lt;5``,
``&gt;1000``, ``&#60;5``, ``&le;5``; also escaped twice, ``&amp;lt;5``), as a table
copied from a web page, a web service's export or an XML file writes it."""
_SIGNS = {"lt": "<", "gt": ">", "le": "≤", "ge": "≥"}


def _signs(cell: str) -> str:
    """``cell`` with its comparison signs written as character references
    (:data:`_ESCAPED_SIGN`) as the signs themselves; any other cell as it is. A grade
    ``&gt;1000`` was missing ("write numbers only (units belong in the header)"), where
    ``>1000`` is the label's lower bound, and ``&lt;5`` was said so too."""
    if "&" not in cell:
        return cell

    def sign(match: re.Match[str]) -> str:
        name = match.group(1).lower().lstrip("#x0")
        return _SIGNS.get(name) or {"60": "<", "62": ">", "3c": "<", "3e": ">"}[name]

    return _ESCAPED_SIGN.sub(sign, cell)


def above_written(cell: str) -> str:
    """``cell`` with the USGS qualifier ``G`` and its limit (:data:`_ABOVE_QUALIFIED`:
    ``G(10000)``), or a laboratory's words for the upper limit and the limit
    (:data:`_ABOVE_NAMED`: ``>UDL 1000``), written as ``>10000``; its comparison signs
    written as character references (``&gt;1000``) as the signs; any other cell as it is.

    Parameters
    ----------
    cell
        One cell of a value column, as written.
    """
    cell = _signs(cell)
    m = _ABOVE_QUALIFIED.fullmatch(cell) or _ABOVE_NAMED.fullmatch(cell)
    if m:
        return f">{next(g for g in m.groups() if g)}"
    return _above_with_unit(cell) if _ABOVE_MARK.search(cell) else cell


_ABOVE_MARK = re.compile(r"[>≥]|[Gg]\s*[(\[.\d]|\dG|u\.?\s?d|ul|uq|above|over|exceed",
                         re.IGNORECASE)
"""What an upper limit's cell holds somewhere (a sign, the USGS ``G``, a laboratory's
word), so that :func:`_above_with_unit` looks at it."""


def _above_with_unit(cell: str) -> str:
    """``cell``, an upper limit (:data:`_ABOVE_QUALIFIED`, :data:`_ABOVE_NAMED`) whose
    limit is followed by its unit (``>UDL 1000 ppm``, ``G(1000) ppm``, ``1000G ppm``, or
    inside the brackets: ``G(1000 ppm)``, ``UDL (1000 ppm)``), written as ``>1000 ppm``
    (read as such a cell is: in the column's unit, or said as a unit it does not state);
    any other cell as it is. Such a cell was missing, said as "write numbers only", where
    the same limit without its unit was read (rounds 25-27)."""
    for start in _UNIT_START.finditer(cell):
        tail = _UNIT_TAIL.fullmatch(cell, start.start())
        unit, close = tail.groups() if tail else ("", "")
        if not unit or _cell_unit(f"1 {unit}") is None:
            continue
        bare = cell[:start.start()] + close
        m = _ABOVE_QUALIFIED.fullmatch(bare) or _ABOVE_NAMED.fullmatch(bare)
        if m:
            return f">{next(g for g in m.groups() if g)} {unit}"
    return cell


_UNIT_START = re.compile(r"(?<=[\d\s)\]])[A-Za-zµμ%‰]")
"""Where a unit may start in a cell: a letter (or ``%``) after a digit, a space or a
closing bracket."""
_UNIT_TAIL = re.compile(r"(.*?)\s*([)\]]?)\s*")
"""The rest of a cell from where a unit starts: the unit and a closing bracket after it."""

_BELOW_QUALIFIER = r"(?<=\d)\s*(?:UJ|U)$"
"""A laboratory's not-detected qualifier after a limit's number (``<5U``, ``<5 UJ``)."""


def _below_written(cell: str) -> str:
    """``cell`` with a "not detected" word and its limit (:data:`_NOT_DETECTED_CELL`)
    written as ``<limit``, its comparison signs written as character references
    (``&lt;5``, ``&le;5``) as the signs; any other cell as it is."""
    cell = _signs(cell)
    m = _NOT_DETECTED_CELL.fullmatch(cell)
    return f"<{m.group(1) or m.group(2)}" if m else cell


def _cell_factor(said: str, column_unit: str | None) -> float | None:
    """The factor that turns a number a cell writes in the unit ``said`` (``5 µg/L``)
    into the unit its column states (``column_unit``: ``units:``, a header's, a row of
    units'): 1 for the same unit, the conversion for another size of the same quantity
    (µg/L in a column of mg/L: 0.001; ppb under ``Li_ppm``: 0.001; g/L: 1000), else
    ``None`` (no unit stated, or one of another quantity: mg/L under ppm)."""
    from prospect.ingest.layers import unit_factor, unit_key

    if column_unit is None:
        return None
    if unit_key(said) == unit_key(column_unit):
        return 1.0
    return unit_factor(said, column_unit)


_ABOVE_SIGNED = re.compile(r"\s*(?:>=?|≥)\s*(\d.*?)\s*")
"""A cell above an upper limit with its number (``>1000 ppm``): the number and its unit."""


def _cells_in_other_units(series: pd.Series, keep: np.ndarray, column: str,
                          unit: str | None, *, above: bool = False
                          ) -> tuple[np.ndarray, str | None]:
    """Which kept cells (a value, ``30 mg/L``, or a limit, ``<5.0 mg/L``, ``ND(5 mg/L)``,
    and with ``above`` (a label's grade, read as its limit) ``>1000 ppm``) write a
    concentration unit that cannot be read in the column's (``unit``, else its header's):
    none stated, or one of another quantity; and those units (``mg/L or ppm``), ``None``
    where there is none. An upper limit with its unit in a column stating none was said
    as "above an upper limit ... give the limit itself", not with the unit it needs
    stated to be read."""
    column_unit = stated_concentration(column, unit)
    hit = np.zeros(len(series), bool)
    units: list[str] = []
    for i, cell in enumerate(series):
        if not (keep[i] and isinstance(cell, str)):
            continue
        text = above_written(_below_written(cell.strip()))
        m = _BELOW_CELL.fullmatch(text) or (_ABOVE_SIGNED.fullmatch(text) if above else None)
        said = _cell_unit(re.sub(_BELOW_QUALIFIER, "", m.group(1)) if m else text)
        if said is not None and _cell_factor(said[1], column_unit) is None:
            hit[i] = True
            units += [said[1]] if said[1] not in units else []
    return hit, " or ".join(units) if units else None


def _other_unit_fix(column: str, unit: str | None, cells: pd.Series, said: str) -> str:
    """What a value column's cells written in a unit it cannot read them in are
    (:func:`_cells_in_other_units`), and the fix, for :func:`_what_cells_are`."""
    stated = stated_concentration(column, unit)
    n, first, one = len(cells), cells.iloc[0], said.split(" or ")[0]
    if stated is None:
        return (f"{n} are written in {said}, a unit the column does not state ({first!r}): "
                f"state the column's unit ('units: {{{column}: {one}}}' in the points "
                f"source, or a header such as '{column} [{one}]') and they are read, "
                "or write numbers only (units belong in the header)")
    return (f"{n} are written in {said}, which is no size of the column's {stated} "
            f"({first!r}): convert them to {stated} and write numbers only (units belong in "
            "the header)")


_OTHER_DECIMAL = {".": re.compile(r"\s*(\d*),(\d+)\s*"), ",": re.compile(r"\s*(\d*)\.(\d+)\s*")}
"""A limit's number written with the other decimal separator than its table's notation
(the key): ``0,1`` in a table of decimal points, ``0.1`` in one of decimal commas."""


def _other_decimal(cell: str, decimal: str) -> float:
    """The number a limit's cell writes with the other decimal separator than its table's
    (``decimal``), where it reads only one way, NaN otherwise. ``0,1``, ``0,05``, ``1,5``,
    ``0,100`` and ``1000,5`` are no thousands group (1 to 3 digits not starting with 0,
    then three digits), so each is its decimal number; ``1,000`` reads either way and is
    not read.

    Parameters
    ----------
    cell
        The limit's number as written, without its sign (``'0,1'``).
    decimal
        The table's decimal separator, ``'.'`` or ``','``.
    """
    m = _OTHER_DECIMAL[decimal if decimal == "," else "."].fullmatch(cell)
    if m is None:
        return np.nan
    whole, part = m.groups()
    if len(part) == 3 and whole and not whole.startswith("0") and len(whole) <= 3:
        return np.nan  # '1,000': a thousands group, or one and a decimal
    return float(f"{whole or 0}.{part}")


def _cell_limits(series: pd.Series, path: Path, column: str, attrs: dict[str, Any],
                 unit: str | None, other_decimal: list[int] | None = None) -> np.ndarray:
    """The limit of each cell written below one (``<5``, ``< 0,5``), in the table's
    notation, NaN elsewhere. A limit written with a unit (``<5 ppm``) counts where the
    unit is the column's (``unit``, else its header's), or another size of its quantity,
    converted (``<5 µg/L`` in a column of mg/L: 0.005; it was missing, said as "give them
    as numbers"); with another quantity's, or none known, it is NaN. A limit the value
    may equal (``<=30``, ``≤ 30``) is given as the next float above it, so that
    ``limit <= threshold`` holds where the value is below the threshold for certain.

    A limit whose number is written with the other decimal separator than the table's
    and reads only one way (:func:`_other_decimal`: ``<0,1`` where the table's numbers,
    exported as numbers, write decimal points, as a Dutch or German laboratory types its
    limits) is that number; its row is added to ``other_decimal`` (to say it). Such a
    limit was missing, said as "leave each as written with its limit", as it was."""
    out = np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return out
    text = series.map(lambda c: _below_written(c) if isinstance(c, str) else "")
    rest = text.map(lambda c: m.group(1) if (m := _BELOW_CELL.fullmatch(c)) else "")
    rest = rest.str.replace(_BELOW_QUALIFIER, "", regex=True)
    found = (rest != "").to_numpy(bool)
    if not found.any():
        return out
    column_unit = stated_concentration(column, unit)
    bare = rest.copy()
    scale = np.ones(len(series))
    for i in np.flatnonzero(found):
        said = _cell_unit(str(rest.iloc[i]))
        if said is not None:
            factor = _cell_factor(said[1], column_unit)
            bare.iloc[i] = said[0] if factor is not None else ""
            scale[i] = factor or 1.0
    read = _numbers(bare.where(found, ""), path, column, attrs) * scale
    decimal = attrs.get("decimal") or "."
    other = bare.where(found, "").map(lambda c: _other_decimal(str(c), decimal)).to_numpy(
        dtype="f8") * scale
    other = np.where(np.isnan(read) & (other > 0), other, np.nan)
    if other_decimal is not None:
        other_decimal.extend(np.flatnonzero(np.isfinite(other)).tolist())
    read = np.where(np.isfinite(other), other, read)
    inclusive = text.str.match(r"\s*(?:<=|≤|&lt;=)").fillna(False).to_numpy(bool)
    read = np.where(inclusive, np.nextafter(read, np.inf), read)
    return np.where(found & np.isfinite(read) & (read > 0), read, np.nan)


_NOTED = re.compile(r"\s*((?:(?:<=?|≤|>=?|≥)\s*)?[-+−]?(?:\d[\d.,\s']*)?\d(?:[eE][-+]?\d+)?"
                    r"(?:\s*[A-Za-zµμ%‰/][A-Za-zµμ%‰/ 0-9-]*?)?)\s*(#|//)\s*(\S.*?)?\s*")
"""A number (with its limit sign or unit, as the column writes them) followed by a comment
in its cell, as a spreadsheet's user notes one: ``30 # re-assayed``, ``<5 // batch 2``."""


def _noted_text(series: pd.Series, keep: np.ndarray, path: Path, column: str,
                numbers: np.ndarray, what: str) -> pd.Series:
    """``series`` with a comment after a cell's number (:data:`_NOTED`: ``30 # re-assayed``)
    taken off, the number read as the cell's, with a warning naming the cells and the
    comment. Such a cell was no number, read as missing: a sample graded 30 and re-assayed
    was no positive, and a well's value was left out of its surface, said only as "not a
    finite number"."""
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series
    text = _text_cells(series).where(series.notna(), "")
    found = text.str.extract(f"^{_NOTED.pattern}$", expand=True)
    hit = found[0].notna().to_numpy(bool) & keep
    if not hit.any():
        return series
    at = hit.nonzero()[0]
    first = int(at[0])
    warnings.warn(DataWarning(
        f"{path}: {len(at)} value(s) in column {column!r} carry a comment after the number "
        f"({_listed(numbers, at, what)}; e.g. {text.iloc[first].strip()!r}, read as "
        f"{found[0].iloc[first].strip()!r}): each is read as its number and the comment "
        "dropped; if a comment means the value is void, leave its cell empty, and keep "
        "notes in a column of their own"), stacklevel=4)
    bare = found[0].where(pd.Series(hit, index=found.index), None).str.strip()
    return series.where(~hit, bare.set_axis(series.index))


_QUALIFIED = re.compile(r"\s*([-+]?\d[\d.,]*(?:[eE][-+]?\d+)?)\s*(UJ|U|J)\s*")
"""A number followed by a laboratory's data qualifier in one cell, as EPA's (CLP) and
USACE's data exports write them: ``5 U`` (not detected at 5), ``0.5 UJ`` (not detected,
the limit estimated), ``12 J`` (detected, the value estimated). Capital letters only."""


def _qualified_text(series: pd.Series, keep: np.ndarray, path: Path, column: str,
                    numbers: np.ndarray, what: str) -> pd.Series:
    """``series`` with the cells a data qualifier follows (:data:`_QUALIFIED`) read as they
    mean: ``5 U`` as ``<5`` (below a limit of 5, as a ``<`` cell is read) and ``12 J`` as
    ``12``, with a warning naming them. Each was a cell that is no number, read as
    missing: a sample not detected at 5 was no negative under a threshold of 30."""
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series
    text = series.map(lambda c: c if isinstance(c, str) else "")
    found = text.str.extract(_QUALIFIED.pattern, expand=True)
    hit = text.str.fullmatch(_QUALIFIED.pattern).fillna(False).to_numpy(bool) & keep
    if not hit.any():
        return series
    below = hit & found[1].str.startswith("U").fillna(False).to_numpy(bool)
    read = np.where(below, "<" + found[0].fillna(""), found[0].fillna(""))
    said = []
    for rows, meaning in ((below, "not detected at the number (U, UJ): read as below it"),
                          (hit & ~below, "an estimated value (J): read as the number")):
        if rows.any():
            at = rows.nonzero()[0]
            said.append(f"{len(at)} {meaning} ({_listed(numbers, at, what)}; e.g. "
                        f"{text.iloc[int(at[0])].strip()!r})")
    warnings.warn(DataWarning(
        f"{path}: column {column!r} holds numbers followed by a laboratory's data "
        f"qualifier (EPA's): {'; '.join(said)}; if the letters mean something else, give "
        "them in a qualifier column of their own"), stacklevel=4)
    return series.where(~hit, pd.Series(read, index=series.index))


_PERCENT_TEXT = re.compile(r"\s*([-+−]?(?:\d[\d.,\s']*)?\d(?:[eE][-+]?\d+)?)\s*%\s*")
"""A number written with a percent sign (``1.2%``, ``1,2 %``)."""


def _percent_text(series: pd.Series, frame: pd.DataFrame, column: str, keep: np.ndarray,
                  path: Path, numbers: np.ndarray, what: str) -> pd.Series:
    """``series`` with the percent signs of a column of percentages written as text
    (``1.2%``, as a spreadsheet exports a column formatted as Percent to CSV) taken off,
    its units ``%`` in ``frame.attrs["units"]`` (a header or ``units:`` naming another
    unit is warned of): such a column was refused as "numbers with a unit", while a
    sheet's percentage cells are read (:func:`_with_percent_cells`). A column mixing
    such cells with plain numbers (is 0.8 there 0.8 % or 80 %?) is refused."""
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series
    text = _text_cells(series).where(series.notna(), "").str.strip()
    filled = (text != "").to_numpy() & keep
    if not filled.any():
        return series
    hit = text.map(lambda c: _PERCENT_TEXT.fullmatch(c) is not None).to_numpy(bool) & filled
    if not hit.any():
        return series
    bare = text.str.extract(_PERCENT_TEXT.pattern, expand=False)
    plain = filled & ~hit & pd.to_numeric(
        text.str.replace(",", ".", regex=False), errors="coerce").notna().to_numpy()
    if plain.any():
        at = plain.nonzero()[0]
        asked = _plain_or_percent(text.iloc[int(at[0])], column, frame)
        raise DataError(
            f"{path}: column {column!r} holds numbers with a percent sign ("
            f"{text.iloc[int(hit.nonzero()[0][0])]!r}) and plain numbers ("
            f"{_listed(numbers, at, what)}: {text.iloc[int(at[0])]!r}), which cannot both be "
            f"the unit the column means ({asked}); write the whole column "
            "one way (all with '%', or all as numbers in the unit the header names)")
    if hit.sum() < 0.5 * filled.sum():
        return series  # (a few such cells among text: said as cells with a unit)
    _cell_units(frame, column, "%", f"in its cells ({text.iloc[int(hit.nonzero()[0][0])]!r})")
    return series.where(~hit, bare.str.replace(" ", "", regex=False))


def _plain_or_percent(cell: str, column: str, frame: pd.DataFrame) -> str:
    """The question a plain number ``cell`` among a column's percentages raises, in the
    column's own figures: ``is '12' there 12 ppm or 12 %?`` where the column states a
    unit (``Li_ppm``, ``units:``), else ``is '0.8' there 0.8 % or 80 %?`` (a fraction).

    Parameters
    ----------
    cell : str
        The column's first plain number, as written.
    column : str
        The column's header.
    frame : pandas.DataFrame
        The table (its ``attrs["units"]`` may state the column's unit).

    Returns
    -------
    str
        The question, without parentheses. Before, a made-up ``0.8`` was asked of every
        column, whatever its own cells and unit.
    """
    from prospect.ingest.layers import unit_key

    written = cell.strip()
    number = float(written.replace(",", "."))
    stated = stated_concentration(column, (frame.attrs.get("units") or {}).get(column))
    if stated is not None and unit_key(stated) != unit_key("%"):
        return f"is {written!r} there {written} {stated} or {written} %?"
    return f"is {written!r} there {written} % or {number * 100:.6g} %?"


def _cell_units(frame: pd.DataFrame, column: str, unit: str, where: str) -> None:
    """Record ``unit`` as ``column``'s units in ``frame.attrs["units"]`` (unless a units
    row gave them) and where the table states it (``attrs["units_where"]``), so that a
    header naming another unit is warned of with the place each is stated."""
    units = dict(frame.attrs.get("units") or {})
    if column in units:
        return
    units[column] = unit
    frame.attrs["units"] = units
    frame.attrs["units_where"] = {**(frame.attrs.get("units_where") or {}), column: where}


UNIT_COLUMN_WHERE = "in its unit column"
"""How :func:`_unit_column_units` says where a value column's units are stated
(``attrs["units_where"]``): a statement of the unit, as a row of units is, not the cells'."""


def _row_units_converted(series: pd.Series, frame: pd.DataFrame, column: str,
                         keep: np.ndarray, path: Path, numbers: np.ndarray,
                         what: str) -> tuple[pd.Series, str | None, np.ndarray | None]:
    """``series`` whose unit column names several sizes of one concentration unit row by
    row (``mg/L`` on most, ``µg/L`` on one: :func:`~prospect.io.companions.row_units`) as
    numbers of the unit most rows name: a value converted (:func:`_cell_factor`), a limit
    written with its row's unit (``<5`` -> ``<5 µg/L``, read in the column's unit as such
    a cell is), the unit recorded as stated by the unit column (:func:`_cell_units`) and
    the conversion said in one warning; the unit column's name; and each row's factor to
    that unit, by which a detection-limit column beside the values (``li_dl``, written in
    each row's unit as the value is) is read too. ``(series, None, None)`` where no unit
    column names several units, or where they are no sizes of one (``mg/L`` and
    ``mg/kg``): :func:`~prospect.io.companions.refuse_mixed_rows` refuses those.

    A lab's export listing each value's unit (``mg/L`` on most rows, ``µg/L`` where a
    value was small) was refused ("in different units row by row ... convert the values
    to one unit"), though each row states its size; with a detection-limit column beside
    it (``li, li_dl, unit``, as labs export them) it still was (round 43)."""
    from prospect.ingest.layers import unit_key

    found = row_units(frame, column, keep, unit_key=lambda u: str(unit_key(u)))
    if found is None:
        return series, None, None
    name, cells = found
    filled = [c for c in cells if c]
    if not all(map(is_concentration, filled)):
        return series, None, None
    counts = Counter(unit_key(c) for c in filled)
    target = max(filled, key=lambda c: (counts[unit_key(c)], -filled.index(c)))
    factors = [_cell_factor(c, target) if c else 1.0 for c in cells]
    if any(f is None for f in factors):
        return series, None, None
    out = series.astype(object).copy()
    other: dict[int, str] = {}  # row -> how it is read
    for i, (cell, factor) in enumerate(zip(series, factors, strict=True)):
        if not keep[i] or factor is None or factor == 1.0 or isinstance(cell, bool) or (
                not isinstance(cell, str) and pd.isna(cell)):
            continue
        if isinstance(cell, str):
            text = cell.strip()
            m = _BELOW_CELL.fullmatch(_below_written(text))
            limit = re.sub(_BELOW_QUALIFIER, "", m.group(1)).strip() if m else ""
            if m and _cell_unit(limit) is None:  # '<5', 'ND(5)', '<5 U' on a µg/L row
                out.iloc[i] = f"<{limit} {cells[i]}"
                other[i] = f"{_shown(cell)} in {cells[i]}"
                continue
            if not text or _NO_VALUE.fullmatch(text) or _LIMIT.fullmatch(text):
                continue  # no number to convert ('ND', '-', 'n/a')
        value = float(_numbers(pd.Series([cell], dtype=object), path, column,
                               frame.attrs)[0])
        if not np.isfinite(value):
            # ('25000 J', '1.2e3 (dup)': read later in the column's unit): refused as before
            return series, None, None
        out.iloc[i] = value * factor
        shown = _shown(cell) if isinstance(cell, str) else repr(_text(value))
        other[i] = f"{shown} in {cells[i]}, read as {_text(value * factor)} {target}"
    _cell_units(frame, column, target, f"{UNIT_COLUMN_WHERE} {name!r}")
    shown = ", ".join(f"{u!r} on {n}" for u, n in Counter(filled).most_common(4))
    if other:
        at = np.asarray(sorted(other))
        example = other[int(at[0])]
        warnings.warn(DataWarning(
            f"{path}: column {column!r} is in different units row by row (column "
            f"{name!r}: {shown}), sizes of one unit: {at.size} value(s) of another than "
            f"{target}, the unit of most rows ({_listed(numbers, at, what)}; e.g. "
            f"{example}), are each converted to {target}"), stacklevel=4)
    return out, name, np.asarray(factors, dtype="f8")


def _unit_column_units(frame: pd.DataFrame, column: str, keep: np.ndarray) -> None:
    """Record the one concentration unit a unit column beside ``column`` names on every kept
    row (``Li_unit``: ``ppb``) as ``column``'s units, stated ``in its unit column`` (unless
    a row of units or the cells gave them): it was read only when its rows named several
    units (refused, :func:`~prospect.io.companions.refuse_mixed_rows`), so ``Li_ppm`` beside
    ``Li_unit: ppb`` was graded in ppm, and ``li`` beside ``li_unit: ug/L`` made a surface of
    no units, without a word. A column of words that are no concentration (a geological
    ``Unit``: ``Qal``, ``Tv``) states nothing."""
    from prospect.ingest.layers import unit_key

    names = [str(c) for c in frame.columns]
    qualifiers, limits = companion_names(column, names)
    for name in related_columns([column], names):
        if name in (*qualifiers, *limits) or name not in frame.columns:
            continue
        cells = Counter(str(c).strip() for c, k in zip(frame[name], keep, strict=True)
                        if k and isinstance(c, str) and c.strip())
        unit = cells.most_common(1)[0][0] if cells else ""
        # (one unit in several spellings, mg/l and mg/L, is one unit)
        if len({unit_key(c) for c in cells}) == 1 and is_concentration(unit):
            _cell_units(frame, column, unit, f"{UNIT_COLUMN_WHERE} {name!r}")
            return


_UNIT_TEXT = re.compile(r"\s*([-+−]?(?:\d[\d.,']*)?\d(?:[eE][-+]?\d+)?)\s*"
                        r"([A-Za-zµμ%‰][A-Za-zµμ%/ 0-9-]*?)\s*")
"""A number written with a unit after it (``1.2 ppm``, ``350 mg/l``, ``0,5 mg L-1``)."""


def _cell_unit(cell: str) -> tuple[str, str] | None:
    """``(number, unit)`` of a cell written as a number and a concentration unit
    (:data:`~prospect.io.companions.CONCENTRATION_UNITS`), else ``None``."""
    found = _UNIT_TEXT.fullmatch(cell)
    if found is None:
        return None
    unit = found.group(2)
    key = unit.casefold().replace("μ", "µ").replace(" ", "")
    if key not in {u.replace(" ", "").replace("μ", "µ") for u in
                   CONCENTRATION_UNITS}:
        return None
    return found.group(1), unit


def _unit_text(series: pd.Series, frame: pd.DataFrame, column: str, keep: np.ndarray,
               path: Path, numbers: np.ndarray, what: str,
               unit: str | None = None) -> pd.Series:
    """``series`` with the unit taken off a column whose every filled cell (detection
    limits aside) is a number written with one and the same concentration unit
    (``1.2 ppm``, ``350 mg/l``, as a lab's export writes them), its unit recorded as the
    column's (:func:`_cell_units`; a header or ``units:`` naming another is warned of).
    Such a column was refused ("numbers with a unit: write numbers only"), or read as
    missing, where a mature tool reads it. Cells of several sizes of one unit (``1.2 ppm``
    and ``350 ppb``) are converted to one (:func:`_sizes_converted`); of several
    quantities (``mg/L`` and ``ppm``), refused naming both and their lines;
    a column with some plain numbers keeps them and counts its unit cells as missing,
    unless each unit cell writes the unit the column states (``unit``, the config's
    ``units:``, else its header's: ``30 ppm`` under ``Li_ppm``), the plain numbers' unit:
    then it is read as its number (:func:`_header_unit_cells`); where the column states
    none, a few plain numbers (at most a quarter) among cells of one unit are read in that
    unit, said (:func:`_few_plain`: one hand-typed ``12`` made every ``12 ppm`` missing).
    A filled cell that is no
    number (``-``, ``not analysed``, ``~12 ppm``) is no plain number: it is missing and
    said, and the other cells keep their unit (one such cell made them all missing).

    Raises
    ------
    DataError
        The cells name units of another size.
    """
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series
    from prospect.ingest.layers import unit_key

    text = _text_cells(series).where(series.notna(), "").str.strip()
    filled = (text != "").to_numpy() & keep
    limit = text.map(lambda c: _LIMIT.fullmatch(c) is not None).to_numpy(bool)
    read = {i: r for i, (c, f) in enumerate(zip(text.tolist(), filled, strict=True))
            if f and (r := _cell_unit(c)) is not None}
    hit = np.zeros(len(text), bool)
    hit[list(read)] = True
    if not read:
        return series
    # the unit the table states (a row of units, a unit column of one unit) counts as the
    # config's: '55 mg/L' under a row of units saying mg/L was missing, "write numbers only"
    stated = unit or (frame.attrs.get("units") or {}).get(column)
    # a plain number among them makes their unit the column's question; a cell that is no
    # number at all ('-', 'not analysed', '~12 ppm', '12 ± 1 ppm') does not, and is said
    # as what it is (one such cell made every '12 ppm' of the column missing)
    other = filled & ~limit & ~hit
    plain = np.full(len(text), np.nan)
    if other.any():
        plain[other] = _numbers(series[other], path, column, frame.attrs)
        other &= np.isfinite(plain)
    far = np.zeros(len(text), bool)
    if other.any():
        written = _numbers(pd.Series([n for n, _ in read.values()], dtype=object), path,
                           column, frame.attrs)
        found = _few_plain(read, other, plain, written, column, stated, text, path,
                           numbers, what)
        if found is None:
            return _header_unit_cells(series, column, read, path, numbers, what, stated,
                                      frame.attrs)
        far = found
    kinds: dict[Any, list[int]] = {}
    for i, (_, said) in read.items():
        kinds.setdefault(unit_key(said), []).append(i)
    if len(kinds) > 1:
        converted = _sizes_converted(series, frame, column, read, path, numbers, what,
                                     stated)
        if converted is not None:
            return converted
        shown = "; ".join(f"{read[at[0]][1]!r} ({_listed(numbers, np.asarray(at), what)})"
                          for at in kinds.values())
        raise DataError(
            f"{path}: column {column!r} holds numbers written with different units "
            f"({shown}), each a number of another size; convert them to one unit and "
            "write it in the header (e.g. 'li [ppm]'), or in 'units:', with the numbers alone "
            "in the cells")
    first = min(read)
    _cell_units(frame, column, read[first][1], f"in its cells ({text.iloc[first]!r})")
    bare = pd.Series([read[i][0] if i in read else None for i in range(len(text))],
                     index=series.index)
    hit[list(read)] = True  # (with the plain numbers read in the cells' unit)
    return series.where(~hit, bare).where(~far, None)


PLAIN_AMONG_UNITS = 0.25
"""The largest share of a column's numbers that may be plain (``12``) among cells each
written with one and the same unit (``12 ppm``), in a column stating no unit, for the
plain ones to be read in the cells' unit (:func:`_few_plain`)."""

PLAIN_FAR = 1000.0
"""How many times below the least, or above the greatest, number of the unit cells a
plain number among them (:func:`_few_plain`) lies when it is taken for a number of
another unit (``0.002`` meant as % among ``12 ppm``, 10 000 times apart; ``20000`` meant as
ppb) and read as missing, not in the cells' unit: more than three orders of magnitude
beyond the range the column's other grades span."""


def _few_plain(read: dict[int, tuple[str, str]], plain: np.ndarray, values: np.ndarray,
               written: np.ndarray, column: str, stated: str | None, text: pd.Series,
               path: Path, numbers: np.ndarray, what: str) -> np.ndarray | None:
    """Whether the ``plain`` numbers (``values``, by row) among cells written with a unit
    (``read``: row -> number, unit; ``written``: their numbers, in ``read``'s order) are
    read in that unit, and if so, add them to ``read`` with it and say so: the column
    states no unit (``stated``, its header), every unit cell writes one unit (in any
    spelling: ``ppm`` and ``PPM`` are one, :func:`~prospect.ingest.layers.unit_key`), and
    the plain numbers are at most :data:`PLAIN_AMONG_UNITS` of the column's numbers
    (``12`` typed by hand among seven ``12 ppm`` of a lab's export). Returns the rows of
    the plain numbers read as missing instead, those more than :data:`PLAIN_FAR` times
    beyond every unit cell's number (``0.002`` among ``12 ppm`` to ``20 ppm``: a number of
    another unit, said apart with the fix), or ``None`` where the plain numbers are not
    read in the cells' unit.

    Such a plain number made every unit cell of its column missing (round 30: the
    plain numbers' unit was the column's question), so one hand-typed grade lost all the
    others; a minority of plain numbers is now read in the unit the many cells state,
    said with the fix where that is not their unit. A column with as many plain
    numbers as a quarter keeps its plain numbers and counts the unit cells as missing,
    as before. Unit cells of one unit in two spellings kept that reading, and a plain
    number orders of magnitude from the others (a % among ppm) was read in their unit,
    a grade 10 000 times too small (round 62b)."""
    from prospect.ingest.layers import unit_key

    if stated_concentration(column, stated) is not None:
        return None  # (the stated unit reads both: _header_unit_cells)
    spellings = Counter(u for _, u in read.values())
    count = int(plain.sum())
    if len({unit_key(u) for u in spellings}) != 1 or \
            count > PLAIN_AMONG_UNITS * (count + len(read)):
        return None
    unit = spellings.most_common(1)[0][0]
    sizes = np.abs(written[np.isfinite(written) & (written != 0)])
    far = np.zeros(len(plain), bool)
    if sizes.size:
        low, high = float(sizes.min()), float(sizes.max())
        with np.errstate(invalid="ignore"):
            size = np.abs(values)
            far = plain & (size > 0) & ((size * PLAIN_FAR < low) | (size > high * PLAIN_FAR))
    near = plain & ~far
    if near.any():
        at = np.flatnonzero(near)
        warnings.warn(DataWarning(
            f"{path}: {int(near.sum())} value(s) in column {column!r} are plain numbers "
            f"among {len(read)} value(s) written in {unit} ({_listed(numbers, at, what)}; "
            f"e.g. {text.iloc[int(at[0])]!r}): each is read in {unit}, the unit the others "
            f"write; if it is in another unit, write it with its unit (or state the column's "
            f"unit: 'units: {{{column}: {unit}}}' in the points source)"), stacklevel=5)
    if far.any():
        at = np.flatnonzero(far)
        cell = str(text.iloc[int(at[0])])
        warnings.warn(DataWarning(
            f"{path}: {int(far.sum())} value(s) in column {column!r} are plain numbers "
            f"among {len(read)} value(s) written in {unit}, more than {PLAIN_FAR:g} times "
            f"below or above every one of them ({_text(low)} to {_text(high)} {unit}) "
            f"({_listed(numbers, at, what)}; e.g. {cell!r}): each is read as missing, not "
            f"as {cell} {unit}, since a number so far from the others is most likely in "
            f"another unit (a % or ppb); write each with its unit ('{cell} %', "
            f"'{cell} ppb', ...) to read it"), stacklevel=5)
    read.update({int(i): (str(text.iloc[int(i)]), unit) for i in np.flatnonzero(near)})
    return far


def _sizes_converted(series: pd.Series, frame: pd.DataFrame, column: str,
                     read: dict[int, tuple[str, str]], path: Path, numbers: np.ndarray,
                     what: str, stated: str | None) -> pd.Series | None:
    """``series`` whose every filled cell (limits aside) is a number written with a unit
    (``read``: row -> number, unit), in several sizes of one (``30 ppm`` beside
    ``25000 ppb``; ``mg/L`` beside ``µg/L``), as numbers of one unit: the one the column
    states (``stated``: ``units:``, a row of units, else its header's) where every cell
    converts to it, else the unit most cells write (:func:`_cell_factor`). The unit is
    recorded as the column's (:func:`_cell_units`) and the converted cells are said, one
    warning. ``None`` where no such unit takes them all (``mg/L`` beside ``ppm``: a
    water's and a rock's), which the caller refuses.

    A lab export's column of ``1.2 ppm`` cells with one ``350 ppb`` was refused ("convert
    them to one unit"), though every cell states its size, as a cell among plain numbers
    of a stated unit is converted."""
    from prospect.ingest.layers import unit_key

    counts = Counter(unit_key(u) for _, u in read.values())
    by_count = sorted(read, key=lambda i: (-counts[unit_key(read[i][1])], i))
    header = stated_concentration(column, stated)
    candidates = ([header] if header else []) + [read[by_count[0]][1]]
    for target in candidates:
        factors = {i: _cell_factor(u, target) for i, (_, u) in read.items()}
        if all(f is not None for f in factors.values()):
            break
    else:
        return None
    rows = sorted(read)
    values = _numbers(pd.Series([read[i][0] for i in rows], dtype=object), path, column,
                      frame.attrs) * np.asarray([factors[i] for i in rows], dtype="f8")
    out = series.astype(object).copy()
    for i, v in zip(rows, values, strict=True):
        out.iloc[i] = float(v) if np.isfinite(v) else series.iloc[i]
    home = next((i for i in rows if factors[i] == 1.0), rows[0])
    _cell_units(frame, column, target, f"in its cells ({_shown(series.iloc[home])})")
    other = [i for i in rows if factors[i] != 1.0]
    if other:
        at = np.asarray(other)
        first = rows.index(other[0])
        warnings.warn(DataWarning(
            f"{path}: {at.size} value(s) in column {column!r} are written in another size "
            f"of the unit its other cells write, {target} ({_listed(numbers, at, what)}; "
            f"e.g. {_shown(series.iloc[other[0]])}, read as {_text(float(values[first]))} "
            f"{target}): each is converted to {target}; write the numbers alone in the "
            f"cells, all in one unit (the unit belongs in the header)"), stacklevel=5)
    return out


def _header_unit_cells(series: pd.Series, column: str, read: dict[int, tuple[str, str]],
                       path: Path, numbers: np.ndarray, what: str,
                       unit: str | None, attrs: dict[str, Any] | None = None) -> pd.Series:
    """``series`` with its cells written with a unit (``read``: row -> number, unit) among
    plain numbers read as their numbers where each names the unit the column states
    (``unit``, else its header's: :func:`~prospect.io.companions.stated_concentration`),
    or converted to it where a cell names another size of its quantity (``800 µg/L``
    under ``li [mg/L]``: 0.8; :func:`_cell_factor`), with one warning naming each kind;
    the others unchanged (missing, said as "not finite numbers" with the fix) where the
    column states no unit or a cell names one of another quantity.

    A well's ``30 ppm`` under ``Li_ppm`` among plain numbers (a value typed in by hand
    into an export) was read as missing, and the well left out of the surface, though
    the header says the plain numbers are ppm too (a limit ``<5 ppm`` there was read); so
    was a well's ``800 µg/L`` among mg/L, a number of a known size, "write numbers only"."""
    stated = stated_concentration(column, unit)
    factors = {i: f for i, (_, u) in read.items()
               if (f := _cell_factor(u, stated)) is not None}
    if stated is None or not factors:
        return series
    bare = pd.Series([read[i][0] if i in factors else None for i in range(len(series))],
                     index=series.index, dtype=object)
    for kind, rows in (("same", [i for i in sorted(factors) if factors[i] == 1.0]),
                       ("other", [i for i in sorted(factors) if factors[i] != 1.0])):
        if not rows:
            continue
        at = np.asarray(rows)
        first = int(at[0])
        if kind == "same":
            warnings.warn(DataWarning(
                f"{path}: {at.size} value(s) in column {column!r} among plain numbers are "
                f"written with the unit the column states, {stated} "
                f"({_listed(numbers, at, what)}; e.g. {_shown(series.iloc[first])}): each is "
                "read as its number; write numbers alone in the cells (the unit belongs in "
                "the header)"), stacklevel=4)
            continue
        number = _numbers(pd.Series([read[i][0] for i in rows]), path, column, attrs)
        converted = number * np.asarray([factors[i] for i in rows])
        for i, v in zip(rows, converted, strict=True):
            bare.iloc[i] = float(v) if np.isfinite(v) else None
        warnings.warn(DataWarning(
            f"{path}: {at.size} value(s) in column {column!r} among plain numbers are "
            f"written in another unit than the column's {stated} "
            f"({_listed(numbers, at, what)}; e.g. {_shown(series.iloc[first])}, read as "
            f"{_text(float(converted[0]))} {stated}): each is converted to {stated}; write "
            f"numbers alone in the cells, all in {stated} (the unit belongs in the header)"),
            stacklevel=4)
    hit = np.zeros(len(series), bool)
    hit[list(factors)] = True
    return series.where(~hit, bare)


_MEASURE_TEXT = re.compile(r"\s*([-+\u2212]?(?:\d[\d.,']*)?\d(?:[eE][-+]?\d+)?)\s*"
                           r"((?:[A-Za-z\u00b0\u00ba\u2103\u2109][A-Za-z. +-]*?)?[A-Za-z.])\s*")
"""A number written with a length's or temperature's unit after it (``3281 ft``, ``1000
m``, ``1234 m MD``, ``65 °C``, ``149 degF``)."""
_TEMPERATURE_SCALE: dict[Any, float] = {(("degC", 1),): 1.0, (("K", 1),): 1.0,
                                        (("degF", 1),): 5 / 9}
"""Kelvin per degree of a temperature unit (:data:`_ABSOLUTE_ZERO` gives its zero)."""
_LENGTHS = frozenset({(("m", 1),), (("ft", 1),), (("km", 1),)})
"""The length units (:func:`~prospect.ingest.layers.unit_key`) a depth or height cell is
converted between (by :func:`~prospect.ingest.layers.unit_factor`)."""


def _measure_unit(column: str, unit: str | None, attrs: Mapping[str, Any]) -> Any:
    """The length or temperature unit (its :func:`~prospect.ingest.layers.unit_key`) a
    value column states: ``units:`` (``unit``), a row of units, else its header's last
    words or bracket (``depth_m``, ``Depth (ft KB)``, ``DepthFt``, ``temp_F``,
    ``BHT (°C)``); ``None`` for any other or none."""
    from prospect.ingest.layers import unit_key

    named = [unit, (attrs.get("units") or {}).get(column)]
    found = re.search(r"[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$", column)
    words = [w for w in re.split(r"[\s_.\-()\[\]/,:;]+",
                                 re.sub(r"(?<=[a-z])(?=[A-Z])", " ", column)) if w]
    if not any(named):
        named += [found.group(1) if found else None]
        if len(words) > 1:
            named += [words[-1], " ".join(words[-2:])]
            if words[-1].casefold() in ("c", "f") and re.fullmatch(
                    r"t|temp|temperatur[ea]?|temperatuur|température|bht|tmax",
                    words[-2].casefold()):
                named += [f"deg{words[-1].upper()}"]
    for each in named:
        if each:
            key = unit_key(str(each))
            if key in _LENGTHS or key in _TEMPERATURE_SCALE:
                return key
    return None


def _measure_cells(series: pd.Series, frame: pd.DataFrame, column: str, keep: np.ndarray,
                   path: Path, numbers: np.ndarray, what: str,
                   unit: str | None = None) -> pd.Series:
    """``series`` with its cells written with a length's or temperature's unit among plain
    numbers read in the unit the column states (:func:`_measure_unit`): the number where
    the cell's unit is the column's (``1200 m`` under ``depth_m``), converted where it is
    another length or temperature (``3281 ft`` under ``depth_m``: 1000.05; ``65 °C``
    under ``temp_F``: 149), one warning each. Such a cell was read as missing, "write
    numbers only", though it states its size as a concentration's ``800 µg/L`` under ``li
    [mg/L]`` does (:func:`_header_unit_cells`), and a well typed in by hand in feet was
    left out of a depth surface in metres (round 50). Cells of another quantity, and
    columns stating no such unit, are left as they are."""
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series
    from prospect.ingest.layers import unit_factor, unit_key

    target = _measure_unit(column, unit, frame.attrs)
    if target is None:
        return series
    length = target in _LENGTHS
    shown = target[0][0]
    read: dict[int, tuple[float, str]] = {}
    for i, cell in enumerate(series):
        if not (keep[i] and isinstance(cell, str)):
            continue
        m = _MEASURE_TEXT.fullmatch(cell)
        if m is None:
            continue
        key = unit_key(m.group(2).strip())
        if key not in (_LENGTHS if length else _TEMPERATURE_SCALE):
            continue
        value = float(_numbers(pd.Series([m.group(1)], dtype=object), path, column,
                               frame.attrs)[0])
        if not np.isfinite(value):
            continue
        if length:
            value = value * (unit_factor(key[0][0], shown) or 1.0)  # None: the same unit
        else:
            kelvin = (value - _ABSOLUTE_ZERO[key]) * _TEMPERATURE_SCALE[key]
            value = kelvin / _TEMPERATURE_SCALE[target] + _ABSOLUTE_ZERO[target]
        read[i] = (value, "same" if key == target else "other")
    if not read:
        return series
    for kind in ("same", "other"):
        rows = [i for i in sorted(read) if read[i][1] == kind]
        if not rows:
            continue
        at = np.asarray(rows)
        first = rows[0]
        how = (f"written with the unit the column states, {shown}" if kind == "same" else
               f"written in another {'length' if length else 'temperature'} than the "
               f"column's {shown}")
        read_as = "" if kind == "same" else f", read as {read[first][0]:.6g} {shown}"
        done = ("each is read as its number" if kind == "same" else
                f"each is converted to {shown}")
        warnings.warn(DataWarning(
            f"{path}: {at.size} value(s) in column {column!r} among plain numbers are "
            f"{how} ({_listed(numbers, at, what)}; e.g. {_shown(series.iloc[first])}"
            f"{read_as}): {done}; write numbers alone in the cells, all in {shown} (the "
            "unit belongs in the header)"), stacklevel=4)
    out = series.astype(object).copy()
    for i, (value, _) in read.items():
        out.iloc[i] = value
    return out


def _warn_overflow(frame: pd.DataFrame, column: str, keep: np.ndarray, path: Path,
                   numbers: np.ndarray, what: str) -> None:
    """Warn of a Shapefile's values written as asterisks (:func:`vector.dbf_overflows`),
    which GDAL reads as empty: an empty number as GDAL (geopandas, QGIS) writes it, or
    one too wide for its field as dBase and ArcGIS write it; which of the two cannot be
    told from the file, so the warning says both (it called every one too wide, an
    empty grade of a GDAL export too)."""
    over = (frame.attrs.get("overflow") or {}).get(column)
    if over is None or not len(over):
        return
    hit = np.zeros(len(keep), bool)
    hit[over[over < len(keep)]] = True
    hit &= keep
    if not hit.any():
        return
    at = hit.nonzero()[0]
    warnings.warn(DataWarning(
        f"{path}: {len(at)} of {int(keep.sum())} value(s) in column {column!r} are written "
        f"as asterisks in the .dbf ({_listed(numbers, at, what)}), which a .dbf uses for "
        "an empty number (GDAL, QGIS, geopandas) and for one too wide for its field "
        "(dBase, ArcGIS): read as missing; if a value was meant, export the layer with a "
        "wider field, or as a GeoPackage"),
        stacklevel=4)


ZERO_SHARE = 0.05
"""A value column's 0 is taken for "not given" from this share of its rows, when its other
values keep away from 0 (:func:`_warn_zero_spike`)."""


_DATUM_WORDS = re.compile(r"ss|subsea|msl|sealevel|nap|elev|nn|ahd|odn|asl|bsl"
                          r"|water|level|head|piezo|stijg|grondw|grundw|gwl")
"""Words (in a :func:`_plain` name) of a depth measured from sea level or a national
datum (``TVDSS``, ``diepte_NAP``, ``Tiefe_NN``), or of a water level (``depth_to_water``,
an artesian well's above ground): such a depth is negative above its datum (a shallow
sample under hills, a head above the ground), so a column of both signs is no mixture of
conventions."""
DEPTH_SIGN_SHARE = 0.1
"""Least share of the column's deepest value that a depth of the other sign reaches for
the column to be read as depths and elevations mixed (a depth of -0.3 m among depths to
50 m is a levelling error's, not an elevation)."""


def _refuse_depths_of_both_signs(values: np.ndarray, keep: np.ndarray, path: Path,
                                 column: str, numbers: np.ndarray, what: str) -> None:
    """Refuse a depth column (:data:`_DEPTH_NAME`: ``depth``, ``MD``, ``TVD``,
    ``diepte``...; not one below a datum, :data:`_DATUM_WORDS`) that holds depths of both
    signs, each side reaching :data:`DEPTH_SIGN_SHARE` of the other's deepest: wells
    written positive down (a depth below the kelly bushing or ground level) beside wells
    written negative down (an elevation, or a depth below sea level as a log's header
    gives it). Tables of two operators merged so were interpolated as one surface, 2 000
    m beside -2 100 m read as a depth of about 0 between them, without a word. Common
    fills (``-999``) are said by their own warning and left out here."""
    plain = _plain(column)
    if not _DEPTH_NAME.fullmatch(plain) or _DATUM_WORDS.search(plain):
        return
    fill = np.zeros(len(values), bool)
    for v in POINT_FILLS:
        fill |= np.isclose(values, v, rtol=1e-6, atol=0)
    ok = keep & np.isfinite(values) & ~fill
    down, up = ok & (values > 0), ok & (values < 0)
    if not down.any() or not up.any():
        return
    deepest, highest = float(values[down].max()), float(-values[up].min())
    if min(deepest, highest) < DEPTH_SIGN_SHARE * max(deepest, highest):
        return
    fewer = up if up.sum() <= down.sum() else down
    sign = "negative" if fewer is up else "positive"
    at = fewer.nonzero()[0]
    raise DataError(
        f"{path}: depth column {column!r} holds {int(down.sum())} positive and "
        f"{int(up.sum())} negative depths ({sign}: {_listed(numbers, at, what)}; e.g. "
        f"{_text(float(values[at[0]]))}): depths written positive down (below the kelly "
        "bushing or ground level) mixed with elevations or depths written negative down, "
        "which a surface would average towards 0; write every depth in one convention "
        f"(e.g. negate the {sign} ones), or name the column by its datum (e.g. "
        "'TVDSS', 'depth_NAP') if both signs are meant")


def _warn_zero_spike(values: np.ndarray, keep: np.ndarray, path: Path, column: str,
                     numbers: np.ndarray, what: str) -> None:
    """Warn of a value column whose 0 stands apart from its other values: 0 on two or more
    rows and :data:`ZERO_SHARE` of them, while fewer than a tenth as many other values lie
    within a tenth of their median magnitude of 0, 99 % of them on one side of it, and they
    are not small whole numbers (counts and class codes: median under 10); or 0 on every
    row. Database exports write 0 for "not given": the IHFC heat-flow compilation has heat
    flow 0 mW/m2 on 661 of 6 807 European sites, and gradient and conductivity 0 on every
    Dutch one; each was interpolated as a measurement. 0 is not among :data:`POINT_FILLS`
    (it is a count, a class or a concentration below detection as often), hence the test
    of its company."""
    kept = values[keep]
    finite = kept[np.isfinite(kept)]
    zero = finite == 0
    zeros = int(zero.sum())
    if zeros < 2 or zeros < ZERO_SHARE * finite.size:
        return
    signed = finite[~zero]
    others = np.abs(signed)
    if others.size:
        median = float(np.median(others))
        near = int((others < 0.1 * median).sum())
        one_side = max(int((signed > 0).sum()), int((signed < 0).sum())) >= 0.99 * others.size
        counts = bool(np.all(signed == np.round(signed))) and median < 10
        if near * 10 >= zeros or not one_side or counts:
            return  # 0 among its values, between them, or a count or class code
        company = (f"while its other values keep away from 0 (median {median:.4g}, "
                   f"{near} within a tenth of it)")
    else:
        company = "on every row with a value"
    at = (keep & (values == 0)).nonzero()[0]
    warnings.warn(DataWarning(
        f"{path}: column {column!r} holds 0 on {zeros} of {finite.size} rows "
        f"({_listed(numbers, at, what)}) {company}: 0 is read as a measurement; if it marks "
        "no data ('not given', as database exports write it), set 'nodata: 0' in the points "
        "source"), stacklevel=4)


def _numeric(series: pd.Series, path: Path, column: str,
             attrs: dict[str, Any] | None = None) -> np.ndarray:
    attrs = attrs or {}
    values = _numbers(series, path, column, attrs)
    bad = np.isnan(values) & series.notna().to_numpy() & \
        (series.astype(str).str.strip() != "").to_numpy()
    if bad.all() and len(series):
        example = str(series.iloc[0]).strip()
        comma = re.fullmatch(r"[-+]?\d+,\d+", example) is not None
        raise DataError(
            f"{path}: column {column!r} holds no numbers (e.g. {_shown(series.iloc[0])}); "
            + ("these look like decimal commas: set 'decimal: \",\"' in the points source, "
               "or export the table with decimal points"
               if comma and attrs.get("decimal", ".") == "." else
               _decorated(series) or "pick a numeric column"))
    return values


_DMS = re.compile(r"\s*[NSEWnsew]?\s*[-+]?\d+(?:[.,]\d+)?\s*(?:°|º|˚|deg|d)\s*"
                  r"(?:\d+(?:[.,]\d+)?\s*(?:'|′|’|min)\s*)?"
                  r"(?:\d+(?:[.,]\d+)?\s*(?:\"|″|”|''|sec)\s*)?[NSEWnsew]?\s*")
_OUEST = re.compile(r"\s*[Oo]\s*[-+]?\d[\d.,°º˚'′’\"″” ]*|[-+]?\d[\d.,°º˚'′’\"″” ]*[Oo]\s*")
"""Degrees with the letter O for a hemisphere (west in Spanish, French, Portuguese; east in
German and Dutch)."""
_HEMISPHERE = re.compile(r"\s*[NSEWnsew]\s*[-+]?\d+(?:[.,]\d+)?\s*"
                         r"|\s*[-+]?\d+(?:[.,]\d+)?\s*[NSEWnsew]\.?\s*")
"""Decimal degrees with a hemisphere letter instead of a sign (``68.3 W``, ``N12.2``)."""
_WITH_UNIT = re.compile(r"\s*[-+−]?(?:\d[\d.,\s]*)(?:[eE][-+]?\d+)?\s*[A-Za-zµμ%‰°/][^<>]*")
_LIMIT_SIGN = r"[<>≤≥]=?\s*[\d.,]"
"""A detection limit's sign before its number (``<0.5``, ``>= 2000``)."""
_ABOVE_CELL = re.compile(r"\s*[>≥]=?\s*[\d.,].*")
"""A value above the upper limit of determination (``>1000``): at least the limit, where
half of it (a value below detection's usual stand-in) would be far off."""
_LIMIT = re.compile(
    rf"\s*(?:{_LIMIT_SIGN}+.*|n\.?d\.?|<?\s*(?:{_BELOW_WORDS}|{_LIMIT_NAMES})|<\s*ld|<=?|≤"
    r"|not\s+detected|tr(?:ace)?\.?"
    rf"|{_PARTNER_LIMIT_WORDS}|(?-i:[NL]))\s*",
    re.IGNORECASE)
_SHEET_ERROR = re.compile(
    r"\s*(?:#(?:N/?A|VALUE!|DIV/0!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|FIELD!|BLOCKED!|"
    r"CONNECT!|BUSY!|UNKNOWN!|GETTING_DATA|ERROR!?)|=[A-Za-z(+\-$].*)\s*", re.IGNORECASE)
"""A spreadsheet's error value (``#DIV/0!``, ``#N/A``, ``#VALUE!``) or a formula saved as
its text (``=A2*1000``): a formula that failed, or was exported instead of its value."""
_MONTHS = (r"(?:jan|feb|f[eé]v|mar|m[aä]r|mrt|mrz|apr|avr|may|mai|mei|jun|jui|jul|aug|ao[uû]|"
           r"sep|oct|okt|nov|dec|d[eé]c|dez)[a-zé]*\.?")
_SHEET_DATE = re.compile(
    rf"\s*(?:\d{{1,2}}[-. /]{_MONTHS}(?:[-. /]\d{{2,4}})?|{_MONTHS}[-. /]\d{{1,4}}"
    r"|(?:\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}(?P<sep>[-./])\d{1,2}(?P=sep)\d{4}"
    r"|\d{1,2}([./])\d{1,2}\2\d{2})"
    r"(?:(?:[ T]|,\s*)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AP]M)?)?"
    r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?)\s*",
    re.IGNORECASE)
"""A date where a number was typed (``5-Dec``, ``Dec-05``, ``05.Dez``, ``2021-12-05``):
a spreadsheet's reading of ``5.12`` or ``12/5`` as a day and month; and a column of
dates in any of the forms survey tables write them: day, month and year joined by dots,
hyphens or slashes (``1.3.2021``, ``12-05-1998``, ``3/1/2021``; a year of two digits only
with dots or slashes: ``38-12-00`` is degrees, minutes and seconds), and a time of day
with its zone (``2021-03-01T10:00:00Z``, ``2021-03-01 10:00:00.123+01:00``,
``3/1/2021 10:00 AM``). Three of these had been "the rest: write numbers only"."""


_MARKS = str.maketrans({"º": "°", "˚": "°", "′": "'", "’": "'", "‘": "'", "´": "'",
                        "″": '"', "”": '"', "“": '"', _MINUS: "-"})
_NUM = r"\d+(?:[.,]\d+)?"
_DEGREES_TEXT = re.compile(
    rf"(?P<pre>[NSEW])?\s*(?P<sign>[-+])?\s*(?P<d>{_NUM})"
    rf"(?P<dm>\s*(?:°|deg\b|d(?![a-z]))\s*|\s*:\s*|-(?=\d)|\s+)?"
    rf"(?:(?P<m>{_NUM})(?P<mm>\s*(?:'|min\b|m(?=[\d\s]|[NSEW]?\.?$))\s*|\s*:\s*|-(?=\d)|\s+)?"
    rf"(?:(?P<s>{_NUM})(?P<sm>\s*(?:\"|''|sec\b|s(?=\s|[NSEW]?\.?$)))?)?)?"
    r"\s*(?P<post>[NSEW])?\.?",
    re.IGNORECASE)
"""A coordinate written as text in degrees: decimal degrees with a hemisphere letter
(``68.3 W``, ``N12.2``), degrees and decimal minutes (``N52°05.2'``), degrees, minutes and
seconds (``52°05'12"N``, ``52 05 12 N``, ``52:05:12``, ``52 deg 05 min 12 sec N``, and
``52d05'12"N`` as PROJ's ``cs2cs`` and GDAL's ``gdalinfo`` write them, and ``52d05m12s``,
``5d03m00sE`` with letters for every mark, as GPS exports write them; ``35-30-00.0N``
with hyphens, as FAA and NGA lists write them, only beside a hemisphere letter). A letter after
seconds written with the other marks (``52°05'12S``) is the hemisphere, never "seconds";
after minutes marked ``m`` an ``s`` is the seconds' mark (:func:`_letter_marks`)."""
_AXIS_LETTERS = {"x": "EW", "y": "NS"}


def _degree_cell(cell: str, axis: str) -> tuple[float, str, bool] | None:
    """``(value, why not, has a hemisphere letter)`` of a cell written in degrees as text
    (``why not`` empty when the value stands); ``None`` for a plain number or a cell that
    is no coordinate at all."""
    text = cell.strip().translate(_MARKS)
    match = _DEGREES_TEXT.fullmatch(text)
    if match is None:
        return None
    if (match["m"] and match["dm"] is None) or (match["s"] and match["mm"] is None):
        return None  # digits split without a mark ("500'065.0": Swiss thousands, 50|0|065)
    pre, post = match["pre"], match["post"]
    seconds_letter = _letter_marks(match)
    if seconds_letter:  # 52°05'12S: unmarked seconds, then the hemisphere
        if post:
            return None  # two letters after the seconds: no coordinate read here
        post = seconds_letter
    if "-" in (match["dm"] or "") + (match["mm"] or "") and not (pre or post):
        return None  # parts joined by hyphens without a hemisphere: a date, a range, an ID
    marked = any(match[k] and match[k].strip() for k in ("dm", "mm", "sm"))
    parts = bool(match["m"])
    if not (pre or post or marked or parts):
        return None  # a plain number: the table's notation reads it
    if parts and not (pre or post or marked) and not _spaced_minutes(match, axis):
        return None  # numbers separated by spaces alone ('152 070'): grouped digits
    letter = (pre or post or "").upper()

    def number(part: str | None) -> float:
        return float(part.replace(",", ".")) if part else 0.0

    d, m, sec = number(match["d"]), number(match["m"]), number(match["s"])
    value = d + m / 60 + sec / 3600
    why = ""
    if pre and post:
        why = "a hemisphere letter before and after"
    elif letter and match["sign"] == "-":
        why = f"both a minus sign and the hemisphere letter {letter}"
    elif letter and letter not in _AXIS_LETTERS[axis]:
        why = (f"the hemisphere letter {letter} in a column of "
               f"{'longitudes (E/W)' if axis == 'x' else 'latitudes (N/S)'}: x and y swapped?")
    elif m >= 60 or sec >= 60:
        why = "minutes or seconds of 60 or more"
    elif (match["s"] and not float(m).is_integer()) or \
            (match["m"] and not float(d).is_integer()):
        why = "a fraction before the last part (decimal degrees with minutes?)"
    negative = match["sign"] == "-" or letter in ("S", "W")
    return (-value if negative else value), why, bool(letter)


def _letter_marks(match: re.Match[str]) -> str:
    """The hemisphere letter a :data:`_DEGREES_TEXT` match read as the seconds' mark, or
    ''. ``s`` marks seconds only where the minutes were marked ``m`` (``52d05m12s``,
    ``5d03m00sE``: letters for every mark, as GPS exports write them; they were refused
    as "numbers with a unit"); after minutes marked otherwise (``52°05'12S``) it is the
    hemisphere, as it was. Where an ``s`` read as seconds was meant as south, every
    latitude is read north of the equator, and the readers refuse a table whose points
    would lie in the region only south of it (their sign lost)."""
    seconds = (match["sm"] or "").strip()
    if seconds.lower() != "s" or (match["mm"] or "").strip().lower() == "m":
        return ""
    return seconds


_TWO_DIGITS = re.compile(r"\d{2}(?:[.,]\d+)?")
"""Minutes or seconds as degrees-and-minutes text writes them, with two digits before any
decimals (``07.404``, ``05``): a group of grouped digits has three (``152 070``)."""


def _spaced_minutes(match: re.Match[str], axis: str) -> bool:
    """Whether a cell of numbers separated by spaces alone (``52 07.404``, ``52 05 12``,
    as GPS units and field sheets write degrees and decimal minutes) is degrees and
    minutes: whole degrees within the axis's range, then minutes (and seconds) of two
    digits before any decimals. Digits grouped by spaces (``152 070``, ``1 234``) have
    three in each group and stay a number; such cells were "no numbers" before."""
    if match["dm"] is None or ":" in match["dm"] or not match["d"].isdigit():
        return False
    if float(match["d"]) > (180 if axis == "x" else 90):
        return False
    if not _TWO_DIGITS.fullmatch(match["m"]) or (match["s"] and match["mm"] is None):
        return False
    return not match["s"] or bool(_TWO_DIGITS.fullmatch(match["s"]))


def _degrees_text(series: pd.Series, path: Path, column: str, axis: str,
                  numbers: np.ndarray, what: str, attrs: dict[str, Any]) -> pd.Series:
    """A coordinate column written in degrees as text (:data:`_DEGREES_TEXT`) as signed
    decimal degrees; any other column as it is. Each such column was refused as "these
    look like degrees, minutes and seconds: convert them"; the hemisphere letter (N/S for
    a latitude, E/W for a longitude) or a sign says each cell's side unambiguously.

    Raises
    ------
    DataError
        Cells that cannot be read unambiguously, naming them: a letter of the other axis,
        a sign and a letter, minutes or seconds of 60 or more, or no letter where the
        column's other cells give one (a letter lost: which side cannot be told).
    """
    if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
        return series
    text = _text_cells(series)
    joined = text.str.contains(r"\d-\d\d-\d", regex=True).to_numpy(bool)
    if joined.any():  # (unread, said where their rows are dropped: round 54)
        attrs.setdefault("hyphen_dms", {}).update(
            {int(i): text.iloc[i].strip() for i in np.flatnonzero(joined).tolist()
             if _hyphen_dms(text.iloc[i])})
    maybe = text.str.contains(r"[°º˚'′’\"″”:NSEWnsew]|\d\s+\d|\d\s*[dD]\s*\d",
                              regex=True).to_numpy(bool)
    if not maybe.any():
        return series
    read: dict[int, tuple[float, str, bool]] = {}
    for i in np.flatnonzero(maybe).tolist():
        cell = _degree_cell(text.iloc[i], axis)
        if cell is not None:
            read[i] = cell
    if not read:
        return series
    lettered = any(r[2] for r in read.values())
    bad: list[tuple[int, str]] = [(i, r[1]) for i, r in read.items() if r[1]]
    plain = series.where(~pd.Series(maybe, index=series.index), None)
    out = _numbers(plain, path, column, attrs).copy()
    for i, r in read.items():
        out[i] = r[0]
    if lettered:  # a cell without a letter (a number, or degrees text) has lost its side
        blank = (text.str.strip() == "") | series.isna().to_numpy()
        for row in np.flatnonzero(~blank.to_numpy(bool)).tolist():
            got = read.get(row)
            if (got is None and np.isfinite(out[row]) and out[row] >= 0) or \
                    (got is not None and not got[2] and not got[1] and got[0] >= 0):
                bad.append((row, "no hemisphere letter where the other rows give one"))
    if bad:
        bad.sort()
        shown = "; ".join(f"{what} {int(numbers[i])} ({text.iloc[i].strip()!r}: {why})"
                          for i, why in bad[:5]) + ("; ..." if len(bad) > 5 else "")
        raise DataError(
            f"{path}: column {column!r} writes coordinates in degrees as text, read as decimal "
            f"degrees, but {len(bad)} of {len(series)} cannot be read unambiguously: "
            f"{shown}; write each with its hemisphere letter ({_AXIS_LETTERS[axis][0]} or "
            f"{_AXIS_LETTERS[axis][1]}) or a sign, minutes and seconds below 60, or give the "
            "column as signed decimal degrees (negative west and south)")
    return pd.Series(out, index=series.index, dtype="f8")


_COMMA_CELL = re.compile(r"\s*[-+]?\d+,\d+\s*")
"""A number in a decimal comma (``1,5``), where the file's notation is decimal points."""
_UNCERTAIN = re.compile(r"\s*[-+]?\d+(?:[.,]\d+)?\s*(?:±|\+/-|\+-)\s*\d+(?:[.,]\d+)?\s*"
                        r"(?:%|[A-Za-zµμ/]+)?\s*")
"""A value and its uncertainty (``1.5±0.2``, ``2.5 +/- 0.3``)."""
_RANGE = re.compile(r"\s*(?:~|≈|ca\.?|approx\.?|circa)\s*\d+(?:[.,]\d+)?\s*"
                    r"|\s*\d+(?:[.,]\d+)?\s*(?:-|–|—|to)\s*\d+(?:[.,]\d+)?\s*",
                    re.IGNORECASE)
"""A range (``0.5-1.0``, ``2 to 3``) or an approximation (``~3``, ``ca. 3``)."""


_NOT_ANALYSED = re.compile(
    r"\s*(?:n\.?\s?[abmr]\.?|k\.\s?a\.?|i\.\s?s\.|n\.\s?s\.|n/[abdm]|n\.\s?a\.\s?p\.?|[-\u2013\u2014]{1,3}"
    r"|not\s+(?:analy[sz]ed|determined|measured|sampled|reported|available|tested)"
    r"|no\s+(?:data|analysis|sample)|insufficient\s+sample|(?-i:IS|NS|NSS|LNR)"
    r"|nicht\s+(?:bestimmt|analysiert|gemessen|untersucht)|keine\s+(?:angabe|probe)"
    r"|niet\s+(?:bepaald|geanalyseerd|gemeten|onderzocht)|geen\s+(?:monster|gegevens)"
    r"|non\s+(?:analys|d[ée]termin|mesur)[ée]e?s?|no\s+(?:analizad|determinad|medid)[oa]s?)\s*",
    re.IGNORECASE)
"""A cell saying its sample was not analysed or its value not determined, with no value
and no limit: Dutch ``n.b.`` (niet bepaald), German ``n.b.`` (nicht bestimmt), ``k.A.``
(keine Angabe), ``n.a.``, ``n.m.``, ``n.r.``, ``n/a``, ``I.S.`` (insufficient sample),
``N.S.`` (not sampled), and without their points as laboratories' certificates write them
(``IS``, ``NS``, ALS's ``NSS``, not sufficient sample, and ``LNR``, listed not received),
a dash, and the words written out. Each is missing, as meant; it
was said with "write numbers only (units belong in the header)", which no number fixes
(``n.d.`` stays a detection limit)."""


_LABEL_LIMITS = ("leave each as written with its limit ('<5'): under a threshold, a grade "
                 "below a limit at or under it is a negative, and one below a higher limit is "
                 "left out, undecided; do not put half the limit in its place (a made-up "
                 "grade is labelled as if measured: '<50' as 25 is a negative at 30, though "
                 "it may be 40)")
"""The fix for detection limits in a label's grade column (:func:`_what_cells_are`)."""


def _what_cells_are(cells: pd.Series, *, label: bool = False) -> str:
    """What a value column's cells that are no number are, with the fix for each kind
    (``label``: a label's grade column, whose detection limits are read as such, where a
    substituted half limit would be a made-up grade):
    detection limits (``<0.5``, ``BDL``, ``n.d.``), spreadsheet errors and formulas
    (``#DIV/0!``, ``#N/A``, ``=A2*2``), dates a spreadsheet made of numbers (``5-Dec``);
    the rest "numbers only". Each was "write numbers only (units belong in the header)";
    so were numbers in decimal commas in a file of decimal points (``'1,5'``, a GeoJSON
    property written as text), values with their uncertainty (``1.5±0.2``), ranges
    (``0.5-1.0``) and approximations (``~3``, ``ca. 3``), whose units were never the
    matter."""
    kinds = (
        (_ABOVE_CELL, "are above an upper limit", "each grade is at least its limit: give "
         "the re-assayed grades, or the limit itself where a lower bound will do"),
        (_ABOVE_UNSTATED, "are above an upper limit whose number they do not give", "each "
         "grade is at least that limit, unknown here, so it is left out: write the limit "
         "with it ('>UDL 1000' or '>1000': the least the grade is), or give the re-assayed "
         "grades"),
        (_LIMIT, "are detection limits", _LABEL_LIMITS if label else
         "give them as numbers (e.g. half the limit) or leave them empty"),
        (_NOT_ANALYSED, "say the sample was not analysed or its value not determined",
         "each has no value and is left out, as meant; leave such cells empty (notes on "
         "why in a column of their own) to have them read without a word"),
        (_SHEET_ERROR, "are spreadsheet errors or formulas", "the sheet's formulas failed "
         "or were saved as text: fix them and export the values (not the formulas)"),
        (_SHEET_DATE, "look like dates", "a column of dates (when each record was "
         "sampled or drilled) holds no measurement, so name the column of numbers meant; if "
         "numbers were typed there, a spreadsheet turned numbers such as 5.12 into "
         "dates (day and month): format the column as Number (or Text) before typing or "
         "importing the values, and export them again"),
        (_COMMA_CELL, "are written with a decimal comma", "set 'decimal: \",\"' in the "
         "source if the file writes decimal commas, or write them with decimal points"),
        (_UNCERTAIN, "give a value with its uncertainty", "give the value alone (its "
         "uncertainty in a column of its own)"),
        (_RANGE, "are ranges or approximations", "give one number for each (or leave it "
         "empty), and say in a note how it was chosen"),
    )
    said = []
    left = np.ones(len(cells), bool)
    for pattern, what, fix in kinds:
        hit = left & cells.map(lambda c, p=pattern: p.fullmatch(
            above_written(c) if p is _ABOVE_CELL else _signs(c)) is not None).to_numpy(bool)
        if hit.any():
            said.append(f"{int(hit.sum())} {what} ({cells[hit].iloc[0]!r}): {fix}")
            left &= ~hit
    if left.any():
        said.append(("the rest: " if said else "") + "write numbers only (units belong in "
                    "the header)")
    return "; " + "; ".join(said)


def no_numbers_hint(series: pd.Series) -> str | None:
    """Why a column none of whose cells is a plain number holds none (dates, degrees, units,
    detection limits, booleans), in words to end a refusal with; ``None`` when the cells
    are nothing this can name.

    Parameters
    ----------
    series
        The column's cells as read.
    """
    return _decorated(series)


_HYPHEN_DMS = re.compile(r"\s*[-+]?\d{1,3}-(?P<m>\d{2})-(?P<s>\d{2}(?:[.,]\d+)?)\s*")
"""Degrees, minutes and seconds joined by hyphens without a hemisphere letter
(``38-12-00``, ``-118-30-00.5``): :data:`_DEGREES_TEXT` reads them only beside a letter."""


def _hyphen_dms(cell: str) -> bool:
    """Whether ``cell`` is :data:`_HYPHEN_DMS` with minutes and seconds below 60."""
    match = _HYPHEN_DMS.fullmatch(cell)
    return match is not None and int(match["m"]) < 60 and \
        float(match["s"].replace(",", ".")) < 60


def _hyphen_dms_said(found: dict[int, str], dropped: np.ndarray, numbers: Any,
                     what: str) -> str:
    """The reason given for dropped rows whose coordinate is :data:`_HYPHEN_DMS` (``""``
    for none): ``38-12-00`` among decimal degrees was dropped as "without usable
    coordinates", the reason unsaid (round 54)."""
    at = [i for i in sorted(found) if i < dropped.size and dropped[i]]
    if not at:
        return ""
    shown = ", ".join(str(int(numbers[i])) for i in at[:5]) + (", ..." if len(at) > 5 else "")
    return (f"; {len(at)} of them ({what}{'s' if len(at) > 1 else ''} {shown}) "
            f"write{'' if len(at) > 1 else 's'} degrees, minutes and seconds joined by "
            "hyphens without a hemisphere letter "
            f"({found[at[0]]!r}), read only beside one ('38-12-00N', '118-30-00W'), as "
            "without it such a cell is as much a date, a range or an ID: add the letter (N "
            "or S, E or W), or give signed decimal degrees")


def _decorated(series: pd.Series) -> str | None:
    """Why a column without a single plain number holds none, when its cells are numbers
    written with something around them: degrees, minutes and seconds (``52°30'15"N``),
    a unit (``12 mg/l``) or a detection limit (``<0.5``, ``n.d.``); ``None`` otherwise.
    Each was refused as "pick a numeric column", the column the config means."""
    if len(series.dropna()) and (pd.api.types.is_bool_dtype(series.dtype)
                                 or series.dropna().map(_is_bool_cell).all()):
        return ("its cells are booleans (TRUE/FALSE, yes or no), not measurements: name "
                "the column of numbers meant, or write the values as numbers")
    cells = series.dropna().astype(str).str.strip()
    cells = cells[cells != ""]
    if not len(cells):
        return None
    if cells.map(lambda c: _OUEST.fullmatch(c) is not None).mean() > 0.5:
        return (f"these are degrees with the hemisphere letter O ({cells.iloc[0]!r}), which "
                "is west in Spanish, French and Portuguese (oeste, ouest) but east in German "
                "and Dutch (Ost, oost): write W or E (or signed decimal degrees, negative "
                "west)")
    if cells.map(lambda c: _DMS.fullmatch(c) is not None).mean() > 0.5:
        return ("these look like degrees, minutes and seconds: convert them to decimal "
                "degrees (degrees + minutes / 60 + seconds / 3600, negative west and south)")
    if cells.map(lambda c: _HEMISPHERE.fullmatch(c) is not None).mean() > 0.5:
        return (f"these are degrees with a hemisphere letter ({cells.iloc[0]!r}): write them "
                "as signed decimal degrees, negative west and south ('68.3 W' is -68.3, "
                "'12.2 S' is -12.2)")
    limits = cells.map(lambda c: _LIMIT.fullmatch(c) is not None)
    if limits.mean() > 0.5:
        return ("these are detection limits: give them as numbers (e.g. half the limit) or "
                "leave them empty")
    if cells.map(lambda c: _SHEET_ERROR.fullmatch(c) is not None).mean() > 0.5:
        return ("these are spreadsheet errors or formulas: the sheet's formulas failed or "
                "were saved as text; fix them and export the values (not the formulas)")
    if cells.map(lambda c: _SHEET_DATE.fullmatch(c) is not None).mean() > 0.5:
        return (f"these look like dates ({cells.iloc[0]!r}): a column of dates (when each "
                "record was sampled or drilled) holds no measurement, so name the column of "
                "numbers meant; if numbers were typed there, a spreadsheet turned them (5.12) "
                "into dates (day and month): format the column as Number (or Text) before "
                "typing or importing the values, and export them again")
    joined = cells.map(_hyphen_dms)
    if joined.mean() > 0.5:  # (before a range's '2-30': round 54)
        return (f"these look like degrees, minutes and seconds joined by hyphens without a "
                f"hemisphere letter ({cells[joined].iloc[0]!r}), read only beside one "
                "('38-12-00N', '118-30-00W'), as without it such a cell is as much a date, "
                "a range or an ID: add the letter (N or S, E or W) to each, or give signed "
                "decimal degrees (negative west and south)")
    if cells.map(lambda c: _RANGE.fullmatch(c) is not None).mean() > 0.5:
        return ("these are ranges or approximations ('2 to 3', '~3'): give one number for "
                "each (or leave it empty), and say in a note how it was chosen")
    if cells.map(lambda c: _WITH_UNIT.fullmatch(c) is not None).mean() > 0.5:
        return ("these are numbers with a unit (only a concentration unit, such as ppm, "
                "mg/L or %, is read from the cells): write numbers only (the unit belongs "
                "in the header, e.g. 'li [mg/L]', or in 'units:')")
    return None


def _plain(name: str) -> str:
    """A column name without accents, brackets, case or punctuation (``'Längengrad (°)'``:
    ``'langengrad'``), for telling what the column is."""
    name = re.sub(r"[\[(].*?[\])]", "", str(name))
    name = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    name = name.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", name.lower())


_EXTRAS = ("wgs84", "etrs89", "approx", "decimal", "degrees", "deg", "dec", "dd", "utm", "rd",
           "coord", "coordinate", "coordinaat", "coordonnee", "coordenada", "koordinate", "gps",
           "wgs", "84", "m")
"""Words around a coordinate column's name (``LON_DD``, ``X_RD``, ``dec_lat``, Dutch
``X-coördinaat``, French ``X coordonnée``)."""
_X_NAMES = frozenset((
    "lon", "long", "lng", "longitude", "longitud", "longitudine", "lengtegraad", "langengrad",
    "laengengrad", "kinhdo", "x", "easting", "east", "est", "este", "e", "rechtswert", "rw",
    "xcoord", "ostwert", "oost", "oostwaarde"))
_Y_NAMES = frozenset((
    "lat", "latitude", "latitud", "latitudine", "breedtegraad", "breitengrad", "vido", "y",
    "northing", "north", "nord", "norte", "n", "hochwert", "hw", "ycoord", "nordwert", "noord",
    "noordwaarde"))
_PROJECTED = frozenset(("x", "y", "easting", "east", "est", "este", "e", "rechtswert", "rw",
                        "xcoord", "ycoord", "ostwert", "northing", "north", "nord", "norte",
                        "n", "hochwert", "hw", "nordwert", "oost", "oostwaarde", "noord",
                        "noordwaarde"))
"""Coordinate words (:func:`_coordinate_word`) of a projected CRS's eastings and northings
(Dutch tables' ``X-coördinaat``, ``Oost``/``Noord`` and ``X_RD``, whose hint had no word
of ``crs:``, or no hint at all)."""


def _coordinate_word(name: str) -> str:
    """A column name's plain word (:func:`_plain`) without the words around a coordinate's
    (:data:`_EXTRAS`, a datum, a trailing number): ``X_RD`` -> ``x``, ``LONGITUDE_NAD83``
    -> ``longitude``; a coordinate's word is kept whole (``Noord``, ``Nord``: not ``noo``
    without an ``rd``)."""
    plain = _plain(name)
    for _ in range(3):
        for extra in _EXTRAS:
            if plain in _X_NAMES or plain in _Y_NAMES:
                return plain
            if plain != extra and plain.startswith(extra):
                plain = plain[len(extra):]
            if plain != extra and plain.endswith(extra):
                plain = plain[:-len(extra)]
    plain = plain.rstrip("0123456789") or plain  # 'Lat83', 'LONGITUDE_NAD83'
    for datum in ("nad", "wgs", "etrs", "ed"):
        plain = plain.removesuffix(datum) if plain != datum else plain
    return plain


def _coordinate_kind(name: str) -> str | None:
    """``"x"`` or ``"y"`` for a column name that says it holds coordinates (``Longitude``,
    ``Rechtswert``, ``X_RD``, ``vĩ độ``, ``X-coördinaat``, ``Noord``...), else ``None``."""
    plain = _coordinate_word(name)
    return "x" if plain in _X_NAMES else "y" if plain in _Y_NAMES else None


def _coordinates_meant(columns: list[str], missing: list[str]) -> str:
    """The coordinate columns a table has under other names, as the ``x:``/``y:`` to set
    (``""`` when it has none): a table of ``Longitude``/``Latitude`` or
    ``Rechtswert``/``Hochwert`` was "no column(s) ['lon', 'lat']" with no more to go on."""
    if not missing:
        return ""
    found: dict[str, list[str]] = {}
    for column in columns:
        kind = _coordinate_kind(column)
        if kind is not None:
            found.setdefault(kind, []).append(column)
    if not found:
        return ""
    keys = ", ".join(f"{k}: " + " or ".join(map(repr, found[k][:3]))
                     for k in ("x", "y") if k in found)
    projected = any(_plain(c).rstrip("0123456789") in _PROJECTED
                    or _coordinate_word(c) in _PROJECTED
                    for names in found.values() for c in names)
    return (f"; its coordinates look like {keys}: set "
            f"{'them' if len(found) > 1 else 'it'} in the points source"
            + (" (and 'crs:' if they are not longitude/latitude)" if projected else ""))


_WKT = re.compile(r"\s*(?:SRID=\d+;\s*)?(?:MULTI)?(?:POINT|LINESTRING|POLYGON|GEOMETRYCOLLECTION)"
                  r"\s*(?:Z|M|ZM)?\s*(?:\(|EMPTY).*", re.IGNORECASE | re.DOTALL)


def _text_cells(series: pd.Series) -> pd.Series:
    """A column's cells as text, bytes (a BLOB field of a GeoPackage, a binary column of
    a Parquet table) decoded as UTF-8 with stand-ins for what is no UTF-8: ``astype(str)``
    decoded them strictly (``internal error: UnicodeDecodeError``)."""
    return series.map(lambda v: bytes(v).decode("utf-8", "replace")
                      if isinstance(v, bytes | bytearray | memoryview) else v).astype(str)


def _geometry_text(frame: pd.DataFrame, missing: list[str]) -> str:
    """How to read a table whose geometries are text (a column of WKT, ``POINT (5.1
    52.1)``, as QGIS and PostGIS export a layer to CSV) when its coordinate columns are
    missing; ``""`` when it has no such column."""
    if not missing:
        return ""
    for i, column in enumerate(frame.columns):  # by position: a name may repeat
        cells = _text_cells(frame.iloc[:, i].dropna().head(50))
        if len(cells) and cells.map(lambda c: _WKT.fullmatch(c) is not None).mean() > 0.5:
            return (f"; column {column!r} holds the geometries as WKT text (e.g. "
                    f"{cells.iloc[0][:40]!r}): save the table as a vector file and give that "
                    f"(ogr2ogr -f GPKG points.gpkg table.csv -oo GEOM_POSSIBLE_NAMES={column} "
                    "-oo KEEP_GEOM_COLUMNS=NO -oo AUTODETECT_TYPE=YES -a_srs EPSG:4326, with "
                    "the table's CRS), or export the coordinates as x/y columns")
    for i, column in enumerate(frame.columns):
        cells = _text_cells(frame.iloc[:, i].dropna().head(50))
        pairs = cells.str.extract(_PAIR_CELL.pattern, expand=True) if len(cells) else None
        if pairs is not None:
            pairs = pd.DataFrame({0: pairs[0].fillna(pairs[2]), 1: pairs[1].fillna(pairs[3])})
        if pairs is not None and pairs[0].notna().mean() > 0.5:
            first, second = (pairs[k].dropna().astype(float) for k in (0, 1))
            return (f"; column {column!r} holds both coordinates in one cell (e.g. "
                    f"{cells[pairs[0].notna()].iloc[0][:40]!r}; first numbers "
                    f"{first.min():g} to {first.max():g}, second {second.min():g} to "
                    f"{second.max():g}): split it into two "
                    "columns (a spreadsheet's 'Text to Columns' at the separator) and give "
                    "them as x: (longitude or easting) and y: (latitude or northing); a pair "
                    "copied from a web map or a GPS is latitude first")
    for i, column in enumerate(frame.columns):
        name = str(column).strip().lower()
        if name in _GEOMETRY_NAMES and not _text_cells(
                frame.iloc[:, i].dropna()).str.strip().ne("").any():
            return (f"; its column {column!r} (where a GIS writes each record's geometry as "
                    f"WKT) is blank in all {len(frame)} row(s): no record has a place; export "
                    "the layer again with its geometries (QGIS: GEOMETRY=AS_WKT), or give "
                    "the coordinates as x/y columns")
    return ""


_PAIR_CELL = re.compile(
    r"^\s*[(\[]?\s*(?:([-+]?\d+(?:\.\d+)?)°?\s*(?:,\s+|;)\s*([-+]?\d+(?:\.\d+)?)"
    r"|([-+]?\d+\.\d+)°?(?:\s*,|\s+)\s*([-+]?\d+\.\d+))°?\s*[)\]]?\s*$")
"""A cell holding two coordinates (``52.1, 5.3``, ``(52.1;5.3)``, ``52.1 5.3``), as a web
map, a GPS or a hand-made sheet writes a place in one column (:func:`_geometry_text`);
a decimal comma (``12,5``) and space-grouped digits (``12 500``) are one number."""

_GEOMETRY_NAMES = frozenset({"wkt", "geometry", "geom", "the_geom", "wkb_geometry",
                             "shape", "geometrie"})
"""Names GIS tools give a table's column of WKT geometries (GDAL's ``WKT``, QGIS's and
GeoPandas' ``geometry``, PostGIS's ``geom``/``the_geom``)."""


def _wkt_column(frame: pd.DataFrame) -> str | None:
    """The one column of a table that holds its geometries as WKT or EWKT text (most of
    its first 50 filled cells: ``POINT (5.1 52.1)``, ``SRID=28992;POLYGON ((...))``, as
    QGIS, PostGIS and GDAL write a layer to CSV); ``None`` when none does, or several
    do (which one is meant is then not clear)."""
    found = []
    for i, column in enumerate(frame.columns):  # by position: a name may repeat
        cells = _text_cells(frame.iloc[:, i].dropna().head(50))
        cells = cells[cells.str.strip() != ""]
        if len(cells) and cells.map(lambda c: _WKT.fullmatch(c) is not None).mean() > 0.5:
            found.append(str(column))
    return found[0] if len(found) == 1 and \
        list(map(str, frame.columns)).count(found[0]) == 1 else None


_SRID = re.compile(r"\s*SRID\s*=\s*(\d+)\s*;", re.IGNORECASE)
_WKT_EMPTY = re.compile(r"\s*(?:SRID\s*=\s*\d+\s*;\s*)?[A-Z]+(?:\s+(?:Z|M|ZM))?\s+EMPTY\s*",
                        re.IGNORECASE)
"""An empty WKT geometry (``POINT EMPTY``, ``SRID=4326;POINT Z EMPTY``)."""


def _without_empty(geoms: np.ndarray) -> np.ndarray:
    """``geoms`` with every empty geometry (``POINT EMPTY``, as GDAL, PostGIS and QGIS
    write a feature whose place was never set) made missing.

    Parameters
    ----------
    geoms : numpy.ndarray
        Shapely geometries or ``None`` (object array).

    Returns
    -------
    numpy.ndarray
        The same array (a copy where one was empty), empty geometries as ``None``: a
        record without a place, dropped and counted as one. Before, an empty point reached
        ``shapely.get_x`` and the read ended in a GEOS exception ("getX called on empty
        Point"), an internal error.
    """
    empty = shapely.is_empty(geoms)
    if not empty.any():
        return geoms
    geoms = geoms.copy()
    geoms[empty] = None
    return geoms


def _wkt_features(frame: pd.DataFrame, path: Path, column: str, crs: str | None,
                  override_crs: bool, rows: np.ndarray, said: str,
                  table: bool, beside: tuple[str, str] | None = None) -> gpd.GeoDataFrame:
    """The records of a table whose geometries are the WKT text of ``column``
    (:func:`_wkt_column`), in the CRS an EWKT ``SRID=`` prefix states (when the points
    source states none; one stating another is refused), else the one a ``.prj`` beside
    the table states (``beside``: :func:`_sidecar_crs`, as for a table of x/y columns;
    it was never looked at, so a QGIS export of RD New points beside its ``.prj`` was
    refused as "no row's geometry ... valid in WGS 84"), else ``crs``. A cell that is
    no geometry WKT reads is a record without one (dropped and counted by the readers).
    Such a table was refused with an ``ogr2ogr`` line, where GDAL's CSV driver reads a
    column named ``WKT`` by itself."""
    text = _text_cells(frame[column]).where(frame[column].notna(), "")
    srid = text.str.extract(_SRID.pattern, flags=re.IGNORECASE, expand=False)
    stated = sorted({int(v) for v in srid.dropna()})
    if len(stated) > 1:
        first = {v: int(rows[int(np.flatnonzero((srid == str(v)).to_numpy())[0])])
                 for v in stated}
        raise DataError(
            f"{path}: column {column!r} gives its geometries in {len(stated)} CRSs ("
            + ", ".join(f"SRID={v} from {said} {first[v]}" for v in stated[:4])
            + "); write them all in one CRS (e.g. ogr2ogr -t_srs EPSG:4326, or ST_Transform "
            "in the query that exported them)")
    given = parse_crs(crs or "EPSG:4326")
    if stated:
        own = parse_crs(f"EPSG:{stated[0]}")
        if override_crs and not own.equals(given):
            raise DataError(
                f"{path}: column {column!r} says its geometries are in EPSG:{stated[0]} "
                f"({own.name}: 'SRID={stated[0]};' before the WKT), but the points source "
                f"says crs {crs!r} ({given.name}); remove 'crs:' from the points source, or "
                "set it to the one the geometries are written in")
        given = own
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (shapely's warning of a cell it cannot read)
        cells = text.str.replace(_SRID.pattern, "", regex=True, flags=re.IGNORECASE)
        geometry = shapely.from_wkt(np.array([c.strip() or None for c in cells], object),
                                    on_invalid="ignore")
    geometry = _without_empty(geometry)
    points = shapely.get_type_id(geometry) == 0
    xs = np.where(points, shapely.get_x(geometry), np.nan)
    ys = np.where(points, shapely.get_y(geometry), np.nan)
    if not stated and beside is not None and np.isfinite(xs).any():
        crs = _crs_beside(xs, ys, crs, beside, path, "", "",
                          f"geometries in column {column!r}")
        given = parse_crs(crs or "EPSG:4326")
    _refuse_crs_column(frame, path, crs or "EPSG:4326", xs, ys)
    if not stated:
        _refuse_degrees_as_metres(xs, ys, crs or "EPSG:4326", path, "", "")
    geometry[~has_geometry(gpd.GeoSeries(geometry))] = None
    gdf = gpd.GeoDataFrame(frame.drop(columns=[column]), geometry=geometry, crs=given)
    for key in ("lines", "decimal", "undecided", "units", "percent_mixed"):
        gdf.attrs[key] = frame.attrs.get(key)
    again = text.str.strip() == column
    gdf.attrs["header_again"] = [int(i) for i in np.flatnonzero(again.to_numpy())]
    gdf.attrs["table"] = "layer" if table else "file"
    gdf.attrs["wkt_column"] = column
    unread = np.flatnonzero(shapely.is_missing(geometry) & (text.str.strip() != "").to_numpy()
                            & ~again.to_numpy())
    blank = _WKT_EMPTY.fullmatch
    empty = np.array([blank(str(text.iloc[int(i)])) is not None for i in unread], bool)
    if unread.size and empty.all():  # the place never set: said so, not "no WKT"
        gdf.attrs["wkt_unread"] = (
            f"; {_listed(rows, unread, said)} hold{'s' if unread.size == 1 else ''} an "
            f"empty geometry (e.g. {text.iloc[int(unread[0])].strip()[:40]!r}), a record "
            "without a place: give its point, or leave it out")
    elif unread.size:
        gdf.attrs["wkt_unread"] = (
            f"; {_listed(rows, unread, said)} hold{'s' if unread.size == 1 else ''} no WKT "
            f"geometry (e.g. {text.iloc[int(unread[0])][:40]!r}): write each as WKT "
            "('POINT (5.1 52.1)')")
    return _without_null_island(gdf, path, f"geometries in column {column}")


_NUMBER_TEXT = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_WKT_POINT = re.compile(rf"\s*(?:SRID=\d+;\s*)?POINT\s*(?:Z|M|ZM)?\s*\(\s*({_NUMBER_TEXT})\s+"
                        rf"({_NUMBER_TEXT})(?:\s+{_NUMBER_TEXT}){{0,2}}\s*\)\s*", re.IGNORECASE)
"""A WKT or EWKT point (``POINT (5.1 52.1)``, ``SRID=4326;POINT Z (5.1 52.1 3)``)."""


def _half_step(cells: pd.Series) -> np.ndarray:
    """Half the last written decimal place of each number as text (``5.12``: 0.005)."""
    text = cells.astype(str).str.strip().str.replace(",", ".", regex=False)
    decimals = text.str.extract(r"\.(\d*)", expand=False).fillna("").str.len()
    exponent = pd.to_numeric(text.str.extract(r"[eE]([-+]?\d+)", expand=False),
                             errors="coerce").fillna(0)
    return 0.5 * 10.0 ** (exponent.to_numpy(dtype="f8") - decimals.to_numpy(dtype="f8"))


def _filled_head(cells: pd.Series) -> pd.Series:
    """The first 50 of ``cells`` (none missing) as text that are not blank."""
    text = _text_cells(cells)
    return text[text.str.strip() != ""].head(50)


def _refuse_geometry_disagreeing(frame: pd.DataFrame, path: Path, x: str, y: str,
                                 xs: np.ndarray, ys: np.ndarray, what: str) -> None:
    """Refuse a table whose WKT geometry column (``POINT (5.1 52.1)``, as QGIS and PostGIS
    export a layer with its coordinates as columns too) places rows elsewhere than its
    ``x``/``y`` columns: only the columns were read, the WKT unseen, so one of the two was
    wrong without a word (a column edited, a WKT of another CRS, x and y swapped in one).
    Numbers agree within half the last decimal either writes."""
    lines = frame.attrs.get("lines")
    numbers = np.asarray(lines) if lines is not None else np.arange(len(frame)) + 2
    for i, column in enumerate(frame.columns):  # by position: a name may repeat
        if column in (x, y) or pd.api.types.is_numeric_dtype(frame.iloc[:, i].dtype):
            continue
        present = frame.iloc[:, i].dropna()
        sample = _filled_head(present.head(1000))  # a text column read whole only if WKT
        if len(sample) < 50 and len(present) > 1000:
            sample = _filled_head(present)
        if not len(sample) or sample.map(
                lambda c: _WKT.fullmatch(c) is not None).mean() <= 0.5:
            continue
        cells = _text_cells(frame.iloc[:, i]).where(frame.iloc[:, i].notna(), "")
        parts = cells.str.extract(_WKT_POINT.pattern, flags=re.IGNORECASE)
        wx = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype="f8")
        wy = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype="f8")
        both = np.isfinite(wx) & np.isfinite(wy) & np.isfinite(xs) & np.isfinite(ys)
        if not both.any():
            continue
        with np.errstate(invalid="ignore"):
            tx = np.maximum(_half_step(parts[0].fillna("")), _half_step(frame[x])) * 1.000001
            ty = np.maximum(_half_step(parts[1].fillna("")), _half_step(frame[y])) * 1.000001
            off = both & ((np.abs(wx - xs) > tx + 1e-12 * np.abs(xs))
                          | (np.abs(wy - ys) > ty + 1e-12 * np.abs(ys)))
        if not off.any():
            continue
        at = np.flatnonzero(off)
        k = int(at[0])
        swapped = bool(np.all(np.isclose(wx[off], ys[off]) & np.isclose(wy[off], xs[off])))
        why = (": the WKT writes x and y the other way round" if swapped else
               ": every row, the WKT in another CRS than the columns?"
               if off.sum() == both.sum() else "")
        raise DataError(
            f"{path}: column {column!r} holds each row's geometry as WKT, and it places "
            f"{int(off.sum())} of {int(both.sum())} row(s) elsewhere than the coordinate "
            f"columns {x}/{y} ({_listed(numbers, at, what)}; e.g. {what} {int(numbers[k])}: "
            f"{cells.iloc[k].strip()[:60]!r} but {x}={xs[k]:.10g}, {y}={ys[k]:.10g}){why}; "
            "which place is meant cannot be told: correct the one that is wrong, or remove "
            f"the WKT column (or the {x}/{y} columns and read the WKT as a vector file)")


_CRS_COLUMNS = frozenset((
    "epsg", "epsgcode", "crs", "crsname", "srid", "srs", "srsname", "spatialref",
    "spatialreference", "coordsys", "coordsystem", "coordinatesystem", "coordinatereference",
    "coordref", "refsys", "referencesystem", "projection", "datum", "horizontaldatum",
    "hdatum", "utmzone", "zoneutm"))
"""Names of a column that states each row's coordinate system (``EPSG``, ``datum``...)."""
_ZONE_COLUMNS = frozenset(("zone", "zona", "huso", "fuseau", "utm", "utmzn", "zn", "zoneno",
                           "zonenumber", "utmzonenumber", "utmzoneno", "gridzone"))
"""Names of a column that may state each row's UTM zone (``Zone``, Spanish ``Huso``, French
``Fuseau``), and may name something else (an ore zone): read as UTM zones only where every
cell is one (``31``, ``32U``) and the source's ``crs`` is the UTM zone of some rows."""
_CRS_KEYS = ("EPSG:", "PROJCRS", "GEOGCRS", "BOUNDCRS", "COMPOUNDCRS", "PROJCS", "GEOGCS")


_ZONE_CELL = re.compile(r"\d{1,2}\s*[A-Za-z]?")
"""A UTM zone as a table writes it: ``31``, ``31N``, ``32U`` (an MGRS latitude band)."""


def _zone_key(cell: str, *, band_s: bool = False) -> str:
    """One spelling of a UTM zone cell: its number, with ``S`` for the southern
    hemisphere (``31``, ``31N`` and ``31U``, a latitude band, are one zone: ``'31'``);
    with ``band_s``, a final ``S`` is the latitude band S (32 to 40 degrees north:
    :func:`_s_is_a_band`), so ``11S`` is ``'11'``."""
    text = cell.strip()
    number = int(re.sub(r"\D", "", text) or 0)
    return f"{number}{'S' if text[-1:].upper() == 'S' and not band_s else ''}"


_BAND_S_NORTHINGS = (3_400_000.0, 4_500_000.0)
"""Northings (metres, a northern UTM zone's) of the latitude band S, 32 to 40 degrees north,
with a margin: a southern zone's northings there lie at about 50 to 60 degrees south."""


def _s_is_a_band(cells: pd.Series, ys: np.ndarray) -> bool:
    """Whether a zone column's final ``S`` (``11S``) is the MGRS latitude band S, not the
    southern hemisphere: where other cells write band letters (``32T``, ``31U``), or where
    every northing lies in the band's (:data:`_BAND_S_NORTHINGS`: Nevada, California,
    Spain, Japan). Read as the south, Nevada's ``11S`` in ``crs: EPSG:32611`` was refused
    as "in the other hemisphere" with a southern code as its fix, and a ``Zone`` column of
    ``11S`` and ``12S`` rows was none of the crs's zone, so zone 12's rows were misplaced
    by 6 degrees without a word (round 52)."""
    letters = {c[-1].upper() for c in cells.unique() if c[-1:].isalpha()}
    if "S" not in letters:
        return False
    if letters - {"N", "S"}:
        return True
    north = ys[np.isfinite(ys)]
    low, high = _BAND_S_NORTHINGS
    return bool(north.size) and bool(((north >= low) & (north <= high)).all())


def _utm_zone(crs: str) -> str | None:
    """The UTM zone of ``crs`` as :func:`_zone_key` writes it (``31``, ``19S``), else
    ``None``."""
    try:
        zone = parse_crs(crs).utm_zone
    except CRSError:
        return None
    return None if zone is None else _zone_key(zone)


def _crs_key(value: str) -> str:
    """One spelling of a CRS cell (``'32619'``, ``'EPSG:32619'``, ``32619.0``: ``EPSG:32619``;
    a name PROJ does not know stays itself, in lower case)."""
    text = value.strip()
    if re.fullmatch(r"\d+(?:\.0+)?", text):
        text = f"EPSG:{int(float(text))}"
    try:
        crs = parse_crs(text)
    except CRSError:
        return text.lower()
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _refuse_crs_column(frame: pd.DataFrame, path: Path, crs: str, xs: np.ndarray,
                       ys: np.ndarray) -> None:
    """Refuse a table whose rows state several coordinate systems (a column ``EPSG``,
    ``datum``, ``utm_zone``... of two or more): every row is read in the source's one
    ``crs``, so the rows of the other CRS were placed hundreds of kilometres off without a
    word (a well list of two UTM zones). One stated CRS that places the rows elsewhere than
    the source's ``crs`` (by a metre or more, :func:`prospect.io.vector.ground_shift`) is
    refused too (:func:`prospect.io.vector.crs_replaced_message` warns of the same for a
    vector file's own CRS, which the config's ``crs`` may correct)."""
    given_zone = _utm_zone(crs)
    for i, column in enumerate(frame.columns):  # by position: a name may repeat
        generic = _plain(column) in _ZONE_COLUMNS
        if _plain(column) not in _CRS_COLUMNS and not generic:
            continue
        cells = _text_cells(frame.iloc[:, i].dropna()).str.strip()
        cells = cells[(cells != "") & ~cells.str.fullmatch(r"<\s*null\s*>", case=False)]
        cells = cells.str.replace(r"\.0+$", "", regex=True)  # (31.0: a number column)
        if not len(cells) or cells.nunique() > 50:
            continue  # not a column of a few CRSs
        zones = generic or _plain(column) in ("utmzone", "zoneutm")
        if zones and not cells.str.fullmatch(_ZONE_CELL.pattern).all():
            continue  # not every cell is a zone
        band_s = zones and _s_is_a_band(cells, ys)
        keys = cells.map({v: _zone_key(v, band_s=band_s) if zones else _crs_key(v)
                          for v in cells.unique()})
        if generic and (given_zone is None or given_zone not in set(keys)):
            continue  # an ore zone, or zones the source's crs is none of
        if not zones and not keys.str.startswith(_CRS_KEYS).all():
            continue  # not every cell is a CRS (a Dutch 'Datum' is a date)
        counts = Counter(keys)
        lines = frame.attrs.get("lines")
        finite = np.isfinite(xs) & np.isfinite(ys)
        bounds = (xs[finite].min(), ys[finite].min(), xs[finite].max(), ys[finite].max()) \
            if finite.any() else None
        if len(counts) > 1 and not zones and bounds is not None and all(
                ground_shift(keys.iloc[0], other, bounds) is None for other in counts):
            continue  # one place in each (ETRS89 and WGS 84 rows)
        if len(counts) > 1:
            shown = ", ".join(f"{cells[keys == k].iloc[0]!r} on {n} row(s)"
                              for k, n in counts.most_common(4))
            second = keys != keys.iloc[0]
            first_other = int(np.flatnonzero(second.to_numpy())[0])
            at = int(lines[keys.index[first_other]]) if lines is not None \
                and keys.index[first_other] < len(lines) else keys.index[first_other] + 2
            raise DataError(
                f"{path}: column {column!r} states {len(counts)} coordinate systems ({shown}"
                f"{', ...' if len(counts) > 4 else ''}; the first change at line {at}), but "
                f"every row's coordinates are read in the one crs of the points source "
                f"({crs!r}), so the rows of the others would be misplaced: split the table "
                "into one source per coordinate system (each with its 'crs:'), or convert "
                "the coordinates to one")
        key = next(iter(counts))
        if zones and given_zone is not None and key != given_zone:
            apart = abs(int(key.rstrip("S")) - int(given_zone.rstrip("S"))) * 6
            raise DataError(
                f"{path}: column {column!r} says the coordinates are in UTM zone "
                f"{cells.iloc[0]!r}, but the points source reads them in {crs!r} (UTM zone "
                f"{given_zone}), which places them "
                + (f"{apart}° of longitude off" if apart else "in the other hemisphere")
                + "; set 'crs:' in the points source to the EPSG code of the column's zone "
                "(e.g. EPSG:326NN north of the equator, EPSG:327NN south, in WGS 84) if the "
                "column is right")
        if zones:
            continue  # a zone alone does not say the datum: nothing to compare
        try:
            stated, given = parse_crs(key), parse_crs(crs)
        except CRSError:
            continue
        moved = ground_shift(stated, given, bounds) if bounds is not None else None
        if moved is None:
            continue  # within a metre here (ETRS89 and WGS 84; one CRS spelt two ways)
        off = "" if not np.isfinite(moved[0]) else f", {moved[0]:.4g} m apart here"
        raise DataError(
            f"{path}: column {column!r} says the coordinates are in {cells.iloc[0]!r} "
            f"({stated.name}), but the points source reads them in {crs!r} ({given.name}"
            f"{off}); "
            f"set 'crs: \"{key if key.startswith('EPSG:') else cells.iloc[0]}\"' in the "
            "points source if the column is right")


def _refuse_degrees_as_metres(xs: np.ndarray, ys: np.ndarray, crs: Any, path: Path,
                              x: str, y: str, *, stated: bool = False) -> None:
    """Refuse longitudes and latitudes read as metres of a projected ``crs``: every point
    within +-180 by +-90 of the CRS's origin, none inside the CRS's area of use, while as
    longitude/latitude they would lie in it. A table of lon/lat given ``crs: EPSG:28992``
    (the region's CRS, copied onto the source) was read as a patch 180 m wide in France,
    without a word from the reader; so was a vector file whose own CRS (``stated``: a
    GeoJSON's ``crs`` member left from an earlier export, a ``.prj`` copied from another
    file) is metres over degrees, placed there by the labels without a word."""
    finite = np.isfinite(xs) & np.isfinite(ys)
    if not finite.any():
        return
    try:
        target = parse_crs(crs)
    except CRSError:
        return
    area = target.area_of_use
    if target.is_geographic or area is None:
        return
    px, py = xs[finite], ys[finite]
    if not ((np.abs(px) <= 180) & (np.abs(py) <= 90)).all():
        return
    west, south, east, north = area.bounds

    def inside(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        lon = np.where(lon > 180, lon - 360, lon)
        across = west > east  # an area across the antimeridian
        in_lon = ((lon >= west) | (lon <= east)) if across else (lon >= west) & (lon <= east)
        return np.asarray(in_lon & (lat >= south) & (lat <= north))

    with np.errstate(all="ignore"):
        lon, lat = Transformer.from_crs(target, "EPSG:4326", always_xy=True).transform(px, py)
    if inside(np.asarray(lon, "f8"), np.asarray(lat, "f8")).any():
        return
    as_lonlat, as_latlon = int(inside(px, py).sum()), int(inside(py, px).sum())
    if max(as_lonlat, as_latlon) < 0.5 * px.size:
        return
    swapped = as_latlon > as_lonlat
    read_as = "latitude/longitude" if swapped else "longitude/latitude"
    named = f"the coordinates {x}/{y}" if x else "the features' coordinates"
    said = f"the file's own CRS, {target.name}" if stated else f"{crs!r} ({target.name})"
    raise DataError(
        f"{path}: {named} (e.g. {px[0]:g}, {py[0]:g}) are read as metres of "
        f"{said}, which puts every point within 180 m of its origin and "
        f"outside the area it is made for; as {read_as} "
        f"{max(as_lonlat, as_latlon)} of {px.size} would lie in that area: set 'crs: "
        "\"EPSG:4326\"' in the points source (the coordinates' own CRS, not the region's)"
        + (", which replaces the file's, or write the file with its real CRS (ogr2ogr "
           "-a_srs EPSG:4326)" if stated else "")
        + ((f" and x: {y!r}, y: {x!r}" if x else
            "; " + swapped_axes_fix(path, crs="EPSG:4326")) if swapped else ""))


LOCAL_GRIDS: tuple[str, ...] = (
    "EPSG:3405", "EPSG:3406", *(f"EPSG:{code}" for code in range(5896, 5900)),
    *(f"EPSG:{code}" for code in range(9205, 9219)),
)
"""Projected CRSs a partner's survey writes its tables in, offered by :func:`crs_meant`
where their area of use meets the region: VN-2000 / UTM 48N and 49N and VN-2000's
TM-3 zones (the national 481, 482, 491 and the provincial ones, each of a province's
central meridian: ``TM-3 106-30`` for Thái Nguyên, ``103-00`` for Lai Châu; k 0.9999).
A table of provincial TM-3 metres read in the UTM zone's CRS lies tens of kilometres
west or east of its places (the central meridians differ by up to 3 degrees)."""


def _crs_candidates(grid: Any) -> list[Any]:
    """The projected CRSs a survey's table near ``grid`` is likely written in: the
    region's own, WGS 84 / UTM of the region's zone and the zones beside it (its
    hemisphere), the national grids the vector reader offers (RD New, TM35FIN, ...),
    ETRS89-LAEA (EPSG:3035, European statistics), the partners' grids
    (:data:`LOCAL_GRIDS`: VN-2000's TM-3 zones) and Web Mercator."""
    from pyproj import CRS

    from prospect.io.vector import NATIONAL_GRIDS  # (the vector reader's list: one list)

    west, south, east, north = grid.lonlat_bounds()
    zone = int(np.floor(((west + east) / 2 + 180) / 6)) % 60 + 1
    base = 32600 if (south + north) / 2 >= 0 else 32700
    codes = [f"EPSG:{base + (zone + step - 1) % 60 + 1}" for step in (0, -1, 1)]
    out = [grid.crs_obj, *(CRS.from_user_input(code) for code in (*codes, "EPSG:3857"))]
    for code in (*NATIONAL_GRIDS, "EPSG:3035", *LOCAL_GRIDS):  # those made for its area
        crs = CRS.from_user_input(code)
        area = crs.area_of_use
        if area is not None and area.west < east and west < area.east and \
                area.south < north and south < area.north and \
                not any(crs.equals(other) for other in out):
            out.append(crs)
    return out


def crs_meant(xs: np.ndarray, ys: np.ndarray, crs: Any, grid: Any) -> str:
    """``'; read in EPSG:28992 (Amersfoort / RD New), 10 of 10 would lie in region 'nl':
    set 'crs: "EPSG:28992"' if that is their CRS'`` where coordinates ``xs``, ``ys``
    (as the file gives them, in its stated ``crs``) lie outside the region but most would
    lie in it read in another projected CRS (:func:`_crs_candidates`); ``''`` otherwise. A
    table of RD New metres under 'crs: EPSG:32631' (or UTM metres under RD New) was "0
    positive cell(s) ... check the crs" alone, no word of the CRS that fits. Degrees that
    lie in it with a sign turned (:func:`_sign_meant`) and metres written in another
    length (:func:`_scale_meant`, kilometres) are named likewise."""
    from pyproj import CRS

    finite = np.isfinite(xs) & np.isfinite(ys)
    px, py = np.asarray(xs, "f8")[finite], np.asarray(ys, "f8")[finite]
    stated = CRS.from_user_input(crs)
    if px.size and stated.is_geographic:  # (degrees read as metres: metres_hint)
        return _sign_meant(px, py, stated, grid)
    if not px.size:
        return ""
    fits: list[tuple[int, Any, np.ndarray]] = []
    for candidate in _crs_candidates(grid):
        if candidate.equals(stated):
            continue
        with np.errstate(all="ignore"):
            gx, gy = xy_transformer(candidate.to_wkt(),
                                    grid.crs_obj.to_wkt()).transform(px, py)
            gx, gy = np.asarray(gx, "f8"), np.asarray(gy, "f8")
            ok = np.isfinite(gx) & np.isfinite(gy)
            rows, cols = grid.rowcol(gx[ok], gy[ok], closed=True)
        fits.append((int(grid.contains(rows, cols).sum()), candidate, gx + 1j * gy))
    inside, candidate, at = max(fits, key=lambda f: f[0], default=(0, None, None))
    if candidate is None or inside < 0.5 * px.size:
        return _scale_meant(px, py, stated, grid)
    code = candidate.to_string()
    # others that fit as well, placing the points elsewhere (another central meridian,
    # not another datum's metres): which is meant, the table's source tells
    others = [c for n, c, where in fits if n == inside and c is not candidate
              and np.nanmax(np.abs(where - at), initial=0.0) > _OTHER_PLACE]  # (metres apart)
    if others:
        named = " or ".join(f"{c.to_string()} ({c.name})" for c in [candidate, *others][:4])
        return (f"; read in {named}, {inside} of {px.size} would lie in region "
                f"{grid.name!r}: set 'crs:' in the points source to the one that is their "
                "CRS (for a provincial grid, the one of the province's central meridian)")
    return (f"; read in {code} ({candidate.name}), {inside} of {px.size} would lie in region "
            f"{grid.name!r}: set 'crs: \"{code}\"' in the points source if that is their CRS")


_OTHER_PLACE = 1000.0
"""How far (metres, in the region's CRS) two CRSs that each put a table in the region
must place a point apart to be told as two readings (another central meridian), not
one reading in two datums (VN-2000 and WGS 84 / UTM 48N, 223 m apart)."""


def _sign_meant(px: np.ndarray, py: np.ndarray, stated: Any, grid: Any) -> str:
    """``'; with the sign of their longitude turned, 10 of 10 would lie in region ...'``
    where most of the finite longitudes and latitudes ``px``, ``py`` lie in the region
    with the sign of one (or both) turned (:func:`turned_into_region`); ``''`` otherwise.
    A Nevada table written without its minus signs, for a region in degrees (whose CRS is
    the world's, so the point reader's check of the CRS's area says nothing), was counted
    outside the region, the labels and surfaces saying "check the crs" alone."""
    turned, what = turned_into_region(px, py, stated, grid)
    if turned.sum() < 0.5 * px.size:
        return ""
    first = int(np.flatnonzero(turned)[0])
    x = (float(px[first]) + 180.0) % 360.0 - 180.0  # (as written: a surface's are wrapped)
    return (f"; with the sign of their {what} turned, {int(turned.sum())} of {px.size} would "
            f"lie in region {grid.name!r} (e.g. x={x:.10g}, y={py[first]:.10g}): west "
            "longitudes and south latitudes are negative: write them with their minus "
            "sign (where the table gives the hemisphere, W or S, in a column or letter of "
            "its own, apply it)")


COORDINATE_SCALES: tuple[tuple[float, str], ...] = (
    (1000.0, "kilometres"), (0.01, "centimetres"), (0.001, "millimetres"))
"""Factors to metres of coordinates a table may give in another length than its CRS's
metres (RD New's 141.2, 451.0 in km), and the length's name."""


def _scale_meant(px: np.ndarray, py: np.ndarray, stated: Any, grid: Any) -> str:
    """``'; read as kilometres (x 141.2 as 141200 m), 8 of 8 would lie in region ...'``
    where the finite coordinates ``px``, ``py`` of a CRS in metres lie in the region at
    a :data:`COORDINATE_SCALES` factor, most of them; ``''`` otherwise. A table of RD New
    in kilometres (``X (km)``) was counted outside the region, and the labels and
    surfaces said "check the crs" alone, though the CRS was right."""
    axes = stated.axis_info
    if not axes or (axes[0].unit_name or "").casefold() not in {"metre", "meter"}:
        return ""
    for factor, length in COORDINATE_SCALES:
        with np.errstate(all="ignore"):
            gx, gy = xy_transformer(stated.to_wkt(), grid.crs_obj.to_wkt()).transform(
                px * factor, py * factor)
            gx, gy = np.asarray(gx, "f8"), np.asarray(gy, "f8")
            ok = np.isfinite(gx) & np.isfinite(gy)
            rows, cols = grid.rowcol(gx[ok], gy[ok], closed=True)
        inside = int(grid.contains(rows, cols).sum())
        if inside >= 0.5 * px.size:
            return (f"; read as {length} (x {px[0]:.10g} as {px[0] * factor:.10g} m), "
                    f"{inside} of {px.size} would lie in region {grid.name!r}: give the "
                    f"coordinates in metres, as {stated.name} has them (x and y times "
                    f"{factor:g})")
    return ""


def swapped_into_region(xs: np.ndarray, ys: np.ndarray, crs: Any, grid: Any) -> np.ndarray:
    """Which of the places ``xs``, ``ys`` (as the file gives them, in its stated ``crs``)
    would lie in the region ``grid`` with their x and y swapped: a row whose easting and
    northing (or longitude and latitude) were typed the other way round, among rows that
    are not. Such a row lay outside the region and was left out without a word (the whole
    table swapped is :func:`refuse_swapped_axes`'s).

    Parameters
    ----------
    xs, ys
        Coordinates as the file gives them.
    crs
        Their CRS.
    grid
        The region (a :class:`~prospect.grid.RegionGrid`).

    Returns
    -------
    numpy.ndarray
        One boolean per place.
    """
    from pyproj import CRS

    from prospect.grid import xy_transformer

    sx, sy = np.asarray(ys, "f8"), np.asarray(xs, "f8")  # (swapped)
    stated = CRS.from_user_input(crs)
    out = valid_in_crs(sx, sy, stated)
    if not out.any():
        return out
    back = xy_transformer(stated.to_wkt(), grid.crs_obj.to_wkt())
    out[out] = _lands_in(back, sx[out], sy[out], grid)
    return out


def _lands_in(back: Any, xs: np.ndarray, ys: np.ndarray, grid: Any) -> np.ndarray:
    """Which of the places ``xs``, ``ys`` fall in a cell of ``grid`` once ``back`` (a
    transformer to its CRS) has moved them (a longitude by whole turns about the region)."""
    with np.errstate(all="ignore"):
        gx, gy = back.transform(xs, ys)
        gx, gy = grid.longitudes_about(np.asarray(gx, "f8")), np.asarray(gy, "f8")
        ok = np.isfinite(gx) & np.isfinite(gy)
        rows, cols = grid.rowcol(np.where(ok, gx, 0.0), np.where(ok, gy, 0.0), closed=True)
    return np.asarray(ok & grid.contains(rows, cols), dtype=bool)


TURNED_SIGNS: tuple[tuple[float, float, str, str], ...] = (
    (-1.0, 1.0, "longitude", "x (easting)"),
    (1.0, -1.0, "latitude", "y (northing)"),
    (-1.0, -1.0, "both coordinates", "both coordinates"))
"""The signs a row may have lost: ``(x factor, y factor, what in degrees, what else)``."""


def turned_into_region(xs: np.ndarray, ys: np.ndarray, crs: Any, grid: Any
                       ) -> tuple[np.ndarray, str]:
    """Which of the places ``xs``, ``ys`` (as the file gives them, in its stated ``crs``)
    would lie in the region ``grid`` with the sign of their x (longitude), y (latitude) or
    both turned, and which sign (``'longitude'``, ``'latitude or both coordinates'``...).
    A row whose hemisphere letter or minus sign was dropped (Nevada's 118.3 W written
    118.3: a place in China) lies half a world away from the region.

    Parameters
    ----------
    xs, ys
        Coordinates as the file gives them.
    crs
        Their CRS.
    grid
        The region (a :class:`~prospect.grid.RegionGrid`).

    Returns
    -------
    tuple of numpy.ndarray and str
        One boolean per place, and the coordinates whose sign would be turned.
    """
    from pyproj import CRS

    from prospect.grid import xy_transformer

    stated = CRS.from_user_input(crs)
    xs, ys = np.asarray(xs, "f8"), np.asarray(ys, "f8")
    out = np.zeros(xs.size, dtype=bool)
    said: list[str] = []
    back = xy_transformer(stated.to_wkt(), grid.crs_obj.to_wkt())
    for fx, fy, degrees, other in TURNED_SIGNS:
        tx, ty = fx * xs, fy * ys
        valid = valid_in_crs(tx, ty, stated) & ~out
        if not valid.any():
            continue
        hit = np.zeros(xs.size, dtype=bool)
        hit[valid] = _lands_in(back, tx[valid], ty[valid], grid)
        if hit.any():
            out |= hit
            said.append(degrees if stated.is_geographic else other)
    return out, " or ".join(said)


def warn_swapped_rows(xs: np.ndarray, ys: np.ndarray, crs: Any, gx: np.ndarray,
                      gy: np.ndarray, grid: Any, path: Path | str, numbers: np.ndarray,
                      what: str, *, weighed: np.ndarray | None = None,
                      kept: str = "read where they are given", signs: bool = False,
                      far: bool = False) -> None:
    """Warn of records outside the region that would lie in it with their x and y swapped
    (:func:`swapped_into_region`), among a table most of whose records lie in it: rows
    typed northing first (or latitude first) among rows that are not. Each was counted
    outside the region without a word: an occurrence lost from the labels, a well's
    value from the surfaces. Only records farther from the region than its own size are
    weighed (one just beside a region whose longitudes and latitudes overlap may be meant
    there), and only in a table most of whose records lie in the region (a world-wide
    table's sites in the Indian Ocean swap into a Dutch region).

    Parameters
    ----------
    xs, ys
        The records' places as the file gives them, in their stated ``crs``.
    crs
        That CRS.
    gx, gy
        The same places in the region's CRS (longitudes about the region).
    grid
        The region (a :class:`~prospect.grid.RegionGrid`).
    path, numbers, what
        The file, each record's line (or feature) number, and ``'line'`` or ``'feature'``.
    weighed
        Which records to weigh (points, not polygons); all by default.
    kept
        What is done with them, for the warning.
    signs
        Also warn of records that would lie in the region with the sign of a coordinate
        turned (:func:`turned_into_region`: a minus sign or hemisphere letter lost on a
        row), among the same far records (the labels: each was left out without a word;
        a surface's table says them as it drops them).
    far
        Also warn of the few records that lie farther than :data:`FAR_REGIONS` region
        sizes from it and neither swap nor turn into it (:func:`warn_far_records`: a
        coordinate typo, another CRS), which were counted outside it without a word.
    """
    gx, gy = np.asarray(gx, "f8"), np.asarray(gy, "f8")
    rows, cols = grid.rowcol(np.nan_to_num(gx), np.nan_to_num(gy), closed=True)
    inside = grid.contains(rows, cols) & np.isfinite(gx) & np.isfinite(gy)
    left, bottom, right, top = grid.bounds
    with np.errstate(invalid="ignore"):
        off = np.fmax(np.fmax(left - gx, gx - right), np.fmax(bottom - gy, gy - top))
    outside = ~inside & (off > max(right - left, top - bottom))
    if weighed is not None:
        outside &= weighed
    if not outside.any() or inside.sum() < 0.5 * gx.size:
        return
    swapped = np.zeros(gx.size, dtype=bool)
    swapped[outside] = swapped_into_region(np.asarray(xs, "f8")[outside],
                                           np.asarray(ys, "f8")[outside], crs, grid)
    turned = np.zeros(gx.size, dtype=bool)
    if signs and (outside & ~swapped).any():
        rest = outside & ~swapped
        turned[rest], what_sign = turned_into_region(np.asarray(xs, "f8")[rest],
                                                     np.asarray(ys, "f8")[rest], crs, grid)
        if turned.any():
            at = np.flatnonzero(turned)
            one = int(at[0])
            listed = ", ".join(str(int(numbers[i])) for i in at[:5]) + (
                ", ..." if at.size > 5 else "")
            warnings.warn(DataWarning(
                f"{path}: {at.size} record(s) lie outside region {grid.name!r} but would lie "
                f"in it with the sign of their {what_sign} turned ({what}"
                f"{'s' if at.size > 1 else ''} {listed}; e.g. x={xs[one]:.10g}, "
                f"y={ys[one]:.10g}): a minus sign or hemisphere letter lost on those rows? "
                f"They are {kept}, outside the region; west longitudes and south latitudes "
                "are negative: correct their coordinates in the table"), stacklevel=3)
    if far:
        warn_far_records(xs, ys, off, outside & ~swapped & ~turned, grid, path, numbers,
                         what, kept=kept,
                         among=int(weighed.sum()) if weighed is not None else gx.size)
    if not swapped.any():
        return
    hit = np.flatnonzero(swapped)
    first = int(hit[0])
    shown = ", ".join(str(int(numbers[i])) for i in hit[:5]) + (", ..." if hit.size > 5 else "")
    warnings.warn(DataWarning(
        f"{path}: {hit.size} record(s) lie outside region {grid.name!r} but would lie in it "
        f"with x and y swapped ({what}{'s' if hit.size > 1 else ''} {shown}; e.g. "
        f"x={xs[first]:.10g}, y={ys[first]:.10g}): typed the other way round on those rows? "
        f"They are {kept}, outside the region; correct their coordinates in the table"),
        stacklevel=3)


FAR_REGIONS = 3.0
"""A record of a table most of whose records lie in the region is far outside it beyond
this many of the region's longer side (:func:`warn_far_records`)."""

FEW_FAR = 0.05
"""The share of a table's records (at least one) that may lie far outside the region and
be said as slips (:func:`warn_far_records`); more are a table's own extent."""


def warn_far_records(xs: np.ndarray, ys: np.ndarray, off: np.ndarray, candidates: np.ndarray,
                     grid: Any, path: Path | str, numbers: np.ndarray, what: str, *,
                     kept: str, among: int) -> np.ndarray:
    """Warn of the few records (``candidates``, at most :data:`FEW_FAR` of ``among``
    records, at least one) that lie farther than :data:`FAR_REGIONS` of the region's
    longer side outside it (``off``, their distance from its bounds in its CRS), in a
    table the caller found mostly in the region, and return which they are. One well
    typed 61.0 N for 52.0 N lies 1 000 km off a Dutch region: it was counted outside the
    region without a word (an occurrence lost from the labels, a well from the surfaces),
    where a coordinate typo, a lost digit or sign, or a row in another CRS is the likely
    cause.

    Parameters
    ----------
    xs, ys
        The records' places as the file gives them.
    off
        Each record's distance outside the region's bounds, in the region's CRS units.
    candidates
        The records that may be said (outside, and said by no other warning).
    grid
        The region (a :class:`~prospect.grid.RegionGrid`).
    path, numbers, what
        The file, each record's line (or feature) number, and ``'line'`` or ``'feature'``.
    kept
        What is done with them, for the warning.
    among
        How many records the table holds (for the share).
    """
    left, bottom, right, top = grid.bounds
    with np.errstate(invalid="ignore"):
        hit = np.asarray(candidates, bool) & (
            np.asarray(off, "f8") > FAR_REGIONS * max(right - left, top - bottom))
    if not hit.any() or hit.sum() > max(1, FEW_FAR * among):
        return np.zeros(hit.size, bool)
    at = np.flatnonzero(hit)
    one = int(at[0])
    distances = np.asarray(off, "f8")[at]
    geographic = bool(getattr(grid.crs_obj, "is_geographic", False))
    far = (f"{float(distances.min()):.3g}" + (
        f" to {float(distances.max()):.3g}" if at.size > 1 else "") + " degrees") \
        if geographic else (f"{float(distances.min()) / 1000:,.0f}" + (
            f" to {float(distances.max()) / 1000:,.0f}" if at.size > 1 else "") + " km")
    listed = ", ".join(str(int(numbers[i])) for i in at[:5]) + (", ..." if at.size > 5 else "")
    warnings.warn(DataWarning(
        f"{path}: {at.size} record(s) lie far outside region {grid.name!r}, where the rest "
        f"of the table lies ({far} from it; {what}{'s' if at.size > 1 else ''} {listed}; "
        f"e.g. x={xs[one]:.10g}, y={ys[one]:.10g}): a coordinate typo, a digit or sign "
        f"lost, or a row in another CRS than the table's? They are {kept}, outside the "
        "region; correct their coordinates in the table, or delete the rows"),
        stacklevel=3)
    return hit


def region_lonlat(grid: Any) -> tuple[float, float, float, float] | None:
    """The west, south, east and north of ``grid`` (a :class:`~prospect.grid.RegionGrid`)
    in longitude/latitude, or ``None`` where it has none (no grid, or bounds PROJ cannot
    carry to WGS 84)."""
    bounds = getattr(grid, "bounds", None)
    crs = getattr(grid, "crs_obj", None)
    if bounds is None or crs is None:
        return None
    with contextlib.suppress(Exception):
        if crs.is_geographic:
            w, s, e, n = (float(b) for b in bounds)
        else:
            w, s, e, n = (float(b) for b in Transformer.from_crs(
                crs, "EPSG:4326", always_xy=True).transform_bounds(*bounds))
        if np.all(np.isfinite([w, s, e, n])) and w < e and s < n:
            return w, s, e, n
    return None


@functools.lru_cache(maxsize=16)
def _projected_crs_over(west: float, south: float, east: float, north: float
                        ) -> tuple[tuple[int, str, float], ...]:
    """EPSG's projected CRSs (not deprecated) whose area of use holds the box, with the
    size of that area in square degrees (national grids are the smallest)."""
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_crs_info
    from pyproj.enums import PJType

    found: dict[int, tuple[int, str, float]] = {}
    for info in query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS,
                               area_of_interest=AreaOfInterest(west, south, east, north),
                               contains=True, allow_deprecated=False):
        with contextlib.suppress(ValueError):
            code = int(info.code)
            area = info.area_of_use
            size = ((area.east - area.west) % 360 or 360) * (area.north - area.south) \
                if area is not None else 1e9
            if code not in found or size < found[code][2]:
                found[code] = (code, info.name, size)
    return tuple(found.values())


def crs_where_they_fall(xs: np.ndarray, ys: np.ndarray,
                        near: tuple[float, float, float, float]) -> list[tuple[int, str]]:
    """The projected CRSs in which most of the metres ``xs``, ``ys`` fall on the region
    ``near`` (west, south, east, north in degrees, with a margin of half its size and
    0.1 degree), the smallest area of use first, at most three: RD New for x 155 000,
    y 463 000 and a Dutch region; VN-2000 / UTM 48N and its kin for Hanoi's.

    A table of metres under ``lon``/``lat`` for a region in degrees was told to set "the
    EPSG code of their UTM zone or national grid" alone (round 43); the CRS that places
    them on the region is the one the user has to find (round 44)."""
    from pyproj import CRS

    west, south, east, north = near
    if not (np.isfinite(near).all() and west < east and south < north):
        return []
    finite = np.isfinite(xs) & np.isfinite(ys)
    px, py = np.asarray(xs, "f8")[finite], np.asarray(ys, "f8")[finite]
    if px.size > 200:  # (a sample of them says where they fall)
        pick = np.linspace(0, px.size - 1, 200).astype(int)
        px, py = px[pick], py[pick]
    if not px.size:
        return []
    mx, my = (east - west) / 2 + 0.1, (north - south) / 2 + 0.1
    hits: list[tuple[float, float, int, str]] = []  # (-share exactly on it, area, code, name)
    for code, name, size in _projected_crs_over(round(west, 4), round(south, 4),
                                                round(east, 4), round(north, 4)):
        with contextlib.suppress(Exception), np.errstate(all="ignore"):
            crs = CRS.from_epsg(code)
            lon, lat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True
                                            ).transform(px, py)
            lon, lat = np.asarray(lon, "f8"), np.asarray(lat, "f8")
            inside = ((lon >= west - mx) & (lon <= east + mx) & (lat >= south - my)
                      & (lat <= north + my))
            if inside.mean() >= 0.5:
                exact = ((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
                hits.append((-float(exact.mean()), size, code, name))
    # one projection on several datums (UTM zone 11N on WGS 84, NAD83, its HARN, NAD27:
    # metres a few hundred apart) is one answer: WGS 84's where it is among them
    groups: dict[str, list[tuple[float, float, int, str]]] = {}
    for hit in sorted(hits):
        groups.setdefault(hit[3].split(" / ", 1)[-1].casefold(), []).append(hit)
    chosen = []
    for group in groups.values():
        best = next((h for h in group if h[3].startswith("WGS 84 /")), group[0])
        others = [f"EPSG:{h[2]}" for h in group if h is not best][:2]
        name = best[3] + (f"; on another datum {', '.join(others)}" if others else "")
        chosen.append((group[0][0], group[0][1], best[2], name))
    return [(code, name) for _, _, code, name in sorted(chosen)[:3]]


def metres_hint(xs: np.ndarray, ys: np.ndarray, crs: Any, target: Any,
                near: tuple[float, float, float, float] | None = None) -> str:
    """Why coordinates read as degrees are no place: they are metres of a projected CRS
    (x up to 151 000), with the CRS to set when they lie in the area the target CRS is
    made for read in it (the region's own, RD New), else the CRSs that place them on the
    region ``near`` (its west, south, east and north in degrees:
    :func:`crs_where_they_fall`); ``""`` otherwise. A table of RD New coordinates read in
    the default WGS 84 was "no row's coordinates are valid" alone."""
    if not getattr(crs, "is_geographic", False):
        return ""
    finite = np.isfinite(xs) & np.isfinite(ys)
    px, py = xs[finite], ys[finite]
    if not px.size or not ((np.abs(px) > 360) | (np.abs(py) > 90)).mean() > 0.5:
        return ""
    said = (f"; they look like metres of a projected CRS (x {px.min():.10g} to "
            f"{px.max():.10g}, y {py.min():.10g} to {py.max():.10g}), not degrees")
    area = getattr(target, "area_of_use", None)
    if not target.is_geographic and area is not None:
        with contextlib.suppress(Exception):
            inside = _in_area(*_lonlat(px, py, target), area)
            epsg = target.to_epsg()
            if inside.mean() >= 0.5 and epsg:
                return (f"{said}: read in EPSG:{epsg} ({target.name}), {int(inside.sum())} of "
                        f"{px.size} lie in the area it is made for; set 'crs: \"EPSG:{epsg}\"' "
                        "in the points source if that is their CRS")
            # metres under columns named 'lat' and 'lon' given as x and y, northing first
            # (the hint was "the EPSG code of their UTM zone or national grid" alone)
            swapped = _in_area(*_lonlat(py, px, target), area)
            if swapped.mean() >= 0.5 and epsg:
                return (f"{said}: read in EPSG:{epsg} ({target.name}) with x and y swapped, "
                        f"{int(swapped.sum())} of {px.size} lie in the area it is made for (the "
                        f"column given as x holds northings); set 'crs: \"EPSG:{epsg}\"' in "
                        "the points source and swap its 'x' and 'y' if that is their CRS")
    fits = crs_where_they_fall(px, py, near) if near is not None else []
    if fits:
        named = " or ".join(f"EPSG:{code} ({name})" for code, name in fits)
        first = fits[0][0]
        return (f"{said}: read in {named}, they lie on the region; set "
                f"'crs: \"EPSG:{first}\"' in the points source (or the code of the CRS "
                "they are in)")
    return (f"{said}: set 'crs:' in the points source to the CRS they are in (e.g. the "
            "EPSG code of their UTM zone or national grid)")


def _without_null_island(gdf: gpd.GeoDataFrame, path: Path, what: str) -> gpd.GeoDataFrame:
    """The table with its points at exactly 0, 0 taken for no place: their geometry is
    removed, with a data warning giving the count and where.

    A blank coordinate becomes 0 in many exports (a database's default, a spreadsheet's
    empty cell summed); 0, 0 in longitude/latitude is "Null Island", in the sea off
    Ghana, and in a projected CRS the false origin, far from any survey of it. Such rows
    took part in interpolation and labels as samples there. In a projected CRS the rows
    are kept when the table's other points lie within 10 km of the origin (a local grid
    of a site)."""
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    points = shapely.get_type_id(geoms) == 0
    if not points.any():
        return gdf
    xs = np.where(points, shapely.get_x(geoms), np.nan)
    ys = np.where(points, shapely.get_y(geoms), np.nan)
    origin = points & (xs == 0) & (ys == 0)
    if not origin.any() or origin.sum() == points.sum():
        return gdf
    if not getattr(gdf.crs, "is_geographic", True):
        others = points & ~origin & np.isfinite(xs) & np.isfinite(ys)
        if np.median(np.hypot(xs[others], ys[others])) < 10_000:
            return gdf
    at = np.flatnonzero(origin)
    lines = gdf.attrs.get("lines")
    text = lines is not None
    numbers = np.asarray(lines) if text else np.arange(len(gdf)) + 1
    kind = "line" if text else "feature"
    gdf = gdf.copy()
    gdf.loc[origin, gdf.geometry.name] = None
    gdf.attrs["no_place"] = [int(i) for i in at]
    warnings.warn(DataWarning(
        f"{path}: {len(at)} of {int(points.sum())} record(s) have {what} of exactly 0, 0 "
        f"({_listed(numbers, at, kind)}), the place a blank coordinate becomes in many "
        "exports" + (" ('Null Island', in the sea off Ghana)"
                     if getattr(gdf.crs, "is_geographic", False) else
                     " (the CRS's origin, far from the other points)")
        + ", and are dropped: give their coordinates, or leave them empty"), stacklevel=3)
    return gdf


TITLE_ROWS_MAX = 20
"""Rows below the first in which a header under a title is looked for."""


_GENERATED_NAME = re.compile(r"|Unnamed: \d+|[Ff]ield_?\d+")
"""The name pandas (``Unnamed: 1``) or GDAL (``Field2``, ``field_2``) gives an empty
header cell."""
_GDAL_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
"""A number cell as GDAL gives it in a text column of a sheet (``5.1``, ``1e-05``)."""


def _cell_text(value: Any) -> str:
    """A cell as text, ``""`` for an empty one."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _header_below(frame: pd.DataFrame, path: Path, x: str, y: str, what: str,
                  decimal: str | None) -> int | None:
    """The row of ``frame`` that is the table's header when its first row is not (a title
    above it: ``Wells of the 1991 survey``, as a sheet or a report's export writes one);
    ``None`` when no row of the first few holds both ``x`` and ``y``.

    The rows above are a title, skipped with a warning quoting them, when none of them
    holds a number in both the ``x`` and the ``y`` column (a row that does could be a
    record, and is not dropped: the table is refused naming the header's line). An
    ``.ods`` or ``.xls`` sheet read in a given ``decimal: ","`` is refused too: below a
    title GDAL gives its number cells as text, and ``5.125`` would read as 5125 (an
    ``.xlsx`` sheet's number cells are known from its XML: :func:`_xlsx_number_cells`).
    It was "no column(s) ['lon', 'lat']", or the header taken for a row of units; then a
    refusal ("delete the rows above the header")."""
    head = frame.head(TITLE_ROWS_MAX)
    names = [str(c).strip() for c in frame.columns]
    named = ["" if _GENERATED_NAME.fullmatch(n) else n for n in names]
    rows = [[_cell_text(v) for v in head.iloc[i].tolist()] for i in range(len(head))]
    for i, cells in enumerate(rows):
        if x not in cells or y not in cells:
            continue
        lines = frame.attrs.get("lines")
        line = int(lines[i]) if lines is not None else i + 2
        at = (cells.index(x), cells.index(y))
        # a row whose x and y cells both hold a number (a place) could be a record
        record = any(all(re.search(r"\d", row[k]) for k in at) for row in [named, *rows[:i]])
        if record or (what == "row" and decimal == "," and
                      not frame.attrs.get("number_cells")):  # (an .ods: its cells unknown)
            first = ", ".join(n for n in named if n)
            raise DataError(
                f"{path}: the header ({x!r}, {y!r}...) is {what} {line}, not the first "
                f"{what} ({first[:60]!r}: a title above the table?); delete the "
                f"{what}s above the header, so that it is the first")
        title = [" ".join(c for c in row if c) for row in [named, *rows[:i]]]
        _warn_title(path, [t for t in title if t], line, what)
        return i
    return None


def _reheaded(frame: pd.DataFrame, row: int) -> pd.DataFrame:
    """A sheet's ``frame`` whose header is its row ``row`` (the rows above it a title),
    its rows numbered as the sheet shows them; a column of number cells (GDAL gave them as
    text below the title's text) is numbers again."""
    header = [_cell_text(v) or f"Unnamed: {k}" for k, v in enumerate(frame.iloc[row].tolist())]
    out = frame.iloc[row + 1:].reset_index(drop=True)
    out.columns = header
    for name in dict.fromkeys(header):
        cells = out[name]
        if not isinstance(cells, pd.Series):
            continue  # a name twice: refused by the caller
        filled = cells.map(_cell_text)
        text = filled[filled != ""]
        if len(text) and text.str.fullmatch(_GDAL_NUMBER.pattern).all():
            out[name] = pd.to_numeric(filled.where(filled != ""), errors="coerce")
    out.attrs = {key: value for key, value in frame.attrs.items() if key != "lines"}
    out.attrs["lines"] = np.arange(len(out)) + row + 3  # the header is the sheet's row + 2
    out.attrs["repeated_columns"] = sorted(n for n, k in Counter(header).items() if k > 1)
    return out


def _refuse_header_reordered(frame: pd.DataFrame, path: Path, x: str, y: str,
                             numbers: np.ndarray, what: str) -> None:
    """Refuse a table holding a second header whose columns are in another order (two
    exports joined one after another, ``lat,lon,li`` under ``lon,lat,li``): the rows
    below it were read in the first header's order, their latitudes as longitudes,
    while only the header line itself was "a row without usable coordinates". A second
    header in the same order is warned of where its row is dropped."""
    names = [str(c).strip() for c in frame.columns]
    known = set(names)
    candidates = np.zeros(len(frame), bool)
    for column in (x, y):
        cells = frame[column]
        if cells.dtype == object or isinstance(cells.dtype, pd.StringDtype):
            candidates |= _text_cells(cells).str.strip().isin(known).to_numpy(bool)
    for i in np.flatnonzero(candidates):
        row = [str(v).strip() if v is not None and not (isinstance(v, float) and np.isnan(v))
               else "" for v in frame.iloc[int(i)].tolist()]
        filled = [c for c in row if c]
        if len(filled) < 2 or not set(filled) <= known or row[:len(filled)] == \
                names[:len(filled)]:
            continue
        below = int(len(frame) - i - 1)
        moved = [(a, b) for a, b in zip(row, names, strict=False) if a and a != b]
        shown = ", ".join(f"its {a!r} as {b!r}" for a, b in moved[:3])
        raise DataError(
            f"{path}: {what} {int(numbers[i])} repeats the header in another column order "
            f"({','.join(filled)!r} under {','.join(names)!r}: tables joined one after "
            f"another?): the {below} {what}(s) below it would be read in the first header's "
            f"order ({shown}); write every row in one column order, or split the table at "
            f"{what} {int(numbers[i])} and give each part as its own source")


def _warn_hidden_rows(frame: pd.DataFrame, path: Path, rows: np.ndarray) -> None:
    """Warn of a sheet's hidden rows among its records (rows a filter hid, or hidden by
    hand: a sheet filtered to its lithium wells and saved so): every reader reads them as
    any other row, while the sheet as seen does not show them."""
    hidden = np.intersect1d(np.asarray(frame.attrs.get("hidden_rows") or [], "i8"), rows)
    filled = [int(r) for r in hidden
              if any(_cell_text(v) for v in frame.iloc[int(np.flatnonzero(rows == r)[0])])]
    if not filled:
        return
    warnings.warn(DataWarning(
        f"{path}: {len(filled)} of {len(rows)} row(s) of the sheet are hidden (rows "
        f"{', '.join(map(str, filled[:8]))}{', ...' if len(filled) > 8 else ''}: a filter, "
        "or rows hidden by hand) and are read as every other row; if they are not meant, "
        "delete them from the sheet (hiding or filtering them is not enough)"),
        stacklevel=3)


def _sidecar_crs(path: Path, member: str | None = None) -> tuple[str, str] | None:
    """The CRS a ``.prj`` beside a text table states (as ArcGIS and hand-kept well
    tables keep it: ``wells.csv`` beside ``wells.prj``), as ``EPSG:<code>`` where PROJ
    names one, else its WKT, and the file's name; ``None`` without one, beside a
    Shapefile of the same name (whose ``.prj`` it is), or where the file is no CRS PROJ
    reads. With ``member``, ``path`` is a zip and the ``.prj`` is the member of
    ``member``'s name beside it in the archive (``wells.zip`` holding ``wells.csv`` and
    ``wells.prj``, as the two are zipped to be sent together); a compressed table's is
    the one of its table's name (``wells.csv.gz`` beside ``wells.prj``).

    Such a table of RD New metres was read in the default WGS 84 and refused as "no row's
    coordinates are valid in WGS 84", its CRS guessed from the numbers (two national grids
    over one area may both fit), though the file beside it says which."""
    if member is not None:
        return _zipped_prj_crs(path, member)
    if path.suffix.lower() in COMPRESSED:  # wells.csv.gz beside wells.prj
        path = path.with_suffix("")
    prj = _sidecar(path, ".prj")
    if prj is None or _sidecar(path, ".shp") is not None:
        return None
    refuse_unreadable(prj, "table's CRS file (.prj)", of=path)  # (was ignored: WGS 84)
    try:
        text = prj.read_text("utf-8", errors="replace")[:1 << 16]
    except OSError as exc:  # (a failing disk: was passed over, the metres read as degrees)
        raise InputFileError(system_read_failed(prj, exc, "table's CRS file (.prj)",
                                                of=path)) from None
    return _prj_crs(text, prj.name)


def _zipped_prj_crs(path: Path, member: str) -> tuple[str, str] | None:
    """The CRS the ``.prj`` member beside ``member`` in the zip ``path`` states
    (:func:`_sidecar_crs`); ``None`` without one or where it cannot be read."""
    import zipfile

    stem = str(Path(member).with_suffix("")).lower()
    names = _zip_names(path) or ()
    prj = next((n for n in names if n.lower() == stem + ".prj"), None)
    if prj is None or any(n.lower() == stem + ".shp" for n in names):
        return None
    try:
        with zipfile.ZipFile(path) as archive, archive.open(prj) as fh:
            text = fh.read(1 << 16).decode("utf-8", errors="replace")
    except (OSError, EOFError, ValueError, KeyError, RuntimeError, NotImplementedError,
            zipfile.BadZipFile):
        return None
    return _prj_crs(text, Path(prj).name)


def _prj_crs(text: str, name: str) -> tuple[str, str] | None:
    """``(crs, name)`` of the ``.prj`` file ``name`` of text ``text`` (:func:`_sidecar_crs`),
    ``None`` where PROJ reads no CRS in it."""
    try:
        found = CRS.from_user_input(text.strip())
    except (ProjCRSError, ValueError):
        return None
    code = found.to_epsg(min_confidence=70)
    return (f"EPSG:{code}" if code else found.to_wkt()), name


def _crs_beside(xs: np.ndarray, ys: np.ndarray, crs: str | None,
                beside: tuple[str, str] | None, path: Path, x: str, y: str,
                what: str | None = None) -> str | None:
    """The CRS to read a table's coordinates ``xs``/``ys`` in: the one its ``.prj``
    states (``beside``: :func:`_sidecar_crs`), else ``crs``. Where the ``.prj`` states
    metres over longitudes and latitudes (a CRS file of other data, copied beside it),
    the table is read in ``crs`` as it was, with a warning naming the file and the
    coordinates (``what``; by default the columns ``x``/``y``)."""
    if beside is None:
        return crs
    try:
        _refuse_degrees_as_metres(xs, ys, beside[0], path, x, y)
    except DataError:
        at = int(np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))[0])
        warnings.warn(DataWarning(
            f"{path}: {beside[1]} beside it states {parse_crs(beside[0]).name}, but the "
            f"{what or f'coordinates {x}/{y}'} (e.g. {xs[at]:g}, {ys[at]:g}) are longitudes and "
            f"latitudes, not its metres: read in {parse_crs(crs or 'EPSG:4326').name}, as "
            f"without it; remove {beside[1]} (a CRS file of other data?), or set 'crs:' in "
            "the points source"), stacklevel=4)
        return crs
    return beside[0]


def refuse_repeated_columns(frame: pd.DataFrame, path: Path | str, names: list[str]) -> None:
    """Refuse a table whose header gives one of ``names`` (the columns a reader reads) twice
    (``Li`` and ``Li`` after a spreadsheet's merge, which pandas reads as ``Li`` and
    ``Li.1``): the first was read as the column without a word, the other perhaps the one
    meant. The one check of the point reader and the labels' grade column.

    Raises
    ------
    DataError
        A name in ``names`` is given twice.
    """
    twice = [c for c in dict.fromkeys(names) if c in frame.attrs.get("repeated_columns", [])]
    if twice:
        raise DataError(
            f"{path}: column(s) {twice} appear more than once in the header; rename "
            "or remove the extra one so the column to read is clear")


def read_features(
    path: Path | str, *, x: str = "lon", y: str = "lat", crs: str | None = "EPSG:4326",
    layer: str | None = None, columns: list[str] | None = None, override_crs: bool = False,
    decimal: str | None = None,
) -> gpd.GeoDataFrame:
    """Every record of a point or polygon table, in its own CRS (the module's CRS rule).

    A CSV's records become points from its ``x``/``y`` columns (no geometry where a
    coordinate is missing); a vector file's keep their geometries. ``columns`` must exist.
    ``decimal`` is a text table's decimal separator (:func:`read_table`); the frame's
    ``attrs`` carry the table's notation for :func:`column_values`.

    Raises
    ------
    InputFileError
        Missing or unreadable file.
    DataError
        Empty table, missing columns, non-numeric coordinates.
    CRSError
        A vector file without a CRS and none configured.
    """
    path = as_path(path)  # a GdalPath keeps its name
    _refuse_remote_table(path)
    vsi = _vsi_table(str(path))
    columns = list(columns or [])
    if vsi is not None:
        refuse_unreadable(vsi[0], "archive")
    elif not str(path).startswith("/vsi"):  # (a mode or a folder that forbids reading)
        refuse_unreadable(path)
        if path.suffix.lower() == ".shp":  # (GDAL read one without its .dbf's columns)
            for part in (".shx", ".dbf", ".prj", ".cpg"):
                companion = _sidecar(path, part)
                if companion is not None:
                    refuse_unreadable(companion, f"Shapefile's {part}", of=path)
    if vsi is None and not str(path).startswith("/vsi") and not path.is_file() and \
            not is_parquet(path):  # (a partitioned GeoParquet dataset is a folder)
        raise InputFileError(f"{path}: {why_unreadable(path, 'point table')}")
    text = vsi is not None or is_text_table(path, layer)
    if not text and path.suffix.lower() not in SHEET_SUFFIXES and path.is_file():
        _refuse_raster(path)
    if not text and path.suffix.lower() not in SHEET_SUFFIXES:
        layer = _map_layer(path, layer)  # (a GeoPackage styled in QGIS: its one table)
    table = not text and path.suffix.lower() not in SHEET_SUFFIXES and \
        _attribute_table(path, layer)
    parquet = _parquet_name(path, layer) if table else None
    beside = _sidecar_crs(path) if text and vsi is None and not override_crs and \
        path.suffix.lower() != ".zip" else None
    if text or path.suffix.lower() in SHEET_SUFFIXES or table:
        member = _zipped_table(path, layer) if text and vsi is None and \
            path.suffix.lower() == ".zip" else None
        if not override_crs and (member is not None or (vsi is not None and vsi[1])):
            # a zip of the table and its .prj (as the two are zipped to be sent together)
            beside = _sidecar_crs(*vsi) if vsi is not None else _sidecar_crs(path, member)
        if vsi is not None:
            frame = read_table(vsi[0], decimal=decimal, member=vsi[1])
        elif text:
            frame = read_table(path, decimal=decimal, member=member)
        else:
            with system_faults_said(path):  # (a failing disk: not "corrupt?")
                frame = _parquet_table(parquet) if parquet is not None else \
                    _read_sheet(path, layer, x, y)  # (a Parquet table: no GeoParquet metadata)
            if table and parquet is None:  # (an attribute table's codes: as a layer's)
                frame = _domain_names(frame, path, layer)
        below = _header_below(frame, path, x, y, "line" if text else "row", decimal) \
            if x not in frame.columns or y not in frame.columns else None
        if below is not None and text:  # read again from the header's line
            lines = frame.attrs.get("lines")
            skip = int(lines[below]) - 1 if lines is not None else below + 1
            frame = read_table(vsi[0], decimal=decimal, member=vsi[1], skip=skip) \
                if vsi is not None else read_table(path, decimal=decimal, member=member,
                                                   skip=skip)
        elif below is not None:
            frame = _reheaded(frame, below)
        if not text:
            _refuse_merged_header(frame, path, 1 if below is None else below + 2,
                                  [x, y, *columns])
            _cells_notation(frame, decimal, path)
            _percent_units(frame)
            refuse_uncomputed(frame, path, [x, y, *columns])
            frame = _without_summary_rows(_without_units_row(frame, path, "row"), path,
                                          "row")
        missing = [c for c in (x, y, *columns) if c not in frame.columns]
        wkt = _wkt_column(frame) if x in missing and y in missing else None
        if wkt is not None:  # the geometries as text, as GDAL's CSV driver reads them
            missing = [c for c in missing if c not in (x, y)]
        refuse_repeated_columns(frame, path, [x, y, *columns])
        if missing:
            have = list(map(str, frame.columns))  # (a GeoPackage table's: its aliases)
            near = "".join(near_column(c, have).replace(" (did you mean", f" ({c!r}: did "
                                                        "you mean") or
                           (column_alias_hint(path, c, have, layer=layer) if table else "")
                           for c in missing)
            raise DataError(
                f"{path}: no column(s) {missing}; columns are {list(frame.columns)[:30]}"
                f"{near}; set x/y (coordinates), columns or flags in the points source with "
                "the headers exactly as the table writes them"
                + (_coordinates_meant(list(frame.columns), [c for c in (x, y) if c in missing])
                   or _geometry_text(frame, [c for c in (x, y) if c in missing]))
                + ("; it is a Parquet file without GeoParquet metadata (no 'geo' key, so no "
                   "geometries): name its coordinate columns with x:/y: (and crs:), or write "
                   "it as GeoParquet" + frame.attrs.get("wkb_hint", "")
                   if parquet is not None and {x, y} & set(missing) else "")
            )
        lines = frame.attrs.get("lines")
        rows = np.asarray(lines, "i8") if lines is not None else np.arange(len(frame)) + 2
        said = "line" if text else "row"
        _warn_hidden_rows(frame, path, rows)
        if wkt is not None:
            return _wkt_features(frame, path, wkt, crs, override_crs, rows, said, table,
                                 beside)
        _refuse_header_reordered(frame, path, x, y, rows, said)
        xs = _numeric(_degrees_text(frame[x], path, x, "x", rows, said, frame.attrs), path,
                      x, frame.attrs)
        ys = _numeric(_degrees_text(frame[y], path, y, "y", rows, said, frame.attrs), path,
                      y, frame.attrs)
        crs = _crs_beside(xs, ys, crs, beside, path, x, y)
        _refuse_crs_column(frame, path, crs or "EPSG:4326", xs, ys)
        _refuse_geometry_disagreeing(frame, path, x, y, xs, ys, "line" if text else "row")
        _refuse_degrees_as_metres(xs, ys, crs or "EPSG:4326", path, x, y)
        geometry = gpd.points_from_xy(xs, ys)
        geometry[~(np.isfinite(xs) & np.isfinite(ys))] = None
        gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs=parse_crs(crs or "EPSG:4326"))
        for key in ("lines", "decimal", "undecided", "units", "percent_mixed", "hyphen_dms",
                    "repeated_columns"):
            gdf.attrs[key] = frame.attrs.get(key)
        # the header again below the first (two exports joined one after another)
        again = (frame[x].astype(str).str.strip() == x) & \
            (frame[y].astype(str).str.strip() == y)
        gdf.attrs["header_again"] = [int(i) for i in np.flatnonzero(again.to_numpy())]
        gdf.attrs["table"] = "layer" if table else "file"  # rows of a table, not features
        return _without_null_island(gdf, path, f"coordinates {x}/{y}")
    # every field (the columns beside a value column that say how to read it, and the
    # whole record for telling repeated records), then the ones named must be there
    # a column of codes that a coded-value domain names (a GeoPackage's or geodatabase's
    # commodity or status codes) read as the names QGIS and ArcGIS show: the codes were
    # read, so every record of a lithium model's table was a positive without a word
    with system_faults_said(path):  # a failing disk's read was "corrupt?" (GDAL's words)
        try:
            gdf = read_vector(path, layer=layer, crs=crs if override_crs else None,
                              domains=True)
        except CRSError:  # the file carries no CRS: use the one the config names, if any
            if crs is None or not override_crs:  # never the CSV default (lon/lat) unasked
                raise
            gdf = read_vector(path, layer=layer, crs=crs, domains=True)
    coded = domains_message(path, layer, gdf.attrs.get("domains") or {})
    if coded:  # (codes its domain does not name: read as the codes)
        warnings.warn(DataWarning(coded), stacklevel=2)
    retyped = retyped_message(path, layer, gdf.attrs.get("retyped") or {})
    if retyped:  # a grade column of text that GDAL (and QGIS) read as 0
        warnings.warn(DataWarning(retyped), stacklevel=2)
    with system_faults_said(path):  # (a .dbf the disk failed: read without its columns)
        check_columns(gdf, columns, path, layer=layer)
    if len(gdf):  # (an empty point, 'POINT EMPTY', is a record without a place)
        gdf = gdf.set_geometry(gpd.GeoSeries(
            _without_empty(np.asarray(gdf.geometry.to_numpy(), dtype=object)),
            index=gdf.index, crs=gdf.crs, name=gdf.geometry.name))
    if len(gdf) and ((crs is not None and override_crs) or gdf.crs is not None):
        geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
        points = shapely.get_type_id(geoms) == 0
        if points.any():  # (a file's own metre CRS over degrees: a stale crs member)
            stated = crs is None or not override_crs
            _refuse_degrees_as_metres(shapely.get_x(geoms[points]),
                                      shapely.get_y(geoms[points]),
                                      gdf.crs if stated else crs, path, "", "",
                                      stated=stated)
    if decimal is not None:  # a text field of numbers ('0,5' in a .dbf) is read in it
        gdf.attrs["decimal"] = decimal
    absent = np.flatnonzero(~has_geometry(gdf.geometry)) if len(gdf) else np.empty(0, "i8")
    if absent.size:  # why GDAL gave them none, where it can be told (text coordinates)
        gdf.attrs["text_coordinates"] = text_coordinates(path, absent)
    gdf.attrs["overflow"] = dbf_overflows(path, layer)
    replaced = crs_replaced_message(path, layer=layer, crs=crs,
                                    bounds=gdf.total_bounds) if override_crs else ""
    if replaced:
        warnings.warn(DataWarning(replaced), stacklevel=2)
    return _without_null_island(gdf, path, "geometry")


def repeated_records(gdf: pd.DataFrame, ignore: tuple[str, ...] = ()) -> np.ndarray:
    """For each record, the position of the first earlier record it repeats exactly (the
    same geometry and the same value in every column but ``ignore``), or -1.

    Two records at one site with anything else different (a sample number, a depth, a
    date) are two records; a row pasted or exported twice is one. Rows are hashed column
    by column (vectorised) and only rows sharing a hash are compared value by value. The
    one rule of a repeated record: the point reader warns of them, the labels count them.
    """
    columns = [c for c in gdf.columns if c not in ignore]
    out = np.full(len(gdf), -1, "i8")
    if not len(gdf):
        return out
    geometry = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    key = pd.DataFrame({str(i): gdf[c].to_wkb() if c == geometry else gdf.iloc[:, i]
                        for i, c in enumerate(gdf.columns) if c in columns})
    hashed = pd.util.hash_pandas_object(key, index=False).to_numpy()
    candidates = np.flatnonzero(pd.Series(hashed).duplicated(keep=False).to_numpy())
    if not candidates.size:
        return out
    exact = key.iloc[candidates].map(repr)
    codes = exact.groupby(list(exact.columns), sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(candidates).groupby(codes).transform("min").to_numpy()
    out[candidates] = np.where(first < candidates, first, -1)
    return out


def _warn_repeated(gdf: gpd.GeoDataFrame, keep: np.ndarray, path: Path,
                   numbers: np.ndarray, what: str) -> None:
    """Warn of records that repeat an earlier one exactly (:func:`repeated_records`):
    each copy weighs its place again (IDW weighs the place twice, kriging fits it twice),
    and nothing said so."""
    rows = np.flatnonzero(keep)
    same = repeated_records(gdf.iloc[rows])
    copies = np.flatnonzero(same >= 0)
    if not copies.size:
        return
    shown = ", ".join(f"{int(numbers[rows[i]])} (= {int(numbers[rows[same[i]]])})"
                      for i in copies[:5]) + (", ..." if copies.size > 5 else "")
    warnings.warn(DataWarning(
        f"{path}: {copies.size} of {rows.size} record(s) repeat an earlier record exactly "
        f"(the same place and the same value in every column; {what}s {shown}): each copy "
        "weighs its place again in the surfaces; remove the copies (a row pasted or exported "
        "twice), or tell the records apart (a sample number, a depth)"), stacklevel=3)


_QC_COLUMNS = frozenset((
    "type", "sampletype", "samptype", "smptype", "stype", "sampleclass", "samplecategory",
    "samplekind", "qc", "qctype", "qccode", "qcflag", "qcstatus", "qaqc", "qaqctype",
    "qaqccode", "qaqcflag", "controltype", "checktype", "monstertype", "typemonster",
    "typeechantillon", "tipomuestra", "probentyp", "probenart",
))
"""Plain names (:func:`_plain`) of a column saying what each record of a geochemistry or
assay table is: a sample of the ground, or a laboratory's quality-control record
(``SampleType``, ``QC_Type``, ``QAQC``; Dutch ``monstertype``, French ``type
d'échantillon``, Spanish ``tipo de muestra``, German ``Probentyp``)."""

_QC_CELL = re.compile(
    r"\s*(?:(?:field|lab(?:oratory)?|pulp|coarse|crush(?:er)?|prep(?:aration)?|certified|"
    r"method|reagent|trip|equipment|rinsate)[\s_-]*)?"
    r"(?:dup(?:licate)?s?|rep(?:eat|licate)?|blank|blk|std|standard|crm|srm|"
    r"reference\s+(?:material|standard)|check(?:\s+sample)?|qa/?qc|qc)"
    r"(?:\b.*)?", re.IGNORECASE)
"""A cell naming a quality-control record (a certified standard ``STD``, ``CRM``,
``Standard OREAS 45e``; a ``BLANK``, ``BLK``, ``field blank``; a ``DUP``, ``field
duplicate``, ``pulp dup``, ``repeat``, ``replicate``; a ``check`` sample). A
sample's own word (``sample``, ``routine``, ``original``, ``primary``) is none."""


_QC_FLAG_COLUMNS = frozenset(("qc", "isqc", "qcflag", "qaqc", "isqaqc", "qaqcflag", "qcsample",
                              "control", "iscontrol"))
"""Plain names of a column saying by yes or no (``Y``/``N``, ``TRUE``/``FALSE``, 1/0)
whether each record is a laboratory's quality-control record."""

_QC_ID_TOKEN = re.compile(
    r"(?:std|crm|srm|blk|dup|fdup|pdup|cdup|oreas(?:\d+[a-z]?)?|gbm\d+[a-z0-9]*|amis\d{3,4})\d*",
    re.IGNORECASE)
"""A part of a sample ID (split at ``-``, ``_``, ``/``, ``.``, ``#`` and spaces) that only a
laboratory's quality-control record carries: ``STD``, ``CRM``, ``BLK``, ``DUP`` (``FDUP``,
``PDUP``), a certified standard's own name (``OREAS45e``, ``GBM908-10``, ``AMIS0341``).
Words a place may be named by (``Standard``, ``Blank``, ``Check``) are none."""

_QC_ID_BLANK = re.compile(r"\s*blank(?:[\s_#-]*\d+)?\s*", re.IGNORECASE)
_QC_ID_HINT = re.compile(r"std|crm|srm|blk|dup|oreas|gbm|amis|blank", re.IGNORECASE)
"""What every ID :func:`_qc_by_id` takes holds somewhere (each of :data:`_QC_ID_TOKEN`'s
words begins with one, ``fdup`` holding ``dup``; :data:`_QC_ID_BLANK` ``blank``): one search
tells most IDs of a 200 000-record table apart before the split into parts (0.4 s)."""
"""A sample ID that is a blank's alone (``BLANK``, ``Blank-2``, ``BLANK_01``)."""

_QC_ID_COLUMNS = frozenset((
    "id", "sample", "sampleid", "samplenumber", "samplenr", "sampleno", "samplecode",
    "samplename", "sampid", "smpid", "labid", "labno", "labnumber", "labcode", "site",
    "siteid", "sitecode", "sitename", "station", "stationid", "name", "code", "monster",
    "monsternummer", "monsterid", "monstercode"))
"""Plain names of a column naming each sample, whose IDs may be all that tells a
laboratory's quality-control record (``STD-OREAS45e``, ``W3-DUP``, ``BLK-01``) from a
sample where the table has no type column."""


def _qc_by_id(cell: Any) -> bool:
    """Whether a sample ID is unambiguously a quality-control record's
    (:data:`_QC_ID_TOKEN`, :data:`_QC_ID_BLANK`)."""
    if not isinstance(cell, str) or not cell.strip():
        return False
    if _QC_ID_BLANK.fullmatch(cell):
        return True
    return any(_QC_ID_TOKEN.fullmatch(t) for t in re.split(r"[\s_/.#-]+", cell.strip()) if t)


_QC_YES = frozenset(("y", "yes", "true", "1", "1.0", "x", "qc", "ja", "j", "oui", "si", "sí"))
_QC_NO = frozenset(("n", "no", "false", "0", "0.0", "nee", "non", "nein", "-"))


def quality_control_records(gdf: pd.DataFrame, path: Path, numbers: np.ndarray, what: str,
                            keep: np.ndarray | None = None, *, left_out: str = "the surfaces"
                            ) -> np.ndarray:
    """Which records a sample-type column says are quality-control records (left out,
    warned of once).

    A geochemistry or assay table as laboratories deliver it keeps its standards, blanks
    and duplicates beside the samples, told apart by a type column (``SampleType``:
    ``SAMPLE``, ``STD``, ``BLANK``, ``DUP``), each at the coordinates of the batch's sample
    or of none. Read as samples, a certified standard's 950 mg/L was kriged as a well's
    lithium and its grade labelled an occurrence, a blank's 0.1 a barren place, without a
    word. The one check of the point reader (:func:`read_points`) and the labels
    (:func:`prospect.models.labels.read_occurrences`).

    Parameters
    ----------
    gdf
        The records as read.
    path
        The table (for messages).
    numbers, what
        Each record's number as the file counts it, and what it counts (``line``).
    keep
        The records still read (those without coordinates are not said); all if ``None``.
    left_out
        What the records are left out of (for the message).

    Returns
    -------
    numpy.ndarray
        True for each record whose type cell names a quality-control record
        (:data:`_QC_CELL`).

    Raises
    ------
    DataError
        Every record (with coordinates) is a quality-control record.
    """
    out = np.zeros(len(gdf), bool)
    geometry = getattr(gdf, "_geometry_column_name", None)
    named = [c for c in gdf.columns if c != geometry and isinstance(c, str)]
    columns = [c for c in named if _plain(c) in _QC_COLUMNS
               and not pd.api.types.is_numeric_dtype(gdf[c].dtype)]
    flags = [c for c in named if _plain(c) in _QC_FLAG_COLUMNS]  # (a yes/no of QC)
    cells: dict[str, np.ndarray] = {}
    by_id = not (columns or flags)
    if by_id:  # (no type column: the IDs alone, where they say so unambiguously)
        for column in named:
            if _plain(column) in _QC_ID_COLUMNS \
                    and not pd.api.types.is_numeric_dtype(gdf[column].dtype):
                cells[column] = np.array([isinstance(c, str) and _QC_ID_HINT.search(c)
                                          is not None and _qc_by_id(c)
                                          for c in gdf[column].tolist()], bool)
    if not (columns or flags or cells) or not len(gdf):
        return out
    for column in columns:
        cells[column] = np.array([isinstance(c, str) and bool(_QC_CELL.fullmatch(c))
                                  for c in gdf[column].tolist()])
    for column in flags:
        read = [str(c).strip().casefold() for c in gdf[column].tolist()]
        if set(read) <= _QC_YES | _QC_NO | {"", "nan", "none"}:  # (else: codes, above)
            cells[column] = np.isin(read, sorted(_QC_YES))
    for hit_at in cells.values():
        out |= hit_at
    rows = np.ones(len(gdf), bool) if keep is None else np.asarray(keep, bool)
    hit = out & rows
    if not hit.any():
        return out
    columns = [c for c, h in cells.items() if (h & rows).any()]
    where = " or ".join(repr(c) for c in columns)
    fix = "write the samples' type as a sample's (e.g. 'SAMPLE')"
    if by_id:
        where = f"sample ID{'s' if len(columns) > 1 else ''} in {where}"
        fix = ("add a type column (e.g. 'sample_type') writing each sample 'SAMPLE' and "
               "each quality-control record 'STD', 'BLANK' or 'DUP'")
    said = Counter(str(c).strip() for column in columns
                   for c, b in zip(gdf[column].tolist(), hit & cells[column], strict=True)
                   if b)
    words = ", ".join(f"{w!r} ({n})" for w, n in sorted(said.items(), key=lambda i: -i[1])[:5])
    at = np.flatnonzero(hit)
    lines = (f"{what}{'s' if at.size > 1 else ''} "
             f"{', '.join(str(int(numbers[i])) for i in at[:5])}{', ...' if at.size > 5 else ''}")
    if hit.sum() == rows.sum():
        raise DataError(
            f"{path}: every record's {where} names a quality-control record ({words}; "
            f"{lines}): no sample is left to read; give the table of the samples, or {fix}")
    warnings.warn(DataWarning(
        f"{path}: {at.size} of {int(rows.sum())} record(s) are quality-control records by "
        f"their {where} ({words}; {lines}): a standard's, blank's or duplicate's value is no "
        f"sample of its place, so they are left out of {left_out}; to read one as a sample, "
        + ("add a type column (e.g. 'sample_type') writing it 'SAMPLE' (and the others 'STD', "
           "'BLANK' or 'DUP')" if by_id else "write its type as a sample's (e.g. 'SAMPLE')")),
        stacklevel=3)
    return out


_PARTNER_WELL_NAMES = (
    "boorgat", "boorgatnaam", "boorgatcode", "boornummer", "boring", "boringnummer", "put",
    "putnaam", "putnummer", "bohrung", "bohrungsname", "bohrloch", "brunnen", "puits",
    "forage", "sondage", "pozo", "sondeo", "poco", "furo", "gieng", "lokhoan")
"""Plain names of a well's or borehole's name column in the partners' and surveys'
languages (:data:`_ID_NAMES`, :data:`_HOLE_NAMES`)."""
_ID_NAMES = frozenset((
    "id", "sample", "sampleid", "samplenumber", "samplenr", "sampleno", "samplecode",
    "samplename", "labid", "labno", "labnumber", "well", "wellid", "wellname", "wellno",
    "uwi", "api", "station", "stationid", "siteid", "sitecode", "monster", "monsternummer",
    "monsterid", "putcode", "putid", "nitgcode", "boreholeid",
    "holeid", "bhid", "drillhole", "drillholeid", "collarid", "apinumber", "apino",
    "boreholename", "boreholenr", "dhid", "holeno", "holenumber", "holename", "borehole",
    "boreholeno", *_PARTNER_WELL_NAMES,
))
"""Plain names (:func:`_plain`) of a column naming each sample, well or station once: a
drill-hole table's ``HoleID``, ``BHID`` or ``DHID`` (Leapfrog's, Datamine's, Vulcan's),
``Hole_No`` and ``Borehole``, and a well's ``API_Number`` among them; a well's or
borehole's name in the partners' and surveys' languages too (Dutch NLOG's and DINO's
``Boorgat``, ``Boornummer``, ``Putnaam``; German ``Bohrung``, ``Brunnen``; French
``Puits``, ``Forage``; Spanish ``Pozo``, ``Sondeo``; Portuguese ``Poço``; Vietnamese
``Giếng``, ``Lỗ khoan``): a Dutch well table naming one well at two places was two
wells, without a word (round 50)."""

_HOLE_NAMES = frozenset((
    "well", "wellid", "wellname", "wellno", "uwi", "api", "apinumber", "apino", "boreholeid",
    "boreholename", "boreholenr", "holeid", "bhid", "drillhole", "drillholeid", "collarid",
    "putcode", "putid", "nitgcode", "dhid", "holeno", "holenumber", "holename", "borehole",
    "boreholeno", *_PARTNER_WELL_NAMES,
))
"""Plain names of the :data:`_ID_NAMES` that name a well or drill hole: its records (each
sample with an ID of its own beside, as an assay table's ``SampleID`` beside ``HoleID``)
lie at its collar or down it (:func:`_down_a_well`), never at another place, however many
samples it holds. Read as a group of records at several places (as the USGS lithium
database's ``Site_ID`` beside ``Ftr_ID``), such a column was not checked: a collar copied
onto a wrong row of an assay table went without a word."""

_SITE_NAMES = frozenset(("site", "sitename", "samplesite", "samplingsite"))
"""Plain names of a column naming each record's sampling site (``site``, ``Site Name``), as
a water-chemistry or hand-kept well table writes it: checked as the :data:`_ID_NAMES` are
(a site given again 10 km off, its coordinates copied onto the wrong row, was a sample of
its own without a word), except that a site's records within :data:`_COLLAR_REACH_M` of
its first are at one place (a spring sampled again, its place surveyed again), and a site
beside a column naming each record (``sample_id``) is a group of samples, not checked."""


def warn_ids_at_several_places(gdf: gpd.GeoDataFrame, keep: np.ndarray, path: Path,
                               numbers: np.ndarray, what: str) -> None:
    """Warn of a sample (well, station) ID given at two or more places in a table whose
    ID column (:data:`_ID_NAMES`) names records once: coordinates copied onto the wrong
    row, or an ID reused, each read as a sample of its own at its place without a word.
    The one check of both readers: the point reader's surfaces and the labels
    (:func:`prospect.models.labels.read_occurrences`, where a well listed twice at two
    places was two occurrences, each a positive, without a word).
    A column whose IDs repeat on half its records or more (a site shared by many
    samples) is no ID column;
    records repeating an ID at one place (samples of one well at several depths) are
    the surfaces' "two or more records at one place" warning."""
    names = [c for c in gdf.columns if c != gdf.geometry.name
             and _plain(str(c)) in _ID_NAMES | _SITE_NAMES]
    rows = np.flatnonzero(keep)
    if rows.size < 3:
        return
    geoms = gdf.geometry.iloc[rows].to_numpy()
    for name in names:  # (a site's features' own IDs beside its Site_ID: the site a group)
        hole = _plain(str(name)) in _HOLE_NAMES  # (a hole's samples lie at its collar)
        site = _plain(str(name)) in _SITE_NAMES  # (a site's, near its first: one place)
        group = _other_record_ids(gdf, name, rows)
        if (hole or not group) and _warn_id_at_places(
                gdf, name, rows, geoms, path, numbers, what, hole=hole, group=group or site):
            return


_GROUP_ID_NAMES = frozenset(("station", "stationid", "siteid", "sitecode"))
"""Plain names of the :data:`_ID_NAMES` that name a place sampled again (a station, a
site), whose records at one place may well differ: no sample's own ID."""

SAME_VALUE_SHARE = 1e-6
"""Values of one place that differ by at most this share of the larger are one value
written at two precisions: a float32's 0.1 written out as 0.100000001 beside 0.1 (the
Great Basin waters' boron at one site) was said as "different values (e.g. 0.1, 0.1)"
(round 53). A float32 layer holds 7 digits; a laboratory reports 2 or 3. The one rule of
a surface's places (:mod:`prospect.ingest.surfaces`) and of a sample ID's records
(:func:`warn_ids_with_other_values`)."""


def warn_ids_with_other_values(gdf: gpd.GeoDataFrame, path: Path, numbers: np.ndarray,
                               what: str, values: np.ndarray, column: str, done: str) -> bool:
    """Warn of a sample ID (a column of :data:`_ID_NAMES` naming each sample: not a well's
    or hole's, whose samples down it share its ID, nor a site's or station's) given twice
    or more at one place with different ``values`` of ``column`` (each record's, NaN where
    it has none): a re-assay or a copy slip, each read as a record of its own (``done``
    says what the reader did with them) without a word, where a surface's points said it
    ("places hold two or more records ... with different values"). A column whose IDs
    repeat on half its records or more, or beside another column naming each record
    once (:func:`_other_record_ids`), names groups, not samples, and is not checked.
    Whether it warned is returned (the point reader says it for one column of several)."""
    rows = np.arange(len(gdf))
    values = np.asarray(values, dtype="f8")
    names = [c for c in gdf.columns if c != gdf.geometry.name and not str(c).startswith("_")
             and _plain(str(c)) in _ID_NAMES - _HOLE_NAMES - _SITE_NAMES - _GROUP_ID_NAMES]
    if rows.size < 2 or not names:
        return False
    geoms = gdf.geometry.to_numpy()
    for name in names:
        raw = pd.Series(gdf[name]).reset_index(drop=True)
        ids = _text_cells(raw).where(raw.notna(), "").str.strip()
        filled = (ids != "") & (ids.str.lower() != "nan")
        twice = np.flatnonzero((filled & ids.duplicated(keep=False)).to_numpy())
        if not twice.size or ids[filled].nunique() < 0.5 * filled.sum() or \
                _other_record_ids(gdf, name, rows):
            continue
        frame = pd.DataFrame({"id": ids.iloc[twice].to_numpy(),
                              "place": _place_keys(geoms[twice], gdf.crs).to_numpy(),
                              "value": values[twice]}, index=twice).dropna()
        span = frame.groupby(["id", "place"], sort=False)["value"].agg(["min", "max"])
        differ = span["max"] - span["min"] > SAME_VALUE_SHARE * np.maximum(
            span["max"].abs(), span["min"].abs())
        if not differ.any():
            continue
        sample, place = span.index[np.flatnonzero(differ.to_numpy())[0]]
        at = frame.index[(frame["id"] == sample) & (frame["place"] == place)].to_numpy()
        shown = ", ".join(f"{_text(float(values[i]))}" for i in at[:4]) + (
            ", ..." if at.size > 4 else "")
        warnings.warn(DataWarning(
            f"{path}: {int(differ.sum())} sample ID(s) in column {name!r} are given twice or "
            f"more at one place with different values of {column!r} (e.g. {sample!r}: "
            f"{shown} at {_listed(numbers, at, what)}): {done}; a re-assay or a copy slip: "
            "keep one record per sample (the value to use), or give each sample its own ID"),
            stacklevel=3)
        return True
    return False


_BOTTOM_HOLE_WORDS = ("bottomhole", "bottom", "bhl", "bh", "td", "totaldepth", "target",
                      "reservoir", "eindpunt", "einde", "eind", "doel", "endteufe", "ende",
                      "end", "toe", "fond")
"""Words before or after a coordinate's (:func:`_coordinate_kind`) in the plain name of a
column giving a well's bottom-hole place (``X_BH``, ``BH_Lat``, ``Bottom hole X``,
``X_TD``, ``Target easting``, Dutch ``X-eindpunt``, German ``Endteufe_Rechtswert``)."""
BOTTOM_HOLE_REACH_M = (100.0, 20_000.0)
"""How far from its collar a well's bottom is said (:func:`warn_bottom_hole_places`), in
metres: beyond a collar surveyed again (:data:`_COLLAR_REACH_M`), within the farthest a
deviated well reaches sideways (extended-reach wells about 15 km); farther, the columns
are read as something else (another CRS's coordinates)."""


def _bottom_hole_columns(names: list[str], x: str, y: str) -> tuple[str, str] | None:
    """The pair of columns among ``names`` giving each well's bottom-hole place
    (:data:`_BOTTOM_HOLE_WORDS` around a coordinate's word), other than ``x`` and ``y``;
    ``None`` unless there is exactly one of each axis."""
    found: dict[str, list[str]] = {"x": [], "y": []}
    for name in names:
        if name in (x, y) or not isinstance(name, str):
            continue
        plain = _plain(name)
        for word in _BOTTOM_HOLE_WORDS:
            rest = (plain[len(word):] if plain.startswith(word) else
                    plain[:-len(word)] if plain.endswith(word) else None)
            kind = _coordinate_kind(rest) if rest else None
            if kind is not None:
                found[kind].append(name)
                break
    return (found["x"][0], found["y"][0]) if len(found["x"]) == len(found["y"]) == 1 \
        else None


_INCLINATION_NAME = re.compile(
    r"(?:inclination|incl?|inclinatie|inclinaison|inclinaci[oó]n|inclina[cç][aã]o|neigung"
    r"|deviation|deviationangle|holeangle|driftangle|boorhoek|hellingshoek)(?:deg|degrees)?")
"""Plain names (:func:`_plain`) of a directional survey's inclination column (``Incl``,
``Inclination (°)``, Dutch ``Inclinatie``, German ``Neigung``, a driller's ``Hole
angle``)."""
_HOLE_DIP_NAME = re.compile(r"(?:hole|survey|bh|drillhole)?dip(?:angle)?(?:deg|degrees)?")
"""Plain names of a drill-hole survey's dip column (``Dip``, ``Dip (deg)``, ``Hole dip``):
the angle from the horizontal, written negative downwards (``-90`` a vertical hole, ``-60``
one 30 degrees from the vertical), as mining packages export a collar or survey table, or
positive downwards (``90``, ``60``) as others do (:func:`_hole_dips`)."""
_HOLE_NAMED_DIP = re.compile(r"(?:hole|survey|bh|drillhole)dip(?:angle)?(?:deg|degrees)?")
"""Plain names of a dip column that say it is a hole's (``Hole dip``, ``Survey dip``)."""
_HOLE_AZIMUTH_NAME = re.compile(
    r"(?:hole|survey|bh|drillhole)?(?:azimuth|azi|azim|azm|az|bearing)(?:deg|degrees)?")
"""Plain names of a drill-hole survey's azimuth column (``Azimuth``, ``Azi``, ``AZM``)."""
_ROCK_ATTITUDE_NAME = re.compile(
    r"(?:dipdir(?:ection)?|dipazimuth|dipaz|dd|strike|strikedeg|strikeazimuth|rhr|"
    r"dipdirectiondeg|plunge|trend|alpha|beta)")
"""Plain names of the columns beside a rock's dip (a structural table's dip direction or
strike; a core's alpha and beta angles): a positive ``Dip`` beside one is a rock's."""
SURVEY_INCLINATION_DEG = 5.0
"""Least inclination (degrees from vertical) for a survey station to say its well deviates:
a vertical well drifts a few degrees."""


def _hole_dips(given: np.ndarray, name: str, columns: list[str]) -> int | None:
    """How a dip column writes a hole's dips: ``-1`` negative downwards (every angle from
    ``-90`` to ``0``), ``1`` positive downwards (every angle from ``0`` to ``90``, where the
    column is named as a hole's, or the table gives a depth down the hole
    (:data:`_DEPTH_NAME`) and an azimuth (:data:`_HOLE_AZIMUTH_NAME`) and no rock's
    attitude (:data:`_ROCK_ATTITUDE_NAME`)), ``0`` both (a table mixing the two, or down-
    and up-holes: a rock's dip is never negative); ``None`` where it is no hole's (a rock's
    dip of a structural table, or angles past 90). A positive dip and a table mixing
    signs were not read (round 52 left them): samples down holes drilled at ``60`` were
    placed at their collars without a word (round 53)."""
    if not given.size or (np.abs(given) > 90).any() or not (given != 0).any():
        return None
    if (given < 0).any():
        return 0 if (given > 0).any() else -1
    plain = [_plain(c) for c in columns]
    if _HOLE_NAMED_DIP.fullmatch(_plain(name)):
        return 1
    if any(_ROCK_ATTITUDE_NAME.fullmatch(c) for c in plain):
        return None
    down = any(_DEPTH_NAME.fullmatch(c) for c in plain) and \
        any(_HOLE_AZIMUTH_NAME.fullmatch(c) for c in plain)
    return 1 if down else None


def _survey_angles(gdf: gpd.GeoDataFrame, path: Path
                   ) -> tuple[str, np.ndarray, np.ndarray | None, int] | None:
    """The column of a directional survey's angles, each record's inclination from the
    vertical, the dips as written (``None`` for an inclination column) and how they are
    written (:func:`_hole_dips`: ``-1``, ``1`` or ``0``): an inclination column
    (:data:`_INCLINATION_NAME`), else a hole's dip (:data:`_HOLE_DIP_NAME`) of either
    sign (``-60`` and ``60`` are 30 degrees from the vertical: the inclination is ``90 -
    |dip|``); ``None`` where there is no such one column. A hole's dip was not read (round
    51 left it), so samples down holes drilled at ``-60`` were placed at their collars
    without a word (round 52)."""
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    undecided = gdf.attrs.get("undecided") or {}
    for pattern, dips in ((_INCLINATION_NAME, False), (_HOLE_DIP_NAME, True)):
        names = [c for c in columns if pattern.fullmatch(_plain(c))]
        if not names:
            continue
        if len(names) != 1 or names[0] in undecided:
            return None
        angle = _numbers(pd.Series(gdf[names[0]]).reset_index(drop=True), path, names[0],
                         gdf.attrs)
        if not dips:
            return names[0], angle, None, 0
        sign = _hole_dips(angle[np.isfinite(angle)], names[0], columns)
        if sign is None:
            return None  # (a rock's dip, 0 to 90: no hole's)
        return names[0], 90.0 - np.abs(angle), angle, sign
    return None


def _dips_said(sign: int) -> str:
    """The dips that say a hole deviates, written as the column writes them
    (:func:`_hole_dips`'s ``sign``)."""
    least = 90 - SURVEY_INCLINATION_DEG
    return {-1: f"{-least:g} degrees or shallower", 1: f"{least:g} degrees or shallower"}.get(
        sign, f"{least:g} or {-least:g} degrees or shallower, written with both signs")


def _warn_survey_path(gdf: gpd.GeoDataFrame, keep: np.ndarray, path: Path,
                      numbers: np.ndarray, what: str, *, x: str, y: str) -> None:
    """Warn of a well table giving its wells' paths by a directional survey (an inclination
    column, :data:`_INCLINATION_NAME`, of :data:`SURVEY_INCLINATION_DEG` or more on some
    records, or a hole's dip, :data:`_HOLE_DIP_NAME`, of ``-85`` or shallower:
    :func:`_survey_angles`): Prospect places each record at ``x``/``y`` as told and
    computes no path, so a deviated well's samples down the path were kriged or labelled at
    its collar, said at most as several records at one place ("keep one depth per well")
    (round 51)."""
    found = _survey_angles(gdf, path) if keep.any() else None
    if found is None:
        return
    name, angle, written, sign = found
    with np.errstate(invalid="ignore"):
        valid = keep & np.isfinite(angle) & (angle >= 0) & (angle <= 180)
        hit = valid & (angle >= SURVEY_INCLINATION_DEG) & (angle <= 90)
    if not hit.any() or valid.sum() < keep.sum() / 2:  # (mostly no angles: another column)
        return
    at = hit.nonzero()[0]
    most = int(at[np.argmax(angle[at])])
    warnings.warn(DataWarning(
        f"{path}: {at.size} of {int(keep.sum())} record(s) lie on deviated wells: column "
        f"{name!r} gives " + (
            f"a hole's dip of {_dips_said(sign)} (an "
            f"inclination of {SURVEY_INCLINATION_DEG:g} or more from the vertical; "
            f"{_listed(numbers, at, what)}; up to {_text(float(written[most]))}, "
            f"{_text(float(angle[most]))} from the vertical, on {what} {int(numbers[most])})"
            if written is not None else
            f"an inclination of {SURVEY_INCLINATION_DEG:g} degrees or more "
            f"({_listed(numbers, at, what)}; up to {_text(float(angle[most]))} on {what} "
            f"{int(numbers[most])})") + ", a directional survey, but each record is placed at "
        f"{x!r}/{y!r} as told: Prospect computes no well path, so a sample taken down a "
        "deviated well is placed at its collar; compute each sample's place along the "
        "path (e.g. by minimum curvature from the survey) and give it as the x and y "
        "columns, or keep the collars if the values are of the collars"), stacklevel=4)


def warn_bottom_hole_places(gdf: gpd.GeoDataFrame, keep: np.ndarray, path: Path,
                            numbers: np.ndarray, what: str, *, x: str, y: str) -> None:
    """Warn of a well table whose columns give each well's bottom-hole place (``X_BH``,
    ``Y_BH``; Dutch ``X-eindpunt``) beside the ``x``/``y`` it is read at (its collar), where
    wells end :data:`BOTTOM_HOLE_REACH_M` from their collars: a deviated geothermal well's
    brine, sampled in the reservoir kilometres away, was placed (kriged, labelled) at the
    collar without a word (round 50). The one check of both readers (:func:`read_points`
    and :func:`prospect.models.labels.read_occurrences`).

    Parameters
    ----------
    gdf
        The records as read, at ``x``/``y`` in the table's CRS.
    keep
        The records read.
    path
        The table (for messages).
    numbers, what
        Each record's number as the file counts it, and what it counts (``line``).
    x, y
        The coordinate columns read (a vector file's geometry: none).
    """
    _warn_survey_path(gdf, keep, path, numbers, what, x=x, y=y)
    pair = _bottom_hole_columns([str(c) for c in gdf.columns if c != gdf.geometry.name], x, y)
    if pair is None or not keep.any():
        return
    bx = _numbers(pd.Series(gdf[pair[0]]).reset_index(drop=True), path, pair[0], gdf.attrs)
    by = _numbers(pd.Series(gdf[pair[1]]).reset_index(drop=True), path, pair[1], gdf.attrs)
    geoms = gdf.geometry.to_numpy()
    cx, cy = shapely.get_x(geoms), shapely.get_y(geoms)
    dx, dy = bx - cx, by - cy
    if gdf.crs is not None and gdf.crs.is_geographic:
        dx = _one_turn(dx) * 111_320.0 * np.cos(np.radians(cy))
        dy = dy * 110_574.0
    with np.errstate(invalid="ignore"):
        reach = np.hypot(dx, dy)
        near, far = BOTTOM_HOLE_REACH_M
        hit = keep & np.isfinite(reach) & (reach > near) & (reach <= far)
    if not hit.any() or (keep & np.isfinite(reach) & (reach > far)).any():
        return
    at = hit.nonzero()[0]
    most = int(at[np.argmax(reach[at])])
    warnings.warn(DataWarning(
        f"{path}: {at.size} of {int(keep.sum())} well(s) end away from the place they are "
        f"read at: columns {pair[0]!r}/{pair[1]!r} give each well's bottom-hole place, up "
        f"to {reach[most] / 1000:.3g} km from its {x!r}/{y!r} ({_listed(numbers, at, what)}; "
        f"the farthest on {what} {int(numbers[most])}), and each record is placed at "
        f"{x!r}/{y!r}, its collar: a value sampled in the reservoir belongs at its bottom "
        f"hole; set 'x: {pair[0]}' and 'y: {pair[1]}' in the points source to place them "
        "there, or keep the collars if the values are of the collars"), stacklevel=3)


_FROM_NAMES = frozenset(("from", "fromm", "fromft", "mfrom", "depthfrom", "fromdepth",
                         "fromdepthm", "depthfromm", "intervalfrom", "samplefrom", "van",
                         "vanm", "von", "vonm", "desde"))
"""Plain names (:func:`_plain`) of a drill-hole interval's top: ``From``, ``From_m``,
``mFrom``, ``Depth From``; Dutch ``Van``, German ``Von``, Spanish ``Desde``
(:data:`_TO_NAMES` its bottom)."""
_TO_NAMES = frozenset(("to", "tom", "toft", "mto", "depthto", "todepth", "todepthm",
                       "depthtom", "intervalto", "sampleto", "tot", "totm", "bis", "bism",
                       "hasta"))
"""Plain names (:func:`_plain`) of a drill-hole interval's bottom (:data:`_FROM_NAMES`):
``To``, ``To_m``, ``mTo``, ``Depth To``; ``Tot``, ``Bis``, ``Hasta``."""


def _interval_columns(gdf: pd.DataFrame) -> tuple[str, str, str] | None:
    """The columns of a drill hole (:data:`_HOLE_NAMES`) and of its intervals' top and
    bottom (:data:`_FROM_NAMES`, :data:`_TO_NAMES`), ``None`` unless the table has one of
    each."""
    names = [str(c) for c in gdf.columns if not str(c).startswith("_")]
    hole = next((c for c in names if _plain(c) in _HOLE_NAMES), None)
    top = next((c for c in names if _plain(c) in _FROM_NAMES), None)
    bottom = next((c for c in names if _plain(c) in _TO_NAMES), None)
    return None if hole is None or top is None or bottom is None else (hole, top, bottom)


def depth_intervals(gdf: pd.DataFrame) -> tuple[str, str, str, np.ndarray, np.ndarray] | None:
    """A drill-hole table's hole column (:data:`_HOLE_NAMES`), its intervals' top and
    bottom columns (:data:`_FROM_NAMES`, :data:`_TO_NAMES`) and their depths in metres
    (NaN where a cell is no depth: read as a depth column is, :func:`_depth_values`);
    ``None`` unless the table has all three.

    Parameters
    ----------
    gdf
        The table, its columns as written.

    Returns
    -------
    tuple or None
        ``(hole, top, bottom, from_m, to_m)``.
    """
    found = _interval_columns(gdf)
    if found is None:
        return None
    hole, first, last = found
    top, bottom = (_depth_values(pd.Series(gdf[c]).reset_index(drop=True), c, gdf.attrs)
                   for c in (first, last))
    return hole, first, last, top, bottom


def warn_depth_intervals(gdf: gpd.GeoDataFrame, path: Path, numbers: np.ndarray, what: str,
                         values: np.ndarray, column: str) -> bool:
    """Say, once, that a table of drill-hole intervals (a hole's column of
    :data:`_HOLE_NAMES` and an interval's ``from``/``to``, :func:`_interval_columns`),
    several of a hole graded in ``column`` (``values``, NaN where none), is labelled
    per interval: each interval a record of its own at its hole's place, so a cell is a
    positive where any one interval reaches the threshold, however short, its hole's
    barren metres not weighed against it. An assay table of 4 holes and 12 intervals was
    labelled so without a word. Whether it warned.

    Parameters
    ----------
    gdf
        The records the labels read (their columns as the table writes them).
    path
        The table, for the message.
    numbers
        Each record's line (or feature) number in the file.
    what
        ``"line"`` or ``"feature"``.
    values
        Each record's grade in ``column``.
    column
        The grade column (``model.labels.value_column``).
    """
    found = _interval_columns(gdf)
    if found is None or len(gdf) < 2:
        return False
    hole, *pair = found
    raw = pd.Series(gdf[hole]).reset_index(drop=True)
    ids = _text_cells(raw).where(raw.notna(), "").str.strip()
    graded = np.isfinite(np.asarray(values, dtype="f8")) & (ids != "").to_numpy()
    counts = ids[graded].value_counts()
    if not (counts > 1).any():
        return False
    many = counts.index[0]
    at = np.flatnonzero(graded & (ids == many).to_numpy())
    top = pd.Series(gdf[pair[0]]).reset_index(drop=True)
    bottom = pd.Series(gdf[pair[1]]).reset_index(drop=True)
    shown = ", ".join(f"{str(top.iloc[i]).strip()}-{str(bottom.iloc[i]).strip()}"
                      for i in at[:3]) + (", ..." if at.size > 3 else "")
    warnings.warn(DataWarning(
        f"{path}: the table gives {int(counts.sum())} depth interval(s) of {counts.size} "
        f"hole(s) (columns {hole!r}, {pair[0]!r}/{pair[1]!r}; up to {int(counts.iloc[0])} "
        f"a hole, e.g. {many!r}: {shown} on {_listed(numbers, at, what)}), and each interval "
        f"is labelled as a record of its own at its hole's place: a cell is a positive where "
        f"any one interval's {column!r} reaches the threshold (model.labels.threshold), "
        "however short, the hole's other intervals not weighed against it; to label each "
        "hole by its grade over its length, set 'intervals: composite' in model.labels (one "
        "record a hole, its intervals' length-weighted mean grade)"), stacklevel=3)
    return True


def _warn_id_at_places(gdf: gpd.GeoDataFrame, name: str, rows: np.ndarray, geoms: np.ndarray,
                       path: Path, numbers: np.ndarray, what: str, *, hole: bool = False,
                       group: bool = False) -> bool:
    """The warning of :func:`warn_ids_at_several_places` for the ID column ``name``;
    whether it warned. A column of wells or holes (``hole``, :data:`_HOLE_NAMES`) is
    checked however many records share an ID (an assay table's intervals), or with a
    sample ID of each record beside it (``group``): then, as where its IDs repeat on half
    the records or more, an ID's records within :data:`_COLLAR_REACH_M` of its first are
    at one place (:func:`_near_first`)."""
    ids = _text_cells(pd.Series(gdf[name].iloc[rows]).reset_index(drop=True))
    ids = ids.where(pd.Series(gdf[name].iloc[rows]).reset_index(drop=True).notna(), "")
    ids = ids.str.strip()
    filled = (ids != "") & (ids.str.lower() != "nan")
    grouped = ids[filled].nunique() < 0.5 * filled.sum()  # (a hole's many intervals)
    if filled.sum() < 3 or (grouped and not hole):
        return False
    # only an ID given twice or more can be at two places: the others' places are not
    # keyed (a 200 000-record table's keys took a second; the same IDs, in the same order)
    twice = np.flatnonzero((filled & ids.duplicated(keep=False)).to_numpy())
    frame = pd.DataFrame({"id": ids.iloc[twice].to_numpy(),
                          "place": _place_keys(geoms[twice], gdf.crs).to_numpy()},
                         index=twice)
    places = frame.groupby("id", sort=False)["place"].nunique()
    several = places[places > 1].index.tolist()
    along = _down_a_well(gdf, rows, ids, geoms, several)
    near = _near_first(gdf, ids, geoms, several) if grouped or group else set()
    several = [i for i in several if i not in along and i not in near]
    if not several:
        return False
    first = frame.index[frame["id"] == several[0]].to_numpy()
    shown = "; ".join(f"{what} {int(numbers[rows[i]])} at "
                      f"{shapely.get_x(geoms[i]):.9g}, {shapely.get_y(geoms[i]):.9g}"
                      for i in first[:3])
    warnings.warn(DataWarning(
        f"{path}: {len(several)} ID(s) in column {name!r} are given at two or more "
        f"places (e.g. {several[0]!r}: {shown}), each record read as a sample of its own "
        "there: coordinates copied onto the wrong row, or an ID used twice; correct the "
        "coordinates, or give each sample its own ID"), stacklevel=4)
    return True


def _place_keys(geoms: np.ndarray, crs: Any) -> pd.Series:
    """Each point's place as a key that one place has once: its coordinates to nine
    figures, a longitude in degrees taken into -180..180 (:func:`_one_turn`), so that a
    well listed at 180.05 and at -179.95 (or at 354.97 and -5.03) is at one place; it was
    "given at two or more places ... coordinates copied onto the wrong row"."""
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    if crs is not None and crs.is_geographic:
        x = _one_turn(x)
    return pd.Series([f"{a:.9g} {b:.9g}" for a, b in zip(x, y, strict=True)])


def _one_turn(lon: np.ndarray) -> np.ndarray:
    """Longitudes (degrees) taken by whole turns into -180..180 (180 itself is -180)."""
    with np.errstate(invalid="ignore"):
        return np.mod(np.asarray(lon, dtype="f8") + 180.0, 360.0) - 180.0


_DEPTH_NAME = re.compile(
    r"(?:md|tvd[a-z]{0,4}|[a-z]*depth[a-z]*|[a-z]*diepte[a-z]*|[a-z]*tiefe[a-z]*"
    r"|[a-z]*teufe[a-z]*|[a-z]*profondeur[a-z]*|profundidade?|from|mfrom|van|von|desde)"
    r"(?:m|ft)?")
"""Plain names (:func:`_plain`) of a column giving each sample's depth down its well:
``MD``, ``TVD``, ``TVDSS``, ``Depth (m)``, ``sample_depth``, ``diepte``, and a drill-hole
interval's ``From`` (``From_m``, ``mFrom``); in the partners' words with what comes
before (Dutch ``AH diepte``, along hole, and ``Monsterdiepte``, German ``Teufe``, a
mine's and driller's depth, ``Probentiefe``; Spanish and Portuguese ``Profundidad(e)``)
and an interval's ``Van``, ``Von``, ``Desde``: a deviated well's samples under a Dutch
or German well name were "given at two or more places" (round 50)."""


_TOP_NAME = re.compile(
    r"(?:[a-z]*(?:formation|formatie|fm|horizon|marker|pick|schicht))?"
    r"(?:top|base|bottom|bovenkant|onderkant|basis|oberkante|unterkante|toit|techo|topo)"
    r"(?:md|tvd[a-z]{0,4}|depth|diepte|tiefe|teufe)?(?:m|ft)?")
"""Plain names (:func:`_plain`) of a column giving a formation's top or base down a well
(``Top (m)``, ``top_md``, ``Formation top``, ``Base (m NAP)``; Dutch ``Bovenkant``,
``Onderkant``, German ``Oberkante``): a deviated well's tops, each listed at the place
its path crosses the formation, were "given at two or more places" (round 51). Read by
:func:`_down_a_well` alone: a top below a datum is often negative, so it is no depth
:func:`_refuse_depths_of_both_signs` reads."""


_COLLAR_REACH_M = 100.0
"""How far apart a well's or hole's records may lie at its top without a depth column, in
metres: a collar surveyed again (a handheld GPS's metres, a well pad's few tens)."""


def _reach(x: np.ndarray, y: np.ndarray, at: np.ndarray, geographic: bool) -> float:
    """The farthest of the records ``at`` from the first, in metres (near enough for a
    bound; across 180 too where ``geographic``)."""
    dx, dy = x[at] - x[at[0]], y[at] - y[at[0]]
    if geographic:
        dx = _one_turn(dx) * 111_320.0 * np.cos(np.radians(y[at]))
        dy = dy * 110_574.0
    return float(np.hypot(dx, dy).max())


def _near_first(gdf: gpd.GeoDataFrame, ids: pd.Series, geoms: np.ndarray,
                several: list[str]) -> set[str]:
    """The IDs of ``several`` whose records lie within :data:`_COLLAR_REACH_M` of their
    first: one well's or hole's, sampled many times and its collar surveyed again."""
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    geographic = gdf.crs is not None and gdf.crs.is_geographic
    return {sample for sample in several
            if _reach(x, y, np.flatnonzero((ids == sample).to_numpy()), geographic)
            <= _COLLAR_REACH_M}


def _down_a_well(gdf: gpd.GeoDataFrame, rows: np.ndarray, ids: pd.Series, geoms: np.ndarray,
                 several: list[str]) -> set[str]:
    """The IDs of ``several`` whose records are samples down one deviated well: each at a
    depth of its own in a depth column (:data:`_DEPTH_NAME`) or a formation top's
    (:data:`_TOP_NAME`), their places no farther from
    the first than the deepest of them (no well reaches farther sideways than its measured
    depth). A deviated well's samples, listed with their MD and TVD at the places they were
    taken, were "coordinates copied onto the wrong row"."""
    names = [c for c in gdf.columns
             if c != gdf.geometry.name and (_DEPTH_NAME.fullmatch(_plain(str(c)))
                                            or _TOP_NAME.fullmatch(_plain(str(c))))]
    if not names or not several:
        return set()
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    geographic = gdf.crs is not None and gdf.crs.is_geographic
    out: set[str] = set()
    for name in names:
        depth = _depth_values(pd.Series(gdf[name].iloc[rows]).reset_index(drop=True),
                             name, gdf.attrs)
        for sample in several:
            at = np.flatnonzero((ids == sample).to_numpy())
            down = depth[at]
            if not np.isfinite(down).all() or np.unique(down).size < at.size:
                continue
            if _reach(x, y, at, geographic) <= float(np.abs(down).max()):
                out.add(sample)
    return out


_LENGTH_UNIT = re.compile(
    r"\s*(?:m|metres?|meters?|mtr|ft|feet|foot|'|km|kilometres?|kilometers?|)"
    r"(?:\s*\(?(?:md|tvd[a-z]{0,4}|bgl|bsl|ah|kb|rt)\)?)?\.?\s*", re.IGNORECASE)
"""A depth cell's unit after its number (``1234 m``, ``1234,5 m``, ``4050 ft``, ``1234 m
MD``, ``1234 mTVD``, ``1.2 km``): metres, feet or kilometres, and the reference a well
log states."""

def _metres_per(unit: str) -> float:
    """Metres per ``unit``, a depth cell's unit (:data:`_LENGTH_UNIT`) or the unit a depth
    column's header names; 1 for metres or none."""
    from prospect.config.region import METRES_PER_LENGTH

    found = re.match(r"\s*(km|kilomet(?:re|er)s?|ft|feet|foot|')", unit.lower())
    return METRES_PER_LENGTH[found.group(1).replace("'", "ft")] if found else 1.0


def _header_metres_per(column: str) -> float:
    """Metres per unit of a depth column whose header names feet or kilometres (``Depth
    (ft)``, ``MD_ft``, ``depth_km``); 1 otherwise."""
    found = re.search(r"(?:^|[^a-z])(ft|feet|km)(?:[^a-z]|$)", str(column).lower())
    plain = _plain(column)
    unit = found.group(1) if found else next(
        (u for u in ("ft", "km") if plain.endswith(u)), "")
    return _metres_per(unit)


def _depth_values(series: pd.Series, column: str, attrs: Mapping[str, Any]) -> np.ndarray:
    """A depth column (:data:`_DEPTH_NAME`) as metres, NaN where a cell is no depth: each
    cell read in its table's decimal notation (``attrs``' ``decimal``: ``1234,5`` in a
    table of decimal commas), a length unit after its number (:data:`_LENGTH_UNIT`:
    ``1234 m``, ``4050 ft``) read as that length, and a column whose header names feet or
    kilometres (``Depth (ft)``, ``MD_ft``, ``depth_km``) read in them. A depth column
    written so was no depths, or metres (:func:`pandas.to_numeric`), so the samples down a
    deviated well were "coordinates copied onto the wrong row", and a sample copied
    farther than a well in feet reaches went without a word. A cell that is no number in
    the table's notation but one in the other (``1000,5 m`` in a table whose other numbers
    are whole) is read in the other; a column whose notation the table leaves undecided
    gives no depths."""
    if column in (attrs.get("undecided") or {}):
        return np.full(len(series), np.nan)
    scale = np.full(len(series), _header_metres_per(column))
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        text = series.astype("string").str.strip()
        number = r"([-+]?(?:\d[\d.,\s]*\d|\d)(?:[eE][-+]?\d+)?)"
        parts = text.str.extract(rf"^{number}({_LENGTH_UNIT.pattern})$", flags=re.IGNORECASE)
        parts.columns = [0, 1]
        unit = parts[1].fillna("").str.strip()
        said = parts[0].notna().to_numpy() & (unit != "").to_numpy()
        scale = np.where(said, unit.map(_metres_per).to_numpy("f8"), scale)
        series = series.where(~said, parts[0])
    decimal = attrs.get("decimal") or "."
    values = _numbers(series, Path(column), column, {"decimal": decimal})
    other = _numbers(series, Path(column), column, {"decimal": "," if decimal == "." else "."})
    values = np.where(np.isnan(values), other, values)  # ('1000,5 m' told no notation)
    return values * scale


_ROW_NUMBERS = frozenset(("id", "fid", "oid", "objectid", "ogcfid", "rowid", "gid"))
"""Plain names of the row numbers GIS software writes on every record (ArcGIS's
``OBJECTID``, GDAL's ``ogc_fid``): unique whatever the records are."""


def _other_record_ids(gdf: gpd.GeoDataFrame, name: str, rows: np.ndarray) -> bool:
    """Whether a column other than ``name`` whose name ends in ``id`` (``Ftr_ID``,
    ``feature_id``; not a row number, :data:`_ROW_NUMBERS`) names each of ``rows`` once:
    then ``name`` names a group of records (the USGS lithium database's ``Site_ID``, a
    site of several mapped features), not each record, and one ID at several places is no
    copying error."""
    for column in gdf.columns:
        plain = _plain(str(column))
        if column in (name, gdf.geometry.name) or not plain.endswith("id") or \
                plain in _ROW_NUMBERS:
            continue
        cells = _text_cells(pd.Series(gdf[column].iloc[rows]).reset_index(drop=True))
        cells = cells.where(pd.Series(gdf[column].iloc[rows]).reset_index(drop=True).notna(),
                            "").str.strip()
        filled = cells[(cells != "") & (cells.str.lower() != "nan")]
        if filled.size == rows.size and filled.is_unique:
            return True
    return False


def swapped_axes_fix(path: Path | str, *, x: str = "lon", y: str = "lat",
                     layer: str | None = None, crs: Any = None) -> str:
    """How to give a point file whose coordinates are the other way round (latitude
    before longitude, northing before easting), for its format: a table's ``x:``/``y:``;
    a vector file (a GeoJSON written lat, lon against RFC 7946's lon, lat; a GeoPackage,
    Shapefile, KML) written again with its axes swapped, for which no config key exists."""
    path = Path(path)
    if is_text_table(path, layer) or path.suffix.lower() in SHEET_SUFFIXES or \
            (is_parquet(path) and not _geoparquet(path)):
        return f"set x: {y!r} and y: {x!r} in the points source"
    name = path.name
    srs = "EPSG:4326"
    with contextlib.suppress(Exception):
        parsed = parse_crs(crs) if crs is not None else None
        epsg = parsed.to_epsg() if parsed is not None else None
        srs = f"EPSG:{epsg}" if epsg else srs
    out = f"fixed{path.suffix.lower() if path.suffix.lower() != '.zip' else '.gpkg'}"
    said = ("GeoJSON (RFC 7946) writes longitude, latitude; this file writes latitude, "
            "longitude (its exporter's axis order)" if path.suffix.lower() in
            (".geojson", ".json") else "the file's geometries have x and y the other way "
            "round (latitude before longitude, or northing before easting)")
    return (f"{said}: write it again with the axes swapped, e.g. ogr2ogr -s_srs {srs} "
            f"-t_srs {srs} -ct '+proj=axisswap +order=2,1' {out} {name} (QGIS: 'Swap X and "
            "Y coordinates'), and give that file")


def _geoparquet(path: Path) -> bool:
    """Whether a Parquet file carries GeoParquet metadata (geometries)."""
    from prospect.io.geoparquet import geo_metadata

    try:
        return geo_metadata(path) is not None
    except Exception:  # the read proper names what is wrong with the file
        return False


def _lonlat(xs: np.ndarray, ys: np.ndarray, crs: Any) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    return np.asarray(lon, "f8"), np.asarray(lat, "f8")


def _in_area(lon: np.ndarray, lat: np.ndarray, area: Any) -> np.ndarray:
    west, south, east, north = area.bounds
    lon = np.where(lon > 180, lon - 360, lon)
    with np.errstate(invalid="ignore"):
        in_lon = ((lon >= west) | (lon <= east)) if west > east else \
            (lon >= west) & (lon <= east)
        return np.asarray(in_lon & (lat >= south) & (lat <= north))


def _regional(crs: Any) -> bool:
    """Whether ``crs`` is made for a region (its area of use less than 90 degrees either
    way: RD New, a UTM zone), not for the world (WGS 84, Web Mercator)."""
    area = getattr(crs, "area_of_use", None)
    if area is None:
        return False
    west, south, east, north = area.bounds
    width = east - west if east >= west else east + 360 - west
    return bool(width < 90 and north - south < 90)


def refuse_swapped_axes(xs: np.ndarray, ys: np.ndarray, crs: Any, target: Any, path: Path,
                        layer: str | None, numbers: np.ndarray, what: str, *,
                        x: str = "lon", y: str = "lat", grid: Any = None) -> None:
    """Refuse a point file whose coordinates are the other way round (``xs``, ``ys``
    in its own ``crs``; ``numbers`` name the features in messages; ``x``/``y`` a
    table's coordinate columns, for its fix). A table's swapped columns were placed in the
    Indian Ocean by the labels without a word, as a vector file's were: as read, its
    latitudes pass 90 (none would, swapped), or no point lies in the area the target
    CRS is made for (the points' own CRS's where the target's is the world: RD New's
    metres read to WGS 84) while most would, swapped. A GeoJSON written lat, lon (RFC 7946 says
    lon, lat) was read in the Indian Ocean and projected to the region's CRS without a
    word; only the region's far-outside check caught it, with a table's ``x:``/``y:``
    fix, which a vector file has no use for.

    With the ``grid`` of the region the points are for, metres of another projected CRS
    (RD New under 'crs: EPSG:32631') are told from swapped axes: swapped, RD New's
    (131 870, 451 352) lie in UTM 31N's area too, and the table was "swapped" (the fix
    offered put its points near the equator); where the swapped points miss the region
    and another CRS puts them in it (:func:`crs_meant`), that CRS is named instead.

    Raises
    ------
    DataError
        Naming what shows the swap and the fix for the file's format
        (:func:`swapped_axes_fix`), or the CRS the points lie in the region in.
    """
    finite = np.isfinite(xs) & np.isfinite(ys)
    if finite.sum() == 0:
        return
    px, py = xs[finite], ys[finite]
    why = ""
    if getattr(crs, "is_geographic", False):
        bad = np.abs(py) > 90
        if bad.any() and (np.abs(px) <= 90).all() and (np.abs(py) <= 360).all():
            at = np.flatnonzero(finite)[np.flatnonzero(bad)]
            why = (f"{bad.sum()} of {px.size} latitude(s) pass 90 ({_listed(numbers, at, what)}"
                   f"; e.g. x={px[bad][0]:g}, y={py[bad][0]:g}), and every x is one")
    made_for = target if _regional(target) else crs  # (points of RD New read to WGS 84)
    # a region's CRS, not the world's
    area = getattr(made_for, "area_of_use", None) if _regional(made_for) else None
    if not why and area is not None:
        try:
            as_read = _in_area(*_lonlat(px, py, crs), area)
            if getattr(crs, "is_geographic", False):
                swapped = _in_area(py, px, area) & (np.abs(px) <= 90)
            else:
                swapped = _in_area(*_lonlat(py, px, crs), area)
        except Exception:  # a CRS PROJ cannot use is named by the read proper
            return
        if not as_read.any() and swapped.sum() >= 0.5 * px.size:
            _refuse_other_crs(px, py, crs, grid, path, target)
            why = (f"none of its {px.size} point(s) lies in the area {made_for.name!r} "
                   f"is made for, while {int(swapped.sum())} would with x and y swapped "
                   f"(e.g. x={px[0]:g}, y={py[0]:g})")
        elif not as_read.any() and getattr(crs, "is_geographic", False):
            _refuse_lost_signs(px, py, area, target, path, x=x, y=y)
    if why:
        raise DataError(f"{path}: the coordinates look swapped: {why}; "
                        + swapped_axes_fix(path, x=x, y=y, layer=layer, crs=crs))


def _refuse_other_crs(px: np.ndarray, py: np.ndarray, crs: Any, grid: Any, path: Path,
                      target: Any) -> None:
    """Refuse projected points that look swapped in ``target``'s area but are metres of
    another projected CRS: swapped they miss the ``grid``'s region, and read in that CRS
    (:func:`crs_meant`) most lie in it. Nothing without a grid, or for degrees."""
    if grid is None or getattr(crs, "is_geographic", False):
        return
    from pyproj import Transformer

    with np.errstate(all="ignore"):
        gx, gy = Transformer.from_crs(crs, grid.crs_obj, always_xy=True).transform(py, px)
        gx, gy = np.asarray(gx, "f8"), np.asarray(gy, "f8")
        ok = np.isfinite(gx) & np.isfinite(gy)
        rows, cols = grid.rowcol(gx[ok], gy[ok], closed=True)
    if grid.contains(rows, cols).sum() >= 0.5 * px.size:
        return  # swapped, they lie in the region: the swap it is
    hint = crs_meant(px, py, crs, grid)
    if hint:
        raise DataError(
            f"{path}: none of its {px.size} point(s) lies in the area {target.name!r} is "
            f"made for, nor in region {grid.name!r} with x and y swapped (e.g. "
            f"x={px[0]:g}, y={py[0]:g}, read in {crs.name}){hint}")


def _refuse_lost_signs(lon: np.ndarray, lat: np.ndarray, area: Any, target: Any,
                       path: Path, *, x: str, y: str) -> None:
    """Refuse longitudes (or latitudes) that lost their minus sign: none of the points
    lies in the area the target CRS is made for, while most would at minus their
    longitude (latitude). A Caribbean table's west longitudes written positive (68.26
    for Bonaire's -68.26, the hemisphere letter dropped) were placed in the Arabian Sea:
    the labels counted every record outside the region and training said only "0
    positive cells", the point reader read them without a word."""
    for name, column, turned, side, letter in (
            ("longitude", x, (-lon, lat), "west of Greenwich", "W"),
            ("latitude", y, (lon, -lat), "south of the equator", "S")):
        hits = _in_area(*turned, area)
        if hits.sum() < 0.5 * lon.size:
            continue
        value = lon[0] if name == "longitude" else lat[0]
        raise DataError(
            f"{path}: the {name}s look to have lost their sign: none of its {lon.size} "
            f"point(s) lies in the area {target.name!r} is made for, while "
            f"{int(hits.sum())} would at minus their {name} (e.g. {column}={value:g} as "
            f"{-value:g}); {name}s {side} are negative: write column {column!r} with its "
            f"minus signs (where the table gives the hemisphere, {letter}, in a column or "
            "letter of its own, apply it)")


def _single_points(gdf: gpd.GeoDataFrame, keep: np.ndarray) -> gpd.GeoDataFrame:
    """The table with each multi-point or collection of one point (or of one place, its
    point repeated) as that point.

    ArcGIS writes a Multipoint Shapefile, and GeoJSON exporters a MultiPoint, with one
    point a feature: exactly points, yet refused as "expected point geometries". Several
    points at different places stay refused (which one is meant cannot be told)."""
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    kinds = shapely.get_type_id(geoms)
    multi = keep & np.isin(kinds, (4, 7))
    if not multi.any():
        return gdf
    for i in np.flatnonzero(multi):  # parts all points, at one place (a vertex written twice)
        parts = shapely.get_parts(geoms[i])
        multi[i] = bool(parts.size) and bool((shapely.get_type_id(parts) == 0).all()) and \
            np.unique(shapely.get_coordinates(parts), axis=0).shape[0] == 1
    if not multi.any():
        return gdf
    gdf = gdf.copy()
    gdf.loc[multi, gdf.geometry.name] = shapely.get_geometry(geoms[multi], 0)
    return gdf


def _kind_said(geom: Any) -> str:
    """A geometry's type, with how many places a multi-point or collection holds (``a
    MultiPoint of 3 places``)."""
    kind = str(geom.geom_type)
    if kind not in ("MultiPoint", "GeometryCollection"):
        return kind
    places = np.unique(shapely.get_coordinates(geom), axis=0).shape[0]
    return f"a {kind} of {places} place{'s' if places != 1 else ''}"


def _parquet_name(path: Path, layer: str | None) -> Path | str | None:
    """The (Geo)Parquet file ``path`` reads (itself, or the one inside a ``.zip``), or
    ``None`` when it reads none."""
    if is_parquet(path):
        return path
    if path.suffix.lower() != ".zip":
        return None
    try:
        name = source_name(path, layer)
    except Exception:  # the read proper names what is wrong with the archive
        return None
    return name if is_parquet(name) else None


def _parquet_table(path: Path | str) -> pd.DataFrame:
    """A Parquet file without GeoParquet metadata as a table, its binary columns (WKB
    geometries written without ``geo``) as hexadecimal text: as bytes, every check that
    reads a column as text decoded them as UTF-8 (``internal error:
    UnicodeDecodeError``). ``attrs["wkb_hint"]`` says which column holds WKB."""
    frame = read_parquet(path, read_geometry=False)
    frame.attrs["wkb_hint"] = wkb_hint(frame)
    for column in frame.columns:
        if frame[column].map(lambda v: isinstance(v, bytes | bytearray)).any():
            frame[column] = frame[column].map(
                lambda v: v.hex() if isinstance(v, bytes | bytearray) else v)
    frame.attrs["repeated_columns"] = []
    return frame


def _domain_names(frame: pd.DataFrame, path: Path, layer: str | None) -> pd.DataFrame:
    """A GeoPackage's or geodatabase's attribute table ``frame`` with its columns of a
    coded-value domain read as the codes' names (:func:`~prospect.io.vector.named_codes`),
    as ``read_features`` reads a layer's: a commodity column of codes was read as the codes,
    every record a positive. Codes the domain does not name are warned of."""
    frame = named_codes(path, frame, layer=layer)
    coded = domains_message(path, layer, frame.attrs.get("domains") or {})
    if coded:
        warnings.warn(DataWarning(coded), stacklevel=3)
    return frame


def _map_layer(path: Path, layer: str | None) -> str | None:
    """``layer``, or for ``None`` the one layer of a vector file that is no GIS's style or
    project table (:func:`~prospect.io.vector.map_layers`): a GeoPackage's table of samples
    that QGIS styled ("Save style in database" writes ``layer_styles`` beside it) was
    refused as "holds no geometries (a table of attributes only; layers: samples,
    layer_styles)", as a unit map of one layer no longer is."""
    if layer is not None:
        return layer
    try:
        layers = list_layers(path, layer)
    except Exception:  # the read proper names what is wrong with the file
        return layer
    maps = map_layers(layers)
    return maps[0] if len(layers) > 1 and len(maps) == 1 else layer


def _attribute_table(path: Path, layer: str | None) -> bool:
    """Whether ``layer`` of a vector file (its only layer, when ``None``) is a table without
    geometries: a GeoPackage's attribute table of samples with coordinate columns was
    ``internal error: AttributeError: 'DataFrame' object has no attribute 'crs'``."""
    try:
        layers = list_layers(path, layer)
        if layer is None and len(layers) != 1:
            return False  # the read names the layers to choose from
        return layer_info(path, layer=layer).get("geometry_type") is None
    except Exception:  # the read proper names what is wrong with the file
        return False


def _cells_notation(frame: pd.DataFrame, decimal: str | None, path: Path) -> None:
    """Set ``frame.attrs`` ``decimal`` and ``undecided`` (as :func:`read_table` does for a
    text table) for a table read by another reader (a spreadsheet, a Parquet or
    GeoPackage attribute table): its number cells are numbers, but numbers typed or
    imported as text (``'5,1'`` in a Dutch sheet) are read in the source's ``decimal``,
    else in the notation its text cells show. Before, such a sheet was "these look like
    decimal commas: set 'decimal: \",\"'", and setting it changed nothing."""
    if decimal is not None:
        frame.attrs["decimal"], frame.attrs["undecided"] = decimal, {}
        return
    names = [str(c) for c in frame.columns]
    scan = _Scan(np.empty(0, "i8"), names, "\t", None, {}, {}, {})
    lines = frame.attrs.get("lines")  # a sheet's rows below a title keep their numbers
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if column.dtype != object and not isinstance(column.dtype, pd.StringDtype):
            continue
        text = column[column.map(lambda v: isinstance(v, str))].astype(str).str.strip()
        text = text[text.str.contains(r"\d[.,]\d", regex=True)].head(1000)
        for kind, pattern in ((scan.comma, _COMMA_DECIMAL), (scan.point, _POINT_DECIMAL),
                              (scan.either, _EITHER)):
            hit = text.map(_ungrouped).str.fullmatch(pattern.pattern)
            if hit.any():
                at = int(np.flatnonzero(hit.to_numpy(bool))[0])
                row = int(text.index[at])
                kind[i] = (text.iloc[at], int(lines[row]) if lines is not None else row + 2)
    if scan.comma or scan.point:
        scan.either.clear()  # numbers that read either way matter only when nothing tells
    notation = _notation(scan, None, path)
    frame.attrs["decimal"] = notation.decimal or "."
    frame.attrs["undecided"] = {names[i]: why for i, why in notation.undecided.items()}


def _cell_ref(ref: str) -> tuple[int, int] | None:
    """(row from 1, column from 0) of a cell reference (``C12``), or ``None``."""
    hit = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref.strip().upper())
    if hit is None:
        return None
    col = 0
    for letter in hit.group(1):
        col = col * 26 + ord(letter) - 64
    return int(hit.group(2)), col - 1


def _with_merged_cells(frame: pd.DataFrame, merged: list[str]) -> pd.DataFrame:
    """``frame`` (a sheet read with its first row the header) with its cells merged down
    the first rows (a header merged over a title row and the header row) filled as the
    sheet shows them, the text of the merged cell in each row it spans: GDAL gives it to
    the first row only, and ``li`` so merged was a column without a name ("no column(s)
    ['li']"). Cells merged across columns are not filled (a title merged over the table
    is no header of each column); they are kept in ``attrs["merged_across"]`` (row from 1,
    first and last column from 0, reference, text) for :func:`_refuse_merged_header`."""
    across: list[tuple[int, int, int, str, str]] = []
    names = [str(c) for c in frame.columns]
    for ref in merged:
        first, _, last = ref.partition(":")
        a, b = _cell_ref(first), _cell_ref(last or first)
        if a is None or b is None or a[0] > TITLE_ROWS_MAX + 2 or a == b or \
                a[1] >= frame.shape[1]:
            continue
        (r1, c1), (r2, c2) = a, b
        top = names[c1] if r1 == 1 else (_cell_text(frame.iat[r1 - 2, c1])
                                         if r1 - 2 < len(frame) else "")
        if not top or _GENERATED_NAME.fullmatch(top):
            continue
        if c2 > c1:
            across.append((r1, c1, min(c2, frame.shape[1] - 1), ref, top))
        for r in range(max(r1, 2), min(r2, len(frame) + 1) + 1):  # down its first column
            if not _cell_text(frame.iat[r - 2, c1]):
                if frame.iloc[:, c1].dtype != object:
                    frame.isetitem(c1, frame.iloc[:, c1].astype(object))
                frame.iat[r - 2, c1] = top
    frame.attrs["merged_across"] = across
    return frame


def _refuse_merged_header(frame: pd.DataFrame, path: Path, header: int,
                          read: list[str]) -> None:
    """Refuse a sheet whose header row (``header``, from 1) has a cell merged across
    columns over a column read (``read``): ``Li`` merged over a value column and its flag
    column named the first only, the flag (``<``) nameless and never read, and the row of
    sub-headers below it (``ppm``, ``flag``) was dropped as a record without
    coordinates."""
    names = [str(c) for c in frame.columns]
    for row, c1, c2, ref, top in frame.attrs.get("merged_across") or []:
        spanned = names[c1:c2 + 1]
        if row != header or not set(spanned) & set(read):
            continue
        raise DataError(
            f"{path}: the header's cell {ref} ({top!r}) is merged across {len(spanned)} "
            f"columns, so only the first is named {top!r} and the others are read without a "
            "name (a header of two rows, its second naming the parts?); write one header "
            "row with a name in every column (unmerge the cells, e.g. 'Li ppm' and "
            "'Li flag' for a value and its flag)")


def _dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A sheet's columns of date cells (a column a spreadsheet formatted as dates: GDAL
    gives them as dates) as the dates' text (``2023-12-07``), which the readers of a
    coordinate or value column name as dates a spreadsheet made of numbers. As dates,
    a value column was read as milliseconds since 1970 (``-2.2e12`` for Excel's 1 as
    a date), without a word."""
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        if not pd.api.types.is_datetime64_any_dtype(column.dtype):
            continue
        stamps = pd.to_datetime(column)
        whole = bool((stamps.dropna() == stamps.dropna().dt.normalize()).all())
        text = stamps.dt.strftime("%Y-%m-%d" if whole else "%Y-%m-%d %H:%M:%S")
        frame.isetitem(j, text.astype(object).where(stamps.notna(), None))
    return frame


XLSX_CELLS_READ_MAX = 2**28
"""The largest worksheet part (bytes, unpacked) whose cell types are read."""


@dataclass
class SheetCells:
    """What a sheet's XML says of its cells and GDAL's read does not (:func:`_sheet_cells`).

    ``numbers``: the number cells, (row from 1, column from 0) -> the value as stored;
    ``hidden``: the hidden rows (from 1); ``merged``: the merged cells (``C1:D1``);
    ``percent``: the number cells formatted as percentages (the sheet shows ``1.2%`` and
    stores 0.012); ``uncomputed``: the formula cells saved without the value they
    compute (a workbook a program wrote and no spreadsheet has recalculated);
    ``booleans``: the ``TRUE``/``FALSE`` cells and their value (GDAL gives them as 1 and
    0 in a column of numbers)."""

    numbers: dict[tuple[int, int], str]
    hidden: list[int]
    merged: list[str]
    percent: set[tuple[int, int]] = field(default_factory=set)
    uncomputed: list[tuple[int, int]] = field(default_factory=list)
    booleans: dict[tuple[int, int], bool] = field(default_factory=dict)


def _sheet_cells(path: Path, sheet: str | None) -> SheetCells | None:
    """The cells of a workbook's sheet (``sheet``; ``None``: the first) as its XML types
    them (:class:`SheetCells`): an ``.xlsx``/``.xlsm`` (:func:`_xlsx_number_cells`) or an
    ``.ods`` (:func:`_ods_cells`) sheet; ``None`` for another format, or when the parts
    cannot be read so (GDAL's read names what is wrong)."""
    if path.suffix.lower() == ".ods":
        return _ods_cells(path, sheet)
    return _xlsx_number_cells(path, sheet)


def _cell_name(row: int, col: int) -> str:
    """The reference of a cell (row from 1, column from 0): ``C12``."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


ODS_REPEAT_MAX = 10_000
"""The most repeated rows or columns of an ``.ods`` sheet whose cells are taken one by one
(a sheet's last row or column is often repeated to the sheet's end, empty)."""


def _ods_cells(path: Path, sheet: str | None) -> SheetCells | None:
    """The cells of an ``.ods`` sheet (``sheet``; ``None``: the first) as its
    ``content.xml`` types them (:class:`SheetCells`): its ``float``, ``percentage`` and
    ``currency`` cells, its rows hidden (``collapse``) or filtered out (``filter``), its
    cells spanning several columns or rows. Only an ``.xlsx`` sheet's were read: an
    ``.ods`` column mixing number cells with text numbers in decimal commas was refused
    as "both notations" (and below a title could not be read in ``decimal: ","``), its
    hidden rows were read without a word, a header cell merged across a value and its
    flag column named the value only, the flag (``<``) never read."""
    import zipfile
    from xml.etree import ElementTree

    table = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    office = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
    numbers: dict[tuple[int, int], str] = {}
    percent: set[tuple[int, int]] = set()
    booleans: dict[tuple[int, int], bool] = {}
    hidden: list[int] = []
    merged: list[str] = []

    def count(element: Any, key: str) -> int:
        try:
            return max(1, int(element.get(f"{table}{key}") or 1))
        except ValueError:
            return 1

    try:
        with zipfile.ZipFile(path) as zf:
            if zf.getinfo("content.xml").file_size > XLSX_CELLS_READ_MAX:
                return None
            depth, found, row = 0, False, 0  # depth: inside the sheet read (its tables)
            with zf.open("content.xml") as fh:
                for event, element in ElementTree.iterparse(fh, ("start", "end")):
                    if element.tag == f"{table}table":
                        if event == "start" and not found and depth == 0 and \
                                (sheet is None or element.get(f"{table}name") == sheet):
                            found, depth = True, 1
                        elif event == "start" and depth:
                            depth += 1  # a table inside a cell: not the sheet's rows
                        elif event == "end" and depth:
                            depth -= 1
                            if depth == 0:
                                break
                        continue
                    if event != "end" or element.tag != f"{table}table-row" or depth != 1:
                        continue
                    repeat = count(element, "number-rows-repeated")
                    col = 0
                    for cell in element:
                        across = count(cell, "number-columns-repeated")
                        kind = cell.get(f"{office}value-type")
                        value = cell.get(f"{office}value")
                        if kind in ("float", "percentage", "currency") and value and \
                                across * repeat <= ODS_REPEAT_MAX:
                            for r in range(row + 1, row + repeat + 1):
                                for c in range(col, col + across):
                                    numbers[(r, c)] = value.strip()
                                    if kind == "percentage":
                                        percent.add((r, c))
                        if kind == "boolean" and across * repeat <= ODS_REPEAT_MAX:
                            truth = (cell.get(f"{office}boolean-value") or "").strip()
                            for r in range(row + 1, row + repeat + 1):
                                for c in range(col, col + across):
                                    booleans[(r, c)] = truth.lower() == "true"
                        wide = count(cell, "number-columns-spanned")
                        tall = count(cell, "number-rows-spanned")
                        if wide > 1 or tall > 1:
                            merged.append(f"{_cell_name(row + 1, col)}:"
                                          f"{_cell_name(row + tall, col + wide - 1)}")
                        col += across
                    if element.get(f"{table}visibility") in ("collapse", "filter") and \
                            repeat <= ODS_REPEAT_MAX:
                        hidden.extend(range(row + 1, row + repeat + 1))
                    row += repeat
                    element.clear()
            return SheetCells(numbers, hidden, merged, percent,
                              booleans=booleans) if found else None
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None


def _xlsx_number_cells(path: Path, sheet: str | None) -> SheetCells | None:
    """The number cells of an ``.xlsx``/``.xlsm`` sheet (``sheet``; ``None``: the first)
    (:class:`SheetCells`): (row from 1, column from 0) -> the value as stored, those of a
    percentage format among them; the sheet's hidden rows (from 1); its merged cells
    (``C1:D1``). ``None`` when the workbook's parts cannot be read so (GDAL's read names
    what is wrong), or for another format.

    GDAL gives a column that mixes number cells and text cells as text, every number cell
    printed: which cell was a number (``5.1``) and which text a person typed (``'5,1'``,
    or ``1.125`` meaning 1125 in a Dutch sheet) cannot be told from what it gives. The
    cell's type in the sheet's XML tells it."""
    import posixpath
    import zipfile
    from xml.etree import ElementTree

    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        with zipfile.ZipFile(path) as zf:
            book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
            sheets = [(e.get("name"), e.get(f"{rel}id")) for e in book.iter(f"{main}sheet")]
            named = [s for s in sheets if sheet is None or s[0] == sheet][:1]
            if not named:
                return None
            links = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
            target = next((e.get("Target") for e in links
                           if e.get("Id") == named[0][1]), None)
            if target is None:
                return None
            part = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
            if zf.getinfo(part).file_size > XLSX_CELLS_READ_MAX:
                return None
            out: dict[tuple[int, int], str] = {}
            hidden: list[int] = []
            merged: list[str] = []
            percent: set[tuple[int, int]] = set()
            uncomputed: list[tuple[int, int]] = []
            booleans: dict[tuple[int, int], bool] = {}
            styles = _xlsx_percent_styles(zf)
            with zf.open(part) as fh:
                for _, element in ElementTree.iterparse(fh):
                    if element.tag == f"{main}mergeCell":
                        merged.append(element.get("ref") or "")
                    if element.tag == f"{main}row" and element.get("hidden") in ("1", "true"):
                        with contextlib.suppress(ValueError):  # a row without its number
                            hidden.append(int(element.get("r") or ""))
                    if element.tag != f"{main}c":
                        continue
                    ref, kind = element.get("r") or "", element.get("t", "n")
                    value = element.find(f"{main}v")
                    hit = re.fullmatch(r"([A-Z]+)(\d+)", ref)
                    col = 0
                    for letter in hit.group(1) if hit else "":
                        col = col * 26 + ord(letter) - 64
                    if value is None and hit and element.find(f"{main}f") is not None:
                        uncomputed.append((int(hit.group(2)), col - 1))
                    if kind == "n" and value is not None and value.text and hit:
                        out[(int(hit.group(2)), col - 1)] = value.text.strip()
                        if element.get("s") in styles:
                            percent.add((int(hit.group(2)), col - 1))
                    if kind == "b" and value is not None and value.text and hit:
                        booleans[(int(hit.group(2)), col - 1)] = value.text.strip() in (
                            "1", "true")
                    if element.tag == f"{main}c":
                        element.clear()
            return SheetCells(out, hidden, merged, percent, uncomputed, booleans)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None


_XLSX_PERCENT_FORMATS = {9, 10}
"""Excel's built-in number formats of percentages (``0%``, ``0.00%``)."""


def _xlsx_percent_styles(zf: Any) -> set[str]:
    """The cell styles (indices into ``cellXfs``, as a cell's ``s`` writes them) of an
    ``.xlsx`` workbook (an open :class:`zipfile.ZipFile`) that format a number as a
    percentage: a built-in one, or a format of the workbook's own with ``%`` outside its
    quoted text and escapes (``0.0%``, not ``0.0" %"``)."""
    from xml.etree import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    try:
        styles = ElementTree.fromstring(zf.read("xl/styles.xml"))
    except (KeyError, ElementTree.ParseError):  # (GDAL's read names a damaged part)
        return set()
    own = set()
    for fmt in styles.iter(f"{main}numFmt"):
        code = re.sub(r'"[^"]*"|\\.|\[[^]]*\]', "", fmt.get("formatCode") or "")
        if "%" in code:
            with contextlib.suppress(ValueError):
                own.add(int(fmt.get("numFmtId") or ""))
    xfs = styles.find(f"{main}cellXfs")
    out = set()
    for i, xf in enumerate(xfs if xfs is not None else []):
        with contextlib.suppress(ValueError):
            if int(xf.get("numFmtId") or 0) in _XLSX_PERCENT_FORMATS | own:
                out.add(str(i))
    return out


def _with_boolean_cells(frame: pd.DataFrame, cells: dict[tuple[int, int], bool]
                        ) -> pd.DataFrame:
    """``frame`` (a sheet read with its first row the header) with the sheet's
    ``TRUE``/``FALSE`` cells (:class:`SheetCells`) as booleans, not the 1 and 0 GDAL gives
    in a column of numbers: a grade column's ``TRUE`` cell was read as a grade of 1,
    without a word (:func:`column_values` now counts it among the cells that are not
    numbers)."""
    for j in range(frame.shape[1]):
        rows = [i for i in range(len(frame)) if (i + 2, j) in cells]
        if not rows or pd.api.types.is_bool_dtype(frame.iloc[:, j].dtype):
            continue
        restored = frame.iloc[:, j].astype(object).copy()
        for i in rows:
            if pd.notna(restored.iat[i]):
                restored.iat[i] = cells[(i + 2, j)]
        frame.isetitem(j, restored)
    return frame


def _with_number_cells(frame: pd.DataFrame, cells: dict[tuple[int, int], str]
                       ) -> pd.DataFrame:
    """``frame`` (a sheet read with its first row the header) with the cells that are
    number cells in the sheet (:func:`_xlsx_number_cells`) as numbers in its text columns,
    where GDAL printed them as numbers: a column mixing number cells with text numbers in
    decimal commas was refused as written "in both notations", and below a title (where
    GDAL gives every cell as text) could not be read in ``decimal: ","``."""
    frame.attrs["number_cells"] = True
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        if column.dtype != object and not isinstance(column.dtype, pd.StringDtype):
            continue
        rows = [i for i in range(len(frame)) if (i + 2, j) in cells]
        if not rows:
            continue
        restored = column.astype(object).copy()
        for i in rows:
            shown = restored.iat[i]
            if isinstance(shown, str) and _GDAL_NUMBER.fullmatch(shown.strip()):
                with contextlib.suppress(ValueError):
                    restored.iat[i] = float(cells[(i + 2, j)])
        frame.isetitem(j, restored)
    return frame


def _with_percent_cells(frame: pd.DataFrame, cells: SheetCells) -> pd.DataFrame:
    """``frame`` (a sheet read with its first row the header) with its cells formatted as
    percentages read as the sheet shows them (``1.2%``: 1.2, not the 0.012 stored), each
    such column's position in ``attrs["percent"]`` with the rows of its other number
    cells (:func:`_percent_units`). GDAL gives the stored fraction: ``Li2O`` shown as
    ``1.2%`` under a header or ``units:`` saying ``%`` was read as 0.012 %, a hundredth of
    the grade, without a word."""
    from decimal import Decimal, InvalidOperation

    columns: dict[int, list[int]] = {}
    for (row, j), stored in sorted(cells.numbers.items()):
        i = row - 2
        if not 0 <= i < len(frame) or j >= frame.shape[1]:
            continue
        if (row, j) not in cells.percent:
            columns.setdefault(j, [])
            columns[j].append(row)  # (a plain number cell among them)
            continue
        try:
            shown = float(Decimal(stored).scaleb(2))
        except InvalidOperation:
            continue
        if frame.iloc[:, j].dtype != object:
            frame.isetitem(j, frame.iloc[:, j].astype(object))
        frame.iat[i, j] = shown
        columns.setdefault(j, []).insert(0, -row)  # (negative: a percentage cell)
    frame.attrs["percent"] = {j: [r for r in rows if r > 0] for j, rows in columns.items()
                              if any(r < 0 for r in rows)}
    for j in frame.attrs["percent"]:
        column = frame.iloc[:, j]
        if column.map(lambda v: isinstance(v, float | int) or v is None).all():
            frame.isetitem(j, pd.to_numeric(column, errors="coerce"))
    return frame


def _uncomputed(frame: pd.DataFrame, cells: SheetCells) -> dict[int, list[str]]:
    """The formula cells saved without their value (:class:`SheetCells`), by the position
    of their column (its cells' references, ``C2``; a position, as a header below a title
    renames the columns): GDAL reads such a cell as empty, so a workbook written by a
    program (openpyxl, a database's report) and never opened in a spreadsheet, which
    computes its formulas, was read as missing values without a word.
    :func:`column_values` refuses a column read holding them, and
    :func:`read_features` the coordinate columns (:func:`refuse_uncomputed`)."""
    out: dict[int, list[str]] = {}
    for row, j in sorted(cells.uncomputed):
        if 0 <= j < frame.shape[1]:
            out.setdefault(j, []).append(_cell_name(row, j))
    return out


def refuse_uncomputed(frame: pd.DataFrame, path: Path | str, columns: list[str]) -> None:
    """Refuse when any of ``columns`` of a sheet holds formula cells saved without their
    value (:func:`_uncomputed`), which would be read as missing.

    Raises
    ------
    DataError
        Naming the cells and the fix.
    """
    names = [str(c) for c in frame.columns]
    found = {names[j]: refs for j, refs in (frame.attrs.get("uncomputed") or {}).items()
             if j < len(names) and names[j] in columns}
    if not found:
        return
    column, refs = next(iter(found.items()))
    raise DataError(
        f"{path}: column {column!r} holds {len(refs)} formula cell(s) saved without the "
        f"value they compute ({', '.join(refs[:5])}{', ...' if len(refs) > 5 else ''}): "
        "the workbook was written by a program and never recalculated, and each would be "
        "read as missing; open it in Excel or LibreOffice and save it again (which computes "
        "the formulas), or write the values instead of the formulas")


def _percent_units(frame: pd.DataFrame) -> None:
    """Name the columns of percentage cells (:func:`_with_percent_cells`) in the frame's
    ``attrs``, by their headers as read (below a title too): ``units`` ``%`` for a column
    of percentages only (a header or ``units:`` saying another unit is then warned of),
    ``percent_mixed`` (header -> the rows of its plain number cells) for one mixing them
    with plain numbers, which :func:`column_values` refuses."""
    names = [str(c) for c in frame.columns]
    units = dict(frame.attrs.get("units") or {})
    mixed = {}
    for j, plain in (frame.attrs.get("percent") or {}).items():
        if j >= len(names):
            continue
        if plain:
            mixed[names[j]] = plain
        elif names[j] not in units:
            units[names[j]] = "%"
            frame.attrs["units_where"] = {**(frame.attrs.get("units_where") or {}),
                                          names[j]: "in its cells formatted as percentages"}
    frame.attrs["units"] = units or frame.attrs.get("units")
    frame.attrs["percent_mixed"] = mixed


def _hidden_sheets(path: Path) -> set[str]:
    """The sheets an ``.xlsx`` workbook hides (``state="hidden"`` or ``"veryHidden"`` in
    its ``xl/workbook.xml``); none for another format, or where the part cannot be read
    (GDAL's read names what is wrong)."""
    import zipfile
    from xml.etree import ElementTree

    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return set()
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    try:
        with zipfile.ZipFile(path) as zf:
            book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return set()
    return {str(e.get("name")) for e in book.iter(f"{main}sheet")
            if e.get("state") in ("hidden", "veryHidden")}


def _warn_other_sheets(path: Path, read: str, frames: dict[str, pd.DataFrame], x: str,
                       y: str) -> None:
    """Warn of the other sheets of a workbook that hold coordinates under other names
    (``Longitude``/``Latitude``, ``X_RD``/``Y_RD``) beside the sheet read (the one holding
    the ``x``/``y`` columns): a second sheet of wells was left out without a word."""
    others = []
    for name, frame in frames.items():
        if name == read or not len(frame):
            continue
        cells = [str(c) for c in frame.columns] + [
            _cell_text(v) for row in frame.head(TITLE_ROWS_MAX).to_numpy() for v in row]
        kinds = {_coordinate_kind(c): c for c in cells if c and _coordinate_kind(c)}
        if {"x", "y"} <= set(kinds):
            others.append(f"{name!r} ({len(frame)} row{'s' if len(frame) != 1 else ''}; "
                          f"columns {kinds['x']!r}, {kinds['y']!r})")
    if others:
        warnings.warn(DataWarning(
            f"{path}: the sheet {read!r} is read (it holds the coordinate columns {x!r}/"
            f"{y!r}); {len(others)} other sheet(s) hold coordinates too and are not read: "
            f"{', '.join(others[:4])}; copy their rows into the sheet read (in its "
            "columns), or give each as its own source with 'layer:' (the sheet's name) "
            "and x:/y:"), stacklevel=4)


def _read_sheet(path: Path, layer: str | None, x: str = "lon", y: str = "lat"
                ) -> pd.DataFrame:
    """A spreadsheet's sheet (``layer``; else its one sheet, or the one sheet holding the
    ``x``/``y`` columns) as a table, its first row the header. A workbook was read as a
    vector layer without geometries: "internal error: AttributeError: 'DataFrame' object
    has no attribute 'crs'"; a workbook of several sheets was read at its first sheet
    without a word (the rows of a second sheet of wells lost; a README sheet first was
    "no column(s) ['lon', 'lat']" naming no other sheet).

    Raises
    ------
    InputFileError
        GDAL cannot read the workbook.
    DataError
        ``layer`` names no sheet; several sheets hold the coordinate columns and none is
        named (each named with its rows).
    """
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_XLSX_HEADERS": "FORCE",
                                     "OGR_ODS_HEADERS": "FORCE"})

    def read(sheet: str | None) -> pd.DataFrame:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # pyogrio's "more than one"
                frame = pyogrio.read_dataframe(path, layer=sheet, read_geometry=False)
            cells = _sheet_cells(path, sheet)
            if cells is not None:
                frame = _with_number_cells(frame, cells.numbers)
                frame = _with_boolean_cells(frame, cells.booleans)
                frame = _with_percent_cells(frame, cells)
                frame.attrs["hidden_rows"] = cells.hidden
                frame.attrs["uncomputed"] = _uncomputed(frame, cells)
                frame = _with_merged_cells(frame, cells.merged)
            frame = _dates_as_text(frame)
        except Exception as exc:  # GDAL's reasons are many: each is named
            kind = unreadable_workbook(path)
            raise InputFileError(
                f"{path}: cannot read the spreadsheet{f' sheet {sheet!r}' if sheet else ''}"
                + (f": {kind}" if kind else
                   f": {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}; save "
                   "the sheet as CSV (UTF-8)")) from None
        frame.columns = [str(c).strip() for c in frame.columns]
        counts = Counter(frame.columns)
        frame.attrs["repeated_columns"] = sorted(n for n, k in counts.items() if k > 1)
        return frame

    try:
        sheets = [str(row[0]) for row in pyogrio.list_layers(path)]
    except Exception:  # the read names what is wrong with the workbook
        sheets = []
    if layer is not None:
        if sheets and layer not in sheets:
            raise DataError(f"{path}: no sheet {layer!r}; its sheets are {sheets}: name one "
                            "with 'layer:'")
        return read(layer)
    if len(sheets) <= 1:
        return read(None)
    frames = {name: read(name) for name in sheets}

    def holds(frame: pd.DataFrame) -> bool:  # (its header may be below a title)
        head = [{_cell_text(v) for v in row} for row in frame.head(TITLE_ROWS_MAX).to_numpy()]
        return bool(len(frame)) and ({x, y} <= set(frame.columns)
                                     or any({x, y} <= cells for cells in head))

    placed = [n for n, f in frames.items() if holds(f)]
    hidden = _hidden_sheets(path)
    if len(placed) == 1:
        _warn_other_sheets(path, placed[0], frames, x, y)
        if placed[0] in hidden:
            visible = [n for n in sheets if n not in hidden]
            warnings.warn(DataWarning(
                f"{path}: the sheet {placed[0]!r} is read (the one holding the coordinate "
                f"columns {x!r}/{y!r}), but the workbook hides it (its visible sheet"
                f"{'s' if len(visible) != 1 else ''}: {', '.join(map(repr, visible[:4]))}): "
                "a sheet kept out of sight is often an old or raw copy; name the sheet to "
                "read with 'layer:' to say it is the one meant"), stacklevel=3)
        return frames[placed[0]]
    def described(name: str, frame: pd.DataFrame) -> str:
        rows = f"{len(frame)} row{'s' if len(frame) != 1 else ''}"
        if name in hidden:
            rows += ", hidden"
        if x in frame.columns and y in frame.columns:
            return f"{name!r} ({rows})"
        return f"{name!r} ({rows}; columns {list(frame.columns)[:6]})"

    said = ", ".join(described(n, f) for n, f in frames.items())
    raise DataError(
        f"{path}: the workbook holds {len(sheets)} sheets: {said}; "
        + (f"{len(placed)} hold the coordinate columns {x!r}/{y!r}: name the one to read "
           "with 'layer:' (the sheet's name), or copy their rows into one sheet, so that no "
           "sheet's rows are left out" if placed else
           f"none holds the coordinate columns {x!r}/{y!r}: name the sheet to read with "
           "'layer:' and its coordinate columns with x:/y:"))


def _grouped_degrees_hint(gdf: Any, x: str, y: str) -> str:
    """Why a table's degrees are no degrees where its coordinate cells read with the
    table's thousands separator (``5.123`` as 5123 in a table of decimal commas, ``5,123``
    in one of decimal points), which no degree has: decimal degrees typed in the other
    notation; ``""`` otherwise. Such a table was told its degrees "look like metres of a
    projected CRS"."""
    crs = getattr(gdf, "crs", None)
    decimal = gdf.attrs.get("decimal")
    if decimal not in (".", ",") or crs is None or not crs.is_geographic:
        return ""
    group = "." if decimal == "," else ","
    grouped = rf"\s*[-+\u2212]?\d{{1,3}}{re.escape(group)}\d{{3}}\s*"
    for column in (x, y):
        if column not in gdf.columns:
            continue
        cells = _text_cells(pd.Series(gdf[column]).dropna()).str.strip()
        hit = cells[cells.str.fullmatch(grouped)]
        if len(hit):
            notation = "decimal commas" if decimal == "," else "decimal points"
            return (f"; column {column!r} writes {hit.iloc[0]!r}, which the table's notation "
                    f"({notation}, {group!r} grouping thousands) reads as "
                    f"{hit.iloc[0].replace(group, '').strip()}: if these are decimal degrees "
                    f"typed with a decimal {'point' if group == '.' else 'comma'}, write them "
                    f"in {notation} as the table's other numbers are (or export the whole "
                    "table in one notation and set 'decimal:' to it)")
    return ""


def coordinates_without_geometry(path: Path | str, n: int, x: str, y: str) -> str:
    """The refusal of a vector layer none of whose ``n`` features has a geometry while its
    columns ``x``/``y`` hold coordinates (a GeoPackage exported without writing the points
    from its columns): it was "the point table is empty (no rows with coordinates)"."""
    return (f"{path}: none of the layer's {n} feature(s) has a geometry, but its columns "
            f"{x!r}/{y!r} hold coordinates (an export that did not write the points from "
            "them?): give the layer as a table (export it as CSV, its coordinates in "
            f"{x!r}/{y!r} and 'crs:'), or write its points from them (QGIS: Create Points "
            "Layer from Table)")


def placeless_said(gdf: gpd.GeoDataFrame, numbers: np.ndarray, what: str, x: str,
                   y: str) -> str:
    """Why a table none of whose records has a place has none, in words to end its
    refusal with (``""`` where it has no record, some record has a place, or another
    reason is said: coordinates written as text, a place at 0, 0).

    Every feature of a vector file (a GeoJSON's ``"geometry": null``, a GeoPackage's
    NULL, an empty point) without a geometry, or every record of a table with its
    coordinate columns ``x``/``y`` left blank, was "the point table is empty (no rows with
    coordinates)" or "no usable occurrence geometries": a table of rows, called empty,
    with no word of which rows or why.

    Parameters
    ----------
    gdf
        The records as :func:`read_features` gives them.
    numbers, what
        Each record's number in the file and what it is (``line``, ``row``, ``feature``:
        :func:`record_numbers`).
    x, y
        The coordinate columns of a table.
    """
    if not len(gdf) or has_geometry(gdf.geometry).any() or gdf.attrs.get("no_place") or \
            gdf.attrs.get("text_coordinates"):
        return ""
    at = np.arange(len(gdf))
    if what == "feature":
        return (f": every one of its {len(gdf)} {what}s ({_listed(numbers, at, what)}) has "
                "a null or empty geometry (a layer saved without its places, or features "
                "never placed?): give each feature its point, or give the records as a "
                "table with their coordinates in columns (x:, y: and crs: in the source)")
    def blank(column: str) -> bool:
        """Whether every cell of ``column`` is missing or blank."""
        cells = pd.Series(gdf[column])
        return bool((cells.isna() | _text_cells(cells.astype(object).fillna("")).str.strip()
                     .eq("")).all())

    every = f": every one of its {len(gdf)} {what}s ({_listed(numbers, at, what)})"
    if gdf.attrs.get("wkt_column"):  # (its cells said as the reader found them)
        return str(gdf.attrs.get("wkt_unread") or "").replace("; ", ": ", 1)
    empty = [c for c in dict.fromkeys((x, y)) if c in gdf.columns and blank(c)]
    if not empty:
        return ""
    return (f"{every} leaves {' and '.join(map(repr, empty))} blank: fill in each record's "
            "coordinates, or name the columns that hold them (x: and y: in the source)")


def header_again_said(gdf: pd.DataFrame, rows: np.ndarray, numbers: np.ndarray,
                      what: str) -> str:
    """The clause naming the ``rows`` (a mask) of a table that repeat its header (two
    exports joined one after another, :func:`read_features`' ``header_again``), for the
    warning of rows without coordinates: the point reader's and the labels' alike (the
    labels said "write numbers only (units belong in the header)" of the header's
    ``li``); empty where none does."""
    again = [int(numbers[i]) for i in gdf.attrs.get("header_again") or [] if rows[i]]
    return (f"; {_listed(np.asarray(again), np.arange(len(again)), what)} repeat"
            f"{'s' if len(again) == 1 else ''} the header (tables joined one after "
            "another?): check that no rows of either table are missing" if again else "")


_COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""The signature of a Microsoft compound file: an Excel 97-2003 workbook, or a workbook
of any suffix saved with a password (encrypted)."""

_SAVE_AS_CSV = ("open it in Excel (or LibreOffice Calc) and save the sheet as 'CSV UTF-8 "
                "(Comma delimited)', then give that file as the path")
"""The fix of a workbook Prospect cannot read."""


def unreadable_workbook(path: Path | str) -> str | None:
    """What a spreadsheet GDAL could not open is and how to export it, from its first
    bytes, or ``None`` where they say nothing more. GDAL's own words ("not recognized as
    being in a supported file format ... prefixing the file path with '<DRIVER>:', e.g.
    'CSV:path'") named a driver prefix as the fix, for an Excel 97-2003 ``.xls`` (no
    reader here), a workbook saved with a password (a compound file, whatever its
    suffix), one cut short (a copy or sync unfinished) and a web page or text table given
    a spreadsheet's suffix by a portal's "Excel" export.

    Parameters
    ----------
    path
        The spreadsheet.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return None
    suffix = Path(str(path)).suffix.lower()
    if head.startswith(_COMPOUND_FILE):
        what = ("an Excel 97-2003 workbook (.xls), which Prospect has no reader for"
                if suffix == ".xls" else
                "a workbook saved with a password (encrypted: a compound file, not the zip "
                f"a {suffix or 'workbook'} file is), which cannot be read without it; "
                "remove the password (File > Info > Protect Workbook), or")
        return f"it is {what}{';' if suffix == '.xls' else ''} {_SAVE_AS_CSV}"
    if head.startswith(b"PK\x03\x04"):
        return ("it is a zip file GDAL cannot open as a workbook: damaged or cut short (a "
                "copy, download or sync unfinished?); copy it again from its source, or "
                f"{_SAVE_AS_CSV}")
    if not head:
        return f"it is empty (0 bytes); {_SAVE_AS_CSV}"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"<", b"\xff\xfe", b"\xfe\xff")) or (
            text and all(b >= 32 or b in b"\t\r\n" for b in text[:256])):
        return ("it holds text (a web page or a text table with a spreadsheet's suffix, as "
                "some portals' 'Excel' exports are), not a workbook; give it a .csv suffix "
                f"if it is comma- or tab-separated text, else {_SAVE_AS_CSV}")
    return None


def read_points(
    path: Path | str, *, x: str = "lon", y: str = "lat", crs: str = "EPSG:4326",
    columns: list[str] | None = None, layer: str | None = None, to_crs: str,
    override_crs: bool = False, decimal: str | None = None, nodata: tuple[float, ...] = (),
    flags: dict[str, str | Qualifier] | None = None, cell: float | None = None,
    units: dict[str, str] | None = None, grid: Any = None, below_as_half: bool = False,
    max_radius: float | None = None, radius_column: str | None = None,
    limits: dict[str, str] | None = None,
) -> PointTable:
    """Read a point table (:func:`read_features`) and project it to ``to_crs``.

    Records without coordinates are dropped; ``columns`` are read as numbers
    (:func:`column_values`: ``nodata`` values are missing, and so are values that
    ``flags`` (value column -> its qualifier column, or a
    :class:`~prospect.io.companions.Qualifier` with its codes) or a companion column found
    by name marks below or above a detection limit). The table keeps each point's line
    and the units a second header row of units gives. ``cell`` is the region's cell size
    in ``to_crs``'s units: longitudes and latitudes rounded to a step coarser than it are
    warned of (:func:`warn_coarse_coordinates`). ``units`` (the source's ``units:``) say
    which columns are concentrations, whose negative values are missing. ``grid``, the
    region the points are for (a :class:`~prospect.grid.RegionGrid` in ``to_crs``), tells
    a vector file of another projected CRS from one of swapped axes
    (:func:`refuse_swapped_axes`): RD New metres under UTM were "swapped", the fix offered
    putting them near the equator. ``below_as_half`` (a surface's points) reads a value
    below a known detection limit as half that limit (:func:`_halved_limits`); the table's
    :attr:`PointTable.halved` marks them. ``max_radius`` (metres) drops the records whose
    location radius (``radius_column``, else a column found by name: ``radius_m``,
    ``accuracy_m``, ``coordinateUncertaintyInMeters``) exceeds it; without it, records
    whose radius exceeds ``cell`` are warned of (:func:`uncertain_places`). ``limits``
    (value column -> its detection-limit column, the source's ``limits:``) names a limit
    column whose name is no companion's (``lod_ppm`` beside ``li_ppm``).

    Raises
    ------
    InputFileError
        Missing or unreadable file.
    DataError
        Empty table, missing or non-numeric columns, non-point geometry.
    """
    path = as_path(path)  # a GdalPath keeps its name
    columns = list(columns or [])
    target = parse_crs(to_crs)
    flags = dict(flags or {})
    gdf = read_features(path, x=x, y=y, crs=crs, layer=layer,
                        columns=list(dict.fromkeys(
                            [*columns, *(str(qualifier_column(f)) for f in flags.values())])),
                        override_crs=override_crs, decimal=decimal)
    keep = has_geometry(gdf.geometry)
    numbers, what = record_numbers(gdf, path, layer)
    text = what != "feature"
    coords = f"coordinates {x}/{y}" if text else "coordinates"  # a vector file: its geometry
    if gdf.attrs.get("wkt_column"):
        coords = f"geometry (column {gdf.attrs['wkt_column']!r}, WKT)"
    unsaid = ~keep  # rows at 0, 0 have had their own warning
    unsaid[gdf.attrs.get("no_place", [])] = False
    if keep.any() and unsaid.any():
        rows = [int(numbers[i]) for i in unsaid.nonzero()[0]]
        warnings.warn(DataWarning(
            f"{path}: {len(rows)} of {len(keep)} row(s) without usable {coords} "
            f"dropped ({what}{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:5]))}"
            f"{', ...' if len(rows) > 5 else ''})"
            + text_coordinates_said(gdf.attrs.get("text_coordinates") or {}, numbers, what)
            + _hyphen_dms_said(gdf.attrs.get("hyphen_dms") or {}, unsaid, numbers, what)
            + gdf.attrs.get("wkt_unread", "")
            + header_again_said(gdf, unsaid, np.asarray(numbers), what)),
            stacklevel=2)
    keep = keep & ~quality_control_records(gdf, path, np.asarray(numbers), what, keep)
    keep = keep & ~uncertain_places(gdf, path, keep, np.asarray(numbers), what, cell=cell,
                                    cell_crs=target, max_radius=max_radius,
                                    radius=radius_column)
    gdf = _single_points(gdf, keep)
    _warn_repeated(gdf, keep, path, np.asarray(numbers), what)
    warn_ids_at_several_places(gdf, keep, path, np.asarray(numbers), what)
    if text:
        warn_bottom_hole_places(gdf, keep, path, np.asarray(numbers), what, x=x, y=y)
    kinds = sorted(set(gdf.geom_type[keep]))
    if kinds and kinds != ["Point"]:
        other = keep & (gdf.geom_type != "Point").to_numpy()
        at = other.nonzero()[0]
        raise DataError(
            f"{path}: expected point geometries, found {kinds}: {len(at)} of {int(keep.sum())} "
            f"{what}(s) are no point ({_listed(numbers, at, what)}: "
            f"{_kind_said(gdf.geometry.iloc[int(at[0])])}); "
            + (gpx_points_meant(path, layer) or "give one point per feature (multi-points "
               "split, e.g. ogr2ogr -explodecollections; polygons as their centroids)"))
    if not keep.any():
        if not text and len(gdf) and x in gdf.columns and y in gdf.columns:
            raise DataError(coordinates_without_geometry(path, len(gdf), x, y))
        raise DataError(
            f"{path}: the point table is empty (no rows with {coords})"
            + placeless_said(gdf, np.asarray(numbers), what, x, y)
            + ("" if len(gdf) else
               ": it holds a header and no rows (an export of an empty selection?); export "
               "the rows again" if text else
               f": layer {layer or '(first)'} holds no features (an export of an empty "
               "selection, or another layer meant?)")
            + text_coordinates_said(gdf.attrs.get("text_coordinates") or {}, numbers, what))
    points = gdf.geometry[keep]
    xs, ys = points.x.to_numpy(dtype="f8"), points.y.to_numpy(dtype="f8")
    if not text or grid is None:  # (a table for a region: ingest's surfaces say it, naming
        # the region; without one, RD New's eastings and northings exchanged were read
        # without a word, the labels refusing the same table)
        refuse_swapped_axes(xs, ys, gdf.crs, target, path, layer, np.asarray(numbers)[keep],
                            what, x=x, y=y, grid=grid)
    warn_coarse_coordinates(xs, ys, gdf.crs, cell, target, path, np.asarray(numbers)[keep],
                            what)
    read = {c: column_values_and_limits(gdf, c, path, keep=keep, numbers=numbers, what=what,
                                        nodata=tuple(nodata), flag=flags.get(c),
                                        unit=(units or {}).get(c),
                                        below_as_half=below_as_half,
                                        limit_column=(limits or {}).get(c)) for c in columns}
    values = {c: r.values for c, r in read.items()}
    halved = {c: np.isfinite(r.limit) & np.isfinite(r.values) for c, r in read.items()
              if below_as_half}
    for c in columns:  # (one sample ID at one place with two values: the labels said it,
        # the point reader read both without a word; said once, for the first such column)
        full = np.full(len(gdf), np.nan)
        full[keep] = values[c]
        if warn_ids_with_other_values(gdf, path, np.asarray(numbers), what, full, c,
                                      "each is read as a record of its own"):
            break
    check_transformable(gdf.crs, target, where=str(path))
    tx, ty = Transformer.from_crs(gdf.crs, target, always_xy=True).transform(xs, ys)
    tx, ty = np.asarray(tx, "f8"), np.asarray(ty, "f8")
    fits = np.isfinite(tx) & np.isfinite(ty) & valid_in_crs(xs, ys, gdf.crs)
    if not fits.all():  # outside the CRS's domain (a latitude of 200): PROJ gives inf
        rows = [int(numbers[i]) for i in keep.nonzero()[0][~fits]]
        if not fits.any():
            said = "the crs" if text else \
                "the crs (the file's own, or WGS 84 for a GeoJSON without one: give 'crs:')"
            raise DataError(
                (f"{path}: no row's {coords} are valid in {gdf.crs.name} (e.g. "
                 f"{xs[0]:g}, {ys[0]:g}); check the coordinate columns and {said}"
                 if text else f"{path}: no feature's coordinates are valid in "
                 f"{gdf.crs.name} (e.g. {xs[0]:g}, {ys[0]:g}); check {said}")
                + (_grouped_degrees_hint(gdf, x, y)
                   or metres_hint(xs, ys, gdf.crs, target, region_lonlat(grid))))
        warnings.warn(DataWarning(
            f"{path}: {len(rows)} of {len(keep)} row(s) with {coords} outside what "
            f"{gdf.crs.name} allows dropped ({what}{'s' if len(rows) > 1 else ''} "
            f"{', '.join(map(str, rows[:5]))}{', ...' if len(rows) > 5 else ''})"),
            stacklevel=2)
        tx, ty = tx[fits], ty[fits]
        values = {c: v[fits] for c, v in values.items()}
        halved = {c: v[fits] for c, v in halved.items()}
    if grid is not None and tx.size:  # (a row typed northing first: a well's value lost)
        warn_swapped_rows(xs[fits], ys[fits], gdf.crs, grid.longitudes_about(tx), ty, grid,
                          path, np.asarray(numbers)[keep.nonzero()[0][fits]], what)
    epsg = target.to_epsg()
    units = {c: u for c, u in (gdf.attrs.get("units") or {}).items() if c in columns}
    where = {c: w for c, w in (gdf.attrs.get("units_where") or {}).items() if c in units}
    return PointTable(x=tx, y=ty, values=values,
                      crs=f"EPSG:{epsg}" if epsg else target.to_wkt(), path=str(path),
                      source_crs=gdf.crs.to_string(),
                      lines=np.asarray(numbers)[keep.nonzero()[0][fits]], units=units,
                      units_where=where, halved=halved)
