"""GeoTIFF / COG reading and writing at the edges of the library."""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import math
import os
import re
import shlex
import threading
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import rasterio
from pyproj import CRS
from rasterio._err import CPLE_BaseError
from rasterio.crs import CRS as RioCRS
from rasterio.enums import ColorInterp, MaskFlags
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from prospect.env import positive_limit
from prospect.errors import (
    ConfigError,
    CorruptFileError,
    CRSError,
    DataError,
    DataWarning,
    GridError,
    InputFileError,
    memory_refused,
)
from prospect.grid import RegionGrid, check_transformable, parse_crs
from prospect.io.files import scratch_dir, staged_file, why_unreadable, zip_unreadable

if TYPE_CHECKING:  # xarray, zarr and rio-cogeo only for writing, imported there
    import xarray as xr

__all__ = [
    "MAX_BLOCK_BYTES_DEFAULT",
    "NO_CODE_FROM_FILES",
    "READ_AS_WRITTEN",
    "READ_BY_DRIVER",
    "SIDECARS_SEEN",
    "STAT_KEEPING_RESAMPLINGS",
    "RasterInfo",
    "block_bytes",
    "check_blocks",
    "check_within_stats",
    "code_range",
    "damaged_blocks_refused",
    "driver_file",
    "esri_keyword_gap",
    "file_stamp",
    "gdal_path",
    "gdal_reason",
    "gdal_said",
    "gdal_said_message",
    "gdal_settings",
    "gpkg_grey_fix",
    "grid_from_raster",
    "header_coefficients",
    "hold_read_settings",
    "lossy_compression",
    "max_block_bytes",
    "pixel_at",
    "raster_info",
    "refuse_memory",
    "region_window",
    "said_at_header",
    "sample_band",
    "stored_values",
    "unapplied_packing",
    "value_fits",
    "write_cog",
]


NO_CODE_FROM_FILES = {"GDAL_VRT_ENABLE_PYTHON": "NO"}
"""GDAL settings that keep code written in an input file from running while Prospect reads
it: a VRT's derived band may hold Python (``<PixelFunctionLanguage>Python``), which GDAL
runs where ``GDAL_VRT_ENABLE_PYTHON`` is ``YES`` (or names the code's module as trusted)."""

READ_AS_WRITTEN = {
    "GDAL_PAM_ENABLED": "YES",
    "GTIFF_POINT_GEO_IGNORE": "NO",
}
"""GDAL settings, at GDAL's defaults, under which a local file reads as it is written. In
a user's environment or GDAL configuration file they changed what a read gives without a
word: ``GDAL_PAM_ENABLED=NO`` leaves out the ``.aux.xml`` beside a file, so a nodata,
scale or offset stated there is lost (-9999 read as heat flow);
``GTIFF_POINT_GEO_IGNORE=YES`` places a ``PixelIsPoint`` GeoTIFF half a cell off."""

READ_BY_DRIVER = ("GDAL_GEOREF_SOURCES", "GDAL_NETCDF_BOTTOMUP")
"""GDAL settings whose default is no value (the driver decides, by driver or by file), so
none is set in their place: they are taken out, and each driver reads by its own
default. ``GDAL_GEOREF_SOURCES`` names where a file's grid is taken from; in a user's
environment or configuration file it placed a GeoTIFF by a world file beside it over its
own tags (``WORLDFILE,INTERNAL``), or left a GeoTIFF's own grid and CRS unread (``NONE``,
``WORLDFILE``), which was then called a world file placing no cells or a file with no
CRS. ``GDAL_NETCDF_BOTTOMUP=NO`` read a NetCDF whose rows run south to north (as CF files
are mostly written) upside down on its own grid, every row in its mirror row's place
(``YES`` flips one written north to south: unset, the netCDF driver reads the order from
the file's ``y``). Prospect's own reads of one source of a grid (:func:`_warn_two_grids`)
set it for that read (``rasterio.Env``)."""

SIDECARS_SEEN = {"GDAL_DISABLE_READDIR_ON_OPEN": ("EMPTY_DIR", "TRUE")}
"""GDAL settings whose one value (the first) hides the files beside a file, and the value
put in its place. ``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR``, which guides to
cloud-optimised files advise setting for good, tells GDAL that a file's folder holds
nothing else, so a local file's ``.aux.xml`` (its nodata, scale, offset) and ``.msk``
were not read; ``TRUE`` lists no folder either, but looks for each such file by its
name. Any other value is left as it is, and a read over a network sets its own
(:func:`prospect.io.remote.gdal_http_options`, which outranks the process-wide one)."""


def forbid_code_from_files() -> None:
    """Turn off, for this process and the processes it starts, every GDAL setting that would
    run code written in a file read (:data:`NO_CODE_FROM_FILES`), put back at GDAL's
    defaults those that change what a read gives (:data:`READ_AS_WRITTEN`), take out those
    whose default differs by driver (:data:`READ_BY_DRIVER`), and replace a setting that
    hides the files beside a file (:data:`SIDECARS_SEEN`), whatever the user's environment
    or GDAL configuration file says.

    Called when this module is imported, so in every process that reads a raster through
    Prospect, a cluster's workers included (they import it to run a read). Set both as
    GDAL's process-wide setting (which outranks the environment and a ``gdalrc``) and in
    the environment (read by processes started later). Such a VRT is then refused by
    :func:`_refuse_pixel_function`; Prospect's own reads that need another value of one of
    them set it for that read (``rasterio.Env``, which outranks the process-wide one)."""
    from rasterio.env import get_gdal_config

    with rasterio.Env():  # GDAL reads its configuration file when it is first started
        said = {key: get_gdal_config(key, normalize=False) for key in SIDECARS_SEEN}
    pinned = {**NO_CODE_FROM_FILES, **READ_AS_WRITTEN}
    for key, (hiding, seeing) in SIDECARS_SEEN.items():
        if str(said[key] or "").strip().upper() == hiding:
            pinned[key] = seeing
    for key, value in pinned.items():
        os.environ[key] = value
    for key in READ_BY_DRIVER:
        os.environ.pop(key, None)
    _KEPT.clear()
    _KEPT.update({**pinned, **dict.fromkeys(READ_BY_DRIVER)})
    keep_read_settings()


_KEPT: dict[str, str | None] = {}
"""The GDAL settings :func:`forbid_code_from_files` holds process-wide: a value, or
``None`` for one taken out."""


def keep_read_settings() -> None:
    """Apply :data:`_KEPT` again as GDAL's process-wide settings. A ``rasterio.Env`` of one
    of those keys takes the key out when it exits (not back to the value before it), so a
    read that needs another value for a moment (:func:`_warn_two_band_statements`'s
    ``GDAL_PAM_ENABLED=NO``) calls this after it: the reads after it are as the others."""
    from rasterio._env import del_gdal_config
    from rasterio.env import set_gdal_config

    for key, value in _KEPT.items():
        if value is None:
            del_gdal_config(key)
            if threading.current_thread() is not threading.main_thread():
                _take_out_process_wide(key)
        else:
            set_gdal_config(key, value)


def _gdal_option_pair(
    get_name: str, set_name: str
) -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """GDAL's option getter ``get_name`` and setter ``set_name`` in the libgdal that
    rasterio loaded (found through rasterio's own extension module, whose libraries
    ``dlsym`` searches: a wheel's, conda's or the system's alike), or ``None`` where they
    cannot be reached (a platform whose loader does not search them, an older GDAL)."""
    import ctypes

    from rasterio import _env

    try:
        lib = ctypes.CDLL(str(_env.__file__))
        get, put = getattr(lib, get_name), getattr(lib, set_name)
    except (OSError, AttributeError):
        return None
    get.restype, get.argtypes = ctypes.c_char_p, [ctypes.c_char_p, ctypes.c_char_p]
    put.restype, put.argtypes = None, [ctypes.c_char_p, ctypes.c_char_p]
    return get, put


@functools.cache
def _process_wide_options() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """GDAL's ``CPLGetGlobalConfigOption`` and ``CPLSetConfigOption``
    (:func:`_gdal_option_pair`; ``None`` before GDAL 3.8)."""
    return _gdal_option_pair("CPLGetGlobalConfigOption", "CPLSetConfigOption")


def _take_out_process_wide(key: str) -> None:
    """Take ``key`` out of GDAL's process-wide settings from a thread other than the main
    one. rasterio sets and deletes the process-wide value only from the main thread (from
    another, the thread's own, under which the process-wide one still shows), so a
    :data:`READ_BY_DRIVER` value a library user set with ``rasterio.env.set_gdal_config``
    in the main thread (``GDAL_NETCDF_BOTTOMUP=NO``) ruled a first read from a thread pool:
    a NetCDF whose rows run south to north read upside down. No value of those keys
    stands for "the driver decides", so the thread's own cannot replace it."""
    found = _process_wide_options()
    if found is None:
        return
    get, put = found
    name = key.encode()
    if get(name, None) is not None:
        put(name, None)


@functools.cache
def _thread_local_options() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """GDAL's ``CPLGetThreadLocalConfigOption`` and ``CPLSetThreadLocalConfigOption``
    (:func:`_gdal_option_pair`)."""
    return _gdal_option_pair("CPLGetThreadLocalConfigOption", "CPLSetThreadLocalConfigOption")


def _to_this_thread(levels: tuple[Any, Any],
                    before: list[tuple[Any, ...]]) -> None:
    """Move the values the main thread's ``rasterio.Env`` just set process-wide of the keys
    ``before`` (each with its process-wide and thread-local value before the ``Env``) to
    the main thread's own, and put the process-wide ones back: what rasterio does from
    any other thread. Set process-wide, a remote read's ``EMPTY_DIR`` in the main thread
    hid a local file's ``.aux.xml`` from another thread's read meanwhile (a tile server's,
    a notebook's thread pool). Nothing is moved where GDAL's functions cannot be reached."""
    process, local = levels
    if process is None or local is None:
        return
    for key, was, _ in before:
        now = process[0](key, None)
        if now != was:
            local[1](key, now)
            process[1](key, was)


@contextlib.contextmanager
def gdal_settings(**options: Any) -> Iterator[Any]:
    """``rasterio.Env(**options)`` for one read, leaving each of the keys afterwards exactly
    as it was before: its process-wide value and this thread's own, each a value or none.

    rasterio's outermost ``Env`` notes each key's value on entering with GDAL's
    ``CPLGetConfigOption``, which falls back to the environment, and sets it again on
    exit: process-wide from the main thread, for the thread from another. So a read over
    a network with ``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR`` in the environment (a
    guide's advice for cloud files; :data:`_REMOTE_LISTING`) left ``EMPTY_DIR`` as GDAL's
    process-wide setting, which outranks the environment and outlived it: every local
    read of the process after it (a notebook's, a tile server's) lost the ``.aux.xml``,
    ``.hdr``, world file and overviews beside its file. A nested ``Env`` took a key it
    set out on exit instead (a process-wide value set before it lost). In the main thread
    the values are the thread's own for the read (:func:`_to_this_thread`), as rasterio
    makes them in any other: set process-wide, a remote read's ``EMPTY_DIR`` hid a local
    file's ``.aux.xml`` from another thread's read meanwhile. Each read that sets GDAL
    options goes through here.

    Parameters
    ----------
    **options
        GDAL configuration options, as ``rasterio.Env`` takes them.

    Yields
    ------
    rasterio.Env
        The environment entered.
    """
    levels = _process_wide_options(), _thread_local_options()
    keys = [str(k).encode() for k in options if k != "RASTERIO_ENV"]
    before = [(key, *(None if found is None else found[0](key, None) for found in levels))
              for key in keys]
    main = threading.current_thread() is threading.main_thread()
    try:
        with rasterio.Env(**options) as env:
            if main:
                _to_this_thread(levels, before)
            yield env
    finally:
        for key, *was in before:
            # rasterio writes process-wide only from the main thread: another's restoring
            # it could undo a change the main thread made meanwhile
            for found, value, mine in zip(levels, was, (main, True), strict=True):
                if found is not None and mine and found[0](key, None) != value:
                    found[1](key, value)


def hold_read_settings() -> None:
    """Hold, at a read, the settings :func:`forbid_code_from_files` applied at import,
    whatever was done to them since: a value put into ``os.environ`` after the import (a
    notebook's cell: ``GDAL_NETCDF_BOTTOMUP=NO`` read a NetCDF upside down,
    ``GDAL_GEOREF_SOURCES`` placed a GeoTIFF by a stale world file, ``GDAL_PAM_ENABLED=NO``
    lost an ``.aux.xml``'s nodata) is taken out or put back in the environment, and the
    process-wide settings a user's own ``rasterio.Env`` of one of the keys took out on its
    exit are applied again (:func:`keep_read_settings`; from a thread, for that thread).
    A dict look-up a key and a few GDAL calls: called as each file is opened for a
    description (:func:`raster_info`) and for a warp
    (:func:`prospect.io.warp.read_warped_window`'s handles). ``EMPTY_DIR`` put into the
    environment after the import (:data:`SIDECARS_SEEN`) is taken out too, GDAL's default
    again: it hid a local file's ``.aux.xml`` (its nodata read as a value) and ``.msk``;
    a read over a network lists no folder by its own setting (:func:`raster_info`, the
    source's ``remote:`` settings), not the environment's."""
    for key in READ_BY_DRIVER:
        os.environ.pop(key, None)
    for key, (hiding, _) in SIDECARS_SEEN.items():
        if key not in _KEPT and str(os.environ.get(key, "")).strip().upper() == hiding:
            # put there after the import (a notebook's cell, a guide's advice for
            # cloud files): GDAL's default again, as a process started without it; a
            # read over a network sets its own (:data:`_REMOTE_LISTING`)
            os.environ.pop(key)
    for key, value in _KEPT.items():
        if value is not None and os.environ.get(key) != value:
            os.environ[key] = value
    keep_read_settings()


forbid_code_from_files()

_REMOTE_LISTING = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"}
"""The setting a read over a network holds for itself where its caller gave none (a
library user's :func:`raster_info` of a URL, outside a source's ``remote:`` settings,
:func:`prospect.io.remote.gdal_http_options`): no folder listing beside the file (one
request, not a listing of the server's folder, which some servers keep GDAL waiting
on until its timeout). It had relied on the user's environment, which
:func:`hold_read_settings` no longer lets hide a local file's sidecars."""


def gdal_reason(exc: BaseException) -> str:
    """GDAL's own words for a failed read: rasterio often says only "Read failed. See
    previous exception for details.", while the exception it chains names the cause (a
    VRT's missing source file, a truncated strip)."""
    text = str(exc)
    seen: set[int] = set()
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen and "previous exception" in text:
        seen.add(id(cause))
        text = str(cause) or text
        cause = cause.__cause__ or cause.__context__
    return text


_DAMAGE = re.compile(
    r"decode|jpeglib|premature end|corrupt|discarding \d+ bytes|not enough data|"
    r"read error|ireadblock|tiffread(?:encoded|raw|tile|strip)|unexpected end|"
    r"buffer overrun|checksum|truncat",
    re.IGNORECASE)
"""GDAL's words for a block it could not decode whole: libtiff's codecs (PackBits'
"Discarding N bytes to avoid buffer overrun", LZW's and deflate's "Not enough data",
libjpeg's "Premature end of JPEG file", "Corrupt JPEG data") say so as a warning and go
on with what they decoded, or with zeros. Not ``TIFFReadDirectory``'s warnings (an unknown
private tag, odd ExtraSamples): they are about the header, and common in real files."""


class _ThreadWarnings(logging.Handler):
    """GDAL's messages (rasterio logs them on ``rasterio._err``: warnings, and errors at
    INFO as "GDAL signalled an error") raised by this thread."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.thread = threading.get_ident()
        self.seen: list[str] = []
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            self.seen.append(text)
        elif text.startswith("GDAL signalled an error"):
            found = re.search(r'msg="(.*)"\s*$', text, flags=re.DOTALL)
            self.errors.append(found.group(1) if found else text)


_SAID: dict[tuple[str, str], int] = {}
"""(file, GDAL's message) -> how often, of the messages GDAL gave while this process read
pixels that neither failed the read nor said a block was damaged (:func:`gdal_said`)."""
_SAID_LOCK = threading.Lock()
_SAID_MAX = 256


@contextlib.contextmanager
def _gdal_listening() -> Iterator[_ThreadWarnings]:
    """Collect GDAL's messages of this thread while the block runs (rasterio logs them on
    ``rasterio._err``, and those of an open on ``rasterio._env``)."""
    loggers = [logging.getLogger(name) for name in ("rasterio._err", "rasterio._env")]
    handler = _ThreadWarnings()
    for logger in loggers:
        if not logger.isEnabledFor(logging.INFO):
            logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _said_text(message: str) -> str:
    """GDAL's words without rasterio's error class (``CPLE_AppDefined in``, ``...:``)."""
    return " ".join(re.sub(r"^CPLE_\w+(?:\s+in\b|:)\s*", "", message).split())


def _record_said(path: str, messages: list[str]) -> None:
    with _SAID_LOCK:
        for message in messages:
            key = (_shown(path), _said_text(message))
            if key in _SAID or len(_SAID) < _SAID_MAX:
                _SAID[key] = _SAID.get(key, 0) + 1


_HEADER_SAID: set[tuple[str, str]] = set()
"""(file, GDAL's message) already warned of from a header read in this process."""


def gdal_said() -> dict[tuple[str, str], int]:
    """Take GDAL's messages recorded while this process read pixels: ``(file, message) ->
    how many reads gave it``, emptied by the call.

    GDAL's drivers (netCDF, VRT, PNG, ...) say things while reading that are neither a
    failed read nor a damaged block (:func:`damaged_blocks_refused`); rasterio logs them,
    and on a dask worker they went to the worker's log, never to the user. The ingest
    stage takes them from each chunk task and turns them into data warnings
    (:func:`gdal_said_message`).
    """
    with _SAID_LOCK:
        out = dict(_SAID)
        _SAID.clear()
    return out


def said_at_header(path: str, message: str) -> bool:
    """Whether ``message`` about ``path`` was already warned of from this process's read
    of the file's header (:func:`raster_info`): a worker opening the file hears it again."""
    with _SAID_LOCK:
        return (path, message) in _HEADER_SAID


def gdal_said_message(path: str, message: str, count: int) -> str:
    """A data warning's text for GDAL's ``message`` about ``path`` (``count`` reads)."""
    times = f" ({count} reads)" if count > 1 else ""
    return (f"{path}: GDAL said, while reading its pixels{times}: {message}; check the "
            "file (gdalinfo -checksum) and, if its values are in doubt, write it again")


def refuse_memory(path: Path | str, exc: BaseException) -> None:
    """Raise GDAL's refusal of a buffer while reading ``path`` as a ``MemoryError`` naming
    the file; return for any other failed read.

    Under a worker's memory limit (``ulimit -v``, a batch job's ``--mem``) GDAL refuses
    the block a chunk needs ("IReadBlock failed ... cannot allocate 67108864 bytes"): a
    chunk's read called it "band 1 has a damaged block ... download or copy the file
    again" (a warp), or "read failed" of the file (a block read), blaming the file for
    the worker's memory. The error's words are those :func:`raster_info` gives at
    planning, which the job's out-of-memory line reads the file's storage from
    (:func:`pipelines.faults.out_of_memory_error`: a file stored as one block is told to
    be rewritten tiled, since smaller chunks do not help it).

    Parameters
    ----------
    path
        The file GDAL was reading, as the job names it.
    exc
        The error the read raised.

    Raises
    ------
    MemoryError
        ``"GDAL reading PATH: cannot allocate N bytes"`` where ``exc`` says memory was
        refused (:func:`prospect.errors.memory_refused`).
    """
    if memory_refused(exc):
        said = gdal_reason(exc).rsplit(": ", 1)[-1]  # "cannot allocate 576000000 bytes"
        raise MemoryError(f"GDAL reading {path}: {said}") from exc


@contextlib.contextmanager
def damaged_blocks_refused(path: str, band: int, what: str) -> Iterator[None]:
    """Refuse what a pixel read of ``path`` returns when GDAL warned of a damaged block.

    A block GDAL cannot decode whole (a tile cut short, bytes rewritten by a bad copy)
    is often a warning, not an error: the codec hands back what it decoded, the rest
    zeros or garbage, and the read succeeds. On a dask worker the warning went to the
    worker's log, never to the user, and the block's values went into the cube. GDAL's
    other messages during a read that succeeds (any driver's warnings, and errors it
    signalled but read past) are kept for the user (:func:`gdal_said`).

    Parameters
    ----------
    path, band
        The file (as given to GDAL) and the 1-based band, for the message.
    what
        What the read was for ("warping", "sampling"...).

    Raises
    ------
    CorruptFileError
        After the read, when GDAL warned of a block it could not decode, naming the file,
        the band, GDAL's words and the fix.
    """
    with _gdal_listening() as handler:
        try:
            yield
        except (RasterioIOError, rasterio.errors.RasterioError) as exc:
            # a block GDAL cannot decode at all fails the read ("IReadBlock failed ...
            # TIFFReadEncodedTile() failed"): the same damage, said with its fix; a read
            # failing otherwise (a VRT's source missing, the network) keeps its own words
            refuse_memory(path, exc)
            reason = gdal_reason(exc)
            if not _DAMAGE.search(reason) or _over_network(path):
                raise
            raise CorruptFileError(_damaged_message(path, band, what, _said_text(reason))
                                   ) from None
    damaged = [m for m in handler.seen + handler.errors if _DAMAGE.search(m)]
    if damaged:
        said = "; ".join(dict.fromkeys(_said_text(m) for m in damaged))
        raise CorruptFileError(_damaged_message(path, band, what, said))
    other = [m for m in handler.seen + handler.errors if not _TIFF_HEADER.search(m)]
    if other:
        _record_said(path, other)


def _over_network(path: str) -> bool:
    """Whether ``path`` (or the source a one-band view's VRT names) is read over a network,
    where a failed read may be the connection's, not the file's."""
    from prospect.io.remote import is_network_name

    return is_network_name(_shown(path))


_BLOCK_FAILED = re.compile(
    r"TIFFRead(?:Encoded|Raw)(?:Tile|Strip)\(\)|decod|premature end|corrupt jpeg|"
    r"not enough data", re.IGNORECASE)
"""A codec's words for a block of a file GDAL opened but could not decode (not a raw
grid's "Can't read portion of grid row", a file cut short, said as one)."""


def _refuse_damaged_block(path: str, reason: str) -> None:
    """Refuse a file whose header read but one of whose blocks GDAL could not decode
    (the planning's reads of its corners and samples) as a damaged block, with the fix:
    it was "cannot read as a raster (corrupt, truncated or not a raster)" in GDAL's
    words, as if the file were no raster."""
    if _BLOCK_FAILED.search(reason) and not _over_network(path):
        band = re.search(r"\bband (\d+)", reason)
        raise CorruptFileError(_damaged_message(
            path, int(band.group(1)) if band else 1, "reading its header and samples",
            _said_text(reason)), path=path)


_CUT_INDEX = re.compile(r"offset/size for strile|ReadStripArray|ReadDirEntryArray",
                        re.IGNORECASE)
"""libtiff's words for a GeoTIFF's index of block offsets and sizes that it could not
read (``_TIFFPartialReadStripArray: Cannot read offset/size for strile around ~75075``)."""


def _refuse_cut_index(path: Path | str, reason: str) -> None:
    """Refuse a GeoTIFF whose index of blocks lies past its end as a file cut short.

    A large file (its header states 70 000 x 70 000 cells) copied or downloaded part way
    opened, and GDAL's error on its block index, raised unwrapped by rasterio, was a
    traceback; the same as a :class:`CorruptFileError` said "corrupt, truncated or not a
    raster" where the file's own size tells which.
    """
    if not _CUT_INDEX.search(reason) or "://" in str(path):
        return
    raise CorruptFileError(_cut_index_message(path, _data_size(str(path)), None,
                                              _said_text(reason)), path=path)


def _cut_index_message(path: Path | str, size: int | None, end: int | None,
                       said: str = "") -> str:
    """The one line for a TIFF of ``size`` bytes whose index of blocks reaches byte
    ``end`` (either unknown: ``None``), with GDAL's words where it ``said`` any."""
    held = f" ({size} bytes)" if size is not None else ""
    reach = f", which reaches byte {end}" if end is not None else ""
    gdal = f" (GDAL: {said})" if said else ""
    return (f"{path}: its index of blocks lies past the end of the file{held}{reach}"
            f"{gdal}: the file was cut short (a download or copy that stopped); download "
            "or copy it again")


def _damaged_message(path: str, band: int, what: str, said: str) -> str:
    """The one line for a block of ``path`` GDAL could not decode (``said``: its words)."""
    return (f"{_shown(path)}: band {band} has a damaged block (GDAL, while {what}: {said}); "
            "its values would be garbage or zeros: download or copy the file again, or "
            "check it with 'gdalinfo -checksum'")


_TIFF_HEADER = re.compile(r"TIFFReadDirectory|TIFFFetchNormalTag|TIFFReadCustomDirectory",
                          re.IGNORECASE)
"""libtiff's words about a TIFF's header (an unknown private tag, odd ExtraSamples):
common in real files and said by every open; the planning's own open names them."""


def _shown(path: str) -> str:
    """``path`` as a user named it: a one-band view's VRT text names its source."""
    if path.lstrip().startswith("<VRTDataset"):
        found = re.search(r"<SourceFilename[^>]*>([^<]*)</SourceFilename>", path)
        if found:
            from xml.sax.saxutils import unescape

            return unescape(found.group(1))
    return path


def grid_from_raster(
    path: Path, *, chunks: tuple[int, int] = (512, 512), crs: str | None = None,
    name: str | None = None,
) -> RegionGrid:
    """A :class:`RegionGrid` with the CRS, transform and shape of a reference raster.

    Parameters
    ----------
    path
        Any raster GDAL opens.
    chunks
        Chunk shape for cubes on this grid.
    crs
        CRS to use when the file carries none (an explicit choice, never a guess).
    name
        Grid name; defaults to the file stem.
    """
    path = Path(path)
    try:
        with rasterio.open(path) as src:
            file_crs = src.crs
            transform, shape = src.transform, (src.height, src.width)
    except RasterioIOError as exc:
        _refuse_point_table(path, gdal_reason(exc))
        raise InputFileError(f"{path}: cannot read as a raster: {exc}") from None
    if file_crs is None and crs is None:
        from prospect.io.vector import crs_example

        raise CRSError(
            f"{path}: the raster has no CRS; give one in the config " + crs_example(
                _grid_bounds({"transform": tuple(transform)[:6], "width": shape[1],
                              "height": shape[0]})))
    use_crs = crs or file_crs.to_string()
    try:
        return RegionGrid.from_transform(
            crs=use_crs, transform=transform, shape=shape, chunks=chunks, name=name or path.stem
        )
    except GridError as exc:  # rotated, south-up, non-square: name the file it came from
        raise GridError(f"{path}: {exc}") from None


def code_range(info: RasterInfo, band: int, *, nodata: float | None,
               missing: tuple[float, ...] = (),
               valid_range: tuple[float, float] | None = None) -> tuple[int, int] | None:
    """Lowest and highest class code of ``band``, block by block, leaving out what the
    read leaves out: ``nodata`` and ``missing`` (a second fill: a CF ``missing_value``
    beside ``_FillValue``) by :meth:`RasterInfo.dropped`, raw codes not strictly inside
    ``valid_range`` (a CF ``valid_min``/``valid_max`` as the read applies it) and NaN. A
    ``missing_value = -128`` code had made the span -128..9, and a layer whose codes
    reach it refused or typed wider than its codes need.

    Memory is bounded by the file's block size. ``None`` when the band holds no codes.

    Raises
    ------
    DataError
        A value that is not an integer (a float raster declared categorical), naming the
        first such value in reading order and where it is.
    """
    lo: int | None = None
    hi: int | None = None
    try:
        with damaged_blocks_refused(info.path, band, "scanning codes"), \
                rasterio.open(info.path) as src:
            dropped = info.dropped(band, nodata, *missing[:1])
            for _, win in src.block_windows(band):
                block = src.read(band, window=win)
                valid = np.ones(block.shape, dtype=bool)
                for value in dropped:
                    valid &= block != value
                if valid_range is not None:
                    valid &= (block > valid_range[0]) & (block < valid_range[1])
                if block.dtype.kind == "f":
                    valid &= np.isfinite(block)
                    bad = valid & (block != np.round(block))
                    if bad.any():
                        r, c = np.argwhere(bad)[0]
                        raise DataError(
                            f"{info.path}: band {band} is declared categorical but holds the "
                            f"non-integer value {float(block[r, c]):.9g} (row "
                            f"{win.row_off + r}, column {win.col_off + c}); class codes "
                            "must be integers: use "
                            "'values: continuous' or recode the raster"
                        )
                vals = block[valid]
                if vals.size:
                    b_lo, b_hi = int(vals.min()), int(vals.max())
                    lo = b_lo if lo is None else min(lo, b_lo)
                    hi = b_hi if hi is None else max(hi, b_hi)
    except (RasterioIOError, rasterio.errors.RasterioError) as exc:
        refuse_memory(info.path, exc)
        raise InputFileError(f"{info.path}: read failed while scanning codes: "
                             f"{gdal_reason(exc)}") from None
    return None if lo is None or hi is None else (lo, hi)


def write_cog(
    da: xr.DataArray, path: Path, *, grid: RegionGrid, nodata: float = np.nan,
    resampling: str | None = None, tags: dict[str, Any] | None = None,
    profile: str = "deflate", blocksize: int = 512,
    on_block: Callable[[np.ndarray], None] | None = None,
) -> Path:
    """Write a 2-D array as a Cloud-Optimized GeoTIFF, chunk by chunk, atomically.

    Overviews are built with ``resampling``; by default ``mode`` for a class map
    (``prospect_kind: categorical`` or CF ``flag_values`` in ``da.attrs``: an average of
    class codes is a code of another class, or of none) and ``average`` for values.

    The array is written window by window into a tiled GeoTIFF (memory bounded by the
    dask chunk size), then turned into a COG with internal overviews by rio-cogeo, and
    finally renamed into place. ``on_block`` sees each block as it is written (e.g. to
    summarise the values in the same pass). ``tags`` become GeoTIFF tags as text
    (:func:`prospect.io.cube.attr_text`: booleans as ``true``/``false``).
    """
    from rio_cogeo.cogeo import cog_translate
    from rio_cogeo.profiles import cog_profiles

    from prospect.provenance import attr_text

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tags = {k: attr_text(v) for k, v in (tags or {}).items()}
    if resampling is None:
        classes = da.attrs.get("prospect_kind") == "categorical" or "flag_values" in da.attrs
        resampling = "mode" if classes else "average"
    with _write_named(path), scratch_dir(path, "tmp") as tmp_dir, \
            staged_file(path) as staged:
        raw = tmp_dir / "raw.tif"
        dtype = np.dtype(da.dtype).name
        with rasterio.open(
            raw, "w", driver="GTiff", height=grid.height, width=grid.width, count=1,
            dtype=dtype, crs=grid.crs_obj.to_wkt(), transform=grid.transform, nodata=nodata,
            tiled=True, blockxsize=blocksize, blockysize=blocksize, compress="deflate",
            BIGTIFF="IF_SAFER",
        ) as dst:
            for window in grid.chunk_windows():
                block = np.asarray(da[window.rows, window.cols].values)
                if on_block is not None:
                    on_block(block)
                dst.write(
                    block, 1,
                    window=Window(window.cols.start, window.rows.start,
                                  block.shape[1], block.shape[0]),
                )
            if tags:
                dst.update_tags(**tags)
            if da.attrs.get("long_name"):
                dst.set_band_description(1, str(da.attrs["long_name"]))
        out_profile = cog_profiles.get(profile)
        out_profile.update({"blockxsize": blocksize, "blockysize": blocksize})
        # rio-cogeo writes its own scratch file beside its target: a visible tmpXXXX.tif
        # beside the maps that a kill -9 left for good, so its target is the scratch folder
        cog = tmp_dir / "cog.tif"
        cog_translate(
            str(raw), str(cog), out_profile, nodata=nodata,
            overview_resampling=resampling,  # type: ignore[arg-type]
            quiet=True, in_memory=False, additional_cog_metadata=tags or None,
        )
        os.replace(cog, staged)
    return path


@contextlib.contextmanager
def _write_named(path: Path) -> Iterator[None]:
    """A failed GDAL write of ``path`` in GDAL's words, naming ``path``.

    rasterio says only "Write failed. See previous exception for details." and chains
    GDAL's reason (``CPLE_*``); on a dask worker the chain may not reach the job, which
    printed that sentence alone (no file, no cause). The error stays a
    :class:`RasterioIOError` (an :class:`OSError` without an errno, so the callers' disk
    probes still run) with its cause chained.
    """
    try:
        yield
    except RasterioIOError as exc:
        if "previous exception" not in str(exc):
            raise
        raise RasterioIOError(f"{path}: write failed: {gdal_reason(exc)}") from exc


SAMPLE_CELLS = 65536
"""About how many cells :func:`sample_band` reads from a band."""


def sample_band(path: str, band: int, *, cells: int = SAMPLE_CELLS,
                within: Window | None = None, remote: bool = False
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """About ``cells`` values of ``band`` and its four corner values, read cheaply; of
    the part ``within`` (a window of the file's cells: the region's, from
    :func:`region_window`) where given, else of the whole band.

    A band of up to four times ``cells`` is read whole; a larger one as whole blocks
    (tiles or strips) from an even grid of strata, at least 16, so that the values are a
    fair sample of the band (:func:`_sample_windows`). A band with a mask band gives the
    cells its mask keeps (a masked collar is no data, not a fill read as data). The four
    corners are read on their own. What is read is bounded by ``cells`` and the block
    size, whatever the file's size. ``None`` for a remote file (``/vsicurl/``... or a
    URL): a search may name hundreds, and each sample would cost requests; ``remote=True``
    samples one all the same (a few range requests, for the one check that needs it). A
    member of a local archive (``/vsizip//abs/g.zip/g.tif``) is sampled as a plain file
    is: unsampled, a zipped float64 grid's cells beside its fill were dropped with it.

    Overviews are never read: GDAL gives a decimated read from them, and an overview may
    hold other values than its band (an internal one built before the band was edited in
    place with ``r+``, an ``.ovr`` older than its file, one resampled by ``average`` or
    the COG driver's default ``cubic``, which blends a fill with its neighbours), so the
    fill check judged other values than the band holds.

    Returns
    -------
    (values, corners)
        The sampled values (1-D) and the values at the band's four corners (those its
        mask keeps, for a band with a mask).
    """
    if not remote and _unsampled(path):
        return None
    try:
        with damaged_blocks_refused(path, band, "sampling"), rasterio.open(path) as src:
            area = _clipped(within, src.height, src.width)
            masked = bool(_MASKING & set(src.mask_flag_enums[band - 1]))
            windows = _sample_windows(src, band, cells, area)
            top, left = int(area.row_off), int(area.col_off)
            bottom, right = top + int(area.height) - 1, left + int(area.width) - 1
            corner_at = [Window(c, r, 1, 1) for r, c in
                         ((top, left), (top, right), (bottom, left), (bottom, right))]
            values = [src.read(band, window=win) for win in windows]
            corners = np.array([src.read(band, window=win)[0, 0] for win in corner_at],
                               dtype=values[0].dtype)
            if not masked:
                return np.concatenate([v.ravel() for v in values]), corners
            keep = [src.read_masks(band, window=win) != 0 for win in windows]
            kept = np.array([src.read_masks(band, window=win)[0, 0] != 0 for win in corner_at])
            return np.concatenate([v[k] for v, k in zip(values, keep, strict=True)]), \
                corners[kept]
    except (RasterioIOError, rasterio.errors.RasterioError) as exc:
        refuse_memory(path, exc)
        raise InputFileError(f"{path}: read failed while sampling band {band}: "
                             f"{gdal_reason(exc)}") from None


def _unsampled(path: str) -> bool:
    """Whether :func:`sample_band` leaves ``path`` unread: a remote file (a URL, a
    ``/vsicurl/`` name, an archive read over the network), not a local archive's member."""
    from prospect.config.vsi import archive_file  # (not for every other file's header)

    return "://" in path or ("/vsi" in path and archive_file(path) is None)


def _clipped(within: Window | None, height: int, width: int) -> Window:
    """``within`` (whole cells) inside a band of ``height`` x ``width`` cells; the whole
    band where it is ``None`` or lies outside."""
    if within is not None:
        top, left = max(0, int(within.row_off)), max(0, int(within.col_off))
        bottom = min(height, int(within.row_off) + int(within.height))
        right = min(width, int(within.col_off) + int(within.width))
        if bottom > top and right > left:
            return Window(left, top, right - left, bottom - top)
    return Window(0, 0, width, height)


def _sample_windows(src: Any, band: int, cells: int, area: Window) -> list[Window]:
    """The windows :func:`sample_band` reads of ``band`` in ``area``: the whole of it
    when it has up to four times ``cells`` cells, else the blocks it meets (cut to it)
    from an even grid of at least 16 strata (about ``cells`` cells, at most 256
    blocks)."""
    top, left, h, w = int(area.row_off), int(area.col_off), int(area.height), int(area.width)
    if h * w <= 4 * cells:
        return [area]
    bh, bw = src.block_shapes[band - 1]
    by0, bx0 = top // bh, left // bw
    nby, nbx = (top + h - 1) // bh - by0 + 1, (left + w - 1) // bw - bx0 + 1
    n = int(np.clip(cells // (bh * bw), 16, 256))
    ky = min(nby, n if nbx == 1 else int(np.ceil(np.sqrt(n))))
    kx = min(nbx, -(-n // ky))
    rows = by0 + np.unique(((np.arange(ky) + 0.5) * nby / ky).astype(int))
    cols = bx0 + np.unique(((np.arange(kx) + 0.5) * nbx / kx).astype(int))
    out = []
    for r in rows:
        for c in cols:
            r0, c0 = max(top, int(r) * bh), max(left, int(c) * bw)
            r1, c1 = min(top + h, (int(r) + 1) * bh), min(left + w, (int(c) + 1) * bw)
            out.append(Window(c0, r0, c1 - c0, r1 - r0))
    return out


def region_window(info: RasterInfo, grid: RegionGrid) -> Window | None:
    """The window of ``info``'s cells under ``grid`` (every cell the region's box
    meets), or ``None`` where that is the whole file, they do not meet, or the file's
    geotransform places no cell.

    The fill check samples a file there too: a world or national grid was sampled over
    the whole of it only, so a fill in the region's part was missed where the declared
    nodata occurred elsewhere (a DEM's voids filled with -9999 under a nodata of -32768
    for the sea).
    """
    parts = info.parts_in(grid.crs_obj, grid.bounds)
    if len(parts) != 1:  # none, or both sides of 180 (the file's two ends): all of it
        return None
    part = parts[0]
    a, b, c, d, e, f = info.transform[:6]
    det = a * e - b * d
    if det == 0:
        return None
    cols, rows = [], []
    for x, y in ((part[0], part[1]), (part[0], part[3]), (part[2], part[1]),
                 (part[2], part[3])):
        cols.append((e * (x - c) - b * (y - f)) / det)
        rows.append((a * (y - f) - d * (x - c)) / det)
    eps = 1e-6  # a region's edge on a cell's edge takes no cell beyond it
    left, top = max(0, math.floor(min(cols) + eps)), max(0, math.floor(min(rows) + eps))
    right = min(info.width, math.ceil(max(cols) - eps))
    bottom = min(info.height, math.ceil(max(rows) - eps))
    if right <= left or bottom <= top or (left, top, right, bottom) == (
            0, 0, info.width, info.height):
        return None
    return Window(left, top, right - left, bottom - top)




@dataclass(frozen=True)
class RasterInfo:
    """What ingest needs to know about one raster file before reading any pixels."""

    path: str
    crs: str
    transform: tuple[float, ...]
    width: int
    height: int
    count: int
    dtype: str
    """Band 1's data type (see :meth:`band_dtype` for any band)."""
    nodata: tuple[float | None, ...]
    descriptions: tuple[str | None, ...]
    scales: tuple[float, ...] = ()
    offsets: tuple[float, ...] = ()
    masked: tuple[bool, ...] = ()
    """Per band: the file masks pixels with a mask band (an internal or ``.msk`` mask, an
    alpha band) rather than a nodata value; masked pixels are no data."""
    unheld_nodata: tuple[float | None, ...] = ()
    """Per band: the nodata value the file states that the band's type cannot hold (-9999
    or 1.5 in a uint8 band: GDAL marks no pixel with it), else ``None``. Such a band's
    :attr:`nodata` is ``None``: it declares none that works."""
    dtypes: tuple[str, ...] = ()
    """Per band: its data type. A VRT or an ERDAS file may hold bands of different types
    (a Byte band beside a Float32 one); each band is read as its own."""

    units: tuple[str, ...] = ()
    """Per band: the unit the file states (GDAL's unit type: a NetCDF's ``units``, a
    GeoTIFF's band metadata), ``""`` where none."""
    tagged_units: tuple[str, ...] = ()
    """Per band: a unit a metadata item of the band names (``UNITS=mW/m2``, ``unit=nT``:
    ``rasterio``'s ``update_tags(1, units=...)``, which is not the band's unit, or of the
    file where it has one band), which GDAL does not read as the band's unit; ``""``
    where none, ``()`` for a file without any (:func:`_tagged_units`)."""
    long_names: tuple[str, ...] = ()
    """Per band: its ``long_name`` metadata item (a netCDF variable's CF ``long_name``,
    which GDAL gives as no description), ``""`` where none, ``()`` for a file without
    any (:func:`_long_names`): a name that may say the band's unit (``Heat flow in
    mW/m2``)."""
    vertical_unit: str = ""
    """The unit of the vertical axis of the file's compound CRS (``metre`` for RD + NAP,
    EPSG:7415), ``""`` where the CRS has none: the unit of heights a band may hold, never
    one the band states (GDAL's GeoTIFF driver gives it to a band without a unit of its
    own; :attr:`units` holds the file's own alone). An ESRI ``.prj`` of the file that
    ends in a ``VERTCS`` (ArcGIS writes one for a DEM of stated heights) or states
    ArcInfo's ``Zunits``, which GDAL does not read, gives it too
    (:func:`_prj_vertical_unit`)."""
    stated_by: str | None = None
    """Who described the file instead of its header (``item 'x' asset 'red'``: a STAC
    item stating the asset's grid in full), else ``None``. Such a grid is checked against
    the file when it is opened for pixels (:func:`prospect.io.warp.read_source_block`)."""
    stated_crs: bool = False
    """Whether :attr:`crs` is what :attr:`stated_by` states (``False``: the config's, which
    overrides the file's on purpose)."""
    missing: tuple[tuple[float, ...], ...] = ()
    """Per band: the CF ``missing_value`` values of a NetCDF/HDF variable that GDAL does
    not mark as no data (it marks ``_FillValue`` alone where both are stated), in the
    file's raw (packed) numbers, or the second value a half-float band may hold for its
    nodata (:func:`stored_values`); ``()`` where none."""
    valid: tuple[tuple[float, float] | None, ...] = ()
    """Per band: the CF ``valid_min``/``valid_max`` of a NetCDF/HDF variable (inclusive,
    raw numbers, an absent side infinite), which GDAL does not apply (it applies
    ``valid_range`` alone); ``None`` where none."""
    steps: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """The non-spatial dimensions a NetCDF/HDF variable's bands run along (``time``,
    ``depth``...), each with its values as text (CF times as dates), outermost first; ``()``
    for a file whose bands are bands. GDAL gives one band per step: a variable of 3 time
    steps reads as 3 bands."""
    codes: tuple[str | None, ...] = ()
    """Per band: why the file says its numbers are class codes, not measurements (``"a
    colour table"``, ``"1-bit values"``, ``"LAYER_TYPE=thematic"``), else ``None``."""
    classes: tuple[tuple[tuple[int, str], ...], ...] = ()
    """Per band: the class name of each code the file states (its raster attribute table
    or category names) as ``(code, name)`` pairs, ``()`` where it states none; ``()`` for
    a file without any. A categorical layer records them as its code table."""
    alpha: tuple[int, ...] = ()
    """The 1-based bands that are alpha bands (GDAL's colour interpretation): each the mask
    of the others (:attr:`masked`), no data of its own."""
    stats: tuple[tuple[float, float] | None, ...] = ()
    """Per band: the exact minimum and maximum the file states of its values (GDAL's
    ``STATISTICS_MINIMUM``/``STATISTICS_MAXIMUM``, written by ``gdalinfo -stats``, the COG
    driver or an ``.aux.xml``; not approximate ones), else ``None``. A value read beyond
    them is refused (:func:`check_within_stats`)."""
    area_or_point: str = ""
    """The file's ``AREA_OR_POINT`` metadata (``"Area"``, ``"Point"``), ``""`` where none.
    GDAL has placed a ``Point`` GeoTIFF's cells half a cell up and left of its tie point
    (the tie point is a cell centre), as the GeoTIFF standard has it. ``"Corner"``: a
    GeoPackage coverage of ``grid_cell_encoding: grid-value-is-corner``, which GDAL reads
    as ``Point`` on its tile grid; :attr:`transform` is moved half a cell up and left,
    onto the corners its values lie at (:func:`_gpkg_cell_encoding`)."""
    lossy: str = ""
    """How the file's codec altered its values where it is lossy (``"JPEG compression
    (quality 75)"``, ``"LERC compression of maximum error 2.0"``, ``"lossy JPEG 2000
    compression"``), else ``""``: every cell read is the codec's approximation of the
    value written, and class codes become other codes (:func:`lossy_compression`)."""
    lossy_error: float | None = None
    """The largest error per cell the codec guarantees (LERC's ``MAX_Z_ERROR``), where
    :attr:`lossy` is set and it states one; ``None``: no bound (JPEG, WebP, JPEG 2000)."""
    nbits: tuple[int | None, ...] = ()
    """Per band: the bits the file stores of each value where fewer than its type's (a
    GeoTIFF's ``NBITS``: a half-float band read as float32, a 4-bit band read as uint8),
    else ``None``. A nodata value is compared as such a band holds it
    (:func:`stored_values`)."""
    read_bytes: int = 0
    """The memory GDAL holds to read any window of one band, however small: the decoded
    block (tile, strip, NetCDF chunk) and its compressed bytes (:func:`block_bytes`). Every
    chunk task that reads the file holds it, on top of the chunk's own working set."""
    companions: tuple[str, ...] = ()
    """The other local files GDAL reads of a format that keeps a grid in several (a raw
    grid's header or cells: ENVI's ``.hdr``, ER Mapper's cells beside its ``.ers``, MFF's
    band files; an ESRI binary grid's ``.adf`` files; the ``.prj`` holding an ASCII, XYZ or
    Surfer grid's CRS; any file's ``.aux.xml`` stating a nodata, scale, offset or grid,
    world file or ``.msk`` mask), which a run's checksums cover beside :attr:`path`: an edit of the
    header alone (its nodata, its grid) left the checksums as they were, and a rerun
    kept the cube of the old header as "inputs unchanged" (:func:`companion_files`)."""
    unapplied: tuple[tuple[tuple[str, str, float], ...], ...] = ()
    """Per integer band: the packing its metadata states that GDAL does not apply, as
    ``(tag, where, value)`` (``("scale_factor", "dataset", 0.1)``: a GeoTIFF tag
    ``scale_factor`` or ``<variable>#scale_factor`` beside no GDAL scale), ``()`` where
    none (:func:`unapplied_packing`); ``()`` for a file without any."""

    @property
    def data_count(self) -> int:
        """The bands that hold data: :attr:`count` less the alpha bands after them (a grey
        or RGB file with an alpha band: the alpha band masks the others)."""
        n = self.count
        while n and n in self.alpha:
            n -= 1
        return n

    def steps_text(self) -> str:
        """The variable's non-spatial dimensions its bands are the steps of, for a message
        (``"its 'time' dimension (3 steps: 2000-01-01, ...)"``); ``""`` where none."""
        if not self.steps:
            return ""
        parts = []
        for dim, labels in self.steps:
            shown = ", ".join(labels[:6]) + (f", ... ({len(labels)} in all)"
                                             if len(labels) > 6 else "")
            parts.append(f"its {dim!r} dimension ({len(labels)} steps: {shown})")
        return " by ".join(parts)

    def band_nbits(self, band: int) -> int | None:
        """The bits 1-based ``band`` stores of each value, where fewer than its type's."""
        return self.nbits[band - 1] if band <= len(self.nbits) else None

    def stored(self, band: int, value: float) -> tuple[float, ...]:
        """``value`` as 1-based ``band`` holds it where it was written as a pixel: a
        nodata value to compare with what a read returns (:func:`stored_values`)."""
        return stored_values(value, self.band_dtype(band), self.band_nbits(band))

    def dropped(self, band: int, nodata: float | None,
                other_nodata: float | None = None) -> tuple[float, ...]:
        """Every raw value a read of 1-based ``band`` marks as no data: ``nodata`` (else
        the file's own) and ``other_nodata`` (a second fill) as the band holds them (both
        half-float neighbours, :meth:`stored`), and where the file's own nodata is in
        force, its other stated ones too (:meth:`cf_missing`: each CF ``missing_value``,
        the half float's second neighbour). The one rule of every read and check: a
        second fill had been one value, so a band stating ``missing_value = -9999,
        -8888`` had its -8888 cells ingested, and a half-float product fill kept one of
        its neighbours. NaN is left out (no data in every float read)."""
        own = self.nodata[band - 1] if band <= len(self.nodata) else None
        values: list[float] = []
        for value in (nodata if nodata is not None else own, other_nodata):
            if value is not None:
                values.extend(self.stored(band, value))
        if nodata is None or (own is not None and (nodata == own or (
                math.isnan(nodata) and math.isnan(own)))):
            values.extend(self.cf_missing(band))
        return tuple(dict.fromkeys(v if isinstance(v, int) and abs(v) >= _FLOAT64_WHOLE
                                   else float(v) for v in values if v == v))

    def band_codes(self, band: int) -> str | None:
        """Why 1-based ``band`` holds class codes by the file's own word, else ``None``."""
        return self.codes[band - 1] if band <= len(self.codes) else None

    def band_classes(self, band: int) -> tuple[tuple[int, str], ...]:
        """The ``(code, name)`` pairs 1-based ``band`` states (:attr:`classes`)."""
        return self.classes[band - 1] if band <= len(self.classes) else ()

    def band_units(self, band: int) -> str:
        """The unit the file states for 1-based ``band``, ``""`` where none."""
        return (self.units[band - 1] or "").strip() if band <= len(self.units) else ""

    def band_dtype(self, band: int) -> str:
        """The data type of 1-based ``band``."""
        return self.dtypes[band - 1] if band <= len(self.dtypes) else self.dtype

    def cf_missing(self, band: int) -> tuple[float, ...]:
        """The CF ``missing_value`` values of 1-based ``band`` GDAL leaves as data."""
        return self.missing[band - 1] if band <= len(self.missing) else ()

    def cf_valid(self, band: int) -> tuple[float, float] | None:
        """The CF ``valid_min``/``valid_max`` of 1-based ``band`` GDAL does not apply."""
        return self.valid[band - 1] if band <= len(self.valid) else None

    def has_mask(self, band: int) -> bool:
        """Whether 1-based ``band`` has a mask band of its own (see :attr:`masked`)."""
        return band <= len(self.masked) and self.masked[band - 1]

    def coefficients(self, band: int) -> tuple[float, float]:
        """The file's own ``(scale, offset)`` of 1-based ``band`` (GDAL's band scale and
        offset: a GeoTIFF's tags, a NetCDF's ``scale_factor``/``add_offset``), by which
        ``value = DN * scale + offset``; ``(1, 0)`` where the file states none."""
        scale = self.scales[band - 1] if band <= len(self.scales) else None
        offset = self.offsets[band - 1] if band <= len(self.offsets) else None
        return (1.0 if scale is None else float(scale), 0.0 if offset is None else float(offset))

    @property
    def resolution(self) -> float:
        """Cell size in the file's CRS units: the side of a square of one cell's area
        (a cell's width for a north-up file; a rotated geotransform's too)."""
        a, b, _, d, e = self.transform[:5]
        return math.sqrt(abs(a * e - b * d))

    def extent(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` in the file's CRS, from all four corners: a
        rotated geotransform's corners are not its ``c``/``f`` origin plus ``a``/``e``
        steps (a file rotated by 90 degrees had no width and seemed to overlap nothing)."""
        a, b, c, d, e, f = self.transform[:6]
        xs = [c + a * col + b * row for col in (0, self.width) for row in (0, self.height)]
        ys = [f + d * col + e * row for col in (0, self.width) for row in (0, self.height)]
        return min(xs), min(ys), max(xs), max(ys)

    def bounds_in(self, crs: CRS | str) -> tuple[float, float, float, float]:
        """The file's bounds transformed to ``crs`` (densified edges).

        Raises
        ------
        CRSError
            The file's CRS cannot be transformed to ``crs`` (a local engineering CRS).
        """
        dst = crs if isinstance(crs, str) else crs.to_wkt()
        check_transformable(self.crs, dst, where=self.path)
        return tuple(transform_bounds(RioCRS.from_user_input(self.crs),
                                      RioCRS.from_user_input(dst), *self.extent(),
                                      densify_pts=21))

    def part_in(self, crs: CRS | str, bounds: tuple[float, float, float, float]
                ) -> tuple[float, float, float, float] | None:
        """The part of the file's extent that ``bounds`` (given in ``crs``: a region)
        covers, in the file's CRS; ``None`` where they do not meet or PROJ gives no
        finite box.

        The region's box is small and goes into the file's CRS without trouble, where a
        file far larger than the region does not go into the region's: the edges of a
        world DEM in longitude and latitude, taken into a transverse Mercator or
        stereographic CRS (RD New, TM35FIN, a UTM zone), bound a box that misses their
        interior (the equator 90 degrees from the central meridian lies at infinity),
        which :meth:`bounds_in` cannot see.
        """
        parts = self.parts_in(crs, bounds)
        return max(parts, key=lambda p: (p[2] - p[0]) * (p[3] - p[1])) if parts else None

    def parts_in(self, crs: CRS | str, bounds: tuple[float, float, float, float]
                 ) -> list[tuple[float, float, float, float]]:
        """The parts of the file's extent that ``bounds`` (a region in ``crs``) covers, in
        the file's CRS: one box, or two where the region crosses the antimeridian of a
        file in longitudes of -180..180 (its box in them runs from east of 179 to west of
        -179, and each side of 180 holds a part); none where they do not meet.

        A region across 180 (UTM 60S or 1S, the Fiji Map Grid) had no common part with a
        world grid under it, so its cells were measured over the whole file's box in the
        region's CRS: 0.04 degree cells (4.3 km at 17 S) said to be 12 km, which chose
        ``bilinear`` for a 10 km region where the same file on 0..360 longitudes is
        averaged (:meth:`cell_size_in`), and warned of cells "5.3 times" the region's that
        are 2.1 times.
        """
        box = _box_in(crs if isinstance(crs, str) else crs.to_wkt(), self.crs, tuple(bounds))
        if box is None:
            return []
        boxes = [box]
        if box[0] > box[2] and _is_geographic(self.crs):  # across 180: GDAL's box so
            boxes = [(box[0], box[1], 180.0, box[3]), (-180.0, box[1], box[2], box[3])]
        left, bottom, right, top = self.extent()
        parts = []
        for one in boxes:
            part = (max(one[0], left), max(one[1], bottom), min(one[2], right),
                    min(one[3], top))
            if all(math.isfinite(v) for v in part) and part[0] < part[2] and \
                    part[1] < part[3]:
                parts.append(part)
        return parts

    def cell_size_in(self, crs: CRS | str, bounds: tuple[float, float, float, float]
                     ) -> float | None:
        """The side (square root of the area) of one file cell, in ``crs``'s units, where
        the file meets ``bounds`` (a region in ``crs``): the cell under the centre of
        their common part (:meth:`part_in`); ``None`` where they do not meet.

        A cell size measured over the whole file's box in ``crs`` was the region's only
        where the file is about the region's size: a world DEM of 30 arc-seconds (about
        730 m at 52 N) measured 10 186 m in RD New and 118 m in UTM 31N, which chose
        the resampling (a coarsening's ``average``, else ``bilinear``) and the coarse
        warnings by numbers no cell of the file has.
        """
        from rasterio.warp import transform as transform_points

        part = self.part_in(crs, bounds)
        if part is None:
            return None
        a, b, c, d, e, f = self.transform[:6]
        det = a * e - b * d
        if det == 0:
            return None
        # the file cell holding the centre of the common part, by its four corners
        cx, cy = (part[0] + part[2]) / 2, (part[1] + part[3]) / 2
        col = math.floor((e * (cx - c) - b * (cy - f)) / det)
        row = math.floor((a * (cy - f) - d * (cx - c)) / det)
        corners = [(col, row), (col + 1, row), (col + 1, row + 1), (col, row + 1)]
        fx = [c + a * i + b * j for i, j in corners]
        fy = [f + d * i + e * j for i, j in corners]
        dst = crs if isinstance(crs, str) else crs.to_wkt()
        try:  # by GDAL, as its warp takes the cells (pyproj's Transformer: 85 ms to make)
            xs, ys = transform_points(RioCRS.from_user_input(self.crs),
                                      RioCRS.from_user_input(dst), fx, fy)
        except Exception:  # PROJ cannot take the cell into the region's CRS
            return None
        area = 0.5 * abs(sum(x0 * y1 - x1 * y0 for x0, y0, x1, y1 in zip(
            xs, ys, [*xs[1:], xs[0]], [*ys[1:], ys[0]], strict=True)))
        return math.sqrt(area) if math.isfinite(area) and area > 0 else None


@functools.lru_cache(maxsize=64)
def _is_geographic(crs: str) -> bool:
    """Whether ``crs`` (a file's) is in longitude and latitude; ``False`` where PROJ
    cannot read it."""
    try:
        return bool(parse_crs(crs).is_geographic)
    except Exception:  # a CRS PROJ cannot read: not one of longitudes
        return False


@functools.lru_cache(maxsize=64)
def _box_in(src: str, dst: str, bounds: tuple[float, ...]
            ) -> tuple[float, float, float, float] | None:
    """``bounds`` of CRS ``src`` taken into CRS ``dst`` (densified edges), ``None`` where
    PROJ cannot; kept for the tiles of a mosaic, which share a CRS and the region."""
    try:
        box = transform_bounds(RioCRS.from_user_input(src), RioCRS.from_user_input(dst),
                               *bounds, densify_pts=21)
    except Exception:  # a region PROJ cannot take into the file's CRS
        return None
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def pixel_at(info: RasterInfo, band: int, x: float, y: float, crs: CRS) -> float | None:
    """The raw value of ``band`` under the point ``(x, y)`` given in ``crs``, for an error
    message; ``None`` where the point lies outside the file or the read fails."""
    from pyproj import Transformer

    try:
        fx, fy = Transformer.from_crs(crs, parse_crs(info.crs), always_xy=True).transform(x, y)
        with rasterio.open(info.path) as src:
            row, col = src.index(fx, fy)
            if not (0 <= row < src.height and 0 <= col < src.width):
                return None
            return float(src.read(band, window=Window(col, row, 1, 1))[0, 0])
    except (RasterioIOError, rasterio.errors.RasterioError, ValueError):
        return None


_MASKING = {MaskFlags.per_dataset, MaskFlags.alpha}
"""GDAL mask flags of a band masked by a mask band, not by its nodata value."""


_LOSSY_CODECS = {"JPEG": "JPEG", "JP2OpenJPEG": "JPEG 2000", "JP2KAK": "JPEG 2000",
                 "JP2ECW": "JPEG 2000", "JP2MrSID": "JPEG 2000", "JPEG2000": "JPEG 2000",
                 "WEBP": "WebP", "JPEGXL": "JPEG XL", "ECW": "ECW", "MrSID": "MrSID"}
"""GDAL drivers of lossy codecs (the name said), by driver."""


def lossy_compression(src: Any) -> tuple[str, float | None]:
    """How an open dataset's codec alters its values, and the largest error per cell it
    guarantees: ``("JPEG compression (quality 75)", None)``, ``("LERC compression of
    maximum error 2.0", 2.0)``; ``("", None)`` for a lossless file.

    GDAL says it in the ``IMAGE_STRUCTURE`` metadata: ``COMPRESSION_REVERSIBILITY=LOSSY``
    (JPEG 2000, WebP, JPEG XL), a GeoTIFF's ``COMPRESSION`` (``JPEG``, ``YCbCr JPEG``:
    always lossy; ``WEBP`` unless ``WEBP_LOSSLESS``) and LERC's ``MAX_Z_ERROR`` (lossless
    below half a unit of an integer band, and at 0); a JPEG file is always lossy. A JPEG
    geophysics grid read values up to 40 units off and a JPEG geology map had 1 252 of
    its 1 600 codes changed into others, exit 0, without a word.
    """
    structure = src.tags(ns="IMAGE_STRUCTURE")
    compression = str(structure.get("COMPRESSION", "")).upper()
    reversibility = str(structure.get("COMPRESSION_REVERSIBILITY", "")).upper()
    quality = structure.get("JPEG_QUALITY") or structure.get("WEBP_LEVEL")
    said = f" (quality {quality})" if quality else ""
    if compression.startswith("LERC"):
        try:
            error = float(structure.get("MAX_Z_ERROR", 0.0))
        except ValueError:
            return "", None
        whole = all(np.dtype(d).kind in "iub" for d in src.dtypes)
        if error <= 0 or (whole and error < 0.5) or not np.isfinite(error):
            return "", None
        return f"{compression} compression of maximum error {error:g}", error
    if src.driver == "JPEG" or "JPEG" in compression.split():  # "JPEG", "YCbCr JPEG"
        return f"JPEG compression{said}", None
    if reversibility == "LOSSY":
        codec = _LOSSY_CODECS.get(src.driver, compression.title() or src.driver)
        return f"lossy {codec} compression{said}", None
    if compression == "WEBP" and str(structure.get("WEBP_LOSSLESS", "")).upper() != "TRUE" \
            and not reversibility.startswith("LOSSLESS"):
        return f"lossy WebP compression{said}", None
    return "", None


def value_fits(value: float, dtype: str, nbits: int | None = None) -> bool:
    """Whether a band of ``dtype`` can hold ``value``: a nodata value that cannot occur in
    the band marks nothing (an integer band holds no -9999.5, no NaN, nothing beyond its
    range; a float32 band nothing beyond +-3.4e38). ``nbits``: the bits the file stores
    of each value where fewer than the type's (a GeoTIFF's ``NBITS``): a 4-bit band holds
    0..15, and the 255 stated as its nodata was written as 15 (GDAL clamps)."""
    if str(dtype).startswith("complex"):
        return True  # refused as complex by raster_info, not for its nodata
    kind = np.dtype(dtype).kind
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _FLOAT64_WHOLE:
        # an exact whole number past 2**53 (a config's or a file's 64-bit fill): compared
        # as the int it is, never as its float neighbour (2**64 is no uint64 value)
        if kind not in "iu":
            return value_fits(float(value), dtype, nbits)
        least, most = int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)
        if nbits is not None and 0 < nbits < 8 * np.dtype(dtype).itemsize:
            least, most = (0, 2**nbits - 1) if kind == "u" else (
                -2**(nbits - 1), 2**(nbits - 1) - 1)
        return least <= value <= most
    if kind in "iu":
        if not np.isfinite(value) or value != int(value):
            return False
        info = np.iinfo(dtype)
        lo, hi = float(info.min), float(info.max)
        if nbits is not None and 0 < nbits < 8 * np.dtype(dtype).itemsize:
            lo, hi = ((0.0, float(2**nbits - 1)) if kind == "u" else
                      (float(-2**(nbits - 1)), float(2**(nbits - 1) - 1)))
        # as floats, the way a nodata value is stated and passed to GDAL: the limits of
        # the 64-bit types (a uint64 band's 2**64 - 1, its usual fill) round to 2**64
        return bool(lo <= float(value) <= hi)
    if kind == "f" and np.isfinite(value) and not _half(dtype, nbits):
        # as Python floats: a float32 comparison cast 1e308 and printed numpy's overflow
        if abs(float(value)) <= float(np.finfo(dtype).max):
            return True
        # past the largest float by less than half its step, the value is written as it
        # (numpy's float32 lowest printed short, -3.4028235e+38, is -3.4028234663852886e+38
        # in a float32 band): it was refused as a nodata that "cannot occur"
        with np.errstate(over="ignore"):
            return bool(np.isfinite(np.array(float(value)).astype(dtype)))
    return True  # a half float holds any value as one of its own (+-inf beyond 65504)


_FLOAT32_WHOLE = 2**24
"""The largest magnitude up to which float32 holds every whole number (16 777 216)."""

_FLOAT64_WHOLE = 2**53
"""The largest magnitude up to which float64 holds every whole number: a 64-bit band's
nodata beyond it is kept as an exact ``int`` (:func:`exact_nodata`)."""


def float32_merges(value: float, dtype: str) -> bool:
    """Whether float32 holds ``value`` as it holds another number a band of ``dtype``
    holds: a whole number of magnitude 2**24 or more in a 32- or 64-bit integer band
    (uint32's fill 4294967295 and its 4294967294 are both 4294967296 as float32), or any
    finite number in a float64 band (-9999.0001 is -9999 as float32)."""
    kind = "c" if str(dtype).startswith("complex") else np.dtype(dtype).kind
    if not math.isfinite(value) or not value_fits(value, dtype):
        return False
    if kind == "f":
        return np.dtype(dtype).itemsize == 8
    return bool(kind in "iu" and np.dtype(dtype).itemsize >= 4 and abs(value) >= _FLOAT32_WHOLE)


def fill_neighbours_held(info: RasterInfo, band: int, fills: tuple[float, ...],
                         within: Window | None = None) -> bool:
    """Whether band ``band`` of ``info`` holds, beside its ``fills``, numbers float32
    reads as one of them (:func:`float32_merges`), by its planning sample of the part
    ``within`` (:func:`sample_band`): then it is to be read in its own type, its fills
    dropped before the cast to the cube's float32.

    GDAL's warper compares a band's nodata after that cast, so a uint32 band of fill
    4294967295 dropped its 4294967294 cells (a second fill one apart, or values at the
    top of the range) as no data without a word. A fill float32 holds apart from every
    other number (-9999, 0, 65535) is never sampled for; a remote file (not sampled), or
    one whose sample meets a damaged block, whose fill float32 merges is read in its own
    type. A float64 band is read in its own type only where its sample holds such
    neighbours (a fill of -9999 beside -9999.0001 cells, all dropped by the warper), a
    remote one's too (sampled with a few range requests: unsampled, its -9999.0001 cells
    were dropped with its fills); one whose sample meets a damaged block or a failed
    request is warped as before."""
    dtype = info.band_dtype(band)
    merged = [v for v in fills if float32_merges(v, dtype)]
    if not merged:
        return False
    wide = np.dtype(dtype).kind == "f"
    try:
        sample = sample_band(info.path, band, within=within, remote=wide)
    except InputFileError:  # a damaged block: the chunk task that reads it says so
        return not wide
    if sample is None:
        return not wide
    values = np.concatenate([sample[0].ravel(), sample[1].ravel()])
    # compared exactly: an exact 64-bit fill (an ``int``, :func:`exact_nodata`) in the
    # band's own type, any other as float64, as every read compares it
    exact = [v for v in fills if isinstance(v, int) and value_fits(v, dtype)]
    other = [v for v in fills if v not in exact]
    fill = np.isin(values, np.array(other, dtype="f8")) if other else np.zeros(values.shape, bool)
    if exact and values.dtype.kind in "iu":
        fill |= np.isin(values, np.array(exact, dtype=values.dtype))
    values = values[~fill]
    with np.errstate(over="ignore"):  # a float64 fill past float32's range: -inf as read
        return bool(np.isin(values.astype(np.float32), np.array(merged, dtype=np.float32)).any())


def _half(dtype: str, nbits: int | None) -> bool:
    """Whether a band stores half floats: ``float16``, or a float band of ``NBITS=16``
    (GDAL reads a half-float GeoTIFF as float32)."""
    return str(dtype) == "float16" or (np.dtype(dtype).kind == "f" and nbits == 16)


_SENTINEL = 1e20
"""Magnitude from which a float64 nodata is a sentinel that may have passed through
float32 (:func:`stored_values`): NCL's and CESM's 1e20 fill, Surfer's 1.70141e38, float32's
limits. A float64 grid stating 1e20 whose fill was written through float32
(1.0000000200408773e20) had its fill called data by the fill check while GDAL's warper
dropped it."""


def _rounded_limit(value: float, dtype: str) -> tuple[float, ...]:
    """The largest magnitude a float band of ``dtype`` holds (float32's +-3.4028235e38,
    and float64's for a float64 band), with ``value``'s sign, where ``value`` is that
    limit rounded to the significant digits it is written with (2 or more): a nodata
    stated as ``-3.4e38`` or ``-3.40282e+38`` over a fill written as float32's lowest.
    Compared as float32, ``-3.4e38`` is -3.39999995e38, which no cell holds: the fill
    check called the fill "data" while GDAL's warper dropped it, and reads that compare
    exactly (a cloud-masked block) kept -3.4e38 as a value. ``()`` otherwise."""
    if not abs(value) >= _SENTINEL or not math.isfinite(value):
        return ()
    texts = [repr(abs(value))]  # as written, or as float32 prints the float32 read of it
    if abs(value) <= float(np.finfo(np.float32).max) and float(np.float32(value)) == value:
        texts.append(np.format_float_scientific(np.float32(abs(value)), unique=True))
    limits = [float(np.finfo(np.float32).max)]
    if np.dtype(dtype).itemsize == 8:
        limits.append(float(np.finfo(np.float64).max))
    found: list[float] = []
    for text in texts:
        mantissa = text.lower().split("e")[0].replace(".", "").lstrip("0").rstrip("0")
        digits = len(mantissa)
        found += [math.copysign(top, value) for top in limits if digits >= 2 and
                  top != abs(value) and float(f"{top:.{digits - 1}e}") == float(text)]
    return tuple(dict.fromkeys(found))


def stored_values(value: float, dtype: str, nbits: int | None = None) -> tuple[float, ...]:
    """The values a band of ``dtype`` (``nbits``: see :func:`value_fits`) holds where
    ``value`` was written to it, as the float64 numbers a read of the band compares.

    A nodata value is stated as text (a GeoTIFF's ``GDAL_NODATA`` tag, a NetCDF's
    ``_FillValue``) but written into the pixels in the band's own type. A float32 band's
    -9999.99 is the float32 nearest it; a half-float band (``NBITS=16``) holds no -9999
    at all: GDAL writes -9992 (it cuts toward zero), numpy and most other writers -10000
    (the nearest), and its nodata compared as -9999 never matched, so the fill was read
    as values. Both neighbours of a value a half float cannot hold are returned (the one
    GDAL writes first); beyond 65504 a half float holds 65504 or an infinity. A float64
    band's sentinel (magnitude 1e20 or more) is returned with its float32 rounding too:
    a Surfer grid's blank stated as 1.70141e38 but written 1.701410009187828e+38 (the
    float32 blank printed in full) was ingested as a value.

    Returns
    -------
    tuple of float
        One value (two for a half-float band's value between two of its own); NaN as
        NaN; ``value`` itself for a type that cannot hold it (:func:`value_fits` says),
        and an integer band's exact ``int`` past 2**53 as it is (:func:`exact_nodata`).
    """
    if isinstance(value, int) and abs(value) >= _FLOAT64_WHOLE \
            and not str(dtype).startswith("complex") and np.dtype(dtype).kind in "iu":
        return (value,)  # a 64-bit band's exact nodata past 2**53 (:func:`exact_nodata`)
    value = float(value)
    if value != value or str(dtype).startswith("complex"):
        return (value,)
    kind = np.dtype(dtype).kind
    if kind != "f" or not value_fits(value, dtype, nbits):
        return (value,)
    limit = _rounded_limit(value, dtype)
    if np.dtype(dtype).itemsize == 8 and abs(value) >= _SENTINEL:
        with np.errstate(over="ignore"):
            single = float(np.float32(value))
        # a float64 grid's sentinel fill that passed through float32 (a Surfer blank
        # 1.70141e38 written as 1.701410009187828e+38, ArcGIS's -3.4028235e+38 as
        # float32's lowest): both are the fill
        held = (value, single) if math.isfinite(single) and single != value else (value,)
        return tuple(dict.fromkeys((*held, *limit)))
    if not _half(dtype, nbits):
        return tuple(dict.fromkeys((float(np.asarray(value, dtype=dtype)), *limit)))
    with np.errstate(over="ignore"):
        nearest = float(np.float16(value))
    if nearest == value or not np.isfinite(value):
        return (value,)
    if abs(value) > 65504.0:  # GDAL: the largest below 2**16, then an infinity
        cut = math.copysign(65504.0 if abs(value) < 65536.0 else math.inf, value)
        return tuple(dict.fromkeys((cut, nearest)))
    toward_zero = nearest if abs(nearest) < abs(value) else float(
        np.nextafter(np.float16(nearest), np.float16(0)))
    return tuple(dict.fromkeys((toward_zero, nearest)))


def gdal_path(path: Path | str, variable: str | None = None) -> str:
    """The GDAL dataset name of ``path``, or of one NetCDF/HDF variable in it.

    A variable in a netCDF-4 group is named by its full path from the root
    (``/geophysics/heat``), as GDAL lists it; ``geophysics/heat`` is the same variable,
    and is named so here: GDAL opens both, but the header checks that look the variable
    up by name (the types of its bounds) found none under the short spelling.

    A GeoPackage's raster tables are named ``GPKG:f.gpkg:table``: GDAL's netCDF driver
    does not open a GeoPackage, so ``variable: heat`` of a GeoPackage of several raster
    tables was refused as "no variable 'heat'; variables are dem, heat"."""
    if variable and _is_sqlite(path):
        return f"GPKG:{path}:{variable}"
    if variable:
        if "/" in variable.strip("/") and not variable.startswith("/"):
            variable = "/" + variable
        return f'NETCDF:"{path}":{variable}'
    return str(path)


def _is_sqlite(path: Path | str) -> bool:
    """Whether ``path`` is a local SQLite database (a GeoPackage), by its first bytes."""
    text = str(path)
    if text.startswith("/vsi") or "://" in text:
        return False
    try:
        with open(text, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _group_of(src: Any) -> str:
    """The netCDF-4 group of an open variable (``/geophysics`` of
    ``NETCDF:"f.nc":/geophysics/heat``), ``""`` for the root group or a whole file. GDAL
    keys the attributes of the group's other variables by their full names
    (``/geophysics/time#units``); those of the root group's by their names alone."""
    name = _DRIVER_NAME.match(src.name)
    var = src.name.rsplit(":", 1)[-1] if name else ""
    return var.rsplit("/", 1)[0] if var.startswith("/") and "/" in var[1:] else ""


def _attribute(src: Any, tags: dict[str, str], variable: str, attr: str) -> str | None:
    """Attribute ``attr`` of ``variable`` (a name in the opened variable's own group, or a
    full path), from GDAL's ``name#attribute`` metadata."""
    found = tags.get(f"{variable}#{attr}")
    group = _group_of(src)
    if found is None and group and not variable.startswith("/"):
        found = tags.get(f"{group}/{variable}#{attr}")
    return found


def _nc_variable(src: Any, tags: dict[str, str], default: str) -> str:
    """The name NCO's tools (``ncatted``, ``ncks``) take for the open variable: its path
    from the root for a variable in a netCDF-4 group (``/geophysics/heat``), where
    GDAL's ``NETCDF_VARNAME`` holds its name alone, which ``ncatted`` looks up in the root
    group and does not find; ``default`` where GDAL names no variable."""
    name = str(tags.get("NETCDF_VARNAME") or "").strip()
    if not name:
        return default
    group = _group_of(src)
    return f"{group}/{name}" if group else name


def _refuse_variable(path: Path | str, variable: str) -> None:
    """Say why ``variable`` of ``path`` cannot be opened, when the file itself can be.

    GDAL answers "No such file or directory" both for a variable the file lacks and for
    ``variable:`` given with a file that has no variables (a GeoTIFF).
    """
    try:
        with rasterio.open(str(path)) as src:
            names = [s.rsplit(":", 1)[-1] for s in src.subdatasets]
            driver = src.driver
            if not names and driver in _CF_DRIVERS and src.count:
                # a file of one variable opens as that variable: name it, with its group
                own = str(src.tags(1).get("NETCDF_VARNAME", "")).strip()
                names = sorted({k.split("#", 1)[0] for k in src.tags()
                                if k.split("#", 1)[0].endswith("/" + own) and own} or
                               ({own} if own else set()))
    except (RasterioIOError, rasterio.errors.RasterioError):
        return  # the file itself is unreadable: the caller says so
    if names:
        grouped = [n for n in names if n.startswith("/") and
                   n.rsplit("/", 1)[-1] == variable.rsplit("/", 1)[-1]]
        hint = (f" (a variable in a netCDF-4 group is named by its path from the root: "
                f"variable: {grouped[0]})" if grouped else "")
        raise DataError(f"{path}: no variable {variable!r}; variables are "
                        f"{', '.join(names)}; fix 'variable:' in the source config{hint}")
    raise DataError(f"{path}: a {driver} file holds no variables; 'variable: {variable}' is "
                    "for NetCDF/HDF files: remove it from the source config")


def _coordinates(src: Any, path: Path | str) -> str | None:
    """How a NetCDF/HDF dataset GDAL gives no geotransform places its cells anyway, if it
    does: ``"geolocation"`` (2-D longitude/latitude arrays: a curvilinear or swath grid),
    ``"unmarked:<x>:<y>"`` (evenly spaced 1-D projected coordinate variables ``<x>`` and
    ``<y>`` without the CF ``axis`` or ``standard_name`` attribute GDAL's netCDF driver
    places a projected grid by: xarray writes none for a plain array's ``x``/``y``),
    ``"uneven"`` (1-D coordinate variables GDAL does not take as a grid: not evenly
    spaced), else ``None``."""
    if src.driver not in _CF_DRIVERS:
        return None
    if src.tags(ns="GEOLOCATION"):
        return "geolocation"
    axes = _axis_variables(src)
    if not axes:
        return None
    coords = _read_axes(src, path) if src.driver == "netCDF" else {"x": None, "y": None}
    x, y = coords["x"], coords["y"]
    if x is not None and y is not None and _even(x) and _even(y) and \
            (x.size, y.size) == (src.height, src.width) and x.size != y.size:
        return "transposed"  # GDAL places no grid for (x, y) storage of another shape
    if x is not None and y is not None and _even(x) and _even(y) and \
            (x.size, y.size) == (src.width, src.height) and not _cf_axes(src, axes):
        return f"unmarked:{axes['x']}:{axes['y']}"
    return "uneven"


def _cf_axes(src: Any, axes: dict[str, str]) -> bool:
    """Whether both of a NetCDF dataset's 1-D coordinate variables ``axes`` (axis -> name)
    carry a CF ``axis`` or ``standard_name`` attribute (GDAL's ``name#attribute``
    metadata), by which GDAL's netCDF driver places a projected grid: ``units: m`` or a
    ``long_name`` alone does not, nor a variable's name ``x``/``y``."""
    tags = src.tags()
    return all(any(f"{name}#{attr}" in tags for attr in ("axis", "standard_name"))
               for name in axes.values())


_AXIS_NAMES = {
    "x": ({"projection_x_coordinate", "longitude", "grid_longitude"}, "degrees_east",
          ("x", "lon", "longitude")),
    "y": ({"projection_y_coordinate", "latitude", "grid_latitude"}, "degrees_north",
          ("y", "lat", "latitude")),
}
"""Per axis: the CF standard names and units of its coordinate variable, and the names
GDAL takes for one."""


def _axis_variables(src: Any) -> dict[str, str]:
    """Axis (``"x"``, ``"y"``) -> the name of a NetCDF dataset's 1-D coordinate variable
    along it, told by its CF attributes or its name (from GDAL's ``name#attribute``
    metadata)."""
    names: dict[str, str] = {}
    for key, value in src.tags().items():
        name, _, attr = key.partition("#")
        text = str(value).strip()
        for axis, (standard, units, usual) in _AXIS_NAMES.items():
            if ((attr == "standard_name" and text in standard) or
                    (attr == "axis" and text.upper() == axis.upper()) or
                    (attr == "units" and text == units) or name.lower() in usual):
                names.setdefault(axis, name)
    return names


def _off_grid(coords: np.ndarray | None, count: int, step: float, origin: float, *,
              rows: bool) -> bool:
    """Whether 1-D cell-centre ``coords`` are not the ``count`` centres ``origin + step *
    (i + 0.5)`` of a geotransform's axis (the rows' axis read south first when stored so),
    within a tenth of a cell or float32's rounding of the coordinates."""
    if coords is None or coords.size != count:
        return True
    if rows and step < 0 < coords[-1] - coords[0]:
        coords = coords[::-1]  # stored south first: GDAL turns it north-up
    centres = origin + step * (np.arange(count) + 0.5)
    tolerance = max(0.1 * abs(step), 1e-6 * float(np.abs(coords).max()))
    return bool(float(np.abs(coords - centres).max()) > tolerance)


def _longitude_turn(values: np.ndarray | None) -> tuple[float, float] | None:
    """The two neighbouring longitudes between which x coordinates go once round the
    Earth (359.995 then 0.005: a grid across the prime meridian kept in 0 to 360; 179.995
    then -179.995: one across 180 kept in -180 to 180), where they are evenly spaced but
    for that turn of 360 degrees; else ``None``."""
    if values is None or values.size < 3 or not np.all(np.isfinite(values)) or \
            float(np.abs(values).max()) > 360.0:
        return None
    steps = np.diff(values)
    turns = np.flatnonzero(np.abs(steps) > 180.0)
    if turns.size != 1:
        return None
    even = np.diff(np.unwrap(values, period=360.0))
    if not np.allclose(even, even[0], rtol=1e-3, atol=0.0) or even[0] == 0:
        return None
    k = int(turns[0])
    return float(values[k]), float(values[k + 1])


def _misplaced(src: Any, path: Path | str) -> str | None:
    """Why GDAL's geotransform of a NetCDF variable does not place its cells where its 1-D
    coordinate variables say (``"x"``/``"y"``: that axis is not evenly spaced;
    ``"transposed"``: the variable is stored (x, y), columns first; ``"wraps:A:B"``: its
    longitudes go round the Earth from A to B, :func:`_longitude_turn`), else ``None``.

    GDAL's netCDF driver places a longitude/latitude variable on an even grid when its
    spacing varies within 0.1 degrees (a Gaussian grid's tolerance): a variable on 5 m rows
    then 15 m rows (a stretched grid, a gap) was placed on even 10 m rows, most rows put
    elsewhere without a word. And it reads the last dimension as x whatever its name: a
    variable stored (x, y) was read with its eastings as northings.
    """
    if src.driver != "netCDF" or src.transform.b or src.transform.d:
        return None
    coords = _read_axes(src, path)
    t = src.transform
    x_axis, y_axis = (src.width, t.a, t.c), (src.height, t.e, t.f)
    for axis, (ratio, unit) in _axis_ratios(src, path).items():
        values, grid = coords[axis], x_axis if axis == "x" else y_axis
        if values is None:
            continue
        if not _off_grid(values * ratio, *grid, rows=axis == "y"):
            coords[axis] = values * ratio  # GDAL converted them to the CRS's unit
        elif not _off_grid(values, *grid, rows=axis == "y"):
            return f"units:{axis}:{unit}"  # GDAL placed the cells by the numbers
    wrapped = coords["x"]
    if wrapped is not None and _off_grid(wrapped, *x_axis, rows=False):
        # an ``axis: X`` coordinate without units GDAL reads as longitudes, moved by 360
        # into -180..180 (eastings of 500005 m read as 499645), though its geotransform
        # is the coordinates' own: a grid it places rightly was "not evenly spaced"
        centres = x_axis[2] + x_axis[1] * (np.arange(wrapped.size) + 0.5)
        turns = round(float(np.median(centres - wrapped)) / 360.0)
        if turns and not _off_grid(wrapped + 360.0 * turns, *x_axis, rows=False):
            coords["x"] = wrapped + 360.0 * turns
    wrong = [axis for axis, grid, rows in (("x", x_axis, False), ("y", y_axis, True))
             if coords[axis] is not None and _off_grid(coords[axis], *grid, rows=rows)]
    if not wrong:
        return None
    turn = _longitude_turn(coords["x"]) if "x" in wrong else None
    if turn is not None:
        return f"wraps:{turn[0]!r}:{turn[1]!r}"
    if coords["x"] is not None and coords["y"] is not None and \
            not _off_grid(coords["x"], *y_axis, rows=True) and \
            not _off_grid(coords["y"], *x_axis, rows=False):
        return "transposed"
    return wrong[0]


_LENGTH_METRES = {"m": 1.0, "metre": 1.0, "meter": 1.0, "metres": 1.0, "meters": 1.0,
                  "km": 1000.0, "kilometre": 1000.0, "kilometer": 1000.0,
                  "kilometres": 1000.0, "kilometers": 1000.0, "cm": 0.01, "dm": 0.1,
                  "ft": 0.3048, "foot": 0.3048, "feet": 0.3048,
                  "us_survey_foot": 1200 / 3937, "ftus": 1200 / 3937}
"""Metres in a unit of length a projected coordinate variable's ``units`` may state."""


def _axis_ratios(src: Any, path: Path | str) -> dict[str, tuple[float, str]]:
    """Axis -> (the CRS's units in one unit of its coordinate variable's ``units``, that
    unit) where the two differ (``km`` coordinates of a CRS in metres: 1000), for a
    projected CRS; empty where they agree or either is unknown. GDAL drops the ``units``
    of coordinates it converted from the dataset's metadata; the variable's own keeps
    them."""
    if src.crs is None or not src.crs.is_projected:
        return {}
    try:
        crs_metres = float(src.crs.linear_units_factor[1])
    except (rasterio.errors.CRSError, TypeError, ValueError, IndexError):
        return {}
    tags = src.tags()
    out = {}
    for axis, name in _axis_variables(src).items():
        unit = str(tags.get(f"{name}#units", "")).strip()
        if not unit:
            try:
                with rasterio.open(f'NETCDF:"{path}":{name}') as var:
                    unit = str(var.tags().get(f"{name}#units", "")).strip()
            except (RasterioIOError, rasterio.errors.RasterioError, ValueError):
                continue
        metres = _LENGTH_METRES.get(unit.lower().replace(" ", "_"))
        if metres is not None and crs_metres > 0 and \
                not math.isclose(metres, crs_metres, rel_tol=1e-6):
            out[axis] = (metres / crs_metres, unit)
    return out


def _read_axes(src: Any, path: Path | str) -> dict[str, np.ndarray | None]:
    """Axis -> the values of a NetCDF dataset's 1-D coordinate variable along it (``None``
    where there is none GDAL reads, or it holds fewer than 3 finite values)."""
    coords: dict[str, np.ndarray | None] = {"x": None, "y": None}
    for axis, name in _axis_variables(src).items():
        try:
            with rasterio.open(f'NETCDF:"{path}":{name}') as var:
                values = var.read(1).astype("f8").ravel()
        except (RasterioIOError, rasterio.errors.RasterioError, ValueError):
            continue
        if values.size >= 3 and np.isfinite(values).all():
            coords[axis] = values
    return coords


def _even(values: np.ndarray | None) -> bool:
    """Whether 1-D coordinates are evenly spaced (a tenth of a step, or float32 rounding)."""
    if values is None:
        return False
    steps = np.diff(values)
    tolerance = max(0.1 * float(np.abs(steps).mean()), 1e-6 * float(np.abs(values).max()))
    return bool(np.abs(steps - steps.mean()).max() <= tolerance and steps.mean() != 0)


_UNEVEN = "(a stretched or Gaussian grid, or a coordinate with a gap or a repeat)"
_REGRID = ("resample it onto a regular grid first (e.g. xarray's interp, or cdo remapbil), "
           "or check the coordinate variables")
_TRANSPOSED = (
    "{path}: the variable is stored (x, y), columns first, and GDAL reads the last "
    "dimension as x: its eastings would be read as northings; transpose it first "
    "(e.g. ncpdq -a y,x in.nc out.nc, or xarray's .transpose('y', 'x'))")


_RPCS_BESIDE = (
    "{path}: holds RPC coefficients (a sensor model) beside its geotransform and is placed "
    "by the geotransform, as GDAL warps it by default: if the image is not orthorectified "
    "its cells lie off by the relief's parallax (tens of metres and more); orthorectify it "
    "first (gdalwarp -rpc -to RPC_DEM=dem.tif -t_srs <the region's CRS> in.tif ortho.tif), "
    "or, if it is orthorectified, drop the RPCs (gdal_edit.py -unsetrpc in.tif)")
"""A file with both a grid and a sensor model: which one places it was not said."""


_GRID_FILES = (".tfw", ".tifw", ".wld", ".jgw", ".pgw", ".pngw", ".gfw", ".bpw", ".aux.xml",
               ".hdr")
"""Files beside a raster that may state its grid (world files, GDAL's ``.aux.xml``, an
ENVI or ``.hdr`` header)."""


def _refuse_degenerate(path: Path | str, transform: tuple[float, ...],
                       files: list[str]) -> None:
    """Refuse a geotransform that places no cells: a term that is not a number (NaN, an
    infinity) or cells of no area (a pixel size of 0, or rows and columns along one
    line). GDAL opens such a file; it was said to overlap no region ("none of its files
    overlap"), or, in a mosaic beside other files, left out of it without a word."""
    a, b, c, d, e, f = transform
    finite = all(math.isfinite(v) for v in transform)
    if finite and a * e - b * d != 0:
        return
    how = ("holds a term that is not a number" if not finite else
           "gives its cells no area (a cell size of 0, or rows and columns along one line)")
    stated = [Path(n).name for n in files[1:] if n.lower().endswith(_GRID_FILES)]
    where = f" (stated by {', '.join(stated)})" if stated else ""
    raise DataError(
        f"{path}: its geotransform{where} [origin {c:.10g}, {f:.10g}; cell {a:.10g} x "
        f"{e:.10g}; rotation {b:.10g}, {d:.10g}] {how}, so its cells have no place on the "
        "ground; give it its grid (gdal_edit.py -a_ullr <left> <top> <right> <bottom> "
        "file, or correct the world file or header that states it)")


def _refuse_overview_file(path: Path | str) -> None:
    """Refuse an external overview file (``dem.tif.ovr``, ``dem.ovr``, ``dem.aux``'s
    ``.rrd``) given as the raster: GDAL builds it beside its raster as a reduced copy,
    without georeferencing (its raster's is meant), so it was "the raster has no
    georeferencing; give it its grid first (gdal_translate -a_ullr ...)", which grids a
    copy at a coarser cell size; the raster it belongs to is meant."""
    text = str(path)
    if text.startswith("/vsi"):
        return
    local = Path(text)
    if local.suffix.lower() not in (".ovr", ".rrd"):
        return
    stem = local.with_suffix("")
    try:  # dem.tif.ovr belongs to dem.tif; dem.ovr (an old gdaladdo's) to dem.<any>
        owners = [stem] if stem.suffix else sorted(
            p for p in local.parent.iterdir() if p.stem == local.stem and p != local
            and p.suffix.lower() not in (".ovr", ".rrd", ".aux", ".xml"))
    except OSError:
        owners = []
    owner = next((p for p in owners if p.is_file()), None)
    belongs = (f"the overviews of {owner.name}" if owner is not None else
               "an overview file of another raster")
    raise DataError(
        f"{path}: {belongs}, a reduced copy GDAL builds beside its raster (gdaladdo -ro), "
        "without a grid of its own; give the raster it belongs to"
        + (f" ({owner})" if owner is not None else "") + ", whose full-resolution cells "
        "are read")


def _refuse_ungridded(path: Path | str, *, gcps: int, rpcs: bool,
                      coordinates: str | None = None) -> None:
    """A raster without a geotransform has no grid to warp from: say what it has instead
    (before the CRS, which a GCP- or RPC-only file keeps with them, not as its own)."""
    _refuse_overview_file(path)
    if coordinates == "geolocation":
        raise DataError(
            f"{path}: placed by 2-D longitude/latitude arrays (a curvilinear or swath grid), "
            "not a regular grid; warp it onto one first (e.g. gdalwarp -geoloc -t_srs <the "
            "region's CRS> in.nc gridded.tif)")
    if coordinates == "transposed":
        raise DataError(_TRANSPOSED.format(path=path))
    if coordinates is not None and coordinates.startswith("unmarked:"):
        _, x, y = coordinates.split(":", 2)
        raise DataError(
            f"{path}: its coordinate variables {x!r} and {y!r} are evenly spaced, but GDAL "
            "places no grid by them: they carry no CF 'axis' or 'standard_name' attribute "
            "(xarray writes none for a plain array); add them (ncatted -a "
            f"standard_name,{x},o,c,projection_x_coordinate -a "
            f"standard_name,{y},o,c,projection_y_coordinate {Path(str(path)).name}, or "
            f"set ds[{x!r}].attrs['standard_name'] = 'projection_x_coordinate' and "
            f"ds[{y!r}].attrs['standard_name'] = 'projection_y_coordinate' before writing "
            "it) and give the file again")
    if coordinates == "uneven":
        raise DataError(f"{path}: its x/y coordinate variables are not evenly spaced, so "
                        f"GDAL places no grid {_UNEVEN}; {_REGRID}")
    if 0 < gcps < 3:
        raise DataError(
            f"{path}: georeferenced by {gcps} ground control point(s) only, fewer than the 3 "
            "a warp needs: a tie point without a cell size (a GeoTIFF whose "
            "ModelPixelScale is missing or 0, or a world file of cell size 0); give it its "
            "grid (gdal_translate -a_ullr <left> <top> <right> <bottom> -a_srs <its CRS> "
            "in.tif gridded.tif)")
    if gcps:
        raise DataError(
            f"{path}: georeferenced by {gcps} ground control points only, not a grid; warp it "
            "onto a grid first (e.g. gdalwarp -t_srs <the region's CRS> in.tif gridded.tif)")
    if rpcs:
        raise DataError(
            f"{path}: georeferenced by RPC coefficients only (an image not yet "
            "orthorectified); orthorectify it first (e.g. gdalwarp -rpc -t_srs <the region's "
            "CRS> in.tif gridded.tif, with a DEM: -to RPC_DEM=dem.tif)")
    world = _world_file(path)
    if world is not None:
        raise DataError(
            f"{path}: its world file {world.name} places no cells (GDAL ignores one whose "
            "cell size is 0 or whose six lines are not all numbers), and the raster has no "
            "other georeferencing; correct the world file (cell width, 0, 0, negative "
            "cell height, then the centre of the top-left cell) or give the grid with "
            "gdal_translate -a_ullr <left> <top> <right> <bottom> -a_srs <its CRS>")
    raise DataError(
        f"{path}: the raster has no georeferencing (no geotransform, ground control points "
        "or RPCs); give it its grid first (e.g. gdal_translate -a_ullr <left> <top> <right> "
        "<bottom> -a_srs <its CRS> in.tif gridded.tif)")


def _world_file(path: Path | str) -> Path | None:
    """The world file beside a local raster (``heat.tfw``, ``heat.tifw``, ``heat.wld``,
    ``heat.pgw`` of ``heat.png``...), as GDAL looks for one; ``None`` where there is none."""
    if str(path).startswith("/vsi") or "://" in str(path):
        return None
    here = Path(path)
    ext = here.suffix.lstrip(".")
    if not ext:
        return None
    names = {f"{ext[0]}{ext[-1]}w", f"{ext}w", "wld"}
    for name in sorted(names):
        for case in (name, name.upper()):
            beside = here.with_suffix("." + case)
            if beside.is_file():
                return beside
    return None


_XYZ_POINT = re.compile(rb"^\s*[-+.\d][^\s,;]*[\s,;]+[-+.\d][^\s,;]*[\s,;]+[-+.\dnN]",
                        re.MULTILINE)
"""A line of an XYZ grid that holds a point (x, y and a value), not a header."""


def _zip_member(name: str) -> tuple[str, str] | None:
    """``(archive, member)`` of a ``/vsizip/`` name of a member of a local zip file."""
    inner = name[len("/vsizip/"):]
    found = (re.match(r"\{(.+?)\}/(.+)$", inner) or
             re.match(r"(.+?\.zip)/(.+)$", inner, re.IGNORECASE))
    if found is None or found.group(1).startswith("/vsi") or "://" in found.group(1):
        return None
    return found.group(1), found.group(2).strip("/")


def _local_source(name: Path | str) -> tuple[str, str, str] | None:
    """Where GDAL reads ``name`` on this machine: ``("file", path, "")`` for a local file,
    ``("gzip", path, "")`` for a local gzip file under ``/vsigzip/``, ``("zip", archive,
    member)`` for a member of a local zip file under ``/vsizip/``; ``None`` for anything
    else (a remote file, a nested archive)."""
    text = str(name)
    if "://" in text:
        return None
    if text.startswith("/vsigzip/"):
        inner = text[len("/vsigzip/"):]
        return None if inner.startswith("/vsi") else ("gzip", inner, "")
    if text.startswith("/vsizip/"):
        found = _zip_member(text)
        return None if found is None else ("zip", *found)
    return None if text.startswith("/vsi") else ("file", text, "")


def _open_bytes(name: Path | str) -> Any:
    """``name`` opened for reading its bytes: a local file, or a member of a local zip or
    gzip file GDAL reads through ``/vsizip/`` or ``/vsigzip/`` (the text checks of a grid
    read it as GDAL does); ``None`` for anything else (a remote file, a nested archive) or
    what cannot be opened."""
    import gzip
    import zipfile

    source = _local_source(name)
    if source is None:
        return None
    kind, where, member = source
    try:
        if kind == "gzip":
            return gzip.open(where, "rb")
        if kind == "zip":
            with zipfile.ZipFile(where) as archive:
                return archive.open(member)  # keeps the file open
        return open(where, "rb")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile,
            RuntimeError, NotImplementedError):  # encrypted, or of bzip2 (zip_unreadable)
        return None


_XYZ_AXES = (("x", ("lon", "east")), ("y", ("lat", "north")), ("z", ("alt",)))
"""GDAL's XYZ driver's header names of each column (its documentation): the name, or
names starting with these; ``height`` is a ``z`` too."""


_PAGES_OPENED = 64
"""Pages of a multi-page TIFF whose headers are opened to tell a layer from a preview."""


def _refuse_pages(src: Any, path: Path | str) -> None:
    """Refuse a multi-page TIFF with another page of the first page's size (an ImageJ or
    instrument stack, a layer per page): GDAL reads the first page alone and lists the
    others as subdatasets (``GTIFF_DIR:2:file``), so every other layer was left out
    without a word. Pages of other sizes (a preview, a thumbnail) are not layers."""
    pages = [s for s in (src.subdatasets or []) if s.upper().startswith("GTIFF_DIR:")] \
        if src.driver == "GTiff" else []
    if len(pages) < 2:
        return
    alike = []
    for page in pages[1:_PAGES_OPENED]:
        try:
            with rasterio.open(page) as other:
                if (other.width, other.height) == (src.width, src.height):
                    alike.append(page.split(":")[1])
        except (RasterioIOError, rasterio.errors.RasterioError):
            continue
    if not alike:
        return
    name = Path(str(path)).name
    raise DataError(
        f"{path}: a TIFF of {len(pages)} pages, {len(alike) + 1} of them grids of "
        f"{src.width} x {src.height} cells (pages 1, {', '.join(alike[:8])}"
        f"{', ...' if len(alike) > 8 else ''}), and GDAL reads the first page alone: the "
        "others would be left out; write each page to a file of its own (gdal_translate "
        f"GTIFF_DIR:2:{name} page2.tif, and so on) and give each as a source, or stack them "
        f"as bands (gdalbuildvrt -separate stack.vrt page1.tif page2.tif ...) with "
        "'band_names:'")


def _refuse_xyz_columns(src: Any, path: Path | str) -> None:
    """Refuse a text table of more than three columns that GDAL's XYZ driver reads as a
    grid because its points lie on one: GDAL reads one value column (``z``, ``alt`` or
    ``height`` by name, else the third) and drops the others without a word, so ``x y li
    cu`` became a layer of lithium named as the config's ``heat``, and ``easting northing
    depth heat`` a layer of depths. A grid of three columns is a raster and reads; a table
    of several value columns is points (or one grid per value column)."""
    opened = _open_bytes(path) if src.driver == "XYZ" else None
    if opened is None:
        return
    try:
        with opened as fh:
            raw = fh.read(8192)
    except OSError:
        return
    lines = [ln for ln in raw.removeprefix(b"\xef\xbb\xbf").decode("latin-1").splitlines()
             if ln.strip()][:2]
    if len(lines) < 2:
        return
    rows = [[c.strip('"') for c in re.split(r"[\s,;]+", ln.strip())] for ln in lines]
    header = None if all(_TABLE_NUMBER.fullmatch(c) for c in rows[0]) else rows[0]
    width = len(rows[1] if header else rows[0])
    if width <= 3:
        return
    names = header if header and len(header) == width else \
        [f"column {i + 1}" for i in range(width)]
    found = {}
    for axis, starts in _XYZ_AXES:
        found[axis] = next((i for i, n in enumerate(names) if n.lower() == axis or
                            n.lower().startswith(starts) or
                            (axis == "z" and n.lower() == "height")), None)
    fx, fy, fz = found["x"], found["y"], found["z"]
    x, y, z = (fx, fy, fz) if fx is not None and fy is not None and fz is not None \
        else (0, 1, 2)
    values = [n for i, n in enumerate(names) if i not in (x, y)]

    def label(i: int) -> str:
        return repr(names[i]) if header else str(i + 1)

    dropped = [label(i) for i in range(width) if i not in (x, y, z)]
    if header:
        points = (f"x: {names[x]}, y: {names[y]}, its crs, columns: [{', '.join(values)}] "
                  "and interpolate: [idw]")
    else:
        points = ("x, y, crs, columns and interpolate: [idw], after adding a header line "
                  "that names the columns")
    raise DataError(
        f"{path}: a table of {width} columns ({', '.join(names)}) whose points lie on a "
        f"grid, which GDAL's XYZ driver reads as a raster of column {label(z)} alone, "
        f"dropping {'column' if len(dropped) == 1 else 'columns'} {', '.join(dropped)}; "
        f"give it as a points source ('kind: points', with {points}) to make a layer of "
        "each value column, or write one file of x, y and one value column per layer "
        f"(e.g. cut -d' ' -f{x + 1},{y + 1},{z + 1}) to read it as a grid")


def _refuse_xyz_value_words(src: Any, path: Path | str) -> None:
    """Refuse an XYZ grid with a value that is no number: GDAL reads ``NA``, ``-`` or a
    typed ``x`` as 0, ingested as a value, exit 0 (and skips a ``*``, whose cells were
    then told as "without a point"). ``NaN`` reads as no data and is not refused."""
    found = _xyz_word(path, allowed=("nan",)) if src.driver == "XYZ" else None
    if found is None:
        return
    line_no, word = found
    raise DataError(
        f"{path}: line {line_no} holds {word!r} as its value, which is no number, and "
        "GDAL reads it as 0 (or leaves its cell out), which would be ingested as a value; "
        "write a number for the cells without a value (e.g. sed "
        f"'s/{re.escape(word).replace('/', chr(92) + '/')}$/-9999/') and state it with "
        "'nodata: -9999' in the source config")


def _refuse_xyz_gaps(src: Any, path: Path | str) -> None:
    """Refuse an XYZ grid that lists fewer points than its cells: GDAL reads a cell
    without a point as 0 (it states no nodata), and an export that leaves out its empty
    cells (most do) had its gaps ingested as 0 values, exit 0."""
    opened = _open_bytes(path) if src.driver == "XYZ" else None
    if opened is None:
        return
    points = 0
    try:
        with opened as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                tail = b"" if block.endswith(b"\n") else fh.readline()
                points += len(_XYZ_POINT.findall(block + tail))
    except OSError:
        return
    cells = src.width * src.height
    if 0 < points < cells:
        raise DataError(
            f"{path}: an XYZ grid of {src.width} x {src.height} cells lists {points} "
            f"points, and GDAL reads the {cells - points} cell(s) without one as 0, which "
            "would be ingested as values; list every cell, with a nodata value (e.g. "
            "-9999, and 'nodata: -9999' in the source config) where none was measured, or "
            "read the points as a 'kind: points' source")


_ASCII_NUMBER = (rb"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?|"
                 rb"[-+]?(?:nan|inf(?:inity)?|1\.#(?:ind|qnan|inf)\d*)")
_ASCII_WORD = re.compile(rb"(?:(?<=\s)|^)(?!(?:" + _ASCII_NUMBER + rb")(?:\s|$))\S+",
                         re.IGNORECASE)
"""A cell of an ESRI ASCII grid that is no number GDAL reads as one (``NA``, ``n/a``,
``x``, ``*``); GDAL reads it as 0."""
_ASCII_HEADER = re.compile(rb"\s*(ncols|nrows|xllcorner|xllcenter|yllcorner|yllcenter|"
                           rb"cellsize|dx|dy|nodata_value)\b", re.IGNORECASE)
_ASCII_LONG = re.compile(rb"(?:(?<=\s)|^)[-+]?\d{10,}(?=\s|$)")
"""A whole number of 10 or more digits in an ESRI ASCII grid: beyond Int32 from
2 147 483 648, which GDAL reads an ASCII grid of whole numbers as."""


def _refuse_ascii_int32(src: Any, path: Path | str, line_no: int, line: bytes) -> None:
    """Refuse an ESRI ASCII grid of whole numbers GDAL reads as Int32 (it has no decimal
    point) with a cell beyond Int32: GDAL wrapped 4 791 000 000 to 496 032 704, ingested
    as that, exit 0, without a word."""
    if src.dtypes[0] != "int32":
        return
    info = np.iinfo(np.int32)
    for found in _ASCII_LONG.finditer(line):
        value = int(found.group(0))
        if info.min <= value <= info.max:
            continue
        name = Path(str(path)).name
        raise DataError(
            f"{path}: line {line_no} holds {value}, beyond the 32-bit integers GDAL reads "
            f"an ASCII grid of whole numbers as ({info.min}..{info.max}); GDAL would read "
            f"it as {int(np.int64(value).astype(np.int32))}, a wrong number ingested as a "
            f"value; convert it with the values as floating point (gdal_translate "
            f"--config AAIGRID_DATATYPE Float64 {name} {Path(name).stem}.tif) and ingest "
            "that")


ASCII_DEFAULT_NODATA = -9999.0
"""An ESRI ASCII grid's nodata where its header has no ``NODATA_value`` line (ESRI's
format: the line is optional, its default -9999)."""


def _refuse_ascii_words(src: Any, path: Path | str) -> bool:
    """Refuse an ESRI ASCII grid with a cell that is no number, or a row of another
    length than ``ncols``: GDAL reads ``NA`` (what R writes for a missing value), ``n/a``,
    ``*`` or a typed ``x`` as 0, which was ingested as a value, exit 0; and it reads the
    cells as one stream, so a row short of one value (or long by one) moved every later
    cell one place, exit 0. Rows wrapped over several lines of whole rows' worth are
    read as they are meant. Reads the text once (GDAL reads it all anyway).

    Returns
    -------
    bool
        ``False`` for an ESRI ASCII grid read whose header has no ``NODATA_value`` line
        (its nodata is the format's default, :data:`ASCII_DEFAULT_NODATA`, which GDAL
        does not apply); ``True`` otherwise.
    """
    opened = _open_bytes(path) if src.driver == "AAIGrid" else None
    if opened is None:
        return True
    line_no, row, partial, start = 0, 0, 0, 0
    ncols = src.width
    stated = False
    try:
        with opened as fh:
            for line in fh:
                line_no += 1
                if line_no <= 8 and _ASCII_HEADER.match(line):
                    stated = stated or line.strip().lower().startswith(b"nodata")
                    continue
                found = _ASCII_WORD.search(line)
                if found:
                    word = found.group(0).decode(errors="replace")[:20]
                    raise DataError(
                        f"{path}: line {line_no} holds {word!r}, which is no number, and "
                        "GDAL reads it as 0, which would be ingested as a value; write the "
                        "grid's NODATA_value there (e.g. sed 's/\\bNA\\b/-9999/g', with "
                        "NODATA_value -9999 in its header), or fix the cell")
                count = len(line.split())
                if not count:
                    continue
                _refuse_ascii_int32(src, path, line_no, line)
                start = start if partial else line_no
                if partial + count <= ncols:
                    partial = (partial + count) % ncols
                    row += partial == 0
                elif partial == 0 and count % ncols == 0:
                    row += count // ncols
                elif partial:  # the row begun at line ``start`` ends short
                    _refuse_ascii_row(path, start, line_no - 1, partial, ncols)
                else:
                    _refuse_ascii_row(path, line_no, line_no, count, ncols)
            if partial:
                _refuse_ascii_row(path, start, line_no, partial, ncols)
    except OSError:
        return True
    if row != src.height:
        raise DataError(
            f"{path}: the grid holds {row} rows of {ncols} values where its header says "
            f"nrows {src.height}, and GDAL would read the cells out of place or as 0; fix "
            "nrows in its header, or export the grid again")
    return stated


def _refuse_ascii_row(path: Path | str, start: int, end: int, count: int,
                      ncols: int) -> None:
    """Refuse an ESRI ASCII grid row of ``count`` values (lines ``start``..``end``) where
    the header says ``ncols``: GDAL would move every later cell."""
    lines = f"line {start} holds" if start == end else f"lines {start}-{end} hold"
    raise DataError(
        f"{path}: {lines} a row of {count} values where its header says ncols "
        f"{ncols}, and GDAL reads the cells as one stream, so every later cell would be "
        "read one or more places off; fix that row (a value left out or written twice), or "
        "export the grid again")


_RAW_DRIVERS = frozenset({"ENVI", "EHdr", "GenBin", "PAux", "ISCE", "ROI_PAC", "MFF",
                          "BT", "LAN", "NTv2", "ERS", "BIL", "ISIS2", "PDS", "VICAR", "GSC",
                          "FAST", "LCP", "Envisat", "NDF", "DOQ2", "SNODAS", "KRO",
                          "SAGA", "RST"})
"""Drivers of raw binary grids: a file of the grid's cells, uncompressed, after a header
(SAGA's ``.sdat`` beside its ``.sgrd``, Idrisi's ``.rst`` beside its ``.rdc``: a header
edited between two runs was no input of the layer, and a ``.sdat`` cut short planned)."""

_END_MARKS = {"PNG": (b"IEND\xaeB`\x82", "IEND chunk")}
"""How a complete file of these formats ends (a PNG: its IEND chunk)."""


def _data_size(name: str) -> int | None:
    """Bytes GDAL reads under ``name``: a local file's size, or a member's of a local zip
    (its stated size) or gzip file (the size its trailer states, where the file is too
    small for that to have wrapped at 4 GiB); ``None`` for anything else."""
    import zipfile

    source = _local_source(name)
    if source is None:
        return None
    kind, where, member = source
    try:
        if kind == "gzip":
            packed = os.stat(where).st_size
            if packed < 18 or packed * 1032 >= 1 << 32:  # deflate packs 1032:1 at most
                return None
            with open(where, "rb") as fh:
                fh.seek(-4, os.SEEK_END)
                return int.from_bytes(fh.read(4), "little")
        if kind == "zip":
            with zipfile.ZipFile(where) as archive:
                return archive.getinfo(member).file_size
        return os.stat(where).st_size
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


_END_SCAN = 65_536
"""Blocks of a GeoTIFF past which :func:`_blocks_end` looks at a sample (with the first
and last of each band, which a writer puts last in the file)."""


def _blocks_end(src: Any) -> tuple[int, str, int, Window] | None:
    """The byte at which the furthest block of the open GeoTIFF ``src`` ends (offset plus
    size, from the ``BLOCK_OFFSET_x_y``/``BLOCK_SIZE_x_y`` GDAL reports; no pixel is
    read), which block it is (in words, its band and its window); ``None`` where GDAL
    does not say."""
    pixel = str(src.tags(ns="IMAGE_STRUCTURE").get("INTERLEAVE", "")).upper() == "PIXEL"
    bands = [1] if pixel else list(range(1, src.count + 1))
    worst: tuple[int, str, int, Window] | None = None
    try:
        for band in bands:
            rows, cols = src.block_shapes[band - 1]
            if rows == 1 and src.height > 1 and src.get_tag_item(
                    "BLOCK_OFFSET_0_1", "TIFF", bidx=band) is None:
                rows = src.height  # one strip, which GDAL reads line by line
            across, down = -(-src.width // cols), -(-src.height // rows)
            blocks = across * down
            step = max(1, blocks * len(bands) // _END_SCAN)
            for k in {*range(0, blocks, step), blocks - 1}:
                x, y = k % across, k // across
                offset = src.get_tag_item(f"BLOCK_OFFSET_{x}_{y}", "TIFF", bidx=band)
                count = src.get_tag_item(f"BLOCK_SIZE_{x}_{y}", "TIFF", bidx=band)
                if offset is None or count is None:
                    continue
                end = int(offset) + int(count)
                if worst is None or end > worst[0]:
                    worst = (end, f"block {x},{y} of band {band}", band,
                             Window(x * cols, y * rows, min(cols, src.width - x * cols),
                                    min(rows, src.height - y * rows)))
    except (rasterio.errors.RasterioError, ValueError):
        return None
    return worst


_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4,
                    12: 8, 16: 8, 17: 8, 18: 8}
"""Bytes of each TIFF field type (BYTE .. DOUBLE; BigTIFF's LONG8, SLONG8 and IFD8)."""

_TIFF_INDEX_TAGS = frozenset({273, 279, 324, 325})
"""StripOffsets, StripByteCounts, TileOffsets and TileByteCounts: a TIFF's index of blocks."""


_TIFF_SUBFILE_TAG = 254
"""NewSubfileType: bit 0 marks a reduced-resolution image (an overview), bit 2 a
transparency mask."""

_TIFF_DIRECTORIES = 64
"""TIFF directories (the image, its overviews and masks) walked by
:func:`_tiff_directories`; a file of more is refused as pages, not walked further."""

_TIFF_INDEX_READ = 1 << 22
"""Entries of a directory's index past which its blocks' end is not computed (a 4 GiB
file's mask of 256 x 256 tiles has about 70 000)."""


@dataclass(frozen=True)
class _TiffDirectory:
    """One directory of a TIFF, as :func:`_tiff_directories` reads it from its bytes."""

    number: int
    """1 for the first image; its overviews' and masks' directories follow."""
    subfile: int
    """Its NewSubfileType (0: an image; 1: an overview; 4: a mask; 5: an overview's mask;
    -1: not read, the directory lying past the file's end)."""
    end: int
    """The byte at which the directory itself ends (its entries and its next pointer)."""
    index_end: int | None
    """The byte at which its index of blocks ends; ``None`` where it lies inside it."""
    blocks_end: int | None
    """The byte at which its furthest block ends; ``None`` where not read (the first
    directory's: :func:`_blocks_end` asks GDAL), or its index is past the file's end."""
    sizes: np.ndarray | None = field(default=None, repr=False, compare=False)
    """Its blocks' byte counts (``TileByteCounts`` or ``StripByteCounts``), in the order
    of its index (each band's in turn where its planes are separate); ``None`` where its
    index was not read whole."""

    def named(self) -> str:
        """What the directory holds, in words: ``"mask"``, ``"overview"``..."""
        if self.subfile < 0:
            return "image" if self.number == 1 else "overview or mask"
        if self.subfile & 4:
            return "overview's mask" if self.subfile & 1 else "mask"
        if self.subfile & 1:
            return "overview"
        return "image" if self.number == 1 else f"image {self.number}"


def _tiff_directories(name: str, *, limit: int = _TIFF_DIRECTORIES, first_blocks: bool = True
                      ) -> list[_TiffDirectory]:
    """The directories of the TIFF ``name`` (the first image, then its overviews and
    masks, as their chain links them), up to ``limit`` and up to the first whose own
    bytes lie past the file's end (returned with ``end`` past it); ``[]`` where the file
    is no TIFF or its bytes cannot be read here (a remote file). Only bytes are read: the
    directories' entries and each index of blocks within the file (the first's only with
    ``first_blocks``)."""
    import struct

    opened = _open_bytes(name)
    if opened is None:
        return []
    found: list[_TiffDirectory] = []
    try:
        with opened as fh:
            head = fh.read(16)
            if len(head) < 8 or head[:2] not in (b"II", b"MM"):
                return []
            order = "<" if head[:2] == b"II" else ">"
            magic = struct.unpack(order + "H", head[2:4])[0]
            if magic == 42:
                ifd, count_fmt, entry_fmt, inline = struct.unpack(order + "I", head[4:8])[0], \
                    "H", "HHI", 4
            elif magic == 43 and len(head) >= 16:
                ifd, count_fmt, entry_fmt, inline = struct.unpack(order + "Q", head[8:16])[0], \
                    "Q", "HHQ", 8
            else:
                return []
            pointer = "I" if inline == 4 else "Q"
            size = struct.calcsize(order + entry_fmt) + inline
            head_size = struct.calcsize(order + count_fmt)
            seen: set[int] = set()
            while ifd and ifd not in seen and len(found) < limit:
                seen.add(ifd)
                fh.seek(ifd)
                raw = fh.read(head_size)
                if len(raw) < head_size:
                    if found:  # a later directory past the end: the chain points there
                        found.append(_TiffDirectory(len(found) + 1, -1, ifd + head_size,
                                                    None, None))
                    break
                entries = min(struct.unpack(order + count_fmt, raw)[0], 4096)
                table = fh.read(entries * size + inline)
                dir_end = ifd + head_size + entries * size + inline
                subfile, index_end = -1, None  # -1 until its NewSubfileType is read
                arrays: dict[int, tuple[int | bytes, int, int]] = {}
                for k in range(min(entries, len(table) // size)):
                    entry = table[k * size:(k + 1) * size]
                    tag, kind, count = struct.unpack(order + entry_fmt, entry[:size - inline])
                    if tag == _TIFF_SUBFILE_TAG and kind in (3, 4) and count == 1:
                        subfile = struct.unpack(order + ("H" if kind == 3 else "I"),
                                                entry[size - inline:][:2 if kind == 3 else 4])[0]
                    need = count * _TIFF_TYPE_SIZES.get(kind, 0)
                    if tag in _TIFF_INDEX_TAGS and need <= inline:  # held in the entry
                        arrays[tag] = (entry[size - inline:][:need], kind, count)
                    if tag not in _TIFF_INDEX_TAGS or need <= inline:
                        continue
                    where = struct.unpack(order + pointer, entry[size - inline:])[0]
                    index_end = max(index_end or 0, where + need)
                    arrays[tag] = (where, kind, count)
                if subfile < 0 and len(table) == entries * size + inline:
                    subfile = 0  # whole, and no NewSubfileType: a full-resolution image
                if len(table) < entries * size + inline:  # the directory itself cut short
                    found.append(_TiffDirectory(len(found) + 1, subfile, dir_end, index_end,
                                                None))
                    break
                blocks_end, sizes = None, None
                if found or first_blocks:
                    read = _tiff_index(fh, order, arrays)
                    if read is not None:
                        held = (read[0] > 0) & (read[1] > 0)
                        blocks_end = int((read[0][held] + read[1][held]).max()) \
                            if held.any() else None
                        sizes = read[1]
                found.append(_TiffDirectory(len(found) + 1, subfile, dir_end, index_end,
                                            blocks_end, sizes))
                ifd = struct.unpack(order + pointer, table[-inline:])[0]
    except (OSError, EOFError, ValueError, struct.error):
        return found
    return found


def _tiff_index(fh: Any, order: str, arrays: dict[int, tuple[int | bytes, int, int]]
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """A directory's index of blocks: its blocks' offsets and byte counts, read from its
    ``TileOffsets``/``TileByteCounts`` (or ``StripOffsets``/``StripByteCounts``) at once
    (``arrays``: tag to place, field type and count: the place in the file of an index
    read out of line, or the bytes of one held in its directory entry); ``None`` where
    either is not read whole or holds over :data:`_TIFF_INDEX_READ`."""
    kinds = {3: "u2", 4: "u4", 16: "u8"}
    for offsets_tag, sizes_tag in ((324, 325), (273, 279)):
        if offsets_tag not in arrays or sizes_tag not in arrays:
            continue
        read = []
        for tag in (offsets_tag, sizes_tag):
            where, kind, count = arrays[tag]
            if kind not in kinds or count > _TIFF_INDEX_READ:
                return None
            dtype = np.dtype(order + kinds[kind])
            if isinstance(where, bytes):
                data = where
            else:
                fh.seek(where)
                data = fh.read(count * dtype.itemsize)
            if len(data) < count * dtype.itemsize:
                return None
            read.append(np.frombuffer(data, dtype).astype("u8"))
        offsets, sizes = read
        if offsets.shape != sizes.shape:
            return None
        return offsets, sizes
    return None


def _refuse_cut_directories(path: Path | str, data: str | None = None,
                            size: int | None = None, *, first_blocks: bool = True,
                            directories: list[_TiffDirectory] | None = None) -> None:
    """Refuse a TIFF one of whose later directories (an overview's or mask's, as GDAL
    links them after the image) or their index or blocks reach past the file's end: a
    file cut short there opened (its image whole), and failed where its mask was read
    (as "a damaged block", part way through an ingest) or, where the directory itself
    was lost, as "GDAL could not read its header whole" or "cannot read as a raster". The
    image's own index and blocks come first (:func:`_refuse_cut_short` has GDAL's words
    for them where the file opens, and ``first_blocks=False`` leaves them to it; here,
    where GDAL failed on a later directory, its bytes tell). ``directories``: the file's,
    where the caller read them already."""
    name = str(data if data is not None else path)
    if "://" in str(path):
        return
    size = size if size is not None else _data_size(name)
    if size is None:
        return
    if directories is None:
        directories = _tiff_directories(name, first_blocks=first_blocks)
    if directories and directories[0].index_end is not None and \
            directories[0].index_end > size:
        raise CorruptFileError(_cut_index_message(path, size, directories[0].index_end),
                               path=path)
    for directory in directories:  # the image's blocks first: the values themselves
        what = f"its {directory.named()} (TIFF directory {directory.number})"
        for part, verb, end in (("directory", "reaches", directory.end),
                                ("index of blocks", "reaches", directory.index_end),
                                ("blocks", "reach", directory.blocks_end)):
            if end is not None and end > size and (directory.number > 1 or
                                                   part != "directory"):
                # (a file cut inside its first directory stays "not a raster": GDAL
                # tells nothing of it, and it may be no TIFF at all)
                raise CorruptFileError(
                    f"{path}: the {part} of {what} {verb} byte {end}, past the end of the "
                    f"file ({size} bytes): the file was cut short (a download or copy that "
                    "stopped); download or copy it again", path=path)


_NC_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8}
"""Bytes of each netCDF classic ``nc_type`` (byte, char, short, int, float, double; CDF-5's
ubyte, ushort, uint, int64, uint64)."""


def _netcdf_classic_end(name: str) -> int | None:
    """The byte where a netCDF classic file's (CDF-1, -2 or -5) last value ends, from its
    header (each variable's ``begin`` and shape; record variables by the record count);
    ``None`` for another file, a header over 4 MiB or one that does not parse."""
    import struct

    opened = _open_bytes(name)
    if opened is None:
        return None
    try:
        with opened as fh:
            head = fh.read(4 << 20)
    except OSError:
        return None
    if head[:3] != b"CDF" or head[3:4] not in (b"\x01", b"\x02", b"\x05"):
        return None
    version = head[3]
    big = version == 5
    pos = 4

    def num(size: int | None = None) -> int:
        nonlocal pos
        width = size or (8 if big else 4)
        value = int.from_bytes(head[pos:pos + width], "big")
        if pos + width > len(head):
            raise ValueError("past the header read")
        pos += width
        return value

    def name_() -> None:
        nonlocal pos
        n = num()
        pos += (n + 3) // 4 * 4

    def attributes() -> None:
        nonlocal pos
        tag, count = num(4), num()
        if tag not in (0, 0x0C):
            raise ValueError("no attribute list")
        for _ in range(count):
            name_()
            kind, n = num(4), num()
            pos += (n * _NC_TYPE_SIZES[kind] + 3) // 4 * 4

    try:
        records = num(4 if version != 5 else 8)
        tag, count = num(4), num()
        if tag not in (0, 0x0A):
            return None
        dims = []
        for _ in range(count):
            name_()
            dims.append(num())
        attributes()
        tag, count = num(4), num()
        if tag not in (0, 0x0B):
            return None
        end, record_end, record_size, record_vars, record_one = 0, 0, 0, 0, 0
        for _ in range(count):
            name_()
            ids = [num() for _ in range(num())]
            attributes()
            kind, vsize = num(4), num()
            begin = num(8 if version in (2, 5) else 4)
            shape = [dims[i] for i in ids]
            raw = int(np.prod([d for d in shape if d], dtype=np.int64)) * _NC_TYPE_SIZES[kind]
            if shape and shape[0] == 0:  # a record variable: raw is one record's
                record_vars += 1
                record_size += vsize
                record_one = raw
                record_end = max(record_end, begin + raw)
            else:
                end = max(end, begin + raw)
    except (ValueError, KeyError, IndexError, struct.error):
        return None
    if records == (1 << (64 if big else 32)) - 1:  # streaming: the count is not known
        records = 0
    if record_vars == 1:
        record_size = record_one  # a single record variable's records are not padded
    if record_vars and records:
        end = max(end, record_end + (records - 1) * record_size)
    return end


def _refuse_netcdf_cut_short(path: Path | str, reason: str) -> None:
    """Say so when GDAL cannot open a netCDF classic file cut short within its header or
    before its values end, instead of "not recognized as being in a supported file
    format" (:func:`_netcdf_classic_end`)."""
    size = _data_size(str(path))
    head = _local_head(path, 4)
    if size is None or head is None or head[:3] != b"CDF" or \
            head[3:4] not in (b"\x01", b"\x02", b"\x05"):
        return
    end = _netcdf_classic_end(str(path))
    if end is not None and size >= end:
        return
    if end is None and size >= 4 << 20:  # a header too long to read, not one cut short
        return
    where = f"before byte {end}, where its values end" if end else "within its header"
    raise CorruptFileError(
        f"{path}: a netCDF file of {size} bytes cut short {where} (a download or copy "
        f"that stopped; GDAL: {reason}); download or copy it again", path=path)


_RAW_SIDECARS = (".ers", ".hdr", ".aux", ".aux.xml", ".prj", ".xml", ".lbl", ".stx",
                 ".clr", ".rrd", ".ovr", ".tfw", ".wld", ".msk", ".rep", ".sta", ".dbf",
                 ".sgrd", ".rdc", ".ref")
"""Names of the headers and sidecars GDAL lists beside a raw grid's cells (ER Mapper's
``.ers``, Vexcel MFF's and ENVI's ``.hdr``, PCI's ``.aux``, ISCE's ``.xml``, PDS's
``.lbl``...), which hold none of its cells."""


def _raw_data_files(files: list[str]) -> list[str]:
    """The files of a raw binary grid that hold its cells (GDAL lists ER Mapper's and
    Vexcel MFF's header first, then the cells' file; MFF keeps each band in a file of
    its own): every file GDAL lists but the headers and sidecars, else the first."""
    cells = [str(f) for f in files if not str(f).lower().endswith(_RAW_SIDECARS)]
    return cells or [str(files[0])]


def _raw_need(src: Any, dtypes: Any) -> int:
    """Bytes ``src``'s cells of bands of ``dtypes`` take."""
    return int(src.width * src.height * sum(np.dtype(d).itemsize for d in dtypes))


def _raw_shortest(src: Any) -> tuple[str, int | None, int]:
    """The file of a raw binary grid's cells most short of what its bands take, its size
    and that need (``None`` size: a size not known); one file of each band (MFF) is
    measured against its band."""
    files = _raw_data_files(src.files)
    groups = [(f, (d,)) for f, d in zip(files, src.dtypes, strict=True)] if \
        len(files) == src.count > 1 else [(files[0], tuple(src.dtypes))]
    worst: tuple[str, int | None, int] = (files[0], None, 0)
    for name, dtypes in groups:
        size, need = _data_size(name), _raw_need(src, dtypes)
        if size is None:
            return name, None, need
        if worst[1] is None or size - need < worst[1] - worst[2]:
            worst = (name, size, need)
    return worst


def _refuse_cut_short(src: Any, path: Path | str) -> list[_TiffDirectory]:
    """Refuse a file cut short (a download or copy that stopped): a raw binary grid
    (ENVI, ``.hdr`` BIL/BSQ/BIP...) shorter than its cells, or a PNG without its end
    chunk, read its missing rows as 0 without a word, exit 0; a GeoTIFF whose blocks lie
    past its end opened, and failed only where a chunk task or the fill check's sample
    read a lost block (its last block may lie early in the file). A file GDAL reads from
    a local zip or gzip archive is checked as one outside it. Returns a local GeoTIFF's
    directories as read (for :func:`_refuse_sparse`), else ``[]``."""
    if "://" in str(path) or not src.files or not (
            src.driver in ("GTiff", "netCDF") or src.driver in _RAW_DRIVERS or
            src.driver in _END_MARKS):
        return []
    data = str(src.files[0])
    if data.lower().endswith(".sg-grd-z"):  # SAGA's zip of its grid: its size is packed
        return []
    size, raw_need = _data_size(data), 0
    if src.driver in _RAW_DRIVERS:  # its cells' files: not a header GDAL lists first
        data, size, raw_need = _raw_shortest(src)
    if size is None:
        return []
    why = ""
    # the TIFF's directories read once: GDAL (libtiff) reads a large file's index only
    # when a block is first asked for, so a file cut short inside its index opened, and
    # failed later on a block's place; its index is checked before a scan of those places
    directories = _tiff_directories(data) if src.driver == "GTiff" else []
    index_end = directories[0].index_end if directories else None
    if index_end is not None and index_end > size:
        raise CorruptFileError(_cut_index_message(path, size, index_end), path=path)
    if src.driver == "GTiff":
        # the image's blocks' end from its index's bytes (one read); GDAL's words for the
        # furthest block (:func:`_blocks_end`, two tag look-ups per block: 6 s of a 4096 x
        # 4096 file's planning in 16 x 16 tiles, every time it was planned) only where
        # that end is past the file's or the index was not read
        first = directories[0].blocks_end if directories else None
        end = _blocks_end(src) if first is None or first > size else None
        if end is not None and end[0] > size:
            try:  # GDAL's own words for the lost block (one block read)
                src.read(end[2], window=end[3])
                said = ""
            except (RasterioIOError, rasterio.errors.RasterioError) as exc:
                said = f"; GDAL: {gdal_reason(exc)}"
            why = (f"is {size} bytes, but its blocks reach byte {end[0]} ({end[1]}{said}), "
                   "so a read of its last blocks would fail part way through")
        else:
            _refuse_cut_directories(path, data, size, directories=directories)
    elif src.driver == "netCDF":
        need = _netcdf_classic_end(data)
        if need is not None and size < need:
            why = (f"is {size} bytes, but its header places its variables' values up to "
                   f"byte {need}")
    elif src.driver in _RAW_DRIVERS:
        if size < raw_need:
            bands = src.count if raw_need == _raw_need(src, src.dtypes) else 1
            why = (f"is {size} bytes, fewer than the {raw_need} its {src.width} x "
                   f"{src.height} cells of {bands} band(s) take")
    elif src.driver in _END_MARKS:
        mark, label = _END_MARKS[src.driver]
        opened = _open_bytes(data)
        if opened is None:
            return directories
        try:
            with opened as fh:
                fh.seek(max(0, size - 64))
                tail = fh.read()
        except OSError:
            return directories
        if mark not in tail:
            why = f"does not end as a {src.driver} file ends (no {label} at its end)"
    if why:
        zeros = "" if src.driver in ("GTiff", "netCDF") else \
            ", and GDAL reads the missing cells as 0"
        raise CorruptFileError(
            f"{path}: its data file {Path(data).name} {why}: the file was cut short (a "
            f"download or copy that stopped){zeros}; download or copy it again", path=path)
    return directories


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)",
                     re.IGNORECASE)
"""A number as a header states one (``-9999``, ``1.0e+001``, ``nan``)."""

_ENVI_NUMBERS: dict[str, tuple[int, ...] | None] = {
    "samples": None, "lines": None, "bands": None, "header offset": None,
    "data type": None, "byte order": None, "data ignore value": None,
    "data gain values": None, "data offset values": None, "x start": None,
    "y start": None, "pixel size": (0, 1), "map info": (1, 2, 3, 4, 5, 6),
}
"""ENVI header keys GDAL reads as numbers (with C's ``atof``/``atoi``, so a word is 0),
and which of a list's items are numbers (``None``: every item)."""

_EHDR_NUMBERS = frozenset({"nrows", "ncols", "nbands", "nbits", "bandrowbytes",
                           "totalrowbytes", "bandgapbytes", "skipbytes", "ulxmap", "ulymap",
                           "xdim", "ydim", "nodata", "nodata_value"})
"""ESRI ``.hdr`` (EHdr) keys GDAL reads as numbers."""

_EHDR_WORDS = {"byteorder": ("I", "M", "LSBFIRST", "MSBFIRST"),
               "layout": ("BIL", "BIP", "BSQ"),
               "pixeltype": ("SIGNEDINT", "UNSIGNEDINT", "FLOAT")}
"""ESRI ``.hdr`` keys GDAL reads as one of a few words (another is taken as a default)."""


_GDAL_NODATA_TAG = 42113
"""The TIFF tag GDAL keeps a GeoTIFF's nodata in, as text."""

_LEADING_NUMBER = re.compile(r"\s*[-+]?(?:\d|[.,]\d|nan|inf)", re.IGNORECASE)
"""The start of a text C's ``atof`` (GDAL's ``CPLAtofM``) reads a number from; any other
text it reads as 0."""

_WHOLE_NUMBER = re.compile(
    r"\s*[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|nan|inf(?:inity)?|1\.#(?:qnan|snan|ind|inf)"
    r"|nan\(\w*\))\s*", re.IGNORECASE)
"""A text GDAL's ``CPLAtofM`` reads whole as one number (Windows' ``1.#QNAN`` too)."""

_ATOF_PREFIX = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?", re.IGNORECASE)
"""The part of a text that ``atof`` reads where it stops short of the end."""


def _refuse_nodata_words(src: Any, path: Path | str) -> None:
    """Refuse a file whose nodata GDAL reads from a text that is no number: a GeoTIFF's
    ``GDAL_NODATA`` tag, a VRT's ``NoDataValue`` (or a source's ``NODATA``; a nested
    VRT's as well) or an ``.aux.xml``'s ``NoDataValue`` stating ``None``, ``NA``,
    ``none`` or ``null`` (a Python writer's ``str(None)``, R's missing value, a hand
    edit). GDAL reads such a
    text with C's ``atof``, as 0: every cell of 0 (a concentration below detection, a
    heat flow of 0, class 0) was dropped as no data, exit 0, without a word. An ENVI or
    ``.hdr`` header's are refused by :func:`_refuse_header_words`."""
    import xml.etree.ElementTree as ET

    stated: list[tuple[str, str, str | None]] = []  # where, text, a nested VRT band's type
    if src.driver in ("GTiff", "COG"):
        text = _tiff_tag_text(path, _GDAL_NODATA_TAG)
        if text and text.strip():
            stated.append((f"its GDAL_NODATA tag (TIFF tag {_GDAL_NODATA_TAG})", text, None))
    if src.driver == "VRT" and str(path).lower().endswith(".vrt") and \
            not str(path).startswith("/vsi") and "://" not in str(path):
        # the VRT's own, then each nested VRT's, its bands' and its sources' (their
        # skipped cells are skipped through any number of VRTs, and an outer
        # ComplexSource's <UseMaskBand> drops the cells of a nested band's nodata):
        # ``inner.vrt's <NODATA> of band 1's source a.tif``
        nested = [Path(name) for name in _vrt_sources(Path(path))
                  if name.lower().endswith(".vrt")]
        trees: dict[Path, Any] = {}
        for vrt in (Path(path), *nested):
            with contextlib.suppress(ET.ParseError, OSError):
                trees[vrt] = ET.parse(str(vrt)).getroot()
        for vrt, whose in ((Path(path), "its"), *((n, f"{n.name}'s") for n in nested)):
            tree = trees.get(vrt)
            if tree is None:
                continue
            for band in tree.iter("VRTRasterBand"):
                for key in ("NoDataValue", "NODATA"):  # the band's, a ComplexSource's
                    for element in band.iter(key):
                        if element.text and element.text.strip():
                            own = None if whose == "its" or key == "NODATA" else \
                                _VRT_TYPES.get(band.get("dataType", ""), "float32")
                            if own is not None and _read_as_zero(element.text) and \
                                    _nested_nodata_unused_by_parents(trees, vrt):
                                continue  # the VRTs reading it copy its cells as values
                            stated.append((f"{whose} <{key}> of band {band.get('band', '1')}"
                                           + _source_named(band, element), element.text,
                                           own))
    aux = next((Path(f) for f in (src.files or [])[1:]
                if str(f).lower().endswith(".aux.xml") and not str(f).startswith("/vsi")),
               None)
    if aux is not None:
        try:
            root = ET.parse(aux).getroot()
        except (ET.ParseError, OSError):
            root = None
        for band in root.iter("PAMRasterBand") if root is not None else ():
            text = band.findtext("NoDataValue")
            if text is not None and text.strip():
                stated.append((f"{aux.name}'s NoDataValue of band {band.get('band', '1')}",
                               text, None))
                _refuse_stale_hex(path, aux, band)
    for where, text, nested_type in stated:
        if _WHOLE_NUMBER.fullmatch(text):
            _refuse_nodata_read_as_zero(src, path, where, text, nested_type=nested_type)
            continue
        if _LEADING_NUMBER.match(text):
            _refuse_nodata_read_in_part(path, where, text, aux)
            continue
        raise DataError(
            f"{path}: {where} states {text.strip()[:40]!r} where a number is meant, and "
            "GDAL reads a word as nodata 0: every cell of 0 would be dropped as no data; "
            "state the nodata the file was written with (gdal_translate -a_nodata <value>, "
            "or -a_nodata none where it has none)"
            + (f", or correct the NoDataValue in {aux.name}"
               if aux is not None and where.startswith(aux.name) else ""))


def _source_named(band: Any, element: Any) -> str:
    """``"'s source <file>"`` where ``element`` (a ``<NODATA>``) is a source's of the
    VRT band ``band``, naming that source's file as the VRT does; ``""`` otherwise."""
    for child in band:
        if child is not element and any(e is element for e in child.iter()):
            name = (child.findtext("SourceFilename") or "").strip()
            return f"'s source {name}" if name else ""
    return ""


def _read_as_zero(text: str) -> bool:
    """Whether GDAL reads the nodata ``text`` as 0 though it states no 0: a word
    (``None``, ``NA``: C's ``atof``) or NaN or an infinity with a space or line break
    after the word (``'nan '``)."""
    if not _LEADING_NUMBER.match(text):
        return True
    try:
        value = float(text.strip().lower().split("(")[0])
    except ValueError:
        return False
    return not math.isfinite(value) and text != text.rstrip()


def _sources_naming(outer: Any, path: Path | str, nested: Path | str) -> list[Any]:
    """The sources of the VRT at ``path`` (its XML ``outer``) that read the file
    ``nested``."""
    want = Path(nested).resolve()
    return [child for band in outer.iter("VRTRasterBand") for child in band
            if child.tag.endswith("Source") and child.find("SourceFilename") is not None
            and Path(_vrt_source_name(path, child.find("SourceFilename"))).resolve() == want]


def _nested_nodata_unused_by_parents(vrts: dict[Path, Any], nested: Path | str) -> bool:
    """Whether a nested VRT's own ``<NoDataValue>`` marks no cell that any VRT of
    ``vrts`` (each path with its XML: the VRT read and those nested in it) reading
    ``nested`` reads (:func:`_nested_nodata_unused`, one VRT naming it at least). A VRT
    two levels down is judged by the VRT that names it, not by the top one (which names
    it nowhere: such a VRT was refused whatever read it)."""
    said = [_nested_nodata_unused(root, vrt, nested) for vrt, root in vrts.items()
            if _sources_naming(root, vrt, nested)]
    return bool(said) and all(said)


def _nested_nodata_unused(outer: Any, path: Path | str, nested: Path | str) -> bool:
    """Whether a nested VRT's own ``<NoDataValue>`` marks no cell the outer VRT at
    ``path`` (its XML ``outer``) reads: every source of the outer VRT naming ``nested``
    (one at least) is a ``SimpleSource`` (GDAL copies its cells, reading no nodata nor
    mask of it) or a ``ComplexSource`` without ``<UseMaskBand>`` (so the nested band's
    mask is not read: GDAL 3.10 copies its cells, or skips those of the source's own
    ``<NODATA>`` where it states one), and every band of the
    nested VRT is covered whole by its sources (so GDAL fills no cell with that
    nodata). A nested ``<NoDataValue>None</NoDataValue>``, which GDAL reads as 0, is then
    no nodata of any cell: the source's cells of 0 are read as values through such an
    outer source, and were refused as if dropped."""
    import xml.etree.ElementTree as ET

    named = _sources_naming(outer, path, nested)
    if not named or any(child.tag != "SimpleSource" and (
            (child.tag != "ComplexSource" and (child.findtext("NODATA") or "").strip() == "")
            or (child.findtext("UseMaskBand") or "").strip().lower() == "true")
            for child in named):
        return False
    try:
        root = ET.parse(str(nested)).getroot()
        width, height = int(root.get("rasterXSize", "0")), int(root.get("rasterYSize", "0"))
    except (ET.ParseError, OSError, ValueError):
        return False
    for band in root.iter("VRTRasterBand"):
        if band.get("subClass") or band.find("MaskBand") is not None:
            return False
        rects: list[tuple[float, float, float, float]] = []
        for child in (c for c in band if c.tag.endswith("Source")):
            dst = child.find("DstRect")
            try:
                x, y, w, h = ((0.0, 0.0, float(width), float(height)) if dst is None
                              else (float(dst.get(k, "0")) for k in
                                    ("xOff", "yOff", "xSize", "ySize")))
                rects.append((x, y, w, h))
            except ValueError:
                return False
        if _uncovered(rects, width, height) != 0:
            return False
    return True


def _misread_nested_nodata(path: Path | str, file: str, band: int) -> bool:
    """Whether ``file``, a source of the local VRT at ``path``, is a local VRT whose band
    ``band`` states its ``<NoDataValue>`` in a text GDAL reads as 0 though it states no
    0 (:func:`_read_as_zero`)."""
    import xml.etree.ElementTree as ET

    if not file.lower().endswith(".vrt") or file.startswith("/vsi") or "://" in file or \
            str(path).startswith("/vsi") or "://" in str(path):
        return False
    try:
        root = ET.parse(file).getroot()
    except (ET.ParseError, OSError):
        return False
    for element in root.iter("VRTRasterBand"):
        if element.get("band", "1") == str(band):
            text = element.findtext("NoDataValue")
            return text is not None and bool(text.strip()) and _read_as_zero(text)
    return False


def _refuse_stale_hex(path: Path | str, aux: Path, band: Any) -> None:
    """Refuse an ``.aux.xml`` ``<NoDataValue>`` whose ``le_hex_equiv`` attribute (the
    value's bytes, which GDAL writes beside the text and reads instead of it) is another
    number than the text: a nodata corrected by hand in the text (``-32768``) kept GDAL's
    old one (``-9999``), and the cells of the value meant were ingested as values, exit
    0, without a word.

    Parameters
    ----------
    path
        The raster.
    aux
        Its ``.aux.xml``.
    band
        The ``PAMRasterBand`` element.

    Raises
    ------
    DataError
        Naming the file, the band, both values and the fix.
    """
    import struct

    element = band.find("NoDataValue")
    hexed = element.get("le_hex_equiv") if element is not None else None
    text = (element.text or "").strip() if element is not None else ""
    if not hexed or not _WHOLE_NUMBER.fullmatch(text):
        return
    try:
        held = struct.unpack("<d", bytes.fromhex(hexed.strip()))[0]
        said = float(text.split("(")[0]) if "#" not in text else math.nan
    except (ValueError, struct.error):
        return
    if held == said or (math.isnan(held) and math.isnan(said)) or \
            math.isclose(held, said, rel_tol=1e-9):  # the text GDAL writes, to its digits
        return
    raise DataError(
        f"{path}: {aux.name}'s NoDataValue of band {band.get('band', '1')} states {text}, "
        f"but its le_hex_equiv attribute ({hexed.strip()}) is {held:g}, which GDAL reads "
        f"instead: nodata would be {held:g} and the cells of {text} kept as data (a value "
        "corrected by hand in the text alone); remove the le_hex_equiv attribute from "
        f"{aux.name}, or correct it to the value meant")


_VRT_TYPES = {"Byte": "uint8", "Int8": "int8", "UInt16": "uint16", "Int16": "int16",
              "UInt32": "uint32", "Int32": "int32", "UInt64": "uint64", "Int64": "int64",
              "Float32": "float32", "Float64": "float64"}
"""A VRT band's ``dataType`` as numpy names it."""


def _refuse_nodata_read_as_zero(src: Any, path: Path | str, where: str, text: str, *,
                                nested_type: str | None = None) -> None:
    """Refuse a nodata stated as NaN or an infinity with a space or line break after the
    word (a GeoTIFF's ``GDAL_NODATA`` tag ``'nan '``; a VRT's or an ``.aux.xml``'s
    ``<NoDataValue>`` pretty-printed on a line of its own; a hand edit): GDAL reads the
    word alone (``nan``) as NaN, but such a text as nodata 0, so every cell of 0 (a count
    or concentration of 0, class 0) was dropped as no data, exit 0, without a word.

    Parameters
    ----------
    src
        The open dataset (its band types and the nodata GDAL reads).
    path, where, text
        The file, where its nodata is stated (:func:`_refuse_nodata_words`), and the text.
    nested_type
        The type of a nested VRT's band whose own ``<NoDataValue>`` ``text`` is (GDAL
        reads that VRT's nodata as 0 whatever the outer VRT states); ``None`` for the
        file's own nodata.

    Raises
    ------
    DataError
        Naming the file, where the nodata is stated, the text, what GDAL reads and the fix.
    """
    word = text.strip()
    try:
        value = float(word.lower().split("(")[0])
    except ValueError:  # Windows' ``1.#QNAN``: GDAL reads it whole
        return
    source = "<NODATA>" in where  # a ComplexSource's: of its file's cells
    if math.isfinite(value) or text == text.rstrip() or (
            not source and nested_type is None and 0.0 not in src.nodatavals):
        return
    dtype = "float64" if source else nested_type if nested_type is not None else \
        src.dtypes[list(src.nodatavals).index(0.0)]
    name = "nan" if math.isnan(value) else "inf" if value > 0 else "-inf"
    what = "NaN" if name == "nan" else "an infinity"
    if source:
        raise DataError(
            f"{path}: {where} states {text[:40]!r}, {what} with a space or line break "
            "after the word, which GDAL reads as the source's nodata 0: every cell of 0 "
            "in that source would be dropped as no data; write the word alone, with "
            f"nothing around it (<NODATA>{name}</NODATA>)")
    if np.dtype(dtype).kind != "f":
        fix = (f"its {dtype} band holds no {'NaN' if name == 'nan' else 'infinity'}: "
               "state the nodata the file was written with (gdal_translate -a_nodata "
               "<value>, or -a_nodata none where it has none)")
    elif where.startswith("its GDAL_NODATA tag"):
        fix = f"state it as the word alone (gdal_translate -a_nodata {name})"
    else:
        fix = f"write the word alone, with nothing around it (<NoDataValue>{name}</NoDataValue>)"
    raise DataError(
        f"{path}: {where} states {text[:40]!r}, {what} with a space or line break after "
        "the word, which GDAL reads as nodata 0: every cell of 0 would be dropped as no "
        f"data; {fix}")


def _refuse_nodata_read_in_part(path: Path | str, where: str, text: str,
                                 aux: Path | None, what: str = "nodata",
                                 fix: str | None = None) -> None:
    """Refuse a nodata (or ``what``: scale, offset) text of which GDAL's ``atof`` reads
    only a first part: ``-9999,5`` (a decimal comma: read -9999), ``0x10`` (hexadecimal:
    read 0), ``-9999 m``, ``1_000``. The cells of the value meant were kept as data and
    those of the part read (0: a concentration below detection) dropped as no data; an
    offset of ``100,5`` applied as 100, exit 0, without a word. ``fix``: how to state it
    where no GDAL command does (a VRT source's ``<ScaleRatio>``)."""
    found = _ATOF_PREFIX.match(text)
    read = found.group(0).strip() if found else "0"
    if found is None or not re.search(r"\d", read):
        read = "0"
    stated = text.strip()[:40]
    hint = (f"; write it with a decimal point ({stated.replace(',', '.')!r})"
            if re.fullmatch(r"[-+]?\d+,\d+", stated) else "")
    effect = (f"nodata would be {float(read):g} and the cells of {stated!r} kept as data"
              if what == "nodata" else f"the {what} applied would be {float(read):g}")
    fix = (fix if fix is not None else
           "state the nodata as one number (gdal_translate -a_nodata <value>)"
           if what == "nodata" else
           f"state the {what} as one number (gdal_edit.py -{what} <value>)")
    element = {"nodata": "NoDataValue", "scale": "Scale", "offset": "Offset"}[what]
    raise DataError(
        f"{path}: {where} states {stated!r}, of which GDAL reads only {read!r}: {effect}"
        f"{hint}; {fix}"
        + (f", or correct the {element} in {aux.name}"
           if aux is not None and where.startswith(aux.name) else ""))


def _refuse_coefficient_texts(src: Any, path: Path | str) -> None:
    """Refuse a scale or offset text GDAL reads only in part: an ``.aux.xml``'s, a VRT
    band's or a GeoTIFF's ``GDAL_METADATA`` tag's offset ``100,5`` (a decimal comma) was
    applied as 100, exit 0, without a word, and ``<Scale>0,5`` read as scale 0 was
    refused as a file that "states scale 0" (not as the comma it is). A VRT source's own
    ``<ScaleRatio>`` and ``<ScaleOffset>`` too: ``<ScaleRatio>0,1`` (a ComplexSource that
    unpacks a file's DN) made every cell 0, exit 0, without a word."""
    import xml.etree.ElementTree as ET

    files: list[tuple[Path, str, Path | None]] = []
    local = not str(path).startswith("/vsi") and "://" not in str(path)
    if src.driver == "VRT" and str(path).lower().endswith(".vrt") and local:
        files.append((Path(path), "VRTRasterBand", None))
    aux = next((Path(f) for f in (src.files or [])[1:]
                if str(f).lower().endswith(".aux.xml") and not str(f).startswith("/vsi")),
               None)
    if aux is not None:
        files.append((aux, "PAMRasterBand", aux))
    if src.driver in ("GTiff", "COG"):
        text = _tiff_tag_text(path, _GDAL_METADATA_TAG)
        try:
            root = ET.fromstring(text) if text and text.strip() else None
        except ET.ParseError:
            root = None
        for item in root.iter("Item") if root is not None else ():
            role = (item.get("role") or "").lower()
            if role in ("scale", "offset") and item.text and item.text.strip() and \
                    not _WHOLE_NUMBER.fullmatch(item.text):
                where = (f"its GDAL_METADATA tag (TIFF tag {_GDAL_METADATA_TAG})'s {role} "
                         f"of band {int(item.get('sample', '0')) + 1}")
                _refuse_nodata_read_in_part(path, where, item.text, None, role)
    for file, tag, named in files:
        try:
            root = ET.parse(file).getroot()
        except (ET.ParseError, OSError):
            continue
        for band in root.iter(tag):
            said: list[tuple[Any, str]] = [(band, "Scale"), (band, "Offset")]
            if named is None:  # a VRT source's own, read by GDAL's ``CPLAtof`` too
                said += [(source, key) for source in band
                         for key in ("ScaleRatio", "ScaleOffset")]
            for element, key in said:
                text = element.findtext(key)
                if text is None or not text.strip() or _WHOLE_NUMBER.fullmatch(text):
                    continue
                number = band.get("band", "1")
                if element is not band:
                    where = (f"its <{key}> of band {number}'s source "
                             f"{element.findtext('SourceFilename') or '(unnamed)'}")
                    role = "scale" if key == "ScaleRatio" else "offset"
                    _refuse_nodata_read_in_part(
                        path, where, text, None, role,
                        fix=f"state it as one number in {Path(path).name}'s <{key}>")
                    continue
                where = (f"{named.name}'s {key} of band {number}" if named is not None
                         else f"its <{key}> of band {number}")
                _refuse_nodata_read_in_part(path, where, text, named, key.lower())


def _header_lines(text: str, sep: str) -> Iterator[tuple[int, str, str]]:
    """``(line number, key, value)`` of a ``key = value`` (ENVI, ``{...}`` over several
    lines) or ``KEY value`` (``sep=" "``, ESRI ``.hdr``) header."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line, at = lines[i], i + 1
        i += 1
        if sep == "=":
            if "=" not in line:
                continue
            key, value = (part.strip() for part in line.split("=", 1))
            if value.startswith("{"):
                while "}" not in value and i < len(lines):
                    value += " " + lines[i].strip()
                    i += 1
                value = value.strip("{} ")
        else:
            parts = line.split(None, 1)
            if len(parts) < 2:
                continue
            key, value = parts[0], parts[1].strip()
        yield at, key.lower(), value


def _refuse_header_words(src: Any, path: Path | str) -> None:
    """Refuse a raw grid whose header states a word where GDAL reads a number: GDAL's C
    ``atof``/``atoi`` read ``data ignore value = abc`` as nodata 0, ``header offset =
    1o`` as 1 (every cell read one byte off) and ``byte order = big`` as 0 (little
    endian), without a word, exit 0. Checks ENVI headers and ESRI ``.hdr`` (EHdr)."""
    if src.driver not in ("ENVI", "EHdr"):
        return
    headers = [f for f in (src.files or []) if f.lower().endswith(".hdr")]
    for name in headers:
        opened = _open_bytes(name)
        if opened is None:
            continue
        try:
            with opened as fh:
                text = fh.read(1 << 20).decode(errors="replace")
        except OSError:
            continue
        header = Path(name)
        envi = src.driver == "ENVI"
        offset = 0
        for at, key, value in _header_lines(text, "=" if envi else " "):
            items = [v.strip() for v in value.split(",")] if envi else [value.split()[0]]
            if envi and key == "header offset" and items[0].isdigit():
                offset = int(items[0])
            if envi and key in _ENVI_NUMBERS:
                picks = _ENVI_NUMBERS[key]
                checked = [(n, items[n]) for n in (picks or range(len(items)))
                           if n < len(items)]
                bad = next(((n, v) for n, v in checked if not _NUMBER.fullmatch(v)), None)
                if key == "byte order" and bad is None and items[0] not in ("0", "1"):
                    bad = (0, items[0])
                want = "0 (little endian) or 1 (big endian)" if key == "byte order" \
                    else "a number"
            elif not envi and key in _EHDR_NUMBERS:
                bad = None if _NUMBER.fullmatch(items[0]) else (0, items[0])
                want = "a number"
            elif not envi and key in _EHDR_WORDS:
                words = _EHDR_WORDS[key]
                bad = None if items[0].upper() in words else (0, items[0])
                want = " or ".join(words)
            else:
                continue
            if bad is None:
                continue
            item = f" (item {bad[0] + 1})" if envi and len(items) > 1 else ""
            raise DataError(
                f"{path}: its header {header.name}, line {at}: {key} = {value[:60]!r}"
                f"{item} holds {bad[1][:20]!r} where {want} is meant, and GDAL reads "
                f"{'a word as 0' if envi or want == 'a number' else 'it as its default'} "
                "without a word (a nodata of 0, or a data offset, type or byte order "
                "that reads every cell wrong); write the value the data was stored with "
                "there")
        if envi:
            _refuse_longer_than_header(src, path, header.name, offset)
        else:
            keys = {key: value for _, key, value in _header_lines(text, " ")}
            _refuse_unsized_header(src, path, header.name, keys)
            nbits = (keys.get("nbits", "").split() or ["8"])[0]
            skip = (keys.get("skipbytes", "").split() or ["0"])[0]
            if not {"bandrowbytes", "totalrowbytes", "bandgapbytes"} & keys.keys() and \
                    skip.isdigit() and not (nbits.isdigit() and int(nbits) < 8):
                # rows padded, or cells of fewer bits than a byte: sizes not worked out
                _refuse_longer_than_header(src, path, header.name, int(skip), esri=True)


def _refuse_unsized_header(src: Any, path: Path | str, header: str,
                           keys: dict[str, str]) -> None:
    """Refuse an ESRI ``.hdr`` (EHdr: a ``.flt``, ``.bil``) that states no cell size GDAL
    reads (neither ``cellsize`` nor ``XDIM``/``YDIM``: an ASCII grid's ``dx`` and ``dy``,
    which that driver does not read, or none), where GDAL took no other (its cells are 1
    x 1): GDAL takes cells of 1 x 1 without a word, so a 40 x 40 grid of 10 m cells was
    read as 40 m wide at its corner and the rest of the region as no data, exit 0."""
    if {"cellsize", "xdim", "ydim"} & keys.keys() or \
            (abs(src.transform.a), abs(src.transform.e)) != (1.0, 1.0):
        return
    stated = [(key, keys[key].split()[0]) for key in ("dx", "dy") if keys.get(key, "").split()]
    said = (" but " + " and ".join(f"{key} {value}" for key, value in stated) +
            ", which GDAL's EHdr driver does not read (an ASCII grid's keys)") if stated else ""
    sizes = dict(stated)
    fix = (f"'XDIM {sizes.get('dx', sizes.get('dy'))}' and "
           f"'YDIM {sizes.get('dy', sizes.get('dx'))}'" if stated else
           "'cellsize <size>' for square cells, or 'XDIM <width>' and 'YDIM <height>'")
    raise DataError(
        f"{path}: its header {header} states no cell size ('cellsize', or 'XDIM' and "
        f"'YDIM'){said}, so GDAL takes cells of 1 x 1 and places the {src.width} x "
        f"{src.height} grid over {src.width} x {src.height} units from its corner, "
        f"without a word; state the cell size in {header}: {fix}")


def _refuse_longer_than_header(src: Any, path: Path | str, header: str, offset: int, *,
                               esri: bool = False) -> None:
    """Refuse an ENVI data file longer than its header's ``samples`` x ``lines`` x
    ``bands`` of its ``data type`` after ``header offset`` take (an ESRI ``.hdr``'s
    ``ncols`` x ``nrows`` x ``nbands`` after ``skipbytes``, ``esri``): the header is not
    the file's (another grid's, or edited), and GDAL reads each row from the wrong place.
    A header of 39 samples on a 40-column file made every row one more cell off, exit 0.
    (A file shorter than its header is cut short: :func:`_refuse_cut_short`.)"""
    size = _data_size(str(src.files[0])) if src.files else None
    if size is None:
        return
    need = offset + src.width * src.height * sum(np.dtype(d).itemsize for d in src.dtypes)
    sizes, keys = (("ncols", "nrows", "band(s)", "skipbytes"),
                   "ncols, nrows, nbands, nbits, pixeltype, skipbytes") if esri else \
        (("samples", "lines", "band(s)", "header offset"),
         "samples, lines, bands, data type, header offset")
    if size > need:
        raise DataError(
            f"{path}: its data file is {size} bytes, more than the {need} its header "
            f"{header} describes ({src.width} {sizes[0]} x {src.height} {sizes[1]} x "
            f"{src.count} {sizes[2]} of {src.dtypes[0]}, after a {sizes[3]} of {offset}), "
            "so the header is not this file's (another grid's, or edited) and GDAL would "
            f"read every row from the wrong place; give the header the file was written "
            f"with ({keys})")


_SPARSE_SCAN = 1_000_000
"""Blocks of a GeoTIFF band past which :func:`_refuse_sparse` looks at a sample, where
GDAL is asked of each (the file's index was not read)."""


def _missing_blocks(src: Any, band: int, sizes: np.ndarray | None = None
                    ) -> tuple[int, int]:
    """``(unwritten, blocks)``: the blocks of 1-based ``band`` of a GeoTIFF that are not
    in the file (byte count 0, what GDAL's ``SPARSE_OK=TRUE`` leaves out, and what GDAL
    reports as no ``BLOCK_OFFSET_x_y``). ``sizes``: the image's blocks' byte counts as
    its index holds them (:attr:`_TiffDirectory.sizes`, read once), which answer it for
    every block at once; GDAL is asked of each block where they are not given or do not
    hold one count a block (one strip or one tile of the whole image, whose missing
    count libtiff may estimate)."""
    rows, cols = src.block_shapes[band - 1]
    across, down = -(-src.width // cols), -(-src.height // rows)
    blocks = across * down
    pixel = str(src.tags(ns="IMAGE_STRUCTURE").get("INTERLEAVE", "")).upper() == "PIXEL"
    if sizes is not None and blocks > 1:
        if sizes.size == blocks * src.count and not pixel:  # each band's in turn
            mine = sizes[(band - 1) * blocks:band * blocks]
            return int(np.count_nonzero(mine == 0)), blocks
        if sizes.size == blocks and (pixel or band == 1):
            return int(np.count_nonzero(sizes == 0)), blocks
    first = src.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=band)
    if rows == 1 and src.height > 1 and first is not None and \
            src.get_tag_item("BLOCK_OFFSET_0_1", "TIFF", bidx=band) is None:
        return 0, 1  # one strip, read by GDAL line by line (block_bytes)
    return _gdal_missing_blocks(src, band, across, blocks), blocks


def _gdal_missing_blocks(src: Any, band: int, across: int, blocks: int) -> int:
    """The blocks of 1-based ``band`` for which GDAL reports no ``BLOCK_OFFSET_x_y`` (one
    tag look-up a block, a sample of :data:`_SPARSE_SCAN` past it): what
    :func:`_missing_blocks` asks where the file's index was not read."""
    step = max(1, blocks // _SPARSE_SCAN)
    missing = sum(step for k in range(0, blocks, step) if src.get_tag_item(
        f"BLOCK_OFFSET_{k % across}_{k // across}", "TIFF", bidx=band) is None)
    return min(missing, blocks)


def _refuse_sparse(src: Any, path: Path | str, nodata: tuple[float | None, ...],
                   directories: list[_TiffDirectory] | None = None) -> None:
    """Refuse a sparse GeoTIFF (blocks left out of the file) whose band states no nodata:
    GDAL reads an unwritten block as 0, which was ingested as values, exit 0. A left-out
    block is either cells never written or, from GDAL's ``SPARSE_OK=TRUE``, cells that
    were all 0; the file does not say which. With a nodata GDAL reads them as no data.
    ``directories``: the file's, as :func:`_refuse_cut_short` read them (the image's
    index answers for every block at once)."""
    if src.driver != "GTiff":
        return
    sizes = directories[0].sizes if directories else None
    pixel = str(src.tags(ns="IMAGE_STRUCTURE").get("INTERLEAVE", "")).upper() == "PIXEL"
    for band in range(1, src.count + 1):
        if (band <= len(nodata) and nodata[band - 1] is not None) or \
                src.colorinterp[band - 1] == ColorInterp.alpha or \
                _MASKING & set(src.mask_flag_enums[band - 1]):
            continue  # an alpha or mask band says which cells are data
        try:
            missing, blocks = _missing_blocks(src, 1 if pixel else band, sizes)
        except (rasterio.errors.RasterioError, ValueError):
            return
        if missing:
            raise DataError(
                f"{path}: band {band}: {missing} of its {blocks} blocks are not in the file "
                "(a sparse GeoTIFF) and it states no nodata, so GDAL reads their cells as "
                "0, which would be ingested as values; if they are no data, state a nodata "
                "value (gdal_edit.py -a_nodata -9999 file.tif: GDAL then reads them as "
                "no data), or if they are zeros, write them (gdal_translate -co "
                "SPARSE_OK=FALSE file.tif dense.tif)")
        if pixel:  # every band of a pixel-interleaved file has band 1's blocks
            return


_VRT_COVER_EDGES = 16_000_000
"""Cells of the grid of a VRT band's source edges (unique left/right edges x unique
top/bottom edges) past which :func:`_refuse_vrt_unmarked` cannot work out their cover
cheaply, and refuses a band that states no ``NoDataValue`` instead."""


def _uncovered(rects: list[tuple[float, float, float, float]], width: int,
               height: int) -> int | None:
    """Cells of a ``width`` x ``height`` raster under none of ``rects`` (``x, y, w, h`` in
    cells), exactly, on the grid of the rectangles' own edges; ``None`` where that grid
    holds more than :data:`_VRT_COVER_EDGES` cells (a mosaic of many tiles on a regular
    layout has few distinct edges, one of as many tiles placed anywhere has many)."""
    xs = np.unique(np.clip([0, width, *(v for r in rects for v in (r[0], r[0] + r[2]))],
                           0, width))
    ys = np.unique(np.clip([0, height, *(v for r in rects for v in (r[1], r[1] + r[3]))],
                           0, height))
    if (len(xs) - 1) * (len(ys) - 1) > _VRT_COVER_EDGES:
        return None
    covered = np.zeros((len(ys) - 1, len(xs) - 1), dtype=bool)
    for x, y, w, h in rects:
        c0, c1 = np.searchsorted(xs, [max(x, 0), min(x + w, width)])
        r0, r1 = np.searchsorted(ys, [max(y, 0), min(y + h, height)])
        covered[r0:r1, c0:c1] = True
    area = np.outer(np.diff(ys), np.diff(xs))
    return round(float(area[~covered].sum()))


def _vrt_xml(src: Any, path: Path | str) -> Any:
    """The parsed XML of the open VRT ``src``: the local file's text, or what GDAL gives
    (``xml:VRT`` metadata) for one read through GDAL (``/vsizip/``, ``/vsigzip/``,
    ``/vsicurl/``); ``None`` where there is none or it does not parse."""
    import xml.etree.ElementTree as ET

    try:
        local = not str(path).startswith("/vsi") and "://" not in str(path)
        text = Path(path).read_text(errors="replace") if local else \
            (src.tags(ns="xml:VRT") or {}).get("xml:VRT")
        return ET.fromstring(text) if text else None
    except (OSError, ET.ParseError):
        return None


def _vrt_source_name(path: Path | str, element: Any) -> str:
    """The name GDAL opens for a VRT's ``SourceFilename`` ``element``: relative names
    (``relativeToVRT="1"``) beside the VRT, in GDAL's name space for a VRT read through
    ``/vsi...`` (a member of the same archive)."""
    import posixpath

    text = (element.text or "").strip()
    if element.get("relativeToVRT", "0") != "1" or text.startswith("/vsi") or \
            "://" in text or Path(text).is_absolute():
        return text
    if str(path).startswith("/vsi") or "://" in str(path):
        return posixpath.join(posixpath.dirname(str(path)), text)
    return str(Path(path).parent / text)


def _same_nodata(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _copied_as(source: Any, value: float, dtype: str) -> float | None:
    """The number GDAL writes into a VRT band of ``dtype`` for a source cell holding
    ``value`` that the VRT source ``source`` (its XML) does not skip: the value itself
    through a ``SimpleSource``; through a ``ComplexSource`` the value times its
    ``<ScaleRatio>`` plus its ``<ScaleOffset>``, then looked up in its ``<LUT>`` (linear
    between its points, its end values beyond them), as GDAL applies them, in the band's
    type (rounded and clamped to an integer type's range). ``None`` where that cannot be
    told from the text (an exponential scaling; a number GDAL reads in part, which
    :func:`_refuse_coefficient_texts` refuses)."""
    try:
        ratio = float((source.findtext("ScaleRatio") or "1").strip())
        offset = float((source.findtext("ScaleOffset") or "0").strip())
        table = [tuple(float(x) for x in pair.split(":"))
                 for pair in (source.findtext("LUT") or "").replace(" ", "").split(",")
                 if pair]
    except ValueError:
        return None
    if source.find("Exponent") is not None or any(len(pair) != 2 for pair in table):
        return None
    out = value * ratio + offset
    if table:
        points = sorted(table)
        out = float(np.interp(out, [p[0] for p in points], [p[1] for p in points]))
    if np.dtype(dtype).kind in "iu" and math.isfinite(out):
        info = np.iinfo(dtype)
        return float(min(max(round(out), info.min), info.max))
    return _held_as(out, dtype)


def _held_as(value: float, dtype: str) -> float:
    """``value`` as a band of ``dtype`` holds it (a float32 band's ``-9.999``)."""
    return float(np.float32(value)) if dtype == "float32" else value


def _rescaling(source: Any) -> str:
    """A VRT source's rescaling as its XML states it: ``<ScaleRatio>0.001``,
    ``<ScaleOffset>5``, ``<LUT>-9999:0,0:0``, joined by ``and``."""
    return " and ".join(f"<{tag}>{(source.findtext(tag) or '').strip()}"
                        for tag in ("ScaleRatio", "ScaleOffset", "LUT")
                        if source.find(tag) is not None)


def _refuse_vrt_rescaled(where: str, band: int, shown: str, source: Any,
                         own: tuple[float, float], stated: tuple[float, float]) -> None:
    """Refuse a VRT source that copies its file's numbers as they are (no ``ScaleRatio``
    or ``ScaleOffset`` of its own) from a file whose band states a scale or offset other
    than the VRT band's: GDAL applies neither on read, and Prospect applies the VRT band's
    (``<Scale>``/``<Offset>``, none in a hand-written mosaic), so that file's DNs would be
    ingested as values, 100 x too large for a scale of 0.01, exit 0."""
    if source.find("ScaleRatio") is not None or source.find("ScaleOffset") is not None or \
            own == (1.0, 0.0) or (math.isclose(own[0], stated[0], rel_tol=1e-9) and
                                  math.isclose(own[1], stated[1], rel_tol=1e-9, abs_tol=1e-12)):
        return
    raise DataError(
        f"{where}: band {band}: its source {shown} states scale {own[0]:g} and offset "
        f"{own[1]:g}, the VRT band scale {stated[0]:g} and offset {stated[1]:g}; GDAL "
        "applies neither when it reads, so that file's numbers would be ingested with the "
        "VRT band's coefficients; give the VRT band the file's (<Scale>"
        f"{own[0]:g}</Scale><Offset>{own[1]:g}</Offset>, as gdalbuildvrt writes them), or "
        "mosaic only files of one scale and offset")


def _held_exactly(block: np.ndarray, dtype: str) -> np.ndarray:
    """Where the values of ``block`` are held exactly by the integer ``dtype``."""
    info = np.iinfo(dtype)
    with np.errstate(invalid="ignore"):
        if block.dtype.kind == "f":
            return np.isfinite(block) & (block == np.round(block)) & \
                (block >= info.min) & (block <= info.max)
        return (block >= info.min) & (block <= info.max)


def _refuse_vrt_narrowed(where: str, band: int, shown: str, source: Any, file: str,
                         source_band: int, found: tuple[float | None, float, float, str],
                         dtype: str) -> None:
    """Refuse a VRT band of an integer type whose source copies its file's numbers as
    they are (no ``ScaleRatio``, ``ScaleOffset`` or ``LUT``) from a band of a type the
    VRT's cannot hold, where the file holds such a value (its cells scanned block by
    block, its ``<NODATA>`` and own nodata left out): GDAL converts each value to the
    VRT band's type, clamped to its range and rounded, without a word.

    A VRT that GDAL before 3.7 built over an ``Int8`` file states ``dataType="Byte"``
    (the signed bytes were then Byte with ``PIXELTYPE=SIGNEDBYTE``): read by a later GDAL,
    every negative value became 0; a hand-written ``Byte`` band over ``UInt16`` counts
    made every count past 255 into 255, and an ``Int16`` band over a float grid rounded
    its values, exit 0 each.

    Raises
    ------
    DataError
        Naming the VRT, its band, the source, both types, a value that changes and what
        GDAL reads of it, and the fix.
    """
    source_dtype = found[3]
    if np.dtype(dtype).kind not in "iu" or np.can_cast(source_dtype, dtype) or any(
            source.find(tag) is not None for tag in ("ScaleRatio", "ScaleOffset", "LUT")):
        return
    skipped = (source.findtext("NODATA") or "").strip()
    dropped = [v for v in (found[0], _float_or_none(skipped)) if v is not None]
    bad: float | None = None
    try:
        with rasterio.open(file) as part:
            rect = _source_rect(source, part.width, part.height)
            for _, block in _blocks_within(part, source_band, rect):
                keep = ~_held_exactly(block, dtype)
                if block.dtype.kind == "f":
                    keep &= ~np.isnan(block)
                for value in dropped:
                    keep &= block != value
                if keep.any():
                    bad = float(block[keep].flat[0])
                    break
    except (RasterioIOError, rasterio.errors.RasterioError, ValueError):
        return  # the read names a source that does not open
    if bad is None:
        return
    info = np.iinfo(dtype)
    read = min(max(math.floor(bad + 0.5), info.min), info.max) if math.isfinite(bad) \
        else None
    gdal_type = _GDAL_TYPE_NAMES.get(str(source_dtype), str(source_dtype))
    whole = "" if np.dtype(source_dtype).kind in "iu" else ", whole numbers"
    said = f"reads as {read}" if read is not None else "cannot read"
    old_gdal = ("; a VRT built by GDAL before 3.7 over Int8 files says Byte"
                if (str(source_dtype), dtype) == ("int8", "uint8") else "")
    raise DataError(
        f"{where}: band {band} is {_GDAL_TYPE_NAMES.get(dtype, dtype)}, but its source {shown} "
        f"copies {gdal_type} values as they are, and GDAL converts each to the VRT band's "
        f"type: the file holds {bad:g}, which GDAL {said} ({dtype} holds "
        f"{info.min}..{info.max}{whole}), "
        f"and would be ingested so; state the source's type in the VRTRasterBand "
        f"(dataType=\"{gdal_type}\"{old_gdal}), or rebuild it (gdalbuildvrt -ot "
        f"{gdal_type}), or read the file itself")


def _source_rect(source: Any, width: int, height: int) -> Window:
    """The window of its file a VRT source reads (its ``SrcRect``; the whole file where
    it states none)."""
    rect = source.find("SrcRect")
    if rect is None:
        return Window(0, 0, width, height)
    x, y, w, h = (float(rect.get(k, "0")) for k in ("xOff", "yOff", "xSize", "ySize"))
    return Window(math.floor(x), math.floor(y), math.ceil(w), math.ceil(h))


def _blocks_within(part: Any, band: int, rect: Window) -> Iterator[tuple[Window, np.ndarray]]:
    """Band ``band`` of the open file ``part`` block by block within ``rect`` (the part of
    the file a VRT source reads): each block's window (in the file) and its values; blocks
    outside ``rect`` are skipped unread."""
    for _, win in part.block_windows(band):
        try:
            win = win.intersection(rect)
        except rasterio.errors.WindowError:
            continue  # a block outside the part of the file the VRT reads
        yield win, part.read(band, window=win)


def _fill_blocks(file: str, source_band: int, rect: Window,
                 fills: list[float]) -> Generator[tuple[int, Window, np.ndarray], None, None]:
    """The cells of ``rect`` in band ``source_band`` of ``file`` holding one of ``fills``
    (NaN for a NaN fill), block by block: for each block that holds any, their count, the
    block's window (in the file) and where they lie in it. Nothing where none does or the
    file does not open. Its blocks are read one at a time, as the caller asks for the
    next."""
    try:
        with rasterio.open(file) as part:
            rect = rect.intersection(Window(0, 0, part.width, part.height))
            for win, block in _blocks_within(part, source_band, rect):
                held = np.zeros(block.shape, bool)
                for value in fills:
                    held |= np.isnan(block) if math.isnan(value) else block == value
                if held.any():
                    yield int(held.sum()), win, held
    except (RasterioIOError, rasterio.errors.RasterioError, ValueError):
        return  # the read names a source that does not open


_NODATA_AWARE = frozenset({"min", "max", "replace_nodata"})
"""GDAL's pixel functions that leave out (or replace, as asked) the inputs equal to the
derived band's own ``NoDataValue`` (GDAL 3.10): ``max`` of a fill and 5 is 5."""


_PIXEL_FUNCTION_SOURCES: dict[str, tuple[int, int | None]] = {
    **dict.fromkeys(("real", "imag", "mod", "phase", "conj", "inv", "intensity", "sqrt",
                     "log10", "dB", "dB2amp", "dB2pow", "exp", "scale"), (1, 1)),
    **dict.fromkeys(("complex", "polar", "cmul", "diff", "div", "norm_diff"), (2, 2)),
    **dict.fromkeys(("sum", "mul", "min", "max"), (2, None)),
}
"""The sources each of GDAL's (3.10) pixel functions computes from: the fewest and the
most (``None``: any more). Given another count GDAL computes no cell of the band: a
warped read fails every block ("IReadBlock failed"), a direct read gives 0 everywhere."""

_TAKEN_WORDS = {(1, 1): "exactly one source", (2, 2): "exactly two sources",
                (2, None): "two or more sources"}


def _refuse_derived_sources(where: str, band: int, element: Any, path: Path | str) -> None:
    """Refuse a VRT's derived band (``VRTDerivedRasterBand``) whose pixel function is
    given another number of sources than it computes from
    (:data:`_PIXEL_FUNCTION_SOURCES`): ``sqrt`` of two files, ``diff`` of one, ``sum`` of
    one. GDAL computes none of its cells, and the failed read was called a damaged block
    ("download or copy the file again") of a sound file. Functions not in the table
    (another GDAL's, a plugin's, those taking arguments) are not checked.

    Raises
    ------
    DataError
        Naming the VRT, the band, the function, the sources it takes and has, and the
        fix.
    """
    function = (element.findtext("PixelFunctionType") or "").strip()
    taken = _PIXEL_FUNCTION_SOURCES.get(function)
    if taken is None or (element.findtext("SkipNonContributingSources") or "").strip() \
            .lower() in ("true", "1", "yes", "on"):
        return  # with sources skipped, GDAL hands the function a count of its own per block
    count = sum(1 for c in element if c.tag.endswith("Source"))
    low, high = taken
    if low <= count and (high is None or count <= high):
        return
    wanted = _TAKEN_WORDS.get(taken, f"{low} to {high or 'any number of'} sources")
    has = {0: "no source", 1: "one source"}.get(count, f"{count} sources")
    fix = ("give it one source per band (a VRTDerivedRasterBand of its own for each "
           "source)" if high == 1 else f"give it {wanted}")
    raise DataError(
        f"{where}: band {band} is derived by the pixel function {function!r}, which "
        f"computes from {wanted}, but the band has {has}, so GDAL computes none of its "
        f"cells (every read of it fails); {fix} and give that file, "
        f"not {shlex.quote(Path(str(path)).name)}")


def _rect_of(child: Any, tag: str, width: int, height: int
             ) -> tuple[float, float, float, float]:
    """A VRT source's ``SrcRect`` or ``DstRect`` (``tag``) as ``x, y, w, h`` in cells:
    ``0, 0, width, height`` (the whole file, or the whole VRT) where it states none."""
    rect = child.find(tag)
    if rect is None:
        return 0.0, 0.0, float(width), float(height)
    x, y, w, h = (float(rect.get(k, "0")) for k in ("xOff", "yOff", "xSize", "ySize"))
    return x, y, w, h


def _placement(src: Any, child: Any, file: str) -> tuple[int, int] | None:
    """Where the VRT ``src`` places its source ``child`` (of ``file``) cell for cell: the
    offset ``(columns, rows)`` from a cell of the file to the VRT's cell reading it, where
    its ``SrcRect`` and ``DstRect`` are of one size in whole cells (none stated: the file
    on the VRT's grid, of the VRT's size); ``None`` where the source is resampled (rects
    of two sizes, or parts of cells) or its file does not open."""
    try:
        with rasterio.open(file) as part:
            size = part.width, part.height
    except (RasterioIOError, rasterio.errors.RasterioError):
        return None
    sx, sy, sw, sh = _rect_of(child, "SrcRect", *size)
    dx, dy, dw, dh = _rect_of(child, "DstRect", src.width, src.height)
    if (sw, sh) != (dw, dh) or not all(float(v).is_integer() for v in (sx, sy, dx, dy, sw, sh)):
        return None
    return int(dx - sx), int(dy - sy)


def _unmasked_where(src: Any, band: int, child: Any, file: str, win: Window,
                    held: np.ndarray) -> bool:
    """Whether the derived ``band`` of the open VRT ``src`` reads any of the cells its
    source ``child`` holds a fill in (``held`` in the window ``win`` of its ``file``) as
    a value (neither masked nor NaN: a NaN fill a ``sum`` keeps NaN is no data to
    ingest); the file's cells are found in the VRT where the source places them cell for
    cell, at an offset or not (:func:`_placement`), or where it resamples them by its
    rects (:func:`_unmasked_resampled`)."""
    offset = _placement(src, child, file)
    if offset is None:
        return _unmasked_resampled(src, band, child, file, win, held)
    vrt = Window(win.col_off + offset[0], win.row_off + offset[1], win.width, win.height)
    try:
        seen = vrt.intersection(Window(0, 0, src.width, src.height))
    except rasterio.errors.WindowError:
        return False  # the cells lie outside the VRT: none is read
    rows = slice(int(seen.row_off - vrt.row_off), int(seen.row_off - vrt.row_off + seen.height))
    cols = slice(int(seen.col_off - vrt.col_off), int(seen.col_off - vrt.col_off + seen.width))
    held = held[rows, cols]
    try:
        read = (src.read_masks(band, window=seen) != 0) & \
            ~np.isnan(src.read(band, window=seen).astype("f8"))  # NaN: no data to ingest
    except (RasterioIOError, rasterio.errors.RasterioError, ValueError):
        return True
    return read.shape != held.shape or bool(read[held].any())


def _nearest_cells(src0: float, src_size: float, dst0: float, dst_size: float, low: int,
                   count: int, whole: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Along one axis, the VRT's cells (of ``whole``) whose centre a source placed by its
    rects (``SrcRect`` from ``src0`` over ``src_size`` cells of its file, ``DstRect`` from
    ``dst0`` over ``dst_size`` of the VRT's) takes from the file's cells ``low`` to ``low
    + count``, and the index of that cell among them: GDAL's nearest neighbour, the file's
    cell under the centre; a centre on a cell's edge counts for both cells beside it.
    ``None`` where none is taken from them."""
    ratio = src_size / dst_size
    first = max(0, math.floor(dst0), math.floor(dst0 + (low - src0) / ratio) - 1)
    last = min(whole, math.ceil(dst0 + dst_size),
               math.ceil(dst0 + (low + count - src0) / ratio) + 1)
    if last <= first:
        return None
    dst = np.arange(first, last)
    centre = dst + 0.5
    inside = (centre >= dst0) & (centre < dst0 + dst_size)
    at = src0 + (centre - dst0) * ratio
    cells, picked = [], []
    for edge in (-1e-6, 1e-6):
        taken = np.floor(at + edge).astype(np.int64) - low
        keep = inside & (taken >= 0) & (taken < count)
        cells.append(dst[keep])
        picked.append(taken[keep])
    dst_cells, src_cells = np.concatenate(cells), np.concatenate(picked)
    if not dst_cells.size:
        return None
    return dst_cells, src_cells


def _unmasked_resampled(src: Any, band: int, child: Any, file: str, win: Window,
                        held: np.ndarray) -> bool:
    """:func:`_unmasked_where` of a source the VRT ``src`` resamples by its rects
    (``SrcRect`` and ``DstRect`` of two sizes, or parts of cells) by nearest neighbour
    (no ``resampling`` of its own, GDAL's default): the VRT's cells whose centre lies on
    one of the fills ``held`` in the window ``win`` of its ``file`` are read, and any
    read as a value (neither masked nor NaN) refuses it. Round 59 refused every such
    source holding a fill without reading the band (a ``scale`` of a 20 m grid placed on
    the 10 m VRT keeps its fill -9999 as the band's no data). ``True`` (refused, as
    before) for another resampling, whose cells mix a fill with its neighbours, and where
    the file does not open or the band does not read."""
    if (child.get("resampling") or "nearest").strip().lower() not in ("nearest", "near"):
        return True
    try:
        with rasterio.open(file) as part:
            size = part.width, part.height
        sx, sy, sw, sh = _rect_of(child, "SrcRect", *size)
        dx, dy, dw, dh = _rect_of(child, "DstRect", src.width, src.height)
    except (RasterioIOError, rasterio.errors.RasterioError, ValueError):
        return True
    if min(sw, sh, dw, dh) <= 0:
        return False  # GDAL places no cell of it
    columns = _nearest_cells(sx, sw, dx, dw, int(win.col_off), int(win.width), src.width)
    rows = _nearest_cells(sy, sh, dy, dh, int(win.row_off), int(win.height), src.height)
    if columns is None or rows is None:
        return False  # none of the fills' cells lies on the VRT
    (dst_cols, src_cols), (dst_rows, src_rows) = columns, rows
    seen = Window(int(dst_cols.min()), int(dst_rows.min()),
                  int(dst_cols.max() - dst_cols.min() + 1),
                  int(dst_rows.max() - dst_rows.min() + 1))
    try:
        read = (src.read_masks(band, window=seen) != 0) & \
            ~np.isnan(src.read(band, window=seen).astype("f8"))
    except (RasterioIOError, rasterio.errors.RasterioError, ValueError):
        return True
    read = read[np.ix_(dst_rows - int(seen.row_off), dst_cols - int(seen.col_off))]
    return read.shape != (src_rows.size, src_cols.size) or \
        bool((read & held[np.ix_(src_rows, src_cols)]).any())


_GAP_READ = 256
"""Cells along each side of the window of a derived band's cells under none of one of its
sources that :func:`_refuse_derived_gaps` reads."""


def _gap_window(rect: tuple[float, float, float, float], width: int,
                height: int) -> Window | None:
    """A window of at most :data:`_GAP_READ` cells a side of a ``width`` x ``height``
    band lying wholly outside ``rect`` (``x, y, w, h`` in cells): the rows above it, else
    below it, else the columns left, else right of it; ``None`` where it leaves no whole
    row or column of cells out."""
    left, top = max(0, min(width, math.ceil(rect[0] - 0.5))), \
        max(0, min(height, math.ceil(rect[1] - 0.5)))
    right = max(left, min(width, math.floor(rect[0] + rect[2] + 0.5)))
    bottom = max(top, min(height, math.floor(rect[1] + rect[3] + 0.5)))
    if right <= left or bottom <= top:
        return Window(0, 0, min(width, _GAP_READ), min(height, _GAP_READ))  # covers none
    for c0, r0, c1, r1 in ((0, 0, width, top), (0, bottom, width, height),
                           (0, top, left, bottom), (right, top, width, bottom)):
        if c1 > c0 and r1 > r0:
            return Window(c0, r0, min(c1 - c0, _GAP_READ), min(r1 - r0, _GAP_READ))
    return None


def _refuse_derived_gaps(src: Any, where: str, band: int, element: Any,
                         path: Path | str) -> None:
    """Refuse a VRT's derived band (``VRTDerivedRasterBand``) that computes values where
    one of its sources places no cell: GDAL (3.10) hands the pixel function, for a cell
    outside a source's ``DstRect``, the band's ``NoDataValue`` (0 where it states none)
    as that source's number. A ``sum`` of a grid on the left half and one on the right
    half was ingested as -9999 + x (under nodata -9999) or as the other half's values
    (none stated), a ``mul`` as 0 everywhere, exit 0.

    For each source leaving cells out (:func:`_uncovered` of its ``DstRect``), the band's
    mask and values are read over a window of those cells (:func:`_gap_window`, at most
    :data:`_GAP_READ` a side): where any is read as a value (neither masked nor NaN) the
    band is refused. A function that leaves out the band's ``NoDataValue``
    (:data:`_NODATA_AWARE`) and a band computing its no data there (``scale`` of one
    source, -9999 kept) pass, read as before.

    Raises
    ------
    DataError
        Naming the VRT, the band, its pixel function, the source and the cells it leaves
        out, what GDAL hands the function there, and the fix.
    """
    function = (element.findtext("PixelFunctionType") or "").strip()
    try:
        stated: float | None = float((element.findtext("NoDataValue") or "").strip())
    except ValueError:
        stated = None
    if function in _NODATA_AWARE and stated is not None:
        return  # the function leaves the band's no data out
    for child in (c for c in element if c.tag.endswith("Source")):
        try:
            rect = _rect_of(child, "DstRect", src.width, src.height)
        except ValueError:
            continue
        gaps = _uncovered([rect], src.width, src.height)
        win = _gap_window(rect, src.width, src.height) if gaps else None
        if win is None:
            continue
        try:
            read = (src.read_masks(band, window=win) != 0) & \
                ~np.isnan(src.read(band, window=win).astype("f8"))
        except (RasterioIOError, rasterio.errors.RasterioError, ValueError):
            continue  # a failed read is named by the read itself
        if not read.any():
            continue
        shown = (child.findtext("SourceFilename") or "").strip() or "?"
        given = f"the band's NoDataValue {stated:g}" if stated is not None else \
            "0 (the band states no NoDataValue)"
        fill = f"{stated:g}" if stated is not None else "-9999"
        name = shlex.quote(Path(str(path)).name)
        raise DataError(
            f"{where}: band {band} is derived by the pixel function {function or '?'!r}, "
            f"and its source {shown} places no cell on {gaps} of the band's "
            f"{src.width * src.height} cells (outside its DstRect), where GDAL hands the "
            f"function {given} as that source's number, so the band's cells there would be "
            f"computed from it as a value and ingested; compute the band where every "
            f"source has data (gdal_calc.py with each source as -A, -B ... "
            f"--extent=union and --NoDataValue={fill}, or give each source to Prospect as "
            f"its own layer) and give that file, not {name}")


def _refuse_derived_fill(src: Any, where: str, band: int, element: Any, path: Path | str,
                         source_header: Callable[[str, int], tuple[float | None, float,
                                                                   float, str] | None]
                         ) -> None:
    """Refuse a VRT's derived band (``VRTDerivedRasterBand``) that computes values from
    a source's no-data cells: cells, in the part of its file the VRT reads, holding the
    file's stated nodata or the source's ``<NODATA>``, where the band reads them as
    values (not masked).

    GDAL (3.10) hands most pixel functions the source's numbers as they are: a file's
    fill -9999 (or, for cells a ``ComplexSource`` skips, the band's own nodata) is summed,
    scaled or multiplied like any value, and ``propagateNoData`` changes nothing for
    ``sum``. A ``sum`` of two heat-flow grids of nodata -9999 was ingested with -19998 and
    -9999 + x as values, exit 0. The source's cells are scanned block by block
    (:func:`_fill_blocks`), and the band's mask and values are read over each block's
    fills, stopping at the first fill the band reads as a value: a fill the band keeps
    as no data in one block (one a nearest-neighbour resampling by the source's rects
    passes over, one off the VRT) says nothing of the fills in the next. Sources stating
    no nodata are not read. The functions that leave out the
    band's ``NoDataValue`` (:data:`_NODATA_AWARE`) pass where it is the fill.

    Raises
    ------
    DataError
        Naming the VRT, the band, its pixel function, the source and its fill, and the
        fix (compute the band where no data is kept as no data: ``gdal_calc.py``).
    """
    function = (element.findtext("PixelFunctionType") or "").strip()
    try:
        stated = float((element.findtext("NoDataValue") or "").strip())
    except ValueError:
        stated = None
    for child in (c for c in element if c.tag.endswith("Source")):
        shown = (child.findtext("SourceFilename") or "").strip()
        if child.find("SourceFilename") is None or not shown or \
                (child.findtext("UseMaskBand") or "").strip().lower() == "true":
            continue
        try:
            sb = int((child.findtext("SourceBand") or "1").strip())
        except ValueError:
            continue
        file = _vrt_source_name(path, child.find("SourceFilename"))
        found = source_header(file, sb)
        if found is None:
            continue
        fills = [v for v in (found[0], _float_or_none((child.findtext("NODATA") or "")
                                                      .strip())) if v is not None]
        if not fills:
            continue
        if function in _NODATA_AWARE and stated is not None and \
                all(_same_nodata(v, stated) for v in fills):
            continue  # the function leaves the band's no data out
        held, read = 0, False
        rect = _source_rect(child, 1 << 30, 1 << 30)
        with contextlib.closing(_fill_blocks(file, sb, rect, fills)) as blocks:
            for count, win, cells in blocks:
                held += count
                if _unmasked_where(src, band, child, file, win, cells):
                    read = True
                    break
        if not read:
            continue  # every fill is no data on the band (or the source holds none)
        fill = " or ".join(dict.fromkeys(f"{v:g}" for v in fills))
        name = shlex.quote(Path(str(path)).name)
        raise DataError(
            f"{where}: band {band} is derived by the pixel function {function or '?'!r} "
            f"from its source {shown}, whose no-data cells ({held} or more of {fill}) "
            f"GDAL hands the function as numbers, so the band's cells there would be "
            f"computed from {fill} as a value and ingested; compute the band where no "
            f"data stays no data (gdal_calc.py with each source as -A, -B ... and "
            f"--NoDataValue={fills[0]:g}, or give each source to Prospect as its own "
            f"layer) and give that file, not {name}")


def _float_or_none(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


_GDAL_TYPE_NAMES = {"uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16",
                    "uint32": "UInt32", "int32": "Int32", "uint64": "UInt64", "int64": "Int64",
                    "float32": "Float32", "float64": "Float64"}
"""GDAL's names of numpy's data types (as a VRT's ``dataType`` writes them)."""


@dataclass(frozen=True)
class _SourceHeader:
    """What :func:`_refuse_vrt_unmarked` needs of one source file's header."""

    bands: tuple[tuple[float | None, float, float, str], ...]
    """Each band's nodata, scale, offset and data type."""
    lossy: str
    lossy_error: float | None
    vrt: bool


def remote_vrt_sources() -> int:
    """How many source files of a VRT read over a network have their headers opened:
    ``$PROSPECT_REMOTE_VRT_SOURCES`` or :data:`_REMOTE_VRT_SOURCES` (a request each, 16
    at a time)."""
    return positive_limit("PROSPECT_REMOTE_VRT_SOURCES", _REMOTE_VRT_SOURCES,
                          "source files of a remote VRT to open", ConfigError)


def _remote_headers(where: str, files: list[str]) -> dict[str, _SourceHeader | None]:
    """The headers of a network VRT's distinct source ``files``, opened 16 at a time
    under the caller's GDAL options (a source's timeout and retries); ``None`` for one
    that does not open (the read names it). Past :func:`remote_vrt_sources` files the
    rest are not opened, and one warning says how many and what was not checked: a
    VRT's first 64 had been opened and the others' codecs and nodata left unchecked
    without a word."""
    from concurrent.futures import ThreadPoolExecutor

    from rasterio.env import getenv, hasenv

    names = list(dict.fromkeys(files))
    cap = remote_vrt_sources()
    if len(names) > cap:
        warnings.warn(DataWarning(
            f"{where}: read over a network, it has {len(names)} source files, and the "
            f"headers of the first {cap} were opened: the other {len(names) - cap} were "
            "not checked for a lossy codec, a nodata its sources do not mark or a scale of "
            "their own; copy the VRT and its files to a local disk to check them all, or "
            f"set PROSPECT_REMOTE_VRT_SOURCES to {len(names)} (a request each)"),
            stacklevel=4)
        names = names[:cap]
    options = dict(getenv()) if hasenv() else {}
    from prospect.io.remote import is_network_name

    def peek(file: str) -> _SourceHeader | None:
        own = {**_REMOTE_LISTING, **options} if is_network_name(file) else options
        try:
            with gdal_settings(**own), rasterio.open(file) as part:
                codec, error = lossy_compression(part)
                return _SourceHeader(
                    bands=tuple(zip(part.nodatavals, part.scales, part.offsets, part.dtypes,
                                    strict=True)),
                    lossy=codec, lossy_error=error, vrt=part.driver == "VRT")
        except (RasterioIOError, rasterio.errors.RasterioError):
            return None

    with ThreadPoolExecutor(max_workers=min(16, max(1, len(names)))) as pool:
        return dict(zip(names, pool.map(peek, names), strict=True))


def _refuse_vrt_unmarked(src: Any, path: Path | str, root: Any = None, *,
                         within: str = "", depth: int = 0,
                         seen: set[str] | None = None,
                         lossy: list[tuple[str, float | None]] | None = None) -> None:
    """Refuse a VRT band where GDAL would read cells that hold no data as values, exit 0
    each before:

    * cells under none of its sources (a mosaic of tiles with gaps; GDAL fills them with
      0) of a band that states no ``NoDataValue`` (nor a mask);
    * a ``ComplexSource``'s ``<NODATA>`` cells (skipped, so 0 again) there;
    * a source file's own nodata copied as a value by a source that does not state it (a
      hand-written ``SimpleSource``, or a ``ComplexSource`` without ``<NODATA>``): -9999
      read as -9999, whether the band states no ``NoDataValue`` or another one;
    * any of these inside a VRT that is a source of this one (its 0s are values to the
      outer VRT, whatever the outer states).

    Every source of every band, local VRTs and VRTs read through GDAL from a local
    archive (``/vsizip/``, ``/vsigzip/``, ``/vsitar/``; their XML from GDAL) alike: the
    XML, and the header of each distinct source file once (about 1 ms each). Of a VRT
    read over a network the headers of up to :func:`remote_vrt_sources` source files
    are opened, 16 requests at a time, and a warning says how many were not
    (:func:`_remote_headers`). A band whose sources' cover cannot be worked out
    cheaply (:data:`_VRT_COVER_EDGES`) and that states no ``NoDataValue`` is refused,
    naming why. ``root`` is the VRT's XML where :func:`_check_vrt_sources` has parsed it
    already. Each source file a lossy codec stored (:func:`lossy_compression`) is added
    to ``lossy``, as ``("JPEG compression (quality 75) of its source t.tif", None)``: the
    VRT's own header says nothing of its sources' codecs."""
    if src.driver != "VRT":
        return
    from prospect.config.vsi import archive_file  # (not for every other file's header)

    name = str(path)
    remote = "://" in name or (name.startswith("/vsi") and archive_file(name) is None)
    root = _vrt_xml(src, path) if root is None else root
    if root is None or root.get("subClass") or root.find("MaskBand") is not None:
        return  # a warped VRT (its own nodata handling), or a mask of the whole dataset
    seen = set() if seen is None else seen
    if name in seen or depth >= _VRT_DEPTH:
        return  # a VRT that reads itself is refused by the block check (_vrt_sources)
    seen.add(name)
    where = f"{within}{path}"
    fix = ("state the band's no data (gdalbuildvrt -srcnodata <value> -vrtnodata <value>, "
           "or <NoDataValue>-9999</NoDataValue> in its VRTRasterBand)")
    headers: dict[str, tuple[tuple[float | None, float, float, str], ...] | None] = {}
    fetched: dict[str, _SourceHeader | None] = {}
    if remote:  # a request each: opened together, not one after another
        fetched = _remote_headers(where, [
            _vrt_source_name(path, child.find("SourceFilename"))
            for element in root.findall("VRTRasterBand")
            for child in element if child.tag.endswith("Source")
            and (child.findtext("SourceFilename") or "").strip()
            and (child.findtext("UseMaskBand") or "").strip().lower() != "true"])

    def source_header(file: str, band: int) -> tuple[float | None, float, float, str] | None:
        """The source file's nodata, scale, offset and data type of ``band`` (its header
        opened once)."""
        if file not in headers and remote:
            peek = fetched.get(file)
            headers[file] = peek.bands if peek is not None else None
            if peek is not None and peek.lossy and lossy is not None:
                lossy.append((f"{peek.lossy} of its source {file}", peek.lossy_error))
            if peek is not None and peek.vrt:
                with contextlib.suppress(RasterioIOError, rasterio.errors.RasterioError), \
                        rasterio.open(file) as part:  # its own gaps are values here
                    _refuse_vrt_unmarked(part, file, within=f"{where}: its source ",
                                         depth=depth + 1, seen=seen, lossy=lossy)
        if file not in headers:
            with contextlib.ExitStack() as stack:
                try:
                    part = stack.enter_context(rasterio.open(file))
                    headers[file] = tuple(zip(part.nodatavals, part.scales, part.offsets,
                                              part.dtypes, strict=True))
                except (RasterioIOError, rasterio.errors.RasterioError):
                    headers[file] = None
                if headers[file] is not None and lossy is not None:
                    codec, error = lossy_compression(part)
                    if codec:
                        lossy.append((f"{codec} of its source {file}", error))
                if headers[file] is not None and part.driver == "VRT":
                    # its own gaps and no-data cells are values to this VRT
                    _refuse_vrt_unmarked(part, file, within=f"{where}: its source ",
                                         depth=depth + 1, seen=seen, lossy=lossy)
        values = headers[file]
        return values[band - 1] if values and 1 <= band <= len(values) else None

    for element in root.findall("VRTRasterBand"):
        band = int(element.get("band", "0") or 0)
        if element.get("subClass") == "VRTDerivedRasterBand" and 1 <= band <= src.count:
            _refuse_derived_sources(where, band, element, path)
        if element.get("subClass") == "VRTDerivedRasterBand" and not remote and \
                1 <= band <= src.count:
            _refuse_derived_fill(src, where, band, element, path, source_header)
            _refuse_derived_gaps(src, where, band, element, path)
        if element.get("subClass") or element.find("MaskBand") is not None or \
                not 1 <= band <= src.count or src.colorinterp[band - 1] == ColorInterp.alpha:
            continue
        try:
            stated = float(element.findtext("NoDataValue").strip()) \
                if element.find("NoDataValue") is not None else None
        except ValueError:
            stated = None
        try:
            scale = float((element.findtext("Scale") or "1").strip())
            offset = float((element.findtext("Offset") or "0").strip())
        except ValueError:
            scale, offset = 1.0, 0.0
        rects: list[tuple[float, float, float, float]] = []
        for child in (c for c in element if c.tag.endswith("Source")):
            dst = child.find("DstRect")
            try:
                x, y, w, h = ((0.0, 0.0, float(src.width), float(src.height)) if dst is None
                              else (float(dst.get(k, "0")) for k in
                                    ("xOff", "yOff", "xSize", "ySize")))
                rects.append((x, y, w, h))
                sb = int((child.findtext("SourceBand") or "1").strip())
            except ValueError:
                return
            shown = (child.findtext("SourceFilename") or "").strip()
            skipped = child.findtext("NODATA")
            if skipped is not None and stated is None:
                raise DataError(
                    f"{where}: band {band}: its source {shown} skips its <NODATA> "
                    f"{skipped.strip()} cells, but the VRT states no NoDataValue, so GDAL "
                    "reads them as 0, which would be ingested as values; " + fix)
            if (child.findtext("UseMaskBand") or "").strip().lower() == "true" or \
                    child.find("SourceFilename") is None or not shown:
                continue
            file = _vrt_source_name(path, child.find("SourceFilename"))
            found = source_header(file, sb)
            if found is None:
                continue
            _refuse_vrt_rescaled(where, band, shown, child, found[1:3], (scale, offset))
            if not remote:  # a scan of the source's cells: local files only
                _refuse_vrt_narrowed(where, band, shown, child, file, sb, found,
                                     src.dtypes[band - 1])
            if found[0] is None:
                continue
            own = found[0]
            if own == 0 and _misread_nested_nodata(path, file, sb) and \
                    _nested_nodata_unused(root, path, file):
                continue  # a nested VRT's word GDAL reads as 0: no cell's nodata
            copied = _copied_as(child, own, src.dtypes[band - 1]) \
                if child.tag == "ComplexSource" and _rescaling(child) else None
            # a fill a ComplexSource rescales: compared as the band holds it
            if skipped is not None:
                try:
                    if _same_nodata(own, float(skipped.strip())):
                        continue
                except ValueError:
                    continue
                raise DataError(
                    f"{where}: band {band}: its source {shown} skips its <NODATA> "
                    f"{skipped.strip()} cells, but that file states nodata {own:g}, whose "
                    f"cells GDAL copies as the value {own if copied is None else copied:g}, "
                    f"which would be ingested; give "
                    f"the source the file's own <NODATA>{own:g}</NODATA> (gdalbuildvrt "
                    f"-srcnodata {own:g}), or write the file's no-data cells as "
                    f"{skipped.strip()} first")
            if stated is not None and (_same_nodata(own, stated) if copied is None else
                                       _same_nodata(copied, _held_as(stated,
                                                                     src.dtypes[band - 1]))):
                continue
            if stated is not None and copied is not None and _same_nodata(own, stated):
                raise DataError(  # a fill the source rescales is no fill of the VRT's
                    f"{where}: band {band}: its source {shown} states nodata {own:g}, the "
                    f"VRT's NoDataValue, but the source rescales that file's cells "
                    f"({_rescaling(child)}) without skipping them, so GDAL writes its "
                    f"no-data cells as the value {copied:g}, which would be ingested; give "
                    f"the source <NODATA>{own:g}</NODATA> (GDAL then skips them and fills "
                    f"the VRT's NoDataValue)")
            if stated is None:
                raise DataError(
                    f"{where}: band {band}: its source {shown} states nodata {own:g}, but "
                    f"the VRT states no NoDataValue, so GDAL reads that file's no-data "
                    f"cells as the value {own if copied is None else copied:g}, which would "
                    "be ingested; " + (fix if copied is None else
                                       f"give the source <NODATA>{own:g}</NODATA> and the "
                                       f"band <NoDataValue>{own:g}</NoDataValue>"))
            raise DataError(
                f"{where}: band {band}: its source {shown} states nodata {own:g}, another "
                f"than the VRT's NoDataValue {stated:g}, and the source copies its cells "
                + (f"as they are (a {child.tag} without <NODATA>)" if copied is None else
                   f"rescaled ({_rescaling(child)}) without <NODATA>")
                + ", so that file's no-data cells would be ingested as the value "
                f"{own if copied is None else copied:g}; give the source "
                f"<NODATA>{own:g}</NODATA> in a ComplexSource (gdalbuildvrt -srcnodata "
                f"{own:g} -vrtnodata {stated:g} rebuilds it so)")
        if stated is not None:
            continue
        gaps = _uncovered(rects, src.width, src.height)
        if gaps is None:
            raise DataError(
                f"{where}: band {band}: its {len(rects)} sources are placed on too many "
                "distinct edges to work out cheaply whether they cover every cell, and "
                "the VRT states no NoDataValue, so cells under none of them would be read "
                "as 0 and ingested as values; " + fix)
        if gaps:
            raise DataError(
                f"{where}: band {band}: {gaps} of its {src.width * src.height} cells lie "
                "under none of its sources (a mosaic with gaps), and the VRT states no "
                "NoDataValue, so GDAL reads them as 0, which would be ingested as values; "
                + fix)


def _usable_nodata(src: Any) -> tuple[tuple[float | None, ...], tuple[float | None, ...]]:
    """Per band of the open dataset ``src``: the nodata value GDAL marks pixels with, and
    the one the file states that the band's type cannot hold (:func:`value_fits`).

    rasterio reports no nodata where the value lies beyond the type's range (-9999 in
    uint8) or is a 64-bit band's own (a uint64 band's 2**64 - 1), and passes on one that
    is not a whole number (1.5); GDAL's own value is read from a VRT description of the
    file (no pixel is read), only when a band has none.
    """
    nodata = list(src.nodatavals)
    unheld: list[float | None] = [None] * len(nodata)
    bits = _nbits(src)
    for i, (value, dtype) in enumerate(zip(nodata, src.dtypes, strict=True)):
        if value is not None and not value_fits(value, dtype, bits[i]):
            nodata[i], unheld[i] = None, float(value)
    if None in nodata:
        for i, value in _gdal_nodata(src).items():
            if i >= len(nodata) or nodata[i] is not None:
                continue
            if value_fits(value, src.dtypes[i], bits[i]):
                nodata[i] = value  # a 64-bit band's (2**64 - 1): rasterio reports none
            else:
                unheld[i] = value
    return exact_nodata(src, tuple(nodata)), tuple(unheld)


def exact_nodata(src: Any, nodata: tuple[float | None, ...]) -> tuple[float | None, ...]:
    """``nodata`` with each 64-bit integer band's value past 2**53 replaced by the exact
    whole number GDAL holds (an ``int``, from the dataset's VRT description).

    rasterio states a nodata as a float: an Int64 band's 1152921504606846977 (2**60 + 1)
    became 2**60, and its 2**60 cells were dropped beside its fills without a word (GDAL
    itself advises ``GetNoDataValueAsInt64()``). Values of 2**53 and less are left as
    they are (floats hold them exactly)."""
    wide = [i for i, (value, dtype) in enumerate(zip(nodata, src.dtypes, strict=True))
            if value is not None and str(dtype) in ("int64", "uint64")
            and abs(value) >= _FLOAT64_WHOLE]
    if not wide:
        return nodata
    stated = _gdal_nodata(src)
    out = list(nodata)
    for i in wide:
        value = stated.get(i)
        if isinstance(value, int) and value_fits(value, src.dtypes[i]) \
                and np.iinfo(src.dtypes[i]).min <= value <= np.iinfo(src.dtypes[i]).max:
            out[i] = value
    return tuple(out)


def _stated_stats(src: Any) -> tuple[tuple[float, float] | None, ...]:
    """Per band: the exact ``(minimum, maximum)`` the file states (:attr:`RasterInfo.stats`)."""
    out: list[tuple[float, float] | None] = []
    for band in range(1, src.count + 1):
        tags = src.tags(band)
        try:
            lo = float(tags["STATISTICS_MINIMUM"])
            hi = float(tags["STATISTICS_MAXIMUM"])
        except (KeyError, ValueError):
            out.append(None)
            continue
        # approximate: GDAL's -approx_stats (from an overview), ArcGIS's skip factors
        # (every n-th cell: a value between two samples can lie beyond them)
        exact = (str(tags.get("STATISTICS_APPROXIMATE", "")).upper() not in ("YES", "TRUE")
                 and all(str(tags.get(f"STATISTICS_SKIPFACTOR{axis}", "1")).strip()
                         in ("", "1") for axis in "XY"))
        out.append((lo, hi) if exact and math.isfinite(lo) and math.isfinite(hi) and
                   lo <= hi else None)
    return tuple(out)


STAT_KEEPING_RESAMPLINGS = frozenset({"nearest", "bilinear", "average", "mode", "min", "max",
                                      "med", "q1", "q3"})
"""Resamplings whose every output lies between the source values it is made of: a warped
value beyond a band's stated minimum or maximum came from a source value beyond them."""


def check_within_stats(info: RasterInfo, band: int, values: np.ndarray, *,
                       what: str) -> None:
    """Refuse values of 1-based ``band`` (raw numbers: before any scale and offset, no
    data as NaN) beyond the minimum and maximum the file states of itself.

    An uncompressed block whose bytes were rewritten (a bad copy, a bad sector, a file
    edited in place) decodes without a word from any codec: its garbage was ingested as
    values. The statistics a file carries are a cheap check of it: a value beyond them
    did not come from the file the statistics were computed of.

    Raises
    ------
    CorruptFileError
        Naming the file, the band, the value, the stated range and the fix.
    """
    stats = info.stats[band - 1] if band <= len(info.stats) else None
    if stats is None or values.size == 0:
        return
    lo, hi = stats
    tolerance = 1e-6 * max(abs(lo), abs(hi), 1e-30)
    with np.errstate(invalid="ignore"):
        beyond = (values < lo - tolerance) | (values > hi + tolerance)
    if not beyond.any():
        return
    value = float(values[beyond].flat[0])
    raise CorruptFileError(
        f"{_shown(info.path)}: band {band} gives {value:.9g} while {what}, beyond the "
        f"minimum {lo:.9g} and maximum {hi:.9g} the file states of its own values "
        f"({int(beyond.sum())} cell(s)): a damaged block, or a file changed after its "
        "statistics were computed; check it with 'gdalinfo -checksum' against a good "
        "copy, or if it was changed on purpose, compute its statistics again (gdalinfo "
        "-stats, or remove its .aux.xml)", path=_shown(info.path))


def _nbits(src: Any) -> tuple[int | None, ...]:
    """Per band of the open dataset ``src``: its ``NBITS`` where fewer than its type's
    bits (:attr:`RasterInfo.nbits`), else ``None``."""
    out: list[int | None] = []
    for band, dtype in enumerate(src.dtypes, start=1):
        text = str(src.tags(band, ns="IMAGE_STRUCTURE").get("NBITS", "")).strip()
        size = 8 * np.dtype(dtype).itemsize if not str(dtype).startswith("complex") else 0
        out.append(int(text) if text.isdigit() and 0 < int(text) < size else None)
    return tuple(out)


def _as_stored(src: Any, nodata: tuple[float | None, ...]
               ) -> tuple[tuple[float | None, ...], tuple[tuple[float, ...], ...]]:
    """Each band's nodata as the band holds it (:func:`stored_values`), and the second
    value a half-float band may hold for it (another writer's rounding), per band."""
    bits = _nbits(src)
    out: list[float | None] = []
    second: list[tuple[float, ...]] = []
    for i, value in enumerate(nodata):
        held = stored_values(value, src.dtypes[i], bits[i]) if value is not None else (None,)
        out.append(held[0])
        second.append(tuple(v for v in held[1:] if v is not None))
    return tuple(out), tuple(second)


def _raw_of(src: Any, band: int, value: float) -> float | None:
    """The packed (raw) value of ``value`` stated in unpacked units, where only that
    reading fits: the band is integer and packed (``scale_factor``/``add_offset``),
    ``value`` is no whole number or beyond the type (so it cannot be packed), and
    ``(value - add_offset) / scale_factor`` is a whole number the type holds."""
    dtype = src.dtypes[band - 1]
    scale = src.scales[band - 1] if src.scales else 1.0
    offset = src.offsets[band - 1] if src.offsets else 0.0
    if np.dtype(dtype).kind not in "iu" or (scale, offset) == (1.0, 0.0) or not scale or \
            value != value or (float(value).is_integer() and value_fits(value, dtype)):
        return None
    raw = (value - offset) / scale
    near = round(raw)
    if abs(raw - near) > 1e-3 or not value_fits(float(near), dtype):
        return None
    return float(near)


def _packed_fills(src: Any, nodata: tuple[float | None, ...],
                  unheld: tuple[float | None, ...]
                  ) -> tuple[tuple[float | None, ...], tuple[float | None, ...]]:
    """A packed variable's ``_FillValue`` written in unpacked units (``-99.99`` on an int16
    variable of ``scale_factor = 0.01``, where CF has the packed ``-9999``): its packed
    value is the band's nodata (:func:`_raw_of`). Before, no cell was marked and the
    fills were ingested as -99.99, with a warning that the value cannot occur."""
    out, left = list(nodata), list(unheld)
    for i, value in enumerate(unheld):
        raw = _raw_of(src, i + 1, value) if value is not None and out[i] is None else None
        if raw is not None:
            out[i], left[i] = raw, None
    return tuple(out), tuple(left)


def _packed(src: Any, band: int, values: tuple[float, ...]) -> tuple[float, ...]:
    """``missing_value`` numbers of a packed band, each in packed units (:func:`_raw_of`)."""
    return tuple(raw if (raw := _raw_of(src, band, v)) is not None else v for v in values)


_CF_DRIVERS = frozenset({"netCDF", "HDF5", "HDF5Image", "HDF4", "HDF4Image"})
"""Drivers whose variables carry CF attributes as band metadata."""


def _cf_numbers(text: str | None) -> tuple[float, ...] | None:
    """A CF attribute GDAL gives as text (``-9999``, ``{0,2000}``), as numbers; ``None``
    when absent or not numbers."""
    if text is None:
        return None
    try:
        return tuple(float(v) for v in text.strip().strip("{}").split(",") if v.strip())
    except ValueError:
        return None


def _cf_missing_data(src: Any, nodata: tuple[float | None, ...]
                     ) -> tuple[tuple[tuple[float, ...], ...],
                                tuple[tuple[float, float] | None, ...]]:
    """Per band: the CF ``missing_value`` values other than the nodata GDAL marks, and the
    ``valid_min``/``valid_max`` bounds where no ``valid_range`` is stated.

    GDAL's netCDF driver marks ``_FillValue`` only (``missing_value`` only without it) and
    applies ``valid_range`` but neither ``valid_min`` nor ``valid_max``: a variable stating
    ``_FillValue = -9999, missing_value = -8888`` had its -8888 cells ingested as values,
    and one stating ``valid_max = 2000`` its 99999 cells (CF: both mark missing data).
    """
    missing: list[tuple[float, ...]] = []
    valid: list[tuple[float, float] | None] = []
    for band in range(1, src.count + 1):
        tags = src.tags(band)
        own = nodata[band - 1] if band <= len(nodata) else None
        values = _cf_numbers(tags.get("missing_value")) or ()
        missing.append(tuple(v for v in values if v == v and v != own))
        lo, hi = _cf_numbers(tags.get("valid_min")), _cf_numbers(tags.get("valid_max"))
        unpacked = _unpacked_bounds(src, band)
        if unpacked:
            kept = _refuse_unpacked_range(src, band, unpacked, own)
            if kept is not None:  # GDAL's packed reading drops nothing; Prospect drops
                valid.append(kept)  # what the unpacked bounds leave out
                continue
        if "valid_range" in tags or not (lo or hi):
            valid.append(None)
            continue
        bounds = (lo[0] if lo else -math.inf, hi[0] if hi else math.inf)
        if unpacked:  # a lone bound in unpacked units, which Prospect applies: to raw
            scale, offset = float(src.scales[band - 1]), float(src.offsets[band - 1])
            raw = sorted(((b - offset) / scale) for b in bounds)
            bounds = (raw[0], raw[1])
        valid.append(bounds)
    return tuple(missing), tuple(valid)


def _refuse_reversed_bounds(src: Any, path: Path | str) -> None:
    """Refuse a CF ``valid_range`` or ``valid_min``/``valid_max`` whose minimum lies above
    its maximum (the two written the wrong way round): no value can be valid by it. GDAL
    ignores such a ``valid_range`` and kept every value, fills beyond it too; Prospect
    applied such ``valid_min``/``valid_max`` and dropped every cell, leaving an empty
    layer with a warning that did not say why."""
    for band in range(1, src.count + 1):
        tags = src.tags(band)
        pair = _cf_numbers(tags.get("valid_range")) or ()
        lo, hi = _cf_numbers(tags.get("valid_min")), _cf_numbers(tags.get("valid_max"))
        var = _nc_variable(src, tags, "<variable>")
        if len(pair) == 2 and pair[0] > pair[1]:
            said = f"valid_range {pair[0]:g}, {pair[1]:g}"
            fix = f"-a valid_range,{var},o,f,'{pair[1]:g},{pair[0]:g}'"
        elif lo and hi and lo[0] > hi[0]:
            said = f"valid_min {lo[0]:g} and valid_max {hi[0]:g}"
            fix = f"-a valid_min,{var},o,f,{hi[0]:g} -a valid_max,{var},o,f,{lo[0]:g}"
        else:
            continue
        raise DataError(
            f"{path}: variable {var!r} (band {band}) states {said}, a minimum above its "
            "maximum, by which no value is valid (CF reads the bounds in that order); "
            f"write them in order (ncatted -O {fix} in.nc), or remove them if the values "
            "need no bounds")


def _refuse_degenerate_scales(src: Any, path: Path | str) -> None:
    """Refuse a band whose scale is 0 or not a finite number, or whose offset is not: a
    scale of 0 (a packing whose ``scale_factor`` was written as 0, a ``gdal_edit.py -scale
    0``) read every cell as the offset, a constant layer, exit 0; a NaN or infinite
    coefficient made every cell no data or infinite, and a NetCDF's was said to be "text,
    not a number"."""
    for band, (scale, offset) in enumerate(zip(src.scales, src.offsets, strict=False), 1):
        scale, offset = float(scale), float(offset)
        if scale != 0 and math.isfinite(scale) and math.isfinite(offset):
            continue
        bad = f"scale {scale:g}" if scale == 0 or not math.isfinite(scale) else \
            f"offset {offset:g}"
        reads = (f"every cell as {offset:g}, one value for the whole layer" if scale == 0
                 and math.isfinite(offset) else "every cell as not a number or infinite")
        if src.driver in _CF_DRIVERS:
            key = "scale_factor" if bad.startswith("scale") else "add_offset"
            var = _nc_variable(src, src.tags(band), next(
                (k.split("#")[0] for k in src.tags() if k.endswith(f"#{key}")), "<variable>"))
            fix = (f"write the packing's true {key} (ncatted -O -a {key},{var},o,f,"
                   "<value> in.nc), or unpack the file where it was made")
        else:
            fix = (f"set the band's true scale and offset (gdal_edit.py -scale <value> "
                   f"-offset <value> {Path(str(path)).name}), or remove both "
                   "(-scale 1 -offset 0) if the values are stored unscaled")
        raise DataError(
            f"{path}: band {band} states {bad}, which reads {reads}: no measurement would "
            f"survive; {fix}")


def _saga_header(src: Any) -> dict[str, str]:
    """The ``KEY = value`` lines of a SAGA grid's ``.sgrd`` header (keys upper-cased), the
    one beside its ``.sdat`` or inside its ``.sg-grd-z`` (a zip); ``{}`` where GDAL lists
    none or it cannot be read."""
    import zipfile

    text = None
    for name in map(str, src.files or []):
        if name.startswith("/vsi"):
            continue
        try:
            if name.lower().endswith(".sgrd"):
                text = Path(name).read_text(encoding="latin-1")
            elif name.lower().endswith(".sg-grd-z"):
                with zipfile.ZipFile(name) as archive:
                    member = next((m for m in archive.namelist()
                                   if m.lower().endswith(".sgrd")), None)
                    if member is not None:
                        text = archive.read(member).decode("latin-1")
        except (OSError, zipfile.BadZipFile):
            return {}
        if text is not None:
            break
    return {} if text is None else {
        key.strip().upper(): value.strip() for key, sep, value in
        (line.partition("=") for line in text.splitlines()) if sep}


def _saga_coefficients(src: Any, path: Path | str) -> tuple[float, float] | None:
    """``(scale, offset)`` of a SAGA grid whose ``.sgrd`` header states a ``Z_FACTOR``
    other than 1 or a ``Z_OFFSET`` other than 0 (SAGA reads a cell as ``Z_OFFSET +
    Z_FACTOR * stored``), else ``None``. GDAL applies neither: it reads the stored
    numbers (of ``Z_FACTOR`` it says only "does not support ZFACTORs other than 1", of
    ``Z_OFFSET`` nothing), so an int16 DEM SAGA stores in decimetres, or with an offset,
    was ingested ten times too large, or 100 m too low, exit 0. SAGA's ``NODATA_VALUE``
    is compared with the stored numbers, as GDAL's nodata is.

    Raises
    ------
    DataError
        A ``Z_FACTOR`` of 0 or a coefficient that is no number (every cell one value),
        or a no-data range (``NODATA_VALUE = -99;-90``: SAGA's "no data from .. to"),
        of which GDAL marks the first number alone.
    """
    header = _saga_header(src)
    if not header:
        return None
    name = Path(str(path)).name
    nodata = header.get("NODATA_VALUE", "")
    if ";" in nodata:
        lo, _, hi = nodata.partition(";")
        try:
            low, high = float(lo), float(hi)
        except ValueError:
            low = high = math.nan
        if low != high or math.isnan(low):
            a, b = (f"{v:g}" if math.isfinite(v) else t.strip()
                    for v, t in ((low, lo), (high, hi)))
            raise DataError(
                f"{path}: its SAGA header states the no-data range {nodata!r} "
                f"(NODATA_VALUE: every cell from {a} to {b} is no data), of which GDAL "
                f"marks {a} alone, so the other cells of the range would be read as "
                "values; give the range one value in SAGA and save the grid again, or "
                f"write a copy with one (gdal_calc.py -A {name} --calc "
                f"\"where((A>={a})*(A<={b}),{a},A)\" --NoDataValue={a} --outfile "
                "fixed.tif) and read that")
    stated: dict[str, float] = {}
    for key, none in (("Z_FACTOR", 1.0), ("Z_OFFSET", 0.0)):
        if key in header:
            stated[key] = _stated_number(
                path, key, header[key], none, where="SAGA header",
                fix=(f"write the grid's true {key} into "
                     f"{Path(str(path)).with_suffix('.sgrd').name} (1 for Z_FACTOR, 0 for "
                     "Z_OFFSET where the cells hold the values themselves)"))
    scale, offset = stated.get("Z_FACTOR", 1.0), stated.get("Z_OFFSET", 0.0)
    return None if (scale, offset) == (1.0, 0.0) else (scale, offset)


_GRASS_KEYS = frozenset({"north", "south", "east", "west", "rows", "cols", "null", "type",
                         "multiplier"})
"""The keys of a GRASS ASCII grid's header."""


def _grass_header(path: Path | str) -> dict[str, str]:
    """The ``key: value`` lines heading a local GRASS ASCII grid (keys lower-cased), up
    to its first row of cells; ``{}`` where it cannot be read."""
    out: dict[str, str] = {}
    if str(path).startswith("/vsi") or "://" in str(path):
        return out
    try:
        with open(path, encoding="latin-1") as fh:
            for line in itertools.islice(fh, len(_GRASS_KEYS) + 1):
                key, sep, value = line.partition(":")
                if not sep or key.strip().lower() not in _GRASS_KEYS:
                    break
                out[key.strip().lower()] = value.strip()
    except OSError:
        return {}
    return out


def _stated_number(path: Path | str, key: str, text: str, none: float, *, where: str,
                   fix: str) -> float:
    """``text``, the number a header states for ``key`` (``none`` where it states that
    no scaling is done), as a float.

    Raises
    ------
    DataError
        A factor of 0 (every cell one value) or a text that is no finite number.
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if value == none or (math.isfinite(value) and (none == 0.0 or value != 0)):
        return value
    raise DataError(
        f"{path}: its {where} states {key} = {text}, which reads every cell "
        + ("as one value for the whole layer" if value == 0 else "as not a number")
        + f": no measurement would survive; {fix}")


def header_coefficients(src: Any, path: Path | str) -> tuple[float, float] | None:
    """``(scale, offset)`` by which a raster's own header says its stored numbers are
    read (``value = stored * scale + offset``) where GDAL applies neither, else ``None``:

    * a SAGA grid's ``Z_FACTOR`` and ``Z_OFFSET`` (its ``.sgrd``;
      :func:`_saga_coefficients`);
    * a GRASS ASCII grid's ``multiplier:`` (``r.in.ascii`` multiplies every value by it);
    * an ENVI file's ``reflectance scale factor`` (the number its values are divided by
      to be reflectance, ``10000`` for most: scale 1/10000), where GDAL applies no
      ``data gain values`` or ``data offset values`` of the header.

    GDAL reads the stored numbers of all three (of SAGA's ``Z_FACTOR`` it says only "does
    not support ZFACTORs other than 1"), so a grid stored in decimetres was ingested ten
    times too large, one of ``Z_OFFSET = 100`` 100 m too low, and a reflectance stored
    as DN 0..10000 as reflectances up to 10000, exit 0. They are the file's own
    coefficients (:meth:`RasterInfo.coefficients`), as a GeoTIFF's scale tags are.

    Raises
    ------
    DataError
        A factor of 0, a coefficient that is no number, or (SAGA) a no-data range.
    """
    if src.driver == "SAGA":
        return _saga_coefficients(src, path)
    if any(float(v) != 1.0 for v in src.scales or ()) or any(
            float(v) != 0.0 for v in src.offsets or ()):
        return None  # GDAL applies the header's own (ENVI's data gain values)
    if src.driver == "GRASSASCIIGrid":
        text = _grass_header(path).get("multiplier")
        key, where, none = "multiplier", "GRASS ASCII header", 1.0
        fix = ("write the grid's true multiplier in its header (1 where the cells hold the "
               "values themselves)")
    elif src.driver == "ENVI":
        text = src.tags(ns="ENVI").get("reflectance_scale_factor")
        key, where, none = "reflectance scale factor", "ENVI header", 1.0
        fix = (f"write the true factor into {Path(str(path)).with_suffix('.hdr').name} "
               "(1 where the values are reflectances already), or remove the line")
    else:
        return None
    if text is None:
        return None
    factor = _stated_number(path, key, str(text).strip(), none, where=where, fix=fix)
    if factor == none:
        return None
    return (1.0 / factor, 0.0) if src.driver == "ENVI" else (factor, 0.0)


_PACKING = {"scale_factor": 1.0, "add_offset": 0.0}
"""CF's packing attributes and what each is where none is stated."""


def unapplied_packing(src: Any) -> tuple[tuple[tuple[str, str, float], ...], ...]:
    """Per band of an open dataset: the ``scale_factor``/``add_offset`` its metadata
    states as one number that GDAL does not apply to an integer band, as ``(tag, where,
    value)`` (``where``: ``"band"`` or ``"dataset"``); ``()`` for a band without any.

    A GeoTIFF whose tags say ``scale_factor=0.1`` (a hand edit, ``gdal_edit.py -mo``, a
    writer that tags its CF attributes, a NetCDF copied with ``gdal_translate`` and its
    GDAL scale later dropped) while GDAL reads the band with scale 1 had its packed
    integers ingested as values, ten times too large, exit 0. A netCDF's are refused by
    :func:`_refuse_unapplied_packing`; a float band's are left (what ``gdal_translate
    -unscale -ot Float32`` leaves beside values it has unpacked). The dataset's tags are
    a band's where the file has one band, or where they name the band's NetCDF variable.
    """
    dataset = src.tags()
    found: list[tuple[tuple[str, str, float], ...]] = []
    for band in range(1, src.count + 1):
        if np.dtype(src.dtypes[band - 1]).kind not in "iu":
            found.append(())
            continue
        tags = src.tags(band)
        var = str(tags.get("NETCDF_VARNAME", "")).strip()
        applied = {"scale_factor": float(src.scales[band - 1]) if src.scales else 1.0,
                   "add_offset": float(src.offsets[band - 1]) if src.offsets else 0.0}
        held: list[tuple[str, str, float]] = []
        for key, none in _PACKING.items():
            named = [(k, "band", v) for k, v in tags.items()
                     if k == key or k.endswith(f"#{key}")]
            named += [(k, "dataset", v) for k, v in dataset.items()
                      if (k == key or k.endswith(f"#{key}")) and (
                          src.count == 1 or (var and k == f"{var}#{key}"))]
            for tag, where, text in named[:1]:
                stated = _cf_numbers(str(text))
                if stated is None or len(stated) != 1 or stated[0] == none:
                    continue
                if applied[key] == none:  # GDAL applies none: the tag alone states it
                    held.append((tag, where, stated[0]))
        found.append(tuple(held))
    return tuple(found)


def _refuse_unapplied_packing(src: Any, path: Path | str) -> None:
    """Refuse a netCDF variable whose ``scale_factor`` or ``add_offset`` GDAL does not
    apply: one written as text (``scale_factor = "0.01"``, a string attribute some
    writers and hand edits leave) is listed in the metadata but read as no scale, so
    int16 values of heat flow in 0.01 mW/m2 were ingested a hundred times too large,
    exit 0. CF has both attributes numbers of the unpacked type."""
    if src.driver != "netCDF":
        return
    for band in range(1, src.count + 1):
        tags = src.tags(band)
        applied = {"scale_factor": float(src.scales[band - 1]) if src.scales else 1.0,
                   "add_offset": float(src.offsets[band - 1]) if src.offsets else 0.0}
        for key, used in applied.items():
            if key not in tags:
                continue
            stated = _cf_numbers(tags[key])
            if stated is not None and len(stated) == 1 and (
                    abs(stated[0] - used) <= 1e-6 * max(abs(stated[0]), abs(used), 1e-30)):
                continue
            name = _nc_variable(src, tags, "the variable")
            shown = str(tags[key])[:40]
            number = f"{stated[0]:g}" if stated and len(stated) == 1 else "<number>"
            raise DataError(
                f"{path}: variable {name!r} states {key} {shown!r}, which GDAL does not "
                f"apply (it reads {key} {used:g}: the attribute is text, not a number, or "
                f"not one number), so every value would be read with {key} {used:g}; "
                f"write it as a number (ncatted -O -a {key},{name},o,f,{number} in.nc)")


def _refuse_cf_texts(src: Any, path: Path | str) -> None:
    """Refuse a netCDF variable whose CF missing-data attribute is text GDAL and Prospect
    read otherwise than it says (a string attribute a hand edit, ``ncatted ... o,c,...``,
    or another writer leaves; CF has them numbers of the variable's type): a
    ``_FillValue`` of ``"NaN"`` GDAL read as nodata 7.2e-39 (the text's bytes), a
    ``valid_range`` of ``"0,10"`` GDAL does not apply, a ``missing_value``,
    ``valid_min`` or ``valid_max`` of ``"-9999 m"`` or a word that is no number: each was
    ignored, and the cells it marks missing (-9999 fills) ingested as values, exit 0,
    without a word. A text that GDAL reads as the number it says (``"-9999"``) is left
    as it is (:func:`_refuse_unapplied_packing` does so for ``scale_factor``).

    Raises
    ------
    DataError
        Naming the file, the variable, the attribute, its text and the ``ncatted`` line.
    """
    if src.driver != "netCDF":
        return
    for band in range(1, src.count + 1):
        tags = src.tags(band)
        own = src.nodatavals[band - 1] if band <= len(src.nodatavals) else None
        for key in ("_FillValue", "missing_value", "valid_range", "valid_min", "valid_max"):
            text = tags.get(key)
            if text is None:
                continue
            stated = _cf_numbers(text)
            if stated is None:
                why, number = "text that is no number, which GDAL does not apply", "<number>"
            elif key == "valid_range" and not text.strip().startswith("{"):
                why = "text, which GDAL does not apply (it applies a pair of numbers)"
                number = ",".join(f"{v:g}" for v in stated)
            elif key == "_FillValue" and len(stated) == 1 and math.isnan(stated[0]) and \
                    own is not None and not math.isnan(own):
                why, number = f"text, which GDAL reads as nodata {own:g}", "NaN"
            else:
                continue
            name = _nc_variable(src, tags, "the variable")
            kind = np.dtype(src.dtypes[band - 1])
            ncatted = ("d" if kind.itemsize == 8 else "f") if kind.kind == "f" else \
                _NCATTED_TYPES.get(f"{kind.kind}{kind.itemsize}", "<type>")
            raise DataError(
                f"{path}: variable {name!r} states {key} {str(text)[:40]!r}, {why}, so the "
                "cells it marks as missing would be read as values; write it as a number of "
                f"the variable's type (ncatted -O -a {key},{name},o,{ncatted},{number} in.nc)")


_NCATTED_TYPES = {"i1": "b", "u1": "ub", "i2": "s", "u2": "us", "i4": "i", "u4": "ui",
                  "i8": "ll", "u8": "ull"}
"""Integer types as ``ncatted`` names them (its ``-a name,var,o,<type>,...``)."""


_GDAL_KINDS = {1: "u1", 2: "u2", 3: "i2", 4: "u4", 5: "i4", 6: "f4", 7: "f8", 12: "u8",
               13: "i8", 14: "i1"}
"""GDAL's ``GDALDataType`` numbers as numpy ``kind`` + size."""

_GDAL_C: list[Any] = []


def _gdal_c() -> Any:
    """The GDAL library rasterio runs on, through ``ctypes`` (its multidimensional API,
    which rasterio does not wrap); ``None`` where it cannot be found."""
    if _GDAL_C:
        return _GDAL_C[0]
    import ctypes

    lib = None
    try:  # the copy already loaded: rasterio's own where a wheel bundles it (another
        # package's bundled GDAL, pyogrio's, may be loaded too, without the same drivers)
        with open("/proc/self/maps") as fh:
            loaded = sorted({ln.split()[-1] for ln in fh
                             if ln.split() and "libgdal" in Path(ln.split()[-1]).name})
        bundled = str(Path(rasterio.__file__).parent.parent / "rasterio.libs") + os.sep
        own = [f for f in loaded if f.startswith(bundled)]
        found = own[0] if own else loaded[0] if len(loaded) == 1 else None
        lib = ctypes.CDLL(found) if found else None
    except (OSError, IndexError):
        lib = None
    if lib is not None:
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        for fn, args, res in (
                ("GDALOpenEx", [cp, ctypes.c_uint, vp, vp, vp], vp),
                ("GDALDatasetGetRootGroup", [vp], vp),
                ("GDALGroupOpenMDArray", [vp, cp, vp], vp),
                ("GDALGroupOpenMDArrayFromFullname", [vp, cp, vp], vp),
                ("GDALMDArrayGetDataType", [vp], vp),
                ("GDALMDArrayGetAttribute", [vp, cp], vp),
                ("GDALAttributeGetDataType", [vp], vp),
                ("GDALExtendedDataTypeGetClass", [vp], ctypes.c_int),
                ("GDALExtendedDataTypeGetNumericDataType", [vp], ctypes.c_int),
                ("GDALExtendedDataTypeRelease", [vp], None),
                ("GDALAttributeRelease", [vp], None),
                ("GDALMDArrayRelease", [vp], None),
                ("GDALGroupRelease", [vp], None),
                ("GDALClose", [vp], None),
                ("GDALAllRegister", [], None),
                # its file API (prospect.io.remote.read_store_text)
                ("VSIFOpenExL", [cp, cp, ctypes.c_int], vp),
                ("VSIIngestFile", [vp, cp, ctypes.POINTER(vp),
                                   ctypes.POINTER(ctypes.c_uint64), ctypes.c_int64],
                 ctypes.c_int),
                ("VSIFCloseL", [vp], ctypes.c_int),
                ("VSIFree", [vp], None),
                ("VSIErrorReset", [], None),
                ("VSIGetLastErrorNo", [], ctypes.c_int),
                ("VSIGetLastErrorMsg", [], cp),
                ("CPLGetLastErrorMsg", [], cp)):
            func = getattr(lib, fn, None)
            if func is None:
                lib = None
                break
            func.argtypes, func.restype = args, res
    if lib is not None:
        lib.GDALAllRegister()  # as rasterio does on its first open; registers once
    _GDAL_C.append(lib)
    return lib


def _kind_of(lib: Any, edt: Any) -> str | None:
    """An extended data type's numpy ``kind`` + size (numeric types only); releases it."""
    if not edt:
        return None
    try:
        if lib.GDALExtendedDataTypeGetClass(edt) != 0:  # GEDTC_NUMERIC
            return None
        return _GDAL_KINDS.get(lib.GDALExtendedDataTypeGetNumericDataType(edt))
    finally:
        lib.GDALExtendedDataTypeRelease(edt)


def _hdf5_types(path: str, name: str) -> tuple[str, dict[str, str]] | None:
    """:func:`_variable_types` of a netCDF-4 (HDF5) file, through GDAL's multidimensional
    API, which keeps each attribute's type (the classic API's metadata text does not)."""
    lib = _gdal_c()
    if lib is None:
        return None
    ds = lib.GDALOpenEx(path.encode(), 0x10, None, None, None)  # GDAL_OF_MULTIDIM_RASTER
    if not ds:
        return None
    root = arr = None
    try:
        root = lib.GDALDatasetGetRootGroup(ds)
        if not root:
            return None
        arr = (lib.GDALGroupOpenMDArrayFromFullname(root, name.encode(), None)
               if name.startswith("/") else lib.GDALGroupOpenMDArray(root, name.encode(), None))
        if not arr:
            return None
        own = _kind_of(lib, lib.GDALMDArrayGetDataType(arr))
        if own is None:
            return None
        attrs: dict[str, str] = {}
        for key in ("valid_range", "valid_min", "valid_max", "_FillValue", "missing_value",
                    "scale_factor", "add_offset"):
            attr = lib.GDALMDArrayGetAttribute(arr, key.encode())
            if attr:
                kind = _kind_of(lib, lib.GDALAttributeGetDataType(attr))
                lib.GDALAttributeRelease(attr)
                if kind is not None:
                    attrs[key] = kind
        return own, attrs
    finally:
        if arr:
            lib.GDALMDArrayRelease(arr)
        if root:
            lib.GDALGroupRelease(root)
        lib.GDALClose(ds)


def _variable_types(path: str, name: str) -> tuple[str, dict[str, str]] | None:
    """The type of variable ``name`` of a netCDF file and of each of its attributes
    (numpy ``kind`` + size, ``"i2"``, ``"f4"``), read from the header alone: a netCDF-3
    file's by scipy, a netCDF-4 (HDF5) file's through GDAL's multidimensional API
    (:func:`_hdf5_types`); ``None`` where neither reads it."""
    from scipy.io import netcdf_file

    try:
        with open(path, "rb") as fh:
            hdf5 = fh.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return None
    if hdf5:
        return _hdf5_types(path, name)
    try:
        nc = netcdf_file(path, "r", mmap=True, maskandscale=False)
    except Exception:  # any file scipy cannot parse: its types are unknown
        return None
    try:
        var = nc.variables.get(name)
        if var is None:
            return None
        kind = np.dtype(var.typecode())
        out = (f"{kind.kind}{kind.itemsize}",
               {k: f"{np.asarray(v).dtype.kind}{np.asarray(v).dtype.itemsize}"
                for k, v in var._attributes.items()})
        del var
        return out
    finally:
        nc.variables.clear()  # no view left on the mapped file, so it closes quietly
        nc.close()


def _unpacked_bounds(src: Any, band: int) -> tuple[str, ...]:
    """The ``valid_range``/``valid_min``/``valid_max`` attributes of a packed integer
    netCDF variable stated in unpacked units, told by their type.

    CF (1.11, section 8.1) and the netCDF User Guide have them in packed units, of the
    packed variable's type; a file whose bounds are of a float type (the type of
    ``scale_factor``, wider than the packed integers) states them in unpacked units, as
    netCDF-Java and older COARDS files read them. GDAL's metadata text does not carry the
    type (``{0,5}`` either way), so it is read from the file's header
    (:func:`_variable_types`; ``()`` where it cannot be read: bounds taken as packed, as
    CF has them).
    """
    if src.driver != "netCDF" or np.dtype(src.dtypes[band - 1]).kind not in "iu":
        return ()
    scale = src.scales[band - 1] if src.scales else 1.0
    offset = src.offsets[band - 1] if src.offsets else 0.0
    tags = src.tags(band)
    stated = [k for k in ("valid_range", "valid_min", "valid_max") if k in tags]
    if (scale, offset) == (1.0, 0.0) or not stated or not scale:
        return ()
    name = tags.get("NETCDF_VARNAME")
    file = _DRIVER_NAME.match(src.name)
    path = (file.group(1) or file.group(2)) if file else src.name
    full = src.name.rsplit(":", 1)[-1] if file else ""
    name = full if full.startswith("/") and full.endswith("/" + str(name)) else name
    types = _variable_types(path, name) if name else None
    if types is None:
        return ()
    own, attrs = types
    return tuple(k for k in stated if attrs.get(k, own)[0] == "f" and own[0] in "iu")


def _refuse_unpacked_range(src: Any, band: int, unpacked: tuple[str, ...],
                           nodata: float | None) -> tuple[float, float] | None:
    """Refuse a packed variable whose bounds GDAL applies to its packed values although
    they are in unpacked units (:func:`_unpacked_bounds`): ``valid_range``, or both
    ``valid_min`` and ``valid_max``. A ``valid_range = 0.f, 5.f`` on int16 values 0..500
    of ``scale_factor`` 0.01 left the cells of raw 0..5 alone: 98 % of the grid was no
    data, exit 0. A lone bound is converted instead (Prospect applies it), and so are
    bounds whose packed reading drops no value the unpacked one keeps (a double
    ``{-32767, 32767}`` on int16 of fill -32768): returned, raw, for Prospect to apply.
    ``None``: nothing to apply here."""
    tags = src.tags(band)
    if "valid_range" not in unpacked and not {"valid_min", "valid_max"} <= set(unpacked):
        return None
    name = _nc_variable(src, tags, "the variable")
    dtype = np.dtype(src.dtypes[band - 1])
    scale, offset = float(src.scales[band - 1]), float(src.offsets[band - 1])
    key = "valid_range" if "valid_range" in unpacked else "valid_min/valid_max"
    stated = (_cf_numbers(tags.get("valid_range")) if key == "valid_range" else
              (*(_cf_numbers(tags.get("valid_min")) or ()),
               *(_cf_numbers(tags.get("valid_max")) or ())))
    if stated is not None and len(stated) >= 2:
        limits = np.iinfo(dtype)
        lo_u, hi_u = sorted((v - offset) / scale for v in stated[:2])
        lo_u, hi_u = max(lo_u, float(limits.min)), min(hi_u, float(limits.max))
        lo_u += 1.0 if nodata is not None and math.ceil(lo_u) == nodata else 0.0
        hi_u -= 1.0 if nodata is not None and math.floor(hi_u) == nodata else 0.0
        if min(stated[:2]) <= math.ceil(lo_u) and math.floor(hi_u) <= max(stated[:2]):
            return (lo_u, hi_u)
    raw = sorted(round((v - offset) / scale) for v in (stated or ())[:2])
    ncatted = _NCATTED_TYPES.get(f"{dtype.kind}{dtype.itemsize}", "s")
    values = ",".join(str(v) for v in raw)
    fix = (f"ncatted -O -a valid_range,{name},o,{ncatted},{values} in.nc"
           if key == "valid_range" and len(raw) == 2 else
           f"ncatted -O -a valid_min,{name},o,{ncatted},{raw[0]} -a valid_max,{name},o,"
           f"{ncatted},{raw[-1]} in.nc" if raw else "ncatted")
    shown = "{" + ",".join(f"{v:g}" for v in (stated or ())) + "}"
    raise DataError(
        f"{src.name}: variable {name!r} is packed ({dtype.name} values x scale_factor "
        f"{scale:g} + add_offset {offset:g}) and states {key} {shown} as floats, in "
        "unpacked units, but GDAL applies it to the packed values and would drop every cell "
        f"whose packed number lies outside {shown}; state it in packed units, "
        f"the variable's own type ({fix}), or remove it")


_WORLD_FILES = (".tfw", ".tifw", ".tiffw", ".wld", ".jgw", ".jpgw", ".pgw", ".pngw", ".gfw")
_PRJ_FORMATS = {"AAIGrid": "an ESRI ASCII grid", "XYZ": "an XYZ grid",
                "GSAG": "a Surfer grid", "GSBG": "a Surfer grid", "GS7BG": "a Surfer grid",
                "EHdr": "an ESRI .hdr grid"}
"""Drivers of formats that hold no CRS of their own (at most a ``.prj`` beside them)."""


def _keeps_prj(src: Any, path: Path | str) -> bool:
    """Whether the local raster ``src`` (read from ``path``) keeps its CRS in the ``.prj``
    beside it: a format that holds none of its own (:data:`_PRJ_FORMATS`), or an image
    without a CRS placed by a world file (``heat.tif`` + ``heat.tfw`` + ``heat.prj``, as
    ArcGIS, Global Mapper and many survey archives ship one). GDAL reads neither's
    ``.prj`` (but an ESRI ASCII or ``.hdr`` grid's), so a GeoTIFF placed by its world
    file beside an ESRI-WKT ``.prj`` was refused as having "no CRS GDAL can read", the
    ``.prj`` unnamed."""
    if str(path).startswith("/vsi") or "://" in str(path):
        return False
    if src.driver in _PRJ_FORMATS:
        return True
    return src.crs is None and any(Path(str(f)).suffix.lower() in _WORLD_FILES
                                   for f in (src.files or []))


_SOUTH_UP_TEXT = frozenset({"GSAG", "GSBG", "GS7BG"})
"""Drivers of grids stored south row first (Surfer's): GDAL's first row is the end of the
file, read at planning so that a file cut short is refused there."""

_SPLIT_FORMATS = frozenset({"AIG"}) | _RAW_DRIVERS
"""Drivers of formats that keep one grid in several files (:attr:`RasterInfo.companions`);
a GeoTIFF's or NetCDF's sidecars (``.aux.xml``, world files) are not among them."""


def companion_files(src: Any, path: Path | str) -> tuple[str, ...]:
    """:attr:`RasterInfo.companions` of the open ``src`` read from ``path``: the other
    files GDAL lists of a format kept in several (not the ``.aux.xml`` GDAL may write
    itself), the ``.prj`` beside a format that keeps its CRS there (read by GDAL or by
    :func:`_prj_crs`), the sidecars whose content GDAL applies to any file
    (:func:`_applied_sidecars`), and an ArcGIS value attribute table naming its classes
    (``.vat.dbf``, :func:`_vat_classes`); local files only."""
    if str(path).startswith("/vsi") or "://" in str(path):
        return ()
    own = os.path.abspath(str(path))
    found: list[str] = []
    if src.driver in _SPLIT_FORMATS:
        found += [str(f) for f in src.files or []
                  if not str(f).lower().endswith(".aux.xml") and Path(f).is_file()]
    if _keeps_prj(src, path):
        prj = Path(path).with_suffix(".prj")
        if prj.is_file():
            found.append(str(prj))
    found += _applied_sidecars(src.files or [])
    found += [str(path) + ext for ext in (".vat.dbf", ".VAT.DBF", ".vat.DBF")  # its names
              if Path(str(path) + ext).is_file()]  # (:func:`_vat_classes`)
    return tuple(dict.fromkeys(f for f in found if os.path.abspath(f) != own))


_APPLIED_AUX = ("NoDataValue", "Scale", "Offset", "UnitType", "SRS", "GeoTransform",
                "LAYER_TYPE", "CategoryNames", "GDALRasterAttributeTable", "ColorTable",
                "AREA_OR_POINT")
"""What an ``.aux.xml`` states that GDAL applies to a file's values or placing (statistics
are not: GDAL writes them itself, so an ``.aux.xml`` of statistics alone is no input)."""


def _applied_sidecars(files: list[str]) -> list[str]:
    """The sidecars among a file's ``files`` whose content GDAL applies to its values or
    placing: an ``.aux.xml`` stating a nodata, scale, offset, CRS, grid or classes
    (:data:`_APPLIED_AUX`), a world file, an external ``.msk`` mask.

    They are inputs of the layer (:attr:`RasterInfo.companions`): an ``.aux.xml`` edited
    between two runs into the same ``-o`` (another scale, offset or nodata) or a world
    file moved east was not seen, the rerun said "config and inputs unchanged" and kept
    the cube of the old values, exit 0."""
    out: list[str] = []
    for f in files[1:]:
        name = str(f).lower()
        if name.startswith("/vsi") or not Path(f).is_file():
            continue
        if name.endswith(".aux.xml"):
            try:
                text = Path(f).read_text(errors="replace")
            except OSError:
                continue
            if any(key in text for key in _APPLIED_AUX):
                out.append(str(f))
        elif Path(name).suffix in _WORLD_FILES or name.endswith(".msk"):
            out.append(str(f))
    return out


def _prj_crs(src: Any, path: Path | str) -> CRS | None:
    """The CRS of the ``.prj`` beside a grid of a format that keeps its CRS there, where
    GDAL's driver does not read it: GDAL reads an ESRI ASCII grid's ``.prj``, but not an
    XYZ grid's or a Surfer grid's (Surfer writes one beside its ``.grd``), so a file
    whose ``.prj`` stated its CRS in ESRI's or OGC's WKT was refused as having none, the
    ``.prj`` said to "hold no CRS GDAL reads"; the same of an image placed by a world
    file (:func:`_keeps_prj`). ``None`` where there is none, it does not parse, or the
    format is another."""
    if not _keeps_prj(src, path):
        return None
    prj = Path(path).with_suffix(".prj")
    try:
        text = prj.read_text(errors="strict").strip() if prj.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return None
    if not text or len(text) > 1 << 16:
        return None
    try:
        return CRS.from_user_input(text)
    except Exception:  # a .prj PROJ cannot read: ArcInfo's keywords, else said below
        return _esri_keyword_crs(text)


_ESRI_KEYWORDS = re.compile(r"^\s*projection\s+\S", re.IGNORECASE | re.MULTILINE)
"""The first line of an ArcInfo (Workstation) ``.prj`` of keywords (``Projection UTM``,
``Zone 19``, ``Datum WGS84``, ``Parameters``), which PROJ does not read."""


def _esri_keyword_crs(text: str) -> CRS | None:
    """The CRS of an ArcInfo ``.prj`` of keywords (``Projection UTM`` / ``Zone 19`` /
    ``Datum WGS84`` ...), as GDAL reads one beside an ESRI ASCII grid (its
    ``OSRImportFromESRI``), else ``None``.

    ArcInfo Workstation, older Geosoft and many survey archives wrote a grid's ``.prj``
    in these keywords, not in WKT; PROJ reads neither the keywords nor their
    ``Parameters`` block, so an XYZ or Surfer grid beside such a ``.prj`` was refused as
    having "no CRS GDAL can read" although GDAL reads the same ``.prj`` beside an ESRI
    ASCII grid. GDAL is asked through a one-cell ESRI ASCII grid in its memory file
    system with the ``.prj`` beside it."""
    if not _ESRI_KEYWORDS.search(text):
        return None
    from rasterio.io import MemoryFile

    folder = f"prospect-prj-{os.getpid()}-{threading.get_ident()}-{id(text)}"
    cell = b"ncols 1\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n0\n"
    try:
        with (MemoryFile(cell, dirname=folder, filename="grid.asc") as grid,
              MemoryFile(text.encode(), dirname=folder, filename="grid.prj"),
              warnings.catch_warnings(), gdal_settings(CPL_LOG="OFF")):
            warnings.simplefilter("ignore")
            with grid.open() as probe:
                found = probe.crs
        read = CRS.from_wkt(found.to_wkt()) if found else None
    except Exception:  # GDAL reads no CRS from it either: said as before
        return None
    # a projection GDAL does not know is read as a local (engineering) system: no CRS
    return None if read is None or read.is_engineering else read


def _esri_keywords(text: str) -> tuple[dict[str, str], list[str]]:
    """An ArcInfo keyword ``.prj``'s keywords (lower case -> the rest of their line, as
    written) and the lines of its ``Parameters`` block."""
    keywords: dict[str, str] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        word, _, rest = line.strip().partition(" ")
        if word.lower() == "parameters":
            return keywords, [x.strip() for x in lines[i + 1:] if x.strip()]
        if word:
            keywords.setdefault(word.lower(), rest.strip())
    return keywords, []


_FULL_ESRI_PROJECTIONS = frozenset({"GEOGRAPHIC", "UTM", "STATEPLANE", "GREATBRITAIN_GRID",
                                    "ALBERS", "LAMBERT", "TRANSVERSE", "MERCATOR",
                                    "POLAR", "POLYCONIC", "EQUIDISTANT_CONIC", "STEREOGRAPHIC",
                                    "LAMBERT_AZIMUTHAL", "AZIMUTHAL_EQUIDISTANT",
                                    "ORTHOGRAPHIC", "GNOMONIC", "ROBINSON", "SINUSOIDAL",
                                    "EQUIRECTANGULAR", "MILLER", "VANDERGRINTEN",
                                    "HOTINE", "KROVAK", "NEW_ZEALAND_MAP_GRID"})
"""ArcInfo projections; those of :data:`_PARAMETER_FREE` need no ``Parameters`` block."""

_PARAMETER_FREE = frozenset({"GEOGRAPHIC", "UTM", "STATEPLANE", "GREATBRITAIN_GRID"})


def esri_keyword_gap(text: str) -> str | None:
    """What an ArcInfo keyword ``.prj`` states that GDAL reads only in part, or ``None``:
    a UTM ``Zone`` missing or negative (ArcInfo's southern zones: GDAL 3.6 reads both
    as zone 30 north), an ``Xshift``/``Yshift`` other than 0 (GDAL drops the shift), or
    a projection with no ``Parameters`` (GDAL fills its standard parallels, origin and
    false easting with 0). Each placed a grid hundreds of kilometres or a shift away,
    and then "none of its files overlap" the region, or worse, overlap it.

    Parameters
    ----------
    text
        The ``.prj``'s text.
    """
    if not _ESRI_KEYWORDS.search(text):
        return None
    keywords, parameters = _esri_keywords(text)
    projection = keywords.get("projection", "").split(" ")[0].upper()
    if projection == "UTM":
        zone = keywords.get("zone", "")
        if not zone:
            return ("states 'Projection UTM' without a 'Zone' line, and GDAL then takes a "
                    "zone of its own choosing")
        if not zone.isdigit() or not 1 <= int(zone) <= 60:
            return (f"states 'Zone {zone}' (ArcInfo writes a southern zone as negative), "
                    "which GDAL reads as another zone")
    for key in ("xshift", "yshift"):
        try:
            shift = float(keywords.get(key, "0") or 0)
        except ValueError:
            shift = 0.0
        if shift != 0:
            return (f"states '{key.capitalize()} {keywords[key]}', a shift of every "
                    "coordinate GDAL does not apply")
    if projection in _FULL_ESRI_PROJECTIONS - _PARAMETER_FREE and not parameters:
        return (f"states 'Projection {projection}' without the 'Parameters' it needs "
                "(standard parallels, origin, false easting), and GDAL reads each as 0")
    return None


def _refuse_partial_prj(src: Any, path: Path | str) -> None:
    """Refuse a grid whose ``.prj`` (of a format that keeps its CRS there) is in
    ArcInfo's keywords and states what GDAL reads only in part (:func:`esri_keyword_gap`):
    GDAL's ESRI ASCII and ``.hdr`` grid drivers read such a ``.prj`` themselves, and
    :func:`_prj_crs` reads it as they do for XYZ and Surfer grids, so the grid was placed
    by a CRS GDAL had filled in, without a word (an image placed by a world file the
    same, :func:`_keeps_prj`)."""
    if not _keeps_prj(src, path):
        return
    prj = Path(path).with_suffix(".prj")
    try:
        text = prj.read_text(errors="replace") if prj.is_file() else ""
    except OSError:
        return
    gap = esri_keyword_gap(text[:1 << 16])
    if gap:
        raise CRSError(
            f"{path}: its CRS file {prj.name} is in ArcInfo's keywords and {gap}: the grid "
            "would be placed by a CRS GDAL filled in; give the CRS with 'crs:' in the "
            "source config (e.g. crs: 'EPSG:32719' for WGS 84 / UTM zone 19 south), or "
            f"write {prj.name} as WKT (gdalsrsinfo -o wkt_esri EPSG:<code> > {prj.name})")


def _grid_bounds(info: dict[str, Any]) -> tuple[float, float, float, float]:
    """West, south, east and north of a grid's corners (its ``transform``, ``width`` and
    ``height``), in its own numbers (a rotated grid's four corners)."""
    a, b, c, d, e, f = info["transform"]
    w, h = info["width"], info["height"]
    xs = [c + a * col + b * row for col, row in ((0, 0), (w, 0), (0, h), (w, h))]
    ys = [f + d * col + e * row for col, row in ((0, 0), (w, 0), (0, h), (w, h))]
    return min(xs), min(ys), max(xs), max(ys)


def _why_no_crs(src: Any, path: Path | str) -> str:
    """Why a raster GDAL opens has no CRS, for the error: a format that keeps it in a
    ``.prj`` beside the file (named), a grid placed by a world file (which holds none),
    else a CRS that may sit in a non-standard attribute."""
    files = [Path(f) for f in (src.files or [])]
    world = [f.name for f in files if f.suffix.lower() in _WORLD_FILES]
    prj = Path(path).with_suffix(".prj")
    if src.driver in _PRJ_FORMATS:
        state = ("holds no CRS GDAL reads" if prj.is_file() else "is not there")
        return (f"{_PRJ_FORMATS[src.driver]} keeps its CRS in a .prj file beside it, and "
                f"{prj.name} {state}")
    if world:
        held = (f", and {prj.name} beside it holds no CRS GDAL reads" if prj.is_file()
                else "")
        return (f"it is placed by the world file {world[0]}, which holds a grid but never "
                f"a CRS{held}")
    if src.driver in _CF_DRIVERS:
        return _why_no_cf_crs(src)
    return "it may sit in a non-standard attribute"


_CRS_ATTRIBUTES = ("crs", "proj4", "proj4text", "proj4_string", "spatial_ref", "epsg",
                   "epsg_code", "srs")
"""Attributes outside CF that writers put a CRS in (xarray's and rasterio's older
``crs = "+init=epsg:32719"``, ``proj4``, ``epsg_code``)."""


def _crs_attribute(tags: dict[str, str]) -> str:
    """A CRS a NetCDF's variable or global attribute outside CF states, for the error
    (``"'crs' = '+init=epsg:32719' in an attribute GDAL does not read: if it is right,
    give crs: 'EPSG:32719'"``); ``""`` where none reads as a CRS with an EPSG code."""
    from pyproj.exceptions import CRSError as ProjCRSError

    for key, value in tags.items():
        attr = key.rpartition("#")[2]
        if attr.lower() not in _CRS_ATTRIBUTES:
            continue
        text = str(value).strip()
        try:
            code = CRS.from_user_input(f"EPSG:{text}" if text.isdigit() else text).to_epsg()
        except ProjCRSError:
            continue
        if code:
            return (f"{attr!r} = {text!r} in an attribute GDAL does not read: if it is "
                    f"right, give crs: 'EPSG:{code}'")
    return ""


def _why_no_cf_crs(src: Any) -> str:
    """:func:`_why_no_crs` of a NetCDF/HDF variable: no ``grid_mapping`` attribute (CF's
    way to state a CRS; longitude/latitude coordinates then have a datum CF leaves
    unsaid), one that names no variable of the file, or a grid-mapping variable GDAL
    reads no CRS from."""
    tags = src.tags()
    maps = [str(v).strip() for k, v in tags.items() if k.endswith("#grid_mapping")]
    if not maps:
        units = {str(tags.get(f"{n}#units", "")).lower() for n in _axis_variables(src).values()}
        said = "its variable has no 'grid_mapping' attribute, CF's way to state a CRS"
        stated = _crs_attribute(tags)
        if stated:
            said += f"; it states {stated}"
        elif any(u.startswith("degree") for u in units):
            said += (", and its coordinates are longitude/latitude in degrees, whose datum "
                     "CF then leaves unsaid (WGS 84 is crs: 'EPSG:4326')")
        return said
    mapping = maps[0].split(":")[0].split()[0] if maps[0] else ""
    group = _group_of(src)
    if not any(k.startswith((f"{mapping}#", f"{group}/{mapping}#")) for k in tags):
        return (f"its grid_mapping attribute names {mapping!r}, a variable the file does "
                "not hold")
    return (f"its grid_mapping variable {mapping!r} states no CRS GDAL reads (no crs_wkt, "
            "spatial_ref or CF grid_mapping_name with its parameters)")


def _check_vrt_sources(path: Path) -> Any:
    """Refuse a VRT whose source files are paths relative to the folder Prospect runs in
    (``relativeToVRT="0"`` with a relative path, as ``gdalbuildvrt`` writes one built in
    another folder): the layer would depend on where it is run (and on each worker's
    folder), and a same-named file there would be read instead without a word. A source
    that is missing is named with where it was looked for, and one whose name ends in a
    space or line break (GDAL keeps it: the file was "corrupt, truncated or not a raster")
    is refused naming the file that is there. Returns the parsed XML (for
    :func:`_refuse_vrt_unmarked`), ``None`` where it was not parsed."""
    import xml.etree.ElementTree as ET

    try:
        text = path.read_text(errors="replace")
        root = ET.fromstring(text) if text.lstrip().startswith("<VRTDataset") else None
    except (OSError, ET.ParseError):
        return None  # GDAL says what is wrong with it
    if root is None:
        return None
    for element in root.iter("SourceFilename"):
        source = (element.text or "").strip()
        if not source or source.startswith("/vsi") or "://" in source or \
                source.startswith(("NETCDF:", "HDF5:", "<")):
            continue
        relative = element.get("relativeToVRT", "0") == "1"
        where = path.parent / source if relative else Path(source)
        elsewhere = "" if where.exists() else _written_elsewhere(source)
        if elsewhere:  # 'sub\dem.tif', 'C:\survey\dem.tif': a VRT built on Windows
            raise InputFileError(
                f"{path}: the VRT's source {source} is not found here (looked for "
                f"{where}): {elsewhere}; fix the VRT's SourceFilename, or build the VRT "
                "again on this machine (gdalbuildvrt)")
        if not relative and not Path(source).is_absolute():
            beside = path.parent / source
            found = f" ({beside} is there)" if beside.exists() else ""
            raise DataError(
                f"{path}: its source {source!r} is relative to the folder Prospect runs in "
                f'(relativeToVRT="0"), not to the VRT{found}, so what is read would depend '
                "on where it runs; rebuild the VRT in its own folder (gdalbuildvrt writes "
                'relativeToVRT="1" there) or give the source as an absolute path')
        if not where.exists():
            raise InputFileError(
                f"{path}: the VRT's source {source}: No such file or directory (looked for "
                f"{where}); restore that file or fix the VRT's SourceFilename")
        kept = (element.text or "").lstrip()  # GDAL drops what is before a name, not after
        if kept != source and not (path.parent / kept if relative else Path(kept)).exists():
            raise DataError(
                f"{path}: its SourceFilename {kept!r} ends in a space or line break (an "
                "XML editor's pretty-printing), which GDAL reads as part of the file's "
                f"name, so it does not find {source} ({where} is there); write the name "
                f'alone, with nothing around it (<SourceFilename relativeToVRT="'
                f'{int(relative)}">{source}</SourceFilename>)')
    return root


def _written_elsewhere(source: str) -> str:
    """Why a VRT's missing source was named for another system (Windows' ``\\`` between
    folders, a drive ``C:\\``, a share ``\\\\server``: the config's rule,
    :func:`prospect.config._base.written_for_elsewhere`), ``""`` where it was not.
    Such a source was "No such file or directory", and a drive path said to be "relative
    to the folder Prospect runs in"."""
    from prospect.config._base import written_for_elsewhere

    return written_for_elsewhere(source, placeholders=False)


def _refuse_vrt_source_band(root: Any, path: Path | str) -> None:
    """Refuse a local VRT that GDAL did not open because a source names a band its file
    lacks (``<SourceBand>3</SourceBand>`` of a one-band file, or 0): GDAL's "Illegal band
    #" was said as a file "corrupt, truncated or not a raster", without the source, the
    band it names or how many its file has. Only where the VRT failed to open (``root``
    is its XML, from :func:`_check_vrt_sources`)."""
    if root is None:
        return
    for band in root.iter("VRTRasterBand"):
        for child in (c for c in band if c.tag.endswith("Source")):
            element = child.find("SourceFilename")
            text = (child.findtext("SourceBand") or "1").strip()
            if element is None or not text.lstrip("-").isdigit():
                continue  # a mask band (mask,1) or a source GDAL names otherwise
            file = _vrt_source_name(path, element)
            try:
                with rasterio.open(file) as part:
                    count = part.count
            except (RasterioIOError, rasterio.errors.RasterioError):
                continue
            if not 1 <= int(text) <= count:
                raise DataError(
                    f"{path}: band {band.get('band', '?')}: its source "
                    f"{(element.text or '').strip()} names <SourceBand>{text}</SourceBand>, "
                    f"but that file has {count} band(s) (1..{count}); give the band of "
                    "the file meant, or rebuild the VRT (gdalbuildvrt -b <n>)")


def _gpkg_cell_encoding(src: Any) -> str:
    """A GeoPackage gridded coverage's ``grid_cell_encoding`` as GDAL gives it in its
    band's metadata (``GRID_CELL_ENCODING``, which GDAL sets for ``grid-value-is-corner``
    alone), ``""`` for another file or encoding.

    GDAL reads ``grid-value-is-center`` and ``grid-value-is-corner`` alike as
    ``AREA_OR_POINT=Point`` on the tile matrix's grid: right for values at the cells'
    centres, and half a cell south-east of where a corner-encoded coverage's values lie
    (each at its cell's upper-left corner)."""
    if src.driver != "GPKG" or not src.count:
        return ""
    return str(src.tags(1).get("GRID_CELL_ENCODING", "")).strip().lower()


def _corner_shifted(transform: tuple[float, ...]) -> tuple[float, ...]:
    """``transform`` of cells whose values lie at the upper-left corners of
    ``transform``'s cells: moved half a cell up and left (a value at a corner is the
    centre of the cell about it)."""
    a, b, c, d, e, f = transform[:6]
    return (a, b, c - (a + b) / 2, d, e, f - (d + e) / 2)


def _local_head(path: Path | str, size: int) -> bytes | None:
    """The first ``size`` bytes of a local file, for a refusal to say what it is; ``None``
    for a ``/vsi`` or remote name, or a file that cannot be read."""
    if str(path).startswith("/vsi") or "://" in str(path):
        return None
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return None


_GDAL_METADATA_TAG = 42112
"""The TIFF tag GDAL writes its own band metadata in (``UNITTYPE``, scale, offset)."""


def _tiff_tag_text(name: Path | str, tag: int) -> str | None:
    """The text of an ASCII ``tag`` in a TIFF's first directory (classic or BigTIFF, either
    byte order), read from the file's bytes (:func:`_open_bytes`); ``""`` when the
    directory has no such tag, ``None`` when the file cannot be read so (a remote file,
    no TIFF)."""
    import struct

    opened = _open_bytes(name)
    if opened is None:
        return None
    try:
        with opened as fh:
            head = fh.read(16)
            order = {b"II": "<", b"MM": ">"}.get(head[:2])
            if order is None or len(head) < 16:
                return None
            big = struct.unpack(order + "H", head[2:4])[0] == 43
            count_fmt, entry, inline, word = ("Q", 20, 8, "Q") if big else ("H", 12, 4, "I")
            fh.seek(struct.unpack(order + word, head[8:16] if big else head[4:8])[0])
            size = struct.calcsize(count_fmt)
            entries = struct.unpack(order + count_fmt, fh.read(size))[0]
            table = fh.read(entries * entry)
            for i in range(entries):
                raw = table[i * entry:(i + 1) * entry]
                if len(raw) < entry or struct.unpack(order + "H", raw[:2])[0] != tag:
                    continue
                count = struct.unpack(order + word, raw[4:4 + inline])[0]
                value = raw[4 + inline:]
                if count > inline:
                    fh.seek(struct.unpack(order + word, value)[0])
                    value = fh.read(min(count, 1 << 24))
                return value[:count].rstrip(b"\0").decode("utf-8", "replace")
    except (OSError, struct.error, ValueError):
        return None
    return ""


def _vertical_unit(src: Any) -> str:
    """:attr:`RasterInfo.vertical_unit` of an open dataset."""
    if src.crs is None:
        return ""
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        crs = CRS.from_user_input(src.crs.to_wkt())
    except ProjCRSError:  # a CRS PROJ cannot parse: no vertical axis to read
        return ""
    if not crs.is_vertical:
        return ""
    return next((a.unit_name for part in (crs.sub_crs_list or [crs]) if part.is_vertical
                 for a in part.axis_info if a.direction in ("up", "down")), "")


def _wkt_node(text: str, keyword: str) -> str | None:
    """The first ``keyword[...]`` node of WKT ``text`` with its brackets balanced, else
    ``None``."""
    start = text.upper().find(keyword.upper() + "[")
    if start < 0:
        return None
    depth = 0
    for i in range(start + len(keyword), len(text)):
        depth += {"[": 1, "]": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i + 1]
    return None


_ZUNITS = re.compile(r"^\s*zunits\s+(\S+)", re.IGNORECASE | re.MULTILINE)
"""ArcInfo's keyword ``.prj`` line of the heights' unit (``Zunits FEET``)."""

_ZUNIT_NAMES = {"FEET": "US survey foot", "METERS": "metre", "METRES": "metre"}
"""Units ``Zunits`` names, as PROJ names them (ArcInfo's ``FEET`` are US survey feet, as
GDAL reads its ``Units FEET``); ``NO`` and others state none."""


def _prj_vertical_unit(src: Any, path: Path | str) -> str:
    """The unit of the heights an ESRI ``.prj`` beside a local file states, ``""`` where
    it states none or does not parse: its WKT's ``VERTCS[...]`` (``US survey foot`` for
    NAVD88 in ``Foot_US``), or an ArcInfo keyword ``.prj``'s ``Zunits`` (``FEET``).

    ArcGIS writes a DEM's vertical CRS after its ``PROJCS`` in the ``.prj`` of an ASCII
    grid, a BIL/FLT or an ArcInfo grid (``prj.adf``), and ArcInfo its ``Zunits``; GDAL
    reads the horizontal CRS and drops both, so a DEM of heights in feet configured as
    ``units: m`` was ingested as metres without a word (the compound CRS of a GeoTIFF is
    warned of, :func:`_vertical_unit`). The ``.prj`` read is one GDAL lists among the
    file's, or the one beside a format that keeps its CRS there."""
    name = str(path)
    if name.startswith("/vsi") or "://" in name:
        return ""
    files = [Path(str(f)) for f in (src.files or [])]
    prjs = [f for f in files if f.suffix.lower() == ".prj" or f.name.lower() == "prj.adf"]
    if _keeps_prj(src, path):  # a .prj GDAL does not list (an XYZ or Surfer grid's)
        prjs.append(Path(name).with_suffix(".prj"))
    for prj in dict.fromkeys(prjs):
        try:
            text = prj.read_text(errors="replace")[: 1 << 16] if prj.is_file() else ""
        except OSError:
            continue
        zunits = _ZUNITS.search(text)
        if zunits is not None:
            return _ZUNIT_NAMES.get(zunits.group(1).upper(), "")
        node = _wkt_node(text, "VERTCS")
        if node is None:
            continue
        try:
            vertical = CRS.from_wkt(node)
        except Exception:  # PROJ's own words: a VERTCS it cannot read says nothing here
            return ""
        return next((str(a.unit_name) for a in vertical.axis_info
                     if a.direction in ("up", "down")), "")
    return ""


def _own_units(src: Any, path: Path | str) -> tuple[str, ...]:
    """Per band: the unit the file states for it (:attr:`RasterInfo.units`).

    GDAL's GeoTIFF driver gives a band that states no unit of its own the vertical unit
    of the file's compound CRS (RD + NAP, EPSG:7415: ``metre``), so a heat-flow grid in
    such a CRS was warned "states its units as 'metre'" against ``units: mW/m2``. Where
    the CRS has a vertical part, a band's unit is kept only where the file states it: in
    GDAL's metadata tag (``UNITTYPE``) or its ``.aux.xml``; a file whose tags cannot be
    read keeps GDAL's units.
    """
    units = tuple((u or "").strip() for u in src.units)
    if src.driver not in ("GTiff", "COG") or not any(units) or not _vertical_unit(src):
        return units
    import xml.etree.ElementTree as ET

    stated: dict[int, str] = {}
    text = _tiff_tag_text(path, _GDAL_METADATA_TAG)
    if text is None:
        return units
    try:
        for item in ET.fromstring(text).iter("Item") if text else ():
            if item.get("role") == "unittype" and item.get("sample", "").isdigit():
                stated[int(item.get("sample", "0"))] = (item.text or "").strip()
    except ET.ParseError:
        return units
    aux = Path(f"{path}.aux.xml")
    if not str(path).startswith("/vsi") and aux.is_file():
        try:
            for band in ET.parse(aux).getroot().iter("PAMRasterBand"):
                if band.get("band", "").isdigit() and band.findtext("UnitType"):
                    stated[int(band.get("band", "1")) - 1] = \
                        (band.findtext("UnitType") or "").strip()
        except (ET.ParseError, OSError):
            return units
    return tuple(stated.get(i, "") for i in range(len(units)))


def _tagged_units(src: Any) -> tuple[str, ...]:
    """Per band: the unit a metadata item named ``units`` or ``unit`` (any case) of the
    band states, or of the file where it has one band (:attr:`RasterInfo.tagged_units`);
    ``()`` where no band has one. GDAL reads a band's unit from its unit type alone
    (``gdal_edit.py -units``, rasterio's ``units``): such an item was read as no unit."""
    def named(tags: dict[str, str]) -> str:
        return next((str(v).strip() for k, v in tags.items()
                     if k.strip().lower() in ("units", "unit") and str(v).strip()), "")

    try:
        found = [named(src.tags(band)) for band in range(1, src.count + 1)]
        if src.count == 1 and not found[0]:
            found = [named(src.tags())]
    except Exception:  # metadata GDAL cannot list: none
        return ()
    return tuple(found) if any(found) else ()


def _long_names(src: Any) -> tuple[str, ...]:
    """Per band: the text of its metadata item ``long_name`` (any case; a netCDF
    variable's CF ``long_name``), ``""`` where none; ``()`` where no band has one
    (:attr:`RasterInfo.long_names`)."""
    try:
        found = [next((str(v).strip() for k, v in src.tags(band).items()
                       if k.strip().lower() == "long_name"), "")
                 for band in range(1, src.count + 1)]
    except Exception:  # metadata GDAL cannot list: none
        return ()
    return tuple(found) if any(found) else ()


def _refuse_empty(path: Path | str) -> None:
    """Refuse a file of 0 bytes (a download or copy that stopped before it wrote
    anything, a full disk) by what it is: GDAL said "not recognized as being in a
    supported file format", which sent the user looking for a driver, not a new copy.
    A member of a local zip or gzip file is judged by its own size."""
    if _data_size(str(path)) != 0:
        return
    raise CorruptFileError(
        f"{path}: the file is empty (0 bytes), not a raster: a download or copy that "
        "stopped before it wrote anything (or a full disk)? download or copy it again and "
        "check its size", path=path)


def _refuse_archive(path: Path | str) -> None:
    """Say so when a file GDAL cannot open is a zip, tar or gzip archive (a raster as
    downloaded), instead of "corrupt, truncated or not a raster", with the name that
    reads its raster in place (``zip://grid.zip!grid.tif``, ``tar://grid.tar.gz!grid.tif``,
    ``gzip://grid.tif.gz``) beside the command that unpacks it.

    A ``.tar.gz`` was called "a gzip-compressed file" to ``gunzip`` into ``grid.tar``, and
    that tar, given as ``path:``, was "corrupt, truncated or not a raster"."""
    import zipfile

    _refuse_zip_member_archive(path)
    head = _local_head(path, 6)
    if head is None:
        _refuse_remote_archive(path)
        return
    name = Path(path).name
    if head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                members = [n for n in zf.namelist() if not n.endswith("/")]
        except (zipfile.BadZipFile, OSError):
            members = []
        unreadable = zip_unreadable(path)
        if unreadable is not None:  # "unzip it or read it in place" could not help
            raise InputFileError(f"{path}: {unreadable}")
        inner = _zip_in_zip(f"/vsizip/{path}", members)
        raise InputFileError(
            f"{path}: a zip archive ({_members_text(members)}), not a raster; unzip it first "
            f"(e.g. unzip {name}) and give the raster file inside as 'path:'"
            + (inner or _in_place("zip", str(path), members)))
    squeezed = next((c for c in _COMPRESSIONS if head.startswith(c.magic)), None)
    packed_files = _tar_members(path)
    if packed_files is not None:
        packed = "a tar archive" if squeezed is None else \
            f"{squeezed.a} {squeezed.name}-compressed tar archive"
        # GDAL reads a plain or gzipped tar in place (/vsitar/), no other
        in_place = _in_place("tar", str(path), packed_files) if squeezed is None or \
            squeezed.name == "gzip" else \
            f" (GDAL reads no {squeezed.name}-compressed tar in place)"
        raise InputFileError(
            f"{path}: {packed} ({_members_text(packed_files)}), not a raster; unpack it "
            f"first (e.g. tar -xf {name}) and give the raster file inside as 'path:'"
            + in_place)
    if squeezed is not None and squeezed.name != "gzip":
        inner = name[:-len(Path(name).suffix)] if Path(name).suffix.lower() in \
            squeezed.suffixes else name
        raise InputFileError(
            f"{path}: {squeezed.a} {squeezed.name}-compressed file, not a raster, and GDAL "
            f"reads no {squeezed.name} file in place; decompress it first (e.g. {squeezed.tool} "
            f"{shlex.quote(name)}) and give {inner} as 'path:'")
    if head.startswith(b"\x1f\x8b"):
        inner = name.removesuffix(".gz").removesuffix(".GZ")
        raise InputFileError(
            f"{path}: a gzip-compressed file, not a raster; decompress it first (e.g. "
            f"gunzip -k {name}) and give {inner} as 'path:', or read it in place with "
            f"'path: gzip://{path}'")


@dataclass(frozen=True)
class _Compression:
    """A compressed file's format, by its first bytes: its name, the command that
    decompresses it beside itself, and the suffixes it is given."""

    name: str
    magic: bytes
    tool: str
    suffixes: tuple[str, ...]

    @property
    def a(self) -> str:
        """The article before the format's name (``an xz-compressed file``)."""
        return "an" if self.name.startswith("x") else "a"


_COMPRESSIONS = (
    _Compression("gzip", b"\x1f\x8b", "gunzip -k", (".gz",)),
    _Compression("bzip2", b"BZh", "bunzip2 -k", (".bz2", ".bz")),
    _Compression("xz", b"\xfd7zXZ\x00", "unxz -k", (".xz",)),
    _Compression("zstd", b"\x28\xb5\x2f\xfd", "zstd -d", (".zst", ".zstd")),
)
"""Compressions a raster is downloaded in (a NOAA or USGS grid as ``.tif.bz2``, a
``.tar.xz``): GDAL reads a gzip file (and a gzipped tar) in place, no other; a bzip2, xz
or zstd file was "cannot read as a raster (corrupt, truncated or not a raster)", and a
``.tar.bz2`` was offered ``tar://...!grid.tif``, which does not read either."""


def _vsi_head(name: str, size: int) -> bytes | None:
    """The first ``size`` bytes of what GDAL reads as ``name`` (a ``/vsicurl/`` URL, an
    object store's name: one ranged request, under the caller's GDAL options), for a
    refusal to say what it is; ``None`` where it cannot be read."""
    from prospect.io.remote import vsi_head

    return vsi_head(_gdal_c(), name, size)


def _vsi_listing(name: str) -> list[str]:
    """The names GDAL lists in the folder or archive ``name`` (``/vsizip//vsicurl/...``:
    a remote zip's central directory, read in ranged requests); ``[]`` where none."""
    import ctypes

    lib = _gdal_c()
    lister = getattr(lib, "VSIReadDir", None) if lib is not None else None
    destroy = getattr(lib, "CSLDestroy", None) if lib is not None else None
    if lister is None or destroy is None:
        return []
    lister.argtypes = [ctypes.c_char_p]
    lister.restype = ctypes.POINTER(ctypes.c_char_p)
    destroy.argtypes, destroy.restype = [ctypes.POINTER(ctypes.c_char_p)], None
    listed = lister(name.encode())
    if not listed:
        return []
    names: list[str] = []
    try:
        for i in itertools.count():
            item = listed[i]
            if item is None or i >= 10_000:
                break
            names.append(item.decode("utf-8", "replace"))
    finally:
        destroy(listed)
    return [n for n in names if not n.endswith("/")]


def _network_head(path: Path | str, size: int) -> bytes | None:
    """:func:`_vsi_head` of a name GDAL reads over a network (a URL as the config gives
    it is read through ``/vsicurl/``); ``None`` for any other name."""
    from prospect.io.remote import is_network_name

    text = str(path)
    if not is_network_name(text) or text.startswith(("/vsizip/", "/vsitar/", "/vsigzip/")):
        return None
    if "://" in text and not text.startswith("/vsi"):
        text = f"/vsicurl/{text}"
    return _vsi_head(text, size)


def _refuse_remote_archive(path: Path | str) -> None:
    """Say so when a file read over a network that GDAL cannot open is a zip, tar or
    compressed file (a survey's download link given as ``path:``), with how to read it:
    it was "cannot read as a raster (corrupt, truncated or not a raster)"."""
    head = _network_head(path, 262)
    if not head:
        return
    url = str(path)
    if head.startswith(b"PK\x03\x04"):
        archive = f"/vsizip/{url if url.startswith('/vsi') else '/vsicurl/' + url}"
        members = _vsi_listing(archive)
        rasters = [m for m in members if _RASTER_MEMBER.search(m) and
                   not m.lower().endswith((".hdr", ".aux.xml"))]
        member = rasters[0] if len(rasters) == 1 else members[0] if len(members) == 1 \
            else "<file inside>"
        listed = _members_text(members) if members else "its files not listed"
        raise InputFileError(
            f"{path}: a zip archive ({listed}), not a raster; read the raster in it over "
            f"the network with 'path: {archive}/{member}', or download and unzip it and "
            "give the raster file as 'path:'")
    if head[257:262] == b"ustar":
        raise InputFileError(
            f"{path}: a tar archive, not a raster; download and unpack it (tar -xf) and "
            "give the raster file inside as 'path:'")
    squeezed = next((c for c in _COMPRESSIONS if head.startswith(c.magic)), None)
    if squeezed is not None:
        raise InputFileError(
            f"{path}: {squeezed.a} {squeezed.name}-compressed file (or tar archive), not a "
            f"raster; download it, decompress it ({squeezed.tool}, or tar -xf for a tar "
            "archive) and give the raster file as 'path:'")


def _refuse_page(path: Path | str) -> None:
    """Refuse a file that is a web page or a server's error answer saved under a raster's
    name (a download that returned a sign-in page, an object store's ``AccessDenied``, a
    service's JSON error), local or read over a network, by what it is: it was "cannot
    read as a raster (corrupt, truncated or not a raster): ... not recognized as being in
    a supported file format", and the user went looking for a damaged file or a
    driver."""
    head = _local_head(path, 512)
    if head is None:
        opened = _open_bytes(path)
        if opened is not None:
            with opened as fh:
                head = fh.read(512)
        else:
            head = _network_head(path, 512)
    if not head:
        return
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("utf-8", "replace").lower()
    if text.startswith(("<!doctype html", "<html")) or "<body" in text[:300] or \
            "<head>" in text[:300]:
        what = "an HTML page (a download that returned an error or sign-in page instead " \
            "of the raster?)"
    elif (text.startswith("<?xml") and "<error>" in text) or text.startswith("<error>"):
        code = re.search(r"<Code>([^<]{1,60})</Code>", head.decode("utf-8", "replace"),
                         re.IGNORECASE)
        what = ("a server's error answer" + (f" ({code.group(1)})" if code else "")
                + " saved in place of the raster")
    elif text.startswith("{") and re.search(r'"(error|errors|message|detail|status)"', text):
        what = "a server's JSON error answer saved in place of the raster"
    else:
        return
    raise InputFileError(
        f"{path}: cannot read as a raster: the file is {what}; download it again from its "
        "own link (signed in where the site asks), check that the file opens, and give "
        "that file as 'path:'")


def _zip_members_of(name: str) -> list[str] | None:
    """The files of the zip archive that is the member ``name`` of a local zip
    (``/vsizip/a.zip/b.zip``), ``None`` where that member is no zip or cannot be read."""
    import zipfile

    opened = _open_bytes(name)
    if opened is None:
        return None
    try:
        with opened as fh:
            if fh.read(4) != b"PK\x03\x04":
                return None
            fh.seek(0)
            with zipfile.ZipFile(fh) as inner:
                return [n for n in inner.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def _zip_in_zip(outer: str, members: list[str]) -> str:
    """``", or read it in place ..."`` with GDAL's name of the raster in a zip that is
    the one archive among the files of the zip ``outer`` (a ``/vsizip/`` name): a survey
    shipped as a zip of zips (``/vsizip/{/vsizip/a.zip/b.zip}/grid.tif``); ``""`` where
    none is. ``zip://a.zip!b.zip`` was offered, which GDAL cannot read as a raster."""
    if any(_RASTER_MEMBER.search(m) for m in members):
        return ""
    zips = [m for m in members if m.lower().endswith(".zip")]
    if len(zips) != 1:
        return ""
    name = f"{outer}/{zips[0]}"
    inner = _zip_members_of(name)
    if not inner:
        return ""
    rasters = [m for m in inner if _RASTER_MEMBER.search(m) and
               not m.lower().endswith((".hdr", ".aux.xml"))]
    member = rasters[0] if len(rasters) == 1 else inner[0] if len(inner) == 1 else None
    return (f", or read the raster in {zips[0]} in place with 'path: /vsizip/{{{name}}}/"
            f"{member or '<file inside>'}'")


def _refuse_zip_member_archive(path: Path | str) -> None:
    """Refuse a member of a zip that is itself a zip (``zip://a.zip!b.zip``, a survey
    shipped as a zip of zips) by what it is, with GDAL's name of the raster inside it
    (``/vsizip/{/vsizip/a.zip/b.zip}/grid.tif``): it was "cannot read as a raster
    (corrupt, truncated or not a raster)", and the user went looking for a damaged
    download."""
    name = str(path)
    if not name.startswith("/vsizip/") or "{" in name:
        return
    members = _zip_members_of(name)
    if members is None:
        return
    rasters = [m for m in members if _RASTER_MEMBER.search(m) and
               not m.lower().endswith((".hdr", ".aux.xml"))]
    member = rasters[0] if len(rasters) == 1 else members[0] if len(members) == 1 else None
    raise InputFileError(
        f"{path}: a zip archive inside a zip ({_members_text(members)}), not a raster; "
        f"read the raster in it with 'path: /vsizip/{{{name}}}/{member or '<file inside>'}'"
        " (GDAL's name of a file in a zip in a zip), or unzip both "
        "and give the raster file as 'path:'")


def _members_text(members: list[str]) -> str:
    """An archive's files as a refusal lists them: the first five and the count."""
    return (", ".join(members[:5]) + (f", ... ({len(members)} files)" if len(members) > 5
                                      else "")) or "empty"


def _tar_members(path: Path | str) -> list[str] | None:
    """The files of a tar archive (plain or compressed) at ``path``, ``None`` for any
    other file."""
    import tarfile

    try:
        if not tarfile.is_tarfile(path):
            return None
        with tarfile.open(path) as tf:
            return [m.name for m in tf.getmembers() if m.isfile()]
    except (tarfile.TarError, OSError, EOFError, ValueError):
        return None


_RASTER_MEMBER = re.compile(r"\.(tiff?|nc|asc|img|ers|grd|vrt|bil|flt|hdr|jp2|gpkg)$",
                            re.IGNORECASE)
"""Names of an archive's files that are most likely its raster (the one to name)."""


def _in_place(scheme: str, archive: str, members: list[str]) -> str:
    """``", or read it in place ..."`` with the GDAL name of the archive's raster (the
    one file of a raster suffix, else its only file; ``<file inside>`` where none stands
    out), ``""`` for an empty archive."""
    rasters = [m for m in members if _RASTER_MEMBER.search(m) and
               not m.lower().endswith((".hdr", ".aux.xml"))]
    member = rasters[0] if len(rasters) == 1 else members[0] if len(members) == 1 else None
    if not members:
        return ""
    return f", or read it in place with 'path: {scheme}://{archive}!{member or '<file inside>'}'"


_TABLE_NUMBER = re.compile(r"[-+]?(\d+[.,]?\d*|[.,]\d+)([eEdD][-+]?\d+)?")
"""A number in a text table (a decimal comma too)."""


_MISSING_CODEC = re.compile(r"missing codec (\w+)|codec (\w+) is not (?:available|supported)|"
                            r"(\w+) compression support is not configured", re.IGNORECASE)
"""GDAL's words for a file compressed with a codec its build cannot decode."""


def _refuse_missing_codec(path: Path | str, reason: str) -> None:
    """Say so when GDAL cannot open a file because its build lacks the file's codec (a
    GeoTIFF written with JPEG-XL by a newer GDAL), instead of "corrupt, truncated or not
    a raster": the file is sound, and the fix is to rewrite it with a common codec."""
    found = _MISSING_CODEC.search(reason)
    if found is None:
        return
    codec = next(g for g in found.groups() if g)
    raise InputFileError(
        f"{path}: compressed with {codec}, a codec the GDAL Prospect reads with (GDAL "
        f"{rasterio.__gdal_version__}, rasterio's own) cannot decode; rewrite it with a "
        f"common codec where a GDAL built with {codec} is at hand (gdal_translate -co "
        f"COMPRESS=DEFLATE -co TILED=YES {Path(str(path)).name} deflate.tif) and give that "
        "file")


_PIXEL_FUNCTION_MISSING = re.compile(r"pixel function '(?P<name>[^']*)' not registered")
"""GDAL's words for a VRT derived band whose pixel function this GDAL lacks."""


_PYTHON_REFUSED = re.compile(r"Python code (?:in .* )?needs to be executed")
"""GDAL's words for a VRT derived band of Python code it does not run ("Python code in
v.vrt needs to be executed, but this has been explicitly disabled", as Prospect has it)."""


def _refuse_pixel_function(path: Path | str, reason: str) -> None:
    """Say so when GDAL cannot compute a VRT's derived band (``VRTDerivedRasterBand``):
    its pixel function is one this GDAL lacks (``mean``, ``expression``: a later GDAL's,
    or a plugin's), or Python code in the VRT, which Prospect never lets GDAL run
    (:func:`forbid_code_from_files`). Both were "cannot read as a raster (corrupt, truncated
    or not a raster)"; the file is sound, and the fix is to compute the band where it
    can be."""
    name = Path(str(path)).name
    missing = _PIXEL_FUNCTION_MISSING.search(reason)
    if missing is not None:
        raise InputFileError(
            f"{path}: its derived band is computed by the pixel function "
            f"{missing['name']!r}, which the GDAL Prospect reads with (GDAL "
            f"{rasterio.__gdal_version__}, rasterio's own) does not have (a later GDAL's, "
            "or a plugin's); compute the band into a GeoTIFF with the GDAL the VRT was "
            f"written for (gdal_translate {shlex.quote(name)} out.tif) and give that file")
    if _PYTHON_REFUSED.search(reason):
        raise InputFileError(
            f"{path}: its derived band is computed by Python code in the VRT "
            "(<PixelFunctionLanguage>Python), which Prospect never runs: it reads every "
            "file with GDAL_VRT_ENABLE_PYTHON=NO, whatever the environment says, so that "
            "no code from an input file runs; compute the band into a GeoTIFF where you "
            "trust the code (GDAL_VRT_ENABLE_PYTHON=YES gdal_translate "
            f"{shlex.quote(name)} out.tif) and give that file")


_UNREAD_FORMATS = {
    ".ecw": ("an ECW image", "ECW", "GDAL builds it only with ERDAS's licensed SDK"),
    ".sid": ("a MrSID image", "MrSID", "GDAL builds it only with LizardTech's licensed SDK"),
}
"""Suffixes of formats the GDAL Prospect reads with has no driver for: what the file is,
the GDAL driver, and why it is missing."""

_HDF4_MAGIC = b"\x0e\x03\x13\x01"
"""The first bytes of an HDF4 file (HDF-EOS granules of ASTER, MODIS, older Landsat; a
plain HDF4 image or set of scientific data sets, as GDAL, IDL or MATLAB write them)."""


def _has_driver(name: str) -> bool:
    """Whether the GDAL Prospect reads with has the raster driver ``name``."""
    with rasterio.Env() as env:
        return name in env.drivers()


_SURVEY_GRD = (b"DSAA", b"DSBB", b"DSRB", b"CDF", b"\x89HDF")
"""The first bytes of the ``.grd`` grids GDAL reads: Surfer's (ASCII, 6 and 7) and a GMT
or other netCDF grid's (classic, or netCDF-4)."""


_SUFFIX_DRIVERS = {
    ".tif": ("GTiff",), ".tiff": ("GTiff",), ".gtiff": ("GTiff",), ".nc": ("netCDF",),
    ".nc4": ("netCDF",), ".cdf": ("netCDF",), ".vrt": ("VRT",), ".img": ("HFA",),
    ".jp2": ("JP2OpenJPEG",), ".asc": ("AAIGrid",), ".bil": ("EHdr",), ".flt": ("EHdr",),
    ".ers": ("ERS",), ".h5": ("HDF5",), ".hdf5": ("HDF5",), ".he5": ("HDF5",),
    ".grd": ("GSAG", "GSBG", "GS7BG", "netCDF"), ".sdat": ("SAGA",), ".png": ("PNG",),
    ".jpg": ("JPEG",), ".jpeg": ("JPEG",), ".gpkg": ("GPKG",), ".zarr": ("Zarr",),
    ".dem": ("USGSDEM",), ".xyz": ("XYZ",), ".rst": ("RST",), ".hgt": ("SRTMHGT",),
}
"""GDAL's raster drivers that read a file of each name ending, for
:func:`_refuse_skipped_driver`."""


def _refuse_skipped_driver(path: Path | str, reason: str) -> None:
    """Refuse a file GDAL does not recognise where the user's ``GDAL_SKIP`` (in the
    environment or GDAL's configuration file) left out the driver that reads files of its
    name (``GDAL_SKIP=netCDF`` and a ``.nc``; ``GTiff`` and a VRT's ``.tif`` source): it
    was "cannot read as a raster (corrupt, truncated or not a raster)", and the user went
    looking for a damaged file. GDAL reads ``GDAL_SKIP`` once, when it starts, so the fix
    is the setting, not the file."""
    if "not recognized as being in a supported file format" not in reason:
        return
    from rasterio.env import get_gdal_config

    with rasterio.Env():
        said = str(get_gdal_config("GDAL_SKIP", normalize=False) or "")
    skipped = {w.strip().lower(): w.strip() for w in re.split(r"[ ,]+", said) if w.strip()}
    named = re.search(r"[`']([^`']+)' not recognized as being in a supported", reason)
    file = named.group(1) if named else str(path)  # a VRT's source file, or the file
    wanted = _SUFFIX_DRIVERS.get(Path(file).suffix.lower(), ())
    left_out = [skipped[d.lower()] for d in wanted if d.lower() in skipped
                and not _has_driver(d)]
    if not left_out:
        return
    kept = [w for k, w in skipped.items() if k not in {d.lower() for d in left_out}]
    fix = (f"set GDAL_SKIP={','.join(kept)}" if kept else "unset GDAL_SKIP")
    raise InputFileError(
        f"{path}: GDAL could not open "
        f"{'it' if file == str(path) else f'its source file {file}'}, and the setting "
        f"GDAL_SKIP={said.strip()} (in the environment or GDAL's configuration file) "
        f"leaves out GDAL's {' and '.join(left_out)} "
        f"driver{'s' if len(left_out) > 1 else ''}, which "
        f"read{'' if len(left_out) > 1 else 's'} files named like it; {fix} for Prospect's "
        "runs (a cluster's workers too) and run it again")


def _refuse_unread_format(path: Path | str, reason: str) -> None:
    """Say what a file GDAL does not recognise is, where its name tells, instead of
    "corrupt, truncated or not a raster": a ``.grd`` that is no Surfer or netCDF grid (a
    Geosoft Oasis montaj grid, the usual form of a magnetic or gravity survey's grids,
    which GDAL has no driver for), or an ECW or MrSID image (drivers built only with a
    licensed SDK). The file is sound; the fix is an export to a format GDAL reads."""
    if "not recognized as being in a supported file format" not in reason:
        return
    name = Path(str(path)).name
    suffix = Path(name).suffix.lower()
    if _local_head(path, 4) == _HDF4_MAGIC and not _has_driver("HDF4"):
        quoted = shlex.quote(name)
        raise InputFileError(
            f"{path}: an HDF4 file (an HDF-EOS granule of ASTER, MODIS or older Landsat as "
            "LP DAAC or USGS deliver it, or a plain HDF4 image or set of scientific data "
            f"sets), which the GDAL Prospect reads with (GDAL {rasterio.__gdal_version__}) "
            "cannot open: it has no HDF4 driver; convert the band meant where GDAL has one "
            f"(Debian's or Ubuntu's gdal-bin, QGIS, OSGeo4W): gdalinfo {quoted} lists "
            "subdatasets where it holds several (a granule's fields, several data sets): "
            "then gdal_translate -of GTiff '<one SUBDATASET_n_NAME it lists>' band.tif; "
            f"where it lists none (one image), gdal_translate -of GTiff {quoted} band.tif; "
            "and give the GeoTIFF (or take the product's GeoTIFF/COG assets where it has "
            "them)")
    if suffix == ".grd":
        head = _local_head(path, 8)
        if head is None or head.startswith(_SURVEY_GRD):
            return
        raise InputFileError(
            f"{path}: a .grd grid that is neither a Surfer grid nor a netCDF (GMT) one, "
            "most likely a Geosoft (Oasis montaj) grid, which GDAL cannot read; export it "
            "from Oasis montaj (or Geosoft's free viewer) as a GeoTIFF or an ER Mapper "
            ".ers grid, and give that file")
    if suffix in _UNREAD_FORMATS:
        what, driver, why = _UNREAD_FORMATS[suffix]
        raise InputFileError(
            f"{path}: named as {what}, which the GDAL Prospect reads with (GDAL "
            f"{rasterio.__gdal_version__}) cannot open: it has no {driver} driver ({why}); "
            f"convert it where GDAL has one (QGIS's or OSGeo4W's GDAL: gdal_translate -of "
            f"GTiff -co COMPRESS=DEFLATE -co TILED=YES {name} {Path(name).stem}.tif) and "
            "give the GeoTIFF")


_TABLE_DRIVERS = frozenset({"", "CSV", "XLSX", "XLS", "ODS"})
"""GDAL's vector drivers of tables, which :func:`_refuse_vector_file` does not call vector
maps (a table of points has :func:`_refuse_point_table`)."""


def _refuse_vector_file(path: Path | str, reason: str) -> None:
    """Refuse a vector file given as a raster (a geology map's Shapefile, GeoPackage,
    GeoJSON or GML under ``kind: raster``), naming its format and layers and the source
    kind that reads it: it was "cannot read as a raster (corrupt, truncated or not a
    raster)", and the user went looking for a damaged file. A file GDAL opens neither way
    is left to that message."""
    if "not recognized as being in a supported file format" not in reason:
        return
    from prospect.io.vector import _ogr  # this area's vector reader (no .gfs left)

    text = str(path)
    try:
        layers = [str(row[0]) for row in _ogr.list_layers(text)]
        info = _ogr.read_info(text, layer=layers[0]) if layers else None
    except Exception:  # not a vector file either: corrupt, as said
        return
    driver = str((info or {}).get("driver") or "")
    if info is None or driver.upper() in _TABLE_DRIVERS:  # a table: its own messages
        return
    shown = ", ".join(layers[:5]) + (f" and {len(layers) - 5} more" if len(layers) > 5
                                     else "")
    raise InputFileError(
        f"{path}: not a raster but a vector file ({driver}, layer(s): {shown}) of features, "
        "not cells; give it as a vector source ('kind: vector', with 'attribute:' its unit "
        "column), or rasterise it first (gdal_rasterize) and give that grid as the raster")


_XYZ_SCAN = 64 << 20
"""Bytes of a text grid GDAL refused that :func:`_refuse_xyz_words` looks through."""


def _refuse_xyz_words(path: Path | str, reason: str) -> None:
    """Say which cell stopped GDAL when an XYZ grid (``x y value`` rows) holds a value that
    is no number: Geosoft's dummy ``*``, ``NaN``, ``NA`` or ``-`` where a cell has no
    value made GDAL answer "not recognized as being in a supported file format", which
    named neither the line nor the fix. Rows whose first two cells are numbers and whose
    value is a word are told by line; anything else is left to the other checks."""
    found = _xyz_word(path)
    if found is None:
        return
    line_no, word = found
    raise InputFileError(
        f"{path}: line {line_no} holds {word!r} as its value, which is no number, and "
        f"GDAL's XYZ reader refuses the file for it (GDAL: {reason}); write a number for "
        f"the cells without a value (e.g. sed 's/{re.escape(word).replace('/', chr(92) + '/')}"
        "$/-9999/') and state it with 'nodata: -9999' in the source config")


_XYZ_NUMBER_BYTES = b"0123456789eEdD.,;+- \t\r\n"
"""The bytes of an XYZ text of numbers alone (a word's letter or a ``*`` is none)."""
_XYZ_LONE_SIGN = re.compile(rb"[-+](?![0-9.])")
"""A sign that starts no number (a ``-`` written for a missing value)."""


def _xyz_suspect(path: Path | str, allowed: tuple[str, ...]) -> bool:
    """Whether the text of ``path`` (read as GDAL reads it, in blocks, past its first
    line, which may be a header) holds a byte no number holds (:data:`_XYZ_NUMBER_BYTES`;
    the words ``allowed`` left out) or a sign alone: a grid of numbers alone is told so
    at the speed of a byte translation (a line-by-line reading took 12 s for 35 MB)."""
    words = re.compile(rb"(?i)(?<![^\s,;])(?:" + b"|".join(
        re.escape(w.encode()) for w in allowed) + rb")(?![^\s,;])") if allowed else None
    opened = _open_bytes(path)
    if opened is None:
        return False
    try:
        with opened as fh:
            first = True
            for block in iter(lambda: fh.read(1 << 22), b""):
                block += b"" if block.endswith(b"\n") else fh.readline()
                if first:
                    block, first = block.partition(b"\n")[2], False
                rest = block.translate(None, _XYZ_NUMBER_BYTES)
                if rest and words is not None:
                    rest = words.sub(b"", block).translate(None, _XYZ_NUMBER_BYTES)
                if rest or _XYZ_LONE_SIGN.search(block):
                    return True
    except OSError:
        return False
    return False


def _xyz_word(path: Path | str, allowed: tuple[str, ...] = ()) -> tuple[int, str] | None:
    """The first line (number, value) of ``x y value`` rows whose value is a word (other
    than the lower-case words ``allowed``) in the text of ``path``; ``None`` where there
    is none or the rows are not such rows (read line by line only where a first quick
    pass, :func:`_xyz_suspect`, finds a character no number holds)."""
    opened = _open_bytes(path) if _xyz_suspect(path, allowed) else None
    if opened is None:
        return None
    numbers = seen = 0
    try:
        with opened as fh:
            for line_no, raw in enumerate(fh, 1):
                if fh.tell() > _XYZ_SCAN:
                    return None
                cells = re.split(r"[\s,;]+", raw.decode("latin-1").strip())
                if cells == [""]:
                    continue
                seen += 1
                if len(cells) != 3 or not all(_TABLE_NUMBER.fullmatch(c) for c in cells[:2]):
                    if seen > 1 or any(_TABLE_NUMBER.fullmatch(c) for c in cells):
                        return None  # not x y value rows (a header line is passed over)
                    continue
                if _TABLE_NUMBER.fullmatch(cells[2]) or cells[2].lower() in allowed:
                    numbers += 1
                elif numbers or seen <= 2:
                    return line_no, cells[2][:20]
                else:
                    return None
    except OSError:
        return None
    return None


def _refuse_point_table(path: Path | str, reason: str) -> None:
    """Say so when a file GDAL cannot open as a raster is a table of points (``lon lat
    li`` over rows of numbers, as a ``heat.asc`` or ``.xyz`` export of samples), not
    a grid of cells: GDAL's XYZ driver answered "Couldn't determine X spacing", which
    named neither what the file is nor how to give it. An ESRI ASCII grid (an ``ncols``
    header) is never one."""
    from prospect.io.points import ascii_grid_header

    raw = _local_head(path, 8192)
    if raw is None:
        return
    if b"\x00" in raw or ascii_grid_header(raw) is not None:
        return
    lines = [line for line in raw.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
             .splitlines() if line.strip()]
    if len(raw) == 8192:
        lines = lines[:-1]  # the last line read may be cut short
    if len(lines) < 2:
        return
    sep = max(",;\t", key=lines[0].count)  # a delimiter, else runs of blanks
    rows = [[cell.strip().strip('"') for cell in (line.split(sep) if sep in lines[0]
                                                  else line.split())]
            for line in lines[:50]]
    header = None if all(_TABLE_NUMBER.fullmatch(c) for c in rows[0]) else rows[0]
    data = rows[1:] if header else rows
    width = len(data[0])
    if width < 2 or any(len(r) != width or not all(_TABLE_NUMBER.fullmatch(c) for c in r)
                        for r in data) or (header is not None and len(header) != width):
        return
    if header is None:
        said, keys = f"{width} columns and no header", "x, y, crs, columns"
        keys += " and interpolate: [idw], after adding a header line that names the columns"
    else:
        def named(*starts: str) -> str | None:
            return next((c for c in header if c.lower().startswith(starts)), None)

        x = named("lon", "x", "east", "utm_e") or header[0]
        y = named("lat", "y", "north", "utm_n") or header[1 if header[0] != x else 0]
        values = [c for c in header if c not in (x, y)]
        said = f"columns {', '.join(header)}"
        keys = (f"x: {x}, y: {y}, its crs, columns: [{', '.join(values)}] and "
                "interpolate: [idw]")
        order = [header.index(x), header.index(y)]
        if width == 3 and order != [0, 1] and _on_grid(data, *order):
            # a grid whose columns GDAL cannot place: its value column comes first
            value = 3 - sum(order)
            awk = f"awk -F'{sep}' -v OFS='{sep}' " if sep in lines[0] else "awk "
            raise InputFileError(
                f"{path}: a grid of points in the column order {', '.join(header)}, which "
                f"GDAL's XYZ driver cannot read as a raster (GDAL: {reason}): it reads x, y "
                f"and the value in that order; write the columns as {x}, {y}, "
                f"{header[value]} (e.g. {awk}'{{print ${order[0] + 1}, ${order[1] + 1}, "
                f"${value + 1}}}' in.xyz > grid.xyz, keeping the header line) and give "
                "that file as the raster, or give this one as a points source ('kind: "
                f"points', with {keys})")
    order = [0, 1] if header is None else [header.index(x), header.index(y)]
    if width == 3 and order == [0, 1]:
        _refuse_grid_out_of_order(path, reason, sep if sep in lines[0] else None,
                                  header is not None)
    raise InputFileError(
        f"{path}: not a raster but a table of points ({said}; GDAL: {reason}): give it as "
        f"a points source ('kind: points', with {keys}), which makes a layer of its values, "
        "or grid it first (gdal_grid) and give the grid as the raster")


_ORDER_READ = 1 << 20
"""Bytes of an XYZ file :func:`_refuse_grid_out_of_order` reads for its points."""


def _refuse_grid_out_of_order(path: Path | str, reason: str, sep: str | None,
                              header: bool) -> None:
    """Say so when an XYZ file's points lie on one grid but not in the order GDAL's XYZ
    driver reads (row by row, x rising within a row, the rows one way in y): two sheets
    joined end to end (``cat a.xyz b.xyz``), rows shuffled by a database export. It was
    "not a raster but a table of points ... give it as a points source", whose
    interpolation would smooth a grid that only needed sorting."""
    raw = _local_head(path, _ORDER_READ)
    if raw is None:
        return
    lines = raw.removeprefix(b"\xef\xbb\xbf").decode("latin-1").splitlines()
    if len(raw) == _ORDER_READ:
        lines = lines[:-1]
    cells = [line.split(sep) if sep else line.split() for line in lines if line.strip()]
    try:
        points = np.array([(float(c[0].replace(",", ".")), float(c[1].replace(",", ".")))
                           for c in cells[1 if header else 0:]], dtype="float64")
    except (ValueError, IndexError):
        return
    xs, ys = _on_lattice(points[:, 0]), _on_lattice(points[:, 1])
    if len(points) < 4 or not xs or not ys or len(points) < 0.5 * xs * ys:
        return  # off one grid, or too few of its cells: sample sites on round numbers
    if len(np.unique(points, axis=0)) != len(points) or _in_xyz_order(points):
        return  # a point written twice, or a grid GDAL refused in order: not the order
    flag = f"-t'{sep}' " if sep else ""
    sort = f"sort {flag}-k2,2gr -k1,1g"
    command = (f"(head -n 1 in.xyz; tail -n +2 in.xyz | {sort}) > grid.xyz" if header
               else f"{sort} in.xyz > grid.xyz")
    raise InputFileError(
        f"{path}: its points lie on a grid but not in the order GDAL's XYZ driver reads "
        f"one (row by row, x rising within each row; GDAL: {reason}), as when two sheets "
        f"are joined end to end; sort it by y, then x ({command}) and give the sorted "
        "file as the raster")


def _in_xyz_order(points: np.ndarray) -> bool:
    """Whether ``points`` (x, y) run as GDAL's XYZ driver reads a grid: x rising within
    each run of one y, the runs' y all rising or all falling."""
    y = points[:, 1]
    starts = np.flatnonzero(np.r_[True, y[1:] != y[:-1]])
    steps = np.diff(y[starts])
    if len(steps) and not (np.all(steps > 0) or np.all(steps < 0)):
        return False
    same_run = y[1:] == y[:-1]
    return bool(np.all(np.diff(points[:, 0])[same_run] > 0))


def _on_lattice(values: np.ndarray) -> int:
    """How many places of one spacing ``values`` (one coordinate of an XYZ file's points)
    span from their lowest to their highest, where all lie on them; 0 where they do not,
    or where fewer than two differ."""
    unique = np.unique(values)
    if len(unique) < 2:
        return 0
    step = float(np.min(np.diff(unique)))
    k = (unique - unique[0]) / step
    if step <= 0 or not np.allclose(k, np.round(k), atol=1e-6):
        return 0
    return int(np.rint(k[-1])) + 1


def _on_grid(rows: list[list[str]], xi: int, yi: int) -> bool:
    """Whether the points of ``rows`` (text cells; ``xi``/``yi`` their x and y columns)
    run along a grid's rows as an XYZ grid lists them: one y to each run of at least two
    points, x stepping by one spacing within each run, every run on the same columns."""
    try:
        points = [(float(r[xi].replace(",", ".")), float(r[yi].replace(",", ".")))
                  for r in rows]
    except (ValueError, IndexError):
        return False
    runs: list[list[float]] = []
    for i, (x, y) in enumerate(points):
        if i and y == points[i - 1][1]:
            runs[-1].append(x)
        else:
            runs.append([x])
    complete = runs[:-1] if len(runs) > 1 else runs  # the last run may be cut short
    steps = {round(b - a, 9) for run in complete for a, b in pairwise(run)}
    return (len(complete[0]) >= 2 and len(steps) == 1 and 0 not in steps and
            all(run[0] == complete[0][0] for run in complete))


def _refuse_spatial_steps(src: Any, path: Path | str) -> None:
    """Refuse a NetCDF/HDF variable whose x or y dimension is not one of its last two
    (stored (y, x, time), as some MATLAB and Fortran exports write it): GDAL reads the
    last two dimensions as the grid whatever their names, so (y, x, time) became a grid
    of x by time with one band per row, and the error said the coordinates were not
    evenly spaced."""
    dims = [d.strip() for d in src.tags().get("NETCDF_DIM_EXTRA", "").strip("{}").split(",")
            if d.strip()]
    if not dims:
        return
    axes = _axis_variables(src)
    named = {name: axis for axis, name in axes.items()}
    for dim in dims:
        axis = named.get(dim) or next((a for a, (_, _, usual) in _AXIS_NAMES.items()
                                       if dim.lower() in usual), None)
        if axis is None:
            continue
        y, x = (axes.get(a, a).rsplit("/", 1)[-1] for a in ("y", "x"))  # names, not paths
        raise DataError(
            f"{path}: the variable's {dim!r} dimension, its {axis} axis, is not one of its "
            "last two, which GDAL reads as the grid whatever their names: the cells would "
            f"be read along the wrong axes, with {dim!r} as bands; reorder the dimensions "
            f"so that {y} and {x} come last (e.g. ncpdq -a time,{y},{x} in.nc out.nc, its "
            f"other dimensions first, or xarray's .transpose(..., '{y}', '{x}'))")


def _steps(src: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The non-spatial dimensions GDAL's netCDF driver turns into bands
    (``NETCDF_DIM_EXTRA``), each with its values as text (:func:`_step_labels`)."""
    tags = src.tags()
    dims = [d.strip() for d in tags.get("NETCDF_DIM_EXTRA", "").strip("{}").split(",")
            if d.strip()]
    out = []
    for dim in dims:
        values = _cf_numbers(tags.get(f"NETCDF_DIM_{dim}_VALUES")) or ()
        out.append((dim, _step_labels(values, _attribute(src, tags, dim, "units"),
                                      _attribute(src, tags, dim, "calendar"))))
    return tuple(out)


def _step_labels(values: tuple[float, ...], units: str | None,
                 calendar: str | None) -> tuple[str, ...]:
    """A dimension's values as text: CF times (``days since 2000-01-01``) as dates or
    times where the calendar is the standard one, else the numbers with their units."""
    import re

    unit_text = (units or "").strip()
    when = re.match(r"(days?|hours?|minutes?|seconds?)\s+since\s+(\d{1,4})-(\d{1,2})-"
                    r"(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?", unit_text,
                    flags=re.IGNORECASE)
    standard = (calendar or "standard").lower() in {"standard", "gregorian",
                                                      "proleptic_gregorian"}
    if when and standard and values:
        y, mo, d, h, mi, sec = (int(g or 0) for g in when.groups()[1:])
        seconds = {"d": 86400, "h": 3600, "m": 60, "s": 1}[when.group(1)[0].lower()]
        try:
            origin = np.datetime64(f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{sec:02d}", "s")
            times = [str(origin + np.timedelta64(round(v * seconds), "s")) for v in values]
        except (ValueError, OverflowError):
            times = []
        if times:
            midnight = all(t.endswith("T00:00:00") for t in times)
            return tuple(t[:10] if midnight else t[:16] for t in times)
    suffix = f" {unit_text}" if unit_text else ""
    return tuple(f"{v:g}{suffix}" for v in values)


def _coded_bands(src: Any) -> tuple[str | None, ...]:
    """Per band of ``src``: why the file says its numbers are class codes (a colour table,
    1-bit values, an ERDAS/``.aux.xml`` ``LAYER_TYPE=thematic``), else ``None``."""
    out: list[str | None] = []
    for band in range(1, src.count + 1):
        why = None
        if src.tags(band, ns="IMAGE_STRUCTURE").get("NBITS") == "1":
            why = "1-bit values"
        elif src.colorinterp[band - 1] == ColorInterp.palette:
            why = "a colour table (palette)"
        elif str(src.tags(band).get("LAYER_TYPE", "")).lower() == "thematic":
            why = "LAYER_TYPE=thematic"
        elif src.driver in _CF_DRIVERS:
            why = _cf_flags(src.tags(band))[0] or None
        out.append(why)
    return tuple(out)


def _named_codes(codes: tuple[str | None, ...],
                 classes: tuple[tuple[tuple[int, str], ...], ...]) -> tuple[str | None, ...]:
    """``codes`` (:func:`_coded_bands`) with a band whose file names its classes
    (``classes``: a raster attribute table, category names) marked as class codes too.

    A geology map of codes 1..3 whose ``.aux.xml`` attribute table names them granite,
    basalt and shale (as ArcGIS and QGIS write one), or an ENVI file of ``class names``
    without a ``class lookup``, read by default as continuous values had its codes
    resampled into values between two classes (bilinear: 1.5, half granite and half
    basalt), exit 0, without a word: the names said codes as plainly as a colour table."""
    out = list(codes)
    for at, pairs in enumerate(classes):
        if at < len(out) and out[at] is None and pairs:
            shown = ", ".join(f"{code} {name}" for code, name in pairs[:4])
            out[at] = f"class names ({shown}{', ...' if len(pairs) > 4 else ''})"
    return tuple(out)


def _cf_flags(tags: dict[str, str]) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Why a NetCDF/HDF band's CF attributes say it holds class codes (``flag_values``,
    with the class names of ``flag_meanings``, or bit fields of ``flag_masks``), ``""``
    where they do not; and its ``(code, name)`` pairs (``flag_values`` with as many
    ``flag_meanings``), ``()`` where none."""
    values = _cf_numbers(tags.get("flag_values"))
    if values:
        names = str(tags.get("flag_meanings", "")).split()
        pairs = tuple((int(v), n) for v, n in zip(values, names, strict=False)
                      if float(v).is_integer()) if len(names) == len(values) else ()
        shown = ", ".join(f"{c} {n}" for c, n in pairs[:4]) or \
            ", ".join(f"{v:g}" for v in values[:6])
        more = ", ..." if len(values) > (4 if pairs else 6) else ""
        return f"CF flag_values ({shown}{more})", pairs
    if _cf_numbers(tags.get("flag_masks")):
        return "CF flag_masks (bit fields)", ()
    return "", ()


_RAT_VALUE, _RAT_NAME = 5, 2
"""A raster attribute table's field usages (GDAL's ``GFU_MinMax``, ``GFU_Name``)."""

_RAT_VALUE_NAMES = frozenset({"value", "values", "val", "pixel_value", "pixelvalue"})
"""Names of a raster attribute table's column of codes where its usage is generic, as
ArcGIS, R's ``gdalraster`` and hand-written tables name it (QGIS reads ``VALUE`` so)."""


def _rat_value_column(fields: dict[int, tuple[int, int, str]], *, binned: bool
                      ) -> int | None:
    """The index of a raster attribute table's column of codes: its ``GFU_MinMax``
    column, else, where the table states no linear bins (``binned``, which GDAL reads
    first), a number column of generic usage named ``Value`` (any case,
    :data:`_RAT_VALUE_NAMES`), else ``None`` (codes are then the rows' bins or numbers).

    A table of codes 1, 2, 3 whose ``Value`` column was written generic (usage 0) had
    its names given to its row numbers 0, 1, 2: the cube's ``categories`` called code 1
    by the name of code 2, without a word."""
    value = next((i for i, (_, u, _) in fields.items() if u == _RAT_VALUE), None)
    if value is None and not binned:
        value = next((i for i, (t, u, n) in sorted(fields.items())
                      if u == 0 and t in (0, 1) and n.strip().lower() in _RAT_VALUE_NAMES),
                     None)
    return value


def _rat_classes(table: Any) -> tuple[tuple[int, str], ...]:
    """``(code, name)`` pairs of a raster attribute table (GDAL's XML of one): codes from
    its value column (:func:`_rat_value_column`), else its linear bins (``Row0Min``,
    ``BinSize``), else the row numbers; names from its name column (``GFU_Name``), else its
    first column of text. Rows of a range of values (``GFU_Min``/``GFU_Max``) name no
    code: none."""
    fields = {int(f.get("index", "-1")): (int(f.findtext("Type") or -1),
                                          int(f.findtext("Usage") or -1),
                                          f.findtext("Name") or "")
              for f in table.findall("FieldDefn")}
    start, step = table.get("Row0Min"), table.get("BinSize")
    value = _rat_value_column(fields, binned=bool(start and step))
    name = next((i for i, (_, u, _) in fields.items() if u == _RAT_NAME), None)
    if name is None:
        name = next((i for i, (t, _, _) in sorted(fields.items()) if t == 2), None)
    if name is None or (value is None and any(u in (3, 4) for _, u, _ in fields.values())):
        return ()
    out = []
    for row in table.findall("Row"):
        cells = [c.text or "" for c in row.findall("F")]
        index = int(row.get("index", "0"))
        try:
            code = float(cells[value]) if value is not None else \
                float(start) + index * float(step) if start and step else float(index)
        except (ValueError, IndexError):
            return ()
        if code != int(code) or name >= len(cells):
            return ()
        if cells[name].strip():
            out.append((int(code), cells[name].strip()))
    return tuple(out)


def _class_names(src: Any, codes: tuple[str | None, ...]
                 ) -> tuple[tuple[tuple[int, str], ...], ...]:
    """Per band: the class name of each code the file states (``(code, name)`` pairs, from
    its raster attribute table, else its category names), ``()`` where none. From the
    dataset's VRT description (no pixel read), only for a file that may hold them: a
    band of class codes (``codes``, :func:`_coded_bands`), an ``.aux.xml`` beside it, or
    an ERDAS Imagine, KEA or ENVI file (an ENVI classification's ``class names``)."""
    import xml.etree.ElementTree as ET

    from rasterio.io import MemoryFile
    from rasterio.shutil import copy as rio_copy

    if src.driver in _CF_DRIVERS:  # CF's flag_values and flag_meanings
        flags = tuple(_cf_flags(src.tags(b))[1] for b in range(1, src.count + 1))
        return flags if any(flags) else ()
    if not any(codes) and src.driver not in ("HFA", "KEA", "ENVI", "VRT") and \
            not any(str(f).lower().endswith(".aux.xml") for f in src.files or []):
        return ()
    try:
        with MemoryFile(ext=".vrt") as mem:
            rio_copy(src, mem.name, driver="VRT")
            root = ET.fromstring(mem.read())
    except (rasterio.errors.RasterioError, ET.ParseError, OSError):
        return ()
    out: list[tuple[tuple[int, str], ...]] = [()] * src.count
    for band in root.iter("VRTRasterBand"):
        at = int(band.get("band", "0")) - 1
        if not 0 <= at < src.count:
            continue
        table = band.find("GDALRasterAttributeTable")
        found = _rat_classes(table) if table is not None else ()
        if not found:
            names = [c.text or "" for c in band.findall("CategoryNames/Category")]
            found = tuple((i, n.strip()) for i, n in enumerate(names) if n.strip())
        out[at] = found
    return tuple(out) if any(out) else ()


_VAT_NAME_COLUMNS = ("class_name", "classname", "name", "unit", "unit_name", "label",
                     "class", "lithology", "litho", "description", "descr")
"""Columns of an ArcGIS value attribute table that name its classes, in order of
preference; else its first column of text."""


def _vat_classes(src: Any, path: Path | str) -> tuple[tuple[tuple[int, str], ...], ...]:
    """The class names of a one-band integer raster stated in ArcGIS's value attribute
    table beside it (``geology.tif.vat.dbf``: a ``Value`` column of codes, a ``Count``
    column and the user's own columns), as ``(code, name)`` pairs; ``()`` where none.

    GDAL (before 3.11) does not read a ``.vat.dbf``: a geology map exported from ArcGIS
    with its units named there was read as continuous values by default (codes 1 and 3
    resampled into 2, a unit no map has), and as codes without names when declared
    categorical, without a word."""
    text = str(path)
    if src.count != 1 or text.startswith("/vsi") or "://" in text or \
            not np.issubdtype(np.dtype(src.dtypes[0]), np.integer):
        return ()
    table = next((Path(text + ext) for ext in (".vat.dbf", ".VAT.DBF", ".vat.DBF")
                  if Path(text + ext).is_file()), None)
    if table is None:
        return ()
    try:
        import pyogrio

        frame = pyogrio.read_dataframe(table, read_geometry=False)
    except Exception:  # an unreadable table names no class: read as before
        return ()
    columns = {str(c).strip().lower(): c for c in frame.columns}
    value = next((columns[n] for n in sorted(_RAT_VALUE_NAMES) if n in columns), None)
    from pandas.api.types import is_string_dtype

    texts = [c for c in frame.columns if is_string_dtype(frame[c])]
    name = next((columns[n] for n in _VAT_NAME_COLUMNS
                 if n in columns and columns[n] in texts), texts[0] if texts else None)
    if value is None or name is None:
        return ()
    pairs = []
    for code, label in zip(frame[value], frame[name], strict=True):
        try:
            number = float(code)
        except (TypeError, ValueError):
            return ()
        if not math.isfinite(number) or number != int(number):
            return ()
        if isinstance(label, str) and label.strip():
            pairs.append((int(number), label.strip()))
    return (tuple(pairs),) if pairs else ()


def _vrt_source_codes(src: Any, path: Path | str, codes: tuple[str | None, ...],
                      classes: tuple[tuple[tuple[int, str], ...], ...]
                      ) -> tuple[tuple[str | None, ...], tuple[tuple[tuple[int, str], ...], ...]]:
    """``codes`` and ``classes`` of the VRT ``src`` with, for each band that states
    neither, what its first source's band states (:func:`_coded_bands`,
    :func:`_class_names`): a source that copies its file's numbers (no ``ScaleRatio``,
    ``ScaleOffset`` or ``LUT``) gives the VRT its class codes.

    ``gdalbuildvrt`` over a geology map whose class names sit in its ``.aux.xml`` (or
    whose ``LAYER_TYPE`` is thematic) writes a VRT that states neither, and the VRT was
    read by default as continuous values: codes 1..3 resampled into 1.5 and 2.5, exit 0,
    without a word, where the map itself was refused as class codes. One source file is
    opened per band at most."""
    root = _vrt_xml(src, path)
    if root is None:
        return codes, classes
    out_codes, out_classes = list(codes), list(classes) or [()] * src.count
    for element in root.findall("VRTRasterBand"):
        at = int(element.get("band", "0") or 0) - 1
        if not 0 <= at < src.count or out_codes[at] or out_classes[at]:
            continue
        source = next((c for c in element if c.tag.endswith("Source")), None)
        name = source.find("SourceFilename") if source is not None else None
        if source is None or name is None or not (name.text or "").strip() or any(
                source.find(tag) is not None for tag in ("ScaleRatio", "ScaleOffset", "LUT")):
            continue
        try:
            band = int((source.findtext("SourceBand") or "1").strip())
            with rasterio.open(_vrt_source_name(path, name)) as part:
                if not 1 <= band <= part.count:
                    continue
                why = _coded_bands(part)[band - 1]
                named = _class_names(part, _coded_bands(part))
        except (ValueError, RasterioIOError, rasterio.errors.RasterioError):
            continue
        pairs = named[band - 1] if band <= len(named) else ()
        shown = (name.text or "").strip()
        if why:
            out_codes[at] = f"{why} of its source {shown}"
        if pairs:
            out_classes[at] = pairs
    return tuple(out_codes), (tuple(out_classes) if any(out_classes) else ())


def _gdal_nodata(src: Any) -> dict[int, float]:
    """0-based band -> the nodata value GDAL holds for it, whatever the band's type (from
    the dataset's VRT description); empty when GDAL cannot describe the dataset. A whole
    number past 2**53 (a 64-bit band's, written exactly) is given as an exact ``int``."""
    import xml.etree.ElementTree as ET

    from rasterio.io import MemoryFile
    from rasterio.shutil import copy as rio_copy

    try:
        with MemoryFile(ext=".vrt") as mem:
            rio_copy(src, mem.name, driver="VRT")
            root = ET.fromstring(mem.read())
    except (rasterio.errors.RasterioError, ET.ParseError, OSError):
        return {}
    out = {}
    for band in root.iter("VRTRasterBand"):
        text = (band.findtext("NoDataValue") or "").strip()
        try:
            number = float(text)
        except ValueError:
            continue
        whole = text.lstrip("+-").isdigit() and abs(number) >= _FLOAT64_WHOLE
        out[int(band.get("band", "0")) - 1] = int(text) if whole else number
    return out


MAX_BLOCK_BYTES_DEFAULT = 256 * 2**20
"""Memory to read one block of a source above which it is refused
(``$PROSPECT_MAX_BLOCK_BYTES`` overrides): a 16 384 x 16 384 tile of bytes. A tiled
GeoTIFF or COG holds 256 x 256 to 1024 x 1024 (1 MiB of float32 at most)."""

_UNSTREAMED = ("LERC", "WEBP", "JXL")
"""TIFF codecs libtiff decodes a strip of whole even when GDAL reads it line by line."""


def max_block_bytes() -> int:
    """The block limit: ``$PROSPECT_MAX_BLOCK_BYTES`` or :data:`MAX_BLOCK_BYTES_DEFAULT`.

    Raises
    ------
    ConfigError
        The variable is not a whole number of bytes.
    """
    return positive_limit("PROSPECT_MAX_BLOCK_BYTES", MAX_BLOCK_BYTES_DEFAULT,
                          "bytes a block read may take", ConfigError)


def _refuse_network_failure(path: str, reason: str) -> None:
    """A file read over a network that the network failed to bring (a timeout, no
    connection, an unknown host, an HTTP error status) is said as such: it was "cannot
    read as a raster (corrupt, truncated or not a raster)", for a file never received."""
    from prospect.io.remote import NetworkReadError, network_failure_message

    said = network_failure_message(path, reason)
    if said:
        raise NetworkReadError(said) from None


def _size_text(n: float) -> str:
    """``n`` bytes for a message (``1.5 GiB``)."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def block_bytes(src: Any, band: int) -> tuple[int, tuple[int, int], bool]:
    """What GDAL holds in memory to read any window of 1-based ``band`` of ``src``.

    GDAL decodes a source block by block: the whole tile, strip or NetCDF chunk under a
    window, however small the window, and a compressed TIFF block's bytes are read whole
    first. A GeoTIFF written as one strip (GDAL reads it line by line, but libtiff loads
    the strip's compressed bytes whole, and decodes a LERC, WebP or JPEG-XL strip whole)
    or as one giant tile made every chunk task hold the whole image.

    Returns
    -------
    (bytes, block, one_strip)
        The decoded block (every band of a pixel-interleaved file) plus its compressed
        bytes; the block shape ``(rows, columns)`` as stored; whether the file is one
        strip of the whole image.
    """
    rows, cols = src.block_shapes[band - 1]
    item = np.dtype(src.dtypes[band - 1]).itemsize
    structure = src.tags(ns="IMAGE_STRUCTURE")
    bands = src.count if str(structure.get("INTERLEAVE", "")).upper() == "PIXEL" else 1
    compression = str(structure.get("COMPRESSION", "NONE")).upper()
    raw, one_strip = 0, False
    if src.driver == "GTiff":
        try:
            size = src.get_tag_item("BLOCK_SIZE_0_0", "TIFF", bidx=band)
            one_strip = (rows == 1 and src.height > 1 and size is not None and
                         src.get_tag_item("BLOCK_OFFSET_0_1", "TIFF", bidx=band) is None)
        except (rasterio.errors.RasterioError, ValueError):
            size = None
        if compression != "NONE" and size is not None:
            raw = int(size)
        if one_strip:  # GDAL reads the strip line by line (its block is one row)
            rows = src.height
    decoded = (rows if not one_strip or compression.startswith(_UNSTREAMED) else 1) \
        * cols * item * bands
    return decoded + raw, (rows, cols), one_strip


_VRT_DEPTH = 8
"""VRTs nested deeper than this (a VRT of VRTs of ...) are refused: GDAL's own limit on
opening a VRT within a VRT is near it, and a loop of VRTs naming each other ends there."""

_SCREEN_MARGIN = 16
"""A VRT source whose stated block (``SourceProperties``, written by ``gdalbuildvrt``)
times its item size, the bands the VRT reads of it and this margin (more bands in a
pixel-interleaved file, compressed bytes beside the decoded ones) is under the limit is
not opened; any other source is (a strip of one row may be one strip of the whole
image)."""


def _vrt_sources(path: Path | str, chain: str = "", depth: int = 0,
                 seen: frozenset[str] = frozenset(), *, xml: str | None = None
                 ) -> dict[str, tuple[str, bool]]:
    """Every source file a VRT reads, through nested VRTs, from the VRT's XML (no pixel
    is read, no source opened): each file with the ``within`` text that names the VRTs
    it is reached through, and whether its header must be opened to know its blocks
    (:data:`_SCREEN_MARGIN`). A file GDAL cannot parse is left to GDAL. ``xml``: the
    XML of a VRT read through GDAL (``/vsicurl/``, ``/vsizip/``; its ``xml:VRT``
    metadata), whose relative sources lie beside it in GDAL's name space."""
    import posixpath
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(xml if xml is not None else Path(path).read_text(
            errors="replace"))
    except (OSError, ET.ParseError):
        return {}
    here = str(path) if xml is not None else str(Path(path).resolve())
    if depth >= _VRT_DEPTH or here in seen:
        raise DataError(f"{chain}{path}: VRTs nested more than {_VRT_DEPTH} deep, or a VRT "
                        "that reads itself through its sources; build one VRT of the files "
                        "themselves (gdalbuildvrt)")
    seen = seen | {here}
    within = f"{chain}{path}: its source "
    limit = max_block_bytes()
    found: dict[str, tuple[str, bool]] = {}
    bands: dict[str, int] = {}
    small: dict[str, bool] = {}
    for source, element in ((parent, child) for parent in root.iter() for child in parent
                            if child.tag in ("SourceFilename", "SourceDataset")):
        text = (element.text or "").strip()
        if not text or text.startswith("<") or ("://" in text and xml is None):
            continue
        relative = element.get("relativeToVRT", "0") == "1" and \
            not text.startswith("/vsi") and not Path(text).is_absolute()
        name = text if not relative else posixpath.join(posixpath.dirname(str(path)), text) \
            if xml is not None else str(Path(path).parent / text)
        if name.lower().endswith(".vrt") and not name.startswith("/vsi") and \
                Path(name).is_file():
            found.setdefault(name, (within, True))
            for inner, (how, must) in _vrt_sources(Path(name), within, depth + 1,
                                                   seen).items():
                found.setdefault(inner, (how, must))
            continue
        found.setdefault(name, (within, True))
        band = (source.findtext("SourceBand") or "1").strip()
        bands[name] = max(bands.get(name, 1), int(band) if band.isdigit() else 1)
        props = source.find("SourceProperties")
        ok = False
        if props is not None:
            try:
                bx, by = int(props.get("BlockXSize", "0")), int(props.get("BlockYSize", "0"))
                item = np.dtype(_GDAL_TYPES.get(props.get("DataType", ""), "float64")).itemsize
                ok = by > 1 and bx * by * item * bands[name] * _SCREEN_MARGIN <= limit
            except (TypeError, ValueError):
                ok = False
        small[name] = small.get(name, True) and ok
    for name, ok in small.items():
        if ok and found[name][1]:
            found[name] = (found[name][0], False)
    return found


_DRIVER_NAME = re.compile(r'^[A-Za-z0-9_]+:"([^"]+)"|^[A-Za-z0-9_]+:([^:"]{2,}):')
"""A driver's name for part of a file: ``NETCDF:"f.nc":var``, ``HDF5:"f.h5"://var``,
``GTIFF_DIR:2:f.tif`` is not one (its file is last) and is left as it is."""

_VRT_FILES: dict[tuple[str, object], tuple[str, ...]] = {}


def _stat(name: str) -> object:
    try:
        st = os.stat(name)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def driver_file(path: str) -> str:
    """The file a GDAL name reads: ``f.nc`` of ``NETCDF:"f.nc":var``, else ``path``."""
    found = _DRIVER_NAME.match(path)
    return (found.group(1) or found.group(2)) if found else path


def file_stamp(path: str) -> tuple[object, ...]:
    """What tells the file GDAL reads under ``path`` from another written under its name.

    Inode, size, modification and change times (``ctime``: a file copied in with its old
    modification time kept, by ``cp -p``, ``rsync -t`` or ``tar x``, still has a new
    one) of the file itself: the file a driver's name of a variable reads
    (``NETCDF:"f.nc":var``), the archive a ``/vsizip/`` name reads, and a VRT's every
    source file, through nested VRTs. For a key of handles kept open between chunks and
    runs. A file read over the network has no stamp: its key is the number of times this
    process dropped GDAL's cache of it (:func:`prospect.io.remote.network_epoch`; each plan
    does), so a handle opened before a file was replaced on its server is not used after.
    ``()`` for a view's VRT text (which carries its source's stamp).
    """
    from prospect.config.vsi import archive_file
    from prospect.io.remote import is_network_name, network_epoch

    if path.lstrip().startswith("<"):
        return ()
    if "://" in path or is_network_name(path):
        return (network_epoch(path),)
    found = _DRIVER_NAME.match(path)
    name = (found.group(1) or found.group(2)) if found else (archive_file(path) or path)
    stamp = _stat(name)
    out: list[object] = [stamp]
    if name.lower().endswith(".vrt") and stamp is not None:
        key = (name, stamp)
        if key not in _VRT_FILES:
            if len(_VRT_FILES) > 256:
                _VRT_FILES.clear()
            try:
                _VRT_FILES[key] = tuple(sorted(_vrt_sources(Path(name))))
            except DataError:
                _VRT_FILES[key] = ()
        out += [_stat(f) for f in _VRT_FILES[key]]
    return tuple(out)


def files_stamp(path: str, companions: tuple[str, ...] = ()) -> tuple[object, ...]:
    """:func:`file_stamp` of ``path`` and the stamps of its :attr:`RasterInfo.companions`
    (a raw grid's header or cells), for the handles kept open of a grid kept in several
    files: an edited header beside unchanged cells is another grid."""
    return file_stamp(path) + tuple(_stat(c) for c in companions)


_REMOTE_VRT_SOURCES = 1024
"""Source files of a VRT read over a network whose headers are opened (16 requests at a
time), and of one read through GDAL whose XML GDAL does not give (``xml:VRT``); past it,
:func:`_remote_headers` says how many were not (``$PROSPECT_REMOTE_VRT_SOURCES``)."""

_GDAL_TYPES = {"Byte": "uint8", "Int8": "int8", "UInt16": "uint16", "Int16": "int16",
               "UInt32": "uint32", "Int32": "int32", "UInt64": "uint64", "Int64": "int64",
               "Float32": "float32", "Float64": "float64", "CInt16": "complex64",
               "CInt32": "complex128", "CFloat32": "complex64", "CFloat64": "complex128"}
"""GDAL data type names (a VRT's ``SourceProperties``) as numpy types."""


def check_blocks(src: Any, path: Path | str) -> int:
    """The largest bytes GDAL holds to read any window of the open file ``src`` (its
    decoded block and compressed bytes, and its sources' for a VRT).

    Raises
    ------
    DataError
        Over :func:`max_block_bytes`, naming the file, its block shape and the fix.
    """
    return _check_blocks(src, path)


def _check_blocks(src: Any, path: Path | str, *, within: str = "") -> int:
    """The largest :func:`block_bytes` of ``src``'s bands (and of every source file of a
    VRT, through nested VRTs: GDAL decodes them block by block under the VRT's own small
    blocks; found from the VRT's XML, a source opened (header only) unless the block its
    XML states is small, :func:`_vrt_sources`); a file over :func:`max_block_bytes` is
    refused, naming its block shape, the memory each chunk task would hold and how to
    rewrite it tiled."""
    worst = (0, (0, 0), False)
    for band in range(1, src.count + 1):
        found = block_bytes(src, band)
        if found[0] > worst[0]:
            worst = found
    size, (rows, cols), one_strip = worst
    if src.driver == "VRT" and not within:
        local = str(path)
        if not local.startswith("/vsi") and "://" not in local and Path(local).is_file():
            sources = _vrt_sources(Path(local))
        else:  # read through GDAL: its XML from GDAL, every source screened the same way
            xml = (src.tags(ns="xml:VRT") or {}).get("xml:VRT")
            sources = _vrt_sources(local, xml=xml) if xml else {
                f: (f"{path}: its source ", True)
                for f in list(src.files or [])[1:remote_vrt_sources() + 1]}
        for source, (how, must) in sources.items():
            if not must:
                continue
            try:
                with rasterio.open(source) as inner:
                    size = max(size, _check_blocks(inner, source, within=how))
            except (RasterioIOError, rasterio.errors.RasterioError):
                continue  # a missing source is named by _check_vrt_sources or the read
    limit = max_block_bytes()
    if size <= limit:
        return size
    if one_strip:
        shape = f"one strip of the whole image ({rows} x {cols} cells)"
    elif (rows, cols) == (src.height, src.width):
        shape = f"one block (a strip or tile) of the whole image ({rows} x {cols} cells)"
    else:
        shape = f"blocks of {rows} x {cols} cells"
    name = Path(str(path)).name
    if src.driver in _CF_DRIVERS:
        fix = (f"rewrite it in smaller chunks (e.g. nccopy -c y/512,x/512 {name} "
               "chunked.nc, with its own dimension names)")
    else:
        fix = (f"rewrite it tiled (gdal_translate -co TILED=YES -co BLOCKXSIZE=512 -co "
               f"BLOCKYSIZE=512 -co COMPRESS=DEFLATE {name} tiled.tif, or -of COG)")
    raise DataError(
        f"{within}{path}: the file is stored as {shape}, and GDAL loads a whole block (its "
        f"compressed bytes, the decoded cells) to read any part of it: every chunk task "
        f"reading this file would hold {_size_text(size)} of memory for it (per thread), "
        f"over the limit of {_size_text(limit)}; {fix}, or "
        "raise PROSPECT_MAX_BLOCK_BYTES")


_SUBDATASET_NAME = re.compile(
    r"(?:^|[/\\])(NETCDF|HDF5|HDF4_SDS|HDF4_EOS|HDF4_GR|ZARR|GTIFF_DIR|NITF_IM|GPKG|PDF)"
    r":(?:\"([^\"]+)\"|([^:]+)):(.+)$", re.IGNORECASE)
"""GDAL's name of a dataset inside a file (``NETCDF:"heat.nc":heat``,
``HDF5:"heat.h5"://heat``), as ``gdalinfo`` lists a file's subdatasets."""


def _refuse_subdataset_name(path: Path | str) -> None:
    """Refuse a raster path written as GDAL's name of a dataset inside a file
    (``NETCDF:"heat.nc":heat``, as ``gdalinfo`` lists subdatasets and Prospect's own
    messages write them): joined to the config's folder it was a file name no folder
    holds, refused as "raster file not found; check the path in the config", which sent
    the user looking for a typo. The file and the variable are named, with the keys that
    pick them (``path:`` and ``variable:``)."""
    found = _SUBDATASET_NAME.search(str(path))
    if found is None:
        return
    driver, quoted, bare, inner = found.groups()
    file = quoted or bare
    if driver.upper() in ("NETCDF", "HDF5"):
        variable = inner.lstrip(":").lstrip("/") if driver.upper() == "HDF5" else inner
        fix = f"give 'path: {file}' and 'variable: {variable}' in the source"
    elif driver.upper() == "ZARR":  # a store is a folder: 'path:' cannot name it
        fix = _zarr_fix(file, [inner.strip("/")])
    else:
        fix = f"give 'path: {file}' (its first dataset), or extract the one meant first " \
              f"(gdal_translate '{found.group(0).lstrip('/')}' out.tif)"
    raise ConfigError(
        f"{path}: '{found.group(0).lstrip('/')}' is GDAL's name of a dataset inside the file "
        f"{file}, not a file path; {fix}")


def _grid_folder(path: Path | str) -> str:
    """What a folder given as a raster holds where it is an ESRI binary grid (an ArcInfo
    coverage: ``hdr.adf``, ``w001001.adf``... in a folder named after the grid), with the
    file to name; ``""`` for any other folder. The folder was "a folder, not a raster
    file; give the path of the file inside it", which did not say which of its eight
    files GDAL reads the grid by."""
    here = Path(path)
    try:
        header = next((f for f in here.iterdir() if f.name.lower() == "hdr.adf"), None) \
            if here.is_dir() else None
    except OSError:
        return ""
    if header is None:
        return ""
    return (f"a folder holding an ESRI binary grid (ArcInfo/ArcGIS grid, {header.name} and "
            f"its w001001.adf); GDAL reads the grid by its header: give 'path: "
            f"{Path(str(path)) / header.name}' in the config")


def _zarr_node(folder: Path) -> str | None:
    """``"array"`` or ``"group"`` where ``folder`` is a zarr v2 or v3 node (its
    ``zarr.json``, ``.zarray`` or ``.zgroup``), else ``None``."""
    try:
        if (folder / ".zarray").is_file():
            return "array"
        if (folder / ".zgroup").is_file() or (folder / ".zmetadata").is_file():
            return "group"
        meta = folder / "zarr.json"
        if meta.is_file():
            kind = json.loads(meta.read_text(encoding="utf-8")).get("node_type")
            return kind if kind in ("array", "group") else None
    except (OSError, ValueError, AttributeError):
        return None
    return None


def _zarr_arrays(store: Path) -> list[str]:
    """The arrays of two or more dimensions directly in the zarr group ``store`` (the
    rasters a store written by xarray or Prospect holds; its 1-D ``x``/``y`` axes left
    out), sorted."""
    names = []
    try:
        for child in sorted(store.iterdir()):
            if not child.is_dir() or _zarr_node(child) != "array":
                continue
            meta = child / (".zarray" if (child / ".zarray").is_file() else "zarr.json")
            shape = json.loads(meta.read_text(encoding="utf-8")).get("shape") or []
            if len(shape) >= 2:
                names.append(child.name)
    except (OSError, ValueError, AttributeError):
        return names
    return names


def _zarr_fix(store: Path | str, arrays: list[str]) -> str:
    """How to read one array of a zarr store: a GeoTIFF of it by GDAL's Zarr driver
    (which takes its grid from the store's 1-D ``x``/``y`` coordinates), where the GDAL
    Prospect reads with opens it; else from Python (GDAL 3.10 reads no zarr v3 array
    whose codec is named ``bytes``, as zarr-python 3 writes every one)."""
    name = arrays[0] if arrays else "<array>"
    gdal_name = f'ZARR:"{store}":/{name}'
    try:
        with rasterio.open(gdal_name):
            pass
    except (RasterioIOError, rasterio.errors.RasterioError) as exc:
        return (f"write the array meant as a GeoTIFF and give that file; the GDAL Prospect "
                f"reads with ({rasterio.__gdal_version__}) cannot read it ({gdal_reason(exc)}), "
                f"so from Python, e.g. with rioxarray: xarray.open_zarr('{store}')['{name}']"
                f".rio.write_crs('<its CRS>').rio.to_raster('{name}.tif')")
    return (f"write the array meant as a GeoTIFF and give that file (gdal_translate "
            f"'{gdal_name}' {name}.tif; add -a_srs <its CRS> or 'crs:' in the "
            "source where the store states none)")


def _zarr_folder(path: Path | str, variable: str | None = None) -> str:
    """What a folder given as a raster holds where it is a zarr store or one of its
    arrays (an xarray or Prospect cube, GDAL's Zarr output), with the fix; ``""`` for
    any other folder. Such a folder was "a folder, not a raster file; give the path of
    the file inside it", and no file inside a zarr store is a raster (its chunks are
    numbered pieces of an array). ``variable`` (the config's) is named in the fix where
    the store holds it."""
    here = Path(path)
    kind = _zarr_node(here) if here.is_dir() else None
    if kind is None:
        return ""
    if kind == "array":
        store = here.parent
        arrays = [here.name]
        what = f"an array of the zarr store {store}"
    else:
        store, arrays = here, _zarr_arrays(here)
        if variable and variable.strip("/") in arrays:  # the one meant, first
            arrays.insert(0, arrays.pop(arrays.index(variable.strip("/"))))
        what = "a zarr store" + (f" (arrays {', '.join(arrays)})" if arrays else "")
    return (f"{what}, not a raster file: a raster source reads a file GDAL opens "
            f"(GeoTIFF, NetCDF...); {_zarr_fix(store, arrays)}")


_GPKG_TILES_LOOKED_AT = 64
"""Tiles of a GeoPackage raster whose image header tells whether it is grey."""


def _tile_is_grey(blob: bytes) -> bool | None:
    """Whether a GeoPackage tile image is grey (a PNG of colour type 0 or 4, a JPEG of one
    component); ``None`` where it cannot be told (WebP, another image)."""
    if blob[:8] == b"\x89PNG\r\n\x1a\n" and len(blob) > 25:
        return blob[25] in (0, 4)  # IHDR: grey, grey + alpha
    if blob[:2] == b"\xff\xd8":  # JPEG: the components of its frame header
        i = 2
        while i + 9 < len(blob) and blob[i] == 0xFF:
            marker, size = blob[i + 1], int.from_bytes(blob[i + 2:i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                return blob[i + 9] == 1
            i += 2 + size
    return None


def gpkg_grey_fix(path: Path | str, count: int, data_count: int) -> str:
    """For a GeoPackage raster of grey tiles (one band of data, as a single-band Byte
    raster is written) that GDAL's GeoPackage driver opens as red, green, blue and alpha
    (its default ``BAND_COUNT=4``): what it is and the command that makes it the one band
    it holds; ``""`` for any other file.

    Parameters
    ----------
    path : Path or str
        The raster file as the config names it.
    count, data_count : int
        Its bands as GDAL opens it, and those of them that hold data (not alpha).

    Returns
    -------
    str
        The explanation and the fix for a message, or ``""``.
    """
    import sqlite3

    text = str(path)
    if count != 4 or data_count != 3 or text.startswith("/vsi") or "://" in text:
        return ""
    local = Path(text[5:].rsplit(":", 1)[0] if text.upper().startswith("GPKG:") else text)
    try:
        with open(local, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return ""
        # read only and immutable: no journal or lock file written beside the user's file
        db = sqlite3.connect(f"{local.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            tables = [r[0] for r in db.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'tiles'")]
            greys = []
            for table in tables:
                quoted = '"' + table.replace('"', '""') + '"'
                greys += [_tile_is_grey(bytes(r[0])) for r in db.execute(
                    f"SELECT tile_data FROM {quoted} LIMIT {_GPKG_TILES_LOOKED_AT}")
                    if r[0] is not None]
        finally:
            db.close()
    except (OSError, sqlite3.Error, ValueError):
        return ""
    if not greys or not all(g is True for g in greys):
        return ""
    name = local.name
    return (f"its tiles are grey images (one band), which GDAL's GeoPackage driver opens "
            f"as red, green, blue and alpha; make it the one band it holds first, its "
            f"transparent cells as no data (gdal_translate -oo BAND_COUNT=2 -b 1 -mask 2 "
            f"{name} {local.stem}.tif) and give that file")


def raster_info(path: Path | str, *, crs: str | None = None, variable: str | None = None
                ) -> RasterInfo:
    """Open ``path`` (header only) and describe it; a clear error for every unusable file.

    Parameters
    ----------
    path
        Any raster GDAL opens (GeoTIFF, COG, NetCDF...), or a ``/vsicurl/`` URL.
    crs
        CRS to use when the file carries none (never guessed).
    variable
        NetCDF variable to read (``None``: the file's only raster).

    Raises
    ------
    InputFileError
        Missing, corrupt or truncated file (a GeoTIFF whose blocks lie past its end, a
        raw grid shorter than its cells, in an archive too), a zip or gzip archive, a
        codec GDAL lacks, or a VRT whose source is missing.
    CRSError
        The file has no CRS and none is given, or the given CRS is unknown.
    DataError
        Complex-valued bands, no georeferencing or a geotransform that places no cell,
        a ``variable`` the file lacks, a VRT whose sources are relative to the working
        folder or whose cells GDAL would read as values they are not (gaps, other
        nodata, other scales; nested VRTs too), or blocks (tiles, strips, chunks; a
        VRT's sources' too) larger than :func:`max_block_bytes` to read.
    """
    from rasterio.env import getenv, hasenv

    given = getenv() if hasenv() else {}
    if not _over_network(str(path)) or set(_REMOTE_LISTING) <= set(given):
        return _described(path, crs=crs, variable=variable)
    with gdal_settings(**_REMOTE_LISTING):  # the caller's own (a source's remote:) kept
        return _described(path, crs=crs, variable=variable)


def _described(path: Path | str, *, crs: str | None, variable: str | None) -> RasterInfo:
    """:func:`raster_info`'s description of ``path``, under the caller's GDAL settings."""
    name = gdal_path(path, variable)
    if not str(path).startswith("/vsi") and not Path(path).is_file():
        _refuse_subdataset_name(path)
        raise InputFileError(f"{path}: " + (_grid_folder(path) or _zarr_folder(path, variable)
                                            or why_unreadable(path, "raster file")))
    _refuse_empty(path)
    hold_read_settings()
    # a file without a grid is refused below, in one line with the fix: rasterio's own
    # warning printed a library path and source line before it (a filter, not a
    # catch_warnings block: that would race the warnings of other threads)
    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)
    vrt_root, moot = None, tuple[str, ...]()
    if str(path).lower().endswith(".vrt") and not str(path).startswith("/vsi") and \
            "://" not in str(path):
        vrt_root = _check_vrt_sources(Path(path))
    try:
        with _gdal_listening() as heard, rasterio.open(name) as src:
            file_crs = src.crs
            if crs is None:
                _refuse_partial_prj(src, path)
            beside = _prj_crs(src, path) if file_crs is None and crs is None else None
            no_crs = _why_no_crs(src, path) if file_crs is None and beside is None else ""
            if src.count == 0 and src.subdatasets:
                subs = ", ".join(s.rsplit(":", 1)[-1] for s in src.subdatasets)
                raise InputFileError(
                    f"{path}: the file holds several variables ({subs}); name one with "
                    "'variable:' in the source config"
                )
            complex_types = sorted({d for d in src.dtypes if str(d).startswith("complex")})
            if complex_types:
                raise DataError(
                    f"{path}: the bands are complex numbers ({', '.join(complex_types)}); "
                    "Prospect reads real values: convert the file first (e.g. gdal_translate "
                    "-ot Float32, which keeps the real part)")
            nodata, unheld = _usable_nodata(src)
            nodata, second = _as_stored(src, nodata)
            info = dict(
                transform=tuple(src.transform)[:6], width=src.width, height=src.height,
                count=src.count, dtype=src.dtypes[0] if src.count else "float32",
                dtypes=tuple(src.dtypes), units=_own_units(src, path),
                tagged_units=_tagged_units(src), long_names=_long_names(src),
                vertical_unit=_vertical_unit(src) or _prj_vertical_unit(src, path),
                nodata=nodata, unheld_nodata=unheld, descriptions=tuple(src.descriptions),
                scales=tuple(src.scales), offsets=tuple(src.offsets),
                masked=tuple(bool(_MASKING & set(flags)) for flags in src.mask_flag_enums),
                nbits=_nbits(src), missing=second if any(second) else (),
                stats=_stated_stats(src),
            )
            info["lossy"], info["lossy_error"] = lossy_compression(src)
            info["companions"] = companion_files(src, path)
            info["area_or_point"] = str(src.tags().get("AREA_OR_POINT", "")).strip()
            if _gpkg_cell_encoding(src) == "grid-value-is-corner":
                info["transform"] = _corner_shifted(info["transform"])
                info["area_or_point"] = "Corner"
            _refuse_coefficient_texts(src, path)
            _refuse_degenerate_scales(src, path)
            stated = header_coefficients(src, path)
            if stated is not None:  # a header's scaling GDAL does not apply (SAGA's...)
                info["scales"], info["offsets"] = ((stated[0],) * src.count,
                                                   (stated[1],) * src.count)
                moot = ("ZFACTOR",)  # SAGA's, of which GDAL says "does not support"
            if src.driver not in _CF_DRIVERS:  # a CF file's are refused when unapplied
                unapplied = unapplied_packing(src)
                info["unapplied"] = unapplied if any(unapplied) else ()
            if src.driver in _CF_DRIVERS:
                _refuse_unapplied_packing(src, path)
                _refuse_cf_texts(src, path)
                _refuse_reversed_bounds(src, path)
                nodata, unheld = _packed_fills(src, nodata, unheld)
                info["nodata"], info["unheld_nodata"] = nodata, unheld
                info["missing"], info["valid"] = _cf_missing_data(src, nodata)
                info["missing"] = tuple(_packed(src, b + 1, v) for b, v in
                                        enumerate(info["missing"]))
                held, second = _as_stored(src, nodata)
                info["nodata"] = held
                info["missing"] = tuple(  # and the second value a band holds for its fill
                    tuple(dict.fromkeys((*m, *more))) for m, more in
                    zip(info["missing"], second, strict=True))
                _refuse_spatial_steps(src, path)
                info["steps"] = _steps(src)
            info["codes"] = _coded_bands(src)
            info["classes"] = _class_names(src, info["codes"]) or _vat_classes(src, path)
            if src.driver == "VRT":  # a VRT's sources say it of the cells they give it
                info["codes"], info["classes"] = _vrt_source_codes(
                    src, path, info["codes"], info["classes"])
            info["codes"] = _named_codes(info["codes"], info["classes"])
            info["alpha"] = tuple(i + 1 for i, ci in enumerate(src.colorinterp)
                                  if ci == ColorInterp.alpha)
            info["read_bytes"] = _check_blocks(src, path)
            _refuse_pages(src, path)
            _refuse_xyz_columns(src, path)
            _refuse_xyz_value_words(src, path)
            _refuse_xyz_gaps(src, path)
            directories = _refuse_cut_short(src, path)
            if not _refuse_ascii_words(src, path) and info["nodata"][0] is None:
                # ESRI's default where the header states none; GDAL applies no nodata,
                # and the -9999 cells were ingested as values
                info["nodata"] = (ASCII_DEFAULT_NODATA,)
            _refuse_header_words(src, path)
            _refuse_nodata_words(src, path)
            _refuse_sparse(src, path, nodata, directories)
            vrt_lossy: list[tuple[str, float | None]] = []
            _refuse_vrt_unmarked(src, path, vrt_root, lossy=vrt_lossy)
            if vrt_lossy and not info["lossy"]:
                errors = [e for _, e in vrt_lossy]
                info["lossy"] = vrt_lossy[0][0] + (
                    f" and {len(vrt_lossy) - 1} more of its sources" if len(vrt_lossy) > 1
                    else "")
                info["lossy_error"] = None if None in errors else max(
                    e for e in errors if e is not None)
            gcps, rpcs, files = src.gcps[0], src.rpcs, list(src.files or [])
            driver = src.driver
            gridless = tuple(src.transform)[:6] == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
            coordinates = _coordinates(src, path) if gridless else None
            misplaced = None if gridless else _misplaced(src, path)
            # Touch the last block so a truncated file fails here, not halfway through
            # ingest; a local file's first block too: a Surfer ASCII grid keeps its rows
            # south to north, so its first row is the end of the file (one cut short was
            # planned, and failed in a task, "Can't read portion of grid row 14")
            if src.count:
                src.read(src.count, window=Window(src.width - 1, src.height - 1, 1, 1))
                if src.driver in _SOUTH_UP_TEXT:
                    src.read(src.count, window=Window(0, 0, 1, 1))
    # GDAL's own error, raised where rasterio passes it on unwrapped (a band's colour
    # interpretation, a tag of a GeoTIFF whose tile index lies past its end, cut short):
    # the file's fault as a failed read is, said in the same words, not a traceback
    except (RasterioIOError, rasterio.errors.RasterioError, CPLE_BaseError) as exc:
        refuse_memory(path, exc)  # GDAL refused a buffer (ulimit -v): not a damaged file
        if variable:
            _refuse_variable(path, variable)
        _refuse_archive(path)
        _refuse_page(path)
        reason = gdal_reason(exc)
        _refuse_netcdf_cut_short(path, reason)
        _refuse_point_table(path, reason)
        _refuse_xyz_words(path, reason)
        _refuse_missing_codec(path, reason)
        _refuse_pixel_function(path, reason)
        _refuse_skipped_driver(path, reason)
        _refuse_unread_format(path, reason)
        _refuse_vector_file(path, reason)
        _refuse_vrt_source_band(vrt_root, path)
        from prospect.io.remote import read_failure  # the one reading of GDAL's words

        if read_failure(reason).startswith("no credentials"):  # no S3/GS/Azure keys
            raise InputFileError(f"{path}: cannot read: {read_failure(reason, str(path))}"
                                 ) from None
        _refuse_network_failure(str(path), reason)
        _refuse_damaged_block(str(path), reason)
        _refuse_cut_index(path, reason)
        _refuse_cut_directories(path)
        raise CorruptFileError(
            f"{path}: cannot read as a raster (corrupt, truncated or not a raster): "
            f"{reason}", path=path,
        ) from None
    if crs is None and file_crs is not None:  # before GDAL's words of the same thing
        _refuse_contradicted_code(path, file_crs, info["transform"], info["width"],
                                  info["height"])
    elif crs is not None:  # GDAL's advice on a file's CRS the config's replaces: moot
        moot = (*moot, *_REPLACED_CRS_NOTES)
    _warn_heard(path, heard, moot=moot)
    _warn_stale_aux(path, files, info.get("companions", ()))
    _warn_two_grids(path, driver, info["transform"], files)
    _warn_two_band_statements(path, driver, files)
    if info["transform"] == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0):
        _refuse_ungridded(path, gcps=len(gcps), rpcs=rpcs is not None,
                          coordinates=coordinates)
    _refuse_degenerate(path, info["transform"], files)
    if rpcs is not None and info["transform"] != (1.0, 0.0, 0.0, 0.0, 1.0, 0.0):
        warnings.warn(DataWarning(_RPCS_BESIDE.format(path=path)), stacklevel=2)
    if misplaced == "transposed":
        raise DataError(_TRANSPOSED.format(path=path))
    if misplaced is not None and misplaced.startswith("units:"):
        _, axis, unit = misplaced.split(":", 2)
        crs_unit = file_crs.linear_units if file_crs is not None else "its CRS's unit"
        raise DataError(
            f"{path}: its {axis} coordinate variable states units {unit!r} but its CRS "
            f"measures in {crs_unit!r}, and GDAL places the cells by the numbers as "
            f"{crs_unit}: every cell would land far from where it is; convert the "
            f"coordinates to {crs_unit} (e.g. "
            "ncap2 -s 'x=x*1000;y=y*1000' in.nc out.nc, then ncatted -a units,x,o,c,m -a "
            "units,y,o,c,m out.nc, for km)")
    if misplaced is not None and misplaced.startswith("wraps:"):
        _, east, west = misplaced.split(":", 2)
        across_zero = float(east) > 180.0
        where = ("the prime meridian kept in 0 to 360" if across_zero else
                 "180 degrees kept in -180 to 180")
        fix = ("-180 to 180 (cdo sellonlatbox,-180,180,-90,90 in.nc out.nc, or xarray's "
               "ds.assign_coords(lon=(ds.lon + 180) % 360 - 180).sortby('lon'))"
               if across_zero else
               "0 to 360 (cdo sellonlatbox,0,360,-90,90 in.nc out.nc, or xarray's "
               "ds.assign_coords(lon=ds.lon % 360).sortby('lon'))")
        raise DataError(
            f"{path}: its x coordinates are longitudes that go round the Earth between "
            f"neighbouring columns ({float(east):g} then {float(west):g}: a grid across "
            f"{where}), which GDAL cannot place on one even grid, so most cells would land "
            f"elsewhere; state the longitudes {fix}")
    if misplaced is not None:
        raise DataError(f"{path}: its {misplaced} coordinates are not evenly spaced {_UNEVEN}, "
                        "and GDAL would place the cells on an even grid, most of them "
                        f"elsewhere; {_REGRID}")
    if crs is not None:
        use_crs = parse_crs(crs)
        if file_crs is not None:
            _warn_crs_replaced(path, crs, use_crs, file_crs)
    elif file_crs is not None:
        use_crs = CRS.from_user_input(file_crs.to_wkt())
    elif beside is not None:
        use_crs = beside
    else:
        from prospect.io.vector import crs_example

        raise CRSError(
            f"{path}: the raster has no CRS GDAL can read ({no_crs}); give it with 'crs:' in "
            f"the source config {crs_example(_grid_bounds(info))}"
        )
    epsg = use_crs.to_epsg() if crs is not None else _unique_epsg(use_crs)
    return RasterInfo(path=name, crs=f"EPSG:{epsg}" if epsg else use_crs.to_wkt(), **info)


_AUX_STATES = (("NoDataValue", "nodata"), ("Scale", "scale"), ("Offset", "offset"),
               ("UnitType", "units"), ("SRS", "CRS"), ("GeoTransform", "grid"),
               ("STATISTICS_MINIMUM", "statistics"))
"""What a GDAL ``.aux.xml`` may state of a file (its XML element or metadata key), which
GDAL applies to the file it lies beside."""


def _warn_stale_aux(path: Path | str, files: list[str], companions: tuple[str, ...] = ()
                    ) -> None:
    """Warn when the ``.aux.xml`` GDAL read beside a local file is older than the file and
    states its nodata, scale, offset, units, CRS, grid or statistics: GDAL applies them to
    the file as it is now, so a file rewritten since (a new export over the old name; GDAL
    removes the ``.aux.xml`` when it writes a file itself, other tools do not) was read
    with the old file's nodata or scale without a word, and its old statistics refused
    its new values part way through ingest. Of a grid kept in several files (an ENVI
    grid's ``.hdr``: ``companions``), the newest of them counts: a header edited to state
    another nodata was read with the ``.aux.xml``'s old one, which GDAL ranks first."""
    aux = next((Path(f) for f in files[1:] if str(f).lower().endswith(".aux.xml")), None)
    if aux is None or not files or str(files[0]).startswith("/vsi"):
        return
    try:
        newest = max(Path(f).stat().st_mtime for f in (files[0], *companions)
                     if os.path.abspath(f) != os.path.abspath(aux))
        older = newest - aux.stat().st_mtime
        text = aux.read_text(errors="replace")
    except OSError:
        return
    stated = [what for key, what in _AUX_STATES if key in text]
    if older <= 1.0 or not stated:
        return
    warnings.warn(DataWarning(
        f"{path}: {aux.name} beside it is {_age_text(older)} older than the file, and GDAL "
        f"applies the {', '.join(dict.fromkeys(stated))} it states to the file as it is "
        f"now; if the file was rewritten since, remove {aux.name} (or set them again: "
        "gdal_edit.py, gdalinfo -stats)"), stacklevel=3)


_GEOREF_SOURCES = (("PAM", "{aux}"), ("INTERNAL", "the GeoTIFF's own tags"),
                   ("WORLDFILE", "{world}"))
"""Where a GeoTIFF's grid may be stated (GDAL's ``GDAL_GEOREF_SOURCES`` names, in GDAL's
default order of priority: an ``.aux.xml`` first, then the file's own tags, then a world
file), and how each is named."""


def _warn_crs_replaced(path: Path | str, given: str, used: CRS, file_crs: Any) -> None:
    """Warn when a source's ``crs:`` replaces another CRS its file states: its cells are
    placed by their numbers in the config's CRS (a file in UTM 32N under ``crs:
    EPSG:32631`` landed one zone, about 400 km, west of where it lies, exit 0, without a
    word). ``crs:`` is for files that state none, or a wrong one: both are named."""
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        own = CRS.from_user_input(file_crs.to_wkt())
    except ProjCRSError:  # a CRS pyproj cannot read: the config's is the one to use
        return
    if own.equals(used, ignore_axis_order=True) or (
            _stated_code(own) is not None and _stated_code(own) == used.to_epsg()):
        return  # (the code a file states and defines otherwise: the one it states)
    mine = own.to_string()
    warnings.warn(DataWarning(
        f"{path}: the source's crs: {given!r} replaces the CRS the file states ({mine}), so "
        f"its cells are placed as if their coordinates were in {used.to_string()}, wherever "
        f"they lie in {mine}; if the file's CRS is right, take 'crs:' out of the source (a "
        "region in another CRS is reprojected to), else write the right one into the file "
        f"(gdal_edit.py -a_srs {used.to_string()} {Path(str(path)).name})"), stacklevel=3)


def _stated_code(crs: CRS) -> int | None:
    """The EPSG code ``crs`` carries as its identifier (a GeoTIFF's
    ``ProjectedCSTypeGeoKey``, a WKT's ``AUTHORITY``/``ID``), whatever its parameters say;
    of a compound CRS, or one bound to WGS 84 (``TOWGS84``), its horizontal part's."""
    for part in (crs, _horizontal(crs)):
        found = part.to_json_dict().get("id") or {}
        if str(found.get("authority", "")).upper() == "EPSG" and \
                str(found.get("code", "")).isdigit():
            return int(found["code"])
    return None


def _horizontal(crs: CRS) -> CRS:
    """The horizontal CRS of ``crs``: a compound CRS's first part, a bound CRS's source."""
    if crs.is_compound and crs.sub_crs_list:
        return crs.sub_crs_list[0]
    if crs.is_bound and crs.source_crs is not None:
        return crs.source_crs
    return crs


_REPLACED_CRS_NOTES = ("GTIFF_SRS_SOURCE",)
"""Words of GDAL's warnings about a file's own CRS (a GeoTIFF's geokeys that contradict
its EPSG code, and the setting that chooses either) that a source's ``crs:``, which
replaces that CRS, makes moot: not said when ``crs:`` is given."""

_CONTRADICTION_SHARE = 0.5
"""How far, in cells, the same numbers may lie apart under a file's stated EPSG code and
under its own definition before the file is refused (:func:`_refuse_contradicted_code`):
closer, the cells land where either would place them, to the half cell."""


def _refuse_contradicted_code(path: Path | str, file_crs: Any,
                              transform: tuple[float, ...], width: int, height: int) -> None:
    """Refuse a file whose CRS carries an EPSG code its own definition contradicts by half
    a cell or more on the ground: a GeoTIFF whose ``ProjectedCSTypeGeoKey`` says
    EPSG:32619 (UTM 19N) while its other geokeys give a false easting of 400 000 m (a
    hand edit, an old exporter), a ``.prj`` or a NetCDF's ``crs_wkt`` whose ``AUTHORITY``
    names another CRS than its parameters. GDAL takes the parameters (or the code, under
    ``GTIFF_SRS_SOURCE=EPSG``), with a warning about "reprojection operations": the file
    landed 100 km from where its code places it, and the error that followed was "none
    of its files overlap", naming the region's own CRS twice and the file's in a page of
    WKT. Both readings are named, how far apart they place the cells, and the ``crs:``
    that chooses either. Each reading is taken to its own geographic CRS, and where the
    two datums differ to WGS 84 by PROJ's best shift from each (geokeys of VN-2000 under
    EPSG:32648, WGS 84 / UTM 48N, both of WGS 84's ellipsoid: 220 m on the ground, read
    without a word; :func:`_through_wgs84`); a CRS pyproj cannot read is not checked."""
    from pyproj import Geod, Transformer
    from pyproj.exceptions import CRSError as ProjCRSError
    from pyproj.exceptions import ProjError

    try:
        own = CRS.from_user_input(file_crs.to_wkt())
        code = _stated_code(own)
        if code is None:
            return
        stated = CRS.from_epsg(code)
        mine, theirs = _horizontal(own), _horizontal(stated)
        if mine.equals(theirs, ignore_axis_order=True) or mine.geodetic_crs is None or \
                theirs.geodetic_crs is None:
            return
        a, b, c, d, e, f = transform[:6]
        spots = [(c + a * col + b * row, f + d * col + e * row)
                 for col, row in ((0, 0), (width, 0), (0, height), (width, height),
                                  (width / 2, height / 2), (width / 2 + 1, height / 2),
                                  (width / 2, height / 2 + 1))]
        to_mine = Transformer.from_crs(mine, mine.geodetic_crs, always_xy=True)
        to_theirs = Transformer.from_crs(theirs, theirs.geodetic_crs, always_xy=True)
        here = [to_mine.transform(x, y, errcheck=True) for x, y in spots]
        there = [to_theirs.transform(x, y, errcheck=True) for x, y in spots]
    except (ProjCRSError, ProjError, ValueError, TypeError):
        return  # a CRS or a point PROJ cannot handle: GDAL's own words stand
    if not _same_datum(mine, theirs):
        bound = own if own.is_bound else mine  # (its TOWGS84, the shift it states)
        here, there = _through_wgs84(bound, theirs, spots) or (here, there)
    geod = Geod(ellps="WGS84")
    cell = min(geod.inv(*here[4], *here[5])[2], geod.inv(*here[4], *here[6])[2])
    apart = max(geod.inv(*p, *q)[2] for p, q in zip(here[:5], there[:5], strict=True))
    if not math.isfinite(apart) or apart < _CONTRADICTION_SHARE * max(cell, 1e-9):
        return
    differs = _definition_gaps(mine, theirs, code)
    name = Path(str(path)).name
    raise CRSError(
        f"{path}: its CRS is stated as EPSG:{code} ({stated.name}) but the file defines it "
        f"otherwise{f' ({differs})' if differs else ''}, and the two place its cells "
        f"{_ground_text(apart)} apart (GDAL takes the file's definition); say which holds "
        f"with 'crs:' in the source config: 'crs: EPSG:{code}' for the code, or the file's "
        f"own definition as a PROJ string (gdalsrsinfo -o proj4 {name}); or write the right "
        f"one into the file (gdal_edit.py -a_srs EPSG:{code} {name})")


def _same_datum(mine: CRS, theirs: CRS) -> bool:
    """Whether two CRSs' datums are one (PROJ's equivalence, or one name: WGS 84 and its
    ensemble are one here)."""
    a, b = mine.datum, theirs.datum
    if a is None or b is None or a == b:
        return True
    one, two = (d.name.lower().replace(" ensemble", "") for d in (a, b))
    return one == two


def _through_wgs84(mine: CRS, theirs: CRS, spots: list[tuple[float, float]]
                   ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]] | None:
    """``spots`` as ``mine`` and as ``theirs`` place them in WGS 84's longitude and
    latitude, each by PROJ's best transformation (a datum shift PROJ knows none for is
    its null one), or ``None`` where PROJ cannot take a spot there."""
    from pyproj import Transformer
    from pyproj.exceptions import ProjError

    wgs84 = CRS.from_epsg(4326)
    try:
        one = Transformer.from_crs(mine, wgs84, always_xy=True)
        two = Transformer.from_crs(theirs, wgs84, always_xy=True)
        return ([one.transform(x, y, errcheck=True) for x, y in spots],
                [two.transform(x, y, errcheck=True) for x, y in spots])
    except (ProjError, ValueError, TypeError):
        return None


def _definition_gaps(mine: CRS, theirs: CRS, code: int) -> str:
    """What a file's own CRS definition says otherwise than EPSG ``code`` (``theirs``): its
    projection's parameters, method, ellipsoid, or unit, the first three named."""
    gaps: list[str] = []
    ours, its = mine.coordinate_operation, theirs.coordinate_operation
    if ours is not None and its is not None:
        if ours.method_name.lower() != its.method_name.lower():
            gaps.append(f"the projection {ours.method_name} where EPSG:{code} has "
                        f"{its.method_name}")
        held = {p.name.lower(): p for p in its.params}
        for p in ours.params:
            q = held.get(p.name.lower())
            if q is None or not isinstance(p.value, float | int) or \
                    not isinstance(q.value, float | int):
                continue  # (a parameter naming a file: a grid of shifts)
            if not math.isclose(p.value, q.value, rel_tol=1e-9, abs_tol=1e-9):
                unit = {"": "", "unity": "", "metre": " m"}.get(p.unit_name,
                                                               f" {p.unit_name}")
                gaps.append(f"{p.name} {p.value:g}{unit} where EPSG:{code} has "
                            f"{q.value:g}{unit}")
    if not _same_datum(mine, theirs) and mine.datum is not None and theirs.datum is not None:
        gaps.append(f"the datum {mine.datum.name} where EPSG:{code} has {theirs.datum.name}")
    e1, e2 = mine.ellipsoid, theirs.ellipsoid
    if e1 is not None and e2 is not None and not math.isclose(
            e1.semi_major_metre, e2.semi_major_metre, abs_tol=1e-3):
        gaps.append(f"the ellipsoid {e1.name} where EPSG:{code} has {e2.name}")
    u1 = mine.axis_info[0].unit_name if mine.axis_info else ""
    u2 = theirs.axis_info[0].unit_name if theirs.axis_info else ""
    if u1 and u2 and u1 != u2:
        gaps.append(f"coordinates in {u1} where EPSG:{code} has {u2}")
    return "; ".join(gaps[:3])


def _ground_text(metres: float) -> str:
    """A distance on the ground: ``100 km``, ``12.5 km``, ``37 m``, ``0.4 m``."""
    if metres >= 10_000:
        return f"{metres / 1000:.0f} km"
    if metres >= 1000:
        return f"{metres / 1000:.1f} km"
    return f"{metres:.0f} m" if metres >= 10 else f"{metres:.1f} m"


def _warn_aux_crs(path: Path | str, aux: str, stated: Any, file: str) -> None:
    """Warn when an ``.aux.xml`` states a CRS, and no grid, other than the GeoTIFF's own
    (:func:`_warn_two_grids`): GDAL takes the ``.aux.xml``'s, so a UTM 19N file beside an
    ``.aux.xml`` of UTM 20N was placed 600 km away, exit 0, without a word."""
    try:
        with gdal_settings(GDAL_GEOREF_SOURCES="INTERNAL"), rasterio.open(file) as one:
            own = one.crs
    except (RasterioIOError, rasterio.errors.RasterioError):
        return
    if own is None or own == stated:
        return
    warnings.warn(DataWarning(
        f"{path}: its CRS is stated twice and the two disagree: {aux} states "
        f"{stated.to_string()}, the GeoTIFF's own tags {own.to_string()}; GDAL takes "
        f"{aux}'s, so the cells are placed in {stated.to_string()}. If that is right, write "
        f"it into the file (gdal_edit.py -a_srs {stated.to_string()} "
        f"{Path(str(file)).name}) and remove its <SRS> from {aux}; else remove the <SRS> "
        f"from {aux}"), stacklevel=4)


def _warn_two_grids(path: Path | str, driver: str, used: tuple[float, ...],
                    files: list[str]) -> None:
    """Warn when a local GeoTIFF's grid is stated twice and the two disagree: its own
    tags and a world file beside it (``heat.tfw``), or an ``.aux.xml`` stating a
    ``GeoTransform`` or ``SRS``. GDAL takes one without a word (an ``.aux.xml`` over the
    file's own tags, those over a world file), so a file beside a sidecar another tool
    wrote for another version of it was placed by whichever GDAL ranks first, exit 0.
    The warning names both grids, the one GDAL took and how to keep the other. The
    sources are opened one by one only where such a file lies beside it (a header each)."""
    if driver != "GTiff" or not files or str(files[0]).startswith("/vsi") or \
            "://" in str(files[0]):
        return
    world = _world_file(files[0])
    aux = Path(f"{files[0]}.aux.xml")
    try:
        aux_grid = aux.is_file() and any(k in aux.read_text(errors="replace")
                                         for k in ("<GeoTransform", "<SRS"))
    except OSError:
        aux_grid = False
    if world is None and not aux_grid:
        return
    names = {"aux": aux.name, "world": world.name if world is not None else ""}
    stated: list[tuple[str, str, tuple[float, ...], Any]] = []
    crs_only: Any = None
    for key, label in _GEOREF_SOURCES:
        if (key == "WORLDFILE" and world is None) or (key == "PAM" and not aux_grid):
            continue
        try:
            with gdal_settings(GDAL_GEOREF_SOURCES=key), warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                with rasterio.open(files[0]) as one:
                    grid, crs = tuple(one.transform)[:6], one.crs
        except (RasterioIOError, rasterio.errors.RasterioError):
            continue
        if grid != (1.0, 0.0, 0.0, 0.0, 1.0, 0.0):
            stated.append((key, label.format(**names), grid, crs))
        elif key == "PAM" and crs is not None:
            crs_only = crs  # an .aux.xml stating a CRS and no grid: GDAL takes it
    if crs_only is not None:
        _warn_aux_crs(path, aux.name, crs_only, files[0])
    cell = max(abs(used[0]), abs(used[4]), 1e-300)

    def differs(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return any(abs(x - y) > 1e-6 * cell for x, y in zip(a, b, strict=True))

    taken = next((s for s in stated if not differs(s[2], used)), None)
    other = next((s for s in stated if taken is not None and s is not taken and (
        differs(s[2], taken[2]) or (s[3] is not None and taken[3] is not None
                                    and s[3] != taken[3]))), None)
    if taken is None or other is None:
        return

    def shown(grid: tuple[float, ...], crs: Any) -> str:
        a, _, c, _, e, f = grid
        return (f"origin {c:.12g}, {f:.12g} with cells {a:.10g} x {e:.10g}"
                + (f" in {crs.to_string()}" if crs is not None else ""))

    same_cells = not differs(other[2][:2] + other[2][3:5], taken[2][:2] + taken[2][3:5])
    east = (other[2][2] - taken[2][2]) / abs(taken[2][0])
    south = (taken[2][5] - other[2][5]) / abs(taken[2][4])
    moved = [f"{abs(v):.6g} {unit} {way[v < 0]}" for v, unit, way in (
        (east, "columns", ("east", "west")), (south, "rows", ("south", "north"))) if v]
    apart = f" ({' and '.join(moved)} of it)" if same_cells and moved else ""
    keep = f"remove {other[1]}" if other[0] != "INTERNAL" else (
        f"remove {taken[1]}" if taken[0] == "WORLDFILE" else
        f"remove the grid {taken[1]} states (its <GeoTransform> and <SRS>)")
    name = Path(str(files[0])).name
    sources = other[0] if other[0] == "INTERNAL" else f"{other[0]},INTERNAL"  # its CRS
    warnings.warn(DataWarning(
        f"{path}: its grid is stated twice and the two disagree: {taken[1]} put it at "
        f"{shown(taken[2], taken[3])}, {other[1]} at {shown(other[2], other[3])}{apart}; "
        f"GDAL takes {taken[1]}, so the cells are placed there. If that is right, {keep}; "
        f"if the grid of {other[1]} is right, write it into a copy (gdal_translate --config "
        f"GDAL_GEOREF_SOURCES {sources} {name} fixed.tif) and read the copy"),
        stacklevel=3)


_AUX_BAND_KEYS = (("nodata", "NoDataValue", "-a_nodata"), ("scale", "Scale", "-scale"),
                  ("offset", "Offset", "-offset"), ("units", "UnitType", "-units"))
"""What an ``.aux.xml`` may state of a band over a GeoTIFF's own tags: (what, its element,
``gdal_edit.py``'s option)."""


def _band_statements(src: Any) -> list[dict[str, Any]]:
    """Per band of the open ``src``: its nodata, scale, offset and units as GDAL reads
    them (``None`` for no nodata or units), its type, and the nodata it states that its
    type cannot hold (``unheld``: -9999 in uint16, which rasterio reports as none;
    :func:`_usable_nodata`)."""
    unheld = _usable_nodata(src)[1] if None in src.nodatavals else (None,) * src.count
    return [{"nodata": src.nodatavals[i], "scale": float(src.scales[i]),
             "offset": float(src.offsets[i]), "units": (src.units[i] or "").strip() or None,
             "dtype": src.dtypes[i], "unheld": unheld[i]}
            for i in range(src.count)]


def _warn_two_band_statements(path: Path | str, driver: str, files: list[str]) -> None:
    """Warn when a local GeoTIFF's band nodata, scale, offset or units are stated twice
    and the two disagree: its own tags (``GDAL_NODATA``, ``GDAL_METADATA``) and an
    ``.aux.xml`` beside it. GDAL takes the ``.aux.xml``'s without a word, so a file whose
    tags state nodata -9999 beside an ``.aux.xml`` of -32768 (another tool's, or another
    version's) had its -9999 cells ingested as values, exit 0. As :func:`_warn_two_grids`
    does for the grid; an ``.aux.xml`` stating what the tags leave unsaid is GDAL's way of
    adding it, and says nothing."""
    if driver != "GTiff" or not files or str(files[0]).startswith("/vsi") or \
            "://" in str(files[0]):
        return
    aux = next((Path(f) for f in files[1:] if str(f).lower().endswith(".aux.xml")), None)
    try:
        text = aux.read_text(errors="replace") if aux is not None else ""
    except OSError:
        return
    if aux is None or not any(f"<{element}" in text for _, element, _ in _AUX_BAND_KEYS):
        return
    try:
        with rasterio.open(files[0]) as used:
            taken = _band_statements(used)
        try:
            with gdal_settings(GDAL_PAM_ENABLED="NO"), rasterio.open(files[0]) as own:
                tags = _band_statements(own)
        finally:  # the Env took GDAL_PAM_ENABLED out when it closed
            keep_read_settings()
    except (RasterioIOError, rasterio.errors.RasterioError):
        return
    defaults = {"nodata": None, "scale": 1.0, "offset": 0.0, "units": None}
    name = Path(str(files[0])).name
    for band, (mine, theirs) in enumerate(zip(tags, taken, strict=True), start=1):
        for what, element, option in _AUX_BAND_KEYS:
            a, b = mine[what], theirs[what]
            if a == defaults[what] or a == b or (isinstance(a, float) and isinstance(
                    b, float) and math.isnan(a) and math.isnan(b)):
                continue
            shown = "none" if b is None else f"{b:g}" if isinstance(b, float) else repr(b)
            said = f"{a:g}" if isinstance(a, float) else repr(a)
            if what == "nodata" and b is None and theirs["unheld"] is not None:
                # the .aux.xml's value is one the band cannot hold (-9999 in uint16):
                # rasterio reports none, and neither can be written into the file
                warnings.warn(DataWarning(
                    f"{path}: band {band}'s nodata is stated twice and the two disagree: "
                    f"{aux.name} states {theirs['unheld']:g}, which a {theirs['dtype']} "
                    f"band cannot hold, the GeoTIFF's own tags {said}; GDAL takes "
                    f"{aux.name}'s, so no cell is marked as no data and the cells of "
                    f"{said} are read as values. If {said} marks no data, remove the "
                    f"<{element}> from {aux.name}; else put the band's own fill value "
                    f"there"), stacklevel=3)
                continue
            effect = (f"the cells of {said} are read as values" if what == "nodata" else
                      f"the band is read with the {what} {shown}")
            value = shlex.quote(str(b if not isinstance(b, float) else f"{b:g}"))
            if f"<{element}" not in text:  # an <Offset> alone: GDAL's scale 1 comes with it
                other = "Offset" if element == "Scale" else "Scale"
                warnings.warn(DataWarning(
                    f"{path}: band {band}'s {what} is stated twice and the two disagree: "
                    f"{aux.name} states its <{other}> alone, which GDAL reads with the "
                    f"{what} {shown}, the GeoTIFF's own tags {said}; GDAL takes "
                    f"{aux.name}'s, so {effect}. If the tags' {what} is right, add "
                    f"<{element}>{said}</{element}> to {aux.name}; else write it into the "
                    f"file (gdal_edit.py {option} {value} {name})"), stacklevel=3)
                continue
            warnings.warn(DataWarning(
                f"{path}: band {band}'s {what} {'are' if what == 'units' else 'is'} "
                "stated twice and the two disagree: "
                f"{aux.name} states {shown}, the GeoTIFF's own tags {said}; GDAL takes "
                f"{aux.name}'s, so {effect}. If that is right, write it into the file "
                f"(gdal_edit.py {option} {value} {name}) and remove the <{element}> from "
                f"{aux.name}; else remove the <{element}> from {aux.name}"), stacklevel=3)


def _age_text(seconds: float) -> str:
    """``seconds`` as a reader takes it in: ``"3 days"``, ``"5 hours"``, ``"40 s"``."""
    for size, unit in ((86400, "days"), (3600, "hours"), (60, "minutes")):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


_API_NOTES = ("returns an approximate value of the true nodata value",)
"""GDAL's words to a program about its own calls, not about the file: rasterio asks a
64-bit integer band's nodata with ``GetNoDataValue()`` and GDAL advises
``GetNoDataValueAsUInt64()`` (a ``prospect serve --check`` of a UInt64 COG warned of it,
in words no user can act on)."""


def _warn_heard(path: Path | str, heard: _ThreadWarnings, *, moot: tuple[str, ...] = ()
                ) -> None:
    """GDAL's messages while the header was read (any driver's: rasterio logs them, and
    they reached the user as bare log lines or not at all): an error GDAL read past
    refuses the file, a warning is one data warning naming the file. A warning holding
    one of the words in ``moot`` is about what Prospect does itself (a SAGA grid's
    ``Z_FACTOR``, :func:`_saga_coefficients`): kept from the reads' messages, not said.

    Raises
    ------
    CorruptFileError
        GDAL signalled an error while opening the file and went on: part of the header
        was not read (a ``GDAL_METADATA`` tag that does not parse lost the band's scale,
        offset and units, and its values were read as raw numbers, exit 0).
    """
    errors = list(dict.fromkeys(_said_text(m) for m in heard.errors))
    for error in errors:  # a block index cut short: said as such, however GDAL said it
        _refuse_cut_index(path, error)
    if errors:  # a directory, index or blocks past the end: the file was cut short
        _refuse_cut_directories(path)
        raise CorruptFileError(
            f"{path}: GDAL could not read its header whole ({'; '.join(errors[:3])}), and "
            "what it skipped may hold the bands' scale, offset, nodata or units; repair "
            "the file (e.g. gdal_translate it from a good copy) or download it again",
            path=path)
    said = list(dict.fromkeys(_said_text(m) for m in heard.seen))
    with _SAID_LOCK:
        if len(_HEADER_SAID) > 4096:
            _HEADER_SAID.clear()
        _HEADER_SAID.update((str(path), m) for m in said)
    said = [m for m in said if not any(word in m for word in (*moot, *_API_NOTES))]
    if said:
        shown = "; ".join(said[:5]) + (f"; ... ({len(said)} messages)" if len(said) > 5
                                        else "")
        warnings.warn(DataWarning(f"{path}: GDAL said, while reading its header: {shown}"),
                      stacklevel=3)


def _unique_epsg(crs: CRS) -> int | None:
    """The EPSG code of a file's CRS where only one fits it.

    A CRS that names an ellipsoid but no datum (``+proj=utm +zone=19 +ellps=intl``, a
    ``.prj`` without its datum) fits several EPSG CRSs of different datums, equally well:
    ``to_epsg`` gave the first (La Canoa, in Venezuela, for any International 1924 UTM
    zone 19), whose datum shift then moved the data hundreds of metres. RD New's
    parameters without ``+towgs84`` fit EPSG:28992 alone, and are read as it.
    """
    found = [m for m in crs.list_authority(min_confidence=70) if m.auth_name == "EPSG"]
    best = max((m.confidence for m in found), default=0)
    codes = {m.code for m in found if m.confidence == best}
    return int(codes.pop()) if len(codes) == 1 and next(iter(codes)).isdigit() else None
