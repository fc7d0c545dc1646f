"""Vector files (GeoPackage, Shapefile, GeoJSON...) read through pyogrio/geopandas.

GeoParquet, which the GDAL that pyogrio carries cannot open, is read by
:mod:`prospect.io.geoparquet` behind the same functions (one layer, named by its stem). A
GPX file whose one filled layer is its waypoints is read at it without ``layer:``; a KML
that only links to others (a ``NetworkLink``) is named as such.
"""

from __future__ import annotations

import contextlib
import ctypes
import difflib
import functools
import math
import os
import re
import struct
import threading
import time
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.errors import GEOSException

from prospect.errors import CRSError, DataError, InputFileError
from prospect.grid import parse_crs
from prospect.io.files import why_unreadable, zip_unreadable
from prospect.io.geoparquet import (
    PARQUET_SUFFIXES,
    geo_metadata,
    is_parquet,
    linear_geometry,
    parquet_info,
    parquet_parts,
    plain_parquet_fix,
    read_parquet,
)

__all__ = [
    "COORDINATE_LIMIT",
    "NATIONAL_GRIDS",
    "burnable",
    "check_columns",
    "check_coordinates",
    "column_alias_hint",
    "column_domain",
    "crs_replaced_message",
    "dataset_files",
    "dbf_overflows",
    "described_hint",
    "domains_message",
    "field_named",
    "file_version",
    "gdal_messages",
    "gdal_said_message",
    "geojson_crs_link",
    "gpx_layer",
    "great_circle_edges",
    "ground_shift",
    "has_geometry",
    "layer_crs",
    "layer_fields",
    "list_layers",
    "map_layers",
    "meant_crs_fix",
    "named_codes",
    "near_column",
    "no_geometry_message",
    "not_lonlat_hint",
    "read_attribute",
    "read_units",
    "read_vector",
    "recoded_message",
    "refuse_partial_prj",
    "remote_reads",
    "repaired_message",
    "reproject",
    "reproject_geometry",
    "retyped_message",
    "source_name",
    "stale_index_message",
    "stored_in_index_order",
    "surfaces_message",
    "text_coordinates",
    "text_coordinates_said",
    "undefined_srs",
    "unit_name",
    "utf8_read_as_code_page",
    "vietnamese_read_as_western",
    "western_read_as_other_code_page",
    "zip_datasets",
    "zip_members",
]


_GML_SUFFIXES = (".gml", ".xml")
"""Suffixes of files GDAL's GML driver opens, and beside which it writes a ``.gfs``."""


_GFS_LOCK = threading.Lock()
_GFS_READERS: dict[Path, int] = {}
"""``.gfs`` files this process's reads may write (none was there when the first began) ->
the reads of their GML file under way: the last to end removes it."""


@contextlib.contextmanager
def _no_gfs_left(name: str) -> Iterator[None]:
    """Remove the ``.gfs`` schema file GDAL's GML driver writes beside a local GML file on
    its first open, where none was there before: the read wrote a file into the source's
    folder, outside the output directory (``WRITE_GFS=NO`` is an open option, which
    ``pyogrio.list_layers`` takes none of). A ``.gfs`` the user keeps is left, and read.

    Reads of one file in several threads at once (an ingest's chunks) count as one: each
    read that found no ``.gfs`` took it as its own and removed it as it ended, so a
    second read that began after the first had written one took it as the user's and
    left it, once the first had removed it and the second's open had written it again
    (seen once in CI, round 37)."""
    gfs = None
    if not name.startswith("/vsi") and name.lower().endswith(_GML_SUFFIXES):
        candidate = Path(name).with_suffix(".gfs")
        with _GFS_LOCK:
            if candidate in _GFS_READERS:
                _GFS_READERS[candidate] += 1
                gfs = candidate
            elif not os.path.lexists(candidate):
                _GFS_READERS[candidate] = 1
                gfs = candidate
    try:
        yield
    finally:
        if gfs is not None:
            with _GFS_LOCK:
                _GFS_READERS[gfs] -= 1
                if not _GFS_READERS[gfs]:
                    del _GFS_READERS[gfs]
                    with contextlib.suppress(OSError):
                        if os.path.lexists(gfs):
                            gfs.unlink()


def _gml_options(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with GDAL's ``WRITE_GFS=NO`` open option for a GML file (no ``.gfs``
    written beside it)."""
    if name.lower().endswith(".gml") and "WRITE_GFS" not in kwargs:
        return {**kwargs, "WRITE_GFS": "NO"}
    return kwargs


_remote = threading.local()
"""This thread's GDAL HTTP settings for vector files read over a network
(:func:`remote_reads`)."""


@contextlib.contextmanager
def remote_reads(options: dict[str, str | int] | tuple[tuple[str, str | int], ...] | None
                 ) -> Iterator[None]:
    """Read vector files over a network under ``options`` in this thread.

    ``options`` are GDAL's HTTP settings (:func:`~prospect.io.remote.gdal_http_options` of
    a source's ``remote:``); ``None`` or empty keeps the defaults (those of an unset
    ``remote:``). pyogrio reads with a GDAL of its own, which the settings rasterio's GDAL
    is given never reached: a geology map on a server that accepts the connection and
    never answers held the job for ever.

    Parameters
    ----------
    options : dict or tuple of (str, value) pairs or None
        GDAL configuration options, applied to every network read of this thread inside
        the block.
    """
    outer = getattr(_remote, "options", None)
    _remote.options = dict(options) if options else None
    try:
        yield
    finally:
        _remote.options = outer


def _network_options() -> tuple[dict[str, str | int], bool]:
    """The HTTP settings of this thread's network reads, and whether a source's
    ``remote:`` gave them: :func:`remote_reads`' or else the defaults of an unset
    ``remote:`` (a point table, a mask or an outline read over a network), less those
    the environment sets (``GDAL_HTTP_TIMEOUT=120``: a thread's setting would hide it)."""
    from prospect.io.remote import DEFAULT_REMOTE, gdal_http_options

    options = getattr(_remote, "options", None)
    if options:
        return options, True
    return {k: v for k, v in gdal_http_options(**DEFAULT_REMOTE).items()
            if k not in os.environ}, False


@contextlib.contextmanager
def _gdal_config(options: dict[str, str | int]) -> Iterator[None]:
    """``options`` set in pyogrio's GDAL for this thread (``CPLSetThreadLocalConfigOption``:
    reads in other threads keep theirs), restored after; process-wide through pyogrio
    where its library cannot be found."""
    lib = _pyogrio_gdal()
    setter = getattr(lib, "CPLSetThreadLocalConfigOption", None) if lib is not None else None
    getter = getattr(lib, "CPLGetThreadLocalConfigOption", None) if lib is not None else None
    if setter is None or getter is None:
        before = {k: pyogrio.get_gdal_config_option(k) for k in options}
        pyogrio.set_gdal_config_options({k: str(v) for k, v in options.items()})
        try:
            yield
        finally:
            pyogrio.set_gdal_config_options(before)
        return
    setter.argtypes, setter.restype = [ctypes.c_char_p, ctypes.c_char_p], None
    getter.argtypes, getter.restype = [ctypes.c_char_p, ctypes.c_char_p], ctypes.c_char_p
    saved = {k: getter(k.encode(), None) for k in options}  # (bytes: copied by ctypes)
    for key, value in options.items():
        setter(key.encode(), str(value).encode())
    try:
        yield
    finally:
        for key, old in saved.items():
            setter(key.encode(), old)


@contextlib.contextmanager
def _over_network(name: str) -> Iterator[None]:
    """A read of ``name``: where it is read over a network, under this thread's HTTP
    settings (:func:`remote_reads`), and a failure of the network (a timeout, no
    connection, an unknown host, an HTTP error status) said as such, naming the URL and
    the settings to raise, not as a corrupt file."""
    from prospect.io.remote import (
        ENVIRONMENT_SETTINGS,
        SOURCE_SETTINGS,
        NetworkReadError,
        is_network_name,
        network_epoch,
        network_failure_message,
        read_failure,
    )

    if not is_network_name(name):
        yield
        return
    key = (name, network_epoch(name))  # a new plan's drop of its caches asks again
    with _FAILED_LOCK:
        failed = _FAILED.get(key)
    if failed is not None and time.monotonic() - failed[0] < _FAILED_KEPT_S:
        raise NetworkReadError(failed[1])
    quiet_measured()
    options, configured = _network_options()
    with _gdal_config(options):
        try:
            yield
        except (DataSourceError, DataLayerError) as exc:
            said = network_failure_message(
                name, str(exc), SOURCE_SETTINGS if configured else ENVIRONMENT_SETTINGS)
            if said:
                with _FAILED_LOCK:
                    if len(_FAILED) > 1024:  # a bound: an old failure is asked again
                        _FAILED.clear()
                    _FAILED[key] = (time.monotonic(), said)
                raise NetworkReadError(said) from None
            why = read_failure(str(exc))
            if why.startswith("no credentials"):  # an object store's keys, as for rasters
                raise InputFileError(f"{name}: cannot read: {why}") from None
            raise


_FAILED: dict[tuple[str, int], tuple[float, str]] = {}
"""Network names whose read the network just failed (when, and the message): the looks
at a file that fail quietly (a CRS check, a hint, a count) and the read after them each
waited out the timeout and retries again, so a dead server held a plan for many times
the timeout before its error."""
_FAILED_LOCK = threading.Lock()
_FAILED_KEPT_S = 60.0
"""How long a network failure is said again without asking the server."""


class _Ogr:
    """pyogrio's readers, opening a GML file without leaving a ``.gfs`` beside it, and a
    file over a network under the source's HTTP settings (:func:`remote_reads`)."""

    @staticmethod
    def list_layers(name: str) -> Any:
        """``pyogrio.list_layers``."""
        with _no_gfs_left(str(name)), _over_network(str(name)):
            return pyogrio.list_layers(name)

    @staticmethod
    def read_info(name: str, **kwargs: Any) -> Any:
        """``pyogrio.read_info``."""
        with _no_gfs_left(str(name)), _over_network(str(name)):
            return pyogrio.read_info(name, **_gml_options(str(name), kwargs))

    @staticmethod
    def read_dataframe(name: str, **kwargs: Any) -> Any:
        """``pyogrio.read_dataframe``."""
        with _no_gfs_left(str(name)), _over_network(str(name)):
            return pyogrio.read_dataframe(name, **_gml_options(str(name), kwargs))

    @staticmethod
    def read_wkb(name: str, **kwargs: Any) -> tuple[dict[str, Any], Any, Any]:
        """``pyogrio.raw.read`` of the geometries alone: the layer's metadata, its
        features' ids and their WKB (``None`` for a feature without a geometry), in file
        order."""
        with _no_gfs_left(str(name)), _over_network(str(name)):
            meta, fids, wkb, _ = pyogrio.raw.read(
                name, **_gml_options(str(name), {**kwargs, "columns": [],
                                                 "return_fids": True}))
            return meta, fids, wkb

    @staticmethod
    def read_arrow(name: str, **kwargs: Any) -> Any:
        """``pyogrio.read_arrow``."""
        with _no_gfs_left(str(name)), _over_network(str(name)):
            return pyogrio.read_arrow(name, **_gml_options(str(name), kwargs))


_ogr = _Ogr()


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
    # A file of several layers opened without a layer (a header read for its columns):
    # pyogrio takes the first and says so; the read proper refuses it, naming the layers.
    warnings.filterwarnings("ignore", message=r"More than one layer found in",
                            category=UserWarning)
    # A ring whose last point is not its first: GDAL reads it and says so on each read; it
    # is closed by the reader (read_vector) and counted in a data warning instead.
    warnings.filterwarnings("ignore", message=r"Non closed ring detected",
                            category=RuntimeWarning)
    # A file read over a network that did not come: GDAL says "HTTP response code on
    # <url>: 0" as a warning before the error the reader says the failure with.
    warnings.filterwarnings("ignore", message=r"HTTP response code on ",
                            category=RuntimeWarning)
    # A GeoPackage opened through a zip that names no file inside it (a zip on a server
    # read as the file it holds): GDAL warns of the zip's name on every open.
    warnings.filterwarnings("ignore", message=r".*has GPKG application_id, but non "
                            "conformant file extension", category=RuntimeWarning)


# --- GDAL's own messages ------------------------------------------------------------------

_CPL_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_int, ctypes.c_char_p)
_CPL_WARNING = 2
_collecting = threading.local()


@_CPL_HANDLER
def _collect(err_class: int, _err_no: int, message: bytes | None) -> None:
    """GDAL's error handler while a read collects: messages go to this thread's list."""
    got = getattr(_collecting, "messages", None)
    if got is not None and err_class >= _CPL_WARNING and message:
        got.append(message.decode("utf-8", errors="replace").strip())


@functools.cache
def _pyogrio_gdal() -> Any:
    """The GDAL library pyogrio reads with (its wheel's own copy; rasterio has another),
    or ``None`` where it cannot be found (GDAL's messages then go where pyogrio sends
    them)."""
    import glob
    import os

    here = os.path.dirname(pyogrio.__file__)
    found = sorted(glob.glob(os.path.join(here, os.pardir, "pyogrio.libs", "libgdal*")))
    try:
        lib = ctypes.CDLL(found[0]) if found else None
        if lib is not None:
            lib.CPLPushErrorHandler.argtypes = [_CPL_HANDLER]
            lib.CPLPushErrorHandler.restype = None
            lib.CPLPopErrorHandler.argtypes = []
            lib.CPLPopErrorHandler.restype = None
    except (OSError, AttributeError):
        return None
    return lib


@contextlib.contextmanager
def gdal_messages() -> Iterator[list[str]]:
    """Collect the warnings GDAL writes while reading (``Warning 1: Non closed ring
    detected``, a field value it truncated...) into a list, in this thread only.

    pyogrio turns them into Python warnings in the thread that imported it; in a dask
    worker's threads GDAL printed them raw on the worker's stderr, once per chunk. The
    handler is GDAL's thread-local one (``CPLPushErrorHandler``), so reads in other
    threads are not touched; GDAL's errors still reach pyogrio as exceptions (it reads
    the last error, not the handler).
    """
    lib = _pyogrio_gdal()
    outer = getattr(_collecting, "messages", None)
    messages: list[str] = []
    if lib is None:
        yield messages
        return
    _collecting.messages = messages
    lib.CPLPushErrorHandler(_collect)
    try:
        yield messages
    finally:
        lib.CPLPopErrorHandler()
        _collecting.messages = outer
        if outer is not None:
            outer.extend(messages)


_UNCLOSED = "Non closed ring detected"


def gdal_said_message(path: Path | str, layer: str | None, said: dict[str, int]) -> str:
    """The data warning for what GDAL reported while reading a layer (``said``: message ->
    times), or ``""``; rings it found not closed are counted on their own (the reader
    closes them)."""
    said = {m: n for m, n in said.items() if not m.startswith(_UNCLOSED)}
    if not said:
        return ""
    shown = "; ".join(f"{m!r}" + (f" ({n} times)" if n > 1 else "")
                      for m, n in list(said.items())[:3])
    more = f"; and {len(said) - 3} other message(s)" if len(said) > 3 else ""
    return (f"{path}: GDAL reported while reading layer {layer or '(first)'}: {shown}{more}; "
            "the features were read as GDAL returned them: check the file (ogrinfo -al "
            "-so), or rewrite it with ogr2ogr")


def _tally(messages: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for m in messages:
        out[m] = out.get(m, 0) + 1
    return out


# --- what a path names: a file, a Shapefile and its parts, a member of a zip ---------------

VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".kml", ".kmz", ".gml",
                   ".sqlite", ".tab", ".mif", ".topojson", ".gdb", ".gpx")
"""Files (and ``.gdb`` folders) in a zip that are taken for a vector dataset."""


@dataclass(frozen=True)
class _Source:
    """A vector path as written (``shown``, for messages) and as GDAL opens it (``name``):
    a ``.zip`` is opened at the vector file (or folder of Shapefiles) inside it."""

    shown: str
    name: str
    archive: Path | None = None
    members: tuple[str, ...] | None = None

    @property
    def shapefiles(self) -> list[str]:
        """The ``.shp`` names this source reads (in the archive, or the file itself)."""
        if self.members is None:
            return [self.name] if self.name.lower().endswith(".shp") else []
        inner = self.name.split(str(self.archive), 1)[-1].strip("/")
        return [m for m in self.members if m.lower().endswith(".shp") and
                (m == inner or (not inner.lower().endswith(".shp")
                                and m.rsplit("/", 1)[0] == inner)
                 or (not inner and "/" not in m))]

    @property
    def path(self) -> Path:
        """``shown`` as a path for messages: a GDAL name (``/vsizip//abs/geo.zip/geo.shp``)
        kept as written (:class:`~prospect.config.vsi.GdalPath`; ``Path`` printed it with
        one ``/``, a name GDAL reads relative to the working folder)."""
        from prospect.config.vsi import GdalPath, is_gdal_name

        return GdalPath(self.shown) if is_gdal_name(self.shown) else Path(self.shown)


def zip_members(archive: Path) -> tuple[str, ...]:
    """The files of a zip, without folders and the macOS resource forks a zip made on a
    Mac carries (``__MACOSX/``, ``._geo.shp``: no vector data)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as exc:
        said = _what_instead(_Source(str(archive), str(archive)))
        raise InputFileError(f"{archive}: is no zip archive ({exc})" + (
            f": {said}" if said else "; check the download, or give the vector file itself")
            ) from None
    except OSError as exc:
        raise InputFileError(f"{archive}: cannot read the archive ({exc.strerror or exc})"
                             ) from None
    members = tuple(n for n in names if not n.endswith("/") and not n.startswith("__MACOSX/")
                    and not n.rsplit("/", 1)[-1].startswith("._"))
    unreadable = zip_unreadable(archive, zip_datasets(members) or list(members))
    if unreadable is not None:  # a password-protected zip: an internal error, or "corrupt?"
        raise InputFileError(f"{archive}: {unreadable}")
    return members


def zip_datasets(members: tuple[str, ...]) -> list[str]:
    """The vector datasets among an archive's files (a ``.gdb`` folder counts once)."""
    out: list[str] = []
    for member in members:
        parts = member.split("/")
        gdb = next((i for i, p in enumerate(parts[:-1]) if p.lower().endswith(".gdb")), None)
        if gdb is not None:
            found = "/".join(parts[:gdb + 1])
        elif Path(member).suffix.lower() in VECTOR_SUFFIXES + PARQUET_SUFFIXES:
            found = member
        else:
            continue
        if found not in out:
            out.append(found)
    return out


def _shown(names: list[str] | tuple[str, ...], n: int = 8) -> str:
    return ", ".join(names[:n]) + (f", ... ({len(names)} in all)" if len(names) > n else "")


def _in_zip(archive: Path, members: tuple[str, ...], layer: str | None) -> str:
    """What GDAL opens of a zip: its one vector file, the folder of its Shapefiles (each a
    layer, picked by ``layer:``), or the Shapefile ``layer:`` names."""
    root = f"/vsizip/{archive.resolve()}"
    found = zip_datasets(members)
    if not found:
        raise InputFileError(
            f"{archive}: the archive holds no vector file GDAL reads (its files: "
            f"{_shown(members) or 'none'}); "
            + ("they are the tables of an Esri FileGDB zipped without their .gdb folder, "
               "which GDAL reads a FileGDB as: extract them into a folder named "
               f"{Path(archive.name).stem.removesuffix('.gdb')}.gdb and give that folder "
               "(or zip the folder itself)"
               if any(m.lower().endswith(".gdbtable") for m in members) else
               "a text table is no vector map: give the archive as a points source "
               "(a table is read zipped), or the archive of the map"
               if any(Path(m).suffix.lower() in (".csv", ".txt", ".tsv", ".dat", ".xyz")
                      for m in members) else
               "give the archive of the vector file (a Shapefile with its .shx, .dbf and "
               ".prj, a GeoPackage...), or the vector file itself"))
    if len(found) == 1:
        return f"{root}/{found[0]}"
    folders = {f.rsplit("/", 1)[0] if "/" in f else "" for f in found}
    if all(f.lower().endswith(".shp") for f in found) and len(folders) == 1:
        folder = folders.pop()
        return f"{root}/{folder}" if folder else root  # each Shapefile a layer
    if layer is not None:
        named = [f for f in found if field_named([Path(f).stem], layer) is not None]
        if len(named) == 1:
            return f"{root}/{named[0]}"
    raise DataError(
        f"{archive}: the archive holds {len(found)} vector files ({_shown(found)}); name "
        "the one to read with 'layer:' (a Shapefile's name without .shp), or give the file "
        f"inside as the path (/vsizip/{archive.name}/<file>), or extract it")


_NETWORK_ZIP = re.compile(r"\.zip(?:\?[^/]*)?$", re.IGNORECASE)
"""A zip's name at the end of a URL (a presigned one's query after it)."""
_ARCHIVE_VSI = ("/vsizip/", "/vsitar/", "/vsigzip/", "/vsi7z/", "/vsirar/")


def _source(path: Path | str, layer: str | None = None) -> _Source:
    """What ``path`` (as the config gives it) names for GDAL."""
    from prospect.config.vsi import archive_file
    from prospect.io.remote import is_network_name

    text = str(path)
    if text.startswith("/vsi") and _NETWORK_ZIP.search(text) and is_network_name(text) \
            and not text.lower().startswith(_ARCHIVE_VSI):
        # a zip on a server, opened as a local one is: at its vector file (GDAL opens a
        # zip of one file as that file, and one of Shapefiles as their folder); it was
        # "cannot read as a vector file (corrupt?)"
        return _Source(text, f"/vsizip/{{{text}}}")
    if text.startswith("/vsi"):
        archive = archive_file(text)
        members = zip_members(Path(archive)) if archive is not None and \
            text.lower().startswith("/vsizip/") and Path(archive).is_file() else None
        return _Source(text, text, Path(archive) if archive else None, members)
    local = Path(text)
    if local.suffix.lower() == ".zip" and local.is_file():
        members = zip_members(local)
        return _Source(text, _in_zip(local, members, layer), local, members)
    if local.suffix.lower() == ".kmz" and local.is_file():
        member = _kmz_schema_document(local)
        if member is not None:
            return _Source(text, f"/vsizip/{local.resolve()}/{member}")
    if local.suffix.lower() == ".gz" and Path(local.stem).suffix.lower() in _GZIPPED \
            and local.is_file():  # GDAL reads a gzipped file only through /vsigzip/
        return _Source(text, f"/vsigzip/{local.resolve()}", local)
    return _Source(text, text)


_SCHEMA_DATA = b"<SchemaData"
"""The KML element of typed attributes (GDAL's KML driver and ArcGIS write them so)."""


def _kmz_schema_document(archive: Path) -> str | None:
    """The one ``.kml`` inside a KMZ, where its attributes are ``SchemaData``; ``None``
    for any other KMZ.

    GDAL's LIBKML driver reads a KMZ's placemarks without their ``SchemaData`` (a KML
    written by GDAL's KML driver, or ArcGIS's "Layer To KML", zipped): ``attribute:
    unit`` was refused as "no column 'unit'", listing LIBKML's own columns, though the
    file holds ``unit`` in every placemark. Read through ``/vsizip/``, the same document
    keeps them."""
    try:
        with zipfile.ZipFile(archive) as zf:
            kmls = [n for n in zf.namelist() if n.lower().endswith(".kml")
                    and not n.startswith("__MACOSX/")]
            if len(kmls) != 1:
                return None
            with zf.open(kmls[0]) as fh:
                tail = b""
                while chunk := fh.read(1 << 20):
                    if _SCHEMA_DATA in tail + chunk:
                        return kmls[0]
                    tail = chunk[-len(_SCHEMA_DATA):]
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return None  # an encrypted KMZ: the reader names it (files.zip_unreadable)
    return None


def source_name(path: Path | str, layer: str | None = None) -> str:
    """The name GDAL (or the GeoParquet reader) opens for ``path``: the vector file inside
    a ``.zip`` (``/vsizip//abs/a.zip/pts.parquet``), else ``path`` as written."""
    return _source(path, layer).name


_GZIPPED = frozenset({".geojson", ".json", ".geojsonl", ".geojsons", ".kml", ".gml", ".fgb",
                      ".gpx"})
"""Vector formats read from a gzipped file (``pts.geojson.gz``: GDAL's own name for it is
``/vsigzip/pts.geojson.gz``; before, "not recognized as being in a supported format")."""


def dataset_files(path: Path | str) -> tuple[str, ...]:
    """The files a vector path reads, for its checksums: a Shapefile's ``.shp`` and the
    files beside it (``.dbf``, ``.shx``, ``.prj``, ``.cpg``: a unit renamed in the ``.dbf``
    changes no byte of the ``.shp``), the parts of a partitioned GeoParquet folder, the
    archive of a ``.zip`` or ``/vsizip/`` name (that name itself), any other path alone."""
    text = str(path)
    if not text.startswith("/vsi") and Path(text).is_dir() and is_parquet(text):
        return parquet_parts(Path(text))  # a partitioned GeoParquet dataset: every part
    if text.startswith("/vsi") or not text.lower().endswith(".shp"):
        return (text,)
    local = Path(text)
    parts = [_sidecar(local, s) for s in (".shx", ".dbf", ".prj", ".cpg")]
    return (text, *(str(p) for p in parts if p is not None))


def file_version(path: Path | str) -> tuple[int, ...]:
    """(mtime, size) of each local file a vector path reads, to key what is cached of it;
    for a file read over a network, the number of its last drop from GDAL's caches
    (:func:`~prospect.io.remote.network_epoch`: a URL has no stamp, so a map replaced on
    its server was read from this process's caches as it was, its old units and lines)."""
    from prospect.config.vsi import archive_file
    from prospect.io.remote import is_network_name, network_epoch

    if is_network_name(str(path)):
        return (-1, network_epoch(str(path)))
    out: list[int] = []
    for name in dataset_files(path):
        try:
            st = Path(archive_file(name) or name).stat()
        except OSError:
            continue
        out += [st.st_mtime_ns, st.st_size]
    return tuple(out)


def unit_name(value: object) -> str:
    """An attribute value as a unit name: ``""`` where there is none (null or NaN).

    A whole number is named without a decimal point whatever its type: an integer code
    column with one null reads as floats (``1.0``) when read whole and as integers
    (``1``) in a window without the null, and both must name the same unit. A name of
    only spaces is no name (``""``), as a null is; so are pandas' ``NA`` and ``NaT``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or \
            value is pd.NA or value is pd.NaT:  # (a nullable column's null, as pyarrow
        return ""  # gives a GeoParquet's: it was a unit named '<NA>')
    if isinstance(value, str) and not value.strip():
        return ""  # only spaces: no name, not a unit of its own beside the nameless one
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple | dict | np.ndarray):
        return listed_name(value)
    return str(value)


def listed_name(value: Any) -> str:
    """A list or an object (a GeoJSON property holding ``["granite", "gneiss"]`` or
    ``{"code": 1}``, read as a NumPy array or a dict) as a unit name: its JSON text, as
    QGIS shows it. It was Python's ``repr`` in the code table, and ``internal error:
    TypeError: unhashable type`` where the units' contacts were drawn."""
    import json

    plain = value.tolist() if isinstance(value, np.ndarray) else value
    return json.dumps(plain, ensure_ascii=False, default=str)


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


def _member_beside(members: tuple[str, ...], shp: str, suffix: str) -> str | None:
    """The archive member beside ``shp`` with ``suffix`` (any letter case), or ``None``."""
    stem = shp[:-4].lower()
    return next((m for m in members if m.lower() == stem + suffix), None)


def _check_shapefile(src: _Source) -> None:
    """A ``.shp`` whose ``.shx`` or ``.dbf`` is not beside it (in its folder or its zip) is
    named with the missing file (GDAL reads a ``.shp`` without its ``.dbf`` as having no
    columns at all)."""
    for shp in src.shapefiles:
        if src.members is not None:
            missing = [f"{Path(shp).with_suffix(s).name} ({what})"
                       for s, what in SHAPEFILE_PARTS.items()
                       if _member_beside(src.members, shp, s) is None]
            where = f"beside it in {src.archive}"
        else:
            path = Path(shp)
            if not path.is_file():
                continue
            missing = [f"{path.with_suffix(s).name} ({what})"
                       for s, what in SHAPEFILE_PARTS.items() if _sidecar(path, s) is None]
            where = "beside it"
        if not missing:
            _check_records(src, shp)
            _check_length(src, shp)
        if missing:
            stem = Path(shp).stem
            raise InputFileError(
                f"{src.shown}: the Shapefile {Path(shp).name} is incomplete: "
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing "
                f"{where}; copy every file of the Shapefile ({stem}.shp, .shx, .dbf, .prj) "
                "into the same folder (or archive), or use a GeoPackage")


def _part_head(src: _Source, shp: str, suffix: str, size: int) -> tuple[bytes, int] | None:
    """The first ``size`` bytes of a Shapefile's part and its length, or ``None``."""
    try:
        if src.members is not None and src.archive is not None:
            member = _member_beside(src.members, shp, suffix)
            if member is None:
                return None
            with zipfile.ZipFile(src.archive) as zf, zf.open(member) as fh:
                return fh.read(size), zf.getinfo(member).file_size
        part = _sidecar(Path(shp), suffix)
        if part is None:
            return None
        with part.open("rb") as fh:
            return fh.read(size), part.stat().st_size
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError):
        return None  # an encrypted part: zip_members names it


def _check_records(src: _Source, shp: str) -> None:
    """Refuse a Shapefile whose ``.dbf`` holds another number of records than its ``.shx``
    indexes shapes (a ``.dbf`` of another version copied beside it): GDAL read the shapes
    the ``.dbf`` has records for and dropped the rest without a word (a unit's polygon
    lost), or gave shapes attributes that are not theirs."""
    dbf, shx = _part_head(src, shp, ".dbf", 8), _part_head(src, shp, ".shx", 0)
    if dbf is None or shx is None or len(dbf[0]) < 8:
        return
    records = int.from_bytes(dbf[0][4:8], "little")
    shapes = (shx[1] - 100) // 8
    if shx[1] >= 100 and records != shapes:
        raise InputFileError(
            f"{src.shown}: the Shapefile {Path(shp).name} has {shapes} shape(s) but its "
            f"{Path(shp).with_suffix('.dbf').name} holds {records} record(s): the files are "
            "not of one Shapefile (one copied from another version?); copy the .shp, .shx "
            "and .dbf of one export together, or use a GeoPackage")


def _index_stale(src: _Source) -> str:
    """Why the spatial index beside the Shapefile ``src`` reads (a ``.qix``, GDAL's and
    MapServer's; a ``.sbn``, ArcGIS's) is not of its ``.shp``, or ``""``: it indexes
    another number of shapes than the ``.shx`` holds, or an extent the ``.shp``'s does not
    fit in (an index left from an earlier export when the new one was copied over it).
    GDAL filters a box by such an index: the features it does not hold were left out of
    every chunk (half a geology map no data), without a word."""
    if len(src.shapefiles) != 1:
        return ""
    shp = src.shapefiles[0]
    shx, head = _part_head(src, shp, ".shx", 0), _part_head(src, shp, ".shp", 100)
    if shx is None or shx[1] < 100 or head is None or len(head[0]) < 100:
        return ""
    shapes = (shx[1] - 100) // 8
    extent = struct.unpack("<4d", head[0][36:68])  # xmin, ymin, xmax, ymax
    for suffix in (".qix", ".sbn"):
        index = _part_head(src, shp, suffix, 64)
        if index is None or len(index[0]) < 64:
            continue
        raw = index[0]
        if suffix == ".qix":  # 'SQT', byte order (1 LSB, 2 MSB), version; count; depth;
            if raw[:3] != b"SQT" or raw[3] not in (1, 2):  # the root node: offset, extent
                continue
            order = "<" if raw[3] == 1 else ">"
            indexed = struct.unpack(order + "i", raw[8:12])[0]
            bounds = struct.unpack(order + "4d", raw[20:52])
        else:  # a .shp-like header: the count (big-endian) at 28 (its extent, ArcGIS's
            indexed = int.from_bytes(raw[28:32], "big")  # own, is not compared)
            bounds = extent
        name = Path(shp).with_suffix(suffix).name
        if indexed != shapes:
            return f"its spatial index {name} indexes {indexed} shape(s), the .shp holds " \
                f"{shapes}"
        # (a .qix is made with the .shp's extent, and GDAL remakes it when it edits the file)
        pad = 1e-9 * max(1.0, *(abs(v) for v in extent))
        if any(abs(b - e) > pad for b, e in zip(bounds, extent, strict=True)):
            return (f"its spatial index {name} covers x {bounds[0]:.10g} to {bounds[2]:.10g}, "
                    f"y {bounds[1]:.10g} to {bounds[3]:.10g}, the .shp x {extent[0]:.10g} to "
                    f"{extent[2]:.10g}, y {extent[1]:.10g} to {extent[3]:.10g}")
    return ""


def stale_index_message(path: Path | str, layer: str | None = None) -> str:
    """The data warning for a Shapefile whose spatial index is of another version of it
    (:func:`_index_stale`), which the reader does not use; ``""`` for any other file."""
    try:
        src = _source(path, layer)
        why = _index_stale(src)
    except (InputFileError, DataError):
        return ""
    if not why:
        return ""
    index = why.split(" ")[3]
    return (f"{path}: {why}: the index is of another version of the Shapefile (left from "
            "an earlier export?), and GDAL, filtering by it, leaves out the features it "
            "does not hold; it is not used (each read scans the file): delete "
            f"{index}, or rebuild it (ogrinfo {Path(str(path)).name} -sql 'CREATE SPATIAL "
            f"INDEX ON {Path(src.shapefiles[0]).stem}')")


SHX_SCANNED_MAX = 2**27
"""Largest ``.shx`` read whole to find where its last shape ends in the ``.shp``."""


def _check_length(src: _Source, shp: str) -> None:
    """Refuse a ``.shp`` shorter than its ``.shx`` says (a download or a copy cut short, or
    a ``.shx`` of another version): GDAL stopped at the first shape past the end with
    "cannot read layer None: Error in fread() reading object of size 136 at offset 508
    from .shp file", which names neither the cause nor the fix. (The ``.shp`` header's own
    length is not trusted: writers get it wrong; the ``.shx`` is where GDAL reads.)"""
    head, shx = _part_head(src, shp, ".shp", 0), _part_head(src, shp, ".shx", 0)
    if head is None or shx is None or not 108 <= shx[1] <= SHX_SCANNED_MAX:
        return
    index = _part_head(src, shp, ".shx", shx[1])
    if index is None or len(index[0]) < 108:
        return
    records = np.frombuffer(index[0][100:100 + (len(index[0]) - 100) // 8 * 8],
                            dtype=">i4").reshape(-1, 2).astype(np.int64)
    end = int(((records[:, 0] + records[:, 1]) * 2 + 8).max())  # (16-bit words; headers)
    if head[1] >= end:
        return
    raise InputFileError(
        f"{src.shown}: the Shapefile {Path(shp).name} holds {head[1]} bytes, but its "
        f"{Path(shp).with_suffix('.shx').name} places shapes up to byte {end}: the .shp was "
        "cut short (a download or copy that did not finish) or the .shx is of another "
        "version; copy every file of the Shapefile (.shp, .shx, .dbf, .prj) again from one "
        "export, or use a GeoPackage")


DBF_SCANNED_MAX = 2**28
"""Largest ``.dbf`` scanned for numbers written as asterisks (it is read whole)."""


def dbf_overflows(path: Path | str, layer: str | None = None) -> dict[str, np.ndarray]:
    """Numeric fields of a Shapefile's ``.dbf`` (in its folder or its zip) holding values
    written as asterisks, each with the records (0-based) that hold them.

    dBase writes ``********`` where a number does not fit its field's width (ArcGIS, a
    grade of 123456.78 in a field of 8): GDAL reads such a cell as null, so the measured
    value was missing without a word, as if never given. ``{}`` for any other file."""
    try:
        src = _source(path, layer)
        shps = src.shapefiles
        if len(shps) > 1 and layer is not None:
            shps = [p for p in shps if Path(p).stem == layer]
        if len(shps) != 1:
            return {}
        head = _part_head(src, shps[0], ".dbf", 32 * 256 + 33)
        if head is None or head[1] > DBF_SCANNED_MAX or len(head[0]) < 32:
            return {}
        raw = head[0]
        records = int.from_bytes(raw[4:8], "little")
        header = int.from_bytes(raw[8:10], "little")
        width = int.from_bytes(raw[10:12], "little")
        fields: list[tuple[str, int, int]] = []  # name, offset in the record, length
        offset = 1  # the deletion flag
        for at in range(32, min(header, len(raw)) - 31, 32):
            if raw[at] == 0x0D:
                break
            name = raw[at:at + 11].split(b"\0", 1)[0].decode("latin-1").strip()
            length = raw[at + 16]
            if chr(raw[at + 11]) in "NF":
                fields.append((name, offset, length))
            offset += length
        if not fields or not records or not width:
            return {}
        whole = _part_head(src, shps[0], ".dbf", head[1])
        if whole is None:
            return {}
        body = np.frombuffer(whole[0], np.uint8, count=min(
            records * width, max(len(whole[0]) - header, 0)), offset=min(header, len(whole[0])))
        rows = body[:body.size // width * width].reshape(-1, width)
    except Exception:  # the read proper names what is wrong with the file
        return {}
    out: dict[str, np.ndarray] = {}
    alive = rows[:, 0] != ord("*")  # a record flagged '*' is deleted: GDAL skips it
    position = np.cumsum(alive) - 1  # each live record's row in what GDAL reads
    for name, offset, length in fields:
        cells = rows[:, offset:offset + length]
        starred = np.flatnonzero((cells == ord("*")).any(axis=1) & alive)
        if starred.size:
            out[name] = position[starred]
    return out


UNDEFINED_SRS = {"Undefined geographic SRS": 0, "Undefined Cartesian SRS": -1}
"""The CRSs GDAL gives a GeoPackage layer whose ``srs_id`` is 0 or -1 (the two "undefined"
systems the GeoPackage standard reserves), each with its ``srs_id``."""


def undefined_srs(crs: Any) -> str:
    """The name of ``crs`` when it is a GeoPackage's undefined system (``srs_id`` 0: a
    geographic CRS of no datum; -1: a local Cartesian one), else ``""``. GDAL gives them as
    CRSs: ``0`` read as lon/lat on an unknown datum (labels placed 100 m or more off without
    a word), ``-1`` as local metres (``ProjError: Error creating Transformer``). They state
    no CRS, and are read as a file without one."""
    if crs is None:
        return ""
    try:
        name = crs.name if hasattr(crs, "name") else parse_crs(crs).name
    except Exception:  # a CRS PROJ cannot read is named by the reader
        return ""
    return name if name in UNDEFINED_SRS else ""


def _no_crs(src: _Source, undefined: str = "", bounds: Any = None, region: Any = None
            ) -> CRSError:
    """The error for a vector file without a CRS (a Shapefile's missing ``.prj`` named; a
    GeoPackage layer's undefined system named with its ``srs_id``), with the CRS to give
    as where its coordinates (``bounds``) lie says: the CRS of ``region`` (a
    :class:`~prospect.grid.RegionGrid`) where they lie in it read so
    (:func:`_in_region_example`), else :func:`crs_example`."""
    why = ""
    if undefined:
        why = (f" (the layer's spatial reference is GDAL's {undefined!r}: srs_id "
               f"{UNDEFINED_SRS[undefined]} in the GeoPackage, which states none)")
    for shp in src.shapefiles[:1 if not undefined else 0]:
        lost = _member_beside(src.members, shp, ".prj") is None if src.members is not None \
            else _sidecar(Path(shp), ".prj") is None
        if lost:
            why = f" ({Path(shp).with_suffix('.prj').name} is not beside it)"
        else:
            head = _part_head(src, shp, ".prj", 60)
            text = head[0].decode("utf-8", errors="replace").strip() if head else ""
            why = f" (its {Path(shp).with_suffix('.prj').name} is no CRS GDAL reads: " \
                f"{text[:40]!r})"
    example = _in_region_example(bounds, region) or crs_example(bounds)
    return CRSError(f"{src.shown}: the vector file has no CRS{why}; give it with 'crs:' in "
                    f"the source config {example}")


def _in_region_example(bounds: Any, region: Any) -> str:
    """The region's CRS offered to a file that states none whose coordinates (``bounds``:
    west, south, east, north) lie in the region read in it, in parentheses, or ``""``.
    A FlatGeobuf of UTM metres written without a CRS was offered the form ``EPSG:326NN``
    of any UTM zone, though the region's own CRS places it (round 51)."""
    try:
        west, south, east, north = (float(b) for b in bounds)
    except (TypeError, ValueError):
        return ""
    if region is None or region.crs_obj.is_geographic or \
            not all(math.isfinite(v) for v in (west, south, east, north)) or \
            not _lies_in(region.crs_obj, (west, south, east, north), region):
        return ""  # (numbers of degrees: :func:`crs_example` offers WGS 84)
    return (f"(its coordinates, x {west:.10g} to {east:.10g}, y {south:.10g} to "
            f"{north:.10g}, are projected and lie in the region read in the region's CRS: "
            f"crs: '{region.crs}' ({region.crs_obj.name}) if they are in it, else "
            f"{metre_crs_example((west, south, east, north))})")


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


def _non_ascii_texts(name: str, layer: str | None, limit: int = 10_000,
                     encoding: str | None = None) -> set[str]:
    """The layer's attribute texts that are not ASCII (stopping once past ``limit``), as
    GDAL decodes them (in ``encoding`` where given); none where the layer cannot be read
    (the read proper names why)."""
    quiet_measured()
    try:
        with gdal_messages():  # the read proper reports them
            df = _ogr.read_dataframe(name, layer=layer, read_geometry=False,
                                        encoding=encoding)
    except Exception:  # the read proper names what is wrong with the file
        return set()
    texts: set[str] = set()
    for column in df.columns:
        if df[column].dtype == object or pd.api.types.is_string_dtype(df[column]):
            texts.update(v for v in df[column].tolist()
                         if isinstance(v, str) and not v.isascii())
        if len(texts) > limit:
            break
    return texts


@functools.lru_cache(maxsize=32)
def _utf8_in_code_page(name: str, _version: tuple[int, ...], layer: str | None) -> str:
    # the bytes (ISO-8859-1: a character a byte): GDAL read a .cpg of 1252 dropping the
    # bytes Windows-1252 has no character for (UTF-8's 'Đ' is C4 90), and of 1258 losing
    # each text's last character, so those texts could not be told as UTF-8 and the
    # layer's Vietnamese names went into the code table mangled
    texts = _non_ascii_texts(name, layer, encoding="ISO-8859-1")
    # every non-ASCII text, not one: Latin-1 names that happen to form UTF-8 are rare, all
    # of a column's accented names doing so is not chance
    if not texts or not all(_mojibake(t) for t in texts):
        return ""
    return min(texts)


def utf8_read_as_code_page(path: Path | str | _Source, layer: str | None = None) -> str:
    """A text of a Shapefile read in a single-byte code page that is UTF-8 (``grÃ¨s`` for
    ``grès``), or ``""``: its ``.cpg`` is missing (GDAL takes ISO-8859-1) or names another
    code page. Decided once per file version and process (a zipped Shapefile too)."""
    src = path if isinstance(path, _Source) else _source(path, layer)
    if not src.shapefiles:
        return ""
    if src.members is None and _sidecar(Path(src.shapefiles[0]), ".dbf") is None:
        return ""
    cpg = _cpg(src)
    if cpg is not None and _cpg_codec(cpg[1]) == "utf-8":
        return ""  # (read as UTF-8; bytes that are not are named by the read)
    return _utf8_in_code_page(src.name, file_version(src.shown), layer)


_C1 = re.compile("[\u0080-\u009f]")
"""The C1 control characters: no text holds them; Windows-1252's ``’ “ ” – … €`` (its
bytes 80 to 9F) read as ISO-8859-1 are them."""


@functools.lru_cache(maxsize=32)
def _windows_in_latin1(name: str, _version: tuple[int, ...], layer: str | None) -> str:
    texts = [t for t in _non_ascii_texts(name, layer) if _C1.search(t)]
    if not texts:
        return ""
    for text in texts:
        try:
            fixed = text.encode("latin-1").decode("cp1252")
        except UnicodeError:
            return ""
        # only Windows-1252's punctuation and signs there: its letters (Š, œ, Ž) are what
        # a DOS code page's accented letters (850's 8A is è) read as, which it cannot tell
        if any(unicodedata.category(fixed[m.start()])[0] not in "PS"
               for m in _C1.finditer(text)):
            return ""
    return min(texts)


def windows_read_as_latin1(path: Path | str | _Source, layer: str | None = None) -> str:
    """A text of a Shapefile without a ``.cpg`` (or one of ISO-8859-1) that holds C1
    control characters where Windows-1252 has punctuation (``d\x92Anvers`` for
    ``d’Anvers``, ``\x96`` for ``–``), or ``""``. GDAL reads such a ``.dbf`` (its
    language driver none or 0x57, "the current ANSI code page") as ISO-8859-1, so the
    unit names of a map typed in Word or Excel went into the code table and the legend
    with control characters, without a word (round 51). Decided once per file version."""
    src = path if isinstance(path, _Source) else _source(path, layer)
    if not src.shapefiles or (src.members is None and
                              _sidecar(Path(src.shapefiles[0]), ".dbf") is None):
        return ""
    cpg = _cpg(src)
    if cpg is not None and _cpg_codec(cpg[1]) != "iso8859-1":
        return ""
    if cpg is None and _ldid(src) not in _WESTERN_LDIDS:
        return ""
    return _windows_in_latin1(src.name, file_version(src.shown), layer)


_SCRIPTS = ("CYRILLIC", "GREEK", "HEBREW", "ARABIC", "THAI")
"""Scripts a single-byte code page other than Western European puts among Latin letters."""


def _mixed_word(text: str) -> bool:
    """Whether a word of ``text`` mixes Latin letters with letters of another script
    (``Brйda``: Latin-1 ``Bréda`` read in Windows-1251), which no one writes."""
    import re
    import unicodedata

    for word in re.findall(r"\w+", text):
        names = {unicodedata.name(c, "").split(" ")[0] for c in word if c.isalpha()}
        if "LATIN" in names and names & set(_SCRIPTS):
            return True
    return False


def _cpg(src: _Source) -> tuple[str, str] | None:
    """The name and text of the ``.cpg`` of the Shapefile ``src`` reads (beside it, or
    beside it in its zip), or ``None`` when it has none (or it cannot be read)."""
    if not src.shapefiles:
        return None
    shp = src.shapefiles[0]
    head = _part_head(src, shp, ".cpg", 256)
    if head is None:
        return None
    name = Path(shp).with_suffix(".cpg").name
    if src.members is not None:
        name = Path(_member_beside(src.members, shp, ".cpg") or name).name
    else:
        name = getattr(_sidecar(Path(shp), ".cpg"), "name", name)
    return name, head[0].decode("latin-1").strip()


def _cpg_codec(text: str | None) -> str:
    """Python's codec of a ``.cpg``'s code page (``1251``, ``ANSI 1251``, ``CP1251``,
    ``8859-5``), ``""`` when it names none Python knows."""
    import codecs
    import re

    if not text:
        return ""
    digits = re.sub(r"^(ANSI|CP|WINDOWS)[\s_-]*", "", text, flags=re.IGNORECASE)
    iso = re.fullmatch(r"(?:ISO[\s_-]*)?8859[\s_-]*(\d+)", digits, flags=re.IGNORECASE)
    for name in ([f"iso8859_{iso.group(1)}"] if iso else []) + [f"cp{digits}", text]:
        try:
            return codecs.lookup(name).name
        except (LookupError, ValueError):
            continue
    return ""


@functools.lru_cache(maxsize=32)
def _western_in_other_code_page(name: str, cpg: str | None, _version: tuple[int, ...],
                                layer: str | None) -> str:
    codec = _cpg_codec(cpg)
    if not codec or codec in ("cp1252", "latin_1", "iso8859-1", "utf-8", "ascii"):
        return ""
    texts = _non_ascii_texts(name, layer)
    scripted = [t for t in texts if any(c.isalpha() and not c.isascii() for c in t)]
    if not scripted or not all(_mixed_word(t) for t in scripted):
        return ""
    try:
        western = [t.encode(codec).decode("cp1252") for t in scripted]
    except UnicodeError:
        return ""
    return "" if any(_mixed_word(t) for t in western) else min(scripted)


def western_read_as_other_code_page(path: Path | str | _Source,
                                    layer: str | None = None) -> str:
    """A text of a Shapefile whose ``.cpg`` names a code page of another script (``1251``,
    Cyrillic) while its ``.dbf`` holds Western European text: every word read so mixes
    scripts (``Brйda`` for ``Bréda``), and every one is Latin read as Windows-1252; else
    ``""``. Such a layer's unit names went into the code table and the legend mangled,
    and a mask's ``names:`` matched none, without a word. Without a ``.cpg``, the code
    page the ``.dbf``'s language driver names (:func:`_ldid_code_page`: a ``.dbf`` of a
    template made on a Russian Windows, filled with French names) is looked at the same
    way. Decided once per file version."""
    src = path if isinstance(path, _Source) else _source(path, layer)
    cpg = _cpg(src)  # (beside the .shp, or beside it in its zip)
    page = cpg[1] if cpg is not None else _ldid_code_page(src)
    if not page:
        return ""
    return _western_in_other_code_page(src.name, page, file_version(src.shown), layer)


_LDID_CODE_PAGES = {0x26: "866", 0x65: "866", 0x6A: "737", 0x86: "737", 0xC9: "1251",
                    0xCB: "1253", 0x7D: "1255", 0x7E: "1256", 0x50: "874", 0x7C: "874"}
"""Language driver ids (a ``.dbf`` header's byte 29) that name a code page of another
script than Latin (Cyrillic, Greek, Hebrew, Arabic, Thai), which GDAL reads a ``.dbf``
without a ``.cpg`` in, with that code page."""


def _ldid_code_page(src: _Source) -> str:
    """The code page of another script the ``.dbf`` of a Shapefile without a ``.cpg``
    names by its language driver (:data:`_LDID_CODE_PAGES`), else ``""``."""
    if _cpg(src) is not None:
        return ""
    return _LDID_CODE_PAGES.get(_ldid(src) or 0, "")


_GDAL_CUTS = {"cp1258": "cp1258", "tcvn": ""}
"""Code pages GDAL recodes (through iconv, which holds back each text's last character in
case a combining accent follows and is never asked for it) losing every text's last
character, with Python's codec of each (``""``: none): Windows-1258 and TCVN 5712, the
Vietnamese ones."""


def cut_code_page(src: _Source | Path | str) -> str:
    """The code page a Shapefile's ``.cpg`` names when GDAL reads it losing the last
    character of every text (:data:`_GDAL_CUTS`; ``"tcvn"`` for TCVN 5712), else ``""``.

    GDAL read a ``.cpg`` of ``1258`` so: ``Đá vôi Bắc Sơn`` was ``Đá vôi Bắc Sơ``, the
    field ``unit`` was ``uni``, and ``Unit A`` and ``Unit B`` were one unit ``Unit ``
    (one code, one legend entry), without a word."""
    import re

    try:
        src = src if isinstance(src, _Source) else _source(src)
        cpg = _cpg(src)
    except (InputFileError, DataError):
        return ""
    if cpg is None:
        return ""
    text = re.sub(r"[\s_-]", "", cpg[1]).lower()
    if text.startswith("tcvn"):
        return "tcvn"
    return "cp1258" if _cpg_codec(cpg[1]) == "cp1258" else ""


_WESTERN_LDIDS = frozenset({0, 0x03, 0x57, 0x58, 0x59})
"""Language driver ids (a ``.dbf`` header's byte 29) GDAL reads as Latin-1 or Windows-1252:
none, Windows ANSI, 0x57 ("the current ANSI code page": that of the Windows the file was
written on, which the file does not say) and the Western European ones."""

_CP1258_TONES = "\u0300\u0301\u0303\u0309\u0323"
"""The five Vietnamese tone marks, which Windows-1258 writes as bytes of their own after
the vowel (``CC EC DE D2 F2``: ``Ì ì Þ Ò ò`` read as Latin-1)."""

_VIETNAMESE_LETTERS = frozenset(
    unicodedata.normalize("NFC", vowel + tone)
    for vowel in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY" for tone in ("", *_CP1258_TONES)) | {"đ", "Đ"}
"""Every letter of Vietnamese that is not ASCII (a vowel with or without its tone, đ)."""


def _vietnamese(text: str) -> str:
    """``text`` (a ``.dbf``'s bytes read as Latin-1) as Windows-1258 Vietnamese (NFC) when
    it reads as such: every tone mark composes with a vowel and every letter that is not
    ASCII is one of Vietnamese; else ``""`` (``così`` would put an acute on an ``s``,
    ``Curaçao`` holds a ``ç``, Icelandic ``þ`` is ``₫`` inside a word)."""
    try:
        decoded = unicodedata.normalize("NFC", text.encode("latin-1").decode("cp1258"))
    except UnicodeError:
        return ""
    for i, c in enumerate(decoded):
        if c.isascii():
            continue
        if unicodedata.combining(c) or (c.isalpha() and c not in _VIETNAMESE_LETTERS) or \
                (c == "₫" and i and decoded[i - 1].isalpha()):
            return ""
    return decoded


@functools.lru_cache(maxsize=32)
def _vietnamese_in_western(name: str, _version: tuple[int, ...], layer: str | None) -> str:
    # the bytes (ISO-8859-1); every non-ASCII text must read as Vietnamese, and one hold a
    # tone mark after a vowel: Portuguese 'São Tomé' reads as 'Săo Tomé' too, but no
    # Western European language writes 'ì', 'ò' or 'Þ' after a vowel as Vietnamese does
    texts = _non_ascii_texts(name, layer, encoding="ISO-8859-1")
    if not texts or not all(_vietnamese(t) for t in texts):
        return ""
    tones = _CP1258_TONES.encode("cp1258").decode("latin-1")  # 'ÌìÞÒò'
    toned = [t for t in texts if any(c in tones for c in t)]
    return min(toned) if toned else ""


def _ldid(src: _Source) -> int | None:
    """The language driver id of the ``.dbf`` of the Shapefile ``src`` reads (byte 29 of
    its header), or ``None`` where it cannot be read."""
    if not src.shapefiles:
        return None
    head = _part_head(src, src.shapefiles[0], ".dbf", 32)
    return head[0][29] if head is not None and len(head[0]) >= 30 else None


def vietnamese_read_as_western(path: Path | str | _Source, layer: str | None = None) -> str:
    """A text of a Shapefile in Windows-1258 (Vietnamese) that GDAL reads as Western
    European, as GDAL reads it (``Ðá phiêìn sét`` for ``Đá phiến sét``), or ``""``: the
    Shapefile has no ``.cpg`` (one says what the text is) and its ``.dbf`` names no code
    page of its own (language driver 0, or 0x57, "the writer's Windows code page", as
    ArcGIS and QGIS on a Vietnamese Windows write it). Such a layer's unit names went
    into the code table, the legend and a mask's ``names:`` mangled, without a word.
    Decided once per file version and process."""
    src = path if isinstance(path, _Source) else _source(path, layer)
    if not src.shapefiles:
        return ""
    if _cpg(src) is not None:
        return ""  # (a .cpg of 1252 says the text is Western European: as written)
    other = _ldid_code_page(src)  # (a language driver of another script: 1251 over 1258)
    if _ldid(src) not in _WESTERN_LDIDS and not other:
        return ""
    found = _vietnamese_in_western(src.name, file_version(src.shown), layer)
    if found and other and not _mixed_as_read(src.name, file_version(src.shown), layer):
        return ""  # (text of the driver's own script, as it says)
    return found


@functools.lru_cache(maxsize=32)
def _mixed_as_read(name: str, _version: tuple[int, ...], layer: str | None) -> bool:
    """Whether every text of a layer with letters that are not ASCII mixes scripts in a
    word as GDAL reads it (``Рб phiктn`` for Vietnamese read as Windows-1251)."""
    texts = [t for t in _non_ascii_texts(name, layer)
             if any(c.isalpha() and not c.isascii() for c in t)]
    return bool(texts) and all(_mixed_word(t) for t in texts)


def _encoding(src: _Source, layer: str | None) -> tuple[str | None, str, str]:
    """How to read a layer's text: ``(encoding, example, cut)``: the encoding to give
    pyogrio (``None``: the file's own), a text read wrong the other way (for the caller's
    warning, :func:`recoded_message`), and the code page the text is decoded from in
    Python (the text is then read as bytes, ``ISO-8859-1``, and decoded by
    :func:`_decoded`): a ``.cpg`` GDAL reads losing each text's last character
    (:func:`cut_code_page`), or Windows-1258 text the file names no code page of
    (:func:`vietnamese_read_as_western`, which GDAL could not read whole either)."""
    example = utf8_read_as_code_page(src, layer)
    if example:
        return "UTF-8", example, ""
    cut = cut_code_page(src)
    if cut:
        return "ISO-8859-1", "", cut
    example = vietnamese_read_as_western(src, layer)
    if example:
        return "ISO-8859-1", example, "cp1258"
    example = western_read_as_other_code_page(src, layer) or \
        windows_read_as_latin1(src, layer)
    return ("cp1252" if example else None), example, ""


def _as_bytes(text: str, codec: str) -> str:
    """``text`` as GDAL gives it read in Latin-1 from a file of ``codec``: a letter the
    code page has no character of is written as its base and its (tone) mark, as
    Windows-1258 writes ``ị`` (``i`` and the dot below; the field ``đơnvị`` was "no
    column")."""
    python = _GDAL_CUTS[codec] or "ascii"
    try:
        out = b""
        for c in unicodedata.normalize("NFC", text):
            try:
                out += c.encode(python)
            except UnicodeEncodeError:
                parts = unicodedata.normalize("NFD", c)
                out += (unicodedata.normalize("NFC", parts[:-1]).encode(python)
                        + parts[-1].encode(python))
        return out.decode("latin-1")
    except UnicodeError:
        return text


def _decode_text(value: Any, codec: str, src: _Source) -> Any:
    """A text GDAL read in Latin-1 (a byte a character) from a file of ``codec``, decoded
    (Unicode NFC, as text is typed); anything else as it is. TCVN 5712, which Python has
    no codec of, is refused where the text is not ASCII (ASCII reads as it is)."""
    import unicodedata

    if not isinstance(value, str) or value.isascii():
        return value
    python = _GDAL_CUTS[codec]
    if not python:
        raise InputFileError(
            f"{src.shown}: its .cpg says the text is TCVN 5712 (Vietnamese), which GDAL "
            f"reads losing the last character of every text, and which Python cannot "
            f"read ({value!r}, as bytes); write the layer's text in UTF-8 (save it "
            "again as UTF-8 from the program that made it, or convert the .dbf with a "
            "TCVN converter such as unikey's) and set its .cpg to UTF-8")
    return unicodedata.normalize("NFC", value.encode("latin-1").decode(python))


def _decoded(df: Any, codec: str, src: _Source) -> Any:
    """``df`` read in Latin-1 with its texts and column names decoded from ``codec``
    (:func:`_decode_text`)."""
    for column in df.columns:
        if column != "geometry" and (df[column].dtype == object
                                     or pd.api.types.is_string_dtype(df[column])):
            df[column] = df[column].map(lambda v: _decode_text(v, codec, src))
    df.columns = [c if c == "geometry" else _decode_text(c, codec, src) for c in df.columns]
    return df


def recoded_message(path: Path | str, example: str) -> str:
    """The data warning for a Shapefile's text read against its ``.cpg``: UTF-8 read as
    UTF-8 (``example`` is its text as the code page read it), or Western European text
    read as Windows-1252 where the ``.cpg`` names another script's code page.

    A GDAL name (``/vsizip//abs/geo.zip/geo.shp``) is read and named as written: made a
    ``Path``, its ``//`` became one ``/``, the zip was not found, and a ``.cpg`` in it was
    said to be missing, under a name the user never wrote (round 50)."""
    shown = str(path)
    if not shown.startswith("/vsi"):
        shown = str(Path(shown))
    path = Path(shown)
    try:
        src: _Source | None = _source(shown)
    except (InputFileError, DataError):  # (a zip of several Shapefiles: its first)
        src = None
    cpg = _cpg(src) if src is not None else None
    said = "no .cpg is beside it"
    if cpg is not None:
        said = f"its {cpg[0]} says {cpg[1]!r}"
    target = cpg[0] if cpg is not None else path.with_suffix(".cpg").name
    if src is not None and src.archive is not None:  # a zipped Shapefile: say where
        said += f" (in {src.archive.name})"
        target += f" in {src.archive.name}"
    ldid = _ldid(src) if src is not None and cpg is None else None
    page = _ldid_code_page(src) if src is not None and cpg is None else ""
    if page:  # (a .dbf's language driver of another script, :func:`_ldid_code_page`)
        said += f" and its .dbf's language driver 0x{ldid or 0:02X} names code page {page}"
    codec = _cpg_codec(cpg[1] if cpg is not None else page or None)
    tones = _CP1258_TONES.encode("cp1258").decode("latin-1")  # (a Vietnamese example's)
    if _C1.search(example) and not _mojibake(example) and \
            not any(c in tones for c in example):  # (:func:`windows_read_as_latin1`)
        good = example.encode("latin-1").decode("cp1252", errors="replace")
        if cpg is None:
            said += (" and its .dbf names no code page" if not ldid else
                     f" and its .dbf's language driver 0x{ldid:02X} names "
                     + ("the writer's Windows code page, which the file does not say"
                        if ldid == 0x57 else "a Western European code page"))
        return (f"{shown}: its attribute text is Windows-1252 but {said}, so GDAL read it as "
                f"ISO-8859-1, its punctuation as control characters ({example!r} for "
                f"{good!r}); it is read as Windows-1252: write 1252 in {target} to say so")
    vietnamese = "" if _mojibake(example) else _vietnamese(example)
    if vietnamese:  # (:func:`vietnamese_read_as_western`)
        read_as = "Western European"
        if page:  # (the example is the bytes as ISO-8859-1: as the driver's code page)
            read_as = f"code page {page}"
            example = example.encode("latin-1").decode(codec, errors="replace")
        elif cpg is None:  # (a .cpg is read as it says)
            said += (" and its .dbf names no code page" if not ldid else
                     f" and its .dbf's language driver 0x{ldid:02X} names "
                     + ("the writer's Windows code page, which the file does not say"
                        if ldid == 0x57 else "a Western European code page"))
        return (f"{shown}: its attribute text is Vietnamese (Windows-1258) but {said}, so "
                f"GDAL read it as {read_as} ({example!r} for {vietnamese!r}); it is "
                f"read as Windows-1258: write 1258 in {target} to say so (or 1252 if the "
                "text is Western European)")
    if not _mojibake(example) and codec:
        good = example.encode(codec, errors="ignore").decode("cp1252", errors="replace")
        return (f"{shown}: its attribute text is Western European (Windows-1252) but {said}, "
                f"a code page of another script, in which every word with an accent mixes "
                f"scripts ({example!r} for {good!r}); it is read as Windows-1252: write 1252 "
                f"in {target} to say so")
    try:  # (the bytes as ISO-8859-1, :func:`_utf8_in_code_page`)
        good = example.encode("latin-1").decode("utf-8")
    except UnicodeError:
        good = example.encode("cp1252", errors="ignore").decode("utf-8", errors="replace")
    return (f"{shown}: its attribute text is UTF-8 but {said}, so GDAL read it in a "
            f"single-byte code page ({example!r} for {good!r}); it is read as UTF-8: write "
            f"UTF-8 in {target} to say so")


_STORED_AS = {"integer": ("integer",), "real": ("real", "integer")}
"""The storage classes SQLite holds a number column's values in, by the column's affinity."""


def _affinity(declared: str) -> str:
    """SQLite's number affinity of a declared column type (``INTEGER``, ``MEDIUMINT``,
    ``BOOLEAN``: ``"integer"``; ``REAL``, ``DOUBLE``, ``FLOAT``: ``"real"``), or ``""``."""
    declared = declared.upper()
    if "INT" in declared or declared == "BOOLEAN":
        return "integer"
    return "real" if declared.startswith(("REAL", "FLOA", "DOUB")) else ""


def _geopackage_table(name: str, layer: str | None) -> tuple[Any, str] | None:
    """A read-only SQLite connection to the GeoPackage ``name`` and the table of ``layer``
    (its first layer's where ``None``); ``None`` where ``name`` is no SQLite file or cannot
    be opened so (the read proper names what is wrong with the file)."""
    import sqlite3
    from urllib.parse import quote

    try:
        with open(name, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return None
        table = layer or str(_ogr.list_layers(name)[0][0])
        return sqlite3.connect(f"file:{quote(name)}?mode=ro", uri=True), table
    except Exception:
        return None


@functools.lru_cache(maxsize=32)
def _stored_otherwise(name: str, _version: tuple[int, ...], layer: str | None
                      ) -> dict[str, tuple[str, dict[int, Any]]]:
    """The number columns of a GeoPackage (SQLite) layer holding values of another type,
    each with its declared type and those values by feature id: SQLite keeps what was
    written (``'Q1'`` in an INTEGER column, ``2.5`` in one of whole numbers), GDAL reads
    them as numbers (0, 2)."""
    import sqlite3

    opened = _geopackage_table(name, layer)
    if opened is None:
        return {}
    con, table = opened
    try:
        def quoted(name: str) -> str:
            return '"' + name.replace('"', '""') + '"'

        columns = con.execute(f"PRAGMA table_info({quoted(table)})").fetchall()
        fid = next((str(c[1]) for c in columns if c[5] == 1), None)
        # each number column's test of a value of another type: one scan counts them all
        tests: dict[str, tuple[str, str]] = {}
        for _, column, declared, *_ in columns:
            affinity = _affinity(str(declared or ""))
            if fid is not None and column != fid and affinity:
                kinds = ", ".join(f"'{kind}'" for kind in ("null", *_STORED_AS[affinity]))
                tests[str(column)] = (str(declared),
                                      f"typeof({quoted(str(column))}) NOT IN ({kinds})")
        if not tests:
            return {}
        counts = con.execute("SELECT " + ", ".join(f"total({t})" for _, t in tests.values())
                             + f" FROM {quoted(table)}").fetchone()
        out: dict[str, tuple[str, dict[int, Any]]] = {}
        for (column, (declared, test)), n in zip(tests.items(), counts, strict=True):
            if n:
                rows = con.execute(f"SELECT {quoted(fid or '')}, {quoted(column)} FROM "
                                   f"{quoted(table)} WHERE {test}").fetchall()
                out[column] = (declared, {int(f): v for f, v in rows})
        return out
    except sqlite3.Error:
        return {}
    finally:
        con.close()


def _stored_values(src: _Source, layer: str | None, kwargs: dict[str, Any]
                   ) -> dict[str, tuple[str, dict[int, Any]]]:
    """:func:`_stored_otherwise` of the columns a read of a local GeoPackage (or another
    SQLite file: GDAL's SQLite driver reads the same way) asks for."""
    if src.archive is not None or src.name.startswith("/vsi") or src.shapefiles or \
            kwargs.get("columns") == [] or not Path(src.name).is_file():
        return {}
    found = _stored_otherwise(src.name, file_version(src.name), layer)
    asked = kwargs.get("columns")
    return {c: v for c, v in found.items() if asked is None or c in asked}


def _as_stored(df: Any, stored: dict[str, tuple[str, dict[int, Any]]]) -> Any:
    """``df`` (read with its feature ids as index) with the values of :func:`_stored_values`
    as written; ``df.attrs["retyped"]``: column -> (declared type, count, examples as GDAL
    read them and as stored) for the caller's warning."""
    retyped = {}
    for column, (declared, values) in stored.items():
        if column not in df.columns:
            continue
        at = [i for i in df.index if int(i) in values]
        gdal = df.loc[at[:3], column].tolist()
        shown = [values[int(i)] for i in at[:3]] if at else list(values.values())[:3]
        if at:
            cells = df[column].astype(object)
            cells.loc[at] = [values[int(i)] for i in at]
            df[column] = cells
        retyped[column] = (declared, len(values), shown, gdal)
    if retyped:
        df.attrs["retyped"] = retyped
    return df


def retyped_message(path: Path | str, layer: str | None, retyped: dict[str, Any]) -> str:
    """The data warning for a GeoPackage's number columns that hold values of another type
    (:func:`_as_stored`), read as stored; ``""`` when there are none."""
    if not retyped:
        return ""
    said = "; ".join(
        f"{column!r} is declared {declared} but {n} value(s) are stored otherwise "
        f"({', '.join(map(repr, shown))}{', ...' if n > len(shown) else ''})"
        + (f", which GDAL reads as {', '.join(map(repr, gdal))}" if gdal else "")
        for column, (declared, n, shown, gdal) in retyped.items())
    return (f"{path}: in layer {layer or '(first)'}, {said}: SQLite keeps a value of any "
            "type in any column, GDAL reads it as the column's type (text as 0, 2.5 as 2); "
            "they are read as stored (QGIS and other GDAL readers show the numbers): give "
            "the column the type of its values, e.g. ogr2ogr -sql 'SELECT CAST(col AS TEXT) "
            "AS col, ...', or correct the values")


@functools.lru_cache(maxsize=32)
def _coded_domains(name: str, _version: tuple[int, ...], layer: str | None
                   ) -> dict[str, tuple[str, dict[str, str]]]:
    """The coded-value field domains of a GeoPackage layer's columns: column -> (domain
    name, code -> name), from the GeoPackage schema extension's ``gpkg_data_columns`` and
    its ``enum`` rows of ``gpkg_data_column_constraints`` (what GDAL writes for a field
    domain of coded values, the "lookup table" of an ESRI map exported to a GeoPackage).
    pyogrio reads the codes alone. A code without a name is left out (read as the code)."""
    import sqlite3

    opened = _geopackage_table(name, layer)
    if opened is None:
        return {}
    con, table = opened
    try:
        rows = con.execute(_DOMAINS_SQL, (table,)).fetchall()
    except sqlite3.Error:  # (no schema extension: no domains)
        return {}
    finally:
        con.close()
    return _domain_rows(rows)


def _domain_rows(rows: Iterable[Any]) -> dict[str, tuple[str, dict[str, str]]]:
    """Rows of :data:`_DOMAINS_SQL` (column, domain, code, name) as column -> (domain,
    code -> name); a code without a name is left out."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for column, domain, code, described in rows:
        named = unit_name(described)
        if code is not None and named:
            out.setdefault(str(column), (str(domain), {}))[1][unit_name(code)] = named
    return out


_DOMAINS_SQL = ("SELECT c.column_name, c.constraint_name, k.value, k.description "
                "FROM gpkg_data_columns AS c JOIN gpkg_data_column_constraints AS k "
                "ON k.constraint_name = c.constraint_name "
                "WHERE lower(k.constraint_type) = 'enum' AND lower(c.table_name) = lower(?)")
"""The coded-value domains of a GeoPackage table's columns (``?``: the table)."""


@functools.lru_cache(maxsize=32)
def _archived_domains(name: str, _version: tuple[int, ...], layer: str | None
                      ) -> dict[str, tuple[str, dict[str, str]]]:
    """:func:`_coded_domains` of a GeoPackage GDAL reads inside an archive
    (``/vsizip/.../geo.gpkg``), which sqlite3 cannot open: the same query through GDAL's
    SQLite dialect of the GeoPackage driver."""
    try:
        table = layer or str(_ogr.list_layers(name)[0][0])
        with gdal_messages():
            rows = _ogr.read_dataframe(
                name, read_geometry=False,
                sql=_DOMAINS_SQL.replace("?", "'" + table.replace("'", "''") + "'"))
    except Exception:  # (no schema extension: no domains; the read proper names the rest)
        return {}
    return _domain_rows(zip(rows["column_name"], rows["constraint_name"], rows["value"],
                            rows["description"], strict=True))


@functools.lru_cache(maxsize=32)
def _gdb_domains(name: str, _version: tuple[int, ...], layer: str | None
                 ) -> dict[str, tuple[str, dict[str, str]]]:
    """The coded-value domains of a file geodatabase layer's columns, as
    :func:`_coded_domains` gives a GeoPackage's: from the definitions (XML) of its
    ``GDB_Items`` table, the layer's ``GPFieldInfoEx`` elements naming a ``DomainName``
    and each ``GPCodedValueDomain2``'s ``CodedValue`` names and codes."""
    import xml.etree.ElementTree as ET

    try:
        table = layer or str(_ogr.list_layers(name)[0][0])
        with gdal_messages():
            items = _ogr.read_dataframe(name, layer="GDB_Items", read_geometry=False,
                                        columns=["Name", "Definition"])
    except Exception:  # (no catalogue: no domains; the read proper names what is wrong)
        return {}

    def local(tag: str) -> str:
        return tag.rpartition("}")[2]

    uses: dict[str, str] = {}
    codes: dict[str, dict[str, str]] = {}
    for item, text in zip(items["Name"], items["Definition"], strict=True):
        if not isinstance(text, str) or "DomainName" not in text:
            continue
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            continue
        if local(root.tag) == "GPCodedValueDomain2":
            named = {unit_name(v.findtext("Code")): unit_name(v.findtext("Name"))
                     for v in root.iter() if local(v.tag) == "CodedValue"}
            codes[str(root.findtext("DomainName"))] = {c: n for c, n in named.items()
                                                        if c and n}
        elif str(item).rpartition("\\")[2].lower() == table.lower():
            for field in root.iter():
                if local(field.tag) == "GPFieldInfoEx" and field.findtext("DomainName"):
                    uses[str(field.findtext("Name"))] = str(field.findtext("DomainName"))
    return {column: (domain, codes[domain]) for column, domain in uses.items()
            if codes.get(domain)}


def _domains_of(src: _Source, layer: str | None) -> dict[str, tuple[str, dict[str, str]]]:
    """The coded-value domains of the columns of a local GeoPackage's or file
    geodatabase's (a zipped one too) layer: column -> (domain, code -> name); ``{}`` for
    any other source (:func:`_coded_domains`, :func:`_gdb_domains`)."""
    from prospect.io.remote import is_network_name

    if src.shapefiles or is_network_name(src.name):
        return {}
    local = Path(src.name)
    if src.name.rstrip("/").lower().endswith(".gdb") and (local.is_dir() or
                                                           src.archive is not None):
        # (a zipped geodatabase too, as ESRI hands them out: GDAL reads its catalogue)
        return _gdb_domains(src.name, file_version(src.shown), _layer_named(src, layer))
    if (src.archive is not None or src.name.startswith("/vsi")) and \
            src.name.rstrip("/").lower().endswith(".gpkg"):
        # (a zipped GeoPackage, as maps are handed out: its units were the codes)
        return _archived_domains(src.name, file_version(src.shown), _layer_named(src, layer))
    if src.archive is not None or src.name.startswith("/vsi") or not local.is_file():
        return {}
    return _coded_domains(src.name, file_version(src.name), _layer_named(src, layer))


def column_domain(path: Path | str, column: str, *, layer: str | None = None
                  ) -> dict[str, str]:
    """The codes of ``column`` that its coded-value domain names (code -> name, codes as
    :func:`unit_name` writes them), as ``read_vector(..., domains=True)`` reads them;
    ``{}`` when the column has no such domain (or the source none: only a GeoPackage's
    and a file geodatabase's columns have one)."""
    domain = _domain_named(_domains_of(*_check_layer(path, layer)), column)
    return dict(domain[1]) if domain is not None else {}


def _domain_named(found: dict[str, tuple[str, dict[str, str]]], column: str
                  ) -> tuple[str, dict[str, str]] | None:
    """The coded-value domain of ``found`` (column -> (domain, code -> name)) that
    ``column`` names, as written or in another Unicode form (:func:`field_named`): a
    domain keyed by the file's decomposed (NFD) ``unité``, the column asked composed (the
    frame's column is the config's name), was not found and the units read as codes."""
    field = field_named(list(found), column)
    return found[field] if field is not None else None


def named_codes(path: Path | str, df: Any, *, layer: str | None = None) -> Any:
    """``df``, a table of ``layer`` read without :func:`read_vector` (a GeoPackage's
    attribute table of samples and their coordinate columns), with its coded columns read
    as the codes' names, as ``read_vector(..., domains=True)`` reads a layer's
    (:func:`_named_codes`; ``df.attrs["domains"]`` for :func:`domains_message`)."""
    return _named_codes(*_check_layer(path, layer), df)


def _named_codes(src: _Source, layer: str | None, df: Any,
                 only: Collection[str] | None = None) -> Any:
    """``df`` with each column of a local GeoPackage or file geodatabase that has a
    coded-value domain (:func:`_coded_domains`, :func:`_gdb_domains`) read as the codes'
    names, as ``ogr2ogr -resolveDomains``, QGIS and ArcGIS show them (a unit column of
    ``1``, ``2`` was a map of units named ``1`` and ``2``); a code the domain does not
    name is kept as read. ``only``: the columns so read (``None``: every one); the others
    keep their codes (a unit map's ``priority`` column, drawn in the order of its codes).
    ``df.attrs["domains"]``: column -> (domain, codes named, codes not named) for the
    caller's note."""
    found = _domains_of(src, layer)
    if not found:
        return df
    used = {}
    asked = None if only is None else [str(c) for c in only]
    for column in df.columns:
        named = _domain_named(found, str(column))
        if named is None or column == getattr(df, "_geometry_column_name", None):
            continue
        if asked is not None and field_named(asked, str(column)) is None:
            continue
        domain, names = named
        values = df[column].tolist()
        codes = [unit_name(v) for v in values]
        df[column] = pd.Series([names.get(c, v) if c else v for c, v in
                                zip(codes, values, strict=True)], index=df.index, dtype=object)
        unnamed = sorted({c for c in codes if c and c not in names})
        used[str(column)] = (domain, len(names), unnamed)
    if used:
        df.attrs["domains"] = used
    return df


def domains_message(path: Path | str, layer: str | None, domains: dict[str, Any]) -> str:
    """The data warning for codes of a column that its coded-value domain does not name
    (:func:`_named_codes`), which keep their codes as names; ``""`` when every code is
    named."""
    said = "; ".join(
        f"{column!r} holds code(s) {', '.join(map(repr, unnamed[:5]))}"
        f"{', ...' if len(unnamed) > 5 else ''} that its domain {domain!r} ({n} code(s)) "
        "does not name"
        for column, (domain, n, unnamed) in domains.items() if unnamed)
    if not said:
        return ""
    return (f"{path}: in layer {layer or '(first)'}, {said}: the other codes are read as "
            "the domain's names, these as the codes themselves: add them to the domain "
            "(QGIS: Data Source Properties > Field Domains; ArcGIS: Domains) or correct "
            "the features")


def field_named(fields: list[str], name: str) -> str | None:
    """The field of ``fields`` that ``name`` names: as written, or written in another
    Unicode form (``unité`` typed with a composed ``é`` in a config, decomposed in a file
    written on a Mac); ``None`` where none is. The two look the same: a column named so
    was "no column 'unité' (did you mean 'unité'?)", which no retyping could fix."""
    if name in fields:
        return name
    composed = unicodedata.normalize("NFC", name)
    return next((f for f in fields if unicodedata.normalize("NFC", f) == composed), None)


def _fields_asked(src: _Source, layer: str | None, columns: list[str] | None
                  ) -> dict[str, str]:
    """The columns asked for (``columns``) that the layer writes in another Unicode form,
    each with the layer's name of it (:func:`field_named`); ``{}`` for ASCII names."""
    if not columns or all(c.isascii() for c in columns):
        return {}
    try:
        fields = [str(f) for f in _info(src, layer)["fields"]]
    except Exception:  # (the read proper names what is wrong with the file)
        return {}
    named = {c: field_named(fields, c) for c in columns if c not in fields}
    return {c: f for c, f in named.items() if f is not None}


def _read(src: _Source, layer: str | None, **kwargs: Any) -> Any:
    """``pyogrio.read_dataframe`` with the reader's repairs: a Shapefile's UTF-8 text read as
    UTF-8 (:func:`utf8_read_as_code_page`); rings that are not closed (GDAL reads them,
    GEOS refuses them: ``internal error: GEOSException``) closed and counted; NumPy's
    "invalid value" warnings of NaN coordinates kept off the terminal (they are refused by
    :func:`check_coordinates`); GDAL's warnings collected (:func:`gdal_messages`) into
    ``df.attrs["gdal"]`` (message -> times) instead of GDAL's stderr."""
    path = src.path
    if is_parquet(src.name):  # GDAL here has no Parquet driver: pyarrow reads it
        return read_parquet(src.name if src.archive is not None else path, **kwargs)
    layer = _layer_named(src, layer)
    renamed = _fields_asked(src, layer, kwargs.get("columns"))
    if renamed:
        kwargs = {**kwargs, "columns": [renamed.get(c, c) for c in kwargs["columns"]]}
    encoding, example, cut = _encoding(src, layer)
    if cut and kwargs.get("columns"):  # (names as the Latin-1 read gives them)
        kwargs = {**kwargs, "columns": [_as_bytes(c, cut) for c in kwargs["columns"]]}
    stored = _stored_values(src, layer, kwargs)  # (by feature id: read with them)
    fids = kwargs.get("fid_as_index", False)
    if stored:
        kwargs = {**kwargs, "fid_as_index": True}
    quiet_measured()
    try:
        with np.errstate(invalid="ignore"), gdal_messages() as said:
            try:
                df = _ogr.read_dataframe(src.name, layer=layer, encoding=encoding,
                                            **kwargs)
                closed = 0
            except GEOSException as exc:
                if "Unknown WKB type" in str(exc) or _ONE_POINT in str(exc):
                    # a 3D surface (read as its footprint), a line of one point
                    df, closed = _read_surfaces(src, layer, encoding, kwargs)
                else:
                    df = _ogr.read_dataframe(src.name, layer=layer, encoding=encoding,
                                                on_invalid="fix", **kwargs)
                    lost = _ogr.read_dataframe(src.name, layer=layer, encoding=encoding,
                                                  on_invalid="ignore", **kwargs)
                    closed = int(lost.geometry.isna().sum() - df.geometry.isna().sum())
                said = said[:len(said) // 3]  # the same messages, three reads
    except (DataSourceError, DataLayerError) as exc:
        raise InputFileError(f"{path}: cannot read layer {repr(layer) if layer else '(first)'}: "
                             f"{exc}") from None
    except UnicodeDecodeError as exc:
        raise _not_decoded(path, exc) from None
    except GEOSException as exc:
        raise InputFileError(f"{path}: a geometry of layer {layer or '(first)'} cannot be "
                             f"read ({exc}); repair the file (e.g. ogr2ogr -makevalid)"
                             ) from None
    df = _straightened(df)
    if cut:
        df = _decoded(df, cut, src)
    if stored:
        df = _as_stored(df, stored)
        if not fids:
            df = df.reset_index(drop=True)
    if renamed:
        df = df.rename(columns={field: asked for asked, field in renamed.items()})
    df = _booleans_kept(src.name, layer, df, encoding)
    df = _integers_kept(src.name, layer, df, encoding, kwargs)
    if all(kwargs.get(key) is None for key in ("bbox", "where", "mask", "skip_features",
                                               "max_features")):  # (the whole file)
        df = _json_booleans(src.name, df)
    undefined = undefined_srs(getattr(df, "crs", None))
    if undefined:  # (a GeoPackage's srs_id 0 or -1): no CRS, as the file states none
        df = df.set_crs(None, allow_override=True)
        df.attrs["undefined_srs"] = undefined
    if closed:
        df.attrs["closed"] = closed
    if example:
        df.attrs["recoded"] = example
    if said:
        df.attrs["gdal"] = _tally(said)
    return df


def _straightened(df: Any) -> Any:
    """``df`` with the curves inside its GeometryCollections made straight
    (:func:`prospect.io.geoparquet.linear_geometry`): GDAL makes a layer's curves straight,
    but not a CurvePolygon or CircularString inside a collection, which GEOS reads and
    cannot work on ("Nonlinear geometry types are not currently supported", an internal
    error, or a bare ``GEOSException``, at the first look at its coordinates)."""
    if not isinstance(df, gpd.GeoDataFrame) or "geometry" not in df.columns or not len(df):
        return df
    geoms = np.array(df.geometry.to_numpy(), dtype=object)  # a copy
    changed = False
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):  # GeometryCollections
        linear = linear_geometry(shapely.to_wkb(geoms[i]))
        if linear is not None:
            geoms[i], changed = linear[0], True
    if not changed:
        return df
    attrs = dict(df.attrs)
    df = df.set_geometry(gpd.GeoSeries(geoms, index=df.index, crs=df.crs))
    df.attrs.update(attrs)
    return df


_NOT_ROW_OPTIONS = ("columns", "fid_as_index", "on_invalid", "use_arrow",
                    "arrow_to_pandas_kwargs", "read_geometry", "datetime_as_string",
                    "mixed_offsets_as_utc")
"""``pyogrio.read_dataframe`` options that do not choose which features are read."""


_ONE_POINT = "point array must contain 0 or >1 elements"
"""GEOS's refusal of a LineString of one point (read by
:func:`prospect.io.geoparquet.linear_geometry` as the line of no length there)."""


def _read_surfaces(src: _Source, layer: str | None, encoding: str | None,
                   kwargs: dict[str, Any]) -> tuple[Any, int]:
    """The read of :func:`_read` of a layer holding 3D surfaces GEOS cannot read (a
    PolyhedralSurface or TIN: an ESRI multipatch as GDAL reads it, a GeoPackage's 3D
    surface; pyogrio raised ``GEOSException: Unknown WKB type 15``, an internal error,
    and the repairing read gave each such feature no geometry, "null or empty", its unit
    no code) or a line of one point (a digitising click: GEOS's "point array must
    contain 0 or >1 elements", and the repairing read gave it no geometry): the
    attributes as pyogrio reads them, each surface as its footprint in plan and each
    click as the line of no length there (:func:`prospect.io.geoparquet.linear_geometry`,
    the surfaces' count in ``df.attrs["surfaces"]``), the other geometries as the
    repairing read gives them.

    Returns the frame and the number of rings closed (as :func:`_read` counts them)."""
    rows = {k: v for k, v in kwargs.items() if k not in _NOT_ROW_OPTIONS}
    meta, fids, wkb = _ogr.read_wkb(src.name, layer=layer, encoding=encoding, **rows)
    if kwargs.get("columns") == []:  # (no attribute asked: pyogrio reads none)
        df = pd.DataFrame(index=pd.Index(fids, name="fid") if kwargs.get("fid_as_index")
                          else pd.RangeIndex(len(wkb)))
    else:
        df = _ogr.read_dataframe(src.name, layer=layer, encoding=encoding,
                                 **{**kwargs, "read_geometry": False})
    geoms = np.empty(len(wkb), dtype=object)
    surfaces = closed = 0
    for i, value in enumerate(wkb):
        if value is None:
            continue
        linear = linear_geometry(value)
        if linear is not None:
            geoms[i], surfaces = linear[0], surfaces + int(linear[1])
            continue
        geoms[i] = shapely.from_wkb(value, on_invalid="fix")
        closed += int(geoms[i] is not None and
                      shapely.from_wkb(value, on_invalid="ignore") is None)
    gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index),
                           crs=meta.get("crs"))
    if surfaces:
        gdf.attrs["surfaces"] = surfaces
    return gdf, closed


def _booleans_kept(name: str, layer: str | None, df: Any, encoding: str | None) -> Any:
    """``df`` with its boolean fields that have empty values as ``True``/``False``/``None``
    cells: pyogrio gives such a field (a GeoJSON's ``true``, ``null``; a GeoPackage's
    boolean column with NULLs) as floats 1.0/NaN/0.0, and a boolean named as a grade was
    read as a grade of 1 (a field without NULLs stays of dtype ``bool``)."""
    floats = [c for c in df.columns if c != "geometry" and getattr(df[c].dtype, "kind", "")
              == "f"]
    if not floats:
        return df
    try:
        with gdal_messages():
            info = _ogr.read_info(name, layer=layer, encoding=encoding)
    except Exception:  # (the read itself succeeded: keep what it gave)
        return df
    booleans = [f for f, kind in zip(info["fields"], info["dtypes"], strict=False)
                if kind == "bool" and f in floats]
    for field in booleans:
        df[field] = df[field].map(lambda v: None if pd.isna(v) else bool(v)).astype(object)
    return df


EXACT_FLOAT_MAX = 2**53
"""The largest whole number every float64 holds exactly."""


def _integers_kept(name: str, layer: str | None, df: Any, encoding: str | None,
                   kwargs: dict[str, Any]) -> Any:
    """``df`` with its integer fields that have empty values and numbers past
    :data:`EXACT_FLOAT_MAX` as cells of Python ints (``None`` where empty): pyogrio gives
    such a field as floats, which round those numbers (9007199254740993 read
    9007199254740992). A unit code column of such numbers with one null named the units
    of the whole layer by their rounded numbers and a chunk's (without the null) by their
    own: ``internal error: KeyError`` in a worker, or two units merged into one code.
    The columns are read again through Arrow (exact); other frames as they are."""
    big = [c for c in df.columns if c != "geometry" and getattr(df[c].dtype, "kind", "") == "f"
           and bool((np.abs(df[c].to_numpy()) >= EXACT_FLOAT_MAX).any())]
    if not big:
        return df
    try:
        with gdal_messages():
            info = _ogr.read_info(name, layer=layer, encoding=encoding)
            ints = [f for f, kind in zip(info["fields"], info["dtypes"], strict=False)
                    if str(kind).startswith(("int", "uint")) and f in big]
            if not ints:
                return df
            asked = {k: v for k, v in kwargs.items()
                     if k in ("bbox", "where", "mask", "skip_features", "max_features")}
            _meta, table = _ogr.read_arrow(name, layer=layer, encoding=encoding,
                                              columns=ints, read_geometry=False, **asked)
    except Exception:  # (the read itself succeeded: keep what it gave)
        return df
    if table.num_rows != len(df):
        return df
    for field in ints:
        df[field] = pd.Series(table.column(field).to_pylist(), index=df.index, dtype=object)
    return df


JSON_BOOLEANS_READ_MAX = 2**26
"""The largest GeoJSON (bytes) read again for ``true``/``false`` among a field's numbers."""


def _json_booleans(name: str, df: Any) -> Any:
    """``df`` (a whole GeoJSON file's features, in file order) with the ``true``/``false``
    values of its number fields as ``True``/``False`` cells: GDAL reads a property that is
    ``12.5`` in one feature and ``true`` in another as a number field, ``true`` as 1, and
    a boolean among grades was read as a grade of 1. Other files and frames as they are."""
    import json
    import re

    if name.startswith("/vsi") or Path(name).suffix.lower() not in (".geojson", ".json"):
        return df
    numeric = [c for c in df.columns if c != "geometry"
               and getattr(df[c].dtype, "kind", "") in "fiu"]
    if not numeric:
        return df
    try:
        if Path(name).stat().st_size > JSON_BOOLEANS_READ_MAX:
            return df
        raw = Path(name).read_bytes()
        if re.search(rb'"\s*:\s*(?:true|false)\b', raw) is None:
            return df
        doc = json.loads(raw)
    except (OSError, ValueError):
        return df
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or len(features) != len(df):
        return df
    props: list[dict[str, Any]] = [
        f["properties"] if isinstance(f, dict) and isinstance(f.get("properties"), dict)
        else {} for f in features]
    for column in numeric:
        at = [i for i, p in enumerate(props) if isinstance(p.get(column), bool)]
        if at:
            cells = df[column].astype(object)
            for i in at:
                cells.iat[i] = props[i][column]
            df[column] = cells
    return df


def _read_across(src: _Source, layer: str | None, columns: list[str] | None,
                 bbox: tuple[float, float, float, float]) -> Any:
    """:func:`_read` of the features meeting a box of longitudes across the antimeridian
    (west > east: a chunk of a Fiji or Aleutian grid read from a lon/lat file). GDAL's
    filter takes such a box as empty: a geology map cut at 180 as RFC 7946 says gave no
    unit to any cell of the chunk, without a word. The box is read as its spans west of
    180, east of -180 and past 180 (a file written in 0..360), each feature once."""
    west, south, east, north = bbox
    spans = [(west, south, 180.0, north), (-180.0, south, east, north),
             (180.0, south, east + 360.0, north)]
    # each feature's id: GDAL's fid, or a GeoParquet row's number (pyarrow's frame index)
    ids = {} if is_parquet(src.name) else {"fid_as_index": True}
    parts = [_read(src, layer, columns=columns, bbox=span, **ids) for span in spans]
    gdf = pd.concat(parts)
    gdf = gdf[~gdf.index.duplicated()].sort_index()
    gdf.attrs = {key: value for part in parts for key, value in part.attrs.items()}
    return gdf.reset_index(drop=True)


def _turns(src: _Source, layer: str | None, crs: str | None,
           bbox: tuple[float, float, float, float]) -> list[float]:
    """The turns of the Earth (360 or -360 degrees) by which ``bbox`` (longitudes in
    -180..180) meets the features of a lon/lat layer written past 180 or -180 (a geology
    map or a fault layer in longitudes 0..360, as Pacific maps and climate models write
    them, of a region west of Greenwich: the Caribbean); none for any other layer, or
    where its extent is not known. ``crs``: the config's, over the file's."""
    span = _lonlat_span(src, layer, crs, file_version(src.shown))
    if span is None:
        return []
    lo, hi = span
    west, _, east, _ = bbox
    return [turn for turn in (360.0, -360.0)
            if (hi > 180.0 if turn > 0 else lo < -180.0)
            and west + turn <= hi and east + turn >= lo]


@functools.lru_cache(maxsize=32)
def _lonlat_span(src: _Source, layer: str | None, crs: str | None,
                 _version: tuple[int, ...]) -> tuple[float, float] | None:
    """The west and east ends of a lon/lat layer's extent where it lies past 180 or
    -180 (:func:`_turns`); ``None`` for any other layer, or where they are not known
    (read once per file version: each chunk's read asks)."""
    info = _info(src, layer)
    bounds = info.get("total_bounds")
    stated = crs if crs is not None else info.get("crs")
    if bounds is None or stated is None:
        return None
    lo, hi = float(bounds[0]), float(bounds[2])
    if not (math.isfinite(lo) and math.isfinite(hi)) or (hi <= 180.0 and lo >= -180.0):
        return None
    try:
        if not parse_crs(stated).is_geographic:
            return None
    except (CRSError, ValueError):
        return None
    return lo, hi


def _read_turned(src: _Source, layer: str | None, columns: list[str] | None,
                 bbox: tuple[float, float, float, float], turns: list[float]) -> Any:
    """:func:`_read_box` of ``bbox`` and of ``bbox`` a turn of the Earth east or west
    (:func:`_turns`), each feature once, in the order of the file; those read a turn away
    are moved back by it (into -180..180, where the box is). A chunk of a region west of
    Greenwich read from a map in longitudes 0..360 was "no feature of layer ... lies in
    the region", or no unit in its cells, though the map covers it. A Shapefile whose
    index is stale is scanned once, as :func:`_read_box` does."""
    ids = {} if is_parquet(src.name) else {"fid_as_index": True}
    whole = _read(src, layer, columns=columns, **ids) \
        if src.shapefiles and _index_stale(src) else None

    def meeting(box: tuple[float, float, float, float]) -> Any:
        if whole is None:
            return _read(src, layer, columns=columns, bbox=box, **ids)
        envelopes = shapely.envelope(np.asarray(whole.geometry.to_numpy(), dtype=object))
        part = whole[shapely.intersects(envelopes, shapely.box(*box))]
        part.attrs = dict(whole.attrs)
        return part

    parts = [meeting(bbox)]
    west, south, east, north = bbox
    for turn in turns:
        part = meeting((west + turn, south, east + turn, north))
        if len(part):
            moved = shapely.transform(part.geometry.to_numpy(),
                                      lambda xy, turn=turn: xy - np.array([turn, 0.0]))
            part = part.set_geometry(gpd.GeoSeries(moved, index=part.index, crs=part.crs,
                                                   name=part.geometry.name))
        parts.append(part)
    gdf = pd.concat(parts)
    gdf = gdf[~gdf.index.duplicated()].sort_index(kind="stable")
    gdf.attrs = {key: value for part in parts for key, value in part.attrs.items()}
    return gdf.reset_index(drop=True)


def _read_box(src: _Source, layer: str | None, columns: list[str] | None,
              bbox: tuple[float, float, float, float]) -> Any:
    """:func:`_read` of the features meeting ``bbox``, in the order of the file (as a read
    of the whole layer gives them). A driver that filters by its spatial index gives them
    in the index's order: a GeoPackage's R-tree, so where two units overlap, a chunk of
    a geology map took the unit of whichever feature the R-tree put last, not of the
    feature later in the file, as the overlap warning says (868 of 1 600 cells of a map
    of overlapping features), without a word. Such a read is put back in the order of
    its feature ids (a GeoPackage's rows, a FlatGeobuf's or an indexed Shapefile's
    records); a read that scans the file (GeoJSON, a Shapefile without ``.qix``) is in
    the file's order already, whatever ids its features carry."""
    if is_parquet(src.name):  # (pyarrow reads the rows in order)
        return _read(src, layer, columns=columns, bbox=bbox)
    if src.shapefiles and _index_stale(src):  # (GDAL's filter would use it): a scan
        gdf = _read(src, layer, columns=columns)
        attrs = dict(gdf.attrs)
        boxes = shapely.envelope(np.asarray(gdf.geometry.to_numpy(), dtype=object))
        gdf = gdf[shapely.intersects(boxes, shapely.box(*bbox))]
        gdf.attrs = attrs
        return gdf.reset_index(drop=True)
    gdf = _read(src, layer, columns=columns, bbox=bbox, fid_as_index=True)
    if not gdf.index.is_monotonic_increasing and \
            _info(src, layer).get("capabilities", {}).get("fast_spatial_filter"):
        attrs = dict(gdf.attrs)
        gdf = gdf.sort_index(kind="stable")
        gdf.attrs = attrs
    return gdf.reset_index(drop=True)


def _refuse_network_parquet(src: _Source) -> None:
    """Refuse a GeoParquet file named by a URL (``https://.../faults.parquet``): the
    GeoParquet reader reads files on this machine, and GDAL's here has no Parquet driver,
    so it was "cannot read as a vector file (corrupt?)" for a sound file."""
    from prospect.io.remote import is_network_name

    tail = src.shown.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not is_network_name(src.shown) or not tail.lower().endswith(PARQUET_SUFFIXES):
        return
    raise InputFileError(
        f"{src.shown}: a GeoParquet file is read from this machine only, not over a "
        f"network; download it first (e.g. curl -fLo {tail} '<the URL>') and give the "
        "downloaded file as the path")


def _exists(src: _Source) -> None:
    """Refuse a path that names no file or folder (the archive, for a ``/vsi`` name)."""
    local = src.archive if src.archive is not None else Path(src.shown)
    if src.archive is None and src.shown.startswith("/vsi"):
        _refuse_network_parquet(src)
        return  # remote, or an archive behind another: GDAL says what is wrong
    if not (local.is_file() or local.is_dir()):  # a folder may be one (a FileGDB)
        raise InputFileError(f"{local}: {why_unreadable(local, 'vector file')}")
    if local.is_file() and local.stat().st_size == 0:  # GDAL: "not recognized as ... format"
        raise InputFileError(f"{local}: the file is empty (0 bytes): a download or copy that "
                             "did not finish? copy or export it again")


def list_layers(path: Path | str, layer: str | None = None) -> list[str]:
    """Layer names of a vector file (of the vector file inside a ``.zip``; ``layer`` picks
    one of several there)."""
    src = _source(path, layer)
    _exists(src)
    _check_shapefile(src)
    if is_parquet(src.name):  # one layer, named by the file's stem
        geo_metadata(src.name)  # a damaged file, or metadata GeoParquet does not define
        return [Path(src.name).stem]
    try:
        quiet_measured()
        with gdal_messages():  # the read reports them
            return [str(row[0]) for row in _ogr.list_layers(src.name)]
    except (DataSourceError, DataLayerError) as exc:
        raise InputFileError(f"{src.shown}: " + (_number_said(src, str(exc)) or
                                                 _what_instead(src) or
                             f"cannot read as a vector file (corrupt?): {exc}")) from None


_UNREAD_NUMBER = re.compile(r"Unrecognized number: (-?[0-9][0-9.eE+-]*)")
"""GDAL's (json-c's) words for a GeoJSON number it does not read: some integers past 2**63
(``9223372036854775809``, a 19- or 20-digit id or code; others it reads as doubles), a
number past the doubles' 1.8e308."""
_NEWLINE = b"\n"


def _number_said(src: _Source, said: str) -> str:
    """Where and what the GeoJSON number GDAL cannot read is (``said``: its error), with
    the fix; ``""`` for any other error. The whole file was refused as "a JSON document
    that is no GeoJSON GDAL reads ... check the download", a valid GeoJSON whose one
    property held a 19-digit code; GDAL's own position is not the number's."""
    found = _UNREAD_NUMBER.search(said)
    if found is None:
        return ""
    number = found.group(1)
    where = ""
    with contextlib.suppress(OSError, ValueError):  # (the line is a help, never a failure)
        if src.archive is None and Path(src.name).is_file() and \
                Path(src.name).stat().st_size <= 256 * 2**20:
            text = Path(src.name).read_bytes()
            at = re.search(rb"(?<![0-9.eE+-])" + re.escape(number.encode()) +
                           rb"(?![0-9.eE+-])", text)
            if at is not None:
                where = f" (line {text.count(_NEWLINE, 0, at.start()) + 1})"
    return (f"holds the number {number}{where}, which GDAL cannot read (some integers "
            "past 2**63, as a 19- or 20-digit id or code is, or a number past 1.8e308): the "
            "file is not read; write it as text in quotes "
            f"(\"{number}\"), as a code or an id is best kept, or correct it")


def _what_instead(src: _Source) -> str:
    """What a file GDAL does not read as a vector file is instead, with the fix: a web
    page (a download that returned an error or sign-in page), a raster, a text table
    under a vector file's name; ``""`` when it cannot be told. Each was "cannot read as a
    vector file (corrupt?): ... not recognized as being in a supported file format"."""
    from prospect.io.points import raster_kind

    local = Path(src.shown)
    if src.archive is None and not local.is_file():
        return _network_said(src)
    if src.archive is not None:
        return ""
    try:
        with local.open("rb") as fh:
            raw = fh.read(4096)
    except OSError:
        return ""
    archive = _archive_said(local, raw)
    if archive:
        return archive
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:400].decode("utf-8", "replace").lower()
    grid = raster_kind(raw)
    if grid is not None:
        return (f"not a vector file but {grid}, a raster of cells; give it as a raster "
                "source ('kind: raster')")
    if head.startswith(("<!doctype html", "<html")) or "<body" in head[:200]:
        return ("not a vector file but an HTML page (a download that returned an error or "
                "sign-in page instead of the file?); download it again, signed in, from its "
                "own link")
    if head.startswith(("{", "[")):
        return ("a JSON document that is no GeoJSON GDAL reads (no 'type': "
                "'FeatureCollection' with features?); check the download (a web service's "
                "error answer?), or export the layer as GeoJSON again")
    raster = _opens_as_raster(local)
    if raster:
        return (f"not a vector file but {raster}, with no vector layer; give it as a "
                "raster source ('kind: raster')")
    first = head.split("\n", 1)[0]
    if first and all(c.isprintable() or c in "\t\r" for c in first) and \
            any(d in first for d in ",;\t"):
        return ("not a vector file but a text table (its first line: "
                f"{first.strip()[:60]!r}); give it a table's name (.csv) to read it as one")
    return ""


def _network_head(name: str, size: int) -> bytes | None:
    """The first ``size`` bytes of a file read over a network (one ranged request through
    pyogrio's GDAL, under this thread's HTTP settings); ``None`` where it cannot be read."""
    from prospect.io.remote import is_network_name, vsi_head

    lib = _pyogrio_gdal()
    if lib is None or not is_network_name(name):
        return None
    with _gdal_config(_network_options()[0]):
        return vsi_head(lib, name, size)


def _network_said(src: _Source) -> str:
    """What a file read over a network that GDAL does not read as a vector file is
    instead: a web page or a server's error answer (a sign-in page, a portal's page of
    the map rather than its file); ``""`` when it cannot be told. It was "cannot read as
    a vector file (corrupt?)", where the same file on disk is named as a page."""
    raw = _network_head(src.name, 1024)
    if not raw:
        return ""
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:600].decode("utf-8", "replace").lower()
    if head.startswith(("<!doctype html", "<html")) or "<body" in head[:300] or \
            "<head>" in head[:300]:
        return ("not a vector file but an HTML page the server answered with (an error or "
                "sign-in page, or the map's web page rather than its file?); give the "
                "file's own download link, or download the map and give the file")
    if (head.startswith("<?xml") and "<error>" in head) or head.startswith("<error>") or \
            (head.startswith("{") and re.search(r'"(error|errors|message|detail)"', head)):
        return ("not a vector file but the server's error answer (its first words: "
                f"{raw[:80].decode('utf-8', 'replace').strip()!r}); check the URL and "
                "that it may be read without signing in")
    return ""


def _opens_as_raster(local: Path) -> str:
    """What GDAL opens ``local`` as, where it is a raster no magic number tells (a
    GeoPackage of raster tiles, a SQLite database of them): ``"a GPKG raster (3 bands of
    40 x 40 cells)"``, else ``""``. Such a file given as a vector source was "cannot
    read as a vector file (corrupt?)"."""
    import rasterio

    from prospect.io.raster import gdal_settings

    try:
        with gdal_settings(CPL_LOG="OFF"), rasterio.open(local) as src:
            return (f"a {src.driver} raster ({src.count} band(s) of {src.width} x "
                    f"{src.height} cells)")
    except Exception:  # no raster either
        return ""


_OTHER_ARCHIVES = {b"7z\xbc\xaf\x27\x1c": "7-Zip", b"Rar!\x1a\x07": "RAR"}
"""The first bytes of archives GDAL does not read, and their names."""


def _archive_said(local: Path, raw: bytes) -> str:
    """What an archive given as a vector file holds and how to read it: a tar archive
    (``.tar``, ``.tar.gz``, ``.tgz``) through GDAL's ``/vsitar/`` at the vector file
    inside, a 7-Zip or RAR archive extracted first; ``""`` for no archive. Each was
    "cannot read as a vector file (corrupt?)", of a sound download."""
    import shlex
    import tarfile

    from prospect.io.raster import _COMPRESSIONS

    kind = next((k for magic, k in _OTHER_ARCHIVES.items() if raw.startswith(magic)), None)
    if kind is not None:
        return (f"not a vector file but a {kind} archive, which GDAL does not read; "
                "extract it and give the vector file inside (or a .zip of it)")
    # a bzip2, xz or zstd file (a .geojson.bz2, a .tar.xz of a Shapefile): GDAL reads
    # none in place; it was "cannot read as a vector file (corrupt?)"
    squeezed = next((c for c in _COMPRESSIONS if raw.startswith(c.magic)
                     and c.name != "gzip"), None)
    try:
        if not tarfile.is_tarfile(local):
            members = None
        else:
            with tarfile.open(local) as tar:
                members = tuple(m.name for m in tar.getmembers() if m.isfile())
    except (OSError, tarfile.TarError, EOFError):
        members = None
    if squeezed is not None:
        name = local.name
        if members is not None:
            return (f"not a vector file but {squeezed.a} {squeezed.name}-compressed tar "
                    f"archive ({_shown(members) or 'empty'}), which GDAL does not read in "
                    f"place; extract it (tar -xf {shlex.quote(name)}) and give the vector "
                    "file inside (or a .zip of it)")
        inner = name[:-len(local.suffix)] if local.suffix.lower() in squeezed.suffixes \
            else name
        return (f"not a vector file but {squeezed.a} {squeezed.name}-compressed file, which "
                f"GDAL does not read in place; decompress it ({squeezed.tool} "
                f"{shlex.quote(name)}) and give {inner}")
    if members is None:
        return ""
    found = zip_datasets(tuple(m for m in members
                               if not m.rsplit("/", 1)[-1].startswith("._")))
    if not found:
        return (f"not a vector file but a tar archive holding no vector file GDAL reads "
                f"(its files: {_shown(members) or 'none'}); give the archive of the map")
    inside = ", ".join(f"/vsitar/{local.resolve()}/{f}" for f in found[:3])
    return ("not a vector file but a tar archive; give the vector file inside as the path "
            f"(GDAL's name for it: {inside}{', ...' if len(found) > 3 else ''}), or extract it")


def _layer_named(src: _Source, layer: str | None) -> str | None:
    """The layer of ``src`` that ``layer`` names, as the file writes it: as given, or in
    another Unicode form (a layer named after a file name on a Mac, decomposed, asked for
    as typed, composed: "no layer 'unités'; layers are ['unités']", which no retyping
    fixes)."""
    if layer is None or layer.isascii():
        return layer
    try:
        layers = _layers_of(src.name, file_version(src.shown))
    except Exception:  # (the read proper names what is wrong with the file)
        return layer
    return field_named(layers, layer) or layer


@functools.lru_cache(maxsize=32)
def _layers_of(name: str, _version: tuple[int, ...]) -> list[str]:
    """The layer names of the dataset GDAL opens as ``name`` (once per file version)."""
    quiet_measured()
    with gdal_messages():
        return [str(row[0]) for row in _ogr.list_layers(name)]


_STYLE_TABLES = ("layer_styles", "qgis_projects")
"""Tables a GIS keeps beside a map's layers that hold no map: QGIS's styles ("Save style
in database") and projects saved in a GeoPackage."""


def map_layers(layers: list[str]) -> list[str]:
    """The layers of a file that may hold a map: all but a GIS's style and project tables
    (:data:`_STYLE_TABLES`), which QGIS writes into a GeoPackage beside its layers.

    Parameters
    ----------
    layers : list of str
        A file's layers (:func:`list_layers`).

    Returns
    -------
    list of str
        Those layers in the file's order, without ``layer_styles`` and ``qgis_projects``.
    """
    return [n for n in layers if n.lower() not in _STYLE_TABLES]


def _check_layer(path: Path | str, layer: str | None) -> tuple[_Source, str | None]:
    """An unknown ``layer`` is refused, and so is ``None`` for a file of several layers
    (GDAL would take the first, another table than meant, with a bare Python warning).
    A layer named in another Unicode form is the layer (:func:`_layer_named`). Returns
    what GDAL opens and the layer to read: ``layer``, or for ``None`` the one map layer of
    a file whose other tables are a GIS's styles and projects (:data:`_STYLE_TABLES`: a
    GeoPackage styled in QGIS was "holds 2 layers (units, layer_styles)")."""
    src = _source(path, layer)
    layers = list_layers(path, layer)
    if layer is not None and field_named(layers, layer) is None:
        raise DataError(f"{src.shown}: no layer {layer!r}; layers are {layers}"
                        f"{_nearest(layer, layers)}")
    maps = map_layers(layers)
    if layer is None and len(layers) > 1 and len(maps) == 1:
        return src, maps[0]
    if layer is None and len(layers) > 1:
        kinds = _layer_kinds(src, layers)
        merge = _kml_merge(src, kinds)
        shown = ", ".join(f"{n!r} ({kinds[n]})" if kinds.get(n) else repr(n)
                          for n in layers[:_LAYERS_DESCRIBED])
        more = f", ... ({len(layers)} in all)" if len(layers) > _LAYERS_DESCRIBED else ""
        folders = " (the KML's folders)" if src.name.lower().endswith((".kml", ".kmz")) \
            else ""
        raise DataError(f"{src.shown}: holds {len(layers)} layers ({', '.join(layers)})"
                        f"{folders}: {shown}{more}; name the one to read with 'layer:' in "
                        f"the config (e.g. layer: {_first_filled(layers, kinds)!r}){merge}")
    return src, layer


def _kml_merge(src: _Source, kinds: dict[str, str]) -> str:
    """The command that joins a KML's folders into one layer, where two or more of them
    hold points, polygons or lines (``""`` otherwise): a map drawn in Google Earth keeps
    one folder per rock unit or per survey, and reading the one folder that ``layer:``
    names reads a part of the map. The polygons' was missing: a geology map of a folder
    per unit was told only to name one folder, half the map."""
    import shlex

    if not src.name.lower().endswith((".kml", ".kmz")):
        return ""
    name = Path(src.shown).name
    if sum(1 for k in kinds.values() if k and "point" in k) > 1:
        return ("; to read the points of every folder as one layer, write them into "
                "one file first (ogr2ogr -f GPKG points.gpkg "
                f"'{name}' -where \"OGR_GEOMETRY='POINT'\" -nln points "
                "-append) and give that file")
    for family, types, out, drawn in (
            ("polygon", "'POLYGON','MULTIPOLYGON'", "units", "a folder per unit"),
            ("line", "'LINESTRING','MULTILINESTRING'", "lines", "a folder per fault set")):
        if sum(1 for k in kinds.values() if k and family in k) > 1:
            return (f"; to read the {family}s of every folder as one layer (a map of "
                    f"{drawn}), write them into one file first (ogr2ogr -f GPKG "
                    f"{out}.gpkg {shlex.quote(name)} -where \"OGR_GEOMETRY IN ({types})\" "
                    f"-nln {out} -append) and give that file: each {family} keeps its own "
                    "attributes, not its folder's name")
    return ""


_LAYERS_DESCRIBED = 12
"""Layers whose features are counted in the message that asks for ``layer:``."""
_KINDS_READ_MAX = 200_000
"""Most features of a layer of unstated geometry type (a KML folder) read to count its
points, lines and polygons."""


def _layer_kinds(src: _Source, layers: list[str]) -> dict[str, str]:
    """What each of the first layers holds, as said to a user choosing one (``'2 points'``,
    ``'1 polygon'``, ``'no features'``); a layer that cannot be told is left out. A KML's
    folders state no geometry type ("Unknown"): their geometries are read and counted."""
    out: dict[str, str] = {}
    if is_parquet(src.name):
        return out
    for name in layers[:_LAYERS_DESCRIBED]:
        try:
            quiet_measured()
            with gdal_messages():
                info = _ogr.read_info(src.name, layer=name, force_feature_count=True)
                count = int(info.get("features") or 0)
                kind = str(info.get("geometry_type") or "")
                if not count:
                    out[name] = "no features"
                    continue
                if kind in ("", "None"):
                    out[name] = f"{count} row{'s' if count != 1 else ''} without geometry"
                    continue
                if kind == "Unknown" and count <= _KINDS_READ_MAX:
                    icon = ["icon"] if "icon" in list(info.get("fields", [])) else []
                    frame = _ogr.read_dataframe(src.name, layer=name, columns=icon)
                    overlay = _overlays(frame)
                    kinds = Counter(str(t) for t in frame.geometry[~overlay].geom_type.dropna())
                    if overlay.any():  # (a scanned map placed on the map: no feature)
                        kinds["ground overlay"] = int(overlay.sum())
                else:
                    kinds = Counter({kind.removesuffix(" Z").removesuffix(" M"): count})
        except Exception:  # a layer that cannot be told is named without its count
            continue
        out[name] = ", ".join(f"{n} {_kind_word(k, n)}" for k, n in kinds.most_common()) \
            or f"{count} feature{'s' if count != 1 else ''} without geometry"
    return out


def _overlays(frame: Any) -> np.ndarray:
    """Which features of a KML layer GDAL (LIBKML) read are ground overlays (an image
    placed on the map by its ``LatLonBox``): those with an ``icon`` (the image), which
    LIBKML gives no placemark. GDAL reads each as the polygon of the image's frame."""
    if "icon" not in getattr(frame, "columns", ()):
        return np.zeros(len(frame), bool)
    icon = frame["icon"]
    return (icon.notna() & (icon.astype(str).str.strip() != "")).to_numpy(bool)


def _without_overlays(gdf: Any, path: Path, layer: str | None) -> Any:
    """``gdf`` without a KML's ground overlays (:func:`_overlays`), said in a warning; a
    layer of overlays only is refused. An overlay (a scanned map placed on Google Earth)
    was read as a polygon feature: as labels, every cell of the image's frame was a
    deposit (185,110 cells of one overlay), as points "expected point geometries"."""
    if Path(str(path)).suffix.lower() not in (".kml", ".kmz") or not len(gdf):
        return gdf
    overlay = _overlays(gdf)
    if not overlay.any():
        return gdf
    names = [str(v) for v in gdf.loc[overlay, "Name"].dropna()][:3] \
        if "Name" in gdf.columns else []
    named = f" ({', '.join(map(repr, names))})" if names else ""
    n = int(overlay.sum())
    where = f"layer {layer!r}" if layer else "the layer read"
    if overlay.all():
        every = list_layers(path)
        others = [name for name in every if name != (layer or next(iter(every), None))]
        raise DataError(
            f"{path}: {where} holds only {n} ground overla{'y' if n == 1 else 'ies'}{named}: "
            "images placed on the map, not features (GDAL reads each as its frame's "
            "polygon); "
            + (f"name the layer of the placemarks with 'layer:' (layers: {others[:10]})"
               if others else "give the placemarks' file, or the image itself as a raster "
               "layer (georeferenced: gdal_translate of the KMZ's image with -a_ullr)"))
    import warnings

    from prospect.errors import DataWarning

    warnings.warn(DataWarning(
        f"{path}: {n} ground overla{'y' if n == 1 else 'ies'}{named} of {where} left out: "
        "an image placed on the map is not a feature (GDAL reads it as its frame's "
        "polygon); the placemarks are read"), stacklevel=3)
    return gdf[~overlay]


def _kind_word(kind: str, n: int) -> str:
    """``'point'``/``'points'``, ``'polygon'``, ``'line'``... for a geometry type."""
    word = {"Point": "point", "MultiPoint": "multi-point", "LineString": "line",
            "MultiLineString": "multi-line", "Polygon": "polygon",
            "MultiPolygon": "multi-polygon", "GeometryCollection": "geometry collection"
            }.get(kind, kind)
    return word + ("s" if n != 1 else "")


def _first_filled(layers: list[str], kinds: dict[str, str]) -> str:
    """The first layer holding features (the example ``layer:`` given); of a GPX file's,
    the first point layer holding features (``tracks`` holds lines, which the point reader
    refuses: ``track_points`` holds the same fixes as points)."""
    filled = [n for n in layers if kinds.get(n) and kinds[n] != "no features"
              and not (kinds[n].endswith(("ground overlay", "ground overlays"))
                       and "," not in kinds[n])]  # (images placed on the map only)
    points = [n for n in filled if n in GPX_POINT_LAYERS]
    if points and {"tracks", "routes"} & set(layers):  # GDAL's five GPX layers
        return points[0]
    return next(iter(filled), layers[0])


GPX_POINT_LAYERS = ("waypoints", "route_points", "track_points")
"""GDAL's layers of a GPX file that hold points (it lists routes and tracks beside them,
empty or not)."""


def gpx_layer(path: Path | str) -> str | None:
    """The layer of a GPX file read when none is named: its one point layer holding
    features (a handheld's waypoints), ``None`` for any other file or when that cannot be
    told. GDAL lists every GPX file's five layers, so a file of waypoints alone was
    refused as "holds 5 layers (waypoints, routes, tracks, route_points, track_points)"."""
    if Path(str(path)).suffix.lower() != ".gpx" or str(path).startswith("/vsi"):
        return None
    try:
        quiet_measured()
        with gdal_messages():
            filled = [name for name in list_layers(path) if int(_ogr.read_info(
                str(path), layer=name, force_feature_count=True).get("features") or 0) > 0]
    except Exception:  # the read proper names what is wrong with the file
        return None
    points = [name for name in filled if name in GPX_POINT_LAYERS]
    return points[0] if len(points) == 1 and len(filled) == 1 else None


def _refuse_network_link(path: Path) -> None:
    """Refuse a KML without features that links to others (a ``NetworkLink``, as Google
    Earth saves a layer served from the web): its placemarks are not in the file, and it was
    "holds no features (an export of an empty selection?)"."""
    if path.suffix.lower() != ".kml" or not path.is_file():
        return
    try:
        text = path.read_bytes()[:1_000_000].decode("utf-8", "replace")
    except OSError:
        return
    import html
    import re

    if not re.search(r"<(?:\w+:)?NetworkLink[\s>]", text):
        return
    from prospect.redact import redact

    hrefs = [redact(html.unescape(h))  # a link's token is no part of a message
             for h in re.findall(r"<(?:\w+:)?href>\s*([^<\s]+)\s*<", text)]
    raise DataError(
        f"{path}: the KML holds no features but a NetworkLink to "
        f"{', '.join(hrefs[:3]) or 'another file'}{', ...' if len(hrefs) > 3 else ''}: its "
        "features are loaded from there when Google Earth opens it, and are not in this "
        "file; download the linked file (a .kml or .kmz) and give that")


def _info(src: _Source, layer: str | None) -> dict[str, Any]:
    if is_parquet(src.name):
        return parquet_info(src.name)
    layer = _layer_named(src, layer)
    quiet_measured()
    # (the field names as the read gives them: a .cpg GDAL cuts each name of, or wrong)
    encoding, _, cut = _encoding(src, layer) if src.shapefiles else (None, "", "")
    with gdal_messages():  # the read reports them
        info: dict[str, Any] = _ogr.read_info(
            src.name, layer=layer, **({"encoding": encoding} if encoding else {}))
    if cut:
        info = {**info, "fields": np.array([_decode_text(str(f), cut, src)
                                            for f in info["fields"]], dtype=object)}
    undefined = undefined_srs(info.get("crs"))
    if undefined:  # states no CRS (:func:`undefined_srs`)
        info = {**info, "crs": None, "undefined_srs": undefined}
    return info


def refuse_partial_prj(path: Path | str) -> None:
    """Refuse a shapefile whose ``.prj`` is in ArcInfo's keywords and states what GDAL
    reads only in part (:func:`prospect.io.raster.esri_keyword_gap`).

    OGR read ``Projection UTM`` / ``Zone -19`` (ArcInfo's southern zone) as UTM zone 30
    north, so a geology map, a deposit shapefile or a label layer was placed 6000 km away
    ("no feature in the region") or, of a zone next to the region's, overlapped it in the
    wrong place without a word. Every vector read without a config ``crs:`` checks it.

    Raises
    ------
    CRSError
        Naming the ``.prj``, what GDAL reads only in part and the fix.
    """
    from prospect.io.raster import esri_keyword_gap

    path = str(path)
    if path.startswith("/vsi") or "://" in path or not path.lower().endswith(".shp"):
        return
    prj = Path(path).with_suffix(".prj")
    try:
        text = prj.read_text(errors="replace")[:1 << 16] if prj.is_file() else ""
    except OSError:
        return
    gap = esri_keyword_gap(text)
    if gap:
        raise CRSError(
            f"{path}: its CRS file {prj.name} is in ArcInfo's keywords and {gap}: the "
            "features would be placed by a CRS GDAL filled in; give the CRS with 'crs:' in "
            "the source config (e.g. crs: 'EPSG:32719' for WGS 84 / UTM zone 19 south), or "
            f"write {prj.name} as WKT (gdalsrsinfo -o wkt_esri EPSG:<code> > {prj.name})")


def layer_crs(path: Path | str, *, layer: str | None = None, crs: str | None = None,
              region: Any = None) -> str:
    """WKT of a layer's CRS (``crs`` when given or when the file carries none). ``region``
    (a :class:`~prospect.grid.RegionGrid`): offered as the CRS of a file that states none
    whose coordinates lie in it (:func:`_no_crs`)."""
    src, layer = _check_layer(path, layer)
    if region is not None and not is_parquet(src.name) and \
            _info(src, layer).get("geometry_type", "") is None:
        raise _no_geometries(src.shown, layer)
    if crs is not None:
        return parse_crs(crs).to_wkt()
    info = _info(src, layer)
    if info.get("crs") is None:
        raise _no_crs(src, info.get("undefined_srs", ""), info.get("total_bounds"), region)
    refuse_partial_prj(path)
    return parse_crs(info["crs"]).to_wkt()


def _no_geometries(path: Path | str, layer: str | None) -> DataError:
    """The refusal of a layer that is a table of attributes only (a CSV or a spreadsheet of
    the units' legend, a ``.dbf`` alone, a GeoPackage's attribute table) given as a map.
    At planning it was "the vector file has no CRS; give it with 'crs:'", and with a
    ``crs:`` given "cannot read layer (first): Cannot set spatial filter: no geometry
    field present in layer" (round 51)."""
    try:
        layers = ", ".join(list_layers(path, layer))
    except Exception:  # (the refusal stands on its own)
        layers = "?"
    return DataError(
        f"{path}: layer {layer or '(first)'} holds no geometries (a table of attributes "
        f"only; layers: {layers}); give the layer of the features with 'layer:', or a "
        "layer with geometries (a legend or a spreadsheet of the units is no map: give "
        "the map's own file, e.g. a GeoPackage or Shapefile of its polygons)")


def _fields_of(src: _Source, layer: str | None) -> list[str] | None:
    """The attribute columns of a layer (:func:`layer_fields`), ``None`` where its header
    cannot be read alone (the caller names the columns it read)."""
    try:
        return [str(c) for c in _info(src, layer)["fields"]]
    except Exception:  # (a refusal's help, never a second failure)
        return None


def layer_fields(path: Path | str, *, layer: str | None = None) -> list[str]:
    """The attribute columns of a layer (its header only)."""
    return [str(c) for c in _info(_source(path, layer), layer)["fields"]]


def layer_info(path: Path | str, *, layer: str | None = None) -> dict[str, Any]:
    """pyogrio's ``read_info`` of a layer (of the vector file inside a ``.zip``)."""
    return _info(_source(path, layer), layer)


def stored_in_index_order(path: Path | str, *, layer: str | None = None) -> bool:
    """Whether ``path`` is a FlatGeobuf with a spatial index, whose features GDAL stores
    in the index's (packed Hilbert R-tree) order, not in the order they were written
    (``ogr2ogr`` and ``to_file`` write the index by default; ``-lco SPATIAL_INDEX=NO``
    keeps the written order): "later in the file" is then the index's order, which a
    conversion chose.

    Parameters
    ----------
    path : Path or str
        The vector file (a FlatGeobuf, or any other: ``False``).
    layer : str, optional
        The layer (``None``: the file's one map layer).

    Returns
    -------
    bool
        ``True`` for a FlatGeobuf with a spatial index; ``False`` otherwise, or where the
        header cannot be read.
    """
    try:
        info = layer_info(path, layer=layer)
    except Exception:  # (a help to a warning, never a failure of its own)
        return False
    return str(info.get("driver")) == "FlatGeobuf" and bool(
        info.get("capabilities", {}).get("fast_spatial_filter"))


NATIONAL_GRIDS: tuple[str, ...] = (
    "EPSG:28992", "EPSG:3067", "EPSG:3006", "EPSG:2154", "EPSG:27700", "EPSG:31370",
    "EPSG:2056", "EPSG:2193",
)
"""Projected CRSs of national grids whose extents tell them apart from most others (RD
New, TM35FIN, SWEREF99 TM, Lambert-93, British National Grid, Belgian Lambert 72, Swiss
LV95, NZTM), offered when metres in a file without a CRS lie within one of them (UTM
zones are not: every zone holds the same numbers)."""


@functools.cache
def _grid_extent(code: str) -> tuple[str, tuple[float, float, float, float]] | None:
    """A national grid's name and the extent of its area of use in its own metres."""
    import pyproj

    with contextlib.suppress(Exception):
        crs = pyproj.CRS(code)
        area = crs.area_of_use
        if area is not None:
            return crs.name, pyproj.Transformer.from_crs(
                "EPSG:4326", crs, always_xy=True).transform_bounds(*area.bounds)
    return None


def metre_crs_example(bounds: tuple[float, float, float, float]) -> str:
    """The CRS to offer for projected metres of ``bounds`` (west, south, east, north) in a
    file that states none: the national grids of :data:`NATIONAL_GRIDS` whose extent
    holds them (``'EPSG:28992 (Amersfoort / RD New)'``, possibly several), and the form of
    a UTM zone's code (``EPSG:326NN``). It was ``EPSG:32619`` (UTM zone 19N, off Venezuela)
    whatever the place: an outline of the Netherlands in RD New was told to be written so."""
    west, south, east, north = bounds
    fits = []
    for code in NATIONAL_GRIDS:
        found = _grid_extent(code)
        if found is not None:
            x0, y0, x1, y1 = found[1]
            if x0 <= west and east <= x1 and y0 <= south and north <= y1:
                fits.append(f"{code} ({found[0]})")
    utm = "EPSG:326NN for UTM zone NN north, EPSG:327NN south, NN the zone of the place"
    if fits:
        return (f"{' or '.join(fits[:3])} if the data lie there, else the code of the CRS "
                f"they are in ({utm})")
    return f"the code of the CRS they are in ({utm}, or a national grid's)"


def crs_example(bounds: Any) -> str:
    """The CRS to offer a file that states none, by where its coordinates lie, in
    parentheses: ``"(crs: 'EPSG:4326' if its coordinates, x -69 to -68.99, y 12.2 to
    12.21, are longitude/latitude on WGS 84)"`` for numbers that can be degrees, else the
    national grids and UTM zones of :func:`metre_crs_example`; a plain example where
    ``bounds`` are not known.

    A file without a CRS was offered ``crs: 'EPSG:28992'`` (the Dutch national grid)
    whatever its coordinates: a NetCDF in degrees was told "WGS 84 is crs: 'EPSG:4326'"
    and "e.g. crs: 'EPSG:28992'" in one line, and a Shapefile without a ``.prj`` in UTM
    metres off Venezuela the Netherlands' grid.

    Parameters
    ----------
    bounds : sequence of float, optional
        The file's west, south, east and north, in its own numbers.

    Returns
    -------
    str
        Words to follow "give it with 'crs:' in the source config".
    """
    try:
        west, south, east, north = (float(b) for b in bounds)
    except (TypeError, ValueError):
        west = south = east = north = math.nan
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return "(e.g. crs: 'EPSG:32719' for WGS 84 / UTM zone 19 south)"
    # a bound that is 0 but for float noise (8.67e-19 beside 6: an edge computed as a
    # difference) is said 0, not "8.67361738e-19"
    scale = max(abs(west), abs(south), abs(east), abs(north))
    west, south, east, north = (0.0 if abs(v) <= scale * 1e-12 else v
                                for v in (west, south, east, north))
    where = f"x {west:.10g} to {east:.10g}, y {south:.10g} to {north:.10g}"
    if max(abs(west), abs(east)) <= 360 and max(abs(south), abs(north)) <= 90:
        return (f"(crs: 'EPSG:4326' if its coordinates, {where}, are longitude/latitude on "
                "WGS 84)")
    return (f"(its coordinates, {where}, are projected: "
            f"{metre_crs_example((west, south, east, north))})")


_CRS_MEMBER = re.compile(rb'"crs"\s*:\s*(\{(?:[^{}]|\{[^{}]*\})*\})')
"""A GeoJSON's ``crs`` member (an object holding one level of objects)."""
_HEAD = 1 << 16
"""Bytes of a GeoJSON looked at for its ``crs`` member (written before the features)."""


def geojson_crs_link(path: Path | str) -> str:
    """Where a GeoJSON's ``crs`` member of type ``link`` (GeoJSON 2008: ``{"type":
    "link", "properties": {"href": "units.prj", "type": "esriwkt"}}``) points, as said
    to a user (``'units.prj' (esriwkt)``); ``""`` for any other file. GDAL does not follow
    such a link and reads the file as WGS 84: a file of metres was refused as "a
    GeoJSON without a 'crs' member", which it is not."""
    import json

    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD)
        found = _CRS_MEMBER.search(head)
        member = json.loads(found.group(1)) if found else None
    except (OSError, ValueError):
        return ""
    if not isinstance(member, dict) or str(member.get("type", "")).lower() != "link":
        return ""
    props = member.get("properties")
    href, kind = (props.get("href"), props.get("type")) if isinstance(props, dict) else \
        (None, None)
    return f"{str(href)!r}" + (f" ({kind})" if kind else "") if href else "another file"


def _lonlat_why(path: Path | str) -> str:
    """Why a file's layer is in longitude/latitude, by its format: a GeoJSON without a
    ``crs`` member (RFC 7946), a GeoParquet file whose metadata states no ``crs`` (its
    specification's OGC:CRS84; it was said to be a GeoJSON), else the file's own CRS."""
    name = str(path).lower().removesuffix(".gz").removesuffix(".zip")
    if name.endswith((".geojson", ".json", ".geojsonl", ".geojsons")):
        link = geojson_crs_link(path)
        if link:
            return (f"its 'crs' member links to {link} (GeoJSON 2008), which GDAL does not "
                    "follow: it is read as WGS 84, RFC 7946, as a GeoJSON without one")
        return "a GeoJSON without a 'crs' member is read as WGS 84, RFC 7946"
    if is_parquet(path):
        return ("a GeoParquet file whose metadata states no 'crs' is in OGC:CRS84, as "
                "GeoParquet's specification says")
    return "as the file states it" + (" in its .prj" if name.endswith(".shp") else "")


def not_lonlat_hint(path: Path | str, *, layer: str | None = None,
                    crs: str | None = None, region: Any = None) -> str:
    """Why a layer said to be in longitude/latitude lies nowhere: its coordinates are
    projected (x up to 500 400), as in a GeoJSON without a ``crs`` member (GDAL takes WGS 84,
    as RFC 7946 says) holding UTM coordinates; or, given the ``region`` (a
    :class:`~prospect.grid.RegionGrid`) it should lie in, they are latitude, longitude (a
    GeoJSON written lat, lon), which would lie in it swapped; ``""`` otherwise."""
    try:
        info = layer_info(path, layer=layer)
        said = parse_crs(crs or info["crs"]) if (crs or info.get("crs")) else None
        bounds = info.get("total_bounds")
        if bounds is None and region is not None:
            bounds = read_vector(path, layer=layer, crs=crs).total_bounds
    except Exception:  # the read proper names what is wrong with the file
        return ""
    if said is None or not said.is_geographic or bounds is None:
        return ""
    west, south, east, north = bounds = tuple(float(b) for b in bounds)
    if max(abs(west), abs(east)) <= 360 and max(abs(south), abs(north)) <= 90:
        return _swapped_hint(path, layer, said, (west, south, east, north), region)
    return (f"; its coordinates (x {west:.10g} to {east:.10g}, y {south:.10g} to "
            f"{north:.10g}) are no longitude/latitude, yet the layer's CRS is {said.name!r} "
            f"({_lonlat_why(path) if crs is None else 'the crs: of the source config'}): "
            "give the CRS they are in with 'crs:' in the source config (e.g. crs: "
            f"{_region_crs_example(bounds, region) or metre_crs_example(bounds)})")


def _region_crs_example(bounds: Any, region: Any) -> str:
    """The region's CRS, offered to a layer said to be in longitude/latitude whose metres
    lie in the region read in it (a GeoJSON without a ``crs`` member of UTM coordinates:
    it was offered the form ``EPSG:326NN`` of any UTM zone), or ``""``."""
    if region is None or region.crs_obj.is_geographic or \
            not _lies_in(region.crs_obj, bounds, region):
        return ""
    return f"{region.crs}, the region's CRS ({region.crs_obj.name}), in which they lie in it"


def _lies_in(crs: Any, bounds: Any, region: Any) -> bool:
    """Whether ``bounds`` (west, south, east, north) read in ``crs`` meet ``region``."""
    from pyproj import Transformer

    x0, y0, x1, y1 = (float(b) for b in bounds)
    try:
        with np.errstate(all="ignore"):
            west, south, east, north = Transformer.from_crs(
                crs, region.crs_obj, always_xy=True).transform_bounds(
                    x0, y0, x1, y1, densify_pts=21)
    except Exception:  # a CRS PROJ cannot use is named by the read proper
        return False
    r_west, r_south, r_east, r_north = region.bounds  # (a line's box may have no width)
    return bool(np.all(np.isfinite([west, south, east, north])) and west <= r_east and
                r_west <= east and south <= r_north and r_south <= north)


def meant_crs_fix(path: Path | str, said: Any, crs: str | None, bounds: Any,
                  region: Any, *, layer: str | None = None) -> str:
    """How to fix a layer said to be in the projected CRS ``said`` (the file's, or the
    config's ``crs``) that lies outside ``region`` as read, where its ``bounds`` (west,
    south, east, north) read as WGS 84 longitude/latitude or in the region's own CRS lie
    in it (a Shapefile whose ``.prj`` was copied from another map, a GeoJSON whose 2008
    ``crs`` member names another UTM zone, or the south zone for the north), for a
    refusal's hint: ``"they look like longitude/latitude ...: give crs: EPSG:4326 ..."``;
    ``""`` when neither holds them. The refusal said where they lie as read, "check the
    layer's CRS", and no word of the CRS they are in (round 50). ``layer``: a layer of
    the file beside the one the config's ``crs:`` is meant for (a faults layer), told to
    be written again with that CRS rather than the config to say it."""
    said = parse_crs(said) if isinstance(said, str) else said
    if region is None or said is None or said.is_geographic or \
            _lies_in(said, bounds, region):
        return ""
    west, south, east, north = (float(b) for b in bounds)
    if max(abs(west), abs(east)) <= 180 and max(abs(south), abs(north)) <= 90 and \
            _lies_in("EPSG:4326", bounds, region):
        looks, code = ("they look like longitude/latitude and lie in the region read so",
                       "EPSG:4326")
    elif parse_crs(region.crs) != said and _lies_in(region.crs_obj, bounds, region):
        looks, code = (f"read in the region's CRS ({region.crs_obj.name}) they lie in it",
                       str(region.crs))
    else:
        return ""
    stated = ("the crs: of the source config" if crs is not None else "as the file states "
              "it" + (" in its .prj" if str(path).lower().endswith(".shp") else ""))
    fix = (f"write crs: {code} in the source config in place of its crs:" if crs
           is not None else f"give crs: {code} in the source config (or write the file "
           "again with its right CRS)")
    if layer is not None:
        if crs is not None:
            return ""  # (the config's crs: is the units' too)
        fix = (f"write the layer {layer!r} again in that CRS (e.g. QGIS's Assign "
               f"Projection, or ogr2ogr -a_srs {code})")
    return f"{looks}, not in {said.name!r} ({stated}): {fix}"


def _swapped_hint(path: Path | str, layer: str | None, crs: Any,
                  bounds: tuple[float, float, float, float], region: Any) -> str:
    """``"; its coordinates look swapped ..."`` when a layer in longitude/latitude lies
    outside ``region`` as read and within it with x and y swapped (a GeoJSON of geology
    polygons written lat, lon: "no feature lies in the region" alone); ``""`` otherwise."""
    if region is None:
        return ""
    from pyproj import Transformer

    from prospect.io.points import swapped_axes_fix

    west, south, east, north = bounds
    if max(abs(west), abs(east)) > 90:
        return ""  # an x past 90 is no latitude
    box = shapely.box(*region.bounds)
    try:
        to_region = Transformer.from_crs(crs, region.crs_obj, always_xy=True)
        with np.errstate(all="ignore"):
            as_read = shapely.box(*to_region.transform_bounds(west, south, east, north))
            swapped = shapely.box(*to_region.transform_bounds(south, west, north, east))
    except Exception:  # a CRS PROJ cannot use is named by the read proper
        return ""
    if as_read.intersects(box) or not swapped.intersects(box):
        return ""
    from prospect.config.region import latitude_first_fix

    return (f"; its coordinates look swapped (x {west:.6g} to {east:.6g}, y {south:.6g} to "
            f"{north:.6g}: read as y, x they lie in the region): "
            + latitude_first_fix(region, as_read.bounds)  # or the region's (round 50)
            + swapped_axes_fix(path, layer=layer, crs=crs))


def ground_shift(file_crs: Any, config_crs: Any,
                 bounds: Any) -> tuple[float, float, float] | None:
    """How far the numbers of a corner (or the centre) of ``bounds``, read in ``file_crs``,
    lie from the same numbers read in ``config_crs``.

    Returns
    -------
    tuple or None
        The most metres on the ground (infinite where ``config_crs`` cannot place them),
        and that point's x and y; ``None`` when the two CRSs place them alike (under a
        metre: one CRS spelt two ways, an ESRI ``.prj`` of an EPSG CRS, WGS 84 and
        ETRS89) or cannot be compared.
    """
    from pyproj import Geod, Transformer

    try:
        a, b = parse_crs(file_crs), parse_crs(config_crs)
        if a == b or a.equals(b, ignore_axis_order=True):
            return None
        west, south, east, north = (float(v) for v in bounds)
        xs = np.array([west, east, west, east, (west + east) / 2])
        ys = np.array([south, south, north, north, (south + north) / 2])
        with np.errstate(all="ignore"):
            lon_a, lat_a = Transformer.from_crs(a, "EPSG:4326", always_xy=True).transform(xs, ys)
            lon_b, lat_b = Transformer.from_crs(b, "EPSG:4326", always_xy=True).transform(xs, ys)
        lon_a, lat_a, lon_b, lat_b = (np.asarray(v, "f8") for v in (lon_a, lat_a, lon_b, lat_b))
        if not (np.isfinite(lon_a) & np.isfinite(lat_a)).all():
            return None  # the file's own CRS cannot place them: nothing to compare
        if not (np.isfinite(lon_b) & np.isfinite(lat_b) & (np.abs(lat_b) <= 90)).all():
            return (math.inf, float(xs[0]), float(ys[0]))  # the config's cannot place them
        metres = Geod(ellps="WGS84").inv(lon_a, lat_a, lon_b, lat_b)[2]
    except Exception:  # an unknown CRS is named by the read proper
        return None
    worst = int(np.argmax(metres))
    if not metres[worst] >= 1.0:
        return None
    return (float(metres[worst]), float(xs[worst]), float(ys[worst]))


def _in_area(crs: Any, x: float, y: float) -> bool | None:
    """Whether ``crs`` places the point ``x``, ``y`` inside the area it is made for (its
    area of use, with a tenth of its size as margin); ``None`` when it states none."""
    from pyproj import Transformer

    try:
        parsed = parse_crs(crs)
        area = parsed.area_of_use
        if area is None:
            return None
        with np.errstate(all="ignore"):
            lon, lat = Transformer.from_crs(parsed, "EPSG:4326",
                                            always_xy=True).transform(x, y)
    except Exception:
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return False
    west, south, east, north = area.bounds
    across = west > east  # an area across the antimeridian
    width = (east + 360 - west) if across else east - west
    pad_x, pad_y = 0.1 * width, 0.1 * (north - south)
    lon = lon - 360 if lon > 180 else lon
    if across:
        in_lon = lon >= west - pad_x or lon <= east + pad_x
    else:
        in_lon = west - pad_x <= lon <= east + pad_x
    return bool(in_lon and south - pad_y <= lat <= north + pad_y)


def crs_replaced_message(path: Path | str, *, layer: str | None = None,
                         crs: str | None = None, bounds: Any = None,
                         corrects: bool = True) -> str:
    """The data warning for a source config whose ``crs`` replaces a vector layer's own CRS
    with one that places its features elsewhere; ``""`` when the layer has no CRS of its
    own, no ``crs`` is given, or both place the features within a metre of each other.

    The config's ``crs`` wins (a file's ``.prj`` can be wrong), but a ``crs:`` copied from
    another source over a GeoPackage in RD New put its wells 5 000 km away without a word.
    Where the file's own CRS places the features outside the area it is made for (or
    states no area while the config's places them inside its own), the config's ``crs``
    is taken for the correction of a wrong ``.prj`` (the real Meuse samples' stereographic
    one) and nothing is said. ``bounds`` (the features' own numbers, as read) is compared
    where given; else the layer's extent. ``corrects=False`` says the config's ``crs`` cannot
    be such a correction (it is another layer's own CRS, restated): any move is said.
    """
    if crs is None:
        return ""
    try:
        info = layer_info(path, layer=layer)
    except Exception:  # the read proper names what is wrong with the file
        return ""
    own = info.get("crs")
    bounds = info.get("total_bounds") if bounds is None else bounds
    if own is None or bounds is None or not np.all(np.isfinite(np.asarray(bounds, "f8"))):
        return ""
    moved = ground_shift(own, crs, bounds)
    if moved is None:
        return ""
    metres, x, y = moved
    if corrects and not math.isinf(metres):
        centre = ((float(bounds[0]) + float(bounds[2])) / 2,
                  (float(bounds[1]) + float(bounds[3])) / 2)
        file_in, config_in = _in_area(own, *centre), _in_area(crs, *centre)
        if file_in is False or (file_in is None and config_in):
            return ""  # the file's CRS is the one that misplaces them: a .prj corrected
    try:
        own_name, said_name = parse_crs(own), parse_crs(crs)
        own_text = f"{own_name.name!r}" + (f" (EPSG:{own_name.to_epsg()})"
                                          if own_name.to_epsg() else "")
        said_text = f"{crs!r} ({said_name.name})" if said_name.name not in str(crs) \
            else repr(crs)
    except Exception:
        own_text, said_text = repr(own), repr(crs)
    far = "no place in the config's crs" if math.isinf(metres) else \
        f"{metres / 1000:.4g} km from where the file's CRS puts it" if metres >= 1000 else \
        f"{metres:.3g} m from where the file's CRS puts it"
    where = f"{path} (layer {layer!r})" if layer else f"{path}"
    return (f"{where}: the source config's crs {said_text} replaces the CRS the file states, "
            f"{own_text}, and places its features elsewhere (x={x:.10g}, y={y:.10g}: "
            f"{far}); "
            "the config's crs is used: if the file's own CRS is right, remove 'crs:' from the "
            "source config")


def read_attribute(path: Path | str, column: str, *, layer: str | None = None,
                   domains: bool = False) -> list[str]:
    """Values of ``column`` as unit names (:func:`unit_name`; no geometry is read);
    ``domains``: codes of a coded-value domain read as their names (:func:`_named_codes`)."""
    src, layer = _check_layer(path, layer)
    df = _read(src, layer, columns=[column], read_geometry=False)
    if domains:
        df = _named_codes(src, layer, df)
    if column not in df.columns:
        raise _no_column(src, path, layer, column)
    return [unit_name(v) for v in df[column].tolist()]


def _no_column(src: _Source, path: Path | str, layer: str | None, column: str) -> DataError:
    """The refusal of a unit layer without ``column``: the columns it has, the one meant,
    or where a KML keeps it (its placemarks' description tables: :func:`described_hint`;
    it was "no column 'ROCKTYPE'; columns are ['Name', 'description']" alone)."""
    have = layer_fields(path, layer=layer)
    hint = _nearest(column, have) or _alias_hint(src, layer, column, have)
    described = [c for c in have if c.lower() == "description"]
    if not hint and described:
        with contextlib.suppress(Exception):  # the hint is a help, never a second failure
            frame = _read(src, layer, columns=described[:1], read_geometry=False,
                          max_features=50)
            hint = described_hint(frame, column)
    return DataError(f"{src.shown}: layer {layer or '(first)'} has no column {column!r}; "
                     f"columns are {have[:30]}{hint}")


def _alias_hint(src: _Source, layer: str | None, column: str, have: list[str]) -> str:
    """``" ('Lithology' is the alias of column 'LITH' ...)"`` where ``column`` is the
    alias of one of ``have`` (:func:`_aliases`: a GeoPackage's ``gpkg_data_columns``
    ``name`` or ``title``, a File Geodatabase's field alias, which QGIS and ArcGIS show as
    the column's header): "has no column 'Lithology'; columns are ['LITH']" did not say
    which column the header seen was; ``""`` where it is none."""
    meant = [c for c, aliases in _aliases(src, layer).items() if c in have and any(
        a.strip().lower() == column.strip().lower() for a in aliases)]
    if len(meant) != 1:
        return ""
    return (f" ({column!r} is the alias of column {meant[0]!r}, the header QGIS and ArcGIS "
            f"show; name the column itself: {meant[0]!r})")


def _aliases(src: _Source, layer: str | None) -> dict[str, list[str]]:
    """The aliases of a local layer's columns (column -> its aliases): a GeoPackage's
    ``gpkg_data_columns`` ``name`` and ``title``, read from its SQLite tables; any other
    format's (a File Geodatabase's field aliases, which ArcGIS shows as the headers) as
    GDAL gives them, each field's ``alternative_name`` (its Arrow schema, no feature
    read). A File Geodatabase's alias named as the unit column was refused as a column
    the layer lacks, without the column it names. ``{}`` for a file over a network (a
    hint is not worth a request) or where none can be read."""
    import sqlite3

    if src.archive is None and (src.name.startswith("/vsi") or not Path(src.name).exists()):
        return {}
    if src.archive is None and Path(src.name).is_file():
        opened = _geopackage_table(src.name, _layer_named(src, layer))
        if opened is not None:
            con, table = opened
            try:
                rows = con.execute("SELECT column_name, name, title FROM gpkg_data_columns "
                                   "WHERE lower(table_name) = lower(?)", (table,)).fetchall()
            except sqlite3.Error:  # (no schema extension: no aliases)
                return {}
            finally:
                con.close()
            return {str(c): [a for a in names if isinstance(a, str)] for c, *names in rows}
    if is_parquet(src.name):
        return {}
    try:
        with gdal_messages():
            _meta, table = _ogr.read_arrow(src.name, layer=_layer_named(src, layer),
                                           read_geometry=False, max_features=1)
    except Exception:  # the hint is a help, never a second failure
        return {}
    key = b"GDAL:OGR:alternative_name"
    return {str(f.name): [f.metadata[key].decode("utf-8", "replace")]
            for f in table.schema if f.metadata and f.metadata.get(key)}


def column_alias_hint(path: Path | str, column: str, have: list[str], *,
                      layer: str | None = None) -> str:
    """The hint that ``column``, missing from a layer of ``path`` whose columns are
    ``have``, is the alias of one of them (a GeoPackage's ``gpkg_data_columns``, the
    header QGIS and ArcGIS show), as a unit column's refusal gives it; ``""`` otherwise.

    Parameters
    ----------
    path : Path or str
        The vector file (a local GeoPackage has aliases; any other file has none).
    column : str
        The column a config names (the mask's ``name_column``, a points ``columns`` entry).
    have : list of str
        The layer's columns.
    layer : str, optional
        The layer (``None``: the file's one map layer).

    Returns
    -------
    str
        ``" ('Naam' is the alias of column 'name', the header QGIS and ArcGIS show; name
        the column itself: 'name')"``, or ``""``.
    """
    try:
        src = _source(path, layer)
        return _alias_hint(src, layer, column, have)
    except Exception:  # the hint is a help, never a second failure
        return ""


class Units(NamedTuple):
    """A unit layer read whole: :func:`read_units`."""

    names: list[str]
    """Each feature's unit name (:func:`unit_name`); empty without a column."""
    absent: list[int]
    """Features whose geometry is missing or empty, numbered from 1 in file order."""
    total: int
    """Features in the layer."""
    attrs: dict[str, Any]
    """What the reader noted (``closed``, ``recoded``, ``gdal``: see :func:`read_vector`)."""


def read_units(path: Path | str, column: str | None, *, layer: str | None = None,
               domains: bool = False) -> Units:
    """The unit name of each feature of a layer (none without ``column``), and which
    features have no geometry (no cell can take their unit, no contact is drawn from
    them). The whole layer's geometries are read (their presence is all that is kept).
    ``domains``: a GeoPackage's codes of a coded-value domain read as their names
    (:func:`_named_codes`)."""
    src, layer = _check_layer(path, layer)
    df = _read(src, layer, columns=[column] if column else [])
    if domains:
        df = _named_codes(src, layer, df)
    absent = [int(i) + 1 for i in np.flatnonzero(~has_geometry(df.geometry))]
    if column is None:
        return Units([], absent, len(df), dict(df.attrs))
    if column not in df.columns:
        raise _no_column(src, path, layer, column)
    values = df[column].tolist()
    _refuse_inexact_codes(src, layer, column, values)
    return Units([unit_name(v) for v in values], absent, len(df), dict(df.attrs))


def _refuse_inexact_codes(src: _Source, layer: str | None, column: str,
                          values: list[Any]) -> None:
    """Refuse a unit column read as decimals (doubles) that holds whole numbers past
    2**53, which a double does not keep to the digit: a GeoJSON integer past 2**63 (GDAL
    makes the column Real), a Shapefile number field of 19 or more digits. Two codes
    ``18446744073709551614`` and ``...615`` were one unit ``18446744073709551616``, and
    ``-9223372036854775809`` the unit ``-9223372036854775808``, without a word.

    Raises
    ------
    DataError
        Naming the column, a value as read and the fix (the codes as text).
    """
    big = [v for v in values if isinstance(v, float) and math.isfinite(v) and
           v.is_integer() and abs(v) >= 2.0 ** 53]
    if not big:
        return
    shown = ", ".join(unit_name(v) for v in sorted(set(big))[:3])
    raise DataError(
        f"{src.shown}: column {column!r} of layer {layer or '(first)'} holds {len(big)} "
        f"whole number(s) past 2**53 that GDAL reads as decimals (a GeoJSON integer past "
        f"2**63, a Shapefile number field of 19 or more digits), read as {shown}: a "
        "decimal keeps 15 to 17 digits, so codes that differ in their last digits would "
        "be one unit, named by digits the file does not hold; write the codes as text (in "
        "quotes in a GeoJSON, a text field in a Shapefile), or give a column of names")


def surfaces_message(path: Path | str, layer: str | None, count: int) -> str:
    """The data warning for ``count`` features of a layer that are 3D surfaces, read as
    their footprints in plan (``gdf.attrs["surfaces"]`` of :func:`read_vector`)."""
    return (f"{path}: {count} feature(s) of layer {repr(layer) if layer else '(first)'} are "
            "3D surfaces (PolyhedralSurface or TIN, as GDAL reads an ESRI multipatch); each "
            "is read as its footprint in plan (the union of its faces, or the trace of a "
            "vertical one): check that this is the outline meant, or give the 2D polygons "
            "or lines of the map")


def no_geometry_message(path: Path | str, layer: str | None, numbers: list[int], total: int,
                        what: str) -> str:
    """The data warning for features of a layer without a geometry (null or empty), which
    take no cell: ``numbers`` (from 1, in file order), ``what`` they are left out of."""
    shown = ", ".join(map(str, numbers[:8])) + (", ..." if len(numbers) > 8 else "")
    return (f"{path}: {len(numbers)} of {total} feature(s) of layer {layer or '(first)'} have "
            f"no geometry (null or empty: features {shown}, numbered from 1 in file order); "
            f"they are left out of {what}: draw or delete them (e.g. QGIS's Check Validity)")


def read_vector(
    path: Path | str, *, layer: str | None = None, columns: list[str] | None = None,
    crs: str | None = None, to_crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    keep: Callable[[gpd.GeoDataFrame], Any] | None = None, collapsed_as_lines: bool = False,
    domains: bool | Collection[str] = False,
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
    collapsed_as_lines
        Read a polygon of no area (every vertex on one line) as the lines it traces (a
        fault drawn as a polygon), not as empty (a unit's sliver: it takes no cell).
    domains
        Read a GeoPackage's or file geodatabase's columns that have a coded-value domain
        as the codes' names (a unit column: :func:`_named_codes`), not as the codes:
        ``True`` every such column, or the names of those so read (a unit map's
        ``priority`` column keeps its codes, the numbers it is drawn in the order of).

    A ``.zip`` is read at the vector file inside it (a folder of Shapefiles: one per
    layer). Rings whose last point is not their first are closed (their count in
    ``gdf.attrs["closed"]``), GDAL's warnings are kept from its stderr (message -> times
    in ``gdf.attrs["gdal"]``), and a Shapefile's UTF-8 text read in a single-byte code page
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
    layer = layer if layer is not None else gpx_layer(path)
    src, layer = _check_layer(path, layer)
    path = src.path
    try:
        if bbox is None:
            gdf = _read(src, layer, columns=columns)
        elif bbox[0] > bbox[2]:
            gdf = _read_across(src, layer, columns, bbox)
        else:  # (a lon/lat layer past 180 or -180 read a turn away too)
            turns = _turns(src, layer, crs, bbox)
            gdf = _read_turned(src, layer, columns, bbox, turns) if turns \
                else _read_box(src, layer, columns, bbox)
    except ValueError as exc:
        if isinstance(exc, InputFileError | DataError | UnicodeDecodeError):
            raise
        raise DataError(f"{path}: {exc}") from None
    if not isinstance(gdf, gpd.GeoDataFrame) and is_parquet(src.name):
        raise DataError(plain_parquet_fix(src.name if src.archive is not None else path))
    if not isinstance(gdf, gpd.GeoDataFrame):  # pyogrio's frame of an attribute table
        raise _no_geometries(path, layer)
    if not len(gdf):
        _refuse_network_link(path)
    if domains is not False:
        gdf = _named_codes(src, layer, gdf, None if domains is True else domains)
    gdf = _without_overlays(gdf, path, layer)
    asked = [c for c in columns or [] if c not in gdf.columns]
    check_columns(gdf, asked, path, layer=layer,
                  fields=_fields_of(src, layer) if asked else None)
    if gdf.crs is None:
        if crs is None:
            raise _no_crs(src, gdf.attrs.get("undefined_srs", ""),
                          gdf.total_bounds if len(gdf) else None)
        gdf = gdf.set_crs(parse_crs(crs).to_wkt(), allow_override=True)
    elif crs is None:
        refuse_partial_prj(path)
    else:
        gdf = gdf.set_crs(parse_crs(crs).to_wkt(), allow_override=True)
    if keep is not None:
        gdf = gdf[keep(gdf)]
    check_coordinates(gdf.geometry, path, layer=layer)
    gdf = _repair(gdf, as_lines=collapsed_as_lines)
    if to_crs is not None:
        gdf = reproject(gdf, to_crs)
    return gdf


EDGE_STEP_DEGREES = 0.01
"""The longest edge of a geometry in longitude/latitude reprojected as it is (1.1 km):
:func:`reproject` cuts longer edges into pieces first."""

EDGE_STEP_METRES = 1000.0
"""The longest edge of a geometry in a projected CRS reprojected as it is (in its units'
metres: :func:`reproject`)."""


def _edge_step(crs: Any) -> float | None:
    """The longest edge of ``crs`` that :func:`reproject` keeps whole, in its own units
    (:data:`EDGE_STEP_DEGREES` or :data:`EDGE_STEP_METRES`); ``None`` where its unit is
    not known (edges kept as they are)."""
    if crs.is_geographic:
        return EDGE_STEP_DEGREES
    try:
        factor = float(crs.axis_info[0].unit_conversion_factor)
    except (IndexError, AttributeError, TypeError, ValueError):
        return None
    return EDGE_STEP_METRES / factor if factor > 0 else None


def _slerp(a: np.ndarray, b: np.ndarray, k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Points ``k / n`` of the way along the great circles from ``a`` to ``b`` (lon/lat
    degrees, ``(m, 2)``), on the sphere; the same bits whichever way an edge runs."""
    def unit(lonlat: np.ndarray) -> np.ndarray:
        lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
        return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                                np.sin(lat)])

    va, vb = unit(a), unit(b)
    omega = np.arccos(np.clip((va * vb).sum(axis=1), -1.0, 1.0))[:, None]
    so = np.sin(omega)
    with np.errstate(all="ignore"):
        wa = np.where(so > 0, np.sin(omega * ((n - k) / n)) / so, (n - k) / n)
        wb = np.where(so > 0, np.sin(omega * (k / n)) / so, k / n)
    v = wa * va + wb * vb
    return np.column_stack([np.degrees(np.arctan2(v[:, 1], v[:, 0])),
                            np.degrees(np.arctan2(v[:, 2], np.hypot(v[:, 0], v[:, 1])))])


def _cut_ring(xy: np.ndarray, step: float, spherical: bool = False) -> np.ndarray:
    """The vertices of a line (``(n, 2)``) with each edge longer than ``step`` cut into
    equal pieces; a new vertex at ``(a * (n - k) + b * k) / n``, the same bits whichever
    way the edge runs, so two units that share an edge keep sharing it (shapely's
    ``segmentize`` of an edge drawn both ways left slivers of 1e-9 m between them).
    ``spherical``: lon/lat vertices joined by great circles (:func:`_slerp`); an edge
    across the antimeridian (longitudes more than 180 apart) is kept as it is."""
    if len(xy) < 2:
        return xy
    a, b = xy[:-1], xy[1:]
    pieces = np.ceil(np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]) / step)
    pieces = np.where(np.isfinite(pieces) & (pieces > 1), pieces, 1).astype(np.int64)
    if spherical:
        pieces[np.abs(b[:, 0] - a[:, 0]) > 180] = 1
    if not (pieces > 1).any():
        return xy
    k = np.concatenate([np.arange(n) for n in pieces]).astype(float)[:, None]
    n = np.repeat(pieces, pieces).astype(float)[:, None]
    starts, ends = np.repeat(a, pieces, axis=0), np.repeat(b, pieces, axis=0)
    if spherical:
        inner = _slerp(starts[:, :2], ends[:, :2], k, n)
        points = np.where(k == 0, starts[:, :2], inner)
        return np.vstack([points, xy[-1:, :2]])
    return np.vstack([(starts * (n - k) + ends * k) / n, xy[-1:]])


def _cut_edges(geom: Any, step: float, spherical: bool = False) -> Any:
    """``geom`` with each edge longer than ``step`` cut into pieces (:func:`_cut_ring`;
    a Z coordinate kept, interpolated along the edge, where the edges are not
    ``spherical``)."""
    kind = shapely.get_type_id(geom)
    z = bool(shapely.has_z(geom)) and not spherical
    if kind in (1, 2):  # LineString, LinearRing
        xy = _cut_ring(shapely.get_coordinates(geom, include_z=z), step, spherical)
        return shapely.linearrings(xy) if kind == 2 else shapely.linestrings(xy)
    if kind == 3:  # Polygon
        return shapely.Polygon(
            _cut_ring(shapely.get_coordinates(geom.exterior, include_z=z), step, spherical),
            [_cut_ring(shapely.get_coordinates(r, include_z=z), step, spherical)
             for r in geom.interiors])
    if kind in (4, 5, 6, 7):  # the multi-part kinds and collections
        parts = [_cut_edges(p, step, spherical) for p in shapely.get_parts(geom)]
        return type(geom)(parts) if parts else geom
    return geom  # points, and anything empty


def _edges_cut(geoms: Any, step: float, spherical: bool = False) -> Any:
    """Geometries (one, or an array; ``None`` kept) with each edge longer than ``step`` cut
    into pieces; those with none as they are (most maps: found without a Python loop)."""
    one = not isinstance(geoms, np.ndarray)
    arr = np.asarray([geoms] if one else geoms, dtype=object)
    xy, index = shapely.get_coordinates(arr, return_index=True)
    if len(xy) < 2:
        return geoms
    same = index[1:] == index[:-1]
    with np.errstate(all="ignore"):
        long = same & (np.hypot(*np.diff(xy, axis=0).T) > step)
    if not long.any():
        return geoms
    out = arr.copy()
    for i in np.unique(index[1:][long]):  # (an edge from one ring to the next: cut nothing)
        out[i] = _cut_edges(out[i], step, spherical)
    return out[0] if one else out


def great_circle_edges(geoms: np.ndarray) -> tuple[np.ndarray, int]:
    """Lon/lat geometries whose edges are great-circle arcs (GeoParquet's ``edges:
    spherical``: BigQuery's and Snowflake's GEOGRAPHY exports) with each edge longer than
    :data:`EDGE_STEP_DEGREES` cut into pieces along its arc, so that read as straight
    lines in longitude/latitude they keep their course; and how many geometries have an
    edge across the antimeridian (kept as they are).

    Parameters
    ----------
    geoms
        Shapely geometries in longitude/latitude (``None`` kept).

    Returns
    -------
    tuple of numpy.ndarray and int
        The geometries, and the count of those with an edge across the antimeridian.
    """
    arr = np.asarray(geoms, dtype=object)
    xy, index = shapely.get_coordinates(arr, return_index=True)
    across = 0  # (a geometry's rings joined by get_coordinates: a false edge can count)
    if len(xy) >= 2:
        same = index[1:] == index[:-1]
        across = int(np.unique(index[1:][same & (np.abs(np.diff(xy[:, 0])) > 180)]).size)
    cut = _edges_cut(arr, EDGE_STEP_DEGREES, spherical=True)
    return (geoms if cut is arr else cut), across


def reproject_geometry(geoms: Any, src: Any, dst: Any) -> Any:
    """Geometries (one, or an array) from CRS ``src`` to ``dst`` with their edges as drawn.

    An edge is straight in the CRS it was drawn in (GeoParquet's ``edges: planar``, a
    GIS's drawing): the edge of a map sheet or of a licence block along a parallel, or a
    unit boundary from 2 E to 4 E at 52 N, is a curve in UTM. Reprojecting only the
    vertices drew the straight chord instead, 620 m north of the parallel at 3 E: half a
    region there had no unit, and the other half's contact was 620 m off, without a word.
    Each edge longer than :func:`_edge_step` is cut into pieces before the vertices move
    (the curve is then off by under a decimetre).

    Parameters
    ----------
    geoms
        A shapely geometry or an array of them (``None`` kept), in ``src``.
    src, dst
        The CRSs (anything :func:`prospect.grid.parse_crs` reads, or pyproj CRSs).

    Returns
    -------
    shapely.Geometry or numpy.ndarray
        ``geoms`` in ``dst``.
    """
    from pyproj import CRS, Transformer

    src_crs = src if isinstance(src, CRS) else parse_crs(src)
    dst_crs = dst if isinstance(dst, CRS) else parse_crs(dst)
    if src_crs == dst_crs:
        return _turned_back(geoms, dst_crs)
    step = _edge_step(src_crs)
    if step is not None:
        geoms = _edges_cut(geoms, step)
    tr = Transformer.from_crs(src_crs, dst_crs, always_xy=True)

    def moved(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return _turned_back(shapely.transform(geoms, moved), dst_crs)


def burnable(geom: shapely.Geometry) -> Any:
    """``geom`` as the GeoJSON-like mapping :func:`rasterio.features.rasterize` burns: a
    polygon's or a multipolygon's ``__geo_interface__`` (the same type, rings and
    coordinates), built from its coordinates as arrays.

    Shapely's ``__geo_interface__`` makes a tuple of each vertex in Python: a unit whose
    contact has 100 000 vertices (a map digitised from a scan) took 0.3 s of every chunk
    it reaches, most of a chunk's rasterising, to give GDAL the same numbers. Other
    geometries (lines, points, collections) are returned as they are.

    Parameters
    ----------
    geom
        A shapely geometry (not ``None``).

    Returns
    -------
    dict or shapely.Geometry
        ``{"type": "Polygon" | "MultiPolygon", "coordinates": ...}``, or ``geom``.
    """
    kind = int(shapely.get_type_id(geom))
    if kind not in (3, 6):  # Polygon, MultiPolygon
        return geom

    def rings(polygon: shapely.Geometry) -> list[Any]:
        # (tuples of floats, made without a list per vertex: the garbage collector
        # untracks them, where 100 000 lists set off its full collections)
        return [list(zip(*shapely.get_coordinates(
            ring, include_z=bool(shapely.has_z(ring))).T.tolist(), strict=True))
                for ring in shapely.get_rings(polygon)]

    if kind == 3:
        return {"type": "Polygon", "coordinates": rings(geom)}
    return {"type": "MultiPolygon",
            "coordinates": [rings(part) for part in shapely.get_parts(geom)]}


def reproject(gdf: gpd.GeoDataFrame, to_crs: Any) -> gpd.GeoDataFrame:
    """``gdf.to_crs(to_crs)`` with each edge as drawn in the layer's own CRS
    (:func:`reproject_geometry`), not the chord between its moved vertices.

    Parameters
    ----------
    gdf
        A layer with a CRS.
    to_crs
        The CRS to move it to.

    Returns
    -------
    GeoDataFrame
        ``gdf`` in ``to_crs``.
    """
    dst = parse_crs(to_crs) if not hasattr(to_crs, "to_wkt") else to_crs
    if gdf.crs is None or gdf.crs == dst:
        return _within_a_turn(gdf.to_crs(dst.to_wkt()), dst)
    step = _edge_step(gdf.crs)
    if step is not None and len(gdf):
        geoms = gdf.geometry.to_numpy()
        cut = _edges_cut(geoms, step)
        if cut is not geoms:
            gdf = gdf.set_geometry(gpd.GeoSeries(cut, index=gdf.index, crs=gdf.crs,
                                                 name=gdf.geometry.name))
    return _within_a_turn(gdf.to_crs(dst.to_wkt()), dst)


def _within_a_turn(gdf: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    """``gdf`` (in ``crs``) with its geometries :func:`_turned_back`."""
    if not crs.is_geographic or not len(gdf):
        return gdf
    geoms = gdf.geometry.to_numpy()
    moved = _turned_back(geoms, crs)
    if moved is geoms:
        return gdf
    attrs = dict(gdf.attrs)
    gdf = gdf.set_geometry(gpd.GeoSeries(moved, index=gdf.index, crs=gdf.crs,
                                         name=gdf.geometry.name))
    gdf.attrs = attrs
    return gdf


def _turned_back(geoms: Any, crs: Any) -> Any:
    """Geometries (one, or an array; ``None`` kept) in ``crs``, each wholly past 180 or
    -180 of a lon/lat ``crs`` moved a turn of the Earth (360 degrees) back into -180..180;
    ``geoms`` itself where none is, or in any other CRS (PROJ puts such longitudes in
    place on a projection). A fault layer or a geology map in longitudes 0..360 over a
    region in degrees west of Greenwich was measured 360 degrees from every cell
    (contacts and faults), and its faults said to lie 360 degrees from the region."""
    if not crs.is_geographic:
        return geoms
    arr = np.asarray(geoms, dtype=object)
    if not arr.size:
        return geoms
    flat = arr.reshape(-1)
    bounds = shapely.bounds(flat)
    with np.errstate(invalid="ignore"):
        turns = np.where(bounds[:, 0] > 180.0, -360.0,
                         np.where(bounds[:, 2] < -180.0, 360.0, 0.0))
    if not turns.any():
        return geoms
    moved = flat.copy()
    for turn in (-360.0, 360.0):
        pick = turns == turn
        if pick.any():
            moved[pick] = shapely.transform(
                moved[pick], lambda xy, turn=turn: xy + np.array([turn, 0.0]))
    return moved.reshape(arr.shape) if arr.ndim else moved[0]


def check_columns(gdf: pd.DataFrame, columns: list[str], path: Path | str, *,
                  layer: str | None = None, fields: list[str] | None = None) -> None:
    """Refuse a layer read without one of ``columns``, naming the columns it has and the
    one meant (a case or a unit in brackets apart: ``'Li (ppm)'`` for ``li``).

    ``fields``: the layer's own columns where ``gdf`` holds only those asked for (a read
    of ``columns``): the columns read were named, "no column 'unti'; columns are []".

    Raises
    ------
    DataError
        A column is missing (or the layer holds no features, so no columns).
    """
    for col in columns:
        if col not in gdf.columns:
            have = [str(c) for c in gdf.columns if c != "geometry"] if fields is None \
                else [str(c) for c in fields]
            if not len(gdf) and not have:  # a GeoJSON of no feature has no fields either
                raise DataError(f"{path}: layer {layer or '(first)'} holds no features (so no "
                                f"column {col!r}); check the file: an export of an empty "
                                "selection, or another layer meant")
            hint = near_column(col, have) or \
                column_alias_hint(path, col, have, layer=layer) or described_hint(gdf, col)
            raise DataError(f"{path}: no column {col!r}; columns are {have[:30]}{hint}")


def described_hint(frame: pd.DataFrame, column: str) -> str:
    """Where a KML's attribute ``column`` is when its placemarks carry their attributes in
    an HTML table in their description (ArcGIS's Layer To KML, Google My Maps exports
    write them so), which GDAL reads as one text field: ``""`` when none does. Such a file
    was "no column 'li'; columns are ['Name', 'description', ...]" alone."""
    import re

    names = [c for c in frame.columns if str(c).lower() == "description"]
    if not names:
        return ""
    cells = frame[names[0]].dropna().astype(str).head(50)
    wanted = column.strip().lower()
    tagged = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.IGNORECASE | re.DOTALL)
    found = sum(any(re.sub(r"<[^>]+>", "", cell).strip().lower() == wanted
                    for cell in tagged.findall(text)) for text in cells)
    if not found:
        return ""
    return (f"; the placemarks' descriptions hold {column!r} in an HTML table ({found} of "
            f"{len(cells)} read), which GDAL reads as one text field: export the layer from "
            "its source with its attributes as fields (a GeoPackage, or KML with "
            "ExtendedData: QGIS's Export > Save Features As keeps them), or expand the "
            "description into fields (QGIS plugin 'KML Tools': Expand HTML description "
            "field) and give that file")


def near_column(name: str, names: list[str]) -> str:
    """``" (did you mean 'Li (ppm)'?)"`` for the column meant by ``name``: the same name
    but for letter case, accents, spaces, or a unit in brackets or after ``_`` (``Li (ppm)``,
    ``LI_PPM``, ``li [mg/L]`` for ``li``), else a near spelling; ``""`` when none is."""
    import re
    import unicodedata

    def plain(text: str) -> str:
        text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]", "", text.lower())

    def bare(text: str) -> str:  # without a unit: 'Li (ppm)', 'Li_ppm', 'li [mg/L]'
        text = re.sub(r"\s*[\[(].*?[\])]\s*$", "", str(text))
        return plain(re.sub(r"[_ ](ppm|ppb|pct|percent|wt|mg/?l|mgl|ug/?l|g/?t|mw/?m2|degc|"
                            r"c|m|km|nt|mgal)$", "", text, flags=re.IGNORECASE))

    for key in (plain, bare):
        same = [n for n in names if key(n) and key(n) == key(name)]
        if same:
            return f" (did you mean {same[0]!r}?)"
    return _nearest(name, names)


def has_geometry(geoms: gpd.GeoSeries) -> np.ndarray:
    """Which rows hold a geometry that is neither missing nor empty (a boolean array).

    ``GeoSeries.notna()`` alone changed meaning in geopandas 1.0 (empty geometries now
    count as present) and warns on every call that meets one; this asks shapely both
    questions directly, without the warning reaching the user's terminal.
    """
    arr = np.asarray(geoms.to_numpy(), dtype=object)
    mask: np.ndarray = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    return mask


TEXT_COORDINATES_READ_MAX = 2**28
"""The largest GeoJSON (bytes) read again to tell why features have no geometry."""


def text_coordinates(path: Path | str, absent: np.ndarray) -> dict[int, str]:
    """The features of a GeoJSON file among ``absent`` (their positions, file order)
    whose coordinates are written as text (``["5.1", "52.1"]``), each with its first
    position as written. RFC 7946 coordinates are numbers: GDAL gives such a feature no
    geometry, and it was dropped as "without usable coordinates" without saying why.
    Empty for other formats, or when ``path`` cannot be read as JSON (the read proper
    has read it)."""
    import json

    text = str(path)
    if text.startswith("/vsi") or Path(text).suffix.lower() not in (".geojson", ".json"):
        return {}
    wanted = {int(i) for i in np.asarray(absent).ravel()}
    try:
        if not wanted or Path(text).stat().st_size > TEXT_COORDINATES_READ_MAX:
            return {}
        doc = json.loads(Path(text).read_bytes())
    except (OSError, ValueError):
        return {}
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        return {}

    def first_text(coords: Any) -> list[Any] | None:  # the first position holding text
        if isinstance(coords, list) and coords and not isinstance(coords[0], list):
            return coords if any(isinstance(c, str) for c in coords) else None
        for part in coords if isinstance(coords, list) else []:
            found = first_text(part)
            if found is not None:
                return found
        return None

    out: dict[int, str] = {}
    for i in sorted(wanted):
        feature = features[i] if i < len(features) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        found = first_text(coords)
        if found is not None:
            out[i] = json.dumps(found, ensure_ascii=False)
    return out


def text_coordinates_said(found: dict[int, str], numbers: np.ndarray | None = None,
                          what: str = "feature") -> str:
    """The reason given for features :func:`text_coordinates` found (``""`` for none):
    their numbers (``numbers[i]``, else ``i + 1``), an example and the fix."""
    if not found:
        return ""
    at = [int(numbers[i]) if numbers is not None else i + 1 for i in found]
    shown = ", ".join(map(str, at[:5])) + (", ..." if len(at) > 5 else "")
    return (f"; {len(found)} of them ({what}{'s' if len(found) > 1 else ''} {shown}) write "
            f"their coordinates as text in quotes ({next(iter(found.values()))}), which "
            "GeoJSON does not read as a place (RFC 7946 coordinates are numbers): write "
            "them as numbers, without the quotes (e.g. [5.1, 52.1])")


def _repair(gdf: gpd.GeoDataFrame, *, as_lines: bool = False) -> gpd.GeoDataFrame:
    """Invalid geometries (self-intersections, bad rings) made valid with ``make_valid``.

    The count and the first row numbers go to ``gdf.attrs["repaired"]`` for the caller's
    warning, the positions of lines of no length among them (repaired to points) to
    ``gdf.attrs["flat_lines"]``, and the numbers of polygons of no area to
    ``gdf.attrs["collapsed"]``: each read as empty, or (``as_lines``: a faults layer) as
    the lines it traces; GEOS never sees an invalid geometry downstream.
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
        at = invalid.nonzero()[0]
        arr = np.asarray(geoms.to_numpy(), dtype=object)
        valid = np.asarray(geoms[invalid].make_valid().to_numpy(), dtype=object)
        # a polygon of no area (every vertex on one line: a sliver collapsed by an export's
        # rounding) is repaired to its lines, which were rasterised as the cells they cross
        # (31 cells of two other units given a third's code): no cell centre lies inside it
        collapsed = np.zeros(len(gdf), dtype=bool)
        collapsed[at] = np.isin(kinds[at], _POLYGON_KINDS) & (shapely.area(valid) == 0)
        if not as_lines:
            valid[collapsed[at]] = shapely.Polygon()
        # each feature's number in the file, from 1 (rows picked by 'keep' keep their index)
        index = gdf.index.to_numpy()
        number = index + 1 if index.dtype.kind in "iu" else np.arange(len(gdf)) + 1
        gdf.attrs["repaired_why"] = {
            int(number[i]): _invalid_reason(arr[i], bool(flat[i]), bool(collapsed[i]))
            for i in at[:REPAIRS_SAID]}
        gdf.loc[invalid, gdf.geometry.name] = valid
        gdf.attrs["repaired"] = [int(number[i]) for i in at]
        if collapsed.any():
            gdf.attrs["collapsed"] = [int(number[i]) for i in np.flatnonzero(collapsed)]
    return gdf


_POLYGON_KINDS = (3, 6)
"""Polygon and MultiPolygon (shapely's type ids)."""


def _invalid_reason(geom: Any, flat: bool, collapsed: bool = False) -> str:
    """GEOS's reason ``geom`` is invalid (``Self-intersection[x y]``); for a line of no
    length (``flat``: every vertex at one place), ``Line of no length[x y]``: GEOS says
    "Too few points", which :func:`repaired_message` said as "a ring of fewer than 4
    points" of a feature that has no ring; for a polygon of no area (``collapsed``),
    ``Polygon of no area[x y]``: GEOS says "Self-intersection", which was said as a
    bow-tie "read as its pieces"."""
    reason = str(shapely.is_valid_reason(geom))
    if flat:
        return "Line of no length[" + reason.partition("[")[2]
    if collapsed:
        return "Polygon of no area[" + reason.partition("[")[2]
    return reason


REPAIRS_SAID = 5
"""Repaired features whose reason :func:`repaired_message` names (the rest are counted)."""
_REPAIRS = (
    ("Hole lies outside shell", "a hole outside its polygon (a part written as a hole?): "
     "read as part of the feature, its area counted"),
    ("Nested shells", "a polygon inside another of the same feature: read as one"),
    ("Holes are nested", "a hole inside another hole: read as the land between them"),
    ("Interior is disconnected", "holes that cut the polygon in two: read as its pieces"),
    ("Ring Self-intersection", "a ring that touches itself: read as its pieces"),
    ("Self-intersection", "edges that cross (a bow-tie): read as its pieces, each once"),
    ("Too few points", "a ring of fewer than 4 points: read as what it can be"),
    ("Duplicate Rings", "the same ring twice: read once"),
    ("Line of no length", "a line of no length (every vertex at one place): read as the "
     "point it is at"),
    ("Polygon of no area", "a polygon of no area (every vertex on one line): no cell "
     "centre lies inside it, so it takes no cell (its lines are not burnt in)"),
)
"""GEOS's reasons a polygon is invalid, and what :func:`_repair` (``make_valid``) reads
each as."""


def repaired_message(path: Path | str, gdf: Any, what: str) -> str:
    """A warning of the invalid geometries :func:`read_vector` repaired (``gdf.attrs``
    ``repaired``, ``repaired_why``), naming each feature's reason and what it was read as
    (a hole drawn outside its polygon becomes land; a bow-tie its two triangles); ``""``
    when none was. The geology layer said only "repaired with shapely.make_valid"; an
    outline's or a label's repairs were not said at all, while a hole outside its shell
    became land (or labelled cells) without a word."""
    repaired = list(gdf.attrs.get("repaired") or [])
    if not repaired:
        return ""
    why = gdf.attrs.get("repaired_why") or {}
    said = []
    for feature, reason in list(why.items())[:REPAIRS_SAID]:
        place = reason.partition("[")[2].rstrip("]").split()
        at = f" at {float(place[0]):.6g}, {float(place[1]):.6g}" if len(place) >= 2 else ""
        read = next((text for key, text in _REPAIRS if reason.startswith(key)),
                    reason.partition("[")[0].strip().lower() or "invalid")
        said.append(f"feature {feature}{at}: {read}")
    more = f"; {len(repaired) - len(said)} more" if len(repaired) > len(said) else ""
    n = len(repaired)
    return (f"{path}: {n} invalid geometr{'y' if n == 1 else 'ies'} of {what} features "
            f"repaired with shapely.make_valid ({'; '.join(said)}{more}); check that each "
            "is read as meant, and repair the file where it is not (QGIS: Fix Geometries, "
            "or ogr2ogr -makevalid)")
